//! Issue 19 item 6, the gaps left after the first pass: the base value of a swept field, token
//! counts under the bad-row rule, `repeat` on a window of no length, trace rows past the
//! horizon, and the size of a refused horizon said readably. Each case is worked out by hand
//! from the scenario and trace written here.

use crate::support::{TODAY, capsim};
use capsim::scenario::{Diagnostic, Edits, LoadError, Plan, Severity, Source, load};
use capsim::workload::requests::RequestArrivals;
use std::fs;
use std::path::Path;

/// Writes `files` (name, text) into `dir` and loads `scenario.toml` from it.
fn load_in(dir: &Path, files: &[(&str, &str)], edits: Edits) -> Result<Plan, LoadError> {
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    let path = dir.join("scenario.toml");
    let text = fs::read_to_string(&path).unwrap();
    load(
        &Source::new(path, text),
        &Edits {
            today: Some(TODAY),
            ..edits
        },
    )
}

fn errors_of(r: Result<Plan, LoadError>) -> Vec<Diagnostic> {
    match r {
        Ok(_) => panic!("the scenario loads but should not"),
        Err(LoadError::Invalid { errors, .. }) => errors,
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// The one diagnostic of `severity` on `field`.
fn one<'a>(diags: &'a [Diagnostic], field: &str) -> &'a Diagnostic {
    let on: Vec<_> = diags.iter().filter(|d| d.field == field).collect();
    assert_eq!(on.len(), 1, "one diagnostic on {field}: {diags:#?}");
    on[0]
}

// ---------------------------------------------------------------------------------------------
// (a) The base value of a swept field
// ---------------------------------------------------------------------------------------------

const SWEPT: &str = r#"horizon = "1d"
replications = 1
[[compute]]
name = "gpu"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 8
[[workload]]
name = "training"
compute = "gpu"
arrivals = { process = "poisson", rate_per_hour = 3.0 }
duration = { dist = "exponential", mean = "40m" }
instance_count = BASE
"#;

/// Every variant replaces `instance_count`, so nothing ever ran the base value and a typo in it
/// passed. It is a mistake in the file all the same (and would run the day the axis goes): an
/// error at its own line (13), whether the axis is in `[sweep]` or on the command line.
#[test]
fn a_bad_base_value_of_a_swept_field_is_an_error_at_its_line() {
    for base in ["\"abc\"", "-3", "0"] {
        let text = SWEPT.replace("BASE", base);
        let in_file = format!("{text}[sweep]\n\"workload.training.instance_count\" = [1, 2]\n");
        let dir = tempfile::tempdir().unwrap();
        let e = errors_of(load_in(
            dir.path(),
            &[("scenario.toml", &in_file)],
            Edits::default(),
        ));
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].line, 13, "{base}: {}", e[0]);
        assert_eq!(e[0].column, 18, "{base}: {}", e[0]);
        assert!(
            e[0].hint
                .as_deref()
                .unwrap_or("")
                .contains("[sweep] replaces"),
            "{}",
            e[0]
        );

        let e = errors_of(load_in(
            dir.path(),
            &[("scenario.toml", &text)],
            Edits {
                sweeps: vec!["workload.training.instance_count=1,2".into()],
                ..Edits::default()
            },
        ));
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!((e[0].line, e[0].column), (13, 18), "{base}: {}", e[0]);
    }
    // A valid base value: the two variants load, each with its own count.
    let text = SWEPT.replace("BASE", "4");
    let in_file = format!("{text}[sweep]\n\"workload.training.instance_count\" = [1, 2]\n");
    let dir = tempfile::tempdir().unwrap();
    let plan = load_in(dir.path(), &[("scenario.toml", &in_file)], Edits::default()).unwrap();
    assert_eq!(plan.variants.len(), 2);
}

/// Only the swept field's own problems are the base's: a base that is invalid only in a
/// combination the sweep never runs is not refused for it. Here the base asks 9 nodes per job
/// of an 8-node cluster, but every variant's cluster has 16.
#[test]
fn a_base_invalid_only_in_combination_is_left_to_the_variants() {
    let text = SWEPT.replace("BASE", "9");
    let in_file = format!("{text}[sweep]\n\"compute.gpu.max_instances\" = [16]\n");
    let dir = tempfile::tempdir().unwrap();
    let plan = load_in(dir.path(), &[("scenario.toml", &in_file)], Edits::default());
    assert!(plan.is_ok(), "{:?}", plan.err());
}

// ---------------------------------------------------------------------------------------------
// (b) Token counts follow the bad-row rule
// ---------------------------------------------------------------------------------------------

const LLM: &str = r#"horizon = "1h"
replications = 1
[[endpoint]]
name = "llm"
type = "managed_online"
instance_type = "Standard_NC24ads_A100_v4"
instance_count = 2
[[traffic]]
name = "t"
endpoint = "llm"
arrivals = { process = "trace", file = "req.csv", submit_column = "t", time_format = "epoch_s"ON_BAD }
[traffic.token_model]
input_column = "in"
output_column = "out"
base_ms = 50
per_input_token_ms = 0.1
per_output_token_ms = 25
"#;

/// Lines 3 (a fractional prompt) and 5 (a negative output) are bad rows; 2, 4 and 6 are good.
const REQUESTS: &str = "t,in,out\n0,100,10\n1,100.5,10\n2,200,20\n3,300,-4\n4,0,30\n";

/// Fractional counts used to be rounded and negative ones failed the load whatever
/// `on_bad_row` said. Both are bad rows now: errors at their lines by default, skipped and
/// counted under `skip`, where the three good rows keep their counts.
#[test]
fn token_counts_follow_the_bad_row_rule() {
    let dir = tempfile::tempdir().unwrap();
    let e = errors_of(load_in(
        dir.path(),
        &[
            ("scenario.toml", &LLM.replace("ON_BAD", "")),
            ("req.csv", REQUESTS),
        ],
        Edits::default(),
    ));
    let rows: Vec<(usize, &str)> = e
        .iter()
        .filter(|d| d.file.ends_with("req.csv"))
        .map(|d| (d.line, d.field.as_str()))
        .collect();
    assert_eq!(rows, [(3, "in"), (5, "out")], "{e:#?}");
    assert!(
        e.iter()
            .filter(|d| d.file.ends_with("req.csv"))
            .all(|d| d.message.contains("whole number of zero or more")),
        "{e:#?}"
    );

    let plan = load_in(
        dir.path(),
        &[
            (
                "scenario.toml",
                &LLM.replace("ON_BAD", ", on_bad_row = \"skip\""),
            ),
            ("req.csv", REQUESTS),
        ],
        Edits::default(),
    )
    .unwrap();
    let w = one(&plan.warnings, "traffic.t.arrivals.on_bad_row");
    assert!(
        w.message.contains("skipped 2 bad rows") && w.message.contains("line 3"),
        "{w}"
    );
    let RequestArrivals::Trace(trace) = &plan.variants[0].scenario.system.traffic[0].arrivals
    else {
        panic!("not a trace")
    };
    assert_eq!(trace.tokens, [(100, 10), (200, 20), (0, 30)]);
    assert_eq!(trace.times.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// (c) `repeat` on a window of no length; (d) rows past the horizon
// ---------------------------------------------------------------------------------------------

const JOBS: &str = r#"horizon = "1h"
replications = 1
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 4
[[workload]]
name = "w"
compute = "c"
arrivals = { process = "trace", file = "jobs.csv", submit_column = "t", duration_column = "d", time_format = "epoch_s"MORE }
"#;

/// The column of `needle` on line 11 (1-based), where the arrivals table is written.
fn column_of(text: &str, needle: &str) -> usize {
    let line = text.lines().nth(10).unwrap();
    line.find(needle).unwrap() + 1
}

/// One row (or rows all at one instant) is a window of no length: repeating it every 0 s was
/// silently a single replay. An error at `repeat`; with `end` the window has a length and the
/// same trace repeats.
#[test]
fn repeat_on_a_window_of_no_length_is_an_error_at_the_field() {
    for jobs in ["t,d\n100,60\n", "t,d\n100,60\n100,30\n100,90\n"] {
        let dir = tempfile::tempdir().unwrap();
        let text = JOBS.replace("MORE", ", repeat = true");
        let e = errors_of(load_in(
            dir.path(),
            &[("scenario.toml", &text), ("jobs.csv", jobs)],
            Edits::default(),
        ));
        let d = one(&e, "workload.w.arrivals.repeat");
        assert_eq!(
            (d.line, d.column),
            (11, column_of(&text, "repeat = true") + "repeat = ".len()),
            "{d}"
        );
        assert!(d.message.contains("no length"), "{d}");

        let text = JOBS.replace("MORE", ", repeat = true, end = \"10m\"");
        let plan = load_in(
            dir.path(),
            &[("scenario.toml", &text), ("jobs.csv", jobs)],
            Edits::default(),
        );
        assert!(plan.is_ok(), "{:?}", plan.err());
    }
    // Requests too.
    let dir = tempfile::tempdir().unwrap();
    let text = LLM.replace("ON_BAD", ", repeat = true");
    let e = errors_of(load_in(
        dir.path(),
        &[("scenario.toml", &text), ("req.csv", "t,in,out\n7,1,1\n")],
        Edits::default(),
    ));
    assert_eq!(one(&e, "traffic.t.arrivals.repeat").line, 11, "{e:#?}");
}

/// Horizon 1 h = 3,600 s after the earliest row (t = 0). In file order the rows are at 0,
/// 7,200, 1,800, 3,600, 3,601 and 5,000 s: an arrival at the horizon itself still runs, so the
/// rows at 7,200 (line 3), 3,601 (line 6) and 5,000 (line 7) are the three never simulated,
/// the first of them in the file on line 3. One warning for the trace, at its `file`.
#[test]
fn rows_past_the_horizon_are_counted_once_per_trace() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = "t,d\n0,60\n7200,60\n1800,60\n3600,60\n3601,60\n5000,60\n";
    let text = JOBS.replace("MORE", "");
    let plan = load_in(
        dir.path(),
        &[("scenario.toml", &text), ("jobs.csv", jobs)],
        Edits::default(),
    )
    .unwrap();
    let past: Vec<_> = plan
        .warnings
        .iter()
        .filter(|d| d.message.contains("after the horizon"))
        .collect();
    assert_eq!(past.len(), 1, "{:#?}", plan.warnings);
    let w = past[0];
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(w.field, "workload.w.arrivals.file");
    assert_eq!((w.line, w.column), (11, column_of(&text, "\"jobs.csv\"")));
    assert!(
        w.message.starts_with("3 of the 6 rows")
            && w.message.contains("(1h)")
            && w.message.contains("line 3"),
        "{w}"
    );

    // Within the horizon: no such warning.
    let jobs = "t,d\n0,60\n1800,60\n3600,60\n";
    let plan = load_in(
        dir.path(),
        &[("scenario.toml", &text), ("jobs.csv", jobs)],
        Edits::default(),
    )
    .unwrap();
    assert!(
        !plan
            .warnings
            .iter()
            .any(|d| d.message.contains("after the horizon")),
        "{:#?}",
        plan.warnings
    );
}

// ---------------------------------------------------------------------------------------------
// A refused horizon, readably
// ---------------------------------------------------------------------------------------------

/// `horizon = 1e300` (seconds) used to be refused with its size in days: 296 digits. It is
/// said as written in seconds with its size in years (1e300 / 31,557,600 = 3.2e292), and a
/// horizon just over the cap (4,000,000 days = 10,951.4 years) in days with the years grouped.
#[test]
fn a_refused_horizon_is_said_readably() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    fs::write(&scenario, SWEPT.replace("BASE", "1")).unwrap();
    for (value, said) in [
        ("1e300", "got 1e300s (about 3.2e292 years)"),
        ("\"4000000d\"", "got 4000000d (about 10,951 years)"),
    ] {
        let out = capsim()
            .arg("validate")
            .arg(&scenario)
            .args(["--set", &format!("horizon={value}")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let line = stderr
            .lines()
            .find(|l| l.contains("10,000 years"))
            .unwrap_or_else(|| panic!("no refusal: {stderr}"));
        assert!(line.ends_with(said), "{line}");
        assert!(line.len() < 120, "{line}");
    }
    // `--horizon` is refused before the scenario is read, with the value as given.
    let out = capsim()
        .arg("run")
        .arg(&scenario)
        .args(["--horizon", "1e300", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--horizon: must be at most 10,000 years, got 1e300\n"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
}
