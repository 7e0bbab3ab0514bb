//! `[[endpoint]]` and `[[traffic]]`: raw tables → endpoint targets and request streams.
//!
//! A child of `validate` (declared there), so it shares the checker, the scenario context and the
//! distribution and arrival readers of compute targets and workloads.

use super::super::raw::{
    RawArrivals, RawAutoscale, RawDist, RawEndpoint, RawLatencyRow, RawProfile, RawRequestArrivals,
    RawRequestSettings, RawRule, RawScenario, RawTokenModel, RawTraffic,
};
use super::{Checker, Context, Schema, arrivals, dist, family_key, fields_of, label, retirement};
use crate::catalog::VmSize;
use crate::engine::Sampler;
use crate::engine::time::from_secs_f64;
use crate::targets::autoscale::{
    ActionType, Aggregation, AutoscaleSpec, Direction, Metric, Operator, Profile, Recurrence, Rule,
    Statistic,
};
use crate::targets::defaults as d;
use crate::targets::endpoint::{Billing, EndpointSpec, RouterAutoscale, Slo};
use crate::targets::{TargetKind, TargetSpec};
use crate::workload::MmppArrivals;
use crate::workload::requests::{
    LatencyRow, PoissonRequests, ProfileFit, RequestArrivals, RequestTrace, ServiceModel,
    TrafficSpec, latency_at, latency_csv_rows,
};
use crate::workload::trace::TraceSpec;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

type OptInt<'a> = &'a Option<Spanned<i64>>;
/// What a traffic stream needs to know of the endpoint it is aimed at: its index among the
/// targets (when valid), its VM size (for per-size service times) and its
/// `max_concurrent_requests_per_instance` (for a latency profile).
type EndpointFacts = (Option<usize>, Option<VmSize>, Option<u32>);
/// The token model's input and output column names.
type TokenColumns<'a> = (&'a Option<Spanned<String>>, &'a Option<Spanned<String>>);

/// Endpoint types capsim simulates.
const TYPES: &[&str] = &["managed_online", "kubernetes_online", "aci", "local"];

/// Types Azure ML has that capsim does not simulate yet, for a precise message.
const NOT_YET: &[&str] = &[];

/// The key schemas of `[[endpoint]]` and `[[traffic]]`, for the unknown-key check.
pub(super) fn schemas() -> Vec<(&'static str, Schema)> {
    let leaf = |fields: &'static [&'static str]| Schema {
        fields,
        children: vec![],
        free: &[],
    };
    let rules = || leaf(fields_of::<RawRule>());
    vec![
        (
            "endpoint",
            Schema {
                fields: fields_of::<RawEndpoint>(),
                free: &[],
                children: vec![
                    ("request_settings", leaf(fields_of::<RawRequestSettings>())),
                    (
                        "retry_settings",
                        leaf(fields_of::<super::super::raw::RawRetrySettings>()),
                    ),
                    (
                        "scale_settings",
                        leaf(fields_of::<super::super::raw::RawScaleSettings>()),
                    ),
                    ("replica_start_time", leaf(fields_of::<RawDist>())),
                    ("slo", leaf(fields_of::<super::super::raw::RawSlo>())),
                    (
                        "autoscale",
                        Schema {
                            fields: fields_of::<RawAutoscale>(),
                            free: &[],
                            children: vec![
                                ("provisioning_time", leaf(fields_of::<RawDist>())),
                                ("rules", rules()),
                                (
                                    "profiles",
                                    Schema {
                                        fields: fields_of::<RawProfile>(),
                                        free: &[],
                                        children: vec![("rules", rules())],
                                    },
                                ),
                            ],
                        },
                    ),
                ],
            },
        ),
        (
            "traffic",
            Schema {
                fields: fields_of::<RawTraffic>(),
                free: &["service_time_by_size"],
                children: vec![
                    ("arrivals", leaf(fields_of::<RawRequestArrivals>())),
                    ("service_time", leaf(fields_of::<RawDist>())),
                    ("latency_profile", leaf(fields_of::<RawLatencyRow>())),
                    ("time_per_file", leaf(fields_of::<RawDist>())),
                    (
                        "token_model",
                        Schema {
                            fields: fields_of::<RawTokenModel>(),
                            free: &["by_size"],
                            children: vec![],
                        },
                    ),
                ],
            },
        ),
    ]
}

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
fn request_settings(
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

fn slo(c: &mut Checker, lab: &str, re: &RawEndpoint) -> Option<Slo> {
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

fn count(
    c: &mut Checker,
    v: &Option<Spanned<i64>>,
    field: &str,
    default: Option<u32>,
    max: u32,
    at: usize,
) -> Option<u32> {
    match (v, default) {
        (None, Some(d)) => Some(d),
        (None, None) => {
            c.error(at, field, "is required");
            None
        }
        (Some(x), _) => {
            let n = *x.get_ref();
            if n < 1 || n > max as i64 {
                c.error(
                    x.span().start,
                    field,
                    format!("must be from 1 to {max} (managed online deployments keep at least one instance and have at most {max}), got {n}"),
                );
                None
            } else {
                Some(n as u32)
            }
        }
    }
}

fn autoscale(
    c: &mut Checker,
    lab: &str,
    ra: &Spanned<RawAutoscale>,
    max_limit: u32,
    dir: &Path,
) -> Option<AutoscaleSpec> {
    let at = ra.span().start;
    let ra = ra.get_ref();
    let f = |s: &str| format!("{lab}.{s}");
    let cooldown = match &ra.cooldown {
        Some(v) => c.dur(v, &f("cooldown"), true)?,
        None => d::AUTOSCALE_COOLDOWN_S,
    };
    let provisioning_time = match &ra.provisioning_time {
        Some(p) => dist(c, &f("provisioning_time"), p, true, dir)?,
        None => Sampler::lognormal_median_p95_s(
            d::ASSUMED_ENDPOINT_PROVISIONING_MEDIAN_S,
            d::ASSUMED_ENDPOINT_PROVISIONING_P95_S,
        ),
    };
    if ra.min.is_none() || ra.max.is_none() {
        c.error(
            at,
            &f(if ra.min.is_none() { "min" } else { "max" }),
            "is required: autoscale keeps the instance count within [min, max]",
        );
        return None;
    }
    let default_profile = profile(
        c,
        lab,
        "default",
        (&ra.min, &ra.max, &ra.default),
        &ra.rules,
        None,
        cooldown,
        (max_limit, at),
    );
    if ra.profiles.len() > d::AUTOSCALE_MAX_PROFILES - 1 {
        c.error(
            at,
            &f("profiles"),
            format!(
                "Azure Monitor allows {} profiles per autoscale setting (the default one included)",
                d::AUTOSCALE_MAX_PROFILES
            ),
        );
    }
    let mut profiles = vec![];
    let mut ok = default_profile.is_some();
    for (i, rp) in ra.profiles.iter().enumerate() {
        let rp = rp.get_ref();
        let pl = format!("{lab}.profiles[{i}]");
        let rec = recurrence(c, &pl, rp);
        let p = profile(
            c,
            &pl,
            rp.name.get_ref(),
            (&rp.min, &rp.max, &rp.default),
            &rp.rules,
            rec.clone(),
            cooldown,
            (max_limit, rp.name.span().start),
        );
        match (p, rec) {
            (Some(p), Some(_)) => profiles.push(p),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(AutoscaleSpec {
        default_profile: default_profile?,
        profiles,
        provisioning_time,
    })
}

#[allow(clippy::too_many_arguments)]
fn profile(
    c: &mut Checker,
    lab: &str,
    name: &str,
    (min, max, default): (OptInt, OptInt, OptInt),
    raw_rules: &[Spanned<RawRule>],
    recurrence: Option<Recurrence>,
    cooldown: f64,
    // The deployment's instance limit, and where to point when min or max is missing.
    (max_limit, at): (u32, usize),
) -> Option<Profile> {
    let f = |s: &str| format!("{lab}.{s}");
    let lo = count(c, min, &f("min"), None, max_limit, at);
    let hi = count(c, max, &f("max"), None, max_limit, at);
    let (lo, hi) = (lo?, hi?);
    if hi < lo {
        c.error(
            max.as_ref().map_or(0, |m| m.span().start),
            &f("max"),
            format!("must be at least min ({lo}), got {hi}"),
        );
        return None;
    }
    let def = count(c, default, &f("default"), Some(lo), max_limit, at)?;
    if def < lo || def > hi {
        c.error(
            default.as_ref().map_or(0, |m| m.span().start),
            &f("default"),
            format!("must be within [min, max] = [{lo}, {hi}], got {def}"),
        );
        return None;
    }
    if raw_rules.len() > d::AUTOSCALE_MAX_RULES {
        c.error(
            raw_rules[d::AUTOSCALE_MAX_RULES].span().start,
            &f("rules"),
            format!(
                "Azure Monitor allows {} rules per profile, got {}",
                d::AUTOSCALE_MAX_RULES,
                raw_rules.len()
            ),
        );
    }
    let mut rules = vec![];
    let mut ok = true;
    for (i, r) in raw_rules.iter().enumerate() {
        match rule(c, &f(&format!("rules[{i}]")), r, cooldown) {
            Some(r) => rules.push(r),
            None => ok = false,
        }
    }
    ok.then(|| Profile {
        name: name.to_string(),
        min: lo,
        max: hi,
        default: def,
        rules,
        recurrence,
    })
}

fn pick<T: Copy>(
    c: &mut Checker,
    v: &Spanned<String>,
    field: &str,
    options: &[(&[&str], T)],
) -> Option<T> {
    let s = v.get_ref().trim().to_ascii_lowercase();
    for (names, t) in options {
        if names.iter().any(|n| n.to_ascii_lowercase() == s) {
            return Some(*t);
        }
    }
    let all: Vec<&str> = options.iter().map(|(n, _)| n[0]).collect();
    c.error_hint(
        v.span().start,
        field,
        format!("unknown value `{}`", v.get_ref()),
        format!("use one of: {}", all.join(", ")),
    );
    None
}

fn rule(c: &mut Checker, lab: &str, rr: &Spanned<RawRule>, cooldown: f64) -> Option<Rule> {
    let rr = rr.get_ref();
    let f = |s: &str| format!("{lab}.{s}");
    let metric_kind = pick(
        c,
        &rr.metric,
        &f("metric"),
        &[
            (&["CpuUtilizationPercentage"], 0u8),
            (&["RequestLatency"], 1),
            (&["RequestsPerMinute"], 2),
            (
                &[
                    "ConcurrentRequestsPerInstance",
                    "concurrency",
                    "ConcurrentRequests",
                ],
                3,
            ),
        ],
    );
    let statistic = match &rr.statistic {
        None => Some(Statistic::Average),
        Some(s) => {
            if metric_kind.is_some_and(|m| m != 1) {
                c.error(
                    s.span().start,
                    &f("statistic"),
                    "applies only to metric = \"RequestLatency\"",
                );
                None
            } else {
                pick(
                    c,
                    s,
                    &f("statistic"),
                    &[
                        (&["average", "avg", "mean"], Statistic::Average),
                        (&["p50", "median"], Statistic::P50),
                        (&["p95"], Statistic::P95),
                        (&["p99"], Statistic::P99),
                    ],
                )
            }
        }
    };
    let metric = match (metric_kind?, statistic?) {
        (0, _) => Metric::CpuUtilizationPercentage,
        (1, s) => Metric::RequestLatency(s),
        (2, _) => Metric::RequestsPerMinute,
        _ => Metric::ConcurrentRequestsPerInstance,
    };
    if let Some(g) = &rr.time_grain {
        let x = g.get_ref().0;
        if (x - d::AUTOSCALE_TIME_GRAIN_S as f64).abs() > 1e-9 {
            c.error(
                g.span().start,
                &f("time_grain"),
                format!(
                    "endpoint metrics are reported per minute: time_grain must be \"1m\", got {x} s"
                ),
            );
            return None;
        }
    }
    let window_s = match &rr.time_window {
        None => d::AUTOSCALE_TIME_WINDOW_S,
        Some(w) => {
            let x = c.dur(w, &f("time_window"), false)?;
            if !(d::AUTOSCALE_TIME_WINDOW_MIN_S..=d::AUTOSCALE_TIME_WINDOW_MAX_S).contains(&x)
                || (x / 60.0).fract() != 0.0
            {
                c.error(
                    w.span().start,
                    &f("time_window"),
                    format!(
                        "must be whole minutes from 5m to 12h (Azure Monitor), got {}",
                        super::fmt_secs(x)
                    ),
                );
                return None;
            }
            x
        }
    };
    let aggregation = match &rr.time_aggregation {
        None => Some(Aggregation::Average),
        Some(a) => pick(
            c,
            a,
            &f("time_aggregation"),
            &[
                (&["average", "avg"], Aggregation::Average),
                (&["minimum", "min"], Aggregation::Minimum),
                (&["maximum", "max"], Aggregation::Maximum),
                (&["total", "sum"], Aggregation::Total),
                (&["last"], Aggregation::Last),
            ],
        ),
    };
    let operator = pick(
        c,
        &rr.operator,
        &f("operator"),
        &[
            (&[">", "GreaterThan"], Operator::GreaterThan),
            (&[">=", "GreaterThanOrEqual"], Operator::GreaterThanOrEqual),
            (&["<", "LessThan"], Operator::LessThan),
            (&["<=", "LessThanOrEqual"], Operator::LessThanOrEqual),
        ],
    );
    let threshold = {
        let x = *rr.threshold.get_ref();
        if x.is_finite() {
            Some(x)
        } else {
            c.error(
                rr.threshold.span().start,
                &f("threshold"),
                "must be a finite number",
            );
            None
        }
    };
    let direction = pick(
        c,
        &rr.direction,
        &f("direction"),
        &[
            (&["increase", "out"], Direction::Increase),
            (&["decrease", "in"], Direction::Decrease),
        ],
    );
    let action = match &rr.action {
        None => Some(ActionType::ChangeCount),
        Some(a) => pick(
            c,
            a,
            &f("type"),
            &[
                (&["change_count", "ChangeCount"], ActionType::ChangeCount),
                (
                    &["percent_change_count", "PercentChangeCount"],
                    ActionType::PercentChangeCount,
                ),
                (&["exact_count", "ExactCount"], ActionType::ExactCount),
            ],
        ),
    };
    let value = match &rr.value {
        None => Some(1.0),
        Some(v) => {
            let x = *v.get_ref();
            if x.is_finite() && x >= 1.0 && x.fract() == 0.0 {
                Some(x)
            } else {
                c.error(
                    v.span().start,
                    &f("value"),
                    format!("must be a whole number of at least 1, got {x}"),
                );
                None
            }
        }
    };
    let cooldown = match &rr.cooldown {
        None => cooldown,
        Some(v) => c.dur(v, &f("cooldown"), true)?,
    };
    Some(Rule {
        metric,
        aggregation: aggregation?,
        operator: operator?,
        threshold: threshold?,
        window_grains: (window_s / d::AUTOSCALE_TIME_GRAIN_S as f64).round() as usize,
        direction: direction?,
        action: action?,
        value: value?,
        cooldown: from_secs_f64(cooldown),
    })
}

/// `"08:30"` → minutes after midnight; `"24:00"` allowed.
fn clock(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn recurrence(c: &mut Checker, lab: &str, rp: &RawProfile) -> Option<Recurrence> {
    let f = |s: &str| format!("{lab}.{s}");
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let mut days = [rp.days.is_none(); 7];
    let mut ok = true;
    if let Some(ds) = &rp.days {
        for d in ds.get_ref() {
            let name = d.get_ref().trim().to_ascii_lowercase();
            match DAYS
                .iter()
                .position(|full| name.len() >= 3 && full.starts_with(&name))
            {
                Some(i) => days[i] = true,
                None => {
                    c.error_hint(
                        d.span().start,
                        &f("days"),
                        format!("`{}` is not a day of the week", d.get_ref()),
                        "use monday .. sunday (or mon .. sun)".into(),
                    );
                    ok = false;
                }
            }
        }
    }
    let mut time = |v: &Option<Spanned<String>>, field: &str, default: u32| match v {
        None => Some(default),
        Some(s) => {
            let m = clock(s.get_ref());
            if m.is_none() {
                c.error(
                    s.span().start,
                    &f(field),
                    format!("`{}` is not a time of day such as \"08:00\"", s.get_ref()),
                );
            }
            m
        }
    };
    let start = time(&rp.start, "start", 0);
    let end = time(&rp.end, "end", 1440);
    let (start, end) = (start?, end?);
    if end <= start {
        c.error(
            rp.end.as_ref().map_or(0, |e| e.span().start),
            &f("end"),
            "must be after start (a profile covers one span of each of its days)",
        );
        return None;
    }
    ok.then_some(Recurrence {
        days,
        start_minute: start,
        end_minute: end,
    })
}

fn traffic_spec(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    endpoints: &HashMap<String, EndpointFacts>,
    dir: &Path,
) -> Option<TrafficSpec> {
    let f = |s: &str| format!("{lab}.{s}");
    let name = rt.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(rt.name.span().start, &f("name"), "must not be empty");
    }
    let target = endpoints.get(rt.endpoint.get_ref());
    if target.is_none() {
        let mut known: Vec<&str> = endpoints.keys().map(|k| k.as_str()).collect();
        known.sort();
        c.error_hint(
            rt.endpoint.span().start,
            &f("endpoint"),
            format!("no endpoint named `{}`", rt.endpoint.get_ref()),
            if known.is_empty() {
                "declare it in an [[endpoint]] table".into()
            } else {
                format!("declared endpoints: {}", known.join(", "))
            },
        );
    }
    let size = target
        .and_then(|(_, vm, _)| vm.as_ref())
        .map(|v| v.size.clone());
    let mcr = target.and_then(|(_, _, mcr)| *mcr);
    let rra = rt.arrivals.get_ref();
    let at = rt.arrivals.span().start;
    let process = rra.process.get_ref();
    let is_trace = process.eq_ignore_ascii_case("trace");
    let is_mmpp = process.eq_ignore_ascii_case("mmpp");
    let tm = rt.token_model.as_ref();
    let columns = tm.map(|t| (&t.get_ref().input_column, &t.get_ref().output_column));
    let arrivals = if is_mmpp {
        request_mmpp(c, &f("arrivals"), rra, at)
            .map(|m| RequestArrivals::Poisson(PoissonRequests::Mmpp(m)))
    } else {
        let ra = workload_arrivals(c, &f("arrivals"), rra, at, None);
        if is_trace {
            request_trace(c, &f("arrivals"), &ra, at, columns, &f("token_model"), dir)
                .map(|t| RequestArrivals::Trace(Arc::new(t)))
        } else {
            arrivals(c, &f("arrivals"), &ra, at)
                .map(|p| RequestArrivals::Poisson(PoissonRequests::Profiled(p)))
        }
    };
    if let Some(t) = tm
        && !is_trace
    {
        c.error(
            t.span().start,
            &f("token_model"),
            "needs token counts per request: use arrivals with process = \"trace\" and the token columns",
        );
    }
    let mut latency_profile = vec![];
    let service = service(c, lab, rt, size.as_deref(), mcr, dir, &mut latency_profile);
    Some(TrafficSpec {
        name,
        target: target?.0?,
        arrivals: arrivals?,
        service: service.as_ref()?.0.clone(),
        service_description: service?.1,
        latency_profile,
    })
}

/// A traffic's arrivals as a workload's, for the readers the two share. `mmpp_rates_per_hour`
/// stands in for `rates_per_hour` once [`request_mmpp`] has read the rates in whichever unit
/// they were given.
pub(super) fn workload_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawRequestArrivals,
    at: usize,
    mmpp_rates_per_hour: Option<Spanned<Vec<Spanned<f64>>>>,
) -> RawArrivals {
    let f = |s: &str| format!("{label}.{s}");
    if mmpp_rates_per_hour.is_none() {
        // The Poisson reader rejects the workloads' MMPP keys itself; the trace reader does not.
        let trace = ra.process.get_ref().eq_ignore_ascii_case("trace");
        c.refuse(
            at,
            &f,
            &[
                ("rates_per_minute", ra.rates_per_minute.is_some()),
                ("rates_per_second", ra.rates_per_second.is_some()),
                ("rates_per_hour", trace && ra.rates_per_hour.is_some()),
                ("mean_sojourn", trace && ra.mean_sojourn.is_some()),
            ],
            "applies only to process = \"mmpp\"",
        );
    }
    if let Some(b) = &ra.batch_size {
        c.error(
            b.span().start,
            &f("batch_size"),
            "does not apply to traffic: every arrival is one request (one job for a batch endpoint)",
        );
    }
    RawArrivals {
        process: ra.process.clone(),
        rate_per_hour: ra.rate_per_hour.clone(),
        rate_per_minute: ra.rate_per_minute.clone(),
        rate_per_second: ra.rate_per_second.clone(),
        daily_profile: ra.daily_profile.clone(),
        weekly_profile: ra.weekly_profile.clone(),
        rates_per_hour: mmpp_rates_per_hour.or_else(|| ra.rates_per_hour.clone()),
        mean_sojourn: ra.mean_sojourn.clone(),
        batch_size: None,
        file: ra.file.clone(),
        submit_column: ra.submit_column.clone(),
        duration_column: ra.duration_column.clone(),
        nodes_column: ra.nodes_column.clone(),
        gpus_column: ra.gpus_column.clone(),
        time_format: ra.time_format.clone(),
        time_scale: ra.time_scale.clone(),
        start: ra.start.clone(),
        end: ra.end.clone(),
        repeat: ra.repeat,
        on_bad_row: ra.on_bad_row.clone(),
        // Requests have no status or cluster filters (RawRequestArrivals refuses the keys).
        status_column: None,
        statuses: None,
        cluster_column: None,
        clusters: None,
    }
}

/// `process = "mmpp"` for requests: the two rates in any one of the units Poisson traffic
/// takes, then the workloads' reader for the rest (sojourns, keys that do not apply).
pub(super) fn request_mmpp(
    c: &mut Checker,
    label: &str,
    ra: &RawRequestArrivals,
    at: usize,
) -> Option<MmppArrivals> {
    let f = |s: &str| format!("{label}.{s}");
    let units = [
        (&ra.rates_per_hour, "rates_per_hour", 1.0),
        (&ra.rates_per_minute, "rates_per_minute", 60.0),
        (&ra.rates_per_second, "rates_per_second", 3600.0),
    ];
    let given: Vec<_> = units
        .iter()
        .filter_map(|(v, name, per_hour)| v.as_ref().map(|v| (v, *name, *per_hour)))
        .collect();
    let (rates, name, per_hour) = match given.as_slice() {
        [] => {
            c.error(
                at,
                &f("rates_per_second"),
                "is required for process = \"mmpp\" (or rates_per_minute, rates_per_hour): e.g. rates_per_second = [2, 40], mean_sojourn = [\"6h\", \"30m\"]",
            );
            return None;
        }
        [one] => *one,
        [_, (second, name, _), ..] => {
            c.error(
                second.span().start,
                &f(name),
                "give only one of rates_per_hour, rates_per_minute and rates_per_second",
            );
            return None;
        }
    };
    let len = rates.get_ref().len();
    if len != 2 {
        c.error(
            rates.span().start,
            &f(name),
            format!("needs 2 values, one per state (quiet, burst); got {len}"),
        );
        return None;
    }
    let mut hourly = vec![];
    for (i, v) in rates.get_ref().iter().enumerate() {
        let x = c.non_negative(v, &f(&format!("{name}[{i}]")));
        hourly.push(Spanned::new(v.span(), x? * per_hour));
    }
    if hourly.iter().all(|v| *v.get_ref() == 0.0) {
        c.error(
            rates.span().start,
            &f(name),
            "both rates are zero: no request would ever arrive",
        );
        return None;
    }
    let ra = workload_arrivals(c, label, ra, at, Some(Spanned::new(rates.span(), hourly)));
    super::mmpp_arrivals(c, label, &ra, at)
}

/// A latency profile's rows, inline or from its CSV file, each checked; `None` after an error.
fn latency_rows(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    dir: &Path,
) -> Option<Vec<LatencyRow>> {
    let f = |s: &str| format!("{lab}.{s}");
    let mut rows = vec![];
    let mut ok = true;
    // (offset, field, "file:line: " for a CSV row, size, concurrency, p50, p95) before checks.
    #[allow(clippy::type_complexity)]
    let mut raw_rows: Vec<(usize, String, String, String, i64, f64, f64)> = vec![];
    match (&rt.latency_profile, &rt.latency_profile_file) {
        (Some(_), Some(file)) => {
            c.error(
                file.span().start,
                &f("latency_profile_file"),
                "give the latency profile inline (latency_profile) or as a file, not both",
            );
            return None;
        }
        (Some(inline), None) => {
            if inline.get_ref().is_empty() {
                c.error(
                    inline.span().start,
                    &f("latency_profile"),
                    "has no rows: give { size, concurrency, p50_ms, p95_ms } per load-test measurement",
                );
                return None;
            }
            for (i, row) in inline.get_ref().iter().enumerate() {
                let r = row.get_ref();
                raw_rows.push((
                    row.span().start,
                    f(&format!("latency_profile[{i}]")),
                    String::new(),
                    r.size.get_ref().clone(),
                    *r.concurrency.get_ref(),
                    *r.p50_ms.get_ref(),
                    *r.p95_ms.get_ref(),
                ));
            }
        }
        (None, Some(file)) => {
            let at = file.span().start;
            let path = dir.join(file.get_ref());
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    c.error(
                        at,
                        &f("latency_profile_file"),
                        format!("cannot read {}: {e}", path.display()),
                    );
                    return None;
                }
            };
            match latency_csv_rows(&text) {
                Ok(rs) => {
                    raw_rows = rs
                        .into_iter()
                        .map(|r| {
                            (
                                at,
                                f("latency_profile_file"),
                                format!("{}:{}: ", path.display(), r.line),
                                r.size,
                                r.concurrency,
                                r.p50_ms,
                                r.p95_ms,
                            )
                        })
                        .collect()
                }
                Err(e) => {
                    c.error(
                        at,
                        &f("latency_profile_file"),
                        format!("{}: {e}", path.display()),
                    );
                    return None;
                }
            }
        }
        (None, None) => return Some(vec![]),
    }
    for (at, field, line, size, concurrency, p50, p95) in raw_rows {
        let fr = |s: &str| format!("{field}.{s}");
        if crate::catalog::Catalog::builtin().get(&size).is_none() {
            c.error_hint(
                at,
                &fr("size"),
                format!("{line}unknown VM size `{size}`"),
                format!(
                    "closest catalog sizes: {}",
                    crate::catalog::Catalog::builtin()
                        .closest(&size, 3)
                        .join(", ")
                ),
            );
            ok = false;
        }
        if concurrency < 1 || concurrency > u32::MAX as i64 {
            c.error(
                at,
                &fr("concurrency"),
                format!("{line}must be a whole number of requests in flight per instance, 1 or more, got {concurrency}"),
            );
            ok = false;
        }
        let p50_ok = p50.is_finite() && p50 > 0.0;
        if !p50_ok {
            c.error(
                at,
                &fr("p50_ms"),
                format!(
                    "{line}must be a finite number of milliseconds greater than zero, got {p50}"
                ),
            );
        }
        let p95_ok = p95.is_finite() && p95 > 0.0;
        if !p95_ok {
            c.error(
                at,
                &fr("p95_ms"),
                format!(
                    "{line}must be a finite number of milliseconds greater than zero, got {p95}"
                ),
            );
        } else if p50_ok && p95 < p50 {
            c.error(
                at,
                &fr("p95_ms"),
                format!("{line}must be at least p50_ms ({p50} ms), got {p95} ms: a 95th percentile is never below the median"),
            );
            ok = false;
        }
        ok &= p50_ok && p95_ok;
        let row = LatencyRow {
            size,
            concurrency: concurrency.clamp(1, u32::MAX as i64) as u32,
            p50_ms: p50,
            p95_ms: p95,
        };
        if rows.iter().any(|r: &LatencyRow| {
            r.size.eq_ignore_ascii_case(&row.size) && r.concurrency == row.concurrency
        }) {
            c.error(
                at,
                &fr("concurrency"),
                format!(
                    "{line}{} at concurrency {} is measured twice: keep one row",
                    row.size, row.concurrency
                ),
            );
            ok = false;
        }
        rows.push(row);
    }
    ok.then_some(rows)
}

/// A latency profile read at the deployment's `max_concurrent_requests_per_instance`.
fn latency_profile(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    size: Option<&str>,
    mcr: Option<u32>,
    dir: &Path,
    rows_read: &mut Vec<LatencyRow>,
) -> Option<(ServiceModel, String)> {
    let field = if rt.latency_profile.is_some() {
        format!("{lab}.latency_profile")
    } else {
        format!("{lab}.latency_profile_file")
    };
    let at = rt
        .latency_profile
        .as_ref()
        .map(|x| x.span().start)
        .or(rt.latency_profile_file.as_ref().map(|x| x.span().start))
        .unwrap_or(0);
    let rows = latency_rows(c, lab, rt, dir)?;
    rows_read.clone_from(&rows);
    // An endpoint that failed validation has been reported already.
    let mcr = mcr?;
    let mut measured: Vec<&str> = vec![];
    for r in &rows {
        if !measured.iter().any(|m| m.eq_ignore_ascii_case(&r.size)) {
            measured.push(&r.size);
        }
    }
    let Some(size) = size else {
        c.error(
            at,
            &field,
            "needs the endpoint's VM size to pick rows, and this endpoint type has none (use service_time)",
        );
        return None;
    };
    let Some(point) = latency_at(&rows, size, mcr) else {
        c.error_hint(
            at,
            &field,
            format!("no latency profile for this size: no row measures {size}"),
            format!(
                "sizes with rows: {}; add rows measured on {size} or deploy one of those",
                measured.join(", ")
            ),
        );
        return None;
    };
    if let ProfileFit::Nearest { lowest, highest } = point.fit {
        let used = if mcr < lowest { lowest } else { highest };
        c.warn(
            at,
            &field,
            format!(
                "measures {size} at concurrency {lowest} to {highest} only, but max_concurrent_requests_per_instance is {mcr}: the row at {used} is used unchanged (extrapolation is not measured data; add a load-test row at {mcr})"
            ),
        );
    }
    Some((ServiceModel::Dist(point.sampler()), point.describe(size)))
}

/// The service model for the endpoint's size, and a description of it.
fn service(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    size: Option<&str>,
    mcr: Option<u32>,
    dir: &Path,
    rows_read: &mut Vec<LatencyRow>,
) -> Option<(ServiceModel, String)> {
    let f = |s: &str| format!("{lab}.{s}");
    let profile = rt.latency_profile.is_some() || rt.latency_profile_file.is_some();
    let given = [
        rt.service_time.is_some(),
        rt.service_time_by_size.is_some(),
        rt.token_model.is_some(),
        profile,
    ];
    if given.iter().filter(|g| **g).count() == 0 {
        c.error(
            rt.name.span().start,
            &f("service_time"),
            "is required: a distribution (service_time), one per size (service_time_by_size), a token_model or a latency_profile",
        );
        return None;
    }
    if profile {
        if given[..3].iter().any(|g| *g) {
            let at = rt
                .latency_profile
                .as_ref()
                .map(|x| x.span().start)
                .or(rt.latency_profile_file.as_ref().map(|x| x.span().start))
                .unwrap_or(0);
            c.error(
                at,
                &f(if rt.latency_profile.is_some() {
                    "latency_profile"
                } else {
                    "latency_profile_file"
                }),
                "give one service-time model: a latency profile, service_time(_by_size) or a token_model",
            );
            return None;
        }
        return latency_profile(c, lab, rt, size, mcr, dir, rows_read);
    }
    if let Some(tm) = &rt.token_model {
        if rt.service_time.is_some() || rt.service_time_by_size.is_some() {
            c.error(
                tm.span().start,
                &f("token_model"),
                "give either a token_model or service-time distributions, not both",
            );
            return None;
        }
        let t = tm.get_ref();
        let ft = |s: &str| f(&format!("token_model.{s}"));
        let mut chosen: Option<(f64, f64, f64, String)> = None;
        if let Some(by) = &t.by_size {
            for (sz, cost) in by.get_ref() {
                let here = ft(&format!("by_size.{sz}"));
                if crate::catalog::Catalog::builtin().get(sz).is_none() {
                    c.error_hint(
                        cost.span().start,
                        &here,
                        format!("unknown VM size `{sz}`"),
                        format!(
                            "closest catalog sizes: {}",
                            crate::catalog::Catalog::builtin().closest(sz, 3).join(", ")
                        ),
                    );
                    continue;
                }
                let k = cost.get_ref();
                let b = c.non_negative(&k.base_ms, &format!("{here}.base_ms"));
                let i =
                    c.non_negative(&k.per_input_token_ms, &format!("{here}.per_input_token_ms"));
                let o = c.non_negative(
                    &k.per_output_token_ms,
                    &format!("{here}.per_output_token_ms"),
                );
                if size.is_some_and(|s| s.eq_ignore_ascii_case(sz)) {
                    chosen = Some((b?, i?, o?, format!("token model for {sz}")));
                }
            }
        }
        if chosen.is_none() {
            let parts = (&t.base_ms, &t.per_input_token_ms, &t.per_output_token_ms);
            match parts {
                (Some(b), Some(i), Some(o)) => {
                    let b = c.non_negative(b, &ft("base_ms"));
                    let i = c.non_negative(i, &ft("per_input_token_ms"));
                    let o = c.non_negative(o, &ft("per_output_token_ms"));
                    chosen = Some((b?, i?, o?, "token model".to_string()));
                }
                _ => {
                    c.error(
                        tm.span().start,
                        &ft("by_size"),
                        format!(
                            "has no entry for the endpoint's size {}, and base_ms, per_input_token_ms and per_output_token_ms are not all given",
                            size.unwrap_or("(not a catalog size)")
                        ),
                    );
                    return None;
                }
            }
        }
        let (b, i, o, what) = chosen?;
        if b == 0.0 && i == 0.0 && o == 0.0 {
            c.error(
                tm.span().start,
                &f("token_model"),
                "every coefficient is zero: requests would take no time",
            );
            return None;
        }
        return Some((
            ServiceModel::Tokens {
                base_s: b / 1000.0,
                per_input_token_s: i / 1000.0,
                per_output_token_s: o / 1000.0,
            },
            format!(
                "{what}: {} ms + {} ms x input tokens + {} ms x output tokens",
                b, i, o
            ),
        ));
    }
    let mut chosen = None;
    let mut ok = true;
    if let Some(by) = &rt.service_time_by_size {
        for (sz, rd) in by.get_ref() {
            let here = f(&format!("service_time_by_size.{sz}"));
            if crate::catalog::Catalog::builtin().get(sz).is_none() {
                c.error_hint(
                    rd.span().start,
                    &here,
                    format!("unknown VM size `{sz}`"),
                    format!(
                        "closest catalog sizes: {}",
                        crate::catalog::Catalog::builtin().closest(sz, 3).join(", ")
                    ),
                );
                ok = false;
                continue;
            }
            let s = dist(c, &here, rd, false, dir);
            ok &= s.is_some();
            if size.is_some_and(|x| x.eq_ignore_ascii_case(sz)) {
                chosen = s.map(|s| {
                    (
                        ServiceModel::Dist(s),
                        format!("service-time distribution for {sz}"),
                    )
                });
            }
        }
    }
    if chosen.is_none() {
        match &rt.service_time {
            Some(rd) => {
                chosen = dist(c, &f("service_time"), rd, false, dir).map(|s| {
                    (
                        ServiceModel::Dist(s),
                        "one service-time distribution".to_string(),
                    )
                });
                ok &= chosen.is_some();
            }
            None if ok => {
                c.error(
                    rt.service_time_by_size
                        .as_ref()
                        .map_or(0, |s| s.span().start),
                    &f("service_time_by_size"),
                    format!(
                        "has no entry for the endpoint's size {}; add one or a service_time for every size",
                        size.unwrap_or("(not a catalog size)")
                    ),
                );
                return None;
            }
            None => return None,
        }
    }
    if ok { chosen } else { None }
}

/// `process = "trace"` for requests: timestamps and, for a token model, the token columns.
fn request_trace(
    c: &mut Checker,
    lab: &str,
    ra: &RawArrivals,
    at: usize,
    token_columns: Option<TokenColumns>,
    token_label: &str,
    dir: &Path,
) -> Option<RequestTrace> {
    let f = |s: &str| format!("{lab}.{s}");
    c.refuse(
        at,
        &f,
        &[
            super::poisson_keys(ra).as_slice(),
            &[
                ("duration_column", ra.duration_column.is_some()),
                ("nodes_column", ra.nodes_column.is_some()),
                ("gpus_column", ra.gpus_column.is_some()),
            ],
        ]
        .concat(),
        "does not apply to a request trace (it gives timestamps; token counts come from token_model's columns)",
    );
    let (Some(file), Some(submit)) = (&ra.file, &ra.submit_column) else {
        let missing = if ra.file.is_none() {
            "file"
        } else {
            "submit_column"
        };
        c.error(at, &f(missing), "is required for process = \"trace\"");
        return None;
    };
    let super::ReplayOptions {
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    } = super::replay_options(c, ra, at, &f)?;
    let mut extra_columns = vec![];
    if let Some((input, output)) = token_columns {
        match (input, output) {
            (Some(i), Some(o)) => {
                extra_columns.push(i.get_ref().clone());
                extra_columns.push(o.get_ref().clone());
            }
            _ => {
                c.error(
                    at,
                    &format!(
                        "{token_label}.{}",
                        if input.is_none() {
                            "input_column"
                        } else {
                            "output_column"
                        }
                    ),
                    "is required: the trace column of the request's token count",
                );
                return None;
            }
        }
    }
    let spec = TraceSpec {
        file: dir.join(file.get_ref()),
        submit_column: submit.get_ref().clone(),
        duration_column: None,
        nodes_column: None,
        gpus_column: None,
        extra_columns,
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    };
    let tr = super::load_trace(c, &spec, file.span().start, &f, "request")?;
    let mut tokens = vec![];
    if token_columns.is_some() {
        for row in &tr.rows {
            let ok = |x: f64| x.is_finite() && x >= 0.0 && x <= u32::MAX as f64;
            if row.extra.len() != 2 || !ok(row.extra[0]) || !ok(row.extra[1]) {
                c.error(
                    file.span().start,
                    &f("file"),
                    format!(
                        "{}:{}: token counts must be whole numbers of zero or more",
                        spec.file.display(),
                        row.line
                    ),
                );
                return None;
            }
            tokens.push((row.extra[0].round() as u32, row.extra[1].round() as u32));
        }
    }
    let n = tr.rows.len();
    let period = match end {
        Some(e) => (e - start.unwrap_or(0.0)) * time_scale,
        None if n > 1 => tr.span_s * n as f64 / (n - 1) as f64,
        None => tr.span_s,
    };
    Some(RequestTrace {
        times: tr.rows.iter().map(|r| from_secs_f64(r.submit_s)).collect(),
        tokens,
        repeat: ra.repeat.unwrap_or(false),
        period: from_secs_f64(period),
    })
}

/// `type = "kubernetes_online"`: a deployment on an attached Kubernetes cluster whose node pool
/// (`node_size` x `node_count`) is billed always on; replicas scale by the router's
/// target-utilisation autoscaler, or stay at `instance_count` with `scale_settings.type =
/// "default"`.
fn kubernetes(
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
