//! Every workload's offered load, worked out by hand: the mean duration a distribution implies,
//! the busy nodes it offers, and an endpoint's requests per instance, as `validate` and `run`
//! print them, `run.json` records them and the report states them.

use crate::support::{capsim, load, run, write_temp};
use capsim::output::offered::facts;
use std::fs;

const JOBS: &str = r#"name = "jobs"
horizon = "3d"
replications = 1
[[compute]]
name = "gpu"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 20
[[workload]]
name = "training"
compute = "gpu"
instance_count = 2
arrivals = { process = "poisson", rate_per_hour = 3.0 }
duration = { dist = "lognormal", median = "40m", p95 = "3h" }
"#;

const REQUESTS: &str = r#"name = "ep"
horizon = "2h"
start_date = 2026-12-01
replications = 1
[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 4
request_settings = { max_concurrent_requests_per_instance = 2, request_timeout_ms = 5000 }
[[traffic]]
name = "req"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_second = 10.0 }
service_time = { dist = "exponential", mean = "200ms" }
"#;

/// A log-normal with median m and 95th percentile p: sigma = ln(p / m) / z(0.95), and its mean
/// is m x exp(sigma^2 / 2). For 40 min and 3 h: sigma = ln 4.5 / 1.6449 = 0.91440, mean =
/// 40 x exp(0.41807) = 40 x 1.51903 = 60.76 min.
fn lognormal_mean(median: f64, p95: f64) -> f64 {
    let sigma = (p95 / median).ln() / 1.644_853_626_951_472_2;
    median * (sigma * sigma / 2.0).exp()
}

#[test]
fn a_lognormal_of_median_40_min_and_p95_3_h_means_61_min() {
    let mean_min = lognormal_mean(40.0, 180.0);
    assert!((mean_min - 60.76).abs() < 0.01, "{mean_min}");
    let s = load(JOBS).scenario;
    let f = &facts(&s.system)[0];
    let got = f.mean_duration_s.unwrap() / 60.0;
    assert!((got - mean_min).abs() < 1e-9, "{got} against {mean_min}");
    assert_eq!(f.jobs_per_hour, Some(3.0));
    assert_eq!(f.nodes_per_job, Some(2.0));
    // 3 jobs/h x 60.76 min x 2 nodes = 3/60 x 60.76 x 2 = 6.076 nodes busy on average.
    let busy = 3.0 / 60.0 * mean_min * 2.0;
    assert!((f.offered_busy_nodes.unwrap() - busy).abs() < 1e-9);

    let (_tmp, file) = write_temp("jobs.toml", JOBS);
    let o = run(capsim().arg("validate").arg(&file));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout.replace("\n  ", " ").contains(
            "offered: training on gpu: 3.00 jobs/h x mean duration 60.8 min x 2 nodes per job = \
             6.08 nodes busy on average (offered load)"
        ),
        "{}",
        o.stdout
    );
}

#[test]
fn an_endpoint_is_offered_requests_per_instance_and_busy_slots() {
    let s = load(REQUESTS).scenario;
    let f = &facts(&s.system)[0];
    // 10 requests/s over 4 instances; 10/s x 0.2 s = 2 of 4 x 2 = 8 slots busy.
    assert_eq!(f.requests_per_second, Some(10.0));
    assert_eq!(f.instances, Some(4));
    assert_eq!(f.requests_per_second_per_instance, Some(2.5));
    assert!((f.mean_service_s.unwrap() - 0.2).abs() < 1e-12);
    assert!((f.offered_busy_slots.unwrap() - 2.0).abs() < 1e-12);
    assert_eq!(f.slots, Some(8));
}

#[test]
fn run_prints_them_records_them_in_run_json_and_the_report_states_them() {
    let (tmp, file) = write_temp("ep.toml", REQUESTS);
    let out = tmp.path().join("out");
    let o = run(capsim()
        .args(["run", file.to_str().unwrap(), "--report", "--out"])
        .arg(&out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let line = "10.0 requests/s, 2.50 per instance at its 4 instances; mean service time 200 ms, \
                so 2.00 of its 8 request slots busy on average (offered load)";
    assert!(
        // Wrapped to 100 columns, continuation lines indented.
        o.stdout
            .replace("\n  ", " ")
            .contains(&format!("offered: req on scorer: {line}")),
        "{}",
        o.stdout
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    let w = &json["scenario"]["workloads"][0];
    assert_eq!(w["name"], "req");
    assert_eq!(w["requests_per_second_per_instance"], 2.5);
    assert_eq!(w["slots"], 8);
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Offered load, req on scorer:"), "{report}");
    assert!(
        report.contains("2.50 per instance at its 4 instances"),
        "{report}"
    );
    // The report reads run.json, not the scenario: without the figures there, no such line.
    let mut json = json;
    json["scenario"]["workloads"] = serde_json::json!([]);
    fs::write(
        out.join("run.json"),
        serde_json::to_vec_pretty(&json).unwrap(),
    )
    .unwrap();
    let o = run(capsim().arg("report").arg(&out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!report.contains("Offered load"), "{report}");
}
