//! Exact, hand-computed timelines of the Azure ML compute cluster model.
//!
//! Every test drives `capsim::targets::Cluster` directly with an `EventQueue`, with constant
//! provisioning times, so every wait, every node state change and every area is known exactly.
//! Times in comments are seconds; areas are node × seconds (the report stores node ×
//! microseconds, hence the `s()` conversion in the assertions). Prices are chosen as
//! $3.60 per node-hour, i.e. $0.001 per node-second, so a cost is the billed node-seconds / 1000.

use crate::support::{
    MAX_EVENTS, PRICE, advance, area, assert_close, assert_conserved, job, metric, s,
};
use capsim::engine::{EventQueue, Sampler, SimTime, stream};
use capsim::metrics::{self, M};
use capsim::targets::{
    Cluster, ClusterEvent, ClusterReport, ClusterSample, ClusterSpec, Job, TargetReport, Tier,
};

struct Cfg {
    min: u32,
    max: u32,
    idle_s: u64,
    provisioning_s: u64,
    backfill: bool,
}

impl Cfg {
    fn new(min: u32, max: u32, idle_s: u64, provisioning_s: u64) -> Self {
        Cfg {
            min,
            max,
            idle_s,
            provisioning_s,
            backfill: false,
        }
    }

    fn backfill(mut self, on: bool) -> Self {
        self.backfill = on;
        self
    }

    fn spec(&self) -> ClusterSpec {
        ClusterSpec {
            size: "Standard_NC6s_v3".into(),
            min_instances: self.min,
            max_instances: self.max,
            idle_time_before_scale_down: Some(s(self.idle_s)),
            tier: Tier::Dedicated,
            provisioning_time: Sampler::constant_s(self.provisioning_s as f64),
            backfill: self.backfill,
            price_usd_per_hour: PRICE,
            preemption: None,
            checkpoint_interval: None,
            eviction_time: 0,
            spot: None,
        }
    }
}

/// A cluster plus its event queue, advanced by hand.
struct Harness {
    cluster: Cluster,
    queue: EventQueue<ClusterEvent>,
}

impl Harness {
    fn new(cfg: &Cfg, window_from: SimTime, window_to: SimTime) -> Self {
        Harness {
            cluster: Cluster::new(cfg.spec(), stream(1, 0, "test"), window_from, window_to),
            queue: EventQueue::new(),
        }
    }

    /// Handles every event due at or before `t` (events at exactly `t` included).
    /// Panics rather than hangs if the model keeps rescheduling events at one instant.
    fn advance_to(&mut self, t: SimTime) {
        advance(&mut self.cluster, &mut self.queue, t, MAX_EVENTS);
    }

    /// Advances to `at_s` seconds, then submits a job arriving then.
    fn submit(&mut self, at_s: u64, duration_s: u64, nodes: u32) {
        let t = s(at_s);
        self.advance_to(t);
        self.cluster
            .submit(t, job(at_s, duration_s, nodes), &mut self.queue);
    }

    /// Advances to `t` and samples the state then.
    fn sample_at(&mut self, t: SimTime) -> ClusterSample {
        self.advance_to(t);
        self.cluster.sample(t)
    }

    fn finish(mut self, horizon: SimTime) -> ClusterReport {
        self.advance_to(horizon);
        self.cluster.finish(horizon)
    }
}

/// Submits `(arrival_s, duration_s, nodes)` jobs in order, runs to `horizon_s` and reports.
fn run(cfg: &Cfg, window: (u64, u64), jobs: &[(u64, u64, u32)], horizon_s: u64) -> ClusterReport {
    let mut h = Harness::new(cfg, s(window.0), s(window.1));
    for &(at, dur, nodes) in jobs {
        h.submit(at, dur, nodes);
    }
    h.finish(s(horizon_s))
}

fn assert_areas(r: &ClusterReport, provisioning_s: u64, busy_s: u64, idle_s: u64, queue_s: u64) {
    assert_eq!(
        r.provisioning_area,
        area(provisioning_s),
        "provisioning area"
    );
    assert_eq!(r.busy_area, area(busy_s), "busy area");
    assert_eq!(r.idle_area, area(idle_s), "idle area");
    assert_eq!(r.queue_area, area(queue_s), "queue area");
}

fn assert_sample(
    got: ClusterSample,
    (allocated, busy, provisioning, idle, queue): (u32, u32, u32, u32, u32),
    billed_node_s: f64,
    when: &str,
) {
    assert_eq!(
        (
            got.nodes_allocated,
            got.nodes_busy,
            got.nodes_provisioning,
            got.nodes_idle,
            got.queue_jobs
        ),
        (allocated, busy, provisioning, idle, queue),
        "counts (allocated, busy, provisioning, idle, queue) at {when}"
    );
    assert_close(
        got.cumulative_cost_usd,
        billed_node_s / 1000.0,
        &format!("cumulative cost at {when}"),
    );
}

#[test]
fn one_job_into_an_empty_cluster() {
    // min 0, max 4, idle 120 s, provisioning P = 300 s. One job at 1000 s running 600 s.
    //   1000: submitted; demand 1 > supply 0 → one node requested, ready at 1300.
    //   1300: node ready, job starts: wait = 300 s = P. Job done at 1900.
    //   1900: node idle, timer for 1900 + 120 = 2020.
    //   2020: released.
    // provisioning 1000..1300 = 300, busy 1300..1900 = 600, idle 1900..2020 = 120 node-s;
    // billed 1020 node-s = 0.283333 node-h → $1.02. queue: one job for 300 s.
    let cfg = Cfg::new(0, 4, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(10_000));
    h.submit(1000, 600, 1);
    assert_sample(h.sample_at(s(1000)), (1, 0, 1, 0, 1), 0.0, "1000 s");
    assert_sample(h.sample_at(s(1300)), (1, 1, 0, 0, 0), 300.0, "1300 s");
    assert_sample(h.sample_at(s(1900)), (1, 0, 0, 1, 0), 900.0, "1900 s");
    // Still there one microsecond before the timeout, gone exactly at it.
    let just_before = h.sample_at(s(2020) - 1);
    assert_eq!(just_before.nodes_allocated, 1);
    assert_sample(h.sample_at(s(2020)), (0, 0, 0, 0, 0), 1020.0, "2020 s");
    let r = h.finish(s(10_000));

    assert_areas(&r, 300, 600, 120, 300);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.waits.quantile(0.5), s(300) as f64);
    assert_eq!(r.waits.quantile(0.99), s(300) as f64);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (1, 1));
    assert_eq!((r.peak_nodes, r.nodes_requested), (1, 1));
    assert_eq!(r.window, s(10_000));
    assert_conserved(&r);
    assert_eq!((r.running_at_end, r.queued_at_end), (0, 0));

    // Derived metrics: 1020 node-s = 1020/3600 h at $3.60/h = $1.02.
    assert_close(metric(&r, M::node_hours), 1020.0 / 3600.0, "node_hours");
    assert_close(metric(&r, M::busy_node_hours), 600.0 / 3600.0, "busy h");
    assert_close(metric(&r, M::idle_node_hours), 120.0 / 3600.0, "idle h");
    assert_close(
        metric(&r, M::provisioning_node_hours),
        300.0 / 3600.0,
        "prov h",
    );
    assert_close(metric(&r, M::cost), 1.02, "cost");
    assert_close(
        metric(&r, M::idle_cost),
        0.42,
        "idle cost (idle + provisioning)",
    );
    assert_close(metric(&r, M::cost_per_job), 1.02, "cost per job");
    assert_close(metric(&r, M::utilization), 600.0 / 1020.0, "utilization");
    assert_close(metric(&r, M::wait_mean), 300.0, "wait_mean_s");
    assert_close(metric(&r, M::wait_max), 300.0, "wait_max_s");
    // Window 10,000 s: 1 job / (10,000/3600 h); queue mean 300/10,000; nodes mean 1020/10,000.
    assert_close(metric(&r, M::throughput), 0.36, "throughput");
    assert_close(metric(&r, M::queue_mean), 0.03, "queue_jobs_mean");
    assert_close(metric(&r, M::nodes_mean), 0.102, "nodes_mean");
    // $1.02 over 10,000 s scaled to a month of 730 h = 1.02 × 2,628,000 / 10,000.
    assert_close(metric(&r, M::cost_per_month), 268.056, "cost_per_month");
}

#[test]
fn two_overlapping_jobs_with_room_for_two_nodes() {
    // max 2, idle 120, P 300. J1 at 0 for 1000 s; J2 at 500 for 1000 s.
    //   0:    node A requested (ready 300).
    //   300:  J1 starts on A (wait 300), done 1300.
    //   500:  J2: demand 1 > supply 0, room 1 → node B requested (ready 800).
    //   800:  J2 starts on B (wait 300), done 1800.
    //   1300: A idle → released 1420.   1800: B idle → released 1920.
    // provisioning 300 + 300 = 600; busy 1000 + 1000 = 2000; idle 120 + 120 = 240;
    // billed A 0..1420 + B 500..1920 = 1420 + 1420 = 2840 = 600 + 2000 + 240.
    // queue: J1 0..300 + J2 500..800 = 600.
    let r = run(
        &Cfg::new(0, 2, 120, 300),
        (0, 5000),
        &[(0, 1000, 1), (500, 1000, 1)],
        5000,
    );
    assert_areas(&r, 600, 2000, 240, 600);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_eq!((r.peak_nodes, r.nodes_requested), (2, 2));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (2, 2));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 2.84, "cost");
}

#[test]
fn two_overlapping_jobs_on_one_node_reuse_it() {
    // max 1, idle 120, P 300. J1 at 0 for 1000 s; J2 at 500 for 1000 s.
    //   0:    node A requested (ready 300).
    //   300:  J1 starts on A (wait 300), done 1300; A's first idle timer (for 420) is stale.
    //   500:  J2 queued; demand 1 > supply 0 but room 0 → no request.
    //   1300: J1 done; A idle (timer 1420) and immediately takes J2 (wait 800), done 2300.
    //   1420: stale timer: A is busy, not released.
    //   2300: A idle again → timer restarts, released at 2300 + 120 = 2420.
    // provisioning 300; busy 2000; idle 2300..2420 = 120; billed 0..2420 = 2420.
    // queue: J1 0..300 + J2 500..1300 = 1100.
    let cfg = Cfg::new(0, 1, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(5000));
    h.submit(0, 1000, 1);
    h.submit(500, 1000, 1);
    assert_sample(h.sample_at(s(500)), (1, 1, 0, 0, 1), 500.0, "500 s");
    assert_sample(h.sample_at(s(1300)), (1, 1, 0, 0, 0), 1300.0, "1300 s");
    assert_sample(h.sample_at(s(1420)), (1, 1, 0, 0, 0), 1420.0, "1420 s");
    assert_sample(
        h.sample_at(s(2420) - 1),
        (1, 0, 0, 1, 0),
        2419.999999,
        "just before 2420 s",
    );
    assert_sample(h.sample_at(s(2420)), (0, 0, 0, 0, 0), 2420.0, "2420 s");
    let r = h.finish(s(5000));

    assert_areas(&r, 300, 2000, 120, 1100);
    assert_eq!(
        r.nodes_requested, 1,
        "the second job reuses the node: no provisioning"
    );
    assert_eq!(r.peak_nodes, 1);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(550) as f64, "(300 + 800) / 2");
    assert_eq!(r.waits.max(), Some(s(800)));
    // The histogram's upper quantiles clamp to the exact maximum; the median is the lower wait
    // to within the histogram's 0.1%.
    assert_eq!(r.waits.quantile(0.99), s(800) as f64);
    let p50 = r.waits.quantile(0.5);
    assert!(
        p50 >= s(300) as f64 && p50 <= s(300) as f64 * 1.001,
        "p50 {p50}"
    );
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 2.42, "cost");
}

#[test]
fn two_node_job_into_an_empty_cluster() {
    // max 4, idle 120, P 300. One 2-node job at 100 for 1000 s.
    //   100:  demand 2 > supply 0 → 2 nodes requested, both ready at 400.
    //   400:  first ready: 1 idle < 2, still waiting; second ready: job starts on both
    //         (wait 300), done 1400.
    //   1400: both idle, timers for 1520; both released then (demand 0 < supply).
    // provisioning 2 × 300 = 600; busy 2 × 1000 = 2000; idle 2 × 120 = 240; billed 2 × 1420.
    // queue: 100..400 = 300.
    let cfg = Cfg::new(0, 4, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(5000));
    h.submit(100, 1000, 2);
    assert_sample(h.sample_at(s(100)), (2, 0, 2, 0, 1), 0.0, "100 s");
    assert_sample(h.sample_at(s(400)), (2, 2, 0, 0, 0), 600.0, "400 s");
    assert_sample(h.sample_at(s(1400)), (2, 0, 0, 2, 0), 2600.0, "1400 s");
    assert_sample(h.sample_at(s(1520)), (0, 0, 0, 0, 0), 2840.0, "1520 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 600, 2000, 240, 300);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!((r.peak_nodes, r.nodes_requested), (2, 2));
    assert_conserved(&r);
}

#[test]
fn two_node_job_with_one_idle_node_requests_just_one_more() {
    // max 4, idle 1000, P 300.
    //   0:    J1 (1 node, 100 s): node A requested, ready 300; J1 runs 300..400 (wait 300).
    //   400:  A idle, timer for 1400.
    //   500:  J2 (2 nodes, 1000 s): 1 idle < 2 → queued; demand 2 − supply 1 = 1 → node B
    //         requested (ready 800). Only one more, not two.
    //   800:  B ready: J2 starts on A and B (wait 300), done 1800. A's timer at 1400 is stale.
    //   1800: both idle, timers for 2800; both released at 2800.
    // provisioning A 0..300 + B 500..800 = 600; busy 100 + 2 × 1000 = 2100;
    // idle A 400..800 = 400 plus 2 × 1000 = 2400; billed A 0..2800 + B 500..2800 = 5100.
    // queue: J1 0..300 + J2 500..800 = 600.
    let cfg = Cfg::new(0, 4, 1000, 300);
    let mut h = Harness::new(&cfg, 0, s(5000));
    h.submit(0, 100, 1);
    h.submit(500, 1000, 2);
    assert_sample(h.sample_at(s(500)), (2, 0, 1, 1, 1), 500.0, "500 s");
    assert_sample(h.sample_at(s(1400)), (2, 2, 0, 0, 0), 2300.0, "1400 s");
    assert_sample(
        h.sample_at(s(2800) - 1),
        (2, 0, 0, 2, 0),
        5099.999998,
        "just before 2800 s",
    );
    assert_sample(h.sample_at(s(2800)), (0, 0, 0, 0, 0), 5100.0, "2800 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 600, 2100, 2400, 600);
    assert_eq!(r.nodes_requested, 2, "A for J1, then just B for J2");
    assert_eq!(r.peak_nodes, 2);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.waits.quantile(0.5), s(300) as f64);
    assert_conserved(&r);
}

#[test]
fn max_instances_caps_the_autoscaler() {
    // max 2, idle 120, P 300. Three 1-node jobs at 0, each 1000 s.
    //   0:    J1 → A requested; J2 → B requested; J3: demand 3 > supply 2 but room 0.
    //   300:  A ready → J1 (wait 300); B ready → J2 (wait 300); both done 1300.
    //   1300: J1 done: A idle (timer 1420) and takes J3 (wait 1300), done 2300;
    //         J2 done: B idle, timer 1420.
    //   1420: A's timer stale; B released (demand 0 < supply 1).
    //   2300: A idle → released 2420.
    // provisioning 2 × 300 = 600; busy 3 × 1000 = 3000; idle B 1300..1420 + A 2300..2420 = 240;
    // billed A 0..2420 + B 0..1420 = 3840. queue: 300 + 300 + 1300 = 1900.
    // Waits 300, 300, 1300: mean 1900/3 s.
    let cfg = Cfg::new(0, 2, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(5000));
    h.submit(0, 1000, 1);
    h.submit(0, 1000, 1);
    h.submit(0, 1000, 1);
    // Also the mid-run samples: counts and cumulative cost ($0.001 per node-second).
    assert_sample(h.sample_at(0), (2, 0, 2, 0, 3), 0.0, "0 s");
    assert_sample(h.sample_at(s(150)), (2, 0, 2, 0, 3), 300.0, "150 s");
    assert_sample(h.sample_at(s(300)), (2, 2, 0, 0, 1), 600.0, "300 s");
    assert_sample(h.sample_at(s(1300)), (2, 1, 0, 1, 0), 2600.0, "1300 s");
    assert_sample(h.sample_at(s(1420)), (1, 1, 0, 0, 0), 2840.0, "1420 s");
    assert_sample(h.sample_at(s(2300)), (1, 0, 0, 1, 0), 3720.0, "2300 s");
    assert_sample(h.sample_at(s(2420)), (0, 0, 0, 0, 0), 3840.0, "2420 s");
    assert_sample(h.sample_at(s(4000)), (0, 0, 0, 0, 0), 3840.0, "4000 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 600, 3000, 240, 1900);
    assert_eq!((r.peak_nodes, r.nodes_requested), (2, 2));
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(1900) as f64 / 3.0);
    assert_eq!(r.waits.max(), Some(s(1300)));
    assert_eq!(r.waits.quantile(0.99), s(1300) as f64);
    let p50 = r.waits.quantile(0.5);
    assert!(
        p50 >= s(300) as f64 && p50 <= s(300) as f64 * 1.001,
        "p50 {p50}"
    );
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 3.84, "cost");
}

#[test]
fn min_instances_exist_from_time_zero_and_are_never_released() {
    // min 2, max 4, idle 120, P 300. Horizon 3000.
    // Two nodes idle from 0, no timers. One job at 1000 for 500 s starts at once (wait 0);
    // when it ends the cluster is at min, so no timer: both stay to the horizon.
    // busy 500; idle 2 × 3000 − 500 = 5500; billed 2 × 3000 = 6000 node-s = $6.
    let cfg = Cfg::new(2, 4, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(3000));
    assert_sample(h.sample_at(0), (2, 0, 0, 2, 0), 0.0, "0 s");
    // Billing counts them from zero: $0.001 × 2 nodes × 1000 s before any job.
    assert_sample(h.sample_at(s(1000)), (2, 0, 0, 2, 0), 2000.0, "1000 s");
    h.submit(1000, 500, 1);
    assert_sample(
        h.sample_at(s(1000)),
        (2, 1, 0, 1, 0),
        2000.0,
        "1000 s after submit",
    );
    assert_sample(h.sample_at(s(2999)), (2, 0, 0, 2, 0), 5998.0, "2999 s");
    let r = h.finish(s(3000));
    assert_areas(&r, 0, 500, 5500, 0);
    assert_eq!(
        r.nodes_requested, 0,
        "min nodes are not requested by the autoscaler"
    );
    assert_eq!(r.peak_nodes, 2);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.mean(), 0.0);
    assert_eq!(r.waits.max(), Some(0));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 6.0, "cost");
    assert_close(metric(&r, M::nodes_mean), 2.0, "nodes_mean");
}

#[test]
fn min_instances_are_billed_from_zero_but_reported_from_the_window() {
    // Same as above with a warm-up: window [1000, 3000). The time series' cumulative cost counts
    // from time zero (2 nodes × 1000 s = $2 at 1000 s); the report's areas start at 1000:
    // busy 500, idle 2 × 2000 − 500 = 3500, cost 4000 node-s = $4.
    let cfg = Cfg::new(2, 4, 120, 300);
    let mut h = Harness::new(&cfg, s(1000), s(3000));
    assert_sample(h.sample_at(s(1000)), (2, 0, 0, 2, 0), 2000.0, "1000 s");
    h.submit(1000, 500, 1);
    assert_sample(h.sample_at(s(3000)), (2, 0, 0, 2, 0), 6000.0, "3000 s");
    let r = h.finish(s(3000));
    assert_areas(&r, 0, 500, 3500, 0);
    assert_close(metric(&r, M::cost), 4.0, "window cost");
    assert_close(metric(&r, M::nodes_mean), 2.0, "nodes_mean");
    assert_conserved(&r);
}

#[test]
fn min_instances_floor_holds_when_a_burst_scales_above_it() {
    // min 2, max 4, idle 120, P 300. Three 1-node jobs at 1000, each 500 s.
    //   1000: J1, J2 start on the two min nodes (wait 0); J3: demand 1 > supply 0 → node C
    //         requested (ready 1300).
    //   1300: C ready → J3 (wait 300), done 1800.
    //   1500: J1, J2 done: 3 allocated > min 2 → both get timers for 1620.
    //   1620: first timer releases one node (3 > 2, demand 0 < supply 2); the second finds the
    //         cluster at min (2) and keeps its node.
    //   1800: C idle, allocated 2 = min → no timer. Two nodes to the horizon.
    // allocated: 2 on 0..1000, 3 on 1000..1620, 2 on 1620..3000 → 2000 + 1860 + 2760 = 6620.
    // provisioning 300; busy 3 × 500 = 1500; idle 6620 − 1800 = 4820
    //   (2 × 1000 + 2 × 120 + 1 × 180 + 2 × 1200). Queue: J3 1000..1300 = 300.
    let cfg = Cfg::new(2, 4, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(3000));
    for _ in 0..3 {
        h.submit(1000, 500, 1);
    }
    assert_sample(h.sample_at(s(1000)), (3, 2, 1, 0, 1), 2000.0, "1000 s");
    assert_sample(h.sample_at(s(1500)), (3, 1, 0, 2, 0), 3500.0, "1500 s");
    assert_sample(h.sample_at(s(1620)), (2, 1, 0, 1, 0), 3860.0, "1620 s");
    assert_sample(h.sample_at(s(1800)), (2, 0, 0, 2, 0), 4220.0, "1800 s");
    assert_sample(h.sample_at(s(2999)), (2, 0, 0, 2, 0), 6618.0, "2999 s");
    let r = h.finish(s(3000));
    assert_areas(&r, 300, 1500, 4820, 300);
    assert_eq!((r.peak_nodes, r.nodes_requested), (3, 1));
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(100) as f64, "(0 + 0 + 300) / 3");
    assert_conserved(&r);
}

#[test]
fn warm_up_is_excluded_and_areas_are_clipped_to_the_window() {
    // Window [1000, 5000), horizon 5000; max 2, idle 120, P 300.
    //   800:  J0 (arrives in warm-up, 700 s): node requested, ready 1100.
    //   1100: J0 starts (wait 300: recorded, it started inside the window, though it arrived
    //         before it; see tests/it/wait_window.rs), done 1800.
    //   1800: J0 completes inside the window (counted as completed); idle, released 1920.
    //   2000: J1 (500 s) arrives inside the window: node requested, ready 2300.
    //   2300: J1 starts (wait 300, recorded), done 2800; released 2920.
    // In the window: provisioning 1000..1100 + 2000..2300 = 400; busy 1100..1800 + 2300..2800
    // = 1200; idle 1800..1920 + 2800..2920 = 240; queue 1000..1100 + 2000..2300 = 400.
    // Billed since zero (the sample's cost, warm-up included): 800..1920 + 2000..2920 = 2040.
    let cfg = Cfg::new(0, 2, 120, 300);
    let mut h = Harness::new(&cfg, s(1000), s(5000));
    h.submit(800, 700, 1);
    h.submit(2000, 500, 1);
    assert_sample(h.sample_at(s(5000)), (0, 0, 0, 0, 0), 2040.0, "5000 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 400, 1200, 240, 400);
    assert_eq!(r.window, s(4000));
    assert_eq!(r.jobs_arrived, 1, "J0 arrived during warm-up");
    assert_eq!(r.jobs_completed, 2, "both completed inside the window");
    assert_eq!(r.waits.count(), 2, "both started inside the window");
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!((r.total_arrived, r.total_completed), (2, 2));
    assert_eq!(r.nodes_requested, 2, "nodes_requested covers the whole run");
    assert_eq!(r.peak_nodes, 1);
    assert_conserved(&r);
    // Cost is over the window only: 400 + 1200 + 240 = 1840 node-s = $1.84.
    assert_close(metric(&r, M::cost), 1.84, "window cost");
    assert_close(metric(&r, M::jobs_arrived), 1.0, "jobs_arrived metric");
}

#[test]
fn areas_are_clipped_at_the_window_end() {
    // Same timeline as above, window [1000, 2500), run on to 5000.
    // In the window: provisioning 100 + 300 = 400; busy 700 + 2300..2500 = 900; idle 120;
    // queue 100 + 300 = 400. J0 starts at 1100 and J1 at 2300, both inside the window, so both
    // waits are recorded.
    let r = run(
        &Cfg::new(0, 2, 120, 300),
        (1000, 2500),
        &[(800, 700, 1), (2000, 500, 1)],
        5000,
    );
    assert_areas(&r, 400, 900, 120, 400);
    assert_eq!(r.window, s(1500));
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_conserved(&r);
}

#[test]
fn idle_timer_restarts_from_the_last_idle_start() {
    // max 1, idle 600, P 300.
    //   0:    J1 (100 s): node requested, ready 300; J1 300..400 (wait 300).
    //   400:  idle, timer for 1000.
    //   700:  J2 (200 s) takes the idle node at once (wait 0), done 900.
    //   900:  idle again, timer for 1500. At 1000 the first timer is stale.
    //   1500: released: 600 s after the *last* idle start, not 600 s after the first.
    // provisioning 300; busy 100 + 200 = 300; idle 400..700 + 900..1500 = 900; billed 1500.
    let cfg = Cfg::new(0, 1, 600, 300);
    let mut h = Harness::new(&cfg, 0, s(4000));
    h.submit(0, 100, 1);
    h.submit(700, 200, 1);
    assert_sample(
        h.sample_at(s(1000)),
        (1, 0, 0, 1, 0),
        1000.0,
        "1000 s (stale timer)",
    );
    assert_sample(
        h.sample_at(s(1500) - 1),
        (1, 0, 0, 1, 0),
        1499.999999,
        "just before 1500 s",
    );
    assert_sample(h.sample_at(s(1500)), (0, 0, 0, 0, 0), 1500.0, "1500 s");
    let r = h.finish(s(4000));
    assert_areas(&r, 300, 300, 900, 300);
    assert_eq!(r.nodes_requested, 1);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(150) as f64);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_conserved(&r);
}

#[test]
fn idle_node_needed_by_a_blocked_job_is_kept_past_its_timer() {
    // Ours (documented in cluster.rs): an idle node whose timer expires while queued jobs need
    // it is kept for another idle period. max 2, idle 120, P 300.
    //   0:    J1 (1 node, 100 s): A requested, ready 300; J1 300..400.
    //   400:  A idle, timer 520.
    //   450:  J2 (2 nodes, 1000 s): 1 idle < 2; B requested (ready 750).
    //   520:  A's timer: demand 2 ≥ supply (1 idle + 1 provisioning) → kept, timer 640.
    //   640:  same → kept, timer 760.
    //   750:  B ready → J2 starts on A and B (wait 300), done 1750. Timer at 760 stale.
    //   1750: both idle, released at 1870.
    // provisioning A 0..300 + B 450..750 = 600; busy 100 + 2000 = 2100;
    // idle A 400..750 = 350 + 2 × 120 = 590; billed A 0..1870 + B 450..1870 = 3290.
    let cfg = Cfg::new(0, 2, 120, 300);
    let mut h = Harness::new(&cfg, 0, s(4000));
    h.submit(0, 100, 1);
    h.submit(450, 1000, 2);
    assert_sample(h.sample_at(s(700)), (2, 0, 1, 1, 1), 950.0, "700 s");
    let r = h.finish(s(4000));
    assert_areas(&r, 600, 2100, 590, 600);
    assert_eq!(r.nodes_requested, 2);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_conserved(&r);
    assert_eq!(r.total_completed, 2);
}

/// Blocked 2-node head job and a later 1-node job with one node idle. max 2, idle 10,000
/// (nothing is released before the horizon at 3000), P 300.
///   0:   J1 (1 node, 100 s): A requested, ready 300; J1 300..400; A idle from 400.
///   500: J2 (2 nodes, 1000 s): 1 idle < 2 → queued; B requested (ready 800).
///   600: J3 (1 node, 100 s): demand 3 > supply 2 but room 0.
fn backfill_case(backfill: bool) -> ClusterReport {
    run(
        &Cfg::new(0, 2, 10_000, 300).backfill(backfill),
        (0, 3000),
        &[(0, 100, 1), (500, 1000, 2), (600, 100, 1)],
        3000,
    )
}

#[test]
fn without_backfill_a_small_job_waits_behind_a_blocked_head() {
    // backfill = false: J3 waits behind J2.
    //   800:  B ready → J2 starts on A and B (wait 300), done 1800.
    //   1800: J3 starts (wait 1200), done 1900.
    // provisioning 600; busy 100 + 2000 + 100 = 2200; billed A 0..3000 + B 500..3000 = 5500;
    // idle 5500 − 2800 = 2700. queue J1 300 + J2 300 + J3 600..1800 1200 = 1800.
    // waits 300, 300, 1200: mean 600.
    let r = backfill_case(false);
    assert_areas(&r, 600, 2200, 2700, 1800);
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(600) as f64);
    assert_eq!(r.waits.max(), Some(s(1200)));
    assert_eq!((r.nodes_requested, r.peak_nodes), (2, 2));
    assert_conserved(&r);
}

#[test]
fn with_backfill_a_small_job_passes_a_blocked_head() {
    // backfill = true: J3 passes J2 and runs on the idle node A at once.
    //   600:  J3 on A (wait 0), done 700.   700: A idle again.
    //   800:  B ready → J2 starts on A and B (wait 300), done 1800: the head is not delayed.
    // provisioning 600; busy 2200; billed 5500; idle 2700. queue 300 + 300 + 0 = 600.
    // waits 300, 300, 0: mean 200.
    let r = backfill_case(true);
    assert_areas(&r, 600, 2200, 2700, 600);
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(200) as f64);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_eq!((r.nodes_requested, r.peak_nodes), (2, 2));
    assert_conserved(&r);
}

#[test]
fn jobs_running_and_queued_at_the_horizon_are_conserved() {
    // max 1, idle 120, P 300; three 1-node jobs at 0 for 1000 s each; horizon 1500.
    //   300:  J1 starts (wait 300), done 1300.  1300: J2 starts (wait 1300), done 2300.
    //   At 1500: 1 completed, 1 running, 1 queued.
    // provisioning 300; busy 300..1500 = 1200; idle 0; billed 1500.
    // queue: J1 0..300 + J2 0..1300 + J3 0..1500 = 3100. J3 never started: no wait recorded.
    let r = run(
        &Cfg::new(0, 1, 120, 300),
        (0, 1500),
        &[(0, 1000, 1), (0, 1000, 1), (0, 1000, 1)],
        1500,
    );
    assert_eq!(r.total_arrived, 3);
    assert_eq!(
        (r.total_completed, r.running_at_end, r.queued_at_end),
        (1, 1, 1)
    );
    assert_conserved(&r);
    assert_eq!((r.jobs_arrived, r.jobs_completed), (3, 1));
    assert_areas(&r, 300, 1200, 0, 3100);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(800) as f64);
    assert_close(metric(&r, M::running_at_end), 1.0, "jobs_running_at_end");
    assert_close(metric(&r, M::queued_at_end), 1.0, "jobs_queued_at_end");
}

#[test]
fn conservation_and_billing_identity_on_a_busy_mixed_timeline() {
    // Not hand-computed step by step: a deterministic, busy mix of 1- to 3-node jobs on a
    // max-4 cluster with and without backfill, checked for the identities that must hold at any
    // horizon: arrived = completed + running + queued, and (with the window starting at zero)
    // billed node time = provisioning + busy + idle.
    for backfill in [false, true] {
        for horizon_s in [1_000, 5_000, 20_000, 100_000] {
            let cfg = Cfg::new(1, 4, 200, 250).backfill(backfill);
            let mut h = Harness::new(&cfg, 0, s(horizon_s));
            let mut x: u64 = 12345;
            let mut t = 0;
            for _ in 0..300 {
                // A small linear congruential generator: reproducible, no dependency.
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                t += (x >> 33) % 400;
                if t > horizon_s {
                    break;
                }
                let dur = 50 + (x >> 20) % 1500;
                let nodes = 1 + ((x >> 45) % 3) as u32;
                h.submit(t, dur, nodes);
            }
            let billed = h.sample_at(s(horizon_s)).cumulative_cost_usd * 1000.0;
            let r = h.finish(s(horizon_s));
            assert_conserved(&r);
            assert_eq!(r.jobs_arrived, r.total_arrived);
            let areas = (r.provisioning_area + r.busy_area + r.idle_area) as f64 / 1e6;
            assert!(
                (areas - billed).abs() < 1e-6 * billed.max(1.0),
                "backfill {backfill}, horizon {horizon_s}: areas {areas} vs billed {billed}"
            );
            assert!(r.peak_nodes <= 4 && r.peak_nodes >= 1);
        }
    }
}

#[test]
fn zero_idle_time_keeps_a_needed_node_without_looping() {
    // idle 0 (accepted by the scenario validator), max 2, P 300.
    //   0:    J1 (1 node, 100 s): A requested, ready 300; J1 300..400.
    //   350:  J2 (2 nodes, 1000 s): no idle node; B requested (ready 650); room is then 0.
    //   400:  A idle with a 0 s timer, but J2 needs it: kept (the documented rule), not
    //         re-examined at the same instant forever.
    //   650:  B ready → J2 on A and B (wait 300), done 1650; both released at 1650.
    // provisioning A 0..300 + B 350..650 = 600; busy 100 + 2000 = 2100; idle A 400..650 = 250;
    // billed A 0..1650 + B 350..1650 = 2950. queue J1 300 + J2 350..650 300 = 600.
    let r = run(
        &Cfg::new(0, 2, 0, 300),
        (0, 4000),
        &[(0, 100, 1), (350, 1000, 2)],
        4000,
    );
    assert_areas(&r, 600, 2100, 250, 600);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.total_completed, 2);
    assert_conserved(&r);
}

/// A job of workload `workload` at priority `priority`, submitted at `at_s`.
fn submit_prio(
    h: &mut Harness,
    at_s: u64,
    duration_s: u64,
    nodes: u32,
    workload: u32,
    priority: i32,
) {
    let t = s(at_s);
    h.advance_to(t);
    let job = Job {
        workload,
        priority,
        ..job(at_s, duration_s, nodes)
    };
    h.cluster.submit(t, job, &mut h.queue);
}

#[test]
fn higher_priority_jobs_run_first_fifo_within_a_priority() {
    // One ready node (min = max = 1), no provisioning. J1 (w0, prio 0, 100 s) at 0 runs
    // 0..100. Queued: J2 (w0, prio 0, 100 s) at 10, J3 (w1, prio 5, 100 s) at 20, J4 (w1,
    // prio 5, 50 s) at 30, J5 (w2, prio -1, 10 s) at 40.
    //   100: J3 (wait 80) 100..200.   200: J4 (wait 170) 200..250.
    //   250: J2 (wait 240) 250..350.  350: J5 (wait 310) 350..360.
    // FIFO alone would give J2 90, J3 180, J4 220, J5 310.
    // Workload waits: w0 {0, 240}, w1 {80, 170}, w2 {310}; busy w0 200, w1 150, w2 10.
    let mut h = Harness::new(&Cfg::new(1, 1, 120, 0), 0, s(1000));
    for (at, d, w, p) in [
        (0, 100, 0, 0),
        (10, 100, 0, 0),
        (20, 100, 1, 5),
        (30, 50, 1, 5),
        (40, 10, 2, -1),
    ] {
        submit_prio(&mut h, at, d, 1, w, p);
    }
    h.advance_to(s(1000));
    let r = h.cluster.finish(s(1000));
    assert_eq!(r.total_completed, 5);
    assert_eq!(r.waits.mean(), s(800) as f64 / 5.0);
    assert_eq!(r.waits.max(), Some(s(310)));
    let w = &r.workloads;
    assert_eq!(w.len(), 3);
    assert_eq!(
        (w[0].waits.mean(), w[0].waits.max()),
        (s(120) as f64, Some(s(240)))
    );
    assert_eq!(
        (w[1].waits.mean(), w[1].waits.max()),
        (s(125) as f64, Some(s(170)))
    );
    assert_eq!(w[2].waits.max(), Some(s(310)));
    assert_eq!(
        (w[0].busy_area, w[1].busy_area, w[2].busy_area),
        (area(200) as f64, area(150) as f64, area(10) as f64)
    );
    assert_eq!(
        (w[0].jobs_arrived, w[1].jobs_completed, w[2].jobs_completed),
        (2, 2, 1)
    );
    // Cost: one node for 1000 s = $1.00, split by busy time 200 : 150 : 10 of 360.
    let v = metrics::values(&TargetReport::Cluster(r.clone()));
    let ws = v.workloads.as_ref().expect("a breakdown");
    let share = capsim::metrics::workload::W::cost_share as usize;
    let cost = capsim::metrics::workload::W::cost as usize;
    assert!((ws[0].values[share] - 200.0 / 360.0).abs() < 1e-12);
    assert!((ws[2].values[cost] - 10.0 / 360.0).abs() < 1e-12);
    let total: f64 = ws.iter().map(|x| x.values[cost]).sum();
    assert!(
        (total - 1.0).abs() < 1e-12,
        "attributed costs add up to the bill: {total}"
    );
}

#[test]
fn a_preempted_job_goes_back_to_the_head_of_its_own_priority() {
    // One low-priority node (min = max = 1), provisioning 0, every node lives exactly 150 s,
    // checkpoints every 50 s. J2 (w0, prio 0, 200 s) at 0 runs. At 10: J5 (w1, prio 0, 10 s)
    // and J6 (w2, prio 9, 10 s) queue.
    //   150: the node is taken back; J2 has run 150 s = 3 checkpoints, nothing lost, 50 s
    //        left; it goes back to the head of priority 0, ahead of J5 but behind J6. A node
    //        is provisioned at once (ready at 150, life to 300).
    //   150: J6 runs 150..160 (wait 140).   160: J2 runs its last 50 s, 160..210.
    //   210: J5 runs 210..220 (wait 200).   300: the idle node is taken back (2 preemptions).
    let mut spec = Cfg::new(1, 1, 120, 0).spec();
    spec.tier = Tier::LowPriority;
    spec.preemption = Some(Sampler::constant_s(150.0));
    spec.checkpoint_interval = Some(s(50));
    let mut h = Harness {
        cluster: Cluster::new(spec, stream(1, 0, "test"), 0, s(1000)),
        queue: EventQueue::new(),
    };
    h.cluster.arm_initial(&mut h.queue);
    submit_prio(&mut h, 0, 200, 1, 0, 0);
    submit_prio(&mut h, 10, 10, 1, 1, 0);
    submit_prio(&mut h, 10, 10, 1, 2, 9);
    h.advance_to(s(1000));
    let r = h.cluster.finish(s(1000));
    assert_eq!(r.workloads[2].waits.max(), Some(s(140)), "J6 first");
    assert_eq!(
        r.workloads[1].waits.max(),
        Some(s(200)),
        "J5 after the restarted J2"
    );
    assert_eq!(
        r.workloads[0].waits.count(),
        1,
        "J2's restart is not a second wait"
    );
    assert_eq!((r.preemptions, r.lost_area), (2, 0));
    // Busy: J2 0..150 and 160..210, J6 10 s, J5 10 s.
    assert_eq!(r.busy_area, area(220));
    assert_eq!(r.workloads[0].busy_area, area(200) as f64);
    assert_eq!(r.total_completed, 3);
    assert_eq!(
        r.total_arrived,
        r.total_completed + r.running_at_end + r.queued_at_end
    );
}

#[test]
fn a_multi_node_job_ending_beside_a_provisioning_node_releases_the_surplus() {
    // min 2, max 8, idle 600 s, P 300 s. The floor nodes A and B are idle from 0 (no timers:
    // the cluster is at its minimum). J1 (2 nodes, 671 s) at 0; J2 (1 node, 202 s) at 390;
    // then 1-node jobs of 300 s every 250 s from 1000 s (37 of them, the last at 10,000 s).
    //   0:    J1 starts on B, A; done 671.
    //   390:  J2 queued; demand 1 > supply 0 → node C requested (ready 690).
    //   671:  J1 ends. B goes idle: 3 nodes (B, A busy, C provisioning) > 2 → timer 1271;
    //         A goes idle: 3 > 2 → timer 1271. J2 starts on A (the most recently idled):
    //         wait 281 s; done 873. B idle, timer 1271.
    //   690:  C ready, idle: 3 > 2 → timer 1290.
    //   873:  J2 ends on A: idle, 3 > 2 → timer 1473.       idle: B, C, A
    //   1000: K0 starts on A (done 1300).   1250: K1 starts on C (done 1550).
    //   1271: B's timer: 3 nodes > 2, queued demand 0 < supply 1 → B released.
    //   1290, 1473: stale (C and A were used since).
    //   From 1300 the two nodes left take turns: each goes idle at 2 nodes = the minimum, no
    //   timer, and is taken again 200 s later. Nothing else is released.
    // Before the fix, J1's first node saw 2 nodes (both of J1's left the busy count at once)
    // and got no timer: it stayed idle to the horizon, 42% more node time.
    // Billed: B 0..1271 + A 0..10,800 + C 390..10,800 = 1271 + 10,800 + 10,410 = 22,481.
    // Provisioning: C 390..690 = 300. Busy: J1 2 × 671 + J2 202 + 37 × 300 = 12,644.
    // Idle = 22,481 - 12,644 - 300 = 9,537. Queue: J2 390..671 = 281.
    let cfg = Cfg::new(2, 8, 600, 300);
    let mut h = Harness::new(&cfg, 0, s(10_800));
    h.submit(0, 671, 2);
    h.submit(390, 202, 1);
    h.submit(1000, 300, 1);
    h.submit(1250, 300, 1);
    assert_eq!(h.sample_at(s(1271) - 1).nodes_allocated, 3);
    let at_release = h.sample_at(s(1271));
    assert_sample(at_release, (2, 2, 0, 0, 0), 1271.0 * 3.0 - 390.0, "1271 s");
    for k in 2..37 {
        h.submit(1000 + 250 * k, 300, 1);
    }
    let r = h.finish(s(10_800));
    assert_areas(&r, 300, 12_644, 9_537, 281);
    assert_eq!((r.peak_nodes, r.nodes_requested), (3, 1));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (39, 39));
    assert_conserved(&r);
    assert_close(metric(&r, M::node_hours), 22_481.0 / 3600.0, "node_hours");
    assert_close(metric(&r, M::cost), 22.481, "cost");
}

#[test]
fn every_node_of_a_three_node_job_times_out_above_the_minimum() {
    // min 1, max 4, idle 100 s, P 50 s. J1 (3 nodes, 200 s) at 0; then 1-node jobs of 100 s
    // every 50 s from 260 s (20 of them, the last at 1210 s): two nodes busy at a time.
    //   0:    A (floor) idle; J1 queued; demand 3 > supply 1 → B and C requested (ready 50).
    //   50:   B ready (idle, 3 > 1 → timer 150), C ready (timer 150); J1 starts on C, B, A;
    //         wait 50 s; done 250.
    //   250:  J1 ends: C, B and A go idle one by one, each seeing 3 nodes > 1 → timers 350.
    //   260:  K0 on A (the most recently idled; done 360).   310: K1 on B (done 410).
    //   350:  C's timer: 3 > 1, demand 0 < supply 1 → C released. (A's and B's are stale.)
    //   From 360 A and B hand the jobs over at the instant each ends: idle 0 s in between.
    //   1260: A idle after the last even job (2 > 1 → timer 1360).  1310: B idle (timer 1410).
    //   1360: A released (2 > 1).  1410: B's timer: 1 node = the minimum → B stays.
    // Before the fix, C (the first of J1's nodes to go idle) saw 1 node and got no timer; it
    // stayed to the horizon while A and B timed out at the end.
    // Billed: A 0..1360 + B 0..2000 + C 0..350 = 3710. Provisioning: B, C 0..50 = 100.
    // Busy: 3 × 200 + 20 × 100 = 2600. Idle = 3710 - 2600 - 100 = 1010 (A 50 + 10 + 100,
    // B 60 + 690, C 100). Queue: J1 0..50 = 50.
    let cfg = Cfg::new(1, 4, 100, 50);
    let mut h = Harness::new(&cfg, 0, s(2000));
    h.submit(0, 200, 3);
    h.submit(260, 100, 1);
    h.submit(310, 100, 1);
    assert_eq!(h.sample_at(s(350) - 1).nodes_allocated, 3);
    assert_eq!(h.sample_at(s(350)).nodes_allocated, 2);
    for k in 2..20 {
        h.submit(260 + 50 * k, 100, 1);
    }
    assert_eq!(h.sample_at(s(1360) - 1).nodes_allocated, 2);
    assert_eq!(h.sample_at(s(1360)).nodes_allocated, 1);
    let end = h.sample_at(s(2000));
    assert_sample(end, (1, 0, 0, 1, 0), 3710.0, "2000 s");
    let r = h.finish(s(2000));
    assert_areas(&r, 100, 2600, 1010, 50);
    assert_eq!((r.peak_nodes, r.nodes_requested), (3, 2));
    assert_conserved(&r);
}

#[test]
fn a_node_kept_for_a_blocked_multi_node_job_then_times_out_with_its_peers() {
    // min 1, max 3, idle 100 s, P 300 s: the keep rule with multi-node jobs.
    //   0:    A (floor) idle. J1 (2 nodes, 700 s) queued; demand 2 > supply 1 → B (ready 300).
    //   300:  B ready (2 > 1 → timer 400); J1 starts on B, A; wait 300; done 1000.
    //   350:  J2 (3 nodes, 100 s) queued; demand 3 > supply 0; room 1 → C (ready 650).
    //   650:  C ready: idle, 3 > 1 → timer 750. J2 still needs 3.
    //   750:  C's timer: demand 3 >= supply 1 (C) → kept; re-armed at the next change.
    //   1000: J1 ends: B, A idle (3 > 1: timers 1100). J2 starts on A, B, C (wait 650);
    //         done 1100. The kept timer is not re-armed: C is busy.
    //   1100: J2 ends: A, B, C go idle one by one, each seeing 3 nodes → timers 1200.
    //   1200: A released (3 > 1), B released (2 > 1), C stays (1 = the minimum); billed so
    //         far 1200 + 1200 + 850 = 3250.
    // Billed: A 0..1200 + B 0..1200 + C 350..1500 = 1200 + 1200 + 1150 = 3550.
    // Provisioning: B 0..300 + C 350..650 = 600. Busy: 2 × 700 + 3 × 100 = 1700.
    // Idle = 3550 - 1700 - 600 = 1250 (A 300 + 100, B 100, C 350 + 400).
    // Queue: J1 0..300 + J2 350..1000 = 950.
    let cfg = Cfg::new(1, 3, 100, 300);
    let mut h = Harness::new(&cfg, 0, s(1500));
    h.submit(0, 700, 2);
    h.submit(350, 100, 3);
    assert_eq!(h.sample_at(s(750)).nodes_allocated, 3);
    assert_eq!(h.sample_at(s(1200) - 1).nodes_allocated, 3);
    assert_sample(h.sample_at(s(1200)), (1, 0, 0, 1, 0), 3250.0, "1200 s");
    let r = h.finish(s(1500));
    assert_areas(&r, 600, 1700, 1250, 950);
    assert_eq!((r.peak_nodes, r.nodes_requested), (3, 2));
    assert_eq!(r.waits.max(), Some(s(650)));
    assert_conserved(&r);
}
