//! The hour-of-week profile: what a reviewer asks of a week of node counts — how many nodes are
//! billed and busy at each hour of the week on average and at the peak, and how long the queue
//! gets — instead of thousands of 5-minute steps drawn side by side.
//!
//! Built from the samples of `timeseries.csv` after the warm-up, each sample (taken at a regular
//! interval) counting once in the hour of the week it falls in (time zero is Monday 00:00).

use super::charts::{self};
use super::data::Sample;
use crate::text::number::group_thousands;
use plotters::prelude::*;

const HOURS: usize = 168;
const WEEK_S: f64 = 7.0 * 86_400.0;

/// One hour of the week: means and peaks over the samples that fall in it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hour {
    pub samples: usize,
    pub allocated_mean: f64,
    pub allocated_peak: f64,
    pub busy_mean: f64,
    pub queue_mean: f64,
    pub queue_peak: f64,
}

/// The 168 hours of the week from the samples at or after `from_s`; `None` when no sample is.
pub fn hour_of_week(samples: &[Sample], from_s: f64) -> Option<Vec<Hour>> {
    let mut hours = vec![Hour::default(); HOURS];
    for s in samples.iter().filter(|s| s.t >= from_s) {
        let h = ((s.t.rem_euclid(WEEK_S)) / 3600.0).floor() as usize;
        let h = &mut hours[h.min(HOURS - 1)];
        let a = s.allocated.unwrap_or(0.0);
        let q = s.queue.unwrap_or(0.0);
        h.samples += 1;
        h.allocated_mean += a;
        h.allocated_peak = h.allocated_peak.max(a);
        h.busy_mean += s.busy.unwrap_or(0.0);
        h.queue_mean += q;
        h.queue_peak = h.queue_peak.max(q);
    }
    if hours.iter().all(|h| h.samples == 0) {
        return None;
    }
    for h in &mut hours {
        if h.samples > 0 {
            let n = h.samples as f64;
            h.allocated_mean /= n;
            h.busy_mean /= n;
            h.queue_mean /= n;
        }
    }
    Some(hours)
}

/// Words for a target's units: nodes running jobs, or instances serving requests.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    pub units: &'static str,
    pub busy: &'static str,
    pub queued: &'static str,
}

pub const CLUSTER_WORDS: Words = Words {
    units: "Nodes",
    busy: "busy (running jobs)",
    queued: "queued jobs",
};

pub const ENDPOINT_WORDS: Words = Words {
    units: "Instances",
    busy: "busy (serving requests)",
    queued: "queued requests",
};

/// The profile as a chart: billed (allocated) nodes on average as an area with busy inside it,
/// the peak as a line above, and the queue's mean and peak on the right axis.
pub fn profile_chart(hours: &[Hour], words: Words, title: &str) -> anyhow::Result<String> {
    // Each hour is drawn as a step from h to h + 1.
    let steps = |f: &dyn Fn(&Hour) -> f64| -> Vec<(f64, f64)> {
        let mut pts = vec![];
        for (i, h) in hours.iter().enumerate() {
            let v = if h.samples > 0 { f(h) } else { 0.0 };
            // In days, so that the axis ticks fall on the days' starts.
            pts.push((i as f64 / 24.0, v));
            pts.push(((i as f64 + 1.0) / 24.0, v));
        }
        pts
    };
    let billed = steps(&|h| h.allocated_mean);
    let busy = steps(&|h| h.busy_mean);
    let peak = steps(&|h| h.allocated_peak);
    let q_mean = steps(&|h| h.queue_mean);
    let q_peak = steps(&|h| h.queue_peak);
    let node_max = peak.iter().map(|p| p.1).fold(1.0f64, f64::max);
    let queue_max = q_peak.iter().map(|p| p.1).fold(1.0f64, f64::max);
    let y_top = (node_max * 1.45).ceil().max(2.0);
    let q_top = (queue_max * 1.45).ceil().max(2.0);
    let area = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        let mut poly = vec![(0.0, 0.0)];
        poly.extend_from_slice(pts);
        poly.push((7.0, 0.0));
        poly
    };
    let (billed_area, busy_area) = (area(&billed), area(&busy));
    let units_lower = words.units.to_lowercase();
    charts::render(title, (charts::WIDTH, charts::HEIGHT), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (charts::FONT, 20))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .right_y_label_area_size(60)
            .build_cartesian_2d(0.0..7.0, 0.0..y_top)
            .map_err(charts::draw_err)?
            .set_secondary_coord(0.0..7.0, 0.0..q_top);
        let int_tick = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                group_thousands(v.round().max(0.0) as u64)
            } else {
                String::new()
            }
        };
        let day_tick = |v: &f64| {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let d = v.round() as usize;
            if (*v - d as f64).abs() < 1e-9 && d < 7 {
                DAYS[d].to_string()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels((y_top as usize + 1).min(10))
            .max_light_lines(0)
            .bold_line_style(charts::GRID)
            .x_label_formatter(&day_tick)
            .y_label_formatter(&int_tick)
            .x_desc("Hour of the week (simulated time zero is Monday 00:00)")
            .y_desc(words.units)
            .label_style((charts::FONT, 13))
            .axis_desc_style((charts::FONT, 14))
            .draw()
            .map_err(charts::draw_err)?;
        chart
            .configure_secondary_axes()
            .y_labels((q_top as usize + 1).min(10))
            .y_label_formatter(&int_tick)
            .y_desc(format!("{} (red, right axis)", capitalise(words.queued)))
            .label_style((charts::FONT, 13))
            .axis_desc_style((charts::FONT, 14))
            .draw()
            .map_err(charts::draw_err)?;
        let mid = charts::MID;
        chart
            .draw_series(std::iter::once(Polygon::new(
                billed_area.clone(),
                mid.filled(),
            )))
            .map_err(charts::draw_err)?
            .label(format!(
                "billed {units_lower}, mean (idle and provisioning above busy)"
            ))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], mid.filled()));
        let dark = charts::DARK;
        chart
            .draw_series(std::iter::once(Polygon::new(
                busy_area.clone(),
                dark.filled(),
            )))
            .map_err(charts::draw_err)?
            .label(format!("{}, mean", words.busy))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], dark.filled()));
        chart
            .draw_series(LineSeries::new(peak.clone(), charts::INK.stroke_width(1)))
            .map_err(charts::draw_err)?
            .label(format!("billed {units_lower}, peak"))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], charts::INK.stroke_width(1))
            });
        chart
            .draw_secondary_series(LineSeries::new(
                q_mean.clone(),
                charts::QUEUE.stroke_width(2),
            ))
            .map_err(charts::draw_err)?
            .label(format!("{}, mean (right axis)", words.queued))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], charts::QUEUE.stroke_width(2))
            });
        let light_queue = charts::QUEUE.mix(0.45);
        chart
            .draw_secondary_series(LineSeries::new(q_peak.clone(), light_queue.stroke_width(1)))
            .map_err(charts::draw_err)?
            .label(format!("{}, peak (right axis)", words.queued))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], light_queue.stroke_width(1))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.92))
            .border_style(charts::INK)
            .label_font((charts::FONT, 13))
            .draw()
            .map_err(charts::draw_err)?;
        Ok(())
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: f64, allocated: f64, busy: f64, queue: f64) -> Sample {
        Sample {
            t,
            allocated: Some(allocated),
            busy: Some(busy),
            provisioning: Some(0.0),
            queue: Some(queue),
        }
    }

    #[test]
    fn samples_fold_into_their_hour_of_the_week() {
        // Monday 09:00 of two weeks (2 and 4 nodes), Sunday 23:30 once; one warm-up sample.
        let samples = [
            at(0.0, 9.0, 9.0, 9.0),
            at(9.0 * 3600.0, 2.0, 1.0, 0.0),
            at(WEEK_S + 9.0 * 3600.0 + 60.0, 4.0, 3.0, 6.0),
            at(WEEK_S - 1800.0, 1.0, 0.0, 2.0),
        ];
        let h = hour_of_week(&samples, 60.0).unwrap();
        assert_eq!(h[9].samples, 2);
        assert_eq!(h[9].allocated_mean, 3.0);
        assert_eq!(h[9].allocated_peak, 4.0);
        assert_eq!(h[9].busy_mean, 2.0);
        assert_eq!(h[9].queue_mean, 3.0);
        assert_eq!(h[9].queue_peak, 6.0);
        assert_eq!(h[167].samples, 1);
        // The warm-up sample at t = 0 is left out.
        assert_eq!(h[0].samples, 0);
        assert!(hour_of_week(&samples, 10.0 * WEEK_S).is_none());
        assert!(
            profile_chart(&h, CLUSTER_WORDS, "t")
                .unwrap()
                .contains("<svg")
        );
    }
}
