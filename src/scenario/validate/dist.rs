//! Duration distributions (`{ dist = "lognormal", median = "4m", p95 = "20m" }` and the like),
//! including empirical ones read from a CSV column.

use super::super::raw::RawDist;
use super::{Checker, given};
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
    let Some(allowed) = params_of(&family) else {
        c.error_hint(
            rd.dist.span().start,
            &f("dist"),
            format!("unknown distribution `{}`", rd.dist.get_ref()),
            "use constant, exponential, lognormal, gamma, uniform or empirical".into(),
        );
        return None;
    };
    let params: [(&str, Option<usize>); 9] = [
        ("value", given(&rd.value)),
        ("mean", given(&rd.mean)),
        ("median", given(&rd.median)),
        ("p95", given(&rd.p95)),
        ("cv", given(&rd.cv)),
        ("min", given(&rd.min)),
        ("max", given(&rd.max)),
        ("file", given(&rd.file)),
        ("column", given(&rd.column)),
    ];
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
    let need = Need {
        label,
        family: &family,
        at,
    };
    let sampler = match family.as_str() {
        "constant" => need
            .dur(c, &rd.value, "value", allow_zero)
            .map(Sampler::constant_s),
        "exponential" => need
            .dur(c, &rd.mean, "mean", false)
            .map(Sampler::exponential_s),
        "lognormal" => lognormal(c, &need, rd),
        "gamma" => {
            let mean = need.dur(c, &rd.mean, "mean", false);
            let cv = need.cv(c, &rd.cv);
            Some(Sampler::gamma_mean_cv_s(mean?, cv?))
        }
        "uniform" => uniform(c, &need, rd, allow_zero),
        "empirical" => empirical(c, label, rd, at, dir, allow_zero),
        _ => unreachable!("family checked by params_of"),
    };
    if ok { sampler } else { None }
}

/// A time that may be zero (provisioning, start-up): its distribution when given, else the
/// lognormal Azure's behaviour is assumed to follow, by its `(median, p95)` in seconds.
pub(super) fn dist_or_assumed(
    c: &mut Checker,
    field: &str,
    v: &Option<Spanned<RawDist>>,
    dir: &Path,
    (median, p95): (f64, f64),
) -> Option<Sampler> {
    match v {
        Some(p) => dist(c, field, p, true, dir),
        None => Some(Sampler::lognormal_median_p95_s(median, p95)),
    }
}

/// The parameters a distribution family takes; `None` for an unknown family.
fn params_of(family: &str) -> Option<&'static [&'static str]> {
    Some(match family {
        "constant" => &["value"],
        "exponential" => &["mean"],
        "lognormal" => &["median", "p95", "mean", "cv"],
        "gamma" => &["mean", "cv"],
        "uniform" => &["min", "max"],
        "empirical" => &["file", "column"],
        _ => return None,
    })
}

/// Reads the parameters a family requires, each an error when missing.
struct Need<'a> {
    /// The distribution's field, its family and where it is written.
    label: &'a str,
    family: &'a str,
    at: usize,
}

impl Need<'_> {
    /// A required duration parameter (`zero`: may be zero).
    fn dur(&self, c: &mut Checker, v: &Option<Spanned<Dur>>, p: &str, zero: bool) -> Option<f64> {
        let field = format!("{}.{p}", self.label);
        match v {
            Some(v) => c.dur(v, &field, zero),
            None => {
                c.error(
                    self.at,
                    &field,
                    format!("is required for dist = \"{}\"", self.family),
                );
                None
            }
        }
    }

    /// The coefficient of variation a family given by its mean requires.
    fn cv(&self, c: &mut Checker, v: &Option<Spanned<f64>>) -> Option<f64> {
        let field = format!("{}.cv", self.label);
        match v {
            Some(v) => c.positive(v, &field),
            None => {
                c.error(
                    self.at,
                    &field,
                    format!("is required for dist = \"{}\" with a mean", self.family),
                );
                None
            }
        }
    }
}

/// A lognormal distribution, by its median and 95th percentile or by its mean and cv.
fn lognormal(c: &mut Checker, need: &Need, rd: &RawDist) -> Option<Sampler> {
    if rd.median.is_none() && rd.p95.is_none() {
        let mean = need.dur(c, &rd.mean, "mean", false);
        let cv = need.cv(c, &rd.cv);
        return Some(Sampler::lognormal_mean_cv_s(mean?, cv?));
    }
    if rd.mean.is_some() || rd.cv.is_some() {
        c.error(
            need.at,
            need.label,
            "give either median and p95, or mean and cv, not both",
        );
        return None;
    }
    let median = need.dur(c, &rd.median, "median", false);
    let p95 = need.dur(c, &rd.p95, "p95", false);
    match (median, p95) {
        (Some(m), Some(p)) if p > m => Some(Sampler::lognormal_median_p95_s(m, p)),
        (Some(m), Some(p)) => {
            c.error(
                rd.p95.as_ref().map_or(need.at, |s| s.span().start),
                &format!("{}.p95", need.label),
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
}

/// A uniform distribution between `min` and `max` (`allow_zero`: `max` may be zero).
fn uniform(c: &mut Checker, need: &Need, rd: &RawDist, allow_zero: bool) -> Option<Sampler> {
    let min = need.dur(c, &rd.min, "min", true);
    let max = need.dur(c, &rd.max, "max", allow_zero);
    match (min, max) {
        (Some(lo), Some(hi)) if hi >= lo => Some(Sampler::uniform_s(lo, hi)),
        (Some(lo), Some(hi)) => {
            c.error(
                rd.max.as_ref().map_or(need.at, |s| s.span().start),
                &format!("{}.max", need.label),
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
    let mut reader = match crate::text::input::open(&path, crate::text::input::TABLE) {
        Ok(r) => csv::Reader::from_reader(r),
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
