//! The verdict of a sweep with a `[goal]`: one [`decide`] that both the terminal and the report
//! print (the report reads it back from `run.json`), so the two can never disagree.
//!
//! For each target the goal judges, the verdict is one of:
//! - **recommended**: one setting is the cheapest that meets the goal with 95% confidence, and no
//!   other could be as cheap and meet it within the intervals;
//! - **contested**: the cheapest setting that surely meets the goal cannot be told apart from
//!   another that may be cheaper (its goal interval straddles the goal line, or its paired cost
//!   difference is within its interval). The headline lists the contested settings with their
//!   paired differences against the leader (common random numbers: replication r of each
//!   setting saw the same arrivals and durations) and how many replications would settle it;
//! - **none**: no setting meets the goal with 95% confidence (those whose interval straddles it
//!   are listed, with the replications that would settle them).
//!
//! Replications to settle a question: the per-replication standard deviation `s` of the
//! quantity (a setting's goal measure, or a paired cost difference) is taken as it is now; the
//! answer is the smallest `n` whose half-width `t(0.975, n−1)·s/√n` is smaller than the distance
//! `d` the interval must clear (from the mean to the goal line, or to the goal line plus the
//! tolerance, whichever is farther; or the paired difference's mean from zero). A mean on the
//! goal line itself (`d = 0`) is never settled by replications: a `tolerance` settles it.

use super::RunResult;
use super::tradeoff::{Diff, Noise, Row, Verdict, paired, verdict_within};
use crate::engine::stats::t_975;
use crate::metrics::M;
use crate::scenario::goal::{Goal, Measure, Scale};
use crate::scenario::sweep::Plan;
use serde::{Deserialize, Serialize};

/// Past this, a question counts as not settled by replications.
const MAX_SETTLE: u64 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Recommended,
    Contested,
    None,
}

/// A setting that could be the cheapest that meets the goal instead of the leader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contest {
    pub variant: usize,
    /// `yes` or `uncertain`.
    pub meets_goal: String,
    /// Its cost per month minus the leader's, paired by replication (US dollars).
    pub cost_diff_per_month_usd: f64,
    pub cost_diff_ci95: f64,
    /// The measure compared (a `[goal]` key) and its paired difference from the leader's.
    pub measure: String,
    pub measure_diff: f64,
    pub measure_diff_ci95: f64,
    /// Replications per setting that would settle this one; `None` when more cannot.
    pub replications_to_settle: Option<u64>,
}

/// The verdict for one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub target: String,
    pub outcome: Outcome,
    /// The cheapest setting that meets the goal with 95% confidence (the leader when contested).
    pub recommended: Option<usize>,
    pub contested: Vec<Contest>,
    /// Replications per setting now: under `replications = "auto"`, those of the settings the
    /// verdict names (the recommended, contested or uncertain ones), which may differ from
    /// the rest.
    pub replications: u64,
    /// Replications per setting that would settle every contest; `None` when settled, or when
    /// more replications cannot settle it (a mean on the goal line: use a tolerance).
    pub replications_to_settle: Option<u64>,
    /// The verdict in words, as the terminal and the report print it.
    pub headline: String,
}

/// The goal in words: `p95 wait <= 5.0 min and cost <= $1,000/month (tolerance 30.0 s)`.
pub fn describe(goal: &Goal) -> String {
    let parts: Vec<String> = goal
        .measures()
        .into_iter()
        .map(|(m, b)| match m {
            Measure::Budget => format!("cost <= {}/month", super::goal::usd(b)),
            m if m.is_floor() => format!("{} >= {}", m.label(), super::goal::format(m, b)),
            m => format!("{} <= {}", m.label(), super::goal::format(m, b)),
        })
        .collect();
    let mut tol = vec![];
    if let Some(s) = goal.tolerance_s {
        tol.push(super::goal::seconds(s));
    }
    if let Some(s) = goal.tolerance_share {
        tol.push(super::goal::share(s));
    }
    let text = if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(" and ")
    };
    if tol.is_empty() {
        text
    } else {
        format!("{text}, tolerance {}", tol.join(" / "))
    }
}

/// `#9 (min_instances = 4, idle_time_before_scale_down = 2m)`: the setting and its swept values.
pub fn setting(plan: &Plan, v: usize) -> String {
    let variant = &plan.variants[v];
    let n_set = variant.params.len() - plan.axes.len();
    let values: Vec<String> = variant.params[n_set..]
        .iter()
        .map(|(p, x)| format!("{} = {x}", p.rsplit('.').next().unwrap_or(p)))
        .collect();
    if values.is_empty() {
        format!("#{v}")
    } else {
        format!("#{v} ({})", values.join(", "))
    }
}

/// The smallest number of replications whose 95% half-width, at the per-replication standard
/// deviation implied by `ci95` over `n` replications, is below `distance`.
pub fn replications_to_clear(ci95: f64, n: u64, distance: f64) -> Option<u64> {
    if n < 2 || !ci95.is_finite() || distance.is_nan() || distance <= 0.0 {
        return None;
    }
    let s = ci95 * (n as f64).sqrt() / t_975(n as usize - 1);
    if s == 0.0 {
        return Some(n);
    }
    let mut m = ((1.96 * s / distance).powi(2).ceil() as u64).max(2);
    if m > MAX_SETTLE {
        return None;
    }
    while t_975(m as usize - 1) * s / (m as f64).sqrt() >= distance {
        m += 1 + m / 50;
        if m > MAX_SETTLE {
            return None;
        }
    }
    Some(m.max(n))
}

/// Replications that would settle a goal verdict that is uncertain: the interval must clear the
/// bound (a no) or sit within the bound plus the tolerance (a yes), whichever is nearer to done.
fn settle_goal(mean: f64, ci95: f64, n: u64, bound: f64, tol: f64, floor: bool) -> Option<u64> {
    let (m, b) = if floor {
        (-mean, -bound)
    } else {
        (mean, bound)
    };
    let d = (b + tol - m).max(m - b);
    replications_to_clear(ci95, n, d)
}

/// The verdict for each target the goal judges (none without a goal). `rows` are
/// [`super::tradeoff::analyse`]'s.
pub fn decide(plan: &Plan, results: &[RunResult], rows: &[Row]) -> Vec<Decision> {
    let Some(goal) = &plan.goal else {
        return vec![];
    };
    let Some(first) = plan.variants.first() else {
        return vec![];
    };
    let targets = &first.scenario.system.targets;
    let judged: Vec<usize> = (0..targets.len())
        .filter(|&t| {
            goal.measures()
                .iter()
                .any(|(m, _)| m.applies_to(&targets[t].kind))
        })
        .collect();
    let n = first.scenario.replications;
    let goal_words = describe(goal);
    judged
        .iter()
        .map(|&t| {
            let name = targets[t].name.clone();
            let prefix = if judged.len() > 1 {
                format!("{name}: ")
            } else {
                String::new()
            };
            let block: Vec<&Row> = rows.iter().filter(|r| r.target == t).collect();
            let measures: Vec<(Measure, f64)> = goal
                .measures()
                .into_iter()
                .filter(|(m, _)| m.applies_to(&targets[t].kind))
                .collect();
            // Replications that would settle the goal verdict of variant v (`None`: cannot).
            let settle_verdict = |v: usize| -> Option<u64> {
                let mut most = 0;
                for &(m, b) in &measures {
                    let e = super::goal::estimate(&results[v], t, m);
                    let tol = goal.tolerance(m);
                    if verdict_within(&e, b, tol, m.is_floor()) == Verdict::Uncertain {
                        most = most.max(settle_goal(
                            e.mean,
                            e.ci95,
                            e.n as u64,
                            b,
                            tol,
                            m.is_floor(),
                        )?);
                    }
                }
                Some(most)
            };
            let primary = block.first().map_or(Measure::WaitP95, |r| r.measure);
            let words = |v: usize| -> String {
                let cost = super::goal::estimate(&results[v], t, Measure::Budget);
                let mut s = format!(
                    "{} at {} ± {}/month",
                    setting(plan, v),
                    super::goal::usd(cost.mean),
                    super::goal::usd(cost.ci95)
                );
                for &(m, _) in measures.iter().filter(|(m, _)| *m != Measure::Budget) {
                    let e = super::goal::estimate(&results[v], t, m);
                    s.push_str(&format!(
                        ", {} {}{}",
                        m.label(),
                        super::goal::format(m, e.mean),
                        if e.ci95.is_finite() {
                            format!(" ± {}", super::goal::format(m, e.ci95))
                        } else {
                            String::new()
                        }
                    ));
                }
                s
            };
            let rec = block.iter().find(|r| r.recommended).map(|r| r.variant);
            let mut contested = vec![];
            let mut unsettled = false;
            let mut need = 0u64;
            if let Some(r) = rec {
                for row in block.iter().filter(|row| row.noise.contains(&Noise::MayBeCheapest)) {
                    let v = row.variant;
                    let cost = paired(results, v, r, t, M::cost_per_month);
                    let md = super::tradeoff::paired_measure(results, v, r, t, primary);
                    let mut settle = Some(0u64);
                    if row.meets_goal == Some(Verdict::Uncertain) {
                        settle = settle_verdict(v);
                    }
                    // The pairs two settings share (their counts differ under "auto").
                    let shared = results[v]
                        .per_replication(t, M::cost_per_month)
                        .len()
                        .min(results[r].per_replication(t, M::cost_per_month).len())
                        as u64;
                    if cost.within_noise() {
                        settle = match (
                            settle,
                            replications_to_clear(cost.ci95, shared, cost.mean.abs()),
                        ) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            _ => None,
                        };
                    }
                    match settle {
                        Some(k) => need = need.max(k),
                        None => unsettled = true,
                    }
                    contested.push(Contest {
                        variant: v,
                        meets_goal: row.meets_goal.map_or("", |g| g.as_str()).to_string(),
                        cost_diff_per_month_usd: cost.mean,
                        cost_diff_ci95: cost.ci95,
                        measure: primary.key().to_string(),
                        measure_diff: md.mean,
                        measure_diff_ci95: md.ci95,
                        replications_to_settle: settle,
                    });
                }
            }
            let uncertain: Vec<usize> = block
                .iter()
                .filter(|r| r.meets_goal == Some(Verdict::Uncertain))
                .map(|r| r.variant)
                .collect();
            let outcome = match (rec, contested.is_empty()) {
                (Some(_), true) => Outcome::Recommended,
                (Some(_), false) => Outcome::Contested,
                (None, _) => Outcome::None,
            };
            if outcome == Outcome::None {
                for &v in &uncertain {
                    match settle_verdict(v) {
                        Some(k) => need = need.max(k),
                        None => unsettled = true,
                    }
                }
            }
            // Replications the open settings have now (under "auto" they differ by setting).
            let now = contested
                .iter()
                .map(|c| c.variant)
                .chain(rec)
                .chain(if outcome == Outcome::None {
                    uncertain.clone()
                } else {
                    vec![]
                })
                .map(|v| results[v].per_replication(t, M::cost_per_month).len() as u64)
                .max()
                .unwrap_or(n);
            let settle_words = || -> String {
                let how = "each 95% interval narrows as 1/√n at its present per-replication spread";
                let tolerance = match primary.scale() {
                    Scale::Share => "tolerance = 0.001",
                    _ if primary == Measure::WaitP95 => "tolerance = \"30s\"",
                    _ => "tolerance = \"20ms\"",
                };
                if unsettled {
                    format!(
                        " No practical number of replications settles it (a mean sits so close to the goal line that more than {} replications would be needed); set a tolerance in [goal] (for example {tolerance}) to say how close counts as meeting it.",
                        crate::text::number::group_thousands(MAX_SETTLE)
                    )
                } else if need > now {
                    format!(
                        " About {need} replications per setting (now {now}) would settle it ({how}); or set a tolerance in [goal] (for example {tolerance}) if a value this close to the goal is good enough."
                    )
                } else {
                    String::new()
                }
            };
            let headline = match outcome {
                Outcome::Recommended => format!(
                    "{prefix}Goal ({goal_words}): the cheapest setting that meets it with 95% confidence is {}.",
                    words(rec.unwrap_or(0))
                ),
                Outcome::Contested => {
                    let r = rec.unwrap_or(0);
                    let listed: Vec<String> = contested
                        .iter()
                        .map(|c| {
                            let diff = |d: Diff, f: &dyn Fn(f64) -> String| {
                                format!(
                                    "{}{} ± {}",
                                    if d.mean >= 0.0 { "+" } else { "-" },
                                    f(d.mean.abs()),
                                    f(d.ci95)
                                )
                            };
                            format!(
                                "{} (goal {}; against #{r}: cost {}/month, {} {})",
                                words(c.variant),
                                c.meets_goal,
                                diff(
                                    Diff {
                                        mean: c.cost_diff_per_month_usd,
                                        ci95: c.cost_diff_ci95
                                    },
                                    &super::goal::usd
                                ),
                                primary.label(),
                                diff(
                                    Diff {
                                        mean: c.measure_diff,
                                        ci95: c.measure_diff_ci95
                                    },
                                    &|x| super::goal::format(primary, x)
                                ),
                            )
                        })
                        .collect();
                    format!(
                        "{prefix}Goal ({goal_words}): not settled. {} is the cheapest setting that meets it with 95% confidence, but {} cannot be told apart from it: {}. Differences are paired by replication (common random numbers).{}",
                        words(r),
                        if contested.len() == 1 {
                            "a cheaper setting"
                        } else {
                            "cheaper settings"
                        },
                        listed.join("; "),
                        settle_words()
                    )
                }
                Outcome::None if uncertain.is_empty() => format!(
                    "{prefix}Goal ({goal_words}): no setting meets it with 95% confidence."
                ),
                Outcome::None => {
                    let listed: Vec<String> = uncertain.iter().take(5).map(|&v| words(v)).collect();
                    format!(
                        "{prefix}Goal ({goal_words}): no setting meets it with 95% confidence; the interval of {}{} straddles the goal.{}",
                        listed.join("; "),
                        if uncertain.len() > 5 {
                            format!(" and {} more", uncertain.len() - 5)
                        } else {
                            String::new()
                        },
                        settle_words()
                    )
                }
            };
            Decision {
                target: name,
                outcome,
                recommended: rec,
                contested,
                replications: now,
                replications_to_settle: (need > now && !unsettled).then_some(need),
                headline,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Estimate;

    #[test]
    fn replications_to_clear_a_distance() {
        // 10 replications with half-width 10: s = 10 · √10 / t(0.975, 9) = 10 · 3.1623 / 2.2622
        // = 13.979. To clear a distance of 5: n with t(n−1) · 13.979 / √n < 5; at n = 33,
        // t(32) = 2.0369 gives 4.957 < 5 and at n = 32, t(31) = 2.0395 gives 5.040 ≥ 5.
        assert_eq!(replications_to_clear(10.0, 10, 5.0), Some(33));
        // Already clear: no more than now.
        assert_eq!(replications_to_clear(1.0, 10, 5.0), Some(10));
        // A mean on the line, or beyond a million, is not settled by replications.
        assert_eq!(replications_to_clear(10.0, 10, 0.0), None);
        assert_eq!(replications_to_clear(10.0, 10, 1e-4), None);
    }

    #[test]
    fn a_tolerance_is_an_indifference_zone() {
        let e = |mean: f64, ci95: f64| Estimate { mean, ci95, n: 10 };
        // 300 ± 7 against 300: uncertain; with 30 of tolerance, yes.
        assert_eq!(
            verdict_within(&e(300.0, 7.0), 300.0, 0.0, false),
            Verdict::Uncertain
        );
        assert_eq!(
            verdict_within(&e(300.0, 7.0), 300.0, 30.0, false),
            Verdict::Yes
        );
        // 330 ± 9: wholly above 300 and not within 330: no.
        assert_eq!(
            verdict_within(&e(330.0, 9.0), 300.0, 30.0, false),
            Verdict::No
        );
        // Inside the zone and wholly above the goal: within the tolerance counts.
        assert_eq!(
            verdict_within(&e(315.0, 5.0), 300.0, 30.0, false),
            Verdict::Yes
        );
        // A floor (SLO attainment at least 0.99): 0.985 ± 0.002 misses; with 0.01, meets.
        assert_eq!(
            verdict_within(&e(0.985, 0.002), 0.99, 0.0, true),
            Verdict::No
        );
        assert_eq!(
            verdict_within(&e(0.985, 0.002), 0.99, 0.01, true),
            Verdict::Yes
        );
    }
}
