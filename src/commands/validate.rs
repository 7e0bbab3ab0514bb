//! `validate`: check a scenario without running it.

use super::{CommandError, Edits, Silent, Source, load};
use crate::scenario::Diagnostic;
use crate::targets::TargetKind;
use std::path::PathBuf;

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct ValidateRequest {
    /// The scenario file.
    pub file: PathBuf,
    /// Edits to check with the scenario (prices, `--set`, `--sweep`, ...).
    pub edits: Edits,
    /// Refuse a scenario that warns.
    pub deny_warnings: bool,
}

/// A valid scenario's shape, and its warnings.
#[derive(Clone, Debug)]
pub struct ValidateOutcome {
    pub file: PathBuf,
    pub variants: usize,
    /// Compute targets that run jobs (clusters, instances, serverless), endpoints excluded.
    pub targets: usize,
    /// Online and batch endpoints (`[[endpoint]]`).
    pub endpoints: usize,
    /// Job workloads (`[[workload]]`).
    pub workloads: usize,
    /// Request streams aimed at endpoints (`[[traffic]]`).
    pub traffic: usize,
    pub warnings: Vec<Diagnostic>,
    /// What each workload and traffic stream of the first variant offers its target.
    pub offered: Vec<crate::output::offered::WorkloadFacts>,
}

/// Loads the scenario as `run` would, and checks its `[sizing]` table (for `size`) too. Every
/// problem found is in the error.
pub fn validate(req: ValidateRequest) -> Result<ValidateOutcome, CommandError> {
    let plan = load(
        &Source::read(&req.file)?,
        &req.edits,
        req.deny_warnings,
        &Silent,
    )?;
    plan.sizing()?;
    let s = &plan.variants[0].scenario;
    let endpoints = s
        .system
        .targets
        .iter()
        .filter(|t| {
            matches!(
                t.kind,
                TargetKind::Endpoint { .. } | TargetKind::Batch { .. }
            )
        })
        .count();
    Ok(ValidateOutcome {
        variants: plan.variants.len(),
        targets: s.system.targets.len() - endpoints,
        endpoints,
        workloads: s.system.workloads.len(),
        traffic: s.system.traffic.len(),
        offered: crate::output::offered::facts(&s.system),
        warnings: plan.warnings,
        file: req.file,
    })
}
