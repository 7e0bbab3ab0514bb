//! Fuzz target: arbitrary bytes as a scenario file, through loading, validation, sweep expansion,
//! a short simulation of every variant and every output format.
//!
//! `cargo fuzz run scenario` runs it under libFuzzer; `cargo fuzz run scenario FILE` (or the
//! built binary with file arguments) runs saved inputs once. `tests/it/fuzz_regressions.rs`
//! includes this file as a module and calls [`run`] on the inputs saved there.
//!
//! Relative file references (`prices`, trace and empirical files) resolve against the current
//! folder, as for a scenario at `./f.toml`.
#![cfg_attr(not(test), no_main)]

use capsim::engine::time::{MICROS_PER_DAY, MICROS_PER_HOUR};
use capsim::model::System;
use capsim::output::{self, TimeseriesWriter};
use capsim::scenario::LoadOptions;
use capsim::scenario::sweep::load_plan;
use capsim::workload::ArrivalSpec;
use std::path::Path;

/// 2026-11-27 as days since 1970-01-01: retirement checks do not depend on the day it runs.
pub const TODAY: i64 = 20784;
/// Variants simulated at most; the rest are validated but not run.
const MAX_VARIANTS: usize = 16;
/// Skip the simulation when the expected node-jobs over all variants exceed this.
const MAX_WORK: f64 = 100_000.0;
/// Record the time series only when it has at most this many rows per target.
const MAX_SAMPLES: u64 = 10_000;

// Compiled as a module of tests/it/fuzz_regressions.rs (cfg(test)), only `run` is wanted.
#[cfg(not(test))]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Expected arrivals times nodes per job of one replication of `system`, an upper estimate of
/// the work a replication does (Poisson rates at their peak, trace repeats counted in full).
fn expected_work(system: &System) -> f64 {
    let hours = system.horizon as f64 / MICROS_PER_HOUR as f64;
    system
        .workloads
        .iter()
        .map(|w| {
            let nodes = f64::from(w.instance_count.max(1)) * f64::from(w.batch_size.max(1));
            match &w.arrivals {
                ArrivalSpec::Poisson(p) => {
                    let peak = |profile: Option<&[f64]>| {
                        profile.map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
                    };
                    let d = peak(p.daily_profile.as_ref().map(|a| &a[..]));
                    let wk = peak(p.weekly_profile.as_ref().map(|a| &a[..]));
                    p.rate_per_hour * d * wk * hours * nodes
                }
                ArrivalSpec::Mmpp(m) => {
                    m.rates_per_hour.iter().copied().fold(0.0, f64::max) * hours * nodes
                }
                ArrivalSpec::Trace(t) => {
                    let per_pass: f64 = t
                        .jobs
                        .iter()
                        .map(|j| {
                            f64::from(j.nodes.unwrap_or(w.instance_count).max(1))
                                * f64::from(w.batch_size.max(1))
                        })
                        .sum();
                    let passes = if t.repeat && t.period > 0 {
                        (system.horizon / t.period) as f64 + 1.0
                    } else {
                        1.0
                    };
                    per_pass * passes
                }
            }
        })
        .sum()
}

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let options = LoadOptions {
        today: Some(TODAY),
        prices_file: None,
    };
    let mut plan = match load_plan(Path::new("f.toml"), &text, &options, &[], &[]) {
        Ok(plan) => plan,
        Err(e) => {
            // Rendering the diagnostics computes lines and columns: exercise it too.
            let _ = e.to_string();
            return;
        }
    };
    for w in &plan.warnings {
        let _ = w.to_string();
    }
    assert!(!plan.variants.is_empty(), "a plan without variants");

    // A tiny run: one replication of at most one day per variant.
    plan.variants.truncate(MAX_VARIANTS);
    let mut work = 0.0;
    for v in &mut plan.variants {
        let s = &mut v.scenario;
        s.replications = 1;
        let system = &mut s.system;
        system.horizon = system.horizon.min(MICROS_PER_DAY);
        if system.warmup >= system.horizon {
            system.warmup = system.horizon / 2;
        }
        work += expected_work(system);
    }
    // NaN or infinite estimates are skipped too.
    if work.is_nan() || work > MAX_WORK {
        return;
    }
    let first = plan.variants[0].scenario.clone();
    let samples = first
        .system
        .horizon
        .checked_div(first.system.sample_interval)
        .unwrap_or(u64::MAX);
    let mut ts = (samples <= MAX_SAMPLES).then(|| TimeseriesWriter::new(Vec::new(), &first, 0));
    let results = capsim::sweep::run_plan(
        &plan,
        1,
        ts.as_mut()
            .map(|t| t as &mut (dyn capsim::model::SampleSink + Send)),
    )
    .expect("a thread pool of one thread");
    assert_eq!(results.len(), plan.variants.len());
    if let Some(ts) = ts {
        ts.finish().expect("time series to memory");
    }
    output::summary_csv(&plan, &results).expect("summary.csv to memory");
    output::replications_csv(&plan, &results).expect("replications.csv to memory");
    let tradeoff =
        (plan.variants.len() > 1).then(|| capsim::sweep::tradeoff::analyse(&plan, &results));
    if let Some(rows) = &tradeoff {
        output::tradeoff_csv(&plan, rows).expect("tradeoff.csv to memory");
    }
    let _ = capsim::cli::summary::terminal_summary(&plan, &results, tradeoff.as_deref(), Some(100));
}
