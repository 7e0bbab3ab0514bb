//! What a killed or failed `capsim run` leaves behind.
//!
//! The README promises that a run's files are committed all at once, only when the whole run
//! succeeded: "an interrupted or failed run never leaves files that look complete, never mixes
//! files of two runs, and never overwrites an earlier run's results with partial ones". capsim
//! writes into a hidden staging folder beside the output folder and swaps the two folders in one
//! rename (src/output/files.rs documents the protocol).
//!
//! These tests kill the binary with SIGKILL while it writes into a folder that holds an earlier
//! run's results, and check after every kill that the visible folder holds, byte for byte, either
//! the earlier run's complete set of files or the new run's complete set. Both are known exactly:
//! results are deterministic, so the new run's files are produced once, to completion, in a
//! folder of their own; `run.json`, which holds timestamps, is checked field by field.
//!
//! - `killed_runs_leave_old_or_new_complete_files` kills at pseudo-random moments (fixed seed).
//! - `killed_report_runs_leave_one_runs_files_and_its_report` kills runs with `--report` (30
//!   in the suite, `CAPSIM_REPORT_KILLS=100` for issue 19's 100) at moments drawn from the
//!   measured length of an unkilled run: the report is committed with the results, so the
//!   folder holds the earlier run's files and report or the new run's files and report.
//! - `kill_during_commit_leaves_one_runs_files` kills (with strace) at every rename,
//!   unlink, mkdir and fsync in turn, with the atomic folder exchange and with the two-rename
//!   fallback of file systems that cannot exchange, so every crash point of the commit is hit.
//!
//! A killed run leaves a hidden lock and staging folder beside the output folder
//! (`.out.capsim-<pid>-<nonce>.lock|staging|old`); the next run into that folder removes them.
//! The tests check that they never pile up.
//!
//! Run with `cargo test --profile checked --test it interrupted_runs:: -- --nocapture` to see
//! the figures.

use crate::support::{capsim_path, write_temp};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The quickstart scenario with a two-value sweep, so that a run writes every kind of file,
/// `tradeoff.csv` included.
const SCENARIO: &str = r#"name = "interrupted"
horizon = "30d"
warmup = "1d"
replications = 10
seed = 42

[[compute]]
name = "gpu-cluster"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
min_instances = 0
max_instances = 8
idle_time_before_scale_down = "120s"
provisioning_time = { dist = "lognormal", median = "4m", p95 = "8m" }

[[workload]]
name = "training"
compute = "gpu-cluster"
arrivals = { process = "poisson", rate_per_hour = 3.0 }
duration = { dist = "lognormal", median = "40m", p95 = "3h" }

[sweep]
"compute.gpu-cluster.min_instances" = [0, 1]
"#;

/// Files every completed run writes (it may write more; the set is compared between runs).
const RESULT_FILES: &[&str] = &[
    "summary.csv",
    "replications.csv",
    "timeseries.csv",
    "tradeoff.csv",
    "scenario.toml",
    "run.json",
];

const VARIANTS: usize = 2;
/// Kills attempted, and the wall-clock budget for all of them.
const KILLS: usize = 30;
const KILL_BUDGET: Duration = Duration::from_secs(60);

/// SplitMix64: a fixed, dependency-free stream of kill delays.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, max).
    fn below(&mut self, max: u64) -> u64 {
        self.next() % max.max(1)
    }
}

fn run_args(scenario: &Path, out: &Path, seed: u64, replications: u64) -> Command {
    run_args_with(scenario, out, seed, replications, &[])
}

fn run_args_with(
    scenario: &Path,
    out: &Path,
    seed: u64,
    replications: u64,
    extra: &[&str],
) -> Command {
    let mut cmd = Command::new(capsim_path());
    cmd.arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(["--seed", &seed.to_string()])
        .args(["--replications", &replications.to_string()])
        .arg("--quiet")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Runs to completion and returns the visible files and how long the run took.
fn complete_run(
    scenario: &Path,
    out: &Path,
    seed: u64,
    replications: u64,
) -> (BTreeMap<String, Vec<u8>>, Duration) {
    complete_run_with(scenario, out, seed, replications, &[])
}

fn complete_run_with(
    scenario: &Path,
    out: &Path,
    seed: u64,
    replications: u64,
    extra: &[&str],
) -> (BTreeMap<String, Vec<u8>>, Duration) {
    let started = Instant::now();
    let output = run_args_with(scenario, out, seed, replications, extra)
        .output()
        .expect("capsim starts");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "a complete run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (visible, hidden) = list(out);
    assert!(hidden.is_empty(), "a complete run left {hidden:?}");
    assert!(
        leftovers(out).is_empty(),
        "a complete run left {:?} beside {}",
        leftovers(out),
        out.display()
    );
    for name in RESULT_FILES {
        assert!(visible.contains_key(*name), "a complete run lacks {name}");
    }
    (visible, took)
}

/// Visible files with their contents (a report's charts as `charts/<file>`), and hidden file
/// names.
fn list(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut visible = BTreeMap::new();
    let mut hidden = vec![];
    list_into(dir, "", &mut visible, &mut hidden);
    hidden.sort();
    (visible, hidden)
}

fn list_into(
    dir: &Path,
    prefix: &str,
    visible: &mut BTreeMap<String, Vec<u8>>,
    hidden: &mut Vec<String>,
) {
    for entry in fs::read_dir(dir).expect("the output folder exists") {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && name == "charts" {
            list_into(&entry.path(), "charts/", visible, hidden);
            continue;
        }
        assert!(kind.is_file(), "{name} is not a regular file");
        if entry.file_name().to_string_lossy().starts_with('.') {
            hidden.push(name);
        } else {
            visible.insert(name, fs::read(entry.path()).unwrap());
        }
    }
}

/// Hidden entries capsim left beside the output folder `out`.
fn leftovers(out: &Path) -> Vec<String> {
    let base = out.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!(".{base}.capsim-");
    let mut v: Vec<String> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    v.sort();
    v
}

/// `.<base>.capsim-<pid>-<hex>.<lock|staging|old>` → `<pid>-<hex>`.
fn leftover_id<'a>(base: &str, name: &'a str) -> Option<&'a str> {
    let rest = name.strip_prefix(&format!(".{base}.capsim-"))?;
    let (id, kind) = rest.rsplit_once('.')?;
    let (pid, nonce) = id.split_once('-')?;
    (pid.bytes().all(|b| b.is_ascii_digit())
        && !pid.is_empty()
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(kind, "lock" | "staging" | "old"))
    .then_some(id)
}

/// Parses a result CSV fully: every record as long as the header; returns (header, rows).
fn parse_csv(name: &str, bytes: &[u8]) -> (Vec<String>, usize) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("{name}: header: {e}"))
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{name}: row {}: {e}", rows + 1));
        assert_eq!(record.len(), header.len(), "{name}: row {}", rows + 1);
        rows += 1;
    }
    assert!(bytes.ends_with(b"\n"), "{name} does not end with a newline");
    (header, rows)
}

/// `run.json` as a JSON value, or `None` when it does not parse (a partial file).
fn run_json(bytes: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(bytes).ok()
}

/// Checks a complete run's files against the README: the documented columns and one row per
/// variant and target (summary), per variant, replication and target (replications), per
/// sample of replication 0 of variant 0 (time series), per variant and target (tradeoff), and
/// `run.json`'s record of the run.
fn check_complete(files: &BTreeMap<String, Vec<u8>>, seed: u64, replications: usize) {
    let (h, rows) = parse_csv("summary.csv", &files["summary.csv"]);
    for column in [
        "scenario",
        "variant",
        "parameter_compute.gpu-cluster.min_instances",
        "target",
        "replications",
        "seed",
        "wait_mean_s",
        "wait_mean_s_ci95",
        "cost_usd",
        "cost_usd_ci95",
        "jobs_queued_at_end",
    ] {
        assert!(h.iter().any(|c| c == column), "summary.csv lacks {column}");
    }
    assert_eq!(rows, VARIANTS, "summary.csv rows");

    let (h, rows) = parse_csv("replications.csv", &files["replications.csv"]);
    for column in [
        "variant",
        "replication",
        "replication_seed",
        "events",
        "wait_mean_s",
    ] {
        assert!(
            h.iter().any(|c| c == column),
            "replications.csv lacks {column}"
        );
    }
    assert_eq!(rows, VARIANTS * replications, "replications.csv rows");

    let (h, rows) = parse_csv("timeseries.csv", &files["timeseries.csv"]);
    assert!(h.iter().any(|c| c == "time_s"), "timeseries.csv: {h:?}");
    // Every 5 minutes of 30 days, both ends included.
    assert_eq!(rows, 30 * 24 * 12 + 1, "timeseries.csv rows");

    let (h, rows) = parse_csv("tradeoff.csv", &files["tradeoff.csv"]);
    assert_eq!(rows, VARIANTS, "tradeoff.csv rows");
    assert!(
        h.iter().any(|c| c == "noise_warning"),
        "tradeoff.csv: {h:?}"
    );
    // The scenario as run: the file with the run's --seed and --replications written in.
    let as_run = SCENARIO
        .replacen(
            "replications = 10",
            &format!("replications = {replications}"),
            1,
        )
        .replacen("seed = 42", &format!("seed = {seed}"), 1);
    assert_eq!(
        String::from_utf8_lossy(&files["scenario.toml"]),
        as_run,
        "scenario.toml"
    );

    let info = run_json(&files["run.json"]).expect("run.json parses");
    assert_eq!(info["status"], "complete");
    assert_eq!(info["seed"], seed);
    assert_eq!(info["replications"], replications as u64);
    assert_eq!(info["variants"], VARIANTS as u64);
    let sha: String = Sha256::digest(as_run.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(info["scenario_sha256"], sha.as_str());
    assert_eq!(info["capsim_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        info["scenario_file"]
            .as_str()
            .unwrap()
            .ends_with("interrupted.toml")
    );
    let args: Vec<&str> = info["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["--seed", &seed.to_string()]),
        "{args:?}"
    );
    let (start, end) = (
        info["started_at"].as_str().unwrap(),
        info["finished_at"].as_str().unwrap(),
    );
    // RFC 3339 UTC with milliseconds sorts as text.
    assert!(start.ends_with('Z') && end.ends_with('Z') && start <= end);
}

/// Which run a visible file is from: "old", "new", "either" (identical in both) or "neither"
/// (partial or foreign). `run.json` holds timestamps, so the new run's is recognised by its seed.
fn origin(
    name: &str,
    bytes: &[u8],
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    new_seed: u64,
) -> &'static str {
    let is_old = old.get(name).is_some_and(|o| o == bytes);
    let is_new = if name == "run.json" {
        run_json(bytes).is_some_and(|v| v["seed"] == new_seed && v["status"] == "complete")
            && !is_old
    } else {
        new.get(name).is_some_and(|n| n == bytes)
    };
    match (is_old, is_new) {
        (true, true) => "either",
        (true, false) => "old",
        (false, true) => "new",
        (false, false) => "neither",
    }
}

/// The complaints about a visible folder: every file from one run, complete, and the whole set.
fn check_one_run(
    visible: &BTreeMap<String, Vec<u8>>,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    new_seed: u64,
) -> (BTreeMap<String, &'static str>, Vec<String>) {
    let mut problems = vec![];
    let from: BTreeMap<String, &str> = visible
        .iter()
        .map(|(name, bytes)| (name.clone(), origin(name, bytes, old, new, new_seed)))
        .collect();
    for (name, which) in &from {
        if *which == "neither" {
            problems.push(format!(
                "{name} ({} bytes) is neither the earlier run's nor the new run's complete file",
                visible[name].len()
            ));
        }
    }
    let olds = from.values().filter(|w| **w == "old").count();
    let news = from.values().filter(|w| **w == "new").count();
    if olds > 0 && news > 0 {
        problems.push(format!(
            "the folder mixes the earlier and the new run's files: {from:?}"
        ));
    }
    let names: Vec<&String> = visible.keys().collect();
    if names != old.keys().collect::<Vec<_>>() && names != new.keys().collect::<Vec<_>>() {
        problems.push(format!("visible files {names:?}"));
    }
    (from, problems)
}

/// Replaces whatever is at `out` with the earlier run's files.
fn reset(out: &Path, old: &BTreeMap<String, Vec<u8>>) {
    if out.exists() {
        fs::remove_dir_all(out).unwrap();
    }
    fs::create_dir(out).unwrap();
    for (name, bytes) in old {
        fs::write(out.join(name), bytes).unwrap();
    }
}

#[test]
fn killed_runs_leave_old_or_new_complete_files() {
    let (tmp, scenario) = write_temp("interrupted.toml", SCENARIO);

    // Calibrate: about half a second to a second per run on this machine.
    let probe_dir = tmp.path().join("probe");
    let mut replications = 50u64;
    let (_, mut took) = complete_run(&scenario, &probe_dir, 2, replications);
    while took < Duration::from_millis(500) && replications < 100_000 {
        let factor = (700.0 / took.as_secs_f64().max(0.01) / 1000.0).clamp(1.5, 10.0);
        replications = (replications as f64 * factor) as u64;
        (_, took) = complete_run(&scenario, &probe_dir, 2, replications);
    }

    // The earlier run's results (seed 1), and what the interrupted run (seed 2) writes when it
    // completes.
    let old_dir = tmp.path().join("old");
    let (old, _) = complete_run(&scenario, &old_dir, 1, replications);
    let new_dir = tmp.path().join("new");
    let (new, full) = complete_run(&scenario, &new_dir, 2, replications);
    check_complete(&old, 1, replications as usize);
    check_complete(&new, 2, replications as usize);
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    for name in RESULT_FILES.iter().filter(|n| **n != "scenario.toml") {
        assert_ne!(
            old[*name], new[*name],
            "{name}: seeds 1 and 2 give the same file"
        );
    }
    println!(
        "a complete run: {replications} replications x {VARIANTS} variants, {:.0} ms",
        full.as_secs_f64() * 1000.0
    );

    // Kill moments span the whole run, writing and renaming included: uniform over
    // [0, 1.1 × a complete run's time].
    let span_ms = (full.as_millis() as u64 * 11 / 10).max(1);
    let out = tmp.path().join("out");
    let mut rng = SplitMix(20_260_101);
    let started = Instant::now();
    let (mut killed, mut finished, mut most_left) = (0, 0, 0);
    let mut failures = vec![];
    for attempt in 0..KILLS {
        if started.elapsed() > KILL_BUDGET {
            println!("time budget spent after {attempt} attempts");
            break;
        }
        // The earlier run's results, as complete files; what killed runs left beside stays.
        reset(&out, &old);
        let delay = Duration::from_millis(rng.below(span_ms));
        let mut child = run_args(&scenario, &out, 2, replications)
            .spawn()
            .expect("capsim starts");
        std::thread::sleep(delay);
        let outcome = match child.try_wait().unwrap() {
            Some(status) => {
                finished += 1;
                format!("finished ({status})")
            }
            None => {
                child.kill().unwrap();
                killed += 1;
                "killed".to_string()
            }
        };
        let status = child.wait().unwrap();
        if outcome.starts_with("finished") && !status.success() {
            failures.push(format!("attempt {attempt}: run failed: {status}"));
        }

        let (visible, hidden) = list(&out);
        let (from, problems) = check_one_run(&visible, &old, &new, 2);
        for p in problems {
            failures.push(format!(
                "attempt {attempt} ({outcome} after {delay:?}): {p}"
            ));
        }
        if !hidden.is_empty() {
            failures.push(format!(
                "attempt {attempt}: hidden files in the folder {hidden:?}"
            ));
        }
        if outcome.starts_with("finished") && from.values().any(|w| *w == "old") {
            failures.push(format!(
                "attempt {attempt}: a completed run left earlier files: {from:?}"
            ));
        }
        // Beside the folder: only what this run and at most one earlier killed run left (a run
        // removes its predecessors' leftovers as it starts, unless killed before that).
        let left = leftovers(&out);
        let mut ids: Vec<&str> = vec![];
        for name in &left {
            match leftover_id("out", name) {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => failures.push(format!("attempt {attempt}: unexpected {name}")),
            }
        }
        if ids.len() > 2 {
            failures.push(format!("attempt {attempt}: leftovers pile up: {left:?}"));
        }
        most_left = most_left.max(ids.len());
        let which = from.values().find(|w| **w != "either").unwrap_or(&"either");
        println!(
            "attempt {attempt:>2}: {outcome} after {:>4} ms; folder: {which}; beside it: {left:?}",
            delay.as_millis(),
        );
    }
    // A last complete run cleans up after all of them.
    let (last, _) = complete_run(&scenario, &out, 2, replications);
    check_complete(&last, 2, replications as usize);
    println!(
        "{killed} killed, {finished} finished in {:.1} s; at most {most_left} killed run(s)' \
         leftovers beside the folder at once; none after a complete run",
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(killed >= 10, "only {killed} runs were killed mid-way");
}

/// Kills attempted with `--report` in the suite; `CAPSIM_REPORT_KILLS=100` (issue 19's figure)
/// runs more: `CAPSIM_REPORT_KILLS=100 cargo test --test it
/// interrupted_runs::killed_report_runs -- --nocapture` prints the counts.
const REPORT_KILLS: usize = 30;
/// Attempts added, at most, when the kills saw only one of the two runs in the folder.
const SPREAD_RETRIES: usize = 20;

fn report_kills() -> usize {
    match std::env::var("CAPSIM_REPORT_KILLS") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("CAPSIM_REPORT_KILLS must be a number, got {v:?}")),
        Err(_) => REPORT_KILLS,
    }
}

/// `run --report` builds the report from the staged files and commits it with them: whenever
/// the run is killed, the folder holds the earlier run's files with the earlier report, or the
/// new run's files with the new report; never results without their report, nor a report
/// beside other results, nor capsim's temporary files or lock (with the report written after
/// the swap, 3 kills in 100 found results without it).
///
/// That safety property is asserted after every attempt. The kill moments follow the machine:
/// uniform over [0, 1.3 x] the measured length of an unkilled run, measured again every ten
/// attempts, since on a loaded machine a run may take several times the first probe's time.
/// How the kills fall is left to chance, so the spread is only asked to be weakly right: at
/// least one attempt must leave the earlier run's folder and one the new run's, and when the
/// chosen moments gave only one of them, up to [`SPREAD_RETRIES`] more attempts aim at the
/// missing one (early kills for the earlier run, a run let finish for the new one) before
/// failing.
#[test]
fn killed_report_runs_leave_one_runs_files_and_its_report() {
    let (tmp, scenario) = write_temp("interrupted.toml", SCENARIO);
    let report = ["--report"];
    let probe_dir = tmp.path().join("probe");
    let mut replications = 20u64;
    let (_, mut took) = complete_run_with(&scenario, &probe_dir, 2, replications, &report);
    while took < Duration::from_millis(400) && replications < 100_000 {
        let factor = (500.0 / took.as_secs_f64().max(0.01) / 1000.0).clamp(1.5, 10.0);
        replications = (replications as f64 * factor) as u64;
        (_, took) = complete_run_with(&scenario, &probe_dir, 2, replications, &report);
    }
    let (old, _) = complete_run_with(&scenario, &tmp.path().join("old"), 1, replications, &report);
    let (new, full) =
        complete_run_with(&scenario, &tmp.path().join("new"), 2, replications, &report);
    for files in [&old, &new] {
        for name in [
            "report.html",
            "report.md",
            "charts/cost.svg",
            "charts/waits.svg",
        ] {
            assert!(files.contains_key(name), "a complete run lacks {name}");
        }
    }
    assert_ne!(old["report.md"], new["report.md"]);
    println!(
        "a complete run with its report: {replications} replications x {VARIANTS} variants, \
         {:.0} ms",
        full.as_secs_f64() * 1000.0
    );

    let kills = report_kills();
    let out = tmp.path().join("out");
    let mut rng = SplitMix(20_261_203);
    let started = Instant::now();
    let mut length = full;
    let mut tally = Tally::default();
    let mut failures = vec![];
    let attempt = |n: usize, delay: Duration, tally: &mut Tally, failures: &mut Vec<String>| {
        reset_tree(&out, &old);
        let mut child = run_args_with(&scenario, &out, 2, replications, &report)
            .spawn()
            .expect("capsim starts");
        std::thread::sleep(delay);
        let outcome = match child.try_wait().unwrap() {
            Some(_) => {
                tally.finished += 1;
                "finished"
            }
            None => {
                child.kill().unwrap();
                tally.killed += 1;
                "killed"
            }
        };
        let status = child.wait().unwrap();
        let mut problems = vec![];
        if outcome == "finished" && !status.success() {
            problems.push(format!("run failed: {status}"));
        }
        let (visible, hidden) = list(&out);
        let (from, mut found) = check_one_run(&visible, &old, &new, 2);
        problems.append(&mut found);
        if !hidden.is_empty() {
            problems.push(format!("hidden files in the folder {hidden:?}"));
        }
        let which = from.values().find(|w| **w != "either").copied();
        match (problems.is_empty(), which) {
            (true, Some("old")) => tally.old += 1,
            (true, Some("new")) => tally.new += 1,
            _ => tally.other += 1,
        }
        for p in problems {
            failures.push(format!("attempt {n} ({outcome} after {delay:?}): {p}"));
        }
    };
    for n in 0..kills {
        if n > 0 && n % 10 == 0 {
            // The machine's load now: an unkilled run, into a folder of its own.
            (_, length) = complete_run_with(
                &scenario,
                &tmp.path().join("probe"),
                2,
                replications,
                &report,
            );
        }
        let span_ms = (length.as_millis() as u64 * 13 / 10).max(1);
        attempt(
            n,
            Duration::from_millis(rng.below(span_ms)),
            &mut tally,
            &mut failures,
        );
    }
    let drawn = tally.clone();
    let mut retries = 0;
    while (tally.old == 0 || tally.new == 0) && retries < SPREAD_RETRIES {
        (_, length) = complete_run_with(
            &scenario,
            &tmp.path().join("probe"),
            2,
            replications,
            &report,
        );
        let ms = length.as_millis() as u64;
        let delay = if tally.old == 0 {
            rng.below(ms / 5 + 1)
        } else {
            ms * 3
        };
        attempt(
            kills + retries,
            Duration::from_millis(delay),
            &mut tally,
            &mut failures,
        );
        retries += 1;
    }
    complete_run_with(&scenario, &out, 2, replications, &report);
    println!(
        "{kills} attempts in {:.1} s (runs measured at {:.0} ms at the end): {} killed, {} \
         finished; the folder held the earlier run's files and report {} times, the new run's \
         {} times, anything else {} times",
        started.elapsed().as_secs_f64(),
        length.as_secs_f64() * 1000.0,
        drawn.killed,
        drawn.finished,
        drawn.old,
        drawn.new,
        drawn.other
    );
    if retries > 0 {
        println!("{retries} more attempts for the spread: {tally:?} in all");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(
        tally.old > 0 && tally.new > 0,
        "the kills never found both runs' folders: {tally:?}"
    );
}

/// What the attempts of the kill test found.
#[derive(Clone, Debug, Default)]
struct Tally {
    killed: usize,
    finished: usize,
    /// The earlier run's complete files and report.
    old: usize,
    /// The new run's complete files and report.
    new: usize,
    /// Anything else (each one a failure).
    other: usize,
}

/// Replaces whatever is at `out` with the files of `files` (`charts/` included).
fn reset_tree(out: &Path, files: &BTreeMap<String, Vec<u8>>) {
    if out.exists() {
        fs::remove_dir_all(out).unwrap();
    }
    fs::create_dir(out).unwrap();
    for (name, bytes) in files {
        let path = out.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

/// A run that cannot write its output folder fails with exit code 1, names the folder, and
/// writes nothing.
#[test]
fn unwritable_output_folder_fails_cleanly() {
    let (tmp, scenario) = write_temp("interrupted.toml", SCENARIO);

    // A folder under a regular file cannot be created, whoever runs the test.
    let file = tmp.path().join("not-a-folder");
    fs::write(&file, b"precious").unwrap();
    let out = file.join("results");
    let output = run_args(&scenario, &out, 1, 2).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains(&out.display().to_string()),
        "the message does not name {}: {stderr}",
        out.display()
    );
    assert_eq!(fs::read(&file).unwrap(), b"precious");
    let mut left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["interrupted.toml", "not-a-folder"]);

    // An output path that is a file is not replaced.
    let output = run_args(&scenario, &file, 1, 2).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("not-a-folder"), "{stderr}");
    assert_eq!(fs::read(&file).unwrap(), b"precious");

    // A folder without write permission, where permissions are enforced (not for root).
    use std::os::unix::fs::PermissionsExt;
    let locked = tmp.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let enforced = fs::File::create(locked.join("probe")).is_err();
    if enforced {
        for out in [locked.clone(), locked.join("sub")] {
            let output = run_args(&scenario, &out, 1, 2).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
            assert!(
                stderr.contains(&out.display().to_string()),
                "the message does not name {}: {stderr}",
                out.display()
            );
            assert_eq!(fs::read_dir(&locked).unwrap().count(), 0);
        }
    } else {
        println!("permissions are not enforced for this user (root?): chmod 555 check skipped");
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A folder holding files capsim did not write is refused before anything runs (exit 2), and
/// left as it was; one holding only an earlier run's files is replaced whole, so an earlier
/// sweep's `tradeoff.csv` does not linger beside a single run's results.
#[test]
fn folders_with_other_files_are_refused_and_earlier_results_replaced_whole() {
    let (tmp, scenario) = write_temp("interrupted.toml", SCENARIO);
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.txt"), b"mine").unwrap();
    fs::write(out.join("summary.csv"), b"old").unwrap();
    let output = run_args(&scenario, &out, 1, 2).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
    let (visible, _) = list(&out);
    assert_eq!(
        visible.keys().collect::<Vec<_>>(),
        ["notes.txt", "summary.csv"]
    );
    assert!(leftovers(&out).is_empty());

    // A sweep, then a single run (the scenario without its [sweep]) into the same folder.
    fs::remove_file(out.join("notes.txt")).unwrap();
    complete_run(&scenario, &out, 1, 2);
    let single = tmp.path().join("single.toml");
    fs::write(&single, SCENARIO.split("[sweep]").next().unwrap()).unwrap();
    let output = run_args(&single, &out, 1, 2).output().unwrap();
    assert!(output.status.success());
    let (visible, _) = list(&out);
    assert!(
        !visible.contains_key("tradeoff.csv"),
        "{:?}",
        visible.keys()
    );
    assert!(visible.contains_key("summary.csv"));
}

/// Whether `strace` can run and trace a child here (it needs ptrace).
fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `run` under strace, killing it (SIGKILL, as it enters the call) at the `n`-th call of
/// `syscall`; with `no_exchange`, the atomic folder exchange fails with EINVAL as on a file
/// system without it, so the two-rename fallback runs. Returns whether the run was killed.
fn run_killed_at(run: &Command, syscall: &str, n: usize, no_exchange: bool) -> bool {
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-o", "/dev/null"]);
    if no_exchange {
        cmd.args(["-e", "inject=renameat2:error=EINVAL:when=1"]);
    }
    let status = cmd
        .args(["-e", &format!("inject={syscall}:signal=SIGKILL:when={n}")])
        .arg(run.get_program())
        .args(run.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    !status.success()
}

/// Every crash point of the commit, hit on purpose: the run is killed at the 1st, 2nd, ... call
/// of each file-system system call it makes (renames, unlinks, mkdirs, fsyncs), until it makes
/// no more, once with the atomic folder exchange and once with the two-rename fallback. After
/// every kill the folder holds one run's complete files; where the fallback was killed between
/// its two renames (no folder for a moment), the next run finishes the swap before doing
/// anything else.
#[test]
fn kill_during_commit_leaves_one_runs_files() {
    if !strace_works() {
        // Skipping silently would let CI pass without ever hitting a crash point: there (CI set,
        // as .ci/run and CI services set it) a missing strace fails; elsewhere it says so loudly.
        let why = "strace is not installed or cannot trace here (it needs ptrace): the commit's \
                   crash points were NOT tested; install strace (.ci/run does)";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        // Straight to stderr, past the test harness's capture, so that it shows in a passing run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED interrupted_runs::kill_during_commit_leaves_one_runs_files: {why}"
        );
        return;
    }
    let (tmp, scenario) = write_temp("interrupted.toml", SCENARIO);
    let out = tmp.path().join("out");
    let (old, _) = complete_run(&scenario, &out, 1, 2);
    let (new, _) = complete_run(&scenario, &tmp.path().join("new"), 2, 2);
    let run = run_args(&scenario, &out, 2, 2);

    let mut failures = vec![];
    let (mut kills, mut rolled_forward) = (0, 0);
    for no_exchange in [false, true] {
        for syscall in [
            "renameat2",
            "rename",
            "renameat",
            "unlinkat",
            "unlink",
            "mkdir",
            "mkdirat",
            "fsync",
        ] {
            for n in 1..=40 {
                reset(&out, &old);
                if !run_killed_at(&run, syscall, n, no_exchange) {
                    break; // the run made fewer such calls: all crash points seen
                }
                kills += 1;
                let at = format!(
                    "killed at {syscall} #{n}{}",
                    if no_exchange {
                        " (two-rename fallback)"
                    } else {
                        ""
                    }
                );
                if !out.exists() {
                    // Only between the fallback's two renames. The earlier results and the
                    // complete new ones are both beside the folder; a run that dies right
                    // after its clean-up (at its staging mkdir, the 2nd mkdir) restores it.
                    if !no_exchange {
                        failures.push(format!("{at}: the output folder is gone"));
                        continue;
                    }
                    run_killed_at(&run, "mkdir", 2, false);
                    if !out.exists() {
                        failures.push(format!("{at}: the next run did not restore the folder"));
                        continue;
                    }
                    let (visible, _) = list(&out);
                    let (from, _) = check_one_run(&visible, &old, &new, 2);
                    if from.values().any(|w| *w != "new" && *w != "either") {
                        failures.push(format!("{at}: not rolled forward: {from:?}"));
                    }
                    rolled_forward += 1;
                }
                let (visible, hidden) = list(&out);
                let (from, problems) = check_one_run(&visible, &old, &new, 2);
                for p in problems {
                    failures.push(format!("{at}: {p}"));
                }
                if !hidden.is_empty() {
                    failures.push(format!("{at}: hidden files in the folder {hidden:?}"));
                }
                let which = from.values().find(|w| **w != "either").unwrap_or(&"either");
                println!(
                    "{at}: folder holds the {which} run's files; beside it {:?}",
                    leftovers(&out)
                );
            }
        }
    }
    // Everything killed runs left is removed by the next complete run.
    complete_run(&scenario, &out, 2, 2);
    println!("{kills} kills, {rolled_forward} swaps finished by the next run");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(kills >= 10, "only {kills} crash points were hit");
    assert!(rolled_forward >= 1, "the two-rename window was never hit");
}
