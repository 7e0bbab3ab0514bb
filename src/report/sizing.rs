//! The report of a `capsim size` folder: the recommendation, every candidate size with its
//! instance count, latency, 429 share and monthly cost (or why it was rejected), and a chart of
//! monthly cost per candidate with its p95 latency. Every number comes from `sizing.csv`.

use super::charts::{self, Chart, CostBar};
use super::data::Table as Csv;
use super::render::{Block, Doc, Para, Table, TableRow, strong, text};
use crate::output::schema::{self, sizing as col};
use crate::text::format::*;
use std::path::Path;

/// A sizing report in memory.
pub struct SizingReport {
    pub html: String,
    pub markdown: String,
    pub charts: Vec<Chart>,
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
    let t = Csv::read(&dir.join(col::FILE.name))?;
    // What a budget compares: the recommendation, the others that meet the goal, the rest, each
    // by monthly cost (none last); a stable sort keeps sizing.csv's order among equals.
    let mut rows: Vec<usize> = (0..t.rows.len()).collect();
    let group = |r: usize| match t.str(r, col::VERDICT).unwrap_or("") {
        "recommended" => 0,
        "meets_goal" => 1,
        _ => 2,
    };
    let cost = |r: usize| t.num(r, col::COST_PER_MONTH_USD).unwrap_or(f64::INFINITY);
    rows.sort_by(|&a, &b| group(a).cmp(&group(b)).then(cost(a).total_cmp(&cost(b))));
    let s = |r: usize, c: schema::Column| t.str(r, c).unwrap_or("").to_string();
    let endpoint = rows
        .first()
        .map(|&r| s(r, col::ENDPOINT))
        .unwrap_or_default();
    let scenario = rows
        .first()
        .map(|&r| s(r, col::SCENARIO))
        .unwrap_or_default();
    let pct = rows
        .first()
        .and_then(|&r| t.num(r, col::PERCENTILE))
        .unwrap_or(95.0);
    let lat_col = col::latency_at(pct.round() as u32)
        .filter(|c| t.has(c))
        .unwrap_or(col::LATENCY_P95_MS)
        .name;
    let mut blocks = vec![Block::H2("Headline".into(), "headline".into())];
    let rec = rows
        .iter()
        .copied()
        .find(|&r| s(r, col::VERDICT) == "recommended");
    let mut head: Vec<Para> = vec![];
    match rec {
        Some(r) => {
            let cost = t.est(r, col::COST_PER_MONTH_USD);
            let lat = t.est(r, lat_col);
            let share = t.est(r, col::REJECTED_429_SHARE);
            head.push(vec![
                text(format!("Deploy {endpoint} on ")),
                strong(format!("{} × {}", s(r, col::INSTANCES), s(r, col::SIZE))),
                text(": "),
                strong(usd_ci(cost.known_mean(), cost.known_ci95())),
                text(" per month, p"),
                text(format!("{} latency ", pct.round())),
                strong(millis_ci(lat.known_mean(), lat.known_ci95())),
                text(format!(
                    " (SLO {} ms), {} of requests rejected with 429 (limit {}).",
                    s(r, col::LATENCY_SLO_MS),
                    percent_fine_ci(share.known_mean(), share.known_ci95()),
                    t.num(r, col::MAX_429_SHARE)
                        .map_or("-".into(), percent_fine)
                )),
            ]);
            let instances = t.num(r, col::INSTANCES).unwrap_or(0.0);
            let autoscale_min = t.num(r, col::AUTOSCALE_MIN_INSTANCES);
            let ha = crate::sizing::report::AZURE_HA_MIN_INSTANCES as f64;
            if instances < ha || autoscale_min.is_some_and(|m| m < ha) {
                head.push(vec![text(format!(
                    "Azure recommends at least {ha} instances for high availability (production deployments); {} fewer.",
                    if instances < ha {
                        "this recommendation has"
                    } else {
                        "the autoscale minimum below has"
                    }
                ))]);
            }
            if let Some(saving) = t.num(r, col::AUTOSCALE_SAVING_PER_MONTH_USD) {
                head.push(vec![text(format!(
                    "With autoscale between {} and {} instances, up to {} per month less (an upper bound: instant scaling).",
                    s(r, col::AUTOSCALE_MIN_INSTANCES),
                    s(r, col::AUTOSCALE_MAX_INSTANCES),
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
            let lat = t.est(r, lat_col);
            let p99 = t.est(r, col::LATENCY_P99_MS);
            let share = t.est(r, col::REJECTED_429_SHARE);
            let cost = t.est(r, col::COST_PER_MONTH_USD);
            TableRow {
                cells: vec![
                    s(r, col::SIZE),
                    verdict_words(&s(r, col::VERDICT)).to_string(),
                    s(r, col::INSTANCES),
                    millis_ci(lat.known_mean(), lat.known_ci95()),
                    millis_ci(p99.known_mean(), p99.known_ci95()),
                    percent_fine_ci(share.known_mean(), share.known_ci95()),
                    usd_ci(cost.known_mean(), cost.known_ci95()),
                    s(r, col::REASON),
                ],
                highlight: s(r, col::VERDICT) == "recommended",
            }
        })
        .collect();
    blocks.push(Block::Table(Table {
        caption: Some(format!(
            "Every candidate of sizing.csv, ordered by verdict, then monthly cost; latency is {lat_col}, means over replications ± 95% CI."
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
        .filter(|&r| t.num(r, col::COST_PER_MONTH_USD).is_some())
        .collect();
    if costed.is_empty() {
        blocks.push(Block::Missing(
            "No sizing chart: no candidate was simulated (cost_per_month_usd is empty everywhere)."
                .into(),
        ));
    } else {
        let bars: Vec<CostBar> = costed
            .iter()
            .map(|&r| {
                let total = t.est(r, col::COST_PER_MONTH_USD);
                let m = total.known_mean().unwrap_or(0.0);
                let lat = t
                    .num(r, lat_col)
                    .map_or("-".to_string(), |x| format!("{} ms", number(x)));
                let mut bar = CostBar {
                    label: format!("{} × {} ({lat})", s(r, col::SIZE), s(r, col::INSTANCES)),
                    busy: 0.0,
                    idle: 0.0,
                    provisioning: 0.0,
                    other: 0.0,
                    total,
                };
                match s(r, col::VERDICT).as_str() {
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
                "cost_per_month_usd of each simulated candidate at its instance count (whiskers: 95% CI), coloured by verdict; {lat_col} in brackets."
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
            s(r, col::PEAK_RATE_PER_SECOND),
            s(r, col::LATENCY_SLO_MS),
            pct.round(),
            t.num(r, col::MAX_429_SHARE)
                .map_or("-".into(), percent_fine)
        ))]);
        list.push(vec![text(format!(
            "Seed {}, {} replications per simulated point; prices per hour as in sizing.csv (price_usd_per_hour).",
            s(r, col::SEED),
            s(r, col::REPLICATIONS)
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
