//! Issue 19's hostile-user findings that are not about files or folders: a stray quote in a
//! trace, SIGTERM, an early Ctrl-C beside an earlier `<out>.interrupted`, and shards of
//! different sweeps. Each drives the binary (`CAPSIM_TEST_BIN` runs them against another one).

use crate::support::{capsim_path, write_temp};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Ten jobs, one a minute, each 10 minutes on 1 GPU; line 4 (the third job) opens a quote it
/// never closes, and line 9 has a duration that is not one.
const TRACE: &str = "submit_time,duration_s,num_gpus\n\
2024-01-01 00:00:00,600,1\n\
2024-01-01 00:01:00,600,1\n\
2024-01-01 00:02:00,\"600,1\n\
2024-01-01 00:03:00,600,1\n\
2024-01-01 00:04:00,600,1\n\
2024-01-01 00:05:00,600,1\n\
2024-01-01 00:06:00,600,1\n\
2024-01-01 00:07:00,soon,1\n\
2024-01-01 00:08:00,600,1\n\
2024-01-01 00:09:00,600,1\n";

const TRACE_SCENARIO: &str = r#"horizon = "1d"
replications = 1
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 4
[[workload]]
name = "w"
compute = "c"
arrivals = { process = "trace", file = "jobs.csv", submit_column = "submit_time", duration_column = "duration_s", gpus_column = "num_gpus", time_format = "%Y-%m-%d %H:%M:%S", on_bad_row = "skip" }
"#;

/// One stray quote used to swallow every line after it, reported as "skipped 1 bad row": 2 of
/// 10 jobs kept. A trace's row is one line, so the quote costs its own row only: the two bad
/// rows (lines 4 and 9) are counted, and the 8 good ones are replayed.
#[test]
fn a_stray_quote_costs_its_own_row_only() {
    let (dir, _) = write_temp("s.toml", TRACE_SCENARIO);
    fs::write(dir.path().join("jobs.csv"), TRACE).unwrap();
    let out = Command::new(capsim_path())
        .current_dir(dir.path())
        .args(["validate", "s.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("skipped 2 bad rows") && stderr.contains("line 4: a quote"),
        "{stderr}"
    );
    let out = Command::new(capsim_path())
        .current_dir(dir.path())
        .args(["run", "s.toml", "--quiet", "--out", "out"])
        .arg("--seed")
        .arg("1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = crate::support::csv_records(&dir.path().join("out/workloads.csv"));
    let arrived: f64 = rows[0]["jobs_arrived"].parse().unwrap();
    let skipped: f64 = rows[0]["trace_rows_skipped"].parse().unwrap();
    assert_eq!((arrived, skipped), (8.0, 2.0), "{:?}", rows[0]);
}

/// A long run: 1 variant of many replications, so that no variant finishes soon.
const LONG: &str = r#"horizon = "200d"
replications = 2000
seed = 3
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 8
[[workload]]
name = "w"
compute = "c"
arrivals = { process = "poisson", rate_per_hour = 20.0 }
duration = { dist = "exponential", mean = "20m" }
"#;

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on a child's pid.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, sig) }, 0);
}

/// Starts `capsim run` on `LONG` into `out`, waits until it simulates (its staging folder
/// exists, so its handler is armed), sends `sig`, and returns (exit code, stderr).
fn run_and_signal(dir: &Path, out: &str, sig: libc::c_int) -> (Option<i32>, String) {
    let child = Command::new(capsim_path())
        .current_dir(dir)
        .args(["run", "s.toml", "--quiet", "--threads", "1", "--out", out])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let staging = format!(".{out}.capsim-");
    loop {
        let staged = fs::read_dir(dir).unwrap().flatten().any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&staging) && n.ends_with(".staging")
        });
        if staged || started.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(child.id(), sig);
    let done = child.wait_with_output().unwrap();
    (
        done.status.code(),
        String::from_utf8_lossy(&done.stderr).into_owned(),
    )
}

/// SIGTERM (what Kubernetes, Slurm and Azure Batch send) stops a run as Ctrl-C does: exit 130,
/// what finished written and marked incomplete. It used to end the process at once (no exit
/// code, no folder).
#[test]
fn sigterm_stops_a_run_as_ctrl_c_does() {
    let (dir, _) = write_temp("s.toml", LONG);
    let (code, stderr) = run_and_signal(dir.path(), "out", libc::SIGTERM);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let note = fs::read_to_string(dir.path().join("out/INCOMPLETE.txt")).unwrap();
    assert!(note.contains("interrupted"), "{note}");
}

/// A Ctrl-C before any variant finished, into a folder with results and an earlier
/// `<out>.interrupted`: both are left as they were (the latter used to be replaced by a folder
/// of no variant), and the message says nothing was written.
#[test]
fn an_early_ctrl_c_keeps_an_earlier_interrupted_folder() {
    let (dir, _) = write_temp("s.toml", LONG);
    for (name, text) in [("out", "old"), ("out.interrupted", "partial")] {
        let d = dir.path().join(name);
        fs::create_dir(&d).unwrap();
        fs::write(d.join("summary.csv"), text).unwrap();
    }
    let (code, stderr) = run_and_signal(dir.path(), "out", libc::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    for (name, text) in [("out", "old"), ("out.interrupted", "partial")] {
        let d = dir.path().join(name);
        assert_eq!(
            fs::read_to_string(d.join("summary.csv")).unwrap(),
            text,
            "{name}"
        );
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1, "{name}");
    }
}

/// Shards of one scenario run with different sweeps (as when `sbatch --export` cuts
/// `--sweep x=0,1,2` at its commas for some of them) are refused at merge, naming the shard.
#[test]
fn shards_of_different_sweeps_are_refused_at_merge() {
    let (dir, _) = write_temp(
        "s.toml",
        LONG.replace("replications = 2000", "replications = 2"),
    );
    let shard = |k: &str, sweep: &str| {
        let out = Command::new(capsim_path())
            .current_dir(dir.path())
            .args(["run", "s.toml", "--quiet", "--horizon", "2d", "--shard", k])
            .args(["--sweep", sweep, "--out", &format!("shard-{}", &k[..1])])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    shard("1/2", "compute.c.max_instances=2,4");
    shard("2/2", "compute.c.max_instances=2,6");
    let out = Command::new(capsim_path())
        .current_dir(dir.path())
        .args(["merge", "shard-1", "shard-2", "--out", "merged"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("shard-2"), "{stderr}");
    assert!(!dir.path().join("merged").exists());
}

/// `shard.sh`: a `SHARD` set by hand wins over the batch system's index (it used to lose to
/// `AZ_BATCH_TASK_ID`, which Azure Batch always sets).
#[test]
fn shard_sh_prefers_a_shard_given_by_hand() {
    let (dir, _) = write_temp(
        "s.toml",
        LONG.replace("replications = 2000", "replications = 2"),
    );
    let status = Command::new("sh")
        .arg(crate::support::repo().join("scenarios/shards/shard.sh"))
        .current_dir(dir.path())
        .env("AZ_BATCH_TASK_ID", "shard-3")
        .env("SHARD", "1")
        .env("SHARDS", "4")
        .env("SCENARIO", "s.toml")
        .env("OUT", "sweep")
        .env("CAPSIM", capsim_path())
        .env("CAPSIM_ARGS", "--horizon 2d")
        .status()
        .unwrap();
    assert!(status.success());
    let toml = fs::read_to_string(dir.path().join("sweep/shard-1/shard.toml")).unwrap();
    assert!(toml.contains("shard = \"1/4\""), "{toml}");
    assert!(!dir.path().join("sweep/shard-3").exists());
}

/// Runs capsim in `dir` under a 2 GiB address-space limit, killed after 30 s: (exit code, stderr).
fn bounded(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(capsim_path());
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), reader.join().unwrap())
}

const RATE: &str = r#"horizon = "HORIZON"
replications = 1
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 2
[[workload]]
name = "w"
compute = "c"
arrivals = ARRIVALS
duration = { dist = "constant", value = "10m" }
"#;

/// Rates and profile multipliers up to 1e308 used to pass validation (and a run then filled
/// memory): each is refused at its field with the figure allowed.
#[test]
fn absurd_rates_and_multipliers_are_refused_at_their_field() {
    let ones = vec!["1.0"; 23].join(", ");
    for (arrivals, field) in [
        (
            "{ process = \"poisson\", rate_per_hour = 1e308 }".to_string(),
            "arrivals.rate_per_hour",
        ),
        (
            "{ process = \"poisson\", rate_per_second = 2e6 }".to_string(),
            "arrivals.rate_per_second",
        ),
        (
            format!("{{ process = \"poisson\", rate_per_hour = 1.0, daily_profile = [1e300, {ones}] }}"),
            "arrivals.daily_profile",
        ),
        (
            "{ process = \"mmpp\", rates_per_hour = [1e308, 1.0], mean_sojourn = [\"1h\", \"1h\"] }"
                .to_string(),
            "arrivals.rates_per_hour[0]",
        ),
    ] {
        let text = RATE.replace("HORIZON", "1d").replace("ARRIVALS", &arrivals);
        let (dir, _) = write_temp("s.toml", text);
        let (code, stderr) = bounded(dir.path(), &["validate", "s.toml"]);
        assert_eq!(code, Some(2), "{arrivals}: {stderr}");
        assert!(
            stderr.contains(field) && stderr.contains("too high"),
            "{arrivals}: {stderr}"
        );
    }
}

/// `--force` runs a run the guard finds too long, but not one that cannot end: the highest
/// rate and multipliers over a long horizon is refused with a clear error at once (it used to
/// run until memory ran out and the process aborted).
#[test]
fn force_refuses_a_run_that_cannot_end() {
    let big = vec!["1e6"; 24].join(", ");
    let arrivals = format!(
        "{{ process = \"poisson\", rate_per_second = 1e6, daily_profile = [{big}], \
         weekly_profile = [1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6] }}"
    );
    let text = RATE
        .replace("HORIZON", "3000d")
        .replace("ARRIVALS", &arrivals);
    let (dir, _) = write_temp("s.toml", text);
    let (code, stderr) = bounded(dir.path(), &["run", "s.toml", "--force", "--out", "o"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot be run, even with --force"),
        "{stderr}"
    );
    assert!(!dir.path().join("o").exists());
}

/// `--horizon` has the cap a scenario's horizon has (it used to skip it), and `--threads` a cap
/// checked before anything runs (100000 used to start threads for 15 s before failing).
#[test]
fn command_line_horizon_and_threads_are_capped_at_once() {
    let text = RATE
        .replace("HORIZON", "1d")
        .replace("ARRIVALS", "{ process = \"poisson\", rate_per_hour = 1.0 }");
    let (dir, _) = write_temp("s.toml", text);
    let started = Instant::now();
    let (code, stderr) = bounded(
        dir.path(),
        &["run", "s.toml", "--horizon", "5000000d", "--out", "o"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--horizon") && stderr.contains("10,000 years"),
        "{stderr}"
    );
    let (code, stderr) = bounded(
        dir.path(),
        &["run", "s.toml", "--threads", "100000", "--out", "o"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--threads") && stderr.contains("1024"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!dir.path().join("o").exists());
}
