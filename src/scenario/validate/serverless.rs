//! `type = "serverless"`: Azure ML serverless jobs, on nodes of a size that appear when a job
//! starts, standard or spot, within an optional vCPU quota.

use super::super::raw::RawCompute;
use super::compute::{Facts, Node, preemption, tier};
use super::dist::dist_or_assumed;
use super::sizes::price;
use super::{Checker, Context};
use crate::engine::time::from_secs_f64;
use crate::targets::defaults as d;
use crate::targets::{ServerlessSpec, TargetKind, TargetSpec, Tier};

/// Serverless jobs: job tier, quota (which bounds a job's nodes, in `facts`), startup time,
/// preemption of spot jobs, price.
pub(super) fn serverless(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    node: Node,
    ctx: &Context,
    facts: &mut Facts,
) -> Option<TargetSpec> {
    let tier = tier(
        c,
        &f("job_tier"),
        &rc.job_tier,
        [&["standard"], &["spot"]],
        "unknown job tier",
        "use \"standard\" or \"spot\"",
    );
    let quota = rc
        .quota_vcpus
        .is_some()
        .then(|| c.int(&rc.quota_vcpus, &f("quota_vcpus"), 0, 1, u64::MAX));
    let vcpus = node.sized.vm.map_or(1, |v| v.vcpus.max(1));
    if let Some(q) = quota {
        facts.max_instances = (q / vcpus as u64).min(u32::MAX as u64) as u32;
    }
    let startup = dist_or_assumed(
        c,
        &f("startup_time"),
        &rc.startup_time,
        ctx.dir,
        (
            d::ASSUMED_PROVISIONING_MEDIAN_S,
            d::ASSUMED_PROVISIONING_P95_S,
        ),
    );
    let (preempt, checkpoint) = match &rc.preemption {
        Some(p) if tier != Tier::LowPriority => {
            c.error(
                p.span().start,
                &f("preemption"),
                "applies to job_tier = \"spot\" only: standard jobs are not preempted",
            );
            (None, Some(None))
        }
        _ => {
            // Serverless Spot jobs keep their fixed Spot price and opt-in preemption: the 2026
            // retirement concerns compute clusters' low-priority nodes.
            let (p, ck, _) = preemption(c, f, rc, tier, false);
            (p, ck)
        }
    };
    let (price, price_source) = price(
        c,
        f,
        &rc.price_usd_per_hour,
        &node.sized,
        tier,
        ctx,
        "give the price with price_usd_per_hour on the target, or a prices file",
    );
    Some(TargetSpec {
        name: node.name,
        price_source,
        kind: TargetKind::Serverless(ServerlessSpec {
            size: node.size,
            vcpus_per_node: vcpus,
            quota_vcpus: quota,
            startup_time: startup?,
            price_usd_per_hour: price?,
            tier,
            preemption: preempt?,
            checkpoint_interval: checkpoint?.map(from_secs_f64),
        }),
    })
}
