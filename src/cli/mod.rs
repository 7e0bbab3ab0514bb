//! The command line: arguments to requests, [`crate::commands`] to do the work, outcomes to the
//! terminal, errors to exit codes (0 success, 1 failure, 2 invalid input, 130 interrupted).
//!
//! The only module that prints, parses arguments or handles Ctrl-C.

mod args;
mod monitor;
mod sizing;
pub mod summary;
mod terminal;

pub use args::{
    BacktestArgs, CalibrateArgs, CatalogArgs, CatalogFormat, CheckArgs, Cli, Command, ImportArgs,
    MergeArgs, MonitorArgs, PricesCommand, PricesImportArgs, ReportArgs, RunArgs, SizeArgs,
    ValidateArgs,
};

use crate::catalog::list;
use crate::commands::{self, CommandError, Edits};
use crate::scenario::LoadError;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use terminal::{Terminal, cancel_flag, print_warnings};

/// The program: parses the arguments, runs the command, prints its error and gives its exit code.
pub fn main() -> ExitCode {
    match execute(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print_error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one parsed command line, printing what it prints, but not its error.
pub fn execute(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Catalog(args) => catalog(args),
        Command::Report(args) => {
            let written = commands::report(&commands::ReportRequest {
                dir: args.dir,
                png: args.png,
            })?;
            print_report_written(&written);
            Ok(())
        }
        Command::Merge(args) => merge(args),
        Command::Size(args) => size(args),
        Command::Import(args) => import(args),
        Command::Calibrate(args) => monitor::calibrate(args),
        Command::Backtest(args) => monitor::backtest(args),
        Command::Prices(PricesCommand::Import(args)) => prices_import(args),
    }
}

/// An invalid scenario's warnings come before its errors; a failure is marked as one.
fn print_error(e: &CommandError) {
    match e {
        CommandError::Failed(message) => eprintln!("error: {message}"),
        CommandError::Scenario(LoadError::Invalid { warnings, .. }) => {
            print_warnings(warnings);
            eprintln!("{e}");
        }
        e => eprintln!("{e}"),
    }
}

fn edits(check: CheckArgs) -> Edits {
    Edits {
        sets: check.sets,
        sweeps: check.sweeps,
        prices: check.prices,
        ..Edits::default()
    }
}

fn run(args: RunArgs) -> Result<(), CommandError> {
    let quiet = args.quiet;
    let wide = args.wide;
    let deny_warnings = args.check.deny_warnings;
    let request = commands::RunRequest {
        edits: Edits {
            seed: args.seed,
            replications: args.replications,
            horizon: args.horizon,
            ..edits(args.check)
        },
        file: args.file,
        out: args.out,
        threads: args.threads,
        shard: args.shard,
        force: args.force,
        report: args.report,
        png: args.png,
        deny_warnings,
        cancel: Some(cancel_flag()),
    };
    let outcome = commands::run(request, &Terminal::new(quiet, true))?;
    if quiet {
        return outcome.status();
    }
    let mut stdout = std::io::stdout();
    if let Some(s) = outcome.shard {
        let _ = writeln!(
            stdout,
            "shard {}: {} of {} replications in {:.2} s. Results in {}/\n\
             When every shard has finished: capsim merge <the {} shard folders> --out DIR",
            s.shard,
            s.replications,
            s.replications_total,
            outcome.elapsed.as_secs_f64(),
            outcome.out_dir.display(),
            s.shard.count
        );
    } else if !outcome.plan.variants.is_empty() {
        summary::print(&summary::Finished {
            plan: &outcome.plan,
            results: &outcome.results,
            tradeoff: outcome.tradeoff.as_deref(),
            out_dir: &outcome.out_dir,
            elapsed: outcome.elapsed,
            events: outcome.events,
            width: terminal::table_width(wide),
        });
        if let Some(a) = &outcome.auto {
            let (lo, hi) = (
                a.replications.iter().min().copied().unwrap_or(0),
                a.replications.iter().max().copied().unwrap_or(0),
            );
            println!(
                "replications = \"auto\": {} to {} replications per setting after {} batch{} ({} replications, {} events, in all); {}",
                lo,
                hi,
                a.rounds + 1,
                if a.rounds == 0 { "" } else { "es" },
                a.replications.iter().sum::<u64>(),
                a.events,
                if a.unsettled.is_empty() {
                    "settled".to_string()
                } else {
                    format!(
                        "still uncertain at max_replications: #{}",
                        a.unsettled
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", #")
                    )
                }
            );
        }
    }
    print_report_written(&outcome.report);
    if outcome.removed_report {
        let _ = writeln!(
            stdout,
            "The earlier report in {}/ (report.html, report.md, charts/) described the results \
             this run replaced, and was removed: add --report, or run `capsim report {}`, to \
             write one of these results.",
            outcome.out_dir.display(),
            outcome.out_dir.display()
        );
    }
    outcome.status()
}

/// Where the report is, to open or attach: the HTML file first.
fn print_report_written(written: &[std::path::PathBuf]) {
    let Some(html) = written
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .or(written.first())
    else {
        return;
    };
    let md = written
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "md"));
    let charts = written
        .iter()
        .filter(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|d| d == "charts")
        })
        .count();
    let mut also = vec![];
    if let Some(md) = md {
        also.push(format!("{} for a wiki", md.display()));
    }
    if charts > 0 {
        also.push(format!(
            "{charts} chart{} in charts/",
            if charts == 1 { "" } else { "s" }
        ));
    }
    let _ = writeln!(
        std::io::stdout(),
        "Report: {}{}",
        html.display(),
        if also.is_empty() {
            String::new()
        } else {
            format!(" (open it in a browser; also {})", also.join(", "))
        }
    );
}

fn merge(args: MergeArgs) -> Result<(), CommandError> {
    let outcome = commands::merge(commands::MergeRequest {
        dirs: args.dirs,
        out: args.out,
        report: args.report,
    })?;
    if !args.quiet {
        // A merge simulates nothing: its time is no simulation's.
        summary::print(&summary::Finished {
            plan: &outcome.plan,
            results: &outcome.results,
            tradeoff: outcome.tradeoff.as_deref(),
            out_dir: &outcome.out_dir,
            elapsed: std::time::Duration::ZERO,
            events: outcome.events,
            width: terminal::table_width(args.wide),
        });
        print_report_written(&outcome.report);
    }
    Ok(())
}

fn size(args: SizeArgs) -> Result<(), CommandError> {
    let request = commands::SizeRequest {
        file: args.file,
        edits: Edits {
            seed: args.seed,
            replications: args.replications,
            prices: args.prices,
            sets: args.sets,
            ..Edits::default()
        },
        out: args.out,
        threads: args.threads,
        report: args.report,
        png: args.png,
        deny_warnings: args.deny_warnings,
        cancel: Some(cancel_flag()),
    };
    let outcome = commands::size(request, &Terminal::new(args.quiet, true))?;
    if args.quiet {
        return Ok(());
    }
    let sized = &outcome.sized;
    let width = terminal::table_width(args.wide);
    let table = sizing::terminal_table(&sized.outcome, &sized.spec.target, &sized.info, width);
    let mut sources: Vec<&str> = vec![];
    for (_, source) in &sized.price_sources {
        if !sources.contains(&source.as_str()) {
            sources.push(source);
        }
    }
    let prices = if sources.is_empty() {
        String::new()
    } else {
        crate::text::table::wrap(&format!("Prices: {}.", sources.join("; ")), width)
    };
    let _ = writeln!(
        std::io::stdout(),
        "{table}{prices}Results in {}/",
        outcome.out_dir.display()
    );
    print_report_written(&outcome.report);
    Ok(())
}

fn validate(args: ValidateArgs) -> Result<(), CommandError> {
    let deny_warnings = args.check.deny_warnings;
    let v = commands::validate(commands::ValidateRequest {
        file: args.file,
        edits: edits(args.check),
        deny_warnings,
    })?;
    print_warnings(&v.warnings);
    // Only what the scenario has: an endpoint scenario has endpoints and request streams, not
    // "0 workloads".
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![count(v.variants, "variant", "variants")];
    for (n, one, many) in [
        (v.targets, "compute target", "compute targets"),
        (v.endpoints, "endpoint", "endpoints"),
        (v.workloads, "workload", "workloads"),
        (v.traffic, "request workload", "request workloads"),
    ] {
        if n > 0 {
            parts.push(count(n, one, many));
        }
    }
    let _ = writeln!(
        std::io::stdout(),
        "{}: valid ({})",
        v.file.display(),
        parts.join(", ")
    );
    for f in &v.offered {
        let _ = write!(std::io::stdout(), "{}", summary::offered_line(f));
    }
    Ok(())
}

fn import(args: ImportArgs) -> Result<(), CommandError> {
    let outcome = commands::import(commands::ImportRequest {
        files: args.files,
        out: args.out,
    })?;
    if !args.quiet {
        print_warnings(&outcome.warnings);
    }
    let Some(written) = &outcome.written else {
        let _ = write!(std::io::stdout(), "{}", outcome.text);
        return Ok(());
    };
    if !args.quiet {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        let tables: Vec<String> = outcome
            .targets
            .iter()
            .map(|(section, name, kind)| format!("[[{section}]] {name} ({kind})"))
            .collect();
        let _ = writeln!(
            std::io::stdout(),
            "{}: {}; {} placeholder{} to fill (\"FILL: ...\"), then: capsim validate {}",
            written.display(),
            tables.join(", "),
            outcome.placeholders,
            s(outcome.placeholders),
            written.display(),
        );
    }
    Ok(())
}

fn prices_import(args: PricesImportArgs) -> Result<(), CommandError> {
    let outcome = commands::prices_import(&commands::PricesImportRequest {
        files: args.files,
        out: args.out.clone(),
    })?;
    if !args.quiet {
        for w in &outcome.warnings {
            let _ = writeln!(std::io::stderr(), "warning: {w}");
        }
        let skipped = [
            (outcome.skipped_windows, "Windows"),
            (outcome.skipped_devtest, "Dev/Test"),
            (outcome.skipped_other, "other services'"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>();
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!(" (skipped {} meters)", skipped.join(", "))
        };
        let _ = writeln!(
            std::io::stdout(),
            "{}: {} size{} priced in {}{skipped}",
            args.out.display(),
            outcome.rows,
            if outcome.rows == 1 { "" } else { "s" },
            outcome.regions.join(", "),
        );
    }
    Ok(())
}

fn catalog(args: CatalogArgs) -> Result<(), CommandError> {
    let rows = commands::catalog(commands::CatalogRequest {
        series: args.series,
        gpu: args.gpu,
        min_memory_gib: args.min_memory_gib,
        min_vcpus: args.min_vcpus,
        include_retired: args.include_retired,
    })?;
    let format = match args.format {
        CatalogFormat::Table => list::Format::Table,
        CatalogFormat::Csv => list::Format::Csv,
        CatalogFormat::Json => list::Format::Json,
    };
    let _ = write!(
        std::io::stdout(),
        "{}",
        list::render_within(&rows, format, terminal::table_width(args.wide))
    );
    Ok(())
}
