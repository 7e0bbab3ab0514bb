//! Command-line interface: arguments to typed requests, requests to library calls.

use crate::output::{self, OutputDir, TimeseriesWriter};
use crate::scenario::{self, Diagnostic, LoadError, Plan, Scenario};
use crate::sweep::RunResult;
use crate::text::{date, format_duration};
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
    /// Choose a managed online endpoint's VM size and instance count from the scenario's
    /// [sizing] table: scale up, then scale out; writes sizing.csv.
    Size(SizeArgs),
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
    #[arg(long, value_name = "N", default_value_t = 0)]
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
    /// Run even if the estimate says it would take over an hour or more memory than the
    /// machine has available.
    #[arg(long)]
    pub force: bool,
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
        Command::Size(args) => size(args),
    }
}

/// `capsim size`: the search lives in [`crate::sizing`]; this reads, writes and prints.
fn size(args: SizeArgs) -> Result<(), CliError> {
    use crate::sizing::{SizingError, report as sizing_report};
    let source = scenario::Source::read(&args.file).map_err(|e| CliError::Input(e.to_string()))?;
    let to_cli = |e: SizingError| match e {
        SizingError::Input(m) => CliError::Input(m),
        SizingError::Failed(m) => CliError::Failed(anyhow::anyhow!(m)),
        e @ SizingError::Interrupted => CliError::Interrupted(e.to_string()),
    };
    let edits = scenario::Edits {
        seed: args.seed,
        replications: args.replications,
        sets: args.sets.clone(),
        prices: args.prices.clone(),
        ..Default::default()
    };
    let request = crate::sizing::prepare(&source, &edits, args.threads).map_err(to_cli)?;
    if args.deny_warnings && !request.warnings.is_empty() {
        return Err(denied_warnings(&request.warnings));
    }
    if !args.quiet {
        print_warnings(&request.warnings);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.file));
    // Before the folder's lock file exists, so that Ctrl-C cannot end the process with it there.
    let cancel = interrupt_flag();
    // An interrupted search leaves no trace: not even the folder, when this run made it.
    let out_dir_existed = out_dir.exists();
    let mut out = OutputDir::prepare(&out_dir).map_err(|e| anyhow::anyhow!(e))?;
    // How many simulations the search needs is not known ahead: count replications instead.
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {pos} replications simulated  {per_sec}  {elapsed_precise}",
        ) {
            bar.set_style(style);
        }
        bar
    };
    let tick = || bar.inc(1);
    let sized = match crate::sizing::run(request, Some(&tick), Some(cancel)) {
        Ok(sized) => sized,
        Err(e) => {
            bar.finish_and_clear();
            // Removes the lock file (and any staged file) before the folder itself.
            drop(out);
            if matches!(e, SizingError::Interrupted) && !out_dir_existed {
                // Fails, harmlessly, if someone else has put a file there meanwhile.
                let _ = std::fs::remove_dir(&out_dir);
            }
            return Err(to_cli(e));
        }
    };
    bar.finish_and_clear();
    let csv = sizing_report::sizing_csv(&sized.outcome, &sized.spec.target, &sized.info)
        .map_err(|e| anyhow::anyhow!(e))?;
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    out.write("sizing.csv", &csv).map_err(io)?;
    out.write("scenario.toml", source.text.as_bytes())
        .map_err(io)?;
    out.commit().map_err(io)?;
    if args.report {
        report(&out_dir, args.png)?;
    }
    if !args.quiet {
        let table = sizing_report::terminal_table(&sized.outcome, &sized.spec.target, &sized.info);
        let mut sources: Vec<&str> = vec![];
        for (_, source) in &sized.price_sources {
            if !sources.contains(&source.as_str()) {
                sources.push(source);
            }
        }
        let prices = if sources.is_empty() {
            String::new()
        } else {
            format!("Prices: {}.\n", sources.join("; "))
        };
        let _ = writeln!(
            std::io::stdout(),
            "{table}{prices}Results in {}/",
            out_dir.display()
        );
    }
    Ok(())
}

/// `--deny-warnings`: every warning, then how many were treated as errors.
fn denied_warnings(warnings: &[Diagnostic]) -> CliError {
    let n = warnings.len();
    let mut msg: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    let s = if n == 1 { "" } else { "s" };
    msg.push(format!(
        "{n} warning{s} treated as error{s} (--deny-warnings)"
    ));
    CliError::Input(msg.join("\n"))
}

fn report(dir: &Path, png: bool) -> Result<Vec<PathBuf>, CliError> {
    if !dir.join("summary.csv").is_file() && !dir.join("sizing.csv").is_file() {
        return Err(CliError::Input(format!(
            "{}: no summary.csv or sizing.csv: give the output folder of a finished `capsim run` or `capsim size`",
            dir.display()
        )));
    }
    use output::runinfo::{RunInfo, Status};
    match RunInfo::read(dir).map_err(CliError::Input)? {
        Some(info) if info.status == Status::Interrupted => {
            return Err(CliError::Input(format!(
                "{}: run.json says this run was interrupted ({}): its results are partial and \
                 a report would present them as the answer; rerun the scenario to completion",
                dir.display(),
                info.note.as_deref().unwrap_or("not every replication ran")
            )));
        }
        _ => {}
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
        today: date::format(date::today()),
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

fn load(file: &Path, check: &CheckArgs, overrides: Overrides<'_>) -> Result<Plan, CliError> {
    let source = scenario::Source::read(file).map_err(|e| CliError::Input(e.to_string()))?;
    match scenario::load(&source, &overrides.edits(check)) {
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
    let plan = load(&args.file, &args.check, Overrides::default())?;
    // A `[sizing]` table (for `capsim size`) is checked too.
    plan.sizing().map_err(|e| CliError::Input(e.to_string()))?;
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

impl Overrides<'_> {
    /// The changes to the scenario's document: these overrides and `check`'s.
    fn edits(&self, check: &CheckArgs) -> scenario::Edits {
        scenario::Edits {
            seed: self.seed,
            replications: self.replications,
            horizon: self.horizon.map(String::from),
            sets: check.sets.clone(),
            sweeps: check.sweeps.clone(),
            prices: check.prices.clone(),
            today: None,
        }
    }
}

/// Longest folder name derived from a scenario file, in characters: file systems allow 255
/// bytes, and the hidden staging names beside the folder add about 40.
const MAX_DERIVED_NAME: usize = 100;

/// `output/<file stem>`, with anything but letters, digits, `-`, `_` and `.` (separators, control
/// characters, spaces) replaced by `_`, leading dots dropped (no `..`, no hidden folder) and the
/// length capped, so a scenario's name always gives one visible folder inside `output/`.
pub fn default_out_dir(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut clean: String = clean
        .trim_start_matches('.')
        .chars()
        .take(MAX_DERIVED_NAME)
        .collect();
    if clean.trim_matches(['.', '_']).is_empty() {
        clean = "scenario".into();
    }
    Path::new("output").join(clean)
}

fn run(args: RunArgs) -> Result<(), CliError> {
    let overrides = Overrides {
        seed: args.seed,
        replications: args.replications,
        horizon: args.horizon.as_deref(),
    };
    let plan = load(&args.file, &args.check, overrides)?;
    if !args.quiet {
        print_warnings(&plan.warnings);
    }
    // Resource guard: before anything is allocated per replication or written.
    let estimate = crate::sweep::estimate::estimate(
        &plan,
        args.threads,
        args.shard.map_or(1.0, |s| 1.0 / s.count as f64),
    );
    if let Err(too_big) = estimate.check(&crate::sweep::estimate::Limits::of_this_machine()) {
        if !args.force {
            return Err(CliError::Input(too_big.to_string()));
        }
        eprintln!("warning: running anyway (--force): {}", estimate.summary());
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.file));
    let mut out = OutputDir::replace(&out_dir).map_err(|e| match e {
        e @ output::OutputError::Foreign { .. } => CliError::Input(e.to_string()),
        output::OutputError::Io(e) => CliError::Failed(anyhow::anyhow!(e)),
    })?;
    let first = plan.variants[0].scenario.clone();
    let mut info = output::runinfo::RunInfo::start(&args.file, &first.source);
    info.seed = first.seed;
    info.replications = first.replications;
    info.variants = plan.variants.len();
    info.threads = args.threads;
    info.threads_used = if args.threads == 0 {
        crate::sweep::estimate::cores()
    } else {
        args.threads
    };

    let cancel = interrupt_flag();
    let all_pairs = crate::sweep::pairs(&plan);
    let total_pairs = all_pairs.len();
    let mine = args.shard.map_or(0..total_pairs, |s| s.range(total_pairs));
    let bar = progress_bar(mine.len() as u64, args.quiet);
    let tick = || bar.inc(1);
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    let fail = |e: csv::Error| CliError::Failed(anyhow::anyhow!(e));

    let started = std::time::Instant::now();
    // Only the slice holding variant 0's replication 0 writes the time series.
    let mut ts = if mine.start == 0 && !mine.is_empty() {
        let f = out.create("timeseries.csv").map_err(io)?;
        Some(TimeseriesWriter::new(f, &first, 0))
    } else {
        None
    };
    // Results stream to disk chunk by chunk: a chunk's replications are written out as soon as
    // their variants are complete, and only each variant's summary and the few metrics that
    // comparisons pair by replication stay in memory.
    let mut files = if args.shard.is_some() {
        VariantFiles::shard(&mut out).map_err(io)?
    } else {
        VariantFiles::run(&mut out).map_err(io)?
    };
    let mut kept: Vec<(usize, RunResult)> = vec![];
    let mut pending: Vec<(usize, crate::sweep::ReplicationRow)> = vec![];
    let mut interrupted = false;
    let mut at = mine.start;
    while at < mine.end && !interrupted {
        let end = (at + CHUNK_PAIRS).min(mine.end);
        let control = crate::sweep::Control {
            threads: args.threads,
            pairs: Some(at..end),
            cancel: Some(cancel),
            progress: Some(&tick),
        };
        let sink = if at == 0 {
            ts.as_mut()
                .map(|w| w as &mut (dyn crate::model::SampleSink + Send))
        } else {
            None
        };
        let outcome = crate::sweep::run_plan_with(&plan, &control, sink)
            .map_err(|e| anyhow::anyhow!("cannot start {} worker threads: {e}", args.threads))?;
        interrupted = outcome.interrupted;
        if interrupted && args.shard.is_some() {
            break;
        }
        pending.extend(outcome.rows);
        // Variants before the next pair's are complete (all of them at the end of the slice).
        let done_before = if end < mine.end && !interrupted {
            all_pairs[end].0
        } else {
            usize::MAX
        };
        let split = pending.partition_point(|(v, _)| *v < done_before);
        let ready: Vec<(usize, crate::sweep::ReplicationRow)> = pending.drain(..split).collect();
        let mut batch: Vec<(usize, RunResult)> = vec![];
        for (v, row) in ready {
            match batch.last_mut() {
                Some((last, r)) if *last == v => r.rows.push(row),
                _ => batch.push((v, RunResult::new(vec![row]))),
            }
        }
        if args.shard.is_none() {
            // A variant cut short by Ctrl-C is not reported.
            batch.retain(|(v, r)| r.rows.len() as u64 == plan.variants[*v].scenario.replications);
        }
        files.write(&plan, &batch).map_err(fail)?;
        let n_targets = first.system.targets.len();
        for (v, mut r) in batch {
            r.shrink(n_targets);
            kept.push((v, r));
        }
        at = end;
    }
    bar.finish_and_clear();
    if let Some(ts) = ts {
        let ts_file = ts
            .finish()
            .map_err(|e| anyhow::anyhow!("writing timeseries.csv: {e}"))?;
        crate::output::files_finish(ts_file)
            .map_err(|e| anyhow::anyhow!("writing timeseries.csv: {e}"))?;
    }
    files.finish(&plan).map_err(io)?;
    let elapsed = started.elapsed();

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
        if interrupted {
            // A shard with missing replications cannot be merged: leave nothing that looks like
            // a finished shard.
            drop(out);
            return Err(CliError::Interrupted(format!(
                "interrupted: shard {shard} was not finished; nothing was written to {}",
                out_dir.display()
            )));
        }
        out.write(
            output::shard::MANIFEST,
            toml::to_string(&manifest)
                .map_err(|e| anyhow::anyhow!(e))?
                .as_bytes(),
        )
        .map_err(io)?;
        out.write("scenario.toml", first.source.as_bytes())
            .map_err(io)?;
        info.finish(output::runinfo::Status::Complete);
        info.note = Some(format!("shard {shard} of the sweep"));
        out.write(output::runinfo::FILE_NAME, &info.to_json())
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
    let (plan, results) = if interrupted {
        let mut sub = Plan {
            variants: vec![],
            ..plan.clone_without_variants()
        };
        let mut results = vec![];
        for (v, r) in kept {
            sub.variants.push(plan.variants[v].clone());
            results.push(r);
        }
        (sub, results)
    } else {
        (plan, kept.into_iter().map(|(_, r)| r).collect())
    };
    let tradeoff = write_tail(&mut out, &plan, &results, &first)?;
    if interrupted {
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
        info.finish(output::runinfo::Status::Interrupted);
        info.note = Some(format!(
            "{} of {} variants finished and are reported",
            plan.variants.len(),
            info.variants
        ));
    } else {
        info.finish(output::runinfo::Status::Complete);
    }
    out.write(output::runinfo::FILE_NAME, &info.to_json())
        .map_err(io)?;
    // Partial results never replace an earlier run's: they go beside it.
    let out_dir = if interrupted && has_earlier_results(&out_dir) {
        let beside = interrupted_dir(&out_dir);
        let mut alt = OutputDir::replace(&beside).map_err(|e| match e {
            e @ output::OutputError::Foreign { .. } => CliError::Input(e.to_string()),
            output::OutputError::Io(e) => CliError::Failed(anyhow::anyhow!(e)),
        })?;
        for entry in std::fs::read_dir(out.staging()).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            alt.write(&name, &std::fs::read(entry.path()).map_err(io)?)
                .map_err(io)?;
        }
        drop(out);
        alt.commit().map_err(io)?;
        beside
    } else {
        out.commit().map_err(io)?;
        out_dir
    };
    if args.report && !interrupted {
        report(&out_dir, args.png)?;
    }

    if !args.quiet && !plan.variants.is_empty() {
        print_run_summary(&plan, &results, tradeoff.as_deref(), &out_dir, elapsed);
    }
    if interrupted {
        return Err(CliError::Interrupted(format!(
            "interrupted: {} finished variant{} written to {}/ and marked incomplete (INCOMPLETE.txt)",
            plan.variants.len(),
            if plan.variants.len() == 1 { "" } else { "s" },
            out_dir.display()
        )));
    }
    Ok(())
}

/// Set by Ctrl-C. The first Ctrl-C asks the runner to stop starting replications; what finished
/// is then written and marked incomplete. A second one ends the process at once. The handler is
/// installed once per process (a library caller may run several times); each run starts clear.
fn interrupt_flag() -> &'static AtomicBool {
    static CANCEL: AtomicBool = AtomicBool::new(false);
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        // Without a handler (another one is installed), Ctrl-C keeps its default: the process
        // ends and, as for any kill, no output file is left looking complete.
        let _ = ctrlc::set_handler(|| {
            if CANCEL.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    });
    CANCEL.store(false, Ordering::SeqCst);
    &CANCEL
}

/// The folder holds an earlier run's results (anything at all).
fn has_earlier_results(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// Where an interrupted run's results go when its folder holds earlier ones: `<dir>.interrupted`.
fn interrupted_dir(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".interrupted");
    dir.with_file_name(name)
}

fn total_variants(total_pairs: usize, first: &Scenario) -> usize {
    total_pairs / (first.replications.max(1) as usize)
}

/// (Variant, replication) pairs simulated together before their results are written out: enough
/// to keep every core busy, few enough that their rows take little memory.
const CHUNK_PAIRS: usize = 4096;

/// The per-variant files, written variant by variant as results come in: `summary.csv`,
/// `replications.csv` and `workloads.csv` for a run, `shard.csv` for a shard. Each is the same
/// bytes as writing all variants at once (rows are per variant; the header is written once).
struct VariantFiles {
    files: Vec<(&'static str, std::io::BufWriter<std::fs::File>)>,
    shard: bool,
    header_done: bool,
}

type CsvPart = fn(&Plan, &[RunResult]) -> csv::Result<Vec<u8>>;

impl VariantFiles {
    fn run(out: &mut OutputDir) -> std::io::Result<VariantFiles> {
        Ok(VariantFiles {
            files: vec![
                ("summary.csv", out.create("summary.csv")?),
                ("replications.csv", out.create("replications.csv")?),
                ("workloads.csv", out.create("workloads.csv")?),
            ],
            shard: false,
            header_done: false,
        })
    }

    fn shard(out: &mut OutputDir) -> std::io::Result<VariantFiles> {
        Ok(VariantFiles {
            files: vec![(output::shard::ROWS, out.create(output::shard::ROWS)?)],
            shard: true,
            header_done: false,
        })
    }

    /// Appends the rows of `batch` (variant index, its replications), in plan order.
    fn write(&mut self, plan: &Plan, batch: &[(usize, RunResult)]) -> csv::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.write_part(plan, batch, batch.iter().map(|(v, _)| *v).collect())
    }

    /// `variants` frame the part (the header's parameter columns come from the first).
    fn write_part(
        &mut self,
        plan: &Plan,
        batch: &[(usize, RunResult)],
        variants: Vec<usize>,
    ) -> csv::Result<()> {
        let parts: Vec<Vec<u8>> = if self.shard {
            vec![output::shard::rows_csv(batch)?]
        } else {
            let sub = Plan {
                variants: variants.iter().map(|v| plan.variants[*v].clone()).collect(),
                ..plan.clone_without_variants()
            };
            let results: Vec<RunResult> = batch
                .iter()
                .map(|(_, r)| RunResult::new(r.rows.clone()))
                .collect();
            let makers: [CsvPart; 3] = [
                output::summary_csv,
                output::replications_csv,
                output::workloads::workloads_csv,
            ];
            makers
                .iter()
                .map(|f| f(&sub, &results))
                .collect::<csv::Result<_>>()?
        };
        for ((_, file), bytes) in self.files.iter_mut().zip(parts) {
            let body = if self.header_done {
                // Every part starts with the same header line: keep the first only.
                let cut = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
                &bytes[cut..]
            } else {
                &bytes[..]
            };
            file.write_all(body)?;
        }
        self.header_done = true;
        Ok(())
    }

    /// Flushes the files; when no variant was written (a run interrupted before any finished),
    /// they still get their header.
    fn finish(mut self, plan: &Plan) -> std::io::Result<()> {
        if !self.header_done {
            self.write_part(plan, &[], vec![0])
                .map_err(std::io::Error::other)?;
        }
        for (_, f) in self.files {
            crate::output::files_finish(f)?;
        }
        Ok(())
    }
}

/// Writes the files made from every variant's summary (`tradeoff.csv`) and `scenario.toml`.
fn write_tail(
    out: &mut OutputDir,
    plan: &Plan,
    results: &[RunResult],
    first: &Scenario,
) -> Result<Option<Vec<crate::sweep::tradeoff::Row>>, CliError> {
    let fail = |e: csv::Error| CliError::Failed(anyhow::anyhow!(e));
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
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
    let overrides = Overrides {
        seed: first_manifest.seed,
        replications: first_manifest.replications,
        horizon: first_manifest.horizon.as_deref(),
    };
    let source = scenario::Source::new(&file, scenario_text.as_str());
    let plan = scenario::load(&source, &overrides.edits(&check)).map_err(|e| {
        input(format!(
            "rebuilding the sweep from {}: {e}",
            first_dir.display()
        ))
    })?;
    let pairs = crate::sweep::pairs(&plan);
    if pairs.len() != first_manifest.pairs_total {
        return Err(input(format!(
            "the scenario now expands to {} replications, the shards ran {}",
            pairs.len(),
            first_manifest.pairs_total
        )));
    }
    let mut out = OutputDir::replace(&args.out).map_err(|e| match e {
        e @ output::OutputError::Foreign { .. } => CliError::Input(e.to_string()),
        output::OutputError::Io(e) => CliError::Failed(anyhow::anyhow!(e)),
    })?;
    let io = |e: std::io::Error| CliError::Failed(anyhow::anyhow!(e));
    let fail = |e: csv::Error| CliError::Failed(anyhow::anyhow!(e));
    let first = plan.variants[0].scenario.clone();
    let ts_path = by_index[0]
        .as_ref()
        .expect("checked")
        .join("timeseries.csv");
    if let Ok(bytes) = std::fs::read(&ts_path) {
        out.write("timeseries.csv", &bytes).map_err(io)?;
    }
    // Shard by shard, as `capsim run` does chunk by chunk: complete variants are written out and
    // shrunk, so a merge holds at most one shard's replications.
    let mut files = VariantFiles::run(&mut out).map_err(io)?;
    let mut results: Vec<RunResult> = vec![];
    let mut pending: Vec<(usize, crate::sweep::ReplicationRow)> = vec![];
    let n_targets = first.system.targets.len();
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
        pending.extend(rows);
        let done_before = if next < pairs.len() {
            pairs[next].0
        } else {
            usize::MAX
        };
        let split = pending.partition_point(|(v, _)| *v < done_before);
        let mut batch: Vec<(usize, RunResult)> = vec![];
        for (v, row) in pending.drain(..split) {
            match batch.last_mut() {
                Some((last, r)) if *last == v => r.rows.push(row),
                _ => batch.push((v, RunResult::new(vec![row]))),
            }
        }
        files.write(&plan, &batch).map_err(fail)?;
        for (_, mut r) in batch {
            r.shrink(n_targets);
            results.push(r);
        }
    }
    files.finish(&plan).map_err(io)?;
    let tradeoff = write_tail(&mut out, &plan, &results, &first)?;
    let mut info = output::runinfo::RunInfo::start(&file, &scenario_text);
    info.seed = first.seed;
    info.replications = first.replications;
    info.variants = plan.variants.len();
    info.finish(output::runinfo::Status::Complete);
    info.note = Some(format!("merged from {count} shards"));
    out.write(output::runinfo::FILE_NAME, &info.to_json())
        .map_err(io)?;
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
