//! Statistical validation of the cluster model against closed-form queueing theory.
//!
//! A cluster with `min_instances = max_instances = c`, instant provisioning and single-node jobs
//! is an M/M/c queue when arrivals are Poisson and durations exponential, and an M/G/1 queue when
//! c = 1 and durations follow any other law. For those the stationary mean wait in queue is known
//! exactly: Erlang C for M/M/c, Pollaczek–Khinchine for M/G/1. Each case below simulates one such
//! queue and asserts that
//!
//! - the analytic mean wait lies inside the simulated mean ± its 95% confidence half-width
//!   (`wait_mean_s`, Student t over replications), and that half-width is at most 3% of the
//!   analytic value, so the comparison has teeth;
//! - the utilisation matches ρ within its own 95% half-width, and the cluster bills exactly c
//!   nodes all the time (`nodes_mean` = c, nothing provisioned, peak = c);
//! - Little's law holds: `queue_jobs_mean` = λ · `wait_mean_s`, both on the summaries (within the
//!   combined 95% half-widths) and sample path by sample path in every replication (where the two
//!   sides differ only by the waiting of the few jobs queued at the edges of the window).
//!
//! Run lengths are set from the precision wanted, not from the outcome: for each case a pilot
//! (run with seeds other than the ones below) measured the per-job asymptotic variance of the
//! sample-mean wait relative to Wq² (`rel_var`; for M/M/1 it agrees with the closed form
//! ρ(2+5ρ−4ρ²+ρ³)/(1−ρ)⁴ / Wq²), and the number of jobs is chosen so that the expected 95%
//! half-width is [`TARGET_HALF_WIDTH`] of Wq, well inside the asserted [`MAX_HALF_WIDTH`] even
//! when the estimated spread comes out high. Warm-up is ten relaxation times of the queue.
//! Seeds follow a fixed rule (100 × nodes + 100 × ρ, plus an offset per family) and were never
//! changed to make a case pass.
//!
//! Note on multiplicity: every "inside the 95% interval" check fails by chance 5% of the time
//! even for a perfect simulator. With fixed seeds the outcome is deterministic, but any change to
//! how the engine draws random numbers re-rolls every case, so a lone failure slightly outside
//! its interval after such a change calls for a look at its t-value (printed) before it is taken
//! for a bug.
//!
//! Run with `cargo test --profile checked --test it queueing_theory:: -- --nocapture` to see
//! the table.

use crate::support::{erlang_c, load};
use capsim::metrics::{Estimate, M};
use capsim::sweep::RunResult;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::time::Instant;

/// Expected 95% half-width of the simulated mean wait, as a share of the analytic value.
const TARGET_HALF_WIDTH: f64 = 0.017;
/// Asserted ceiling on the 95% half-width, as a share of the analytic value.
const MAX_HALF_WIDTH: f64 = 0.03;
/// Replications per case: enough for a Student-t interval to mean something.
const REPLICATIONS: u64 = 20;
/// Fewest jobs per case (over all replications), so cheap cases are measured tightly too.
const MIN_JOBS: f64 = 2.0e6;
/// Largest share of a replication's queue area (job-time) by which it may differ from the
/// counted waits: the waiting of jobs queued at the warm-up boundary or at the horizon.
const PATH_GAP: f64 = 2e-3;

// ------------------------------------------------------------------------------------------------
// Closed forms. Time unit: hours; service rate μ = 1/h unless a test says otherwise.

/// Mean wait in queue of M/M/c with arrival rate `lambda` and service rate `mu` per server:
/// Wq = C(c, λ/μ) / (cμ − λ).
fn erlang_c_wq(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (c as f64 * mu - lambda)
}

/// Pollaczek–Khinchine mean wait in queue of M/G/1: Wq = λ·E[S²] / (2(1 − ρ)), with
/// E[S²] = (1 + cv²)·E[S]² and ρ = λ·E[S].
fn pollaczek_khinchine_wq(lambda: f64, mean_s: f64, cv: f64) -> f64 {
    let rho = lambda * mean_s;
    lambda * (1.0 + cv * cv) * mean_s * mean_s / (2.0 * (1.0 - rho))
}

/// Erlang C straight from its definition, summed in log space (log-sum-exp), as an independent
/// check of [`erlang_c`] that also survives c in the thousands.
fn erlang_c_log_space(c: u32, a: f64) -> f64 {
    let rho = a / c as f64;
    // ln(aᵏ/k!) for k = 0..=c.
    let mut ln_terms = Vec::with_capacity(c as usize + 1);
    let mut ln_fact = 0.0;
    for k in 0..=c {
        if k > 0 {
            ln_fact += (k as f64).ln();
        }
        ln_terms.push(k as f64 * a.ln() - ln_fact);
    }
    let ln_top = ln_terms[c as usize] - (1.0 - rho).ln();
    let mut ln_all: Vec<f64> = ln_terms[..c as usize].to_vec();
    ln_all.push(ln_top);
    let max = ln_all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ln_sum = max + ln_all.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
    (ln_top - ln_sum).exp()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

#[test]
fn erlang_c_matches_published_values() {
    // M/M/1: P(wait) = ρ and Wq = ρ / (μ − λ) (any queueing text, e.g. Kleinrock vol. 1 §3.2).
    for (lambda, mu) in [(0.5, 1.0), (0.8, 1.0), (0.95, 1.0), (3.0, 4.0), (0.1, 0.25)] {
        let rho: f64 = lambda / mu;
        assert!(close(erlang_c(1, rho), rho, 1e-12));
        assert!(close(
            erlang_c_wq(1, lambda, mu),
            rho / (mu - lambda),
            1e-12
        ));
    }
    // M/M/2 in closed form: P(wait) = 2ρ² / (1 + ρ), Wq = ρ² / (μ(1 − ρ²)).
    for rho in [0.1, 0.5, 0.8, 0.99] {
        let mu = 2.0;
        let lambda = 2.0 * rho * mu;
        assert!(close(
            erlang_c(2, 2.0 * rho),
            2.0 * rho * rho / (1.0 + rho),
            1e-12
        ));
        let want = rho * rho / (mu * (1.0 - rho * rho));
        assert!(close(erlang_c_wq(2, lambda, mu), want, 1e-12));
    }
    // Exact rationals worked by hand from the definition:
    // c = 3, a = 2: Σ = 1 + 2 + 2 = 5, top = (8/6)/(1/3) = 4, C = 4/9 (the textbook example).
    assert!(close(erlang_c(3, 2.0), 4.0 / 9.0, 1e-12));
    // c = 4, a = 2: Σ = 1 + 2 + 2 + 4/3 = 19/3, top = (16/24)/(1/2) = 4/3, C = 4/23,
    // Wq = (4/23) / (4 − 2) = 2/23 h = 313.04 s.
    assert!(close(erlang_c(4, 2.0), 4.0 / 23.0, 1e-12));
    assert!(close(erlang_c_wq(4, 2.0, 1.0), 2.0 / 23.0, 1e-12));
    // The recurrence agrees with the definition summed in log space, up to c = 5000 where the
    // naive sum would overflow (a^c alone is far beyond f64).
    for c in [1u32, 2, 4, 16, 100, 1000, 5000] {
        for rho in [0.05, 0.5, 0.8, 0.95, 0.999] {
            let a = rho * c as f64;
            let (fast, slow) = (erlang_c(c, a), erlang_c_log_space(c, a));
            assert!(
                (0.0..=1.0).contains(&fast) && close(fast, slow, 1e-9),
                "c={c} ρ={rho}: recurrence {fast} vs log-space {slow}"
            );
        }
    }
    // P-K reduces to M/M/1 for exponential service (cv = 1) and halves it for constant service.
    assert!(close(
        pollaczek_khinchine_wq(0.8, 1.0, 1.0),
        erlang_c_wq(1, 0.8, 1.0),
        1e-12
    ));
    assert!(close(pollaczek_khinchine_wq(0.8, 1.0, 0.0), 2.0, 1e-12));
}

// ------------------------------------------------------------------------------------------------
// Simulation cases.

struct Case {
    /// Queue name for the report, e.g. "M/M/4".
    name: &'static str,
    /// Cluster size: min_instances = max_instances.
    nodes: u32,
    /// Nodes per job (`instance_count`); the queue has nodes / per_job servers.
    per_job: u32,
    /// Per-server load λ·E[S] / servers.
    rho: f64,
    /// The `duration` inline table; every law used here has mean 1 h.
    duration: &'static str,
    /// Squared coefficient of variation of the duration (for the warm-up length only).
    duration_cv2: f64,
    /// Analytic mean wait in queue, hours.
    wq_h: f64,
    /// Pilot estimate of the per-job asymptotic variance of the mean wait, over Wq².
    rel_var: f64,
    seed: u64,
}

const EXPONENTIAL: &str = r#"{ dist = "exponential", mean = "1h" }"#;

impl Case {
    fn servers(&self) -> u32 {
        self.nodes / self.per_job
    }

    /// Jobs per hour.
    fn lambda(&self) -> f64 {
        self.rho * self.servers() as f64
    }

    /// Relaxation time of the queue, hours: M/M/1's 1 / (μ(1 − √ρ)²) (Morse 1955) with the
    /// servers' total rate sμ in place of μ, a heavy-traffic approximation for M/M/s, stretched
    /// by (1 + cv²)/2 for other service laws. At light load the warm-up's floor of 50 mean
    /// durations governs instead.
    fn relaxation_h(&self) -> f64 {
        let s = self.servers() as f64;
        (1.0 + self.duration_cv2) / 2.0 / (s * (1.0 - self.rho.sqrt()).powi(2))
    }

    fn warmup_h(&self) -> f64 {
        (10.0 * self.relaxation_h()).max(50.0).ceil()
    }

    /// Jobs over all replications for the target half-width: h = t·sqrt(rel_var / N).
    fn total_jobs(&self) -> f64 {
        let t = t_975(REPLICATIONS - 1);
        (t * t * self.rel_var / (TARGET_HALF_WIDTH * TARGET_HALF_WIDTH)).max(MIN_JOBS)
    }

    fn observed_h(&self) -> f64 {
        (self.total_jobs() / REPLICATIONS as f64 / self.lambda()).ceil()
    }

    fn horizon_h(&self) -> f64 {
        self.warmup_h() + self.observed_h()
    }

    fn scenario_toml(&self) -> String {
        format!(
            r#"name = "{name} rho={rho}"
horizon = "{horizon}h"
warmup = "{warmup}h"
replications = {reps}
seed = {seed}

[[compute]]
name = "cluster"
type = "amlcompute"
size = "Standard_D2s_v3"
min_instances = {nodes}
max_instances = {nodes}
provisioning_time = {{ dist = "constant", value = 0 }}
price_usd_per_hour = 1.0

[[workload]]
name = "jobs"
compute = "cluster"
arrivals = {{ process = "poisson", rate_per_hour = {lambda:?} }}
duration = {duration}
instance_count = {per_job}
"#,
            name = self.name,
            rho = self.rho,
            horizon = self.horizon_h(),
            warmup = self.warmup_h(),
            reps = REPLICATIONS,
            seed = self.seed,
            nodes = self.nodes,
            lambda = self.lambda(),
            duration = self.duration,
            per_job = self.per_job,
        )
    }
}

fn t_975(df: u64) -> f64 {
    capsim::engine::stats::t_975(df as usize)
}

fn run(case: &Case) -> RunResult {
    let text = case.scenario_toml();
    let loaded = load(&text);
    assert!(
        loaded.warnings.is_empty(),
        "unexpected warnings: {:?}",
        loaded.warnings
    );
    capsim::sweep::run(&loaded.scenario, 0, None).expect("thread pool")
}

/// Runs one case, prints its line, and returns what failed (empty when all holds).
fn check(case: &Case) -> Vec<String> {
    let start = Instant::now();
    let result = run(case);
    let elapsed = start.elapsed().as_secs_f64();
    let summary = &result.summary(1)[0];
    let get = |m: M| -> Estimate { summary[m as usize] };
    let label = format!("{} ρ={}", case.name, case.rho);
    let mut failures = vec![];
    let mut fail = |what: String| failures.push(format!("{label}: {what}"));

    // Mean wait against the closed form.
    let wq_s = case.wq_h * 3600.0;
    let w = get(M::wait_mean);
    let t = t_975(w.n as u64 - 1);
    let t_value = (w.mean - wq_s) / (w.ci95 / t);
    if w.n as u64 != REPLICATIONS {
        fail(format!("wait_mean_s defined in {} replications", w.n));
    }
    if (w.mean - wq_s).abs() > w.ci95 {
        fail(format!(
            "analytic Wq {wq_s:.3} s outside simulated {:.3} ± {:.3} s (t = {t_value:.2})",
            w.mean, w.ci95
        ));
    }
    if w.ci95 > MAX_HALF_WIDTH * wq_s {
        fail(format!(
            "95% half-width {:.3} s is {:.2}% of Wq, above {}%",
            w.ci95,
            100.0 * w.ci95 / wq_s,
            100.0 * MAX_HALF_WIDTH
        ));
    }

    // Utilisation = busy / billed = λ·E[S]·per_job / nodes = ρ; nothing but the c nodes billed.
    let u = get(M::utilization);
    // The issue's 95% criterion is for the mean wait; utilisation is a secondary check, held to
    // a 99.9% interval so that 13 more independent 95% checks do not make the file fail by
    // chance whenever an engine change re-draws the random numbers.
    let u_se = u.ci95 / t_975(u.n as u64 - 1);
    let u_t = (u.mean - case.rho) / u_se;
    let t_999 = StudentsT::new(0.0, 1.0, (u.n - 1) as f64)
        .unwrap()
        .inverse_cdf(0.9995);
    if (u.mean - case.rho).abs() > t_999 * u_se {
        fail(format!(
            "utilization {:.5} ± {:.5} (95%) misses ρ = {} even at 99.9%",
            u.mean, u.ci95, case.rho
        ));
    }
    let nodes = case.nodes as f64;
    let nodes_mean = get(M::nodes_mean);
    // Billed node-hours are an exact integer area divided by the window: equal to c up to the
    // rounding of a few floating-point operations.
    if (nodes_mean.mean - nodes).abs() > 1e-9 * nodes || nodes_mean.ci95 > 1e-9 * nodes {
        fail(format!(
            "nodes_mean {} ± {} is not {nodes}",
            nodes_mean.mean, nodes_mean.ci95
        ));
    }
    for (m, want) in [
        (M::nodes_peak, nodes),
        (M::nodes_requested, 0.0),
        (M::provisioning_node_hours, 0.0),
    ] {
        let e = get(m);
        if e.mean != want || e.ci95 != 0.0 {
            fail(format!(
                "{} = {} ± {}, expected exactly {want}",
                capsim::metrics::METRICS[m as usize].name,
                e.mean,
                e.ci95
            ));
        }
    }

    // Little's law on the summaries: Lq = λ·W, within the combined half-widths.
    let lambda_per_s = case.lambda() / 3600.0;
    let lq = get(M::queue_mean);
    let little = lambda_per_s * w.mean;
    let combined = lq.ci95.hypot(lambda_per_s * w.ci95);
    if (lq.mean - little).abs() > combined {
        fail(format!(
            "Little: queue_jobs_mean {:.5} ± {:.5} vs λ·W {little:.5} ± {:.5}",
            lq.mean,
            lq.ci95,
            lambda_per_s * w.ci95
        ));
    }
    // ... and on every sample path, with the observed arrival rate. The waits counted are those
    // of the jobs that started inside the window (tests/it/wait_window.rs). Queue area over the
    // window minus their waits is the in-window waiting of the jobs queued at the horizon minus
    // the pre-window waiting of the jobs queued at the warm-up's end (whose whole waits count):
    // either sign, a few jobs' waits against a window of tens of thousands of jobs or more. The
    // count of waits is taken as arrivals minus those queued at the horizon, off by the few jobs
    // queued at the warm-up's end: as small. [`PATH_GAP`] leaves room for a long queue at either
    // edge (it takes about fourteen jobs queued at an edge of the M/M/1 ρ = 0.5 runs to reach
    // it) while still catching a wait or an area booked in the wrong window.
    let window_s = case.observed_h() * 3600.0;
    let mut worst_path = 0.0f64;
    for row in &result.rows {
        let v = &row.targets[0];
        let counted = v[M::jobs_arrived as usize] - v[M::queued_at_end as usize];
        let area = v[M::queue_mean as usize] * window_s;
        let waited = counted * v[M::wait_mean as usize];
        let gap = (area - waited) / area;
        if gap.abs() > worst_path.abs() {
            worst_path = gap;
        }
        if !(-PATH_GAP..=PATH_GAP).contains(&gap) {
            fail(format!(
                "replication {}: queue area {area:.1} job·s vs summed waits {waited:.1} job·s",
                row.replication
            ));
        }
    }

    let jobs_per_rep = get(M::jobs_arrived).mean;
    println!(
        "{label:<14} Wq analytic {wq_s:>10.2} s | simulated {:>10.2} ± {:>7.2} s (±{:.2}%, t = {t_value:+.2}) \
         | util {:.5} ± {:.5} (t = {u_t:+.2}) | Lq {:.5} ± {:.5}, λ·W {little:.5}, λ·Wq {:.5}, worst path gap {worst_path:.1e} \
         | nodes_mean {} | {} reps × {:.0} jobs, warm-up {} h, horizon {} h, {:.1} s",
        w.mean,
        w.ci95,
        100.0 * w.ci95 / wq_s,
        u.mean,
        u.ci95,
        lq.mean,
        lq.ci95,
        lambda_per_s * wq_s,
        nodes_mean.mean,
        REPLICATIONS,
        jobs_per_rep,
        case.warmup_h(),
        case.horizon_h(),
        elapsed,
    );
    failures
}

fn check_all(cases: &[Case]) {
    let failures: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// M/M/c with c servers at per-server load ρ; `rel_var` from pilot runs (see the module docs).
fn mmc(name: &'static str, c: u32, rho: f64, rel_var: f64) -> Case {
    Case {
        name,
        nodes: c,
        per_job: 1,
        rho,
        duration: EXPONENTIAL,
        duration_cv2: 1.0,
        wq_h: erlang_c_wq(c, rho * c as f64, 1.0),
        rel_var,
        seed: 100 * c as u64 + (100.0 * rho).round() as u64,
    }
}

#[test]
fn mm1_matches_erlang_c() {
    check_all(&[
        mmc("M/M/1", 1, 0.5, 35.0),
        mmc("M/M/1", 1, 0.8, 155.0),
        mmc("M/M/1", 1, 0.95, 1800.0),
    ]);
}

#[test]
fn mm4_matches_erlang_c() {
    check_all(&[
        mmc("M/M/4", 4, 0.5, 170.0),
        mmc("M/M/4", 4, 0.8, 255.0),
        mmc("M/M/4", 4, 0.95, 2400.0),
    ]);
}

#[test]
fn mm16_matches_erlang_c() {
    check_all(&[
        mmc("M/M/16", 16, 0.5, 2900.0),
        mmc("M/M/16", 16, 0.8, 620.0),
        mmc("M/M/16", 16, 0.95, 3000.0),
    ]);
}

/// M/D/1 and M/G/1 (gamma durations, cv = 2) against Pollaczek–Khinchine.
#[test]
fn mg1_matches_pollaczek_khinchine() {
    let md1 = |rho: f64, rel_var: f64| Case {
        name: "M/D/1",
        nodes: 1,
        per_job: 1,
        rho,
        duration: r#"{ dist = "constant", value = "1h" }"#,
        duration_cv2: 0.0,
        wq_h: pollaczek_khinchine_wq(rho, 1.0, 0.0),
        rel_var,
        seed: 2000 + (100.0 * rho).round() as u64,
    };
    check_all(&[
        md1(0.5, 12.0),
        md1(0.8, 60.0),
        Case {
            name: "M/G/1 Γ cv=2",
            nodes: 1,
            per_job: 1,
            rho: 0.5,
            duration: r#"{ dist = "gamma", mean = "1h", cv = 2.0 }"#,
            duration_cv2: 4.0,
            wq_h: pollaczek_khinchine_wq(0.5, 1.0, 2.0),
            rel_var: 70.0,
            seed: 3050,
        },
    ]);
}

/// Jobs of 4 nodes on an 8-node cluster: nodes free up in fours, so this is M/M/2 in jobs.
#[test]
fn multi_node_jobs_queue_as_mm2() {
    check_all(&[Case {
        name: "8 nodes/4",
        nodes: 8,
        per_job: 4,
        rho: 0.8,
        duration: EXPONENTIAL,
        duration_cv2: 1.0,
        wq_h: erlang_c_wq(2, 1.6, 1.0),
        rel_var: 180.0,
        seed: 4080,
    }]);
}
