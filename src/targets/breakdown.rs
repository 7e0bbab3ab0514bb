//! Per-workload measures inside a target: which workload's jobs arrived, waited and kept nodes
//! busy. Streaming like the target's own measures (counters, histograms, areas), so memory does
//! not grow with the number of jobs.

use crate::engine::SimTime;
use crate::engine::stats::DurationStats;

/// What one replication measured of one workload's jobs on its target, with the target's
/// window rules: arrivals of jobs submitted after warm-up, waits of jobs started after warm-up
/// (by the horizon), completions after warm-up, busy time inside the window.
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
    /// Waits recorded through [`Breakdown::record_wait`]: `Sole(w)` while every one of them
    /// was workload `w`'s, whose waits then live only in the target's own statistics (a
    /// target fed by one workload, the common case, records each wait once rather than twice).
    waiters: Waiters,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Waiters {
    #[default]
    None,
    Sole(u32),
    /// Two workloads or more have waited: each keeps its own statistics.
    Several,
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

    /// A job of `workload` waited `wait`. `target_waits` are the target's own wait statistics
    /// *before* this wait is added to them: the caller records every wait it passes here there
    /// too, and nothing else. Call [`Breakdown::settle_waits`] before reading the reports.
    #[inline(always)]
    pub fn record_wait(&mut self, workload: u32, wait: SimTime, target_waits: &DurationStats) {
        // The common case, once per job, inline; the rest out of line.
        if self.waiters != Waiters::Sole(workload) {
            self.record_wait_apart(workload, wait, target_waits);
        }
    }

    #[inline(never)]
    fn record_wait_apart(&mut self, workload: u32, wait: SimTime, target_waits: &DurationStats) {
        match self.waiters {
            Waiters::Sole(w) if w == workload => {}
            Waiters::None => self.waiters = Waiters::Sole(workload),
            Waiters::Sole(w) => {
                // Up to now the target's waits were all `w`'s: hand them over, then keep
                // separate books.
                self.of(w).waits = target_waits.clone();
                self.waiters = Waiters::Several;
                self.of(workload).waits.record(wait);
            }
            Waiters::Several => self.of(workload).waits.record(wait),
        }
    }

    /// Gives the sole waiting workload (if any) its waits: all of the target's, `target_waits`.
    pub fn settle_waits(&mut self, target_waits: &DurationStats) {
        if let Waiters::Sole(w) = self.waiters {
            self.of(w).waits = target_waits.clone();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Records like a target does: the breakdown first, then the target's own statistics.
    fn wait(b: &mut Breakdown, target: &mut DurationStats, workload: u32, wait_us: SimTime) {
        b.of(workload).jobs_arrived += 1;
        b.record_wait(workload, wait_us, target);
        target.record(wait_us);
    }

    #[test]
    fn a_sole_workload_gets_the_targets_waits() {
        let (mut b, mut target) = (Breakdown::default(), DurationStats::new());
        for w in [5, 7, 30] {
            wait(&mut b, &mut target, 2, w);
        }
        b.settle_waits(&target);
        // Workload 2 waited 5 + 7 + 30 = 42 µs over 3 jobs: mean 14 µs, max 30 µs.
        let ws = &b.workloads[2].waits;
        assert_eq!((ws.count(), ws.mean(), ws.max()), (3, 14.0, Some(30)));
        assert_eq!(b.workloads[0].waits.count(), 0);
    }

    #[test]
    fn a_second_workload_splits_the_books() {
        let (mut b, mut target) = (Breakdown::default(), DurationStats::new());
        wait(&mut b, &mut target, 0, 5);
        wait(&mut b, &mut target, 0, 7);
        wait(&mut b, &mut target, 1, 10);
        wait(&mut b, &mut target, 0, 1);
        wait(&mut b, &mut target, 1, 20);
        b.settle_waits(&target);
        // Workload 0: 5, 7, 1 (sum 13, max 7); workload 1: 10, 20 (sum 30, max 20); the
        // target: all five (sum 43).
        let (w0, w1) = (&b.workloads[0].waits, &b.workloads[1].waits);
        assert_eq!((w0.count(), w0.mean(), w0.max()), (3, 13.0 / 3.0, Some(7)));
        assert_eq!((w1.count(), w1.mean(), w1.max()), (2, 15.0, Some(20)));
        assert_eq!((target.count(), target.mean()), (5, 43.0 / 5.0));
        // The median of {1, 5, 7} is 5, of {10, 20} (nearest rank) 10: exact below 1024 µs.
        assert_eq!((w0.quantile(0.5), w1.quantile(0.5)), (5.0, 10.0));
    }
}
