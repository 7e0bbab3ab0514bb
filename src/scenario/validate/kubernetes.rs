//! `type = "kubernetes_online"`: an online deployment on an attached Kubernetes cluster.

use super::super::raw::RawEndpoint;
use super::endpoint::{request_settings, slo};
use super::sizes::retirement;
use super::{Checker, Context, dist};
use crate::catalog::VmSize;
use crate::engine::Sampler;
use crate::engine::time::from_secs_f64;
use crate::targets::defaults as d;
use crate::targets::endpoint::{Billing, EndpointSpec, RouterAutoscale};
use crate::targets::{TargetKind, TargetSpec};

/// `type = "kubernetes_online"`: a deployment on an attached Kubernetes cluster whose node pool
/// (`node_size` x `node_count`) is billed always on; replicas scale by the router's
/// target-utilisation autoscaler, or stay at `instance_count` with `scale_settings.type =
/// "default"`.
pub(super) fn kubernetes(
    c: &mut Checker,
    lab: &str,
    re: &RawEndpoint,
    ctx: &mut Context,
) -> (Option<TargetSpec>, Option<VmSize>) {
    let f = |s: &str| format!("{lab}.{s}");
    let name = re.name.get_ref().trim().to_string();
    let at = re.name.span().start;
    for (field, given) in [
        ("autoscale", re.autoscale.as_ref().map(|x| x.span().start)),
        (
            "cpu_per_request_vcpus",
            re.cpu_per_request_vcpus.as_ref().map(|x| x.span().start),
        ),
    ] {
        if let Some(p) = given {
            c.error_hint(
                p,
                &f(field),
                "does not apply to type = \"kubernetes_online\"",
                "a Kubernetes deployment scales by scale_settings (the router's target-utilisation autoscaler)".into(),
            );
        }
    }
    // The node pool.
    let Some(ns) = &re.node_size else {
        c.error(
            at,
            &f("node_size"),
            "is required: the VM size of the cluster's node pool, which is billed around the clock",
        );
        return (None, None);
    };
    let vm = ctx.catalog.get(ns.get_ref()).cloned();
    if vm.is_none() {
        c.error_hint(
            ns.span().start,
            &f("node_size"),
            format!("unknown VM size `{}`", ns.get_ref()),
            format!(
                "closest catalog sizes: {}",
                ctx.catalog.closest(ns.get_ref(), 3).join(", ")
            ),
        );
        return (None, None);
    }
    let vm = vm.expect("checked");
    retirement(
        c,
        &f("node_size"),
        ns.span().start,
        &vm,
        re.allow_retired.unwrap_or(false),
        ctx,
    );
    let nodes = match &re.node_count {
        None => {
            c.error(
                at,
                &f("node_count"),
                "is required: the nodes of the cluster's node pool",
            );
            1
        }
        v => c.int(
            v,
            &f("node_count"),
            1,
            1,
            d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
        ) as u32,
    };
    let (price, price_source) = if let Some(p) = &re.price_usd_per_hour {
        (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override (per node)".to_string(),
        )
    } else if let (Some(u), Some(t)) = (
        ctx.prices.as_ref().and_then(|p| p.get(&vm.size).cloned()),
        &ctx.prices,
    ) {
        (
            Some(u.price_usd_per_hour),
            format!("price list {} (per node)", t.source),
        )
    } else {
        match vm.price_usd_per_hour {
            Some(p) => (
                Some(p * (1.0 - ctx.discount)),
                format!(
                    "catalog list price per node, {} {}, {}",
                    vm.price_region, vm.price_date, vm.price_source
                ),
            ),
            None => {
                c.error_hint(
                    ns.span().start,
                    &f("node_size"),
                    format!("the catalog has no price for `{}`", vm.size),
                    "give price_usd_per_hour (per node)".into(),
                );
                (None, String::new())
            }
        }
    };
    // Replicas that fit: the instance type's requests against each node.
    let cpu = match &re.cpu_request_vcpus {
        None => Some(d::K8S_DEFAULT_CPU_REQUEST_VCPUS),
        Some(v) => c.positive(v, &f("cpu_request_vcpus")),
    };
    let mem = match &re.memory_request_gib {
        None => Some(d::K8S_DEFAULT_MEMORY_REQUEST_GIB),
        Some(v) => c.positive(v, &f("memory_request_gib")),
    };
    let (Some(cpu), Some(mem)) = (cpu, mem) else {
        return (None, Some(vm));
    };
    let per_node = ((vm.vcpus as f64 / cpu).floor()).min((vm.memory_gib / mem).floor()) as u64;
    let fit = (per_node * nodes as u64).min(u32::MAX as u64) as u32;
    if fit == 0 {
        c.error_hint(
            re.cpu_request_vcpus
                .as_ref()
                .or(re.memory_request_gib.as_ref())
                .map_or(ns.span().start, |x| x.span().start),
            &f("cpu_request_vcpus"),
            format!(
                "one replica ({cpu} vCPU, {mem} GiB) does not fit on a {} node ({} vCPUs, {} GiB)",
                vm.size, vm.vcpus, vm.memory_gib
            ),
            "lower the instance type's requests or pick a larger node_size".into(),
        );
        return (None, Some(vm));
    }
    let (mcr, timeout_ms) = request_settings(c, lab, re, d::K8S_REQUEST_TIMEOUT_MAX_MS);
    // Scale settings.
    let ss = re.scale_settings.as_ref().map(|s| s.get_ref());
    let fs = |s: &str| f(&format!("scale_settings.{s}"));
    let fixed = match ss.and_then(|s| s.kind.as_ref()) {
        None => false,
        Some(k) => match k.get_ref().to_ascii_lowercase().as_str() {
            "target_utilization" => false,
            "default" => true,
            other => {
                c.error_hint(
                    k.span().start,
                    &fs("type"),
                    format!("unknown scale type `{other}`"),
                    "use \"target_utilization\" (the router's autoscaler) or \"default\" (a fixed instance_count)".into(),
                );
                false
            }
        },
    };
    let fit_check = |c: &mut Checker, n: u32, field: &str, at: usize| {
        if n > fit {
            c.error_hint(
                at,
                field,
                format!(
                    "{n} replicas do not fit the node pool: {nodes} x {} holds {fit} replicas of {cpu} vCPU and {mem} GiB",
                    vm.size
                ),
                "add nodes, pick a larger node_size, or lower the replicas".into(),
            );
        }
    };
    let (instance_count, router) = if fixed {
        let n = c.int(
            &re.instance_count,
            &f("instance_count"),
            1,
            1,
            u32::MAX as u64,
        ) as u32;
        fit_check(
            c,
            n,
            &f("instance_count"),
            re.instance_count.as_ref().map_or(at, |x| x.span().start),
        );
        (n, None)
    } else {
        let min_v = ss.and_then(|s| s.min_instances.as_ref());
        let max_v = ss.and_then(|s| s.max_instances.as_ref());
        let min = c.int(
            &min_v.cloned(),
            &fs("min_instances"),
            d::K8S_MIN_INSTANCES as u64,
            1,
            u32::MAX as u64,
        ) as u32;
        let max = c.int(
            &max_v.cloned(),
            &fs("max_instances"),
            d::K8S_MAX_INSTANCES.max(min) as u64,
            1,
            u32::MAX as u64,
        ) as u32;
        if max < min {
            c.error(
                max_v.map_or(at, |x| x.span().start),
                &fs("max_instances"),
                format!("must be at least min_instances ({min}), got {max}"),
            );
        }
        fit_check(
            c,
            max,
            &fs("max_instances"),
            max_v.map_or(at, |x| x.span().start),
        );
        let target = match ss.and_then(|s| s.target_utilization_percentage.as_ref()) {
            None => d::K8S_TARGET_UTILIZATION_PERCENTAGE,
            Some(v) => {
                let x = *v.get_ref();
                if x > 0.0 && x <= 100.0 {
                    x
                } else {
                    c.error(
                        v.span().start,
                        &fs("target_utilization_percentage"),
                        format!("must be a percentage above 0 and at most 100, got {x}"),
                    );
                    d::K8S_TARGET_UTILIZATION_PERCENTAGE
                }
            }
        };
        let polling = match ss.and_then(|s| s.polling_interval.as_ref()) {
            None => d::K8S_POLLING_INTERVAL_S,
            Some(v) => c
                .dur(v, &fs("polling_interval"), false)
                .unwrap_or(d::K8S_POLLING_INTERVAL_S),
        };
        let start_time = match &re.replica_start_time {
            None => Sampler::lognormal_median_p95_s(
                d::ASSUMED_K8S_REPLICA_START_MEDIAN_S,
                d::ASSUMED_K8S_REPLICA_START_P95_S,
            ),
            Some(p) => match dist(c, &f("replica_start_time"), p, true, ctx.dir) {
                Some(s) => s,
                None => return (None, Some(vm)),
            },
        };
        if let Some(v) = &re.instance_count {
            c.warn(
                v.span().start,
                &f("instance_count"),
                "is ignored with scale_settings.type = \"target_utilization\": replicas start at min_instances",
            );
        }
        (
            min,
            Some(RouterAutoscale {
                min,
                max,
                target_utilization: target / 100.0,
                polling: from_secs_f64(polling),
                scale_down_window: from_secs_f64(d::ASSUMED_K8S_SCALE_DOWN_WINDOW_S),
                start_time,
            }),
        )
    };
    if fixed && re.replica_start_time.is_some() {
        c.warn(
            re.replica_start_time
                .as_ref()
                .map_or(at, |x| x.span().start),
            &f("replica_start_time"),
            "has no effect with a fixed instance_count",
        );
    }
    let slo = slo(c, lab, re);
    let Some(price) = price else {
        return (None, Some(vm));
    };
    let spec = EndpointSpec {
        // The size column and service-time lookups use the node pool's size; the instance
        // type (a Kubernetes CRD) matters only through its requests.
        instance_type: vm.size.clone(),
        vcpus: 0,
        price_usd_per_hour: price,
        instance_count,
        max_concurrent_requests_per_instance: mcr,
        request_timeout: timeout_ms * 1000,
        autoscale: None,
        cpu_per_request_vcpus: None,
        slo,
        reject_status: 503,
        router,
        billing: Billing::NodePool { nodes },
    };
    (
        Some(TargetSpec {
            name,
            kind: TargetKind::Endpoint {
                type_name: "kubernetes_online",
                spec,
            },
            price_source,
        }),
        // Service times of a Kubernetes deployment are looked up by the node pool's size.
        Some(vm),
    )
}
