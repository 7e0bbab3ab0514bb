//! Workloads: when jobs arrive and what each one asks for.

pub mod offered;
pub mod requests;
pub mod trace;
use crate::engine::time::{SimTime, from_secs_f64};
use crate::engine::{Sampler, StreamRng};
use rand::RngExt;
use rand_distr::{Distribution, Exp1};

/// A Poisson process whose rate may follow the clock: `rate_per_hour × daily[hour] ×
/// weekly[weekday]`. Time zero is Monday 00:00, so profile index 0 is midnight to 1 am on Monday.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonArrivals {
    pub rate_per_hour: f64,
    pub daily_profile: Option<[f64; 24]>,
    pub weekly_profile: Option<[f64; 7]>,
}

impl PoissonArrivals {
    pub fn constant(rate_per_hour: f64) -> Self {
        PoissonArrivals {
            rate_per_hour,
            daily_profile: None,
            weekly_profile: None,
        }
    }

    fn multiplier_at(&self, t_s: f64) -> f64 {
        let hours = (t_s / 3600.0) as u64;
        let d = self.daily_profile.map_or(1.0, |p| p[(hours % 24) as usize]);
        let w = self
            .weekly_profile
            .map_or(1.0, |p| p[((hours / 24) % 7) as usize]);
        d * w
    }

    fn max_multiplier(&self) -> f64 {
        let d = self
            .daily_profile
            .map_or(1.0, |p| p.iter().cloned().fold(0.0, f64::max));
        let w = self
            .weekly_profile
            .map_or(1.0, |p| p.iter().cloned().fold(0.0, f64::max));
        d * w
    }

    /// Mean arrivals per hour over a whole week (what the profiles average to).
    pub fn mean_rate_per_hour(&self) -> f64 {
        let total: f64 = (0..168)
            .map(|h| self.multiplier_at(h as f64 * 3600.0))
            .sum();
        self.rate_per_hour * total / 168.0
    }
}

/// Draws successive arrival times from its own random stream.
///
/// Non-homogeneous rates are sampled by thinning (Lewis and Shedler): candidates at the peak rate,
/// each kept with probability rate(t) / peak. It is exact for any piecewise-constant profile.
pub struct ArrivalGen {
    spec: PoissonArrivals,
    rng: StreamRng,
    /// Peak rate, per second.
    peak_per_s: f64,
    shaped: bool,
    t_s: f64,
}

impl ArrivalGen {
    pub fn new(spec: PoissonArrivals, rng: StreamRng) -> Self {
        let peak_per_s = spec.rate_per_hour * spec.max_multiplier() / 3600.0;
        let shaped = spec.daily_profile.is_some() || spec.weekly_profile.is_some();
        ArrivalGen {
            spec,
            rng,
            peak_per_s,
            shaped,
            t_s: 0.0,
        }
    }

    /// The next arrival time, or `None` when the rate is zero everywhere.
    ///
    /// Time is kept in f64 seconds internally and rounded once per arrival, so rounding never
    /// accumulates into a drift of the rate.
    #[inline(always)]
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        // A constant rate inline (once per job), profiles and a zero rate out of line.
        if self.shaped || self.peak_per_s <= 0.0 {
            return self.next_thinned();
        }
        self.advance();
        Some(from_secs_f64(self.t_s))
    }

    /// Moves to the next candidate at the peak rate.
    #[inline(always)]
    fn advance(&mut self) {
        let e: f64 = Exp1.sample(&mut self.rng);
        self.t_s += e / self.peak_per_s;
    }

    #[inline(never)]
    fn next_thinned(&mut self) -> Option<SimTime> {
        if self.peak_per_s <= 0.0 {
            return None;
        }
        loop {
            self.advance();
            if !self.shaped {
                break;
            }
            let accept = self.spec.multiplier_at(self.t_s) / self.spec.max_multiplier();
            let u: f64 = self.rng.random();
            if u < accept {
                break;
            }
        }
        Some(from_secs_f64(self.t_s))
    }
}

/// A two-state Markov-modulated Poisson process (bursts): in state `i` jobs arrive at
/// `rates_per_hour[i]`, and the process stays in a state an exponential time of mean
/// `mean_sojourn[i]` before switching to the other. Its long-run rate is the sojourn-weighted
/// mean of the two rates.
#[derive(Clone, Debug, PartialEq)]
pub struct MmppArrivals {
    pub rates_per_hour: [f64; 2],
    /// Mean time in each state, seconds.
    pub mean_sojourn_s: [f64; 2],
}

impl MmppArrivals {
    /// Mean arrivals per hour in the long run: (λ₀ s₀ + λ₁ s₁) / (s₀ + s₁).
    pub fn mean_rate_per_hour(&self) -> f64 {
        let [l0, l1] = self.rates_per_hour;
        let [s0, s1] = self.mean_sojourn_s;
        (l0 * s0 + l1 * s1) / (s0 + s1)
    }
}

/// Draws an MMPP's arrivals. Arrival gaps come from the workload's arrivals stream and state
/// changes from a stream of their own, so the two sequences never shift each other.
///
/// Exact by memorylessness: from time t in state i, the next arrival candidate is t + Exp(λᵢ);
/// if the state changes first, time moves to the change and a fresh gap is drawn in the new
/// state. The state at time zero is drawn from the stationary distribution (sᵢ / (s₀ + s₁)),
/// so the process is stationary from the start and warm-up is not needed for it.
pub struct MmppGen {
    rates_per_s: [f64; 2],
    sojourn_s: [f64; 2],
    rng: StreamRng,
    state_rng: StreamRng,
    state: usize,
    /// When the current state ends, seconds.
    switch_s: f64,
    t_s: f64,
}

impl MmppGen {
    pub fn new(spec: &MmppArrivals, rng: StreamRng, mut state_rng: StreamRng) -> Self {
        let [s0, s1] = spec.mean_sojourn_s;
        let u: f64 = state_rng.random();
        let state = usize::from(u >= s0 / (s0 + s1));
        let e: f64 = Exp1.sample(&mut state_rng);
        MmppGen {
            rates_per_s: spec.rates_per_hour.map(|r| r / 3600.0),
            sojourn_s: spec.mean_sojourn_s,
            rng,
            switch_s: e * spec.mean_sojourn_s[state],
            state_rng,
            state,
            t_s: 0.0,
        }
    }

    #[inline]
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        if self.rates_per_s.iter().all(|&r| r <= 0.0) {
            return None;
        }
        loop {
            let rate = self.rates_per_s[self.state];
            let candidate = if rate > 0.0 {
                let e: f64 = Exp1.sample(&mut self.rng);
                self.t_s + e / rate
            } else {
                f64::INFINITY
            };
            if candidate < self.switch_s {
                self.t_s = candidate;
                return Some(from_secs_f64(self.t_s));
            }
            self.t_s = self.switch_s;
            self.state = 1 - self.state;
            let e: f64 = Exp1.sample(&mut self.state_rng);
            self.switch_s = self.t_s + e * self.sojourn_s[self.state];
            if !self.switch_s.is_finite() || self.t_s > MAX_ARRIVAL_S {
                return None;
            }
        }
    }
}

/// Far beyond any horizon validation accepts (10,000 years): an arrival process that got this
/// far without an arrival has nothing left to give.
const MAX_ARRIVAL_S: f64 = 1e12;

/// Jobs replayed from a trace: submission offsets and, where the trace has them, durations and
/// node counts (already converted from GPUs for the target's size).
#[derive(Clone, Debug, PartialEq)]
pub struct TraceJobs {
    /// Sorted by submission time.
    pub jobs: Vec<TraceJob>,
    /// With `repeat`, the trace starts over every `period` (the replayed window's length).
    pub repeat: bool,
    pub period: SimTime,
    /// Bad rows dropped by `on_bad_row = "skip"` (reported in `workloads.csv`).
    pub skipped_rows: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceJob {
    pub submit: SimTime,
    pub duration: Option<SimTime>,
    pub nodes: Option<u32>,
}

// One per workload: its size does not matter, and boxing the common case would cost an
// indirection on every arrival.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ArrivalSpec {
    Poisson(PoissonArrivals),
    Mmpp(MmppArrivals),
    /// Shared by every replication and variant: a trace is loaded once.
    Trace(std::sync::Arc<TraceJobs>),
}

/// One arrival: when, and what the trace says about the job (if it is a trace).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    pub time: SimTime,
    pub duration: Option<SimTime>,
    pub nodes: Option<u32>,
}

/// The live arrival process of one workload in one replication.
#[allow(clippy::large_enum_variant)]
pub enum ArrivalSource {
    Poisson(ArrivalGen),
    Mmpp(MmppGen),
    Trace {
        jobs: std::sync::Arc<TraceJobs>,
        next: usize,
        offset: SimTime,
    },
}

impl ArrivalSource {
    /// `state_rng` drives what is not an arrival gap (an MMPP's state changes); processes
    /// without such draws ignore it.
    pub fn new(spec: &ArrivalSpec, rng: StreamRng, state_rng: StreamRng) -> Self {
        match spec {
            ArrivalSpec::Poisson(p) => ArrivalSource::Poisson(ArrivalGen::new(p.clone(), rng)),
            ArrivalSpec::Mmpp(m) => ArrivalSource::Mmpp(MmppGen::new(m, rng, state_rng)),
            ArrivalSpec::Trace(t) => ArrivalSource::Trace {
                jobs: t.clone(),
                next: 0,
                offset: 0,
            },
        }
    }

    #[inline(always)]
    pub fn next_arrival(&mut self) -> Option<Arrival> {
        match self {
            ArrivalSource::Poisson(g) => g.next_arrival().map(|time| Arrival {
                time,
                duration: None,
                nodes: None,
            }),
            ArrivalSource::Mmpp(g) => g.next_arrival().map(|time| Arrival {
                time,
                duration: None,
                nodes: None,
            }),
            ArrivalSource::Trace { jobs, next, offset } => {
                if *next >= jobs.jobs.len() {
                    if !jobs.repeat || jobs.jobs.is_empty() || jobs.period == 0 {
                        return None;
                    }
                    *next = 0;
                    *offset = offset.checked_add(jobs.period)?;
                }
                let j = jobs.jobs[*next];
                *next += 1;
                Some(Arrival {
                    time: offset.checked_add(j.submit)?,
                    duration: j.duration,
                    nodes: j.nodes,
                })
            }
        }
    }
}

/// One stream of jobs aimed at one target.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub name: String,
    /// Index into the scenario's targets.
    pub target: usize,
    pub arrivals: ArrivalSpec,
    /// Durations of jobs whose trace row gives none (or of every job without a trace).
    pub duration: Option<Sampler>,
    /// Durations are divided by this (a faster size than the one the durations describe).
    pub speedup: f64,
    /// Nodes each job takes (Azure ML's `instance_count`), unless its trace row says otherwise.
    pub instance_count: u32,
    /// Jobs submitted together at each arrival (a sweep job's trials), each with its own
    /// duration draw (or the trace row's duration).
    pub batch_size: u32,
    /// Higher runs first on the target's queue; first in, first out within a priority.
    pub priority: i32,
    /// The invocations of a batch endpoint: each job is split into mini-batches on its nodes
    /// (its duration follows from them, so `duration` is `None`).
    pub batch: Option<std::sync::Arc<BatchSpec>>,
}

/// A batch endpoint's invocation as a job: its input files, cut into mini-batches that the
/// deployment's workers take in turn, with the deployment's retry rules (see
/// `targets::batch` for how a cluster runs it).
#[derive(Clone, Debug)]
pub struct BatchSpec {
    /// The endpoint's name, and its index among the scenario's targets (its row).
    pub endpoint: String,
    pub endpoint_target: usize,
    /// Input files of each invocation.
    pub files: u32,
    pub mini_batch_size: u32,
    pub max_concurrency_per_instance: u32,
    pub max_retries: u32,
    /// Longest a mini-batch may run before it is stopped and retried.
    pub timeout: SimTime,
    /// Failed files tolerated before the job is stopped; `None` is Azure's -1 (no limit).
    pub error_threshold: Option<u64>,
    /// Processing time of one file on the cluster's VM size.
    pub time_per_file: Sampler,
}

impl BatchSpec {
    pub fn mini_batches(&self) -> u32 {
        self.files.div_ceil(self.mini_batch_size.max(1))
    }

    /// Files in mini-batch `i` (the last one may be short).
    pub(crate) fn files_in(&self, i: u32) -> u32 {
        let size = self.mini_batch_size.max(1);
        size.min(self.files - i * size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn count_until(spec: PoissonArrivals, horizon_s: f64) -> Vec<SimTime> {
        let mut g = ArrivalGen::new(spec, stream(7, 0, "arrivals-test"));
        let horizon = from_secs_f64(horizon_s);
        let mut v = vec![];
        while let Some(t) = g.next_arrival() {
            if t > horizon {
                break;
            }
            v.push(t);
        }
        v
    }

    #[test]
    fn constant_rate_count_is_poisson() {
        // 10/h over 10,000 h: mean 100,000, sd 316. Allow 4 sd.
        let n = count_until(PoissonArrivals::constant(10.0), 36_000_000.0).len() as f64;
        assert!((n - 100_000.0).abs() < 4.0 * 316.3, "{n}");
    }

    #[test]
    fn daily_profile_shapes_the_day() {
        let mut daily = [0.0; 24];
        daily[9] = 2.0; // only 9:00-10:00, at twice the base rate
        let spec = PoissonArrivals {
            rate_per_hour: 50.0,
            daily_profile: Some(daily),
            weekly_profile: None,
        };
        assert_eq!(spec.mean_rate_per_hour(), 100.0 / 24.0);
        let times = count_until(spec, 1000.0 * 86_400.0);
        assert!(times.iter().all(|&t| (t / 3_600_000_000) % 24 == 9));
        // 100 per day over 1000 days: 100,000 ± 4 × 316.
        assert!(
            (times.len() as f64 - 100_000.0).abs() < 1265.0,
            "{}",
            times.len()
        );
    }

    fn count_mmpp(spec: &MmppArrivals, horizon_h: f64) -> u64 {
        let mut g = MmppGen::new(
            spec,
            stream(7, 0, "mmpp-arrivals"),
            stream(7, 0, "mmpp-state"),
        );
        let horizon = from_secs_f64(horizon_h * 3600.0);
        let mut n = 0;
        while let Some(t) = g.next_arrival() {
            if t > horizon {
                break;
            }
            n += 1;
        }
        n
    }

    #[test]
    fn mmpp_long_run_rate_is_the_sojourn_weighted_mean() {
        // Quiet 2/h for 6 h on average, bursts of 40/h for 30 min on average:
        // (2 × 6 + 40 × 0.5) / 6.5 = 32 / 6.5 = 4.923077 per hour.
        let spec = MmppArrivals {
            rates_per_hour: [2.0, 40.0],
            mean_sojourn_s: [6.0 * 3600.0, 1800.0],
        };
        assert!((spec.mean_rate_per_hour() - 32.0 / 6.5).abs() < 1e-12);
        // Over 100,000 h: mean 492,307.7 arrivals. Bursts make the count overdispersed: the
        // asymptotic index of dispersion of a two-state MMPP with leaving rates σ₀ = 1/6 h⁻¹,
        // σ₁ = 2 h⁻¹ is 1 + 2 σ₀σ₁ (λ₀ − λ₁)² / ((σ₀ + σ₁)² (λ₀σ₁ + λ₁σ₀))
        //   = 1 + 2 (1/3) 1444 / ((13/6)² × 10.667) = 20.23,
        // so the count's sd is √(20.23 × 492,308) = 3,156. Allow 4 sd.
        let n = count_mmpp(&spec, 100_000.0) as f64;
        assert!((n - 492_307.7).abs() < 4.0 * 3_156.0, "{n}");
        // A plain Poisson count would be within 4 × 702; this one is not required to be.
    }

    #[test]
    fn mmpp_with_a_silent_state() {
        // Off (0/h) and on (10/h), 1 h each on average: 5/h in the long run. Index of
        // dispersion 1 + 2 × 1 × 100 / (4 × 10) = 6; over 20,000 h the count is 100,000 with
        // sd √(6 × 100,000) = 775. Allow 4 sd.
        let spec = MmppArrivals {
            rates_per_hour: [0.0, 10.0],
            mean_sojourn_s: [3600.0, 3600.0],
        };
        assert_eq!(spec.mean_rate_per_hour(), 5.0);
        let n = count_mmpp(&spec, 20_000.0) as f64;
        assert!((n - 100_000.0).abs() < 4.0 * 775.0, "{n}");
        // Both states silent: no arrival ever.
        let silent = MmppArrivals {
            rates_per_hour: [0.0, 0.0],
            mean_sojourn_s: [3600.0, 3600.0],
        };
        assert_eq!(count_mmpp(&silent, 1000.0), 0);
    }

    #[test]
    fn weekly_profile_skips_weekend() {
        let spec = PoissonArrivals {
            rate_per_hour: 10.0,
            daily_profile: None,
            weekly_profile: Some([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]),
        };
        let times = count_until(spec, 70.0 * 86_400.0);
        assert!(times.iter().all(|&t| (t / 86_400_000_000) % 7 < 5));
    }
}
