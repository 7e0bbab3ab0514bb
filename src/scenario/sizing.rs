//! The `[sizing]` table of a scenario: what `capsim size` looks for.
//!
//! ```toml
//! [sizing]
//! endpoint = "scorer"            # the [[endpoint]] to size (default: the only one)
//! traffic = "requests"           # the [[traffic]] driving it (default: the only one)
//! model_memory_gib = 6.0         # RAM the loaded model needs
//! gpu_memory_gib = 12.0          # GPU memory it needs, over the VM's GPUs (omit for CPU)
//! memory_headroom = 1.5          # Azure ML's advice: 150% of the model's RAM
//! latency_slo_ms = 300
//! percentile = "p95"             # p50, p95 or p99
//! peak_rate_per_second = 40.0    # default: the traffic's rate
//! max_429_share = 0.001          # at most 0.1% of requests turned away
//! series = ["FSv2", "Dv3"]       # or sizes = ["Standard_F4s_v2", ...]
//! budget_per_month_usd = 2000      # optional
//! max_instances = 50             # optional, at most Azure's 50 per deployment
//! ```
//!
//! Like `[sweep]` and `[goal]`, the table is taken out of the document before the scenario is
//! validated. It is read through [`RawSizing`] and checked here against the validated scenario
//! (the endpoint's settings, the traffic's rate, profiles and latency-profile rows); every
//! problem names file, line, column and field.

use super::Scenario;
use super::raw::{RawEndpoint, RawSizing, RawTraffic};
use super::tables::{TableRules, read};
use crate::catalog::{Catalog, VmSize, list};
use crate::targets::TargetKind;
use crate::targets::defaults::{
    ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE, ENDPOINT_MAX_INSTANCES,
};
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::workload::requests::{LatencyRow, PoissonRequests, RequestArrivals};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// `memory_headroom`: "start with a machine that has 150% of the RAM your model requires" (Azure
/// ML's compute-targets page, learn.microsoft.com/azure/machine-learning/concept-compute-target,
/// the note on choosing a cluster SKU).
pub const DEFAULT_MEMORY_HEADROOM: f64 = 1.5;

/// `max_429_share`: capsim's choice, not Azure's. One request in a thousand turned away at the
/// peak is a common availability target for an online API ("three nines"); set it to what your
/// clients tolerate (they should retry 429s with back-off, azure_semantics.md 4a).
pub const DEFAULT_MAX_429_SHARE: f64 = 0.001;

/// The percentile the SLO is about, when the table names none.
pub const DEFAULT_PERCENTILE: Percentile = Percentile::P95;

/// Catalog series that Azure ML lists among managed online endpoint SKUs (azure_semantics.md 4a,
/// from `reference-managed-online-endpoints-vm-sku-list.md`): the default candidates. The
/// reference's Dav4/Dasv4, Lsv3/Lasv3 and NVadsA10 v5 have no sizes in capsim's catalog.
pub const MANAGED_ONLINE_SERIES: &[&str] = &[
    "DSv2",
    "ESv3",
    "FSv2",
    "FX",
    "LSv2",
    "NCv2",
    "NCv3",
    "NCasT4_v3",
    "NC A100 v4 (newer)",
    "NC H100 v5 (newer)",
    "NDv2",
    "NDasrA100_v4",
    "NDm A100 v4 (newer)",
    "ND H100 v5 (newer)",
];

/// The latency percentiles the endpoint model measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Percentile {
    P50,
    P95,
    P99,
}

impl Percentile {
    pub fn quantile(self) -> f64 {
        match self {
            Percentile::P50 => 0.50,
            Percentile::P95 => 0.95,
            Percentile::P99 => 0.99,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Percentile::P50 => "p50",
            Percentile::P95 => "p95",
            Percentile::P99 => "p99",
        }
    }
}

/// How the peak rate is put into the traffic for the simulations.
#[derive(Clone, Debug, PartialEq)]
pub enum RateOverride {
    /// `traffic.<name>.arrivals.<key>` = the rate in requests per second x `per_second`
    /// (1 for `rate_per_second`, 60 for `rate_per_minute`, 3600 for `rate_per_hour`).
    Set { path: String, per_second: f64 },
    /// The traffic has no plain rate (a trace): it is simulated as written.
    AsWritten,
}

/// A VM size competing to serve the endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub size: String,
    pub series: String,
    pub vcpus: u32,
    pub memory_gib: f64,
    pub gpus: u32,
    /// Total over the VM's GPUs; 0 without GPUs.
    pub gpu_memory_gib: f64,
    pub price_usd_per_hour: Option<f64>,
    /// The series is retired: Azure no longer deploys it.
    pub retired: bool,
}

impl Candidate {
    pub fn from_catalog(v: &VmSize) -> Candidate {
        Candidate {
            size: v.size.clone(),
            series: v.series.clone(),
            vcpus: v.vcpus,
            memory_gib: v.memory_gib,
            gpus: v.gpus,
            gpu_memory_gib: v.gpu_memory_gib.unwrap_or(0.0),
            price_usd_per_hour: v.price_usd_per_hour,
            retired: v.retirement_status == "retired",
        }
    }
}

/// What the endpoint must achieve, and the limits of the search.
#[derive(Clone, Debug, PartialEq)]
pub struct SizingTarget {
    pub model_memory_gib: f64,
    /// GPU memory the model needs (total over the VM's GPUs); `None` for a CPU model.
    pub gpu_memory_gib: Option<f64>,
    pub memory_headroom: f64,
    pub latency_slo_ms: f64,
    pub percentile: Percentile,
    pub peak_rate_per_second: f64,
    pub max_429_share: f64,
    pub budget_per_month_usd: Option<f64>,
    /// Most instances a deployment may have.
    pub max_instances: u32,
    pub max_concurrent_requests_per_instance: u32,
    /// The traffic's rate hour by hour (over a day, or a week when it has a weekly profile)
    /// relative to the peak; empty for a flat rate. For the autoscale advice.
    pub load_profile: Vec<f64>,
    /// The traffic's `latency_profile` rows; empty when its service time is not a profile.
    /// Only sizes with rows are candidates, and a lone request's latency is the profile's at
    /// concurrency 1 (the simulations read it at the deployment's concurrency themselves).
    pub latency_profile: Vec<LatencyRow>,
}

/// The checked `[sizing]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct SizingSpec {
    pub endpoint: String,
    pub traffic: String,
    pub rate: RateOverride,
    /// More `path=value` assignments for every simulation (flattened rate profiles).
    pub extra_sets: Vec<String>,
    pub target: SizingTarget,
    /// In catalog order.
    pub candidates: Vec<Candidate>,
}

/// The `[sizing]` table of a loaded scenario. Only `capsim size` and `capsim validate` need it to
/// be valid; a run simulates the scenario as written and leaves the table alone.
#[derive(Clone, Debug, Default)]
pub enum SizingTable {
    #[default]
    Absent,
    Valid(Box<SizingSpec>),
    /// Its problems, located in the file or at the command line.
    Invalid(Vec<Diagnostic>),
}

/// The `[[section]]` table of the document named `name`.
fn named<'d, 'a>(
    doc: &'d DeTable<'a>,
    section: &str,
    name: &str,
) -> Option<&'d Spanned<DeValue<'a>>> {
    match doc.get(section).map(|v| v.get_ref()) {
        Some(DeValue::Array(items)) => items.iter().find(|i| match i.get_ref() {
            DeValue::Table(t) => t.get("name").and_then(|n| n.get_ref().as_str()) == Some(name),
            _ => false,
        }),
        _ => None,
    }
}

/// The raw table of the named endpoint or traffic, for where its keys are written. The validator
/// read it the same way, so it reads.
fn raw<T: serde::de::DeserializeOwned>(doc: &DeTable<'_>, section: &str, name: &str) -> Option<T> {
    let v = named(doc, section, name)?.clone();
    T::deserialize(toml::de::ValueDeserializer::from(v)).ok()
}

/// Checks `table` (the document's `[sizing]`, positions in `map`) against the validated
/// `scenario`. `doc` is the rest of the document, `sweep_at` where its `[sweep]` was.
pub(super) fn check(
    table: &Spanned<DeValue<'_>>,
    doc: &DeTable<'_>,
    sweep_at: Option<usize>,
    scenario: &Scenario,
    map: &SourceMap,
    catalog: &Catalog,
) -> Result<SizingSpec, Vec<Diagnostic>> {
    let mut errors = vec![];
    let err = |at: usize, field: &str, msg: String| map.diag(Severity::Error, at, field, msg);
    let table_at = table.span().start;
    if let Some(at) = sweep_at {
        errors.push(err(
            at,
            "sweep",
            "capsim size chooses the size and count itself: remove [sweep] (or run the sweep \
             with capsim run)"
                .into(),
        ));
    }
    let known = super::validate::keys::fields_of::<RawSizing>();
    let hint = format!("[sizing] accepts {}", known.join(", "));
    let max_instances_want = format!(
        "must be a whole number from 1 to {ENDPOINT_MAX_INSTANCES} (Azure ML's limit per deployment)"
    );
    let wants = |key: &str, whole: bool| -> Option<String> {
        Some(match key {
            "endpoint" => "must be the name of an [[endpoint]]".into(),
            "traffic" => "must be the name of a [[traffic]]".into(),
            "model_memory_gib" | "gpu_memory_gib" => {
                "must be a number of GiB greater than zero".into()
            }
            "memory_headroom" => "must be a factor of at least 1 (Azure ML advises 1.5)".into(),
            "latency_slo_ms" => "must be a number of milliseconds greater than zero".into(),
            "percentile" => PERCENTILE_WANT.into(),
            "peak_rate_per_second" => {
                "must be a number of requests per second greater than zero".into()
            }
            "max_429_share" => {
                "must be a share from 0 up to (not including) 1, such as 0.001".into()
            }
            "sizes" | "series" if whole => "must be a list of names, such as [\"...\"]".into(),
            "sizes" | "series" => "must be a list of names (strings)".into(),
            "budget_per_month_usd" => "must be a number of US dollars greater than zero".into(),
            "max_instances" => max_instances_want.clone(),
            _ => return None,
        })
    };
    let rules = TableRules {
        name: "sizing",
        known: Some(known),
        unknown_hint: &hint,
        wants: &wants,
    };
    let Some(raw_sizing) = read::<RawSizing>(table, &rules, map, &mut errors) else {
        return Err(errors);
    };
    let r = &raw_sizing;

    // The endpoint and its traffic, as validated.
    let system = &scenario.system;
    let endpoints: Vec<(usize, &str)> = system
        .targets
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            matches!(
                t.kind,
                TargetKind::Endpoint { .. } | TargetKind::Batch { .. }
            )
        })
        .map(|(i, t)| (i, t.name.as_str()))
        .collect();
    let endpoint = match &r.endpoint {
        Some(v) => {
            let n = v.get_ref().as_str();
            match endpoints.iter().find(|(_, e)| *e == n) {
                Some(e) => Some(*e),
                None => {
                    let mut d = err(
                        v.span().start,
                        "sizing.endpoint",
                        format!("no [[endpoint]] named `{n}`"),
                    );
                    d.hint = Some(format!(
                        "endpoints: {}",
                        endpoints
                            .iter()
                            .map(|(_, e)| *e)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    errors.push(d);
                    None
                }
            }
        }
        None if endpoints.len() == 1 => Some(endpoints[0]),
        None => {
            errors.push(err(
                table_at,
                "sizing.endpoint",
                format!(
                    "the scenario has {} [[endpoint]] tables: name the one to size with endpoint = \"...\"",
                    endpoints.len()
                ),
            ));
            None
        }
    };
    let endpoint_name = endpoint.map(|(_, n)| n);
    let raw_endpoint: Option<RawEndpoint> = endpoint_name.and_then(|n| raw(doc, "endpoint", n));
    let spec = endpoint.and_then(|(i, _)| match &system.targets[i].kind {
        TargetKind::Endpoint { spec, .. } => Some(spec),
        _ => None,
    });
    let mcr = spec.map_or(ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE, |s| {
        s.max_concurrent_requests_per_instance
    });
    if let (Some((i, name)), Some(re)) = (endpoint, &raw_endpoint)
        && system.targets[i].type_name() != "managed_online"
    {
        errors.push(err(
            re.kind.span().start,
            &format!("endpoint.{name}.type"),
            format!(
                "capsim size sizes managed_online endpoints, this one is `{}`",
                re.kind.get_ref()
            ),
        ));
    }

    let traffics: Vec<(&str, &crate::workload::requests::TrafficSpec)> = system
        .traffic
        .iter()
        .filter(|t| endpoint.is_some_and(|(i, _)| t.target == i))
        .map(|t| (t.name.as_str(), t))
        .collect();
    let traffic = match &r.traffic {
        Some(v) => {
            let n = v.get_ref().as_str();
            match traffics.iter().find(|(t, _)| *t == n) {
                Some(t) => Some(*t),
                None => {
                    errors.push(err(
                        v.span().start,
                        "sizing.traffic",
                        format!(
                            "no [[traffic]] named `{n}` sends requests to endpoint `{}`",
                            endpoint_name.unwrap_or("?")
                        ),
                    ));
                    None
                }
            }
        }
        None if traffics.len() == 1 => Some(traffics[0]),
        None if endpoint.is_none() => None,
        None => {
            errors.push(err(
                table_at,
                "sizing.traffic",
                format!(
                    "{} [[traffic]] tables send requests to `{}`: name the peak one with traffic = \"...\"",
                    traffics.len(),
                    endpoint_name.unwrap_or("?")
                ),
            ));
            None
        }
    };
    // The traffic's own rate, per second, as written (its unit decides which key the
    // simulations set), and its profiles as validated.
    let raw_traffic: Option<RawTraffic> = traffic.and_then(|(n, _)| raw(doc, "traffic", n));
    let own_rate = raw_traffic.as_ref().and_then(|t| {
        let a = t.arrivals.get_ref();
        [
            ("rate_per_second", &a.rate_per_second, 1.0),
            ("rate_per_minute", &a.rate_per_minute, 60.0),
            ("rate_per_hour", &a.rate_per_hour, 3600.0),
        ]
        .into_iter()
        .find_map(|(key, r, per_second)| {
            Some((key, *r.as_ref()?.get_ref() / per_second, per_second))
        })
    });
    // Daily and weekly profiles multiply the rate: the default peak is the highest hour of the
    // highest day, and the simulations flatten both so that the peak lasts the whole horizon.
    let mut flatten = vec![];
    let mut profile_peak = 1.0;
    // Each profile relative to its highest multiplier; [1] when absent.
    let mut relative: [Vec<f64>; 2] = [vec![1.0], vec![1.0]];
    if let Some((traffic_name, t)) = traffic
        && let RequestArrivals::Poisson(PoissonRequests::Profiled(p)) = &t.arrivals
    {
        let profiles: [(&str, usize, Option<&[f64]>); 2] = [
            (
                "daily_profile",
                24,
                p.daily_profile.as_ref().map(|d| &d[..]),
            ),
            (
                "weekly_profile",
                7,
                p.weekly_profile.as_ref().map(|w| &w[..]),
            ),
        ];
        for (k, (key, n, values)) in profiles.into_iter().enumerate() {
            let Some(values) = values else { continue };
            let top = values.iter().copied().fold(0.0, f64::max);
            if top > 0.0 {
                relative[k] = values.iter().map(|x| x / top).collect();
            }
            profile_peak *= top;
            flatten.push(format!(
                "traffic.{traffic_name}.arrivals.{key}=[{}]",
                vec!["1.0"; n].join(", ")
            ));
        }
    }
    let own_rate = own_rate.map(|(k, r, p)| (k, r * profile_peak, p));
    // Hour by hour over a week (or a day), relative to the peak: for the autoscale advice.
    let [daily_rel, weekly_rel] = &relative;
    let load_profile: Vec<f64> = if flatten.is_empty() {
        vec![]
    } else {
        weekly_rel
            .iter()
            .flat_map(|d| daily_rel.iter().map(move |h| d * h))
            .collect()
    };
    if let (Some(name), Some(p)) = (
        endpoint_name,
        raw_endpoint
            .as_ref()
            .and_then(|e| e.price_usd_per_hour.as_ref()),
    ) {
        let mut d = err(
            p.span().start,
            &format!("endpoint.{name}.price_usd_per_hour"),
            "would price every candidate size the same: capsim size compares the sizes' own prices"
                .into(),
        );
        d.hint = Some(
            "remove it; give negotiated prices with a prices file or `discount` instead".into(),
        );
        errors.push(d);
    }
    if let (Some(name), Some(a)) = (
        endpoint_name,
        raw_endpoint.as_ref().and_then(|e| e.autoscale.as_ref()),
    ) {
        let mut d = err(
            a.span().start,
            &format!("endpoint.{name}.autoscale"),
            "capsim size finds the fixed instance count for the peak: it cannot size an endpoint \
             with autoscale"
                .into(),
        );
        d.hint = Some(
            "size a copy of the scenario without [endpoint.autoscale]; then set autoscale's max \
             to the recommended count"
                .into(),
        );
        errors.push(d);
    }

    // The target.
    // The number `v` if `ok` accepts it, or an error naming the field and what it must be.
    let num = |v: &Option<Spanned<f64>>,
               k: &str,
               ok: &dyn Fn(f64) -> bool,
               want: &str,
               errors: &mut Vec<Diagnostic>| {
        let v = v.as_ref()?;
        let x = *v.get_ref();
        if x.is_finite() && ok(x) {
            Some(x)
        } else {
            errors.push(err(
                v.span().start,
                &format!("sizing.{k}"),
                format!("must be {want}"),
            ));
            None
        }
    };
    let positive = |x: f64| x > 0.0;
    let model_memory_gib = num(
        &r.model_memory_gib,
        "model_memory_gib",
        &positive,
        "a number of GiB greater than zero",
        &mut errors,
    );
    if r.model_memory_gib.is_none() {
        errors.push(err(
            table_at,
            "sizing.model_memory_gib",
            "is required: the RAM the loaded model needs, GiB".into(),
        ));
    }
    let gpu_memory_gib = num(
        &r.gpu_memory_gib,
        "gpu_memory_gib",
        &positive,
        "a number of GiB greater than zero",
        &mut errors,
    );
    let memory_headroom = num(
        &r.memory_headroom,
        "memory_headroom",
        &|x| x >= 1.0,
        "a factor of at least 1 (Azure ML advises 1.5)",
        &mut errors,
    )
    .unwrap_or(DEFAULT_MEMORY_HEADROOM);
    let latency_slo_ms = num(
        &r.latency_slo_ms,
        "latency_slo_ms",
        &positive,
        "a number of milliseconds greater than zero",
        &mut errors,
    );
    if r.latency_slo_ms.is_none() {
        errors.push(err(
            table_at,
            "sizing.latency_slo_ms",
            "is required: the latency goal at `percentile`, milliseconds".into(),
        ));
    }
    let percentile = match &r.percentile {
        None => DEFAULT_PERCENTILE,
        Some(v) => match v.get_ref().as_str() {
            "p50" => Percentile::P50,
            "p95" => Percentile::P95,
            "p99" => Percentile::P99,
            _ => {
                errors.push(err(
                    v.span().start,
                    "sizing.percentile",
                    PERCENTILE_WANT.into(),
                ));
                DEFAULT_PERCENTILE
            }
        },
    };
    // capsim simulates each request: the cap of a Poisson arrival rate.
    let simulable = |x: f64| x > 0.0 && x <= 1e6;
    let peak = num(
        &r.peak_rate_per_second,
        "peak_rate_per_second",
        &simulable,
        "a number of requests per second greater than zero and at most a million (capsim simulates each request)",
        &mut errors,
    );
    if r.peak_rate_per_second.is_none() && own_rate.is_none() && traffic.is_some() {
        errors.push(err(
            table_at,
            "sizing.peak_rate_per_second",
            "is required: the traffic has no rate_per_second or rate_per_hour to take it from"
                .into(),
        ));
    }
    let peak_rate_per_second = peak.or(own_rate.map(|(_, r, _)| r));
    let max_429_share = num(
        &r.max_429_share,
        "max_429_share",
        &|x| (0.0..1.0).contains(&x),
        "a share from 0 up to (not including) 1, such as 0.001",
        &mut errors,
    )
    .unwrap_or(DEFAULT_MAX_429_SHARE);
    if let Some(old) = &r.budget_per_30d_usd {
        errors.push(super::sweep::renamed_budget(map, old, "sizing"));
    }
    let budget_per_month_usd = num(
        &r.budget_per_month_usd,
        "budget_per_month_usd",
        &positive,
        "a number of US dollars greater than zero",
        &mut errors,
    );
    let max_instances = num(
        &r.max_instances,
        "max_instances",
        &|x| x >= 1.0 && x <= ENDPOINT_MAX_INSTANCES as f64 && x.fract() == 0.0,
        &max_instances_want["must be ".len()..],
        &mut errors,
    )
    .map_or(ENDPOINT_MAX_INSTANCES, |x| x as u32);

    // The candidates.
    let names = |v: &Option<Spanned<Vec<Spanned<String>>>>| -> Vec<(String, usize)> {
        v.as_ref().map_or_else(Vec::new, |v| {
            v.get_ref()
                .iter()
                .map(|s| (s.get_ref().clone(), s.span().start))
                .collect()
        })
    };
    let sizes = names(&r.sizes);
    let series = names(&r.series);
    let known = list::series_names(catalog);
    let mut chosen: Vec<&VmSize> = vec![];
    for (s, at) in &sizes {
        match catalog.get(s) {
            Some(v) => chosen.push(v),
            None => {
                let mut d = err(*at, "sizing.sizes", format!("no size `{s}` in the catalog"));
                d.hint = Some(format!(
                    "did you mean {}?",
                    catalog.closest(s, 3).join(", ")
                ));
                errors.push(d);
            }
        }
    }
    for (s, at) in &series {
        if !known.iter().any(|k| list::series_matches(s, k)) {
            let mut d = err(
                *at,
                "sizing.series",
                format!("no series `{s}` in the catalog"),
            );
            d.hint = Some(format!("series: {}", known.join(", ")));
            errors.push(d);
        }
        chosen.extend(
            catalog
                .sizes()
                .iter()
                .filter(|v| list::series_matches(s, &v.series)),
        );
    }
    if sizes.is_empty() && series.is_empty() {
        // The reference's managed online SKUs, without retired series.
        chosen.extend(catalog.sizes().iter().filter(|v| {
            MANAGED_ONLINE_SERIES.contains(&v.series.as_str()) && v.retirement_status != "retired"
        }));
    } else if chosen.is_empty() && errors.is_empty() {
        errors.push(err(table_at, "sizing", "no candidate sizes".into()));
    }
    let mut candidates: Vec<Candidate> = vec![];
    for v in chosen {
        if !candidates.iter().any(|c| c.size == v.size) {
            candidates.push(Candidate::from_catalog(v));
        }
    }
    // The rows the validator read and checked (inline, or from the profile's file).
    let latency_profile = traffic.map_or_else(Vec::new, |(_, t)| t.latency_profile.clone());

    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(endpoint), Some((traffic, _))) = (endpoint_name, traffic) else {
        return Err(vec![err(
            table_at,
            "sizing",
            "needs an [[endpoint]] of type managed_online and a [[traffic]] sending requests to it"
                .into(),
        )]);
    };
    let rate = match own_rate {
        Some((key, _, per_second)) => RateOverride::Set {
            path: format!("traffic.{traffic}.arrivals.{key}"),
            per_second,
        },
        None => RateOverride::AsWritten,
    };
    Ok(SizingSpec {
        endpoint: endpoint.to_string(),
        traffic: traffic.to_string(),
        rate,
        extra_sets: flatten,
        target: SizingTarget {
            model_memory_gib: model_memory_gib.unwrap_or(0.0),
            gpu_memory_gib,
            memory_headroom,
            latency_slo_ms: latency_slo_ms.unwrap_or(0.0),
            percentile,
            peak_rate_per_second: peak_rate_per_second.unwrap_or(0.0),
            max_429_share,
            budget_per_month_usd,
            max_instances,
            max_concurrent_requests_per_instance: mcr,
            load_profile,
            latency_profile,
        },
        candidates,
    })
}

const PERCENTILE_WANT: &str =
    "must be \"p50\", \"p95\" or \"p99\" (the percentiles the endpoint model measures)";

/// The error of `capsim size` on a scenario without `[sizing]`, at the top of `file`.
pub(super) fn no_table(file: &std::path::Path) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        field: "sizing".into(),
        message: "the scenario has no [sizing] table: capsim size needs one".into(),
        hint: Some(
            "add [sizing] with model_memory_gib and latency_slo_ms; see docs/sizing.md".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Edits, Plan, Source, load};

    const SCENARIO: &str = r#"
name = "s"
horizon = "1h"

[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 3
request_settings = { max_concurrent_requests_per_instance = 2 }

[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_hour = 72000.0 }
service_time = { dist = "exponential", mean = "200ms" }
"#;

    /// Loaded as of 2026-12-01 (day 20,788): Standard_F4s_v2 retires on 2028-11-15, and these
    /// tests are not about retirement.
    fn plan(text: &str) -> Plan {
        let edits = Edits {
            today: Some(20_788),
            ..Edits::default()
        };
        load(&Source::new("s.toml", text), &edits).unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_with(sizing: &str) -> Result<SizingSpec, Vec<Diagnostic>> {
        let text = format!("{SCENARIO}\n[sizing]\n{sizing}\n");
        match plan(&text).sizing {
            SizingTable::Valid(s) => Ok(*s),
            SizingTable::Invalid(e) => Err(e),
            SizingTable::Absent => panic!("no [sizing]"),
        }
    }

    #[test]
    fn latency_profile_rows_reach_the_target() {
        let text = SCENARIO.replace(
            "service_time = { dist = \"exponential\", mean = \"200ms\" }",
            "latency_profile = [\n  { size = \"Standard_F4s_v2\", concurrency = 1, p50_ms = 80, p95_ms = 150 },\n  { size = \"Standard_F8s_v2\", concurrency = 4, p50_ms = 60.5, p95_ms = 120 },\n]",
        );
        let text = format!("{text}\n[sizing]\nmodel_memory_gib = 1.0\nlatency_slo_ms = 300\n");
        let SizingTable::Valid(c) = plan(&text).sizing else {
            panic!("invalid")
        };
        assert_eq!(
            c.target.latency_profile,
            vec![
                LatencyRow {
                    size: "Standard_F4s_v2".into(),
                    concurrency: 1,
                    p50_ms: 80.0,
                    p95_ms: 150.0
                },
                LatencyRow {
                    size: "Standard_F8s_v2".into(),
                    concurrency: 4,
                    p50_ms: 60.5,
                    p95_ms: 120.0
                },
            ]
        );
        assert!(
            parse_with("model_memory_gib = 1.0\nlatency_slo_ms = 300")
                .unwrap()
                .target
                .latency_profile
                .is_empty()
        );
    }

    #[test]
    fn defaults_come_from_the_scenario_and_azure() {
        let c = parse_with("model_memory_gib = 6\nlatency_slo_ms = 300").unwrap();
        assert_eq!(c.endpoint, "scorer");
        assert_eq!(c.traffic, "requests");
        assert_eq!(c.target.memory_headroom, 1.5);
        assert_eq!(c.target.percentile, Percentile::P95);
        assert_eq!(c.target.max_429_share, 0.001);
        assert_eq!(c.target.max_instances, 50);
        assert_eq!(c.target.max_concurrent_requests_per_instance, 2);
        // 72,000 requests per hour.
        assert!((c.target.peak_rate_per_second - 20.0).abs() < 1e-12);
        assert_eq!(
            c.rate,
            RateOverride::Set {
                path: "traffic.requests.arrivals.rate_per_hour".into(),
                per_second: 3600.0
            }
        );
        // Default candidates: managed online series, nothing retired.
        assert!(c.candidates.iter().any(|c| c.size == "Standard_F4s_v2"));
        assert!(c.candidates.iter().all(|c| !c.retired));
        assert!(!c.candidates.iter().any(|c| c.series == "Dv3"));
    }

    #[test]
    fn a_daily_profile_raises_the_peak_and_is_flattened() {
        // Peak hour 2.0 x 20 requests/s; the profile relative to it, hour by hour.
        let mut profile = vec!["1.0"; 24];
        profile[14] = "2.0";
        let text = SCENARIO.replace(
            "rate_per_hour = 72000.0 }",
            &format!(
                "rate_per_second = 20.0, daily_profile = [{}] }}",
                profile.join(", ")
            ),
        );
        let text = format!("{text}\n[sizing]\nmodel_memory_gib = 1\nlatency_slo_ms = 300\n");
        let SizingTable::Valid(c) = plan(&text).sizing else {
            panic!("invalid")
        };
        assert_eq!(c.target.peak_rate_per_second, 40.0);
        assert_eq!(c.target.load_profile.len(), 24);
        assert_eq!(c.target.load_profile[14], 1.0);
        assert_eq!(c.target.load_profile[0], 0.5);
        assert_eq!(
            c.extra_sets,
            vec![format!(
                "traffic.requests.arrivals.daily_profile=[{}]",
                vec!["1.0"; 24].join(", ")
            )]
        );
    }

    #[test]
    fn peak_and_candidates_as_given() {
        let c = parse_with(
            "model_memory_gib = 6\nlatency_slo_ms = 300\npeak_rate_per_second = 40\n\
             series = [\"FSv2\"]\nsizes = [\"standard_d4_v3\", \"Standard_F4s_v2\"]\npercentile = \"p99\"",
        )
        .unwrap();
        assert_eq!(c.target.peak_rate_per_second, 40.0);
        assert_eq!(c.target.percentile, Percentile::P99);
        assert_eq!(c.candidates[0].size, "Standard_D4_v3");
        assert_eq!(
            c.candidates.len(),
            1 + 8,
            "D4_v3 plus the 8 FSv2 sizes, once each"
        );
    }

    #[test]
    fn errors_are_located_and_named() {
        let e = parse_with(
            "model_memory_gib = -1\nlatency_slo_ms = 300\npercentile = \"p90\"\n\
             sizes = [\"Standard_F4sv2\"]\nmax_instances = 51\ncolour = 1",
        )
        .unwrap_err();
        let text: Vec<String> = e.iter().map(|d| d.to_string()).collect();
        let all = text.join("\n");
        for want in [
            "sizing.model_memory_gib: must be a number of GiB",
            "sizing.percentile: must be \"p50\"",
            "sizing.sizes: no size `Standard_F4sv2`",
            "sizing.max_instances: must be a whole number from 1 to 50",
            "sizing.colour: unknown field",
        ] {
            assert!(all.contains(want), "missing {want:?} in\n{all}");
        }
        let line = |f: &str| e.iter().find(|d| d.field == f).unwrap().line;
        assert_eq!(
            line("sizing.percentile"),
            line("sizing.model_memory_gib") + 2
        );
        assert!(all.contains("s.toml:"));
        // A value of the wrong type, in the field's own words.
        let e = parse_with("model_memory_gib = \"six\"\nlatency_slo_ms = 300").unwrap_err();
        assert_eq!(
            e[0].to_string(),
            format!(
                "s.toml:{}:20: error: sizing.model_memory_gib: must be a number of GiB greater than zero",
                SCENARIO.lines().count() + 3
            )
        );
    }

    #[test]
    fn missing_fields_and_tables() {
        let e = parse_with("").unwrap_err();
        let all: String = e.iter().map(|d| d.to_string() + "\n").collect();
        assert!(all.contains("model_memory_gib: is required"), "{all}");
        assert!(all.contains("latency_slo_ms: is required"), "{all}");
        let p = plan(SCENARIO);
        assert!(matches!(p.sizing, SizingTable::Absent));
        let e = p.sizing_required().unwrap_err().to_string();
        assert!(e.contains("no [sizing] table"), "{e}");
    }

    #[test]
    fn set_reaches_the_table_and_its_errors_are_the_arguments() {
        let text = format!("{SCENARIO}\n[sizing]\nmodel_memory_gib = 6\nlatency_slo_ms = 300\n");
        let edits = |set: &str| Edits {
            sets: vec![set.into()],
            today: Some(20_788),
            ..Edits::default()
        };
        let source = Source::new("s.toml", text.as_str());
        let p = load(&source, &edits("sizing.percentile=p99")).unwrap();
        assert_eq!(
            p.sizing().unwrap().unwrap().target.percentile,
            Percentile::P99
        );
        let p = load(&source, &edits("sizing.max_429_share=2")).unwrap();
        let e = p.sizing().unwrap_err().to_string();
        assert!(
            e.starts_with(
                "command line: error: --set sizing.max_429_share=2: must be a share from 0"
            ),
            "{e}"
        );
    }
}
