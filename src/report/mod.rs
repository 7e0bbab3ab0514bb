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

mod assumptions;
pub mod backtest;
pub mod charts;
pub mod commitments;
pub mod data;
mod figures;
mod headline;
pub mod png;
pub mod profile;
pub mod render;
pub mod sizing;
mod tables;
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
        if let (Some(r), Some(said)) = (
            run.simulated.replications,
            run.simulated.replications_said(),
        ) {
            facts.push(if run.simulated.replications_max > Some(r) {
                format!("{said} replications per setting")
            } else {
                plural(r as usize, "replication", "replications")
            });
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
