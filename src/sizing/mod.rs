//! `capsim size`: which VM size and how many instances a managed online endpoint needs.
//!
//! Azure ML's advice for choosing a SKU is to scale up first, then scale out: "start with a
//! machine that has 150% of the RAM your model requires, profile the result and find a machine
//! that has the performance you need. Once you've learned that, increase the number of machines
//! to fit your need for concurrent inference" ("What are compute targets in Azure Machine
//! Learning?", the note on cluster SKUs,
//! <https://learn.microsoft.com/azure/machine-learning/concept-compute-target>). This module
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

pub mod mmck;
pub mod report;
pub mod search;
pub mod sim;

pub use crate::scenario::{Candidate, Percentile, RateOverride, SizingSpec, SizingTarget};
pub use search::{Evaluator, Measured, Outcome, Point, Verdict, recommend};

use crate::scenario::{Diagnostic, Edits, LoadError, Source};
use std::sync::atomic::{AtomicBool, Ordering};

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
    pub spec: SizingSpec,
    pub outcome: Outcome,
    pub info: report::SizingRun,
    /// The scenario's own warnings.
    pub warnings: Vec<Diagnostic>,
    /// Where each candidate's price comes from (catalog row, price list, discount), by size, in
    /// the order of `spec.candidates`; sizes the scenario cannot load have none.
    pub price_sources: Vec<(String, String)>,
    /// The scenario with the command line's edits, as the folder records it.
    pub effective_text: std::sync::Arc<str>,
}

/// A checked `capsim size` request, ready to run.
#[derive(Debug)]
pub struct Request<'a> {
    pub source: &'a Source,
    /// The command line's edits, made to the scenario of every simulation before the size,
    /// count and rate of its point.
    pub edits: Edits,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    pub spec: SizingSpec,
    pub info: report::SizingRun,
    /// The scenario's own warnings.
    pub warnings: Vec<Diagnostic>,
    /// The scenario with the command line's edits, as the folder records it.
    pub effective_text: std::sync::Arc<str>,
    /// The machine's means: every batch of simulations is estimated against them first, and
    /// refused when it passes one (a `peak_rate_per_second` of 1e308 would never end).
    pub limits: crate::sweep::estimate::Limits,
}

/// Checks the scenario, its `[sizing]` table and the command line's edits, before any
/// simulation. `--set` reaches `[sizing]` and the scenario alike (what `[sizing]` reads from
/// it too: the traffic's rate, the endpoint's concurrency); a problem with a value it gave is
/// reported at the argument.
pub fn prepare<'a>(
    source: &'a Source,
    edits: &Edits,
    threads: usize,
) -> Result<Request<'a>, SizingError> {
    let input = |e: LoadError| SizingError::Input(e.to_string());
    let plan = crate::scenario::load(source, edits).map_err(input)?;
    let spec = plan.sizing_required().map_err(input)?.clone();
    let s = &plan.variants[0].scenario;
    let info = report::SizingRun {
        scenario: s.name.clone(),
        endpoint: spec.endpoint.clone(),
        seed: s.seed,
        replications: s.replications,
        price_sources: vec![],
    };
    Ok(Request {
        source,
        edits: edits.clone(),
        threads,
        spec,
        info,
        warnings: plan.warnings,
        effective_text: plan.effective_text,
        limits: crate::sweep::estimate::Limits::of_this_machine(None),
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
        source: request.source,
        edits: &request.edits,
        spec: &request.spec,
        threads: request.threads,
        progress,
        cancel,
        limits: &request.limits,
    };
    // Every candidate at the price the scenario bills for it (a price list, a discount), even
    // those that memory rules out before any simulation, so that sizing.csv has one price basis.
    let mut candidates = request.spec.candidates.clone();
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
    let outcome = recommend(&request.spec.target, &candidates, &mut evaluator)?;
    let mut info = request.info;
    info.price_sources = price_sources.clone();
    Ok(Sized {
        spec: request.spec,
        outcome,
        info,
        warnings: request.warnings,
        price_sources,
        effective_text: request.effective_text,
    })
}

/// [`prepare`] then [`run`].
pub fn size_scenario(
    source: &Source,
    edits: &Edits,
    threads: usize,
    progress: Option<&(dyn Fn() + Sync)>,
    cancel: Option<&AtomicBool>,
) -> Result<Sized, SizingError> {
    run(prepare(source, edits, threads)?, progress, cancel)
}
