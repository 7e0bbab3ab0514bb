//! Reads a finished run's output folder. Every value comes from a CSV cell found by its column
//! name (the columns of [`crate::output::schema`]), or from `run.json`, so the report shows
//! only numbers the files hold, whatever the column order, and a missing optional file or
//! column is noted rather than fatal. The scenario file is shown, never read for values.

use crate::metrics::{Estimate, M};
use crate::output::runinfo::{RunInfo, ScenarioFacts, TargetFacts};
use crate::output::schema::{self, ColumnRef, replications, summary as sum, timeseries, tradeoff};
use crate::scenario::sweep::Goal;
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
        let mut r = crate::text::input::open(path, crate::text::input::OUTPUT)
            .map(csv::Reader::from_reader)
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

    pub fn has(&self, column: impl ColumnRef) -> bool {
        self.index.contains_key(column.column_name())
    }

    /// The cell as written; `None` when the column is missing, `Some("")` when it is empty.
    pub fn str(&self, row: usize, column: impl ColumnRef) -> Option<&str> {
        let i = *self.index.get(column.column_name())?;
        self.rows.get(row)?.get(i)
    }

    /// The cell as a finite number; `None` when missing, empty or not a number.
    pub fn num(&self, row: usize, column: impl ColumnRef) -> Option<f64> {
        self.str(row, column)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|x| x.is_finite())
    }

    /// A mean and the half-width of its 95% interval (`<column>_ci95`); NaN where a cell is
    /// missing, empty or not a number.
    pub fn est(&self, row: usize, column: impl ColumnRef) -> Estimate {
        let name = column.column_name();
        Estimate {
            mean: self.num(row, name).unwrap_or(f64::NAN),
            ci95: self.num(row, schema::ci95_name(name)).unwrap_or(f64::NAN),
            n: 0,
        }
    }

    /// `yes` / `no` / other text, lower-cased; `None` when missing or empty.
    pub fn flag(&self, row: usize, column: impl ColumnRef) -> Option<String> {
        self.str(row, column)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
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
    let mut r = crate::text::input::open(path, crate::text::input::OUTPUT)
        .map(csv::Reader::from_reader)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = r
        .headers()
        .with_context(|| format!("cannot read the header of {}", path.display()))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(time_col) = col(timeseries::TIME_S.name) else {
        bail!(
            "{}: no `{}` column",
            path.display(),
            timeseries::TIME_S.name
        );
    };
    let target_col = col(timeseries::TARGET.name);
    let wanted = [
        timeseries::NODES_ALLOCATED.name,
        timeseries::NODES_BUSY.name,
        timeseries::NODES_PROVISIONING.name,
        timeseries::QUEUE_JOBS.name,
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
        let t = num(Some(time_col)).ok_or_else(|| {
            anyhow!(
                "{}:{line}: `{}` is not a number",
                path.display(),
                timeseries::TIME_S.name
            )
        })?;
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

/// What `summary.csv` says was simulated (its first row).
#[derive(Clone, Debug, Default)]
pub struct Simulated {
    pub scenario: String,
    /// The fewest replications of any row (all rows have the same count but under
    /// `replications = "auto"`).
    pub replications: Option<f64>,
    /// The most replications of any row.
    pub replications_max: Option<f64>,
    pub seed: Option<String>,
    pub start_date: Option<String>,
    pub horizon_s: Option<f64>,
    pub warmup_s: Option<f64>,
}

impl Simulated {
    /// A month (730 hours) divided by the observed window: turns a cost over the window into a
    /// cost per month exactly as `cost_per_month_usd` is computed.
    /// The replications the means are over: `10`, or `12–40` where settings differ
    /// (`replications = "auto"`).
    pub fn replications_said(&self) -> Option<String> {
        let lo = self.replications? as u64;
        match self.replications_max.map(|m| m as u64) {
            Some(hi) if hi > lo => Some(format!("{lo}\u{2013}{hi}")),
            _ => Some(lo.to_string()),
        }
    }

    pub fn per_month(&self) -> Option<f64> {
        let window = self.horizon_s? - self.warmup_s.unwrap_or(0.0);
        (window > 0.0).then(|| crate::catalog::HOURS_PER_MONTH * 3600.0 / window)
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
    pub simulated: Simulated,
    /// `run.json`, if the folder has a readable one.
    pub run_json: Option<RunInfo>,
    /// Targets in order of first appearance in `summary.csv`.
    pub targets: Vec<String>,
    /// Variants in order of first appearance (`variant` column; `0` without it).
    pub variants: Vec<String>,
    /// Parameter columns whose value differs between variants: the sweep's axes.
    pub axes: Vec<Axis>,
    /// Parameter columns with one value for the whole run (`--set`, or a one-value axis).
    pub fixed: Vec<(String, String)>,
    /// The scenario file copied into the folder, verbatim, if present: shown, never parsed.
    pub scenario_text: Option<String>,
    /// Missing optional files and problems worth a sentence in the report.
    pub notes: Vec<String>,
}

impl Run {
    pub fn load(dir: &Path) -> anyhow::Result<Run> {
        let summary_path = dir.join(sum::FILE.name);
        if !summary_path.is_file() {
            bail!(
                "no summary.csv in {}: `capsim report` needs the folder of a finished `capsim run` (missing {})",
                dir.display(),
                summary_path.display()
            );
        }
        let summary = Table::read(&summary_path)?;
        if !summary.has(sum::TARGET) {
            bail!(
                "{}: no `{}` column; is this a capsim summary.csv?",
                summary_path.display(),
                sum::TARGET.name
            );
        }
        if summary.rows.is_empty() {
            bail!("{}: no rows", summary_path.display());
        }
        let mut notes = vec![];
        let tradeoff_path = dir.join(tradeoff::FILE.name);
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
        let scenario_text = crate::text::input::read_to_string(
            &dir.join("scenario.toml"),
            crate::text::input::OUTPUT,
        )
        .ok();
        let run_json = match RunInfo::read(dir) {
            Ok(Some(info)) => Some(info),
            Ok(None) => {
                notes.push(format!(
                    "{} is missing, so what it records about the scenario (goal, provisioning times, command-line options) is unknown.",
                    crate::output::runinfo::FILE_NAME
                ));
                None
            }
            Err(e) => {
                notes.push(format!(
                    "{} could not be read ({e}), so what it records about the scenario (goal, provisioning times, command-line options) is unknown.",
                    crate::output::runinfo::FILE_NAME
                ));
                None
            }
        };
        if run_json.as_ref().is_some_and(|r| r.scenario.is_none()) {
            notes.push(format!(
                "{} was written by an older capsim, which did not record the scenario's goal, provisioning times and command-line options: they are unknown here.",
                crate::output::runinfo::FILE_NAME
            ));
        }

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
        let targets = distinct(sum::TARGET.name);
        let variants = distinct(sum::VARIANT.name);
        let mut axes = vec![];
        let mut fixed = vec![];
        for h in &summary.headers {
            if let Some(path) = h.strip_prefix(schema::PARAMETER_PREFIX) {
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
        let first = |c: schema::Column| {
            summary
                .str(0, c)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let replication_counts =
            || (0..summary.rows.len()).filter_map(|i| summary.num(i, sum::REPLICATIONS));
        let simulated = Simulated {
            scenario: first(sum::SCENARIO).unwrap_or_else(|| {
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "capsim run".into())
            }),
            replications: replication_counts().reduce(f64::min),
            replications_max: replication_counts().reduce(f64::max),
            seed: first(sum::SEED),
            start_date: first(sum::START_DATE),
            horizon_s: summary.num(0, sum::HORIZON_S),
            warmup_s: summary.num(0, sum::WARMUP_S),
        };
        Ok(Run {
            dir: dir.to_path_buf(),
            summary,
            tradeoff,
            simulated,
            run_json,
            targets,
            variants,
            axes,
            fixed,
            scenario_text,
            notes,
        })
    }

    /// What `run.json` records about the scenario; `None` when it does not (an older capsim).
    pub fn facts(&self) -> Option<&ScenarioFacts> {
        self.run_json.as_ref()?.scenario.as_ref()
    }

    /// What `run.json` records about one target.
    pub fn target_facts(&self, target: &str) -> Option<&TargetFacts> {
        self.facts()?.targets.iter().find(|t| t.name == target)
    }

    /// A row of an endpoint (it counts requests) rather than of a compute target.
    pub fn is_endpoint_row(&self, row: usize) -> bool {
        self.summary.num(row, M::requests).is_some()
    }

    pub fn is_sweep(&self) -> bool {
        self.variants.len() > 1
    }

    /// Rows of `summary.csv` for one target, in file order.
    pub fn summary_rows(&self, target: &str) -> Vec<usize> {
        (0..self.summary.rows.len())
            .filter(|&i| self.summary.str(i, sum::TARGET) == Some(target))
            .collect()
    }

    pub fn variant_of(&self, table: &Table, row: usize) -> String {
        table.str(row, sum::VARIANT).unwrap_or("0").to_string()
    }

    /// The summary row of (variant, target).
    pub fn summary_row(&self, variant: &str, target: &str) -> Option<usize> {
        (0..self.summary.rows.len()).find(|&i| {
            self.summary.str(i, sum::TARGET) == Some(target)
                && self.variant_of(&self.summary, i) == variant
        })
    }

    /// Rows of `tradeoff.csv` for one target, in file order.
    pub fn tradeoff_rows(&self, target: &str) -> Vec<usize> {
        self.tradeoff.as_ref().map_or(vec![], |t| {
            (0..t.rows.len())
                .filter(|&i| t.str(i, tradeoff::TARGET) == Some(target))
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
                        .str(row, schema::parameter_name(&a.path))
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
                    .str(row, schema::parameter_name(&a.path))
                    .unwrap_or("?")
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// The `[goal]` with at least one bound, from `run.json`; `None` without one or when
    /// `run.json` does not say ([`Run::facts`] tells which).
    pub fn goal(&self) -> Option<Goal> {
        self.facts()?
            .goal
            .clone()
            .filter(|g| !g.measures().is_empty())
    }

    /// The summed cost per month over targets in each replication of variant 0, from
    /// `replications.csv`, for the total's confidence interval.
    pub fn total_cost_per_replication(&self) -> Option<Vec<f64>> {
        let path = self.dir.join(replications::FILE.name);
        let t = Table::read(&path).ok()?;
        if !t.has(replications::REPLICATION) || !t.has(M::cost_per_month) {
            return None;
        }
        let first_variant = self.variants.first()?.clone();
        let mut sums: Vec<(String, f64, usize)> = vec![];
        for i in 0..t.rows.len() {
            if self.variant_of(&t, i) != first_variant {
                continue;
            }
            let rep = t.str(i, replications::REPLICATION)?.to_string();
            let cost = t.num(i, M::cost_per_month)?;
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

/// The goal in words: `p95 wait ≤ 5.0 min and cost ≤ $1,000 / month`.
pub fn describe_goal(goal: &Goal) -> String {
    use crate::text::format::{duration, usd};
    let mut parts = vec![];
    if let Some(w) = goal.wait_p95_s {
        parts.push(format!("p95 wait ≤ {}", duration(w)));
    }
    use crate::scenario::goal::Measure;
    for (m, b) in goal.measures() {
        match m {
            Measure::WaitP95 | Measure::Budget => {}
            m if m.is_floor() => parts.push(format!(
                "{} ≥ {}",
                m.label(),
                crate::sweep::goal::format(m, b)
            )),
            m => parts.push(format!(
                "{} ≤ {}",
                m.label(),
                crate::sweep::goal::format(m, b)
            )),
        }
    }
    if let Some(b) = goal.budget_per_month_usd {
        parts.push(format!("cost ≤ {} / month", usd(b)));
    }
    let mut words = parts.join(" and ");
    if let Some(t) = goal.tolerance_s {
        words.push_str(&format!(", tolerance {}", duration(t)));
    }
    if let Some(t) = goal.tolerance_share {
        words.push_str(&format!(", tolerance {}", crate::sweep::goal::share(t)));
    }
    words
}
