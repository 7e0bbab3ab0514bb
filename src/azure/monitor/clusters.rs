//! `AmlComputeClusterEvent`: one row per state change or resize of a compute cluster, read
//! into the node counts each cluster had over time, the settings it ran with, and its
//! evictions.
//!
//! How the rows are read:
//! - `CurrentNodeCount` is the nodes allocated (and billed) from the row's time until the next
//!   row of the cluster; before a cluster's first row, its `MinimumNodeCount` (else the first
//!   row's count). Node-hours are the time integral of that step function.
//! - The settings — `VmSize`, `VmPriority`, `MinimumNodeCount`, `MaximumNodeCount`,
//!   `NodeIdleTimeSecondsBeforeScaleDown` — are those in force for the longest time of the
//!   export (a row without a value keeps the one before); every change is kept too.
//! - `PreemptedNodeCount` (a string column in the table reference) counts the nodes Azure has
//!   taken back that the cluster still lists: an eviction is a rise of it, so evictions are
//!   the sum of its increases from row to row.
//! - Rows identical to another are duplicates; rows may come in any order.

use super::nodes::Priority;
use super::table::{self, MonitorError, ReadReport, Schema, seconds};
use crate::workload::trace::OnBadRow;
use indexmap::IndexMap;
use std::path::Path;

pub const SCHEMA: Schema = Schema {
    table: "AmlComputeClusterEvent",
    required: &["TimeGenerated", "ClusterName", "CurrentNodeCount"],
    optional: &[
        "VmSize",
        "VmPriority",
        "MinimumNodeCount",
        "MaximumNodeCount",
        "NodeIdleTimeSecondsBeforeScaleDown",
        "RunningNodeCount",
        "IdleNodeCount",
        "PreparingNodeCount",
        "LeavingNodeCount",
        "PreemptedNodeCount",
    ],
};

/// A cluster's settings as its events state them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Settings {
    pub vm_size: Option<String>,
    pub priority: Option<Priority>,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub idle_s: Option<u32>,
}

impl Settings {
    /// These settings, with the values `other` states where these state none.
    fn or(&self, other: &Settings) -> Settings {
        Settings {
            vm_size: self.vm_size.clone().or_else(|| other.vm_size.clone()),
            priority: self.priority.or(other.priority),
            min: self.min.or(other.min),
            max: self.max.or(other.max),
            idle_s: self.idle_s.or(other.idle_s),
        }
    }
}

/// The counts of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    /// Nanoseconds since 1970-01-01 UTC.
    pub time: i64,
    pub current: u32,
    pub running: Option<u32>,
    pub preempted: Option<u32>,
}

/// One cluster's history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedCluster {
    pub name: String,
    /// The settings in force the longest.
    pub settings: Settings,
    /// Every settings change: when, and the settings from then on.
    pub changes: Vec<(i64, Settings)>,
    /// Sorted by time.
    pub points: Vec<Point>,
}

impl ObservedCluster {
    /// Nodes allocated at `t`.
    pub fn level_at(&self, t: i64) -> u32 {
        let i = self.points.partition_point(|p| p.time <= t);
        if i == 0 {
            self.settings
                .min
                .or(self.points.first().map(|p| p.current))
                .unwrap_or(0)
        } else {
            self.points[i - 1].current
        }
    }

    /// The allocated node count as steps inside `[from, to)`: its level at `from`, then every
    /// change.
    pub fn steps(&self, from: i64, to: i64) -> Vec<(i64, u32)> {
        let mut out = vec![(from, self.level_at(from))];
        for p in self.points.iter().filter(|p| p.time > from && p.time < to) {
            if out.last().is_some_and(|l| l.1 == p.current) {
                continue;
            }
            out.push((p.time, p.current));
        }
        out
    }

    /// Node-hours allocated inside `[from, to)`.
    pub fn node_hours(&self, from: i64, to: i64) -> f64 {
        let steps = self.steps(from, to);
        let mut total = 0.0;
        for (k, (t, n)) in steps.iter().enumerate() {
            let next = steps.get(k + 1).map_or(to, |s| s.0);
            total += f64::from(*n) * seconds(*t, next) / 3600.0;
        }
        total
    }

    /// Most nodes allocated at once inside `[from, to)`.
    pub fn peak(&self, from: i64, to: i64) -> u32 {
        self.steps(from, to).iter().map(|s| s.1).max().unwrap_or(0)
    }

    /// Evictions inside `[from, to)`: the rises of `PreemptedNodeCount`. `None` when no row
    /// states the count.
    pub fn evictions(&self, from: i64, to: i64) -> Option<u64> {
        if self.points.iter().all(|p| p.preempted.is_none()) {
            return None;
        }
        let mut last = self
            .points
            .iter()
            .take_while(|p| p.time < from)
            .filter_map(|p| p.preempted)
            .last()
            .unwrap_or(0);
        let mut total = 0u64;
        for p in self.points.iter().filter(|p| p.time >= from && p.time < to) {
            if let Some(n) = p.preempted {
                total += u64::from(n.saturating_sub(last));
                last = n;
            }
        }
        Some(total)
    }
}

/// Every cluster of an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterEvents {
    /// In the order of their first row.
    pub clusters: Vec<ObservedCluster>,
    pub report: ReadReport,
    /// The earliest and latest row time (0 without rows).
    pub first: i64,
    pub last: i64,
}

impl ClusterEvents {
    pub fn get(&self, name: &str) -> Option<&ObservedCluster> {
        self.clusters.iter().find(|c| c.name == name)
    }
}

struct Row {
    line: u64,
    cluster: String,
    point: Point,
    settings: Settings,
}

/// Reads an `AmlComputeClusterEvent` export.
pub fn read(path: &Path, on_bad_row: OnBadRow) -> Result<ClusterEvents, Vec<MonitorError>> {
    let (rows, report) = table::read(path, &SCHEMA, on_bad_row, read_row)?;
    Ok(assemble(rows, report))
}

/// As [`read`], on the file's bytes.
pub fn parse(
    path: &Path,
    data: &[u8],
    on_bad_row: OnBadRow,
) -> Result<ClusterEvents, Vec<MonitorError>> {
    let (rows, report) = table::parse(path, data, &SCHEMA, on_bad_row, read_row)?;
    Ok(assemble(rows, report))
}

fn read_row(r: &mut table::Row<'_>, report: &mut ReadReport) -> Option<Row> {
    let time = r.time("TimeGenerated");
    let cluster = r.required_text("ClusterName");
    let current = r.opt_count("CurrentNodeCount");
    let vm_size = Some(r.text("VmSize")).filter(|s| !s.is_empty());
    let priority_text = r.text("VmPriority");
    let priority = if priority_text.is_empty() {
        None
    } else {
        match Priority::parse(&priority_text) {
            Some(p) => Some(p),
            None => {
                r.problem(
                    "VmPriority",
                    format!("`{priority_text}` is neither Dedicated nor LowPriority"),
                );
                None
            }
        }
    };
    let settings = Settings {
        vm_size,
        priority,
        min: r.opt_count("MinimumNodeCount"),
        max: r.opt_count("MaximumNodeCount"),
        idle_s: r.opt_count("NodeIdleTimeSecondsBeforeScaleDown"),
    };
    let running = r.opt_count("RunningNodeCount");
    for c in ["IdleNodeCount", "PreparingNodeCount", "LeavingNodeCount"] {
        let _ = r.opt_count(c);
    }
    let preempted = r.opt_count("PreemptedNodeCount");
    let (time, cluster) = (time?, cluster?);
    let Some(current) = current else {
        report.ignore("row{s} without a CurrentNodeCount");
        return None;
    };
    Some(Row {
        line: r.line,
        cluster,
        point: Point {
            time,
            current,
            running,
            preempted,
        },
        settings,
    })
}

fn assemble(rows: Vec<Row>, mut report: ReadReport) -> ClusterEvents {
    let first = rows.iter().map(|r| r.point.time).min().unwrap_or(0);
    let last = rows.iter().map(|r| r.point.time).max().unwrap_or(0);
    let mut by_cluster: IndexMap<String, Vec<Row>> = IndexMap::new();
    for r in rows {
        by_cluster.entry(r.cluster.clone()).or_default().push(r);
    }
    let clusters = by_cluster
        .into_iter()
        .map(|(name, mut rows)| {
            rows.sort_by_key(|r| (r.point.time, r.line));
            let before = rows.len();
            rows.dedup_by(|b, a| b.point == a.point && b.settings == a.settings);
            report.duplicates += before - rows.len();
            cluster_of(name, rows, last)
        })
        .collect();
    ClusterEvents {
        clusters,
        report,
        first,
        last,
    }
}

fn cluster_of(name: String, rows: Vec<Row>, end: i64) -> ObservedCluster {
    // Settings carried forward, and how long each was in force.
    let mut changes: Vec<(i64, Settings)> = vec![];
    let mut current = Settings::default();
    for r in &rows {
        let next = r.settings.or(&current);
        if next != current {
            changes.push((r.point.time, next.clone()));
            current = next;
        }
    }
    let mut in_force: Vec<(Settings, f64)> = vec![];
    for (k, (t, s)) in changes.iter().enumerate() {
        let until = changes.get(k + 1).map_or(end, |c| c.0);
        let d = seconds(*t, until.max(*t));
        match in_force.iter_mut().find(|(x, _)| x == s) {
            Some((_, total)) => *total += d,
            None => in_force.push((s.clone(), d)),
        }
    }
    // The longest in force; on a tie, the latest.
    let settings = in_force
        .iter()
        .rev()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    ObservedCluster {
        name,
        settings,
        changes,
        points: rows.into_iter().map(|r| r.point).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::monitor::table::parse_time;

    #[test]
    fn node_hours_peaks_and_evictions_by_hand() {
        let data = "TimeGenerated,ClusterName,VmSize,VmPriority,MinimumNodeCount,MaximumNodeCount,NodeIdleTimeSecondsBeforeScaleDown,CurrentNodeCount,PreemptedNodeCount,TenantId\n\
                    2026-11-02T02:00:00Z,c,STANDARD_D4S_V3,LowPriority,0,4,300,2,0,t\n\
                    2026-11-02T01:00:00Z,c,STANDARD_D4S_V3,LowPriority,0,4,300,1,0,t\n\
                    2026-11-02T03:00:00Z,c,,,,,,1,1,t\n\
                    2026-11-02T03:00:00Z,c,,,,,,1,1,t\n\
                    2026-11-02T03:30:00Z,c,,,,,,3,0,t\n\
                    2026-11-02T04:00:00Z,c,,,,,,0,2,t\n\
                    2026-11-02T05:00:00Z,c,,,,,,0,0,t\n";
        let e = parse(Path::new("c.csv"), data.as_bytes(), OnBadRow::Error).unwrap();
        assert_eq!(e.report.duplicates, 1);
        let c = &e.clusters[0];
        assert_eq!(c.settings.max, Some(4));
        assert_eq!(c.settings.idle_s, Some(300));
        assert_eq!(c.settings.priority, Some(Priority::LowPriority));
        let t = |s: &str| parse_time(s).unwrap();
        let (from, to) = (t("2026-11-02T00:00:00Z"), t("2026-11-02T05:00:00Z"));
        // 0 (min) for 1 h, 1 for 1 h, 2 for 1 h, 1 for 0.5 h, 3 for 0.5 h, 0 for 1 h.
        assert_eq!(c.node_hours(from, to), 1.0 + 2.0 + 0.5 + 1.5);
        assert_eq!(c.peak(from, to), 3);
        // Rises: 0 -> 1 at 03:00, 0 -> 2 at 04:00.
        assert_eq!(c.evictions(from, to), Some(3));
        assert_eq!(c.evictions(t("2026-11-02T03:10:00Z"), to), Some(2));
        assert_eq!(c.level_at(t("2026-11-02T03:45:00Z")), 3);
    }
}
