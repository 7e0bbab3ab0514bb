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

use super::Shard;
use super::tradeoff::{self, Verdict};
use super::verdict::{self, Outcome};
use super::warmup::WarmupCheck;
use super::{Control, MserVerdict, ReplicationRow, RunResult};
use crate::model::SampleSink;
use crate::scenario::sweep::Plan;
use crate::scenario::{AUTO_FIRST_BATCH, Diagnostic, Scenario};
use crate::text::Severity;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

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

/// A replication's row with its MSER verdict, as the run's writing path takes them.
type Ran = (ReplicationRow, MserVerdict);

/// Runs replications `from..to` of variant `v` (in replication order); replication 0 of variant
/// 0 streams its time series into `sink`. Replications skipped after `cancel` are missing.
fn batch(
    plan: &Plan,
    v: usize,
    from: u64,
    to: u64,
    control: &Control<'_>,
    sink: &Sink<'_>,
) -> Vec<Ran> {
    let cancelled = || control.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let rows: Vec<Option<Ran>> = (from..to)
        .into_par_iter()
        .map(|r| {
            if cancelled() {
                return None;
            }
            Some(super::replicate(plan, v, r, sink, control.progress))
        })
        .collect();
    rows.into_iter().flatten().collect()
}

use super::Sink;

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

/// What [`settle_with`] ran: every replication of every setting, kept for the run to write
/// (simulating them again would double the work), and what the procedure did.
#[derive(Debug)]
pub struct Settled {
    pub log: AutoLog,
    /// Stopped by `cancel`: the plan's counts are those the last batch aimed at, and a setting
    /// whose batch was cut short has fewer rows.
    pub interrupted: bool,
    /// Per setting, its rows not yet taken by [`Settled::chunk`], in replication order.
    rows: Vec<VecDeque<Ran>>,
}

impl Settled {
    /// The rows of `pairs` (a contiguous run of the plan's pairs, taken in order), as
    /// [`super::run_plan_with`] returns them for the same pairs: the MSER verdicts are added in
    /// the same order, so the warm-up check is the same to the bit. After an interruption, every
    /// row left, whatever `pairs`.
    pub fn chunk(&mut self, pairs: &[(usize, u64)]) -> super::Outcome {
        let mut check = WarmupCheck::default();
        let mut rows = vec![];
        let mut take =
            |v: usize, row: ReplicationRow, (truncation, warmup, series): MserVerdict| {
                check.add(truncation, warmup);
                check.add_series(&series);
                rows.push((v, row));
            };
        if self.interrupted {
            for (v, left) in self.rows.iter_mut().enumerate() {
                for (row, verdict) in left.drain(..) {
                    take(v, row, verdict);
                }
            }
        } else {
            for &(v, r) in pairs {
                let Some(left) = self.rows.get_mut(v) else {
                    continue;
                };
                if left.front().is_some_and(|(row, _)| row.replication == r)
                    && let Some((row, verdict)) = left.pop_front()
                {
                    take(v, row, verdict);
                }
            }
        }
        super::Outcome {
            rows,
            interrupted: self.interrupted,
            warmup: check,
        }
    }

    /// Every setting's rows, as one result each.
    pub fn into_results(self) -> Vec<RunResult> {
        self.rows
            .into_iter()
            .map(|left| RunResult::new(left.into_iter().map(|(row, _)| row).collect()))
            .collect()
    }
}

/// Runs `plan` under `replications = "auto"` on `threads` threads: the results of every setting
/// (their replication counts differ) and what the procedure did. See [`settle_with`].
pub fn settle(
    plan: &mut Plan,
    threads: usize,
) -> Result<(Vec<RunResult>, AutoLog), rayon::ThreadPoolBuildError> {
    let control = Control {
        threads,
        ..Control::default()
    };
    let settled = settle_with(plan, &control, None)?;
    let log = settled.log.clone();
    Ok((settled.into_results(), log))
}

/// Runs `plan` under `replications = "auto"` with `control`'s threads, stop flag and progress
/// callback (its `pairs` is ignored: the procedure chooses them); replication 0 of variant 0
/// streams its time series into `sink`. Without a goal, or with one setting, it runs the first
/// batch only. The plan's variants are given their final counts.
pub fn settle_with(
    plan: &mut Plan,
    control: &Control<'_>,
    sink: Option<&mut (dyn SampleSink + Send)>,
) -> Result<Settled, rayon::ThreadPoolBuildError> {
    super::tune_allocator();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(control.threads)
        .build()?;
    let sink: Sink<'_> = Mutex::new(sink);
    let cancelled = || control.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let spec = plan
        .variants
        .first()
        .and_then(|v| v.scenario.auto_replications);
    let (precision, max) = spec.map_or((0.05, AUTO_FIRST_BATCH), |a| (a.precision, a.max));
    let first = AUTO_FIRST_BATCH.min(max);
    // The count each setting's last batch aimed at: what it has unless a stop cut the batch.
    let mut planned: Vec<u64> = vec![first; plan.variants.len()];
    let mut verdicts: Vec<Vec<MserVerdict>> = vec![];
    let mut results: Vec<RunResult> = vec![];
    pool.install(|| {
        for v in 0..plan.variants.len() {
            let (rows, mser): (Vec<_>, Vec<_>) =
                batch(plan, v, 0, first, control, &sink).into_iter().unzip();
            results.push(RunResult::new(rows));
            verdicts.push(mser);
        }
    });
    let mut log = AutoLog::default();
    let mut interrupted = cancelled();
    if !interrupted && plan.goal.is_some() && plan.variants.len() > 1 {
        loop {
            let next = open(plan, &results, max, precision);
            if next.is_empty() {
                break;
            }
            log.rounds += 1;
            pool.install(|| {
                for &(v, to) in &next {
                    let from = results[v].rows.len() as u64;
                    planned[v] = to;
                    let (rows, mser): (Vec<_>, Vec<_>) =
                        batch(plan, v, from, to, control, &sink).into_iter().unzip();
                    results[v].rows.extend(rows);
                    verdicts[v].extend(mser);
                }
            });
            if cancelled() {
                interrupted = true;
                break;
            }
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
    for (v, &n) in plan.variants.iter_mut().zip(&planned) {
        v.scenario.replications = n;
    }
    let rows = results
        .into_iter()
        .zip(verdicts)
        .map(|(r, m)| r.rows.into_iter().zip(m).collect())
        .collect();
    Ok(Settled {
        log,
        interrupted,
        rows,
    })
}

/// Why `replications = "auto"` cannot run as shard `shard`, located at `replications`, and the
/// ways on.
pub fn shard_refusal(s: &Scenario, shard: Shard) -> Diagnostic {
    let (first, max) = s
        .auto_replications
        .map_or((AUTO_FIRST_BATCH, AUTO_FIRST_BATCH), |a| {
            (AUTO_FIRST_BATCH.min(a.max), a.max)
        });
    let (line, column) = top_level_key(&s.source, "replications").unwrap_or((0, 0));
    Diagnostic {
        severity: Severity::Error,
        file: s.file.clone(),
        line,
        column,
        field: "replications".into(),
        message: format!(
            "\"auto\" cannot run as a shard (--shard {shard}): the procedure decides how many \
             replications each setting gets from every setting's results, and a shard has only \
             its own slice"
        ),
        hint: Some(format!(
            "run it unsharded (without --shard), or give every shard the same fixed count, \
             e.g. --replications {first} (where \"auto\" starts; it adds up to \
             max_replications = {max} where the answer is open)"
        )),
    }
}

/// Line and column (1-based) of `key` set at the top level of a TOML text (before any table).
fn top_level_key(text: &str, key: &str) -> Option<(usize, usize)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            return None;
        }
        if let Some(rest) = t.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some((i + 1, line.len() - t.len() + 1));
        }
    }
    None
}
