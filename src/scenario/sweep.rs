//! Scenario variants: the `[sweep]` table, `--set` and `--sweep`, and the `[goal]` table.
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
//! budget_per_30d_usd = 5000   # or whose cost per 30 days is at most this
//! ```
//!
//! A path names a top-level field (`horizon`), or a field of a compute target, workload, endpoint
//! or traffic stream by its name (`compute.gpu-cluster.min_instances`,
//! `workload.training.arrivals.rate_per_hour`, `endpoint.scorer.instance_count`,
//! `traffic.requests.arrivals.rate_per_second`).

use super::validate::{parse_doc, validate_doc};
use super::{LoadError, LoadOptions, Scenario};
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::text::duration::parse_duration;
use std::borrow::Cow;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Most variants one run may expand to; beyond this, split the sweep or use shards.
pub const MAX_VARIANTS: usize = 100_000;

#[derive(Clone, Debug)]
pub struct Variant {
    pub index: usize,
    /// (path, value as written) for every swept or `--set` field, in axis order.
    pub params: Vec<(String, String)>,
    pub scenario: Scenario,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Goal {
    pub wait_p95_s: Option<f64>,
    pub budget_per_30d_usd: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Plan {
    /// Paths of the swept axes, in order (the `parameter_<path>` columns).
    pub axes: Vec<String>,
    pub variants: Vec<Variant>,
    pub goal: Option<Goal>,
    pub warnings: Vec<Diagnostic>,
}

impl Plan {
    /// The plan's axes, goal and warnings with no variants: the frame for a subset of them.
    pub fn clone_without_variants(&self) -> Plan {
        Plan {
            axes: self.axes.clone(),
            variants: vec![],
            goal: self.goal.clone(),
            warnings: self.warnings.clone(),
        }
    }
}

struct Axis {
    path: String,
    /// Each value as TOML text (empty for a continuous range).
    values: Vec<String>,
    /// `{ from, to }` without a step: sampled anywhere in between (random and Latin hypercube
    /// modes only); `integer` when both ends are integers.
    continuous: Option<(f64, f64, bool)>,
    /// Where the axis is declared (byte offset in the scenario), if in the file.
    at: Option<usize>,
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

fn invalid(errors: Vec<Diagnostic>) -> LoadError {
    LoadError::Invalid {
        errors,
        warnings: vec![],
    }
}

/// `path=value` → (path, TOML text of the value). A value that is not valid TOML is taken as a
/// string, so `--set horizon=7d` works without quotes.
pub(crate) fn split_assignment(arg: &str) -> Option<(String, String)> {
    let (path, value) = arg.split_once('=')?;
    let (path, value) = (path.trim(), value.trim());
    if path.is_empty() {
        return None;
    }
    Some((path.to_string(), toml_text(value)))
}

fn toml_text(value: &str) -> String {
    if DeValue::parse(value).is_ok() {
        value.to_string()
    } else {
        format!("{value:?}")
    }
}

/// How a value is shown in outputs: strings without quotes.
fn label(toml: &str) -> String {
    match DeValue::parse(toml).map(|v| v.into_inner()) {
        Ok(DeValue::String(s)) => s.to_string(),
        _ => toml.to_string(),
    }
}

/// Replaces the value at `path` in `doc` (adding the key if absent): `compute.<name>.<field>`
/// (and `workload`, `endpoint`, `traffic`) finds the table of that name, any other path is a
/// path of tables from the top.
pub(crate) fn set_path<'a>(
    doc: &mut DeTable<'a>,
    path: &str,
    value: Spanned<DeValue<'a>>,
) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    let (table, rest): (&mut DeTable<'a>, &[&str]) = match segments.as_slice() {
        [
            section @ ("compute" | "workload" | "endpoint" | "traffic"),
            name,
            rest @ ..,
        ] if !rest.is_empty() => {
            let Some(entry) = doc.get_mut(*section) else {
                return Err(format!("the scenario has no [[{section}]]"));
            };
            let DeValue::Array(items) = entry.get_mut() else {
                return Err(format!("`{section}` is not an array of tables"));
            };
            let found = items.iter_mut().find_map(|item| match item.get_mut() {
                DeValue::Table(t)
                    if t.get("name").and_then(|n| n.get_ref().as_str()) == Some(name) =>
                {
                    Some(t)
                }
                _ => None,
            });
            match found {
                Some(t) => (t, rest),
                None => return Err(format!("no [[{section}]] named `{name}`")),
            }
        }
        [
            section @ ("compute" | "workload" | "endpoint" | "traffic"),
            ..,
        ] => {
            return Err(format!(
                "a {section} path needs a name and a field: {section}.<name>.<field>"
            ));
        }
        _ => (doc, segments.as_slice()),
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
struct SweepTable {
    axes: Vec<Axis>,
    mode: Mode,
    samples: Option<usize>,
    /// Where `mode` is written, for errors about it.
    mode_at: Option<usize>,
}

/// Reads the `[sweep]` table.
fn sweep_table(table: &DeTable<'_>, map: &SourceMap, errors: &mut Vec<Diagnostic>) -> SweepTable {
    let mut axes = vec![];
    let mut mode = Mode::Grid;
    let mut mode_at = None;
    let mut samples = None;
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let at = key.span().start;
        if name == "mode" {
            mode_at = Some(value.span().start);
            match value.get_ref().as_str() {
                Some("grid") => mode = Mode::Grid,
                Some("random") => mode = Mode::Random,
                Some("latin_hypercube") => mode = Mode::LatinHypercube,
                _ => errors.push(map.diag(
                    Severity::Error,
                    value.span().start,
                    "sweep.mode",
                    "must be \"grid\", \"random\" or \"latin_hypercube\"",
                )),
            }
            continue;
        }
        if name == "samples" {
            match value.get_ref() {
                DeValue::Integer(i) => match i.as_str().replace('_', "").parse::<usize>() {
                    Ok(n) if (1..=MAX_VARIANTS).contains(&n) => samples = Some(n),
                    _ => errors.push(map.diag(
                        Severity::Error,
                        value.span().start,
                        "sweep.samples",
                        format!("must be a whole number from 1 to {MAX_VARIANTS}"),
                    )),
                },
                _ => errors.push(map.diag(
                    Severity::Error,
                    value.span().start,
                    "sweep.samples",
                    "must be a whole number of variants, such as 200",
                )),
            }
            continue;
        }
        let field = format!("sweep.\"{name}\"");
        let mut continuous = None;
        let values: Vec<String> = match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .map(|v| map.text[v.span()].to_string())
                .collect(),
            DeValue::Table(t) if !t.contains_key("step") => match bounds(t) {
                Ok(b) => {
                    continuous = Some(b);
                    vec![]
                }
                Err(e) => {
                    errors.push(map.diag(Severity::Error, value.span().start, &field, e));
                    continue;
                }
            },
            DeValue::Table(t) => match range(t) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(map.diag(Severity::Error, value.span().start, &field, e));
                    continue;
                }
            },
            _ => {
                errors.push(map.diag(
                    Severity::Error,
                    value.span().start,
                    &field,
                    "must be a list of values or a range { from, to, step }",
                ));
                continue;
            }
        };
        if values.is_empty() && continuous.is_none() {
            errors.push(map.diag(Severity::Error, value.span().start, &field, "has no values"));
            continue;
        }
        axes.push(Axis {
            path: name.to_string(),
            values,
            continuous,
            at: Some(at),
        });
    }
    SweepTable {
        axes,
        mode,
        samples,
        mode_at,
    }
}

/// `{ from, to }` (no step) → (from, to, both integers).
fn bounds(t: &DeTable<'_>) -> Result<(f64, f64, bool), String> {
    let mut ends = [(0.0, false); 2];
    for (slot, k) in ends.iter_mut().zip(["from", "to"]) {
        *slot = match t.get(k).map(|v| v.get_ref()) {
            Some(DeValue::Integer(i)) => (
                i.as_str()
                    .replace('_', "")
                    .parse::<f64>()
                    .map_err(|e| e.to_string())?,
                true,
            ),
            Some(DeValue::Float(f)) => (
                f.as_str()
                    .replace('_', "")
                    .parse::<f64>()
                    .map_err(|e| e.to_string())?,
                false,
            ),
            _ => {
                return Err(format!(
                    "a range needs a number `{k}`: {{ from, to, step }}, or {{ from, to }} in random and latin_hypercube modes"
                ));
            }
        };
    }
    for k in t.keys() {
        let k: &str = k.get_ref();
        if !["from", "to"].contains(&k) {
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
fn range(t: &DeTable<'_>) -> Result<Vec<String>, String> {
    let num = |k: &str| -> Result<(f64, bool), String> {
        match t.get(k).map(|v| v.get_ref()) {
            Some(DeValue::Integer(i)) => i
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .map(|x| (x, true))
                .map_err(|e| e.to_string()),
            Some(DeValue::Float(f)) => f
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .map(|x| (x, false))
                .map_err(|e| e.to_string()),
            _ => Err(format!(
                "a range needs a number `{k}`: {{ from, to, step }}"
            )),
        }
    };
    for k in t.keys() {
        let k: &str = k.get_ref();
        if !["from", "to", "step"].contains(&k) {
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

fn goal(table: &DeTable<'_>, map: &SourceMap, errors: &mut Vec<Diagnostic>) -> Goal {
    let mut g = Goal::default();
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let at = value.span().start;
        let field = format!("goal.{name}");
        match name {
            "wait_p95" => {
                let secs = match value.get_ref() {
                    DeValue::String(s) => parse_duration(s).ok(),
                    DeValue::Integer(i) => i.as_str().parse().ok(),
                    DeValue::Float(f) => f.as_str().parse().ok(),
                    _ => None,
                };
                match secs {
                    Some(s) if s.is_finite() && s >= 0.0 => g.wait_p95_s = Some(s),
                    _ => errors.push(map.diag(
                        Severity::Error,
                        at,
                        &field,
                        "must be a duration such as \"10m\"",
                    )),
                }
            }
            "budget_per_30d_usd" => {
                let usd = match value.get_ref() {
                    DeValue::Integer(i) => i.as_str().replace('_', "").parse().ok(),
                    DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
                    _ => None,
                };
                match usd {
                    Some(x) if f64::is_finite(x) && x > 0.0 => g.budget_per_30d_usd = Some(x),
                    _ => errors.push(map.diag(
                        Severity::Error,
                        at,
                        &field,
                        "must be a number of US dollars greater than zero",
                    )),
                }
            }
            other => {
                let mut d = map.diag(
                    Severity::Error,
                    key.span().start,
                    &field,
                    format!("unknown field `{other}`"),
                );
                d.hint = Some("[goal] accepts wait_p95 and budget_per_30d_usd".into());
                errors.push(d);
            }
        }
    }
    g
}

/// Loads a scenario with its variants: `sets` are `path=value` overrides applied to every
/// variant, `sweeps` are extra axes `path=v1,v2,...` appended to the file's `[sweep]` axes.
pub fn load_plan(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    sets: &[String],
    sweeps: &[String],
) -> Result<Plan, LoadError> {
    let map = SourceMap::new(path, text);
    let mut doc = parse_doc(path, text)?;
    let mut errors = vec![];
    let sweep_doc = doc.get_mut().remove("sweep");
    let goal_table = doc.get_mut().remove("goal");
    // `[sizing]` is read and checked by `capsim size` (crate::sizing::config); other commands
    // simulate the scenario as written and leave it alone.
    doc.get_mut().remove("sizing");
    let empty = SweepTable {
        axes: vec![],
        mode: Mode::Grid,
        samples: None,
        mode_at: None,
    };
    let SweepTable {
        mut axes,
        mode,
        samples,
        mode_at,
    } = match &sweep_doc {
        Some(v) => match v.get_ref() {
            DeValue::Table(t) => sweep_table(t, &map, &mut errors),
            _ => {
                errors.push(map.diag(
                    Severity::Error,
                    v.span().start,
                    "sweep",
                    "must be a table: [sweep]",
                ));
                empty
            }
        },
        None => empty,
    };
    let goal = match &goal_table {
        Some(v) => match v.get_ref() {
            DeValue::Table(t) => Some(goal(t, &map, &mut errors)),
            _ => {
                errors.push(map.diag(
                    Severity::Error,
                    v.span().start,
                    "goal",
                    "must be a table: [goal]",
                ));
                None
            }
        },
        None => None,
    };
    let cli = |flag: &str, msg: String| Diagnostic {
        severity: Severity::Error,
        file: "command line".into(),
        line: 0,
        column: 0,
        field: flag.into(),
        message: msg,
        hint: None,
    };
    let mut set_pairs = vec![];
    for s in sets {
        match split_assignment(s) {
            Some(p) => set_pairs.push(p),
            None => errors.push(cli("--set", format!("`{s}` is not path=value"))),
        }
    }
    for s in sweeps {
        match s.split_once('=') {
            Some((p, vs)) if !p.trim().is_empty() && !vs.trim().is_empty() => axes.push(Axis {
                path: p.trim().to_string(),
                values: vs.split(',').map(|v| toml_text(v.trim())).collect(),
                continuous: None,
                at: None,
            }),
            _ => errors.push(cli("--sweep", format!("`{s}` is not path=v1,v2,..."))),
        }
    }
    let mode_diag = |msg: &str| match mode_at {
        Some(at) => map.diag(Severity::Error, at, "sweep.mode", msg),
        None => cli("sweep", msg.to_string()),
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
            let msg = "a range in a grid sweep needs a step: { from, to, step }";
            errors.push(match a.at {
                Some(at) => map.diag(Severity::Error, at, format!("sweep.\"{}\"", a.path), msg),
                None => cli("--sweep", msg.to_string()),
            });
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
            return Err(invalid(vec![cli(
                "sweep",
                format!(
                    "the sweep expands to more than {MAX_VARIANTS} variants: split it, or run it in shards"
                ),
            )]));
        }
    }
    let count = count.unwrap_or(1);

    // Every `--set` value and every axis value, parsed once; they borrow from `values_text`.
    let set_values: Vec<(String, &str)> = set_pairs
        .iter()
        .map(|(p, v)| (p.clone(), v.as_str()))
        .collect();
    let mut base = doc.clone();
    for (p, v) in &set_values {
        let value = DeValue::parse(v).expect("toml_text made it valid");
        if let Err(e) = set_path(base.get_mut(), p, value) {
            return Err(invalid(vec![cli("--set", format!("{p}: {e}"))]));
        }
    }
    // The base (with --set) must be valid on its own terms before variants are built, so that
    // its errors keep their exact locations.
    if axes.is_empty() {
        let loaded = validate_doc(path, text, base, options)?;
        let params = set_pairs
            .iter()
            .map(|(p, v)| (p.clone(), label(v)))
            .collect();
        return Ok(Plan {
            axes: vec![],
            variants: vec![Variant {
                index: 0,
                params,
                scenario: loaded.scenario,
            }],
            goal,
            warnings: loaded.warnings,
        });
    }
    let sampling_seed = match base.get_ref().get("seed").map(|v| v.get_ref()) {
        Some(DeValue::Integer(i)) => i.as_str().replace('_', "").parse::<u64>().ok(),
        _ => None,
    }
    .unwrap_or(super::DEFAULT_SEED);
    let rows = expand(&axes, mode, count, sampling_seed);
    let mut warnings = vec![];
    let mut variants = Vec::with_capacity(count);
    let mut variant_errors = vec![];
    for (index, row) in rows.iter().enumerate() {
        let mut doc = base.clone();
        let mut params: Vec<(String, String)> = set_pairs
            .iter()
            .map(|(p, v)| (p.clone(), label(v)))
            .collect();
        let mut bad = None;
        for (axis, text_value) in axes.iter().zip(row) {
            let text_value = text_value.as_str();
            let value = match DeValue::parse(text_value) {
                Ok(v) => v,
                Err(_) => DeValue::parse("\"\"").expect("valid"),
            };
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
            let mut d = cli("sweep", format!("{}: {e}", axis.path));
            if let Some(at) = axis.at {
                d = map.diag(Severity::Error, at, format!("sweep.\"{}\"", axis.path), e);
            }
            return Err(invalid(vec![d]));
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
                    e.message = format!("{} (in variant {index}: {described})", e.message);
                    // A swept value's own position is in the [sweep] table, or on the command
                    // line; point there rather than at a position in the value's text.
                    if let Some(axis) = axes.iter().find(|a| e.field == a.path) {
                        match axis.at {
                            Some(at) => {
                                let (line, column) = map.line_col(at);
                                (e.line, e.column) = (line, column);
                            }
                            None => (e.line, e.column) = (0, 0),
                        }
                    }
                    variant_errors.push(e);
                }
                if variant_errors.len() >= 50 {
                    break;
                }
            }
            Err(e) => return Err(e),
        }
    }
    if !variant_errors.is_empty() {
        return Err(invalid(variant_errors));
    }
    Ok(Plan {
        axes: axes.into_iter().map(|a| a.path).collect(),
        variants,
        goal,
        warnings,
    })
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
