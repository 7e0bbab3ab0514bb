//! Bad `[[endpoint]]` and `[[traffic]]` input: each problem is reported with file, line, column
//! and field, never a panic.

use crate::support::{errors, load, on};
use capsim::scenario::{Diagnostic, Severity};
use std::path::Path;

const GOOD_ENDPOINT: &str = r#"horizon = "1h"
[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 3
"#;

const GOOD_TRAFFIC: &str = r#"
[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_second = 20.0 }
service_time = { dist = "exponential", mean = "200ms" }
"#;

fn warnings(text: &str) -> Vec<Diagnostic> {
    load(text).warnings
}

/// The one diagnostic on `field`, at `line`, in the file it was loaded as.
fn find<'a>(diags: &'a [Diagnostic], field: &str, line: usize) -> &'a Diagnostic {
    let d = on(diags, field, line);
    assert_eq!(
        d.file,
        Path::new(if d.severity == Severity::Error {
            "bad.toml"
        } else {
            "ok.toml"
        })
    );
    d
}

#[test]
fn the_issue_example_runs_as_written() {
    let text = format!("{GOOD_ENDPOINT}{GOOD_TRAFFIC}");
    let loaded = load(&text);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(
        loaded.scenario.system.targets[0].type_name(),
        "managed_online"
    );
    assert_eq!(loaded.scenario.system.traffic.len(), 1);
}

#[test]
fn unknown_instance_type_is_located() {
    let text = format!(
        "{}{GOOD_TRAFFIC}",
        GOOD_ENDPOINT.replace("Standard_F4s_v2", "Standard_F4s_v9")
    );
    let e = errors(&text);
    let d = find(&e, "endpoint.scorer.instance_type", 5);
    assert!(
        d.message.contains("unknown VM size `Standard_F4s_v9`"),
        "{d}"
    );
    assert!(
        d.hint.as_deref().unwrap_or("").contains("Standard_F4s_v2"),
        "{d}"
    );
}

#[test]
fn more_than_fifty_instances_is_an_error() {
    let text = format!(
        "{}{GOOD_TRAFFIC}",
        GOOD_ENDPOINT.replace("instance_count = 3", "instance_count = 60")
    );
    let e = errors(&text);
    let d = find(&e, "endpoint.scorer.instance_count", 6);
    assert!(d.message.contains("at most 50"), "{d}");
}

#[test]
fn max_queue_wait_is_accepted_with_a_warning() {
    let text =
        format!("{GOOD_ENDPOINT}request_settings = {{ max_queue_wait_ms = 500 }}\n{GOOD_TRAFFIC}");
    let w = warnings(&text);
    let d = find(&w, "endpoint.scorer.request_settings.max_queue_wait_ms", 7);
    assert!(d.message.contains("deprecated"), "{d}");
}

#[test]
fn timeout_above_azure_maximum_is_an_error() {
    let text = format!(
        "{GOOD_ENDPOINT}request_settings = {{ request_timeout_ms = 200000 }}\n{GOOD_TRAFFIC}"
    );
    let e = errors(&text);
    find(&e, "endpoint.scorer.request_settings.request_timeout_ms", 7);
}

#[test]
fn autoscale_window_outside_azure_range_is_an_error() {
    let text = format!(
        r#"{GOOD_ENDPOINT}
[endpoint.autoscale]
min = 1
max = 4
rules = [
  {{ metric = "CpuUtilizationPercentage", operator = ">", threshold = 70, time_window = "2m", direction = "increase" }},
  {{ metric = "RequestLatency", statistic = "p97", operator = ">", threshold = 70, direction = "increase" }},
]
{GOOD_TRAFFIC}"#
    );
    let e = errors(&text);
    let d = find(&e, "endpoint.scorer.autoscale.rules[0].time_window", 12);
    assert!(d.message.contains("5m to 12h"), "{d}");
    let d = find(&e, "endpoint.scorer.autoscale.rules[1].statistic", 13);
    assert!(d.hint.as_deref().unwrap_or("").contains("p95"), "{d}");
}

#[test]
fn autoscale_max_below_min_and_over_the_limit() {
    let text = format!("{GOOD_ENDPOINT}autoscale = {{ min = 4, max = 2 }}\n{GOOD_TRAFFIC}");
    let e = errors(&text);
    find(&e, "endpoint.scorer.autoscale.max", 7);
    let text = format!("{GOOD_ENDPOINT}autoscale = {{ min = 1, max = 80 }}\n{GOOD_TRAFFIC}");
    let e = errors(&text);
    find(&e, "endpoint.scorer.autoscale.max", 7);
}

#[test]
fn a_typo_in_a_rule_is_an_unknown_key_with_a_suggestion() {
    let text = format!(
        "{GOOD_ENDPOINT}autoscale = {{ min = 1, max = 4, rules = [{{ metric = \"RequestsPerMinute\", operator = \">\", treshold = 5, direction = \"out\" }}] }}\n{GOOD_TRAFFIC}"
    );
    let e = errors(&text);
    let d = e
        .iter()
        .find(|d| d.message.contains("unknown field `treshold`"))
        .unwrap_or_else(|| panic!("{e:#?}"));
    assert_eq!(d.line, 7);
    assert!(d.field.starts_with("endpoint"), "{d}");
    assert_eq!(d.hint.as_deref(), Some("did you mean `threshold`?"));
}

#[test]
fn traffic_to_an_unknown_endpoint() {
    let text = format!(
        "{GOOD_ENDPOINT}{}",
        GOOD_TRAFFIC.replace("endpoint = \"scorer\"", "endpoint = \"scorrer\"")
    );
    let e = errors(&text);
    let d = find(&e, "traffic.requests.endpoint", 10);
    assert!(d.hint.as_deref().unwrap_or("").contains("scorer"), "{d}");
}

#[test]
fn an_online_endpoint_retyped_as_batch_says_what_a_batch_deployment_needs() {
    // Batch deployments are simulated now: the online fields and service times are refused
    // where they stand, and the cluster to run on is asked for.
    let text = format!(
        "{}{GOOD_TRAFFIC}",
        GOOD_ENDPOINT.replace("managed_online", "batch")
    );
    let e = errors(&text);
    find(&e, "endpoint.scorer.compute", 3);
    let d = find(&e, "endpoint.scorer.instance_type", 5);
    assert!(
        d.message.contains("does not apply to a batch endpoint"),
        "{d}"
    );
    let d = find(&e, "traffic.requests.service_time", 12);
    assert!(d.message.contains("batch endpoint"), "{d}");
}

#[test]
fn quota_counts_the_twenty_percent_upgrade_reserve() {
    // Standard_F4s_v2 has 4 vCPUs; quota 48 vCPUs.
    // 10 instances: ceil(1.2 x 10) = 12 x 4 = 48 → fits.
    // 11 instances: 44 vCPUs fit, but ceil(13.2) = 14 x 4 = 56 with the reserve → warning.
    // 13 instances: 52 vCPUs do not fit at all → error.
    let with = |n: u32| {
        format!(
            "quota = {{ FSv2 = 48 }}\n{}{GOOD_TRAFFIC}",
            GOOD_ENDPOINT.replace("instance_count = 3", &format!("instance_count = {n}"))
        )
    };
    assert!(warnings(&with(10)).is_empty());
    let w = warnings(&with(11));
    let d = find(&w, "endpoint.scorer.instance_count", 7);
    assert!(d.message.contains("56 vCPUs"), "{d}");
    let e = errors(&with(13));
    find(&e, "endpoint.scorer.instance_count", 7);
}

#[test]
fn token_model_needs_a_trace_and_sizes_need_a_service_time() {
    let text = format!(
        "{GOOD_ENDPOINT}{}token_model = {{ base_ms = 10, per_input_token_ms = 0.1, per_output_token_ms = 20 }}\n",
        GOOD_TRAFFIC.replace(
            "service_time = { dist = \"exponential\", mean = \"200ms\" }\n",
            ""
        )
    );
    let e = errors(&text);
    find(&e, "traffic.requests.token_model", 12);

    let text = format!(
        "{GOOD_ENDPOINT}{}service_time_by_size = {{ \"Standard_F8s_v2\" = {{ dist = \"constant\", value = \"50ms\" }} }}\n",
        GOOD_TRAFFIC.replace(
            "service_time = { dist = \"exponential\", mean = \"200ms\" }\n",
            ""
        )
    );
    let e = errors(&text);
    let d = find(&e, "traffic.requests.service_time_by_size", 12);
    assert!(d.message.contains("Standard_F4s_v2"), "{d}");
}

#[test]
fn an_endpoint_only_scenario_needs_no_compute() {
    let text = format!("{GOOD_ENDPOINT}{GOOD_TRAFFIC}");
    let loaded = load(&text);
    let r = capsim::sweep::run(&loaded.scenario, 1, None).unwrap();
    assert_eq!(r.rows.len(), 10);
}

#[test]
fn aci_limits_are_checked_with_clear_messages() {
    let aci = |extra: &str| {
        format!(
            "horizon = \"1h\"\n[[endpoint]]\nname = \"dev\"\ntype = \"aci\"\n{extra}\n{}",
            GOOD_TRAFFIC.replace("\"scorer\"", "\"dev\"")
        )
    };
    // A valid ACI deployment loads, with a dev/test warning on its type.
    let w = warnings(&aci("cpu_cores = 1\nmemory_gib = 2\nmodel_size_gib = 0.5"));
    let d = find(&w, "endpoint.dev.type", 4);
    assert!(d.message.contains("development and testing only"), "{d}");
    let e = errors(&aci("memory_gib = 64"));
    let d = find(&e, "endpoint.dev.memory_gib", 5);
    assert!(d.message.contains("under 48 GB"), "{d}");
    let e = errors(&aci("gpus = 1"));
    let d = find(&e, "endpoint.dev.gpus", 5);
    assert!(d.message.contains("CPU only"), "{d}");
    let e = errors(&aci("model_size_gib = 2.5"));
    let d = find(&e, "endpoint.dev.model_size_gib", 5);
    assert!(d.message.contains("up to 1 GB"), "{d}");
    let e = errors(&aci("instance_count = 3"));
    find(&e, "endpoint.dev.instance_count", 5);
    // And a local deployment costs nothing.
    let text = aci("").replace("\"aci\"", "\"local\"");
    let loaded = load(&text);
    assert_eq!(loaded.scenario.system.targets[0].price_usd_per_hour(), 0.0);
}
