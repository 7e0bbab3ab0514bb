//! What every export has in common: a header naming the table's columns (in any order, with
//! any extra ones), ISO 8601 times with a zone, and rows checked one by one, each problem
//! located at its file, line and column.

use crate::workload::trace::{
    LineCounter, MAX_ERRORS, OnBadRow, next_line, one_line, record_start, row_reader, shown,
    spans_lines,
};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One table's columns as Azure Monitor's table reference names them.
#[derive(Debug)]
pub struct Schema {
    pub table: &'static str,
    /// Columns without which nothing can be read: a file that lacks one is refused.
    pub required: &'static [&'static str],
    /// Columns read when the file has them; a file without one is read all the same, and
    /// [`ReadReport::lacking`] says which are missing.
    pub optional: &'static [&'static str],
}

/// A problem with an export, located in its file: `file:line: column: message`.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorError {
    pub file: PathBuf,
    /// 1-based CSV line (the header is line 1); 0 for the file as a whole.
    pub line: u64,
    /// The column at fault; empty for a whole row or file.
    pub column: String,
    pub message: String,
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.column.is_empty() {
            write!(f, ": {}", self.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for MonitorError {}

fn error(file: &Path, line: u64, column: &str, message: String) -> MonitorError {
    MonitorError {
        file: file.to_path_buf(),
        line,
        column: column.to_string(),
        message,
    }
}

/// What reading one export found, beside its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadReport {
    pub file: PathBuf,
    pub table: &'static str,
    /// Data rows in the file (blank lines not counted).
    pub rows: usize,
    /// Rows left out under [`OnBadRow::Skip`]: line and reason.
    pub skipped: Vec<(u64, String)>,
    /// Optional columns of the table the file does not have.
    pub lacking: Vec<&'static str>,
    /// Rows that repeat an earlier row's event exactly (exports of overlapping queries, or
    /// events logged twice), dropped.
    pub duplicates: usize,
    /// Rows read but not used, and why (say, job events of a type capsim does not read): the
    /// reason with `{s}` where a plural takes an `s`, and the count.
    pub ignored: Vec<(String, usize)>,
}

impl ReadReport {
    /// Counts a row ignored for `why` (`"node{s} that never became ready"`).
    pub fn ignore(&mut self, why: &str) {
        match self.ignored.iter_mut().find(|(w, _)| w == why) {
            Some((_, n)) => *n += 1,
            None => self.ignored.push((why.to_string(), 1)),
        }
    }

    /// The rows ignored, in words: `3 nodes that never became ready`.
    pub fn ignored_text(&self) -> Vec<String> {
        self.ignored
            .iter()
            .map(|(why, n)| format!("{n} {}", why.replace("{s}", if *n == 1 { "" } else { "s" })))
            .collect()
    }
}

/// One data row being read: typed accessors that note each problem against its column.
pub struct Row<'r> {
    record: &'r csv::ByteRecord,
    index: &'r HashMap<&'static str, usize>,
    pub line: u64,
    problems: Vec<(String, String)>,
}

impl Row<'_> {
    /// The cell's text, trimmed; `None` when the file has no such column.
    fn cell(&mut self, column: &'static str) -> Option<&str> {
        let i = *self.index.get(column)?;
        let bytes = self.record.get(i).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(_) => {
                self.problems
                    .push((column.into(), "is not valid UTF-8 text".into()));
                None
            }
        }
    }

    /// Notes a problem with `column`.
    pub fn problem(&mut self, column: &str, message: impl Into<String>) {
        self.problems.push((column.into(), message.into()));
    }

    /// The cell's text; empty when the column is absent or the cell empty.
    pub fn text(&mut self, column: &'static str) -> String {
        self.cell(column).unwrap_or_default().to_string()
    }

    /// The cell's text, which must not be empty.
    pub fn required_text(&mut self, column: &'static str) -> Option<String> {
        match self.cell(column) {
            Some("") => {
                self.problem(column, "is empty");
                None
            }
            Some(s) => Some(s.to_string()),
            None => None,
        }
    }

    /// A time that must be there, as nanoseconds since 1970-01-01 UTC.
    pub fn time(&mut self, column: &'static str) -> Option<i64> {
        let s = self.required_text(column)?;
        match parse_time(&s) {
            Ok(t) => Some(t),
            Err(m) => {
                self.problem(column, m);
                None
            }
        }
    }

    /// A time that may be empty (or its column absent).
    pub fn opt_time(&mut self, column: &'static str) -> Option<i64> {
        let s = self.cell(column)?.to_string();
        if s.is_empty() {
            return None;
        }
        match parse_time(&s) {
            Ok(t) => Some(t),
            Err(m) => {
                self.problem(column, m);
                None
            }
        }
    }

    /// A finite number that may be empty (or its column absent).
    pub fn opt_number(&mut self, column: &'static str) -> Option<f64> {
        let s = self.cell(column)?.to_string();
        if s.is_empty() {
            return None;
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.problem(column, format!("must be a number, got `{}`", shown(&s)));
                None
            }
        }
    }

    /// A whole number of zero or more that may be empty (or its column absent); `3.0` is 3.
    pub fn opt_count(&mut self, column: &'static str) -> Option<u32> {
        let s = self.cell(column)?.to_string();
        if s.is_empty() {
            return None;
        }
        let v = s.parse::<f64>().ok().filter(|v| {
            v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= f64::from(u32::MAX)
        });
        match v {
            Some(v) => Some(v as u32),
            None => {
                self.problem(
                    column,
                    format!("must be a whole number of 0 or more, got `{}`", shown(&s)),
                );
                None
            }
        }
    }
}

/// Reads the export at `path` as table `schema`: `each` turns a row into a value (`None` for a
/// row it leaves out, having noted its problems on the row, or not when it ignores the row on
/// purpose). Returns the values in file order and what was found.
pub fn read<T>(
    path: &Path,
    schema: &Schema,
    on_bad_row: OnBadRow,
    each: impl FnMut(&mut Row<'_>, &mut ReadReport) -> Option<T>,
) -> Result<(Vec<T>, ReadReport), Vec<MonitorError>> {
    let data = crate::text::input::read(path, crate::text::input::MONITOR_EXPORT).map_err(|e| {
        vec![error(
            path,
            0,
            "",
            format!("cannot read the {} export: {e}", schema.table),
        )]
    })?;
    parse(path, &data, schema, on_bad_row, each)
}

/// As [`read`], on the file's bytes; `path` names the file in messages.
pub fn parse<T>(
    path: &Path,
    data: &[u8],
    schema: &Schema,
    on_bad_row: OnBadRow,
    mut each: impl FnMut(&mut Row<'_>, &mut ReadReport) -> Option<T>,
) -> Result<(Vec<T>, ReadReport), Vec<MonitorError>> {
    let mut reader = row_reader(data);
    let mut lines = LineCounter::new(data);
    let mut record = csv::ByteRecord::new();
    let header_line = match reader.read_byte_record(&mut record) {
        Ok(true) => lines.line_of(&record),
        Ok(false) => {
            return Err(vec![error(
                path,
                1,
                "",
                format!(
                    "the file is empty: an {} export starts with a header row naming its columns",
                    schema.table
                ),
            )]);
        }
        Err(e) => {
            return Err(vec![error(
                path,
                1,
                "",
                format!("cannot read the header: {e}"),
            )]);
        }
    };
    let header: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let index = columns(path, header_line, &header, schema)?;
    let mut report = ReadReport {
        file: path.to_path_buf(),
        table: schema.table,
        lacking: schema
            .optional
            .iter()
            .copied()
            .filter(|c| !index.contains_key(c))
            .collect(),
        ..ReadReport::default()
    };
    let type_column = header.iter().position(|h| h == "Type");
    let mut values = vec![];
    let mut errors = vec![];
    let mut error_count = 0usize;
    let mut first_unshown: Option<u64> = None;
    // Where `reader` started in `data`: it restarts after a row whose quote is not closed.
    let mut base = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| lines.line_at_byte(base + p.byte()));
                errors.push(error(path, line, "", format!("cannot read the row: {e}")));
                error_count += 1;
                break;
            }
        }
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        report.rows += 1;
        let start = base + record_start(data, base, &record);
        let line = lines.line_at_byte(start);
        let mut row = Row {
            record: &record,
            index: &index,
            line,
            problems: vec![],
        };
        // As in traces: a row is one line, so a stray quote costs its own row only and reading
        // starts again on the next line (which counts as the row it is).
        let mut restart = None;
        let value = if spans_lines(&record) {
            row.problem("", one_line("an export's"));
            restart = Some(next_line(data, start));
            None
        } else if record.len() != header.len() {
            row.problem(
                "",
                format!(
                    "the row has {} field{}, the header has {}",
                    record.len(),
                    if record.len() == 1 { "" } else { "s" },
                    header.len()
                ),
            );
            None
        } else if let Some(other) = type_column
            .and_then(|i| record.get(i))
            .and_then(|b| std::str::from_utf8(b).ok())
            .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(schema.table))
        {
            row.problem(
                "Type",
                format!(
                    "this row is from the table `{}`, not {}: export each table to its own file",
                    shown(other),
                    schema.table
                ),
            );
            None
        } else {
            each(&mut row, &mut report)
        };
        if row.problems.is_empty() {
            if let Some(v) = value {
                values.push(v);
            }
            continue;
        }
        match on_bad_row {
            OnBadRow::Skip => {
                let why = row
                    .problems
                    .iter()
                    .map(|(c, m)| {
                        if c.is_empty() {
                            m.clone()
                        } else {
                            format!("{c}: {m}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                report.skipped.push((line, why));
            }
            OnBadRow::Error => {
                for (column, message) in row.problems {
                    error_count += 1;
                    if errors.len() < MAX_ERRORS {
                        errors.push(error(path, line, &column, message));
                    } else if first_unshown.is_none() {
                        first_unshown = Some(line);
                    }
                }
            }
        }
        match restart {
            None => {}
            Some(None) => break,
            Some(Some(next)) => {
                base = next as u64;
                reader = row_reader(&data[next..]);
            }
        }
    }
    if error_count > 0 {
        let more = error_count - errors.len();
        if more > 0 {
            let at = first_unshown.map_or(String::new(), |l| format!(", the first at line {l}"));
            errors.push(error(
                path,
                0,
                "",
                format!(
                    "{more} more error{} not shown{at} ({error_count} in all); --skip-bad-rows leaves bad rows out",
                    if more == 1 { "" } else { "s" }
                ),
            ));
        }
        return Err(errors);
    }
    Ok((values, report))
}

/// Where each column the schema reads is; the required ones must all be there.
fn columns(
    path: &Path,
    header_line: u64,
    header: &[String],
    schema: &Schema,
) -> Result<HashMap<&'static str, usize>, Vec<MonitorError>> {
    let mut index = HashMap::new();
    let mut errors = vec![];
    for &name in schema.required.iter().chain(schema.optional) {
        let hits: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == name)
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [i] => {
                index.insert(name, *i);
            }
            [] => {}
            _ => errors.push(error(
                path,
                header_line,
                name,
                format!(
                    "the header names this column {} times; rename all but one",
                    hits.len()
                ),
            )),
        }
    }
    let missing: Vec<&str> = schema
        .required
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        let case_hint = missing
            .iter()
            .filter_map(|m| {
                header
                    .iter()
                    .find(|h| h.eq_ignore_ascii_case(m))
                    .map(|h| format!(" (`{}` for `{m}`?)", shown(h)))
            })
            .collect::<String>();
        let other = super::SCHEMAS
            .iter()
            .filter(|s| s.table != schema.table)
            .find(|s| s.required.iter().all(|c| header.iter().any(|h| h == c)))
            .map_or(String::new(), |s| {
                format!("; the columns are those of an {} export", s.table)
            });
        errors.push(error(
            path,
            header_line,
            "",
            format!(
                "an {} export needs the column{} {}, which the file lacks{case_hint}{other}",
                schema.table,
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(errors)
    }
}

const NANOS_PER_S: i64 = 1_000_000_000;

/// An ISO 8601 time with a zone, as KQL exports it (`2026-11-02T10:15:00.123Z`, 0 to 9
/// fractional digits, `Z` or `+01:00`, `T` or a space between date and time), as nanoseconds
/// since 1970-01-01 UTC.
pub fn parse_time(s: &str) -> Result<i64, String> {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t
            .timestamp_nanos_opt()
            .ok_or_else(|| format!("`{}` is outside the years 1677 to 2262", shown(s))),
        Err(_) => {
            let hint = if s.contains('/') || s.contains(" AM") || s.contains(" PM") {
                " (the portal's display format: export with a KQL query, or project the time as ISO 8601 with format_datetime)"
            } else if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
                || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").is_ok()
            {
                " (it has no time zone: KQL exports UTC times ending in Z)"
            } else {
                ""
            };
            Err(format!(
                "`{}` is not an ISO 8601 time with a zone such as 2026-11-02T10:15:00.123Z{hint}",
                shown(s)
            ))
        }
    }
}

/// Nanoseconds since 1970-01-01 UTC as KQL writes them, to the millisecond:
/// `2026-11-02T10:15:00.123Z`.
pub fn format_time(t: i64) -> String {
    let secs = t.div_euclid(NANOS_PER_S);
    let nanos = t.rem_euclid(NANOS_PER_S) as u32;
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => t.to_string(),
    }
}

/// Seconds between two times in nanoseconds.
pub fn seconds(from: i64, to: i64) -> f64 {
    (to - from) as f64 / NANOS_PER_S as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_with_a_zone() {
        let z = parse_time("2026-11-02T10:15:00.123Z").unwrap();
        assert_eq!(parse_time("2026-11-02 10:15:00.1230000Z"), Ok(z));
        assert_eq!(parse_time("2026-11-02T11:15:00.123+01:00"), Ok(z));
        assert_eq!(format_time(z), "2026-11-02T10:15:00.123Z");
        assert_eq!(
            seconds(parse_time("2026-11-02T10:15:00Z").unwrap(), z),
            0.123
        );
        let e = parse_time("2026-11-02T10:15:00").unwrap_err();
        assert!(e.contains("no time zone"), "{e}");
        let e = parse_time("11/2/2026, 10:15:00.123 AM").unwrap_err();
        assert!(e.contains("display format"), "{e}");
    }

    const S: Schema = Schema {
        table: "AmlComputeJobEvent",
        required: &["TimeGenerated", "JobId"],
        optional: &["NodeId"],
    };

    /// (line, time, job) of each row read.
    type Rows = Vec<(u64, i64, String)>;

    fn rows(data: &str, mode: OnBadRow) -> Result<(Rows, ReadReport), Vec<MonitorError>> {
        parse(Path::new("j.csv"), data.as_bytes(), &S, mode, |r, _| {
            let t = r.time("TimeGenerated");
            let id = r.required_text("JobId");
            Some((r.line, t?, id?))
        })
    }

    #[test]
    fn extra_columns_are_ignored_and_problems_located() {
        let data = "TenantId,JobId,TimeGenerated,Type\r\n\
                    t,a,2026-11-02T10:15:00Z,AmlComputeJobEvent\r\n\
                    \r\n\
                    t,,2026-11-02T10:16:00Z,AmlComputeJobEvent\r\n\
                    t,c,yesterday,AmlComputeJobEvent\r\n\
                    t,d,2026-11-02T10:17:00Z,AmlComputeClusterEvent\r\n";
        let errors = rows(data, OnBadRow::Error).unwrap_err();
        let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert_eq!(shown[0], "j.csv:4: JobId: is empty");
        assert!(
            shown[1].starts_with("j.csv:5: TimeGenerated: `yesterday` is not"),
            "{}",
            shown[1]
        );
        assert!(
            shown[2]
                .starts_with("j.csv:6: Type: this row is from the table `AmlComputeClusterEvent`"),
            "{}",
            shown[2]
        );
        let (values, report) = rows(data, OnBadRow::Skip).unwrap();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].0, 2);
        assert_eq!(report.rows, 4);
        assert_eq!(
            report.skipped.iter().map(|s| s.0).collect::<Vec<_>>(),
            [4, 5, 6]
        );
        assert_eq!(report.lacking, ["NodeId"]);
    }

    #[test]
    fn a_file_without_a_required_column_is_refused_at_its_header() {
        let errors = rows(
            "timegenerated,NodeId\n2026-11-02T10:15:00Z,n\n",
            OnBadRow::Error,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        let e = errors[0].to_string();
        assert!(
            e.starts_with(
                "j.csv:1: an AmlComputeJobEvent export needs the columns `TimeGenerated`, `JobId`"
            ),
            "{e}"
        );
        assert!(e.contains("`timegenerated` for `TimeGenerated`?"), "{e}");
    }
}
