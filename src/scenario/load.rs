//! The one way in: a scenario file and the command line's edits to it → a [`Plan`].

use super::edit::{self, Edit, Edited};
use super::from;
use super::sizing::{self, SizingTable};
use super::sweep::{
    Expanded, Plan, at_command_line, expand_variants, invalid, split_assignment, sweep_table,
    toml_value,
};
use super::validate::goal::{check_goal, goal_table};
use super::validate::parse_doc;
use super::{LoadError, LoadOptions, MAX_REPLICATIONS};
use crate::engine::time::{from_secs_f64, to_secs_f64};
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::text::duration::{Dur, format_duration, parse_duration};
use crate::text::input;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;
use toml::de::DeTable;

/// A scenario file: where it is (for messages, and to resolve the files it names) and its text.
#[derive(Clone, Debug)]
pub struct Source {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
        }
    }

    /// Reads the file at `path`: a regular file of at most [`input::SCENARIO`]'s size, in UTF-8
    /// (text that is not is an error at the line and column of its first bad byte).
    pub fn read(path: &Path) -> Result<Source, LoadError> {
        let bytes = input::read(path, input::SCENARIO).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source::new(path, text)),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let bytes = e.as_bytes();
                let (line, column) = input::line_column(bytes, at);
                let shown: Vec<String> = bytes[at..]
                    .iter()
                    .take(e.utf8_error().error_len().unwrap_or(1))
                    .map(|b| format!("0x{b:02x}"))
                    .collect();
                Err(LoadError::Invalid {
                    errors: vec![Diagnostic {
                        severity: Severity::Error,
                        file: path.to_path_buf(),
                        line,
                        column,
                        field: String::new(),
                        message: format!(
                            "the file is not UTF-8 text: {} here is not a UTF-8 character; save \
                             the scenario as UTF-8",
                            shown.join(" ")
                        ),
                        hint: None,
                    }],
                    warnings: vec![],
                })
            }
        }
    }
}

/// Everything the command line may change in a scenario. Each edit is made to the document
/// before it is checked, so a value given here is checked as the file's own would be, and in
/// the file's place.
#[derive(Clone, Debug, Default)]
pub struct Edits {
    /// `--seed`: the scenario's `seed` (also the seed random and Latin-hypercube sweeps draw
    /// their samples from).
    pub seed: Option<u64>,
    /// `--replications`.
    pub replications: Option<u64>,
    /// `--horizon`: a duration such as `7d`, or seconds.
    pub horizon: Option<String>,
    /// `--set PATH=VALUE`, in order: a later assignment of a field wins. The flags above win
    /// over an assignment of their field.
    pub sets: Vec<String>,
    /// `--sweep PATH=V1,V2,...`: axes added to `[sweep]` (replacing a file's axis of the same
    /// path).
    pub sweeps: Vec<String>,
    /// `--prices`: a price list that replaces the scenario's `prices`.
    pub prices: Option<PathBuf>,
    /// The date retirement checks compare against when the scenario has no `start_date`, as days
    /// since 1970-01-01; `None` is today (UTC). For tests.
    pub today: Option<i64>,
}

impl Edits {
    /// Nothing to change in the document (`today` is no part of it).
    pub fn is_empty(&self) -> bool {
        self.seed.is_none()
            && self.replications.is_none()
            && self.horizon.is_none()
            && self.sets.is_empty()
            && self.sweeps.is_empty()
            && self.prices.is_none()
    }
}

/// Reads, edits and checks a scenario: its variants (one without a sweep), goal and `[sizing]`
/// table, and the edited text. Every problem is reported, each at its place in the file or at
/// the command-line argument it came from.
pub fn load(source: &Source, edits: &Edits) -> Result<Plan, LoadError> {
    let path = source.path.as_path();
    let text = &*source.text;
    if let Some(e) = from::yaml_instead(path, text, false) {
        return Err(e);
    }
    // The file's own syntax errors, at their places in it.
    let doc = match parse_doc(path, text) {
        Ok(doc) => doc,
        Err(e) => return Err(from::yaml_instead(path, text, true).unwrap_or(e)),
    };
    let unfilled = from::placeholders(path, text, doc.get_ref());
    if !unfilled.is_empty() {
        return Err(invalid(unfilled));
    }
    // Values of Azure ML YAML named by `from`, written into the document.
    let Some(merged) = from::merge(path, text, doc.get_ref())? else {
        return load_doc(source, doc, edits);
    };
    drop(doc);
    let merged_source = Source::new(path, merged.text.as_str());
    let result = parse_doc(path, &merged.text).and_then(|doc| load_doc(&merged_source, doc, edits));
    match result {
        Ok(mut plan) => {
            merged.relocate_all(&mut plan.warnings, path, text);
            if let SizingTable::Invalid(errors) = &mut plan.sizing {
                merged.relocate_all(errors, path, text);
            }
            plan.warnings.splice(0..0, merged.warnings.iter().cloned());
            Ok(plan)
        }
        Err(LoadError::Invalid {
            mut errors,
            mut warnings,
        }) => {
            merged.relocate_all(&mut errors, path, text);
            merged.relocate_all(&mut warnings, path, text);
            warnings.splice(0..0, merged.warnings.iter().cloned());
            Err(LoadError::Invalid { errors, warnings })
        }
        Err(e) => Err(e),
    }
}

/// [`load`] once the document is read (and any `from` merged).
fn load_doc(source: &Source, doc: Spanned<DeTable<'_>>, edits: &Edits) -> Result<Plan, LoadError> {
    let path = source.path.as_path();
    let text = &*source.text;
    let list = edit_list(edits)?;
    if list.is_empty() {
        return build(source, text, doc, edits, source.text.clone());
    }
    drop(doc);
    let edited = edit::apply(text, list).map_err(invalid)?;
    let result = parse_doc(path, &edited.text).and_then(|doc| {
        let effective: Arc<str> = Arc::from(edited.text.as_str());
        build(source, &edited.text, doc, edits, effective)
    });
    relocate(result, &edited, source)
}

/// The document changes `edits` asks for, in the order they are made. A flag whose value cannot
/// be put in a document at all is an error here. A `--set` is an edit of the file like any other,
/// not a parameter column: the folder's scenario.toml then reruns to the same bytes.
fn edit_list(edits: &Edits) -> Result<Vec<Edit>, LoadError> {
    let mut list = vec![];
    let mut errors = vec![];
    let one = |flag: &str, field: &str, value: toml_edit::Value| Edit {
        flag: flag.into(),
        path: vec![field.into()],
        value,
        fields: vec![field.into()],
    };
    for s in &edits.sets {
        match split_assignment(s) {
            Some((path, _)) if path == "from" || path.ends_with(".from") => {
                errors.push(at_command_line(
                    "--set",
                    format!("`{s}`: `from` names YAML files to merge and cannot be set from the command line; set the fields themselves"),
                ));
            }
            Some((path, value)) => {
                list.push(Edit {
                    flag: format!("--set {s}"),
                    path: path.split('.').map(String::from).collect(),
                    value,
                    fields: vec![path],
                });
            }
            None => errors.push(at_command_line("--set", format!("`{s}` is not path=value"))),
        }
    }
    if let Some(seed) = edits.seed {
        // TOML integers are signed 64-bit.
        match i64::try_from(seed) {
            Ok(n) => list.push(one("--seed", "seed", n.into())),
            Err(_) => errors.push(at_command_line(
                "--seed",
                format!("must be at most {}, got {seed}", i64::MAX),
            )),
        }
    }
    if let Some(n) = edits.replications {
        match i64::try_from(n) {
            Ok(x) => list.push(one("--replications", "replications", x.into())),
            Err(_) => errors.push(at_command_line(
                "--replications",
                format!("must be from 1 to {MAX_REPLICATIONS}, got {n}"),
            )),
        }
    }
    if let Some(h) = &edits.horizon {
        match parse_duration(h) {
            Err(e) => errors.push(at_command_line("--horizon", e.to_string())),
            Ok(secs) if !secs.is_finite() || secs <= 0.0 => errors.push(at_command_line(
                "--horizon",
                format!("must be greater than zero, got {h}"),
            )),
            // The cap a scenario's own horizon has (--horizon used to skip it).
            Ok(secs) if secs > super::validate::MAX_DURATION_S => errors.push(at_command_line(
                "--horizon",
                format!("must be at most 10,000 years, got {h}"),
            )),
            Ok(_) => list.push(one("--horizon", "horizon", h.as_str().into())),
        }
    }
    if let Some(p) = &edits.prices {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
        list.push(one(
            "--prices",
            "prices",
            p.to_string_lossy().as_ref().into(),
        ));
    }
    for s in &edits.sweeps {
        match s.split_once('=') {
            Some((p, vs)) if !p.trim().is_empty() && !vs.trim().is_empty() => {
                let p = p.trim();
                let values: toml_edit::Array =
                    vs.split(',').map(|v| toml_value(v.trim())).collect();
                list.push(Edit {
                    flag: format!("--sweep {s}"),
                    path: vec!["sweep".into(), p.into()],
                    value: values.into(),
                    fields: vec![p.into(), format!("sweep.\"{p}\"")],
                });
            }
            _ => errors.push(at_command_line(
                "--sweep",
                format!("`{s}` is not path=v1,v2,..."),
            )),
        }
    }
    if errors.is_empty() {
        Ok(list)
    } else {
        Err(invalid(errors))
    }
}

/// The plan of `doc`, the parsed `text` (the file's, or the edited text), positions in `text`.
fn build(
    source: &Source,
    text: &str,
    mut doc: Spanned<DeTable<'_>>,
    edits: &Edits,
    effective_text: Arc<str>,
) -> Result<Plan, LoadError> {
    let map = SourceMap::new(&source.path, text);
    let mut errors = vec![];
    let sweep_value = doc.get_mut().remove("sweep");
    let goal_value = doc.get_mut().remove("goal");
    // Read apart from the scenario, which a run simulates as written whatever the table says.
    let sizing_value = doc.get_mut().remove("sizing");
    let sweep = sweep_table(sweep_value.as_ref(), &map, &mut errors);
    let goal = goal_value
        .as_ref()
        .and_then(|v| goal_table(v, &map, &mut errors));
    if let Some(h) = &edits.horizon {
        errors.extend(horizon_after_warmup(h, doc.get_ref()));
    }
    let sizing_doc = sizing_value.as_ref().map(|_| doc.get_ref().clone());
    let options = LoadOptions {
        today: edits.today,
        prices_file: edits.prices.clone(),
    };
    let Expanded {
        axes,
        mut variants,
        warnings,
    } = expand_variants(doc, &map, &options, sweep, errors)?;
    // A bound the scenario's targets do not have would judge nothing: refused at its key.
    if let (Some(g), Some(first)) = (&goal, variants.first()) {
        let problems = check_goal(g, &first.scenario, &map);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
    }
    let goal = goal.map(|g| g.goal);
    // Outputs record the scenario as run: the file with the command line's edits, one copy of
    // its text for every variant, so that a folder's scenario.toml reruns what it holds.
    for v in &mut variants {
        v.scenario.source = effective_text.clone();
    }
    let sizing = match (&sizing_value, &sizing_doc) {
        (Some(table), Some(doc)) => match sizing::check(
            table,
            doc,
            sweep_value.as_ref().map(|s| s.span().start),
            &variants[0].scenario,
            &map,
            crate::catalog::Catalog::builtin(),
        ) {
            Ok(spec) => SizingTable::Valid(Box::new(spec)),
            Err(errors) => SizingTable::Invalid(errors),
        },
        _ => SizingTable::Absent,
    };
    Ok(Plan {
        axes,
        variants,
        goal,
        warnings,
        effective_text,
        sizing,
    })
}

/// `--horizon` must leave time after the scenario's warm-up (as simulated: in whole
/// microseconds); said of the flag rather than of the file's `warmup`.
fn horizon_after_warmup(h: &str, doc: &DeTable<'_>) -> Option<Diagnostic> {
    let secs = parse_duration(h).ok()?;
    let warmup = doc.get("warmup")?.clone();
    // A warm-up that is no duration is the validator's to report.
    let Dur(w) = Dur::deserialize(toml::de::ValueDeserializer::from(warmup)).ok()?;
    if !w.is_finite() || w < 0.0 {
        return None;
    }
    let warmup = to_secs_f64(from_secs_f64(w));
    (secs <= warmup).then(|| {
        at_command_line(
            "--horizon",
            format!(
                "must be longer than the scenario's warm-up ({}), got {h}",
                format_duration(warmup)
            ),
        )
    })
}

/// Every diagnostic of `result` (found in the edited text) put back in the file or at the
/// command line.
fn relocate(
    result: Result<Plan, LoadError>,
    edited: &Edited,
    source: &Source,
) -> Result<Plan, LoadError> {
    let all = |diags: &mut Vec<Diagnostic>| {
        for d in diags {
            edited.relocate(d, &source.path, &source.text);
        }
    };
    match result {
        Ok(mut plan) => {
            all(&mut plan.warnings);
            if let SizingTable::Invalid(errors) = &mut plan.sizing {
                all(errors);
            }
            Ok(plan)
        }
        Err(LoadError::Invalid {
            mut errors,
            mut warnings,
        }) => {
            all(&mut errors);
            all(&mut warnings);
            Err(LoadError::Invalid { errors, warnings })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
