//! Per-workload metrics: how each workload fared on its target in one replication, and the
//! share of the target's cost its jobs' busy time accounts for. The contract of `workloads.csv`.

use super::{MetricDef, Unit};
use crate::engine::time::{MICROS_PER_HOUR, MICROS_PER_SECOND};
use crate::targets::ClusterReport;

macro_rules! workload_metrics {
    ($($id:ident = $name:literal [$unit:ident]: $meaning:literal,)*) => {
        /// Indexes into [`WORKLOAD_METRICS`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum W { $($id,)* }
        pub const WORKLOAD_METRICS: &[MetricDef] =
            &[$(MetricDef { name: $name, unit: Unit::$unit, meaning: $meaning },)*];
    };
}

impl W {
    /// The metric's definition.
    pub const fn def(self) -> &'static MetricDef {
        &WORKLOAD_METRICS[self as usize]
    }

    /// Its column name.
    pub const fn name(self) -> &'static str {
        self.def().name
    }
}

workload_metrics! {
    jobs_arrived = "jobs_arrived" [Count]: "the workload's jobs submitted after warm-up",
    jobs_completed = "jobs_completed" [Count]: "the workload's jobs that finished after warm-up",
    wait_mean = "wait_mean_s" [Seconds]: "mean wait of the workload's jobs, seconds (same rules as summary.csv)",
    wait_p95 = "wait_p95_s" [Seconds]: "95th percentile of the workload's waits, seconds",
    busy_node_hours = "busy_node_hours" [Hours]: "node time the workload's jobs ran inside the window, hours (on a compute instance, jobs running together share the node equally)",
    cost_share = "cost_share" [Share]: "busy_node_hours / the target's busy_node_hours: the workload's share of its target's cost (0 to 1)",
    cost = "attributed_cost_usd" [Usd]: "the target's cost_usd × cost_share: the target's whole bill (idle and fixed costs included) split by busy time, US dollars",
}

/// One replication's metrics of one workload, in [`WORKLOAD_METRICS`] order.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadValues {
    /// The workload's index in the scenario.
    pub workload: u32,
    pub values: Vec<f64>,
}

/// The per-workload breakdown of a target's report; `target_cost_usd` is the target's
/// `cost_usd` in the same replication.
pub fn breakdown(r: &ClusterReport, target_cost_usd: f64) -> Vec<WorkloadValues> {
    let secs = |us: f64| us / MICROS_PER_SECOND as f64;
    r.workloads
        .iter()
        .enumerate()
        .map(|(w, wr)| {
            let mut v = vec![f64::NAN; WORKLOAD_METRICS.len()];
            let mut set = |m: W, x: f64| v[m as usize] = x;
            set(W::jobs_arrived, wr.jobs_arrived as f64);
            set(W::jobs_completed, wr.jobs_completed as f64);
            set(W::wait_mean, secs(wr.waits.mean()));
            set(W::wait_p95, secs(wr.waits.quantile(0.95)));
            set(W::busy_node_hours, wr.busy_area / MICROS_PER_HOUR as f64);
            let share = if r.busy_area > 0 {
                wr.busy_area / r.busy_area as f64
            } else {
                f64::NAN
            };
            set(W::cost_share, share);
            set(W::cost, target_cost_usd * share);
            WorkloadValues {
                workload: w as u32,
                values: v,
            }
        })
        .collect()
}
