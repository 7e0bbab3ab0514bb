//! Low-priority preemption on a compute cluster, on hand-computed timelines.

use crate::support::{MAX_EVENTS, advance, job, s};
use capsim::engine::{EventQueue, Sampler, stream};
use capsim::targets::{Cluster, ClusterEvent, ClusterReport, ClusterSpec, Tier};

/// One node at most, provisioning 100 s, idle time 120 s; every node is taken back exactly
/// `preempt_s` after it was requested.
fn spec(preempt_s: u64, checkpoint_s: Option<u64>) -> ClusterSpec {
    ClusterSpec {
        size: "Standard_NC4as_T4_v3".into(),
        min_instances: 0,
        max_instances: 1,
        idle_time_before_scale_down: Some(s(120)),
        tier: Tier::LowPriority,
        provisioning_time: Sampler::constant_s(100.0),
        backfill: false,
        price_usd_per_hour: 3.6,
        preemption: Some(Sampler::constant_s(preempt_s as f64)),
        checkpoint_interval: checkpoint_s.map(s),
        eviction_time: 0,
        spot: None,
    }
}

fn run(spec: ClusterSpec, duration_s: u64, horizon_s: u64) -> ClusterReport {
    let mut q: EventQueue<ClusterEvent> = EventQueue::new();
    let mut c = Cluster::new(spec, stream(1, 0, "t"), 0, s(horizon_s));
    c.arm_initial(&mut q);
    c.submit(0, job(0, duration_s, 1), &mut q);
    advance(&mut c, &mut q, s(horizon_s), MAX_EVENTS);
    c.finish(s(horizon_s))
}

#[test]
fn a_preempted_job_restarts_from_its_last_checkpoint() {
    // Job of 2000 s at t=0; nodes live 1000 s from their request; checkpoints every 400 s.
    //   node A: requested 0, ready 100, job runs 100..; A taken at 1000: ran 900 s, the
    //     checkpoint at 800 s keeps 800, loses 100; 1200 s remain; job back at the queue head.
    //   node B: requested 1000, ready 1100, job runs 1100..; B taken at 2000: ran 900 s, keeps
    //     800, loses 100; 400 s remain.
    //   node C: requested 2000, ready 2100, job runs 2100..2500 and completes (C would be taken
    //     at 3000); C idle 2500..2620, released at 2620.
    // Provisioning 3 x 100 = 300; busy 900 + 900 + 400 = 2200; idle 120; lost 200 node-s.
    // The wait is counted once, at the first start: 100 s.
    let r = run(spec(1000, Some(400)), 2000, 10_000);
    assert_eq!(r.preemptions, 2);
    assert_eq!(r.lost_area, s(200) as u128);
    assert_eq!(r.provisioning_area, s(300) as u128);
    assert_eq!(r.busy_area, s(2200) as u128);
    assert_eq!(r.idle_area, s(120) as u128);
    assert_eq!(r.nodes_requested, 3);
    assert_eq!(r.total_completed, 1);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.mean(), s(100) as f64);
    let v = capsim::metrics::values(&capsim::targets::TargetReport::Cluster(r));
    let m = |x: capsim::metrics::M| v[x as usize];
    use capsim::metrics::M;
    // 200 node-s at $3.60/h = $0.20; billed 2620 node-s = $2.62.
    assert!((m(M::lost_cost) - 0.2).abs() < 1e-12);
    assert!((m(M::cost) - 2.62).abs() < 1e-12);
    assert_eq!(m(M::preemptions), 2.0);
}

#[test]
fn without_checkpoints_a_preempted_job_starts_over() {
    // Job of 1500 s; nodes live 1000 s from their request, so 900 s after start-up: the job
    // never finishes. Node k is requested at 1000·k, ready at 1000·k + 100, runs the job until
    // taken at 1000·(k + 1), losing all 900 s. By the horizon of 4500 s, four nodes were taken
    // (at 1000, 2000, 3000, 4000): lost 4 x 900 = 3600 node-s; the fifth (ready 4100) is running
    // the job at the horizon.
    let r = run(spec(1000, None), 1500, 4500);
    assert_eq!(r.preemptions, 4);
    assert_eq!(r.lost_area, s(3600) as u128);
    assert_eq!(r.total_completed, 0);
    assert_eq!(r.running_at_end, 1);
    assert_eq!(
        r.total_arrived,
        r.total_completed + r.running_at_end + r.queued_at_end
    );
    // Billed: 5 x 100 s provisioning + 4 x 900 + 400 s busy.
    assert_eq!(r.provisioning_area, s(500) as u128);
    assert_eq!(r.busy_area, s(4000) as u128);
}

#[test]
fn an_idle_node_taken_back_is_simply_gone() {
    // Job of 300 s: node ready 100, job 100..400; idle from 400; taken at 1000? No: released
    // first at 400 + 120 = 520. Nothing is preempted, nothing lost.
    let r = run(spec(1000, None), 300, 5000);
    assert_eq!(r.preemptions, 0);
    assert_eq!(r.lost_area, 0);
    assert_eq!(r.idle_area, s(120) as u128);
    // Nodes that live only 450 s: taken back while idle at 450 (before the 520 release).
    let r = run(spec(450, None), 300, 5000);
    assert_eq!(r.preemptions, 1);
    assert_eq!(r.lost_area, 0);
    assert_eq!(r.idle_area, s(50) as u128);
    assert_eq!(r.total_completed, 1);
}
