//! Scenario files: TOML in, validated domain values out.
//!
//! Loading happens in two stages (see `raw` and `validate`): serde reads the text into raw
//! structs that keep every value's position, then validation checks ranges and cross-field rules,
//! applies Azure ML's defaults and builds the model's [`System`]. Every problem found is
//! reported, each with file, line, column and field.

pub mod raw;
pub mod sweep;
mod validate;

pub use crate::text::{Diagnostic, Severity};

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
    /// The calendar date simulated time zero stands for (`YYYY-MM-DD`).
    pub start_date: String,
    pub system: System,
}

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

/// What the caller may set beside the file.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The date retirement checks compare against when the scenario has no `start_date`, as days
    /// since 1970-01-01; `None` is today (UTC).
    pub today: Option<i64>,
    /// A prices CSV that replaces the scenario's `prices` (the `--prices` flag).
    pub prices_file: Option<PathBuf>,
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_with(path, &LoadOptions::default())
}

pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_with(path, &text, options)
}

/// Validates scenario text; `path` is used in messages and to resolve relative file references.
pub fn parse(path: &Path, text: &str) -> Result<Loaded, LoadError> {
    parse_with(path, text, &LoadOptions::default())
}

pub fn parse_with(path: &Path, text: &str, options: &LoadOptions) -> Result<Loaded, LoadError> {
    validate::validate(path, text, options)
}
