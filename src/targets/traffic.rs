//! Request traffic for inference endpoints: when requests arrive, and how long each one takes to
//! serve on the endpoint's VM size.
//!
//! A request is like a job whose duration is its service time. Arrivals reuse the workload
//! processes ([`ArrivalGen`] for Poisson with daily and weekly profiles); a trace of requests
//! carries, besides its timestamps, the prompt and output token counts a token model needs.

use crate::engine::time::{SimTime, from_secs_f64};
use crate::engine::{Sampler, StreamRng};
use crate::workload::{ArrivalGen, PoissonArrivals};
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
    Poisson(PoissonArrivals),
    /// Loaded once, shared by every replication and variant.
    Trace(Arc<RequestTrace>),
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
    Trace {
        trace: Arc<RequestTrace>,
        next: usize,
        offset: SimTime,
    },
}

impl RequestSource {
    pub fn new(spec: &RequestArrivals, rng: StreamRng) -> Self {
        match spec {
            RequestArrivals::Poisson(p) => RequestSource::Poisson(ArrivalGen::new(p.clone(), rng)),
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
