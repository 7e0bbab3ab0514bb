//! The arrivals of jobs: Poisson (with daily and weekly profiles), MMPP, or a replayed trace.

use super::super::raw::RawArrivals;
use super::Checker;
use super::compute::Facts;
use super::replay::trace_arrivals;
use crate::workload::{ArrivalSpec, MmppArrivals, PoissonArrivals};
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// The highest Poisson rate accepted, per hour: a million arrivals a second. Each arrival is an
/// event, so a higher one cannot end (rates up to 1e308 used to pass and exhaust memory).
const MAX_RATE_PER_HOUR: f64 = 3.6e9;
/// The highest daily or weekly profile multiplier accepted.
const MAX_MULTIPLIER: f64 = 1e6;

/// A job stream's `arrivals`: Poisson (with profiles), MMPP or a trace.
pub(super) fn job_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawArrivals,
    at: usize,
    facts: Option<&Facts>,
    dir: &Path,
) -> Option<ArrivalSpec> {
    let process = ra.process.get_ref();
    if process.eq_ignore_ascii_case("mmpp") {
        mmpp_arrivals(c, label, ra, at).map(ArrivalSpec::Mmpp)
    } else if process.eq_ignore_ascii_case("trace") {
        trace_arrivals(c, label, ra, at, facts, dir).map(|t| ArrivalSpec::Trace(Arc::new(t)))
    } else {
        poisson_arrivals(c, label, ra, at).map(ArrivalSpec::Poisson)
    }
}

/// The keys of Poisson arrivals, and whether each is given: refused by the other processes.
pub(super) fn poisson_keys(ra: &RawArrivals) -> [(&'static str, bool); 5] {
    [
        ("rate_per_hour", ra.rate_per_hour.is_some()),
        ("rate_per_minute", ra.rate_per_minute.is_some()),
        ("rate_per_second", ra.rate_per_second.is_some()),
        ("daily_profile", ra.daily_profile.is_some()),
        ("weekly_profile", ra.weekly_profile.is_some()),
    ]
}

/// The keys of a trace's arrivals, and whether each is given: refused by the other processes.
pub(super) fn trace_keys(ra: &RawArrivals) -> [(&'static str, bool); 15] {
    [
        ("file", ra.file.is_some()),
        ("submit_column", ra.submit_column.is_some()),
        ("duration_column", ra.duration_column.is_some()),
        ("nodes_column", ra.nodes_column.is_some()),
        ("gpus_column", ra.gpus_column.is_some()),
        ("time_format", ra.time_format.is_some()),
        ("time_scale", ra.time_scale.is_some()),
        ("start", ra.start.is_some()),
        ("end", ra.end.is_some()),
        ("repeat", ra.repeat.is_some()),
        ("on_bad_row", ra.on_bad_row.is_some()),
        ("status_column", ra.status_column.is_some()),
        ("statuses", ra.statuses.is_some()),
        ("cluster_column", ra.cluster_column.is_some()),
        ("clusters", ra.clusters.is_some()),
    ]
}

/// `process = "mmpp"`: `rates_per_hour = [quiet, burst]` and `mean_sojourn = ["6h", "30m"]`.
pub(super) fn mmpp_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawArrivals,
    at: usize,
) -> Option<MmppArrivals> {
    let f = |s: &str| format!("{label}.{s}");
    for (name, given) in poisson_keys(ra).into_iter().chain(trace_keys(ra)) {
        if given {
            let hint = if name == "rate_per_hour" {
                " (an mmpp takes rates_per_hour = [quiet, burst])"
            } else {
                ""
            };
            c.error(
                at,
                &f(name),
                format!("does not apply to process = \"mmpp\"{hint}"),
            );
        }
    }
    let (Some(rates), Some(sojourns)) = (&ra.rates_per_hour, &ra.mean_sojourn) else {
        let missing = if ra.rates_per_hour.is_none() {
            "rates_per_hour"
        } else {
            "mean_sojourn"
        };
        c.error(
            at,
            &f(missing),
            "is required for process = \"mmpp\": e.g. rates_per_hour = [2, 40], mean_sojourn = [\"6h\", \"30m\"]",
        );
        return None;
    };
    let mut ok = true;
    for (name, len, at) in [
        ("rates_per_hour", rates.get_ref().len(), rates.span().start),
        (
            "mean_sojourn",
            sojourns.get_ref().len(),
            sojourns.span().start,
        ),
    ] {
        if len != 2 {
            c.error(
                at,
                &f(name),
                format!("needs 2 values, one per state (quiet, burst); got {len}"),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let mut r = [0.0; 2];
    for (i, v) in rates.get_ref().iter().enumerate() {
        let field = f(&format!("rates_per_hour[{i}]"));
        match c.non_negative(v, &field) {
            Some(x) if x > MAX_RATE_PER_HOUR => {
                c.error(
                    v.span().start,
                    &field,
                    format!(
                        "{x:e} is too high: capsim simulates each arrival, up to a million a \
                         second ({MAX_RATE_PER_HOUR:.0} an hour) per workload"
                    ),
                );
                ok = false;
            }
            Some(x) => r[i] = x,
            None => ok = false,
        }
    }
    let mut m = [0.0; 2];
    for (i, v) in sojourns.get_ref().iter().enumerate() {
        match c.dur(v, &f(&format!("mean_sojourn[{i}]")), false) {
            Some(x) => m[i] = x,
            None => ok = false,
        }
    }
    if ok && r == [0.0, 0.0] {
        c.error(
            rates.span().start,
            &f("rates_per_hour"),
            "both rates are zero: no job would ever arrive",
        );
        ok = false;
    }
    ok.then_some(MmppArrivals {
        rates_per_hour: r,
        mean_sojourn_s: m,
    })
}

/// `process = "poisson"`: one rate (per hour, minute or second) shaped by optional daily and
/// weekly profiles; the trace and MMPP keys do not apply.
pub(super) fn poisson_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawArrivals,
    at: usize,
) -> Option<PoissonArrivals> {
    let f = |s: &str| format!("{label}.{s}");
    let process = ra.process.get_ref().to_ascii_lowercase();
    if process != "poisson" {
        c.error_hint(
            ra.process.span().start,
            &f("process"),
            format!("unknown arrival process `{}`", ra.process.get_ref()),
            "supported: poisson, mmpp, trace".into(),
        );
        return None;
    }
    c.refuse(
        at,
        &f,
        &trace_keys(ra),
        "applies only to process = \"trace\"",
    );
    c.refuse(
        at,
        &f,
        &[
            ("rates_per_hour", ra.rates_per_hour.is_some()),
            ("mean_sojourn", ra.mean_sojourn.is_some()),
        ],
        "applies only to process = \"mmpp\"",
    );
    let rates = [
        (&ra.rate_per_hour, "rate_per_hour", 1.0),
        (&ra.rate_per_minute, "rate_per_minute", 60.0),
        (&ra.rate_per_second, "rate_per_second", 3600.0),
    ];
    let given: Vec<_> = rates.iter().filter(|(v, _, _)| v.is_some()).collect();
    let rate_per_hour = match given.as_slice() {
        [] => {
            c.error(
                at,
                label,
                "a poisson process needs a rate: rate_per_hour, rate_per_minute or rate_per_second",
            );
            None
        }
        [(Some(v), name, scale)] => c.positive(v, &f(name)).and_then(|r| {
            let per_hour = r * scale;
            if per_hour > MAX_RATE_PER_HOUR {
                c.error(
                    v.span().start,
                    &f(name),
                    format!(
                        "{r:e} is too high: capsim simulates each arrival, up to a million a \
                         second ({MAX_RATE_PER_HOUR:.0} an hour) per workload"
                    ),
                );
                return None;
            }
            Some(per_hour)
        }),
        [_, (Some(second), name, _), ..] => {
            c.error(
                second.span().start,
                &f(name),
                "give only one of rate_per_hour, rate_per_minute and rate_per_second",
            );
            None
        }
        _ => None,
    };
    let daily = profile::<24>(c, &ra.daily_profile, &f("daily_profile"), "hour of the day");
    let weekly = profile::<7>(
        c,
        &ra.weekly_profile,
        &f("weekly_profile"),
        "day of the week, Monday first",
    );
    Some(PoissonArrivals {
        rate_per_hour: rate_per_hour?,
        daily_profile: daily?,
        weekly_profile: weekly?,
    })
}

/// `Some(None)` when absent, `Some(Some(p))` when valid, `None` after reporting an error.
fn profile<const N: usize>(
    c: &mut Checker,
    v: &Option<Spanned<Vec<f64>>>,
    field: &str,
    what: &str,
) -> Option<Option<[f64; N]>> {
    let Some(v) = v else { return Some(None) };
    let values = v.get_ref();
    let at = v.span().start;
    if values.len() != N {
        c.error(
            at,
            field,
            format!(
                "needs {N} multipliers, one per {what}; got {}",
                values.len()
            ),
        );
        return None;
    }
    if let Some(bad) = values.iter().find(|x| **x > MAX_MULTIPLIER) {
        c.error(
            at,
            field,
            format!(
                "multiplier {bad} is too high: at most {MAX_MULTIPLIER:.0} (the base rate sets \
                 the scale)"
            ),
        );
        return None;
    }
    if let Some(bad) = values.iter().find(|x| !x.is_finite() || **x < 0.0) {
        c.error(
            at,
            field,
            format!("multipliers must be finite and zero or more, got {bad}"),
        );
        return None;
    }
    if values.iter().all(|&x| x == 0.0) {
        c.error(
            at,
            field,
            "all multipliers are zero: no job would ever arrive",
        );
        return None;
    }
    Some(Some(values.as_slice().try_into().expect("length checked")))
}
