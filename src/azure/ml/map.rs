//! The mapping: which YAML key of which resource becomes which scenario key.
//!
//! Each resource kind has a table of its keys ([`Rule`]): a key copied (converted) to a scenario
//! key, a key ignored with the reason, a nested mapping with a table of its own, or a key its
//! kind's code reads (`name`, `type`, `endpoint_name`, ...). A key in no table is an error when it
//! is close to a key capsim uses (a typo that would silently fall back to a default), else a
//! note that it was ignored.

use super::yaml::{self, At, Node, Value};
use super::{Field, Imported, Need, Note, Origin, Scalar, Section, Target};
use crate::text::duration::parse_duration;
use crate::text::{Diagnostic, Severity};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
enum Conv {
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
enum Rule {
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

use Rule::{Meta, Own, Sub, To, Unused};

const SCHEMA: &str = "the YAML schema, for editors";
const DESCRIPTION: &str = "a description";
const TAGS: &str = "tags are labels";
const IDENTITY: &str = "the identity the resource acts as does not change its capacity";
const NETWORK: &str = "network settings do not change capacity or cost in capsim";
const SSH: &str = "SSH access does not change capacity or cost";
const MODEL: &str = "what is deployed (model, code, environment) shows only in the service time, which you give in [[traffic]]";

/// `az ml ... show` writes these too: status, not settings.
const READ_ONLY: &[&str] = &[
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

const AMLCOMPUTE: &[(&str, Rule)] = &[
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

const COMPUTEINSTANCE: &[(&str, Rule)] = &[
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

const KUBERNETES_COMPUTE: &[(&str, Rule)] = &[
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

const ONLINE_ENDPOINT: &[(&str, Rule)] = &[
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

const BATCH_ENDPOINT: &[(&str, Rule)] = &[
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

const REQUEST_SETTINGS: &[(&str, Rule)] = &[
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

const LIVENESS: &str =
    "a liveness probe restarts a failing container, and capsim's instances never fail";

/// Keys of both kinds of online deployment.
const ONLINE_DEPLOYMENT: &[(&str, Rule)] = &[
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

const K8S_SCALE: &[(&str, Rule)] = &[
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

const K8S_REQUESTS: &[(&str, Rule)] = &[
    ("cpu", To("cpu_request_vcpus", Conv::Cpu)),
    ("memory", To("memory_request_gib", Conv::Memory)),
    (
        "nvidia.com/gpu",
        Unused("capsim places Kubernetes replicas by their CPU and memory requests only"),
    ),
];

const K8S_RESOURCES: &[(&str, Rule)] = &[
    ("requests", Sub(K8S_REQUESTS)),
    (
        "limits",
        Meta("limits cap a replica; capsim places replicas by their requests"),
    ),
];

/// A batch deployment's settings: under `settings` (`type: model`) or at the top (the legacy
/// form without `type`).
const BATCH_SETTINGS: &[(&str, Rule)] = &[
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

const BATCH_RETRY: &[(&str, Rule)] = &[
    (
        "max_retries",
        To("retry_settings.max_retries", Conv::Count(0)),
    ),
    ("timeout", To("retry_settings.timeout", Conv::Seconds)),
];

const BATCH_RESOURCES: &[(&str, Rule)] = &[
    ("instance_count", To("instance_count", Conv::Count(1))),
    (
        "instance_type",
        Meta("batch jobs run on the compute cluster's size"),
    ),
    ("properties", Meta("resource properties are not simulated")),
];

const BATCH_DEPLOYMENT_OWN: &[(&str, Rule)] = &[
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

/// A YAML document's place in the import.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Compute,
    OnlineEndpoint,
    BatchEndpoint,
    /// Neither `$schema` nor a key says which: settled by the deployments that name it.
    Endpoint,
    OnlineDeployment,
    BatchDeployment,
}

/// One YAML document, read.
struct Doc {
    file: PathBuf,
    at: At,
    entries: Vec<(String, At, Node)>,
    kind: Kind,
    /// `$schema`'s name (`amlCompute`), or the kind's.
    schema: &'static str,
    /// What said the endpoint or deployment runs on Kubernetes (`$schema`, `type`, `compute`).
    kubernetes: Option<Origin>,
}

/// Collects what one import finds.
struct Ctx {
    fields: Vec<Field>,
    notes: Vec<Note>,
    errors: Vec<Diagnostic>,
}

impl Ctx {
    fn new() -> Ctx {
        Ctx {
            fields: vec![],
            notes: vec![],
            errors: vec![],
        }
    }

    fn error(&mut self, origin: Origin, message: impl Into<String>) {
        self.errors
            .push(origin.diag(Severity::Error, message.into()));
    }

    fn note(&mut self, origin: Origin, why: &str, matters: bool) {
        self.notes.push(Note {
            origin,
            why: why.to_string(),
            matters,
        });
    }

    /// Reads `entries` (at `prefix`, a dotted YAML key) by `spec`.
    fn walk(
        &mut self,
        file: &Path,
        entries: &[(String, At, Node)],
        prefix: &str,
        spec: &[(&str, Rule)],
        what: &str,
    ) {
        for (key, key_at, value) in entries {
            let dotted = join(prefix, key);
            let key_origin = origin(file, *key_at, &dotted);
            match spec.iter().find(|(k, _)| k == key).map(|(_, r)| *r) {
                Some(To(path, conv)) => {
                    let at = origin(file, value.at, &dotted);
                    if let Some(v) = self.convert(conv, value, &at) {
                        self.push(path, v, at);
                    }
                }
                Some(Meta(why)) => self.note(key_origin, why, false),
                Some(Unused(why)) => self.note(key_origin, why, true),
                Some(Sub(sub)) => match &value.value {
                    Value::Map(inner) => self.walk(file, inner, &dotted, sub, what),
                    Value::Null => {}
                    other => self.error(
                        origin(file, value.at, &dotted),
                        format!("must be a mapping of keys, got {}", other.kind()),
                    ),
                },
                Some(Own) => {}
                None if prefix.is_empty() && READ_ONLY.contains(&key.as_str()) => self.note(
                    key_origin,
                    "status that Azure reports, not a setting",
                    false,
                ),
                None => self.unknown(key, key_origin, spec, what),
            }
        }
    }

    /// A key no table knows: a likely typo of a key capsim reads is an error (the value would
    /// silently fall back to Azure's default); anything else is noted and ignored.
    fn unknown(&mut self, key: &str, at: Origin, spec: &[(&str, Rule)], what: &str) {
        let used = spec
            .iter()
            .filter(|(_, r)| matches!(r, To(..) | Sub(_)))
            .map(|(k, _)| *k);
        let close = used
            .map(|k| (crate::catalog::edit_distance(key, k), k))
            .filter(|(d, k)| *d <= 2.max(key.len() / 4) || k.starts_with(key))
            .min();
        match close {
            Some((_, k)) => {
                let mut d = at.diag(
                    Severity::Error,
                    format!("unknown key `{key}` in {what} YAML"),
                );
                d.hint = Some(format!("did you mean `{k}`?"));
                self.errors.push(d);
            }
            None => {
                let why = format!("not a key of {what} that capsim reads");
                self.notes.push(Note {
                    origin: at,
                    why,
                    matters: true,
                });
            }
        }
    }

    fn push(&mut self, path: &str, value: Scalar, origin: Origin) {
        if let Some(other) = self.fields.iter().find(|f| f.dotted() == path) {
            let message = format!(
                "sets `{path}` again: `{}` (line {}) already did",
                other.origin.key, other.origin.line
            );
            self.error(origin, message);
            return;
        }
        self.fields.push(Field {
            path: path.split('.').map(String::from).collect(),
            value,
            origin,
        });
    }

    fn convert(&mut self, conv: Conv, node: &Node, at: &Origin) -> Option<Scalar> {
        let got = node.value.kind();
        let result: Result<Scalar, String> = match (conv, &node.value) {
            (Conv::Str, Value::Str(s)) if !s.trim().is_empty() => Ok(Scalar::Str(s.trim().into())),
            (Conv::Str, _) => Err(format!("must be a string, got {got}")),
            (Conv::OneOf(allowed), Value::Str(s)) => {
                let lower = s.trim().to_ascii_lowercase();
                if allowed.contains(&lower.as_str()) {
                    Ok(Scalar::Str(lower))
                } else {
                    Err(format!("must be one of {}, got `{s}`", allowed.join(", ")))
                }
            }
            (Conv::OneOf(allowed), _) => {
                Err(format!("must be one of {}, got {got}", allowed.join(", ")))
            }
            (Conv::Count(min), v) => match whole(v) {
                Some(n) if n >= min => Ok(Scalar::Int(n)),
                Some(n) => Err(format!("must be {min} or more, got {n}")),
                None => Err(format!("must be a whole number, got {got}")),
            },
            (Conv::Minutes, v) => match whole(v) {
                Some(n) if n >= 0 => Ok(Scalar::Str(format!("{n}m"))),
                Some(n) => Err(format!("must be 0 or more minutes, got {n}")),
                None => Err(format!("must be a whole number of minutes, got {got}")),
            },
            (Conv::Seconds, Value::Int(n)) if *n >= 0 => Ok(Scalar::Int(*n)),
            (Conv::Seconds, Value::Float(x)) if *x >= 0.0 && x.is_finite() => Ok(Scalar::Float(*x)),
            (Conv::Seconds, Value::Int(_) | Value::Float(_)) => {
                Err("must be 0 seconds or more".into())
            }
            (Conv::Seconds, Value::Str(s)) => match parse_duration(s) {
                Ok(v) if v >= 0.0 => Ok(Scalar::Str(s.trim().into())),
                Ok(_) => Err(format!("must be 0 or more, got {s}")),
                Err(e) => Err(format!(
                    "{e} (Azure writes seconds as a number, or ISO 8601 such as PT5M)"
                )),
            },
            (Conv::Seconds, _) => Err(format!(
                "must be a number of seconds or a duration such as PT5M, got {got}"
            )),
            (Conv::Percent, v) => match number(v) {
                Some(p) if p > 0.0 && p <= 100.0 => Ok(match v {
                    Value::Int(n) => Scalar::Int(*n),
                    _ => Scalar::Float(p),
                }),
                Some(p) => Err(format!("must be above 0 and at most 100, got {p}")),
                None => Err(format!("must be a percentage, got {got}")),
            },
            (Conv::ComputeRef, Value::Str(s)) => {
                let name = s.trim().trim_start_matches("azureml:");
                let name = name.rsplit('/').next().unwrap_or(name).trim();
                if name.is_empty() {
                    Err(format!("`{s}` names no compute"))
                } else {
                    Ok(Scalar::Str(name.into()))
                }
            }
            (Conv::ComputeRef, _) => Err(format!(
                "must name a compute, e.g. azureml:cpu-cluster; got {got}"
            )),
            (Conv::Cpu, v) => cpu_quantity(v).map(Scalar::Float),
            (Conv::Memory, v) => memory_quantity(v).map(Scalar::Float),
        };
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.error(at.clone(), message);
                None
            }
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn origin(file: &Path, at: At, key: &str) -> Origin {
    Origin {
        file: file.to_path_buf(),
        line: at.line,
        column: at.column,
        key: key.to_string(),
    }
}

/// A whole number, as YAML writes it or as a string the Azure CLI would read as one.
fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 9e15 => Some(*x as i64),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Float(x) if x.is_finite() => Some(*x),
        Value::Str(s) => s.trim().parse().ok().filter(|x: &f64| x.is_finite()),
        _ => None,
    }
}

/// Kubernetes CPU: cores, or thousandths with `m`.
fn cpu_quantity(v: &Value) -> Result<f64, String> {
    let bad = || {
        format!(
            "must be a CPU quantity such as \"500m\" or \"2\", got {}",
            describe(v)
        )
    };
    let x = match v {
        Value::Str(s) => {
            let s = s.trim();
            match s.strip_suffix('m') {
                Some(milli) => milli
                    .parse::<f64>()
                    .map(|m| m / 1000.0)
                    .map_err(|_| bad())?,
                None => s.parse::<f64>().map_err(|_| bad())?,
            }
        }
        v => number(v).ok_or_else(bad)?,
    };
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("must be above 0, got {}", describe(v)))
    }
}

/// Kubernetes memory: bytes, with a binary (`Ki`, `Mi`, `Gi`, `Ti`) or decimal (`k`, `M`, `G`,
/// `T`) suffix; in GiB.
fn memory_quantity(v: &Value) -> Result<f64, String> {
    const GIB: f64 = 1_073_741_824.0;
    let bad = || {
        format!(
            "must be a memory quantity such as \"2Gi\" or \"512Mi\", got {}",
            describe(v)
        )
    };
    let bytes = match v {
        Value::Str(s) => {
            let s = s.trim();
            let split = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            let (num, suffix) = s.split_at(split);
            let n: f64 = num.parse().map_err(|_| bad())?;
            let scale = match suffix {
                "" => 1.0,
                "Ki" => 1024.0,
                "Mi" => 1024.0 * 1024.0,
                "Gi" => GIB,
                "Ti" => GIB * 1024.0,
                "k" => 1e3,
                "M" => 1e6,
                "G" => 1e9,
                "T" => 1e12,
                _ => return Err(bad()),
            };
            n * scale
        }
        v => number(v).ok_or_else(bad)?,
    };
    if bytes > 0.0 && bytes.is_finite() {
        Ok(bytes / GIB)
    } else {
        Err(format!("must be above 0, got {}", describe(v)))
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        v => v.kind().to_string(),
    }
}

fn get<'a>(entries: &'a [(String, At, Node)], key: &str) -> Option<(&'a At, &'a Node)> {
    entries
        .iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, at, n)| (at, n))
}

fn get_str<'a>(entries: &'a [(String, At, Node)], key: &str) -> Option<(&'a str, At)> {
    match get(entries, key) {
        Some((
            _,
            Node {
                at,
                value: Value::Str(s),
            },
        )) => Some((s.trim(), *at)),
        _ => None,
    }
}

/// The resource a `$schema` names, by its file name (`.../amlCompute.schema.json`).
fn schema_kind(url: &str) -> Option<(Kind, &'static str, bool)> {
    let name = url.trim().rsplit('/').next().unwrap_or("");
    let name = name.trim_end_matches(".json").trim_end_matches(".schema");
    let known: &[(&str, Kind, &str, bool)] = &[
        ("amlcompute", Kind::Compute, "amlCompute", false),
        ("computeinstance", Kind::Compute, "computeInstance", false),
        (
            "kubernetescompute",
            Kind::Compute,
            "kubernetesCompute",
            false,
        ),
        ("vmcompute", Kind::Compute, "vmCompute", false),
        (
            "synapsesparkcompute",
            Kind::Compute,
            "synapseSparkCompute",
            false,
        ),
        (
            "managedonlineendpoint",
            Kind::OnlineEndpoint,
            "managedOnlineEndpoint",
            false,
        ),
        (
            "kubernetesonlineendpoint",
            Kind::OnlineEndpoint,
            "kubernetesOnlineEndpoint",
            true,
        ),
        (
            "onlineendpoint",
            Kind::OnlineEndpoint,
            "onlineEndpoint",
            false,
        ),
        (
            "managedonlinedeployment",
            Kind::OnlineDeployment,
            "managedOnlineDeployment",
            false,
        ),
        (
            "kubernetesonlinedeployment",
            Kind::OnlineDeployment,
            "kubernetesOnlineDeployment",
            true,
        ),
        (
            "onlinedeployment",
            Kind::OnlineDeployment,
            "onlineDeployment",
            false,
        ),
        ("batchendpoint", Kind::BatchEndpoint, "batchEndpoint", false),
        (
            "batchdeployment",
            Kind::BatchDeployment,
            "batchDeployment",
            false,
        ),
        (
            "modelbatchdeployment",
            Kind::BatchDeployment,
            "modelBatchDeployment",
            false,
        ),
        (
            "pipelinecomponentbatchdeployment",
            Kind::BatchDeployment,
            "pipelineComponentBatchDeployment",
            false,
        ),
    ];
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .find(|(n, ..)| *n == lower)
        .map(|(_, k, s, kube)| (*k, *s, *kube))
}

const COMPUTE_TYPES: &[&str] = &[
    "amlcompute",
    "computeinstance",
    "kubernetes",
    "virtualmachine",
    "synapsespark",
];

/// What a document describes: by its `$schema`, else by its keys.
fn classify(file: &Path, doc: &Node, ctx: &mut Ctx) -> Option<Doc> {
    let Value::Map(entries) = &doc.value else {
        ctx.error(
            origin(file, doc.at, ""),
            format!(
                "an Azure ML YAML file is a mapping of keys (name: ..., type: ...), got {}",
                doc.value.kind()
            ),
        );
        return None;
    };
    let has = |k: &str| get(entries, k).is_some();
    let mut kubernetes = None;
    let by_schema = match get_str(entries, "$schema") {
        Some((url, at)) => match schema_kind(url) {
            Some((kind, schema, kube)) => {
                if kube {
                    kubernetes = Some(origin(file, at, "$schema"));
                }
                Some((kind, schema))
            }
            None => {
                let name = url.rsplit('/').next().unwrap_or(url);
                ctx.error(
                    origin(file, at, "$schema"),
                    format!(
                        "`{name}` is not a compute target or an endpoint: capsim imports compute (amlCompute, computeInstance, kubernetesCompute), online and batch endpoints and their deployments"
                    ),
                );
                return None;
            }
        },
        None => None,
    };
    let type_value = get_str(entries, "type").map(|(t, at)| (t.to_ascii_lowercase(), at));
    let (kind, schema) = match by_schema {
        Some(k) => k,
        None if has("endpoint_name") => {
            let batch = matches!(
                type_value.as_ref().map(|t| t.0.as_str()),
                Some("model" | "pipeline")
            ) || ["compute", "settings", "mini_batch_size", "component"]
                .iter()
                .any(|k| has(k));
            if batch {
                (Kind::BatchDeployment, "batchDeployment")
            } else {
                (Kind::OnlineDeployment, "onlineDeployment")
            }
        }
        None if type_value.is_some() && !has("auth_mode") => (Kind::Compute, "compute"),
        None if has("defaults") => (Kind::BatchEndpoint, "batchEndpoint"),
        None if has("auth_mode") || has("traffic") || has("mirror_traffic") || has("compute") => {
            if has("compute") {
                (Kind::OnlineEndpoint, "onlineEndpoint")
            } else {
                (Kind::Endpoint, "endpoint")
            }
        }
        None => {
            ctx.error(
                origin(file, doc.at, ""),
                "cannot tell what this YAML describes: give its $schema line, e.g. $schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json",
            );
            return None;
        }
    };
    if matches!(kind, Kind::OnlineEndpoint)
        && kubernetes.is_none()
        && let Some((at, _)) = get(entries, "compute")
    {
        kubernetes = Some(origin(file, *at, "compute"));
    }
    if matches!(kind, Kind::OnlineDeployment)
        && kubernetes.is_none()
        && let Some((t, at)) = &type_value
        && t == "kubernetes"
    {
        kubernetes = Some(origin(file, *at, "type"));
    }
    Some(Doc {
        file: file.to_path_buf(),
        at: doc.at,
        entries: entries.clone(),
        kind,
        schema,
        kubernetes,
    })
}

/// Reads every document of `files` ((path as it is to be named, text)) and pairs deployments
/// with their endpoints (by `endpoint_name`).
pub fn import(files: &[(PathBuf, String)]) -> Imported {
    let mut ctx = Ctx::new();
    let mut docs = vec![];
    for (file, text) in files {
        match yaml::parse(file, text) {
            Ok(nodes) if nodes.is_empty() => ctx.error(
                origin(file, At { line: 1, column: 1 }, ""),
                "an empty YAML file",
            ),
            Ok(nodes) => {
                for n in &nodes {
                    docs.extend(classify(file, n, &mut ctx));
                }
            }
            Err(e) => ctx.errors.push(e),
        }
    }
    let mut targets = vec![];
    for d in docs.iter().filter(|d| d.kind == Kind::Compute) {
        targets.extend(compute(d, &mut ctx));
    }
    targets.extend(endpoints(&docs, &mut ctx));
    Imported {
        targets,
        notes: ctx.notes,
        errors: ctx.errors,
    }
}

/// The document's `name`, required.
fn name_of(d: &Doc, ctx: &mut Ctx) -> Option<(String, Origin)> {
    match get(&d.entries, "name") {
        Some((_, n)) => match &n.value {
            Value::Str(s) if !s.trim().is_empty() => {
                Some((s.trim().to_string(), origin(&d.file, n.at, "name")))
            }
            v => {
                ctx.error(
                    origin(&d.file, n.at, "name"),
                    format!("must be a name, got {}", v.kind()),
                );
                None
            }
        },
        None => {
            ctx.error(origin(&d.file, d.at, "name"), "is required");
            None
        }
    }
}

fn str_field(name: &str, value: &str, origin: Origin) -> Field {
    Field {
        path: vec![name.to_string()],
        value: Scalar::Str(value.to_string()),
        origin,
    }
}

fn compute(d: &Doc, ctx: &mut Ctx) -> Option<Target> {
    let name = name_of(d, ctx);
    let Some((_, type_node)) = get(&d.entries, "type") else {
        ctx.error(
            origin(&d.file, d.at, "type"),
            "is required: amlcompute, computeinstance or kubernetes",
        );
        return None;
    };
    let type_at = origin(&d.file, type_node.at, "type");
    let Value::Str(t) = &type_node.value else {
        ctx.error(
            type_at,
            format!(
                "must be amlcompute, computeinstance or kubernetes, got {}",
                type_node.value.kind()
            ),
        );
        return None;
    };
    let t = t.trim().to_ascii_lowercase();
    let (spec, kind, schema, needs): (_, _, _, Vec<Need>) = match t.as_str() {
        "amlcompute" => (AMLCOMPUTE, "amlcompute", "amlCompute", vec![]),
        "computeinstance" => (
            COMPUTEINSTANCE,
            "computeinstance",
            "computeInstance",
            vec![],
        ),
        "kubernetes" => (
            KUBERNETES_COMPUTE,
            "kubernetes",
            "kubernetesCompute",
            vec![
                Need {
                    path: vec!["size".into()],
                    what: "the VM size of the cluster's nodes, such as Standard_D4s_v3".into(),
                },
                Need {
                    path: vec!["instance_count".into()],
                    what: "how many nodes the cluster has, a number without quotes, such as 3"
                        .into(),
                },
            ],
        ),
        "virtualmachine" | "synapsespark" => {
            let capsim = if t == "virtualmachine" {
                "remote_vm"
            } else {
                "spark_pool"
            };
            ctx.error(
                type_at,
                format!(
                    "capsim does not import `type: {t}` (its size and node count are not in the YAML): write a [[compute]] with type = \"{capsim}\" (docs/scenarios.md)"
                ),
            );
            return None;
        }
        other => {
            let mut d = type_at.diag(
                Severity::Error,
                format!(
                    "unknown compute type `{other}`: capsim imports {}",
                    COMPUTE_TYPES[..3].join(", ")
                ),
            );
            if let Some(close) = COMPUTE_TYPES
                .iter()
                .find(|k| crate::catalog::edit_distance(other, k) <= 3)
            {
                d.hint = Some(format!("did you mean `{close}`?"));
            }
            ctx.errors.push(d);
            return None;
        }
    };
    let before = ctx.fields.len();
    ctx.walk(&d.file, &d.entries, "", spec, schema);
    let rest: Vec<Field> = ctx.fields.drain(before..).collect();
    let (name, name_at) = name?;
    let mut fields = vec![
        str_field("name", &name, name_at),
        str_field("type", kind, type_at),
    ];
    fields.extend(rest);
    Some(Target {
        section: Section::Compute,
        name,
        kind: kind.into(),
        fields,
        needs,
        sources: vec![(d.file.clone(), schema)],
    })
}

/// An endpoint document, read.
struct EndpointDoc<'d> {
    doc: &'d Doc,
    name: String,
    name_at: Origin,
    used: bool,
}

fn endpoints(docs: &[Doc], ctx: &mut Ctx) -> Vec<Target> {
    let mut eps: Vec<EndpointDoc<'_>> = vec![];
    for d in docs.iter().filter(|d| {
        matches!(
            d.kind,
            Kind::OnlineEndpoint | Kind::BatchEndpoint | Kind::Endpoint
        )
    }) {
        let spec = if d.kind == Kind::BatchEndpoint {
            BATCH_ENDPOINT
        } else {
            ONLINE_ENDPOINT
        };
        ctx.walk(&d.file, &d.entries, "", spec, d.schema);
        if let Some((at, _)) = get(&d.entries, "compute") {
            ctx.note(
                origin(&d.file, *at, "compute"),
                "the Kubernetes compute the endpoint runs on: capsim's node pool is the endpoint's node_size and node_count",
                false,
            );
        }
        if let Some((name, name_at)) = name_of(d, ctx) {
            if let Some(other) = eps.iter().find(|e| e.name == name) {
                let message = format!(
                    "endpoint `{name}` is also described by {}",
                    other.doc.file.display()
                );
                ctx.error(name_at, message);
                continue;
            }
            eps.push(EndpointDoc {
                doc: d,
                name,
                name_at,
                used: false,
            });
        }
    }
    // Deployments grouped by endpoint, in the order first named.
    let mut groups: Vec<(String, Vec<&Doc>)> = vec![];
    for d in docs
        .iter()
        .filter(|d| matches!(d.kind, Kind::OnlineDeployment | Kind::BatchDeployment))
    {
        let endpoint = match get_str(&d.entries, "endpoint_name") {
            Some((n, _)) if !n.is_empty() => n.to_string(),
            _ if eps.len() == 1 => eps[0].name.clone(),
            _ => {
                // Azure takes the endpoint from the command line (`--endpoint-name`) then.
                match get_str(&d.entries, "name") {
                    Some((n, at)) => {
                        ctx.note(
                            origin(&d.file, at, "name"),
                            "no endpoint_name: the [[endpoint]] is named after the deployment",
                            true,
                        );
                        n.to_string()
                    }
                    None => {
                        ctx.error(
                            origin(&d.file, d.at, "endpoint_name"),
                            "is required: the endpoint this deployment belongs to",
                        );
                        continue;
                    }
                }
            }
        };
        match groups.iter_mut().find(|(e, _)| *e == endpoint) {
            Some((_, list)) => list.push(d),
            None => groups.push((endpoint, vec![d])),
        }
    }
    let mut targets = vec![];
    for (endpoint, deps) in &groups {
        let ep = eps.iter_mut().find(|e| e.name == *endpoint);
        let ep_doc = ep.as_ref().map(|e| e.doc);
        let ep_name_at = ep.as_ref().map(|e| e.name_at.clone());
        if let Some(e) = ep {
            e.used = true;
        }
        for d in deps {
            let name = if deps.len() == 1 {
                endpoint.clone()
            } else {
                let dep = get_str(&d.entries, "name").map_or("deployment", |(n, _)| n);
                format!("{endpoint}-{dep}")
            };
            let target = if d.kind == Kind::BatchDeployment {
                batch_deployment(d, ep_doc, &name, ep_name_at.clone(), ctx)
            } else {
                online_deployment(d, ep_doc, &name, ep_name_at.clone(), ctx)
            };
            targets.extend(target);
        }
        if deps.len() > 1
            && let Some((n, at)) = get_str(&deps[1].entries, "name")
        {
            let why = format!(
                "endpoint `{endpoint}` has {} deployments: capsim simulates one deployment per [[endpoint]], so each is an [[endpoint]] of its own (this one `{endpoint}-{n}`); split the requests between their [[traffic]]",
                deps.len()
            );
            ctx.notes.push(Note {
                origin: origin(&deps[1].file, at, "name"),
                why,
                matters: true,
            });
        }
    }
    for e in eps.iter().filter(|e| !e.used) {
        ctx.error(
            e.name_at.clone(),
            format!(
                "endpoint `{}` has no deployment among the files: capsim simulates a deployment (instance_type, instance_count, ...), so give its deployment YAML too",
                e.name
            ),
        );
    }
    targets
}

/// The [[endpoint]]'s `name` field: from `endpoint_name`, else the endpoint file's `name`.
fn endpoint_name_field(d: &Doc, name: &str, ep_name_at: Option<Origin>) -> Field {
    let at = match get(&d.entries, "endpoint_name") {
        Some((_, n)) => origin(&d.file, n.at, "endpoint_name"),
        None => ep_name_at.unwrap_or_else(|| origin(&d.file, d.at, "name")),
    };
    str_field("name", name, at)
}

fn online_deployment(
    d: &Doc,
    ep: Option<&Doc>,
    name: &str,
    ep_name_at: Option<Origin>,
    ctx: &mut Ctx,
) -> Option<Target> {
    if let Some(e) = ep
        && e.kind == Kind::BatchEndpoint
    {
        let at = get(&d.entries, "endpoint_name").map_or(origin(&d.file, d.at, ""), |(_, n)| {
            origin(&d.file, n.at, "endpoint_name")
        });
        ctx.error(
            at,
            format!(
                "an online deployment of batch endpoint `{name}` ({})",
                e.file.display()
            ),
        );
        return None;
    }
    let kube = d
        .kubernetes
        .clone()
        .or_else(|| ep.and_then(|e| e.kubernetes.clone()));
    if let Some((t, at)) = get_str(&d.entries, "type") {
        let t = t.to_ascii_lowercase();
        if t != "managed" && t != "kubernetes" {
            ctx.error(
                origin(&d.file, at, "type"),
                format!("must be managed or kubernetes, got `{t}`"),
            );
        }
    }
    let before = ctx.fields.len();
    ctx.walk(&d.file, &d.entries, "", ONLINE_DEPLOYMENT, d.schema);
    let mut needs = vec![];
    let (kind, kind_at) = match &kube {
        Some(at) => {
            kubernetes_parts(d, ctx);
            needs.push(Need {
                path: vec!["node_size".into()],
                what: "the VM size of the Kubernetes cluster's nodes, such as Standard_D4s_v3"
                    .into(),
            });
            needs.push(Need {
                path: vec!["node_count".into()],
                what:
                    "how many nodes the Kubernetes cluster has, a number without quotes, such as 3"
                        .into(),
            });
            ("kubernetes_online", at.clone())
        }
        None => {
            managed_parts(d, ctx);
            let at = get(&d.entries, "$schema")
                .map(|(_, n)| origin(&d.file, n.at, "$schema"))
                .or_else(|| {
                    get(&d.entries, "instance_type")
                        .map(|(_, n)| origin(&d.file, n.at, "instance_type"))
                })
                .unwrap_or_else(|| origin(&d.file, d.at, ""));
            ("managed_online", at)
        }
    };
    readiness(d, kube.is_some(), ctx);
    let rest: Vec<Field> = ctx.fields.drain(before..).collect();
    let mut fields = vec![
        endpoint_name_field(d, name, ep_name_at),
        str_field("type", kind, kind_at),
    ];
    fields.extend(rest);
    let mut sources = vec![];
    if let Some(e) = ep {
        sources.push((e.file.clone(), e.schema));
    }
    sources.push((d.file.clone(), d.schema));
    Some(Target {
        section: Section::Endpoint,
        name: name.to_string(),
        kind: kind.into(),
        fields,
        needs,
        sources,
    })
}

/// A managed deployment's instance type is a VM size; its only scale type is `default` (Azure's
/// reference: autoscale is Azure Monitor's, capsim's `[endpoint.autoscale]`).
fn managed_parts(d: &Doc, ctx: &mut Ctx) {
    if let Some((_, n)) = get(&d.entries, "instance_type") {
        let at = origin(&d.file, n.at, "instance_type");
        if let Some(v) = ctx.convert(Conv::Str, n, &at) {
            ctx.push("instance_type", v, at);
        }
    }
    if let Some((at, n)) = get(&d.entries, "resources") {
        let _ = n;
        ctx.note(
            origin(&d.file, *at, "resources"),
            "container resources apply to Kubernetes deployments; a managed instance has its VM size",
            false,
        );
    }
    if let Some((key_at, n)) = get(&d.entries, "scale_settings") {
        let Value::Map(entries) = &n.value else {
            ctx.error(
                origin(&d.file, n.at, "scale_settings"),
                format!("must be a mapping of keys, got {}", n.value.kind()),
            );
            return;
        };
        match get_str(entries, "type") {
            Some((t, at)) if !t.eq_ignore_ascii_case("default") => ctx.error(
                origin(&d.file, at, "scale_settings.type"),
                format!(
                    "a managed online deployment supports only scale type `default` (Azure's reference), got `{t}`: autoscale it with Azure Monitor, in capsim an [endpoint.autoscale] table (docs/endpoints.md)"
                ),
            ),
            _ => ctx.note(
                origin(&d.file, *key_at, "scale_settings"),
                "the default scale type keeps instance_count instances, as capsim does without [endpoint.autoscale]",
                false,
            ),
        }
    }
}

fn kubernetes_parts(d: &Doc, ctx: &mut Ctx) {
    if let Some((at, _)) = get(&d.entries, "instance_type") {
        ctx.note(
            origin(&d.file, *at, "instance_type"),
            "a Kubernetes instance type is a resource of the cluster that capsim cannot read: the replica's CPU and memory come from resources.requests, else the defaultinstancetype's (0.1 vCPU, 2 GiB)",
            true,
        );
    }
    if let Some((_, n)) = get(&d.entries, "resources") {
        match &n.value {
            Value::Map(entries) => ctx.walk(
                &d.file,
                entries,
                "resources",
                K8S_RESOURCES,
                "kubernetesOnlineDeployment",
            ),
            v => ctx.error(
                origin(&d.file, n.at, "resources"),
                format!("must be a mapping of keys, got {}", v.kind()),
            ),
        }
    }
    if let Some((_, n)) = get(&d.entries, "scale_settings") {
        match &n.value {
            Value::Map(entries) => ctx.walk(
                &d.file,
                entries,
                "scale_settings",
                K8S_SCALE,
                "kubernetesOnlineDeployment",
            ),
            v => ctx.error(
                origin(&d.file, n.at, "scale_settings"),
                format!("must be a mapping of keys, got {}", v.kind()),
            ),
        }
    }
}

/// A readiness probe's `initial_delay` is the least time a new instance takes before it may
/// serve, but only a part of it (allocation, image pull and model load come first), so it is
/// not taken as the whole; the note says where capsim's time to serve is set.
fn readiness(d: &Doc, kube: bool, ctx: &mut Ctx) {
    let Some((key_at, n)) = get(&d.entries, "readiness_probe") else {
        return;
    };
    let delay = match &n.value {
        Value::Map(entries) => get(entries, "initial_delay").and_then(|(_, v)| whole(&v.value)),
        _ => None,
    };
    let field = if kube {
        "replica_start_time"
    } else {
        "autoscale.provisioning_time"
    };
    let why = format!(
        "a readiness probe's initial_delay ({} s) is only the wait after the container starts; capsim's time for a new instance to serve is {field}, a distribution that also covers allocation, image pull and model load: set it to at least this",
        delay.unwrap_or(10)
    );
    ctx.notes.push(Note {
        origin: origin(&d.file, *key_at, "readiness_probe"),
        why,
        matters: true,
    });
}

fn batch_deployment(
    d: &Doc,
    ep: Option<&Doc>,
    name: &str,
    ep_name_at: Option<Origin>,
    ctx: &mut Ctx,
) -> Option<Target> {
    if let Some(e) = ep
        && e.kind == Kind::OnlineEndpoint
    {
        let at = get(&d.entries, "endpoint_name").map_or(origin(&d.file, d.at, ""), |(_, n)| {
            origin(&d.file, n.at, "endpoint_name")
        });
        ctx.error(
            at,
            format!(
                "a batch deployment of online endpoint `{name}` ({})",
                e.file.display()
            ),
        );
        return None;
    }
    let mut ok = true;
    let type_at = match get(&d.entries, "type") {
        Some((_, n)) => {
            let at = origin(&d.file, n.at, "type");
            match &n.value {
                Value::Str(t) if t.trim().eq_ignore_ascii_case("model") => {}
                Value::Str(t) if t.trim().eq_ignore_ascii_case("pipeline") => {
                    ctx.error(
                        at.clone(),
                        "a pipeline component deployment runs a pipeline whose steps capsim cannot see: capsim simulates model deployments (type: model)",
                    );
                    ok = false;
                }
                v => {
                    ctx.error(
                        at.clone(),
                        format!("must be model or pipeline, got {}", describe(v)),
                    );
                    ok = false;
                }
            }
            at
        }
        None => get(&d.entries, "$schema").map_or(origin(&d.file, d.at, ""), |(_, n)| {
            origin(&d.file, n.at, "$schema")
        }),
    };
    let before = ctx.fields.len();
    // The legacy form (no `type`) has the settings at the top.
    let own: Vec<(&str, Rule)> = BATCH_DEPLOYMENT_OWN
        .iter()
        .chain(BATCH_SETTINGS)
        .copied()
        .collect();
    ctx.walk(&d.file, &d.entries, "", &own, d.schema);
    let rest: Vec<Field> = ctx.fields.drain(before..).collect();
    if !rest.iter().any(|f| f.dotted() == "compute") && ok {
        ctx.error(
            origin(&d.file, d.at, "compute"),
            "is required: the compute cluster the batch jobs run on, e.g. compute: azureml:cpu-cluster",
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let mut fields = vec![
        endpoint_name_field(d, name, ep_name_at),
        str_field("type", "batch", type_at),
    ];
    fields.extend(rest);
    let mut sources = vec![];
    if let Some(e) = ep {
        sources.push((e.file.clone(), e.schema));
    }
    sources.push((d.file.clone(), d.schema));
    Some(Target {
        section: Section::Endpoint,
        name: name.to_string(),
        kind: "batch".into(),
        fields,
        needs: vec![],
        sources,
    })
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
