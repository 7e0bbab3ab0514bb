//! The `capsim` binary end to end: outputs, headers, exit codes and located error messages.

use crate::support::{capsim, col, entries, quickstart, read_csv, run, write_temp};
use std::fs;

/// Identity columns of summary.csv and replications.csv, as the README documents them.
const IDENTITY: [&str; 7] = [
    "scenario",
    "target",
    "target_type",
    "size",
    "tier",
    "price_usd_per_hour",
    "price_source",
];

/// The metrics the README documents (more may be added; none may go missing).
const DOCUMENTED_METRICS: [&str; 24] = [
    "jobs_arrived",
    "jobs_completed",
    "throughput_jobs_per_hour",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "wait_p99_s",
    "wait_max_s",
    "queue_jobs_mean",
    "utilization",
    "nodes_mean",
    "nodes_peak",
    "node_hours",
    "busy_node_hours",
    "idle_node_hours",
    "provisioning_node_hours",
    "nodes_requested",
    "cost_usd",
    "idle_cost_usd",
    "idle_cost_share",
    "cost_per_job_usd",
    "cost_per_month_usd",
    "jobs_running_at_end",
    "jobs_queued_at_end",
];

#[test]
fn run_writes_every_file_with_the_documented_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let o = run(capsim().args([
        "run",
        quickstart().to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--horizon",
        "3d",
        "--replications",
        "3",
    ]));
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert!(o.stdout.contains("gpu-cluster"), "stdout: {}", o.stdout);

    // Exactly the results and run.json, and no temporary file (they are dot-files) left behind,
    // in the folder or beside it.
    assert_eq!(
        entries(&out_dir),
        [
            "commitments.csv",
            "replications.csv",
            "run.json",
            "scenario.toml",
            "summary.csv",
            "timeseries.csv",
            "workloads.csv"
        ]
    );
    assert_eq!(entries(tmp.path()), ["out"]);

    // summary.csv: every documented column (README "Outputs"), every metric of the library's
    // list followed at once by its `_ci95`, one row, 3 replications.
    let (header, rows) = read_csv(&out_dir.join("summary.csv"));
    for c in IDENTITY
        .iter()
        .chain(&["replications", "seed", "horizon_s", "warmup_s"])
    {
        col(&header, c);
    }
    for m in DOCUMENTED_METRICS {
        col(&header, m);
    }
    for m in capsim::metrics::METRICS {
        let i = col(&header, m.name);
        assert_eq!(header[i + 1], format!("{}_ci95", m.name));
    }
    // The columns the brief names explicitly are among them.
    for c in [
        "target",
        "replications",
        "jobs_completed",
        "throughput_jobs_per_hour",
        "wait_mean_s",
        "wait_mean_s_ci95",
        "wait_p50_s",
        "wait_p95_s",
        "wait_p99_s",
        "utilization",
        "nodes_mean",
        "node_hours",
        "busy_node_hours",
        "idle_node_hours",
        "provisioning_node_hours",
        "cost_usd",
        "cost_usd_ci95",
        "idle_cost_usd",
        "cost_per_job_usd",
        "cost_per_month_usd",
    ] {
        col(&header, c);
    }
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row[col(&header, "target")], "gpu-cluster");
    assert_eq!(row[col(&header, "replications")], "3");
    assert_eq!(row[col(&header, "horizon_s")], "259200");
    assert_eq!(row[col(&header, "warmup_s")], "86400");
    let num = |name: &str| -> f64 { row[col(&header, name)].parse().unwrap() };
    assert!(num("jobs_completed") > 0.0);
    let (busy, idle, prov, total) = (
        num("busy_node_hours"),
        num("idle_node_hours"),
        num("provisioning_node_hours"),
        num("node_hours"),
    );
    assert!(
        (busy + idle + prov - total).abs() < 1e-5,
        "node_hours = busy + idle + provisioning"
    );
    let util = num("utilization");
    assert!(util > 0.0 && util <= 1.0);

    // replications.csv: one row per replication, every metric, replications 0..3 in order.
    let (header, rows) = read_csv(&out_dir.join("replications.csv"));
    for c in IDENTITY
        .iter()
        .chain(&["replication", "seed", "replication_seed", "events"])
        .chain(&DOCUMENTED_METRICS)
    {
        col(&header, c);
    }
    for m in capsim::metrics::METRICS {
        col(&header, m.name);
        assert!(!header.contains(&format!("{}_ci95", m.name)));
    }
    assert_eq!(rows.len(), 3);
    let reps: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&header, "replication")].as_str())
        .collect();
    assert_eq!(reps, ["0", "1", "2"]);
    // The summary's mean is the mean of the replications.
    let jc = col(&header, "jobs_completed");
    let mean = rows
        .iter()
        .map(|r| r[jc].parse::<f64>().unwrap())
        .sum::<f64>()
        / 3.0;
    assert!((mean - num("jobs_completed")).abs() < 1e-5);
    // Every job is accounted for in every replication (warm-up makes arrivals and completions
    // count different jobs, so only the end-of-run columns are checked for sanity here).
    for r in &rows {
        let v = |n: &str| r[col(&header, n)].parse::<f64>().unwrap();
        let (running, queued) = (v("jobs_running_at_end"), v("jobs_queued_at_end"));
        // Counts of jobs: whole numbers, and at most one running job per node of the
        // quick-start's 8 (a job takes one node).
        assert!(
            running.fract() == 0.0 && queued.fract() == 0.0,
            "{running} {queued}"
        );
        assert!(running <= 8.0, "{running} jobs running on 8 nodes");
    }

    // timeseries.csv: replication 0 sampled every 300 s from 0 to the horizon inclusive.
    let (header, rows) = read_csv(&out_dir.join("timeseries.csv"));
    assert_eq!(
        header,
        [
            "replication",
            "time_s",
            "target",
            "nodes_allocated",
            "nodes_busy",
            "nodes_provisioning",
            "nodes_idle",
            "queue_jobs",
            "cumulative_cost_usd"
        ]
    );
    assert_eq!(rows.len(), 3 * 86_400 / 300 + 1);
    assert!(rows.iter().all(|r| r[0] == "0" && r[2] == "gpu-cluster"));
    assert_eq!(rows[0][1], "0");
    assert_eq!(rows.last().unwrap()[1], "259200");
    let cost: Vec<f64> = rows.iter().map(|r| r[8].parse().unwrap()).collect();
    assert!(
        cost.windows(2).all(|w| w[0] <= w[1]),
        "cumulative cost never decreases"
    );
    for r in &rows {
        let n: Vec<u32> = r[3..7].iter().map(|x| x.parse().unwrap()).collect();
        assert_eq!(
            n[0],
            n[1] + n[2] + n[3],
            "allocated = busy + provisioning + idle"
        );
        assert!(n[0] <= 8, "max_instances = 8");
    }

    // scenario.toml: the scenario as run, the file with the two options written into it (the
    // rest, comments included, as the file has it).
    let file = fs::read_to_string(quickstart()).unwrap();
    let want = file
        .replacen("horizon = \"30d\"", "horizon = \"3d\"", 1)
        .replacen("replications = 10", "replications = 3", 1);
    assert_ne!(want, file, "the quick start sets horizon and replications");
    assert_eq!(
        fs::read_to_string(out_dir.join("scenario.toml")).unwrap(),
        want
    );
}

/// A small valid scenario, broken one way at a time below.
const BASE: &str = r#"name = "broken"
horizon = "2d"
warmup = "1h"
replications = 2
seed = 7
start_date = 2026-12-01
[[compute]]
name = "cpu"
type = "amlcompute"
size = "Standard_DS3_v2"
min_instances = 0
max_instances = 4
idle_time_before_scale_down = "120s"
provisioning_time = { dist = "constant", value = "4m" }

[[workload]]
name = "etl"
compute = "cpu"
arrivals = { process = "poisson", rate_per_hour = 2.0 }
duration = { dist = "exponential", mean = "30m" }
"#;

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    (line, col)
}

struct Broken {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    /// Where the error must point: the first occurrence of `at` in the broken text.
    at: &'static str,
    field: &'static str,
    message: &'static str,
}

/// Writes the broken scenario, runs it into a fresh out dir, and checks exit code 2, the
/// located message, and that nothing was written.
fn check_broken(b: &Broken) {
    assert!(
        BASE.contains(b.from),
        "{}: `{}` not in BASE",
        b.what,
        b.from
    );
    let text = BASE.replacen(b.from, b.to, 1);
    let (tmp, file) = write_temp("broken.toml", &text);
    let out_dir = tmp.path().join("out");
    let o = run(capsim().args([
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]));
    assert_eq!(o.code, Some(2), "{}: stderr {}", b.what, o.stderr);
    let offset = text.find(b.at).expect("`at` is in the broken text");
    let (line, column) = line_col(&text, offset);
    let location = format!("{}:{line}:{column}: error: ", file.display());
    let first = o.stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&location),
        "{}: wanted `{location}…`, got:\n{}",
        b.what,
        o.stderr
    );
    let rest = &first[location.len()..];
    let field = format!("{}: ", b.field);
    assert!(
        rest.starts_with(&field),
        "{}: wanted field `{}`, got `{rest}`",
        b.what,
        b.field
    );
    assert!(
        rest.contains(b.message),
        "{}: wanted `{}` in `{rest}`",
        b.what,
        b.message
    );
    assert!(
        !out_dir.exists() || entries(&out_dir).is_empty(),
        "{}: nothing may be written, found {:?}",
        b.what,
        entries(&out_dir)
    );
}

#[test]
fn the_unbroken_base_scenario_runs() {
    let (tmp, file) = write_temp("ok.toml", BASE);
    let o = run(capsim().args([
        "run",
        file.to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
        "--quiet",
    ]));
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert_eq!(o.stdout, "", "--quiet prints nothing");
}

#[test]
fn broken_scenarios_exit_2_with_located_messages_and_write_nothing() {
    let cases = [
        Broken {
            what: "unknown top-level field",
            from: "seed = 7",
            to: "sede = 7",
            at: "sede",
            field: "sede",
            message: "unknown field `sede`",
        },
        Broken {
            what: "bad duration",
            from: r#"idle_time_before_scale_down = "120s""#,
            to: r#"idle_time_before_scale_down = "5x""#,
            at: r#""5x""#,
            field: "compute[0].idle_time_before_scale_down",
            message: "`5x` is not a duration",
        },
        Broken {
            what: "min_instances above max_instances",
            from: "min_instances = 0",
            to: "min_instances = 5",
            at: "5\nmax_instances",
            field: "compute.cpu.min_instances",
            message: "must not exceed max_instances (4), got 5",
        },
        Broken {
            what: "workload on an unknown compute",
            from: r#"compute = "cpu""#,
            to: r#"compute = "gpu""#,
            at: r#""gpu""#,
            field: "workload.etl.compute",
            message: "no compute target named `gpu`",
        },
        Broken {
            what: "horizon shorter than warm-up",
            from: r#"horizon = "2d""#,
            to: r#"horizon = "30m""#,
            at: r#""1h""#,
            field: "warmup",
            message: "must be shorter than the horizon (30m), got 1h",
        },
    ];
    for b in &cases {
        check_broken(b);
    }
}

/// An unknown key inside `[[compute]]` or inside an inline table.
fn unknown_nested_fields() -> [Broken; 2] {
    [
        Broken {
            what: "unknown field in [[compute]]",
            from: "max_instances = 4",
            to: "max_instance = 4",
            at: "max_instance =",
            field: "compute[0].max_instance",
            message: "unknown field `max_instance`",
        },
        Broken {
            what: "unknown field in an inline table",
            from: r#"value = "4m""#,
            to: r#"valeu = "4m""#,
            at: "valeu",
            field: "compute[0].provisioning_time.valeu",
            message: "unknown field `valeu`",
        },
    ]
}

#[test]
fn unknown_nested_fields_name_their_full_path() {
    for b in &unknown_nested_fields() {
        check_broken(b);
    }
}

#[test]
fn bad_overrides_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    for (args, message) in [
        (vec!["--horizon", "5x"], "--horizon: "),
        (vec!["--horizon", "12h"], "--horizon: must be longer"),
        (vec!["--replications", "0"], "--replications: "),
    ] {
        let mut cmd = capsim();
        cmd.args(["run", quickstart().to_str().unwrap(), "--out"])
            .arg(&out_dir)
            .args(&args);
        let o = run(&mut cmd);
        assert_eq!(o.code, Some(2), "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(message), "{args:?}: {}", o.stderr);
        assert!(!out_dir.exists() || entries(&out_dir).is_empty());
    }
}

#[test]
fn a_nonexistent_scenario_file_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let missing = tmp.path().join("no-such-scenario.toml");
    let o = run(capsim()
        .args(["run", missing.to_str().unwrap(), "--out"])
        .arg(&out_dir));
    assert_eq!(o.code, Some(2), "stderr: {}", o.stderr);
    assert!(
        o.stderr.contains("no-such-scenario.toml"),
        "names the file: {}",
        o.stderr
    );
    assert!(!out_dir.exists());
    let o = run(capsim().args(["validate", missing.to_str().unwrap()]));
    assert_eq!(o.code, Some(2), "validate: {}", o.stderr);
}

#[test]
fn help_lists_the_commands_and_every_run_option() {
    let o = run(capsim().arg("--help"));
    assert_eq!(o.code, Some(0));
    for w in ["run", "validate", "Exit codes"] {
        assert!(o.stdout.contains(w), "--help lacks `{w}`:\n{}", o.stdout);
    }
    let o = run(capsim().args(["run", "--help"]));
    assert_eq!(o.code, Some(0));
    for opt in [
        "--out",
        "--seed",
        "--replications",
        "--threads",
        "--horizon",
        "--quiet",
    ] {
        assert!(
            o.stdout.contains(opt),
            "run --help lacks `{opt}`:\n{}",
            o.stdout
        );
    }
}

#[test]
fn validate_accepts_the_quickstart() {
    let o = run(capsim().args(["validate", quickstart().to_str().unwrap()]));
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert!(o.stdout.contains("valid"), "{}", o.stdout);
}

/// With two targets and a sweep, each line of the terminal table carries its own row of
/// `tradeoff.csv` (a regression: lines once took the rows of the other target, which come
/// first in the file's target-by-target order).
#[test]
fn the_terminal_table_pairs_each_line_with_its_own_tradeoff_row() {
    let (dir, file) = write_temp(
        "two.toml",
        r#"horizon = "2d"
replications = 2
[[compute]]
name = "cheap"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 2
[[compute]]
name = "dear"
type = "amlcompute"
size = "Standard_NC24ads_A100_v4"
min_instances = 1
max_instances = 2
[[workload]]
name = "a"
compute = "cheap"
arrivals = { process = "poisson", rate_per_hour = 1.0 }
duration = { dist = "constant", value = "10m" }
[[workload]]
name = "b"
compute = "dear"
arrivals = { process = "poisson", rate_per_hour = 1.0 }
duration = { dist = "constant", value = "10m" }
[sweep]
"compute.cheap.idle_time_before_scale_down" = ["1m", "30m"]
"#,
    );
    let out_dir = dir.path().join("out");
    let out = run(capsim().arg("run").arg(&file).arg("--out").arg(&out_dir));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let (h, rows) = read_csv(&out_dir.join("summary.csv"));
    let (v, t, c) = (
        col(&h, "variant"),
        col(&h, "target"),
        col(&h, "cost_per_month_usd"),
    );
    for row in &rows {
        let want = format!("{}  {}", row[v], row[t]);
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(row[v].as_str()) && l.contains(&row[t]))
            .unwrap_or_else(|| panic!("no line for {want}:\n{}", out.stdout));
        let cells: Vec<&str> = line.split_whitespace().collect();
        // The first dollar cell is the cost per month (then its ± and the idle part), written as
        // money is everywhere (whole dollars with separators, cents below $10).
        let shown: Vec<&str> = cells
            .iter()
            .copied()
            .filter(|x| x.starts_with('$'))
            .collect();
        assert_eq!(
            shown.first().copied(),
            Some(capsim::text::format::usd(row[c].parse::<f64>().unwrap()).as_str()),
            "line for {want}: {line}"
        );
    }
}
