//! The `[goal]` table as loaded: which measures a sweep's recommended setting must meet, and the
//! practical margin (`tolerance`) within which a close call counts as meeting.
//!
//! Compute clusters are judged on their jobs' p95 wait; online endpoints on their requests'
//! latency percentiles, shares of 429s and 408s and SLO attainment; every target on the budget.
//! A measure applies only to the targets that have it ([`Measure::applies_to`]), so an endpoint
//! sweep is never judged on job waits. Reading and checking the table is in
//! `validate/goal.rs`.

use crate::targets::{TargetKind, TargetSpec};
use serde::{Deserialize, Serialize};

/// The `[goal]` table: what a sweep's recommended setting must meet. Fields added after the
/// first two are left out of `run.json` when unset, so folders of goals without them read the
/// same as before.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub wait_p95_s: Option<f64>,
    pub budget_per_month_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p99_ms: Option<f64>,
    /// At most this share of requests rejected with 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_429_share: Option<f64>,
    /// At most this share of requests ended with 408.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_408_share: Option<f64>,
    /// At least this share of requests served within the endpoint's `slo.latency_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_attainment: Option<f64>,
    /// `tolerance = "30s"`: a wait or latency this close past its bound still counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_s: Option<f64>,
    /// `tolerance = 0.005`: a share this close past its bound still counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_share: Option<f64>,
}

/// One measure a goal can bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    WaitP95,
    LatencyP50,
    LatencyP95,
    LatencyP99,
    Share429,
    Share408,
    SloAttainment,
    Budget,
}

/// What a measure counts in, for its tolerance and its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Seconds,
    Milliseconds,
    Share,
    Usd,
}

impl Measure {
    /// The key in `[goal]`.
    pub const fn key(self) -> &'static str {
        match self {
            Measure::WaitP95 => "wait_p95",
            Measure::LatencyP50 => "latency_p50",
            Measure::LatencyP95 => "latency_p95",
            Measure::LatencyP99 => "latency_p99",
            Measure::Share429 => "max_429_share",
            Measure::Share408 => "max_408_share",
            Measure::SloAttainment => "slo_attainment",
            Measure::Budget => "budget_per_month_usd",
        }
    }

    /// The measure's name in words.
    pub const fn label(self) -> &'static str {
        match self {
            Measure::WaitP95 => "p95 wait",
            Measure::LatencyP50 => "p50 latency",
            Measure::LatencyP95 => "p95 latency",
            Measure::LatencyP99 => "p99 latency",
            Measure::Share429 => "429 share",
            Measure::Share408 => "408 share",
            Measure::SloAttainment => "SLO attainment",
            Measure::Budget => "cost",
        }
    }

    pub const fn scale(self) -> Scale {
        match self {
            Measure::WaitP95 => Scale::Seconds,
            Measure::LatencyP50 | Measure::LatencyP95 | Measure::LatencyP99 => Scale::Milliseconds,
            Measure::Share429 | Measure::Share408 | Measure::SloAttainment => Scale::Share,
            Measure::Budget => Scale::Usd,
        }
    }

    /// The goal is a floor (at least), not a ceiling.
    pub const fn is_floor(self) -> bool {
        matches!(self, Measure::SloAttainment)
    }

    /// Whether targets of `kind` have this measure: waits are of jobs (clusters, instances,
    /// serverless, batch endpoints), latencies and shares of online endpoints' requests, cost of
    /// every target.
    pub fn applies_to(self, kind: &TargetKind) -> bool {
        let online = matches!(kind, TargetKind::Endpoint { .. });
        match self {
            Measure::Budget => true,
            Measure::WaitP95 => !online,
            Measure::SloAttainment => {
                matches!(kind, TargetKind::Endpoint { spec, .. } if spec.slo.is_some())
            }
            _ => online,
        }
    }

    /// The measure, a time one, that a row of a target of `kind` is compared on besides cost
    /// (Pareto front, paired differences): the goal's first time measure that applies, else p95
    /// wait for jobs and p95 latency for requests.
    pub fn primary(goal: Option<&Goal>, target: &TargetSpec) -> Measure {
        goal.and_then(|g| {
            g.measures().into_iter().map(|(m, _)| m).find(|m| {
                m.applies_to(&target.kind)
                    && matches!(m.scale(), Scale::Seconds | Scale::Milliseconds)
            })
        })
        .unwrap_or(if matches!(target.kind, TargetKind::Endpoint { .. }) {
            Measure::LatencyP95
        } else {
            Measure::WaitP95
        })
    }
}

impl Goal {
    /// Every bound the goal sets, in a fixed order (waits, latencies, shares, budget), with its
    /// value in the measure's unit (seconds, milliseconds, a share, US dollars a month).
    pub fn measures(&self) -> Vec<(Measure, f64)> {
        [
            (Measure::WaitP95, self.wait_p95_s),
            (Measure::LatencyP50, self.latency_p50_ms),
            (Measure::LatencyP95, self.latency_p95_ms),
            (Measure::LatencyP99, self.latency_p99_ms),
            (Measure::Share429, self.max_429_share),
            (Measure::Share408, self.max_408_share),
            (Measure::SloAttainment, self.slo_attainment),
            (Measure::Budget, self.budget_per_month_usd),
        ]
        .into_iter()
        .filter_map(|(m, b)| b.map(|b| (m, b)))
        .collect()
    }

    /// The practical margin for `m`, in its unit (0 when none is set).
    pub fn tolerance(&self, m: Measure) -> f64 {
        match m.scale() {
            Scale::Seconds => self.tolerance_s.unwrap_or(0.0),
            Scale::Milliseconds => self.tolerance_s.map_or(0.0, |s| s * 1000.0),
            Scale::Share => self.tolerance_share.unwrap_or(0.0),
            Scale::Usd => 0.0,
        }
    }
}
