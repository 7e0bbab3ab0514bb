//! Low priority as Spot: the price of a low-priority node as a risk, not a constant.
//!
//! Since 31 March 2026 Azure ML allocates the nodes of `tier = "low_priority"` clusters as Spot
//! VMs (see [`super::defaults::SPOT_SINCE`]). A Spot node is billed at the current Spot rate of its
//! size and region, which varies with demand and never exceeds the pay-as-you-go price (Azure
//! Batch sets no maximum price: Spot VMs "capped at pay-as-you-go"). capsim draws that rate per
//! replication, or per period with a given correlation, or replays observed prices from a random
//! point of their history, always capped at pay-as-you-go. The draws come from a random stream
//! of their own (see `model`), so price risk never shifts arrivals, durations or evictions.

use crate::engine::SimTime;
use crate::engine::dist::standard_normal;
use rand::Rng;
use std::sync::Arc;

/// The Spot price of a cluster's node, as a fraction of pay-as-you-go or as observed prices.
#[derive(Clone, Debug)]
pub struct SpotPricing {
    /// The pay-as-you-go (dedicated) price of the node: the cap of every Spot price and the
    /// price of the dedicated twin the low-priority cluster is compared with.
    pub payg_usd_per_hour: f64,
    pub model: SpotPriceModel,
}

#[derive(Clone, Debug)]
pub enum SpotPriceModel {
    /// The price is `fraction × pay-as-you-go`, the fraction drawn once per replication
    /// (`period` `None`) or once per `period`, consecutive periods' fractions correlated
    /// `correlation` (an AR(1) of the draws around the distribution's mean, which keeps its mean
    /// and variance).
    Fraction {
        fraction: Fraction,
        period: Option<SimTime>,
        correlation: f64,
    },
    /// Observed prices, US dollars per hour, each holding from its offset (the first at 0)
    /// until the next, the last for `last_for`. Each replication starts at a uniformly drawn
    /// point of that history and follows it, wrapping round to its start.
    Observed {
        points: Arc<[(SimTime, f64)]>,
        last_for: SimTime,
    },
}

/// A distribution of a fraction of pay-as-you-go (draws are clamped to 0..=1).
#[derive(Clone, Debug, PartialEq)]
pub enum Fraction {
    Constant(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    /// Log-normal by the log's mean and standard deviation.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Drawn uniformly from observed fractions.
    Empirical(Arc<[f64]>),
}

impl Fraction {
    /// Log-normal from its median and 95th percentile.
    pub fn lognormal_median_p95(median: f64, p95: f64) -> Self {
        Fraction::LogNormal {
            mu: median.ln(),
            sigma: (p95 / median).ln() / crate::engine::dist::Z95,
        }
    }

    /// The mean of the distribution before the cap.
    pub fn mean(&self) -> f64 {
        match self {
            Fraction::Constant(f) => *f,
            Fraction::Uniform { low, high } => (low + high) / 2.0,
            Fraction::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Fraction::Empirical(v) => v.iter().sum::<f64>() / v.len().max(1) as f64,
        }
    }

    /// A draw before the cap.
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Fraction::Constant(f) => *f,
            Fraction::Uniform { low, high } => {
                let u: f64 = rand::RngExt::random(rng);
                low + u * (high - low)
            }
            Fraction::LogNormal { mu, sigma } => (mu + sigma * standard_normal(rng)).exp(),
            Fraction::Empirical(v) => v[rand::RngExt::random_range(rng, 0..v.len())],
        }
    }
}

/// A piecewise-constant price over simulated time: `(from, usd_per_hour)`, the first from 0.
#[derive(Clone, Debug, PartialEq)]
pub struct PricePath {
    points: Vec<(SimTime, f64)>,
}

impl PricePath {
    pub fn constant(usd_per_hour: f64) -> Self {
        PricePath {
            points: vec![(0, usd_per_hour)],
        }
    }

    /// A path from its steps; the first must start at 0 and they must rise.
    pub fn from_steps(points: Vec<(SimTime, f64)>) -> Self {
        assert!(
            points.first().is_some_and(|p| p.0 == 0) && points.windows(2).all(|w| w[0].0 < w[1].0),
            "a price path starts at 0 and rises"
        );
        PricePath { points }
    }

    pub fn steps(&self) -> &[(SimTime, f64)] {
        &self.points
    }

    /// [`Self::integral`] for callers whose `a` never goes backwards: `cursor` remembers the
    /// step that held at the last `a`, so a run of calls costs the steps once.
    #[inline]
    pub fn integral_from(&self, cursor: &mut usize, a: SimTime, b: SimTime) -> f64 {
        while *cursor + 1 < self.points.len() && self.points[*cursor + 1].0 <= a {
            *cursor += 1;
        }
        if b <= a {
            return 0.0;
        }
        let mut sum = 0.0;
        for (i, &(from, price)) in self.points.iter().enumerate().skip(*cursor) {
            let to = self.points.get(i + 1).map_or(SimTime::MAX, |p| p.0);
            let (lo, hi) = (from.max(a), to.min(b));
            if hi > lo {
                sum += price * (hi - lo) as f64;
            }
            if to >= b {
                break;
            }
        }
        sum
    }

    /// ∫ price dt over `[a, b)`, in US dollars per hour × microseconds.
    pub fn integral(&self, a: SimTime, b: SimTime) -> f64 {
        if b <= a {
            return 0.0;
        }
        let mut sum = 0.0;
        for (i, &(from, price)) in self.points.iter().enumerate() {
            let to = self.points.get(i + 1).map_or(SimTime::MAX, |p| p.0);
            let (lo, hi) = (from.max(a), to.min(b));
            if hi > lo {
                sum += price * (hi - lo) as f64;
            }
            if to >= b {
                break;
            }
        }
        sum
    }
}

impl SpotPricing {
    /// This replication's price over `[0, horizon]`, every step capped at pay-as-you-go.
    pub fn path<R: Rng + ?Sized>(&self, rng: &mut R, horizon: SimTime) -> PricePath {
        let cap = |usd: f64| usd.clamp(0.0, self.payg_usd_per_hour);
        match &self.model {
            SpotPriceModel::Fraction {
                fraction,
                period: None,
                ..
            } => PricePath::constant(cap(fraction.draw(rng) * self.payg_usd_per_hour)),
            SpotPriceModel::Fraction {
                fraction,
                period: Some(period),
                correlation,
            } => {
                let mean = fraction.mean();
                let rho = correlation.clamp(-1.0, 1.0);
                let fresh = (1.0 - rho * rho).sqrt();
                let mut points = vec![];
                let mut t: SimTime = 0;
                let mut prev: Option<f64> = None;
                while t <= horizon {
                    let x = fraction.draw(rng);
                    // Before the cap, so the cap never feeds back into the next period.
                    let f = match prev {
                        None => x,
                        Some(p) => mean + rho * (p - mean) + fresh * (x - mean),
                    };
                    prev = Some(f);
                    points.push((t, cap(f * self.payg_usd_per_hour)));
                    t = match t.checked_add((*period).max(1)) {
                        Some(next) => next,
                        None => break,
                    };
                }
                PricePath { points }
            }
            SpotPriceModel::Observed { points, last_for } => {
                let last = points.last().map_or(0, |p| p.0);
                let span = last.saturating_add((*last_for).max(1));
                let start = rand::RngExt::random_range(rng, 0..span);
                // The observation holding at `start`, then the following ones, wrapping round
                // to the start of the history (`base` is the history time of the wrap).
                let at = points.partition_point(|p| p.0 <= start).saturating_sub(1);
                let mut out = vec![(0, cap(points[at].1))];
                let (mut k, mut base) = (at + 1, 0 as SimTime);
                loop {
                    if k == points.len() {
                        k = 0;
                        base = base.saturating_add(span);
                    }
                    // Past `start`: `at` was the last observation at or before it.
                    let t = base.saturating_add(points[k].0) - start;
                    if t > horizon {
                        break;
                    }
                    out.push((t, cap(points[k].1)));
                    k += 1;
                }
                out.dedup_by(|b, a| a.1 == b.1);
                PricePath { points: out }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use crate::engine::time::MICROS_PER_HOUR;

    const H: SimTime = MICROS_PER_HOUR;

    #[test]
    fn the_integral_of_a_step_path_adds_its_pieces() {
        let p = PricePath::from_steps(vec![(0, 1.0), (2 * H, 3.0), (5 * H, 0.5)]);
        // [1 h, 6 h): 1 h at 1, 3 h at 3, 1 h at 0.5.
        let got = p.integral(H, 6 * H) / H as f64;
        assert!((got - (1.0 + 9.0 + 0.5)).abs() < 1e-12, "{got}");
        assert_eq!(p.integral(3 * H, 3 * H), 0.0);
    }

    #[test]
    fn every_price_is_capped_at_pay_as_you_go() {
        let s = SpotPricing {
            payg_usd_per_hour: 2.0,
            model: SpotPriceModel::Fraction {
                fraction: Fraction::Uniform {
                    low: 0.5,
                    high: 1.5,
                },
                period: Some(H),
                correlation: 0.5,
            },
        };
        let mut rng = stream(3, 0, "spot-test");
        let path = s.path(&mut rng, 1000 * H);
        assert_eq!(path.steps().len(), 1001);
        assert!(path.steps().iter().all(|p| p.1 <= 2.0 && p.1 >= 0.0));
        assert!(
            path.steps().iter().any(|p| p.1 == 2.0),
            "some draws hit the cap"
        );
    }

    #[test]
    fn observed_prices_replay_their_history_from_a_random_point() {
        // Two prices, each holding 10 h: the path alternates every 10 h after its first step.
        let s = SpotPricing {
            payg_usd_per_hour: 10.0,
            model: SpotPriceModel::Observed {
                points: Arc::from(vec![(0, 1.0), (10 * H, 2.0)]),
                last_for: 10 * H,
            },
        };
        let mut rng = stream(4, 0, "spot-test");
        for _ in 0..20 {
            let path = s.path(&mut rng, 50 * H);
            let steps = path.steps();
            assert_eq!(steps[0].0, 0);
            for w in steps.windows(2) {
                assert_ne!(w[0].1, w[1].1);
            }
            for w in steps[1..].windows(2) {
                assert_eq!(w[1].0 - w[0].0, 10 * H, "{steps:?}");
            }
            // Over 50 h the mean price is close to 1.5 (exactly 1.5 over whole cycles).
            let mean = path.integral(0, 40 * H + steps[1].0) / (40 * H + steps[1].0) as f64;
            assert!((mean - 1.5).abs() < 0.13, "{mean}");
        }
    }
}
