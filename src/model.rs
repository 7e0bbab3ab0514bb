//! The system under simulation: workloads feeding compute targets, on the engine's clock.
//!
//! A [`System`] is the plain, `Send` description of one simulation; [`run_replication`] builds
//! the live state from it inside whichever worker runs the replication and returns what was
//! measured. Nothing here formats output: samples go to a [`SampleSink`].

use crate::engine::mser::BatchMeans;
use crate::engine::time::SimTime;
use crate::engine::time::from_secs_f64;
use crate::engine::{EventQueue, Schedule, stream};
use crate::targets::batch::BatchReport;
use crate::targets::endpoint::{Endpoint, Request};
use crate::targets::{
    Cluster, ClusterEvent, EndpointEvent, Instance, InstanceEvent, Job, Serverless,
    ServerlessEvent, TargetKind, TargetModel, TargetReport, TargetSample, TargetSpec,
};
use crate::workload::requests::{RequestArrival, RequestSource, TrafficSpec};
use crate::workload::{Arrival, ArrivalSource, WorkloadSpec};

#[derive(Clone, Debug)]
pub struct System {
    pub targets: Vec<TargetSpec>,
    pub workloads: Vec<WorkloadSpec>,
    /// Request streams aimed at endpoints (`[[traffic]]`).
    pub traffic: Vec<TrafficSpec>,
    pub horizon: SimTime,
    /// Statistics ignore what happens before this.
    pub warmup: SimTime,
    /// `warmup = "auto"`: each replication's warm-up is where MSER-5 finds its initialization
    /// bias ends (see [`run_replication`]); `warmup` is then 0.
    pub warmup_auto: bool,
    /// With `warmup_auto`: the warm-up once worked out (see [`auto_warmup`]).
    pub auto_warmup_cache: AutoWarmupCache,
    /// Time-series sampling period (only used when a sink is given).
    pub sample_interval: SimTime,
}

/// Receives time-series samples of one replication.
pub trait SampleSink {
    fn sample(&mut self, time: SimTime, target: usize, sample: &TargetSample);
}

/// What one replication measured.
#[derive(Clone, Debug)]
pub struct ReplicationResult {
    pub replication: u64,
    pub replication_seed: u64,
    pub targets: Vec<TargetReport>,
    pub events: u64,
    /// Where MSER-5 finds the initialization bias of the wait (cluster) and latency (endpoint)
    /// series ends, the latest over targets; `None` when no series had enough observations.
    pub mser_truncation: Option<SimTime>,
    /// Those series, per target (`None` for targets without one); empty but for pilots and the
    /// first [`SERIES_KEPT`] replications.
    pub series: Vec<Option<BatchMeans>>,
    /// The warm-up this replication's statistics used (the truncation with `warmup = "auto"`).
    pub warmup: SimTime,
}

/// One event of the run. Kept at 16 bytes (a target's index is a `u16`, its event's own fields
/// fill the rest) so that a heap entry is 32 bytes: the heap moves entries on every push and pop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Arrival(u32),
    /// The next request of traffic stream `i`.
    Request(u32),
    Cluster(u16, ClusterEvent),
    Instance(u16, InstanceEvent),
    Serverless(u16, ServerlessEvent),
    Endpoint(u16, EndpointEvent),
}

const _: () = assert!(std::mem::size_of::<Event>() == 16);

/// The most targets one system may have: a target's index is a `u16` inside every event.
pub const MAX_TARGETS: usize = u16::MAX as usize + 1;

/// Lets a target schedule its own events without knowing the enclosing event type.
///
/// `wrap` is generic (a variant constructor such as `Event::Cluster` is its own zero-sized type)
/// rather than a `fn` pointer: the pointer was an indirect call on every scheduled event.
struct TargetScheduler<'a, W> {
    queue: &'a mut EventQueue<Event>,
    target: u16,
    wrap: W,
}

impl<E, W: Fn(u16, E) -> Event> Schedule<E> for TargetScheduler<'_, W> {
    #[inline]
    fn schedule(&mut self, at: SimTime, event: E) {
        self.queue.schedule(at, (self.wrap)(self.target, event));
    }
}

#[inline]
fn on<E, W: Fn(u16, E) -> Event>(
    queue: &mut EventQueue<Event>,
    target: u16,
    wrap: W,
) -> TargetScheduler<'_, W> {
    TargetScheduler {
        queue,
        target,
        wrap,
    }
}

struct WorkloadState {
    arrivals: ArrivalSource,
    /// The arrival whose event is in the queue.
    pending: Option<Arrival>,
    durations: crate::engine::StreamRng,
}

struct TrafficState {
    source: RequestSource,
    /// The request whose event is in the queue.
    pending: Option<RequestArrival>,
    service: crate::engine::StreamRng,
}

/// Random-stream purposes. Workload streams are keyed by the workload's name only, so changing
/// any compute setting leaves a replication's arrivals and durations untouched.
pub fn arrivals_purpose(workload: &str) -> String {
    format!("workload/{workload}/arrivals")
}
pub fn durations_purpose(workload: &str) -> String {
    format!("workload/{workload}/durations")
}
/// An MMPP's state changes: a stream of its own, so that bursts never shift the gaps' draws.
pub fn arrival_states_purpose(workload: &str) -> String {
    format!("workload/{workload}/arrival_states")
}
/// Request streams are keyed by the traffic's name only, so every variant of an endpoint (its
/// size, count or autoscale rules) sees the same requests.
pub fn requests_purpose(traffic: &str) -> String {
    format!("traffic/{traffic}/arrivals")
}
pub fn service_purpose(traffic: &str) -> String {
    format!("traffic/{traffic}/service")
}
pub fn provisioning_purpose(target: &str) -> String {
    format!("target/{target}/provisioning")
}
/// A low-priority (Spot) cluster's price path: a stream of its own, so that price risk never
/// moves a provisioning, eviction or arrival draw.
pub fn spot_price_purpose(target: &str) -> String {
    format!("target/{target}/spot_price")
}
/// A batch endpoint's per-file processing times, keyed by its traffic's name like arrivals.
pub fn files_purpose(workload: &str) -> String {
    format!("workload/{workload}/files")
}

/// Workload `w`'s pending arrival happens at `now`: its next arrival is scheduled and its jobs
/// are submitted to its target.
#[inline(always)]
fn arrive(
    w: u32,
    now: SimTime,
    horizon: SimTime,
    spec: &WorkloadSpec,
    state: &mut WorkloadState,
    queue: &mut EventQueue<Event>,
    targets: &mut [TargetModel],
) {
    let arrival = state
        .pending
        .take()
        .expect("an arrival event has its arrival");
    if let Some(next) = state.arrivals.next_arrival()
        && next.time <= horizon
    {
        state.pending = Some(next);
        queue.schedule_source(next.time, Event::Arrival(w));
    }
    // A batch (a sweep job's trials) is `batch_size` jobs submitted together, each with its own
    // duration draw.
    for _ in 0..spec.batch_size {
        // A trace row's own duration wins; otherwise draw one. Validation guarantees one of the
        // two exists.
        let raw = match (arrival.duration, &spec.duration) {
            (Some(d), _) => d,
            (None, Some(dist)) => dist.sample(&mut state.durations),
            (None, None) => 0,
        };
        let duration = if spec.speedup == 1.0 {
            raw
        } else {
            from_secs_f64(crate::engine::time::to_secs_f64(raw) / spec.speedup)
        };
        let job = Job {
            workload: w,
            arrival: now,
            duration,
            nodes: arrival.nodes.unwrap_or(spec.instance_count),
            priority: spec.priority,
        };
        let t = spec.target as u16;
        match &mut targets[spec.target] {
            TargetModel::Cluster(c) => c.submit(now, job, &mut on(queue, t, Event::Cluster)),
            TargetModel::Instance(c) => c.submit(now, job, &mut on(queue, t, Event::Instance)),
            TargetModel::Serverless(c) => c.submit(now, job, &mut on(queue, t, Event::Serverless)),
            TargetModel::Endpoint(_) | TargetModel::Batch => {
                unreachable!("validation sends workloads to compute targets only")
            }
        }
    }
}

/// Traffic stream `i`'s pending request arrives at `now`: its next request is scheduled and this
/// one is submitted to its endpoint.
#[inline(always)]
fn request(
    i: u32,
    now: SimTime,
    horizon: SimTime,
    spec: &TrafficSpec,
    state: &mut TrafficState,
    queue: &mut EventQueue<Event>,
    targets: &mut [TargetModel],
) {
    let arrival = state
        .pending
        .take()
        .expect("a request event has its arrival");
    let request = Request {
        arrival: now,
        service: spec.service.sample(arrival.tokens, &mut state.service),
    };
    if let Some(next) = state.source.next_arrival()
        && next.time <= horizon
    {
        state.pending = Some(next);
        queue.schedule_source(next.time, Event::Request(i));
    }
    let t = spec.target as u16;
    if let TargetModel::Endpoint(e) = &mut targets[spec.target] {
        e.submit(now, request, &mut on(queue, t, Event::Endpoint));
    }
}

/// The paired comparison of a low-priority (Spot) cluster with the same cluster dedicated: the
/// whole system again, in the same replication, with every Spot cluster made dedicated (no
/// evictions, pay-as-you-go). Arrivals, durations and provisioning times come from the same
/// streams (keyed by name), so both see the same jobs. The twin is simulated rather than priced
/// from the Spot cluster's own node time: evictions add node time (re-provisioning, work run
/// again, nodes billed while they go), and pricing that at pay-as-you-go would overstate the
/// dedicated cost and so understate how often low priority costs more.
fn dedicated_twins(
    system: &System,
    seed: u64,
    replication: u64,
    reports: &mut [Option<TargetReport>],
) {
    let spot: Vec<usize> = system
        .targets
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(&t.kind, TargetKind::Cluster { spec, .. } if spec.spot.is_some()))
        .map(|(i, _)| i)
        .collect();
    if spot.is_empty() {
        return;
    }
    let mut twin = system.clone();
    for &i in &spot {
        if let TargetKind::Cluster { spec, .. } = &mut twin.targets[i].kind
            && let Some(sp) = spec.spot.take()
        {
            spec.tier = crate::targets::Tier::Dedicated;
            spec.preemption = None;
            spec.eviction_time = 0;
            spec.price_usd_per_hour = sp.payg_usd_per_hour;
        }
    }
    let result = run_replication(&twin, seed, replication, None);
    for &i in &spot {
        if let (Some(TargetReport::Cluster(r)), TargetReport::Cluster(t)) =
            (&mut reports[i], &result.targets[i])
            && let Some(outcome) = &mut r.spot
        {
            let area = t.billed_area();
            let hours = area as f64 / crate::engine::time::MICROS_PER_HOUR as f64;
            let window_h = t.window as f64 / crate::engine::time::MICROS_PER_HOUR as f64;
            outcome.dedicated_cost_usd =
                Some(hours * t.price_usd_per_hour + t.fixed_usd_per_hour * window_h);
        }
    }
}

/// Runs replication `replication` of `system` with scenario seed `seed`.
pub fn run_replication(
    system: &System,
    seed: u64,
    replication: u64,
    sink: Option<&mut dyn SampleSink>,
) -> ReplicationResult {
    if !system.warmup_auto {
        return run_once(system, system.warmup, seed, replication, sink, false);
    }
    let warmup = system
        .auto_warmup_cache
        .get(seed, || auto_warmup(system, seed));
    run_once(system, warmup, seed, replication, sink, false)
}

/// Replications (by index) whose series come back, for the warm-up check of a run.
pub const SERIES_KEPT: u64 = 100;

/// Pilot replications whose series are averaged to find where the transient ends.
pub const PILOTS: u64 = 20;

/// The warm-up `warmup = "auto"` chooses: MSER-5 on the batch means of the wait (cluster) and
/// latency (endpoint) series averaged, batch by batch, over [`PILOTS`] pilot replications run
/// from time zero on random streams of their own; the latest truncation over targets, at the
/// mean time of its batch's first observation. One warm-up for every replication of the
/// scenario, chosen before any of them and independent of them.
///
/// Why pilots and an average (both measured on an M/M/4 at rho = 0.8 over 3 days): MSER-5 on
/// one replication's series rarely sees the transient under the noise (it truncated nothing in
/// 29 of 40 replications), and a truncation chosen on the very path it truncates favours tails
/// without high excursions, which biases waits low (coverage fell from 70% to 57%). Averaging
/// pilots lowers the noise, and their independence removes the selection bias.
pub fn auto_warmup(system: &System, seed: u64) -> SimTime {
    let pilots: Vec<ReplicationResult> = (0..PILOTS)
        .map(|k| run_once(system, 0, seed, PILOT | k, None, true))
        .collect();
    let mut latest: SimTime = 0;
    for t in 0..system.targets.len() {
        let series: Vec<&BatchMeans> = pilots
            .iter()
            .filter_map(|p| p.series.get(t).and_then(Option::as_ref))
            .collect();
        let Some(first) = series.first() else {
            continue;
        };
        // Batches line up only at one batch size (a long pilot may have merged its batches).
        let same: Vec<&&BatchMeans> = series
            .iter()
            .filter(|b| b.batch_size() == first.batch_size())
            .collect();
        let n = same.iter().map(|b| b.len()).min().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let k = same.len() as f64;
        let mean: Vec<f64> = (0..n)
            .map(|i| same.iter().map(|b| b.mean_at(i)).sum::<f64>() / k)
            .collect();
        let d = crate::engine::mser::mser(&mean);
        if d > 0 {
            let time = same.iter().map(|b| b.first_at(d) as f64).sum::<f64>() / k;
            latest = latest.max(time as SimTime);
        }
    }
    latest.min(system.horizon.saturating_sub(1))
}

/// The warm-up of `warmup = "auto"`, worked out once per scenario (and seed): every replication
/// of it uses the same. A clone starts empty, so that a changed copy never reuses it.
#[derive(Debug, Default)]
pub struct AutoWarmupCache(std::sync::OnceLock<(u64, SimTime)>);

impl Clone for AutoWarmupCache {
    fn clone(&self) -> Self {
        AutoWarmupCache::default()
    }
}

impl AutoWarmupCache {
    /// The cached warm-up for `seed`, computed on first use (or every time for another seed).
    fn get(&self, seed: u64, compute: impl Fn() -> SimTime) -> SimTime {
        let (cached_seed, warmup) = *self.0.get_or_init(|| (seed, compute()));
        if cached_seed == seed {
            warmup
        } else {
            compute()
        }
    }
}

/// Marks a pilot replication's index, so that its random streams are its own (replication
/// indices stay far below it).
const PILOT: u64 = 1 << 62;

fn run_once(
    system: &System,
    warmup: SimTime,
    seed: u64,
    replication: u64,
    mut sink: Option<&mut dyn SampleSink>,
    keep_series: bool,
) -> ReplicationResult {
    let horizon = system.horizon;
    // Validation refuses more (see `MAX_TARGETS`); a library caller that skipped it is told here.
    assert!(
        system.targets.len() <= MAX_TARGETS,
        "a system has at most {MAX_TARGETS} targets"
    );
    let mut queue: EventQueue<Event> = EventQueue::with_capacity(1024);
    let mut targets: Vec<TargetModel> = system
        .targets
        .iter()
        .map(|t| {
            let rng = stream(seed, replication, &provisioning_purpose(&t.name));
            match &t.kind {
                TargetKind::Cluster { spec, type_name } => {
                    let mut c = Cluster::new(spec.clone(), rng, warmup, horizon);
                    // Reservations and savings plans cover dedicated Azure ML compute only.
                    if *type_name == "amlcompute" && spec.tier == crate::targets::Tier::Dedicated {
                        c.record_hourly_usage();
                    }
                    if let Some(sp) = &spec.spot {
                        let mut prices = stream(seed, replication, &spot_price_purpose(&t.name));
                        c.set_price_path(sp.path(&mut prices, horizon));
                    }
                    TargetModel::Cluster(c)
                }
                TargetKind::ComputeInstance(spec) => {
                    TargetModel::Instance(Instance::new(spec.clone(), rng, warmup, horizon))
                }
                TargetKind::Serverless(spec) => {
                    TargetModel::Serverless(Serverless::new(spec.clone(), rng, warmup, horizon))
                }
                TargetKind::Endpoint { spec, .. } => {
                    TargetModel::Endpoint(Endpoint::new(spec.clone(), rng, warmup, horizon))
                }
                TargetKind::Batch { .. } => TargetModel::Batch,
            }
        })
        .collect();
    for (i, w) in system.workloads.iter().enumerate() {
        if let (Some(b), TargetModel::Cluster(c)) = (&w.batch, &mut targets[w.target]) {
            let rng = stream(seed, replication, &files_purpose(&w.name));
            c.add_batch(i as u32, b.clone(), rng);
        }
    }
    for (i, t) in targets.iter_mut().enumerate() {
        match t {
            TargetModel::Instance(x) => {
                x.arm_initial(&mut on(&mut queue, i as u16, Event::Instance))
            }
            TargetModel::Cluster(x) => x.arm_initial(&mut on(&mut queue, i as u16, Event::Cluster)),
            TargetModel::Serverless(_) | TargetModel::Batch => {}
            TargetModel::Endpoint(x) => {
                x.arm_initial(&mut on(&mut queue, i as u16, Event::Endpoint))
            }
        }
    }
    let mut traffic: Vec<TrafficState> = system
        .traffic
        .iter()
        .map(|t| TrafficState {
            source: RequestSource::new(
                &t.arrivals,
                stream(seed, replication, &requests_purpose(&t.name)),
            ),
            pending: None,
            service: stream(seed, replication, &service_purpose(&t.name)),
        })
        .collect();
    for (i, t) in traffic.iter_mut().enumerate() {
        if let Some(a) = t.source.next_arrival()
            && a.time <= horizon
        {
            t.pending = Some(a);
            queue.schedule_source(a.time, Event::Request(i as u32));
        }
    }
    let mut workloads: Vec<WorkloadState> = system
        .workloads
        .iter()
        .map(|w| WorkloadState {
            arrivals: ArrivalSource::new(
                &w.arrivals,
                stream(seed, replication, &arrivals_purpose(&w.name)),
                stream(seed, replication, &arrival_states_purpose(&w.name)),
            ),
            pending: None,
            durations: stream(seed, replication, &durations_purpose(&w.name)),
        })
        .collect();
    for (i, w) in workloads.iter_mut().enumerate() {
        if let Some(a) = w.arrivals.next_arrival()
            && a.time <= horizon
        {
            w.pending = Some(a);
            queue.schedule_source(a.time, Event::Arrival(i as u32));
        }
    }
    // Time-series samples are taken between events, not scheduled as events: on the model heap
    // their entry made it one deeper for every pop (measured on the M/M/c case: 4 % of the
    // run). A sample at time t shows the state after every event at t.
    let mut next_sample = if sink.is_some() && system.sample_interval > 0 {
        0
    } else {
        SimTime::MAX
    };
    loop {
        while let Some((now, event)) = queue.pop_until(next_sample.min(horizon)) {
            match event {
                Event::Arrival(w) => arrive(
                    w,
                    now,
                    horizon,
                    &system.workloads[w as usize],
                    &mut workloads[w as usize],
                    &mut queue,
                    &mut targets,
                ),
                Event::Request(i) => {
                    let (spec, state) = (&system.traffic[i as usize], &mut traffic[i as usize]);
                    request(i, now, horizon, spec, state, &mut queue, &mut targets);
                }
                Event::Cluster(t, ev) => match &mut targets[t as usize] {
                    TargetModel::Cluster(c) => {
                        c.handle(now, ev, &mut on(&mut queue, t, Event::Cluster))
                    }
                    _ => unreachable!("a target only schedules its own kind of event"),
                },
                Event::Instance(t, ev) => match &mut targets[t as usize] {
                    TargetModel::Instance(c) => {
                        c.handle(now, ev, &mut on(&mut queue, t, Event::Instance))
                    }
                    _ => unreachable!("a target only schedules its own kind of event"),
                },
                Event::Serverless(t, ev) => match &mut targets[t as usize] {
                    TargetModel::Serverless(c) => {
                        c.handle(now, ev, &mut on(&mut queue, t, Event::Serverless))
                    }
                    _ => unreachable!("a target only schedules its own kind of event"),
                },
                Event::Endpoint(t, ev) => match &mut targets[t as usize] {
                    TargetModel::Endpoint(c) => {
                        c.handle(now, ev, &mut on(&mut queue, t, Event::Endpoint))
                    }
                    _ => unreachable!("a target only schedules its own kind of event"),
                },
            }
        }
        if next_sample > horizon {
            break;
        }
        if let Some(sink) = sink.as_deref_mut() {
            for (i, t) in targets.iter().enumerate() {
                let sample = TargetSample::Cluster(match t {
                    TargetModel::Cluster(c) => c.sample(next_sample),
                    TargetModel::Instance(c) => c.sample(next_sample),
                    TargetModel::Serverless(c) => c.sample(next_sample),
                    TargetModel::Endpoint(c) => c.sample(next_sample),
                    // Its nodes are its cluster's, sampled there.
                    TargetModel::Batch => continue,
                });
                sink.sample(next_sample, i, &sample);
            }
        }
        next_sample = next_sample.saturating_add(system.sample_interval);
    }

    // Samples are not events: a replication simulates as many events whether or not its time
    // series is recorded, so the counts of replication 0 and of the others compare.
    let events = queue.processed();
    let mser_truncation = targets
        .iter()
        .filter_map(|t| match t {
            TargetModel::Cluster(c) => c.wait_series().truncation(),
            TargetModel::Endpoint(e) => e.latency_series().truncation(),
            _ => None,
        })
        .map(|(time, _)| time)
        .max();
    // Pilots and the first replications (for the warm-up check) need them; the rest skip the copy.
    let series = if keep_series || replication < SERIES_KEPT {
        targets
            .iter()
            .map(|t| match t {
                TargetModel::Cluster(c) => Some(c.wait_series().clone()),
                TargetModel::Endpoint(e) => Some(e.latency_series().clone()),
                _ => None,
            })
            .collect()
    } else {
        vec![]
    };
    let mut reports: Vec<Option<TargetReport>> = targets
        .into_iter()
        .map(|t| {
            Some(TargetReport::Cluster(match t {
                TargetModel::Endpoint(e) => return Some(TargetReport::Endpoint(e.finish(horizon))),
                TargetModel::Batch => return None,
                TargetModel::Cluster(c) => c.finish(horizon),
                TargetModel::Instance(c) => c.finish(horizon),
                TargetModel::Serverless(c) => c.finish(horizon),
            }))
        })
        .collect();
    // A batch endpoint's row: its jobs as its cluster saw them, and their mini-batches.
    let mut batch_reports = vec![];
    for r in reports.iter_mut().flatten() {
        if let TargetReport::Cluster(c) = r {
            for (w, spec, stats, queued) in std::mem::take(&mut c.batches) {
                let jobs = c.workloads.get(w as usize).cloned().unwrap_or_default();
                let report = BatchReport {
                    window: c.window,
                    price_usd_per_hour: c.paid_usd_per_hour(),
                    max_concurrency_per_instance: spec.max_concurrency_per_instance,
                    jobs,
                    stats,
                    queued_at_end: queued,
                };
                batch_reports.push((spec.endpoint_target, report));
            }
        }
    }
    for (t, report) in batch_reports {
        reports[t] = Some(TargetReport::Batch(report));
    }
    dedicated_twins(system, seed, replication, &mut reports);
    ReplicationResult {
        replication,
        replication_seed: crate::engine::derive_seed(seed, replication),
        targets: reports
            .into_iter()
            .map(|r| {
                // A batch endpoint without traffic has no workload on its cluster: its row is
                // empty.
                r.unwrap_or_else(|| TargetReport::Batch(BatchReport::empty(warmup, horizon)))
            })
            .collect(),
        events,
        mser_truncation,
        series,
        warmup,
    }
}
