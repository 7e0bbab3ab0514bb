//! Azure ML serverless compute (`type = "serverless"`): every job gets its own nodes.
//!
//! Semantics (Azure ML's
//! <https://learn.microsoft.com/azure/machine-learning/how-to-use-serverless-compute>): each job is
//! given `instance_count` nodes of its `instance_type`, billed like compute-cluster nodes from
//! allocation to the job's end with no idle tail; a job whose vCPUs do not fit in the quota still
//! free waits in a queue until they do (ours: by workload `priority`, first in, first out within a
//! priority). The start-up overhead (allocation plus image pull) is not published: an assumption to
//! calibrate.
//!
//! `job_tier = "spot"` (Azure's `queue_settings.job_tier: Spot`, low priority) bills spot
//! prices and its nodes can be taken back, as on a low-priority cluster: each node lives an
//! exponential time from its allocation; when one of a job's nodes goes, the job loses the work
//! since its last checkpoint, releases all its nodes (and their quota) and goes back to the head
//! of the queue, to be allocated afresh with the start-up overhead again (ours: Azure says a
//! preempted spot job is requeued, not how long it waits).

use super::breakdown::{Breakdown, WorkloadReport};
use super::queue::{JobQueue, Prioritized};
use crate::engine::stats::{DurationStats, Levels, TimeWeighted};
use crate::engine::{Sampler, Schedule, SimTime, StreamRng};
use crate::targets::{ClusterReport, ClusterSample, Job, Tier};
use rand::SeedableRng;

#[derive(Clone, Debug)]
pub struct ServerlessSpec {
    pub size: String,
    pub vcpus_per_node: u32,
    /// vCPUs serverless jobs may hold at once; `None` is unlimited.
    pub quota_vcpus: Option<u64>,
    pub startup_time: Sampler,
    pub price_usd_per_hour: f64,
    /// `job_tier`: standard (dedicated) or spot (low priority).
    pub tier: Tier,
    /// Spot: how long a node lives before Azure takes it back (`None`: never).
    pub preemption: Option<Sampler>,
    /// A preempted job restarts from its last checkpoint (`None`: from the start).
    pub checkpoint_interval: Option<SimTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerlessEvent {
    /// The nodes of the job in `slot` are ready: it starts running. Each event is stale when
    /// the job in `slot` was preempted since (`run` moved on).
    Ready {
        slot: u32,
        run: u32,
    },
    Done {
        slot: u32,
        run: u32,
    },
    /// One of the job's spot nodes is taken back.
    Preempt {
        slot: u32,
        run: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Queued {
    job: Job,
    /// Ran before (and was preempted): its wait was counted when it first started.
    restarted: bool,
}

impl Prioritized for Queued {
    #[inline]
    fn priority(&self) -> i32 {
        self.job.priority
    }
}

struct Slot {
    job: Job,
    restarted: bool,
    run: u32,
    active: bool,
    /// Running (nodes ready) since `start`; otherwise starting.
    ready: bool,
    start: SimTime,
}

pub struct Serverless {
    spec: ServerlessSpec,
    rng: StreamRng,
    preempt_rng: StreamRng,
    window_from: SimTime,
    window_to: SimTime,
    queue: JobQueue<Queued>,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    vcpus_in_use: u64,
    starting_nodes: u64,
    /// Jobs whose nodes are starting: still waiting, so counted as queued (Little's law).
    starting_jobs: u64,
    busy_nodes: u64,
    running_jobs: u64,
    levels: Levels<4>,
    billed_since_zero: TimeWeighted,
    waits: DurationStats,
    breakdown: Breakdown,
    jobs_arrived: u64,
    jobs_completed: u64,
    total_arrived: u64,
    total_completed: u64,
    peak_nodes: u32,
    nodes_requested: u64,
    preemptions: u64,
    lost_area: u128,
}

impl Serverless {
    pub fn new(
        spec: ServerlessSpec,
        rng: StreamRng,
        window_from: SimTime,
        window_to: SimTime,
    ) -> Self {
        // Preemption draws from its own stream (derived from the target's one seed, as on a
        // cluster) so that switching it on leaves start-up times unchanged.
        let mut derived = rng.clone();
        let preempt_rng =
            StreamRng::seed_from_u64(rand::Rng::next_u64(&mut derived) ^ 0x5052_4545_4D50_5400);
        Serverless {
            spec,
            rng,
            preempt_rng,
            window_from,
            window_to,
            queue: JobQueue::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            vcpus_in_use: 0,
            starting_nodes: 0,
            starting_jobs: 0,
            busy_nodes: 0,
            running_jobs: 0,
            levels: Levels::new(window_from, window_to),
            billed_since_zero: TimeWeighted::new(0, SimTime::MAX),
            waits: DurationStats::new(),
            breakdown: Breakdown::default(),
            jobs_arrived: 0,
            jobs_completed: 0,
            total_arrived: 0,
            total_completed: 0,
            peak_nodes: 0,
            nodes_requested: 0,
            preemptions: 0,
            lost_area: 0,
        }
    }

    fn sync(&mut self, now: SimTime) {
        self.levels.set(
            now,
            [
                self.starting_nodes,
                self.busy_nodes,
                0,
                self.queue.len() as u64 + self.starting_jobs,
            ],
        );
        let alloc = self.starting_nodes + self.busy_nodes;
        self.billed_since_zero.set(now, alloc);
        self.peak_nodes = self.peak_nodes.max(alloc as u32);
    }

    pub fn submit(&mut self, now: SimTime, job: Job, s: &mut impl Schedule<ServerlessEvent>) {
        self.total_arrived += 1;
        if job.arrival >= self.window_from {
            self.jobs_arrived += 1;
            self.breakdown.of(job.workload).jobs_arrived += 1;
        }
        self.queue.push_back(Queued {
            job,
            restarted: false,
        });
        self.dispatch(now, s);
        self.sync(now);
    }

    pub fn handle(
        &mut self,
        now: SimTime,
        event: ServerlessEvent,
        s: &mut impl Schedule<ServerlessEvent>,
    ) {
        match event {
            ServerlessEvent::Ready { slot, run } => {
                let sl = &mut self.slots[slot as usize];
                if !sl.active || sl.run != run {
                    return;
                }
                sl.ready = true;
                sl.start = now;
                let (job, restarted) = (sl.job, sl.restarted);
                // The wait is queueing for quota plus start-up, as on a cold cluster; a
                // preempted job's restart is not a second wait.
                // Cut by start time, as on a cluster (see `Cluster::start`).
                if !restarted && now >= self.window_from && now <= self.window_to {
                    self.waits.record(now - job.arrival);
                    self.breakdown
                        .of(job.workload)
                        .waits
                        .record(now - job.arrival);
                }
                let (nodes, duration) = (job.nodes as u64, job.duration);
                self.starting_nodes -= nodes;
                self.starting_jobs -= 1;
                self.busy_nodes += nodes;
                s.schedule(
                    now.saturating_add(duration),
                    ServerlessEvent::Done { slot, run },
                );
            }
            ServerlessEvent::Done { slot, run } => {
                let sl = &self.slots[slot as usize];
                if !sl.active || sl.run != run {
                    return;
                }
                let (job, start) = (sl.job, sl.start);
                self.release(slot);
                self.busy_nodes -= job.nodes as u64;
                self.total_completed += 1;
                if now >= self.window_from {
                    self.jobs_completed += 1;
                    self.breakdown.of(job.workload).jobs_completed += 1;
                }
                let window = (self.window_from, self.window_to);
                self.breakdown
                    .ran(job.workload, job.nodes, start, now, window);
                self.dispatch(now, s);
            }
            ServerlessEvent::Preempt { slot, run } => {
                let sl = &self.slots[slot as usize];
                if !sl.active || sl.run != run {
                    return;
                }
                self.preempt(now, slot, s);
            }
        }
        self.sync(now);
    }

    /// Frees `slot` and its quota; the caller moves its nodes out of starting or busy.
    fn release(&mut self, slot: u32) {
        let sl = &mut self.slots[slot as usize];
        sl.active = false;
        sl.run = sl.run.wrapping_add(1);
        self.running_jobs -= 1;
        self.vcpus_in_use -= sl.job.nodes as u64 * self.spec.vcpus_per_node as u64;
        self.free_slots.push(slot);
    }

    /// A spot node of the job in `slot` is taken back: the job keeps its checkpointed work,
    /// releases every node and queues again at the head.
    fn preempt(&mut self, now: SimTime, slot: u32, s: &mut impl Schedule<ServerlessEvent>) {
        if now >= self.window_from {
            self.preemptions += 1;
        }
        let sl = &self.slots[slot as usize];
        let (mut job, ready, start, restarted) = (sl.job, sl.ready, sl.start, sl.restarted);
        self.release(slot);
        if ready {
            self.busy_nodes -= job.nodes as u64;
            let elapsed = now - start;
            let kept = match self.spec.checkpoint_interval {
                Some(c) if c > 0 => elapsed / c * c,
                _ => 0,
            };
            let lost_from = (start + kept).max(self.window_from);
            let lost_to = now.min(self.window_to);
            if lost_to > lost_from {
                self.lost_area += (lost_to - lost_from) as u128 * job.nodes as u128;
            }
            let window = (self.window_from, self.window_to);
            self.breakdown
                .ran(job.workload, job.nodes, start, now, window);
            job.duration -= kept;
        } else {
            // Taken back while starting: no work lost, only the start-up time billed.
            self.starting_nodes -= job.nodes as u64;
            self.starting_jobs -= 1;
        }
        self.queue.push_front(Queued {
            job,
            // Taken back before it ever ran, its wait goes on.
            restarted: restarted || ready,
        });
        self.dispatch(now, s);
    }

    /// Allocates nodes for queued jobs, in order, while the quota has room.
    fn dispatch(&mut self, now: SimTime, s: &mut impl Schedule<ServerlessEvent>) {
        while let Some(q) = self.queue.front() {
            let need = q.job.nodes as u64 * self.spec.vcpus_per_node as u64;
            if self
                .spec
                .quota_vcpus
                .is_some_and(|q| self.vcpus_in_use + need > q)
            {
                break;
            }
            let Queued { job, restarted } = self.queue.pop_front().expect("front exists");
            self.vcpus_in_use += need;
            self.starting_nodes += job.nodes as u64;
            self.starting_jobs += 1;
            self.nodes_requested += job.nodes as u64;
            self.running_jobs += 1;
            let startup = self.spec.startup_time.sample(&mut self.rng);
            let ready_at = now.saturating_add(startup);
            let slot = match self.free_slots.pop() {
                Some(i) => {
                    let sl = &mut self.slots[i as usize];
                    sl.job = job;
                    sl.restarted = restarted;
                    sl.active = true;
                    sl.ready = false;
                    sl.start = now;
                    i
                }
                None => {
                    self.slots.push(Slot {
                        job,
                        restarted,
                        run: 0,
                        active: true,
                        ready: false,
                        start: now,
                    });
                    (self.slots.len() - 1) as u32
                }
            };
            let run = self.slots[slot as usize].run;
            s.schedule(ready_at, ServerlessEvent::Ready { slot, run });
            // The job goes when the first of its nodes goes.
            if let Some(p) = &self.spec.preemption {
                let life = (0..job.nodes)
                    .map(|_| p.sample(&mut self.preempt_rng))
                    .min()
                    .unwrap_or(SimTime::MAX);
                if life < SimTime::MAX {
                    s.schedule(
                        now.saturating_add(life),
                        ServerlessEvent::Preempt { slot, run },
                    );
                }
            }
        }
    }

    pub fn sample(&self, now: SimTime) -> ClusterSample {
        ClusterSample {
            nodes_allocated: (self.starting_nodes + self.busy_nodes) as u32,
            nodes_busy: self.busy_nodes as u32,
            nodes_provisioning: self.starting_nodes as u32,
            nodes_idle: 0,
            queue_jobs: (self.queue.len() as u64 + self.starting_jobs) as u32,
            cumulative_cost_usd: self.billed_since_zero.area_at(now) as f64 / 3.6e9
                * self.spec.price_usd_per_hour,
        }
    }

    pub fn finish(mut self, horizon: SimTime) -> ClusterReport {
        self.sync(horizon);
        let window = (self.window_from, self.window_to);
        for sl in self.slots.iter().filter(|s| s.active && s.ready) {
            self.breakdown
                .ran(sl.job.workload, sl.job.nodes, sl.start, horizon, window);
        }
        let workloads: Vec<WorkloadReport> = self.breakdown.workloads;
        ClusterReport {
            hourly_node_hours: vec![],
            window: self.window_to.saturating_sub(self.window_from),
            price_usd_per_hour: self.spec.price_usd_per_hour,
            jobs_arrived: self.jobs_arrived,
            jobs_completed: self.jobs_completed,
            waits: self.waits,
            provisioning_area: self.levels.area(0),
            busy_area: self.levels.area(1),
            idle_area: self.levels.area(2),
            // No minimum holds a node here: all idle time is tail.
            floor_idle_area: 0,
            queue_area: self.levels.area(3),
            peak_nodes: self.peak_nodes,
            nodes_requested: self.nodes_requested,
            total_arrived: self.total_arrived,
            total_completed: self.total_completed,
            running_at_end: self.running_jobs - self.starting_jobs,
            queued_at_end: self.queue.len() as u64 + self.starting_jobs,
            fixed_usd_per_hour: 0.0,
            startups: 0,
            preemptions: self.preemptions,
            lost_area: self.lost_area,
            workloads,
            total_cancelled: 0,
            evicting_area: 0,
            spot: None,
            jobs_cancelled: None,
            batches: vec![],
        }
    }
}
