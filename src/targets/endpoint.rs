//! Managed online endpoints (`[[endpoint]] type = "managed_online"`): a deployment of instances
//! serving requests, with Azure ML's admission rule and optional Azure Monitor autoscale.
//!
//! Semantics, from Azure ML's documentation unless marked as ours (the deployment YAML reference,
//! <https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-managed-online>,
//! and the HTTP status codes of
//! <https://learn.microsoft.com/azure/machine-learning/how-to-troubleshoot-online-endpoints>):
//! - at most `2 x max_concurrent_requests_per_instance x ready instances` requests are in flight
//!   (running or waiting); a request arriving beyond that is rejected with HTTP 429;
//! - up to `max_concurrent_requests_per_instance` requests run on each instance (ours: the slots of
//!   all instances form one pool, as if the router always found a free one); the other admitted
//!   requests wait first in, first out (the split between running and waiting is an inference from
//!   the 2x factor, UNCONFIRMED);
//! - a request whose latency (wait plus service) would exceed `request_timeout_ms` ends as HTTP
//!   408 at the timeout. Ours: it frees its slot and its place in flight at that moment (the
//!   inference server abandons the scoring call), so a 408 never holds capacity past the timeout;
//!   a request still waiting when its timeout passes leaves the queue then;
//! - every instance is billed around the clock, from the moment it is requested (provisioning
//!   included, ours) until it is removed; there is no scale to zero;
//! - scale-in removes provisioning instances first, then ready ones (ours: a removed instance's
//!   running requests finish, but no new request starts while more requests run than the
//!   remaining slots).
//!
//! `kubernetes_online` (its YAML reference,
//! <https://learn.microsoft.com/azure/machine-learning/reference-yaml-deployment-kubernetes-online>)
//! shares the admission and timeout rules, with three differences: a request beyond the in-flight
//! limit gets HTTP 503 (Azure documents 503 for spikes the router's autoscaler has not caught up
//! with); the replica count follows the router's target-utilisation autoscaler
//! ([`RouterAutoscale`]); and the cluster's node pool is billed around the clock whatever the
//! replicas (the replicas themselves cost nothing extra).
//!
//! Requests are counted by arrival time: those arriving after warm-up make up `requests`, and
//! each ends in exactly one of served, 429, 408 or still in flight at the horizon.

use super::autoscale::{self, AutoscaleSpec, Levels as GrainLevels, MetricWindow};
use super::cluster::ClusterSample;
use crate::engine::mser::BatchMeans;
use crate::engine::stats::{DurationStats, Levels};
use crate::engine::{Schedule, SimTime, StreamRng};
use std::collections::VecDeque;

/// One minute: the autoscale time grain and evaluation period.
const GRAIN: SimTime = crate::targets::defaults::AUTOSCALE_TIME_GRAIN_S * 1_000_000;

/// A latency objective: `percentile` percent of requests within `latency`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    pub latency: SimTime,
    pub percentile: f64,
}

/// The azureml-fe router's autoscaler of a Kubernetes online deployment
/// (`scale_settings.type = "target_utilization"`). Every `polling` interval it reads the busy
/// share of the replicas' request slots since the last poll and asks for
/// `ceil(replicas x utilisation / target)` replicas within `[min, max]` (the Kubernetes HPA
/// rule). Ours, where Azure publishes nothing: growth is immediate; shrinking follows the
/// highest count asked for over the last `scale_down_window` (the HPA's default stabilisation
/// window, 5 min), so one quiet second does not drop replicas; a new replica serves after
/// `start_time`.
#[derive(Clone, Debug)]
pub struct RouterAutoscale {
    pub min: u32,
    pub max: u32,
    /// 0 to 1.
    pub target_utilization: f64,
    pub polling: SimTime,
    pub scale_down_window: SimTime,
    pub start_time: crate::engine::Sampler,
}

/// Who pays for what.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Billing {
    /// Each instance at `price_usd_per_hour` from request to removal (managed online).
    PerInstance,
    /// A node pool of `nodes` nodes at `price_usd_per_hour` each, always on (Kubernetes).
    NodePool { nodes: u32 },
}

#[derive(Clone, Debug)]
pub struct EndpointSpec {
    pub instance_type: String,
    /// vCPUs of one instance (for a per-request CPU cost); 0 when unknown.
    pub vcpus: u32,
    pub price_usd_per_hour: f64,
    /// Instances at time zero (ready).
    pub instance_count: u32,
    pub max_concurrent_requests_per_instance: u32,
    pub request_timeout: SimTime,
    pub autoscale: Option<AutoscaleSpec>,
    /// vCPUs one running request uses, for `CpuUtilizationPercentage`.
    pub cpu_per_request_vcpus: Option<f64>,
    pub slo: Option<Slo>,
    /// HTTP status of a request beyond the in-flight limit: 429 (managed) or 503 (Kubernetes).
    pub reject_status: u16,
    pub router: Option<RouterAutoscale>,
    pub billing: Billing,
}

/// A request handed to the endpoint: when it arrived and how long it takes once running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub arrival: SimTime,
    pub service: SimTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointEvent {
    /// The request running in `slot` ends: served, or 408 at its timeout. (A slot index keeps
    /// the event small: every target's events share one queue.)
    Finish {
        slot: u32,
    },
    InstanceReady,
    /// The autoscaler closes a grain and evaluates its rules.
    Tick,
    /// The Kubernetes router's autoscaler polls.
    Poll,
}

/// What one replication measured on one endpoint (inside the window unless said otherwise).
#[derive(Clone, Debug)]
pub struct EndpointReport {
    pub window: SimTime,
    pub price_usd_per_hour: f64,
    pub max_concurrent_requests_per_instance: u32,
    pub requests: u64,
    pub served: u64,
    pub rejected_429: u64,
    /// Kubernetes online endpoints: rejected with 503 instead of 429.
    pub rejected_503: u64,
    pub timed_out_408: u64,
    pub in_flight_at_end: u64,
    /// Latency (wait plus service) of served requests.
    pub latency: DurationStats,
    pub service: DurationStats,
    pub slo: Option<Slo>,
    /// Served requests within the SLO latency.
    pub within_slo: u64,
    /// Instance x microseconds ready and provisioning; busy slot x microseconds.
    pub ready_area: u128,
    pub provisioning_area: u128,
    pub busy_slot_area: u128,
    /// Over the whole run.
    pub peak_instances: u32,
    pub scale_events: u64,
    /// Autoscale evaluations (one a minute) at which every scale-in rule fired but Azure's
    /// anti-flapping estimate held the count: Azure's `Flapping` activity-log records.
    pub scale_ins_skipped_for_flapping: u64,
    /// Scale-ins made smaller than their rules asked to avoid flapping (`FlappingOccurred`);
    /// also counted in `scale_events`.
    pub scale_ins_reduced_for_flapping: u64,
    pub billing: Billing,
}

pub struct Endpoint {
    spec: EndpointSpec,
    rng: StreamRng,
    window_from: SimTime,
    window_to: SimTime,
    ready: u32,
    provisioning: u32,
    /// Provisioning instances removed by a scale-in: their ready events are ignored.
    cancelled: u32,
    busy: u32,
    /// Admitted and not finished: running plus waiting.
    in_flight: u32,
    /// Running requests that arrived inside the window.
    running_in_window: u64,
    /// Busy slots and slots x microseconds since the router's last poll (Kubernetes).
    poll_busy_area: u128,
    poll_slot_area: u128,
    /// (poll time, replicas asked for), decreasing counts, inside the scale-down window.
    recent_wanted: VecDeque<(SimTime, u32)>,
    /// Instances (ready and provisioning) x microseconds since time zero, for the time series.
    billed_area: u128,
    billed_last: SimTime,
    queue: VecDeque<Request>,
    /// Running requests by slot, and whether each will end as 408; free slots for reuse.
    running: Vec<(Request, bool)>,
    free_slots: Vec<u32>,
    metrics: MetricWindow,
    /// Every served request's latency since time zero, warm-up included: the series MSER reads.
    latency_series: BatchMeans,
    /// No rule acts before this.
    cooldown_until: SimTime,
    levels: Levels<3>,
    report: EndpointReport,
}

impl Endpoint {
    pub fn new(spec: EndpointSpec, rng: StreamRng, warmup: SimTime, horizon: SimTime) -> Self {
        let capacity = spec.autoscale.as_ref().map_or(1, |a| a.longest_window());
        let report = EndpointReport {
            window: horizon.saturating_sub(warmup),
            price_usd_per_hour: spec.price_usd_per_hour,
            max_concurrent_requests_per_instance: spec.max_concurrent_requests_per_instance,
            requests: 0,
            served: 0,
            rejected_429: 0,
            rejected_503: 0,
            timed_out_408: 0,
            in_flight_at_end: 0,
            latency: DurationStats::new(),
            service: DurationStats::new(),
            slo: spec.slo,
            within_slo: 0,
            ready_area: 0,
            provisioning_area: 0,
            busy_slot_area: 0,
            peak_instances: spec.instance_count,
            scale_events: 0,
            scale_ins_skipped_for_flapping: 0,
            scale_ins_reduced_for_flapping: 0,
            billing: spec.billing,
        };
        let mut e = Endpoint {
            ready: spec.instance_count,
            spec,
            rng,
            window_from: warmup,
            window_to: horizon,
            provisioning: 0,
            cancelled: 0,
            busy: 0,
            in_flight: 0,
            running_in_window: 0,
            billed_area: 0,
            billed_last: 0,
            poll_busy_area: 0,
            poll_slot_area: 0,
            recent_wanted: VecDeque::new(),
            queue: VecDeque::new(),
            running: vec![],
            free_slots: vec![],
            metrics: MetricWindow::new(capacity),
            latency_series: BatchMeans::new(),
            cooldown_until: 0,
            levels: Levels::new(warmup, horizon),
            report,
        };
        e.levels.set(0, e.level_values());
        e
    }

    /// Schedules the first autoscale evaluation.
    pub fn arm_initial(&mut self, s: &mut impl Schedule<EndpointEvent>) {
        if self.spec.autoscale.is_some() {
            s.schedule(GRAIN, EndpointEvent::Tick);
        }
        if let Some(r) = &self.spec.router {
            s.schedule(r.polling, EndpointEvent::Poll);
        }
    }

    fn slots(&self) -> u32 {
        self.ready * self.spec.max_concurrent_requests_per_instance
    }

    fn admission_limit(&self) -> u32 {
        crate::targets::defaults::ENDPOINT_ADMISSION_FACTOR * self.slots()
    }

    fn level_values(&self) -> [u64; 3] {
        [
            self.ready as u64,
            self.provisioning as u64,
            self.busy as u64,
        ]
    }

    fn grain_levels(&self) -> GrainLevels {
        GrainLevels {
            busy: self.busy as u64,
            slots: self.slots() as u64,
            inflight: self.in_flight as u64,
            ready: self.ready as u64,
        }
    }

    /// Integrates the levels that held until `now`; call before changing any of them.
    #[inline]
    fn touch(&mut self, now: SimTime) {
        self.metrics.advance(now, self.grain_levels());
        self.bill(now);
    }

    #[inline]
    fn bill(&mut self, now: SimTime) {
        let n = (self.ready + self.provisioning) as u128;
        let dt = now.saturating_sub(self.billed_last) as u128;
        self.billed_area += n * dt;
        if self.spec.router.is_some() {
            self.poll_busy_area += self.busy as u128 * dt;
            self.poll_slot_area += self.slots() as u128 * dt;
        }
        self.billed_last = now;
    }

    /// Records the new levels after a change at `now`.
    #[inline]
    fn commit(&mut self, now: SimTime) {
        self.levels.set(now, self.level_values());
    }

    fn in_window(&self, t: SimTime) -> bool {
        t >= self.window_from && t < self.window_to
    }

    /// Waiting requests whose timeout has passed leave as 408. They wait in arrival order and
    /// share one timeout, so the expired ones are always at the front.
    fn expire(&mut self, now: SimTime) {
        while let Some(r) = self.queue.front() {
            if r.arrival.saturating_add(self.spec.request_timeout) > now {
                break;
            }
            let r = self.queue.pop_front().expect("front exists");
            self.in_flight -= 1;
            self.metrics.finished(self.spec.request_timeout);
            if self.in_window(r.arrival) {
                self.report.timed_out_408 += 1;
            }
        }
    }

    fn start(&mut self, now: SimTime, r: Request, s: &mut impl Schedule<EndpointEvent>) {
        self.busy += 1;
        if self.in_window(r.arrival) {
            self.running_in_window += 1;
        }
        let deadline = r.arrival.saturating_add(self.spec.request_timeout);
        let finish = now.saturating_add(r.service);
        let (at, timed_out) = if finish > deadline {
            (deadline, true)
        } else {
            (finish, false)
        };
        let slot = match self.free_slots.pop() {
            Some(i) => {
                self.running[i as usize] = (r, timed_out);
                i
            }
            None => {
                self.running.push((r, timed_out));
                (self.running.len() - 1) as u32
            }
        };
        s.schedule(at, EndpointEvent::Finish { slot });
    }

    fn start_waiting(&mut self, now: SimTime, s: &mut impl Schedule<EndpointEvent>) {
        self.expire(now);
        while self.busy < self.slots() {
            let Some(r) = self.queue.pop_front() else {
                break;
            };
            self.start(now, r, s);
        }
    }

    pub fn submit(&mut self, now: SimTime, r: Request, s: &mut impl Schedule<EndpointEvent>) {
        self.touch(now);
        self.expire(now);
        self.metrics.arrival();
        if self.in_window(r.arrival) {
            self.report.requests += 1;
        }
        if self.in_flight >= self.admission_limit() {
            if self.in_window(r.arrival) {
                if self.spec.reject_status == 503 {
                    self.report.rejected_503 += 1;
                } else {
                    self.report.rejected_429 += 1;
                }
            }
        } else {
            self.in_flight += 1;
            if self.busy < self.slots() && self.queue.is_empty() {
                self.start(now, r, s);
            } else {
                self.queue.push_back(r);
            }
        }
        self.commit(now);
    }

    pub fn handle(
        &mut self,
        now: SimTime,
        ev: EndpointEvent,
        s: &mut impl Schedule<EndpointEvent>,
    ) {
        self.touch(now);
        match ev {
            EndpointEvent::Finish { slot } => {
                let (request, timed_out) = self.running[slot as usize];
                self.free_slots.push(slot);
                self.busy -= 1;
                self.in_flight -= 1;
                let latency = now - request.arrival;
                self.metrics.finished(latency);
                if !timed_out {
                    self.latency_series.record(request.arrival, latency as f64);
                }
                if self.in_window(request.arrival) {
                    self.running_in_window -= 1;
                    if timed_out {
                        self.report.timed_out_408 += 1;
                    } else {
                        self.report.served += 1;
                        self.report.latency.record(latency);
                        self.report.service.record(request.service);
                        if self.spec.slo.is_some_and(|slo| latency <= slo.latency) {
                            self.report.within_slo += 1;
                        }
                    }
                }
                self.start_waiting(now, s);
            }
            EndpointEvent::InstanceReady => {
                if self.cancelled > 0 {
                    self.cancelled -= 1;
                } else {
                    self.provisioning -= 1;
                    self.ready += 1;
                    self.start_waiting(now, s);
                }
            }
            EndpointEvent::Tick => {
                self.metrics.close(
                    self.spec
                        .cpu_per_request_vcpus
                        .filter(|_| self.spec.vcpus > 0)
                        .map(|c| (c, self.spec.vcpus as f64)),
                );
                self.autoscale(now, s);
                s.schedule(now + GRAIN, EndpointEvent::Tick);
            }
            EndpointEvent::Poll => self.poll(now, s),
        }
        self.commit(now);
    }

    fn poll(&mut self, now: SimTime, s: &mut impl Schedule<EndpointEvent>) {
        let Some(r) = &self.spec.router else {
            return;
        };
        let busy = self.poll_busy_area;
        let slots = self.poll_slot_area;
        self.poll_busy_area = 0;
        self.poll_slot_area = 0;
        let current = self.ready + self.provisioning;
        let util = if slots > 0 {
            busy as f64 / slots as f64
        } else {
            0.0
        };
        let wanted =
            ((current as f64 * util / r.target_utilization).ceil() as u32).clamp(r.min, r.max);
        // Scale-down stabilisation: the highest count asked for within the window.
        while self
            .recent_wanted
            .front()
            .is_some_and(|(t, _)| now.saturating_sub(*t) >= r.scale_down_window)
        {
            self.recent_wanted.pop_front();
        }
        // Keep the deque monotone (decreasing counts), so its front is the window's maximum.
        while self.recent_wanted.back().is_some_and(|(_, w)| *w <= wanted) {
            self.recent_wanted.pop_back();
        }
        self.recent_wanted.push_back((now, wanted));
        let target = if wanted >= current {
            wanted
        } else {
            self.recent_wanted
                .front()
                .map_or(wanted, |(_, w)| *w)
                .min(current)
        };
        let next = now.saturating_add(r.polling);
        let start_time = r.start_time.clone();
        if target != current {
            self.scale_to(now, current, target, &start_time, s);
        }
        s.schedule(next, EndpointEvent::Poll);
    }

    /// Requests `target` instances from `current`: new ones after a delay from `delay`,
    /// removals at once (provisioning ones first).
    fn scale_to(
        &mut self,
        now: SimTime,
        current: u32,
        target: u32,
        delay: &crate::engine::Sampler,
        s: &mut impl Schedule<EndpointEvent>,
    ) {
        if now >= self.window_from && now < self.window_to {
            self.report.scale_events += 1;
        }
        if target > current {
            for _ in current..target {
                let d = delay.sample(&mut self.rng);
                s.schedule(now.saturating_add(d), EndpointEvent::InstanceReady);
            }
            self.provisioning += target - current;
            self.report.peak_instances = self.report.peak_instances.max(target);
        } else {
            let mut remove = current - target;
            let from_provisioning = remove.min(self.provisioning);
            self.provisioning -= from_provisioning;
            self.cancelled += from_provisioning;
            remove -= from_provisioning;
            self.ready -= remove;
        }
    }

    fn autoscale(&mut self, now: SimTime, s: &mut impl Schedule<EndpointEvent>) {
        let Some(a) = &self.spec.autoscale else {
            return;
        };
        let profile = a.profile_at(now);
        let current = self.ready + self.provisioning;
        let in_bounds = (profile.min..=profile.max).contains(&current);
        if in_bounds && now < self.cooldown_until {
            return;
        }
        let counted = self.in_window(now);
        let d = match autoscale::evaluate(profile, &self.metrics, current) {
            autoscale::Evaluation::Hold => return,
            autoscale::Evaluation::FlappingSkipped { .. } => {
                self.report.scale_ins_skipped_for_flapping += counted as u64;
                return;
            }
            autoscale::Evaluation::Scale(d) => d,
        };
        if d.target == current {
            return;
        }
        if d.flapping_reduced_from.is_some() {
            self.report.scale_ins_reduced_for_flapping += counted as u64;
        }
        self.cooldown_until = now.saturating_add(d.cooldown);
        let delay = a.provisioning_time.clone();
        self.scale_to(now, current, d.target, &delay, s);
    }

    pub fn sample(&self, now: SimTime) -> ClusterSample {
        let mcr = self.spec.max_concurrent_requests_per_instance.max(1);
        let busy_instances = self.busy.div_ceil(mcr).min(self.ready);
        let allocated = self.ready + self.provisioning;
        ClusterSample {
            nodes_allocated: allocated,
            nodes_busy: busy_instances,
            nodes_provisioning: self.provisioning,
            nodes_idle: self.ready - busy_instances,
            queue_jobs: self.queue.len() as u32,
            // Managed: requested instances x time; Kubernetes: the node pool, always on.
            cumulative_cost_usd: match self.spec.billing {
                Billing::PerInstance => {
                    (self.billed_area
                        + allocated as u128 * now.saturating_sub(self.billed_last) as u128)
                        as f64
                }
                Billing::NodePool { nodes } => nodes as f64 * now as f64,
            } / crate::engine::time::MICROS_PER_HOUR as f64
                * self.spec.price_usd_per_hour,
        }
    }

    /// The latencies of every served request since time zero, in finishing order, as batch
    /// means.
    pub fn latency_series(&self) -> &BatchMeans {
        &self.latency_series
    }

    pub fn finish(mut self, horizon: SimTime) -> EndpointReport {
        self.touch(horizon);
        self.expire(horizon);
        self.levels.set(horizon, self.level_values());
        self.report.ready_area = self.levels.area(0);
        self.report.provisioning_area = self.levels.area(1);
        self.report.busy_slot_area = self.levels.area(2);
        // Requests in flight at the horizon that arrived inside the window: waiting or running.
        let waiting = self
            .queue
            .iter()
            .filter(|r| self.in_window(r.arrival))
            .count() as u64;
        self.report.in_flight_at_end = waiting + self.running_in_window;
        self.report
    }
}
