//! Admission, 429 and 408 on a hand-computed request sequence.
//!
//! One instance, one slot (so at most 2 requests in flight), a 1 s timeout. Times in seconds:
//!
//! | arrives | service | what happens |
//! |---|---|---|
//! | 0.0 | 3.0 | runs; would end at 3.0, past its deadline 1.0: ends as 408 at 1.0 and frees the slot |
//! | 0.5 | 0.2 | waits (slot busy); starts at 1.0, ends 1.2: served, latency 0.7 |
//! | 0.6 | 0.1 | 2 already in flight: 429 |
//! | 2.0 | 0.5 | runs at once: served, latency 0.5 |
//! | 3.0 | 5.0 | 408 at 4.0 |
//! | 3.0 | 0.1 | waits behind it; its own deadline is also 4.0, so it leaves the queue as 408 at 4.0 |
//! | 5.0 | 1.0 | ends exactly at its deadline 6.0: served (a latency equal to the timeout is not a 408) |
//!
//! Served 3 (latencies 0.7, 0.5, 1.0: mean 733.33 ms), 429: 1, 408: 3, requests 7.

use crate::support::{MAX_EVENTS, S, advance};
use capsim::engine::{EventQueue, stream};
use capsim::metrics::{M, values};
use capsim::targets::TargetReport;
use capsim::targets::endpoint::{Endpoint, EndpointEvent, EndpointSpec, Request};

#[test]
fn timeouts_free_their_slot_and_429_caps_admission() {
    let spec = EndpointSpec {
        instance_type: "Standard_F4s_v2".into(),
        vcpus: 4,
        price_usd_per_hour: 1.0,
        instance_count: 1,
        max_concurrent_requests_per_instance: 1,
        request_timeout: S,
        autoscale: None,
        cpu_per_request_vcpus: None,
        slo: None,
        reject_status: 429,
        router: None,
        billing: capsim::targets::Billing::PerInstance,
    };
    let horizon = 10 * S;
    let mut e = Endpoint::new(spec, stream(1, 0, "x"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    let requests = [
        (0.0, 3.0),
        (0.5, 0.2),
        (0.6, 0.1),
        (2.0, 0.5),
        (3.0, 5.0),
        (3.0, 0.1),
        (5.0, 1.0),
    ];
    for (at, service) in requests {
        let at = (at * S as f64) as u64;
        advance(&mut e, &mut q, at, MAX_EVENTS);
        e.submit(
            at,
            Request {
                arrival: at,
                service: (service * S as f64) as u64,
            },
            &mut q,
        );
    }
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    let r = e.finish(horizon);
    assert_eq!(r.requests, 7);
    assert_eq!(r.served, 3);
    assert_eq!(r.rejected_429, 1);
    assert_eq!(r.timed_out_408, 3);
    assert_eq!(r.in_flight_at_end, 0);
    assert_eq!(r.latency.max(), Some(S));
    let v = values(&TargetReport::Endpoint(r));
    assert!((v[M::latency_mean as usize] - 2200.0 / 3.0).abs() < 1e-9);
    // Service time of served requests: (0.2 + 0.5 + 1.0) / 3 s.
    assert!((v[M::service_time_mean as usize] - 1700.0 / 3.0).abs() < 1e-9);
    assert!((v[M::rejected_429_share as usize] - 1.0 / 7.0).abs() < 1e-12);
    // One instance billed for 10 s at $1/h.
    assert!((v[M::cost as usize] - 10.0 / 3600.0).abs() < 1e-12);
}
