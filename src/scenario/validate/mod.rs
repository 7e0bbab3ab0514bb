//! Raw scenario → validated [`Scenario`]: ranges, cross-field rules, defaults, catalog lookups.

use keys::{Schema, fields_of};
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
use crate::targets::{ClusterSpec, InstanceSpec, ServerlessSpec, TargetKind, TargetSpec, Tier};
use crate::text::date;
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::text::duration::{Dur, format_duration};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

mod arrivals;
mod batch;
mod dist;
mod endpoint;
mod keys;
mod prices;
mod replay;
mod sizes;
mod workload;

use dist::dist;
use sizes::{price, quota, retirement};
use workload::workload;

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
    prices: Option<prices::PriceTable>,
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
) -> Option<prices::PriceTable> {
    match prices::load(file) {
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
