//! Azure Monitor's anti-flapping check on hand-computed autoscale timelines of a managed online
//! endpoint.
//!
//! Azure ("Flapping in Autoscale", "Best practices for Autoscale"): before a scale-in, autoscale
//! estimates the metric at the new count as value x current count / new count; if that would
//! trigger a scale-out rule it scales in by less, or not at all, and evaluates again at the next
//! run (no cooldown starts).
//!
//! The endpoint is read from scenario text and driven directly as in `autoscale_timelines.rs`:
//! one slot per instance, provisioning a constant 3 min, cooldown 5 min, every rule on
//! CpuUtilizationPercentage averaged over 5 min. At 0.5 s past each loaded minute, `per_minute`
//! requests of `service` seconds each arrive. With as many slots as requests, a grain's CPU is
//! then exactly requests x service / (instances x 60 s); the tick at minute t reads grains
//! t−5 .. t−1, so the first window is full at t = 5.

use crate::support::{MAX_EVENTS, MIN, S, advance, endpoint_spec};
use capsim::engine::{EventQueue, stream};
use capsim::targets::EndpointReport;
use capsim::targets::endpoint::{Endpoint, EndpointEvent, Request};

const HORIZON_MIN: u64 = 30;

struct Case {
    instances: u32,
    min: u32,
    max: u32,
    /// Scale out by 1 when CPU > this.
    out_above_percent: f64,
    /// Scale in by `in_by` when CPU < this.
    in_below_percent: f64,
    in_by: u32,
    per_minute: u32,
    service_s: u64,
    /// Minutes at whose start requests arrive: `0..loaded_until_min`.
    loaded_until_min: u64,
}

/// (ready, provisioning) at 0.5 s past each minute 0..30, and the final report.
fn drive(c: &Case) -> (Vec<(u32, u32)>, EndpointReport) {
    let text = format!(
        r#"
horizon = "{HORIZON_MIN}m"
replications = 1

[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = {instances}
request_settings = {{ max_concurrent_requests_per_instance = 1, request_timeout_ms = 180000 }}

[endpoint.autoscale]
min = {min}
max = {max}
default = {instances}
cooldown = "5m"
provisioning_time = {{ dist = "constant", value = "3m" }}
rules = [
  {{ metric = "CpuUtilizationPercentage", operator = ">", threshold = {out}, time_window = "5m", direction = "increase", value = 1 }},
  {{ metric = "CpuUtilizationPercentage", operator = "<", threshold = {inn}, time_window = "5m", direction = "decrease", value = {in_by} }},
]

[[traffic]]
name = "t"
endpoint = "e"
arrivals = {{ process = "poisson", rate_per_second = 1.0 }}
service_time = {{ dist = "constant", value = "{service}s" }}
"#,
        instances = c.instances,
        min = c.min,
        max = c.max,
        out = c.out_above_percent,
        inn = c.in_below_percent,
        in_by = c.in_by,
        service = c.service_s,
    );
    let spec = endpoint_spec(&text);
    let horizon = HORIZON_MIN * MIN;
    let mut e = Endpoint::new(spec, stream(1, 0, "p"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    let mut timeline = vec![];
    for k in 0..HORIZON_MIN {
        let t = k * MIN + S / 2;
        advance(&mut e, &mut q, t, MAX_EVENTS);
        let s = e.sample(t);
        timeline.push((
            s.nodes_allocated - s.nodes_provisioning,
            s.nodes_provisioning,
        ));
        if k < c.loaded_until_min {
            for _ in 0..c.per_minute {
                let r = Request {
                    arrival: t,
                    service: c.service_s * S,
                };
                e.submit(t, r, &mut q);
            }
        }
    }
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    (timeline, e.finish(horizon))
}

fn billed_instance_min(r: &EndpointReport) -> f64 {
    (r.ready_area + r.provisioning_area) as f64 / MIN as f64
}

/// (a) CPU 50% on 3 instances, in when < 60%, out when > 70%: the scale-in is skipped.
///
/// Load: 3 requests of 30 s a minute for minutes 0..19. On 3 instances a grain's CPU is
/// 3 x 30 / (3 x 60) = 50%.
/// - t = 5..20: the window averages 50 < 60, so the in-rule fires; the estimate at 2 instances
///   is 50 x 3 / 2 = 75 > 70, so the scale-in is skipped, 16 times (t = 5, 6, ..., 20).
/// - t = 21: grains 16..20 = (50 x 4 + 0) / 5 = 40 < 60; estimate 40 x 3 / 2 = 60 <= 70: scale in
///   to 2 at once. That it acts at 21:00 shows a skip starts no cooldown.
/// - t = 26 on: 0% fires the in-rule but min is 2: nothing to do.
///
/// Without the check the endpoint would flap: scale in at 5:00; on 2 instances the third request
/// of each minute waits 30 s, so a grain's CPU is 90 / 120 = 75% (74.6% for the first, which has
/// no request left over from the minute before); at 10:00 the 5-minute average is above 70:
/// scale out (ready at 13:00); at 17:00 grains 12..16 average (75 + 50.3 + 50 x 3) / 5 = 55.1 <
/// 60: scale in again, and so on every 12 minutes, each time with a third of the requests
/// waiting 30 s.
///
/// Billed: 21 minutes x 3 + 9 minutes x 2 = 81 instance-minutes. Every request runs at once:
/// latency 30 s for all 20 x 3 = 60.
#[test]
fn a_scale_in_that_would_scale_right_back_out_is_skipped() {
    let (timeline, r) = drive(&Case {
        instances: 3,
        min: 2,
        max: 4,
        out_above_percent: 70.0,
        in_below_percent: 60.0,
        in_by: 1,
        per_minute: 3,
        service_s: 30,
        loaded_until_min: 20,
    });
    for (m, &at) in timeline.iter().enumerate() {
        let want = if m < 21 { (3, 0) } else { (2, 0) };
        assert_eq!(at, want, "minute {m}");
    }
    assert_eq!(r.scale_ins_skipped_for_flapping, 16);
    assert_eq!(r.scale_ins_reduced_for_flapping, 0);
    assert_eq!(r.scale_events, 1);
    assert_eq!(r.peak_instances, 3);
    assert!((billed_instance_min(&r) - 81.0).abs() < 1e-9);
    assert_eq!(r.provisioning_area, 0);
    assert_eq!(r.requests, 60);
    assert_eq!(r.served, 60);
    assert_eq!(r.latency.max(), Some(30 * S));
}

/// (b) The estimate stays below the out threshold: the scale-in happens; the next one would
/// flap and is skipped.
///
/// Load: 3 requests of 24 s every minute. In when CPU < 65%, out when > 70%, min 1.
/// - t = 5: 3 instances at 3 x 24 / 180 = 40% < 65; estimate 40 x 3 / 2 = 60 <= 70: scale in to 2
///   at 5:00 (cooldown until 10:00).
/// - On 2 instances two requests run 0.5..24.5 s and the third waits and runs 24.5..48.5 s:
///   CPU (2 x 24 + 24) / 120 = 60%, as estimated.
/// - t = 10..29: 60 < 65 fires the in-rule; the estimate at 1 instance, 60 x 2 / 1 = 120 > 70,
///   skips it: 20 skips.
///
/// Billed: 5 x 3 + 25 x 2 = 65 instance-minutes. Latency: minutes 0..4, 15 requests of 24 s;
/// minutes 5..29, each minute 24, 24 and 48 s: mean (15 x 24 + 25 x 96) / 90 = 2760 / 90 s.
#[test]
fn b_a_scale_in_whose_estimate_stays_below_the_out_threshold_goes_ahead() {
    let (timeline, r) = drive(&Case {
        instances: 3,
        min: 1,
        max: 4,
        out_above_percent: 70.0,
        in_below_percent: 65.0,
        in_by: 1,
        per_minute: 3,
        service_s: 24,
        loaded_until_min: HORIZON_MIN,
    });
    for (m, &at) in timeline.iter().enumerate() {
        let want = if m < 5 { (3, 0) } else { (2, 0) };
        assert_eq!(at, want, "minute {m}");
    }
    assert_eq!(r.scale_events, 1);
    assert_eq!(r.scale_ins_skipped_for_flapping, 20);
    assert_eq!(r.scale_ins_reduced_for_flapping, 0);
    assert!((billed_instance_min(&r) - 65.0).abs() < 1e-9);
    assert_eq!(r.served, 90);
    assert_eq!(r.latency.max(), Some(48 * S));
    let want_mean_us = 2760.0 / 90.0 * S as f64;
    assert!(
        (r.latency.mean() - want_mean_us).abs() < 1e-6,
        "{}",
        r.latency.mean()
    );
}

/// A scale-in by 4 that would flap is shortened to the largest reduction that does not.
///
/// Load: 3 requests of 24 s every minute on 6 instances: 72 / 360 = 20%. In by 4 (to 2) when
/// CPU < 30%, out when > 50%. Estimates 20 x 6 / n: n = 2: 60 > 50 (flaps); n = 3: 40 <= 50.
/// - t = 5: scale in 6 → 3 instead of 2.
/// - On 3 instances: 72 / 180 = 40%, not < 30: no further scale-in.
///
/// Billed: 5 x 6 + 25 x 3 = 105 instance-minutes; every request runs at once (24 s).
#[test]
fn a_scale_in_that_would_flap_is_shortened_to_the_largest_safe_reduction() {
    let (timeline, r) = drive(&Case {
        instances: 6,
        min: 1,
        max: 6,
        out_above_percent: 50.0,
        in_below_percent: 30.0,
        in_by: 4,
        per_minute: 3,
        service_s: 24,
        loaded_until_min: HORIZON_MIN,
    });
    for (m, &at) in timeline.iter().enumerate() {
        let want = if m < 5 { (6, 0) } else { (3, 0) };
        assert_eq!(at, want, "minute {m}");
    }
    assert_eq!(r.scale_events, 1);
    assert_eq!(r.scale_ins_reduced_for_flapping, 1);
    assert_eq!(r.scale_ins_skipped_for_flapping, 0);
    assert!((billed_instance_min(&r) - 105.0).abs() < 1e-9);
    assert_eq!(r.latency.max(), Some(24 * S));
}
