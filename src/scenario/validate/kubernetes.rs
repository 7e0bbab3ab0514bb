//! `type = "kubernetes_online"`: an online deployment on an attached Kubernetes cluster.

use super::super::raw::{RawEndpoint, RawScaleSettings};
use super::dist::dist_or_assumed;
use super::endpoint::{request_settings, slo};
use super::sizes::retirement;
use super::{Checker, Context, given};
use crate::catalog::VmSize;
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
    c.refuse_given(
        &f,
        &[
            ("autoscale", given(&re.autoscale)),
            ("cpu_per_request_vcpus", given(&re.cpu_per_request_vcpus)),
        ],
        "does not apply to type = \"kubernetes_online\"",
        Some("a Kubernetes deployment scales by scale_settings (the router's target-utilisation autoscaler)"),
    );
    let Some((vm, nodes, size_at)) = node_pool(c, &f, re, ctx) else {
        return (None, None);
    };
    let (price, price_source) = node_price(c, &f, re, &vm, size_at, ctx);
    let Some(room) = room(c, &f, re, &vm, nodes, size_at) else {
        return (None, Some(vm));
    };
    let (mcr, timeout_ms) = request_settings(c, lab, re, d::K8S_REQUEST_TIMEOUT_MAX_MS);
    let ss = re.scale_settings.as_ref().map(|s| s.get_ref());
    let fixed = fixed_scale(c, &f, ss);
    let (instance_count, router) = if fixed {
        let n = c.int(
            &re.instance_count,
            &f("instance_count"),
            1,
            1,
            u32::MAX as u64,
        ) as u32;
        room.check(
            c,
            n,
            &f("instance_count"),
            re.instance_count.as_ref().map_or(at, |x| x.span().start),
        );
        (n, None)
    } else {
        match router(c, &f, re, ss, &room, ctx) {
            Some(r) => (r.min, Some(r)),
            None => return (None, Some(vm)),
        }
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

/// The node pool: `node_size` (required, a catalog size, checked for retirement) and
/// `node_count`, and where the size is written; `None` when the size is missing or unknown.
fn node_pool(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
    ctx: &Context,
) -> Option<(VmSize, u32, usize)> {
    let at = re.name.span().start;
    let Some(ns) = &re.node_size else {
        c.error(
            at,
            &f("node_size"),
            "is required: the VM size of the cluster's node pool, which is billed around the clock",
        );
        return None;
    };
    let Some(vm) = ctx.catalog.get(ns.get_ref()).cloned() else {
        c.unknown_size(ns.span().start, &f("node_size"), ns.get_ref(), "");
        return None;
    };
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
    Some((vm, nodes, ns.span().start))
}

/// The price of one node of the pool (the pool is billed per node, around the clock).
fn node_price(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
    vm: &VmSize,
    size_at: usize,
    ctx: &Context,
) -> (Option<f64>, String) {
    if let Some(p) = &re.price_usd_per_hour {
        (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override (per node)".to_string(),
        )
    } else if let (Some(u), Some(t)) = (
        ctx.prices
            .as_ref()
            .and_then(|p| p.get(&ctx.region, &vm.size).cloned()),
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
                    size_at,
                    &f("node_size"),
                    format!("the catalog has no price for `{}`", vm.size),
                    "give price_usd_per_hour (per node)".into(),
                );
                (None, String::new())
            }
        }
    }
}

/// How many replicas the node pool holds, and what one replica asks of a node.
struct Room<'v> {
    vm: &'v VmSize,
    nodes: u32,
    cpu: f64,
    mem: f64,
    fit: u32,
}

impl Room<'_> {
    /// `n` replicas (the value of `field`, written at `at`) must fit the node pool.
    fn check(&self, c: &mut Checker, n: u32, field: &str, at: usize) {
        if n > self.fit {
            c.error_hint(
                at,
                field,
                format!(
                    "{n} replicas do not fit the node pool: {} x {} holds {} replicas of {} vCPU and {} GiB",
                    self.nodes, self.vm.size, self.fit, self.cpu, self.mem
                ),
                "add nodes, pick a larger node_size, or lower the replicas".into(),
            );
        }
    }
}

/// Replicas that fit: the instance type's requests (`cpu_request_vcpus`,
/// `memory_request_gib`) against each node of the pool (its size written at `size_at`);
/// `None` after an error or when none fits.
fn room<'v>(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
    vm: &'v VmSize,
    nodes: u32,
    size_at: usize,
) -> Option<Room<'v>> {
    let cpu = match &re.cpu_request_vcpus {
        None => Some(d::K8S_DEFAULT_CPU_REQUEST_VCPUS),
        Some(v) => c.positive(v, &f("cpu_request_vcpus")),
    };
    let mem = match &re.memory_request_gib {
        None => Some(d::K8S_DEFAULT_MEMORY_REQUEST_GIB),
        Some(v) => c.positive(v, &f("memory_request_gib")),
    };
    let (cpu, mem) = (cpu?, mem?);
    let per_node = ((vm.vcpus as f64 / cpu).floor()).min((vm.memory_gib / mem).floor()) as u64;
    let fit = (per_node * nodes as u64).min(u32::MAX as u64) as u32;
    if fit == 0 {
        c.error_hint(
            re.cpu_request_vcpus
                .as_ref()
                .or(re.memory_request_gib.as_ref())
                .map_or(size_at, |x| x.span().start),
            &f("cpu_request_vcpus"),
            format!(
                "one replica ({cpu} vCPU, {mem} GiB) does not fit on a {} node ({} vCPUs, {} GiB)",
                vm.size, vm.vcpus, vm.memory_gib
            ),
            "lower the instance type's requests or pick a larger node_size".into(),
        );
        return None;
    }
    Some(Room {
        vm,
        nodes,
        cpu,
        mem,
        fit,
    })
}

/// `scale_settings.type`: `true` for "default" (a fixed instance_count), `false` for the
/// router's autoscaler (the default, and after an error).
fn fixed_scale(c: &mut Checker, f: &dyn Fn(&str) -> String, ss: Option<&RawScaleSettings>) -> bool {
    let Some(k) = ss.and_then(|s| s.kind.as_ref()) else {
        return false;
    };
    match k.get_ref().to_ascii_lowercase().as_str() {
        "target_utilization" => false,
        "default" => true,
        other => {
            c.error_hint(
                k.span().start,
                &f("scale_settings.type"),
                format!("unknown scale type `{other}`"),
                "use \"target_utilization\" (the router's autoscaler) or \"default\" (a fixed instance_count)".into(),
            );
            false
        }
    }
}

/// The router's target-utilisation autoscaler: `scale_settings`' replica limits, target and
/// polling interval, and `replica_start_time`; `None` after an error in the start time.
fn router(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
    ss: Option<&RawScaleSettings>,
    room: &Room,
    ctx: &Context,
) -> Option<RouterAutoscale> {
    let at = re.name.span().start;
    let fs = |s: &str| f(&format!("scale_settings.{s}"));
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
    room.check(
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
    let start_time = dist_or_assumed(
        c,
        &f("replica_start_time"),
        &re.replica_start_time,
        ctx.dir,
        (
            d::ASSUMED_K8S_REPLICA_START_MEDIAN_S,
            d::ASSUMED_K8S_REPLICA_START_P95_S,
        ),
    )?;
    if let Some(v) = &re.instance_count {
        c.warn(
            v.span().start,
            &f("instance_count"),
            "is ignored with scale_settings.type = \"target_utilization\": replicas start at min_instances",
        );
    }
    Some(RouterAutoscale {
        min,
        max,
        target_utilization: target / 100.0,
        polling: from_secs_f64(polling),
        scale_down_window: from_secs_f64(d::ASSUMED_K8S_SCALE_DOWN_WINDOW_S),
        start_time,
    })
}
