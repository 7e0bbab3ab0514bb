//! `[[endpoint]] type = "batch"` and the `[[traffic]]` aimed at it: a batch deployment's settings
//! and its invocations, which become jobs on the deployment's compute cluster.
//!
//! Runs after the compute targets are built, since a batch deployment borrows its cluster's
//! size, price and limits.

use super::super::raw::{RawEndpoint, RawScenario, RawTraffic};
use super::arrivals::job_arrivals;
use super::compute::Facts;
use super::dist::dist;
use super::traffic::{request_mmpp, workload_arrivals};
use super::{Checker, declared_hint, given, label};
use crate::engine::time::from_secs_f64;
use crate::targets::batch::BatchSpec;
use crate::targets::defaults as d;
use crate::targets::{TargetKind, TargetSpec};
use crate::workload::{ArrivalSpec, WorkloadSpec};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Whether an `[[endpoint]]` is a batch endpoint (read with the compute targets, not here).
pub(super) fn is_batch(re: &RawEndpoint) -> bool {
    re.kind.get_ref().trim().eq_ignore_ascii_case("batch")
}

/// A batch endpoint's own settings, before its traffic gives the input.
struct Deployment<'a> {
    name: String,
    /// The cluster's index among the targets, and what workloads need to know of it.
    compute: usize,
    cluster: Facts<'a>,
    instance_count: u32,
    mini_batch_size: u32,
    max_concurrency_per_instance: u32,
    max_retries: u32,
    timeout_s: f64,
    error_threshold: Option<u64>,
}

/// Builds every batch endpoint (targets from `offset` on, in file order) and turns the traffic
/// aimed at each into a workload on its cluster. `computes` are the valid compute targets;
/// `workload_names` the names the `[[workload]]` tables took.
pub(super) fn build(
    c: &mut Checker,
    raw: &RawScenario,
    facts: &HashMap<String, Facts>,
    computes: &[TargetSpec],
    offset: usize,
    workload_names: &HashSet<String>,
    dir: &Path,
) -> (Vec<TargetSpec>, Vec<WorkloadSpec>) {
    let mut targets = vec![];
    let mut workloads = vec![];
    for (i, re) in raw.endpoint.iter().enumerate() {
        let re = re.get_ref();
        if !is_batch(re) {
            continue;
        }
        let lab = label("endpoint", i, re.name.get_ref());
        let deployment = endpoint(c, &lab, re, facts);
        let aimed: Vec<(usize, &RawTraffic)> = raw
            .traffic
            .iter()
            .enumerate()
            .map(|(j, t)| (j, t.get_ref()))
            .filter(|(_, t)| t.endpoint.get_ref() == re.name.get_ref())
            .collect();
        for (j, rt) in aimed.iter().skip(1) {
            c.error_hint(
                rt.endpoint.span().start,
                &format!("{}.endpoint", label("traffic", *j, rt.name.get_ref())),
                format!(
                    "`{}` already has its [[traffic]] (`{}`): a batch endpoint takes one stream of invocations",
                    re.name.get_ref(),
                    aimed[0].1.name.get_ref()
                ),
                "give each input its own batch endpoint, or merge the streams".into(),
            );
        }
        if aimed.is_empty() {
            c.warn(
                re.name.span().start,
                &lab,
                "no [[traffic]] is aimed at this batch endpoint: it is never invoked",
            );
        }
        if let Some((j, rt)) = aimed.first() {
            refuse_online_fields(c, &label("traffic", *j, rt.name.get_ref()), rt, re);
        }
        let (Some(dep), index) = (deployment, offset + targets.len()) else {
            continue;
        };
        let cluster = &computes[dep.compute];
        if let Some((j, rt)) = aimed.first() {
            let tlab = label("traffic", *j, rt.name.get_ref());
            if workload_names.contains(rt.name.get_ref().trim()) {
                c.error(
                    rt.name.span().start,
                    &format!("{tlab}.name"),
                    format!(
                        "`{}` is used by a [[workload]]: a batch endpoint's traffic runs as a workload on its cluster, so the names must differ",
                        rt.name.get_ref()
                    ),
                );
            }
            if let Some(w) = traffic(c, &tlab, rt, &dep, index, re, dir) {
                workloads.push(w);
            }
        }
        targets.push(TargetSpec {
            name: dep.name.clone(),
            price_source: cluster.price_source.clone(),
            kind: TargetKind::Batch {
                compute: dep.compute,
                instance_count: dep.instance_count,
                max_concurrency_per_instance: dep.max_concurrency_per_instance,
                size: cluster.size().to_string(),
                tier: cluster.tier(),
                price_usd_per_hour: cluster.price_usd_per_hour(),
            },
        });
    }
    (targets, workloads)
}

/// Fields of `[[endpoint]]` that belong to online endpoints, with where they were given.
fn online_fields(re: &RawEndpoint) -> [(&'static str, Option<usize>); 16] {
    [
        ("instance_type", given(&re.instance_type)),
        ("request_settings", given(&re.request_settings)),
        ("autoscale", given(&re.autoscale)),
        ("cpu_per_request_vcpus", given(&re.cpu_per_request_vcpus)),
        ("slo", given(&re.slo)),
        ("price_usd_per_hour", given(&re.price_usd_per_hour)),
        ("node_size", given(&re.node_size)),
        ("node_count", given(&re.node_count)),
        ("cpu_request_vcpus", given(&re.cpu_request_vcpus)),
        ("memory_request_gib", given(&re.memory_request_gib)),
        ("scale_settings", given(&re.scale_settings)),
        ("replica_start_time", given(&re.replica_start_time)),
        ("cpu_cores", given(&re.cpu_cores)),
        ("memory_gib", given(&re.memory_gib)),
        ("model_size_gib", given(&re.model_size_gib)),
        ("gpus", given(&re.gpus)),
    ]
}

/// A batch deployment's own settings: its cluster, nodes per invocation, mini-batches, worker
/// processes, retries and error threshold; `None` after an error.
fn endpoint<'f>(
    c: &mut Checker,
    lab: &str,
    re: &RawEndpoint,
    facts: &HashMap<String, Facts<'f>>,
) -> Option<Deployment<'f>> {
    let f = |s: &str| format!("{lab}.{s}");
    let name = re.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(re.name.span().start, &f("name"), "must not be empty");
    }
    c.refuse_given(
        &f,
        &online_fields(re),
        "does not apply to a batch endpoint",
        Some("a batch deployment runs on its compute cluster: its size, price and tier are the cluster's ([[compute]] named by `compute`)"),
    );
    let compute = cluster(c, &f, re, facts);
    let instance_count = c.int(
        &re.instance_count,
        &f("instance_count"),
        d::BATCH_INSTANCE_COUNT,
        1,
        u32::MAX as u64,
    ) as u32;
    if let Some(max) = compute.as_ref().map(|(_, t)| t.max_instances)
        && instance_count > max
    {
        let at = re
            .instance_count
            .as_ref()
            .map_or(re.name.span().start, |x| x.span().start);
        c.error(
            at,
            &f("instance_count"),
            format!(
                "each invocation needs {instance_count} nodes but the cluster has max_instances = {max}: it could never start"
            ),
        );
    }
    let mini_batch_size = c.int(
        &re.mini_batch_size,
        &f("mini_batch_size"),
        d::BATCH_MINI_BATCH_SIZE,
        1,
        u32::MAX as u64,
    ) as u32;
    let max_concurrency_per_instance = c.int(
        &re.max_concurrency_per_instance,
        &f("max_concurrency_per_instance"),
        d::BATCH_MAX_CONCURRENCY_PER_INSTANCE,
        1,
        MAX_CONCURRENCY,
    ) as u32;
    let (max_retries, timeout_s) = retries(c, &f, re);
    let error_threshold = match &re.error_threshold {
        None => None,
        Some(e) if *e.get_ref() == -1 => None,
        Some(e) if *e.get_ref() >= 0 => Some(*e.get_ref() as u64),
        Some(e) => {
            c.error(
                e.span().start,
                &f("error_threshold"),
                format!(
                    "must be -1 (no limit) or a number of failed files of zero or more, got {}",
                    e.get_ref()
                ),
            );
            None
        }
    };
    Some(Deployment {
        name,
        compute: compute.as_ref()?.0,
        cluster: compute?.1,
        instance_count,
        mini_batch_size,
        max_concurrency_per_instance,
        max_retries,
        timeout_s,
        error_threshold,
    })
}

/// The amlcompute cluster a batch deployment runs on, by `compute`: its index among the targets
/// and its facts; `None` after an error (or when the cluster had one).
fn cluster<'f>(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    re: &RawEndpoint,
    facts: &HashMap<String, Facts<'f>>,
) -> Option<(usize, Facts<'f>)> {
    match &re.compute {
        None => {
            c.error_hint(
                re.name.span().start,
                &f("compute"),
                "is required: the name of the amlcompute cluster the deployment runs on",
                "declare one in a [[compute]] table with type = \"amlcompute\"".into(),
            );
            None
        }
        Some(cn) => match facts.get(cn.get_ref().trim()) {
            None => {
                c.error_hint(
                    cn.span().start,
                    &f("compute"),
                    format!("no compute target named `{}`", cn.get_ref()),
                    declared_hint(
                        facts.keys(),
                        "targets",
                        "declare it in a [[compute]] table with type = \"amlcompute\"",
                    ),
                );
                None
            }
            Some(t) if t.type_name != "amlcompute" => {
                c.error(
                    cn.span().start,
                    &f("compute"),
                    format!(
                        "`{}` is a {} target: batch deployments run on an amlcompute cluster",
                        cn.get_ref(),
                        t.type_name
                    ),
                );
                None
            }
            Some(t) => t.index.map(|i| (i, t.clone())),
        },
    }
}

/// `retry_settings`: retries of a failed mini-batch, and its timeout in seconds.
fn retries(c: &mut Checker, f: &dyn Fn(&str) -> String, re: &RawEndpoint) -> (u32, f64) {
    let (mut max_retries, mut timeout_s) = (d::BATCH_MAX_RETRIES, d::BATCH_TIMEOUT_S);
    if let Some(rs) = &re.retry_settings {
        let rs = rs.get_ref();
        max_retries = c.int(
            &rs.max_retries,
            &f("retry_settings.max_retries"),
            d::BATCH_MAX_RETRIES as u64,
            0,
            MAX_RETRIES,
        ) as u32;
        if let Some(t) = &rs.timeout {
            // On error the default stands in, so that the fields after it are checked too
            // (the error already fails the scenario).
            timeout_s = c
                .dur(t, &f("retry_settings.timeout"), false)
                .unwrap_or(timeout_s);
        }
    }
    (max_retries, timeout_s)
}

/// Refuses an online endpoint's service-time fields on a batch endpoint's traffic (checked even
/// when the endpoint itself has errors, so that every problem is reported at once).
fn refuse_online_fields(c: &mut Checker, lab: &str, rt: &RawTraffic, re: &RawEndpoint) {
    let f = |s: &str| format!("{lab}.{s}");
    c.refuse_given(
        &f,
        &[
            ("service_time", given(&rt.service_time)),
            ("service_time_by_size", given(&rt.service_time_by_size)),
            ("token_model", given(&rt.token_model)),
            ("latency_profile", given(&rt.latency_profile)),
            ("latency_profile_file", given(&rt.latency_profile_file)),
        ],
        &format!(
            "does not apply to traffic aimed at a batch endpoint (`{}`)",
            re.name.get_ref()
        ),
        Some("give `files` (input files per invocation) and `time_per_file` (a distribution)"),
    );
}

/// Worker processes per node beyond which a scenario is surely a typo (Azure sets no limit; a
/// node runs one process per core or GPU in practice).
const MAX_CONCURRENCY: u64 = 1024;
/// Retries beyond this only multiply events without changing the outcome.
const MAX_RETRIES: u64 = 100;
/// Files per invocation: a cap that keeps one invocation's mini-batch table in memory.
const MAX_FILES: u64 = 100_000_000;

/// A batch endpoint's `[[traffic]]`: when it is invoked (`arrivals`, as for workloads), with
/// how many files, and how long a file takes.
fn traffic(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    dep: &Deployment,
    endpoint_target: usize,
    re: &RawEndpoint,
    dir: &Path,
) -> Option<WorkloadSpec> {
    let f = |s: &str| format!("{lab}.{s}");
    let files = match &rt.files {
        None => {
            c.error(
                rt.name.span().start,
                &f("files"),
                "is required for a batch endpoint: the input files of each invocation",
            );
            None
        }
        Some(_) => Some(c.int(&rt.files, &f("files"), 1, 1, MAX_FILES) as u32),
    };
    let time_per_file = match &rt.time_per_file {
        None => {
            c.error(
                rt.name.span().start,
                &f("time_per_file"),
                "is required for a batch endpoint: a distribution of the time to score one file on the cluster's size",
            );
            None
        }
        Some(t) => dist(c, &f("time_per_file"), t, false, dir),
    };
    let ra = rt.arrivals.get_ref();
    let at = rt.arrivals.span().start;
    // A traffic's arrivals (MMPP rates in any unit) read as a job stream's.
    let arrivals = if ra.process.get_ref().eq_ignore_ascii_case("mmpp") {
        request_mmpp(c, &f("arrivals"), ra, at).map(ArrivalSpec::Mmpp)
    } else {
        let jobs = workload_arrivals(c, &f("arrivals"), ra, at, None);
        job_arrivals(c, &f("arrivals"), &jobs, at, Some(&dep.cluster), dir)
    };
    if let Some(col) = &ra.duration_column {
        c.error(
            col.span().start,
            &f("arrivals.duration_column"),
            "does not apply to a batch endpoint: a job's duration follows from its files and time_per_file",
        );
    }
    if let Some(col) = ra.nodes_column.as_ref().or(ra.gpus_column.as_ref()) {
        c.error(
            col.span().start,
            &f("arrivals"),
            "nodes_column and gpus_column do not apply to a batch endpoint: its instance_count sets the nodes",
        );
    }
    let (files, time_per_file) = (files?, time_per_file?);
    // A mini-batch's time is the sum of its files' times: if the mean already exceeds the
    // timeout, most mini-batches fail every attempt. Azure's default timeout is short (30 s).
    let mean_s = dep.mini_batch_size.min(files) as f64 * time_per_file.mean_s();
    if mean_s > dep.timeout_s {
        let at = re
            .retry_settings
            .as_ref()
            .map_or(re.name.span().start, |x| x.span().start);
        c.warn(
            at,
            &format!("{}.retry_settings.timeout", label("endpoint", 0, &dep.name)),
            format!(
                "a mini-batch of {} files takes {:.1} s on average ({} x time_per_file), more than the {} s timeout: most mini-batches will time out {} times and fail; raise the timeout or lower mini_batch_size",
                dep.mini_batch_size.min(files),
                mean_s,
                dep.mini_batch_size.min(files),
                dep.timeout_s,
                dep.max_retries + 1
            ),
        );
    }
    Some(WorkloadSpec {
        name: rt.name.get_ref().trim().to_string(),
        target: dep.compute,
        arrivals: arrivals?,
        duration: None,
        speedup: 1.0,
        instance_count: dep.instance_count,
        batch_size: 1,
        priority: 0,
        batch: Some(Arc::new(BatchSpec {
            endpoint: dep.name.clone(),
            endpoint_target,
            files,
            mini_batch_size: dep.mini_batch_size,
            max_concurrency_per_instance: dep.max_concurrency_per_instance,
            max_retries: dep.max_retries,
            timeout: from_secs_f64(dep.timeout_s),
            error_threshold: dep.error_threshold,
            time_per_file,
        })),
    })
}
