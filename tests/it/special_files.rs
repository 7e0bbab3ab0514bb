//! Every file a user can name is read only when it is a regular file, up to a stated size
//! (src/text/input.rs): a named pipe (FIFO) given as a scenario, trace or price list used to
//! block capsim for ever, and `/dev/zero` as a price list or an empirical distribution's file
//! was read until a 4 GiB allocation aborted the process.
//!
//! Each case runs the binary on a FIFO and on `/dev/zero` in each file field, under a 2 GiB
//! address-space limit and a 20 s deadline (a run that hangs is killed and reported, so this
//! test fails rather than hangs on a capsim that blocks). Each must end within the deadline,
//! with exit code 2 and a message that names the file and says it is not a regular file.

use crate::support::{capsim_path, repo};
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

/// How a bounded run of capsim ended.
#[derive(Debug)]
struct Ended {
    /// `None`: killed by a signal (ours at the deadline, or an abort).
    code: Option<i32>,
    stderr: String,
    hung: bool,
    took: Duration,
}

/// Runs capsim with `args` in `dir`, with at most 2 GiB of address space, killed at the deadline.
fn bounded(dir: &Path, args: &[&str]) -> Ended {
    let mut cmd = Command::new(capsim_path());
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
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
    let started = Instant::now();
    let mut child = cmd.spawn().expect("capsim starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut hung = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            hung = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ended {
        code: status.code(),
        stderr: reader.join().unwrap(),
        hung,
        took: started.elapsed(),
    }
}

/// A folder with a FIFO `pipe` in it, and a copy of the bundled traces' folder layout.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let c = std::ffi::CString::new(
        dir.path()
            .join("pipe")
            .as_os_str()
            .as_encoded_bytes()
            .to_vec(),
    )
    .unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    dir
}

const CLUSTER: &str = r#"horizon = "2d"
replications = 2
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D2s_v3"
max_instances = 2
"#;

const WORKLOAD: &str = r#"[[workload]]
name = "w"
compute = "c"
arrivals = { process = "poisson", rate_per_hour = 1.0 }
duration = { dist = "constant", value = "10m" }
"#;

const ENDPOINT: &str = r#"horizon = "1h"
replications = 2
[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 1
[[traffic]]
name = "r"
endpoint = "e"
"#;

/// Scenario text with each file field pointing at `SPECIAL`: (field as the message names it,
/// text).
fn cases() -> Vec<(&'static str, String)> {
    vec![
        (
            "prices",
            format!("prices = \"SPECIAL\"\n{CLUSTER}{WORKLOAD}"),
        ),
        (
            "workload.w.arrivals.file",
            format!(
                "{CLUSTER}[[workload]]\nname = \"w\"\ncompute = \"c\"\n\
                 arrivals = {{ process = \"trace\", file = \"SPECIAL\", submit_column = \"t\", \
                 time_format = \"epoch_s\" }}\nduration = {{ dist = \"constant\", value = \"10m\" }}\n"
            ),
        ),
        (
            "workload.w.duration.file",
            format!(
                "{CLUSTER}[[workload]]\nname = \"w\"\ncompute = \"c\"\n\
                 arrivals = {{ process = \"poisson\", rate_per_hour = 1.0 }}\n\
                 duration = {{ dist = \"empirical\", file = \"SPECIAL\", column = \"d\" }}\n"
            ),
        ),
        (
            "traffic.r.arrivals.file",
            format!(
                "{ENDPOINT}arrivals = {{ process = \"trace\", file = \"SPECIAL\", \
                 submit_column = \"t\", time_format = \"epoch_s\" }}\n\
                 service_time = {{ dist = \"constant\", value = \"50ms\" }}\n"
            ),
        ),
        (
            "traffic.r.latency_profile_file",
            format!(
                "{ENDPOINT}arrivals = {{ process = \"poisson\", rate_per_second = 1.0 }}\n\
                 latency_profile_file = \"SPECIAL\"\n"
            ),
        ),
        (
            "compute[0].from",
            format!("horizon = \"2d\"\n[[compute]]\nfrom = \"SPECIAL\"\n{WORKLOAD}"),
        ),
        (
            "endpoint[0].from",
            "horizon = \"1h\"\n[[endpoint]]\nfrom = \"SPECIAL\"\n".to_string(),
        ),
    ]
}

/// What every refusal must say: the file, that it is not a regular file, quickly, exit 2.
fn check(what: &str, special: &str, ended: &Ended, failures: &mut Vec<String>) {
    let kind = if special == "pipe" {
        "a named pipe (FIFO), not a regular file"
    } else {
        "a character device, not a regular file"
    };
    if ended.hung {
        failures.push(format!(
            "{what} = {special}: still running after {DEADLINE:?}"
        ));
    } else if ended.code != Some(2)
        || !ended.stderr.contains(kind)
        || !ended.stderr.contains(special)
    {
        failures.push(format!(
            "{what} = {special}: exit {:?} after {:?}: {}",
            ended.code,
            ended.took,
            ended.stderr.trim()
        ));
    }
}

#[test]
fn fifos_and_devices_in_every_file_field_are_refused_at_once() {
    let dir = folder();
    let mut failures = vec![];
    let mut checked = 0;
    for special in ["pipe", "/dev/zero"] {
        // The scenario itself, for each command that reads one.
        for command in ["validate", "run", "size"] {
            let ended = bounded(dir.path(), &[command, special]);
            check(
                &format!("capsim {command} FILE"),
                special,
                &ended,
                &mut failures,
            );
            checked += 1;
        }
        // --prices.
        fs::write(dir.path().join("s.toml"), format!("{CLUSTER}{WORKLOAD}")).unwrap();
        let ended = bounded(dir.path(), &["validate", "s.toml", "--prices", special]);
        check("--prices", special, &ended, &mut failures);
        checked += 1;
        // capsim import.
        let ended = bounded(dir.path(), &["import", special]);
        check("capsim import FILE", special, &ended, &mut failures);
        checked += 1;
        // Every file field of a scenario.
        for (field, text) in cases() {
            fs::write(dir.path().join("s.toml"), text.replace("SPECIAL", special)).unwrap();
            let ended = bounded(dir.path(), &["validate", "s.toml"]);
            check(field, special, &ended, &mut failures);
            if !ended.hung && !ended.stderr.contains(field) {
                failures.push(format!(
                    "{field} = {special}: the field is not named: {}",
                    ended.stderr
                ));
            }
            checked += 1;
        }
    }
    println!("{checked} file fields x special files checked");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// `merge` and `report` read an output folder's files back: a FIFO in place of one of them is
/// refused, not waited on.
#[test]
fn fifos_in_output_folders_are_refused_at_once() {
    let dir = folder();
    let scenario = dir.path().join("s.toml");
    fs::write(&scenario, format!("{CLUSTER}{WORKLOAD}")).unwrap();
    let run = |args: &[&str]| {
        let ended = bounded(dir.path(), args);
        assert_eq!(ended.code, Some(0), "{args:?}: {}", ended.stderr);
    };
    run(&["run", "s.toml", "--quiet", "--out", "out"]);
    run(&[
        "run", "s.toml", "--quiet", "--shard", "1/1", "--out", "shard",
    ]);
    let mut failures = vec![];
    let swap = |folder: &str, file: &str| -> PathBuf {
        let path = dir.path().join(folder).join(file);
        fs::remove_file(&path).unwrap();
        fs::rename(dir.path().join("pipe"), &path).unwrap();
        path
    };
    let mkfifo_again = || {
        let c = std::ffi::CString::new(
            dir.path()
                .join("pipe")
                .as_os_str()
                .as_encoded_bytes()
                .to_vec(),
        )
        .unwrap();
        // SAFETY: a NUL-terminated path.
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    };
    for (command, folder, file) in [
        ("report", "out", "timeseries.csv"),
        ("report", "out", "run.json"),
        ("merge", "shard", "shard.csv"),
        ("merge", "shard", "scenario.toml"),
    ] {
        let path = swap(folder, file);
        let args: Vec<&str> = if command == "report" {
            vec!["report", folder]
        } else {
            vec!["merge", folder, "--out", "merged"]
        };
        let ended = bounded(dir.path(), &args);
        if ended.hung || ended.code == Some(0) || !ended.stderr.contains(file) {
            failures.push(format!(
                "capsim {command} with {file} a FIFO: hung {}, exit {:?}: {}",
                ended.hung,
                ended.code,
                ended.stderr.trim()
            ));
        }
        // Put the folder back as it was.
        fs::remove_file(&path).unwrap();
        mkfifo_again();
        run(&["run", "s.toml", "--quiet", "--out", "out"]);
        run(&[
            "run", "s.toml", "--quiet", "--shard", "1/1", "--out", "shard",
        ]);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The repository's own traces are regular files well under the limit.
#[test]
fn bundled_inputs_are_under_their_limits() {
    for entry in fs::read_dir(repo().join("scenarios/traces")).unwrap() {
        let path = entry.unwrap().path();
        let len = fs::metadata(&path).unwrap().len();
        assert!(len < capsim::text::input::TRACE.bytes, "{}", path.display());
    }
}
