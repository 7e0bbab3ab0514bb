//! A small document model and its two renderings: one self-contained HTML file (styles and SVGs
//! inline, no scripts, no external URLs) and Markdown for wikis (charts as relative links).

/// A run of text.
#[derive(Clone, Debug, PartialEq)]
pub enum Span {
    Text(String),
    Strong(String),
    Code(String),
}

pub type Para = Vec<Span>;

pub fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

pub fn strong(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

pub fn code(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}

#[derive(Clone, Debug)]
pub struct Table {
    pub caption: Option<String>,
    pub header: Vec<String>,
    /// Right-aligned (numeric) columns.
    pub numeric: Vec<bool>,
    pub rows: Vec<TableRow>,
}

#[derive(Clone, Debug)]
pub struct TableRow {
    pub cells: Vec<String>,
    pub highlight: bool,
}

#[derive(Clone, Debug)]
pub enum Block {
    /// Section heading with an anchor id.
    H2(String, String),
    H3(String),
    P(Para),
    /// A headline statement, set apart.
    Callout(Vec<Para>),
    List(Vec<Para>),
    Table(Table),
    Figure {
        /// Relative path, `charts/cost.svg`.
        path: String,
        title: String,
        svg: String,
        caption: String,
    },
    /// A sentence standing in for a chart that cannot be drawn.
    Missing(String),
    /// Preformatted text (the scenario file).
    Pre {
        lang: String,
        text: String,
    },
}

#[derive(Clone, Debug)]
pub struct Doc {
    pub title: String,
    pub subtitle: Para,
    pub blocks: Vec<Block>,
}

fn html_spans(p: &[Span]) -> String {
    p.iter()
        .map(|s| match s {
            Span::Text(t) => html_escape(t),
            Span::Strong(t) => format!("<strong>{}</strong>", html_escape(t)),
            Span::Code(t) => format!("<code>{}</code>", html_escape(t)),
        })
        .collect()
}

const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #222; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 26px; margin: 4px 0 2px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #1f4e79; }
h3 { font-size: 16px; margin: 22px 0 8px; }
p.subtitle { color: #555; margin: 0 0 8px; }
nav { font-size: 14px; margin: 8px 0 0; color: #555; }
nav a { color: #1f4e79; margin-right: 14px; }
.callout { border-left: 5px solid #1f4e79; background: #eef3f9; padding: 10px 16px; margin: 12px 0; }
.callout p { margin: 6px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13.5px; font-variant-numeric: tabular-nums; }
.tablewrap { overflow-x: auto; }
caption { text-align: left; font-weight: 600; padding: 4px 0; caption-side: top; }
th, td { border: 1px solid #d0d4da; padding: 4px 7px; vertical-align: top; }
th { background: #eef0f3; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfc; }
tr.highlight td { background: #fff1e6; font-weight: 600; }
figure { margin: 18px 0 26px; }
figure svg { display: block; width: 100%; height: auto; max-width: 960px; border: 1px solid #e2e4e8; }
figcaption { font-size: 13px; color: #444; margin-top: 6px; }
.missing { border: 1px dashed #b0b4ba; background: #fafafa; color: #444; padding: 10px 14px; }
pre { background: #f6f8fa; border: 1px solid #d0d4da; padding: 12px; overflow-x: auto; font-size: 13px; line-height: 1.4; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
ul { padding-left: 22px; }
li { margin: 3px 0; }
footer { margin-top: 36px; font-size: 13px; color: #666; }
@media print { body { background: #fff; } main { padding: 0; } figure, table { break-inside: avoid; } }
"#;

pub fn to_html(doc: &Doc) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may load from anywhere: the file is complete in itself.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"generator\" content=\"capsim ");
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push_str("\">\n");
    out.push_str(&format!("<title>{}</title>\n", html_escape(&doc.title)));
    out.push_str("<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
    out.push_str(&format!("<h1>{}</h1>\n", html_escape(&doc.title)));
    if !doc.subtitle.is_empty() {
        out.push_str(&format!(
            "<p class=\"subtitle\">{}</p>\n",
            html_spans(&doc.subtitle)
        ));
    }
    let sections: Vec<(&String, &String)> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::H2(t, id) => Some((t, id)),
            _ => None,
        })
        .collect();
    if !sections.is_empty() {
        out.push_str("<nav>");
        for (t, id) in sections {
            out.push_str(&format!(
                "<a href=\"#{}\">{}</a>",
                html_escape(id),
                html_escape(t)
            ));
        }
        out.push_str("</nav>\n");
    }
    let mut open = false;
    for b in &doc.blocks {
        match b {
            Block::H2(t, id) => {
                if open {
                    out.push_str("</section>\n");
                }
                out.push_str(&format!(
                    "<section id=\"{}\">\n<h2>{}</h2>\n",
                    html_escape(id),
                    html_escape(t)
                ));
                open = true;
            }
            Block::H3(t) => out.push_str(&format!("<h3>{}</h3>\n", html_escape(t))),
            Block::P(p) => out.push_str(&format!("<p>{}</p>\n", html_spans(p))),
            Block::Callout(ps) => {
                out.push_str("<div class=\"callout\">\n");
                for p in ps {
                    out.push_str(&format!("<p>{}</p>\n", html_spans(p)));
                }
                out.push_str("</div>\n");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for p in items {
                    out.push_str(&format!("<li>{}</li>\n", html_spans(p)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(t) => {
                out.push_str("<div class=\"tablewrap\"><table>\n");
                if let Some(c) = &t.caption {
                    out.push_str(&format!("<caption>{}</caption>\n", html_escape(c)));
                }
                out.push_str("<thead><tr>");
                for (i, h) in t.header.iter().enumerate() {
                    let class = if t.numeric.get(i) == Some(&true) {
                        " class=\"num\""
                    } else {
                        ""
                    };
                    // Long column names (parameter paths) may wrap after an underscore.
                    let h = html_escape(h).replace('_', "_<wbr>");
                    out.push_str(&format!("<th{class}>{h}</th>"));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in &t.rows {
                    out.push_str(if r.highlight {
                        "<tr class=\"highlight\">"
                    } else {
                        "<tr>"
                    });
                    for (i, c) in r.cells.iter().enumerate() {
                        let class = if t.numeric.get(i) == Some(&true) {
                            " class=\"num\""
                        } else {
                            ""
                        };
                        out.push_str(&format!("<td{class}>{}</td>", html_escape(c)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody></table></div>\n");
            }
            Block::Figure {
                path,
                title: _,
                svg,
                caption,
            } => {
                out.push_str(&format!("<figure data-chart=\"{}\">\n", html_escape(path)));
                out.push_str(svg.trim_end());
                out.push_str(&format!(
                    "\n<figcaption>{}</figcaption>\n</figure>\n",
                    html_escape(caption)
                ));
            }
            Block::Missing(s) => {
                out.push_str(&format!("<p class=\"missing\">{}</p>\n", html_escape(s)));
            }
            Block::Pre { lang, text } => {
                out.push_str(&format!(
                    "<pre><code class=\"language-{}\">{}</code></pre>\n",
                    html_escape(lang),
                    html_escape(text)
                ));
            }
        }
    }
    if open {
        out.push_str("</section>\n");
    }
    out.push_str(&format!(
        "<footer>Written by capsim {} from the CSV files of this output folder; every number is a cell of those files or is derived as stated.</footer>\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn md_spans(p: &[Span]) -> String {
    p.iter()
        .map(|s| match s {
            Span::Text(t) => md_escape(t),
            // `**` closes emphasis only right after a non-space: the label's trailing space goes
            // after it (`**Price:** x`, not `**Price: **x`, which renders the stars).
            Span::Strong(t) => {
                let inner = t.trim_end();
                let trail = &t[inner.len()..];
                let lead = inner.len() - inner.trim_start().len();
                format!(
                    "{}**{}**{}",
                    &inner[..lead],
                    md_escape(inner.trim_start()),
                    if trail.is_empty() { "" } else { " " }
                )
            }
            Span::Code(t) => {
                let t = t.replace(['\n', '\r'], " ");
                let fence = "`".repeat(longest_run(&t, '`') + 1);
                let pad = if t.starts_with('`') || t.ends_with('`') {
                    " "
                } else {
                    ""
                };
                format!("{fence}{pad}{t}{pad}{fence}")
            }
        })
        .collect()
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for x in s.chars() {
        if x == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

pub fn to_markdown(doc: &Doc) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", md_escape(&doc.title)));
    if !doc.subtitle.is_empty() {
        out.push_str(&format!("{}\n\n", md_spans(&doc.subtitle)));
    }
    for b in &doc.blocks {
        match b {
            Block::H2(t, _) => out.push_str(&format!("## {}\n\n", md_escape(t))),
            Block::H3(t) => out.push_str(&format!("### {}\n\n", md_escape(t))),
            Block::P(p) => out.push_str(&format!("{}\n\n", md_spans(p))),
            Block::Callout(ps) => {
                let lines: Vec<String> = ps.iter().map(|p| format!("> {}", md_spans(p))).collect();
                out.push_str(&lines.join("\n>\n"));
                out.push_str("\n\n");
            }
            Block::List(items) => {
                for p in items {
                    out.push_str(&format!("- {}\n", md_spans(p)));
                }
                out.push('\n');
            }
            Block::Table(t) => {
                if let Some(c) = &t.caption {
                    out.push_str(&format!("**{}**\n\n", md_escape(c)));
                }
                let cell = |s: &str| {
                    let e = md_escape(s);
                    if e.is_empty() { " ".to_string() } else { e }
                };
                out.push_str(&format!(
                    "| {} |\n",
                    t.header
                        .iter()
                        .map(|h| cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
                out.push_str(&format!(
                    "|{}|\n",
                    (0..t.header.len())
                        .map(|i| if t.numeric.get(i) == Some(&true) {
                            "---:"
                        } else {
                            "---"
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                ));
                for r in &t.rows {
                    let cells: Vec<String> = r
                        .cells
                        .iter()
                        .map(|c| {
                            if r.highlight {
                                format!("**{}**", cell(c))
                            } else {
                                cell(c)
                            }
                        })
                        .collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out.push('\n');
            }
            Block::Figure {
                path,
                title,
                caption,
                ..
            } => {
                out.push_str(&format!(
                    "![{}]({})\n\n*{}*\n\n",
                    md_escape(title),
                    path,
                    md_escape(caption)
                ));
            }
            Block::Missing(s) => out.push_str(&format!("*{}*\n\n", md_escape(s))),
            Block::Pre { lang, text } => {
                let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
                out.push_str(&format!("{fence}{lang}\n{}", text));
                if !text.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&format!("{fence}\n\n"));
            }
        }
    }
    out.push_str(&format!(
        "---\n\n*Written by capsim {} from the CSV files of this output folder.*\n",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown (GitHub, Azure DevOps and most wikis), table cells included, as
/// little as it takes, so that the file reads well as text too: `_` only where it could open or
/// close emphasis (not inside `min_instances`), `#` only where it could start a heading, `$`
/// only where it could close a GitHub math span (after a non-space: `+$48`), never `$390`.
pub fn md_escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|k| chars[k]);
        let next = chars.get(i + 1).copied();
        let word = |x: Option<char>| x.is_some_and(|x| x.is_alphanumeric());
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' => true,
            '_' => !(word(prev) && word(next)),
            '#' => i == 0,
            '$' => prev.is_some_and(|p| !p.is_whitespace()),
            _ => false,
        };
        match c {
            '\n' | '\r' => out.push(' '),
            c => {
                if escape {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        Doc {
            title: "a <b> & c".into(),
            subtitle: vec![text("x"), code("y`z")],
            blocks: vec![
                Block::H2("One".into(), "one".into()),
                Block::Table(Table {
                    caption: None,
                    header: vec!["a|b".into(), "n".into()],
                    numeric: vec![false, true],
                    rows: vec![TableRow {
                        cells: vec!["<script>".into(), "".into()],
                        highlight: true,
                    }],
                }),
                Block::Pre {
                    lang: "toml".into(),
                    text: "a = \"```\"\n</pre><script>".into(),
                },
            ],
        }
    }

    #[test]
    fn html_escapes_everything() {
        let h = to_html(&doc());
        assert!(h.contains("<title>a &lt;b&gt; &amp; c</title>"));
        assert!(h.contains("&lt;script&gt;"));
        assert!(!h.contains("<script"));
        assert!(h.contains("&lt;/pre&gt;"));
    }

    #[test]
    fn markdown_fences_outrun_the_content() {
        let m = to_markdown(&doc());
        assert!(m.contains("````toml\n"));
        assert!(m.contains("| a\\|b | n |\n|---|---:|\n"));
        assert!(m.contains("``y`z``"));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(md_escape("a|b_c*"), "a\\|b_c\\*");
        assert_eq!(md_escape("_a b_"), "\\_a b\\_");
        assert_eq!(md_escape("$5 ± $1, +$48"), "$5 ± $1, +\\$48");
        assert_eq!(md_escape("#9, setting #9"), "\\#9, setting #9");
    }
}
