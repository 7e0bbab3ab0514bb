//! How much work a run is, before it starts: events, wall-clock time and memory, so that a run
//! that would take hours or exhaust memory is refused with the figures and what to do instead,
//! rather than discovered the hard way.
//!
//! The estimate is deliberately simple and on the high side:
//!
//! - **events** = Σ over variants of replications × (jobs per replication × events per job +
//!   requests per replication × events per request + a fixed cost per replication). Jobs per
//!   replication are the expected arrivals over the horizon (the mean rate of a Poisson or MMPP
//!   process, profiles included, times the horizon; a trace's rows inside the horizon, repeats
//!   included) times the batch size.
//! - **time** = events / ([`EVENTS_PER_SECOND_PER_THREAD`] × threads), threads capped by the
//!   machine's cores.
//! - **memory** = what the run holds until it writes its files (every replication's metric
//!   values and the `replications.csv` text) + what each worker thread holds at once (at worst
//!   every job of a replication alive at the same time).

use crate::metrics::METRICS;
use crate::scenario::sweep::Plan;
use crate::targets::TargetKind;
use crate::text::number::{group_thousands, human_bytes, human_count, human_seconds};
use crate::workload::ArrivalSpec;

/// Simulated events per second and worker thread assumed by the time estimate.
///
/// The criterion benches on the 2-core development machine (release build, `cargo bench`,
/// 2026-11-27; see `benches/README.md`) measure 8.4 to 13.6 million events per second per
/// thread: 9.5 M for a 30-day cluster replication (`cluster/replication_30d_3k_jobs`), 8.4 M for
/// replaying the Philly trace, 9.6 M for a day of an autoscaling endpoint and 13.6 M for the
/// M/M/c reference case. Under half of the slowest leaves room for slower machines, busy cores
/// and heavier targets, so the estimate errs towards refusing.
pub const EVENTS_PER_SECOND_PER_THREAD: f64 = 4_000_000.0;

/// The longest run started without `--force`, seconds.
pub const MAX_SECONDS: f64 = 3600.0;

/// Events per job besides its nodes': the arrival and the completion.
pub const EVENTS_PER_JOB: f64 = 2.0;
/// Events per node a job takes: provisioning done, idle time-out, and a stale time-out when the
/// node is reused (measured: about 5 events per one-node job on `scenarios/quickstart.toml`).
pub const EVENTS_PER_JOB_NODE: f64 = 3.0;
/// Low-priority targets with preemption: a preempted job's restart repeats its events. Doubling
/// covers any preemption rate that lets work finish at all.
pub const PREEMPTION_FACTOR: f64 = 2.0;
/// Events per inference request: arrival, start and completion.
pub const EVENTS_PER_REQUEST: f64 = 3.0;
/// Setting a replication up and summarising it costs about as much as this many events.
pub const EVENTS_PER_REPLICATION: f64 = 20.0;

/// Memory of one live job or request with its queue entries and its wait sample, bytes.
pub const BYTES_PER_LIVE_JOB: f64 = 256.0;
/// `replications.csv` text per row (one replication of one target), bytes; rows run to
/// 400-600 characters.
pub const CSV_BYTES_PER_ROW: f64 = 800.0;
/// Per row held in memory besides its metric values (vectors, indices), bytes.
pub const ROW_OVERHEAD_BYTES: f64 = 96.0;
/// The program, the scenario and its traces, thread stacks: a floor, bytes.
pub const BASE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// What a run will cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub variants: usize,
    /// (variant, replication) pairs that will run.
    pub replications: u64,
    /// Expected jobs and requests per replication, averaged over variants.
    pub jobs_per_replication: f64,
    pub events: f64,
    /// Worker threads assumed (the request, capped by the machine's cores).
    pub threads: usize,
    pub seconds: f64,
    pub memory_bytes: f64,
}

/// The machine's means, for [`Estimate::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    pub max_seconds: f64,
    /// Memory the run can have; `None` when unknown (no memory check).
    pub memory_available_bytes: Option<f64>,
    pub memory_total_bytes: Option<f64>,
}

impl Limits {
    /// [`MAX_SECONDS`] and this machine's available memory (`MemAvailable` of /proc/meminfo, or
    /// what the cgroup's `memory.max` leaves, whichever is less).
    pub fn of_this_machine() -> Limits {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |name: &str| {
            meminfo.lines().find_map(|l| {
                let rest = l.strip_prefix(name)?.strip_prefix(':')?;
                let kib: f64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
                Some(kib * 1024.0)
            })
        };
        // In a container, the cgroup's limit (v2) binds before the machine's memory does.
        let cgroup = |name: &str| -> Option<f64> {
            std::fs::read_to_string(format!("/sys/fs/cgroup/{name}"))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let limit = cgroup("memory.max");
        let in_cgroup = limit.map(|max| max - cgroup("memory.current").unwrap_or(0.0));
        let min = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Limits {
            max_seconds: MAX_SECONDS,
            memory_available_bytes: min(field("MemAvailable"), in_cgroup),
            memory_total_bytes: min(field("MemTotal"), limit),
        }
    }
}

/// The machine's cores (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Jobs (or requests) per replication of an arrival process over `horizon_s`.
fn arrivals(spec: &ArrivalSpec, horizon_s: f64) -> f64 {
    match spec {
        ArrivalSpec::Poisson(p) => p.mean_rate_per_hour() * horizon_s / 3600.0,
        ArrivalSpec::Mmpp(m) => m.mean_rate_per_hour() * horizon_s / 3600.0,
        ArrivalSpec::Trace(t) => {
            let times: Vec<u64> = t.jobs.iter().map(|j| j.submit).collect();
            trace_count(&times, t.repeat, t.period, horizon_s)
        }
    }
}

/// Rows of a sorted trace submitted by `horizon_s`, counting repeats.
fn trace_count(times: &[u64], repeat: bool, period: u64, horizon_s: f64) -> f64 {
    let horizon = crate::engine::time::from_secs_f64(horizon_s);
    let within = |h: u64| times.partition_point(|&t| t <= h) as f64;
    if repeat && period > 0 && !times.is_empty() {
        (horizon / period) as f64 * times.len() as f64 + within(horizon % period)
    } else {
        within(horizon)
    }
}

/// Estimates `plan` run on `threads` threads (0 = every core); `fraction` of its pairs run
/// (1 for a whole run, about 1/N for a shard).
pub fn estimate(plan: &Plan, threads: usize, fraction: f64) -> Estimate {
    let cores = cores();
    let threads = if threads == 0 {
        cores
    } else {
        threads.min(cores)
    }
    .max(1);
    let (mut events, mut pairs, mut jobs_sum) = (0.0, 0.0, 0.0);
    let (mut rows, mut live_max) = (0.0, 0.0f64);
    for v in &plan.variants {
        let s = &v.scenario;
        let sys = &s.system;
        let horizon_s = crate::engine::time::to_secs_f64(sys.horizon);
        let mut per_rep = EVENTS_PER_REPLICATION;
        let mut jobs = 0.0;
        for w in &sys.workloads {
            let n = arrivals(&w.arrivals, horizon_s) * w.batch_size.max(1) as f64;
            let mut per_job = EVENTS_PER_JOB + EVENTS_PER_JOB_NODE * w.instance_count as f64;
            let preempted = match sys.targets.get(w.target).map(|t| &t.kind) {
                Some(TargetKind::Cluster { spec, .. }) => spec.preemption.is_some(),
                Some(TargetKind::Serverless(spec)) => spec.preemption.is_some(),
                _ => false,
            };
            // A batch endpoint's job is one event per mini-batch attempt.
            if let Some(b) = &w.batch {
                per_job += b.mini_batches() as f64;
            }
            if preempted {
                per_job *= PREEMPTION_FACTOR;
            }
            per_rep += n * per_job;
            jobs += n;
        }
        for t in &sys.traffic {
            let n = match &t.arrivals {
                crate::workload::requests::RequestArrivals::Poisson(p) => {
                    p.mean_rate_per_hour() * horizon_s / 3600.0
                }
                crate::workload::requests::RequestArrivals::Trace(tr) => {
                    trace_count(&tr.times, tr.repeat, tr.period, horizon_s)
                }
            };
            per_rep += n * EVENTS_PER_REQUEST;
            jobs += n;
        }
        let reps = s.replications as f64 * fraction;
        events += reps * per_rep;
        pairs += reps;
        jobs_sum += jobs;
        rows += reps * sys.targets.len() as f64;
        live_max = live_max.max(jobs);
    }
    let held = rows * (METRICS.len() as f64 * 8.0 + ROW_OVERHEAD_BYTES + CSV_BYTES_PER_ROW);
    let live = threads as f64 * live_max * BYTES_PER_LIVE_JOB;
    Estimate {
        variants: plan.variants.len(),
        replications: pairs.round() as u64,
        jobs_per_replication: jobs_sum / plan.variants.len().max(1) as f64,
        events,
        threads,
        seconds: events / (EVENTS_PER_SECOND_PER_THREAD * threads as f64),
        memory_bytes: BASE_BYTES + held + live,
    }
}

/// Why a run is refused: the message lists every limit it passes, the estimate, and ways on.
#[derive(Clone, Debug, PartialEq)]
pub struct TooBig {
    pub estimate: Estimate,
    pub too_long: bool,
    pub too_much_memory: bool,
    pub limits: Limits,
}

impl Estimate {
    /// `Err` when the run passes a limit.
    pub fn check(&self, limits: &Limits) -> Result<(), TooBig> {
        let too_long = self.seconds > limits.max_seconds;
        let too_much_memory = limits
            .memory_available_bytes
            .is_some_and(|m| self.memory_bytes > m);
        if too_long || too_much_memory {
            Err(TooBig {
                estimate: self.clone(),
                too_long,
                too_much_memory,
                limits: limits.clone(),
            })
        } else {
            Ok(())
        }
    }

    /// One line: events, time and memory.
    pub fn summary(&self) -> String {
        format!(
            "about {} events ({} variant{} x {} replication{} in all, {} jobs and requests per \
             replication): {} on {} thread{} at {} events/s per thread, and {} of memory",
            human_count(self.events),
            self.variants,
            if self.variants == 1 { "" } else { "s" },
            group_thousands(self.replications),
            if self.replications == 1 { "" } else { "s" },
            human_count(self.jobs_per_replication),
            human_seconds(self.seconds),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            human_count(EVENTS_PER_SECOND_PER_THREAD),
            human_bytes(self.memory_bytes),
        )
    }
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.estimate;
        let mut why = vec![];
        if self.too_long {
            why.push(format!(
                "it would take about {}, more than the {} allowed without --force",
                human_seconds(e.seconds),
                human_seconds(self.limits.max_seconds)
            ));
        }
        if self.too_much_memory {
            why.push(format!(
                "it would need about {} of memory, more than the {} this machine has available{}",
                human_bytes(e.memory_bytes),
                human_bytes(self.limits.memory_available_bytes.unwrap_or(0.0)),
                self.limits
                    .memory_total_bytes
                    .map_or(String::new(), |t| format!(" ({} in all)", human_bytes(t)))
            ));
        }
        writeln!(f, "error: this run is too big: {}", why.join("; and "))?;
        writeln!(f, "  estimate: {}", e.summary())?;
        // How far each way on has to go to fit.
        let time_factor = e.seconds / self.limits.max_seconds;
        let memory_factor = self.limits.memory_available_bytes.map_or(0.0, |m| {
            (e.memory_bytes - BASE_BYTES) / (m - BASE_BYTES).max(1.0)
        });
        let factor = time_factor.max(memory_factor).max(1.0);
        let per_variant = e.replications as f64 / e.variants.max(1) as f64;
        writeln!(f, "  to proceed, any of:")?;
        writeln!(
            f,
            "    --force                 run it anyway (it can be stopped with Ctrl-C)"
        )?;
        writeln!(
            f,
            "    --replications N        fewer replications: N <= {} fits",
            group_thousands(((per_variant / factor).floor() as u64).max(1))
        )?;
        writeln!(
            f,
            "    --horizon D             a shorter simulated time: about 1/{:.0} of the horizon fits",
            factor.ceil()
        )?;
        write!(
            f,
            "    --shard K/N             split the sweep over N >= {} machines (or runs), then \
             `capsim merge`",
            factor.ceil() as u64
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_counts_rows_inside_the_horizon_and_repeats() {
        let s = crate::engine::time::from_secs_f64;
        let times = [s(0.0), s(10.0), s(20.0), s(30.0)];
        assert_eq!(trace_count(&times, false, s(40.0), 25.0), 3.0);
        assert_eq!(trace_count(&times, false, s(40.0), 1000.0), 4.0);
        // 100 s of a 40 s window: two whole passes and 20 s of a third (0, 10, 20).
        assert_eq!(trace_count(&times, true, s(40.0), 100.0), 11.0);
    }

    #[test]
    fn limits_refuse_what_passes_them_and_say_how_to_fit() {
        let e = Estimate {
            variants: 2,
            replications: 2000,
            jobs_per_replication: 1000.0,
            events: 2000.0 * 1000.0 * 5.0,
            threads: 2,
            seconds: 7200.0,
            memory_bytes: 1e9,
        };
        let limits = Limits {
            max_seconds: 3600.0,
            memory_available_bytes: Some(1e10),
            memory_total_bytes: Some(2e10),
        };
        let refused = e.check(&limits).unwrap_err();
        assert!(refused.too_long && !refused.too_much_memory);
        let msg = refused.to_string();
        assert!(msg.contains("2.0 h"), "{msg}");
        // Twice too long: half the 1000 replications per variant fit, or 2 shards.
        assert!(msg.contains("N <= 500"), "{msg}");
        assert!(msg.contains("N >= 2"), "{msg}");
        assert!(msg.contains("--force"), "{msg}");
        let small = Estimate {
            seconds: 10.0,
            ..e.clone()
        };
        assert!(small.check(&limits).is_ok());
        let fat = Estimate {
            seconds: 10.0,
            memory_bytes: 3e10,
            ..e
        };
        let refused = fat.check(&limits).unwrap_err();
        assert!(!refused.too_long && refused.too_much_memory);
        assert!(refused.to_string().contains("27.9 GiB"), "{refused}");
    }
}
