//! The command line's edits, made to the scenario's text.
//!
//! `--set`, `--sweep`, `--seed`, `--replications`, `--horizon` and `--prices` change the
//! document itself (through `toml_edit`, so comments and layout stay, and a replaced value keeps
//! its trailing comment); the scenario is then read from the edited text exactly as from a file.
//! So a value from the command line goes through the checks a written one does, and the edited
//! text is the scenario that was run.
//!
//! Problems are found in the edited text. [`Edited::relocate`] puts each one back where its
//! cause was written: at its place in the file, or at the argument that put the value there.

use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

/// One change to the document.
pub(super) struct Edit {
    /// The argument as diagnostics name it: `--seed`, `--set compute.c.max_instances=2`.
    pub flag: String,
    /// Where the value goes (see [`set`]).
    pub path: Vec<String>,
    pub value: Value,
    /// The fields under which the checks report this value; a problem reported under another
    /// field names that field in its message.
    pub fields: Vec<String>,
}

/// The edited text, and how to trace a place in it back to the file or to an edit.
pub(super) struct Edited {
    pub text: String,
    /// Each edit's change to the text, in the order made.
    steps: Vec<Step>,
    /// Per edit: its flag and fields.
    edits: Vec<(String, Vec<String>)>,
}

/// One edit's change: bytes `start..old_end` of the text before it became `start..new_end`.
/// (`from` merges YAML values into the text in steps too, see `scenario::from`.)
pub(super) struct Step {
    start: usize,
    new_end: usize,
    old_end: usize,
    edit: Option<usize>,
}

/// Where a byte of the edited text came from.
#[derive(Debug, PartialEq)]
pub(super) enum Origin {
    File(usize),
    Edit(usize),
}

/// Applies `edits` to `original` in order (a later edit of the same field wins). An edit whose
/// path leads nowhere is an error at the command line; all of them are reported.
pub(super) fn apply(original: &str, edits: Vec<Edit>) -> Result<Edited, Vec<Diagnostic>> {
    let at_command_line = |field: &str, message: String| Diagnostic {
        severity: Severity::Error,
        file: PathBuf::from("command line"),
        line: 0,
        column: 0,
        field: field.into(),
        message,
        hint: None,
    };
    let mut doc: DocumentMut = original
        .parse()
        .map_err(|e: toml_edit::TomlError| vec![at_command_line("", e.message().to_string())])?;
    let mut text = doc.to_string();
    let mut steps = vec![];
    // The parser's copy of an untouched document is the text itself; were it not, the
    // difference is charged to the file, not to any edit.
    if text != original {
        steps.extend(step(original, &text, "", None));
    }
    let mut errors = vec![];
    let mut labels = vec![];
    for (index, edit) in edits.into_iter().enumerate() {
        let mut bare = edit.value.clone();
        bare.decor_mut().clear();
        let repr = bare.to_string();
        match set(&mut doc, &edit.path, edit.value) {
            Ok(()) => {
                let next = doc.to_string();
                steps.extend(step(&text, &next, &repr, Some(index)));
                text = next;
            }
            Err(message) => errors.push(at_command_line(&edit.flag, message)),
        }
        labels.push((edit.flag, edit.fields));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Edited {
        text,
        steps,
        edits: labels,
    })
}

/// Puts `value` at `path` (adding the key, and any table on the way, when absent):
/// `compute.<name>.<field>` (and `workload`, `endpoint`, `traffic`) is a field of the table of
/// that name, any other path a path of tables from the top.
fn set(doc: &mut DocumentMut, path: &[String], value: Value) -> Result<(), String> {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let root = doc.as_table_mut();
    match segments.as_slice() {
        [
            section @ ("compute" | "workload" | "endpoint" | "traffic"),
            name,
            rest @ ..,
        ] if !rest.is_empty() => {
            let Some(item) = root.get_mut(section) else {
                return Err(format!("the scenario has no [[{section}]]"));
            };
            let is_named = |t: &dyn TableLike| t.get("name").and_then(|n| n.as_str()) == Some(name);
            let found: Option<&mut dyn TableLike> = match item {
                Item::ArrayOfTables(tables) => tables
                    .iter_mut()
                    .find(|t| is_named(*t))
                    .map(|t| t as &mut dyn TableLike),
                Item::Value(Value::Array(items)) => items
                    .iter_mut()
                    .filter_map(Value::as_inline_table_mut)
                    .find(|t| is_named(*t))
                    .map(|t| t as &mut dyn TableLike),
                _ => return Err(format!("`{section}` is not an array of tables")),
            };
            match found {
                Some(t) => set_in(t, rest, value, false),
                None => Err(format!("no [[{section}]] named `{name}`")),
            }
        }
        [
            section @ ("compute" | "workload" | "endpoint" | "traffic"),
            ..,
        ] => Err(format!(
            "a {section} path needs a name and a field: {section}.<name>.<field>"
        )),
        _ => set_in(root, &segments, value, true),
    }
}

/// `top`: `table` is the document's top level, where a new table gets a `[header]` of its own
/// at the end; deeper ones are inline, which reads the same wherever the parent is.
fn set_in(
    table: &mut dyn TableLike,
    segments: &[&str],
    mut value: Value,
    top: bool,
) -> Result<(), String> {
    let key = segments[0];
    if segments.len() == 1 {
        // The replaced value's spacing and trailing comment stay.
        if let Some(Item::Value(old)) = table.get(key) {
            *value.decor_mut() = old.decor().clone();
        }
        table.insert(key, Item::Value(value));
        return Ok(());
    }
    if !table.contains_key(key) {
        let new = if top {
            Item::Table(Table::new())
        } else {
            Item::Value(Value::InlineTable(InlineTable::new()))
        };
        table.insert(key, new);
    }
    match table.get_mut(key).and_then(Item::as_table_like_mut) {
        Some(t) => set_in(t, &segments[1..], value, false),
        None => Err(format!("`{key}` is not a table")),
    }
}

/// How `prev` became `next` when an edit put a value whose text is `repr`: the bytes that
/// differ, widened to the whole value (a value that shares its first or last characters with
/// the one it replaced would otherwise be charged to the file in part). `None` when nothing
/// changed.
pub(super) fn step(prev: &str, next: &str, repr: &str, edit: Option<usize>) -> Option<Step> {
    if prev == next {
        return None;
    }
    let (a, b) = (prev.as_bytes(), next.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !next.is_char_boundary(prefix) || !prev.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let room = a.len().min(b.len()) - prefix;
    let mut suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    while !next.is_char_boundary(b.len() - suffix) || !prev.is_char_boundary(a.len() - suffix) {
        suffix -= 1;
    }
    let (mut start, mut new_end) = (prefix, b.len() - suffix);
    if !repr.is_empty() {
        let touches = |at: usize| at <= new_end && at + repr.len() >= start;
        let overlaps = |at: usize| at < new_end && at + repr.len() > start;
        let candidates: Vec<usize> = (start.saturating_sub(repr.len())..=new_end)
            .filter(|&at| next.get(at..at + repr.len()) == Some(repr))
            .collect();
        let found = candidates
            .iter()
            .find(|&&at| overlaps(at))
            .or_else(|| candidates.iter().find(|&&at| touches(at)));
        if let Some(&at) = found {
            start = start.min(at);
            new_end = new_end.max(at + repr.len());
        }
    }
    // Outside `start..new_end` the texts are the same, shifted by the change in length.
    let old_end = new_end + a.len() - b.len();
    Some(Step {
        start,
        new_end,
        old_end,
        edit,
    })
}

/// Where byte `offset` of a text changed by `steps` (in the order made) came from.
pub(super) fn trace(steps: &[Step], mut offset: usize) -> Origin {
    for s in steps.iter().rev() {
        if offset < s.start {
            continue;
        }
        if offset >= s.new_end {
            offset = offset - s.new_end + s.old_end;
            continue;
        }
        return match s.edit {
            Some(e) => Origin::Edit(e),
            None => Origin::File(s.start),
        };
    }
    Origin::File(offset)
}

impl Edited {
    /// Where byte `offset` of the edited text came from.
    fn origin(&self, offset: usize) -> Origin {
        trace(&self.steps, offset)
    }

    /// Puts a diagnostic found in the edited text back where its cause was written: its line
    /// and column in `original`, or the command-line argument whose value it is about.
    pub fn relocate(&self, d: &mut Diagnostic, path: &Path, original: &str) {
        if d.line == 0 || d.file != path {
            return;
        }
        let offset = offset_of(&self.text, d.line, d.column);
        // The validator names a table of an array by its index (`compute[0].max_instance`)
        // where the edit names it by its name: the same key when the last segments agree.
        let key = |f: &str| f.rsplit(['.', ']']).next().unwrap_or(f).to_string();
        let own = |fields: &[String]| {
            fields.contains(&d.field) || fields.iter().any(|f| key(f) == key(&d.field))
        };
        match self.origin(offset) {
            // Whole-document problems are reported at the very start, where an edit of an
            // empty top level also lands: only a problem with the edit's own field is its.
            Origin::Edit(e) if offset > 0 || own(&self.edits[e].1) => {
                let (flag, fields) = &self.edits[e];
                if !own(fields) && !d.field.is_empty() {
                    d.message = format!("{}: {}", d.field, d.message);
                }
                d.file = PathBuf::from("command line");
                (d.line, d.column) = (0, 0);
                d.field = flag.clone();
            }
            Origin::Edit(_) => (d.line, d.column) = (1, 1),
            Origin::File(at) => {
                (d.line, d.column) = SourceMap::new(path, original).line_col(at);
            }
        }
    }
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`: the inverse of
/// [`SourceMap::line_col`].
pub(super) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let rest = &text[start..];
    let rest = &rest[..rest.find('\n').unwrap_or(rest.len())];
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(path: &str, value: &str) -> Edit {
        Edit {
            flag: format!("--set {path}={value}"),
            path: path.split('.').map(String::from).collect(),
            value: value.parse().unwrap(),
            fields: vec![path.into()],
        }
    }

    const TEXT: &str = "# A scenario\nname = \"s\"\nseed = 1   # the seed\n\n[[compute]]\nname = \"c\"\nmax_instances = 11\nprovisioning_time = { dist = \"constant\", value = \"5m\" }\n";

    #[test]
    fn a_replaced_value_keeps_its_comment_and_everything_else_stays() {
        let e = apply(TEXT, vec![edit("seed", "99")]).unwrap();
        assert_eq!(e.text, TEXT.replace("seed = 1 ", "seed = 99 "));
        let e = apply(
            TEXT,
            vec![
                edit("compute.c.provisioning_time.value", "\"7m\""),
                edit("horizon", "\"7d\""),
            ],
        )
        .unwrap();
        assert!(e.text.contains("value = \"7m\" }"), "{}", e.text);
        assert!(
            e.text.contains("# the seed\nhorizon = \"7d\"\n"),
            "{}",
            e.text
        );
    }

    #[test]
    fn places_trace_back_to_the_file_or_the_edit() {
        let e = apply(
            TEXT,
            vec![
                edit("compute.c.max_instances", "1"),
                edit("horizon", "\"7d\""),
            ],
        )
        .unwrap();
        // The edited value, in full, though "1" is also the first character of the old "11".
        let at = e.text.find("max_instances = 1\n").unwrap() + "max_instances = ".len();
        assert_eq!(e.origin(at), Origin::Edit(0));
        let at = e.text.find("horizon").unwrap();
        assert_eq!(e.origin(at), Origin::Edit(1));
        // Text after the edits: back at its place in the file.
        let at = e.text.find("provisioning_time").unwrap();
        assert_eq!(
            e.origin(at),
            Origin::File(TEXT.find("provisioning_time").unwrap())
        );
        let at = e.text.find("seed").unwrap();
        assert_eq!(e.origin(at), Origin::File(TEXT.find("seed").unwrap()));
    }

    #[test]
    fn a_path_that_leads_nowhere_is_an_error_at_the_argument() {
        let errors = match apply(TEXT, vec![edit("compute.nope.max_instances", "2")]) {
            Err(errors) => errors,
            Ok(_) => panic!("no [[compute]] named nope"),
        };
        assert_eq!(errors[0].field, "--set compute.nope.max_instances=2");
        assert_eq!(errors[0].message, "no [[compute]] named `nope`");
        assert_eq!(errors[0].line, 0);
    }

    #[test]
    fn offsets_invert_line_and_column() {
        let text = "a = 1\nbé = \"x\"\n";
        let map = SourceMap::new(Path::new("f"), text);
        for offset in [0, 4, 6, 10, 11] {
            let (l, c) = map.line_col(offset);
            assert_eq!(offset_of(text, l, c), offset);
        }
    }
}
