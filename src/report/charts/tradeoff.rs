//! Cost against the goal measure: one point per setting, the Pareto front and the goal line.

use super::*;

/// A variant in the cost-against-wait chart.
#[derive(Clone, Debug)]
pub struct TradeoffPoint {
    pub variant: String,
    pub cost: Estimate,
    pub wait_p95: Estimate,
    pub pareto: bool,
    pub recommended: bool,
}

/// `what` names the measure on the vertical axis (`p95 wait`; an endpoint's `p95 latency`),
/// in seconds either way.
pub fn tradeoff_chart(
    what: &str,
    points: &[TradeoffPoint],
    goal_wait_s: Option<f64>,
    goal_budget: Option<f64>,
    title: &str,
) -> anyhow::Result<String> {
    let cost_bounds: Vec<(f64, f64)> = points.iter().filter_map(|p| p.cost.bounds()).collect();
    let wait_bounds: Vec<(f64, f64)> = points.iter().filter_map(|p| p.wait_p95.bounds()).collect();
    let mut c_lo = cost_bounds
        .iter()
        .map(|b| b.0)
        .fold(f64::INFINITY, f64::min);
    let mut c_hi = cost_bounds
        .iter()
        .map(|b| b.1)
        .fold(f64::NEG_INFINITY, f64::max);
    if let Some(b) = goal_budget {
        c_lo = c_lo.min(b);
        c_hi = c_hi.max(b);
    }
    if !c_lo.is_finite() {
        (c_lo, c_hi) = (0.0, 1.0);
    }
    let pad = ((c_hi - c_lo) * 0.08).max(c_hi.abs() * 0.02).max(1.0);
    let (c_lo, c_hi) = ((c_lo - pad).max(0.0), c_hi + pad);
    let w_top = wait_bounds
        .iter()
        .map(|b| b.1)
        .chain(goal_wait_s)
        .fold(0.0f64, f64::max);
    let (div, unit) = duration_unit(w_top);
    let y_max = if w_top > 0.0 { w_top / div * 1.12 } else { 1.0 };
    let labelled = points.len() <= 40;
    render(title, (WIDTH, HEIGHT + 60), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(c_lo..c_hi, 0.0..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(8)
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_label_formatter(&|v| usd(*v))
            .y_label_formatter(&|v| axis_number(*v))
            .x_desc("Cost per month (730 h), USD — mean with 95% CI")
            .y_desc(format!("{what} ({unit}) — mean with 95% CI"))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        if let Some(g) = goal_wait_s {
            let y = g / div;
            chart
                .draw_series(LineSeries::new(
                    vec![(c_lo, y), (c_hi, y)],
                    GOAL_DASHED.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(format!("goal: p95 wait ≤ {}", duration(g)))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], GOAL_DASHED.stroke_width(2))
                });
        }
        if let Some(b) = goal_budget {
            chart
                .draw_series(LineSeries::new(
                    vec![(b, 0.0), (b, y_max)],
                    GOAL_DASHED.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(format!("budget: {} / month", usd(b)))
                .legend(|(x, y)| {
                    PathElement::new(
                        vec![(x + 10, y - 8), (x + 10, y + 8)],
                        GOAL_DASHED.stroke_width(2),
                    )
                });
        }
        // 95% intervals on both axes.
        let grey = RGBColor(130, 130, 130);
        for p in points {
            let (Some(c), Some(w)) = (p.cost.known_mean(), p.wait_p95.known_mean()) else {
                continue;
            };
            let y = w / div;
            let s = ShapeStyle::from(&grey).stroke_width(1);
            if let Some(ci) = p.cost.known_ci95() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(c - ci, y), (c + ci, y)],
                        s,
                    )))
                    .map_err(draw_err)?;
            }
            if let Some(ci) = p.wait_p95.known_ci95() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(c, (w - ci) / div), (c, (w + ci) / div)],
                        s,
                    )))
                    .map_err(draw_err)?;
            }
        }
        let mut front: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.pareto)
            .filter_map(|p| Some((p.cost.known_mean()?, p.wait_p95.known_mean()? / div)))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        if !front.is_empty() {
            chart
                .draw_series(LineSeries::new(front.clone(), DARK.stroke_width(2)))
                .map_err(draw_err)?
                .label("Pareto front (none both cheaper and faster)")
                .legend(|(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (20, 0)], DARK.stroke_width(2))
                        + Circle::new((10, 0), 4, DARK.filled())
                });
            chart
                .draw_series(front.iter().map(|&p| Circle::new(p, 5, DARK.filled())))
                .map_err(draw_err)?;
        }
        let others: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| !p.pareto)
            .filter_map(|p| Some((p.cost.known_mean()?, p.wait_p95.known_mean()? / div)))
            .collect();
        chart
            .draw_series(
                others
                    .iter()
                    .map(|&p| Circle::new(p, 5, ShapeStyle::from(&grey).stroke_width(2))),
            )
            .map_err(draw_err)?
            .label("other settings")
            .legend(move |(x, y)| {
                Circle::new((x + 10, y), 5, ShapeStyle::from(&grey).stroke_width(2))
            });
        if let Some(r) = points.iter().find(|p| p.recommended)
            && let (Some(c), Some(w)) = (r.cost.known_mean(), r.wait_p95.known_mean())
        {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (c, w / div),
                    11,
                    HIGHLIGHT.stroke_width(3),
                )))
                .map_err(draw_err)?
                .label(format!("recommended (#{})", r.variant))
                .legend(|(x, y)| Circle::new((x + 10, y), 6, HIGHLIGHT.stroke_width(3)));
        }
        if labelled {
            for p in points {
                let (Some(c), Some(w)) = (p.cost.known_mean(), p.wait_p95.known_mean()) else {
                    continue;
                };
                let (px, py) = chart.backend_coord(&(c, w / div));
                let text = if p.variant == "0" {
                    "#0 (baseline)".to_string()
                } else {
                    format!("#{}", p.variant)
                };
                root.draw(&Text::new(
                    text,
                    (px + 8, py - 6),
                    text_style(12.0, &INK, HPos::Left, VPos::Bottom),
                ))
                .map_err(draw_err)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(INK)
            .label_font((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}
