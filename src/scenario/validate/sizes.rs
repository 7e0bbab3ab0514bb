//! A chosen VM size: the price of its node-hour, its retirement date and its family's quota.

use super::prices::UserPrice;
use super::{Checker, Context, family_key};
use crate::catalog::VmSize;
use crate::targets::Tier;
use crate::text::date;
use toml::Spanned;

/// A target's VM size as written, and what the catalog and the price list know of it.
pub(super) struct Size<'a> {
    /// The field the size is written in (`size`, `instance_type`), and where.
    pub(super) field: String,
    pub(super) at: usize,
    pub(super) vm: Option<&'a VmSize>,
    /// The size's row in the scenario's price list.
    pub(super) listed: Option<UserPrice>,
}

impl<'a> Size<'a> {
    /// Looks a size up (`name`; `None` when the target has none). A size neither the catalog
    /// nor the price list knows is an error, unless the target is `priced` otherwise.
    pub(super) fn look_up(
        c: &mut Checker,
        ctx: &Context<'a>,
        field: String,
        at: usize,
        name: Option<&str>,
        priced: bool,
    ) -> Self {
        let vm = name.and_then(|n| ctx.catalog.get(n));
        let listed = name.and_then(|n| {
            ctx.prices
                .as_ref()
                .and_then(|p| p.get(&ctx.region, n).cloned())
        });
        if let Some(n) = name
            && vm.is_none()
            && listed.is_none()
            && !priced
        {
            c.unknown_size(
                at,
                &field,
                n,
                "; or price a size of your own with price_usd_per_hour",
            );
        }
        Size {
            field,
            at,
            vm,
            listed,
        }
    }
}

/// The price of one node-hour and where it came from: the target's own override (`given`),
/// else the user's price list, else the catalog less the scenario's discount. `hint` says how
/// to give a price the catalog lacks.
pub(super) fn price(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    given: &Option<Spanned<f64>>,
    size: &Size,
    tier: Tier,
    ctx: &Context,
    hint: &str,
) -> (Option<f64>, String) {
    if let Some(p) = given {
        return (
            c.positive(p, &f("price_usd_per_hour")),
            "scenario override".into(),
        );
    }
    let what = match tier {
        Tier::Dedicated => "price",
        Tier::LowPriority => "low-priority price",
    };
    if let (Some(u), Some(table)) = (&size.listed, &ctx.prices) {
        let p = match tier {
            Tier::Dedicated => Some(u.price_usd_per_hour),
            Tier::LowPriority => u.low_priority_price_usd_per_hour,
        };
        if p.is_none() {
            c.error_hint(
                size.at,
                &size.field,
                format!(
                    "the price list {} has no {what} for this size",
                    table.source
                ),
                "add a low_priority_price_usd_per_hour column".into(),
            );
        }
        return (p, format!("price list {}", table.source));
    }
    let Some(vm) = size.vm else {
        return (None, String::new());
    };
    if ctx.region != vm.price_region {
        let listed = ctx.prices.as_ref().map_or(String::new(), |t| {
            format!(" (the price list prices: {})", t.regions().join(", "))
        });
        c.warn(
            size.at,
            &size.field,
            format!(
                "region {} has no row for `{}` in a price list{listed}: using the catalog's {} price",
                ctx.region, vm.size, vm.price_region
            ),
        );
    }
    let (list, label) = match tier {
        Tier::Dedicated => (vm.price_usd_per_hour, "catalog list price"),
        Tier::LowPriority => (
            vm.low_priority_price_usd_per_hour,
            "catalog spot price as low-priority price",
        ),
    };
    if list.is_none() {
        c.error_hint(
            size.at,
            &size.field,
            format!("the catalog has no {what} for `{}`", vm.size),
            hint.into(),
        );
    }
    let mut source = format!(
        "{label}, {} {}, {}",
        vm.price_region, vm.price_date, vm.price_source
    );
    if ctx.discount > 0.0 {
        source.push_str(&format!(
            ", less a {}% discount",
            crate::text::num(ctx.discount * 100.0)
        ));
    }
    (list.map(|p| p * (1.0 - ctx.discount)), source)
}

/// Retired series are errors (warnings with `allow_retired`); a retirement announced inside the
/// simulated period is a warning.
pub(super) fn retirement(
    c: &mut Checker,
    field: &str,
    at: usize,
    vm: &VmSize,
    allow: bool,
    ctx: &Context,
) {
    let Some(day) = date::parse(&vm.retired_on) else {
        return;
    };
    let when = date::format(ctx.start_day);
    if day <= ctx.start_day {
        let msg = format!(
            "{} ({} series) was retired on {}, {} the simulated start {when}",
            vm.size,
            vm.series,
            vm.retired_on,
            if day < ctx.start_day {
                "before"
            } else {
                "the day of"
            }
        );
        if allow {
            c.warn(at, field, msg);
        } else {
            let hint = replacement_hint(vm, ctx);
            c.error_hint(
                at,
                field,
                msg,
                format!("{hint}; or set allow_retired = true to replay the past"),
            );
        }
    } else if ctx.end_day.is_some_and(|end| day <= end) {
        c.warn(
            at,
            field,
            format!(
                "{} ({} series) retires on {}, inside the simulated period starting {when}",
                vm.size, vm.series, vm.retired_on
            ),
        );
    }
}

/// Current sizes like a retired one: same GPU count (or CPU-only) and at least its memory.
fn replacement_hint(vm: &VmSize, ctx: &Context) -> String {
    let mut options: Vec<&VmSize> = ctx
        .catalog
        .sizes()
        .iter()
        .filter(|s| {
            s.gpus == vm.gpus
                && s.memory_gib >= vm.memory_gib * 0.5
                && date::parse(&s.retired_on).is_none_or(|d| d > ctx.start_day)
                && s.price_usd_per_hour.is_some()
        })
        .collect();
    options.sort_by(|a, b| {
        a.price_usd_per_hour
            .partial_cmp(&b.price_usd_per_hour)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let names: Vec<&str> = options.iter().take(3).map(|s| s.size.as_str()).collect();
    if names.is_empty() {
        "pick a current size".into()
    } else {
        format!(
            "current sizes with the same GPU count: {}",
            names.join(", ")
        )
    }
}

/// A cluster whose `max_instances` would need more vCPUs than its family's quota.
#[allow(clippy::too_many_arguments)]
pub(super) fn quota(
    c: &mut Checker,
    field: &str,
    at: usize,
    vm: &VmSize,
    max: u32,
    tier: Tier,
    ctx: &mut Context,
) {
    let key = match tier {
        Tier::Dedicated => family_key(&vm.series),
        Tier::LowPriority => "lowpriority".into(),
    };
    let Some((limit, _, name)) = ctx.quota.get(&key) else {
        return;
    };
    let need = max as u64 * vm.vcpus as u64;
    ctx.quota_use
        .entry(key.clone())
        .or_default()
        .push((field.trim_end_matches(".max_instances").to_string(), need));
    if need > *limit {
        let fit = limit / vm.vcpus.max(1) as u64;
        c.error_hint(
            at,
            field,
            format!(
                "{max} x {} ({} vCPUs each) needs {need} vCPUs, but [quota] {name} allows {limit}: at most {fit} node{} fit",
                vm.size,
                vm.vcpus,
                if fit == 1 { "" } else { "s" }
            ),
            if fit == 0 {
                format!("raise the quota to at least {} vCPUs", vm.vcpus)
            } else {
                format!("lower max_instances to {fit} or raise the quota")
            },
        );
    }
}

/// Azure's family quota is shared by every cluster of the family in the region: their
/// max_instances together must fit too (checked once every cluster has asked, in `quota_use`).
pub(super) fn shared_quota(c: &mut Checker, ctx: &Context) {
    for (key, users) in &ctx.quota_use {
        let total: u64 = users.iter().map(|(_, n)| n).sum();
        if users.len() > 1
            && let Some((limit, at, name)) = ctx.quota.get(key)
            && total > *limit
        {
            let parts: Vec<String> = users
                .iter()
                .map(|(who, n)| format!("{who} ({n})"))
                .collect();
            c.error_hint(
                *at,
                &format!("quota.{name}"),
                format!(
                    "the clusters of this family need {total} vCPUs together at max_instances ({}), but [quota] {name} allows {limit}",
                    parts.join(" + ")
                ),
                "Azure shares a family's quota between clusters: lower their max_instances or raise the quota".into(),
            );
        }
    }
}
