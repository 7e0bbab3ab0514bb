//! `[[endpoint]]` and `[[traffic]]`: raw tables → endpoint targets and request streams.
//!
//! A child of `validate` (declared there), so it shares the checker, the scenario context and the
//! distribution and arrival readers of compute targets and workloads.

use super::super::raw::{RawEndpoint, RawScenario};
use super::autoscale::autoscale;
use super::kubernetes::kubernetes;
use super::sizes::retirement;
use super::traffic::traffic_spec;
use super::{Checker, Context, family_key, label};
use crate::catalog::VmSize;
use crate::engine::time::from_secs_f64;
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
        // Batch deployments run on a compute cluster: `batch::build` reads them (and their
        // traffic) once the clusters are known. Their names are taken all the same.
        if super::batch::is_batch(re) {
            let name = re.name.get_ref().trim().to_string();
            if taken.contains(&name) || known.contains_key(&name) || !batch.insert(name.clone()) {
                c.error(
                    re.name.span().start,
                    &format!("{lab}.name"),
                    format!("`{name}` is used by another compute target or endpoint"),
                );
            }
            continue;
        }
        let name = re.name.get_ref().trim().to_string();
        if taken.contains(&name) || known.contains_key(&name) || batch.contains(&name) {
            c.error(
                re.name.span().start,
                &format!("{lab}.name"),
                format!("`{name}` is used by another compute target or endpoint"),
            );
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
    let mut traffic = vec![];
    let mut names = HashSet::new();
    let mut served: HashSet<String> = HashSet::new();
    for (i, rt) in raw.traffic.iter().enumerate() {
        let rt = rt.get_ref();
        let lab = label("traffic", i, rt.name.get_ref());
        if !names.insert(rt.name.get_ref().clone()) {
            c.error(
                rt.name.span().start,
                &format!("{lab}.name"),
                format!("`{}` is used by another traffic stream", rt.name.get_ref()),
            );
        }
        served.insert(rt.endpoint.get_ref().clone());
        if batch.contains(rt.endpoint.get_ref()) {
            continue;
        }
        if let Some(t) = traffic_spec(c, &lab, rt, &known, ctx.dir) {
            traffic.push(t);
        }
    }
    for re in &raw.endpoint {
        let re = re.get_ref();
        if !served.contains(re.name.get_ref()) && !super::batch::is_batch(re) {
            c.warn(
                re.name.span().start,
                &format!("endpoint.{}", re.name.get_ref()),
                "no [[traffic]] is aimed at this endpoint: it will only show its cost",
            );
        }
    }
    (targets, traffic)
}

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
    let kind = re.kind.get_ref().to_ascii_lowercase();
    let Some(&type_name) = TYPES.iter().find(|t| **t == kind) else {
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
        return (None, None);
    };
    let k8s_fields = [
        ("node_size", re.node_size.as_ref().map(|x| x.span().start)),
        ("node_count", re.node_count.as_ref().map(|x| x.span().start)),
        (
            "cpu_request_vcpus",
            re.cpu_request_vcpus.as_ref().map(|x| x.span().start),
        ),
        (
            "memory_request_gib",
            re.memory_request_gib.as_ref().map(|x| x.span().start),
        ),
        (
            "scale_settings",
            re.scale_settings.as_ref().map(|x| x.span().start),
        ),
        (
            "replica_start_time",
            re.replica_start_time.as_ref().map(|x| x.span().start),
        ),
    ];
    let container_fields = [
        ("cpu_cores", re.cpu_cores.as_ref().map(|x| x.span().start)),
        ("memory_gib", re.memory_gib.as_ref().map(|x| x.span().start)),
        (
            "model_size_gib",
            re.model_size_gib.as_ref().map(|x| x.span().start),
        ),
        ("gpus", re.gpus.as_ref().map(|x| x.span().start)),
    ];
    if type_name != "aci" && type_name != "local" {
        for (field, at) in container_fields {
            if let Some(at) = at {
                c.error(at, &f(field), "applies only to type = \"aci\" or \"local\"");
            }
        }
    }
    if type_name == "kubernetes_online" {
        return kubernetes(c, lab, re, ctx);
    }
    for (field, at) in k8s_fields {
        if let Some(at) = at {
            c.error(
                at,
                &f(field),
                "applies only to type = \"kubernetes_online\"",
            );
        }
    }
    if type_name == "aci" || type_name == "local" {
        return container(c, lab, type_name, re);
    }
    let Some(it) = &re.instance_type else {
        c.error(
            re.name.span().start,
            &f("instance_type"),
            "is required: the VM size of the deployment's instances, e.g. \"Standard_F4s_v2\"",
        );
        return (None, None);
    };
    let size_at = it.span().start;
    let vm = ctx.catalog.get(it.get_ref()).cloned();
    let user_price = ctx
        .prices
        .as_ref()
        .and_then(|p| p.get(it.get_ref()).cloned());
    if vm.is_none() && re.price_usd_per_hour.is_none() && user_price.is_none() {
        c.error_hint(
            size_at,
            &f("instance_type"),
            format!("unknown VM size `{}`", it.get_ref()),
            format!(
                "closest catalog sizes: {}; or price a size of your own with price_usd_per_hour",
                ctx.catalog.closest(it.get_ref(), 3).join(", ")
            ),
        );
    }
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
    let (price, price_source) = if let Some(p) = &re.price_usd_per_hour {
        (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override".to_string(),
        )
    } else if let (Some(u), Some(t)) = (&user_price, &ctx.prices) {
        (
            Some(u.price_usd_per_hour),
            format!("price list {}", t.source),
        )
    } else if let Some(vm) = &vm {
        match vm.price_usd_per_hour {
            Some(p) => {
                let mut source = format!(
                    "catalog list price, {} {}, {}",
                    vm.price_region, vm.price_date, vm.price_source
                );
                if ctx.discount > 0.0 {
                    source.push_str(&format!(
                        ", less a {}% discount",
                        crate::text::num(ctx.discount * 100.0)
                    ));
                }
                (Some(p * (1.0 - ctx.discount)), source)
            }
            None => {
                c.error_hint(
                    size_at,
                    &f("instance_type"),
                    format!("the catalog has no price for `{}`", vm.size),
                    "give price_usd_per_hour on the endpoint, or a prices file".into(),
                );
                (None, String::new())
            }
        }
    } else {
        (None, String::new())
    };

    let (mcr, timeout_ms) = request_settings(c, lab, re, d::ENDPOINT_REQUEST_TIMEOUT_MAX_MS);

    let autoscale = re
        .autoscale
        .as_ref()
        .and_then(|a| autoscale(c, &f("autoscale"), a, d::ENDPOINT_MAX_INSTANCES, ctx.dir));
    if re.autoscale.is_some() && autoscale.is_none() {
        return (None, vm);
    }
    let max_limit = d::ENDPOINT_MAX_INSTANCES as u64;
    let instance_count = match (&re.instance_count, &autoscale) {
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
    if let (Some(a), Some(v)) = (&autoscale, &re.instance_count) {
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

    // Quota: Azure reserves 20% extra for upgrades.
    let peak = autoscale.as_ref().map_or(instance_count, |a| {
        std::iter::once(&a.default_profile)
            .chain(&a.profiles)
            .map(|p| p.max)
            .max()
            .unwrap_or(instance_count)
            .max(instance_count)
    });
    if let Some(vm) = &vm
        && let Some((limit, _, family)) = ctx.quota.get(&family_key(&vm.series))
    {
        let reserved = (peak as f64 * d::ENDPOINT_QUOTA_RESERVE_FACTOR).ceil() as u64;
        let need = reserved * vm.vcpus as u64;
        let at = re
            .instance_count
            .as_ref()
            .map_or(size_at, |v| v.span().start);
        if need > *limit {
            let plain = peak as u64 * vm.vcpus as u64;
            let msg = format!(
                "{peak} x {} ({} vCPUs each) needs quota for ceil(1.2 x {peak}) = {reserved} instances = {need} vCPUs (Azure reserves 20% extra for upgrades), but [quota] {family} allows {limit}",
                vm.size, vm.vcpus
            );
            if plain > *limit {
                c.error_hint(
                    at,
                    &f("instance_count"),
                    msg,
                    "lower the instance count (or autoscale max) or raise the quota".into(),
                );
            } else {
                c.warn(at, &f("instance_count"), msg);
            }
        }
    }

    let cpu_per_request_vcpus = re
        .cpu_per_request_vcpus
        .as_ref()
        .and_then(|v| c.positive(v, &f("cpu_per_request_vcpus")));
    if re.cpu_per_request_vcpus.is_some() && vm.is_none() {
        c.error(
            re.cpu_per_request_vcpus
                .as_ref()
                .map_or(0, |v| v.span().start),
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
            name,
            kind: TargetKind::Endpoint { type_name, spec },
            price_source,
        }),
        vm,
    )
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

/// `type = "aci"` or `"local"`: one container for development and testing. ACI's limits are
/// checked; `local` runs on the developer's machine and costs nothing.
fn container(
    c: &mut Checker,
    lab: &str,
    type_name: &'static str,
    re: &RawEndpoint,
) -> (Option<TargetSpec>, Option<VmSize>) {
    let f = |s: &str| format!("{lab}.{s}");
    let what = if type_name == "aci" {
        "an Azure Container Instances deployment"
    } else {
        "a local deployment"
    };
    c.warn(
        re.kind.span().start,
        &f("type"),
        format!(
            "{what} is for development and testing only: one container, no autoscale, no SLA; use managed_online or kubernetes_online for production"
        ),
    );
    for (field, given) in [
        (
            "instance_type",
            re.instance_type.as_ref().map(|x| x.span().start),
        ),
        ("autoscale", re.autoscale.as_ref().map(|x| x.span().start)),
        (
            "cpu_per_request_vcpus",
            re.cpu_per_request_vcpus.as_ref().map(|x| x.span().start),
        ),
    ] {
        if let Some(p) = given {
            c.error(
                p,
                &f(field),
                format!("does not apply to type = \"{type_name}\" (one container, sized by cpu_cores and memory_gib)"),
            );
        }
    }
    if let Some(n) = &re.instance_count
        && *n.get_ref() != 1
    {
        c.error(
            n.span().start,
            &f("instance_count"),
            format!("{what} runs one container, got {}", n.get_ref()),
        );
    }
    let cpu = match &re.cpu_cores {
        None => Some(d::ACI_CPU_CORES),
        Some(v) => c.positive(v, &f("cpu_cores")),
    };
    let mem = match &re.memory_gib {
        None => Some(d::ACI_MEMORY_GIB),
        Some(v) => c.positive(v, &f("memory_gib")),
    };
    if type_name == "aci" {
        if let Some(g) = &re.gpus
            && *g.get_ref() != 0
        {
            c.error_hint(
                g.span().start,
                &f("gpus"),
                "Azure Container Instances deployments are CPU only",
                "deploy GPU models to managed_online (an N-series instance_type) or kubernetes_online".into(),
            );
        }
        if let (Some(m), Some(v)) = (mem, &re.memory_gib)
            && m >= d::ACI_MAX_MEMORY_GIB
        {
            c.error_hint(
                v.span().start,
                &f("memory_gib"),
                format!("an ACI deployment must have under 48 GB of memory, got {m}"),
                "use managed_online for larger models".into(),
            );
        }
        if let Some(v) = &re.model_size_gib
            && let Some(m) = c.positive(v, &f("model_size_gib"))
            && m > d::ACI_MAX_MODEL_GIB
        {
            c.error_hint(
                v.span().start,
                &f("model_size_gib"),
                format!("an ACI deployment takes models up to 1 GB, got {m} GB"),
                "use managed_online for larger models".into(),
            );
        }
    }
    let (price, price_source) = match (&re.price_usd_per_hour, type_name) {
        (Some(p), _) => (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override".into(),
        ),
        (None, "local") => (Some(0.0), "local: not billed".to_string()),
        (None, _) => (
            cpu.zip(mem).map(|(cpu, mem)| {
                cpu * d::ASSUMED_ACI_USD_PER_VCPU_HOUR + mem * d::ASSUMED_ACI_USD_PER_GIB_HOUR
            }),
            "ASSUMPTION: ACI Linux list prices, East US, per vCPU-second and GB-second".to_string(),
        ),
    };
    let (mcr, timeout_ms) = request_settings(c, lab, re, d::ENDPOINT_REQUEST_TIMEOUT_MAX_MS);
    let slo = slo(c, lab, re);
    let (Some(price), Some(cpu), Some(mem)) = (price, cpu, mem) else {
        return (None, None);
    };
    let spec = EndpointSpec {
        instance_type: format!("{type_name}: {cpu} vCPU, {mem} GiB"),
        vcpus: 0,
        price_usd_per_hour: price,
        instance_count: 1,
        max_concurrent_requests_per_instance: mcr,
        request_timeout: timeout_ms * 1000,
        autoscale: None,
        cpu_per_request_vcpus: None,
        slo,
        reject_status: 429,
        router: None,
        billing: Billing::PerInstance,
    };
    (
        Some(TargetSpec {
            name: re.name.get_ref().trim().to_string(),
            kind: TargetKind::Endpoint { type_name, spec },
            price_source,
        }),
        None,
    )
}
