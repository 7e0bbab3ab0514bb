//! Which waits a replication counts: those of jobs that start inside the observation window
//! (at or after the warm-up's end, by the horizon), whenever they arrived. A job queued across
//! the warm-up's end counts its whole wait; a job still queued at the horizon counts none.
//!
//! Why by start and not by arrival: cut by arrival, the jobs queued at the horizon (the longest
//! waits of their time) were dropped while those queued across the warm-up's end were never
//! picked up, so the mean wait was biased low. On a stationary queue the two edges balance when
//! both are cut by start time (the starts inside the window are a stationary stream, and each
//! carries its own wait). Measured on the M/M/4 of tests/it/warmup_bias.rs (rho = 0.8, 5-day
//! warm-up, 3-day window, 18,000 replications): the mean of the per-replication means was 42.57
//! min cut by arrival, 43.48 min cut by start; an independent FCFS simulation written in
//! tests gave 42.86 and 43.76 under the same two rules.

use crate::support::{MAX_EVENTS, advance, job, s};
use capsim::engine::{EventQueue, Sampler, stream};
use capsim::targets::{Cluster, ClusterEvent, ClusterSpec, Tier};

fn one_node() -> ClusterSpec {
    ClusterSpec {
        size: "Standard_D2s_v3".into(),
        min_instances: 0,
        max_instances: 1,
        // Kept for the whole run: no scale-down in this timeline.
        idle_time_before_scale_down: Some(s(100_000)),
        tier: Tier::Dedicated,
        provisioning_time: Sampler::constant_s(0.0),
        backfill: false,
        price_usd_per_hour: 1.0,
        preemption: None,
        checkpoint_interval: None,
        eviction_time: 0,
        spot: None,
    }
}

#[test]
fn waits_count_by_start_time_at_both_edges_of_the_window() {
    // One node, provisioning 0; warm-up 1000 s, horizon 3000 s (window [1000, 3000]).
    //   0:    J0 (1200 s) starts at once (wait 0, started in warm-up: not counted), done 1200.
    //   600:  J1 (500 s) queues; starts 1200 (wait 600: arrived in warm-up, started inside the
    //         window, counted), done 1700.
    //   1500: J2 (1000 s) queues; starts 1700 (wait 200, counted), done 2700.
    //   2500: J3 (400 s) queues; starts 2700 (wait 200, counted), still running at 3000.
    //   2800: J4 (100 s) queues; would start 3100, after the horizon: not counted.
    // Counted: 600, 200, 200 -> 3 waits, mean 1000 / 3 s, longest 600 s. (Cut by arrival, the
    // rule before, counted only J2 and J3: mean 200 s.)
    let mut c = Cluster::new(one_node(), stream(1, 0, "test"), s(1000), s(3000));
    let mut q: EventQueue<ClusterEvent> = EventQueue::new();
    for (at, dur) in [(0, 1200), (600, 500), (1500, 1000), (2500, 400), (2800, 100)] {
        advance(&mut c, &mut q, s(at), MAX_EVENTS);
        c.submit(s(at), job(at, dur, 1), &mut q);
    }
    advance(&mut c, &mut q, s(3000), MAX_EVENTS);
    let r = c.finish(s(3000));
    assert_eq!(r.waits.count(), 3, "J1, J2 and J3 started inside the window");
    assert!((r.waits.mean() - s(1000) as f64 / 3.0).abs() < 1.0, "{}", r.waits.mean());
    assert_eq!(r.waits.max(), Some(s(600)));
    // Arrivals still count by arrival time: J2, J3, J4.
    assert_eq!(r.jobs_arrived, 3);
    assert_eq!((r.running_at_end, r.queued_at_end), (1, 1));
}
