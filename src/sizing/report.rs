//! `sizing.csv`: a pure function from an [`Outcome`] to bytes.

use super::Est;
use super::search::{Goal, Outcome, Row};
use crate::text::num;

/// "Microsoft recommends at least 3 [instances] for high availability" (azure_semantics.md 4a).
pub const AZURE_HA_MIN_INSTANCES: u32 = 3;

/// What the run was, for every row of `sizing.csv`.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub scenario: String,
    pub endpoint: String,
    pub seed: u64,
    pub replications: u64,
    /// Where each candidate's price comes from (catalog row, price list, discount), by size;
    /// filled by the search, empty before it.
    pub price_sources: Vec<(String, String)>,
}

/// Columns of `sizing.csv`, in order. Latencies are milliseconds; `*_ci95*` are half-widths of
/// 95% confidence intervals over replications.
pub const COLUMNS: &[&str] = &[
    "scenario",
    "endpoint",
    "size",
    "series",
    "vcpus",
    "memory_gib",
    "gpus",
    "gpu_memory_gib",
    "price_usd_per_hour",
    "price_source",
    "verdict",
    "reason",
    "instances",
    "max_concurrent_requests_per_instance",
    "cost_per_30d_usd",
    "cost_per_30d_usd_ci95",
    "percentile",
    "latency_slo_ms",
    "max_429_share",
    "peak_rate_per_second",
    "single_request_latency_at_percentile_ms",
    "single_request_latency_at_percentile_ms_ci95",
    "service_time_mean_ms",
    "service_time_mean_ms_ci95",
    "analytic_instances",
    "analytic_latency_at_percentile_ms",
    "analytic_rejected_429_share",
    "latency_p50_ms",
    "latency_p50_ms_ci95",
    "latency_p95_ms",
    "latency_p95_ms_ci95",
    "latency_p99_ms",
    "latency_p99_ms_ci95",
    "rejected_429_share",
    "rejected_429_share_ci95",
    "timed_out_408_requests",
    "timed_out_408_requests_ci95",
    "slo_attainment",
    "slo_attainment_ci95",
    "simulated_instance_counts",
    "autoscale_min_instances",
    "autoscale_max_instances",
    "autoscale_instance_hours_share",
    "autoscale_saving_per_30d_usd",
    "seed",
    "replications",
];

fn est(e: Option<Est>) -> [String; 2] {
    match e {
        Some(e) => [num(e.mean), num(e.ci95)],
        None => [String::new(), String::new()],
    }
}

/// `sizing.csv`: one row per candidate size, the recommendation first, then by list price.
pub fn sizing_csv(outcome: &Outcome, goal: &Goal, info: &RunInfo) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(COLUMNS)?;
    for r in ordered(outcome) {
        let c = &r.candidate;
        let m = r.measured.as_ref();
        let single = r.single_request.as_ref();
        let cost = match (m, r.instances) {
            (Some(m), Some(_)) => [num(m.cost_per_30d_usd.mean), num(m.cost_per_30d_usd.ci95)],
            _ => [
                r.cost_per_30d_usd().map_or(String::new(), num),
                String::new(),
            ],
        };
        let mut row = vec![
            info.scenario.clone(),
            info.endpoint.clone(),
            c.size.clone(),
            c.series.clone(),
            c.vcpus.to_string(),
            num(c.memory_gib),
            c.gpus.to_string(),
            num(c.gpu_memory_gib),
            c.price_usd_per_hour.map_or(String::new(), num),
            info.price_sources
                .iter()
                .find(|(size, _)| *size == c.size)
                .map_or(String::new(), |(_, source)| source.clone()),
            r.verdict.label().to_string(),
            r.verdict.to_string(),
            r.instances.map_or(String::new(), |n| n.to_string()),
            goal.max_concurrent_requests_per_instance.to_string(),
        ];
        row.extend(cost);
        row.extend([
            goal.percentile.label().to_string(),
            num(goal.latency_slo_ms),
            num(goal.max_429_share),
            num(goal.peak_rate_per_second),
        ]);
        row.extend(est(single.map(|s| s.latency_ms(goal.percentile))));
        row.extend(est(single.map(|s| s.service_time_mean_ms)));
        let a = r.analytic.as_ref();
        row.extend([
            a.and_then(|a| a.instances)
                .map_or(String::new(), |n| n.to_string()),
            a.map_or(String::new(), |a| num(a.latency_ms)),
            a.map_or(String::new(), |a| num(a.rejected_429_share)),
        ]);
        row.extend(est(m.map(|m| m.latency_p50_ms)));
        row.extend(est(m.map(|m| m.latency_p95_ms)));
        row.extend(est(m.map(|m| m.latency_p99_ms)));
        row.extend(est(m.map(|m| m.rejected_429_share)));
        row.extend(est(m.map(|m| m.timed_out_408)));
        row.extend(est(m.map(|m| m.slo_attainment)));
        row.push(
            r.simulated_counts
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(";"),
        );
        let a = r.autoscale.as_ref();
        row.extend([
            a.map_or(String::new(), |a| a.min_instances.to_string()),
            a.map_or(String::new(), |a| a.max_instances.to_string()),
            a.map_or(String::new(), |a| num(a.instance_hours_share)),
            a.map_or(String::new(), |a| num(a.saving_per_30d_usd)),
        ]);
        row.push(info.seed.to_string());
        row.push(info.replications.to_string());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The recommendation first, then the others that meet the goal, then the rest, each group by
/// list price (the order of `outcome.rows`).
pub fn ordered(outcome: &Outcome) -> Vec<&Row> {
    let mut rows: Vec<&Row> = outcome.rows.iter().collect();
    rows.sort_by_key(|r| match r.verdict {
        super::Verdict::Recommended => 0,
        super::Verdict::Meets => 1,
        _ => 2,
    });
    rows
}
