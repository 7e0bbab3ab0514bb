//! One replication of a 30-day autoscaling cluster scenario (daily arrival profile, lognormal
//! durations and provisioning delays, about 3,000 jobs): the unit of work of every sweep.
//! Throughput is in simulated jobs per second.

mod common;

use capsim::model::run_replication;
use capsim::scenario;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

fn cluster(c: &mut Criterion) {
    let text = common::cluster_toml();
    assert_eq!(
        text.replace("\r\n", "\n"),
        include_str!("cluster.toml").replace("\r\n", "\n"),
        "benches/cluster.toml must hold exactly common::cluster_toml()"
    );
    let s = scenario::parse(Path::new("benches/cluster.toml"), &text)
        .expect("valid bench scenario")
        .scenario;
    let first = run_replication(&s.system, s.seed, 0, None);
    let jobs = common::jobs_in(&first);
    assert!(
        (2_700..=3_300).contains(&jobs),
        "about 3,000 jobs expected, got {jobs}"
    );
    eprintln!(
        "cluster: {jobs} jobs, {} events per replication ({:.2} events per job)",
        first.events,
        first.events as f64 / jobs as f64
    );

    let mut g = c.benchmark_group("cluster");
    g.throughput(Throughput::Elements(jobs));
    g.bench_function("replication_30d_3k_jobs", |b| {
        b.iter(|| run_replication(black_box(&s.system), s.seed, 0, None))
    });
    g.finish();
}

criterion_group!(benches, cluster);
criterion_main!(benches);
