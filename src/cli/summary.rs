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

/// What each workload offers its target (of the first variant), one line each: the inputs
/// that move the answer most, as `run.json` and the report state them.
pub fn offered_lines(plan: &Plan) -> String {
    let Some(v) = plan.variants.first() else {
        return String::new();
    };
    crate::output::offered::facts(&v.scenario.system)
        .iter()
        .map(|f| format!("offered: {} on {}: {}\n", f.name, f.target, f.sentence()))
        .collect()
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
fn lead_cells(plan: &Plan, v: &Variant, several: bool) -> Vec<String> {
    if !several {
        return vec![];
    }
    let n_set = v.params.len() - plan.axes.len();
    std::iter::once(v.index.to_string())
        .chain(v.params[n_set..].iter().map(|(_, x)| x.clone()))
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
                row.extend(lead_cells(plan, v, several));
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
                endpoint_rows.push(row);
                continue;
            }
            // Batch endpoints: their jobs' durations and mini-batches, below the clusters (whose
            // rows hold the same jobs' waits and the whole bill).
            if matches!(s.system.targets[t].kind, TargetKind::Batch { .. }) {
                let mut row = vec![];
                row.extend(lead_cells(plan, v, several));
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
            row.extend(lead_cells(plan, v, several));
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
            // Trade-off rows run target by target, variants within: find this one's.
            if let Some(r) =
                tradeoff.and_then(|tr| tr.iter().find(|r| r.variant == vi && r.target == t))
            {
                row.push(if r.pareto { "*".into() } else { String::new() });
                if plan.goal.is_some() {
                    let mut cell = r.meets_goal.map_or("", |g| g.as_str()).to_string();
                    if r.recommended {
                        cell.push_str(" <- cheapest");
                    }
                    row.push(cell);
                }
            }
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
        endpoint_rows.insert(0, header);
        if rows.len() > 1 {
            out.push('\n');
        }
        out.push_str(&layout(&endpoint_rows, text_cols, several, false));
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
    if several && let Some(g) = &plan.goal {
        let best = tradeoff.and_then(|t| t.iter().find(|r| r.recommended));
        let goal = match (g.wait_p95_s, g.budget_per_month_usd) {
            (Some(w), Some(b)) => format!(
                "p95 wait <= {} and cost <= {}/month",
                fmt_duration_s(w),
                fmt_usd(b)
            ),
            (Some(w), None) => format!("p95 wait <= {}", fmt_duration_s(w)),
            (None, Some(b)) => format!("cost <= {}/month", fmt_usd(b)),
            (None, None) => "none".into(),
        };
        match best {
            Some(r) if r.noise.contains(&Noise::RecommendationMayFlip) => {
                let others = tradeoff.map_or(vec![], |t| {
                    t.iter()
                        .filter(|o| o.target == r.target && o.noise.contains(&Noise::MayBeCheapest))
                        .map(|o| o.variant)
                        .collect()
                });
                out.push_str(&format!(
                    "Goal ({goal}): too noisy to recommend with confidence. Variant {} is the \
                     cheapest that meets it with 95% confidence, but {} could be as cheap or \
                     cheaper and meet it, within the confidence intervals: run more replications \
                     before choosing.\n",
                    r.variant,
                    variant_list(&others)
                ));
            }
            Some(r) => out.push_str(&format!(
                "Goal ({goal}): cheapest setting that meets it with 95% confidence is variant {}.\n",
                r.variant
            )),
            None => out.push_str(&format!(
                "Goal ({goal}): no setting meets it with 95% confidence{}.\n",
                if tradeoff.is_some_and(|t| t.iter().any(|r| r.meets_goal == Some(crate::sweep::tradeoff::Verdict::Uncertain))) {
                    "; \"uncertain\" ones might: run more replications"
                } else {
                    ""
                }
            )),
        }
    }
    if let Some(t) = tradeoff {
        out.push_str(&noise_note(plan, t));
    }
    out
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

/// `variant 3`, `variants 1 and 4`, `variants 1, 2 and 5`.
fn variant_list(v: &[usize]) -> String {
    let names: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    match names.len() {
        0 => "another variant".into(),
        1 => format!("variant {}", names[0]),
        n => format!(
            "variants {} and {}",
            names[..n - 1].join(", "),
            names[n - 1]
        ),
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
    ] {
        let v = which(n);
        if !v.is_empty() {
            parts.push(format!(
                "{what} of variant{} {}",
                if v.len() == 1 { "" } else { "s" },
                v.join(", ")
            ));
        }
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "Noisy: the difference from variant 0 is within its 95% confidence interval for the {}; \
         these may be better or worse than variant 0 (tradeoff.csv: noise_warning). More \
         replications narrow the intervals.\n",
        parts.join(" and the ")
    )
}
