//! Raw scenario → validated [`Scenario`]: ranges, cross-field rules, defaults, catalog lookups.

use super::diagnostic::{Diagnostic, Severity, SourceMap};
use super::duration::{Dur, format_duration, parse_duration};
use super::raw::{RawArrivals, RawCompute, RawDist, RawScenario, RawWorkload};
use super::{
    DEFAULT_REPLICATIONS, DEFAULT_SAMPLE_INTERVAL_S, DEFAULT_SEED, LoadError, Loaded,
    MAX_REPLICATIONS, Scenario,
};
use crate::catalog::Catalog;
use crate::engine::Sampler;
use crate::engine::time::from_secs_f64;
use crate::model::System;
use crate::targets::defaults as d;
use crate::targets::{ClusterSpec, TargetKind, TargetSpec, Tier};
use crate::workload::{PoissonArrivals, WorkloadSpec};
use std::collections::HashMap;
use std::path::Path;
use toml::Spanned;

/// Compute `type`s capsim knows the name of but does not model yet.
const PLANNED_TYPES: &[&str] = &[
    "computeinstance",
    "serverless",
    "kubernetes",
    "remote_vm",
    "attached",
    "spark_pool",
    "databricks",
    "hdinsight",
    "data_lake_analytics",
    "batch",
    "local",
];

struct Checker<'a> {
    map: SourceMap<'a>,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, offset: usize, field: &str, message: impl Into<String>) {
        let d = self.map.diag(Severity::Error, offset, field, message);
        self.diags.push(d);
    }

    fn error_hint(&mut self, offset: usize, field: &str, message: impl Into<String>, hint: String) {
        let mut d = self.map.diag(Severity::Error, offset, field, message);
        d.hint = Some(hint);
        self.diags.push(d);
    }

    fn warn(&mut self, offset: usize, field: &str, message: impl Into<String>) {
        let d = self.map.diag(Severity::Warning, offset, field, message);
        self.diags.push(d);
    }

    /// An integer field within `[min, max]`, or `default` when absent; on error, the default too
    /// (so checking can go on and report everything).
    fn int(
        &mut self,
        v: &Option<Spanned<i64>>,
        field: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> u64 {
        match v {
            None => default,
            Some(s) => {
                let x = *s.get_ref();
                if x < min as i64 || x as u64 > max {
                    let range = if max == u64::MAX {
                        format!("at least {min}")
                    } else {
                        format!("from {min} to {max}")
                    };
                    self.error(s.span().start, field, format!("must be {range}, got {x}"));
                    default
                } else {
                    x as u64
                }
            }
        }
    }

    /// A finite duration that is positive (or non-negative with `allow_zero`), in seconds.
    fn dur(&mut self, v: &Spanned<Dur>, field: &str, allow_zero: bool) -> Option<f64> {
        let x = v.get_ref().0;
        let at = v.span().start;
        if !x.is_finite() {
            self.error(at, field, format!("must be a finite duration, got {x}"));
            None
        } else if x < 0.0 || (x == 0.0 && !allow_zero) {
            let want = if allow_zero {
                "zero or more"
            } else {
                "greater than zero"
            };
            self.error(at, field, format!("must be {want}, got {}", fmt_secs(x)));
            None
        } else {
            Some(x)
        }
    }

    fn positive(&mut self, v: &Spanned<f64>, field: &str) -> Option<f64> {
        let x = *v.get_ref();
        if !x.is_finite() || x <= 0.0 {
            self.error(
                v.span().start,
                field,
                format!("must be a finite number greater than zero, got {x}"),
            );
            None
        } else {
            Some(x)
        }
    }
}

fn fmt_secs(x: f64) -> String {
    if x < 0.0 {
        format!("-{}", format_duration(-x))
    } else {
        format_duration(x)
    }
}

pub(super) fn validate(path: &Path, text: &str) -> Result<Loaded, LoadError> {
    let map = SourceMap::new(path, text);
    let raw: RawScenario = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let mut field = map.field_at(offset);
            let message = e.message().trim().to_string();
            // For an unknown key the span covers the key itself: name it in the path.
            if let Some(key) = message
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                let parent = field.rsplit_once('.').map(|(p, _)| p.to_string());
                let on_key = e
                    .span()
                    .is_some_and(|s| text.get(s).is_some_and(|t| t.trim_matches('"') == key));
                field = match (on_key, parent, field.is_empty()) {
                    (true, Some(p), _) => format!("{p}.{key}"),
                    (true, None, _) | (_, _, true) => key.to_string(),
                    (false, _, false) => format!("{field}.{key}"),
                };
            }
            let mut diag = map.diag(Severity::Error, offset, field, message);
            if diag.message.starts_with("unknown field") {
                diag.hint = Some(
                    "check the spelling; the fields this table accepts are listed above".into(),
                );
            }
            return Err(LoadError::Invalid {
                errors: vec![diag],
                warnings: vec![],
            });
        }
    };
    let mut c = Checker { map, diags: vec![] };
    let scenario = build(&mut c, path, text, raw);
    let (errors, warnings): (Vec<_>, Vec<_>) = c
        .diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match scenario {
        Some(s) if errors.is_empty() => Ok(Loaded {
            scenario: s,
            warnings,
        }),
        _ => Err(LoadError::Invalid { errors, warnings }),
    }
}

fn build(c: &mut Checker, path: &Path, text: &str, raw: RawScenario) -> Option<Scenario> {
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            c.error(n.span().start, "name", "must not be empty");
            String::new()
        }
        Some(n) => n.get_ref().clone(),
        None => path
            .file_stem()
            .map_or("scenario".into(), |s| s.to_string_lossy().into_owned()),
    };
    let horizon = match &raw.horizon {
        Some(h) => c.dur(h, "horizon", false),
        None => {
            c.error(
                0,
                "horizon",
                "is required: how much time to simulate, e.g. horizon = \"30d\"",
            );
            None
        }
    };
    let warmup = match &raw.warmup {
        Some(w) => c.dur(w, "warmup", true),
        None => Some(0.0),
    };
    if let (Some(h), Some(w), Some(ws)) = (horizon, warmup, &raw.warmup)
        && w >= h
    {
        c.error(
            ws.span().start,
            "warmup",
            format!(
                "must be shorter than the horizon ({}), got {}",
                format_duration(h),
                format_duration(w)
            ),
        );
    }
    let replications = c.int(
        &raw.replications,
        "replications",
        DEFAULT_REPLICATIONS,
        1,
        MAX_REPLICATIONS,
    );
    let seed = c.int(&raw.seed, "seed", DEFAULT_SEED, 0, i64::MAX as u64);
    let sample_interval = match &raw.sample_interval {
        Some(s) => c.dur(s, "sample_interval", false),
        None => Some(DEFAULT_SAMPLE_INTERVAL_S),
    };

    if raw.compute.is_empty() {
        c.error(0, "compute", "at least one [[compute]] target is required");
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut target_index: HashMap<String, usize> = HashMap::new();
    let mut targets = vec![];
    for (i, rc) in raw.compute.iter().enumerate() {
        let rc = rc.get_ref();
        let label = label("compute", i, rc.name.get_ref());
        if let Some(t) = compute(c, &label, rc, dir) {
            if target_index.insert(t.name.clone(), targets.len()).is_some() {
                c.error(
                    rc.name.span().start,
                    &format!("{label}.name"),
                    format!("`{}` is used by another compute target", t.name),
                );
            }
            targets.push(t);
        }
    }
    let mut workloads = vec![];
    let mut workload_names: HashMap<String, ()> = HashMap::new();
    if raw.workload.is_empty() {
        c.warn(
            0,
            "workload",
            "no [[workload]]: the targets will only show their idle cost",
        );
    }
    for (i, rw) in raw.workload.iter().enumerate() {
        let rw = rw.get_ref();
        let label = label("workload", i, rw.name.get_ref());
        if workload_names
            .insert(rw.name.get_ref().clone(), ())
            .is_some()
        {
            c.error(
                rw.name.span().start,
                &format!("{label}.name"),
                format!("`{}` is used by another workload", rw.name.get_ref()),
            );
        }
        if let Some(w) = workload(c, &label, rw, &target_index, &targets, &raw.compute, dir) {
            workloads.push(w);
        }
    }

    let (horizon, warmup, sample_interval) = (horizon?, warmup?, sample_interval?);
    if c.diags.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    Some(Scenario {
        name,
        file: path.to_path_buf(),
        source: text.to_string(),
        seed,
        replications,
        system: System {
            targets,
            workloads,
            horizon: from_secs_f64(horizon),
            warmup: from_secs_f64(warmup),
            sample_interval: from_secs_f64(sample_interval),
        },
    })
}

/// `compute.gpu-cluster` when the name is usable, else `compute[0]`.
fn label(section: &str, i: usize, name: &str) -> String {
    if name.trim().is_empty() {
        format!("{section}[{i}]")
    } else {
        format!("{section}.{name}")
    }
}

fn compute(c: &mut Checker, label: &str, rc: &RawCompute, dir: &Path) -> Option<TargetSpec> {
    let name = rc.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(
            rc.name.span().start,
            &format!("{label}.name"),
            "must not be empty",
        );
    }
    let kind = rc.kind.get_ref().to_ascii_lowercase();
    let f = |s: &str| format!("{label}.{s}");
    if kind != "amlcompute" {
        let at = rc.kind.span().start;
        if PLANNED_TYPES.contains(&kind.as_str()) {
            c.error(
                at,
                &f("type"),
                format!("compute type `{kind}` is not modelled yet"),
            );
        } else {
            c.error_hint(
                at,
                &f("type"),
                format!("unknown compute type `{}`", rc.kind.get_ref()),
                "supported: amlcompute".into(),
            );
        }
        return None;
    }
    let catalog = Catalog::builtin();
    let size_name = rc
        .size
        .as_ref()
        .map_or(d::AMLCOMPUTE_SIZE, |s| s.get_ref().as_str());
    let size_at = rc
        .size
        .as_ref()
        .map_or(rc.name.span().start, |s| s.span().start);
    let vm = catalog.get(size_name);
    if vm.is_none() && rc.price_usd_per_hour.is_none() {
        c.error_hint(
            size_at,
            &f("size"),
            format!("unknown VM size `{size_name}`"),
            format!(
                "closest catalog sizes: {}",
                catalog.closest(size_name, 3).join(", ")
            ),
        );
    }
    let min = c.int(
        &rc.min_instances,
        &f("min_instances"),
        d::AMLCOMPUTE_MIN_INSTANCES as u64,
        0,
        d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
    ) as u32;
    let max = c.int(
        &rc.max_instances,
        &f("max_instances"),
        d::AMLCOMPUTE_MAX_INSTANCES as u64,
        1,
        d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
    ) as u32;
    if min > max {
        let at = rc.min_instances.as_ref().map_or(0, |s| s.span().start);
        c.error(
            at,
            &f("min_instances"),
            format!("must not exceed max_instances ({max}), got {min}"),
        );
    }
    let idle = match &rc.idle_time_before_scale_down {
        Some(v) => c.dur(v, &f("idle_time_before_scale_down"), true),
        None => Some(d::AMLCOMPUTE_IDLE_TIME_BEFORE_SCALE_DOWN_S),
    };
    let tier = match rc.tier.as_ref().map(|t| t.get_ref().to_ascii_lowercase()) {
        None => Tier::Dedicated,
        Some(t) if t == "dedicated" => Tier::Dedicated,
        Some(t) if t == "low_priority" || t == "lowpriority" => Tier::LowPriority,
        Some(t) => {
            let at = rc.tier.as_ref().map_or(0, |s| s.span().start);
            c.error_hint(
                at,
                &f("tier"),
                format!("unknown tier `{t}`"),
                "use \"dedicated\" or \"low_priority\"".into(),
            );
            Tier::Dedicated
        }
    };
    let provisioning = match &rc.provisioning_time {
        Some(p) => dist(c, &f("provisioning_time"), p, true, dir),
        None => Some(Sampler::lognormal_median_p95_s(
            d::ASSUMED_PROVISIONING_MEDIAN_S,
            d::ASSUMED_PROVISIONING_P95_S,
        )),
    };
    let (price, price_source) = match (&rc.price_usd_per_hour, vm) {
        (Some(p), _) => (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override".to_string(),
        ),
        (None, Some(vm)) => {
            let (price, what) = match tier {
                Tier::Dedicated => (vm.price_usd_per_hour, "list price"),
                Tier::LowPriority => (
                    vm.low_priority_price_usd_per_hour,
                    "low-priority (spot) price",
                ),
            };
            if price.is_none() {
                c.error_hint(
                    size_at,
                    &f("size"),
                    format!("the catalog has no {what} for `{}`", vm.size),
                    "give the price with price_usd_per_hour".into(),
                );
            }
            (
                price,
                format!(
                    "catalog {what}, {} {}, {}",
                    vm.price_region, vm.price_date, vm.price_source
                ),
            )
        }
        (None, None) => (None, String::new()),
    };
    Some(TargetSpec {
        name,
        price_source,
        kind: TargetKind::AmlCompute(ClusterSpec {
            size: vm.map_or(size_name.to_string(), |v| v.size.clone()),
            min_instances: min,
            max_instances: max,
            idle_time_before_scale_down: Some(from_secs_f64(idle?)),
            tier,
            provisioning_time: provisioning?,
            backfill: rc.backfill.unwrap_or(false),
            price_usd_per_hour: price?,
        }),
    })
}

#[allow(clippy::too_many_arguments)]
fn workload(
    c: &mut Checker,
    label: &str,
    rw: &RawWorkload,
    target_index: &HashMap<String, usize>,
    targets: &[TargetSpec],
    raw_computes: &[Spanned<RawCompute>],
    dir: &Path,
) -> Option<WorkloadSpec> {
    let f = |s: &str| format!("{label}.{s}");
    let name = rw.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(rw.name.span().start, &f("name"), "must not be empty");
    }
    let target = target_index.get(rw.compute.get_ref()).copied();
    if target.is_none() {
        let known: Vec<&str> = raw_computes
            .iter()
            .map(|r| r.get_ref().name.get_ref().as_str())
            .collect();
        let declared = known.iter().any(|k| *k == rw.compute.get_ref());
        if !declared {
            c.error_hint(
                rw.compute.span().start,
                &f("compute"),
                format!("no compute target named `{}`", rw.compute.get_ref()),
                if known.is_empty() {
                    "declare it in a [[compute]] table".into()
                } else {
                    format!("declared targets: {}", known.join(", "))
                },
            );
        }
    }
    let arrivals = arrivals(
        c,
        &f("arrivals"),
        rw.arrivals.get_ref(),
        rw.arrivals.span().start,
    );
    let duration = dist(c, &f("duration"), &rw.duration, false, dir);
    let instance_count = c.int(
        &rw.instance_count,
        &f("instance_count"),
        1,
        1,
        u32::MAX as u64,
    ) as u32;
    if let (Some(t), Some(ic)) = (target, &rw.instance_count) {
        let max = targets[t].max_nodes();
        if instance_count > max {
            c.error(
                ic.span().start,
                &f("instance_count"),
                format!(
                    "a job needs {instance_count} nodes but `{}` has max_instances = {max}: it could never start",
                    targets[t].name
                ),
            );
        }
    }
    Some(WorkloadSpec {
        name,
        target: target?,
        arrivals: arrivals?,
        duration: duration?,
        instance_count,
    })
}

fn arrivals(c: &mut Checker, label: &str, ra: &RawArrivals, at: usize) -> Option<PoissonArrivals> {
    let f = |s: &str| format!("{label}.{s}");
    let process = ra.process.get_ref().to_ascii_lowercase();
    if process != "poisson" {
        c.error_hint(
            ra.process.span().start,
            &f("process"),
            format!("unknown arrival process `{}`", ra.process.get_ref()),
            "supported: poisson".into(),
        );
        return None;
    }
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
        [(Some(v), name, scale)] => c.positive(v, &f(name)).map(|r| r * scale),
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

/// Builds a sampler of durations. `allow_zero` admits distributions that are always zero
/// (instant provisioning); job durations must have a positive mean.
fn dist(
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
    let params: [(&str, bool); 9] = [
        ("value", rd.value.is_some()),
        ("mean", rd.mean.is_some()),
        ("median", rd.median.is_some()),
        ("p95", rd.p95.is_some()),
        ("cv", rd.cv.is_some()),
        ("min", rd.min.is_some()),
        ("max", rd.max.is_some()),
        ("file", rd.file.is_some()),
        ("column", rd.column.is_some()),
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
        if given && !allowed.contains(&p) {
            c.error(
                at,
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
