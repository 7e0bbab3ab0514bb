//! The report's commitments section: `commitments.csv` as a chart of cost against the number
//! of reserved VMs per VM size, and a table of the cheapest level of each commitment kind.

use super::charts::{self, Chart, CostCurve};
use super::data::Table;
use super::render::{Block, Table as DocTable, TableRow, code, text};
use crate::output::schema::commitments as cm;
use crate::output::schema::{Column, ci95_name};
use crate::text::format::{number, usd};
use std::path::Path;

/// The section's blocks and charts; `None` for a folder without `commitments.csv`. Only
/// variant 0 is drawn: a sweep's other settings are in the file.
pub fn section(dir: &Path, taken: &[Chart]) -> anyhow::Result<Option<(Vec<Block>, Vec<Chart>)>> {
    let path = dir.join(cm::FILE.name);
    if !path.is_file() {
        return Ok(None);
    }
    let t = Table::read(&path)?;
    let rows: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.num(r, cm::VARIANT) == Some(0.0))
        .collect();
    let cell = |r: usize, c| t.str(r, c).unwrap_or_default().to_string();
    let mut blocks = vec![
        Block::H2(
            "Commitments: reservations and savings plans".into(),
            "commitments".into(),
        ),
        Block::P(vec![
            text(
                "The node time of the dedicated clusters, pooled per VM size and region, priced hour by hour as Azure applies commitments: k reserved VMs cover up to k node-hours each hour, a savings plan of $c an hour pays for c / its rate node-hours each hour, an unused hour is lost, the rest is billed at pay-as-you-go. Costs are over the observed window, the commitment prorated to it (",
            ),
            code(cm::FILE.name),
            text(
                "; setting #0 of a sweep here). A commitment pays when its utilisation stays above its break-even utilisation (its price over pay-as-you-go).",
            ),
        ]),
    ];
    let mut table = vec![];
    let mut out_charts = vec![];
    let mut sizes: Vec<(String, String)> = vec![];
    for &r in &rows {
        let key = (cell(r, cm::SIZE), cell(r, cm::REGION));
        if !sizes.contains(&key) {
            sizes.push(key);
        }
    }
    for (size, region) in &sizes {
        let mine: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| &cell(r, cm::SIZE) == size && &cell(r, cm::REGION) == region)
            .collect();
        let mut curves = vec![];
        let mut best = vec![];
        for kind in ["reserved_1y", "reserved_3y"] {
            let points: Vec<(f64, f64, f64)> = mine
                .iter()
                .filter(|&&r| cell(r, cm::COMMITMENT) == kind)
                .filter_map(|&r| {
                    Some((
                        t.num(r, cm::RESERVED_INSTANCES)?,
                        t.num(r, cm::COST_USD)?,
                        t.num(r, ci95_name(cm::COST_USD.name)).unwrap_or(0.0),
                    ))
                })
                .collect();
            for &r in mine.iter().filter(|&&r| cell(r, cm::COMMITMENT) == kind) {
                if cell(r, cm::BEST) == "yes"
                    && let (Some(k), Some(c)) =
                        (t.num(r, cm::RESERVED_INSTANCES), t.num(r, cm::COST_USD))
                {
                    best.push((k, c));
                }
            }
            if !points.is_empty() {
                curves.push(CostCurve {
                    label: format!("{} reservation", &kind[9..]),
                    points,
                });
            }
        }
        for &r in &mine {
            let kind = cell(r, cm::COMMITMENT);
            let priced = t.num(r, cm::COST_USD).is_some();
            if !(cell(r, cm::BEST) == "yes" || kind == "pay_as_you_go" || !priced) {
                continue;
            }
            let est = |c: Column| match (t.num(r, c), t.num(r, ci95_name(c.name))) {
                (Some(m), Some(h)) => format!("{} ± {}", number(m), number(h)),
                (Some(m), None) => number(m),
                _ => "—".into(),
            };
            let level = match (
                t.num(r, cm::RESERVED_INSTANCES),
                t.num(r, cm::COMMITMENT_USD_PER_HOUR),
            ) {
                _ if !priced => "no price known".to_string(),
                _ if kind == "pay_as_you_go" => "—".to_string(),
                (Some(k), _) => format!("k = {k}"),
                (None, Some(c)) => format!("c = {}/h", usd(c)),
                _ => String::new(),
            };
            table.push(TableRow {
                cells: vec![
                    format!("{size} ({region})"),
                    kind.clone(),
                    level,
                    match (
                        t.num(r, cm::COST_USD),
                        t.num(r, ci95_name(cm::COST_USD.name)),
                    ) {
                        (Some(m), Some(h)) => format!("{} ± {}", usd(m), usd(h)),
                        (Some(m), None) => usd(m),
                        _ => "—".into(),
                    },
                    est(cm::COVERAGE),
                    est(cm::UTILISATION),
                    t.num(r, cm::BREAK_EVEN_UTILISATION)
                        .map_or("—".into(), number),
                    if priced {
                        "—".into()
                    } else {
                        cell(r, cm::NOTE)
                    },
                ],
                highlight: cell(r, cm::BEST) == "yes",
            });
        }
        if curves.is_empty() {
            blocks.push(Block::Missing(format!(
                "No chart of cost against reserved VMs for {size} in {region}: no reservation price is known (give a price file with reserved_1y_usd_per_hour and reserved_3y_usd_per_hour: capsim prices import)."
            )));
            continue;
        }
        let title = format!("Cost against reserved VMs: {size} ({region})");
        let svg = charts::commitment_chart(&curves, &best, &title)?;
        let file = super::chart_file("commitments", size, taken);
        out_charts.push(Chart {
            file,
            title,
            caption: "Each point is the mean cost_usd of commitments.csv for k reserved VMs (bars: cost_usd_ci95); k = 0 is pay-as-you-go; the ring marks the cheapest k of each term (best = yes).".into(),
            svg,
        });
    }
    blocks.push(Block::Table(DocTable {
        caption: Some("Pay-as-you-go and the cheapest level of each commitment (mean ± 95% interval over replications)".into()),
        header: [
            "VM size",
            "Commitment",
            "Level",
            "Cost",
            "Coverage",
            "Utilisation",
            "Break-even utilisation",
            "Note",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, true, true, true, true, false],
        rows: table,
    }));
    Ok(Some((blocks, out_charts)))
}
