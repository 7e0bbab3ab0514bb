//! `type = "computeinstance"`: a single-node development machine with its idle shutdown and its
//! weekly start/stop schedules.

use super::super::raw::RawCompute;
use super::Checker;
use crate::targets::instance::{DailySchedule, Power, weekly_actions};
use toml::Spanned;

/// Azure ML's limit on start/stop schedules per compute instance (`how-to-create-compute-instance.md`).
const MAX_CI_SCHEDULES: usize = 4;

/// A compute instance's `schedules` as a week of actions; `Some(vec![])` when absent, `None`
/// after an error.
pub(super) fn schedules(
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
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter().position(|d| s == *d || s == d[..3])
}
