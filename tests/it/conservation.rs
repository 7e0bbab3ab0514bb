//! Conservation of jobs on every run: every job a workload submits is, at the horizon, either
//! completed, running or queued on its target; and the per-workload breakdown adds up to its
//! target's totals. Checked on every bundled scenario and on random small scenarios of every
//! training target type with priorities, batches, bursts, schedules and preemption.

use crate::support::{bundled_scenarios, parse_as, proptest_config};
use capsim::engine::stream;
use capsim::engine::time::MICROS_PER_DAY;
use capsim::model::{System, arrival_states_purpose, arrivals_purpose, run_replication};
use capsim::scenario::LoadOptions;
use capsim::scenario::sweep::load_plan;
use capsim::targets::TargetReport;
use capsim::workload::ArrivalSource;
use proptest::prelude::*;

/// Jobs the workloads of `system` submit in replication `r`: batch size × arrival events up to
/// the horizon, counted with the model's own random streams.
fn jobs_submitted(system: &System, seed: u64, r: u64) -> Vec<u64> {
    let mut per_target = vec![0; system.targets.len()];
    for w in &system.workloads {
        let mut src = ArrivalSource::new(
            &w.arrivals,
            stream(seed, r, &arrivals_purpose(&w.name)),
            stream(seed, r, &arrival_states_purpose(&w.name)),
        );
        while let Some(a) = src.next_arrival() {
            if a.time > system.horizon {
                break;
            }
            per_target[w.target] += w.batch_size as u64;
        }
    }
    per_target
}

/// Checks one replication; returns the jobs it saw.
fn check(system: &System, seed: u64, r: u64, what: &str) -> u64 {
    let submitted = jobs_submitted(system, seed, r);
    let rep = run_replication(system, seed, r, None);
    let mut jobs = 0;
    for (t, report) in rep.targets.iter().enumerate() {
        let TargetReport::Cluster(c) = report else {
            continue; // endpoints serve requests, not jobs
        };
        let name = &system.targets[t].name;
        assert_eq!(
            c.total_arrived,
            c.total_completed + c.total_cancelled + c.running_at_end + c.queued_at_end,
            "{what}, replication {r}, target {name}: arrived = completed + cancelled + running + queued"
        );
        assert_eq!(
            c.total_arrived, submitted[t],
            "{what}, replication {r}, target {name}: every submitted job reached it"
        );
        // The breakdown adds up to the target's own measures.
        let arrived: u64 = c.workloads.iter().map(|w| w.jobs_arrived).sum();
        let completed: u64 = c.workloads.iter().map(|w| w.jobs_completed).sum();
        let waits: u64 = c.workloads.iter().map(|w| w.waits.count()).sum();
        let busy: f64 = c.workloads.iter().map(|w| w.busy_area).sum();
        assert_eq!(
            (arrived, completed, waits),
            (c.jobs_arrived, c.jobs_completed, c.waits.count()),
            "{what}, replication {r}, target {name}: breakdown counts"
        );
        assert!(
            (busy - c.busy_area as f64).abs() <= 1e-6 * (c.busy_area as f64).max(1e6),
            "{what}, replication {r}, target {name}: breakdown busy {busy} vs {}",
            c.busy_area
        );
        jobs += c.total_arrived;
    }
    jobs
}

#[test]
fn every_bundled_scenario_conserves_jobs() {
    let files = bundled_scenarios();
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // The loader the CLI uses: a `[sweep]` scenario is a plan of variants.
        let plan = load_plan(&file, &text, &LoadOptions::default(), &[], &[])
            .unwrap_or_else(|e| panic!("{} does not load:\n{e}", file.display()));
        // The first and last variants (a sweep's extremes), two replications each, over at
        // most two weeks (conservation does not need the whole horizon, the test suite does
        // need to be quick).
        let last = plan.variants.len() - 1;
        for v in [0, last] {
            let s = &plan.variants[v].scenario;
            let mut system = s.system.clone();
            system.horizon = system.horizon.min(14 * MICROS_PER_DAY);
            system.warmup = system.warmup.min(system.horizon / 2);
            let what = format!("{} variant {v}", file.display());
            let jobs: u64 = (0..s.replications.min(2))
                .map(|r| check(&system, s.seed, r, &what))
                .sum();
            assert!(
                jobs > 0 || s.system.workloads.is_empty(),
                "{what}: no job ran"
            );
        }
    }
}

/// A random small scenario: 1 to 3 targets of the training types, 1 to 4 workloads.
fn scenario() -> impl Strategy<Value = String> {
    let target = (
        0..3usize,
        any::<bool>(),
        any::<bool>(),
        1u32..4,
        0u32..3,
        any::<bool>(),
    )
        .prop_map(|(kind, flag, other, max, extra, sched)| match kind {
            0 => {
                let tier = if flag {
                    "tier = \"low_priority\"\npreemption = { mean_time_between = \"3h\" }\n\
                     checkpoint_interval = \"10m\"\n"
                } else {
                    ""
                };
                format!(
                    "type = \"amlcompute\"\nsize = \"Standard_D2s_v3\"\nmax_instances = {}\n\
                     min_instances = {extra}\nidle_time_before_scale_down = \"5m\"\n\
                     backfill = {other}\n\
                     provisioning_time = {{ dist = \"exponential\", mean = \"3m\" }}\n{tier}",
                    max + extra
                )
            }
            1 => {
                let schedule = if sched {
                    "schedules = [{ start = \"07:00\", stop = \"20:00\", days = [\"mon\", \"wed\"] }, { stop = \"12:30\" }]\n"
                } else {
                    ""
                };
                let idle = if flag {
                    "idle_time_before_shutdown = \"20m\"\n"
                } else {
                    ""
                };
                format!(
                    "type = \"computeinstance\"\nsize = \"Standard_D2s_v3\"\n\
                     max_concurrent_jobs = {max}\n{idle}{schedule}\
                     start_time = {{ dist = \"constant\", value = \"2m\" }}\n"
                )
            }
            _ => {
                let spot = if flag {
                    "job_tier = \"spot\"\npreemption = { mean_time_between = \"2h\" }\n"
                } else {
                    ""
                };
                let quota = if other {
                    format!("quota_vcpus = {}\n", 2 * (max + extra))
                } else {
                    String::new()
                };
                format!(
                    "type = \"serverless\"\nsize = \"Standard_D2s_v3\"\n{spot}{quota}\
                     startup_time = {{ dist = \"exponential\", mean = \"2m\" }}\n"
                )
            }
        });
    let workload = (
        0..3usize,
        0..3usize,
        -2i32..3,
        1u32..5,
        1u32..40,
    )
        .prop_map(|(target, process, priority, batch, rate)| {
            let rate = rate as f64 / 4.0;
            let arrivals = match process {
                0 => format!("{{ process = \"poisson\", rate_per_hour = {rate:?}, batch_size = {batch} }}"),
                1 => format!(
                    "{{ process = \"mmpp\", rates_per_hour = [{:?}, {:?}], mean_sojourn = [\"5h\", \"40m\"], batch_size = {batch} }}",
                    rate / 4.0,
                    rate * 3.0
                ),
                _ => format!(
                    "{{ process = \"poisson\", rate_per_hour = {rate:?}, daily_profile = [0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 1, 1, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0] }}"
                ),
            };
            (target, format!("priority = {priority}\narrivals = {arrivals}\n\
                 duration = {{ dist = \"lognormal\", median = \"20m\", p95 = \"2h\" }}\n"))
        });
    (
        proptest::collection::vec(target, 1..4),
        proptest::collection::vec(workload, 1..5),
        1u32..4,
    )
        .prop_map(|(targets, workloads, days)| {
            let mut s =
                format!("horizon = \"{days}d\"\nwarmup = \"3h\"\nreplications = 1\nseed = 3\n");
            for (i, t) in targets.iter().enumerate() {
                s.push_str(&format!("\n[[compute]]\nname = \"t{i}\"\n{t}"));
            }
            for (i, (t, w)) in workloads.iter().enumerate() {
                s.push_str(&format!(
                    "\n[[workload]]\nname = \"w{i}\"\ncompute = \"t{}\"\n{w}",
                    t % targets.len()
                ));
            }
            s
        })
}

proptest! {
    #![proptest_config(proptest_config(0xc0_25e4, 48))]

    #[test]
    fn random_small_scenarios_conserve_jobs(text in scenario()) {
        let loaded = parse_as("random.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let s = &loaded.scenario;
        for r in 0..2 {
            check(&s.system, s.seed, r, &text);
        }
    }
}
