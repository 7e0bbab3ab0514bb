//! `[[endpoint]]`: online endpoints as targets. The types' shared steps (name, type, fields
//! that do not apply, request settings, SLO) and managed online deployments are here;
//! Kubernetes in `kubernetes`, ACI and local in `container`, batch endpoints in `batch`; the
//! `[[traffic]]` aimed at them in `traffic`.

use super::super::raw::{RawEndpoint, RawScenario};
use super::autoscale::autoscale;
use super::batch::is_batch;
use super::container::container;
use super::kubernetes::kubernetes;
use super::sizes::{Size, price, retirement};
use super::traffic::streams;
use super::{Checker, Context, family_key, given, label};
use crate::catalog::VmSize;
use crate::engine::time::from_secs_f64;
use crate::targets::Tier;
use crate::targets::autoscale::AutoscaleSpec;
use crate::targets::defaults as d;
use crate::targets::endpoint::{Billing, EndpointSpec, Slo};
use crate::targets::{TargetKind, TargetSpec};
use crate::workload::requests::TrafficSpec;
use std::collections::{HashMap, HashSet};

/// What a traffic stream needs to know of the endpoint it is aimed at: its index among the
/// targets (when valid), its VM size (for per-size service times) and its
/// `max_concurrent_requests_per_instance` (for a latency profile).
pub(super) type EndpointFacts = (Option<usize>, Option<VmSize>, Option<u32>);

/// Endpoint types capsim simulates.
const TYPES: &[&str] = &["managed_online", "kubernetes_online", "aci", "local"];

/// Types Azure ML has that capsim does not simulate yet, for a precise message.
const NOT_YET: &[&str] = &[];

/// Validates every endpoint and traffic stream. Endpoint targets get indices from `offset` on
/// (they follow the compute targets); `taken` holds the compute targets' names.
pub(super) fn build(
    c: &mut Checker,
    raw: &RawScenario,
    ctx: &mut Context,
    offset: usize,
    taken: &HashSet<String>,
) -> (Vec<TargetSpec>, Vec<TrafficSpec>) {
    let mut targets = vec![];
    let mut known: HashMap<String, EndpointFacts> = HashMap::new();
    let mut batch: HashSet<String> = HashSet::new();
    for (i, re) in raw.endpoint.iter().enumerate() {
        let re = re.get_ref();
        let lab = label("endpoint", i, re.name.get_ref());
        let name = re.name.get_ref().trim().to_string();
        let is_batch = is_batch(re);
        // A batch endpoint's name is claimed only when it is new.
        let clash = taken.contains(&name)
            || known.contains_key(&name)
            || if is_batch {
                !batch.insert(name.clone())
            } else {
                batch.contains(&name)
            };
        if clash {
            c.error(
                re.name.span().start,
                &format!("{lab}.name"),
                format!("`{name}` is used by another compute target or endpoint"),
            );
        }
        // Batch deployments run on a compute cluster: `batch::build` reads them (and their
        // traffic) once the clusters are known. Their names are taken all the same.
        if is_batch {
            continue;
        }
        let (spec, vm) = endpoint(c, &lab, re, ctx);
        let index = spec.as_ref().map(|_| offset + targets.len());
        let mcr = spec.as_ref().and_then(|t| match &t.kind {
            TargetKind::Endpoint { spec, .. } => Some(spec.max_concurrent_requests_per_instance),
            _ => None,
        });
        targets.extend(spec);
        known.insert(name, (index, vm, mcr));
    }
    let traffic = streams(c, raw, &known, &batch, ctx.dir);
    (targets, traffic)
}

/// One online endpoint: its target (`None` after an error) and the VM size its traffic's
/// service times are looked up by.
fn endpoint(
    c: &mut Checker,
    lab: &str,
    re: &RawEndpoint,
    ctx: &mut Context,
) -> (Option<TargetSpec>, Option<VmSize>) {
    let f = |s: &str| format!("{lab}.{s}");
    let name = re.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(re.name.span().start, &f("name"), "must not be empty");
    }
    let Some(type_name) = endpoint_type(c, &f, re) else {
        return (None, None);
    };
    let container_type = type_name == "aci" || type_name == "local";
    if !container_type {
        c.refuse_given(
            &f,
            &[
                ("cpu_cores", given(&re.cpu_cores)),
                ("memory_gib", given(&re.memory_gib)),
                ("model_size_gib", given(&re.model_size_gib)),
                ("gpus", given(&re.gpus)),
            ],
            "applies only to type = \"aci\" or \"local\"",
            None,
        );
    }
    if type_name == "kubernetes_online" {
        return kubernetes(c, lab, re, ctx);
    }
    c.refuse_given(
        &f,
        &[
            ("node_size", given(&re.node_size)),
            ("node_count", given(&re.node_count)),
            ("cpu_request_vcpus", given(&re.cpu_request_vcpus)),
            ("memory_request_gib", given(&re.memory_request_gib)),
            ("scale_settings", given(&re.scale_settings)),
            ("replica_start_time", given(&re.replica_start_time)),
        ],
        "applies only to type = \"kubernetes_online\"",
        None,
    );
    if container_type {
        return container(c, lab, type_name, re);
    }
    managed_online(c, lab, re, ctx)
}

/// The endpoint `type` among those simulated; `None` after an error.
fn endpoint_type(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
) -> Option<&'static str> {
    let kind = re.kind.get_ref().to_ascii_lowercase();
    let found = TYPES.iter().find(|t| **t == kind).copied();
    if found.is_none() {
        let hint = if NOT_YET.contains(&kind.as_str()) {
            format!(
                "capsim does not simulate {kind} endpoints yet; supported: {}",
                TYPES.join(", ")
            )
        } else {
            format!("supported: {}, batch", TYPES.join(", "))
        };
        c.error_hint(
            re.kind.span().start,
            &f("type"),
            format!("unknown endpoint type `{}`", re.kind.get_ref()),
            hint,
        );
    }
    found
}

/// `type = "managed_online"`: instances of a VM size, a fixed count or autoscaled by rules,
/// within the family's quota.
fn managed_online(
    c: &mut Checker,
    lab: &str,
    re: &RawEndpoint,
    ctx: &mut Context,
) -> (Option<TargetSpec>, Option<VmSize>) {
    let f = |s: &str| format!("{lab}.{s}");
    let Some(it) = &re.instance_type else {
        c.error(
            re.name.span().start,
            &f("instance_type"),
            "is required: the VM size of the deployment's instances, e.g. \"Standard_F4s_v2\"",
        );
        return (None, None);
    };
    let size_at = it.span().start;
    let size = Size::look_up(
        c,
        ctx,
        f("instance_type"),
        size_at,
        Some(it.get_ref()),
        re.price_usd_per_hour.is_some(),
    );
    let vm = size.vm.cloned();
    if let Some(vm) = &vm {
        retirement(
            c,
            &f("instance_type"),
            size_at,
            vm,
            re.allow_retired.unwrap_or(false),
            ctx,
        );
    }
    let (price, price_source) = price(
        c,
        &f,
        &re.price_usd_per_hour,
        &size,
        Tier::Dedicated,
        ctx,
        "give price_usd_per_hour on the endpoint, or a prices file",
    );
    let (mcr, timeout_ms) = request_settings(c, lab, re, d::ENDPOINT_REQUEST_TIMEOUT_MAX_MS);
    let autoscale = re
        .autoscale
        .as_ref()
        .and_then(|a| autoscale(c, &f("autoscale"), a, d::ENDPOINT_MAX_INSTANCES, ctx.dir));
    if re.autoscale.is_some() && autoscale.is_none() {
        return (None, vm);
    }
    let instance_count = instance_count(c, &f, re, autoscale.as_ref());
    if let Some(vm) = &vm {
        let at = re
            .instance_count
            .as_ref()
            .map_or(size_at, |v| v.span().start);
        let peak = autoscale.as_ref().map_or(instance_count, |a| {
            std::iter::once(&a.default_profile)
                .chain(&a.profiles)
                .map(|p| p.max)
                .max()
                .unwrap_or(instance_count)
                .max(instance_count)
        });
        managed_quota(c, &f("instance_count"), at, vm, peak, ctx);
    }
    let cpu_per_request_vcpus = re
        .cpu_per_request_vcpus
        .as_ref()
        .and_then(|v| c.positive(v, &f("cpu_per_request_vcpus")));
    if let Some(v) = &re.cpu_per_request_vcpus
        && vm.is_none()
    {
        c.error(
            v.span().start,
            &f("cpu_per_request_vcpus"),
            "needs a catalog instance_type (its vCPU count)",
        );
    }
    let slo = slo(c, lab, re);
    let Some(price) = price else {
        return (None, vm);
    };
    let spec = EndpointSpec {
        instance_type: vm.as_ref().map_or(it.get_ref().clone(), |v| v.size.clone()),
        vcpus: vm.as_ref().map_or(0, |v| v.vcpus),
        price_usd_per_hour: price,
        instance_count,
        max_concurrent_requests_per_instance: mcr,
        request_timeout: timeout_ms * 1000,
        autoscale,
        cpu_per_request_vcpus,
        slo,
        reject_status: 429,
        router: None,
        billing: Billing::PerInstance,
    };
    (
        Some(TargetSpec {
            name: re.name.get_ref().trim().to_string(),
            kind: TargetKind::Endpoint {
                type_name: "managed_online",
                spec,
            },
            price_source,
        }),
        vm,
    )
}

/// A managed deployment's `instance_count` (autoscale's default when absent), with a warning
/// when autoscale will move it.
fn instance_count(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
    autoscale: Option<&AutoscaleSpec>,
) -> u32 {
    let max_limit = d::ENDPOINT_MAX_INSTANCES as u64;
    let instance_count = match (&re.instance_count, autoscale) {
        (None, Some(a)) => a.default_profile.default,
        (None, None) => {
            c.error(
                re.name.span().start,
                &f("instance_count"),
                "is required: how many instances the deployment runs (Azure recommends at least 3)",
            );
            1
        }
        (Some(v), _) => {
            let x = *v.get_ref();
            if x > max_limit as i64 {
                c.error_hint(
                    v.span().start,
                    &f("instance_count"),
                    format!("a managed online deployment has at most {max_limit} instances, got {x}"),
                    "Azure raises the limit on a support request; split the traffic over several deployments otherwise".into(),
                );
                1
            } else {
                c.int(&re.instance_count, &f("instance_count"), 1, 1, max_limit) as u32
            }
        }
    };
    if let (Some(a), Some(v)) = (autoscale, &re.instance_count) {
        let p = &a.default_profile;
        if instance_count < p.min || instance_count > p.max {
            c.warn(
                v.span().start,
                &f("instance_count"),
                format!(
                    "is outside autoscale's [min, max] = [{}, {}]: autoscale moves it inside at its first evaluation",
                    p.min, p.max
                ),
            );
        }
    }
    instance_count
}

/// The family quota a managed deployment needs at its `peak` instance count: Azure reserves
/// 20% extra for upgrades, so a peak that fits only without the reserve is a warning.
fn managed_quota(c: &mut Checker, field: &str, at: usize, vm: &VmSize, peak: u32, ctx: &Context) {
    let Some((limit, _, family)) = ctx.quota.get(&family_key(&vm.series)) else {
        return;
    };
    let reserved = (peak as f64 * d::ENDPOINT_QUOTA_RESERVE_FACTOR).ceil() as u64;
    let need = reserved * vm.vcpus as u64;
    if need <= *limit {
        return;
    }
    let plain = peak as u64 * vm.vcpus as u64;
    let msg = format!(
        "{peak} x {} ({} vCPUs each) needs quota for ceil(1.2 x {peak}) = {reserved} instances = {need} vCPUs (Azure reserves 20% extra for upgrades), but [quota] {family} allows {limit}",
        vm.size, vm.vcpus
    );
    if plain > *limit {
        c.error_hint(
            at,
            field,
            msg,
            "lower the instance count (or autoscale max) or raise the quota".into(),
        );
    } else {
        c.warn(at, field, msg);
    }
}

/// `request_settings`: (max concurrent requests per instance, timeout in ms).
pub(super) fn request_settings(
    c: &mut Checker,
    lab: &str,
    re: &RawEndpoint,
    max_timeout_ms: u64,
) -> (u32, u64) {
    let f = |s: &str| format!("{lab}.{s}");
    match &re.request_settings {
        None => (
            d::ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE,
            d::ENDPOINT_REQUEST_TIMEOUT_MS,
        ),
        Some(rs) => {
            let rs = rs.get_ref();
            let fr = |s: &str| f(&format!("request_settings.{s}"));
            let mcr = c.int(
                &rs.max_concurrent_requests_per_instance,
                &fr("max_concurrent_requests_per_instance"),
                d::ENDPOINT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE as u64,
                1,
                10_000,
            ) as u32;
            let timeout = c.int(
                &rs.request_timeout_ms,
                &fr("request_timeout_ms"),
                d::ENDPOINT_REQUEST_TIMEOUT_MS,
                1,
                max_timeout_ms,
            );
            if let Some(q) = &rs.max_queue_wait_ms {
                c.warn(
                    q.span().start,
                    &fr("max_queue_wait_ms"),
                    "is deprecated by Azure ML and not simulated: increase request_timeout_ms to account for queueing delays",
                );
            }
            (mcr, timeout)
        }
    }
}

/// The optional `slo`: a latency and the percentile of requests that must meet it.
pub(super) fn slo(c: &mut Checker, lab: &str, re: &RawEndpoint) -> Option<Slo> {
    let f = |s: &str| format!("{lab}.{s}");
    match &re.slo {
        None => None,
        Some(s) => {
            let s = s.get_ref();
            let lat = c.positive(&s.latency_ms, &f("slo.latency_ms"));
            let pct = match &s.percentile {
                None => Some(95.0),
                Some(p) => {
                    let x = *p.get_ref();
                    if x > 0.0 && x <= 100.0 {
                        Some(x)
                    } else {
                        c.error(
                            p.span().start,
                            &f("slo.percentile"),
                            format!("must be a percentage above 0 and at most 100, got {x}"),
                        );
                        None
                    }
                }
            };
            match (lat, pct) {
                (Some(l), Some(p)) => Some(Slo {
                    latency: from_secs_f64(l / 1000.0),
                    percentile: p,
                }),
                _ => None,
            }
        }
    }
}
