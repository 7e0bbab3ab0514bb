//! A 1,000-variant sweep of the 30-day cluster scenario of `benches/cluster.rs`
//! (min_instances 0..9 × 10 idle times × max_instances 10..28), 10 replications each: 10,000
//! replications and about 30 million simulated jobs per iteration.
//!
//! - `sweep/load_plan_1000_variants`: expanding and validating the 1,000 variants;
//! - `sweep/run_plan_1000x10/threads=N`: simulating them on N worker threads.
//!
//! Throughput is in variants per second, so the 2-thread / 1-thread speed-up reads off directly.

mod common;

use capsim::scenario::sweep::load_plan;
use capsim::sweep::run_plan;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const PATH: &str = "benches/cluster-sweep.toml";

fn sweep(c: &mut Criterion) {
    let text = common::sweep_toml();
    assert_eq!(
        text.replace("\r\n", "\n"),
        include_str!("cluster-sweep.toml").replace("\r\n", "\n"),
        "benches/cluster-sweep.toml must hold exactly common::sweep_toml()"
    );
    let load = || load_plan(Path::new(PATH), &text, &Default::default(), &[], &[]);
    let plan = load().expect("valid bench sweep");
    let variants = plan.variants.len() as u64;
    assert_eq!(variants, 1_000);
    assert!(plan.variants.iter().all(|v| v.scenario.replications == 10));

    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(variants));
    g.bench_function("load_plan_1000_variants", |b| b.iter(|| load().unwrap()));

    // One iteration takes seconds: ask for no more than ten, without a warm-up longer than one.
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(30));
    for threads in [1usize, 2] {
        g.bench_with_input(
            BenchmarkId::new("run_plan_1000x10", format!("threads={threads}")),
            &threads,
            |b, &threads| b.iter(|| run_plan(black_box(&plan), threads, None).unwrap()),
        );
    }
    g.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
