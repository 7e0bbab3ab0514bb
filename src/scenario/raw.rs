//! The scenario file as written: serde types that mirror the TOML, with the position of every
//! value kept (`Spanned`) so that validation can point at the line and column of a problem.
//! Unknown fields are errors, so a typo never silently falls back to a default.

use crate::text::duration::Dur;
use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use toml::Spanned;
use toml::value::Datetime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub horizon: Option<Spanned<Dur>>,
    pub warmup: Option<Spanned<Warmup>>,
    /// A count, or `"auto"`: replications added until the goal's answer is settled.
    pub replications: Option<Spanned<RawReplications>>,
    /// With `replications = "auto"`: the relative 95% half-width each goal measure must reach.
    pub precision: Option<Spanned<f64>>,
    /// With `replications = "auto"`: the most replications any setting gets.
    pub max_replications: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub sample_interval: Option<Spanned<Dur>>,
    /// The calendar date simulated time zero stands for (retirement checks).
    pub start_date: Option<Spanned<Datetime>>,
    /// A CSV of `size,price_usd_per_hour[,low_priority_price_usd_per_hour]`.
    pub prices: Option<Spanned<String>>,
    /// A fraction taken off catalog list prices (reservations, savings plans, agreements).
    pub discount: Option<Spanned<f64>>,
    /// The Azure region prices are looked up for (`armRegionName`, e.g. `eastus`).
    pub region: Option<Spanned<String>>,
    /// vCPU quota per VM family (catalog series name) and `low_priority`.
    /// Keys are spanned so that an unknown family is reported at the key, not at its value.
    pub quota: Option<Spanned<BTreeMap<Spanned<String>, Spanned<i64>>>>,
    #[serde(default)]
    pub compute: Vec<Spanned<RawCompute>>,
    #[serde(default)]
    pub workload: Vec<Spanned<RawWorkload>>,
    /// Inference endpoints (see `scenario::endpoint`).
    #[serde(default)]
    pub endpoint: Vec<Spanned<RawEndpoint>>,
    /// Request streams aimed at endpoints.
    #[serde(default)]
    pub traffic: Vec<Spanned<RawTraffic>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompute {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub size: Option<Spanned<String>>,
    pub min_instances: Option<Spanned<i64>>,
    pub max_instances: Option<Spanned<i64>>,
    pub idle_time_before_scale_down: Option<Spanned<Dur>>,
    pub tier: Option<Spanned<String>>,
    pub provisioning_time: Option<Spanned<RawDist>>,
    pub backfill: Option<bool>,
    /// Overrides the catalog's price for this target (at its tier).
    pub price_usd_per_hour: Option<Spanned<f64>>,
    /// Turns the error for a retired VM series into a warning, for replaying the past.
    pub allow_retired: Option<bool>,
    /// Low-priority nodes are taken back at this rate.
    pub preemption: Option<Spanned<RawPreemption>>,
    /// A preempted job restarts from its last checkpoint, taken this often.
    pub checkpoint_interval: Option<Spanned<Dur>>,
    /// This target's Azure region, when not the scenario's.
    pub region: Option<Spanned<String>>,
    /// Low priority as Spot: the price as a risk.
    pub spot_price: Option<Spanned<RawSpotPrice>>,
    // Fixed pools (kubernetes, remote_vm, attached, local):
    pub instance_count: Option<Spanned<i64>>,
    /// `always_on` or `external`.
    pub billing: Option<Spanned<String>>,
    // Compute instances:
    pub idle_time_before_shutdown: Option<Spanned<Dur>>,
    pub start_time: Option<Spanned<RawDist>>,
    pub initial_state: Option<Spanned<String>>,
    pub max_concurrent_jobs: Option<Spanned<i64>>,
    pub disk_usd_per_month: Option<Spanned<f64>>,
    pub load_balancer_usd_per_day: Option<Spanned<f64>>,
    /// Up to 4 start/stop schedules.
    pub schedules: Option<Spanned<Vec<Spanned<RawSchedule>>>>,
    // Serverless:
    /// `standard` or `spot`.
    pub job_tier: Option<Spanned<String>>,
    pub quota_vcpus: Option<Spanned<i64>>,
    pub startup_time: Option<Spanned<RawDist>>,
    /// Azure ML YAML files whose values fill this table (see `scenario::from`, which merges them
    /// into the document before it is read here, so validation never sees the key).
    pub from: Option<toml::Value>,
}

/// `{ start = "08:00", stop = "19:00", days = ["mon", "tue"] }`: daily times (24-hour clock,
/// simulated time zero is Monday 00:00) on the given days (default every day).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub start: Option<Spanned<String>>,
    pub stop: Option<Spanned<String>>,
    pub days: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `{ mean_time_between = "6h" }` or `{ probability_per_hour = 0.05 }`, per node.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreemption {
    pub mean_time_between: Option<Spanned<Dur>>,
    pub probability_per_hour: Option<Spanned<f64>>,
    /// How long a node taken back stays billed before it is gone.
    pub eviction_time: Option<Spanned<Dur>>,
}

/// `{ fraction = 0.2 }`, `{ fraction = { dist = "uniform", low = 0.1, high = 0.4 }, per = "1d",
/// correlation = 0.8 }` or `{ observed = "spot_prices.csv" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpotPrice {
    /// A fraction of pay-as-you-go: a number or a distribution table.
    pub fraction: Option<Spanned<toml::Value>>,
    /// Draw a new fraction this often (default: once per replication).
    pub per: Option<Spanned<Dur>>,
    /// Correlation of consecutive periods' fractions.
    pub correlation: Option<Spanned<f64>>,
    /// A CSV of `time,spot_price_usd_per_hour`.
    pub observed: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub name: Spanned<String>,
    pub compute: Spanned<String>,
    pub arrivals: Spanned<RawArrivals>,
    /// Required unless a trace gives every job its duration.
    pub duration: Option<Spanned<RawDist>>,
    /// Duration divisor per VM size: `{ "Standard_NC24ads_A100_v4" = 2.5 }`.
    pub speedup: Option<Spanned<BTreeMap<String, Spanned<f64>>>>,
    pub instance_count: Option<Spanned<i64>>,
    /// `command` (default), `automl`, `pipeline` or `designer`.
    pub kind: Option<Spanned<String>>,
    pub requires_gpu: Option<Spanned<bool>>,
    /// Higher runs first on the target's queue (default 0).
    pub priority: Option<Spanned<i64>>,
    /// The CUDA version the job's environment is built for, e.g. "11.8".
    pub cuda_version: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrivals {
    pub process: Spanned<String>,
    pub rate_per_hour: Option<Spanned<f64>>,
    pub rate_per_minute: Option<Spanned<f64>>,
    pub rate_per_second: Option<Spanned<f64>>,
    pub daily_profile: Option<Spanned<Vec<f64>>>,
    pub weekly_profile: Option<Spanned<Vec<f64>>>,
    // process = "mmpp": two states, a rate and a mean sojourn each.
    pub rates_per_hour: Option<Spanned<Vec<Spanned<f64>>>>,
    pub mean_sojourn: Option<Spanned<Vec<Spanned<Dur>>>>,
    /// Jobs submitted together at each arrival (any process).
    pub batch_size: Option<Spanned<i64>>,
    // process = "trace":
    pub file: Option<Spanned<String>>,
    pub submit_column: Option<Spanned<String>>,
    pub duration_column: Option<Spanned<String>>,
    pub nodes_column: Option<Spanned<String>>,
    pub gpus_column: Option<Spanned<String>>,
    /// chrono format, or `epoch_s` / `epoch_ms`; default `%Y-%m-%d %H:%M:%S`.
    pub time_format: Option<Spanned<String>>,
    /// Gaps between submissions are multiplied by this (0.5 = twice as busy).
    pub time_scale: Option<Spanned<f64>>,
    pub start: Option<Spanned<Dur>>,
    pub end: Option<Spanned<Dur>>,
    pub repeat: Option<Spanned<bool>>,
    pub on_bad_row: Option<Spanned<String>>,
    /// Replay only the rows whose `status_column` holds one of `statuses`.
    pub status_column: Option<Spanned<String>>,
    pub statuses: Option<Spanned<Vec<Spanned<String>>>>,
    /// Replay only the rows whose `cluster_column` holds one of `clusters`.
    pub cluster_column: Option<Spanned<String>>,
    pub clusters: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A distribution of durations. One flat table for every family, checked after parsing, so
/// that a missing or misplaced parameter gets a message about the distribution rather than a
/// generic "did not match any variant".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: Spanned<String>,
    pub value: Option<Spanned<Dur>>,
    pub mean: Option<Spanned<Dur>>,
    pub median: Option<Spanned<Dur>>,
    pub p95: Option<Spanned<Dur>>,
    pub cv: Option<Spanned<f64>>,
    pub min: Option<Spanned<Dur>>,
    pub max: Option<Spanned<Dur>>,
    pub file: Option<Spanned<String>>,
    pub column: Option<Spanned<String>>,
}

/// `[[endpoint]]`: an online endpoint with one deployment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub name: Spanned<String>,
    /// `managed_online`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub instance_type: Option<Spanned<String>>,
    pub instance_count: Option<Spanned<i64>>,
    pub request_settings: Option<Spanned<RawRequestSettings>>,
    pub autoscale: Option<Spanned<RawAutoscale>>,
    /// vCPUs one running request uses (for `CpuUtilizationPercentage`).
    pub cpu_per_request_vcpus: Option<Spanned<f64>>,
    pub slo: Option<Spanned<RawSlo>>,
    pub price_usd_per_hour: Option<Spanned<f64>>,
    pub allow_retired: Option<bool>,
    // kubernetes_online:
    /// VM size of the cluster's node pool (billed always on).
    pub node_size: Option<Spanned<String>>,
    pub node_count: Option<Spanned<i64>>,
    /// The instance type's CPU and memory requests per replica.
    pub cpu_request_vcpus: Option<Spanned<f64>>,
    pub memory_request_gib: Option<Spanned<f64>>,
    pub scale_settings: Option<Spanned<RawScaleSettings>>,
    /// Time for a new replica to serve (ASSUMPTION when absent).
    pub replica_start_time: Option<Spanned<RawDist>>,
    // aci and local (dev/test):
    pub cpu_cores: Option<Spanned<f64>>,
    pub memory_gib: Option<Spanned<f64>>,
    pub model_size_gib: Option<Spanned<f64>>,
    pub gpus: Option<Spanned<i64>>,
    // batch:
    /// The amlcompute cluster the deployment's jobs run on.
    pub compute: Option<Spanned<String>>,
    pub mini_batch_size: Option<Spanned<i64>>,
    pub max_concurrency_per_instance: Option<Spanned<i64>>,
    pub retry_settings: Option<Spanned<RawRetrySettings>>,
    /// Failed files tolerated before a job is stopped; -1 for no limit.
    pub error_threshold: Option<Spanned<i64>>,
    /// Azure ML YAML files (an endpoint's and its deployment's) whose values fill this table;
    /// merged before validation, as for [`RawCompute::from`].
    pub from: Option<toml::Value>,
}

/// A batch deployment's `retry_settings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetrySettings {
    pub max_retries: Option<Spanned<i64>>,
    /// Per mini-batch; a bare number is seconds, as in Azure's YAML.
    pub timeout: Option<Spanned<Dur>>,
}

/// A Kubernetes online deployment's `scale_settings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScaleSettings {
    /// `target_utilization` (default) or `default` (a fixed `instance_count`).
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub min_instances: Option<Spanned<i64>>,
    pub max_instances: Option<Spanned<i64>>,
    pub target_utilization_percentage: Option<Spanned<f64>>,
    pub polling_interval: Option<Spanned<Dur>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequestSettings {
    pub max_concurrent_requests_per_instance: Option<Spanned<i64>>,
    pub request_timeout_ms: Option<Spanned<i64>>,
    /// Deprecated by Azure: accepted with a warning, not simulated.
    pub max_queue_wait_ms: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub latency_ms: Spanned<f64>,
    /// Percent of requests, default 95.
    pub percentile: Option<Spanned<f64>>,
}

/// Azure Monitor autoscale: the default profile's bounds and rules, plus recurrence profiles.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscale {
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
    pub default: Option<Spanned<i64>>,
    /// Default cooldown of every rule.
    pub cooldown: Option<Spanned<Dur>>,
    pub provisioning_time: Option<Spanned<RawDist>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub profiles: Vec<Spanned<RawProfile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub name: Spanned<String>,
    /// `["saturday", "sunday"]`; default every day.
    pub days: Option<Spanned<Vec<Spanned<String>>>>,
    /// `"08:00"`; default 00:00.
    pub start: Option<Spanned<String>>,
    /// `"19:00"` (exclusive); default 24:00.
    pub end: Option<Spanned<String>>,
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
    pub default: Option<Spanned<i64>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub metric: Spanned<String>,
    /// RequestLatency only: `average`, `p50`, `p95` or `p99`.
    pub statistic: Option<Spanned<String>>,
    pub time_grain: Option<Spanned<Dur>>,
    pub time_window: Option<Spanned<Dur>>,
    pub time_aggregation: Option<Spanned<String>>,
    pub operator: Spanned<String>,
    pub threshold: Spanned<f64>,
    /// `increase` (out) or `decrease` (in).
    pub direction: Spanned<String>,
    /// `change_count` (default), `percent_change_count` or `exact_count`.
    #[serde(rename = "type")]
    pub action: Option<Spanned<String>>,
    pub value: Option<Spanned<f64>>,
    pub cooldown: Option<Spanned<Dur>>,
}

/// `[[traffic]]`: requests aimed at an endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    pub name: Spanned<String>,
    pub endpoint: Spanned<String>,
    pub arrivals: Spanned<RawRequestArrivals>,
    /// One distribution of service times (for any size without its own).
    pub service_time: Option<Spanned<RawDist>>,
    /// A distribution per VM size.
    pub service_time_by_size: Option<Spanned<BTreeMap<String, Spanned<RawDist>>>>,
    pub token_model: Option<Spanned<RawTokenModel>>,
    /// Load-test measurements: latency per size and concurrency.
    pub latency_profile: Option<Spanned<Vec<Spanned<RawLatencyRow>>>>,
    /// The same rows from a CSV with columns `size,concurrency,p50_ms,p95_ms`.
    pub latency_profile_file: Option<Spanned<String>>,
    // Aimed at a batch endpoint:
    /// Input files of each invocation.
    pub files: Option<Spanned<i64>>,
    /// Time to score one file on the cluster's size.
    pub time_per_file: Option<Spanned<RawDist>>,
}

/// A traffic's `arrivals`: a workload's [`RawArrivals`] plus MMPP rates per minute or per
/// second, as request rates are usually quoted. A struct of its own so that workloads keep
/// rejecting these keys as unknown rather than silently ignoring them.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an arrivals table such as { process = \"poisson\", rate_per_second = 20.0 }"
)]
pub struct RawRequestArrivals {
    pub process: Spanned<String>,
    pub rate_per_hour: Option<Spanned<f64>>,
    pub rate_per_minute: Option<Spanned<f64>>,
    pub rate_per_second: Option<Spanned<f64>>,
    pub daily_profile: Option<Spanned<Vec<f64>>>,
    pub weekly_profile: Option<Spanned<Vec<f64>>>,
    // process = "mmpp": two states, a rate (in one of three units) and a mean sojourn each.
    pub rates_per_hour: Option<Spanned<Vec<Spanned<f64>>>>,
    pub rates_per_minute: Option<Spanned<Vec<Spanned<f64>>>>,
    pub rates_per_second: Option<Spanned<Vec<Spanned<f64>>>>,
    pub mean_sojourn: Option<Spanned<Vec<Spanned<Dur>>>>,
    pub batch_size: Option<Spanned<i64>>,
    // process = "trace":
    pub file: Option<Spanned<String>>,
    pub submit_column: Option<Spanned<String>>,
    pub duration_column: Option<Spanned<String>>,
    pub nodes_column: Option<Spanned<String>>,
    pub gpus_column: Option<Spanned<String>>,
    pub time_format: Option<Spanned<String>>,
    pub time_scale: Option<Spanned<f64>>,
    pub start: Option<Spanned<Dur>>,
    pub end: Option<Spanned<Dur>>,
    pub repeat: Option<Spanned<bool>>,
    pub on_bad_row: Option<Spanned<String>>,
}

/// One row of a latency profile: what a load test measured on `size` with `concurrency`
/// requests in flight per instance.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a row such as { size = \"Standard_F4s_v2\", concurrency = 1, p50_ms = 80, p95_ms = 150 }"
)]
pub struct RawLatencyRow {
    pub size: Spanned<String>,
    pub concurrency: Spanned<i64>,
    pub p50_ms: Spanned<f64>,
    pub p95_ms: Spanned<f64>,
}

/// Service time = `base_ms + per_input_token_ms x tokens_in + per_output_token_ms x tokens_out`,
/// tokens from the trace's columns.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokenModel {
    pub input_column: Option<Spanned<String>>,
    pub output_column: Option<Spanned<String>>,
    pub base_ms: Option<Spanned<f64>>,
    pub per_input_token_ms: Option<Spanned<f64>>,
    pub per_output_token_ms: Option<Spanned<f64>>,
    pub by_size: Option<Spanned<BTreeMap<String, Spanned<RawTokenCost>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokenCost {
    pub base_ms: Spanned<f64>,
    pub per_input_token_ms: Spanned<f64>,
    pub per_output_token_ms: Spanned<f64>,
}

/// `[sweep]`: how the axes become variants, and the axes themselves. An axis's key is the path
/// of the field it sweeps (`"compute.gpu-cluster.min_instances"`), a key of the user's choosing,
/// so the table cannot deny unknown fields: every key but `mode` and `samples` is an axis, kept
/// in the order written (the order of the variants and of the `parameter_` columns).
#[derive(Debug, Default)]
pub struct RawSweep {
    /// `grid` (default), `random` or `latin_hypercube`.
    pub mode: Option<Spanned<String>>,
    /// Variants to draw in the random and Latin-hypercube modes.
    pub samples: Option<Spanned<i64>>,
    pub axes: IndexMap<Spanned<String>, Spanned<RawAxis>>,
}

impl<'de> Deserialize<'de> for RawSweep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSweep;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a [sweep] table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSweep, A::Error> {
                let mut sweep = RawSweep::default();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "mode" => sweep.mode = Some(map.next_value()?),
                        "samples" => sweep.samples = Some(map.next_value()?),
                        _ => {
                            let axis = map.next_value()?;
                            sweep.axes.insert(key, axis);
                        }
                    }
                }
                Ok(sweep)
            }
        }
        d.deserialize_map(V)
    }
}

/// One axis of a `[sweep]`, before its values are checked: any TOML value is read, so that a
/// value that is no axis gets a message about axes rather than about Rust types.
#[derive(Debug)]
pub enum RawAxis {
    /// `[v1, v2, ...]`, each value with its place (its text is the value as written).
    Values(Vec<Spanned<toml::Value>>),
    /// `{ from, to, step }`, or `{ from, to }` in the sampling modes; keys in the order written.
    Range(IndexMap<String, toml::Value>),
    /// A lone value: not an axis.
    Other,
}

impl<'de> Deserialize<'de> for RawAxis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAxis;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of values or a range { from, to, step }")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawAxis, A::Error> {
                let mut values = vec![];
                while let Some(v) = seq.next_element()? {
                    values.push(v);
                }
                Ok(RawAxis::Values(values))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAxis, A::Error> {
                let mut range = IndexMap::new();
                let mut datetime = false;
                while let Some(key) = map.next_key::<String>()? {
                    // toml hands a date or time over as a one-key table.
                    datetime |= key.starts_with("$__toml_private");
                    range.insert(key, map.next_value()?);
                }
                Ok(if datetime {
                    RawAxis::Other
                } else {
                    RawAxis::Range(range)
                })
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawAxis, E> {
                Ok(RawAxis::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawAxis, E> {
                Ok(RawAxis::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawAxis, E> {
                Ok(RawAxis::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawAxis, E> {
                Ok(RawAxis::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawAxis, E> {
                Ok(RawAxis::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[goal]`: what a sweep's recommendation must meet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGoal {
    /// The cheapest setting whose p95 wait is at most this.
    pub wait_p95: Option<Spanned<Dur>>,
    /// The cheapest setting whose cost per month (730 h) is at most this.
    pub budget_per_month_usd: Option<Spanned<f64>>,
    /// The key's name before a month was 730 hours: refused, with the figure to write instead.
    pub budget_per_30d_usd: Option<Spanned<f64>>,
    /// Online endpoints: latency percentiles of served requests at most these.
    pub latency_p50: Option<Spanned<Dur>>,
    pub latency_p95: Option<Spanned<Dur>>,
    pub latency_p99: Option<Spanned<Dur>>,
    /// Online endpoints: shares of requests ended with 429 and with 408 at most these.
    pub max_429_share: Option<Spanned<f64>>,
    pub max_408_share: Option<Spanned<f64>>,
    /// Online endpoints with an `slo`: at least this share of requests within its latency.
    pub slo_attainment: Option<Spanned<f64>>,
    /// A duration (for waits and latencies) or a share (for shares): how far past its bound a
    /// measure still counts as meeting it.
    pub tolerance: Option<Spanned<RawTolerance>>,
}

/// `replications`: a count, or a word (`"auto"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum RawReplications {
    Count(i64),
    Word(String),
}

/// `tolerance` in `[goal]`: `"30s"` or `0.005`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawTolerance {
    /// Tried first: a number is a share, and only a string a duration.
    Share(f64),
    Time(Dur),
}

/// `[sizing]`: what `capsim size` looks for (see `scenario::sizing`). Numbers that must be whole
/// are read as numbers and checked after, so that `max_instances = 5.0` reads as 5.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSizing {
    pub endpoint: Option<Spanned<String>>,
    pub traffic: Option<Spanned<String>>,
    pub model_memory_gib: Option<Spanned<f64>>,
    pub gpu_memory_gib: Option<Spanned<f64>>,
    pub memory_headroom: Option<Spanned<f64>>,
    pub latency_slo_ms: Option<Spanned<f64>>,
    /// `p50`, `p95` or `p99`.
    pub percentile: Option<Spanned<String>>,
    pub peak_rate_per_second: Option<Spanned<f64>>,
    pub max_429_share: Option<Spanned<f64>>,
    pub sizes: Option<Spanned<Vec<Spanned<String>>>>,
    pub series: Option<Spanned<Vec<Spanned<String>>>>,
    pub budget_per_month_usd: Option<Spanned<f64>>,
    /// Refused as in `[goal]`.
    pub budget_per_30d_usd: Option<Spanned<f64>>,
    pub max_instances: Option<Spanned<f64>>,
}

/// `warmup`: a duration, or `"auto"` (each replication's warm-up chosen by MSER-5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Warmup {
    Auto,
    Fixed(Dur),
}

impl<'de> Deserialize<'de> for Warmup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Warmup;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration such as \"90s\", \"5m\", \"2h\", \"30d\", a number of seconds, \
                     or \"auto\"",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Warmup, E> {
                Ok(Warmup::Fixed(Dur(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Warmup, E> {
                Ok(Warmup::Fixed(Dur(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Warmup, E> {
                Ok(Warmup::Fixed(Dur(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Warmup, E> {
                if v.trim() == "auto" {
                    return Ok(Warmup::Auto);
                }
                crate::text::duration::parse_duration(v)
                    .map(|x| Warmup::Fixed(Dur(x)))
                    .map_err(|e| E::custom(format!("{e}, or \"auto\"")))
            }
        }
        d.deserialize_any(V)
    }
}
