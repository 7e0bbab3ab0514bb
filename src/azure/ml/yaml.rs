//! YAML read into a small tree that keeps the place of every key and value, so that each
//! problem can be reported at `file:line:column`. Parsing is saphyr's (a maintained YAML 1.2
//! parser whose nodes carry their positions); this module only reshapes its nodes.

use crate::text::{Diagnostic, Severity};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::path::Path;

/// A 1-based line and column in a YAML file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub at: At,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in the order written: key, the key's place, value.
    Map(Vec<(String, At, Node)>),
    /// An alias, a tagged value or anything else the import does not read.
    Other,
}

impl Value {
    /// How a value's kind is named in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Other => "an alias or tagged value",
        }
    }
}

/// The documents of a YAML text (usually one). A syntax error, a duplicated key included, is
/// one diagnostic at its place.
pub fn parse(file: &Path, text: &str) -> Result<Vec<Node>, Diagnostic> {
    match MarkedYaml::load_from_str(text) {
        Ok(docs) => Ok(docs.iter().map(node).collect()),
        Err(e) => {
            let m = e.marker();
            Err(Diagnostic {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: m.line().max(1),
                column: m.col() + 1,
                field: String::new(),
                message: format!("not valid YAML: {}", e.info()),
                hint: None,
            })
        }
    }
}

fn at(m: &saphyr::Marker) -> At {
    At {
        line: m.line().max(1),
        column: m.col() + 1,
    }
}

fn node(n: &MarkedYaml<'_>) -> Node {
    let value = match &n.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Sequence(items) => Value::Seq(items.iter().map(node).collect()),
        YamlData::Mapping(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (key_text(k), at(&k.span.start), node(v)))
                .collect(),
        ),
        YamlData::Tagged(_, inner) => node(inner).value,
        _ => Value::Other,
    };
    Node {
        at: at(&n.span.start),
        value,
    }
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

/// A key as written: keys are strings in Azure's YAML, but `1:` or `true:` are keys too.
fn key_text(k: &MarkedYaml<'_>) -> String {
    match &k.data {
        YamlData::Value(Scalar::String(s)) => s.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::Null) => "~".into(),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_one_based() {
        let docs = parse(Path::new("c.yml"), "name: a\nsize:  Standard_DS3_v2\n").unwrap();
        let Value::Map(entries) = &docs[0].value else {
            panic!("a mapping")
        };
        assert_eq!(entries[1].0, "size");
        assert_eq!(entries[1].1, At { line: 2, column: 1 });
        assert_eq!(entries[1].2.at, At { line: 2, column: 8 });
    }

    #[test]
    fn syntax_errors_and_duplicated_keys_are_located() {
        let e = parse(Path::new("c.yml"), "name: x\n  bad: [1\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6));
        assert!(e.message.starts_with("not valid YAML"), "{}", e.message);
        let e = parse(Path::new("c.yml"), "name: x\ntype: y\nname: z\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.message.contains("duplicated key"), "{}", e.message);
    }
}
