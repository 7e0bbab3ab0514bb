//! Reads a finished run's output folder. Every value comes from a CSV cell found by its column
//! name, so the report shows only numbers the files hold, whatever the column order, and a
//! missing optional file or column is noted rather than fatal.

use anyhow::{Context, anyhow, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A CSV file held in memory, addressed by column name.
#[derive(Debug)]
pub struct Table {
    pub path: PathBuf,
    pub headers: Vec<String>,
    index: HashMap<String, usize>,
    pub rows: Vec<csv::StringRecord>,
}

impl Table {
    pub fn read(path: &Path) -> anyhow::Result<Table> {
        let mut r = csv::Reader::from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let headers: Vec<String> = r
            .headers()
            .with_context(|| format!("cannot read the header of {}", path.display()))?
            .iter()
            .map(String::from)
            .collect();
        let rows = r
            .records()
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Table::new(path.to_path_buf(), headers, rows))
    }

    pub fn new(path: PathBuf, headers: Vec<String>, rows: Vec<csv::StringRecord>) -> Table {
        let index = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        Table {
            path,
            headers,
            index,
            rows,
        }
    }

    pub fn has(&self, column: &str) -> bool {
        self.index.contains_key(column)
    }

    /// The cell as written; `None` when the column is missing, `Some("")` when it is empty.
    pub fn str(&self, row: usize, column: &str) -> Option<&str> {
        let i = *self.index.get(column)?;
        self.rows.get(row)?.get(i)
    }

    /// The cell as a finite number; `None` when missing, empty or not a number.
    pub fn num(&self, row: usize, column: &str) -> Option<f64> {
        self.str(row, column)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|x| x.is_finite())
    }

    /// A metric and the half-width of its 95% interval (`<column>_ci95`).
    pub fn est(&self, row: usize, column: &str) -> Est {
        Est {
            mean: self.num(row, column),
            ci: self.num(row, &format!("{column}_ci95")),
        }
    }

    /// `yes` / `no` / other text, lower-cased; `None` when missing or empty.
    pub fn flag(&self, row: usize, column: &str) -> Option<String> {
        self.str(row, column)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    }
}

/// A mean and its 95% half-width, either undefined.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Est {
    pub mean: Option<f64>,
    pub ci: Option<f64>,
}

impl Est {
    /// The interval `[mean - ci, mean + ci]`, the mean alone without a CI.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        let m = self.mean?;
        let c = self.ci.unwrap_or(0.0);
        Some((m - c, m + c))
    }
}

/// One sample of `timeseries.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub allocated: Option<f64>,
    pub busy: Option<f64>,
    pub provisioning: Option<f64>,
    pub queue: Option<f64>,
}

/// The samples of one target inside the report's window.
#[derive(Debug, Default)]
pub struct Series {
    pub target: String,
    pub samples: Vec<Sample>,
}

/// What the time series held, for the report to say so.
#[derive(Debug, Default)]
pub struct Timeseries {
    pub series: Vec<Series>,
    /// Last sample time in the file, seconds.
    pub end_s: f64,
    /// Columns the nodes chart wanted but the file lacks.
    pub missing_columns: Vec<String>,
}

/// Streams `timeseries.csv`, keeping the samples within `[start, end]` (and the last one before
/// `start`, so the chart starts with the state at `start`).
pub fn read_timeseries(path: &Path, start: f64, end: f64) -> anyhow::Result<Timeseries> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = r
        .headers()
        .with_context(|| format!("cannot read the header of {}", path.display()))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(time_col) = col("time_s") else {
        bail!("{}: no `time_s` column", path.display());
    };
    let target_col = col("target");
    let wanted = [
        "nodes_allocated",
        "nodes_busy",
        "nodes_provisioning",
        "queue_jobs",
    ];
    let cols: Vec<Option<usize>> = wanted.iter().map(|w| col(w)).collect();
    let mut ts = Timeseries {
        missing_columns: wanted
            .iter()
            .zip(&cols)
            .filter(|(_, c)| c.is_none())
            .map(|(w, _)| w.to_string())
            .collect(),
        ..Timeseries::default()
    };
    let mut before: HashMap<usize, Sample> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1u64;
    while r
        .read_record(&mut record)
        .with_context(|| format!("cannot read {}", path.display()))?
    {
        line += 1;
        let num = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|x| x.is_finite())
        };
        let t = num(Some(time_col))
            .ok_or_else(|| anyhow!("{}:{line}: `time_s` is not a number", path.display()))?;
        ts.end_s = ts.end_s.max(t);
        let target = target_col.and_then(|c| record.get(c)).unwrap_or("");
        let k = match ts.series.iter().position(|s| s.target == target) {
            Some(k) => k,
            None => {
                ts.series.push(Series {
                    target: target.to_string(),
                    samples: vec![],
                });
                ts.series.len() - 1
            }
        };
        let sample = Sample {
            t,
            allocated: num(cols[0]),
            busy: num(cols[1]),
            provisioning: num(cols[2]),
            queue: num(cols[3]),
        };
        if t < start {
            before.insert(k, sample);
        } else if t <= end {
            if ts.series[k].samples.is_empty()
                && t > start
                && let Some(mut b) = before.remove(&k)
            {
                b.t = start;
                ts.series[k].samples.push(b);
            }
            ts.series[k].samples.push(sample);
        }
    }
    Ok(ts)
}

/// The run's parameters as `summary.csv` states them (first row).
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub scenario: String,
    pub replications: Option<f64>,
    pub seed: Option<String>,
    pub start_date: Option<String>,
    pub horizon_s: Option<f64>,
    pub warmup_s: Option<f64>,
}

impl RunInfo {
    /// 30 days divided by the observed window: turns a cost over the window into a cost per 30
    /// days exactly as `cost_per_30d_usd` is computed.
    pub fn per_30d(&self) -> Option<f64> {
        let window = self.horizon_s? - self.warmup_s.unwrap_or(0.0);
        (window > 0.0).then(|| 30.0 * 86_400.0 / window)
    }
}

/// One `parameter_<path>` column.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The path, e.g. `compute.gpu-cluster.min_instances`.
    pub path: String,
    /// Distinct values in order of first appearance.
    pub values: Vec<String>,
}

impl Axis {
    /// The last segment of the path: `min_instances`.
    pub fn short(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
}

/// Everything read from the output folder.
#[derive(Debug)]
pub struct Run {
    pub dir: PathBuf,
    pub summary: Table,
    pub tradeoff: Option<Table>,
    pub info: RunInfo,
    /// Targets in order of first appearance in `summary.csv`.
    pub targets: Vec<String>,
    /// Variants in order of first appearance (`variant` column; `0` without it).
    pub variants: Vec<String>,
    /// Parameter columns whose value differs between variants: the sweep's axes.
    pub axes: Vec<Axis>,
    /// Parameter columns with one value for the whole run (`--set`, or a one-value axis).
    pub fixed: Vec<(String, String)>,
    /// The scenario file copied into the folder, verbatim, if present.
    pub scenario_text: Option<String>,
    pub scenario: Option<toml::Table>,
    /// Missing optional files and problems worth a sentence in the report.
    pub notes: Vec<String>,
}

impl Run {
    pub fn load(dir: &Path) -> anyhow::Result<Run> {
        let summary_path = dir.join("summary.csv");
        if !summary_path.is_file() {
            bail!(
                "no summary.csv in {}: `capsim report` needs the folder of a finished `capsim run` (missing {})",
                dir.display(),
                summary_path.display()
            );
        }
        let summary = Table::read(&summary_path)?;
        if !summary.has("target") {
            bail!(
                "{}: no `target` column; is this a capsim summary.csv?",
                summary_path.display()
            );
        }
        if summary.rows.is_empty() {
            bail!("{}: no rows", summary_path.display());
        }
        let mut notes = vec![];
        let tradeoff_path = dir.join("tradeoff.csv");
        let tradeoff = if tradeoff_path.is_file() {
            match Table::read(&tradeoff_path) {
                Ok(t) => Some(t),
                Err(e) => {
                    notes.push(format!("tradeoff.csv could not be read ({e:#})."));
                    None
                }
            }
        } else {
            None
        };
        let scenario_path = dir.join("scenario.toml");
        let scenario_text = std::fs::read_to_string(&scenario_path).ok();
        let scenario = match &scenario_text {
            Some(text) => match text.parse::<toml::Table>() {
                Ok(t) => Some(t),
                Err(e) => {
                    notes.push(format!(
                        "scenario.toml is not valid TOML ({}); assumptions from it are left out.",
                        e.message()
                    ));
                    None
                }
            },
            None => {
                notes.push(
                    "scenario.toml is missing: the scenario cannot be shown, and assumptions \
                     it holds (provisioning time, goal) are left out."
                        .into(),
                );
                None
            }
        };

        let distinct = |col: &str| -> Vec<String> {
            let mut v: Vec<String> = vec![];
            for i in 0..summary.rows.len() {
                let s = summary.str(i, col).unwrap_or("0").to_string();
                if !v.contains(&s) {
                    v.push(s);
                }
            }
            v
        };
        let targets = distinct("target");
        let variants = distinct("variant");
        let mut axes = vec![];
        let mut fixed = vec![];
        for h in &summary.headers {
            if let Some(path) = h.strip_prefix("parameter_") {
                let values = distinct(h);
                if values.len() > 1 {
                    axes.push(Axis {
                        path: path.to_string(),
                        values,
                    });
                } else {
                    fixed.push((path.to_string(), values.concat()));
                }
            }
        }
        let first = |c: &str| {
            summary
                .str(0, c)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let info = RunInfo {
            scenario: first("scenario").unwrap_or_else(|| {
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "capsim run".into())
            }),
            replications: summary.num(0, "replications"),
            seed: first("seed"),
            start_date: first("start_date"),
            horizon_s: summary.num(0, "horizon_s"),
            warmup_s: summary.num(0, "warmup_s"),
        };
        Ok(Run {
            dir: dir.to_path_buf(),
            summary,
            tradeoff,
            info,
            targets,
            variants,
            axes,
            fixed,
            scenario_text,
            scenario,
            notes,
        })
    }

    /// A row of an endpoint (it counts requests) rather than of a compute target.
    pub fn is_endpoint_row(&self, row: usize) -> bool {
        self.summary.num(row, "requests").is_some()
    }

    pub fn is_sweep(&self) -> bool {
        self.variants.len() > 1
    }

    /// Rows of `summary.csv` for one target, in file order.
    pub fn summary_rows(&self, target: &str) -> Vec<usize> {
        (0..self.summary.rows.len())
            .filter(|&i| self.summary.str(i, "target") == Some(target))
            .collect()
    }

    pub fn variant_of(&self, table: &Table, row: usize) -> String {
        table.str(row, "variant").unwrap_or("0").to_string()
    }

    /// The summary row of (variant, target).
    pub fn summary_row(&self, variant: &str, target: &str) -> Option<usize> {
        (0..self.summary.rows.len()).find(|&i| {
            self.summary.str(i, "target") == Some(target)
                && self.variant_of(&self.summary, i) == variant
        })
    }

    /// Rows of `tradeoff.csv` for one target, in file order.
    pub fn tradeoff_rows(&self, target: &str) -> Vec<usize> {
        self.tradeoff.as_ref().map_or(vec![], |t| {
            (0..t.rows.len())
                .filter(|&i| t.str(i, "target") == Some(target))
                .collect()
        })
    }

    /// The swept values of a summary or tradeoff row: `min_instances = 4, idle_time... = 2m`.
    pub fn params_long(&self, table: &Table, row: usize) -> String {
        self.axes
            .iter()
            .map(|a| {
                format!(
                    "{} = {}",
                    a.short(),
                    table
                        .str(row, &format!("parameter_{}", a.path))
                        .unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The swept values alone: `4 / 2m`.
    pub fn params_short(&self, table: &Table, row: usize) -> String {
        self.axes
            .iter()
            .map(|a| {
                table
                    .str(row, &format!("parameter_{}", a.path))
                    .unwrap_or("?")
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// The `[[compute]]` table of the scenario with this name.
    pub fn compute_spec(&self, target: &str) -> Option<&toml::Table> {
        self.scenario
            .as_ref()?
            .get("compute")?
            .as_array()?
            .iter()
            .filter_map(|c| c.as_table())
            .find(|c| c.get("name").and_then(|n| n.as_str()) == Some(target))
    }

    /// The `[goal]` as (p95 wait bound in seconds, budget per 30 days), from scenario.toml.
    pub fn goal(&self) -> Option<Goal> {
        let g = self.scenario.as_ref()?.get("goal")?.as_table()?;
        let wait_p95_s = g.get("wait_p95").and_then(|v| match v {
            toml::Value::String(s) => crate::text::parse_duration(s).ok(),
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        });
        let budget = g.get("budget_per_30d_usd").and_then(|v| match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        });
        (wait_p95_s.is_some() || budget.is_some()).then_some(Goal {
            wait_p95_s,
            budget_per_30d_usd: budget,
        })
    }

    /// The summed cost per 30 days over targets in each replication of variant 0, from
    /// `replications.csv`, for the total's confidence interval.
    pub fn total_cost_per_replication(&self) -> Option<Vec<f64>> {
        let path = self.dir.join("replications.csv");
        let t = Table::read(&path).ok()?;
        if !t.has("replication") || !t.has("cost_per_30d_usd") {
            return None;
        }
        let first_variant = self.variants.first()?.clone();
        let mut sums: Vec<(String, f64, usize)> = vec![];
        for i in 0..t.rows.len() {
            if self.variant_of(&t, i) != first_variant {
                continue;
            }
            let rep = t.str(i, "replication")?.to_string();
            let cost = t.num(i, "cost_per_30d_usd")?;
            match sums.iter_mut().find(|(r, _, _)| *r == rep) {
                Some(e) => {
                    e.1 += cost;
                    e.2 += 1;
                }
                None => sums.push((rep, cost, 1)),
            }
        }
        let n_targets = self.targets.len();
        if sums.is_empty() || sums.iter().any(|(_, _, n)| *n != n_targets) {
            return None;
        }
        Some(sums.into_iter().map(|(_, c, _)| c).collect())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goal {
    pub wait_p95_s: Option<f64>,
    pub budget_per_30d_usd: Option<f64>,
}

impl Goal {
    pub fn describe(&self) -> String {
        use crate::text::format::{duration, usd};
        let mut parts = vec![];
        if let Some(w) = self.wait_p95_s {
            parts.push(format!("p95 wait ≤ {}", duration(w)));
        }
        if let Some(b) = self.budget_per_30d_usd {
            parts.push(format!("cost ≤ {} / month", usd(b)));
        }
        parts.join(" and ")
    }
}
