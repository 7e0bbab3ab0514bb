//! `AmlComputeClusterNodeEvent`: one row per node's setup, read into provisioning times.
//!
//! A node's provisioning time is from its request to its being ready for jobs: from the
//! cluster resize that asked for it (`ResizeStartTime`, when that is at most an hour before
//! the node's `NodeAllocationTime`; else from `NodeAllocationTime`) to the end of its start
//! task (`StartTaskEndTime`), which is when Azure ML can run a job on it. A node without a
//! `StartTaskEndTime` never became ready and gives no provisioning time. The table reference
//! describes `TotalE2ETimeInSeconds` only as the "total time node was active", which is not
//! the setup time, so it is not read.
//!
//! Azure's Machine Learning monitoring reference notes that this table is deprecated in favour
//! of `AmlComputeClusterEvent` (which has no per-node times): a workspace may not fill it.

use super::table::{self, MonitorError, ReadReport, Schema, seconds};
use crate::workload::trace::OnBadRow;
use std::collections::BTreeSet;
use std::path::Path;

pub const SCHEMA: Schema = Schema {
    table: "AmlComputeClusterNodeEvent",
    required: &[
        "ClusterName",
        "NodeId",
        "VmSize",
        "VmPriority",
        "NodeAllocationTime",
    ],
    optional: &[
        "TimeGenerated",
        "ResizeStartTime",
        "NodeBootTime",
        "StartTaskStartTime",
        "StartTaskEndTime",
    ],
};

/// How long before its allocation a resize may have started and still be the node's request,
/// seconds.
pub const MAX_REQUEST_LEAD_S: f64 = 3600.0;

/// A node's VM priority as the logs write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Dedicated,
    LowPriority,
}

impl Priority {
    /// `Dedicated`, or `LowPriority` (also `Low`, `Spot`), any case.
    pub fn parse(s: &str) -> Option<Priority> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' ', '-'], "")
            .as_str()
        {
            "dedicated" => Some(Priority::Dedicated),
            "lowpriority" | "low" | "spot" => Some(Priority::LowPriority),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Dedicated => "Dedicated",
            Priority::LowPriority => "LowPriority",
        }
    }

    /// A scenario's `tier`.
    pub fn tier(self) -> &'static str {
        match self {
            Priority::Dedicated => "dedicated",
            Priority::LowPriority => "low_priority",
        }
    }
}

/// One node's setup.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSetup {
    pub line: u64,
    pub cluster: String,
    pub node: String,
    pub vm_size: String,
    pub priority: Priority,
    /// Nanoseconds since 1970-01-01 UTC.
    pub requested: i64,
    /// `None` when the node never became ready.
    pub ready: Option<i64>,
}

impl NodeSetup {
    /// From request to ready, seconds.
    pub fn provisioning_s(&self) -> Option<f64> {
        self.ready.map(|r| seconds(self.requested, r))
    }
}

/// Every node setup of an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeEvents {
    pub nodes: Vec<NodeSetup>,
    pub report: ReadReport,
}

/// Reads an `AmlComputeClusterNodeEvent` export.
pub fn read(path: &Path, on_bad_row: OnBadRow) -> Result<NodeEvents, Vec<MonitorError>> {
    let (nodes, report) = table::read(path, &SCHEMA, on_bad_row, read_node)?;
    Ok(dedupe(nodes, report))
}

/// As [`read`], on the file's bytes.
pub fn parse(
    path: &Path,
    data: &[u8],
    on_bad_row: OnBadRow,
) -> Result<NodeEvents, Vec<MonitorError>> {
    let (nodes, report) = table::parse(path, data, &SCHEMA, on_bad_row, read_node)?;
    Ok(dedupe(nodes, report))
}

fn read_node(r: &mut table::Row<'_>, _: &mut ReadReport) -> Option<NodeSetup> {
    let cluster = r.required_text("ClusterName");
    let node = r.required_text("NodeId");
    let vm_size = r.required_text("VmSize");
    let priority_text = r.required_text("VmPriority");
    let allocated = r.time("NodeAllocationTime");
    let resize = r.opt_time("ResizeStartTime");
    let _ = r.opt_time("TimeGenerated");
    let _ = r.opt_time("NodeBootTime");
    let _ = r.opt_time("StartTaskStartTime");
    let ready = r.opt_time("StartTaskEndTime");
    let priority = match priority_text.as_deref().map(Priority::parse) {
        Some(Some(p)) => Some(p),
        Some(None) => {
            r.problem(
                "VmPriority",
                format!(
                    "`{}` is neither Dedicated nor LowPriority",
                    priority_text.unwrap_or_default()
                ),
            );
            None
        }
        None => None,
    };
    let allocated = allocated?;
    let requested = resize
        .filter(|&t| t <= allocated && seconds(t, allocated) <= MAX_REQUEST_LEAD_S)
        .unwrap_or(allocated);
    if let Some(ready) = ready
        && ready < requested
    {
        r.problem("StartTaskEndTime", "is before the node was requested");
        return None;
    }
    Some(NodeSetup {
        line: r.line,
        cluster: cluster?,
        node: node?,
        vm_size: vm_size?,
        priority: priority?,
        requested,
        ready,
    })
}

fn dedupe(nodes: Vec<NodeSetup>, mut report: ReadReport) -> NodeEvents {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        if seen.insert((n.cluster.clone(), n.node.clone(), n.requested, n.ready)) {
            out.push(n);
        } else {
            report.duplicates += 1;
        }
    }
    for n in &out {
        if n.ready.is_none() {
            report.ignore("node{s} that never became ready (no StartTaskEndTime)");
        }
    }
    NodeEvents { nodes: out, report }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_runs_from_the_request_to_the_start_task_end() {
        let data = "ClusterName,NodeId,VmSize,VmPriority,ResizeStartTime,NodeAllocationTime,NodeBootTime,StartTaskStartTime,StartTaskEndTime,_ResourceId\n\
                    c,n1,STANDARD_NC4AS_T4_V3,Dedicated,2026-11-02T10:00:00Z,2026-11-02T10:00:30Z,2026-11-02T10:02:00Z,2026-11-02T10:02:10Z,2026-11-02T10:04:00Z,/x\n\
                    c,n1,STANDARD_NC4AS_T4_V3,Dedicated,2026-11-02T10:00:00Z,2026-11-02T10:00:30Z,2026-11-02T10:02:00Z,2026-11-02T10:02:10Z,2026-11-02T10:04:00Z,/x\n\
                    c,n2,STANDARD_NC4AS_T4_V3,LowPriority,2026-11-01T08:00:00Z,2026-11-02T10:00:30Z,,,2026-11-02T10:03:30Z,/x\n\
                    c,n3,STANDARD_NC4AS_T4_V3,Dedicated,,2026-11-02T11:00:00Z,2026-11-02T11:02:00Z,,,/x\n";
        let e = parse(Path::new("n.csv"), data.as_bytes(), OnBadRow::Error).unwrap();
        assert_eq!(e.report.duplicates, 1);
        assert_eq!(e.report.lacking, ["TimeGenerated"]);
        let p: Vec<Option<f64>> = e.nodes.iter().map(NodeSetup::provisioning_s).collect();
        // n2's resize started a day before its allocation: not its request.
        assert_eq!(p, [Some(240.0), Some(180.0), None]);
        assert_eq!(e.nodes[1].priority, Priority::LowPriority);
        let bad = data.replace("LowPriority", "Premium");
        let errors = parse(Path::new("n.csv"), bad.as_bytes(), OnBadRow::Error).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "n.csv:4: VmPriority: `Premium` is neither Dedicated nor LowPriority"
        );
    }
}
