//! Command-line interface: arguments to typed requests, requests to library calls.

use crate::output::{self, OutputDir, TimeseriesWriter};
use crate::scenario::sweep::{Plan, load_plan};
use crate::scenario::{self, Diagnostic, LoadError, Scenario, format_duration, parse_duration};
use crate::sweep::RunResult;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// With --report: also write every chart as PNG beside its SVG.
    #[arg(long, requires = "report")]
    pub png: bool,
    /// Run only the K-th of N disjoint slices of the variant x replication pairs and write them
    /// for `capsim merge` (e.g. --shard 3/8; see the README for Kubernetes, Slurm, Azure ML).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::sweep::Shard>,
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
    /// Stopped by Ctrl-C after writing what had finished. Exit code 130, as for SIGINT.
    #[error("{0}")]
    Interrupted(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failed(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }
}

pub fn main_with(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Catalog(args) => catalog(args),
        Command::Report(args) => report(&args.dir, args.png).map(|_| ()),
        Command::Merge(args) => merge(args),
    }
}

fn report(dir: &Path, png: bool) -> Result<Vec<PathBuf>, CliError> {
    if !dir.join("summary.csv").is_file() {
        return Err(CliError::Input(format!(
            "{}: no summary.csv: give the output folder of a finished `capsim run`",
            dir.display()
        )));
    }
    let options = crate::report::ReportOptions {
        png,
        ..crate::report::ReportOptions::default()
    };
    crate::report::write_report(dir, &options).map_err(CliError::Failed)
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

/// Command-line overrides of scenario fields.
#[derive(Clone, Copy, Debug, Default)]
struct Overrides<'a> {
    seed: Option<u64>,
    replications: Option<u64>,
    horizon: Option<&'a str>,
}

/// Applies command-line overrides, checking them as the file's own values are checked.
fn apply_overrides(s: &mut Scenario, args: Overrides<'_>) -> Result<(), CliError> {
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
    if let Some(h) = args.horizon {
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
    let overrides = Overrides {
        seed: args.seed,
        replications: args.replications,
        horizon: args.horizon.as_deref(),
    };
    for v in &mut plan.variants {
        apply_overrides(&mut v.scenario, overrides)?;
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.file));
    let mut out = OutputDir::prepare(&out_dir).map_err(|e| anyhow::anyhow!(e))?;
    let first = plan.variants[0].scenario.clone();

    // The first Ctrl-C asks the runner to stop starting replications; what finished is then
    // written and marked incomplete. A second one ends the process at once.
    let cancel: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let _ = ctrlc::set_handler(move || {
        if cancel.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let total_pairs = crate::sweep::pairs(&plan).len();
    let mine = args.shard.map_or(0..total_pairs, |s| s.range(total_pairs));
    let bar = progress_bar(mine.len() as u64, args.quiet);
    let tick = || bar.inc(1);
    let control = crate::sweep::Control {
        threads: args.threads,
        shard: args.shard,
        cancel: Some(cancel),
        progress: Some(&tick),
    };

    let started = std::time::Instant::now();
    // Only the slice holding variant 0's replication 0 writes the time series.
    let ts_file = if mine.start == 0 {
        Some(
            out.create("timeseries.csv")
                .map_err(|e| anyhow::anyhow!(e))?,
        )
    } else {
        None
    };
    let mut ts = ts_file.map(|f| TimeseriesWriter::new(f, &first, 0));
    let outcome = crate::sweep::run_plan_with(
        &plan,
        &control,
        ts.as_mut()
            .map(|w| w as &mut (dyn crate::model::SampleSink + Send)),
    )
    .map_err(|e| anyhow::anyhow!("cannot start {} worker threads: {e}", args.threads))?;
    bar.finish_and_clear();
    if let Some(ts) = ts {
        let ts_file = ts
            .finish()
            .map_err(|e| anyhow::anyhow!("writing timeseries.csv: {e}"))?;
        crate::output::files_finish(ts_file)
            .map_err(|e| anyhow::anyhow!("writing timeseries.csv: {e}"))?;
    }
    let elapsed = started.elapsed();
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    let fail = |e: csv::Error| CliError::Failed(anyhow::anyhow!(e));

    if let Some(shard) = args.shard {
        let manifest = output::shard::Manifest {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            shard: shard.to_string(),
            pairs_total: total_pairs,
            scenario_file: absolute(&args.file),
            seed: args.seed,
            replications: args.replications,
            horizon: args.horizon.clone(),
            prices: args.check.prices.as_deref().map(absolute),
            sets: args.check.sets.clone(),
            sweeps: args.check.sweeps.clone(),
        };
        if outcome.interrupted {
            // A shard with missing replications cannot be merged: leave nothing that looks like
            // a finished shard.
            drop(out);
            return Err(CliError::Interrupted(format!(
                "interrupted: shard {shard} was not finished; nothing was written to {}",
                out_dir.display()
            )));
        }
        out.write(
            output::shard::ROWS,
            &output::shard::rows_csv(&outcome.results).map_err(fail)?,
        )
        .map_err(io)?;
        out.write(
            output::shard::MANIFEST,
            toml::to_string(&manifest)
                .map_err(|e| anyhow::anyhow!(e))?
                .as_bytes(),
        )
        .map_err(io)?;
        out.write("scenario.toml", first.source.as_bytes())
            .map_err(io)?;
        out.commit().map_err(io)?;
        if !args.quiet {
            let _ = writeln!(
                std::io::stdout(),
                "shard {shard}: {} of {total_pairs} replications in {:.2} s. Results in {}/\n\
                 When every shard has finished: capsim merge <the {} shard folders> --out DIR",
                mine.len(),
                elapsed.as_secs_f64(),
                out_dir.display(),
                shard.count
            );
        }
        return Ok(());
    }

    // After an interruption, only variants whose every replication finished are reported.
    let (plan, results) = if outcome.interrupted {
        complete_variants(&plan, outcome.results)
    } else {
        (plan, outcome.results)
    };
    let tradeoff = write_outputs(&mut out, &plan, &results, &first)?;
    if outcome.interrupted {
        out.write(
            "INCOMPLETE.txt",
            format!(
                "This run was interrupted (Ctrl-C): {} of {} variants finished and are reported; \
                 the others are missing. Rerun to get complete results.\n",
                plan.variants.len(),
                total_variants(total_pairs, &first)
            )
            .as_bytes(),
        )
        .map_err(io)?;
    }
    out.commit().map_err(io)?;
    if args.report && !outcome.interrupted {
        report(&out_dir, args.png)?;
    }

    if !args.quiet && !plan.variants.is_empty() {
        print_run_summary(&plan, &results, tradeoff.as_deref(), &out_dir, elapsed);
    }
    if outcome.interrupted {
        return Err(CliError::Interrupted(format!(
            "interrupted: {} finished variant{} written to {}/ and marked incomplete (INCOMPLETE.txt)",
            plan.variants.len(),
            if plan.variants.len() == 1 { "" } else { "s" },
            out_dir.display()
        )));
    }
    Ok(())
}

fn total_variants(total_pairs: usize, first: &Scenario) -> usize {
    total_pairs / (first.replications.max(1) as usize)
}

/// The variants whose every replication ran, with their results.
fn complete_variants(plan: &Plan, results: Vec<RunResult>) -> (Plan, Vec<RunResult>) {
    let mut kept = Plan {
        variants: vec![],
        ..plan.clone()
    };
    let mut kept_results = vec![];
    for (v, r) in plan.variants.iter().zip(results) {
        if r.rows.len() as u64 == v.scenario.replications {
            kept.variants.push(v.clone());
            kept_results.push(r);
        }
    }
    (kept, kept_results)
}

/// Writes the files every finished run has (but the time series, which is streamed): the same
/// code for `capsim run` and `capsim merge`, so that both give the same bytes.
fn write_outputs(
    out: &mut OutputDir,
    plan: &Plan,
    results: &[RunResult],
    first: &Scenario,
) -> Result<Option<Vec<crate::sweep::tradeoff::Row>>, CliError> {
    let fail = |e: csv::Error| CliError::Failed(anyhow::anyhow!(e));
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    out.write(
        "summary.csv",
        &output::summary_csv(plan, results).map_err(fail)?,
    )
    .map_err(io)?;
    out.write(
        "replications.csv",
        &output::replications_csv(plan, results).map_err(fail)?,
    )
    .map_err(io)?;
    out.write(
        "workloads.csv",
        &output::workloads::workloads_csv(plan, results).map_err(fail)?,
    )
    .map_err(io)?;
    let tradeoff =
        (plan.variants.len() > 1).then(|| crate::sweep::tradeoff::analyse(plan, results));
    if let Some(rows) = &tradeoff {
        out.write(
            "tradeoff.csv",
            &output::tradeoff_csv(plan, rows).map_err(fail)?,
        )
        .map_err(io)?;
    }
    out.write("scenario.toml", first.source.as_bytes())
        .map_err(io)?;
    Ok(tradeoff)
}

fn print_run_summary(
    plan: &Plan,
    results: &[RunResult],
    tradeoff: Option<&[crate::sweep::tradeoff::Row]>,
    out_dir: &Path,
    elapsed: std::time::Duration,
) {
    let mut stdout = std::io::stdout().lock();
    let s = &plan.variants[0].scenario;
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
        output::terminal_summary(plan, results, tradeoff)
    );
    let events: u64 = results.iter().map(|r| r.events()).sum();
    let _ = writeln!(
        stdout,
        "Means over replications, ± the 95% confidence half-width. {events} events in {:.2} s.\nResults in {}/",
        elapsed.as_secs_f64(),
        out_dir.display()
    );
}

/// A progress bar on stderr when it is a terminal (done/total, rate, ETA); hidden otherwise.
fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if quiet || total < 2 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} replications  {per_sec}  ETA {eta}  {elapsed_precise}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

fn merge(args: MergeArgs) -> Result<(), CliError> {
    use output::shard::{MANIFEST, Manifest, ROWS, read_rows};
    let input = |msg: String| CliError::Input(msg);
    let mut shards: Vec<(Manifest, PathBuf)> = vec![];
    for dir in &args.dirs {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            input(format!(
                "{}: {e}: give the output folders of `capsim run --shard K/N`",
                path.display()
            ))
        })?;
        let m: Manifest =
            toml::from_str(&text).map_err(|e| input(format!("{}: {e}", path.display())))?;
        shards.push((m, dir.clone()));
    }
    let (first_manifest, first_dir) = shards[0].clone();
    let count = first_manifest
        .shard()
        .map_err(|e| {
            input(format!(
                "{}: shard: {e}",
                first_dir.join(MANIFEST).display()
            ))
        })?
        .count;
    let scenario_text = std::fs::read_to_string(first_dir.join("scenario.toml")).map_err(|e| {
        input(format!(
            "{}: {e}",
            first_dir.join("scenario.toml").display()
        ))
    })?;
    let mut by_index: Vec<Option<PathBuf>> = vec![None; count];
    for (m, dir) in &shards {
        let here = dir.join(MANIFEST);
        if m.capsim_version != env!("CARGO_PKG_VERSION") {
            return Err(input(format!(
                "{}: written by capsim {}, this is {}: merge with the capsim that ran the shards",
                here.display(),
                m.capsim_version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        if m.sweep_identity() != first_manifest.sweep_identity()
            || std::fs::read_to_string(dir.join("scenario.toml"))
                .ok()
                .as_deref()
                != Some(scenario_text.as_str())
        {
            return Err(input(format!(
                "{} and {} are shards of different runs (scenario, arguments or shard count differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        let shard = m
            .shard()
            .map_err(|e| input(format!("{}: shard: {e}", here.display())))?;
        if shard.count != count {
            return Err(input(format!(
                "{}: shard {shard} of a sweep split {count} ways",
                here.display()
            )));
        }
        if let Some(other) = &by_index[shard.index - 1] {
            return Err(input(format!(
                "shard {shard} given twice: {} and {}",
                other.display(),
                dir.display()
            )));
        }
        by_index[shard.index - 1] = Some(dir.clone());
    }
    let missing: Vec<String> = by_index
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_none())
        .map(|(k, _)| format!("{}/{count}", k + 1))
        .collect();
    if !missing.is_empty() {
        return Err(input(format!(
            "missing shard{} {}: merge needs all {count}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }

    // Rebuild the plan exactly as the shards built it.
    let file = PathBuf::from(&first_manifest.scenario_file);
    let check = CheckArgs {
        prices: first_manifest.prices.as_ref().map(PathBuf::from),
        deny_warnings: false,
        sets: first_manifest.sets.clone(),
        sweeps: first_manifest.sweeps.clone(),
    };
    let options = scenario::LoadOptions {
        today: None,
        prices_file: check.prices.clone(),
    };
    let mut plan =
        load_plan(&file, &scenario_text, &options, &check.sets, &check.sweeps).map_err(|e| {
            input(format!(
                "rebuilding the sweep from {}: {e}",
                first_dir.display()
            ))
        })?;
    let overrides = Overrides {
        seed: first_manifest.seed,
        replications: first_manifest.replications,
        horizon: first_manifest.horizon.as_deref(),
    };
    for v in &mut plan.variants {
        apply_overrides(&mut v.scenario, overrides)?;
    }
    let pairs = crate::sweep::pairs(&plan);
    if pairs.len() != first_manifest.pairs_total {
        return Err(input(format!(
            "the scenario now expands to {} replications, the shards ran {}",
            pairs.len(),
            first_manifest.pairs_total
        )));
    }
    let mut results: Vec<RunResult> = plan
        .variants
        .iter()
        .map(|_| RunResult { rows: vec![] })
        .collect();
    let mut next = 0;
    for (k, dir) in by_index.iter().flatten().enumerate() {
        let path = dir.join(ROWS);
        let bytes = std::fs::read(&path).map_err(|e| input(format!("{}: {e}", path.display())))?;
        let rows = read_rows(&bytes, &path.display().to_string()).map_err(input)?;
        let want = crate::sweep::Shard {
            index: k + 1,
            count,
        }
        .range(pairs.len());
        let got: Vec<(usize, u64)> = rows.iter().map(|(v, r)| (*v, r.replication)).collect();
        if want.start != next || got.as_slice() != &pairs[want.clone()] {
            return Err(input(format!(
                "{}: does not hold the replications of shard {}/{count}",
                path.display(),
                k + 1
            )));
        }
        next = want.end;
        for (v, row) in rows {
            results[v].rows.push(row);
        }
    }

    let mut out = OutputDir::prepare(&args.out).map_err(|e| anyhow::anyhow!(e))?;
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    let first = plan.variants[0].scenario.clone();
    let ts_path = by_index[0]
        .as_ref()
        .expect("checked")
        .join("timeseries.csv");
    if let Ok(bytes) = std::fs::read(&ts_path) {
        out.write("timeseries.csv", &bytes).map_err(io)?;
    }
    let tradeoff = write_outputs(&mut out, &plan, &results, &first)?;
    out.commit().map_err(io)?;
    if args.report {
        report(&args.out, false)?;
    }
    if !args.quiet {
        print_run_summary(
            &plan,
            &results,
            tradeoff.as_deref(),
            &args.out,
            std::time::Duration::ZERO,
        );
    }
    Ok(())
}
