//! Streaming statistics: memory stays constant however long the simulated horizon.

use super::time::SimTime;
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
        // An unchanged level needs no work: the window-clipped lengths of adjacent intervals
        // add up, so integrating at the next real change gives the same area exactly. Callers
        // that set every event (a cluster's node count, mostly constant) skip the multiply.
        if level != self.level {
            self.advance(now);
            self.level = level;
        }
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

/// Several levels that change at the same instants, integrated together: one window
/// computation per change instead of one per level (this runs on every event).
#[derive(Clone, Debug)]
pub struct Levels<const N: usize> {
    from: SimTime,
    to: SimTime,
    last: SimTime,
    levels: [u64; N],
    areas: [u128; N],
}

impl<const N: usize> Levels<N> {
    pub fn new(from: SimTime, to: SimTime) -> Self {
        Levels {
            from,
            to,
            last: 0,
            levels: [0; N],
            areas: [0; N],
        }
    }

    /// All levels change to `levels` at `now` (which never goes backwards).
    #[inline]
    pub fn set(&mut self, now: SimTime, levels: [u64; N]) {
        let a = self.last.max(self.from);
        let b = now.min(self.to);
        if b > a {
            let dt = (b - a) as u128;
            for (area, &level) in self.areas.iter_mut().zip(&self.levels) {
                *area += level as u128 * dt;
            }
        }
        self.last = now;
        self.levels = levels;
    }

    /// Integral of level `i` up to the last `set`, in level × microseconds.
    pub fn area(&self, i: usize) -> u128 {
        self.areas[i]
    }
}

/// A log-linear histogram of non-negative integers with a relative error of at most 2^-10
/// (about 0.1%): values below 1024 have a bucket each, and every power of two above is split
/// into 1024 equal buckets (the layout of HdrHistogram with three significant digits).
///
/// Hand-written rather than taken from the `hdrhistogram` crate because recording is on the
/// simulation's hot path (once per job): the crate's auto-resizing, generic-counter record path
/// cost about 120 instructions a value in profiles, this one about 15. Memory grows with the
/// logarithm of the largest value (8 KiB per power of two in use), never with the count.
#[derive(Clone, Debug, Default)]
pub struct LogHistogram {
    counts: Vec<u64>,
}

const SUB_BITS: u32 = 10;
const SUB_COUNT: u64 = 1 << SUB_BITS;

impl LogHistogram {
    #[inline]
    fn index(value: u64) -> usize {
        if value < SUB_COUNT {
            value as usize
        } else {
            let exp = 63 - value.leading_zeros(); // >= SUB_BITS
            let shift = exp - SUB_BITS;
            let sub = (value >> shift) - SUB_COUNT; // in [0, SUB_COUNT)
            ((shift as u64 + 1) * SUB_COUNT + sub) as usize
        }
    }

    /// The largest value that falls in bucket `index`.
    fn highest_in(index: usize) -> u64 {
        let index = index as u64;
        if index < SUB_COUNT {
            index
        } else {
            let shift = index / SUB_COUNT - 1;
            let sub = index % SUB_COUNT;
            let low = (SUB_COUNT + sub) << shift;
            low + ((1u64 << shift) - 1)
        }
    }

    #[inline]
    pub fn record(&mut self, value: u64) {
        let i = Self::index(value);
        if i >= self.counts.len() {
            // Grow a whole power of two at a time.
            let len = (i / SUB_COUNT as usize + 1) * SUB_COUNT as usize;
            self.counts.resize(len, 0);
        }
        self.counts[i] += 1;
    }

    /// The smallest recorded bucket's upper bound at or above which a share `q` of the values
    /// lies (the nearest-rank quantile, rounded up to its bucket's highest value); `None` when
    /// empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total: u64 = self.counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Self::highest_in(i));
            }
        }
        unreachable!("rank <= total")
    }
}

/// Count, exact sum, extremes and a histogram of non-negative durations (in microseconds).
///
/// Percentiles come from a [`LogHistogram`] (relative error at most 0.1%), clamped to the exact
/// observed minimum and maximum so that a constant input reports itself exactly.
#[derive(Clone, Debug)]
pub struct DurationStats {
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
    hist: LogHistogram,
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
            hist: LogHistogram::default(),
        }
    }

    #[inline]
    pub fn record(&mut self, value: SimTime) {
        self.count += 1;
        self.sum += value as u128;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.hist.record(value);
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
        match self.hist.quantile(q) {
            None => f64::NAN,
            Some(v) => v.clamp(self.min, self.max) as f64,
        }
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
    fn time_weighted_repeats_of_a_level_change_nothing() {
        let mut tw = TimeWeighted::new(10, 100);
        tw.set(0, 3);
        tw.set(5, 3); // before the window
        tw.set(50, 3); // inside it
        tw.set(120, 3); // after it
        tw.set(130, 1);
        // 3 over the whole window [10, 100): 3 × 90 = 270; the later 1 is outside it.
        assert_eq!(tw.area_at(200), 270);
        assert_eq!(tw.level(), 1);
        let mut no_change = TimeWeighted::new(0, 1000);
        no_change.set(40, 0);
        assert_eq!(no_change.area_at(1000), 0);
        no_change.set(60, 2);
        // 2 from 60 to 100: 80.
        assert_eq!(no_change.area_at(100), 80);
    }

    #[test]
    fn levels_integrate_together() {
        let mut l = Levels::<2>::new(10, 100);
        l.set(0, [2, 1]);
        l.set(20, [5, 0]);
        l.set(150, [0, 0]);
        assert_eq!((l.area(0), l.area(1)), (420, 10));
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
    fn log_histogram_buckets_are_exact_below_1024_and_tight_above() {
        for v in [
            0u64,
            1,
            1023,
            1024,
            1025,
            2047,
            2048,
            4097,
            123_456_789,
            u64::MAX / 3,
        ] {
            let i = LogHistogram::index(v);
            let hi = LogHistogram::highest_in(i);
            assert!(hi >= v, "{v}: bucket top {hi}");
            assert!((hi - v) as f64 <= v as f64 / 1024.0, "{v}: bucket top {hi}");
            assert_eq!(LogHistogram::index(hi), i, "{v}");
        }
        let mut h = LogHistogram::default();
        for v in 1..=100u64 {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), Some(50));
        assert_eq!(h.quantile(0.95), Some(95));
        assert_eq!(h.quantile(1.0), Some(100));
        assert_eq!(h.quantile(0.0), Some(1));
        assert_eq!(LogHistogram::default().quantile(0.5), None);
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
