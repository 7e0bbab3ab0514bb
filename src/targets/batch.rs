//! Batch endpoint deployments (`[[endpoint]] type = "batch"`): scoring jobs that run as jobs on
//! an Azure ML compute cluster.
//!
//! Semantics, from Azure ML's documentation unless marked as ours (the batch deployment YAML
//! reference, <https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-batch>,
//! and <https://learn.microsoft.com/azure/machine-learning/how-to-use-low-priority-batch>):
//! - an invocation is one job on the deployment's `amlcompute` cluster; it asks for
//!   `instance_count` nodes and waits in the cluster's queue like any job, so the cluster's
//!   autoscaling, idle time and low-priority tier apply;
//! - its input files are split into mini-batches of `mini_batch_size` files; each node runs
//!   `max_concurrency_per_instance` worker processes, and each worker takes the next mini-batch
//!   as soon as it is free;
//! - a mini-batch that runs longer than `retry_settings.timeout` is stopped at the timeout and
//!   tried again, up to `max_retries` times; after that its files count as failed, and when the
//!   failed files exceed `error_threshold` (unless it is -1) the job is stopped as failed;
//! - when a low-priority node is preempted, the mini-batches it was running are re-queued onto
//!   the job's other nodes (no checkpoints within a mini-batch); a job that loses all its nodes
//!   is cancelled and must be resubmitted (Azure: "if the whole cluster is preempted, or it is a
//!   single-node cluster, the job is cancelled").
//!
//! Ours, where Azure says nothing:
//! - a mini-batch's processing time is the sum of its files' times, drawn when the job starts;
//!   it is a property of the files, so a retry takes as long as the first attempt (a mini-batch
//!   over the timeout fails every attempt: the model shows what a too-short timeout costs,
//!   rather than hoping a retry is faster);
//! - re-queued and retried mini-batches go to the back of the job's queue;
//! - a job that loses a node carries on with the nodes it has left (no replacement node);
//! - the job releases its nodes when its last mini-batch ends, so workers idle at the tail of a
//!   job are busy node time (the cluster bills them; `utilization` shows the waste).

use super::breakdown::WorkloadReport;
use super::cluster::ClusterEvent;
use crate::engine::stats::DurationStats;
use crate::engine::{Schedule, SimTime, StreamRng};
pub use crate::workload::BatchSpec;
use std::collections::VecDeque;
use std::sync::Arc;

/// What one replication measured of one batch deployment's jobs, with the cluster's window
/// rules: jobs by their submission after warm-up, mini-batches by when they ended, areas inside
/// the window.
#[derive(Clone, Debug, Default)]
pub struct BatchStats {
    pub jobs_succeeded: u64,
    pub jobs_failed: u64,
    pub jobs_cancelled: u64,
    /// Submission to end of the jobs that succeeded (their wait for nodes included).
    pub durations: DurationStats,
    pub mini_batches_succeeded: u64,
    pub mini_batches_failed: u64,
    /// Attempts stopped at the timeout and tried again.
    pub retries: u64,
    /// Mini-batches running on a preempted node, queued again.
    pub requeued: u64,
    pub files_succeeded: u64,
    pub files_failed: u64,
    /// Worker × microseconds running mini-batches, and worker × microseconds of the nodes the
    /// jobs held (nodes × `max_concurrency_per_instance`).
    pub worker_busy_area: u128,
    pub worker_area: u128,
    /// Node × microseconds of attempts thrown away by preemption (a worker counts
    /// 1/`max_concurrency_per_instance` of its node).
    pub lost_area: f64,
    /// Node × microseconds of attempts that produced nothing because of the retry settings:
    /// every attempt stopped at `retry_settings.timeout` (retried or, at the last try, failed),
    /// and attempts still running when their job was stopped as failed (a worker counts
    /// 1/`max_concurrency_per_instance` of its node, as in `lost_area`).
    pub timed_out_area: f64,
    /// Nodes its jobs lost to preemption.
    pub preemptions: u64,
    /// Over the whole run, for conservation: started jobs that ended in each way.
    pub total_ended: u64,
    pub running_at_end: u64,
}

/// One batch deployment's row: its jobs as the cluster saw them plus the mini-batch level.
#[derive(Clone, Debug)]
pub struct BatchReport {
    pub window: SimTime,
    /// The cluster's node price.
    pub price_usd_per_hour: f64,
    pub max_concurrency_per_instance: u32,
    pub jobs: WorkloadReport,
    pub stats: BatchStats,
    pub queued_at_end: u64,
}

impl BatchReport {
    /// The row of a batch endpoint that was never invoked.
    pub fn empty(warmup: SimTime, horizon: SimTime) -> Self {
        BatchReport {
            window: horizon.saturating_sub(warmup),
            price_usd_per_hour: 0.0,
            max_concurrency_per_instance: 1,
            jobs: WorkloadReport::default(),
            stats: BatchStats::default(),
            queued_at_end: 0,
        }
    }
}

/// How a batch job ended, for the cluster to release its nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Succeeded,
    Failed,
    Cancelled,
}

struct Worker {
    node: u32,
    slot: u32,
    /// Counts this worker slot's attempts, so a stopped attempt's event is recognised.
    attempt: u32,
    /// The mini-batch running, if any.
    running: Option<u32>,
    started: SimTime,
}

/// A running batch job, in the cluster's running slot of the same index.
#[derive(Default)]
struct Run {
    workload: u32,
    arrival: SimTime,
    started: SimTime,
    /// Processing time of each mini-batch.
    times: Vec<SimTime>,
    /// Timed-out attempts of each mini-batch so far.
    timeouts: Vec<u32>,
    pending: VecDeque<u32>,
    /// Worker ids of this job (`max_concurrency_per_instance` for each node it still has),
    /// and those without a mini-batch.
    workers: Vec<u32>,
    idle: Vec<u32>,
    busy: u32,
    files_failed: u64,
    /// When the worker area was last brought up to date.
    area_since: SimTime,
    active: bool,
}

struct Deployment {
    spec: Arc<BatchSpec>,
    rng: StreamRng,
    stats: BatchStats,
}

/// The batch deployments running on one cluster: the mini-batch level of its batch jobs.
#[derive(Default)]
pub struct BatchWork {
    /// Per workload index: the batch deployment its jobs belong to, if any.
    deployments: Vec<Option<Deployment>>,
    runs: Vec<Run>,
    workers: Vec<Worker>,
    free_workers: Vec<u32>,
}

fn clip(from: SimTime, to: SimTime, window: (SimTime, SimTime)) -> u128 {
    let (a, b) = (from.max(window.0), to.min(window.1));
    if b > a { (b - a) as u128 } else { 0 }
}

impl BatchWork {
    /// Jobs of `workload` are invocations of the batch deployment `spec`; their files' times are
    /// drawn from `rng`.
    pub fn add(&mut self, workload: u32, spec: Arc<BatchSpec>, rng: StreamRng) {
        let w = workload as usize;
        if w >= self.deployments.len() {
            self.deployments.resize_with(w + 1, || None);
        }
        self.deployments[w] = Some(Deployment {
            spec,
            rng,
            stats: BatchStats::default(),
        });
    }

    /// Whether any batch deployment runs here.
    pub fn is_any(&self) -> bool {
        self.deployments.iter().any(Option::is_some)
    }

    #[inline]
    pub fn is_batch(&self, workload: u32) -> bool {
        matches!(self.deployments.get(workload as usize), Some(Some(_)))
    }

    /// A job of a batch workload starts on `nodes` in running slot `slot`. Returns `true` when it
    /// has nothing to do (no files) and ends at once, succeeded.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        now: SimTime,
        slot: u32,
        workload: u32,
        arrival: SimTime,
        nodes: &[u32],
        s: &mut impl Schedule<ClusterEvent>,
    ) -> bool {
        let d = self.deployments[workload as usize]
            .as_mut()
            .expect("a batch run belongs to a batch deployment");
        let spec = d.spec.clone();
        if self.runs.len() <= slot as usize {
            self.runs.resize_with(slot as usize + 1, Run::default);
        }
        let mut run = std::mem::take(&mut self.runs[slot as usize]);
        run.workload = workload;
        run.arrival = arrival;
        run.started = now;
        run.area_since = now;
        run.busy = 0;
        run.files_failed = 0;
        run.active = true;
        run.times.clear();
        run.timeouts.clear();
        run.pending.clear();
        // Drawn in file order when the job starts, so variants that start the same jobs in the
        // same order see the same processing times (common random numbers).
        for i in 0..spec.mini_batches() {
            let t: SimTime = (0..spec.files_in(i))
                .map(|_| spec.time_per_file.sample(&mut d.rng))
                .fold(0, SimTime::saturating_add);
            run.times.push(t);
            run.timeouts.push(0);
            run.pending.push_back(i);
        }
        run.workers.clear();
        run.idle.clear();
        for &node in nodes {
            for _ in 0..spec.max_concurrency_per_instance {
                let id = match self.free_workers.pop() {
                    Some(id) => {
                        let w = &mut self.workers[id as usize];
                        w.node = node;
                        w.slot = slot;
                        w.running = None;
                        id
                    }
                    None => {
                        self.workers.push(Worker {
                            node,
                            slot,
                            attempt: 0,
                            running: None,
                            started: now,
                        });
                        (self.workers.len() - 1) as u32
                    }
                };
                run.workers.push(id);
            }
        }
        // Popped from the back: the first worker of the first node takes the first mini-batch.
        run.idle.extend(run.workers.iter().rev());
        self.runs[slot as usize] = run;
        self.feed(now, slot, s);
        self.runs[slot as usize].pending.is_empty() && self.runs[slot as usize].busy == 0
    }

    /// Gives queued mini-batches to idle workers.
    fn feed(&mut self, now: SimTime, slot: u32, s: &mut impl Schedule<ClusterEvent>) {
        let run = &mut self.runs[slot as usize];
        let timeout = self.deployments[run.workload as usize]
            .as_ref()
            .expect("batch run")
            .spec
            .timeout;
        while !run.pending.is_empty() && !run.idle.is_empty() {
            let mb = run.pending.pop_front().expect("checked");
            let id = run.idle.pop().expect("checked");
            let w = &mut self.workers[id as usize];
            w.attempt = w.attempt.wrapping_add(1);
            w.running = Some(mb);
            w.started = now;
            run.busy += 1;
            // An attempt over the timeout is stopped at the timeout.
            let ends = now.saturating_add(run.times[mb as usize].min(timeout));
            s.schedule(
                ends,
                ClusterEvent::MiniBatchDone {
                    worker: id,
                    attempt: w.attempt,
                },
            );
        }
    }

    /// Brings the job's worker area up to `now` (before its node count changes or it ends).
    fn account_workers(&mut self, now: SimTime, slot: u32, window: (SimTime, SimTime)) {
        let run = &mut self.runs[slot as usize];
        let d = self.deployments[run.workload as usize]
            .as_mut()
            .expect("batch run");
        d.stats.worker_area += run.workers.len() as u128 * clip(run.area_since, now, window);
        run.area_since = now;
    }

    /// An attempt's event fired. Returns the slot and how its job ended when this was the job's
    /// last piece of work (the cluster then releases the job's nodes).
    pub fn attempt_done(
        &mut self,
        now: SimTime,
        worker: u32,
        attempt: u32,
        window: (SimTime, SimTime),
        s: &mut impl Schedule<ClusterEvent>,
    ) -> Option<(u32, Ended)> {
        let w = &mut self.workers[worker as usize];
        if w.attempt != attempt || w.running.is_none() {
            return None; // stopped by a preemption or the job's end
        }
        let mb = w.running.take().expect("checked");
        let (slot, started) = (w.slot, w.started);
        let run = &mut self.runs[slot as usize];
        if !run.active {
            return None;
        }
        run.busy -= 1;
        run.idle.push(worker);
        let d = self.deployments[run.workload as usize]
            .as_mut()
            .expect("batch run");
        let in_window = now >= window.0 && now <= window.1;
        d.stats.worker_busy_area += clip(started, now, window);
        let files = d.spec.files_in(mb) as u64;
        let share = 1.0 / d.spec.max_concurrency_per_instance.max(1) as f64;
        if run.times[mb as usize] > d.spec.timeout {
            d.stats.timed_out_area += clip(started, now, window) as f64 * share;
        }
        if run.times[mb as usize] <= d.spec.timeout {
            if in_window {
                d.stats.mini_batches_succeeded += 1;
                d.stats.files_succeeded += files;
            }
        } else {
            run.timeouts[mb as usize] += 1;
            if run.timeouts[mb as usize] <= d.spec.max_retries {
                if in_window {
                    d.stats.retries += 1;
                }
                run.pending.push_back(mb);
            } else {
                if in_window {
                    d.stats.mini_batches_failed += 1;
                    d.stats.files_failed += files;
                }
                run.files_failed += files;
                if d.spec.error_threshold.is_some_and(|t| run.files_failed > t) {
                    return Some((slot, self.end(now, slot, Ended::Failed, window)));
                }
            }
        }
        self.feed(now, slot, s);
        let run = &self.runs[slot as usize];
        (run.pending.is_empty() && run.busy == 0)
            .then(|| (slot, self.end(now, slot, Ended::Succeeded, window)))
    }

    /// Closes job `slot`'s books: its running attempts stop, its workers are freed.
    fn end(&mut self, now: SimTime, slot: u32, how: Ended, window: (SimTime, SimTime)) -> Ended {
        self.account_workers(now, slot, window);
        let run = &mut self.runs[slot as usize];
        run.active = false;
        let d = self.deployments[run.workload as usize]
            .as_mut()
            .expect("batch run");
        let share = 1.0 / d.spec.max_concurrency_per_instance.max(1) as f64;
        for &id in &run.workers {
            let w = &mut self.workers[id as usize];
            if w.running.take().is_some() {
                let ran = clip(w.started, now, window);
                d.stats.worker_busy_area += ran;
                if how == Ended::Failed {
                    // Stopped with its job: its work is thrown away.
                    d.stats.timed_out_area += ran as f64 * share;
                }
            }
            self.free_workers.push(id);
        }
        run.workers.clear();
        run.idle.clear();
        d.stats.total_ended += 1;
        if how == Ended::Cancelled {
            // Counted like the cluster counts it (and like completions): when it happens.
            if now >= window.0 {
                d.stats.jobs_cancelled += 1;
            }
        } else if run.arrival >= window.0 && now <= window.1 {
            if how == Ended::Succeeded {
                d.stats.jobs_succeeded += 1;
                d.stats.durations.record(now - run.arrival);
            } else {
                d.stats.jobs_failed += 1;
            }
        }
        how
    }

    /// Node `node` of job `slot` was preempted: its mini-batches go back to the job's queue and
    /// the job carries on with its other nodes. Returns `Some(Ended::Cancelled)` when that was
    /// the job's last node, and the node time of the work thrown away (node × microseconds).
    pub fn node_lost(
        &mut self,
        now: SimTime,
        slot: u32,
        node: u32,
        window: (SimTime, SimTime),
        s: &mut impl Schedule<ClusterEvent>,
    ) -> (Option<Ended>, f64) {
        if !self.runs[slot as usize].active {
            return (None, 0.0); // it has just ended; its completion is on its way
        }
        self.account_workers(now, slot, window);
        let run = &mut self.runs[slot as usize];
        let d = self.deployments[run.workload as usize]
            .as_mut()
            .expect("batch run");
        let share = 1.0 / d.spec.max_concurrency_per_instance.max(1) as f64;
        let in_window = now >= window.0 && now <= window.1;
        if in_window {
            d.stats.preemptions += 1;
        }
        let workers = &self.workers;
        let mut lost = vec![];
        run.workers.retain(|&id| {
            let keep = workers[id as usize].node != node;
            if !keep {
                lost.push(id);
            }
            keep
        });
        run.idle
            .retain(|&id| self.workers[id as usize].node != node);
        let mut lost_area = 0.0;
        for id in lost {
            let w = &mut self.workers[id as usize];
            if let Some(mb) = w.running.take() {
                run.busy -= 1;
                let elapsed = clip(w.started, now, window);
                d.stats.worker_busy_area += elapsed;
                lost_area += elapsed as f64 * share;
                if in_window {
                    d.stats.requeued += 1;
                }
                run.pending.push_back(mb);
            }
            self.free_workers.push(id);
        }
        d.stats.lost_area += lost_area;
        if run.workers.is_empty() {
            return (
                Some(self.end(now, slot, Ended::Cancelled, window)),
                lost_area,
            );
        }
        self.feed(now, slot, s);
        (None, lost_area)
    }

    /// Closes the books at the horizon: jobs still running count their areas up to it. Returns
    /// each batch workload's measures.
    pub fn finish(
        mut self,
        horizon: SimTime,
        window: (SimTime, SimTime),
    ) -> Vec<(u32, Arc<BatchSpec>, BatchStats)> {
        for slot in 0..self.runs.len() as u32 {
            if !self.runs[slot as usize].active {
                continue;
            }
            self.account_workers(horizon, slot, window);
            let run = &self.runs[slot as usize];
            let d = self.deployments[run.workload as usize]
                .as_mut()
                .expect("batch run");
            d.stats.running_at_end += 1;
            for &id in &run.workers {
                let w = &self.workers[id as usize];
                if w.running.is_some() {
                    d.stats.worker_busy_area += clip(w.started, horizon, window);
                }
            }
        }
        self.deployments
            .into_iter()
            .enumerate()
            .filter_map(|(w, d)| d.map(|d| (w as u32, d.spec, d.stats)))
            .collect()
    }
}
