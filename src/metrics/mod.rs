//! What users see: per-replication metric values with units in their names, and their means and
//! 95% confidence intervals over replications.
//!
//! The list below is the contract `summary.csv` and `replications.csv` are built on: each
//! metric's column name, unit and meaning, from which [`crate::output::schema`] builds those
//! files' headers and `docs/outputs.md` their column tables.

use crate::catalog::HOURS_PER_MONTH;
use crate::engine::stats::{DurationStats, mean_ci95};
use crate::engine::time::{MICROS_PER_HOUR, MICROS_PER_SECOND};
use crate::targets::{BatchReport, Billing, ClusterReport, EndpointReport, TargetReport};

/// The unit of the values of an output column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Words: a name, a label, a list.
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A whole number that identifies (an index, a seed), not a quantity.
    Integer,
    /// A number of things (jobs, nodes, requests); a mean of counts may be fractional.
    Count,
    /// Things per hour.
    PerHour,
    /// Things per second.
    PerSecond,
    Seconds,
    Milliseconds,
    Hours,
    Gibibytes,
    Usd,
    UsdPerHour,
    /// A ratio from 0 to 1.
    Share,
    /// `yes` or `no`.
    YesNo,
    /// A percentage.
    Percent,
    /// Whatever the row's own `unit` column says (files with one row per measure).
    OfRow,
}

impl Unit {
    /// How the unit is written in the column tables of `docs/outputs.md`.
    pub const fn label(self) -> &'static str {
        match self {
            Unit::Text => "text",
            Unit::Date => "date",
            Unit::Integer => "integer",
            Unit::Count => "count",
            Unit::PerHour => "per hour",
            Unit::PerSecond => "per second",
            Unit::Seconds => "s",
            Unit::Milliseconds => "ms",
            Unit::Hours => "hours",
            Unit::Gibibytes => "GiB",
            Unit::Usd => "USD",
            Unit::UsdPerHour => "USD per hour",
            Unit::Share => "0 to 1",
            Unit::YesNo => "yes / no",
            Unit::Percent => "%",
            Unit::OfRow => "the row's `unit`",
        }
    }
}

/// One metric: its column name (which carries its unit: `_s`, `_ms`, `_hours`, `_usd`), the unit
/// and what it means.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricDef {
    pub name: &'static str,
    pub unit: Unit,
    pub meaning: &'static str,
}

macro_rules! metrics {
    ($($id:ident = $name:literal [$unit:ident]: $meaning:literal,)*) => {
        /// Indexes into [`METRICS`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum M { $($id,)* }
        pub const METRICS: &[MetricDef] =
            &[$(MetricDef { name: $name, unit: Unit::$unit, meaning: $meaning },)*];
    };
}

impl M {
    /// The metric's definition.
    pub const fn def(self) -> &'static MetricDef {
        &METRICS[self as usize]
    }

    /// Its column name.
    pub const fn name(self) -> &'static str {
        self.def().name
    }
}

metrics! {
    jobs_arrived = "jobs_arrived" [Count]: "jobs submitted after warm-up",
    jobs_completed = "jobs_completed" [Count]: "jobs that finished after warm-up",
    throughput = "throughput_jobs_per_hour" [PerHour]: "jobs_completed per hour of the observed window (horizon minus warm-up)",
    wait_mean = "wait_mean_s" [Seconds]: "mean time from submission to start, seconds, over jobs that started after warm-up and by the horizon, whenever submitted",
    wait_p50 = "wait_p50_s" [Seconds]: "median wait, seconds (histogram with at most 0.1% relative error)",
    wait_p95 = "wait_p95_s" [Seconds]: "95th percentile of the wait, seconds",
    wait_p99 = "wait_p99_s" [Seconds]: "99th percentile of the wait, seconds",
    wait_max = "wait_max_s" [Seconds]: "longest wait, seconds",
    queue_mean = "queue_jobs_mean" [Count]: "time-average number of queued jobs (Little's law: = arrival rate × wait_mean_s)",
    utilization = "utilization" [Share]: "busy_node_hours / node_hours: the share of billed node time spent running jobs (0 to 1); for endpoints, busy request slots over the slots of billed instances",
    nodes_mean = "nodes_mean" [Count]: "time-average number of allocated (billed) nodes",
    nodes_peak = "nodes_peak" [Count]: "most nodes allocated at once, over the whole run including warm-up",
    node_hours = "node_hours" [Hours]: "billed node time, hours = busy + idle + provisioning + evicting",
    busy_node_hours = "busy_node_hours" [Hours]: "node time running jobs, hours",
    idle_node_hours = "idle_node_hours" [Hours]: "node time allocated and ready but without a job, hours",
    provisioning_node_hours = "provisioning_node_hours" [Hours]: "node time between a node's request and its being ready, hours",
    evicting_node_hours = "evicting_node_hours" [Hours]: "node time of low-priority nodes taken back but not yet gone (billed, doing nothing: Spot, from 2026-03-31), hours",
    nodes_requested = "nodes_requested" [Count]: "nodes the autoscaler asked for during the whole run",
    cost = "cost_usd" [Usd]: "cost of billed node time plus fixed costs, US dollars",
    fixed_cost = "fixed_cost_usd" [Usd]: "costs billed whatever the state (a compute instance's OS disk and load balancer), US dollars",
    startups = "startups" [Count]: "times a compute instance was started from stopped",
    preemptions = "preemptions" [Count]: "low-priority nodes taken back by Azure",
    lost_node_hours = "lost_node_hours" [Hours]: "node time of work thrown away by preemption (run since the job's last checkpoint), hours",
    lost_cost = "lost_work_cost_usd" [Usd]: "cost of lost_node_hours, US dollars",
    idle_cost = "idle_cost_usd" [Usd]: "cost of idle plus provisioning node time, US dollars",
    idle_cost_share = "idle_cost_share" [Share]: "idle_cost_usd / cost_usd (0 to 1)",
    cost_per_job = "cost_per_job_usd" [Usd]: "cost_usd / jobs_completed, US dollars",
    cost_per_month = "cost_per_month_usd" [Usd]: "cost_usd scaled to a month (730 hours, as Azure's pricing calculator counts) of the observed window, US dollars",
    idle_cost_per_month = "idle_cost_per_month_usd" [Usd]: "idle_cost_usd scaled to a month (730 hours) of the observed window, US dollars",
    spot_price_paid = "spot_price_paid_usd_per_hour" [UsdPerHour]: "low-priority clusters simulated from 2026-03-31 (Spot): the mean price paid per node-hour in the replication (its Spot price varies, capped at pay-as-you-go), US dollars per hour",
    dedicated_cost = "dedicated_cost_usd" [Usd]: "low-priority clusters simulated from 2026-03-31 (Spot): cost_usd of the same cluster at tier dedicated, simulated in the same replication on the same jobs (no evictions, pay-as-you-go), US dollars",
    costs_more_than_dedicated = "costs_more_than_dedicated" [Share]: "low-priority clusters simulated from 2026-03-31 (Spot): 1 when cost_usd exceeds dedicated_cost_usd in the replication, else 0 (its mean is the probability that the low-priority cluster costs more than the same cluster dedicated)",
    running_at_end = "jobs_running_at_end" [Count]: "jobs still running at the horizon",
    queued_at_end = "jobs_queued_at_end" [Count]: "jobs still queued at the horizon",
    requests = "requests" [Count]: "endpoints: requests that arrived after warm-up (= served + rejected_429 + rejected_503 + timed_out_408 + requests_in_flight_at_end)",
    served = "served" [Count]: "endpoints: requests answered within request_timeout_ms",
    rejected_429 = "rejected_429" [Count]: "endpoints: requests rejected with HTTP 429 because 2 × max_concurrent_requests_per_instance × ready instances were already in flight",
    rejected_429_share = "rejected_429_share" [Share]: "endpoints: rejected_429 / requests (0 to 1)",
    rejected_503 = "rejected_503" [Count]: "kubernetes_online endpoints: requests rejected with HTTP 503 (beyond 2 × max_concurrent_requests_per_instance × ready replicas)",
    timed_out_408 = "timed_out_408" [Count]: "endpoints: requests ended with HTTP 408 at request_timeout_ms (waiting or running)",
    requests_in_flight_at_end = "requests_in_flight_at_end" [Count]: "endpoints: requests still running or waiting at the horizon",
    latency_mean = "latency_mean_ms" [Milliseconds]: "endpoints: mean latency (wait for a slot plus service) of served requests, milliseconds",
    latency_p50 = "latency_p50_ms" [Milliseconds]: "endpoints: median latency of served requests, milliseconds",
    latency_p95 = "latency_p95_ms" [Milliseconds]: "endpoints: 95th percentile of the latency of served requests, milliseconds",
    latency_p99 = "latency_p99_ms" [Milliseconds]: "endpoints: 99th percentile of the latency of served requests, milliseconds",
    service_time_mean = "service_time_mean_ms" [Milliseconds]: "endpoints: mean service time (time holding a slot) of served requests, milliseconds",
    slo_attainment = "slo_attainment" [Share]: "endpoints with an slo: share of requests that ended (served, 429 or 408) served within slo.latency_ms (0 to 1)",
    slo_met = "slo_met" [Share]: "endpoints with an slo: 1 when slo_attainment reaches slo.percentile, else 0 (its mean is the share of replications meeting the SLO)",
    instance_hours = "instance_hours" [Hours]: "endpoints: instance time (ready plus provisioning; replicas for kubernetes_online), hours",
    instances_mean = "instances_mean" [Count]: "endpoints: time-average number of instances (ready plus provisioning)",
    instances_peak = "instances_peak" [Count]: "endpoints: most instances at once, over the whole run including warm-up",
    scale_events = "scale_events" [Count]: "endpoints: autoscale actions (out or in) after warm-up",
    cost_per_1000_requests = "cost_per_1000_requests_usd" [Usd]: "endpoints: cost_usd per 1,000 served requests, US dollars",
    batch_jobs_failed = "batch_jobs_failed" [Count]: "batch endpoints: jobs stopped because their failed files exceeded error_threshold (submitted after warm-up)",
    batch_jobs_cancelled = "batch_jobs_cancelled" [Count]: "batch endpoints, and clusters that run them: jobs cancelled after warm-up because preemption took all their nodes; Azure does not resubmit them (jobs_arrived = jobs_completed + batch_jobs_cancelled + jobs_running_at_end + jobs_queued_at_end without warm-up)",
    job_duration_mean = "job_duration_mean_s" [Seconds]: "batch endpoints: mean time from invocation to the end of its last mini-batch (waiting for nodes included), seconds, over jobs that succeeded",
    job_duration_p50 = "job_duration_p50_s" [Seconds]: "batch endpoints: median of job_duration, seconds",
    job_duration_p95 = "job_duration_p95_s" [Seconds]: "batch endpoints: 95th percentile of job_duration, seconds",
    mini_batches = "mini_batches" [Count]: "batch endpoints: mini-batches scored",
    mini_batches_failed = "mini_batches_failed" [Count]: "batch endpoints: mini-batches that ran past retry_settings.timeout on every attempt (1 + max_retries)",
    mini_batch_retries = "mini_batch_retries" [Count]: "batch endpoints: attempts stopped at retry_settings.timeout and tried again",
    mini_batches_requeued = "mini_batches_requeued" [Count]: "batch endpoints: mini-batches queued again because their node was preempted",
    files_scored = "files_scored" [Count]: "batch endpoints: input files in mini-batches scored",
    files_failed = "files_failed" [Count]: "batch endpoints: input files in failed mini-batches",
    cost_per_1000_files = "cost_per_1000_files_usd" [Usd]: "batch endpoints: cost_usd per 1,000 files scored, US dollars",
    spend_busy = "spend_busy_usd" [Usd]: "where the money goes (the spend_ columns add up to cost_usd): useful work. Node targets and batch endpoints: busy node time minus the lost work in spend_lost_work_usd; endpoints: the instance capacity requests used (request-seconds / max_concurrent_requests_per_instance), US dollars",
    spend_floor = "spend_floor_usd" [Usd]: "where the money goes: idle nodes held only by min_instances (at each instant, min(idle, max(0, min_instances − nodes not idle)) of the idle nodes), US dollars; 0 for endpoints",
    spend_tail = "spend_tail_usd" [Usd]: "where the money goes: the other idle nodes, above the minimum, waiting for scale-down (a compute instance's idle time before it stops), US dollars; 0 for endpoints",
    spend_provisioning = "spend_provisioning_usd" [Usd]: "where the money goes: node (or instance) time provisioning, from request to ready, US dollars",
    spend_lost_work = "spend_lost_work_usd" [Usd]: "where the money goes: work thrown away and run again (since the last checkpoint, at a preemption, an eviction or a compute instance's scheduled stop), evicted nodes billed while they go, and batch mini-batch attempts stopped at retry_settings.timeout or with their failed job, US dollars",
    spend_headroom = "spend_headroom_usd" [Usd]: "where the money goes, endpoints: ready instance capacity no request used, (ready instance-seconds × max_concurrent_requests_per_instance − request-seconds) / max_concurrent_requests_per_instance at the instance price, US dollars; 0 for other targets",
    spend_fixed = "spend_fixed_usd" [Usd]: "where the money goes: costs billed whatever the state (fixed_cost_usd, a compute instance's disk and load balancer), US dollars; 0 where there are none",
}

pub mod workload;
pub use workload::{WORKLOAD_METRICS, WorkloadValues};

/// One replication's values of one target: its metrics in [`METRICS`] order (what the value
/// reads as: a `Vec<f64>`), plus the same replication's per-workload breakdown of the target
/// (for `workloads.csv`; `None` when the values were read back from a file that does not keep
/// it, such as a shard's rows).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    metrics: Vec<f64>,
    pub workloads: Option<Vec<WorkloadValues>>,
}

impl std::ops::Deref for Values {
    type Target = Vec<f64>;
    fn deref(&self) -> &Vec<f64> {
        &self.metrics
    }
}

impl std::ops::DerefMut for Values {
    fn deref_mut(&mut self) -> &mut Vec<f64> {
        &mut self.metrics
    }
}

impl From<Vec<f64>> for Values {
    fn from(metrics: Vec<f64>) -> Self {
        Values {
            metrics,
            workloads: None,
        }
    }
}

impl FromIterator<f64> for Values {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        Values::from(iter.into_iter().collect::<Vec<f64>>())
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = &'a f64;
    type IntoIter = std::slice::Iter<'a, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.metrics.iter()
    }
}

impl Values {
    /// The breakdown of workload `w` (its index in the scenario): `None` without a breakdown,
    /// `Some(None)` when none of its jobs reached this target.
    pub fn workload(&self, w: u32) -> Option<Option<&WorkloadValues>> {
        let list = self.workloads.as_ref()?;
        Some(list.iter().find(|x| x.workload == w))
    }
}

/// Turns one replication's report on one target into metric values.
pub fn values(report: &TargetReport) -> Values {
    let mut v: Values = match report {
        TargetReport::Cluster(r) => cluster_values(r),
        TargetReport::Endpoint(r) => endpoint_values(r),
        TargetReport::Batch(r) => batch_values(r),
    }
    .into();
    if let TargetReport::Cluster(r) = report {
        v.workloads = Some(workload::breakdown(r, v[M::cost as usize]));
    }
    v
}

/// The wait columns from a wait histogram, in seconds.
fn waits(v: &mut [f64], w: &DurationStats) {
    let secs = |us: f64| us / MICROS_PER_SECOND as f64;
    v[M::wait_mean as usize] = secs(w.mean());
    v[M::wait_p50 as usize] = secs(w.quantile(0.50));
    v[M::wait_p95 as usize] = secs(w.quantile(0.95));
    v[M::wait_p99 as usize] = secs(w.quantile(0.99));
    v[M::wait_max as usize] = w.max().map_or(f64::NAN, |m| secs(m as f64));
}

/// One replication's cost of one target split by where the money goes, in US dollars: the
/// parts add up to its `cost_usd`.
struct Spend {
    busy: f64,
    floor: f64,
    tail: f64,
    provisioning: f64,
    lost_work: f64,
    headroom: f64,
    fixed: f64,
}

fn spend(v: &mut [f64], s: Spend) {
    v[M::spend_busy as usize] = s.busy;
    v[M::spend_floor as usize] = s.floor;
    v[M::spend_tail as usize] = s.tail;
    v[M::spend_provisioning as usize] = s.provisioning;
    v[M::spend_lost_work as usize] = s.lost_work;
    v[M::spend_headroom as usize] = s.headroom;
    v[M::spend_fixed as usize] = s.fixed;
}

fn cluster_values(r: &ClusterReport) -> Vec<f64> {
    let node_h = |area: u128| area as f64 / MICROS_PER_HOUR as f64;
    let window_h = r.window as f64 / MICROS_PER_HOUR as f64;
    let busy = node_h(r.busy_area);
    let idle = node_h(r.idle_area);
    let prov = node_h(r.provisioning_area);
    let evicting = node_h(r.evicting_area);
    let billed = busy + idle + prov + evicting;
    let fixed_cost = r.fixed_usd_per_hour * window_h;
    let price = r.paid_usd_per_hour();
    let node_cost = match &r.spot {
        Some(s) => s.node_cost_usd,
        None => billed * price,
    };
    let cost = node_cost + fixed_cost;
    let idle_cost = (idle + prov) * price;
    let mut v = vec![f64::NAN; METRICS.len()];
    // Where the money goes. Lost work was busy time; the batch mini-batches run here lost theirs
    // to timeouts on top of preemption.
    let timed_out: f64 = r.batches.iter().map(|b| b.2.timed_out_area).sum();
    let lost = (node_h(r.lost_area) + timed_out / MICROS_PER_HOUR as f64).min(busy);
    let floor = node_h(r.floor_idle_area);
    spend(
        &mut v,
        Spend {
            busy: (busy - lost) * price,
            floor: floor * price,
            tail: (idle - floor) * price,
            provisioning: prov * price,
            lost_work: (lost + evicting) * price,
            headroom: 0.0,
            fixed: fixed_cost,
        },
    );
    waits(&mut v, &r.waits);
    let mut set = |m: M, x: f64| v[m as usize] = x;
    set(M::jobs_arrived, r.jobs_arrived as f64);
    set(M::jobs_completed, r.jobs_completed as f64);
    set(M::throughput, r.jobs_completed as f64 / window_h);
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
    set(M::evicting_node_hours, evicting);
    set(M::nodes_requested, r.nodes_requested as f64);
    set(M::cost, cost);
    set(M::fixed_cost, fixed_cost);
    set(M::startups, r.startups as f64);
    set(M::preemptions, r.preemptions as f64);
    set(M::lost_node_hours, node_h(r.lost_area));
    set(M::lost_cost, node_h(r.lost_area) * price);
    set(M::idle_cost, idle_cost);
    if let Some(s) = &r.spot {
        set(
            M::spot_price_paid,
            if billed > 0.0 { price } else { f64::NAN },
        );
        if let Some(d) = s.dedicated_cost_usd {
            set(M::dedicated_cost, d);
            set(M::costs_more_than_dedicated, f64::from(u8::from(cost > d)));
        }
    }
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
    let per_month = HOURS_PER_MONTH * MICROS_PER_HOUR as f64 / r.window as f64;
    set(M::cost_per_month, cost * per_month);
    set(M::idle_cost_per_month, idle_cost * per_month);
    set(M::running_at_end, r.running_at_end as f64);
    set(M::queued_at_end, r.queued_at_end as f64);
    if let Some(n) = r.jobs_cancelled {
        set(M::batch_jobs_cancelled, n as f64);
    }
    v
}

fn endpoint_values(r: &EndpointReport) -> Vec<f64> {
    let hours = |area: u128| area as f64 / MICROS_PER_HOUR as f64;
    let window_h = r.window as f64 / MICROS_PER_HOUR as f64;
    let ready = hours(r.ready_area);
    let prov = hours(r.provisioning_area);
    let billed = ready + prov;
    // An instance is busy for the share of its slots in use.
    let busy = hours(r.busy_slot_area) / r.max_concurrent_requests_per_instance.max(1) as f64;
    let (cost, idle_cost) = match r.billing {
        Billing::PerInstance => (
            billed * r.price_usd_per_hour,
            (billed - busy).max(0.0) * r.price_usd_per_hour,
        ),
        // The node pool bills whatever the replicas; what the replicas do not use is idle.
        Billing::NodePool { nodes } => {
            let cost = nodes as f64 * window_h * r.price_usd_per_hour;
            let used = if billed > 0.0 { busy / billed } else { 0.0 };
            (cost, cost * (1.0 - used))
        }
    };
    let ms = |us: f64| us / 1000.0;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let mut v = vec![f64::NAN; METRICS.len()];
    // Requests still running on an instance already scaled in use capacity no longer billed:
    // the capacity used is at most the ready instance time.
    let used = busy.min(ready);
    // What one instance-hour of the replicas costs: the price, or the node pool's bill spread
    // over the replicas' time.
    let per_hour = match r.billing {
        Billing::PerInstance => Some(r.price_usd_per_hour),
        Billing::NodePool { .. } => (billed > 0.0).then(|| cost / billed),
    };
    spend(
        &mut v,
        match per_hour {
            Some(p) => Spend {
                busy: used * p,
                floor: 0.0,
                tail: 0.0,
                provisioning: prov * p,
                lost_work: 0.0,
                headroom: (ready - used) * p,
                fixed: 0.0,
            },
            // A node pool with no replica at all: its whole bill is unused capacity.
            None => Spend {
                busy: 0.0,
                floor: 0.0,
                tail: 0.0,
                provisioning: 0.0,
                lost_work: 0.0,
                headroom: cost,
                fixed: 0.0,
            },
        },
    );
    let mut set = |m: M, x: f64| v[m as usize] = x;
    set(M::requests, r.requests as f64);
    set(M::served, r.served as f64);
    set(M::rejected_429, r.rejected_429 as f64);
    if r.billing != Billing::PerInstance {
        set(M::rejected_503, r.rejected_503 as f64);
    }
    set(
        M::rejected_429_share,
        ratio(r.rejected_429 as f64, r.requests as f64),
    );
    set(M::timed_out_408, r.timed_out_408 as f64);
    set(M::requests_in_flight_at_end, r.in_flight_at_end as f64);
    set(M::latency_mean, ms(r.latency.mean()));
    set(M::latency_p50, ms(r.latency.quantile(0.50)));
    set(M::latency_p95, ms(r.latency.quantile(0.95)));
    set(M::latency_p99, ms(r.latency.quantile(0.99)));
    set(M::service_time_mean, ms(r.service.mean()));
    if let Some(slo) = r.slo {
        let ended = r.served + r.rejected_429 + r.rejected_503 + r.timed_out_408;
        let attainment = ratio(r.within_slo as f64, ended as f64);
        set(M::slo_attainment, attainment);
        if attainment.is_finite() {
            set(
                M::slo_met,
                f64::from(u8::from(attainment * 100.0 >= slo.percentile)),
            );
        }
    }
    set(M::instance_hours, billed);
    set(M::instances_mean, ratio(billed, window_h));
    set(M::instances_peak, r.peak_instances as f64);
    set(M::scale_events, r.scale_events as f64);
    set(M::utilization, ratio(busy, billed));
    set(M::cost, cost);
    set(M::idle_cost, idle_cost);
    set(M::idle_cost_share, ratio(idle_cost, cost));
    set(
        M::cost_per_1000_requests,
        ratio(cost * 1000.0, r.served as f64),
    );
    let per_month = HOURS_PER_MONTH * MICROS_PER_HOUR as f64 / r.window as f64;
    set(M::cost_per_month, cost * per_month);
    set(M::idle_cost_per_month, idle_cost * per_month);
    v
}

/// A batch endpoint's row. Its cost is the node time its jobs held (from start to their last
/// mini-batch) at the cluster's price; the cluster's own row holds that too, plus idle nodes.
fn batch_values(r: &BatchReport) -> Vec<f64> {
    let node_h = |area: f64| area / MICROS_PER_HOUR as f64;
    let window_h = r.window as f64 / MICROS_PER_HOUR as f64;
    let secs = |us: f64| us / MICROS_PER_SECOND as f64;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let (j, b) = (&r.jobs, &r.stats);
    let busy = node_h(j.busy_area);
    let cost = busy * r.price_usd_per_hour;
    let mut v = vec![f64::NAN; METRICS.len()];
    // Its cost is busy node time by definition: split only into useful and lost work.
    let lost = node_h(b.lost_area + b.timed_out_area).min(busy);
    spend(
        &mut v,
        Spend {
            busy: (busy - lost) * r.price_usd_per_hour,
            floor: 0.0,
            tail: 0.0,
            provisioning: 0.0,
            lost_work: lost * r.price_usd_per_hour,
            headroom: 0.0,
            fixed: 0.0,
        },
    );
    waits(&mut v, &j.waits);
    let mut set = |m: M, x: f64| v[m as usize] = x;
    set(M::jobs_arrived, j.jobs_arrived as f64);
    set(M::jobs_completed, j.jobs_completed as f64);
    set(M::throughput, j.jobs_completed as f64 / window_h);
    set(
        M::utilization,
        ratio(b.worker_busy_area as f64, b.worker_area as f64),
    );
    // The node time its jobs held is busy by definition; idle and provisioning nodes are the
    // cluster's (its row).
    set(M::node_hours, busy);
    set(M::busy_node_hours, busy);
    set(M::idle_node_hours, 0.0);
    set(M::provisioning_node_hours, 0.0);
    set(M::cost, cost);
    set(M::cost_per_job, ratio(cost, j.jobs_completed as f64));
    let per_month = HOURS_PER_MONTH * MICROS_PER_HOUR as f64 / r.window as f64;
    set(M::cost_per_month, cost * per_month);
    set(M::preemptions, b.preemptions as f64);
    set(M::lost_node_hours, node_h(b.lost_area));
    set(M::lost_cost, node_h(b.lost_area) * r.price_usd_per_hour);
    set(M::running_at_end, b.running_at_end as f64);
    set(M::queued_at_end, r.queued_at_end as f64);
    set(M::batch_jobs_failed, b.jobs_failed as f64);
    set(M::batch_jobs_cancelled, b.jobs_cancelled as f64);
    set(M::job_duration_mean, secs(b.durations.mean()));
    set(M::job_duration_p50, secs(b.durations.quantile(0.50)));
    set(M::job_duration_p95, secs(b.durations.quantile(0.95)));
    set(M::mini_batches, b.mini_batches_succeeded as f64);
    set(M::mini_batches_failed, b.mini_batches_failed as f64);
    set(M::mini_batch_retries, b.retries as f64);
    set(M::mini_batches_requeued, b.requeued as f64);
    set(M::files_scored, b.files_succeeded as f64);
    set(M::files_failed, b.files_failed as f64);
    set(
        M::cost_per_1000_files,
        ratio(cost * 1000.0, b.files_succeeded as f64),
    );
    v
}

/// A mean over replications and the half-width of its 95% confidence interval: what every
/// `<column>` and `<column>_ci95` pair of the output files holds, for the report and sizing as for
/// the writers. NaN is undefined (an empty cell): a mean of no replication, an interval from one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
    /// Replications the mean is over: those where the metric is defined (a wait with no jobs
    /// is not). 0 when not counted, as for values read back from a file.
    pub n: usize,
}

impl Estimate {
    /// Neither the mean nor its interval is known.
    pub const UNDEFINED: Estimate = Estimate {
        mean: f64::NAN,
        ci95: f64::NAN,
        n: 0,
    };

    /// A value known exactly: no interval around it.
    pub fn exact(x: f64) -> Estimate {
        Estimate {
            mean: x,
            ci95: 0.0,
            n: 0,
        }
    }

    /// The mean, when it is a finite number.
    pub fn known_mean(&self) -> Option<f64> {
        Some(self.mean).filter(|x| x.is_finite())
    }

    /// The half-width, when it is a finite number.
    pub fn known_ci95(&self) -> Option<f64> {
        Some(self.ci95).filter(|x| x.is_finite())
    }

    /// The interval `[mean - ci95, mean + ci95]`; the mean alone without a half-width.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        let m = self.known_mean()?;
        let c = self.known_ci95().unwrap_or(0.0);
        Some((m - c, m + c))
    }
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
