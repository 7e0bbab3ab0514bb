//! `merge`: the folders of every shard of a sweep into the files one run writes.

use super::{
    CommandError, Edits, Silent, Source, by_variant, csv_failed, io, load, output_dir_error,
    write_tail,
};
use crate::output::runinfo::{self, RunInfo, Status};
use crate::output::shard::{MANIFEST, Manifest, ROWS, SCENARIO, TIMESERIES, read_rows};
use crate::output::{OutputDir, VariantFiles};
use crate::scenario::sweep::Plan;
use crate::sweep::{ReplicationRow, RunResult, Shard, tradeoff};
use crate::text::input;
use std::path::{Path, PathBuf};

/// A shard folder's text file (`shard.toml`, `scenario.toml`), read as every input is.
fn read_to_string(path: &Path) -> std::io::Result<String> {
    input::read_to_string(path, input::OUTPUT)
}

/// Which shard folders to merge, and where.
#[derive(Clone, Debug, Default)]
pub struct MergeRequest {
    /// The output folders of `run` with a shard, all N of them, in any order.
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results.
    pub out: PathBuf,
    /// Also write the report.
    pub report: bool,
}

/// What the merge wrote: the same files and figures as one run of the whole sweep.
#[derive(Debug)]
pub struct MergeOutcome {
    pub out_dir: PathBuf,
    pub plan: Plan,
    /// One per variant, shrunk to what summaries and comparisons need.
    pub results: Vec<RunResult>,
    pub tradeoff: Option<Vec<tradeoff::Row>>,
    pub events: u64,
    /// How many shards were merged.
    pub shards: usize,
    /// Files the report wrote.
    pub report: Vec<PathBuf>,
}

/// Checks that `req.dirs` are every shard of one sweep, rebuilds the sweep's plan as the shards
/// built it, and writes the single run's files from their rows, shard by shard.
pub fn merge(req: MergeRequest) -> Result<MergeOutcome, CommandError> {
    let input = CommandError::Input;
    let Some(first_dir) = req.dirs.first() else {
        return Err(input(
            "merge: give the output folders of `capsim run --shard K/N`".into(),
        ));
    };
    let mut shards: Vec<(Manifest, &Path)> = vec![];
    for dir in &req.dirs {
        let path = dir.join(MANIFEST);
        let text = read_to_string(&path).map_err(|e| {
            input(format!(
                "{}: {e}: give the output folders of `capsim run --shard K/N`",
                path.display()
            ))
        })?;
        let m: Manifest =
            toml::from_str(&text).map_err(|e| input(format!("{}: {e}", path.display())))?;
        shards.push((m, dir));
    }
    let first_manifest = shards[0].0.clone();
    let count = first_manifest
        .shard()
        .map_err(|e| {
            input(format!(
                "{}: shard: {e}",
                first_dir.join(MANIFEST).display()
            ))
        })?
        .count;
    let scenario_path = first_dir.join("scenario.toml");
    let scenario_text = read_to_string(&scenario_path)
        .map_err(|e| input(format!("{}: {e}", scenario_path.display())))?;
    let by_index = order(&shards, &first_manifest, first_dir, &scenario_text, count)?;

    // Rebuild the plan exactly as the shards built it.
    let file = PathBuf::from(&first_manifest.scenario_file);
    let edits = Edits {
        seed: first_manifest.seed,
        replications: first_manifest.replications,
        horizon: first_manifest.horizon.clone(),
        sets: first_manifest.sets.clone(),
        sweeps: first_manifest.sweeps.clone(),
        prices: first_manifest.prices.as_ref().map(PathBuf::from),
        today: None,
    };
    let source = Source::new(&file, scenario_text.as_str());
    let plan = load(&source, &edits, false, &Silent).map_err(|e| match e {
        CommandError::Scenario(e) => input(format!(
            "rebuilding the sweep from {}: {e}",
            first_dir.display()
        )),
        e => e,
    })?;
    let pairs = crate::sweep::pairs(&plan);
    if pairs.len() != first_manifest.pairs_total {
        return Err(input(format!(
            "the scenario now expands to {} replications, the shards ran {}",
            pairs.len(),
            first_manifest.pairs_total
        )));
    }
    // Shard 1 holds the time series when it ran replication 0 of variant 0, and then records
    // its digest.
    let first_shard = shards
        .iter()
        .find(|(_, d)| *d == by_index[0].as_path())
        .map(|(m, _)| m)
        .expect("by_index comes from shards");
    let timeseries = if first_shard.records(TIMESERIES) {
        let path = by_index[0].join(TIMESERIES);
        let bytes = input::read(&path, input::OUTPUT)
            .map_err(|e| input(format!("{}: {e}", path.display())))?;
        verified(first_shard, &path, TIMESERIES, &bytes)?;
        Some(bytes)
    } else {
        None
    };
    let mut out = OutputDir::replace(&req.out).map_err(output_dir_error)?;
    let first = plan.variants[0].scenario.clone();
    // A sweep with a goal shows its recommended setting, simulated once the verdict is known,
    // as `run` does (its shards write no time series).
    let series_later = super::run::series_after_verdict(&plan);
    if !series_later && let Some(bytes) = timeseries {
        out.write(TIMESERIES, &bytes).map_err(io)?;
    }
    // Shard by shard, as `run` does chunk by chunk: complete variants are written out and
    // shrunk, so a merge holds at most one shard's replications.
    let mut files = VariantFiles::run(&mut out).map_err(io)?;
    let mut results: Vec<RunResult> = vec![];
    let mut pending: Vec<(usize, ReplicationRow)> = vec![];
    let mut next = 0;
    for (k, dir) in by_index.iter().enumerate() {
        let path = dir.join(ROWS);
        let bytes = input::read(&path, input::OUTPUT)
            .map_err(|e| input(format!("{}: {e}", path.display())))?;
        let manifest = shards
            .iter()
            .find(|(_, d)| *d == dir.as_path())
            .map(|(m, _)| m)
            .expect("by_index comes from shards");
        verified(manifest, &path, ROWS, &bytes)?;
        let rows = read_rows(&bytes, &path.display().to_string()).map_err(input)?;
        let want = Shard {
            index: k + 1,
            count,
        }
        .range(pairs.len());
        let got: Vec<(usize, u64)> = rows.iter().map(|(v, r)| (*v, r.replication)).collect();
        if want.start != next || got.as_slice() != &pairs[want.clone()] {
            return Err(input(format!(
                "{}: does not hold the replications of shard {}/{count}",
                path.display(),
                k + 1
            )));
        }
        next = want.end;
        pending.extend(rows);
        let done_before = if next < pairs.len() {
            pairs[next].0
        } else {
            usize::MAX
        };
        let split = pending.partition_point(|(v, _)| *v < done_before);
        let batch = by_variant(pending.drain(..split));
        files.write(&plan, &batch).map_err(csv_failed)?;
        for (_, mut r) in batch {
            r.shrink(first.system.targets.len());
            results.push(r);
        }
    }
    files.finish(&plan).map_err(io)?;
    let tradeoff = write_tail(&mut out, &plan, &results, &first)?;
    let verdicts = tradeoff.as_ref().map_or(vec![], |rows| {
        crate::sweep::verdict::decide(&plan, &results, rows)
    });
    let mut info = run_info(&file, &scenario_text, &plan, count);
    if series_later {
        let v = super::run::profile_variant(&verdicts);
        super::run::write_series(&mut out, &plan, v.unwrap_or(0))?;
        info.timeseries_variant = v;
    }
    info.verdicts = verdicts;
    out.write(runinfo::FILE_NAME, &info.to_json()).map_err(io)?;
    let report = req.report.then(|| super::report::stage(&mut out, false));
    out.commit().map_err(io)?;
    let report = report.transpose()?.unwrap_or_default();
    Ok(MergeOutcome {
        out_dir: req.out,
        events: results.iter().map(|r| r.events()).sum(),
        plan,
        results,
        tradeoff,
        shards: count,
        report,
    })
}

/// The shard folders in shard order, checked to be every shard of one sweep, once each.
fn order(
    shards: &[(Manifest, &Path)],
    first_manifest: &Manifest,
    first_dir: &Path,
    scenario_text: &str,
    count: usize,
) -> Result<Vec<PathBuf>, CommandError> {
    let input = CommandError::Input;
    let mut by_index: Vec<Option<PathBuf>> = vec![None; count];
    for (m, dir) in shards {
        let here = dir.join(MANIFEST);
        if m.capsim_version != env!("CARGO_PKG_VERSION") {
            return Err(input(format!(
                "{}: written by capsim {}, this is {}: merge with the capsim that ran the shards",
                here.display(),
                m.capsim_version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        let scenario_path = dir.join(SCENARIO);
        let text = read_to_string(&scenario_path)
            .map_err(|e| input(format!("{}: {e}", scenario_path.display())))?;
        verified(m, &scenario_path, SCENARIO, text.as_bytes())?;
        if m.sweep_identity() != first_manifest.sweep_identity() || text != scenario_text {
            return Err(input(format!(
                "{} and {} are shards of different runs (scenario, arguments or shard count differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        let shard = m
            .shard()
            .map_err(|e| input(format!("{}: shard: {e}", here.display())))?;
        if shard.count != count {
            return Err(input(format!(
                "{}: shard {shard} of a sweep split {count} ways",
                here.display()
            )));
        }
        if let Some(other) = &by_index[shard.index - 1] {
            return Err(input(format!(
                "shard {shard} given twice: {} and {}",
                other.display(),
                dir.display()
            )));
        }
        by_index[shard.index - 1] = Some(dir.to_path_buf());
    }
    let missing: Vec<String> = by_index
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_none())
        .map(|(k, _)| format!("{}/{count}", k + 1))
        .collect();
    if !missing.is_empty() {
        return Err(input(format!(
            "missing shard{} {}: merge needs all {count}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }
    Ok(by_index.into_iter().flatten().collect())
}

/// Checks a shard file's bytes against the digest its manifest records; the error names the
/// file.
fn verified(m: &Manifest, path: &Path, name: &str, bytes: &[u8]) -> Result<(), CommandError> {
    m.verify(name, bytes)
        .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))
}

/// `run.json` of the merged folder.
fn run_info(file: &Path, scenario_text: &str, plan: &Plan, shards: usize) -> RunInfo {
    let first = &plan.variants[0].scenario;
    let mut info = RunInfo::start(file, scenario_text);
    info.seed = first.seed;
    info.replications = first.replications;
    info.variants = plan.variants.len();
    info.describe(plan);
    info.finish(Status::Complete);
    info.note = Some(format!("merged from {shards} shards"));
    info
}
