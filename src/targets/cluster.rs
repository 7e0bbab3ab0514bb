//! The Azure ML compute cluster (`type = "amlcompute"`).
//!
//! Semantics, each from Azure ML's documentation unless marked as ours (see
//! <https://learn.microsoft.com/azure/machine-learning/how-to-create-attach-compute-cluster>,
//! <https://learn.microsoft.com/azure/machine-learning/how-to-manage-optimize-cost> and the compute
//! YAML reference,
//! <https://learn.microsoft.com/azure/machine-learning/reference-yaml-compute-aml>):
//! - jobs queue first in, first out (ours: within a workload `priority`, higher first, which
//!   the scenario sets per workload); a job that needs k nodes starts when k nodes are idle
//!   (ours: with `backfill`, a later job that fits may pass a blocked head);
//! - the autoscaler asks for nodes as soon as queued demand exceeds idle plus provisioning nodes,
//!   never above `max_instances`; a node is usable after its provisioning time;
//! - a node idle for `idle_time_before_scale_down` is released, never below `min_instances`
//!   (as we implement it: every node that goes idle while the cluster holds more than
//!   `min_instances` nodes, itself included, is released that long after it went idle, unless
//!   the keep rule below holds at that moment; a node that goes idle at or below the minimum
//!   belongs to the floor and has no timer);
//!   the `min_instances` nodes exist, ready, from time zero (ours: the cluster was created before
//!   the simulated period starts);
//! - a node is billed from the moment it is requested until it is released;
//! - low priority is Spot from 31 March 2026 (`targets::defaults::SPOT_SINCE`): a node may be
//!   evicted for capacity at any time, its job re-queued and run again from its last checkpoint
//!   (none: from the start), and an evicted node is billed while it is powered on
//!   (`eviction_time`, an assumption: the 30 s notice of a Spot eviction), as is its
//!   replacement's provisioning.
//!
//! An evicted node holds its place against `max_instances` until it is gone, and its
//! replacement is asked for then: Azure Batch, which allocates Azure ML's cluster nodes, counts
//! preempted nodes among a pool's current Spot nodes (the Batch REST API's pool
//! `currentLowPriorityNodes`, <https://learn.microsoft.com/rest/api/batchservice/pool/get>), and
//! a Spot VM under its eviction notice still exists and holds its cores
//! (<https://learn.microsoft.com/azure/virtual-machines/spot-vms>). That Azure ML's
//! `max_instances` is checked against that count is ours (Azure ML says nothing more).
//!
//! Ours, where Azure says nothing: a starting job takes the most recently idled nodes (so surplus
//! nodes age and time out, as they would in a cluster that packs work); an idle node whose timer
//! expires while queued jobs still need it (the keep rule: queued demand, in nodes, is at least
//! the idle plus provisioning nodes) is kept, and its timer starts again at the cluster's next
//! change of state (a job arriving or ending, a node becoming ready) if it is still idle.

use super::batch::{BatchSpec, BatchStats, BatchWork, Ended};
use super::breakdown::{Breakdown, WorkloadReport};
use super::queue::{JobQueue, Prioritized};
use super::spot::{PricePath, SpotPricing};
use super::usage::HourlyUsage;
use crate::engine::mser::BatchMeans;
use crate::engine::stats::{DurationStats, Levels, TimeWeighted};
use crate::engine::{Sampler, Schedule, SimTime, StreamRng};
use rand::SeedableRng;
use std::collections::VecDeque;
use std::sync::Arc;

/// `tier`: which price a node is billed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Dedicated,
    LowPriority,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Dedicated => "dedicated",
            Tier::LowPriority => "low_priority",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub size: String,
    pub min_instances: u32,
    pub max_instances: u32,
    /// `None` never releases idle nodes.
    pub idle_time_before_scale_down: Option<SimTime>,
    pub tier: Tier,
    pub provisioning_time: Sampler,
    pub backfill: bool,
    /// The price of one node for one hour at this cluster's tier.
    pub price_usd_per_hour: f64,
    /// Low priority: how long a node lives before Azure takes it back (`None`: never).
    pub preemption: Option<Sampler>,
    /// A preempted job restarts from its last checkpoint (`None`: from the start).
    pub checkpoint_interval: Option<SimTime>,
    /// How long a node taken back stays allocated, billed and doing nothing, before it is gone
    /// (zero: it leaves at once, the model before Spot).
    pub eviction_time: SimTime,
    /// Low priority as Spot: the node's price is a risk, drawn per replication into the path
    /// given with [`Cluster::set_price_path`]; `price_usd_per_hour` is then its central value.
    pub spot: Option<Arc<SpotPricing>>,
}

/// A unit of work submitted to a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub workload: u32,
    pub arrival: SimTime,
    pub duration: SimTime,
    pub nodes: u32,
    /// The workload's `priority`: higher runs first, first in, first out within a priority.
    pub priority: i32,
}

impl Prioritized for Job {
    #[inline]
    fn priority(&self) -> i32 {
        self.priority
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterEvent {
    /// Stale when the node slot has been given to another node since (`life` moved on).
    NodeReady { node: u32, life: u32 },
    /// Stale when the job on `slot` was preempted (`run` moved on).
    JobDone { slot: u32, run: u32 },
    /// A low-priority node is taken back.
    Preempt { node: u32, life: u32 },
    /// A node taken back is gone, `eviction_time` after it was taken.
    Gone { node: u32, life: u32 },
    /// Fires `idle_time_before_scale_down` after a node went idle; stale when the node's epoch
    /// has moved on (it was used or released meanwhile).
    IdleTimeout { node: u32, epoch: u32 },
    /// A batch job's worker ends a mini-batch attempt (see [`BatchWork`]); stale when the
    /// worker's attempt count has moved on.
    MiniBatchDone { worker: u32, attempt: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeState {
    Provisioning,
    Idle,
    Busy,
    /// Taken back by Azure but still allocated (billed) until it is gone.
    Evicting,
    Released,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    state: NodeState,
    epoch: u32,
    idle_since: SimTime,
    /// Counts the allocations of this slot, so events of an earlier node are recognised.
    life: u32,
    /// The running-job slot while busy.
    slot: u32,
}

struct Running {
    job: Job,
    nodes: Vec<u32>,
    start: SimTime,
    /// Counts the jobs run in this slot, so a preempted job's completion is recognised.
    run: u32,
}

/// A queued job; `restarted` once it has been preempted (its wait was counted at first start).
#[derive(Clone, Copy, Debug)]
struct Queued {
    job: Job,
    restarted: bool,
}

impl Prioritized for Queued {
    #[inline]
    fn priority(&self) -> i32 {
        self.job.priority
    }
}

/// What one replication measured on one cluster, inside the observation window
/// (after warm-up, up to the horizon) unless a name says otherwise.
#[derive(Clone, Debug)]
pub struct ClusterReport {
    pub window: SimTime,
    pub price_usd_per_hour: f64,
    pub jobs_arrived: u64,
    pub jobs_completed: u64,
    /// Waits of jobs that started inside the window (at or after the warm-up, by the horizon),
    /// whenever they arrived; a preempted job's wait is its first start's.
    pub waits: DurationStats,
    /// Node × microseconds in each state.
    pub provisioning_area: u128,
    pub busy_area: u128,
    pub idle_area: u128,
    /// Of `idle_area`, the idle nodes held only by `min_instances` (the floor): at every instant
    /// `min(idle, max(0, min_instances − (allocated − idle)))` nodes, where `allocated` counts
    /// provisioning, busy, idle and evicting nodes. The rest of `idle_area` is the tail: idle
    /// nodes above the minimum, waiting for scale-down (see [`floor_idle_nodes`]).
    pub floor_idle_area: u128,
    /// Queued jobs × microseconds.
    pub queue_area: u128,
    pub peak_nodes: u32,
    pub nodes_requested: u64,
    /// Over the whole run, for conservation checks: arrived = completed + running + queued.
    pub total_arrived: u64,
    pub total_completed: u64,
    pub running_at_end: u64,
    pub queued_at_end: u64,
    /// Costs billed whatever the state (a compute instance's OS disk and load balancer), US
    /// dollars per hour, and how many times the target started (compute instances).
    pub fixed_usd_per_hour: f64,
    pub startups: u64,
    /// Nodes taken back while allocated, and the node time of work lost to it (run since the
    /// job's last checkpoint), inside the window.
    pub preemptions: u64,
    pub lost_area: u128,
    /// Node × microseconds of nodes taken back but not yet gone (billed, doing nothing).
    pub evicting_area: u128,
    /// Low priority as Spot: what its variable price made of the node time.
    pub spot: Option<SpotOutcome>,
    /// Dedicated `amlcompute` clusters: allocated node-hours in each hour of the window, what
    /// reservations and savings plans apply to (empty for other targets).
    pub hourly_node_hours: Vec<f64>,
    /// The same measures per workload, indexed by the workload's position in the scenario
    /// (workloads aimed elsewhere have empty entries or none).
    pub workloads: Vec<WorkloadReport>,
    /// Batch jobs that lost all their nodes to preemption, over the whole run (they end without
    /// completing: arrived = completed + cancelled + running + queued).
    pub total_cancelled: u64,
    /// Of those, the ones cancelled after warm-up; `None` when no batch endpoint runs here.
    pub jobs_cancelled: Option<u64>,
    /// The mini-batch level of the batch workloads run here: (workload, settings, measures,
    /// jobs of it still queued at the horizon).
    pub batches: Vec<(u32, Arc<BatchSpec>, BatchStats, u64)>,
}

impl ClusterReport {
    /// Billed node time in the window, node × microseconds.
    pub fn billed_area(&self) -> u128 {
        self.busy_area + self.idle_area + self.provisioning_area + self.evicting_area
    }

    /// The mean price paid per node-hour: the Spot bill over the node time when the price
    /// varied, else the fixed price.
    pub fn paid_usd_per_hour(&self) -> f64 {
        let area = self.billed_area();
        match &self.spot {
            Some(s) if area > 0 => {
                s.node_cost_usd / (area as f64 / crate::engine::time::MICROS_PER_HOUR as f64)
            }
            _ => self.price_usd_per_hour,
        }
    }
}

/// The bill of a low-priority cluster priced as Spot, in one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotOutcome {
    /// Node time in the window times the price that held, US dollars.
    pub node_cost_usd: f64,
    pub payg_usd_per_hour: f64,
    /// The cost of the same cluster at tier dedicated on the same arrivals (see
    /// `model::run_replication`), US dollars; `None` until the twin has run.
    pub dedicated_cost_usd: Option<f64>,
}

/// How many of a cluster's `idle` nodes are the floor: idle only because `min_instances` holds
/// them. Rank the `allocated` nodes with every node that is not idle (provisioning, busy,
/// evicting) first: an idle node ranked at or below `min_instances` is floor, one ranked above it
/// is tail (it waits for scale-down, which may release it without going under the minimum). So
/// the floor is `min(idle, max(0, min_instances − (allocated − idle)))`. Which idle nodes are the
/// floor does not matter to the bill: they all cost the same at any instant.
#[inline(always)]
pub fn floor_idle_nodes(min_instances: u32, allocated: u32, idle: u32) -> u32 {
    let not_idle = allocated - idle;
    idle.min(min_instances.saturating_sub(not_idle))
}

/// Integrates allocated nodes × the price path (microseconds × US dollars per hour).
#[derive(Clone, Debug)]
struct SpotBill {
    path: PricePath,
    cursor: usize,
    last: SimTime,
    nodes: u64,
    window: f64,
    total: f64,
}

/// A state snapshot for time series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClusterSample {
    pub nodes_allocated: u32,
    pub nodes_busy: u32,
    pub nodes_provisioning: u32,
    pub nodes_idle: u32,
    pub queue_jobs: u32,
    /// Billed since time zero, warm-up included.
    pub cumulative_cost_usd: f64,
}

pub struct Cluster {
    spec: ClusterSpec,
    rng: StreamRng,
    window_from: SimTime,
    window_to: SimTime,

    nodes: Vec<Node>,
    free_node_ids: Vec<u32>,
    /// Idle nodes in the order they went idle: the back is the most recently idled (taken first
    /// by a starting job), the front the oldest (the first whose timer expires, since all nodes
    /// share one idle time), so both ends are O(1).
    idle: VecDeque<u32>,
    queue: JobQueue<Queued>,
    queued_demand: u64,
    breakdown: Breakdown,
    preempt_rng: StreamRng,
    preemptions: u64,
    lost_area: u128,
    n_evicting: u32,
    bill: Option<SpotBill>,
    usage: Option<HourlyUsage>,
    /// Idle nodes whose timer expired while a blocked job needed them: (node, epoch).
    kept: Vec<(u32, u32)>,
    running: Vec<Running>,
    free_running: Vec<u32>,
    n_provisioning: u32,
    n_busy: u32,

    /// Provisioning, busy and idle nodes, queued jobs, evicting nodes and floor idle nodes,
    /// integrated over the window.
    levels: Levels<6>,
    billed_since_zero: TimeWeighted,
    waits: DurationStats,
    /// Every first start's wait since time zero, warm-up included: the series MSER reads.
    wait_series: BatchMeans,
    jobs_arrived: u64,
    jobs_completed: u64,
    total_arrived: u64,
    total_completed: u64,
    peak_nodes: u32,
    nodes_requested: u64,
    /// The mini-batches of batch endpoint jobs (empty without batch workloads).
    batch: BatchWork,
    total_cancelled: u64,
    jobs_cancelled: u64,
}

const MICROS_PER_HOUR_F: f64 = crate::engine::time::MICROS_PER_HOUR as f64;

impl SpotBill {
    /// `nodes` held from the last change up to `now`; `allocated` from `now` on.
    #[inline]
    fn advance(&mut self, now: SimTime, allocated: u64, from: SimTime, to: SimTime) {
        if now > self.last && self.nodes > 0 {
            let n = self.nodes as f64;
            let (a, b) = (self.last.max(from), now.min(to));
            self.window += n * self.path.integral_from(&mut self.cursor.clone(), a, b);
            self.total += n * self.path.integral_from(&mut self.cursor, self.last, now);
        }
        self.last = self.last.max(now);
        self.nodes = allocated;
    }
}

impl Cluster {
    /// A cluster at time zero with its `min_instances` nodes ready and idle.
    /// Statistics cover `[window_from, window_to)`.
    pub fn new(
        spec: ClusterSpec,
        rng: StreamRng,
        window_from: SimTime,
        window_to: SimTime,
    ) -> Self {
        // Preemption draws from its own stream so that switching it on leaves provisioning
        // times unchanged. Derived from the provisioning stream: each target has one seed.
        let mut derived = rng.clone();
        let preempt_rng =
            StreamRng::seed_from_u64(rand::Rng::next_u64(&mut derived) ^ 0x5052_4545_4D50_5400);
        let mut c = Cluster {
            preempt_rng,
            preemptions: 0,
            lost_area: 0,
            n_evicting: 0,
            bill: None,
            usage: None,
            rng,
            window_from,
            window_to,
            nodes: Vec::with_capacity(spec.max_instances.min(1024) as usize),
            free_node_ids: Vec::new(),
            idle: VecDeque::new(),
            queue: JobQueue::new(),
            queued_demand: 0,
            breakdown: Breakdown::default(),
            kept: Vec::new(),
            running: Vec::new(),
            free_running: Vec::new(),
            n_provisioning: 0,
            n_busy: 0,
            levels: Levels::new(window_from, window_to),
            billed_since_zero: TimeWeighted::new(0, SimTime::MAX),
            waits: DurationStats::new(),
            wait_series: BatchMeans::new(),
            jobs_arrived: 0,
            jobs_completed: 0,
            total_arrived: 0,
            total_completed: 0,
            peak_nodes: 0,
            nodes_requested: 0,
            batch: BatchWork::default(),
            total_cancelled: 0,
            jobs_cancelled: 0,
            spec,
        };
        for _ in 0..c.spec.min_instances {
            let id = c.new_node(NodeState::Idle);
            c.idle.push_back(id);
        }
        c.sync(0);
        c
    }

    pub fn spec(&self) -> &ClusterSpec {
        &self.spec
    }

    /// Jobs of `workload` are a batch endpoint's invocations: they run as mini-batches, their
    /// files' times drawn from `rng`.
    pub fn add_batch(&mut self, workload: u32, spec: Arc<BatchSpec>, rng: StreamRng) {
        self.batch.add(workload, spec, rng);
    }

    fn allocated(&self) -> u32 {
        self.n_provisioning + self.n_busy + self.idle.len() as u32 + self.n_evicting
    }

    /// The price this replication pays per node-hour over time (low priority as Spot). Set
    /// before the first event.
    pub fn set_price_path(&mut self, path: PricePath) {
        self.bill = Some(SpotBill {
            path,
            cursor: 0,
            last: 0,
            nodes: self.allocated() as u64,
            window: 0.0,
            total: 0.0,
        });
    }

    fn new_node(&mut self, state: NodeState) -> u32 {
        match self.free_node_ids.pop() {
            Some(id) => {
                let slot = &mut self.nodes[id as usize];
                // Epoch and life keep counting up across reuse, so the timers and events of
                // the slot's previous node are stale.
                slot.state = state;
                slot.epoch = slot.epoch.wrapping_add(1);
                slot.life = slot.life.wrapping_add(1);
                slot.idle_since = 0;
                id
            }
            None => {
                self.nodes.push(Node {
                    state,
                    epoch: 0,
                    idle_since: 0,
                    life: 0,
                    slot: 0,
                });
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Schedules what the nodes that exist at time zero need (their preemption, if any).
    pub fn arm_initial(&mut self, s: &mut impl Schedule<ClusterEvent>) {
        for id in 0..self.nodes.len() as u32 {
            self.arm_preemption(0, id, s);
        }
    }

    fn arm_preemption(&mut self, now: SimTime, id: u32, s: &mut impl Schedule<ClusterEvent>) {
        if let Some(p) = &self.spec.preemption {
            let after = p.sample(&mut self.preempt_rng);
            let life = self.nodes[id as usize].life;
            s.schedule(
                now.saturating_add(after),
                ClusterEvent::Preempt { node: id, life },
            );
        }
    }

    /// Brings the time integrals up to `now` with the counts as they stand after this instant's
    /// changes. Called once at the end of every entry point: all changes inside one call happen
    /// at the same instant, so integrating the old levels up to `now` first is exact.
    #[inline(always)]
    fn sync(&mut self, now: SimTime) {
        self.levels.set(
            now,
            [
                self.n_provisioning as u64,
                self.n_busy as u64,
                self.idle.len() as u64,
                self.queue.len() as u64,
                self.n_evicting as u64,
                floor_idle_nodes(
                    self.spec.min_instances,
                    self.allocated(),
                    self.idle.len() as u32,
                ) as u64,
            ],
        );
        let allocated = self.allocated();
        if let Some(b) = &mut self.bill {
            b.advance(now, allocated as u64, self.window_from, self.window_to);
        }
        self.billed_since_zero.set(now, allocated as u64);
        if let Some(u) = &mut self.usage {
            u.set(now, allocated as u64);
        }
        self.peak_nodes = self.peak_nodes.max(allocated);
    }

    /// Records allocated node time per hour of the window (for commitments). Set before the
    /// first event.
    pub fn record_hourly_usage(&mut self) {
        let mut u = HourlyUsage::new(self.window_from, self.window_to);
        u.set(0, self.allocated() as u64);
        self.usage = Some(u);
    }

    pub fn submit(&mut self, now: SimTime, job: Job, s: &mut impl Schedule<ClusterEvent>) {
        self.total_arrived += 1;
        if job.arrival >= self.window_from {
            self.jobs_arrived += 1;
            self.breakdown.of(job.workload).jobs_arrived += 1;
        }
        self.queued_demand += job.nodes as u64;
        let queued = Queued {
            job,
            restarted: false,
        };
        // What `dispatch` would do with this job alone in the queue, without the trip through
        // it: most jobs of a cluster that keeps up start on arrival. (A job of zero nodes takes
        // the queue's path, whose backfill rule needs an idle node.)
        if self.queue.is_empty() && job.nodes != 0 && job.nodes as usize <= self.idle.len() {
            self.start(now, queued, s);
            self.rearm_kept(now, s);
        } else {
            self.queue.push_back(queued);
            self.dispatch(now, s);
        }
        self.autoscale(now, s);
        self.sync(now);
    }

    pub fn handle(
        &mut self,
        now: SimTime,
        event: ClusterEvent,
        s: &mut impl Schedule<ClusterEvent>,
    ) {
        match event {
            ClusterEvent::NodeReady { node: id, life } => {
                let n = self.nodes[id as usize];
                if n.life != life || n.state != NodeState::Provisioning {
                    return; // preempted while provisioning
                }
                self.n_provisioning -= 1;
                self.make_idle(now, id, s);
                self.dispatch(now, s);
            }
            ClusterEvent::Preempt { node, life } => {
                let n = self.nodes[node as usize];
                if n.life == life && n.state != NodeState::Released {
                    self.preempt(now, node, s);
                }
            }
            ClusterEvent::JobDone { slot, run } => {
                if self.running[slot as usize].run != run {
                    return; // the job was preempted; it runs again from the queue
                }
                self.total_completed += 1;
                let r = &self.running[slot as usize];
                let (workload, n, start) = (r.job.workload, r.nodes.len() as u32, r.start);
                if now >= self.window_from {
                    self.jobs_completed += 1;
                    self.breakdown.of(workload).jobs_completed += 1;
                }
                let window = (self.window_from, self.window_to);
                self.breakdown.ran(workload, n, start, now, window);
                // By index, the list left in its slot: `make_idle` needs all of `self`, and
                // the next job in this slot reuses the list's buffer. One node at a time
                // leaves the busy count, so that each one going idle sees the cluster's true
                // size: taking them all off first made the first nodes of a multi-node job
                // see too few nodes and go without a timer, idle above the minimum for ever.
                for k in 0..n as usize {
                    let id = self.running[slot as usize].nodes[k];
                    self.n_busy -= 1;
                    self.make_idle(now, id, s);
                }
                self.running[slot as usize].nodes.clear();
                self.free_running.push(slot);
                self.dispatch(now, s);
            }
            ClusterEvent::IdleTimeout { node, epoch } => self.idle_timeout(node, epoch),
            ClusterEvent::Gone { node: id, life } => {
                let n = &mut self.nodes[id as usize];
                if n.life == life && n.state == NodeState::Evicting {
                    n.state = NodeState::Released;
                    self.n_evicting -= 1;
                    self.free_node_ids.push(id);
                    self.dispatch(now, s);
                    self.autoscale(now, s);
                }
            }
            ClusterEvent::MiniBatchDone { worker, attempt } => {
                let window = (self.window_from, self.window_to);
                if let Some((slot, _)) = self.batch.attempt_done(now, worker, attempt, window, s) {
                    // The job's last mini-batch ended: it completes through the usual path.
                    let run = self.running[slot as usize].run;
                    s.schedule(now, ClusterEvent::JobDone { slot, run });
                }
            }
        }
        self.sync(now);
    }

    #[inline(always)]
    fn make_idle(&mut self, now: SimTime, id: u32, s: &mut impl Schedule<ClusterEvent>) {
        let node = &mut self.nodes[id as usize];
        node.state = NodeState::Idle;
        node.idle_since = now;
        node.epoch = node.epoch.wrapping_add(1);
        let epoch = node.epoch;
        self.idle.push_back(id);
        // The setting first: a cluster that never scales down skips the node count.
        if let Some(idle_time) = self.spec.idle_time_before_scale_down
            && self.allocated() > self.spec.min_instances
        {
            s.schedule(
                now.saturating_add(idle_time),
                ClusterEvent::IdleTimeout { node: id, epoch },
            );
        }
    }

    fn idle_timeout(&mut self, id: u32, epoch: u32) {
        let node = self.nodes[id as usize];
        if node.state != NodeState::Idle || node.epoch != epoch {
            return;
        }
        if self.allocated() <= self.spec.min_instances {
            return;
        }
        let supply = self.idle.len() as u64 + self.n_provisioning as u64;
        if self.queued_demand >= supply {
            // A blocked head job is waiting for this node plus others still provisioning. Its
            // timer is re-armed at the next change of state (see `dispatch`), not at once: with
            // a zero idle time that would fire again at the same instant, forever.
            self.kept.push((id, epoch));
            return;
        }
        // Usually the front: timers expire in the order nodes went idle.
        let pos = self
            .idle
            .iter()
            .position(|&n| n == id)
            .expect("an idle node is in the idle list");
        self.idle.remove(pos);
        self.nodes[id as usize].state = NodeState::Released;
        self.free_node_ids.push(id);
    }

    /// Starts every queued job that can start now, then re-arms the timers of idle nodes that
    /// were kept for a blocked job and were not taken.
    fn dispatch(&mut self, now: SimTime, s: &mut impl Schedule<ClusterEvent>) {
        self.start_queued(now, s);
        self.rearm_kept(now, s);
    }

    /// Re-arms the timers of idle nodes kept for a blocked job that are still idle.
    ///
    /// This and the other checks run on every job (`autoscale`, `start_queued`) test their
    /// common no-op case inline and do their work out of line: called, even their no-op paths
    /// cost a dozen register saves and restores each, a tenth of the engine's instructions.
    #[inline(always)]
    fn rearm_kept(&mut self, now: SimTime, s: &mut impl Schedule<ClusterEvent>) {
        if !self.kept.is_empty() {
            self.rearm_kept_now(now, s);
        }
    }

    #[inline(never)]
    fn rearm_kept_now(&mut self, now: SimTime, s: &mut impl Schedule<ClusterEvent>) {
        if let Some(idle_time) = self.spec.idle_time_before_scale_down {
            for (id, epoch) in std::mem::take(&mut self.kept) {
                let node = &self.nodes[id as usize];
                if node.state == NodeState::Idle && node.epoch == epoch {
                    s.schedule(
                        now.saturating_add(idle_time),
                        ClusterEvent::IdleTimeout { node: id, epoch },
                    );
                }
            }
        }
    }

    #[inline(always)]
    fn start_queued(&mut self, now: SimTime, s: &mut impl Schedule<ClusterEvent>) {
        if !self.queue.is_empty() {
            self.start_queued_now(now, s);
        }
    }

    #[inline(never)]
    fn start_queued_now(&mut self, now: SimTime, s: &mut impl Schedule<ClusterEvent>) {
        if self.spec.backfill {
            let mut i = 0;
            while i < self.queue.len() && !self.idle.is_empty() {
                if self.queue.get(i).expect("index checked").job.nodes as usize <= self.idle.len() {
                    let job = self.queue.remove(i).expect("index checked");
                    self.start(now, job, s);
                } else {
                    i += 1;
                }
            }
        } else {
            while let Some(head) = self.queue.front() {
                if head.job.nodes as usize > self.idle.len() {
                    break;
                }
                let job = self.queue.pop_front().expect("front exists");
                self.start(now, job, s);
            }
        }
    }

    // Inlined into its two callers (a job starting on arrival, a queued job starting when nodes
    // free up): together they run it once per job.
    #[inline(always)]
    fn start(&mut self, now: SimTime, queued: Queued, s: &mut impl Schedule<ClusterEvent>) {
        let job = queued.job;
        self.queued_demand -= job.nodes as u64;
        if !queued.restarted {
            self.wait_series
                .record(job.arrival, (now - job.arrival) as f64);
        }
        // A wait counts when the job starts inside the window, whenever it arrived: cut by
        // arrival, the long waits of jobs queued across the horizon were dropped and those of
        // jobs queued across the warm-up's end were not picked up, a bias low (-2% on an M/M/4
        // at rho = 0.8 over a 3-day window, see tests/it/warmup_bias.rs). Cut by start at both
        // edges, the waits counted are those of a stationary stream of starts: unbiased.
        if !queued.restarted && now >= self.window_from && now <= self.window_to {
            let wait = now - job.arrival;
            self.breakdown.record_wait(job.workload, wait, &self.waits);
            self.waits.record(wait);
        }
        let slot = self.free_running.pop().unwrap_or_else(|| {
            self.running.push(Running {
                job,
                nodes: Vec::with_capacity(job.nodes as usize),
                start: now,
                // The count goes up below, so a new slot's first run is run 0.
                run: u32::MAX,
            });
            (self.running.len() - 1) as u32
        });
        // One lookup of the slot for the whole start.
        let r = &mut self.running[slot as usize];
        r.run = r.run.wrapping_add(1);
        r.job = job;
        r.start = now;
        for _ in 0..job.nodes {
            let id = self.idle.pop_back().expect("dispatch checked idle count");
            let node = &mut self.nodes[id as usize];
            node.state = NodeState::Busy;
            node.epoch = node.epoch.wrapping_add(1);
            node.slot = slot;
            r.nodes.push(id);
        }
        self.n_busy += job.nodes;
        let run = r.run;
        if self.batch.is_batch(job.workload) {
            let nodes = &self.running[slot as usize].nodes;
            if !self
                .batch
                .start(now, slot, job.workload, job.arrival, nodes, s)
            {
                return; // its mini-batches decide when it ends
            }
            s.schedule(now, ClusterEvent::JobDone { slot, run });
            return;
        }
        s.schedule(
            now.saturating_add(job.duration),
            ClusterEvent::JobDone { slot, run },
        );
    }

    /// Azure takes node `id` back. Its job, if any, loses the work done since its last
    /// checkpoint and goes back to the head of the queue; the job's other nodes go idle.
    fn preempt(&mut self, now: SimTime, id: u32, s: &mut impl Schedule<ClusterEvent>) {
        if now >= self.window_from {
            self.preemptions += 1;
        }
        match self.nodes[id as usize].state {
            NodeState::Provisioning => self.n_provisioning -= 1,
            NodeState::Idle => {
                let pos = self
                    .idle
                    .iter()
                    .position(|&n| n == id)
                    .expect("idle node listed");
                self.idle.remove(pos);
            }
            NodeState::Busy if self.batch.is_batch(self.running_job(id).workload) => {
                self.batch_node_lost(now, id, s);
            }
            NodeState::Busy => {
                let slot = self.nodes[id as usize].slot;
                let r = &mut self.running[slot as usize];
                let elapsed = now - r.start;
                let kept = match self.spec.checkpoint_interval {
                    Some(c) if c > 0 => elapsed / c * c,
                    _ => 0,
                };
                // Lost work is counted inside the window only, like every other area.
                let lost_from = (r.start + kept).max(self.window_from);
                let lost_to = now.min(self.window_to);
                if lost_to > lost_from {
                    self.lost_area += (lost_to - lost_from) as u128 * r.nodes.len() as u128;
                }
                let mut job = r.job;
                let window = (self.window_from, self.window_to);
                self.breakdown
                    .ran(job.workload, r.nodes.len() as u32, r.start, now, window);
                job.duration -= kept;
                r.run = r.run.wrapping_add(1); // its JobDone is now stale
                let mut nodes = std::mem::take(&mut r.nodes);
                // The preempted node leaves at once; the others go idle one at a time, each
                // seeing the cluster's true size (see `JobDone`).
                self.n_busy -= 1;
                for &n in nodes.iter().filter(|&&n| n != id) {
                    self.n_busy -= 1;
                    self.make_idle(now, n, s);
                }
                nodes.clear();
                self.running[slot as usize].nodes = nodes;
                self.free_running.push(slot);
                self.queued_demand += job.nodes as u64;
                self.queue.push_front(Queued {
                    job,
                    restarted: true,
                });
            }
            NodeState::Released | NodeState::Evicting => return,
        }
        if self.spec.eviction_time > 0 {
            // Billed, and holding its place, until it is gone; its replacement is asked for
            // then (the `Gone` event scales out).
            let node = &mut self.nodes[id as usize];
            node.state = NodeState::Evicting;
            self.n_evicting += 1;
            s.schedule(
                now.saturating_add(self.spec.eviction_time),
                ClusterEvent::Gone {
                    node: id,
                    life: node.life,
                },
            );
        } else {
            self.nodes[id as usize].state = NodeState::Released;
            self.free_node_ids.push(id);
        }
        self.dispatch(now, s);
        self.autoscale(now, s);
    }

    fn running_job(&self, node: u32) -> &Job {
        &self.running[self.nodes[node as usize].slot as usize].job
    }

    /// A batch job's node `id` is preempted: the job carries on with its other nodes (its
    /// mini-batches on `id` go back to its queue), or is cancelled when it has none left.
    fn batch_node_lost(&mut self, now: SimTime, id: u32, s: &mut impl Schedule<ClusterEvent>) {
        let slot = self.nodes[id as usize].slot;
        let window = (self.window_from, self.window_to);
        let r = &mut self.running[slot as usize];
        // The node's share of the job's busy time ends here.
        self.breakdown.ran(r.job.workload, 1, r.start, now, window);
        r.nodes.retain(|&n| n != id);
        self.n_busy -= 1;
        let (ended, lost) = self.batch.node_lost(now, slot, id, window, s);
        self.lost_area += lost.round() as u128;
        if ended == Some(Ended::Cancelled) {
            self.total_cancelled += 1;
            if now >= self.window_from {
                self.jobs_cancelled += 1;
            }
            r.run = r.run.wrapping_add(1); // a JobDone already scheduled is now stale
            self.free_running.push(slot);
        }
    }

    /// Asks for as many nodes as queued demand exceeds idle plus provisioning nodes.
    #[inline(always)]
    fn autoscale(&mut self, now: SimTime, s: &mut impl Schedule<ClusterEvent>) {
        let supply = self.idle.len() as u64 + self.n_provisioning as u64;
        if self.queued_demand > supply {
            self.scale_out(now, supply, s);
        }
    }

    #[inline(never)]
    fn scale_out(&mut self, now: SimTime, supply: u64, s: &mut impl Schedule<ClusterEvent>) {
        // Evicting nodes hold their place (see the module's docs): `Gone` scales out again.
        let room = self.spec.max_instances.saturating_sub(self.allocated()) as u64;
        let add = (self.queued_demand - supply).min(room);
        for _ in 0..add {
            let id = self.new_node(NodeState::Provisioning);
            self.n_provisioning += 1;
            self.nodes_requested += 1;
            let delay = self.spec.provisioning_time.sample(&mut self.rng);
            let life = self.nodes[id as usize].life;
            s.schedule(
                now.saturating_add(delay),
                ClusterEvent::NodeReady { node: id, life },
            );
            self.arm_preemption(now, id, s);
        }
    }

    pub fn sample(&self, now: SimTime) -> ClusterSample {
        let node_us = self.billed_since_zero.area_at(now);
        ClusterSample {
            nodes_allocated: self.allocated(),
            nodes_busy: self.n_busy,
            nodes_provisioning: self.n_provisioning,
            nodes_idle: self.idle.len() as u32,
            queue_jobs: self.queue.len() as u32,
            cumulative_cost_usd: match &self.bill {
                Some(b) => {
                    (b.total + b.nodes as f64 * b.path.integral(b.last, now)) / MICROS_PER_HOUR_F
                }
                None => node_us as f64 / 3.6e9 * self.spec.price_usd_per_hour,
            },
        }
    }

    /// Closes the books at the horizon.
    /// The waits of every job's first start since time zero, in start order, as batch means.
    pub fn wait_series(&self) -> &BatchMeans {
        &self.wait_series
    }

    pub fn finish(mut self, horizon: SimTime) -> ClusterReport {
        self.sync(horizon);
        self.breakdown.settle_waits(&self.waits);
        let running_at_end = (self.running.len() - self.free_running.len()) as u64;
        let window = (self.window_from, self.window_to);
        for r in self.running.iter().filter(|r| !r.nodes.is_empty()) {
            self.breakdown.ran(
                r.job.workload,
                r.nodes.len() as u32,
                r.start,
                horizon,
                window,
            );
        }
        ClusterReport {
            window: self.window_to.saturating_sub(self.window_from),
            price_usd_per_hour: self.spec.price_usd_per_hour,
            jobs_arrived: self.jobs_arrived,
            jobs_completed: self.jobs_completed,
            waits: self.waits,
            provisioning_area: self.levels.area(0),
            busy_area: self.levels.area(1),
            idle_area: self.levels.area(2),
            floor_idle_area: self.levels.area(5),
            queue_area: self.levels.area(3),
            peak_nodes: self.peak_nodes,
            nodes_requested: self.nodes_requested,
            total_arrived: self.total_arrived,
            total_completed: self.total_completed,
            running_at_end,
            queued_at_end: self.queue.len() as u64,
            fixed_usd_per_hour: 0.0,
            startups: 0,
            preemptions: self.preemptions,
            lost_area: self.lost_area,
            evicting_area: self.levels.area(4),
            hourly_node_hours: self.usage.as_ref().map_or(vec![], HourlyUsage::node_hours),
            spot: match (&self.bill, &self.spec.spot) {
                (Some(b), Some(sp)) => Some(SpotOutcome {
                    node_cost_usd: b.window / MICROS_PER_HOUR_F,
                    payg_usd_per_hour: sp.payg_usd_per_hour,
                    dedicated_cost_usd: None,
                }),
                _ => None,
            },
            total_cancelled: self.total_cancelled,
            jobs_cancelled: self.batch.is_any().then_some(self.jobs_cancelled),
            batches: {
                let queue = &self.queue;
                self.batch
                    .finish(horizon, window)
                    .into_iter()
                    .map(|(w, spec, stats)| {
                        let queued = (0..queue.len())
                            .filter_map(|i| queue.get(i))
                            .filter(|q| q.job.workload == w)
                            .count() as u64;
                        (w, spec, stats, queued)
                    })
                    .collect()
            },
            workloads: self.breakdown.workloads,
        }
    }
}
