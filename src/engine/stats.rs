//! Streaming statistics: memory stays constant however long the simulated horizon.

use super::time::SimTime;
use hdrhistogram::Histogram;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The time integral of a piecewise-constant level (nodes busy, queue length, ...), counted only
/// inside an observation window `[from, to)`, so warm-up is excluded without a separate event.
#[derive(Clone, Debug)]
pub struct TimeWeighted {
    from: SimTime,
    to: SimTime,
    last: SimTime,
    level: u64,
    /// Level × microseconds inside the window.
    area: u128,
}

impl TimeWeighted {
    pub fn new(from: SimTime, to: SimTime) -> Self {
        TimeWeighted {
            from,
            to,
            last: 0,
            level: 0,
            area: 0,
        }
    }

    #[inline]
    fn advance(&mut self, now: SimTime) {
        let a = self.last.max(self.from);
        let b = now.min(self.to);
        if b > a {
            self.area += self.level as u128 * (b - a) as u128;
        }
        self.last = now;
    }

    /// The level changes to `level` at time `now` (which never goes backwards).
    #[inline]
    pub fn set(&mut self, now: SimTime, level: u64) {
        self.advance(now);
        self.level = level;
    }

    #[inline]
    pub fn level(&self) -> u64 {
        self.level
    }

    /// The integral up to `now`, in level × microseconds.
    pub fn area_at(&self, now: SimTime) -> u128 {
        let mut c = self.clone();
        c.advance(now);
        c.area
    }
}

/// Count, exact sum, extremes and a histogram of non-negative durations (in microseconds).
///
/// Percentiles come from an HDR histogram with 3 significant digits (relative error ≤ 0.1%),
/// clamped to the exact observed minimum and maximum so that a constant input reports itself
/// exactly.
#[derive(Clone, Debug)]
pub struct DurationStats {
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
    hist: Histogram<u64>,
}

impl Default for DurationStats {
    fn default() -> Self {
        Self::new()
    }
}

impl DurationStats {
    pub fn new() -> Self {
        DurationStats {
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
            hist: Histogram::new(3).expect("3 significant digits is a valid histogram"),
        }
    }

    #[inline]
    pub fn record(&mut self, value: SimTime) {
        self.count += 1;
        self.sum += value as u128;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        // `record` grows the auto-resizing histogram; `saturating_record` would clamp instead.
        if self.hist.record(value).is_err() {
            self.hist.saturating_record(value);
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean in microseconds; NaN when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Quantile `q` in [0, 1] in microseconds; NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        self.hist.value_at_quantile(q).clamp(self.min, self.max) as f64
    }
}

/// Mean and the half-width of its 95% confidence interval (Student t, n−1 degrees of freedom).
/// The half-width is NaN for fewer than two values: one replication says nothing about spread.
pub fn mean_ci95(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, t_975(n - 1) * (var / n as f64).sqrt())
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("df >= 1 is valid")
        .inverse_cdf(0.975)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_weighted_clips_to_window() {
        let mut tw = TimeWeighted::new(10, 100);
        tw.set(0, 2); // level 2 from 0
        tw.set(20, 5); // 2 × (20 − 10) = 20 inside the window
        tw.set(150, 0); // 5 × (100 − 20) = 400
        assert_eq!(tw.area_at(200), 420);
    }

    #[test]
    fn duration_stats_exact_for_constants() {
        let mut s = DurationStats::new();
        for _ in 0..10 {
            s.record(240_000_000);
        }
        assert_eq!(s.mean(), 240_000_000.0);
        assert_eq!(s.quantile(0.5), 240_000_000.0);
        assert_eq!(s.quantile(0.99), 240_000_000.0);
    }

    #[test]
    fn quantiles_within_a_tenth_of_a_percent() {
        let mut s = DurationStats::new();
        for v in 1..=100_000u64 {
            s.record(v * 1000);
        }
        let p95 = s.quantile(0.95);
        assert!((p95 / 95_000_000.0 - 1.0).abs() < 0.001, "{p95}");
    }

    #[test]
    fn student_t_table_values() {
        // Standard t-table: df=1 → 12.706, df=9 → 2.262, df=∞ → 1.960.
        assert!((t_975(1) - 12.706).abs() < 1e-3);
        assert!((t_975(9) - 2.262).abs() < 1e-3);
        assert!((t_975(100_000) - 1.960).abs() < 1e-3);
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m, 3.0);
        // s = sqrt(2.5), t(4) = 2.776: h = 2.776 × sqrt(2.5 / 5).
        assert!((h - 2.776 * (0.5f64).sqrt()).abs() < 1e-3);
    }
}
