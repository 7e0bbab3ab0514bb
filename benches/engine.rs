//! Engine throughput on the M/M/c reference case (c = 8, utilisation 0.8, 1,000,000 jobs),
//! side by side with a minimal hand-written event loop of the same model, so that the ratio
//! between the two is measured in one run on one machine.

use capsim::model::run_replication;
use capsim::scenario;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::path::Path;

const SERVERS: u32 = 8;
const UTILISATION: f64 = 0.8;
const JOBS: u64 = 1_000_000;
/// Mean service time 1 s, so the arrival rate is c·ρ per second.
const ARRIVALS_PER_S: f64 = SERVERS as f64 * UTILISATION;

/// The scenario for capsim: min = max = c nodes, no provisioning delay, exponential durations.
pub fn mmc_scenario() -> scenario::Scenario {
    let horizon_s = JOBS as f64 / ARRIVALS_PER_S;
    let text = format!(
        r#"
name = "mmc"
horizon = {horizon_s}
replications = 1
seed = 7
[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_D2s_v3"
min_instances = {SERVERS}
max_instances = {SERVERS}
provisioning_time = {{ dist = "constant", value = 0 }}
[[workload]]
name = "jobs"
compute = "pool"
arrivals = {{ process = "poisson", rate_per_second = {ARRIVALS_PER_S} }}
duration = {{ dist = "exponential", mean = "1s" }}
"#
    );
    scenario::parse(Path::new("mmc.toml"), &text)
        .expect("valid bench scenario")
        .scenario
}

/// The bar: the smallest reasonable M/M/c event loop (BinaryHeap of (time, kind), FIFO queue).
/// Returns events processed.
fn bare_loop(seed: u64) -> u64 {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let inter = Exp::new(ARRIVALS_PER_S).unwrap();
    let service = Exp::new(1.0).unwrap();
    // Times in integer microseconds; kind 0 = arrival, 1 = departure.
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut queue: std::collections::VecDeque<u64> = Default::default();
    let mut busy = 0u32;
    let mut arrived = 0u64;
    let mut events = 0u64;
    let mut wait_sum = 0u64;
    let us = |s: f64| (s * 1e6) as u64;
    heap.push(Reverse((us(inter.sample(&mut rng)), seq, 0)));
    while let Some(Reverse((now, _, kind))) = heap.pop() {
        events += 1;
        seq += 1;
        if kind == 0 {
            arrived += 1;
            if arrived < JOBS {
                heap.push(Reverse((now + us(inter.sample(&mut rng)), seq, 0)));
                seq += 1;
            }
            if busy < SERVERS {
                busy += 1;
                heap.push(Reverse((now + us(service.sample(&mut rng)), seq, 1)));
            } else {
                queue.push_back(now);
            }
        } else if let Some(t) = queue.pop_front() {
            wait_sum += now - t;
            heap.push(Reverse((now + us(service.sample(&mut rng)), seq, 1)));
        } else {
            busy -= 1;
        }
    }
    black_box(wait_sum);
    events
}

fn engine(c: &mut Criterion) {
    let s = mmc_scenario();
    let events = run_replication(&s.system, s.seed, 0, None).events;
    let bare_events = bare_loop(1);
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(bare_events));
    g.bench_function("bare_loop_mmc8_1M_jobs", |b| {
        b.iter(|| bare_loop(black_box(1)))
    });
    g.throughput(Throughput::Elements(events));
    g.bench_function("capsim_mmc8_1M_jobs", |b| {
        b.iter(|| run_replication(black_box(&s.system), s.seed, 0, None))
    });
    g.finish();
}

/// The same case through the whole `capsim run` path (loading `benches/mmc.toml`, simulating,
/// writing the CSV files), minus process start-up and argument parsing: what a user's run costs
/// beyond the library call.
fn engine_cli(c: &mut Criterion) {
    use capsim::commands::{RunRequest, Silent, run};
    let file = Path::new("benches/mmc.toml");
    let source = scenario::Source::read(file).expect("benches/mmc.toml reads");
    let from_file = scenario::load(&source, &Default::default())
        .expect("benches/mmc.toml loads")
        .variants
        .remove(0)
        .scenario;
    let s = mmc_scenario();
    assert_eq!(
        (format!("{:?}", from_file.system), from_file.seed),
        (format!("{:?}", s.system), s.seed),
        "benches/mmc.toml must describe the same system as mmc_scenario()"
    );
    let events = run_replication(&s.system, s.seed, 0, None).events;
    let out = tempfile::tempdir().expect("a temporary folder");
    let request = || RunRequest {
        file: file.to_path_buf(),
        out: Some(out.path().to_path_buf()),
        threads: 1,
        ..RunRequest::default()
    };
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("cli_run_mmc8_1M_jobs", |b| {
        b.iter(|| run(request(), &Silent).expect("run"))
    });
    g.finish();
}

criterion_group!(benches, engine, engine_cli);
criterion_main!(benches);
