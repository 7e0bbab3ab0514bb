//! The report of a `capsim size` folder: the recommendation, every candidate size with its
//! instance count, latency, 429 share and monthly cost (or why it was rejected), and a chart of
//! monthly cost per candidate with its p95 latency. Every number comes from `sizing.csv`.

use super::charts::{self, Chart, CostBar};
use super::data::{Est, Table as Csv};
use super::render::{Block, Doc, Para, Table, TableRow, strong, text};
use crate::text::format::*;
use std::path::Path;

/// A sizing report in memory.
pub struct SizingReport {
    pub html: String,
    pub markdown: String,
    pub charts: Vec<Chart>,
}

fn est(t: &Csv, row: usize, col: &str) -> Est {
    Est {
        mean: t.num(row, col),
        ci: t.num(row, &format!("{col}_ci95")),
    }
}

fn verdict_words(v: &str) -> &str {
    match v {
        "recommended" => "recommended",
        "meets_goal" => "meets the goal",
        "too_little_memory" => "too little memory",
        "too_little_gpu_memory" => "too little GPU memory",
        "retired" => "retired series",
        "no_price" => "no price",
        "too_slow" => "too slow for the SLO",
        "over_instance_limit" => "over the instance limit",
        "invalid" => "invalid with this scenario",
        "nothing_served" => "served no request",
        "over_budget" => "over budget",
        other => other,
    }
}

/// Builds the report of the folder `dir`, which holds `sizing.csv`.
pub fn build(dir: &Path) -> anyhow::Result<SizingReport> {
    let t = Csv::read(&dir.join("sizing.csv"))?;
    let rows: Vec<usize> = (0..t.rows.len()).collect();
    let s = |r: usize, c: &str| t.str(r, c).unwrap_or("").to_string();
    let endpoint = rows.first().map(|&r| s(r, "endpoint")).unwrap_or_default();
    let scenario = rows.first().map(|&r| s(r, "scenario")).unwrap_or_default();
    let pct = rows
        .first()
        .and_then(|&r| t.num(r, "percentile"))
        .unwrap_or(95.0);
    let lat_col = format!("latency_p{}_ms", pct.round() as u32);
    let lat_col = if t.has(&lat_col) {
        lat_col
    } else {
        "latency_p95_ms".to_string()
    };
    let mut blocks = vec![Block::H2("Headline".into(), "headline".into())];
    let rec = rows
        .iter()
        .copied()
        .find(|&r| s(r, "verdict") == "recommended");
    let mut head: Vec<Para> = vec![];
    match rec {
        Some(r) => {
            let cost = est(&t, r, "cost_per_30d_usd");
            let lat = est(&t, r, &lat_col);
            let share = est(&t, r, "rejected_429_share");
            head.push(vec![
                text(format!("Deploy {endpoint} on ")),
                strong(format!("{} × {}", s(r, "instances"), s(r, "size"))),
                text(": "),
                strong(usd_ci(cost.mean, cost.ci)),
                text(" per month, p"),
                text(format!("{} latency ", pct.round())),
                strong(millis_ci(lat.mean, lat.ci)),
                text(format!(
                    " (SLO {} ms), {} of requests rejected with 429 (limit {}).",
                    s(r, "latency_slo_ms"),
                    percent_ci(share.mean, share.ci),
                    t.num(r, "max_429_share").map_or("-".into(), percent)
                )),
            ]);
            if let Some(saving) = t.num(r, "autoscale_saving_per_30d_usd") {
                head.push(vec![text(format!(
                    "With autoscale between {} and {} instances, up to {} per month less (an upper bound: instant scaling).",
                    s(r, "autoscale_min_instances"),
                    s(r, "autoscale_max_instances"),
                    usd(saving)
                ))]);
            }
        }
        None => head.push(vec![strong(
            "No candidate size meets the goal: see why each was rejected below.",
        )]),
    }
    head.push(vec![text(
        "Scale up first: only sizes with enough memory and a single-request latency within the SLO are kept; then scale out: the smallest instance count that meets the SLO and the 429 limit at the peak load, estimated with an M/M/c/K queue and confirmed by simulation.",
    )]);
    blocks.push(Block::Callout(head));

    blocks.push(Block::H2("Candidates".into(), "candidates".into()));
    let header: Vec<String> = [
        "Size",
        "Verdict",
        "Instances",
        "Latency (SLO percentile)",
        "p99",
        "429 share",
        "Cost / month",
        "Why",
    ]
    .map(String::from)
    .to_vec();
    let table_rows: Vec<TableRow> = rows
        .iter()
        .map(|&r| {
            let lat = est(&t, r, &lat_col);
            let p99 = est(&t, r, "latency_p99_ms");
            let share = est(&t, r, "rejected_429_share");
            let cost = est(&t, r, "cost_per_30d_usd");
            TableRow {
                cells: vec![
                    s(r, "size"),
                    verdict_words(&s(r, "verdict")).to_string(),
                    s(r, "instances"),
                    millis_ci(lat.mean, lat.ci),
                    millis_ci(p99.mean, p99.ci),
                    percent_ci(share.mean, share.ci),
                    usd_ci(cost.mean, cost.ci),
                    s(r, "reason"),
                ],
                highlight: s(r, "verdict") == "recommended",
            }
        })
        .collect();
    blocks.push(Block::Table(Table {
        caption: Some(format!(
            "Every candidate of sizing.csv; latency is {lat_col}, means over replications ± 95% CI."
        )),
        header,
        numeric: vec![false, false, true, true, true, true, true, false],
        rows: table_rows,
    }));

    blocks.push(Block::H2("Charts".into(), "charts".into()));
    let mut out_charts = vec![];
    let costed: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&r| t.num(r, "cost_per_30d_usd").is_some())
        .collect();
    if costed.is_empty() {
        blocks.push(Block::Missing(
            "No sizing chart: no candidate was simulated (cost_per_30d_usd is empty everywhere)."
                .into(),
        ));
    } else {
        let bars: Vec<CostBar> = costed
            .iter()
            .map(|&r| {
                let total = est(&t, r, "cost_per_30d_usd");
                let m = total.mean.unwrap_or(0.0);
                let lat = t
                    .num(r, &lat_col)
                    .map_or("-".to_string(), |x| format!("{} ms", number(x)));
                let mut bar = CostBar {
                    label: format!("{} × {} ({lat})", s(r, "size"), s(r, "instances")),
                    busy: 0.0,
                    idle: 0.0,
                    provisioning: 0.0,
                    other: 0.0,
                    total,
                };
                match s(r, "verdict").as_str() {
                    "recommended" => bar.busy = m,
                    "meets_goal" => bar.idle = m,
                    _ => bar.other = m,
                }
                bar
            })
            .collect();
        let title = format!(
            "Monthly cost per candidate size and instance count (p{} latency in brackets)",
            pct.round()
        );
        let svg = charts::cost_chart(
            &bars,
            ["recommended", "meets the goal", "", "fails the goal"],
            "Candidate: size × instances (latency)",
            &title,
        )?;
        let chart = Chart {
            file: "sizing.svg".into(),
            title: title.clone(),
            caption: format!(
                "cost_per_30d_usd of each simulated candidate at its instance count (whiskers: 95% CI), coloured by verdict; {lat_col} in brackets."
            ),
            svg,
        };
        blocks.push(Block::Figure {
            path: "charts/sizing.svg".into(),
            title: chart.title.clone(),
            svg: chart.svg.clone(),
            caption: chart.caption.clone(),
        });
        out_charts.push(chart);
    }

    blocks.push(Block::H2("Assumptions".into(), "assumptions".into()));
    let first = rows.first().copied();
    let mut list: Vec<Para> = vec![];
    if let Some(r) = first {
        list.push(vec![text(format!(
            "Peak load {} requests/s; SLO {} ms at p{}; at most {} rejected with 429.",
            s(r, "peak_rate_per_second"),
            s(r, "latency_slo_ms"),
            pct.round(),
            t.num(r, "max_429_share").map_or("-".into(), percent)
        ))]);
        list.push(vec![text(format!(
            "Seed {}, {} replications per simulated point; prices per hour as in sizing.csv (price_usd_per_hour).",
            s(r, "seed"),
            s(r, "replications")
        ))]);
    }
    list.push(vec![text(format!(
        "capsim {}; the scenario is in scenario.toml beside this report: `capsim size scenario.toml` reruns it.",
        env!("CARGO_PKG_VERSION")
    ))]);
    blocks.push(Block::List(list));
    let doc = Doc {
        title: format!("Sizing report: {scenario}"),
        subtitle: vec![text(format!("Endpoint {endpoint}"))],
        blocks,
    };
    Ok(SizingReport {
        html: super::render::to_html(&doc),
        markdown: super::render::to_markdown(&doc),
        charts: out_charts,
    })
}
