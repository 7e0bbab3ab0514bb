//! Deliberately broken scenarios: every file in `tests/broken/` is validated by the real binary,
//! from `tests/` so that paths print as `broken/<name>.toml`, and must exit with code 2 and print
//! the diagnostics its header comments announce.
//!
//! The header is the run of `#` lines at the top of the file. Its first line says which check the
//! file covers; the others are directives:
//!
//! - `# args: A B ...` extra command-line arguments (`--deny-warnings`, `--prices FILE`);
//! - `# expect: LINE` and `# expect-warning: LINE`: a line of stderr that must appear verbatim
//!   (compared after trimming, so `  hint: ...` lines are written `# expect: hint: ...`);
//! - `# expect-count: N`: the summary line says `N error(s) in the scenario`;
//! - `# expect-contains: TEXT`: some line of stderr contains TEXT;
//! - `# reject: TEXT`: no line of stderr contains TEXT;
//! - `# bug: WHAT`: the file shows a known bug. The sweep over all files then checks only its
//!   `# invariant: TEXT` lines (substrings of stderr that hold before and after a fix); the file's
//!   other directives are checked by its own test below (`#[ignore = "bug: ..."]` while the bug
//!   is open; none is now).

use crate::support::{Output, entries, repo, run};
use assert_cmd::Command;
use std::fs;
use std::path::PathBuf;

/// Files with a `# bug:` directive, each checked in full by its own test below.
const BUG_FILES: &[&str] = &[
    "cuda_on_cpu_requires_gpu_false.toml",
    "empty_key.toml",
    "horizon_below_one_tick.toml",
    "internal_type_names.toml",
    "max_invalid_cascade.toml",
    "param_not_applicable.toml",
    "quota_below_one_node.toml",
    "quota_shared.toml",
    "retired_same_day.toml",
    "warmup_rounds_to_horizon.toml",
];

fn tests_dir() -> PathBuf {
    repo().join("tests")
}

fn capsim() -> Command {
    let mut cmd = crate::support::capsim();
    cmd.current_dir(tests_dir());
    cmd
}

/// Names of the `.toml` files in `tests/broken/`, sorted.
fn broken_files() -> Vec<String> {
    let names: Vec<String> = entries(&tests_dir().join("broken"))
        .into_iter()
        .filter(|n| n.ends_with(".toml"))
        .collect();
    assert!(
        names.len() >= 40,
        "expected the broken scenarios, found {names:?}"
    );
    names
}

#[derive(Debug, Default)]
struct Spec {
    name: String,
    description: String,
    args: Vec<String>,
    /// `# expect:` and `# expect-warning:` lines.
    lines: Vec<String>,
    warnings: Vec<String>,
    count: Option<usize>,
    contains: Vec<String>,
    invariants: Vec<String>,
    rejects: Vec<String>,
    bug: Option<String>,
}

fn spec(name: &str) -> Spec {
    let text = fs::read_to_string(tests_dir().join("broken").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut s = Spec {
        name: name.to_string(),
        ..Spec::default()
    };
    for (i, line) in text.lines().take_while(|l| l.starts_with('#')).enumerate() {
        let body = line.trim_start_matches('#').trim_start();
        let directive = body
            .split_once(": ")
            .filter(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        let Some((key, value)) = directive else {
            if i == 0 {
                s.description = body.to_string();
            }
            continue;
        };
        let value = value.trim().to_string();
        match key {
            "args" => s.args = value.split_whitespace().map(String::from).collect(),
            "expect" => s.lines.push(value),
            "expect-warning" => {
                s.lines.push(value.clone());
                s.warnings.push(value);
            }
            "expect-count" => {
                s.count = Some(
                    value
                        .parse()
                        .unwrap_or_else(|_| panic!("{name}: bad expect-count `{value}`")),
                )
            }
            "expect-contains" => s.contains.push(value),
            "invariant" => s.invariants.push(value),
            "reject" => s.rejects.push(value),
            "bug" => s.bug = Some(value),
            other => panic!("{name}: unknown directive `# {other}:`"),
        }
    }
    s
}

fn validate(s: &Spec, with_args: bool) -> Output {
    let mut cmd = capsim();
    cmd.arg("validate").arg(format!("broken/{}", s.name));
    if with_args {
        cmd.args(&s.args);
    }
    run(&mut cmd)
}

fn has_line(stderr: &str, want: &str) -> bool {
    stderr.lines().any(|l| l.trim() == want)
}

fn has_substring(stderr: &str, want: &str) -> bool {
    stderr.lines().any(|l| l.contains(want))
}

/// What is wrong with `out` for `s`: everything when `full`, else only the invariants.
fn problems(s: &Spec, out: &Output, full: bool) -> Vec<String> {
    let mut p = vec![];
    for want in &s.invariants {
        if !has_substring(&out.stderr, want) {
            p.push(format!("missing (invariant): {want}"));
        }
    }
    if !full {
        return p;
    }
    if out.code != Some(2) {
        p.push(format!("exit code {:?}, expected 2", out.code));
    }
    for want in &s.lines {
        if !has_line(&out.stderr, want) {
            p.push(format!("missing line: {want}"));
        }
    }
    if let Some(n) = s.count {
        let summary = format!("{n} error{} in the scenario", if n == 1 { "" } else { "s" });
        if !has_line(&out.stderr, &summary) {
            p.push(format!("missing summary: {summary}"));
        }
    }
    for want in &s.contains {
        if !has_substring(&out.stderr, want) {
            p.push(format!("no line contains: {want}"));
        }
    }
    for bad in &s.rejects {
        if has_substring(&out.stderr, bad) {
            p.push(format!("a line contains what it must not: {bad}"));
        }
    }
    p
}

fn report(name: &str, out: &Output, problems: &[String]) -> String {
    format!(
        "broken/{name}:\n  - {}\n  exit code {:?}; stderr:\n{}",
        problems.join("\n  - "),
        out.code,
        out.stderr
    )
}

#[test]
fn every_broken_scenario_reports_its_expected_diagnostics() {
    let mut failures = vec![];
    for name in broken_files() {
        let s = spec(&name);
        let out = validate(&s, true);
        let p = problems(&s, &out, s.bug.is_none());
        if !p.is_empty() {
            failures.push(report(&name, &out, &p));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each file says what it covers, expects something, and every `file:line:column` it expects
/// lies inside the file (columns may point one past the end of a line, for syntax errors).
#[test]
fn broken_files_are_well_formed() {
    for name in broken_files() {
        let s = spec(&name);
        assert!(!s.description.is_empty(), "{name}: no description line");
        let expects = s.lines.len() + s.contains.len() + s.rejects.len() + s.count.iter().count();
        assert!(expects > 0, "{name}: expects nothing");
        if s.bug.is_none() {
            assert!(
                s.count.is_some() || !s.warnings.is_empty(),
                "{name}: says neither how many errors nor which warnings"
            );
        }
        let text = fs::read_to_string(tests_dir().join("broken").join(&name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let prefix = format!("broken/{name}:");
        for want in s.lines.iter().chain(&s.invariants) {
            let Some(rest) = want.strip_prefix(&prefix) else {
                continue;
            };
            let mut it = rest.splitn(3, ':');
            let (Some(l), Some(c)) = (it.next(), it.next()) else {
                continue;
            };
            let (Ok(l), Ok(c)) = (l.parse::<usize>(), c.parse::<usize>()) else {
                continue;
            };
            assert!(
                l >= 1 && l <= lines.len(),
                "{name}: line {l} outside the file"
            );
            let width = lines[l - 1].chars().count();
            assert!(
                c >= 1 && c <= width + 1,
                "{name}: column {c} outside line {l} ({width} characters)"
            );
        }
    }
}

#[test]
fn bug_files_are_the_ones_with_their_own_tests() {
    let with_bug: Vec<String> = broken_files()
        .into_iter()
        .filter(|n| spec(n).bug.is_some())
        .collect();
    assert_eq!(with_bug, BUG_FILES);
}

/// Files that only warn (they need `--deny-warnings` to fail) validate with exit 0 without it,
/// and still print their warnings.
#[test]
fn warnings_alone_do_not_fail_validation() {
    let mut seen = 0;
    for name in broken_files() {
        let s = spec(&name);
        if s.bug.is_some() || s.count.is_some() || s.warnings.is_empty() {
            continue;
        }
        assert!(s.args.iter().any(|a| a == "--deny-warnings"), "{name}");
        seen += 1;
        let out = validate(&s, false);
        assert_eq!(out.code, Some(0), "{name}: {}", out.stderr);
        assert!(
            out.stdout.contains(&format!("broken/{name}: valid")),
            "{name}: {}",
            out.stdout
        );
        for w in &s.warnings {
            assert!(
                has_line(&out.stderr, w),
                "{name}: missing {w}\n{}",
                out.stderr
            );
        }
        assert!(!out.stderr.contains("error"), "{name}: {}", out.stderr);
    }
    assert_eq!(
        seen, 3,
        "max_over_default_limit, retired_allowed, retiring_in_horizon"
    );
}

#[test]
fn retired_series_with_allow_retired_validates_with_a_warning() {
    let out = run(capsim().args(["validate", "broken/retired_allowed.toml"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("broken/retired_allowed.toml: valid ("),
        "{}",
        out.stdout
    );
    assert!(has_line(
        &out.stderr,
        "broken/retired_allowed.toml:12:8: warning: compute.c.size: Standard_NC6s_v3 (NCv3 series) \
         was retired on 2025-09-30, before the simulated start 2026-12-01"
    ));
}

/// Only amlcompute exists as a target type, and it runs every job kind, `designer` included;
/// kinds are matched case-insensitively.
#[test]
fn every_job_kind_is_accepted_on_amlcompute() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["designer", "Designer", "command", "automl", "pipeline"] {
        let file = dir.path().join("kind.toml");
        fs::write(
            &file,
            format!(
                "horizon = \"1d\"\n\n[[compute]]\nname = \"c\"\ntype = \"amlcompute\"\n\
                 size = \"Standard_D2s_v3\"\n\n[[workload]]\nname = \"w\"\ncompute = \"c\"\n\
                 arrivals = {{ process = \"poisson\", rate_per_hour = 1.0 }}\n\
                 duration = {{ dist = \"constant\", value = \"10m\" }}\nkind = \"{kind}\"\n"
            ),
        )
        .unwrap();
        let out = run(capsim().arg("validate").arg(&file).arg("--deny-warnings"));
        assert_eq!(out.code, Some(0), "kind = {kind}: {}", out.stderr);
        assert!(out.stderr.is_empty(), "kind = {kind}: {}", out.stderr);
    }
}

/// `run` on an invalid scenario fails with exit 2 before creating anything: the output folder is
/// left absent (or empty).
#[test]
fn run_on_an_invalid_scenario_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for name in broken_files() {
        let s = spec(&name);
        if s.bug.is_some() {
            continue;
        }
        let out_dir = tmp.path().join(name.trim_end_matches(".toml")).join("out");
        let out = run(capsim()
            .arg("run")
            .arg(format!("broken/{name}"))
            .arg("--out")
            .arg(&out_dir)
            // No `--replications`: a flag's value replaces the file's, and would mend
            // zero_replications.toml. Nothing is simulated: every file fails to load.
            .arg("--quiet")
            .args(&s.args));
        assert_eq!(out.code, Some(2), "{name}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{name}: {}", out.stdout);
        let left: Vec<_> = match fs::read_dir(&out_dir) {
            Ok(rd) => rd.map(|e| e.unwrap().file_name()).collect(),
            Err(_) => vec![],
        };
        assert!(left.is_empty(), "{name}: run left {left:?} in {out_dir:?}");
    }
}

#[test]
fn missing_scenario_file_is_an_input_error() {
    let out = run(capsim().args(["validate", "broken/no-such-scenario.toml"]));
    assert_eq!(out.code, Some(2));
    assert!(
        has_line(
            &out.stderr,
            "cannot read scenario file broken/no-such-scenario.toml: No such file or directory (os error 2)"
        ),
        "{}",
        out.stderr
    );
}

/// `--prices` replaces the scenario's own `prices`: a valid list makes the broken one irrelevant.
#[test]
fn prices_flag_overrides_the_scenario_price_list() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    fs::write(&good, "size,price_usd_per_hour\nStandard_D2s_v3,0.05\n").unwrap();
    let out = run(capsim()
        .args(["validate", "broken/bad_price_row.toml", "--prices"])
        .arg(&good));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

fn check_bug(name: &str) {
    let s = spec(name);
    assert!(s.bug.is_some(), "{name} is not marked as a bug");
    let out = validate(&s, true);
    let p = problems(&s, &out, true);
    assert!(p.is_empty(), "{}", report(name, &out, &p));
}

#[test]
fn bug_param_not_applicable_location() {
    check_bug("param_not_applicable.toml");
}

#[test]
fn bug_empty_field_in_syntax_error() {
    check_bug("empty_key.toml");
}

#[test]
fn bug_max_instances_error_cascades_into_min_instances() {
    check_bug("max_invalid_cascade.toml");
}

#[test]
fn bug_cuda_on_cpu_blames_requires_gpu() {
    check_bug("cuda_on_cpu_requires_gpu_false.toml");
}

#[test]
fn bug_quota_hint_suggests_zero_nodes() {
    check_bug("quota_below_one_node.toml");
}

#[test]
fn bug_quota_is_not_shared_between_clusters() {
    check_bug("quota_shared.toml");
}

#[test]
fn bug_type_errors_name_internal_structs() {
    check_bug("internal_type_names.toml");
}

#[test]
fn bug_retired_same_day_wording() {
    check_bug("retired_same_day.toml");
}

#[test]
fn bug_horizon_below_one_tick_is_accepted() {
    check_bug("horizon_below_one_tick.toml");
}

#[test]
fn bug_warmup_equal_to_horizon_after_rounding_is_accepted() {
    check_bug("warmup_rounds_to_horizon.toml");
}
