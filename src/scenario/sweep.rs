//! Scenario variants: the `[sweep]` table (with the command line's `--sweep` axes in it), and
//! the `[goal]` table.
//!
//! A variant is the scenario document with some values replaced, validated exactly as a
//! hand-written scenario would be, so every variant is checked before any simulation starts.
//!
//! ```toml
//! [sweep]
//! mode = "grid"                                      # the cartesian product of the axes
//! "compute.gpu-cluster.min_instances" = [0, 1, 2, 4]
//! "compute.gpu-cluster.max_instances" = { from = 4, to = 16, step = 4 }
//!
//! [goal]
//! wait_p95 = "10m"            # name the cheapest setting whose p95 wait is at most this
//! budget_per_month_usd = 5000  # or whose cost per month (730 h) is at most this
//! ```
//!
//! A path names a top-level field (`horizon`), or a field of a compute target, workload, endpoint
//! or traffic stream by its name (`compute.gpu-cluster.min_instances`,
//! `workload.training.arrivals.rate_per_hour`, `endpoint.scorer.instance_count`,
//! `traffic.requests.arrivals.rate_per_second`).

use super::raw::{RawAxis, RawSweep};
use super::sizing::{SizingSpec, SizingTable};
use super::tables::{TableRules, read};
use super::validate::validate_doc;
use super::{Edits, LoadError, LoadOptions, Scenario, Source};
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use indexmap::IndexMap;

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Most variants one run may expand to; beyond this, split the sweep or use shards.
pub const MAX_VARIANTS: usize = 100_000;

#[derive(Clone, Debug)]
pub struct Variant {
    pub index: usize,
    /// (path, value as written) for every swept field, in axis order.
    pub params: Vec<(String, String)>,
    pub scenario: Scenario,
}

pub use super::goal::Goal;

/// A loaded scenario: its variants (one without a sweep), its goal and `[sizing]` table, and the
/// text that was run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Paths of the swept axes, in order (the `parameter_<path>` columns).
    pub axes: Vec<String>,
    pub variants: Vec<Variant>,
    pub goal: Option<Goal>,
    pub warnings: Vec<Diagnostic>,
    /// The scenario as run: the file's text with the command line's edits made to it (values
    /// replaced in place, `--sweep` axes in `[sweep]`), byte for byte the file's text without
    /// edits. Loaded with no edits, it gives this plan again.
    pub effective_text: Arc<str>,
    /// The `[sizing]` table, checked against the scenario (variant 0).
    pub sizing: SizingTable,
}

impl Plan {
    /// The plan's axes, goal and warnings with no variants: the frame for a subset of them.
    pub fn clone_without_variants(&self) -> Plan {
        Plan {
            axes: self.axes.clone(),
            variants: vec![],
            goal: self.goal.clone(),
            warnings: self.warnings.clone(),
            effective_text: self.effective_text.clone(),
            sizing: self.sizing.clone(),
        }
    }

    /// The checked `[sizing]` table, `None` when the scenario has none.
    pub fn sizing(&self) -> Result<Option<&SizingSpec>, LoadError> {
        match &self.sizing {
            SizingTable::Absent => Ok(None),
            SizingTable::Valid(s) => Ok(Some(s)),
            SizingTable::Invalid(errors) => Err(invalid(errors.clone())),
        }
    }

    /// The checked `[sizing]` table, which `capsim size` needs.
    pub fn sizing_required(&self) -> Result<&SizingSpec, LoadError> {
        match self.sizing()? {
            Some(s) => Ok(s),
            None => {
                let file = self
                    .variants
                    .first()
                    .map_or(Path::new(""), |v| &v.scenario.file);
                Err(invalid(vec![super::sizing::no_table(file)]))
            }
        }
    }
}

pub(super) struct Axis {
    pub path: String,
    /// Each value as TOML text (empty for a continuous range).
    values: Vec<String>,
    /// `{ from, to }` without a step: sampled anywhere in between (random and Latin hypercube
    /// modes only); `integer` when both ends are integers.
    continuous: Option<(f64, f64, bool)>,
    /// Where the axis is declared (byte offset of its key in the scenario).
    at: usize,
}

/// How the axes become variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The cartesian product of the axes, last axis fastest.
    Grid,
    /// `samples` variants, each axis drawn independently and uniformly.
    Random,
    /// `samples` variants; each axis's range is cut into `samples` equal strata and every stratum
    /// is used exactly once, so a few samples still cover every axis evenly.
    LatinHypercube,
}

/// The random stream that draws random and Latin-hypercube variants: derived from the
/// scenario's seed, never from the replication streams, so sampling the space does not move any
/// workload's arrivals.
const SAMPLING_PURPOSE: &str = "sweep/samples";

pub(super) fn invalid(errors: Vec<Diagnostic>) -> LoadError {
    LoadError::Invalid {
        errors,
        warnings: vec![],
    }
}

/// An error at the command line (`field` names the argument).
pub(super) fn at_command_line(field: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: "command line".into(),
        line: 0,
        column: 0,
        field: field.into(),
        message,
        hint: None,
    }
}

/// `path=value` → (path, the value). A value that is not valid TOML is taken as a string, so
/// `--set horizon=7d` works without quotes.
pub(super) fn split_assignment(arg: &str) -> Option<(String, toml_edit::Value)> {
    let (path, value) = arg.split_once('=')?;
    let (path, value) = (path.trim(), value.trim());
    if path.is_empty() {
        return None;
    }
    Some((path.to_string(), toml_value(value)))
}

/// `value` as TOML, or as a TOML string when it is not TOML.
pub(super) fn toml_value(value: &str) -> toml_edit::Value {
    value
        .parse::<toml_edit::Value>()
        .unwrap_or_else(|_| toml_edit::Value::from(value))
}

/// How a value is shown in outputs: strings without quotes.
pub(super) fn label(toml: &str) -> String {
    match DeValue::parse(toml).map(|v| v.into_inner()) {
        Ok(DeValue::String(s)) => s.to_string(),
        _ => toml.to_string(),
    }
}

/// Replaces the value at `path` in `doc` (adding the key if absent): `compute.<name>.<field>`
/// (and `workload`, `endpoint`, `traffic`) finds the table of that name, any other path is a
/// path of tables from the top. Each variant's swept values are put in this way (the command
/// line's edits are made to the text, by `scenario::edit`, with the same paths).
fn set_path<'a>(
    doc: &mut DeTable<'a>,
    path: &str,
    value: Spanned<DeValue<'a>>,
) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    let (start, rest) = path_start(&segments)?;
    let table = match start {
        None => doc,
        Some((section, name)) => {
            let Some(entry) = doc.get_mut(section) else {
                return Err(format!("the scenario has no [[{section}]]"));
            };
            let DeValue::Array(items) = entry.get_mut() else {
                return Err(format!("`{section}` is not an array of tables"));
            };
            items
                .iter_mut()
                .find_map(|item| match item.get_mut() {
                    DeValue::Table(t) if has_name(t, name) => Some(t),
                    _ => None,
                })
                .ok_or_else(|| format!("no [[{section}]] named `{name}`"))?
        }
    };
    set_in(table, rest, value)
}

fn set_in<'a>(
    table: &mut DeTable<'a>,
    segments: &[&str],
    value: Spanned<DeValue<'a>>,
) -> Result<(), String> {
    let key = segments[0].to_string();
    if segments.len() == 1 {
        let span = value.span();
        table.insert(Spanned::new(span, Cow::Owned(key)), value);
        return Ok(());
    }
    if !table.contains_key(segments[0]) {
        table.insert(
            Spanned::new(0..0, Cow::Owned(key.clone())),
            Spanned::new(0..0, DeValue::Table(DeTable::new())),
        );
    }
    match table.get_mut(segments[0]).map(|v| v.get_mut()) {
        Some(DeValue::Table(t)) => set_in(t, &segments[1..], value),
        _ => Err(format!("`{key}` is not a table")),
    }
}

/// The `[sweep]` table: its axes, mode and sample count.
pub(super) struct SweepTable {
    axes: Vec<Axis>,
    mode: Mode,
    samples: Option<usize>,
    /// Where `mode` is written, for errors about it.
    mode_at: Option<usize>,
}

const MODE_WANT: &str = "must be \"grid\", \"random\" or \"latin_hypercube\"";

/// Reads the `[sweep]` table, if any, through [`RawSweep`].
pub(super) fn sweep_table(
    value: Option<&Spanned<DeValue<'_>>>,
    map: &SourceMap,
    errors: &mut Vec<Diagnostic>,
) -> SweepTable {
    let mut table = SweepTable {
        axes: vec![],
        mode: Mode::Grid,
        samples: None,
        mode_at: None,
    };
    let wants = |key: &str, _: bool| match key {
        "mode" => Some(MODE_WANT.to_string()),
        "samples" => Some("must be a whole number of variants, such as 200".to_string()),
        _ => None,
    };
    let rules = TableRules {
        name: "sweep",
        known: None,
        unknown_hint: "",
        wants: &wants,
    };
    let Some(raw) = value.and_then(|v| read::<RawSweep>(v, &rules, map, errors)) else {
        return table;
    };
    if let Some(m) = &raw.mode {
        table.mode_at = Some(m.span().start);
        match m.get_ref().as_str() {
            "grid" => table.mode = Mode::Grid,
            "random" => table.mode = Mode::Random,
            "latin_hypercube" => table.mode = Mode::LatinHypercube,
            _ => errors.push(map.diag(Severity::Error, m.span().start, "sweep.mode", MODE_WANT)),
        }
    }
    if let Some(s) = &raw.samples {
        match usize::try_from(*s.get_ref()) {
            Ok(n) if (1..=MAX_VARIANTS).contains(&n) => table.samples = Some(n),
            _ => errors.push(map.diag(
                Severity::Error,
                s.span().start,
                "sweep.samples",
                format!("must be a whole number from 1 to {MAX_VARIANTS}"),
            )),
        }
    }
    for (key, axis) in &raw.axes {
        let name: &str = key.get_ref();
        let field = format!("sweep.\"{name}\"");
        let value_at = axis.span().start;
        let mut continuous = None;
        let values: Vec<String> = match axis.get_ref() {
            RawAxis::Values(items) => items
                .iter()
                .map(|v| map.text[v.span()].to_string())
                .collect(),
            RawAxis::Range(t) if !t.contains_key("step") => match bounds(t) {
                Ok(b) => {
                    continuous = Some(b);
                    vec![]
                }
                Err(e) => {
                    errors.push(map.diag(Severity::Error, value_at, &field, e));
                    continue;
                }
            },
            RawAxis::Range(t) => match range(t) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(map.diag(Severity::Error, value_at, &field, e));
                    continue;
                }
            },
            RawAxis::Other => {
                errors.push(map.diag(
                    Severity::Error,
                    value_at,
                    &field,
                    "must be a list of values or a range { from, to, step }",
                ));
                continue;
            }
        };
        if values.is_empty() && continuous.is_none() {
            errors.push(map.diag(Severity::Error, value_at, &field, "has no values"));
            continue;
        }
        table.axes.push(Axis {
            path: name.to_string(),
            values,
            continuous,
            at: key.span().start,
        });
    }
    table
}

/// A range end: its value, and whether it is an integer.
fn number(v: Option<&toml::Value>) -> Option<(f64, bool)> {
    match v {
        Some(toml::Value::Integer(i)) => Some((*i as f64, true)),
        Some(toml::Value::Float(f)) => Some((*f, false)),
        _ => None,
    }
}

/// `{ from, to }` (no step) → (from, to, both integers).
fn bounds(t: &IndexMap<String, toml::Value>) -> Result<(f64, f64, bool), String> {
    let mut ends = [(0.0, false); 2];
    for (slot, k) in ends.iter_mut().zip(["from", "to"]) {
        *slot = number(t.get(k)).ok_or_else(|| {
            format!(
                "a range needs a number `{k}`: {{ from, to, step }}, or {{ from, to }} in random and latin_hypercube modes"
            )
        })?;
    }
    for k in t.keys() {
        if !["from", "to"].contains(&k.as_str()) {
            return Err(format!(
                "unknown range key `{k}`: a range is {{ from, to, step }} or {{ from, to }}"
            ));
        }
    }
    let [(from, fi), (to, ti)] = ends;
    if !from.is_finite() || !to.is_finite() || to < from {
        return Err("a range needs finite from <= to".into());
    }
    Ok((from, to, fi && ti))
}

/// The TOML text of each axis's value, per variant, in variant order.
fn expand(axes: &[Axis], mode: Mode, count: usize, seed: u64) -> Vec<Vec<String>> {
    use rand::RngExt;
    // Position `u` in [0, 1) on an axis → its value.
    let pick = |axis: &Axis, u: f64| -> String {
        match axis.continuous {
            Some((from, to, integer)) => {
                if integer {
                    // Every integer in [from, to] gets an equal share of [0, 1).
                    let n = (to - from + 1.0).floor();
                    format!("{}", (from + (u * n).floor().min(n - 1.0)) as i64)
                } else {
                    let x = from + u * (to - from);
                    // Six significant digits: enough to tell samples apart, short in CSV.
                    let x: f64 = format!("{x:.6e}").parse().unwrap_or(x);
                    let s = format!("{x}");
                    if s.contains(['.', 'e', 'E']) || !x.is_finite() {
                        s
                    } else {
                        format!("{s}.0")
                    }
                }
            }
            None => {
                let m = axis.values.len();
                axis.values[((u * m as f64) as usize).min(m - 1)].clone()
            }
        }
    };
    match mode {
        Mode::Grid => (0..count)
            .map(|index| {
                let mut rest = index;
                let mut row = vec![String::new(); axes.len()];
                for (i, axis) in axes.iter().enumerate().rev() {
                    let m = axis.values.len();
                    row[i] = axis.values[rest % m].clone();
                    rest /= m;
                }
                row
            })
            .collect(),
        Mode::Random => {
            let mut rng = crate::engine::stream(seed, 0, SAMPLING_PURPOSE);
            (0..count)
                .map(|_| axes.iter().map(|a| pick(a, rng.random::<f64>())).collect())
                .collect()
        }
        Mode::LatinHypercube => {
            let mut rng = crate::engine::stream(seed, 0, SAMPLING_PURPOSE);
            let mut rows = vec![Vec::with_capacity(axes.len()); count];
            for axis in axes {
                // A random permutation of the strata (Fisher–Yates), one jittered point in each.
                let mut strata: Vec<usize> = (0..count).collect();
                for i in (1..count).rev() {
                    let j = rng.random_range(0..=i);
                    strata.swap(i, j);
                }
                for (row, &k) in rows.iter_mut().zip(&strata) {
                    let u = (k as f64 + rng.random::<f64>()) / count as f64;
                    row.push(pick(axis, u));
                }
            }
            rows
        }
    }
}

/// `{ from, to, step }` → the values, integers when all three are.
fn range(t: &IndexMap<String, toml::Value>) -> Result<Vec<String>, String> {
    let num = |k: &str| -> Result<(f64, bool), String> {
        number(t.get(k))
            .ok_or_else(|| format!("a range needs a number `{k}`: {{ from, to, step }}"))
    };
    for k in t.keys() {
        if !["from", "to", "step"].contains(&k.as_str()) {
            return Err(format!(
                "unknown range key `{k}`: a range is {{ from, to, step }}"
            ));
        }
    }
    let ((from, fi), (to, ti), (step, si)) = (num("from")?, num("to")?, num("step")?);
    if step.is_nan() || step <= 0.0 || !from.is_finite() || !to.is_finite() || to < from {
        return Err("a range needs from <= to and a step greater than zero".into());
    }
    // Count in floating point first: a huge range would overflow an integer count.
    let count = ((to - from) / step + 1e-9).floor() + 1.0;
    if count > MAX_VARIANTS as f64 {
        return Err(format!(
            "the range has {count:e} values, more than {MAX_VARIANTS}"
        ));
    }
    let n = count as usize;
    Ok((0..n)
        .map(|i| {
            let x = from + step * i as f64;
            if fi && ti && si {
                format!("{}", x as i64)
            } else {
                format!("{x}")
            }
        })
        .collect())
}

/// `budget_per_30d_usd`, the name of a budget before every monthly figure became a month of
/// 730 hours (Azure's pricing calculator's month): refused, with the figure that keeps the budget
/// as it was meant (a 30-day budget × 730 / 720), so that no old file silently changes meaning.
pub(super) fn renamed_budget(map: &SourceMap, old: &Spanned<f64>, table: &str) -> Diagnostic {
    let usd = *old.get_ref();
    let mut d = map.diag(
        Severity::Error,
        old.span().start,
        format!("{table}.budget_per_30d_usd"),
        "is now budget_per_month_usd, for a month of 730 hours as Azure's pricing calculator counts",
    );
    d.hint = Some(format!(
        "write budget_per_month_usd = {} (the same budget: {} per 30 days × 730 / 720)",
        crate::text::num((usd * 730.0 / 720.0 * 100.0).round() / 100.0),
        crate::text::num(usd)
    ));
    d
}

/// A plan's variants before the `[sizing]` check.
pub(super) struct Expanded {
    pub axes: Vec<String>,
    pub variants: Vec<Variant>,
    pub warnings: Vec<Diagnostic>,
}

/// The variants of `base` (the document without its `[sweep]`, `[goal]` and `[sizing]`, its
/// positions in `map`): one per setting of the axes of `sweep`. `errors` are the problems
/// found so far; with any, no variant is built.
pub(super) fn expand_variants(
    base: Spanned<DeTable<'_>>,
    map: &SourceMap,
    options: &LoadOptions,
    sweep: SweepTable,
    mut errors: Vec<Diagnostic>,
) -> Result<Expanded, LoadError> {
    let (path, text) = (map.file, map.text);
    let SweepTable {
        axes,
        mode,
        samples,
        mode_at,
    } = sweep;
    let mode_diag = |msg: &str| match mode_at {
        Some(at) => map.diag(Severity::Error, at, "sweep.mode", msg),
        None => at_command_line("sweep", msg.to_string()),
    };
    match (mode, samples) {
        (Mode::Grid, Some(_)) => errors.push(mode_diag(
            "`samples` is for mode \"random\" or \"latin_hypercube\"; a grid runs every combination",
        )),
        (Mode::Random | Mode::LatinHypercube, None) if !axes.is_empty() => errors.push(mode_diag(
            "random and latin_hypercube sweeps need `samples = N` in [sweep]",
        )),
        _ => {}
    }
    if mode == Mode::Grid {
        for a in axes.iter().filter(|a| a.continuous.is_some()) {
            errors.push(map.diag(
                Severity::Error,
                a.at,
                format!("sweep.\"{}\"", a.path),
                "a range in a grid sweep needs a step: { from, to, step }",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let count = match mode {
        Mode::Grid => axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len())),
        Mode::Random | Mode::LatinHypercube => samples,
    };
    match count {
        Some(n) if n <= MAX_VARIANTS => {}
        _ => {
            return Err(invalid(vec![at_command_line(
                "sweep",
                format!(
                    "the sweep expands to more than {MAX_VARIANTS} variants: split it, or run it in shards"
                ),
            )]));
        }
    }
    let count = count.unwrap_or(1);

    // The base must be valid on its own terms before variants are built, so that its errors keep
    // their exact locations.
    if axes.is_empty() {
        let loaded = validate_doc(path, text, base, options)?;
        return Ok(Expanded {
            axes: vec![],
            variants: vec![Variant {
                index: 0,
                params: vec![],
                scenario: loaded.scenario,
            }],
            warnings: loaded.warnings,
        });
    }
    // Drawn from the seed in force (the command line's `--seed` included).
    let sampling_seed = match base.get_ref().get("seed").map(|v| v.get_ref()) {
        Some(DeValue::Integer(i)) => i.as_str().replace('_', "").parse::<u64>().ok(),
        _ => None,
    }
    .unwrap_or(super::DEFAULT_SEED);
    let base_errors = swept_base_errors(path, text, &base, &axes, options);
    if !base_errors.is_empty() {
        return Err(invalid(base_errors));
    }
    let rows = expand(&axes, mode, count, sampling_seed);
    let mut warnings = vec![];
    let mut variants = Vec::with_capacity(count);
    let mut variant_errors = vec![];
    let mut checked = 0;
    for (index, row) in rows.iter().enumerate() {
        let mut doc = base.clone();
        let mut params = vec![];
        let mut bad = None;
        for (axis, text_value) in axes.iter().zip(row) {
            let text_value = text_value.as_str();
            let value = match DeValue::parse(text_value) {
                Ok(v) => v,
                Err(_) => DeValue::parse("\"\"").expect("valid"),
            };
            // Placed at the axis: a problem with the value (or its key) is reported there, in
            // the [sweep] table or at its `--sweep` argument, not at an offset of its own text.
            let value = Spanned::new(axis.at..axis.at, value.into_inner());
            params.push((axis.path.clone(), label(text_value)));
            if let Err(e) = set_path(doc.get_mut(), &axis.path, value) {
                bad = Some((axis, e));
            }
        }
        let described = params
            .iter()
            .map(|(p, v)| format!("{p} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some((axis, e)) = bad {
            let field = format!("sweep.\"{}\"", axis.path);
            return Err(invalid(vec![map.diag(Severity::Error, axis.at, field, e)]));
        }
        match validate_doc(path, text, doc, options) {
            Ok(mut loaded) => {
                if index == 0 {
                    warnings = loaded.warnings;
                }
                // One copy of the text for every variant.
                if let Some(Variant { scenario, .. }) = variants.first() {
                    loaded.scenario.source = scenario.source.clone();
                }
                variants.push(Variant {
                    index,
                    params,
                    scenario: loaded.scenario,
                });
            }
            Err(LoadError::Invalid { errors, .. }) => {
                for mut e in errors {
                    // A swept value's own position is in the [sweep] table (where a `--sweep`
                    // axis is too); point there rather than at a position in the value's text.
                    if let Some(axis) = axes.iter().find(|a| e.field == a.path) {
                        (e.line, e.column) = map.line_col(axis.at);
                    }
                    variant_errors.push((index, described.clone(), e));
                }
                if variant_errors.len() >= 50 {
                    break;
                }
            }
            Err(e) => return Err(e),
        }
        checked = index + 1;
    }
    if !variant_errors.is_empty() {
        return Err(invalid(once_when_everywhere(variant_errors, checked)));
    }
    Ok(Expanded {
        axes: axes.into_iter().map(|a| a.path).collect(),
        variants,
        warnings,
    })
}

/// The errors of the values the sweep replaces, as written in the base scenario. No variant
/// runs them, but a typo there (`instance_count = "abc"`) is still a mistake in the file and
/// would become a live one the day the axis is removed: each is reported at its own line. Only
/// errors the validator places at a swept field count; the base's other problems are the
/// variants' to report, with the swept values in place.
fn swept_base_errors(
    path: &Path,
    text: &str,
    base: &Spanned<DeTable<'_>>,
    axes: &[Axis],
    options: &LoadOptions,
) -> Vec<Diagnostic> {
    let map = SourceMap::new(path, text);
    // Each swept field the base writes, with where its value starts and ends (line, column).
    type Written<'a> = (&'a Axis, (usize, usize), (usize, usize));
    let written: Vec<Written<'_>> = axes
        .iter()
        .filter_map(|a| {
            let span = value_span(base.get_ref(), &a.path)?;
            Some((a, map.line_col(span.start), map.line_col(span.end)))
        })
        .collect();
    if written.is_empty() {
        return vec![];
    }
    let Err(LoadError::Invalid { errors, .. }) = validate_doc(path, text, base.clone(), options)
    else {
        return vec![];
    };
    errors
        .into_iter()
        .filter(|e| {
            written.iter().any(|(a, from, to)| {
                e.field == a.path || (*from..=*to).contains(&(e.line, e.column))
            })
        })
        .map(|mut e| {
            e.hint.get_or_insert_with(|| {
                "[sweep] replaces this value in every variant, but it must be valid as written"
                    .into()
            });
            e
        })
        .collect()
}

/// Where a path starts: `compute.<name>.<field...>` (and `workload`, `endpoint`, `traffic`)
/// in the array table of that name, returned with the rest of the path; any other path at the
/// top of the document (`None`).
fn path_start<'p>(segments: &'p [&'p str]) -> Result<PathStart<'p>, String> {
    match segments {
        [
            section @ ("compute" | "workload" | "endpoint" | "traffic"),
            name,
            rest @ ..,
        ] if !rest.is_empty() => Ok((Some((*section, *name)), rest)),
        [
            section @ ("compute" | "workload" | "endpoint" | "traffic"),
            ..,
        ] => Err(format!(
            "a {section} path needs a name and a field: {section}.<name>.<field>"
        )),
        _ => Ok((None, segments)),
    }
}

/// The array table and name a path starts in (`None`: the top), and the rest of the path.
type PathStart<'p> = (Option<(&'p str, &'p str)>, &'p [&'p str]);

/// An array table's entry is found by its `name`.
fn has_name(t: &DeTable<'_>, name: &str) -> bool {
    t.get("name").and_then(|n| n.get_ref().as_str()) == Some(name)
}

/// Where the scenario writes the value at `path` (as [`set_path`] finds it), if it does.
fn value_span(doc: &DeTable<'_>, path: &str) -> Option<std::ops::Range<usize>> {
    let segments: Vec<&str> = path.split('.').collect();
    // A path set_path refuses is looked up from the top, as written (it finds nothing there).
    let (start, rest) = path_start(&segments).unwrap_or((None, &segments));
    let mut table = match start {
        None => doc,
        Some((section, name)) => {
            let Some(DeValue::Array(items)) = doc.get(section).map(|v| v.get_ref()) else {
                return None;
            };
            items.iter().find_map(|item| match item.get_ref() {
                DeValue::Table(t) if has_name(t, name) => Some(t),
                _ => None,
            })?
        }
    };
    let (last, inner) = rest.split_last()?;
    for key in inner {
        match table.get(*key).map(|v| v.get_ref()) {
            Some(DeValue::Table(t)) => table = t,
            _ => return None,
        }
    }
    table.get(*last).map(|v| v.span())
}

/// The errors of the variants: one that every variant checked has (a mistake outside the swept
/// fields, e.g. in a `--set`) is said once, as it is; the others name their variant.
fn once_when_everywhere(
    errors: Vec<(usize, String, crate::scenario::Diagnostic)>,
    checked: usize,
) -> Vec<crate::scenario::Diagnostic> {
    let same = |a: &crate::scenario::Diagnostic, b: &crate::scenario::Diagnostic| {
        (&a.file, a.line, a.column, &a.field, &a.message, &a.hint)
            == (&b.file, b.line, b.column, &b.field, &b.message, &b.hint)
    };
    let mut out: Vec<crate::scenario::Diagnostic> = vec![];
    for (k, (index, described, e)) in errors.iter().enumerate() {
        let in_variants = errors.iter().filter(|(_, _, o)| same(o, e)).count();
        if in_variants >= checked.max(2) {
            if !errors[..k].iter().any(|(_, _, o)| same(o, e)) {
                out.push(e.clone());
            }
        } else {
            let mut e = e.clone();
            e.message = format!("{} (in variant {index}: {described})", e.message);
            out.push(e);
        }
    }
    out
}

/// Loads a scenario with its variants: `sets` are `path=value` overrides applied to every
/// variant, `sweeps` are extra axes `path=v1,v2,...` appended to the file's `[sweep]` axes.
/// The signature before [`super::load`] took [`Edits`]; kept for callers not yet moved.
pub fn load_plan(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    sets: &[String],
    sweeps: &[String],
) -> Result<Plan, LoadError> {
    let edits = Edits {
        sets: sets.to_vec(),
        sweeps: sweeps.to_vec(),
        prices: options.prices_file.clone(),
        today: options.today,
        ..Edits::default()
    };
    super::load(&Source::new(path, text), &edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "s"
horizon = "1d"
replications = 2
seed = 7

[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D4ds_v4"
max_instances = 20

[[workload]]
name = "w"
compute = "c"
arrivals = { process = "poisson", rate_per_hour = 1.0 }
duration = { dist = "constant", value = "10m" }
"#;

    fn plan(sweep: &str) -> Result<Plan, LoadError> {
        let text = format!("{BASE}\n[sweep]\n{sweep}\n");
        load_plan(
            Path::new("s.toml"),
            &text,
            &LoadOptions::default(),
            &[],
            &[],
        )
    }

    fn values(p: &Plan, axis: usize) -> Vec<String> {
        p.variants
            .iter()
            .map(|v| v.params[axis].1.clone())
            .collect()
    }

    #[test]
    fn latin_hypercube_uses_every_stratum_once() {
        // 8 samples over the 8 integers 1..=8: each stratum holds exactly one integer, so the
        // samples must be a permutation of 1..=8 on both axes.
        let p = plan(
            "mode = \"latin_hypercube\"\nsamples = 8\n\
             \"compute.c.max_instances\" = { from = 1, to = 8 }\n\
             \"compute.c.min_instances\" = [0, 0, 0, 0, 1, 1, 1, 1]",
        )
        .unwrap();
        assert_eq!(p.variants.len(), 8);
        let mut max: Vec<i64> = values(&p, 0).iter().map(|v| v.parse().unwrap()).collect();
        max.sort();
        assert_eq!(max, (1..=8).collect::<Vec<_>>());
        let min = values(&p, 1);
        assert_eq!(min.iter().filter(|v| *v == "0").count(), 4);
    }

    #[test]
    fn random_mode_is_reproducible_and_in_range() {
        let sweep = "mode = \"random\"\nsamples = 50\n\
                     \"workload.w.arrivals.rate_per_hour\" = { from = 0.5, to = 2.0 }";
        let a = values(&plan(sweep).unwrap(), 0);
        let b = values(&plan(sweep).unwrap(), 0);
        assert_eq!(a, b);
        assert!(a.iter().all(|v| {
            let x: f64 = v.parse().unwrap();
            (0.5..=2.0).contains(&x)
        }));
        // 50 continuous draws are distinct.
        let mut d = a.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 50);
    }

    #[test]
    fn sampling_modes_need_samples_and_grids_need_steps() {
        let e = plan("mode = \"random\"\n\"compute.c.max_instances\" = [1, 2]").unwrap_err();
        assert!(e.to_string().contains("need `samples = N`"), "{e}");
        let e = plan("samples = 3\n\"compute.c.max_instances\" = [1, 2]").unwrap_err();
        assert!(e.to_string().contains("`samples` is for mode"), "{e}");
        let e = plan("\"compute.c.max_instances\" = { from = 1, to = 4 }").unwrap_err();
        assert!(e.to_string().contains("needs a step"), "{e}");
        let e = plan("mode = \"sobol\"\n\"compute.c.max_instances\" = [1]").unwrap_err();
        assert!(e.to_string().contains("latin_hypercube"), "{e}");
    }

    #[test]
    fn grid_is_the_cartesian_product_last_axis_fastest() {
        let p =
            plan("\"compute.c.min_instances\" = [0, 1]\n\"compute.c.max_instances\" = [4, 8, 12]")
                .unwrap();
        let pairs: Vec<(String, String)> = p
            .variants
            .iter()
            .map(|v| (v.params[0].1.clone(), v.params[1].1.clone()))
            .collect();
        let want: Vec<(String, String)> = [("0", "4"), ("0", "8"), ("0", "12"), ("1", "4")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(&pairs[..4], &want[..]);
        assert_eq!(pairs.len(), 6);
    }
}
