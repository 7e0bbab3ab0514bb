//! The Azure ML compute instance (`type = "computeinstance"`): one VM owned by one user.
//!
//! Semantics (`shared/reference/azure_semantics.md` §2, from Azure ML's `concept-compute-instance.md`
//! and `how-to-create-compute-instance.md`): a single node that runs "one job per vCPU" in
//! parallel while the rest queue; `idle_time_before_shutdown` (15 minutes to 3 days, or none)
//! stops it when no job has run for that long; a stopped instance bills no VM time but still bills
//! its OS disk (P10) and a load balancer. A job arriving at a stopped instance starts it and waits
//! its start-up time (ours: an assumption to calibrate; Azure publishes none).

use crate::engine::stats::{DurationStats, Levels};
use crate::engine::{Sampler, Schedule, SimTime, StreamRng};
use crate::targets::{ClusterReport, ClusterSample, Job};
use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub struct InstanceSpec {
    pub size: String,
    /// Jobs that run at once: the size's vCPUs unless the scenario says otherwise.
    pub slots: u32,
    /// `None`: never shut down when idle.
    pub idle_time_before_shutdown: Option<SimTime>,
    pub start_time: Sampler,
    pub initially_running: bool,
    pub price_usd_per_hour: f64,
    /// OS disk plus load balancer, billed running or stopped.
    pub fixed_usd_per_hour: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceEvent {
    Started,
    JobDone,
    /// Stale unless `epoch` still matches (a job ran meanwhile).
    IdleShutdown {
        epoch: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Stopped,
    Starting,
    Running,
}

pub struct Instance {
    spec: InstanceSpec,
    rng: StreamRng,
    window_from: SimTime,
    window_to: SimTime,
    state: State,
    running: u32,
    queue: VecDeque<Job>,
    epoch: u32,
    /// Starting, running with jobs, running without, queued jobs.
    levels: Levels<4>,
    waits: DurationStats,
    jobs_arrived: u64,
    jobs_completed: u64,
    total_arrived: u64,
    total_completed: u64,
    startups: u64,
    peak_nodes: u32,
    vm_since_zero: crate::engine::stats::TimeWeighted,
}

impl Instance {
    pub fn new(
        spec: InstanceSpec,
        rng: StreamRng,
        window_from: SimTime,
        window_to: SimTime,
    ) -> Self {
        let state = if spec.initially_running {
            State::Running
        } else {
            State::Stopped
        };
        let mut i = Instance {
            spec,
            rng,
            window_from,
            window_to,
            state,
            running: 0,
            queue: VecDeque::new(),
            epoch: 0,
            levels: Levels::new(window_from, window_to),
            waits: DurationStats::new(),
            jobs_arrived: 0,
            jobs_completed: 0,
            total_arrived: 0,
            total_completed: 0,
            startups: 0,
            peak_nodes: 0,
            vm_since_zero: crate::engine::stats::TimeWeighted::new(0, SimTime::MAX),
        };
        i.sync(0);
        i
    }

    /// An idle running instance arms its shutdown timer (the caller passes the scheduler).
    pub fn arm_initial(&mut self, s: &mut impl Schedule<InstanceEvent>) {
        if self.state == State::Running {
            self.arm_shutdown(0, s);
        }
    }

    fn sync(&mut self, now: SimTime) {
        let (starting, busy, idle) = match self.state {
            State::Stopped => (0, 0, 0),
            State::Starting => (1, 0, 0),
            State::Running if self.running > 0 => (0, 1, 0),
            State::Running => (0, 0, 1),
        };
        self.levels
            .set(now, [starting, busy, idle, self.queue.len() as u64]);
        self.vm_since_zero.set(now, starting + busy + idle);
        self.peak_nodes = self.peak_nodes.max((starting + busy + idle) as u32);
    }

    fn arm_shutdown(&mut self, now: SimTime, s: &mut impl Schedule<InstanceEvent>) {
        self.epoch = self.epoch.wrapping_add(1);
        if let Some(idle) = self.spec.idle_time_before_shutdown {
            s.schedule(
                now.saturating_add(idle),
                InstanceEvent::IdleShutdown { epoch: self.epoch },
            );
        }
    }

    pub fn submit(&mut self, now: SimTime, job: Job, s: &mut impl Schedule<InstanceEvent>) {
        self.total_arrived += 1;
        if job.arrival >= self.window_from {
            self.jobs_arrived += 1;
        }
        self.queue.push_back(job);
        if self.state == State::Stopped {
            self.state = State::Starting;
            self.startups += 1;
            let d = self.spec.start_time.sample(&mut self.rng);
            s.schedule(now.saturating_add(d), InstanceEvent::Started);
        }
        self.dispatch(now, s);
        self.sync(now);
    }

    pub fn handle(
        &mut self,
        now: SimTime,
        event: InstanceEvent,
        s: &mut impl Schedule<InstanceEvent>,
    ) {
        match event {
            InstanceEvent::Started => {
                self.state = State::Running;
                self.dispatch(now, s);
                if self.running == 0 {
                    self.arm_shutdown(now, s);
                }
            }
            InstanceEvent::JobDone => {
                self.running -= 1;
                self.total_completed += 1;
                if now >= self.window_from {
                    self.jobs_completed += 1;
                }
                self.dispatch(now, s);
                if self.running == 0 {
                    self.arm_shutdown(now, s);
                }
            }
            InstanceEvent::IdleShutdown { epoch } => {
                if epoch == self.epoch && self.state == State::Running && self.running == 0 {
                    self.state = State::Stopped;
                }
            }
        }
        self.sync(now);
    }

    fn dispatch(&mut self, now: SimTime, s: &mut impl Schedule<InstanceEvent>) {
        if self.state != State::Running {
            return;
        }
        while self.running < self.spec.slots {
            let Some(job) = self.queue.pop_front() else {
                break;
            };
            if job.arrival >= self.window_from && now <= self.window_to {
                self.waits.record(now - job.arrival);
            }
            self.running += 1;
            // A new job cancels a pending shutdown.
            self.epoch = self.epoch.wrapping_add(1);
            s.schedule(now.saturating_add(job.duration), InstanceEvent::JobDone);
        }
    }

    pub fn sample(&self, now: SimTime) -> ClusterSample {
        let vm_h = self.vm_since_zero.area_at(now) as f64 / 3.6e9;
        let (alloc, busy, prov) = match self.state {
            State::Stopped => (0, 0, 0),
            State::Starting => (1, 0, 1),
            State::Running => (1, u32::from(self.running > 0), 0),
        };
        ClusterSample {
            nodes_allocated: alloc,
            nodes_busy: busy,
            nodes_provisioning: prov,
            nodes_idle: alloc - busy - prov,
            queue_jobs: self.queue.len() as u32,
            cumulative_cost_usd: vm_h * self.spec.price_usd_per_hour
                + now as f64 / 3.6e9 * self.spec.fixed_usd_per_hour,
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
            nodes_requested: self.startups,
            total_arrived: self.total_arrived,
            total_completed: self.total_completed,
            running_at_end: self.running as u64,
            queued_at_end: self.queue.len() as u64,
            fixed_usd_per_hour: self.spec.fixed_usd_per_hour,
            startups: self.startups,
            preemptions: 0,
            lost_area: 0,
        }
    }
}
