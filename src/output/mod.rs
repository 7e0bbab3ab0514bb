//! Results to bytes (pure functions) and one writer that puts them on disk safely.

mod files;
pub mod offered;
pub mod runinfo;
pub mod schema;
pub mod shard;
pub mod sizing;
mod variants;
pub mod workloads;

pub use files::{
    BACKTEST_REQUESTS, CHARTS, OutputDir, OutputError, finish as files_finish, foreign_entries,
    is_backtest_requests, unsupported_entries,
};
pub use sizing::sizing_csv;
pub use variants::VariantFiles;

use crate::engine::time::{SimTime, to_secs_f64};
use crate::model::SampleSink;
use crate::scenario::Scenario;
use crate::scenario::sweep::{Plan, Variant};
use crate::sweep::{RunResult, tradeoff};
use crate::targets::TargetSample;
use crate::text::num;
use std::io::Write;

/// The cells of `summary.csv`'s and `replications.csv`'s target columns, from `target` to
/// `service_time_model`.
fn identity(s: &Scenario, t: usize) -> Vec<String> {
    let spec = &s.system.targets[t];
    vec![
        spec.name.clone(),
        spec.type_name().into(),
        spec.size().into(),
        spec.tier().into(),
        num(spec.price_usd_per_hour()),
        spec.price_source.clone(),
        // Endpoints: which service-time model each traffic stream used (blank for compute).
        s.system
            .traffic
            .iter()
            .filter(|tr| tr.target == t)
            .map(|tr| format!("{}: {}", tr.name, tr.service_description))
            .collect::<Vec<_>>()
            .join("; "),
    ]
}

/// The paths of the plan's `parameter_<path>` columns: every swept field.
fn parameters(plan: &Plan) -> Vec<String> {
    plan.variants.first().map_or(vec![], |v| {
        v.params.iter().map(|(p, _)| p.clone()).collect()
    })
}

/// The cells of `scenario`, `variant` and the `parameter_<path>` columns.
fn variant_cells(v: &Variant) -> Vec<String> {
    let mut c = vec![v.scenario.name.clone(), v.index.to_string()];
    c.extend(v.params.iter().map(|(_, value)| value.clone()));
    c
}

/// `summary.csv`: one row per variant and target; every metric as the mean over replications
/// followed by the half-width of its 95% confidence interval.
pub fn summary_csv(plan: &Plan, results: &[RunResult]) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::summary::FILE.header(&parameters(plan)))?;
    for (v, result) in plan.variants.iter().zip(results) {
        let s = &v.scenario;
        for (t, est) in result.summary(s.system.targets.len()).iter().enumerate() {
            let mut row = variant_cells(v);
            row.extend(identity(s, t));
            row.push(s.replications.to_string());
            row.push(s.seed.to_string());
            row.push(s.start_date.clone());
            row.push(num(to_secs_f64(s.system.horizon)));
            row.push(num(to_secs_f64(s.system.warmup)));
            for e in est {
                row.push(num(e.mean));
                row.push(num(e.ci95));
            }
            w.write_record(&row)?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `replications.csv`: one row per variant, replication and target.
pub fn replications_csv(plan: &Plan, results: &[RunResult]) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::replications::FILE.header(&parameters(plan)))?;
    for (v, result) in plan.variants.iter().zip(results) {
        let s = &v.scenario;
        for r in &result.rows {
            for (t, values) in r.targets.iter().enumerate() {
                let mut row = variant_cells(v);
                row.extend(identity(s, t));
                row.push(r.replication.to_string());
                row.push(s.seed.to_string());
                row.push(r.replication_seed.to_string());
                row.push(r.events.to_string());
                row.extend(values.iter().map(|&v| num(v)));
                w.write_record(&row)?;
            }
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `tradeoff.csv`: cost against waiting per variant and target, with paired differences against
/// variant 0, the Pareto front and the goal.
pub fn tradeoff_csv(plan: &Plan, rows: &[tradeoff::Row]) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::tradeoff::FILE.header(&parameters(plan)))?;
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    for r in rows {
        let v = &plan.variants[r.variant];
        let mut row = variant_cells(v);
        row.push(v.scenario.system.targets[r.target].name.clone());
        for e in [
            r.cost_per_month_usd,
            r.idle_cost_per_month_usd,
            r.wait_mean_s,
            r.wait_p95_s,
        ] {
            row.push(num(e.mean));
            row.push(num(e.ci95));
        }
        for d in [r.cost_diff_per_month_usd, r.wait_p95_diff_s] {
            row.push(num(d.mean));
            row.push(num(d.ci95));
            row.push(if r.variant == 0 {
                String::new()
            } else {
                yes_no(d.significant())
            });
        }
        row.push(yes_no(r.pareto));
        row.push(
            r.meets_goal
                .map_or(String::new(), |g| g.as_str().to_string()),
        );
        row.push(yes_no(r.recommended));
        row.push(r.noise_cell());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `commitments.csv` from the rows of [`crate::sweep::commitments::analyse`].
pub fn commitments_csv(
    plan: &Plan,
    rows: &[crate::sweep::commitments::Row],
) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::commitments::FILE.header(&parameters(plan)))?;
    let opt = |x: Option<f64>| x.map_or(String::new(), num);
    for r in rows {
        let mut row = variant_cells(&plan.variants[r.variant]);
        row.extend([
            r.size.clone(),
            r.region.clone(),
            r.targets.clone(),
            r.commitment.to_string(),
            r.reserved_instances
                .map_or(String::new(), |k| k.to_string()),
            opt(r.commitment_usd_per_hour),
            opt(r.price_usd_per_hour),
        ]);
        for e in [r.cost, r.saving, r.coverage, r.utilisation] {
            row.push(num(e.mean));
            row.push(num(e.ci95));
        }
        row.push(opt(r.break_even_utilisation));
        row.push(if r.best { "yes" } else { "no" }.to_string());
        row.push(opt(r.best_level.map(|e| e.mean)));
        row.push(opt(r.best_level.map(|e| e.ci95)));
        row.push(r.note.clone());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

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
        let error = writer
            .write_record(schema::timeseries::FILE.header(&[]))
            .err();
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
