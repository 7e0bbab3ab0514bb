//! Fixed-width tables for a terminal that fit a given width.
//!
//! A table wider than its width is made narrower in three steps, each only while it is still too
//! wide: headers wrap onto several lines (after `_`, at spaces), then the columns marked
//! droppable go in their order (the caller names them under the table, and where they still
//! are: a CSV file, a wide view), then the cells of the columns marked wrappable wrap at spaces.
//! A table that fits is laid out on one header line, as it always was.

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One column: its header, alignment, and what may be done to fit it.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub align: Align,
    /// Droppable to fit, lowest first; `None`: always shown.
    pub drop_rank: Option<u8>,
    /// Cells may wrap at spaces onto several lines.
    pub wrap: bool,
}

impl Column {
    pub fn left(header: &str) -> Column {
        Column {
            header: header.into(),
            align: Align::Left,
            drop_rank: None,
            wrap: false,
        }
    }

    pub fn right(header: &str) -> Column {
        Column {
            align: Align::Right,
            ..Column::left(header)
        }
    }

    /// Droppable to fit the width, `rank` lowest first.
    pub fn droppable(self, rank: u8) -> Column {
        Column {
            drop_rank: Some(rank),
            ..self
        }
    }

    /// Cells may wrap at spaces.
    pub fn wrapping(self) -> Column {
        Column { wrap: true, ..self }
    }
}

/// The rule under the header: one line across, or a dash run under each column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Full,
    PerColumn,
}

/// A laid-out table and the headers of the columns left out to fit.
#[derive(Clone, Debug, Default)]
pub struct Fitted {
    pub text: String,
    pub dropped: Vec<String>,
}

const GAP: usize = 2;

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Pieces a header may break into: after `_` and `/`, and at spaces (which go).
fn header_words(h: &str) -> Vec<String> {
    let mut words = vec![];
    let mut cur = String::new();
    for c in h.chars() {
        if c == ' ' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        cur.push(c);
        if c == '_' || c == '/' {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Greedy fill of `words` into lines of at most `width` (a longer word gets a line of its own);
/// `sep` joins two words on a line unless the first ends in `_` or `/`.
fn fill(words: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    for w in words {
        match lines.last_mut() {
            Some(line) => {
                let glue = if line.ends_with('_') || line.ends_with('/') {
                    ""
                } else {
                    " "
                };
                if chars(line) + chars(glue) + chars(w) <= width {
                    line.push_str(glue);
                    line.push_str(w);
                } else {
                    lines.push(w.clone());
                }
            }
            None => lines.push(w.clone()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn cell_words(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// Lays `rows` out under `columns`, within `width` columns when given (`None`: as wide as it
/// takes). Every row has one cell per column.
pub fn layout(
    columns: &[Column],
    rows: &[Vec<String>],
    rule: Rule,
    width: Option<usize>,
) -> Fitted {
    let n = columns.len();
    let data_width = |c: usize| {
        rows.iter()
            .map(|r| r.get(c).map_or(0, |x| chars(x)))
            .max()
            .unwrap_or(0)
    };
    let mut shown: Vec<bool> = vec![true; n];
    let mut widths: Vec<usize> = (0..n)
        .map(|c| data_width(c).max(chars(&columns[c].header)))
        .collect();
    let total = |widths: &[usize], shown: &[bool]| {
        let k = shown.iter().filter(|s| **s).count();
        (0..n)
            .filter(|&c| shown[c])
            .map(|c| widths[c])
            .sum::<usize>()
            + GAP * k.saturating_sub(1)
    };
    let mut wrap_headers = false;
    let mut cell_width: Vec<Option<usize>> = vec![None; n];
    if let Some(limit) = width
        && total(&widths, &shown) > limit
    {
        wrap_headers = true;
        for c in 0..n {
            let longest_word = header_words(&columns[c].header)
                .iter()
                .map(|w| chars(w))
                .max()
                .unwrap_or(0);
            widths[c] = data_width(c).max(longest_word);
        }
        let mut order: Vec<usize> = (0..n).filter(|&c| columns[c].drop_rank.is_some()).collect();
        order.sort_by_key(|&c| columns[c].drop_rank);
        for c in order {
            if total(&widths, &shown) <= limit {
                break;
            }
            shown[c] = false;
        }
        // Wrap the widest wrappable column first, never below its longest word.
        loop {
            let excess = total(&widths, &shown).saturating_sub(limit);
            if excess == 0 {
                break;
            }
            let candidate = (0..n)
                .filter(|&c| shown[c] && columns[c].wrap)
                .filter_map(|c| {
                    let floor = rows
                        .iter()
                        .flat_map(|r| cell_words(r.get(c).map_or("", |x| x.as_str())))
                        .map(|w| chars(&w))
                        .chain(header_words(&columns[c].header).iter().map(|w| chars(w)))
                        .max()
                        .unwrap_or(1);
                    (widths[c] > floor).then_some((c, floor))
                })
                .max_by_key(|&(c, _)| widths[c]);
            let Some((c, floor)) = candidate else { break };
            widths[c] = widths[c].saturating_sub(excess).max(floor);
            cell_width[c] = Some(widths[c]);
        }
        // What dropping left spare goes back to wrapped headers, left to right: fewer lines.
        for c in 0..n {
            let spare = limit.saturating_sub(total(&widths, &shown));
            if shown[c] && cell_width[c].is_none() {
                let want = chars(&columns[c].header);
                if want > widths[c] {
                    widths[c] = want.min(widths[c] + spare);
                }
            }
        }
    }
    let cols: Vec<usize> = (0..n).filter(|&c| shown[c]).collect();
    let header_lines: Vec<Vec<String>> = cols
        .iter()
        .map(|&c| {
            if wrap_headers {
                fill(&header_words(&columns[c].header), widths[c])
            } else {
                vec![columns[c].header.clone()]
            }
        })
        .collect();
    let height = header_lines.iter().map(Vec::len).max().unwrap_or(1);
    let mut out = String::new();
    let push_line = |out: &mut String, cells: &[String]| {
        let line: Vec<String> = cols
            .iter()
            .zip(cells)
            .map(|(&c, cell)| {
                let pad = " ".repeat(widths[c].saturating_sub(chars(cell)));
                match columns[c].align {
                    Align::Left => format!("{cell}{pad}"),
                    Align::Right => format!("{pad}{cell}"),
                }
            })
            .collect();
        out.push_str(line.join(&" ".repeat(GAP)).trim_end());
        out.push('\n');
    };
    // Headers sit on the rule: a short one on the last line.
    for k in 0..height {
        let cells: Vec<String> = header_lines
            .iter()
            .map(|h| {
                let skip = height - h.len();
                if k >= skip {
                    h[k - skip].clone()
                } else {
                    String::new()
                }
            })
            .collect();
        push_line(&mut out, &cells);
    }
    match rule {
        Rule::Full => {
            out.push_str(&"-".repeat(total(&widths, &shown)));
            out.push('\n');
        }
        Rule::PerColumn => {
            let dashes: Vec<String> = cols.iter().map(|&c| "-".repeat(widths[c])).collect();
            push_line(&mut out, &dashes);
        }
    }
    for r in rows {
        let cells: Vec<Vec<String>> = cols
            .iter()
            .map(|&c| {
                let cell = r.get(c).cloned().unwrap_or_default();
                match cell_width[c] {
                    Some(w) if chars(&cell) > w => fill(&cell_words(&cell), w),
                    _ => vec![cell],
                }
            })
            .collect();
        let h = cells.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..h {
            let line: Vec<String> = cells
                .iter()
                .map(|c| c.get(k).cloned().unwrap_or_default())
                .collect();
            push_line(&mut out, &line);
        }
    }
    Fitted {
        text: out,
        dropped: (0..n)
            .filter(|&c| !shown[c])
            .map(|c| columns[c].header.clone())
            .collect(),
    }
}

/// `text` wrapped at spaces to `width` columns (none: one line per line of `text`), the lines
/// after the first indented by two spaces, each ending in a newline: prose printed around a
/// table (the report prints the same words unwrapped).
pub fn wrap(text: &str, width: Option<usize>) -> String {
    let mut out = String::new();
    for paragraph in text.lines() {
        let Some(width) = width else {
            out.push_str(paragraph);
            out.push('\n');
            continue;
        };
        let mut line = String::new();
        let mut columns = 0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let n = word.chars().count();
            if columns > 2 && columns + 1 + n > width {
                out.push_str(&line);
                out.push('\n');
                line = "  ".to_string();
                columns = 2;
            } else if !line.is_empty() && line != "  " {
                line.push(' ');
                columns += 1;
            }
            line.push_str(word);
            columns += n;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The widest line of `text`, in characters.
pub fn widest_line(text: &str) -> usize {
    text.lines().map(chars).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_table_that_fits_keeps_one_header_line() {
        let cols = [Column::left("name"), Column::right("n")];
        let t = layout(&cols, &rows(&[&["a", "10"]]), Rule::Full, Some(100));
        assert_eq!(t.text, "name   n\n--------\na     10\n");
        assert!(t.dropped.is_empty());
    }

    #[test]
    fn headers_wrap_then_columns_drop_then_cells_wrap() {
        let cols = [
            Column::left("idle_time_before_scale_down"),
            Column::right("jobs").droppable(1),
            Column::left("note").wrapping(),
        ];
        let data = rows(&[&["2m", "635", "one two three four"]]);
        // 27 + 2 + 4 + 2 + 18 = 53 wide as it is.
        assert_eq!(
            widest_line(&layout(&cols, &data, Rule::Full, None).text),
            53
        );
        // Wrapped header: the longest piece, "before_", is 7; 7 + 2 + 4 + 2 + 18 = 33.
        let t = layout(&cols, &data, Rule::Full, Some(33));
        assert_eq!(widest_line(&t.text), 33);
        assert!(t.text.starts_with("idle_\ntime_\nbefore_"), "{}", t.text);
        assert!(t.dropped.is_empty());
        // Narrower: jobs goes (7 + 2 + 18 = 27).
        let t = layout(&cols, &data, Rule::Full, Some(27));
        assert_eq!(t.dropped, ["jobs"]);
        assert_eq!(widest_line(&t.text), 27);
        // Narrower still: the note wraps at spaces, to 20 - 9 = 11 wide.
        let t = layout(&cols, &data, Rule::Full, Some(20));
        assert!(widest_line(&t.text) <= 20, "{}", t.text);
        assert!(
            t.text.ends_with("2m       one two\n         three four\n"),
            "{}",
            t.text
        );
    }
}
