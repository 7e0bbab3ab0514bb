//! Runs a scenario's replications in parallel and gathers their metrics in replication order.
//!
//! Each replication is built inside its worker from the plain, shared [`Scenario`], and results
//! are collected by index, never in completion order, so the output is the same whatever the
//! number of threads.

use crate::metrics::{self, Values};
use crate::model::{SampleSink, run_replication};
use crate::scenario::Scenario;
use crate::scenario::sweep::Plan;
pub mod tradeoff;

use rayon::prelude::*;
use std::sync::Mutex;

/// One replication's metric values per target (in scenario order).
#[derive(Clone, Debug)]
pub struct ReplicationRow {
    pub replication: u64,
    pub replication_seed: u64,
    pub events: u64,
    pub targets: Vec<Values>,
}

#[derive(Debug)]
pub struct RunResult {
    pub rows: Vec<ReplicationRow>,
}

impl RunResult {
    /// Total events processed over all replications.
    pub fn events(&self) -> u64 {
        self.rows.iter().map(|r| r.events).sum()
    }

    /// Estimates per target, in scenario order.
    pub fn summary(&self, n_targets: usize) -> Vec<Vec<metrics::Estimate>> {
        (0..n_targets)
            .map(|t| {
                let per: Vec<&Values> = self.rows.iter().map(|r| &r.targets[t]).collect();
                metrics::summarize(&per)
            })
            .collect()
    }
}

/// Runs every replication of `scenario` on `threads` threads (0 = all cores). Replication 0
/// streams its time series into `sink`, if given.
pub fn run(
    scenario: &Scenario,
    threads: usize,
    sink: Option<&mut (dyn SampleSink + Send)>,
) -> Result<RunResult, rayon::ThreadPoolBuildError> {
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
                ReplicationRow {
                    replication: r,
                    replication_seed: result.replication_seed,
                    events: result.events,
                    targets: result.targets.iter().map(metrics::values).collect(),
                }
            })
            .collect()
    });
    Ok(RunResult { rows })
}

/// Runs every replication of every variant of `plan`, all (variant, replication) pairs spread
/// over `threads` threads; results come back in variant order, each in replication order.
/// Replication 0 of variant 0 streams its time series into `sink`.
pub fn run_plan(
    plan: &Plan,
    threads: usize,
    sink: Option<&mut (dyn SampleSink + Send)>,
) -> Result<Vec<RunResult>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let sink = Mutex::new(sink);
    let pairs: Vec<(usize, u64)> = plan
        .variants
        .iter()
        .enumerate()
        .flat_map(|(v, variant)| (0..variant.scenario.replications).map(move |r| (v, r)))
        .collect();
    let rows: Vec<(usize, ReplicationRow)> = pool.install(|| {
        pairs
            .into_par_iter()
            .map(|(v, r)| {
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
                (
                    v,
                    ReplicationRow {
                        replication: r,
                        replication_seed: result.replication_seed,
                        events: result.events,
                        targets: result.targets.iter().map(metrics::values).collect(),
                    },
                )
            })
            .collect()
    });
    let mut results: Vec<RunResult> = plan
        .variants
        .iter()
        .map(|_| RunResult { rows: vec![] })
        .collect();
    for (v, row) in rows {
        results[v].rows.push(row);
    }
    Ok(results)
}
