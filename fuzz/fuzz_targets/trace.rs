//! Fuzz target: arbitrary bytes as a workload trace, read under several specs.
//!
//! Each input is read as the Philly layout (strict and windowed/skipping), the Azure LLM
//! inference layout, two epoch layouts, and finally with its first line taken as a strftime
//! format and the rest as the CSV. Besides panics, it checks what [`Trace`] documents: rows
//! sorted by submit time, offsets finite and non-negative, durations finite and non-negative,
//! extra values finite, `span_s` the last offset.
//!
//! `cargo fuzz run trace FILE` runs a saved input once. `tests/it/fuzz_regressions.rs` includes
//! this file as a module and calls [`run`].
#![cfg_attr(not(test), no_main)]

use capsim::workload::trace::{OnBadRow, TimeFormat, Trace, TraceSpec, parse};

// Compiled as a module of tests/it/fuzz_regressions.rs (cfg(test)), only `run` is wanted.
#[cfg(not(test))]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

fn specs() -> Vec<TraceSpec> {
    let philly = || {
        let mut s = TraceSpec::new(
            "t.csv",
            "submit_time",
            TimeFormat::parse("%Y-%m-%d %H:%M:%S"),
        );
        s.duration_column = Some("duration_s".into());
        s.gpus_column = Some("num_gpus".into());
        s
    };
    let mut windowed = philly();
    windowed.on_bad_row = OnBadRow::Skip;
    windowed.time_scale = 0.5;
    windowed.start = Some(60.0);
    windowed.end = Some(30.0 * 86_400.0);

    let mut llm = TraceSpec::new(
        "t.csv",
        "TIMESTAMP",
        TimeFormat::parse("%Y-%m-%d %H:%M:%S%.f"),
    );
    llm.extra_columns = vec!["ContextTokens".into(), "GeneratedTokens".into()];
    llm.on_bad_row = OnBadRow::Skip;

    let mut epoch_s = TraceSpec::new("t.csv", "t", TimeFormat::parse("epoch_s"));
    epoch_s.duration_column = Some("d".into());
    epoch_s.nodes_column = Some("n".into());
    epoch_s.gpus_column = Some("g".into());
    epoch_s.on_bad_row = OnBadRow::Skip;
    epoch_s.time_scale = 1e-3;

    let mut epoch_ms = TraceSpec::new("t.csv", "t", TimeFormat::parse("epoch_ms"));
    epoch_ms.duration_column = Some("d".into());
    epoch_ms.extra_columns = vec!["x".into()];
    epoch_ms.end = Some(1e9);
    vec![philly(), windowed, llm, epoch_s, epoch_ms]
}

fn check(spec: &TraceSpec, data: &[u8]) {
    match parse(spec, data) {
        Ok(trace) => check_trace(&trace),
        Err(errors) => {
            assert!(!errors.is_empty(), "an error without any message");
            for e in &errors {
                let _ = e.to_string();
                let _ = e.to_diagnostic().to_string();
            }
        }
    }
}

fn check_trace(trace: &Trace) {
    let mut last = 0.0f64;
    for row in &trace.rows {
        assert!(
            row.submit_s.is_finite() && row.submit_s >= 0.0,
            "line {}: submit_s {}",
            row.line,
            row.submit_s
        );
        assert!(
            row.submit_s >= last,
            "line {}: rows not sorted ({} after {last})",
            row.line,
            row.submit_s
        );
        last = row.submit_s;
        if let Some(d) = row.duration_s {
            assert!(
                d.is_finite() && d >= 0.0,
                "line {}: duration_s {d}",
                row.line
            );
        }
        assert!(row.extra.iter().all(|x| x.is_finite()), "line {}", row.line);
        assert!(
            row.nodes.is_none_or(|n| n > 0),
            "line {}: 0 nodes",
            row.line
        );
        assert!(row.gpus.is_none_or(|n| n > 0), "line {}: 0 GPUs", row.line);
    }
    assert_eq!(trace.span_s, last, "span_s is not the last offset");
}

pub fn run(data: &[u8]) {
    for spec in specs() {
        check(&spec, data);
    }
    // The first line as a strftime format, the rest as a trace with a `time` column.
    if let Some(end) = data.iter().position(|&b| b == b'\n') {
        let format = String::from_utf8_lossy(&data[..end]);
        let mut spec = TraceSpec::new("t.csv", "time", TimeFormat::parse(&format));
        spec.on_bad_row = OnBadRow::Skip;
        check(&spec, &data[end + 1..]);
    }
}
