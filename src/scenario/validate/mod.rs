//! Raw scenario → validated [`Scenario`]: ranges, cross-field rules, defaults, catalog lookups.
//!
//! This file holds the [`Checker`] every step reports to, the scenario-wide [`Context`] the
//! targets are checked against, the entry points ([`parse_doc`], [`validate_doc`]) and the
//! document-level steps: unknown keys and type errors, then [`build`], which reads the sections
//! in this order (the order of the diagnostics):
//!
//! - `settings`: name, horizon, warm-up, replications, seed, sampling, start date; prices,
//!   discount and `[quota]` (the context).
//! - `compute`: `[[compute]]` clusters and fixed pools, with `instance` (compute instances and
//!   their schedules) and `serverless`; `sizes` for what a VM size brings (price, retirement,
//!   family quota).
//! - `endpoint`: online `[[endpoint]]`s (managed), with `kubernetes`, `container` (ACI, local)
//!   and `autoscale`; then `traffic` (arrivals of requests) and `service` (service times).
//! - `workload`: `[[workload]]`s, their `arrivals` (Poisson, MMPP), `replay` (traces) and
//!   `dist` (durations).
//! - `batch`: batch endpoints and their traffic, which run as jobs on a compute cluster.
//!
//! `keys` holds the schema of every table (for the unknown-key check) and `prices` reads a
//! price-list CSV.

use super::raw::{RawCompute, RawScenario, RawWorkload};
use super::{LoadError, LoadOptions, Loaded, Scenario};
use crate::catalog::Catalog;
use crate::engine::time::from_secs_f64;
use crate::model::System;
use crate::text::date;
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::text::duration::{Dur, format_duration};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

mod arrivals;
mod autoscale;
mod batch;
mod compute;
mod container;
mod dist;
mod endpoint;
pub(super) mod goal;
mod instance;
pub(super) mod keys;
mod kubernetes;
mod prices;
mod replay;
mod serverless;
mod service;
mod settings;
mod sizes;
mod spot;
mod trace_filters;
mod traffic;
mod workload;

struct Checker<'a> {
    map: SourceMap<'a>,
    diags: Vec<Diagnostic>,
    /// The scenario's horizon in seconds once read (and valid): traces say what lies past it.
    horizon_s: Option<f64>,
}

impl Checker<'_> {
    /// An error at `offset`, about `field`.
    fn error(&mut self, offset: usize, field: &str, message: impl Into<String>) {
        let d = self.map.diag(Severity::Error, offset, field, message);
        self.diags.push(d);
    }

    /// An error with a hint saying what to write instead.
    fn error_hint(&mut self, offset: usize, field: &str, message: impl Into<String>, hint: String) {
        let mut d = self.map.diag(Severity::Error, offset, field, message);
        d.hint = Some(hint);
        self.diags.push(d);
    }

    /// A warning: the scenario is valid, but probably not what was meant.
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

    /// One error (with `hint`, if any) for each field of `fields` that is given, where it is
    /// given: keys that do not apply where they stand.
    fn refuse_given(
        &mut self,
        field: &dyn Fn(&str) -> String,
        fields: &[(&str, Option<usize>)],
        message: &str,
        hint: Option<&str>,
    ) {
        for (name, at) in fields {
            if let Some(at) = at {
                match hint {
                    Some(h) => self.error_hint(*at, &field(name), message, h.into()),
                    None => self.error(*at, &field(name), message),
                }
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
                format!("must be at most 10,000 years, got {}", fmt_huge_secs(x)),
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

    /// An unknown VM size, with the catalog's closest names as the hint (`more` extends it).
    fn unknown_size(&mut self, at: usize, field: &str, size: &str, more: &str) {
        self.error_hint(
            at,
            field,
            format!("unknown VM size `{size}`"),
            format!("{}{more}", closest_sizes(size)),
        );
    }

    /// A finite number of zero or more.
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

    /// A finite number greater than zero.
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

/// "closest catalog sizes: ..." for a size the catalog does not know.
fn closest_sizes(size: &str) -> String {
    format!(
        "closest catalog sizes: {}",
        Catalog::builtin().closest(size, 3).join(", ")
    )
}

/// The hint for a name nothing declares: the declared names (sorted, as `declared {what}: ...`),
/// or, when there are none, how to declare one.
fn declared_hint<'k>(names: impl Iterator<Item = &'k String>, what: &str, declare: &str) -> String {
    let mut known: Vec<&str> = names.map(|k| k.as_str()).collect();
    known.sort();
    if known.is_empty() {
        declare.into()
    } else {
        format!("declared {what}: {}", known.join(", "))
    }
}

/// The days of the week, Monday first (simulated time zero is Monday 00:00).
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Where an optional field is written, if it is.
fn given<T>(v: &Option<Spanned<T>>) -> Option<usize> {
    v.as_ref().map(|x| x.span().start)
}

/// A number of seconds as people write durations, negative ones too (for messages).
fn fmt_secs(x: f64) -> String {
    if x < 0.0 {
        format!("-{}", format_duration(-x))
    } else {
        format_duration(x)
    }
}

/// A duration above the cap, readably: `1e300` seconds is 301 digits of days in
/// [`format_duration`], so it is given as written in seconds (`1e300s`) with its size in years.
fn fmt_huge_secs(x: f64) -> String {
    let years = x / (365.25 * 86_400.0);
    let shown = format_duration(x);
    let shown = if shown.len() <= 16 {
        shown
    } else {
        format!("{x:e}s")
    };
    if years < 1e6 {
        format!(
            "{shown} (about {} years)",
            crate::text::number::group_thousands(years.round() as u64)
        )
    } else {
        format!("{shown} (about {years:.1e} years)")
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
pub(in crate::scenario) const MAX_DURATION_S: f64 = 10_000.0 * 365.25 * 86_400.0;

/// Text → TOML document, reporting every syntax error.
pub(super) fn parse_doc<'t>(path: &Path, text: &'t str) -> Result<Spanned<DeTable<'t>>, LoadError> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        return Ok(doc);
    }
    let mut c = Checker {
        map: SourceMap::new(path, text),
        diags: vec![],
        horizon_s: None,
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
    keys::check(doc.get_ref(), &keys::scenario_schema(), "", &mut unknown);
    if !unknown.is_empty() {
        for u in unknown {
            let message = format!("unknown field `{}`", u.key);
            let hint = match u.suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                // [sweep], [goal] and [sizing] are read apart (scenario::load) before this
                // check, but a user looking for `goal` must find it among the top-level keys.
                None if !u.path.contains('.') => format!(
                    "this table accepts: {}, sweep, goal, sizing",
                    u.known.join(", ")
                ),
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

/// Validates scenario text: parses it, then [`validate_doc`].
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
    let mut c = Checker {
        map,
        diags: vec![],
        horizon_s: None,
    };
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
    /// The region prices are looked up for (a target's own `region`, while it is read).
    region: String,
    /// Commitment prices of dedicated `amlcompute` clusters, by target name.
    commitments: std::collections::HashMap<String, crate::catalog::price_file::CommitmentPrices>,
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

/// Raw scenario → validated scenario, section by section; `None` after any error.
fn build(
    c: &mut Checker,
    path: &Path,
    text: &str,
    raw: RawScenario,
    options: &LoadOptions,
) -> Option<Scenario> {
    let fields = settings::read(c, path, &raw, options);
    c.horizon_s = fields.horizon;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut ctx = settings::context(c, &raw, options, dir, &fields);
    if raw.compute.is_empty() && raw.endpoint.is_empty() {
        c.error_hint(
            0,
            "compute",
            "at least one [[compute]] target is required",
            "or an [[endpoint]] with its [[traffic]]".into(),
        );
    }
    let (mut targets, facts) = compute::computes(c, &raw, &mut ctx);
    sizes::shared_quota(c, &ctx);
    let compute_names: HashSet<String> = facts.keys().cloned().collect();
    let (endpoints, traffic) =
        endpoint::build(c, &raw, &mut ctx, raw.compute.len(), &compute_names);
    let (mut workloads, workload_names) = workload::workloads(c, &raw, &facts, dir);
    // Batch deployments borrow their cluster's size and price, so they come after the compute
    // targets; their invocations run as workloads on the cluster, after the [[workload]]s.
    let (batch_endpoints, batch_workloads) = batch::build(
        c,
        &raw,
        &facts,
        &targets,
        raw.compute.len() + endpoints.len(),
        &workload_names,
        dir,
    );
    let (horizon, warmup, sample_interval) =
        (fields.horizon?, fields.warmup?, fields.sample_interval?);
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
    let commitments = targets
        .iter()
        .map(|t| match t.kind {
            crate::targets::TargetKind::Cluster {
                type_name: "amlcompute",
                ..
            } => ctx.commitments.get(&t.name).cloned(),
            _ => None,
        })
        .collect();
    Some(Scenario {
        commitments,
        name: fields.name,
        file: path.to_path_buf(),
        source: std::sync::Arc::from(text),
        seed: fields.seed,
        replications: fields.replications,
        auto_replications: fields.auto_replications,
        start_date: date::format(fields.start_day),
        system: System {
            targets,
            workloads,
            traffic,
            horizon: from_secs_f64(horizon),
            warmup: from_secs_f64(warmup),
            warmup_auto: fields.warmup_auto,
            auto_warmup_cache: Default::default(),
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
