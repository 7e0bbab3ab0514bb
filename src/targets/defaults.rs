//! Azure ML's documented defaults, each with its source, and capsim's labelled assumptions where
//! Azure publishes no figure. Azure ML pages are cited by their file name in the public
//! documentation repository MicrosoftDocs/azure-ai-docs (`articles/machine-learning/<page>.md`,
//! published at `https://learn.microsoft.com/azure/machine-learning/<page>`), read 2026-11;
//! the SDK is Azure/azure-sdk-for-python (`sdk/ml/azure-ai-ml`).

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
/// list price of a P10 disk, not from an Azure ML page. Set `disk_usd_per_month`.
pub const ASSUMED_CI_P10_DISK_USD_PER_MONTH: f64 = 19.71;

/// ASSUMPTION: time for a stopped compute instance to start (Azure publishes none; creating one
/// takes "about 5 minutes", starting a stopped one is usually quicker). Set `start_time`.
pub const ASSUMED_CI_START_MEDIAN_S: f64 = 150.0;
pub const ASSUMED_CI_START_P95_S: f64 = 300.0;

// --- Inference endpoints ---

/// Most instances one managed online deployment may have without a support request
/// (`how-to-manage-quotas.md`, "Max instances per deployment: 50").
pub const ENDPOINT_MAX_INSTANCES: u32 = 50;

/// Azure ML reserves quota for `ceil(1.2 x instance_count)` instances of a managed online
/// deployment, for OS upgrades and VM recovery (`includes/quota-allocation-online-deployment.md`).
pub const ENDPOINT_QUOTA_RESERVE_FACTOR: f64 = 1.2;

/// `request_settings.max_concurrent_requests_per_instance` (`reference-yaml-deployment-managed-
/// online.md`; SDK `OnlineRequestSettings`).
pub const ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE: u32 = 1;

/// `request_settings.request_timeout_ms` and its maximum (YAML reference: default 5000 ms, at most
/// 180,000 ms).
pub const ENDPOINT_REQUEST_TIMEOUT_MS: u64 = 5_000;
pub const ENDPOINT_REQUEST_TIMEOUT_MAX_MS: u64 = 180_000;

/// Azure ML admits at most `2 x max_concurrent_requests_per_instance x instance_count` requests at
/// once and rejects the rest with HTTP 429 (`how-to-troubleshoot-online-endpoints.md`).
pub const ENDPOINT_ADMISSION_FACTOR: u32 = 2;

/// Autoscale rule `cooldown` (`az monitor autoscale rule create` default, 5 minutes).
pub const AUTOSCALE_COOLDOWN_S: f64 = 300.0;

/// Autoscale metric time grain (PT1M: every endpoint metric is reported per minute) and the
/// evaluation period (Azure Monitor runs the autoscale job every 30 to 60 s; capsim uses 60 s).
pub const AUTOSCALE_TIME_GRAIN_S: u64 = 60;

/// Allowed `time_window` of an autoscale rule: 5 minutes to 12 hours (Azure Monitor
/// `autoscale-understanding-settings.md`).
pub const AUTOSCALE_TIME_WINDOW_MIN_S: f64 = 300.0;
pub const AUTOSCALE_TIME_WINDOW_MAX_S: f64 = 12.0 * 3600.0;

/// Default `time_window` of a rule when none is given: the CLI's examples (`avg 5m`).
pub const AUTOSCALE_TIME_WINDOW_S: f64 = 300.0;

/// Up to 10 rules per autoscale profile and 20 profiles per setting (Azure Monitor limits).
pub const AUTOSCALE_MAX_RULES: usize = 10;
pub const AUTOSCALE_MAX_PROFILES: usize = 20;

/// ASSUMPTION (Azure publishes no figure): time from a scale-out action to the new managed online
/// instance serving, seconds. Creating a deployment "might take up to 15 minutes"
/// (`how-to-deploy-online-endpoints.md`); one user reports 12 to 18 minutes per scale-out
/// (Azure/azureml-examples issue #3515). Log-normal with this median and p95;
/// calibrate with `autoscale.provisioning_time`.
pub const ASSUMED_ENDPOINT_PROVISIONING_MEDIAN_S: f64 = 600.0;
pub const ASSUMED_ENDPOINT_PROVISIONING_P95_S: f64 = 900.0;

/// Kubernetes online deployments (`reference-yaml-deployment-kubernetes-online.md`): the router's
/// target-utilisation autoscaler defaults: `min_instances` 1, `max_instances` 1,
/// `target_utilization_percentage` 70, `polling_interval` 1 s; request timeout at most 300 s.
pub const K8S_MIN_INSTANCES: u32 = 1;
pub const K8S_MAX_INSTANCES: u32 = 1;
pub const K8S_TARGET_UTILIZATION_PERCENTAGE: f64 = 70.0;
pub const K8S_POLLING_INTERVAL_S: f64 = 1.0;
pub const K8S_REQUEST_TIMEOUT_MAX_MS: u64 = 300_000;

/// The `defaultinstancetype` created when a Kubernetes cluster is attached requests 100m CPU and
/// 2 GiB memory per replica (`how-to-manage-kubernetes-instance-types.md`).
pub const K8S_DEFAULT_CPU_REQUEST_VCPUS: f64 = 0.1;
pub const K8S_DEFAULT_MEMORY_REQUEST_GIB: f64 = 2.0;

/// ASSUMPTION: the Kubernetes HPA's default scale-down stabilisation window (5 min); Azure does
/// not document the router's.
pub const ASSUMED_K8S_SCALE_DOWN_WINDOW_S: f64 = 300.0;

/// ASSUMPTION (Azure publishes no figure): time for a new replica (a pod on a running node, image
/// cached) to serve: log-normal, median 20 s, p95 60 s. Set `replica_start_time`.
pub const ASSUMED_K8S_REPLICA_START_MEDIAN_S: f64 = 20.0;
pub const ASSUMED_K8S_REPLICA_START_P95_S: f64 = 60.0;

/// Azure Container Instances deployments (`aci`), dev/test only: CPU only, memory under 48 GB and
/// a model under 1 GB (the Azure Container Instances row of the inference targets in
/// `concept-compute-target.md`).
pub const ACI_MAX_MEMORY_GIB: f64 = 48.0;
pub const ACI_MAX_MODEL_GIB: f64 = 1.0;

/// `cpu_cores` and `memory_gb` of an ACI deployment when not given (Azure ML SDK v1
/// `AciWebservice.deploy_configuration` defaults, 0.1 core and 0.5 GB).
pub const ACI_CPU_CORES: f64 = 0.1;
pub const ACI_MEMORY_GIB: f64 = 0.5;

/// ASSUMPTION (not from an Azure ML page): Azure Container Instances Linux pay-as-you-go list
/// prices in East US, about $0.0000113 per vCPU-second and $0.0000012 per GB-second. Give
/// `price_usd_per_hour` for your region.
pub const ASSUMED_ACI_USD_PER_VCPU_HOUR: f64 = 0.0405;
pub const ASSUMED_ACI_USD_PER_GIB_HOUR: f64 = 0.00445;

// --- Batch endpoints (`reference-yaml-deployment-batch.md`,
// SDK `BatchRetrySettings`; checked 2026-01) ---

/// `resources.instance_count`: nodes each invocation (job) asks its cluster for.
pub const BATCH_INSTANCE_COUNT: u64 = 1;
/// `settings.mini_batch_size`: files per `run()` call.
pub const BATCH_MINI_BATCH_SIZE: u64 = 10;
/// `settings.max_concurrency_per_instance`: parallel `run()` processes per node.
pub const BATCH_MAX_CONCURRENCY_PER_INSTANCE: u64 = 1;
/// `settings.retry_settings.max_retries`: attempts after the first for a failed mini-batch.
pub const BATCH_MAX_RETRIES: u32 = 3;
/// `settings.retry_settings.timeout`: longest a mini-batch may run, seconds.
pub const BATCH_TIMEOUT_S: f64 = 30.0;

// --- Low priority as Spot (from 31 March 2026) ---

/// The day Azure ML's low-priority VMs were retired: from this simulated date on, the nodes of a
/// `tier = "low_priority"` cluster are Spot VMs. "Low-priority virtual machines (VMs) were
/// retired for Azure Machine Learning on March 31, 2026. Compute clusters that specify
/// `tier: low_priority` still pass validation and still run jobs, but Azure Batch now allocates
/// their nodes as Spot VMs" (`how-to-manage-optimize-cost.md`, MicrosoftDocs/azure-ai-docs pull
/// request 806, 2026-08; the same note in `how-to-use-low-priority-batch.md`, pull request 791;
/// Azure/Batch issue 196, "Low-Priority compute nodes migration to Spot-based compute nodes
/// beginning in March 2026", 2026-02-25). Earlier dates keep the fixed low-priority price.
pub const SPOT_SINCE: &str = "2026-03-31";

/// ASSUMPTION (Azure publishes no eviction rate for a cluster): the chance that a Spot node is
/// evicted within an hour. The Azure portal and Azure Resource Graph (`SpotResources`,
/// `microsoft.compute/skuspotevictionrate/location`) show a size's eviction rate only as a band
/// per hour: 0-5%, 5-10%, 10-15%, 15-20%, 20+% ("an eviction rate of 10% means that there is a
/// 10% chance that a VM will be evicted within the next hour": Azure Architecture Center,
/// <https://learn.microsoft.com/azure/architecture/guide/spot/spot-eviction>). capsim takes the
/// top of the lowest band, 5% an hour (a node lives 19.5 h on average): the band most sizes
/// show, read at its pessimistic end. Set `preemption` from your size's band in your region.
pub const ASSUMED_SPOT_EVICTION_PROBABILITY_PER_HOUR: f64 = 0.05;

/// ASSUMPTION: how long an evicted Spot node stays powered on, billed and useless, before it is
/// gone, seconds. Azure gives a Spot VM at least 30 seconds' notice of eviction (a `Preempt`
/// scheduled event, <https://learn.microsoft.com/azure/virtual-machines/spot-vms>); evicted
/// nodes "are billed while powered on" (the Azure ML notes above). Azure ML does not hand the
/// notice to the job, so capsim counts the job's work as lost when the eviction starts and bills
/// the node for the notice. Set `preemption.eviction_time`.
pub const ASSUMED_SPOT_EVICTION_TIME_S: f64 = 30.0;

/// ASSUMPTION (the Spot rate varies by region and demand and Azure publishes no distribution):
/// when a scenario gives no `spot_price`, the Spot price of a node is drawn once per replication
/// as a fraction of pay-as-you-go, log-normal with the observed fraction (the price list's or
/// the catalog's Spot price over its list price) as median and this many times it as 95th
/// percentile, capped at pay-as-you-go. Give `spot_price` from your region's price history.
pub const ASSUMED_SPOT_PRICE_P95_OVER_MEDIAN: f64 = 2.0;

/// The catalog's region when a scenario names none: every catalog price is East US's.
pub const DEFAULT_REGION: &str = "eastus";
