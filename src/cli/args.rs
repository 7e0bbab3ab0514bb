//! The command line's arguments (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "capsim",
    version,
    about = "Capacity planning for Azure Machine Learning compute, by discrete-event simulation",
    long_about = "capsim simulates Azure Machine Learning compute targets (autoscaling clusters, \
                  queues, provisioning delays, billing) under a workload described in a TOML \
                  scenario file, over many replications, and reports waits, utilisation and cost \
                  with 95% confidence intervals.\n\nExit codes: 0 success, 1 the run failed, \
                  2 invalid input."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario and write summary.csv, replications.csv and timeseries.csv.
    Run(RunArgs),
    /// Check a scenario without running it; report every problem found.
    Validate(ValidateArgs),
    /// List the VM sizes of the built-in catalog with specs and prices.
    Catalog(CatalogArgs),
    /// Write report.html, report.md and charts/ for a finished run's output folder.
    Report(ReportArgs),
    /// Combine the output folders of `capsim run --shard K/N` into the files one run writes.
    Merge(MergeArgs),
    /// Choose a managed online endpoint's VM size and instance count from the scenario's
    /// [sizing] table: scale up, then scale out; writes sizing.csv.
    Size(SizeArgs),
    /// Turn Azure ML CLI v2 YAML (compute, online and batch endpoints and deployments) into a
    /// scenario, with placeholders for the work Azure's YAML does not describe.
    Import(ImportArgs),
    /// Fit provisioning times, eviction rates and endpoint latencies to a workspace's Azure
    /// Monitor log exports; write them into a scenario or print the TOML to paste.
    Calibrate(CalibrateArgs),
    /// Replay a workspace's job history (Azure Monitor log exports) against its clusters' own
    /// settings and compare the simulation with what the logs show; writes backtest.csv.
    Backtest(BacktestArgs),
    /// Prices: `capsim prices import` turns Azure Retail Prices API responses into a price file.
    #[command(subcommand)]
    Prices(PricesCommand),
}

#[derive(Subcommand, Debug)]
pub enum PricesCommand {
    /// Read Azure Retail Prices API response pages (JSON) and write the price file a scenario's
    /// `prices` names: per size and region, pay-as-you-go, Low Priority and Spot, 1- and
    /// 3-year reservation and savings-plan prices per hour, with source and date.
    Import(PricesImportArgs),
}

#[derive(Args, Debug)]
pub struct PricesImportArgs {
    /// The response pages, as fetched (every page of each query: follow NextPageLink).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The price file to write (replaced if it exists; nothing is written after an error).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The YAML files: compute targets, endpoints and their deployments (a deployment is paired
    /// with its endpoint by endpoint_name).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the scenario to this file (never overwritten) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print nothing but errors (the scenario still goes to standard output without --out).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The Azure Monitor exports `calibrate` and `backtest` read, and how.
#[derive(Args, Debug, Default)]
pub struct MonitorArgs {
    /// An AmlComputeClusterNodeEvent export (CSV): provisioning times.
    #[arg(long, value_name = "FILE")]
    pub nodes: Option<PathBuf>,
    /// An AmlOnlineEndpointTrafficLog export (CSV): requests and latencies.
    #[arg(long, value_name = "FILE")]
    pub traffic: Option<PathBuf>,
    /// Only this cluster (repeatable); every cluster by default.
    #[arg(long = "cluster", value_name = "NAME")]
    pub cluster_names: Vec<String>,
    /// Only what happened from this time (ISO 8601 with a zone, e.g. 2026-11-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only what happened before this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Leave rows with bad cells out (and count them) instead of refusing the file.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// An AmlComputeClusterEvent export (CSV): eviction rates, and the clusters' settings.
    #[arg(long, value_name = "FILE")]
    pub clusters: Option<PathBuf>,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    /// Write the fitted values into this scenario (comments kept); without it, print the TOML.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// An AmlComputeJobEvent export (CSV): the jobs to replay.
    #[arg(long, value_name = "FILE")]
    pub jobs: PathBuf,
    /// An AmlComputeClusterEvent export (CSV): the clusters' settings and node counts.
    #[arg(long, value_name = "FILE")]
    pub clusters: PathBuf,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    /// A scenario whose [[endpoint]] tables describe the endpoints of --traffic (the logs do
    /// not record instance types or counts), to compare 429s.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Replications of the history.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub replications: u64,
    /// The seed of the simulation's random draws (provisioning times, evictions).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Node-hours within this many percent on every cluster count as a match.
    #[arg(long, value_name = "PERCENT", default_value_t = crate::commands::backtest::DEFAULT_TOLERANCE_PCT)]
    pub tolerance: f64,
    /// Worker threads; 0 uses every core. Results are identical for any value.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = threads)]
    pub threads: usize,
    /// Folder for the results [default: output/backtest].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write report.html, report.md and charts/, with observed and simulated nodes.
    #[arg(long)]
    pub report: bool,
    /// With --report: also write every chart as PNG beside its SVG.
    #[arg(long, requires = "report")]
    pub png: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct SizeArgs {
    /// The scenario file (TOML) with a [sizing] table.
    pub file: PathBuf,
    /// Folder for sizing.csv [default: output/<scenario file name without .toml>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the scenario's seed (a non-negative integer).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Override the number of replications of every simulated size and count.
    #[arg(long, value_name = "N")]
    pub replications: Option<u64>,
    /// Worker threads; 0 uses every core. Results are identical for any value.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = threads)]
    pub threads: usize,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write report.html, report.md and charts/sizing.svg.
    #[arg(long)]
    pub report: bool,
    /// With --report: also write the chart as PNG.
    #[arg(long, requires = "report")]
    pub png: bool,
    /// A CSV of size,price_usd_per_hour[,low_priority_price_usd_per_hour] that overrides the
    /// catalog's prices (and the scenario's `prices`): it changes the ranking and every cost.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Treat the scenario's warnings (a retirement inside the horizon, ...) as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Set one field for the search, e.g. --set sizing.max_429_share=0.01 or
    /// --set traffic.requests.arrivals.rate_per_second=30 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Tables as wide as their contents: without it they fit the terminal (100 columns when
    /// the output is not a terminal), leaving out or wrapping columns and saying which.
    #[arg(long)]
    pub wide: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shards' output folders, all N of them, in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write report.html, report.md and charts/.
    #[arg(long)]
    pub report: bool,
    /// Tables as wide as their contents: without it they fit the terminal (100 columns when
    /// the output is not a terminal), leaving out or wrapping columns and saying which.
    #[arg(long)]
    pub wide: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The output folder of a finished `capsim run`.
    pub dir: PathBuf,
    /// Also write every chart as PNG beside its SVG.
    #[arg(long)]
    pub png: bool,
}

#[derive(Args, Debug)]
pub struct CatalogArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
    pub format: CatalogFormat,
    /// Only these series (repeat or separate with commas), e.g. NCasT4_v3,NDasrA100_v4.
    #[arg(long, value_delimiter = ',', value_name = "SERIES")]
    pub series: Vec<String>,
    /// Only sizes with GPUs.
    #[arg(long)]
    pub gpu: bool,
    /// Only sizes with at least this much memory, GiB.
    #[arg(long, value_name = "GIB")]
    pub min_memory_gib: Option<f64>,
    /// Only sizes with at least this many vCPUs.
    #[arg(long, value_name = "N")]
    pub min_vcpus: Option<u32>,
    /// Also list sizes whose series has been retired.
    #[arg(long)]
    pub include_retired: bool,
    /// Tables as wide as their contents: without it they fit the terminal (100 columns when
    /// the output is not a terminal), leaving out or wrapping columns and saying which.
    #[arg(long)]
    pub wide: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum CatalogFormat {
    Table,
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Folder for the results [default: output/<scenario file name without .toml>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the scenario's seed (a non-negative integer).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Override the number of replications.
    #[arg(long, value_name = "N")]
    pub replications: Option<u64>,
    /// Worker threads; 0 uses every core. Results are identical for any value.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = threads)]
    pub threads: usize,
    /// Override the simulated time, e.g. 7d, 12h, 3600 (seconds).
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write report.html, report.md and charts/ (see `capsim report`).
    #[arg(long)]
    pub report: bool,
    /// With --report: also write every chart as PNG beside its SVG.
    #[arg(long, requires = "report")]
    pub png: bool,
    /// Run only the K-th of N disjoint slices of the variant x replication pairs and write them
    /// for `capsim merge` (e.g. --shard 3/8; docs/shards.md has recipes for Kubernetes, Slurm, Azure ML).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::sweep::Shard>,
    /// Run even if the estimate says it would take over an hour or more memory than the
    /// machine has available.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub check: CheckArgs,
    /// Tables as wide as their contents: without it they fit the terminal (100 columns when
    /// the output is not a terminal), leaving out or wrapping columns and saying which.
    #[arg(long)]
    pub wide: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    #[command(flatten)]
    pub check: CheckArgs,
}

/// Options that change how a scenario is checked, shared by `run` and `validate`.
#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// A CSV of size,price_usd_per_hour[,low_priority_price_usd_per_hour] that overrides the
    /// catalog's prices (and the scenario's `prices`).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Treat warnings (a retirement inside the horizon, a node count above the default limit, ...)
    /// as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Set one field for this run, e.g. --set compute.gpu-cluster.min_instances=2 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Add a sweep axis, e.g. --sweep compute.gpu-cluster.min_instances=0,1,2,4 (repeatable).
    #[arg(long = "sweep", value_name = "PATH=V1,V2,...")]
    pub sweeps: Vec<String>,
}

/// The most worker threads `--threads` takes.
const MAX_THREADS: usize = 1024;

/// `--threads N`: from 0 to [`MAX_THREADS`], refused at once (100000 used to run for 15 s,
/// starting threads, before failing).
fn threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n <= MAX_THREADS => Ok(n),
        _ => Err(format!(
            "must be from 0 (every core) to {MAX_THREADS}, got {text}"
        )),
    }
}
