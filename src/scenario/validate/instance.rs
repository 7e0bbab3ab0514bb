//! `type = "computeinstance"`: a single-node development machine with its idle shutdown and its
//! weekly start/stop schedules.

use super::super::raw::RawCompute;
use super::compute::Node;
use super::dist::dist_or_assumed;
use super::sizes::price;
use super::{Checker, Context, WEEKDAYS};
use crate::engine::time::from_secs_f64;
use crate::targets::defaults as d;
use crate::targets::instance::{DailySchedule, Power, state_at_zero, weekly_actions};
use crate::targets::{InstanceSpec, TargetKind, TargetSpec, Tier};
use crate::text::duration::format_duration;
use toml::Spanned;

/// A compute instance: idle shutdown, start time, schedules and state at time zero, job slots,
/// and the disk and load balancer it is billed for besides its node-hours.
pub(super) fn instance(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    node: Node,
    ctx: &Context,
) -> Option<TargetSpec> {
    let idle = idle_shutdown(c, f, rc);
    let start = dist_or_assumed(
        c,
        &f("start_time"),
        &rc.start_time,
        ctx.dir,
        (d::ASSUMED_CI_START_MEDIAN_S, d::ASSUMED_CI_START_P95_S),
    );
    let schedule = schedules(c, f, rc);
    let at_zero = schedule.as_ref().and_then(|s| state_at_zero(s));
    let running = initially_running(c, f, rc, at_zero);
    let vcpus = node.sized.vm.map_or(1, |v| v.vcpus.max(1)) as u64;
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
    let (price, mut price_source) = price(
        c,
        f,
        &rc.price_usd_per_hour,
        &node.sized,
        Tier::Dedicated,
        ctx,
        "give the price with price_usd_per_hour on the target, or a prices file",
    );
    price_source.push_str("; plus OS disk and load balancer");
    Some(TargetSpec {
        name: node.name,
        price_source,
        kind: TargetKind::ComputeInstance(InstanceSpec {
            size: node.size,
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
}

/// `idle_time_before_shutdown` within Azure ML's range; `Some(None)` when absent (never shut
/// down), `None` after an error.
fn idle_shutdown(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
) -> Option<Option<f64>> {
    let Some(v) = &rc.idle_time_before_shutdown else {
        return Some(None);
    };
    let x = c.dur(v, &f("idle_time_before_shutdown"), false)?;
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
}

/// Whether the instance runs at time zero: `initial_state`, else as the schedules' last action
/// of the week left it (`at_zero`); `None` after an error.
fn initially_running(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
    at_zero: Option<Power>,
) -> Option<bool> {
    let Some(v) = &rc.initial_state else {
        return Some(at_zero != Some(Power::Stop));
    };
    match v.get_ref().to_ascii_lowercase().as_str() {
        "running" => Some(true),
        "stopped" => Some(false),
        x => {
            c.error_hint(
                v.span().start,
                &f("initial_state"),
                format!("unknown state `{x}`"),
                "use \"running\" or \"stopped\"".into(),
            );
            None
        }
    }
}

/// Azure ML's limit on start/stop schedules per compute instance (`how-to-create-compute-instance.md`).
const MAX_CI_SCHEDULES: usize = 4;

/// A compute instance's `schedules` as a week of actions; `Some(vec![])` when absent, `None`
/// after an error.
fn schedules(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rc: &RawCompute,
) -> Option<Vec<(crate::engine::SimTime, Power)>> {
    let Some(list) = &rc.schedules else {
        return Some(vec![]);
    };
    let items = list.get_ref();
    if items.len() > MAX_CI_SCHEDULES {
        c.error_hint(
            list.span().start,
            &f("schedules"),
            format!(
                "Azure ML allows at most {MAX_CI_SCHEDULES} start/stop schedules per compute instance, got {}",
                items.len()
            ),
            "merge schedules: one schedule can list several days".into(),
        );
        return None;
    }
    let mut ok = true;
    let mut out = vec![];
    for (i, item) in items.iter().enumerate() {
        let here = |s: &str| f(&format!("schedules[{i}].{s}"));
        let rs = item.get_ref();
        if rs.start.is_none() && rs.stop.is_none() {
            c.error(
                item.span().start,
                &f(&format!("schedules[{i}]")),
                "give a start time, a stop time or both, e.g. { start = \"08:00\", stop = \"19:00\" }",
            );
            ok = false;
            continue;
        }
        let mut time = |v: &Option<Spanned<String>>, name: &str| -> Option<Option<u32>> {
            let Some(v) = v else { return Some(None) };
            match clock_minutes(v.get_ref()) {
                Some(m) => Some(Some(m)),
                None => {
                    c.error(
                        v.span().start,
                        &here(name),
                        format!(
                            "`{}` is not a time of day such as \"08:00\" (24-hour clock, 00:00 to 23:59)",
                            v.get_ref()
                        ),
                    );
                    None
                }
            }
        };
        let (start, stop) = (time(&rs.start, "start"), time(&rs.stop, "stop"));
        let mut days = [true; 7];
        if let Some(list) = &rs.days {
            days = [false; 7];
            if list.get_ref().is_empty() {
                c.error(
                    list.span().start,
                    &here("days"),
                    "must name at least one day",
                );
                ok = false;
            }
            for d in list.get_ref() {
                match weekday(d.get_ref()) {
                    Some(k) => days[k] = true,
                    None => {
                        c.error_hint(
                            d.span().start,
                            &here("days"),
                            format!("`{}` is not a day of the week", d.get_ref()),
                            "use mon, tue, wed, thu, fri, sat or sun".into(),
                        );
                        ok = false;
                    }
                }
            }
        }
        let (Some(start), Some(stop)) = (start, stop) else {
            ok = false;
            continue;
        };
        if start.is_some() && start == stop {
            let at = rs
                .stop
                .as_ref()
                .map_or(item.span().start, |s| s.span().start);
            c.error(at, &here("stop"), "must differ from start");
            ok = false;
        }
        out.push(DailySchedule {
            start_minute: start,
            stop_minute: stop,
            days,
        });
    }
    ok.then(|| weekly_actions(&out))
}

/// "08:00" → 480.
fn clock_minutes(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Monday is 0 (simulated time zero is Monday 00:00); "mon" or "monday", any case.
fn weekday(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    WEEKDAYS.iter().position(|d| s == *d || s == d[..3])
}
