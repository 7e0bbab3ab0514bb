//! `run.json`: how a result folder was made, so that any result can be traced and reproduced.
//!
//! Written into every output folder of `capsim run`, with the other files, at the commit (see
//! [`super::files`]): capsim's version, the scenario file and the SHA-256 of its text, seed,
//! replications, variants, threads, start and end times (UTC, RFC 3339), the command line, how
//! the run ended (`complete`, or `interrupted` when it was stopped and wrote only what had
//! finished), and what the report states about the scenario ([`ScenarioFacts`]: its goal, each
//! target's provisioning time, the options a rerun needs), so that the report never has to
//! read the scenario file.
//!
//! ```
//! use capsim::output::runinfo::{RunInfo, Status};
//! let mut info = RunInfo::start("quickstart.toml".as_ref(), "name = \"q\"\n");
//! info.seed = 42;
//! info.finish(Status::Complete);
//! let back = RunInfo::from_json(&info.to_json()).unwrap();
//! assert_eq!(back.status, Status::Complete);
//! assert_eq!(back.scenario_sha256.len(), 64);
//! ```

use crate::engine::time::to_secs_f64;
use crate::scenario::sweep::{Goal, Plan};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The file's name in an output folder.
pub const FILE_NAME: &str = "run.json";

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every replication of every variant ran.
    Complete,
    /// Stopped (Ctrl-C) before the end: the folder holds only what had finished.
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Interrupted => "interrupted",
        }
    }
}

/// The content of `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub capsim_version: String,
    pub status: Status,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// SHA-256 of the scenario as run (the file with the command line's edits, as
    /// `scenario.toml` holds it), lowercase hex.
    pub scenario_sha256: String,
    pub seed: u64,
    /// Replications per variant (variant 0's under `replications = "auto"`).
    pub replications: u64,
    /// `replications = "auto"` only: the replications each variant ended with, in variant
    /// order (they differ: the procedure adds them where the answer is open).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replications_by_variant: Vec<u64>,
    pub variants: usize,
    /// Worker threads asked for (`--threads`; 0 = every core).
    pub threads: usize,
    /// Worker threads that ran.
    pub threads_used: usize,
    /// UTC, RFC 3339.
    pub started_at: String,
    /// UTC, RFC 3339; `None` while running.
    pub finished_at: Option<String>,
    /// The program's arguments, the program first.
    pub command_line: Vec<String>,
    /// What was left out when the run did not complete, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the report states about the scenario; `None` in the `run.json` of a capsim before
    /// this field, whose reports say those things are unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioFacts>,
    /// A sweep with a `[goal]`: the verdict per target the goal judges, as the terminal printed
    /// it, for the report to print the same (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<crate::sweep::verdict::Decision>,
    /// A sweep with a `[goal]` and a recommendation: the recommended variant, whose
    /// replication 0 `timeseries.csv` then holds (variant 0's otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries_variant: Option<usize>,
}

/// The scenario as the run simulated it (its first variant, command-line options applied), in
/// the terms the report states it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioFacts {
    /// The scenario's `description`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Simulated time per replication, warm-up included, seconds.
    pub horizon_s: f64,
    pub warmup_s: f64,
    /// `warmup = "auto"`: the warm-up is chosen by MSER-5 before the run (`warmup_s` is 0).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warmup_auto: bool,
    /// The `[goal]`; `None` when the scenario sets none.
    pub goal: Option<Goal>,
    /// Every target, in the scenario's order.
    pub targets: Vec<TargetFacts>,
    /// What every workload and traffic stream offers its target (mean duration, offered load),
    /// in the scenario's order: workloads, then traffic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<super::offered::WorkloadFacts>,
}

/// One target, as the report's assumptions state it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetFacts {
    pub name: String,
    /// Its `type`, as in `summary.csv`'s `target_type`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its `provisioning_time` as its `[[compute]]` table writes it (`lognormal, median 4m, p95
    /// 8m`); `None` when the table sets none (capsim's default applies) or the target is not
    /// a `[[compute]]` table.
    pub provisioning_time: Option<String>,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The current time, UTC, RFC 3339 with milliseconds.
pub fn now_utc() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    chrono::DateTime::from_timestamp(now.as_secs() as i64, now.subsec_nanos())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl RunInfo {
    /// A run starting now on `scenario_file`, whose text is `scenario_text`; the caller fills in
    /// seed, replications, variants and threads.
    pub fn start(scenario_file: &Path, scenario_text: &str) -> RunInfo {
        RunInfo {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            status: Status::Interrupted,
            scenario_file: scenario_file.display().to_string(),
            scenario_sha256: sha256_hex(scenario_text.as_bytes()),
            seed: 0,
            replications: 0,
            replications_by_variant: vec![],
            variants: 0,
            threads: 0,
            threads_used: 0,
            started_at: now_utc(),
            finished_at: None,
            command_line: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            note: None,
            scenario: None,
            verdicts: vec![],
            timeseries_variant: None,
        }
    }

    /// Records what the report states about `plan`'s scenario: call it with the plan as run
    /// (command-line options applied).
    pub fn describe(&mut self, plan: &Plan) {
        let Some(first) = plan.variants.first() else {
            return;
        };
        let s = &first.scenario;
        let written = crate::scenario::written::written(&s.source);
        let horizon_s = to_secs_f64(s.system.horizon);
        let targets = s
            .system
            .targets
            .iter()
            .map(|t| TargetFacts {
                name: t.name.clone(),
                type_name: t.type_name().to_string(),
                provisioning_time: written
                    .provisioning_time
                    .iter()
                    .find(|(name, _)| *name == t.name)
                    .map(|(_, text)| text.clone()),
            })
            .collect();
        self.scenario = Some(ScenarioFacts {
            description: written.description,
            horizon_s,
            warmup_s: to_secs_f64(s.system.warmup),
            warmup_auto: s.system.warmup_auto,
            goal: plan.goal.clone(),
            targets,
            workloads: super::offered::facts(&s.system),
        });
    }

    /// Records the end: now, with `status`.
    pub fn finish(&mut self, status: Status) {
        self.status = status;
        self.finished_at = Some(now_utc());
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("RunInfo serialises");
        v.push(b'\n');
        v
    }

    pub fn from_json(bytes: &[u8]) -> serde_json::Result<RunInfo> {
        serde_json::from_slice(bytes)
    }

    /// Reads `dir/run.json`: `Ok(None)` when there is none (a folder of an older capsim).
    pub fn read(dir: &Path) -> Result<Option<RunInfo>, String> {
        let path = dir.join(FILE_NAME);
        match crate::text::input::read(&path, crate::text::input::OUTPUT) {
            Ok(bytes) => RunInfo::from_json(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vectors() {
        // FIPS 180-2 examples.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_run_json_without_the_scenario_facts_still_reads() {
        // What capsim wrote before `scenario` was recorded.
        let old = r#"{
  "capsim_version": "0.1.0",
  "status": "complete",
  "scenario_file": "scenarios/quickstart.toml",
  "scenario_sha256": "bd84b319a3d727feb2351b9249e11ef3bfe6d98e14bf9c16c6469dbe07bea216",
  "seed": 42,
  "replications": 10,
  "variants": 1,
  "threads": 0,
  "threads_used": 2,
  "started_at": "2026-12-03T08:14:22.154Z",
  "finished_at": "2026-12-03T08:14:22.185Z",
  "command_line": ["capsim", "run", "scenarios/quickstart.toml"]
}"#;
        let info = RunInfo::from_json(old.as_bytes()).unwrap();
        assert_eq!(info.scenario, None);
        assert_eq!(info.seed, 42);
    }

    #[test]
    fn describe_records_goal_targets_and_provisioning_times() {
        let text = "name = \"t\"\nhorizon = \"2d\"\nwarmup = \"1h\"\nseed = 3\nreplications = 2\n\
             [[compute]]\nname = \"c\"\ntype = \"amlcompute\"\nsize = \"Standard_NC4as_T4_v3\"\n\
             max_instances = 2\nprovisioning_time = { dist = \"constant\", value = \"90s\" }\n\
             [[compute]]\nname = \"d\"\ntype = \"amlcompute\"\nsize = \"Standard_NC4as_T4_v3\"\n\
             max_instances = 2\n\
             [[workload]]\nname = \"w\"\ncompute = \"c\"\n\
             arrivals = { process = \"poisson\", rate_per_hour = 1.0 }\n\
             duration = { dist = \"constant\", value = \"1h\" }\n\
             [goal]\nwait_p95 = \"5m\"\n";
        let options = crate::scenario::LoadOptions {
            today: Some(20_000),
            prices_file: None,
        };
        let plan = crate::scenario::sweep::load_plan(Path::new("t.toml"), text, &options, &[], &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut info = RunInfo::start(Path::new("t.toml"), text);
        info.describe(&plan);
        let facts = info.scenario.clone().unwrap();
        assert_eq!(facts.horizon_s, 2.0 * 86_400.0);
        assert_eq!(facts.warmup_s, 3600.0);
        assert_eq!(facts.goal.unwrap().wait_p95_s, Some(300.0));
        assert_eq!(facts.targets.len(), 2);
        assert_eq!(facts.targets[0].type_name, "amlcompute");
        assert_eq!(
            facts.targets[0].provisioning_time.as_deref(),
            Some("constant, value 90s")
        );
        assert_eq!(facts.targets[1].provisioning_time, None);
        let back = RunInfo::from_json(&info.to_json()).unwrap();
        assert_eq!(back, info);
    }

    #[test]
    fn docs_outputs_md_names_every_field() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/outputs.md");
        let docs = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let start = docs.find("## `run.json`").expect("a section on run.json");
        let section = &docs[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        let mut info = RunInfo::start(Path::new("s.toml"), "x");
        info.finish(Status::Complete);
        info.note = Some("n".into());
        info.scenario = Some(ScenarioFacts {
            description: Some("d".into()),
            goal: Some(Goal::default()),
            targets: vec![TargetFacts::default()],
            ..ScenarioFacts::default()
        });
        fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, x) in m {
                        out.push(k.clone());
                        keys(x, out);
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
                _ => {}
            }
        }
        let mut all = vec![];
        keys(&serde_json::to_value(&info).unwrap(), &mut all);
        for k in all {
            assert!(
                section.contains(&format!("`{k}`")),
                "{path} does not document `{k}` of run.json"
            );
        }
    }

    #[test]
    fn status_is_written_in_lowercase_and_read_back() {
        let mut info = RunInfo::start(Path::new("s.toml"), "x");
        info.finish(Status::Interrupted);
        let text = String::from_utf8(info.to_json()).unwrap();
        assert!(text.contains("\"status\": \"interrupted\""), "{text}");
        assert_eq!(RunInfo::from_json(text.as_bytes()).unwrap(), info);
        let finished = info.finished_at.unwrap();
        // 2026-11-27T07:30:00.123Z
        assert_eq!(finished.len(), 24, "{finished}");
        assert!(finished.ends_with('Z'));
    }
}
