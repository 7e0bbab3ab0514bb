//! Hostile or oversized input: runs estimated to take over an hour or more memory than the
//! machine has are refused before anything is written (exit 2, with the estimate and ways on),
//! `--force` runs them anyway; output names derived from file names stay inside `output/`;
//! missing trace and price files are located errors; a report refuses an interrupted run.

use crate::support::{capsim, capsim_path, entries, quickstart, run, write_temp};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Component, Path};
use std::process::Stdio;

/// The quickstart (3 jobs per hour, one node each) over ten years, a million times: 262,800
/// jobs per replication, and at least two events each (arrival and completion), so at least
/// 5.3e11 events. Even at ten million events per second, ten times what the engine's benches
/// measure, that is over 14 hours.
///
/// The guard's inputs are explicit: two worker threads, whatever the machine. Left to every
/// core, the estimate divides by the machine's cores, and on a runner of about 91 or more the
/// run fits the hour and starts (a ten-year run in a test) instead of being refused.
const HUGE: [&str; 6] = [
    "--replications",
    "1000000",
    "--horizon",
    "3650d",
    "--threads",
    "2",
];

#[test]
fn a_run_of_many_hours_is_refused_with_its_estimate_and_ways_on() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run(capsim()
        .args(["run", quickstart().to_str().unwrap(), "--out"])
        .arg(&out)
        .args(HUGE));
    assert_eq!(o.code, Some(2), "stderr: {}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    for expected in [
        "too big",
        "more than the 1.0 h allowed",
        // 3/h x 24 h x 3650 days.
        "262,800 jobs",
        "1,000,000 replications",
        "--force",
        "--replications N",
        "--horizon D",
        "--shard K/N",
    ] {
        assert!(
            o.stderr.contains(expected),
            "no `{expected}` in:\n{}",
            o.stderr
        );
    }
    // Nothing was written, not even the folder or a staging folder beside it.
    assert!(!out.exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn force_runs_a_refused_run_anyway() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // std's Command, to read stderr while it runs.
    let mut child = std::process::Command::new(capsim_path())
        .args(["run", quickstart().to_str().unwrap(), "--out"])
        .arg(&out)
        .args(HUGE)
        .arg("--force")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // It started simulating: stop it (a ten-year million-replication run is not for a test).
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        first.starts_with("warning: running anyway (--force)"),
        "{first}"
    );
    assert!(still_running, "the forced run ended at once: {first}");
    // Killed mid-run: no results folder appeared.
    assert!(!out.exists());
}

/// MemTotal of /proc/meminfo, bytes.
fn memory_total() -> Option<f64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

#[test]
fn a_run_that_needs_more_memory_than_the_machine_has_is_refused() {
    let Some(total) = memory_total() else {
        println!("no /proc/meminfo: skipped");
        return;
    };
    // Every replication keeps its paired metrics (cost and p95 wait, for comparisons) until the
    // files are written, at least 8 bytes each: with a million replications per variant, enough
    // variants to pass the machine's whole memory on that alone.
    let per_variant = 1e6 * 8.0 * capsim::sweep::PAIRED.len() as f64;
    let variants = (total / per_variant).ceil() as usize + 1;
    let values: Vec<String> = (1..=variants).map(|v| v.to_string()).collect();
    let (tmp, file) = write_temp(
        "wide.toml",
        r#"horizon = "1h"
replications = 1000000
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 1000
[[workload]]
name = "w"
compute = "c"
arrivals = { process = "poisson", rate_per_hour = 0.001 }
duration = { dist = "constant", value = "1m" }
"#,
    );
    let out = tmp.path().join("out");
    let o = run(capsim()
        .args(["run", file.to_str().unwrap(), "--out"])
        .arg(&out)
        .args([
            "--sweep",
            &format!("compute.c.max_instances={}", values.join(",")),
        ]));
    assert_eq!(o.code, Some(2), "{variants} variants: stderr {}", o.stderr);
    assert!(
        o.stderr.contains("of memory, more than the") && o.stderr.contains("GiB"),
        "{}",
        o.stderr
    );
    assert!(!out.exists());
}

#[test]
fn small_runs_pass_the_guard_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(capsim()
        .args(["run", quickstart().to_str().unwrap(), "--out"])
        .arg(tmp.path().join("out"))
        .args(["--replications", "2", "--horizon", "2d", "--quiet"]));
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert_eq!(o.stderr, "");
}

/// The estimate errs high but not absurdly (at most 4 times: an overloaded cluster finishes fewer jobs than arrive) against the events the engine really processed,
/// for an ordinary cluster, an overloaded one (jobs pile up) and multi-node jobs.
#[test]
fn event_estimates_are_above_the_real_count_and_within_four_times_it() {
    use capsim::scenario::sweep::load_plan;
    for (what, extra) in [
        ("quickstart", vec![]),
        (
            "overloaded",
            vec!["compute.gpu-cluster.max_instances=1".to_string()],
        ),
        (
            "4-node jobs",
            vec!["workload.training.instance_count=4".to_string()],
        ),
    ] {
        let text = fs::read_to_string(quickstart()).unwrap();
        let mut plan = load_plan(&quickstart(), &text, &Default::default(), &extra, &[])
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        plan.variants[0].scenario.replications = 4;
        let estimate = capsim::sweep::estimate::estimate(&plan, 1, 1.0);
        let results = capsim::sweep::run_plan(&plan, 1, None).unwrap();
        let real: u64 = results.iter().map(|r| r.events()).sum();
        let ratio = estimate.events / real as f64;
        println!(
            "{what}: estimated {:.0} events, processed {real}: x{ratio:.2}",
            estimate.events
        );
        assert!((1.0..=4.0).contains(&ratio), "{what}: x{ratio:.2}");
    }
}

#[test]
fn derived_output_names_stay_one_visible_folder_inside_output() {
    use capsim::commands::default_out_dir;
    let long = format!("{}.toml", "a".repeat(300));
    for name in [
        "quickstart.toml",
        "..toml",
        "...toml",
        "..hidden.toml",
        "a/../../etc.toml",
        "/abs/path/x.toml",
        "bell\u{7}and\nnewline\tand\u{1b}[31mred.toml",
        "sp ace$(rm -rf).toml",
        "ünïcödé-名前.toml",
        "\u{202e}lmth.toml",
        long.as_str(),
        ".toml",
        "",
    ] {
        let dir = default_out_dir(Path::new(name));
        let parts: Vec<Component> = dir.components().collect();
        assert_eq!(parts.len(), 2, "{name:?} -> {dir:?}");
        assert_eq!(parts[0], Component::Normal("output".as_ref()), "{name:?}");
        let Component::Normal(leaf) = parts[1] else {
            panic!("{name:?} -> {dir:?}");
        };
        let leaf = leaf.to_str().unwrap();
        assert!(!leaf.starts_with('.'), "{name:?} -> hidden {leaf:?}");
        assert!(
            !leaf
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\'),
            "{name:?} -> {leaf:?}"
        );
        assert!(
            leaf.chars()
                .all(|c| c.is_alphanumeric() || "-_.".contains(c)),
            "{name:?} -> {leaf:?}"
        );
        assert!(leaf.len() <= 255 && leaf.chars().count() <= 100, "{name:?}");
    }
    assert_eq!(
        default_out_dir(Path::new("scenarios/quickstart.toml")),
        Path::new("output/quickstart")
    );
    assert_eq!(
        default_out_dir(Path::new("..toml")),
        Path::new("output/scenario")
    );
    assert_eq!(
        default_out_dir(Path::new("..hidden.toml")),
        Path::new("output/hidden")
    );
}

#[test]
fn a_run_without_out_writes_under_output_of_the_working_folder() {
    let text = fs::read_to_string(quickstart()).unwrap();
    let (tmp, file) = write_temp("..we ird\u{7}name.toml", text);
    let o = run(capsim()
        .current_dir(tmp.path())
        .arg("run")
        .arg(&file)
        .args(["--replications", "1", "--horizon", "2d", "--quiet"]));
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert_eq!(entries(&tmp.path().join("output")), ["we_ird_name"]);
}

/// A scenario whose trace or price list is missing, or is a folder, fails with exit 2 and an
/// error located at the field in the scenario file, and writes nothing.
#[test]
fn missing_or_unreadable_trace_and_price_files_are_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("a-folder.csv")).unwrap();
    let base = r#"horizon = "1d"
PRICES
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 2

[[workload]]
name = "w"
compute = "c"
arrivals = { process = "trace", file = "TRACE", submit_column = "t", time_format = "epoch_s" }
duration = { dist = "constant", value = "10m" }
"#;
    for (prices, trace, line, field) in [
        ("", "no-such-trace.csv", 12, "workload.w.arrivals.file"),
        ("", "a-folder.csv", 12, "workload.w.arrivals.file"),
        (
            "prices = \"no-such-prices.csv\"",
            "a-folder.csv",
            2,
            "prices",
        ),
    ] {
        let text = base.replace("PRICES", prices).replace("TRACE", trace);
        let file = tmp.path().join("s.toml");
        fs::write(&file, &text).unwrap();
        let out = tmp.path().join("out");
        let o = run(capsim()
            .args(["run", file.to_str().unwrap(), "--out"])
            .arg(&out));
        assert_eq!(o.code, Some(2), "{trace}: {}", o.stderr);
        let wanted = format!("{}:{line}:", file.display());
        let first = o.stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with(&wanted) && first.contains(&format!("error: {field}: ")),
            "{prices} {trace}: wanted `{wanted}… {field}`, got:\n{}",
            o.stderr
        );
        let named = if prices.is_empty() {
            trace
        } else {
            "no-such-prices.csv"
        };
        assert!(o.stderr.contains(named), "{}", o.stderr);
        assert!(!out.exists());
    }
}

#[test]
fn report_refuses_a_run_marked_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run(capsim()
        .args(["run", quickstart().to_str().unwrap(), "--out"])
        .arg(&out)
        .args(["--replications", "2", "--horizon", "2d", "--quiet"]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let json = fs::read_to_string(out.join("run.json")).unwrap();
    assert!(json.contains("\"status\": \"complete\""), "{json}");
    fs::write(
        out.join("run.json"),
        json.replace("\"status\": \"complete\"", "\"status\": \"interrupted\""),
    )
    .unwrap();
    let o = run(capsim().arg("report").arg(&out));
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("interrupted"), "{}", o.stderr);
    assert!(!out.join("report.html").exists());

    // Unchanged but for the status, it reports.
    fs::write(out.join("run.json"), &json).unwrap();
    let o = run(capsim().arg("report").arg(&out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(out.join("report.html").exists());
}
