//! Waits and latencies: p50/p95/p99 per setting.

use super::*;

/// The unit a set of durations reads best in: (divisor, name).
pub fn duration_unit(max_s: f64) -> (f64, &'static str) {
    if max_s < 120.0 {
        (1.0, "s")
    } else if max_s < 3.0 * 3600.0 {
        (60.0, "min")
    } else if max_s < 3.0 * 86_400.0 {
        (3600.0, "h")
    } else {
        (86_400.0, "d")
    }
}

pub(super) fn axis_number(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        group_thousands(v.round() as u64)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// One group of the waits chart: p50, p95, p99 of one target (or setting).
#[derive(Clone, Debug)]
pub struct WaitGroup {
    pub label: String,
    pub p50: Estimate,
    pub p95: Estimate,
    pub p99: Estimate,
}

impl WaitGroup {
    /// None of its percentiles has a mean (nothing was served or started in the window).
    pub fn is_unknown(&self) -> bool {
        [&self.p50, &self.p95, &self.p99]
            .iter()
            .all(|e| e.known_mean().is_none())
    }
}

/// What a percentile chart shows: values are seconds for waits and milliseconds for latencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Percentiles {
    /// Jobs' waits from submission to start, seconds; the axis picks s, min, h or d.
    Wait,
    /// Requests' latencies, milliseconds; the axis stays in ms.
    LatencyMs,
}

pub fn waits_chart(groups: &[WaitGroup], x_desc: &str, title: &str) -> anyhow::Result<String> {
    percentile_chart(groups, x_desc, title, Percentiles::Wait)
}

/// p50, p95 and p99 bars with CI whiskers per group.
pub fn percentile_chart(
    groups: &[WaitGroup],
    x_desc: &str,
    title: &str,
    what: Percentiles,
) -> anyhow::Result<String> {
    let n = groups.len();
    let top_s = groups
        .iter()
        .flat_map(|g| [g.p50, g.p95, g.p99])
        .filter_map(|e| e.bounds().map(|b| b.1))
        .fold(0.0f64, f64::max);
    let (div, unit) = match what {
        Percentiles::Wait => duration_unit(top_s),
        Percentiles::LatencyMs => (1.0, "ms"),
    };
    let show = |v: f64| match what {
        Percentiles::Wait => duration(v),
        Percentiles::LatencyMs => format!("{} ms", axis_number(v)),
    };
    let y_max = if top_s > 0.0 { top_s / div * 1.3 } else { 1.0 };
    let labels: Vec<String> = groups.iter().map(|g| g.label.clone()).collect();
    let CategoryLayout {
        xr,
        slot_px,
        label_h,
        height,
    } = category_layout(&labels, WIDTH as f64 - 110.0);
    render(title, (WIDTH, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(label_h + 24)
            .y_label_area_size(70)
            .build_cartesian_2d(xr.clone(), 0.0..y_max)
            .map_err(draw_err)?;
        let y_desc = match what {
            Percentiles::Wait => format!("Wait from submission to start ({unit})"),
            Percentiles::LatencyMs => format!("Request latency ({unit})"),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .max_light_lines(0)
            .bold_line_style(GRID)
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc(y_desc)
            .x_desc(x_desc)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        let w = if n == 1 { 0.2 } else { 0.26 };
        for (k, (name, color)) in [("p50 (median)", P50), ("p95", P95), ("p99", P99)]
            .into_iter()
            .enumerate()
        {
            let offset = (k as f64 - 1.0) * w;
            let get = |g: &WaitGroup| [g.p50, g.p95, g.p99][k];
            let bars: Vec<Rectangle<(f64, f64)>> = groups
                .iter()
                .enumerate()
                .filter_map(|(i, g)| {
                    let m = get(g).known_mean()? / div;
                    let x = i as f64 + offset;
                    Some(Rectangle::new(
                        [(x - w / 2.0, 0.0), (x + w / 2.0, m)],
                        color.filled(),
                    ))
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -6), (14, 6)], color.filled())
                        + Rectangle::new([(0, -6), (14, 6)], INK.stroke_width(1))
                });
            let outlines: Vec<Rectangle<(f64, f64)>> = groups
                .iter()
                .enumerate()
                .filter_map(|(i, g)| {
                    let m = get(g).known_mean()? / div;
                    let x = i as f64 + offset;
                    Some(Rectangle::new(
                        [(x - w / 2.0, 0.0), (x + w / 2.0, m)],
                        INK.stroke_width(1),
                    ))
                })
                .collect();
            chart.draw_series(outlines).map_err(draw_err)?;
            for (i, g) in groups.iter().enumerate() {
                if let (Some(m), Some(c)) = (get(g).known_mean(), get(g).known_ci95()) {
                    let x = i as f64 + offset;
                    chart
                        .draw_series(v_interval(x, (m - c) / div, (m + c) / div, w / 3.0))
                        .map_err(draw_err)?;
                }
            }
        }
        if n <= 8 {
            for (i, g) in groups.iter().enumerate() {
                if let Some(m) = g.p95.known_mean() {
                    let hi = [g.p50, g.p95, g.p99]
                        .iter()
                        .filter_map(|e| e.bounds().map(|b| b.1))
                        .fold(m, f64::max);
                    let (px, py) = chart.backend_coord(&(i as f64, hi / div));
                    root.draw(&Text::new(
                        format!("p95 {}", show(m)),
                        (px, py - 4),
                        text_style(12.0, &INK, HPos::Center, VPos::Bottom),
                    ))
                    .map_err(draw_err)?;
                }
            }
        }
        let positions: Vec<(i32, i32)> = (0..n)
            .map(|i| chart.backend_coord(&(i as f64, 0.0)))
            .collect();
        category_labels(root, &positions, &labels, slot_px)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(INK)
            .label_font((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}
