//! `catalog`: the VM sizes of the built-in catalog that match a query.

use super::CommandError;
use crate::catalog::{Catalog, VmSize, list};
use crate::text::date;

/// Which sizes to list. All filters combine with "and"; `series` entries with "or".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CatalogRequest {
    /// Series names as [`list::series_matches`] reads them; empty: every series.
    pub series: Vec<String>,
    /// Only sizes with GPUs.
    pub gpu: bool,
    /// Only sizes with at least this much memory, GiB.
    pub min_memory_gib: Option<f64>,
    /// Only sizes with at least this many vCPUs.
    pub min_vcpus: Option<u32>,
    /// Also sizes whose series has been retired (as of today, UTC).
    pub include_retired: bool,
}

/// The matching sizes, in catalog order (render them with [`list::render`]). A series the
/// catalog does not have, or a memory bound that is not a number of zero or more, is an input
/// error.
pub fn catalog(req: CatalogRequest) -> Result<Vec<&'static VmSize>, CommandError> {
    let catalog = Catalog::builtin();
    let known = list::series_names(catalog);
    for s in &req.series {
        if !known.iter().any(|k| list::series_matches(s, k)) {
            return Err(CommandError::Input(format!(
                "--series: no series `{s}` in the catalog\n  hint: series: {}",
                known.join(", ")
            )));
        }
    }
    if let Some(m) = req.min_memory_gib
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(CommandError::Input(format!(
            "--min-memory-gib: must be a number of zero or more, got {m}"
        )));
    }
    let query = list::Query {
        series: req.series,
        gpu: req.gpu,
        min_memory_gib: req.min_memory_gib,
        min_vcpus: req.min_vcpus,
        include_retired: req.include_retired,
        today: date::format(date::today()),
    };
    Ok(list::select(catalog, &query))
}
