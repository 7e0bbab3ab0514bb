//! The report's charts, drawn with plotters' SVG backend.
//!
//! Plotters writes text as SVG `<text>` elements and estimates text sizes without reading any
//! font file, so the SVG bytes depend only on the numbers: the same output folder gives the same
//! charts on every machine. Colours differ in lightness and lines in dash pattern or marker, so
//! the charts read in greyscale too.

mod waterfall;
pub use waterfall::{STEPS as WATERFALL_STEPS, Waterfall, waterfall_chart};

use super::data::Sample;
use super::render::html_escape;
use crate::metrics::Estimate;
use crate::text::format::{duration, group_thousands, usd};
use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const FONT: &str = "sans-serif";
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 480;

const INK: RGBColor = RGBColor(34, 34, 34);
const GRID: RGBColor = RGBColor(210, 210, 210);
/// Dark blue: busy node time, allocated nodes' busy share, the Pareto front.
const DARK: RGBColor = RGBColor(31, 78, 121);
/// Orange, mid lightness: idle node time.
const MID: RGBColor = RGBColor(237, 139, 44);
/// Light blue (hatched where it matters): provisioning node time.
const LIGHT: RGBColor = RGBColor(189, 215, 238);
/// Very light grey with cross-hatching: fixed and other costs.
const PALE: RGBColor = RGBColor(235, 235, 235);
/// Queue length: a dark red, drawn dotted.
const QUEUE: RGBColor = RGBColor(165, 15, 21);
/// Percentiles: light, medium, dark blues.
const P50: RGBColor = RGBColor(198, 219, 239);
const P95: RGBColor = RGBColor(66, 146, 198);
const P99: RGBColor = RGBColor(8, 48, 107);
const HIGHLIGHT: RGBColor = RGBColor(230, 85, 13);

/// Plotters draws no dash patterns of its own (its dashed series write one element per dash,
/// thousands for a week of samples), so dashed lines are drawn solid in a stand-in colour that
/// [`render`] turns into the real colour with an SVG `stroke-dasharray`.
const DASHES: &[(RGBColor, RGBColor, &str)] = &[(GOAL_DASHED, HIGHLIGHT, "10 6")];
const GOAL_DASHED: RGBColor = RGBColor(230, 85, 14);

fn hex(c: &RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// One chart: its SVG text and where it goes.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File name inside `charts/`, e.g. `cost.svg`.
    pub file: String,
    pub title: String,
    /// What it shows and which columns it draws, for the figure caption.
    pub caption: String,
    pub svg: String,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn draw_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e}")
}

fn text_style(px: f64, color: &RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, px).into_font(),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// Runs `draw` on a fresh SVG canvas, presents it (checking the result), and adds a `<title>`
/// for screen readers.
fn render(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let Some(end) = svg.find(">\n") else {
        return Err(anyhow!(
            "drawing a chart: the SVG backend wrote no <svg> element"
        ));
    };
    svg.insert_str(end + 2, &format!("<title>{}</title>\n", html_escape(title)));
    for (stand_in, real, pattern) in DASHES {
        svg = svg.replace(
            &format!("stroke=\"{}\"", hex(stand_in)),
            &format!("stroke=\"{}\" stroke-dasharray=\"{pattern}\"", hex(real)),
        );
    }
    Ok(svg)
}

/// Diagonal hatching inside a pixel rectangle: `down` lines fall to the right, others rise.
fn hatch(
    root: &Area,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    spacing: i32,
    down: bool,
    color: &RGBColor,
) -> anyhow::Result<()> {
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    if x1 - x0 < 2 || y1 - y0 < 2 {
        return Ok(());
    }
    let style = ShapeStyle::from(color).stroke_width(1);
    let mut lines = vec![];
    if down {
        // x - y = c
        let mut c = x0 - y1 + spacing / 2;
        while c < x1 - y0 {
            let lo = y0.max(x0 - c);
            let hi = y1.min(x1 - c);
            if lo < hi {
                lines.push(vec![(lo + c, lo), (hi + c, hi)]);
            }
            c += spacing;
        }
    } else {
        // x + y = c
        let mut c = x0 + y0 + spacing / 2;
        while c < x1 + y1 {
            let lo = y0.max(c - x1);
            let hi = y1.min(c - x0);
            if lo < hi {
                lines.push(vec![(c - lo, lo), (c - hi, hi)]);
            }
            c += spacing;
        }
    }
    for l in lines {
        root.draw(&PathElement::new(l, style)).map_err(draw_err)?;
    }
    Ok(())
}

/// A rectangle's outline as a closed path: plotters' SVG rectangles ignore the stroke width.
fn outline(
    root: &Area,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    style: ShapeStyle,
) -> anyhow::Result<()> {
    root.draw(&PathElement::new(
        vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
        style,
    ))
    .map_err(draw_err)
}

/// Category labels under an x axis, rotated when they would not fit side by side; at most
/// about 40 are written (every k-th) so they never overlap.
fn category_labels(
    root: &Area,
    positions: &[(i32, i32)],
    labels: &[String],
    slot_px: f64,
) -> anyhow::Result<()> {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let px = 12.0;
    let rotate = longest * px * 0.55 > slot_px * 0.95;
    let step = if rotate {
        ((14.0 / slot_px).ceil() as usize).max(1)
    } else {
        1
    };
    for (i, ((x, y), label)) in positions.iter().zip(labels).enumerate() {
        if i % step != 0 {
            continue;
        }
        let style = if rotate {
            text_style(px, &INK, HPos::Right, VPos::Center).transform(FontTransform::Rotate270)
        } else {
            text_style(px, &INK, HPos::Center, VPos::Top)
        };
        root.draw(&Text::new(label.clone(), (*x, *y + 6), style))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// The label area an x axis of categories needs, in pixels.
fn category_label_height(labels: &[String], slot_px: f64) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    if longest * 12.0 * 0.55 > slot_px * 0.95 {
        (longest * 6.5 + 12.0).clamp(40.0, 200.0) as u32
    } else {
        40
    }
}

/// A vertical interval with caps, in chart coordinates.
fn v_interval(x: f64, lo: f64, hi: f64, cap: f64) -> Vec<PathElement<(f64, f64)>> {
    let s = ShapeStyle::from(&INK).stroke_width(1);
    vec![
        PathElement::new(vec![(x, lo), (x, hi)], s),
        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], s),
        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], s),
    ]
}

/// Gives `n` category slots a range at least four slots wide, so one bar is not a wall.
fn category_range(n: usize) -> std::ops::Range<f64> {
    let pad = if n < 4 { (4 - n) as f64 / 2.0 } else { 0.0 };
    (-0.5 - pad)..(n as f64 - 0.5 + pad)
}

/// Two opposite corners of a rectangle, in chart coordinates.
type Corners = ((f64, f64), (f64, f64));

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
    let plot_w = WIDTH as f64 - 130.0;
    let xr = category_range(n);
    let slot_px = plot_w / (xr.end - xr.start);
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let label_h = category_label_height(&labels, slot_px);
    let height = HEIGHT + label_h.saturating_sub(40);
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

/// A step line through samples, keeping only the points where the value changes (lossless for
/// a step function, and far smaller).
fn steps(samples: &[Sample], f: impl Fn(&Sample) -> Option<f64>, day: f64) -> Vec<(f64, f64)> {
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

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

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
fn stacked_steps(times: &[f64], layers: &[Vec<f64>], end: f64) -> Vec<Vec<(f64, f64)>> {
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

fn axis_number(v: f64) -> String {
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
    let xr = category_range(n);
    let slot_px = (WIDTH as f64 - 110.0) / (xr.end - xr.start);
    let labels: Vec<String> = groups.iter().map(|g| g.label.clone()).collect();
    let label_h = category_label_height(&labels, slot_px);
    let height = HEIGHT + label_h.saturating_sub(40);
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

/// A variant in the cost-against-wait chart.
#[derive(Clone, Debug)]
pub struct TradeoffPoint {
    pub variant: String,
    pub cost: Estimate,
    pub wait_p95: Estimate,
    pub pareto: bool,
    pub recommended: bool,
}

pub fn tradeoff_chart(
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
            .y_desc(format!("p95 wait ({unit}) — mean with 95% CI"))
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

/// One cell of the heat map.
#[derive(Clone, Debug)]
pub struct HeatCell {
    pub row: usize,
    pub col: usize,
    pub cost: Option<f64>,
    pub wait_p95_s: Option<f64>,
    pub recommended: bool,
}

/// Lightness ramp from near-white to dark blue (reads in greyscale); `t` in 0..=1.
fn ramp(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (a, b) = ((239.0, 243.0, 255.0), (8.0, 48.0, 107.0));
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub struct HeatAxes<'a> {
    pub row_name: &'a str,
    pub row_values: &'a [String],
    pub col_name: &'a str,
    pub col_values: &'a [String],
}

pub fn heatmap_chart(axes: &HeatAxes, cells: &[HeatCell], title: &str) -> anyhow::Result<String> {
    let (nr, nc) = (axes.row_values.len().max(1), axes.col_values.len().max(1));
    let height = (130 + 56 * nr as u32).clamp(360, 1000);
    let (left, right, top, bottom) = (150i32, 150i32, 56i32, 76i32);
    let cw = (WIDTH as i32 - left - right) as f64 / nc as f64;
    let ch = (height as i32 - top - bottom) as f64 / nr as f64;
    let costs: Vec<f64> = cells.iter().filter_map(|c| c.cost).collect();
    let lo = costs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = costs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let t_of = |c: f64| {
        if hi > lo { (c - lo) / (hi - lo) } else { 0.5 }
    };
    let font_px = (ch * 0.3).min(cw / 6.0).clamp(8.0, 15.0);
    render(title, (WIDTH, height), |root| {
        root.draw(&Text::new(
            title.to_string(),
            (WIDTH as i32 / 2, 14),
            text_style(20.0, &INK, HPos::Center, VPos::Top),
        ))
        .map_err(draw_err)?;
        let x_of = |c: usize| left + (c as f64 * cw).round() as i32;
        let y_of = |r: usize| top + (r as f64 * ch).round() as i32;
        for cell in cells {
            let (x0, y0, x1, y1) = (
                x_of(cell.col),
                y_of(cell.row),
                x_of(cell.col + 1),
                y_of(cell.row + 1),
            );
            let (fill, ink) = match cell.cost {
                Some(c) => {
                    let t = t_of(c);
                    (ramp(t), if t > 0.5 { WHITE } else { INK })
                }
                None => (WHITE, INK),
            };
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))
                .map_err(draw_err)?;
            outline(root, (x0, y0), (x1, y1), WHITE.stroke_width(2))?;
            let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
            // Too small for a readable figure: the colour says it alone.
            if cw < 40.0 || ch < 14.0 {
                continue;
            }
            let two_lines = ch >= 44.0 && cell.wait_p95_s.is_some();
            let main = cell.cost.map_or("no data".to_string(), usd);
            let main_y = if two_lines {
                cy - (font_px * 0.55) as i32
            } else {
                cy
            };
            root.draw(&Text::new(
                main,
                (cx, main_y),
                text_style(font_px * 1.15, &ink, HPos::Center, VPos::Center),
            ))
            .map_err(draw_err)?;
            if two_lines && let Some(w) = cell.wait_p95_s {
                root.draw(&Text::new(
                    format!("p95 {}", duration(w)),
                    (cx, cy + (font_px * 0.75) as i32),
                    text_style(font_px * 0.9, &ink, HPos::Center, VPos::Center),
                ))
                .map_err(draw_err)?;
            }
        }
        for cell in cells.iter().filter(|c| c.recommended) {
            let (x0, y0, x1, y1) = (
                x_of(cell.col) + 3,
                y_of(cell.row) + 3,
                x_of(cell.col + 1) - 3,
                y_of(cell.row + 1) - 3,
            );
            outline(root, (x0, y0), (x1, y1), HIGHLIGHT.stroke_width(4))?;
        }
        // Axis labels.
        for (c, v) in axes.col_values.iter().enumerate() {
            root.draw(&Text::new(
                v.clone(),
                ((x_of(c) + x_of(c + 1)) / 2, y_of(nr) + 6),
                text_style(13.0, &INK, HPos::Center, VPos::Top),
            ))
            .map_err(draw_err)?;
        }
        root.draw(&Text::new(
            axes.col_name.to_string(),
            ((left + x_of(nc)) / 2, y_of(nr) + 28),
            text_style(14.0, &INK, HPos::Center, VPos::Top),
        ))
        .map_err(draw_err)?;
        for (r, v) in axes.row_values.iter().enumerate() {
            root.draw(&Text::new(
                v.clone(),
                (left - 8, (y_of(r) + y_of(r + 1)) / 2),
                text_style(13.0, &INK, HPos::Right, VPos::Center),
            ))
            .map_err(draw_err)?;
        }
        root.draw(&Text::new(
            axes.row_name.to_string(),
            (left - 60, (top + y_of(nr)) / 2),
            text_style(14.0, &INK, HPos::Center, VPos::Center).transform(FontTransform::Rotate270),
        ))
        .map_err(draw_err)?;
        // Colour scale.
        if lo.is_finite() {
            let (bx, by0, by1) = (x_of(nc) + 30, top, y_of(nr));
            let steps = 40;
            for i in 0..steps {
                let ya = by1 - ((by1 - by0) as f64 * i as f64 / steps as f64).round() as i32;
                let yb = by1 - ((by1 - by0) as f64 * (i + 1) as f64 / steps as f64).round() as i32;
                let t = (i as f64 + 0.5) / steps as f64;
                root.draw(&Rectangle::new([(bx, yb), (bx + 18, ya)], ramp(t).filled()))
                    .map_err(draw_err)?;
            }
            root.draw(&Rectangle::new(
                [(bx, by0), (bx + 18, by1)],
                INK.stroke_width(1),
            ))
            .map_err(draw_err)?;
            for (y, v) in [(by0, hi), (by1, lo)] {
                root.draw(&Text::new(
                    usd(v),
                    (bx + 24, y),
                    text_style(12.0, &INK, HPos::Left, VPos::Center),
                ))
                .map_err(draw_err)?;
            }
            root.draw(&Text::new(
                "cost / month".to_string(),
                (bx + 9, by1 + 8),
                text_style(12.0, &INK, HPos::Center, VPos::Top),
            ))
            .map_err(draw_err)?;
        }
        if cells.iter().any(|c| c.recommended) {
            let y = height as i32 - 22;
            outline(
                root,
                (left, y - 7),
                (left + 22, y + 7),
                HIGHLIGHT.stroke_width(3),
            )?;
            root.draw(&Text::new(
                "recommended: the cheapest setting that meets the goal with 95% confidence"
                    .to_string(),
                (left + 30, y),
                text_style(13.0, &INK, HPos::Left, VPos::Center),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ticks_name_the_weekday() {
        assert_eq!(day_tick(0.0), "0 Mon");
        assert_eq!(day_tick(6.0), "6 Sun");
        assert_eq!(day_tick(7.5), "7 Mon 12:00");
    }

    #[test]
    fn steps_keep_only_changes() {
        let s = |t: f64, v: f64| Sample {
            t,
            allocated: Some(v),
            busy: None,
            provisioning: None,
            queue: None,
        };
        let samples = [s(0.0, 1.0), s(1.0, 1.0), s(2.0, 3.0), s(3.0, 3.0)];
        assert_eq!(
            steps(&samples, |x| x.allocated, 1.0),
            vec![(0.0, 1.0), (2.0, 1.0), (2.0, 3.0), (3.0, 3.0)]
        );
    }

    #[test]
    fn hatching_stays_inside() {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (100, 100)).into_drawing_area();
            hatch(&root, (10, 10), (40, 60), 7, true, &INK).unwrap();
            hatch(&root, (10, 10), (40, 60), 7, false, &INK).unwrap();
            root.present().unwrap();
        }
        for cap in svg.split("points=\"").skip(1) {
            let pts = cap.split('"').next().unwrap();
            for p in pts.split_whitespace() {
                let (x, y) = p.split_once(',').unwrap();
                let (x, y): (i32, i32) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((10..=40).contains(&x) && (10..=60).contains(&y), "{x},{y}");
            }
        }
    }
}
