//! One simulated day of a managed online endpoint at 50 requests/s on average (about 4.3
//! million requests) with Azure Monitor autoscale: admission and 429s, per-instance
//! concurrency, timeouts, per-minute metric windows, rule evaluation every minute and delayed
//! scale-out. Throughput is in simulated requests per second.

use capsim::metrics::{METRICS, values};
use capsim::model::run_replication;
use capsim::scenario;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

const PATH: &str = "benches/endpoint.toml";

fn endpoint(c: &mut Criterion) {
    let text = include_str!("endpoint.toml");
    let s = scenario::parse(Path::new(PATH), text)
        .expect("valid bench scenario")
        .scenario;
    let first = run_replication(&s.system, s.seed, 0, None);
    let col = |name: &str| METRICS.iter().position(|m| m.name == name).unwrap();
    let v = values(&first.targets[0]);
    let requests = v[col("requests")] as u64;
    // 50/s x the profile's mean (1.04) x 86,400 s: about 4.5 million.
    assert!(
        (4_000_000..=5_000_000).contains(&requests),
        "about 4.5 million requests expected, got {requests}"
    );
    eprintln!(
        "endpoint: {requests} requests, {} events ({:.2} per request), {} scale events, p95 {} ms",
        first.events,
        first.events as f64 / requests as f64,
        v[col("scale_events")],
        v[col("latency_p95_ms")],
    );

    let mut g = c.benchmark_group("endpoint");
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests));
    g.bench_function("managed_online_1d_50rps_autoscale", |b| {
        b.iter(|| run_replication(black_box(&s.system), s.seed, 0, None))
    });
    g.finish();
}

criterion_group!(benches, endpoint);
criterion_main!(benches);
