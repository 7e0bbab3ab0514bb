//! Azure ML CLI v2 YAML, as a user brings it: `capsim import`, a scenario's `from = "..."`, the
//! located errors of broken files, and the hint when YAML is run as a scenario.
//!
//! The fixtures in `tests/data/azureml/` are written for these tests after the shapes of Azure's
//! CLI v2 references (reference-yaml-compute-aml, -compute-instance, -compute-kubernetes,
//! -endpoint-online, -deployment-managed-online, -deployment-kubernetes-online,
//! -deployment-batch). Every expected value below is read off the fixture by hand (its line and
//! column counted in the file), not taken from a previous run.

use crate::support::{self, repo};
use std::fs;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    repo().join("tests/data/azureml")
}

/// Runs capsim in `dir`: exit code, stdout, stderr.
fn capsim(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = support::run(support::capsim().args(args).current_dir(dir));
    (out.code.unwrap_or(-1), out.stdout, out.stderr)
}

/// A scratch copy of the fixtures.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(data()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    dir
}

/// The user's part: every `"FILL: ..."` replaced by a value of the kind it asks for.
fn fill(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_string();
        while let Some(start) = line.find("\"FILL:").or_else(|| line.find("'FILL:")) {
            let quote = &line[start..start + 1];
            let end = start + 1 + line[start + 1..].find(quote).expect("a closed string");
            let what = &line[start..=end];
            let value = if what.contains("VM size") {
                "\"Standard_D4s_v3\""
            } else if what.contains("median") {
                "\"300ms\""
            } else if what.contains("95th") {
                "\"900ms\""
            } else if what.contains("nodes") || what.contains("files") {
                "4"
            } else {
                "0.5"
            };
            line.replace_range(start..=end, value);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

const ALL: &[&str] = &[
    "cluster.yml",
    "batch-cluster.yml",
    "notebook.yml",
    "aks-compute.yml",
    "endpoint.yml",
    "blue-deployment.yml",
    "k8s-endpoint.yml",
    "k8s-deployment.yml",
    "batch-endpoint.yml",
    "batch-deployment.yml",
];

#[test]
fn every_fixture_imports_and_validates_once_its_placeholders_are_filled() {
    let dir = scratch();
    // One file at a time (a deployment alone too), then all of them together.
    let mut sets: Vec<Vec<&str>> = ALL
        .iter()
        .filter(|f| !f.contains("endpoint"))
        .map(|f| vec![*f])
        .collect();
    sets.push(ALL.to_vec());
    for (i, files) in sets.iter().enumerate() {
        let (code, toml, stderr) = capsim(dir.path(), &[&["import"], &files[..]].concat());
        assert_eq!(code, 0, "import {files:?}: {stderr}");
        // Ignored keys are warnings at their place in the YAML: every fixture has a $schema.
        for f in files {
            assert!(
                stderr.contains(&format!("{f}:1:1: warning: $schema: ignored")),
                "{f}: {stderr}"
            );
        }
        let out = format!("imported-{i}.toml");
        fs::write(dir.path().join(&out), &toml).unwrap();
        let (code, _, err) = capsim(dir.path(), &["validate", &out]);
        assert_eq!(code, 2, "{files:?}: placeholders must be refused");
        assert!(
            err.contains("a placeholder left by `capsim import`"),
            "{err}"
        );
        let filled = format!("filled-{i}.toml");
        // Pinned, so that the sizes' retirement dates do not decide the verdict.
        let pinned = format!("start_date = 2026-12-01\n{}", fill(&toml));
        fs::write(dir.path().join(&filled), pinned).unwrap();
        let (code, stdout, err) = capsim(dir.path(), &["validate", &filled]);
        assert_eq!(code, 0, "{files:?} filled:\n{}\n{err}", fill(&toml));
        assert!(stdout.contains("valid"), "{stdout}");
    }
}

#[test]
fn imported_values_say_where_they_came_from() {
    let (code, toml, _) = capsim(
        &data(),
        &[
            "import",
            "cluster.yml",
            "batch-cluster.yml",
            "notebook.yml",
            "endpoint.yml",
            "blue-deployment.yml",
            "k8s-endpoint.yml",
            "k8s-deployment.yml",
            "batch-endpoint.yml",
            "batch-deployment.yml",
        ],
    );
    assert_eq!(code, 0);
    for line in [
        // cluster.yml, line by line.
        "name = \"cpu-cluster\"  # cluster.yml:2: name",
        "size = \"Standard_D4s_v3\"  # cluster.yml:5: size",
        "max_instances = 4  # cluster.yml:7: max_instances",
        "idle_time_before_scale_down = 300  # cluster.yml:8: idle_time_before_scale_down",
        // ISO 8601 as written; capsim reads it.
        "idle_time_before_scale_down = \"PT10M\"  # batch-cluster.yml:8: idle_time_before_scale_down",
        "tier = \"low_priority\"  # batch-cluster.yml:9: tier",
        "idle_time_before_shutdown = \"PT30M\"  # notebook.yml:6: idle_time_before_shutdown",
        // The deployment names the endpoint; its type comes from its $schema.
        "name = \"churn-scorer\"  # blue-deployment.yml:3: endpoint_name",
        "type = \"managed_online\"  # blue-deployment.yml:1: $schema",
        "request_settings.request_timeout_ms = 3000  # blue-deployment.yml:14: request_settings.request_timeout_ms",
        // Kubernetes: 500m CPU is 0.5 vCPU, 1Gi is 1 GiB.
        "cpu_request_vcpus = 0.5  # k8s-deployment.yml:13: resources.requests.cpu",
        "memory_request_gib = 1.0  # k8s-deployment.yml:14: resources.requests.memory",
        "scale_settings.max_instances = 6  # k8s-deployment.yml:21: scale_settings.max_instances",
        // Batch: azureml:batch-cluster is the cluster's name; settings.* are the table's.
        "compute = \"batch-cluster\"  # batch-deployment.yml:7: compute",
        "instance_count = 2  # batch-deployment.yml:9: resources.instance_count",
        "retry_settings.timeout = 120  # batch-deployment.yml:15: settings.retry_settings.timeout",
        "error_threshold = 50  # batch-deployment.yml:16: settings.error_threshold",
        // Ignored keys, with why, in the scenario too.
        "#   ignored: notebook.yml:7: schedules: Azure's cron and recurrence schedules",
        "#   ignored: blue-deployment.yml:18: readiness_probe: a readiness probe's initial_delay (45 s)",
    ] {
        assert!(toml.contains(line), "missing `{line}` in:\n{toml}");
    }
    // batch-cluster.yml was imported: no placeholder cluster for the batch deployment, and no
    // placeholder jobs for it either (the invocations are its work).
    assert!(!toml.contains("PLACEHOLDER: the cluster the batch deployment runs on"));
    assert!(!toml.contains("name = \"batch-cluster-jobs\""));
    assert!(toml.contains("name = \"cpu-cluster-jobs\""));
}

#[test]
fn import_writes_a_file_and_never_overwrites_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scenario.toml");
    let out_s = out.to_str().unwrap();
    let (code, stdout, _) = capsim(&data(), &["import", "cluster.yml", "--out", out_s]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("[[compute]] cpu-cluster (amlcompute); 3 placeholders to fill"),
        "{stdout}"
    );
    let written = fs::read_to_string(&out).unwrap();
    fs::write(&out, "# filled by hand\n").unwrap();
    let (code, _, stderr) = capsim(&data(), &["import", "cluster.yml", "--out", out_s]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not overwrite"), "{stderr}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "# filled by hand\n");
    assert!(written.contains("[[workload]]"));
}

/// Each broken fixture's error, at the line and column of the value (counted by hand).
#[test]
fn broken_yaml_is_refused_at_its_place() {
    let cases = [
        (
            "broken/bad-value-type.yml",
            "broken/bad-value-type.yml:5:16: error: max_instances: must be a whole number, got a string",
        ),
        (
            "broken/unknown-type.yml",
            "broken/unknown-type.yml:3:7: error: type: unknown compute type `gpucluster`: capsim imports amlcompute, computeinstance, kubernetes",
        ),
        (
            "broken/negative-min.yml",
            "broken/negative-min.yml:5:16: error: min_instances: must be 0 or more, got -1",
        ),
        (
            "broken/bad-duration.yml",
            "broken/bad-duration.yml:6:30: error: idle_time_before_scale_down: `P1M` is not an ISO 8601 duration: months have no fixed length",
        ),
        (
            "broken/malformed.yml",
            "broken/malformed.yml:4:7: error: not valid YAML: mapping values are not allowed in this context",
        ),
    ];
    for (file, expected) in cases {
        let (code, stdout, stderr) = capsim(&data(), &["import", file]);
        assert_eq!(code, 2, "{file}");
        assert!(stdout.is_empty(), "{file}: no scenario for broken YAML");
        assert!(
            stderr.contains(expected),
            "{file}: expected `{expected}` in:\n{stderr}"
        );
        assert!(stderr.contains("1 error in the Azure ML YAML"), "{stderr}");
    }
}

#[test]
fn a_scenario_names_yaml_with_from_and_runs() {
    let dir = scratch();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = capsim(
        dir.path(),
        &["run", "from-scenario.toml", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // What the YAML says that capsim does not simulate is a warning, at its place.
    assert!(
        stderr.contains("blue-deployment.yml:18:1: warning: readiness_probe: ignored"),
        "{stderr}"
    );
    // Metadata is not worth a warning on every run.
    assert!(!stderr.contains("$schema"), "{stderr}");
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        summary.contains(",cpu-cluster,amlcompute,Standard_D4s_v3,"),
        "{summary}"
    );
    assert!(
        summary.contains(",churn-scorer,managed_online,Standard_F4s_v2,"),
        "{summary}"
    );
    // The scenario as run holds the YAML's values, the TOML's override, and no `from`.
    let recorded = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(!recorded.contains("\nfrom ="), "{recorded}");
    assert!(recorded.contains("max_instances = 6"), "{recorded}");
    assert!(!recorded.contains("max_instances = 4"), "{recorded}");
    assert!(
        recorded.contains("size = \"Standard_D4s_v3\"  # cluster.yml:5: size"),
        "{recorded}"
    );
    assert!(
        recorded.contains(
            "instance_type = \"Standard_F4s_v2\"  # blue-deployment.yml:10: instance_type"
        ),
        "{recorded}"
    );
    // So it reruns without the YAML, to the same results.
    let again = tempfile::tempdir().unwrap();
    fs::copy(out.join("scenario.toml"), again.path().join("s.toml")).unwrap();
    let (code, _, stderr) = capsim(again.path(), &["run", "s.toml", "--out", "o", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        fs::read_to_string(again.path().join("o/summary.csv")).unwrap(),
        summary
    );
}

#[test]
fn problems_of_yaml_values_are_reported_in_the_yaml() {
    let dir = scratch();
    let p = dir.path();
    fs::write(
        p.join("big.yml"),
        "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n\
         name: big\n\
         type: amlcompute\n\
         size: Standard_Nope_v9\n\
         max_instances: 70000\n",
    )
    .unwrap();
    fs::write(
        p.join("s.toml"),
        "horizon = \"1d\"\n\n[[compute]]\nfrom = \"big.yml\"\nmin_instances = -3\n\n\
         [[workload]]\nname = \"w\"\ncompute = \"big\"\n\
         arrivals = { process = \"poisson\", rate_per_hour = 1.0 }\n\
         duration = { dist = \"exponential\", mean = \"10m\" }\n",
    )
    .unwrap();
    let (code, _, stderr) = capsim(p, &["validate", "s.toml"]);
    assert_eq!(code, 2);
    // The YAML's values at their places in the YAML; the TOML's own in the TOML.
    assert!(
        stderr.contains("big.yml:4:7: error: size: unknown VM size `Standard_Nope_v9`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("big.yml:5:16: error: max_instances: must be from 1 to 65000, got 70000"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "s.toml:5:17: error: compute.big.min_instances: must be from 0 to 65000, got -3"
        ),
        "{stderr}"
    );
    // A --set replaces the YAML's value: its problem goes with it.
    let (_, _, stderr) = capsim(
        p,
        &["validate", "s.toml", "--set", "compute.big.max_instances=3"],
    );
    assert!(!stderr.contains("70000"), "{stderr}");
    // The YAML's own errors, located in it, before any validation.
    fs::write(
        p.join("s2.toml"),
        "horizon = \"1d\"\n\n[[compute]]\nfrom = \"broken/negative-min.yml\"\n",
    )
    .unwrap();
    fs::create_dir(p.join("broken")).unwrap();
    fs::copy(
        data().join("broken/negative-min.yml"),
        p.join("broken/negative-min.yml"),
    )
    .unwrap();
    let (code, _, stderr) = capsim(p, &["validate", "s2.toml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "broken/negative-min.yml:5:16: error: min_instances: must be 0 or more, got -1"
        ),
        "{stderr}"
    );
    // An endpoint's YAML named in a [[compute]] table.
    fs::write(
        p.join("s3.toml"),
        "horizon = \"1d\"\n\n[[compute]]\nfrom = \"blue-deployment.yml\"\n",
    )
    .unwrap();
    let (code, _, stderr) = capsim(p, &["validate", "s3.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("s3.toml:4:8: error: compute[0].from: describes an endpoint `churn-scorer`: name it in a [[endpoint]] table"), "{stderr}");
    // A missing file.
    fs::write(
        p.join("s4.toml"),
        "horizon = \"1d\"\n\n[[compute]]\nfrom = \"nowhere.yml\"\n",
    )
    .unwrap();
    let (code, _, stderr) = capsim(p, &["validate", "s4.toml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("s4.toml:4:8: error: compute[0].from: cannot read"),
        "{stderr}"
    );
}

#[test]
fn yaml_given_as_a_scenario_gets_a_hint_not_a_wall_of_toml_errors() {
    let dir = scratch();
    for (file, command) in [("cluster.yml", "run"), ("cluster.yml", "validate")] {
        let (code, _, stderr) = capsim(dir.path(), &[command, file]);
        assert_eq!(code, 2);
        assert!(stderr.contains("this is YAML"), "{stderr}");
        assert!(stderr.contains("capsim import cluster.yml"), "{stderr}");
        assert!(stderr.contains("1 error in the scenario"), "{stderr}");
    }
    // By its look, whatever its name.
    fs::copy(
        dir.path().join("cluster.yml"),
        dir.path().join("cluster.toml"),
    )
    .unwrap();
    let (code, _, stderr) = capsim(dir.path(), &["validate", "cluster.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("this is YAML"), "{stderr}");
    assert!(stderr.contains("1 error in the scenario"), "{stderr}");
}

#[test]
fn iso_8601_durations_anywhere_a_scenario_takes_one() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |idle: &str| {
        format!(
            "horizon = \"P2D\"\nwarmup = \"PT6H\"\nstart_date = 2026-12-01\n[[compute]]\nname = \"c\"\ntype = \"amlcompute\"\n\
             max_instances = 2\nidle_time_before_scale_down = \"{idle}\"\n\n[[workload]]\nname = \"w\"\n\
             compute = \"c\"\narrivals = {{ process = \"poisson\", rate_per_hour = 1.0 }}\n\
             duration = {{ dist = \"lognormal\", median = \"PT20M\", p95 = \"PT1H30M\" }}\n"
        )
    };
    fs::write(dir.path().join("ok.toml"), scenario("PT0.5S")).unwrap();
    let (code, _, stderr) = capsim(dir.path(), &["validate", "ok.toml"]);
    assert_eq!(code, 0, "{stderr}");
    fs::write(dir.path().join("bad.toml"), scenario("P1M")).unwrap();
    let (code, _, stderr) = capsim(dir.path(), &["validate", "bad.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.toml:8:31: error: "), "{stderr}");
    assert!(
        stderr.contains("idle_time_before_scale_down: `P1M` is not an ISO 8601 duration"),
        "{stderr}"
    );
    assert!(stderr.contains("months have no fixed length"), "{stderr}");
}
