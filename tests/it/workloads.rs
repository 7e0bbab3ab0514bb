//! Workload features end to end: batches, MMPP bursts, priorities through the loader, the
//! per-workload breakdown in `workloads.csv`, and the count of skipped trace rows.

use crate::support::{assert_error, capsim, csv_records, errors, loads, options, write_temp};
use capsim::engine::stream;
use capsim::model::{arrival_states_purpose, arrivals_purpose, run_replication};
use capsim::scenario::{Diagnostic, LoadError, Scenario, parse_with};
use capsim::targets::TargetReport;
use capsim::workload::ArrivalSource;
use std::path::Path;

/// Loads `text` as a scenario file in `dir`, beside the trace files it names.
fn load_in(dir: &Path, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    match parse_with(&dir.join("w.toml"), text, &options()) {
        Ok(l) => Ok(l.scenario),
        Err(LoadError::Invalid { errors, .. }) => Err(errors),
        Err(e) => panic!("{e}"),
    }
}

/// A cluster big enough for everything, ready at once, and one workload with `arrivals`.
fn scenario(arrivals: &str, extra_workload: &str) -> String {
    format!(
        r#"
horizon = "10d"
replications = 3
seed = 11
[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 1000
provisioning_time = {{ dist = "constant", value = 0 }}
[[workload]]
name = "w"
compute = "pool"
arrivals = {arrivals}
duration = {{ dist = "exponential", mean = "10m" }}
{extra_workload}
"#
    )
}

/// Arrival events of workload `name` of `sc` in replication `r` up to the horizon, counted
/// with the same random streams the model uses.
fn arrival_events(sc: &Scenario, w: usize, r: u64) -> u64 {
    let spec = &sc.system.workloads[w];
    let mut src = ArrivalSource::new(
        &spec.arrivals,
        stream(sc.seed, r, &arrivals_purpose(&spec.name)),
        stream(sc.seed, r, &arrival_states_purpose(&spec.name)),
    );
    let mut n = 0;
    while let Some(a) = src.next_arrival() {
        if a.time > sc.system.horizon {
            break;
        }
        n += 1;
    }
    n
}

fn cluster(report: &TargetReport) -> &capsim::targets::ClusterReport {
    match report {
        TargetReport::Cluster(c) => c,
        _ => panic!("a cluster"),
    }
}

#[test]
fn a_batch_submits_exactly_batch_size_jobs_per_arrival() {
    for arrivals in [
        r#"{ process = "poisson", rate_per_hour = 0.5, batch_size = 50 }"#,
        r#"{ process = "mmpp", rates_per_hour = [0.1, 3], mean_sojourn = ["1d", "2h"], batch_size = 7 }"#,
    ] {
        let sc = loads(&scenario(arrivals, ""));
        let batch = sc.system.workloads[0].batch_size as u64;
        for r in 0..sc.replications {
            let events = arrival_events(&sc, 0, r);
            assert!(events > 0);
            let rep = run_replication(&sc.system, sc.seed, r, None);
            let c = cluster(&rep.targets[0]);
            assert_eq!(c.total_arrived, batch * events, "{arrivals}");
            // With ample ready nodes every job starts at once: the batch waits 0.
            assert_eq!(c.waits.max(), Some(0));
        }
    }
}

#[test]
fn a_trace_row_with_a_batch_size_is_that_many_jobs() {
    // 3 rows, batch 4: exactly 12 jobs, each with its row's duration: 4 × (60 + 120 + 180) s
    // = 1440 node-s of busy time with one node per job. The second batch (100..220) overlaps
    // the third (200..380): 8 nodes at peak.
    let (dir, _) = write_temp("t.csv", "submit,duration\n0,60\n100,120\n200,180\n");
    let text = r#"
horizon = "1h"
replications = 1
[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 100
provisioning_time = { dist = "constant", value = 0 }
idle_time_before_scale_down = 0
[[workload]]
name = "w"
compute = "pool"
arrivals = { process = "trace", file = "t.csv", submit_column = "submit", duration_column = "duration", time_format = "epoch_s", batch_size = 4 }
"#;
    let sc = load_in(dir.path(), text).unwrap_or_else(|e| panic!("{e:#?}"));
    let rep = run_replication(&sc.system, sc.seed, 0, None);
    let c = cluster(&rep.targets[0]);
    assert_eq!((c.total_arrived, c.total_completed), (12, 12));
    assert_eq!(c.busy_area, 1440 * 1_000_000);
    assert_eq!(c.peak_nodes, 8);
}

#[test]
fn an_mmpp_workload_leaves_other_workloads_draws_alone() {
    // Workload `w` alone, then beside an MMPP workload `burst` on another target: `w`'s
    // replications are identical to the metric (its streams are keyed by its name only).
    let alone = loads(&scenario(
        r#"{ process = "poisson", rate_per_hour = 2.0 }"#,
        "",
    ));
    let extra = r#"
[[compute]]
name = "other"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 10
[[workload]]
name = "burst"
compute = "other"
arrivals = { process = "mmpp", rates_per_hour = [1, 30], mean_sojourn = ["5h", "20m"] }
duration = { dist = "exponential", mean = "10m" }
"#;
    let both = loads(&scenario(
        r#"{ process = "poisson", rate_per_hour = 2.0 }"#,
        extra,
    ));
    let a = capsim::sweep::run(&alone, 1, None).unwrap();
    let b = capsim::sweep::run(&both, 1, None).unwrap();
    for (ra, rb) in a.rows.iter().zip(&b.rows) {
        let (x, y): (&[f64], &[f64]) = (&ra.targets[0], &rb.targets[0]);
        for (m, (p, q)) in x.iter().zip(y).enumerate() {
            assert!(
                p == q || (p.is_nan() && q.is_nan()),
                "metric {m}: {p} vs {q}"
            );
        }
    }
}

#[test]
fn mmpp_and_batch_and_priority_are_validated_with_their_fields() {
    let w = |arrivals: &str| scenario(arrivals, "");
    assert_error(
        &errors(&w(
            r#"{ process = "mmpp", rates_per_hour = [1, 2, 3], mean_sojourn = ["1h", "1h"] }"#,
        )),
        "workload.w.arrivals.rates_per_hour",
        &["needs 2 values", "got 3"],
    );
    assert_error(
        &errors(&w(r#"{ process = "mmpp", rates_per_hour = [1, 2] }"#)),
        "workload.w.arrivals.mean_sojourn",
        &["is required"],
    );
    assert_error(
        &errors(&w(
            r#"{ process = "mmpp", rates_per_hour = [1, -2], mean_sojourn = ["1h", "1h"] }"#,
        )),
        "workload.w.arrivals.rates_per_hour[1]",
        &["-2"],
    );
    assert_error(
        &errors(&w(
            r#"{ process = "mmpp", rates_per_hour = [0, 0], mean_sojourn = ["1h", "1h"] }"#,
        )),
        "workload.w.arrivals.rates_per_hour",
        &["both rates are zero"],
    );
    assert_error(
        &errors(&w(
            r#"{ process = "mmpp", rates_per_hour = [1, 2], mean_sojourn = ["1h", "0s"] }"#,
        )),
        "workload.w.arrivals.mean_sojourn[1]",
        &["greater than zero"],
    );
    assert_error(
        &errors(&w(
            r#"{ process = "mmpp", rate_per_hour = 2, rates_per_hour = [1, 2], mean_sojourn = ["1h", "1h"] }"#,
        )),
        "workload.w.arrivals.rate_per_hour",
        &["does not apply to process = \"mmpp\""],
    );
    assert_error(
        &errors(&w(
            r#"{ process = "poisson", rate_per_hour = 2, mean_sojourn = ["1h", "1h"] }"#,
        )),
        "workload.w.arrivals.mean_sojourn",
        &["applies only to process = \"mmpp\""],
    );
    assert_error(
        &errors(&w(
            r#"{ process = "poisson", rate_per_hour = 2, batch_size = 0 }"#,
        )),
        "workload.w.arrivals.batch_size",
        &["got 0"],
    );
    assert_error(
        &errors(&scenario(
            r#"{ process = "poisson", rate_per_hour = 2 }"#,
            "priority = 3000000000",
        )),
        "workload.w.priority",
        &["3000000000"],
    );
    // The error carries the line of the value.
    let errs = errors(&w(
        r#"{ process = "mmpp", rates_per_hour = [1], mean_sojourn = ["1h", "1h"] }"#,
    ));
    assert!(errs.iter().all(|d| d.line == 14), "{errs:#?}");
    let sc = loads(&scenario(
        r#"{ process = "poisson", rate_per_hour = 2 }"#,
        "priority = -3",
    ));
    assert_eq!(sc.system.workloads[0].priority, -3);
    assert_eq!(sc.system.workloads[0].batch_size, 1);
}

#[test]
fn workloads_csv_breaks_each_target_down_by_workload() {
    // Two workloads share one cluster (one at priority 5, in batches of 3), a third uses a
    // trace with two bad rows skipped. The attributed costs of a target's workloads add up to
    // its cost, their busy hours to its busy hours, their arrivals to its arrivals.
    let (dir, _) = write_temp(
        "t.csv",
        "submit,duration\n0,600\nnot-a-time,60\n3600,1200\n7200,-5\n",
    );
    let text = r#"
name = "mix"
horizon = "3d"
warmup = "6h"
replications = 4
seed = 5
[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 4
provisioning_time = { dist = "constant", value = "2m" }
[[compute]]
name = "side"
type = "serverless"
size = "Standard_D2s_v3"
startup_time = { dist = "constant", value = "1m" }
[[workload]]
name = "train"
compute = "pool"
arrivals = { process = "poisson", rate_per_hour = 1.0 }
duration = { dist = "exponential", mean = "40m" }
[[workload]]
name = "sweep"
compute = "pool"
priority = 5
arrivals = { process = "mmpp", rates_per_hour = [0.1, 2], mean_sojourn = ["10h", "1h"], batch_size = 3 }
duration = { dist = "exponential", mean = "20m" }
[[workload]]
name = "replay"
compute = "side"
arrivals = { process = "trace", file = "t.csv", submit_column = "submit", duration_column = "duration", time_format = "epoch_s", on_bad_row = "skip", repeat = true }
"#;
    let file = dir.path().join("mix.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let o = capsim()
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = csv_records(&out.join("workloads.csv"));
    let summary = csv_records(&out.join("summary.csv"));
    assert_eq!(rows.len(), 3);
    let by = |w: &str| rows.iter().find(|r| r["workload"] == w).unwrap();
    let f = |r: &std::collections::HashMap<String, String>, k: &str| -> f64 {
        r[k].parse().unwrap_or_else(|_| panic!("{k} = `{}`", r[k]))
    };
    assert_eq!(by("train")["target"], "pool");
    assert_eq!(by("sweep")["arrival_process"], "mmpp");
    assert_eq!(by("sweep")["batch_size"], "3");
    assert_eq!(by("sweep")["priority"], "5");
    assert_eq!(by("replay")["trace_rows_skipped"], "2");
    assert_eq!(by("train")["trace_rows_skipped"], "0");
    assert_eq!(by("replay")["replications"], "4");
    for (target, workloads) in [("pool", vec!["train", "sweep"]), ("side", vec!["replay"])] {
        let t = summary.iter().find(|r| r["target"] == target).unwrap();
        for (col, tcol) in [
            ("attributed_cost_usd", "cost_usd"),
            ("busy_node_hours", "busy_node_hours"),
            ("jobs_arrived", "jobs_arrived"),
            ("cost_share", ""),
        ] {
            let sum: f64 = workloads.iter().map(|w| f(by(w), col)).sum();
            let want = if tcol.is_empty() { 1.0 } else { f(t, tcol) };
            // Means of per-replication values that add up exactly; the CSV keeps 6 decimals.
            assert!(
                (sum - want).abs() <= 1e-5 * want.max(1.0),
                "{target} {col}: {sum} vs {want}"
            );
        }
    }
    // Every replica of the replayed trace's two good rows (600 s and 1200 s every 2 h, the
    // period being the span 3600 s × 2 rows / 1 gap) waits exactly its 1-minute overhead.
    assert_eq!(f(by("replay"), "wait_mean_s"), 60.0);
    assert_eq!(f(by("replay"), "wait_p95_s"), 60.0);
    assert_eq!(by("replay")["wait_mean_s_ci95"], "0");
}
