//! Hand-computed autoscale timelines of a managed online endpoint.
//!
//! The endpoint is read from scenario text (so the TOML → rules path is covered) and then driven
//! directly, one request per ready instance at 0.5 s past each minute of the load phase, each
//! taking 59 s. Every grain's CPU utilisation is then exact: 59/60 = 98.33% while loaded (every
//! slot busy 59 s of 60), 0% otherwise, whatever the instance count.
//!
//! Rules (one instance slot each, `max_concurrent_requests_per_instance = 1`):
//! - out: CpuUtilizationPercentage average over 5 min > 90 → +1 (cooldown 5 min);
//! - in:  CpuUtilizationPercentage average over 5 min < 30 → −1;
//! - in:  RequestsPerMinute maximum over 10 min < 1 → −1.
//!
//! Bounds 1..3, provisioning a constant 3 min, load from minute 10 to minute 40.
//!
//! Timeline, minute by minute (the tick at minute t reads grains t−5 .. t−1):
//! - t = 15: grains 10..14 all 98.3% → scale out 1 → 2; the instance is ready at 18:00.
//! - t = 16..19: the out-rule still fires, but the cooldown (until 20:00) holds it back.
//! - t = 20: scale out 2 → 3; ready at 23:00; cooldown until 25:00. Afterwards at max.
//! - t = 44: CPU grains 39..43 = (98.33 + 0 x 4) / 5 = 19.7% < 30 → the CPU in-rule fires, but
//!   RequestsPerMinute's 10-minute window (34..43) still holds 3 requests a minute: no scale-in.
//! - t = 50: grains 40..49 have no request → both in-rules fire → scale in 3 → 2 at once.
//! - t = 55: after the cooldown, 2 → 1 (min). Four scale events in all.
//! - Anti-flapping holds neither scale-in back: the out-rule's estimate at the new count is
//!   0% x 3 / 2 = 0 and 0% x 2 / 1 = 0, not above 90.
//!
//! Billed instance-minutes: 15 x 1 + 5 x 2 + 30 x 3 + 5 x 2 + 15 x 1 = 140 over 70 minutes
//! (a provisioning instance is billed).

use crate::support::{MAX_EVENTS, MIN, advance, endpoint_spec};
use capsim::engine::{EventQueue, stream};
use capsim::targets::TargetReport;
use capsim::targets::endpoint::{Endpoint, EndpointEvent, Request};

const SCENARIO: &str = r#"
horizon = "70m"
replications = 1

[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 1
request_settings = { max_concurrent_requests_per_instance = 1, request_timeout_ms = 180000 }

[endpoint.autoscale]
min = 1
max = 3
default = 1
cooldown = "5m"
provisioning_time = { dist = "constant", value = "3m" }
rules = [
  { metric = "CpuUtilizationPercentage", operator = ">", threshold = 90, time_window = "5m", direction = "increase", type = "change_count", value = 1 },
  { metric = "CpuUtilizationPercentage", operator = "<", threshold = 30, time_window = "5m", direction = "decrease", value = 1 },
  { metric = "RequestsPerMinute", operator = "<", threshold = 1, time_window = "10m", time_aggregation = "maximum", direction = "decrease", value = 1 },
]

[[traffic]]
name = "t"
endpoint = "e"
arrivals = { process = "poisson", rate_per_second = 1.0 }
service_time = { dist = "constant", value = "59s" }
"#;

/// (ready, provisioning) at 0.5 s past each minute 0..70, and the final report.
fn drive() -> (Vec<(u32, u32)>, capsim::targets::EndpointReport) {
    let spec = endpoint_spec(SCENARIO);
    let horizon = 70 * MIN;
    let mut e = Endpoint::new(spec, stream(1, 0, "p"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    let mut timeline = vec![];
    for k in 0..70u64 {
        let t = k * MIN + 500_000;
        advance(&mut e, &mut q, t, MAX_EVENTS);
        let s = e.sample(t);
        let ready = s.nodes_allocated - s.nodes_provisioning;
        timeline.push((ready, s.nodes_provisioning));
        if (10..40).contains(&k) {
            for _ in 0..ready {
                e.submit(
                    t,
                    Request {
                        arrival: t,
                        service: 59_000_000,
                    },
                    &mut q,
                );
            }
        }
    }
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    (timeline, e.finish(horizon))
}

#[test]
fn scale_out_after_the_window_then_cooldown_then_scale_in_on_all_rules() {
    let (timeline, report) = drive();
    let at = |m: usize| timeline[m];
    // Before the load and during the first window: one instance.
    for m in 0..=14 {
        assert_eq!(at(m), (1, 0), "minute {m}");
    }
    // Scale-out at 15:00, instance ready at 18:00.
    for m in 15..=17 {
        assert_eq!(at(m), (1, 1), "minute {m}");
    }
    // The cooldown holds the next action until 20:00.
    for m in 18..=19 {
        assert_eq!(at(m), (2, 0), "minute {m}");
    }
    for m in 20..=22 {
        assert_eq!(at(m), (2, 1), "minute {m}");
    }
    // At max from 23:00; the CPU in-rule fires from 44:00 but waits for the requests rule.
    for m in 23..=49 {
        assert_eq!(at(m), (3, 0), "minute {m}");
    }
    for m in 50..=54 {
        assert_eq!(at(m), (2, 0), "minute {m}");
    }
    for m in 55..70 {
        assert_eq!(at(m), (1, 0), "minute {m}");
    }
    assert_eq!(report.scale_events, 4);
    assert_eq!(report.peak_instances, 3);
    let billed_min = (report.ready_area + report.provisioning_area) as f64 / MIN as f64;
    assert!((billed_min - 140.0).abs() < 1e-9, "{billed_min}");
    // 3 minutes of provisioning, twice.
    assert_eq!(report.provisioning_area, 6 * MIN as u128);
    // Every request was served at once: 1 + 1 + 1 + 1 + 1 (minutes 10..14) + ... no 429 or 408.
    assert_eq!(report.rejected_429, 0);
    assert_eq!(report.timed_out_408, 0);
    // Minutes 10..17: 1 a minute (8); 18..22: 2 (10); 23..39: 3 (51).
    assert_eq!(report.requests, 8 + 10 + 51);
    assert_eq!(report.served, report.requests);
    let metrics = capsim::metrics::values(&TargetReport::Endpoint(report));
    assert!((metrics[capsim::metrics::M::instances_mean as usize] - 2.0).abs() < 1e-9);
}

#[test]
fn recurrence_profile_bounds_apply_in_their_hours() {
    // A profile for Monday 00:10 to 00:20 with min = max = 2: autoscale moves the count to 2 at
    // the first evaluation inside it (00:10), ignoring rules and cooldown, and back to the
    // default profile's max (1) at 00:20.
    let text = r#"
horizon = "30m"
replications = 1

[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 1

[endpoint.autoscale]
min = 1
max = 1
provisioning_time = { dist = "constant", value = "1m" }

[[endpoint.autoscale.profiles]]
name = "busy"
days = ["monday"]
start = "00:10"
end = "00:20"
min = 2
max = 2
"#;
    let spec = endpoint_spec(text);
    let horizon = 30 * MIN;
    let mut e = Endpoint::new(spec, stream(1, 0, "p"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    let mut seen = vec![];
    for k in 0..30u64 {
        let t = k * MIN + 500_000;
        advance(&mut e, &mut q, t, MAX_EVENTS);
        seen.push(e.sample(t).nodes_allocated);
    }
    let want: Vec<u32> = (0..30)
        .map(|m| if (10..20).contains(&m) { 2 } else { 1 })
        .collect();
    assert_eq!(seen, want);
}
