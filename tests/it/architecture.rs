//! The layering of `src/`: lower modules never import higher ones. Every `use crate::…` and
//! every `crate::x::` path in code (not in comments, doc comments or strings) of a file under
//! `src/` names the top module it reaches, and these rules hold:
//!
//! - nothing imports `cli` but `src/main.rs` and `cli` itself;
//! - `engine` and `text` import nothing of the crate;
//! - `targets` and `workload` import neither `scenario` nor `output`;
//! - `scenario` imports no `output`, `sizing` or `report`.
//!
//! `super::` paths are not followed: they stay inside their top module, and a path that leaves it
//! is written `crate::`.

use crate::support::repo;
use std::fs;
use std::path::{Path, PathBuf};

/// (module whose files are checked, modules they may not import, the rule in words). An empty
/// list forbids every other module of the crate.
const RULES: &[(&str, &[&str], &str)] = &[
    ("engine", &[], "engine imports nothing of the crate"),
    ("text", &[], "text imports nothing of the crate"),
    (
        "targets",
        &["scenario", "output"],
        "targets imports neither scenario nor output",
    ),
    (
        "workload",
        &["scenario", "output"],
        "workload imports neither scenario nor output",
    ),
    (
        "scenario",
        &["output", "sizing", "report"],
        "scenario imports no output, sizing or report",
    ),
];

const CLI_RULE: &str = "nothing imports cli but src/main.rs and src/cli/";

/// The `.rs` files under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top module of a file, given relative to `src/`: `engine/queue.rs` and `engine.rs` are in
/// `engine`; `main.rs` is `main`, `lib.rs` is `lib`.
fn top_module(relative: &Path) -> String {
    let first = relative.components().next().expect("a file under src/");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// Rust source with comments and string and character literals blanked out (newlines kept, so
/// line numbers stay): what is left is code.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let literal = if rest.starts_with("//") {
            Some(rest.find('\n').unwrap_or(rest.len()))
        } else if rest.starts_with("/*") {
            Some(block_comment_len(rest))
        } else {
            string_len(rest).or_else(|| char_literal_len(rest))
        };
        let len = match literal {
            Some(len) => {
                out.extend(rest[..len].chars().map(|c| if c == '\n' { c } else { ' ' }));
                len
            }
            None => {
                // A whole identifier at once, so that its last letter is never read as the `b`
                // or `r` of a literal.
                let len = if c.is_alphanumeric() || c == '_' {
                    rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len())
                } else {
                    c.len_utf8()
                };
                out.push_str(&rest[..len]);
                len
            }
        };
        rest = &rest[len..];
    }
    out
}

/// Length of the block comment that starts `s`; block comments nest.
fn block_comment_len(s: &str) -> usize {
    let mut depth = 0;
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with("/*") {
            depth += 1;
            i += 2;
        } else if s[i..].starts_with("*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += s[i..].chars().next().unwrap().len_utf8();
        }
    }
    s.len()
}

/// Length of the string literal that starts `s`: `"…"` and `b"…"` with escapes, `r"…"`,
/// `r#"…"#`, `br"…"` without.
fn string_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('b').unwrap_or(s);
    if let Some(raw) = body.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = raw[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        let end = inner.find(&close).map_or(inner.len(), |e| e + close.len());
        return Some(s.len() - inner.len() + end);
    }
    let inner = body.strip_prefix('"')?;
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => return Some(s.len() - inner.len() + i + 1),
            _ => {}
        }
    }
    Some(s.len())
}

/// Length of the character literal that starts `s` (`'a'`, `'\n'`, `b'\''`, `'\u{1F600}'`);
/// `None` for a lifetime or a label (`'a`, `'static`).
fn char_literal_len(s: &str) -> Option<usize> {
    let inner = s.strip_prefix("b'").or_else(|| s.strip_prefix('\''))?;
    let body = if inner.starts_with('\\') {
        // The closing quote comes after the escaped character, which may itself be a quote.
        2 + inner.get(2..)?.find('\'')?
    } else {
        inner.chars().next()?.len_utf8()
    };
    inner[body..]
        .starts_with('\'')
        .then_some(s.len() - inner.len() + body + 1)
}

/// Every top module `code` reaches through `crate::`, with the line of the path: the first
/// segment after `crate::`, the first of each item of a `crate::{…}` group, `*` for a glob.
fn imports(code: &str) -> Vec<(usize, String)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = vec![];
    for (at, _) in code.match_indices("crate::") {
        // The keyword `crate` (or `$crate`), not the end of an identifier such as `my_crate`.
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let path = code[at + "crate::".len()..].trim_start();
        let Some(group) = path.strip_prefix('{') else {
            found.push((line_of(at), first_segment(path)));
            continue;
        };
        let group_at = code.len() - group.len();
        let (mut depth, mut item_starts) = (0, true);
        for (k, c) in group.char_indices() {
            match c {
                '}' if depth == 0 => break,
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => item_starts = true,
                c if item_starts && !c.is_whitespace() => {
                    item_starts = false;
                    found.push((line_of(group_at + k), first_segment(&group[k..])));
                }
                _ => {}
            }
        }
    }
    found
}

/// `engine::queue::X` → `engine`; `*` → `*`.
fn first_segment(path: &str) -> String {
    if path.starts_with('*') {
        return "*".into();
    }
    path.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The rules the code of a file (given relative to `src/`) breaks, one line each:
/// `src/FILE:LINE: imports \`MODULE\`: RULE`.
fn breaches(relative: &Path, code: &str) -> Vec<String> {
    let module = top_module(relative);
    let mut found = vec![];
    for (line, reached) in imports(code) {
        if reached == module || reached == "self" {
            continue;
        }
        let mut rules = vec![];
        if reached == "cli" && module != "main" {
            rules.push(CLI_RULE);
        }
        for (checked, forbidden, rule) in RULES {
            // A glob of the crate root may reach anything.
            let forbidden =
                forbidden.is_empty() || forbidden.contains(&reached.as_str()) || reached == "*";
            if *checked == module && forbidden {
                rules.push(rule);
            }
        }
        for rule in rules {
            found.push(format!(
                "src/{}:{line}: imports `{reached}`: {rule}",
                relative.display()
            ));
        }
    }
    found
}

#[test]
fn lower_modules_never_import_higher_ones() {
    let src = repo().join("src");
    let files = rust_files(&src);
    assert!(files.len() > 20, "the sources: {files:?}");
    let mut found = vec![];
    let mut seen = 0;
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let relative = file.strip_prefix(&src).unwrap();
        let code = code_only(&text);
        seen += imports(&code).len();
        found.extend(breaches(relative, &code));
    }
    // Guards the check itself: the sources do import across modules.
    assert!(seen > 100, "only {seen} crate:: paths found under src/");
    assert!(
        found.is_empty(),
        "{} import(s) break the layering:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn only_code_is_read_not_comments_or_strings() {
    let text = r##"//! See crate::cli for the commands.
/// Like `crate::scenario::load`.
use crate::engine::time::SimTime;
/* use crate::cli; /* nested */ use crate::cli; */
fn f<'a>(x: &'a str) -> &'static str {
    let _ = ('"', b'\'', '\\', '\u{1F600}');
    let _ = "crate::cli::run \" crate::cli";
    let _ = r#"use crate::cli; "crate::cli""#;
    let _ = br"crate::cli";
    let _ = my_crate::X;
    crate::output::write()
}
use crate::{
    text::duration,
    sizing::{a, b::{c, d}},
    self as capsim,
};
pub use crate::*;
"##;
    let code = code_only(text);
    assert_eq!(code.lines().count(), text.lines().count());
    assert_eq!(
        imports(&code),
        [
            (3, "engine".to_string()),
            (11, "output".to_string()),
            (14, "text".to_string()),
            (15, "sizing".to_string()),
            (16, "self".to_string()),
            (18, "*".to_string()),
        ]
    );
}

#[test]
fn a_breach_names_the_file_the_line_and_the_rule() {
    let code = "use crate::engine::X;\nfn f() { crate::cli::run(); }\nuse crate::output::Y;\n";
    assert_eq!(
        breaches(Path::new("scenario/check/keys.rs"), code),
        [
            format!("src/scenario/check/keys.rs:2: imports `cli`: {CLI_RULE}"),
            "src/scenario/check/keys.rs:3: imports `output`: scenario imports no output, sizing or \
             report"
                .to_string(),
        ]
    );
    assert_eq!(
        breaches(Path::new("engine/queue.rs"), code),
        [
            format!("src/engine/queue.rs:2: imports `cli`: {CLI_RULE}"),
            "src/engine/queue.rs:2: imports `cli`: engine imports nothing of the crate".into(),
            "src/engine/queue.rs:3: imports `output`: engine imports nothing of the crate".into(),
        ]
    );
    assert_eq!(
        breaches(Path::new("text.rs"), "use crate::engine::SimTime;"),
        ["src/text.rs:1: imports `engine`: text imports nothing of the crate"]
    );
    assert_eq!(
        breaches(Path::new("workload/trace.rs"), "use crate::scenario::X;"),
        [
            "src/workload/trace.rs:1: imports `scenario`: workload imports neither scenario nor \
          output"
        ]
    );
    assert_eq!(
        breaches(Path::new("targets/cluster.rs"), "use crate::output::X;"),
        ["src/targets/cluster.rs:1: imports `output`: targets imports neither scenario nor output"]
    );
    assert_eq!(
        breaches(
            Path::new("scenario/mod.rs"),
            "use crate::{engine, sizing::Search};"
        ),
        ["src/scenario/mod.rs:1: imports `sizing`: scenario imports no output, sizing or report"]
    );
    // cli (a file or a folder) and main.rs may use cli; a module may use itself; what no rule
    // forbids is allowed.
    for (file, code) in [
        ("cli/run.rs", "use crate::cli::args;"),
        ("cli.rs", "use crate::cli::args;"),
        ("main.rs", "use crate::cli;"),
        ("text/date.rs", "use crate::text::num;"),
        ("engine/mod.rs", "pub use self::queue::EventQueue;"),
        ("targets/cluster.rs", "use crate::engine::SimTime;"),
        ("report/mod.rs", "use crate::{output, scenario, sizing};"),
    ] {
        assert_eq!(
            breaches(Path::new(file), code),
            Vec::<String>::new(),
            "{file}"
        );
    }
}
