//! The per-variant files, written variant by variant as results come in, so that a run holds
//! only a chunk of replications in memory however long its sweep.

use super::OutputDir;
use crate::scenario::sweep::Plan;
use crate::sweep::RunResult;
use std::fs::File;
use std::io::{BufWriter, Write};

/// `summary.csv`, `replications.csv` and `workloads.csv` for a run, `shard.csv` for a shard,
/// written variant by variant. Each is the same bytes as writing all variants at once (rows are
/// per variant; the header is written once).
pub struct VariantFiles {
    files: Vec<BufWriter<File>>,
    shard: bool,
    header_done: bool,
}

type CsvPart = fn(&Plan, &[RunResult]) -> csv::Result<Vec<u8>>;

impl VariantFiles {
    /// A run's files, created in `out`.
    pub fn run(out: &mut OutputDir) -> std::io::Result<VariantFiles> {
        Ok(VariantFiles {
            files: vec![
                out.create("summary.csv")?,
                out.create("replications.csv")?,
                out.create("workloads.csv")?,
            ],
            shard: false,
            header_done: false,
        })
    }

    /// A shard's file, created in `out`.
    pub fn shard(out: &mut OutputDir) -> std::io::Result<VariantFiles> {
        Ok(VariantFiles {
            files: vec![out.create(super::shard::ROWS)?],
            shard: true,
            header_done: false,
        })
    }

    /// Appends the rows of `batch` (variant index, its replications), in plan order.
    pub fn write(&mut self, plan: &Plan, batch: &[(usize, RunResult)]) -> csv::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.write_part(plan, batch, batch.iter().map(|(v, _)| *v).collect())
    }

    /// `variants` frame the part (the header's parameter columns come from the first).
    fn write_part(
        &mut self,
        plan: &Plan,
        batch: &[(usize, RunResult)],
        variants: Vec<usize>,
    ) -> csv::Result<()> {
        let parts: Vec<Vec<u8>> = if self.shard {
            vec![super::shard::rows_csv(batch)?]
        } else {
            let sub = Plan {
                variants: variants.iter().map(|v| plan.variants[*v].clone()).collect(),
                ..plan.clone_without_variants()
            };
            let results: Vec<RunResult> = batch
                .iter()
                .map(|(_, r)| RunResult::new(r.rows.clone()))
                .collect();
            let makers: [CsvPart; 3] = [
                super::summary_csv,
                super::replications_csv,
                super::workloads::workloads_csv,
            ];
            makers
                .iter()
                .map(|f| f(&sub, &results))
                .collect::<csv::Result<_>>()?
        };
        for (file, bytes) in self.files.iter_mut().zip(parts) {
            let body = if self.header_done {
                // Every part starts with the same header line: keep the first only.
                let cut = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
                &bytes[cut..]
            } else {
                &bytes[..]
            };
            file.write_all(body)?;
        }
        self.header_done = true;
        Ok(())
    }

    /// Flushes the files; when no variant was written (a run interrupted before any finished),
    /// they still get their header.
    pub fn finish(mut self, plan: &Plan) -> std::io::Result<()> {
        if !self.header_done {
            self.write_part(plan, &[], vec![0])
                .map_err(std::io::Error::other)?;
        }
        for f in self.files {
            super::files_finish(f)?;
        }
        Ok(())
    }
}
