//! `[goal]`: what a sweep's recommended setting must meet, read through [`RawGoal`], then checked
//! against the scenario's targets (a latency goal needs an online endpoint, SLO attainment an
//! endpoint with an `slo`, a wait goal a target that runs jobs), every problem at its key.

use crate::scenario::Scenario;
use crate::scenario::goal::{Goal, Measure, Scale};
use crate::scenario::raw::{RawGoal, RawTolerance};
use crate::scenario::tables::{TableRules, read};
use crate::scenario::validate::keys::fields_of;
use crate::targets::TargetKind;
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use toml::Spanned;
use toml::de::DeValue;

const WAIT: &str = "must be a duration such as \"10m\"";
const LATENCY: &str = "must be a duration such as \"300ms\"";
const BUDGET: &str = "must be a number of US dollars greater than zero";
const SHARE: &str = "must be a share from 0 to 1, such as 0.01";
const TOLERANCE: &str = "must be a duration such as \"30s\" (for waits and latencies) or a share such as 0.005 (for shares)";

/// A goal read from its table, with where each bound was written (for the checks against the
/// scenario, which come once the variants are built).
pub(in crate::scenario) struct ReadGoal {
    pub goal: Goal,
    /// Each bound's measure and the offset of its value.
    at: Vec<(Measure, usize)>,
    /// The offset of `tolerance` and whether it is a duration.
    tolerance: Option<(usize, bool)>,
}

/// Reads the `[goal]` table; `None` when it has errors (pushed to `errors`).
pub(in crate::scenario) fn goal_table(
    value: &Spanned<DeValue<'_>>,
    map: &SourceMap,
    errors: &mut Vec<Diagnostic>,
) -> Option<ReadGoal> {
    let wants = |key: &str, _: bool| match key {
        "wait_p95" => Some(WAIT.to_string()),
        "latency_p50" | "latency_p95" | "latency_p99" => Some(LATENCY.to_string()),
        "budget_per_month_usd" => Some(BUDGET.to_string()),
        "max_429_share" | "max_408_share" | "slo_attainment" => Some(SHARE.to_string()),
        "tolerance" => Some(TOLERANCE.to_string()),
        _ => None,
    };
    let rules = TableRules {
        name: "goal",
        known: Some(fields_of::<RawGoal>()),
        unknown_hint: "[goal] accepts wait_p95, latency_p50, latency_p95, latency_p99, \
                       max_429_share, max_408_share, slo_attainment, budget_per_month_usd and \
                       tolerance",
        wants: &wants,
    };
    let raw: RawGoal = read(value, &rules, map, errors)?;
    let mut out = ReadGoal {
        goal: Goal::default(),
        at: vec![],
        tolerance: None,
    };
    let before = errors.len();
    if let Some(old) = &raw.budget_per_30d_usd {
        errors.push(super::super::sweep::renamed_budget(map, old, "goal"));
    }
    let mut bad = |at: usize, key: &str, what: &str| {
        errors.push(map.diag(Severity::Error, at, format!("goal.{key}"), what));
    };
    let mut time = |v: &Option<Spanned<crate::text::duration::Dur>>,
                    m: Measure,
                    unit: f64,
                    what: &str,
                    slot: &mut Option<f64>,
                    at: &mut Vec<(Measure, usize)>| {
        if let Some(w) = v {
            let s = w.get_ref().0;
            if s.is_finite() && s >= 0.0 {
                *slot = Some(s * unit);
                at.push((m, w.span().start));
            } else {
                bad(w.span().start, m.key(), what);
            }
        }
    };
    let g = &mut out.goal;
    time(
        &raw.wait_p95,
        Measure::WaitP95,
        1.0,
        WAIT,
        &mut g.wait_p95_s,
        &mut out.at,
    );
    time(
        &raw.latency_p50,
        Measure::LatencyP50,
        1000.0,
        LATENCY,
        &mut g.latency_p50_ms,
        &mut out.at,
    );
    time(
        &raw.latency_p95,
        Measure::LatencyP95,
        1000.0,
        LATENCY,
        &mut g.latency_p95_ms,
        &mut out.at,
    );
    time(
        &raw.latency_p99,
        Measure::LatencyP99,
        1000.0,
        LATENCY,
        &mut g.latency_p99_ms,
        &mut out.at,
    );
    let mut bad = |at: usize, key: &str, what: &str| {
        errors.push(map.diag(Severity::Error, at, format!("goal.{key}"), what));
    };
    for (v, m, slot) in [
        (&raw.max_429_share, Measure::Share429, &mut g.max_429_share),
        (&raw.max_408_share, Measure::Share408, &mut g.max_408_share),
        (
            &raw.slo_attainment,
            Measure::SloAttainment,
            &mut g.slo_attainment,
        ),
    ] {
        if let Some(x) = v {
            let share = *x.get_ref();
            if (0.0..=1.0).contains(&share) {
                *slot = Some(share);
                out.at.push((m, x.span().start));
            } else {
                bad(x.span().start, m.key(), SHARE);
            }
        }
    }
    if let Some(b) = &raw.budget_per_month_usd {
        let usd = *b.get_ref();
        if usd.is_finite() && usd > 0.0 {
            g.budget_per_month_usd = Some(usd);
            out.at.push((Measure::Budget, b.span().start));
        } else {
            bad(b.span().start, "budget_per_month_usd", BUDGET);
        }
    }
    if let Some(t) = &raw.tolerance {
        let at = t.span().start;
        match t.get_ref() {
            RawTolerance::Time(d) if d.0.is_finite() && d.0 >= 0.0 => {
                g.tolerance_s = Some(d.0);
                out.tolerance = Some((at, true));
            }
            RawTolerance::Share(s) if (0.0..1.0).contains(s) => {
                g.tolerance_share = Some(*s);
                out.tolerance = Some((at, false));
            }
            _ => bad(at, "tolerance", TOLERANCE),
        }
    }
    (errors.len() == before).then_some(out)
}

/// Problems of a goal against the scenario it judges: a bound no target has (with a hint to the
/// measure that target has), an SLO attainment goal on an endpoint without an `slo`, a
/// tolerance of a kind no bound uses.
pub(in crate::scenario) fn check_goal(
    read: &ReadGoal,
    scenario: &Scenario,
    map: &SourceMap,
) -> Vec<Diagnostic> {
    let targets = &scenario.system.targets;
    let mut errors = vec![];
    for &(m, at) in &read.at {
        if targets.iter().any(|t| m.applies_to(&t.kind)) {
            continue;
        }
        let online = targets
            .iter()
            .any(|t| matches!(t.kind, TargetKind::Endpoint { .. }));
        let (message, hint) = match m {
            Measure::WaitP95 => (
                "no target of the scenario runs jobs: a wait goal cannot judge it".to_string(),
                "for online endpoints write latency_p95 = \"300ms\" (or latency_p50, latency_p99, max_429_share, max_408_share, slo_attainment)".to_string(),
            ),
            Measure::SloAttainment if online => {
                let names: Vec<&str> = targets
                    .iter()
                    .filter(|t| matches!(t.kind, TargetKind::Endpoint { .. }))
                    .map(|t| t.name.as_str())
                    .collect();
                (
                    format!(
                        "no endpoint of the scenario has an `slo` (the latency its attainment counts): {}",
                        names.join(", ")
                    ),
                    "give the endpoint slo = { latency_ms = 300, percentile = 0.99 }, or bound a latency percentile instead (latency_p99 = \"300ms\")".to_string(),
                )
            }
            _ => (
                format!(
                    "the scenario has no online [[endpoint]]: a {} goal cannot judge it",
                    m.label()
                ),
                "for jobs write wait_p95 = \"10m\"".to_string(),
            ),
        };
        let mut d = map.diag(Severity::Error, at, format!("goal.{}", m.key()), message);
        d.hint = Some(hint);
        errors.push(d);
    }
    if let Some((at, is_time)) = read.tolerance {
        let used = read.at.iter().any(|&(m, _)| match m.scale() {
            Scale::Seconds | Scale::Milliseconds => is_time,
            Scale::Share => !is_time,
            Scale::Usd => false,
        });
        if !used {
            let mut d = map.diag(
                Severity::Error,
                at,
                "goal.tolerance",
                if is_time {
                    "is a duration, but the goal bounds no wait or latency"
                } else {
                    "is a share, but the goal bounds no share"
                },
            );
            d.hint = Some(TOLERANCE.to_string());
            errors.push(d);
        }
    }
    errors
}
