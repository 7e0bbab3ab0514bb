//! Located problems in a scenario: `file:line:column: field: what is wrong`.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no place in the file (a command-line override).
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `compute.gpu-cluster.min_instances`.
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let place = if self.line > 0 {
            format!("{}:{}:{}", self.file.display(), self.line, self.column)
        } else {
            self.file.display().to_string()
        };
        // A syntax error outside any key has no field to name.
        if self.field.is_empty() {
            write!(f, "{place}: {kind}: {}", self.message)?;
        } else {
            write!(f, "{place}: {kind}: {}: {}", self.field, self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Maps byte offsets of a source text to 1-based line and column (columns count characters).
pub struct SourceMap<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceMap<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap {
            file,
            text,
            line_starts,
        }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    pub fn diag(
        &self,
        severity: Severity,
        offset: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.line_col(offset);
        Diagnostic {
            severity,
            file: self.file.to_path_buf(),
            line,
            column,
            field: field.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// The dotted field path at `offset`, reconstructed from the TOML text: the table header in
    /// force (`[[compute]]` #2 becomes `compute[1]`), then the keys of any inline tables the
    /// offset sits in, then the key whose value it is. Used for parser errors, which carry a
    /// span but no path.
    pub fn field_at(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let mut header = String::new();
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        let (line_no, _) = self.line_col(offset);
        for (i, line) in self.text.lines().enumerate() {
            if i + 1 > line_no {
                break;
            }
            let t = line.trim();
            // Up to the first `]`, so that an unclosed `[[compute]` still names `compute`.
            if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split(']').next()) {
                let name = name.trim().to_string();
                let n = counts.entry(name.clone()).or_insert(0);
                header = format!("{name}[{n}]");
                *n += 1;
            } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
                header = name.trim().to_string();
            }
        }
        let line_start = self.line_starts[line_no - 1];
        let line_text = &self.text[line_start..offset];
        let mut keys = keys_before(line_text);
        if !header.is_empty() {
            keys.insert(0, header);
        }
        keys.join(".")
    }
}

/// Keys open at the end of `text` (one line of TOML): nested inline-table keys plus the last key
/// whose value the end of the text is in.
fn keys_before(text: &str) -> Vec<String> {
    let mut stack: Vec<String> = vec![];
    let mut current: Option<String> = None;
    let mut word = String::new();
    let mut in_string: Option<char> = None;
    let mut last_word = String::new();
    for c in text.chars() {
        if let Some(q) = in_string {
            if c == q {
                in_string = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => in_string = Some(c),
            '=' => {
                current = Some(if word.is_empty() {
                    last_word.clone()
                } else {
                    word.clone()
                });
                word.clear();
            }
            '{' => {
                if let Some(k) = current.take() {
                    stack.push(k);
                }
            }
            '}' => {
                stack.pop();
                current = None;
            }
            ',' => current = None,
            '#' => break,
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => word.push(c),
            _ => {
                if !word.is_empty() {
                    last_word = std::mem::take(&mut word);
                }
            }
        }
    }
    stack.extend(current);
    stack
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let m = SourceMap::new(Path::new("x.toml"), "a = 1\nbb = 2\n");
        assert_eq!(m.line_col(0), (1, 1));
        assert_eq!(m.line_col(6), (2, 1));
        assert_eq!(m.line_col(11), (2, 6));
    }

    #[test]
    fn field_paths_from_text() {
        let src = "name = \"x\"\n[[compute]]\nname = \"a\"\n[[compute]]\nmax_instances = \"z\"\n\
                   [[workload]]\narrivals = { process = \"poisson\", rate_per_hour = -1 }\n";
        let m = SourceMap::new(Path::new("x.toml"), src);
        let off = src.find("\"z\"").unwrap();
        assert_eq!(m.field_at(off), "compute[1].max_instances");
        let off = src.find("-1").unwrap();
        assert_eq!(m.field_at(off), "workload[0].arrivals.rate_per_hour");
        assert_eq!(m.field_at(src.find("\"x\"").unwrap()), "name");
    }
}
