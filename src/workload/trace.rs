//! Workload traces: a CSV of job submissions read into time-ordered rows for replay.
//!
//! The reader is told which columns hold what (a [`TraceSpec`]) and knows nothing of the
//! simulation. It checks every row and reports every problem with its CSV line, like the scenario
//! loader does for TOML.
//!
//! Conventions:
//!
//! * A header row naming the columns is required. Column names match exactly after trimming
//!   spaces; fields are trimmed too.
//! * Times are read with a [`TimeFormat`]. Strftime times without an offset (`%z`) are taken as
//!   UTC: only differences matter, so a trace in one local time zone replays correctly except
//!   across a daylight-saving change. A format with a date and no time of day means midnight.
//! * Time zero is the start of the window: the earliest submission in the file plus
//!   [`TraceSpec::start`] (or the earliest submission itself when `start` is `None`). Rows are kept
//!   when `start <= t - earliest < end`; `start` and `end` are seconds of the original trace.
//! * [`TraceSpec::time_scale`] multiplies the gaps between submissions (and so every offset):
//!   `0.5` replays the trace twice as fast. Durations are not scaled.
//! * Rows may be in any order: they are sorted by submit time, ties kept in file order.
//! * [`RowFilter`]s (say, a status column and the statuses to replay) select rows: a row whose
//!   filter column holds none of the values asked for is left out without its other columns
//!   being read, but its submit time still counts for time zero, so workloads that split one
//!   file (by cluster, say) keep one clock. Values match after trimming, ignoring ASCII case.
//! * Blank lines, lines of spaces and rows whose fields are all empty are ignored. Every other
//!   row must have as many fields as the header and a valid value in each column used; columns
//!   not named in the spec are not looked at. All rows are checked, inside the window or not.
//! * Times are kept as integer nanoseconds until the final offsets, so 7-digit fractional
//!   seconds on 2023 dates lose nothing to floating point.
//!
//! The whole file is read into memory once; nothing else grows with the input except the rows
//! kept, the skipped rows' reasons, and at most [`MAX_ERRORS`] errors.

use crate::text::diagnostic::{Diagnostic, Severity};
use crate::text::duration::{parse_duration, parse_timespan};
use chrono::format::{Item, ParseErrorKind, Parsed, StrftimeItems};
use std::fmt;
use std::path::{Path, PathBuf};

/// Errors reported one by one before the rest are only counted.
pub const MAX_ERRORS: usize = 50;

/// Longest excerpt of a bad field quoted in a message, in characters.
const MAX_SHOWN_CHARS: usize = 40;

const NANOS_PER_S: i128 = 1_000_000_000;

/// Epoch times are kept below 10^36 ns (3 × 10^19 years) in size, so that differences of times
/// cannot overflow.
const MAX_EPOCH_NANOS: i128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// How the submit column writes time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// Seconds since any fixed origin, e.g. `1510000000` or `12.5` (the Unix epoch or not).
    EpochSeconds,
    /// Milliseconds since any fixed origin.
    EpochMillis,
    /// A chrono strftime format, e.g. `%Y-%m-%d %H:%M:%S` or `%Y-%m-%d %H:%M:%S%.f`.
    Strftime(String),
}

impl TimeFormat {
    /// `"epoch_s"` and `"epoch_ms"` name the epoch formats; anything else is a strftime format.
    pub fn parse(s: &str) -> TimeFormat {
        match s.trim() {
            "epoch_s" => TimeFormat::EpochSeconds,
            "epoch_ms" => TimeFormat::EpochMillis,
            _ => TimeFormat::Strftime(s.to_string()),
        }
    }

    /// Checks a strftime format string (epoch formats are always valid), so that a scenario can
    /// report a bad one at its own key; [`load`] checks it too.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            TimeFormat::EpochSeconds | TimeFormat::EpochMillis => Ok(()),
            TimeFormat::Strftime(f) => strftime_items(f).map(|_| ()),
        }
    }
}

impl fmt::Display for TimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeFormat::EpochSeconds => f.write_str("epoch_s"),
            TimeFormat::EpochMillis => f.write_str("epoch_ms"),
            TimeFormat::Strftime(s) => f.write_str(s),
        }
    }
}

fn strftime_items(format: &str) -> Result<Vec<Item<'_>>, String> {
    if format.trim().is_empty() {
        return Err("the time format is empty: give a strftime format such as \
                    `%Y-%m-%d %H:%M:%S`, or `epoch_s` or `epoch_ms`"
            .into());
    }
    StrftimeItems::new(format).parse().map_err(|_| {
        format!(
            "`{}` is not a valid strftime time format (e.g. `%Y-%m-%d %H:%M:%S`), nor `epoch_s` or `epoch_ms`",
            shown(format)
        )
    })
}

/// What to do with a row that cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnBadRow {
    /// Report it; the load fails.
    #[default]
    Error,
    /// Leave it out and record why in [`Trace::skipped_rows`].
    Skip,
}

/// Which file and columns to read, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSpec {
    /// Already resolved by the caller (relative to the scenario file, say); used as given.
    pub file: PathBuf,
    pub submit_column: String,
    /// Run time: a number of seconds or a duration string such as `5m` or `1h30m`.
    pub duration_column: Option<String>,
    /// Nodes per job: a positive whole number.
    pub nodes_column: Option<String>,
    /// GPUs per job: a positive whole number.
    pub gpus_column: Option<String>,
    /// Extra numeric columns carried per row in this order, e.g. `["ContextTokens",
    /// "GeneratedTokens"]` for inference traces.
    pub extra_columns: Vec<String>,
    /// The extra columns hold counts (tokens): each value a whole number of zero or more, below
    /// 2^32; a row with any other value is a bad row like any other.
    pub extra_counts: bool,
    pub time_format: TimeFormat,
    /// Multiplies the gaps between submissions (`0.5` = twice as fast); durations are not
    /// scaled. Must be finite and above zero.
    pub time_scale: f64,
    /// Window start in seconds of the original trace after its earliest submission; time zero.
    pub start: Option<f64>,
    /// Window end (exclusive) in seconds of the original trace after its earliest submission.
    pub end: Option<f64>,
    pub on_bad_row: OnBadRow,
}

impl TraceSpec {
    /// A spec reading only the submit column, unscaled, the whole trace, bad rows an error.
    pub fn new(
        file: impl Into<PathBuf>,
        submit_column: impl Into<String>,
        time_format: TimeFormat,
    ) -> Self {
        TraceSpec {
            file: file.into(),
            submit_column: submit_column.into(),
            duration_column: None,
            nodes_column: None,
            gpus_column: None,
            extra_columns: vec![],
            extra_counts: false,
            time_format,
            time_scale: 1.0,
            start: None,
            end: None,
            on_bad_row: OnBadRow::Error,
        }
    }
}

/// One submission.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRow {
    /// 1-based CSV line where the row starts (the header is usually line 1).
    pub line: u64,
    /// Seconds after the window start, after scaling; `>= 0`.
    pub submit_s: f64,
    /// Seconds, finite and `>= 0`, not scaled.
    pub duration_s: Option<f64>,
    pub nodes: Option<u32>,
    pub gpus: Option<u32>,
    /// Values of [`TraceSpec::extra_columns`], in that order; each finite (and a whole number
    /// from 0 to `u32::MAX` with [`TraceSpec::extra_counts`]).
    pub extra: Vec<f64>,
}

/// A trace read and windowed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Trace {
    /// Sorted by submit time, ties in file order.
    pub rows: Vec<TraceRow>,
    /// Rows left out under [`OnBadRow::Skip`]: line and reason, in file order.
    pub skipped_rows: Vec<(u64, String)>,
    /// False if the file's good rows were out of time order and had to be sorted.
    pub was_sorted: bool,
    /// From the window start to the last submission, after scaling; 0 with no rows.
    pub span_s: f64,
    /// Rows left out by the [`RowFilter`]s.
    pub filtered_rows: usize,
}

/// Keeps the rows whose `column` holds one of `values` (after trimming, ignoring ASCII case).
#[derive(Clone, Debug, PartialEq)]
pub struct RowFilter {
    pub column: String,
    pub values: Vec<String>,
}

impl RowFilter {
    fn keeps(&self, field: &str) -> bool {
        self.values
            .iter()
            .any(|v| v.trim().eq_ignore_ascii_case(field))
    }
}

/// A problem with the trace, located in its file.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceError {
    pub file: PathBuf,
    /// 1-based CSV line (the header is line 1); 0 when the problem has no line (an unreadable
    /// file, a bad spec, the count of errors not shown).
    pub line: u64,
    /// The column at fault as named in the spec; empty for problems of a whole row or file.
    pub column: String,
    pub message: String,
}

impl fmt::Display for TraceError {
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

impl std::error::Error for TraceError {}

impl TraceError {
    /// The same problem as a scenario diagnostic: `field` is the column (or `trace`).
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: self.file.clone(),
            line: usize::try_from(self.line).unwrap_or(usize::MAX),
            column: usize::from(self.line > 0),
            field: if self.column.is_empty() {
                "trace".into()
            } else {
                self.column.clone()
            },
            message: self.message.clone(),
            hint: None,
        }
    }
}

/// Reads, checks, sorts and windows a trace file.
pub fn load(spec: &TraceSpec) -> Result<Trace, Vec<TraceError>> {
    load_filtered(spec, &[])
}

/// [`load`], keeping only the rows every filter keeps.
pub fn load_filtered(spec: &TraceSpec, filters: &[RowFilter]) -> Result<Trace, Vec<TraceError>> {
    match crate::text::input::read(&spec.file, crate::text::input::TRACE) {
        Ok(data) => parse_filtered(spec, filters, &data),
        Err(e) => Err(vec![error(
            &spec.file,
            0,
            "",
            format!("cannot read the trace: {e}"),
        )]),
    }
}

/// As [`load`], on the file's bytes; `spec.file` only names the file in messages.
pub fn parse(spec: &TraceSpec, data: &[u8]) -> Result<Trace, Vec<TraceError>> {
    parse_filtered(spec, &[], data)
}

/// As [`load_filtered`], on the file's bytes.
pub fn parse_filtered(
    spec: &TraceSpec,
    filters: &[RowFilter],
    data: &[u8],
) -> Result<Trace, Vec<TraceError>> {
    let file = spec.file.as_path();
    let spec_errors = check_spec(spec);
    if !spec_errors.is_empty() {
        return Err(spec_errors);
    }
    let time = match &spec.time_format {
        TimeFormat::EpochSeconds => TimeParser::Epoch { digits: 9 },
        TimeFormat::EpochMillis => TimeParser::Epoch { digits: 6 },
        TimeFormat::Strftime(f) => match strftime_items(f) {
            Ok(items) => TimeParser::Strftime { items, format: f },
            Err(m) => return Err(vec![error(file, 0, "time_format", m)]),
        },
    };

    let mut reader = row_reader(data);
    let mut lines = LineCounter::new(data);
    let mut record = csv::ByteRecord::new();

    // The header.
    let header_line = match reader.read_byte_record(&mut record) {
        Ok(true) => lines.line_of(&record),
        Ok(false) => {
            return Err(vec![error(
                file,
                1,
                "",
                "the file is empty: a trace needs a header row naming its columns".into(),
            )]);
        }
        Err(e) => {
            return Err(vec![error(
                file,
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
    let columns = find_columns(spec, filters, &header, file, header_line)?;

    // The rows.
    let mut report = Report::new(file, spec.on_bad_row);
    let mut good: Vec<(i128, TraceRow)> = vec![];
    let mut was_sorted = true;
    // The earliest submission of the rows the filters left out, and how many they were.
    let mut earliest_filtered: Option<i128> = None;
    let mut filtered_rows = 0;
    // Where `reader` started in `data`: it restarts after a row whose quote is not closed.
    let mut base = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Reading from memory cannot fail on I/O and byte records are not UTF-8 checked,
                // so this is unexpected: report it and stop rather than risk looping.
                let line = e
                    .position()
                    .map_or(0, |p| lines.line_at_byte(base + p.byte()));
                report.row(
                    line,
                    vec![(String::new(), format!("cannot read the row: {e}"))],
                );
                break;
            }
        }
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let start = base + record_start(data, base, &record);
        let line = lines.line_at_byte(start);
        // A trace's row is one line: a field holding a line break was opened by a stray quote
        // that swallowed the lines after it. That row is bad, and reading starts again on the
        // next line, so each swallowed line counts as the row it is.
        if spans_lines(&record) {
            report.row(line, vec![(String::new(), one_line("a trace's"))]);
            let Some(next) = next_line(data, start) else {
                break;
            };
            base = next as u64;
            reader = row_reader(&data[next..]);
            continue;
        }
        match read_row(
            &record,
            line,
            header.len(),
            &columns,
            &time,
            spec.extra_counts,
        ) {
            Ok(Read::Filtered(t)) => {
                filtered_rows += 1;
                earliest_filtered = Some(earliest_filtered.map_or(t, |e| e.min(t)));
            }
            Ok(Read::Kept(t, row)) => {
                if let Some((last, _)) = good.last()
                    && t < *last
                {
                    was_sorted = false;
                }
                good.push((t, row));
            }
            Err(problems) => report.row(line, problems),
        }
    }
    if spec.on_bad_row == OnBadRow::Error && report.count > 0 {
        return Err(report.into_errors());
    }

    // Sort, window, scale.
    if !was_sorted {
        good.sort_by_key(|(t, _)| *t);
    }
    let Some(earliest) = good.first().map(|(t, _)| *t) else {
        return Ok(Trace {
            rows: vec![],
            skipped_rows: report.skipped,
            was_sorted,
            span_s: 0.0,
            filtered_rows,
        });
    };
    let earliest = earliest_filtered.map_or(earliest, |e| e.min(earliest));
    let window_start = earliest.saturating_add(secs_to_nanos(spec.start.unwrap_or(0.0)));
    let window_end = spec.end.map(|e| earliest.saturating_add(secs_to_nanos(e)));
    let rows: Vec<TraceRow> = good
        .into_iter()
        .filter(|(t, _)| *t >= window_start && window_end.is_none_or(|e| *t < e))
        .map(|(t, mut row)| {
            row.submit_s = nanos_to_secs(t - window_start) * spec.time_scale;
            row
        })
        .collect();
    let span_s = rows.last().map_or(0.0, |r| r.submit_s);
    Ok(Trace {
        rows,
        skipped_rows: report.skipped,
        was_sorted,
        span_s,
        filtered_rows,
    })
}

fn error(file: &Path, line: u64, column: &str, message: String) -> TraceError {
    TraceError {
        file: file.to_path_buf(),
        line,
        column: column.to_string(),
        message,
    }
}

fn check_spec(spec: &TraceSpec) -> Vec<TraceError> {
    let file = spec.file.as_path();
    let mut errors = vec![];
    if !(spec.time_scale.is_finite() && spec.time_scale > 0.0) {
        errors.push(error(
            file,
            0,
            "time_scale",
            format!(
                "must be a finite number above zero, got {}",
                spec.time_scale
            ),
        ));
    }
    if let Some(s) = spec.start
        && !(s.is_finite() && s >= 0.0)
    {
        errors.push(error(
            file,
            0,
            "start",
            format!("must be zero or more seconds, got {s}"),
        ));
    }
    if let Some(e) = spec.end {
        if !(e.is_finite() && e > 0.0) {
            errors.push(error(
                file,
                0,
                "end",
                format!("must be a finite number of seconds above zero, got {e}"),
            ));
        } else if let Some(s) = spec.start
            && s.is_finite()
            && e <= s
        {
            errors.push(error(
                file,
                0,
                "end",
                format!("must be after start ({s} s), got {e} s"),
            ));
        }
    }
    errors
}

/// Column indexes of what the spec asks for.
struct Columns {
    submit: (String, usize),
    duration: Option<(String, usize)>,
    nodes: Option<(String, usize)>,
    gpus: Option<(String, usize)>,
    extra: Vec<(String, usize)>,
    filters: Vec<((String, usize), RowFilter)>,
}

fn find_columns(
    spec: &TraceSpec,
    filters: &[RowFilter],
    header: &[String],
    file: &Path,
    header_line: u64,
) -> Result<Columns, Vec<TraceError>> {
    let mut errors = vec![];
    let mut find = |name: &str| -> Option<(String, usize)> {
        let name = name.trim();
        let hits: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == name)
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [i] => Some((name.to_string(), *i)),
            [] => {
                let listed = if header.iter().all(|h| h.is_empty()) {
                    "none".to_string()
                } else {
                    header
                        .iter()
                        .map(|h| format!("`{}`", shown(h)))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let hint = header
                    .iter()
                    .find(|h| h.eq_ignore_ascii_case(name))
                    .map_or(String::new(), |h| {
                        format!(" (did you mean `{}`?)", shown(h))
                    });
                errors.push(error(
                    file,
                    header_line,
                    name,
                    format!("no such column in the header{hint}; the file's columns are {listed}"),
                ));
                None
            }
            _ => {
                errors.push(error(
                    file,
                    header_line,
                    name,
                    format!(
                        "the header names this column {} times; rename all but one",
                        hits.len()
                    ),
                ));
                None
            }
        }
    };
    let submit = find(&spec.submit_column);
    let duration = spec.duration_column.as_deref().map(&mut find);
    let nodes = spec.nodes_column.as_deref().map(&mut find);
    let gpus = spec.gpus_column.as_deref().map(&mut find);
    let extra: Vec<Option<(String, usize)>> = spec.extra_columns.iter().map(|c| find(c)).collect();
    let filter_columns: Vec<Option<(String, usize)>> =
        filters.iter().map(|f| find(&f.column)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    // With no errors every lookup succeeded.
    let (Some(submit), Some(duration), Some(nodes), Some(gpus), Some(extra), Some(filter_columns)) = (
        submit,
        duration.map_or(Some(None), |d| d.map(Some)),
        nodes.map_or(Some(None), |d| d.map(Some)),
        gpus.map_or(Some(None), |d| d.map(Some)),
        extra.into_iter().collect::<Option<Vec<_>>>(),
        filter_columns.into_iter().collect::<Option<Vec<_>>>(),
    ) else {
        return Err(vec![error(
            file,
            header_line,
            "",
            "cannot find the columns".into(),
        )]);
    };
    Ok(Columns {
        submit,
        duration,
        nodes,
        gpus,
        extra,
        filters: filter_columns
            .into_iter()
            .zip(filters.iter().cloned())
            .collect(),
    })
}

enum TimeParser<'a> {
    /// Seconds (`digits` = 9) or milliseconds (`digits` = 6) as decimal text.
    Epoch { digits: u32 },
    Strftime {
        items: Vec<Item<'a>>,
        format: &'a str,
    },
}

impl TimeParser<'_> {
    /// Nanoseconds since an origin fixed by the format.
    fn parse(&self, s: &str) -> Result<i128, String> {
        match self {
            TimeParser::Epoch { digits } => parse_epoch(s, *digits).ok_or_else(|| {
                let unit = if *digits == 9 {
                    "seconds (epoch_s)"
                } else {
                    "milliseconds (epoch_ms)"
                };
                format!("`{}` is not a number of {unit}", shown(s))
            }),
            TimeParser::Strftime { items, format } => {
                let mut p = Parsed::new();
                let why = |e: chrono::ParseError| {
                    format!(
                        "`{}` does not match the time format `{}`: {e}",
                        shown(s),
                        shown(format)
                    )
                };
                chrono::format::parse(&mut p, s, items.iter()).map_err(why)?;
                if p.offset().is_some() {
                    let dt = p.to_datetime().map_err(why)?;
                    return Ok(epoch_nanos(dt.timestamp(), dt.timestamp_subsec_nanos()));
                }
                match p.to_naive_datetime_with_offset(0) {
                    Ok(dt) => {
                        let dt = dt.and_utc();
                        Ok(epoch_nanos(dt.timestamp(), dt.timestamp_subsec_nanos()))
                    }
                    Err(e)
                        if e.kind() == ParseErrorKind::NotEnough
                            && p.hour_div_12().is_none()
                            && p.hour_mod_12().is_none()
                            && p.minute().is_none() =>
                    {
                        // A date alone: midnight.
                        let d = p.to_naive_date().map_err(why)?;
                        let dt = d.and_hms_opt(0, 0, 0).ok_or_else(|| why(e))?.and_utc();
                        Ok(epoch_nanos(dt.timestamp(), 0))
                    }
                    Err(e) => Err(why(e)),
                }
            }
        }
    }
}

fn epoch_nanos(secs: i64, nanos: u32) -> i128 {
    i128::from(secs) * NANOS_PER_S + i128::from(nanos)
}

/// Decimal text as an integer count of 10^-`digits` units: `"1.5"` with 9 digits is
/// 1,500,000,000. Digits past the unit are dropped. Exponent forms (`1e9`) go through f64.
fn parse_epoch(s: &str, digits: u32) -> Option<i128> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty()) {
        let scale = 10i128.checked_pow(digits)?;
        let mut value: i128 = 0;
        for b in int.bytes() {
            value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        value = value.checked_mul(scale)?;
        let mut unit = scale;
        for b in frac.bytes().take(digits as usize) {
            unit /= 10;
            value = value.checked_add(i128::from(b - b'0') * unit)?;
        }
        return (value < MAX_EPOCH_NANOS).then_some(if negative { -value } else { value });
    }
    // Exponent notation and the like.
    let v: f64 = s.parse().ok()?;
    let scaled = v * 10f64.powi(digits as i32);
    (scaled.is_finite() && scaled.abs() < MAX_EPOCH_NANOS as f64).then(|| scaled.round() as i128)
}

fn secs_to_nanos(s: f64) -> i128 {
    // `as` saturates; specs are checked finite before this is reached.
    (s * 1e9).round() as i128
}

fn nanos_to_secs(n: i128) -> f64 {
    (n / NANOS_PER_S) as f64 + (n % NANOS_PER_S) as f64 * 1e-9
}

type Problems = Vec<(String, String)>;

/// A row read: kept, with its submit time, or left out by a filter (its submit time only).
enum Read {
    Kept(i128, TraceRow),
    Filtered(i128),
}

/// Reads one row's columns; all of its problems when any.
fn read_row(
    record: &csv::ByteRecord,
    line: u64,
    header_len: usize,
    columns: &Columns,
    time: &TimeParser<'_>,
    extra_counts: bool,
) -> Result<Read, Problems> {
    if record.len() != header_len {
        return Err(vec![(
            String::new(),
            format!(
                "the row has {} field{}, the header has {}",
                record.len(),
                if record.len() == 1 { "" } else { "s" },
                header_len
            ),
        )]);
    }
    let filtered_out = columns.filters.iter().any(|((_, index), filter)| {
        let bytes = record.get(*index).unwrap_or_default();
        !std::str::from_utf8(bytes).is_ok_and(|s| filter.keeps(s))
    });
    if filtered_out {
        let bytes = record.get(columns.submit.1).unwrap_or_default();
        let name = &columns.submit.0;
        return match std::str::from_utf8(bytes) {
            Ok("") => Err(vec![(name.clone(), "is empty".into())]),
            Ok(s) => time
                .parse(s)
                .map(Read::Filtered)
                .map_err(|m| vec![(name.clone(), m)]),
            Err(_) => Err(vec![(name.clone(), "is not valid UTF-8 text".into())]),
        };
    }
    let mut problems: Problems = vec![];
    let mut field = |(name, index): &(String, usize)| -> Option<&str> {
        let bytes = record.get(*index).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok("") => {
                problems.push((name.clone(), "is empty".into()));
                None
            }
            Ok(s) => Some(s),
            Err(_) => {
                problems.push((name.clone(), "is not valid UTF-8 text".into()));
                None
            }
        }
    };
    let submit_text = field(&columns.submit);
    let duration_text = columns.duration.as_ref().map(&mut field);
    let nodes_text = columns.nodes.as_ref().map(&mut field);
    let gpus_text = columns.gpus.as_ref().map(&mut field);
    let extra_text: Vec<Option<&str>> = columns.extra.iter().map(&mut field).collect();

    let p = &mut problems;
    let submit = submit_text.and_then(|s| take(p, &columns.submit, time.parse(s)));
    let duration = match (&columns.duration, duration_text.flatten()) {
        (Some(c), Some(s)) => take(p, c, parse_duration_s(s)),
        _ => None,
    };
    let nodes = match (&columns.nodes, nodes_text.flatten()) {
        (Some(c), Some(s)) => take(p, c, parse_count(s)),
        _ => None,
    };
    let gpus = match (&columns.gpus, gpus_text.flatten()) {
        (Some(c), Some(s)) => take(p, c, parse_count(s)),
        _ => None,
    };
    let mut extra = Vec::with_capacity(columns.extra.len());
    for (c, s) in columns.extra.iter().zip(&extra_text) {
        let parse = if extra_counts {
            parse_zero_or_more
        } else {
            parse_number
        };
        if let Some(v) = s.and_then(|s| take(p, c, parse(s))) {
            extra.push(v);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match submit {
        Some(t) => Ok(Read::Kept(
            t,
            TraceRow {
                line,
                submit_s: 0.0,
                duration_s: duration,
                nodes,
                gpus,
                extra,
            },
        )),
        None => Err(vec![(columns.submit.0.clone(), "cannot be read".into())]),
    }
}

/// The value, or `None` with the problem noted against the column.
fn take<T>(problems: &mut Problems, column: &(String, usize), r: Result<T, String>) -> Option<T> {
    r.map_err(|m| problems.push((column.0.clone(), m))).ok()
}

fn parse_duration_s(s: &str) -> Result<f64, String> {
    // `HH:MM:SS` and KQL's `D.HH:MM:SS.fffffff`, as job histories print run times.
    if let Some(clock) = parse_timespan(s) {
        let v = clock?;
        return if v >= 0.0 {
            Ok(if v == 0.0 { 0.0 } else { v })
        } else {
            Err(format!(
                "must be a duration of zero or more seconds, got `{}`",
                shown(s)
            ))
        };
    }
    // `parse_duration` trips a debug assertion on a lone sign (`-`), and in release reads it
    // as -0: a duration without a digit is refused here first.
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return Err(format!("`{}` is not a duration", shown(s)));
    }
    let v = parse_duration(s)?;
    if v.is_finite() && v >= 0.0 {
        Ok(if v == 0.0 { 0.0 } else { v })
    } else {
        Err(format!(
            "must be a duration of zero or more seconds, got `{}`",
            shown(s)
        ))
    }
}

fn parse_count(s: &str) -> Result<u32, String> {
    let bad = || format!("must be a whole number of 1 or more, got `{}`", shown(s));
    if let Ok(n) = s.parse::<u64>() {
        return u32::try_from(n).ok().filter(|&n| n > 0).ok_or_else(bad);
    }
    // `2.0`, as pandas writes integer columns that have gaps elsewhere.
    match s.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v >= 1.0 && v <= f64::from(u32::MAX) => Ok(v as u32),
        _ => Err(bad()),
    }
}

/// A count that may be zero (tokens), kept as a float for [`TraceRow::extra`].
fn parse_zero_or_more(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v >= 0.0 && v <= f64::from(u32::MAX) => Ok(v + 0.0),
        _ => Err(format!(
            "must be a whole number of zero or more, got `{}`",
            shown(s)
        )),
    }
}

fn parse_number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("must be a number, got `{}`", shown(s))),
    }
}

/// A field as quoted in messages: control characters escaped, long text cut.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_SHOWN_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().nth(MAX_SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Bad rows as errors (the first [`MAX_ERRORS`], then counted) or skipped rows.
struct Report<'a> {
    file: &'a Path,
    mode: OnBadRow,
    errors: Vec<TraceError>,
    /// Errors found, shown or not.
    count: usize,
    first_unshown_line: Option<u64>,
    skipped: Vec<(u64, String)>,
}

impl<'a> Report<'a> {
    fn new(file: &'a Path, mode: OnBadRow) -> Self {
        Report {
            file,
            mode,
            errors: vec![],
            count: 0,
            first_unshown_line: None,
            skipped: vec![],
        }
    }

    fn row(&mut self, line: u64, problems: Problems) {
        match self.mode {
            OnBadRow::Skip => {
                let reason = problems
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
                self.skipped.push((line, reason));
            }
            OnBadRow::Error => {
                for (column, message) in problems {
                    self.count += 1;
                    if self.errors.len() < MAX_ERRORS {
                        self.errors.push(error(self.file, line, &column, message));
                    } else if self.first_unshown_line.is_none() {
                        self.first_unshown_line = Some(line);
                    }
                }
            }
        }
    }

    fn into_errors(mut self) -> Vec<TraceError> {
        let more = self.count - self.errors.len();
        if more > 0 {
            let at = self
                .first_unshown_line
                .map_or(String::new(), |l| format!(", the first at line {l}"));
            let message = format!(
                "{more} more error{} not shown{at} ({} in all)",
                if more == 1 { "" } else { "s" },
                self.count
            );
            self.errors.push(error(self.file, 0, "", message));
        }
        self.errors
    }
}

/// Why a record that spans lines is a bad row; `whose` is the file's kind ("a trace's").
pub(crate) fn one_line(whose: &str) -> String {
    format!(
        "a quote (\") opens a field that is not closed on this line; {whose} row is one line, so \
         this row is read no further and the next line is read as a row of its own"
    )
}

/// The CSV reader of traces and exports: no header handling, ragged rows allowed (and
/// reported), fields trimmed.
pub(crate) fn row_reader(data: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data)
}

/// Where `record` starts, in bytes after `base` (where the reader that read it started in
/// `data`): the first reader's positions leave out a UTF-8 BOM, which csv skips.
pub(crate) fn record_start(data: &[u8], base: u64, record: &csv::ByteRecord) -> u64 {
    let bom = if base == 0 && data.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    bom + record.position().map_or(0, |p| p.byte())
}

/// Whether a field of `record` holds a line break: in a file whose rows are one line each,
/// only a stray quote puts one there, and it swallows the lines after it.
pub(crate) fn spans_lines(record: &csv::ByteRecord) -> bool {
    record
        .iter()
        .any(|f| f.contains(&b'\n') || f.contains(&b'\r'))
}

/// Where the line after the one starting at byte `start` of `data` begins; `None` when it is
/// the last line.
pub(crate) fn next_line(data: &[u8], start: u64) -> Option<usize> {
    let mut from = usize::try_from(start).unwrap_or(data.len()).min(data.len());
    // csv may place a record after CRLF at its LF: the row starts past line breaks.
    while let Some(b'\r' | b'\n') = data.get(from) {
        from += 1;
    }
    let mut end = from
        + data[from..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')?;
    // A CRLF line ends at its LF.
    if data[end] == b'\r' && data.get(end + 1) == Some(&b'\n') {
        end += 1;
    }
    Some(end + 1)
}

/// 1-based line numbers from byte offsets, counted once through the file.
///
/// csv's own `Position::line` is where the reader stood before a record, which is the previous
/// record's line when lines end in CRLF or blank lines come between; so the record's start is
/// found here instead: the position's byte, past any line ends.
pub(crate) struct LineCounter<'a> {
    data: &'a [u8],
    /// Bytes counted so far, and the line at that byte.
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        LineCounter {
            data,
            byte: 0,
            line: 1,
        }
    }

    pub(crate) fn line_of(&mut self, record: &csv::ByteRecord) -> u64 {
        record
            .position()
            .map_or(self.line, |p| self.line_at_byte(p.byte()))
    }

    pub(crate) fn line_at_byte(&mut self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        while let Some(b'\r' | b'\n') = self.data.get(at) {
            at += 1;
        }
        if at < self.byte {
            // Positions only move forward; recount should they not.
            self.byte = 0;
            self.line = 1;
        }
        // A line ends at `\n`, or at a `\r` not followed by one (as csv reads old Mac files).
        let newlines = self.data.get(self.byte..at).map_or(0, |s| {
            s.iter()
                .enumerate()
                .filter(|&(i, &b)| {
                    b == b'\n' || (b == b'\r' && self.data.get(self.byte + i + 1) != Some(&b'\n'))
                })
                .count()
        });
        self.line += newlines as u64;
        self.byte = at;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: &str) -> TraceSpec {
        TraceSpec::new("t.csv", "t", TimeFormat::parse(format))
    }

    fn offsets(trace: &Trace) -> Vec<f64> {
        trace.rows.iter().map(|r| r.submit_s).collect()
    }

    #[test]
    fn time_format_names() {
        assert_eq!(TimeFormat::parse("epoch_s"), TimeFormat::EpochSeconds);
        assert_eq!(TimeFormat::parse("epoch_ms"), TimeFormat::EpochMillis);
        assert_eq!(
            TimeFormat::parse("%Y-%m-%d"),
            TimeFormat::Strftime("%Y-%m-%d".into())
        );
        assert!(TimeFormat::parse("%Y-%m-%d %H:%M:%S").validate().is_ok());
        assert!(TimeFormat::parse("%Y-%Q").validate().is_err());
        assert!(TimeFormat::parse("").validate().is_err());
    }

    #[test]
    fn epoch_text_is_exact() {
        assert_eq!(parse_epoch("1.5", 9), Some(1_500_000_000));
        assert_eq!(parse_epoch("-2", 9), Some(-2_000_000_000));
        assert_eq!(parse_epoch(".25", 9), Some(250_000_000));
        assert_eq!(parse_epoch("7.", 6), Some(7_000_000));
        assert_eq!(
            parse_epoch("1700000000.1234567891", 9),
            Some(1_700_000_000_123_456_789)
        );
        assert_eq!(parse_epoch("1e3", 9), Some(1_000_000_000_000));
        assert_eq!(parse_epoch("", 9), None);
        assert_eq!(parse_epoch(".", 9), None);
        assert_eq!(parse_epoch("-", 9), None);
        assert_eq!(parse_epoch("nan", 9), None);
        assert_eq!(parse_epoch("inf", 9), None);
        assert_eq!(parse_epoch("1e300", 9), None);
        assert_eq!(parse_epoch(&"9".repeat(60), 9), None);
        assert_eq!(parse_epoch("1:2", 9), None);
    }

    #[test]
    fn counts_are_positive_whole_numbers() {
        assert_eq!(parse_count("3"), Ok(3));
        assert_eq!(parse_count("+3"), Ok(3));
        assert_eq!(parse_count("2.0"), Ok(2));
        for bad in ["0", "-1", "1.5", "4294967296", "x", "nan", "inf", "0.0"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_take_numbers_and_units() {
        assert_eq!(parse_duration_s("90"), Ok(90.0));
        assert_eq!(parse_duration_s("2.5"), Ok(2.5));
        assert_eq!(parse_duration_s("5m"), Ok(300.0));
        assert_eq!(parse_duration_s("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration_s("0"), Ok(0.0));
        assert_eq!(
            parse_duration_s("-0").map(f64::to_bits),
            Ok(0.0f64.to_bits())
        );
        for bad in [
            "-1", "NaN", "inf", "1e400", "5x", "-5m", "-", "- ", "m", ".",
        ] {
            assert!(parse_duration_s(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_take_clock_times_and_kql_timespans() {
        assert_eq!(parse_duration_s("01:30:00"), Ok(5400.0));
        assert_eq!(parse_duration_s("1.00:00:30.5000000"), Ok(86_430.5));
        assert_eq!(
            parse_duration_s("-00:00:00").map(f64::to_bits),
            Ok(0.0f64.to_bits())
        );
        for bad in ["-00:01:00", "1:30", "00:99:00"] {
            assert!(parse_duration_s(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_select_rows_and_keep_the_clock() {
        // Row 3 (cluster b) is the earliest submission: it sets time zero though it is left
        // out; row 5 is left out without its bad duration being read.
        let data = b"t,d,status,cluster\n\
                     100,00:10:00,Completed,a\n\
                     50,10,Completed,b\n\
                     160,5m, failed ,a\n\
                     170,bad,Canceled,a\n\
                     190,1.00:00:00,completed,A\n";
        let mut s = spec("epoch_s");
        s.duration_column = Some("d".into());
        let filters = [
            RowFilter {
                column: "status".into(),
                values: vec!["Completed".into(), "Failed".into()],
            },
            RowFilter {
                column: "cluster".into(),
                values: vec!["a".into()],
            },
        ];
        let trace = parse_filtered(&s, &filters, data).unwrap();
        assert_eq!(offsets(&trace), [50.0, 110.0, 140.0]);
        let durations: Vec<_> = trace.rows.iter().map(|r| r.duration_s).collect();
        assert_eq!(durations, [Some(600.0), Some(300.0), Some(86_400.0)]);
        assert_eq!(trace.filtered_rows, 2);
        // Without filters the bad row is an error, as before.
        let errors = parse(&s, data).unwrap_err();
        assert_eq!((errors[0].line, errors[0].column.as_str()), (5, "d"));
        // A filter column the header lacks is an error at the header.
        let missing = [RowFilter {
            column: "Status".into(),
            values: vec!["x".into()],
        }];
        let errors = parse_filtered(&s, &missing, data).unwrap_err();
        assert_eq!((errors[0].line, errors[0].column.as_str()), (1, "Status"));
        assert!(
            errors[0].message.contains("did you mean `status`"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn strftime_with_fraction_offset_and_date_only() {
        let f = |fmt: &str, s: &str| {
            let items = strftime_items(fmt).unwrap();
            TimeParser::Strftime { items, format: fmt }.parse(s)
        };
        let base = f("%Y-%m-%d %H:%M:%S", "2023-11-16 18:17:03").unwrap();
        let frac = f("%Y-%m-%d %H:%M:%S%.f", "2023-11-16 18:17:03.9799600").unwrap();
        assert_eq!(frac - base, 979_960_000);
        assert_eq!(
            f("%Y-%m-%d %H:%M:%S%.f", "2023-11-16 18:17:03").unwrap(),
            base
        );
        let utc = f("%Y-%m-%dT%H:%M:%S%z", "2023-11-16T18:17:03+0000").unwrap();
        let plus2 = f("%Y-%m-%dT%H:%M:%S%z", "2023-11-16T20:17:03+0200").unwrap();
        assert_eq!(utc, plus2);
        assert_eq!(utc, base);
        let day = f("%Y-%m-%d", "2023-11-16").unwrap();
        assert_eq!(base - day, (18 * 3600 + 17 * 60 + 3) * NANOS_PER_S);
        assert!(f("%Y-%m-%d %H:%M:%S", "2023-11-31 00:00:00").is_err());
        assert!(f("%H:%M:%S", "10:00:00").is_err());
        assert!(f("%Y-%m-%d %H:%M:%S", "2023-11-16").is_err());
    }

    #[test]
    fn crlf_blank_lines_and_bom_give_true_lines() {
        let data = b"\xef\xbb\xbft,d\r\n\r\n3,\"a\r\nb\"\r\n\r\n\r\n1,2\r\n  \r\n,\r\n2,x\r\n\r\n";
        let mut s = spec("epoch_s");
        s.duration_column = Some("d".into());
        s.on_bad_row = OnBadRow::Skip;
        let trace = parse(&s, data).unwrap();
        assert_eq!(
            trace
                .skipped_rows
                .iter()
                .map(|(l, _)| *l)
                .collect::<Vec<_>>(),
            // A trace's row is one line: the quote opened on line 3 is not closed there, so
            // line 3 is bad and line 4 (`b"`) is read as a row of its own.
            vec![3, 4, 10]
        );
        assert_eq!(trace.rows.len(), 1);
        assert_eq!(trace.rows[0].line, 7);
    }

    #[test]
    fn header_line_counts_leading_blank_lines() {
        let data = b"\n\nx,y\n1,2\n";
        let errors = parse(&spec("epoch_s"), data).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("`x`, `y`"), "{}", errors[0]);
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs: [&[u8]; 10] = [
            b"",
            b"\n\n\n",
            b"t",
            b"t\n\xff\xfe",
            b"t\n\"",
            b"t\n\"\"\"",
            b"\xef\xbb\xbf",
            b"t,t\n1,2\n",
            b"t\n1e308\n-1e308\n",
            b"t\n-170141183460469231731687303715884105728\n",
        ];
        for data in inputs {
            for format in ["epoch_s", "epoch_ms", "%Y", "%s"] {
                let _ = parse(&spec(format), data);
            }
        }
    }

    fn check_promises(trace: &Trace) {
        assert!(
            trace
                .rows
                .windows(2)
                .all(|w| w[0].submit_s <= w[1].submit_s)
        );
        assert!(
            trace
                .rows
                .iter()
                .all(|r| r.submit_s >= 0.0 && r.submit_s.is_finite())
        );
        assert!(
            trace
                .rows
                .iter()
                .all(|r| r.duration_s.is_some_and(|d| d >= 0.0 && d.is_finite()))
        );
        assert_eq!(trace.span_s, trace.rows.last().map_or(0.0, |r| r.submit_s));
        assert!(
            trace
                .rows
                .windows(2)
                .all(|w| w[0].submit_s < w[1].submit_s || w[0].line < w[1].line)
        );
    }

    proptest::proptest! {
        /// Arbitrary CSV-ish bytes never panic, and whatever loads keeps the promises.
        #[test]
        fn any_bytes_load_or_fail_cleanly(
            data in proptest::collection::vec(
                proptest::sample::select(b"t,d\"\r\n 0123456789.:-e+x\xef\xbb\xbf".to_vec()),
                0..200,
            ),
            format in proptest::sample::select(vec!["epoch_s", "epoch_ms", "%H:%M", "%s%.f"]),
            skip in proptest::bool::ANY,
            with_header in proptest::bool::ANY,
        ) {
            let mut data = data;
            if with_header {
                data.splice(0..0, b"t,d\n".iter().copied());
            }
            let mut s = spec(format);
            s.duration_column = Some("d".into());
            s.on_bad_row = if skip { OnBadRow::Skip } else { OnBadRow::Error };
            if let Ok(trace) = parse(&s, &data) {
                check_promises(&trace);
            }
        }

        /// Rows of plausible and implausible fields: good rows load in order and in the window,
        /// bad ones are counted exactly once.
        #[test]
        fn plausible_rows_keep_the_promises(
            rows in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        "[0-9]{1,6}(\\.[0-9]{1,12})?",
                        "-[0-9]{1,3}",
                        "[0-9]e[0-9]{1,3}",
                        "[^\\r\\n,\"]{0,4}",
                    ],
                    proptest::prop_oneof!["[0-9]{1,4}(\\.[0-9])?", "[0-9][smhd]", "-1", "\"[a-z\n,]{0,4}\"", ""],
                    proptest::sample::select(vec!["\n", "\r\n", "\n\n", "\r"]),
                ),
                0..30,
            ),
            skip in proptest::bool::ANY,
            scale in 0.01..10.0f64,
            start in proptest::option::of(0.0..1000.0f64),
            end in proptest::option::of(1000.0..1e6f64),
        ) {
            let mut data = String::from("t,d\n");
            for (t, d, end) in &rows {
                data.push_str(&format!("{t},{d}{end}"));
            }
            let mut s = spec("epoch_s");
            s.duration_column = Some("d".into());
            s.on_bad_row = if skip { OnBadRow::Skip } else { OnBadRow::Error };
            s.time_scale = scale;
            s.start = start;
            s.end = end;
            match parse(&s, data.as_bytes()) {
                Ok(trace) => {
                    check_promises(&trace);
                    // A row is one line: a line break inside quotes makes more rows.
                    // (CR, LF and CRLF each end a line; the header's is not a row.)
                    let b = data.as_bytes();
                    let ends = (0..b.len())
                        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
                        .count();
                    let lines = ends + usize::from(!data.ends_with(['\n', '\r'])) - 1;
                    proptest::prop_assert!(trace.rows.len() + trace.skipped_rows.len() <= lines);
                    if !skip {
                        proptest::prop_assert!(trace.skipped_rows.is_empty());
                    }
                }
                Err(errors) => {
                    proptest::prop_assert!(!skip);
                    proptest::prop_assert!(!errors.is_empty() && errors.len() <= MAX_ERRORS + 1);
                    proptest::prop_assert!(errors.iter().all(|e| e.line >= 2 || e.line == 0));
                }
            }
        }
    }

    #[test]
    fn summary_after_fifty_errors() {
        let mut data = b"t\n".to_vec();
        for _ in 0..70 {
            data.extend_from_slice(b"bad\n");
        }
        let errors = parse(&spec("epoch_s"), &data).unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(errors[49].line, 51);
        let last = errors.last().unwrap();
        assert_eq!(last.line, 0);
        assert!(
            last.message
                .contains("20 more errors not shown, the first at line 52 (70 in all)"),
            "{last}"
        );
    }

    #[test]
    fn error_display() {
        let e = error(Path::new("a.csv"), 4, "gpus", "is empty".into());
        assert_eq!(e.to_string(), "a.csv:4: gpus: is empty");
        let e = error(Path::new("a.csv"), 0, "", "cannot read".into());
        assert_eq!(e.to_string(), "a.csv: cannot read");
        let d = error(Path::new("a.csv"), 4, "gpus", "is empty".into()).to_diagnostic();
        assert_eq!((d.line, d.field.as_str()), (4, "gpus"));
    }

    #[test]
    fn bad_specs_are_reported() {
        let mut s = spec("epoch_s");
        s.time_scale = 0.0;
        s.start = Some(10.0);
        s.end = Some(5.0);
        let errors = parse(&s, b"t\n1\n").unwrap_err();
        let cols: Vec<_> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, ["time_scale", "end"]);
        let errors = parse(&spec("%Q"), b"t\n1\n").unwrap_err();
        assert_eq!(errors[0].column, "time_format");
    }

    #[test]
    fn offsets_keep_nanoseconds() {
        let data = b"t\n1700000000.000000001\n1700000000\n1700000100.5\n";
        let trace = parse(&spec("epoch_s"), data).unwrap();
        assert_eq!(offsets(&trace), [0.0, 1e-9, 100.5]);
        assert!(!trace.was_sorted);
    }
}
