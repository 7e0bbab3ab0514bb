//! `import`: Azure ML CLI v2 YAML (clusters, compute instances, attached Kubernetes, online and
//! batch endpoints with their deployments) to a scenario.
//!
//! The scenario holds every value capsim could read, each with a comment naming its file, line
//! and key, and the ignored keys with why. What Azure's YAML cannot say (the jobs and requests
//! sent to the targets, the node pool of an attached cluster) is written as placeholders, string
//! values starting with `FILL:` that `validate` and `run` refuse until they are replaced: the
//! scenario is complete once the user has filled them.

use super::CommandError;
use crate::azure::ml::{self, Imported, Note, Scalar, Section, Target};
use crate::scenario::Diagnostic;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What to import.
#[derive(Clone, Debug, Default)]
pub struct ImportRequest {
    /// The YAML files, as the user named them (comments and messages name them so).
    pub files: Vec<PathBuf>,
    /// Write the scenario here (refused if the file exists) instead of returning it only.
    pub out: Option<PathBuf>,
}

/// The scenario, and what the import noticed.
#[derive(Clone, Debug)]
pub struct ImportOutcome {
    /// The scenario's TOML text.
    pub text: String,
    /// One per ignored key, at its place in the YAML.
    pub warnings: Vec<Diagnostic>,
    /// `[[compute]]` / `[[endpoint]]` tables written, as (section, name, capsim type).
    pub targets: Vec<(&'static str, String, String)>,
    /// How many `FILL:` values the user must replace.
    pub placeholders: usize,
    /// Where the scenario was written, with `out`.
    pub written: Option<PathBuf>,
}

/// The simulated time an imported scenario starts with: a week shows the daily and weekly
/// pattern of the work once the user gives it one.
const HORIZON: &str = "7d";

pub fn import(req: ImportRequest) -> Result<ImportOutcome, CommandError> {
    if req.files.is_empty() {
        return Err(CommandError::Input(
            "name at least one Azure ML YAML file".into(),
        ));
    }
    let mut files = vec![];
    for f in &req.files {
        let text = crate::text::input::read_to_string(f, crate::text::input::YAML)
            .map_err(|e| CommandError::Input(format!("cannot read {}: {e}", f.display())))?;
        files.push((f.clone(), text));
    }
    let imported = ml::import(&files);
    let warnings: Vec<Diagnostic> = imported.notes.iter().map(Note::diagnostic).collect();
    if !imported.errors.is_empty() {
        let mut message = String::new();
        for d in warnings.iter().chain(&imported.errors) {
            let _ = writeln!(message, "{d}");
        }
        let n = imported.errors.len();
        let _ = write!(
            message,
            "{n} error{} in the Azure ML YAML",
            if n == 1 { "" } else { "s" }
        );
        return Err(CommandError::Input(message));
    }
    if imported.targets.is_empty() {
        return Err(CommandError::Input(
            "the files describe no compute target or endpoint".into(),
        ));
    }
    let (text, placeholders) = scenario_text(&req.files, &imported);
    let written = match &req.out {
        Some(out) => {
            if out.exists() {
                return Err(CommandError::Input(format!(
                    "{} exists: capsim import does not overwrite a scenario (its placeholders may be filled); remove it or choose another --out",
                    out.display()
                )));
            }
            std::fs::write(out, &text)
                .map_err(|e| CommandError::Input(format!("cannot write {}: {e}", out.display())))?;
            Some(out.clone())
        }
        None => None,
    };
    Ok(ImportOutcome {
        targets: imported
            .targets
            .iter()
            .map(|t| (t.section.table(), t.name.clone(), t.kind.clone()))
            .collect(),
        text,
        warnings,
        placeholders,
        written,
    })
}

/// A TOML value as written in the scenario.
fn toml(s: &Scalar) -> String {
    match s {
        Scalar::Str(s) => toml_str(s),
        Scalar::Int(n) => n.to_string(),
        Scalar::Float(x) => toml_edit::Value::from(*x).to_string(),
    }
}

fn toml_str(s: &str) -> String {
    toml_edit::Value::from(s).to_string()
}

/// A placeholder the user must replace: `what` says what to write.
fn fill(what: &str) -> String {
    toml_str(&format!("{} {what}", crate::scenario::PLACEHOLDER))
}

/// The scenario's text and how many placeholders it holds.
fn scenario_text(files: &[PathBuf], imported: &Imported) -> (String, usize) {
    let mut out = String::new();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let _ = writeln!(
        out,
        "# Imported by `capsim import` from Azure ML CLI v2 YAML: {}.",
        names.join(", ")
    );
    out.push_str(
        "# Each value says where it came from (file:line: key); keys that do not change the\n\
         # simulation are listed as ignored, with why. Azure's YAML does not say what work the\n\
         # targets get: replace every \"FILL: ...\" value (capsim validate lists them) before\n\
         # running. Guide: docs/azure-import.md\n",
    );
    let _ = writeln!(
        out,
        "horizon = \"{HORIZON}\"  # capsim import's choice: how long to simulate\n"
    );
    let mut placeholders = 0;
    let computes: Vec<&Target> = imported
        .targets
        .iter()
        .filter(|t| t.section == Section::Compute)
        .collect();
    // Clusters a batch deployment runs on: named, but not among the files.
    let mut missing_clusters: Vec<(String, String)> = vec![];
    for t in &imported.targets {
        if t.kind == "batch"
            && let Some(f) = t.get("compute")
            && let Scalar::Str(c) = &f.value
            && !computes.iter().any(|k| k.name == *c)
            && !missing_clusters.iter().any(|(n, _)| n == c)
        {
            missing_clusters.push((c.clone(), f.origin.label()));
        }
    }
    let batch_clusters: Vec<String> = imported
        .targets
        .iter()
        .filter(|t| t.kind == "batch")
        .filter_map(|t| match t.get("compute").map(|f| &f.value) {
            Some(Scalar::Str(c)) => Some(c.clone()),
            _ => None,
        })
        .collect();
    for t in &imported.targets {
        placeholders += table(&mut out, t, &imported.notes);
    }
    for (name, label) in &missing_clusters {
        let _ = writeln!(
            out,
            "# PLACEHOLDER: the cluster the batch deployment runs on ({label}), whose YAML was not\n\
             # imported: fill these in, or import its YAML too (capsim import ... cluster.yml).\n\
             [[compute]]\n\
             name = {}\n\
             type = \"amlcompute\"\n\
             size = {}\n\
             max_instances = {}\n",
            toml_str(name),
            fill("the cluster's VM size, such as Standard_D4s_v3"),
            fill("the most nodes of the cluster, a number without quotes, such as 4"),
        );
        placeholders += 2;
    }
    for t in &imported.targets {
        placeholders += work(&mut out, t, &batch_clusters);
    }
    (out, placeholders)
}

/// One `[[compute]]` or `[[endpoint]]` table: its notes, its values, its placeholders.
fn table(out: &mut String, t: &Target, notes: &[Note]) -> usize {
    let sources: Vec<String> = t
        .sources
        .iter()
        .map(|(f, schema)| format!("{} ({schema})", f.display()))
        .collect();
    let _ = writeln!(out, "# {}: {}", t.name, sources.join(" and "));
    for n in notes
        .iter()
        .filter(|n| t.sources.iter().any(|(f, _)| *f == n.origin.file))
    {
        let _ = writeln!(out, "#   ignored: {}: {}", n.origin.label(), n.why);
    }
    let _ = writeln!(out, "[[{}]]", t.section.table());
    for f in &t.fields {
        let _ = writeln!(
            out,
            "{} = {}  # {}",
            f.dotted(),
            toml(&f.value),
            f.origin.label()
        );
    }
    for need in &t.needs {
        let _ = writeln!(
            out,
            "{} = {}  # not in Azure's YAML",
            need.path.join("."),
            fill(&need.what)
        );
    }
    out.push('\n');
    t.needs.len()
}

/// The placeholder work for a target: jobs for a cluster, requests for an online endpoint,
/// invocations for a batch endpoint. A cluster that serves a batch deployment gets none (the
/// deployment's invocations are its work).
fn work(out: &mut String, t: &Target, batch_clusters: &[String]) -> usize {
    let median = "the median, a duration such as 200ms or 20m";
    let p95 = "the 95th percentile, a duration";
    match (t.section, t.kind.as_str()) {
        (Section::Compute, _) if batch_clusters.contains(&t.name) => 0,
        (Section::Compute, _) => {
            let _ = writeln!(
                out,
                "# PLACEHOLDER: the jobs sent to {name} (Azure's YAML does not say what runs on it).\n\
                 [[workload]]\n\
                 name = {}\n\
                 compute = {}\n\
                 arrivals = {{ process = \"poisson\", rate_per_hour = {} }}\n\
                 duration = {{ dist = \"lognormal\", median = {}, p95 = {} }}\n",
                toml_str(&format!("{}-jobs", t.name)),
                toml_str(&t.name),
                fill("jobs per hour, a number without quotes, such as 2.0"),
                fill(&format!("{median} (job run time)")),
                fill(p95),
                name = t.name,
            );
            3
        }
        (Section::Endpoint, "batch") => {
            let _ = writeln!(
                out,
                "# PLACEHOLDER: how often {name} is invoked and with how much input.\n\
                 [[traffic]]\n\
                 name = {}\n\
                 endpoint = {}\n\
                 arrivals = {{ process = \"poisson\", rate_per_hour = {} }}\n\
                 files = {}\n\
                 time_per_file = {{ dist = \"lognormal\", median = {}, p95 = {} }}\n",
                toml_str(&format!("{}-invocations", t.name)),
                toml_str(&t.name),
                fill("invocations per hour, a number without quotes, such as 0.25"),
                fill("input files per invocation, a whole number without quotes, such as 1000"),
                fill(&format!("{median} (time to score one file)")),
                fill(p95),
                name = t.name,
            );
            4
        }
        (Section::Endpoint, _) => {
            let _ = writeln!(
                out,
                "# PLACEHOLDER: the requests {name} serves.\n\
                 [[traffic]]\n\
                 name = {}\n\
                 endpoint = {}\n\
                 arrivals = {{ process = \"poisson\", rate_per_second = {} }}\n\
                 service_time = {{ dist = \"lognormal\", median = {}, p95 = {} }}\n",
                toml_str(&format!("{}-requests", t.name)),
                toml_str(&t.name),
                fill("requests per second, a number without quotes, such as 20.0"),
                fill(&format!("{median} (time to score one request)")),
                fill(p95),
                name = t.name,
            );
            3
        }
    }
}
