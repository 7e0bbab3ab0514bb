//! The report's charts, drawn with plotters' SVG backend.
//!
//! Plotters writes text as SVG `<text>` elements and estimates text sizes without reading any
//! font file, so the SVG bytes depend only on the numbers: the same output folder gives the same
//! charts on every machine. Colours differ in lightness and lines in dash pattern or marker, so
//! the charts read in greyscale too.

mod commitments;
mod cost;
mod heatmap;
mod nodes;
mod percentiles;
mod tradeoff;
pub use commitments::*;
pub use cost::*;
pub use heatmap::*;
pub use nodes::*;
pub use percentiles::*;
pub use tradeoff::*;
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

pub(super) const FONT: &str = "sans-serif";
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 480;

pub(super) const INK: RGBColor = RGBColor(34, 34, 34);
pub(super) const GRID: RGBColor = RGBColor(210, 210, 210);
/// Dark blue: busy node time, allocated nodes' busy share, the Pareto front.
pub(super) const DARK: RGBColor = RGBColor(31, 78, 121);
/// Orange, mid lightness: idle node time.
pub(super) const MID: RGBColor = RGBColor(237, 139, 44);
/// Light blue (hatched where it matters): provisioning node time.
const LIGHT: RGBColor = RGBColor(189, 215, 238);
/// Very light grey with cross-hatching: fixed and other costs.
const PALE: RGBColor = RGBColor(235, 235, 235);
/// Queue length: a dark red, drawn dotted.
pub(super) const QUEUE: RGBColor = RGBColor(165, 15, 21);
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

pub(super) fn draw_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
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
pub(super) fn render(
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

/// The layout of a chart of categories drawn across `plot_w` pixels.
struct CategoryLayout {
    /// The x range ([`category_range`]).
    xr: std::ops::Range<f64>,
    /// Pixels per category slot.
    slot_px: f64,
    /// The label area its labels need.
    label_h: u32,
    /// The chart's height, grown by what the labels take past 40 pixels.
    height: u32,
}

fn category_layout(labels: &[String], plot_w: f64) -> CategoryLayout {
    let xr = category_range(labels.len());
    let slot_px = plot_w / (xr.end - xr.start);
    let label_h = category_label_height(labels, slot_px);
    CategoryLayout {
        xr,
        slot_px,
        label_h,
        height: HEIGHT + label_h.saturating_sub(40),
    }
}

/// Gives `n` category slots a range at least four slots wide, so one bar is not a wall.
fn category_range(n: usize) -> std::ops::Range<f64> {
    let pad = if n < 4 { (4 - n) as f64 / 2.0 } else { 0.0 };
    (-0.5 - pad)..(n as f64 - 0.5 + pad)
}

/// Two opposite corners of a rectangle, in chart coordinates.
type Corners = ((f64, f64), (f64, f64));

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
