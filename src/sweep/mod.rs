//! Runs a scenario's replications in parallel and gathers their metrics in replication order.
//!
//! Each replication is built inside its worker from the plain, shared [`Scenario`], and results
//! are collected by index, never in completion order, so the output is the same whatever the
//! number of threads.

use crate::metrics::{self, Values};
use crate::model::{SampleSink, run_replication};
use crate::scenario::Scenario;
use crate::scenario::sweep::Plan;
pub mod auto;
pub mod commitments;
pub mod estimate;
pub mod goal;
pub mod relaxation;
pub mod tradeoff;
pub mod verdict;
pub mod warmup;

use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// One replication's metric values per target (in scenario order).
#[derive(Clone, Debug)]
pub struct ReplicationRow {
    pub replication: u64,
    pub replication_seed: u64,
    pub events: u64,
    pub targets: Vec<Values>,
    /// Per target: node-hours per hour of the window, for dedicated `amlcompute` clusters
    /// (empty for other targets, and in rows read back from shards).
    pub usage: Vec<Vec<f64>>,
}

impl ReplicationRow {
    /// The row of replication `replication`, from what the model returned for it.
    pub fn of(replication: u64, result: &crate::model::ReplicationResult) -> ReplicationRow {
        // Only clusters carry hourly usage (see `usage`).
        let usage = |r: &crate::targets::TargetReport| match r {
            crate::targets::TargetReport::Cluster(c) => c.hourly_node_hours.clone(),
            _ => vec![],
        };
        ReplicationRow {
            replication,
            replication_seed: result.replication_seed,
            events: result.events,
            targets: result.targets.iter().map(metrics::values).collect(),
            usage: result.targets.iter().map(usage).collect(),
        }
    }
}

/// The replications of one variant: every replication's values while they are being written
/// out, then (after [`RunResult::shrink`]) only what comparisons between variants need, so
/// that a sweep of many thousands of variants does not hold every replication in memory.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Every replication's values, in replication order; empty once shrunk.
    pub rows: Vec<ReplicationRow>,
    kept: Option<Kept>,
}

/// What a shrunk result keeps.
#[derive(Debug)]
struct Kept {
    summary: Vec<Vec<metrics::Estimate>>,
    /// Per [`PAIRED`] metric, per target: the values by replication.
    paired: Vec<Vec<Vec<f64>>>,
    events: u64,
}

/// The metrics compared replication by replication between variants (common random numbers):
/// what [`tradeoff`] reads. A shrunk result keeps them.
pub const PAIRED: [metrics::M; 9] = [
    metrics::M::cost_per_month,
    metrics::M::wait_p95,
    // The measures a `[goal]` can bound on online endpoints (a 408 share is timed_out_408 /
    // requests).
    metrics::M::latency_p50,
    metrics::M::latency_p95,
    metrics::M::latency_p99,
    metrics::M::rejected_429_share,
    metrics::M::timed_out_408,
    metrics::M::requests,
    metrics::M::slo_attainment,
];

impl RunResult {
    pub fn new(rows: Vec<ReplicationRow>) -> RunResult {
        RunResult { rows, kept: None }
    }

    /// Total events processed over all replications.
    pub fn events(&self) -> u64 {
        match &self.kept {
            Some(k) => k.events,
            None => self.rows.iter().map(|r| r.events).sum(),
        }
    }

    /// Estimates per target, in scenario order.
    pub fn summary(&self, n_targets: usize) -> Vec<Vec<metrics::Estimate>> {
        if let Some(k) = &self.kept {
            return k.summary.clone();
        }
        (0..n_targets)
            .map(|t| {
                let per: Vec<&Values> = self.rows.iter().map(|r| &r.targets[t]).collect();
                metrics::summarize(&per)
            })
            .collect()
    }

    /// Metric `m` of target `t`, replication by replication. After [`shrink`](Self::shrink),
    /// only the [`PAIRED`] metrics are kept; asking for another is a bug.
    pub fn per_replication(&self, t: usize, m: metrics::M) -> Vec<f64> {
        match &self.kept {
            None => self.rows.iter().map(|r| r.targets[t][m as usize]).collect(),
            Some(k) => {
                let i = PAIRED
                    .iter()
                    .position(|p| *p as usize == m as usize)
                    .expect("a shrunk result keeps only the PAIRED metrics");
                k.paired[i][t].clone()
            }
        }
    }

    /// Replaces the replications by their summary and the [`PAIRED`] metrics, once they have
    /// been written out.
    pub fn shrink(&mut self, n_targets: usize) {
        if self.kept.is_some() {
            return;
        }
        let kept = Kept {
            summary: self.summary(n_targets),
            paired: PAIRED
                .iter()
                .map(|&m| (0..n_targets).map(|t| self.per_replication(t, m)).collect())
                .collect(),
            events: self.events(),
        };
        self.kept = Some(kept);
        self.rows = vec![];
    }
}

/// Keeps freed memory in the process for the next replication (glibc only; once per process).
///
/// Why: a replication allocates its statistics afresh (histograms of some hundred KiB), and
/// glibc serves blocks that large with `mmap` and returns them with `munmap` when freed. Every
/// replication then page-faults its buffers in again (about 110 faults each on the cluster
/// bench), and `mmap`/`munmap` serialise the worker threads on the process's memory map, which
/// costs most where many short replications run in parallel (sweeps). Raising the mmap and trim
/// thresholds makes freed blocks reusable by the next replication on the thread.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes allocator parameters; it is called before the worker
            // threads of this process's runs start allocating, and it is safe to call at any time.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
            }
        });
    }
}

/// Runs every replication of `scenario` on `threads` threads (0 = all cores). Replication 0
/// streams its time series into `sink`, if given.
pub fn run(
    scenario: &Scenario,
    threads: usize,
    sink: Option<&mut (dyn SampleSink + Send)>,
) -> Result<RunResult, rayon::ThreadPoolBuildError> {
    tune_allocator();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let sink = Mutex::new(sink);
    let rows = pool.install(|| {
        (0..scenario.replications)
            .into_par_iter()
            .map(|r| {
                let result = if r == 0 {
                    let mut guard = sink.lock().unwrap_or_else(|e| e.into_inner());
                    let s: Option<&mut dyn SampleSink> = match guard.as_mut() {
                        Some(s) => Some(&mut **s),
                        None => None,
                    };
                    run_replication(&scenario.system, scenario.seed, r, s)
                } else {
                    run_replication(&scenario.system, scenario.seed, r, None)
                };
                ReplicationRow::of(r, &result)
            })
            .collect()
    });
    Ok(RunResult::new(rows))
}

/// One of N disjoint, deterministic slices of a plan's (variant, replication) pairs, for
/// running a sweep on several machines (`--shard K/N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as users write it.
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not K/N with 1 <= K <= N, such as 3/8");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The pairs (in plan order: variant-major, then replication) this shard runs: contiguous, so
    /// a shard holds whole variants where it can, and shard 1 always holds the first pair (whose
    /// time series is written).
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        // The first `total % count` shards take one pair more than the rest.
        let (q, r) = (total / self.count, total % self.count);
        let at = |k: usize| k * q + k.min(r);
        at(self.index - 1)..at(self.index)
    }
}

/// How to run a plan, beside the plan itself.
#[derive(Default)]
pub struct Control<'a> {
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Run only this slice of the pairs (a shard's, or a chunk of one).
    pub pairs: Option<std::ops::Range<usize>>,
    /// Set from another thread (Ctrl-C) to stop: replications not yet started are skipped,
    /// running ones finish.
    pub cancel: Option<&'a AtomicBool>,
    /// Called once per finished replication, from worker threads.
    pub progress: Option<&'a (dyn Fn() + Sync)>,
}

/// A replication's MSER truncation and the warm-up it used.
type MserVerdict = (
    Option<crate::engine::SimTime>,
    crate::engine::SimTime,
    Vec<Option<crate::engine::mser::BatchMeans>>,
);

/// Every (variant, replication) pair of `plan`, in plan order.
pub fn pairs(plan: &Plan) -> Vec<(usize, u64)> {
    plan.variants
        .iter()
        .enumerate()
        .flat_map(|(v, variant)| (0..variant.scenario.replications).map(move |r| (v, r)))
        .collect()
}

/// What a run produced: the (variant, replication) rows that ran, in plan order (all of them,
/// unless the run was sliced or interrupted).
#[derive(Debug)]
pub struct Outcome {
    pub rows: Vec<(usize, ReplicationRow)>,
    /// Stopped by `cancel` before every pair ran.
    pub interrupted: bool,
    /// Where MSER-5 put each replication's initialization bias, against its warm-up.
    pub warmup: warmup::WarmupCheck,
}

/// Where replication 0 of variant 0 streams its time series (shared by the worker threads).
pub(crate) type Sink<'a> = Mutex<Option<&'a mut (dyn SampleSink + Send)>>;

/// Simulates replication `r` of variant `v` (replication 0 of variant 0 into `sink`, if any)
/// and ticks `progress`: its row and what the warm-up check needs of it.
pub(crate) fn replicate(
    plan: &Plan,
    v: usize,
    r: u64,
    sink: &Sink<'_>,
    progress: Option<&(dyn Fn() + Sync)>,
) -> (ReplicationRow, MserVerdict) {
    let s = &plan.variants[v].scenario;
    let result = if v == 0 && r == 0 {
        let mut guard = sink.lock().unwrap_or_else(|e| e.into_inner());
        let sink: Option<&mut dyn SampleSink> = match guard.as_mut() {
            Some(s) => Some(&mut **s),
            None => None,
        };
        run_replication(&s.system, s.seed, r, sink)
    } else {
        run_replication(&s.system, s.seed, r, None)
    };
    if let Some(p) = progress {
        p();
    }
    (
        ReplicationRow::of(r, &result),
        (
            result.mser_truncation,
            result.warmup,
            if v == 0 { result.series } else { vec![] },
        ),
    )
}

/// Runs every replication of every variant of `plan`, all (variant, replication) pairs spread
/// over `threads` threads; results come back in variant order, each in replication order.
/// Replication 0 of variant 0 streams its time series into `sink`.
pub fn run_plan(
    plan: &Plan,
    threads: usize,
    sink: Option<&mut (dyn SampleSink + Send)>,
) -> Result<Vec<RunResult>, rayon::ThreadPoolBuildError> {
    let control = Control {
        threads,
        ..Control::default()
    };
    Ok(run_plan_with(plan, &control, sink)?.by_variant(plan))
}

/// [`run_plan`] with a shard, a stop flag and a progress callback.
pub fn run_plan_with(
    plan: &Plan,
    control: &Control<'_>,
    sink: Option<&mut (dyn SampleSink + Send)>,
) -> Result<Outcome, rayon::ThreadPoolBuildError> {
    tune_allocator();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(control.threads)
        .build()?;
    let sink = Mutex::new(sink);
    let mut pairs = pairs(plan);
    if let Some(range) = control.pairs.clone() {
        pairs = pairs[range].to_vec();
    }
    let cancelled = || control.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let rows: Vec<Option<(usize, ReplicationRow, MserVerdict)>> = pool.install(|| {
        pairs
            .into_par_iter()
            .map(|(v, r)| {
                if cancelled() {
                    return None;
                }
                let (row, verdict) = replicate(plan, v, r, &sink, control.progress);
                Some((v, row, verdict))
            })
            .collect()
    });
    let interrupted = rows.iter().any(Option::is_none);
    let mut check = warmup::WarmupCheck::default();
    let rows = rows
        .into_iter()
        .flatten()
        .map(|(v, row, (truncation, warmup, series))| {
            check.add(truncation, warmup);
            check.add_series(&series);
            (v, row)
        })
        .collect();
    Ok(Outcome {
        rows,
        interrupted,
        warmup: check,
    })
}

impl Outcome {
    /// The rows gathered by variant: one result per variant of `plan`.
    pub fn by_variant(self, plan: &Plan) -> Vec<RunResult> {
        let mut results: Vec<RunResult> =
            plan.variants.iter().map(|_| RunResult::default()).collect();
        for (v, row) in self.rows {
            results[v].rows.push(row);
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_pairs_in_order() {
        for total in [0usize, 1, 7, 10, 1000] {
            for n in 1..=9 {
                let mut next = 0;
                for k in 1..=n {
                    let r = Shard { index: k, count: n }.range(total);
                    assert_eq!(r.start, next);
                    // Balanced: sizes differ by at most one.
                    assert!(r.len() <= total.div_ceil(n) && r.len() + 1 >= total / n);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("3/8".parse(), Ok(Shard { index: 3, count: 8 }));
        assert!("0/8".parse::<Shard>().is_err());
        assert!("9/8".parse::<Shard>().is_err());
        assert!("3".parse::<Shard>().is_err());
        assert!("a/b".parse::<Shard>().is_err());
    }
}
