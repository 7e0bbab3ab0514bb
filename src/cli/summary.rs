//! The short summary printed to the terminal after a run or a merge.

use crate::engine::time::to_secs_f64;
use crate::metrics::M;
use crate::scenario::sweep::{Plan, Variant};
use crate::sweep::RunResult;
use crate::sweep::tradeoff::{Noise, Row};
use crate::targets::TargetKind;
use crate::text::format_duration;
use crate::text::number::group_thousands;
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
}

/// Prints `run` to stdout.
pub fn print(run: &Finished<'_>) {
    let mut stdout = std::io::stdout().lock();
    let plan = run.plan;
    let s = &plan.variants[0].scenario;
    let _ = writeln!(
        stdout,
        "{}: {}{} replication{} of {} (warm-up {}), seed {}",
        s.name,
        if plan.variants.len() > 1 {
            format!("{} variants x ", plan.variants.len())
        } else {
            String::new()
        },
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        format_duration(to_secs_f64(s.system.horizon)),
        format_duration(to_secs_f64(s.system.warmup)),
        s.seed
    );
    let _ = write!(
        stdout,
        "{}",
        terminal_summary(plan, run.results, run.tradeoff)
    );
    let _ = writeln!(
        stdout,
        "Means over replications, ± the 95% confidence half-width; a month is 730 hours, as Azure's \
         pricing calculator counts. {} events in {:.2} s.\nResults in {}/",
        run.events,
        run.elapsed.as_secs_f64(),
        run.out_dir.display()
    );
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

fn fmt_usd(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let whole = x.round() as i64;
    format!(
        "{}${}",
        if whole < 0 { "-" } else { "" },
        group_thousands(whole.unsigned_abs())
    )
}

fn with_ci(value: String, ci: f64, unit_fmt: impl Fn(f64) -> String) -> String {
    if ci.is_finite() {
        format!("{value} ± {}", unit_fmt(ci))
    } else {
        value
    }
}

/// The leading header cells of every table: with several variants, `#` and the swept fields'
/// last path segments.
fn lead_header(plan: &Plan, several: bool) -> Vec<String> {
    if !several {
        return vec![];
    }
    std::iter::once("#".to_string())
        .chain(
            plan.axes
                .iter()
                .map(|a| a.rsplit('.').next().unwrap_or(a).to_string()),
        )
        .collect()
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
pub fn terminal_summary(plan: &Plan, results: &[RunResult], tradeoff: Option<&[Row]>) -> String {
    let several = plan.variants.len() > 1;
    let mut header: Vec<String> = vec![];
    header.extend(lead_header(plan, several));
    header.extend(
        [
            "target",
            "jobs",
            "jobs/h",
            "wait mean",
            "wait p95",
            "util",
            "cost/month",
            "idle/month",
        ]
        .map(String::from),
    );
    if several {
        header.push("pareto".into());
        if plan.goal.is_some() {
            header.push("goal".into());
        }
    }
    let mut rows: Vec<Vec<String>> = vec![header];
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
                let pct = |x: f64| {
                    if x.is_finite() {
                        format!("{:.2}%", x * 100.0)
                    } else {
                        "-".into()
                    }
                };
                row.extend([
                    s.system.targets[t].name.clone(),
                    format!("{:.0}", g(M::requests).mean),
                    pct(g(M::rejected_429_share).mean),
                    format!("{:.0}", g(M::timed_out_408).mean),
                    ms(g(M::latency_p50).mean),
                    with_ci(ms(g(M::latency_p95).mean), g(M::latency_p95).ci95, ms),
                    ms(g(M::latency_p99).mean),
                    format!("{:.1}", g(M::instances_mean).mean),
                    with_ci(
                        fmt_usd(g(M::cost_per_month).mean),
                        g(M::cost_per_month).ci95,
                        fmt_usd,
                    ),
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
                    with_ci(
                        fmt_usd(g(M::cost_per_month).mean),
                        g(M::cost_per_month).ci95,
                        fmt_usd,
                    ),
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
                with_ci(
                    fmt_usd(g(M::cost_per_month).mean),
                    g(M::cost_per_month).ci95,
                    fmt_usd,
                ),
                fmt_usd(g(M::idle_cost_per_month).mean),
            ]);
            goal_cells(plan, tradeoff, vi, t, &mut row);
            rows.push(row);
        }
    }
    let text_cols = if several { 1 + plan.axes.len() + 1 } else { 1 };
    let mut out = String::new();
    if rows.len() > 1 {
        out.push_str(&layout(
            &rows,
            text_cols,
            several,
            several && plan.goal.is_some(),
        ));
    }
    if !endpoint_rows.is_empty() {
        let mut header: Vec<String> = vec![];
        header.extend(lead_header(plan, several));
        header.extend(
            [
                "endpoint",
                "requests",
                "429",
                "408",
                "latency p50",
                "latency p95",
                "p99",
                "instances",
                "cost/month",
                "idle/month",
            ]
            .map(String::from),
        );
        // Sweeps compare endpoints as they compare clusters: on cost against latency.
        let compared = several && tradeoff.is_some();
        if compared {
            header.push("pareto".into());
            if plan.goal.is_some() {
                header.push("goal".into());
            }
        }
        endpoint_rows.insert(0, header);
        if rows.len() > 1 {
            out.push('\n');
        }
        out.push_str(&layout(
            &endpoint_rows,
            text_cols,
            several,
            compared && plan.goal.is_some(),
        ));
    }
    if !batch_rows.is_empty() {
        let mut header: Vec<String> = vec![];
        header.extend(lead_header(plan, several));
        header.extend(
            [
                "batch endpoint",
                "jobs",
                "job duration",
                "p95",
                "cancelled",
                "retries",
                "files failed",
                "workers busy",
                "cost/month",
                "per 1000 files",
            ]
            .map(String::from),
        );
        batch_rows.insert(0, header);
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&layout(&batch_rows, text_cols, several, false));
    }
    // The verdict, in the words the report prints too (one function decides it).
    if several && let Some(rows) = tradeoff {
        for d in crate::sweep::verdict::decide(plan, results, rows) {
            out.push_str(&d.headline);
            out.push('\n');
        }
    }
    if let Some(t) = tradeoff {
        out.push_str(&noise_note(plan, t));
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

/// Lays out `rows` (the first is the header) in aligned columns: the first `text_cols` left
/// aligned (but a leading `#` column), numbers right aligned, and a last text column (the goal)
/// left aligned when `last_is_text`.
fn layout(rows: &[Vec<String>], text_cols: usize, several: bool, last_is_text: bool) -> String {
    let ncol = rows[0].len();
    let widths: Vec<usize> = (0..ncol)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |x| x.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = widths[c] - cell.chars().count();
                if c < text_cols && !(several && c == 0) || c + 1 == ncol && last_is_text {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
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
