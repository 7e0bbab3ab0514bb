//! `[[compute]]`: the compute targets jobs run on. Every type is read here up to its VM size and
//! price; then autoscaled and attached clusters and fixed pools here, compute instances in
//! `instance`, serverless jobs in `serverless`.

use super::super::raw::RawCompute;
use super::instance::schedules;
use super::sizes::{price, quota, retirement};
use super::{Checker, Context, dist};
use crate::catalog::VmSize;
use crate::engine::Sampler;
use crate::engine::time::from_secs_f64;
use crate::targets::defaults as d;
use crate::targets::instance::{Power, state_at_zero};
use crate::targets::{ClusterSpec, InstanceSpec, ServerlessSpec, TargetKind, TargetSpec, Tier};
use crate::text::duration::format_duration;

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

fn given_fields(rc: &RawCompute) -> Vec<(&'static str, usize)> {
    let at = |o: Option<usize>| o;
    let mut v: Vec<(&'static str, Option<usize>)> = vec![
        (
            "min_instances",
            at(rc.min_instances.as_ref().map(|x| x.span().start)),
        ),
        (
            "max_instances",
            at(rc.max_instances.as_ref().map(|x| x.span().start)),
        ),
        (
            "idle_time_before_scale_down",
            rc.idle_time_before_scale_down
                .as_ref()
                .map(|x| x.span().start),
        ),
        ("tier", rc.tier.as_ref().map(|x| x.span().start)),
        (
            "provisioning_time",
            rc.provisioning_time.as_ref().map(|x| x.span().start),
        ),
        (
            "instance_count",
            rc.instance_count.as_ref().map(|x| x.span().start),
        ),
        ("billing", rc.billing.as_ref().map(|x| x.span().start)),
        (
            "idle_time_before_shutdown",
            rc.idle_time_before_shutdown
                .as_ref()
                .map(|x| x.span().start),
        ),
        ("start_time", rc.start_time.as_ref().map(|x| x.span().start)),
        (
            "initial_state",
            rc.initial_state.as_ref().map(|x| x.span().start),
        ),
        (
            "max_concurrent_jobs",
            rc.max_concurrent_jobs.as_ref().map(|x| x.span().start),
        ),
        (
            "disk_usd_per_month",
            rc.disk_usd_per_month.as_ref().map(|x| x.span().start),
        ),
        (
            "load_balancer_usd_per_day",
            rc.load_balancer_usd_per_day
                .as_ref()
                .map(|x| x.span().start),
        ),
        ("job_tier", rc.job_tier.as_ref().map(|x| x.span().start)),
        (
            "quota_vcpus",
            rc.quota_vcpus.as_ref().map(|x| x.span().start),
        ),
        (
            "startup_time",
            rc.startup_time.as_ref().map(|x| x.span().start),
        ),
        ("preemption", rc.preemption.as_ref().map(|x| x.span().start)),
        ("schedules", rc.schedules.as_ref().map(|x| x.span().start)),
        (
            "checkpoint_interval",
            rc.checkpoint_interval.as_ref().map(|x| x.span().start),
        ),
    ];
    if rc.backfill.is_some() {
        v.push(("backfill", Some(rc.kind.span().start)));
    }
    v.into_iter()
        .filter_map(|(k, a)| a.map(|a| (k, a)))
        .collect()
}

pub(super) fn compute<'a>(
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
    let kind = rc.kind.get_ref().to_ascii_lowercase();
    let f = |s: &str| format!("{label}.{s}");
    let Some(&(type_name, group)) = TYPES.iter().find(|(t, _)| *t == kind) else {
        c.error_hint(
            rc.kind.span().start,
            &f("type"),
            format!("unknown compute type `{}`", rc.kind.get_ref()),
            format!(
                "supported: {}",
                TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
            ),
        );
        return (None, facts);
    };
    facts.type_name = type_name;
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
    let vm = size_name.and_then(|n| ctx.catalog.get(n));
    facts.vm = vm;
    let user_price = size_name.and_then(|n| ctx.prices.as_ref().and_then(|p| p.get(n).cloned()));
    let free = type_name == "local"
        || rc
            .billing
            .as_ref()
            .is_some_and(|b| b.get_ref().eq_ignore_ascii_case("external"));
    if let Some(n) = size_name
        && vm.is_none()
        && rc.price_usd_per_hour.is_none()
        && user_price.is_none()
        && !free
    {
        c.error_hint(
            size_at,
            &f("size"),
            format!("unknown VM size `{n}`"),
            format!(
                "closest catalog sizes: {}; or price a size of your own with price_usd_per_hour",
                ctx.catalog.closest(n, 3).join(", ")
            ),
        );
    }
    if size_name.is_none() && rc.price_usd_per_hour.is_none() && !free {
        c.error(
            rc.name.span().start,
            &f("price_usd_per_hour"),
            format!("a {type_name} target without a catalog size needs its price per node-hour"),
        );
    }
    if let Some(vm) = vm {
        retirement(
            c,
            &f("size"),
            size_at,
            vm,
            rc.allow_retired.unwrap_or(false),
            ctx,
        );
    }
    let size = vm.map_or(size_name.unwrap_or("").to_string(), |v| v.size.clone());
    match group {
        Group::Autoscaled | Group::Attached | Group::Fixed => {
            let (min, max, idle, provisioning, tier) = if group == Group::Fixed {
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
                    let b = b.get_ref().to_ascii_lowercase();
                    if b != "always_on" && b != "external" {
                        c.error_hint(
                            rc.billing.as_ref().map_or(0, |x| x.span().start),
                            &f("billing"),
                            format!("unknown billing `{b}`"),
                            "use \"always_on\" (the team pays for every node around the clock) or \"external\" (not billed to this scenario)".into(),
                        );
                    }
                }
                // A fixed pool never releases nodes: no idle time (`Some(None)`).
                (
                    n,
                    n,
                    Some(None),
                    Some(Sampler::constant_s(0.0)),
                    Tier::Dedicated,
                )
            } else {
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
                let max_ok = rc.max_instances.as_ref().is_none_or(|m| {
                    (1..=d::AMLCOMPUTE_MAX_NODES_LIMIT as i64).contains(m.get_ref())
                });
                // An out-of-range max fell back to the default: comparing min with it would
                // report a second, false error.
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
                let tier = match rc.tier.as_ref().map(|t| t.get_ref().to_ascii_lowercase()) {
                    None => Tier::Dedicated,
                    Some(t) if t == "dedicated" => Tier::Dedicated,
                    Some(t) if t == "low_priority" || t == "lowpriority" => Tier::LowPriority,
                    Some(t) => {
                        let at = rc.tier.as_ref().map_or(0, |s| s.span().start);
                        c.error_hint(
                            at,
                            &f("tier"),
                            format!("unknown tier `{t}`"),
                            "use \"dedicated\" or \"low_priority\"".into(),
                        );
                        Tier::Dedicated
                    }
                };
                let provisioning = match &rc.provisioning_time {
                    Some(p) => dist(c, &f("provisioning_time"), p, true, ctx.dir),
                    None => Some(Sampler::lognormal_median_p95_s(
                        d::ASSUMED_PROVISIONING_MEDIAN_S,
                        d::ASSUMED_PROVISIONING_P95_S,
                    )),
                };
                (min, max, idle.map(Some), provisioning, tier)
            };
            facts.max_instances = max;
            let (preemption, checkpoint) = preemption(c, &f, rc, tier);
            if group == Group::Autoscaled
                && let Some(vm) = vm
            {
                let at = rc
                    .max_instances
                    .as_ref()
                    .map_or(size_at, |m| m.span().start);
                quota(c, &f("max_instances"), at, vm, max, tier, ctx);
            }
            let (price, price_source) = if free {
                let why = if type_name == "local" {
                    "local machine: no cost"
                } else {
                    "billing = external: not billed to this scenario"
                };
                (Some(0.0), why.to_string())
            } else {
                price(c, &f, rc, vm, user_price, tier, size_at, ctx)
            };
            let build = || -> Option<TargetSpec> {
                Some(TargetSpec {
                    name,
                    price_source,
                    kind: TargetKind::Cluster {
                        type_name,
                        spec: ClusterSpec {
                            size,
                            min_instances: min,
                            max_instances: max,
                            idle_time_before_scale_down: idle?.map(from_secs_f64),
                            tier,
                            provisioning_time: provisioning?,
                            backfill: rc.backfill.unwrap_or(false),
                            price_usd_per_hour: price?,
                            preemption: preemption?,
                            checkpoint_interval: checkpoint?.map(from_secs_f64),
                        },
                    },
                })
            };
            (if misplaced { None } else { build() }, facts)
        }
        Group::Instance => {
            facts.max_instances = 1;
            let idle = match &rc.idle_time_before_shutdown {
                None => Some(None),
                Some(v) => c
                    .dur(v, &f("idle_time_before_shutdown"), false)
                    .and_then(|x| {
                        if (d::CI_IDLE_SHUTDOWN_MIN_S..=d::CI_IDLE_SHUTDOWN_MAX_S).contains(&x) {
                            Some(Some(x))
                        } else {
                            c.error(
                                v.span().start,
                                &f("idle_time_before_shutdown"),
                                format!(
                                    "Azure ML accepts 15 minutes to 3 days, got {}",
                                    format_duration(x)
                                ),
                            );
                            None
                        }
                    }),
            };
            let start = match &rc.start_time {
                Some(p) => dist(c, &f("start_time"), p, true, ctx.dir),
                None => Some(Sampler::lognormal_median_p95_s(
                    d::ASSUMED_CI_START_MEDIAN_S,
                    d::ASSUMED_CI_START_P95_S,
                )),
            };
            let schedule = schedules(c, &f, rc);
            let at_zero = schedule.as_ref().and_then(|s| state_at_zero(s));
            let running = match rc
                .initial_state
                .as_ref()
                .map(|x| x.get_ref().to_ascii_lowercase())
            {
                // With schedules, time zero finds the instance as the week's last action left it.
                None => Some(at_zero != Some(Power::Stop)),
                Some(x) if x == "running" => Some(true),
                Some(x) if x == "stopped" => Some(false),
                Some(x) => {
                    let at = rc.initial_state.as_ref().map_or(0, |v| v.span().start);
                    c.error_hint(
                        at,
                        &f("initial_state"),
                        format!("unknown state `{x}`"),
                        "use \"running\" or \"stopped\"".into(),
                    );
                    None
                }
            };
            let vcpus = vm.map_or(1, |v| v.vcpus.max(1)) as u64;
            let slots = c.int(
                &rc.max_concurrent_jobs,
                &f("max_concurrent_jobs"),
                vcpus,
                1,
                100_000,
            ) as u32;
            let disk = match &rc.disk_usd_per_month {
                Some(v) => c.non_negative(v, &f("disk_usd_per_month")),
                None => Some(d::ASSUMED_CI_P10_DISK_USD_PER_MONTH),
            };
            let lb = match &rc.load_balancer_usd_per_day {
                Some(v) => c.non_negative(v, &f("load_balancer_usd_per_day")),
                None => Some(d::CI_LOAD_BALANCER_USD_PER_DAY),
            };
            let (price, mut price_source) =
                price(c, &f, rc, vm, user_price, Tier::Dedicated, size_at, ctx);
            price_source.push_str("; plus OS disk and load balancer");
            let build = || -> Option<TargetSpec> {
                Some(TargetSpec {
                    name,
                    price_source,
                    kind: TargetKind::ComputeInstance(InstanceSpec {
                        size,
                        slots,
                        idle_time_before_shutdown: idle?.map(from_secs_f64),
                        start_time: start?,
                        initially_running: running?,
                        price_usd_per_hour: price?,
                        fixed_usd_per_hour: disk? / (30.0 * 24.0) + lb? / 24.0,
                        initially_held: !running? && at_zero == Some(Power::Stop),
                        schedule: schedule?,
                    }),
                })
            };
            (if misplaced { None } else { build() }, facts)
        }
        Group::Serverless => {
            let tier = match rc
                .job_tier
                .as_ref()
                .map(|t| t.get_ref().to_ascii_lowercase())
            {
                None => Tier::Dedicated,
                Some(t) if t == "standard" => Tier::Dedicated,
                Some(t) if t == "spot" => Tier::LowPriority,
                Some(t) => {
                    let at = rc.job_tier.as_ref().map_or(0, |s| s.span().start);
                    c.error_hint(
                        at,
                        &f("job_tier"),
                        format!("unknown job tier `{t}`"),
                        "use \"standard\" or \"spot\"".into(),
                    );
                    Tier::Dedicated
                }
            };
            let quota = rc
                .quota_vcpus
                .is_some()
                .then(|| c.int(&rc.quota_vcpus, &f("quota_vcpus"), 0, 1, u64::MAX));
            let vcpus = vm.map_or(1, |v| v.vcpus.max(1));
            if let Some(q) = quota {
                facts.max_instances = (q / vcpus as u64).min(u32::MAX as u64) as u32;
            }
            let startup = match &rc.startup_time {
                Some(p) => dist(c, &f("startup_time"), p, true, ctx.dir),
                None => Some(Sampler::lognormal_median_p95_s(
                    d::ASSUMED_PROVISIONING_MEDIAN_S,
                    d::ASSUMED_PROVISIONING_P95_S,
                )),
            };
            let (preempt, checkpoint) = match &rc.preemption {
                Some(p) if tier != Tier::LowPriority => {
                    c.error(
                        p.span().start,
                        &f("preemption"),
                        "applies to job_tier = \"spot\" only: standard jobs are not preempted",
                    );
                    (None, Some(None))
                }
                _ => preemption(c, &f, rc, tier),
            };
            let (price, price_source) = price(c, &f, rc, vm, user_price, tier, size_at, ctx);
            let build = || -> Option<TargetSpec> {
                Some(TargetSpec {
                    name,
                    price_source,
                    kind: TargetKind::Serverless(ServerlessSpec {
                        size,
                        vcpus_per_node: vcpus,
                        quota_vcpus: quota,
                        startup_time: startup?,
                        price_usd_per_hour: price?,
                        tier,
                        preemption: preempt?,
                        checkpoint_interval: checkpoint?.map(from_secs_f64),
                    }),
                })
            };
            (if misplaced { None } else { build() }, facts)
        }
    }
}

/// Low-priority preemption: a node's lifetime distribution (exponential) and the checkpoint
/// interval. `Some(None)` when absent; `None` after an error.
#[allow(clippy::type_complexity)]
fn preemption(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    tier: Tier,
) -> (Option<Option<Sampler>>, Option<Option<f64>>) {
    let checkpoint = match &rc.checkpoint_interval {
        None => Some(None),
        Some(v) => c.dur(v, &f("checkpoint_interval"), false).map(Some),
    };
    let Some(p) = &rc.preemption else {
        return (Some(None), checkpoint);
    };
    let at = p.span().start;
    if tier != Tier::LowPriority {
        c.error(
            at,
            &f("preemption"),
            "applies to tier = \"low_priority\" only: dedicated nodes are not preempted",
        );
        return (None, checkpoint);
    }
    let p = p.get_ref();
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
    (mean_s.map(|m| Some(Sampler::exponential_s(m))), checkpoint)
}
