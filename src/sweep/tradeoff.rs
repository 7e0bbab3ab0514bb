//! Comparing variants: cost against waiting, paired by replication.
//!
//! Replication r of every variant sees the same arrivals and job durations (common random
//! numbers), so the difference between two variants is estimated from the per-replication
//! differences, whose spread is far smaller than that of either variant alone.

use super::RunResult;
use crate::engine::stats::mean_ci95;
use crate::metrics::{Estimate, M};
use crate::scenario::sweep::{Goal, Plan};

/// A paired difference (variant − baseline) with its 95% CI half-width.
#[derive(Clone, Copy, Debug)]
pub struct Diff {
    pub mean: f64,
    pub ci95: f64,
}

impl Diff {
    /// The interval excludes zero.
    pub fn significant(&self) -> bool {
        self.ci95.is_finite() && self.mean.abs() > self.ci95
    }
}

/// Whether a variant meets the goal, allowing for the estimate's uncertainty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Yes,
    No,
    /// The confidence interval straddles the goal: more replications would tell.
    Uncertain,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::Uncertain => "uncertain",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub variant: usize,
    pub target: usize,
    pub cost_per_30d_usd: Estimate,
    pub idle_cost_per_30d_usd: Estimate,
    pub wait_mean_s: Estimate,
    pub wait_p95_s: Estimate,
    pub cost_diff_per_30d_usd: Diff,
    pub wait_p95_diff_s: Diff,
    pub pareto: bool,
    pub meets_goal: Option<Verdict>,
    pub recommended: bool,
}

fn paired(results: &[RunResult], v: usize, base: usize, t: usize, m: M) -> Diff {
    let diffs: Vec<f64> = results[v]
        .rows
        .iter()
        .zip(&results[base].rows)
        .map(|(a, b)| a.targets[t][m as usize] - b.targets[t][m as usize])
        .filter(|d| d.is_finite())
        .collect();
    let (mean, ci95) = mean_ci95(&diffs);
    Diff { mean, ci95 }
}

/// `value ± ci` against an upper bound.
fn verdict(e: &Estimate, bound: f64) -> Verdict {
    let ci = if e.ci95.is_finite() { e.ci95 } else { 0.0 };
    if !e.mean.is_finite() {
        Verdict::Uncertain
    } else if e.mean + ci <= bound {
        Verdict::Yes
    } else if e.mean - ci > bound {
        Verdict::No
    } else {
        Verdict::Uncertain
    }
}

fn combine(a: Option<Verdict>, b: Verdict) -> Verdict {
    match (a, b) {
        (None, b) => b,
        (Some(Verdict::No), _) | (_, Verdict::No) => Verdict::No,
        (Some(Verdict::Uncertain), _) | (_, Verdict::Uncertain) => Verdict::Uncertain,
        _ => Verdict::Yes,
    }
}

/// One row per (variant, target). The baseline is variant 0 (the first value of every axis).
// Indices are the natural key here: variant v and target t address three parallel tables.
#[allow(clippy::needless_range_loop)]
pub fn analyse(plan: &Plan, results: &[RunResult]) -> Vec<Row> {
    let n_targets = plan
        .variants
        .first()
        .map_or(0, |v| v.scenario.system.targets.len());
    let summaries: Vec<Vec<Vec<Estimate>>> = results.iter().map(|r| r.summary(n_targets)).collect();
    let mut rows = vec![];
    for t in 0..n_targets {
        let first = rows.len();
        for v in 0..results.len() {
            let e = |m: M| summaries[v][t][m as usize];
            let goal: Option<&Goal> = plan.goal.as_ref();
            let mut meets = None;
            if let Some(g) = goal {
                if let Some(w) = g.wait_p95_s {
                    meets = Some(combine(meets, verdict(&e(M::wait_p95), w)));
                }
                if let Some(b) = g.budget_per_30d_usd {
                    meets = Some(combine(meets, verdict(&e(M::cost_per_30d), b)));
                }
            }
            rows.push(Row {
                variant: v,
                target: t,
                cost_per_30d_usd: e(M::cost_per_30d),
                idle_cost_per_30d_usd: e(M::idle_cost_per_30d),
                wait_mean_s: e(M::wait_mean),
                wait_p95_s: e(M::wait_p95),
                cost_diff_per_30d_usd: paired(results, v, 0, t, M::cost_per_30d),
                wait_p95_diff_s: paired(results, v, 0, t, M::wait_p95),
                pareto: false,
                meets_goal: meets,
                recommended: false,
            });
        }
        // Pareto front on (mean cost, mean p95 wait), both to be minimised; an undefined wait
        // (no jobs) counts as no wait.
        let key = |r: &Row| {
            let w = r.wait_p95_s.mean;
            (r.cost_per_30d_usd.mean, if w.is_finite() { w } else { 0.0 })
        };
        let block: Vec<(f64, f64)> = rows[first..].iter().map(key).collect();
        for (i, row) in rows[first..].iter_mut().enumerate() {
            let (c, w) = block[i];
            row.pareto = !block
                .iter()
                .enumerate()
                .any(|(j, &(c2, w2))| j != i && c2 <= c && w2 <= w && (c2 < c || w2 < w));
        }
        if let Some(best) = rows[first..]
            .iter()
            .enumerate()
            .filter(|(_, r)| r.meets_goal == Some(Verdict::Yes))
            .min_by(|a, b| {
                a.1.cost_per_30d_usd
                    .mean
                    .total_cmp(&b.1.cost_per_30d_usd.mean)
            })
            .map(|(i, _)| first + i)
        {
            rows[best].recommended = true;
        }
    }
    rows
}
