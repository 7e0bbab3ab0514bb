//! A synthetic Azure ML workspace with a known ground truth, written as CSV exports of the four
//! Azure Monitor tables capsim reads: `AmlComputeJobEvent`, `AmlComputeClusterEvent`,
//! `AmlComputeClusterNodeEvent` and `AmlOnlineEndpointTrafficLog`.
//!
//! It simulates the truth with its own small event loop, written for this file and sharing
//! nothing with capsim's model (not even its random numbers: a SplitMix64 generator and
//! Box–Muller normals are here), so that `capsim backtest` agreeing with it means something.
//! It follows Azure ML's documented cluster behaviour as this project reads it: jobs queue
//! first in, first out; the autoscaler asks for nodes when queued demand exceeds idle plus
//! provisioning nodes, up to the maximum; a node idle for the idle time is released, never
//! below the minimum (one a queued job is waiting for is kept); a low-priority node is taken
//! back after an exponential lifetime from its request, and its job starts again from the
//! beginning at the head of the queue.
//!
//! The exports carry what real ones do: every documented column (most of which capsim never
//! reads), rows in no particular order, about 1% of rows repeated, jobs still running or
//! queued at the end, failed jobs, jobs canceled while queued, evicted nodes, a node evicted
//! before it was ready (no `StartTaskEndTime`), and 429s in traffic bursts.
//!
//! Nothing here is capsim's: it is used by `tests/it/azure_monitor.rs` only.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt::Write as _;

/// The workspace's truth.
#[derive(Clone, Debug)]
pub struct Truth {
    /// The first day, 00:00 UTC, as `YYYY-MM-DD`.
    pub start_date: &'static str,
    pub days: f64,
    pub seed: u64,
    pub clusters: Vec<ClusterTruth>,
    pub endpoint: EndpointTruth,
}

#[derive(Clone, Debug)]
pub struct ClusterTruth {
    pub name: &'static str,
    pub vm_size: &'static str,
    /// `Dedicated` or `LowPriority`.
    pub priority: &'static str,
    pub min: u32,
    pub max: u32,
    pub idle_s: f64,
    /// Provisioning time (request to ready): lognormal with this median and 95th percentile.
    pub provisioning_median_s: f64,
    pub provisioning_p95_s: f64,
    /// Evictions per node-hour (0 for dedicated nodes).
    pub evictions_per_node_hour: f64,
    pub jobs_per_hour: f64,
    /// Run time: lognormal with this median and 95th percentile.
    pub run_median_s: f64,
    pub run_p95_s: f64,
    /// (nodes, weight) of the jobs.
    pub nodes: &'static [(u32, f64)],
    /// Share of jobs that fail, after a uniform share of their run time.
    pub fail_share: f64,
    /// Share of jobs canceled when still queued two minutes after submission.
    pub impatient_share: f64,
}

#[derive(Clone, Debug)]
pub struct EndpointTruth {
    pub endpoint: &'static str,
    pub deployment: &'static str,
    pub instances: u32,
    pub concurrency: u32,
    /// Service time: lognormal with this median and 95th percentile.
    pub service_p50_ms: f64,
    pub service_p95_ms: f64,
    pub requests_per_s: f64,
    /// Bursts per day, each `burst_s` long at `burst_requests_per_s`.
    pub bursts_per_day: f64,
    pub burst_s: f64,
    pub burst_requests_per_s: f64,
}

/// The truth the tests check calibrate and backtest against, and that
/// `scenarios/azure-monitor/` was written from (for `days` = 7).
pub fn truth(days: f64) -> Truth {
    Truth {
        start_date: "2026-11-02",
        days,
        seed: 20_261_102,
        clusters: vec![
            ClusterTruth {
                name: "gpu-cluster",
                vm_size: "STANDARD_NC4AS_T4_V3",
                priority: "Dedicated",
                min: 1,
                max: 6,
                idle_s: 600.0,
                provisioning_median_s: 240.0,
                provisioning_p95_s: 540.0,
                evictions_per_node_hour: 0.0,
                jobs_per_hour: 1.5,
                run_median_s: 1500.0,
                run_p95_s: 7200.0,
                nodes: &[(1, 0.75), (2, 0.15), (4, 0.10)],
                fail_share: 0.06,
                impatient_share: 0.03,
            },
            ClusterTruth {
                name: "cpu-spot",
                vm_size: "STANDARD_D4S_V3",
                priority: "LowPriority",
                min: 0,
                max: 4,
                idle_s: 300.0,
                provisioning_median_s: 150.0,
                provisioning_p95_s: 300.0,
                evictions_per_node_hour: 0.1,
                jobs_per_hour: 1.0,
                run_median_s: 1800.0,
                run_p95_s: 5400.0,
                nodes: &[(1, 0.8), (2, 0.2)],
                fail_share: 0.04,
                impatient_share: 0.0,
            },
        ],
        endpoint: EndpointTruth {
            endpoint: "scorer",
            deployment: "blue",
            instances: 1,
            concurrency: 1,
            service_p50_ms: 80.0,
            service_p95_ms: 200.0,
            requests_per_s: 0.002,
            bursts_per_day: 0.5,
            burst_s: 10.0,
            burst_requests_per_s: 15.0,
        },
    }
}

/// The four exports' text.
#[derive(Clone, Debug, PartialEq)]
pub struct Exports {
    pub jobs: String,
    pub clusters: String,
    pub nodes: String,
    pub traffic: String,
}

/// The CSV file names the exports are written under.
pub const FILES: [&str; 4] = [
    "AmlComputeJobEvent.csv",
    "AmlComputeClusterEvent.csv",
    "AmlComputeClusterNodeEvent.csv",
    "AmlOnlineEndpointTrafficLog.csv",
];

impl Exports {
    pub fn files(&self) -> [(&'static str, &str); 4] {
        [
            (FILES[0], &self.jobs),
            (FILES[1], &self.clusters),
            (FILES[2], &self.nodes),
            (FILES[3], &self.traffic),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers

/// SplitMix64 (Steele, Lea and Flood 2014): small, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform().ln()
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Lognormal with this median and 95th percentile.
    pub fn lognormal(&mut self, median: f64, p95: f64) -> f64 {
        let sigma = (p95 / median).ln() / 1.644_853_626_951_472_2;
        median * (sigma * self.normal()).exp()
    }
    fn pick(&mut self, weights: &[(u32, f64)]) -> u32 {
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let mut u = self.uniform() * total;
        for &(v, w) in weights {
            if u < w {
                return v;
            }
            u -= w;
        }
        weights.last().map_or(1, |w| w.0)
    }
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Time

/// Days from 1970-01-01 to a `YYYY-MM-DD` date (Howard Hinnant's days_from_civil).
fn days_from_civil(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0], p[1], p[2]);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// KQL's datetime as a CSV export writes it: `2026-11-02T10:15:00.1234567Z` (100 ns ticks).
fn kql_time(epoch_day: i64, t: f64) -> String {
    let ticks = (t * 1e7).round() as i64;
    let (secs, frac) = (ticks.div_euclid(10_000_000), ticks.rem_euclid(10_000_000));
    let day = epoch_day + secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(day);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:07}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

// ---------------------------------------------------------------------------------------------
// Rows

/// Rows of one table: its columns, and per row its time (for nothing but the tie-free
/// shuffle) and cells.
struct TableRows {
    columns: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

impl TableRows {
    fn new(columns: &'static [&'static str]) -> TableRows {
        TableRows {
            columns,
            rows: vec![],
        }
    }

    /// A row from (column, value) pairs; the other columns are empty.
    fn push(&mut self, cells: &[(&str, String)]) {
        let row = self
            .columns
            .iter()
            .map(|c| {
                cells
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or(String::new(), |(_, v)| v.clone())
            })
            .collect();
        self.rows.push(row);
    }

    /// The export: about 1% of rows repeated, all shuffled, `_BilledSize` filled in.
    fn export(mut self, rng: &mut Rng) -> String {
        let n = self.rows.len();
        for i in 0..n {
            if rng.uniform() < 0.01 {
                let copy = self.rows[i].clone();
                self.rows.push(copy);
            }
        }
        // Fisher–Yates.
        for i in (1..self.rows.len()).rev() {
            let j = (rng.uniform() * (i + 1) as f64) as usize;
            self.rows.swap(i, j.min(i));
        }
        let billed = self.columns.iter().position(|c| *c == "_BilledSize");
        let mut out = String::new();
        out.push_str(&self.columns.join(","));
        out.push('\n');
        for mut row in self.rows {
            if let Some(b) = billed {
                let size: usize = row.iter().map(String::len).sum::<usize>() + 40;
                row[b] = size.to_string();
            }
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

const TENANT: &str = "6f1c2b7e-9a3d-4c55-8e21-0b4d7a9c3e10";
const SUBSCRIPTION: &str = "00000000-1111-2222-3333-444444444444";
const RESOURCE_GROUP: &str = "rg-ml";
const WORKSPACE: &str = "ws-capsim";

fn resource_id() -> String {
    format!(
        "/SUBSCRIPTIONS/{SUBSCRIPTION}/RESOURCEGROUPS/{}/PROVIDERS/MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/{}",
        RESOURCE_GROUP.to_uppercase(),
        WORKSPACE.to_uppercase()
    )
}

/// Columns of each table, as Azure Monitor's table reference lists them (TenantId and
/// TimeGenerated first, as Log Analytics exports them).
const JOB_COLUMNS: &[&str] = &[
    "TenantId",
    "TimeGenerated",
    "_BilledSize",
    "_IsBillable",
    "_ResourceId",
    "_SubscriptionId",
    "ClusterId",
    "ClusterName",
    "ClusterResourceGroupName",
    "CreationApiVersion",
    "CustomerSubscriptionId",
    "ErrorDetails",
    "EventType",
    "ExecutionState",
    "ExperimentId",
    "ExperimentName",
    "InternalOperationName",
    "JobErrorMessage",
    "JobId",
    "JobName",
    "NodeId",
    "OperationName",
    "ProvisioningState",
    "ResourceGroupName",
    "ResultSignature",
    "RunInContainer",
    "SourceSystem",
    "TFParameterServerCount",
    "TFWorkerCount",
    "ToolType",
    "Type",
    "WorkspaceName",
];

const CLUSTER_COLUMNS: &[&str] = &[
    "TenantId",
    "TimeGenerated",
    "_BilledSize",
    "_IsBillable",
    "_ResourceId",
    "_SubscriptionId",
    "AllocationState",
    "AllocationStateTransitionTime",
    "ClusterErrorCodes",
    "ClusterName",
    "ClusterType",
    "CoreCount",
    "CreatedBy",
    "CreationApiVersion",
    "CurrentNodeCount",
    "EventType",
    "IdleNodeCount",
    "InitialNodeCount",
    "InternalOperationName",
    "IsResizeGrow",
    "LeavingNodeCount",
    "MaximumNodeCount",
    "MinimumNodeCount",
    "NodeDeallocationOption",
    "NodeIdleTimeSecondsBeforeScaleDown",
    "Offer",
    "OperationName",
    "PreemptedNodeCount",
    "PreparingNodeCount",
    "ProvisioningState",
    "Publisher",
    "QuotaAllocated",
    "QuotaUtilized",
    "ResultSignature",
    "RunningNodeCount",
    "ScalingType",
    "Sku",
    "SourceSystem",
    "SubnetId",
    "TargetNodeCount",
    "Type",
    "UnusableNodeCount",
    "Version",
    "VmFamilyName",
    "VmPriority",
    "VmSize",
];

const NODE_COLUMNS: &[&str] = &[
    "TenantId",
    "TimeGenerated",
    "_BilledSize",
    "_IsBillable",
    "ClusterCreationTime",
    "ClusterName",
    "InternalOperationName",
    "NodeAllocationTime",
    "NodeBootTime",
    "NodeId",
    "Offer",
    "OperationName",
    "Publisher",
    "ResizeEndTime",
    "ResizeStartTime",
    "ResultSignature",
    "Sku",
    "SourceSystem",
    "StartTaskEndTime",
    "StartTaskStartTime",
    "TotalE2ETimeInSeconds",
    "Type",
    "Version",
    "VmFamilyName",
    "VmPriority",
    "VmSize",
];

const TRAFFIC_COLUMNS: &[&str] = &[
    "TenantId",
    "TimeGenerated",
    "AuthType",
    "AzureMLWorkspaceId",
    "AzureMLWorkspaceName",
    "_BilledSize",
    "DeploymentName",
    "EndpointName",
    "IdentityData",
    "_IsBillable",
    "Location",
    "Method",
    "ModelStatusCode",
    "ModelStatusReason",
    "OperationName",
    "Path",
    "Protocol",
    "RequestDurationMs",
    "RequestPayloadSize",
    "RequestThrottlingDelayMs",
    "_ResourceId",
    "ResponseCode",
    "ResponseCodeReason",
    "ResponseDurationMs",
    "ResponsePayloadSize",
    "ResponseThrottlingDelayMs",
    "SourceSystem",
    "_SubscriptionId",
    "TotalDurationMs",
    "Type",
    "UserAgent",
    "XMSClientRequestId",
    "XRequestId",
];

// ---------------------------------------------------------------------------------------------
// The clusters

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrival(usize),
    Ready(usize),
    Done(usize, u32),
    IdleTimeout(usize, u32),
    Evict(usize),
    PreemptedCleared,
    GiveUp(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum NodeState {
    Provisioning,
    Idle,
    Busy,
    Gone,
}

struct Node {
    id: String,
    state: NodeState,
    idle_since: f64,
    epoch: u32,
}

struct Job {
    id: String,
    name: String,
    submit: f64,
    run_s: f64,
    nodes: u32,
    fails_after: Option<f64>,
    impatient: bool,
    attempt: u32,
    started: bool,
    running_on: Vec<usize>,
    done: bool,
}

/// A heap of (time, sequence, event): ties in the order scheduled.
struct Agenda {
    heap: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    seq: u64,
}

impl Agenda {
    fn new() -> Agenda {
        Agenda {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
    fn at(&mut self, t: f64, e: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((t.to_bits(), self.seq, e)));
    }
    fn peek_time(&self) -> Option<f64> {
        self.heap
            .peek()
            .map(|Reverse((t, _, _))| f64::from_bits(*t))
    }
    fn next(&mut self) -> Option<(f64, Ev)> {
        self.heap
            .pop()
            .map(|Reverse((t, _, e))| (f64::from_bits(t), e))
    }
}

/// What one cluster's simulation logs.
struct ClusterSim<'a> {
    c: &'a ClusterTruth,
    epoch_day: i64,
    end: f64,
    nodes: Vec<Node>,
    jobs: Vec<Job>,
    queue: VecDeque<usize>,
    preempted: u32,
    agenda: Agenda,
    job_rows: &'a mut TableRows,
    cluster_rows: &'a mut TableRows,
    node_rows: &'a mut TableRows,
    /// Per node: request time and its node-event cells, written when it is ready (or gone).
    pending_nodes: Vec<Option<(f64, f64)>>,
    last_state: Option<(u32, u32, u32, u32, u32)>,
}

impl ClusterSim<'_> {
    fn time(&self, t: f64) -> String {
        kql_time(self.epoch_day, t)
    }

    fn count(&self, s: NodeState) -> u32 {
        self.nodes.iter().filter(|n| n.state == s).count() as u32
    }

    fn allocated(&self) -> u32 {
        self.nodes
            .iter()
            .filter(|n| n.state != NodeState::Gone)
            .count() as u32
    }

    fn demand(&self) -> u32 {
        self.queue.iter().map(|&j| self.jobs[j].nodes).sum()
    }

    /// A cluster event row when the counts changed.
    fn log_state(&mut self, t: f64) {
        let state = (
            self.allocated(),
            self.count(NodeState::Idle),
            self.count(NodeState::Busy),
            self.count(NodeState::Provisioning),
            self.preempted,
        );
        if self.last_state == Some(state) || t > self.end {
            return;
        }
        let grow = self
            .last_state
            .is_some_and(|s| state.0 + state.4 > s.0 + s.4);
        self.last_state = Some(state);
        let c = self.c;
        let time = self.time(t);
        let family = if c.vm_size.contains("NC4AS_T4") {
            "standardNCASv3_T4Family"
        } else {
            "standardDSv3Family"
        };
        let resizing = state.3 > 0;
        self.cluster_rows.push(&[
            ("TenantId", TENANT.into()),
            ("TimeGenerated", time.clone()),
            ("_IsBillable", "True".into()),
            ("_ResourceId", resource_id()),
            ("_SubscriptionId", SUBSCRIPTION.into()),
            (
                "AllocationState",
                if resizing { "Resizing" } else { "Steady" }.into(),
            ),
            ("AllocationStateTransitionTime", time),
            ("ClusterName", c.name.into()),
            ("ClusterType", "AmlCompute".into()),
            ("CoreCount", (4 * state.0).to_string()),
            ("CreatedBy", "a.user@contoso.com".into()),
            ("CreationApiVersion", "2024-04-01".into()),
            ("CurrentNodeCount", state.0.to_string()),
            ("EventType", "ClusterStateChanged".into()),
            ("IdleNodeCount", state.1.to_string()),
            ("InitialNodeCount", c.min.to_string()),
            ("IsResizeGrow", if grow { "True" } else { "False" }.into()),
            ("LeavingNodeCount", "0".into()),
            ("MaximumNodeCount", c.max.to_string()),
            ("MinimumNodeCount", c.min.to_string()),
            ("NodeDeallocationOption", "Requeue".into()),
            (
                "NodeIdleTimeSecondsBeforeScaleDown",
                format!("{}", c.idle_s as u64),
            ),
            (
                "OperationName",
                "Microsoft.MachineLearningServices/workspaces/computes/write".into(),
            ),
            ("PreemptedNodeCount", state.4.to_string()),
            ("PreparingNodeCount", state.3.to_string()),
            ("ProvisioningState", "Succeeded".into()),
            ("Publisher", "microsoft-dsvm".into()),
            ("QuotaAllocated", (4 * c.max).to_string()),
            ("QuotaUtilized", (4 * state.0).to_string()),
            ("RunningNodeCount", state.2.to_string()),
            ("ScalingType", "Auto".into()),
            ("Sku", "ubuntu-hpc".into()),
            ("SourceSystem", "Azure".into()),
            ("TargetNodeCount", (state.0).to_string()),
            ("Type", "AmlComputeClusterEvent".into()),
            ("UnusableNodeCount", "0".into()),
            ("Version", "22.04.2026100".into()),
            ("VmFamilyName", family.into()),
            ("VmPriority", c.priority.into()),
            ("VmSize", c.vm_size.into()),
        ]);
    }

    fn job_row(&mut self, t: f64, j: usize, event: &str, state: &str, node: Option<usize>) {
        if t > self.end {
            return;
        }
        let c = self.c;
        let time = self.time(t);
        let job = &self.jobs[j];
        let (id, name) = (job.id.clone(), job.name.clone());
        let failed = event == "JobFailed";
        self.job_rows.push(&[
            ("TenantId", TENANT.into()),
            ("TimeGenerated", time),
            ("_IsBillable", "True".into()),
            ("_ResourceId", resource_id()),
            ("_SubscriptionId", SUBSCRIPTION.into()),
            (
                "ClusterId",
                format!(
                    "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/{WORKSPACE}/computes/{}",
                    c.name
                ),
            ),
            ("ClusterName", c.name.into()),
            ("ClusterResourceGroupName", RESOURCE_GROUP.into()),
            ("CreationApiVersion", "2024-04-01".into()),
            ("CustomerSubscriptionId", SUBSCRIPTION.into()),
            (
                "ErrorDetails",
                if failed {
                    "{\"code\": \"UserError\", \"message\": \"Execution failed, exit code 1\"}"
                } else {
                    ""
                }
                .into(),
            ),
            ("EventType", event.into()),
            ("ExecutionState", state.into()),
            ("ExperimentId", "0d5c9f1a-2b3e-4f60-8a71-9c2d4e6f8a10".into()),
            ("ExperimentName", format!("{}-experiments", c.name)),
            ("JobErrorMessage", if failed { "Execution failed" } else { "" }.into()),
            ("JobId", id),
            ("JobName", name),
            ("NodeId", node.map_or(String::new(), |n| self.nodes[n].id.clone())),
            ("OperationName", event.into()),
            ("ProvisioningState", "Succeeded".into()),
            ("ResourceGroupName", RESOURCE_GROUP.into()),
            ("RunInContainer", "True".into()),
            ("SourceSystem", "Azure".into()),
            ("TFParameterServerCount", "0".into()),
            ("TFWorkerCount", "0".into()),
            ("ToolType", "Python SDK".into()),
            ("Type", "AmlComputeJobEvent".into()),
            ("WorkspaceName", WORKSPACE.into()),
        ]);
    }

    /// The node's setup row: requested at `requested`, ready at `ready` (None: taken back
    /// first, at `gone`).
    fn node_row(&mut self, n: usize, requested: f64, ready: Option<f64>, gone: f64, rng: &mut Rng) {
        let c = self.c;
        let until = ready.unwrap_or(gone);
        if until > self.end {
            return;
        }
        // Allocation, boot and the start task split the provisioning time.
        let p = until - requested;
        let alloc = requested + p * (0.05 + 0.10 * rng.uniform());
        let boot = alloc + (until - alloc) * (0.4 + 0.3 * rng.uniform());
        let task = boot + (until - boot) * (0.1 + 0.2 * rng.uniform());
        let t = |x: f64| kql_time(self.epoch_day, x);
        let mut cells = vec![
            ("TenantId", TENANT.to_string()),
            ("TimeGenerated", t(until)),
            ("_IsBillable", "True".into()),
            ("ClusterCreationTime", "2026-06-01T09:00:00.0000000Z".into()),
            ("ClusterName", c.name.into()),
            ("NodeAllocationTime", t(alloc)),
            ("NodeId", self.nodes[n].id.clone()),
            ("Offer", "ubuntu-hpc".into()),
            ("OperationName", "NodeSetup".into()),
            ("Publisher", "microsoft-dsvm".into()),
            ("ResizeStartTime", t(requested)),
            ("ResizeEndTime", t(until)),
            ("Sku", "2204".into()),
            ("SourceSystem", "Azure".into()),
            ("Type", "AmlComputeClusterNodeEvent".into()),
            ("Version", "22.04.2026100".into()),
            ("VmFamilyName", "standard".into()),
            ("VmPriority", c.priority.into()),
            ("VmSize", c.vm_size.into()),
        ];
        if let Some(ready) = ready {
            cells.push(("NodeBootTime", t(boot)));
            cells.push(("StartTaskStartTime", t(task)));
            cells.push(("StartTaskEndTime", t(ready)));
            cells.push(("TotalE2ETimeInSeconds", format!("{:.0}", ready - alloc)));
        }
        self.node_rows.push(&cells);
    }

    fn request_nodes(&mut self, t: f64, rng: &mut Rng) {
        let demand = self.demand();
        let supply = self.count(NodeState::Idle) + self.count(NodeState::Provisioning);
        if demand <= supply {
            return;
        }
        let room = self.c.max.saturating_sub(self.allocated());
        for _ in 0..(demand - supply).min(room) {
            let n = self.nodes.len();
            let id = format!(
                "tvmps_{:016x}_{}",
                rng.next(),
                if self.c.priority == "Dedicated" {
                    "d"
                } else {
                    "p"
                }
            );
            self.nodes.push(Node {
                id,
                state: NodeState::Provisioning,
                idle_since: 0.0,
                epoch: 0,
            });
            self.pending_nodes.push(Some((t, 0.0)));
            let p = rng.lognormal(self.c.provisioning_median_s, self.c.provisioning_p95_s);
            self.agenda.at(t + p, Ev::Ready(n));
            if self.c.evictions_per_node_hour > 0.0 {
                let life = rng.exponential(3600.0 / self.c.evictions_per_node_hour);
                self.agenda.at(t + life, Ev::Evict(n));
            }
        }
    }

    fn make_idle(&mut self, t: f64, n: usize) {
        let node = &mut self.nodes[n];
        node.state = NodeState::Idle;
        node.idle_since = t;
        node.epoch += 1;
        let epoch = node.epoch;
        if self.allocated() > self.c.min {
            self.agenda.at(t + self.c.idle_s, Ev::IdleTimeout(n, epoch));
        }
    }

    fn start_jobs(&mut self, t: f64) {
        while let Some(&j) = self.queue.front() {
            let need = self.jobs[j].nodes as usize;
            let mut idle: Vec<usize> = (0..self.nodes.len())
                .filter(|&n| self.nodes[n].state == NodeState::Idle)
                .collect();
            if idle.len() < need {
                break;
            }
            self.queue.pop_front();
            // The most recently idled nodes first.
            idle.sort_by(|&a, &b| {
                self.nodes[b]
                    .idle_since
                    .total_cmp(&self.nodes[a].idle_since)
                    .then(b.cmp(&a))
            });
            let take: Vec<usize> = idle.into_iter().take(need).collect();
            for &n in &take {
                self.nodes[n].state = NodeState::Busy;
                self.nodes[n].epoch += 1;
            }
            let job = &mut self.jobs[j];
            job.attempt += 1;
            job.started = true;
            job.running_on = take.clone();
            let length = job.fails_after.map_or(job.run_s, |f| job.run_s * f);
            let attempt = job.attempt;
            self.agenda.at(t + length, Ev::Done(j, attempt));
            for n in take {
                self.job_row(t, j, "JobRunning", "Running", Some(n));
            }
        }
    }

    fn handle(&mut self, t: f64, ev: Ev, rng: &mut Rng) {
        match ev {
            Ev::Arrival(j) => {
                self.job_row(t, j, "JobSubmitted", "Queued", None);
                self.queue.push_back(j);
                if self.jobs[j].impatient {
                    self.agenda.at(t + 120.0, Ev::GiveUp(j));
                }
                self.start_jobs(t);
                self.request_nodes(t, rng);
            }
            Ev::GiveUp(j) => {
                if let Some(pos) = self.queue.iter().position(|&q| q == j) {
                    self.queue.remove(pos);
                    self.jobs[j].done = true;
                    self.job_row(t, j, "JobCancelled", "Canceled", None);
                    self.start_jobs(t);
                }
            }
            Ev::Ready(n) => {
                if self.nodes[n].state != NodeState::Provisioning {
                    return;
                }
                if let Some((requested, _)) = self.pending_nodes[n].take() {
                    self.node_row(n, requested, Some(t), t, rng);
                }
                self.make_idle(t, n);
                self.start_jobs(t);
            }
            Ev::Done(j, attempt) => {
                if self.jobs[j].attempt != attempt || self.jobs[j].done {
                    return;
                }
                self.jobs[j].done = true;
                let failed = self.jobs[j].fails_after.is_some();
                let (event, state) = if failed {
                    ("JobFailed", "Failed")
                } else {
                    ("JobSucceeded", "Succeeded")
                };
                self.job_row(t, j, event, state, None);
                for n in std::mem::take(&mut self.jobs[j].running_on) {
                    self.make_idle(t, n);
                }
                self.start_jobs(t);
                self.request_nodes(t, rng);
            }
            Ev::IdleTimeout(n, epoch) => {
                let node = &self.nodes[n];
                if node.state != NodeState::Idle || node.epoch != epoch {
                    return;
                }
                if self.allocated() <= self.c.min {
                    return;
                }
                let supply = self.count(NodeState::Idle) + self.count(NodeState::Provisioning);
                if self.demand() >= supply {
                    // A queued job is waiting for it: kept a while longer.
                    self.agenda.at(t + self.c.idle_s, Ev::IdleTimeout(n, epoch));
                    return;
                }
                self.nodes[n].state = NodeState::Gone;
            }
            Ev::Evict(n) => {
                let state = self.nodes[n].state;
                if state == NodeState::Gone {
                    return;
                }
                if state == NodeState::Provisioning
                    && let Some((requested, _)) = self.pending_nodes[n].take()
                {
                    self.node_row(n, requested, None, t, rng);
                }
                self.nodes[n].state = NodeState::Gone;
                self.preempted += 1;
                self.agenda.at(t + 60.0, Ev::PreemptedCleared);
                if state == NodeState::Busy
                    && let Some(j) = (0..self.jobs.len())
                        .find(|&j| !self.jobs[j].done && self.jobs[j].running_on.contains(&n))
                {
                    // The job starts again from the beginning, at the head of the queue;
                    // its other nodes go idle.
                    self.jobs[j].attempt += 1;
                    for m in std::mem::take(&mut self.jobs[j].running_on) {
                        if m != n {
                            self.make_idle(t, m);
                        }
                    }
                    self.queue.push_front(j);
                }
                self.start_jobs(t);
                self.request_nodes(t, rng);
            }
            Ev::PreemptedCleared => {
                self.preempted -= 1;
            }
        }
    }

    fn run(&mut self, rng: &mut Rng) {
        for _ in 0..self.c.min {
            let id = format!("tvmps_{:016x}_d", rng.next());
            self.nodes.push(Node {
                id,
                state: NodeState::Idle,
                idle_since: 0.0,
                epoch: 0,
            });
            self.pending_nodes.push(None);
        }
        self.log_state(0.0);
        while let Some((t, ev)) = self.agenda.next() {
            if t > self.end {
                break;
            }
            self.handle(t, ev, rng);
            // One row per instant: what happens at the same time is one change of state.
            if self.agenda.peek_time() != Some(t) {
                self.log_state(t);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The endpoint

fn endpoint(truth: &Truth, epoch_day: i64, end: f64, rng: &mut Rng, rows: &mut TableRows) {
    let e = &truth.endpoint;
    // Arrival times: a Poisson stream plus bursts.
    let mut arrivals = vec![];
    let mut t = rng.exponential(1.0 / e.requests_per_s);
    while t < end {
        arrivals.push(t);
        t += rng.exponential(1.0 / e.requests_per_s);
    }
    let mut b = rng.exponential(86_400.0 / e.bursts_per_day);
    while b < end {
        let mut s = b + rng.exponential(1.0 / e.burst_requests_per_s);
        while s < (b + e.burst_s).min(end) {
            arrivals.push(s);
            s += rng.exponential(1.0 / e.burst_requests_per_s);
        }
        b += e.burst_s + rng.exponential(86_400.0 / e.bursts_per_day);
    }
    arrivals.sort_by(f64::total_cmp);
    // Slots: c = instances × concurrency; at most 2c in flight; first come, first served.
    let c = (e.instances * e.concurrency) as usize;
    let mut slot_free = vec![0.0f64; c];
    let mut in_flight: VecDeque<f64> = VecDeque::new(); // end times of admitted requests
    for &a in &arrivals {
        while in_flight.front().is_some_and(|&f| f <= a) {
            in_flight.pop_front();
        }
        let upload = 1.0 + 3.0 * rng.uniform();
        let (code, reason, latency) = if in_flight.len() >= 2 * c {
            (429, "Too Many Requests", 0.5 + rng.uniform())
        } else {
            let k = (0..c)
                .min_by(|&x, &y| slot_free[x].total_cmp(&slot_free[y]))
                .unwrap_or(0);
            let begin = slot_free[k].max(a);
            let service = rng.lognormal(e.service_p50_ms, e.service_p95_ms) / 1000.0;
            slot_free[k] = begin + service;
            // In-flight ends stay sorted: FIFO over slots finishes in start order only for
            // c = 1, so keep them sorted in general.
            let pos = in_flight.partition_point(|&f| f <= begin + service);
            in_flight.insert(pos, begin + service);
            (200, "OK", (begin - a + service) * 1000.0)
        };
        let response = upload.round() + latency.round();
        let total = (response + 1.0 + 2.0 * rng.uniform()).round();
        let id = rng.guid();
        let client = rng.guid();
        rows.push(&[
            ("TenantId", TENANT.into()),
            // Written when the request ends.
            ("TimeGenerated", kql_time(epoch_day, a + total / 1000.0)),
            ("AuthType", "Key".into()),
            (
                "AzureMLWorkspaceId",
                "9b8e7d6c-5a4b-4c3d-8e2f-1a0b9c8d7e6f".into(),
            ),
            ("AzureMLWorkspaceName", WORKSPACE.into()),
            ("DeploymentName", e.deployment.into()),
            ("EndpointName", e.endpoint.into()),
            ("_IsBillable", "True".into()),
            ("Location", "westeurope".into()),
            ("Method", "POST".into()),
            (
                "ModelStatusCode",
                if code == 200 { "200" } else { "" }.into(),
            ),
            (
                "ModelStatusReason",
                if code == 200 { "OK" } else { "" }.into(),
            ),
            (
                "OperationName",
                "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action".into(),
            ),
            ("Path", "/score".into()),
            ("Protocol", "HTTP/1.1".into()),
            ("RequestDurationMs", format!("{}", upload.round() as u64)),
            (
                "RequestPayloadSize",
                format!("{}", 900 + (rng.uniform() * 300.0) as u64),
            ),
            ("RequestThrottlingDelayMs", "0".into()),
            ("_ResourceId", resource_id()),
            ("ResponseCode", code.to_string()),
            ("ResponseCodeReason", reason.into()),
            ("ResponseDurationMs", format!("{response:.0}")),
            (
                "ResponsePayloadSize",
                format!("{}", if code == 200 { 180 } else { 64 }),
            ),
            ("ResponseThrottlingDelayMs", "0".into()),
            ("SourceSystem", "Azure".into()),
            ("_SubscriptionId", SUBSCRIPTION.into()),
            ("TotalDurationMs", format!("{:.0}", total)),
            ("Type", "AmlOnlineEndpointTrafficLog".into()),
            ("UserAgent", "python-requests/2.32.3".into()),
            ("XMSClientRequestId", client),
            ("XRequestId", id),
        ]);
    }
}

// ---------------------------------------------------------------------------------------------

/// The workspace's exports over `truth.days` days.
pub fn generate(truth: &Truth) -> Exports {
    let mut rng = Rng::new(truth.seed);
    let epoch_day = days_from_civil(truth.start_date);
    let end = truth.days * 86_400.0;
    let mut job_rows = TableRows::new(JOB_COLUMNS);
    let mut cluster_rows = TableRows::new(CLUSTER_COLUMNS);
    let mut node_rows = TableRows::new(NODE_COLUMNS);
    let mut traffic_rows = TableRows::new(TRAFFIC_COLUMNS);
    for (k, c) in truth.clusters.iter().enumerate() {
        let mut jobs = vec![];
        let mut t = rng.exponential(3600.0 / c.jobs_per_hour);
        while t < end {
            let run_s = rng.lognormal(c.run_median_s, c.run_p95_s);
            let nodes = rng.pick(c.nodes);
            let fails_after = (rng.uniform() < c.fail_share).then(|| 0.05 + 0.95 * rng.uniform());
            let impatient = rng.uniform() < c.impatient_share;
            jobs.push(Job {
                id: rng.guid(),
                name: format!("{}_{:05}", c.name.replace('-', "_"), jobs.len() + 1),
                submit: t,
                run_s,
                nodes,
                fails_after,
                impatient,
                attempt: 0,
                started: false,
                running_on: vec![],
                done: false,
            });
            t += rng.exponential(3600.0 / c.jobs_per_hour);
        }
        let mut sim = ClusterSim {
            c,
            epoch_day,
            end,
            nodes: vec![],
            jobs,
            queue: VecDeque::new(),
            preempted: 0,
            agenda: Agenda::new(),
            job_rows: &mut job_rows,
            cluster_rows: &mut cluster_rows,
            node_rows: &mut node_rows,
            pending_nodes: vec![],
            last_state: None,
        };
        for j in 0..sim.jobs.len() {
            let at = sim.jobs[j].submit;
            sim.agenda.at(at, Ev::Arrival(j));
        }
        // Each cluster draws from its own stream, so adding one changes no other's history.
        let mut own = Rng::new(truth.seed ^ (0xC1u64 << 56) ^ k as u64);
        sim.run(&mut own);
    }
    endpoint(truth, epoch_day, end, &mut rng, &mut traffic_rows);
    Exports {
        jobs: job_rows.export(&mut rng),
        clusters: cluster_rows.export(&mut rng),
        nodes: node_rows.export(&mut rng),
        traffic: traffic_rows.export(&mut rng),
    }
}

#[test]
fn kql_times_are_what_kql_exports() {
    let day = days_from_civil("2026-11-02");
    assert_eq!(kql_time(day, 0.0), "2026-11-02T00:00:00.0000000Z");
    assert_eq!(
        kql_time(day, 86_400.0 * 30.0 + 3723.5),
        "2026-12-02T01:02:03.5000000Z"
    );
    let mut w = String::new();
    let _ = write!(w, "{}", cell("a,b"));
    assert_eq!(w, "\"a,b\"");
}
