//! Replayed traces: the options every trace (of jobs or of requests) is read with, loading one
//! with its warnings, and a trace of jobs as a workload's arrivals.

use super::super::raw::RawArrivals;
use super::Checker;
use super::arrivals::poisson_keys;
use super::compute::Facts;
use crate::engine::time::from_secs_f64;
use crate::text::duration::format_duration;
use crate::workload::trace::{self, OnBadRow, TimeFormat, TraceSpec};
use crate::workload::{TraceJob, TraceJobs};
use std::path::Path;
use toml::Spanned;

/// What every replayed trace (jobs or requests) is read with.
pub(super) struct ReplayOptions {
    pub(super) time_format: TimeFormat,
    pub(super) time_scale: f64,
    pub(super) start: Option<f64>,
    pub(super) end: Option<f64>,
    pub(super) on_bad_row: OnBadRow,
}

/// Checks a trace's `time_format`, `time_scale`, `start`/`end` window and `on_bad_row`; `f`
/// names a field of the arrivals table.
pub(super) fn replay_options(
    c: &mut Checker,
    ra: &RawArrivals,
    at: usize,
    f: &dyn Fn(&str) -> String,
) -> Option<ReplayOptions> {
    let time_format = TimeFormat::parse(
        ra.time_format
            .as_ref()
            .map_or("%Y-%m-%d %H:%M:%S", |t| t.get_ref()),
    );
    if let Err(e) = time_format.validate() {
        let tat = ra.time_format.as_ref().map_or(at, |t| t.span().start);
        c.error(tat, &f("time_format"), e);
        return None;
    }
    let time_scale = match &ra.time_scale {
        Some(v) => c.positive(v, &f("time_scale"))?,
        None => 1.0,
    };
    let start = match &ra.start {
        Some(v) => Some(c.dur(v, &f("start"), true)?),
        None => None,
    };
    let end = match &ra.end {
        Some(v) => Some(c.dur(v, &f("end"), false)?),
        None => None,
    };
    if let (Some(s), Some(e), Some(ev)) = (start, end, &ra.end)
        && e <= s
    {
        c.error(
            ev.span().start,
            &f("end"),
            format!("must be after start ({})", format_duration(s)),
        );
        return None;
    }
    let on_bad_row = match ra
        .on_bad_row
        .as_ref()
        .map(|o| o.get_ref().to_ascii_lowercase())
    {
        None => OnBadRow::Error,
        Some(o) if o == "error" => OnBadRow::Error,
        Some(o) if o == "skip" => OnBadRow::Skip,
        Some(o) => {
            let oat = ra.on_bad_row.as_ref().map_or(at, |x| x.span().start);
            c.error_hint(
                oat,
                &f("on_bad_row"),
                format!("unknown value `{o}`"),
                "use \"error\" or \"skip\"".into(),
            );
            return None;
        }
    };
    Some(ReplayOptions {
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    })
}

/// Loads a trace for a field table named by `f` (`file_at`: where `file` is written), with
/// its row errors under the `file` field, a warning for skipped rows and for rows out of order,
/// and an error when no `what` ("job", "request") falls in the replayed window.
pub(super) fn load_trace(
    c: &mut Checker,
    spec: &TraceSpec,
    file_at: usize,
    f: &dyn Fn(&str) -> String,
    what: &str,
) -> Option<trace::Trace> {
    load_trace_with(c, spec, &[], file_at, f, what)
}

/// [`load_trace`], replaying only the rows `filters` keep.
pub(super) fn load_trace_with(
    c: &mut Checker,
    spec: &TraceSpec,
    filters: &[trace::RowFilter],
    file_at: usize,
    f: &dyn Fn(&str) -> String,
    what: &str,
) -> Option<trace::Trace> {
    let trace = match trace::load_filtered(spec, filters) {
        Ok(t) => t,
        Err(errors) => {
            c.error(
                file_at,
                &f("file"),
                format!("the trace {} has errors (below)", spec.file.display()),
            );
            c.diags.extend(errors.iter().map(|e| e.to_diagnostic()));
            return None;
        }
    };
    if !trace.skipped_rows.is_empty() {
        let (line, why) = &trace.skipped_rows[0];
        c.warn(
            file_at,
            &f("on_bad_row"),
            format!(
                "skipped {} bad row{} of {} (the first, line {line}: {why})",
                trace.skipped_rows.len(),
                if trace.skipped_rows.len() == 1 {
                    ""
                } else {
                    "s"
                },
                spec.file.display()
            ),
        );
    }
    if !trace.was_sorted {
        c.warn(
            file_at,
            &f("file"),
            format!(
                "{} is not in submission order: rows were sorted",
                spec.file.display()
            ),
        );
    }
    if trace.rows.is_empty() {
        c.error(
            file_at,
            &f("file"),
            format!(
                "no {what} of {} falls in the replayed window",
                spec.file.display()
            ),
        );
        return None;
    }
    past_horizon(c, &trace, spec, file_at, f);
    Some(trace)
}

/// Rows submitted after the horizon are never simulated (the run stops first): said once per
/// trace, with their count and the first of them in the file, so that a window longer than the
/// horizon does not lose rows without a word.
fn past_horizon(
    c: &mut Checker,
    trace: &trace::Trace,
    spec: &TraceSpec,
    file_at: usize,
    f: &dyn Fn(&str) -> String,
) {
    let Some(h) = c.horizon_s else {
        return;
    };
    // Compared as the engine does, in whole microseconds: an arrival at the horizon still runs.
    let horizon = from_secs_f64(h);
    let past: Vec<u64> = trace
        .rows
        .iter()
        .filter(|r| from_secs_f64(r.submit_s) > horizon)
        .map(|r| r.line)
        .collect();
    let Some(first) = past.iter().min() else {
        return;
    };
    let n = past.len();
    c.warn(
        file_at,
        &f("file"),
        format!(
            "{n} of the {} rows replayed from {} {} submitted after the horizon ({}) and \
             never simulated (the first in the file at line {first})",
            trace.rows.len(),
            spec.file.display(),
            if n == 1 { "is" } else { "are" },
            format_duration(h)
        ),
    );
}

/// `repeat`, refused when the replayed window has no length: a trace whose rows all fall at
/// one instant (a single row, say) would start over every 0 s, so it is replayed once instead,
/// which `repeat = true` did not ask for.
pub(super) fn repeat_flag(
    c: &mut Checker,
    ra: &RawArrivals,
    f: &dyn Fn(&str) -> String,
    period_s: f64,
) -> Option<bool> {
    match &ra.repeat {
        Some(r) if *r.get_ref() && from_secs_f64(period_s) == 0 => {
            c.error_hint(
                r.span().start,
                &f("repeat"),
                "the replayed window has no length (its rows all fall at one instant), so there \
                 is nothing to repeat",
                "give `end` to set the window the trace repeats over, or remove `repeat`".into(),
            );
            None
        }
        Some(r) => Some(*r.get_ref()),
        None => Some(false),
    }
}

/// A trace's required `file` and `submit_column`.
pub(super) fn trace_file<'r>(
    c: &mut Checker,
    ra: &'r RawArrivals,
    at: usize,
    f: &dyn Fn(&str) -> String,
) -> Option<(&'r Spanned<String>, &'r Spanned<String>)> {
    let (Some(file), Some(submit)) = (&ra.file, &ra.submit_column) else {
        let missing = if ra.file.is_none() {
            "file"
        } else {
            "submit_column"
        };
        c.error(at, &f(missing), "is required for process = \"trace\"");
        return None;
    };
    Some((file, submit))
}

/// The replayed window's length in seconds: the window itself when `end` is given, else the
/// span of the `n` submissions plus one average gap, so that a repeated trace keeps its rate.
pub(super) fn replay_period(spec: &TraceSpec, span_s: f64, n: usize) -> f64 {
    match spec.end {
        Some(e) => (e - spec.start.unwrap_or(0.0)) * spec.time_scale,
        None if n > 1 => span_s * n as f64 / (n - 1) as f64,
        None => span_s,
    }
}

/// `process = "trace"`: loads the trace once, converting GPUs to whole nodes of the target's size.
pub(super) fn trace_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawArrivals,
    at: usize,
    facts: Option<&Facts>,
    dir: &Path,
) -> Option<TraceJobs> {
    let f = |s: &str| format!("{label}.{s}");
    c.refuse(
        at,
        &f,
        &[
            poisson_keys(ra).as_slice(),
            &[
                ("rates_per_hour", ra.rates_per_hour.is_some()),
                ("mean_sojourn", ra.mean_sojourn.is_some()),
            ],
        ]
        .concat(),
        "does not apply to process = \"trace\" (the trace gives the arrivals)",
    );
    let (file, submit) = trace_file(c, ra, at, &f)?;
    if ra.nodes_column.is_some() && ra.gpus_column.is_some() {
        c.error(
            at,
            &f("gpus_column"),
            "give nodes_column or gpus_column, not both",
        );
        return None;
    }
    let ReplayOptions {
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    } = replay_options(c, ra, at, &f)?;
    if ra.gpus_column.is_some()
        && let Some(vm) = facts.and_then(|t| t.vm)
        && vm.gpus == 0
    {
        c.error(
            at,
            &f("gpus_column"),
            format!(
                "the trace counts GPUs but the target's size {} has none",
                vm.size
            ),
        );
        return None;
    }
    let spec = TraceSpec {
        file: dir.join(file.get_ref()),
        submit_column: submit.get_ref().clone(),
        duration_column: ra.duration_column.as_ref().map(|x| x.get_ref().clone()),
        nodes_column: ra.nodes_column.as_ref().map(|x| x.get_ref().clone()),
        gpus_column: ra.gpus_column.as_ref().map(|x| x.get_ref().clone()),
        extra_columns: vec![],
        extra_counts: false,
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    };
    let filters = super::trace_filters::filters(c, ra, &f)?;
    let what = if filters.is_empty() {
        "job"
    } else {
        "job (after the status and cluster filters)"
    };
    let trace = load_trace_with(c, &spec, &filters, file.span().start, &f, what)?;
    let (jobs, too_big) = trace_jobs(c, &f, &trace, &spec, file.span().start, facts)?;
    let skipped_too_big = too_big * usize::from(on_bad_row == OnBadRow::Skip);
    let period = replay_period(&spec, trace.span_s, jobs.len());
    let repeat = repeat_flag(c, ra, &f, period)?;
    Some(TraceJobs {
        period: from_secs_f64(period),
        jobs,
        repeat,
        skipped_rows: (trace.skipped_rows.len() + skipped_too_big) as u64,
    })
}

/// A trace's rows as jobs, GPUs converted to whole nodes of the target's size, and how many
/// need more nodes than the target has: skipped with a warning (`on_bad_row = "skip"`), else
/// an error (`None`).
fn trace_jobs(
    c: &mut Checker,
    f: &dyn Fn(&str) -> String,
    trace: &trace::Trace,
    spec: &TraceSpec,
    file_at: usize,
    facts: Option<&Facts>,
) -> Option<(Vec<TraceJob>, usize)> {
    let gpus_per_node = facts.and_then(|t| t.vm).map(|vm| vm.gpus);
    let max_nodes = facts.map_or(u32::MAX, |t| t.max_instances);
    let skip = spec.on_bad_row == OnBadRow::Skip;
    let mut jobs = Vec::with_capacity(trace.rows.len());
    let mut too_big = vec![];
    for row in &trace.rows {
        let nodes = match (row.nodes, row.gpus, gpus_per_node) {
            (Some(n), _, _) => Some(n),
            (None, Some(g), Some(per)) if per > 0 => Some(g.div_ceil(per)),
            _ => None,
        };
        if nodes.is_some_and(|n| n > max_nodes) {
            too_big.push(row.line);
            if skip {
                continue;
            }
        }
        jobs.push(TraceJob {
            submit: from_secs_f64(row.submit_s),
            duration: row.duration_s.map(from_secs_f64),
            nodes,
        });
    }
    if !too_big.is_empty() {
        let msg = format!(
            "{} job{} of {} need more nodes than max_instances = {max_nodes} (first at line {}): they could never start",
            too_big.len(),
            if too_big.len() == 1 { "" } else { "s" },
            spec.file.display(),
            too_big[0]
        );
        if skip {
            c.warn(file_at, &f("file"), format!("{msg}; skipped"));
        } else {
            c.error_hint(
                file_at,
                &f("file"),
                msg,
                "raise max_instances, or set on_bad_row = \"skip\"".into(),
            );
            return None;
        }
    }
    Some((jobs, too_big.len()))
}
