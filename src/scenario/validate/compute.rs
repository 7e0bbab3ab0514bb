//! `[[compute]]`: the compute targets jobs run on. Every type is read here up to its VM size and
//! price; then autoscaled and attached clusters and fixed pools here, compute instances in
//! `instance`, serverless jobs in `serverless`.

use super::super::raw::{RawCompute, RawScenario};
use super::dist::dist_or_assumed;
use super::instance::instance;
use super::serverless::serverless;
use super::sizes::{Size, price, quota, retirement};
use super::{Checker, Context, given, label};
use crate::catalog::VmSize;
use crate::engine::Sampler;
use crate::engine::time::from_secs_f64;
use crate::targets::defaults as d;
use crate::targets::{ClusterSpec, TargetKind, TargetSpec, Tier};
use std::collections::HashMap;
use toml::Spanned;

/// What workloads need to know of a target, even one whose own settings had errors (so that a
/// workload's problems are reported too).
#[derive(Clone)]
pub(super) struct Facts<'a> {
    /// Its index among the valid targets; `None` when it had errors.
    pub(super) index: Option<usize>,
    pub(super) type_name: &'static str,
    pub(super) max_instances: u32,
    pub(super) vm: Option<&'a VmSize>,
}

/// How a compute `type` is modelled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    /// `amlcompute`: an autoscaling node pool.
    Autoscaled,
    /// Attached pools with min/max nodes and auto-termination and their own price.
    Attached,
    /// A fixed pool paid around the clock or not at all.
    Fixed,
    Instance,
    Serverless,
}

const TYPES: &[(&str, Group)] = &[
    ("amlcompute", Group::Autoscaled),
    ("computeinstance", Group::Instance),
    ("serverless", Group::Serverless),
    ("kubernetes", Group::Fixed),
    ("remote_vm", Group::Fixed),
    ("attached", Group::Fixed),
    ("local", Group::Fixed),
    ("spark_pool", Group::Attached),
    ("databricks", Group::Attached),
    ("hdinsight", Group::Attached),
    ("data_lake_analytics", Group::Attached),
    ("batch", Group::Attached),
];

/// The fields each group accepts besides name, type, size, price_usd_per_hour, allow_retired.
fn group_fields(g: Group) -> &'static [&'static str] {
    match g {
        Group::Autoscaled => &[
            "min_instances",
            "max_instances",
            "idle_time_before_scale_down",
            "tier",
            "provisioning_time",
            "backfill",
            "preemption",
            "checkpoint_interval",
            "spot_price",
        ],
        Group::Attached => &[
            "min_instances",
            "max_instances",
            "idle_time_before_scale_down",
            "provisioning_time",
            "backfill",
        ],
        Group::Fixed => &["instance_count", "billing", "backfill"],
        Group::Instance => &[
            "idle_time_before_shutdown",
            "start_time",
            "initial_state",
            "max_concurrent_jobs",
            "disk_usd_per_month",
            "load_balancer_usd_per_day",
            "schedules",
        ],
        Group::Serverless => &[
            "job_tier",
            "quota_vcpus",
            "startup_time",
            "preemption",
            "checkpoint_interval",
        ],
    }
}

/// The fields of the types' groups that are given, with where.
fn given_fields(rc: &RawCompute) -> Vec<(&'static str, usize)> {
    let mut v: Vec<(&'static str, Option<usize>)> = vec![
        ("min_instances", given(&rc.min_instances)),
        ("max_instances", given(&rc.max_instances)),
        (
            "idle_time_before_scale_down",
            given(&rc.idle_time_before_scale_down),
        ),
        ("tier", given(&rc.tier)),
        ("provisioning_time", given(&rc.provisioning_time)),
        ("instance_count", given(&rc.instance_count)),
        ("billing", given(&rc.billing)),
        (
            "idle_time_before_shutdown",
            given(&rc.idle_time_before_shutdown),
        ),
        ("start_time", given(&rc.start_time)),
        ("initial_state", given(&rc.initial_state)),
        ("max_concurrent_jobs", given(&rc.max_concurrent_jobs)),
        ("disk_usd_per_month", given(&rc.disk_usd_per_month)),
        (
            "load_balancer_usd_per_day",
            given(&rc.load_balancer_usd_per_day),
        ),
        ("job_tier", given(&rc.job_tier)),
        ("quota_vcpus", given(&rc.quota_vcpus)),
        ("startup_time", given(&rc.startup_time)),
        ("preemption", given(&rc.preemption)),
        ("schedules", given(&rc.schedules)),
        ("checkpoint_interval", given(&rc.checkpoint_interval)),
        ("spot_price", given(&rc.spot_price)),
    ];
    // `backfill` is a plain bool without a location: the error points at the type.
    if rc.backfill.is_some() {
        v.push(("backfill", Some(rc.kind.span().start)));
    }
    v.into_iter()
        .filter_map(|(k, a)| a.map(|a| (k, a)))
        .collect()
}

/// Every `[[compute]]` table in file order: the valid targets, and the facts of every target
/// by name (for the workloads and batch endpoints aimed at them).
pub(super) fn computes<'a>(
    c: &mut Checker,
    raw: &RawScenario,
    ctx: &mut Context<'a>,
) -> (Vec<TargetSpec>, HashMap<String, Facts<'a>>) {
    let mut targets = vec![];
    let mut facts: HashMap<String, Facts> = HashMap::new();
    for (i, rc) in raw.compute.iter().enumerate() {
        let rc = rc.get_ref();
        let label = label("compute", i, rc.name.get_ref());
        let name = rc.name.get_ref().trim().to_string();
        if facts.contains_key(&name) {
            c.error(
                rc.name.span().start,
                &format!("{label}.name"),
                format!("`{name}` is used by another compute target"),
            );
        }
        let (target, f) = compute(c, &label, rc, ctx);
        facts.insert(
            name,
            Facts {
                index: target.as_ref().map(|_| targets.len()),
                ..f
            },
        );
        targets.extend(target);
    }
    (targets, facts)
}

/// What every compute type has once its `type` and `size` are read.
pub(super) struct Node<'a> {
    pub(super) name: String,
    pub(super) type_name: &'static str,
    /// The size as the catalog spells it, else as written ("" when none).
    pub(super) size: String,
    pub(super) sized: Size<'a>,
    /// Not billed to this scenario: `local`, or `billing = "external"`.
    pub(super) free: bool,
}

/// One `[[compute]]` table: its target (`None` after an error) and its facts (even after one).
fn compute<'a>(
    c: &mut Checker,
    label: &str,
    rc: &RawCompute,
    ctx: &mut Context<'a>,
) -> (Option<TargetSpec>, Facts<'a>) {
    let mut facts = Facts {
        index: None,
        type_name: "",
        max_instances: u32::MAX,
        vm: None,
    };
    let name = rc.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(
            rc.name.span().start,
            &format!("{label}.name"),
            "must not be empty",
        );
    }
    let f = |s: &str| format!("{label}.{s}");
    let Some((type_name, group)) = compute_type(c, &f, rc) else {
        return (None, facts);
    };
    facts.type_name = type_name;
    let misplaced = misplaced_fields(c, &f, rc, type_name, group);
    // A target's own region stands for the scenario's while it is read.
    let scenario_region = rc.region.as_ref().map(|r| {
        let own = super::settings::region(c, r, &f("region"));
        std::mem::replace(&mut ctx.region, own)
    });
    let node = node(c, &f, rc, name, type_name, group, ctx);
    facts.vm = node.sized.vm;
    let target = match group {
        Group::Autoscaled | Group::Attached | Group::Fixed => {
            cluster(c, &f, rc, group, node, ctx, &mut facts)
        }
        Group::Instance => {
            facts.max_instances = 1;
            instance(c, &f, rc, node, ctx)
        }
        Group::Serverless => serverless(c, &f, rc, node, ctx, &mut facts),
    };
    if let Some(r) = scenario_region {
        ctx.region = r;
    }
    (if misplaced { None } else { target }, facts)
}

/// The compute `type` and its group; `None` after an error.
fn compute_type(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
) -> Option<(&'static str, Group)> {
    let kind = rc.kind.get_ref().to_ascii_lowercase();
    let found = TYPES.iter().find(|(t, _)| *t == kind).copied();
    if found.is_none() {
        c.error_hint(
            rc.kind.span().start,
            &f("type"),
            format!("unknown compute type `{}`", rc.kind.get_ref()),
            format!(
                "supported: {}",
                TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    found
}

/// Refuses the fields of other types' groups; `true` when any was given.
fn misplaced_fields(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    type_name: &str,
    group: Group,
) -> bool {
    let allowed = group_fields(group);
    let mut misplaced = false;
    for (field, at) in given_fields(rc) {
        if !allowed.contains(&field) {
            c.error(
                at,
                &f(field),
                format!("does not apply to type = \"{type_name}\""),
            );
            misplaced = true;
        }
    }
    misplaced
}

/// The target's VM size (looked up, checked for retirement) and whether it is billed at all.
fn node<'a>(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    name: String,
    type_name: &'static str,
    group: Group,
    ctx: &Context<'a>,
) -> Node<'a> {
    // A size is optional for pools priced by the user; the two Azure ML types default to
    // Azure's own default size.
    let default_size =
        matches!(group, Group::Autoscaled | Group::Instance).then_some(d::AMLCOMPUTE_SIZE);
    let size_name = rc
        .size
        .as_ref()
        .map(|s| s.get_ref().as_str())
        .or(default_size);
    if group == Group::Serverless && size_name.is_none() {
        c.error(
            rc.name.span().start,
            &f("size"),
            "is required for serverless jobs (Azure ML's resources.instance_type)",
        );
    }
    let size_at = rc
        .size
        .as_ref()
        .map_or(rc.name.span().start, |s| s.span().start);
    let free = type_name == "local"
        || rc
            .billing
            .as_ref()
            .is_some_and(|b| b.get_ref().eq_ignore_ascii_case("external"));
    let priced = rc.price_usd_per_hour.is_some() || free;
    let sized = Size::look_up(c, ctx, f("size"), size_at, size_name, priced);
    if size_name.is_none() && !priced {
        c.error(
            rc.name.span().start,
            &f("price_usd_per_hour"),
            format!("a {type_name} target without a catalog size needs its price per node-hour"),
        );
    }
    if let Some(vm) = sized.vm {
        retirement(
            c,
            &f("size"),
            size_at,
            vm,
            rc.allow_retired.unwrap_or(false),
            ctx,
        );
    }
    Node {
        name,
        type_name,
        size: sized
            .vm
            .map_or(size_name.unwrap_or("").to_string(), |v| v.size.clone()),
        sized,
        free,
    }
}

/// A cluster's or pool's node limits and how nodes come and go.
struct Pool {
    min: u32,
    max: u32,
    /// How long an idle node is kept; `Some(None)` when nodes are never released, `None` after
    /// an error.
    idle: Option<Option<f64>>,
    provisioning: Option<Sampler>,
    tier: Tier,
}

/// An autoscaled or attached cluster, or a fixed pool.
fn cluster(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    group: Group,
    node: Node,
    ctx: &mut Context,
    facts: &mut Facts,
) -> Option<TargetSpec> {
    let pool = if group == Group::Fixed {
        fixed_pool(c, f, rc, node.type_name)
    } else {
        scaling_pool(c, f, rc, group, ctx)
    };
    facts.max_instances = pool.max;
    let spot = group == Group::Autoscaled
        && pool.tier == Tier::LowPriority
        && ctx.start_day >= super::spot::spot_since_day();
    let (preemption, checkpoint, eviction) = preemption(c, f, rc, pool.tier, spot);
    if group == Group::Autoscaled
        && let Some(vm) = node.sized.vm
    {
        let at = rc
            .max_instances
            .as_ref()
            .map_or(node.sized.at, |m| m.span().start);
        quota(c, &f("max_instances"), at, vm, pool.max, pool.tier, ctx);
    }
    let (price, price_source, spot_pricing) = if spot {
        super::spot::pricing(c, f, rc, &node.sized, ctx)
    } else {
        if let Some(sp) = &rc.spot_price {
            c.warn(
                sp.span().start,
                &f("spot_price"),
                format!(
                    "ignored: only low_priority clusters simulated from {} on are Spot VMs (this one is billed at a fixed price)",
                    d::SPOT_SINCE
                ),
            );
        }
        let (p, s) = cluster_price(c, f, rc, &node, pool.tier, ctx);
        if let Some(payg) = p
            && node.type_name == "amlcompute"
            && pool.tier == Tier::Dedicated
        {
            let prices = commitment_prices(&node, payg, ctx);
            ctx.commitments.insert(node.name.clone(), prices);
        }
        (p, s, Some(None))
    };
    Some(TargetSpec {
        name: node.name,
        price_source,
        kind: TargetKind::Cluster {
            type_name: node.type_name,
            spec: ClusterSpec {
                size: node.size,
                min_instances: pool.min,
                max_instances: pool.max,
                idle_time_before_scale_down: pool.idle?.map(from_secs_f64),
                tier: pool.tier,
                provisioning_time: pool.provisioning?,
                backfill: rc.backfill.unwrap_or(false),
                price_usd_per_hour: price?,
                preemption: preemption?,
                checkpoint_interval: checkpoint?.map(from_secs_f64),
                eviction_time: from_secs_f64(eviction?),
                spot: spot_pricing?,
            },
        },
    })
}

/// What reservations and savings plans would cost for a dedicated cluster's size in its region:
/// from the price file's row only (the built-in catalog has no commitment prices).
fn commitment_prices(
    node: &Node,
    payg: f64,
    ctx: &Context,
) -> crate::catalog::price_file::CommitmentPrices {
    let listed = node.sized.listed.as_ref();
    let get = |f: fn(&super::prices::UserPrice) -> Option<f64>| listed.and_then(f);
    let source = match (listed, &ctx.prices) {
        (Some(u), Some(table)) => {
            let mut s = format!("price list {}", table.source);
            if let Some(src) = &u.source {
                s.push_str(&format!(" ({src}"));
                if let Some(d) = &u.price_date {
                    s.push_str(&format!(", {d}"));
                }
                s.push(')');
            }
            s
        }
        _ => "no price list row: the catalog has no reservation or savings-plan prices".into(),
    };
    crate::catalog::price_file::CommitmentPrices {
        size: node.size.clone(),
        region: ctx.region.clone(),
        payg_usd_per_hour: payg,
        reserved_1y_usd_per_hour: get(|u| u.reserved_1y_usd_per_hour),
        reserved_3y_usd_per_hour: get(|u| u.reserved_3y_usd_per_hour),
        savings_plan_1y_usd_per_hour: get(|u| u.savings_plan_1y_usd_per_hour),
        savings_plan_3y_usd_per_hour: get(|u| u.savings_plan_3y_usd_per_hour),
        source,
    }
}

/// A cluster's price at its tier (free pools cost nothing).
fn cluster_price(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    node: &Node,
    tier: Tier,
    ctx: &Context,
) -> (Option<f64>, String) {
    if node.free {
        let why = if node.type_name == "local" {
            "local machine: no cost"
        } else {
            "billing = external: not billed to this scenario"
        };
        return (Some(0.0), why.to_string());
    }
    price(
        c,
        f,
        &rc.price_usd_per_hour,
        &node.sized,
        tier,
        ctx,
        "give the price with price_usd_per_hour on the target, or a prices file",
    )
}

/// A fixed pool's `instance_count` and `billing`: its nodes are always there.
fn fixed_pool(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    type_name: &str,
) -> Pool {
    let default_count = u64::from(type_name == "local");
    let n = match &rc.instance_count {
        None if default_count == 0 => {
            c.error(
                rc.name.span().start,
                &f("instance_count"),
                format!("is required: the nodes of the {type_name} pool"),
            );
            1
        }
        v => c.int(
            v,
            &f("instance_count"),
            default_count,
            1,
            d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
        ) as u32,
    };
    if let Some(b) = &rc.billing {
        let name = b.get_ref().to_ascii_lowercase();
        if name != "always_on" && name != "external" {
            c.error_hint(
                b.span().start,
                &f("billing"),
                format!("unknown billing `{name}`"),
                "use \"always_on\" (the team pays for every node around the clock) or \"external\" (not billed to this scenario)".into(),
            );
        }
    }
    // A fixed pool never releases nodes: no idle time (`Some(None)`).
    Pool {
        min: n,
        max: n,
        idle: Some(None),
        provisioning: Some(Sampler::constant_s(0.0)),
        tier: Tier::Dedicated,
    }
}

/// An autoscaled or attached cluster's node limits, idle time, tier and provisioning time.
fn scaling_pool(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    group: Group,
    ctx: &Context,
) -> Pool {
    let min = c.int(
        &rc.min_instances,
        &f("min_instances"),
        d::AMLCOMPUTE_MIN_INSTANCES as u64,
        0,
        d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
    ) as u32;
    let max = c.int(
        &rc.max_instances,
        &f("max_instances"),
        d::AMLCOMPUTE_MAX_INSTANCES as u64,
        1,
        d::AMLCOMPUTE_MAX_NODES_LIMIT as u64,
    ) as u32;
    let max_ok = rc
        .max_instances
        .as_ref()
        .is_none_or(|m| (1..=d::AMLCOMPUTE_MAX_NODES_LIMIT as i64).contains(m.get_ref()));
    // An out-of-range max fell back to the default: comparing min with it would report a
    // second, false error.
    if min > max && max_ok {
        let at = rc.min_instances.as_ref().map_or(0, |s| s.span().start);
        c.error(
            at,
            &f("min_instances"),
            format!("must not exceed max_instances ({max}), got {min}"),
        );
    }
    if group == Group::Autoscaled
        && max > d::AMLCOMPUTE_DEFAULT_NODES_LIMIT
        && let Some(m) = &rc.max_instances
    {
        c.warn(
            m.span().start,
            &f("max_instances"),
            format!(
                "{max} is above Azure ML's default limit of {} nodes per cluster: it needs a support request (hard limit {})",
                d::AMLCOMPUTE_DEFAULT_NODES_LIMIT,
                d::AMLCOMPUTE_MAX_NODES_LIMIT
            ),
        );
    }
    let idle = match &rc.idle_time_before_scale_down {
        Some(v) => c.dur(v, &f("idle_time_before_scale_down"), true),
        None => Some(d::AMLCOMPUTE_IDLE_TIME_BEFORE_SCALE_DOWN_S),
    };
    let tier = tier(
        c,
        &f("tier"),
        &rc.tier,
        [&["dedicated"], &["low_priority", "lowpriority"]],
        "unknown tier",
        "use \"dedicated\" or \"low_priority\"",
    );
    let provisioning = dist_or_assumed(
        c,
        &f("provisioning_time"),
        &rc.provisioning_time,
        ctx.dir,
        (
            d::ASSUMED_PROVISIONING_MEDIAN_S,
            d::ASSUMED_PROVISIONING_P95_S,
        ),
    );
    Pool {
        min,
        max,
        idle: idle.map(Some),
        provisioning,
        tier,
    }
}

/// A tier by one of its `names` (dedicated's, then low priority's); dedicated when absent, and
/// after an error.
pub(super) fn tier(
    c: &mut Checker,
    field: &str,
    v: &Option<Spanned<String>>,
    names: [&[&str]; 2],
    unknown: &str,
    hint: &str,
) -> Tier {
    let Some(v) = v else {
        return Tier::Dedicated;
    };
    let t = v.get_ref().to_ascii_lowercase();
    if names[0].contains(&t.as_str()) {
        Tier::Dedicated
    } else if names[1].contains(&t.as_str()) {
        Tier::LowPriority
    } else {
        c.error_hint(
            v.span().start,
            field,
            format!("{unknown} `{t}`"),
            hint.into(),
        );
        Tier::Dedicated
    }
}

/// Low-priority preemption: a node's lifetime distribution (exponential), the checkpoint
/// interval and how long an evicted node stays billed. `Some(None)` when absent; `None` after an
/// error. As Spot (`spot`: low priority simulated from 31 March 2026), eviction is on by default
/// (a labelled assumption, with a warning) and an evicted node is billed for
/// [`d::ASSUMED_SPOT_EVICTION_TIME_S`] unless `preemption.eviction_time` says otherwise.
#[allow(clippy::type_complexity)]
pub(super) fn preemption(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    tier: Tier,
    spot: bool,
) -> (Option<Option<Sampler>>, Option<Option<f64>>, Option<f64>) {
    let checkpoint = match &rc.checkpoint_interval {
        None => Some(None),
        Some(v) => c.dur(v, &f("checkpoint_interval"), false).map(Some),
    };
    let default_eviction = if spot {
        d::ASSUMED_SPOT_EVICTION_TIME_S
    } else {
        0.0
    };
    let Some(p) = &rc.preemption else {
        if spot {
            let q = d::ASSUMED_SPOT_EVICTION_PROBABILITY_PER_HOUR;
            let mean_s = 3600.0 / -(1.0 - q).ln();
            c.warn(
                rc.tier.as_ref().map_or(rc.name.span().start, |t| t.span().start),
                &f("preemption"),
                format!(
                    "low_priority nodes are Spot VMs since {}: evicted at an assumed {}% per hour (a node lives {:.1} h on average), since Azure publishes no eviction rate; set preemption = {{ probability_per_hour = ... }} from your size's eviction-rate band in the Azure portal",
                    d::SPOT_SINCE,
                    crate::text::num(q * 100.0),
                    mean_s / 3600.0,
                ),
            );
            return (
                Some(Some(Sampler::exponential_s(mean_s))),
                checkpoint,
                Some(default_eviction),
            );
        }
        return (Some(None), checkpoint, Some(default_eviction));
    };
    let at = p.span().start;
    if tier != Tier::LowPriority {
        c.error(
            at,
            &f("preemption"),
            "applies to tier = \"low_priority\" only: dedicated nodes are not preempted",
        );
        return (None, checkpoint, None);
    }
    let p = p.get_ref();
    let eviction = match &p.eviction_time {
        Some(v) => c.dur(v, &f("preemption.eviction_time"), true),
        None => Some(default_eviction),
    };
    let mean_s = match (&p.mean_time_between, &p.probability_per_hour) {
        (Some(m), None) => c.dur(m, &f("preemption.mean_time_between"), false),
        (None, Some(q)) => {
            let x = *q.get_ref();
            if x.is_finite() && x > 0.0 && x < 1.0 {
                // P(preempted within an hour) = 1 - exp(-rate · 1 h).
                Some(3600.0 / -(1.0 - x).ln())
            } else {
                c.error(
                    q.span().start,
                    &f("preemption.probability_per_hour"),
                    format!("must be above 0 and below 1, got {x}"),
                );
                None
            }
        }
        _ => {
            c.error(
                at,
                &f("preemption"),
                "give one of mean_time_between (e.g. \"6h\") or probability_per_hour (e.g. 0.05)",
            );
            None
        }
    };
    (
        mean_s.map(|m| Some(Sampler::exponential_s(m))),
        checkpoint,
        eviction,
    )
}
