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
//! - **memory** = what the run holds until it writes its files (two paired metrics of every
//!   replication, whole rows for a chunk of [`CHUNK_PAIRS`] pairs) + what each worker thread
//!   holds at once: each target's statistics, and the live jobs and requests of one
//!   replication, at worst every job that arrives (a cluster's queue has no bound) and for an
//!   endpoint's requests its in-flight limit (`2 x max_concurrent_requests_per_instance x` its
//!   most instances), however long the horizon.
//! - **disk** = rows of `replications.csv` (replications x variants x targets) and
//!   `workloads.csv`, and `timeseries.csv`: (horizon / `sample_interval` + 1) x sampled targets
//!   rows of one replication.
//!
//! The machine's means ([`Limits`]: time allowed, available memory, free disk, cores) are an
//! input, so that tests give their own.

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

/// Memory of one live job or request with its queue entries and its event, bytes.
pub const BYTES_PER_LIVE_JOB: f64 = 256.0;
/// `replications.csv` text per row (one replication of one target), bytes; rows run to
/// 400-600 characters (560 on the bundled scenarios).
pub const CSV_BYTES_PER_ROW: f64 = 800.0;
/// `workloads.csv` text per row (one replication of one workload), bytes (about 230 on the
/// bundled scenarios).
pub const WORKLOAD_CSV_BYTES_PER_ROW: f64 = 400.0;
/// `timeseries.csv` text per row besides the target's name, bytes (the bundled scenarios'
/// rows are 33 to 36 bytes plus the name).
pub const TIMESERIES_BYTES_PER_ROW: f64 = 48.0;
/// Per row held in memory besides its metric values (vectors, indices), bytes.
pub const ROW_OVERHEAD_BYTES: f64 = 96.0;
/// (Variant, replication) pairs simulated together before their rows are written out and
/// shrunk to the [`PAIRED`](super::PAIRED) metrics: `run` holds at most this many pairs' rows
/// whole.
pub const CHUNK_PAIRS: usize = 4096;
/// A replication's statistics per target on a worker thread: its duration histograms (8 KiB
/// per power of two in use, up to 54 of them) and time-weighted levels, bytes.
pub const BYTES_PER_TARGET_STATE: f64 = 2.0 * 1024.0 * 1024.0;
/// The program, the scenario and its traces, thread stacks: a floor, bytes.
pub const BASE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;
/// The summary, `run.json`, the scenario and a report with its charts: a floor, bytes.
pub const BASE_DISK_BYTES: f64 = 4.0 * 1024.0 * 1024.0;
/// The most a run writes without `--force`, bytes, however much the disk has free: a folder
/// of results larger than this is a mistake far more often than a wish (a `sample_interval` of
/// a millisecond, say).
pub const MAX_DISK_BYTES: f64 = 10.0 * 1024.0 * 1024.0 * 1024.0;

/// What a run will cost.
#[derive(Clone, Debug, Default, PartialEq)]
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
    /// Rows of `replications.csv` (one per replication and target).
    pub replication_rows: f64,
    /// Rows of `timeseries.csv` (one per sample and target of the one replication it holds).
    pub timeseries_rows: f64,
    pub timeseries_bytes: f64,
    /// Jobs and requests one replication can hold at once, at most (the largest over variants):
    /// every job that arrives, since a cluster's queue has no bound, and for an endpoint's
    /// requests its in-flight limit.
    pub live_per_replication: f64,
    pub disk_bytes: f64,
    /// `replications = "auto"`: its `max_replications`, the count every setting is estimated
    /// at (the worst case: the procedure may take any setting that far).
    pub auto_max: Option<u64>,
}

/// The machine's means, for [`Estimate::check`]: explicit, so that tests give their own.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    pub max_seconds: f64,
    /// Memory the run can have; `None` when unknown (no memory check).
    pub memory_available_bytes: Option<f64>,
    pub memory_total_bytes: Option<f64>,
    /// Free space where the results go; `None` when unknown (then only [`MAX_DISK_BYTES`]).
    pub disk_free_bytes: Option<f64>,
    /// The most a run may write without `--force`.
    pub max_disk_bytes: f64,
    /// Cores to run on (caps the worker threads the estimate assumes).
    pub cores: usize,
}

impl Limits {
    /// [`MAX_SECONDS`], [`MAX_DISK_BYTES`], this machine's cores and available memory
    /// (`MemAvailable` of /proc/meminfo, or what the cgroup's `memory.max` leaves, whichever is
    /// less), and the free space of the file system that will hold `out` (its nearest existing
    /// ancestor).
    pub fn of_this_machine(out: Option<&std::path::Path>) -> Limits {
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
            disk_free_bytes: out.and_then(disk_free),
            max_disk_bytes: MAX_DISK_BYTES,
            cores: cores(),
        }
    }
}

/// Free bytes (for an unprivileged user) of the file system holding `path` or, while it does
/// not exist yet, its nearest existing ancestor.
fn disk_free(path: &std::path::Path) -> Option<f64> {
    use std::os::unix::ffi::OsStrExt;
    let absolute = std::path::absolute(path).ok()?;
    let existing = absolute.ancestors().find(|p| p.exists())?;
    let c = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `st` is a writable statvfs; statvfs only writes
    // into it, and it is read only when the call succeeds.
    let ok = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } == 0;
    if !ok {
        return None;
    }
    // SAFETY: statvfs succeeded, so it filled the struct.
    let st = unsafe { st.assume_init() };
    Some(st.f_bavail as f64 * st.f_frsize as f64)
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

/// The most requests an endpoint holds at once: Azure ML admits at most
/// `2 x max_concurrent_requests_per_instance` per instance (see `targets::endpoint`), at the
/// most instances its autoscale (or the router's) can reach. `None` for other targets.
fn in_flight_bound(kind: &TargetKind) -> Option<f64> {
    let TargetKind::Endpoint { spec, .. } = kind else {
        return None;
    };
    let mut instances = spec.instance_count;
    if let Some(a) = &spec.autoscale {
        for p in std::iter::once(&a.default_profile).chain(&a.profiles) {
            instances = instances.max(p.max);
        }
    }
    if let Some(r) = &spec.router {
        instances = instances.max(r.max);
    }
    Some(2.0 * spec.max_concurrent_requests_per_instance as f64 * instances as f64)
}

/// Estimates `plan` run on `threads` threads (0 = every core); `fraction` of its pairs run
/// (1 for a whole run, about 1/N for a shard); the run writes `timeseries.csv` (replication 0
/// of the first variant) when the slice holds that pair.
pub fn estimate(plan: &Plan, threads: usize, fraction: f64) -> Estimate {
    estimate_on(plan, threads, fraction, true, cores())
}

/// [`estimate`] on `cores` cores, with or without the time series.
pub fn estimate_on(
    plan: &Plan,
    threads: usize,
    fraction: f64,
    timeseries: bool,
    cores: usize,
) -> Estimate {
    let threads = if threads == 0 {
        cores
    } else {
        threads.min(cores)
    }
    .max(1);
    let (mut events, mut pairs, mut jobs_sum) = (0.0, 0.0, 0.0);
    let (mut rows, mut workload_rows, mut live_max) = (0.0, 0.0, 0.0f64);
    let mut targets_max = 0usize;
    for v in &plan.variants {
        let s = &v.scenario;
        let sys = &s.system;
        let horizon_s = crate::engine::time::to_secs_f64(sys.horizon);
        let mut per_rep = EVENTS_PER_REPLICATION;
        let (mut jobs, mut live) = (0.0, 0.0);
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
            live += n;
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
            let bound = sys
                .targets
                .get(t.target)
                .and_then(|target| in_flight_bound(&target.kind));
            live += bound.map_or(n, |b| b.min(n));
        }
        // Under "auto" the count is the first batch; the guard counts the worst case.
        let reps = s.auto_replications.map_or(s.replications, |a| a.max) as f64 * fraction;
        events += reps * per_rep;
        pairs += reps;
        jobs_sum += jobs;
        rows += reps * sys.targets.len() as f64;
        workload_rows += reps * sys.workloads.len() as f64;
        live_max = live_max.max(live);
        targets_max = targets_max.max(sys.targets.len());
    }
    // The time series: every sampled target of the first variant's replication 0, a sample at
    // time zero and one every interval up to the horizon.
    let (mut ts_rows, mut ts_bytes) = (0.0, 0.0);
    if let Some(first) = plan.variants.first().filter(|_| timeseries) {
        let sys = &first.scenario.system;
        if let Some(n) = sys.horizon.checked_div(sys.sample_interval) {
            let samples = n as f64 + 1.0;
            for t in &sys.targets {
                if matches!(t.kind, TargetKind::Batch { .. }) {
                    continue;
                }
                ts_rows += samples;
                ts_bytes += samples * (TIMESERIES_BYTES_PER_ROW + t.name.len() as f64);
            }
            // A sample of every target costs about an event.
            events += samples;
        }
    }
    let auto_max = plan
        .variants
        .first()
        .and_then(|v| v.scenario.auto_replications)
        .map(|a| a.max);
    // Every row's paired metrics stay to the end; whole rows only for a chunk's pairs, except
    // under "auto", whose procedure holds every row it ran until the files are written.
    let whole_rows = if auto_max.is_some() {
        rows
    } else {
        rows.min((CHUNK_PAIRS * targets_max.max(1)) as f64)
    };
    let held = rows * (super::PAIRED.len() as f64 * 8.0 + 16.0)
        + whole_rows * (METRICS.len() as f64 * 8.0 + ROW_OVERHEAD_BYTES);
    let live = threads as f64
        * (live_max * BYTES_PER_LIVE_JOB + targets_max as f64 * BYTES_PER_TARGET_STATE);
    let disk = BASE_DISK_BYTES
        + rows * CSV_BYTES_PER_ROW
        + workload_rows * WORKLOAD_CSV_BYTES_PER_ROW
        + ts_bytes;
    Estimate {
        variants: plan.variants.len(),
        replications: pairs.round() as u64,
        jobs_per_replication: jobs_sum / plan.variants.len().max(1) as f64,
        events,
        threads,
        seconds: events / (EVENTS_PER_SECOND_PER_THREAD * threads as f64),
        memory_bytes: BASE_BYTES + held + live,
        replication_rows: rows,
        timeseries_rows: ts_rows,
        timeseries_bytes: ts_bytes,
        live_per_replication: live_max,
        disk_bytes: disk,
        auto_max,
    }
}

/// Which command refuses: the ways on differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Command {
    #[default]
    Run,
    /// `capsim size`: no sweep, shards or horizon of its own.
    Size,
}

/// Why a run is refused: the message lists every limit it passes, the estimate, and ways on.
#[derive(Clone, Debug, PartialEq)]
pub struct TooBig {
    pub estimate: Estimate,
    pub too_long: bool,
    pub too_much_memory: bool,
    pub too_much_disk: bool,
    pub limits: Limits,
    pub command: Command,
}

impl Estimate {
    /// `Err` when the run passes a limit.
    pub fn check(&self, limits: &Limits) -> Result<(), Box<TooBig>> {
        let too_long = self.seconds > limits.max_seconds;
        let too_much_memory = limits
            .memory_available_bytes
            .is_some_and(|m| self.memory_bytes > m);
        let too_much_disk = self.disk_bytes > disk_limit(limits);
        if too_long || too_much_memory || too_much_disk {
            Err(Box::new(TooBig {
                estimate: self.clone(),
                too_long,
                too_much_memory,
                too_much_disk,
                limits: limits.clone(),
                command: Command::Run,
            }))
        } else {
            Ok(())
        }
    }

    /// One line: events, time, memory and disk.
    pub fn summary(&self) -> String {
        let replications = match self.auto_max {
            Some(max) => format!(
                "up to {} replications in all, replications = \"auto\" at its \
                 max_replications = {max} per setting",
                group_thousands(self.replications)
            ),
            None => format!(
                "{} replication{} in all",
                group_thousands(self.replications),
                if self.replications == 1 { "" } else { "s" }
            ),
        };
        format!(
            "about {} events ({} variant{} x {}, {} jobs and requests per replication): {} on \
             {} thread{} at {} events/s per thread, {} of memory and {} written",
            count(self.events),
            self.variants,
            if self.variants == 1 { "" } else { "s" },
            replications,
            count(self.jobs_per_replication),
            seconds(self.seconds),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            human_count(EVENTS_PER_SECOND_PER_THREAD),
            bytes(self.memory_bytes),
            bytes(self.disk_bytes),
        )
    }

    /// How the memory and disk figures are made up, one line.
    pub fn breakdown(&self) -> String {
        format!(
            "memory: {} replication rows held and up to {} live jobs and requests per \
             replication on each of {} thread{}; disk: {} rows of replications.csv and {} of \
             timeseries.csv",
            count(self.replication_rows),
            count(self.live_per_replication),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            count(self.replication_rows),
            count(self.timeseries_rows),
        )
    }
}

/// A count, or "unbounded" for a figure past f64 (a rate of 1e308 per second over an hour).
fn count(x: f64) -> String {
    if x.is_finite() {
        human_count(x)
    } else {
        "unboundedly many".into()
    }
}

fn seconds(x: f64) -> String {
    if x.is_finite() {
        human_seconds(x)
    } else {
        "forever".into()
    }
}

fn bytes(x: f64) -> String {
    if x.is_finite() {
        human_bytes(x)
    } else {
        "unboundedly much".into()
    }
}

/// "about 1/8" of something fits, or "a vanishing share" when the factor is past counting.
fn share(factor: f64) -> String {
    if factor.is_finite() && factor < 1e12 {
        format!("about 1/{:.0}", factor.ceil())
    } else {
        "a vanishing share".into()
    }
}

/// The most a run may write: the cap, or the free space when that is less.
fn disk_limit(limits: &Limits) -> f64 {
    limits
        .disk_free_bytes
        .map_or(limits.max_disk_bytes, |f| f.min(limits.max_disk_bytes))
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.estimate;
        let mut why = vec![];
        if self.too_long {
            why.push(format!(
                "it would take about {}, more than the {} allowed{}",
                seconds(e.seconds),
                human_seconds(self.limits.max_seconds),
                if self.command == Command::Run {
                    " without --force"
                } else {
                    ""
                }
            ));
        }
        if self.too_much_memory {
            why.push(format!(
                "it would need about {} of memory, more than the {} this machine has available{}",
                bytes(e.memory_bytes),
                human_bytes(self.limits.memory_available_bytes.unwrap_or(0.0)),
                self.limits
                    .memory_total_bytes
                    .map_or(String::new(), |t| format!(" ({} in all)", human_bytes(t)))
            ));
        }
        if self.too_much_disk {
            let limit = disk_limit(&self.limits);
            why.push(if self.limits.disk_free_bytes.is_some_and(|f| f <= limit) {
                format!(
                    "it would write about {}, more than the {} free on the disk",
                    bytes(e.disk_bytes),
                    human_bytes(limit)
                )
            } else {
                format!(
                    "it would write about {}, more than the {} allowed without --force",
                    bytes(e.disk_bytes),
                    human_bytes(limit)
                )
            });
        }
        writeln!(f, "error: this run is too big: {}", why.join("; and "))?;
        writeln!(f, "  estimate: {}", e.summary())?;
        writeln!(f, "  ({})", e.breakdown())?;
        // How far each way on has to go to fit.
        let time_factor = e.seconds / self.limits.max_seconds;
        let memory_factor = self.limits.memory_available_bytes.map_or(0.0, |m| {
            (e.memory_bytes - BASE_BYTES) / (m - BASE_BYTES).max(1.0)
        });
        let disk_factor = (e.disk_bytes - BASE_DISK_BYTES)
            / (disk_limit(&self.limits) - BASE_DISK_BYTES).max(1.0);
        let factor = time_factor.max(memory_factor).max(disk_factor).max(1.0);
        let per_variant = e.replications as f64 / e.variants.max(1) as f64;
        writeln!(f, "  to proceed, any of:")?;
        if self.command == Command::Size {
            writeln!(
                f,
                "    peak_rate_per_second    a lower peak rate in [sizing]: {} of it fits",
                share(factor)
            )?;
            writeln!(
                f,
                "    --replications N        fewer replications: N <= {} fits",
                group_thousands(((per_variant / factor).floor() as u64).max(1))
            )?;
            return write!(
                f,
                "    horizon                 a shorter horizon in the scenario: {} of it fits",
                share(factor)
            );
        }
        writeln!(
            f,
            "    --force                 run it anyway (it can be stopped with Ctrl-C)"
        )?;
        // A time series that alone passes the disk's limit shrinks with a larger interval or a
        // shorter horizon, not with fewer replications, variants or shards.
        let room = disk_limit(&self.limits) - BASE_DISK_BYTES;
        let series_alone = e.timeseries_bytes > room;
        if series_alone {
            writeln!(
                f,
                "    sample_interval         a larger sample_interval: {} times the current one \
                 fits (timeseries.csv alone is {})",
                human_count(
                    (e.timeseries_bytes
                        / (room - (e.disk_bytes - BASE_DISK_BYTES - e.timeseries_bytes)).max(1.0))
                    .ceil()
                ),
                bytes(e.timeseries_bytes)
            )?;
        } else {
            if e.variants > 1 {
                writeln!(
                    f,
                    "    --sweep                 fewer variants: {} of the {} fit",
                    share(factor),
                    e.variants
                )?;
            }
            writeln!(
                f,
                "    --replications N        fewer replications: N <= {} fits",
                group_thousands(((per_variant / factor).floor() as u64).max(1))
            )?;
            if e.auto_max.is_some() {
                writeln!(
                    f,
                    "    max_replications        a lower bound for \"auto\": max_replications \
                     <= {} fits",
                    group_thousands(((per_variant / factor).floor() as u64).max(1))
                )?;
            }
        }
        write!(
            f,
            "    --horizon D             a shorter simulated time: {} of the horizon fits",
            share(factor)
        )?;
        // "auto" cannot be sharded (sweep::auto::shard_refusal).
        if series_alone || e.auto_max.is_some() {
            return Ok(());
        }
        writeln!(f)?;
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
            disk_bytes: 1e6,
            ..Default::default()
        };
        let limits = Limits {
            max_seconds: 3600.0,
            memory_available_bytes: Some(1e10),
            memory_total_bytes: Some(2e10),
            disk_free_bytes: Some(1e11),
            max_disk_bytes: MAX_DISK_BYTES,
            cores: 2,
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

    #[test]
    fn the_disk_limit_is_the_cap_or_the_free_space_whichever_is_less() {
        let e = Estimate {
            variants: 1,
            replications: 1,
            seconds: 1.0,
            memory_bytes: 1e8,
            disk_bytes: 5e9,
            ..Default::default()
        };
        let mut limits = Limits {
            max_seconds: 3600.0,
            memory_available_bytes: None,
            memory_total_bytes: None,
            disk_free_bytes: Some(1e12),
            max_disk_bytes: MAX_DISK_BYTES,
            cores: 1,
        };
        assert!(e.check(&limits).is_ok());
        limits.disk_free_bytes = Some(4e9);
        let refused = e.check(&limits).unwrap_err();
        assert!(refused.too_much_disk && !refused.too_much_memory && !refused.too_long);
        // 5e9 and 4e9 bytes in GiB.
        let msg = refused.to_string();
        assert!(
            msg.contains("write about 4.7 GiB, more than the 3.7 GiB free"),
            "{msg}"
        );
        limits.disk_free_bytes = None;
        assert!(e.check(&limits).is_ok());
    }

    #[test]
    fn figures_past_f64_read_as_words() {
        let e = Estimate {
            variants: 1,
            replications: 5,
            events: f64::INFINITY,
            jobs_per_replication: f64::INFINITY,
            seconds: f64::INFINITY,
            memory_bytes: 1e8,
            ..Default::default()
        };
        let limits = Limits {
            max_seconds: 3600.0,
            memory_available_bytes: None,
            memory_total_bytes: None,
            disk_free_bytes: None,
            max_disk_bytes: MAX_DISK_BYTES,
            cores: 1,
        };
        let mut refused = e.check(&limits).unwrap_err();
        refused.command = Command::Size;
        let msg = refused.to_string();
        assert!(!msg.contains("inf"), "{msg}");
        assert!(
            msg.contains("take about forever") && msg.contains("a vanishing share"),
            "{msg}"
        );
        assert!(
            !msg.contains("--force") && !msg.contains("--shard"),
            "{msg}"
        );
    }
}
