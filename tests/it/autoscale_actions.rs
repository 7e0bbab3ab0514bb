//! Hand timelines of the autoscale actions and aggregations `autoscale_timelines.rs` leaves out:
//! `exact_count`, `percent_change_count` (rounded up, at least one instance), the `minimum`
//! aggregation, and the endpoint measures `scale_events`, `instances_peak`, `slo_attainment`,
//! `slo_met` and `cost_per_1000_requests_usd`.
//!
//! As there, the endpoint is read from scenario text and driven by hand: in each loaded minute
//! one request per ready instance at 0.5 s past the minute, each taking 59 s, so a loaded grain's
//! CPU utilisation is exactly 59/60 = 98.33% and an unloaded one 0%. A rule evaluated at minute
//! t reads grains t-5 .. t-1. Cooldown 5 min, provisioning a constant 3 min, horizon 60 min.

use crate::support::{MAX_EVENTS, MIN, advance, endpoint_spec};
use capsim::engine::{EventQueue, stream};
use capsim::metrics::{M, values};
use capsim::targets::TargetReport;
use capsim::targets::endpoint::{Endpoint, EndpointEvent, EndpointReport, Request};

fn scenario(instances: u32, max: u32, slo: &str, rules: &str) -> String {
    format!(
        r#"
horizon = "60m"
start_date = 2026-12-01
replications = 1

[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_D2s_v3"
instance_count = {instances}
request_settings = {{ max_concurrent_requests_per_instance = 1, request_timeout_ms = 180000 }}
{slo}

[endpoint.autoscale]
min = 1
max = {max}
default = {instances}
cooldown = "5m"
provisioning_time = {{ dist = "constant", value = "3m" }}
rules = [
{rules}
]

[[traffic]]
name = "t"
endpoint = "e"
arrivals = {{ process = "poisson", rate_per_second = 1.0 }}
service_time = {{ dist = "constant", value = "59s" }}
"#
    )
}

/// (ready, provisioning) at 0.5 s past each minute, the report, and the price per hour.
fn drive(text: &str, loaded: impl Fn(u64) -> bool) -> (Vec<(u32, u32)>, EndpointReport, f64) {
    let spec = endpoint_spec(text);
    let price = spec.price_usd_per_hour;
    let horizon = 60 * MIN;
    let mut e = Endpoint::new(spec, stream(1, 0, "a"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    let mut timeline = vec![];
    for k in 0..60u64 {
        let t = k * MIN + 500_000;
        advance(&mut e, &mut q, t, MAX_EVENTS);
        let s = e.sample(t);
        let ready = s.nodes_allocated - s.nodes_provisioning;
        timeline.push((ready, s.nodes_provisioning));
        if loaded(k) {
            for _ in 0..ready {
                let r = Request {
                    arrival: t,
                    service: 59_000_000,
                };
                e.submit(t, r, &mut q);
            }
        }
    }
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    (timeline, e.finish(horizon), price)
}

/// The expected timeline from (first minute, ready, provisioning) steps.
fn steps(s: &[(usize, u32, u32)]) -> Vec<(u32, u32)> {
    (0..60)
        .map(|m| {
            let &(_, r, p) = s.iter().rev().find(|(from, _, _)| *from <= m).unwrap();
            (r, p)
        })
        .collect()
}

/// `exact_count` and the `minimum` aggregation. Load in minutes 10..39 except minute 12.
/// - out: CPU minimum over 5 min > 50 → exactly 4. Grain 12 is idle, so the windows read at
///   t = 15, 16, 17 hold a 0% grain (an average would have fired at 15: (4 x 98.33) / 5 = 78.7,
///   over 50); it fires at t = 18 (grains 13..17): 1 → 4 at once, ready at 21:00. Later firings
///   ask for 4 at 4: no action.
/// - in: CPU maximum over 5 min < 30 → exactly 1: at t = 45 (grains 40..44 idle): 4 → 1.
///
/// Billed instance-minutes: 18 x 1 + 3 x 4 + 24 x 4 + 15 x 1 = 141. Requests: minutes 10, 11,
/// 13..20 at 1 a minute (10), 21..39 at 4 (76): 86, each served in 59 s. SLO 60 s at p95: all
/// within, attained (1.0) and met. Cost per 1,000 served: 141/60 x price / 86 x 1000.
#[test]
fn exact_count_moves_straight_to_its_value_and_minimum_waits_for_a_full_window() {
    let rules = r#"  { metric = "CpuUtilizationPercentage", operator = ">", threshold = 50, time_window = "5m", time_aggregation = "minimum", direction = "increase", type = "exact_count", value = 4 },
  { metric = "CpuUtilizationPercentage", operator = "<", threshold = 30, time_window = "5m", time_aggregation = "maximum", direction = "decrease", type = "exact_count", value = 1 },"#;
    let slo = "slo = { latency_ms = 60000, percentile = 95 }";
    let (timeline, report, price) = drive(&scenario(1, 5, slo, rules), |k| {
        (10..40).contains(&k) && k != 12
    });
    assert_eq!(
        timeline,
        steps(&[(0, 1, 0), (18, 1, 3), (21, 4, 0), (45, 1, 0)])
    );
    assert_eq!((report.scale_events, report.peak_instances), (2, 4));
    let billed_min = (report.ready_area + report.provisioning_area) as f64 / MIN as f64;
    assert!((billed_min - 141.0).abs() < 1e-9, "{billed_min}");
    assert_eq!((report.requests, report.served), (86, 86));
    let v = values(&TargetReport::Endpoint(report));
    assert_eq!(v[M::scale_events as usize], 2.0);
    assert_eq!(v[M::instances_peak as usize], 4.0);
    assert_eq!(v[M::slo_attainment as usize], 1.0);
    assert_eq!(v[M::slo_met as usize], 1.0);
    let cost = 141.0 / 60.0 * price;
    assert!(
        (v[M::cost as usize] - cost).abs() < 1e-9,
        "{}",
        v[M::cost as usize]
    );
    let per_1000 = cost / 86.0 * 1000.0;
    assert!(
        (v[M::cost_per_1000_requests as usize] - per_1000).abs() < 1e-9,
        "{} vs {per_1000}",
        v[M::cost_per_1000_requests as usize]
    );
}

/// The same run with an SLO of 30 s: every request took 59 s, so none is within it:
/// attainment 0, not met.
#[test]
fn an_slo_no_request_meets_is_attained_by_none() {
    let rules = r#"  { metric = "CpuUtilizationPercentage", operator = ">", threshold = 50, time_window = "5m", time_aggregation = "minimum", direction = "increase", type = "exact_count", value = 4 },"#;
    let slo = "slo = { latency_ms = 30000, percentile = 95 }";
    let (_, report, _) = drive(&scenario(1, 5, slo, rules), |k| (10..40).contains(&k));
    assert!(report.served > 0);
    let v = values(&TargetReport::Endpoint(report));
    assert_eq!(v[M::slo_attainment as usize], 0.0);
    assert_eq!(v[M::slo_met as usize], 0.0);
}

/// `percent_change_count` 50%: a change of ceil(n x 50%), at least 1. From 3, load in minutes
/// 10..39:
/// - in (CPU maximum over 5 min < 30): at t = 5 the idle start fires it: 3 - ceil(1.5) = 1
///   (rounded down it would be 2);
/// - out (CPU average over 5 min > 90), every 5 min after the cooldown, each new instance ready
///   3 min later: t = 15: 1 + ceil(0.5) = 2; t = 20: 2 + 1 = 3; t = 25: 3 + ceil(1.5) = 5;
///   t = 30: 5 + ceil(2.5) = 8; t = 35: 8 + 4 = 12, capped at max 10; at 10 from 38:00;
/// - in again once grains 40..44 are idle: t = 45: 10 - 5 = 5; t = 50: 5 - ceil(2.5) = 2;
///   t = 55: 2 - 1 = 1.
///
/// Nine scale events, peak 10.
#[test]
fn percent_changes_round_up_to_whole_instances() {
    let rules = r#"  { metric = "CpuUtilizationPercentage", operator = ">", threshold = 90, time_window = "5m", direction = "increase", type = "percent_change_count", value = 50 },
  { metric = "CpuUtilizationPercentage", operator = "<", threshold = 30, time_window = "5m", time_aggregation = "maximum", direction = "decrease", type = "percent_change_count", value = 50 },"#;
    let (timeline, report, _) = drive(&scenario(3, 10, "", rules), |k| (10..40).contains(&k));
    assert_eq!(
        timeline,
        steps(&[
            (0, 3, 0),
            (5, 1, 0),
            (15, 1, 1),
            (18, 2, 0),
            (20, 2, 1),
            (23, 3, 0),
            (25, 3, 2),
            (28, 5, 0),
            (30, 5, 3),
            (33, 8, 0),
            (35, 8, 2),
            (38, 10, 0),
            (45, 5, 0),
            (50, 2, 0),
            (55, 1, 0),
        ])
    );
    assert_eq!((report.scale_events, report.peak_instances), (9, 10));
}
