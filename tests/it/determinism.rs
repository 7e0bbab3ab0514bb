//! Same scenario and seed → byte-identical files, whatever the number of threads; and common
//! random numbers: compute settings never change a replication's arrivals.

use crate::support::{capsim, quickstart};
use capsim::metrics::M;
use capsim::scenario::Scenario;
use capsim::targets::{ClusterSpec, TargetKind};
use std::fs;
use std::path::Path;

const FILES: [&str; 4] = [
    "summary.csv",
    "replications.csv",
    "timeseries.csv",
    "scenario.toml",
];

/// Runs the quickstart shortened to 5 days and 4 replications into `out`.
fn run_quickstart(out: &Path, extra: &[&str]) {
    let o = capsim()
        .args(["run", quickstart().to_str().unwrap(), "--out"])
        .arg(out)
        .args(["--horizon", "5d", "--replications", "4", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn assert_same_files(a: &Path, b: &Path, what: &str) {
    for f in FILES {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        assert!(!x.is_empty(), "{f} is empty");
        assert!(x == y, "{what}: {f} differs");
    }
}

#[test]
fn two_runs_give_byte_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_quickstart(&a, &[]);
    run_quickstart(&b, &[]);
    assert_same_files(&a, &b, "two runs");
}

#[test]
fn thread_count_does_not_change_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two, four) = (
        tmp.path().join("t1"),
        tmp.path().join("t2"),
        tmp.path().join("t4"),
    );
    run_quickstart(&one, &["--threads", "1"]);
    run_quickstart(&two, &["--threads", "2"]);
    run_quickstart(&four, &["--threads", "4"]);
    assert_same_files(&one, &two, "--threads 1 vs 2");
    assert_same_files(&one, &four, "--threads 1 vs 4");
}

#[test]
fn another_seed_gives_other_results() {
    // Guards the tests above against trivially constant output.
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_quickstart(&a, &["--seed", "1"]);
    run_quickstart(&b, &["--seed", "2"]);
    let read = |d: &Path| fs::read(d.join("replications.csv")).unwrap();
    assert_ne!(read(&a), read(&b));
}

fn load_quickstart() -> Scenario {
    let source = capsim::scenario::Source::read(&quickstart()).unwrap();
    let mut plan = capsim::scenario::load(&source, &Default::default()).unwrap();
    let mut s = plan.variants.remove(0).scenario;
    s.system.horizon = 5 * capsim::engine::time::MICROS_PER_DAY;
    s.replications = 4;
    s
}

fn with_cluster(mut s: Scenario, edit: impl Fn(&mut ClusterSpec)) -> Scenario {
    let TargetKind::Cluster { spec, .. } = &mut s.system.targets[0].kind else {
        panic!("the quickstart's target is a cluster");
    };
    edit(spec);
    s
}

fn metric_per_replication(s: &Scenario, m: M) -> Vec<f64> {
    capsim::sweep::run(s, 0, None)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.targets[0][m as usize])
        .collect()
}

#[test]
fn compute_settings_do_not_change_arrivals() {
    let base = load_quickstart();
    let variants = [
        (
            "max_instances 8 vs 4",
            with_cluster(base.clone(), |c| c.max_instances = 4),
        ),
        (
            "max_instances 8 vs 1",
            with_cluster(base.clone(), |c| c.max_instances = 1),
        ),
        (
            "min_instances 0 vs 2",
            with_cluster(base.clone(), |c| c.min_instances = 2),
        ),
        (
            "idle time 120 s vs 30 min",
            with_cluster(base.clone(), |c| {
                c.idle_time_before_scale_down = Some(1_800_000_000)
            }),
        ),
        (
            "constant provisioning",
            with_cluster(base.clone(), |c| {
                c.provisioning_time = capsim::engine::Sampler::constant_s(60.0)
            }),
        ),
    ];
    let arrivals = metric_per_replication(&base, M::jobs_arrived);
    let cost = metric_per_replication(&base, M::cost);
    assert_eq!(arrivals.len(), 4);
    assert!(arrivals.iter().all(|&a| a > 0.0));
    assert!(
        arrivals.windows(2).any(|w| w[0] != w[1]),
        "replications differ from each other: {arrivals:?}"
    );
    for (what, v) in &variants {
        assert_eq!(
            metric_per_replication(v, M::jobs_arrived),
            arrivals,
            "{what}: same arrivals in each replication"
        );
        assert_ne!(
            metric_per_replication(v, M::cost),
            cost,
            "{what}: the variant does change the compute"
        );
    }
}
