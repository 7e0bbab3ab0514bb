//! The key tables: for each Azure ML resource kind, what becomes of each of its YAML keys
//! (copied to a scenario key with a conversion, ignored with the reason, a nested table, or read
//! by the kind's own code).

#[derive(Clone, Copy, Debug)]
pub(super) enum Conv {
    /// A string, trimmed.
    Str,
    /// A string, lower-cased, one of these.
    OneOf(&'static [&'static str]),
    /// A whole number of at least this.
    Count(i64),
    /// A number of seconds, or a duration string (ISO 8601 or capsim's).
    Seconds,
    /// A whole number of minutes, written as a duration.
    Minutes,
    /// A percentage above 0, at most 100.
    Percent,
    /// `azureml:<name>` or a compute's resource ID: the compute's name.
    ComputeRef,
    /// A Kubernetes CPU quantity (`"100m"`, `"0.5"`, `2`): vCPUs.
    Cpu,
    /// A Kubernetes memory quantity (`"2Gi"`, `"200Mi"`, `"1G"`): GiB.
    Memory,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Rule {
    /// Copied to this (dotted) scenario key.
    To(&'static str, Conv),
    /// Ignored: metadata that cannot change capacity, waits or cost.
    Meta(&'static str),
    /// Ignored, though it changes how the real resource behaves: the note says what capsim
    /// does instead.
    Unused(&'static str),
    /// A nested mapping with its own keys.
    Sub(&'static [(&'static str, Rule)]),
    /// Read by its kind's code.
    Own,
}

pub(super) use Rule::{Meta, Own, Sub, To, Unused};

pub(super) const SCHEMA: &str = "the YAML schema, for editors";
pub(super) const DESCRIPTION: &str = "a description";
pub(super) const TAGS: &str = "tags are labels";
pub(super) const IDENTITY: &str = "the identity the resource acts as does not change its capacity";
pub(super) const NETWORK: &str = "network settings do not change capacity or cost in capsim";
pub(super) const SSH: &str = "SSH access does not change capacity or cost";
pub(super) const MODEL: &str = "what is deployed (model, code, environment) shows only in the service time, which you give in [[traffic]]";

/// `az ml ... show` writes these too: status, not settings.
pub(super) const READ_ONLY: &[&str] = &[
    "id",
    "provisioning_state",
    "provisioning_errors",
    "created_on",
    "state",
    "last_operation",
    "services",
    "os_image_metadata",
    "scoring_uri",
    "openapi_uri",
    "properties",
];

pub(super) const AMLCOMPUTE: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("type", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    (
        "location",
        Meta("capsim prices are the catalog's (East US list prices) or your `prices` file"),
    ),
    ("size", To("size", Conv::Str)),
    (
        "tier",
        To("tier", Conv::OneOf(&["dedicated", "low_priority"])),
    ),
    ("min_instances", To("min_instances", Conv::Count(0))),
    ("max_instances", To("max_instances", Conv::Count(0))),
    (
        "idle_time_before_scale_down",
        To("idle_time_before_scale_down", Conv::Seconds),
    ),
    ("ssh_public_access_enabled", Meta(SSH)),
    ("ssh_settings", Meta(SSH)),
    ("network_settings", Meta(NETWORK)),
    ("enable_node_public_ip", Meta(NETWORK)),
    ("identity", Meta(IDENTITY)),
];

pub(super) const COMPUTEINSTANCE: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("type", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    (
        "location",
        Meta("capsim prices are the catalog's (East US list prices) or your `prices` file"),
    ),
    ("size", To("size", Conv::Str)),
    (
        "idle_time_before_shutdown",
        To("idle_time_before_shutdown", Conv::Seconds),
    ),
    (
        "idle_time_before_shutdown_minutes",
        To("idle_time_before_shutdown", Conv::Minutes),
    ),
    (
        "schedules",
        Unused(
            "Azure's cron and recurrence schedules (with their time zones) are not converted: write capsim's schedules = [{ start, stop, days }] in the scenario (docs/scenarios.md)",
        ),
    ),
    (
        "create_on_behalf_of",
        Meta("whose instance it is does not change its capacity"),
    ),
    (
        "custom_applications",
        Meta("applications on the instance are not simulated"),
    ),
    ("setup_scripts", Meta("set-up scripts are not simulated")),
    ("ssh_public_access_enabled", Meta(SSH)),
    ("ssh_settings", Meta(SSH)),
    ("network_settings", Meta(NETWORK)),
    ("enable_node_public_ip", Meta(NETWORK)),
    (
        "enable_sso",
        Meta("single sign-on does not change capacity"),
    ),
    (
        "enable_root_access",
        Meta("root access does not change capacity"),
    ),
    ("identity", Meta(IDENTITY)),
];

pub(super) const KUBERNETES_COMPUTE: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("type", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    (
        "resource_id",
        Meta("the attached cluster's ID: its node size and count are not in the YAML"),
    ),
    (
        "namespace",
        Meta("the Kubernetes namespace does not change capacity"),
    ),
    ("identity", Meta(IDENTITY)),
];

pub(super) const ONLINE_ENDPOINT: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    (
        "auth_mode",
        Meta("who may call the endpoint does not change its capacity"),
    ),
    ("compute", Own),
    ("identity", Meta(IDENTITY)),
    ("public_network_access", Meta(NETWORK)),
    (
        "traffic",
        Unused(
            "capsim simulates one deployment per [[endpoint]]: give each deployment's share of the requests as its [[traffic]] rate",
        ),
    ),
    (
        "mirror_traffic",
        Unused(
            "mirrored requests are not simulated: add them to the mirror deployment's [[traffic]] rate",
        ),
    ),
    (
        "location",
        Meta("capsim prices are the catalog's (East US list prices) or your `prices` file"),
    ),
    ("kind", Meta("set by Azure")),
];

pub(super) const BATCH_ENDPOINT: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    (
        "auth_mode",
        Meta("who may call the endpoint does not change its capacity"),
    ),
    (
        "defaults",
        Meta("the default deployment: capsim simulates the deployment you import"),
    ),
    ("identity", Meta(IDENTITY)),
    (
        "location",
        Meta("capsim prices are the catalog's (East US list prices) or your `prices` file"),
    ),
];

pub(super) const REQUEST_SETTINGS: &[(&str, Rule)] = &[
    (
        "max_concurrent_requests_per_instance",
        To(
            "request_settings.max_concurrent_requests_per_instance",
            Conv::Count(1),
        ),
    ),
    (
        "request_timeout_ms",
        To("request_settings.request_timeout_ms", Conv::Count(1)),
    ),
    (
        "max_queue_wait_ms",
        To("request_settings.max_queue_wait_ms", Conv::Count(0)),
    ),
];

pub(super) const LIVENESS: &str =
    "a liveness probe restarts a failing container, and capsim's instances never fail";

/// Keys of both kinds of online deployment.
pub(super) const ONLINE_DEPLOYMENT: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("type", Own),
    ("endpoint_name", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    ("model", Meta(MODEL)),
    ("model_mount_path", Meta(MODEL)),
    ("code_configuration", Meta(MODEL)),
    ("environment", Meta(MODEL)),
    ("environment_variables", Meta(MODEL)),
    ("instance_type", Own),
    ("instance_count", To("instance_count", Conv::Count(0))),
    ("request_settings", Sub(REQUEST_SETTINGS)),
    ("scale_settings", Own),
    ("liveness_probe", Unused(LIVENESS)),
    ("readiness_probe", Own),
    ("resources", Own),
    (
        "app_insights_enabled",
        Meta("Application Insights logging does not change capacity"),
    ),
    (
        "data_collector",
        Meta("data collection does not change capacity in capsim"),
    ),
    ("egress_public_network_access", Meta(NETWORK)),
];

pub(super) const K8S_SCALE: &[(&str, Rule)] = &[
    (
        "type",
        To(
            "scale_settings.type",
            Conv::OneOf(&["target_utilization", "default"]),
        ),
    ),
    (
        "min_instances",
        To("scale_settings.min_instances", Conv::Count(0)),
    ),
    (
        "max_instances",
        To("scale_settings.max_instances", Conv::Count(0)),
    ),
    (
        "target_utilization_percentage",
        To(
            "scale_settings.target_utilization_percentage",
            Conv::Percent,
        ),
    ),
    (
        "polling_interval",
        To("scale_settings.polling_interval", Conv::Seconds),
    ),
];

pub(super) const K8S_REQUESTS: &[(&str, Rule)] = &[
    ("cpu", To("cpu_request_vcpus", Conv::Cpu)),
    ("memory", To("memory_request_gib", Conv::Memory)),
    (
        "nvidia.com/gpu",
        Unused("capsim places Kubernetes replicas by their CPU and memory requests only"),
    ),
];

pub(super) const K8S_RESOURCES: &[(&str, Rule)] = &[
    ("requests", Sub(K8S_REQUESTS)),
    (
        "limits",
        Meta("limits cap a replica; capsim places replicas by their requests"),
    ),
];

/// A batch deployment's settings: under `settings` (`type: model`) or at the top (the legacy
/// form without `type`).
pub(super) const BATCH_SETTINGS: &[(&str, Rule)] = &[
    (
        "max_concurrency_per_instance",
        To("max_concurrency_per_instance", Conv::Count(1)),
    ),
    ("mini_batch_size", To("mini_batch_size", Conv::Count(1))),
    ("retry_settings", Sub(BATCH_RETRY)),
    ("error_threshold", To("error_threshold", Conv::Count(-1))),
    (
        "logging_level",
        Meta("the log level does not change capacity"),
    ),
    (
        "output_action",
        Meta("where predictions are written does not change capacity in capsim"),
    ),
    (
        "output_file_name",
        Meta("where predictions are written does not change capacity in capsim"),
    ),
    ("environment_variables", Meta(MODEL)),
];

pub(super) const BATCH_RETRY: &[(&str, Rule)] = &[
    (
        "max_retries",
        To("retry_settings.max_retries", Conv::Count(0)),
    ),
    ("timeout", To("retry_settings.timeout", Conv::Seconds)),
];

pub(super) const BATCH_RESOURCES: &[(&str, Rule)] = &[
    ("instance_count", To("instance_count", Conv::Count(1))),
    (
        "instance_type",
        Meta("batch jobs run on the compute cluster's size"),
    ),
    ("properties", Meta("resource properties are not simulated")),
];

pub(super) const BATCH_DEPLOYMENT_OWN: &[(&str, Rule)] = &[
    ("$schema", Meta(SCHEMA)),
    ("name", Own),
    ("type", Own),
    ("endpoint_name", Own),
    ("description", Meta(DESCRIPTION)),
    ("tags", Meta(TAGS)),
    ("model", Meta(MODEL)),
    ("code_configuration", Meta(MODEL)),
    ("environment", Meta(MODEL)),
    ("compute", To("compute", Conv::ComputeRef)),
    ("resources", Sub(BATCH_RESOURCES)),
    ("settings", Sub(BATCH_SETTINGS)),
    (
        "component",
        Meta("a pipeline component (refused with its `type`)"),
    ),
];
