//! Azure ML CLI v2 YAML (compute targets, online and batch endpoints and their deployments)
//! read as capsim scenario tables: an adapter at the edge, used by `capsim import` and by a
//! scenario's `from = "cluster.yml"`.
//!
//! Each YAML key is one of: copied to a scenario key (with the place it came from), ignored with
//! a note saying why it does not change the simulation, or an error when capsim cannot honour
//! its value, at `file:line:column: key`. The schemas followed are Azure's CLI v2 references
//! (learn.microsoft.com/azure/machine-learning/reference-yaml-compute-aml, -compute-instance,
//! -compute-kubernetes, -endpoint-online, -deployment-managed-online,
//! -deployment-kubernetes-online, -deployment-batch) and the azure-ai-ml SDK's marshmallow
//! schemas; docs/azure-import.md lists every key.
//!
//! Imports nothing of the crate above `text` and `catalog`, so that `scenario` may use it.

mod map;
pub mod yaml;

use crate::text::{Diagnostic, Severity};
use std::path::PathBuf;

pub use map::import;

/// Where a value came from: the YAML file, the place of its value and its dotted key.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub key: String,
}

impl Origin {
    /// `cluster.yml:5: max_instances`, as the generated scenario's comments say it.
    pub fn label(&self) -> String {
        format!("{}:{}: {}", self.file.display(), self.line, self.key)
    }

    fn diag(&self, severity: Severity, message: String) -> Diagnostic {
        Diagnostic {
            severity,
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            field: self.key.clone(),
            message,
            hint: None,
        }
    }
}

/// A scalar of a scenario table.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
}

/// One scenario key (`path` below the `[[compute]]` or `[[endpoint]]` table, e.g.
/// `["request_settings", "request_timeout_ms"]`) and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub path: Vec<String>,
    pub value: Scalar,
    pub origin: Origin,
}

impl Field {
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Compute,
    Endpoint,
}

impl Section {
    pub fn table(self) -> &'static str {
        match self {
            Section::Compute => "compute",
            Section::Endpoint => "endpoint",
        }
    }
}

/// A value capsim needs that Azure's YAML does not hold (it is a property of the cluster, not
/// of the resource): `capsim import` writes a placeholder for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    pub path: Vec<String>,
    /// What to write, e.g. "the VM size of the cluster's nodes, e.g. Standard_D4s_v3".
    pub what: String,
}

/// A key that does not change the simulation, and why. `matters` marks keys that change how
/// the real resource behaves (probes, schedules, a traffic split), which a scenario naming the
/// file with `from` warns about too; the others are metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub origin: Origin,
    pub why: String,
    pub matters: bool,
}

impl Note {
    pub fn diagnostic(&self) -> Diagnostic {
        self.origin
            .diag(Severity::Warning, format!("ignored: {}", self.why))
    }
}

/// One `[[compute]]` or `[[endpoint]]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub section: Section,
    pub name: String,
    /// capsim's `type`.
    pub kind: String,
    /// `name` and `type` first, then the rest in the order written.
    pub fields: Vec<Field>,
    pub needs: Vec<Need>,
    /// The files it was read from, and the schema each was read as.
    pub sources: Vec<(PathBuf, &'static str)>,
}

impl Target {
    pub fn get(&self, path: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.dotted() == path)
    }
}

/// What a set of YAML files says.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub targets: Vec<Target>,
    pub notes: Vec<Note>,
    pub errors: Vec<Diagnostic>,
}
