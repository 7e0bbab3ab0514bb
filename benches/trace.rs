//! The Philly trace (`scenarios/traces/philly_vc_11cb48.csv`, 16,091 jobs) through
//! `scenarios/philly.toml`: loading it (parsing, validating, reading the CSV for each of the
//! scenario's two workloads) and replaying it (one replication, one thread).
//!
//! - `trace/load_philly`: throughput in trace rows (16,091 jobs) per second;
//! - `trace/replay_philly_1_replication`: throughput in simulated jobs per second, counted over
//!   both workloads (each replays the whole trace on its own cluster).

use capsim::scenario;
use capsim::sweep;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

const SCENARIO: &str = "scenarios/philly.toml";
const TRACE_ROWS: u64 = 16_091;

fn trace(c: &mut Criterion) {
    let load = || {
        let source = scenario::Source::read(Path::new(SCENARIO)).expect("philly.toml reads");
        let mut plan = scenario::load(&source, &Default::default()).expect("philly.toml loads");
        plan.variants.remove(0)
    };
    let mut s = load().scenario;
    s.replications = 1;
    let first = sweep::run(&s, 1, None).unwrap();
    let arrived = capsim::metrics::M::jobs_arrived as usize;
    let jobs: u64 = first.rows[0]
        .targets
        .iter()
        .map(|t| t[arrived] as u64)
        .sum();
    assert_eq!(
        jobs,
        TRACE_ROWS * s.system.workloads.len() as u64,
        "every trace job of every workload is simulated (philly.toml has no warm-up)"
    );
    eprintln!(
        "trace: {} workloads, {jobs} jobs, {} events per replication",
        s.system.workloads.len(),
        first.rows[0].events
    );

    let mut g = c.benchmark_group("trace");
    g.sample_size(10);
    g.throughput(Throughput::Elements(TRACE_ROWS));
    g.bench_function("load_philly", |b| b.iter(load));
    g.throughput(Throughput::Elements(jobs));
    g.bench_function("replay_philly_1_replication", |b| {
        b.iter(|| sweep::run(black_box(&s), 1, None).unwrap())
    });
    g.finish();
}

criterion_group!(benches, trace);
criterion_main!(benches);
