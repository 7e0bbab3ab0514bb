//! `[[traffic]]` features of issue #5: MMPP bursts of requests, and a load test's latency
//! profile as the service-time model. Every expected number is worked out in the comments.

use crate::support::{errors, load, on, write_temp};
use capsim::engine::stream;
use capsim::engine::time::{SimTime, from_secs_f64, to_secs_f64};
use capsim::model::requests_purpose;
use capsim::scenario::{LoadError, Loaded};
use capsim::workload::ArrivalGen;
use capsim::workload::requests::{
    LatencyRow, PoissonRequests, ProfileFit, RequestArrivals, RequestSource, TrafficSpec,
    latency_at,
};

const ENDPOINT: &str = r#"horizon = "1h"
seed = 11
[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 3
"#;

fn traffic(loaded: &Loaded) -> &TrafficSpec {
    &loaded.scenario.system.traffic[0]
}

/// Request times of `spec` up to `horizon`, drawn as the model draws them.
fn times(spec: &TrafficSpec, seed: u64, horizon: SimTime) -> Vec<SimTime> {
    let mut source = RequestSource::new(
        &spec.arrivals,
        stream(seed, 0, &requests_purpose(&spec.name)),
    );
    let mut out = vec![];
    while let Some(a) = source.next_arrival() {
        if a.time > horizon {
            break;
        }
        out.push(a.time);
    }
    out
}

#[test]
fn mmpp_requests_arrive_at_the_sojourn_weighted_rate() {
    let text = format!(
        r#"{ENDPOINT}
[[traffic]]
name = "bursty"
endpoint = "scorer"
arrivals = {{ process = "mmpp", rates_per_second = [2, 20], mean_sojourn = ["5s", "1s"] }}
service_time = {{ dist = "exponential", mean = "50ms" }}
"#
    );
    let loaded = load(&text);
    let spec = traffic(&loaded);
    // Per second in the file, per hour inside: 2/s = 7,200/h and 20/s = 72,000/h.
    match &spec.arrivals {
        RequestArrivals::Poisson(PoissonRequests::Mmpp(m)) => {
            assert_eq!(m.rates_per_hour, [7_200.0, 72_000.0]);
            assert_eq!(m.mean_sojourn_s, [5.0, 1.0]);
        }
        other => panic!("not an MMPP: {other:?}"),
    }
    // Long run: (r1 m1 + r2 m2) / (m1 + m2) = (2 x 5 + 20 x 1) / 6 = 30 / 6 = 5 per second.
    // Counts of an MMPP are overdispersed; with leaving rates s0 = 1/5, s1 = 1 per second the
    // index of dispersion is 1 + 2 s0 s1 (r1 - r2)^2 / ((s0 + s1)^2 (r1 s1 + r2 s0))
    //   = 1 + 2 x 0.2 x 324 / (1.44 x (2 + 4)) = 1 + 129.6 / 8.64 = 16.
    // Over 1,000,000 s: mean 5,000,000, sd sqrt(16 x 5,000,000) = 8,944. Allow 4 sd (35,777):
    // the unweighted mean of the rates (11/s) or the wrong weighting (17/s) are far outside.
    let n = times(spec, 11, from_secs_f64(1_000_000.0)).len() as f64;
    assert!((n - 5_000_000.0).abs() < 4.0 * 8_944.0, "{n}");
}

#[test]
fn mmpp_state_changes_have_their_own_stream() {
    // Same gap stream, different state stream: the requests differ (bursts move), which they
    // could not if the state changes were drawn from the gap stream.
    let text = format!(
        r#"{ENDPOINT}
[[traffic]]
name = "bursty"
endpoint = "scorer"
arrivals = {{ process = "mmpp", rates_per_minute = [60, 600], mean_sojourn = ["1m", "10s"] }}
service_time = {{ dist = "exponential", mean = "50ms" }}
"#
    );
    let loaded = load(&text);
    let spec = traffic(&loaded);
    let gaps = || stream(11, 0, &requests_purpose("bursty"));
    let draw = |state_seed: u64| {
        let mut s = RequestSource::with_states(&spec.arrivals, gaps(), stream(state_seed, 0, "x"));
        (0..200)
            .map(|_| s.next_arrival().unwrap().time)
            .collect::<Vec<_>>()
    };
    assert_ne!(draw(1), draw(2));
    // And the default state stream depends on the traffic's name only: another endpoint size
    // or count leaves the requests as they were.
    let other = load(&text.replace("instance_count = 3", "instance_count = 7"));
    let horizon = from_secs_f64(3600.0);
    assert_eq!(
        times(spec, 11, horizon),
        times(traffic(&other), 11, horizon)
    );
}

#[test]
fn poisson_requests_are_unchanged() {
    // The generator Poisson traffic used before MMPP traffic existed: the workloads' ArrivalGen
    // on the traffic's arrivals stream. The same seed must give the same requests, to the tick.
    let text = format!(
        r#"{ENDPOINT}
[[traffic]]
name = "steady"
endpoint = "scorer"
arrivals = {{ process = "poisson", rate_per_second = 20.0 }}
service_time = {{ dist = "exponential", mean = "50ms" }}
"#
    );
    let loaded = load(&text);
    let spec = traffic(&loaded);
    let RequestArrivals::Poisson(PoissonRequests::Profiled(p)) = &spec.arrivals else {
        panic!("not a plain Poisson process: {:?}", spec.arrivals);
    };
    assert_eq!(p.rate_per_hour, 72_000.0);
    let horizon = from_secs_f64(3600.0);
    let mut before = ArrivalGen::new(p.clone(), stream(11, 0, &requests_purpose("steady")));
    let expected: Vec<SimTime> = std::iter::from_fn(|| before.next_arrival())
        .take_while(|&t| t <= horizon)
        .collect();
    let got = times(spec, 11, horizon);
    assert_eq!(got, expected);
    // 20/s for an hour: 72,000 ± 4 x 268.
    assert!(
        (got.len() as f64 - 72_000.0).abs() < 4.0 * 268.4,
        "{}",
        got.len()
    );
}

#[test]
fn mmpp_traffic_keys_are_checked() {
    let base = |arrivals: &str| {
        format!(
            "{ENDPOINT}\n[[traffic]]\nname = \"t\"\nendpoint = \"scorer\"\narrivals = {arrivals}\nservice_time = {{ dist = \"exponential\", mean = \"50ms\" }}\n"
        )
    };
    // The [[traffic]] table starts on line 9 of the text; arrivals is line 12.
    let e = errors(&base(
        r#"{ process = "mmpp", rates_per_second = [2, 20], rates_per_hour = [1, 2], mean_sojourn = ["5s", "1s"] }"#,
    ));
    assert!(
        on(&e, "traffic.t.arrivals.rates_per_second", 12)
            .message
            .contains("only one")
    );
    let e = errors(&base(
        r#"{ process = "mmpp", rates_per_second = [2, 20, 3], mean_sojourn = ["5s", "1s"] }"#,
    ));
    assert!(
        on(&e, "traffic.t.arrivals.rates_per_second", 12)
            .message
            .contains("got 3")
    );
    let e = errors(&base(
        r#"{ process = "mmpp", rates_per_second = [0, 0], mean_sojourn = ["5s", "1s"] }"#,
    ));
    assert!(
        on(&e, "traffic.t.arrivals.rates_per_second", 12)
            .message
            .contains("zero")
    );
    let e = errors(&base(
        r#"{ process = "mmpp", rates_per_second = [2, -1], mean_sojourn = ["5s", "1s"] }"#,
    ));
    on(&e, "traffic.t.arrivals.rates_per_second[1]", 12);
    let e = errors(&base(r#"{ process = "mmpp", rates_per_second = [2, 20] }"#));
    on(&e, "traffic.t.arrivals.mean_sojourn", 12);
    let e = errors(&base(
        r#"{ process = "poisson", rate_per_second = 2, rates_per_second = [2, 20] }"#,
    ));
    assert!(
        on(&e, "traffic.t.arrivals.rates_per_second", 12)
            .message
            .contains("mmpp")
    );
}

fn profiled(mcr: u32, rows: &str) -> String {
    format!(
        r#"{ENDPOINT}request_settings = {{ max_concurrent_requests_per_instance = {mcr} }}
[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = {{ process = "poisson", rate_per_second = 20.0 }}
latency_profile = [
{rows}]
"#
    )
}

/// The issue's two rows: concurrency 1 (80, 150 ms) and 4 (120, 300 ms) on Standard_F4s_v2.
const ROWS: &str = r#"  { size = "Standard_F4s_v2", concurrency = 1, p50_ms = 80, p95_ms = 150 },
  { size = "Standard_F4s_v2", concurrency = 4, p50_ms = 120, p95_ms = 300 },
  { size = "Standard_F8s_v2", concurrency = 1, p50_ms = 50, p95_ms = 90 },
"#;

#[test]
fn profile_is_interpolated_at_the_deployments_concurrency() {
    // At 2: a third of the way from 1 to 4. p50 = 80 + (120 - 80)/3 = 93.33 ms,
    // p95 = 150 + (300 - 150)/3 = 200 ms.
    let loaded = load(&profiled(2, ROWS));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(
        traffic(&loaded).service_description,
        "latency profile of Standard_F4s_v2 at concurrency 2 (interpolated between 1 and 4): lognormal p50 93.33 ms, p95 200 ms"
    );
    // At 3: two thirds. p50 = 80 + 2 x 40/3 = 106.67 ms, p95 = 150 + 2 x 150/3 = 250 ms.
    let loaded = load(&profiled(3, ROWS));
    assert!(
        traffic(&loaded)
            .service_description
            .ends_with("lognormal p50 106.67 ms, p95 250 ms"),
        "{}",
        traffic(&loaded).service_description
    );
    // At 4: the measured row as it is.
    let loaded = load(&profiled(4, ROWS));
    assert_eq!(
        traffic(&loaded).service_description,
        "latency profile of Standard_F4s_v2 at concurrency 4 (measured): lognormal p50 120 ms, p95 300 ms"
    );
    // Mean of the service time: a log-normal's mean is p50 x exp(sigma^2 / 2); at 4,
    // sigma = ln(300/120)/1.6449 = 0.55706, so 120 x exp(0.155158) = 140.14 ms.
    let mean_ms = {
        let mut rng = stream(3, 0, "mean");
        let capsim::workload::requests::ServiceModel::Dist(s) = &traffic(&loaded).service else {
            panic!("a distribution");
        };
        let n = 200_000;
        (0..n).map(|_| to_secs_f64(s.sample(&mut rng))).sum::<f64>() / n as f64 * 1000.0
    };
    // sd of one draw = mean x sqrt(exp(sigma^2) - 1) = 140.14 x 0.5997 = 84.0 ms; of the mean
    // of 200,000 draws 0.188 ms. Allow 4 sd.
    assert!((mean_ms - 140.14).abs() < 4.0 * 0.188, "{mean_ms}");
}

#[test]
fn outside_the_measured_range_the_nearest_row_stands_in_with_a_warning() {
    // 8 in flight, rows up to 4: the row at 4 is used unchanged.
    let loaded = load(&profiled(8, ROWS));
    let w = on(&loaded.warnings, "traffic.requests.latency_profile", 13);
    assert!(
        w.message.contains("extrapolation is not measured data"),
        "{w}"
    );
    assert!(w.message.contains("the row at 4"), "{w}");
    assert!(
        traffic(&loaded).service_description.ends_with(
            "(outside the measured 1 to 4: the row at 4 is used): lognormal p50 120 ms, p95 300 ms"
        ),
        "{}",
        traffic(&loaded).service_description
    );
}

#[test]
fn fitted_lognormal_has_the_profiles_quantiles() {
    let rows = [
        LatencyRow {
            size: "Standard_F4s_v2".into(),
            concurrency: 1,
            p50_ms: 80.0,
            p95_ms: 150.0,
        },
        LatencyRow {
            size: "Standard_F4s_v2".into(),
            concurrency: 4,
            p50_ms: 120.0,
            p95_ms: 300.0,
        },
    ];
    let p = latency_at(&rows, "standard_f4s_v2", 2).expect("rows for the size");
    assert_eq!(p.fit, ProfileFit::Interpolated { below: 1, above: 4 });
    assert!((p.p50_ms - 280.0 / 3.0).abs() < 1e-9 && (p.p95_ms - 200.0).abs() < 1e-9);
    assert!(latency_at(&rows, "Standard_F8s_v2", 2).is_none());
    // Closed form: sigma = ln(200 / 93.333)/1.6449 = 0.463348; p99 = 93.333 x
    // exp(2.326348 x 0.463348) = 274.263 ms.
    assert!((p.quantile_ms(0.5) - 93.3333).abs() < 1e-3);
    assert!((p.quantile_ms(0.95) - 200.0).abs() < 1e-3);
    assert!(
        (p.quantile_ms(0.99) - 274.263).abs() < 1e-2,
        "{}",
        p.quantile_ms(0.99)
    );
    // 200,000 draws: the sample median's sd is p50 x sigma x sqrt(2 pi) / (2 sqrt(n)) = 0.13%,
    // the sample p95's about 0.22%, so 1% is over 4 sd for both.
    let s = p.sampler();
    let mut rng = stream(5, 0, "lognormal-check");
    let mut v: Vec<f64> = (0..200_000)
        .map(|_| to_secs_f64(s.sample(&mut rng)) * 1000.0)
        .collect();
    v.sort_by(f64::total_cmp);
    let q = |x: f64| v[(x * v.len() as f64) as usize];
    assert!((q(0.5) / 93.3333 - 1.0).abs() < 0.01, "p50 {}", q(0.5));
    assert!((q(0.95) / 200.0 - 1.0).abs() < 0.01, "p95 {}", q(0.95));
}

#[test]
fn bad_profiles_are_errors_naming_the_field() {
    // Lines: the traffic table starts on line 9, latency_profile on 13, its rows from 14.
    let e = errors(&profiled(
        2,
        r#"  { size = "Standard_F8s_v2", concurrency = 1, p50_ms = 50, p95_ms = 90 },
  { size = "Standard_F16s_v2", concurrency = 1, p50_ms = 40, p95_ms = 70 },
"#,
    ));
    let d = on(&e, "traffic.requests.latency_profile", 13);
    assert!(
        d.message.contains("no latency profile for this size"),
        "{d}"
    );
    assert!(d.message.contains("Standard_F4s_v2"), "{d}");
    let hint = d.hint.as_deref().unwrap_or("");
    assert!(hint.contains("Standard_F8s_v2, Standard_F16s_v2"), "{d}");

    let e = errors(&profiled(
        2,
        r#"  { size = "Standard_F4s_v2", concurrency = 1, p50_ms = 80, p95_ms = 150 },
  { size = "Standard_F4s_v2", concurrency = 4, p50_ms = 120, p95_ms = 100 },
"#,
    ));
    let d = on(&e, "traffic.requests.latency_profile[1].p95_ms", 15);
    assert!(d.message.contains("at least p50_ms (120 ms)"), "{d}");

    let e = errors(&profiled(
        2,
        r#"  { size = "Standard_F4s_v2", concurrency = 0, p50_ms = 80, p95_ms = 150 },
"#,
    ));
    on(&e, "traffic.requests.latency_profile[0].concurrency", 14);

    let e = errors(&profiled(
        2,
        r#"  { size = "Standard_F4s_v2", concurrency = 1, p50_ms = 80, p95_ms = 150 },
  { size = "Standard_F4s_v2", concurrency = 1, p50_ms = 90, p95_ms = 160 },
"#,
    ));
    assert!(
        on(&e, "traffic.requests.latency_profile[1].concurrency", 15)
            .message
            .contains("twice")
    );

    // Another service-time model beside the profile.
    let text = profiled(2, ROWS).replace(
        "latency_profile = [",
        "service_time = { dist = \"exponential\", mean = \"50ms\" }\nlatency_profile = [",
    );
    let e = errors(&text);
    assert!(
        on(&e, "traffic.requests.latency_profile", 14)
            .message
            .contains("one service-time model")
    );
}

#[test]
fn profile_from_a_csv_file() {
    let (dir, _) = write_temp(
        "lp.csv",
        "size,concurrency,p50_ms,p95_ms\nStandard_F4s_v2,1,80,150\nStandard_F4s_v2,4,120,300\n",
    );
    let text = profiled(2, "").replace(
        "latency_profile = [\n]",
        "latency_profile_file = \"lp.csv\"",
    );
    let path = dir.path().join("s.toml");
    let loaded = capsim::scenario::parse_with(&path, &text, &crate::support::options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        traffic(&loaded)
            .service_description
            .ends_with("(interpolated between 1 and 4): lognormal p50 93.33 ms, p95 200 ms"),
        "{}",
        traffic(&loaded).service_description
    );
    // A bad row is reported with the file's line.
    std::fs::write(
        dir.path().join("lp.csv"),
        "size,concurrency,p50_ms,p95_ms\nStandard_F4s_v2,1,80,150\nStandard_F4s_v2,4,120,100\n",
    )
    .unwrap();
    let Err(LoadError::Invalid { errors, .. }) =
        capsim::scenario::parse_with(&path, &text, &crate::support::options())
    else {
        panic!("expected an error");
    };
    let d = on(&errors, "traffic.requests.latency_profile_file.p95_ms", 13);
    assert!(d.message.contains("lp.csv:3:"), "{d}");
}
