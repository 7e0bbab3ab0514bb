//! The sizing search's table for the terminal.

use crate::scenario::SizingTarget;
use crate::sizing::Est;
use crate::sizing::report::{AZURE_HA_MIN_INSTANCES, SizingRun, ordered};
use crate::sizing::search::{HOURS_PER_MONTH, Outcome};
use crate::text::format::{percent_fine, usd, usd_per_hour};
use crate::text::num;
use crate::text::table::{self, Column, Rule};
use std::fmt::Write as _;

fn pm(e: Est, decimals: usize) -> String {
    if !e.mean.is_finite() {
        return "-".into();
    }
    if e.ci95 > 0.0 {
        format!("{:.*} ± {:.*}", decimals, e.mean, decimals, e.ci95)
    } else {
        format!("{:.*}", decimals, e.mean)
    }
}

/// A share with the digits it takes to compare it with the limit, and its interval.
fn share_pm(e: Est) -> String {
    if !e.mean.is_finite() {
        return "-".into();
    }
    crate::text::format::percent_fine_ci(Some(e.mean), Some(e.ci95))
}

/// The readable table: every candidate, its count, latencies, 429 share, monthly cost and
/// verdict, then the recommendation in a sentence. Within `width` columns when given: the
/// verdicts wrap, the analytic count goes first.
pub fn terminal_table(
    outcome: &Outcome,
    goal: &SizingTarget,
    info: &SizingRun,
    width: Option<usize>,
) -> String {
    let p = goal.percentile.label();
    let columns = [
        Column::left("size"),
        Column::right("price/h").droppable(3),
        Column::right("instances"),
        Column::right("M/M/c/K").droppable(1),
        Column::right("p95 ms"),
        Column::right("p99 ms").droppable(2),
        Column::right("429s"),
        Column::right("cost/month"),
        Column::left("verdict").wrapping(),
    ];
    let mut cells: Vec<Vec<String>> = vec![];
    for r in ordered(outcome) {
        let m = r.measured.as_ref();
        cells.push(vec![
            r.candidate.size.clone(),
            r.candidate
                .price_usd_per_hour
                .map_or("-".into(), usd_per_hour),
            r.instances.map_or("-".into(), |n| n.to_string()),
            match r.analytic {
                Some(a) => a.instances.map_or(">max".into(), |n| n.to_string()),
                None => "-".into(),
            },
            m.map_or("-".into(), |m| pm(m.latency_p95_ms, 0)),
            m.map_or("-".into(), |m| pm(m.latency_p99_ms, 0)),
            m.map_or("-".into(), |m| share_pm(m.rejected_429_share)),
            r.cost_per_month_usd().map_or("-".into(), usd),
            r.verdict.to_string(),
        ]);
    }
    let mut s = String::new();
    let prose = |s: &mut String, text: String| s.push_str(&table::wrap(&text, width));
    prose(
        &mut s,
        format!(
            "Sizing endpoint `{}` of {}: {p} latency <= {} ms and at most {} of requests turned away \
         (429) at {} requests/s; {} replication{} per point, seed {}.",
            info.endpoint,
            info.scenario,
            num(goal.latency_slo_ms),
            percent_fine(goal.max_429_share),
            num(goal.peak_rate_per_second),
            info.replications,
            if info.replications == 1 { "" } else { "s" },
            info.seed
        ),
    );
    let fitted = table::layout(&columns, &cells, Rule::Full, width);
    s.push_str(&fitted.text);
    if !fitted.dropped.is_empty() {
        let _ = writeln!(
            s,
            "Left out to fit {} columns: {} (sizing.csv has them; --wide shows them).",
            width.unwrap_or(0),
            fitted.dropped.join(", ")
        );
    }
    match outcome.recommended.map(|i| &outcome.rows[i]) {
        Some(r) => {
            prose(
                &mut s,
                format!(
                    "Recommendation: {} x {} ({} ms {p}, {} a month at {}/h x {} h).",
                    r.instances.unwrap_or(0),
                    r.candidate.size,
                    r.measured.map_or("-".into(), |m| format!(
                        "{:.0}",
                        m.latency_ms(goal.percentile).mean
                    )),
                    r.cost_per_month_usd().map_or("-".into(), usd),
                    r.candidate
                        .price_usd_per_hour
                        .map_or("-".into(), usd_per_hour),
                    HOURS_PER_MONTH
                ),
            );
            if let Some(a) = r.autoscale {
                prose(
                    &mut s,
                    format!(
                        "Autoscale for the traffic's profile: min {}{}, max {} instances (closed form \
                     hour by hour); instant scaling would use {:.0}% of the instance-hours of fixed \
                     peak capacity and save up to {} a month. New instances take minutes \
                     (5-15, an assumption): check the rules with [endpoint.autoscale] and capsim run.",
                        a.min_instances,
                        if a.min_instances < AZURE_HA_MIN_INSTANCES {
                            " (Azure recommends at least 3 for high availability)"
                        } else {
                            ""
                        },
                        a.max_instances,
                        a.instance_hours_share * 100.0,
                        usd(a.saving_per_month_usd)
                    ),
                );
            }
        }
        None => {
            prose(
                &mut s,
                "No size meets the goal: see each size's verdict (relax the SLO, the 429 limit or \
                 the budget, or add candidates)."
                    .to_string(),
            );
        }
    }
    prose(
        &mut s,
        format!(
            "Means over replications, ± the 95% confidence half-width. {} simulation points.",
            outcome.simulations
        ),
    );
    s
}
