//! Nodes over time: stacked steps of billed, busy and queued, and observed against simulated.

use super::*;

/// A step line through samples, keeping only the points where the value changes (lossless for
/// a step function, and far smaller).
pub(super) fn steps(
    samples: &[Sample],
    f: impl Fn(&Sample) -> Option<f64>,
    day: f64,
) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = vec![];
    let mut last: Option<f64> = None;
    for s in samples {
        let Some(v) = f(s) else { continue };
        let t = s.t / day;
        match last {
            Some(prev) if prev == v => {}
            Some(prev) => {
                out.push((t, prev));
                out.push((t, v));
            }
            None => out.push((t, v)),
        }
        last = Some(v);
    }
    if let (Some(v), Some(s)) = (last, samples.last())
        && out.last().map(|p| p.0) != Some(s.t / day)
    {
        out.push((s.t / day, v));
    }
    out
}

pub(super) const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Day ticks: `3 Thu` on whole days, `3 Thu 12:00` between them.
pub fn day_tick(v: f64) -> String {
    let minutes = (v * 1440.0).round() as i64;
    let day = minutes.div_euclid(1440);
    let wd = WEEKDAYS[day.rem_euclid(7) as usize];
    let m = minutes.rem_euclid(1440);
    if m == 0 {
        format!("{day} {wd}")
    } else {
        format!("{day} {wd} {:02}:{:02}", m / 60, m % 60)
    }
}

/// Stacked step areas: for each layer, the polygon between the running total below it and the
/// total including it, holding each sample's value until the next sample.
pub(super) fn stacked_steps(times: &[f64], layers: &[Vec<f64>], end: f64) -> Vec<Vec<(f64, f64)>> {
    let m = times.len();
    let mut below = vec![0.0; m];
    let mut polys = vec![];
    for layer in layers {
        let upper: Vec<f64> = below.iter().zip(layer).map(|(b, v)| b + v).collect();
        if layer.iter().all(|v| *v <= 0.0) {
            polys.push(vec![]);
            continue;
        }
        let next = |j: usize| if j + 1 < m { times[j + 1] } else { end };
        let mut poly = Vec::with_capacity(4 * m);
        for j in 0..m {
            poly.push((times[j], upper[j]));
            poly.push((next(j), upper[j]));
        }
        for j in (0..m).rev() {
            poly.push((next(j), below[j]));
            poly.push((times[j], below[j]));
        }
        polys.push(poly);
        below = upper;
    }
    polys
}

/// Nodes over time as stacked areas — busy, idle and provisioning, adding up to the allocated
/// (billed) nodes — with the queue as a line on a second axis.
pub fn nodes_chart(
    samples: &[Sample],
    window: (f64, f64),
    warmup_s: Option<f64>,
    title: &str,
) -> anyhow::Result<String> {
    let day = 86_400.0;
    let (x0, x1) = (window.0 / day, window.1 / day);
    // One row per change of state: (time in days, busy, idle, provisioning).
    let mut times = vec![];
    let mut layers: [Vec<f64>; 3] = Default::default();
    let mut last: Option<[f64; 3]> = None;
    for s in samples {
        let busy = s.busy.unwrap_or(0.0);
        let prov = s.provisioning.unwrap_or(0.0);
        let idle = s.allocated.map_or(0.0, |a| (a - busy - prov).max(0.0));
        let v = [busy, idle, prov];
        if last == Some(v) {
            continue;
        }
        last = Some(v);
        times.push(s.t / day);
        for k in 0..3 {
            layers[k].push(v[k]);
        }
    }
    let polys = stacked_steps(&times, &layers, x1);
    let allocated = steps(samples, |s| s.allocated, day);
    let queue = steps(samples, |s| s.queue, day);
    let node_max = (0..times.len())
        .map(|j| layers[0][j] + layers[1][j] + layers[2][j])
        .chain(allocated.iter().map(|p| p.1))
        .fold(1.0f64, f64::max);
    let queue_max = queue.iter().map(|p| p.1).fold(1.0f64, f64::max);
    // Head room for the legend in the upper right.
    let y_top = (node_max * 1.4).ceil().max(2.0);
    let q_top = (queue_max * 1.4).ceil().max(2.0);
    render(title, (WIDTH, HEIGHT), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .right_y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..y_top)
            .map_err(draw_err)?
            .set_secondary_coord(x0..x1, 0.0..q_top);
        let int_tick = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                group_thousands(v.round().max(0.0) as u64)
            } else {
                String::new()
            }
        };
        let x_labels = if x1 - x0 > 1.0 {
            ((x1 - x0).ceil() as usize + 1).min(15)
        } else {
            7
        };
        chart
            .configure_mesh()
            .x_labels(x_labels)
            .y_labels((y_top as usize + 1).min(10))
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_label_formatter(&|v| day_tick(*v))
            .y_label_formatter(&int_tick)
            .x_desc("Simulated time, days since the start (day 0 is a Monday)")
            .y_desc("Nodes")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        chart
            .configure_secondary_axes()
            .y_labels((q_top as usize + 1).min(10))
            .y_label_formatter(&int_tick)
            .y_desc("Queued jobs (red line, right axis)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        if let Some(w) = warmup_s.map(|w| w / day)
            && w > x0
        {
            let shade = RGBColor(120, 120, 120).mix(0.12);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (w.min(x1), y_top)],
                    shade.filled(),
                )))
                .map_err(draw_err)?
                .label("warm-up (left out of the statistics)")
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], shade.filled())
                });
        }
        for ((name, color), poly) in [
            ("busy (running a job)", DARK),
            ("idle", MID),
            ("provisioning", LIGHT),
        ]
        .into_iter()
        .zip(polys)
        {
            if poly.is_empty() {
                continue;
            }
            chart
                .draw_series(std::iter::once(Polygon::new(poly, color.filled())))
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -6), (20, 6)], color.filled())
                        + Rectangle::new([(0, -6), (20, 6)], INK.stroke_width(1))
                });
        }
        if !allocated.is_empty() {
            chart
                .draw_series(LineSeries::new(allocated.clone(), INK.stroke_width(1)))
                .map_err(draw_err)?
                .label("allocated (billed) = busy + idle + provisioning")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], INK.stroke_width(1)));
        }
        if !queue.is_empty() {
            chart
                .draw_secondary_series(LineSeries::new(queue.clone(), QUEUE.stroke_width(1)))
                .map_err(draw_err)?
                .label("queued jobs (right axis)")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], QUEUE.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.92))
            .border_style(INK)
            .label_font((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}

/// Observed against simulated nodes over time, for a backtest: two step lines, `(seconds,
/// nodes)` each, over `[0, end_s]`.
pub fn observed_simulated_chart(
    observed: &[(f64, f64)],
    simulated: &[(f64, f64)],
    end_s: f64,
    title: &str,
) -> anyhow::Result<String> {
    let day = 86_400.0;
    let x1 = (end_s / day).max(1.0 / 24.0);
    let step = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = vec![];
        for &(t, v) in pts {
            let t = t / day;
            if let Some(&(_, prev)) = out.last() {
                if prev == v {
                    continue;
                }
                out.push((t, prev));
            }
            out.push((t, v));
        }
        if let Some(&(t, v)) = out.last()
            && t < x1
        {
            out.push((x1, v));
        }
        out
    };
    let (obs, sim) = (step(observed), step(simulated));
    let top = obs.iter().chain(&sim).map(|p| p.1).fold(1.0f64, f64::max);
    let y_top = (top * 1.3).ceil().max(2.0);
    render(title, (WIDTH, HEIGHT), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x1, 0.0..y_top)
            .map_err(draw_err)?;
        let int_tick = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                group_thousands(v.round().max(0.0) as u64)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels((x1.ceil() as usize + 1).clamp(2, 16))
            .y_labels((y_top as usize + 1).min(10))
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_label_formatter(&|v| axis_number(*v))
            .y_label_formatter(&int_tick)
            .x_desc("Days since the backtest's window starts")
            .y_desc("Nodes allocated")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(obs, DARK.stroke_width(2)))
            .map_err(draw_err)?
            .label("observed (CurrentNodeCount in AmlComputeClusterEvent)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], DARK.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(sim, MID.stroke_width(1)))
            .map_err(draw_err)?
            .label("simulated (replication 0, nodes_allocated in timeseries.csv)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MID.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.92))
            .border_style(INK)
            .label_font((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}
