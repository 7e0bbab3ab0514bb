//! `type = "aci"` and `type = "local"`: one container for development and testing.

use super::super::raw::RawEndpoint;
use super::endpoint::{request_settings, slo};
use super::{Checker, given};
use crate::catalog::VmSize;
use crate::targets::defaults as d;
use crate::targets::endpoint::{Billing, EndpointSpec};
use crate::targets::{TargetKind, TargetSpec};

/// `type = "aci"` or `"local"`: one container for development and testing. ACI's limits are
/// checked; `local` runs on the developer's machine and costs nothing.
pub(super) fn container(
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
    c.refuse_given(
        &f,
        &[
            ("instance_type", given(&re.instance_type)),
            ("autoscale", given(&re.autoscale)),
            ("cpu_per_request_vcpus", given(&re.cpu_per_request_vcpus)),
        ],
        &format!(
            "does not apply to type = \"{type_name}\" (one container, sized by cpu_cores and memory_gib)"
        ),
        None,
    );
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
        aci_limits(c, &f, re, mem);
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

/// Azure Container Instances' limits: CPU only, under 48 GB of memory (`mem`, as read), models
/// up to 1 GB.
fn aci_limits(c: &mut Checker, f: &dyn Fn(&str) -> String, re: &RawEndpoint, mem: Option<f64>) {
    if let Some(g) = &re.gpus
        && *g.get_ref() != 0
    {
        c.error_hint(
            g.span().start,
            &f("gpus"),
            "Azure Container Instances deployments are CPU only",
            "deploy GPU models to managed_online (an N-series instance_type) or kubernetes_online"
                .into(),
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
