//! Scenario files: TOML in, validated domain values out. This module is the only reader of
//! scenario files: [`load`] takes a file ([`Source`]) and the command line's changes to it
//! ([`Edits`]) and gives a [`Plan`]: the variants to simulate, the `[goal]`, the `[sizing]` table
//! and the text that was run.
//!
//! Loading happens in stages: the command line's edits are made to the document's text
//! (`edit`); serde reads the text into raw structs that keep every value's position (`raw`);
//! validation checks ranges and cross-field rules, applies Azure ML's defaults and builds the
//! model's [`System`] (`validate`), once per variant of a `[sweep]` (`sweep`); the `[sizing]`
//! table is checked against the result (`sizing`). Every problem found is reported, each with
//! file, line, column and field, or with the command-line argument it came from.

pub mod calibrated;
mod edit;
mod from;
pub mod goal;
mod load;
pub mod raw;
pub mod sizing;
pub mod sweep;
mod tables;
mod validate;
pub mod written;

pub use crate::text::{Diagnostic, Severity};
pub use from::PLACEHOLDER;
pub use load::{Edits, Source, load};
pub use sizing::{Candidate, Percentile, RateOverride, SizingSpec, SizingTable, SizingTarget};
pub use sweep::{Goal, Plan, Variant};

use crate::model::System;
use std::path::{Path, PathBuf};

/// A validated scenario, ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub file: PathBuf,
    /// The file's text, kept so that outputs can record exactly what was run.
    /// Shared by all variants of a sweep: one copy of the text, however many variants.
    pub source: std::sync::Arc<str>,
    pub seed: u64,
    pub replications: u64,
    /// `replications = "auto"`: `replications` is the first batch, and more are added where the
    /// goal's answer is open (`sweep::auto`).
    pub auto_replications: Option<AutoReplications>,
    /// The calendar date simulated time zero stands for (`YYYY-MM-DD`).
    pub start_date: String,
    pub system: System,
    /// Per target (scenario order): the commitment prices of a dedicated `amlcompute` cluster,
    /// `None` for other targets.
    pub commitments: Vec<Option<crate::catalog::price_file::CommitmentPrices>>,
}

/// `replications = "auto"` with its `precision` and `max_replications`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoReplications {
    /// Each goal measure's 95% half-width relative to its mean, at most.
    pub precision: f64,
    /// The most replications of any setting.
    pub max: u64,
}

/// `replications = "auto"`: the first batch of every setting, and the defaults.
pub const AUTO_FIRST_BATCH: u64 = 10;
pub const AUTO_DEFAULT_PRECISION: f64 = 0.05;
pub const AUTO_DEFAULT_MAX: u64 = 200;

/// Defaults for scenario-level fields, named so the README and code agree.
pub const DEFAULT_REPLICATIONS: u64 = 10;
pub const DEFAULT_SEED: u64 = 1;
pub const DEFAULT_SAMPLE_INTERVAL_S: f64 = 300.0;
pub const MAX_REPLICATIONS: u64 = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read scenario file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render(.errors))]
    Invalid {
        errors: Vec<Diagnostic>,
        warnings: Vec<Diagnostic>,
    },
}

fn render(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        s.push_str(&d.to_string());
        s.push('\n');
    }
    s.push_str(&format!(
        "{} error{} in the scenario",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" }
    ));
    s
}

/// A scenario plus the warnings its validation raised.
#[derive(Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Diagnostic>,
}

/// What the validator takes beside the document (see [`Edits`], which the command line fills).
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The date retirement checks compare against when the scenario has no `start_date`, as days
    /// since 1970-01-01; `None` is today (UTC).
    pub today: Option<i64>,
    /// A prices CSV that replaces the scenario's `prices` (the `--prices` flag).
    pub prices_file: Option<PathBuf>,
}

/// Validates the text of one scenario (no `[sweep]`, `[goal]` or `[sizing]`); `path` is used in
/// messages and to resolve relative file references. See [`load`] for whole scenario files.
pub fn parse(path: &Path, text: &str) -> Result<Loaded, LoadError> {
    parse_with(path, text, &LoadOptions::default())
}

pub fn parse_with(path: &Path, text: &str, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let doc = validate::parse_doc(path, text)?;
    let unfilled = from::placeholders(path, text, doc.get_ref());
    if !unfilled.is_empty() {
        return Err(LoadError::Invalid {
            errors: unfilled,
            warnings: vec![],
        });
    }
    let Some(merged) = from::merge(path, text, doc.get_ref())? else {
        return validate::validate(path, text, options);
    };
    match validate::validate(path, &merged.text, options) {
        Ok(mut loaded) => {
            merged.relocate_all(&mut loaded.warnings, path, text);
            loaded
                .warnings
                .splice(0..0, merged.warnings.iter().cloned());
            Ok(loaded)
        }
        Err(LoadError::Invalid {
            mut errors,
            mut warnings,
        }) => {
            merged.relocate_all(&mut errors, path, text);
            merged.relocate_all(&mut warnings, path, text);
            Err(LoadError::Invalid { errors, warnings })
        }
        Err(e) => Err(e),
    }
}
