//! The cluster scenario shared by `benches/cluster.rs` and `benches/sweep.rs`, and by the
//! whole-process runs of `benches/README.md` as `benches/cluster.toml` and
//! `benches/cluster-sweep.toml`, which must stay equal to [`cluster_toml`] and [`sweep_toml`]
//! (the two benches check it).
//!
//! 30 days of a GPU team's training jobs on an autoscaling cluster: Poisson arrivals shaped by a
//! daily profile (nights at a tenth of the peak), lognormal job durations and lognormal node
//! provisioning delays. The profile's 24 multipliers sum to 11.1, so 9 jobs an hour at the peak
//! make 99.9 jobs a day: about 3,000 jobs per replication.

/// The base scenario, without a `[sweep]`.
pub fn cluster_toml() -> String {
    r#"# cluster_toml() of benches/common/mod.rs; benches/cluster.rs and benches/sweep.rs check it.
name = "bench-cluster"
horizon = "30d"
replications = 10
seed = 11
start_date = 2026-12-01

[[compute]]
name = "gpu"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
min_instances = 0
max_instances = 12
idle_time_before_scale_down = "10m"
provisioning_time = { dist = "lognormal", median = "4m", p95 = "8m" }

[[workload]]
name = "training"
compute = "gpu"
arrivals = { process = "poisson", rate_per_hour = 9.0, daily_profile = [
  0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4,
  0.8, 1.0, 1.0, 0.9, 0.6, 1.0, 1.0, 0.9,
  0.8, 0.6, 0.4, 0.3, 0.2, 0.2, 0.1, 0.1,
] }
duration = { dist = "lognormal", median = "25m", p95 = "2h" }
"#
    .to_string()
}

/// The sweep of `benches/sweep.rs`: 10 × 10 × 10 = 1,000 variants of [`cluster_toml`].
#[allow(dead_code)] // used by benches/sweep.rs only
pub fn sweep_toml() -> String {
    cluster_toml()
        + r#"
[sweep]
mode = "grid"
"compute.gpu.min_instances" = { from = 0, to = 9, step = 1 }
"compute.gpu.idle_time_before_scale_down" = ["1m", "2m", "5m", "10m", "15m", "20m", "30m", "45m", "1h", "2h"]
"compute.gpu.max_instances" = { from = 10, to = 28, step = 2 }
"#
}

#[allow(dead_code)] // used by benches/cluster.rs only
/// Jobs submitted in one replication's report (`warmup` is zero, so `jobs_arrived` counts them
/// all), summed over targets.
pub fn jobs_in(report: &capsim::model::ReplicationResult) -> u64 {
    report
        .targets
        .iter()
        .map(|t| capsim::metrics::values(t)[capsim::metrics::M::jobs_arrived as usize] as u64)
        .sum()
}
