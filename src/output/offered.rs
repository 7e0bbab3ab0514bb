//! The offered load of every workload and traffic stream as `run.json` records it
//! ([`super::runinfo::ScenarioFacts::workloads`]) and as the terminal and the report state it:
//! one sentence each, made here so that all three say the same.

use crate::model::System;
use crate::targets::TargetKind;
use crate::workload::offered;
use serde::{Deserialize, Serialize};

/// One workload (jobs) or traffic stream (requests), and what it offers its target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkloadFacts {
    pub name: String,
    /// The target it is aimed at.
    pub target: String,
    /// Jobs per hour (jobs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs_per_hour: Option<f64>,
    /// The mean job duration its distribution implies, seconds (jobs only; none for a batch
    /// endpoint's jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_duration_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes_per_job: Option<f64>,
    /// Jobs per second x mean duration x nodes per job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_busy_nodes: Option<f64>,
    /// Requests only, from here on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    /// The endpoint's instances at time zero (`instance_count`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second_per_instance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_service_s: Option<f64>,
    /// Requests per second x mean service time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_busy_slots: Option<f64>,
    /// instances x max_concurrent_requests_per_instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slots: Option<u32>,
}

/// Every workload, then every traffic stream, of `system`.
pub fn facts(system: &System) -> Vec<WorkloadFacts> {
    let target = |i: usize| system.targets.get(i);
    let name = |i: usize| target(i).map_or_else(String::new, |t| t.name.clone());
    let mut out = vec![];
    for w in &system.workloads {
        let o = offered::jobs(w, system.horizon);
        out.push(WorkloadFacts {
            name: w.name.clone(),
            target: name(w.target),
            jobs_per_hour: Some(o.jobs_per_hour),
            mean_duration_s: o.mean_duration_s,
            nodes_per_job: Some(o.nodes_per_job),
            offered_busy_nodes: o.busy_nodes(),
            ..Default::default()
        });
    }
    for t in &system.traffic {
        let o = offered::requests(t, system.horizon);
        let (instances, per) = match target(t.target).map(|t| &t.kind) {
            Some(TargetKind::Endpoint { spec, .. }) => (
                Some(spec.instance_count),
                Some(spec.max_concurrent_requests_per_instance),
            ),
            _ => (None, None),
        };
        out.push(WorkloadFacts {
            name: t.name.clone(),
            target: name(t.target),
            requests_per_second: Some(o.requests_per_second),
            instances,
            requests_per_second_per_instance: instances
                .filter(|&n| n > 0)
                .map(|n| o.requests_per_second / n as f64),
            mean_service_s: o.mean_service_s,
            offered_busy_slots: o.busy_slots(),
            slots: instances.zip(per).map(|(n, p)| n * p),
            ..Default::default()
        });
    }
    out
}

/// A duration in the unit that reads best: seconds, minutes or hours.
fn span(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 2.0 * 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.2} h", s / 3600.0)
    }
}

/// Two significant decimals for small figures, fewer for large ones.
fn figure(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

impl WorkloadFacts {
    /// One sentence, without the name: what it offers its target.
    pub fn sentence(&self) -> String {
        if let Some(rate) = self.requests_per_second {
            let mut s = format!("{} requests/s", figure(rate));
            if let (Some(per), Some(n)) = (self.requests_per_second_per_instance, self.instances) {
                s += &format!(
                    ", {} per instance at its {n} instance{}",
                    figure(per),
                    if n == 1 { "" } else { "s" }
                );
            }
            match (self.mean_service_s, self.offered_busy_slots) {
                (Some(m), Some(busy)) => {
                    s += &format!("; mean service time {}, so {} ", span(m), figure(busy));
                    if let Some(slots) = self.slots {
                        s += &format!("of its {slots} ");
                    }
                    s += "request slots busy on average (offered load)";
                }
                _ => s += "; mean service time unknown before the run (a token model)",
            }
            return s;
        }
        let rate = self.jobs_per_hour.unwrap_or(0.0);
        let nodes = self.nodes_per_job.unwrap_or(1.0);
        let nodes_text = if nodes == nodes.round() {
            format!("{nodes:.0}")
        } else {
            format!("{nodes:.2}")
        };
        match (self.mean_duration_s, self.offered_busy_nodes) {
            (Some(d), Some(busy)) => format!(
                "{} jobs/h x mean duration {} x {nodes_text} node{} per job = {} nodes busy on \
                 average (offered load)",
                figure(rate),
                span(d),
                if nodes == 1.0 { "" } else { "s" },
                figure(busy)
            ),
            _ => format!(
                "{} jobs/h of {nodes_text} node{} each; their duration follows from their \
                 mini-batches",
                figure(rate),
                if nodes == 1.0 { "" } else { "s" },
            ),
        }
    }
}
