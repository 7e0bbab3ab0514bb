//! Fitting to observations: a distribution to durations, a rate to counts of events, quantiles.
//!
//! Statistics that know nothing of Azure or of scenarios: `capsim calibrate` gives them the
//! provisioning times, evictions and latencies it read from Azure Monitor exports.
//!
//! **How a family is chosen** ([`fit_durations`]): each of exponential, lognormal and gamma is
//! fitted by maximum likelihood, and the one with the lowest Akaike information criterion
//! (AIC = 2 × parameters − 2 × log-likelihood) is taken, unless its Kolmogorov–Smirnov distance
//! to the sample is above the 5% critical value 1.358/√n (the asymptotic one; with the
//! parameters estimated from the same sample the test is conservative, it rejects too
//! rarely): then no family fits and the observations themselves (an empirical distribution)
//! are used. A sample whose values are all equal is a constant. Lognormal and gamma need
//! positive values: a sample with a zero leaves them out.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};
use statrs::function::gamma::{digamma, gamma_lr, ln_gamma};

/// The asymptotic 5% critical value of the Kolmogorov–Smirnov distance is this over √n.
pub const KS_CRITICAL_5PCT: f64 = 1.358;

/// The z-score of the 95th percentile of the standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

/// A fitted distribution of durations, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant {
        value: f64,
    },
    Exponential {
        mean: f64,
    },
    /// `ln X` is normal with mean `mu` and standard deviation `sigma`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    /// The observations themselves, sorted.
    Empirical {
        values: Vec<f64>,
    },
}

impl Dist {
    /// The family's name as scenarios write it (`dist = "..."`).
    pub fn family(&self) -> &'static str {
        match self {
            Dist::Constant { .. } => "constant",
            Dist::Exponential { .. } => "exponential",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Empirical { .. } => "empirical",
        }
    }

    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Dist::Constant { value } => f64::from(x >= *value),
            Dist::Exponential { mean } => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 - (-x / mean).exp()
                }
            }
            Dist::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    standard_normal_cdf((x.ln() - mu) / sigma)
                }
            }
            Dist::Gamma { shape, scale } => {
                if x <= 0.0 {
                    0.0
                } else {
                    gamma_lr(*shape, x / scale)
                }
            }
            Dist::Empirical { values } => {
                values.partition_point(|v| *v <= x) as f64 / values.len().max(1) as f64
            }
        }
    }

    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Exponential { mean } => *mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Empirical { values } => values.iter().sum::<f64>() / values.len().max(1) as f64,
        }
    }

    /// The `p` quantile (0 < p < 1).
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Exponential { mean } => -mean * (1.0 - p).ln(),
            Dist::LogNormal { mu, sigma } => (mu + sigma * standard_normal_quantile(p)).exp(),
            Dist::Gamma { .. } => {
                // Bisection on the CDF: monotone, and this runs once per report.
                let (mut lo, mut hi) = (0.0, self.mean().max(1e-12));
                while self.cdf(hi) < p {
                    hi *= 2.0;
                }
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if self.cdf(mid) < p {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                0.5 * (lo + hi)
            }
            Dist::Empirical { values } => quantile(values, p),
        }
    }
}

fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("a standard normal")
}

fn standard_normal_cdf(z: f64) -> f64 {
    standard_normal().cdf(z)
}

fn standard_normal_quantile(p: f64) -> f64 {
    standard_normal().inverse_cdf(p)
}

/// One family fitted by maximum likelihood.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub dist: Dist,
    pub parameters: u32,
    pub log_likelihood: f64,
    pub aic: f64,
    /// Kolmogorov–Smirnov distance between the fitted CDF and the sample's.
    pub ks: f64,
}

/// The outcome of [`fit_durations`].
#[derive(Clone, Debug, PartialEq)]
pub struct DurationFit {
    /// Observations fitted.
    pub n: usize,
    /// The distribution chosen.
    pub chosen: Dist,
    /// Its Kolmogorov–Smirnov distance to the sample (0 for the empirical distribution).
    pub ks: f64,
    /// [`KS_CRITICAL_5PCT`] / √n.
    pub ks_critical: f64,
    /// Every family tried, lowest AIC first.
    pub candidates: Vec<Candidate>,
    /// Why `chosen` was chosen, in words.
    pub reason: String,
    /// The sample's median and 95th percentile.
    pub sample_median: f64,
    pub sample_p95: f64,
}

/// Why a sample cannot be fitted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("{n} observation{}: at least 2 are needed", if *n == 1 { "" } else { "s" })]
    TooFew { n: usize },
    #[error("an observation is negative or not a number ({0}): durations are zero or more")]
    Invalid(f64),
}

/// Fits a distribution to `samples` (seconds, zero or more) and chooses the family as the
/// module's top comment says.
pub fn fit_durations(samples: &[f64]) -> Result<DurationFit, FitError> {
    if let Some(&bad) = samples.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
        return Err(FitError::Invalid(bad));
    }
    let n = samples.len();
    if n < 2 {
        return Err(FitError::TooFew { n });
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let ks_critical = KS_CRITICAL_5PCT / (n as f64).sqrt();
    let sample_median = quantile(&sorted, 0.5);
    let sample_p95 = quantile(&sorted, 0.95);
    if sorted[0] == sorted[n - 1] {
        return Ok(DurationFit {
            n,
            chosen: Dist::Constant { value: sorted[0] },
            ks: 0.0,
            ks_critical,
            candidates: vec![],
            reason: "every observation is the same".into(),
            sample_median,
            sample_p95,
        });
    }
    let mut candidates = vec![exponential(&sorted)];
    let positive = sorted[0] > 0.0;
    if positive {
        candidates.push(lognormal(&sorted));
        candidates.push(gamma(&sorted));
    }
    candidates.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    let best = &candidates[0];
    let without = if positive {
        ""
    } else {
        " (lognormal and gamma left out: a value is zero)"
    };
    let (chosen, ks, reason) = if best.ks <= ks_critical {
        (
            best.dist.clone(),
            best.ks,
            format!(
                "lowest AIC of exponential, lognormal and gamma{without}; KS distance {:.3} within the 5% critical value {:.3}",
                best.ks, ks_critical
            ),
        )
    } else {
        (
            Dist::Empirical {
                values: sorted.clone(),
            },
            0.0,
            format!(
                "no family fits: the lowest-AIC one ({}) is {:.3} from the sample by KS, above the 5% critical value {:.3}; the observations are used as they are",
                best.dist.family(),
                best.ks,
                ks_critical
            ),
        )
    };
    Ok(DurationFit {
        n,
        chosen,
        ks,
        ks_critical,
        candidates,
        reason,
        sample_median,
        sample_p95,
    })
}

fn candidate(dist: Dist, parameters: u32, log_likelihood: f64, sorted: &[f64]) -> Candidate {
    let ks = ks_distance(sorted, |x| dist.cdf(x));
    Candidate {
        aic: 2.0 * f64::from(parameters) - 2.0 * log_likelihood,
        dist,
        parameters,
        log_likelihood,
        ks,
    }
}

fn exponential(x: &[f64]) -> Candidate {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ll = -n * mean.ln() - n;
    candidate(Dist::Exponential { mean }, 1, ll, x)
}

fn lognormal(x: &[f64]) -> Candidate {
    let n = x.len() as f64;
    let logs: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let mu = logs.iter().sum::<f64>() / n;
    let sigma = (logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / n).sqrt();
    let ll = -logs.iter().sum::<f64>()
        - n * sigma.ln()
        - n * 0.5 * (2.0 * std::f64::consts::PI).ln()
        - n * 0.5;
    candidate(Dist::LogNormal { mu, sigma }, 2, ll, x)
}

/// Maximum likelihood for the gamma shape: Minka's starting value, then Newton's method on
/// ln k − ψ(k) = ln(mean) − mean(ln x).
fn gamma(x: &[f64]) -> Candidate {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let mean_log = x.iter().map(|v| v.ln()).sum::<f64>() / n;
    let s = (mean.ln() - mean_log).max(1e-12);
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..50 {
        let f = k.ln() - digamma(k) - s;
        let df = 1.0 / k - trigamma(k);
        let next = k - f / df;
        let next = if next.is_finite() && next > 0.0 {
            next
        } else {
            k / 2.0
        };
        if (next - k).abs() <= 1e-12 * k {
            k = next;
            break;
        }
        k = next;
    }
    let scale = mean / k;
    let ll = (k - 1.0) * n * mean_log - n * mean / scale - n * ln_gamma(k) - n * k * scale.ln();
    candidate(Dist::Gamma { shape: k, scale }, 2, ll, x)
}

/// ψ′(x): the recurrence up to x ≥ 6, then the asymptotic series.
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + x2 / 2.0
        + (1.0 / x) * x2 * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

/// The Kolmogorov–Smirnov distance between `sorted` and the CDF `f`.
pub fn ks_distance(sorted: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        // Ties: the sample's CDF jumps once, past all of them.
        let x = sorted[i];
        let mut j = i;
        while j < sorted.len() && sorted[j] == x {
            j += 1;
        }
        let fx = f(x);
        d = d
            .max((j as f64 / n - fx).abs())
            .max((fx - i as f64 / n).abs());
        i = j;
    }
    d
}

/// The `p` quantile of sorted values, interpolated linearly between order statistics
/// (Hyndman and Fan's type 7, what spreadsheets and NumPy compute). NaN without values.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// A rate of events over an exposure (say, evictions per node-hour) with its exact 95%
/// confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub events: u64,
    pub exposure: f64,
    pub rate: f64,
    pub lo: f64,
    pub hi: f64,
}

/// `events` over `exposure` (> 0), with Garwood's exact Poisson interval: the bounds are
/// χ²(0.025; 2k)/2T and χ²(0.975; 2k + 2)/2T (0 below when no event was seen).
pub fn poisson_rate(events: u64, exposure: f64) -> Rate {
    let k = events as f64;
    let lo = if events == 0 {
        0.0
    } else {
        ChiSquared::new(2.0 * k)
            .map(|c| c.inverse_cdf(0.025) / 2.0)
            .unwrap_or(0.0)
    };
    let hi = ChiSquared::new(2.0 * k + 2.0)
        .map(|c| c.inverse_cdf(0.975) / 2.0)
        .unwrap_or(f64::INFINITY);
    Rate {
        events,
        exposure,
        rate: k / exposure,
        lo: lo / exposure,
        hi: hi / exposure,
    }
}

/// Lognormal parameters from a median and a 95th percentile, as scenarios write them.
pub fn lognormal_from_median_p95(median: f64, p95: f64) -> Dist {
    Dist::LogNormal {
        mu: median.ln(),
        sigma: (p95 / median).ln() / Z95,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny, self-contained generator (SplitMix64) so the tests do not lean on the crate's
    /// random streams.
    struct Mix(u64);
    impl Mix {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }

    #[test]
    fn lognormal_maximum_likelihood_recovers_its_parameters() {
        let mut r = Mix(7);
        // Median 240 s, p95 540 s.
        let truth = lognormal_from_median_p95(240.0, 540.0);
        let Dist::LogNormal { mu, sigma } = truth else {
            unreachable!()
        };
        let x: Vec<f64> = (0..20_000)
            .map(|_| (mu + sigma * r.normal()).exp())
            .collect();
        let fit = fit_durations(&x).unwrap();
        let Dist::LogNormal { mu: m, sigma: s } = fit.chosen else {
            panic!("{fit:?}")
        };
        assert!(
            (m - mu).abs() < 0.02 && (s / sigma - 1.0).abs() < 0.02,
            "{m} {s}"
        );
        assert!((fit.chosen.quantile(0.5) / 240.0 - 1.0).abs() < 0.02);
        assert!((fit.chosen.quantile(0.95) / 540.0 - 1.0).abs() < 0.03);
        assert!(fit.ks < fit.ks_critical);
    }

    #[test]
    fn the_family_is_chosen_by_aic_and_ks() {
        let mut r = Mix(11);
        let expo: Vec<f64> = (0..5000).map(|_| -100.0 * r.uniform().ln()).collect();
        let fit = fit_durations(&expo).unwrap();
        assert_eq!(fit.chosen.family(), "exponential", "{}", fit.reason);
        assert!((fit.chosen.mean() / 100.0 - 1.0).abs() < 0.05);
        // Gamma of shape 3 (a sum of three exponentials).
        let gam: Vec<f64> = (0..5000)
            .map(|_| -(r.uniform().ln() + r.uniform().ln() + r.uniform().ln()) * 20.0)
            .collect();
        let fit = fit_durations(&gam).unwrap();
        let Dist::Gamma { shape, scale } = fit.chosen else {
            panic!("{}", fit.reason)
        };
        assert!((shape / 3.0 - 1.0).abs() < 0.06 && (scale / 20.0 - 1.0).abs() < 0.06);
        // Two far-apart clumps: no family fits, the observations are used.
        let bimodal: Vec<f64> = (0..2000)
            .map(|i| if i % 2 == 0 { 10.0 } else { 1000.0 } + r.uniform())
            .collect();
        let fit = fit_durations(&bimodal).unwrap();
        assert_eq!(fit.chosen.family(), "empirical", "{}", fit.reason);
        assert_eq!(
            fit_durations(&[5.0, 5.0, 5.0]).unwrap().chosen,
            Dist::Constant { value: 5.0 }
        );
        assert_eq!(fit_durations(&[1.0]), Err(FitError::TooFew { n: 1 }));
        assert!(fit_durations(&[1.0, -1.0]).is_err());
        // A zero rules out the families of positive values.
        let fit = fit_durations(&[0.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(fit.candidates.len(), 1);
    }

    #[test]
    fn ks_distance_by_hand() {
        // Uniform(0, 1) against {0.1, 0.2, 0.9}: the sample's CDF is 2/3 at 0.2 where F = 0.2.
        let d = ks_distance(&[0.1, 0.2, 0.9], |x| x.clamp(0.0, 1.0));
        assert!((d - (2.0 / 3.0 - 0.2)).abs() < 1e-12);
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn garwood_intervals_match_the_tables() {
        // 10 events in one unit: 4.795 to 18.39 (Garwood 1936; e.g. Ulm 1990's table).
        let r = poisson_rate(10, 1.0);
        assert!(
            (r.lo - 4.795).abs() < 1e-3 && (r.hi - 18.39).abs() < 1e-2,
            "{r:?}"
        );
        // None seen: 0 to 3.689.
        let r = poisson_rate(0, 2.0);
        assert_eq!(r.lo, 0.0);
        assert!((r.hi - 3.689 / 2.0).abs() < 1e-3, "{r:?}");
    }

    #[test]
    fn trigamma_matches_known_values() {
        // ψ′(1) = π²/6, ψ′(0.5) = π²/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-9);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-9);
    }
}
