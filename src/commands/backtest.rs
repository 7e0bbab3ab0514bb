//! `backtest`: how far the simulation is from a workspace's own history. The jobs of
//! `AmlComputeJobEvent` are replayed against each cluster's own settings (from
//! `AmlComputeClusterEvent`: size, priority, minimum and maximum nodes, idle time before scale
//! down), with the provisioning times and eviction rates `calibrate` fits from the same logs,
//! and what the simulation gives is compared with what the logs show: node-hours (and so cost),
//! peak and mean nodes, queue waits, evictions, and for endpoints (given a scenario that
//! describes them) requests and 429s.
//!
//! The output folder is a run's folder — `scenario.toml`, `summary.csv`, `timeseries.csv`, ...
//! — plus `backtest.csv` (the comparison), `observed_nodes.csv` (the logged node counts), and
//! the traces the scenario replays (`backtest_jobs.csv`, `backtest_requests_<endpoint>.csv`),
//! so its `scenario.toml` reruns as it is, and what-ifs start from it.
//!
//! The window: from the first submission of a replayed job (or `--from`; simulated time zero)
//! to the last logged event (or `--to`). A job is replayed when it was submitted inside the
//! window and started: its run time is its last attempt's (an attempt lost to an eviction is
//! simulated by the eviction rate again), to the window's end for one still running.

use super::calibrate::{self, EvictionFit, LatencyFit, ProvisioningFit, Window};
use super::run::{self, RunRequest};
use super::{
    CommandError, Edits, Observer, Source, csv_failed, io, load, output_dir_error, write_tail,
};
use crate::azure::monitor::clusters::{self, ClusterEvents};
use crate::azure::monitor::jobs::{self, JobHistory};
use crate::azure::monitor::nodes::{self, Priority};
use crate::azure::monitor::table::seconds;
use crate::azure::monitor::traffic::{self, Traffic};
use crate::azure::monitor::{ReadReport, format_time};
use crate::fit::Dist;
use crate::metrics::{Estimate, M};
use crate::output::runinfo::{self, Status};
use crate::output::schema::{backtest as bt, observed_nodes as on};
use crate::output::{OutputDir, files_finish};
use crate::scenario::calibrated;
use crate::sweep::RunResult;
use crate::text::num;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use toml_edit::{DocumentMut, Item};

/// The job history the backtest's scenario replays.
pub const JOBS_FILE: &str = "backtest_jobs.csv";

/// How far node-hours may be off for the history to count as matched, percent, by default.
pub const DEFAULT_TOLERANCE_PCT: f64 = 10.0;

/// What to backtest and how.
#[derive(Debug)]
pub struct BacktestRequest<'a> {
    /// `AmlComputeJobEvent` export.
    pub jobs: PathBuf,
    /// `AmlComputeClusterEvent` export.
    pub clusters: PathBuf,
    /// `AmlComputeClusterNodeEvent` export: provisioning times (else capsim's default).
    pub nodes: Option<PathBuf>,
    /// `AmlOnlineEndpointTrafficLog` export: requests to replay against `scenario`'s endpoints.
    pub traffic: Option<PathBuf>,
    /// A scenario whose `[[endpoint]]` tables describe the logged endpoints (the logs do not
    /// record instance types or counts).
    pub scenario: Option<PathBuf>,
    /// Only these clusters; all that have jobs and cluster events when empty.
    pub cluster_names: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub replications: u64,
    pub seed: u64,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Default `output/backtest`.
    pub out: Option<PathBuf>,
    pub report: bool,
    pub png: bool,
    pub skip_bad_rows: bool,
    /// Node-hours within this many percent on every cluster count as a match.
    pub tolerance_pct: f64,
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for BacktestRequest<'_> {
    fn default() -> Self {
        BacktestRequest {
            jobs: PathBuf::new(),
            clusters: PathBuf::new(),
            nodes: None,
            traffic: None,
            scenario: None,
            cluster_names: vec![],
            from: None,
            to: None,
            replications: 10,
            seed: 1,
            threads: 0,
            out: None,
            report: false,
            png: false,
            skip_bad_rows: false,
            tolerance_pct: DEFAULT_TOLERANCE_PCT,
            cancel: None,
        }
    }
}

/// One measure of one target, observed against simulated.
#[derive(Clone, Debug, PartialEq)]
pub struct BacktestRow {
    pub target: String,
    pub measure: &'static str,
    pub unit: &'static str,
    pub observed: f64,
    pub simulated: Estimate,
    /// `None` when nothing was observed.
    pub error_pct: Option<f64>,
    pub observations: u64,
    pub basis: String,
}

/// What the backtest found and wrote.
#[derive(Debug)]
pub struct BacktestOutcome {
    pub out_dir: PathBuf,
    pub rows: Vec<BacktestRow>,
    /// The window, nanoseconds since 1970 UTC.
    pub window: (i64, i64),
    pub clusters: Vec<String>,
    pub endpoints: Vec<String>,
    /// Jobs replayed.
    pub jobs: usize,
    pub provisioning: Vec<ProvisioningFit>,
    pub evictions: Vec<EvictionFit>,
    pub latencies: Vec<LatencyFit>,
    pub reads: Vec<ReadReport>,
    /// Node-hours within the tolerance on every cluster.
    pub matched: bool,
    pub tolerance_pct: f64,
    pub notes: Vec<String>,
    pub report: Vec<PathBuf>,
}

/// Replays the history, simulates it, compares, and writes the folder.
pub fn backtest(
    req: BacktestRequest<'_>,
    observer: &dyn Observer,
) -> Result<BacktestOutcome, CommandError> {
    if req.replications == 0 {
        return Err(CommandError::Input(
            "--replications: must be 1 or more".into(),
        ));
    }
    if !(req.tolerance_pct.is_finite() && req.tolerance_pct > 0.0) {
        return Err(CommandError::Input(format!(
            "--tolerance: must be a percentage above zero, got {}",
            req.tolerance_pct
        )));
    }
    let on_bad_row = calibrate::on_bad_row(req.skip_bad_rows);
    let asked: Window = calibrate::window(req.from.as_deref(), req.to.as_deref())?;
    let history = jobs::read(&req.jobs, on_bad_row).map_err(calibrate::monitor_errors)?;
    let cluster_events =
        clusters::read(&req.clusters, on_bad_row).map_err(calibrate::monitor_errors)?;
    let node_events = match &req.nodes {
        Some(p) => Some(nodes::read(p, on_bad_row).map_err(calibrate::monitor_errors)?),
        None => None,
    };
    let traffic_log = match &req.traffic {
        Some(p) => Some(traffic::read(p, on_bad_row).map_err(calibrate::monitor_errors)?),
        None => None,
    };
    let mut notes = vec![];
    let names = clusters_to_replay(&req, &history, &cluster_events, &mut notes)?;

    // The window and the jobs replayed.
    let end = asked
        .1
        .unwrap_or_else(|| history.last.max(cluster_events.last));
    let filter = jobs::JobFilter {
        clusters: names.clone(),
        from: asked.0,
        to: Some(end),
        ..jobs::JobFilter::default()
    };
    let replayed: Vec<&jobs::HistoryJob> = history
        .select(&filter)
        .into_iter()
        .filter(|j| j.last_start.is_some())
        .collect();
    let never_started = history
        .select(&filter)
        .iter()
        .filter(|j| j.last_start.is_none())
        .count();
    if never_started > 0 {
        notes.push(format!(
            "{never_started} job{} submitted in the window never started (still queued, or canceled or failed before starting): not replayed",
            if never_started == 1 { "" } else { "s" }
        ));
    }
    let Some(start) = replayed.iter().map(|j| j.submitted).min() else {
        return Err(CommandError::Input(format!(
            "{}: no job of {} started inside the window",
            req.jobs.display(),
            names.join(", ")
        )));
    };
    if end <= start {
        return Err(CommandError::Input(format!(
            "the window is empty: from {} to {}",
            format_time(start),
            format_time(end)
        )));
    }
    let w: Window = (Some(start), Some(end));
    let provisioning = match &node_events {
        Some(n) => {
            let (fits, more) = calibrate::fit_provisioning(n, &names, w);
            notes.extend(more);
            fits
        }
        None => vec![],
    };
    let (evictions, more) = calibrate::fit_evictions(&cluster_events, &names, w);
    notes.extend(more);
    let latencies = match &traffic_log {
        Some(t) => {
            let (fits, _) = calibrate::fit_latencies(t, w);
            fits
        }
        None => vec![],
    };

    // The scenario.
    let mut reads = vec![history.report.clone(), cluster_events.report.clone()];
    reads.extend(node_events.as_ref().map(|n| n.report.clone()));
    reads.extend(traffic_log.as_ref().map(|t| t.report.clone()));
    let built = build_scenario(
        &req,
        &names,
        &cluster_events,
        &provisioning,
        &evictions,
        (start, end),
        &mut notes,
    )?;
    let mut text = built;
    let endpoints = match (&traffic_log, &req.scenario) {
        (Some(t), Some(s)) => add_endpoints(&mut text, t, s, &latencies, (start, end), &mut notes)?,
        (Some(_), None) => {
            notes.push(
                "429s: the traffic log does not record the endpoints' instance types, counts or concurrency; give --scenario with their [[endpoint]] tables to replay the requests against them".into(),
            );
            vec![]
        }
        _ => vec![],
    };

    // Simulate into the folder.
    let out_dir = req
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join("backtest"));
    let mut out = OutputDir::replace(&out_dir).map_err(output_dir_error)?;
    out.write(JOBS_FILE, jobs::replay_csv(&replayed, end).as_bytes())
        .map_err(io)?;
    for e in &endpoints {
        out.write(&e.file, e.csv.as_bytes()).map_err(io)?;
    }
    let staged = out.staging().join("scenario.toml");
    let plan = load(
        &Source::new(&staged, text.as_str()),
        &Edits::default(),
        false,
        observer,
    )
    .map_err(|e| match e {
        // Said of the scenario the folder would hold, not of its staging copy.
        CommandError::Scenario(e) => CommandError::Input(format!(
            "the scenario written from the logs does not load (a size the catalog lacks?):\n{}",
            e.to_string().replace(
                &staged.display().to_string(),
                &out_dir.join("scenario.toml").display().to_string()
            )
        )),
        e => e,
    })?;
    let run_req = RunRequest {
        file: out_dir.join("scenario.toml"),
        threads: req.threads,
        cancel: req.cancel,
        ..RunRequest::default()
    };
    let mut info = run::run_info(&run_req, &plan);
    info.note = Some(format!(
        "capsim backtest of {} from {} to {}",
        req.jobs.display(),
        format_time(start),
        format_time(end)
    ));
    let pairs = crate::sweep::pairs(&plan);
    observer.progress_start(Some(pairs.len() as u64));
    let (kept, interrupted) =
        run::simulate(&run_req, &plan, &pairs, 0..pairs.len(), &mut out, observer)?;
    if interrupted {
        drop(out);
        return Err(CommandError::Interrupted(format!(
            "interrupted: the backtest was not finished; nothing was written to {}",
            out_dir.display()
        )));
    }
    let results: Vec<RunResult> = kept.into_iter().map(|(_, r)| r).collect();
    let first = plan.variants[0].scenario.clone();
    write_tail(&mut out, &plan, &results, &first)?;

    // Compare.
    let summary = results[0].summary(first.system.targets.len());
    let target = |name: &str| first.system.targets.iter().position(|t| t.name == name);
    let mut rows = vec![];
    for name in &names {
        let (Some(t), Some(oc)) = (target(name), cluster_events.get(name)) else {
            continue;
        };
        let price = first.system.targets[t].price_usd_per_hour();
        let est = |m: M| summary[t][m as usize];
        let node_hours = oc.node_hours(start, end);
        let points = oc
            .points
            .iter()
            .filter(|p| p.time >= start && p.time < end)
            .count() as u64;
        let hours = seconds(start, end) / 3600.0;
        let row = |measure, unit, observed, simulated, observations, basis: String| BacktestRow {
            target: name.clone(),
            measure,
            unit,
            observed,
            simulated,
            error_pct: error_pct(observed, simulated),
            observations,
            basis,
        };
        rows.push(row(
            "node_hours",
            "hours",
            node_hours,
            est(M::node_hours),
            points,
            "CurrentNodeCount integrated over the window".into(),
        ));
        let cost = Estimate {
            mean: est(M::cost).mean,
            ci95: est(M::cost).ci95,
            n: est(M::cost).n,
        };
        rows.push(row(
            "cost_usd",
            "USD",
            node_hours * price,
            cost,
            points,
            format!(
                "node_hours at {} USD per node-hour ({})",
                num(price),
                first.system.targets[t].price_source
            ),
        ));
        rows.push(row(
            "nodes_peak",
            "nodes",
            f64::from(oc.peak(start, end)),
            est(M::nodes_peak),
            points,
            "largest CurrentNodeCount in the window".into(),
        ));
        rows.push(row(
            "nodes_mean",
            "nodes",
            node_hours / hours,
            est(M::nodes_mean),
            points,
            "node_hours over the window's hours".into(),
        ));
        let waits: Vec<f64> = replayed
            .iter()
            .filter(|j| j.cluster == *name && j.started.is_some_and(|s| s < end))
            .filter_map(|j| j.wait_s())
            .collect();
        let seen: Vec<&&jobs::HistoryJob> = replayed
            .iter()
            .filter(|j| j.cluster == *name && j.submitted_seen)
            .collect();
        if !waits.is_empty() && !seen.is_empty() {
            rows.push(row(
                "wait_mean_s",
                "s",
                waits.iter().sum::<f64>() / waits.len() as f64,
                est(M::wait_mean),
                waits.len() as u64,
                "JobSubmitted to the first JobRunning, mean over the jobs replayed".into(),
            ));
        }
        if oc.settings.priority == Some(Priority::LowPriority)
            && let Some(n) = oc.evictions(start, end)
        {
            rows.push(row(
                "preemptions",
                "count",
                n as f64,
                est(M::preemptions),
                points,
                "rises of PreemptedNodeCount".into(),
            ));
        }
    }
    for e in &endpoints {
        let Some(t) = target(&e.name) else { continue };
        let est = |m: M| summary[t][m as usize];
        rows.push(BacktestRow {
            target: e.name.clone(),
            measure: "requests",
            unit: "count",
            observed: e.requests as f64,
            simulated: est(M::requests),
            error_pct: error_pct(e.requests as f64, est(M::requests)),
            observations: e.requests as u64,
            basis: "rows of the traffic log in the window".into(),
        });
        rows.push(BacktestRow {
            target: e.name.clone(),
            measure: "rejected_429",
            unit: "count",
            observed: e.rejected_429 as f64,
            simulated: est(M::rejected_429),
            error_pct: error_pct(e.rejected_429 as f64, est(M::rejected_429)),
            observations: e.requests as u64,
            basis: "rows with ResponseCode 429".into(),
        });
    }
    let matched = rows
        .iter()
        .filter(|r| r.measure == "node_hours")
        .all(|r| r.error_pct.is_some_and(|e| e.abs() <= req.tolerance_pct));

    out.write(bt::FILE.name, &backtest_csv(&rows).map_err(csv_failed)?)
        .map_err(io)?;
    let mut f = out.create(on::FILE.name).map_err(io)?;
    {
        use std::io::Write;
        let mut w = csv::Writer::from_writer(&mut f);
        w.write_record(on::FILE.header(&[])).map_err(csv_failed)?;
        for name in &names {
            let Some(oc) = cluster_events.get(name) else {
                continue;
            };
            let mut steps = oc.steps(start, end);
            let last = steps.last().map_or(0, |s| s.1);
            steps.push((end, last));
            for (t, n) in steps {
                w.write_record([num(seconds(start, t)), name.clone(), n.to_string()])
                    .map_err(csv_failed)?;
            }
        }
        w.flush().map_err(io)?;
        drop(w);
        f.flush().map_err(io)?;
    }
    files_finish(f).map_err(io)?;
    info.finish(Status::Complete);
    out.write(runinfo::FILE_NAME, &info.to_json()).map_err(io)?;
    // The report is committed with the results, as `run`'s is.
    let report = req.report.then(|| super::report::stage(&mut out, req.png));
    out.commit().map_err(io)?;
    let report = report.transpose()?.unwrap_or_default();
    Ok(BacktestOutcome {
        out_dir,
        rows,
        window: (start, end),
        clusters: names,
        endpoints: endpoints.into_iter().map(|e| e.name).collect(),
        jobs: replayed.len(),
        provisioning,
        evictions,
        latencies,
        reads,
        matched,
        tolerance_pct: req.tolerance_pct,
        notes,
        report,
    })
}

fn error_pct(observed: f64, simulated: Estimate) -> Option<f64> {
    (observed != 0.0 && simulated.mean.is_finite())
        .then(|| (simulated.mean - observed) / observed * 100.0)
}

/// The clusters asked for (each must have jobs and cluster events), else every cluster with
/// both.
fn clusters_to_replay(
    req: &BacktestRequest<'_>,
    history: &JobHistory,
    events: &ClusterEvents,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, CommandError> {
    let with_jobs = history.clusters();
    if !req.cluster_names.is_empty() {
        for n in &req.cluster_names {
            if !with_jobs.contains(n) {
                return Err(CommandError::Input(format!(
                    "--cluster {n}: {} has no job on it (its clusters: {})",
                    req.jobs.display(),
                    with_jobs.join(", ")
                )));
            }
            if events.get(n).is_none() {
                return Err(CommandError::Input(format!(
                    "--cluster {n}: {} has no row of it, so its settings are unknown",
                    req.clusters.display()
                )));
            }
        }
        return Ok(req.cluster_names.clone());
    }
    let mut names = vec![];
    for n in with_jobs {
        if events.get(&n).is_some() {
            names.push(n);
        } else {
            notes.push(format!(
                "cluster {n}: it has jobs but no AmlComputeClusterEvent row, so its settings are unknown: not replayed"
            ));
        }
    }
    if names.is_empty() {
        return Err(CommandError::Input(format!(
            "no cluster of {} appears in {}",
            req.jobs.display(),
            req.clusters.display()
        )));
    }
    Ok(names)
}

/// The scenario that replays the history on the clusters' own settings.
fn build_scenario(
    req: &BacktestRequest<'_>,
    names: &[String],
    events: &ClusterEvents,
    provisioning: &[ProvisioningFit],
    evictions: &[EvictionFit],
    (start, end): (i64, i64),
    notes: &mut Vec<String>,
) -> Result<String, CommandError> {
    let q = |s: &str| toml_edit::Value::from(s).to_string();
    let horizon_s = seconds(start, end).ceil();
    let mut t = format!(
        "# Written by capsim backtest: the history of {} ({} to {}) replayed against the\n\
         # clusters' own settings from {}. Run it as it is, or change a setting to ask what if.\n\
         name = \"backtest\"\n\
         horizon = \"{}s\"\n\
         replications = {}\n\
         seed = {}\n\
         start_date = {}\n",
        req.jobs.display(),
        format_time(start),
        format_time(end),
        req.clusters.display(),
        num(horizon_s),
        req.replications,
        req.seed,
        &format_time(start)[..10],
    );
    for name in names {
        let Some(oc) = events.get(name) else { continue };
        let s = &oc.settings;
        let Some(size) = &s.vm_size else {
            return Err(CommandError::Input(format!(
                "{}: no row of cluster {name} states its VmSize",
                req.clusters.display()
            )));
        };
        let priority = s.priority.unwrap_or(Priority::Dedicated);
        t.push_str(&format!(
            "\n[[compute]]\nname = {}\ntype = \"amlcompute\"\nsize = {}\ntier = {}\n",
            q(name),
            q(size),
            q(priority.tier())
        ));
        t.push_str(&format!("min_instances = {}\n", s.min.unwrap_or(0)));
        match s.max {
            Some(m) => t.push_str(&format!("max_instances = {m}\n")),
            None => {
                let peak = oc.peak(start, end).max(1);
                notes.push(format!(
                    "cluster {name}: no MaximumNodeCount in its events: the peak observed ({peak}) is used"
                ));
                t.push_str(&format!("max_instances = {peak}\n"));
            }
        }
        if s.min.is_none() {
            notes.push(format!(
                "cluster {name}: no MinimumNodeCount in its events: 0 is used"
            ));
        }
        match s.idle_s {
            Some(i) => t.push_str(&format!("idle_time_before_scale_down = \"{i}s\"\n")),
            None => notes.push(format!(
                "cluster {name}: no NodeIdleTimeSecondsBeforeScaleDown in its events: Azure's default is used"
            )),
        }
        if oc.changes.len() > 1 {
            notes.push(format!(
                "cluster {name}: its settings changed {} times in the export; the ones in force the longest are used",
                oc.changes.len() - 1
            ));
        }
        match provisioning
            .iter()
            .find(|p| p.vm_size.eq_ignore_ascii_case(size) && p.priority == priority)
        {
            Some(p) => {
                let d = match &p.fit.chosen {
                    // A backtest folder holds no file of observations: the best family stands in.
                    Dist::Empirical { .. } => p.fit.candidates.first().map(|c| &c.dist),
                    d => Some(d),
                };
                if let Some(d) = d {
                    t.push_str(&format!(
                        "provisioning_time = {}   # fitted to {} nodes\n",
                        calibrated::dist_table(d, ""),
                        p.fit.n
                    ));
                }
            }
            None => notes.push(format!(
                "cluster {name}: no node events of {size} ({}): capsim's default provisioning time (an assumption) is used",
                priority.as_str()
            )),
        }
        // Low priority is Spot from 2026-03-31: the logs carry no price, so the catalog's Spot
        // price stands as a fixed fraction of pay-as-you-go (the bill the logs imply), instead of
        // the assumed price risk and its warning.
        if priority == Priority::LowPriority
            && let Some(vm) = crate::catalog::Catalog::builtin().get(size)
            && let (Some(lp), Some(list)) =
                (vm.low_priority_price_usd_per_hour, vm.price_usd_per_hour)
            && list > 0.0
        {
            t.push_str(&format!(
                "spot_price = {{ fraction = {} }}   # the catalog's Spot price: the logs carry no prices; give your region's Spot history\n",
                num((lp / list).min(1.0))
            ));
        }
        if let Some(e) = evictions.iter().find(|e| e.cluster == *name)
            && e.rate.events > 0
        {
            t.push_str(&format!(
                "preemption = {}   # {} evictions in {:.1} node-hours\n",
                calibrated::preemption_table(1.0 / e.rate.rate),
                e.rate.events,
                e.rate.exposure
            ));
        }
        t.push_str(&format!(
            "\n[[workload]]\nname = {}\ncompute = {}\n\
             arrivals = {{ process = \"trace\", file = \"{JOBS_FILE}\", submit_column = \"{}\", time_format = \"{}\", duration_column = \"{}\", nodes_column = \"{}\", cluster_column = \"{}\", clusters = [{}] }}\n",
            q(&format!("{name}-jobs")),
            q(name),
            jobs::REPLAY_SUBMIT,
            jobs::REPLAY_TIME_FORMAT,
            jobs::REPLAY_DURATION,
            jobs::REPLAY_NODES,
            jobs::REPLAY_CLUSTER,
            q(name)
        ));
    }
    Ok(t)
}

/// An endpoint replayed: its name, its trace file and what the log shows.
struct EndpointReplay {
    name: String,
    file: String,
    csv: String,
    requests: usize,
    rejected_429: usize,
}

/// Adds to `text` each `[[endpoint]]` of `scenario` that the traffic log names, with a
/// `[[traffic]]` replaying its logged requests and its fitted latencies.
fn add_endpoints(
    text: &mut String,
    log: &Traffic,
    scenario: &Path,
    latencies: &[LatencyFit],
    (start, end): (i64, i64),
    notes: &mut Vec<String>,
) -> Result<Vec<EndpointReplay>, CommandError> {
    let source = Source::read(scenario)?;
    let theirs: DocumentMut = source.text.parse().map_err(|e: toml_edit::TomlError| {
        CommandError::Input(format!("{}: {}", scenario.display(), e.message()))
    })?;
    // The endpoints and their traffic, appended to the text after the clusters.
    let mut doc = DocumentMut::new();
    let mut out = vec![];
    let Some(Item::ArrayOfTables(endpoints)) = theirs.get("endpoint") else {
        notes.push(format!(
            "429s: {} has no [[endpoint]] table",
            scenario.display()
        ));
        return Ok(out);
    };
    let logged: Vec<String> = {
        let mut v: Vec<String> = vec![];
        for r in &log.requests {
            if !v.contains(&r.endpoint) {
                v.push(r.endpoint.clone());
            }
        }
        v
    };
    for ep in endpoints.iter() {
        let name = ep.get("name").and_then(|n| n.as_str()).unwrap_or_default();
        if !logged.iter().any(|l| l == name) {
            continue;
        }
        let size = ep
            .get("instance_type")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string();
        let concurrency = ep
            .get("request_settings")
            .and_then(|r| r.as_table_like())
            .and_then(|r| r.get("max_concurrent_requests_per_instance"))
            .and_then(|c| c.as_integer())
            .unwrap_or(1);
        let mine: Vec<&traffic::Request> = log
            .requests
            .iter()
            .filter(|r| r.endpoint == name && r.time >= start && r.time < end)
            .collect();
        if mine.is_empty() {
            continue;
        }
        // The deployment with the most served requests stands for the endpoint.
        let Some(lat) = latencies
            .iter()
            .filter(|l| l.endpoint == name)
            .max_by_key(|l| l.served)
        else {
            notes.push(format!(
                "endpoint {name}: too few served requests in the window to fit its latencies: not replayed"
            ));
            continue;
        };
        let file = format!(
            "{}{}{}",
            crate::output::BACKTEST_REQUESTS.0,
            name.chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                })
                .collect::<String>(),
            crate::output::BACKTEST_REQUESTS.1
        );
        let mut csv = String::from("time\n");
        for r in &mine {
            csv.push_str(&format_time(r.time));
            csv.push('\n');
        }
        let mut table = ep.clone();
        table.decor_mut().clear();
        let entry = doc
            .as_table_mut()
            .entry("endpoint")
            .or_insert(Item::ArrayOfTables(Default::default()));
        if let Some(a) = entry.as_array_of_tables_mut() {
            a.push(table);
        }
        let traffic_text = format!(
            "name = {}\nendpoint = {}\narrivals = {{ process = \"trace\", file = \"{file}\", submit_column = \"time\", time_format = \"{}\" }}\nlatency_profile = [{}]\n",
            toml_edit::Value::from(format!("{name}-requests")),
            toml_edit::Value::from(name),
            jobs::REPLAY_TIME_FORMAT,
            calibrated::latency_row(&size, concurrency, lat.p50_ms, lat.p95_ms)
        );
        let traffic_table: DocumentMut = traffic_text
            .parse()
            .map_err(|e: toml_edit::TomlError| CommandError::Failed(e.message().to_string()))?;
        let entry = doc
            .as_table_mut()
            .entry("traffic")
            .or_insert(Item::ArrayOfTables(Default::default()));
        if let Some(a) = entry.as_array_of_tables_mut() {
            a.push(traffic_table.as_table().clone());
        }
        out.push(EndpointReplay {
            name: name.to_string(),
            file,
            csv,
            requests: mine.len(),
            rejected_429: mine.iter().filter(|r| r.code == 429).count(),
        });
    }
    if out.is_empty() {
        notes.push(format!(
            "429s: no [[endpoint]] of {} is named like an endpoint of the traffic log ({})",
            scenario.display(),
            logged.join(", ")
        ));
    }
    if !out.is_empty() {
        text.push('\n');
        text.push_str(&doc.to_string());
    }
    Ok(out)
}

/// `backtest.csv`.
fn backtest_csv(rows: &[BacktestRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(bt::FILE.header(&[]))?;
    for r in rows {
        let ci = r.simulated.ci95;
        w.write_record([
            r.target.clone(),
            r.measure.to_string(),
            r.unit.to_string(),
            num(r.observed),
            num(r.simulated.mean),
            if ci.is_finite() {
                num(ci)
            } else {
                String::new()
            },
            r.error_pct.map_or(String::new(), num),
            r.observations.to_string(),
            r.basis.clone(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
