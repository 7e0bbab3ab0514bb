//! A `[goal]` measure of one target of one variant, replication by replication: what the
//! trade-off rows, the verdict and `replications = "auto"` compare, paired by replication
//! (common random numbers).

use super::RunResult;
use crate::engine::stats::mean_ci95;
use crate::metrics::{Estimate, M};
use crate::scenario::goal::Measure;

/// The summary.csv metric a measure is read from (a 408 share is derived from two).
pub fn metric(m: Measure) -> M {
    match m {
        Measure::WaitP95 => M::wait_p95,
        Measure::LatencyP50 => M::latency_p50,
        Measure::LatencyP95 => M::latency_p95,
        Measure::LatencyP99 => M::latency_p99,
        Measure::Share429 => M::rejected_429_share,
        Measure::Share408 => M::timed_out_408,
        Measure::SloAttainment => M::slo_attainment,
        Measure::Budget => M::cost_per_month,
    }
}

/// Measure `m` of target `t` in each replication of `result`, in replication order (NaN where
/// undefined, as a latency with nothing served).
pub fn per_replication(result: &RunResult, t: usize, m: Measure) -> Vec<f64> {
    match m {
        Measure::Share408 => result
            .per_replication(t, M::timed_out_408)
            .iter()
            .zip(result.per_replication(t, M::requests))
            .map(|(x, n)| if n > 0.0 { x / n } else { f64::NAN })
            .collect(),
        _ => result.per_replication(t, metric(m)),
    }
}

/// The mean and 95% interval over the replications where `m` is defined.
pub fn estimate(result: &RunResult, t: usize, m: Measure) -> Estimate {
    let xs: Vec<f64> = per_replication(result, t, m)
        .into_iter()
        .filter(|x| x.is_finite())
        .collect();
    let (mean, ci95) = mean_ci95(&xs);
    Estimate {
        mean,
        ci95,
        n: xs.len(),
    }
}

/// `value` in the measure's unit, in words: `5.0 min`, `310 ms`, `0.42%`, `$1,234`.
pub fn format(m: Measure, value: f64) -> String {
    use crate::scenario::goal::Scale;
    if !value.is_finite() {
        return "-".into();
    }
    match m.scale() {
        Scale::Seconds => seconds(value),
        Scale::Milliseconds => format!("{value:.0} ms"),
        Scale::Share => share(value),
        Scale::Usd => usd(value),
    }
}

/// A share as a percentage with enough digits to compare with a bound of 0.1%.
pub fn share(x: f64) -> String {
    let pct = x * 100.0;
    if pct != 0.0 && pct.abs() < 1.0 {
        format!("{pct:.3}%")
    } else {
        format!("{pct:.2}%")
    }
}

/// Whole US dollars with thousands separators.
pub fn usd(x: f64) -> String {
    let whole = x.round() as i64;
    format!(
        "{}${}",
        if whole < 0 { "-" } else { "" },
        crate::text::number::group_thousands(whole.unsigned_abs())
    )
}

/// Seconds as the terminal writes them: `58.1 s`, `7.2 min`, `2.00 h`.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        "-".into()
    } else if s.abs() < 60.0 {
        format!("{s:.1} s")
    } else if s.abs() < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.2} h", s / 3600.0)
    }
}
