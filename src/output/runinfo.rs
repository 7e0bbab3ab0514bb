//! `run.json`: how a result folder was made, so that any result can be traced and reproduced.
//!
//! Written into every output folder of `capsim run`, with the other files, at the commit (see
//! [`super::files`]): capsim's version, the scenario file and the SHA-256 of its text, seed,
//! replications, variants, threads, start and end times (UTC, RFC 3339), the command line, and
//! how the run ended (`complete`, or `interrupted` when it was stopped and wrote only what had
//! finished).
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
    /// SHA-256 of the scenario file's text, lowercase hex.
    pub scenario_sha256: String,
    pub seed: u64,
    /// Replications per variant.
    pub replications: u64,
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
            variants: 0,
            threads: 0,
            threads_used: 0,
            started_at: now_utc(),
            finished_at: None,
            command_line: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            note: None,
        }
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
        match std::fs::read(&path) {
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
