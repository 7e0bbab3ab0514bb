//! `workloads.csv`: one row per variant and workload: how the workload's jobs fared on their
//! target, with means and 95% confidence intervals over replications, and the share of the
//! target's cost its busy time accounts for.

use super::{parameters, schema, variant_cells};
use crate::engine::stats::mean_ci95;
use crate::metrics::workload::W;
use crate::metrics::{M, WORKLOAD_METRICS};
use crate::scenario::sweep::Plan;
use crate::sweep::RunResult;
use crate::text::num;
use crate::workload::ArrivalSpec;

/// Builds `workloads.csv`. Every metric is the mean over replications followed by the
/// half-width of its 95% confidence interval, as in `summary.csv`.
pub fn workloads_csv(plan: &Plan, results: &[RunResult]) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::workloads::FILE.header(&parameters(plan)))?;
    for (v, result) in plan.variants.iter().zip(results) {
        let s = &v.scenario;
        for (i, spec) in s.system.workloads.iter().enumerate() {
            let t = spec.target;
            let target = &s.system.targets[t];
            let (process, skipped) = match &spec.arrivals {
                ArrivalSpec::Poisson(_) => ("poisson", 0),
                ArrivalSpec::Mmpp(_) => ("mmpp", 0),
                ArrivalSpec::Trace(tr) => ("trace", tr.skipped_rows),
            };
            let mut row = variant_cells(v);
            row.extend([
                spec.name.clone(),
                target.name.clone(),
                target.type_name().to_string(),
                process.to_string(),
                spec.batch_size.to_string(),
                spec.priority.to_string(),
                skipped.to_string(),
            ]);
            // Replications without a breakdown (read back from shards) are left out: their
            // cells stay empty rather than claim zero jobs.
            let per_replication: Vec<Vec<f64>> = result
                .rows
                .iter()
                .filter_map(|r| {
                    let tv = &r.targets[t];
                    Some(match tv.workload(i as u32)? {
                        Some(x) => x.values.clone(),
                        None => no_jobs(tv[M::busy_node_hours as usize], tv[M::cost as usize]),
                    })
                })
                .collect();
            row.push(per_replication.len().to_string());
            for m in 0..WORKLOAD_METRICS.len() {
                let xs: Vec<f64> = per_replication
                    .iter()
                    .map(|v| v[m])
                    .filter(|x| x.is_finite())
                    .collect();
                let (mean, ci95) = mean_ci95(&xs);
                row.push(num(mean));
                row.push(num(ci95));
            }
            w.write_record(&row)?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The values of a workload none of whose jobs reached its target in a replication.
fn no_jobs(target_busy_node_hours: f64, target_cost_usd: f64) -> Vec<f64> {
    let mut v = vec![f64::NAN; WORKLOAD_METRICS.len()];
    v[W::jobs_arrived as usize] = 0.0;
    v[W::jobs_completed as usize] = 0.0;
    v[W::busy_node_hours as usize] = 0.0;
    if target_busy_node_hours > 0.0 {
        v[W::cost_share as usize] = 0.0;
        v[W::cost as usize] = 0.0 * target_cost_usd;
    }
    v
}
