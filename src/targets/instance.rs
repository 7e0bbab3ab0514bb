//! The Azure ML compute instance (`type = "computeinstance"`): one VM owned by one user.
//!
//! Semantics (Azure ML's
//! <https://learn.microsoft.com/azure/machine-learning/concept-compute-instance> and
//! <https://learn.microsoft.com/azure/machine-learning/how-to-create-compute-instance>): a single
//! node that runs "one job per vCPU" in parallel while the rest queue; `idle_time_before_shutdown`
//! (15 minutes to 3 days, or none) stops it when no job has run for that long; a stopped instance
//! bills no VM time but still bills its OS disk (P10) and a load balancer. A job arriving at a
//! stopped instance starts it and waits its start-up time (ours: an assumption to calibrate; Azure
//! publishes none). Queued jobs are served by workload `priority`, first in, first out within a
//! priority (ours).
//!
//! Start/stop schedules (up to 4 per instance, Azure ML's limit): a scheduled start starts a
//! stopped instance; a scheduled stop stops it whatever it is doing. Azure ML warns the user
//! before a scheduled shutdown but does not wait for jobs, so (ours) the jobs running at a
//! scheduled stop are interrupted: their run so far is lost work and they go back to the head of
//! the queue, to run again from the start. After a scheduled stop the instance stays stopped,
//! and jobs queue, until the next scheduled start (ours: the schedule says nobody works then);
//! after an idle shutdown a job starts it again as usual.

use super::breakdown::{Breakdown, WorkloadReport};
use super::queue::{JobQueue, Prioritized};
use crate::engine::stats::{DurationStats, Levels};
use crate::engine::{Sampler, Schedule, SimTime, StreamRng};
use crate::targets::{ClusterReport, ClusterSample, Job};

/// Microseconds in a week: schedules repeat weekly (time zero is Monday 00:00).
pub const WEEK: SimTime = 7 * 86_400 * 1_000_000;

/// What a schedule does at its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Power {
    /// Ordered first: a stop and a start at the same instant leave the instance started.
    Stop,
    Start,
}

/// One start/stop schedule: daily times on some days of the week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailySchedule {
    /// Minutes after midnight.
    pub start_minute: Option<u32>,
    pub stop_minute: Option<u32>,
    /// Monday first.
    pub days: [bool; 7],
}

/// Every action of `schedules` within one week, as (offset from Monday 00:00, action), in time
/// order (stops before starts at the same instant).
pub fn weekly_actions(schedules: &[DailySchedule]) -> Vec<(SimTime, Power)> {
    let mut v = vec![];
    for sc in schedules {
        for (day, _) in sc.days.iter().enumerate().filter(|(_, on)| **on) {
            for (minute, action) in [
                (sc.start_minute, Power::Start),
                (sc.stop_minute, Power::Stop),
            ] {
                if let Some(m) = minute {
                    let at = (day as u64 * 1440 + m as u64) * 60 * 1_000_000;
                    v.push((at, action));
                }
            }
        }
    }
    v.sort();
    v.dedup();
    v
}

/// The state the schedule leaves the instance in at time zero: the last action of the week
/// before Monday 00:00 (wrapping round), `None` without schedules.
pub fn state_at_zero(actions: &[(SimTime, Power)]) -> Option<Power> {
    actions.last().map(|&(_, a)| a)
}

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
    /// Start/stop actions within a week (see [`weekly_actions`]); empty without schedules.
    pub schedule: Vec<(SimTime, Power)>,
    /// Stopped at time zero by a schedule: jobs wait for the next scheduled start.
    pub initially_held: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceEvent {
    /// Stale unless `boot` still matches (a scheduled stop came during the start-up).
    Started { boot: u32 },
    /// Stale unless the job in `slot` is still run `run` (a scheduled stop interrupted it).
    JobDone { slot: u32, run: u32 },
    /// Stale unless `epoch` still matches (a job ran meanwhile).
    IdleShutdown { epoch: u32 },
    /// The next action of the schedule is due.
    Scheduled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Stopped,
    Starting,
    Running,
}

#[derive(Clone, Copy, Debug)]
struct Queued {
    job: Job,
    /// Interrupted by a scheduled stop: its wait was counted when it first started.
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
    start: SimTime,
    run: u32,
    active: bool,
    /// This job's share of the node's busy time inside the window, microseconds: `k` jobs
    /// running together share the node equally.
    share: f64,
}

pub struct Instance {
    spec: InstanceSpec,
    rng: StreamRng,
    window_from: SimTime,
    window_to: SimTime,
    state: State,
    /// Stopped by a schedule: arrivals do not start it.
    held: bool,
    boot: u32,
    running: u32,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    queue: JobQueue<Queued>,
    epoch: u32,
    /// The next schedule action (index into `spec.schedule`) and the week it falls in.
    next_action: usize,
    action_week: u64,
    /// Starting, running with jobs, running without, queued jobs.
    levels: Levels<4>,
    /// When the jobs' shares were last brought up to date.
    shared_until: SimTime,
    waits: DurationStats,
    breakdown: Breakdown,
    jobs_arrived: u64,
    jobs_completed: u64,
    total_arrived: u64,
    total_completed: u64,
    startups: u64,
    peak_nodes: u32,
    lost_area: f64,
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
            held: spec.initially_held && !spec.initially_running,
            spec,
            rng,
            window_from,
            window_to,
            state,
            boot: 0,
            running: 0,
            slots: Vec::new(),
            free_slots: Vec::new(),
            queue: JobQueue::new(),
            epoch: 0,
            next_action: 0,
            action_week: 0,
            levels: Levels::new(window_from, window_to),
            shared_until: 0,
            waits: DurationStats::new(),
            breakdown: Breakdown::default(),
            jobs_arrived: 0,
            jobs_completed: 0,
            total_arrived: 0,
            total_completed: 0,
            startups: 0,
            peak_nodes: 0,
            lost_area: 0.0,
            vm_since_zero: crate::engine::stats::TimeWeighted::new(0, SimTime::MAX),
        };
        i.sync(0);
        i
    }

    /// Arms what the instance needs at time zero: the shutdown timer of an idle running
    /// instance and the first scheduled action (the caller passes the scheduler).
    pub fn arm_initial(&mut self, s: &mut impl Schedule<InstanceEvent>) {
        if self.state == State::Running {
            self.arm_shutdown(0, s);
        }
        if let Some(&(at, _)) = self.spec.schedule.first() {
            s.schedule(at, InstanceEvent::Scheduled);
        }
    }

    /// Brings the running jobs' shares of the node up to `now` (inside the window).
    fn share(&mut self, now: SimTime) {
        let a = self.shared_until.max(self.window_from);
        let b = now.min(self.window_to);
        self.shared_until = now;
        if b > a && self.running > 0 {
            let each = (b - a) as f64 / self.running as f64;
            for slot in self.slots.iter_mut().filter(|s| s.active) {
                slot.share += each;
            }
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

    fn start_up(&mut self, now: SimTime, s: &mut impl Schedule<InstanceEvent>) {
        self.state = State::Starting;
        self.startups += 1;
        self.boot = self.boot.wrapping_add(1);
        let d = self.spec.start_time.sample(&mut self.rng);
        s.schedule(
            now.saturating_add(d),
            InstanceEvent::Started { boot: self.boot },
        );
    }

    pub fn submit(&mut self, now: SimTime, job: Job, s: &mut impl Schedule<InstanceEvent>) {
        self.total_arrived += 1;
        if job.arrival >= self.window_from {
            self.jobs_arrived += 1;
            self.breakdown.of(job.workload).jobs_arrived += 1;
        }
        self.share(now);
        self.queue.push_back(Queued {
            job,
            restarted: false,
        });
        if self.state == State::Stopped && !self.held {
            self.start_up(now, s);
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
        self.share(now);
        match event {
            InstanceEvent::Started { boot } => {
                if boot != self.boot || self.state != State::Starting {
                    return;
                }
                self.state = State::Running;
                self.dispatch(now, s);
                if self.running == 0 {
                    self.arm_shutdown(now, s);
                }
            }
            InstanceEvent::JobDone { slot, run } => {
                let sl = &self.slots[slot as usize];
                if !sl.active || sl.run != run {
                    return; // interrupted by a scheduled stop
                }
                let (workload, share) = (sl.job.workload, sl.share);
                self.slots[slot as usize].active = false;
                self.free_slots.push(slot);
                self.running -= 1;
                self.total_completed += 1;
                if now >= self.window_from {
                    self.jobs_completed += 1;
                    self.breakdown.of(workload).jobs_completed += 1;
                }
                self.breakdown.of(workload).busy_area += share;
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
            InstanceEvent::Scheduled => self.scheduled(now, s),
        }
        self.sync(now);
    }

    /// Applies the schedule's action due now and arms the next one.
    fn scheduled(&mut self, now: SimTime, s: &mut impl Schedule<InstanceEvent>) {
        let n = self.spec.schedule.len();
        let (_, action) = self.spec.schedule[self.next_action];
        match action {
            Power::Start => {
                self.held = false;
                if self.state == State::Stopped {
                    self.start_up(now, s);
                }
            }
            Power::Stop => {
                self.held = true;
                self.stop_now();
            }
        }
        self.next_action += 1;
        if self.next_action == n {
            self.next_action = 0;
            self.action_week += 1;
        }
        let (offset, _) = self.spec.schedule[self.next_action];
        let at = self.action_week.saturating_mul(WEEK).saturating_add(offset);
        s.schedule(at, InstanceEvent::Scheduled);
    }

    /// A scheduled stop: running jobs lose their run so far and go back to the head of the
    /// queue, in the order they started.
    fn stop_now(&mut self) {
        if self.state == State::Stopped {
            return;
        }
        let mut interrupted: Vec<(SimTime, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, sl)| sl.active)
            .map(|(i, sl)| (sl.start, i as u32))
            .collect();
        interrupted.sort();
        // Pushed to the front in reverse, so the earliest started ends up first.
        for &(_, i) in interrupted.iter().rev() {
            let sl = &mut self.slots[i as usize];
            sl.active = false;
            sl.run = sl.run.wrapping_add(1);
            let (job, share) = (sl.job, sl.share);
            self.lost_area += share;
            self.breakdown.of(job.workload).busy_area += share;
            self.free_slots.push(i);
            self.queue.push_front(Queued {
                job,
                restarted: true,
            });
        }
        self.running = 0;
        self.state = State::Stopped;
        // Any pending shutdown is moot; a pending start-up is stale by its `boot`.
        self.epoch = self.epoch.wrapping_add(1);
        self.boot = self.boot.wrapping_add(1);
    }

    fn dispatch(&mut self, now: SimTime, s: &mut impl Schedule<InstanceEvent>) {
        if self.state != State::Running {
            return;
        }
        while self.running < self.spec.slots {
            let Some(q) = self.queue.pop_front() else {
                break;
            };
            let job = q.job;
            // Cut by start time, as on a cluster (see `Cluster::start`).
            if !q.restarted && now >= self.window_from && now <= self.window_to {
                self.waits.record(now - job.arrival);
                self.breakdown
                    .of(job.workload)
                    .waits
                    .record(now - job.arrival);
            }
            self.running += 1;
            let slot = match self.free_slots.pop() {
                Some(i) => {
                    let sl = &mut self.slots[i as usize];
                    sl.job = job;
                    sl.start = now;
                    sl.run = sl.run.wrapping_add(1);
                    sl.active = true;
                    sl.share = 0.0;
                    i
                }
                None => {
                    self.slots.push(Slot {
                        job,
                        start: now,
                        run: 0,
                        active: true,
                        share: 0.0,
                    });
                    (self.slots.len() - 1) as u32
                }
            };
            let run = self.slots[slot as usize].run;
            // A new job cancels a pending shutdown.
            self.epoch = self.epoch.wrapping_add(1);
            s.schedule(
                now.saturating_add(job.duration),
                InstanceEvent::JobDone { slot, run },
            );
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
        self.share(horizon);
        self.sync(horizon);
        for sl in self.slots.iter().filter(|s| s.active) {
            self.breakdown.of(sl.job.workload).busy_area += sl.share;
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
            nodes_requested: self.startups,
            total_arrived: self.total_arrived,
            total_completed: self.total_completed,
            running_at_end: self.running as u64,
            queued_at_end: self.queue.len() as u64,
            fixed_usd_per_hour: self.spec.fixed_usd_per_hour,
            startups: self.startups,
            preemptions: 0,
            lost_area: self.lost_area.round() as u128,
            workloads,
            total_cancelled: 0,
            evicting_area: 0,
            spot: None,
            jobs_cancelled: None,
            batches: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_office_hours() {
        // 08:00-19:00 Monday to Friday: 10 actions; the last before Monday 00:00 is Friday's
        // stop, so the instance is stopped at time zero.
        let mut days = [true; 7];
        days[5] = false;
        days[6] = false;
        let a = weekly_actions(&[DailySchedule {
            start_minute: Some(8 * 60),
            stop_minute: Some(19 * 60),
            days,
        }]);
        assert_eq!(a.len(), 10);
        let h = 3_600_000_000u64;
        assert_eq!(a[0], (8 * h, Power::Start));
        assert_eq!(a[1], (19 * h, Power::Stop));
        assert_eq!(a[9], ((4 * 24 + 19) * h, Power::Stop));
        assert_eq!(state_at_zero(&a), Some(Power::Stop));
    }
}
