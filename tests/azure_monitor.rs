//! `capsim calibrate` and `capsim backtest` against a workspace whose truth is known: the
//! generator in `tests/azure_monitor/generate.rs` simulates a month of two clusters and an
//! endpoint with its own logic and writes the four Azure Monitor exports, which capsim then
//! reads, fits and replays.
//!
//! The committed example in `scenarios/azure-monitor/` (a week of the same truth) is checked
//! to be what the generator writes; `CAPSIM_UPDATE_AZURE_MONITOR=1 cargo test --test
//! azure_monitor` writes it again.

#[path = "azure_monitor/generate.rs"]
mod generate;

use capsim::commands::{self, BacktestRequest, CalibrateRequest, Silent};
use capsim::fit::Dist;
use generate::{Exports, FILES, Truth};
use std::path::{Path, PathBuf};

/// The committed example: a week.
const EXAMPLE_DAYS: f64 = 7.0;
/// The test's history: a month.
const MONTH_DAYS: f64 = 30.0;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/azure-monitor")
}

fn write(dir: &Path, e: &Exports) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in e.files() {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// A month of the truth, written once per test binary run into a temporary folder.
fn month() -> &'static (tempfile::TempDir, Truth) {
    static MONTH: std::sync::OnceLock<(tempfile::TempDir, Truth)> = std::sync::OnceLock::new();
    MONTH.get_or_init(|| {
        let truth = generate::truth(MONTH_DAYS);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &generate::generate(&truth));
        (dir, truth)
    })
}

fn file(dir: &Path, k: usize) -> PathBuf {
    dir.join(FILES[k])
}

#[test]
fn print_the_month() {
    let (dir, _) = month();
    let o = commands::calibrate(&CalibrateRequest {
        nodes: Some(file(dir.path(), 2)),
        clusters: Some(file(dir.path(), 1)),
        traffic: Some(file(dir.path(), 3)),
        ..CalibrateRequest::default()
    })
    .unwrap();
    for p in &o.provisioning {
        println!(
            "{} {:?} n={} {} median {:.1} p95 {:.1} ks {:.4}/{:.4}",
            p.vm_size,
            p.priority,
            p.fit.n,
            p.fit.chosen.family(),
            p.fit.chosen.quantile(0.5),
            p.fit.chosen.quantile(0.95),
            p.fit.ks,
            p.fit.ks_critical
        );
        for c in &p.fit.candidates {
            println!("   {} aic {:.1} ks {:.4}", c.dist.family(), c.aic, c.ks);
        }
    }
    for e in &o.evictions {
        println!("{} {:?}", e.cluster, e.rate);
    }
    for l in &o.latencies {
        println!("{:?}", l);
    }
    println!("{:?}", o.notes);
    for r in &o.reads {
        println!(
            "{:?} rows {} dup {} ign {:?}",
            r.table, r.rows, r.duplicates, r.ignored
        );
    }
    let _ = Dist::Constant { value: 0.0 };
    let out = tempfile::tempdir().unwrap();
    let b = commands::backtest(
        BacktestRequest {
            jobs: file(dir.path(), 0),
            clusters: file(dir.path(), 1),
            nodes: Some(file(dir.path(), 2)),
            traffic: Some(file(dir.path(), 3)),
            scenario: Some({
                let p = out.path().join("endpoint.toml");
                std::fs::write(&p, "horizon = \"1d\"\n[[endpoint]]\nname = \"scorer\"\ntype = \"managed_online\"\ninstance_type = \"Standard_F4s_v2\"\ninstance_count = 1\nrequest_settings = { max_concurrent_requests_per_instance = 1 }\n").unwrap();
                p
            }),
            out: Some(out.path().join("bt")),
            replications: 4,
            ..BacktestRequest::default()
        },
        &Silent,
    )
    .unwrap();
    for r in &b.rows {
        println!(
            "{} {} obs {:.2} sim {:.2}±{:.2} err {:?}",
            r.target, r.measure, r.observed, r.simulated.mean, r.simulated.ci95, r.error_pct
        );
    }
    println!("{:?}", b.notes);
    println!(
        "{}",
        std::fs::read_to_string(out.path().join("bt/scenario.toml")).unwrap()
    );
}

#[test]
fn debug_busy() {
    let (dir, _) = month();
    let c = capsim::azure::monitor::clusters::read(
        &file(dir.path(), 1),
        capsim::azure::monitor::OnBadRow::Error,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let b = commands::backtest(
        BacktestRequest {
            jobs: file(dir.path(), 0),
            clusters: file(dir.path(), 1),
            nodes: Some(file(dir.path(), 2)),
            out: Some(out.path().join("bt")),
            replications: 2,
            ..BacktestRequest::default()
        },
        &Silent,
    )
    .unwrap();
    let (from, to) = b.window;
    for oc in &c.clusters {
        let mut busy = 0.0;
        let mut prov = 0.0;
        let pts = &oc.points;
        for (k, p) in pts.iter().enumerate() {
            let next = pts.get(k + 1).map_or(to, |q| q.time).min(to);
            let t0 = p.time.max(from);
            if next > t0 {
                busy += p.running.unwrap_or(0) as f64 * (next - t0) as f64 / 3.6e12;
            }
            let _ = &mut prov;
        }
        println!("{} observed busy {:.1}", oc.name, busy);
    }
    let mut r = csv::Reader::from_path(out.path().join("bt/summary.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    for rec in r.records() {
        let v = rec.unwrap();
        for k in [
            "target",
            "busy_node_hours",
            "idle_node_hours",
            "provisioning_node_hours",
            "node_hours",
            "jobs_completed",
            "jobs_arrived",
            "jobs_running_at_end",
            "nodes_requested",
        ] {
            let i = h.iter().position(|x| x == k).unwrap();
            print!("{k}={} ", &v[i]);
        }
        println!();
    }
}

#[test]
fn debug_keep() {
    let (dir, _) = month();
    let keep = Path::new("/tmp/bt-debug");
    let _ = std::fs::remove_dir_all(keep);
    commands::backtest(
        BacktestRequest {
            jobs: file(dir.path(), 0),
            clusters: file(dir.path(), 1),
            nodes: Some(file(dir.path(), 2)),
            out: Some(keep.to_path_buf()),
            replications: 4,
            ..BacktestRequest::default()
        },
        &Silent,
    )
    .unwrap();
    for k in 0..4 {
        std::fs::copy(
            file(dir.path(), k),
            keep.with_file_name(format!("m-{}", FILES[k])),
        )
        .unwrap();
    }
}

#[test]
fn debug_hours() {
    use capsim::azure::monitor::{OnBadRow, clusters, parse_time};
    let c = clusters::read(
        Path::new("/tmp/m-AmlComputeClusterEvent.csv"),
        OnBadRow::Error,
    )
    .unwrap();
    let oc = c.get("gpu-cluster").unwrap();
    let start = parse_time("2026-11-02T00:54:18.403Z").unwrap();
    let end = c.last;
    println!(
        "points {} nh {:.1} first {} last {}",
        oc.points.len(),
        oc.node_hours(start, end),
        oc.points[0].time,
        end
    );
    let steps = oc.steps(start, end);
    println!("steps {}", steps.len());
    let mut acc = 0.0;
    for (i, p) in oc.points.iter().enumerate() {
        let nxt = oc.points.get(i + 1).map_or(end, |q| q.time);
        let a = p.time.max(start);
        let b = nxt.min(end);
        if b > a {
            acc += p.current as f64 * (b - a) as f64 / 3.6e12;
        }
    }
    println!("direct {:.1}", acc);
}

#[test]
fn debug_dump() {
    use capsim::azure::monitor::{OnBadRow, clusters};
    let c = clusters::read(
        Path::new("/tmp/m-AmlComputeClusterEvent.csv"),
        OnBadRow::Error,
    )
    .unwrap();
    let oc = c.get("gpu-cluster").unwrap();
    let mut s = String::new();
    for p in &oc.points {
        s.push_str(&format!("{} {}\n", p.time / 1000, p.current));
    }
    std::fs::write("/tmp/rust-points.txt", s).unwrap();
}

#[test]
fn debug_variants() {
    let variants: Vec<(&str, Box<dyn Fn(&mut generate::ClusterTruth)>)> = vec![
        ("base", Box::new(|_c| {})),
        ("min0", Box::new(|c| c.min = 0)),
        ("single", Box::new(|c| c.nodes = &[(1, 1.0)])),
        ("max100", Box::new(|c| c.max = 100)),
        (
            "min0-single-max100",
            Box::new(|c| {
                c.min = 0;
                c.nodes = &[(1, 1.0)];
                c.max = 100;
            }),
        ),
        ("nofail", Box::new(|c| c.fail_share = 0.0)),
    ];
    for (name, f) in variants {
        let mut truth = generate::truth(10.0);
        truth.clusters.truncate(1);
        f(&mut truth.clusters[0]);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &generate::generate(&truth));
        let b = commands::backtest(
            BacktestRequest {
                jobs: file(dir.path(), 0),
                clusters: file(dir.path(), 1),
                nodes: Some(file(dir.path(), 2)),
                out: Some(dir.path().join("bt")),
                replications: 4,
                ..BacktestRequest::default()
            },
            &Silent,
        )
        .unwrap();
        let r = &b.rows[0];
        println!(
            "{name}: obs {:.1} sim {:.1} err {:.2}%",
            r.observed,
            r.simulated.mean,
            r.error_pct.unwrap()
        );
    }
}

#[test]
fn debug_trajectory() {
    let mut truth = generate::truth(10.0);
    truth.clusters.truncate(1);
    truth.clusters[0].provisioning_p95_s = truth.clusters[0].provisioning_median_s * 1.01;
    let dir = Path::new("/tmp/traj");
    let _ = std::fs::remove_dir_all(dir);
    write(dir, &generate::generate(&truth));
    let b = commands::backtest(
        BacktestRequest {
            jobs: file(dir, 0),
            clusters: file(dir, 1),
            nodes: Some(file(dir, 2)),
            out: Some(dir.join("bt")),
            replications: 1,
            ..BacktestRequest::default()
        },
        &Silent,
    )
    .unwrap();
    let r = &b.rows[0];
    println!(
        "obs {:.1} sim {:.1} start {}",
        r.observed,
        r.simulated.mean,
        capsim::azure::monitor::format_time(b.window.0)
    );
}

#[test]
fn debug_sizes() {
    let e = generate::generate(&generate::truth(EXAMPLE_DAYS));
    for (n, t) in e.files() {
        println!("{n}: {} bytes, {} lines", t.len(), t.lines().count());
    }
}
