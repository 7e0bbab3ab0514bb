//! `capsim calibrate` and `capsim backtest` on the terminal.

use super::args::{BacktestArgs, CalibrateArgs};
use super::terminal::{Terminal, cancel_flag};
use crate::azure::monitor::{ReadReport, format_time};
use crate::commands::backtest::BacktestRow;
use crate::commands::calibrate::CalibrateOutcome;
use crate::commands::{self, CommandError};
use crate::fit::Dist;
use crate::text::format::{duration, number};
use std::io::Write;

pub fn calibrate(args: CalibrateArgs) -> Result<(), CommandError> {
    let m = args.monitor;
    let editing = args.scenario.is_some();
    let outcome = commands::calibrate(&commands::CalibrateRequest {
        nodes: m.nodes,
        clusters: args.clusters,
        traffic: m.traffic,
        scenario: args.scenario,
        cluster_names: m.cluster_names,
        from: m.from,
        to: m.to,
        skip_bad_rows: m.skip_bad_rows,
    })?;
    let text = calibrate_text(&outcome);
    let mut stdout = std::io::stdout();
    if editing {
        let _ = write!(stdout, "{text}");
        if let Some(e) = &outcome.edited {
            if e.changes.is_empty() {
                let _ = writeln!(stdout, "{}: nothing to change", e.file.display());
            } else {
                let _ = writeln!(stdout, "Wrote into {}:", e.file.display());
                for c in &e.changes {
                    let _ = writeln!(stdout, "  {c}");
                }
            }
            for u in &e.unmatched {
                let _ = writeln!(stdout, "Not written: {u}");
            }
            for s in &outcome.samples {
                let _ = writeln!(stdout, "Observations written to {}", s.display());
            }
        }
    } else {
        // Everything as TOML comments, so the whole output can be pasted or redirected.
        for line in text.lines() {
            let _ = writeln!(stdout, "# {line}");
        }
        let _ = write!(stdout, "\n{}", outcome.toml);
    }
    Ok(())
}

/// What was read and fitted, in lines.
fn calibrate_text(o: &CalibrateOutcome) -> String {
    let mut t = String::new();
    for r in &o.reads {
        t.push_str(&read_line(r));
    }
    for p in &o.provisioning {
        let f = &p.fit;
        t.push_str(&format!(
            "Provisioning time of {} ({}), {} node{} of {}: {}\n",
            p.vm_size,
            p.priority.as_str(),
            count(f.n),
            if f.n == 1 { "" } else { "s" },
            p.clusters.join(", "),
            describe(&f.chosen)
        ));
        t.push_str(&format!(
            "  the observations: median {}, p95 {}; chosen: {}\n",
            duration(f.sample_median),
            duration(f.sample_p95),
            f.reason
        ));
        for c in &f.candidates {
            t.push_str(&format!(
                "  {:<12} AIC {:>12.1}  KS {:.4}{}\n",
                c.dist.family(),
                c.aic,
                c.ks,
                if c.ks <= f.ks_critical {
                    ""
                } else {
                    " (above the 5% critical value)"
                }
            ));
        }
    }
    for e in &o.evictions {
        let r = &e.rate;
        let life = if r.events > 0 {
            format!("; a node lives {} on average", duration(3600.0 / r.rate))
        } else {
            String::new()
        };
        t.push_str(&format!(
            "Evictions of {}{}: {} in {} node-hours: {:.4} per node-hour (95% CI {:.4} to {:.4}){life}\n",
            e.cluster,
            e.vm_size.as_ref().map_or(String::new(), |s| format!(" ({s}, LowPriority)")),
            r.events,
            number(r.exposure),
            r.rate,
            r.lo,
            r.hi
        ));
    }
    for l in &o.latencies {
        t.push_str(&format!(
            "Latency of {}/{}: {} served of {} requests ({} rejected with 429); {}: p50 {:.1} ms, p95 {:.1} ms\n",
            l.endpoint,
            l.deployment,
            count(l.served),
            count(l.requests),
            count(l.rejected_429),
            if l.alone {
                format!("the {} that found it idle", count(l.observations))
            } else {
                "all of them, waits included".into()
            },
            l.p50_ms,
            l.p95_ms
        ));
        for k in &l.by_in_flight {
            t.push_str(&format!(
                "  {} in flight at arrival: {} requests, p50 {:.1} ms, p95 {:.1} ms\n",
                k.in_flight,
                count(k.observations),
                k.p50_ms,
                k.p95_ms
            ));
        }
    }
    for n in &o.notes {
        t.push_str(&format!("Note: {n}\n"));
    }
    t
}

/// A distribution in words.
fn describe(d: &Dist) -> String {
    match d {
        Dist::LogNormal { .. } => format!(
            "lognormal, median {}, p95 {}",
            duration(d.quantile(0.5)),
            duration(d.quantile(0.95))
        ),
        Dist::Gamma { shape, .. } => format!(
            "gamma, mean {}, cv {:.3}",
            duration(d.mean()),
            1.0 / shape.sqrt()
        ),
        Dist::Exponential { mean } => format!("exponential, mean {}", duration(*mean)),
        Dist::Constant { value } => format!("constant, {}", duration(*value)),
        Dist::Empirical { values } => format!("empirical, {} observations", values.len()),
    }
}

/// A count with thousands separators.
fn count(n: usize) -> String {
    crate::text::number::group_thousands(n as u64)
}

/// One line on what reading an export found.
fn read_line(r: &ReadReport) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let mut parts = vec![format!("{} row{}", count(r.rows), s(r.rows))];
    if r.duplicates > 0 {
        parts.push(format!(
            "{} duplicate{} dropped",
            count(r.duplicates),
            s(r.duplicates)
        ));
    }
    if !r.skipped.is_empty() {
        let (line, why) = &r.skipped[0];
        parts.push(format!(
            "{} bad row{} skipped (the first, line {line}: {why})",
            count(r.skipped.len()),
            s(r.skipped.len())
        ));
    }
    for why in r.ignored_text() {
        parts.push(format!("{why} ignored"));
    }
    if !r.lacking.is_empty() {
        parts.push(format!(
            "without the optional column{} {}",
            s(r.lacking.len()),
            r.lacking.join(", ")
        ));
    }
    format!(
        "Read {} ({}): {}\n",
        r.file.display(),
        r.table,
        parts.join("; ")
    )
}

pub fn backtest(args: BacktestArgs) -> Result<(), CommandError> {
    let m = args.monitor;
    let quiet = args.quiet;
    let outcome = commands::backtest(
        commands::BacktestRequest {
            jobs: args.jobs,
            clusters: args.clusters,
            nodes: m.nodes,
            traffic: m.traffic,
            scenario: args.scenario,
            cluster_names: m.cluster_names,
            from: m.from,
            to: m.to,
            replications: args.replications,
            seed: args.seed,
            threads: args.threads,
            out: args.out,
            report: args.report,
            png: args.png,
            skip_bad_rows: m.skip_bad_rows,
            tolerance_pct: args.tolerance,
            cancel: Some(cancel_flag()),
        },
        &Terminal::new(quiet, true),
    )?;
    if quiet {
        return Ok(());
    }
    let o = &outcome;
    let mut t = String::new();
    for r in &o.reads {
        t.push_str(&read_line(r));
    }
    let days = (o.window.1 - o.window.0) as f64 / 1e9 / 86_400.0;
    t.push_str(&format!(
        "Backtest from {} to {} ({days:.1} days): {} jobs on {}{}.\n",
        format_time(o.window.0),
        format_time(o.window.1),
        count(o.jobs),
        o.clusters.join(", "),
        if o.endpoints.is_empty() {
            String::new()
        } else {
            format!(", requests to {}", o.endpoints.join(", "))
        }
    ));
    t.push_str(&table(&o.rows));
    let scenario = o.out_dir.join("scenario.toml");
    let errors: Vec<String> = o
        .rows
        .iter()
        .filter(|r| r.measure == "node_hours")
        .map(|r| format!("{} {}", r.target, signed_pct(r.error_pct)))
        .collect();
    if o.matched {
        t.push_str(&format!(
            "The simulation matches the history: node-hours within {}% on every cluster ({}).\n\
             What-ifs can start from the scenario shown to match: {} (e.g. capsim run {} --set compute.{}.max_instances=N).\n",
            o.tolerance_pct,
            errors.join(", "),
            scenario.display(),
            scenario.display(),
            o.clusters.first().map_or("<cluster>", String::as_str)
        ));
    } else {
        t.push_str(&format!(
            "The simulation does NOT match the history: node-hours are off by more than {}% ({}). \
             What-ifs from {} would carry that error: see the notes and backtest.csv.\n",
            o.tolerance_pct,
            errors.join(", "),
            scenario.display()
        ));
    }
    for n in &o.notes {
        t.push_str(&format!("Note: {n}\n"));
    }
    t.push_str(&format!("Results in {}/\n", o.out_dir.display()));
    let _ = write!(std::io::stdout(), "{t}");
    Ok(())
}

fn signed_pct(e: Option<f64>) -> String {
    match e {
        Some(e) if e >= 0.0 => format!("+{e:.1}%"),
        Some(e) => format!("{e:.1}%"),
        None => "—".into(),
    }
}

/// The comparison as an aligned table.
fn table(rows: &[BacktestRow]) -> String {
    let mut cells = vec![[
        "target".to_string(),
        "measure".into(),
        "observed".into(),
        "simulated (95% CI)".into(),
        "error".into(),
    ]];
    for r in rows {
        let ci = if r.simulated.ci95.is_finite() {
            format!(" ± {}", number(r.simulated.ci95))
        } else {
            String::new()
        };
        cells.push([
            r.target.clone(),
            format!("{} ({})", r.measure, r.unit),
            number(r.observed),
            format!("{}{ci}", number(r.simulated.mean)),
            signed_pct(r.error_pct),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut t = String::new();
    for r in &cells {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i >= 2 {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        t.push_str(line.join("  ").trim_end());
        t.push('\n');
    }
    t
}
