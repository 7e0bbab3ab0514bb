//! The scenario file as written: serde types that mirror the TOML, with the position of every
//! value kept (`Spanned`) so that validation can point at the line and column of a problem.
//! Unknown fields are errors, so a typo never silently falls back to a default.

use super::duration::Dur;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;
use toml::value::Datetime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub horizon: Option<Spanned<Dur>>,
    pub warmup: Option<Spanned<Dur>>,
    pub replications: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub sample_interval: Option<Spanned<Dur>>,
    /// The calendar date simulated time zero stands for (retirement checks).
    pub start_date: Option<Spanned<Datetime>>,
    /// A CSV of `size,price_usd_per_hour[,low_priority_price_usd_per_hour]`.
    pub prices: Option<Spanned<String>>,
    /// A fraction taken off catalog list prices (reservations, savings plans, agreements).
    pub discount: Option<Spanned<f64>>,
    /// vCPU quota per VM family (catalog series name) and `low_priority`.
    pub quota: Option<Spanned<BTreeMap<String, Spanned<i64>>>>,
    #[serde(default)]
    pub compute: Vec<Spanned<RawCompute>>,
    #[serde(default)]
    pub workload: Vec<Spanned<RawWorkload>>,
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
    // Serverless:
    /// `standard` or `spot`.
    pub job_tier: Option<Spanned<String>>,
    pub quota_vcpus: Option<Spanned<i64>>,
    pub startup_time: Option<Spanned<RawDist>>,
}

/// `{ mean_time_between = "6h" }` or `{ probability_per_hour = 0.05 }`, per node.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreemption {
    pub mean_time_between: Option<Spanned<Dur>>,
    pub probability_per_hour: Option<Spanned<f64>>,
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
    pub repeat: Option<bool>,
    pub on_bad_row: Option<Spanned<String>>,
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
