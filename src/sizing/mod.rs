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

/// Why `capsim size` could not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum SizingError {
    /// The scenario or the `[sizing]` table is wrong: the user can fix it (exit code 2).
    #[error("{0}")]
    Input(String),
    /// The simulation could not run, or did not report what sizing needs (exit code 1).
    #[error("{0}")]
    Failed(String),
}

/// A mean over replications and its 95% confidence half-width (0 for exact values).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Est {
    pub mean: f64,
    pub ci95: f64,
}

impl Est {
    pub fn exact(x: f64) -> Est {
        Est { mean: x, ci95: 0.0 }
    }
}

/// What `capsim size` found, with what it needs to report it.
#[derive(Debug)]
pub struct Sized {
    pub config: SizingConfig,
    pub outcome: Outcome,
    pub info: report::RunInfo,
    /// The scenario's own warnings.
    pub warnings: Vec<crate::scenario::Diagnostic>,
}

/// A checked `capsim size` request, ready to run.
#[derive(Debug)]
pub struct Request<'a> {
    pub path: &'a std::path::Path,
    pub text: &'a str,
    pub options: crate::scenario::LoadOptions,
    pub settings: sim::RunSettings,
    pub config: SizingConfig,
    pub info: report::RunInfo,
    /// The scenario's own warnings.
    pub warnings: Vec<crate::scenario::Diagnostic>,
}

/// Checks the scenario `text` (from `path`), its `[sizing]` table and the command line's
/// settings, before any simulation.
pub fn prepare<'a>(
    path: &'a std::path::Path,
    text: &'a str,
    options: &crate::scenario::LoadOptions,
    settings: sim::RunSettings,
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
    // The scenario as written must be valid on its own, with its errors at their places.
    let base =
        crate::scenario::sweep::load_plan(path, text, options, &[], &[]).map_err(|e| match e {
            LoadError::Invalid { errors, .. } => invalid(errors),
            e => SizingError::Input(e.to_string()),
        })?;
    let config = config::parse(path, text, crate::catalog::Catalog::builtin()).map_err(invalid)?;
    let s = &base.variants[0].scenario;
    let info = report::RunInfo {
        scenario: s.name.clone(),
        endpoint: config.endpoint.clone(),
        seed: settings.seed.unwrap_or(s.seed),
        replications: settings.replications.unwrap_or(s.replications),
    };
    Ok(Request {
        path,
        text,
        options: options.clone(),
        settings,
        config,
        info,
        warnings: base.warnings,
    })
}

/// Runs the scale-up-then-scale-out search by simulation. `progress` is called once per
/// finished replication, from worker threads.
pub fn run(
    request: Request<'_>,
    progress: Option<&(dyn Fn() + Sync)>,
) -> Result<Sized, SizingError> {
    let mut evaluator = sim::SimEvaluator {
        path: request.path,
        text: request.text,
        options: request.options.clone(),
        config: &request.config,
        settings: request.settings,
        progress,
    };
    let outcome = recommend(
        &request.config.goal,
        &request.config.candidates,
        &mut evaluator,
    )?;
    Ok(Sized {
        config: request.config,
        outcome,
        info: request.info,
        warnings: request.warnings,
    })
}

/// [`prepare`] then [`run`].
pub fn size_scenario(
    path: &std::path::Path,
    text: &str,
    options: &crate::scenario::LoadOptions,
    settings: sim::RunSettings,
    progress: Option<&(dyn Fn() + Sync)>,
) -> Result<Sized, SizingError> {
    run(prepare(path, text, options, settings)?, progress)
}
