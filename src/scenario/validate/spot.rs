//! Low priority as Spot (simulated dates from 31 March 2026): the node's pay-as-you-go price,
//! its Spot price as a risk (`spot_price`), and the warnings when a default stands in.

use super::super::raw::{RawCompute, RawSpotPrice};
use super::sizes::{Size, price};
use super::{Checker, Context};
use crate::engine::time::from_secs_f64;
use crate::targets::defaults as d;
use crate::targets::{Fraction, SpotPriceModel, SpotPricing, Tier};
use crate::text::diagnostic::{Diagnostic, Severity};
use crate::text::{date, num};
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// Days since 1970-01-01 of [`d::SPOT_SINCE`].
pub(super) fn spot_since_day() -> i64 {
    date::parse(d::SPOT_SINCE).expect("SPOT_SINCE is a date")
}

/// A Spot cluster's central price, its source, and its price model; the price is `None` after an
/// error, the model `None` after an error and `Some(None)` when the price is fixed.
#[allow(clippy::type_complexity)]
pub(super) fn pricing(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    size: &Size,
    ctx: &Context,
) -> (Option<f64>, String, Option<Option<Arc<SpotPricing>>>) {
    if let Some(p) = &rc.price_usd_per_hour {
        if let Some(sp) = &rc.spot_price {
            c.error(
                sp.span().start,
                &f("spot_price"),
                "give either price_usd_per_hour (a fixed Spot price) or spot_price (a variable one), not both",
            );
        }
        return (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override (a fixed Spot price: no price risk)".into(),
            Some(None),
        );
    }
    let hint = "give the price with price_usd_per_hour on the target, or a prices file";
    let (payg, payg_source) = price(c, f, &None, size, Tier::Dedicated, ctx, hint);
    let Some(payg) = payg else {
        return (None, String::new(), None);
    };
    // The Spot price last observed: the price list's Spot (else Low Priority) meter, else the
    // catalog's Spot price, as a fraction of pay-as-you-go.
    let listed = size.listed.as_ref().and_then(|u| {
        u.spot_price_usd_per_hour
            .or(u.low_priority_price_usd_per_hour)
            .map(|s| {
                (
                    s / u.price_usd_per_hour.max(f64::MIN_POSITIVE),
                    "price list",
                )
            })
    });
    let observed = listed.or_else(|| {
        let vm = size.vm?;
        let (lp, list) = (vm.low_priority_price_usd_per_hour?, vm.price_usd_per_hour?);
        Some((lp / list, "catalog"))
    });
    let model = match &rc.spot_price {
        Some(sp) => model(c, f, sp, ctx),
        None => {
            let Some((f0, whence)) = observed.filter(|(f0, _)| *f0 > 0.0) else {
                c.error_hint(
                    size.at,
                    &size.field,
                    "no Spot price is known for this size: low_priority nodes are Spot VMs from 2026-03-31".to_string(),
                    "give spot_price = { fraction = ... } (a fraction of pay-as-you-go), or a prices file with a spot_price_usd_per_hour column".into(),
                );
                return (None, String::new(), None);
            };
            let f0 = f0.min(1.0);
            let p95 = f0 * d::ASSUMED_SPOT_PRICE_P95_OVER_MEDIAN;
            c.warn(
                rc.tier.as_ref().map_or(rc.name.span().start, |t| t.span().start),
                &f("spot_price"),
                format!(
                    "low_priority nodes are Spot VMs since {}, billed at a variable Spot rate capped at pay-as-you-go: assuming per replication a log-normal fraction of pay-as-you-go with median {} (the {whence}'s Spot price) and 95th percentile {}; set spot_price from your region's Spot price history",
                    d::SPOT_SINCE,
                    num(f0),
                    num(p95)
                ),
            );
            Some((
                SpotPriceModel::Fraction {
                    fraction: Fraction::lognormal_median_p95(f0, p95),
                    period: None,
                    correlation: 0.0,
                },
                format!(
                    "log-normal fraction of pay-as-you-go, median {} (the {whence}'s Spot price), p95 {} (assumed)",
                    num(f0),
                    num(p95)
                ),
            ))
        }
    };
    let Some((model, described)) = model else {
        return (None, String::new(), None);
    };
    let central = match &model {
        SpotPriceModel::Fraction { fraction, .. } => payg * fraction.mean().min(1.0),
        SpotPriceModel::Observed { points, .. } => {
            points.iter().map(|p| p.1.min(payg)).sum::<f64>() / points.len() as f64
        }
    };
    (
        Some(central),
        format!(
            "Spot (low priority from {}): {described}, capped at pay-as-you-go ({payg_source})",
            d::SPOT_SINCE
        ),
        Some(Some(Arc::new(SpotPricing {
            payg_usd_per_hour: payg,
            model,
        }))),
    )
}

/// `spot_price = { fraction = ..., per = ..., correlation = ... }` or `{ observed = "file" }`.
fn model(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    sp: &Spanned<RawSpotPrice>,
    ctx: &Context,
) -> Option<(SpotPriceModel, String)> {
    let at = sp.span().start;
    let sp = sp.get_ref();
    match (&sp.fraction, &sp.observed) {
        (Some(fr), None) => {
            let fraction = fraction(c, &f("spot_price.fraction"), fr);
            let period = match &sp.per {
                Some(p) => c.dur(p, &f("spot_price.per"), false).map(Some),
                None => Some(None),
            };
            let correlation = match &sp.correlation {
                Some(r) if sp.per.is_none() => {
                    c.error(
                        r.span().start,
                        &f("spot_price.correlation"),
                        "applies between periods: give per = \"1d\" (or another period) too",
                    );
                    None
                }
                Some(r) if !(-1.0..=1.0).contains(r.get_ref()) => {
                    c.error(
                        r.span().start,
                        &f("spot_price.correlation"),
                        format!("must be from -1 to 1, got {}", r.get_ref()),
                    );
                    None
                }
                Some(r) => Some(*r.get_ref()),
                None => Some(0.0),
            };
            let (fraction, period, correlation) = (fraction?, period?, correlation?);
            let mut said = format!("fraction of pay-as-you-go {}", describe(&fraction));
            match period {
                Some(p) => said.push_str(&format!(
                    ", drawn every {} (correlation {})",
                    crate::text::duration::format_duration(p),
                    num(correlation)
                )),
                None => said.push_str(", drawn per replication"),
            }
            Some((
                SpotPriceModel::Fraction {
                    fraction,
                    period: period.map(from_secs_f64),
                    correlation,
                },
                said,
            ))
        }
        (None, Some(file)) => {
            let given = [
                ("per", sp.per.as_ref().map(|p| p.span().start)),
                (
                    "correlation",
                    sp.correlation.as_ref().map(|p| p.span().start),
                ),
            ];
            for (name, at) in given {
                if let Some(at) = at {
                    c.error(
                        at,
                        &f(&format!("spot_price.{name}")),
                        "does not apply to observed prices: they keep their own ups and downs",
                    );
                }
            }
            let path = ctx.dir.join(file.get_ref());
            match observed(&path) {
                Ok(model) => Some((
                    model,
                    format!(
                        "observed prices of {}, replayed from a random point per replication",
                        file.get_ref()
                    ),
                )),
                Err(errors) => {
                    c.error(
                        file.span().start,
                        &f("spot_price.observed"),
                        format!(
                            "the Spot price history {} has errors (below)",
                            path.display()
                        ),
                    );
                    c.diags.extend(errors);
                    None
                }
            }
        }
        _ => {
            c.error(
                at,
                &f("spot_price"),
                "give one of fraction (e.g. 0.2, or { dist = \"uniform\", low = 0.1, high = 0.4 }) or observed (a CSV of time,spot_price_usd_per_hour)",
            );
            None
        }
    }
}

fn describe(f: &Fraction) -> String {
    match f {
        Fraction::Constant(x) => num(*x),
        Fraction::Uniform { low, high } => format!("uniform {}..{}", num(*low), num(*high)),
        Fraction::LogNormal { mu, sigma } => format!(
            "log-normal, median {}, p95 {}",
            num(mu.exp()),
            num((mu + sigma * crate::engine::dist::Z95).exp())
        ),
        Fraction::Empirical(v) => format!("drawn from {} observed fractions", v.len()),
    }
}

/// A fraction of pay-as-you-go: a number, or `{ dist = "constant" | "uniform" | "lognormal" |
/// "empirical", ... }`.
fn fraction(c: &mut Checker, field: &str, v: &Spanned<toml::Value>) -> Option<Fraction> {
    let at = v.span().start;
    let number = |x: &toml::Value| x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
    let bad = |c: &mut Checker, msg: String| {
        c.error_hint(
            at,
            field,
            msg,
            "write a fraction of pay-as-you-go such as 0.2, or { dist = \"uniform\", low = 0.1, high = 0.4 }, { dist = \"lognormal\", median = 0.15, p95 = 0.4 }, { dist = \"empirical\", values = [0.12, 0.2, 0.35] }".into(),
        );
        None
    };
    let in_range = |x: f64| x.is_finite() && x >= 0.0;
    if let Some(x) = number(v.get_ref()) {
        return if in_range(x) && x <= 1.0 {
            Some(Fraction::Constant(x))
        } else {
            bad(
                c,
                format!("must be from 0 to 1 (Spot never costs more than pay-as-you-go), got {x}"),
            )
        };
    }
    let Some(t) = v.get_ref().as_table() else {
        return bad(c, "must be a number or a distribution table".into());
    };
    let get = |k: &str| t.get(k).and_then(number);
    let dist = t.get("dist").and_then(|d| d.as_str()).unwrap_or("");
    let allowed: &[&str] = match dist {
        "constant" => &["dist", "value"],
        "uniform" => &["dist", "low", "high"],
        "lognormal" => &["dist", "median", "p95"],
        "empirical" => &["dist", "values"],
        _ => return bad(c, format!("unknown dist `{dist}` for a fraction")),
    };
    if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
        return bad(c, format!("`{k}` does not apply to dist = \"{dist}\""));
    }
    match dist {
        "constant" => match get("value") {
            Some(x) if in_range(x) && x <= 1.0 => Some(Fraction::Constant(x)),
            _ => bad(c, "constant needs value from 0 to 1".into()),
        },
        "uniform" => match (get("low"), get("high")) {
            (Some(lo), Some(hi)) if in_range(lo) && hi.is_finite() && lo < hi => {
                Some(Fraction::Uniform { low: lo, high: hi })
            }
            _ => bad(c, "uniform needs low and high, 0 <= low < high".into()),
        },
        "lognormal" => match (get("median"), get("p95")) {
            (Some(m), Some(p)) if m > 0.0 && p.is_finite() && p > m => {
                Some(Fraction::lognormal_median_p95(m, p))
            }
            _ => bad(c, "lognormal needs median and p95, 0 < median < p95".into()),
        },
        _ => {
            let values: Option<Vec<f64>> = t
                .get("values")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().map(number).collect::<Option<Vec<f64>>>())
                .unwrap_or(None);
            match values {
                Some(v) if !v.is_empty() && v.iter().all(|&x| in_range(x)) => {
                    Some(Fraction::Empirical(Arc::from(v)))
                }
                _ => bad(
                    c,
                    "empirical needs values, a list of fractions of zero or more".into(),
                ),
            }
        }
    }
}

fn diag(path: &Path, line: usize, field: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line,
        column: 1,
        field: field.into(),
        message,
        hint: None,
    }
}

/// Seconds since 1970 of `2026-05-01` or `2026-05-01T06:00:00` (with an optional `Z`).
fn timestamp(s: &str) -> Option<f64> {
    let s = s.trim().trim_end_matches('Z');
    if let Some(day) = date::parse(s).filter(|_| s.len() == 10) {
        return Some(day as f64 * 86_400.0);
    }
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok()?;
    Some(t.and_utc().timestamp() as f64)
}

/// A CSV of `time,spot_price_usd_per_hour`, in time order: the prices observed, each holding
/// until the next (the last for the median gap between observations).
pub(super) fn observed(path: &Path) -> Result<SpotPriceModel, Vec<Diagnostic>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| vec![diag(path, 0, "observed", format!("cannot read: {e}"))])?;
    let headers = reader
        .headers()
        .map_err(|e| vec![diag(path, 1, "header", e.to_string())])?
        .clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(tc), Some(pc)) = (col("time"), col("spot_price_usd_per_hour")) else {
        return Err(vec![diag(
            path,
            1,
            "header",
            "a Spot price history needs the columns time,spot_price_usd_per_hour".into(),
        )]);
    };
    let mut errors = vec![];
    let mut rows: Vec<(f64, f64)> = vec![];
    for (i, rec) in reader.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| p.line() as usize);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(diag(path, line, "row", e.to_string()));
                continue;
            }
        };
        let t = rec.get(tc).unwrap_or("");
        let Some(secs) = timestamp(t) else {
            errors.push(diag(
                path,
                line,
                "time",
                format!("must be a date or date-time such as 2026-05-01T06:00:00, got `{t}`"),
            ));
            continue;
        };
        let p = rec.get(pc).unwrap_or("");
        let Some(price) = p.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0) else {
            errors.push(diag(
                path,
                line,
                "spot_price_usd_per_hour",
                format!("must be a price of zero or more, got `{p}`"),
            ));
            continue;
        };
        if let Some(&(prev, _)) = rows.last()
            && secs <= prev
        {
            errors.push(diag(
                path,
                line,
                "time",
                format!("`{t}` is not after the row before: list observations in time order"),
            ));
            continue;
        }
        rows.push((secs, price));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(diag(path, 2, "time", "no observations".into()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let first = rows[0].0;
    let mut gaps: Vec<f64> = rows.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_by(f64::total_cmp);
    let last_for = gaps.get(gaps.len() / 2).copied().unwrap_or(86_400.0);
    Ok(SpotPriceModel::Observed {
        points: rows
            .iter()
            .map(|&(t, p)| (from_secs_f64(t - first), p))
            .collect(),
        last_for: from_secs_f64(last_for),
    })
}
