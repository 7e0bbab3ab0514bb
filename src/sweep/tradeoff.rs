//! Comparing variants: cost against waiting, paired by replication.
//!
//! Replication r of every variant sees the same arrivals and job durations (common random
//! numbers), so the difference between two variants is estimated from the per-replication
//! differences, whose spread is far smaller than that of either variant alone.
//!
//! Where the estimates are too noisy to carry a conclusion, each row says so ([`Noise`]): a
//! difference whose confidence interval is wider than the difference itself, a goal the interval
//! straddles, and a recommendation that could go to another variant within the intervals. The
//! outputs then print a warning, not a confident answer.

use super::RunResult;
use crate::engine::stats::mean_ci95;
use crate::metrics::{Estimate, M};
use crate::scenario::goal::Measure;
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

/// Why a row's comparison cannot be trusted at 95% confidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noise {
    /// The cost difference from variant 0 is smaller than its confidence half-width.
    CostDiffWithinCi,
    /// The p95 wait difference from variant 0 is smaller than its confidence half-width.
    WaitDiffWithinCi,
    /// Online endpoints: the difference of the latency the row is compared on (the goal's, else
    /// p95) from variant 0 is smaller than its confidence half-width.
    LatencyDiffWithinCi,
    /// The confidence interval straddles the goal.
    GoalUncertain,
    /// The recommended variant: another one could be the cheapest that meets the goal.
    RecommendationMayFlip,
    /// Not recommended, but could be the cheapest that meets the goal within the intervals.
    MayBeCheapest,
}

impl Noise {
    pub fn as_str(self) -> &'static str {
        match self {
            Noise::CostDiffWithinCi => "cost_diff_within_ci",
            Noise::WaitDiffWithinCi => "wait_p95_diff_within_ci",
            Noise::LatencyDiffWithinCi => "latency_diff_within_ci",
            Noise::GoalUncertain => "goal_uncertain",
            Noise::RecommendationMayFlip => "recommendation_may_flip",
            Noise::MayBeCheapest => "may_be_cheapest",
        }
    }
}

impl Diff {
    /// Neither a significant difference nor an exact tie (identical results give 0 ± 0).
    pub fn within_noise(&self) -> bool {
        let tie = self.mean == 0.0 && self.ci95 == 0.0;
        !(self.significant() || tie)
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub variant: usize,
    pub target: usize,
    pub cost_per_month_usd: Estimate,
    pub idle_cost_per_month_usd: Estimate,
    pub wait_mean_s: Estimate,
    pub wait_p95_s: Estimate,
    pub cost_diff_per_month_usd: Diff,
    pub wait_p95_diff_s: Diff,
    /// The measure the row is compared on besides cost: p95 wait for jobs; for online
    /// endpoints the goal's first latency, else p95 latency ([`Measure::primary`]).
    pub measure: Measure,
    pub measure_est: Estimate,
    /// `measure` minus variant 0's, paired by replication.
    pub measure_diff: Diff,
    pub pareto: bool,
    pub meets_goal: Option<Verdict>,
    pub recommended: bool,
    /// Empty when the row's comparisons hold at 95% confidence.
    pub noise: Vec<Noise>,
}

impl Row {
    /// `noise` for a CSV cell: the reasons separated by `;`, empty when none.
    pub fn noise_cell(&self) -> String {
        self.noise
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }
}

pub fn paired(results: &[RunResult], v: usize, base: usize, t: usize, m: M) -> Diff {
    let diffs: Vec<f64> = results[v]
        .per_replication(t, m)
        .iter()
        .zip(&results[base].per_replication(t, m))
        .map(|(a, b)| a - b)
        .filter(|d| d.is_finite())
        .collect();
    let (mean, ci95) = mean_ci95(&diffs);
    Diff { mean, ci95 }
}

/// Measure `m` of variant `v` minus variant `base`'s, paired by replication.
pub fn paired_measure(results: &[RunResult], v: usize, base: usize, t: usize, m: Measure) -> Diff {
    let a = super::goal::per_replication(&results[v], t, m);
    let b = super::goal::per_replication(&results[base], t, m);
    let diffs: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(a, b)| a - b)
        .filter(|d| d.is_finite())
        .collect();
    let (mean, ci95) = mean_ci95(&diffs);
    Diff { mean, ci95 }
}

/// `value ± ci` against an upper bound.
fn verdict(e: &Estimate, bound: f64) -> Verdict {
    verdict_within(e, bound, 0.0, false)
}

/// `value ± ci` against `bound` (a floor when `floor`), with a practical margin `tolerance`:
/// yes when the whole interval is within the bound moved out by the tolerance; no when the whole
/// interval is past the bound itself (and not within the tolerance); uncertain otherwise. Every
/// true value but one (the bound plus the tolerance) is settled by enough replications, so the
/// tolerance is an indifference zone: a value inside it counts as meeting the goal.
pub fn verdict_within(e: &Estimate, bound: f64, tolerance: f64, floor: bool) -> Verdict {
    let ci = if e.ci95.is_finite() { e.ci95 } else { 0.0 };
    // A floor is a ceiling on the negated measure.
    let (mean, bound) = if floor {
        (-e.mean, -bound)
    } else {
        (e.mean, bound)
    };
    if !mean.is_finite() {
        Verdict::Uncertain
    } else if mean + ci <= bound + tolerance {
        Verdict::Yes
    } else if mean - ci > bound {
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
        let spec = &plan.variants[0].scenario.system.targets[t];
        let measure = Measure::primary(plan.goal.as_ref(), spec);
        for v in 0..results.len() {
            let e = |m: M| summaries[v][t][m as usize];
            let goal: Option<&Goal> = plan.goal.as_ref();
            let mut meets = None;
            if let Some(g) = goal {
                for (m, bound) in g.measures() {
                    if !m.applies_to(&spec.kind) {
                        continue;
                    }
                    let est = match m {
                        // As summary.csv has them (the same figures, bit for bit).
                        Measure::WaitP95 => e(M::wait_p95),
                        Measure::Budget => e(M::cost_per_month),
                        _ => super::goal::estimate(&results[v], t, m),
                    };
                    let verdict = if g.tolerance(m) == 0.0 && !m.is_floor() {
                        verdict(&est, bound)
                    } else {
                        verdict_within(&est, bound, g.tolerance(m), m.is_floor())
                    };
                    meets = Some(combine(meets, verdict));
                }
            }
            let measure_est = if measure == Measure::WaitP95 {
                e(M::wait_p95)
            } else {
                super::goal::estimate(&results[v], t, measure)
            };
            rows.push(Row {
                variant: v,
                target: t,
                cost_per_month_usd: e(M::cost_per_month),
                idle_cost_per_month_usd: e(M::idle_cost_per_month),
                wait_mean_s: e(M::wait_mean),
                wait_p95_s: e(M::wait_p95),
                cost_diff_per_month_usd: paired(results, v, 0, t, M::cost_per_month),
                wait_p95_diff_s: paired(results, v, 0, t, M::wait_p95),
                measure,
                measure_est,
                measure_diff: paired_measure(results, v, 0, t, measure),
                pareto: false,
                meets_goal: meets,
                recommended: false,
                noise: vec![],
            });
        }
        // Pareto front on (mean cost, mean p95 wait or the endpoint's latency), both to be
        // minimised; an undefined wait (no jobs) counts as no wait.
        let key = |r: &Row| {
            let w = r.measure_est.mean;
            (
                r.cost_per_month_usd.mean,
                if w.is_finite() { w } else { 0.0 },
            )
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
                a.1.cost_per_month_usd
                    .mean
                    .total_cmp(&b.1.cost_per_month_usd.mean)
            })
            .map(|(i, _)| first + i)
        {
            rows[best].recommended = true;
            // Could another variant be the cheapest that meets the goal, within the intervals?
            // One that surely meets it but whose paired cost difference from the best is not
            // significant, or one that might meet it and is not significantly dearer.
            let r = rows[best].variant;
            let mut flips = false;
            for row in rows[first..].iter_mut() {
                if row.variant == r {
                    continue;
                }
                let d = paired(results, row.variant, r, t, M::cost_per_month);
                let could = match row.meets_goal {
                    Some(Verdict::Yes) => d.within_noise(),
                    Some(Verdict::Uncertain) => !(d.significant() && d.mean > 0.0),
                    _ => false,
                };
                if could {
                    row.noise.push(Noise::MayBeCheapest);
                    flips = true;
                }
            }
            if flips {
                rows[best].noise.push(Noise::RecommendationMayFlip);
            }
        }
        for row in rows[first..].iter_mut() {
            let mut noise = vec![];
            if row.variant != 0 {
                if row.cost_diff_per_month_usd.within_noise() {
                    noise.push(Noise::CostDiffWithinCi);
                }
                if row.measure == Measure::WaitP95 {
                    if row.wait_p95_diff_s.within_noise() {
                        noise.push(Noise::WaitDiffWithinCi);
                    }
                } else if row.measure_diff.within_noise() {
                    noise.push(Noise::LatencyDiffWithinCi);
                }
            }
            if row.meets_goal == Some(Verdict::Uncertain) {
                noise.push(Noise::GoalUncertain);
            }
            noise.append(&mut row.noise);
            row.noise = noise;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::METRICS;
    use crate::sweep::ReplicationRow;

    /// Three variants with a goal on the p95 wait; the results below are made by hand.
    fn plan() -> Plan {
        let text = r#"
horizon = "1d"
replications = 4
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 4
[[workload]]
name = "w"
compute = "c"
arrivals = { process = "poisson", rate_per_hour = 1.0 }
duration = { dist = "constant", value = "10m" }
[sweep]
"compute.c.min_instances" = [0, 1, 2]
[goal]
wait_p95 = "10m"
"#;
        crate::scenario::sweep::load_plan(
            std::path::Path::new("hand.toml"),
            text,
            &Default::default(),
            &[],
            &[],
        )
        .unwrap()
    }

    /// One result per variant: replication r has cost `cost[v][r]` and p95 wait `wait[v][r]`.
    fn results(cost: [[f64; 4]; 3], wait: [[f64; 4]; 3]) -> Vec<RunResult> {
        (0..3)
            .map(|v| {
                RunResult::new(
                    (0..4)
                        .map(|r| {
                            let mut values = vec![1.0; METRICS.len()];
                            values[M::cost_per_month as usize] = cost[v][r];
                            values[M::wait_p95 as usize] = wait[v][r];
                            ReplicationRow {
                                replication: r as u64,
                                replication_seed: 0,
                                events: 0,
                                targets: vec![values.into()],
                                usage: vec![],
                            }
                        })
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn clear_differences_give_a_confident_recommendation() {
        // Waits far from the 600 s goal; costs 100, 200, 300 exactly apart in every replication.
        let cost = [
            [100.0, 101.0, 99.0, 100.0],
            [200.0, 201.0, 199.0, 200.0],
            [300.0, 301.0, 299.0, 300.0],
        ];
        let wait = [
            [900.0; 4],
            [100.0, 110.0, 90.0, 100.0],
            [10.0, 11.0, 9.0, 10.0],
        ];
        let rows = analyse(&plan(), &results(cost, wait));
        let verdicts: Vec<_> = rows.iter().map(|r| r.meets_goal).collect();
        assert_eq!(
            verdicts,
            [Some(Verdict::No), Some(Verdict::Yes), Some(Verdict::Yes)]
        );
        assert!(rows[1].recommended);
        // Paired cost differences are exactly 100 and 200 with zero spread.
        assert_eq!(rows[1].cost_diff_per_month_usd.mean, 100.0);
        assert_eq!(rows[1].cost_diff_per_month_usd.ci95, 0.0);
        assert!(rows.iter().all(|r| r.noise.is_empty()), "{rows:?}");
    }

    #[test]
    fn a_recommendation_that_could_flip_is_flagged() {
        // Variant 1 and 2 both meet the goal surely (waits ~100 s against 600 s). Their costs
        // differ by +5, -5, +5, -5: mean 0 ± t(3) x 5.77/2 = 9.2, so the cheaper one is unknown.
        // Variant 1 is cheaper on average by construction (199.5 vs 200), so it is recommended.
        let cost = [
            [100.0; 4],
            [195.0, 205.0, 193.0, 205.0],
            [200.0, 200.0, 198.0, 202.0],
        ];
        let wait = [[900.0; 4], [100.0; 4], [100.0, 101.0, 99.0, 100.0]];
        let rows = analyse(&plan(), &results(cost, wait));
        assert!(rows[1].recommended, "{rows:?}");
        assert_eq!(rows[1].noise, [Noise::RecommendationMayFlip]);
        // Variant 2's costs differ from variant 1's by 5, -5, 5, -3: within noise.
        assert!(
            rows[2].noise.contains(&Noise::MayBeCheapest),
            "{:?}",
            rows[2]
        );
        assert!(rows[0].noise.is_empty());
    }

    #[test]
    fn differences_inside_their_interval_and_goals_straddled_are_flagged() {
        // Variant 1 against 0: cost differences 10, -10, 10, -10 (mean 0, CI 18.4): noise.
        // Its p95 wait 550..650 around the 600 s goal: uncertain.
        // Variant 2: identical to variant 0 in every replication: an exact tie, not noise.
        let cost = [
            [100.0, 100.0, 100.0, 100.0],
            [110.0, 90.0, 110.0, 90.0],
            [100.0, 100.0, 100.0, 100.0],
        ];
        let wait = [[900.0; 4], [550.0, 650.0, 550.0, 650.0], [900.0; 4]];
        let rows = analyse(&plan(), &results(cost, wait));
        assert_eq!(rows[1].meets_goal, Some(Verdict::Uncertain));
        assert!(rows[1].noise.contains(&Noise::CostDiffWithinCi));
        assert!(rows[1].noise.contains(&Noise::GoalUncertain));
        assert!(!rows[2].noise.contains(&Noise::CostDiffWithinCi));
        assert!(rows.iter().all(|r| !r.recommended));
        // Its waits are 300 s shorter than variant 0's in every replication give or take 50:
        // a real difference (CI 92 s), not noise.
        assert_eq!(rows[1].noise_cell(), "cost_diff_within_ci;goal_uncertain");
    }
}
