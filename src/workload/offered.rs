//! What a workload offers its target, worked out from its distributions before any simulation:
//! the mean job duration a distribution implies (a log-normal given by median 40 min and p95
//! 3 h has a mean of 61 min, not 40), the offered load in busy nodes (arrival rate x mean
//! duration x nodes per job, Little's law), and for requests the rate per instance and the
//! busy request slots. These are the inputs that move the answer most, stated so that users
//! see them.

use super::requests::{RequestArrivals, ServiceModel, TrafficSpec};
use super::{ArrivalSpec, WorkloadSpec};
use crate::engine::time::{SimTime, to_secs_f64};

/// A workload of jobs.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferedJobs {
    /// Jobs per hour, over the horizon (a sweep's trials counted one by one).
    pub jobs_per_hour: f64,
    /// Mean duration of a job, seconds (after `speedup`); `None` when it cannot be told
    /// beforehand (a batch endpoint's jobs, whose duration follows from their mini-batches).
    pub mean_duration_s: Option<f64>,
    /// Mean nodes a job takes.
    pub nodes_per_job: f64,
}

impl OfferedJobs {
    /// Nodes busy on average if every job started at once: jobs per second x mean duration x
    /// nodes per job.
    pub fn busy_nodes(&self) -> Option<f64> {
        self.mean_duration_s
            .map(|d| self.jobs_per_hour / 3600.0 * d * self.nodes_per_job)
    }
}

/// A stream of requests.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferedRequests {
    pub requests_per_second: f64,
    /// Mean service time of a request, seconds; `None` for a token model without a trace's
    /// token counts.
    pub mean_service_s: Option<f64>,
}

impl OfferedRequests {
    /// Request slots busy on average (requests per second x mean service time).
    pub fn busy_slots(&self) -> Option<f64> {
        self.mean_service_s.map(|s| self.requests_per_second * s)
    }
}

/// Rows of sorted `times` submitted within `horizon`, counting a repeating trace's passes.
fn within(
    times: impl Iterator<Item = SimTime> + Clone,
    repeat: bool,
    period: SimTime,
    horizon: SimTime,
) -> f64 {
    let count = |h: SimTime| times.clone().filter(|&t| t <= h).count() as f64;
    if repeat && period > 0 {
        let all = times.clone().count() as f64;
        (horizon / period) as f64 * all + count(horizon % period)
    } else {
        count(horizon)
    }
}

/// What `w` offers over `horizon`.
pub fn jobs(w: &WorkloadSpec, horizon: SimTime) -> OfferedJobs {
    let hours = to_secs_f64(horizon) / 3600.0;
    let batch = w.batch_size.max(1) as f64;
    let speedup = if w.speedup > 0.0 { w.speedup } else { 1.0 };
    let sampler_mean = w.duration.as_ref().map(|d| d.mean_s());
    let (per_hour, mean_s, nodes) = match &w.arrivals {
        ArrivalSpec::Poisson(p) => (
            p.mean_rate_per_hour(),
            sampler_mean,
            w.instance_count as f64,
        ),
        ArrivalSpec::Mmpp(m) => (
            m.mean_rate_per_hour(),
            sampler_mean,
            w.instance_count as f64,
        ),
        ArrivalSpec::Trace(t) => {
            let n = within(t.jobs.iter().map(|j| j.submit), t.repeat, t.period, horizon);
            // Means over the rows that arrive within the horizon: a row's own duration and
            // nodes, else the workload's.
            let rows: Vec<_> = t.jobs.iter().filter(|j| j.submit <= horizon).collect();
            let k = rows.len().max(1) as f64;
            let mean = rows
                .iter()
                .map(|j| j.duration.map(to_secs_f64).or(sampler_mean))
                .sum::<Option<f64>>()
                .map(|s| s / k);
            let nodes = rows
                .iter()
                .map(|j| j.nodes.unwrap_or(w.instance_count) as f64)
                .sum::<f64>()
                / k;
            let nodes = if rows.is_empty() {
                w.instance_count as f64
            } else {
                nodes
            };
            (if hours > 0.0 { n / hours } else { 0.0 }, mean, nodes)
        }
    };
    OfferedJobs {
        jobs_per_hour: per_hour * batch,
        mean_duration_s: if w.batch.is_some() {
            None
        } else {
            mean_s.map(|m| m / speedup)
        },
        nodes_per_job: nodes,
    }
}

/// What `t` offers over `horizon`.
pub fn requests(t: &TrafficSpec, horizon: SimTime) -> OfferedRequests {
    let secs = to_secs_f64(horizon);
    let (rate, tokens) = match &t.arrivals {
        RequestArrivals::Poisson(p) => (p.mean_rate_per_hour() / 3600.0, None),
        RequestArrivals::Trace(tr) => {
            let n = within(tr.times.iter().copied(), tr.repeat, tr.period, horizon);
            let tokens = (!tr.tokens.is_empty()).then(|| {
                let k = tr.tokens.len() as f64;
                let (i, o) = tr
                    .tokens
                    .iter()
                    .fold((0.0, 0.0), |(i, o), &(a, b)| (i + a as f64, o + b as f64));
                (i / k, o / k)
            });
            (if secs > 0.0 { n / secs } else { 0.0 }, tokens)
        }
    };
    let mean_service_s = match &t.service {
        ServiceModel::Dist(s) => Some(s.mean_s()),
        ServiceModel::Tokens {
            base_s,
            per_input_token_s,
            per_output_token_s,
        } => tokens.map(|(i, o)| base_s + per_input_token_s * i + per_output_token_s * o),
    };
    OfferedRequests {
        requests_per_second: rate,
        mean_service_s,
    }
}
