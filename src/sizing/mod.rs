//! `capsim size`: which VM size and how many instances a managed online endpoint needs.
//!
//! Azure ML's advice for choosing a SKU is to scale up first, then scale out: "start with a
//! machine that has 150% of the RAM your model requires, profile the result and find a machine
//! that has the performance you need. Once you've learned that, increase the number of machines
//! to fit your need for concurrent inference" (the compute-targets page,
//! `shared/reference/seed-azureml-compute-targets.sv.txt`, the note on cluster SKUs). This module
//! does exactly that for the sizes of a scenario's `[sizing]` table:
//!
//! 1. **Scale up** ([`search::recommend`]): keep the sizes with at least `memory_headroom` times
//!    the model's memory (and the GPU memory it needs), then measure each one's *single-request*
//!    latency: a simulation at the deployment's instance limit, where requests practically never
//!    wait, so the chosen latency percentile is that of the service time alone. Sizes slower than
//!    the SLO even so are dropped. The rest are ranked by price.
//! 2. **Scale out**: for each remaining size, the M/M/c/K closed form ([`mmck`]: `c = instances x
//!    max_concurrent_requests_per_instance`, `K = 2c` for Azure's 429 rule, μ from the measured
//!    mean service time) gives the smallest count that meets the SLO and the 429 limit; a
//!    bisection on the count, simulating every probe with replications, confirms it, bounded by
//!    the deployment limit of 50 instances.
//! 3. **Recommend** the cheapest size and count that meet the goal, and say for every other
//!    size why it lost: too little memory, too slow, over budget, over the instance limit.
//!
//! The simulation step sits behind [`search::Evaluator`], so the search is tested against a fake
//! evaluator, and [`sim::SimEvaluator`] plugs in the real model.

pub mod config;
pub mod mmck;
pub mod report;
pub mod search;
pub mod sim;

pub use config::{Percentile, SizingConfig};
pub use search::{Candidate, Evaluator, Measured, Outcome, Point, Verdict, recommend};

use crate::scenario::sweep::{set_path, split_assignment};
use crate::scenario::{Diagnostic, Severity};
use std::sync::atomic::{AtomicBool, Ordering};
use toml::de::{DeTable, DeValue};

/// Why `capsim size` could not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum SizingError {
    /// The scenario or the `[sizing]` table is wrong: the user can fix it (exit code 2).
    #[error("{0}")]
    Input(String),
    /// The simulation could not run, or did not report what sizing needs (exit code 1).
    #[error("{0}")]
    Failed(String),
    /// Stopped by the cancel flag (Ctrl-C) before the search finished: there is no answer, not
    /// even a partial one, because a half-finished search would look like a recommendation.
    #[error("interrupted: no sizing written")]
    Interrupted,
}

/// A mean over replications and its 95% confidence half-width (0 for exact values).
pub use crate::metrics::Estimate as Est;

/// What `capsim size` found, with what it needs to report it.
#[derive(Debug)]
pub struct Sized {
    pub config: SizingConfig,
    pub outcome: Outcome,
    pub info: report::SizingRun,
    /// The scenario's own warnings.
    pub warnings: Vec<crate::scenario::Diagnostic>,
    /// Where each candidate's price comes from (catalog row, price list, discount), by size, in
    /// the order of `config.candidates`; sizes the scenario cannot load have none.
    pub price_sources: Vec<(String, String)>,
}

/// A checked `capsim size` request, ready to run.
#[derive(Debug)]
pub struct Request<'a> {
    pub path: &'a std::path::Path,
    pub text: &'a str,
    pub options: crate::scenario::LoadOptions,
    pub settings: sim::RunSettings,
    pub config: SizingConfig,
    pub info: report::SizingRun,
    /// The scenario's own warnings.
    pub warnings: Vec<crate::scenario::Diagnostic>,
    /// The `--set` assignments for the scenario (those not aimed at `[sizing]`), applied to every
    /// simulation before the size, count and rate of its point.
    pub scenario_sets: Vec<String>,
}

/// Checks the scenario `text` (from `path`), its `[sizing]` table and the command line's
/// settings, before any simulation.
///
/// `sets` are `--set PATH=VALUE` arguments: those aimed at `sizing.*` change the `[sizing]`
/// table, the others the scenario (as for `capsim run`) and what `[sizing]` reads from it (the
/// traffic's rate, the endpoint's concurrency).
pub fn prepare<'a>(
    path: &'a std::path::Path,
    text: &'a str,
    options: &crate::scenario::LoadOptions,
    settings: sim::RunSettings,
    sets: &[String],
) -> Result<Request<'a>, SizingError> {
    use crate::scenario::{LoadError, MAX_REPLICATIONS};
    let invalid = |errors| {
        SizingError::Input(
            LoadError::Invalid {
                errors,
                warnings: vec![],
            }
            .to_string(),
        )
    };
    if let Some(seed) = settings.seed
        && seed > i64::MAX as u64
    {
        return Err(SizingError::Input(format!(
            "--seed: must be at most {}, got {seed}",
            i64::MAX
        )));
    }
    if let Some(n) = settings.replications
        && (n == 0 || n > MAX_REPLICATIONS)
    {
        return Err(SizingError::Input(format!(
            "--replications: must be from 1 to {MAX_REPLICATIONS}, got {n}"
        )));
    }
    let assignments: Vec<Assignment> = sets.iter().filter_map(|s| Assignment::new(s)).collect();
    // `[sizing]` is not part of the scenario the loader checks; a malformed argument goes to the
    // loader, which reports it as `capsim run` does.
    let scenario_sets: Vec<String> = sets
        .iter()
        .filter(|s| Assignment::new(s).is_none_or(|a| !a.is_sizing()))
        .cloned()
        .collect();
    // The scenario as written (with --set) must be valid on its own, with its errors at their
    // places.
    let base = crate::scenario::sweep::load_plan(path, text, options, &scenario_sets, &[])
        .map_err(|e| match e {
            LoadError::Invalid { errors, .. } => invalid(on_command_line(errors, &assignments)),
            e => SizingError::Input(e.to_string()),
        })?;
    let config = config::parse_edited(path, text, crate::catalog::Catalog::builtin(), |doc| {
        for a in &assignments {
            a.apply(doc)?;
        }
        Ok(())
    })
    .map_err(|errors| invalid(on_command_line(errors, &assignments)))?;
    let s = &base.variants[0].scenario;
    let info = report::SizingRun {
        scenario: s.name.clone(),
        endpoint: config.endpoint.clone(),
        seed: settings.seed.unwrap_or(s.seed),
        replications: settings.replications.unwrap_or(s.replications),
        price_sources: vec![],
    };
    Ok(Request {
        path,
        text,
        options: options.clone(),
        settings,
        config,
        info,
        warnings: base.warnings,
        scenario_sets,
    })
}

/// Runs the scale-up-then-scale-out search by simulation. `progress` is called once per
/// finished replication, from worker threads. Setting `cancel` stops the search: replications
/// not yet started are skipped and the result is [`SizingError::Interrupted`].
pub fn run(
    request: Request<'_>,
    progress: Option<&(dyn Fn() + Sync)>,
    cancel: Option<&AtomicBool>,
) -> Result<Sized, SizingError> {
    let mut evaluator = sim::SimEvaluator {
        path: request.path,
        text: request.text,
        options: request.options.clone(),
        config: &request.config,
        settings: request.settings,
        sets: &request.scenario_sets,
        progress,
        cancel,
    };
    // Every candidate at the price the scenario bills for it (a price list, a discount), even
    // those that memory rules out before any simulation, so that sizing.csv has one price basis.
    let mut candidates = request.config.candidates.clone();
    let mut price_sources = vec![];
    for c in &mut candidates {
        if cancel.is_some_and(|f| f.load(Ordering::Relaxed)) {
            return Err(SizingError::Interrupted);
        }
        if let Some((price_usd_per_hour, source)) = evaluator.price(&c.size) {
            c.price_usd_per_hour = Some(price_usd_per_hour);
            price_sources.push((c.size.clone(), source));
        }
    }
    let outcome = recommend(&request.config.goal, &candidates, &mut evaluator)?;
    let mut info = request.info;
    info.price_sources = price_sources.clone();
    Ok(Sized {
        config: request.config,
        outcome,
        info,
        warnings: request.warnings,
        price_sources,
    })
}

/// [`prepare`] then [`run`].
pub fn size_scenario(
    path: &std::path::Path,
    text: &str,
    options: &crate::scenario::LoadOptions,
    settings: sim::RunSettings,
    sets: &[String],
    progress: Option<&(dyn Fn() + Sync)>,
    cancel: Option<&AtomicBool>,
) -> Result<Sized, SizingError> {
    run(
        prepare(path, text, options, settings, sets)?,
        progress,
        cancel,
    )
}

/// One `--set PATH=VALUE` argument, as `capsim run` reads it.
struct Assignment {
    arg: String,
    path: String,
    /// The value as TOML text: a value that is not valid TOML is a string, so that
    /// `--set sizing.percentile=p99` needs no quotes (as in the loader).
    value: String,
}

impl Assignment {
    fn new(arg: &str) -> Option<Assignment> {
        let (path, value) = split_assignment(arg)?;
        Some(Assignment {
            arg: arg.to_string(),
            path,
            value,
        })
    }

    fn is_sizing(&self) -> bool {
        self.path == "sizing" || self.path.starts_with("sizing.")
    }

    fn error(&self, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: "command line".into(),
            line: 0,
            column: 0,
            field: format!("--set {}", self.arg),
            message,
            hint: None,
        }
    }

    /// Puts the value into `doc` with the loader's own `--set` (missing keys and tables are
    /// added).
    fn apply<'a>(&'a self, doc: &mut DeTable<'a>) -> Result<(), Vec<Diagnostic>> {
        let fail = |m: String| vec![self.error(m)];
        let value = DeValue::parse(&self.value).map_err(|e| fail(e.message().to_string()))?;
        set_path(doc, &self.path, value).map_err(fail)
    }

    /// This assignment wrote `field`, or a field inside it, or a table it added (an unknown key
    /// is reported at the table). A whole section (`sizing`, `endpoint`) is not taken for the
    /// assignment's: its errors can be the file's own.
    fn wrote(&self, field: &str) -> bool {
        let under = |inner: &str, outer: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|r| r.is_empty() || r.starts_with('.') || r.starts_with('['))
        };
        under(field, &self.path) || (field.contains('.') && under(&self.path, field))
    }
}

/// A problem with a value that came from `--set` is reported at the argument: its place in the
/// file would be wherever the value's offset in its own text happens to fall.
fn on_command_line(mut errors: Vec<Diagnostic>, assignments: &[Assignment]) -> Vec<Diagnostic> {
    for d in &mut errors {
        // The loader names a bad path but not the argument it came in.
        if d.field == "--set"
            && let Some(a) = assignments
                .iter()
                .find(|a| d.message.starts_with(&format!("{}: ", a.path)))
        {
            d.field = format!("--set {}", a.arg);
            d.message = d.message[a.path.len() + 2..].to_string();
            continue;
        }
        // The last assignment of a field is the one that took effect.
        if d.file != std::path::Path::new("command line")
            && let Some(a) = assignments.iter().rev().find(|a| a.wrote(&d.field))
        {
            let inner = std::mem::take(&mut d.field);
            let message = if inner == a.path {
                std::mem::take(&mut d.message)
            } else {
                format!("{inner}: {}", d.message)
            };
            *d = Diagnostic {
                hint: d.hint.take(),
                ..a.error(message)
            };
        }
    }
    errors
}
