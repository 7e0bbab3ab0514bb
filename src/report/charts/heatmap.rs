//! Heat maps of a two-axis sweep.

use super::*;

/// One cell of the heat map.
#[derive(Clone, Copy, Debug)]
pub struct HeatCell {
    pub row: usize,
    pub col: usize,
    pub cost: Option<f64>,
    pub wait_p95_s: Option<f64>,
    pub recommended: bool,
}

/// Lightness ramp from near-white to dark blue (reads in greyscale); `t` in 0..=1.
pub(super) fn ramp(t: f64) -> RGBColor {
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
