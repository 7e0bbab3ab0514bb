//! What a new user sees in the first minutes (issue 20): where the report is, what a rerun does
//! to an earlier report, what `validate` counts, and a command-line mistake said once.

use crate::support::{capsim, repo, run};

fn quickstart_args(out: &std::path::Path) -> Vec<String> {
    vec![
        "run".into(),
        repo()
            .join("scenarios/quickstart.toml")
            .display()
            .to_string(),
        "--replications".into(),
        "2".into(),
        "--horizon".into(),
        "3d".into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

#[test]
fn run_report_and_rerun_say_where_the_report_is_and_what_became_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let mut args = quickstart_args(&out);
    args.push("--report".into());
    let first = run(capsim().args(&args));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let html = out.join("report.html");
    assert!(html.is_file());
    assert!(
        first
            .stdout
            .contains(&format!("Report: {}", html.display())),
        "{}",
        first.stdout
    );

    // Without --report, the folder is replaced and the earlier report goes: said, with the way
    // to get one back.
    let rerun = run(capsim().args(quickstart_args(&out)));
    assert_eq!(rerun.code, Some(0), "{}", rerun.stderr);
    assert!(!html.exists() && !out.join("report.md").exists());
    assert!(
        rerun.stdout.contains("earlier report") && rerun.stdout.contains("was removed"),
        "{}",
        rerun.stdout
    );
    assert!(!rerun.stdout.contains("Report: "), "{}", rerun.stdout);

    // A rerun into a folder without a report has nothing to say about one.
    let again = run(capsim().args(quickstart_args(&out)));
    assert!(!again.stdout.contains("earlier report"), "{}", again.stdout);

    let report = run(capsim().arg("report").arg(&out));
    assert_eq!(report.code, Some(0), "{}", report.stderr);
    assert!(
        report
            .stdout
            .starts_with(&format!("Report: {}", html.display())),
        "{}",
        report.stdout
    );
}

#[test]
fn validate_counts_endpoints_and_request_workloads_in_their_words() {
    let v = |name: &str| {
        let o = run(capsim()
            .current_dir(repo())
            .args(["validate", &format!("scenarios/{name}.toml")]));
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        // The first line; the offered-load lines follow it (tests/it/offered_load.rs).
        format!("{}\n", o.stdout.lines().next().unwrap_or(""))
    };
    // scenarios/endpoint.toml: one [[endpoint]] and one [[traffic]], no [[compute]] or [[workload]].
    assert_eq!(
        v("endpoint"),
        "scenarios/endpoint.toml: valid (1 variant, 1 endpoint, 1 request workload)\n"
    );
    // 12 = 4 x 3 swept values; one cluster, one [[workload]].
    assert_eq!(
        v("min-nodes"),
        "scenarios/min-nodes.toml: valid (12 variants, 1 compute target, 1 workload)\n"
    );
}

#[test]
fn a_mistake_in_a_set_is_said_once_at_the_command_line_with_every_top_level_key() {
    // min-nodes has 12 variants: the mistake is in none of the swept fields, so it is one error.
    let o = run(capsim().current_dir(repo()).args([
        "validate",
        "scenarios/min-nodes.toml",
        "--set",
        "gol.wait_p95=5m",
    ]));
    assert_eq!(o.code, Some(2));
    assert_eq!(o.stderr.matches("error:").count(), 1, "{}", o.stderr);
    assert!(
        o.stderr
            .starts_with("command line: error: --set gol.wait_p95=5m"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("in variant"), "{}", o.stderr);
    let hint = o.stderr.lines().find(|l| l.contains("hint:")).unwrap();
    for key in ["goal", "sweep", "compute", "endpoint"] {
        assert!(hint.contains(key), "{hint}");
    }
}
