//! What the documentation shows is what capsim does.
//!
//! Pages checked: `README.md` and every `docs/*.md`. Each page is read alone, so each is checked
//! in its own temporary copy of the checkout's `scenarios/`, in page order: a file written by one
//! block (`file=`) or one command is there for the blocks and commands after it on that page.
//!
//! Fenced blocks, by the info string after the opening fence (the first word is the language,
//! which is all GitHub reads; the words after it are for this test):
//!
//! - ` ```toml ` — a complete scenario: `capsim validate --deny-warnings` must accept it.
//! - ` ```toml fragment ` — part of a scenario (a `[[compute]]` table, a `[sweep]`, ...): it is
//!   merged into [`FRAGMENT_BASE`], a minimal scenario with a cluster, a workload, an online
//!   endpoint and its traffic, by TOML's own rules — a top-level key replaces the base's, a
//!   `[[x]]` entry is added (or replaces the base entry of the same `name`), a `[x.y]` table
//!   applies to the last `[[x]]` — and the result is validated.
//! - ` fragment=PATH ` — the same, merged into the scenario at PATH that the page wrote earlier
//!   (with `file=PATH`) instead of the minimal one, and validated beside it.
//! - ` warns ` (with either of the above) — the scenario is valid but prints warnings, and must
//!   print at least one; without it a warning fails the test.
//! - ` invalid ` — a scenario shown for its error: `capsim validate` must refuse it (exit 2).
//! - ` file=PATH ` (any language) — the block is also written to PATH, relative to the copy of
//!   the checkout, for the commands after it (a scenario a page goes on to run, a price list).
//! - ` not-validated: REASON ` — a toml block that cannot be validated, and why. At most
//!   [`MAX_NOT_VALIDATED`] blocks in all may say so.
//!
//! Commands: in ` ```sh ` blocks every line (a trailing `\` continues it) is a command; in
//! ` ```console ` blocks lines starting with `$ ` are commands and the lines after one are what it
//! prints. A command that invokes capsim (`capsim ...`, also inside a loop or after `;`,
//! `cargo run --release -- ...`, or a wrapper script of [`CAPSIM_WRAPPERS`]) is run by `sh` with
//! `capsim` being the binary under test; the commands of [`RUN_TOO`] are run too (pages use them
//! to set up and compare files); those of [`SHOWN_ONLY`] (installing Rust, `cargo test`, ...)
//! are not run. Any other command fails the
//! test, so a new kind of command is a decision, not an accident. Every command must exit 0,
//! unless its block says `exit=N`; a console block that shows an `error:` must say `exit=N`. In a
//! console block each line shown after a command must appear in what it printed (stdout and
//! stderr together), in the order shown; a shown line ending in `...` matches a line starting
//! with what comes before the dots, and a line of just `...` stands for lines left out.
//!
//! Links: every relative link and image of the pages must name a file of the checkout, and a
//! `#fragment` a heading of that page (GitHub's anchors).
//!
//! Examples: `output/examples/{quickstart,min-nodes,endpoint,sizing}/` hold the report of a
//! bundled scenario (`report.html`, `report.md`, `charts/`). [`examples_are_current`] writes
//! them again into a temporary folder, with [`EXAMPLES_START_DATE`] pinned so the retirement
//! checks and the report do not move with the calendar, and fails when any file differs, is
//! missing or is extra. `CAPSIM_UPDATE_EXAMPLES=1 cargo test --profile checked --test it docs::examples` writes them
//! instead. The `report.png` of quickstart and min-nodes is a headless Chromium screenshot of
//! `report.html`, which a machine without Chromium cannot take and which no two Chromium
//! versions draw byte for byte alike: the check covers it through `screenshot-source.sha256`,
//! the SHA-256 of the `report.html` it was taken of, which must be today's. The update takes
//! the screenshots when `chromium` is on the PATH and fails, after writing everything else,
//! when it is not.

use crate::support::{capsim_path, repo};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pages below this many mean the docs folder was not found whole.
const MIN_DOC_PAGES: usize = 10;
/// A check that found less than this would pass by finding nothing.
const MIN_TOML_BLOCKS: usize = 20;
const MIN_CAPSIM_COMMANDS: usize = 15;
const MAX_NOT_VALIDATED: usize = 2;

/// Commands pages show but this test does not run: installing, building and testing capsim
/// itself, and the batch systems of `scenarios/shards/`.
const SHOWN_ONLY: &[&str] = &[
    "cargo",
    "curl",
    "rustup",
    "git",
    "apt-get",
    "sudo",
    "tests/report_browser.sh",
    "kubectl",
    "sbatch",
    "az",
];
/// Commands run to set up files for the commands after them, or to compare what they wrote.
const RUN_TOO: &[&str] = &["cp", "mkdir", "ls", "cat", "head", "cmp", "diff"];
/// Scripts that run capsim (the `capsim` on the PATH): run like capsim commands.
const CAPSIM_WRAPPERS: &[&str] = &["scenarios/shards/shard.sh", "scenarios/shards/merge.sh"];

/// The scenario a `toml fragment` is merged into.
const FRAGMENT_BASE: &str = r#"
name = "fragment"
horizon = "1d"
replications = 2
seed = 1

[[compute]]
name = "gpu-cluster"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
max_instances = 8

[[workload]]
name = "training"
compute = "gpu-cluster"
arrivals = { process = "poisson", rate_per_hour = 3.0 }
duration = { dist = "lognormal", median = "40m", p95 = "3h" }

[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F8s_v2"
instance_count = 3

[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_second = 20.0 }
service_time = { dist = "exponential", mean = "200ms" }
"#;

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// README.md and docs/*.md, the README first.
fn pages() -> Vec<PathBuf> {
    let readme = repo().join("README.md");
    assert!(readme.is_file(), "{} is missing", readme.display());
    let docs = repo().join("docs");
    let mut pages: Vec<PathBuf> = fs::read_dir(&docs)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", docs.display()))
        .map(|e| e.expect("a readable docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    assert!(
        pages.len() >= MIN_DOC_PAGES,
        "docs/ has {} pages, expected at least {MIN_DOC_PAGES}",
        pages.len()
    );
    pages.insert(0, readme);
    pages
}

fn rel(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Fenced blocks

#[derive(Debug, Default)]
struct Info {
    fragment: bool,
    /// `fragment=PATH`: the page's file the fragment completes.
    fragment_of: Option<String>,
    warns: bool,
    invalid: bool,
    file: Option<String>,
    exit: Option<i32>,
    not_validated: Option<String>,
}

#[derive(Debug)]
struct Block {
    /// "README.md:12": where the opening fence is.
    place: String,
    lang: String,
    info: Info,
    body: String,
}

fn parse_info(place: &str, words: &str) -> Info {
    let mut info = Info::default();
    let (words, reason) = match words.split_once("not-validated:") {
        Some((before, reason)) => (before, Some(reason.trim().to_string())),
        None => (words, None),
    };
    if let Some(reason) = reason {
        assert!(!reason.is_empty(), "{place}: `not-validated:` must say why");
        info.not_validated = Some(reason);
    }
    for w in words.split_whitespace() {
        if w == "fragment" {
            info.fragment = true;
        } else if let Some(f) = w.strip_prefix("fragment=") {
            info.fragment = true;
            info.fragment_of = Some(f.to_string());
        } else if w == "warns" {
            info.warns = true;
        } else if w == "invalid" {
            info.invalid = true;
        } else if let Some(f) = w.strip_prefix("file=") {
            info.file = Some(f.to_string());
        } else if let Some(n) = w.strip_prefix("exit=") {
            info.exit = Some(
                n.parse()
                    .unwrap_or_else(|_| panic!("{place}: `exit=` takes a number, got {n}")),
            );
        } else {
            panic!("{place}: unknown word `{w}` in a fence's info string (see tests/it/docs.rs)");
        }
    }
    info
}

/// The fenced code blocks of a page (``` or ~~~, indented ones inside list items too).
fn blocks(page: &Path) -> Vec<Block> {
    let text = read(page);
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        let ch = match t.chars().next() {
            Some(c @ ('`' | '~')) => c,
            _ => continue,
        };
        let fence_len = t.chars().take_while(|&c| c == ch).count();
        if fence_len < 3 {
            continue;
        }
        let place = format!("{}:{}", rel(page), i + 1);
        let info_str = t[fence_len..].trim();
        let (lang, words) = info_str.split_once(' ').unwrap_or((info_str, ""));
        let info = parse_info(&place, words);
        let mut body = String::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            let lt = l.trim_start();
            if lt.starts_with(&ch.to_string().repeat(fence_len))
                && lt.trim_start_matches(ch).trim().is_empty()
            {
                closed = true;
                break;
            }
            let strip = (l.len() - lt.len()).min(indent);
            body.push_str(&l[strip..]);
            body.push('\n');
        }
        assert!(closed, "{place}: the code block is never closed");
        out.push(Block {
            place,
            lang: lang.to_string(),
            info,
            body,
        });
    }
    out
}

/// A temporary copy of what the pages' commands need: `scenarios/`, and a `bin/capsim` link
/// to the binary under test.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        copy_dir(&repo().join("scenarios"), &dir.path().join("scenarios"));
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(capsim_path(), bin.join("capsim")).unwrap();
        Checkout { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, place: &str, file: &str, body: &str) {
        let path = self.path().join(file);
        assert!(
            !file.starts_with('/') && !file.contains(".."),
            "{place}: file={file} must be a path inside the checkout"
        );
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, body).unwrap();
    }

    /// Runs `sh -c COMMAND` with `capsim` on the PATH; exit code and stdout+stderr interleaved.
    fn sh(&self, command: &str) -> (i32, String) {
        let path = format!(
            "{}:{}",
            self.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{{ {command}\n}} 2>&1"))
            .current_dir(self.path())
            .env("PATH", path)
            // Pages are checked as of the examples' date: their sizes' retirement dates must
            // not decide whether a documented command works (the suite runs in 2029 too).
            .env("CAPSIM_TODAY", EXAMPLES_START_DATE)
            .env_remove("CAPSIM_UPDATE_EXAMPLES")
            .output()
            .expect("sh runs");
        let code = out.status.code().unwrap_or(-1);
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (code, text)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `check` on every page in its own thread, and fails with every page's failures at once.
fn each_page<T: Send>(check: impl Fn(&Path, &mut Vec<String>) -> T + Sync) -> Vec<T> {
    let pages = pages();
    let results: Vec<(T, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = pages
            .iter()
            .map(|page| {
                let check = &check;
                s.spawn(move || {
                    let mut failures = Vec::new();
                    let t = check(page, &mut failures);
                    (t, failures)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a page's check panicked"))
            .collect()
    });
    let failures: Vec<String> = results.iter().flat_map(|(_, f)| f.clone()).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    results.into_iter().map(|(t, _)| t).collect()
}

// ---------------------------------------------------------------------------------------------
// TOML blocks

/// The fragment merged into `base` by TOML's rules (see the module's docs).
fn complete(place: &str, base: &str, fragment: &str) -> String {
    let mut base: toml::Table =
        toml::from_str(base).unwrap_or_else(|e| panic!("{place}: the base is not TOML: {e}"));
    let fragment: toml::Table = toml::from_str(fragment)
        .unwrap_or_else(|e| panic!("{place}: the fragment is not TOML: {e}"));
    merge(&mut base, fragment);
    toml::to_string(&base).expect("a table serializes")
}

fn merge(base: &mut toml::Table, fragment: toml::Table) {
    use toml::Value;
    for (key, value) in fragment {
        match (base.get_mut(&key), value) {
            (Some(Value::Array(entries)), Value::Array(new)) => {
                for n in new {
                    let name = n.get("name").cloned();
                    match entries
                        .iter_mut()
                        .find(|e| name.is_some() && e.get("name") == name.as_ref())
                    {
                        Some(e) => *e = n,
                        None => entries.push(n),
                    }
                }
            }
            (Some(Value::Array(entries)), Value::Table(t)) => match entries.last_mut() {
                Some(Value::Table(last)) => merge(last, t),
                _ => panic!("`[{key}.…]` needs a `[[{key}]]` before it"),
            },
            (Some(Value::Table(b)), Value::Table(t)) => merge(b, t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[derive(Default)]
struct TomlCounts {
    complete: usize,
    fragments: usize,
    warns: usize,
    invalid: usize,
    not_validated: Vec<String>,
}

#[test]
fn toml_blocks_are_valid_scenarios() {
    let counts = each_page(|page, failures| {
        let checkout = Checkout::new();
        let mut counts = TomlCounts::default();
        for (n, block) in blocks(page).into_iter().enumerate() {
            if let Some(file) = &block.info.file {
                checkout.write(&block.place, file, &block.body);
            }
            if block.lang != "toml" {
                continue;
            }
            if let Some(reason) = &block.info.not_validated {
                counts
                    .not_validated
                    .push(format!("{}: {reason}", block.place));
                continue;
            }
            let text = if block.info.fragment {
                counts.fragments += 1;
                let base = match &block.info.fragment_of {
                    Some(f) => read(&checkout.path().join(f)),
                    None => FRAGMENT_BASE.to_string(),
                };
                complete(&block.place, &base, &block.body)
            } else {
                counts.complete += 1;
                block.body.clone()
            };
            counts.warns += usize::from(block.info.warns);
            // Beside the bundled scenarios, so paths relative to the file (`traces/...`) work;
            // a block with `file=` is validated where it was written.
            let file = match (&block.info.file, &block.info.fragment_of) {
                (Some(f), None) if !block.info.fragment => f.clone(),
                (_, of) => {
                    let dir = match of.as_deref().and_then(|f| Path::new(f).parent()) {
                        Some(d) => d.to_path_buf(),
                        None => PathBuf::from("scenarios"),
                    };
                    let f = dir
                        .join(format!("docs-block-{n}.toml"))
                        .display()
                        .to_string();
                    checkout.write(&block.place, &f, &text);
                    f
                }
            };
            let deny = if block.info.warns || block.info.invalid {
                ""
            } else {
                " --deny-warnings"
            };
            let (code, output) = checkout.sh(&format!("capsim validate {file}{deny}"));
            let warned = output.contains("warning");
            counts.invalid += usize::from(block.info.invalid);
            let problem = if block.info.invalid {
                (code != 2).then(|| {
                    format!("marked `invalid`, but `capsim validate` exited {code} (not 2)")
                })
            } else if code != 0 {
                Some(format!("`capsim validate` exited {code}"))
            } else if block.info.warns && !warned {
                Some("marked `warns`, but printed no warning".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                failures.push(format!(
                    "{}: {problem}:\n{output}\nThe scenario validated:\n{}",
                    block.place,
                    numbered(&text)
                ));
            }
        }
        counts
    });
    let complete: usize = counts.iter().map(|c| c.complete).sum();
    let fragments: usize = counts.iter().map(|c| c.fragments).sum();
    let warns: usize = counts.iter().map(|c| c.warns).sum();
    let invalid: usize = counts.iter().map(|c| c.invalid).sum();
    let not_validated: Vec<&String> = counts.iter().flat_map(|c| &c.not_validated).collect();
    let total = complete + fragments + not_validated.len();
    println!(
        "{total} toml blocks: {complete} complete scenarios and {fragments} fragments validated \
         ({warns} with warnings, {invalid} refused as they should be), {} not validated",
        not_validated.len()
    );
    for n in &not_validated {
        println!("  not validated: {n}");
    }
    assert!(
        complete + fragments >= MIN_TOML_BLOCKS,
        "only {} toml blocks validated: were the pages found?",
        complete + fragments
    );
    assert!(
        not_validated.len() <= MAX_NOT_VALIDATED,
        "{} toml blocks are `not-validated` (at most {MAX_NOT_VALIDATED}): {not_validated:#?}",
        not_validated.len()
    );
}

fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4}  {l}\n", i + 1))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Commands

/// A command and what the page shows it printing.
struct Shown {
    command: String,
    output: Vec<String>,
}

/// Commands of a sh or console block, continuation lines joined.
fn commands(block: &Block) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    let mut lines = block.body.lines();
    while let Some(line) = lines.next() {
        let command = match block.lang.as_str() {
            "sh" => {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                t.to_string()
            }
            _ => match line.strip_prefix("$ ") {
                Some(c) => c.trim().to_string(),
                None => {
                    match out.last_mut() {
                        Some(last) => last.output.push(line.trim_end().to_string()),
                        None => panic!(
                            "{}: the console block shows output before any `$ ` command",
                            block.place
                        ),
                    }
                    continue;
                }
            },
        };
        let mut command = command;
        while command.ends_with('\\') {
            command.pop();
            match lines.next() {
                Some(next) => command.push_str(next.trim()),
                None => break,
            }
        }
        out.push(Shown {
            command,
            output: Vec::new(),
        });
    }
    out
}

enum Kind {
    Capsim,
    Setup,
    ShownOnly,
}

fn kind(place: &str, command: &str) -> Kind {
    let words: Vec<&str> = command.split_whitespace().collect();
    // The program, after any NAME=value assignments.
    let program = words
        .iter()
        .find(|w| {
            !w.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
        .copied()
        .unwrap_or("");
    if words.contains(&"capsim")
        || command.contains("cargo run --release --")
        || CAPSIM_WRAPPERS.contains(&program)
    {
        return Kind::Capsim;
    }
    assert!(
        !command.contains("cargo run"),
        "{place}: write `cargo run --release -- ...` (the test runs that form): {command}"
    );
    if RUN_TOO.contains(&program) {
        Kind::Setup
    } else if SHOWN_ONLY.contains(&program) {
        Kind::ShownOnly
    } else {
        panic!(
            "{place}: `{command}`: the test neither runs nor skips `{program}`; add it to RUN_TOO \
             or SHOWN_ONLY in tests/it/docs.rs"
        )
    }
}

/// Whether every shown line appears in `actual`, in order; the first shown line that does not.
fn first_missing<'a>(shown: &'a [String], actual: &str) -> Option<&'a str> {
    let mut actual = actual.lines().map(str::trim_end);
    for want in shown {
        let want = want.trim_end();
        if want.is_empty() || want == "..." || want == "…" {
            continue;
        }
        let prefix = want
            .strip_suffix("...")
            .or_else(|| want.strip_suffix('…'))
            .map(str::trim_end);
        let found = actual.any(|line| match prefix {
            Some(p) => line.starts_with(p),
            None => line == want,
        });
        if !found {
            return Some(want);
        }
    }
    None
}

#[test]
fn commands_run_as_documented() {
    let counts = each_page(|page, failures| {
        let checkout = Checkout::new();
        let (mut capsim, mut setup, mut shown_only) = (0, 0, 0);
        for block in blocks(page) {
            if let Some(file) = &block.info.file {
                checkout.write(&block.place, file, &block.body);
            }
            if block.lang != "sh" && block.lang != "console" {
                continue;
            }
            let shows_error = block.body.lines().any(|l| l.contains("error:"));
            if block.lang == "console" && shows_error && block.info.exit.is_none() {
                failures.push(format!(
                    "{}: the block shows an error: say the exit code it expects with `exit=N`",
                    block.place
                ));
            }
            for shown in commands(&block) {
                let expected = match kind(&block.place, &shown.command) {
                    Kind::ShownOnly => {
                        shown_only += 1;
                        continue;
                    }
                    Kind::Setup => {
                        setup += 1;
                        0
                    }
                    Kind::Capsim => {
                        capsim += 1;
                        block.info.exit.unwrap_or(0)
                    }
                };
                let command = shown.command.replace("cargo run --release --", "capsim");
                let (code, output) = checkout.sh(&command);
                if code != expected {
                    failures.push(format!(
                        "{}: `{}` exited {code}, the page says {expected}:\n{output}",
                        block.place, shown.command
                    ));
                } else if let Some(missing) = first_missing(&shown.output, &output) {
                    failures.push(format!(
                        "{}: `{}` did not print, in the order shown:\n  {missing}\nIt printed:\n{output}",
                        block.place, shown.command
                    ));
                }
            }
        }
        (capsim, setup, shown_only)
    });
    let capsim: usize = counts.iter().map(|c| c.0).sum();
    let setup: usize = counts.iter().map(|c| c.1).sum();
    let shown_only: usize = counts.iter().map(|c| c.2).sum();
    println!(
        "{capsim} capsim commands and {setup} setup commands run; {shown_only} commands shown only"
    );
    assert!(
        capsim >= MIN_CAPSIM_COMMANDS,
        "only {capsim} capsim commands found: were the pages found?"
    );
}

// ---------------------------------------------------------------------------------------------
// Links

/// GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens,
/// `-1`, `-2` ... after repeats.
fn anchors(page: &Path) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut in_fence = false;
    for line in read(page).lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// `(line, target)` of every inline link and image outside code.
fn links(page: &Path) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (i, line) in read(page).lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Code spans are the odd-numbered pieces between backticks.
        for (k, piece) in line.split('`').enumerate() {
            if k % 2 == 1 {
                continue;
            }
            let mut rest = piece;
            while let Some(at) = rest.find("](") {
                let after = &rest[at + 2..];
                let Some(end) = after.find(')') else { break };
                out.push((i + 1, after[..end].trim().to_string()));
                rest = &after[end..];
            }
        }
    }
    out
}

#[test]
fn links_resolve() {
    let pages = pages();
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in &pages {
        for (line, target) in links(page) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let place = format!("{}:{line}", rel(page));
            let relative = rel(&path.canonicalize().unwrap_or(path.clone()));
            if !path.exists() {
                failures.push(format!("{place}: {target}: no such file"));
                continue;
            }
            if !fragment.is_empty() && !anchors(&path).contains(fragment) {
                failures.push(format!(
                    "{place}: {target}: no heading `#{fragment}` in {relative}"
                ));
            }
        }
    }
    println!("{checked} relative links checked");
    assert!(checked > 0, "no links found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Example reports

/// The calendar date of time zero in the examples (`--set start_date=...`): without it the
/// retirement checks and the report's assumptions would follow the day they are written.
const EXAMPLES_START_DATE: &str = "2026-11-27";

struct Example {
    name: &'static str,
    /// The command, before `--out`, `--quiet`, `--report` and the start date.
    args: &'static [&'static str],
    /// Whether `report.png`, a screenshot of `report.html`, goes with it.
    screenshot: bool,
}

const EXAMPLES: &[Example] = &[
    Example {
        name: "quickstart",
        args: &["run", "scenarios/quickstart.toml"],
        screenshot: true,
    },
    Example {
        name: "min-nodes",
        args: &["run", "scenarios/min-nodes.toml"],
        screenshot: true,
    },
    Example {
        name: "endpoint",
        args: &["run", "scenarios/endpoint.toml"],
        screenshot: false,
    },
    Example {
        name: "sizing",
        args: &["size", "scenarios/sizing.toml"],
        screenshot: false,
    },
];

const SCREENSHOT: &str = "report.png";
const SCREENSHOT_SOURCE: &str = "screenshot-source.sha256";

/// The files of an example folder that capsim writes: report.html, report.md, charts/*.
fn report_files(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    for name in ["report.html", "report.md"] {
        if dir.join(name).is_file() {
            files.insert(name.to_string());
        }
    }
    if let Ok(entries) = fs::read_dir(dir.join("charts")) {
        for e in entries {
            files.insert(format!(
                "charts/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    files
}

fn sha256_line(html: &[u8]) -> String {
    let digest = Sha256::digest(html);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}  report.html\n")
}

fn generate(example: &Example, out: &Path) {
    let status = Command::new(capsim_path())
        .args(example.args)
        .args(["--set", &format!("start_date={EXAMPLES_START_DATE}")])
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--report"])
        .current_dir(repo())
        .status()
        .expect("capsim runs");
    assert!(
        status.success(),
        "capsim {} exited with {status}",
        example.args.join(" ")
    );
}

fn screenshot(html: &Path, png: &Path) -> Result<(), String> {
    let profile = tempfile::tempdir().expect("a temporary folder");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,4000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .map_err(|e| format!("chromium: {e} (install it: apt-get install chromium)"))?;
    if !out.status.success() || !png.is_file() {
        return Err(format!(
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

#[test]
fn examples_are_current() {
    let update = std::env::var_os("CAPSIM_UPDATE_EXAMPLES").is_some_and(|v| v == "1");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    std::thread::scope(|s| {
        for example in EXAMPLES {
            let out = tmp.path().join(example.name);
            s.spawn(move || generate(example, &out));
        }
    });
    let mut failures = Vec::new();
    for example in EXAMPLES {
        let fresh = tmp.path().join(example.name);
        let committed = repo().join("output/examples").join(example.name);
        let files = report_files(&fresh);
        assert!(
            files.contains("report.html") && files.contains("report.md"),
            "capsim wrote no report for {}: {files:?}",
            example.name
        );
        if update {
            for old in report_files(&committed) {
                fs::remove_file(committed.join(old)).unwrap();
            }
            for f in &files {
                let to = committed.join(f);
                fs::create_dir_all(to.parent().unwrap()).unwrap();
                fs::copy(fresh.join(f), &to).unwrap();
            }
            if example.screenshot {
                let html = committed.join("report.html");
                match screenshot(&html, &committed.join(SCREENSHOT)) {
                    Ok(()) => fs::write(
                        committed.join(SCREENSHOT_SOURCE),
                        sha256_line(&fs::read(&html).unwrap()),
                    )
                    .unwrap(),
                    Err(e) => {
                        failures.push(format!("{}: report.png not retaken: {e}", example.name))
                    }
                }
            }
            continue;
        }
        assert!(
            committed.is_dir(),
            "{} is missing: write it with CAPSIM_UPDATE_EXAMPLES=1 cargo test --profile checked --test it docs::examples",
            committed.display()
        );
        let old = report_files(&committed);
        for f in files.symmetric_difference(&old) {
            let which = if files.contains(f) {
                "missing"
            } else {
                "extra"
            };
            failures.push(format!("output/examples/{}/{f}: {which}", example.name));
        }
        for f in files.intersection(&old) {
            if fs::read(fresh.join(f)).unwrap() != fs::read(committed.join(f)).unwrap() {
                failures.push(format!("output/examples/{}/{f}: differs", example.name));
            }
        }
        if example.screenshot {
            let png = committed.join(SCREENSHOT);
            let is_png = fs::read(&png).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"));
            if !is_png {
                failures.push(format!(
                    "output/examples/{}/{SCREENSHOT}: missing or not a PNG",
                    example.name
                ));
            }
            let source = fs::read_to_string(committed.join(SCREENSHOT_SOURCE)).unwrap_or_default();
            let html = fs::read(fresh.join("report.html")).unwrap();
            if source != sha256_line(&html) {
                failures.push(format!(
                    "output/examples/{}/{SCREENSHOT}: taken of another report.html than today's \
                     ({SCREENSHOT_SOURCE})",
                    example.name
                ));
            }
        }
    }
    if update {
        assert!(
            failures.is_empty(),
            "the reports are written, but not every screenshot:\n  {}",
            failures.join("\n  ")
        );
        return;
    }
    assert!(
        failures.is_empty(),
        "the example reports are stale:\n  {}\nWrite them again with \
         `CAPSIM_UPDATE_EXAMPLES=1 cargo test --profile checked --test it docs::examples` (needs chromium for the \
         screenshots), check the difference with `git diff output/examples`, and commit them.",
        failures.join("\n  ")
    );
}
