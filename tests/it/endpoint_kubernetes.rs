//! Kubernetes online endpoints: the router's target-utilisation autoscaler on a hand-computed
//! timeline, 503 beyond the in-flight limit, the node pool billed always on, and validation.
//!
//! Autoscaler timeline: one slot per replica, min 1, max 3, target 50%, polling every 10 s, a
//! replica serves 5 s after it is asked for, node pool 2 x Standard_D4s_v3. One request runs from
//! 0 s to 30 s; nothing else arrives. At each poll the router asks for
//! ceil(replicas x busy slot-seconds / slot-seconds since the last poll / 0.5):
//! - 10 s: 1 replica busy the whole 10 s → ceil(1 x 1 / 0.5) = 2 (ready at 15 s);
//! - 20 s: slot-seconds 1 x 5 + 2 x 5 = 15, busy 10 → ceil(2 x 0.667 / 0.5) = ceil(2.67) = 3
//!   (ready at 25 s);
//! - 30 s: slot-seconds 2 x 5 + 3 x 5 = 25, busy 10 → ceil(3 x 0.4 / 0.5) = ceil(2.4) = 3: stay;
//! - 40 s on: idle → 1 asked, but scale-down follows the highest count asked within the last
//!   5 minutes, 3 (asked at 30 s), until 330 s: then 3 → 1.
//!
//! Replica-seconds to 400 s: 1 x 10 + 2 x 10 + 3 x 310 + 1 x 70 = 1030. Three scale events.

use crate::support::{MAX_EVENTS, S, advance, errors, loads, on};
use capsim::engine::{EventQueue, stream};
use capsim::metrics::{M, values};
use capsim::targets::endpoint::{Endpoint, EndpointEvent, Request};
use capsim::targets::{TargetKind, TargetReport};

fn spec_of(text: &str) -> capsim::targets::EndpointSpec {
    let scenario = loads(text);
    let TargetKind::Endpoint { spec, type_name } = &scenario.system.targets[0].kind else {
        panic!("not an endpoint")
    };
    assert_eq!(*type_name, "kubernetes_online");
    spec.clone()
}

const BASE: &str = r#"
horizon = "400s"
replications = 1

[[endpoint]]
name = "aks"
type = "kubernetes_online"
node_size = "Standard_D4s_v3"
node_count = 2
cpu_request_vcpus = 1.0
request_settings = { max_concurrent_requests_per_instance = 1, request_timeout_ms = 60000 }
"#;

#[test]
fn router_scales_on_target_utilisation_and_holds_before_scaling_down() {
    let text = format!(
        "{BASE}scale_settings = {{ min_instances = 1, max_instances = 3, target_utilization_percentage = 50, polling_interval = \"10s\" }}\nreplica_start_time = {{ dist = \"constant\", value = \"5s\" }}\n"
    );
    let spec = spec_of(&text);
    let price = spec.price_usd_per_hour;
    let horizon = 400 * S;
    let mut e = Endpoint::new(spec, stream(1, 0, "k"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    e.submit(
        0,
        Request {
            arrival: 0,
            service: 30 * S,
        },
        &mut q,
    );
    let mut seen = vec![];
    for t in [12, 16, 22, 26, 35, 325, 335, 399] {
        advance(&mut e, &mut q, t * S, MAX_EVENTS);
        let s = e.sample(t * S);
        seen.push((t, s.nodes_allocated, s.nodes_provisioning));
    }
    assert_eq!(
        seen,
        vec![
            (12, 2, 1),
            (16, 2, 0),
            (22, 3, 1),
            (26, 3, 0),
            (35, 3, 0),
            (325, 3, 0),
            (335, 1, 0),
            (399, 1, 0)
        ]
    );
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    let r = e.finish(horizon);
    assert_eq!(r.scale_events, 3);
    assert_eq!(r.ready_area + r.provisioning_area, 1030 * S as u128);
    let v = values(&TargetReport::Endpoint(r));
    // The node pool bills 2 nodes for the 400 s whatever the replicas.
    assert!((v[M::cost as usize] - 2.0 * price * 400.0 / 3600.0).abs() < 1e-12);
    assert_eq!(v[M::served as usize], 1.0);
}

#[test]
fn beyond_the_in_flight_limit_is_503_not_429() {
    // A fixed single replica with one slot admits 2 requests; the third gets 503.
    let text = format!("{BASE}scale_settings = {{ type = \"default\" }}\ninstance_count = 1\n");
    let spec = spec_of(&text);
    let horizon = 100 * S;
    let mut e = Endpoint::new(spec, stream(1, 0, "k"), 0, horizon);
    let mut q: EventQueue<EndpointEvent> = EventQueue::new();
    e.arm_initial(&mut q);
    for _ in 0..3 {
        e.submit(
            0,
            Request {
                arrival: 0,
                service: S,
            },
            &mut q,
        );
    }
    advance(&mut e, &mut q, horizon, MAX_EVENTS);
    let r = e.finish(horizon);
    assert_eq!((r.served, r.rejected_503, r.rejected_429), (2, 1, 0));
}

#[test]
fn replicas_must_fit_the_node_pool() {
    // 2 x Standard_D4s_v3 (4 vCPUs, 16 GiB) hold 8 replicas of 1 vCPU.
    let text = format!("{BASE}scale_settings = {{ max_instances = 9 }}\n");
    let e = errors(&text);
    let d = on(&e, "endpoint.aks.scale_settings.max_instances", 12);
    assert!(d.message.contains("holds 8 replicas"), "{d}");
    let ok = format!("{BASE}scale_settings = {{ max_instances = 8 }}\n");
    spec_of(&ok);
}

#[test]
fn managed_only_and_kubernetes_only_fields_are_located() {
    let text = format!("{BASE}autoscale = {{ min = 1, max = 2 }}\n");
    let e = errors(&text);
    assert!(
        e.iter()
            .any(|d| d.field == "endpoint.aks.autoscale" && d.line == 12),
        "{e:#?}"
    );
    let text = r#"
horizon = "1h"
[[endpoint]]
name = "m"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 1
node_count = 3
"#;
    let e = errors(text);
    assert!(
        e.iter()
            .any(|d| d.field == "endpoint.m.node_count" && d.line == 8),
        "{e:#?}"
    );
}
