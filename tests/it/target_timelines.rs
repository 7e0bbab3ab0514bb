//! Exact, hand-computed timelines of the compute instance and serverless models, and exact
//! costs of the fixed and attached pools through the scenario loader.
//!
//! The instance and serverless tests drive `capsim::targets::Instance` and
//! `capsim::targets::Serverless` directly with an `EventQueue` (as `cluster_timelines.rs` does
//! for the cluster), with constant start-up times, so every wait, state change and area is known
//! exactly. Times in comments are seconds; areas are node × seconds (the report stores node ×
//! microseconds, hence `area()`). The VM price is $3.60 per hour, i.e. $0.001 per second, and a
//! compute instance's fixed cost (disk and load balancer) $0.36 per hour, i.e. $0.0001 per
//! second, so every cost below is a sum of seconds / 1000 and seconds / 10,000.
//!
//! The loader tests run whole scenarios with random arrivals: only what does not depend on the
//! load (an always-on pool's bill, zero for unbilled pools) is checked exactly, plus
//! conservation on every replication.

use crate::support::{
    PRICE, advance, area, assert_close, assert_conserved, assert_error, errors, job, loads, metric,
    s,
};
use capsim::catalog::Catalog;
use capsim::engine::{EventQueue, Sampler, SimTime, stream};
use capsim::metrics::{self, M, Values};
use capsim::model::run_replication;
use capsim::scenario::Scenario;
use capsim::targets::instance::{DailySchedule, Power, weekly_actions};
use capsim::targets::{
    ClusterReport, ClusterSample, Instance, InstanceEvent, InstanceSpec, Job, Serverless,
    ServerlessEvent, ServerlessSpec, TargetKind, TargetReport, Tier,
};

/// A compute instance's disk and load balancer: $0.0001 per second, running or stopped.
const FIXED: f64 = 0.36;

/// No test here needs more events than this; more means a model is looping.
const MAX_EVENTS: u64 = 100_000;

fn assert_areas(r: &ClusterReport, provisioning_s: u64, busy_s: u64, idle_s: u64) {
    assert_eq!(
        r.provisioning_area,
        area(provisioning_s),
        "provisioning area"
    );
    assert_eq!(r.busy_area, area(busy_s), "busy area");
    assert_eq!(r.idle_area, area(idle_s), "idle area");
}

/// Counts (allocated, busy, provisioning, idle) and, when given, queued jobs; cost in dollars.
fn assert_sample(
    got: ClusterSample,
    (allocated, busy, provisioning, idle): (u32, u32, u32, u32),
    queue: Option<u32>,
    cost_usd: f64,
    when: &str,
) {
    assert_eq!(
        (
            got.nodes_allocated,
            got.nodes_busy,
            got.nodes_provisioning,
            got.nodes_idle
        ),
        (allocated, busy, provisioning, idle),
        "counts (allocated, busy, provisioning, idle) at {when}"
    );
    if let Some(q) = queue {
        assert_eq!(got.queue_jobs, q, "queued jobs at {when}");
    }
    assert_close(
        got.cumulative_cost_usd,
        cost_usd,
        &format!("cumulative cost at {when}"),
    );
}

// ---------------------------------------------------------------------------------------------
// Compute instance
// ---------------------------------------------------------------------------------------------

fn ci_spec(slots: u32, idle_s: Option<u64>, start_s: u64, running: bool) -> InstanceSpec {
    InstanceSpec {
        size: "Standard_D4s_v3".into(),
        slots,
        idle_time_before_shutdown: idle_s.map(s),
        start_time: Sampler::constant_s(start_s as f64),
        initially_running: running,
        price_usd_per_hour: PRICE,
        fixed_usd_per_hour: FIXED,
        schedule: vec![],
        initially_held: false,
    }
}

struct Ci {
    inst: Instance,
    queue: EventQueue<InstanceEvent>,
}

impl Ci {
    /// Builds the instance and arms its initial shutdown timer, as `model::run_replication` does.
    fn new(spec: InstanceSpec, window_from: SimTime, window_to: SimTime) -> Self {
        let mut inst = Instance::new(spec, stream(1, 0, "test"), window_from, window_to);
        let mut queue = EventQueue::new();
        inst.arm_initial(&mut queue);
        Ci { inst, queue }
    }

    /// Handles every event due at or before `t`.
    fn advance_to(&mut self, t: SimTime) {
        advance(&mut self.inst, &mut self.queue, t, MAX_EVENTS);
    }

    fn submit(&mut self, at_s: u64, duration_s: u64) {
        self.advance_to(s(at_s));
        self.inst
            .submit(s(at_s), job(at_s, duration_s, 1), &mut self.queue);
    }

    fn sample_at(&mut self, t: SimTime) -> ClusterSample {
        self.advance_to(t);
        self.inst.sample(t)
    }

    fn finish(mut self, horizon: SimTime) -> ClusterReport {
        self.advance_to(horizon);
        self.inst.finish(horizon)
    }
}

#[test]
fn instance_shuts_down_exactly_idle_time_after_the_last_job() {
    // Running from 0, 1 slot, idle_time_before_shutdown 900 s, window [0, 10,000).
    //   0:    idle; arm_initial arms a shutdown for 900.
    //   100:  J1 (500 s) starts at once (wait 0): the pending shutdown is cancelled. Done 600.
    //   600:  idle again: shutdown armed for 600 + 900 = 1500.
    //   900:  the first timer fires, stale: still running.
    //   1500: stopped.
    // busy 100..600 = 500; idle 0..100 + 600..1500 = 1000; starting 0; VM 1500 s = $1.50.
    // Fixed: the whole window, 10,000 s × $0.0001 = $1.00. Cost $2.50.
    let mut h = Ci::new(ci_spec(1, Some(900), 120, true), 0, s(10_000));
    assert_sample(h.sample_at(0), (1, 0, 0, 1), Some(0), 0.0, "0 s");
    h.submit(100, 500);
    // 100 s of VM ($0.10) + 100 s of fixed ($0.01).
    assert_sample(h.sample_at(s(100)), (1, 1, 0, 0), Some(0), 0.11, "100 s");
    assert_sample(h.sample_at(s(600)), (1, 0, 0, 1), Some(0), 0.66, "600 s");
    assert_sample(
        h.sample_at(s(900)),
        (1, 0, 0, 1),
        Some(0),
        0.99,
        "900 s (stale timer)",
    );
    assert_eq!(h.sample_at(s(1500) - 1).nodes_allocated, 1, "1 µs before");
    assert_sample(h.sample_at(s(1500)), (0, 0, 0, 0), Some(0), 1.65, "1500 s");
    // Stopped: only the fixed cost grows. 1.50 + 10,000 × 0.0001.
    assert_sample(
        h.sample_at(s(10_000)),
        (0, 0, 0, 0),
        Some(0),
        2.5,
        "10,000 s",
    );
    let r = h.finish(s(10_000));

    assert_areas(&r, 0, 500, 1000);
    assert_eq!(r.queue_area, 0);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.max(), Some(0));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (1, 1));
    assert_eq!((r.startups, r.nodes_requested), (0, 0));
    assert_eq!(r.fixed_usd_per_hour, FIXED);
    assert_conserved(&r);

    assert_close(metric(&r, M::cost), 2.5, "cost_usd");
    assert_close(metric(&r, M::fixed_cost), 1.0, "fixed_cost_usd");
    assert_eq!(metric(&r, M::startups), 0.0);
    assert_close(metric(&r, M::busy_node_hours), 500.0 / 3600.0, "busy h");
    assert_close(metric(&r, M::idle_node_hours), 1000.0 / 3600.0, "idle h");
    assert_eq!(metric(&r, M::provisioning_node_hours), 0.0);
    assert_close(metric(&r, M::node_hours), 1500.0 / 3600.0, "node h");
    // Idle cost is VM idle time only: 1000 s × $0.001; the fixed cost is not "idle".
    assert_close(metric(&r, M::idle_cost), 1.0, "idle_cost_usd");
    assert_close(metric(&r, M::utilization), 500.0 / 1500.0, "utilization");
}

#[test]
fn a_running_instance_without_jobs_stops_idle_time_after_time_zero() {
    // Running from 0, no job: the timer armed by arm_initial stops it at exactly 900.
    // VM 900 s = $0.90; fixed 2000 s × $0.0001 = $0.20.
    let mut h = Ci::new(ci_spec(4, Some(900), 120, true), 0, s(2000));
    assert_eq!(h.sample_at(s(900) - 1).nodes_allocated, 1);
    assert_sample(h.sample_at(s(900)), (0, 0, 0, 0), Some(0), 0.99, "900 s");
    let r = h.finish(s(2000));
    assert_areas(&r, 0, 0, 900);
    assert_eq!(r.startups, 0);
    assert_eq!(r.waits.count(), 0);
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 1.1, "cost_usd");
    assert_close(metric(&r, M::fixed_cost), 0.2, "fixed_cost_usd");
}

#[test]
fn a_job_at_a_stopped_instance_waits_its_start_time() {
    // Stopped at 0, 2 slots, start time 120 s, idle 900 s, window [0, 5000).
    //   1000: J1 (300 s): stopped → starting (start-up 1), ready at 1120.
    //   1050: J2 (100 s) arrives during start-up: queued, no second start-up.
    //   1120: running: J1 (wait 120, done 1420) and J2 (wait 70, done 1220) take both slots.
    //   1220: J2 done, J1 still running: no timer.   1420: J1 done: shutdown armed for 2320.
    //   2320: stopped.
    //   3000: J3 (200 s): starting (start-up 2), ready at 3120; runs 3120..3320 (wait 120).
    //   3320: idle, shutdown armed for 4220.   4220: stopped.
    // starting 1000..1120 + 3000..3120 = 240; busy 1120..1420 + 3120..3320 = 500;
    // idle 1420..2320 + 3320..4220 = 1800. queue J1 120 + J2 70 + J3 120 = 310 job-s.
    // VM 240 + 500 + 1800 = 2540 s = $2.54; fixed 5000 s = $0.50. Cost $3.04.
    let mut h = Ci::new(ci_spec(2, Some(900), 120, false), 0, s(5000));
    assert_sample(h.sample_at(s(999)), (0, 0, 0, 0), Some(0), 0.0999, "999 s");
    h.submit(1000, 300);
    assert_sample(h.sample_at(s(1000)), (1, 0, 1, 0), Some(1), 0.1, "1000 s");
    h.submit(1050, 100);
    // 50 s starting ($0.05) + 1050 s fixed ($0.105).
    assert_sample(h.sample_at(s(1050)), (1, 0, 1, 0), Some(2), 0.155, "1050 s");
    assert_sample(
        h.sample_at(s(1120) - 1),
        (1, 0, 1, 0),
        Some(2),
        (120.0 - 1e-6) * 0.001 + (1120.0 - 1e-6) * 0.0001,
        "1 µs before 1120 s",
    );
    assert_sample(h.sample_at(s(1120)), (1, 1, 0, 0), Some(0), 0.232, "1120 s");
    assert_sample(h.sample_at(s(1220)), (1, 1, 0, 0), Some(0), 0.342, "1220 s");
    assert_sample(h.sample_at(s(1420)), (1, 0, 0, 1), Some(0), 0.562, "1420 s");
    assert_eq!(h.sample_at(s(2320) - 1).nodes_allocated, 1);
    // VM 1320 s + fixed 2320 s.
    assert_sample(h.sample_at(s(2320)), (0, 0, 0, 0), Some(0), 1.552, "2320 s");
    h.submit(3000, 200);
    assert_sample(h.sample_at(s(3000)), (1, 0, 1, 0), Some(1), 1.62, "3000 s");
    assert_sample(h.sample_at(s(3120)), (1, 1, 0, 0), Some(0), 1.752, "3120 s");
    // VM 2540 s + fixed 4220 s.
    assert_sample(h.sample_at(s(4220)), (0, 0, 0, 0), Some(0), 2.962, "4220 s");
    let r = h.finish(s(5000));

    assert_areas(&r, 240, 500, 1800);
    assert_eq!(r.queue_area, area(310));
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(310) as f64 / 3.0);
    assert_eq!(r.waits.max(), Some(s(120)));
    assert_eq!((r.startups, r.nodes_requested, r.peak_nodes), (2, 2, 1));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (3, 3));
    assert_conserved(&r);

    assert_close(metric(&r, M::cost), 3.04, "cost_usd");
    assert_close(metric(&r, M::fixed_cost), 0.5, "fixed_cost_usd");
    assert_eq!(metric(&r, M::startups), 2.0);
    assert_close(metric(&r, M::busy_node_hours), 500.0 / 3600.0, "busy h");
    assert_close(metric(&r, M::idle_node_hours), 0.5, "idle h (1800 s)");
    assert_close(
        metric(&r, M::provisioning_node_hours),
        240.0 / 3600.0,
        "starting h",
    );
    // Idle plus starting VM time: 2040 s × $0.001.
    assert_close(metric(&r, M::idle_cost), 2.04, "idle_cost_usd");
    assert_close(metric(&r, M::wait_mean), 310.0 / 3.0, "wait_mean_s");
    assert_close(metric(&r, M::wait_max), 120.0, "wait_max_s");
    // Little's law holds for the instance: queue area = sum of waits (310 job-s) / 5000 s.
    assert_close(metric(&r, M::queue_mean), 0.062, "queue_jobs_mean");
}

#[test]
fn jobs_arriving_during_start_up_share_one_start() {
    // Stopped, 1 slot, start 300 s, idle 900 s. Jobs at 0, 100 and 200, 100 s each.
    //   0:   starting, ready at 300 (the only Started event).   100, 200: queued.
    //   300: J1 (wait 300) 300..400; 400: J2 (wait 300) 400..500; 500: J3 (wait 300) 500..600.
    //   600: idle, shutdown armed for 1500.   1500: stopped.
    // Events: Started, 3 × JobDone, 1 IdleShutdown = 5 (a second start-up would add one).
    // starting 300; busy 300..600 = 300; idle 600..1500 = 900; queue 300 + 300 + 300 = 900.
    // VM 1500 s = $1.50; fixed 2000 s = $0.20.
    let mut h = Ci::new(ci_spec(1, Some(900), 300, false), 0, s(2000));
    h.submit(0, 100);
    h.submit(100, 100);
    h.submit(200, 100);
    assert_sample(h.sample_at(s(200)), (1, 0, 1, 0), Some(3), 0.22, "200 s");
    assert_sample(h.sample_at(s(300)), (1, 1, 0, 0), Some(2), 0.33, "300 s");
    h.advance_to(s(2000));
    assert_eq!(
        h.queue.processed(),
        5,
        "one Started, three JobDone, one IdleShutdown"
    );
    let r = h.finish(s(2000));
    assert_eq!((r.startups, r.nodes_requested), (1, 1));
    assert_areas(&r, 300, 300, 900);
    assert_eq!(r.queue_area, area(900));
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 1.7, "cost_usd");
    assert_eq!(metric(&r, M::startups), 1.0);
}

#[test]
fn with_two_slots_a_third_simultaneous_job_waits_for_the_first_to_finish() {
    // Running, 2 slots, idle 900 s, window [0, 3000). At 100: J1 (400 s), J2 (600 s), J3 (300 s).
    //   100: J1 (done 500) and J2 (done 700) take both slots; J3 queued.
    //   500: J1 done → J3 starts (wait 400), done 800.   700: J2 done.
    //   800: J3 done, no job left: shutdown armed for 1700 (the one armed at 0 for 900 is
    //        stale).   1700: stopped.
    // The instance is one node: busy while any slot runs, 100..800 = 700; idle 0..100 +
    // 800..1700 = 1000. queue J3 100..500 = 400. VM 1700 s = $1.70; fixed 3000 s = $0.30.
    let mut h = Ci::new(ci_spec(2, Some(900), 120, true), 0, s(3000));
    h.submit(100, 400);
    h.submit(100, 600);
    h.submit(100, 300);
    assert_sample(h.sample_at(s(100)), (1, 1, 0, 0), Some(1), 0.11, "100 s");
    assert_sample(
        h.sample_at(s(500) - 1),
        (1, 1, 0, 0),
        Some(1),
        (500.0 - 1e-6) * 0.0011,
        "1 µs before 500 s",
    );
    assert_sample(h.sample_at(s(500)), (1, 1, 0, 0), Some(0), 0.55, "500 s");
    assert_sample(h.sample_at(s(800)), (1, 0, 0, 1), Some(0), 0.88, "800 s");
    assert_sample(h.sample_at(s(900)), (1, 0, 0, 1), Some(0), 0.99, "900 s");
    assert_sample(h.sample_at(s(1700)), (0, 0, 0, 0), Some(0), 1.87, "1700 s");
    let r = h.finish(s(3000));
    assert_areas(&r, 0, 700, 1000);
    assert_eq!(r.queue_area, area(400));
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(400) as f64 / 3.0);
    assert_eq!(r.waits.max(), Some(s(400)));
    assert_eq!(r.total_completed, 3);
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 2.0, "cost_usd");
    assert_close(metric(&r, M::fixed_cost), 0.3, "fixed_cost_usd");
}

#[test]
fn no_idle_shutdown_when_idle_time_is_none() {
    // Running from 0, idle None, J1 at 100 for 500 s, horizon 100,000 s.
    // Nothing is armed at 0 (the only event is J1's end); the VM runs to the horizon:
    // busy 500, idle 99,500. VM 100,000 s = $100; fixed 100,000 s = $10.
    let mut h = Ci::new(ci_spec(1, None, 120, true), 0, s(100_000));
    assert!(h.queue.is_empty(), "no shutdown timer without an idle time");
    h.submit(100, 500);
    assert_sample(
        h.sample_at(s(100_000)),
        (1, 0, 0, 1),
        Some(0),
        110.0,
        "horizon",
    );
    assert_eq!(h.queue.processed(), 1, "only J1's JobDone");
    let r = h.finish(s(100_000));
    assert_areas(&r, 0, 500, 99_500);
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 110.0, "cost_usd");

    // Stopped at 0, idle None, start 120: J1 at 1000 (500 s) starts it (ready 1120), runs
    // 1120..1620, and it then stays up: starting 120, busy 500, idle 100,000 − 1620 = 98,380.
    // VM 99,000 s = $99; fixed $10.
    let mut h = Ci::new(ci_spec(1, None, 120, false), 0, s(100_000));
    h.submit(1000, 500);
    assert_sample(
        h.sample_at(s(100_000)),
        (1, 0, 0, 1),
        Some(0),
        109.0,
        "horizon",
    );
    let r = h.finish(s(100_000));
    assert_areas(&r, 120, 500, 98_380);
    assert_eq!(r.startups, 1);
    assert_eq!(r.waits.max(), Some(s(120)));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 109.0, "cost_usd");
}

#[test]
fn instance_fixed_cost_covers_the_window_and_the_sample_covers_since_zero() {
    // Window [1000, 5000). Stopped, start 120, idle 900; J1 at 2000 for 1000 s.
    //   2000: starting, ready 2120; busy 2120..3120; idle 3120..4020; stopped at 4020.
    // Report (window): starting 120, busy 1000, idle 900 → VM $2.02; fixed 4000 s = $0.40.
    // Sample at 5000 (since zero): VM $2.02 + fixed 5000 s = $0.50 → $2.52.
    let mut h = Ci::new(ci_spec(1, Some(900), 120, false), s(1000), s(5000));
    h.submit(2000, 1000);
    assert_sample(h.sample_at(s(5000)), (0, 0, 0, 0), Some(0), 2.52, "5000 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 120, 1000, 900);
    assert_eq!(r.window, s(4000));
    assert_close(metric(&r, M::cost), 2.42, "cost_usd");
    assert_close(metric(&r, M::fixed_cost), 0.4, "fixed_cost_usd");
    assert_conserved(&r);

    // Running from 0 with no job: stops at 900, inside the warm-up. The window sees no VM time,
    // only the fixed cost: $0.40. The sample since zero: VM 900 s + fixed 5000 s = $1.40.
    let mut h = Ci::new(ci_spec(1, Some(900), 120, true), s(1000), s(5000));
    assert_sample(h.sample_at(s(5000)), (0, 0, 0, 0), Some(0), 1.4, "5000 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 0, 0, 0);
    assert_close(metric(&r, M::cost), 0.4, "cost_usd");
    assert_close(metric(&r, M::fixed_cost), 0.4, "fixed_cost_usd");
    assert_conserved(&r);
}

#[test]

fn a_never_started_instance_has_no_peak_node() {
    // Stopped at 0, no job, horizon 1000: no VM was ever allocated (every sample says 0
    // allocated, node_hours is 0), so nodes_peak ("most nodes allocated at once") should be 0.
    let mut h = Ci::new(ci_spec(1, Some(900), 120, false), 0, s(1000));
    assert_eq!(h.sample_at(s(1000)).nodes_allocated, 0);
    let r = h.finish(s(1000));
    assert_areas(&r, 0, 0, 0);
    assert_eq!(r.peak_nodes, 0, "nodes_peak of a never-started instance");
}

// ---------------------------------------------------------------------------------------------
// Serverless
// ---------------------------------------------------------------------------------------------

/// 4 vCPUs per node, constant start-up overhead `overhead_s`.
fn sl_spec(quota_vcpus: Option<u64>, overhead_s: u64) -> ServerlessSpec {
    ServerlessSpec {
        size: "Standard_D4s_v3".into(),
        vcpus_per_node: 4,
        quota_vcpus,
        startup_time: Sampler::constant_s(overhead_s as f64),
        price_usd_per_hour: PRICE,
        tier: Tier::Dedicated,
        preemption: None,
        checkpoint_interval: None,
    }
}

struct Sl {
    sl: Serverless,
    queue: EventQueue<ServerlessEvent>,
}

impl Sl {
    fn new(spec: ServerlessSpec, window_from: SimTime, window_to: SimTime) -> Self {
        Sl {
            sl: Serverless::new(spec, stream(1, 0, "test"), window_from, window_to),
            queue: EventQueue::new(),
        }
    }

    fn advance_to(&mut self, t: SimTime) {
        advance(&mut self.sl, &mut self.queue, t, MAX_EVENTS);
    }

    fn submit(&mut self, at_s: u64, duration_s: u64, nodes: u32) {
        self.advance_to(s(at_s));
        self.sl
            .submit(s(at_s), job(at_s, duration_s, nodes), &mut self.queue);
    }

    fn sample_at(&mut self, t: SimTime) -> ClusterSample {
        self.advance_to(t);
        self.sl.sample(t)
    }

    fn finish(mut self, horizon: SimTime) -> ClusterReport {
        self.advance_to(horizon);
        self.sl.finish(horizon)
    }
}

// Serverless samples are checked without their queue count: a job whose nodes are starting is
// not counted as queued today (see `serverless_queue_area_obeys_littles_law`).

#[test]
fn serverless_bills_overhead_plus_duration_with_no_idle_tail() {
    // Overhead 300 s, no quota. J1 (1 node, 600 s) at 1000.
    //   1000: its node is allocated and starting; ready at 1300 (wait 300 = overhead).
    //   1300..1900: running.   1900: released at once: no idle tail.
    // provisioning 300, busy 600, idle 0: 900 node-s = $0.90.
    let mut h = Sl::new(sl_spec(None, 300), 0, s(5000));
    h.submit(1000, 600, 1);
    assert_sample(h.sample_at(s(1000)), (1, 0, 1, 0), None, 0.0, "1000 s");
    assert_sample(h.sample_at(s(1300)), (1, 1, 0, 0), None, 0.3, "1300 s");
    assert_sample(
        h.sample_at(s(1900) - 1),
        (1, 1, 0, 0),
        None,
        (900.0 - 1e-6) / 1000.0,
        "1 µs before",
    );
    assert_sample(h.sample_at(s(1900)), (0, 0, 0, 0), None, 0.9, "1900 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 300, 600, 0);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!((r.peak_nodes, r.nodes_requested), (1, 1));
    assert_eq!((r.startups, r.fixed_usd_per_hour), (0, 0.0));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (1, 1));
    assert_conserved(&r);
    assert_eq!((r.running_at_end, r.queued_at_end), (0, 0));

    assert_close(metric(&r, M::cost), 0.9, "cost_usd");
    assert_eq!(metric(&r, M::idle_node_hours), 0.0);
    assert_eq!(metric(&r, M::fixed_cost), 0.0);
    assert_eq!(metric(&r, M::startups), 0.0);
    assert_close(metric(&r, M::busy_node_hours), 600.0 / 3600.0, "busy h");
    assert_close(
        metric(&r, M::provisioning_node_hours),
        300.0 / 3600.0,
        "provisioning h",
    );
    // The overhead is the only non-busy time: idle cost $0.30.
    assert_close(metric(&r, M::idle_cost), 0.3, "idle_cost_usd");
    assert_close(metric(&r, M::wait_mean), 300.0, "wait_mean_s");
}

#[test]
fn a_two_node_serverless_job_bills_twice() {
    // Overhead 300 s. J1 (2 nodes, 600 s) at 100: both nodes start 100..400, run 400..1000.
    // provisioning 2 × 300 = 600, busy 2 × 600 = 1200: 1800 node-s = $1.80, twice the
    // 1-node job's $0.90. Wait 300 (the overhead, once: the nodes start in parallel).
    let mut h = Sl::new(sl_spec(None, 300), 0, s(5000));
    h.submit(100, 600, 2);
    assert_sample(h.sample_at(s(100)), (2, 0, 2, 0), None, 0.0, "100 s");
    assert_sample(h.sample_at(s(400)), (2, 2, 0, 0), None, 0.6, "400 s");
    assert_sample(h.sample_at(s(1000)), (0, 0, 0, 0), None, 1.8, "1000 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 600, 1200, 0);
    assert_eq!((r.peak_nodes, r.nodes_requested), (2, 2));
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 1.8, "cost_usd");
    assert_eq!(metric(&r, M::idle_node_hours), 0.0);
    assert_close(metric(&r, M::node_hours), 0.5, "1800 node-s");
}

#[test]
fn serverless_quota_for_one_job_makes_the_second_wait() {
    // Overhead 300 s, 4 vCPUs per node, quota 4 vCPUs: one 1-node job at a time.
    // J1 (1000 s) and J2 (500 s), both at 0.
    //   0:    J1's node starting (4 of 4 vCPUs), ready 300; J2 needs 4 more: waits.
    //   300:  J1 runs, done 1300.
    //   1300: J1's vCPUs freed: J2's node starting, ready 1600; runs 1600..2100.
    // J2's wait: J1's overhead and run (1300) plus its own overhead (300) = 1600.
    // provisioning 300 + 300 = 600; busy 1000 + 500 = 1500; 2100 node-s = $2.10.
    let mut h = Sl::new(sl_spec(Some(4), 300), 0, s(5000));
    h.submit(0, 1000, 1);
    h.submit(0, 500, 1);
    assert_sample(h.sample_at(0), (1, 0, 1, 0), None, 0.0, "0 s");
    assert_sample(h.sample_at(s(300)), (1, 1, 0, 0), Some(1), 0.3, "300 s");
    assert_sample(h.sample_at(s(1300)), (1, 0, 1, 0), None, 1.3, "1300 s");
    assert_sample(h.sample_at(s(1600)), (1, 1, 0, 0), Some(0), 1.6, "1600 s");
    assert_sample(h.sample_at(s(2100)), (0, 0, 0, 0), Some(0), 2.1, "2100 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 600, 1500, 0);
    assert_eq!(r.waits.count(), 2);
    assert_eq!(r.waits.mean(), s(950) as f64, "(300 + 1600) / 2");
    assert_eq!(r.waits.max(), Some(s(1600)));
    assert_eq!((r.peak_nodes, r.nodes_requested), (1, 2));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 2.1, "cost_usd");

    // Without the quota both start at once: same bill, waits 300 and 300, two nodes at peak.
    let mut h = Sl::new(sl_spec(None, 300), 0, s(5000));
    h.submit(0, 1000, 1);
    h.submit(0, 500, 1);
    let r = h.finish(s(5000));
    assert_areas(&r, 600, 1500, 0);
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_eq!(r.peak_nodes, 2);
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 2.1, "cost_usd");
}

#[test]
fn serverless_quota_queue_is_first_in_first_out() {
    // Overhead 300 s, 4 vCPUs per node, quota 12 vCPUs (3 nodes). At 0: J1 (2 nodes, 1000 s),
    // J2 (2 nodes, 1000 s), J3 (1 node, 100 s).
    //   0:    J1 takes 8 vCPUs; J2 needs 8 more (16 > 12): waits; J3 would fit (8 + 4 = 12)
    //         but waits behind J2 (no backfill in the quota queue).
    //   300:  J1 runs, done 1300.
    //   1300: J2 (8) and J3 (8 + 4 = 12) both start, ready 1600: J2 runs 1600..2600, J3
    //         1600..1700.
    // waits 300, 1600, 1600. provisioning 2 × 300 + 2 × 300 + 300 = 1500;
    // busy 2000 + 2000 + 100 = 4100; 5600 node-s = $5.60. Peak 3 nodes from 1300 to 1700.
    let mut h = Sl::new(sl_spec(Some(12), 300), 0, s(5000));
    h.submit(0, 1000, 2);
    h.submit(0, 1000, 2);
    h.submit(0, 100, 1);
    assert_sample(h.sample_at(s(300)), (2, 2, 0, 0), Some(2), 0.6, "300 s");
    assert_sample(h.sample_at(s(1600)), (3, 3, 0, 0), Some(0), 3.5, "1600 s");
    let r = h.finish(s(5000));
    assert_areas(&r, 1500, 4100, 0);
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(3500) as f64 / 3.0);
    assert_eq!(r.waits.max(), Some(s(1600)));
    assert_eq!((r.peak_nodes, r.nodes_requested), (3, 5));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 5.6, "cost_usd");
}

#[test]
fn serverless_jobs_starting_running_and_queued_at_the_horizon_are_conserved() {
    // Overhead 300 s, quota 4 (one job at a time), three 1000 s jobs at 0, horizon 1500.
    //   0..300 J1 starting, 300..1300 running; 1300: J2 starting (ready 1600 > horizon);
    //   J3 still waiting for quota at 1500.
    // 1 completed; J2 (nodes starting) and J3 (queued) are not. provisioning 300 + 200 = 500,
    // busy 1000: $1.50. J2's wait would end at 1600, after the window: only J1's 300 counts.
    let mut h = Sl::new(sl_spec(Some(4), 300), 0, s(1500));
    for _ in 0..3 {
        h.submit(0, 1000, 1);
    }
    assert_sample(h.sample_at(s(1500)), (1, 0, 1, 0), None, 1.5, "1500 s");
    let r = h.finish(s(1500));
    assert_eq!(r.total_arrived, 3);
    assert_eq!(r.total_completed, 1);
    // Whether a job whose nodes are starting is "running" or "queued" is a choice (today:
    // running); either way the two unfinished jobs are accounted for.
    assert_eq!(r.running_at_end + r.queued_at_end, 2);
    assert_conserved(&r);
    assert_areas(&r, 500, 1000, 0);
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.max(), Some(s(300)));
    assert_close(metric(&r, M::cost), 1.5, "cost_usd");
}

#[test]
fn serverless_queue_area_obeys_littles_law() {
    // metrics::M::queue_mean documents "Little's law: = arrival rate x wait_mean_s". The cluster
    // counts a job waiting for a node as queued, and the instance one waiting for its start-up;
    // serverless records a wait of overhead + quota wait but counts only the quota wait in its
    // queue. One job, overhead 300 s: wait 300, so the queue should hold it for 300 s.
    let mut h = Sl::new(sl_spec(None, 300), 0, s(5000));
    h.submit(1000, 600, 1);
    assert_eq!(
        h.sample_at(s(1000)).queue_jobs,
        1,
        "job waiting for its nodes"
    );
    let r = h.finish(s(5000));
    assert_eq!(r.waits.mean(), s(300) as f64);
    assert_eq!(r.queue_area, area(300), "queue area = sum of waits");
}

// ---------------------------------------------------------------------------------------------
// Fixed and attached pools, instances and serverless through the scenario loader
// ---------------------------------------------------------------------------------------------

/// Runs every replication through `sweep::run` and returns each replication's metric values
/// for target 0; also re-runs each replication through `model::run_replication` to check
/// conservation on every target's report, and that both paths agree.
fn run(sc: &Scenario) -> Vec<Values> {
    let result = capsim::sweep::run(sc, 2, None).expect("thread pool");
    assert_eq!(result.rows.len() as u64, sc.replications);
    for row in &result.rows {
        let rep = run_replication(&sc.system, sc.seed, row.replication, None);
        for (t, report) in rep.targets.iter().enumerate() {
            let TargetReport::Cluster(r) = report else {
                panic!("a training target reports as a cluster");
            };
            assert_conserved(r);
            let direct = metrics::values(report);
            let swept = &row.targets[t];
            for (m, (a, b)) in direct.iter().zip(swept).enumerate() {
                assert!(
                    a == b || (a.is_nan() && b.is_nan()),
                    "metric {} differs: {a} vs {b}",
                    metrics::METRICS[m].name
                );
            }
        }
    }
    result.rows.iter().map(|r| r.targets[0].clone()).collect()
}

fn d2s_v3_price() -> f64 {
    Catalog::builtin()
        .get("Standard_D2s_v3")
        .and_then(|v| v.price_usd_per_hour)
        .expect("Standard_D2s_v3 has a catalog price")
}

fn pool(ty: &str, extra: &str, horizon: &str, warmup: &str, rate_per_hour: f64) -> String {
    format!(
        r#"
horizon = "{horizon}"
warmup = "{warmup}"
replications = 3
seed = 7

[[compute]]
name = "pool"
type = "{ty}"
{extra}

[[workload]]
name = "jobs"
compute = "pool"
arrivals = {{ process = "poisson", rate_per_hour = {rate_per_hour:?} }}
duration = {{ dist = "exponential", mean = "30m" }}
"#
    )
}

#[test]
fn always_on_kubernetes_pool_bills_every_node_for_the_whole_window_whatever_the_load() {
    // 2 nodes of Standard_D2s_v3 at the catalog's $0.096/h, billed around the clock:
    // 10 h window: 2 × 0.096 × 10 = $1.92; 20 node-hours, none provisioning, whatever the load
    // (0.5, 5 or 50 jobs/h of 30 min each: idle, busy, overloaded).
    let price = d2s_v3_price();
    assert_eq!(price, 0.096, "the catalog price the comments assume");
    for rate in [0.5, 5.0, 50.0] {
        for billing in ["billing = \"always_on\"", ""] {
            let extra = format!("size = \"Standard_D2s_v3\"\ninstance_count = 2\n{billing}");
            let sc = loads(&pool("kubernetes", &extra, "10h", "0s", rate));
            let TargetKind::Cluster { type_name, spec } = &sc.system.targets[0].kind else {
                panic!("a kubernetes pool is modelled as a node pool");
            };
            assert_eq!(*type_name, "kubernetes");
            assert_eq!((spec.min_instances, spec.max_instances), (2, 2));
            assert_eq!(spec.idle_time_before_scale_down, None);
            for v in run(&sc) {
                let what = format!("rate {rate}, `{billing}`");
                assert_close(v[M::cost as usize], 2.0 * price * 10.0, &what);
                assert_close(v[M::cost as usize], 1.92, &what);
                assert_close(v[M::node_hours as usize], 20.0, &what);
                assert_eq!(v[M::provisioning_node_hours as usize], 0.0, "{what}");
                assert_eq!(v[M::nodes_requested as usize], 0.0, "{what}");
                assert_eq!(v[M::nodes_peak as usize], 2.0, "{what}");
                assert_eq!(v[M::fixed_cost as usize], 0.0, "{what}");
                assert_eq!(v[M::startups as usize], 0.0, "{what}");
                assert_close(v[M::nodes_mean as usize], 2.0, &what);
            }
        }
    }
    // With a 2 h warm-up the window is 8 h: 2 × 0.096 × 8 = $1.536.
    let extra = "size = \"Standard_D2s_v3\"\ninstance_count = 2\nbilling = \"always_on\"";
    for v in run(&loads(&pool("kubernetes", extra, "10h", "2h", 5.0))) {
        assert_close(v[M::cost as usize], 1.536, "8 h window");
        assert_close(v[M::node_hours as usize], 16.0, "8 h window");
    }
}

#[test]
fn externally_billed_and_local_pools_cost_nothing() {
    // billing = "external": the 2 nodes exist (20 node-hours over 10 h) but cost $0.
    let extra = "size = \"Standard_D2s_v3\"\ninstance_count = 2\nbilling = \"external\"";
    let sc = loads(&pool("kubernetes", extra, "10h", "0s", 5.0));
    assert_eq!(sc.system.targets[0].price_usd_per_hour(), 0.0);
    for v in run(&sc) {
        assert_eq!(v[M::cost as usize], 0.0);
        assert_eq!(v[M::idle_cost as usize], 0.0);
        assert_close(v[M::node_hours as usize], 20.0, "node hours");
    }
    // The other fixed types, externally billed, without a size or a price.
    for ty in ["remote_vm", "attached"] {
        let sc = loads(&pool(
            ty,
            "instance_count = 3\nbilling = \"external\"",
            "10h",
            "0s",
            5.0,
        ));
        for v in run(&sc) {
            assert_eq!(v[M::cost as usize], 0.0, "{ty}");
            assert_close(v[M::node_hours as usize], 30.0, ty);
        }
    }
    // type = "local": one node by default, no size, no price: $0 for 10 node-hours.
    let sc = loads(&pool("local", "", "10h", "0s", 5.0));
    let TargetKind::Cluster { spec, .. } = &sc.system.targets[0].kind else {
        panic!("local is modelled as a node pool");
    };
    assert_eq!((spec.min_instances, spec.max_instances), (1, 1));
    for v in run(&sc) {
        assert_eq!(v[M::cost as usize], 0.0);
        assert_close(v[M::node_hours as usize], 10.0, "local node hours");
    }
    // Even with a catalog size, local is free.
    let sc = loads(&pool(
        "local",
        "size = \"Standard_D2s_v3\"",
        "10h",
        "0s",
        5.0,
    ));
    for v in run(&sc) {
        assert_eq!(v[M::cost as usize], 0.0);
    }
}

fn hdinsight(kind_line: &str) -> String {
    format!(
        r#"
horizon = "10h"
replications = 2

[[compute]]
name = "hdi"
type = "hdinsight"
price_usd_per_hour = 1.5
max_instances = 2

[[workload]]
name = "steps"
compute = "hdi"
arrivals = {{ process = "poisson", rate_per_hour = 2.0 }}
duration = {{ dist = "exponential", mean = "20m" }}
{kind_line}
"#
    )
}

#[test]
fn hdinsight_runs_pipeline_steps_only() {
    // Azure ML's table: HDInsight runs pipeline steps, not command jobs.
    let errs = errors(&hdinsight("kind = \"command\""));
    assert_error(&errs, "workload.steps.kind", &["hdinsight", "command"]);
    let errs = errors(&hdinsight("kind = \"automl\""));
    assert_error(&errs, "workload.steps.kind", &["hdinsight", "automl"]);
    let sc = loads(&hdinsight("kind = \"pipeline\""));
    assert_eq!(sc.system.targets[0].type_name(), "hdinsight");
    for v in run(&sc) {
        // Billed like an autoscaled pool at the given price: cost = 1.5 × node-hours.
        assert_close(
            v[M::cost as usize],
            1.5 * v[M::node_hours as usize],
            "cost = price × node-hours",
        );
    }
}

#[test]
fn hdinsight_rejects_a_workload_without_kind() {
    // README: `kind` defaults to `command`, and "a target type that does not run that kind is
    // an error". HDInsight does not run command jobs, so leaving `kind` out must be an error.
    let errs = errors(&hdinsight(""));
    assert_error(&errs, "workload.steps.kind", &["hdinsight", "command"]);
}

#[test]
fn databricks_without_size_or_price_is_an_error() {
    let text = r#"
horizon = "1h"

[[compute]]
name = "dbx"
type = "databricks"
max_instances = 2
"#;
    let errs = errors(text);
    assert_error(
        &errs,
        "compute.dbx.price_usd_per_hour",
        &["databricks", "price"],
    );
    // With either a price or a catalog size it loads.
    loads(&text.replace(
        "max_instances = 2",
        "max_instances = 2\nprice_usd_per_hour = 2.0",
    ));
    loads(&text.replace(
        "max_instances = 2",
        "max_instances = 2\nsize = \"Standard_D2s_v3\"",
    ));
}

#[test]
fn fields_that_do_not_apply_to_a_type_are_errors_naming_field_and_type() {
    let cases = [
        (
            "kubernetes",
            "size = \"Standard_D2s_v3\"\ninstance_count = 2\nmin_instances = 1",
            "min_instances",
        ),
        (
            "kubernetes",
            "size = \"Standard_D2s_v3\"\ninstance_count = 2\nidle_time_before_scale_down = \"5m\"",
            "idle_time_before_scale_down",
        ),
        (
            "amlcompute",
            "max_instances = 2\nquota_vcpus = 8",
            "quota_vcpus",
        ),
        (
            "amlcompute",
            "max_instances = 2\ninstance_count = 2",
            "instance_count",
        ),
        (
            "amlcompute",
            "start_time = { dist = \"constant\", value = \"2m\" }",
            "start_time",
        ),
        ("computeinstance", "max_instances = 2", "max_instances"),
        ("computeinstance", "billing = \"external\"", "billing"),
        (
            "serverless",
            "size = \"Standard_D2s_v3\"\nmin_instances = 0",
            "min_instances",
        ),
        (
            "serverless",
            "size = \"Standard_D2s_v3\"\nidle_time_before_shutdown = \"30m\"",
            "idle_time_before_shutdown",
        ),
        ("local", "quota_vcpus = 8", "quota_vcpus"),
        (
            "hdinsight",
            "price_usd_per_hour = 1.0\ninstance_count = 2",
            "instance_count",
        ),
        (
            "databricks",
            "price_usd_per_hour = 1.0\nbilling = \"external\"",
            "billing",
        ),
    ];
    for (ty, extra, field) in cases {
        let text =
            format!("horizon = \"1h\"\n\n[[compute]]\nname = \"t\"\ntype = \"{ty}\"\n{extra}\n");
        let errs = errors(&text);
        assert_error(
            &errs,
            &format!("compute.t.{field}"),
            &[&format!("does not apply to type = \"{ty}\"")],
        );
    }
}

#[test]
fn an_always_running_compute_instance_bills_vm_and_fixed_costs_whatever_the_load() {
    // Default size Standard_DS3_v2 ($0.293/h), initially running, no idle shutdown: the VM is up
    // for the whole 10 h window whatever the load. Fixed: the P10 disk $19.71/month (30 days)
    // = $0.027375/h plus the load balancer $0.33/day = $0.01375/h, $0.041125/h in all.
    // Cost: 0.293 × 10 + 0.041125 × 10 = 2.93 + 0.41125 = $3.34125.
    let price = Catalog::builtin()
        .get("Standard_DS3_v2")
        .and_then(|v| v.price_usd_per_hour)
        .expect("catalog price");
    assert_eq!(price, 0.293, "the catalog price the comments assume");
    for rate in [0.5, 5.0, 50.0] {
        let sc = loads(&pool("computeinstance", "", "10h", "0s", rate));
        let TargetKind::ComputeInstance(spec) = &sc.system.targets[0].kind else {
            panic!("a compute instance");
        };
        assert_close(spec.fixed_usd_per_hour, 0.041125, "fixed $/h");
        assert_eq!(spec.slots, 4, "one job per vCPU of the DS3_v2");
        for v in run(&sc) {
            assert_close(v[M::cost as usize], 3.34125, &format!("rate {rate}"));
            assert_close(v[M::fixed_cost as usize], 0.41125, "fixed cost");
            assert_close(v[M::node_hours as usize], 10.0, "VM hours");
            assert_eq!(v[M::startups as usize], 0.0);
        }
    }
    // Stopped and never started (no workload): only the fixed cost, $0.41125.
    let text = "horizon = \"10h\"\nreplications = 2\n\n[[compute]]\nname = \"ci\"\n\
                type = \"computeinstance\"\ninitial_state = \"stopped\"\n";
    for v in run(&loads(text)) {
        assert_close(v[M::cost as usize], 0.41125, "fixed only");
        assert_eq!(v[M::node_hours as usize], 0.0);
        assert_eq!(v[M::startups as usize], 0.0);
    }
    // With the disk and load balancer priced at zero: just the VM, $2.93.
    let extra = "disk_usd_per_month = 0.0\nload_balancer_usd_per_day = 0.0";
    for v in run(&loads(&pool("computeinstance", extra, "10h", "0s", 5.0))) {
        assert_close(v[M::cost as usize], 2.93, "VM only");
        assert_eq!(v[M::fixed_cost as usize], 0.0);
    }
}

#[test]
fn a_stopping_compute_instance_counts_its_startups() {
    // Idle shutdown after 15 minutes, constant 2-minute start: with sparse jobs (0.5/h of
    // 30 min), most arrivals find it stopped. Each start bills 120 s of starting time, so
    // provisioning hours = startups × 120 s (every start-up ends well before the 10 h horizon
    // unless a job arrives in its last 2 minutes, which the check allows for).
    let extra =
        "idle_time_before_shutdown = \"15m\"\nstart_time = { dist = \"constant\", value = \"2m\" }";
    for v in run(&loads(&pool("computeinstance", extra, "10h", "0s", 0.5))) {
        let startups = v[M::startups as usize];
        let prov_s = v[M::provisioning_node_hours as usize] * 3600.0;
        assert!(
            prov_s <= startups * 120.0 + 1e-6 && prov_s > (startups - 1.0) * 120.0 - 1e-6,
            "provisioning {prov_s} s vs {startups} start-ups"
        );
        assert_eq!(v[M::nodes_requested as usize], startups);
        // VM price × (starting + running) time + fixed × window.
        let vm_h = v[M::node_hours as usize];
        assert_close(
            v[M::cost as usize],
            0.293 * vm_h + 0.41125,
            "cost = price × VM hours + fixed",
        );
    }
}

#[test]
fn serverless_through_the_loader_has_no_idle_tail_and_waits_its_overhead() {
    // Constant 5-minute overhead, no quota: every job waits exactly 300 s, no node is ever idle,
    // and nothing is billed but starting and running node time.
    let extra =
        "size = \"Standard_D2s_v3\"\nstartup_time = { dist = \"constant\", value = \"5m\" }";
    let price = d2s_v3_price();
    for v in run(&loads(&pool("serverless", extra, "10h", "0s", 5.0))) {
        assert_eq!(v[M::idle_node_hours as usize], 0.0);
        assert_eq!(v[M::fixed_cost as usize], 0.0);
        assert_eq!(v[M::startups as usize], 0.0);
        assert_eq!(v[M::wait_max as usize], 300.0);
        assert_eq!(v[M::wait_mean as usize], 300.0);
        assert_close(
            v[M::cost as usize],
            price * v[M::node_hours as usize],
            "cost = price × node-hours",
        );
    }
}

#[test]
fn serverless_job_larger_than_the_quota_is_rejected_when_its_size_is_explicit() {
    // Standard_D4s_v3 has 4 vCPUs; a quota of 2 vCPUs fits no node at all.
    let text = r#"
horizon = "1h"

[[compute]]
name = "sl"
type = "serverless"
size = "Standard_D4s_v3"
quota_vcpus = 2

[[workload]]
name = "jobs"
compute = "sl"
arrivals = { process = "poisson", rate_per_hour = 2.0 }
duration = { dist = "constant", value = "10m" }
instance_count = 1
"#;
    let errs = errors(text);
    assert_error(&errs, "workload.jobs.instance_count", &["never start"]);
}

#[test]
fn serverless_quota_below_one_node_rejects_a_default_workload() {
    // Same as above without `instance_count` (default 1): the jobs can never start.
    let text = r#"
horizon = "1h"

[[compute]]
name = "sl"
type = "serverless"
size = "Standard_D4s_v3"
quota_vcpus = 2

[[workload]]
name = "jobs"
compute = "sl"
arrivals = { process = "poisson", rate_per_hour = 2.0 }
duration = { dist = "constant", value = "10m" }
"#;
    let errs = errors(text);
    assert_error(&errs, "workload.jobs.instance_count", &["never start"]);
}

// ---------------------------------------------------------------------------------------------
// Compute instance schedules
// ---------------------------------------------------------------------------------------------

/// Start 08:00, stop 19:00, Monday and Tuesday only (time zero is Monday 00:00).
fn office_hours_mon_tue() -> Vec<(SimTime, Power)> {
    let mut days = [false; 7];
    days[0] = true;
    days[1] = true;
    weekly_actions(&[DailySchedule {
        start_minute: Some(8 * 60),
        stop_minute: Some(19 * 60),
        days,
    }])
}

#[test]
fn a_scheduled_instance_starts_and_stops_on_time_and_a_stop_interrupts_jobs() {
    // 2 slots, start time 120 s, no idle shutdown, schedule 08:00-19:00 on Monday and Tuesday:
    // start 28,800 s, stop 68,400, start 115,200, stop 154,800. Stopped by the schedule at 0
    // (Friday's stop was the last action before Monday 00:00). Horizon 2 days = 172,800 s.
    //   3,600:   J1 (7,200 s) arrives at the held instance: it queues, no start-up.
    //   28,800:  scheduled start (start-up 1), ready 28,920: J1 runs 28,920..36,120 (wait
    //            25,320). Then idle.
    //   60,000:  J2 (20,000 s) starts at once (wait 0).
    //   68,400:  scheduled stop: J2 has run 8,400 s, lost; it goes back to the queue.
    //   70,000:  J3 (1,000 s) arrives: the instance is held until the next scheduled start.
    //   115,200: scheduled start (start-up 2), ready 115,320: J2 (from the start, 20,000 s)
    //            and J3 take both slots. J3 done 116,320 (wait 45,320), J2 done 135,320.
    //   154,800: scheduled stop (idle).
    // starting 120 + 120 = 240; busy 7,200 + 8,400 + 20,000 = 35,600;
    // idle 36,120..60,000 + 135,320..154,800 = 23,880 + 19,480 = 43,360. VM 79,200 s (two
    // 11 h days) = $79.20; fixed 172,800 s = $17.28; cost $96.48. Lost 8,400 node-s = $8.40.
    // Queue: J1 25,320 + J2 68,400..115,320 = 46,920 + J3 45,320 = 117,560 job-s.
    // Waits: 25,320, 0 (J2's first start; its restart is not a second wait), 45,320.
    let mut spec = ci_spec(2, None, 120, false);
    spec.schedule = office_hours_mon_tue();
    spec.initially_held = true;
    assert_eq!(spec.schedule.len(), 4);
    let mut h = Ci::new(spec, 0, s(172_800));
    h.submit(3_600, 7_200);
    assert_sample(
        h.sample_at(s(3_600)),
        (0, 0, 0, 0),
        Some(1),
        0.36,
        "3,600 s: held",
    );
    assert_sample(
        h.sample_at(s(28_800)),
        (1, 0, 1, 0),
        Some(1),
        2.88,
        "28,800 s: scheduled start",
    );
    assert_sample(
        h.sample_at(s(28_920)),
        (1, 1, 0, 0),
        Some(0),
        3.012,
        "28,920 s",
    );
    h.submit(60_000, 20_000);
    // VM 28,800..60,000 = 31,200 s; fixed 60,000 s.
    assert_sample(
        h.sample_at(s(60_000)),
        (1, 1, 0, 0),
        Some(0),
        37.2,
        "60,000 s",
    );
    // VM 39,600 s; fixed 68,400 s: 39.6 + 6.84.
    assert_sample(
        h.sample_at(s(68_400)),
        (0, 0, 0, 0),
        Some(1),
        46.44,
        "68,400 s: scheduled stop, J2 back in the queue",
    );
    h.submit(70_000, 1_000);
    assert_sample(
        h.sample_at(s(70_000)),
        (0, 0, 0, 0),
        Some(2),
        46.6,
        "70,000 s: held",
    );
    assert_sample(
        h.sample_at(s(115_200)),
        (1, 0, 1, 0),
        Some(2),
        39.6 + 11.52,
        "115,200 s",
    );
    assert_sample(
        h.sample_at(s(115_320)),
        (1, 1, 0, 0),
        Some(0),
        39.72 + 11.532,
        "115,320 s",
    );
    assert_sample(
        h.sample_at(s(154_800)),
        (0, 0, 0, 0),
        Some(0),
        79.2 + 15.48,
        "154,800 s",
    );
    let r = h.finish(s(172_800));

    assert_areas(&r, 240, 35_600, 43_360);
    assert_eq!(r.lost_area, area(8_400));
    assert_eq!(r.queue_area, area(117_560));
    assert_eq!(r.waits.count(), 3);
    assert_eq!(r.waits.mean(), s(70_640) as f64 / 3.0);
    assert_eq!(r.waits.max(), Some(s(45_320)));
    assert_eq!((r.startups, r.jobs_arrived, r.jobs_completed), (2, 3, 3));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 96.48, "cost_usd");
    assert_close(metric(&r, M::lost_cost), 8.4, "lost_work_cost_usd");
    assert_close(metric(&r, M::busy_node_hours), 35_600.0 / 3600.0, "busy h");
    // The one workload ran all the busy time.
    assert_eq!(r.workloads.len(), 1);
    assert_eq!(r.workloads[0].busy_area, area(35_600) as f64);
    assert_eq!(
        (r.workloads[0].jobs_arrived, r.workloads[0].jobs_completed),
        (3, 3)
    );
}

#[test]
fn a_scheduled_start_of_an_idle_shutdown_instance_and_on_demand_starts_between() {
    // Idle shutdown 900 s, start time 120 s, schedule 08:00-19:00 Monday and Tuesday, but
    // created running at 0 (initial_state = "running"): nothing holds it.
    //   900:     idle shutdown (no job since 0).
    //   10,000:  J1 (100 s) at the stopped, not held, instance: on-demand start-up, ready
    //            10,120, runs to 10,220; idle shutdown at 11,120.
    //   28,800:  scheduled start, ready 28,920; idle shutdown at 29,820.
    //   68,400:  scheduled stop of a stopped instance: nothing to do, but it is now held.
    //   70,000:  J2 (100 s) waits for Tuesday's start at 115,200, ready 115,320 (wait 45,320),
    //            runs to 115,420; idle shutdown at 116,320. 154,800: stop (already stopped).
    // Horizon 172,800. starting 3 × 120 = 360; busy 200; idle 900 + 900 + 900 + 900 = 3,600.
    let mut spec = ci_spec(1, Some(900), 120, true);
    spec.schedule = office_hours_mon_tue();
    let mut h = Ci::new(spec, 0, s(172_800));
    assert_eq!(h.sample_at(s(900)).nodes_allocated, 0);
    h.submit(10_000, 100);
    assert_eq!(
        h.sample_at(s(10_000)).nodes_provisioning,
        1,
        "on-demand start"
    );
    assert_eq!(h.sample_at(s(11_120)).nodes_allocated, 0);
    assert_eq!(
        h.sample_at(s(28_800)).nodes_provisioning,
        1,
        "scheduled start"
    );
    assert_eq!(h.sample_at(s(29_820)).nodes_allocated, 0, "idle shutdown");
    h.submit(70_000, 100);
    assert_sample(
        h.sample_at(s(70_000)),
        (0, 0, 0, 0),
        Some(1),
        3.04 + 7.0,
        "held",
    );
    let r = h.finish(s(172_800));
    assert_areas(&r, 360, 200, 3_600);
    assert_eq!(r.startups, 3);
    assert_eq!(r.waits.max(), Some(s(45_320)));
    assert_eq!(r.lost_area, 0);
    assert_conserved(&r);
}

#[test]
fn schedules_load_and_validate() {
    let ci = |extra: &str| {
        format!(
            "horizon = \"2d\"\nreplications = 2\n\n[[compute]]\nname = \"ci\"\n\
             type = \"computeinstance\"\n{extra}\n\n[[workload]]\nname = \"w\"\ncompute = \"ci\"\n\
             arrivals = {{ process = \"poisson\", rate_per_hour = 1.0 }}\n\
             duration = {{ dist = \"constant\", value = \"10m\" }}\n"
        )
    };
    // Weekdays 08:00-19:00: 10 actions a week; stopped and held at 0 (Friday's stop).
    let sc = loads(&ci(
        "schedules = [{ start = \"08:00\", stop = \"19:00\", days = [\"mon\", \"tue\", \"wed\", \"thu\", \"Friday\"] }]",
    ));
    let TargetKind::ComputeInstance(spec) = &sc.system.targets[0].kind else {
        panic!("a compute instance");
    };
    assert_eq!(spec.schedule.len(), 10);
    assert!(!spec.initially_running && spec.initially_held);
    // Every day from 06:00, with an evening stop: Sunday's 22:00 stop was last before Monday 0.
    let sc = loads(&ci(
        "schedules = [{ start = \"06:00\" }, { stop = \"22:00\" }]\ninitial_state = \"running\"",
    ));
    let TargetKind::ComputeInstance(spec) = &sc.system.targets[0].kind else {
        panic!("a compute instance");
    };
    assert_eq!(spec.schedule.len(), 14);
    assert!(spec.initially_running && !spec.initially_held);
    // Conservation through the loader and the whole engine, with a schedule.
    let sc = loads(&ci("schedules = [{ start = \"08:00\", stop = \"09:30\" }]"));
    run(&sc);

    let five = (0..5)
        .map(|_| "{ stop = \"19:00\" }")
        .collect::<Vec<_>>()
        .join(", ");
    let errs = errors(&ci(&format!("schedules = [{five}]")));
    assert_error(&errs, "compute.ci.schedules", &["at most 4", "got 5"]);
    let errs = errors(&ci("schedules = [{ start = \"8am\" }]"));
    assert_error(
        &errs,
        "compute.ci.schedules[0].start",
        &["8am", "time of day"],
    );
    let errs = errors(&ci("schedules = [{ stop = \"24:00\" }]"));
    assert_error(&errs, "compute.ci.schedules[0].stop", &["24:00"]);
    let errs = errors(&ci(
        "schedules = [{ start = \"08:00\", days = [\"mon\", \"fry\"] }]",
    ));
    assert_error(
        &errs,
        "compute.ci.schedules[0].days",
        &["fry", "day of the week"],
    );
    let errs = errors(&ci("schedules = [{ days = [\"mon\"] }]"));
    assert_error(
        &errs,
        "compute.ci.schedules[0]",
        &["start time, a stop time"],
    );
    let errs = errors(&ci("schedules = [{ start = \"08:00\", stop = \"08:00\" }]"));
    assert_error(&errs, "compute.ci.schedules[0].stop", &["differ"]);
    let errs = errors(&ci(
        "schedules = [{ start = \"08:00\", until = \"09:00\" }]",
    ));
    assert!(
        errs.iter().any(|d| d.message.contains("until")),
        "{errs:#?}"
    );
    // Only compute instances have schedules.
    let errs = errors(&pool(
        "amlcompute",
        "schedules = [{ start = \"08:00\" }]",
        "10h",
        "0s",
        1.0,
    ));
    assert_error(&errs, "compute.pool.schedules", &["does not apply"]);
}

// ---------------------------------------------------------------------------------------------
// Serverless spot jobs
// ---------------------------------------------------------------------------------------------

/// A spot serverless target whose nodes live exactly `life_s` after allocation.
fn spot_spec(overhead_s: u64, life_s: u64, checkpoint_s: Option<u64>) -> ServerlessSpec {
    let mut spec = sl_spec(None, overhead_s);
    spec.tier = Tier::LowPriority;
    spec.preemption = Some(Sampler::constant_s(life_s as f64));
    spec.checkpoint_interval = checkpoint_s.map(s);
    spec
}

#[test]
fn a_preempted_spot_job_restarts_from_its_checkpoint_with_the_overhead_again() {
    // Overhead 100 s, node life 400 s, checkpoint every 120 s. J1 (1 node, 500 s) at 0.
    //   0:   allocated, starting; ready 100; its node will be taken back at 400.
    //   400: preempted after 300 s of running: checkpoints at 120 and 240 keep 240 s, the last
    //        60 s are lost. J1 (260 s left) queues again and is allocated at once: starting
    //        400..500 (the overhead again), node life to 900.
    //   500: runs its last 260 s, done 760.
    // provisioning 100 + 100 = 200; busy 300 + 260 = 560; 760 node-s = $0.76; lost 60 node-s
    // = $0.06. One wait, 100 s (the restart is not a second wait). Queue (quota wait plus
    // start-up): 0..100 and 400..500 = 200 job-s.
    let mut h = Sl::new(spot_spec(100, 400, Some(120)), 0, s(2000));
    h.submit(0, 500, 1);
    assert_sample(h.sample_at(s(100)), (1, 1, 0, 0), None, 0.1, "100 s");
    assert_sample(
        h.sample_at(s(400)),
        (1, 0, 1, 0),
        Some(1),
        0.4,
        "400 s: preempted",
    );
    assert_sample(h.sample_at(s(500)), (1, 1, 0, 0), Some(0), 0.5, "500 s");
    assert_sample(h.sample_at(s(760)), (0, 0, 0, 0), Some(0), 0.76, "760 s");
    let r = h.finish(s(2000));
    assert_areas(&r, 200, 560, 0);
    assert_eq!(r.lost_area, area(60));
    assert_eq!(r.preemptions, 1);
    assert_eq!(r.nodes_requested, 2);
    assert_eq!(r.queue_area, area(200));
    assert_eq!(r.waits.count(), 1);
    assert_eq!(r.waits.max(), Some(s(100)));
    assert_eq!((r.jobs_arrived, r.jobs_completed), (1, 1));
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 0.76, "cost_usd");
    assert_close(metric(&r, M::lost_cost), 0.06, "lost_work_cost_usd");
    assert_eq!(metric(&r, M::preemptions), 1.0);
    assert_eq!(r.workloads[0].busy_area, area(560) as f64);

    // Without checkpoints the same job never finishes: each allocation lives 400 s, of which
    // 100 s are the overhead, so it runs 300 s of its 500 s and loses them all. Allocations at
    // 0, 400, 800, 1200, 1600 and 2000 (the horizon); runs 100..400, 500..800, 900..1200,
    // 1300..1600, 1700..2000; 5 preemptions. provisioning 5 × 100 = 500; busy = lost =
    // 5 × 300 = 1500; 2000 node-s = $2.00, of which $1.50 is lost work. Checkpoints are what
    // let a job longer than a spot node's life finish at all.
    let mut h = Sl::new(spot_spec(100, 400, None), 0, s(2000));
    h.submit(0, 500, 1);
    let r = h.finish(s(2000));
    assert_areas(&r, 500, 1500, 0);
    assert_eq!(r.lost_area, area(1500));
    assert_eq!(
        (r.preemptions, r.nodes_requested, r.total_completed),
        (5, 6, 0)
    );
    assert_eq!(r.waits.count(), 1, "the first start's wait only");
    assert_conserved(&r);
    assert_close(metric(&r, M::cost), 2.0, "cost_usd");
    assert_close(metric(&r, M::lost_cost), 1.5, "lost_work_cost_usd");
}

#[test]
fn a_spot_job_preempted_while_starting_loses_no_work_and_keeps_waiting() {
    // Overhead 300 s, node life 200 s: every allocation is taken back before it is ready, so
    // the job never runs. Allocations at 0, 200, 400, 600, 800 and 1000 (the horizon), each
    // taken back 200 s later: 5 preemptions by the horizon, one node starting throughout,
    // nothing lost, no wait recorded (the job never started), and the job is still waiting.
    let mut h = Sl::new(spot_spec(300, 200, None), 0, s(1000));
    h.submit(0, 100, 1);
    let r = h.finish(s(1000));
    assert_areas(&r, 1000, 0, 0);
    assert_eq!((r.preemptions, r.lost_area), (5, 0));
    assert_eq!(r.nodes_requested, 6);
    assert_eq!(r.waits.count(), 0);
    assert_eq!(
        (r.total_completed, r.running_at_end, r.queued_at_end),
        (0, 0, 1)
    );
    assert_conserved(&r);
}

#[test]
fn spot_serverless_through_the_loader_uses_spot_prices() {
    let extra = "size = \"Standard_D2s_v3\"\njob_tier = \"spot\"\n\
                 preemption = { mean_time_between = \"6h\" }\ncheckpoint_interval = \"10m\"";
    let sc = loads(&pool("serverless", extra, "10h", "0s", 5.0));
    let spot = Catalog::builtin()
        .get("Standard_D2s_v3")
        .and_then(|v| v.low_priority_price_usd_per_hour)
        .expect("a spot price");
    assert_eq!(sc.system.targets[0].price_usd_per_hour(), spot);
    assert_eq!(sc.system.targets[0].tier(), "spot");
    let TargetKind::Serverless(spec) = &sc.system.targets[0].kind else {
        panic!("serverless");
    };
    assert_eq!(spec.checkpoint_interval, Some(s(600)));
    // About 25 node-hours of jobs a replication (5 jobs/h x 30 min x 10 h), preempted once per
    // 6 h of node time on average: about 4 preemptions each, 12 over the three replications. A
    // whole count, and some: a spot pool that is never preempted would be a bug.
    let preemptions: Vec<f64> = run(&sc)
        .iter()
        .map(|v| v[M::preemptions as usize])
        .collect();
    assert!(
        preemptions.iter().all(|p| p.fract() == 0.0),
        "{preemptions:?}"
    );
    let total: f64 = preemptions.iter().sum();
    assert!((3.0..=40.0).contains(&total), "{preemptions:?}");
    let errs = errors(&pool(
        "serverless",
        "size = \"Standard_D2s_v3\"\npreemption = { mean_time_between = \"6h\" }",
        "10h",
        "0s",
        5.0,
    ));
    assert_error(&errs, "compute.pool.preemption", &["job_tier = \"spot\""]);
}

// ---------------------------------------------------------------------------------------------
// Priorities on the instance and serverless queues
// ---------------------------------------------------------------------------------------------

fn prio_job(at_s: u64, duration_s: u64, workload: u32, priority: i32) -> Job {
    Job {
        workload,
        priority,
        ..job(at_s, duration_s, 1)
    }
}

#[test]
fn instance_queue_serves_higher_priority_first_fifo_within() {
    // Running, 1 slot, no idle shutdown. J1 (w0, prio 0, 100 s) at 0 runs 0..100. Queued
    // behind it: J2 (w0, prio 0, 100 s) at 10, J3 (w1, prio 5, 100 s) at 20, J4 (w1, prio 5,
    // 50 s) at 30. Served: J3 100..200 (wait 80), J4 200..250 (wait 170), J2 250..350 (wait
    // 240). Workload 0 waits 0 and 240, busy 200 s; workload 1 waits 80 and 170, busy 150 s.
    let mut h = Ci::new(ci_spec(1, None, 120, true), 0, s(1000));
    for (at, d, w, p) in [
        (0, 100, 0, 0),
        (10, 100, 0, 0),
        (20, 100, 1, 5),
        (30, 50, 1, 5),
    ] {
        h.advance_to(s(at));
        h.inst.submit(s(at), prio_job(at, d, w, p), &mut h.queue);
    }
    let r = h.finish(s(1000));
    assert_eq!(r.waits.mean(), s(490) as f64 / 4.0);
    assert_eq!(r.waits.max(), Some(s(240)));
    let (w0, w1) = (&r.workloads[0], &r.workloads[1]);
    assert_eq!(
        (w0.waits.mean(), w0.waits.max()),
        (s(120) as f64, Some(s(240)))
    );
    assert_eq!(
        (w1.waits.mean(), w1.waits.max()),
        (s(125) as f64, Some(s(170)))
    );
    assert_eq!(
        (w0.busy_area, w1.busy_area),
        (area(200) as f64, area(150) as f64)
    );
    assert_conserved(&r);
}

#[test]
fn instance_shares_the_node_between_concurrent_jobs_of_two_workloads() {
    // Running, 2 slots. w0: J1 0..300. w1: J2 100..200. Alone 0..100 and 200..300, J1 has the
    // node; 100..200 the two jobs share it: w0 100 + 50 + 100 = 250, w1 50. The instance's busy
    // time is 300 = 250 + 50, and the cost shares are 5/6 and 1/6.
    let mut h = Ci::new(ci_spec(2, None, 120, true), 0, s(600));
    h.inst.submit(0, prio_job(0, 300, 0, 0), &mut h.queue);
    h.advance_to(s(100));
    h.inst
        .submit(s(100), prio_job(100, 100, 1, 0), &mut h.queue);
    let r = h.finish(s(600));
    assert_eq!(r.busy_area, area(300));
    assert_eq!(r.workloads[0].busy_area, area(250) as f64);
    assert_eq!(r.workloads[1].busy_area, area(50) as f64);
    // Cost: VM 600 s = $0.60 + fixed $0.06 = $0.66, split 5/6 and 1/6.
    let v = metrics::values(&TargetReport::Cluster(r.clone()));
    let ws = v.workloads.as_ref().expect("a breakdown");
    assert_close(ws[0].values[5], 5.0 / 6.0, "w0 cost share");
    assert_close(ws[1].values[6], 0.66 / 6.0, "w1 attributed cost");
}

#[test]
fn serverless_quota_queue_serves_higher_priority_first() {
    // Overhead 100 s, quota 4 vCPUs (one 1-node job at a time). J1 (prio 0, 500 s) at 0
    // takes the quota: ready 100, done 600. Waiting: J2 (prio 0, 100 s) at 10, J3 (prio 1,
    // 100 s) at 20. At 600: J3 first (ready 700, wait 680), done 800; then J2 (ready 900, wait
    // 890). Without priorities J2 would go first.
    let mut h = Sl::new(sl_spec(Some(4), 100), 0, s(2000));
    for (at, d, p) in [(0, 500, 0), (10, 100, 0), (20, 100, 1)] {
        h.advance_to(s(at));
        h.sl.submit(s(at), prio_job(at, d, p as u32, p), &mut h.queue);
    }
    let r = h.finish(s(2000));
    assert_eq!(r.waits.max(), Some(s(890)));
    assert_eq!(r.workloads[1].waits.max(), Some(s(680)), "J3 (workload 1)");
    assert_eq!(r.waits.mean(), s(100 + 680 + 890) as f64 / 3.0);
    assert_conserved(&r);
}
