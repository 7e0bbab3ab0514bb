//! Request traffic for inference endpoints: when requests arrive, and how long each one takes to
//! serve on the endpoint's VM size.
//!
//! A request is like a job whose duration is its service time. Arrivals reuse the workload
//! processes ([`ArrivalGen`] for Poisson with daily and weekly profiles, [`MmppGen`] for bursts);
//! a trace of requests carries, besides its timestamps, the prompt and output token counts a
//! token model needs.

use super::{ArrivalGen, MmppArrivals, MmppGen, PoissonArrivals};
use crate::engine::time::{SimTime, from_secs_f64};
use crate::engine::{Sampler, StreamRng};
use std::sync::Arc;

/// Requests replayed from a trace, sorted by time.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestTrace {
    pub times: Vec<SimTime>,
    /// Prompt (input) and generated (output) tokens per request; empty when the trace has no
    /// token columns.
    pub tokens: Vec<(u32, u32)>,
    /// With `repeat`, the trace starts over every `period`.
    pub repeat: bool,
    pub period: SimTime,
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum RequestArrivals {
    Poisson(PoissonRequests),
    /// Loaded once, shared by every replication and variant.
    Trace(Arc<RequestTrace>),
}

/// Requests as a Poisson process: at a rate that follows the clock, or Markov-modulated (an
/// MMPP is a Poisson process whose rate follows a hidden two-state chain). One variant of
/// [`RequestArrivals`] for both, so code that needs only the mean rate treats them alike.
// One per traffic stream, read once per replication: boxing the profiles would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum PoissonRequests {
    /// Constant, or shaped by daily and weekly profiles.
    Profiled(PoissonArrivals),
    /// Two-state bursts, the workloads' generator (rates kept per hour whatever unit was given).
    Mmpp(MmppArrivals),
}

impl PoissonRequests {
    /// Mean requests per hour in the long run.
    pub fn mean_rate_per_hour(&self) -> f64 {
        match self {
            PoissonRequests::Profiled(p) => p.mean_rate_per_hour(),
            PoissonRequests::Mmpp(m) => m.mean_rate_per_hour(),
        }
    }
}

/// How long one request takes to serve on the endpoint's size, once it has a slot.
#[derive(Clone, Debug)]
pub enum ServiceModel {
    /// One distribution (for every size, or the one given for this size).
    Dist(Sampler),
    /// `base + per_input_token x tokens_in + per_output_token x tokens_out`, in seconds.
    Tokens {
        base_s: f64,
        per_input_token_s: f64,
        per_output_token_s: f64,
    },
}

impl ServiceModel {
    /// Draws one service time. Exactly one draw per request whatever the model (none for the
    /// deterministic token model), so the stream stays aligned across variants.
    #[inline]
    pub fn sample(&self, tokens: (u32, u32), rng: &mut StreamRng) -> SimTime {
        match self {
            ServiceModel::Dist(s) => s.sample(rng),
            ServiceModel::Tokens {
                base_s,
                per_input_token_s,
                per_output_token_s,
            } => from_secs_f64(
                base_s + per_input_token_s * tokens.0 as f64 + per_output_token_s * tokens.1 as f64,
            ),
        }
    }
}

/// One row of a latency profile: what a load test measured on `size` with `concurrency`
/// requests in flight on one instance.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyRow {
    pub size: String,
    pub concurrency: u32,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// One data row of a latency-profile CSV, before its values are checked.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyCsvRow {
    /// 1-based line in the file.
    pub line: u64,
    pub size: String,
    pub concurrency: i64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// The rows of a latency-profile CSV with a header naming `size`, `concurrency`, `p50_ms` and
/// `p95_ms` (in any order, other columns ignored). The error says which line and why.
pub fn latency_csv_rows(text: &str) -> Result<Vec<LatencyCsvRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(si), Some(ci), Some(p50i), Some(p95i)) = (
        column("size"),
        column("concurrency"),
        column("p50_ms"),
        column("p95_ms"),
    ) else {
        return Err(format!(
            "line 1: the header must name the columns size, concurrency, p50_ms and p95_ms; it has {}",
            header.iter().collect::<Vec<_>>().join(", ")
        ));
    };
    let mut out = vec![];
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(i).unwrap_or("");
        let (Ok(concurrency), Ok(p50_ms), Ok(p95_ms)) = (
            get(ci).parse::<i64>(),
            get(p50i).parse::<f64>(),
            get(p95i).parse::<f64>(),
        ) else {
            return Err(format!(
                "line {line}: concurrency must be a whole number, p50_ms and p95_ms numbers of milliseconds"
            ));
        };
        out.push(LatencyCsvRow {
            line,
            size: get(si).to_string(),
            concurrency,
            p50_ms,
            p95_ms,
        });
    }
    if out.is_empty() {
        return Err("has no rows under its header".into());
    }
    Ok(out)
}

/// Where a deployment's concurrency falls among a size's measured rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProfileFit {
    /// A row measured exactly this concurrency.
    Measured,
    /// Between the rows at these two concurrencies.
    Interpolated { below: u32, above: u32 },
    /// Outside the measured range `[lowest, highest]`: the nearest row stands in.
    Nearest { lowest: u32, highest: u32 },
}

/// A latency profile read at one concurrency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfilePoint {
    pub concurrency: u32,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub fit: ProfileFit,
}

impl ProfilePoint {
    /// Log-normal with median p50 and 95th percentile p95: sigma = ln(p95 / p50) / 1.6449, the
    /// 1.6449 being the standard normal's 95th percentile (a log-normal's quantiles are
    /// exp(mu + z sigma), and the median fixes mu = ln p50).
    pub fn sampler(&self) -> Sampler {
        Sampler::lognormal_median_p95_s(self.p50_ms / 1000.0, self.p95_ms / 1000.0)
    }

    /// The `q` quantile of that log-normal, ms.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let sigma = (self.p95_ms / self.p50_ms).ln() / crate::engine::dist::Z95;
        use statrs::distribution::{ContinuousCDF, Normal};
        self.p50_ms * (sigma * Normal::standard().inverse_cdf(q)).exp()
    }

    /// What the output's service description says, e.g. "latency profile of Standard_F4s_v2 at
    /// concurrency 2 (interpolated between 1 and 4): lognormal p50 93.33 ms, p95 200 ms".
    pub fn describe(&self, size: &str) -> String {
        let how = match self.fit {
            ProfileFit::Measured => "measured".to_string(),
            ProfileFit::Interpolated { below, above } => {
                format!("interpolated between {below} and {above}")
            }
            ProfileFit::Nearest { lowest, highest } => {
                let used = if self.concurrency < lowest {
                    lowest
                } else {
                    highest
                };
                format!("outside the measured {lowest} to {highest}: the row at {used} is used")
            }
        };
        let ms = |x: f64| crate::text::num((x * 100.0).round() / 100.0);
        format!(
            "latency profile of {size} at concurrency {} ({how}): lognormal p50 {} ms, p95 {} ms",
            self.concurrency,
            ms(self.p50_ms),
            ms(self.p95_ms)
        )
    }
}

/// The profile of `size` (matched ignoring case) at `concurrency`: linear in concurrency between
/// the two nearest rows, the nearest row outside the measured range. `None` when no row
/// measures `size`.
pub fn latency_at(rows: &[LatencyRow], size: &str, concurrency: u32) -> Option<ProfilePoint> {
    let mut mine: Vec<&LatencyRow> = rows
        .iter()
        .filter(|r| r.size.eq_ignore_ascii_case(size))
        .collect();
    mine.sort_by_key(|r| r.concurrency);
    let (first, last) = (*mine.first()?, *mine.last()?);
    let point = |r: &LatencyRow, fit| ProfilePoint {
        concurrency,
        p50_ms: r.p50_ms,
        p95_ms: r.p95_ms,
        fit,
    };
    if concurrency < first.concurrency || concurrency > last.concurrency {
        let nearest = if concurrency < first.concurrency {
            first
        } else {
            last
        };
        return Some(point(
            nearest,
            ProfileFit::Nearest {
                lowest: first.concurrency,
                highest: last.concurrency,
            },
        ));
    }
    if let Some(r) = mine.iter().find(|r| r.concurrency == concurrency) {
        return Some(point(r, ProfileFit::Measured));
    }
    let hi = mine.iter().position(|r| r.concurrency > concurrency)?;
    let (a, b) = (mine[hi - 1], mine[hi]);
    let t = (concurrency - a.concurrency) as f64 / (b.concurrency - a.concurrency) as f64;
    Some(ProfilePoint {
        concurrency,
        p50_ms: a.p50_ms + t * (b.p50_ms - a.p50_ms),
        p95_ms: a.p95_ms + t * (b.p95_ms - a.p95_ms),
        fit: ProfileFit::Interpolated {
            below: a.concurrency,
            above: b.concurrency,
        },
    })
}

/// One stream of requests aimed at one endpoint.
#[derive(Clone, Debug)]
pub struct TrafficSpec {
    pub name: String,
    /// Index into the scenario's targets (an endpoint).
    pub target: usize,
    pub arrivals: RequestArrivals,
    pub service: ServiceModel,
    /// Which service-time model was used, in words (for the output).
    pub service_description: String,
    /// The load-test rows of a latency profile (every size's), as checked; empty for the other
    /// service models. For `capsim size`, which compares sizes.
    pub latency_profile: Vec<LatencyRow>,
}

/// One request arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestArrival {
    pub time: SimTime,
    pub tokens: (u32, u32),
}

/// The live arrival process of one traffic stream in one replication.
#[allow(clippy::large_enum_variant)]
pub enum RequestSource {
    Poisson(ArrivalGen),
    Mmpp(MmppGen),
    Trace {
        trace: Arc<RequestTrace>,
        next: usize,
        offset: SimTime,
    },
}

impl RequestSource {
    /// `rng` draws the gaps between requests. An MMPP's state changes need a stream of their
    /// own: here it is the gap stream's long jump (2^192 draws ahead, so the two never overlap),
    /// which, like the gap stream, depends on the traffic's name only. [`Self::with_states`]
    /// takes an explicitly keyed one instead.
    pub fn new(spec: &RequestArrivals, rng: StreamRng) -> Self {
        let mut state_rng = rng.clone();
        state_rng.long_jump();
        Self::with_states(spec, rng, state_rng)
    }

    /// `state_rng` drives what is not a gap between requests (an MMPP's state changes), so
    /// bursts never shift the gaps' draws; Poisson and trace traffic ignore it, which keeps
    /// their requests exactly what they were before MMPP traffic existed.
    pub fn with_states(spec: &RequestArrivals, rng: StreamRng, state_rng: StreamRng) -> Self {
        match spec {
            RequestArrivals::Poisson(PoissonRequests::Profiled(p)) => {
                RequestSource::Poisson(ArrivalGen::new(p.clone(), rng))
            }
            RequestArrivals::Poisson(PoissonRequests::Mmpp(m)) => {
                RequestSource::Mmpp(MmppGen::new(m, rng, state_rng))
            }
            RequestArrivals::Trace(t) => RequestSource::Trace {
                trace: t.clone(),
                next: 0,
                offset: 0,
            },
        }
    }

    #[inline]
    pub fn next_arrival(&mut self) -> Option<RequestArrival> {
        match self {
            RequestSource::Poisson(g) => g.next_arrival().map(|time| RequestArrival {
                time,
                tokens: (0, 0),
            }),
            RequestSource::Mmpp(g) => g.next_arrival().map(|time| RequestArrival {
                time,
                tokens: (0, 0),
            }),
            RequestSource::Trace {
                trace,
                next,
                offset,
            } => {
                if *next >= trace.times.len() {
                    if !trace.repeat || trace.times.is_empty() || trace.period == 0 {
                        return None;
                    }
                    *next = 0;
                    *offset = offset.checked_add(trace.period)?;
                }
                let i = *next;
                *next += 1;
                Some(RequestArrival {
                    time: offset.checked_add(trace.times[i])?,
                    tokens: trace.tokens.get(i).copied().unwrap_or((0, 0)),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    #[test]
    fn token_model_is_linear_in_tokens() {
        let m = ServiceModel::Tokens {
            base_s: 0.1,
            per_input_token_s: 0.001,
            per_output_token_s: 0.02,
        };
        let mut rng = stream(1, 0, "t");
        // 0.1 + 0.001 x 1000 + 0.02 x 10 = 1.3 s.
        assert_eq!(m.sample((1000, 10), &mut rng), 1_300_000);
    }

    #[test]
    fn latency_csv_names_the_bad_line() {
        let ok = "concurrency,size,p95_ms,p50_ms,note\n2,Standard_F4s_v2,150,80,x\n";
        assert_eq!(
            latency_csv_rows(ok).unwrap(),
            vec![LatencyCsvRow {
                line: 2,
                size: "Standard_F4s_v2".into(),
                concurrency: 2,
                p50_ms: 80.0,
                p95_ms: 150.0
            }]
        );
        let e = latency_csv_rows("size,concurrency,p50_ms\nA,1,80\n").unwrap_err();
        assert!(e.starts_with("line 1:") && e.contains("p95_ms"), "{e}");
        let e = latency_csv_rows("size,concurrency,p50_ms,p95_ms\nA,1,80,150\nA,two,80,150\n")
            .unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
        assert!(latency_csv_rows("size,concurrency,p50_ms,p95_ms\n").is_err());
    }

    #[test]
    fn one_row_is_used_at_any_concurrency() {
        let rows = [LatencyRow {
            size: "S".into(),
            concurrency: 2,
            p50_ms: 10.0,
            p95_ms: 20.0,
        }];
        // Below and above the only row: that row, flagged as outside the measured range.
        for c in [1, 3] {
            let p = latency_at(&rows, "S", c).unwrap();
            assert_eq!((p.p50_ms, p.p95_ms), (10.0, 20.0));
            assert_eq!(
                p.fit,
                ProfileFit::Nearest {
                    lowest: 2,
                    highest: 2
                }
            );
        }
        assert_eq!(latency_at(&rows, "S", 2).unwrap().fit, ProfileFit::Measured);
    }

    #[test]
    fn trace_repeats_with_its_period() {
        let t = Arc::new(RequestTrace {
            times: vec![0, 5],
            tokens: vec![(1, 2), (3, 4)],
            repeat: true,
            period: 10,
        });
        let mut s = RequestSource::new(&RequestArrivals::Trace(t), stream(1, 0, "x"));
        let got: Vec<_> = (0..4).map(|_| s.next_arrival().unwrap()).collect();
        assert_eq!(
            got.iter().map(|a| a.time).collect::<Vec<_>>(),
            vec![0, 5, 10, 15]
        );
        assert_eq!(got[3].tokens, (3, 4));
    }
}
