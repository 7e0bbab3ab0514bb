//! Duration distributions (`{ dist = "lognormal", median = "4m", p95 = "20m" }` and the like),
//! including empirical ones read from a CSV column.

use super::super::raw::RawDist;
use super::Checker;
use crate::engine::Sampler;
use crate::text::duration::{Dur, format_duration, parse_duration};
use std::path::Path;
use toml::Spanned;

/// Builds a sampler of durations. `allow_zero` admits distributions that are always zero
/// (instant provisioning); job durations must have a positive mean.
pub(super) fn dist(
    c: &mut Checker,
    label: &str,
    rd: &Spanned<RawDist>,
    allow_zero: bool,
    dir: &Path,
) -> Option<Sampler> {
    let at = rd.span().start;
    let rd = rd.get_ref();
    let f = |s: &str| format!("{label}.{s}");
    let family = rd.dist.get_ref().to_ascii_lowercase();
    let sp = |d: &Option<Spanned<Dur>>| d.as_ref().map(|x| x.span().start);
    let params: [(&str, Option<usize>); 9] = [
        ("value", sp(&rd.value)),
        ("mean", sp(&rd.mean)),
        ("median", sp(&rd.median)),
        ("p95", sp(&rd.p95)),
        ("cv", rd.cv.as_ref().map(|x| x.span().start)),
        ("min", sp(&rd.min)),
        ("max", sp(&rd.max)),
        ("file", rd.file.as_ref().map(|x| x.span().start)),
        ("column", rd.column.as_ref().map(|x| x.span().start)),
    ];
    let allowed: &[&str] = match family.as_str() {
        "constant" => &["value"],
        "exponential" => &["mean"],
        "lognormal" => &["median", "p95", "mean", "cv"],
        "gamma" => &["mean", "cv"],
        "uniform" => &["min", "max"],
        "empirical" => &["file", "column"],
        _ => {
            c.error_hint(
                rd.dist.span().start,
                &f("dist"),
                format!("unknown distribution `{}`", rd.dist.get_ref()),
                "use constant, exponential, lognormal, gamma, uniform or empirical".into(),
            );
            return None;
        }
    };
    let mut ok = true;
    for (p, given) in params {
        let Some(p_at) = given else { continue };
        if !allowed.contains(&p) {
            c.error(
                p_at,
                &f(p),
                format!(
                    "does not apply to dist = \"{family}\" (it takes {})",
                    allowed.join(", ")
                ),
            );
            ok = false;
        }
    }
    let need = |c: &mut Checker, v: &Option<Spanned<Dur>>, p: &str, zero: bool| -> Option<f64> {
        match v {
            Some(v) => c.dur(v, &f(p), zero),
            None => {
                c.error(at, &f(p), format!("is required for dist = \"{family}\""));
                None
            }
        }
    };
    let sampler = match family.as_str() {
        "constant" => need(c, &rd.value, "value", allow_zero).map(Sampler::constant_s),
        "exponential" => need(c, &rd.mean, "mean", false).map(Sampler::exponential_s),
        "lognormal" => {
            if rd.median.is_some() || rd.p95.is_some() {
                if rd.mean.is_some() || rd.cv.is_some() {
                    c.error(
                        at,
                        label,
                        "give either median and p95, or mean and cv, not both",
                    );
                    return None;
                }
                let median = need(c, &rd.median, "median", false);
                let p95 = need(c, &rd.p95, "p95", false);
                match (median, p95) {
                    (Some(m), Some(p)) if p > m => Some(Sampler::lognormal_median_p95_s(m, p)),
                    (Some(m), Some(p)) => {
                        let at95 = rd.p95.as_ref().map_or(at, |s| s.span().start);
                        c.error(
                            at95,
                            &f("p95"),
                            format!(
                                "must be greater than the median ({}), got {}",
                                format_duration(m),
                                format_duration(p)
                            ),
                        );
                        None
                    }
                    _ => None,
                }
            } else {
                let mean = need(c, &rd.mean, "mean", false);
                let cv = cv(c, &rd.cv, &f("cv"), at, &family);
                Some(Sampler::lognormal_mean_cv_s(mean?, cv?))
            }
        }
        "gamma" => {
            let mean = need(c, &rd.mean, "mean", false);
            let cv = cv(c, &rd.cv, &f("cv"), at, &family);
            Some(Sampler::gamma_mean_cv_s(mean?, cv?))
        }
        "uniform" => {
            let min = need(c, &rd.min, "min", true);
            let max = need(c, &rd.max, "max", allow_zero);
            match (min, max) {
                (Some(lo), Some(hi)) if hi >= lo => Some(Sampler::uniform_s(lo, hi)),
                (Some(lo), Some(hi)) => {
                    let atmax = rd.max.as_ref().map_or(at, |s| s.span().start);
                    c.error(
                        atmax,
                        &f("max"),
                        format!(
                            "must not be below min ({}), got {}",
                            format_duration(lo),
                            format_duration(hi)
                        ),
                    );
                    None
                }
                _ => None,
            }
        }
        "empirical" => empirical(c, label, rd, at, dir, allow_zero),
        _ => unreachable!("family checked above"),
    };
    if ok { sampler } else { None }
}

fn cv(
    c: &mut Checker,
    v: &Option<Spanned<f64>>,
    field: &str,
    at: usize,
    family: &str,
) -> Option<f64> {
    match v {
        Some(v) => c.positive(v, field),
        None => {
            c.error(
                at,
                field,
                format!("is required for dist = \"{family}\" with a mean"),
            );
            None
        }
    }
}

/// Reads a column of durations (seconds, or strings like "5m") from a CSV file.
fn empirical(
    c: &mut Checker,
    label: &str,
    rd: &RawDist,
    at: usize,
    dir: &Path,
    allow_zero: bool,
) -> Option<Sampler> {
    let f = |s: &str| format!("{label}.{s}");
    let (Some(file), Some(column)) = (&rd.file, &rd.column) else {
        let missing = if rd.file.is_none() { "file" } else { "column" };
        c.error(at, &f(missing), "is required for dist = \"empirical\"");
        return None;
    };
    let path = dir.join(file.get_ref());
    let fat = file.span().start;
    let mut reader = match csv::Reader::from_path(&path) {
        Ok(r) => r,
        Err(e) => {
            c.error(
                fat,
                &f("file"),
                format!("cannot read {}: {e}", path.display()),
            );
            return None;
        }
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            c.error(fat, &f("file"), format!("{}: {e}", path.display()));
            return None;
        }
    };
    let Some(col) = headers.iter().position(|h| h == column.get_ref()) else {
        c.error_hint(
            column.span().start,
            &f("column"),
            format!("{} has no column `{}`", path.display(), column.get_ref()),
            format!(
                "its columns: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    };
    let mut samples = vec![];
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                c.error(fat, &f("file"), format!("{}:{line}: {e}", path.display()));
                return None;
            }
        };
        let cell = rec.get(col).unwrap_or("").trim();
        match parse_duration(cell) {
            Ok(v) if v.is_finite() && v >= 0.0 => samples.push(v),
            Ok(v) => {
                c.error(
                    fat,
                    &f("file"),
                    format!(
                        "{}:{line}: column `{}`: durations must be zero or more, got {v}",
                        path.display(),
                        column.get_ref()
                    ),
                );
                return None;
            }
            Err(e) => {
                c.error(
                    fat,
                    &f("file"),
                    format!(
                        "{}:{line}: column `{}`: {e}",
                        path.display(),
                        column.get_ref()
                    ),
                );
                return None;
            }
        }
    }
    if samples.is_empty() {
        c.error(fat, &f("file"), format!("{} has no rows", path.display()));
        return None;
    }
    if !allow_zero && samples.iter().all(|&s| s == 0.0) {
        c.error(fat, &f("file"), "every sample is zero");
        return None;
    }
    Some(Sampler::empirical_s(&samples))
}
