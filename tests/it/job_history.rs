//! A plain job-history CSV replayed by a scenario: run times written as `HH:MM:SS` or as KQL
//! timespans, and rows selected by status and cluster columns. Figures worked out by hand
//! from the file below.

use capsim::scenario::{LoadOptions, parse_with};
use capsim::workload::ArrivalSpec;

/// Five jobs of two clusters; the earliest submission (09:00, cluster b) is time zero.
const HISTORY: &str = "\
submitted,run_time,nodes,status,cluster
2026-11-02 09:30:00,00:45:00,1,Completed,a
2026-11-02 09:00:00,01:00:00,2,Completed,b
2026-11-02 10:00:00,1.02:00:00.5000000,2,Failed,a
2026-11-02 10:30:00,,1,Canceled,a
2026-11-02 11:00:00,36:00:00,1, completed ,A
";

fn scenario(arrivals_extra: &str) -> String {
    format!(
        r#"
name = "history"
horizon = "3d"
replications = 1
start_date = 2026-11-02
[[compute]]
name = "a"
type = "amlcompute"
size = "Standard_D4s_v3"
max_instances = 4
[[workload]]
name = "a-jobs"
compute = "a"
arrivals = {{ process = "trace", file = "history.csv", submit_column = "submitted", duration_column = "run_time", nodes_column = "nodes"{arrivals_extra} }}
"#
    )
}

fn load(text: &str) -> Result<capsim::scenario::Loaded, capsim::scenario::LoadError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("history.csv"), HISTORY).unwrap();
    let path = dir.path().join("s.toml");
    let out = parse_with(&path, text, &LoadOptions::default());
    drop(dir);
    out
}

/// (submit, run time) in seconds of each replayed job.
fn jobs(text: &str) -> Vec<(f64, f64)> {
    let loaded = load(text).unwrap_or_else(|e| panic!("{e}"));
    let w = &loaded.scenario.system.workloads[0];
    let ArrivalSpec::Trace(t) = &w.arrivals else {
        panic!("a trace")
    };
    t.jobs
        .iter()
        .map(|j| {
            (
                j.submit as f64 / 1e6,
                j.duration.map_or(f64::NAN, |d| d as f64 / 1e6),
            )
        })
        .collect()
}

#[test]
fn status_and_cluster_filters_select_rows_on_one_clock() {
    let got = jobs(&scenario(
        r#", status_column = "status", statuses = ["Completed", "Failed"], cluster_column = "cluster", clusters = ["a"]"#,
    ));
    // Cluster a's completed or failed jobs (A matches a; " completed " matches Completed), on
    // the clock of the whole file: 09:30, 10:00 and 11:00 are 30, 60 and 120 minutes after
    // cluster b's 09:00 job.
    assert_eq!(
        got,
        [(1800.0, 2700.0), (3600.0, 93_600.5), (7200.0, 129_600.0)]
    );
}

#[test]
fn without_filters_a_row_without_a_run_time_is_an_error_as_before() {
    let e = load(&scenario("")).unwrap_err().to_string();
    assert!(
        e.contains("history.csv:5:1: error: run_time: is empty"),
        "{e}"
    );
}

#[test]
fn a_filter_needs_its_column_and_its_values() {
    let e = load(&scenario(r#", status_column = "status""#))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("statuses: is required with status_column"),
        "{e}"
    );
    let e = load(&scenario(r#", clusters = ["a"]"#))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cluster_column: is required with clusters"),
        "{e}"
    );
    let e = load(&scenario(r#", status_column = "Status", statuses = ["x"]"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `status`"), "{e}");
    // Only trace arrivals take them.
    let poisson = scenario("").replace(
        r#"{ process = "trace", file = "history.csv", submit_column = "submitted", duration_column = "run_time", nodes_column = "nodes" }"#,
        r#"{ process = "poisson", rate_per_hour = 1.0, statuses = ["x"] }"#,
    ) + "duration = { dist = \"constant\", value = \"1h\" }\n";
    let e = load(&poisson).unwrap_err().to_string();
    assert!(
        e.contains("statuses: applies only to process = \"trace\""),
        "{e}"
    );
}
