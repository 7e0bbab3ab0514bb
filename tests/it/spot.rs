//! Low priority as Spot from 31 March 2026: eviction by default, evicted nodes billed until they
//! are gone, the Spot price as a risk, the paired comparison with the same cluster dedicated,
//! and the old fixed-price model kept for earlier dates.

use crate::support::{
    MAX_EVENTS, advance, capsim, csv_records, job, load, options, run, s, write_temp,
};
use capsim::engine::{EventQueue, Sampler, stream};
use capsim::scenario::LoadOptions;
use capsim::targets::{
    Cluster, ClusterEvent, ClusterSpec, Fraction, PricePath, SpotPriceModel, SpotPricing,
    TargetKind, Tier,
};
use std::sync::Arc;

/// One node at most, provisioning 100 s, idle time 120 s, $3.60 an hour; every node is taken
/// back 1000 s after it was requested and stays billed `eviction_s` after that.
fn spec(eviction_s: u64) -> ClusterSpec {
    ClusterSpec {
        size: "Standard_NC4as_T4_v3".into(),
        min_instances: 0,
        max_instances: 1,
        idle_time_before_scale_down: Some(s(120)),
        tier: Tier::LowPriority,
        provisioning_time: Sampler::constant_s(100.0),
        backfill: false,
        price_usd_per_hour: 3.6,
        preemption: Some(Sampler::constant_s(1000.0)),
        checkpoint_interval: None,
        eviction_time: s(eviction_s),
        spot: None,
    }
}

fn run_one(
    spec: ClusterSpec,
    path: Option<PricePath>,
    horizon_s: u64,
) -> capsim::targets::ClusterReport {
    let mut q: EventQueue<ClusterEvent> = EventQueue::new();
    let mut c = Cluster::new(spec, stream(1, 0, "t"), 0, s(horizon_s));
    if let Some(p) = path {
        c.set_price_path(p);
    }
    c.arm_initial(&mut q);
    c.submit(0, job(0, 2000, 1), &mut q);
    advance(&mut c, &mut q, s(horizon_s), MAX_EVENTS);
    c.finish(s(horizon_s))
}

#[test]
fn an_evicted_node_is_billed_until_it_is_gone() {
    // A job of 2000 s at t=0, no checkpoints; eviction takes 30 s, and the evicting node holds
    // the cluster's one place until it is gone.
    //   A: requested 0, ready 100, runs the job 100..1000; evicted at 1000 (900 s lost), billed
    //      while it goes, 1000..1030. Its replacement B is requested when it is gone, at 1030.
    //   B: ready 1130, runs the job 1130..2030; evicted at 2030 (900 s lost), billed 2030..2060.
    //   C: requested 2060, ready 2160, runs the job 2160..2500 (the horizon).
    // Billed node-seconds: provisioning 3 x 100 + busy 900 + 900 + 340 + evicting 2 x 30 = 2500.
    let r = run_one(spec(30), None, 2500);
    assert_eq!(r.preemptions, 2);
    assert_eq!(r.lost_area, s(1800) as u128);
    assert_eq!(r.provisioning_area, s(300) as u128);
    assert_eq!(r.busy_area, s(2140) as u128);
    assert_eq!(r.evicting_area, s(60) as u128);
    assert_eq!(r.idle_area, 0);
    assert_eq!(r.nodes_requested, 3);
    assert_eq!(
        r.peak_nodes, 1,
        "the evicting node holds its place against max_instances"
    );
    let v = capsim::metrics::values(&capsim::targets::TargetReport::Cluster(r));
    use capsim::metrics::M;
    // 2500 node-s at $3.60 an hour = $2.50.
    assert!((v[M::cost as usize] - 2.5).abs() < 1e-12);
    assert!((v[M::node_hours as usize] - 2500.0 / 3600.0).abs() < 1e-12);
    assert!((v[M::evicting_node_hours as usize] - 60.0 / 3600.0).abs() < 1e-12);
    // Before Spot (no eviction time) the same timeline bills 2500 node-s.
    let old = run_one(spec(0), None, 2500);
    assert_eq!(old.evicting_area, 0);
    assert_eq!(
        old.busy_area + old.idle_area + old.provisioning_area,
        s(2500) as u128
    );
}

#[test]
fn a_variable_price_bills_each_node_second_at_the_price_that_held() {
    // The timeline above, the price $3.60 an hour until 1015 s and $7.20 after. One node is
    // allocated all along (A on [0, 1030), B on [1030, 2060), C on [2060, 2500)): 1015 node-s
    // at $3.60 and 1485 at $7.20. Cost = (1015 x 3.6 + 1485 x 7.2) / 3600 = $3.985.
    let mut sp = spec(30);
    sp.spot = Some(Arc::new(SpotPricing {
        payg_usd_per_hour: 7.2,
        model: SpotPriceModel::Fraction {
            fraction: Fraction::Constant(0.5),
            period: None,
            correlation: 0.0,
        },
    }));
    let path = PricePath::from_steps(vec![(0, 3.6), (s(1015), 7.2)]);
    let r = run_one(sp, Some(path), 2500);
    let spot = r.spot.clone().expect("a Spot cluster reports its bill");
    assert!(
        (spot.node_cost_usd - 3.985).abs() < 1e-9,
        "{}",
        spot.node_cost_usd
    );
    let v = capsim::metrics::values(&capsim::targets::TargetReport::Cluster(r));
    use capsim::metrics::M;
    assert!((v[M::cost as usize] - 3.985).abs() < 1e-9);
    // The mean price paid: $3.985 over 2500 node-s.
    let paid = 3.985 / (2500.0 / 3600.0);
    assert!((v[M::spot_price_paid as usize] - paid).abs() < 1e-9);
}

fn scenario(start_date: &str, extra: &str) -> String {
    format!(
        r#"
name = "spot"
horizon = "2d"
start_date = {start_date}

[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D4s_v3"
tier = "low_priority"
max_instances = 2
{extra}

[[workload]]
name = "w"
compute = "c"
arrivals = {{ process = "poisson", rate_per_hour = 1.0 }}
duration = {{ dist = "constant", value = "10m" }}
"#
    )
}

fn cluster_spec(text: &str) -> (ClusterSpec, String, Vec<String>) {
    let loaded = load(text);
    let t = &loaded.scenario.system.targets[0];
    let TargetKind::Cluster { spec, .. } = &t.kind else {
        panic!("a cluster")
    };
    let warnings = loaded.warnings.iter().map(|w| w.field.clone()).collect();
    (spec.clone(), t.price_source.clone(), warnings)
}

#[test]
fn low_priority_is_spot_from_31_march_2026_and_fixed_price_before() {
    // The day before: the fixed low-priority price of the catalog (D4s_v3: $0.023232, the Spot
    // price of 2024-09), no eviction unless asked, nothing billed after an eviction, no warning.
    let (before, source, warnings) = cluster_spec(&scenario("2026-03-30", ""));
    assert!(before.preemption.is_none());
    assert_eq!(before.eviction_time, 0);
    assert!(before.spot.is_none());
    assert_eq!(before.price_usd_per_hour, 0.023232);
    assert!(
        source.starts_with("catalog spot price as low-priority price"),
        "{source}"
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    // The day itself: evictions at 5% an hour (mean life 3600 / -ln 0.95 s), 30 s billed after
    // each, the price a risk around the catalog's Spot fraction, capped at pay-as-you-go
    // ($0.192), and a warning for each default relied on.
    let (on, source, warnings) = cluster_spec(&scenario("2026-03-31", ""));
    let mean = on
        .preemption
        .as_ref()
        .expect("eviction on by default")
        .mean_s();
    assert!((mean - 3600.0 / -(0.95f64).ln()).abs() < 1e-6, "{mean}");
    assert_eq!(on.eviction_time, s(30));
    let sp = on.spot.as_ref().expect("Spot pricing");
    assert_eq!(sp.payg_usd_per_hour, 0.192);
    let SpotPriceModel::Fraction {
        fraction,
        period: None,
        ..
    } = &sp.model
    else {
        panic!("drawn per replication by default: {:?}", sp.model)
    };
    let Fraction::LogNormal { mu, .. } = fraction else {
        panic!("{fraction:?}")
    };
    assert!(
        (mu.exp() - 0.023232 / 0.192).abs() < 1e-12,
        "median {}",
        mu.exp()
    );
    assert!(
        source.starts_with("Spot (low priority from 2026-03-31)"),
        "{source}"
    );
    assert_eq!(warnings, ["compute.c.preemption", "compute.c.spot_price"]);
    // Given, neither default warns.
    let (given, _, warnings) = cluster_spec(&scenario(
        "2026-05-01",
        "preemption = { probability_per_hour = 0.1, eviction_time = \"2m\" }\nspot_price = { fraction = 0.25 }",
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(given.eviction_time, s(120));
    assert!((given.price_usd_per_hour - 0.048).abs() < 1e-12);
}

/// Runs `text` with the binary; the cluster's summary row.
fn summary(text: &str) -> std::collections::HashMap<String, String> {
    let (dir, path) = write_temp("s.toml", text);
    let out = dir.path().join("out");
    let r = run(capsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .arg("-q"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    csv_records(&out.join("summary.csv")).remove(0)
}

fn num(row: &std::collections::HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = `{}`", row[col]))
}

#[test]
fn a_2025_replay_keeps_the_fixed_price_model() {
    // Same file, 2025: cost is node time at the fixed price, no eviction, no Spot columns.
    let row = summary(&scenario("2025-06-01", ""));
    let cost = num(&row, "cost_usd");
    let hours = num(&row, "node_hours");
    assert!((cost - hours * 0.023232).abs() < 1e-5, "{cost} vs {hours}");
    assert_eq!(num(&row, "preemptions"), 0.0);
    assert_eq!(num(&row, "evicting_node_hours"), 0.0);
    for col in [
        "spot_price_paid_usd_per_hour",
        "dedicated_cost_usd",
        "costs_more_than_dedicated",
    ] {
        assert_eq!(row[col], "", "{col}");
    }
}

/// Two nodes always allocated (min = max), 10 days, evictions practically never: node time is
/// 480 node-hours in every replication, so the cost is 480 x $0.192 x the replication's fraction.
fn constant_load(fraction: &str) -> String {
    format!(
        r#"
name = "constant"
horizon = "10d"
replications = 400
seed = 7
start_date = 2026-06-01

[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D4s_v3"
tier = "low_priority"
min_instances = 2
max_instances = 2
preemption = {{ mean_time_between = "3000000d" }}
spot_price = {{ fraction = {fraction} }}

[[workload]]
name = "w"
compute = "c"
arrivals = {{ process = "poisson", rate_per_hour = 0.01 }}
duration = {{ dist = "constant", value = "1m" }}
"#
    )
}

#[test]
fn price_risk_widens_the_cost_interval_by_its_closed_form() {
    let node_hours = 480.0;
    let payg = 0.192;
    // Fixed fraction: every replication costs 480 x 0.192 x 0.3 = $27.648; no interval.
    let fixed = summary(&constant_load("0.3"));
    assert!((num(&fixed, "node_hours") - node_hours).abs() < 1e-6);
    assert!((num(&fixed, "cost_usd") - node_hours * payg * 0.3).abs() < 1e-6);
    assert!(num(&fixed, "cost_usd_ci95").abs() < 1e-9);
    // Fraction ~ uniform(0.1, 0.5) per replication: E[cost] = 92.16 x 0.3 = 27.648, and
    // sd = 92.16 x 0.4 / sqrt(12) = 10.64; the half-width of the 95% interval of the mean over
    // 400 replications is t(399) x sd / 20.
    let risky = summary(&constant_load(
        "{ dist = \"uniform\", low = 0.1, high = 0.5 }",
    ));
    let scale = node_hours * payg;
    let (mean, sd) = (scale * 0.3, scale * 0.4 / 12f64.sqrt());
    let se = sd / 20.0;
    let got = num(&risky, "cost_usd");
    assert!(
        (got - mean).abs() < 4.0 * se,
        "mean {got} vs {mean} (se {se})"
    );
    let half = num(&risky, "cost_usd_ci95");
    let want = 1.966 * se;
    assert!((half / want - 1.0).abs() < 0.15, "ci95 {half} vs {want}");
}

#[test]
fn the_probability_of_costing_more_than_dedicated_is_paired_on_the_same_jobs() {
    let text = |fraction: &str, rate: &str| {
        scenario(
            "2026-06-01",
            &format!(
                "preemption = {{ probability_per_hour = {rate} }}\nspot_price = {{ fraction = {fraction} }}"
            ),
        )
        .replace("horizon = \"2d\"", "horizon = \"2d\"\nreplications = 8")
    };
    // At the pay-as-you-go price, with frequent evictions, low priority pays for lost work and
    // re-provisioning on top of the dedicated twin's node time: it costs more every time.
    let dear = summary(&text("1.0", "0.3"));
    assert_eq!(num(&dear, "costs_more_than_dedicated"), 1.0);
    assert!(num(&dear, "cost_usd") > num(&dear, "dedicated_cost_usd"));
    // At a tenth of it with rare evictions, never.
    let cheap = summary(&text("0.1", "0.001"));
    assert_eq!(num(&cheap, "costs_more_than_dedicated"), 0.0);
    // The twin is the same cluster dedicated on the same jobs: its cost is its node time at
    // pay-as-you-go, and it ran the same arrivals.
    assert_eq!(cheap["jobs_arrived"], dear["jobs_arrived"]);
}

#[test]
fn a_target_names_its_region_and_prices_are_per_region() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.csv");
    std::fs::write(
        &prices,
        "size,region,price_usd_per_hour,spot_price_usd_per_hour\n\
         Standard_D4s_v3,eastus,0.192,0.0232\n\
         Standard_D4s_v3,westeurope,0.23,0.046\n",
    )
    .unwrap();
    let opts = LoadOptions {
        prices_file: Some(prices),
        ..options()
    };
    let text = scenario("2026-06-01", "region = \"West Europe\"");
    let loaded = capsim::scenario::parse_with(std::path::Path::new("s.toml"), &text, &opts)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let TargetKind::Cluster { spec, .. } = &loaded.scenario.system.targets[0].kind else {
        panic!()
    };
    let sp = spec.spot.as_ref().unwrap();
    assert_eq!(sp.payg_usd_per_hour, 0.23);
    let SpotPriceModel::Fraction {
        fraction: Fraction::LogNormal { mu, .. },
        ..
    } = &sp.model
    else {
        panic!()
    };
    assert!((mu.exp() - 0.2).abs() < 1e-12, "0.046 / 0.23");
}
