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
//! budget_per_30d_usd = 2000      # optional
//! max_instances = 50             # optional, at most Azure's 50 per deployment
//! ```
//!
//! Like `[sweep]` and `[goal]`, the table is taken out of the document before the scenario is
//! validated; it is checked here, and every problem names file, line, column and field.

use super::search::{Candidate, Goal};
use crate::catalog::{Catalog, list};
use crate::targets::defaults::{
    ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE, ENDPOINT_MAX_INSTANCES,
};
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::workload::requests::{LatencyRow, latency_csv_rows};
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// `memory_headroom`: "start with a machine that has 150% of the RAM your model requires" (Azure
/// ML's compute-targets page, the note on choosing a cluster SKU:
/// `shared/reference/seed-azureml-compute-targets.sv.txt`, line 43).
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

/// Keys `[sizing]` accepts, for the unknown-key hint.
const KEYS: &[&str] = &[
    "endpoint",
    "traffic",
    "model_memory_gib",
    "gpu_memory_gib",
    "memory_headroom",
    "latency_slo_ms",
    "percentile",
    "peak_rate_per_second",
    "max_429_share",
    "sizes",
    "series",
    "budget_per_30d_usd",
    "max_instances",
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

/// The checked `[sizing]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct SizingConfig {
    pub endpoint: String,
    pub traffic: String,
    pub rate: RateOverride,
    /// More `path=value` assignments for every simulation (flattened rate profiles).
    pub extra_sets: Vec<String>,
    pub goal: Goal,
    /// In catalog order.
    pub candidates: Vec<Candidate>,
}

fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i.as_str().replace('_', "").parse().ok(),
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}

/// The traffic's latency-profile rows (inline or from its file), as the scenario loader reads
/// them. The loader checks them and reports every problem with its place when the first point
/// is loaded, so a row it would reject is just left out here.
fn latency_profile(traffic: &DeTable<'_>, dir: &Path) -> Vec<LatencyRow> {
    let row = |size: &str, concurrency: f64, p50_ms: f64, p95_ms: f64| {
        (concurrency >= 1.0
            && concurrency.fract() == 0.0
            && concurrency <= u32::MAX as f64
            && p50_ms > 0.0
            && p95_ms >= p50_ms
            && p95_ms.is_finite())
        .then(|| LatencyRow {
            size: size.to_string(),
            concurrency: concurrency as u32,
            p50_ms,
            p95_ms,
        })
    };
    if let Some(DeValue::Array(items)) = traffic.get("latency_profile").map(|v| v.get_ref()) {
        return items
            .iter()
            .filter_map(|i| match i.get_ref() {
                DeValue::Table(t) => {
                    let n = |k: &str| t.get(k).and_then(|v| number(v.get_ref()));
                    row(
                        t.get("size")?.get_ref().as_str()?,
                        n("concurrency")?,
                        n("p50_ms")?,
                        n("p95_ms")?,
                    )
                }
                _ => None,
            })
            .collect();
    }
    let Some(file) = traffic
        .get("latency_profile_file")
        .and_then(|v| v.get_ref().as_str())
    else {
        return vec![];
    };
    std::fs::read_to_string(dir.join(file))
        .ok()
        .and_then(|text| latency_csv_rows(&text).ok())
        .map_or_else(Vec::new, |rows| {
            rows.iter()
                .filter_map(|r| row(&r.size, r.concurrency as f64, r.p50_ms, r.p95_ms))
                .collect()
        })
}

/// `[[section]]` tables of the document with their names.
fn named<'d, 'a>(doc: &'d DeTable<'a>, section: &str) -> Vec<(&'d str, &'d DeTable<'a>)> {
    match doc.get(section).map(|v| v.get_ref()) {
        Some(DeValue::Array(items)) => items
            .iter()
            .filter_map(|i| match i.get_ref() {
                DeValue::Table(t) => Some((t.get("name")?.get_ref().as_str()?, t)),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

/// Checks the `[sizing]` table of scenario `text` if it has one (for `capsim validate`).
pub fn check(path: &Path, text: &str) -> Result<(), Vec<Diagnostic>> {
    match DeTable::parse(text) {
        Ok(doc) if doc.get_ref().contains_key("sizing") => {
            parse(path, text, Catalog::builtin()).map(|_| ())
        }
        _ => Ok(()),
    }
}

/// Reads and checks the `[sizing]` table of scenario `text`. The scenario itself is checked by
/// the loader; this checks only the table and what it refers to.
pub fn parse(path: &Path, text: &str, catalog: &Catalog) -> Result<SizingConfig, Vec<Diagnostic>> {
    parse_edited(path, text, catalog, |_| Ok(()))
}

/// [`parse`] of the document as `edit` leaves it: `capsim size --set` changes fields this way,
/// so that a set field is read exactly as a written one (and the rest keep their locations).
pub fn parse_edited<'a>(
    path: &Path,
    text: &'a str,
    catalog: &Catalog,
    edit: impl FnOnce(&mut DeTable<'a>) -> Result<(), Vec<Diagnostic>>,
) -> Result<SizingConfig, Vec<Diagnostic>> {
    let map = SourceMap::new(path, text);
    let mut doc = match DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return Err(vec![map.diag(
                Severity::Error,
                at,
                "",
                e.message().to_string(),
            )]);
        }
    };
    edit(doc.get_mut())?;
    let doc = doc.get_ref();
    let mut errors = vec![];
    let err = |at: usize, field: &str, msg: String| map.diag(Severity::Error, at, field, msg);
    let Some(table_value) = doc.get("sizing") else {
        let mut d = err(
            0,
            "sizing",
            "the scenario has no [sizing] table: capsim size needs one".into(),
        );
        d.hint = Some(
            "add [sizing] with model_memory_gib and latency_slo_ms; see the README, `capsim size`"
                .into(),
        );
        return Err(vec![d]);
    };
    let table_at = table_value.span().start;
    let DeValue::Table(table) = table_value.get_ref() else {
        return Err(vec![err(
            table_at,
            "sizing",
            "must be a table: [sizing]".into(),
        )]);
    };
    if let Some(s) = doc.get("sweep") {
        errors.push(err(
            s.span().start,
            "sweep",
            "capsim size chooses the size and count itself: remove [sweep] (or run the sweep \
             with capsim run)"
                .into(),
        ));
    }

    let get = |k: &str| table.get(k);
    let field = |k: &str| format!("sizing.{k}");
    // The number at `k` if `ok` accepts it, or an error naming the field and what it must be.
    let num = |k: &str, ok: &dyn Fn(f64) -> bool, want: &str, errors: &mut Vec<Diagnostic>| {
        let v = get(k)?;
        match number(v.get_ref()) {
            Some(x) if x.is_finite() && ok(x) => Some(x),
            _ => {
                errors.push(err(v.span().start, &field(k), format!("must be {want}")));
                None
            }
        }
    };
    for (k, _) in table.iter() {
        let name: &str = k.get_ref();
        if !KEYS.contains(&name) {
            let mut d = err(
                k.span().start,
                &field(name),
                format!("unknown field `{name}`"),
            );
            d.hint = Some(format!("[sizing] accepts {}", KEYS.join(", ")));
            errors.push(d);
        }
    }

    // The endpoint and its traffic.
    let endpoints = named(doc, "endpoint");
    let endpoint_name = match get("endpoint") {
        Some(v) => match v.get_ref().as_str() {
            Some(n) if endpoints.iter().any(|(e, _)| *e == n) => Some(n.to_string()),
            Some(n) => {
                let mut d = err(
                    v.span().start,
                    "sizing.endpoint",
                    format!("no [[endpoint]] named `{n}`"),
                );
                d.hint = Some(format!(
                    "endpoints: {}",
                    endpoints
                        .iter()
                        .map(|(e, _)| *e)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                errors.push(d);
                None
            }
            None => {
                errors.push(err(
                    v.span().start,
                    "sizing.endpoint",
                    "must be the name of an [[endpoint]]".into(),
                ));
                None
            }
        },
        None if endpoints.len() == 1 => Some(endpoints[0].0.to_string()),
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
    let endpoint_table = endpoint_name
        .as_deref()
        .and_then(|n| endpoints.iter().find(|(e, _)| *e == n).map(|(_, t)| *t));
    let mcr = endpoint_table
        .and_then(|t| t.get("request_settings"))
        .and_then(|rs| match rs.get_ref() {
            DeValue::Table(rs) => rs.get("max_concurrent_requests_per_instance"),
            _ => None,
        })
        .and_then(|v| number(v.get_ref()))
        .filter(|x| *x >= 1.0 && x.fract() == 0.0 && *x <= u32::MAX as f64)
        .map_or(ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE, |x| x as u32);
    if let Some(t) = endpoint_table
        && let Some(kind) = t.get("type").and_then(|k| k.get_ref().as_str())
        && kind != "managed_online"
    {
        errors.push(err(
            t.get("type").map_or(table_at, |k| k.span().start),
            &format!("endpoint.{}.type", endpoint_name.as_deref().unwrap_or("")),
            format!("capsim size sizes managed_online endpoints, this one is `{kind}`"),
        ));
    }

    let traffics: Vec<(&str, &DeTable<'_>)> = named(doc, "traffic")
        .into_iter()
        .filter(|(_, t)| {
            endpoint_name.is_some()
                && t.get("endpoint").and_then(|e| e.get_ref().as_str()) == endpoint_name.as_deref()
        })
        .collect();
    let traffic = match get("traffic") {
        Some(v) => match v.get_ref().as_str() {
            Some(n) => match traffics.iter().find(|(t, _)| *t == n) {
                Some(t) => Some(*t),
                None => {
                    errors.push(err(
                        v.span().start,
                        "sizing.traffic",
                        format!(
                            "no [[traffic]] named `{n}` sends requests to endpoint `{}`",
                            endpoint_name.as_deref().unwrap_or("?")
                        ),
                    ));
                    None
                }
            },
            None => {
                errors.push(err(
                    v.span().start,
                    "sizing.traffic",
                    "must be the name of a [[traffic]]".into(),
                ));
                None
            }
        },
        None if traffics.len() == 1 => Some(traffics[0]),
        None if endpoint_name.is_none() => None,
        None => {
            errors.push(err(
                table_at,
                "sizing.traffic",
                format!(
                    "{} [[traffic]] tables send requests to `{}`: name the peak one with traffic = \"...\"",
                    traffics.len(),
                    endpoint_name.as_deref().unwrap_or("?")
                ),
            ));
            None
        }
    };
    // The traffic's own rate, per second, and how to replace it.
    let arrivals = traffic.and_then(|(_, t)| match t.get("arrivals").map(|a| a.get_ref()) {
        Some(DeValue::Table(a)) => Some(a),
        _ => None,
    });
    let own_rate = arrivals.and_then(|a| {
        [
            ("rate_per_second", 1.0),
            ("rate_per_minute", 60.0),
            ("rate_per_hour", 3600.0),
        ]
        .into_iter()
        .find_map(|(key, per_second)| {
            let r = number(a.get(key)?.get_ref())?;
            Some((key, r / per_second, per_second))
        })
    });
    // Daily and weekly profiles multiply the rate: the default peak is the highest hour of the
    // highest day, and the simulations flatten both so that the peak lasts the whole horizon.
    let mut flatten = vec![];
    let mut profile_peak = 1.0;
    // Each profile relative to its highest multiplier; [1] when absent.
    let mut relative: [Vec<f64>; 2] = [vec![1.0], vec![1.0]];
    if let (Some((traffic_name, _)), Some(a)) = (traffic, arrivals) {
        for (k, (key, n)) in [("daily_profile", 24), ("weekly_profile", 7)]
            .into_iter()
            .enumerate()
        {
            if let Some(DeValue::Array(items)) = a.get(key).map(|v| v.get_ref()) {
                let values: Vec<f64> = items.iter().filter_map(|i| number(i.get_ref())).collect();
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
    if let Some(t) = endpoint_table
        && let Some(p) = t.get("price_usd_per_hour")
    {
        let mut d = err(
            p.span().start,
            &format!(
                "endpoint.{}.price_usd_per_hour",
                endpoint_name.as_deref().unwrap_or("")
            ),
            "would price every candidate size the same: capsim size compares the sizes' own prices"
                .into(),
        );
        d.hint = Some(
            "remove it; give negotiated prices with a prices file or `discount` instead".into(),
        );
        errors.push(d);
    }
    if let Some(t) = endpoint_table
        && let Some(a) = t.get("autoscale")
    {
        let mut d = err(
            a.span().start,
            &format!(
                "endpoint.{}.autoscale",
                endpoint_name.as_deref().unwrap_or("")
            ),
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

    // The goal.
    let positive = |x: f64| x > 0.0;
    let model_memory_gib = num(
        "model_memory_gib",
        &positive,
        "a number of GiB greater than zero",
        &mut errors,
    );
    if get("model_memory_gib").is_none() {
        errors.push(err(
            table_at,
            "sizing.model_memory_gib",
            "is required: the RAM the loaded model needs, GiB".into(),
        ));
    }
    let gpu_memory_gib = num(
        "gpu_memory_gib",
        &positive,
        "a number of GiB greater than zero",
        &mut errors,
    );
    let memory_headroom = num(
        "memory_headroom",
        &|x| x >= 1.0,
        "a factor of at least 1 (Azure ML advises 1.5)",
        &mut errors,
    )
    .unwrap_or(DEFAULT_MEMORY_HEADROOM);
    let latency_slo_ms = num(
        "latency_slo_ms",
        &positive,
        "a number of milliseconds greater than zero",
        &mut errors,
    );
    if get("latency_slo_ms").is_none() {
        errors.push(err(
            table_at,
            "sizing.latency_slo_ms",
            "is required: the latency goal at `percentile`, milliseconds".into(),
        ));
    }
    let percentile = match get("percentile") {
        None => DEFAULT_PERCENTILE,
        Some(v) => match v.get_ref().as_str() {
            Some("p50") => Percentile::P50,
            Some("p95") => Percentile::P95,
            Some("p99") => Percentile::P99,
            _ => {
                errors.push(err(
                    v.span().start,
                    "sizing.percentile",
                    "must be \"p50\", \"p95\" or \"p99\" (the percentiles the endpoint model measures)"
                        .into(),
                ));
                DEFAULT_PERCENTILE
            }
        },
    };
    let peak = num(
        "peak_rate_per_second",
        &positive,
        "a number of requests per second greater than zero",
        &mut errors,
    );
    if get("peak_rate_per_second").is_none() && own_rate.is_none() && traffic.is_some() {
        errors.push(err(
            table_at,
            "sizing.peak_rate_per_second",
            "is required: the traffic has no rate_per_second or rate_per_hour to take it from"
                .into(),
        ));
    }
    let peak_rate_per_second = peak.or(own_rate.map(|(_, r, _)| r));
    let max_429_share = num(
        "max_429_share",
        &|x| (0.0..1.0).contains(&x),
        "a share from 0 up to (not including) 1, such as 0.001",
        &mut errors,
    )
    .unwrap_or(DEFAULT_MAX_429_SHARE);
    let budget_per_30d_usd = num(
        "budget_per_30d_usd",
        &positive,
        "a number of US dollars greater than zero",
        &mut errors,
    );
    let max_instances = num(
        "max_instances",
        &|x| x >= 1.0 && x <= ENDPOINT_MAX_INSTANCES as f64 && x.fract() == 0.0,
        &format!(
            "a whole number from 1 to {ENDPOINT_MAX_INSTANCES} (Azure ML's limit per deployment)"
        ),
        &mut errors,
    )
    .map_or(ENDPOINT_MAX_INSTANCES, |x| x as u32);

    // The candidates.
    let strings = |k: &str, errors: &mut Vec<Diagnostic>| -> Vec<(String, usize)> {
        match get(k).map(|v| (v.get_ref(), v.span().start)) {
            None => vec![],
            Some((DeValue::Array(items), _)) => items
                .iter()
                .filter_map(|i| match i.get_ref().as_str() {
                    Some(s) => Some((s.to_string(), i.span().start)),
                    None => {
                        errors.push(err(
                            i.span().start,
                            &field(k),
                            "must be a list of names (strings)".into(),
                        ));
                        None
                    }
                })
                .collect(),
            Some((_, at)) => {
                errors.push(err(
                    at,
                    &field(k),
                    "must be a list of names, such as [\"...\"]".into(),
                ));
                vec![]
            }
        }
    };
    let sizes = strings("sizes", &mut errors);
    let series = strings("series", &mut errors);
    let known = list::series_names(catalog);
    let mut chosen: Vec<&crate::catalog::VmSize> = vec![];
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

    let latency_profile = traffic.map_or_else(Vec::new, |(_, t)| {
        latency_profile(t, path.parent().unwrap_or(Path::new("")))
    });

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
    let peak_rate_per_second = peak_rate_per_second.unwrap_or(0.0);
    let rate = match own_rate {
        Some((key, _, per_second)) => RateOverride::Set {
            path: format!("traffic.{traffic}.arrivals.{key}"),
            per_second,
        },
        None => RateOverride::AsWritten,
    };
    Ok(SizingConfig {
        endpoint,
        traffic: traffic.to_string(),
        rate,
        extra_sets: flatten,
        goal: Goal {
            model_memory_gib: model_memory_gib.unwrap_or(0.0),
            gpu_memory_gib,
            memory_headroom,
            latency_slo_ms: latency_slo_ms.unwrap_or(0.0),
            percentile,
            peak_rate_per_second,
            max_429_share,
            budget_per_30d_usd,
            max_instances,
            max_concurrent_requests_per_instance: mcr,
            load_profile,
            latency_profile,
        },
        candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
name = "s"

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

    fn parse_with(sizing: &str) -> Result<SizingConfig, Vec<Diagnostic>> {
        let text = format!("{SCENARIO}\n[sizing]\n{sizing}\n");
        parse(Path::new("s.toml"), &text, Catalog::builtin())
    }

    #[test]
    fn latency_profile_rows_reach_the_goal() {
        let text = SCENARIO.replace(
            "service_time = { dist = \"exponential\", mean = \"200ms\" }",
            "latency_profile = [\n  { size = \"Standard_F4s_v2\", concurrency = 1, p50_ms = 80, p95_ms = 150 },\n  { size = \"Standard_F8s_v2\", concurrency = 4, p50_ms = 60.5, p95_ms = 120 },\n]",
        );
        let text = format!("{text}\n[sizing]\nmodel_memory_gib = 1.0\nlatency_slo_ms = 300\n");
        let c = parse(Path::new("s.toml"), &text, Catalog::builtin()).unwrap();
        assert_eq!(
            c.goal.latency_profile,
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
                .goal
                .latency_profile
                .is_empty()
        );
    }

    #[test]
    fn defaults_come_from_the_scenario_and_azure() {
        let c = parse_with("model_memory_gib = 6\nlatency_slo_ms = 300").unwrap();
        assert_eq!(c.endpoint, "scorer");
        assert_eq!(c.traffic, "requests");
        assert_eq!(c.goal.memory_headroom, 1.5);
        assert_eq!(c.goal.percentile, Percentile::P95);
        assert_eq!(c.goal.max_429_share, 0.001);
        assert_eq!(c.goal.max_instances, 50);
        assert_eq!(c.goal.max_concurrent_requests_per_instance, 2);
        assert!((c.goal.peak_rate_per_second - 20.0).abs() < 1e-12);
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
    fn peak_and_candidates_as_given() {
        let c = parse_with(
            "model_memory_gib = 6\nlatency_slo_ms = 300\npeak_rate_per_second = 40\n\
             series = [\"FSv2\"]\nsizes = [\"standard_d4_v3\", \"Standard_F4s_v2\"]\npercentile = \"p99\"",
        )
        .unwrap();
        assert_eq!(c.goal.peak_rate_per_second, 40.0);
        assert_eq!(c.goal.percentile, Percentile::P99);
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
        // Lines: the [sizing] table starts after the scenario's 16 lines plus a blank line.
        let line = |f: &str| e.iter().find(|d| d.field == f).unwrap().line;
        assert_eq!(
            line("sizing.percentile"),
            line("sizing.model_memory_gib") + 2
        );
        assert!(all.contains("s.toml:"));
    }

    #[test]
    fn missing_fields_and_tables() {
        let e = parse_with("").unwrap_err();
        let all: String = e.iter().map(|d| d.to_string() + "\n").collect();
        assert!(all.contains("model_memory_gib: is required"), "{all}");
        assert!(all.contains("latency_slo_ms: is required"), "{all}");
        let e = parse(Path::new("s.toml"), SCENARIO, Catalog::builtin()).unwrap_err();
        assert!(e[0].message.contains("no [sizing] table"));
    }
}
