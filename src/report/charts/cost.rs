//! Cost per setting: bars with their intervals, idle cost hatched.

use super::*;

/// A bar of the cost chart: the cost per month split into its parts.
#[derive(Clone, Debug)]
pub struct CostBar {
    pub label: String,
    pub busy: f64,
    pub idle: f64,
    pub provisioning: f64,
    /// `cost_per_month_usd` minus the three node-time parts (fixed costs), when material.
    pub other: f64,
    pub total: Estimate,
}

/// Draws the stacked cost bars; `names` label the four parts in the legend (busy, idle,
/// provisioning, fixed and other), a part without bars is left out of it.
pub fn cost_chart(
    bars: &[CostBar],
    names: [&str; 4],
    x_desc: &str,
    title: &str,
) -> anyhow::Result<String> {
    let n = bars.len();
    let top = bars
        .iter()
        .filter_map(|b| {
            let parts = b.busy + b.idle + b.provisioning + b.other;
            b.total
                .bounds()
                .map(|(_, hi)| hi.max(parts))
                .or(Some(parts))
        })
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.3 } else { 1.0 };
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let CategoryLayout {
        xr,
        slot_px,
        label_h,
        height,
    } = category_layout(&labels, WIDTH as f64 - 130.0);
    render(title, (WIDTH, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(label_h + 24)
            .y_label_area_size(90)
            .build_cartesian_2d(xr.clone(), 0.0..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .max_light_lines(0)
            .bold_line_style(GRID)
            .y_label_formatter(&|v| usd(*v))
            .y_desc("Cost per month (730 h), USD")
            .x_desc(x_desc)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        let half = if n == 1 { 0.3 } else { 0.36 };
        let parts: [(&str, RGBColor, usize); 4] = [
            (names[0], DARK, 0),
            (names[1], MID, 1),
            (names[2], LIGHT, 2),
            (names[3], PALE, 3),
        ];
        let mut labelled = false;
        let mut rects: Vec<[Vec<Corners>; 4]> = vec![];
        for (i, b) in bars.iter().enumerate() {
            let x = i as f64;
            let mut y = 0.0;
            let mut r: [Vec<Corners>; 4] = Default::default();
            for (k, v) in [b.busy, b.idle, b.provisioning, b.other]
                .into_iter()
                .enumerate()
            {
                if v > 0.0 {
                    r[k].push(((x - half, y), (x + half, y + v)));
                    y += v;
                }
            }
            rects.push(r);
        }
        for (name, color, k) in parts {
            if rects.iter().all(|r| r[k].is_empty()) {
                continue;
            }
            labelled = true;
            let series: Vec<Rectangle<(f64, f64)>> = rects
                .iter()
                .flat_map(|r| r[k].iter())
                .map(|&(a, b)| Rectangle::new([a, b], color.filled()))
                .collect();
            chart
                .draw_series(series)
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    let icon = EmptyElement::at((x, y))
                        + Rectangle::new([(0, -6), (14, 6)], color.filled())
                        + Rectangle::new([(0, -6), (14, 6)], INK.stroke_width(1));
                    match k {
                        2 => icon + PathElement::new(vec![(0, -6), (12, 6)], INK.stroke_width(1)),
                        3 => icon + PathElement::new(vec![(0, 6), (12, -6)], INK.stroke_width(1)),
                        _ => icon + PathElement::new(vec![(0, 0), (0, 0)], INK.stroke_width(0)),
                    }
                });
            // Hatching in pixel space, clipped to each rectangle.
            for &(a, b) in rects.iter().flat_map(|r| r[k].iter()) {
                let p0 = chart.backend_coord(&a);
                let p1 = chart.backend_coord(&b);
                if k == 2 {
                    hatch(root, p0, p1, 7, true, &DARK)?;
                } else if k == 3 {
                    hatch(root, p0, p1, 7, true, &INK)?;
                    hatch(root, p0, p1, 7, false, &INK)?;
                }
            }
        }
        // Outline each bar and its 95% interval.
        for (i, b) in bars.iter().enumerate() {
            let x = i as f64;
            let parts = b.busy + b.idle + b.provisioning + b.other;
            if parts > 0.0 {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - half, 0.0), (x + half, parts)],
                        INK.stroke_width(1),
                    )))
                    .map_err(draw_err)?;
            }
            if let (Some(m), Some(c)) = (b.total.known_mean(), b.total.known_ci95()) {
                chart
                    .draw_series(v_interval(x, m - c, m + c, 0.12))
                    .map_err(draw_err)?;
            }
            if n <= 16
                && let Some(m) = b.total.known_mean()
            {
                let hi = b.total.bounds().map_or(m, |(_, hi)| hi).max(parts);
                let (px, py) = chart.backend_coord(&(x, hi));
                root.draw(&Text::new(
                    usd(m),
                    (px, py - 4),
                    text_style(13.0, &INK, HPos::Center, VPos::Bottom),
                ))
                .map_err(draw_err)?;
            }
        }
        let positions: Vec<(i32, i32)> = (0..n)
            .map(|i| chart.backend_coord(&(i as f64, 0.0)))
            .collect();
        category_labels(root, &positions, &labels, slot_px)?;
        if labelled {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.9))
                .border_style(INK)
                .label_font((FONT, 13))
                .draw()
                .map_err(draw_err)?;
        }
        Ok(())
    })
}
