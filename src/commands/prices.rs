//! `capsim prices import`: Azure Retail Prices API pages in, capsim's price file out.

use super::CommandError;
use crate::catalog::retail;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct PricesImportRequest {
    /// Response pages of the Retail Prices API (JSON), in any order.
    pub files: Vec<PathBuf>,
    /// The price file to write.
    pub out: PathBuf,
}

#[derive(Clone, Debug)]
pub struct PricesImportOutcome {
    pub rows: usize,
    pub regions: Vec<String>,
    pub warnings: Vec<String>,
    pub skipped_windows: usize,
    pub skipped_devtest: usize,
    pub skipped_other: usize,
}

/// Reads every page first: a page in error stops the import before anything is written.
pub fn prices_import(req: &PricesImportRequest) -> Result<PricesImportOutcome, CommandError> {
    let pages = req
        .files
        .iter()
        .map(|f| retail::read_page(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let imported = retail::import(&pages);
    if imported.rows.is_empty() {
        return Err(CommandError::Input(format!(
            "no Linux virtual machine price in {} page{}: nothing written to {}",
            pages.len(),
            if pages.len() == 1 { "" } else { "s" },
            req.out.display()
        )));
    }
    // Written beside the target, then renamed: a failed write leaves no half a price file.
    let text = retail::to_csv(&imported.rows);
    let mut tmp = req.out.clone().into_os_string();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &req.out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CommandError::Failed(format!("cannot write {}: {e}", req.out.display()))
        })?;
    let mut regions: Vec<String> = imported.rows.iter().map(|r| r.region.clone()).collect();
    regions.dedup();
    Ok(PricesImportOutcome {
        rows: imported.rows.len(),
        regions,
        warnings: imported.warnings,
        skipped_windows: imported.skipped_windows,
        skipped_devtest: imported.skipped_devtest,
        skipped_other: imported.skipped_other,
    })
}
