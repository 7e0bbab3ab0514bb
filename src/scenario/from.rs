//! Azure ML YAML in a scenario: `from = "cluster.yml"` in a `[[compute]]` table (or `from =
//! ["endpoint.yml", "blue-deployment.yml"]` in an `[[endpoint]]`) takes the table's values from
//! Azure ML CLI v2 YAML files, read by [`crate::azure::ml`].
//!
//! The YAML's values are written into the document before it is checked, each key the table does
//! not already have (a value written in the TOML table wins), with a comment naming the file and
//! line it came from; the `from` key itself is taken out. So the scenario that runs, and the
//! `scenario.toml` a run records, hold every value and need no YAML to run again. Problems are
//! found in that text and traced back, as the command line's edits are (`edit`): a problem with a
//! value from the YAML is reported at its line and column in the YAML file.
//!
//! Also here: the placeholders `capsim import` leaves for the user (`"FILL: ..."`), each an error
//! until filled, and the hint given when a YAML file is run as a scenario.

use super::LoadError;
use super::edit::{self, Origin as Traced, Step};
use crate::azure::ml::{self, Scalar, Section};
use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// The scenario's text with the YAML's values written in, and how to trace a place in it back.
pub(super) struct Merged {
    pub text: String,
    steps: Vec<Step>,
    /// Per merged value: where in the YAML it came from.
    origins: Vec<ml::Origin>,
    /// What the YAML says that changes the real resource but is not simulated (probes,
    /// schedules, a traffic split), at its place in the YAML.
    pub warnings: Vec<Diagnostic>,
}

/// The marker of a value `capsim import` could not know.
pub const PLACEHOLDER: &str = "FILL:";

/// One table's `from`.
struct Request {
    section: Section,
    index: usize,
    target: ml::Target,
}

/// Merges every `from` of `doc` (the parsed `text` of the scenario at `path`); `None` when there
/// is none. Errors are the YAML's, at their places, or the `from` value's.
pub(super) fn merge(
    path: &Path,
    text: &str,
    doc: &DeTable<'_>,
) -> Result<Option<Merged>, LoadError> {
    let map = SourceMap::new(path, text);
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut errors = vec![];
    let mut warnings = vec![];
    let mut requests = vec![];
    if !doc
        .get("compute")
        .into_iter()
        .chain(doc.get("endpoint"))
        .any(|a| match a.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .any(|t| matches!(t.get_ref(), DeValue::Table(t) if t.contains_key("from"))),
            _ => false,
        })
    {
        return Ok(None);
    }
    let mut edit_doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| LoadError::Invalid {
                errors: vec![map.diag(Severity::Error, 0, "", e.message().to_string())],
                warnings: vec![],
            })?;
    for section in [Section::Compute, Section::Endpoint] {
        let name = section.table();
        let Some(array) = doc.get(name) else { continue };
        let tables: Vec<&Spanned<DeValue<'_>>> = match array.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ => continue,
        };
        for (index, item) in tables.into_iter().enumerate() {
            let DeValue::Table(table) = item.get_ref() else {
                continue;
            };
            let Some(from) = table.get("from") else {
                continue;
            };
            let field = format!("{name}[{index}].from");
            let at = from.span().start;
            let names: Vec<String> = match from.get_ref() {
                DeValue::String(s) => vec![s.to_string()],
                DeValue::Array(items)
                    if !items.is_empty()
                        && items
                            .iter()
                            .all(|v| matches!(v.get_ref(), DeValue::String(_))) =>
                {
                    items
                        .iter()
                        .filter_map(|v| match v.get_ref() {
                            DeValue::String(s) => Some(s.to_string()),
                            _ => None,
                        })
                        .collect()
                }
                _ => {
                    errors.push(map.diag(
                        Severity::Error,
                        at,
                        &field,
                        "must be an Azure ML YAML file, or a list of them (an endpoint's and its deployment's), relative to the scenario",
                    ));
                    continue;
                }
            };
            if edit_doc
                .get(name)
                .and_then(Item::as_array_of_tables)
                .is_none()
            {
                errors.push(map.diag(
                    Severity::Error,
                    at,
                    &field,
                    format!("works in a [[{name}]] table, not an inline one"),
                ));
                continue;
            }
            // Read beside the scenario, named as written (the merged text's comments say
            // `cluster.yml:5`); messages name the file as it is found from here.
            let mut files = vec![];
            for n in &names {
                let file = dir.join(n);
                match crate::text::input::read_to_string(&file, crate::text::input::YAML) {
                    Ok(t) => files.push((PathBuf::from(n), t)),
                    Err(e) => errors.push(map.diag(
                        Severity::Error,
                        at,
                        &field,
                        format!("cannot read {}: {e}", file.display()),
                    )),
                }
            }
            if files.len() < names.len() {
                continue;
            }
            let imported = ml::import(&files);
            let found = |mut d: Diagnostic| {
                d.file = dir.join(&d.file);
                d
            };
            warnings.extend(
                imported
                    .notes
                    .iter()
                    .filter(|n| n.matters)
                    .map(|n| found(n.diagnostic())),
            );
            if !imported.errors.is_empty() {
                errors.extend(imported.errors.into_iter().map(found));
                continue;
            }
            let mut targets = imported.targets;
            match (targets.len(), targets.first()) {
                (1, Some(t)) if t.section == section => requests.push(Request {
                    section,
                    index,
                    target: targets.remove(0),
                }),
                (1, Some(t)) => errors.push(map.diag(
                    Severity::Error,
                    at,
                    &field,
                    format!(
                        "describes {} `{}`: name it in a [[{}]] table",
                        if t.section == Section::Compute {
                            "a compute target"
                        } else {
                            "an endpoint"
                        },
                        t.name,
                        t.section.table()
                    ),
                )),
                (n, _) => {
                    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                    errors.push(map.diag(
                        Severity::Error,
                        at,
                        &field,
                        format!(
                            "describes {n} targets ({}): a [[{name}]] table takes one (a deployment, with its endpoint's YAML if you like); `capsim import` turns several into a scenario",
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(LoadError::Invalid { errors, warnings });
    }
    let doc = &mut edit_doc;
    let mut current = doc.to_string();
    let mut steps = vec![];
    if current != text {
        steps.extend(edit::step(text, &current, "", None));
    }
    let mut origins = vec![];
    for r in &requests {
        let sources: Vec<String> = r
            .target
            .sources
            .iter()
            .map(|(f, schema)| format!("{} ({schema})", f.display()))
            .collect();
        if let Some(t) = table_at(doc, r.section, r.index) {
            t.remove("from");
            let prefix = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
            let note = format!(
                "{prefix}# from = {}: merged by capsim (each value says its line); values written here win.\n",
                sources.join(" and ")
            );
            t.decor_mut().set_prefix(note);
        }
        let next = doc.to_string();
        steps.extend(edit::step(&current, &next, "", None));
        current = next;
        for f in &r.target.fields {
            let Some(t) = table_at(doc, r.section, r.index) else {
                break;
            };
            if present(t, &f.path) {
                continue;
            }
            let value = match &f.value {
                Scalar::Str(s) => Value::from(s.as_str()),
                Scalar::Int(n) => Value::from(*n),
                Scalar::Float(x) => Value::from(*x),
            };
            let repr = value.to_string();
            put(t, &f.path, value, &f.origin.label());
            let next = doc.to_string();
            steps.extend(edit::step(
                &current,
                &next,
                repr.trim(),
                Some(origins.len()),
            ));
            origins.push(ml::Origin {
                file: dir.join(&f.origin.file),
                ..f.origin.clone()
            });
            current = next;
        }
    }
    Ok(Some(Merged {
        text: current,
        steps,
        origins,
        warnings,
    }))
}

fn table_at(doc: &mut DocumentMut, section: Section, index: usize) -> Option<&mut Table> {
    doc.get_mut(section.table())?
        .as_array_of_tables_mut()?
        .get_mut(index)
}

/// The table has a value at `path` (or something else than a table on the way, which the
/// checks will report).
fn present(t: &Table, path: &[String]) -> bool {
    match (t.get(&path[0]), path.len()) {
        (None, _) => false,
        (Some(_), 1) => true,
        (Some(Item::Table(sub)), _) => present(sub, &path[1..]),
        (Some(Item::Value(Value::InlineTable(sub))), _) => present_inline(sub, &path[1..]),
        (Some(_), _) => true,
    }
}

fn present_inline(t: &InlineTable, path: &[String]) -> bool {
    match (t.get(&path[0]), path.len()) {
        (None, _) => false,
        (Some(_), 1) => true,
        (Some(Value::InlineTable(sub)), _) => present_inline(sub, &path[1..]),
        (Some(_), _) => true,
    }
}

/// Writes `value` at `path`, with `comment` after it; a nested key goes in as a dotted key
/// (`request_settings.request_timeout_ms = 3000  # ...`) unless the table is written inline.
fn put(t: &mut Table, path: &[String], mut value: Value, comment: &str) {
    let key = path[0].as_str();
    if path.len() == 1 {
        value.decor_mut().set_suffix(format!("  # {comment}"));
        t.insert(key, Item::Value(value));
        return;
    }
    if !t.contains_key(key) {
        let mut sub = Table::new();
        sub.set_dotted(true);
        t.insert(key, Item::Table(sub));
    }
    match t.get_mut(key) {
        Some(Item::Table(sub)) => put(sub, &path[1..], value, comment),
        Some(Item::Value(Value::InlineTable(sub))) => {
            put_inline(sub, &path[1..], value);
            // The spacing of the key that was last stays otherwise (`1000 , key = 2`).
            sub.fmt();
        }
        _ => {}
    }
}

/// Inside an inline table a comment cannot be written.
fn put_inline(t: &mut InlineTable, path: &[String], value: Value) {
    let key = path[0].as_str();
    if path.len() == 1 {
        t.insert(key, value);
        return;
    }
    if !t.contains_key(key) {
        t.insert(key, Value::InlineTable(InlineTable::new()));
    }
    if let Some(Value::InlineTable(sub)) = t.get_mut(key) {
        put_inline(sub, &path[1..], value);
    }
}

impl Merged {
    /// Puts a problem found in the merged text back where its cause was written: at its place
    /// in the YAML for a merged value, else at its place in the scenario file.
    pub fn relocate(&self, d: &mut Diagnostic, path: &Path, original: &str) {
        if d.line == 0 || d.file != path {
            return;
        }
        let offset = edit::offset_of(&self.text, d.line, d.column);
        match edit::trace(&self.steps, offset) {
            Traced::Edit(i) => {
                let o = &self.origins[i];
                // A problem of this value is said of its YAML key; one reported at it for
                // another field (a missing key is reported at the table's name) keeps its field.
                let last = |s: &str| s.rsplit('.').next().unwrap_or("").to_string();
                if last(&d.field) == last(&o.key) || d.field.is_empty() {
                    d.field = o.key.clone();
                }
                d.file = o.file.clone();
                (d.line, d.column) = (o.line, o.column);
            }
            Traced::File(at) => {
                (d.line, d.column) = SourceMap::new(path, original).line_col(at);
            }
        }
    }

    /// Every diagnostic of `result` traced back.
    pub fn relocate_all(&self, diags: &mut [Diagnostic], path: &Path, original: &str) {
        for d in diags {
            self.relocate(d, path, original);
        }
    }
}

/// Each `"FILL: ..."` value `capsim import` left, as an error at its place.
pub(super) fn placeholders(path: &Path, text: &str, doc: &DeTable<'_>) -> Vec<Diagnostic> {
    if !text.contains(PLACEHOLDER) {
        return vec![];
    }
    let map = SourceMap::new(path, text);
    let mut out = vec![];
    walk_table(&map, doc, "", &mut out);
    out
}

fn walk_table(map: &SourceMap<'_>, t: &DeTable<'_>, path: &str, out: &mut Vec<Diagnostic>) {
    for (k, v) in t.iter() {
        let here = if path.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{path}.{}", k.get_ref())
        };
        walk_value(map, v, &here, out);
    }
}

fn walk_value(
    map: &SourceMap<'_>,
    v: &Spanned<DeValue<'_>>,
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    match v.get_ref() {
        DeValue::String(s) if s.trim_start().starts_with(PLACEHOLDER) => {
            let what = s.trim_start()[PLACEHOLDER.len()..].trim();
            let mut d = map.diag(
                Severity::Error,
                v.span().start,
                path,
                format!("a placeholder left by `capsim import`: write {what}"),
            );
            d.hint = Some(
                "capsim import cannot know it from Azure's YAML (docs/azure-import.md)".into(),
            );
            out.push(d);
        }
        DeValue::Table(t) => walk_table(map, t, path, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let label = match item.get_ref() {
                    DeValue::Table(t) => match t.get("name").map(|n| n.get_ref()) {
                        Some(DeValue::String(n)) => format!("{path}.{n}"),
                        _ => format!("{path}[{i}]"),
                    },
                    _ => format!("{path}[{i}]"),
                };
                walk_value(map, item, &label, out);
            }
        }
        _ => {}
    }
}

/// A YAML file given where a scenario was expected: one error that says what to do, instead of
/// every line's TOML syntax error. `None` when the file is no YAML (by its extension, or, when
/// it does not parse as TOML, by its look: `key: value` lines, `$schema:`, `---`).
pub(super) fn yaml_instead(path: &Path, text: &str, toml_failed: bool) -> Option<LoadError> {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
    if !(by_extension || (toml_failed && looks_like_yaml(text))) {
        return None;
    }
    let shown = path.display();
    let name = path.file_name().map_or(PathBuf::new(), PathBuf::from);
    Some(LoadError::Invalid {
        errors: vec![Diagnostic {
            severity: Severity::Error,
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            field: String::new(),
            message:
                "this is YAML (Azure ML's CLI v2 format?), not a capsim scenario, which is TOML"
                    .into(),
            hint: Some(format!(
                "turn it into a scenario with `capsim import {shown}`, or name it in one: [[compute]] from = \"{}\" (or [[endpoint]]); see docs/azure-import.md",
                name.display()
            )),
        }],
        warnings: vec![],
    })
}

/// The first line that is neither blank nor a comment reads as YAML: `---`, `$schema:`, or
/// `key: value` / `key:` (TOML would write `key = value`).
fn looks_like_yaml(text: &str) -> bool {
    let Some(line) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    if line == "---" || line.starts_with("$schema:") {
        return true;
    }
    match line.split_once(':') {
        Some((key, rest)) => {
            !key.is_empty()
                && !key.contains('=')
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
                && (rest.is_empty() || rest.starts_with(' '))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "name: blue\nendpoint_name: scorer\ninstance_type: Standard_F4s_v2\n\
        instance_count: 2\nrequest_settings:\n  max_concurrent_requests_per_instance: 2\n  request_timeout_ms: 3000\n";

    fn merged(scenario: &str) -> (tempfile::TempDir, Merged) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blue.yml"), DEPLOYMENT).unwrap();
        let path = dir.path().join("s.toml");
        let doc = DeTable::parse(scenario).unwrap();
        let m = match merge(&path, scenario, doc.get_ref()) {
            Ok(Some(m)) => m,
            Ok(None) => panic!("nothing merged"),
            Err(e) => panic!("{e}"),
        };
        (dir, m)
    }

    #[test]
    fn toml_values_win_and_nested_keys_join_the_tables_written() {
        let scenario = "horizon = \"1d\"\n\n[[endpoint]]\nfrom = \"blue.yml\"\ninstance_count = 5\n\
                        request_settings = { request_timeout_ms = 1000 }\n";
        let (_dir, m) = merged(scenario);
        assert!(!m.text.contains("\nfrom ="), "{}", m.text);
        assert!(m.text.contains("instance_count = 5\n"), "{}", m.text);
        assert!(!m.text.contains("instance_count = 2"), "{}", m.text);
        // Inside the inline table the YAML's key is added (no comment fits there), the TOML's
        // timeout kept.
        assert!(
            m.text.contains("request_settings = { request_timeout_ms = 1000, max_concurrent_requests_per_instance = 2 }"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("instance_type = \"Standard_F4s_v2\"  # blue.yml:3: instance_type"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("name = \"scorer\"  # blue.yml:2: endpoint_name\n"),
            "{}",
            m.text
        );
    }

    #[test]
    fn places_in_the_merged_text_trace_back_to_the_yaml_or_the_file() {
        let scenario =
            "horizon = \"1d\"\n\n[[endpoint]]\nfrom = \"blue.yml\"\nslo = { latency_ms = 300 }\n";
        let (dir, m) = merged(scenario);
        let path = dir.path().join("s.toml");
        let map = SourceMap::new(&path, &m.text);
        let at = |needle: &str| {
            let (line, column) = map.line_col(m.text.find(needle).unwrap());
            Diagnostic {
                severity: Severity::Error,
                file: path.clone(),
                line,
                column,
                field: "endpoint.scorer.request_settings.request_timeout_ms".into(),
                message: String::new(),
                hint: None,
            }
        };
        let mut d = at("3000");
        m.relocate(&mut d, &path, scenario);
        assert_eq!(
            (
                d.file.file_name().unwrap().to_str(),
                d.line,
                d.column,
                d.field.as_str()
            ),
            (
                Some("blue.yml"),
                7,
                23,
                "request_settings.request_timeout_ms"
            )
        );
        let mut d = at("latency_ms");
        m.relocate(&mut d, &path, scenario);
        assert_eq!((d.file.clone(), d.line, d.column), (path.clone(), 5, 9));
    }

    #[test]
    fn yaml_is_told_from_toml() {
        assert!(looks_like_yaml(
            "$schema: https://x/amlCompute.schema.json\nname: a\n"
        ));
        assert!(looks_like_yaml(
            "# a cluster\n\nname: cpu-cluster\ntype: amlcompute\n"
        ));
        assert!(looks_like_yaml("---\nname: a\n"));
        assert!(looks_like_yaml(
            "request_settings:\n  request_timeout_ms: 5\n"
        ));
        assert!(!looks_like_yaml("name = \"a\"\n"));
        assert!(!looks_like_yaml("[[compute]]\nname = \"a\"\n"));
        assert!(!looks_like_yaml("start_date = 2026-01-01T10:00:00\n"));
        assert!(!looks_like_yaml(""));
    }
}
