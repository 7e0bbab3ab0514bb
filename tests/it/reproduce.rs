//! A folder reruns to itself: its scenario.toml is the scenario as run (every command-line edit
//! written in), so `capsim run scenario.toml` gives the same bytes; and a seed given on the
//! command line is the same as the same seed in the file, for every kind of sweep.

use crate::support::{capsim, entries};
use std::fs;
use std::path::Path;

/// The files of two folders, byte for byte, charts included; run.json is compared without what
/// says when and how the run was started.
fn assert_same_folder(a: &Path, b: &Path) {
    assert_eq!(
        entries(a),
        entries(b),
        "{} and {}",
        a.display(),
        b.display()
    );
    for name in entries(a) {
        let (pa, pb) = (a.join(&name), b.join(&name));
        if pa.is_dir() {
            assert_same_folder(&pa, &pb);
        } else if name == "run.json" {
            let read = |p: &Path| {
                let mut v: serde_json::Value =
                    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap();
                let o = v.as_object_mut().unwrap();
                for k in [
                    "started_at",
                    "finished_at",
                    "command_line",
                    "scenario_file",
                    "threads_used",
                ] {
                    o.remove(k);
                }
                v
            };
            assert_eq!(read(&pa), read(&pb), "run.json of {}", a.display());
        } else {
            assert!(
                fs::read(&pa).unwrap() == fs::read(&pb).unwrap(),
                "{name} differs between {} and {}",
                a.display(),
                b.display()
            );
        }
    }
}

const SCENARIO: &str = r#"
name = "repro"
start_date = 2026-06-01
horizon = "3d"
warmup = "6h"
replications = 2
seed = 1

[[compute]]
name = "gpu"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
min_instances = 0
max_instances = 6
idle_time_before_scale_down = "120s"
provisioning_time = { dist = "lognormal", median = "4m", p95 = "8m" }

[[workload]]
name = "training"
compute = "gpu"
arrivals = { process = "poisson", rate_per_hour = 3.0 }
duration = { dist = "lognormal", median = "40m", p95 = "3h" }
"#;

#[test]
fn the_folders_scenario_reruns_to_the_same_bytes_with_sweep_set_and_report() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.toml"), SCENARIO).unwrap();
    capsim()
        .current_dir(dir.path())
        .args(["run", "s.toml", "--out", "first", "--quiet", "--report"])
        .args(["--set", "compute.gpu.min_instances=1"])
        .args(["--set", "workload.training.arrivals.rate_per_hour=4"])
        .args(["--sweep", "compute.gpu.idle_time_before_scale_down=2m,10m"])
        .args(["--seed", "7", "--replications", "3", "--horizon", "4d"])
        .assert()
        .success();
    // What the report tells a reader to do: save the scenario it shows and run it.
    let report = fs::read_to_string(dir.path().join("first/report.md")).unwrap();
    assert!(
        report.contains("the command line's options are written into it"),
        "{report}"
    );
    let shown = report
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("\n```").next())
        .expect("the report shows the scenario");
    let copied = fs::read_to_string(dir.path().join("first/scenario.toml")).unwrap();
    assert_eq!(format!("{shown}\n"), copied);
    fs::write(dir.path().join("again.toml"), &copied).unwrap();
    capsim()
        .current_dir(dir.path())
        .args([
            "run",
            "again.toml",
            "--out",
            "second",
            "--quiet",
            "--report",
        ])
        .assert()
        .success();
    assert_same_folder(&dir.path().join("first"), &dir.path().join("second"));
    // The edits are in the file, not in parameter columns: only the swept field is one.
    let header = fs::read_to_string(dir.path().join("first/summary.csv")).unwrap();
    let header = header.lines().next().unwrap();
    let params: Vec<&str> = header
        .split(',')
        .filter(|c| c.starts_with("parameter_"))
        .collect();
    assert_eq!(
        params,
        ["parameter_compute.gpu.idle_time_before_scale_down"]
    );
    for (edit, want) in [
        ("min_instances = ", "min_instances = 1"),
        ("rate_per_hour = ", "rate_per_hour = 4"),
        ("seed = ", "seed = 7"),
        ("replications = ", "replications = 3"),
        ("horizon = ", "horizon = \"4d\""),
    ] {
        let line = copied
            .lines()
            .find(|l| l.contains(edit))
            .unwrap_or_else(|| panic!("{edit} in\n{copied}"));
        assert!(line.contains(want), "{line}");
    }
}

#[test]
fn a_seed_on_the_command_line_is_the_seed_in_the_file_for_every_sweep_mode() {
    for sweep in [
        "[sweep]\n\"compute.gpu.min_instances\" = [0, 1, 2]\n",
        "[sweep]\nmode = \"random\"\nsamples = 3\n\"compute.gpu.min_instances\" = { from = 0, to = 3 }\n\"workload.training.arrivals.rate_per_hour\" = { from = 1.0, to = 5.0 }\n",
        "[sweep]\nmode = \"latin_hypercube\"\nsamples = 3\n\"compute.gpu.min_instances\" = { from = 0, to = 3 }\n\"workload.training.arrivals.rate_per_hour\" = { from = 1.0, to = 5.0 }\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{SCENARIO}\n{sweep}");
        fs::write(dir.path().join("s.toml"), &text).unwrap();
        fs::write(
            dir.path().join("s99.toml"),
            text.replace("seed = 1\n", "seed = 99\n"),
        )
        .unwrap();
        for (file, out, seed) in [
            ("s.toml", "flag", Some("99")),
            ("s99.toml", "file", None),
            ("s.toml", "one", None),
        ] {
            let mut cmd = capsim();
            cmd.current_dir(dir.path())
                .args(["run", file, "--out", out, "--quiet"]);
            if let Some(seed) = seed {
                cmd.args(["--seed", seed]);
            }
            cmd.assert().success();
        }
        assert_same_folder(&dir.path().join("flag"), &dir.path().join("file"));
        // And the seed matters: seed 1 draws other sweep points or other arrivals.
        let a = fs::read(dir.path().join("one/summary.csv")).unwrap();
        let b = fs::read(dir.path().join("flag/summary.csv")).unwrap();
        assert!(
            a != b,
            "seed 1 and seed 99 gave the same results for\n{sweep}"
        );
    }
}
