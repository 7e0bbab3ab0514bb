//! The workload-trace reader on small hand-written CSVs and on the two real traces in
//! `scenarios/traces` (copies of the project's shared traces, shipped with capsim).

use crate::support::{repo, write_temp};
use capsim::workload::trace::{
    MAX_ERRORS, OnBadRow, TimeFormat, Trace, TraceError, TraceSpec, load,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

const SECONDS: &str = "%Y-%m-%d %H:%M:%S";

/// Writes `contents` to `jobs.csv` in a fresh temporary folder (kept alive by the guard).
fn write(contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    write_temp("jobs.csv", contents)
}

/// A spec for the usual test layout: `timestamp,duration,num_gpus`.
fn jobs_spec(path: &Path) -> TraceSpec {
    let mut spec = TraceSpec::new(path, "timestamp", TimeFormat::parse(SECONDS));
    spec.duration_column = Some("duration".into());
    spec.gpus_column = Some("num_gpus".into());
    spec
}

fn offsets(trace: &Trace) -> Vec<f64> {
    trace.rows.iter().map(|r| r.submit_s).collect()
}

fn lines(trace: &Trace) -> Vec<u64> {
    trace.rows.iter().map(|r| r.line).collect()
}

fn load_ok(spec: &TraceSpec) -> Trace {
    match load(spec) {
        Ok(t) => t,
        Err(errors) => panic!("{}", render(&errors)),
    }
}

fn render(errors: &[TraceError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn exact_offsets_and_fields() {
    let (_dir, path) = write(
        b"timestamp,duration,num_gpus,nodes\n\
          2024-01-01 00:00:00,60,1,1\n\
          2024-01-01 00:00:30,5m,8,2\n\
          2024-01-01 01:00:00,1h30m,2,1\n\
          2024-01-02 00:00:00,0.5,4,3\n",
    );
    let mut spec = jobs_spec(&path);
    spec.nodes_column = Some("nodes".into());
    let trace = load_ok(&spec);
    assert_eq!(offsets(&trace), [0.0, 30.0, 3600.0, 86_400.0]);
    assert_eq!(lines(&trace), [2, 3, 4, 5]);
    let durations: Vec<_> = trace.rows.iter().map(|r| r.duration_s).collect();
    assert_eq!(
        durations,
        [Some(60.0), Some(300.0), Some(5400.0), Some(0.5)]
    );
    let gpus: Vec<_> = trace.rows.iter().map(|r| r.gpus).collect();
    assert_eq!(gpus, [Some(1), Some(8), Some(2), Some(4)]);
    let nodes: Vec<_> = trace.rows.iter().map(|r| r.nodes).collect();
    assert_eq!(nodes, [Some(1), Some(2), Some(1), Some(3)]);
    assert!(trace.rows.iter().all(|r| r.extra.is_empty()));
    assert!(trace.was_sorted);
    assert!(trace.skipped_rows.is_empty());
    assert_eq!(trace.span_s, 86_400.0);
}

#[test]
fn columns_not_asked_for_are_optional() {
    let (_dir, path) = write(b"timestamp,duration,num_gpus\n2024-01-01 00:00:00,zz,\n");
    let spec = TraceSpec::new(&path, "timestamp", TimeFormat::parse(SECONDS));
    let trace = load_ok(&spec);
    assert_eq!(trace.rows.len(), 1);
    let row = &trace.rows[0];
    assert_eq!((row.duration_s, row.gpus, row.nodes), (None, None, None));
}

#[test]
fn out_of_order_rows_are_sorted_stably() {
    let (_dir, path) = write(
        b"timestamp,duration,num_gpus\n\
          2024-01-01 00:10:00,1,1\n\
          2024-01-01 00:05:00,2,1\n\
          2024-01-01 00:10:00,3,1\n\
          2024-01-01 00:00:00,4,1\n\
          2024-01-01 00:05:00,5,1\n",
    );
    let trace = load_ok(&jobs_spec(&path));
    assert!(!trace.was_sorted);
    assert_eq!(offsets(&trace), [0.0, 300.0, 300.0, 600.0, 600.0]);
    // Ties keep file order.
    assert_eq!(lines(&trace), [5, 3, 6, 2, 4]);
    let durations: Vec<_> = trace.rows.iter().filter_map(|r| r.duration_s).collect();
    assert_eq!(durations, [4.0, 2.0, 5.0, 1.0, 3.0]);
    assert_eq!(trace.span_s, 600.0);
}

#[test]
fn time_scale_multiplies_gaps_not_durations() {
    let (_dir, path) = write(
        b"timestamp,duration,num_gpus\n\
          2024-01-01 00:00:00,100,1\n\
          2024-01-01 00:01:00,200,1\n\
          2024-01-01 00:03:00,300,1\n",
    );
    let mut spec = jobs_spec(&path);
    spec.time_scale = 0.5;
    let trace = load_ok(&spec);
    assert_eq!(offsets(&trace), [0.0, 30.0, 90.0]);
    let durations: Vec<_> = trace.rows.iter().filter_map(|r| r.duration_s).collect();
    assert_eq!(durations, [100.0, 200.0, 300.0]);
    assert_eq!(trace.span_s, 90.0);
    spec.time_scale = 2.0;
    assert_eq!(offsets(&load_ok(&spec)), [0.0, 120.0, 360.0]);
}

#[test]
fn start_and_end_window_the_original_trace() {
    // Submissions at 0, 60, 120, 180, 240 s after the earliest (the file is out of order).
    let (_dir, path) = write(
        b"timestamp,duration,num_gpus\n\
          2024-01-01 00:02:00,3,1\n\
          2024-01-01 00:00:00,1,1\n\
          2024-01-01 00:01:00,2,1\n\
          2024-01-01 00:04:00,5,1\n\
          2024-01-01 00:03:00,4,1\n",
    );
    let mut spec = jobs_spec(&path);
    // [60, 180): the rows at 60 and 120; time zero is 60 s after the earliest.
    spec.start = Some(60.0);
    spec.end = Some(180.0);
    let trace = load_ok(&spec);
    assert_eq!(offsets(&trace), [0.0, 60.0]);
    assert_eq!(lines(&trace), [4, 2]);
    assert_eq!(trace.span_s, 60.0);
    assert!(!trace.was_sorted);

    // A start between submissions: time zero is the window start, not the next submission.
    spec.start = Some(90.0);
    spec.end = None;
    let trace = load_ok(&spec);
    assert_eq!(offsets(&trace), [30.0, 90.0, 150.0]);

    // The window is on original times; scaling applies afterwards.
    spec.time_scale = 0.5;
    assert_eq!(offsets(&load_ok(&spec)), [15.0, 45.0, 75.0]);

    // End only.
    spec.start = None;
    spec.time_scale = 1.0;
    spec.end = Some(120.0);
    assert_eq!(offsets(&load_ok(&spec)), [0.0, 60.0]);

    // An empty window is not an error.
    spec.start = Some(1000.0);
    spec.end = None;
    let trace = load_ok(&spec);
    assert!(trace.rows.is_empty());
    assert_eq!(trace.span_s, 0.0);
}

#[test]
fn epoch_seconds_and_milliseconds() {
    let (_dir, path) = write(b"t,d\n1700000010.25,1\n1700000000,2\n1700000003.5,3\n");
    let mut spec = TraceSpec::new(&path, "t", TimeFormat::parse("epoch_s"));
    spec.duration_column = Some("d".into());
    let trace = load_ok(&spec);
    assert_eq!(offsets(&trace), [0.0, 3.5, 10.25]);
    assert_eq!(lines(&trace), [3, 4, 2]);
    assert!(!trace.was_sorted);

    let (_dir2, path) = write(b"t\n1500\n0\n250\n-250\n");
    let spec = TraceSpec::new(&path, "t", TimeFormat::parse("epoch_ms"));
    let trace = load_ok(&spec);
    assert_eq!(offsets(&trace), [0.0, 0.25, 0.5, 1.75]);
}

#[test]
fn fractional_seconds_as_in_the_llm_trace() {
    let (_dir, path) = write(
        b"TIMESTAMP,ContextTokens,GeneratedTokens\r\n\
          2023-11-16 18:17:03.9799600,4808,10\r\n\
          2023-11-16 18:17:04.0319600,3180,8\r\n\
          2023-11-16 18:17:05,110,27",
    );
    let mut spec = TraceSpec::new(
        &path,
        "TIMESTAMP",
        TimeFormat::parse("%Y-%m-%d %H:%M:%S%.f"),
    );
    spec.extra_columns = vec!["ContextTokens".into(), "GeneratedTokens".into()];
    let trace = load_ok(&spec);
    let o = offsets(&trace);
    assert_eq!(o[0], 0.0);
    assert!((o[1] - 0.052).abs() < 1e-12, "{}", o[1]);
    assert!((o[2] - 1.02004).abs() < 1e-12, "{}", o[2]);
    assert_eq!(trace.rows[0].extra, [4808.0, 10.0]);
    assert_eq!(trace.rows[2].extra, [110.0, 27.0]);
    assert_eq!(lines(&trace), [2, 3, 4]);
}

#[test]
fn bom_crlf_missing_final_newline_and_blank_trailing_lines() {
    let plain = b"timestamp,duration,num_gpus\n2024-01-01 00:00:00,1,1\n2024-01-01 00:00:10,2,2\n";
    let (_d0, path) = write(plain);
    let expected = load_ok(&jobs_spec(&path));
    assert_eq!(offsets(&expected), [0.0, 10.0]);
    let variants: [&[u8]; 5] = [
        b"\xef\xbb\xbftimestamp,duration,num_gpus\n2024-01-01 00:00:00,1,1\n2024-01-01 00:00:10,2,2\n",
        b"timestamp,duration,num_gpus\r\n2024-01-01 00:00:00,1,1\r\n2024-01-01 00:00:10,2,2\r\n",
        b"timestamp,duration,num_gpus\n2024-01-01 00:00:00,1,1\n2024-01-01 00:00:10,2,2",
        b"timestamp,duration,num_gpus\n2024-01-01 00:00:00,1,1\n2024-01-01 00:00:10,2,2\n\n\n  \n",
        b"\xef\xbb\xbftimestamp , duration , num_gpus\r\n 2024-01-01 00:00:00 , 1 , 1 \r\n2024-01-01 00:00:10,2,2\r\n\r\n\r\n",
    ];
    for (i, data) in variants.iter().enumerate() {
        let (_d, path) = write(data);
        let trace = load_ok(&jobs_spec(&path));
        assert_eq!(trace.rows, expected.rows, "variant {i}");
    }
}

#[test]
fn every_bad_row_is_reported_at_its_line() {
    // A trace's row is one line: line 3 opens a quote it does not close, so it is bad, and
    // lines 4 and 5 are rows of their own with too few fields; then the bad rows on lines 6, 8,
    // 9, 10 and 11 (line 7 is good, line 12 is blank).
    let (_dir, path) = write(
        b"timestamp,duration,num_gpus,note\n\
          2024-01-01 00:00:00,60,1,plain\n\
          2024-01-01 00:01:00,60,1,\"a note\n\
          over three\n\
          lines, with a comma\"\n\
          2024-01-01 00:02:00,-5,1,negative duration\n\
          2024-01-01 00:03:00,60,2,good\n\
          yesterday,60,1,bad time\n\
          2024-01-01 00:05:00,,0,empty duration and zero GPUs\n\
          2024-01-01 00:06:00,inf,1.5,infinite and fractional\n\
          2024-01-01 00:07:00,60\n\
          \n",
    );
    let errors = load(&jobs_spec(&path)).unwrap_err();
    let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, ""),
            (4, ""),
            (5, ""),
            (6, "duration"),
            (8, "timestamp"),
            (9, "duration"),
            (9, "num_gpus"),
            (10, "duration"),
            (10, "num_gpus"),
            (11, ""),
        ],
        "{}",
        render(&errors)
    );
    let text = render(&errors);
    assert!(text.contains(":3: a quote (\") opens a field that is not closed on this line"));
    assert!(text.contains(":4: the row has 1 field, the header has 4"));
    assert!(text.contains(":6: duration: must be a duration of zero or more seconds, got `-5`"));
    assert!(text.contains(":8: timestamp: `yesterday` does not match the time format"));
    assert!(text.contains(":9: duration: is empty"));
    assert!(text.contains(":9: num_gpus: must be a whole number of 1 or more, got `0`"));
    assert!(text.contains(":10: num_gpus: must be a whole number of 1 or more, got `1.5`"));
    assert!(text.contains(":11: the row has 2 fields, the header has 4"));
    assert!(errors.iter().all(|e| e.file == path));
}

#[test]
fn skip_mode_counts_and_keeps_the_rest() {
    let (_dir, path) = write(
        b"timestamp,duration,num_gpus\n\
          2024-01-01 00:00:10,1,1\n\
          garbage,1,1\n\
          2024-01-01 00:00:20,-1,0\n\
          2024-01-01 00:00:00,2,2\n\
          2024-01-01 00:00:30,3,x\n\
          2024-01-01 00:00:40,4,4\n",
    );
    let mut spec = jobs_spec(&path);
    spec.on_bad_row = OnBadRow::Skip;
    let trace = load_ok(&spec);
    assert_eq!(trace.rows.len(), 3);
    assert_eq!(offsets(&trace), [0.0, 10.0, 40.0]);
    assert_eq!(lines(&trace), [5, 2, 7]);
    assert!(!trace.was_sorted);
    let skipped: Vec<u64> = trace.skipped_rows.iter().map(|(l, _)| *l).collect();
    assert_eq!(skipped, [3, 4, 6]);
    assert!(trace.skipped_rows[0].1.starts_with("timestamp: `garbage`"));
    // Both problems of line 4 are in one reason.
    assert!(trace.skipped_rows[1].1.contains("duration: "));
    assert!(trace.skipped_rows[1].1.contains("; num_gpus: "));
    assert!(trace.skipped_rows[2].1.contains("got `x`"));
}

#[test]
fn many_bad_rows_are_capped_with_a_count() {
    let mut data = b"timestamp,duration,num_gpus\n".to_vec();
    for i in 0..120 {
        data.extend_from_slice(format!("2024-01-01 00:00:{:02},-1,1\n", i % 60).as_bytes());
    }
    let (_dir, path) = write(&data);
    let errors = load(&jobs_spec(&path)).unwrap_err();
    assert_eq!(errors.len(), MAX_ERRORS + 1);
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[MAX_ERRORS - 1].line, 51);
    let last = &errors[MAX_ERRORS];
    assert_eq!(last.line, 0);
    assert!(
        last.message
            .contains("70 more errors not shown, the first at line 52 (120 in all)"),
        "{last}"
    );
}

#[test]
fn missing_column_is_one_error_listing_the_columns() {
    let (_dir, path) = write(b"submit_time,duration_s,num_gpus\n2024-01-01 00:00:00,1,1\n");
    let mut spec = TraceSpec::new(&path, "submit_time", TimeFormat::parse(SECONDS));
    spec.duration_column = Some("Duration_S".into());
    let errors = load(&spec).unwrap_err();
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    let e = &errors[0];
    assert_eq!((e.line, e.column.as_str()), (1, "Duration_S"));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:1: Duration_S: no such column in the header (did you mean `duration_s`?); \
             the file's columns are `submit_time`, `duration_s`, `num_gpus`",
            path.display()
        )
    );
}

#[test]
fn empty_unreadable_and_header_only_files() {
    let (_d1, path) = write(b"");
    let errors = load(&jobs_spec(&path)).unwrap_err();
    assert_eq!(errors[0].line, 1);
    assert!(errors[0].message.contains("empty"));

    let (_d2, path) = write(b"timestamp,duration,num_gpus\n");
    let trace = load_ok(&jobs_spec(&path));
    assert!(trace.rows.is_empty());
    assert!(trace.was_sorted);

    let spec = jobs_spec(Path::new("/nonexistent/jobs.csv"));
    let errors = load(&spec).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 0);
    assert!(errors[0].message.starts_with("cannot read the trace"));
}

// ---- The real traces ----

fn shared_trace(name: &str) -> PathBuf {
    repo().join("scenarios/traces").join(name)
}

#[test]
fn philly_trace() {
    let path = shared_trace("philly_vc_11cb48.csv");
    let mut spec = TraceSpec::new(&path, "submit_time", TimeFormat::parse(SECONDS));
    spec.duration_column = Some("duration_s".into());
    spec.gpus_column = Some("num_gpus".into());
    let started = Instant::now();
    let trace = load_ok(&spec);
    eprintln!(
        "philly_vc_11cb48.csv: {} rows in {:.2} ms",
        trace.rows.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    assert_eq!(trace.rows.len(), 16_091);
    assert!(trace.skipped_rows.is_empty());
    assert!(trace.was_sorted);
    assert_eq!(trace.rows[0].submit_s, 0.0);
    assert_eq!(trace.rows[0].line, 2);
    assert_eq!(trace.rows.last().unwrap().line, 16_092);
    assert!(
        trace
            .rows
            .windows(2)
            .all(|w| w[0].submit_s <= w[1].submit_s)
    );
    assert!(trace.rows.iter().all(|r| r.duration_s.is_some()));
    assert!(trace.rows.iter().all(|r| matches!(r.gpus, Some(1..=128))));

    // GPU-seconds from a plain line-by-line parse of the file.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut expected = 0.0;
    let mut n = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        let duration: f64 = f[1].parse().unwrap();
        let gpus: f64 = f[2].parse().unwrap();
        expected += duration * gpus;
        n += 1;
    }
    assert_eq!(n, 16_091);
    let got: f64 = trace
        .rows
        .iter()
        .map(|r| r.duration_s.unwrap() * f64::from(r.gpus.unwrap()))
        .sum();
    assert!(
        (got - expected).abs() <= 1e-12 * expected,
        "{got} GPU-s, expected {expected}"
    );

    // The span: from the first to the last submit time, counted independently.
    let first = text.lines().nth(1).unwrap();
    let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap();
    let expected_span = plain_seconds(last) - plain_seconds(first);
    assert_eq!(trace.span_s, expected_span as f64);

    // A one-week window a day in, replayed ten times faster.
    spec.start = Some(86_400.0);
    spec.end = Some(8.0 * 86_400.0);
    spec.time_scale = 0.1;
    let week = load_ok(&spec);
    assert!(!week.rows.is_empty() && week.rows.len() < 16_091);
    assert!(week.rows[0].submit_s >= 0.0);
    assert!(week.span_s < 0.1 * 7.0 * 86_400.0);
}

/// Seconds since 1970 of a `YYYY-MM-DD HH:MM:SS[,...]` line, by hand (civil-from-days).
fn plain_seconds(line: &str) -> i64 {
    let ts = line.split(',').next().unwrap();
    let (date, time) = ts.split_once(' ').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let t: Vec<i64> = time.split(':').map(|x| x.parse().unwrap()).collect();
    let (y, m, day) = (d[0], d[1], d[2]);
    let days_before_month = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = (1970..y)
        .map(|yy| {
            if (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0 {
                366
            } else {
                365
            }
        })
        .sum::<i64>();
    days += days_before_month[(m - 1) as usize] + day - 1;
    if leap && m > 2 {
        days += 1;
    }
    days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]
}

#[test]
fn azure_llm_trace() {
    let path = shared_trace("azure_llm_inference_code_2023.csv");
    let mut spec = TraceSpec::new(
        &path,
        "TIMESTAMP",
        TimeFormat::parse("%Y-%m-%d %H:%M:%S%.f"),
    );
    spec.extra_columns = vec!["ContextTokens".into(), "GeneratedTokens".into()];
    let started = Instant::now();
    let trace = load_ok(&spec);
    eprintln!(
        "azure_llm_inference_code_2023.csv: {} rows in {:.2} ms",
        trace.rows.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    assert_eq!(trace.rows.len(), 8_819);
    assert!(trace.was_sorted);
    assert!(trace.skipped_rows.is_empty());
    assert_eq!(trace.rows[0].submit_s, 0.0);
    // CRLF line ends and no final newline: the rows are still on lines 2 to 8,820.
    assert_eq!(trace.rows[0].line, 2);
    assert_eq!(trace.rows.last().unwrap().line, 8_820);
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
            .all(|r| r.extra.len() == 2 && r.extra.iter().all(|v| *v >= 0.0 && v.fract() == 0.0))
    );
    assert_eq!(trace.rows[0].extra, [4808.0, 10.0]);

    // About an hour; exactly the last minus the first timestamp, parsed here by hand in
    // 100 ns ticks (both are on 2023-11-16).
    let text = std::fs::read_to_string(&path).unwrap();
    let data: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(data.len(), 8_819);
    let ticks = |line: &str| -> i64 {
        let ts = line.split(',').next().unwrap();
        let (date, time) = ts.split_once(' ').unwrap();
        assert_eq!(date, "2023-11-16");
        let (hms, frac) = time.split_once('.').unwrap();
        assert_eq!(frac.len(), 7);
        let t: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
        (t[0] * 3600 + t[1] * 60 + t[2]) * 10_000_000 + frac.parse::<i64>().unwrap()
    };
    let span_ticks = ticks(data[data.len() - 1]) - ticks(data[0]);
    let expected = span_ticks as f64 / 1e7;
    let last = trace.rows.last().unwrap().submit_s;
    assert!((last - expected).abs() < 1e-9, "{last} vs {expected}");
    assert_eq!(trace.span_s, last);
    assert!(
        (3000.0..=3600.0).contains(&trace.span_s),
        "{}",
        trace.span_s
    );
}
