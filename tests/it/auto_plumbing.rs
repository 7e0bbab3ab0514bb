//! `replications = "auto"` as a run: the replications the procedure ran are the ones written
//! (once), what the terminal says about them is true, and the combinations it cannot serve are
//! refused with the ways on.

use crate::support::*;
use std::path::Path;

// The M/M/c sweep of `auto_replications` (a = 3 erlangs, 4 to 7 nodes, p95 goal 30 min), whose
// settings end with different counts: 10 for the settings surely out, more for the contested.
use crate::auto_replications::SCENARIO;

/// The number after `before` and before `after` in `text`, commas dropped.
fn number_between(text: &str, before: &str, after: &str) -> u64 {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in {text}"))
        + before.len();
    let rest = &text[at..];
    let end = rest
        .find(after)
        .unwrap_or_else(|| panic!("no {after:?} in {rest}"));
    rest[..end].trim().replace(',', "").parse().unwrap()
}

fn run_auto(dir: &Path, args: &[&str]) -> Output {
    let file = dir.join("mmc.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    run(capsim()
        .arg("run")
        .arg(&file)
        .args(["--seed", "3", "--out"])
        .arg(dir.join("out"))
        .args(args))
}

#[test]
fn the_rows_written_are_the_rows_the_procedure_ran_and_the_events_printed_are_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_auto(dir.path(), &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // Every replication's events, as written.
    let rows = csv_records(&dir.path().join("out/replications.csv"));
    let written: u64 = rows
        .iter()
        .map(|r| r["events"].parse::<u64>().unwrap())
        .sum();
    // The procedure's total and the run's total are the events of those rows: the procedure
    // ran replication 0 of variant 0 with the time series (whose samples count as events), so
    // the rows it decided on are the rows written, not a second simulation of them.
    let run_line = number_between(&out.stdout, "counts. ", " events in");
    let auto = out
        .stdout
        .lines()
        .find(|l| l.starts_with("replications = \"auto\""))
        .expect("the auto line");
    let auto_line = number_between(auto, "replications, ", " events, in all");
    assert_eq!((run_line, auto_line), (written, written), "{}", out.stdout);
    // The counts the line gives are those of the rows.
    let total = number_between(auto, "batches (", " replications,");
    assert_eq!(total, rows.len() as u64);
}

#[test]
fn every_replication_is_simulated_once() {
    use capsim::commands::{Observer, RunRequest};
    use std::sync::atomic::{AtomicU64, Ordering};
    #[derive(Default)]
    struct Ticks(AtomicU64);
    impl Observer for Ticks {
        fn progress(&self, n: u64) {
            self.0.fetch_add(n, Ordering::Relaxed);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mmc.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let ticks = Ticks::default();
    let outcome = capsim::commands::run(
        RunRequest {
            file,
            edits: capsim::scenario::Edits {
                seed: Some(3),
                ..Default::default()
            },
            out: Some(dir.path().join("out")),
            threads: 2,
            ..RunRequest::default()
        },
        &ticks,
    )
    .unwrap();
    let log = outcome
        .auto
        .expect("an auto run says what the procedure did");
    let replications: u64 = log.replications.iter().sum();
    // One progress tick per replication simulated, and as many as were written.
    assert_eq!(ticks.0.load(Ordering::Relaxed), replications);
    let rows = csv_records(&dir.path().join("out/replications.csv"));
    assert_eq!(rows.len() as u64, replications);
    assert_eq!(outcome.events, log.events);
}

#[test]
fn a_shard_of_an_auto_run_is_refused_with_the_ways_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_auto(dir.path(), &["--shard", "1/2"]);
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    // Located at the line that says "auto", naming the field.
    assert!(
        out.stderr
            .contains("mmc.toml:4:1: error: replications: \"auto\" cannot run as a shard"),
        "{}",
        out.stderr
    );
    for words in [
        "every setting's results",
        "unsharded",
        "--replications 10",
        "max_replications = 80",
    ] {
        assert!(out.stderr.contains(words), "{words:?} in {}", out.stderr);
    }
    assert!(
        !dir.path().join("out").exists(),
        "a refused shard writes nothing"
    );
    // With a fixed count, the same shard runs.
    let fixed = run_auto(dir.path(), &["--shard", "1/2", "--replications", "10"]);
    assert_eq!(fixed.code, Some(0), "{}", fixed.stderr);
}

#[test]
fn the_header_run_json_and_report_give_the_replications_the_settings_ended_with() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_auto(dir.path(), &["--report"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // The counts by variant, from replications.csv.
    let rows = csv_records(&dir.path().join("out/replications.csv"));
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for r in &rows {
        *counts.entry(r["variant"].clone()).or_default() += 1;
    }
    let (lo, hi) = (
        counts.values().min().copied().unwrap(),
        counts.values().max().copied().unwrap(),
    );
    assert!(
        lo < hi,
        "the case must end with different counts: {counts:?}"
    );
    let header = out.stdout.lines().next().unwrap();
    assert_eq!(
        header,
        format!(
            "mmc-auto: 4 variants x {lo}\u{2013}{hi} replications per setting (auto) of 4d \
             (warm-up 1d), seed 3"
        )
    );
    // run.json: each variant's count, in variant order (its `replications` is variant 0's).
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/run.json")).unwrap())
            .unwrap();
    let by_variant: Vec<u64> = json["replications_by_variant"]
        .as_array()
        .expect("replications_by_variant under auto")
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(by_variant, counts.values().copied().collect::<Vec<_>>());
    // A verdict's count is that of the settings it names, not variant 0's.
    for d in json["verdicts"].as_array().expect("the goal's verdicts") {
        let named = d["recommended"]
            .as_u64()
            .into_iter()
            .chain(
                d["contested"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["variant"].as_u64().unwrap()),
            )
            .map(|v| by_variant[v as usize])
            .max()
            .expect("the case's verdict names a setting");
        assert_eq!(d["replications"].as_u64(), Some(named), "{d}");
    }
    // The report states the range, not variant 0's count as every setting's.
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    for said in [
        format!("means over {lo}\u{2013}{hi} replications per setting"),
        format!("{lo}\u{2013}{hi} independent replications per setting"),
    ] {
        assert!(md.contains(&said), "report.md lacks {said:?}:\n{md}");
    }
}

#[test]
fn a_fixed_count_run_json_has_no_replications_by_variant() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mmc.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let out = run(capsim()
        .arg("run")
        .arg(&file)
        .args(["--seed", "3", "--replications", "3", "--out"])
        .arg(dir.path().join("out")));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = std::fs::read_to_string(dir.path().join("out/run.json")).unwrap();
    assert!(!text.contains("replications_by_variant"), "{text}");
}

#[test]
fn the_resource_guard_counts_every_setting_at_max_replications() {
    use capsim::scenario::{Edits, Source, load};
    use capsim::sweep::estimate::{Limits, MAX_DISK_BYTES, estimate_on};
    let plan = |replications: Option<u64>| {
        let edits = Edits {
            today: Some(TODAY),
            replications,
            ..Default::default()
        };
        load(&Source::new("mmc.toml", SCENARIO), &edits).unwrap()
    };
    let auto = estimate_on(&plan(None), 1, 1.0, true, 1);
    let at_max = estimate_on(&plan(Some(80)), 1, 1.0, true, 1);
    let first_batch = estimate_on(&plan(Some(10)), 1, 1.0, true, 1);
    // 4 settings x max_replications = 80, the events of 80 fixed replications each.
    assert_eq!(auto.replications, 320);
    assert_eq!(auto.events, at_max.events);
    // A machine on which the first batch fits but the worst case does not: refused, saying so.
    let limits = Limits {
        max_seconds: 2.0 * first_batch.seconds,
        memory_available_bytes: None,
        memory_total_bytes: None,
        disk_free_bytes: None,
        max_disk_bytes: MAX_DISK_BYTES,
        cores: 1,
    };
    assert!(first_batch.check(&limits).is_ok());
    let refused = auto.check(&limits).unwrap_err().to_string();
    for words in [
        "up to 320 replications in all",
        "replications = \"auto\" at its max_replications = 80 per setting",
        "max_replications <= ",
    ] {
        assert!(refused.contains(words), "{words:?} in {refused}");
    }
    // Shards refuse "auto": not a way on.
    assert!(!refused.contains("--shard"), "{refused}");
}

#[test]
fn an_auto_run_stopped_before_any_setting_finished_reports_none() {
    use capsim::commands::RunRequest;
    use std::sync::atomic::AtomicBool;
    static STOP: AtomicBool = AtomicBool::new(true);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mmc.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let outcome = capsim::commands::run(
        RunRequest {
            file,
            out: Some(dir.path().join("out")),
            threads: 1,
            cancel: Some(&STOP),
            ..RunRequest::default()
        },
        &capsim::commands::Silent,
    )
    .unwrap();
    // The procedure honours Ctrl-C: no replication ran, no setting is reported.
    assert!(outcome.interrupted && outcome.plan.variants.is_empty());
    assert_eq!(outcome.events, 0);
    let note = std::fs::read_to_string(dir.path().join("out/INCOMPLETE.txt")).unwrap();
    assert!(note.contains("0 of 4 variants finished"), "{note}");
    assert_eq!(outcome.status().unwrap_err().exit_code(), 130);
}
