//! Listing the VM catalog: choose sizes with [`select`] and render them with [`render`] as a
//! terminal table, CSV or JSON.
//!
//! Pure library code: no printing and no argument parsing; the CLI builds a [`Query`] and prints
//! what [`render`] returns. Every rendering ends with a newline (print it with `print!`). The
//! table's footer names the source, region and date of every price it shows; CSV and JSON carry
//! the catalog's `price_*` columns themselves.

use super::{Catalog, VmSize};
use std::fmt::Write as _;

/// The catalog's columns in file order: the CSV header and the JSON keys.
pub const COLUMNS: [&str; 20] = [
    "series",
    "size",
    "vcpus",
    "memory_gib",
    "gpus",
    "gpu_model",
    "gpu_memory_gib",
    "gpu_arch",
    "min_cuda",
    "temp_storage_gib",
    "category",
    "isolated",
    "retired_on",
    "retirement_status",
    "price_usd_per_hour",
    "low_priority_price_usd_per_hour",
    "price_region",
    "price_date",
    "price_source",
    "low_priority_price_source",
];

/// Which sizes to list. All filters combine with "and"; `series` entries combine with "or".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// Series names (the catalog's `series` column), matched by [`series_matches`]. Empty: all.
    pub series: Vec<String>,
    /// Only sizes with at least one GPU.
    pub gpu: bool,
    /// Only sizes with at least this much memory (inclusive).
    pub min_memory_gib: Option<f64>,
    /// Only sizes with at least this many vCPUs (inclusive).
    pub min_vcpus: Option<u32>,
    /// Also list sizes that [`is_retired`] on `today`.
    pub include_retired: bool,
    /// `YYYY-MM-DD`, supplied by the caller so that results are deterministic.
    pub today: String,
}

/// How [`render`] lays the rows out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Fixed-width text for a terminal, with a footer naming the price sources.
    Table,
    /// The catalog's own CSV columns and header.
    Csv,
    /// An array of objects keyed by the catalog's column names.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}` (expected table, csv or json)"
            )),
        }
    }
}

/// The sizes matching `q`, in catalog order.
pub fn select<'a>(catalog: &'a Catalog, q: &Query) -> Vec<&'a VmSize> {
    catalog
        .sizes()
        .iter()
        .filter(|s| {
            (q.series.is_empty() || q.series.iter().any(|p| series_matches(p, &s.series)))
                && (!q.gpu || s.gpus > 0)
                && q.min_memory_gib.is_none_or(|m| s.memory_gib >= m)
                && q.min_vcpus.is_none_or(|v| s.vcpus >= v)
                && (q.include_retired || !is_retired(s, &q.today))
        })
        .collect()
}

/// Whether the user's `pattern` names the catalog `series`.
///
/// Case, spaces, underscores and hyphens are ignored, as is a `(newer)` suffix, so `NCasT4_v3`,
/// `ncast4 v3` and `NC A100 v4 (newer)` / `nc_a100_v4` all work. A series written with an alias in
/// parentheses, such as `EAv4 (Easv4)` or `NV (NV_Promo)`, answers to its full name, to the name
/// before the parenthesis (`EAv4`, which therefore also lists the `EAv4` rows) and to the alias
/// alone (`Easv4`).
pub fn series_matches(pattern: &str, series: &str) -> bool {
    let wanted = normalize(pattern);
    if wanted.is_empty() {
        return false;
    }
    if normalize(series) == wanted {
        return true;
    }
    match series.split_once('(') {
        Some((base, rest)) => {
            let alias = normalize(rest.split(')').next().unwrap_or(""));
            normalize(base) == wanted || (alias != "newer" && alias == wanted)
        }
        None => false,
    }
}

/// The distinct series names of the catalog, in catalog order (for "unknown series" hints).
pub fn series_names(catalog: &Catalog) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for s in catalog.sizes() {
        if !names.contains(&s.series.as_str()) {
            names.push(&s.series);
        }
    }
    names
}

/// Whether `size` is retired on `today` (`YYYY-MM-DD`): its `retirement_status` is `retired`,
/// or the date that `retired_on` starts with is on or before `today`. If `today` is not a date,
/// only the status counts.
pub fn is_retired(size: &VmSize, today: &str) -> bool {
    if size
        .retirement_status
        .trim()
        .eq_ignore_ascii_case("retired")
    {
        return true;
    }
    match (leading_date(&size.retired_on), leading_date(today)) {
        (Some(retired_on), Some(today)) => retired_on <= today,
        _ => false,
    }
}

/// Renders `rows` (from [`select`]) in `format`.
pub fn render(rows: &[&VmSize], format: Format) -> String {
    render_within(rows, format, None)
}

/// [`render`], the table within `width` columns when given: the headers wrap, the series,
/// GPU architecture columns go when they must (the CSV has them), and the GPU
/// model and retirement cells wrap; the columns left out are named under the table.
pub fn render_within(rows: &[&VmSize], format: Format, width: Option<usize>) -> String {
    match format {
        Format::Table if width.is_some() => render_fitted(rows, width),
        Format::Table => render_table(rows),
        Format::Csv => render_csv(rows),
        Format::Json => render_json(rows),
    }
}

/// `lowercase`, without whitespace, `_`, `-` and a trailing `(newer)`.
fn normalize(s: &str) -> String {
    let squashed: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    match squashed.strip_suffix("(newer)") {
        Some(stripped) => stripped.to_string(),
        None => squashed,
    }
}

/// The `YYYY-MM-DD` that `s` starts with, if any (`retired_on` may carry a note after it).
fn leading_date(s: &str) -> Option<&str> {
    let date = s.trim().get(..10)?;
    let well_formed = date.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    well_formed.then_some(date)
}

/// One catalog cell, typed.
enum Cell<'a> {
    Text(&'a str),
    Count(u32),
    Number(Option<f64>),
}

/// Every column of `s` in [`COLUMNS`] order.
fn cells(s: &VmSize) -> [(&'static str, Cell<'_>); 20] {
    use Cell::{Count, Number, Text};
    [
        ("series", Text(&s.series)),
        ("size", Text(&s.size)),
        ("vcpus", Count(s.vcpus)),
        ("memory_gib", Number(Some(s.memory_gib))),
        ("gpus", Count(s.gpus)),
        ("gpu_model", Text(&s.gpu_model)),
        ("gpu_memory_gib", Number(s.gpu_memory_gib)),
        ("gpu_arch", Text(&s.gpu_arch)),
        ("min_cuda", Text(&s.min_cuda)),
        ("temp_storage_gib", Text(&s.temp_storage_gib)),
        ("category", Text(&s.category)),
        ("isolated", Text(&s.isolated)),
        ("retired_on", Text(&s.retired_on)),
        ("retirement_status", Text(&s.retirement_status)),
        ("price_usd_per_hour", Number(s.price_usd_per_hour)),
        (
            "low_priority_price_usd_per_hour",
            Number(s.low_priority_price_usd_per_hour),
        ),
        ("price_region", Text(&s.price_region)),
        ("price_date", Text(&s.price_date)),
        ("price_source", Text(&s.price_source)),
        (
            "low_priority_price_source",
            Text(&s.low_priority_price_source),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Table

const TABLE_HEADER: [&str; 10] = [
    "size",
    "series",
    "vcpus",
    "memory_gib",
    "gpus",
    "gpu",
    "gpu_arch",
    "price_usd_per_hour",
    "low_priority_price_usd_per_hour",
    "retired_on",
];

/// Columns aligned right (numbers); the others align left.
const TABLE_RIGHT: [bool; 10] = [
    false, false, true, true, true, false, false, true, true, false,
];

fn render_table(rows: &[&VmSize]) -> String {
    let body: Vec<[String; 10]> = rows.iter().map(|s| table_row(s)).collect();
    let mut widths = TABLE_HEADER.map(|h| h.chars().count());
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    push_table_line(&mut out, &TABLE_HEADER.map(String::from), &widths);
    push_table_line(&mut out, &widths.map(|w| "-".repeat(w)), &widths);
    if body.is_empty() {
        out.push_str("(no VM size matched the query)\n");
        return out;
    }
    for row in &body {
        push_table_line(&mut out, row, &widths);
    }
    out.push('\n');
    out.push_str(&price_footer(rows));
    out
}

/// The table within a width, by [`crate::text::table`], with headers in words.
fn render_fitted(rows: &[&VmSize], width: Option<usize>) -> String {
    use crate::text::table::{Column, Rule, layout};
    let columns = [
        Column::left("size"),
        Column::left("series").droppable(1),
        Column::right("vCPUs"),
        Column::right("memory GiB"),
        Column::right("GPUs"),
        Column::left("GPU").wrapping(),
        Column::left("GPU arch").droppable(2),
        Column::right("price/h"),
        Column::right("low priority"),
        // Only a column of dashes may go (no size listed is retiring).
        if rows.iter().all(|s| retired_cell(s) == "-") {
            Column::left("retired on").droppable(3)
        } else {
            Column::left("retired on").wrapping()
        },
    ];
    // Money as capsim writes it everywhere: `$0.526`.
    let price = |x: Option<f64>| x.map_or("-".into(), crate::text::format::usd_per_hour);
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            let mut row = table_row(s).to_vec();
            row[7] = price(s.price_usd_per_hour);
            row[8] = price(s.low_priority_price_usd_per_hour);
            row
        })
        .collect();
    let fitted = layout(&columns, &body, Rule::PerColumn, width);
    let mut out = fitted.text;
    if body.is_empty() {
        out.push_str("(no VM size matched the query)\n");
        return out;
    }
    out.push('\n');
    if !fitted.dropped.is_empty() {
        let _ = writeln!(
            out,
            "Left out to fit {} columns: {} (--format csv has every column; --wide shows them).",
            width.unwrap_or(0),
            fitted.dropped.join(", ")
        );
    }
    out.push_str(&price_footer(rows));
    out
}

fn table_row(s: &VmSize) -> [String; 10] {
    [
        s.size.clone(),
        or_dash(&s.series),
        s.vcpus.to_string(),
        number(Some(s.memory_gib)),
        s.gpus.to_string(),
        or_dash(&s.gpu_model),
        or_dash(&s.gpu_arch),
        money(s.price_usd_per_hour),
        money(s.low_priority_price_usd_per_hour),
        retired_cell(s),
    ]
}

fn push_table_line(out: &mut String, cells: &[String; 10], widths: &[usize; 10]) {
    let mut line = String::new();
    for (i, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
        if TABLE_RIGHT[i] {
            line.push_str(&pad);
            line.push_str(cell);
        } else {
            line.push_str(cell);
            line.push_str(&pad);
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn or_dash(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() { "-" } else { s }.to_string()
}

fn money(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x:.3}"),
        _ => "-".to_string(),
    }
}

fn number(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => x.to_string(),
        _ => "-".to_string(),
    }
}

/// `2028-05-01 (announced)`; a note after the date follows the status.
fn retired_cell(s: &VmSize) -> String {
    let raw = s.retired_on.trim();
    let status = s.retirement_status.trim();
    match (raw.is_empty(), status.is_empty()) {
        (true, true) => "-".to_string(),
        (true, false) => status.to_string(),
        (false, true) => raw.to_string(),
        (false, false) => match leading_date(raw) {
            Some(date) => {
                let note = raw[date.len()..].trim();
                if note.is_empty() {
                    format!("{date} ({status})")
                } else {
                    format!("{date} ({status}) {note}")
                }
            }
            None => format!("{raw} ({status})"),
        },
    }
}

/// Where the money in `rows` comes from: the distinct (source, region, date) of the list prices
/// and the distinct sources of the low-priority prices, in order of first appearance.
fn price_footer(rows: &[&VmSize]) -> String {
    let mut list: Vec<(&str, &str, &str)> = Vec::new();
    let mut low: Vec<&str> = Vec::new();
    let mut unpriced = 0usize;
    for s in rows {
        if s.price_usd_per_hour.is_some() {
            let key = (
                s.price_source.trim(),
                s.price_region.trim(),
                s.price_date.trim(),
            );
            if !list.contains(&key) {
                list.push(key);
            }
        } else {
            unpriced += 1;
        }
        if s.low_priority_price_usd_per_hour.is_some() {
            let source = s.low_priority_price_source.trim();
            if !low.contains(&source) {
                low.push(source);
            }
        }
    }
    let mut out = String::new();
    if list.is_empty() {
        out.push_str("No list price in the catalog for the selected sizes.\n");
    } else {
        out.push_str("Prices are USD per hour. List price (Linux pay-as-you-go) from:\n");
        for (source, region, date) in &list {
            let _ = writeln!(
                out,
                "  {}, {}: {}",
                or_unknown(region, "region not recorded"),
                or_unknown(date, "date not recorded"),
                or_unknown(source, "source not recorded"),
            );
        }
    }
    if !low.is_empty() {
        out.push_str("Low-priority price from:\n");
        for source in &low {
            let _ = writeln!(out, "  {}", or_unknown(source, "source not recorded"));
        }
    }
    if unpriced > 0 && !list.is_empty() {
        let verb = if unpriced == 1 { "has" } else { "have" };
        let _ = writeln!(
            out,
            "{unpriced} of the {} sizes listed {verb} no list price in the catalog (shown as -).",
            rows.len()
        );
    }
    out
}

fn or_unknown<'a>(s: &'a str, unknown: &'a str) -> &'a str {
    if s.is_empty() { unknown } else { s }
}

// ---------------------------------------------------------------------------------------------
// CSV

fn render_csv(rows: &[&VmSize]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing fixed-length records into a Vec cannot fail.
    writer
        .write_record(COLUMNS)
        .expect("CSV into memory cannot fail");
    for s in rows {
        let record = cells(s).map(|(_, cell)| match cell {
            Cell::Text(t) => t.to_string(),
            Cell::Count(n) => n.to_string(),
            // `Display` for f64 is the shortest text that parses back to the same value.
            Cell::Number(x) => x.map(|x| x.to_string()).unwrap_or_default(),
        });
        writer
            .write_record(&record)
            .expect("CSV into memory cannot fail");
    }
    let bytes = writer.into_inner().expect("CSV into memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8")
}

// ---------------------------------------------------------------------------------------------
// JSON

/// One size as a JSON object: the catalog's columns, in file order; a number missing or not
/// finite is `null`.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    series: &'a str,
    size: &'a str,
    vcpus: u32,
    memory_gib: f64,
    gpus: u32,
    gpu_model: &'a str,
    gpu_memory_gib: Option<f64>,
    gpu_arch: &'a str,
    min_cuda: &'a str,
    temp_storage_gib: &'a str,
    category: &'a str,
    isolated: &'a str,
    retired_on: &'a str,
    retirement_status: &'a str,
    price_usd_per_hour: Option<f64>,
    low_priority_price_usd_per_hour: Option<f64>,
    price_region: &'a str,
    price_date: &'a str,
    price_source: &'a str,
    low_priority_price_source: &'a str,
}

impl<'a> JsonRow<'a> {
    fn new(s: &'a VmSize) -> JsonRow<'a> {
        JsonRow {
            series: &s.series,
            size: &s.size,
            vcpus: s.vcpus,
            memory_gib: s.memory_gib,
            gpus: s.gpus,
            gpu_model: &s.gpu_model,
            gpu_memory_gib: s.gpu_memory_gib,
            gpu_arch: &s.gpu_arch,
            min_cuda: &s.min_cuda,
            temp_storage_gib: &s.temp_storage_gib,
            category: &s.category,
            isolated: &s.isolated,
            retired_on: &s.retired_on,
            retirement_status: &s.retirement_status,
            price_usd_per_hour: s.price_usd_per_hour,
            low_priority_price_usd_per_hour: s.low_priority_price_usd_per_hour,
            price_region: &s.price_region,
            price_date: &s.price_date,
            price_source: &s.price_source,
            low_priority_price_source: &s.low_priority_price_source,
        }
    }
}

/// An array of objects, one object per line (`{"k": v, "k": v}`): a size per line reads and
/// diffs well. Numbers are Rust's shortest round-trip text without an exponent (`320`, not
/// serde_json's `320.0`), and U+2028 and U+2029 are escaped, as JavaScript needs.
struct OnePerLine {
    items: bool,
}

impl serde_json::ser::Formatter for OnePerLine {
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.items { b"\n]" } else { b"]" })
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.items = true;
        w.write_all(if first { b"\n  " } else { b",\n  " })
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    // serde_json writes `null` for a value that is not finite, before this is called.
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, x: f64) -> std::io::Result<()> {
        write!(w, "{x}")
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(['\u{2028}', '\u{2029}']) {
            w.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write!(w, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
}

fn render_json(rows: &[&VmSize]) -> String {
    let rows: Vec<JsonRow> = rows.iter().map(|s| JsonRow::new(s)).collect();
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, OnePerLine { items: false });
    // Plain strings and numbers into memory: nothing can fail.
    serde::Serialize::serialize(&rows, &mut ser).expect("JSON into memory cannot fail");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CATALOG_CSV;

    const TODAY: &str = "2026-11-27";

    fn query() -> Query {
        Query {
            today: TODAY.to_string(),
            ..Query::default()
        }
    }

    fn with_series(names: &[&str]) -> Query {
        Query {
            series: names.iter().map(|s| s.to_string()).collect(),
            ..query()
        }
    }

    fn names<'a>(rows: &[&'a VmSize]) -> Vec<&'a str> {
        rows.iter().map(|s| s.size.as_str()).collect()
    }

    fn pick(q: &Query) -> Vec<&'static VmSize> {
        select(Catalog::builtin(), q)
    }

    /// The CSV text of one row, as `render` writes it (exact for every field).
    fn csv_fields(s: &VmSize) -> Vec<String> {
        let text = render(&[s], Format::Csv);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        record.iter().map(str::to_string).collect()
    }

    #[test]
    fn columns_are_the_catalog_header() {
        assert_eq!(COLUMNS.join(","), CATALOG_CSV.lines().next().unwrap());
    }

    #[test]
    fn gpu_series_ncast4_lists_its_four_sizes() {
        let q = Query {
            gpu: true,
            ..with_series(&["NCasT4_v3"])
        };
        let expected = [
            "Standard_NC4as_T4_v3",
            "Standard_NC8as_T4_v3",
            "Standard_NC16as_T4_v3",
            "Standard_NC64as_T4_v3",
        ];
        assert_eq!(names(&pick(&q)), expected);
        for spelling in ["ncast4v3", "NCasT4 v3", " NCAST4_V3 ", "NCasT4-v3"] {
            assert_eq!(
                names(&pick(&with_series(&[spelling]))),
                expected,
                "{spelling}"
            );
        }
    }

    #[test]
    fn series_spellings() {
        let count = |s: &[&str]| {
            pick(&Query {
                include_retired: true,
                ..with_series(s)
            })
            .len()
        };
        for spelling in [
            "NC A100 v4 (newer)",
            "NC A100 v4",
            "nc_a100_v4",
            "NCA100v4",
            "nca100v4(newer)",
        ] {
            assert_eq!(count(&[spelling]), 3, "{spelling}");
        }
        assert_eq!(count(&["Easv4"]), 7);
        assert_eq!(count(&["EAv4 (Easv4)"]), 7);
        assert_eq!(count(&["EAv4"]), 9 + 7);
        assert_eq!(count(&["NV_Promo"]), 3);
        assert_eq!(count(&["NV"]), 3 + 3);
        assert_eq!(count(&["NC Promo"]), 4);
        assert_eq!(count(&["NC"]), 4);
        assert_eq!(count(&["dsv2"]), 9);
        assert_eq!(count(&["Dv2"]), 10);
        assert_eq!(count(&["newer"]), 0);
        assert_eq!(count(&["no such series"]), 0);
        assert_eq!(count(&[""]), 0);
        // Several series: their union, in catalog order (DSv2 comes before NCv3 in the file).
        let both = pick(&Query {
            include_retired: true,
            ..with_series(&["NCv3", "DSv2"])
        });
        assert_eq!(both.len(), 9 + 4);
        assert_eq!(both[0].size, "Standard_DS1_v2");
        assert_eq!(both[12].size, "Standard_NC24rs_v3");
    }

    #[test]
    fn series_names_are_distinct_in_catalog_order() {
        let names = series_names(Catalog::builtin());
        assert_eq!(names.len(), 33);
        assert_eq!(names[0], "DDSv4");
        assert_eq!(names[names.len() - 1], "NC H100 v5 (newer)");
    }

    #[test]
    fn min_vcpus_filter() {
        let rows = pick(&Query {
            min_vcpus: Some(64),
            ..query()
        });
        // Counted by hand from vm_catalog.csv: none of the 32 sizes with >= 64 vCPUs is retired.
        assert_eq!(rows.len(), 32);
        assert!(rows.iter().all(|s| s.vcpus >= 64));
        assert_eq!(rows[0].size, "Standard_D64ds_v4");
        assert_eq!(rows[31].size, "Standard_NC80adis_H100_v5");
        let with_gpu = pick(&Query {
            min_vcpus: Some(64),
            gpu: true,
            ..query()
        });
        assert_eq!(
            names(&with_gpu),
            [
                "Standard_NC64as_T4_v3",
                "Standard_ND96asr_v4",
                "Standard_NC96ads_A100_v4",
                "Standard_ND96amsr_A100_v4",
                "Standard_ND96isr_H100_v5",
                "Standard_NC80adis_H100_v5",
            ]
        );
        // Inclusive bound: HB120rs_v2 and HB120rs_v3 have exactly 120, the M128s 128.
        let at_least_120 = pick(&Query {
            min_vcpus: Some(120),
            ..query()
        });
        assert_eq!(
            names(&at_least_120),
            [
                "Standard_HB120rs_v2",
                "Standard_HB120rs_v3",
                "Standard_M128s",
                "Standard_M128ms",
                "Standard_M128",
                "Standard_M128m",
            ]
        );
    }

    #[test]
    fn min_memory_filter() {
        let big = pick(&Query {
            min_memory_gib: Some(1000.0),
            ..query()
        });
        assert_eq!(
            names(&big),
            [
                "Standard_FX48mds",
                "Standard_M64s",
                "Standard_M64ms",
                "Standard_M128s",
                "Standard_M128ms",
                "Standard_M64",
                "Standard_M64m",
                "Standard_M128",
                "Standard_M128m",
                "Standard_ND96amsr_A100_v4",
                "Standard_ND96isr_H100_v5",
            ]
        );
        // The smallest memory is 3.5 GiB (D1_v2, DS1_v2): the bound is inclusive.
        let visible = pick(&query()).len();
        let at_least = |gib| {
            pick(&Query {
                min_memory_gib: Some(gib),
                ..query()
            })
        };
        assert_eq!(at_least(3.5).len(), visible);
        assert_eq!(at_least(3.6).len(), visible - 2);
        // M8ms is the only size with exactly 218.75 GiB.
        let m8ms = at_least(218.75);
        let above = at_least(218.76);
        assert_eq!(m8ms.len(), above.len() + 1);
        assert!(m8ms.iter().any(|s| s.size == "Standard_M8ms"));
        assert!(!above.iter().any(|s| s.size == "Standard_M8ms"));
        let gpu_500 = pick(&Query {
            min_memory_gib: Some(500.0),
            gpu: true,
            include_retired: true,
            ..query()
        });
        assert_eq!(
            names(&gpu_500),
            [
                "Standard_ND40rs_v2",
                "Standard_ND96asr_v4",
                "Standard_NC96ads_A100_v4",
                "Standard_ND96amsr_A100_v4",
                "Standard_ND96isr_H100_v5",
                "Standard_NC80adis_H100_v5",
            ]
        );
    }

    #[test]
    fn retired_sizes_are_hidden_unless_asked_for() {
        // 161 sizes; 33 have status "retired" and NVv3's three "announced" 2026-09-30 have passed.
        assert_eq!(pick(&query()).len(), 161 - 33 - 3);
        assert_eq!(
            pick(&Query {
                include_retired: true,
                ..query()
            })
            .len(),
            161
        );
        for (series, n) in [("NCv3", 4), ("NC", 4), ("NCv2", 4), ("ND", 4), ("H", 6)] {
            assert!(pick(&with_series(&[series])).is_empty(), "{series}");
            let all = pick(&Query {
                include_retired: true,
                ..with_series(&[series])
            });
            assert_eq!(all.len(), n, "{series}");
        }
        let ncv3 = Catalog::builtin().get("Standard_NC6s_v3").unwrap();
        assert!(is_retired(ncv3, TODAY));
        // Retired by status even before its date.
        assert!(is_retired(ncv3, "2020-01-01"));
    }

    #[test]
    fn announced_retirements_stay_visible_until_their_date() {
        let dsv2 = pick(&with_series(&["DSv2"]));
        assert_eq!(dsv2.len(), 9);
        assert!(dsv2.iter().all(|s| s.retirement_status == "announced"));
        let table = render(&dsv2, Format::Table);
        assert!(table.contains("2028-05-01 (announced)"), "{table}");
        // NVv3 is "announced" for 2026-09-30: visible the day before, hidden from that day on.
        let nvv3_on = |today: &str| {
            pick(&Query {
                today: today.to_string(),
                ..with_series(&["NVv3"])
            })
            .len()
        };
        assert_eq!(nvv3_on("2026-09-29"), 3);
        assert_eq!(nvv3_on("2026-09-30"), 0);
        assert_eq!(nvv3_on(TODAY), 0);
        // Not a date: only the status counts.
        assert_eq!(nvv3_on(""), 3);
        assert_eq!(
            pick(&Query {
                today: String::new(),
                ..query()
            })
            .len(),
            161 - 33
        );
    }

    #[test]
    fn table_for_gpu_ncast4() {
        let q = Query {
            gpu: true,
            ..with_series(&["NCasT4_v3"])
        };
        let table = render(&pick(&q), Format::Table);
        let expected = "\
size                   series     vcpus  memory_gib  gpus  gpu            gpu_arch  price_usd_per_hour  low_priority_price_usd_per_hour  retired_on
---------------------  ---------  -----  ----------  ----  -------------  --------  ------------------  -------------------------------  ----------
Standard_NC4as_T4_v3   NCasT4_v3      4          28     1  Tesla T4 16GB  Turing                 0.526                            0.069  -
Standard_NC8as_T4_v3   NCasT4_v3      8          56     1  Tesla T4 16GB  Turing                 0.752                            0.099  -
Standard_NC16as_T4_v3  NCasT4_v3     16         110     1  Tesla T4 16GB  Turing                 1.204                            0.158  -
Standard_NC64as_T4_v3  NCasT4_v3     64         440     4  Tesla T4 16GB  Turing                 4.352                            0.571  -

Prices are USD per hour. List price (Linux pay-as-you-go) from:
  eastus, 2024-09: skypilot-catalog az_ml_vms.csv (PR#84, ~2024-09)
Low-priority price from:
  Azure Retail Prices API spot price via skypilot-catalog v5 az_ml_vms.csv (commit a7fff17, ~2024-09); used as the low-priority price (assumption)
";
        assert_eq!(table, expected);
    }

    #[test]
    fn table_cells_and_footer() {
        let get = |n| Catalog::builtin().get(n).unwrap();
        // 0.0846 and 0.010237 with three decimals; no GPU shown as "-".
        let f2 = render(&[get("Standard_F2s_v2")], Format::Table);
        let line = f2.lines().nth(2).unwrap();
        assert!(line.contains(" 0.085 "), "{line}");
        assert!(line.contains(" 0.010 "), "{line}");
        assert!(line.contains("  -  "), "{line}");
        assert!(line.ends_with("2028-11-15 (announced)"), "{line}");
        // A note after the date follows the status; a size without a price shows "-".
        let mixed = [
            get("Standard_NC6s_v3"),
            get("Standard_NV6"),
            get("Standard_NC6"),
            get("Standard_NV6_Promo"),
            get("Standard_D1_v2"),
            get("Standard_NC24rs_v3"),
        ];
        let table = render(&mixed, Format::Table);
        assert!(table.contains("2025-09-30 (retired)\n"), "{table}");
        assert!(table.contains("2023-08-31 (retired) (NV page: 2023-09-06)"));
        assert!(
            table.contains("2025-03-31 (retired) (Azure/EOL); AML include says NCv3 2025-09-30")
        );
        let d1 = table
            .lines()
            .find(|l| l.starts_with("Standard_D1_v2"))
            .unwrap();
        assert!(d1.contains("     -  "), "{d1}");
        // Every distinct (source, region, date) once, in order of first appearance.
        let footer: Vec<&str> = table.split("\n\n").nth(1).unwrap().lines().collect();
        assert_eq!(
            footer,
            [
                "Prices are USD per hour. List price (Linux pay-as-you-go) from:",
                "  eastus, 2024-09: skypilot-catalog az_ml_vms.csv (PR#84, ~2024-09)",
                "  eastus, 2022/2023 (unconfirmed): skypilot-catalog v4/azure/instances.csv (date unconfirmed, ~2022-23)",
                "  eastus, 2022/2023 (unconfirmed): skypilot-catalog v4/azure/instances.csv (date unconfirmed, ~2022-23) [Promo price suspicious]",
                "Low-priority price from:",
                "  Azure Retail Prices API spot price via skypilot-catalog v5 az_ml_vms.csv (commit a7fff17, ~2024-09); used as the low-priority price (assumption)",
                "1 of the 6 sizes listed has no list price in the catalog (shown as -).",
            ]
        );
        let unpriced = render(&[get("Standard_D5_v2")], Format::Table);
        assert!(unpriced.ends_with("\nNo list price in the catalog for the selected sizes.\n"));
        assert!(!unpriced.contains("Low-priority"));
    }

    #[test]
    fn empty_selection() {
        let rows = pick(&with_series(&["no such series"]));
        assert!(rows.is_empty());
        let table = render(&rows, Format::Table);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("size  series  vcpus"));
        assert!(lines[1].starts_with("----  ------"));
        assert_eq!(lines[2], "(no VM size matched the query)");
        assert_eq!(
            render(&rows, Format::Csv),
            format!("{}\n", COLUMNS.join(","))
        );
        assert_eq!(render(&rows, Format::Json), "[]\n");
    }

    #[test]
    fn csv_of_the_whole_catalog_is_the_bundled_file() {
        let all = pick(&Query {
            include_retired: true,
            ..query()
        });
        assert_eq!(render(&all, Format::Csv), CATALOG_CSV);
    }

    #[test]
    fn csv_round_trips_through_catalog_parse() {
        let rows = pick(&Query {
            gpu: true,
            include_retired: true,
            ..query()
        });
        assert_eq!(rows.len(), 42);
        let parsed = Catalog::parse(&render(&rows, Format::Csv)).unwrap();
        assert_eq!(parsed.sizes().len(), rows.len());
        for (a, b) in rows.iter().zip(parsed.sizes()) {
            assert_eq!(csv_fields(a), csv_fields(b));
            assert_eq!(a.memory_gib, b.memory_gib);
            assert_eq!(a.gpu_memory_gib, b.gpu_memory_gib);
            assert_eq!(a.price_usd_per_hour, b.price_usd_per_hour);
            assert_eq!(
                a.low_priority_price_usd_per_hour,
                b.low_priority_price_usd_per_hour
            );
        }
        // Awkward text survives too.
        let mut odd = rows[0].clone();
        odd.gpu_model = "say \"hi\", then\nnew line, back\\slash".to_string();
        odd.min_cuda = " padded ".to_string();
        let parsed = Catalog::parse(&render(&[&odd], Format::Csv)).unwrap();
        assert_eq!(parsed.sizes()[0].gpu_model, odd.gpu_model);
        assert_eq!(parsed.sizes()[0].min_cuda, odd.min_cuda);
    }

    #[test]
    fn json_has_every_key_and_value() {
        let all = pick(&Query {
            include_retired: true,
            ..query()
        });
        let text = render(&all, Format::Json);
        let objects = parse(&text);
        assert_eq!(objects.len(), 161);
        // One object per line, between the brackets.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!((lines[0], lines[lines.len() - 1]), ("[", "]"));
        assert_eq!(lines.len(), 161 + 2);
        for ((s, Fields(fields)), line) in all.iter().zip(&objects).zip(&lines[1..]) {
            let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, COLUMNS);
            for ((key, value), (_, cell)) in fields.iter().zip(cells(s)) {
                match cell {
                    Cell::Text(t) => assert_eq!(value.as_str(), Some(t), "{}", s.size),
                    Cell::Count(n) => {
                        assert_eq!(value.as_u64(), Some(u64::from(n)), "{}", s.size)
                    }
                    Cell::Number(None) => assert!(value.is_null(), "{} {key}", s.size),
                    // The exact text: the shortest that reads back as the same number.
                    Cell::Number(Some(x)) => {
                        assert!(value.is_number(), "{} {key}", s.size);
                        assert!(line.contains(&format!("\"{key}\": {x}")), "{line}");
                        assert_eq!(x.to_string().parse::<f64>(), Ok(x));
                    }
                }
            }
        }
        // gpu_model with a comma and parentheses; an unknown GPU memory is null.
        let h100 = Catalog::builtin().get("Standard_NC40ads_H100_v5").unwrap();
        let one = render(&[h100], Format::Json);
        assert!(one.contains(r#""gpu_model": "H100 (NVL, GPU memory unconfirmed)""#));
        assert!(one.contains(r#""gpu_memory_gib": null"#));
        assert!(one.contains(r#""low_priority_price_usd_per_hour": null"#));
        assert!(one.contains(r#""vcpus": 40, "memory_gib": 320, "gpus": 1"#));
        assert!(one.contains(r#""price_usd_per_hour": 6.98"#));
        assert!(one.starts_with("[\n  {\"series\": ") && one.ends_with("}\n]\n"));
    }

    #[test]
    fn json_escapes_strings() {
        let mut odd = Catalog::builtin().get("Standard_NC6s_v3").unwrap().clone();
        odd.gpu_model =
            "a \"quoted\", back\\slash\nline\ttab\r\u{1}\u{1f}\u{8}\u{c} é \u{2028}".to_string();
        odd.gpu_memory_gib = Some(f64::NAN);
        let text = render(&[&odd, &odd], Format::Json);
        assert!(
            text.contains(r#""a \"quoted\", back\\slash\nline\ttab\r\u0001\u001f\b\f é \u2028""#)
        );
        assert!(text.contains(r#""gpu_memory_gib": null"#));
        let objects = parse(&text);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1].0[5].0, "gpu_model");
        assert_eq!(objects[1].0[5].1.as_str(), Some(odd.gpu_model.as_str()));
    }

    #[test]
    fn format_from_str() {
        assert_eq!("table".parse(), Ok(Format::Table));
        assert_eq!("CSV".parse(), Ok(Format::Csv));
        assert_eq!(" json ".parse(), Ok(Format::Json));
        assert!("yaml".parse::<Format>().is_err());
    }

    /// An object's fields in the order written (serde_json's own map sorts them).
    struct Fields(Vec<(String, serde_json::Value)>);

    impl<'de> serde::Deserialize<'de> for Fields {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
            struct InOrder;
            impl<'de> serde::de::Visitor<'de> for InOrder {
                type Value = Fields;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Fields, A::Error> {
                    let mut fields = vec![];
                    while let Some(field) = map.next_entry()? {
                        fields.push(field);
                    }
                    Ok(Fields(fields))
                }
            }
            d.deserialize_map(InOrder)
        }
    }

    /// A JSON array of objects, read strictly (RFC 8259).
    fn parse(text: &str) -> Vec<Fields> {
        serde_json::from_str(text).unwrap()
    }
}
