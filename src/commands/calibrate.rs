//! `calibrate`: fits a scenario's assumptions to a workspace's own Azure Monitor logs — the
//! provisioning-time distribution per VM size and priority (from `AmlComputeClusterNodeEvent`),
//! the eviction rate of low-priority nodes (from `AmlComputeClusterEvent`) and each endpoint
//! deployment's latencies (from `AmlOnlineEndpointTrafficLog`) — and writes them into a
//! scenario (comments kept) or gives the TOML to paste.

use super::CommandError;
use crate::azure::monitor::clusters::{self, ClusterEvents};
use crate::azure::monitor::nodes::{self, NodeEvents, Priority};
use crate::azure::monitor::traffic::{self, Traffic};
use crate::azure::monitor::{MonitorError, OnBadRow, ReadReport, format_time, parse_time};
use crate::fit::{self, Dist, DurationFit, Rate};
use crate::scenario::calibrated::{self, Calibrated};
use crate::scenario::{Edits, Source};
use std::path::{Path, PathBuf};

/// What to fit from and where the result goes.
#[derive(Clone, Debug, Default)]
pub struct CalibrateRequest {
    /// An `AmlComputeClusterNodeEvent` export: provisioning times.
    pub nodes: Option<PathBuf>,
    /// An `AmlComputeClusterEvent` export: evictions, and the clusters' settings for the TOML.
    pub clusters: Option<PathBuf>,
    /// An `AmlOnlineEndpointTrafficLog` export: latencies.
    pub traffic: Option<PathBuf>,
    /// Write the fitted values into this scenario (in place); without it, only the TOML to
    /// paste is given.
    pub scenario: Option<PathBuf>,
    /// Only these clusters; all when empty.
    pub cluster_names: Vec<String>,
    /// Only what happened from / before these ISO 8601 times.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Leave bad rows out (and count them) instead of refusing the file.
    pub skip_bad_rows: bool,
}

/// A provisioning-time distribution fitted to one VM size and priority.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvisioningFit {
    pub vm_size: String,
    pub priority: Priority,
    /// The clusters whose nodes these were.
    pub clusters: Vec<String>,
    pub fit: DurationFit,
}

/// One cluster's evictions per node-hour.
#[derive(Clone, Debug, PartialEq)]
pub struct EvictionFit {
    pub cluster: String,
    pub vm_size: Option<String>,
    /// Evictions over node-hours allocated, with its 95% interval.
    pub rate: Rate,
}

/// One deployment's latencies.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyFit {
    pub endpoint: String,
    pub deployment: String,
    pub requests: usize,
    pub rejected_429: usize,
    /// 2xx requests with a latency.
    pub served: usize,
    /// The latencies written (see `alone`): their count and quantiles.
    pub observations: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// Whether those are of the requests that found nothing else in flight at the deployment
    /// (which waited for no slot: the service time), rather than of every served request
    /// (too few of those).
    pub alone: bool,
    /// By requests in flight at the deployment when a request arrived (itself included, from
    /// 1), for as long as each has [`MIN_LATENCY_OBSERVATIONS`].
    pub by_in_flight: Vec<InFlight>,
}

/// Latencies of the served requests that arrived with `in_flight` requests at the deployment,
/// themselves included.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InFlight {
    pub in_flight: u32,
    pub observations: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// The scenario's edit.
#[derive(Clone, Debug, PartialEq)]
pub struct EditedScenario {
    pub file: PathBuf,
    pub changes: Vec<String>,
    pub unmatched: Vec<String>,
}

/// What was fitted, from what, and where it went.
#[derive(Clone, Debug, Default)]
pub struct CalibrateOutcome {
    pub provisioning: Vec<ProvisioningFit>,
    pub evictions: Vec<EvictionFit>,
    pub latencies: Vec<LatencyFit>,
    /// One per export read.
    pub reads: Vec<ReadReport>,
    /// The fitted values as TOML to paste into a scenario.
    pub toml: String,
    /// With a scenario: what was changed in it.
    pub edited: Option<EditedScenario>,
    /// Files of observations written for empirical distributions.
    pub samples: Vec<PathBuf>,
    /// What could not be fitted, and why.
    pub notes: Vec<String>,
}

/// Fewest 2xx requests of a deployment to report its latencies.
pub const MIN_LATENCY_OBSERVATIONS: usize = 20;

/// Fits what the request's exports allow.
pub fn calibrate(req: &CalibrateRequest) -> Result<CalibrateOutcome, CommandError> {
    if req.nodes.is_none() && req.clusters.is_none() && req.traffic.is_none() {
        return Err(CommandError::Input(
            "give at least one export: --nodes (AmlComputeClusterNodeEvent), --clusters \
             (AmlComputeClusterEvent) or --traffic (AmlOnlineEndpointTrafficLog)"
                .into(),
        ));
    }
    let on_bad_row = on_bad_row(req.skip_bad_rows);
    let window = window(req.from.as_deref(), req.to.as_deref())?;
    let mut out = CalibrateOutcome::default();
    let node_events = match &req.nodes {
        Some(p) => Some(nodes::read(p, on_bad_row).map_err(monitor_errors)?),
        None => None,
    };
    let cluster_events = match &req.clusters {
        Some(p) => Some(clusters::read(p, on_bad_row).map_err(monitor_errors)?),
        None => None,
    };
    let traffic_log = match &req.traffic {
        Some(p) => Some(traffic::read(p, on_bad_row).map_err(monitor_errors)?),
        None => None,
    };
    if let Some(n) = &node_events {
        out.reads.push(n.report.clone());
        let (fits, notes) = fit_provisioning(n, &req.cluster_names, window);
        out.provisioning = fits;
        out.notes.extend(notes);
    }
    if let Some(c) = &cluster_events {
        out.reads.push(c.report.clone());
        let (fits, notes) = fit_evictions(c, &req.cluster_names, window);
        out.evictions = fits;
        out.notes.extend(notes);
    }
    if let Some(t) = &traffic_log {
        out.reads.push(t.report.clone());
        let (fits, notes) = fit_latencies(t, window);
        out.latencies = fits;
        out.notes.extend(notes);
    }
    out.toml = paste_toml(&out, cluster_events.as_ref(), node_events.as_ref());
    if let Some(path) = &req.scenario {
        edit_scenario(path, &mut out)?;
    }
    Ok(out)
}

pub(super) fn on_bad_row(skip: bool) -> OnBadRow {
    if skip {
        OnBadRow::Skip
    } else {
        OnBadRow::Error
    }
}

/// Every problem of an export, one per line.
pub(super) fn monitor_errors(errors: Vec<MonitorError>) -> CommandError {
    CommandError::Input(
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A time window from `--from` and `--to` (nanoseconds since 1970 UTC).
pub type Window = (Option<i64>, Option<i64>);

pub(super) fn window(from: Option<&str>, to: Option<&str>) -> Result<Window, CommandError> {
    let read = |flag: &str, v: Option<&str>| -> Result<Option<i64>, CommandError> {
        v.map(|s| parse_time(s).map_err(|m| CommandError::Input(format!("{flag}: {m}"))))
            .transpose()
    };
    let (f, t) = (read("--from", from)?, read("--to", to)?);
    if let (Some(a), Some(b)) = (f, t)
        && b <= a
    {
        return Err(CommandError::Input(format!(
            "--to: must be after --from ({}), got {}",
            format_time(a),
            format_time(b)
        )));
    }
    Ok((f, t))
}

fn inside(w: Window, t: i64) -> bool {
    w.0.is_none_or(|f| t >= f) && w.1.is_none_or(|e| t < e)
}

/// Provisioning times per (VM size, priority), fitted.
pub(super) fn fit_provisioning(
    events: &NodeEvents,
    only: &[String],
    w: Window,
) -> (Vec<ProvisioningFit>, Vec<String>) {
    // Groups in order of first appearance; sizes compared ignoring case.
    let mut groups: Vec<(String, Priority, Vec<String>, Vec<f64>)> = vec![];
    for n in &events.nodes {
        if !(only.is_empty() || only.contains(&n.cluster)) || !inside(w, n.requested) {
            continue;
        }
        let Some(p) = n.provisioning_s() else {
            continue;
        };
        let g = match groups
            .iter_mut()
            .position(|g| g.0.eq_ignore_ascii_case(&n.vm_size) && g.1 == n.priority)
        {
            Some(i) => &mut groups[i],
            None => {
                groups.push((n.vm_size.clone(), n.priority, vec![], vec![]));
                groups.last_mut().expect("just pushed")
            }
        };
        if !g.2.contains(&n.cluster) {
            g.2.push(n.cluster.clone());
        }
        g.3.push(p);
    }
    let mut fits = vec![];
    let mut notes = vec![];
    for (vm_size, priority, clusters, samples) in groups {
        match fit::fit_durations(&samples) {
            Ok(fit) => fits.push(ProvisioningFit {
                vm_size,
                priority,
                clusters,
                fit,
            }),
            Err(e) => notes.push(format!(
                "provisioning time of {vm_size} ({}): not fitted: {e}",
                priority.as_str()
            )),
        }
    }
    if fits.is_empty() && notes.is_empty() {
        notes.push(
            "provisioning time: no node in the node events became ready inside the window".into(),
        );
    }
    (fits, notes)
}

/// Evictions per node-hour of each low-priority cluster.
pub(super) fn fit_evictions(
    events: &ClusterEvents,
    only: &[String],
    w: Window,
) -> (Vec<EvictionFit>, Vec<String>) {
    let from = w.0.unwrap_or(events.first);
    let to = w.1.unwrap_or(events.last);
    let mut fits = vec![];
    let mut notes = vec![];
    for c in &events.clusters {
        if !(only.is_empty() || only.contains(&c.name)) {
            continue;
        }
        if c.settings.priority != Some(Priority::LowPriority) {
            continue;
        }
        let Some(evictions) = c.evictions(from, to) else {
            notes.push(format!(
                "eviction rate of {}: the cluster events state no PreemptedNodeCount",
                c.name
            ));
            continue;
        };
        let node_hours = c.node_hours(from, to);
        if node_hours <= 0.0 {
            notes.push(format!(
                "eviction rate of {}: no node was allocated inside the window",
                c.name
            ));
            continue;
        }
        fits.push(EvictionFit {
            cluster: c.name.clone(),
            vm_size: c.settings.vm_size.clone(),
            rate: fit::poisson_rate(evictions, node_hours),
        });
    }
    (fits, notes)
}

/// Latency quantiles per deployment, and by requests in flight at arrival.
pub(super) fn fit_latencies(t: &Traffic, w: Window) -> (Vec<LatencyFit>, Vec<String>) {
    let mut fits = vec![];
    let mut notes = vec![];
    for (endpoint, deployment) in t.deployments() {
        let mine: Vec<&traffic::Request> = t
            .requests
            .iter()
            .filter(|r| r.endpoint == endpoint && r.deployment == deployment && inside(w, r.time))
            .collect();
        // Requests in flight when each arrived: a sweep over starts, with the ends of the
        // admitted requests (a 429 never held a slot) in a min-heap.
        let mut ends = std::collections::BinaryHeap::new();
        let mut by_k: Vec<Vec<f64>> = vec![];
        let mut all: Vec<f64> = vec![];
        for r in &mine {
            while ends.peek().is_some_and(|std::cmp::Reverse(e)| *e <= r.time) {
                ends.pop();
            }
            let k = ends.len() + 1;
            if r.code != 429 {
                ends.push(std::cmp::Reverse(r.end));
            }
            if let (true, Some(l)) = ((200..300).contains(&r.code), r.latency_ms) {
                all.push(l);
                if by_k.len() < k {
                    by_k.resize(k, vec![]);
                }
                by_k[k - 1].push(l);
            }
        }
        let label = if deployment.is_empty() {
            endpoint.clone()
        } else {
            format!("{endpoint}/{deployment}")
        };
        if all.len() < MIN_LATENCY_OBSERVATIONS {
            notes.push(format!(
                "latencies of {label}: {} served request{} with a latency, fewer than {MIN_LATENCY_OBSERVATIONS}",
                all.len(),
                if all.len() == 1 { "" } else { "s" }
            ));
            continue;
        }
        let by_in_flight: Vec<InFlight> = by_k
            .iter_mut()
            .enumerate()
            .map_while(|(i, v)| {
                (v.len() >= MIN_LATENCY_OBSERVATIONS).then(|| {
                    v.sort_by(f64::total_cmp);
                    InFlight {
                        in_flight: i as u32 + 1,
                        observations: v.len(),
                        p50_ms: fit::quantile(v, 0.5),
                        p95_ms: fit::quantile(v, 0.95),
                    }
                })
            })
            .collect();
        all.sort_by(f64::total_cmp);
        let (observations, p50_ms, p95_ms, alone) = match by_in_flight.first() {
            Some(a) => (a.observations, a.p50_ms, a.p95_ms, true),
            None => {
                notes.push(format!(
                    "latencies of {label}: fewer than {MIN_LATENCY_OBSERVATIONS} requests found the deployment idle: every served request's latency is used, waits included"
                ));
                (
                    all.len(),
                    fit::quantile(&all, 0.5),
                    fit::quantile(&all, 0.95),
                    false,
                )
            }
        };
        fits.push(LatencyFit {
            requests: mine.len(),
            rejected_429: mine.iter().filter(|r| r.code == 429).count(),
            served: all.len(),
            observations,
            p50_ms,
            p95_ms,
            alone,
            by_in_flight,
            endpoint,
            deployment,
        });
    }
    (fits, notes)
}

/// The file an empirical provisioning distribution's observations go to.
fn samples_file(vm_size: &str, priority: Priority) -> String {
    format!(
        "provisioning-{}-{}.csv",
        vm_size.to_ascii_lowercase(),
        priority.tier().replace('_', "-")
    )
}

/// The fitted values as scenario tables, with comments saying what each was fitted from.
fn paste_toml(
    out: &CalibrateOutcome,
    cluster_events: Option<&ClusterEvents>,
    node_events: Option<&NodeEvents>,
) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string();
    let mut t = String::from("# Fitted by capsim calibrate.\n");
    // Every cluster the exports name: from the cluster events (with its settings), else from
    // the node events.
    let mut names: Vec<(String, Option<String>, Option<Priority>)> = vec![];
    if let Some(c) = cluster_events {
        for oc in &c.clusters {
            names.push((
                oc.name.clone(),
                oc.settings.vm_size.clone(),
                oc.settings.priority,
            ));
        }
    }
    if let Some(n) = node_events {
        for node in &n.nodes {
            if !names.iter().any(|x| x.0 == node.cluster) {
                names.push((
                    node.cluster.clone(),
                    Some(node.vm_size.clone()),
                    Some(node.priority),
                ));
            }
        }
    }
    for (name, size, priority) in names {
        let prov = out.provisioning.iter().find(|p| {
            size.as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&p.vm_size))
                && priority == Some(p.priority)
        });
        let evict = out.evictions.iter().find(|e| e.cluster == name);
        if prov.is_none() && evict.is_none() && cluster_events.is_none() {
            continue;
        }
        t.push_str(&format!(
            "\n[[compute]]\nname = {}\ntype = \"amlcompute\"\n",
            q(&name)
        ));
        if let Some(s) = &size {
            t.push_str(&format!("size = {}\n", q(s)));
        }
        if let Some(p) = priority {
            t.push_str(&format!("tier = {}\n", q(p.tier())));
        }
        if let Some(oc) = cluster_events.and_then(|c| c.get(&name)) {
            let s = &oc.settings;
            if let Some(v) = s.min {
                t.push_str(&format!("min_instances = {v}\n"));
            }
            if let Some(v) = s.max {
                t.push_str(&format!("max_instances = {v}\n"));
            }
            if let Some(v) = s.idle_s {
                t.push_str(&format!("idle_time_before_scale_down = \"{v}s\"\n"));
            }
        }
        if let Some(p) = prov {
            let f = &p.fit;
            let said = format!(
                "# {} fitted to {} node{} of {} ({}): {}",
                f.chosen.family(),
                f.n,
                if f.n == 1 { "" } else { "s" },
                p.vm_size,
                p.priority.as_str(),
                f.reason
            );
            match &f.chosen {
                Dist::Empirical { .. } => {
                    t.push_str(&format!(
                        "{said}\n# with --scenario, calibrate writes the observations beside it ({}) and uses them; the best family was:\n",
                        samples_file(&p.vm_size, p.priority)
                    ));
                    if let Some(c) = f.candidates.first() {
                        t.push_str(&format!(
                            "provisioning_time = {}\n",
                            calibrated::dist_table(&c.dist, "")
                        ));
                    }
                }
                d => t.push_str(&format!(
                    "{said}\nprovisioning_time = {}\n",
                    calibrated::dist_table(d, "")
                )),
            }
        }
        if let Some(e) = evict {
            let r = &e.rate;
            if r.events > 0 {
                t.push_str(&format!(
                    "# {} evictions in {:.1} node-hours: {:.4} per node-hour (95% CI {:.4} to {:.4})\npreemption = {}\n",
                    r.events,
                    r.exposure,
                    r.rate,
                    r.lo,
                    r.hi,
                    calibrated::preemption_table(1.0 / r.rate)
                ));
            } else {
                t.push_str(&format!(
                    "# no eviction in {:.1} node-hours (95% CI up to {:.4} per node-hour): no preemption\n",
                    r.exposure, r.hi
                ));
            }
        }
    }
    for l in &out.latencies {
        t.push_str(&format!(
            "\n# Endpoint {}, deployment {}: {} of {} served requests {}: p50 {:.1} ms, p95 {:.1} ms. For its [[traffic]]:\n\
             # latency_profile = [{{ size = \"<the deployment's instance_type>\", concurrency = <its max_concurrent_requests_per_instance>, p50_ms = {:.1}, p95_ms = {:.1} }}]\n",
            l.endpoint,
            l.deployment,
            l.observations,
            l.served,
            if l.alone { "found it idle" } else { "(all, waits included)" },
            l.p50_ms,
            l.p95_ms,
            l.p50_ms,
            l.p95_ms
        ));
    }
    t
}

/// Writes the fitted values into the scenario at `path` (and the observations of an empirical
/// fit beside it), after checking that the result still loads.
fn edit_scenario(path: &Path, out: &mut CalibrateOutcome) -> Result<(), CommandError> {
    let source = Source::read(path)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut values = vec![];
    let mut samples: Vec<(PathBuf, String)> = vec![];
    for p in &out.provisioning {
        let file = samples_file(&p.vm_size, p.priority);
        if let Dist::Empirical { values: v } = &p.fit.chosen {
            let mut csv = format!("{}\n", calibrated::EMPIRICAL_COLUMN);
            for x in v {
                csv.push_str(&format!(
                    "{}\n",
                    crate::text::num((x * 1000.0).round() / 1000.0)
                ));
            }
            samples.push((dir.join(&file), csv));
        }
        values.push(Calibrated::Provisioning {
            size: p.vm_size.clone(),
            tier: p.priority.tier(),
            dist: calibrated::dist_table(&p.fit.chosen, &file),
        });
    }
    for e in &out.evictions {
        if e.rate.events > 0 {
            values.push(Calibrated::Preemption {
                cluster: e.cluster.clone(),
                mean_time_between_h: 1.0 / e.rate.rate,
            });
        }
    }
    for l in &out.latencies {
        values.push(Calibrated::Latency {
            endpoint: l.endpoint.clone(),
            deployment: l.deployment.clone(),
            p50_ms: l.p50_ms,
            p95_ms: l.p95_ms,
        });
    }
    let applied = calibrated::apply(&source.text, &values)
        .map_err(|m| CommandError::Input(format!("{}: {m}", path.display())))?;
    for (file, csv) in &samples {
        write_atomically(file, csv.as_bytes())?;
        out.samples.push(file.clone());
    }
    // The edited scenario must load as the file did: checked before it replaces the file.
    crate::scenario::load(&Source::new(path, applied.text.as_str()), &Edits::default())?;
    if applied.text != *source.text {
        write_atomically(path, applied.text.as_bytes())?;
    }
    out.edited = Some(EditedScenario {
        file: path.to_path_buf(),
        changes: applied.changes,
        unmatched: applied.unmatched,
    });
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file beside it, so that the file is whole or
/// untouched.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CommandError::Failed(format!("cannot write {}: {e}", path.display()))
        })
}
