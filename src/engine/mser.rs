//! Initialization bias: where the transient of a run started empty ends, by MSER-5 (White,
//! 1997; White, Cobb and Spratt, 2000: the Marginal Standard Error Rule on batch means of 5).
//!
//! For batch means `x_1..x_n` (here of 5 consecutive observations), MSER picks the truncation
//! `d` that minimises `sum_{i>d} (x_i - mean_{>d})^2 / (n - d)^2`, the squared standard error of
//! the mean of what is kept: dropping biased early batches lowers it, dropping too many raises
//! it through the smaller count. As is usual, `d` is searched in the first half of the series
//! only (a minimum in the second half says the run is too short to tell).
//!
//! [`BatchMeans`] keeps the series in bounded memory: past [`MAX_BATCHES`] batches it merges
//! neighbours pairwise, doubling the batch size (10, 20, ... observations), so a run of any
//! length holds at most that many. Deterministic: the same observations give the same answer.

use super::time::SimTime;

/// Observations per batch at first (MSER-5).
pub const BATCH: u64 = 5;
/// Most batches kept; past this, neighbours merge and the batch size doubles.
pub const MAX_BATCHES: usize = 1 << 14;
/// Fewest batches for a verdict: below this, MSER has too little to tell a transient from noise.
pub const MIN_BATCHES: usize = 10;

/// The MSER truncation of `means`: how many leading batches to drop (`0..=n/2`), ties to the
/// smallest. 0 for fewer than [`MIN_BATCHES`].
pub fn mser(means: &[f64]) -> usize {
    let n = means.len();
    if n < MIN_BATCHES {
        return 0;
    }
    // Suffix sums give every candidate's statistic in one pass from the end.
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    let mut stat = vec![0.0; n];
    for d in (0..n).rev() {
        sum += means[d];
        sum_sq += means[d] * means[d];
        let k = (n - d) as f64;
        let ss = (sum_sq - sum * sum / k).max(0.0);
        stat[d] = ss / (k * k);
    }
    let mut best = 0;
    for d in 1..=n / 2 {
        if stat[d] < stat[best] {
            best = d;
        }
    }
    best
}

/// Batch means of a series of observations, each observation stamped with a time (when the
/// observed entity arrived), so that a truncation reads as a time.
#[derive(Clone, Debug, Default)]
pub struct BatchMeans {
    /// Per full batch: its mean and the time of its first observation.
    batches: Vec<(f64, SimTime)>,
    size: u64,
    /// The batch being filled: count, sum, first time.
    count: u64,
    sum: f64,
    first: SimTime,
}

impl BatchMeans {
    pub fn new() -> Self {
        BatchMeans {
            size: BATCH,
            ..Default::default()
        }
    }

    #[inline]
    pub fn record(&mut self, time: SimTime, value: f64) {
        if self.count == 0 {
            self.first = time;
        }
        self.count += 1;
        self.sum += value;
        if self.count == self.size.max(1) {
            self.batches
                .push((self.sum / self.count as f64, self.first));
            self.count = 0;
            self.sum = 0.0;
            if self.batches.len() >= MAX_BATCHES {
                self.halve();
            }
        }
    }

    /// Merges neighbouring batches: half as many, each twice the size.
    fn halve(&mut self) {
        let merged: Vec<(f64, SimTime)> = self
            .batches
            .chunks_exact(2)
            .map(|p| ((p[0].0 + p[1].0) / 2.0, p[0].1))
            .collect();
        self.batches = merged;
        self.size *= 2;
    }

    /// The batch means so far, in order.
    pub fn means(&self) -> Vec<f64> {
        self.batches.iter().map(|b| b.0).collect()
    }

    /// Full batches so far.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// The mean of batch `i` (`i < len()`).
    pub fn mean_at(&self, i: usize) -> f64 {
        self.batches[i].0
    }

    /// The time of batch `i`'s first observation (`i < len()`).
    pub fn first_at(&self, i: usize) -> SimTime {
        self.batches[i].1
    }

    /// Observations per batch now (5, or a doubling of it after merges).
    pub fn batch_size(&self) -> u64 {
        self.size
    }

    /// Where MSER truncates: the time of the first observation kept, and the observations
    /// dropped. `None` when there are too few batches for a verdict.
    pub fn truncation(&self) -> Option<(SimTime, u64)> {
        if self.batches.len() < MIN_BATCHES {
            return None;
        }
        let d = mser(&self.means());
        let time = if d == 0 { 0 } else { self.batches[d].1 };
        Some((time, d as u64 * self.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stationary_series_is_not_truncated_and_a_transient_is_cut_where_it_ends() {
        // Alternating 1 and -1 around 0: nothing to drop.
        let flat: Vec<f64> = (0..100)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert_eq!(mser(&flat), 0);
        // 20 batches at 10 then 80 around 0: by hand the statistic is least right after them.
        let mut t = vec![10.0; 20];
        t.extend(&flat[..80]);
        assert_eq!(mser(&t), 20);
        // Too short to tell.
        assert_eq!(mser(&[5.0, 0.0, 0.0]), 0);
    }

    #[test]
    fn batches_of_five_carry_their_first_time_and_merge_in_bounded_memory() {
        let mut b = BatchMeans::new();
        for i in 0..50u64 {
            b.record(i * 10, if i < 25 { 100.0 } else { (i % 2) as f64 });
        }
        assert_eq!(b.means().len(), 10);
        assert_eq!(b.means()[0], 100.0);
        // Batches 0-4 hold the 25 high values; the first kept batch starts at observation 25.
        assert_eq!(b.truncation(), Some((250, 25)));
        let mut big = BatchMeans::new();
        for i in 0..(MAX_BATCHES as u64 * BATCH * 4) {
            big.record(i, 1.0);
        }
        assert!(big.means().len() < MAX_BATCHES);
        // Full at 16,384 x 5 = 81,920 observations, then after 8,192 x 10 and 8,192 x 20 more:
        // three halvings by the 327,680th.
        assert_eq!(big.batch_size(), BATCH * 8);
    }
}
