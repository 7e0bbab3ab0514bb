//! How long a request of `[[traffic]]` takes: one distribution, one per VM size, a token model,
//! or a latency profile measured by load tests.

use super::super::raw::RawTraffic;
use super::{Checker, dist};
use crate::workload::requests::{
    LatencyRow, ProfileFit, ServiceModel, latency_at, latency_csv_rows,
};
use std::path::Path;

/// A latency profile's rows, inline or from its CSV file, each checked; `None` after an error.
fn latency_rows(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    dir: &Path,
) -> Option<Vec<LatencyRow>> {
    let f = |s: &str| format!("{lab}.{s}");
    let mut rows = vec![];
    let mut ok = true;
    // (offset, field, "file:line: " for a CSV row, size, concurrency, p50, p95) before checks.
    #[allow(clippy::type_complexity)]
    let mut raw_rows: Vec<(usize, String, String, String, i64, f64, f64)> = vec![];
    match (&rt.latency_profile, &rt.latency_profile_file) {
        (Some(_), Some(file)) => {
            c.error(
                file.span().start,
                &f("latency_profile_file"),
                "give the latency profile inline (latency_profile) or as a file, not both",
            );
            return None;
        }
        (Some(inline), None) => {
            if inline.get_ref().is_empty() {
                c.error(
                    inline.span().start,
                    &f("latency_profile"),
                    "has no rows: give { size, concurrency, p50_ms, p95_ms } per load-test measurement",
                );
                return None;
            }
            for (i, row) in inline.get_ref().iter().enumerate() {
                let r = row.get_ref();
                raw_rows.push((
                    row.span().start,
                    f(&format!("latency_profile[{i}]")),
                    String::new(),
                    r.size.get_ref().clone(),
                    *r.concurrency.get_ref(),
                    *r.p50_ms.get_ref(),
                    *r.p95_ms.get_ref(),
                ));
            }
        }
        (None, Some(file)) => {
            let at = file.span().start;
            let path = dir.join(file.get_ref());
            let text = match std::fs::read_to_string(&path) {
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
                Ok(rs) => {
                    raw_rows = rs
                        .into_iter()
                        .map(|r| {
                            (
                                at,
                                f("latency_profile_file"),
                                format!("{}:{}: ", path.display(), r.line),
                                r.size,
                                r.concurrency,
                                r.p50_ms,
                                r.p95_ms,
                            )
                        })
                        .collect()
                }
                Err(e) => {
                    c.error(
                        at,
                        &f("latency_profile_file"),
                        format!("{}: {e}", path.display()),
                    );
                    return None;
                }
            }
        }
        (None, None) => return Some(vec![]),
    }
    for (at, field, line, size, concurrency, p50, p95) in raw_rows {
        let fr = |s: &str| format!("{field}.{s}");
        if crate::catalog::Catalog::builtin().get(&size).is_none() {
            c.error_hint(
                at,
                &fr("size"),
                format!("{line}unknown VM size `{size}`"),
                format!(
                    "closest catalog sizes: {}",
                    crate::catalog::Catalog::builtin()
                        .closest(&size, 3)
                        .join(", ")
                ),
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
                format!(
                    "{line}must be a finite number of milliseconds greater than zero, got {p50}"
                ),
            );
        }
        let p95_ok = p95.is_finite() && p95 > 0.0;
        if !p95_ok {
            c.error(
                at,
                &fr("p95_ms"),
                format!(
                    "{line}must be a finite number of milliseconds greater than zero, got {p95}"
                ),
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
        if rows.iter().any(|r: &LatencyRow| {
            r.size.eq_ignore_ascii_case(&row.size) && r.concurrency == row.concurrency
        }) {
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
    }
    ok.then_some(rows)
}

/// A latency profile read at the deployment's `max_concurrent_requests_per_instance`.
fn latency_profile(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    size: Option<&str>,
    mcr: Option<u32>,
    dir: &Path,
) -> Option<(ServiceModel, String)> {
    let field = if rt.latency_profile.is_some() {
        format!("{lab}.latency_profile")
    } else {
        format!("{lab}.latency_profile_file")
    };
    let at = rt
        .latency_profile
        .as_ref()
        .map(|x| x.span().start)
        .or(rt.latency_profile_file.as_ref().map(|x| x.span().start))
        .unwrap_or(0);
    let rows = latency_rows(c, lab, rt, dir)?;
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

/// The service model for the endpoint's size, and a description of it.
pub(super) fn service(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    size: Option<&str>,
    mcr: Option<u32>,
    dir: &Path,
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
            let at = rt
                .latency_profile
                .as_ref()
                .map(|x| x.span().start)
                .or(rt.latency_profile_file.as_ref().map(|x| x.span().start))
                .unwrap_or(0);
            c.error(
                at,
                &f(if rt.latency_profile.is_some() {
                    "latency_profile"
                } else {
                    "latency_profile_file"
                }),
                "give one service-time model: a latency profile, service_time(_by_size) or a token_model",
            );
            return None;
        }
        return latency_profile(c, lab, rt, size, mcr, dir);
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
        let t = tm.get_ref();
        let ft = |s: &str| f(&format!("token_model.{s}"));
        let mut chosen: Option<(f64, f64, f64, String)> = None;
        if let Some(by) = &t.by_size {
            for (sz, cost) in by.get_ref() {
                let here = ft(&format!("by_size.{sz}"));
                if crate::catalog::Catalog::builtin().get(sz).is_none() {
                    c.error_hint(
                        cost.span().start,
                        &here,
                        format!("unknown VM size `{sz}`"),
                        format!(
                            "closest catalog sizes: {}",
                            crate::catalog::Catalog::builtin().closest(sz, 3).join(", ")
                        ),
                    );
                    continue;
                }
                let k = cost.get_ref();
                let b = c.non_negative(&k.base_ms, &format!("{here}.base_ms"));
                let i =
                    c.non_negative(&k.per_input_token_ms, &format!("{here}.per_input_token_ms"));
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
            let parts = (&t.base_ms, &t.per_input_token_ms, &t.per_output_token_ms);
            match parts {
                (Some(b), Some(i), Some(o)) => {
                    let b = c.non_negative(b, &ft("base_ms"));
                    let i = c.non_negative(i, &ft("per_input_token_ms"));
                    let o = c.non_negative(o, &ft("per_output_token_ms"));
                    chosen = Some((b?, i?, o?, "token model".to_string()));
                }
                _ => {
                    c.error(
                        tm.span().start,
                        &ft("by_size"),
                        format!(
                            "has no entry for the endpoint's size {}, and base_ms, per_input_token_ms and per_output_token_ms are not all given",
                            size.unwrap_or("(not a catalog size)")
                        ),
                    );
                    return None;
                }
            }
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
        return Some((
            ServiceModel::Tokens {
                base_s: b / 1000.0,
                per_input_token_s: i / 1000.0,
                per_output_token_s: o / 1000.0,
            },
            format!(
                "{what}: {} ms + {} ms x input tokens + {} ms x output tokens",
                b, i, o
            ),
        ));
    }
    let mut chosen = None;
    let mut ok = true;
    if let Some(by) = &rt.service_time_by_size {
        for (sz, rd) in by.get_ref() {
            let here = f(&format!("service_time_by_size.{sz}"));
            if crate::catalog::Catalog::builtin().get(sz).is_none() {
                c.error_hint(
                    rd.span().start,
                    &here,
                    format!("unknown VM size `{sz}`"),
                    format!(
                        "closest catalog sizes: {}",
                        crate::catalog::Catalog::builtin().closest(sz, 3).join(", ")
                    ),
                );
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
