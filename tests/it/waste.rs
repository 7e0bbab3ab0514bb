//! Where the money goes: the `spend_*_usd` columns split `cost_usd` into useful work, the floor
//! (idle nodes held only by `min_instances`), the tail (idle nodes above the minimum, waiting for
//! scale-down), provisioning, lost work, endpoint headroom and fixed costs.
//!
//! - hand timelines of a cluster (the floor and tail rule of docs/models.md, a preemption with a
//!   checkpoint and a billed eviction) and of an endpoint's headroom, every number worked out
//!   below in the comments;
//! - a property over random scenarios (clusters dedicated and low priority, Spot from 2026,
//!   compute instances, online and Kubernetes endpoints, batch endpoints with timeouts): in every
//!   replication the parts are never negative and add up to `cost_usd` to the cent;
//! - every bundled scenario, briefly: the same, per replication and for the means.
//!
//! Prices are $3.60 per node-hour, $0.001 per node-second, so a cost is node-seconds / 1000.

use crate::support::{
    MAX_EVENTS, PRICE, advance, assert_close, bundled_scenarios, job, loads, metric, parse_as,
    proptest_config, s,
};
use capsim::engine::stats::DurationStats;
use capsim::engine::time::MICROS_PER_DAY;
use capsim::engine::{EventQueue, Sampler, stream};
use capsim::metrics::{self, M};
use capsim::scenario::LoadOptions;
use capsim::scenario::sweep::load_plan;
use capsim::targets::{
    Billing, Cluster, ClusterEvent, ClusterReport, ClusterSpec, EndpointReport, TargetReport, Tier,
};
use proptest::prelude::*;

/// The parts, in the order of the columns.
const PARTS: [M; 7] = [
    M::spend_busy,
    M::spend_floor,
    M::spend_tail,
    M::spend_provisioning,
    M::spend_lost_work,
    M::spend_headroom,
    M::spend_fixed,
];

/// Every part is a finite non-negative number and the parts add up to `cost_usd` to the cent;
/// returns the parts.
fn assert_adds_up(v: &[f64], what: &str) -> [f64; 7] {
    let parts = PARTS.map(|m| v[m as usize]);
    for (m, x) in PARTS.iter().zip(parts) {
        assert!(x.is_finite() && x >= -1e-9, "{what}: {} = {x}", m.name());
    }
    let cost = v[M::cost as usize];
    let sum: f64 = parts.iter().sum();
    assert!(
        (sum - cost).abs() < 0.005,
        "{what}: the parts add up to {sum}, cost_usd is {cost}: {parts:?}"
    );
    parts
}

fn spec(min: u32, max: u32, idle_s: u64, provisioning_s: u64) -> ClusterSpec {
    ClusterSpec {
        size: "Standard_NC6s_v3".into(),
        min_instances: min,
        max_instances: max,
        idle_time_before_scale_down: Some(s(idle_s)),
        tier: Tier::Dedicated,
        provisioning_time: Sampler::constant_s(provisioning_s as f64),
        backfill: false,
        price_usd_per_hour: PRICE,
        preemption: None,
        checkpoint_interval: None,
        eviction_time: 0,
        spot: None,
    }
}

/// Runs `(arrival_s, duration_s, nodes)` jobs through a cluster with window [0, horizon).
fn run(spec: ClusterSpec, jobs: &[(u64, u64, u32)], horizon_s: u64) -> ClusterReport {
    let mut c = Cluster::new(spec, stream(1, 0, "test"), 0, s(horizon_s));
    let mut q = EventQueue::<ClusterEvent>::new();
    c.arm_initial(&mut q);
    for &(at, dur, nodes) in jobs {
        advance(&mut c, &mut q, s(at), MAX_EVENTS);
        c.submit(s(at), job(at, dur, nodes), &mut q);
    }
    advance(&mut c, &mut q, s(horizon_s), MAX_EVENTS);
    c.finish(s(horizon_s))
}

/// min 1, max 3, idle time 600 s, provisioning 120 s; a 2-node job of 1000 s at 100 s and a
/// 1-node job of 500 s at 2500 s; horizon 4000 s. Node A is the minimum, ready at 0.
///
/// - 0-100: A idle, nothing else allocated: A ranks 1 ≤ min, floor (100 node-s).
/// - 100: the 2-node job queues; B is requested (provisioning 100-220: 120 node-s). A stays
///   idle, but B (not idle) ranks first and makes the minimum: A ranks 2 > 1, tail (120).
/// - 220-1220: B ready, the job runs on A and B (busy 2 × 1000 = 2000).
/// - 1220: both go idle, the cluster holds 2 > 1 nodes, so both get a timer (1820). One of
///   the two idle nodes makes the minimum: floor 600, tail 600.
/// - 1820: the first timer releases B; A's finds the cluster at its minimum and keeps A.
///   1820-2500: A floor (680).
/// - 2500-3000: the 1-node job runs on A (busy 500); 3000-4000: A idle, floor (1000).
///
/// Idle 100 + 120 + 1200 + 680 + 1000 = 3100, of which floor 100 + 600 + 680 + 1000 = 2380 and
/// tail 120 + 600 = 720; billed 120 + 2500 + 3100 = 5720 node-s = $5.72 = busy 2.50 + floor
/// 2.38 + tail 0.72 + provisioning 0.12.
#[test]
fn idle_nodes_at_or_below_the_minimum_are_floor_and_above_it_tail() {
    let r = run(
        spec(1, 3, 600, 120),
        &[(100, 1000, 2), (2500, 500, 1)],
        4000,
    );
    assert_eq!(r.idle_area, s(3100) as u128, "idle");
    assert_eq!(r.floor_idle_area, s(2380) as u128, "floor");
    assert_eq!(r.busy_area, s(2500) as u128, "busy");
    assert_eq!(r.provisioning_area, s(120) as u128, "provisioning");
    let v = metrics::values(&TargetReport::Cluster(r.clone()));
    let p = assert_adds_up(&v, "hand timeline");
    for (got, want, what) in [
        (p[0], 2.50, "busy"),
        (p[1], 2.38, "floor"),
        (p[2], 0.72, "tail"),
        (p[3], 0.12, "provisioning"),
        (p[4], 0.0, "lost work"),
        (p[5], 0.0, "headroom"),
        (p[6], 0.0, "fixed"),
        (metric(&r, M::cost), 5.72, "cost"),
    ] {
        assert_close(got, want, what);
    }
}

/// The same cluster with min 0: nothing is ever floor, every idle second is tail.
#[test]
fn without_a_minimum_every_idle_node_is_tail() {
    // A 1-node job of 100 s at 0: provisioning 0-120, busy 120-220, idle 220-820 (tail 600),
    // released at 820; horizon 1000 s. $0.12 + $0.10 + $0.60 = $0.82.
    let r = run(spec(0, 3, 600, 120), &[(0, 100, 1)], 1000);
    assert_eq!(r.floor_idle_area, 0);
    let v = metrics::values(&TargetReport::Cluster(r));
    let p = assert_adds_up(&v, "min 0");
    assert_close(p[2], 0.60, "tail");
    assert_close(p[0], 0.10, "busy");
    assert_close(p[3], 0.12, "provisioning");
}

/// min 0, max 1, idle time 100 s, provisioning 60 s; a low-priority node lives 700 s from its
/// request, is billed 30 s after it is taken back (eviction), and jobs checkpoint every 300 s.
/// One 1-node job of 800 s at 0; horizon 1200 s.
///
/// - 0-60: N1 provisioning (60); its eviction comes at 700.
/// - 60-700: the job runs (busy 640). At 700 it has run 640 s: 600 s are checkpointed, 40 s are
///   lost (run again); 200 s remain. N1 is evicting 700-730 (30, billed, lost), holding its
///   place against `max_instances` = 1; N2 is asked for when it is gone: provisioning 730-790
///   (60).
/// - 790-990: the job's last 200 s run on N2 (busy 200); N2 idle 990-1090 (tail 100), released.
///
/// Billed 120 + 840 + 30 + 100 = 1090 node-s = $1.09 = busy (840 − 40) 0.80 + lost (40 + 30)
/// 0.07 + provisioning 0.12 + tail 0.10.
#[test]
fn lost_work_is_preempted_work_run_again_plus_the_eviction() {
    let mut sp = spec(0, 1, 100, 60);
    sp.tier = Tier::LowPriority;
    sp.preemption = Some(Sampler::constant_s(700.0));
    sp.checkpoint_interval = Some(s(300));
    sp.eviction_time = s(30);
    let r = run(sp, &[(0, 800, 1)], 1200);
    assert_eq!(r.lost_area, s(40) as u128, "lost");
    assert_eq!(r.evicting_area, s(30) as u128, "evicting");
    assert_eq!(r.busy_area, s(840) as u128, "busy");
    assert_eq!(r.idle_area, s(100) as u128, "idle");
    assert_eq!(r.total_completed, 1);
    let v = metrics::values(&TargetReport::Cluster(r));
    let p = assert_adds_up(&v, "preemption");
    for (got, want, what) in [
        (p[0], 0.80, "busy"),
        (p[1], 0.0, "floor"),
        (p[2], 0.10, "tail"),
        (p[3], 0.12, "provisioning"),
        (p[4], 0.07, "lost work"),
        (v[M::cost as usize], 1.09, "cost"),
    ] {
        assert_close(got, want, what);
    }
}

fn endpoint_report(billing: Billing) -> EndpointReport {
    let hour = 3_600_000_000u128;
    EndpointReport {
        window: 10 * 3_600_000_000,
        price_usd_per_hour: 2.0,
        max_concurrent_requests_per_instance: 4,
        requests: 0,
        served: 0,
        rejected_429: 0,
        rejected_503: 0,
        timed_out_408: 0,
        in_flight_at_end: 0,
        latency: DurationStats::new(),
        service: DurationStats::new(),
        slo: None,
        within_slo: 0,
        ready_area: 20 * hour,
        provisioning_area: hour,
        busy_slot_area: 30 * hour,
        peak_instances: 3,
        scale_events: 0,
        scale_ins_skipped_for_flapping: 0,
        scale_ins_reduced_for_flapping: 0,
        billing,
    }
}

/// 20 ready instance-hours at 4 requests each are 80 slot-hours of capacity; requests held 30
/// slot-hours (request-seconds / 3600), i.e. 7.5 instance-hours; 12.5 instance-hours of capacity
/// went unused. At $2: busy $15, headroom $25, provisioning (1 h) $2; cost 21 h × $2 = $42.
#[test]
fn endpoint_headroom_is_capacity_requests_did_not_use() {
    let v = metrics::values(&TargetReport::Endpoint(endpoint_report(
        Billing::PerInstance,
    )));
    let p = assert_adds_up(&v, "managed online");
    for (got, want, what) in [
        (p[0], 15.0, "busy"),
        (p[5], 25.0, "headroom"),
        (p[3], 2.0, "provisioning"),
        (p[1] + p[2] + p[4] + p[6], 0.0, "floor, tail, lost, fixed"),
        (v[M::cost as usize], 42.0, "cost"),
    ] {
        assert_close(got, want, what);
    }
}

/// A Kubernetes node pool of 3 nodes bills 3 × 10 h × $2 = $60 whatever the replicas; spread
/// over the replicas' 21 hours in the same proportions: busy 7.5/21, provisioning 1/21,
/// headroom 12.5/21 of $60.
#[test]
fn a_node_pool_bill_is_split_in_the_proportions_of_its_replicas_time() {
    let v = metrics::values(&TargetReport::Endpoint(endpoint_report(
        Billing::NodePool { nodes: 3 },
    )));
    let p = assert_adds_up(&v, "kubernetes");
    assert_close(p[0], 60.0 * 7.5 / 21.0, "busy");
    assert_close(p[3], 60.0 / 21.0, "provisioning");
    assert_close(p[5], 60.0 * 12.5 / 21.0, "headroom");
}

// ---------------------------------------------------------------------------------------------
// Random scenarios
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Target {
    Cluster {
        min: u32,
        extra: u32,
        idle_s: u32,
        provisioning_s: u32,
        /// Low priority: mean hours between evictions and a checkpoint interval in minutes.
        low_priority: Option<(u32, Option<u32>)>,
        /// A 2026 date makes low priority Spot (billed evictions, a variable price).
        spot_era: bool,
    },
    Instance {
        idle_min: Option<u32>,
    },
    Endpoint {
        kubernetes: bool,
        instances: u32,
        mcr: u32,
        rate: f64,
        mean_ms: u32,
    },
    Batch {
        mini_batch_timeout_s: u32,
        max_retries: u32,
        low_priority: bool,
    },
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => (0u32..3, 1u32..5, 0u32..1800, 0u32..900,
              prop::option::of((1u32..12, prop::option::of(5u32..60))), any::<bool>())
            .prop_map(|(min, extra, idle_s, provisioning_s, low_priority, spot_era)| {
                Target::Cluster { min, extra, idle_s, provisioning_s, low_priority, spot_era }
            }),
        1 => prop::option::of(15u32..120).prop_map(|idle_min| Target::Instance { idle_min }),
        1 => (any::<bool>(), 1u32..4, 1u32..4, 0.5f64..40.0, 5u32..400)
            .prop_map(|(kubernetes, instances, mcr, rate, mean_ms)| {
                Target::Endpoint { kubernetes, instances, mcr, rate, mean_ms }
            }),
        1 => (20u32..400, 0u32..3, any::<bool>())
            .prop_map(|(mini_batch_timeout_s, max_retries, low_priority)| {
                Target::Batch { mini_batch_timeout_s, max_retries, low_priority }
            }),
    ]
}

fn scenario_text(t: &Target, rate_per_hour: f64, median_min: u32, seed: u64) -> String {
    let mut s = format!("name = \"w\"\nhorizon = \"1d\"\nreplications = 2\nseed = {seed}\n");
    let workload = |compute: &str, nodes: u32| {
        format!(
            "\n[[workload]]\nname = \"jobs\"\ncompute = \"{compute}\"\n\
             arrivals = {{ process = \"poisson\", rate_per_hour = {rate_per_hour} }}\n\
             duration = {{ dist = \"lognormal\", median = \"{median_min}m\", p95 = \"{}m\" }}\n\
             instance_count = {nodes}\n",
            median_min * 3
        )
    };
    match *t {
        Target::Cluster {
            min,
            extra,
            idle_s,
            provisioning_s,
            low_priority,
            spot_era,
        } => {
            if spot_era {
                s += "start_date = 2026-06-01\n";
            } else {
                s += "start_date = 2025-06-02\n";
            }
            s += &format!(
                "\n[[compute]]\nname = \"c\"\ntype = \"amlcompute\"\nsize = \"Standard_D4ds_v4\"\n\
                 min_instances = {min}\nmax_instances = {}\nidle_time_before_scale_down = \"{idle_s}s\"\n\
                 provisioning_time = {{ dist = \"constant\", value = \"{provisioning_s}s\" }}\n",
                min + extra
            );
            if let Some((h, ck)) = low_priority {
                s += &format!(
                    "tier = \"low_priority\"\npreemption = {{ mean_time_between = \"{h}h\" }}\n"
                );
                if let Some(m) = ck {
                    s += &format!("checkpoint_interval = \"{m}m\"\n");
                }
            }
            s += &workload("c", 1 + extra.min(2) / 2);
        }
        Target::Instance { idle_min } => {
            s += "\n[[compute]]\nname = \"ci\"\ntype = \"computeinstance\"\nsize = \"Standard_D4ds_v4\"\n";
            if let Some(m) = idle_min {
                s += &format!("idle_time_before_shutdown = \"{m}m\"\n");
            }
            s += &workload("ci", 1);
        }
        Target::Endpoint {
            kubernetes,
            instances,
            mcr,
            rate,
            mean_ms,
        } => {
            s = s.replace("horizon = \"1d\"", "horizon = \"2h\"");
            let settings = format!(
                "request_settings = {{ max_concurrent_requests_per_instance = {mcr}, request_timeout_ms = 2000 }}\n"
            );
            if kubernetes {
                s += &format!(
                    "\n[[endpoint]]\nname = \"e\"\ntype = \"kubernetes_online\"\n\
                     node_size = \"Standard_D4s_v3\"\nnode_count = {}\ncpu_request_vcpus = 1.0\n{settings}\
                     scale_settings = {{ min_instances = 1, max_instances = {}, target_utilization_percentage = 50, polling_interval = \"10s\" }}\n",
                    instances + 1,
                    instances + 2
                );
            } else {
                s += &format!(
                    "\n[[endpoint]]\nname = \"e\"\ntype = \"managed_online\"\ninstance_type = \"Standard_F4s_v2\"\n\
                     instance_count = {instances}\n{settings}"
                );
            }
            s += &format!(
                "\n[[traffic]]\nname = \"r\"\nendpoint = \"e\"\n\
                 arrivals = {{ process = \"poisson\", rate_per_second = {rate} }}\n\
                 service_time = {{ dist = \"exponential\", mean = \"{mean_ms}ms\" }}\n"
            );
        }
        Target::Batch {
            mini_batch_timeout_s,
            max_retries,
            low_priority,
        } => {
            s += &format!(
                "\n[[compute]]\nname = \"bc\"\ntype = \"amlcompute\"\nsize = \"Standard_D4ds_v4\"\n\
                 min_instances = 0\nmax_instances = 4\nidle_time_before_scale_down = \"300s\"\n\
                 provisioning_time = {{ dist = \"constant\", value = \"120s\" }}\n{}",
                if low_priority {
                    "tier = \"low_priority\"\npreemption = { mean_time_between = \"2h\" }\n"
                } else {
                    ""
                }
            );
            s += &format!(
                "\n[[endpoint]]\nname = \"b\"\ntype = \"batch\"\ncompute = \"bc\"\ninstance_count = 2\n\
                 max_concurrency_per_instance = 2\nmini_batch_size = 4\n\
                 retry_settings = {{ max_retries = {max_retries}, timeout = \"{mini_batch_timeout_s}s\" }}\n\
                 \n[[traffic]]\nname = \"inv\"\nendpoint = \"b\"\n\
                 arrivals = {{ process = \"poisson\", rate_per_hour = {rate_per_hour} }}\n\
                 files = 40\n\
                 time_per_file = {{ dist = \"exponential\", mean = \"30s\" }}\n"
            );
        }
    }
    s
}

proptest! {
    #![proptest_config(proptest_config(0x5eed_0017, 120))]

    /// In every replication of every target the parts are never negative and add up to
    /// `cost_usd` to the cent.
    #[test]
    fn the_parts_add_up_to_the_cost(
        t in target(),
        rate_per_hour in 0.5f64..12.0,
        median_min in 1u32..120,
        seed in 0u64..1000,
    ) {
        let text = scenario_text(&t, rate_per_hour, median_min, seed);
        let sc = match parse_as("w.toml", &text) {
            Ok(l) => l.scenario,
            Err(e) => {
                // Only combinations a kind does not accept may be refused, with a located error.
                prop_assert!(e.to_string().contains("w.toml:"), "{}\n{}", e, text);
                return Ok(());
            }
        };
        let result = capsim::sweep::run(&sc, 1, None).unwrap();
        for row in &result.rows {
            for (i, v) in row.targets.iter().enumerate() {
                assert_adds_up(v, &format!("target {i} replication {}\n{text}", row.replication));
            }
        }
    }
}

/// The scenario generator writes what the loader accepts: the property above must not pass by
/// refusing every case.
#[test]
fn the_generated_scenarios_load() {
    for t in [
        Target::Cluster {
            min: 1,
            extra: 2,
            idle_s: 600,
            provisioning_s: 60,
            low_priority: Some((2, Some(10))),
            spot_era: true,
        },
        Target::Instance { idle_min: Some(30) },
        Target::Endpoint {
            kubernetes: true,
            instances: 2,
            mcr: 2,
            rate: 5.0,
            mean_ms: 50,
        },
        Target::Endpoint {
            kubernetes: false,
            instances: 2,
            mcr: 2,
            rate: 5.0,
            mean_ms: 50,
        },
        Target::Batch {
            mini_batch_timeout_s: 60,
            max_retries: 1,
            low_priority: true,
        },
    ] {
        let _ = loads(&scenario_text(&t, 4.0, 20, 1));
    }
}

/// Every bundled scenario (every setting of a sweep), two days and two replications: the parts
/// add up to the cost in every replication and their means to the mean cost.
#[test]
fn every_bundled_scenario_adds_up_to_the_cent() {
    for file in bundled_scenarios() {
        let text = std::fs::read_to_string(&file).unwrap();
        let plan = load_plan(&file, &text, &LoadOptions::default(), &[], &[])
            .unwrap_or_else(|e| panic!("{} does not load:\n{e}", file.display()));
        for variant in &plan.variants {
            let mut sc = variant.scenario.clone();
            sc.system.horizon = sc.system.horizon.min(2 * MICROS_PER_DAY);
            sc.system.warmup = sc.system.warmup.min(sc.system.horizon / 4);
            sc.replications = 2;
            let result = capsim::sweep::run(&sc, 0, None).unwrap();
            for row in &result.rows {
                for (i, v) in row.targets.iter().enumerate() {
                    assert_adds_up(v, &format!("{} target {i}", file.display()));
                }
            }
            for (i, est) in result.summary(sc.system.targets.len()).iter().enumerate() {
                let means: Vec<f64> = est.iter().map(|e| e.mean).collect();
                assert_adds_up(&means, &format!("{} target {i}, means", file.display()));
            }
        }
    }
}

/// A batch job on a 1-node cluster (min 0, provisioning 60 s, idle time 600 s), 2 workers per
/// node; 3 files of 20 s in mini-batches of 2: mb0 (2 files, 40 s) and mb1 (1 file, 20 s);
/// `retry_settings.timeout` 30 s, `max_retries` 1. The job arrives at 0; horizon 1000 s.
///
/// - 0-60: the node provisions (60).
/// - 60: w0 takes mb0, stopped at the timeout at 90; w1 takes mb1, done at 80.
/// - 90: mb0 is retried (its first timeout), 90-120, and stopped again: it fails (files
///   failed, no threshold) and the job ends at 120. Node busy 60-120 (60); idle 120-720 (tail
///   600), then released.
///
/// The two stopped attempts ran 30 s each on a worker worth half the node: 30 node-s lost.
/// Cluster: billed 60 + 60 + 600 = 720 node-s = $0.72 = busy (60 − 30) 0.03 + lost 0.03 +
/// provisioning 0.06 + tail 0.60. The batch endpoint's row: the job held its node 60 s, $0.06
/// = busy 0.03 + lost 0.03.
#[test]
fn timed_out_mini_batch_attempts_are_lost_work() {
    use capsim::targets::{BatchReport, BatchSpec};
    use std::sync::Arc;
    let horizon = s(1000);
    let mut c = Cluster::new(spec(0, 4, 600, 60), stream(1, 0, "test"), 0, horizon);
    c.add_batch(
        0,
        Arc::new(BatchSpec {
            endpoint: "scorer".into(),
            endpoint_target: 1,
            files: 3,
            mini_batch_size: 2,
            max_concurrency_per_instance: 2,
            max_retries: 1,
            timeout: s(30),
            error_threshold: None,
            time_per_file: Sampler::constant_s(20.0),
        }),
        stream(1, 0, "files"),
    );
    let mut q = EventQueue::<ClusterEvent>::new();
    c.submit(0, job(0, 0, 1), &mut q);
    advance(&mut c, &mut q, horizon, MAX_EVENTS);
    let mut r = c.finish(horizon);
    let (_, _, stats, _) = r.batches[0].clone();
    assert_eq!((stats.retries, stats.mini_batches_failed), (1, 1));
    assert_close(stats.timed_out_area, s(30) as f64, "timed-out area");
    let v = metrics::values(&TargetReport::Cluster(r.clone()));
    let p = assert_adds_up(&v, "batch cluster");
    for (got, want, what) in [
        (p[0], 0.03, "busy"),
        (p[2], 0.60, "tail"),
        (p[3], 0.06, "provisioning"),
        (p[4], 0.03, "lost work"),
        (v[M::cost as usize], 0.72, "cost"),
    ] {
        assert_close(got, want, what);
    }
    let report = BatchReport {
        window: r.window,
        price_usd_per_hour: r.price_usd_per_hour,
        max_concurrency_per_instance: 2,
        jobs: r.workloads.remove(0),
        stats,
        queued_at_end: 0,
    };
    let v = metrics::values(&TargetReport::Batch(report));
    let p = assert_adds_up(&v, "batch endpoint");
    assert_close(p[0], 0.03, "batch busy");
    assert_close(p[4], 0.03, "batch lost work");
    assert_close(v[M::cost as usize], 0.06, "batch cost");
}
