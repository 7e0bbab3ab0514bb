//! A managed online endpoint with a fixed instance count, Poisson arrivals and exponential service
//! times is an M/M/c/K queue: c = instances x max_concurrent_requests_per_instance servers and
//! room for K = 2c requests in the system (Azure ML admits at most 2 x mcr x instances in flight
//! and rejects the rest with 429). Its stationary law is known in closed form:
//!
//!   p_n = p_0 aⁿ / n!              for n ≤ c
//!   p_n = p_0 aⁿ / (c! cⁿ⁻ᶜ)       for c < n ≤ K,     a = λ/μ,
//!
//! so the share of requests rejected is p_K (PASTA) and the mean latency of admitted requests is
//! W = L / (λ (1 − p_K)) with L = Σ n p_n (Little's law).
//!
//! Each case asserts that the analytic 429 share and mean latency lie within the simulated mean
//! ± its 99% Student-t interval over replications (t ≤ 3.25 for 9 degrees of freedom; eight
//! checks at 95% would fail by chance one run in three), that the interval is tight enough to
//! mean something, and that every replication conserves requests: arrived = served + 429 + 408 +
//! in flight at the horizon. The timeout is Azure's maximum (180 s), hundreds of mean service
//! times, so no request times out. Seeds are fixed and were not tuned.
//!
//! `cargo test --profile checked --test it endpoint_queueing:: -- --nocapture` prints the table.

use crate::support::load;
use capsim::metrics::M;

struct Case {
    instances: u32,
    mcr: u32,
    rate_per_s: f64,
    mean_service_ms: f64,
    /// Hand-computed 429 share and mean latency, when the case is small enough to do by hand;
    /// they are checked against the general formula below.
    by_hand: Option<(f64, f64)>,
}

/// (p_K, W in ms) of M/M/c/K with K = 2c.
fn mmck(c: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let k = 2 * c;
    let a = lambda / mu;
    // Unnormalised weights built by ratios, never forming a factorial.
    let mut w = vec![1.0f64];
    for n in 1..=k {
        let servers = n.min(c) as f64;
        let prev = w[n as usize - 1];
        w.push(prev * a / servers);
    }
    let total: f64 = w.iter().sum();
    let p: Vec<f64> = w.iter().map(|x| x / total).collect();
    let pk = p[k as usize];
    let l: f64 = p.iter().enumerate().map(|(n, x)| n as f64 * x).sum();
    let w_s = l / (lambda * (1.0 - pk));
    (pk, w_s * 1000.0)
}

fn scenario(case: &Case, seed: u64) -> String {
    format!(
        r#"
horizon = "2h"
warmup = "5m"
replications = 10
seed = {seed}

[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = {n}
request_settings = {{ max_concurrent_requests_per_instance = {mcr}, request_timeout_ms = 180000 }}

[[traffic]]
name = "t"
endpoint = "e"
arrivals = {{ process = "poisson", rate_per_second = {rate} }}
service_time = {{ dist = "exponential", mean = "{ms}ms" }}
"#,
        n = case.instances,
        mcr = case.mcr,
        rate = case.rate_per_s,
        ms = case.mean_service_ms,
    )
}

#[test]
fn hand_computed_cases_agree_with_the_formula() {
    // M/M/1/2, a = 0.8: weights 1, 0.8, 0.64 (sum 2.44). p_2 = 0.64 / 2.44 = 0.262295;
    // L = (0.8 + 1.28) / 2.44 = 0.852459; λ_eff = 4 x (1 − 0.262295) = 2.950820/s;
    // W = 0.852459 / 2.950820 = 0.288889 s.
    let (pk, w) = mmck(1, 4.0, 5.0);
    assert!((pk - 0.262295).abs() < 1e-6, "{pk}");
    assert!((w - 288.889).abs() < 1e-3, "{w}");
    // M/M/2/4, a = 2 (λ = 10/s, μ = 5/s): weights 1, 2, 2, 2, 2 (sum 9). p_4 = 2/9;
    // L = (2 + 4 + 6 + 8) / 9 = 20/9; λ_eff = 10 x 7/9; W = (20/9) / (70/9) = 2/7 s.
    let (pk, w) = mmck(2, 10.0, 5.0);
    assert!((pk - 2.0 / 9.0).abs() < 1e-12, "{pk}");
    assert!((w - 2000.0 / 7.0).abs() < 1e-9, "{w}");
}

#[test]
fn fixed_endpoint_is_an_mmck_queue() {
    let cases = [
        Case {
            instances: 1,
            mcr: 1,
            rate_per_s: 4.0,
            mean_service_ms: 200.0,
            by_hand: Some((0.262295, 288.889)),
        },
        Case {
            instances: 1,
            mcr: 2,
            rate_per_s: 10.0,
            mean_service_ms: 200.0,
            by_hand: Some((2.0 / 9.0, 2000.0 / 7.0)),
        },
        Case {
            instances: 3,
            mcr: 2,
            rate_per_s: 20.0,
            mean_service_ms: 200.0,
            by_hand: None,
        },
        Case {
            instances: 5,
            mcr: 1,
            rate_per_s: 20.0,
            mean_service_ms: 200.0,
            by_hand: None,
        },
        // Overloaded (a = 9 > c = 8): finite admission keeps it stable.
        Case {
            instances: 2,
            mcr: 4,
            rate_per_s: 45.0,
            mean_service_ms: 200.0,
            by_hand: None,
        },
    ];
    let mut failures = vec![];
    println!(
        "{:>4} {:>4} {:>6} | {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8}",
        "inst", "mcr", "λ/s", "429 an.", "429 sim", "±99%", "W ms an.", "W ms sim", "±99%"
    );
    for (i, case) in cases.iter().enumerate() {
        let c = case.instances * case.mcr;
        let mu = 1000.0 / case.mean_service_ms;
        let (pk, w_ms) = mmck(c, case.rate_per_s, mu);
        if let Some((hp, hw)) = case.by_hand {
            assert!((pk - hp).abs() < 1e-5 && (w_ms - hw).abs() < 1e-2);
        }
        let text = scenario(case, 1000 + i as u64);
        let loaded = load(&text);
        let result = capsim::sweep::run(&loaded.scenario, 0, None).expect("thread pool");
        for row in &result.rows {
            let v = &row.targets[0];
            let arrived = v[M::requests as usize];
            let ended = v[M::served as usize]
                + v[M::rejected_429 as usize]
                + v[M::timed_out_408 as usize]
                + v[M::requests_in_flight_at_end as usize];
            assert_eq!(
                arrived, ended,
                "conservation in replication {}",
                row.replication
            );
            assert_eq!(v[M::timed_out_408 as usize], 0.0);
        }
        let s = &result.summary(1)[0];
        let share = s[M::rejected_429_share as usize];
        let lat = s[M::latency_mean as usize];
        // 95% half-width → 99% half-width with 9 df: t(0.995) / t(0.975) = 3.250 / 2.262.
        let widen = 3.250 / 2.262;
        println!(
            "{:>4} {:>4} {:>6} | {:>9.5} {:>9.5} {:>8.5} | {:>9.2} {:>9.2} {:>8.2}",
            case.instances,
            case.mcr,
            case.rate_per_s,
            pk,
            share.mean,
            share.ci95 * widen,
            w_ms,
            lat.mean,
            lat.ci95 * widen
        );
        let label = format!(
            "{} x mcr {} at {}/s",
            case.instances, case.mcr, case.rate_per_s
        );
        if (share.mean - pk).abs() > share.ci95 * widen {
            failures.push(format!(
                "{label}: 429 share {} vs analytic {pk}",
                share.mean
            ));
        }
        if (lat.mean - w_ms).abs() > lat.ci95 * widen {
            failures.push(format!(
                "{label}: latency {} ms vs analytic {w_ms}",
                lat.mean
            ));
        }
        // The comparison has teeth: half-widths within 3% of the latency and, where the share
        // is not tiny, 10% of the share.
        if lat.ci95 > 0.03 * w_ms {
            failures.push(format!("{label}: latency CI too wide ({})", lat.ci95));
        }
        if pk > 0.01 && share.ci95 > 0.1 * pk {
            failures.push(format!("{label}: 429 CI too wide ({})", share.ci95));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
