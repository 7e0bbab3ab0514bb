//! Where the money goes: a waterfall of each target's cost per month, from useful work through
//! the floor, the tail, provisioning, lost work, headroom and fixed costs to the total, for the
//! baseline setting (#0) and the recommended one side by side.
//!
//! The steps are the `spend_*_usd` columns of `summary.csv`, which add up to `cost_usd` in every
//! row, scaled to a month as `cost_per_month_usd` is; so the last step lands on the total bar.

use super::{
    Area, Chart, Corners, DARK, FONT, GRID, HEIGHT, INK, LIGHT, WIDTH, draw_err, hatch, render,
    text_style, v_interval,
};
use crate::metrics::{Estimate, M};
use crate::output::schema::{summary as sum, tradeoff as trade};
use crate::report::Builder;
use crate::report::render::Block;
use crate::text::format::usd;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// The parts, in the order the waterfall walks them, with their labels.
pub const STEPS: [(M, &str); 7] = [
    (M::spend_busy, "useful work"),
    (M::spend_floor, "floor (min_instances)"),
    (M::spend_tail, "tail (scale-down)"),
    (M::spend_provisioning, "provisioning"),
    (M::spend_lost_work, "lost work"),
    (M::spend_headroom, "headroom"),
    (M::spend_fixed, "fixed"),
];

/// One setting's waterfall: its parts per month (in [`STEPS`] order) and its total.
#[derive(Clone, Debug)]
pub struct Waterfall {
    /// `baseline #0`, `recommended #3`, or the target's name in a run without a sweep.
    pub label: String,
    pub parts: [Estimate; 7],
    pub total: Estimate,
}

/// Draws the waterfalls of one target (one or two settings), leaving out the parts that are zero
/// in every setting.
pub fn waterfall_chart(settings: &[Waterfall], title: &str) -> anyhow::Result<String> {
    let shown: Vec<usize> = (0..STEPS.len())
        .filter(|&k| {
            settings
                .iter()
                .any(|w| w.parts[k].known_mean().is_some_and(|m| m.abs() > 0.0))
        })
        .collect();
    let mut labels: Vec<&str> = shown.iter().map(|&k| STEPS[k].1).collect();
    labels.push("total");
    let n = labels.len();
    let top = settings
        .iter()
        .map(|w| {
            let mut run = 0.0f64;
            let mut hi = 0.0f64;
            for &k in &shown {
                let p = w.parts[k];
                run += p.known_mean().unwrap_or(0.0);
                hi = hi.max(run + p.known_ci95().unwrap_or(0.0));
            }
            hi.max(w.total.bounds().map_or(0.0, |(_, h)| h))
        })
        .fold(0.0f64, f64::max);
    let y_max = if top > 0.0 { top * 1.25 } else { 1.0 };
    let m = settings.len().max(1) as f64;
    // Bars of the settings side by side within a category's slot.
    let width = 0.72 / m;
    let offset = |s: usize| -0.36 + width * (s as f64 + 0.5);
    let fills = [LIGHT, DARK];
    render(title, (WIDTH, HEIGHT), |root: &Area| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(64)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..y_max)
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
            .x_desc("Where the money goes")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        let values = n * settings.len() <= 18;
        for (s, w) in settings.iter().enumerate() {
            let fill = fills[(s + 2 - settings.len()) % 2];
            let dx = offset(s);
            let half = width * 0.45;
            let mut run = 0.0f64;
            let mut bars: Vec<(Corners, Estimate)> = vec![];
            for (i, &k) in shown.iter().enumerate() {
                let p = w.parts[k];
                let v = p.known_mean().unwrap_or(0.0);
                let x = i as f64 + dx;
                bars.push((((x - half, run), (x + half, run + v)), p));
                // The step to the next bar, at the level this one ends.
                let next = if i + 1 < n {
                    i as f64 + 1.0 + dx - half
                } else {
                    x
                };
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x + half, run + v), (next, run + v)],
                        ShapeStyle::from(&INK.mix(0.5)).stroke_width(1),
                    )))
                    .map_err(draw_err)?;
                run += v;
            }
            let x = (n - 1) as f64 + dx;
            let total = w.total.known_mean().unwrap_or(run);
            bars.push((((x - half, 0.0), (x + half, total)), w.total));
            let series: Vec<Rectangle<(f64, f64)>> = bars
                .iter()
                .map(|&((a, b), _)| Rectangle::new([a, b], fill.filled()))
                .collect();
            let legend_fill = fill;
            chart
                .draw_series(series)
                .map_err(draw_err)?
                // Plotters underestimates text widths: the spaces keep the label in its box.
                .label(format!("{}  ", w.label))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -6), (14, 6)], legend_fill.filled())
                        + Rectangle::new([(0, -6), (14, 6)], INK.stroke_width(1))
                });
            for &((a, b), e) in &bars {
                chart
                    .draw_series(std::iter::once(Rectangle::new([a, b], INK.stroke_width(1))))
                    .map_err(draw_err)?;
                if fill == LIGHT {
                    // The baseline is hatched, so the two settings differ in greyscale too.
                    let (p0, p1) = (chart.backend_coord(&a), chart.backend_coord(&b));
                    hatch(root, p0, p1, 7, true, &DARK)?;
                }
                let cx = (a.0 + b.0) / 2.0;
                let end = a.1.max(b.1);
                if let Some(c) = e.known_ci95().filter(|c| *c > 0.0) {
                    chart
                        .draw_series(v_interval(cx, end - c, end + c, half * 0.4))
                        .map_err(draw_err)?;
                }
                if values && let Some(mv) = e.known_mean() {
                    let hi = end + e.known_ci95().unwrap_or(0.0);
                    let (px, py) = chart.backend_coord(&(cx, hi));
                    root.draw(&Text::new(
                        usd(mv),
                        (px, py - 3),
                        text_style(11.0, &INK, HPos::Center, VPos::Bottom),
                    ))
                    .map_err(draw_err)?;
                }
            }
        }
        for (i, l) in labels.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64, 0.0));
            root.draw(&Text::new(
                l.to_string(),
                (px, py + 6),
                text_style(12.0, &INK, HPos::Center, VPos::Top),
            ))
            .map_err(draw_err)?;
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

impl Builder<'_> {
    /// One waterfall per target: the baseline (#0) and, in a sweep with a recommendation, the
    /// recommended setting.
    pub(in crate::report) fn waterfall_charts(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        let missing: Vec<&str> = STEPS
            .iter()
            .map(|(m, _)| m.name())
            .filter(|c| !s.has(*c))
            .collect();
        let Some(k) = run.simulated.per_month() else {
            self.blocks.push(Block::Missing(
                "No where-the-money-goes chart: the horizon is not known (run.json).".into(),
            ));
            return Ok(());
        };
        if !missing.is_empty() {
            self.blocks.push(Block::Missing(format!(
                "No where-the-money-goes chart: summary.csv has no {} column (written by an older capsim).",
                missing.join(", ")
            )));
            return Ok(());
        }
        let per_month = |e: Estimate| Estimate {
            mean: e.mean * k,
            ci95: e.ci95 * k,
            n: e.n,
        };
        for t in &run.targets {
            let base_variant = run.variants.first().cloned().unwrap_or_else(|| "0".into());
            let Some(base) = run.summary_row(&base_variant, t) else {
                continue;
            };
            let rec = run.tradeoff.as_ref().and_then(|tr| {
                run.tradeoff_rows(t)
                    .into_iter()
                    .find(|&i| tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"))
                    .map(|i| run.variant_of(tr, i))
            });
            let mut rows = vec![(base, base_variant.clone())];
            if let Some(v) = rec.filter(|v| *v != base_variant)
                && let Some(r) = run.summary_row(&v, t)
            {
                rows.push((r, v));
            }
            let settings: Vec<Waterfall> = rows
                .iter()
                .map(|(row, v)| Waterfall {
                    label: if !run.is_sweep() {
                        t.clone()
                    } else if *v == base_variant {
                        format!("baseline #{v}")
                    } else {
                        format!("recommended #{v}")
                    },
                    parts: STEPS.map(|(m, _)| per_month(s.est(*row, m))),
                    total: s.est(*row, M::cost_per_month),
                })
                .collect();
            let title = format!("Where the money goes: {t}");
            let svg = waterfall_chart(&settings, &title)?;
            let which = if !run.is_sweep() {
                String::new()
            } else if settings.len() == 2 {
                format!(
                    " Hatched: the baseline, setting #{base_variant} ({}); solid: the recommended setting, #{} ({}).",
                    run.params_long(s, rows[0].0),
                    rows[1].1,
                    run.params_long(s, rows[1].0)
                )
            } else if rec_is_base(run, t, &base_variant) {
                format!(" Setting #{base_variant}, the baseline, is also the recommended one.")
            } else {
                format!(" Setting #{base_variant}, the baseline, alone: nothing is recommended.")
            };
            let kind = s
                .str(base, sum::TARGET_TYPE)
                .map_or(String::new(), |k| format!(" ({k})"));
            let caption = format!(
                "Where the money of {t}{kind} goes, per month: each step is a spend_*_usd column of summary.csv × 730 h / (horizon_s − warmup_s), the scaling of cost_per_month_usd; the last bar is cost_per_month_usd, which the steps add up to. Steps that are zero in every setting are left out. Whiskers: 95% CI of each part and of the total. Floor: idle nodes held only by min_instances; tail: idle nodes above the minimum waiting for scale-down; lost work: work run again, evicted nodes billed while they go, timed-out mini-batch attempts; headroom: endpoint capacity no request used (see docs/models.md).{which}"
            );
            let file = crate::report::chart_file("waterfall", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption,
                svg,
            });
        }
        Ok(())
    }
}

/// Whether the recommended setting of target `t` is the baseline.
fn rec_is_base(run: &crate::report::data::Run, t: &str, base: &str) -> bool {
    run.tradeoff.as_ref().is_some_and(|tr| {
        run.tradeoff_rows(t).into_iter().any(|i| {
            tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes")
                && run.variant_of(tr, i) == base
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(mean: f64) -> Estimate {
        Estimate {
            mean,
            ci95: mean / 10.0,
            n: 4,
        }
    }

    #[test]
    fn steps_zero_in_every_setting_are_left_out() {
        let w = |label: &str, floor: f64| Waterfall {
            label: label.into(),
            parts: [
                est(100.0),
                est(floor),
                est(20.0),
                est(5.0),
                est(0.0),
                est(0.0),
                est(0.0),
            ],
            total: est(125.0 + floor),
        };
        let svg =
            waterfall_chart(&[w("baseline #0", 0.0), w("recommended #2", 50.0)], "t").unwrap();
        for shown in [
            "useful work",
            "floor (min_instances)",
            "tail (scale-down)",
            "provisioning",
            "total",
            "baseline #0",
            "recommended #2",
        ] {
            assert!(svg.contains(shown), "{shown} missing");
        }
        for left_out in ["lost work", "headroom", "fixed"] {
            assert!(!svg.contains(left_out), "{left_out} drawn");
        }
        // The totals are written above their bars.
        assert!(svg.contains("$125") && svg.contains("$175"));
    }
}
