//! `AmlComputeJobEvent`: one row per event of a job on a compute cluster, read into one
//! [`HistoryJob`] per job: when it was submitted, when it ran, on how many nodes, how it
//! ended.
//!
//! How the events are read (the table reference names the event types JobSubmitted,
//! JobRunning, JobSucceeded and JobFailed; `ExecutionState` is Queued, Running, Succeeded or
//! Failed):
//! - the kind of an event is its `EventType`, or, when that is empty or another type, its
//!   `ExecutionState`; cancellation is read from either (`JobCancelled`, `Canceled`, ...);
//!   events of other kinds are counted and ignored;
//! - submission is the earliest JobSubmitted event, else the job's earliest event;
//! - a job runs in attempts: its JobRunning events grouped where they are less than
//!   [`ATTEMPT_GAP_S`] apart (a multi-node job logs one per node, at about the same time; a
//!   job restarted after its node was evicted logs a new group). Its first start is the first
//!   attempt's, its run time the last attempt's, up to its end, and its nodes are the distinct
//!   `NodeId`s of the last attempt (1 when the events name none);
//! - the end is the earliest JobSucceeded, JobFailed or cancellation event, and gives the
//!   status; a job without one is still running (or still queued) at the end of the export;
//! - rows repeating an event already read (same job, kind, time and node) are duplicates.

use super::table::{self, MonitorError, ReadReport, Schema, format_time, seconds};
use crate::workload::trace::OnBadRow;
use indexmap::IndexMap;
use std::collections::BTreeSet;
use std::path::Path;

pub const SCHEMA: Schema = Schema {
    table: "AmlComputeJobEvent",
    required: &["TimeGenerated", "ClusterName", "JobId", "EventType"],
    optional: &["JobName", "ExecutionState", "NodeId"],
};

/// Running events further apart than this start a new attempt, seconds.
pub const ATTEMPT_GAP_S: f64 = 60.0;

/// How a job ended, or where it stood when the export ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobStatus {
    Succeeded,
    Failed,
    Canceled,
    /// Started and not ended.
    Running,
    /// Submitted, never started, not ended.
    Queued,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Canceled,
        JobStatus::Running,
        JobStatus::Queued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Succeeded => "Succeeded",
            JobStatus::Failed => "Failed",
            JobStatus::Canceled => "Canceled",
            JobStatus::Running => "Running",
            JobStatus::Queued => "Queued",
        }
    }

    /// A status as users write it (any case; `Completed` is Succeeded, `Cancelled` Canceled).
    pub fn parse(s: &str) -> Option<JobStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "succeeded" | "completed" | "success" => Some(JobStatus::Succeeded),
            "failed" => Some(JobStatus::Failed),
            "canceled" | "cancelled" => Some(JobStatus::Canceled),
            "running" => Some(JobStatus::Running),
            "queued" => Some(JobStatus::Queued),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Submitted,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

fn kind_of(event_type: &str, state: &str) -> Option<Kind> {
    let by_type = match event_type.to_ascii_lowercase().as_str() {
        "jobsubmitted" => Some(Kind::Submitted),
        "jobrunning" => Some(Kind::Running),
        "jobsucceeded" | "jobcompleted" => Some(Kind::Succeeded),
        "jobfailed" => Some(Kind::Failed),
        "jobcancelled" | "jobcanceled" => Some(Kind::Canceled),
        _ => None,
    };
    by_type.or_else(|| match state.to_ascii_lowercase().as_str() {
        "queued" | "notstarted" | "preparing" => Some(Kind::Submitted),
        "running" => Some(Kind::Running),
        "succeeded" | "completed" | "finished" => Some(Kind::Succeeded),
        "failed" => Some(Kind::Failed),
        "canceled" | "cancelled" => Some(Kind::Canceled),
        _ => None,
    })
}

/// One job, from its events.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryJob {
    pub id: String,
    pub name: String,
    pub cluster: String,
    /// The line of the job's first row in the file.
    pub line: u64,
    /// Nanoseconds since 1970-01-01 UTC.
    pub submitted: i64,
    /// Whether a JobSubmitted event was seen (else `submitted` is the earliest event).
    pub submitted_seen: bool,
    /// The first attempt's start.
    pub started: Option<i64>,
    /// The last attempt's start.
    pub last_start: Option<i64>,
    pub ended: Option<i64>,
    pub attempts: u32,
    /// Distinct nodes of the last attempt; 1 when its events name none.
    pub nodes: u32,
    pub status: JobStatus,
}

impl HistoryJob {
    /// From submission to the first start, seconds.
    pub fn wait_s(&self) -> Option<f64> {
        self.started.map(|s| seconds(self.submitted, s).max(0.0))
    }

    /// The last attempt's run time, seconds: to its end, or to `until` for a job still running.
    pub fn run_s(&self, until: i64) -> Option<f64> {
        let start = self.last_start?;
        Some(seconds(start, self.ended.unwrap_or(until).max(start)))
    }
}

/// Every job of an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobHistory {
    /// In the order of their first row.
    pub jobs: Vec<HistoryJob>,
    pub report: ReadReport,
    /// The earliest and latest event time in the file (0 without events).
    pub first: i64,
    pub last: i64,
}

/// Which jobs to take.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobFilter {
    /// Cluster names (exact); all when empty.
    pub clusters: Vec<String>,
    /// All when empty.
    pub statuses: Vec<JobStatus>,
    /// Jobs submitted at or after this time (nanoseconds since 1970 UTC).
    pub from: Option<i64>,
    /// Jobs submitted before this time.
    pub to: Option<i64>,
}

impl JobHistory {
    pub fn select(&self, f: &JobFilter) -> Vec<&HistoryJob> {
        self.jobs
            .iter()
            .filter(|j| f.clusters.is_empty() || f.clusters.contains(&j.cluster))
            .filter(|j| f.statuses.is_empty() || f.statuses.contains(&j.status))
            .filter(|j| f.from.is_none_or(|t| j.submitted >= t))
            .filter(|j| f.to.is_none_or(|t| j.submitted < t))
            .collect()
    }

    /// The clusters the jobs ran on, in order of first appearance.
    pub fn clusters(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for j in &self.jobs {
            if !out.contains(&j.cluster) {
                out.push(j.cluster.clone());
            }
        }
        out
    }
}

/// One event as read.
struct Event {
    line: u64,
    time: i64,
    cluster: String,
    job: String,
    name: String,
    kind: Option<Kind>,
    node: String,
}

/// Reads an `AmlComputeJobEvent` export.
pub fn read(path: &Path, on_bad_row: OnBadRow) -> Result<JobHistory, Vec<MonitorError>> {
    let (events, report) = table::read(path, &SCHEMA, on_bad_row, read_event)?;
    Ok(assemble(events, report))
}

/// As [`read`], on the file's bytes.
pub fn parse(
    path: &Path,
    data: &[u8],
    on_bad_row: OnBadRow,
) -> Result<JobHistory, Vec<MonitorError>> {
    let (events, report) = table::parse(path, data, &SCHEMA, on_bad_row, read_event)?;
    Ok(assemble(events, report))
}

fn read_event(r: &mut table::Row<'_>, _: &mut ReadReport) -> Option<Event> {
    let time = r.time("TimeGenerated");
    let cluster = r.required_text("ClusterName");
    let job = r.required_text("JobId");
    let event_type = r.text("EventType");
    let state = r.text("ExecutionState");
    Some(Event {
        line: r.line,
        time: time?,
        cluster: cluster?,
        job: job?,
        name: r.text("JobName"),
        kind: kind_of(&event_type, &state),
        node: r.text("NodeId"),
    })
}

fn assemble(events: Vec<Event>, mut report: ReadReport) -> JobHistory {
    let first = events.iter().map(|e| e.time).min().unwrap_or(0);
    let last = events.iter().map(|e| e.time).max().unwrap_or(0);
    let mut seen: BTreeSet<(String, Kind, i64, String)> = BTreeSet::new();
    let mut by_job: IndexMap<String, Vec<Event>> = IndexMap::new();
    for e in events {
        let Some(kind) = e.kind else {
            report.ignore(
                "event{s} of a type other than submitted, running, succeeded, failed or canceled",
            );
            continue;
        };
        if !seen.insert((e.job.clone(), kind, e.time, e.node.clone())) {
            report.duplicates += 1;
            continue;
        }
        by_job.entry(e.job.clone()).or_default().push(e);
    }
    let jobs = by_job
        .into_iter()
        .map(|(id, mut evs)| {
            evs.sort_by_key(|e| (e.time, e.line));
            job_of(id, &evs)
        })
        .collect();
    JobHistory {
        jobs,
        report,
        first,
        last,
    }
}

/// One job from its events, sorted by time.
fn job_of(id: String, evs: &[Event]) -> HistoryJob {
    let line = evs.iter().map(|e| e.line).min().unwrap_or(0);
    let is = |k: Kind| move |e: &&Event| e.kind == Some(k);
    let submitted_at = evs.iter().find(is(Kind::Submitted)).map(|e| e.time);
    let running: Vec<&Event> = evs.iter().filter(is(Kind::Running)).collect();
    // Attempts: groups of running events less than ATTEMPT_GAP_S apart.
    let mut attempts: Vec<Vec<&Event>> = vec![];
    for e in running {
        match attempts.last_mut() {
            Some(a) if seconds(a.last().map_or(e.time, |p| p.time), e.time) < ATTEMPT_GAP_S => {
                a.push(e)
            }
            _ => attempts.push(vec![e]),
        }
    }
    let end = evs.iter().find(|e| {
        matches!(
            e.kind,
            Some(Kind::Succeeded | Kind::Failed | Kind::Canceled)
        )
    });
    let started = attempts.first().map(|a| a[0].time);
    let last_start = attempts.last().map(|a| a[0].time);
    let nodes = attempts.last().map_or(1, |a| {
        let distinct: BTreeSet<&str> = a
            .iter()
            .map(|e| e.node.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        distinct.len().max(1) as u32
    });
    let status = match (end.and_then(|e| e.kind), started) {
        (Some(Kind::Succeeded), _) => JobStatus::Succeeded,
        (Some(Kind::Failed), _) => JobStatus::Failed,
        (Some(Kind::Canceled), _) => JobStatus::Canceled,
        (_, Some(_)) => JobStatus::Running,
        _ => JobStatus::Queued,
    };
    let name = evs
        .iter()
        .map(|e| e.name.as_str())
        .find(|n| !n.is_empty())
        .unwrap_or_default()
        .to_string();
    HistoryJob {
        id,
        name,
        cluster: evs[0].cluster.clone(),
        line,
        submitted: submitted_at.unwrap_or(evs[0].time),
        submitted_seen: submitted_at.is_some(),
        started,
        last_start,
        ended: end.map(|e| e.time),
        attempts: attempts.len() as u32,
        nodes,
        status,
    }
}

/// Column names of [`replay_csv`].
pub const REPLAY_SUBMIT: &str = "submit_time";
pub const REPLAY_DURATION: &str = "duration_s";
pub const REPLAY_NODES: &str = "nodes";
pub const REPLAY_STATUS: &str = "status";
pub const REPLAY_CLUSTER: &str = "cluster";
/// The strftime format of [`REPLAY_SUBMIT`], for a trace's `time_format`.
pub const REPLAY_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

/// The jobs that ran, as a plain job history a scenario replays (`process = "trace"`): one row
/// per job with its submission, the run time of its last attempt (to `until` for one still
/// running), nodes, status and cluster, in submission order. Jobs that never started have no
/// run time and are left out.
pub fn replay_csv(jobs: &[&HistoryJob], until: i64) -> String {
    let mut rows: Vec<&&HistoryJob> = jobs.iter().filter(|j| j.last_start.is_some()).collect();
    rows.sort_by_key(|j| (j.submitted, j.line));
    let mut out = format!(
        "{REPLAY_SUBMIT},{REPLAY_DURATION},{REPLAY_NODES},{REPLAY_STATUS},{REPLAY_CLUSTER},job_id\n"
    );
    for j in rows {
        let run = j.run_s(until).unwrap_or(0.0);
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            format_time(j.submitted),
            crate::text::num(((run * 1000.0).round() / 1000.0).max(0.0)),
            j.nodes,
            j.status.as_str(),
            csv_cell(&j.cluster),
            csv_cell(&j.id)
        ));
    }
    out
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "TenantId,TimeGenerated,ClusterName,JobId,JobName,EventType,ExecutionState,NodeId,Type\n";

    fn history(rows: &str) -> JobHistory {
        parse(
            Path::new("j.csv"),
            format!("{HEADER}{rows}").as_bytes(),
            OnBadRow::Error,
        )
        .unwrap()
    }

    #[test]
    fn a_job_is_read_from_its_events_in_any_order() {
        // A two-node job, rows shuffled and one repeated; a job evicted once and restarted on
        // one new node; a job still queued; a job still running at the end.
        let h = history(
            "t,2026-11-02T10:20:00Z,c,j1,train,JobRunning,Running,n2,AmlComputeJobEvent\n\
             t,2026-11-02T10:00:00Z,c,j1,train,JobSubmitted,Queued,,AmlComputeJobEvent\n\
             t,2026-11-02T10:20:01Z,c,j1,train,JobRunning,Running,n1,AmlComputeJobEvent\n\
             t,2026-11-02T11:20:00Z,c,j1,train,JobSucceeded,Succeeded,,AmlComputeJobEvent\n\
             t,2026-11-02T10:20:00Z,c,j1,train,JobRunning,Running,n2,AmlComputeJobEvent\n\
             t,2026-11-02T12:00:00Z,c,j2,,JobSubmitted,Queued,,AmlComputeJobEvent\n\
             t,2026-11-02T12:05:00Z,c,j2,,JobRunning,Running,n3,AmlComputeJobEvent\n\
             t,2026-11-02T12:35:00Z,c,j2,,,Running,n4,AmlComputeJobEvent\n\
             t,2026-11-02T13:00:00Z,c,j2,,JobFailed,Failed,,AmlComputeJobEvent\n\
             t,2026-11-02T13:00:00Z,d,j3,,JobSubmitted,Queued,,AmlComputeJobEvent\n\
             t,2026-11-02T13:10:00Z,d,j4,,JobRunning,Running,n9,AmlComputeJobEvent\n\
             t,2026-11-02T13:11:00Z,d,j4,,ClusterStateChanged,,,AmlComputeJobEvent\n",
        );
        assert_eq!(h.report.duplicates, 1);
        assert_eq!(h.report.ignored.len(), 1);
        let j1 = &h.jobs[0];
        assert_eq!(
            (j1.id.as_str(), j1.line, j1.nodes, j1.attempts),
            ("j1", 2, 2, 1)
        );
        assert_eq!(j1.status, JobStatus::Succeeded);
        assert_eq!(j1.wait_s(), Some(1200.0));
        assert_eq!(j1.run_s(0), Some(3600.0));
        let j2 = &h.jobs[1];
        assert_eq!(
            (j2.nodes, j2.attempts, j2.status),
            (1, 2, JobStatus::Failed)
        );
        // Waited 5 minutes for its first start; its last attempt ran 25 minutes.
        assert_eq!((j2.wait_s(), j2.run_s(0)), (Some(300.0), Some(1500.0)));
        assert_eq!(h.jobs[2].status, JobStatus::Queued);
        let j4 = &h.jobs[3];
        assert_eq!((j4.status, j4.submitted_seen), (JobStatus::Running, false));
        let end = table::parse_time("2026-11-02T14:10:00Z").unwrap();
        assert_eq!(j4.run_s(end), Some(3600.0));
        let only_c = h.select(&JobFilter {
            clusters: vec!["c".into()],
            ..JobFilter::default()
        });
        assert_eq!(only_c.len(), 2);
        let csv = replay_csv(&h.select(&JobFilter::default()), end);
        assert_eq!(
            csv,
            "submit_time,duration_s,nodes,status,cluster,job_id\n\
             2026-11-02T10:00:00.000Z,3600,2,Succeeded,c,j1\n\
             2026-11-02T12:00:00.000Z,1500,1,Failed,c,j2\n\
             2026-11-02T13:10:00.000Z,3600,1,Running,d,j4\n"
        );
    }
}
