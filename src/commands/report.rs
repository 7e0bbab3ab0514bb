//! `report`: HTML, Markdown and charts for a finished output folder.

use super::{CommandError, io, output_dir_error};
use crate::output::OutputDir;
use crate::output::runinfo::{RunInfo, Status};
use std::path::{Path, PathBuf};

/// Which folder to report on.
#[derive(Clone, Debug, Default)]
pub struct ReportRequest {
    /// The output folder of a finished `run`, `merge` or `size`.
    pub dir: PathBuf,
    /// Also write every chart as PNG beside its SVG.
    pub png: bool,
}

/// Writes `report.html`, `report.md` and `charts/` into the folder; returns the paths written.
/// The folder is replaced as a whole with its other files carried over
/// ([`OutputDir::update`]), so it holds the earlier report or the new one, never part of one,
/// whenever capsim stops. A folder that `run.json` marks interrupted is refused: its results are
/// partial.
pub fn report(req: &ReportRequest) -> Result<Vec<PathBuf>, CommandError> {
    write(&req.dir, req.png)
}

pub(super) fn write(dir: &Path, png: bool) -> Result<Vec<PathBuf>, CommandError> {
    if !dir.join("summary.csv").is_file() && !dir.join("sizing.csv").is_file() {
        return Err(CommandError::Input(format!(
            "{}: no summary.csv or sizing.csv: give the output folder of a finished `capsim run` or `capsim size`",
            dir.display()
        )));
    }
    if let Some(info) = RunInfo::read(dir).map_err(CommandError::Input)?
        && info.status == Status::Interrupted
    {
        return Err(CommandError::Input(format!(
            "{}: run.json says this run was interrupted ({}): its results are partial and \
             a report would present them as the answer; rerun the scenario to completion",
            dir.display(),
            info.note.as_deref().unwrap_or("not every replication ran")
        )));
    }
    let mut out = OutputDir::update(dir).map_err(output_dir_error)?;
    let written = stage(&mut out, png)?;
    out.commit().map_err(io)?;
    Ok(written)
}

/// Stages the report of the files staged in `out`, to be committed with them (see
/// [`crate::report::stage`]); when it fails, nothing of it is staged.
pub(super) fn stage(out: &mut OutputDir, png: bool) -> Result<Vec<PathBuf>, CommandError> {
    let options = crate::report::ReportOptions {
        png,
        ..crate::report::ReportOptions::default()
    };
    // `{:#}`: the message and its causes, as `CommandError::failed` writes them.
    crate::report::stage(out, &options).map_err(|e| CommandError::Failed(format!("{e:#}")))
}
