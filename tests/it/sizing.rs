//! `capsim size` end to end, on a case worked out by hand.

use crate::support::{capsim, capsim_path, col, read_csv, write_temp};
use std::fs;
use std::path::Path;

/// The hand-worked case. Service times are exponential, so the endpoint *is* an M/M/c/K queue
/// (c = instances x 1 slot, K = 2c) and the closed form is exact.
///
/// Memory filter: the model needs 6 GiB, x 1.5 headroom = 9 GiB.
///   Standard_F4s_v2   8 GiB  -> too little memory
///   Standard_D4_v3   16 GiB, Standard_F8s_v2 16 GiB, Standard_F16s_v2 32 GiB -> kept
///
/// Latency filter: a lone request's latency is its service time; the p95 of an exponential with
/// mean m is -ln(0.05) x m = 3.0 m.
///   Standard_D4_v3   mean 150 ms -> p95 449 ms > 300 ms SLO -> too slow
///   Standard_F8s_v2  mean  50 ms -> p95 150 ms -> kept
///   Standard_F16s_v2 mean  25 ms -> p95  75 ms -> kept
///
/// Count, at 20 requests/s with at most 0.1% turned away (429). Blocking of M/M/c/2c is p_K,
/// with p_n proportional to a^n/n! up to c and a^n/(c! c^(n-c)) beyond:
///   F8s_v2,  a = 20 x 0.050 = 1 erlang:
///     c = 2: 1, 1, 1/2, 1/4, 1/8                       -> 0.125 / 2.875    = 0.043
///     c = 3: 1, 1, 1/2, 1/6, 1/18, 1/54, 1/162         -> 0.00617 / 2.747  = 0.0022  > 0.001
///     c = 4: 1, 1, 1/2, 1/6, 1/24, 1/96, ..., 1/6144   -> 0.000163 / 2.722 = 0.00006 <= 0.001
///   so 4 instances (and the p95 latency there is about 150 ms, well within 300 ms);
///   F16s_v2, a = 20 x 0.025 = 0.5 erlang:
///     c = 2: 1, 1/2, 1/8, 1/32, 1/128                  -> 0.0078 / 1.664   = 0.0047  > 0.001
///     c = 3: 1, 1/2, 1/8, 1/48, 1/288, 1/1728, 1/10368 -> 0.0000965 / 1.650 = 0.00006
///   so 3 instances.
/// Cost per month (730 h): F8s_v2 4 x 0.338 x 730 = 986.96 USD; F16s_v2 3 x 0.677 x 730 =
/// 1482.63 USD. Recommendation: 4 x Standard_F8s_v2.
const HAND: &str = r#"
name = "hand"
horizon = "1h"
warmup = "5m"
replications = 3
seed = 5
start_date = 2026-12-01
[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F8s_v2"
instance_count = 1
request_settings = { max_concurrent_requests_per_instance = 1, request_timeout_ms = 60000 }

[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_second = 20.0 }
service_time = { dist = "exponential", mean = "50ms" }
[traffic.service_time_by_size]
"Standard_D4_v3" = { dist = "exponential", mean = "150ms" }
"Standard_F16s_v2" = { dist = "exponential", mean = "25ms" }

[sizing]
model_memory_gib = 6
latency_slo_ms = 300
max_429_share = 0.001
sizes = ["Standard_F4s_v2", "Standard_D4_v3", "Standard_F8s_v2", "Standard_F16s_v2"]
"#;

#[test]
fn size_picks_the_hand_computed_size_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let (out_dir, out) = size_with(dir.path(), HAND, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Recommendation: 4 x Standard_F8s_v2"),
        "{stdout}"
    );

    let (header, rows) = read_csv(&out_dir.join("sizing.csv"));
    let col = |name: &str| col(&header, name);
    let row = |size: &str| rows.iter().find(|r| r[col("size")] == size).unwrap();
    // The recommendation comes first.
    assert_eq!(rows[0][col("size")], "Standard_F8s_v2");
    let f8 = row("Standard_F8s_v2");
    assert_eq!(f8[col("verdict")], "recommended");
    assert_eq!(f8[col("instances")], "4");
    assert_eq!(f8[col("analytic_instances")], "4");
    assert_eq!(f8[col("cost_per_month_usd")], "986.96");
    let share: f64 = f8[col("rejected_429_share")].parse().unwrap();
    assert!(share <= 0.001, "{share}");
    let p95: f64 = f8[col("latency_p95_ms")].parse().unwrap();
    assert!((130.0..=180.0).contains(&p95), "{p95}");
    // Three instances were simulated and failed on 429s.
    assert!(
        f8[col("simulated_instance_counts")]
            .split(';')
            .any(|n| n == "3")
    );

    assert_eq!(row("Standard_F4s_v2")[col("verdict")], "too_little_memory");
    let d4 = row("Standard_D4_v3");
    assert_eq!(d4[col("verdict")], "too_slow");
    let single: f64 = d4[col("single_request_latency_at_percentile_ms")]
        .parse()
        .unwrap();
    assert!((400.0..=500.0).contains(&single), "{single}");
    let f16 = row("Standard_F16s_v2");
    assert_eq!(f16[col("verdict")], "meets_goal");
    assert_eq!(f16[col("instances")], "3");
    assert_eq!(f16[col("cost_per_month_usd")], "1482.63");
    for r in &rows {
        assert_eq!(r[col("seed")], "5");
        assert_eq!(r[col("replications")], "3");
    }
    // Every column that holds a quantity says its unit (or is a share, count or label).
    // A `_ci95` column has the unit of the column it qualifies (as in summary.csv).
    for h in header.iter().map(|h| h.strip_suffix("_ci95").unwrap_or(h)) {
        let unitless = [
            "scenario",
            "endpoint",
            "size",
            "series",
            "vcpus",
            "gpus",
            "verdict",
            "reason",
            "price_source",
            "instances",
            "percentile",
            "seed",
            "replications",
        ];
        assert!(
            unitless.contains(&h)
                || h.ends_with("_ms")
                || h.ends_with("_usd")
                || h.ends_with("_gib")
                || h.ends_with("_per_hour")
                || h.ends_with("_per_second")
                || h.ends_with("_requests")
                || h.contains("share")
                || h.contains("instance")
                || h.contains("slo_attainment"),
            "column {h} has no unit"
        );
    }
}

#[test]
fn size_is_deterministic() {
    // A smaller run of the hand case, twice, on different thread counts.
    let (dir, file) = write_temp(
        "hand.toml",
        HAND.replace("horizon = \"1h\"", "horizon = \"15m\""),
    );
    let mut outputs = vec![];
    for (k, threads) in ["1", "2"].iter().enumerate() {
        let out_dir = dir.path().join(format!("out{k}"));
        let st = capsim()
            .args([
                "size",
                "--quiet",
                "--threads",
                threads,
                "--replications",
                "2",
            ])
            .arg(&file)
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap();
        assert!(st.status.success());
        assert!(st.stdout.is_empty(), "--quiet prints nothing");
        outputs.push(fs::read(out_dir.join("sizing.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn bad_sizing_tables_are_located_input_errors() {
    let (dir, file) = write_temp(
        "bad.toml",
        HAND.replace(
            "latency_slo_ms = 300",
            "latency_slo_ms = -3\npercentile = \"p90\"",
        ),
    );
    let out = capsim()
        .arg("size")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "bad.toml:26:18: error: sizing.latency_slo_ms: must be a number of milliseconds"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("sizing.percentile"), "{stderr}");

    // No [sizing] at all.
    let text = HAND.split("[sizing]").next().unwrap();
    fs::write(&file, text).unwrap();
    let out = capsim()
        .arg("size")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no [sizing] table"));
}

#[test]
fn run_ignores_the_sizing_table() {
    // The same file runs as a plain scenario (at its written size and count).
    let (dir, file) = write_temp(
        "hand.toml",
        HAND.replace("horizon = \"1h\"", "horizon = \"10m\""),
    );
    let out = capsim()
        .args(["run", "--quiet", "--replications", "1"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_checks_the_sizing_table() {
    let (_dir, file) = write_temp("hand.toml", HAND);
    let out = capsim().arg("validate").arg(&file).output().unwrap();
    assert!(out.status.success());
    fs::write(
        &file,
        HAND.replace("max_429_share = 0.001", "max_429_shares = 0.001"),
    )
    .unwrap();
    let out = capsim().arg("validate").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sizing.max_429_shares: unknown field"),
        "{stderr}"
    );
}

#[test]
fn a_quota_limits_the_count() {
    // 20 vCPUs of FSv2 quota: 2 x Standard_F8s_v2 (8 vCPUs) fit, 3 do not; the hand case needs
    // 4, so the size is over the limit and the reason names the quota. Standard_F16s_v2 (16
    // vCPUs) fits once and needs 3.
    let text = HAND
        .replace("horizon = \"1h\"", "horizon = \"20m\"")
        .replace("seed = 5\n", "seed = 5\nquota = { FSv2 = 20 }\n");
    let (dir, file) = write_temp("quota.toml", text);
    let out_dir = dir.path().join("out");
    let out = capsim()
        .args(["size", "--quiet"])
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (header, rows) = read_csv(&out_dir.join("sizing.csv"));
    let col = |name: &str| col(&header, name);
    let row = |size: &str| rows.iter().find(|r| r[col("size")] == size).unwrap();
    for (size, limit) in [("Standard_F8s_v2", "2"), ("Standard_F16s_v2", "1")] {
        let r = row(size);
        assert_eq!(r[col("verdict")], "over_instance_limit", "{size}");
        assert!(
            r[col("reason")].contains(&format!("{limit} instance"))
                && r[col("reason")].contains("quota"),
            "{size}: {}",
            r[col("reason")]
        );
    }
    assert!(!rows.iter().any(|r| r[col("verdict")] == "recommended"));
}

/// The closed form `capsim size` estimates with also gives the latency *percentiles* of a fixed
/// endpoint with exponential service (a mixture of Erlang sums, see `sizing::mmck`): the
/// simulated p50, p95 and p99 must match them within the 99% interval over replications (the
/// 95% half-width x t(0.995, 9) / t(0.975, 9) = 3.25 / 2.262) plus the latency histogram's 0.1%
/// relative error. Seeds are fixed and were not tuned.
#[test]
fn simulated_latency_percentiles_match_the_closed_form() {
    use capsim::metrics::M;
    use capsim::scenario::LoadOptions;
    use capsim::scenario::sweep::load_plan;
    use capsim::sizing::mmck::Mmck;
    // (instances, concurrency per instance, requests/s, mean service ms, horizon)
    for (n, mcr, rate, mean_ms, horizon) in
        [(2u32, 1u32, 20.0, 50.0, "1h"), (3, 2, 100.0, 50.0, "30m")]
    {
        let text = format!(
            r#"
name = "percentiles"
horizon = "{horizon}"
warmup = "5m"
replications = 10
seed = 3
start_date = 2026-12-01
[[endpoint]]
name = "e"
type = "managed_online"
instance_type = "Standard_F8s_v2"
instance_count = {n}
request_settings = {{ max_concurrent_requests_per_instance = {mcr}, request_timeout_ms = 180000 }}

[[traffic]]
name = "t"
endpoint = "e"
arrivals = {{ process = "poisson", rate_per_second = {rate:?} }}
service_time = {{ dist = "exponential", mean = "{mean_ms}ms" }}
"#
        );
        let plan = load_plan(
            Path::new("percentiles.toml"),
            &text,
            &LoadOptions::default(),
            &[],
            &[],
        )
        .unwrap();
        let s = &plan.variants[0].scenario;
        let result = capsim::sweep::run(s, 0, None).unwrap();
        let est = &result.summary(1)[0];
        let c = n * mcr;
        let q = Mmck::new(rate, 1000.0 / mean_ms, c, 2 * c).unwrap().solve();
        for (m, p) in [
            (M::latency_p50, 0.50),
            (M::latency_p95, 0.95),
            (M::latency_p99, 0.99),
        ] {
            let want = q.sojourn_quantile(p) * 1000.0;
            let e = est[m as usize];
            let tol = e.ci95 * 3.25 / 2.262 + 0.001 * want;
            assert!(
                (e.mean - want).abs() <= tol,
                "c = {c}, p{}: simulated {:.2} ± {:.2} ms, closed form {want:.2} ms",
                p * 100.0,
                e.mean,
                e.ci95
            );
            // The interval is tight enough to mean something.
            assert!(
                e.ci95 < 0.05 * want,
                "c = {c}, p{}: ± {:.2}",
                p * 100.0,
                e.ci95
            );
        }
    }
}

/// `capsim size --report` writes a report whose headline is the hand-computed recommendation,
/// with every candidate in its table and a cost chart of the simulated ones.
#[test]
fn size_report_names_the_recommendation_and_every_candidate() {
    let (dir, file) = write_temp("hand.toml", HAND);
    let out = dir.path().join("out");
    capsim()
        .arg("size")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--report"])
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let headline =
        &html[html.find("id=\"headline\"").unwrap()..html.find("id=\"candidates\"").unwrap()];
    assert!(headline.contains("4 × Standard_F8s_v2"), "{headline}");
    assert!(headline.contains("$987"), "{headline}");
    for size in [
        "Standard_F4s_v2",
        "Standard_D4_v3",
        "Standard_F8s_v2",
        "Standard_F16s_v2",
    ] {
        assert!(html.contains(size), "{size} missing");
    }
    assert!(html.contains("too little memory") && html.contains("too slow for the SLO"));
    let svg = fs::read_to_string(out.join("charts/sizing.svg")).unwrap();
    assert!(svg.contains("Standard_F8s_v2 × 4") && svg.contains("Standard_F16s_v2 × 3"));
}

/// Runs `capsim size` on `text` with `args`; returns the output folder, stdout and stderr.
fn size_with(dir: &Path, text: &str, args: &[&str]) -> (std::path::PathBuf, std::process::Output) {
    let file = dir.join("hand.toml");
    fs::write(&file, text).unwrap();
    let out_dir = dir.join("out");
    let out = capsim()
        .arg("size")
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .args(args)
        .output()
        .unwrap();
    (out_dir, out)
}

/// The rows of `sizing.csv` as (column name -> value) lookups, by size.
fn rows_by_size(out_dir: &Path) -> impl Fn(&str, &str) -> String {
    let (header, rows) = read_csv(&out_dir.join("sizing.csv"));
    move |size: &str, column: &str| {
        let c = col(&header, column);
        rows.iter().find(|r| r[2] == size).unwrap()[c].clone()
    }
}

/// `--prices` makes the hand case's winner dear. The counts do not depend on prices (they come
/// from the service times: 4 x F8s_v2, 3 x F16s_v2, see HAND), so with the price list
///   Standard_F4s_v2 0.01, Standard_F8s_v2 0.50, Standard_F16s_v2 0.60 USD/h
/// the costs per month (730 h) are
///   F8s_v2:  4 x 0.50 x 730 = 1460.00 USD
///   F16s_v2: 3 x 0.60 x 730 = 1314.00 USD  <- now the cheaper: 3 x Standard_F16s_v2.
/// Standard_D4_v3 is not in the list and keeps its catalog price (0.192 USD/h); Standard_F4s_v2,
/// ruled out by memory before any simulation, still shows the list's price.
#[test]
fn prices_file_changes_the_recommendation() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.csv");
    fs::write(
        &prices,
        "size,price_usd_per_hour\nStandard_F4s_v2,0.01\nStandard_F8s_v2,0.5\nStandard_F16s_v2,0.6\n",
    )
    .unwrap();
    let prices_arg = prices.to_str().unwrap();
    let (out_dir, out) = size_with(dir.path(), HAND, &["--prices", prices_arg]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Recommendation: 3 x Standard_F16s_v2"),
        "{stdout}"
    );
    // The terminal says where the prices came from: the list, and the catalog for the rest.
    let prices_line = stdout.lines().find(|l| l.starts_with("Prices:")).unwrap();
    assert!(
        prices_line.contains(&format!("price list {prices_arg}"))
            && prices_line.contains("catalog list price"),
        "{prices_line}"
    );
    let at = rows_by_size(&out_dir);
    assert_eq!(at("Standard_F16s_v2", "verdict"), "recommended");
    assert_eq!(at("Standard_F16s_v2", "instances"), "3");
    assert_eq!(at("Standard_F16s_v2", "price_usd_per_hour"), "0.6");
    assert_eq!(at("Standard_F16s_v2", "cost_per_month_usd"), "1314");
    assert_eq!(at("Standard_F8s_v2", "verdict"), "meets_goal");
    assert_eq!(at("Standard_F8s_v2", "instances"), "4");
    assert_eq!(at("Standard_F8s_v2", "price_usd_per_hour"), "0.5");
    assert_eq!(at("Standard_F8s_v2", "cost_per_month_usd"), "1460");
    assert_eq!(at("Standard_D4_v3", "price_usd_per_hour"), "0.192");
    assert_eq!(at("Standard_F4s_v2", "verdict"), "too_little_memory");
    assert_eq!(at("Standard_F4s_v2", "price_usd_per_hour"), "0.01");
    // sizing.csv says where each price came from.
    for size in ["Standard_F4s_v2", "Standard_F8s_v2", "Standard_F16s_v2"] {
        assert_eq!(at(size, "price_source"), format!("price list {prices_arg}"));
    }
    assert!(at("Standard_D4_v3", "price_source").starts_with("catalog list price"));

    // A bad price list is an input error naming the file.
    fs::write(&prices, "size,price_usd_per_hour\nStandard_F8s_v2,cheap\n").unwrap();
    let (_, out) = size_with(dir.path(), HAND, &["--prices", prices_arg]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("prices.csv"), "{stderr}");
}

/// `--set` reaches the `[sizing]` table, the traffic (whose rate is the default peak) and the
/// endpoint (whose concurrency sets the slots). Blocking p_K of M/M/c/2c as in HAND:
/// - `sizing.max_429_share=0.01`, 20 requests/s, 1 slot per instance:
///   F8s_v2 (a = 1 erlang): c = 2 blocks 0.043 > 0.01, c = 3 blocks 0.0022 -> 3 instances;
///   F16s_v2 (a = 0.5): c = 1 blocks 0.25 / 1.75 = 0.14, c = 2 blocks 0.0047 -> 2 instances.
///   3 x 0.338 x 730 = 740.22 USD < 2 x 0.677 x 730 = 988.42 USD: 3 x Standard_F8s_v2.
/// - `traffic.requests.arrivals.rate_per_second=10`, max 0.001:
///   F8s_v2 (a = 0.5): c = 2 blocks 0.0047 > 0.001, c = 3 blocks 0.00006 -> 3 instances, 740.22;
///   F16s_v2 (a = 0.25): c = 2: p = 1, 1/4, 1/32, 1/256, 1/2048 -> 0.00049 / 1.2856 = 0.00038
///   <= 0.001, c = 1 blocks 0.0625 / 1.3125 = 0.048 -> 2 instances, 988.42: 3 x Standard_F8s_v2.
/// - `...max_concurrent_requests_per_instance=2`, 20 requests/s, max 0.001: the slots needed
///   are those of HAND (4 for F8s_v2, 3 for F16s_v2), 2 per instance: 2 instances of either;
///   2 x 0.338 x 730 = 493.48 USD: 2 x Standard_F8s_v2.
#[test]
fn set_changes_the_search_as_the_table_would() {
    let cases = [
        (
            "sizing.max_429_share=0.01",
            "3",
            "740.22",
            "2",
            "0.01",
            "20",
        ),
        (
            "traffic.requests.arrivals.rate_per_second=10",
            "3",
            "740.22",
            "2",
            "0.001",
            "10",
        ),
        (
            "endpoint.scorer.request_settings.max_concurrent_requests_per_instance=2",
            "2",
            "493.48",
            "2",
            "0.001",
            "20",
        ),
    ];
    for (set, f8_count, f8_cost, f16_count, share, rate) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (out_dir, out) = size_with(dir.path(), HAND, &["--quiet", "--set", set]);
        assert!(
            out.status.success(),
            "{set}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let at = rows_by_size(&out_dir);
        assert_eq!(at("Standard_F8s_v2", "verdict"), "recommended", "{set}");
        assert_eq!(at("Standard_F8s_v2", "instances"), f8_count, "{set}");
        assert_eq!(
            at("Standard_F8s_v2", "cost_per_month_usd"),
            f8_cost,
            "{set}"
        );
        assert_eq!(at("Standard_F16s_v2", "instances"), f16_count, "{set}");
        assert_eq!(at("Standard_F8s_v2", "max_429_share"), share, "{set}");
        assert_eq!(at("Standard_F8s_v2", "peak_rate_per_second"), rate, "{set}");
    }
}

#[test]
fn bad_set_is_an_input_error_naming_the_argument() {
    let dir = tempfile::tempdir().unwrap();
    for (set, why) in [
        ("sizing.max_429_share=2", "must be a share"),
        ("sizing.percentile=p90", "\"p95\""),
        ("sizing.max_429_sahre=0.01", "unknown field"),
        (
            "endpoint.nope.instance_count=2",
            "no [[endpoint]] named `nope`",
        ),
        (
            "traffic.requests.arrivals.rate_per_second=-3",
            "greater than zero",
        ),
        ("nonsense", "is not path=value"),
    ] {
        let (out_dir, out) = size_with(dir.path(), HAND, &["--set", set]);
        assert_eq!(out.status.code(), Some(2), "{set}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(set) && stderr.contains(why),
            "{set}: {stderr}"
        );
        // A value from the command line has no place in the file.
        assert!(!stderr.contains("hand.toml:1:"), "{set}: {stderr}");
        assert!(!out_dir.exists(), "{set}: nothing is written");
    }
}

/// Ctrl-C (SIGINT) during a long search: exit 130 soon after, "interrupted: no sizing written",
/// and the output folder exactly as it was: an earlier sizing.csv byte for byte, no new file.
/// Into a folder that did not exist, nothing at all is created.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_stops_the_search_and_writes_nothing() {
    use std::time::{Duration, Instant};
    let (dir, file) = write_temp("hand.toml", HAND);
    let out_dir = dir.path().join("out");
    // Earlier results, from a short search.
    let earlier = capsim()
        .args(["size", "--quiet", "--replications", "1"])
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(earlier.status.success());
    let listing = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = listing(&out_dir);
    assert!(before.iter().any(|(n, _)| n == "sizing.csv"));

    for (out, existed) in [(&out_dir, true), (&dir.path().join("fresh"), false)] {
        // 2000 replications of an hour at 20 requests/s for each of the first three points:
        // minutes of work, so the signal always lands mid-search.
        let mut child = std::process::Command::new(capsim_path())
            .args(["size", "--quiet", "--replications", "2000"])
            .arg(&file)
            .arg("--out")
            .arg(out)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Ctrl-C is armed as simulation starts, and arming it starts the handler's thread, the
        // process's second: wait for that (Linux's /proc lists a process's threads) rather than
        // for a fixed time, which a busy machine may not give the search to get there.
        let tasks = format!("/proc/{}/task", child.id());
        let t0 = Instant::now();
        while fs::read_dir(&tasks).map_or(0, |d| d.count()) < 2 {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the search ended before it was interrupted"
            );
            assert!(
                t0.elapsed() < Duration::from_secs(600),
                "the search never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: `pid` is our own child, still running (minutes of work, just started).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let signalled = Instant::now();
        let result = child.wait_with_output().unwrap();
        let stop = signalled.elapsed();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(130), "{stderr}");
        assert!(
            stderr.contains("interrupted: no sizing written"),
            "{stderr}"
        );
        assert!(result.stdout.is_empty());
        // Only running replications finish: each is a fraction of a second.
        assert!(stop < Duration::from_secs(20), "stopped after {stop:?}");
        eprintln!("stopped {stop:?} after SIGINT");
        if existed {
            assert_eq!(listing(out), before, "the earlier results are untouched");
        } else {
            assert!(!out.exists(), "no folder is created");
        }
    }
}

/// `--deny-warnings`: the scenario as written warns (1 x Standard_F8s_v2 has 8 vCPUs, Azure
/// reserves ceil(1.2 x 1) = 2 instances = 16 vCPUs of quota, over the 12 allowed, while the 8
/// actually used fit), so the search does not start.
#[test]
fn deny_warnings_refuses_a_scenario_that_warns() {
    let dir = tempfile::tempdir().unwrap();
    let text = HAND.replace("seed = 5\n", "seed = 5\nquota = { FSv2 = 12 }\n");
    let (out_dir, out) = size_with(dir.path(), &text, &["--deny-warnings"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("16 vCPUs")
            && stderr.contains("1 warning treated as error (--deny-warnings)"),
        "{stderr}"
    );
    assert!(!out_dir.exists());
}
