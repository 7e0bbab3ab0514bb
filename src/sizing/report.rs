//! `sizing.csv` and the terminal table: pure functions from an [`Outcome`] to bytes.

use super::Est;
use super::search::{HOURS_PER_30D, Outcome, Row};
use crate::scenario::SizingTarget;
use crate::text::num;
use std::fmt::Write as _;

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
pub fn sizing_csv(outcome: &Outcome, goal: &SizingTarget, info: &RunInfo) -> csv::Result<Vec<u8>> {
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
fn ordered(outcome: &Outcome) -> Vec<&Row> {
    let mut rows: Vec<&Row> = outcome.rows.iter().collect();
    rows.sort_by_key(|r| match r.verdict {
        super::Verdict::Recommended => 0,
        super::Verdict::Meets => 1,
        _ => 2,
    });
    rows
}

fn pm(e: Est, decimals: usize) -> String {
    if !e.mean.is_finite() {
        return "-".into();
    }
    if e.ci95 > 0.0 {
        format!("{:.*} ± {:.*}", decimals, e.mean, decimals, e.ci95)
    } else {
        format!("{:.*}", decimals, e.mean)
    }
}

/// The readable table: every candidate, its count, latencies, 429 share, monthly cost and
/// verdict, then the recommendation in a sentence.
pub fn terminal_table(outcome: &Outcome, goal: &SizingTarget, info: &RunInfo) -> String {
    let p = goal.percentile.label();
    let header = [
        "size".to_string(),
        "USD/h".into(),
        "instances".into(),
        "M/M/c/K".into(),
        "p95 ms".into(),
        "p99 ms".into(),
        "429 %".into(),
        "USD/30d".into(),
        "verdict".into(),
    ];
    let mut cells: Vec<[String; 9]> = vec![header];
    for r in ordered(outcome) {
        let m = r.measured.as_ref();
        cells.push([
            r.candidate.size.clone(),
            r.candidate
                .price_usd_per_hour
                .map_or("-".into(), |x| format!("{x:.3}")),
            r.instances.map_or("-".into(), |n| n.to_string()),
            match r.analytic {
                Some(a) => a.instances.map_or(">max".into(), |n| n.to_string()),
                None => "-".into(),
            },
            m.map_or("-".into(), |m| pm(m.latency_p95_ms, 0)),
            m.map_or("-".into(), |m| pm(m.latency_p99_ms, 0)),
            m.map_or("-".into(), |m| {
                let pct = m.rejected_429_share;
                pm(
                    Est {
                        mean: pct.mean * 100.0,
                        ci95: pct.ci95 * 100.0,
                    },
                    3,
                )
            }),
            r.cost_per_30d_usd()
                .map_or("-".into(), |c| format!("{c:.0}")),
            r.verdict.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Sizing endpoint `{}` of {}: {p} latency <= {} ms and at most {} of requests turned away \
         (429) at {} requests/s; {} replication{} per point, seed {}.",
        info.endpoint,
        info.scenario,
        num(goal.latency_slo_ms),
        num(goal.max_429_share),
        num(goal.peak_rate_per_second),
        info.replications,
        if info.replications == 1 { "" } else { "s" },
        info.seed
    );
    for (k, row) in cells.iter().enumerate() {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i == 8 {
                line.push_str(cell);
            } else if i == 0 {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
        if k == 0 {
            let total: usize = widths[..8].iter().sum::<usize>() + 2 * 8 + "verdict".len();
            let _ = writeln!(s, "{}", "-".repeat(total));
        }
    }
    match outcome.recommended.map(|i| &outcome.rows[i]) {
        Some(r) => {
            let _ = writeln!(
                s,
                "Recommendation: {} x {} ({} ms {p}, {} USD per 30 days at {} USD/h x {} h).",
                r.instances.unwrap_or(0),
                r.candidate.size,
                r.measured.map_or("-".into(), |m| format!(
                    "{:.0}",
                    m.latency_ms(goal.percentile).mean
                )),
                r.cost_per_30d_usd()
                    .map_or("-".into(), |c| format!("{c:.0}")),
                r.candidate
                    .price_usd_per_hour
                    .map_or("-".into(), |x| format!("{x}")),
                HOURS_PER_30D
            );
            if let Some(a) = r.autoscale {
                let _ = writeln!(
                    s,
                    "Autoscale for the traffic's profile: min {}{}, max {} instances (closed form \
                     hour by hour); instant scaling would use {:.0}% of the instance-hours of fixed \
                     peak capacity and save up to {:.0} USD per 30 days. New instances take minutes \
                     (5-15, an assumption): check the rules with [endpoint.autoscale] and capsim run.",
                    a.min_instances,
                    if a.min_instances < AZURE_HA_MIN_INSTANCES {
                        " (Azure recommends at least 3 for high availability)"
                    } else {
                        ""
                    },
                    a.max_instances,
                    a.instance_hours_share * 100.0,
                    a.saving_per_30d_usd
                );
            }
        }
        None => {
            let _ = writeln!(
                s,
                "No size meets the goal: see each size's verdict (relax the SLO, the 429 limit or \
                 the budget, or add candidates)."
            );
        }
    }
    let _ = writeln!(
        s,
        "Means over replications, ± the 95% confidence half-width. {} simulation points.",
        outcome.simulations
    );
    s
}
