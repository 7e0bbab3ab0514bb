//! `AmlOnlineEndpointTrafficLog`: one row per request to a managed online endpoint, read into
//! a request trace and latencies per deployment.
//!
//! A row's `TimeGenerated` is taken as when the log entry was written, at the end of the
//! request; the request started `TotalDurationMs` before it (`ResponseDurationMs` before it
//! without that column, at `TimeGenerated` without either). Its latency is the time the
//! deployment took after the request had arrived: `ResponseDurationMs` (from the request's
//! start to the model's first response byte) minus `RequestDurationMs` (from its start to its
//! last byte received), or `ResponseDurationMs` alone when the other is missing. That is the
//! wait for a free slot plus the scoring. Requests with the same `XRequestId` are one request
//! logged twice; without that column, identical rows are.

use super::table::{self, MonitorError, ReadReport, Schema};
use crate::workload::trace::OnBadRow;
use std::collections::HashSet;
use std::path::Path;

pub const SCHEMA: Schema = Schema {
    table: "AmlOnlineEndpointTrafficLog",
    required: &["TimeGenerated", "EndpointName", "ResponseCode"],
    optional: &[
        "DeploymentName",
        "RequestDurationMs",
        "ResponseDurationMs",
        "TotalDurationMs",
        "XRequestId",
    ],
};

/// One request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub line: u64,
    /// When it started, nanoseconds since 1970-01-01 UTC.
    pub time: i64,
    /// When it ended (`TimeGenerated`).
    pub end: i64,
    pub endpoint: String,
    pub deployment: String,
    pub code: u32,
    /// The deployment's time for it (see the module's comment), milliseconds.
    pub latency_ms: Option<f64>,
}

/// Every request of an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traffic {
    /// Sorted by time.
    pub requests: Vec<Request>,
    pub report: ReadReport,
}

impl Traffic {
    /// (endpoint, deployment) pairs, in order of first appearance.
    pub fn deployments(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = vec![];
        for r in &self.requests {
            if !out
                .iter()
                .any(|(e, d)| *e == r.endpoint && *d == r.deployment)
            {
                out.push((r.endpoint.clone(), r.deployment.clone()));
            }
        }
        out
    }
}

struct Row {
    request: Request,
    id: String,
    key: (i64, u32, Option<u64>, Option<u64>),
}

/// Reads an `AmlOnlineEndpointTrafficLog` export.
pub fn read(path: &Path, on_bad_row: OnBadRow) -> Result<Traffic, Vec<MonitorError>> {
    let (rows, report) = table::read(path, &SCHEMA, on_bad_row, read_row)?;
    Ok(assemble(rows, report))
}

/// As [`read`], on the file's bytes.
pub fn parse(path: &Path, data: &[u8], on_bad_row: OnBadRow) -> Result<Traffic, Vec<MonitorError>> {
    let (rows, report) = table::parse(path, data, &SCHEMA, on_bad_row, read_row)?;
    Ok(assemble(rows, report))
}

fn read_row(r: &mut table::Row<'_>, _: &mut ReadReport) -> Option<Row> {
    let time = r.time("TimeGenerated");
    let endpoint = r.required_text("EndpointName");
    let code = r.required_text("ResponseCode");
    let request_ms = r.opt_number("RequestDurationMs");
    let response_ms = r.opt_number("ResponseDurationMs");
    let total_ms = r.opt_number("TotalDurationMs");
    let code = match code.as_deref().map(str::parse::<u32>) {
        Some(Ok(c)) if (100..600).contains(&c) => Some(c),
        Some(_) => {
            r.problem(
                "ResponseCode",
                format!("`{}` is not an HTTP status code", code.unwrap_or_default()),
            );
            None
        }
        None => None,
    };
    let latency_ms = match (response_ms, request_ms) {
        (Some(resp), Some(req)) if resp >= req => Some(resp - req),
        (Some(resp), _) if resp >= 0.0 => Some(resp),
        _ => None,
    };
    let end = time?;
    let lasted_ms = total_ms.or(response_ms).unwrap_or(0.0).max(0.0);
    let request = Request {
        line: r.line,
        time: end - (lasted_ms * 1e6).round() as i64,
        end,
        endpoint: endpoint?,
        deployment: r.text("DeploymentName"),
        code: code?,
        latency_ms,
    };
    Some(Row {
        id: r.text("XRequestId"),
        key: (
            request.end,
            request.code,
            request_ms.map(f64::to_bits),
            response_ms.map(f64::to_bits),
        ),
        request,
    })
}

fn assemble(rows: Vec<Row>, mut report: ReadReport) -> Traffic {
    let mut by_id = HashSet::new();
    let mut by_row = HashSet::new();
    let mut requests = Vec::with_capacity(rows.len());
    for row in rows {
        let fresh = if row.id.is_empty() {
            by_row.insert((
                row.key,
                row.request.endpoint.clone(),
                row.request.deployment.clone(),
            ))
        } else {
            by_id.insert(row.id)
        };
        if fresh {
            requests.push(row.request);
        } else {
            report.duplicates += 1;
        }
    }
    requests.sort_by_key(|r| (r.time, r.line));
    Traffic { requests, report }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_the_deployments_time_and_repeats_are_dropped() {
        let data = "TimeGenerated,EndpointName,DeploymentName,ResponseCode,RequestDurationMs,ResponseDurationMs,TotalDurationMs,XRequestId\n\
                    2026-11-02T10:00:01Z,scorer,blue,200,2,82,85,a\n\
                    2026-11-02T10:00:00Z,scorer,blue,429,1,1,2,b\n\
                    2026-11-02T10:00:01Z,scorer,blue,200,2,82,85,a\n\
                    2026-11-02T10:00:02Z,scorer,green,200,,90,,c\n";
        let t = parse(Path::new("t.csv"), data.as_bytes(), OnBadRow::Error).unwrap();
        assert_eq!(t.report.duplicates, 1);
        let got: Vec<(u32, Option<f64>)> =
            t.requests.iter().map(|r| (r.code, r.latency_ms)).collect();
        assert_eq!(
            got,
            [(429, Some(0.0)), (200, Some(80.0)), (200, Some(90.0))]
        );
        assert_eq!(t.deployments().len(), 2);
        // Each started its total duration (else its response duration) before it was logged.
        let start = crate::azure::monitor::parse_time("2026-11-02T10:00:01Z").unwrap();
        assert_eq!(t.requests[1].time, start - 85_000_000);
        assert_eq!(t.requests[2].time, start + 1_000_000_000 - 90_000_000);
        let bad = data.replace("429", "OK");
        let errors = parse(Path::new("t.csv"), bad.as_bytes(), OnBadRow::Error).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "t.csv:3: ResponseCode: `OK` is not an HTTP status code"
        );
    }
}
