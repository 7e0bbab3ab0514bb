//! A job trace's row filters: `status_column` with `statuses`, `cluster_column` with
//! `clusters`, so that a job history exported whole (every cluster, every outcome) replays
//! only the jobs a workload stands for.

use super::Checker;
use crate::scenario::raw::RawArrivals;
use crate::workload::trace::RowFilter;

/// The filters the arrivals table asks for (none when it names no filter column). A column
/// without its values, values without their column, or an empty list is an error.
pub(super) fn filters(
    c: &mut Checker,
    ra: &RawArrivals,
    f: &dyn Fn(&str) -> String,
) -> Option<Vec<RowFilter>> {
    let mut out = vec![];
    let mut ok = true;
    for (column_key, column, values_key, values) in [
        ("status_column", &ra.status_column, "statuses", &ra.statuses),
        (
            "cluster_column",
            &ra.cluster_column,
            "clusters",
            &ra.clusters,
        ),
    ] {
        match (column, values) {
            (None, None) => {}
            (Some(col), None) => {
                c.error(
                    col.span().start,
                    &f(values_key),
                    format!(
                        "is required with {column_key}: the values to replay, e.g. [\"Completed\"]"
                    ),
                );
                ok = false;
            }
            (None, Some(v)) => {
                c.error(
                    v.span().start,
                    &f(column_key),
                    format!("is required with {values_key}: the trace column that holds them"),
                );
                ok = false;
            }
            (Some(col), Some(v)) => {
                let list: Vec<String> = v.get_ref().iter().map(|s| s.get_ref().clone()).collect();
                if list.is_empty() || list.iter().any(|s| s.trim().is_empty()) {
                    c.error(
                        v.span().start,
                        &f(values_key),
                        "must list one or more non-empty values",
                    );
                    ok = false;
                    continue;
                }
                out.push(RowFilter {
                    column: col.get_ref().clone(),
                    values: list,
                });
            }
        }
    }
    ok.then_some(out)
}
