use super::*;

fn run(files: &[(&str, &str)]) -> Imported {
    let files: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    import(&files)
}

fn value(t: &Target, path: &str) -> Scalar {
    t.get(path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", t.fields))
        .value
        .clone()
}

fn s(v: &str) -> Scalar {
    Scalar::Str(v.into())
}

#[test]
fn a_cluster_maps_key_by_key_with_its_places() {
    let yaml = "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n\
                name: cpu-cluster\n\
                type: amlcompute\n\
                size: STANDARD_DS3_v2\n\
                min_instances: 0\n\
                max_instances: 4\n\
                idle_time_before_scale_down: 180\n\
                tier: Low_Priority\n\
                tags:\n  team: vision\n";
    let out = run(&[("c.yml", yaml)]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let t = &out.targets[0];
    assert_eq!(
        (t.section, t.name.as_str(), t.kind.as_str()),
        (Section::Compute, "cpu-cluster", "amlcompute")
    );
    let order: Vec<String> = t.fields.iter().map(Field::dotted).collect();
    assert_eq!(
        order,
        [
            "name",
            "type",
            "size",
            "min_instances",
            "max_instances",
            "idle_time_before_scale_down",
            "tier"
        ]
    );
    assert_eq!(value(t, "size"), s("STANDARD_DS3_v2"));
    assert_eq!(value(t, "max_instances"), Scalar::Int(4));
    assert_eq!(value(t, "idle_time_before_scale_down"), Scalar::Int(180));
    assert_eq!(value(t, "tier"), s("low_priority"));
    let max = t.get("max_instances").unwrap();
    assert_eq!((max.origin.line, max.origin.column), (6, 16));
    assert_eq!(max.origin.label(), "c.yml:6: max_instances");
    // $schema and tags are ignored, with a note each.
    let noted: Vec<&str> = out.notes.iter().map(|n| n.origin.key.as_str()).collect();
    assert_eq!(noted, ["$schema", "tags"]);
    assert!(out.notes.iter().all(|n| !n.matters));
}

#[test]
fn iso_durations_and_minutes_become_durations() {
    let out = run(&[(
        "ci.yml",
        "name: nb\ntype: computeinstance\nidle_time_before_shutdown_minutes: 30\n",
    )]);
    assert_eq!(
        value(&out.targets[0], "idle_time_before_shutdown"),
        s("30m")
    );
    let out = run(&[(
        "ci.yml",
        "name: nb\ntype: computeinstance\nidle_time_before_shutdown: PT45M\n",
    )]);
    assert_eq!(
        value(&out.targets[0], "idle_time_before_shutdown"),
        s("PT45M")
    );
    let out = run(&[(
        "c.yml",
        "name: c\ntype: amlcompute\nidle_time_before_scale_down: PT2M\n",
    )]);
    assert_eq!(
        value(&out.targets[0], "idle_time_before_scale_down"),
        s("PT2M")
    );
}

#[test]
fn values_capsim_cannot_honour_are_located_errors() {
    let out = run(&[(
        "c.yml",
        "name: c\ntype: amlcompute\nmin_instances: -1\nidle_time_before_scale_down: P1M\nmax_instances: four\n",
    )]);
    let got: Vec<(usize, usize, &str)> = out
        .errors
        .iter()
        .map(|d| (d.line, d.column, d.field.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, 16, "min_instances"),
            (4, 30, "idle_time_before_scale_down"),
            (5, 16, "max_instances")
        ]
    );
    assert_eq!(out.errors[0].message, "must be 0 or more, got -1");
    assert!(
        out.errors[1]
            .message
            .contains("months have no fixed length"),
        "{}",
        out.errors[1].message
    );
    assert_eq!(
        out.errors[2].message,
        "must be a whole number, got a string"
    );
}

#[test]
fn unknown_types_and_typos_are_errors_other_keys_notes() {
    let out = run(&[("c.yml", "name: c\ntype: amlcomputer\n")]);
    assert_eq!(out.errors[0].field, "type");
    assert!(
        out.errors[0]
            .message
            .starts_with("unknown compute type `amlcomputer`")
    );
    assert_eq!(
        out.errors[0].hint.as_deref(),
        Some("did you mean `amlcompute`?")
    );
    let out = run(&[(
        "c.yml",
        "name: c\ntype: amlcompute\nmax_instance: 3\nfancy_flag: true\n",
    )]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(
        out.errors[0].hint.as_deref(),
        Some("did you mean `max_instances`?")
    );
    assert_eq!(out.notes.len(), 1);
    assert!(out.notes[0].matters);
    assert_eq!(out.notes[0].origin.key, "fancy_flag");
}

const ENDPOINT: &str = "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json\nname: scorer\nauth_mode: key\n";
const BLUE: &str = "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n\
name: blue\n\
endpoint_name: scorer\n\
model: azureml:m:1\n\
instance_type: Standard_F4s_v2\n\
instance_count: 3\n\
request_settings:\n  max_concurrent_requests_per_instance: 2\n  request_timeout_ms: 3000\n\
readiness_probe:\n  initial_delay: 30\n";

#[test]
fn a_deployment_pairs_with_its_endpoint() {
    let out = run(&[("ep.yml", ENDPOINT), ("blue.yml", BLUE)]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.targets.len(), 1);
    let t = &out.targets[0];
    assert_eq!(
        (t.name.as_str(), t.kind.as_str()),
        ("scorer", "managed_online")
    );
    assert_eq!(
        value(t, "request_settings.max_concurrent_requests_per_instance"),
        Scalar::Int(2)
    );
    assert_eq!(
        value(t, "request_settings.request_timeout_ms"),
        Scalar::Int(3000)
    );
    assert_eq!(value(t, "instance_count"), Scalar::Int(3));
    assert_eq!(t.get("name").unwrap().origin.key, "endpoint_name");
    let probe = out
        .notes
        .iter()
        .find(|n| n.origin.key == "readiness_probe")
        .unwrap();
    assert!(probe.matters);
    assert!(
        probe.why.contains("(30 s)") && probe.why.contains("autoscale.provisioning_time"),
        "{}",
        probe.why
    );
    // Alone, the deployment is an endpoint too, named by endpoint_name.
    let out = run(&[("blue.yml", BLUE)]);
    assert_eq!(out.targets[0].name, "scorer");
    // An endpoint without its deployment is not.
    let out = run(&[("ep.yml", ENDPOINT)]);
    assert!(out.targets.is_empty());
    assert_eq!(
        (out.errors[0].line, out.errors[0].field.as_str()),
        (2, "name")
    );
}

#[test]
fn two_deployments_of_one_endpoint_are_two_endpoints() {
    let green = BLUE.replace("name: blue", "name: green");
    let out = run(&[
        ("ep.yml", ENDPOINT),
        ("blue.yml", BLUE),
        ("green.yml", &green),
    ]);
    let names: Vec<&str> = out.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["scorer-blue", "scorer-green"]);
}

#[test]
fn managed_deployments_scale_only_by_default() {
    let bad = format!("{BLUE}scale_settings:\n  type: target_utilization\n");
    let out = run(&[("blue.yml", &bad)]);
    assert_eq!(out.errors[0].field, "scale_settings.type");
    assert!(out.errors[0].message.contains("[endpoint.autoscale]"));
}

#[test]
fn kubernetes_deployments_take_requests_and_scale_settings() {
    let ep = "$schema: https://azuremlschemas.azureedge.net/latest/kubernetesOnlineEndpoint.schema.json\nname: k8s\ncompute: azureml:aks\nauth_mode: key\n";
    let dep = "name: blue\nendpoint_name: k8s\ninstance_type: defaultinstancetype\n\
               resources:\n  requests:\n    cpu: 500m\n    memory: 1536Mi\n  limits:\n    cpu: \"1\"\n\
               scale_settings:\n  type: target_utilization\n  min_instances: 1\n  max_instances: 5\n  target_utilization_percentage: 60\n  polling_interval: 10\n";
    let out = run(&[("ep.yml", ep), ("dep.yml", dep)]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let t = &out.targets[0];
    assert_eq!(t.kind, "kubernetes_online");
    assert_eq!(t.get("type").unwrap().origin.key, "$schema");
    assert_eq!(value(t, "cpu_request_vcpus"), Scalar::Float(0.5));
    assert_eq!(value(t, "memory_request_gib"), Scalar::Float(1.5));
    assert_eq!(value(t, "scale_settings.max_instances"), Scalar::Int(5));
    assert_eq!(value(t, "scale_settings.polling_interval"), Scalar::Int(10));
    let needs: Vec<String> = t.needs.iter().map(|n| n.path.join(".")).collect();
    assert_eq!(needs, ["node_size", "node_count"]);
}

#[test]
fn quantities() {
    assert_eq!(cpu_quantity(&Value::Str("100m".into())), Ok(0.1));
    assert_eq!(cpu_quantity(&Value::Str("2".into())), Ok(2.0));
    assert_eq!(cpu_quantity(&Value::Float(0.25)), Ok(0.25));
    assert!(cpu_quantity(&Value::Str("lots".into())).is_err());
    assert_eq!(memory_quantity(&Value::Str("2Gi".into())), Ok(2.0));
    assert_eq!(memory_quantity(&Value::Str("512Mi".into())), Ok(0.5));
    assert_eq!(memory_quantity(&Value::Str("1073741824".into())), Ok(1.0));
    assert_eq!(
        memory_quantity(&Value::Str("2G".into())),
        Ok(2e9 / 1_073_741_824.0)
    );
    assert!(memory_quantity(&Value::Str("2GB".into())).is_err());
}

#[test]
fn batch_deployments_new_and_legacy_forms() {
    let new = "$schema: https://azuremlschemas.azureedge.net/latest/modelBatchDeployment.schema.json\n\
               name: d\nendpoint_name: docs\ntype: model\ncompute: azureml:batch-cluster\n\
               resources:\n  instance_count: 2\n\
               settings:\n  max_concurrency_per_instance: 4\n  mini_batch_size: 10\n  retry_settings:\n    max_retries: 3\n    timeout: 30\n  error_threshold: -1\n  output_action: append_row\n";
    let legacy = "$schema: https://azuremlschemas.azureedge.net/latest/batchDeployment.schema.json\n\
                  name: d\nendpoint_name: docs\ncompute: azureml:batch-cluster\n\
                  resources:\n  instance_count: 2\nmax_concurrency_per_instance: 4\nmini_batch_size: 10\n\
                  retry_settings:\n  max_retries: 3\n  timeout: 30\nerror_threshold: -1\n";
    for yaml in [new, legacy] {
        let out = run(&[("d.yml", yaml)]);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let t = &out.targets[0];
        assert_eq!((t.name.as_str(), t.kind.as_str()), ("docs", "batch"));
        assert_eq!(value(t, "compute"), s("batch-cluster"));
        assert_eq!(value(t, "instance_count"), Scalar::Int(2));
        assert_eq!(value(t, "max_concurrency_per_instance"), Scalar::Int(4));
        assert_eq!(value(t, "retry_settings.timeout"), Scalar::Int(30));
        assert_eq!(value(t, "error_threshold"), Scalar::Int(-1));
    }
    let pipeline = "name: p\nendpoint_name: docs\ntype: pipeline\ncomponent: azureml:c@latest\n";
    let out = run(&[("p.yml", pipeline)]);
    assert!(out.targets.is_empty());
    assert_eq!(
        (out.errors[0].line, out.errors[0].field.as_str()),
        (3, "type")
    );
}

#[test]
fn what_is_not_a_target_says_so() {
    let out = run(&[(
        "job.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\ncommand: python x.py\n",
    )]);
    assert!(
        out.errors[0]
            .message
            .contains("`commandJob.schema.json` is not a compute target"),
        "{}",
        out.errors[0].message
    );
    let out = run(&[("x.yml", "- a\n- b\n")]);
    assert!(out.errors[0].message.contains("mapping of keys"));
    let out = run(&[("x.yml", "name: [\n")]);
    assert!(out.errors[0].message.starts_with("not valid YAML"));
}
