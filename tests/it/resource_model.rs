//! The resource guard's estimate comes from the model (rows of each output file, live jobs and
//! requests), and is checked against the machine's means given explicitly, so that these tests
//! do not depend on the machine running them.

use crate::support::{capsim, options, quickstart, repo, run};
use capsim::scenario::sweep::load_plan;
use capsim::sweep::estimate::{self, Limits, MAX_DISK_BYTES};
use std::fs;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A 2-core machine with 1 GiB of memory available and 100 GiB of free disk, and all the time
/// in the world (the time check is not what these tests are about).
fn machine() -> Limits {
    Limits {
        max_seconds: f64::INFINITY,
        memory_available_bytes: Some(GIB),
        memory_total_bytes: Some(2.0 * GIB),
        disk_free_bytes: Some(100.0 * GIB),
        max_disk_bytes: MAX_DISK_BYTES,
        cores: 2,
    }
}

fn plan_of(file: &str, edit: impl Fn(String) -> String) -> capsim::scenario::sweep::Plan {
    let path = repo().join(file);
    let text = edit(fs::read_to_string(&path).unwrap());
    load_plan(&path, &text, &options(), &[], &[]).unwrap()
}

#[test]
fn a_year_of_an_endpoint_holds_its_in_flight_limit_not_its_requests() {
    for replications in [1u64, 1000, 1_000_000] {
        let plan = plan_of("scenarios/endpoint.toml", |t| {
            t.replace("horizon = \"7d\"", "horizon = \"365d\"").replace(
                "replications = 5",
                &format!("replications = {replications}"),
            )
        });
        let e = estimate::estimate_on(&plan, 0, 1.0, true, 2);
        // max_concurrent_requests_per_instance = 1, autoscale max 8: 2 x 1 x 8 in flight.
        assert_eq!(e.live_per_replication, 16.0);
        // Millions of requests a year (2.5/s at the profiles' peaks), never held at once.
        assert!(e.jobs_per_replication > 1e7, "{}", e.jobs_per_replication);
        // 365 days / 5 min + 1 samples of the one target.
        assert_eq!(e.timeseries_rows, 365.0 * 288.0 + 1.0);
        assert_eq!(e.replication_rows, replications as f64);
        // A million replications' paired metrics (since the Spot and spend columns, 162 MB) stay
        // far from the 31 GiB the old per-day guess claimed.
        assert!(
            e.memory_bytes < 0.25 * GIB,
            "{replications}: {}",
            e.memory_bytes
        );
        assert!(e.check(&machine()).is_ok(), "{replications} replications");
    }
}

#[test]
fn a_millisecond_time_series_over_30_days_is_refused_for_its_disk() {
    let plan = plan_of("scenarios/quickstart.toml", |t| {
        t.replacen(
            "horizon = ",
            "sample_interval = \"1ms\"\nhorizon = \"30d\"\n# was: horizon = ",
            1,
        )
    });
    let e = estimate::estimate_on(&plan, 0, 1.0, true, 2);
    // 30 days of milliseconds and the sample at time zero, of the one target `gpu-cluster`.
    let rows = 30.0 * 86_400.0 * 1000.0 + 1.0;
    assert_eq!(e.timeseries_rows, rows);
    assert_eq!(
        e.timeseries_bytes,
        rows * (estimate::TIMESERIES_BYTES_PER_ROW + 11.0)
    );
    assert!(e.timeseries_bytes > 100.0 * GIB);
    let refused = e.check(&machine()).unwrap_err();
    assert!(refused.too_much_disk && !refused.too_much_memory);
    let msg = refused.to_string();
    for expected in [
        "it would write about 142.4 GiB, more than the 10.0 GiB allowed without --force",
        "MiB of memory and 142.4 GiB written",
        "--force",
        "a larger sample_interval",
        "--horizon D",
    ] {
        assert!(msg.contains(expected), "no `{expected}` in:\n{msg}");
    }
    // Fewer replications or shards would not shrink the one replication's time series.
    assert!(
        !msg.contains("--replications N") && !msg.contains("--shard"),
        "{msg}"
    );
    // With the default 5-minute interval the same run passes.
    let plan = plan_of("scenarios/quickstart.toml", |t| {
        t.replacen("horizon = ", "horizon = \"30d\"\n# was: horizon = ", 1)
    });
    assert!(
        estimate::estimate_on(&plan, 0, 1.0, true, 2)
            .check(&machine())
            .is_ok()
    );
    // And a small disk refuses what the cap allows: 5 GiB free against 142 GiB.
    let small = Limits {
        disk_free_bytes: Some(5.0 * GIB),
        ..machine()
    };
    let msg = e.check(&small).unwrap_err().to_string();
    assert!(
        msg.contains("more than the 5.0 GiB free on the disk"),
        "{msg}"
    );
}

#[test]
fn the_command_refuses_a_millisecond_series_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run(capsim()
        .args(["run", quickstart().to_str().unwrap(), "--out"])
        .arg(&out)
        .args(["--set", "sample_interval=\"1ms\"", "--horizon", "30d"]));
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("142.4 GiB written"), "{}", o.stderr);
    assert!(!out.exists());
}

#[test]
fn size_refuses_a_peak_rate_it_could_never_simulate() {
    let text = fs::read_to_string(repo().join("scenarios/sizing.toml"))
        .unwrap()
        .replace(
            "max_429_share = 0.001",
            "max_429_share = 0.001\npeak_rate_per_second = 1e308",
        );
    let (tmp, file) = crate::support::write_temp("big.toml", text);
    let out = tmp.path().join("out");
    let o = run(capsim()
        .args(["size", file.to_str().unwrap(), "--out"])
        .arg(&out));
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    // Refused before any simulation: a rate capsim could never simulate is not a valid peak.
    for expected in ["peak_rate_per_second", "at most a million"] {
        assert!(
            o.stderr.contains(expected),
            "no `{expected}` in:\n{}",
            o.stderr
        );
    }
    assert!(!o.stderr.contains("--force"), "{}", o.stderr);
}
