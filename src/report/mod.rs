//! The budget-review report of a finished run: `report.html` (one self-contained file: styles
//! and charts inline, no scripts, nothing fetched), `report.md` for wikis, and the charts as SVG
//! files in `charts/`.
//!
//! The report is built only from the files of an output folder — `summary.csv`, and when present
//! `tradeoff.csv`, `timeseries.csv` and `replications.csv`, read by column name through
//! [`crate::output::schema`], and `run.json` for what it states about the scenario (goal,
//! provisioning times, command-line options) — so it shows only numbers those files hold (or
//! derives them in ways it states), and `capsim report DIR` works on any finished run.
//! `scenario.toml` is shown verbatim, never parsed. A missing optional file or column turns its
//! chart or table row into a sentence (as does a `run.json` of an older capsim, which does not
//! record the scenario); a missing `summary.csv` is an error naming the path.
//!
//! ```no_run
//! use capsim::report::{ReportOptions, write_report};
//! let written = write_report("output/quickstart".as_ref(), &ReportOptions::default())?;
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod backtest;
pub mod charts;
pub mod commitments;
pub mod data;
pub mod png;
pub mod profile;
pub mod render;
pub mod sizing;
pub mod topn;

use crate::metrics::{Estimate, M, Unit};
use crate::output::schema::{self, ColumnRef, summary as sum, tradeoff as trade};
use crate::text::format::*;
use anyhow::{Context, bail};
use charts::{Chart, CostBar, HeatAxes, HeatCell, TradeoffPoint, WaitGroup};
use data::Run;
use render::{Block, Doc, Para, Table, TableRow, code, strong, text};
use std::path::{Path, PathBuf};

/// How the report is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportOptions {
    /// Start of the nodes-over-time window, seconds of simulated time from time zero (which
    /// is before the warm-up); `None` (the default) starts it where the warm-up ends, so the
    /// window shows the period the statistics cover.
    pub window_start_s: Option<f64>,
    /// Length of that window, seconds; clipped to the end of `timeseries.csv`. Default 7 days.
    pub window_s: f64,
    /// Write `report.html`. Default true.
    pub html: bool,
    /// Write `report.md`. Default true.
    pub markdown: bool,
    /// Also write every chart as PNG beside its SVG (`--png`). Default false.
    pub png: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            window_start_s: None,
            window_s: 7.0 * 86_400.0,
            html: true,
            markdown: true,
            png: false,
        }
    }
}

/// A report in memory: the HTML and Markdown text and the charts both refer to.
#[derive(Clone, Debug)]
pub struct Report {
    pub html: String,
    pub markdown: String,
    pub charts: Vec<Chart>,
}

/// Builds the report of the output folder `out_dir` and writes `report.html`, `report.md` and
/// `charts/*.svg` into it: the folder is replaced as a whole, its other files carried over, so
/// that it never holds a partial report or one of other results
/// ([`crate::output::OutputDir::update`]). Returns the paths written, charts first.
pub fn write_report(out_dir: &Path, opts: &ReportOptions) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = crate::output::OutputDir::update(out_dir)?;
    let written = stage(&mut out, opts)?;
    out.commit()?;
    Ok(written)
}

/// Builds the report of the files staged in `out` (after carrying over the folder's other
/// files, for [`crate::output::OutputDir::update`]) and stages its files beside them, so that
/// they are committed together: a run killed at any moment leaves either the earlier folder,
/// report included, or the new one with its report. An earlier report's files are not carried
/// over. Returns the final paths of the report's files, charts first.
pub fn stage(
    out: &mut crate::output::OutputDir,
    opts: &ReportOptions,
) -> anyhow::Result<Vec<PathBuf>> {
    out.carry_over(&|name| !replaced_by_report(name, opts))?;
    let mut staged = vec![];
    let done = stage_files(out, opts, &mut staged);
    if done.is_err() {
        // No part of a report is committed: the results go without one, and the error says why.
        for name in staged {
            let _ = std::fs::remove_file(out.staging().join(name));
        }
    }
    done
}

fn stage_files(
    out: &mut crate::output::OutputDir,
    opts: &ReportOptions,
    staged: &mut Vec<String>,
) -> anyhow::Result<Vec<PathBuf>> {
    let staging = out.staging().to_path_buf();
    let dir = out.dir().to_path_buf();
    // Messages and notes name the folder the files will be in, not the hidden staging folder.
    let (hidden, shown) = (staging.display().to_string(), dir.display().to_string());
    let named = |s: String| s.replace(&hidden, &shown);
    let report = build_any(&staging, opts).map_err(|e| anyhow::anyhow!(named(format!("{e:#}"))))?;
    let mut files: Vec<(String, Vec<u8>)> = vec![];
    for c in &report.charts {
        files.push((
            format!("{}/{}", crate::output::CHARTS, c.file),
            c.svg.clone().into_bytes(),
        ));
        if opts.png {
            let png = png_name(&c.file);
            let bytes = png::svg_to_png(&c.svg).with_context(|| {
                format!(
                    "drawing {}",
                    dir.join(crate::output::CHARTS).join(&png).display()
                )
            })?;
            files.push((format!("{}/{png}", crate::output::CHARTS), bytes));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    if opts.html {
        files.push(("report.html".into(), named(report.html).into_bytes()));
    }
    if opts.markdown {
        files.push(("report.md".into(), named(report.markdown).into_bytes()));
    }
    let mut written = vec![];
    for (name, bytes) in files {
        out.write(&name, &bytes)
            .with_context(|| format!("writing {}", dir.join(&name).display()))?;
        staged.push(name.clone());
        written.push(dir.join(name));
    }
    Ok(written)
}

/// The report of a run's folder, or of a `capsim size` folder (one without `summary.csv`).
fn build_any(dir: &Path, opts: &ReportOptions) -> anyhow::Result<Report> {
    if !dir.join(sum::FILE.name).is_file() && dir.join(schema::sizing::FILE.name).is_file() {
        let r = sizing::build(dir)?;
        return Ok(Report {
            html: r.html,
            markdown: r.markdown,
            charts: r.charts,
        });
    }
    build_report(dir, opts)
}

fn png_name(svg_file: &str) -> String {
    format!("{}.png", svg_file.strip_suffix(".svg").unwrap_or(svg_file))
}

/// Whether a file of an output folder (`report.md`, `charts/cost.svg`) belongs to a report, so
/// that a new report replaces it: the report files it writes, and every chart a report draws
/// (a heat map of an earlier sweep, or PNGs when this report has none: a PNG must never show
/// older numbers than its SVG). Other files in `charts/` are kept.
fn replaced_by_report(name: &str, opts: &ReportOptions) -> bool {
    match name {
        "report.html" => return opts.html,
        "report.md" => return opts.markdown,
        _ => {}
    }
    let Some(chart) = name
        .strip_prefix(crate::output::CHARTS)
        .and_then(|n| n.strip_prefix('/'))
    else {
        return false;
    };
    let Some(base) = chart
        .strip_suffix(".svg")
        .or_else(|| chart.strip_suffix(".png"))
    else {
        return false;
    };
    base == "cost"
        || base == "waits"
        || base == "latency"
        || base == "sizing"
        || [
            "nodes-",
            "tradeoff-",
            "heatmap-",
            "sizing-",
            "waterfall-",
            "commitments-",
            "backtest-",
        ]
        .iter()
        .any(|p| base.starts_with(p))
}

/// Builds the report without writing anything.
pub fn build_report(out_dir: &Path, opts: &ReportOptions) -> anyhow::Result<Report> {
    if let Some(s) = opts.window_start_s
        && !(s.is_finite() && s >= 0.0)
    {
        bail!("report window start must be zero or more seconds, got {s}");
    }
    if !(opts.window_s.is_finite() && opts.window_s > 0.0) {
        bail!(
            "report window must be longer than zero seconds, got {}",
            opts.window_s
        );
    }
    let run = Run::load(out_dir)?;
    let mut b = Builder {
        run: &run,
        opts,
        blocks: vec![],
        charts: vec![],
    };
    b.headline();
    b.results();
    b.charts()?;
    if let Some((blocks, charts)) = backtest::section(out_dir, &b.charts)? {
        b.blocks.extend(blocks);
        b.charts.extend(charts);
    }
    if let Some((blocks, charts)) = commitments::section(out_dir, &b.charts)? {
        b.blocks.extend(blocks);
        b.charts.extend(charts);
    }
    b.assumptions();
    let doc = Doc {
        title: format!("Capacity report: {}", run.simulated.scenario),
        subtitle: b.subtitle(),
        blocks: b.blocks,
    };
    Ok(Report {
        html: render::to_html(&doc),
        markdown: render::to_markdown(&doc),
        charts: b.charts,
    })
}

struct Builder<'a> {
    run: &'a Run,
    opts: &'a ReportOptions,
    blocks: Vec<Block>,
    charts: Vec<Chart>,
}

/// A file name for a chart of `target`: letters, digits, `-` and `_` kept.
fn chart_file(prefix: &str, target: &str, taken: &[Chart]) -> String {
    let clean: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = format!("{prefix}-{clean}");
    let mut name = format!("{base}.svg");
    let mut k = 2;
    while taken.iter().any(|c| c.file == name) {
        name = format!("{base}-{k}.svg");
        k += 1;
    }
    name
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Every metric of the per-target table, with its label; the column's unit says how to format it.
const METRIC_ROWS: &[(&str, M)] = &[
    ("Cost per month (730 h)", M::cost_per_month),
    (
        "Idle and provisioning cost per month",
        M::idle_cost_per_month,
    ),
    ("Idle share of the cost", M::idle_cost_share),
    ("Cost over the observed window", M::cost),
    ("Idle and provisioning cost over the window", M::idle_cost),
    ("Cost per completed job", M::cost_per_job),
    ("Jobs submitted", M::jobs_arrived),
    ("Jobs completed", M::jobs_completed),
    ("Throughput, jobs per hour", M::throughput),
    ("Wait before start, mean", M::wait_mean),
    ("Wait, median (p50)", M::wait_p50),
    ("Wait, p95", M::wait_p95),
    ("Wait, p99", M::wait_p99),
    ("Wait, longest", M::wait_max),
    ("Queued jobs, time average", M::queue_mean),
    ("Utilisation (busy / billed node time)", M::utilization),
    ("Nodes allocated, time average", M::nodes_mean),
    ("Nodes allocated, peak", M::nodes_peak),
    ("Billed node-hours", M::node_hours),
    ("Busy node-hours", M::busy_node_hours),
    ("Idle node-hours", M::idle_node_hours),
    ("Provisioning node-hours", M::provisioning_node_hours),
    (
        "Fixed costs over the window (billed whatever the state)",
        M::fixed_cost,
    ),
    ("Compute-instance start-ups", M::startups),
    ("Nodes requested", M::nodes_requested),
    ("Jobs running at the horizon", M::running_at_end),
    ("Jobs queued at the horizon", M::queued_at_end),
    ("Requests", M::requests),
    ("Requests served", M::served),
    ("Rejected with 429 (too many pending)", M::rejected_429),
    ("Share rejected with 429", M::rejected_429_share),
    ("Rejected with 503 (Kubernetes)", M::rejected_503),
    ("Timed out (408)", M::timed_out_408),
    ("Latency, mean", M::latency_mean),
    ("Latency, median (p50)", M::latency_p50),
    ("Latency, p95", M::latency_p95),
    ("Latency, p99", M::latency_p99),
    ("Service time, mean", M::service_time_mean),
    ("Requests within the SLO", M::slo_attainment),
    ("Replications meeting the SLO", M::slo_met),
    ("Instances, time average", M::instances_mean),
    ("Instances, peak", M::instances_peak),
    ("Instance-hours", M::instance_hours),
    ("Autoscale actions", M::scale_events),
    ("Cost per 1,000 served requests", M::cost_per_1000_requests),
    (
        "Requests in flight at the horizon",
        M::requests_in_flight_at_end,
    ),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Usd,
    Share,
    Duration,
    Number,
    Hours,
    Millis,
}

impl Kind {
    /// How values of a unit are shown.
    fn of(unit: Unit) -> Kind {
        match unit {
            Unit::Usd | Unit::UsdPerHour => Kind::Usd,
            Unit::Share => Kind::Share,
            Unit::Seconds => Kind::Duration,
            Unit::Hours => Kind::Hours,
            Unit::Milliseconds => Kind::Millis,
            _ => Kind::Number,
        }
    }

    /// How a column this capsim does not know is shown: by the unit in its name.
    fn by_suffix(column: &str) -> Kind {
        if column.ends_with("_usd") {
            Kind::Usd
        } else if column.ends_with("_ms") {
            Kind::Millis
        } else if column.ends_with("_s") {
            Kind::Duration
        } else if column.ends_with("_hours") {
            Kind::Hours
        } else if column.ends_with("_share") {
            Kind::Share
        } else {
            Kind::Number
        }
    }
}

fn fmt_est(kind: Kind, e: Estimate) -> String {
    let (m, c) = (e.known_mean(), e.known_ci95());
    match kind {
        Kind::Usd => usd_ci(m, c),
        Kind::Share => percent_ci(m, c),
        Kind::Duration => duration_ci(m, c),
        Kind::Number => number_ci(m, c),
        Kind::Hours => node_hours_ci(m, c),
        Kind::Millis => millis_ci(m, c),
    }
}

/// Metrics of endpoints only: blank for compute targets, so left out of their tables.
const ENDPOINT_ONLY: &[M] = &[
    M::requests,
    M::served,
    M::rejected_429,
    M::rejected_429_share,
    M::rejected_503,
    M::timed_out_408,
    M::requests_in_flight_at_end,
    M::latency_mean,
    M::latency_p50,
    M::latency_p95,
    M::latency_p99,
    M::service_time_mean,
    M::slo_attainment,
    M::slo_met,
    M::instance_hours,
    M::instances_mean,
    M::instances_peak,
    M::scale_events,
    M::cost_per_1000_requests,
];

/// Most bars in one chart, and rows in one table of settings: enough for a readable chart.
const MAX_BARS: usize = 40;
const MAX_TABLE_ROWS: usize = 300;

/// Measures that only some target types have: left out of a table when zero.
const OCCASIONAL: &[M] = &[M::fixed_cost, M::startups];

impl Builder<'_> {
    fn subtitle(&self) -> Para {
        let run = self.run;
        let mut p = vec![];
        if let Some(d) = run.facts().and_then(|f| f.description.as_deref()) {
            p.push(text(format!("{} ", d.trim())));
        }
        let mut facts = vec![plural(
            run.targets.len(),
            "compute target",
            "compute targets",
        )];
        if run.is_sweep() {
            facts.push(plural(run.variants.len(), "setting", "settings"));
        }
        if let Some(r) = run.simulated.replications {
            facts.push(plural(r as usize, "replication", "replications"));
        }
        if let Some(h) = run.simulated.horizon_s {
            let mut s = format!("{} simulated", crate::text::format_duration(h));
            if let Some(w) = run.simulated.warmup_s.filter(|w| *w > 0.0) {
                s.push_str(&format!(" (warm-up {})", crate::text::format_duration(w)));
            }
            facts.push(s);
        }
        if let Some(seed) = &run.simulated.seed {
            facts.push(format!("seed {seed}"));
        }
        p.push(text(format!("{}.", facts.join(", "))));
        p
    }

    fn est(&self, row: usize, col: impl ColumnRef) -> Estimate {
        self.run.summary.est(row, col)
    }

    fn headline(&mut self) {
        self.blocks
            .push(Block::H2("Headline".into(), "headline".into()));
        let paras = if self.run.is_sweep() {
            self.sweep_headline()
        } else {
            self.single_headline()
        };
        self.blocks.push(Block::Callout(paras));
        let note = match self.run.simulated.replications.map(|r| r as u64) {
            Some(1) => "Values come from one replication, so there are no confidence intervals: run more replications before comparing numbers.".to_string(),
            Some(r) => format!("Values are means over {r} replications; ± is the half-width of the 95% confidence interval of that mean."),
            None => "Values are means over the replications; ± is the half-width of the 95% confidence interval of that mean.".to_string(),
        };
        self.blocks.push(Block::P(vec![text(format!(
            "A month is 730 hours, as Azure's pricing calculator counts (cost_per_month_usd: the cost over the observed window scaled to 730 hours). {note}"
        ))]));
    }

    fn single_headline(&self) -> Vec<Para> {
        let run = self.run;
        let mut paras = vec![];
        let variant = run.variants.first().cloned().unwrap_or_else(|| "0".into());
        for t in &run.targets {
            let Some(row) = run.summary_row(&variant, t) else {
                continue;
            };
            if run.is_endpoint_row(row) {
                paras.push(self.endpoint_headline(t, row));
                continue;
            }
            let cost = self.est(row, M::cost_per_month);
            let idle = self.est(row, M::idle_cost_per_month);
            let share = self.est(row, M::idle_cost_share);
            let p95 = self.est(row, M::wait_p95);
            let util = self.est(row, M::utilization);
            let mut p = vec![
                strong(t.clone()),
                text(" costs "),
                strong(usd_ci(cost.known_mean(), cost.known_ci95())),
                text(" per month"),
            ];
            if share.known_mean().is_some() {
                p.push(text("; idle share "));
                p.push(strong(percent_ci(share.known_mean(), share.known_ci95())));
            }
            if idle.known_mean().is_some() {
                p.push(text(format!(
                    " ({} per month for idle and provisioning nodes)",
                    usd_ci(idle.known_mean(), idle.known_ci95())
                )));
            }
            if p95.known_mean().is_some() {
                p.push(text(format!(
                    "; p95 wait {}",
                    duration_ci(p95.known_mean(), p95.known_ci95())
                )));
            } else if run.summary.has(M::wait_p95) {
                p.push(text("; no job started, so no waits"));
            }
            if let Some(u) = util.known_mean() {
                p.push(text(format!("; utilisation {}", percent(u))));
            }
            p.push(text("."));
            paras.push(p);
        }
        if run.targets.len() > 1 {
            let rows: Vec<usize> = run
                .targets
                .iter()
                .filter_map(|t| run.summary_row(&variant, t))
                .collect();
            let total: Option<f64> = rows
                .iter()
                .map(|&r| run.summary.num(r, M::cost_per_month))
                .sum();
            let idle: Option<f64> = rows
                .iter()
                .map(|&r| run.summary.num(r, M::idle_cost_per_month))
                .sum();
            let ci = run
                .total_cost_per_replication()
                .map(|v| crate::engine::stats::mean_ci95(&v).1)
                .filter(|c| c.is_finite());
            let mut p = vec![
                strong("Total"),
                text(format!(" over {} targets: ", run.targets.len())),
                strong(usd_ci(total, ci)),
                text(" per month"),
            ];
            if let (Some(t), Some(i)) = (total, idle)
                && t > 0.0
            {
                p.push(text("; idle share "));
                p.push(strong(percent(i / t)));
                p.push(text(format!(" ({} per month)", usd(i))));
            }
            p.push(text(
                ". The total is the sum of the targets' means; its interval comes from per-replication sums in replications.csv.",
            ));
            paras.push(p);
        }
        paras
    }

    /// `scorer costs $1,234 ± $5 per month; p95 latency 412 ± 9 ms; 0.3% rejected (429); ...`
    fn endpoint_headline(&self, t: &str, row: usize) -> Para {
        let cost = self.est(row, M::cost_per_month);
        let idle = self.est(row, M::idle_cost_per_month);
        let p95 = self.est(row, M::latency_p95);
        let r429 = self.est(row, M::rejected_429_share);
        let slo = self.est(row, M::slo_attainment);
        let inst = self.est(row, M::instances_mean);
        let mut p = vec![
            strong(t.to_string()),
            text(" costs "),
            strong(usd_ci(cost.known_mean(), cost.known_ci95())),
            text(" per month"),
        ];
        if idle.known_mean().is_some() {
            p.push(text(format!(
                " ({} of it for idle capacity)",
                usd_ci(idle.known_mean(), idle.known_ci95())
            )));
        }
        if p95.known_mean().is_some() {
            p.push(text("; p95 latency "));
            p.push(strong(millis_ci(p95.known_mean(), p95.known_ci95())));
        } else {
            p.push(text("; no request was served"));
        }
        if r429.known_mean().is_some() {
            p.push(text(format!(
                "; {} of requests rejected with 429",
                percent_ci(r429.known_mean(), r429.known_ci95())
            )));
        }
        if slo.known_mean().is_some() {
            p.push(text(format!(
                "; {} of requests within the SLO",
                percent_ci(slo.known_mean(), slo.known_ci95())
            )));
        }
        if inst.known_mean().is_some() {
            p.push(text(format!(
                "; {} instances on average",
                number_ci(inst.known_mean(), inst.known_ci95())
            )));
        }
        p.push(text("."));
        p
    }

    fn goal_text(&self) -> Option<String> {
        self.run.goal().map(|g| data::describe_goal(&g))
    }

    fn sweep_headline(&self) -> Vec<Para> {
        let run = self.run;
        let mut paras = vec![];
        let axes: Vec<String> = run
            .axes
            .iter()
            .map(|a| format!("{} ({})", a.short(), a.values.join(", ")))
            .collect();
        let mut intro = vec![text(format!(
            "{} compared over {}",
            plural(run.variants.len(), "setting", "settings"),
            if axes.is_empty() {
                "their parameters".to_string()
            } else {
                axes.join(" × ")
            }
        ))];
        match self.goal_text() {
            Some(g) => intro.push(text(format!("; goal: {g}."))),
            None if self.run.facts().is_none() => intro.push(text(
                "; the goal is unknown (run.json does not record the scenario's [goal]).",
            )),
            None => intro.push(text("; the scenario sets no [goal].")),
        }
        paras.push(intro);
        let Some(tr) = &run.tradeoff else {
            paras.push(vec![text(
                "tradeoff.csv is missing, so settings are not compared against each other here; the tables below list each setting.",
            )]);
            return paras;
        };
        let base_variant = run.variants.first().cloned().unwrap_or_else(|| "0".into());
        for t in &run.targets {
            let rows = run.tradeoff_rows(t);
            if rows.is_empty() {
                continue;
            }
            let rec = rows
                .iter()
                .copied()
                .find(|&i| tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"));
            let base = rows
                .iter()
                .copied()
                .find(|&i| run.variant_of(tr, i) == base_variant);
            let label =
                |i: usize| format!("#{} ({})", run.variant_of(tr, i), run.params_long(tr, i));
            let prefix = if run.targets.len() > 1 {
                format!("{t}: ")
            } else {
                String::new()
            };
            // The verdict as the terminal printed it (one function decided it, run.json keeps
            // it); folders written before it was kept fall back on tradeoff.csv below.
            if let Some(d) = run
                .run_json
                .as_ref()
                .and_then(|j| j.verdicts.iter().find(|d| &d.target == t))
            {
                paras.push(vec![strong(d.headline.clone())]);
                if let Some(r) = rec {
                    if Some(r) == base {
                        paras.push(vec![text(
                            "That is setting #0, the first value of every axis: no change is needed.",
                        )]);
                    } else {
                        paras.push(self.versus_base(r, base));
                    }
                }
                continue;
            }
            if let Some(r) = rec {
                let cost = tr.est(r, trade::COST_PER_MONTH_USD);
                let p95 = tr.est(r, trade::WAIT_P95_S);
                let v = run.variant_of(tr, r);
                let share = run
                    .summary_row(&v, t)
                    .map(|s| self.est(s, M::idle_cost_share))
                    .unwrap_or_default();
                paras.push(vec![
                    text(prefix.clone()),
                    text("Recommended: "),
                    strong(format!("setting {}", label(r))),
                    text(" at "),
                    strong(usd_ci(cost.known_mean(), cost.known_ci95())),
                    text(" per month, p95 wait "),
                    strong(duration_ci(p95.known_mean(), p95.known_ci95())),
                    text(format!(
                        ", idle share {} — the cheapest setting that meets the goal with 95% confidence.",
                        percent_ci(share.known_mean(), share.known_ci95())
                    )),
                ]);
                if Some(r) == base {
                    paras.push(vec![text(
                        "That is setting #0, the first value of every axis: no change is needed.",
                    )]);
                } else {
                    paras.push(self.versus_base(r, base));
                }
            } else if self.goal_text().is_some()
                || rows
                    .iter()
                    .any(|&i| tr.flag(i, trade::MEETS_GOAL).is_some())
            {
                let mut p = vec![
                    text(prefix.clone()),
                    strong("No setting meets the goal with 95% confidence."),
                ];
                let mut uncertain: Vec<usize> = rows
                    .iter()
                    .copied()
                    .filter(|&i| tr.flag(i, trade::MEETS_GOAL).as_deref() == Some("uncertain"))
                    .collect();
                uncertain.sort_by(|&a, &b| {
                    let c = |i| {
                        tr.num(i, trade::COST_PER_MONTH_USD)
                            .unwrap_or(f64::INFINITY)
                    };
                    c(a).total_cmp(&c(b))
                });
                if uncertain.is_empty() {
                    if let Some(best) = rows.iter().copied().min_by(|&a, &b| {
                        let w = |i| tr.num(i, trade::WAIT_P95_S).unwrap_or(f64::INFINITY);
                        w(a).total_cmp(&w(b))
                    }) {
                        let p95 = tr.est(best, trade::WAIT_P95_S);
                        let cost = tr.est(best, trade::COST_PER_MONTH_USD);
                        p.push(text(format!(
                            " The shortest p95 wait is {} with setting {} at {} per month.",
                            duration_ci(p95.known_mean(), p95.known_ci95()),
                            label(best),
                            usd_ci(cost.known_mean(), cost.known_ci95())
                        )));
                    }
                } else {
                    let shown: Vec<String> = uncertain
                        .iter()
                        .take(5)
                        .map(|&i| {
                            let cost = tr.est(i, trade::COST_PER_MONTH_USD);
                            let p95 = tr.est(i, trade::WAIT_P95_S);
                            format!(
                                "{} at {} per month, p95 wait {}",
                                label(i),
                                usd_ci(cost.known_mean(), cost.known_ci95()),
                                duration_ci(p95.known_mean(), p95.known_ci95())
                            )
                        })
                        .collect();
                    p.push(text(format!(
                        " Uncertain — the 95% interval straddles the goal, so more replications would tell: {}{}.",
                        shown.join("; "),
                        if uncertain.len() > 5 {
                            format!("; and {} more", uncertain.len() - 5)
                        } else {
                            String::new()
                        }
                    )));
                }
                paras.push(p);
            } else {
                let by = |col: schema::Column| {
                    rows.iter().copied().min_by(move |&a, &b| {
                        let c = |i| tr.num(i, col).unwrap_or(f64::INFINITY);
                        c(a).total_cmp(&c(b))
                    })
                };
                let mut p = vec![text(format!(
                    "{prefix}Without a goal nothing is recommended."
                ))];
                if let Some(c) = by(trade::COST_PER_MONTH_USD) {
                    let cost = tr.est(c, trade::COST_PER_MONTH_USD);
                    p.push(text(format!(
                        " Cheapest: {} at {} per month.",
                        label(c),
                        usd_ci(cost.known_mean(), cost.known_ci95())
                    )));
                }
                if let Some(w) = by(trade::WAIT_P95_S) {
                    let p95 = tr.est(w, trade::WAIT_P95_S);
                    p.push(text(format!(
                        " Shortest p95 wait: {} with {}.",
                        label(w),
                        duration_ci(p95.known_mean(), p95.known_ci95())
                    )));
                }
                let front: Vec<String> = rows
                    .iter()
                    .filter(|&&i| tr.flag(i, trade::PARETO_OPTIMAL).as_deref() == Some("yes"))
                    .map(|&i| format!("#{}", run.variant_of(tr, i)))
                    .collect();
                if !front.is_empty() {
                    p.push(text(format!(
                        " Pareto-optimal (no other setting is both cheaper and faster at p95): {}.",
                        front.join(", ")
                    )));
                }
                paras.push(p);
            }
        }
        paras
    }

    /// The recommended setting against setting #0, with the paired difference's interval.
    fn versus_base(&self, rec: usize, base: Option<usize>) -> Para {
        let run = self.run;
        let Some(tr) = &run.tradeoff else {
            return vec![];
        };
        let diff = tr.est(rec, trade::COST_DIFF_PER_MONTH_USD);
        let wait = tr.est(rec, trade::WAIT_P95_DIFF_S);
        let base_label = base.map_or("setting #0".to_string(), |b| {
            format!("setting #0 ({})", run.params_long(tr, b))
        });
        let mut p = vec![];
        let Some(m) = diff.known_mean() else {
            return vec![text(format!(
                "The cost difference against {base_label} is not in tradeoff.csv."
            ))];
        };
        let amount = usd_pm(m.abs(), diff.known_ci95());
        if m < 0.0 {
            p.push(text("Against "));
            p.push(text(base_label));
            p.push(text(" it saves "));
            p.push(strong(amount));
            p.push(text(" per month"));
        } else {
            p.push(text("It costs "));
            p.push(strong(amount));
            p.push(text(" per month more than "));
            p.push(text(base_label));
        }
        if let Some(b) = base {
            match tr.flag(b, trade::MEETS_GOAL).as_deref() {
                Some("no") => p.push(text(", which does not meet the goal")),
                Some("uncertain") => p.push(text(", whose goal verdict is uncertain")),
                _ => {}
            }
        }
        if let Some(w) = wait.known_mean() {
            p.push(text(format!(
                "; its p95 wait differs by {}{}",
                duration_signed(w),
                wait.known_ci95()
                    .map_or(String::new(), |c| format!(" ± {}", duration(c)))
            )));
        }
        p.push(text(". "));
        let established = match tr.flag(rec, trade::COST_DIFF_SIGNIFICANT).as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => match (diff.known_mean(), diff.known_ci95()) {
                (Some(m), Some(c)) => Some(m.abs() > c),
                _ => None,
            },
        };
        match (established, diff.known_ci95()) {
            (Some(true), _) => p.push(text(
                "The cost difference is established: its 95% interval (paired replications) excludes zero.",
            )),
            (Some(false), Some(c)) => p.push(strong(format!(
                "The cost difference is not established: its 95% interval (± {}) is wider than the difference.",
                usd(c)
            ))),
            _ => p.push(strong(
                "The cost difference is not established: there is no confidence interval (one replication).",
            )),
        }
        p
    }

    fn results(&mut self) {
        let run = self.run;
        self.blocks
            .push(Block::H2("Results per target".into(), "results".into()));
        for t in &run.targets {
            let rows = run.summary_rows(t);
            let Some(&first) = rows.first() else { continue };
            let s = &run.summary;
            let what: Vec<String> = [sum::TARGET_TYPE, sum::SIZE, sum::TIER]
                .iter()
                .filter_map(|c| s.str(first, c).filter(|v| !v.is_empty()).map(String::from))
                .collect();
            self.blocks.push(Block::H3(if what.is_empty() {
                t.clone()
            } else {
                format!("{t} — {}", what.join(", "))
            }));
            if run.is_sweep() {
                self.blocks.push(Block::Table(self.sweep_table(t)));
                let rec = run.tradeoff.as_ref().and_then(|tr| {
                    run.tradeoff_rows(t)
                        .into_iter()
                        .find(|&i| tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"))
                        .map(|i| run.variant_of(tr, i))
                });
                let (variant, what) = match rec {
                    Some(v) => (v, "the recommended setting"),
                    None => (
                        run.variants.first().cloned().unwrap_or_default(),
                        "setting #0 (the first value of every axis)",
                    ),
                };
                if let Some(row) = run.summary_row(&variant, t) {
                    self.blocks.push(Block::Table(self.metric_table(
                        row,
                        Some(format!(
                            "Details of {what}: #{variant} ({})",
                            run.params_long(&run.summary, row)
                        )),
                    )));
                }
            } else {
                self.blocks
                    .push(Block::Table(self.metric_table(first, None)));
            }
        }
    }

    /// Key metrics of one summary row with their intervals and the columns they come from.
    fn metric_table(&self, row: usize, caption: Option<String>) -> Table {
        let s = &self.run.summary;
        let mut rows = vec![];
        // Zero everywhere is noise for the measures only some target types have.
        let nothing = |col: &str| {
            let e = s.est(row, col);
            e.known_mean().is_none_or(|m| m == 0.0) && e.known_ci95().is_none_or(|c| c == 0.0)
        };
        let endpoint = self.run.is_endpoint_row(row);
        // An endpoint has no jobs and a compute target no requests: leave out the other kind's
        // measures (blank in summary.csv) rather than fill the table with dashes.
        let other_kind = |m: M| {
            if endpoint {
                s.est(row, m).known_mean().is_none()
            } else {
                ENDPOINT_ONLY.contains(&m)
            }
        };
        for &(label, m) in METRIC_ROWS {
            if !s.has(m) || (OCCASIONAL.contains(&m) && nothing(m.name())) || other_kind(m) {
                continue;
            }
            let cell = fmt_est(Kind::of(m.def().unit), s.est(row, m));
            rows.push(TableRow {
                cells: vec![label.to_string(), cell, m.name().to_string()],
                highlight: false,
            });
        }
        // The other metrics, and those this report does not know yet (newer capsim versions),
        // by their units.
        for h in &s.headers {
            let known = METRIC_ROWS.iter().any(|(_, m)| m.name() == h)
                || sum::identity().any(|c| c.name == h)
                || h.starts_with(schema::PARAMETER_PREFIX)
                || h.ends_with(schema::CI95_SUFFIX);
            if known || !s.has(schema::ci95_name(h)) || nothing(h) {
                continue;
            }
            let kind = match crate::metrics::METRICS.iter().find(|m| m.name == h) {
                Some(m) => Kind::of(m.unit),
                None => Kind::by_suffix(h),
            };
            let mut label = h.replace('_', " ");
            if let Some(first) = label.get(..1) {
                label = first.to_uppercase() + &label[1..];
            }
            rows.push(TableRow {
                cells: vec![label, fmt_est(kind, s.est(row, h)), h.clone()],
                highlight: false,
            });
        }
        Table {
            caption,
            header: vec![
                "Metric".into(),
                "Mean ± 95% CI".into(),
                "summary.csv column".into(),
            ],
            numeric: vec![false, true, false],
            rows,
        }
    }

    /// One row per setting of one target.
    fn sweep_table(&self, target: &str) -> Table {
        let run = self.run;
        let s = &run.summary;
        let tr = run.tradeoff.as_ref();
        let mut header = vec!["#".to_string()];
        header.extend(run.axes.iter().map(|a| a.short().to_string()));
        let n_axes = run.axes.len();
        // Online endpoints have requests, not jobs: latency and 429 columns, no wait columns.
        let endpoint = run
            .summary_rows(target)
            .first()
            .is_some_and(|&r| run.is_endpoint_row(r));
        let measures = if endpoint {
            [
                "Cost / month",
                "Idle share",
                "Latency p95",
                "Latency p99",
                "429 share",
            ]
        } else {
            [
                "Cost / month",
                "Idle share",
                "Wait p95",
                "Wait mean",
                "Utilisation",
            ]
        };
        header.extend(measures.map(String::from));
        if tr.is_some() {
            if endpoint {
                header.extend(["Δ cost vs #0", "Pareto", "Goal"].map(String::from));
            } else {
                header.extend(["Δ cost vs #0", "Δ p95 vs #0", "Pareto", "Goal"].map(String::from));
            }
        }
        let mut numeric = vec![true];
        numeric.extend(std::iter::repeat_n(false, n_axes));
        numeric.extend([true; 5]);
        if tr.is_some() {
            numeric.extend([true, true, false, false]);
            if endpoint {
                numeric.remove(numeric.len() - 3);
            }
        }
        let mut rows = vec![];
        let (shown, note) = self.shown_rows(run.summary_rows(target), MAX_TABLE_ROWS);
        for i in shown {
            let v = run.variant_of(s, i);
            let mut cells = vec![v.clone()];
            cells.extend(run.axes.iter().map(|a| {
                s.str(i, schema::parameter_name(&a.path))
                    .unwrap_or("")
                    .to_string()
            }));
            let e = |m: M| s.est(i, m);
            cells.push(usd_ci(
                e(M::cost_per_month).known_mean(),
                e(M::cost_per_month).known_ci95(),
            ));
            cells.push(percent_ci(
                e(M::idle_cost_share).known_mean(),
                e(M::idle_cost_share).known_ci95(),
            ));
            if endpoint {
                for m in [M::latency_p95, M::latency_p99] {
                    cells.push(fmt_est(Kind::Millis, e(m)));
                }
                cells.push(percent_ci(
                    e(M::rejected_429_share).known_mean(),
                    e(M::rejected_429_share).known_ci95(),
                ));
            } else {
                cells.push(duration_ci(
                    e(M::wait_p95).known_mean(),
                    e(M::wait_p95).known_ci95(),
                ));
                cells.push(duration_ci(
                    e(M::wait_mean).known_mean(),
                    e(M::wait_mean).known_ci95(),
                ));
                cells.push(percent(e(M::utilization).known_mean().unwrap_or(f64::NAN)));
            }
            let mut highlight = false;
            if let Some(tr) = tr {
                let r = (0..tr.rows.len()).find(|&r| {
                    tr.str(r, trade::TARGET) == Some(target) && run.variant_of(tr, r) == v
                });
                match r {
                    Some(r) => {
                        let d = tr.est(r, trade::COST_DIFF_PER_MONTH_USD);
                        let w = tr.est(r, trade::WAIT_P95_DIFF_S);
                        let ns = |col: schema::Column| {
                            if tr.flag(r, col).as_deref() == Some("no") {
                                " (n.s.)"
                            } else {
                                ""
                            }
                        };
                        let wait_diff = match (w.known_mean(), w.known_ci95()) {
                            (Some(m), Some(c)) => {
                                format!("{} ± {}", duration_signed(m), duration(c))
                            }
                            (Some(m), None) => duration_signed(m),
                            _ => NONE.to_string(),
                        };
                        if v == run.variants.first().map_or("0", |s| s.as_str()) {
                            cells.push("baseline".into());
                            if !endpoint {
                                cells.push("baseline".into());
                            }
                        } else {
                            cells.push(format!(
                                "{}{}",
                                usd_signed_ci(d.known_mean(), d.known_ci95()),
                                ns(trade::COST_DIFF_SIGNIFICANT)
                            ));
                        }
                        if !(endpoint || v == run.variants.first().map_or("0", |s| s.as_str())) {
                            cells.push(format!(
                                "{}{}",
                                wait_diff,
                                ns(trade::WAIT_P95_DIFF_SIGNIFICANT)
                            ));
                        }
                        cells.push(
                            if tr.flag(r, trade::PARETO_OPTIMAL).as_deref() == Some("yes") {
                                "yes".into()
                            } else {
                                String::new()
                            },
                        );
                        let mut goal = tr.flag(r, trade::MEETS_GOAL).unwrap_or_default();
                        if tr.flag(r, trade::RECOMMENDED).as_deref() == Some("yes") {
                            goal.push_str(" — recommended");
                            highlight = true;
                        }
                        cells.push(goal);
                    }
                    None => cells.extend(std::iter::repeat_n(
                        String::new(),
                        if endpoint { 3 } else { 4 },
                    )),
                }
            }
            rows.push(TableRow { cells, highlight });
        }
        Table {
            caption: Some(format!(
                "{} for {target}: means ± 95% CI; Δ are paired differences against setting #0 (n.s.: the interval includes zero).{}",
                if note.is_some() {
                    "Settings"
                } else {
                    "Every setting"
                },
                note.map_or(String::new(), |n| format!(" {n}"))
            )),
            header,
            numeric,
            rows,
        }
    }

    /// The summary rows a chart or table shows: all of them up to `max`; beyond, setting #0,
    /// the recommended and the Pareto-optimal settings, then the cheapest, in file order, with a
    /// sentence saying so.
    fn shown_rows(&self, candidates: Vec<usize>, max: usize) -> (Vec<usize>, Option<String>) {
        let run = self.run;
        let s = &run.summary;
        if candidates.len() <= max {
            return (candidates, None);
        }
        let flagged = |i: usize, col: schema::Column| {
            let v = run.variant_of(s, i);
            let t = s.str(i, sum::TARGET).unwrap_or("");
            run.tradeoff.as_ref().is_some_and(|tr| {
                (0..tr.rows.len()).any(|r| {
                    tr.str(r, trade::TARGET) == Some(t)
                        && run.variant_of(tr, r) == v
                        && tr.flag(r, col).as_deref() == Some("yes")
                })
            })
        };
        let first = run.variants.first().cloned().unwrap_or_default();
        let mut keep: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                run.variant_of(s, i) == first
                    || flagged(i, trade::RECOMMENDED)
                    || flagged(i, trade::PARETO_OPTIMAL)
            })
            .take(max)
            .collect();
        let mut rest: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|i| !keep.contains(i))
            .collect();
        rest.sort_by(|&a, &b| {
            let c = |i| s.num(i, M::cost_per_month).unwrap_or(f64::INFINITY);
            c(a).total_cmp(&c(b))
        });
        let room = max.saturating_sub(keep.len());
        keep.extend(rest.into_iter().take(room));
        keep.sort_unstable();
        let note = format!(
            "Showing {} of {} rows: setting #0, the recommended and the Pareto-optimal settings, then the cheapest; summary.csv has them all.",
            keep.len(),
            candidates.len()
        );
        (keep, Some(note))
    }

    /// The label of a summary row on a chart's category axis.
    fn row_label(&self, row: usize) -> String {
        let run = self.run;
        let s = &run.summary;
        let target = s.str(row, sum::TARGET).unwrap_or("").to_string();
        if !run.is_sweep() {
            return target;
        }
        let mut l = format!("#{} {}", run.variant_of(s, row), run.params_short(s, row));
        if run.targets.len() > 1 {
            l.push_str(&format!(" · {target}"));
        }
        l.trim().to_string()
    }

    fn category_desc(&self) -> String {
        let run = self.run;
        if !run.is_sweep() {
            return "Compute target".into();
        }
        let axes: Vec<&str> = run.axes.iter().map(|a| a.short()).collect();
        let mut d = format!("Setting: #, {}", axes.join(" / "));
        if run.targets.len() > 1 {
            d.push_str(" · target");
        }
        d
    }

    fn push_chart(&mut self, chart: Chart) {
        self.blocks.push(Block::Figure {
            path: format!("charts/{}", chart.file),
            title: chart.title.clone(),
            svg: chart.svg.clone(),
            caption: chart.caption.clone(),
        });
        self.charts.push(chart);
    }

    fn charts(&mut self) -> anyhow::Result<()> {
        self.blocks
            .push(Block::H2("Charts".into(), "charts".into()));
        self.cost_chart()?;
        self.waterfall_charts()?;
        self.nodes_charts()?;
        self.waits_chart()?;
        self.latency_chart()?;
        if self.run.is_sweep() {
            self.tradeoff_charts()?;
            self.heatmaps()?;
        }
        Ok(())
    }

    fn cost_chart(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        if !s.has(M::cost_per_month) {
            self.blocks.push(Block::Missing(
                "No cost chart: summary.csv has no cost_per_month_usd column.".into(),
            ));
            return Ok(());
        }
        let mut split_from_hours = true;
        let has_idle = s.has(M::idle_cost_per_month);
        let mut bars = vec![];
        // A batch endpoint's cost is node time of its cluster, whose bar already holds it: a
        // bar of its own would count the money twice in a reader's sum.
        let is_batch = |i: usize| s.str(i, sum::TARGET_TYPE) == Some("batch");
        let batch_rows = (0..s.rows.len()).any(is_batch);
        let (shown, note) = self.shown_rows(
            (0..s.rows.len()).filter(|&i| !is_batch(i)).collect(),
            MAX_BARS,
        );
        for i in shown {
            let total = s.est(i, M::cost_per_month);
            let per_month = {
                let h = s.num(i, sum::HORIZON_S);
                let w = s.num(i, sum::WARMUP_S).unwrap_or(0.0);
                h.map(|h| h - w)
                    .filter(|win| *win > 0.0)
                    .map(|win| crate::catalog::HOURS_PER_MONTH * 3600.0 / win)
            };
            let price = s.num(i, sum::PRICE_USD_PER_HOUR);
            let hours = |m: M| s.num(i, m);
            let mut bar = CostBar {
                label: self.row_label(i),
                busy: 0.0,
                idle: 0.0,
                provisioning: 0.0,
                other: 0.0,
                total,
            };
            match (
                per_month,
                price,
                hours(M::busy_node_hours),
                hours(M::idle_node_hours),
                hours(M::provisioning_node_hours),
            ) {
                (Some(k), Some(p), Some(b), Some(idle), Some(pr)) => {
                    bar.busy = b * p * k;
                    bar.idle = idle * p * k;
                    bar.provisioning = pr * p * k;
                    if let Some(t) = total.known_mean() {
                        let rest = t - bar.busy - bar.idle - bar.provisioning;
                        if rest > 0.005 * t {
                            bar.other = rest;
                        }
                    }
                }
                _ if run.is_endpoint_row(i) => {
                    // Endpoints bill instances, not nodes: busy capacity and idle capacity.
                    let t = total.known_mean().unwrap_or(0.0);
                    let idle = s.num(i, M::idle_cost_per_month).unwrap_or(0.0).min(t);
                    bar.busy = (t - idle).max(0.0);
                    bar.idle = idle;
                }
                _ => {
                    split_from_hours = false;
                    let t = total.known_mean().unwrap_or(0.0);
                    match s.num(i, M::idle_cost_per_month) {
                        Some(idle) if has_idle => {
                            bar.busy = (t - idle).max(0.0);
                            bar.idle = idle.min(t);
                        }
                        _ => bar.other = t,
                    }
                }
            }
            bars.push(bar);
        }
        let endpoints_only = (0..s.rows.len()).all(|i| run.is_endpoint_row(i));
        let title = match (run.is_sweep(), endpoints_only) {
            (true, true) => "Cost per month by setting: busy and idle instance time",
            (false, true) => "Cost per month by endpoint: busy and idle instance time",
            (true, false) => "Cost per month by setting: busy, idle and provisioning node time",
            (false, false) => {
                "Cost per month by compute target: busy, idle and provisioning node time"
            }
        };
        let all_endpoints = !bars.is_empty() && (0..s.rows.len()).all(|i| run.is_endpoint_row(i));
        let names = if all_endpoints {
            [
                "busy (serving requests)",
                "idle capacity (no request)",
                "",
                "fixed and other",
            ]
        } else if split_from_hours {
            [
                "busy (running jobs)",
                "idle",
                "provisioning",
                "fixed and other",
            ]
        } else {
            [
                "running jobs and fixed costs",
                "idle and provisioning",
                "",
                "cost (not split: columns missing)",
            ]
        };
        let svg = charts::cost_chart(&bars, names, &self.category_desc(), title)?;
        let caption = if split_from_hours {
            "Bars are cost_per_month_usd (the figure above each bar; whiskers: its 95% CI). The parts are busy_node_hours, idle_node_hours and provisioning_node_hours × price_usd_per_hour × 730 h / (horizon_s − warmup_s), the scaling behind cost_per_month_usd; any remainder (fixed costs) is shown as \"fixed and other\".".to_string()
        } else {
            "Bars are cost_per_month_usd (whiskers: its 95% CI). Node-hour columns, prices or the horizon are missing from summary.csv, so a bar is split only into idle_cost_per_month_usd (idle and provisioning together) and the rest, where that column exists.".to_string()
        };
        let caption = if (0..s.rows.len()).any(|i| run.is_endpoint_row(i)) {
            format!(
                "{caption} An endpoint's bar is split into its idle capacity (idle_cost_per_month_usd: instance time without a request) and the rest (busy)."
            )
        } else {
            caption
        };
        let caption = if batch_rows {
            format!(
                "{caption} Batch endpoints have no bar: their jobs' node time is in their cluster's bar (their own cost_usd, in the tables, is that share)."
            )
        } else {
            caption
        };
        let caption = match note {
            Some(n) => format!("{caption} {n}"),
            None => caption,
        };
        self.push_chart(Chart {
            file: "cost.svg".into(),
            title: title.into(),
            caption,
            svg,
        });
        Ok(())
    }

    fn nodes_charts(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let path = run.dir.join(schema::timeseries::FILE.name);
        if !path.is_file() {
            self.blocks.push(Block::Missing(
                "No nodes-over-time chart: timeseries.csv is missing from the output folder."
                    .into(),
            ));
            return Ok(());
        }
        let start = self
            .opts
            .window_start_s
            .unwrap_or_else(|| run.simulated.warmup_s.unwrap_or(0.0));
        let end = f64::INFINITY;
        let ts = match data::read_timeseries(&path, start, end) {
            Ok(ts) => ts,
            Err(e) => {
                self.blocks
                    .push(Block::Missing(format!("No nodes-over-time chart: {e:#}.")));
                return Ok(());
            }
        };
        if ts.missing_columns.len() == 4 {
            self.blocks.push(Block::Missing(format!(
                "No nodes-over-time chart: timeseries.csv has none of the columns {}.",
                ts.missing_columns.join(", ")
            )));
            return Ok(());
        }
        let day = 86_400.0;
        let variant_note = if run.is_sweep() {
            let params = run.params_long(&run.summary, 0);
            format!("setting #0 ({params}), ")
        } else {
            String::new()
        };
        for t in &run.targets {
            let series = ts.series.iter().find(|s| &s.target == t);
            let samples = series.map_or(&[][..], |s| &s.samples[..]);
            if samples.is_empty() {
                let why = if start >= ts.end_s && ts.end_s > 0.0 {
                    format!(
                        "the window starts at day {:.1}, after the time series ends (day {:.1})",
                        start / day,
                        ts.end_s / day
                    )
                } else {
                    "timeseries.csv holds no samples of this target in the window".into()
                };
                self.blocks.push(Block::Missing(format!(
                    "No nodes-over-time chart for {t}: {why}."
                )));
                continue;
            }
            // A week of 5-minute steps drawn side by side reads as a picket fence: fold every
            // observed week into the 168 hours of one, with means and peaks.
            let from = run.simulated.warmup_s.unwrap_or(0.0).max(start);
            let Some(hours) = profile::hour_of_week(samples, from) else {
                self.blocks.push(Block::Missing(format!(
                    "No hour-of-week profile for {t}: timeseries.csv holds no sample after the warm-up."
                )));
                continue;
            };
            let endpoint = run.summary_rows(t).iter().any(|&r| run.is_endpoint_row(r));
            let words = if endpoint {
                profile::ENDPOINT_WORDS
            } else {
                profile::CLUSTER_WORDS
            };
            let weeks = (samples.last().map_or(from, |x| x.t) - from) / (7.0 * day);
            let title = format!(
                "{} by hour of the week — {t}: billed and busy, mean and peak, and the queue",
                words.units
            );
            let svg = profile::profile_chart(&hours, words, &title)?;
            let mut caption = format!(
                "One replication ({variant_note}replication 0) from timeseries.csv, after the warm-up: its {} weeks folded into one, each sample counted in its hour of the week. The shaded areas are the mean {} billed (nodes_allocated) and, inside them, busy (nodes_busy); the black line is the peak billed in that hour; red lines are the mean and peak {} (queue_jobs, right axis). Other replications differ: the tables give the averages.",
                trim_num(weeks.max(0.0)),
                words.units.to_lowercase(),
                words.queued
            );
            if !ts.missing_columns.is_empty() {
                caption.push_str(&format!(
                    " Missing columns, drawn as zero: {}.",
                    ts.missing_columns.join(", ")
                ));
            }
            let file = chart_file("nodes", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption,
                svg,
            });
        }
        Ok(())
    }

    /// p50, p95 and p99 latency of every endpoint row, with its 429 share under its name.
    fn latency_chart(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        let rows: Vec<usize> = (0..s.rows.len())
            .filter(|&i| run.is_endpoint_row(i))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let (shown, note) = self.shown_rows(rows, MAX_BARS);
        let groups: Vec<WaitGroup> = shown
            .into_iter()
            .map(|i| {
                let r = s.est(i, M::rejected_429_share);
                let mut label = self.row_label(i);
                if let Some(m) = r.known_mean() {
                    label.push_str(&format!(" (429: {})", percent(m)));
                }
                WaitGroup {
                    label,
                    p50: s.est(i, M::latency_p50),
                    p95: s.est(i, M::latency_p95),
                    p99: s.est(i, M::latency_p99),
                }
            })
            .collect();
        if groups.iter().all(|g| {
            g.p50.known_mean().is_none()
                && g.p95.known_mean().is_none()
                && g.p99.known_mean().is_none()
        }) {
            self.blocks.push(Block::Missing(
                "No latency chart: no endpoint served a request within the observed window.".into(),
            ));
            return Ok(());
        }
        let title = if run.is_sweep() {
            "Request latency: p50, p95 and p99 by setting (429 share in brackets)"
        } else {
            "Request latency: p50, p95 and p99 by endpoint (429 share in brackets)"
        };
        let x_desc = if run.is_sweep() {
            self.category_desc()
        } else {
            "Endpoint".to_string()
        };
        let svg =
            charts::percentile_chart(&groups, &x_desc, title, charts::Percentiles::LatencyMs)?;
        self.push_chart(Chart {
            file: "latency.svg".into(),
            title: title.into(),
            caption: format!(
                "latency_p50_ms, latency_p95_ms and latency_p99_ms of served requests (wait for a slot plus service), each computed over one replication and averaged over replications; whiskers are 95% CIs. The share in brackets is rejected_429_share. {}",
                note.unwrap_or_default()
            )
            .trim_end()
            .to_string(),
            svg,
        });
        Ok(())
    }

    fn waits_chart(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        let job_rows: Vec<usize> = (0..s.rows.len())
            .filter(|&i| !run.is_endpoint_row(i))
            .collect();
        if job_rows.is_empty() {
            return Ok(());
        }
        let (shown, note) = self.shown_rows(job_rows, MAX_BARS);
        let groups: Vec<WaitGroup> = shown
            .into_iter()
            .map(|i| WaitGroup {
                label: self.row_label(i),
                p50: s.est(i, M::wait_p50),
                p95: s.est(i, M::wait_p95),
                p99: s.est(i, M::wait_p99),
            })
            .collect();
        if groups.iter().all(|g| {
            g.p50.known_mean().is_none()
                && g.p95.known_mean().is_none()
                && g.p99.known_mean().is_none()
        }) {
            self.blocks.push(Block::Missing(
                "No wait-time chart: the wait percentiles (wait_p50_s, wait_p95_s, wait_p99_s) are empty or missing — no job started within the observed window.".into(),
            ));
            return Ok(());
        }
        let title = if run.is_sweep() {
            "Wait before a job starts: p50, p95 and p99 by setting"
        } else {
            "Wait before a job starts: p50, p95 and p99 by compute target"
        };
        let svg = charts::waits_chart(&groups, &self.category_desc(), title)?;
        self.push_chart(Chart {
            file: "waits.svg".into(),
            title: title.into(),
            caption: format!("{} {}", "wait_p50_s, wait_p95_s and wait_p99_s: each percentile is computed over one replication's jobs, then averaged over replications; whiskers are the 95% CIs of those means. The CSVs hold no per-job waits, so no distribution curve is drawn.", note.unwrap_or_default())
                .trim_end()
                .to_string(),
            svg,
        });
        Ok(())
    }

    fn tradeoff_charts(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let Some(tr) = &run.tradeoff else {
            self.blocks.push(Block::Missing(
                "No cost-against-wait chart: tradeoff.csv is missing from the output folder."
                    .into(),
            ));
            return Ok(());
        };
        let goal = run.goal();
        for t in &run.targets {
            // Online endpoints: cost against the goal's latency (else p95), read from
            // summary.csv in seconds, with that latency's bound as the goal line.
            let endpoint = run
                .summary_rows(t)
                .first()
                .is_some_and(|&r| run.is_endpoint_row(r));
            let latency = [
                (
                    M::latency_p50,
                    "p50 latency",
                    goal.as_ref().and_then(|g| g.latency_p50_ms),
                ),
                (
                    M::latency_p95,
                    "p95 latency",
                    goal.as_ref().and_then(|g| g.latency_p95_ms),
                ),
                (
                    M::latency_p99,
                    "p99 latency",
                    goal.as_ref().and_then(|g| g.latency_p99_ms),
                ),
            ]
            .into_iter()
            .find(|l| l.2.is_some())
            .unwrap_or((M::latency_p95, "p95 latency", None));
            let points: Vec<TradeoffPoint> = run
                .tradeoff_rows(t)
                .into_iter()
                .map(|i| {
                    let variant = run.variant_of(tr, i);
                    let wait_p95 = if endpoint {
                        run.summary_row(&variant, t)
                            .map(|r| {
                                let e = run.summary.est(r, latency.0);
                                Estimate {
                                    mean: e.mean / 1000.0,
                                    ci95: e.ci95 / 1000.0,
                                    n: 0,
                                }
                            })
                            .unwrap_or_default()
                    } else {
                        tr.est(i, trade::WAIT_P95_S)
                    };
                    TradeoffPoint {
                        variant,
                        cost: tr.est(i, trade::COST_PER_MONTH_USD),
                        wait_p95,
                        pareto: tr.flag(i, trade::PARETO_OPTIMAL).as_deref() == Some("yes"),
                        recommended: tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"),
                    }
                })
                .collect();
            if endpoint {
                let title = format!("Cost against {} by setting — {t}", latency.1);
                let svg = charts::tradeoff_chart(
                    latency.1,
                    &points,
                    latency.2.map(|ms| ms / 1000.0),
                    goal.as_ref().and_then(|g| g.budget_per_month_usd),
                    &title,
                )?;
                let file = chart_file("tradeoff", t, &self.charts);
                self.push_chart(Chart {
                    file,
                    title,
                    caption: format!("Each point is a setting (tradeoff.csv: cost_per_month_usd; summary.csv: {}, bars: their _ci95). The line joins the Pareto-optimal settings (pareto_optimal = yes: no other is both cheaper and faster); the ring marks the recommended setting (recommended = yes); the dashed line is the [goal] of scenario.toml. Labels are setting numbers (#0 is the baseline).", latency.0.name()),
                    svg,
                });
                continue;
            }
            if points
                .iter()
                .all(|p| p.cost.known_mean().is_none() || p.wait_p95.known_mean().is_none())
            {
                self.blocks.push(Block::Missing(format!(
                    "No cost-against-wait chart for {t}: tradeoff.csv has no setting with both a cost and a p95 wait (no job started?)."
                )));
                continue;
            }
            let title = format!("Cost against p95 wait by setting — {t}");
            let svg = charts::tradeoff_chart(
                "p95 wait",
                &points,
                goal.as_ref().and_then(|g| g.wait_p95_s),
                goal.as_ref().and_then(|g| g.budget_per_month_usd),
                &title,
            )?;
            let file = chart_file("tradeoff", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption: "Each point is a setting (tradeoff.csv: cost_per_month_usd and wait_p95_s, bars: their _ci95). The line joins the Pareto-optimal settings (pareto_optimal = yes: no other is both cheaper and faster); the ring marks the recommended setting (recommended = yes); the dashed line is the [goal] of scenario.toml. Labels are setting numbers (#0 is the baseline).".into(),
                svg,
            });
        }
        Ok(())
    }

    fn heatmaps(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        if run.axes.len() != 2 {
            let names: Vec<&str> = run.axes.iter().map(|a| a.short()).collect();
            self.blocks.push(Block::P(vec![text(format!(
                "A heat map is drawn when exactly two parameters are swept; this sweep has {}{}.",
                plural(run.axes.len(), "axis", "axes"),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", names.join(", "))
                }
            ))]));
            return Ok(());
        }
        let (ra, ca) = (&run.axes[0], &run.axes[1]);
        let s = &run.summary;
        for t in &run.targets {
            let mut cells: Vec<HeatCell> = vec![];
            let mut clash = false;
            for i in run.summary_rows(t) {
                let rv = s.str(i, schema::parameter_name(&ra.path)).unwrap_or("");
                let cv = s.str(i, schema::parameter_name(&ca.path)).unwrap_or("");
                let (Some(row), Some(col)) = (
                    ra.values.iter().position(|v| v == rv),
                    ca.values.iter().position(|v| v == cv),
                ) else {
                    continue;
                };
                if cells.iter().any(|c| c.row == row && c.col == col) {
                    clash = true;
                }
                let v = run.variant_of(s, i);
                let recommended = run.tradeoff.as_ref().is_some_and(|tr| {
                    (0..tr.rows.len()).any(|r| {
                        tr.str(r, trade::TARGET) == Some(t.as_str())
                            && run.variant_of(tr, r) == v
                            && tr.flag(r, trade::RECOMMENDED).as_deref() == Some("yes")
                    })
                });
                cells.push(HeatCell {
                    row,
                    col,
                    cost: s.num(i, M::cost_per_month),
                    wait_p95_s: s.num(i, M::wait_p95),
                    recommended,
                });
            }
            if clash {
                self.blocks.push(Block::Missing(format!(
                    "No heat map for {t}: several settings share a ({}, {}) pair.",
                    ra.short(),
                    ca.short()
                )));
                continue;
            }
            let title = format!("Cost per month by {} and {} — {t}", ra.short(), ca.short());
            let (cells, row_values, col_values, note) =
                topn::heat_top(&cells, &ra.values, &ca.values);
            let axes = HeatAxes {
                row_name: ra.short(),
                row_values: &row_values,
                col_name: ca.short(),
                col_values: &col_values,
            };
            let svg = charts::heatmap_chart(&axes, &cells, &title)?;
            let file = chart_file("heatmap", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption: format!(
                    "cost_per_month_usd of each setting (darker costs more), with its wait_p95_s below; rows are {}, columns {}. The outlined cell is the recommended setting.{}",
                    ra.path,
                    ca.path,
                    note.map(|n| format!(" {n}")).unwrap_or_default()
                ),
                svg,
            });
        }
        Ok(())
    }

    fn assumptions(&mut self) {
        let run = self.run;
        let s = &run.summary;
        self.blocks.push(Block::H2(
            "Assumptions and how to reproduce".into(),
            "assumptions".into(),
        ));
        let mut items: Vec<Para> = vec![];
        // Prices, one line per distinct (target, size, tier, price, source).
        let mut seen: Vec<String> = vec![];
        for i in 0..s.rows.len() {
            let cell = |c: schema::Column| s.str(i, c).unwrap_or("").to_string();
            let key = format!(
                "{}|{}|{}|{}|{}",
                cell(sum::TARGET),
                cell(sum::SIZE),
                cell(sum::TIER),
                cell(sum::PRICE_USD_PER_HOUR),
                cell(sum::PRICE_SOURCE)
            );
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let price = s
                .str(i, sum::PRICE_USD_PER_HOUR)
                .filter(|p| !p.is_empty())
                .map_or("an unknown price".to_string(), |p| {
                    format!("${p} per node-hour")
                });
            let source = s
                .str(i, sum::PRICE_SOURCE)
                .filter(|p| !p.is_empty())
                .unwrap_or("not recorded");
            items.push(vec![
                strong(format!("Price, {}: ", cell(sum::TARGET))),
                text(format!(
                    "{} ({}) at {price}; source: {source}.",
                    cell(sum::SIZE),
                    cell(sum::TIER)
                )),
            ]);
        }
        for t in &run.targets {
            let swept = run
                .axes
                .iter()
                .any(|a| a.path.ends_with("provisioning_time"));
            let facts = run.target_facts(t);
            let written = facts.and_then(|f| f.provisioning_time.as_deref());
            let ty = facts
                .map(|f| f.type_name.as_str())
                .or_else(|| {
                    run.summary_rows(t)
                        .first()
                        .and_then(|&r| s.str(r, sum::TARGET_TYPE))
                })
                .unwrap_or("");
            let what = match (written, run.facts().is_some()) {
                (Some(w), _) => format!("{w} (from the scenario)"),
                (None, true) if ty == "amlcompute" => format!(
                    "not set, so capsim's assumption applies: lognormal, median {}, p95 {}",
                    duration(crate::targets::defaults::ASSUMED_PROVISIONING_MEDIAN_S),
                    duration(crate::targets::defaults::ASSUMED_PROVISIONING_P95_S)
                ),
                (None, true) => "not set: capsim's default for this target type applies".into(),
                (None, false) => "unknown (run.json does not record it)".into(),
            };
            let endpoint = matches!(ty, "managed_online" | "kubernetes_online")
                || run.summary_rows(t).iter().any(|&r| run.is_endpoint_row(r));
            items.push(vec![
                strong(format!("Provisioning time, {t}: ")),
                text(format!(
                    "{what}{}. {}",
                    if swept { "; swept in this run" } else { "" },
                    if endpoint {
                        "Azure publishes no figure for the time from an autoscale decision to a new instance serving requests: this is an assumption to calibrate against your endpoint's scale-out history."
                    } else {
                        "Azure publishes no figure for the time from requesting a node to its running a job: this is an assumption to calibrate against your cluster's scale-up history."
                    }
                )),
            ]);
        }
        // What each workload offers, as run.json records it: the mean a duration distribution
        // implies is not its median, and users read the median.
        for f in run.facts().map_or(&[][..], |f| &f.workloads[..]) {
            items.push(vec![
                strong(format!("Offered load, {} on {}: ", f.name, f.target)),
                text(format!(
                    "{}{}, as the scenario's rates and distributions imply before any simulation.",
                    f.sentence(),
                    if run.axes.is_empty() {
                        ""
                    } else {
                        " (in the first setting)"
                    }
                )),
            ]);
        }
        let info = &run.simulated;
        let fd = crate::text::format_duration;
        if run.facts().is_some_and(|f| f.warmup_auto) {
            items.push(vec![
                strong("Warm-up: "),
                text("chosen before the run by MSER-5 on the wait and latency series averaged over 20 pilot replications (warmup = \"auto\"); the period below counts it as 0."),
            ]);
        }
        if let Some(h) = info.horizon_s {
            let w = info.warmup_s.unwrap_or(0.0);
            items.push(vec![
                strong("Simulated period: "),
                text(format!(
                    "{} per replication, of which the first {} is warm-up; the statistics cover the {} after it.",
                    fd(h),
                    fd(w),
                    fd(h - w)
                )),
            ]);
        }
        if let Some(d) = &info.start_date {
            items.push(vec![
                strong("Start date: "),
                text(format!(
                    "{d} (the calendar date of time zero, used for VM retirement checks; daily and weekly profiles start on a Monday at 00:00)."
                )),
            ]);
        }
        let reps = info.replications.map(|r| r as u64);
        items.push(vec![
            strong("Seed and replications: "),
            text(format!(
                "seed {}, {} independent replications; confidence intervals are Student t with replications − 1 degrees of freedom.",
                info.seed.as_deref().unwrap_or("unknown"),
                reps.map_or("an unknown number of".to_string(), |r| r.to_string())
            )),
        ]);
        if let Some(g) = self.goal_text() {
            items.push(vec![
                strong("Goal: "),
                text(format!(
                    "{g} (the [goal] of scenario.toml; a setting meets it when its whole 95% interval does)."
                )),
            ]);
        } else if run.facts().is_none() {
            items.push(vec![
                strong("Goal: "),
                text("unknown (run.json does not record the scenario's [goal])."),
            ]);
        }
        if !run.fixed.is_empty() {
            let f: Vec<String> = run
                .fixed
                .iter()
                .map(|(p, v)| format!("{p} = {v}"))
                .collect();
            items.push(vec![
                strong("Set for this run: "),
                text(format!("{}.", f.join(", "))),
            ]);
        }
        items.extend(self.overrides());
        items.push(vec![
            strong("capsim version: "),
            text(format!(
                "this report was written by capsim {}; the CSV files do not record the version that ran the simulation.",
                env!("CARGO_PKG_VERSION")
            )),
        ]);
        let files: Vec<&str> = [
            sum::FILE.name,
            trade::FILE.name,
            schema::timeseries::FILE.name,
            schema::replications::FILE.name,
            "scenario.toml",
        ]
        .into_iter()
        .filter(|f| run.dir.join(f).is_file())
        .collect();
        items.push(vec![
            strong("Files read: "),
            text(format!("{}.", files.join(", "))),
        ]);
        for n in &run.notes {
            items.push(vec![strong("Note: "), text(n.clone())]);
        }
        self.blocks.push(Block::List(items));
        match &run.scenario_text {
            Some(src) => {
                self.blocks.push(Block::H3("The scenario, verbatim".into()));
                // A folder of this capsim holds the scenario as run, the command line's edits
                // written in; an older one holds the file as given.
                let options = if run.facts().is_some() {
                    "the command line's options are written into it"
                } else {
                    "with the options listed above, if any"
                };
                self.blocks.push(Block::P(vec![
                    text("Save it as a file and run "),
                    code("capsim run FILE"),
                    text(format!(
                        " to reproduce these results ({options}); files it names, such as price lists or traces, are relative to it."
                    )),
                ]));
                self.blocks.push(Block::Pre {
                    lang: "toml".into(),
                    text: src.clone(),
                });
            }
            None => self.blocks.push(Block::Missing(
                "scenario.toml is missing from the output folder, so the scenario cannot be shown."
                    .into(),
            )),
        }
    }

    /// Command-line options: a folder of this capsim holds them in scenario.toml (the file with
    /// the command line's edits), one of an older capsim does not say what they were.
    fn overrides(&self) -> Vec<Para> {
        if self.run.facts().is_some() {
            return vec![];
        }
        vec![vec![
            strong("Command-line options: "),
            text(
                "unknown (run.json does not record how the run's seed, replications and horizon relate to the file's).",
            ),
        ]]
    }
}

/// `3`, `7.5`.
fn trim_num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::runinfo::{RunInfo, ScenarioFacts, Status, TargetFacts};
    use crate::scenario::sweep::Goal;

    /// A folder with a one-row summary.csv, the scenario's text and `info` as run.json.
    fn folder(info: &RunInfo) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let header = sum::FILE.header(&[]);
        let cell = |c: &str| match c {
            "scenario" => "q",
            "variant" => "0",
            "target" => "gpu-cluster",
            "target_type" => "amlcompute",
            "replications" => "3",
            "seed" => "5",
            "horizon_s" => "172800",
            "warmup_s" => "3600",
            "cost_per_month_usd" => "100",
            _ => "",
        };
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(&header).unwrap();
        w.write_record(header.iter().map(|c| cell(c))).unwrap();
        std::fs::write(dir.path().join(sum::FILE.name), w.into_inner().unwrap()).unwrap();
        // Everything the report states about the scenario is in this text too: it must come
        // from run.json all the same.
        std::fs::write(
            dir.path().join("scenario.toml"),
            "name = \"q\"\nseed = 42\n[[compute]]\nname = \"gpu-cluster\"\ntype = \"amlcompute\"\n\
             provisioning_time = { dist = \"lognormal\", median = \"4m\", p95 = \"8m\" }\n\
             [goal]\nwait_p95 = \"5m\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("run.json"), info.to_json()).unwrap();
        dir
    }

    fn run_json(scenario: Option<ScenarioFacts>) -> RunInfo {
        let mut info = RunInfo::start(Path::new("q.toml"), "");
        info.finish(Status::Complete);
        info.scenario = scenario;
        info
    }

    #[test]
    fn the_scenario_is_stated_from_run_json() {
        let facts = ScenarioFacts {
            description: Some("Two teams".into()),
            horizon_s: 172_800.0,
            warmup_s: 3600.0,
            goal: Some(Goal {
                wait_p95_s: Some(600.0),
                ..Goal::default()
            }),
            targets: vec![TargetFacts {
                name: "gpu-cluster".into(),
                type_name: "amlcompute".into(),
                provisioning_time: Some("constant, value 90s".into()),
            }],
            ..Default::default()
        };
        let dir = folder(&run_json(Some(facts)));
        let r = build_report(dir.path(), &ReportOptions::default()).unwrap();
        let md = &r.markdown;
        assert!(md.contains("Two teams "), "{md}");
        assert!(md.contains("gpu-cluster:** constant, value 90s (from the scenario)"));
        assert!(md.contains("p95 wait ≤ 10.0 min"), "{md}");
        assert!(!md.contains("Command-line options"), "{md}");
        assert!(!md.contains("does not record"), "{md}");
    }

    #[test]
    fn a_run_json_of_an_older_capsim_makes_the_scenario_unknown() {
        let dir = folder(&run_json(None));
        let r = build_report(dir.path(), &ReportOptions::default()).unwrap();
        let md = &r.markdown;
        assert!(md.contains("gpu-cluster:** unknown (run.json does not record it)"));
        assert!(md.contains("**Goal:** unknown"), "{md}");
        assert!(md.contains("**Command-line options:** unknown"));
        assert!(md.contains("older capsim"));
        assert!(!md.contains("(from the scenario)"));

        std::fs::remove_file(dir.path().join("run.json")).unwrap();
        let r = build_report(dir.path(), &ReportOptions::default()).unwrap();
        assert!(r.markdown.contains("run.json is missing"));
        assert!(r.markdown.contains("gpu-cluster:** unknown"));
    }
}
