//! Results to bytes (pure functions) and one writer that puts them on disk safely.

mod files;
mod table;

pub use files::{OutputDir, finish as files_finish};
pub use table::terminal_summary;

use crate::engine::time::{SimTime, to_secs_f64};
use crate::metrics::METRICS;
use crate::model::SampleSink;
use crate::scenario::Scenario;
use crate::sweep::RunResult;
use crate::targets::TargetSample;
use std::io::Write;

/// Formats a number for CSV: up to 6 decimals, trailing zeros dropped, empty when undefined.
/// Fixed decimals (rather than shortest round-trip) keep files stable and readable in
/// spreadsheets.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Columns that identify a row of `summary.csv` and `replications.csv`, before the metrics.
const IDENTITY: &[&str] = &[
    "scenario",
    "target",
    "target_type",
    "size",
    "tier",
    "price_usd_per_hour",
    "price_source",
];

fn identity(s: &Scenario, t: usize) -> Vec<String> {
    let spec = &s.system.targets[t];
    vec![
        s.name.clone(),
        spec.name.clone(),
        spec.type_name().into(),
        spec.size().into(),
        spec.tier().into(),
        num(spec.price_usd_per_hour()),
        spec.price_source.clone(),
    ]
}

/// `summary.csv`: one row per target; every metric as the mean over replications followed by the
/// half-width of its 95% confidence interval.
pub fn summary_csv(s: &Scenario, result: &RunResult) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    let mut header: Vec<String> = IDENTITY.iter().map(|c| c.to_string()).collect();
    header.extend(
        ["replications", "seed", "horizon_s", "warmup_s"]
            .iter()
            .map(|c| c.to_string()),
    );
    for m in METRICS {
        header.push(m.name.into());
        header.push(format!("{}_ci95", m.name));
    }
    w.write_record(&header)?;
    for (t, est) in result.summary(s.system.targets.len()).iter().enumerate() {
        let mut row = identity(s, t);
        row.push(s.replications.to_string());
        row.push(s.seed.to_string());
        row.push(num(to_secs_f64(s.system.horizon)));
        row.push(num(to_secs_f64(s.system.warmup)));
        for e in est {
            row.push(num(e.mean));
            row.push(num(e.ci95));
        }
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `replications.csv`: one row per replication and target.
pub fn replications_csv(s: &Scenario, result: &RunResult) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    let mut header: Vec<&str> = IDENTITY.to_vec();
    header.extend(["replication", "seed", "replication_seed", "events"]);
    header.extend(METRICS.iter().map(|m| m.name));
    w.write_record(&header)?;
    for r in &result.rows {
        for (t, values) in r.targets.iter().enumerate() {
            let mut row = identity(s, t);
            row.push(r.replication.to_string());
            row.push(s.seed.to_string());
            row.push(r.replication_seed.to_string());
            row.push(r.events.to_string());
            row.extend(values.iter().map(|&v| num(v)));
            w.write_record(&row)?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

pub const TIMESERIES_HEADER: &[&str] = &[
    "replication",
    "time_s",
    "target",
    "nodes_allocated",
    "nodes_busy",
    "nodes_provisioning",
    "nodes_idle",
    "queue_jobs",
    "cumulative_cost_usd",
];

/// Streams `timeseries.csv` rows as the simulation produces them, so memory does not grow with
/// the horizon. The first write error is kept and reported when the run ends.
pub struct TimeseriesWriter<W: Write> {
    writer: csv::Writer<W>,
    targets: Vec<String>,
    replication: u64,
    error: Option<csv::Error>,
}

impl<W: Write> TimeseriesWriter<W> {
    pub fn new(inner: W, s: &Scenario, replication: u64) -> Self {
        let mut writer = csv::Writer::from_writer(inner);
        let error = writer.write_record(TIMESERIES_HEADER).err();
        TimeseriesWriter {
            writer,
            targets: s.system.targets.iter().map(|t| t.name.clone()).collect(),
            replication,
            error,
        }
    }

    pub fn finish(mut self) -> csv::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.writer.into_inner().map_err(|e| e.into_error().into())
    }
}

impl<W: Write> SampleSink for TimeseriesWriter<W> {
    fn sample(&mut self, time: SimTime, target: usize, sample: &TargetSample) {
        if self.error.is_some() {
            return;
        }
        let TargetSample::Cluster(c) = sample;
        let row = [
            self.replication.to_string(),
            num(to_secs_f64(time)),
            self.targets[target].clone(),
            c.nodes_allocated.to_string(),
            c.nodes_busy.to_string(),
            c.nodes_provisioning.to_string(),
            c.nodes_idle.to_string(),
            c.queue_jobs.to_string(),
            num(c.cumulative_cost_usd),
        ];
        self.error = self.writer.write_record(&row).err();
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_trimmed_and_blank_when_undefined() {
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(1.0 / 3.0), "0.333333");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(-0.0000001), "0");
    }
}
