//! The hour-of-week profile shows the setting a sweep recommends: in a sweep with a `[goal]`,
//! `timeseries.csv` holds replication 0 of the recommended setting, which is what a run of that
//! setting alone writes (replication r draws the streams of (seed, r) in every setting), and a
//! merge of shards writes the same.

use crate::support::*;

/// `scenarios/min-nodes.toml` recommends #9 (min_instances = 4, idle 2m): see `verdicts`.
const RECOMMENDED: usize = 9;

#[test]
fn a_sweep_with_a_goal_draws_its_recommended_setting() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep");
    let scenario = repo().join("scenarios/min-nodes.toml");
    let r = run(capsim()
        .args(["run", scenario.to_str().unwrap(), "--report", "-q", "--out"])
        .arg(&sweep));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sweep.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["timeseries_variant"], RECOMMENDED);
    assert_eq!(info["verdicts"][0]["recommended"], RECOMMENDED);

    // The same setting alone: the sweep table cut off, its values written in.
    let text = std::fs::read_to_string(&scenario).unwrap();
    let alone =
        text[..text.find("[sweep]").unwrap()].replace("min_instances = 0", "min_instances = 4");
    let (_tmp, file) = write_temp("alone.toml", alone);
    let out = file.with_file_name("alone");
    let r = run(capsim().args(["run", "-q", "--out"]).arg(&out).arg(&file));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let series = std::fs::read(out.join("timeseries.csv")).unwrap();
    assert_eq!(std::fs::read(sweep.join("timeseries.csv")).unwrap(), series);
    // Four warm nodes from time zero: the sweep's variant 0 (min_instances = 0) starts with none.
    let first = String::from_utf8_lossy(&series)
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(first.starts_with("0,0,gpu-cluster,4,"), "{first}");

    let md = std::fs::read_to_string(sweep.join("report.md")).unwrap();
    assert!(
        md.contains("the recommended setting #9 (min\\_instances = 4")
            || md.contains("the recommended setting #9 (min_instances = 4"),
        "{md}"
    );

    // Shards and their merge: the merge simulates the recommended setting as the run did.
    let mut shards = vec![];
    for k in 1..=2 {
        let d = dir.path().join(format!("shard{k}"));
        let r = run(capsim()
            .args([
                "run",
                scenario.to_str().unwrap(),
                "-q",
                "--shard",
                &format!("{k}/2"),
                "--out",
            ])
            .arg(&d));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        shards.push(d);
    }
    let merged = dir.path().join("merged");
    let r = run(capsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        std::fs::read(merged.join("timeseries.csv")).unwrap(),
        series
    );
}

#[test]
fn without_a_goal_the_series_is_setting_0() {
    let text = std::fs::read_to_string(repo().join("scenarios/min-nodes.toml")).unwrap();
    let no_goal = text[..text.find("[goal]").unwrap()].to_string();
    let (_tmp, file) = write_temp("nogoal.toml", no_goal);
    let out = file.with_file_name("out");
    let r = run(capsim()
        .args([
            "run",
            "-q",
            "--replications",
            "2",
            "--horizon",
            "9d",
            "--out",
        ])
        .arg(&out)
        .arg(&file));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let info = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(!info.contains("timeseries_variant"), "{info}");
    let series = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    // min_instances = 0: no node at time zero.
    assert!(
        series
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("0,0,gpu-cluster,0,"),
        "{series}"
    );
}
