//! `report.md` renders as written on GitHub and Azure DevOps (issue 20): parsed by a CommonMark
//! renderer (pulldown-cmark, with GFM tables and strikethrough), no `**` or backslash is left
//! in the text a reader sees, labels are bold, tables are tables, and the source escapes only
//! what needs it.

use crate::support::{capsim, repo, run};
use pulldown_cmark::{Event, Options, Parser, Tag};

fn report_md(scenario: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = run(capsim()
        .arg("run")
        .arg(repo().join("scenarios").join(scenario))
        .args(extra)
        .arg("--out")
        .arg(&out)
        .arg("--report"));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    std::fs::read_to_string(out.join("report.md")).unwrap()
}

fn check(md: &str, what: &str) {
    let mut text = String::new();
    let (mut strong, mut tables) = (0, 0);
    for e in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match e {
            Event::Text(t) => {
                text.push_str(&t);
                text.push('\n');
            }
            Event::Start(Tag::Strong) => strong += 1,
            Event::Start(Tag::Table(_)) => tables += 1,
            Event::Start(Tag::Strikethrough) => panic!("{what}: strikethrough in\n{md}"),
            _ => {}
        }
    }
    for bad in ["**", "\\"] {
        let line = text.lines().find(|l| l.contains(bad));
        assert!(line.is_none(), "{what}: `{bad}` shows in {line:?}");
    }
    assert!(strong >= 3, "{what}: {strong} bold spans");
    assert!(tables >= 1, "{what}: no table");
    // Escapes only where they are needed: not inside a word, not before money.
    for needless in ["min\\_instances", "cost\\_per", " \\$"] {
        assert!(!md.contains(needless), "{what}: `{needless}` in the source");
    }
    // The assumption labels are bold: `**Price, ...:**` then the text.
    assert!(md.contains(":** "), "{what}");
    assert!(
        !md.contains(": **"),
        "{what}: a label's closing stars after a space"
    );
}

#[test]
fn report_md_of_a_sweep_renders_cleanly() {
    let md = report_md(
        "min-nodes.toml",
        &["--replications", "2", "--horizon", "9d"],
    );
    check(&md, "min-nodes");
    assert!(md.contains("min_instances"));
}

#[test]
fn report_md_of_an_endpoint_renders_cleanly() {
    let md = report_md("endpoint.toml", &["--replications", "2", "--horizon", "1d"]);
    check(&md, "endpoint");
}
