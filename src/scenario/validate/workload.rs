//! `[[workload]]`: a stream of jobs aimed at a compute target: its arrivals, durations, nodes,
//! job kind, GPU needs and priority.

use super::super::raw::{RawScenario, RawWorkload};
use super::arrivals::job_arrivals;
use super::compute::Facts;
use super::dist::dist;
use super::{Checker, declared_hint, label};
use crate::catalog::{Catalog, VmSize};
use crate::engine::Sampler;
use crate::targets::job_kinds;
use crate::workload::WorkloadSpec;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use toml::Spanned;

/// Every `[[workload]]` in file order, and the names they took.
pub(super) fn workloads(
    c: &mut Checker,
    raw: &RawScenario,
    facts: &HashMap<String, Facts>,
    dir: &Path,
) -> (Vec<WorkloadSpec>, HashSet<String>) {
    if raw.workload.is_empty() && raw.endpoint.is_empty() {
        c.warn(
            0,
            "workload",
            "no [[workload]]: the targets will only show their idle cost",
        );
    }
    let mut workloads = vec![];
    let mut names = HashSet::new();
    for (i, rw) in raw.workload.iter().enumerate() {
        let rw = rw.get_ref();
        let label = label("workload", i, rw.name.get_ref());
        if !names.insert(rw.name.get_ref().clone()) {
            c.error(
                rw.name.span().start,
                &format!("{label}.name"),
                format!("`{}` is used by another workload", rw.name.get_ref()),
            );
        }
        if let Some(w) = workload(c, &label, rw, facts, dir) {
            workloads.push(w);
        }
    }
    (workloads, names)
}

/// One `[[workload]]`; `None` after an error (or when its target had one).
fn workload(
    c: &mut Checker,
    label: &str,
    rw: &RawWorkload,
    targets: &HashMap<String, Facts>,
    dir: &Path,
) -> Option<WorkloadSpec> {
    let f = |s: &str| format!("{label}.{s}");
    let name = rw.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(rw.name.span().start, &f("name"), "must not be empty");
    }
    let facts = targets.get(rw.compute.get_ref());
    if facts.is_none() {
        c.error_hint(
            rw.compute.span().start,
            &f("compute"),
            format!("no compute target named `{}`", rw.compute.get_ref()),
            declared_hint(
                targets.keys(),
                "targets",
                "declare it in a [[compute]] table",
            ),
        );
    }
    let arrivals = job_arrivals(
        c,
        &f("arrivals"),
        rw.arrivals.get_ref(),
        rw.arrivals.span().start,
        facts,
        dir,
    );
    let duration = duration(c, &f, rw, dir);
    let speedup = speedup(c, &f("speedup"), &rw.speedup, facts.and_then(|t| t.vm));
    let instance_count = instance_count(c, &f, rw, facts);
    job_kind(c, &f, rw, facts);
    if let Some(vm) = facts.and_then(|t| t.vm) {
        gpu_requirements(c, &f, rw, vm, rw.compute.get_ref());
    }
    let batch_size = c.int(
        &rw.arrivals.get_ref().batch_size,
        &f("arrivals.batch_size"),
        1,
        1,
        MAX_BATCH_SIZE,
    ) as u32;
    let priority = priority(c, &f, rw);
    Some(WorkloadSpec {
        name,
        target: facts?.index?,
        arrivals: arrivals?,
        duration: duration?,
        speedup: speedup?,
        instance_count,
        batch_size,
        priority: priority?,
        batch: None,
    })
}

/// The jobs' run times: a distribution, or none when a trace's `duration_column` gives them;
/// `None` after an error.
fn duration(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rw: &RawWorkload,
    dir: &Path,
) -> Option<Option<Sampler>> {
    let ra = rw.arrivals.get_ref();
    let trace_gives_durations =
        ra.process.get_ref().eq_ignore_ascii_case("trace") && ra.duration_column.is_some();
    match &rw.duration {
        Some(d) => dist(c, &f("duration"), d, false, dir).map(Some),
        None if trace_gives_durations => Some(None),
        None => {
            c.error(
                rw.name.span().start,
                &f("duration"),
                "is required (a distribution of job run times), unless a trace's duration_column gives them",
            );
            None
        }
    }
}

/// The nodes a job asks for, which its target must be able to give.
fn instance_count(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rw: &RawWorkload,
    facts: Option<&Facts>,
) -> u32 {
    let instance_count = c.int(
        &rw.instance_count,
        &f("instance_count"),
        1,
        1,
        u32::MAX as u64,
    ) as u32;
    if let Some(t) = facts
        && instance_count > t.max_instances
    {
        let at = rw
            .instance_count
            .as_ref()
            .map_or(rw.name.span().start, |x| x.span().start);
        let max = t.max_instances;
        let why = match t.type_name {
            "serverless" => format!(
                "its vCPU quota (quota_vcpus) fits {max} node{}",
                if max == 1 { "" } else { "s" }
            ),
            "computeinstance" => "a compute instance is a single node".to_string(),
            _ => format!("it has max_instances = {max}"),
        };
        c.error(
            at,
            &f("instance_count"),
            format!(
                "a job needs {instance_count} node{} but `{}` cannot give them: {why}; it could never start",
                if instance_count == 1 { "" } else { "s" },
                rw.compute.get_ref()
            ),
        );
    }
    instance_count
}

/// The job `kind`, which the target's type must run. The default kind is `command`, so a
/// target that runs no command jobs (HDInsight, Data Lake Analytics, Batch, Spark pools,
/// Databricks) needs `kind` said.
fn job_kind(c: &mut Checker, f: &dyn Fn(&str) -> String, rw: &RawWorkload, facts: Option<&Facts>) {
    let at = rw
        .kind
        .as_ref()
        .map_or(rw.name.span().start, |k| k.span().start);
    let text = rw.kind.as_ref().map_or("command", |k| k.get_ref().as_str());
    let kind = text.to_ascii_lowercase();
    if !job_kinds::KINDS.contains(&kind.as_str()) {
        c.error_hint(
            at,
            &f("kind"),
            format!("unknown job kind `{text}`"),
            format!("use one of: {}", job_kinds::KINDS.join(", ")),
        );
        return;
    }
    let Some(t) = facts else { return };
    let ty = t.type_name;
    if job_kinds::supports(ty, &kind) == Some(false) {
        let implied = if rw.kind.is_none() {
            " (the default kind)"
        } else {
            ""
        };
        c.error_hint(
            at,
            &f("kind"),
            format!(
                "`{}` is a {ty} target, which does not run {kind} jobs{implied}",
                rw.compute.get_ref()
            ),
            format!(
                "targets that do: {}",
                job_kinds::targets_supporting(&kind).join(", ")
            ),
        );
    }
}

/// `priority`: an i32, higher runs first; 0 when absent, `None` after an error.
fn priority(c: &mut Checker, f: &dyn Fn(&str) -> String, rw: &RawWorkload) -> Option<i32> {
    let Some(p) = &rw.priority else {
        return Some(0);
    };
    match i32::try_from(*p.get_ref()) {
        Ok(x) => Some(x),
        Err(_) => {
            c.error(
                p.span().start,
                &f("priority"),
                format!(
                    "must be an integer from {} to {} (higher runs first), got {}",
                    i32::MIN,
                    i32::MAX,
                    p.get_ref()
                ),
            );
            None
        }
    }
}

/// The most jobs one arrival may submit (Azure ML sweep jobs cap trials far below this; the
/// cap keeps one arrival from flooding the event queue by accident).
const MAX_BATCH_SIZE: u64 = 100_000;

/// The workload's speed-up on its target's size (1 when the table does not name that size).
fn speedup(
    c: &mut Checker,
    field: &str,
    v: &Option<Spanned<BTreeMap<String, Spanned<f64>>>>,
    vm: Option<&VmSize>,
) -> Option<f64> {
    let Some(table) = v else { return Some(1.0) };
    let mut ok = true;
    let mut factor = 1.0;
    for (size, x) in table.get_ref() {
        let here = format!("{field}.{size}");
        let known = Catalog::builtin().get(size);
        if known.is_none() {
            c.error_hint(
                x.span().start,
                &here,
                format!("unknown VM size `{size}`"),
                format!(
                    "closest catalog sizes: {}",
                    Catalog::builtin().closest(size, 3).join(", ")
                ),
            );
            ok = false;
            continue;
        }
        match c.positive(x, &here) {
            Some(f) if vm.is_some_and(|vm| vm.size.eq_ignore_ascii_case(size)) => factor = f,
            Some(_) => {}
            None => ok = false,
        }
    }
    ok.then_some(factor)
}

/// The leading `major.minor` of a version string such as "11.0+ (inferred from arch)".
fn cuda(v: &str) -> Option<(u32, u32)> {
    let v = v
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit() && c != '.');
    let head: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut it = head.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// `requires_gpu` and `cuda_version` against the target's size: a GPU, recent enough for the
/// CUDA version the jobs were built with.
fn gpu_requirements(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    rw: &RawWorkload,
    vm: &VmSize,
    target: &str,
) {
    let needs_gpu =
        rw.requires_gpu.as_ref().is_some_and(|g| *g.get_ref()) || rw.cuda_version.is_some();
    if needs_gpu && vm.gpus == 0 {
        // Blame the field that asks for the GPU: requires_gpu = true, else cuda_version.
        let by_flag = rw.requires_gpu.as_ref().filter(|g| *g.get_ref());
        let at = by_flag
            .map(|g| g.span().start)
            .or(rw.cuda_version.as_ref().map(|v| v.span().start))
            .unwrap_or(0);
        c.error_hint(
            at,
            &f(if by_flag.is_some() {
                "requires_gpu"
            } else {
                "cuda_version"
            }),
            format!(
                "the jobs need a GPU but `{target}` runs on {}, which has none",
                vm.size
            ),
            "choose a GPU size (N-series), e.g. Standard_NC4as_T4_v3".into(),
        );
        return;
    }
    let Some(v) = &rw.cuda_version else { return };
    let Some(wanted) = cuda(v.get_ref()) else {
        c.error(
            v.span().start,
            &f("cuda_version"),
            format!("`{}` is not a CUDA version such as \"11.8\"", v.get_ref()),
        );
        return;
    };
    if let Some(min) = cuda(&vm.min_cuda)
        && wanted < min
    {
        c.error_hint(
            v.span().start,
            &f("cuda_version"),
            format!(
                "CUDA {}.{} is older than {} GPUs ({}, on {}) support: they need CUDA {}.{} or later",
                wanted.0, wanted.1, vm.gpu_arch, vm.gpu_model, vm.size, min.0, min.1
            ),
            "build the environment on a newer CUDA, or pick a size with an older GPU architecture".into(),
        );
    }
}
