//! Azure ML serverless compute (`type = "serverless"`): every job gets its own nodes.
//!
//! Semantics (`shared/reference/azure_semantics.md` §3, from `how-to-use-serverless-compute.md`):
//! each job is given `instance_count` nodes of its `instance_type`, billed like compute-cluster
//! nodes from allocation to the job's end with no idle tail; a job whose vCPUs do not fit in the
//! quota still free waits in a queue until they do. The start-up overhead (allocation plus image
//! pull) is not published: an assumption to calibrate.

use crate::engine::stats::{DurationStats, Levels, TimeWeighted};
use crate::engine::{Sampler, Schedule, SimTime, StreamRng};
use crate::targets::{ClusterReport, ClusterSample, Job};
use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub struct ServerlessSpec {
    pub size: String,
    pub vcpus_per_node: u32,
    /// vCPUs serverless jobs may hold at once; `None` is unlimited.
    pub quota_vcpus: Option<u64>,
    pub startup_time: Sampler,
    pub price_usd_per_hour: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerlessEvent {
    /// A job's nodes are ready: it starts running.
    Ready {
        nodes: u32,
        duration: SimTime,
    },
    Done {
        nodes: u32,
    },
}

pub struct Serverless {
    spec: ServerlessSpec,
    rng: StreamRng,
    window_from: SimTime,
    window_to: SimTime,
    queue: VecDeque<Job>,
    vcpus_in_use: u64,
    starting_nodes: u64,
    /// Jobs whose nodes are starting: still waiting, so counted as queued (Little's law).
    starting_jobs: u64,
    busy_nodes: u64,
    running_jobs: u64,
    levels: Levels<4>,
    billed_since_zero: TimeWeighted,
    waits: DurationStats,
    jobs_arrived: u64,
    jobs_completed: u64,
    total_arrived: u64,
    total_completed: u64,
    peak_nodes: u32,
    nodes_requested: u64,
}

impl Serverless {
    pub fn new(
        spec: ServerlessSpec,
        rng: StreamRng,
        window_from: SimTime,
        window_to: SimTime,
    ) -> Self {
        Serverless {
            spec,
            rng,
            window_from,
            window_to,
            queue: VecDeque::new(),
            vcpus_in_use: 0,
            starting_nodes: 0,
            starting_jobs: 0,
            busy_nodes: 0,
            running_jobs: 0,
            levels: Levels::new(window_from, window_to),
            billed_since_zero: TimeWeighted::new(0, SimTime::MAX),
            waits: DurationStats::new(),
            jobs_arrived: 0,
            jobs_completed: 0,
            total_arrived: 0,
            total_completed: 0,
            peak_nodes: 0,
            nodes_requested: 0,
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
        }
        self.queue.push_back(job);
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
            ServerlessEvent::Ready { nodes, duration } => {
                self.starting_nodes -= nodes as u64;
                self.starting_jobs -= 1;
                self.busy_nodes += nodes as u64;
                s.schedule(
                    now.saturating_add(duration),
                    ServerlessEvent::Done { nodes },
                );
            }
            ServerlessEvent::Done { nodes } => {
                self.busy_nodes -= nodes as u64;
                self.running_jobs -= 1;
                self.vcpus_in_use -= nodes as u64 * self.spec.vcpus_per_node as u64;
                self.total_completed += 1;
                if now >= self.window_from {
                    self.jobs_completed += 1;
                }
                self.dispatch(now, s);
            }
        }
        self.sync(now);
    }

    /// Allocates nodes for queued jobs, in order, while the quota has room.
    fn dispatch(&mut self, now: SimTime, s: &mut impl Schedule<ServerlessEvent>) {
        while let Some(job) = self.queue.front() {
            let need = job.nodes as u64 * self.spec.vcpus_per_node as u64;
            if self
                .spec
                .quota_vcpus
                .is_some_and(|q| self.vcpus_in_use + need > q)
            {
                break;
            }
            let job = self.queue.pop_front().expect("front exists");
            self.vcpus_in_use += need;
            self.starting_nodes += job.nodes as u64;
            self.starting_jobs += 1;
            self.nodes_requested += job.nodes as u64;
            self.running_jobs += 1;
            let startup = self.spec.startup_time.sample(&mut self.rng);
            // The wait is queueing for quota plus start-up, as on a cold cluster.
            if job.arrival >= self.window_from && now.saturating_add(startup) <= self.window_to {
                self.waits.record(now.saturating_add(startup) - job.arrival);
            }
            s.schedule(
                now.saturating_add(startup),
                ServerlessEvent::Ready {
                    nodes: job.nodes,
                    duration: job.duration,
                },
            );
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
        ClusterReport {
            window: self.window_to.saturating_sub(self.window_from),
            price_usd_per_hour: self.spec.price_usd_per_hour,
            jobs_arrived: self.jobs_arrived,
            jobs_completed: self.jobs_completed,
            waits: self.waits,
            provisioning_area: self.levels.area(0),
            busy_area: self.levels.area(1),
            idle_area: self.levels.area(2),
            queue_area: self.levels.area(3),
            peak_nodes: self.peak_nodes,
            nodes_requested: self.nodes_requested,
            total_arrived: self.total_arrived,
            total_completed: self.total_completed,
            running_at_end: self.running_jobs - self.starting_jobs,
            queued_at_end: self.queue.len() as u64 + self.starting_jobs,
            fixed_usd_per_hour: 0.0,
            startups: 0,
            preemptions: 0,
            lost_area: 0,
        }
    }
}
