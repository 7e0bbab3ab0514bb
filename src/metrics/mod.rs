//! What users see: per-replication metric values with units in their names, and their means and
//! 95% confidence intervals over replications.
//!
//! The column list below is the contract `summary.csv` and `replications.csv` are built on; the
//! README documents each column from the `doc` strings here.

use crate::engine::stats::mean_ci95;
use crate::engine::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND};
use crate::targets::{ClusterReport, TargetReport};

pub struct MetricDef {
    pub name: &'static str,
    pub doc: &'static str,
}

macro_rules! metrics {
    ($($id:ident = $name:literal : $doc:literal,)*) => {
        /// Indexes into [`METRICS`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #[repr(usize)]
        pub enum M { $($id,)* }
        pub const METRICS: &[MetricDef] = &[$(MetricDef { name: $name, doc: $doc },)*];
    };
}

metrics! {
    jobs_arrived = "jobs_arrived": "jobs submitted after warm-up",
    jobs_completed = "jobs_completed": "jobs that finished after warm-up",
    throughput = "throughput_jobs_per_hour": "jobs_completed per hour of the observed window (horizon minus warm-up)",
    wait_mean = "wait_mean_s": "mean time from submission to start, seconds, over jobs submitted after warm-up that started before the horizon",
    wait_p50 = "wait_p50_s": "median wait, seconds (histogram with at most 0.1% relative error)",
    wait_p95 = "wait_p95_s": "95th percentile of the wait, seconds",
    wait_p99 = "wait_p99_s": "99th percentile of the wait, seconds",
    wait_max = "wait_max_s": "longest wait, seconds",
    queue_mean = "queue_jobs_mean": "time-average number of queued jobs (Little's law: = arrival rate x wait_mean_s)",
    utilization = "utilization": "busy_node_hours / node_hours: the share of billed node time spent running jobs (0 to 1)",
    nodes_mean = "nodes_mean": "time-average number of allocated (billed) nodes",
    nodes_peak = "nodes_peak": "most nodes allocated at once, over the whole run including warm-up",
    node_hours = "node_hours": "billed node time, hours = busy + idle + provisioning",
    busy_node_hours = "busy_node_hours": "node time running jobs, hours",
    idle_node_hours = "idle_node_hours": "node time allocated and ready but without a job, hours",
    provisioning_node_hours = "provisioning_node_hours": "node time between a node's request and its being ready, hours",
    nodes_requested = "nodes_requested": "nodes the autoscaler asked for during the whole run",
    cost = "cost_usd": "cost of billed node time plus fixed costs, US dollars",
    fixed_cost = "fixed_cost_usd": "costs billed whatever the state (a compute instance's OS disk and load balancer), US dollars",
    startups = "startups": "times a compute instance was started from stopped",
    preemptions = "preemptions": "low-priority nodes taken back by Azure",
    lost_node_hours = "lost_node_hours": "node time of work thrown away by preemption (run since the job's last checkpoint), hours",
    lost_cost = "lost_work_cost_usd": "cost of lost_node_hours, US dollars",
    idle_cost = "idle_cost_usd": "cost of idle plus provisioning node time, US dollars",
    idle_cost_share = "idle_cost_share": "idle_cost_usd / cost_usd (0 to 1)",
    cost_per_job = "cost_per_job_usd": "cost_usd / jobs_completed, US dollars",
    cost_per_30d = "cost_per_30d_usd": "cost_usd scaled to 30 days of the observed window, US dollars",
    idle_cost_per_30d = "idle_cost_per_30d_usd": "idle_cost_usd scaled to 30 days of the observed window, US dollars",
    running_at_end = "jobs_running_at_end": "jobs still running at the horizon",
    queued_at_end = "jobs_queued_at_end": "jobs still queued at the horizon",
}

/// One replication's values, in [`METRICS`] order.
pub type Values = Vec<f64>;

/// Turns one replication's report on one target into metric values.
pub fn values(report: &TargetReport) -> Values {
    match report {
        TargetReport::Cluster(r) => cluster_values(r),
    }
}

fn cluster_values(r: &ClusterReport) -> Values {
    let node_h = |area: u128| area as f64 / MICROS_PER_HOUR as f64;
    let window_h = r.window as f64 / MICROS_PER_HOUR as f64;
    let busy = node_h(r.busy_area);
    let idle = node_h(r.idle_area);
    let prov = node_h(r.provisioning_area);
    let billed = busy + idle + prov;
    let fixed_cost = r.fixed_usd_per_hour * window_h;
    let cost = billed * r.price_usd_per_hour + fixed_cost;
    let idle_cost = (idle + prov) * r.price_usd_per_hour;
    let secs = |us: f64| us / MICROS_PER_SECOND as f64;
    let mut v = vec![f64::NAN; METRICS.len()];
    let mut set = |m: M, x: f64| v[m as usize] = x;
    set(M::jobs_arrived, r.jobs_arrived as f64);
    set(M::jobs_completed, r.jobs_completed as f64);
    set(M::throughput, r.jobs_completed as f64 / window_h);
    set(M::wait_mean, secs(r.waits.mean()));
    set(M::wait_p50, secs(r.waits.quantile(0.50)));
    set(M::wait_p95, secs(r.waits.quantile(0.95)));
    set(M::wait_p99, secs(r.waits.quantile(0.99)));
    set(
        M::wait_max,
        r.waits.max().map_or(f64::NAN, |m| secs(m as f64)),
    );
    set(M::queue_mean, r.queue_area as f64 / r.window as f64);
    set(
        M::utilization,
        if billed > 0.0 {
            busy / billed
        } else {
            f64::NAN
        },
    );
    set(M::nodes_mean, billed / window_h);
    set(M::nodes_peak, r.peak_nodes as f64);
    set(M::node_hours, billed);
    set(M::busy_node_hours, busy);
    set(M::idle_node_hours, idle);
    set(M::provisioning_node_hours, prov);
    set(M::nodes_requested, r.nodes_requested as f64);
    set(M::cost, cost);
    set(M::fixed_cost, fixed_cost);
    set(M::startups, r.startups as f64);
    set(M::preemptions, r.preemptions as f64);
    set(M::lost_node_hours, node_h(r.lost_area));
    set(M::lost_cost, node_h(r.lost_area) * r.price_usd_per_hour);
    set(M::idle_cost, idle_cost);
    set(
        M::idle_cost_share,
        if cost > 0.0 {
            idle_cost / cost
        } else {
            f64::NAN
        },
    );
    set(
        M::cost_per_job,
        if r.jobs_completed > 0 {
            cost / r.jobs_completed as f64
        } else {
            f64::NAN
        },
    );
    let per_30d = (30 * MICROS_PER_DAY) as f64 / r.window as f64;
    set(M::cost_per_30d, cost * per_30d);
    set(M::idle_cost_per_30d, idle_cost * per_30d);
    set(M::running_at_end, r.running_at_end as f64);
    set(M::queued_at_end, r.queued_at_end as f64);
    v
}

/// Mean and 95% CI half-width of one metric over replications. Replications where the metric is
/// undefined (a wait with no jobs) are left out; `n` says how many counted.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
    pub n: usize,
}

pub fn summarize(per_replication: &[&Values]) -> Vec<Estimate> {
    (0..METRICS.len())
        .map(|m| {
            let xs: Vec<f64> = per_replication
                .iter()
                .map(|v| v[m])
                .filter(|x| x.is_finite())
                .collect();
            let (mean, ci95) = mean_ci95(&xs);
            Estimate {
                mean,
                ci95,
                n: xs.len(),
            }
        })
        .collect()
}
