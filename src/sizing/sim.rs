//! The simulation behind `capsim size`: each (size, count, rate) point is the scenario with
//! `endpoint.<name>.instance_type`, `endpoint.<name>.instance_count` and the traffic's rate set
//! (exactly as `--set` would), validated as a hand-written scenario would be; the points of one
//! batch run as one plan, every replication of every point spread over the worker threads.
//!
//! Every point uses the scenario's seed, so all sizes and counts see the same arrivals (common
//! random numbers): differences between counts are the counts', not the streams'.

use super::SizingError;
use super::search::{Admission, Evaluator, Measured, Point};
use crate::metrics::METRICS;
use crate::scenario::{Edits, LoadError, Plan, RateOverride, SizingSpec, Source, load};
use std::sync::atomic::{AtomicBool, Ordering};

pub struct SimEvaluator<'a> {
    pub source: &'a Source,
    /// The command line's edits (its seed and replications among them), made before each
    /// point's own.
    pub edits: &'a Edits,
    pub spec: &'a SizingSpec,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Called once per finished replication, from worker threads.
    pub progress: Option<&'a (dyn Fn() + Sync)>,
    /// Set from another thread (Ctrl-C): no more simulations start, and the search ends with
    /// [`SizingError::Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
    /// Each batch is refused before it starts when its estimate passes these.
    pub limits: &'a crate::sweep::estimate::Limits,
}

/// The `--set` assignments that put `point` into the scenario.
pub fn assignments(spec: &SizingSpec, point: &Point) -> Vec<String> {
    let e = &spec.endpoint;
    let mut sets = vec![
        format!("endpoint.{e}.instance_type={:?}", point.size),
        format!("endpoint.{e}.instance_count={}", point.count),
    ];
    if let RateOverride::Set { path, per_second } = &spec.rate {
        sets.push(format!("{path}={:?}", point.rate_per_second * per_second));
    }
    sets.extend(spec.extra_sets.iter().cloned());
    sets
}

fn metric(name: &str) -> Result<usize, SizingError> {
    METRICS.iter().position(|m| m.name == name).ok_or_else(|| {
        SizingError::Failed(format!(
            "this capsim's metrics have no `{name}`: the managed online endpoint model is missing"
        ))
    })
}

impl SimEvaluator<'_> {
    /// The scenario at `point`, as the loader checks it.
    fn load(&self, point: &Point) -> Result<Plan, LoadError> {
        // The point's own assignments come last, so that they win over the command line's.
        let mut edits = self.edits.clone();
        edits.sets.extend(assignments(self.spec, point));
        load(self.source, &edits)
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// The price per instance-hour the scenario bills for `size`, and where it comes from; `None`
    /// when the scenario does not load with that size (a retired series, a quota of 0).
    pub fn price(&self, size: &str) -> Option<(f64, String)> {
        let plan = self
            .load(&Point {
                size: size.to_string(),
                count: 1,
                rate_per_second: self.spec.target.peak_rate_per_second,
            })
            .ok()?;
        let s = &plan.variants.first()?.scenario;
        let t = s
            .system
            .targets
            .iter()
            .find(|t| t.name == self.spec.endpoint)?;
        Some((t.price_usd_per_hour(), t.price_source.clone()))
    }

    /// The scenario at `point`, with the command line's seed and replications.
    pub fn plan(&self, point: &Point) -> Result<Plan, SizingError> {
        self.load(point).map_err(|e| {
            SizingError::Input(format!(
                "{} with {} instances: {e}",
                point.size, point.count
            ))
        })
    }
}

impl Evaluator for SimEvaluator<'_> {
    fn admit(&mut self, size: &str, max_instances: u32) -> Admission {
        let at = |count: u32| {
            self.load(&Point {
                size: size.to_string(),
                count,
                rate_per_second: self.spec.target.peak_rate_per_second,
            })
        };
        let price = |plan: &Plan| {
            let s = &plan.variants.first()?.scenario;
            s.system
                .targets
                .iter()
                .find(|t| t.name == self.spec.endpoint)
                .map(|t| t.price_usd_per_hour())
        };
        let first_error = |e: LoadError| match e {
            LoadError::Invalid { errors, .. } => errors
                .first()
                .map_or_else(String::new, |d| format!("{}: {}", d.field, d.message)),
            e => e.to_string(),
        };
        let top = match at(max_instances) {
            Ok(plan) => {
                return Admission {
                    price_usd_per_hour: price(&plan),
                    max_instances,
                    limited_by: None,
                };
            }
            Err(e) => first_error(e),
        };
        let Ok(one) = at(1) else {
            return Admission {
                price_usd_per_hour: None,
                max_instances: 0,
                limited_by: Some(top),
            };
        };
        // The largest accepted count (a quota), by bisection: `lo` loads, `hi` does not.
        let (mut lo, mut hi, mut why) = (1, max_instances, top);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match at(mid) {
                Ok(_) => lo = mid,
                Err(e) => {
                    hi = mid;
                    why = first_error(e);
                }
            }
        }
        Admission {
            price_usd_per_hour: price(&one),
            max_instances: lo,
            limited_by: Some(why),
        }
    }

    fn evaluate(&mut self, points: &[Point]) -> Result<Vec<Measured>, SizingError> {
        if self.cancelled() {
            return Err(SizingError::Interrupted);
        }
        let mut combined: Option<Plan> = None;
        for (index, p) in points.iter().enumerate() {
            let mut plan = self.plan(p)?;
            let mut v = plan.variants.swap_remove(0);
            v.index = index;
            match combined.as_mut() {
                Some(c) => c.variants.push(v),
                None => {
                    plan.variants = vec![v];
                    combined = Some(plan);
                }
            }
        }
        let Some(plan) = combined else {
            return Ok(vec![]);
        };
        // The resource guard, as `run` has it: the batch's simulations, no files.
        let estimate =
            crate::sweep::estimate::estimate_on(&plan, self.threads, 1.0, false, self.limits.cores);
        if let Err(mut too_big) = estimate.check(self.limits) {
            too_big.command = crate::sweep::estimate::Command::Size;
            return Err(SizingError::Input(too_big.to_string()));
        }
        let control = crate::sweep::Control {
            threads: self.threads,
            progress: self.progress,
            cancel: self.cancel,
            ..Default::default()
        };
        let outcome = crate::sweep::run_plan_with(&plan, &control, None).map_err(|e| {
            SizingError::Failed(format!("cannot start {} worker threads: {e}", self.threads))
        })?;
        // Some points lack replications: their estimates would not be comparable.
        if outcome.interrupted {
            return Err(SizingError::Interrupted);
        }
        let targets = &plan.variants[0].scenario.system.targets;
        let target = targets
            .iter()
            .position(|t| t.name == self.spec.endpoint)
            .ok_or_else(|| {
                SizingError::Failed(format!(
                    "the simulation reports no target named `{}`",
                    self.spec.endpoint
                ))
            })?;
        let idx = |n: &str| metric(n);
        let names = [
            idx("requests")?,
            idx("served")?,
            idx("rejected_429_share")?,
            idx("timed_out_408")?,
            idx("latency_p50_ms")?,
            idx("latency_p95_ms")?,
            idx("latency_p99_ms")?,
            idx("service_time_mean_ms")?,
            idx("slo_attainment")?,
            idx("cost_per_month_usd")?,
        ];
        Ok(outcome
            .by_variant(&plan)
            .iter()
            .map(|r| {
                let s = &r.summary(targets.len())[target];
                let e = |i: usize| s[names[i]];
                Measured {
                    requests: e(0),
                    served: e(1),
                    rejected_429_share: e(2),
                    timed_out_408: e(3),
                    latency_p50_ms: e(4),
                    latency_p95_ms: e(5),
                    latency_p99_ms: e(6),
                    service_time_mean_ms: e(7),
                    slo_attainment: e(8),
                    cost_per_month_usd: e(9),
                }
            })
            .collect())
    }
}
