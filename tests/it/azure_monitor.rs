//! `capsim calibrate` and `capsim backtest` against a workspace whose truth is known.
//!
//! The generator in `tests/it/azure_monitor/generate.rs` simulates two clusters and an endpoint
//! with its own event loop (nothing of capsim's model or random streams) and writes a month of
//! the four Azure Monitor exports in their export format, messy parts included. capsim then
//! reads, fits and replays them, and the tests compare with the truth:
//!
//! - calibrate: the provisioning time of each VM size and priority comes out lognormal, with
//!   its median within 5% and its 95th percentile within 10% of the truth's (with ~800 nodes
//!   the median's standard error is about 2%, the p95's about 3%); the truth's eviction rate is
//!   inside the fitted 95% interval, and the estimate within 25% of it; the latencies of
//!   requests that found the endpoint idle have the truth's service-time median within 5% and
//!   its p95 within 10%.
//! - backtest of the ground-truth settings: node-hours (and so cost) and mean nodes within 5% on
//!   every cluster, the peak exactly, mean waits within 15%, evictions within 20%, the requests
//!   exactly and the 429s within 15%.
//!
//! The committed example in `scenarios/azure-monitor/` (three days of the same truth) must be
//! what the generator writes: `CAPSIM_UPDATE_AZURE_MONITOR=1 cargo test --profile checked --test it azure_monitor::`
//! writes it again.

#[path = "azure_monitor/generate.rs"]
mod generate;

use capsim::azure::monitor::nodes::Priority;
use capsim::commands::backtest::BacktestRow;
use capsim::commands::{self, BacktestRequest, CalibrateRequest, Silent};
use capsim::fit::Dist;
use capsim::output::schema::{backtest as bt, observed_nodes as on};
use generate::{Exports, FILES, Truth};
use std::path::{Path, PathBuf};

/// The committed example, in days.
const EXAMPLE_DAYS: f64 = 3.0;
/// The tests' history, in days.
const MONTH_DAYS: f64 = 30.0;

fn example_dir() -> PathBuf {
    crate::support::repo().join("scenarios/azure-monitor")
}

fn write(dir: &Path, e: &Exports) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in e.files() {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// A month of the truth, written once per run of this test binary into a temporary folder.
fn month() -> &'static (tempfile::TempDir, Truth) {
    static MONTH: std::sync::OnceLock<(tempfile::TempDir, Truth)> = std::sync::OnceLock::new();
    MONTH.get_or_init(|| {
        let truth = generate::truth(MONTH_DAYS);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &generate::generate(&truth));
        (dir, truth)
    })
}

/// Export `k` of [`FILES`] in `dir`: 0 jobs, 1 clusters, 2 nodes, 3 traffic.
fn export(dir: &Path, k: usize) -> PathBuf {
    dir.join(FILES[k])
}

/// The endpoint as the workspace has it, which the logs do not record.
const ENDPOINT: &str = "horizon = \"1d\"\n\
                        [[endpoint]]\nname = \"scorer\"\ntype = \"managed_online\"\n\
                        instance_type = \"Standard_F4s_v2\"\ninstance_count = 1\n\
                        request_settings = { max_concurrent_requests_per_instance = 1 }\n";

fn within(got: f64, want: f64, share: f64) -> bool {
    (got / want - 1.0).abs() <= share
}

#[test]
fn the_example_is_what_the_generator_writes() {
    let e = generate::generate(&generate::truth(EXAMPLE_DAYS));
    let dir = example_dir();
    if std::env::var_os("CAPSIM_UPDATE_AZURE_MONITOR").is_some() {
        write(&dir, &e);
        return;
    }
    for (name, text) in e.files() {
        let path = dir.join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|err| {
            panic!(
                "{}: {err} (CAPSIM_UPDATE_AZURE_MONITOR=1 cargo test --profile checked --test it azure_monitor:: writes it)",
                path.display()
            )
        });
        assert!(
            committed == text,
            "{} is not what tests/it/azure_monitor/generate.rs writes: CAPSIM_UPDATE_AZURE_MONITOR=1 \
             cargo test --profile checked --test it azure_monitor:: writes it again",
            path.display()
        );
    }
}

#[test]
fn calibrate_recovers_the_ground_truth() {
    let (dir, truth) = month();
    let o = commands::calibrate(&CalibrateRequest {
        nodes: Some(export(dir.path(), 2)),
        clusters: Some(export(dir.path(), 1)),
        traffic: Some(export(dir.path(), 3)),
        ..CalibrateRequest::default()
    })
    .unwrap();
    assert_eq!(o.provisioning.len(), truth.clusters.len());
    for c in &truth.clusters {
        let p = o
            .provisioning
            .iter()
            .find(|p| p.vm_size == c.vm_size)
            .unwrap_or_else(|| panic!("no fit for {}", c.vm_size));
        assert_eq!(p.priority, Priority::parse(c.priority).unwrap());
        assert_eq!(p.clusters, [c.name]);
        assert!(p.fit.n > 500, "{} nodes", p.fit.n);
        assert!(
            matches!(p.fit.chosen, Dist::LogNormal { .. }),
            "{}: {}",
            c.name,
            p.fit.reason
        );
        let (median, p95) = (p.fit.chosen.quantile(0.5), p.fit.chosen.quantile(0.95));
        println!(
            "{} ({}): {} nodes, {}, median {median:.1} s (truth {}), p95 {p95:.1} s (truth {}), KS {:.4} (critical {:.4})",
            c.vm_size,
            c.priority,
            p.fit.n,
            p.fit.chosen.family(),
            c.provisioning_median_s,
            c.provisioning_p95_s,
            p.fit.ks,
            p.fit.ks_critical
        );
        assert!(
            within(median, c.provisioning_median_s, 0.05),
            "{}: median {median} against {}",
            c.name,
            c.provisioning_median_s
        );
        assert!(
            within(p95, c.provisioning_p95_s, 0.10),
            "{}: p95 {p95} against {}",
            c.name,
            c.provisioning_p95_s
        );
        assert!(p.fit.ks <= p.fit.ks_critical);
    }
    // Evictions: only the low-priority cluster.
    assert_eq!(o.evictions.len(), 1);
    let e = &o.evictions[0];
    let spot = truth.clusters.iter().find(|c| c.name == e.cluster).unwrap();
    let want = spot.evictions_per_node_hour;
    println!(
        "{}: {} evictions in {:.1} node-hours: {:.4} per node-hour, 95% CI {:.4} to {:.4} (truth {want})",
        e.cluster, e.rate.events, e.rate.exposure, e.rate.rate, e.rate.lo, e.rate.hi
    );
    assert!(e.rate.lo <= want && want <= e.rate.hi, "{:?}", e.rate);
    assert!(within(e.rate.rate, want, 0.25), "{:?}", e.rate);
    assert!(e.rate.events > 30, "{:?}", e.rate);
    // Latencies.
    let l = &o.latencies[0];
    let ep = &truth.endpoint;
    println!(
        "{}/{}: {} lone requests of {} served: p50 {} ms (truth {}), p95 {} ms (truth {}); {} of {} rejected with 429",
        l.endpoint,
        l.deployment,
        l.observations,
        l.served,
        l.p50_ms,
        ep.service_p50_ms,
        l.p95_ms,
        ep.service_p95_ms,
        l.rejected_429,
        l.requests
    );
    assert_eq!(
        (l.endpoint.as_str(), l.deployment.as_str()),
        (ep.endpoint, ep.deployment)
    );
    assert!(l.alone && l.observations > 1000, "{l:?}");
    assert!(within(l.p50_ms, ep.service_p50_ms, 0.05), "{l:?}");
    assert!(within(l.p95_ms, ep.service_p95_ms, 0.10), "{l:?}");
    assert!(
        l.rejected_429 > 0,
        "the bursts were rejected in part: {l:?}"
    );
    // Requests that found others in flight waited: their latencies are longer.
    assert!(l.by_in_flight.len() >= 2 && l.by_in_flight[1].p50_ms > l.p50_ms);
    // The messy parts were seen and counted.
    for r in &o.reads {
        assert!(r.duplicates > 0, "{}: no duplicate found", r.table);
        assert!(r.lacking.is_empty(), "{}: lacks {:?}", r.table, r.lacking);
    }
    let nodes = &o.reads[0];
    assert!(
        nodes
            .ignored
            .iter()
            .any(|(why, n)| why.contains("never became ready") && *n > 0),
        "{:?}",
        nodes.ignored
    );
    // The TOML to paste is a valid part of a scenario.
    let text = format!("horizon = \"1d\"\n{}", o.toml);
    capsim::scenario::parse_with(Path::new("fitted.toml"), &text, &crate::support::options())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
}

fn row<'a>(rows: &'a [BacktestRow], target: &str, measure: &str) -> &'a BacktestRow {
    rows.iter()
        .find(|r| r.target == target && r.measure == measure)
        .unwrap_or_else(|| panic!("no {measure} of {target}"))
}

#[test]
fn backtest_of_the_ground_truth_matches_it() {
    let (dir, truth) = month();
    let out = tempfile::tempdir().unwrap();
    let scenario = out.path().join("endpoint.toml");
    std::fs::write(&scenario, ENDPOINT).unwrap();
    let b = commands::backtest(
        BacktestRequest {
            jobs: export(dir.path(), 0),
            clusters: export(dir.path(), 1),
            nodes: Some(export(dir.path(), 2)),
            traffic: Some(export(dir.path(), 3)),
            scenario: Some(scenario),
            out: Some(out.path().join("bt")),
            threads: 2,
            ..BacktestRequest::default()
        },
        &Silent,
    )
    .unwrap();
    for r in &b.rows {
        println!(
            "{} {}: observed {:.2}, simulated {:.2} ± {:.2}, error {:?}",
            r.target, r.measure, r.observed, r.simulated.mean, r.simulated.ci95, r.error_pct
        );
    }
    assert!(b.matched);
    assert_eq!(b.endpoints, ["scorer"]);
    for c in &truth.clusters {
        let err = |m| row(&b.rows, c.name, m).error_pct.unwrap().abs();
        assert!(err("node_hours") <= 5.0, "{}", c.name);
        assert!(err("cost_usd") <= 5.0, "{}", c.name);
        assert!(err("nodes_mean") <= 5.0, "{}", c.name);
        assert_eq!(err("nodes_peak"), 0.0, "{}", c.name);
        assert!(err("wait_mean_s") <= 15.0, "{}", c.name);
        let peak = row(&b.rows, c.name, "nodes_peak").observed;
        assert!(peak <= f64::from(c.max));
        if c.evictions_per_node_hour > 0.0 {
            assert!(err("preemptions") <= 20.0, "{}", c.name);
        }
    }
    assert_eq!(row(&b.rows, "scorer", "requests").error_pct, Some(0.0));
    assert!(
        row(&b.rows, "scorer", "rejected_429")
            .error_pct
            .unwrap()
            .abs()
            <= 15.0
    );

    // The folder: a run's files plus the comparison, with the schema's columns.
    let dir = &b.out_dir;
    let header = |f: &str| {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        text.lines().next().unwrap().to_string()
    };
    assert_eq!(header(bt::FILE.name), bt::FILE.header(&[]).join(","));
    assert_eq!(header(on::FILE.name), on::FILE.header(&[]).join(","));
    for f in [
        "summary.csv",
        "timeseries.csv",
        "run.json",
        "backtest_jobs.csv",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    // Its scenario.toml reruns as it is: what-ifs start from it.
    let plan = capsim::scenario::load(
        &capsim::scenario::Source::read(&dir.join("scenario.toml")).unwrap(),
        &capsim::scenario::Edits::default(),
    )
    .unwrap();
    assert_eq!(plan.variants[0].scenario.system.targets.len(), 3);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn calibrate_writes_into_a_scenario_and_keeps_its_comments() {
    let dir = tempfile::tempdir().unwrap();
    let team = std::fs::read_to_string(example_dir().join("team.toml")).unwrap();
    let path = dir.path().join("team.toml");
    std::fs::write(&path, &team).unwrap();
    let ex = example_dir();
    let o = commands::calibrate(&CalibrateRequest {
        nodes: Some(export(&ex, 2)),
        clusters: Some(export(&ex, 1)),
        traffic: Some(export(&ex, 3)),
        scenario: Some(path.clone()),
        ..CalibrateRequest::default()
    })
    .unwrap();
    let edited = std::fs::read_to_string(&path).unwrap();
    let e = o.edited.unwrap();
    assert!(e.unmatched.is_empty(), "{:?}", e.unmatched);
    // Two provisioning times, one eviction rate, one latency profile replacing a guess.
    assert_eq!(
        e.changes
            .iter()
            .filter(|c| c.contains(".provisioning_time = "))
            .count(),
        2,
        "{:?}",
        e.changes
    );
    assert!(
        e.changes
            .iter()
            .any(|c| c.starts_with("compute.cpu-spot.preemption = "))
    );
    assert!(
        e.changes
            .iter()
            .any(|c| c == "traffic.requests.service_time removed")
    );
    assert!(edited.contains("latency_profile = [{ size = \"Standard_F4s_v2\", concurrency = 1"));
    // Every comment of the file is still there.
    for line in team.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(edited.contains(line), "lost: {line}");
    }
    capsim::scenario::load(
        &capsim::scenario::Source::read(&path).unwrap(),
        &capsim::scenario::Edits::default(),
    )
    .unwrap();
}

#[test]
fn problems_are_located_and_bad_rows_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(export(&example_dir(), 2)).unwrap();
    // Line 3 gets a time without a zone, line 5 an unknown priority.
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    lines[2] = lines[2].replacen('Z', "", 1);
    lines[4] = lines[4]
        .replace("Dedicated", "Premium")
        .replace("LowPriority", "Premium");
    let bad = dir.path().join("nodes.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let request = |skip| CalibrateRequest {
        nodes: Some(bad.clone()),
        skip_bad_rows: skip,
        ..CalibrateRequest::default()
    };
    let e = commands::calibrate(&request(false))
        .unwrap_err()
        .to_string();
    let shown: Vec<&str> = e.lines().collect();
    assert_eq!(shown.len(), 2, "{e}");
    assert!(
        shown[0].starts_with(&format!("{}:3: ", bad.display())),
        "{e}"
    );
    assert!(shown[0].contains("no time zone"), "{e}");
    assert!(
        shown[1].starts_with(&format!("{}:5: VmPriority: `Premium`", bad.display())),
        "{e}"
    );
    let o = commands::calibrate(&request(true)).unwrap();
    let skipped: Vec<u64> = o.reads[0].skipped.iter().map(|s| s.0).collect();
    assert_eq!(skipped, [3, 5]);
    // An export of another table is named for what it is.
    let e = commands::calibrate(&CalibrateRequest {
        nodes: Some(export(&example_dir(), 1)),
        ..CalibrateRequest::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("the columns are those of an AmlComputeClusterEvent export"),
        "{e}"
    );
}

#[test]
fn the_command_line_prints_toml_to_paste_and_refuses_bad_input() {
    let ex = example_dir();
    let out = assert_cmd::Command::cargo_bin("capsim")
        .unwrap()
        .args(["calibrate", "--nodes"])
        .arg(export(&ex, 2))
        .arg("--clusters")
        .arg(export(&ex, 1))
        .output()
        .unwrap();
    assert!(out.status.success());
    // Everything it prints is TOML: the summary as comments, then the tables.
    let text = String::from_utf8(out.stdout).unwrap();
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(doc["compute"].as_array().map(Vec::len), Some(2));
    // A missing export, and a window that ends before it starts: invalid input, exit code 2.
    let missing = assert_cmd::Command::cargo_bin("capsim")
        .unwrap()
        .args(["backtest", "--jobs", "nope.csv", "--clusters"])
        .arg(export(&ex, 1))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let e = String::from_utf8_lossy(&missing.stderr);
    assert!(
        e.contains("nope.csv: cannot read the AmlComputeJobEvent export"),
        "{e}"
    );
    let window = assert_cmd::Command::cargo_bin("capsim")
        .unwrap()
        .args([
            "calibrate",
            "--from",
            "2026-11-03T00:00:00Z",
            "--to",
            "2026-11-02T00:00:00Z",
            "--nodes",
        ])
        .arg(export(&ex, 2))
        .output()
        .unwrap();
    assert_eq!(window.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&window.stderr).contains("--to: must be after --from"));
}
