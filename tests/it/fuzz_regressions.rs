//! Inputs found by the fuzz targets in `fuzz/` (`cargo fuzz run scenario`, `cargo fuzz run
//! trace`), minimised and saved under `tests/fuzz_regressions/`, fed to the very same harness
//! functions: the fuzz target files are included here as modules.
//!
//! The saved inputs overflowed integers. Such a bug panics only where overflow checks are on
//! (wrapping silently otherwise), so these tests can catch it in the test suite's `checked`
//! profile (Cargo.toml) and in debug builds, not under `--release`.
//!
//! A test marked `#[ignore = "bug: ..."]` still fails: it describes the bug and runs with
//! `cargo test --profile checked --test it fuzz_regressions:: -- --ignored`.

#[path = "../../fuzz/fuzz_targets/scenario.rs"]
mod scenario_target;
#[path = "../../fuzz/fuzz_targets/trace.rs"]
mod trace_target;

use crate::support::repo;

fn input(name: &str) -> Vec<u8> {
    let path = repo().join("tests/fuzz_regressions").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn scenario(name: &str) {
    scenario_target::run(&input(name));
}

#[allow(dead_code)]
fn trace(name: &str) {
    trace_target::run(&input(name));
}

/// The seed corpus's shipped scenarios run through the harness without a panic, so a harness
/// that is broken (rather than the code under test) shows up here.
#[test]
fn shipped_scenarios_pass_the_harness() {
    let dir = repo();
    for name in ["quickstart.toml", "min-nodes.toml"] {
        scenario_target::run(&std::fs::read(dir.join("scenarios").join(name)).unwrap());
    }
    let philly = std::fs::read(dir.join("scenarios/traces/philly_vc_11cb48.csv")).unwrap();
    trace_target::run(&philly[..4000.min(philly.len())]);
}

/// `horizon = "1e30"` used to validate (a huge but finite duration), and the retirement check's
/// end day, `start_day + (h / 86_400.0).ceil() as i64` in `src/scenario/validate.rs`
/// (`end_day`), overflowed: `as i64` saturates to i64::MAX and the addition panicked with
/// overflow checks on and wrapped to a negative day without them, so retirement warnings inside
/// the horizon were silently lost. The same happened without `start_date` (the start is then
/// today). A horizon over 10,000 years is now refused first.
#[test]
fn scenario_huge_horizon_end_day_overflow() {
    scenario("scenario-huge-horizon-end-day-overflow.toml");
}

/// A sweep range whose value count does not fit a `usize`: `range()` in
/// `src/scenario/sweep.rs` computed `((to - from) / step + 1e-9).floor() as usize + 1`; the cast
/// saturates to usize::MAX and the `+ 1` overflowed: a panic with overflow checks on, and
/// without them n wrapped to 0, so the range was reported as having "no values" rather than as
/// "more than 100000 values". The count is now compared in floating point first.
#[test]
fn scenario_sweep_range_count_overflow() {
    scenario("scenario-sweep-range-count-overflow.toml");
}

/// What the same input should say: the range is too long, not empty.
#[test]
fn sweep_range_too_long_is_not_reported_as_empty() {
    let text = String::from_utf8(input("scenario-sweep-range-count-overflow.toml")).unwrap();
    let options = capsim::scenario::LoadOptions {
        today: Some(scenario_target::TODAY),
        prices_file: None,
    };
    let error = capsim::scenario::sweep::load_plan(
        std::path::Path::new("f.toml"),
        &text,
        &options,
        &[],
        &[],
    )
    .expect_err("a range of 1e300 values")
    .to_string();
    assert!(
        error.contains("more than 100000"),
        "the error does not say the range is too long: {error}"
    );
}
