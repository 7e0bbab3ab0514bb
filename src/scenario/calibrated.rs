//! Fitted values written into a scenario's text, as `capsim calibrate` does: edits made through
//! `toml_edit`, so the file's comments, order and layout stay, and a replaced value keeps the
//! comment after it.
//!
//! Which tables a value goes to:
//! - a provisioning time, fitted per VM size and priority: `provisioning_time` of every
//!   `[[compute]]` of type `amlcompute` whose `size` is that size (any case) and whose `tier`
//!   (default `dedicated`) is that priority's;
//! - an eviction rate, measured per cluster: `preemption = { mean_time_between = "..." }` of the
//!   `[[compute]]` named like the cluster, if its `tier` is `low_priority`;
//! - a deployment's latencies: `latency_profile` of every `[[traffic]]` aimed at the
//!   `[[endpoint]]` named like the endpoint (or the deployment), one row for the endpoint's
//!   `instance_type` at its `max_concurrent_requests_per_instance`, with the latencies of the
//!   requests that found the deployment idle (the service time at the deployment's own
//!   setting, without waits; see `capsim calibrate`); the traffic's other service-time
//!   models (`service_time`, `service_time_by_size`, `latency_profile_file`) are removed, and a
//!   traffic with a `token_model` is left alone.
//!
//! A value that matches no table is reported as unmatched, not an error.

use crate::fit::Dist;
use toml_edit::{Array, DocumentMut, InlineTable, Item, TableLike, Value};

/// One fitted value.
#[derive(Clone, Debug)]
pub enum Calibrated {
    Provisioning {
        /// The VM size as the logs write it.
        size: String,
        /// `dedicated` or `low_priority`.
        tier: &'static str,
        /// The distribution as a scenario writes it (see [`dist_table`]).
        dist: InlineTable,
    },
    Preemption {
        cluster: String,
        /// Hours a node lives on average: 1 / evictions per node-hour.
        mean_time_between_h: f64,
    },
    Latency {
        endpoint: String,
        deployment: String,
        p50_ms: f64,
        p95_ms: f64,
    },
}

/// The text after the edits, and what was changed and what matched nothing, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub text: String,
    pub changes: Vec<String>,
    pub unmatched: Vec<String>,
}

/// A fitted distribution as a scenario writes it: `{ dist = "lognormal", median = "243.5s",
/// p95 = "541.2s" }`; an empirical one names `file` (relative to the scenario) and its
/// `provisioning_s` column, which the caller writes.
pub fn dist_table(d: &Dist, empirical_file: &str) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("dist", d.family().into());
    let secs = |x: f64| Value::from(format!("{}s", round(x, 1)));
    match d {
        Dist::Constant { value } => {
            t.insert("value", secs(*value));
        }
        Dist::Exponential { mean } => {
            t.insert("mean", secs(*mean));
        }
        Dist::LogNormal { .. } => {
            let (median, p95) = (round(d.quantile(0.5), 1), round(d.quantile(0.95), 1));
            if p95 <= median {
                // Too narrow to tell apart at a tenth of a second: a constant.
                return dist_table(&Dist::Constant { value: median }, empirical_file);
            }
            t.insert("median", secs(median));
            t.insert("p95", secs(p95));
        }
        Dist::Gamma { shape, .. } => {
            let cv = round(1.0 / shape.sqrt(), 4);
            if cv <= 0.0 {
                return dist_table(&Dist::Constant { value: d.mean() }, empirical_file);
            }
            t.insert("mean", secs(d.mean()));
            t.insert("cv", cv.into());
        }
        Dist::Empirical { .. } => {
            t.insert("file", empirical_file.into());
            t.insert("column", EMPIRICAL_COLUMN.into());
        }
    }
    t.fmt();
    t
}

/// The column of an empirical distribution's file.
pub const EMPIRICAL_COLUMN: &str = "provisioning_s";

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// `preemption`'s value for a mean node life of `hours`.
pub fn preemption_table(hours: f64) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("mean_time_between", format!("{}h", round(hours, 2)).into());
    t.fmt();
    t
}

/// One latency-profile row.
pub fn latency_row(size: &str, concurrency: i64, p50_ms: f64, p95_ms: f64) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("size", size.into());
    t.insert("concurrency", concurrency.into());
    t.insert("p50_ms", round(p50_ms, 1).into());
    t.insert("p95_ms", round(p95_ms, 1).into());
    t.fmt();
    t
}

/// Applies `values` to the scenario `text`.
pub fn apply(text: &str, values: &[Calibrated]) -> Result<Applied, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let mut changes = vec![];
    let mut unmatched = vec![];
    // What the endpoints say, looked up before the traffic is edited.
    let endpoints: Vec<(String, String, i64)> = tables(&mut doc, "endpoint")
        .into_iter()
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?.to_string();
            let size = t.get("instance_type")?.as_str()?.to_string();
            let concurrency = t
                .get("request_settings")
                .and_then(|r| r.as_table_like())
                .and_then(|r| r.get("max_concurrent_requests_per_instance"))
                .and_then(|c| c.as_integer())
                .unwrap_or(1);
            Some((name, size, concurrency))
        })
        .collect();
    for v in values {
        let mut hit = false;
        match v {
            Calibrated::Provisioning { size, tier, dist } => {
                for t in tables(&mut doc, "compute") {
                    let name = str_of(t, "name");
                    let kind = t
                        .get("type")
                        .and_then(|x| x.as_str())
                        .unwrap_or("amlcompute");
                    let t_size = str_of(t, "size");
                    let t_tier = t
                        .get("tier")
                        .and_then(|x| x.as_str())
                        .unwrap_or("dedicated");
                    if kind == "amlcompute" && t_size.eq_ignore_ascii_case(size) && t_tier == *tier
                    {
                        put(t, "provisioning_time", Value::InlineTable(dist.clone()));
                        changes.push(format!("compute.{name}.provisioning_time = {dist}"));
                        hit = true;
                    }
                }
                if !hit {
                    unmatched.push(format!(
                        "provisioning time of {size} ({tier}): no [[compute]] of type amlcompute has that size and tier"
                    ));
                }
            }
            Calibrated::Preemption {
                cluster,
                mean_time_between_h,
            } => {
                let value = preemption_table(*mean_time_between_h);
                for t in tables(&mut doc, "compute") {
                    if str_of(t, "name") != *cluster {
                        continue;
                    }
                    if t.get("tier").and_then(|x| x.as_str()) != Some("low_priority") {
                        unmatched.push(format!(
                            "eviction rate of {cluster}: its [[compute]] is not tier = \"low_priority\""
                        ));
                        hit = true;
                        continue;
                    }
                    put(t, "preemption", Value::InlineTable(value.clone()));
                    changes.push(format!("compute.{cluster}.preemption = {value}"));
                    hit = true;
                }
                if !hit {
                    unmatched.push(format!(
                        "eviction rate of {cluster}: no [[compute]] is named {cluster}"
                    ));
                }
            }
            Calibrated::Latency {
                endpoint,
                deployment,
                p50_ms,
                p95_ms,
            } => {
                let Some((ep_name, size, concurrency)) = endpoints
                    .iter()
                    .find(|(n, _, _)| n == endpoint)
                    .or_else(|| endpoints.iter().find(|(n, _, _)| n == deployment))
                    .cloned()
                else {
                    unmatched.push(format!(
                        "latencies of {endpoint}/{deployment}: no [[endpoint]] is named {endpoint} or {deployment}"
                    ));
                    continue;
                };
                for t in tables(&mut doc, "traffic") {
                    if str_of(t, "endpoint") != ep_name {
                        continue;
                    }
                    let name = str_of(t, "name");
                    hit = true;
                    if t.contains_key("token_model") {
                        unmatched.push(format!(
                            "latencies of {endpoint}/{deployment}: traffic {name} uses a token_model; left as it is"
                        ));
                        continue;
                    }
                    for k in [
                        "service_time",
                        "service_time_by_size",
                        "latency_profile_file",
                    ] {
                        if t.remove(k).is_some() {
                            changes.push(format!("traffic.{name}.{k} removed"));
                        }
                    }
                    let row = latency_row(&size, concurrency, *p50_ms, *p95_ms);
                    let mut rows = Array::new();
                    rows.push(row);
                    put(t, "latency_profile", Value::Array(rows.clone()));
                    changes.push(format!("traffic.{name}.latency_profile = {rows}"));
                }
                if !hit {
                    unmatched.push(format!(
                        "latencies of {endpoint}/{deployment}: no [[traffic]] is aimed at endpoint {ep_name}"
                    ));
                }
            }
        }
    }
    Ok(Applied {
        text: doc.to_string(),
        changes,
        unmatched,
    })
}

fn str_of(t: &dyn TableLike, key: &str) -> String {
    t.get(key)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Sets `key`, keeping the spacing and the comment of the value it replaces.
fn put(t: &mut dyn TableLike, key: &str, mut value: Value) {
    match t.get(key) {
        Some(Item::Value(old)) => *value.decor_mut() = old.decor().clone(),
        _ => value.decor_mut().set_prefix(" "),
    }
    t.insert(key, Item::Value(value));
}

/// The tables of `[[section]]` (or an inline array of tables).
fn tables<'d>(doc: &'d mut DocumentMut, section: &str) -> Vec<&'d mut dyn TableLike> {
    match doc.as_table_mut().get_mut(section) {
        Some(Item::ArrayOfTables(a)) => a.iter_mut().map(|t| t as &mut dyn TableLike).collect(),
        Some(Item::Value(Value::Array(a))) => a
            .iter_mut()
            .filter_map(Value::as_inline_table_mut)
            .map(|t| t as &mut dyn TableLike)
            .collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::lognormal_from_median_p95;

    const TEXT: &str = r#"# The team's clusters
name = "s"
horizon = "7d"
start_date = 2026-12-01

[[compute]]
name = "gpu-cluster"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 4
provisioning_time = { dist = "constant", value = "5m" }   # a guess

[[compute]]
name = "cpu-spot"
type = "amlcompute"
size = "Standard_D4s_v3"
tier = "low_priority"
max_instances = 4

[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 2
request_settings = { max_concurrent_requests_per_instance = 2 }

[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_second = 1.0 }
service_time = { dist = "exponential", mean = "100ms" }   # measured once
"#;

    #[test]
    fn values_go_to_their_tables_and_comments_stay() {
        let values = [
            Calibrated::Provisioning {
                size: "STANDARD_NC4AS_T4_V3".into(),
                tier: "dedicated",
                dist: dist_table(&lognormal_from_median_p95(240.0, 540.0), "x.csv"),
            },
            Calibrated::Preemption {
                cluster: "cpu-spot".into(),
                mean_time_between_h: 9.876,
            },
            Calibrated::Latency {
                endpoint: "scorer".into(),
                deployment: "blue".into(),
                p50_ms: 80.04,
                p95_ms: 199.96,
            },
            Calibrated::Preemption {
                cluster: "gpu-cluster".into(),
                mean_time_between_h: 1.0,
            },
        ];
        let a = apply(TEXT, &values).unwrap();
        assert!(a.text.starts_with("# The team's clusters\n"));
        assert!(
            a.text.contains(
                "provisioning_time = { dist = \"lognormal\", median = \"240s\", p95 = \"540s\" }   # a guess\n"
            ),
            "{}",
            a.text
        );
        assert!(
            a.text
                .contains("preemption = { mean_time_between = \"9.88h\" }"),
            "{}",
            a.text
        );
        assert!(!a.text.contains("service_time"), "{}", a.text);
        assert!(
            a.text.contains(
                "latency_profile = [{ size = \"Standard_F4s_v2\", concurrency = 2, p50_ms = 80.0, p95_ms = 200.0 }]"
            ),
            "{}",
            a.text
        );
        assert_eq!(a.unmatched.len(), 1, "{:?}", a.unmatched);
        assert!(a.unmatched[0].contains("not tier = \"low_priority\""));
        // The edited text is still a valid scenario.
        crate::scenario::parse(std::path::Path::new("s.toml"), &a.text).unwrap();
    }
}
