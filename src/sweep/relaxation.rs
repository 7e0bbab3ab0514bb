//! Whether a run is long enough to hold a steady state at all: the relaxation time of each
//! cluster's queue, from its offered load before any simulation, against the horizon.
//!
//! MSER (and so `warmup = "auto"`) can only cut what a run holds: on a run shorter than the
//! transient it truncates somewhere inside it and the intervals stay biased, silently. The
//! relaxation time says how long the transient is. For an M/M/c queue with offered load `a`
//! (busy nodes) it is about `E[S] / (sqrt(c) - sqrt(a))^2` (the heavy-traffic form of Abate and
//! Whitt, for c = 1 `E[S] / (1 - sqrt(rho))^2`; Whitt, "Planning queueing simulations",
//! Management Science 35(11), 1989): the distance to steady state shrinks like `e^(-t/tau)`.
//!
//! The rule: a run needs [`RELAXATIONS`] relaxation times. Three for the warm-up, which leaves
//! `e^-3`, 5% of the empty start's deficit, and two more to measure over. On the M/M/4 at rho =
//! 0.8 of `tests/it/warmup_bias.rs` (tau = 22.4 h): 3 days is 3.2 tau and `"auto"` covers the
//! true mean wait in 78% of intervals; 8 days is 8.6 tau and `"auto"` covers as a hand-picked
//! 5-day warm-up does.

use crate::engine::time::to_secs_f64;
use crate::model::System;
use crate::targets::TargetKind;
use crate::text::Diagnostic;
use crate::workload::offered;

/// Relaxation times a run needs: 3 to warm up, 2 to measure.
pub const RELAXATIONS: f64 = 5.0;

/// A cluster's queue and how long it takes to forget its start.
#[derive(Clone, Debug, PartialEq)]
pub struct Relaxation {
    pub target: String,
    /// Offered load, busy nodes, and the nodes it may use.
    pub offered_nodes: f64,
    pub nodes: u32,
    /// Mean job duration weighted by node time, seconds.
    pub mean_duration_s: f64,
    /// Relaxation time, seconds.
    pub tau_s: f64,
}

/// The relaxation time of every cluster whose offered load is known and below its
/// `max_instances` (an overloaded cluster has no steady state to reach).
pub fn relaxations(system: &System) -> Vec<Relaxation> {
    let mut out = vec![];
    for (i, t) in system.targets.iter().enumerate() {
        let TargetKind::Cluster { spec, .. } = &t.kind else {
            continue;
        };
        let (mut load, mut node_time) = (0.0, 0.0);
        let mut known = true;
        for w in system.workloads.iter().filter(|w| w.target == i) {
            let o = offered::jobs(w, system.horizon);
            match (o.busy_nodes(), o.mean_duration_s) {
                (Some(b), Some(d)) => {
                    load += b;
                    node_time += b * d;
                }
                _ => known = false,
            }
        }
        let c = spec.max_instances as f64;
        if !known || load <= 0.0 || load >= c {
            continue;
        }
        let mean_duration_s = node_time / load;
        let gap = c.sqrt() - load.sqrt();
        out.push(Relaxation {
            target: t.name.clone(),
            offered_nodes: load,
            nodes: spec.max_instances,
            mean_duration_s,
            tau_s: mean_duration_s / (gap * gap),
        });
    }
    out
}

fn hours_or_days(s: f64) -> String {
    if s >= 2.0 * 86_400.0 {
        format!("{:.1} days", s / 86_400.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// With `warmup = "auto"`: a warning when the horizon is shorter than [`RELAXATIONS`]
/// relaxation times of some cluster (the slowest is named), saying the horizon needed; located
/// at the scenario's `warmup` line (`text` of `file`). `chosen_s` is the warm-up MSER chose.
pub fn short_run_warning(
    system: &System,
    chosen_s: Option<f64>,
    file: &std::path::Path,
    text: &str,
) -> Option<Diagnostic> {
    let slowest = relaxations(system)
        .into_iter()
        .max_by(|a, b| a.tau_s.total_cmp(&b.tau_s))?;
    let horizon_s = to_secs_f64(system.horizon);
    let needed_s = RELAXATIONS * slowest.tau_s;
    if horizon_s >= needed_s {
        return None;
    }
    let chosen = chosen_s.map_or_else(String::new, |c| {
        format!(" (MSER-5 chose a warm-up of {})", hours_or_days(c))
    });
    Some(super::warmup::warmup_warning(
        file,
        text,
        format!(
            "the run is too short to hold a steady state: cluster `{}` (offered load {:.2} of \
             {} nodes, mean job {}) takes about {} to forget its empty start (its relaxation \
             time), and the horizon of {} is {:.1} of them; \"auto\" can only cut what the run \
             holds{chosen}, so waits stay biased low and the intervals may cover the true means \
             less often than 95%",
            slowest.target,
            slowest.offered_nodes,
            slowest.nodes,
            hours_or_days(slowest.mean_duration_s),
            hours_or_days(slowest.tau_s),
            hours_or_days(horizon_s),
            horizon_s / slowest.tau_s,
        ),
        format!(
            "set horizon to at least {} ({RELAXATIONS} relaxation times: 3 to warm up, 2 to \
             measure)",
            hours_or_days(needed_s)
        ),
    ))
}
