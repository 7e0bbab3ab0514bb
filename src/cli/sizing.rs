//! The sizing search's table for the terminal.

use crate::scenario::SizingTarget;
use crate::sizing::Est;
use crate::sizing::report::{AZURE_HA_MIN_INSTANCES, SizingRun, ordered};
use crate::sizing::search::{HOURS_PER_MONTH, Outcome};
use crate::text::num;
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

/// The readable table: every candidate, its count, latencies, 429 share, monthly cost and
/// verdict, then the recommendation in a sentence.
pub fn terminal_table(outcome: &Outcome, goal: &SizingTarget, info: &SizingRun) -> String {
    let p = goal.percentile.label();
    let header = [
        "size".to_string(),
        "USD/h".into(),
        "instances".into(),
        "M/M/c/K".into(),
        "p95 ms".into(),
        "p99 ms".into(),
        "429 %".into(),
        "USD/month".into(),
        "verdict".into(),
    ];
    let mut cells: Vec<[String; 9]> = vec![header];
    for r in ordered(outcome) {
        let m = r.measured.as_ref();
        cells.push([
            r.candidate.size.clone(),
            r.candidate
                .price_usd_per_hour
                .map_or("-".into(), |x| format!("{x:.3}")),
            r.instances.map_or("-".into(), |n| n.to_string()),
            match r.analytic {
                Some(a) => a.instances.map_or(">max".into(), |n| n.to_string()),
                None => "-".into(),
            },
            m.map_or("-".into(), |m| pm(m.latency_p95_ms, 0)),
            m.map_or("-".into(), |m| pm(m.latency_p99_ms, 0)),
            m.map_or("-".into(), |m| {
                let pct = m.rejected_429_share;
                pm(
                    Est {
                        mean: pct.mean * 100.0,
                        ci95: pct.ci95 * 100.0,
                        ..pct
                    },
                    3,
                )
            }),
            r.cost_per_month_usd()
                .map_or("-".into(), |c| format!("{c:.0}")),
            r.verdict.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Sizing endpoint `{}` of {}: {p} latency <= {} ms and at most {} of requests turned away \
         (429) at {} requests/s; {} replication{} per point, seed {}.",
        info.endpoint,
        info.scenario,
        num(goal.latency_slo_ms),
        num(goal.max_429_share),
        num(goal.peak_rate_per_second),
        info.replications,
        if info.replications == 1 { "" } else { "s" },
        info.seed
    );
    for (k, row) in cells.iter().enumerate() {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i == 8 {
                line.push_str(cell);
            } else if i == 0 {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
        if k == 0 {
            let total: usize = widths[..8].iter().sum::<usize>() + 2 * 8 + "verdict".len();
            let _ = writeln!(s, "{}", "-".repeat(total));
        }
    }
    match outcome.recommended.map(|i| &outcome.rows[i]) {
        Some(r) => {
            let _ = writeln!(
                s,
                "Recommendation: {} x {} ({} ms {p}, {} USD per month at {} USD/h x {} h).",
                r.instances.unwrap_or(0),
                r.candidate.size,
                r.measured.map_or("-".into(), |m| format!(
                    "{:.0}",
                    m.latency_ms(goal.percentile).mean
                )),
                r.cost_per_month_usd()
                    .map_or("-".into(), |c| format!("{c:.0}")),
                r.candidate
                    .price_usd_per_hour
                    .map_or("-".into(), |x| format!("{x}")),
                HOURS_PER_MONTH
            );
            if let Some(a) = r.autoscale {
                let _ = writeln!(
                    s,
                    "Autoscale for the traffic's profile: min {}{}, max {} instances (closed form \
                     hour by hour); instant scaling would use {:.0}% of the instance-hours of fixed \
                     peak capacity and save up to {:.0} USD per month. New instances take minutes \
                     (5-15, an assumption): check the rules with [endpoint.autoscale] and capsim run.",
                    a.min_instances,
                    if a.min_instances < AZURE_HA_MIN_INSTANCES {
                        " (Azure recommends at least 3 for high availability)"
                    } else {
                        ""
                    },
                    a.max_instances,
                    a.instance_hours_share * 100.0,
                    a.saving_per_month_usd
                );
            }
        }
        None => {
            let _ = writeln!(
                s,
                "No size meets the goal: see each size's verdict (relax the SLO, the 429 limit or \
                 the budget, or add candidates)."
            );
        }
    }
    let _ = writeln!(
        s,
        "Means over replications, ± the 95% confidence half-width. {} simulation points.",
        outcome.simulations
    );
    s
}
