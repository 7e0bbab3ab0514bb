//! The short summary printed to the terminal after a run.

use crate::metrics::{Estimate, M};
use crate::scenario::Scenario;

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
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}${grouped}", if whole < 0 { "-" } else { "" })
}

fn with_ci(value: String, ci: f64, unit_fmt: impl Fn(f64) -> String) -> String {
    if ci.is_finite() {
        format!("{value} ± {}", unit_fmt(ci))
    } else {
        value
    }
}

/// A fixed-width table: one row per target.
pub fn terminal_summary(s: &Scenario, summary: &[Vec<Estimate>]) -> String {
    let header = [
        "target",
        "jobs",
        "jobs/h",
        "wait mean",
        "wait p95",
        "util",
        "cost",
        "idle cost",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for (t, est) in summary.iter().enumerate() {
        let g = |m: M| est[m as usize];
        rows.push(vec![
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
            with_ci(fmt_usd(g(M::cost).mean), g(M::cost).ci95, fmt_usd),
            fmt_usd(g(M::idle_cost).mean),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = widths[c] - cell.chars().count();
                if c == 0 {
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
