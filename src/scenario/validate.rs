//! Raw scenario → validated [`Scenario`]: ranges, cross-field rules, defaults, catalog lookups.

use super::keys::{self, Schema, fields_of};
use super::raw::{
    RawArrivals, RawCompute, RawDist, RawPreemption, RawScenario, RawSchedule, RawWorkload,
};
use super::{
    DEFAULT_REPLICATIONS, DEFAULT_SAMPLE_INTERVAL_S, DEFAULT_SEED, LoadError, LoadOptions, Loaded,
    MAX_REPLICATIONS, Scenario,
};
use crate::catalog::{Catalog, VmSize};
use crate::engine::Sampler;
use crate::engine::time::from_secs_f64;
use crate::model::System;
use crate::targets::defaults as d;
use crate::targets::instance::{DailySchedule, Power, state_at_zero, weekly_actions};
use crate::targets::job_kinds;
use crate::targets::{ClusterSpec, InstanceSpec, ServerlessSpec, TargetKind, TargetSpec, Tier};
use crate::text::date;
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::text::duration::{Dur, format_duration, parse_duration};
use crate::workload::trace::{self, OnBadRow, TimeFormat, TraceSpec};
use crate::workload::{
    ArrivalSpec, MmppArrivals, PoissonArrivals, TraceJob, TraceJobs, WorkloadSpec,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// `[[endpoint]]` and `[[traffic]]` (a child module, so it shares the checker and context).
#[path = "endpoint.rs"]
mod endpoint;

/// `[[endpoint]] type = "batch"` and its `[[traffic]]` (a child module, like `endpoint`).
#[path = "batch.rs"]
mod batch;
#[path = "trace_filters.rs"]
mod trace_filters;

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

    /// One error at `at` for each field of `fields` that is given (`true`): keys that do not
    /// apply where they stand.
    fn refuse(
        &mut self,
        at: usize,
        field: &impl Fn(&str) -> String,
        fields: &[(&str, bool)],
        message: &str,
    ) {
        for (name, given) in fields {
            if *given {
                self.error(at, &field(name), message);
            }
        }
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
        } else if x > MAX_DURATION_S {
            // Simulated time is a u64 of microseconds; a cap far below its range keeps every
            // `now + duration` in the engine from overflowing.
            self.error(
                at,
                field,
                format!("must be at most 10,000 years, got {}", fmt_secs(x)),
            );
            None
        } else if x > 0.0 && x < 1e-6 {
            self.error(
                at,
                field,
                format!("is below the simulation's resolution of one microsecond, got {x} s"),
            );
            None
        } else {
            Some(x)
        }
    }

    fn non_negative(&mut self, v: &Spanned<f64>, field: &str) -> Option<f64> {
        let x = *v.get_ref();
        if !x.is_finite() || x < 0.0 {
            self.error(
                v.span().start,
                field,
                format!("must be a finite number of zero or more, got {x}"),
            );
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

fn schema() -> Schema {
    let dist = || Schema {
        fields: fields_of::<RawDist>(),
        children: vec![],
        free: &[],
    };
    Schema {
        fields: fields_of::<RawScenario>(),
        free: &["quota"],
        children: vec![
            (
                "compute",
                Schema {
                    fields: fields_of::<RawCompute>(),
                    children: vec![
                        ("provisioning_time", dist()),
                        ("start_time", dist()),
                        ("startup_time", dist()),
                        (
                            "preemption",
                            Schema {
                                fields: fields_of::<RawPreemption>(),
                                children: vec![],
                                free: &[],
                            },
                        ),
                        (
                            "schedules",
                            Schema {
                                fields: fields_of::<RawSchedule>(),
                                children: vec![],
                                free: &[],
                            },
                        ),
                    ],
                    free: &[],
                },
            ),
            (
                "workload",
                Schema {
                    fields: fields_of::<RawWorkload>(),
                    free: &["speedup"],
                    children: vec![
                        (
                            "arrivals",
                            Schema {
                                fields: fields_of::<RawArrivals>(),
                                children: vec![],
                                free: &[],
                            },
                        ),
                        ("duration", dist()),
                    ],
                },
            ),
        ]
        .into_iter()
        .chain(endpoint::schemas())
        .collect(),
    }
}

/// A serde error as a located diagnostic.
fn serde_diag(c: &mut Checker, e: &toml::de::Error) {
    let offset = e.span().map_or(0, |s| s.start);
    let field = c.map.field_at(offset);
    // serde names the Rust types it expected; say what the user should write instead.
    let mut message = e.message().trim().to_string();
    for (ty, say) in [
        (
            "struct RawDist",
            "a distribution table such as { dist = \"exponential\", mean = \"5m\" }",
        ),
        (
            "struct RawArrivals",
            "an arrivals table such as { process = \"poisson\", rate_per_hour = 3.0 }",
        ),
        (
            "struct RawPreemption",
            "a table such as { mean_time_between = \"6h\" }",
        ),
        ("struct RawCompute", "a [[compute]] table"),
        ("struct RawEndpoint", "an [[endpoint]] table"),
        ("struct RawTraffic", "a [[traffic]] table"),
        (
            "struct RawRequestSettings",
            "a table such as { max_concurrent_requests_per_instance = 2, request_timeout_ms = 5000 }",
        ),
        (
            "struct RawAutoscale",
            "an autoscale table such as { min = 2, max = 8, rules = [...] }",
        ),
        (
            "struct RawRule",
            "a rule such as { metric = \"CpuUtilizationPercentage\", operator = \">\", threshold = 70, direction = \"increase\" }",
        ),
        (
            "struct RawProfile",
            "a [[endpoint.autoscale.profiles]] table",
        ),
        (
            "struct RawSlo",
            "a table such as { latency_ms = 500, percentile = 95 }",
        ),
        (
            "struct RawTokenModel",
            "a token model table such as { input_column = \"ContextTokens\", output_column = \"GeneratedTokens\", base_ms = 50, per_input_token_ms = 0.1, per_output_token_ms = 25 }",
        ),
        (
            "struct RawTokenCost",
            "a table such as { base_ms = 50, per_input_token_ms = 0.1, per_output_token_ms = 25 }",
        ),
        ("struct RawWorkload", "a [[workload]] table"),
        ("struct RawScenario", "a scenario document"),
    ] {
        message = message.replace(ty, say);
    }
    let d = c.map.diag(Severity::Error, offset, field, message);
    c.diags.push(d);
}

/// The longest duration a scenario may give (10,000 years: far inside the u64 microsecond clock,
/// and long enough for high-utilisation queueing checks, which simulate centuries of hours).
const MAX_DURATION_S: f64 = 10_000.0 * 365.25 * 86_400.0;

/// Text → raw structs, collecting every syntax error, every unknown key, and the first type
/// error of each table (serde stops inside a table at its first error).
/// Text → TOML document, reporting every syntax error.
pub(super) fn parse_doc<'t>(path: &Path, text: &'t str) -> Result<Spanned<DeTable<'t>>, LoadError> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        return Ok(doc);
    }
    let mut c = Checker {
        map: SourceMap::new(path, text),
        diags: vec![],
    };
    for e in &errors {
        serde_diag(&mut c, e);
    }
    Err(LoadError::Invalid {
        errors: c.diags,
        warnings: vec![],
    })
}

/// Document → raw structs, collecting every unknown key and the first type error of each table
/// (serde stops inside a table at its first error).
fn parse_raw(c: &mut Checker, doc: Spanned<DeTable<'_>>) -> Option<RawScenario> {
    let mut unknown = vec![];
    keys::check(doc.get_ref(), &schema(), "", &mut unknown);
    if !unknown.is_empty() {
        for u in unknown {
            let message = format!("unknown field `{}`", u.key);
            let hint = match u.suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("this table accepts: {}", u.known.join(", ")),
            };
            let mut d = c.map.diag(Severity::Error, u.offset, u.path, message);
            d.hint = Some(hint);
            c.diags.push(d);
        }
        return None;
    }
    // The arrays of tables are deserialised one element at a time so that a type error in one
    // compute target does not hide the errors in the others.
    let span = doc.span();
    let mut top = doc.into_inner();
    let mut parts: Vec<(&str, Vec<Spanned<DeValue<'_>>>)> = vec![];
    for key in ["compute", "workload"] {
        let items = match top.remove(key) {
            Some(v) => {
                let at = v.span().start;
                match v.into_inner() {
                    DeValue::Array(a) => a.into_iter().collect(),
                    other => {
                        c.error(
                            at,
                            key,
                            format!(
                                "must be an array of tables ([[{key}]]), got a {}",
                                other.type_str()
                            ),
                        );
                        return None;
                    }
                }
            }
            None => vec![],
        };
        parts.push((key, items));
    }
    let mut ok = true;
    let mut raw =
        match RawScenario::deserialize(toml::de::Deserializer::from(Spanned::new(span, top))) {
            Ok(r) => Some(r),
            Err(e) => {
                serde_diag(c, &e);
                ok = false;
                None
            }
        };
    let mut computes = vec![];
    let mut workloads = vec![];
    for (key, items) in parts {
        for item in items {
            let de = toml::de::ValueDeserializer::from(item);
            if key == "compute" {
                match Spanned::<RawCompute>::deserialize(de) {
                    Ok(v) => computes.push(v),
                    Err(e) => {
                        serde_diag(c, &e);
                        ok = false;
                    }
                }
            } else {
                match Spanned::<RawWorkload>::deserialize(de) {
                    Ok(v) => workloads.push(v),
                    Err(e) => {
                        serde_diag(c, &e);
                        ok = false;
                    }
                }
            }
        }
    }
    if !ok {
        return None;
    }
    if let Some(r) = raw.as_mut() {
        r.compute = computes;
        r.workload = workloads;
    }
    raw
}

pub(super) fn validate(
    path: &Path,
    text: &str,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    validate_doc(path, text, parse_doc(path, text)?, options)
}

/// Validates a parsed document; `text` is the source its spans point into.
pub(super) fn validate_doc(
    path: &Path,
    text: &str,
    doc: Spanned<DeTable<'_>>,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let map = SourceMap::new(path, text);
    let mut c = Checker { map, diags: vec![] };
    let scenario = parse_raw(&mut c, doc).and_then(|raw| build(&mut c, path, text, raw, options));
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

/// Scenario-wide context the per-target checks need.
struct Context<'a> {
    dir: &'a Path,
    catalog: &'a Catalog,
    prices: Option<super::prices::PriceTable>,
    discount: f64,
    /// Days since 1970-01-01 of simulated time zero, and of the horizon's end.
    start_day: i64,
    end_day: Option<i64>,
    /// vCPU quota by normalised family name, with the key's location.
    quota: BTreeMap<String, (u64, usize, String)>,
    /// What each cluster asks of a family's quota: family → (cluster label, vCPUs).
    quota_use: BTreeMap<String, Vec<(String, u64)>>,
}

/// Series names compared loosely: case, spaces, underscores and the "(newer)" tag ignored.
fn family_key(series: &str) -> String {
    series
        .replace("(newer)", "")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn build(
    c: &mut Checker,
    path: &Path,
    text: &str,
    raw: RawScenario,
    options: &LoadOptions,
) -> Option<Scenario> {
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
        && from_secs_f64(w) >= from_secs_f64(h)
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
    let start_day = match &raw.start_date {
        None => options.today.unwrap_or_else(date::today),
        Some(d) => match d.get_ref().date.filter(|_| d.get_ref().time.is_none()) {
            Some(dt) => date::days_from_civil(dt.year as i64, dt.month as u32, dt.day as u32),
            None => {
                c.error(
                    d.span().start,
                    "start_date",
                    "must be a date such as 2026-12-01 (no time of day)",
                );
                options.today.unwrap_or_else(date::today)
            }
        },
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let prices = match (&options.prices_file, &raw.prices) {
        (Some(file), _) => load_prices(c, file, None),
        (None, Some(p)) => load_prices(c, &dir.join(p.get_ref()), Some(p.span().start)),
        (None, None) => None,
    };
    let discount = match &raw.discount {
        None => 0.0,
        Some(d) => {
            let x = *d.get_ref();
            if !(0.0..1.0).contains(&x) {
                c.error(
                    d.span().start,
                    "discount",
                    format!(
                        "must be a fraction from 0 (none) to below 1, e.g. 0.2 for 20% off; got {x}"
                    ),
                );
                0.0
            } else {
                x
            }
        }
    };
    let catalog = Catalog::builtin();
    let mut quota = BTreeMap::new();
    if let Some(q) = &raw.quota {
        let families: BTreeMap<String, &str> = catalog
            .sizes()
            .iter()
            .map(|s| (family_key(&s.series), s.series.as_str()))
            .collect();
        for (family, v) in q.get_ref() {
            let at = v.span().start;
            let field = format!("quota.{family}");
            let key = family_key(family);
            if key != "lowpriority" && !families.contains_key(&key) {
                let names: Vec<&str> = families.values().copied().collect();
                let best = names
                    .iter()
                    .min_by_key(|n| crate::catalog::edit_distance(&key, &family_key(n)))
                    .copied()
                    .unwrap_or_default();
                c.error_hint(
                    at,
                    &field,
                    format!("`{family}` is not a VM family of the catalog"),
                    format!("use a series name such as `{best}`, or `low_priority` for the low-priority quota"),
                );
                continue;
            }
            let n = *v.get_ref();
            if n < 0 {
                c.error(
                    at,
                    &field,
                    format!("must be a vCPU count of zero or more, got {n}"),
                );
                continue;
            }
            quota.insert(key, (n as u64, at, family.clone()));
        }
    }
    let mut ctx = Context {
        dir,
        catalog,
        prices,
        discount,
        start_day,
        end_day: horizon.map(|h| start_day + (h / 86_400.0).ceil() as i64),
        quota,
        quota_use: BTreeMap::new(),
    };

    if raw.compute.is_empty() && raw.endpoint.is_empty() {
        c.error_hint(
            0,
            "compute",
            "at least one [[compute]] target is required",
            "or an [[endpoint]] with its [[traffic]]".into(),
        );
    }
    let mut targets = vec![];
    let mut facts: HashMap<String, Facts> = HashMap::new();
    for (i, rc) in raw.compute.iter().enumerate() {
        let rc = rc.get_ref();
        let label = label("compute", i, rc.name.get_ref());
        let name = rc.name.get_ref().trim().to_string();
        if facts.contains_key(&name) {
            c.error(
                rc.name.span().start,
                &format!("{label}.name"),
                format!("`{name}` is used by another compute target"),
            );
        }
        let (target, f) = compute(c, &label, rc, &mut ctx);
        facts.insert(
            name,
            Facts {
                index: target.as_ref().map(|_| targets.len()),
                ..f
            },
        );
        targets.extend(target);
    }
    // Azure's family quota is shared by every cluster of the family in the region: their
    // max_instances together must fit too.
    for (key, users) in &ctx.quota_use {
        let total: u64 = users.iter().map(|(_, n)| n).sum();
        if users.len() > 1
            && let Some((limit, at, name)) = ctx.quota.get(key)
            && total > *limit
        {
            let parts: Vec<String> = users
                .iter()
                .map(|(who, n)| format!("{who} ({n})"))
                .collect();
            c.error_hint(
                *at,
                &format!("quota.{name}"),
                format!(
                    "the clusters of this family need {total} vCPUs together at max_instances ({}), but [quota] {name} allows {limit}",
                    parts.join(" + ")
                ),
                "Azure shares a family's quota between clusters: lower their max_instances or raise the quota".into(),
            );
        }
    }
    let mut workloads = vec![];
    let mut workload_names: HashMap<String, ()> = HashMap::new();
    let compute_names: std::collections::HashSet<String> = facts.keys().cloned().collect();
    let (endpoints, traffic) =
        endpoint::build(c, &raw, &mut ctx, raw.compute.len(), &compute_names);
    if raw.workload.is_empty() && raw.endpoint.is_empty() {
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
        if let Some(w) = workload(c, &label, rw, &facts, dir) {
            workloads.push(w);
        }
    }

    // Batch deployments borrow their cluster's size and price, so they come after the compute
    // targets; their invocations run as workloads on the cluster, after the [[workload]]s.
    let taken: std::collections::HashSet<String> = workload_names.keys().cloned().collect();
    let (batch_endpoints, batch_workloads) = batch::build(
        c,
        &raw,
        &facts,
        &targets,
        raw.compute.len() + endpoints.len(),
        &taken,
        dir,
    );
    let (horizon, warmup, sample_interval) = (horizon?, warmup?, sample_interval?);
    if c.diags.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    // Every table either became a target or workload or reported why not: a silent drop would
    // simulate less than the file says.
    assert_eq!(
        targets.len(),
        raw.compute.len(),
        "a compute target was dropped without an error"
    );
    assert_eq!(
        workloads.len(),
        raw.workload.len(),
        "a workload was dropped without an error"
    );
    if endpoints.len() + batch_endpoints.len() != raw.endpoint.len()
        || traffic.len() + batch_workloads.len() != raw.traffic.len()
    {
        c.error(
            0,
            "endpoint",
            "an endpoint or traffic table could not be built (a bug: please report it with the scenario)",
        );
        return None;
    }
    targets.extend(endpoints);
    targets.extend(batch_endpoints);
    workloads.extend(batch_workloads);
    if targets.len() > crate::model::MAX_TARGETS {
        c.error(
            0,
            "compute",
            format!(
                "{} compute targets and endpoints; a scenario may have at most {}",
                targets.len(),
                crate::model::MAX_TARGETS
            ),
        );
        return None;
    }
    Some(Scenario {
        name,
        file: path.to_path_buf(),
        source: std::sync::Arc::from(text),
        seed,
        replications,
        start_date: date::format(start_day),
        system: System {
            targets,
            workloads,
            traffic,
            horizon: from_secs_f64(horizon),
            warmup: from_secs_f64(warmup),
            sample_interval: from_secs_f64(sample_interval),
        },
    })
}

/// Loads a price list, attaching its errors (which name the CSV's own lines) to the scenario's.
fn load_prices(
    c: &mut Checker,
    file: &Path,
    at: Option<usize>,
) -> Option<super::prices::PriceTable> {
    match super::prices::load(file) {
        Ok(t) => Some(t),
        Err(errors) => {
            if let Some(at) = at {
                c.error(
                    at,
                    "prices",
                    format!("the price list {} has errors (below)", file.display()),
                );
            }
            c.diags.extend(errors);
            None
        }
    }
}

/// `compute.gpu-cluster` when the name is usable, else `compute[0]`.
fn label(section: &str, i: usize, name: &str) -> String {
    if name.trim().is_empty() {
        format!("{section}[{i}]")
    } else {
        format!("{section}.{name}")
    }
}

/// What workloads need to know of a target, even one whose own settings had errors (so that a
/// workload's problems are reported too).
#[derive(Clone)]
struct Facts<'a> {
    /// Its index among the valid targets; `None` when it had errors.
    index: Option<usize>,
    type_name: &'static str,
    max_instances: u32,
    vm: Option<&'a VmSize>,
}

/// How a compute `type` is modelled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    /// `amlcompute`: an autoscaling node pool.
    Autoscaled,
    /// Attached pools with min/max nodes and auto-termination and their own price.
    Attached,
    /// A fixed pool paid around the clock or not at all.
    Fixed,
    Instance,
    Serverless,
}

const TYPES: &[(&str, Group)] = &[
    ("amlcompute", Group::Autoscaled),
    ("computeinstance", Group::Instance),
    ("serverless", Group::Serverless),
    ("kubernetes", Group::Fixed),
    ("remote_vm", Group::Fixed),
    ("attached", Group::Fixed),
    ("local", Group::Fixed),
    ("spark_pool", Group::Attached),
    ("databricks", Group::Attached),
    ("hdinsight", Group::Attached),
    ("data_lake_analytics", Group::Attached),
    ("batch", Group::Attached),
];

/// The fields each group accepts besides name, type, size, price_usd_per_hour, allow_retired.
fn group_fields(g: Group) -> &'static [&'static str] {
    match g {
        Group::Autoscaled => &[
            "min_instances",
            "max_instances",
            "idle_time_before_scale_down",
            "tier",
            "provisioning_time",
            "backfill",
            "preemption",
            "checkpoint_interval",
        ],
        Group::Attached => &[
            "min_instances",
            "max_instances",
            "idle_time_before_scale_down",
            "provisioning_time",
            "backfill",
        ],
        Group::Fixed => &["instance_count", "billing", "backfill"],
        Group::Instance => &[
            "idle_time_before_shutdown",
            "start_time",
            "initial_state",
            "max_concurrent_jobs",
            "disk_usd_per_month",
            "load_balancer_usd_per_day",
            "schedules",
        ],
        Group::Serverless => &[
            "job_tier",
            "quota_vcpus",
            "startup_time",
            "preemption",
            "checkpoint_interval",
        ],
    }
}

fn given_fields(rc: &RawCompute) -> Vec<(&'static str, usize)> {
    let at = |o: Option<usize>| o;
    let mut v: Vec<(&'static str, Option<usize>)> = vec![
        (
            "min_instances",
            at(rc.min_instances.as_ref().map(|x| x.span().start)),
        ),
        (
            "max_instances",
            at(rc.max_instances.as_ref().map(|x| x.span().start)),
        ),
        (
            "idle_time_before_scale_down",
            rc.idle_time_before_scale_down
                .as_ref()
                .map(|x| x.span().start),
        ),
        ("tier", rc.tier.as_ref().map(|x| x.span().start)),
        (
            "provisioning_time",
            rc.provisioning_time.as_ref().map(|x| x.span().start),
        ),
        (
            "instance_count",
            rc.instance_count.as_ref().map(|x| x.span().start),
        ),
        ("billing", rc.billing.as_ref().map(|x| x.span().start)),
        (
            "idle_time_before_shutdown",
            rc.idle_time_before_shutdown
                .as_ref()
                .map(|x| x.span().start),
        ),
        ("start_time", rc.start_time.as_ref().map(|x| x.span().start)),
        (
            "initial_state",
            rc.initial_state.as_ref().map(|x| x.span().start),
        ),
        (
            "max_concurrent_jobs",
            rc.max_concurrent_jobs.as_ref().map(|x| x.span().start),
        ),
        (
            "disk_usd_per_month",
            rc.disk_usd_per_month.as_ref().map(|x| x.span().start),
        ),
        (
            "load_balancer_usd_per_day",
            rc.load_balancer_usd_per_day
                .as_ref()
                .map(|x| x.span().start),
        ),
        ("job_tier", rc.job_tier.as_ref().map(|x| x.span().start)),
        (
            "quota_vcpus",
            rc.quota_vcpus.as_ref().map(|x| x.span().start),
        ),
        (
            "startup_time",
            rc.startup_time.as_ref().map(|x| x.span().start),
        ),
        ("preemption", rc.preemption.as_ref().map(|x| x.span().start)),
        ("schedules", rc.schedules.as_ref().map(|x| x.span().start)),
        (
            "checkpoint_interval",
            rc.checkpoint_interval.as_ref().map(|x| x.span().start),
        ),
    ];
    if rc.backfill.is_some() {
        v.push(("backfill", Some(rc.kind.span().start)));
    }
    v.into_iter()
        .filter_map(|(k, a)| a.map(|a| (k, a)))
        .collect()
}

fn compute<'a>(
    c: &mut Checker,
    label: &str,
    rc: &RawCompute,
    ctx: &mut Context<'a>,
) -> (Option<TargetSpec>, Facts<'a>) {
    let mut facts = Facts {
        index: None,
        type_name: "",
        max_instances: u32::MAX,
        vm: None,
    };
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
    let Some(&(type_name, group)) = TYPES.iter().find(|(t, _)| *t == kind) else {
        c.error_hint(
            rc.kind.span().start,
            &f("type"),
            format!("unknown compute type `{}`", rc.kind.get_ref()),
            format!(
                "supported: {}",
                TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
            ),
        );
        return (None, facts);
    };
    facts.type_name = type_name;
    let allowed = group_fields(group);
    let mut misplaced = false;
    for (field, at) in given_fields(rc) {
        if !allowed.contains(&field) {
            c.error(
                at,
                &f(field),
                format!("does not apply to type = \"{type_name}\""),
            );
            misplaced = true;
        }
    }
    // A size is optional for pools priced by the user; the two Azure ML types default to
    // Azure's own default size.
    let default_size =
        matches!(group, Group::Autoscaled | Group::Instance).then_some(d::AMLCOMPUTE_SIZE);
    let size_name = rc
        .size
        .as_ref()
        .map(|s| s.get_ref().as_str())
        .or(default_size);
    if group == Group::Serverless && size_name.is_none() {
        c.error(
            rc.name.span().start,
            &f("size"),
            "is required for serverless jobs (Azure ML's resources.instance_type)",
        );
    }
    let size_at = rc
        .size
        .as_ref()
        .map_or(rc.name.span().start, |s| s.span().start);
    let vm = size_name.and_then(|n| ctx.catalog.get(n));
    facts.vm = vm;
    let user_price = size_name.and_then(|n| ctx.prices.as_ref().and_then(|p| p.get(n).cloned()));
    let free = type_name == "local"
        || rc
            .billing
            .as_ref()
            .is_some_and(|b| b.get_ref().eq_ignore_ascii_case("external"));
    if let Some(n) = size_name
        && vm.is_none()
        && rc.price_usd_per_hour.is_none()
        && user_price.is_none()
        && !free
    {
        c.error_hint(
            size_at,
            &f("size"),
            format!("unknown VM size `{n}`"),
            format!(
                "closest catalog sizes: {}; or price a size of your own with price_usd_per_hour",
                ctx.catalog.closest(n, 3).join(", ")
            ),
        );
    }
    if size_name.is_none() && rc.price_usd_per_hour.is_none() && !free {
        c.error(
            rc.name.span().start,
            &f("price_usd_per_hour"),
            format!("a {type_name} target without a catalog size needs its price per node-hour"),
        );
    }
    if let Some(vm) = vm {
        retirement(
            c,
            &f("size"),
            size_at,
            vm,
            rc.allow_retired.unwrap_or(false),
            ctx,
        );
    }
    let size = vm.map_or(size_name.unwrap_or("").to_string(), |v| v.size.clone());
    match group {
        Group::Autoscaled | Group::Attached | Group::Fixed => {
            let (min, max, idle, provisioning, tier) = if group == Group::Fixed {
                let default_count = u64::from(type_name == "local");
                let n = match &rc.instance_count {
                    None if default_count == 0 => {
                        c.error(
                            rc.name.span().start,
                            &f("instance_count"),
                            format!("is required: the nodes of the {type_name} pool"),
                        );
                        1
                    }
                    v => c.int(
                        v,
                        &f("instance_count"),
                        default_count,
                        1,
                        d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
                    ) as u32,
                };
                if let Some(b) = &rc.billing {
                    let b = b.get_ref().to_ascii_lowercase();
                    if b != "always_on" && b != "external" {
                        c.error_hint(
                            rc.billing.as_ref().map_or(0, |x| x.span().start),
                            &f("billing"),
                            format!("unknown billing `{b}`"),
                            "use \"always_on\" (the team pays for every node around the clock) or \"external\" (not billed to this scenario)".into(),
                        );
                    }
                }
                // A fixed pool never releases nodes: no idle time (`Some(None)`).
                (
                    n,
                    n,
                    Some(None),
                    Some(Sampler::constant_s(0.0)),
                    Tier::Dedicated,
                )
            } else {
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
                let max_ok = rc.max_instances.as_ref().is_none_or(|m| {
                    (1..=d::AMLCOMPUTE_MAX_NODES_LIMIT as i64).contains(m.get_ref())
                });
                // An out-of-range max fell back to the default: comparing min with it would
                // report a second, false error.
                if min > max && max_ok {
                    let at = rc.min_instances.as_ref().map_or(0, |s| s.span().start);
                    c.error(
                        at,
                        &f("min_instances"),
                        format!("must not exceed max_instances ({max}), got {min}"),
                    );
                }
                if group == Group::Autoscaled
                    && max > d::AMLCOMPUTE_DEFAULT_NODES_LIMIT
                    && let Some(m) = &rc.max_instances
                {
                    c.warn(
                        m.span().start,
                        &f("max_instances"),
                        format!(
                            "{max} is above Azure ML's default limit of {} nodes per cluster: it needs a support request (hard limit {})",
                            d::AMLCOMPUTE_DEFAULT_NODES_LIMIT,
                            d::AMLCOMPUTE_MAX_NODES_LIMIT
                        ),
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
                    Some(p) => dist(c, &f("provisioning_time"), p, true, ctx.dir),
                    None => Some(Sampler::lognormal_median_p95_s(
                        d::ASSUMED_PROVISIONING_MEDIAN_S,
                        d::ASSUMED_PROVISIONING_P95_S,
                    )),
                };
                (min, max, idle.map(Some), provisioning, tier)
            };
            facts.max_instances = max;
            let (preemption, checkpoint) = preemption(c, &f, rc, tier);
            if group == Group::Autoscaled
                && let Some(vm) = vm
            {
                let at = rc
                    .max_instances
                    .as_ref()
                    .map_or(size_at, |m| m.span().start);
                quota(c, &f("max_instances"), at, vm, max, tier, ctx);
            }
            let (price, price_source) = if free {
                let why = if type_name == "local" {
                    "local machine: no cost"
                } else {
                    "billing = external: not billed to this scenario"
                };
                (Some(0.0), why.to_string())
            } else {
                price(c, &f, rc, vm, user_price, tier, size_at, ctx)
            };
            let build = || -> Option<TargetSpec> {
                Some(TargetSpec {
                    name,
                    price_source,
                    kind: TargetKind::Cluster {
                        type_name,
                        spec: ClusterSpec {
                            size,
                            min_instances: min,
                            max_instances: max,
                            idle_time_before_scale_down: idle?.map(from_secs_f64),
                            tier,
                            provisioning_time: provisioning?,
                            backfill: rc.backfill.unwrap_or(false),
                            price_usd_per_hour: price?,
                            preemption: preemption?,
                            checkpoint_interval: checkpoint?.map(from_secs_f64),
                        },
                    },
                })
            };
            (if misplaced { None } else { build() }, facts)
        }
        Group::Instance => {
            facts.max_instances = 1;
            let idle = match &rc.idle_time_before_shutdown {
                None => Some(None),
                Some(v) => c
                    .dur(v, &f("idle_time_before_shutdown"), false)
                    .and_then(|x| {
                        if (d::CI_IDLE_SHUTDOWN_MIN_S..=d::CI_IDLE_SHUTDOWN_MAX_S).contains(&x) {
                            Some(Some(x))
                        } else {
                            c.error(
                                v.span().start,
                                &f("idle_time_before_shutdown"),
                                format!(
                                    "Azure ML accepts 15 minutes to 3 days, got {}",
                                    format_duration(x)
                                ),
                            );
                            None
                        }
                    }),
            };
            let start = match &rc.start_time {
                Some(p) => dist(c, &f("start_time"), p, true, ctx.dir),
                None => Some(Sampler::lognormal_median_p95_s(
                    d::ASSUMED_CI_START_MEDIAN_S,
                    d::ASSUMED_CI_START_P95_S,
                )),
            };
            let schedule = schedules(c, &f, rc);
            let at_zero = schedule.as_ref().and_then(|s| state_at_zero(s));
            let running = match rc
                .initial_state
                .as_ref()
                .map(|x| x.get_ref().to_ascii_lowercase())
            {
                // With schedules, time zero finds the instance as the week's last action left it.
                None => Some(at_zero != Some(Power::Stop)),
                Some(x) if x == "running" => Some(true),
                Some(x) if x == "stopped" => Some(false),
                Some(x) => {
                    let at = rc.initial_state.as_ref().map_or(0, |v| v.span().start);
                    c.error_hint(
                        at,
                        &f("initial_state"),
                        format!("unknown state `{x}`"),
                        "use \"running\" or \"stopped\"".into(),
                    );
                    None
                }
            };
            let vcpus = vm.map_or(1, |v| v.vcpus.max(1)) as u64;
            let slots = c.int(
                &rc.max_concurrent_jobs,
                &f("max_concurrent_jobs"),
                vcpus,
                1,
                100_000,
            ) as u32;
            let disk = match &rc.disk_usd_per_month {
                Some(v) => c.non_negative(v, &f("disk_usd_per_month")),
                None => Some(d::ASSUMED_CI_P10_DISK_USD_PER_MONTH),
            };
            let lb = match &rc.load_balancer_usd_per_day {
                Some(v) => c.non_negative(v, &f("load_balancer_usd_per_day")),
                None => Some(d::CI_LOAD_BALANCER_USD_PER_DAY),
            };
            let (price, mut price_source) =
                price(c, &f, rc, vm, user_price, Tier::Dedicated, size_at, ctx);
            price_source.push_str("; plus OS disk and load balancer");
            let build = || -> Option<TargetSpec> {
                Some(TargetSpec {
                    name,
                    price_source,
                    kind: TargetKind::ComputeInstance(InstanceSpec {
                        size,
                        slots,
                        idle_time_before_shutdown: idle?.map(from_secs_f64),
                        start_time: start?,
                        initially_running: running?,
                        price_usd_per_hour: price?,
                        fixed_usd_per_hour: disk? / (30.0 * 24.0) + lb? / 24.0,
                        initially_held: !running? && at_zero == Some(Power::Stop),
                        schedule: schedule?,
                    }),
                })
            };
            (if misplaced { None } else { build() }, facts)
        }
        Group::Serverless => {
            let tier = match rc
                .job_tier
                .as_ref()
                .map(|t| t.get_ref().to_ascii_lowercase())
            {
                None => Tier::Dedicated,
                Some(t) if t == "standard" => Tier::Dedicated,
                Some(t) if t == "spot" => Tier::LowPriority,
                Some(t) => {
                    let at = rc.job_tier.as_ref().map_or(0, |s| s.span().start);
                    c.error_hint(
                        at,
                        &f("job_tier"),
                        format!("unknown job tier `{t}`"),
                        "use \"standard\" or \"spot\"".into(),
                    );
                    Tier::Dedicated
                }
            };
            let quota = rc
                .quota_vcpus
                .is_some()
                .then(|| c.int(&rc.quota_vcpus, &f("quota_vcpus"), 0, 1, u64::MAX));
            let vcpus = vm.map_or(1, |v| v.vcpus.max(1));
            if let Some(q) = quota {
                facts.max_instances = (q / vcpus as u64).min(u32::MAX as u64) as u32;
            }
            let startup = match &rc.startup_time {
                Some(p) => dist(c, &f("startup_time"), p, true, ctx.dir),
                None => Some(Sampler::lognormal_median_p95_s(
                    d::ASSUMED_PROVISIONING_MEDIAN_S,
                    d::ASSUMED_PROVISIONING_P95_S,
                )),
            };
            let (preempt, checkpoint) = match &rc.preemption {
                Some(p) if tier != Tier::LowPriority => {
                    c.error(
                        p.span().start,
                        &f("preemption"),
                        "applies to job_tier = \"spot\" only: standard jobs are not preempted",
                    );
                    (None, Some(None))
                }
                _ => preemption(c, &f, rc, tier),
            };
            let (price, price_source) = price(c, &f, rc, vm, user_price, tier, size_at, ctx);
            let build = || -> Option<TargetSpec> {
                Some(TargetSpec {
                    name,
                    price_source,
                    kind: TargetKind::Serverless(ServerlessSpec {
                        size,
                        vcpus_per_node: vcpus,
                        quota_vcpus: quota,
                        startup_time: startup?,
                        price_usd_per_hour: price?,
                        tier,
                        preemption: preempt?,
                        checkpoint_interval: checkpoint?.map(from_secs_f64),
                    }),
                })
            };
            (if misplaced { None } else { build() }, facts)
        }
    }
}

/// Azure ML's limit on start/stop schedules per compute instance (`how-to-create-compute-instance.md`).
const MAX_CI_SCHEDULES: usize = 4;

/// A compute instance's `schedules` as a week of actions; `Some(vec![])` when absent, `None`
/// after an error.
fn schedules(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
) -> Option<Vec<(crate::engine::SimTime, Power)>> {
    let Some(list) = &rc.schedules else {
        return Some(vec![]);
    };
    let items = list.get_ref();
    if items.len() > MAX_CI_SCHEDULES {
        c.error_hint(
            list.span().start,
            &f("schedules"),
            format!(
                "Azure ML allows at most {MAX_CI_SCHEDULES} start/stop schedules per compute instance, got {}",
                items.len()
            ),
            "merge schedules: one schedule can list several days".into(),
        );
        return None;
    }
    let mut ok = true;
    let mut out = vec![];
    for (i, item) in items.iter().enumerate() {
        let here = |s: &str| f(&format!("schedules[{i}].{s}"));
        let rs = item.get_ref();
        if rs.start.is_none() && rs.stop.is_none() {
            c.error(
                item.span().start,
                &f(&format!("schedules[{i}]")),
                "give a start time, a stop time or both, e.g. { start = \"08:00\", stop = \"19:00\" }",
            );
            ok = false;
            continue;
        }
        let mut time = |v: &Option<Spanned<String>>, name: &str| -> Option<Option<u32>> {
            let Some(v) = v else { return Some(None) };
            match clock_minutes(v.get_ref()) {
                Some(m) => Some(Some(m)),
                None => {
                    c.error(
                        v.span().start,
                        &here(name),
                        format!(
                            "`{}` is not a time of day such as \"08:00\" (24-hour clock, 00:00 to 23:59)",
                            v.get_ref()
                        ),
                    );
                    None
                }
            }
        };
        let (start, stop) = (time(&rs.start, "start"), time(&rs.stop, "stop"));
        let mut days = [true; 7];
        if let Some(list) = &rs.days {
            days = [false; 7];
            if list.get_ref().is_empty() {
                c.error(
                    list.span().start,
                    &here("days"),
                    "must name at least one day",
                );
                ok = false;
            }
            for d in list.get_ref() {
                match weekday(d.get_ref()) {
                    Some(k) => days[k] = true,
                    None => {
                        c.error_hint(
                            d.span().start,
                            &here("days"),
                            format!("`{}` is not a day of the week", d.get_ref()),
                            "use mon, tue, wed, thu, fri, sat or sun".into(),
                        );
                        ok = false;
                    }
                }
            }
        }
        let (Some(start), Some(stop)) = (start, stop) else {
            ok = false;
            continue;
        };
        if start.is_some() && start == stop {
            let at = rs
                .stop
                .as_ref()
                .map_or(item.span().start, |s| s.span().start);
            c.error(at, &here("stop"), "must differ from start");
            ok = false;
        }
        out.push(DailySchedule {
            start_minute: start,
            stop_minute: stop,
            days,
        });
    }
    ok.then(|| weekly_actions(&out))
}

/// "08:00" → 480.
fn clock_minutes(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Monday is 0 (simulated time zero is Monday 00:00); "mon" or "monday", any case.
fn weekday(s: &str) -> Option<usize> {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter().position(|d| s == *d || s == d[..3])
}

/// Low-priority preemption: a node's lifetime distribution (exponential) and the checkpoint
/// interval. `Some(None)` when absent; `None` after an error.
#[allow(clippy::type_complexity)]
fn preemption(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    tier: Tier,
) -> (Option<Option<Sampler>>, Option<Option<f64>>) {
    let checkpoint = match &rc.checkpoint_interval {
        None => Some(None),
        Some(v) => c.dur(v, &f("checkpoint_interval"), false).map(Some),
    };
    let Some(p) = &rc.preemption else {
        return (Some(None), checkpoint);
    };
    let at = p.span().start;
    if tier != Tier::LowPriority {
        c.error(
            at,
            &f("preemption"),
            "applies to tier = \"low_priority\" only: dedicated nodes are not preempted",
        );
        return (None, checkpoint);
    }
    let p = p.get_ref();
    let mean_s = match (&p.mean_time_between, &p.probability_per_hour) {
        (Some(m), None) => c.dur(m, &f("preemption.mean_time_between"), false),
        (None, Some(q)) => {
            let x = *q.get_ref();
            if x.is_finite() && x > 0.0 && x < 1.0 {
                // P(preempted within an hour) = 1 - exp(-rate · 1 h).
                Some(3600.0 / -(1.0 - x).ln())
            } else {
                c.error(
                    q.span().start,
                    &f("preemption.probability_per_hour"),
                    format!("must be above 0 and below 1, got {x}"),
                );
                None
            }
        }
        _ => {
            c.error(
                at,
                &f("preemption"),
                "give one of mean_time_between (e.g. \"6h\") or probability_per_hour (e.g. 0.05)",
            );
            None
        }
    };
    (mean_s.map(|m| Some(Sampler::exponential_s(m))), checkpoint)
}

/// The price of one node-hour and where it came from: the target's own override, else the
/// user's price list, else the catalog less the scenario's discount.
#[allow(clippy::too_many_arguments)]
fn price(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    vm: Option<&VmSize>,
    user: Option<super::prices::UserPrice>,
    tier: Tier,
    size_at: usize,
    ctx: &Context,
) -> (Option<f64>, String) {
    if let Some(p) = &rc.price_usd_per_hour {
        return (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override".into(),
        );
    }
    let what = match tier {
        Tier::Dedicated => "price",
        Tier::LowPriority => "low-priority price",
    };
    if let (Some(u), Some(table)) = (user, &ctx.prices) {
        let p = match tier {
            Tier::Dedicated => Some(u.price_usd_per_hour),
            Tier::LowPriority => u.low_priority_price_usd_per_hour,
        };
        if p.is_none() {
            c.error_hint(
                size_at,
                &f("size"),
                format!(
                    "the price list {} has no {what} for this size",
                    table.source
                ),
                "add a low_priority_price_usd_per_hour column".into(),
            );
        }
        return (p, format!("price list {}", table.source));
    }
    let Some(vm) = vm else {
        return (None, String::new());
    };
    let (list, label) = match tier {
        Tier::Dedicated => (vm.price_usd_per_hour, "catalog list price"),
        Tier::LowPriority => (
            vm.low_priority_price_usd_per_hour,
            "catalog spot price as low-priority price",
        ),
    };
    if list.is_none() {
        c.error_hint(
            size_at,
            &f("size"),
            format!("the catalog has no {what} for `{}`", vm.size),
            "give the price with price_usd_per_hour on the target, or a prices file".into(),
        );
    }
    let mut source = format!(
        "{label}, {} {}, {}",
        vm.price_region, vm.price_date, vm.price_source
    );
    if ctx.discount > 0.0 {
        source.push_str(&format!(
            ", less a {}% discount",
            crate::text::num(ctx.discount * 100.0)
        ));
    }
    (list.map(|p| p * (1.0 - ctx.discount)), source)
}

/// Retired series are errors (warnings with `allow_retired`); a retirement announced inside the
/// simulated period is a warning.
fn retirement(c: &mut Checker, field: &str, at: usize, vm: &VmSize, allow: bool, ctx: &Context) {
    let Some(day) = date::parse(&vm.retired_on) else {
        return;
    };
    let when = date::format(ctx.start_day);
    if day <= ctx.start_day {
        let msg = format!(
            "{} ({} series) was retired on {}, {} the simulated start {when}",
            vm.size,
            vm.series,
            vm.retired_on,
            if day < ctx.start_day {
                "before"
            } else {
                "the day of"
            }
        );
        if allow {
            c.warn(at, field, msg);
        } else {
            let hint = replacement_hint(vm, ctx);
            c.error_hint(
                at,
                field,
                msg,
                format!("{hint}; or set allow_retired = true to replay the past"),
            );
        }
    } else if ctx.end_day.is_some_and(|end| day <= end) {
        c.warn(
            at,
            field,
            format!(
                "{} ({} series) retires on {}, inside the simulated period starting {when}",
                vm.size, vm.series, vm.retired_on
            ),
        );
    }
}

/// Current sizes like a retired one: same GPU count (or CPU-only) and at least its memory.
fn replacement_hint(vm: &VmSize, ctx: &Context) -> String {
    let mut options: Vec<&VmSize> = ctx
        .catalog
        .sizes()
        .iter()
        .filter(|s| {
            s.gpus == vm.gpus
                && s.memory_gib >= vm.memory_gib * 0.5
                && date::parse(&s.retired_on).is_none_or(|d| d > ctx.start_day)
                && s.price_usd_per_hour.is_some()
        })
        .collect();
    options.sort_by(|a, b| {
        a.price_usd_per_hour
            .partial_cmp(&b.price_usd_per_hour)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let names: Vec<&str> = options.iter().take(3).map(|s| s.size.as_str()).collect();
    if names.is_empty() {
        "pick a current size".into()
    } else {
        format!(
            "current sizes with the same GPU count: {}",
            names.join(", ")
        )
    }
}

/// A cluster whose `max_instances` would need more vCPUs than its family's quota.
#[allow(clippy::too_many_arguments)]
fn quota(
    c: &mut Checker,
    field: &str,
    at: usize,
    vm: &VmSize,
    max: u32,
    tier: Tier,
    ctx: &mut Context,
) {
    let key = match tier {
        Tier::Dedicated => family_key(&vm.series),
        Tier::LowPriority => "lowpriority".into(),
    };
    let Some((limit, _, name)) = ctx.quota.get(&key) else {
        return;
    };
    let need = max as u64 * vm.vcpus as u64;
    ctx.quota_use
        .entry(key.clone())
        .or_default()
        .push((field.trim_end_matches(".max_instances").to_string(), need));
    if need > *limit {
        let fit = limit / vm.vcpus.max(1) as u64;
        c.error_hint(
            at,
            field,
            format!(
                "{max} x {} ({} vCPUs each) needs {need} vCPUs, but [quota] {name} allows {limit}: at most {fit} node{} fit",
                vm.size,
                vm.vcpus,
                if fit == 1 { "" } else { "s" }
            ),
            if fit == 0 {
                format!("raise the quota to at least {} vCPUs", vm.vcpus)
            } else {
                format!("lower max_instances to {fit} or raise the quota")
            },
        );
    }
}

fn workload(
    c: &mut Checker,
    label: &str,
    rw: &RawWorkload,
    targets: &HashMap<String, Facts>,
    dir: &Path,
) -> Option<WorkloadSpec> {
    let f = |s: &str| format!("{label}.{s}");
    let name = rw.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(rw.name.span().start, &f("name"), "must not be empty");
    }
    let target_name = rw.compute.get_ref();
    let facts = targets.get(target_name);
    if facts.is_none() {
        let mut known: Vec<&str> = targets.keys().map(|k| k.as_str()).collect();
        known.sort();
        {
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
    let is_trace = rw
        .arrivals
        .get_ref()
        .process
        .get_ref()
        .eq_ignore_ascii_case("trace");
    let arrivals = job_arrivals(
        c,
        &f("arrivals"),
        rw.arrivals.get_ref(),
        rw.arrivals.span().start,
        facts,
        dir,
    );
    let trace_gives_durations = is_trace && rw.arrivals.get_ref().duration_column.is_some();
    let duration = match &rw.duration {
        Some(d) => dist(c, &f("duration"), d, false, dir).map(Some),
        None if trace_gives_durations => Some(None),
        None => {
            c.error(
                rw.name.span().start,
                &f("duration"),
                "is required (a distribution of job run times), unless a trace's duration_column gives them",
            );
            None
        }
    };
    let speedup = speedup(c, &f("speedup"), &rw.speedup, facts.and_then(|t| t.vm));
    let instance_count = c.int(
        &rw.instance_count,
        &f("instance_count"),
        1,
        1,
        u32::MAX as u64,
    ) as u32;
    if let Some(t) = facts
        && instance_count > t.max_instances
    {
        let at = rw
            .instance_count
            .as_ref()
            .map_or(rw.name.span().start, |x| x.span().start);
        let max = t.max_instances;
        let why = match t.type_name {
            "serverless" => format!(
                "its vCPU quota (quota_vcpus) fits {max} node{}",
                if max == 1 { "" } else { "s" }
            ),
            "computeinstance" => "a compute instance is a single node".to_string(),
            _ => format!("it has max_instances = {max}"),
        };
        c.error(
            at,
            &f("instance_count"),
            format!("a job needs {instance_count} node{} but `{target_name}` cannot give them: {why}; it could never start", if instance_count == 1 { "" } else { "s" }),
        );
    }
    // The default kind is `command`, so a target that runs no command jobs (HDInsight, Data
    // Lake Analytics, Batch, Spark pools, Databricks) needs `kind` said.
    let kind_at = rw
        .kind
        .as_ref()
        .map_or(rw.name.span().start, |k| k.span().start);
    let kind_text = rw.kind.as_ref().map_or("command", |k| k.get_ref().as_str());
    {
        let kind = kind_text.to_ascii_lowercase();
        let k = (kind_at, kind_text);
        if !job_kinds::KINDS.contains(&kind.as_str()) {
            c.error_hint(
                k.0,
                &f("kind"),
                format!("unknown job kind `{}`", k.1),
                format!("use one of: {}", job_kinds::KINDS.join(", ")),
            );
        } else if let Some(t) = facts {
            let ty = t.type_name;
            if job_kinds::supports(ty, &kind) == Some(false) {
                let implied = if rw.kind.is_none() {
                    " (the default kind)"
                } else {
                    ""
                };
                c.error_hint(
                    k.0,
                    &f("kind"),
                    format!(
                        "`{target_name}` is a {ty} target, which does not run {kind} jobs{implied}"
                    ),
                    format!(
                        "targets that do: {}",
                        job_kinds::targets_supporting(&kind).join(", ")
                    ),
                );
            }
        }
    }
    if let Some(vm) = facts.and_then(|t| t.vm) {
        gpu_requirements(c, &f, rw, vm, target_name);
    }
    let batch_size = c.int(
        &rw.arrivals.get_ref().batch_size,
        &f("arrivals.batch_size"),
        1,
        1,
        MAX_BATCH_SIZE,
    ) as u32;
    let priority = match &rw.priority {
        None => Some(0),
        Some(p) => match i32::try_from(*p.get_ref()) {
            Ok(x) => Some(x),
            Err(_) => {
                c.error(
                    p.span().start,
                    &f("priority"),
                    format!(
                        "must be an integer from {} to {} (higher runs first), got {}",
                        i32::MIN,
                        i32::MAX,
                        p.get_ref()
                    ),
                );
                None
            }
        },
    };
    Some(WorkloadSpec {
        name,
        target: facts?.index?,
        arrivals: arrivals?,
        duration: duration?,
        speedup: speedup?,
        instance_count,
        batch_size,
        priority: priority?,
        batch: None,
    })
}

/// A job stream's `arrivals`: Poisson (with profiles), MMPP or a trace.
fn job_arrivals(
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
        arrivals(c, label, ra, at).map(ArrivalSpec::Poisson)
    }
}

/// The keys of Poisson arrivals, and whether each is given: refused by the other processes.
fn poisson_keys(ra: &RawArrivals) -> [(&'static str, bool); 5] {
    [
        ("rate_per_hour", ra.rate_per_hour.is_some()),
        ("rate_per_minute", ra.rate_per_minute.is_some()),
        ("rate_per_second", ra.rate_per_second.is_some()),
        ("daily_profile", ra.daily_profile.is_some()),
        ("weekly_profile", ra.weekly_profile.is_some()),
    ]
}

/// The keys of a trace's arrivals, and whether each is given: refused by the other processes.
fn trace_keys(ra: &RawArrivals) -> [(&'static str, bool); 15] {
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

/// The most jobs one arrival may submit (Azure ML sweep jobs cap trials far below this; the
/// cap keeps one arrival from flooding the event queue by accident).
const MAX_BATCH_SIZE: u64 = 100_000;

/// `process = "mmpp"`: `rates_per_hour = [quiet, burst]` and `mean_sojourn = ["6h", "30m"]`.
fn mmpp_arrivals(
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
        match c.non_negative(v, &f(&format!("rates_per_hour[{i}]"))) {
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

/// The workload's speed-up on its target's size (1 when the table does not name that size).
fn speedup(
    c: &mut Checker,
    field: &str,
    v: &Option<Spanned<BTreeMap<String, Spanned<f64>>>>,
    vm: Option<&VmSize>,
) -> Option<f64> {
    let Some(table) = v else { return Some(1.0) };
    let mut ok = true;
    let mut factor = 1.0;
    for (size, x) in table.get_ref() {
        let here = format!("{field}.{size}");
        let known = Catalog::builtin().get(size);
        if known.is_none() {
            c.error_hint(
                x.span().start,
                &here,
                format!("unknown VM size `{size}`"),
                format!(
                    "closest catalog sizes: {}",
                    Catalog::builtin().closest(size, 3).join(", ")
                ),
            );
            ok = false;
            continue;
        }
        match c.positive(x, &here) {
            Some(f) if vm.is_some_and(|vm| vm.size.eq_ignore_ascii_case(size)) => factor = f,
            Some(_) => {}
            None => ok = false,
        }
    }
    ok.then_some(factor)
}

/// What every replayed trace (jobs or requests) is read with.
struct ReplayOptions {
    time_format: TimeFormat,
    time_scale: f64,
    start: Option<f64>,
    end: Option<f64>,
    on_bad_row: OnBadRow,
}

/// Checks a trace's `time_format`, `time_scale`, `start`/`end` window and `on_bad_row`; `f`
/// names a field of the arrivals table.
fn replay_options(
    c: &mut Checker,
    ra: &RawArrivals,
    at: usize,
    f: &dyn Fn(&str) -> String,
) -> Option<ReplayOptions> {
    let time_format = TimeFormat::parse(
        ra.time_format
            .as_ref()
            .map_or("%Y-%m-%d %H:%M:%S", |t| t.get_ref()),
    );
    if let Err(e) = time_format.validate() {
        let tat = ra.time_format.as_ref().map_or(at, |t| t.span().start);
        c.error(tat, &f("time_format"), e);
        return None;
    }
    let time_scale = match &ra.time_scale {
        Some(v) => c.positive(v, &f("time_scale"))?,
        None => 1.0,
    };
    let start = match &ra.start {
        Some(v) => Some(c.dur(v, &f("start"), true)?),
        None => None,
    };
    let end = match &ra.end {
        Some(v) => Some(c.dur(v, &f("end"), false)?),
        None => None,
    };
    if let (Some(s), Some(e), Some(ev)) = (start, end, &ra.end)
        && e <= s
    {
        c.error(
            ev.span().start,
            &f("end"),
            format!("must be after start ({})", format_duration(s)),
        );
        return None;
    }
    let on_bad_row = match ra
        .on_bad_row
        .as_ref()
        .map(|o| o.get_ref().to_ascii_lowercase())
    {
        None => OnBadRow::Error,
        Some(o) if o == "error" => OnBadRow::Error,
        Some(o) if o == "skip" => OnBadRow::Skip,
        Some(o) => {
            let oat = ra.on_bad_row.as_ref().map_or(at, |x| x.span().start);
            c.error_hint(
                oat,
                &f("on_bad_row"),
                format!("unknown value `{o}`"),
                "use \"error\" or \"skip\"".into(),
            );
            return None;
        }
    };
    Some(ReplayOptions {
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    })
}

/// Loads a trace for a field table named by `f` (`file_at`: where `file` is written), with
/// its row errors under the `file` field, a warning for skipped rows and for rows out of order,
/// and an error when no `what` ("job", "request") falls in the replayed window.
fn load_trace(
    c: &mut Checker,
    spec: &TraceSpec,
    file_at: usize,
    f: &dyn Fn(&str) -> String,
    what: &str,
) -> Option<trace::Trace> {
    load_trace_with(c, spec, &[], file_at, f, what)
}

/// [`load_trace`], replaying only the rows `filters` keep.
fn load_trace_with(
    c: &mut Checker,
    spec: &TraceSpec,
    filters: &[trace::RowFilter],
    file_at: usize,
    f: &dyn Fn(&str) -> String,
    what: &str,
) -> Option<trace::Trace> {
    let trace = match trace::load_filtered(spec, filters) {
        Ok(t) => t,
        Err(errors) => {
            c.error(
                file_at,
                &f("file"),
                format!("the trace {} has errors (below)", spec.file.display()),
            );
            c.diags.extend(errors.iter().map(|e| e.to_diagnostic()));
            return None;
        }
    };
    if !trace.skipped_rows.is_empty() {
        let (line, why) = &trace.skipped_rows[0];
        c.warn(
            file_at,
            &f("on_bad_row"),
            format!(
                "skipped {} bad row{} of {} (the first, line {line}: {why})",
                trace.skipped_rows.len(),
                if trace.skipped_rows.len() == 1 {
                    ""
                } else {
                    "s"
                },
                spec.file.display()
            ),
        );
    }
    if !trace.was_sorted {
        c.warn(
            file_at,
            &f("file"),
            format!(
                "{} is not in submission order: rows were sorted",
                spec.file.display()
            ),
        );
    }
    if trace.rows.is_empty() {
        c.error(
            file_at,
            &f("file"),
            format!(
                "no {what} of {} falls in the replayed window",
                spec.file.display()
            ),
        );
        return None;
    }
    Some(trace)
}

/// `process = "trace"`: loads the trace once, converting GPUs to whole nodes of the target's size.
fn trace_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawArrivals,
    at: usize,
    facts: Option<&Facts>,
    dir: &Path,
) -> Option<TraceJobs> {
    let f = |s: &str| format!("{label}.{s}");
    c.refuse(
        at,
        &f,
        &[
            poisson_keys(ra).as_slice(),
            &[
                ("rates_per_hour", ra.rates_per_hour.is_some()),
                ("mean_sojourn", ra.mean_sojourn.is_some()),
            ],
        ]
        .concat(),
        "does not apply to process = \"trace\" (the trace gives the arrivals)",
    );
    let (Some(file), Some(submit)) = (&ra.file, &ra.submit_column) else {
        let missing = if ra.file.is_none() {
            "file"
        } else {
            "submit_column"
        };
        c.error(at, &f(missing), "is required for process = \"trace\"");
        return None;
    };
    if ra.nodes_column.is_some() && ra.gpus_column.is_some() {
        c.error(
            at,
            &f("gpus_column"),
            "give nodes_column or gpus_column, not both",
        );
        return None;
    }
    let ReplayOptions {
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    } = replay_options(c, ra, at, &f)?;
    let gpus_per_node = facts.and_then(|t| t.vm).map(|vm| vm.gpus);
    if ra.gpus_column.is_some() && gpus_per_node == Some(0) {
        let size = facts.and_then(|t| t.vm).map_or("", |vm| vm.size.as_str());
        c.error(
            at,
            &f("gpus_column"),
            format!("the trace counts GPUs but the target's size {size} has none"),
        );
        return None;
    }
    let spec = TraceSpec {
        file: dir.join(file.get_ref()),
        submit_column: submit.get_ref().clone(),
        duration_column: ra.duration_column.as_ref().map(|x| x.get_ref().clone()),
        nodes_column: ra.nodes_column.as_ref().map(|x| x.get_ref().clone()),
        gpus_column: ra.gpus_column.as_ref().map(|x| x.get_ref().clone()),
        extra_columns: vec![],
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    };
    let filters = trace_filters::filters(c, ra, &f)?;
    let what = if filters.is_empty() {
        "job"
    } else {
        "job (after the status and cluster filters)"
    };
    let trace = load_trace_with(c, &spec, &filters, file.span().start, &f, what)?;
    let max_nodes = facts.map_or(u32::MAX, |t| t.max_instances);
    let mut jobs = Vec::with_capacity(trace.rows.len());
    let mut too_big = vec![];
    for row in &trace.rows {
        let nodes = match (row.nodes, row.gpus, gpus_per_node) {
            (Some(n), _, _) => Some(n),
            (None, Some(g), Some(per)) if per > 0 => Some(g.div_ceil(per)),
            _ => None,
        };
        if nodes.is_some_and(|n| n > max_nodes) {
            too_big.push(row.line);
            if on_bad_row == OnBadRow::Skip {
                continue;
            }
        }
        jobs.push(TraceJob {
            submit: from_secs_f64(row.submit_s),
            duration: row.duration_s.map(from_secs_f64),
            nodes,
        });
    }
    if !too_big.is_empty() {
        let msg = format!(
            "{} job{} of {} need more nodes than max_instances = {max_nodes} (first at line {}): they could never start",
            too_big.len(),
            if too_big.len() == 1 { "" } else { "s" },
            spec.file.display(),
            too_big[0]
        );
        if on_bad_row == OnBadRow::Skip {
            c.warn(file.span().start, &f("file"), format!("{msg}; skipped"));
        } else {
            c.error_hint(
                file.span().start,
                &f("file"),
                msg,
                "raise max_instances, or set on_bad_row = \"skip\"".into(),
            );
            return None;
        }
    }
    // The replayed window's length: the window itself when `end` is given, else the span of the
    // submissions plus one average gap, so that a repeated trace keeps its rate.
    let period = match end {
        Some(e) => (e - start.unwrap_or(0.0)) * time_scale,
        None if jobs.len() > 1 => trace.span_s * jobs.len() as f64 / (jobs.len() - 1) as f64,
        None => trace.span_s,
    };
    Some(TraceJobs {
        jobs,
        repeat: ra.repeat.unwrap_or(false),
        period: from_secs_f64(period),
        skipped_rows: (trace.skipped_rows.len()
            + too_big.len() * usize::from(on_bad_row == OnBadRow::Skip))
            as u64,
    })
}

/// The leading `major.minor` of a version string such as "11.0+ (inferred from arch)".
fn cuda(v: &str) -> Option<(u32, u32)> {
    let v = v
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit() && c != '.');
    let head: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut it = head.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

fn gpu_requirements(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rw: &RawWorkload,
    vm: &VmSize,
    target: &str,
) {
    let needs_gpu =
        rw.requires_gpu.as_ref().is_some_and(|g| *g.get_ref()) || rw.cuda_version.is_some();
    if needs_gpu && vm.gpus == 0 {
        // Blame the field that asks for the GPU: requires_gpu = true, else cuda_version.
        let by_flag = rw.requires_gpu.as_ref().filter(|g| *g.get_ref());
        let at = by_flag
            .map(|g| g.span().start)
            .or(rw.cuda_version.as_ref().map(|v| v.span().start))
            .unwrap_or(0);
        c.error_hint(
            at,
            &f(if by_flag.is_some() {
                "requires_gpu"
            } else {
                "cuda_version"
            }),
            format!(
                "the jobs need a GPU but `{target}` runs on {}, which has none",
                vm.size
            ),
            "choose a GPU size (N-series), e.g. Standard_NC4as_T4_v3".into(),
        );
        return;
    }
    let Some(v) = &rw.cuda_version else { return };
    let Some(wanted) = cuda(v.get_ref()) else {
        c.error(
            v.span().start,
            &f("cuda_version"),
            format!("`{}` is not a CUDA version such as \"11.8\"", v.get_ref()),
        );
        return;
    };
    if let Some(min) = cuda(&vm.min_cuda)
        && wanted < min
    {
        c.error_hint(
            v.span().start,
            &f("cuda_version"),
            format!(
                "CUDA {}.{} is older than {} GPUs ({}, on {}) support: they need CUDA {}.{} or later",
                wanted.0, wanted.1, vm.gpu_arch, vm.gpu_model, vm.size, min.0, min.1
            ),
            "build the environment on a newer CUDA, or pick a size with an older GPU architecture".into(),
        );
    }
}

fn arrivals(c: &mut Checker, label: &str, ra: &RawArrivals, at: usize) -> Option<PoissonArrivals> {
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
