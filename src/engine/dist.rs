//! Sampling distributions of durations.
//!
//! A [`Sampler`] is built once from validated parameters (all in seconds) and draws integer
//! [`SimTime`] ticks. Parameter checks belong to the scenario layer; the constructors here only
//! assume what that layer guarantees (positive, finite values).

use super::time::{SimTime, from_secs_f64};
use rand::Rng;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal, StandardNormal};
use std::sync::Arc;

/// The z-score of the 95th percentile of the standard normal distribution.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// A distribution of durations, with its mean kept for estimates and reports.
#[derive(Clone, Debug)]
pub struct Sampler {
    kind: Kind,
    mean_s: f64,
}

#[derive(Clone, Debug)]
enum Kind {
    Constant(SimTime),
    Exponential {
        mean_s: f64,
    },
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Uniform {
        min_s: f64,
        width_s: f64,
    },
    /// Drawn uniformly from the given samples (a bootstrap of an observed column).
    Empirical(Arc<[SimTime]>),
}

impl Sampler {
    pub fn constant_s(value_s: f64) -> Self {
        Sampler {
            kind: Kind::Constant(from_secs_f64(value_s)),
            mean_s: value_s,
        }
    }

    pub fn exponential_s(mean_s: f64) -> Self {
        Sampler {
            kind: Kind::Exponential { mean_s },
            mean_s,
        }
    }

    /// Log-normal from its median and 95th percentile (p95 > median > 0).
    pub fn lognormal_median_p95_s(median_s: f64, p95_s: f64) -> Self {
        let sigma = (p95_s / median_s).ln() / Z95;
        Self::lognormal(median_s.ln(), sigma)
    }

    /// Log-normal from its mean and coefficient of variation (both > 0).
    pub fn lognormal_mean_cv_s(mean_s: f64, cv: f64) -> Self {
        let sigma2 = (1.0 + cv * cv).ln();
        Self::lognormal(mean_s.ln() - sigma2 / 2.0, sigma2.sqrt())
    }

    fn lognormal(mu: f64, sigma: f64) -> Self {
        Sampler {
            kind: Kind::LogNormal(LogNormal::new(mu, sigma).expect("validated parameters")),
            mean_s: (mu + sigma * sigma / 2.0).exp(),
        }
    }

    /// Gamma from its mean and coefficient of variation (both > 0): shape 1/cv², scale mean·cv².
    pub fn gamma_mean_cv_s(mean_s: f64, cv: f64) -> Self {
        let shape = 1.0 / (cv * cv);
        Sampler {
            kind: Kind::Gamma(Gamma::new(shape, mean_s / shape).expect("validated parameters")),
            mean_s,
        }
    }

    pub fn uniform_s(min_s: f64, max_s: f64) -> Self {
        Sampler {
            kind: Kind::Uniform {
                min_s,
                width_s: max_s - min_s,
            },
            mean_s: (min_s + max_s) / 2.0,
        }
    }

    /// Needs at least one sample.
    pub fn empirical_s(samples_s: &[f64]) -> Self {
        Sampler {
            kind: Kind::Empirical(samples_s.iter().map(|&s| from_secs_f64(s)).collect()),
            mean_s: samples_s.iter().sum::<f64>() / samples_s.len() as f64,
        }
    }

    /// The distribution's mean in seconds.
    pub fn mean_s(&self) -> f64 {
        self.mean_s
    }

    /// True when every draw is zero (lets models skip scheduling a no-op delay).
    pub fn is_zero(&self) -> bool {
        matches!(self.kind, Kind::Constant(0))
    }

    /// One draw, in microseconds.
    ///
    /// The two cheapest kinds are drawn inline and the others out of line: this runs for every
    /// job and request, and the whole match inlined into callers made them too large to inline
    /// in turn (a call's register saves cost more than an exponential draw's arithmetic).
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match &self.kind {
            Kind::Constant(t) => *t,
            Kind::Exponential { mean_s } => {
                let e: f64 = Exp1.sample(rng);
                from_secs_f64(e * mean_s)
            }
            _ => self.sample_other(rng),
        }
    }

    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match &self.kind {
            Kind::Constant(_) | Kind::Exponential { .. } => unreachable!("drawn by `sample`"),
            Kind::LogNormal(d) => from_secs_f64(d.sample(rng)),
            Kind::Gamma(d) => from_secs_f64(d.sample(rng)),
            Kind::Uniform { min_s, width_s } => {
                let u: f64 = rand::RngExt::random(rng);
                from_secs_f64(min_s + u * width_s)
            }
            Kind::Empirical(v) => v[rand::RngExt::random_range(rng, 0..v.len())],
        }
    }
}

/// A standard normal draw, for models that need one directly.
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    fn mean_of(s: &Sampler, n: usize) -> f64 {
        let mut rng = stream(1, 0, "dist-test");
        (0..n).map(|_| s.sample(&mut rng) as f64 / 1e6).sum::<f64>() / n as f64
    }

    fn quantile_of(s: &Sampler, n: usize, q: f64) -> f64 {
        let mut rng = stream(2, 0, "dist-test");
        let mut v: Vec<u64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        v.sort_unstable();
        v[(q * n as f64) as usize] as f64 / 1e6
    }

    #[test]
    fn lognormal_median_p95_hits_both_quantiles() {
        let s = Sampler::lognormal_median_p95_s(240.0, 480.0);
        let med = quantile_of(&s, 200_000, 0.5);
        let p95 = quantile_of(&s, 200_000, 0.95);
        assert!((med / 240.0 - 1.0).abs() < 0.01, "median {med}");
        assert!((p95 / 480.0 - 1.0).abs() < 0.02, "p95 {p95}");
    }

    #[test]
    fn means_match_parameters() {
        let n = 400_000;
        let cases = [
            (Sampler::exponential_s(100.0), 100.0),
            (Sampler::lognormal_mean_cv_s(50.0, 0.5), 50.0),
            (Sampler::gamma_mean_cv_s(30.0, 2.0), 30.0),
            (Sampler::uniform_s(10.0, 20.0), 15.0),
            (Sampler::constant_s(7.0), 7.0),
            (Sampler::empirical_s(&[1.0, 2.0, 6.0]), 3.0),
        ];
        for (s, want) in cases {
            let got = mean_of(&s, n);
            assert!((got / want - 1.0).abs() < 0.02, "{s:?}: {got} vs {want}");
        }
    }
}
