//! An online endpoint's `autoscale`: Azure Monitor autoscale settings with their rules, and
//! profiles that apply on a weekly recurrence.

use super::super::raw::{RawAutoscale, RawProfile, RawRule};
use super::dist::dist_or_assumed;
use super::{Checker, WEEKDAYS};
use crate::engine::time::from_secs_f64;
use crate::targets::autoscale::{
    ActionType, Aggregation, AutoscaleSpec, Direction, Metric, Operator, Profile, Recurrence, Rule,
    Statistic,
};
use crate::targets::defaults as d;
use std::path::Path;
use toml::Spanned;

type OptInt<'a> = &'a Option<Spanned<i64>>;

/// An instance count from 1 to the deployment's `max`; `default` when absent (required when
/// there is none).
fn count(
    c: &mut Checker,
    v: &Option<Spanned<i64>>,
    field: &str,
    default: Option<u32>,
    max: u32,
    at: usize,
) -> Option<u32> {
    match (v, default) {
        (None, Some(d)) => Some(d),
        (None, None) => {
            c.error(at, field, "is required");
            None
        }
        (Some(x), _) => {
            let n = *x.get_ref();
            if n < 1 || n > max as i64 {
                c.error(
                    x.span().start,
                    field,
                    format!("must be from 1 to {max} (managed online deployments keep at least one instance and have at most {max}), got {n}"),
                );
                None
            } else {
                Some(n as u32)
            }
        }
    }
}

/// An online deployment's `autoscale`: the default profile (min, max, default, rules), the
/// recurring profiles, the cooldown and the provisioning time of a new instance.
pub(super) fn autoscale(
    c: &mut Checker,
    lab: &str,
    ra: &Spanned<RawAutoscale>,
    max_limit: u32,
    dir: &Path,
) -> Option<AutoscaleSpec> {
    let at = ra.span().start;
    let ra = ra.get_ref();
    let f = |s: &str| format!("{lab}.{s}");
    let cooldown = match &ra.cooldown {
        Some(v) => c.dur(v, &f("cooldown"), true)?,
        None => d::AUTOSCALE_COOLDOWN_S,
    };
    let provisioning_time = dist_or_assumed(
        c,
        &f("provisioning_time"),
        &ra.provisioning_time,
        dir,
        (
            d::ASSUMED_ENDPOINT_PROVISIONING_MEDIAN_S,
            d::ASSUMED_ENDPOINT_PROVISIONING_P95_S,
        ),
    )?;
    if ra.min.is_none() || ra.max.is_none() {
        c.error(
            at,
            &f(if ra.min.is_none() { "min" } else { "max" }),
            "is required: autoscale keeps the instance count within [min, max]",
        );
        return None;
    }
    let default_profile = profile(
        c,
        lab,
        "default",
        (&ra.min, &ra.max, &ra.default),
        &ra.rules,
        None,
        cooldown,
        (max_limit, at),
    );
    if ra.profiles.len() > d::AUTOSCALE_MAX_PROFILES - 1 {
        c.error(
            at,
            &f("profiles"),
            format!(
                "Azure Monitor allows {} profiles per autoscale setting (the default one included)",
                d::AUTOSCALE_MAX_PROFILES
            ),
        );
    }
    let mut profiles = vec![];
    let mut ok = default_profile.is_some();
    for (i, rp) in ra.profiles.iter().enumerate() {
        let rp = rp.get_ref();
        let pl = format!("{lab}.profiles[{i}]");
        let rec = recurrence(c, &pl, rp);
        let p = profile(
            c,
            &pl,
            rp.name.get_ref(),
            (&rp.min, &rp.max, &rp.default),
            &rp.rules,
            rec.clone(),
            cooldown,
            (max_limit, rp.name.span().start),
        );
        match (p, rec) {
            (Some(p), Some(_)) => profiles.push(p),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(AutoscaleSpec {
        default_profile: default_profile?,
        profiles,
        provisioning_time,
    })
}

#[allow(clippy::too_many_arguments)]
fn profile(
    c: &mut Checker,
    lab: &str,
    name: &str,
    (min, max, default): (OptInt, OptInt, OptInt),
    raw_rules: &[Spanned<RawRule>],
    recurrence: Option<Recurrence>,
    cooldown: f64,
    // The deployment's instance limit, and where to point when min or max is missing.
    (max_limit, at): (u32, usize),
) -> Option<Profile> {
    let f = |s: &str| format!("{lab}.{s}");
    let lo = count(c, min, &f("min"), None, max_limit, at);
    let hi = count(c, max, &f("max"), None, max_limit, at);
    let (lo, hi) = (lo?, hi?);
    if hi < lo {
        c.error(
            max.as_ref().map_or(0, |m| m.span().start),
            &f("max"),
            format!("must be at least min ({lo}), got {hi}"),
        );
        return None;
    }
    let def = count(c, default, &f("default"), Some(lo), max_limit, at)?;
    if def < lo || def > hi {
        c.error(
            default.as_ref().map_or(0, |m| m.span().start),
            &f("default"),
            format!("must be within [min, max] = [{lo}, {hi}], got {def}"),
        );
        return None;
    }
    if raw_rules.len() > d::AUTOSCALE_MAX_RULES {
        c.error(
            raw_rules[d::AUTOSCALE_MAX_RULES].span().start,
            &f("rules"),
            format!(
                "Azure Monitor allows {} rules per profile, got {}",
                d::AUTOSCALE_MAX_RULES,
                raw_rules.len()
            ),
        );
    }
    let mut rules = vec![];
    let mut ok = true;
    for (i, r) in raw_rules.iter().enumerate() {
        match rule(c, &f(&format!("rules[{i}]")), r, cooldown) {
            Some(r) => rules.push(r),
            None => ok = false,
        }
    }
    ok.then(|| Profile {
        name: name.to_string(),
        min: lo,
        max: hi,
        default: def,
        rules,
        recurrence,
    })
}

/// One of `options` by any of its names, in any case; an error listing each option's first
/// name otherwise.
fn pick<T: Copy>(
    c: &mut Checker,
    v: &Spanned<String>,
    field: &str,
    options: &[(&[&str], T)],
) -> Option<T> {
    let s = v.get_ref().trim().to_ascii_lowercase();
    for (names, t) in options {
        if names.iter().any(|n| n.to_ascii_lowercase() == s) {
            return Some(*t);
        }
    }
    let all: Vec<&str> = options.iter().map(|(n, _)| n[0]).collect();
    c.error_hint(
        v.span().start,
        field,
        format!("unknown value `{}`", v.get_ref()),
        format!("use one of: {}", all.join(", ")),
    );
    None
}

/// The metrics a rule may watch, by their Azure names (and aliases).
const METRICS: &[(&[&str], MetricKind)] = &[
    (&["CpuUtilizationPercentage"], MetricKind::Cpu),
    (&["RequestLatency"], MetricKind::Latency),
    (&["RequestsPerMinute"], MetricKind::Requests),
    (
        &[
            "ConcurrentRequestsPerInstance",
            "concurrency",
            "ConcurrentRequests",
        ],
        MetricKind::Concurrency,
    ),
];

/// A rule's metric before its statistic (which only request latency takes) is read.
#[derive(Clone, Copy, PartialEq)]
enum MetricKind {
    Cpu,
    Latency,
    Requests,
    Concurrency,
}

const STATISTICS: &[(&[&str], Statistic)] = &[
    (&["average", "avg", "mean"], Statistic::Average),
    (&["p50", "median"], Statistic::P50),
    (&["p95"], Statistic::P95),
    (&["p99"], Statistic::P99),
];

const AGGREGATIONS: &[(&[&str], Aggregation)] = &[
    (&["average", "avg"], Aggregation::Average),
    (&["minimum", "min"], Aggregation::Minimum),
    (&["maximum", "max"], Aggregation::Maximum),
    (&["total", "sum"], Aggregation::Total),
    (&["last"], Aggregation::Last),
];

const OPERATORS: &[(&[&str], Operator)] = &[
    (&[">", "GreaterThan"], Operator::GreaterThan),
    (&[">=", "GreaterThanOrEqual"], Operator::GreaterThanOrEqual),
    (&["<", "LessThan"], Operator::LessThan),
    (&["<=", "LessThanOrEqual"], Operator::LessThanOrEqual),
];

const DIRECTIONS: &[(&[&str], Direction)] = &[
    (&["increase", "out"], Direction::Increase),
    (&["decrease", "in"], Direction::Decrease),
];

const ACTIONS: &[(&[&str], ActionType)] = &[
    (&["change_count", "ChangeCount"], ActionType::ChangeCount),
    (
        &["percent_change_count", "PercentChangeCount"],
        ActionType::PercentChangeCount,
    ),
    (&["exact_count", "ExactCount"], ActionType::ExactCount),
];

/// One scale rule; a profile's `cooldown` stands in for the rule's own. An error in the metric
/// or the time window ends the rule's check.
fn rule(c: &mut Checker, lab: &str, rr: &Spanned<RawRule>, cooldown: f64) -> Option<Rule> {
    let rr = rr.get_ref();
    let f = |s: &str| format!("{lab}.{s}");
    let metric = metric(c, &f, rr)?;
    let window_s = window(c, &f, rr)?;
    let aggregation = match &rr.time_aggregation {
        None => Some(Aggregation::Average),
        Some(a) => pick(c, a, &f("time_aggregation"), AGGREGATIONS),
    };
    let operator = pick(c, &rr.operator, &f("operator"), OPERATORS);
    let threshold = {
        let x = *rr.threshold.get_ref();
        if x.is_finite() {
            Some(x)
        } else {
            c.error(
                rr.threshold.span().start,
                &f("threshold"),
                "must be a finite number",
            );
            None
        }
    };
    let direction = pick(c, &rr.direction, &f("direction"), DIRECTIONS);
    let action = match &rr.action {
        None => Some(ActionType::ChangeCount),
        Some(a) => pick(c, a, &f("type"), ACTIONS),
    };
    let value = match &rr.value {
        None => Some(1.0),
        Some(v) => {
            let x = *v.get_ref();
            if x.is_finite() && x >= 1.0 && x.fract() == 0.0 {
                Some(x)
            } else {
                c.error(
                    v.span().start,
                    &f("value"),
                    format!("must be a whole number of at least 1, got {x}"),
                );
                None
            }
        }
    };
    let cooldown = match &rr.cooldown {
        None => cooldown,
        Some(v) => c.dur(v, &f("cooldown"), true)?,
    };
    Some(Rule {
        metric,
        aggregation: aggregation?,
        operator: operator?,
        threshold: threshold?,
        window_grains: (window_s / d::AUTOSCALE_TIME_GRAIN_S as f64).round() as usize,
        direction: direction?,
        action: action?,
        value: value?,
        cooldown: from_secs_f64(cooldown),
    })
}

/// The rule's metric, and for request latency its statistic (the average by default).
fn metric(c: &mut Checker, f: &dyn Fn(&str) -> String, rr: &RawRule) -> Option<Metric> {
    let kind = pick(c, &rr.metric, &f("metric"), METRICS);
    let statistic = match &rr.statistic {
        None => Some(Statistic::Average),
        Some(s) if kind.is_some_and(|m| m != MetricKind::Latency) => {
            c.error(
                s.span().start,
                &f("statistic"),
                "applies only to metric = \"RequestLatency\"",
            );
            None
        }
        Some(s) => pick(c, s, &f("statistic"), STATISTICS),
    };
    Some(match (kind?, statistic?) {
        (MetricKind::Cpu, _) => Metric::CpuUtilizationPercentage,
        (MetricKind::Latency, s) => Metric::RequestLatency(s),
        (MetricKind::Requests, _) => Metric::RequestsPerMinute,
        (MetricKind::Concurrency, _) => Metric::ConcurrentRequestsPerInstance,
    })
}

/// The rule's `time_window` in seconds: whole minutes within Azure Monitor's range, over the
/// per-minute grain endpoint metrics have (`time_grain` may only say so).
fn window(c: &mut Checker, f: &dyn Fn(&str) -> String, rr: &RawRule) -> Option<f64> {
    if let Some(g) = &rr.time_grain {
        let x = g.get_ref().0;
        if (x - d::AUTOSCALE_TIME_GRAIN_S as f64).abs() > 1e-9 {
            c.error(
                g.span().start,
                &f("time_grain"),
                format!(
                    "endpoint metrics are reported per minute: time_grain must be \"1m\", got {x} s"
                ),
            );
            return None;
        }
    }
    let Some(w) = &rr.time_window else {
        return Some(d::AUTOSCALE_TIME_WINDOW_S);
    };
    let x = c.dur(w, &f("time_window"), false)?;
    if !(d::AUTOSCALE_TIME_WINDOW_MIN_S..=d::AUTOSCALE_TIME_WINDOW_MAX_S).contains(&x)
        || (x / 60.0).fract() != 0.0
    {
        c.error(
            w.span().start,
            &f("time_window"),
            format!(
                "must be whole minutes from 5m to 12h (Azure Monitor), got {}",
                super::fmt_secs(x)
            ),
        );
        return None;
    }
    Some(x)
}

/// `"08:30"` → minutes after midnight; `"24:00"` allowed.
fn clock(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// When a profile applies: its days (every day when absent) and one span of each, `start` to
/// `end` (the whole day when absent).
fn recurrence(c: &mut Checker, lab: &str, rp: &RawProfile) -> Option<Recurrence> {
    let f = |s: &str| format!("{lab}.{s}");
    let mut days = [rp.days.is_none(); 7];
    let mut ok = true;
    if let Some(ds) = &rp.days {
        for d in ds.get_ref() {
            let name = d.get_ref().trim().to_ascii_lowercase();
            match WEEKDAYS
                .iter()
                .position(|full| name.len() >= 3 && full.starts_with(&name))
            {
                Some(i) => days[i] = true,
                None => {
                    c.error_hint(
                        d.span().start,
                        &f("days"),
                        format!("`{}` is not a day of the week", d.get_ref()),
                        "use monday .. sunday (or mon .. sun)".into(),
                    );
                    ok = false;
                }
            }
        }
    }
    let mut time = |v: &Option<Spanned<String>>, field: &str, default: u32| match v {
        None => Some(default),
        Some(s) => {
            let m = clock(s.get_ref());
            if m.is_none() {
                c.error(
                    s.span().start,
                    &f(field),
                    format!("`{}` is not a time of day such as \"08:00\"", s.get_ref()),
                );
            }
            m
        }
    };
    let start = time(&rp.start, "start", 0);
    let end = time(&rp.end, "end", 1440);
    let (start, end) = (start?, end?);
    if end <= start {
        c.error(
            rp.end.as_ref().map_or(0, |e| e.span().start),
            &f("end"),
            "must be after start (a profile covers one span of each of its days)",
        );
        return None;
    }
    ok.then_some(Recurrence {
        days,
        start_minute: start,
        end_minute: end,
    })
}
