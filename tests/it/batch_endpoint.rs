//! Batch endpoints: hand-computed timelines of mini-batches on a compute cluster (retries,
//! timeouts, error_threshold, preemption), and the scenario path (validation, a whole run).
//!
//! The timelines drive `capsim::targets::Cluster` directly with constant times, so every event
//! is known. Times in comments are seconds; worker areas are worker × seconds.

use crate::support::{PRICE, advance, capsim_path, errors, job, load, on, s, write_temp};
use capsim::engine::{EventQueue, Sampler, stream};
use capsim::metrics::{self, M};
use capsim::targets::{
    BatchReport, BatchSpec, BatchStats, Cluster, ClusterEvent, ClusterReport, ClusterSpec,
    TargetReport, Tier,
};
use std::sync::Arc;

fn cluster_spec(min: u32, provisioning_s: f64, preempt_after_s: Option<f64>) -> ClusterSpec {
    ClusterSpec {
        size: "Standard_D4s_v3".into(),
        min_instances: min,
        max_instances: 4,
        idle_time_before_scale_down: Some(s(600)),
        tier: if preempt_after_s.is_some() {
            Tier::LowPriority
        } else {
            Tier::Dedicated
        },
        provisioning_time: Sampler::constant_s(provisioning_s),
        backfill: false,
        price_usd_per_hour: PRICE,
        preemption: preempt_after_s.map(Sampler::constant_s),
        checkpoint_interval: None,
        eviction_time: 0,
        spot: None,
    }
}

struct Batch {
    files: u32,
    mini_batch_size: u32,
    concurrency: u32,
    timeout_s: u64,
    error_threshold: Option<u64>,
    time_per_file_s: f64,
}

fn batch_spec(b: &Batch) -> Arc<BatchSpec> {
    Arc::new(BatchSpec {
        endpoint: "scorer".into(),
        endpoint_target: 1,
        files: b.files,
        mini_batch_size: b.mini_batch_size,
        max_concurrency_per_instance: b.concurrency,
        max_retries: 3,
        timeout: s(b.timeout_s),
        error_threshold: b.error_threshold,
        time_per_file: Sampler::constant_s(b.time_per_file_s),
    })
}

/// Runs one batch job of `nodes` nodes arriving at `arrival_s` to `horizon_s`; returns the
/// cluster's report and the batch deployment's measures.
fn run(
    spec: ClusterSpec,
    b: &Batch,
    nodes: u32,
    arrival_s: u64,
    horizon_s: u64,
) -> (ClusterReport, BatchStats) {
    let horizon = s(horizon_s);
    let mut c = Cluster::new(spec, stream(1, 0, "test"), 0, horizon);
    c.add_batch(0, batch_spec(b), stream(1, 0, "files"));
    let mut q: EventQueue<ClusterEvent> = EventQueue::new();
    c.arm_initial(&mut q);
    advance(&mut c, &mut q, s(arrival_s), 100_000);
    c.submit(s(arrival_s), job(arrival_s, 0, nodes), &mut q);
    advance(&mut c, &mut q, horizon, 100_000);
    let mut r = c.finish(horizon);
    let (w, _, stats, queued) = r.batches.pop().expect("one batch workload");
    assert_eq!((w, queued), (0, 0));
    (r, stats)
}

fn values(r: &ClusterReport, stats: BatchStats, concurrency: u32) -> Vec<f64> {
    let report = BatchReport {
        window: r.window,
        price_usd_per_hour: r.price_usd_per_hour,
        max_concurrency_per_instance: concurrency,
        jobs: r.workloads[0].clone(),
        stats,
        queued_at_end: 0,
    };
    metrics::values(&TargetReport::Batch(report)).to_vec()
}

/// 25 files in mini-batches of 10 → 10, 10 and 5 files; 2 s a file → 20, 20 and 10 s. One
/// node, two workers, provisioned in 60 s for a job arriving at 0.
/// - 60: the job starts (wait 60); w0 takes mb0 (until 80), w1 mb1 (until 80).
/// - 80: w0 takes mb2 (until 90); w1 has nothing left.
/// - 90: the last mini-batch ends: the job succeeds after 90 s; its node goes idle.
///
/// Workers: 2 × 30 s = 60 worker-s held, 20 + 20 + 10 = 50 busy: utilisation 5/6. The job holds
/// its node 30 s: $0.03, i.e. $1.20 per 1,000 files.
#[test]
fn mini_batches_fill_the_workers_and_the_job_ends_with_the_last() {
    let b = Batch {
        files: 25,
        mini_batch_size: 10,
        concurrency: 2,
        timeout_s: 30,
        error_threshold: None,
        time_per_file_s: 2.0,
    };
    let (r, stats) = run(cluster_spec(0, 60.0, None), &b, 1, 0, 1000);
    assert_eq!(
        (
            stats.jobs_succeeded,
            stats.jobs_failed,
            stats.jobs_cancelled
        ),
        (1, 0, 0)
    );
    assert_eq!(stats.durations.mean(), s(90) as f64);
    assert_eq!(
        (
            stats.mini_batches_succeeded,
            stats.files_succeeded,
            stats.retries
        ),
        (3, 25, 0)
    );
    assert_eq!(
        (stats.worker_busy_area, stats.worker_area),
        (s(50) as u128, s(60) as u128)
    );
    assert_eq!(r.workloads[0].waits.mean(), s(60) as f64);
    assert_eq!(r.workloads[0].busy_area, s(30) as f64);
    assert_eq!((r.total_completed, r.busy_area), (1, s(30) as u128));
    let v = values(&r, stats, 2);
    assert!((v[M::utilization as usize] - 50.0 / 60.0).abs() < 1e-12);
    assert!((v[M::cost as usize] - 0.03).abs() < 1e-12);
    assert!((v[M::cost_per_1000_files as usize] - 1.2).abs() < 1e-12);
    assert_eq!(v[M::job_duration_mean as usize], 90.0);
    assert_eq!(v[M::wait_mean as usize], 60.0);
}

/// The same job with a 15 s timeout: mb0 and mb1 (20 s) can never finish; mb2 (10 s) can.
/// Retried attempts go to the back of the queue; max_retries = 3, so 4 attempts each.
/// - 60: w0 ← mb0, w1 ← mb1 (stopped at 75).
/// - 75: mb0 timed out (1) → queue [mb2, mb0]; w0 ← mb2 (to 85). mb1 timed out (1) → queue
///   [mb0, mb1]; w1 ← mb0 (to 90).
/// - 85: mb2 done (5 files); w0 ← mb1 (to 100).  90: mb0 (2); w1 ← mb0 (to 105).
/// - 100: mb1 (2); w0 ← mb1 (to 115).  105: mb0 (3); w1 ← mb0 (to 120).
/// - 115: mb1 (3); w0 ← mb1 (to 130).  120: mb0's 4th time-out: failed (10 files); w1 idle.
/// - 130: mb1 failed (10 files): the job ends (error_threshold -1: it succeeds) after 130 s.
///
/// Retries 3 + 3 = 6. Workers busy 60..130 and 60..120: 130 of 2 × 70 = 140 worker-s.
#[test]
fn a_timeout_shorter_than_a_mini_batch_fails_it_after_every_retry() {
    let b = Batch {
        files: 25,
        mini_batch_size: 10,
        concurrency: 2,
        timeout_s: 15,
        error_threshold: None,
        time_per_file_s: 2.0,
    };
    let (r, stats) = run(cluster_spec(0, 60.0, None), &b, 1, 0, 1000);
    assert_eq!((stats.jobs_succeeded, stats.jobs_failed), (1, 0));
    assert_eq!(stats.durations.mean(), s(130) as f64);
    assert_eq!(
        (
            stats.mini_batches_succeeded,
            stats.mini_batches_failed,
            stats.retries
        ),
        (1, 2, 6)
    );
    assert_eq!((stats.files_succeeded, stats.files_failed), (5, 20));
    assert_eq!(
        (stats.worker_busy_area, stats.worker_area),
        (s(130) as u128, s(140) as u128)
    );
    assert_eq!(r.busy_area, s(70) as u128);
}

/// With error_threshold = 5, mb0's failure at 120 (10 failed files > 5) stops the job there:
/// w0's attempt on mb1 (from 115) is abandoned. Busy workers: 60..120 twice = 120 of 120.
#[test]
fn error_threshold_stops_the_job_at_the_failure_that_crosses_it() {
    let b = Batch {
        files: 25,
        mini_batch_size: 10,
        concurrency: 2,
        timeout_s: 15,
        error_threshold: Some(5),
        time_per_file_s: 2.0,
    };
    let (r, stats) = run(cluster_spec(0, 60.0, None), &b, 1, 0, 1000);
    assert_eq!((stats.jobs_succeeded, stats.jobs_failed), (0, 1));
    assert_eq!(stats.durations.count(), 0);
    assert_eq!(
        (
            stats.mini_batches_succeeded,
            stats.mini_batches_failed,
            stats.retries
        ),
        (1, 1, 6)
    );
    assert_eq!((stats.files_succeeded, stats.files_failed), (5, 10));
    assert_eq!(
        (stats.worker_busy_area, stats.worker_area),
        (s(120) as u128, s(120) as u128)
    );
    // The cluster sees a job that ended: its node is released at 120 + 600.
    assert_eq!((r.total_completed, r.busy_area), (1, s(60) as u128));
    assert_eq!(r.idle_area, s(600) as u128);
}

/// Low priority, every node taken back 50 s after it was requested. One node exists from 0
/// (taken at 50); the job (2 nodes, 6 files of 18 s, one per mini-batch, one worker a node)
/// arrives at 5 and asks for a second node (ready at 15, taken at 55).
/// - 15: the job starts on B (the most recently idled) and A: wB ← mb0, wA ← mb1 (to 33).
/// - 33: wB ← mb2, wA ← mb3 (to 51).
/// - 50: A is preempted: mb3 (17 s in) goes back to the queue [mb4, mb5, mb3]; the job goes on
///   with B.
/// - 51: mb2 done; wB ← mb4 (to 69).
/// - 55: B is preempted: mb4 (4 s in) is queued again; the job has no node left: cancelled.
///
/// Scored mb0, mb1, mb2 (3 files); 2 re-queued; lost work 17 + 4 = 21 node-s; node time held
/// 35 (A) + 40 (B) = 75 node-s, all of it busy workers.
#[test]
fn preemption_requeues_mini_batches_and_the_last_node_lost_cancels_the_job() {
    let b = Batch {
        files: 6,
        mini_batch_size: 1,
        concurrency: 1,
        timeout_s: 30,
        error_threshold: None,
        time_per_file_s: 18.0,
    };
    let (r, stats) = run(cluster_spec(1, 10.0, Some(50.0)), &b, 2, 5, 1000);
    assert_eq!(
        (
            stats.jobs_succeeded,
            stats.jobs_failed,
            stats.jobs_cancelled
        ),
        (0, 0, 1)
    );
    assert_eq!(
        (
            stats.mini_batches_succeeded,
            stats.files_succeeded,
            stats.requeued,
            stats.preemptions
        ),
        (3, 3, 2, 2)
    );
    assert_eq!(stats.lost_area, s(21) as f64);
    assert_eq!(
        (stats.worker_busy_area, stats.worker_area),
        (s(75) as u128, s(75) as u128)
    );
    assert_eq!(r.workloads[0].busy_area, s(75) as f64);
    assert_eq!(r.lost_area, s(21) as u128);
    assert_eq!(r.preemptions, 2);
    // Cancelled: neither completed nor running nor queued.
    assert_eq!(
        (
            r.total_arrived,
            r.total_completed,
            r.total_cancelled,
            r.running_at_end,
            r.queued_at_end
        ),
        (1, 0, 1, 0, 0)
    );
    let v = values(&r, stats, 1);
    assert_eq!(v[M::batch_jobs_cancelled as usize], 1.0);
    assert_eq!(v[M::mini_batches_requeued as usize], 2.0);
}

// ---------------------------------------------------------------------------------------------
// The scenario path
// ---------------------------------------------------------------------------------------------

use capsim::scenario::Diagnostic;
use capsim::targets::TargetKind;

const CLUSTER: &str = r#"horizon = "2d"
[[compute]]
name = "scoring"
type = "amlcompute"
size = "Standard_D4s_v3"
max_instances = 4
"#;

const ENDPOINT: &str = r#"
[[endpoint]]
name = "scorer"
type = "batch"
compute = "scoring"
instance_count = 2
"#;

const TRAFFIC: &str = r#"
[[traffic]]
name = "docs"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_hour = 0.5 }
files = 100
time_per_file = { dist = "constant", value = "1s" }
"#;

/// The diagnostic on `field`, at `line`, whose message contains `words`.
fn has(diags: &[Diagnostic], field: &str, line: usize, words: &str) {
    let d = on(diags, field, line);
    assert!(d.to_string().contains(words), "{d}");
}

#[test]
fn defaults_are_azures_and_the_traffic_becomes_a_job_stream_on_the_cluster() {
    let text = format!("{CLUSTER}{ENDPOINT}{TRAFFIC}");
    let loaded = load(&text);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let sys = &loaded.scenario.system;
    assert_eq!(sys.targets.len(), 2);
    let TargetKind::Batch {
        compute,
        instance_count,
        max_concurrency_per_instance,
        ..
    } = &sys.targets[1].kind
    else {
        panic!("a batch target");
    };
    assert_eq!(
        (*compute, *instance_count, *max_concurrency_per_instance),
        (0, 2, 1)
    );
    assert_eq!(
        sys.targets[1].price_usd_per_hour(),
        sys.targets[0].price_usd_per_hour()
    );
    assert!(sys.traffic.is_empty());
    let w = &sys.workloads[0];
    assert_eq!(
        (w.name.as_str(), w.target, w.instance_count),
        ("docs", 0, 2)
    );
    let b = w.batch.as_ref().expect("batch settings");
    // Azure's defaults: mini_batch_size 10, max_retries 3, timeout 30 s, error_threshold -1.
    assert_eq!(
        (
            b.files,
            b.mini_batch_size,
            b.max_retries,
            b.timeout,
            b.error_threshold
        ),
        (100, 10, 3, s(30), None)
    );
    assert_eq!(b.mini_batches(), 10);
}

#[test]
fn bad_batch_settings_are_located() {
    let text = format!(
        "{CLUSTER}\n[[compute]]\nname = \"ci\"\ntype = \"computeinstance\"\nsize = \"Standard_D4s_v3\"\n\
         [[endpoint]]\nname = \"scorer\"\ntype = \"batch\"\ncompute = \"ci\"\n\
         [[endpoint]]\nname = \"other\"\ntype = \"batch\"\ncompute = \"scoring\"\ninstance_count = 5\n\
         instance_type = \"Standard_F4s_v2\"\nerror_threshold = -2\nretry_settings = {{ timeout = \"0s\" }}\n\
         [[endpoint]]\nname = \"third\"\ntype = \"batch\"\n{TRAFFIC}"
    );
    let e = errors(&text);
    has(
        &e,
        "endpoint.scorer.compute",
        15,
        "batch deployments run on an amlcompute cluster",
    );
    has(&e, "endpoint.other.instance_count", 20, "max_instances = 4");
    has(
        &e,
        "endpoint.other.instance_type",
        21,
        "does not apply to a batch endpoint",
    );
    has(&e, "endpoint.other.error_threshold", 22, "-1 (no limit)");
    has(
        &e,
        "endpoint.other.retry_settings.timeout",
        23,
        "greater than zero",
    );
    has(&e, "endpoint.third.compute", 25, "is required");
}

#[test]
fn batch_traffic_needs_files_and_time_per_file_not_service_times() {
    let text = format!(
        "{CLUSTER}{ENDPOINT}\n[[traffic]]\nname = \"docs\"\nendpoint = \"scorer\"\n\
         arrivals = {{ process = \"poisson\", rate_per_hour = 1.0, batch_size = 2 }}\n\
         service_time = {{ dist = \"constant\", value = \"1s\" }}\n\
         [[traffic]]\nname = \"more\"\nendpoint = \"scorer\"\n\
         arrivals = {{ process = \"poisson\", rate_per_hour = 1.0 }}\nfiles = 1\n\
         time_per_file = {{ dist = \"constant\", value = \"1s\" }}\n"
    );
    let e = errors(&text);
    has(
        &e,
        "traffic.docs.service_time",
        18,
        "does not apply to traffic aimed at a batch endpoint",
    );
    has(&e, "traffic.docs.files", 15, "is required");
    has(&e, "traffic.docs.time_per_file", 15, "is required");
    has(
        &e,
        "traffic.docs.arrivals.batch_size",
        17,
        "one job for a batch endpoint",
    );
    has(
        &e,
        "traffic.more.endpoint",
        21,
        "takes one stream of invocations",
    );
}

#[test]
fn a_mini_batch_longer_than_the_timeout_is_warned_about() {
    // 10 files x 5 s = 50 s > 30 s.
    let text = format!("{CLUSTER}{ENDPOINT}{}", TRAFFIC.replace("\"1s\"", "\"5s\""));
    let loaded = load(&text);
    let w = &loaded.warnings;
    assert!(
        w.iter()
            .any(|d| d.to_string().contains("takes 50.0 s on average")),
        "{w:?}"
    );
}

/// A whole run through the model: 100 files of 1 s on 2 nodes x 1 worker, mini-batches of 10 s:
/// 10 mini-batches over 2 workers, 5 rounds, 50 s per job after its nodes are ready. Every
/// job's duration is its wait plus 50 s (jobs 2 h apart on average never overlap much).
#[test]
fn a_run_reports_the_endpoint_row_beside_its_cluster() {
    let text = format!("{CLUSTER}{ENDPOINT}{TRAFFIC}");
    let loaded = load(&text);
    let sys = &loaded.scenario.system;
    let rep = capsim::model::run_replication(sys, 1, 0, None);
    let TargetReport::Batch(b) = &rep.targets[1] else {
        panic!("a batch row");
    };
    let TargetReport::Cluster(c) = &rep.targets[0] else {
        panic!("a cluster row");
    };
    assert!(c.total_arrived > 10, "{}", c.total_arrived);
    let ended = b.stats.jobs_succeeded;
    assert_eq!(b.stats.files_succeeded, 100 * ended);
    assert_eq!(b.stats.mini_batches_succeeded, 10 * ended);
    // Without overlap, each job's duration is exactly its wait + 50 s.
    let waits = &b.jobs.waits;
    assert_eq!(waits.count(), ended + b.stats.running_at_end);
    let v = metrics::values(&rep.targets[1]);
    let d = v[M::job_duration_mean as usize];
    let w = v[M::wait_mean as usize];
    assert!(d >= w + 50.0 - 1e-6, "duration {d} wait {w}");
    // Node time: 2 nodes x 50 s per finished job (running ones add their part).
    assert!(
        b.jobs.busy_area >= (ended * 2 * s(50)) as f64,
        "{} vs {ended} jobs",
        b.jobs.busy_area
    );
}

/// A batch endpoint's traffic takes the request forms of MMPP rates: 1 and 7 invocations a
/// minute, 50 and 10 minutes in each state: (60 x 50 + 420 x 10) / 60 = 120 jobs an hour.
#[test]
fn batch_traffic_reads_mmpp_rates_per_minute_as_jobs() {
    let text = format!(
        "{CLUSTER}{ENDPOINT}{}",
        TRAFFIC.replace(
            "{ process = \"poisson\", rate_per_hour = 0.5 }",
            "{ process = \"mmpp\", rates_per_minute = [1, 7], mean_sojourn = [\"50m\", \"10m\"] }"
        )
    );
    let loaded = load(&text);
    let capsim::workload::ArrivalSpec::Mmpp(m) = &loaded.scenario.system.workloads[0].arrivals
    else {
        panic!("an MMPP job stream");
    };
    assert!((m.mean_rate_per_hour() - 120.0).abs() < 1e-9);
}

/// The report's cost chart has a bar for the cluster and none for the batch endpoint (its cost
/// is node time of that cluster: a bar of its own would count it twice).
#[test]
fn the_report_charts_the_clusters_bill_once() {
    let text = format!("replications = 2\n{CLUSTER}{ENDPOINT}{TRAFFIC}");
    let (dir, file) = write_temp("batch.toml", text);
    let out = dir.path().join("out");
    let status = std::process::Command::new(capsim_path())
        .args(["run", "--report", "-q", "--out"])
        .arg(&out)
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    let svg = std::fs::read_to_string(out.join("charts/cost.svg")).unwrap();
    // Labels are text lines of their own in the SVG.
    let lines: Vec<&str> = svg.lines().map(str::trim).collect();
    assert!(lines.contains(&"scoring"), "the cluster's bar");
    assert!(!lines.contains(&"scorer"), "no bar for the batch endpoint");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Batch endpoints have no bar"));
}
