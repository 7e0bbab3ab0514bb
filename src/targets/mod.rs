//! Compute targets: the Azure ML semantics of each kind of compute.
//!
//! Each target is a plain state machine that receives jobs, schedules its own events through
//! [`Schedule`](crate::engine::Schedule) and reports what it measured when the run ends. The
//! enums below dispatch statically, so adding a target kind means adding a variant and its match
//! arms, and no virtual call enters the inner loop.

pub mod cluster;
pub mod defaults;
pub mod job_kinds;

pub use cluster::{Cluster, ClusterEvent, ClusterReport, ClusterSample, ClusterSpec, Job, Tier};

/// The configuration of one compute target.
#[derive(Clone, Debug)]
pub struct TargetSpec {
    pub name: String,
    pub kind: TargetKind,
    /// Where the price came from (catalog row or user override), for every money column.
    pub price_source: String,
}

#[derive(Clone, Debug)]
pub enum TargetKind {
    AmlCompute(ClusterSpec),
}

impl TargetSpec {
    /// The name users write in `type = "..."`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            TargetKind::AmlCompute(_) => "amlcompute",
        }
    }

    pub fn size(&self) -> &str {
        match &self.kind {
            TargetKind::AmlCompute(c) => &c.size,
        }
    }

    pub fn tier(&self) -> &'static str {
        match &self.kind {
            TargetKind::AmlCompute(c) => c.tier.as_str(),
        }
    }

    pub fn price_usd_per_hour(&self) -> f64 {
        match &self.kind {
            TargetKind::AmlCompute(c) => c.price_usd_per_hour,
        }
    }

    /// Nodes (or instances) this target can run at most, for estimates.
    pub fn max_nodes(&self) -> u32 {
        match &self.kind {
            TargetKind::AmlCompute(c) => c.max_instances,
        }
    }
}

pub enum TargetModel {
    Cluster(Cluster),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetEvent {
    Cluster(ClusterEvent),
}

#[derive(Clone, Debug)]
pub enum TargetReport {
    Cluster(ClusterReport),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetSample {
    Cluster(ClusterSample),
}
