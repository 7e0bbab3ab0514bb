//! Inputs found by the fuzz targets in `fuzz/` (`cargo fuzz run scenario`, `cargo fuzz run
//! trace`), minimised and saved under `tests/fuzz_regressions/`, fed to the very same harness
//! functions: the fuzz target files are included here as modules.
//!
//! The saved inputs overflowed integers. Such a bug panics only where overflow checks are on
//! (wrapping silently otherwise), so the harness runs catch it in the test suite's `checked`
//! profile (Cargo.toml) and in debug builds, not under `--release`: `overflow_checks_are_on`
//! fails loudly in a build without them, and each input also has a test of what it must say,
//! which fails on the old behaviour in any profile.

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

/// What the same input says in any profile: the horizon is refused where it is written. The old
/// code accepted it (and, without overflow checks, silently lost the retirement warning).
#[test]
fn huge_horizon_is_refused_where_it_is_written() {
    let text = String::from_utf8(input("scenario-huge-horizon-end-day-overflow.toml")).unwrap();
    let options = capsim::scenario::LoadOptions {
        today: Some(scenario_target::TODAY),
        prices_file: None,
    };
    let errors = match capsim::scenario::parse_with(std::path::Path::new("f.toml"), &text, &options)
    {
        Err(capsim::scenario::LoadError::Invalid { errors, .. }) => errors,
        other => panic!("a horizon of 1e30 s is accepted: {:?}", other.map(|_| ())),
    };
    assert!(
        errors
            .iter()
            .any(|e| e.field == "horizon" && e.line == 1 && e.message.contains("10,000 years")),
        "{errors:#?}"
    );
}

/// The harness tests above catch an overflow only as a panic, which needs overflow checks: the
/// suite's `checked` profile and debug builds have them, `--release` does not. Rather than pass
/// vacuously there, say so.
#[test]
fn overflow_checks_are_on() {
    let wraps =
        std::panic::catch_unwind(|| std::hint::black_box(u64::MAX) + std::hint::black_box(1u64))
            .is_ok();
    assert!(
        !wraps,
        "this build has no overflow checks, so the fuzz regressions cannot catch the bugs they \
         were saved for: run `cargo test --profile checked` (the suite's command), not --release"
    );
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
