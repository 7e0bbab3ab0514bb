//! Per-workload measures inside a target: which workload's jobs arrived, waited and kept nodes
//! busy. Streaming like the target's own measures (counters, histograms, areas), so memory does
//! not grow with the number of jobs.

use crate::engine::SimTime;
use crate::engine::stats::DurationStats;

/// What one replication measured of one workload's jobs on its target, with the target's
/// window rules: arrivals and waits of jobs submitted after warm-up, completions after warm-up,
/// busy time inside the window.
#[derive(Clone, Debug, Default)]
pub struct WorkloadReport {
    pub jobs_arrived: u64,
    pub jobs_completed: u64,
    pub waits: DurationStats,
    /// Node × microseconds this workload's jobs ran, inside the window. On a compute instance
    /// the node is shared: `k` jobs running together each count `1/k` of it, so the workloads'
    /// areas add up to the instance's busy area.
    pub busy_area: f64,
}

/// One [`WorkloadReport`] per workload index (the scenario's order), grown when a workload's
/// first job arrives.
#[derive(Clone, Debug, Default)]
pub struct Breakdown {
    pub workloads: Vec<WorkloadReport>,
}

impl Breakdown {
    #[inline]
    pub fn of(&mut self, workload: u32) -> &mut WorkloadReport {
        let w = workload as usize;
        if w >= self.workloads.len() {
            self.workloads.resize_with(w + 1, WorkloadReport::default);
        }
        &mut self.workloads[w]
    }

    /// `nodes` nodes of `workload` ran from `from` to `to`; only the part inside `window` counts.
    #[inline]
    pub fn ran(
        &mut self,
        workload: u32,
        nodes: u32,
        from: SimTime,
        to: SimTime,
        window: (SimTime, SimTime),
    ) {
        let a = from.max(window.0);
        let b = to.min(window.1);
        if b > a {
            self.of(workload).busy_area += nodes as f64 * (b - a) as f64;
        }
    }
}
