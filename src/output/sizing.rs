//! `sizing.csv` (`capsim size`): one row per candidate size, the recommendation first, then by
//! list price; its columns are [`super::schema::sizing`].

use super::schema;
use crate::metrics::Estimate;
use crate::scenario::SizingTarget;
use crate::sizing::report::{SizingRun, ordered};
use crate::sizing::search::Outcome;
use crate::text::num;

/// A mean and its `_ci95` cells; both empty when there is no estimate.
fn est(e: Option<Estimate>) -> [String; 2] {
    match e {
        Some(e) => [num(e.mean), num(e.ci95)],
        None => [String::new(), String::new()],
    }
}

/// Builds `sizing.csv` from the search's outcome.
pub fn sizing_csv(
    outcome: &Outcome,
    goal: &SizingTarget,
    info: &SizingRun,
) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::sizing::FILE.header(&[]))?;
    for r in ordered(outcome) {
        let c = &r.candidate;
        let m = r.measured.as_ref();
        let single = r.single_request.as_ref();
        let cost = match (m, r.instances) {
            (Some(m), Some(_)) => [
                num(m.cost_per_month_usd.mean),
                num(m.cost_per_month_usd.ci95),
            ],
            _ => [
                r.cost_per_month_usd().map_or(String::new(), num),
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
            a.map_or(String::new(), |a| num(a.saving_per_month_usd)),
        ]);
        row.push(info.seed.to_string());
        row.push(info.replications.to_string());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
