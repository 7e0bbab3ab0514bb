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

/// `idle_time_before_shutdown` of a compute instance: 15 minutes to 3 days (SDK
/// `compute_instance.py` docstring; `how-to-create-compute-instance.md`). Unset means no idle
/// shutdown (the SDK and CLI send nothing).
pub const CI_IDLE_SHUTDOWN_MIN_S: f64 = 15.0 * 60.0;
pub const CI_IDLE_SHUTDOWN_MAX_S: f64 = 3.0 * 86_400.0;

/// One standard load balancer per compute instance, billed even when it is stopped: "about
/// $0.33/day" (`concept-plan-manage-cost.md`).
pub const CI_LOAD_BALANCER_USD_PER_DAY: f64 = 0.33;

/// ASSUMPTION: the P10 premium SSD OS disk of a compute instance (128 GiB), billed even when it
/// is stopped. Azure ML's docs name the disk but not its price; this is an approximate East US
/// list price of a P10 disk, not from the project's sources. Set `disk_usd_per_month`.
pub const ASSUMED_CI_P10_DISK_USD_PER_MONTH: f64 = 19.71;

/// ASSUMPTION: time for a stopped compute instance to start (Azure publishes none; creating one
/// takes "about 5 minutes", starting a stopped one is usually quicker). Set `start_time`.
pub const ASSUMED_CI_START_MEDIAN_S: f64 = 150.0;
pub const ASSUMED_CI_START_P95_S: f64 = 300.0;
