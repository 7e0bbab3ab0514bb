//! What one shard of a sweep leaves behind, so that `capsim merge` can rebuild exactly the files
//! a single run writes.
//!
//! A shard does not summarise anything: it writes every replication's metric values exactly
//! (`shard.csv`, numbers in Rust's shortest round-trip form, so parsing them gives back the same
//! bits) and a manifest of how it was run (`shard.toml`). The merge reloads the scenario with the
//! same arguments, puts the rows back in plan order and calls the same writers as `capsim run`;
//! the same values through the same code give the same bytes.
//!
//! The manifest records the SHA-256 of each data file the merge reads ([`CHECKED`]), so that a
//! file edited or damaged after the shard ran is refused by name rather than merged as if the
//! simulation had produced it. It guards against accidents, not forgery: whoever edits a file
//! can edit its recorded digest too.

use super::schema;
use crate::metrics::{Values, WorkloadValues};
use crate::sweep::{ReplicationRow, RunResult, Shard};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const MANIFEST: &str = "shard.toml";
pub const ROWS: &str = "shard.csv";
pub const SCENARIO: &str = "scenario.toml";
pub const TIMESERIES: &str = "timeseries.csv";

/// The files of a shard folder the merge reads, whose SHA-256 the manifest records when the
/// shard wrote them (`timeseries.csv` only in the shard that holds it).
pub const CHECKED: [&str; 3] = [ROWS, SCENARIO, TIMESERIES];

/// How a shard was run: everything that shapes the plan, so that every shard of one sweep can be
/// checked to be of the same sweep and the merge can rebuild the plan.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub capsim_version: String,
    /// `K/N`.
    pub shard: String,
    /// (variant, replication) pairs in the whole sweep.
    pub pairs_total: usize,
    /// The scenario file as given to `capsim run`, made absolute (relative trace and price files
    /// are resolved against it). Its text is kept beside the manifest in `scenario.toml`.
    pub scenario_file: String,
    pub seed: Option<u64>,
    pub replications: Option<u64>,
    pub horizon: Option<String>,
    pub prices: Option<String>,
    pub sets: Vec<String>,
    pub sweeps: Vec<String>,
    /// File name → lowercase hex SHA-256, for each of [`CHECKED`] the shard wrote. Last: TOML
    /// writes a table after the plain keys.
    #[serde(default)]
    pub sha256: BTreeMap<String, String>,
}

impl Manifest {
    pub fn shard(&self) -> Result<Shard, String> {
        self.shard.parse()
    }

    /// The manifest without its shard number: equal for every shard of one sweep.
    pub fn sweep_identity(&self) -> Manifest {
        Manifest {
            shard: String::new(),
            sha256: BTreeMap::new(),
            ..self.clone()
        }
    }

    /// Records the SHA-256 of each of [`CHECKED`] present in `folder` (the shard's staging
    /// folder, once its files are finished).
    pub fn record_digests(&mut self, folder: &Path) -> std::io::Result<()> {
        for name in CHECKED {
            match std::fs::read(folder.join(name)) {
                Ok(bytes) => {
                    self.sha256
                        .insert(name.to_string(), super::runinfo::sha256_hex(&bytes));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Whether the manifest records a digest for `name`.
    pub fn records(&self, name: &str) -> bool {
        self.sha256.contains_key(name)
    }

    /// Checks `bytes`, read from the shard's file `name`, against the recorded digest; the error
    /// says what is wrong, for the caller to put after the file's path.
    pub fn verify(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        match self.sha256.get(name) {
            None => Err(format!(
                "{MANIFEST} records no SHA-256 for it (a shard of an older capsim?): rerun the shard"
            )),
            Some(want) if *want != super::runinfo::sha256_hex(bytes) => Err(format!(
                "changed since the shard wrote it (its SHA-256 is not the one {MANIFEST} records): rerun the shard"
            )),
            Some(_) => Ok(()),
        }
    }
}

/// The `workloads` cell: a target's per-workload breakdown, lossless. Empty: no breakdown; `-`:
/// a breakdown with no workload; else `index:v1;v2;...` per workload, joined by `|`.
fn workloads_cell(values: &Values) -> String {
    match &values.workloads {
        None => String::new(),
        Some(list) if list.is_empty() => "-".into(),
        Some(list) => list
            .iter()
            .map(|w| {
                let v: Vec<String> = w.values.iter().map(|x| x.to_string()).collect();
                format!("{}:{}", w.workload, v.join(";"))
            })
            .collect::<Vec<_>>()
            .join("|"),
    }
}

fn parse_workloads(cell: &str) -> Option<Option<Vec<WorkloadValues>>> {
    match cell {
        "" => Some(None),
        "-" => Some(Some(vec![])),
        _ => cell
            .split('|')
            .map(|w| {
                let (i, vs) = w.split_once(':')?;
                Some(WorkloadValues {
                    workload: i.parse().ok()?,
                    values: vs
                        .split(';')
                        .map(|x| x.parse::<f64>().ok())
                        .collect::<Option<Vec<f64>>>()?,
                })
            })
            .collect::<Option<Vec<_>>>()
            .map(Some),
    }
}

/// `shard.csv`: one row per replication and target, all metric values lossless; `results` are
/// (variant index, its replications).
pub fn rows_csv(results: &[(usize, RunResult)]) -> csv::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(schema::shard::FILE.header(&[]))?;
    for (v, result) in results {
        for row in &result.rows {
            for (t, values) in row.targets.iter().enumerate() {
                let mut rec = vec![
                    v.to_string(),
                    row.replication.to_string(),
                    row.replication_seed.to_string(),
                    row.events.to_string(),
                    t.to_string(),
                ];
                // Display of f64 is the shortest text that parses back to the same value.
                rec.extend(values.iter().map(|x| x.to_string()));
                rec.push(workloads_cell(values));
                w.write_record(&rec)?;
            }
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Reads `shard.csv` back: (variant, row) in file order. `what` names the file in errors.
pub fn read_rows(bytes: &[u8], what: &str) -> Result<Vec<(usize, ReplicationRow)>, String> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| format!("{what}: {e}"))?
        .iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    if header != schema::shard::FILE.header(&[]) {
        return Err(format!(
            "{what}: its columns are not this capsim version's; merge shards with the capsim that ran them"
        ));
    }
    let mut out: Vec<(usize, ReplicationRow)> = vec![];
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("{what}: line {line}: {e}"))?;
        let int = |k: usize| -> Result<u64, String> {
            rec[k]
                .parse::<u64>()
                .map_err(|_| format!("{what}: line {line}: `{}` is not a whole number", &rec[k]))
        };
        let (v, rep, seed, events, t) = (int(0)?, int(1)?, int(2)?, int(3)?, int(4)?);
        let last = rec.len() - 1;
        let metrics = (5..last)
            .map(|k| {
                rec[k]
                    .parse::<f64>()
                    .map_err(|_| format!("{what}: line {line}: `{}` is not a number", &rec[k]))
            })
            .collect::<Result<Vec<f64>, String>>()?;
        let mut values = Values::from(metrics);
        values.workloads = parse_workloads(&rec[last])
            .ok_or_else(|| format!("{what}: line {line}: the workloads cell is unreadable"))?;
        let v = v as usize;
        match out.last_mut() {
            Some((lv, row)) if *lv == v && row.replication == rep => {
                if t as usize != row.targets.len() {
                    return Err(format!("{what}: line {line}: targets out of order"));
                }
                row.targets.push(values);
            }
            _ => {
                if t != 0 {
                    return Err(format!(
                        "{what}: line {line}: a replication starts at target 0"
                    ));
                }
                out.push((
                    v,
                    ReplicationRow {
                        replication: rep,
                        replication_seed: seed,
                        events,
                        targets: vec![values],
                        usage: vec![],
                    },
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::METRICS;

    #[test]
    fn rows_round_trip_bit_for_bit() {
        let n = METRICS.len();
        let awkward = [
            0.1 + 0.2,
            f64::NAN,
            -0.0,
            1e-300,
            f64::INFINITY,
            123_456_789.123_456_78,
            2.0f64.sqrt(),
        ];
        let values: Vec<f64> = (0..n)
            .map(|i| awkward[i % awkward.len()] * (i + 1) as f64)
            .collect();
        let mut with_breakdown: Values = values.clone().into();
        with_breakdown.workloads = Some(vec![
            WorkloadValues {
                workload: 0,
                values: vec![1.5, f64::NAN, 0.1 + 0.2],
            },
            WorkloadValues {
                workload: 2,
                values: vec![-0.0, 7.0, 1e300],
            },
        ]);
        let mut empty_breakdown: Values = values.iter().map(|x| x / 3.0).collect();
        empty_breakdown.workloads = Some(vec![]);
        let results = vec![
            (0, RunResult::default()),
            (
                1,
                RunResult::new(vec![ReplicationRow {
                    replication: 3,
                    replication_seed: u64::MAX,
                    events: 17,
                    targets: vec![with_breakdown, empty_breakdown, values.clone().into()],
                    usage: vec![],
                }]),
            ),
        ];
        let bytes = rows_csv(&results).unwrap();
        let back = read_rows(&bytes, "shard.csv").unwrap();
        assert_eq!(back.len(), 1);
        let (v, row) = &back[0];
        assert_eq!(
            (*v, row.replication, row.replication_seed, row.events),
            (1, 3, u64::MAX, 17)
        );
        for (a, b) in row
            .targets
            .iter()
            .flatten()
            .zip(results[1].1.rows[0].targets.iter().flatten())
        {
            assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
        }
        let bits = |v: &Values| -> Option<Vec<(u32, Vec<u64>)>> {
            v.workloads.as_ref().map(|l| {
                l.iter()
                    .map(|w| (w.workload, w.values.iter().map(|x| x.to_bits()).collect()))
                    .collect()
            })
        };
        for (a, b) in row.targets.iter().zip(&results[1].1.rows[0].targets) {
            assert_eq!(bits(a), bits(b));
        }
    }
}
