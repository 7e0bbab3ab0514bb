//! Hand timelines of the autoscale features `autoscale_timelines.rs` and `autoscale_actions.rs`
//! leave out: the `total` and `last` time aggregations, the `RequestLatency` and
//! `ConcurrentRequestsPerInstance` metrics, and a per-request CPU cost
//! (`cpu_per_request_vcpus`).
//!
//! Azure Monitor aggregates each rule's metric per one-minute grain, then combines the grains of
//! the rule's `time_window` by its `time_aggregation` (Average, Minimum, Maximum, Total, Last;
//! <https://learn.microsoft.com/azure/azure-monitor/autoscale/autoscale-understanding-settings>).
//! The endpoint is read from scenario text and driven by hand: each test submits the requests
//! of each minute itself, so every grain's value is known exactly. A rule evaluated at minute t
//! reads grains t-5 .. t-1. Bounds 1..5 from one instance, cooldown 5 min, provisioning a
//! constant 3 min (an instance asked for at t serves from t + 3), horizon 60 min. Timelines are
//! (ready, provisioning) at 0.5 s past each minute.

use crate::support::{MAX_EVENTS, MIN, advance, endpoint_spec};
use capsim::engine::{EventQueue, stream};
use capsim::targets::endpoint::{Endpoint, EndpointEvent, EndpointReport, Request};

const SEC: u64 = 1_000_000;

fn scenario(mcr: u32, extra: &str, rules: &str) -> String {
    format!(
        r#"
horizon = "60m"
start_date = 2026-12-01
replications = 1

[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_D2s_v3"
instance_count = 1
request_settings = {{ max_concurrent_requests_per_instance = {mcr}, request_timeout_ms = 180000 }}
{extra}

[endpoint.autoscale]
min = 1
max = 5
default = 1
cooldown = "5m"
provisioning_time = {{ dist = "constant", value = "3m" }}
rules = [
{rules}
]

[[traffic]]
name = "t"
endpoint = "e"
arrivals = {{ process = "poisson", rate_per_second = 1.0 }}
service_time = {{ dist = "constant", value = "1s" }}
"#
    )
}

/// Drives the endpoint for 60 minutes; `load(k)` lists the requests of minute k as
/// (offset from the minute, service time), in time order.
fn drive(text: &str, load: impl Fn(u64) -> Vec<(u64, u64)>) -> (Vec<(u32, u32)>, EndpointReport) {
    let spec = endpoint_spec(text);
    let horizon = 60 * MIN;
    let mut e = Endpoint::new(spec, stream(1, 0, "a"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    let mut timeline = vec![];
    for k in 0..60u64 {
        let t = k * MIN + SEC / 2;
        advance(&mut e, &mut q, t, MAX_EVENTS);
        let s = e.sample(t);
        timeline.push((
            s.nodes_allocated - s.nodes_provisioning,
            s.nodes_provisioning,
        ));
        for (offset, service) in load(k) {
            let at = k * MIN + offset;
            assert!(at >= t, "requests come after the sample");
            advance(&mut e, &mut q, at, MAX_EVENTS);
            e.submit(
                at,
                Request {
                    arrival: at,
                    service,
                },
                &mut q,
            );
        }
    }
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    (timeline, e.finish(horizon))
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

/// Requests per minute for the aggregation tests: 5 in each of minutes 10..19, 22 in minutes 30
/// and 33, none otherwise. They arrive 2 s apart from 0.5 s past the minute and take 1 s each,
/// so one instance serves them all without a queue (arrivals are counted either way).
fn rpm_load(k: u64) -> Vec<(u64, u64)> {
    let n = match k {
        10..=19 => 5,
        30 | 33 => 22,
        _ => 0,
    };
    (0..n).map(|i| (SEC / 2 + i * 2 * SEC, SEC)).collect()
}

/// One rule: RequestsPerMinute, aggregated by `aggregation` over 5 min, > 20 → +1.
fn rpm_run(aggregation: &str) -> (Vec<(u32, u32)>, EndpointReport) {
    let rules = format!(
        r#"  {{ metric = "RequestsPerMinute", operator = ">", threshold = 20, time_window = "5m", time_aggregation = "{aggregation}", direction = "increase", type = "change_count", value = 1 }},"#
    );
    drive(&scenario(1, "", &rules), rpm_load)
}

/// `total`: the window's sum. Sums of grains t-5..t-1: 20 at t = 14 (grains 9..13, not > 20),
/// 25 at t = 15 → 1 → 2 (ready 18:00, cooldown to 20:00); 25 at t = 20 (grains 15..19) → 2 → 3
/// (ready 23:00); 0 from t = 25 to 30; 22 at t = 31 (grain 30) → 3 → 4 (ready 34:00, cooldown to
/// 36:00); 22 at t = 36 (grain 33 in 31..35) → 4 → 5 (ready 39:00); 0 from t = 41.
///
/// Any other aggregation decides otherwise on this load (see
/// `the_other_aggregations_decide_otherwise_on_the_same_load`): no grain reaches 20 before
/// minute 30, so no average, minimum, maximum or last of grains fires at t = 15.
#[test]
fn total_sums_the_grains_of_the_window() {
    let (timeline, report) = rpm_run("total");
    assert_eq!(
        timeline,
        steps(&[
            (0, 1, 0),
            (15, 1, 1),
            (18, 2, 0),
            (20, 2, 1),
            (23, 3, 0),
            (31, 3, 1),
            (34, 4, 0),
            (36, 4, 1),
            (39, 5, 0),
        ])
    );
    assert_eq!((report.scale_events, report.peak_instances), (4, 5));
    assert_eq!(report.requests, 10 * 5 + 2 * 22);
}

/// `last`: the newest grain only. It is over 20 only at t = 31 (grain 30) and t = 34 (grain 33).
/// t = 31: 1 → 2 (ready 34:00, cooldown to 36:00); t = 34 falls in the cooldown, and at t = 36
/// the newest grain (35) is 0. One scale event. A maximum would still see grain 33 at t = 36 and
/// scale again; a total would also have fired at t = 15 and 20.
#[test]
fn last_reads_only_the_newest_grain() {
    let (timeline, report) = rpm_run("last");
    assert_eq!(timeline, steps(&[(0, 1, 0), (31, 1, 1), (34, 2, 0)]));
    assert_eq!((report.scale_events, report.peak_instances), (1, 2));
}

/// The same rule and load under the three other aggregations, so that `total` and `last` above
/// cannot pass by a coincidence of this load:
/// - average over 5 grains > 20 needs a window sum over 100; the largest is 44 (grains 30, 33):
///   never;
/// - minimum > 20 needs five grains over 20: never;
/// - maximum > 20: t = 31 (grain 30) → 1 → 2 (ready 34:00, cooldown to 36:00); t = 36 (grain
///   33 in 31..35) → 2 → 3 (ready 39:00); from t = 41 no grain over 20.
#[test]
fn the_other_aggregations_decide_otherwise_on_the_same_load() {
    let flat = steps(&[(0, 1, 0)]);
    assert_eq!(rpm_run("average").0, flat);
    assert_eq!(rpm_run("minimum").0, flat);
    assert_eq!(
        rpm_run("maximum").0,
        steps(&[(0, 1, 0), (31, 1, 1), (34, 2, 0), (36, 2, 1), (39, 3, 0)])
    );
}

/// `RequestLatency` (statistic average, time aggregation average) over 5 min > 3000 ms → +1.
/// One request a minute at 0.5 s past it in minutes 10..39 except 17, 18 and 19; each takes 2 s,
/// except in minutes 20, 21 and 22: 8 s. With one request a minute no request waits, so a
/// grain's latency is its request's service time, whatever the instance count; grains without a
/// finished request (17..19) have no latency and are skipped.
/// - t = 20 (grains 15..19): 2000, 2000 → 2000: no;
/// - t = 21 (grains 16..20): 2000 and 8000 over the two defined grains → 5000 > 3000 → 1 → 2
///   (ready 24:00, cooldown to 26:00). Were the empty grains counted as 0: 10000 / 5 = 2000, no
///   (it would fire at t = 22 instead: 16000 / 5 = 3200);
/// - t = 26 (grains 21..25): (8000 x 2 + 2000 x 3) / 5 = 4400 → 2 → 3 (ready 29:00);
/// - t = 31 on: every grain 2000 or empty: no.
#[test]
fn request_latency_averages_the_grains_with_finished_requests() {
    let rules = r#"  { metric = "RequestLatency", statistic = "average", operator = ">", threshold = 3000, time_window = "5m", time_aggregation = "average", direction = "increase", type = "change_count", value = 1 },"#;
    let (timeline, report) = drive(&scenario(1, "", rules), |k| match k {
        17..=19 => vec![],
        20..=22 => vec![(SEC / 2, 8 * SEC)],
        10..=39 => vec![(SEC / 2, 2 * SEC)],
        _ => vec![],
    });
    assert_eq!(
        timeline,
        steps(&[(0, 1, 0), (21, 1, 1), (24, 2, 0), (26, 2, 1), (29, 3, 0)])
    );
    assert_eq!((report.scale_events, report.peak_instances), (2, 3));
    assert_eq!((report.requests, report.served), (27, 27));
}

/// `ConcurrentRequestsPerInstance`: the time-average of admitted requests in flight over the
/// ready instances. Four slots an instance (`max_concurrent_requests_per_instance = 4`); in each
/// of minutes 10..39 four requests at 0.5 s past the minute, each 30 s, all running at once: 4 x
/// 30 s = 120 request-seconds a grain over ready x 60 instance-seconds, 2 / ready per instance.
/// Out: average over 5 min > 1.7 → +1; in: average over 5 min < 0.5 → -1.
/// - t = 14 (grains 9..13): 2.0 x 4 / 5 = 1.6: no; t = 15: 2.0 → 1 → 2 (ready 18:00, cooldown
///   to 20:00); grains 15..17 at 2.0, 18..39 at 1.0;
/// - t = 20 (grains 15..19): (2 x 3 + 1 x 2) / 5 = 1.6: no, and lower after. Counted per
///   endpoint rather than per instance, every loaded grain would be 2.0 and it would scale out
///   here;
/// - t = 41 (grains 36..40, 40 idle): 1.0 x 4 / 5 = 0.8, t = 42: 0.6, t = 43: 0.4 < 0.5 → in;
///   the out rule's estimate at 1 instance, 0.4 x 2 / 1 = 0.8, is not over 1.7: 2 → 1.
#[test]
fn concurrency_is_counted_per_ready_instance() {
    let rules = r#"  { metric = "ConcurrentRequestsPerInstance", operator = ">", threshold = 1.7, time_window = "5m", direction = "increase", type = "change_count", value = 1 },
  { metric = "ConcurrentRequestsPerInstance", operator = "<", threshold = 0.5, time_window = "5m", direction = "decrease", type = "change_count", value = 1 },"#;
    let (timeline, report) = drive(&scenario(4, "", rules), |k| {
        if (10..40).contains(&k) {
            vec![(SEC / 2, 30 * SEC); 4]
        } else {
            vec![]
        }
    });
    assert_eq!(
        timeline,
        steps(&[(0, 1, 0), (15, 1, 1), (18, 2, 0), (43, 1, 0)])
    );
    assert_eq!((report.scale_events, report.peak_instances), (2, 2));
    assert_eq!((report.requests, report.served), (120, 120));
}

/// A per-request CPU cost: CPU is the vCPUs the running requests use over the ready instances'
/// vCPUs (Standard_D2s_v3: 2 each), not the share of busy request slots. Four slots an
/// instance, 0.8 vCPU a request; in each of minutes 10..39 four requests of 30 s at 0.5 s past
/// the minute: 4 x 30 s x 0.8 vCPU = 96 vCPU-seconds a grain over ready x 60 s x 2 vCPUs,
/// 80 / ready percent. By slot share it would be 4 x 30 / (ready x 4 x 60) = 50 / ready: never
/// over 70, and nothing would move.
/// Out: CPU average over 5 min > 70 → +1; in: CPU average over 5 min < 20 → -1.
/// - t = 15: 80 → 1 → 2 (ready 18:00, cooldown to 20:00); grains 18..39 at 40;
/// - t = 20 (grains 15..19): (80 x 3 + 40 x 2) / 5 = 64: no; then lower;
/// - t = 41: 40 x 4 / 5 = 32, t = 42: 24, t = 43 (grains 38..42): 16 < 20 → in; the out rule's
///   estimate at 1 instance, 16 x 2 = 32, is not over 70: 2 → 1.
#[test]
fn a_per_request_cpu_cost_counts_vcpus_not_slots() {
    let rules = r#"  { metric = "CpuUtilizationPercentage", operator = ">", threshold = 70, time_window = "5m", direction = "increase", type = "change_count", value = 1 },
  { metric = "CpuUtilizationPercentage", operator = "<", threshold = 20, time_window = "5m", direction = "decrease", type = "change_count", value = 1 },"#;
    let load = |k| {
        if (10..40).contains(&k) {
            vec![(SEC / 2, 30 * SEC); 4]
        } else {
            vec![]
        }
    };
    let (timeline, report) = drive(&scenario(4, "cpu_per_request_vcpus = 0.8", rules), load);
    assert_eq!(
        timeline,
        steps(&[(0, 1, 0), (15, 1, 1), (18, 2, 0), (43, 1, 0)])
    );
    assert_eq!((report.scale_events, report.peak_instances), (2, 2));
    // Without the cost, by slot share: 50% at most, never over 70.
    let (timeline, _) = drive(&scenario(4, "", rules), load);
    assert_eq!(timeline, steps(&[(0, 1, 0)]));
}
