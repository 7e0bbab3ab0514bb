//! The compute cluster model against a small independent re-implementation of its documented
//! rules, on a long replay of real multi-node jobs with `min_instances = 2`.
//!
//! The reference below is written from the rules in `targets::cluster`'s documentation, not
//! from its code: it keeps every node as a record with its own state and scans them, where the
//! model keeps counts, an idle list and stale-event epochs. Both are driven by the same jobs
//! (the Philly trace's submissions, run times and GPU counts as nodes); every area, wait and
//! count must agree exactly. The reference also checks, as it goes, the rule the model once
//! broke: every node that goes idle above the minimum is released its idle time later, unless
//! queued jobs need it then.

use crate::support::repo;
use capsim::engine::{EventQueue, Sampler, SimTime, stream};
use capsim::targets::{Cluster, ClusterEvent, ClusterReport, ClusterSpec, Job, Tier};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

const MIN: u32 = 2;
const MAX: u32 = 64;
const IDLE_S: u64 = 600;
const PROVISIONING_S: u64 = 300;
const US: u64 = 1_000_000;

/// (arrival, duration, nodes), µs, from the Philly trace. Arrivals and run times get a fixed
/// sub-second offset each so that no two events of different jobs fall on the same
/// microsecond: the order of simultaneous events is a convention of each implementation, and
/// this test is about the scale-down rule, not about that convention.
fn jobs() -> Vec<(SimTime, SimTime, u32)> {
    let path = repo().join("scenarios/traces/philly_vc_11cb48.csv");
    let text = std::fs::read_to_string(path).expect("the bundled Philly trace");
    let mut rows = vec![];
    for (i, line) in text.lines().skip(1).enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let t = chrono::NaiveDateTime::parse_from_str(cells[0], "%Y-%m-%d %H:%M:%S")
            .expect("trace time")
            .and_utc()
            .timestamp();
        let duration_s: f64 = cells[1].parse().expect("trace duration");
        let nodes: u32 = cells[2].parse().expect("trace GPUs");
        let jitter = (i as u64 * 7919) % 999_983 + 1;
        rows.push((
            t,
            (duration_s * US as f64) as u64 + jitter % 1000,
            nodes,
            jitter,
        ));
    }
    let t0 = rows.iter().map(|r| r.0).min().expect("jobs");
    let mut jobs: Vec<(SimTime, SimTime, u32)> = rows
        .into_iter()
        .filter(|r| r.2 >= 1 && r.2 <= MAX)
        .map(|(t, d, n, jitter)| ((t - t0) as u64 * US + jitter, d.max(1), n))
        .collect();
    jobs.sort();
    jobs
}

/// The model, driven as the engine drives it: every event up to an arrival's instant first.
fn model(jobs: &[(SimTime, SimTime, u32)], horizon: SimTime) -> ClusterReport {
    let spec = ClusterSpec {
        size: "Standard_NC4as_T4_v3".into(),
        min_instances: MIN,
        max_instances: MAX,
        idle_time_before_scale_down: Some(IDLE_S * US),
        tier: Tier::Dedicated,
        provisioning_time: Sampler::constant_s(PROVISIONING_S as f64),
        backfill: false,
        price_usd_per_hour: 3.6,
        preemption: None,
        checkpoint_interval: None,
        eviction_time: 0,
        spot: None,
    };
    let mut cluster = Cluster::new(spec, stream(1, 0, "reference"), 0, horizon);
    let mut queue: EventQueue<ClusterEvent> = EventQueue::new();
    for &(at, duration, nodes) in jobs {
        while let Some((now, ev)) = queue.pop_until(at) {
            cluster.handle(now, ev, &mut queue);
        }
        let job = Job {
            workload: 0,
            arrival: at,
            duration,
            nodes,
            priority: 0,
        };
        cluster.submit(at, job, &mut queue);
    }
    while let Some((now, ev)) = queue.pop_until(horizon) {
        cluster.handle(now, ev, &mut queue);
    }
    cluster.finish(horizon)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Provisioning,
    /// Idle since, and whether it has a timer (an idle node at or below the minimum has none).
    Idle {
        since: SimTime,
        timer: bool,
    },
    Busy,
    Gone,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    state: State,
    requested: SimTime,
    gone: Option<SimTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Ready(usize),
    /// Job index and its nodes are found by scanning `running`.
    Done(usize),
    /// Node, and the idle start the timer belongs to.
    Timer(usize, SimTime),
}

/// What the reference measured, in the model's units (µs and node × µs).
#[derive(Debug, PartialEq)]
struct Measured {
    provisioning_area: u128,
    busy_area: u128,
    idle_area: u128,
    queue_area: u128,
    wait_sum: u128,
    waits: u64,
    peak_nodes: u32,
    nodes_requested: u64,
    completed: u64,
}

struct Reference {
    nodes: Vec<Node>,
    queue: VecDeque<usize>,
    running: Vec<(usize, Vec<usize>)>,
    events: BinaryHeap<Reverse<(SimTime, u64, Ev)>>,
    seq: u64,
    /// Nodes whose timer found queued jobs needing them: re-armed at the next change.
    kept: Vec<usize>,
    jobs: Vec<(SimTime, SimTime, u32)>,
    last: SimTime,
    m: Measured,
}

impl Reference {
    fn count(&self, f: impl Fn(&State) -> bool) -> u64 {
        self.nodes.iter().filter(|n| f(&n.state)).count() as u64
    }

    fn allocated(&self) -> u64 {
        self.count(|s| *s != State::Gone)
    }

    fn demand(&self) -> u64 {
        self.queue.iter().map(|&j| self.jobs[j].2 as u64).sum()
    }

    fn schedule(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        self.events.push(Reverse((at, self.seq, ev)));
    }

    /// Integrates the areas from the last instant up to `now` with the states as they stand.
    fn advance(&mut self, now: SimTime) {
        let dt = (now - self.last) as u128;
        self.m.provisioning_area += dt * self.count(|s| *s == State::Provisioning) as u128;
        self.m.busy_area += dt * self.count(|s| *s == State::Busy) as u128;
        self.m.idle_area += dt * self.count(|s| matches!(s, State::Idle { .. })) as u128;
        self.m.queue_area += dt * self.queue.len() as u128;
        self.last = now;
    }

    fn go_idle(&mut self, now: SimTime, id: usize, idle_s: SimTime) {
        // The node itself is still allocated: above the minimum means more than MIN with it.
        let timer = self.allocated() > MIN as u64;
        self.nodes[id].state = State::Idle { since: now, timer };
        if timer {
            self.schedule(now + idle_s, Ev::Timer(id, now));
        }
    }

    /// Most recently idled first; among nodes idled at the same instant, any (they are alike).
    fn take_idle(&mut self) -> usize {
        let (id, _) = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n.state {
                State::Idle { since, .. } => Some((i, since)),
                _ => None,
            })
            .max_by_key(|&(i, since)| (since, Reverse(i)))
            .expect("an idle node");
        id
    }

    fn start_queued(&mut self, now: SimTime) {
        while let Some(&j) = self.queue.front() {
            let (arrival, duration, n) = self.jobs[j];
            if self.count(|s| matches!(s, State::Idle { .. })) < n as u64 {
                break;
            }
            self.queue.pop_front();
            let nodes: Vec<usize> = (0..n)
                .map(|_| {
                    let id = self.take_idle();
                    self.nodes[id].state = State::Busy;
                    id
                })
                .collect();
            self.m.wait_sum += (now - arrival) as u128;
            self.m.waits += 1;
            self.running.push((j, nodes));
            self.schedule(now + duration, Ev::Done(j));
        }
    }

    /// What happens after any change of state: queued jobs start, kept timers re-arm, and the
    /// autoscaler asks for what queued demand still lacks.
    fn settle(&mut self, now: SimTime, idle_s: SimTime, provisioning: SimTime) {
        self.start_queued(now);
        for id in std::mem::take(&mut self.kept) {
            if let State::Idle { since, timer: true } = self.nodes[id].state {
                self.schedule(now + idle_s, Ev::Timer(id, since));
            }
        }
        let supply = self.count(|s| matches!(s, State::Idle { .. } | State::Provisioning));
        let demand = self.demand();
        if demand > supply {
            let room = (MAX as u64).saturating_sub(self.allocated());
            for _ in 0..(demand - supply).min(room) {
                self.nodes.push(Node {
                    state: State::Provisioning,
                    requested: now,
                    gone: None,
                });
                self.m.nodes_requested += 1;
                let id = self.nodes.len() - 1;
                self.schedule(now + provisioning, Ev::Ready(id));
            }
        }
        self.m.peak_nodes = self.m.peak_nodes.max(self.allocated() as u32);
    }

    fn handle(&mut self, now: SimTime, ev: Ev, idle_s: SimTime, provisioning: SimTime) {
        match ev {
            Ev::Ready(id) => {
                self.go_idle(now, id, idle_s);
                self.settle(now, idle_s, provisioning);
            }
            Ev::Done(j) => {
                let at = self.running.iter().position(|r| r.0 == j).expect("running");
                let (_, nodes) = self.running.swap_remove(at);
                for id in nodes {
                    self.go_idle(now, id, idle_s);
                }
                self.m.completed += 1;
                self.settle(now, idle_s, provisioning);
            }
            Ev::Timer(id, idle_since) => {
                let State::Idle { since, .. } = self.nodes[id].state else {
                    return;
                };
                if since != idle_since {
                    return; // used since: this timer belongs to an earlier idle spell
                }
                if self.allocated() <= MIN as u64 {
                    return;
                }
                let supply = self.count(|s| matches!(s, State::Idle { .. } | State::Provisioning));
                if self.demand() >= supply {
                    self.kept.push(id);
                    return;
                }
                self.nodes[id].state = State::Gone;
                self.nodes[id].gone = Some(now);
            }
        }
    }

    fn run(jobs: &[(SimTime, SimTime, u32)], horizon: SimTime) -> (Measured, Vec<Node>) {
        let idle_s = IDLE_S * US;
        let provisioning = PROVISIONING_S * US;
        let mut r = Reference {
            nodes: (0..MIN)
                .map(|_| Node {
                    state: State::Idle {
                        since: 0,
                        timer: false,
                    },
                    requested: 0,
                    gone: None,
                })
                .collect(),
            queue: VecDeque::new(),
            running: vec![],
            events: BinaryHeap::new(),
            seq: 0,
            kept: vec![],
            jobs: jobs.to_vec(),
            last: 0,
            m: Measured {
                provisioning_area: 0,
                busy_area: 0,
                idle_area: 0,
                queue_area: 0,
                wait_sum: 0,
                waits: 0,
                peak_nodes: MIN,
                nodes_requested: 0,
                completed: 0,
            },
        };
        let mut next = 0;
        loop {
            let event_at = r.events.peek().map(|Reverse((t, _, _))| *t);
            let arrival_at = jobs.get(next).map(|j| j.0);
            let now = match (event_at, arrival_at) {
                (Some(e), Some(a)) if e <= a => e,
                (_, Some(a)) => a,
                (Some(e), None) => e,
                (None, None) => break,
            };
            if now > horizon {
                break;
            }
            r.advance(now);
            if event_at == Some(now) {
                let Reverse((_, _, ev)) = r.events.pop().expect("peeked");
                r.handle(now, ev, idle_s, provisioning);
            } else {
                r.queue.push_back(next);
                next += 1;
                r.settle(now, idle_s, provisioning);
            }
        }
        r.advance(horizon);
        (r.m, r.nodes)
    }
}

#[test]
fn the_model_matches_an_independent_reimplementation_on_the_philly_trace() {
    let jobs = jobs();
    assert!(jobs.len() > 15_000, "{} jobs", jobs.len());
    assert!(
        jobs.iter().filter(|j| j.2 > 1).count() > 1000,
        "multi-node jobs are the point"
    );
    let horizon = 95 * 86_400 * US;
    let (want, nodes) = Reference::run(&jobs, horizon);

    // The reference's own bill: node-time from request to release (or the horizon).
    let billed: u128 = nodes
        .iter()
        .map(|n| (n.gone.unwrap_or(horizon) - n.requested) as u128)
        .sum();
    assert_eq!(
        billed,
        want.provisioning_area + want.busy_area + want.idle_area
    );

    let got = model(&jobs, horizon);
    let got_wait_mean = got.waits.mean();
    let got = Measured {
        provisioning_area: got.provisioning_area,
        busy_area: got.busy_area,
        idle_area: got.idle_area,
        queue_area: got.queue_area,
        wait_sum: want.wait_sum,
        waits: got.waits.count(),
        peak_nodes: got.peak_nodes,
        nodes_requested: got.nodes_requested,
        completed: got.jobs_completed,
    };
    assert_eq!(got, want);
    // The model keeps the sum of waits as a float mean: compare it to the µs.
    let mean_want = want.wait_sum as f64 / want.waits as f64;
    assert!(
        (got_wait_mean - mean_want).abs() <= 1e-9 * mean_want.max(1.0),
        "mean wait {got_wait_mean} µs, the reference {mean_want} µs"
    );
}
