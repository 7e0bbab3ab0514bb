//! Compute targets: the Azure ML semantics of each kind of compute.
//!
//! Each target is a plain state machine that receives jobs, schedules its own events through
//! [`Schedule`](crate::engine::Schedule) and reports what it measured when the run ends. The
//! enums below dispatch statically, so adding a target kind means adding a variant and its match
//! arms, and no virtual call enters the inner loop.

pub mod autoscale;
pub mod batch;
pub mod breakdown;
pub mod cluster;
pub mod defaults;
pub mod endpoint;
pub mod instance;
pub mod job_kinds;
pub mod queue;
pub mod serverless;
pub mod spot;
pub mod usage;

pub use batch::{BatchReport, BatchSpec, BatchStats};
pub use breakdown::{Breakdown, WorkloadReport};
pub use cluster::{
    Cluster, ClusterEvent, ClusterReport, ClusterSample, ClusterSpec, Job, SpotOutcome, Tier,
};
pub use endpoint::{Billing, RouterAutoscale};
pub use endpoint::{Endpoint, EndpointEvent, EndpointReport, EndpointSpec};
pub use instance::{Instance, InstanceEvent, InstanceSpec};
pub use serverless::{Serverless, ServerlessEvent, ServerlessSpec};
pub use spot::{Fraction, PricePath, SpotPriceModel, SpotPricing};

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
    /// Node pools with an autoscaler or a fixed size: `amlcompute`, and the attached and
    /// fixed-capacity types (`type_name` says which), all with compute-cluster semantics.
    Cluster {
        type_name: &'static str,
        spec: ClusterSpec,
    },
    ComputeInstance(InstanceSpec),
    Serverless(ServerlessSpec),
    /// An inference endpoint deployment (`[[endpoint]]`); `type_name` is its `type`.
    Endpoint {
        type_name: &'static str,
        spec: EndpointSpec,
    },
    /// A batch endpoint deployment (`[[endpoint]] type = "batch"`). Its jobs run on the compute
    /// target `compute` (its invocations are a workload there, with their batch settings); this
    /// target only reports them. Size, tier and price are the cluster's.
    Batch {
        compute: usize,
        instance_count: u32,
        max_concurrency_per_instance: u32,
        size: String,
        tier: &'static str,
        price_usd_per_hour: f64,
    },
}

impl TargetSpec {
    /// The name users write in `type = "..."`.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            TargetKind::Cluster { type_name, .. } => type_name,
            TargetKind::ComputeInstance(_) => "computeinstance",
            TargetKind::Serverless(_) => "serverless",
            TargetKind::Endpoint { type_name, .. } => type_name,
            TargetKind::Batch { .. } => "batch",
        }
    }

    pub fn size(&self) -> &str {
        match &self.kind {
            TargetKind::Cluster { spec, .. } => &spec.size,
            TargetKind::ComputeInstance(i) => &i.size,
            TargetKind::Serverless(s) => &s.size,
            TargetKind::Endpoint { spec, .. } => &spec.instance_type,
            TargetKind::Batch { size, .. } => size,
        }
    }

    pub fn tier(&self) -> &'static str {
        match &self.kind {
            TargetKind::Cluster { spec, .. } => spec.tier.as_str(),
            TargetKind::ComputeInstance(_) => Tier::Dedicated.as_str(),
            // Users write `job_tier = "spot"`: say it back in their words.
            TargetKind::Serverless(s) if s.tier == Tier::LowPriority => "spot",
            TargetKind::Serverless(_) => Tier::Dedicated.as_str(),
            TargetKind::Endpoint { .. } => Tier::Dedicated.as_str(),
            TargetKind::Batch { tier, .. } => tier,
        }
    }

    pub fn price_usd_per_hour(&self) -> f64 {
        match &self.kind {
            TargetKind::Cluster { spec, .. } => spec.price_usd_per_hour,
            TargetKind::ComputeInstance(i) => i.price_usd_per_hour,
            TargetKind::Serverless(s) => s.price_usd_per_hour,
            TargetKind::Endpoint { spec, .. } => spec.price_usd_per_hour,
            TargetKind::Batch {
                price_usd_per_hour, ..
            } => *price_usd_per_hour,
        }
    }

    /// Nodes (or instances) this target can run at most, for estimates.
    pub fn max_nodes(&self) -> u32 {
        match &self.kind {
            TargetKind::Cluster { spec, .. } => spec.max_instances,
            TargetKind::ComputeInstance(_) => 1,
            TargetKind::Serverless(_) => u32::MAX,
            TargetKind::Endpoint { spec, .. } => {
                spec.autoscale.as_ref().map_or(spec.instance_count, |a| {
                    std::iter::once(&a.default_profile)
                        .chain(&a.profiles)
                        .map(|p| p.max)
                        .max()
                        .unwrap_or(spec.instance_count)
                })
            }
            // Its nodes are its cluster's, counted there.
            TargetKind::Batch { .. } => 0,
        }
    }
}

// One per target per replication: boxing would only add an indirection to every event.
#[allow(clippy::large_enum_variant)]
pub enum TargetModel {
    Cluster(Cluster),
    Instance(Instance),
    Serverless(Serverless),
    Endpoint(Endpoint),
    /// A batch endpoint: its work runs on its cluster, which keeps its measures.
    Batch,
}

/// Every target reports the same measures (see [`ClusterReport`]): nodes provisioning, busy and
/// idle, waits and costs mean the same for each.
#[derive(Clone, Debug)]
pub enum TargetReport {
    Cluster(ClusterReport),
    Endpoint(EndpointReport),
    Batch(BatchReport),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetSample {
    Cluster(ClusterSample),
}
