//! Azure ML's documented defaults, each with its source, and capsim's labelled assumptions where
//! Azure publishes no figure. Sources are cited as in `shared/reference/azure_semantics.md`
//! (read 2026-11).

/// `size` when a compute target names none. Azure ML CLI v2 YAML reference
/// (`reference-yaml-compute-aml.md`) and SDK v2 `ComputeDefaults.VMSIZE`.
pub const AMLCOMPUTE_SIZE: &str = "Standard_DS3_v2";

/// `min_instances`. CLI v2 YAML reference; SDK v2 `AmlCompute` (`min_instances or 0`).
pub const AMLCOMPUTE_MIN_INSTANCES: u32 = 0;

/// `max_instances`. CLI v2 YAML reference; SDK v2 `AmlCompute` (`max_instances or 1`).
pub const AMLCOMPUTE_MAX_INSTANCES: u32 = 1;

/// `idle_time_before_scale_down`, seconds. CLI v2 YAML reference; `how-to-manage-optimize-cost.md`
/// ("By default, idle time before scale down is set to 120 seconds").
pub const AMLCOMPUTE_IDLE_TIME_BEFORE_SCALE_DOWN_S: f64 = 120.0;

/// `tier`. CLI v2 YAML reference (`dedicated` or `low_priority`).
pub const AMLCOMPUTE_TIER: &str = "dedicated";

/// Nodes per cluster Azure ML allows without a support request (`how-to-manage-quotas.md`,
/// 2026-01-27).
pub const AMLCOMPUTE_DEFAULT_NODES_LIMIT: u32 = 100;

/// Highest `max_instances` Azure ML accepts for one cluster: 100 nodes by default, configurable
/// up to 65,000 for a pool without inter-node communication (`how-to-manage-quotas.md`,
/// 2026-01-27).
pub const AMLCOMPUTE_MAX_NODES_LIMIT: u32 = 65_000;

/// ASSUMPTION (Azure publishes no figure): median time from requesting a node to its being able
/// to run a job, seconds. Anecdotes put allocation plus boot at 3 to 8 minutes (Azure/Batch issue
/// #145). Calibrate `provisioning_time` against your own cluster's scale-up logs.
pub const ASSUMED_PROVISIONING_MEDIAN_S: f64 = 240.0;

/// ASSUMPTION: 95th percentile of the provisioning time, seconds (see above).
pub const ASSUMED_PROVISIONING_P95_S: f64 = 480.0;
