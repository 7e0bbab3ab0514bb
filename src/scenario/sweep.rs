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
//! A path names a top-level field (`horizon`), or a field of a compute target or workload by its
//! name (`compute.gpu-cluster.min_instances`, `workload.training.arrivals.rate_per_hour`).

use super::diagnostic::{Diagnostic, Severity, SourceMap};
use super::duration::parse_duration;
use super::validate::{parse_doc, validate_doc};
use super::{LoadError, LoadOptions, Scenario};
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

#[derive(Clone, Debug, Default, PartialEq)]
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

struct Axis {
    path: String,
    /// Each value as TOML text.
    values: Vec<String>,
    /// Where the axis is declared (byte offset in the scenario), if in the file.
    at: Option<usize>,
}

fn invalid(errors: Vec<Diagnostic>) -> LoadError {
    LoadError::Invalid {
        errors,
        warnings: vec![],
    }
}

/// `path=value` → (path, TOML text of the value). A value that is not valid TOML is taken as a
/// string, so `--set horizon=7d` works without quotes.
fn split_assignment(arg: &str) -> Option<(String, String)> {
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

/// Replaces the value at `path` in `doc` (adding the key if absent).
fn set_path<'a>(
    doc: &mut DeTable<'a>,
    path: &str,
    value: Spanned<DeValue<'a>>,
) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    let (table, rest): (&mut DeTable<'a>, &[&str]) = match segments.as_slice() {
        [section @ ("compute" | "workload"), name, rest @ ..] if !rest.is_empty() => {
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
        [section @ ("compute" | "workload"), ..] => {
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

/// Reads the `[sweep]` table's axes.
fn sweep_axes(table: &DeTable<'_>, map: &SourceMap, errors: &mut Vec<Diagnostic>) -> Vec<Axis> {
    let mut axes = vec![];
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let at = key.span().start;
        if name == "mode" {
            match value.get_ref().as_str() {
                Some("grid") => {}
                Some(m @ ("random" | "latin_hypercube")) => errors.push(map.diag(
                    Severity::Error,
                    value.span().start,
                    "sweep.mode",
                    format!("mode \"{m}\" is not supported yet: use \"grid\""),
                )),
                _ => errors.push(map.diag(
                    Severity::Error,
                    value.span().start,
                    "sweep.mode",
                    "must be \"grid\"",
                )),
            }
            continue;
        }
        if name == "samples" {
            continue;
        }
        let field = format!("sweep.\"{name}\"");
        let values: Vec<String> = match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .map(|v| map.text[v.span()].to_string())
                .collect(),
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
        if values.is_empty() {
            errors.push(map.diag(Severity::Error, value.span().start, &field, "has no values"));
            continue;
        }
        axes.push(Axis {
            path: name.to_string(),
            values,
            at: Some(at),
        });
    }
    axes
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
    let sweep_table = doc.get_mut().remove("sweep");
    let goal_table = doc.get_mut().remove("goal");
    let mut axes = match &sweep_table {
        Some(v) => match v.get_ref() {
            DeValue::Table(t) => sweep_axes(t, &map, &mut errors),
            _ => {
                errors.push(map.diag(
                    Severity::Error,
                    v.span().start,
                    "sweep",
                    "must be a table: [sweep]",
                ));
                vec![]
            }
        },
        None => vec![],
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
                at: None,
            }),
            _ => errors.push(cli("--sweep", format!("`{s}` is not path=v1,v2,..."))),
        }
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let count = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
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
    let mut warnings = vec![];
    let mut variants = Vec::with_capacity(count);
    let mut variant_errors = vec![];
    for index in 0..count {
        let mut doc = base.clone();
        let mut params: Vec<(String, String)> = set_pairs
            .iter()
            .map(|(p, v)| (p.clone(), label(v)))
            .collect();
        let mut rest = index;
        let mut picks = vec![0; axes.len()];
        for (i, axis) in axes.iter().enumerate().rev() {
            picks[i] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        let mut bad = None;
        for (axis, &k) in axes.iter().zip(&picks) {
            let text_value = axis.values[k].as_str();
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
            Ok(loaded) => {
                if index == 0 {
                    warnings = loaded.warnings;
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
