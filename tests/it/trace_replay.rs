//! Replaying the real Philly trace through the cluster model, checked against figures computed
//! here straight from the CSV.

use crate::support::repo;
use capsim::metrics::M;
use capsim::scenario::{LoadOptions, parse_with};
use std::path::PathBuf;

fn trace_path() -> PathBuf {
    repo().join("scenarios/traces/philly_vc_11cb48.csv")
}

/// (jobs, GPU-seconds) read line by line, independently of capsim's reader.
fn trace_totals() -> (u64, f64) {
    let text = std::fs::read_to_string(trace_path()).unwrap();
    let mut jobs = 0;
    let mut gpu_s = 0.0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let d: f64 = cells[1].parse().unwrap();
        let g: f64 = cells[2].parse().unwrap();
        jobs += 1;
        gpu_s += d * g;
    }
    (jobs, gpu_s)
}

/// One GPU per node, nodes ready at once, more nodes than the biggest job needs at any moment.
fn ample(max_instances: u32) -> capsim::scenario::Scenario {
    let text = format!(
        r#"
name = "philly-ample"
horizon = "120d"
replications = 2
seed = 1
start_date = 2026-12-01
[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_NC24ads_A100_v4"
max_instances = {max_instances}
provisioning_time = {{ dist = "constant", value = 0 }}
[[workload]]
name = "philly"
compute = "pool"
arrivals = {{ process = "trace", file = "traces/philly_vc_11cb48.csv", submit_column = "submit_time", duration_column = "duration_s", gpus_column = "num_gpus" }}
"#
    );
    let path = repo().join("scenarios/philly-ample.toml");
    parse_with(&path, &text, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

#[test]
fn every_job_completes_and_gpu_hours_match_the_trace() {
    let (jobs, gpu_s) = trace_totals();
    assert_eq!(jobs, 16_091);
    let s = ample(400);
    let result = capsim::sweep::run(&s, 0, None).unwrap();
    for row in &result.rows {
        let v = &row.targets[0];
        assert_eq!(v[M::jobs_arrived as usize], jobs as f64);
        assert_eq!(v[M::jobs_completed as usize], jobs as f64);
        assert_eq!(v[M::running_at_end as usize], 0.0);
        assert_eq!(v[M::queued_at_end as usize], 0.0);
        // One GPU per node: busy node-hours are the trace's GPU-hours (durations are rounded to
        // the microsecond, so allow a microsecond per job).
        let busy_h = v[M::busy_node_hours as usize];
        let want_h = gpu_s / 3600.0;
        assert!(
            (busy_h - want_h).abs() <= 16.0 * jobs as f64 / 3.6e9,
            "{busy_h} vs {want_h}"
        );
    }
}

#[test]
fn with_ample_nodes_and_instant_start_up_nobody_waits() {
    let s = ample(400);
    let result = capsim::sweep::run(&s, 0, None).unwrap();
    for row in &result.rows {
        assert_eq!(row.targets[0][M::wait_max as usize], 0.0);
        assert_eq!(row.targets[0][M::provisioning_node_hours as usize], 0.0);
    }
}

#[test]
fn the_bundled_philly_scenario_serves_the_whole_trace_on_both_clusters() {
    let path = repo().join("scenarios/philly.toml");
    let source = capsim::scenario::Source::read(&path).unwrap();
    let mut plan = capsim::scenario::load(&source, &Default::default()).unwrap();
    let s = plan.variants.remove(0).scenario;
    let result = capsim::sweep::run(&s, 0, None).unwrap();
    for row in &result.rows {
        for t in &row.targets {
            assert_eq!(t[M::jobs_completed as usize], 16_091.0);
        }
        // The A100 cluster runs every job 2.5x faster: 1-GPU-per-node busy time is the trace's
        // GPU-hours divided by 2.5.
        let (_, gpu_s) = trace_totals();
        let busy_a100 = row.targets[1][M::busy_node_hours as usize];
        assert!(
            (busy_a100 - gpu_s / 3600.0 / 2.5).abs() < 0.01,
            "{busy_a100}"
        );
    }
}

#[test]
fn a_job_bigger_than_the_cluster_is_reported_with_its_line() {
    let text = r#"
name = "too-small"
horizon = "10d"
start_date = 2026-12-01
[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_NC24ads_A100_v4"
max_instances = 8
[[workload]]
name = "philly"
compute = "pool"
arrivals = { process = "trace", file = "traces/philly_vc_11cb48.csv", submit_column = "submit_time", duration_column = "duration_s", gpus_column = "num_gpus" }
"#;
    let path = repo().join("scenarios/too-small.toml");
    let err = parse_with(&path, text, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("need more nodes than max_instances = 8"),
        "{err}"
    );
    assert!(err.contains("on_bad_row = \"skip\""), "{err}");
}
