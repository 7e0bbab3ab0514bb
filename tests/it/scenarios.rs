//! Every scenario shipped in `scenarios/` loads, runs briefly without panicking, and conserves
//! its jobs.

use crate::support::bundled_scenarios;
use capsim::engine::time::MICROS_PER_DAY;
use capsim::metrics::M;
use capsim::scenario::sweep::load_plan;
use capsim::scenario::{LoadOptions, Scenario};
use capsim::targets::TargetReport;
use std::path::Path;

#[test]
fn every_shipped_scenario_runs_and_conserves_jobs() {
    let files = bundled_scenarios();
    assert!(!files.is_empty(), "no scenarios found");
    for file in files {
        // The loader the CLI uses: a plain scenario is a plan with one variant; a `[sweep]`
        // expands to one scenario per setting, and every one of them must run.
        let text = std::fs::read_to_string(&file).unwrap();
        let plan = load_plan(&file, &text, &LoadOptions::default(), &[], &[])
            .unwrap_or_else(|e| panic!("{} does not load:\n{e}", file.display()));
        assert!(!plan.variants.is_empty(), "{}", file.display());
        for variant in &plan.variants {
            let mut s = variant.scenario.clone();
            s.system.horizon = 2 * MICROS_PER_DAY;
            s.system.warmup = 0;
            s.replications = 2;
            check(&file, &s);
        }
    }
}

/// Runs `s` (no warm-up, so every arrival is counted) and checks that every job is conserved in
/// every replication and target.
fn check(file: &Path, s: &Scenario) {
    let n_targets = s.system.targets.len();

    // Through the library's sweep: the per-replication metrics must balance.
    let result =
        capsim::sweep::run(s, 0, None).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert_eq!(result.rows.len(), 2);
    for row in &result.rows {
        assert_eq!(row.targets.len(), n_targets);
        for (t, v) in row.targets.iter().enumerate() {
            let g = |m: M| v[m as usize];
            if g(M::requests).is_finite() {
                // An endpoint: every request ends in exactly one way or is still in flight.
                assert_eq!(
                    g(M::requests),
                    g(M::served)
                        + g(M::rejected_429)
                        + g(M::rejected_503).max(0.0)
                        + g(M::timed_out_408)
                        + g(M::requests_in_flight_at_end),
                    "{} replication {} target {t}: requests = served + 429 + 503 + 408 + in flight",
                    file.display(),
                    row.replication
                );
                assert!(g(M::instance_hours) > 0.0, "{}", file.display());
                continue;
            }
            assert_eq!(
                g(M::jobs_arrived),
                g(M::jobs_completed)
                    + g(M::batch_jobs_cancelled).max(0.0)
                    + g(M::running_at_end)
                    + g(M::queued_at_end),
                "{} replication {} target {t}: arrived = completed + cancelled + running + queued",
                file.display(),
                row.replication
            );
            let billed = g(M::node_hours);
            // Evicted Spot nodes are billed while they go.
            let parts = g(M::busy_node_hours)
                + g(M::idle_node_hours)
                + g(M::provisioning_node_hours)
                + g(M::evicting_node_hours).max(0.0); // undefined (NaN) where nothing is evicted
            assert!(
                (billed - parts).abs() <= 1e-9 * billed.max(1.0),
                "{}: node_hours {billed} = busy + idle + provisioning + evicting {parts}",
                file.display()
            );
        }
    }

    // And the raw reports, whose totals cover the whole run.
    for r in 0..2 {
        let rep = capsim::model::run_replication(&s.system, s.seed, r, None);
        for t in &rep.targets {
            let TargetReport::Cluster(c) = t else {
                continue;
            };
            assert_eq!(
                c.total_arrived,
                c.total_completed + c.total_cancelled + c.running_at_end + c.queued_at_end,
                "{} replication {r}",
                file.display()
            );
            assert_eq!(c.total_arrived, c.jobs_arrived, "no warm-up");
        }
    }
}
