//! The system under simulation: workloads feeding compute targets, on the engine's clock.
//!
//! A [`System`] is the plain, `Send` description of one simulation; [`run_replication`] builds
//! the live state from it inside whichever worker runs the replication and returns what was
//! measured. Nothing here formats output: samples go to a [`SampleSink`].

use crate::engine::time::SimTime;
use crate::engine::time::from_secs_f64;
use crate::engine::{EventQueue, Schedule, stream};
use crate::targets::{
    Cluster, ClusterEvent, Job, TargetEvent, TargetKind, TargetModel, TargetReport, TargetSample,
    TargetSpec,
};
use crate::workload::{Arrival, ArrivalSource, WorkloadSpec};

#[derive(Clone, Debug)]
pub struct System {
    pub targets: Vec<TargetSpec>,
    pub workloads: Vec<WorkloadSpec>,
    pub horizon: SimTime,
    /// Statistics ignore what happens before this.
    pub warmup: SimTime,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Arrival(u32),
    Target(u32, TargetEvent),
    Sample,
}

/// Lets a target schedule its own events without knowing the enclosing event type.
struct ClusterScheduler<'a> {
    queue: &'a mut EventQueue<Event>,
    target: u32,
}

impl Schedule<ClusterEvent> for ClusterScheduler<'_> {
    #[inline]
    fn schedule(&mut self, at: SimTime, event: ClusterEvent) {
        self.queue
            .schedule(at, Event::Target(self.target, TargetEvent::Cluster(event)));
    }
}

struct WorkloadState {
    arrivals: ArrivalSource,
    /// The arrival whose event is in the queue.
    pending: Option<Arrival>,
    durations: crate::engine::StreamRng,
}

/// Random-stream purposes. Workload streams are keyed by the workload's name only, so changing
/// any compute setting leaves a replication's arrivals and durations untouched.
pub fn arrivals_purpose(workload: &str) -> String {
    format!("workload/{workload}/arrivals")
}
pub fn durations_purpose(workload: &str) -> String {
    format!("workload/{workload}/durations")
}
pub fn provisioning_purpose(target: &str) -> String {
    format!("target/{target}/provisioning")
}

/// Runs replication `replication` of `system` with scenario seed `seed`.
pub fn run_replication(
    system: &System,
    seed: u64,
    replication: u64,
    mut sink: Option<&mut dyn SampleSink>,
) -> ReplicationResult {
    let horizon = system.horizon;
    let mut queue: EventQueue<Event> = EventQueue::with_capacity(1024);
    let mut targets: Vec<TargetModel> = system
        .targets
        .iter()
        .map(|t| match &t.kind {
            TargetKind::AmlCompute(spec) => TargetModel::Cluster(Cluster::new(
                spec.clone(),
                stream(seed, replication, &provisioning_purpose(&t.name)),
                system.warmup,
                horizon,
            )),
        })
        .collect();
    let mut workloads: Vec<WorkloadState> = system
        .workloads
        .iter()
        .map(|w| WorkloadState {
            arrivals: ArrivalSource::new(
                &w.arrivals,
                stream(seed, replication, &arrivals_purpose(&w.name)),
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
            queue.schedule(a.time, Event::Arrival(i as u32));
        }
    }
    if sink.is_some() && system.sample_interval > 0 {
        queue.schedule(0, Event::Sample);
    }

    while let Some((now, event)) = queue.pop_until(horizon) {
        match event {
            Event::Arrival(w) => {
                let spec = &system.workloads[w as usize];
                let state = &mut workloads[w as usize];
                let arrival = state
                    .pending
                    .take()
                    .expect("an arrival event has its arrival");
                // A trace row's own duration wins; otherwise draw one. Validation guarantees one
                // of the two exists.
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
                };
                if let Some(next) = state.arrivals.next_arrival()
                    && next.time <= horizon
                {
                    state.pending = Some(next);
                    queue.schedule(next.time, Event::Arrival(w));
                }
                let target = spec.target as u32;
                match &mut targets[spec.target] {
                    TargetModel::Cluster(c) => c.submit(
                        now,
                        job,
                        &mut ClusterScheduler {
                            queue: &mut queue,
                            target,
                        },
                    ),
                }
            }
            Event::Target(t, TargetEvent::Cluster(ev)) => match &mut targets[t as usize] {
                TargetModel::Cluster(c) => c.handle(
                    now,
                    ev,
                    &mut ClusterScheduler {
                        queue: &mut queue,
                        target: t,
                    },
                ),
            },
            Event::Sample => {
                if let Some(sink) = sink.as_deref_mut() {
                    for (i, t) in targets.iter().enumerate() {
                        let sample = match t {
                            TargetModel::Cluster(c) => TargetSample::Cluster(c.sample(now)),
                        };
                        sink.sample(now, i, &sample);
                    }
                }
                let next = now.saturating_add(system.sample_interval);
                if next <= horizon {
                    queue.schedule(next, Event::Sample);
                }
            }
        }
    }

    let events = queue.processed();
    ReplicationResult {
        replication,
        replication_seed: crate::engine::derive_seed(seed, replication),
        targets: targets
            .into_iter()
            .map(|t| match t {
                TargetModel::Cluster(c) => TargetReport::Cluster(c.finish(horizon)),
            })
            .collect(),
        events,
    }
}
