//! What several test modules need, written once: files of the repository, temporary scenario
//! files, the `capsim` binary and its output, CSV cells by column, scenario text through the
//! loader, and targets driven by hand through their event queue.

use assert_cmd::Command;
use capsim::engine::time::MICROS_PER_SECOND;
use capsim::engine::{EventQueue, SimTime};
use capsim::metrics::{self, M};
use capsim::scenario::{Diagnostic, LoadError, LoadOptions, Loaded, Scenario};
use capsim::targets::{
    Cluster, ClusterEvent, ClusterReport, Endpoint, EndpointEvent, EndpointSpec, Instance,
    InstanceEvent, Job, Serverless, ServerlessEvent, TargetKind, TargetReport,
};
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// The folder of Cargo.toml.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled quick-start scenario.
pub fn quickstart() -> PathBuf {
    repo().join("scenarios/quickstart.toml")
}

/// The quick-start scenario's text.
pub const QUICKSTART: &str = include_str!("../../scenarios/quickstart.toml");

/// Every scenario shipped in `scenarios/`, sorted.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Names of the entries in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Writes `contents` to a file `name` in a fresh temporary folder, which lives as long as the
/// returned guard.
pub fn write_temp(name: &str, contents: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fs::write(&path, contents).unwrap();
    (dir, path)
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// The path of the `capsim` binary Cargo built beside these tests (in the same profile), for
/// `std::process::Command` where a test signals, kills or traces a run while it goes.
pub fn capsim_path() -> PathBuf {
    std::env::var_os("CAPSIM_TEST_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_capsim")),
        PathBuf::from,
    )
}

/// The `capsim` binary, to run to its end.
pub fn capsim() -> Command {
    Command::new(capsim_path())
}

/// A finished run: exit code (None when killed by a signal), stdout and stderr.
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("capsim runs");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// CSV files
// ---------------------------------------------------------------------------------------------

/// The header and the rows of a CSV file.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The index of column `name`.
pub fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column `{name}` in {header:?}"))
}

/// The rows of a CSV file as (column name -> cell) maps.
pub fn csv_records(path: &Path) -> Vec<HashMap<String, String>> {
    let (header, rows) = read_csv(path);
    rows.into_iter()
        .map(|row| header.iter().cloned().zip(row).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scenario text
// ---------------------------------------------------------------------------------------------

/// 2026-11-27 as days since 1970-01-01, so that retirement checks do not depend on the day the
/// tests run.
pub const TODAY: i64 = 20_784;

/// Load options with [`TODAY`] and no price list.
pub fn options() -> LoadOptions {
    LoadOptions {
        today: Some(TODAY),
        prices_file: None,
    }
}

/// Loads scenario text as a file `name` in the working folder.
pub fn parse_as(name: &str, text: &str) -> Result<Loaded, LoadError> {
    capsim::scenario::parse_with(Path::new(name), text, &options())
}

/// Valid scenario text, as `ok.toml`.
pub fn load(text: &str) -> Loaded {
    parse_as("ok.toml", text).unwrap_or_else(|e| panic!("scenario does not load: {e}\n{text}"))
}

/// The scenario of valid text.
pub fn loads(text: &str) -> Scenario {
    load(text).scenario
}

/// The errors of invalid scenario text, as `bad.toml`.
pub fn errors(text: &str) -> Vec<Diagnostic> {
    match parse_as("bad.toml", text) {
        Ok(_) => panic!("scenario loads but should not:\n{text}"),
        Err(LoadError::Invalid { errors, .. }) => errors,
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// The first diagnostic on `field`, which must be at `line`.
pub fn on<'a>(diags: &'a [Diagnostic], field: &str, line: usize) -> &'a Diagnostic {
    let d = diags
        .iter()
        .find(|d| d.field == field)
        .unwrap_or_else(|| panic!("no diagnostic on {field}: {diags:#?}"));
    assert_eq!(d.line, line, "{d}");
    d
}

/// Asserts one error names `field` and its message contains every one of `words`.
pub fn assert_error(errs: &[Diagnostic], field: &str, words: &[&str]) {
    assert!(
        errs.iter()
            .any(|d| d.field == field && words.iter().all(|w| d.message.contains(w))),
        "no error on `{field}` containing {words:?}; errors: {errs:#?}"
    );
}

/// The spec of the first target of valid scenario text, which must be an endpoint.
pub fn endpoint_spec(text: &str) -> EndpointSpec {
    let scenario = loads(text);
    let TargetKind::Endpoint { spec, .. } = &scenario.system.targets[0].kind else {
        panic!("not an endpoint")
    };
    spec.clone()
}

/// A proptest configuration with a fixed seed, so that every run sees the same cases, and no
/// failure files: `cases` cases, or `PROPTEST_CASES` to search deeper locally.
pub fn proptest_config(seed: u64, cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Closed forms
// ---------------------------------------------------------------------------------------------

/// Erlang C: the probability that an arriving job waits in an M/M/c queue with offered load
/// `a` = λ/μ Erlangs (a < c).
///
/// Computed through Erlang B's recurrence B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), which
/// never forms a power or a factorial and stays in [0, 1], then C = c·B / (c − a·(1 − B)). This
/// equals [aᶜ/c!/(1−ρ)] / [Σ_{k<c} aᵏ/k! + aᶜ/c!/(1−ρ)] with ρ = a/c.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    assert!(c >= 1 && a > 0.0 && a < c as f64, "needs 0 < a < c");
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

// ---------------------------------------------------------------------------------------------
// Targets driven by hand
// ---------------------------------------------------------------------------------------------

/// Simulated microseconds in a second and in a minute.
pub const S: SimTime = MICROS_PER_SECOND;
pub const MIN: SimTime = 60 * S;

/// Seconds to simulated microseconds.
pub const fn s(secs: u64) -> SimTime {
    secs * S
}

/// Node × seconds to a report's node × microseconds.
pub const fn area(node_secs: u64) -> u128 {
    node_secs as u128 * S as u128
}

/// $ per node-hour in the hand-computed timelines: $0.001 per node-second, so that a cost is
/// the billed node-seconds / 1000.
pub const PRICE: f64 = 3.6;

/// A job of workload 0 at priority 0 arriving at `at_s`.
pub fn job(at_s: u64, duration_s: u64, nodes: u32) -> Job {
    Job {
        workload: 0,
        arrival: s(at_s),
        duration: s(duration_s),
        nodes,
        priority: 0,
    }
}

/// Equal to a part in a billion (or within 1e-9 of zero).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

pub fn assert_close(got: f64, want: f64, what: &str) {
    assert!(close(got, want), "{what}: got {got}, want {want}");
}

/// Metric `m` of a cluster-like report (cluster, instance, serverless).
pub fn metric(r: &ClusterReport, m: M) -> f64 {
    metrics::values(&TargetReport::Cluster(r.clone()))[m as usize]
}

/// Every job is either completed, running or queued at the end.
pub fn assert_conserved(r: &ClusterReport) {
    assert_eq!(
        r.total_arrived,
        r.total_completed + r.running_at_end + r.queued_at_end,
        "conservation: {r:?}"
    );
}

/// A target that handles its own events, as `model::run_replication` drives it.
pub trait Driven {
    type Event: std::fmt::Debug;
    fn handle_event(&mut self, now: SimTime, ev: Self::Event, q: &mut EventQueue<Self::Event>);
}

macro_rules! driven {
    ($($target:ty => $event:ty),*) => {$(
        impl Driven for $target {
            type Event = $event;
            fn handle_event(&mut self, now: SimTime, ev: $event, q: &mut EventQueue<$event>) {
                self.handle(now, ev, q);
            }
        }
    )*};
}

driven!(
    Cluster => ClusterEvent,
    Instance => InstanceEvent,
    Serverless => ServerlessEvent,
    Endpoint => EndpointEvent
);

/// Events a test may handle before [`advance`] calls it a runaway.
pub const MAX_EVENTS: u64 = 1_000_000;

/// Handles every event due at or before `to` (events at exactly `to` included). Panics rather
/// than hangs once the queue has processed `max_events`: a model that keeps rescheduling events
/// at one instant.
pub fn advance<T: Driven>(
    target: &mut T,
    q: &mut EventQueue<T::Event>,
    to: SimTime,
    max_events: u64,
) {
    while let Some((now, ev)) = q.pop_until(to) {
        assert!(
            q.processed() < max_events,
            "runaway: {max_events} events by {now} µs, last {ev:?}"
        );
        target.handle_event(now, ev, q);
    }
}
