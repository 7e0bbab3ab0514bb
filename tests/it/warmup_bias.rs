//! Initialization bias: an M/M/4 at ρ = 0.8 started empty, simulated for 3 days with no
//! warm-up, reports mean waits biased low (the empty start waits less), so its 95% intervals
//! cover the true mean wait (Erlang C) far less often than 95%. MSER-5 on the wait series finds
//! where the transient ends: a run warns when its warm-up is shorter, and `warmup = "auto"`
//! truncates every replication there.
//!
//! The full coverage study (200 intervals of 10 replications for each of five settings) is
//! `#[ignore]`d for its time; run it with
//! `cargo test --test it warmup_bias::coverage_study -- --ignored --nocapture`. The suite keeps
//! a cheap version with loose bounds.
//!
//! Measured (200 intervals of 10 replications each, seeds 1000-1199, waits counted by start
//! time as tests/it/wait_window.rs sets out): 3 days with no warm-up 72%, with "auto" 79.5%;
//! 8 days with no warm-up 86%, "auto" 88.5%, a 5-day warm-up 90.5%; a 5-day warm-up with 30
//! replications per interval 92%, and on 35 days (a 30-day window) 95%. Before waits were
//! counted by start time (they were cut by arrival, which drops the long waits of jobs queued
//! at the horizon), the 8-day figures were 86%, 88% and 88%.
//!
//! MSER can only cut what a run holds: on 3 days the transient of this queue (its relaxation
//! time is about 1 / (μ(√c − √(λ/μ)))² = 22.4 h) is as long as the run, and "auto" now says so
//! (src/sweep/relaxation.rs: a run needs 5 relaxation times, 4.7 days here). What keeps a
//! sufficient warm-up under 95% on a 3-day window is not a bias (the mean of the per-replication
//! means is 43.5 min against 44.7, the ratio bias of a mean over a random number of jobs, 3% of
//! a half-width of about 25 min) but the skew of the per-replication means (skewness about 3,
//! standard deviation 37 min): a Student t interval of 10 of them is too narrow. An
//! independent FCFS simulation on the same setting covers 87% with 10 replications and 88% with
//! 30; a 30-day window (skewness 1.5) brings both to 93-95%, where the issue's figures lie.

use crate::support::{capsim, erlang_c, load, run, write_temp};
use capsim::engine::stats::mean_ci95;
use capsim::metrics::M;

/// λ = 3.2 jobs/h on 4 nodes of mean service 1 h: ρ = 0.8.
const LAMBDA: f64 = 3.2;
const NODES: u32 = 4;

fn scenario(warmup: &str, replications: u64, seed: u64) -> String {
    scenario_over("3d", warmup, replications, seed)
}

fn scenario_over(horizon: &str, warmup: &str, replications: u64, seed: u64) -> String {
    scenario_text(horizon, warmup, replications, seed)
}

/// The M/M/4 scenario (also used by tests/it/wait_window.rs).
pub fn scenario_text(horizon: &str, warmup: &str, replications: u64, seed: u64) -> String {
    format!(
        r#"name = "mm4"
horizon = "{horizon}"
warmup = "{warmup}"
replications = {replications}
seed = {seed}

[[compute]]
name = "cluster"
type = "amlcompute"
size = "Standard_D2s_v3"
min_instances = {NODES}
max_instances = {NODES}
provisioning_time = {{ dist = "constant", value = 0 }}
price_usd_per_hour = 1.0

[[workload]]
name = "jobs"
compute = "cluster"
arrivals = {{ process = "poisson", rate_per_hour = {LAMBDA:?} }}
duration = {{ dist = "exponential", mean = "1h" }}
"#
    )
}

/// The true mean wait in queue, seconds: Wq = C(4, 3.2) / (4μ − λ) hours, μ = 1/h.
fn true_wait_s() -> f64 {
    erlang_c(NODES, LAMBDA) / (NODES as f64 - LAMBDA) * 3600.0
}

/// The share of `trials` 95% intervals (each of `replications` replications, seeds 1000,
/// 1001, ...) that hold the true mean wait.
fn coverage(warmup: &str, trials: u64, replications: u64) -> f64 {
    coverage_over("3d", warmup, trials, replications)
}

fn coverage_over(horizon: &str, warmup: &str, trials: u64, replications: u64) -> f64 {
    let truth = true_wait_s();
    let mut covered = 0;
    for k in 0..trials {
        let s = load(&scenario_over(horizon, warmup, replications, 1000 + k)).scenario;
        let result = capsim::sweep::run(&s, 0, None).expect("thread pool");
        let waits = result.per_replication(0, M::wait_mean);
        let (mean, half) = mean_ci95(&waits);
        if (mean - truth).abs() <= half {
            covered += 1;
        }
    }
    covered as f64 / trials as f64
}

#[test]
fn erlang_c_for_the_case_by_hand() {
    // a = 3.2: sum_{k<4} a^k/k! = 1 + 3.2 + 5.12 + 5.461333 = 14.781333; a^4/4! = 4.369067,
    // / (1 − 0.8) = 21.845333; C = 21.845333 / 36.626667 = 0.596433. Wq = C / 0.8 h = 44.73 min.
    assert!((erlang_c(NODES, LAMBDA) - 0.596_433).abs() < 1e-5);
    assert!(
        (true_wait_s() / 60.0 - 44.732).abs() < 0.01,
        "{}",
        true_wait_s() / 60.0
    );
}

#[test]
fn no_warmup_undercovers_and_auto_on_a_longer_run_covers() {
    // 30 intervals of 10 replications each: loose bounds (a binomial of 30 has a standard error
    // of 4 to 8 points); `coverage_study` gives the figures.
    let none = coverage("0s", 30, 10);
    let auto = coverage_over("8d", "auto", 30, 10);
    println!("coverage of the true mean wait: 3 days no warm-up {none:.2}, 8 days auto {auto:.2}");
    assert!(none < 0.85, "no warm-up covers {none}");
    // Measured 0.93 here, 88.5% in `coverage_study`.
    assert!(auto >= 0.85, "auto covers {auto}");
}

#[test]
#[ignore = "about 50,000 replications: a few minutes in the dev profile"]
fn coverage_study() {
    for (h, w) in [
        ("3d", "0s"),
        ("3d", "auto"),
        ("8d", "0s"),
        ("8d", "auto"),
        ("8d", "5d"),
    ] {
        let c = coverage_over(h, w, 200, 10);
        println!("horizon {h}, warmup {w}: 200 intervals of 10 replications cover {c:.3}");
    }
    // What keeps a sufficient warm-up under 95%: the skew of the per-replication means of a
    // 3-day window, which more replications per interval and a longer window both tame.
    for (h, w, n) in [("8d", "5d", 30), ("35d", "5d", 10)] {
        let c = coverage_over(h, w, 200, n);
        println!("horizon {h}, warmup {w}: 200 intervals of {n} replications cover {c:.3}");
    }
}

#[test]
fn a_short_warmup_warns_and_auto_does_not() {
    let (_tmp, file) = write_temp("mm4.toml", scenario("0s", 10, 7));
    let out = file.with_file_name("out");
    let o = run(capsim().arg("run").arg(&file).arg("--out").arg(&out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("mm4.toml:3:1: warning: warmup: the warm-up (0s) is shorter than"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("warmup = \"auto\""), "{}", o.stderr);
    // On 8 days (8.6 relaxation times) "auto" has a steady state to find: no warning.
    let (_tmp2, file) = write_temp("mm4.toml", scenario_over("8d", "auto", 10, 7));
    let out2 = file.with_file_name("out");
    let o = run(capsim().arg("run").arg(&file).arg("--out").arg(&out2));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!o.stderr.contains("warning"), "{}", o.stderr);
}

#[test]
fn auto_on_a_run_shorter_than_its_transient_says_so_and_how_long_it_must_be() {
    // The relaxation time by hand: E[S] / (sqrt(c) - sqrt(a))^2 = 1 h / (2 - 1.788854)^2 =
    // 1 h / 0.044582 = 22.43 h. 3 days = 72 h is 3.2 of them, under the 5 a run needs (3 to
    // warm up, 2 to measure): 5 x 22.43 h = 112.2 h = 4.7 days.
    let tau_h = 1.0 / (2.0 - LAMBDA.sqrt()).powi(2);
    assert!((tau_h - 22.43).abs() < 0.01, "{tau_h}");
    let (_tmp, file) = write_temp("mm4.toml", scenario("auto", 10, 7));
    let out = file.with_file_name("out");
    let o = run(capsim().arg("run").arg(&file).arg("--out").arg(&out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "mm4.toml:3:1: warning: warmup: the run is too short to hold a steady state: cluster \
             `cluster` (offered load 3.20 of 4 nodes, mean job 1.0 h) takes about 22.4 h"
        ),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("3.2 of them"), "{}", o.stderr);
    assert!(
        o.stderr.contains("set horizon to at least 4.7 days"),
        "{}",
        o.stderr
    );
    // The other warning (warm-up shorter than MSER's point) is for fixed warm-ups only.
    assert!(!o.stderr.contains("is shorter than"), "{}", o.stderr);
}

#[test]
fn auto_warmup_is_deterministic_for_any_thread_count() {
    let s = load(&scenario("auto", 4, 3)).scenario;
    let one = capsim::sweep::run(&s, 1, None).unwrap();
    let two = capsim::sweep::run(&s, 2, None).unwrap();
    let again = capsim::sweep::run(&s, 2, None).unwrap();
    let waits = |r: &capsim::sweep::RunResult| r.per_replication(0, M::wait_mean);
    assert_eq!(waits(&one), waits(&two));
    assert_eq!(waits(&two), waits(&again));
    // Truncated: the same sample path measured from later on differs from no warm-up.
    let none = capsim::sweep::run(&load(&scenario("0s", 4, 3)).scenario, 1, None).unwrap();
    assert_ne!(waits(&one), waits(&none));
}
