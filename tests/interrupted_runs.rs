//! What a killed or failed `capsim run` leaves behind.
//!
//! The README promises that files are written under temporary names and moved into place only
//! when the whole run succeeded, so "an interrupted or failed run never leaves files that look
//! complete and never overwrites an earlier run's results with partial ones". These tests kill
//! the release binary with SIGKILL at pseudo-random moments (a fixed-seed generator) while it
//! writes into a folder that holds an earlier run's results, and check after every kill that
//! each visible file is byte for byte either the earlier run's or the new run's complete file.
//! Both are known exactly: results are deterministic, so the new run's files are produced once,
//! to completion, in a folder of their own.
//!
//! Hidden temporary files (`.<name>.tmp-<pid>`) of killed runs may remain; they are listed, and
//! the test prints how many piled up over all the kills (nothing ever removes them).
//!
//! Each file is checked on its own: a kill between two of the commit's renames leaves complete
//! files of both runs side by side. The random kills count such mixes without failing;
//! `kill_during_commit_leaves_one_runs_files` provokes one every time (with strace) and is
//! ignored while that is a known bug.
//!
//! Run with `cargo test --release --test interrupted_runs -- --nocapture` to see the figures.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
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

/// The files a completed run writes.
const RESULT_FILES: &[&str] = &[
    "summary.csv",
    "replications.csv",
    "timeseries.csv",
    "tradeoff.csv",
    "scenario.toml",
];

const VARIANTS: usize = 2;
/// Kills attempted, and the wall-clock budget for all of them.
const KILLS: usize = 30;
const KILL_BUDGET: Duration = Duration::from_secs(60);

fn capsim() -> PathBuf {
    #[allow(deprecated)] // the path is what std::process::Command needs
    assert_cmd::cargo::cargo_bin("capsim")
}

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
    let mut cmd = Command::new(capsim());
    cmd.arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(["--seed", &seed.to_string()])
        .args(["--replications", &replications.to_string()])
        .arg("--quiet")
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
    let started = Instant::now();
    let output = run_args(scenario, out, seed, replications)
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
    let names: Vec<&str> = visible.keys().map(String::as_str).collect();
    assert_eq!(names, sorted(RESULT_FILES), "files of a complete run");
    (visible, took)
}

fn sorted(names: &[&'static str]) -> Vec<&'static str> {
    let mut v = names.to_vec();
    v.sort_unstable();
    v
}

/// Visible files with their contents, and hidden file names.
fn list(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut visible = BTreeMap::new();
    let mut hidden = vec![];
    for entry in fs::read_dir(dir).expect("the output folder exists") {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            entry.file_type().unwrap().is_file(),
            "{name} is not a regular file"
        );
        if name.starts_with('.') {
            hidden.push(name);
        } else {
            visible.insert(name, fs::read(entry.path()).unwrap());
        }
    }
    hidden.sort();
    (visible, hidden)
}

/// A hidden staging file: `.<result file>.tmp-<pid>` or the folder probe `..write-check.tmp-<pid>`.
fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some((base, pid)) = rest.rsplit_once(".tmp-") else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && (RESULT_FILES.contains(&base) || base == ".write-check")
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

/// Checks a complete run's files against the README: the documented columns and one row per
/// variant and target (summary), per variant, replication and target (replications), per
/// sample of replication 0 of variant 0 (time series), per variant and target (tradeoff).
fn check_complete(files: &BTreeMap<String, Vec<u8>>, replications: usize) {
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

    let (_, rows) = parse_csv("tradeoff.csv", &files["tradeoff.csv"]);
    assert_eq!(rows, VARIANTS, "tradeoff.csv rows");
    assert_eq!(files["scenario.toml"], SCENARIO.as_bytes());
}

#[test]
fn killed_runs_leave_old_or_new_complete_files() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("interrupted.toml");
    fs::write(&scenario, SCENARIO).unwrap();

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
    check_complete(&old, replications as usize);
    check_complete(&new, replications as usize);
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
    fs::create_dir(&out).unwrap();
    let mut rng = SplitMix(20_260_101);
    let started = Instant::now();
    let (mut killed, mut finished, mut mixed) = (0, 0, 0);
    let mut failures = vec![];
    let mut hidden: Vec<String> = vec![];
    for attempt in 0..KILLS {
        if started.elapsed() > KILL_BUDGET {
            println!("time budget spent after {attempt} attempts");
            break;
        }
        // The earlier run's results, as complete files; hidden leftovers stay.
        for (name, bytes) in &old {
            fs::write(out.join(name), bytes).unwrap();
        }
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

        let (visible, now_hidden) = list(&out);
        let mut from = BTreeMap::new();
        for (name, bytes) in &visible {
            let which = if old.get(name) == Some(bytes) && new.get(name) == Some(bytes) {
                "either"
            } else if old.get(name) == Some(bytes) {
                "old"
            } else if new.get(name) == Some(bytes) {
                "new"
            } else {
                failures.push(format!(
                    "attempt {attempt} ({outcome} after {delay:?}): {name} ({} bytes) is neither \
                     the earlier run's nor the new run's complete file",
                    bytes.len()
                ));
                "neither"
            };
            from.insert(name.clone(), which);
        }
        if visible.len() != old.len() {
            failures.push(format!(
                "attempt {attempt}: visible files {:?}",
                visible.keys().collect::<Vec<_>>()
            ));
        }
        for name in &now_hidden {
            if !is_temp_name(name) {
                failures.push(format!("attempt {attempt}: unexpected hidden file {name}"));
            }
        }
        if outcome.starts_with("finished") && from.values().any(|w| *w == "old") {
            failures.push(format!(
                "attempt {attempt}: a completed run left earlier files: {from:?}"
            ));
        }
        let olds = from.values().filter(|w| **w == "old").count();
        let news = from.values().filter(|w| **w == "new").count();
        if olds > 0 && news > 0 {
            mixed += 1;
        }
        let added: Vec<&String> = now_hidden.iter().filter(|n| !hidden.contains(n)).collect();
        println!(
            "attempt {attempt:>2}: {outcome} after {:>4} ms; files {from:?}; new hidden {added:?}",
            delay.as_millis(),
        );
        hidden = now_hidden;
    }
    println!(
        "{killed} killed, {finished} finished, {mixed} left a mix of earlier and new files \
         (killed between two renames); {} hidden temporary files accumulated in {:.1} s \
         (nothing removes a killed run's): {hidden:?}",
        hidden.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(killed >= 10, "only {killed} runs were killed mid-way");
}

/// A run that cannot write its output folder fails with exit code 1, names the folder, and
/// writes nothing.
#[test]
fn unwritable_output_folder_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("interrupted.toml");
    fs::write(&scenario, SCENARIO).unwrap();

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

/// Whether `strace` can run and trace a child here (it needs ptrace).
fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The commit renames the staged files one by one; a kill between two renames leaves some of
/// the earlier run's files beside some of the new run's: each file complete, the set from two
/// runs (summary.csv from one, replications.csv and tradeoff.csv from another). The random
/// kills above hit that window rarely; strace's fault injection hits it every time, by killing
/// the process as it enters its third rename (timeseries.csv and summary.csv moved, the rest not).
#[test]
#[ignore = "bug: src/output/files.rs OutputDir::commit renames file by file, so a run killed \
            (or failing) during the commit leaves a mix of the earlier and the new run's files"]
fn kill_during_commit_leaves_one_runs_files() {
    if !strace_works() {
        println!("strace is not available or cannot trace here: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("interrupted.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let out = tmp.path().join("out");
    let (old, _) = complete_run(&scenario, &out, 1, 2);
    let (new, _) = complete_run(&scenario, &tmp.path().join("new"), 2, 2);

    let run = run_args(&scenario, &out, 2, 2);
    let status = Command::new("strace")
        .args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=rename,renameat,renameat2",
        ])
        .args([
            "-e",
            "inject=rename,renameat,renameat2:signal=SIGKILL:when=3",
        ])
        .arg(run.get_program())
        .args(run.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the run was not killed: {status}");
    let (visible, hidden) = list(&out);
    let from: BTreeMap<&String, &str> = visible
        .iter()
        .map(|(name, bytes)| {
            let which = match (old.get(name) == Some(bytes), new.get(name) == Some(bytes)) {
                (true, true) => "either",
                (true, false) => "old",
                (false, true) => "new",
                (false, false) => "neither",
            };
            (name, which)
        })
        .collect();
    println!("after a kill in the commit: {from:?}; hidden {hidden:?}");
    assert!(
        from.values().all(|w| *w != "neither"),
        "a partial file: {from:?}"
    );
    let olds = from.values().filter(|w| **w == "old").count();
    let news = from.values().filter(|w| **w == "new").count();
    assert!(
        olds == 0 || news == 0,
        "the folder mixes the earlier run's and the new run's results: {from:?}"
    );
}
