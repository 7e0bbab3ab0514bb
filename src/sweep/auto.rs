//! `replications = "auto"`: replications added in common-random-number batches until the goal's
//! answer is settled, spent only on the settings whose answer is open.
//!
//! The procedure (a sequential feasibility-and-selection procedure with an indifference zone,
//! after Andradóttir and Kim's feasibility determination and Kim and Nelson's fully sequential
//! selection, simplified to 95% paired-t intervals checked after each batch):
//!
//! 1. Every setting runs `AUTO_FIRST_BATCH` replications.
//! 2. After each batch, the trade-off rows and the verdict are worked out as for a fixed count.
//!    A setting is *open* when its goal verdict is uncertain (its interval straddles the goal
//!    line, widened by the tolerance: the indifference zone), when it is the leader or a
//!    contested setting of a verdict that is not settled, or when it is the leader and a goal
//!    measure's or its cost's 95% half-width is above `precision` × its mean.
//! 3. Each open setting below `max_replications` gets another batch: as many replications as the
//!    verdict's estimate says would settle it (at least 5, at most as many as it has), so
//!    replications go only where the answer is open. Settings surely in or surely out get none.
//! 4. It stops when no setting is open or every open one has `max_replications`.
//!
//! Replication r of setting v always uses the streams of (seed, r), whatever the batch it ran in
//! and the number of threads, and batches run in a fixed order, so the outcome is byte-identical
//! for any `--threads`. Paired differences use the replications two settings share.

use super::tradeoff::{self, Verdict};
use super::verdict::{self, Outcome};
use super::{ReplicationRow, RunResult};
use crate::model::run_replication;
use crate::scenario::AUTO_FIRST_BATCH;
use crate::scenario::sweep::Plan;
use rayon::prelude::*;

/// What the procedure did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AutoLog {
    /// Replications each setting ended with.
    pub replications: Vec<u64>,
    /// Batches run after the first.
    pub rounds: usize,
    /// Events simulated in all.
    pub events: u64,
    /// Settings still open at `max_replications`.
    pub unsettled: Vec<usize>,
}

/// Runs replications `from..to` of variant `v` (in replication order).
fn batch(plan: &Plan, v: usize, from: u64, to: u64) -> Vec<ReplicationRow> {
    let s = &plan.variants[v].scenario;
    (from..to)
        .into_par_iter()
        .map(|r| {
            let result = run_replication(&s.system, s.seed, r, None);
            ReplicationRow::of(r, &result)
        })
        .collect()
}

/// The settings whose answer is still open, each with the replications it should reach next.
fn open(plan: &Plan, results: &[RunResult], max: u64, precision: f64) -> Vec<(usize, u64)> {
    let rows = tradeoff::analyse(plan, results);
    let decisions = verdict::decide(plan, results, &rows);
    let n = |v: usize| results[v].rows.len() as u64;
    let mut want: Vec<Option<u64>> = vec![None; results.len()];
    let mut ask = |v: usize, target: Option<u64>| {
        let next = target.unwrap_or(0).max(n(v) + 5).min(2 * n(v)).min(max);
        if next > n(v) {
            want[v] = Some(want[v].map_or(next, |w: u64| w.max(next)));
        }
    };
    for r in &rows {
        if r.meets_goal == Some(Verdict::Uncertain) {
            ask(r.variant, None);
        }
    }
    let goal = plan.goal.clone().unwrap_or_default();
    for d in &decisions {
        let Some(lead) = d.recommended else { continue };
        if d.outcome == Outcome::Contested {
            ask(lead, d.replications_to_settle);
            for c in &d.contested {
                ask(c.variant, c.replications_to_settle);
            }
        }
        // The answer's own figures: tight enough relative to their means.
        let t = plan.variants[lead]
            .scenario
            .system
            .targets
            .iter()
            .position(|x| x.name == d.target)
            .unwrap_or(0);
        let kind = &plan.variants[lead].scenario.system.targets[t].kind;
        for (m, _) in goal.measures() {
            if !m.applies_to(kind) {
                continue;
            }
            let e = super::goal::estimate(&results[lead], t, m);
            if e.mean.is_finite() && e.ci95.is_finite() && e.ci95 > precision * e.mean.abs() {
                let need =
                    verdict::replications_to_clear(e.ci95, n(lead), precision * e.mean.abs());
                ask(lead, need);
            }
        }
    }
    want.iter()
        .enumerate()
        .filter_map(|(v, w)| w.map(|w| (v, w)))
        .collect()
}

/// Runs `plan` under `replications = "auto"` on `threads` threads: the results of every setting
/// (their replication counts differ) and what the procedure did. Without a goal, or with one
/// setting, it runs the first batch only. The plan's variants are given their final counts.
pub fn settle(
    plan: &mut Plan,
    threads: usize,
) -> Result<(Vec<RunResult>, AutoLog), rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let spec = plan
        .variants
        .first()
        .and_then(|v| v.scenario.auto_replications);
    let (precision, max) = spec.map_or((0.05, AUTO_FIRST_BATCH), |a| (a.precision, a.max));
    let first = AUTO_FIRST_BATCH.min(max);
    let mut results: Vec<RunResult> = pool.install(|| {
        (0..plan.variants.len())
            .map(|v| RunResult::new(batch(plan, v, 0, first)))
            .collect()
    });
    let mut log = AutoLog::default();
    if plan.goal.is_some() && plan.variants.len() > 1 {
        loop {
            let next = open(plan, &results, max, precision);
            if next.is_empty() {
                break;
            }
            log.rounds += 1;
            pool.install(|| {
                for &(v, to) in &next {
                    let from = results[v].rows.len() as u64;
                    let more = batch(plan, v, from, to);
                    results[v].rows.extend(more);
                }
            });
        }
        // Open at the maximum: say so rather than pretend.
        let rows = tradeoff::analyse(plan, &results);
        log.unsettled = rows
            .iter()
            .filter(|r| r.meets_goal == Some(Verdict::Uncertain))
            .map(|r| r.variant)
            .collect();
    }
    log.replications = results.iter().map(|r| r.rows.len() as u64).collect();
    log.events = results.iter().map(|r| r.events()).sum();
    for (v, r) in plan.variants.iter_mut().zip(&results) {
        v.scenario.replications = r.rows.len() as u64;
    }
    Ok((results, log))
}
