//! Whether the configured warm-up covers the initialization bias: MSER-5
//! ([`crate::engine::mser`]) on the wait (cluster) and latency (endpoint) series averaged, batch
//! by batch, over the first variant's first replications says where the transient ends; past
//! the warm-up, the statistics include the empty start and their intervals cover the true mean
//! less often than they say. `warmup = "auto"` instead chooses the warm-up from pilot
//! replications ([`crate::model::auto_warmup`]).

use crate::engine::mser::BatchMeans;
use crate::engine::time::{SimTime, to_secs_f64};
use crate::scenario::Diagnostic;
use crate::text::Severity;
use crate::text::format_duration;

/// MSER's verdicts over a run's replications.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WarmupCheck {
    /// Replications with a verdict (enough observations).
    pub judged: u64,
    /// Of those, replications whose truncation is past the warm-up they used.
    pub past_warmup: u64,
    /// Truncations, seconds, for their median (one f64 per replication).
    truncations_s: Vec<f64>,
    /// The longest warm-up a replication used (with `warmup = "auto"`, the one MSER chose).
    pub warmup_used: SimTime,
    /// Per target, the first variant's series summed batch by batch over its first
    /// replications: (sum of means, sum of first times), with the count and batch size.
    sums: Vec<Option<Summed>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Summed {
    batch_size: u64,
    count: u64,
    batches: Vec<(f64, f64)>,
}

impl WarmupCheck {
    pub fn add(&mut self, truncation: Option<SimTime>, warmup: SimTime) {
        self.warmup_used = self.warmup_used.max(warmup);
        let Some(t) = truncation else {
            return;
        };
        self.judged += 1;
        if t > warmup {
            self.past_warmup += 1;
        }
        self.truncations_s.push(to_secs_f64(t));
    }

    /// Adds one replication's series (per target) to the batch-by-batch sums.
    pub fn add_series(&mut self, series: &[Option<BatchMeans>]) {
        if self.sums.len() < series.len() {
            self.sums.resize(series.len(), None);
        }
        for (sum, b) in self.sums.iter_mut().zip(series) {
            let Some(b) = b else { continue };
            let this = || Summed {
                batch_size: b.batch_size(),
                count: 0,
                batches: vec![(0.0, 0.0); b.len()],
            };
            let s = sum.get_or_insert_with(this);
            // Batches line up only at one batch size.
            if s.batch_size != b.batch_size() {
                continue;
            }
            s.batches.truncate(b.len());
            for (i, acc) in s.batches.iter_mut().enumerate() {
                acc.0 += b.mean_at(i);
                acc.1 += b.first_at(i) as f64;
            }
            s.count += 1;
        }
    }

    pub fn merge(&mut self, other: WarmupCheck) {
        self.judged += other.judged;
        self.warmup_used = self.warmup_used.max(other.warmup_used);
        self.past_warmup += other.past_warmup;
        self.truncations_s.extend(other.truncations_s);
        if self.sums.len() < other.sums.len() {
            self.sums.resize(other.sums.len(), None);
        }
        for (mine, theirs) in self.sums.iter_mut().zip(other.sums) {
            match (mine.as_mut(), theirs) {
                (None, t) => *mine = t,
                (Some(m), Some(t)) if m.batch_size == t.batch_size => {
                    m.batches.truncate(t.batches.len());
                    for (a, b) in m.batches.iter_mut().zip(&t.batches) {
                        a.0 += b.0;
                        a.1 += b.1;
                    }
                    m.count += t.count;
                }
                _ => {}
            }
        }
    }

    /// Where MSER-5 puts the end of the transient of the series averaged over replications
    /// (batch by batch), seconds: the latest over targets. Averaging brings out a bias each
    /// replication's noise hides.
    pub fn averaged_truncation_s(&self) -> Option<f64> {
        let mut latest: Option<f64> = None;
        for s in self.sums.iter().flatten() {
            if s.count == 0 {
                continue;
            }
            let k = s.count as f64;
            let means: Vec<f64> = s.batches.iter().map(|b| b.0 / k).collect();
            if means.len() < crate::engine::mser::MIN_BATCHES {
                continue;
            }
            let d = crate::engine::mser::mser(&means);
            let t = if d == 0 {
                0.0
            } else {
                s.batches[d].1 / k / 1e6
            };
            latest = Some(latest.map_or(t, |l: f64| l.max(t)));
        }
        latest
    }

    /// The median truncation, seconds.
    pub fn median_s(&self) -> Option<f64> {
        let mut t = self.truncations_s.clone();
        if t.is_empty() {
            return None;
        }
        t.sort_by(f64::total_cmp);
        let n = t.len();
        Some(if n % 2 == 1 {
            t[n / 2]
        } else {
            (t[n / 2 - 1] + t[n / 2]) / 2.0
        })
    }

    /// A warning when the warm-up `warmup_s` is shorter than MSER-5's truncation of the series
    /// averaged over replications; located at the scenario's `warmup` line (`text` of `file`),
    /// or at the file when it sets none.
    pub fn warning(&self, warmup_s: f64, file: &std::path::Path, text: &str) -> Option<Diagnostic> {
        // Whole minutes, rounded up: a warm-up to copy into the scenario.
        let truncation = (self.averaged_truncation_s()? / 60.0).ceil() * 60.0;
        if truncation <= warmup_s {
            return None;
        }
        Some(warmup_warning(
            file,
            text,
            format!(
                "the warm-up ({}) is shorter than where the initialization bias ends: {} (MSER-5 \
                 on the wait and latency series averaged over replications; each replication's \
                 own series puts it past the warm-up in {} of {}); the intervals may cover the \
                 true means less often than 95%",
                format_duration(warmup_s),
                format_duration(truncation),
                self.past_warmup,
                self.judged,
            ),
            format!(
                "set warmup = \"auto\" (chosen by MSER-5 on pilot replications before the run), \
                 or a warm-up of at least {}",
                format_duration(truncation)
            ),
        ))
    }
}

/// A warning about the warm-up, located at the scenario's `warmup` key (`text` of `file`), or
/// at the file when it sets none.
pub(super) fn warmup_warning(
    file: &std::path::Path,
    text: &str,
    message: String,
    hint: String,
) -> Diagnostic {
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("warmup"))
        .map_or(0, |i| i + 1);
    Diagnostic {
        severity: Severity::Warning,
        file: file.to_path_buf(),
        line,
        column: if line > 0 { 1 } else { 0 },
        field: "warmup".into(),
        message,
        hint: Some(hint),
    }
}
