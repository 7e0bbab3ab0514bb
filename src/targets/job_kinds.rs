//! Which job kinds each training target supports, from the training-targets table of Azure ML's
//! compute-target page,
//! <https://learn.microsoft.com/azure/machine-learning/concept-compute-target>, read 2026-11 in
//! its Swedish edition ("Träningsberäkningsmål", at learn.microsoft.com/sv-se/)
//! and cross-checked with the English one. The table lives in `job_kinds.csv` beside this file.
//!
//! The Swedish page's table lost its empty cells when it was copied; where a row was ambiguous
//! (Data Lake Analytics, HDInsight, Batch) the English page and the Azure ML SDK's pipeline steps
//! (`AdlaStep`, `HDInsight`, `AzureBatchStep`) say these targets run pipeline steps. Command jobs
//! on Spark pools and Databricks are not supported: "not as a remote target for other training".

pub const JOB_KINDS_CSV: &str = include_str!("job_kinds.csv");

pub const KINDS: &[&str] = &["command", "automl", "pipeline", "designer"];

/// Whether `target_type` accepts jobs of `kind`; `None` for an unknown target type or kind.
pub fn supports(target_type: &str, kind: &str) -> Option<bool> {
    let col = KINDS.iter().position(|k| *k == kind)? + 1;
    JOB_KINDS_CSV.lines().skip(1).find_map(|line| {
        let cells: Vec<&str> = line.split(',').collect();
        (cells[0] == target_type).then(|| cells[col] == "yes")
    })
}

/// Target types that accept `kind`, in table order.
pub fn targets_supporting(kind: &str) -> Vec<&'static str> {
    JOB_KINDS_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let t = line.split(',').next()?;
            (supports(t, kind) == Some(true)).then_some(t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_reads_as_documented() {
        assert_eq!(supports("amlcompute", "designer"), Some(true));
        assert_eq!(supports("kubernetes", "designer"), Some(false));
        assert_eq!(supports("local", "pipeline"), Some(false));
        assert_eq!(supports("hdinsight", "pipeline"), Some(true));
        assert_eq!(supports("nowhere", "command"), None);
        assert_eq!(
            targets_supporting("designer"),
            vec!["amlcompute", "serverless", "computeinstance"]
        );
    }
}
