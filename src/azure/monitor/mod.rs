//! CSV exports of the Azure Monitor log tables of an Azure ML workspace, read by the column
//! names of Azure Monitor's table reference
//! (<https://learn.microsoft.com/azure/azure-monitor/reference/tables/amlcomputejobevent> and
//! its siblings `amlcomputeclusterevent`, `amlcomputeclusternodeevent`,
//! `amlonlineendpointtrafficlog`), so that no column mapping has to be written:
//!
//! - [`jobs`]: `AmlComputeJobEvent` → one job per `JobId`, replayable as a workload;
//! - [`nodes`]: `AmlComputeClusterNodeEvent` → provisioning times per VM size and priority;
//! - [`clusters`]: `AmlComputeClusterEvent` → node counts over time, settings, evictions;
//! - [`traffic`]: `AmlOnlineEndpointTrafficLog` → requests and their latencies.
//!
//! Common to all ([`table`]): columns are found by name, in any order, and the other columns
//! exports carry (`TenantId`, `_ResourceId`, `Type`, ...) are ignored; a file without a column
//! capsim needs is refused at its header, one without a column it merely uses is read and
//! [`table::ReadReport::lacking`] names it; times are ISO 8601 with a zone, as KQL exports them
//! (`2026-11-02T10:15:00.123Z`); every bad cell is reported as `file:line: column: message`,
//! or, with [`OnBadRow::Skip`], its row is left out and counted; rows may come in any order,
//! and rows that repeat an event are dropped and counted.

pub mod clusters;
pub mod jobs;
pub mod nodes;
pub mod table;
pub mod traffic;

pub use crate::workload::trace::OnBadRow;
pub use table::{MonitorError, ReadReport, format_time, parse_time};

/// The tables' schemas, for messages that recognise one export given for another.
pub const SCHEMAS: &[&table::Schema] = &[
    &jobs::SCHEMA,
    &clusters::SCHEMA,
    &nodes::SCHEMA,
    &traffic::SCHEMA,
];
