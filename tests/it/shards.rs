//! `capsim run --shard K/N` and `capsim merge`: shards run as separate processes, and the merge
//! gives byte for byte the files a single run writes, whatever the split and the order the
//! folders are given in. Also what a Ctrl-C leaves behind.

use crate::support::{capsim, capsim_path, repo, write_temp};
use std::fs;
use std::path::Path;

/// Three swept settings x 5 replications = 15 pairs: splits of 2, 4 and 7 shards cut through
/// the middle of variants, and 16 shards leave the last one empty.
const SCENARIO: &str = r#"name = "shards"
horizon = "5d"
warmup = "12h"
replications = 5
seed = 11

[[compute]]
name = "gpu"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 6
idle_time_before_scale_down = "5m"

[[workload]]
name = "train"
compute = "gpu"
arrivals = { process = "poisson", rate_per_hour = 2.0 }
duration = { dist = "lognormal", median = "30m", p95 = "2h" }

[sweep]
"compute.gpu.min_instances" = [0, 1, 2]

[goal]
wait_p95 = "10m"
"#;

const FILES: &[&str] = &[
    "summary.csv",
    "replications.csv",
    "workloads.csv",
    "tradeoff.csv",
    "timeseries.csv",
    "scenario.toml",
];

fn setup() -> tempfile::TempDir {
    let (dir, _) = write_temp("s.toml", SCENARIO);
    capsim()
        .current_dir(dir.path())
        .args([
            "run",
            "s.toml",
            "--out",
            "full",
            "--quiet",
            "--threads",
            "2",
        ])
        .assert()
        .success();
    dir
}

fn run_shards(dir: &Path, n: usize, prefix: &str) -> Vec<String> {
    (1..=n)
        .map(|k| {
            let out = format!("{prefix}{k}");
            capsim()
                .current_dir(dir)
                .args(["run", "s.toml", "--quiet", "--threads", "1", "--out", &out])
                .args(["--shard", &format!("{k}/{n}")])
                .assert()
                .success();
            out
        })
        .collect()
}

#[test]
fn merged_shards_equal_one_run_byte_for_byte() {
    let dir = setup();
    for n in [1usize, 2, 4, 7, 16] {
        let prefix = format!("n{n}-");
        let mut shards = run_shards(dir.path(), n, &prefix);
        // Any order on the command line.
        shards.reverse();
        let merged = format!("merged{n}");
        capsim()
            .current_dir(dir.path())
            .arg("merge")
            .args(&shards)
            .args(["--out", &merged, "--quiet"])
            .assert()
            .success();
        for f in FILES {
            let a = fs::read(dir.path().join("full").join(f)).unwrap();
            let b = fs::read(dir.path().join(&merged).join(f)).unwrap();
            assert!(a == b, "{f} differs after merging {n} shards");
        }
    }
}

#[test]
fn merge_refuses_missing_duplicate_and_foreign_shards() {
    let dir = setup();
    let shards = run_shards(dir.path(), 3, "a");
    let merge = |args: &[&str]| {
        let out = capsim()
            .current_dir(dir.path())
            .arg("merge")
            .args(args)
            .args(["--out", "m", "--quiet"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!dir.path().join("m").exists(), "nothing written on error");
        String::from_utf8(out.stderr).unwrap()
    };
    let e = merge(&[&shards[0], &shards[2]]);
    assert!(e.contains("missing shard 2/3"), "{e}");
    let e = merge(&[&shards[0], &shards[1], &shards[1], &shards[2]]);
    assert!(e.contains("given twice"), "{e}");
    // A shard of the same scenario run with other arguments is another sweep.
    capsim()
        .current_dir(dir.path())
        .args(["run", "s.toml", "--quiet", "--seed", "12", "--out", "other"])
        .args(["--shard", "2/3"])
        .assert()
        .success();
    let e = merge(&[&shards[0], "other", &shards[2]]);
    assert!(e.contains("shards of different runs"), "{e}");
    let e = merge(&["full"]);
    assert!(e.contains("shard.toml"), "{e}");
}

#[test]
fn bad_shard_syntax_is_an_input_error() {
    for bad in ["0/3", "4/3", "1", "x/y"] {
        capsim()
            .args(["run", "scenarios/quickstart.toml", "--shard", bad, "--out"])
            .arg(std::env::temp_dir().join("capsim-never-written"))
            .assert()
            .code(2);
    }
}

/// Polls until `ready` holds (every 10 ms), failing loudly after `limit`: the tests below wait
/// for what a run has visibly done, not for a fixed time that a slow or busy machine can miss.
#[cfg(unix)]
fn wait_until(what: &str, limit: std::time::Duration, mut ready: impl FnMut() -> bool) {
    let t0 = std::time::Instant::now();
    while !ready() {
        assert!(t0.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Whether `file` exists in the staging folder of a run into `dir/out`.
#[cfg(unix)]
fn staged_exists(dir: &Path, out: &str, file: &str) -> bool {
    let prefix = format!(".{out}.capsim-");
    fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.starts_with(&prefix) && n.ends_with(".staging") && e.path().join(file).is_file()
    })
}

/// The size of `file` in the staging folder of a run into `dir/out` (`.out.capsim-ID.staging`),
/// 0 while there is none.
#[cfg(unix)]
fn staged_len(dir: &Path, out: &str, file: &str) -> u64 {
    let prefix = format!(".{out}.capsim-");
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&prefix) && n.ends_with(".staging")
        })
        .filter_map(|e| fs::metadata(e.path().join(file)).ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

/// SIGINT in the middle of a long sweep: the process exits 130, what finished is written, the
/// folder says it is incomplete, and every variant reported has all its replications, with at
/// least one reported (an empty set would satisfy "every variant is complete" vacuously).
///
/// 12 variants x 400 replications = 4800 pairs, simulated in chunks of 4096 (CHUNK_PAIRS in
/// src/commands/run.rs): the complete variants of the first chunk (0-9) are written to the
/// staging folder's replications.csv when it ends. The test waits for that file to fill, then
/// interrupts during the second chunk (704 pairs, a seventh of the run).
#[cfg(unix)]
#[test]
fn ctrl_c_writes_finished_variants_marked_incomplete() {
    use std::time::Duration;
    let text = SCENARIO
        .replace("replications = 5", "replications = 400")
        .replace("rate_per_hour = 2.0", "rate_per_hour = 20.0")
        .replace("[0, 1, 2]", "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]")
        .replace("max_instances = 6", "max_instances = 12");
    let (dir, _) = write_temp("s.toml", text);
    let mut child = std::process::Command::new(capsim_path())
        .current_dir(dir.path())
        .args(["run", "s.toml", "--out", "int", "--quiet", "--threads", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        "the first chunk's variants in replications.csv",
        Duration::from_secs(900),
        || {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before it was interrupted"
            );
            staged_len(dir.path(), "int", "replications.csv") > 0
        },
    );
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `pid` is our own child, still running (checked just above).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let folder = dir.path().join("int");
    let note = fs::read_to_string(folder.join("INCOMPLETE.txt")).unwrap();
    assert!(note.contains("interrupted"), "{note}");
    // Every reported variant has all 400 replications in replications.csv.
    let reps = fs::read_to_string(folder.join("replications.csv")).unwrap();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for line in reps.lines().skip(1) {
        let variant = line.split(',').nth(1).unwrap().to_string();
        *counts.entry(variant).or_default() += 1;
    }
    assert!(
        counts.len() >= 10,
        "the first chunk's ten variants are not all reported: {counts:?}"
    );
    assert!(
        counts.len() < 12,
        "the run finished before the signal: {counts:?}"
    );
    assert!(counts.values().all(|&n| n == 400), "{counts:?}");
}

/// The batch-system wrappers in scenarios/shards/ run as each system would run them (its own
/// task-index variable), and merge.sh combines their folders into the single run's files.
#[cfg(unix)]
#[test]
fn batch_system_wrappers_run_every_shard_and_merge() {
    let dir = setup();
    let root = repo().join("scenarios/shards");
    let bin = capsim_path();
    // (variable, value for shard k of 4), as Kubernetes, Slurm, Azure Batch and Azure ML set them.
    type IndexOf = fn(usize) -> String;
    let styles: [(&str, IndexOf); 4] = [
        ("JOB_COMPLETION_INDEX", |k| (k - 1).to_string()),
        ("SLURM_ARRAY_TASK_ID", |k| (k - 1).to_string()),
        ("AZ_BATCH_TASK_ID", |k| format!("shard-{k}")),
        ("SHARD", |k| k.to_string()),
    ];
    for (var, value) in styles {
        let out = dir.path().join(format!("sweep-{var}"));
        for k in 1..=4 {
            let slurm = var == "SLURM_ARRAY_TASK_ID";
            let mut cmd = std::process::Command::new(if slurm { "bash" } else { "sh" });
            if slurm {
                cmd.arg(root.join("slurm-array.sh"))
                    .env("SLURM_ARRAY_TASK_COUNT", "4")
                    .env("SHARD_SH", root.join("shard.sh"));
            } else {
                cmd.arg(root.join("shard.sh")).env("SHARDS", "4");
            }
            let status = cmd
                .current_dir(dir.path())
                .env(var, value(k))
                .env("SCENARIO", "s.toml")
                .env("OUT", &out)
                .env("CAPSIM", &bin)
                .status()
                .unwrap();
            assert!(status.success(), "{var} shard {k}");
        }
        let status = std::process::Command::new("sh")
            .arg(root.join("merge.sh"))
            .current_dir(dir.path())
            .env("SHARDS", "4")
            .env("OUT", &out)
            .env("CAPSIM", &bin)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "merge after {var}");
        for f in FILES {
            let a = fs::read(dir.path().join("full").join(f)).unwrap();
            let b = fs::read(out.join("merged").join(f)).unwrap();
            assert!(a == b, "{f} differs after {var} shards");
        }
        assert!(out.join("merged/report.html").is_file());
    }
}

/// A Ctrl-C'd run into a folder that holds an earlier run's results leaves them as they were
/// and puts its partial results beside them, in `<folder>.interrupted`.
#[cfg(unix)]
#[test]
fn ctrl_c_never_replaces_earlier_results() {
    use std::time::Duration;
    let dir = setup();
    let before: Vec<(String, Vec<u8>)> = FILES
        .iter()
        .map(|f| {
            (
                f.to_string(),
                fs::read(dir.path().join("full").join(f)).unwrap(),
            )
        })
        .collect();
    let long = SCENARIO
        .replace("replications = 5", "replications = 400")
        .replace("horizon = \"5d\"", "horizon = \"100d\"")
        .replace("rate_per_hour = 2.0", "rate_per_hour = 20.0");
    fs::write(dir.path().join("s.toml"), long).unwrap();
    let mut child = std::process::Command::new(capsim_path())
        .current_dir(dir.path())
        .args([
            "run",
            "s.toml",
            "--out",
            "full",
            "--quiet",
            "--threads",
            "2",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Simulation is under way (and Ctrl-C armed, which happens first) once the per-variant
    // files exist in the staging folder: they are created before the first replication. (A
    // sweep with a goal writes timeseries.csv only after its verdict, at the very end.)
    wait_until(
        "replications.csv in the staging folder",
        Duration::from_secs(600),
        || {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before it was interrupted"
            );
            staged_exists(dir.path(), "full", "replications.csv")
        },
    );
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `pid` is our own child, still running (checked just above).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("full.interrupted"), "{stderr}");
    for (f, bytes) in before {
        assert!(
            fs::read(dir.path().join("full").join(&f)).unwrap() == bytes,
            "{f} of the earlier run changed"
        );
    }
    let beside = dir.path().join("full.interrupted");
    assert!(beside.join("INCOMPLETE.txt").is_file());
    let info = fs::read_to_string(beside.join("run.json")).unwrap();
    assert!(info.contains("\"interrupted\""), "{info}");
}
