//! How long a request of `[[traffic]]` takes: one distribution, one per VM size, a token model,
//! or a latency profile measured by load tests.

use super::super::raw::{RawLatencyRow, RawTokenModel, RawTraffic};
use super::dist::dist;
use super::{Checker, closest_sizes};
use crate::catalog::Catalog;
use crate::workload::requests::{
    LatencyRow, ProfileFit, ServiceModel, latency_at, latency_csv_rows,
};
use std::path::Path;
use toml::Spanned;

/// The service model for the endpoint's size, and a description of it: exactly one of a
/// latency profile, a token model, or service-time distributions (one, or one per size).
pub(super) fn service(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    size: Option<&str>,
    mcr: Option<u32>,
    dir: &Path,
    rows_read: &mut Vec<LatencyRow>,
) -> Option<(ServiceModel, String)> {
    let f = |s: &str| format!("{lab}.{s}");
    let profile = rt.latency_profile.is_some() || rt.latency_profile_file.is_some();
    let given = [
        rt.service_time.is_some(),
        rt.service_time_by_size.is_some(),
        rt.token_model.is_some(),
        profile,
    ];
    if given.iter().filter(|g| **g).count() == 0 {
        c.error(
            rt.name.span().start,
            &f("service_time"),
            "is required: a distribution (service_time), one per size (service_time_by_size), a token_model or a latency_profile",
        );
        return None;
    }
    if profile {
        if given[..3].iter().any(|g| *g) {
            let (field, at) = profile_field(lab, rt);
            c.error(
                at,
                &field,
                "give one service-time model: a latency profile, service_time(_by_size) or a token_model",
            );
            return None;
        }
        return latency_profile(c, lab, rt, size, mcr, dir, rows_read);
    }
    if let Some(tm) = &rt.token_model {
        if rt.service_time.is_some() || rt.service_time_by_size.is_some() {
            c.error(
                tm.span().start,
                &f("token_model"),
                "give either a token_model or service-time distributions, not both",
            );
            return None;
        }
        return token_model(c, &f, tm, size);
    }
    service_time(c, &f, rt, size, dir)
}

/// The latency profile's field (inline or file) and where it is written.
fn profile_field(lab: &str, rt: &RawTraffic) -> (String, usize) {
    match (&rt.latency_profile, &rt.latency_profile_file) {
        (Some(inline), _) => (format!("{lab}.latency_profile"), inline.span().start),
        (None, Some(file)) => (format!("{lab}.latency_profile_file"), file.span().start),
        (None, None) => (format!("{lab}.latency_profile_file"), 0),
    }
}

/// A token model: the coefficients for the endpoint's size (`by_size`), else the model's own;
/// every `by_size` entry is checked up to the endpoint's (an error there ends the check).
fn token_model(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    tm: &Spanned<RawTokenModel>,
    size: Option<&str>,
) -> Option<(ServiceModel, String)> {
    let t = tm.get_ref();
    let ft = |s: &str| f(&format!("token_model.{s}"));
    let mut chosen: Option<(f64, f64, f64, String)> = None;
    if let Some(by) = &t.by_size {
        for (sz, cost) in by.get_ref() {
            let here = ft(&format!("by_size.{sz}"));
            if Catalog::builtin().get(sz).is_none() {
                c.unknown_size(cost.span().start, &here, sz, "");
                continue;
            }
            let k = cost.get_ref();
            let b = c.non_negative(&k.base_ms, &format!("{here}.base_ms"));
            let i = c.non_negative(&k.per_input_token_ms, &format!("{here}.per_input_token_ms"));
            let o = c.non_negative(
                &k.per_output_token_ms,
                &format!("{here}.per_output_token_ms"),
            );
            if size.is_some_and(|s| s.eq_ignore_ascii_case(sz)) {
                chosen = Some((b?, i?, o?, format!("token model for {sz}")));
            }
        }
    }
    if chosen.is_none() {
        let (Some(b), Some(i), Some(o)) =
            (&t.base_ms, &t.per_input_token_ms, &t.per_output_token_ms)
        else {
            c.error(
                tm.span().start,
                &ft("by_size"),
                format!(
                    "has no entry for the endpoint's size {}, and base_ms, per_input_token_ms and per_output_token_ms are not all given",
                    size.unwrap_or("(not a catalog size)")
                ),
            );
            return None;
        };
        let b = c.non_negative(b, &ft("base_ms"));
        let i = c.non_negative(i, &ft("per_input_token_ms"));
        let o = c.non_negative(o, &ft("per_output_token_ms"));
        chosen = Some((b?, i?, o?, "token model".to_string()));
    }
    let (b, i, o, what) = chosen?;
    if b == 0.0 && i == 0.0 && o == 0.0 {
        c.error(
            tm.span().start,
            &f("token_model"),
            "every coefficient is zero: requests would take no time",
        );
        return None;
    }
    Some((
        ServiceModel::Tokens {
            base_s: b / 1000.0,
            per_input_token_s: i / 1000.0,
            per_output_token_s: o / 1000.0,
        },
        format!(
            "{what}: {} ms + {} ms x input tokens + {} ms x output tokens",
            b, i, o
        ),
    ))
}

/// Service-time distributions: the one for the endpoint's size (`service_time_by_size`), else
/// `service_time`; every entry is checked.
fn service_time(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rt: &RawTraffic,
    size: Option<&str>,
    dir: &Path,
) -> Option<(ServiceModel, String)> {
    let mut chosen = None;
    let mut ok = true;
    if let Some(by) = &rt.service_time_by_size {
        for (sz, rd) in by.get_ref() {
            let here = f(&format!("service_time_by_size.{sz}"));
            if Catalog::builtin().get(sz).is_none() {
                c.unknown_size(rd.span().start, &here, sz, "");
                ok = false;
                continue;
            }
            let s = dist(c, &here, rd, false, dir);
            ok &= s.is_some();
            if size.is_some_and(|x| x.eq_ignore_ascii_case(sz)) {
                chosen = s.map(|s| {
                    (
                        ServiceModel::Dist(s),
                        format!("service-time distribution for {sz}"),
                    )
                });
            }
        }
    }
    if chosen.is_none() {
        match &rt.service_time {
            Some(rd) => {
                chosen = dist(c, &f("service_time"), rd, false, dir).map(|s| {
                    (
                        ServiceModel::Dist(s),
                        "one service-time distribution".to_string(),
                    )
                });
                ok &= chosen.is_some();
            }
            None if ok => {
                c.error(
                    rt.service_time_by_size
                        .as_ref()
                        .map_or(0, |s| s.span().start),
                    &f("service_time_by_size"),
                    format!(
                        "has no entry for the endpoint's size {}; add one or a service_time for every size",
                        size.unwrap_or("(not a catalog size)")
                    ),
                );
                return None;
            }
            None => return None,
        }
    }
    if ok { chosen } else { None }
}

/// A latency-profile row as written, before its checks: where (the row, or the file), its
/// field, and "file:line: " for a row of a CSV file.
struct Written {
    at: usize,
    field: String,
    line: String,
    size: String,
    concurrency: i64,
    p50: f64,
    p95: f64,
}

/// A latency profile's rows, inline or from its CSV file, each checked; `None` after an error.
fn latency_rows(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    dir: &Path,
) -> Option<Vec<LatencyRow>> {
    let f = |s: &str| format!("{lab}.{s}");
    let written = match (&rt.latency_profile, &rt.latency_profile_file) {
        (Some(_), Some(file)) => {
            c.error(
                file.span().start,
                &f("latency_profile_file"),
                "give the latency profile inline (latency_profile) or as a file, not both",
            );
            return None;
        }
        (Some(inline), None) => inline_rows(c, &f, inline)?,
        (None, Some(file)) => file_rows(c, &f, file, dir)?,
        (None, None) => return Some(vec![]),
    };
    let mut rows = vec![];
    let mut ok = true;
    for w in written {
        ok &= check_row(c, w, &mut rows);
    }
    ok.then_some(rows)
}

/// The rows of an inline `latency_profile`, which must have some.
fn inline_rows(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    inline: &Spanned<Vec<Spanned<RawLatencyRow>>>,
) -> Option<Vec<Written>> {
    if inline.get_ref().is_empty() {
        c.error(
            inline.span().start,
            &f("latency_profile"),
            "has no rows: give { size, concurrency, p50_ms, p95_ms } per load-test measurement",
        );
        return None;
    }
    let rows = inline.get_ref().iter().enumerate().map(|(i, row)| {
        let r = row.get_ref();
        Written {
            at: row.span().start,
            field: f(&format!("latency_profile[{i}]")),
            line: String::new(),
            size: r.size.get_ref().clone(),
            concurrency: *r.concurrency.get_ref(),
            p50: *r.p50_ms.get_ref(),
            p95: *r.p95_ms.get_ref(),
        }
    });
    Some(rows.collect())
}

/// The rows of `latency_profile_file`, a CSV of size, concurrency, p50_ms and p95_ms.
fn file_rows(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    file: &Spanned<String>,
    dir: &Path,
) -> Option<Vec<Written>> {
    let at = file.span().start;
    let path = dir.join(file.get_ref());
    let text = match crate::text::input::read_to_string(&path, crate::text::input::TABLE) {
        Ok(t) => t,
        Err(e) => {
            c.error(
                at,
                &f("latency_profile_file"),
                format!("cannot read {}: {e}", path.display()),
            );
            return None;
        }
    };
    match latency_csv_rows(&text) {
        Ok(rs) => Some(
            rs.into_iter()
                .map(|r| Written {
                    at,
                    field: f("latency_profile_file"),
                    line: format!("{}:{}: ", path.display(), r.line),
                    size: r.size,
                    concurrency: r.concurrency,
                    p50: r.p50_ms,
                    p95: r.p95_ms,
                })
                .collect(),
        ),
        Err(e) => {
            c.error(
                at,
                &f("latency_profile_file"),
                format!("{}: {e}", path.display()),
            );
            None
        }
    }
}

/// Checks one row (size, concurrency, percentiles, not measured twice) and adds it to `rows`;
/// `false` after an error.
fn check_row(c: &mut Checker, w: Written, rows: &mut Vec<LatencyRow>) -> bool {
    let Written {
        at,
        field,
        line,
        size,
        concurrency,
        p50,
        p95,
    } = w;
    let fr = |s: &str| format!("{field}.{s}");
    let mut ok = true;
    if Catalog::builtin().get(&size).is_none() {
        c.error_hint(
            at,
            &fr("size"),
            format!("{line}unknown VM size `{size}`"),
            closest_sizes(&size),
        );
        ok = false;
    }
    if concurrency < 1 || concurrency > u32::MAX as i64 {
        c.error(
            at,
            &fr("concurrency"),
            format!("{line}must be a whole number of requests in flight per instance, 1 or more, got {concurrency}"),
        );
        ok = false;
    }
    let p50_ok = p50.is_finite() && p50 > 0.0;
    if !p50_ok {
        c.error(
            at,
            &fr("p50_ms"),
            format!("{line}must be a finite number of milliseconds greater than zero, got {p50}"),
        );
    }
    let p95_ok = p95.is_finite() && p95 > 0.0;
    if !p95_ok {
        c.error(
            at,
            &fr("p95_ms"),
            format!("{line}must be a finite number of milliseconds greater than zero, got {p95}"),
        );
    } else if p50_ok && p95 < p50 {
        c.error(
            at,
            &fr("p95_ms"),
            format!("{line}must be at least p50_ms ({p50} ms), got {p95} ms: a 95th percentile is never below the median"),
        );
        ok = false;
    }
    ok &= p50_ok && p95_ok;
    let row = LatencyRow {
        size,
        concurrency: concurrency.clamp(1, u32::MAX as i64) as u32,
        p50_ms: p50,
        p95_ms: p95,
    };
    if rows
        .iter()
        .any(|r| r.size.eq_ignore_ascii_case(&row.size) && r.concurrency == row.concurrency)
    {
        c.error(
            at,
            &fr("concurrency"),
            format!(
                "{line}{} at concurrency {} is measured twice: keep one row",
                row.size, row.concurrency
            ),
        );
        ok = false;
    }
    rows.push(row);
    ok
}

/// A latency profile read at the deployment's `max_concurrent_requests_per_instance`.
fn latency_profile(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    size: Option<&str>,
    mcr: Option<u32>,
    dir: &Path,
    rows_read: &mut Vec<LatencyRow>,
) -> Option<(ServiceModel, String)> {
    let (field, at) = profile_field(lab, rt);
    let rows = latency_rows(c, lab, rt, dir)?;
    // Kept as read for `[sizing]`, which compares sizes by the same measurements.
    rows_read.clone_from(&rows);
    // An endpoint that failed validation has been reported already.
    let mcr = mcr?;
    let mut measured: Vec<&str> = vec![];
    for r in &rows {
        if !measured.iter().any(|m| m.eq_ignore_ascii_case(&r.size)) {
            measured.push(&r.size);
        }
    }
    let Some(size) = size else {
        c.error(
            at,
            &field,
            "needs the endpoint's VM size to pick rows, and this endpoint type has none (use service_time)",
        );
        return None;
    };
    let Some(point) = latency_at(&rows, size, mcr) else {
        c.error_hint(
            at,
            &field,
            format!("no latency profile for this size: no row measures {size}"),
            format!(
                "sizes with rows: {}; add rows measured on {size} or deploy one of those",
                measured.join(", ")
            ),
        );
        return None;
    };
    if let ProfileFit::Nearest { lowest, highest } = point.fit {
        let used = if mcr < lowest { lowest } else { highest };
        c.warn(
            at,
            &field,
            format!(
                "measures {size} at concurrency {lowest} to {highest} only, but max_concurrent_requests_per_instance is {mcr}: the row at {used} is used unchanged (extrapolation is not measured data; add a load-test row at {mcr})"
            ),
        );
    }
    Some((ServiceModel::Dist(point.sampler()), point.describe(size)))
}
