//! The program's commands as library calls: `run`, `merge`, `size`, `validate`, `report`,
//! `catalog`, `import` (Azure ML YAML), and `calibrate` and `backtest` (which read a
//! workspace's Azure Monitor exports).
//!
//! Each takes a typed request and returns a typed result or a [`CommandError`], whose kind is the
//! exit code the command line gives it. Commands that simulate report their progress and the
//! scenario's warnings to an [`Observer`] and stop when their request's `cancel` flag is set.
//! Nothing here prints, parses arguments or installs a signal handler: that is the `cli`
//! module's work, and a program (or a bench) that runs a scenario calls these functions directly.

pub mod backtest;
pub mod calibrate;
pub mod catalog;
pub mod import;
pub mod merge;
pub mod prices;
pub mod report;
pub mod run;
pub mod size;
pub mod validate;

pub use backtest::{BacktestOutcome, BacktestRequest, backtest};
pub use calibrate::{CalibrateOutcome, CalibrateRequest, calibrate};
pub use catalog::{CatalogRequest, catalog};
pub use import::{ImportOutcome, ImportRequest, import};
pub use merge::{MergeOutcome, MergeRequest, merge};
pub use prices::{PricesImportOutcome, PricesImportRequest, prices_import};
pub use report::{ReportRequest, report};
pub use run::{RunOutcome, RunRequest, ShardRun, run};
pub use size::{SizeOutcome, SizeRequest, size};
pub use validate::{ValidateOutcome, ValidateRequest, validate};

use crate::output::{self, OutputDir};
use crate::scenario::{self, Diagnostic, LoadError, Plan, Scenario};
use crate::sweep::estimate::Estimate;
use crate::sweep::{ReplicationRow, RunResult, tradeoff};
use std::path::{Path, PathBuf};

/// Why a command gave no result, with the exit code each kind deserves.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The scenario file cannot be read or is invalid: the user can fix it (exit code 2). An
    /// invalid scenario's warnings are in it too, to be shown before its errors.
    #[error(transparent)]
    Scenario(#[from] LoadError),
    /// Other bad input: arguments, folders, shards (exit code 2).
    #[error("{0}")]
    Input(String),
    /// Anything else: the message and its causes, `outer: inner` (exit code 1).
    #[error("{0}")]
    Failed(String),
    /// Stopped by the cancel flag (Ctrl-C) after writing what had finished, which the message
    /// names (exit code 130, as for SIGINT).
    #[error("{0}")]
    Interrupted(String),
}

impl CommandError {
    /// 2 for input errors, 1 for failures, 130 for an interruption.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Scenario(_) | CommandError::Input(_) => 2,
            CommandError::Failed(_) => 1,
            CommandError::Interrupted(_) => 130,
        }
    }

    /// A failure, with every cause in `e`'s chain after its own message.
    pub(crate) fn failed(e: &(dyn std::error::Error + 'static)) -> CommandError {
        let mut message = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        CommandError::Failed(message)
    }
}

fn io(e: std::io::Error) -> CommandError {
    CommandError::failed(&e)
}

fn csv_failed(e: csv::Error) -> CommandError {
    CommandError::failed(&e)
}

/// A folder that holds files capsim did not write is the user's to sort out; anything else
/// going wrong with it is a failure.
fn output_dir_error(e: output::OutputError) -> CommandError {
    match e {
        e @ (output::OutputError::Foreign { .. } | output::OutputError::Unsupported { .. }) => {
            CommandError::Input(e.to_string())
        }
        output::OutputError::Io(e) => io(e),
    }
}

/// What a command reports while it works. Every method does nothing by default.
///
/// `progress` is called from worker threads, hence `Sync`.
pub trait Observer: Sync {
    /// The scenario's warnings, once it has loaded and before anything runs.
    fn warnings(&self, _warnings: &[Diagnostic]) {}
    /// The run is over a resource limit and runs anyway, as asked (`force`).
    fn forced(&self, _estimate: &Estimate) {}
    /// Simulation is about to start: `total` replications, or `None` when the number is not
    /// known ahead (a sizing search). From here on the command checks its cancel flag.
    fn progress_start(&self, _total: Option<u64>) {}
    /// `n` more replications finished.
    fn progress(&self, _n: u64) {}
    /// Simulation has ended, finished or stopped.
    fn progress_end(&self) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

pub use crate::scenario::{Edits, Source};

/// Loads a scenario with its variants and `edits` (made to the document before it is checked),
/// the one way every command reads a scenario (`size` through [`crate::sizing::prepare`], which
/// reads `[sizing]` too).
///
/// With `deny_warnings`, a scenario that warns is refused; otherwise its warnings go to
/// `observer`.
pub fn load(
    source: &Source,
    edits: &Edits,
    deny_warnings: bool,
    observer: &dyn Observer,
) -> Result<Plan, CommandError> {
    let plan = scenario::load(source, edits)?;
    if deny_warnings && !plan.warnings.is_empty() {
        return Err(denied_warnings(&plan.warnings));
    }
    observer.warnings(&plan.warnings);
    Ok(plan)
}

/// `deny_warnings`: every warning, then how many were treated as errors.
fn denied_warnings(warnings: &[Diagnostic]) -> CommandError {
    let n = warnings.len();
    let mut msg: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    let s = if n == 1 { "" } else { "s" };
    msg.push(format!(
        "{n} warning{s} treated as error{s} (--deny-warnings)"
    ));
    CommandError::Input(msg.join("\n"))
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

/// Rows in plan order gathered into one result per variant, each with the variant's index.
fn by_variant(rows: impl IntoIterator<Item = (usize, ReplicationRow)>) -> Vec<(usize, RunResult)> {
    let mut batch: Vec<(usize, RunResult)> = vec![];
    for (v, row) in rows {
        match batch.last_mut() {
            Some((last, r)) if *last == v => r.rows.push(row),
            _ => batch.push((v, RunResult::new(vec![row]))),
        }
    }
    batch
}

/// Writes the files made from every variant's summary (`tradeoff.csv`, with several variants)
/// and `scenario.toml`; returns the trade-off rows.
fn write_tail(
    out: &mut OutputDir,
    plan: &Plan,
    results: &[RunResult],
    first: &Scenario,
) -> Result<Option<Vec<tradeoff::Row>>, CommandError> {
    let rows = (plan.variants.len() > 1).then(|| tradeoff::analyse(plan, results));
    if let Some(rows) = &rows {
        out.write(
            "tradeoff.csv",
            &output::tradeoff_csv(plan, rows).map_err(csv_failed)?,
        )
        .map_err(io)?;
    }
    out.write("scenario.toml", first.source.as_bytes())
        .map_err(io)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::to_secs_f64;

    #[test]
    fn exit_codes() {
        assert_eq!(CommandError::Input("x".into()).exit_code(), 2);
        assert_eq!(CommandError::Failed("x".into()).exit_code(), 1);
        assert_eq!(CommandError::Interrupted("x".into()).exit_code(), 130);
        let unreadable = LoadError::Io {
            path: "x.toml".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(CommandError::from(unreadable).exit_code(), 2);
    }

    #[test]
    fn a_failure_names_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("writing summary.csv")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(
            CommandError::failed(&e).to_string(),
            "writing summary.csv: disk full"
        );
    }

    #[test]
    fn edits_are_checked_as_the_file_is() {
        let text = "horizon = \"2d\"\nwarmup = \"1d\"\n[[compute]]\nname = \"c\"\n\
                    type = \"amlcompute\"\nsize = \"Standard_D2s_v3\"\nmax_instances = 1\n\
                    [[workload]]\nname = \"w\"\ncompute = \"c\"\n\
                    arrivals = { process = \"poisson\", rate_per_hour = 1.0 }\n\
                    duration = { dist = \"constant\", value = \"10m\" }\n";
        let source = Source::new("s.toml", text);
        let with = |edits: Edits| load(&source, &edits, false, &Silent);
        let plan = with(Edits {
            seed: Some(9),
            replications: Some(3),
            horizon: Some("3d".into()),
            ..Edits::default()
        })
        .unwrap();
        let s = &plan.variants[0].scenario;
        assert_eq!((s.seed, s.replications), (9, 3));
        assert_eq!(to_secs_f64(s.system.horizon), 3.0 * 86_400.0);
        for (edits, want) in [
            (
                Edits {
                    horizon: Some("12h".into()),
                    ..Edits::default()
                },
                "--horizon: must be longer than the scenario's warm-up (1d), got 12h",
            ),
            (
                Edits {
                    replications: Some(0),
                    ..Edits::default()
                },
                "--replications: must be from 1 to 1000000, got 0",
            ),
            (
                Edits {
                    seed: Some(u64::MAX),
                    ..Edits::default()
                },
                "--seed: must be at most 9223372036854775807, got 18446744073709551615",
            ),
        ] {
            let e = with(edits).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let message = e.to_string();
            assert!(message.contains("command line"), "{message}");
            assert!(message.contains(want), "{message}");
        }
    }
}
