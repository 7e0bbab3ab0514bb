//! The report's backtest section, for a `capsim backtest` folder: `backtest.csv` as a table,
//! and per cluster a chart of the nodes its logs show (`observed_nodes.csv`) against the nodes
//! one replication simulated (`timeseries.csv`).

use super::charts::{self, Chart};
use super::data::{Table, read_timeseries};
use super::render::{Block, Table as DocTable, TableRow, code, text};
use crate::output::schema::{backtest as bt, observed_nodes as on};
use crate::text::format::number;
use std::path::Path;

/// The section's blocks and charts; `None` for a folder without `backtest.csv`.
pub fn section(dir: &Path, taken: &[Chart]) -> anyhow::Result<Option<(Vec<Block>, Vec<Chart>)>> {
    let path = dir.join(bt::FILE.name);
    if !path.is_file() {
        return Ok(None);
    }
    let t = Table::read(&path)?;
    let mut blocks = vec![
        Block::H2(
            "Backtest: the simulation against the logs".into(),
            "backtest".into(),
        ),
        Block::P(vec![
            text(
                "capsim backtest replayed the job history of the Azure Monitor logs against each cluster's own settings, and compared the simulation with what the logs show (",
            ),
            code(bt::FILE.name),
            text("). Error = (simulated − observed) / observed. The scenario it simulated is "),
            code("scenario.toml"),
            text(" below: what-ifs can start from it when the errors are small."),
        ]),
    ];
    let mut rows = vec![];
    for r in 0..t.rows.len() {
        let cell = |c| t.str(r, c).unwrap_or_default().to_string();
        let ci = t.num(r, bt::SIMULATED_CI95);
        let sim = t.num(r, bt::SIMULATED).map_or(String::new(), number);
        let error = t
            .num(r, bt::ERROR_PCT)
            .map_or("—".to_string(), |e| format!("{e:+.1}%"));
        rows.push(TableRow {
            cells: vec![
                cell(bt::TARGET),
                format!("{} ({})", cell(bt::MEASURE), cell(bt::UNIT)),
                t.num(r, bt::OBSERVED).map_or(String::new(), number),
                match ci {
                    Some(c) => format!("{sim} ± {}", number(c)),
                    None => sim,
                },
                error,
                cell(bt::BASIS),
            ],
            highlight: cell(bt::MEASURE) == "node_hours",
        });
    }
    blocks.push(Block::Table(DocTable {
        caption: Some("Observed against simulated (mean ± 95% interval over replications)".into()),
        header: [
            "Target",
            "Measure",
            "Observed",
            "Simulated",
            "Error",
            "Observed from",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, true, true, true, false],
        rows,
    }));
    let mut out_charts = vec![];
    let observed_path = dir.join(on::FILE.name);
    if !observed_path.is_file() {
        blocks.push(Block::Missing(format!(
            "No chart of observed and simulated nodes: {} is missing.",
            on::FILE.name
        )));
        return Ok(Some((blocks, out_charts)));
    }
    let obs = Table::read(&observed_path)?;
    let mut targets: Vec<String> = vec![];
    for r in 0..obs.rows.len() {
        let name = obs.str(r, on::TARGET).unwrap_or_default().to_string();
        if !targets.contains(&name) {
            targets.push(name);
        }
    }
    let ts = read_timeseries(
        &dir.join(crate::output::schema::timeseries::FILE.name),
        0.0,
        f64::INFINITY,
    )
    .ok();
    for target in targets {
        let observed: Vec<(f64, f64)> = (0..obs.rows.len())
            .filter(|&r| obs.str(r, on::TARGET) == Some(target.as_str()))
            .filter_map(|r| Some((obs.num(r, on::TIME_S)?, obs.num(r, on::NODES_OBSERVED)?)))
            .collect();
        let end = observed.last().map_or(0.0, |p| p.0);
        let simulated: Vec<(f64, f64)> = ts
            .as_ref()
            .and_then(|ts| ts.series.iter().find(|s| s.target == target))
            .map(|s| {
                s.samples
                    .iter()
                    .filter_map(|x| Some((x.t, x.allocated?)))
                    .collect()
            })
            .unwrap_or_default();
        // Over more than a few days, node counts that change every few minutes are a blur:
        // hourly means show the same totals.
        let hourly = end > HOURLY_AFTER_S;
        let (observed, simulated) = if hourly {
            (
                means(&observed, end, 3600.0),
                means(&simulated, end, 3600.0),
            )
        } else {
            (observed, simulated)
        };
        let title = format!(
            "Observed and simulated nodes{} — {target}",
            if hourly { ", hourly means" } else { "" }
        );
        let svg = charts::observed_simulated_chart(&observed, &simulated, end, &title)?;
        let file = unique(&format!("backtest-{}", clean(&target)), taken, &out_charts);
        let chart = Chart {
            file: file.clone(),
            title: title.clone(),
            caption: format!(
                "The nodes the logs show ({}, each count held until the next row) against one simulated replication (nodes_allocated of timeseries.csv, each sample held until the next){}. {}",
                on::FILE.name,
                if hourly {
                    ", as the mean of each hour"
                } else {
                    ""
                },
                if simulated.is_empty() {
                    "timeseries.csv holds no sample of this target: only the observed line is drawn."
                } else {
                    "The simulation draws its own provisioning times and evictions, so the lines meet in the totals, not node for node."
                }
            ),
            svg,
        };
        blocks.push(Block::Figure {
            path: format!("charts/{file}"),
            title,
            svg: chart.svg.clone(),
            caption: chart.caption.clone(),
        });
        out_charts.push(chart);
    }
    Ok(Some((blocks, out_charts)))
}

/// Windows longer than this are drawn as hourly means, seconds.
const HOURLY_AFTER_S: f64 = 3.0 * 86_400.0;

/// The mean of a step function (each point's value held until the next) over each `bin`
/// seconds of `[0, end)`, as points at the bins' starts.
fn means(points: &[(f64, f64)], end: f64, bin: f64) -> Vec<(f64, f64)> {
    let bins = (end / bin).ceil() as usize;
    let mut area = vec![0.0; bins];
    for (k, &(t, v)) in points.iter().enumerate() {
        let next = points.get(k + 1).map_or(end, |p| p.0).min(end);
        let mut a = t.max(0.0);
        while a < next {
            let i = (a / bin) as usize;
            let b = (((i + 1) as f64) * bin).min(next);
            if let Some(x) = area.get_mut(i) {
                *x += v * (b - a);
            }
            a = b;
        }
    }
    area.iter()
        .enumerate()
        .map(|(i, x)| {
            let width = ((i + 1) as f64 * bin).min(end) - i as f64 * bin;
            (i as f64 * bin, x / width.max(1e-9))
        })
        .collect()
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn unique(base: &str, a: &[Chart], b: &[Chart]) -> String {
    let mut name = format!("{base}.svg");
    let mut k = 2;
    while a.iter().chain(b).any(|c| c.file == name) {
        name = format!("{base}-{k}.svg");
        k += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_means_of_steps() {
        // 2 nodes for the first half hour, 4 from then to 1.5 h, 0 after.
        let m = means(&[(0.0, 2.0), (1800.0, 4.0), (5400.0, 0.0)], 7200.0, 3600.0);
        assert_eq!(m, [(0.0, 3.0), (3600.0, 2.0)]);
    }
}
