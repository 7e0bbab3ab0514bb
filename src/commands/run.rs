//! `run`: simulate a scenario into an output folder, or one shard of its sweep.

use super::{
    CommandError, Edits, Observer, Source, by_variant, csv_failed, default_out_dir, io, load,
    output_dir_error, write_tail,
};
use crate::model::SampleSink;
use crate::output::runinfo::{self, RunInfo, Status};
use crate::output::{self, OutputDir, TimeseriesWriter, VariantFiles};
use crate::scenario::sweep::Plan;
use crate::sweep::estimate::{self, Limits};
use crate::sweep::{Control, ReplicationRow, RunResult, Shard, tradeoff};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// (Variant, replication) pairs simulated together before their results are written out: enough
/// to keep every core busy, few enough that their rows take little memory (the resource estimate
/// counts on it).
const CHUNK_PAIRS: usize = estimate::CHUNK_PAIRS;

/// What to run and how.
#[derive(Debug, Default)]
pub struct RunRequest<'a> {
    /// The scenario file.
    pub file: PathBuf,
    pub edits: Edits,
    /// The output folder; `None` is [`default_out_dir`] of the file.
    pub out: Option<PathBuf>,
    /// Worker threads; 0 uses every core. Results are identical for any value.
    pub threads: usize,
    /// Run only this slice of the sweep, written for [`super::merge()`].
    pub shard: Option<Shard>,
    /// Run even when the resource estimate is over this machine's limits.
    pub force: bool,
    /// Also write the report (not for a shard, nor after an interruption).
    pub report: bool,
    /// With `report`: charts as PNG too.
    pub png: bool,
    /// Refuse a scenario that warns.
    pub deny_warnings: bool,
    /// Set (from another thread) to stop: replications not yet started are skipped, and what
    /// finished is written and marked incomplete.
    pub cancel: Option<&'a AtomicBool>,
}

/// What a run wrote and found.
#[derive(Debug)]
pub struct RunOutcome {
    /// Where the results are: the output folder, or `<folder>.interrupted` beside it when an
    /// interrupted run would have replaced earlier results.
    pub out_dir: PathBuf,
    /// The variants reported: after an interruption, only those whose every replication ran.
    pub plan: Plan,
    /// One per variant of `plan`, each shrunk to what summaries and comparisons need; empty for
    /// a shard, whose rows are in its folder.
    pub results: Vec<RunResult>,
    /// The trade-off analysis, with several variants.
    pub tradeoff: Option<Vec<tradeoff::Row>>,
    /// Simulating and writing the per-variant files.
    pub elapsed: Duration,
    /// Events simulated in the replications of `results`.
    pub events: u64,
    /// Stopped by `cancel` before every replication ran.
    pub interrupted: bool,
    /// For a shard: which one, and how many replications it ran.
    pub shard: Option<ShardRun>,
    /// Files the report wrote.
    pub report: Vec<PathBuf>,
    /// Interrupted before any variant finished, with earlier results in the folder and in
    /// `<folder>.interrupted`: nothing was written, and both are as they were.
    pub nothing_written: bool,
    /// `replications = "auto"`: what the procedure did.
    pub auto: Option<crate::sweep::auto::AutoLog>,
    /// The folder held a report of earlier results and this run, without `report`, replaced it
    /// with results that have none: the caller says so, since the report is gone.
    pub removed_report: bool,
}

/// What one shard of a sweep ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardRun {
    pub shard: Shard,
    /// (variant, replication) pairs this shard ran.
    pub replications: usize,
    /// (variant, replication) pairs in the whole sweep.
    pub replications_total: usize,
}

impl RunOutcome {
    /// `Err` (exit code 130) naming what was written when the run was interrupted.
    pub fn status(&self) -> Result<(), CommandError> {
        if !self.interrupted {
            return Ok(());
        }
        if self.nothing_written {
            return Err(CommandError::Interrupted(format!(
                "interrupted before any variant finished: nothing written ({}/ and {}/ keep \
                 the earlier results)",
                self.out_dir.display(),
                interrupted_dir(&self.out_dir).display()
            )));
        }
        let n = self.plan.variants.len();
        Err(CommandError::Interrupted(format!(
            "interrupted: {n} finished variant{} written to {}/ and marked incomplete (INCOMPLETE.txt)",
            if n == 1 { "" } else { "s" },
            self.out_dir.display()
        )))
    }
}

/// Runs the scenario of `req` and writes its results: summary, replications, workloads, time
/// series, trade-off, scenario and `run.json` (or a shard's rows and manifest), all at once at
/// the end, so that the folder never holds a mix of two runs.
pub fn run(req: RunRequest<'_>, observer: &dyn Observer) -> Result<RunOutcome, CommandError> {
    let plan = load(
        &Source::read(&req.file)?,
        &req.edits,
        req.deny_warnings,
        observer,
    )?;
    // The procedure decides from every setting's results, which no shard has.
    if let Some(shard) = req.shard
        && let Some(first) = plan.variants.first()
        && first.scenario.auto_replications.is_some()
    {
        let refusal = crate::sweep::auto::shard_refusal(&first.scenario, shard);
        return Err(CommandError::Input(refusal.to_string()));
    }
    let out_dir = req
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&req.file));
    // Resource guard: before anything is allocated per replication or written.
    let limits = Limits::of_this_machine(Some(&out_dir));
    let estimate = estimate::estimate_on(
        &plan,
        req.threads,
        req.shard.map_or(1.0, |s| 1.0 / s.count as f64),
        // Only the slice holding variant 0's replication 0 writes the time series.
        req.shard.is_none_or(|s| s.index == 1),
        limits.cores,
    );
    if let Err(too_big) = estimate.check(&limits) {
        if !req.force {
            return Err(CommandError::Input(too_big.to_string()));
        }
        // --force is for a long run, not one that cannot end: counts past 1e18 (u64 counters)
        // or not finite (a rate near f64's maximum) would exhaust memory instead.
        let endless = |x: f64| !x.is_finite() || x > 1e18;
        if endless(estimate.events) || endless(estimate.memory_bytes) {
            return Err(CommandError::Input(format!(
                "this run cannot be run, even with --force: {}; an arrival rate or a rate \
                 multiplier of the scenario is too large to simulate",
                estimate.summary()
            )));
        }
        observer.forced(&estimate);
    }
    // The folder is replaced as a whole (see output::files): a report of the earlier results
    // would describe results no longer there, so it goes, and the outcome says so.
    let earlier_report = !req.report
        && ["report.html", "report.md"]
            .iter()
            .any(|f| out_dir.join(f).is_file());
    let mut out = OutputDir::replace(&out_dir).map_err(output_dir_error)?;
    // replications = "auto": the procedure picks each setting's count (sweep::auto) and keeps
    // the rows it ran; the files are written from those rows as from a fixed count's.
    let mut plan = plan;
    let started = Instant::now();
    let started_at = runinfo::now_utc();
    let tick = || observer.progress(1);
    let settled = if plan
        .variants
        .first()
        .is_some_and(|v| v.scenario.auto_replications.is_some())
    {
        // How many replications it will take is what the procedure finds out: no total.
        observer.progress_start(None);
        // A sweep with a goal writes its recommended setting's series after the verdict.
        let mut ts = if series_after_verdict(&plan) {
            None
        } else {
            let f = out.create("timeseries.csv").map_err(io)?;
            Some(TimeseriesWriter::new(f, &plan.variants[0].scenario, 0))
        };
        let control = Control {
            threads: req.threads,
            pairs: None,
            cancel: req.cancel,
            progress: Some(&tick),
        };
        let settled =
            crate::sweep::auto::settle_with(&mut plan, &control, ts.as_mut().map(|w| w as _))
                .map_err(|e| {
                    CommandError::Failed(format!(
                        "cannot start {} worker threads: {e}",
                        req.threads
                    ))
                })?;
        Some(Presimulated { settled, ts })
    } else {
        None
    };
    let auto = settled.as_ref().map(|p| p.settled.log.clone());
    let mut info = run_info(&req, &plan);
    // run.json's start is the run's, before the procedure simulated anything.
    info.started_at = started_at;
    let series_later = series_after_verdict(&plan);
    let all_pairs = crate::sweep::pairs(&plan);
    let mine = req
        .shard
        .map_or(0..all_pairs.len(), |s| s.range(all_pairs.len()));
    if settled.is_none() {
        observer.progress_start(Some(mine.len() as u64));
    }
    let (kept, interrupted) = write_results(
        &req,
        &plan,
        &all_pairs,
        mine.clone(),
        &mut out,
        observer,
        settled,
    )?;
    let elapsed = started.elapsed();

    if let Some(shard) = req.shard {
        if interrupted {
            // A shard with missing replications cannot be merged: leave nothing that looks like
            // a finished shard.
            drop(out);
            return Err(CommandError::Interrupted(format!(
                "interrupted: shard {shard} was not finished; nothing was written to {}",
                out_dir.display()
            )));
        }
        out.write("scenario.toml", plan.variants[0].scenario.source.as_bytes())
            .map_err(io)?;
        let mut manifest = manifest(&req, shard, all_pairs.len());
        manifest.record_digests(out.staging()).map_err(io)?;
        out.write(
            output::shard::MANIFEST,
            toml::to_string(&manifest)
                .map_err(|e| CommandError::failed(&e))?
                .as_bytes(),
        )
        .map_err(io)?;
        info.finish(Status::Complete);
        info.note = Some(format!("shard {shard} of the sweep"));
        out.write(runinfo::FILE_NAME, &info.to_json()).map_err(io)?;
        out.commit().map_err(io)?;
        return Ok(RunOutcome {
            out_dir,
            plan,
            results: vec![],
            tradeoff: None,
            elapsed,
            events: 0,
            interrupted: false,
            nothing_written: false,
            shard: Some(ShardRun {
                shard,
                replications: mine.len(),
                replications_total: all_pairs.len(),
            }),
            report: vec![],
            auto: None,
            removed_report: earlier_report,
        });
    }

    let first = plan.variants[0].scenario.clone();
    let total_variants = plan.variants.len();
    // After an interruption, only variants whose every replication finished are reported.
    let (plan, results) = if interrupted {
        let mut sub = Plan {
            variants: vec![],
            ..plan.clone_without_variants()
        };
        let mut results = vec![];
        for (v, r) in kept {
            sub.variants.push(plan.variants[v].clone());
            results.push(r);
        }
        (sub, results)
    } else {
        (plan, kept.into_iter().map(|(_, r)| r).collect())
    };
    let tradeoff = write_tail(&mut out, &plan, &results, &first)?;
    let verdicts = tradeoff.as_ref().map_or(vec![], |rows| {
        crate::sweep::verdict::decide(&plan, &results, rows)
    });
    if interrupted {
        out.write(
            "INCOMPLETE.txt",
            format!(
                "This run was interrupted (Ctrl-C): {} of {total_variants} variants finished and \
                 are reported; the others are missing. Rerun to get complete results.\n",
                plan.variants.len(),
            )
            .as_bytes(),
        )
        .map_err(io)?;
        info.finish(Status::Interrupted);
        info.note = Some(format!(
            "{} of {} variants finished and are reported",
            plan.variants.len(),
            info.variants
        ));
    } else {
        info.finish(Status::Complete);
    }
    if series_later && !plan.variants.is_empty() {
        let v = profile_variant(&verdicts);
        write_series(&mut out, &plan, v.unwrap_or(0))?;
        info.timeseries_variant = v;
    }
    info.verdicts = verdicts;
    out.write(runinfo::FILE_NAME, &info.to_json()).map_err(io)?;
    // The report is built from the staged files and committed with them: no moment shows the
    // new results without their report. A report that fails leaves the results without one.
    let report = (req.report && !interrupted).then(|| super::report::stage(&mut out, req.png));
    // An early Ctrl-C (no variant finished) does not replace an earlier `<folder>.interrupted`,
    // which holds variants, with a folder of none.
    let nothing_written = interrupted
        && plan.variants.is_empty()
        && has_earlier_results(&out_dir)
        && has_earlier_results(&interrupted_dir(&out_dir));
    let out_dir = if nothing_written {
        drop(out);
        out_dir
    } else {
        commit(out, &out_dir, interrupted)?
    };
    let report = report.transpose()?.unwrap_or_default();
    Ok(RunOutcome {
        nothing_written,
        out_dir,
        events: results.iter().map(|r| r.events()).sum(),
        plan,
        results,
        tradeoff,
        elapsed,
        interrupted,
        shard: None,
        report,
        auto,
        // An interrupted run that found earlier results wrote beside them, and removed nothing.
        removed_report: earlier_report && !interrupted,
    })
}

/// `run.json` as the run starts; the end is recorded when it ends.
pub(super) fn run_info(req: &RunRequest<'_>, plan: &Plan) -> RunInfo {
    let first = &plan.variants[0].scenario;
    let mut info = RunInfo::start(&req.file, &first.source);
    info.seed = first.seed;
    info.replications = first.replications;
    if first.auto_replications.is_some() {
        info.replications_by_variant = plan
            .variants
            .iter()
            .map(|v| v.scenario.replications)
            .collect();
    }
    info.variants = plan.variants.len();
    info.describe(plan);
    info.threads = req.threads;
    info.threads_used = if req.threads == 0 {
        estimate::cores()
    } else {
        req.threads
    };
    info
}

/// Simulates the pairs `mine` chunk by chunk and streams their rows into the per-variant files
/// (and replication 0 of variant 0 into `timeseries.csv`). Returns each variant's result, shrunk
/// (for a full run only the variants whose every replication ran), and whether it was stopped.
pub(super) fn simulate(
    req: &RunRequest<'_>,
    plan: &Plan,
    all_pairs: &[(usize, u64)],
    mine: std::ops::Range<usize>,
    out: &mut OutputDir,
    observer: &dyn Observer,
) -> Result<(Vec<(usize, RunResult)>, bool), CommandError> {
    write_results(req, plan, all_pairs, mine, out, observer, None)
}

/// Replications already run (by `replications = "auto"`), with the time series of replication 0
/// of variant 0 written as it ran.
struct Presimulated {
    settled: crate::sweep::auto::Settled,
    ts: Option<TimeseriesWriter<std::io::BufWriter<std::fs::File>>>,
}

/// [`simulate`], or with `pre`, the same files from replications already run.
fn write_results(
    req: &RunRequest<'_>,
    plan: &Plan,
    all_pairs: &[(usize, u64)],
    mine: std::ops::Range<usize>,
    out: &mut OutputDir,
    observer: &dyn Observer,
    pre: Option<Presimulated>,
) -> Result<(Vec<(usize, RunResult)>, bool), CommandError> {
    let first = &plan.variants[0].scenario;
    let tick = || observer.progress(1);
    let (mut settled, pre_ts) = match pre {
        Some(p) => (Some(p.settled), p.ts),
        None => (None, None),
    };
    // Only the slice holding variant 0's replication 0 writes the time series, unless it waits
    // for the verdict.
    let mut ts = if pre_ts.is_some() {
        pre_ts
    } else if mine.start == 0 && !mine.is_empty() && !series_after_verdict(plan) {
        let f = out.create("timeseries.csv").map_err(io)?;
        Some(TimeseriesWriter::new(f, first, 0))
    } else {
        None
    };
    // Results stream to disk chunk by chunk: a chunk's replications are written out as soon as
    // their variants are complete, and only each variant's summary and the few metrics that
    // comparisons pair by replication stay in memory.
    let mut files = if req.shard.is_some() {
        VariantFiles::shard(out).map_err(io)?
    } else {
        VariantFiles::run(out).map_err(io)?
    };
    let mut kept: Vec<(usize, RunResult)> = vec![];
    let mut pending: Vec<(usize, ReplicationRow)> = vec![];
    // Commitment rows need every replication's hourly usage, which shrinking drops.
    let mut commitments = vec![];
    let mut interrupted = false;
    let mut warmup_check = crate::sweep::warmup::WarmupCheck::default();
    let mut at = mine.start;
    while at < mine.end && !interrupted {
        let end = (at + CHUNK_PAIRS).min(mine.end);
        let control = Control {
            threads: req.threads,
            pairs: Some(at..end),
            cancel: req.cancel,
            progress: Some(&tick),
        };
        let mut outcome = if let Some(s) = settled.as_mut() {
            s.chunk(&all_pairs[at..end])
        } else {
            let sink = if at == 0 {
                ts.as_mut().map(|w| w as &mut (dyn SampleSink + Send))
            } else {
                None
            };
            crate::sweep::run_plan_with(plan, &control, sink).map_err(|e| {
                CommandError::Failed(format!("cannot start {} worker threads: {e}", req.threads))
            })?
        };
        interrupted = outcome.interrupted;
        warmup_check.merge(std::mem::take(&mut outcome.warmup));
        if interrupted && req.shard.is_some() {
            break;
        }
        pending.extend(outcome.rows);
        // Variants before the next pair's are complete (all of them at the end of the slice).
        let done_before = if end < mine.end && !interrupted {
            all_pairs[end].0
        } else {
            usize::MAX
        };
        let split = pending.partition_point(|(v, _)| *v < done_before);
        let mut batch = by_variant(pending.drain(..split));
        if req.shard.is_none() {
            // A variant cut short by Ctrl-C is not reported.
            batch.retain(|(v, r)| r.rows.len() as u64 == plan.variants[*v].scenario.replications);
        }
        files.write(plan, &batch).map_err(csv_failed)?;
        for (v, r) in batch.iter().filter(|_| req.shard.is_none()) {
            commitments.extend(crate::sweep::commitments::analyse(
                *v,
                &plan.variants[*v].scenario,
                r,
            ));
        }
        for (v, mut r) in batch {
            r.shrink(first.system.targets.len());
            kept.push((v, r));
        }
        at = end;
    }
    observer.progress_end();
    // Initialization bias the warm-up leaves in (`warmup = "auto"` truncates it instead).
    if !first.system.warmup_auto
        && let Some(w) = warmup_check.warning(
            crate::engine::time::to_secs_f64(first.system.warmup),
            &first.file,
            &first.source,
        )
    {
        observer.warnings(&[w]);
    }
    // "auto" cannot cut a transient longer than the run: say so rather than report biased
    // intervals silently.
    if first.system.warmup_auto
        && let Some(w) = crate::sweep::relaxation::short_run_warning(
            &first.system,
            Some(crate::engine::time::to_secs_f64(warmup_check.warmup_used)),
            &first.file,
            &first.source,
        )
    {
        observer.warnings(&[w]);
    }
    if let Some(ts) = ts {
        finish_series(ts)?;
    }
    files.finish(plan).map_err(io)?;
    if !commitments.is_empty() {
        out.write(
            "commitments.csv",
            &output::commitments_csv(plan, &commitments).map_err(csv_failed)?,
        )
        .map_err(io)?;
    }
    Ok((kept, interrupted))
}

/// Whether `timeseries.csv` waits for the verdict: a sweep with a `[goal]` shows its
/// recommended setting over time, which only the finished sweep knows.
pub(super) fn series_after_verdict(plan: &Plan) -> bool {
    plan.goal.is_some() && plan.variants.len() > 1
}

/// The setting `timeseries.csv` shows after a verdict: the first one recommended (a sweep
/// usually varies one target); `None` when none is, and setting #0 is shown.
pub(super) fn profile_variant(verdicts: &[crate::sweep::verdict::Decision]) -> Option<usize> {
    verdicts.iter().find_map(|d| d.recommended)
}

/// Writes `timeseries.csv` from replication 0 of variant `v`, simulated once more: replication
/// r of a setting draws the same streams whichever pass runs it, so the series is the one the
/// sweep's tables count.
pub(super) fn write_series(out: &mut OutputDir, plan: &Plan, v: usize) -> Result<(), CommandError> {
    let s = &plan.variants[v].scenario;
    let mut ts = TimeseriesWriter::new(out.create("timeseries.csv").map_err(io)?, s, 0);
    crate::model::run_replication(&s.system, s.seed, 0, Some(&mut ts));
    finish_series(ts)
}

/// Flushes and syncs `timeseries.csv`.
fn finish_series(
    ts: TimeseriesWriter<std::io::BufWriter<std::fs::File>>,
) -> Result<(), CommandError> {
    let writing =
        |e: &dyn std::fmt::Display| CommandError::Failed(format!("writing timeseries.csv: {e}"));
    let file = ts.finish().map_err(|e| writing(&e))?;
    output::files_finish(file).map_err(|e| writing(&e))
}

/// How the shard was run, for [`super::merge()`] to rebuild the same plan.
fn manifest(req: &RunRequest<'_>, shard: Shard, pairs_total: usize) -> output::shard::Manifest {
    output::shard::Manifest {
        capsim_version: env!("CARGO_PKG_VERSION").into(),
        shard: shard.to_string(),
        pairs_total,
        scenario_file: absolute(&req.file),
        seed: req.edits.seed,
        replications: req.edits.replications,
        horizon: req.edits.horizon.clone(),
        prices: req.edits.prices.as_deref().map(absolute),
        sets: req.edits.sets.clone(),
        sweeps: req.edits.sweeps.clone(),
        sha256: Default::default(),
    }
}

fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

/// Commits the folder; returns where the results now are. Partial results never replace an
/// earlier run's: an interrupted run into a folder that holds results goes beside it, into
/// `<folder>.interrupted`.
fn commit(out: OutputDir, out_dir: &Path, interrupted: bool) -> Result<PathBuf, CommandError> {
    if !(interrupted && has_earlier_results(out_dir)) {
        out.commit().map_err(io)?;
        return Ok(out_dir.to_path_buf());
    }
    let beside = interrupted_dir(out_dir);
    let mut alt = OutputDir::replace(&beside).map_err(output_dir_error)?;
    for entry in std::fs::read_dir(out.staging()).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        alt.write(&name, &std::fs::read(entry.path()).map_err(io)?)
            .map_err(io)?;
    }
    drop(out);
    alt.commit().map_err(io)?;
    Ok(beside)
}

/// The folder holds an earlier run's results (anything at all).
fn has_earlier_results(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// Where an interrupted run's results go when its folder holds earlier ones: `<dir>.interrupted`.
fn interrupted_dir(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".interrupted");
    dir.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const SCENARIO: &str = "horizon = \"2d\"\nreplications = 3\n\
                            [[compute]]\nname = \"c\"\ntype = \"amlcompute\"\n\
                            size = \"Standard_D2s_v3\"\nmax_instances = 2\n\
                            [[workload]]\nname = \"w\"\ncompute = \"c\"\n\
                            arrivals = { process = \"poisson\", rate_per_hour = 1.0 }\n\
                            duration = { dist = \"constant\", value = \"10m\" }\n";

    /// Everything an observer is told, in order.
    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Observer for Log {
        fn progress_start(&self, total: Option<u64>) {
            self.0.lock().unwrap().push(format!("start {total:?}"));
        }
        fn progress(&self, n: u64) {
            self.0.lock().unwrap().push(format!("+{n}"));
        }
        fn progress_end(&self) {
            self.0.lock().unwrap().push("end".into());
        }
    }

    /// Two variants (`max_instances` 2 and 3) of three replications each, into `dir/out`.
    fn request(dir: &Path) -> RunRequest<'static> {
        std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
        RunRequest {
            file: dir.join("s.toml"),
            edits: Edits {
                sweeps: vec!["compute.c.max_instances=2,3".into()],
                ..Edits::default()
            },
            out: Some(dir.join("out")),
            threads: 1,
            ..RunRequest::default()
        }
    }

    #[test]
    fn a_run_reports_every_replication_and_returns_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::default();
        let outcome = run(request(dir.path()), &log).unwrap();
        let log = log.0.into_inner().unwrap();
        assert_eq!(log.first().map(String::as_str), Some("start Some(6)"));
        assert_eq!(log.iter().filter(|l| *l == "+1").count(), 6);
        assert_eq!(log.last().map(String::as_str), Some("end"));
        assert_eq!(outcome.out_dir, dir.path().join("out"));
        assert_eq!((outcome.plan.variants.len(), outcome.results.len()), (2, 2));
        // One trade-off row per variant of the one target.
        assert_eq!(outcome.tradeoff.as_ref().map(Vec::len), Some(2));
        assert!(!outcome.interrupted && outcome.status().is_ok());
        let summary = std::fs::read_to_string(dir.path().join("out/summary.csv")).unwrap();
        assert_eq!(summary.lines().count(), 1 + 2);
        let reps = std::fs::read_to_string(dir.path().join("out/replications.csv")).unwrap();
        assert_eq!(reps.lines().count(), 1 + 6);
    }

    #[test]
    fn a_cancelled_run_reports_no_variant_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        static STOP: AtomicBool = AtomicBool::new(true);
        let outcome = run(
            RunRequest {
                cancel: Some(&STOP),
                ..request(dir.path())
            },
            &super::super::Silent,
        )
        .unwrap();
        assert!(outcome.interrupted && outcome.plan.variants.is_empty());
        let note = std::fs::read_to_string(dir.path().join("out/INCOMPLETE.txt")).unwrap();
        assert!(note.contains("0 of 2 variants finished"), "{note}");
        let e = outcome.status().unwrap_err();
        assert_eq!(e.exit_code(), 130);
        assert!(
            e.to_string()
                .starts_with("interrupted: 0 finished variants written to ")
        );
    }

    #[test]
    fn shards_merge_into_the_files_of_one_run() {
        let dir = tempfile::tempdir().unwrap();
        let whole = run(request(dir.path()), &super::super::Silent).unwrap();
        let mut shard_dirs = vec![];
        for k in 1..=2 {
            let out = dir.path().join(format!("shard{k}"));
            let outcome = run(
                RunRequest {
                    shard: Some(Shard { index: k, count: 2 }),
                    out: Some(out.clone()),
                    ..request(dir.path())
                },
                &super::super::Silent,
            )
            .unwrap();
            let s = outcome.shard.unwrap();
            assert_eq!((s.replications, s.replications_total), (3, 6));
            shard_dirs.push(out);
        }
        let merged = super::super::merge(super::super::MergeRequest {
            dirs: shard_dirs.into_iter().rev().collect(),
            out: dir.path().join("merged"),
            report: false,
        })
        .unwrap();
        assert_eq!((merged.shards, merged.events), (2, whole.events));
        for f in [
            "summary.csv",
            "replications.csv",
            "tradeoff.csv",
            "timeseries.csv",
        ] {
            assert_eq!(
                std::fs::read(whole.out_dir.join(f)).unwrap(),
                std::fs::read(dir.path().join("merged").join(f)).unwrap(),
                "{f}"
            );
        }
    }

    #[test]
    fn interrupted_results_go_beside_the_folder() {
        assert_eq!(
            interrupted_dir(Path::new("output/q")),
            Path::new("output/q.interrupted")
        );
        assert_eq!(
            interrupted_dir(Path::new("/tmp/a/b/")),
            Path::new("/tmp/a/b.interrupted")
        );
    }
}
