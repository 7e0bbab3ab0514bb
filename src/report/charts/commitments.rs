//! Cost against the number of reserved VMs.

use super::*;

/// One commitment's cost against the number of reserved VMs: (k, mean, ci95) points.
pub struct CostCurve {
    pub label: String,
    pub points: Vec<(f64, f64, f64)>,
}

/// Cost over the window against k reserved VMs, one line per term with 95% whiskers, the best k
/// of each ringed; pay-as-you-go is the line's k = 0.
pub fn commitment_chart(
    curves: &[CostCurve],
    best: &[(f64, f64)],
    title: &str,
) -> anyhow::Result<String> {
    let k_max = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let top = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1 + p.2.max(0.0)))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.15 } else { 1.0 };
    render(title, (WIDTH, HEIGHT), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.3..k_max + 0.3, 0.0..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_labels((k_max as usize + 1).min(21))
            .x_label_formatter(&|v| format!("{}", v.round()))
            .y_labels(8)
            .max_light_lines(0)
            .bold_line_style(GRID)
            .y_label_formatter(&|v| usd(*v))
            .y_desc("Cost over the window (US dollars)")
            .x_desc("k: VMs reserved")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        for (i, curve) in curves.iter().enumerate() {
            let color = [DARK, MID, P95, QUEUE][i % 4];
            let pts: Vec<(f64, f64)> = curve
                .points
                .iter()
                .filter(|p| p.1.is_finite())
                .map(|p| (p.0, p.1))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(curve.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(draw_err)?;
            chart
                .draw_series(
                    curve
                        .points
                        .iter()
                        .filter(|p| p.1.is_finite() && p.2.is_finite() && p.2 > 0.0)
                        .map(|&(k, m, h)| PathElement::new(vec![(k, m - h), (k, m + h)], color)),
                )
                .map_err(draw_err)?;
        }
        chart
            .draw_series(
                best.iter()
                    .map(|&p| Circle::new(p, 8, HIGHLIGHT.stroke_width(2))),
            )
            .map_err(draw_err)?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}
