//! `size`: a managed online endpoint's VM size and instance count, from the scenario's
//! `[sizing]` table (the search itself is [`crate::sizing`]).

use super::{CommandError, Edits, Observer, Source, default_out_dir, io};
use crate::output::OutputDir;
use crate::output::sizing_csv;
use crate::sizing::{Sized, SizingError};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// What to size and how.
#[derive(Debug, Default)]
pub struct SizeRequest<'a> {
    /// The scenario file, with a `[sizing]` table.
    pub file: PathBuf,
    /// Seed, replications (of every simulated size and count), prices and `--set` assignments
    /// (those aimed at `sizing.*` change the `[sizing]` table). A search has no horizon or sweep
    /// edits of its own: asking for them is an input error.
    pub edits: Edits,
    /// The output folder; `None` is [`default_out_dir`] of the file.
    pub out: Option<PathBuf>,
    /// Worker threads; 0 uses every core. Results are identical for any value.
    pub threads: usize,
    /// Also write the report.
    pub report: bool,
    /// With `report`: the chart as PNG too.
    pub png: bool,
    /// Refuse a scenario that warns.
    pub deny_warnings: bool,
    /// Set (from another thread) to stop the search: nothing is written.
    pub cancel: Option<&'a AtomicBool>,
}

/// What the search found and where it is written.
#[derive(Debug)]
pub struct SizeOutcome {
    pub out_dir: PathBuf,
    pub sized: Sized,
    /// Files the report wrote.
    pub report: Vec<PathBuf>,
}

/// Runs the scale-up-then-scale-out search and writes `sizing.csv` and `scenario.toml` into the
/// folder (beside what it holds: the folder is replaced as a whole, its other files carried
/// over, see [`OutputDir::update`]). An interrupted search writes nothing, and leaves no folder
/// when there was none.
pub fn size(req: SizeRequest<'_>, observer: &dyn Observer) -> Result<SizeOutcome, CommandError> {
    for (given, flag) in [
        (req.edits.horizon.is_some(), "--horizon"),
        (!req.edits.sweeps.is_empty(), "--sweep"),
    ] {
        if given {
            return Err(CommandError::Input(format!(
                "{flag}: not an option of size"
            )));
        }
    }
    let source = Source::read(&req.file)?;
    let request = crate::sizing::prepare(&source, &req.edits, req.threads).map_err(sizing_error)?;
    if req.deny_warnings && !request.warnings.is_empty() {
        return Err(super::denied_warnings(&request.warnings));
    }
    observer.warnings(&request.warnings);
    let out_dir = req
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&req.file));
    // Before the folder's lock file exists: an observer that arms Ctrl-C here keeps it from
    // ending the process with the lock file there.
    observer.progress_start(None);
    // Nothing appears before the commit: an interrupted search leaves no trace.
    let mut out = OutputDir::update(&out_dir).map_err(super::output_dir_error)?;
    let tick = || observer.progress(1);
    let sized = match crate::sizing::run(request, Some(&tick), req.cancel) {
        Ok(sized) => sized,
        Err(e) => {
            observer.progress_end();
            // Removes the staging folder and the lock.
            drop(out);
            return Err(sizing_error(e));
        }
    };
    observer.progress_end();
    let csv = sizing_csv(&sized.outcome, &sized.spec.target, &sized.info)
        .map_err(|e| CommandError::failed(&e))?;
    out.write("sizing.csv", &csv).map_err(io)?;
    out.write("scenario.toml", sized.effective_text.as_bytes())
        .map_err(io)?;
    // Built from the folder as it will be (the run's results, if any, carried over) and
    // committed with it.
    let report = req.report.then(|| super::report::stage(&mut out, req.png));
    out.commit().map_err(io)?;
    let report = report.transpose()?.unwrap_or_default();
    Ok(SizeOutcome {
        out_dir,
        sized,
        report,
    })
}

fn sizing_error(e: SizingError) -> CommandError {
    match e {
        SizingError::Input(m) => CommandError::Input(m),
        SizingError::Failed(m) => CommandError::Failed(m),
        e @ SizingError::Interrupted => CommandError::Interrupted(e.to_string()),
    }
}
