//! Command-line interface: arguments to typed requests, requests to library calls.

use crate::output::{self, OutputDir, TimeseriesWriter};
use crate::scenario::sweep::{Plan, load_plan};
use crate::scenario::{self, Diagnostic, LoadError, Scenario, format_duration, parse_duration};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

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
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The output folder of a finished `capsim run`.
    pub dir: PathBuf,
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
    #[arg(long, value_name = "N", default_value_t = 0)]
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
    #[command(flatten)]
    pub check: CheckArgs,
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

/// Errors at the edge, with the exit code each deserves.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: the user can fix it. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// Anything else. Exit code 1.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

pub fn main_with(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Catalog(args) => catalog(args),
        Command::Report(args) => report(&args.dir).map(|_| ()),
    }
}

fn report(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    if !dir.join("summary.csv").is_file() {
        return Err(CliError::Input(format!(
            "{}: no summary.csv: give the output folder of a finished `capsim run`",
            dir.display()
        )));
    }
    crate::report::write_report(dir, &crate::report::ReportOptions::default())
        .map_err(CliError::Failed)
}

fn catalog(args: CatalogArgs) -> Result<(), CliError> {
    use crate::catalog::{Catalog, list};
    let catalog = Catalog::builtin();
    let known = list::series_names(catalog);
    for s in &args.series {
        if !known.iter().any(|k| list::series_matches(s, k)) {
            return Err(CliError::Input(format!(
                "--series: no series `{s}` in the catalog\n  hint: series: {}",
                known.join(", ")
            )));
        }
    }
    if let Some(m) = args.min_memory_gib
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(CliError::Input(format!(
            "--min-memory-gib: must be a number of zero or more, got {m}"
        )));
    }
    let query = list::Query {
        series: args.series,
        gpu: args.gpu,
        min_memory_gib: args.min_memory_gib,
        min_vcpus: args.min_vcpus,
        include_retired: args.include_retired,
        today: scenario::date::format(scenario::date::today()),
    };
    let format = match args.format {
        CatalogFormat::Table => list::Format::Table,
        CatalogFormat::Csv => list::Format::Csv,
        CatalogFormat::Json => list::Format::Json,
    };
    let rows = list::select(catalog, &query);
    let _ = write!(std::io::stdout(), "{}", list::render(&rows, format));
    Ok(())
}

fn print_warnings(warnings: &[Diagnostic]) {
    for w in warnings {
        eprintln!("{w}");
    }
}

fn load(file: &Path, check: &CheckArgs) -> Result<Plan, CliError> {
    let options = scenario::LoadOptions {
        today: None,
        prices_file: check.prices.clone(),
    };
    let text = std::fs::read_to_string(file).map_err(|source| {
        CliError::Input(
            LoadError::Io {
                path: file.to_path_buf(),
                source,
            }
            .to_string(),
        )
    })?;
    match load_plan(file, &text, &options, &check.sets, &check.sweeps) {
        Ok(p) if check.deny_warnings && !p.warnings.is_empty() => {
            let n = p.warnings.len();
            let mut msg: Vec<String> = p.warnings.iter().map(|w| w.to_string()).collect();
            msg.push(format!(
                "{n} warning{} treated as error{} (--deny-warnings)",
                if n == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" }
            ));
            Err(CliError::Input(msg.join("\n")))
        }
        Ok(p) => Ok(p),
        Err(LoadError::Invalid { errors, warnings }) => {
            print_warnings(&warnings);
            Err(CliError::Input(
                LoadError::Invalid {
                    errors,
                    warnings: vec![],
                }
                .to_string(),
            ))
        }
        Err(e @ LoadError::Io { .. }) => Err(CliError::Input(e.to_string())),
    }
}

fn validate(args: ValidateArgs) -> Result<(), CliError> {
    let plan = load(&args.file, &args.check)?;
    print_warnings(&plan.warnings);
    let s = &plan.variants[0].scenario;
    let _ = writeln!(
        std::io::stdout(),
        "{}: valid ({} variant{}, {} compute target{}, {} workload{})",
        args.file.display(),
        plan.variants.len(),
        if plan.variants.len() == 1 { "" } else { "s" },
        s.system.targets.len(),
        if s.system.targets.len() == 1 { "" } else { "s" },
        s.system.workloads.len(),
        if s.system.workloads.len() == 1 {
            ""
        } else {
            "s"
        },
    );
    Ok(())
}

/// Applies command-line overrides, checking them as the file's own values are checked.
fn apply_overrides(s: &mut Scenario, args: &RunArgs) -> Result<(), CliError> {
    if let Some(seed) = args.seed {
        if seed > i64::MAX as u64 {
            return Err(CliError::Input(format!(
                "--seed: must be at most {}, got {seed}",
                i64::MAX
            )));
        }
        s.seed = seed;
    }
    if let Some(n) = args.replications {
        if n == 0 || n > scenario::MAX_REPLICATIONS {
            return Err(CliError::Input(format!(
                "--replications: must be from 1 to {}, got {n}",
                scenario::MAX_REPLICATIONS
            )));
        }
        s.replications = n;
    }
    if let Some(h) = &args.horizon {
        let secs = parse_duration(h).map_err(|e| CliError::Input(format!("--horizon: {e}")))?;
        if !secs.is_finite() || secs <= 0.0 {
            return Err(CliError::Input(format!(
                "--horizon: must be greater than zero, got {h}"
            )));
        }
        let warmup = crate::engine::time::to_secs_f64(s.system.warmup);
        if secs <= warmup {
            return Err(CliError::Input(format!(
                "--horizon: must be longer than the scenario's warm-up ({}), got {h}",
                format_duration(warmup)
            )));
        }
        s.system.horizon = crate::engine::time::from_secs_f64(secs);
    }
    Ok(())
}

/// `output/<file stem>`, with anything but letters, digits, `-`, `_` and `.` replaced, so a
/// scenario's name can never point outside `output/`.
pub fn default_out_dir(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.trim_matches('.').is_empty() {
        clean = "scenario".into();
    }
    Path::new("output").join(clean)
}

fn run(args: RunArgs) -> Result<(), CliError> {
    let mut plan = load(&args.file, &args.check)?;
    if !args.quiet {
        print_warnings(&plan.warnings);
    }
    for v in &mut plan.variants {
        apply_overrides(&mut v.scenario, &args)?;
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.file));
    let mut out = OutputDir::prepare(&out_dir).map_err(|e| anyhow::anyhow!(e))?;
    let first = plan.variants[0].scenario.clone();

    let started = std::time::Instant::now();
    let ts_file = out
        .create("timeseries.csv")
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut ts = TimeseriesWriter::new(ts_file, &first, 0);
    let results = crate::sweep::run_plan(&plan, args.threads, Some(&mut ts))
        .map_err(|e| anyhow::anyhow!("cannot start {} worker threads: {e}", args.threads))?;
    let ts_file = ts
        .finish()
        .map_err(|e| anyhow::anyhow!("writing timeseries.csv: {e}"))?;
    crate::output::files_finish(ts_file)
        .map_err(|e| anyhow::anyhow!("writing timeseries.csv: {e}"))?;
    let elapsed = started.elapsed();

    let fail = |e: csv::Error| CliError::Failed(anyhow::anyhow!(e));
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    out.write(
        "summary.csv",
        &output::summary_csv(&plan, &results).map_err(fail)?,
    )
    .map_err(io)?;
    out.write(
        "replications.csv",
        &output::replications_csv(&plan, &results).map_err(fail)?,
    )
    .map_err(io)?;
    let tradeoff =
        (plan.variants.len() > 1).then(|| crate::sweep::tradeoff::analyse(&plan, &results));
    if let Some(rows) = &tradeoff {
        out.write(
            "tradeoff.csv",
            &output::tradeoff_csv(&plan, rows).map_err(fail)?,
        )
        .map_err(io)?;
    }
    out.write("scenario.toml", first.source.as_bytes())
        .map_err(io)?;
    out.commit().map_err(io)?;
    if args.report {
        report(&out_dir)?;
    }

    if !args.quiet {
        let mut stdout = std::io::stdout().lock();
        let s = &first;
        let _ = writeln!(
            stdout,
            "{}: {}{} replication{} of {} (warm-up {}), seed {}",
            s.name,
            if plan.variants.len() > 1 {
                format!("{} variants x ", plan.variants.len())
            } else {
                String::new()
            },
            s.replications,
            if s.replications == 1 { "" } else { "s" },
            format_duration(crate::engine::time::to_secs_f64(s.system.horizon)),
            format_duration(crate::engine::time::to_secs_f64(s.system.warmup)),
            s.seed
        );
        let _ = write!(
            stdout,
            "{}",
            output::terminal_summary(&plan, &results, tradeoff.as_deref())
        );
        let events: u64 = results.iter().map(|r| r.events()).sum();
        let _ = writeln!(
            stdout,
            "Means over replications, ± the 95% confidence half-width. {events} events in {:.2} s.\nResults in {}/",
            elapsed.as_secs_f64(),
            out_dir.display()
        );
    }
    Ok(())
}
