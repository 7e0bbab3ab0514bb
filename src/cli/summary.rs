//! The short summary printed to the terminal after a run or a merge.

use crate::engine::time::to_secs_f64;
use crate::metrics::M;
use crate::scenario::sweep::{Plan, Variant};
use crate::sweep::RunResult;
use crate::sweep::tradeoff::{Noise, Row};
use crate::targets::TargetKind;
use crate::text::format::percent_fine;
use crate::text::format_duration;
use crate::text::table::{self, Column, Rule};
use std::io::Write;
use std::path::Path;

/// What a finished run or merge prints: the scenario line, the table, and where the files are.
pub struct Finished<'a> {
    pub plan: &'a Plan,
    pub results: &'a [RunResult],
    pub tradeoff: Option<&'a [Row]>,
    pub out_dir: &'a Path,
    pub elapsed: std::time::Duration,
    pub events: u64,
    /// Columns the tables may take (`None`: as wide as they are).
    pub width: Option<usize>,
}

/// Prints `run` to stdout.
pub fn print(run: &Finished<'_>) {
    let mut stdout = std::io::stdout().lock();
    let plan = run.plan;
    let s = &plan.variants[0].scenario;
    let _ = writeln!(
        stdout,
        "{}: {}{} of {} (warm-up {}), seed {}",
        s.name,
        if plan.variants.len() > 1 {
            format!("{} variants x ", plan.variants.len())
        } else {
            String::new()
        },
        replications_said(plan),
        format_duration(to_secs_f64(s.system.horizon)),
        if s.system.warmup_auto {
            "auto, by MSER-5".to_string()
        } else {
            format_duration(to_secs_f64(s.system.warmup))
        },
        s.seed
    );
    let _ = write!(stdout, "{}", offered_lines(plan));
    let _ = write!(
        stdout,
        "{}",
        terminal_summary(plan, run.results, run.tradeoff, run.width)
    );
    let footer = format!(
        "Means over replications, ± the 95% confidence half-width; a month is 730 hours, as Azure's \
         pricing calculator counts. {} events in {:.2} s.",
        run.events,
        run.elapsed.as_secs_f64(),
    );
    let _ = write!(stdout, "{}", table::wrap(&footer, run.width));
    let _ = writeln!(stdout, "Results in {}/", run.out_dir.display());
}

/// The replications of the header: the count, or under `replications = "auto"` the range the
/// settings ended with (variant 0's alone would misstate the others).
fn replications_said(plan: &Plan) -> String {
    let counts = plan.variants.iter().map(|v| v.scenario.replications);
    let (lo, hi) = (counts.clone().min().unwrap_or(0), counts.max().unwrap_or(0));
    let plural = if hi == 1 { "" } else { "s" };
    let auto = plan
        .variants
        .first()
        .is_some_and(|v| v.scenario.auto_replications.is_some());
    match (auto, lo == hi) {
        (false, _) => {
            let n = plan.variants.first().map_or(0, |v| v.scenario.replications);
            format!("{n} replication{}", if n == 1 { "" } else { "s" })
        }
        (true, true) if plan.variants.len() > 1 => {
            format!("{hi} replication{plural} per setting (auto)")
        }
        (true, true) => format!("{hi} replication{plural} (auto)"),
        (true, false) => format!("{lo}\u{2013}{hi} replications per setting (auto)"),
    }
}

/// What each workload offers its target (of the first variant), one line each: the inputs
/// that move the answer most, as `run.json` and the report state them.
pub fn offered_lines(plan: &Plan) -> String {
    let Some(v) = plan.variants.first() else {
        return String::new();
    };
    crate::output::offered::facts(&v.scenario.system)
        .iter()
        .map(offered_line)
        .collect()
}

/// One workload's offered load, wrapped to 100 columns (what the tables fit by default), the
/// lines after the first indented.
pub fn offered_line(f: &crate::output::offered::WorkloadFacts) -> String {
    let text = format!("offered: {} on {}: {}", f.name, f.target, f.sentence());
    table::wrap(&text, Some(100))
}

fn fmt_duration_s(s: f64) -> String {
    if !s.is_finite() {
        "-".into()
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.2} h", s / 3600.0)
    }
}

/// Money as everywhere else (reports, `size`): `$1,277`, `$0.58`.
fn fmt_usd(x: f64) -> String {
    crate::text::format::usd(x)
}

/// `$1,277 ± $30`: the interval at the amount's precision.
fn usd_ci(m: M, est: &[crate::metrics::Estimate]) -> String {
    let e = est[m as usize];
    crate::text::format::usd_ci(Some(e.mean), Some(e.ci95).filter(|c| c.is_finite()))
}

fn with_ci(value: String, ci: f64, unit_fmt: impl Fn(f64) -> String) -> String {
    if ci.is_finite() {
        format!("{value} ± {}", unit_fmt(ci))
    } else {
        value
    }
}

/// The leading columns of every table: with several variants, `#` and the swept fields' last
/// path segments (which wrap at `_` when the table must narrow).
fn lead_columns(plan: &Plan, several: bool) -> Vec<Column> {
    if !several {
        return vec![];
    }
    std::iter::once(Column::right("#"))
        .chain(
            plan.axes
                .iter()
                .map(|a| Column::left(a.rsplit('.').next().unwrap_or(a))),
        )
        .collect()
}

fn lead_len(plan: &Plan, several: bool) -> usize {
    if several { 1 + plan.axes.len() } else { 0 }
}

/// A row's leading cells: with several variants, its number and its swept values.
fn lead_cells(v: &Variant, several: bool) -> Vec<String> {
    if !several {
        return vec![];
    }
    std::iter::once(v.index.to_string())
        .chain(v.params.iter().map(|(_, x)| x.clone()))
        .collect()
}

/// A fixed-width table: one row per variant and target; with several variants, the swept
/// values lead each row, and the goal and Pareto columns follow when there is a comparison.
pub fn terminal_summary(
    plan: &Plan,
    results: &[RunResult],
    tradeoff: Option<&[Row]>,
    width: Option<usize>,
) -> String {
    let several = plan.variants.len() > 1;
    let mut columns = lead_columns(plan, several);
    columns.extend([
        Column::left("target").droppable(3),
        Column::right("jobs").droppable(1),
        Column::right("jobs/h").droppable(2),
        Column::right("wait mean"),
        Column::right("wait p95"),
        Column::right("util").droppable(5),
        Column::right("cost/month"),
        Column::right("idle/month").droppable(4),
    ]);
    if several {
        columns.push(Column::right("pareto"));
        if plan.goal.is_some() {
            columns.push(Column::left("goal"));
        }
    }
    let mut rows: Vec<Vec<String>> = vec![];
    let mut endpoint_rows: Vec<Vec<String>> = vec![];
    let mut batch_rows: Vec<Vec<String>> = vec![];
    for (vi, (v, result)) in plan.variants.iter().zip(results).enumerate() {
        let s = &v.scenario;
        for (t, est) in result.summary(s.system.targets.len()).iter().enumerate() {
            let g = |m: M| est[m as usize];
            // Endpoints have requests, not jobs: they get a table of their own below.
            if matches!(s.system.targets[t].kind, TargetKind::Endpoint { .. }) {
                let mut row = vec![];
                row.extend(lead_cells(v, several));
                let ms = |x: f64| {
                    if x.is_finite() {
                        format!("{x:.0} ms")
                    } else {
                        "-".into()
                    }
                };
                let requests = g(M::requests).mean;
                let share_408 = if requests > 0.0 {
                    g(M::timed_out_408).mean / requests
                } else {
                    f64::NAN
                };
                row.extend([
                    s.system.targets[t].name.clone(),
                    format!("{:.0}", requests),
                    percent_fine(g(M::rejected_429_share).mean),
                    percent_fine(share_408),
                    ms(g(M::latency_p50).mean),
                    with_ci(ms(g(M::latency_p95).mean), g(M::latency_p95).ci95, ms),
                    ms(g(M::latency_p99).mean),
                    format!("{:.1}", g(M::instances_mean).mean),
                    usd_ci(M::cost_per_month, est),
                    fmt_usd(g(M::idle_cost_per_month).mean),
                ]);
                goal_cells(plan, tradeoff, vi, t, &mut row);
                endpoint_rows.push(row);
                continue;
            }
            // Batch endpoints: their jobs' durations and mini-batches, below the clusters (whose
            // rows hold the same jobs' waits and the whole bill).
            if matches!(s.system.targets[t].kind, TargetKind::Batch { .. }) {
                let mut row = vec![];
                row.extend(lead_cells(v, several));
                let n = |m: M| {
                    let x = g(m).mean;
                    if x.is_finite() {
                        format!("{x:.0}")
                    } else {
                        "-".into()
                    }
                };
                let per_1000 = g(M::cost_per_1000_files).mean;
                row.extend([
                    s.system.targets[t].name.clone(),
                    n(M::jobs_completed),
                    with_ci(
                        fmt_duration_s(g(M::job_duration_mean).mean),
                        g(M::job_duration_mean).ci95,
                        fmt_duration_s,
                    ),
                    fmt_duration_s(g(M::job_duration_p95).mean),
                    n(M::batch_jobs_cancelled),
                    n(M::mini_batch_retries),
                    n(M::files_failed),
                    format!("{:.0}%", g(M::utilization).mean * 100.0),
                    usd_ci(M::cost_per_month, est),
                    if per_1000.is_finite() {
                        format!("${per_1000:.4}")
                    } else {
                        "-".into()
                    },
                ]);
                batch_rows.push(row);
                continue;
            }
            let mut row = vec![];
            row.extend(lead_cells(v, several));
            row.extend([
                s.system.targets[t].name.clone(),
                format!("{:.0}", g(M::jobs_completed).mean),
                format!("{:.2}", g(M::throughput).mean),
                with_ci(
                    fmt_duration_s(g(M::wait_mean).mean),
                    g(M::wait_mean).ci95,
                    fmt_duration_s,
                ),
                fmt_duration_s(g(M::wait_p95).mean),
                format!("{:.0}%", g(M::utilization).mean * 100.0),
                usd_ci(M::cost_per_month, est),
                fmt_usd(g(M::idle_cost_per_month).mean),
            ]);
            goal_cells(plan, tradeoff, vi, t, &mut row);
            rows.push(row);
        }
    }
    let mut out = String::new();
    let mut dropped: Vec<String> = vec![];
    let mut table = |columns: Vec<Column>, rows: &[Vec<String>], out: &mut String| {
        // The target's name leaves the table only when it is the same on every row.
        let mut columns = columns;
        let t = lead_len(plan, several);
        if rows.iter().any(|r| r.get(t) != rows[0].get(t)) {
            columns[t].drop_rank = None;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let fitted = table::layout(&columns, rows, Rule::Full, width);
        out.push_str(&fitted.text);
        dropped.extend(fitted.dropped);
    };
    if !rows.is_empty() {
        table(columns, &rows, &mut out);
    }
    if !endpoint_rows.is_empty() {
        let mut columns = lead_columns(plan, several);
        columns.extend([
            Column::left("endpoint").droppable(5),
            Column::right("requests").droppable(1),
            Column::right("429s"),
            Column::right("408s"),
            Column::right("latency p50").droppable(2),
            Column::right("latency p95"),
            Column::right("p99").droppable(3),
            Column::right("instances"),
            Column::right("cost/month"),
            Column::right("idle/month").droppable(4),
        ]);
        // Sweeps compare endpoints as they compare clusters: on cost against latency.
        if several && tradeoff.is_some() {
            columns.push(Column::right("pareto"));
            if plan.goal.is_some() {
                columns.push(Column::left("goal"));
            }
        }
        table(columns, &endpoint_rows, &mut out);
    }
    if !batch_rows.is_empty() {
        let mut columns = lead_columns(plan, several);
        columns.extend([
            Column::left("batch endpoint").droppable(5),
            Column::right("jobs"),
            Column::right("job duration"),
            Column::right("p95").droppable(3),
            Column::right("cancelled").droppable(1),
            Column::right("retries").droppable(2),
            Column::right("files failed"),
            Column::right("workers busy"),
            Column::right("cost/month"),
            Column::right("per 1000 files").droppable(4),
        ]);
        table(columns, &batch_rows, &mut out);
    }
    if !endpoint_rows.is_empty() {
        out.push_str(
            "429s and 408s: the share of requests turned away (HTTP 429) and timed out (408).\n",
        );
    }
    if !dropped.is_empty() {
        let mut seen: Vec<String> = vec![];
        for d in dropped {
            if !seen.contains(&d) {
                seen.push(d);
            }
        }
        out.push_str(&format!(
            "Left out to fit {} columns: {} (summary.csv has them; --wide shows them).\n",
            width.unwrap_or(0),
            seen.join(", ")
        ));
    }
    // The verdict, in the words the report prints too (one function decides it).
    if several && let Some(rows) = tradeoff {
        for d in crate::sweep::verdict::decide(plan, results, rows) {
            out.push_str(&table::wrap(&d.headline, width));
        }
    }
    if let Some(t) = tradeoff {
        out.push_str(&table::wrap(&noise_note(plan, t), width));
    }
    out
}

/// A trade-off row's Pareto mark and goal verdict, appended to a table row of variant `vi`'s
/// target `t`.
fn goal_cells(plan: &Plan, tradeoff: Option<&[Row]>, vi: usize, t: usize, row: &mut Vec<String>) {
    // Trade-off rows run target by target, variants within: find this one's.
    if let Some(r) = tradeoff.and_then(|tr| tr.iter().find(|r| r.variant == vi && r.target == t)) {
        row.push(if r.pareto { "*".into() } else { String::new() });
        if plan.goal.is_some() {
            let mut cell = r.meets_goal.map_or("", |g| g.as_str()).to_string();
            if r.recommended {
                cell.push_str(" <- cheapest");
            }
            row.push(cell);
        }
    }
}

/// A warning for differences from variant 0 that are smaller than their confidence intervals:
/// such a variant may be better or worse than the baseline, and the table's means cannot say.
fn noise_note(plan: &Plan, rows: &[Row]) -> String {
    let several_targets = plan
        .variants
        .first()
        .is_some_and(|v| v.scenario.system.targets.len() > 1);
    let label = |r: &Row| {
        if several_targets {
            format!(
                "{} ({})",
                r.variant, plan.variants[r.variant].scenario.system.targets[r.target].name
            )
        } else {
            r.variant.to_string()
        }
    };
    let which = |n: Noise| -> Vec<String> {
        rows.iter()
            .filter(|r| r.noise.contains(&n))
            .map(label)
            .collect()
    };
    let mut parts = vec![];
    for (n, what) in [
        (Noise::CostDiffWithinCi, "cost"),
        (Noise::WaitDiffWithinCi, "p95 wait"),
        (Noise::LatencyDiffWithinCi, "latency"),
    ] {
        let v = which(n);
        if !v.is_empty() {
            parts.push(format!(
                "the {what} of variant{} {}",
                if v.len() == 1 { "" } else { "s" },
                v.join(", ")
            ));
        }
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "Noisy: these cannot be told apart from variant 0 (the first value of every axis) with 95% \
         confidence: {}. Each differs from variant 0 by less than the noise between replications, \
         so it may be better or worse. To tell them apart, run more replications (--replications, \
         or replications = \"auto\"); if differences that small do not matter, a tolerance in \
         [goal] lets a close call against the goal end (tradeoff.csv: noise_warning).\n",
        parts.join("; ")
    )
}
