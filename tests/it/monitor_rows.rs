//! Issue 19 item 4 for Azure Monitor exports: a row is one line, as in traces, so one stray
//! quote costs its own row and the count of rows read and skipped is what the file holds.

use crate::support::repo;
use capsim::commands::{self, CalibrateRequest};
use std::path::Path;

/// The committed node-event export: a header and 125 rows, no quote anywhere.
fn nodes_lines() -> Vec<String> {
    let path = repo().join("scenarios/azure-monitor/AmlComputeClusterNodeEvent.csv");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains('"'));
    text.lines().map(String::from).collect()
}

fn calibrate(file: &Path, skip: bool) -> Result<commands::calibrate::CalibrateOutcome, String> {
    commands::calibrate(&CalibrateRequest {
        nodes: Some(file.to_path_buf()),
        skip_bad_rows: skip,
        ..CalibrateRequest::default()
    })
    .map_err(|e| e.to_string())
}

/// Line 4's cluster name opens a quote that nothing closes. It used to swallow lines 4 to 126
/// as one row ("skipped 1 bad row" of 3 read, the fit made of 2 rows). Now line 4 alone is bad:
/// 125 rows read, 1 skipped, and the fit is the one of the file without line 4.
#[test]
fn a_stray_quote_in_an_export_costs_its_own_row_only() {
    let lines = nodes_lines();
    assert_eq!(lines.len(), 126);
    assert!(lines[3].contains(",cpu-spot,"));
    let dir = tempfile::tempdir().unwrap();
    let mut quoted = lines.clone();
    quoted[3] = quoted[3].replacen(",cpu-spot,", ",\"cpu-spot,", 1);
    let bad = dir.path().join("nodes.csv");
    std::fs::write(&bad, quoted.join("\n") + "\n").unwrap();
    let mut without = lines.clone();
    without.remove(3);
    let clean = dir.path().join("clean.csv");
    std::fs::write(&clean, without.join("\n") + "\n").unwrap();

    // By default: one error, at line 4, saying why.
    let e = calibrate(&bad, false).unwrap_err();
    let shown: Vec<&str> = e.lines().collect();
    assert_eq!(shown.len(), 1, "{e}");
    assert!(
        shown[0].starts_with(&format!("{}:4: ", bad.display()))
            && shown[0].contains("not closed on this line"),
        "{e}"
    );

    // Skipped: the true counts, and the fit of the other 124 rows.
    let o = calibrate(&bad, true).unwrap();
    assert_eq!(o.reads[0].rows, 125);
    let skipped: Vec<u64> = o.reads[0].skipped.iter().map(|s| s.0).collect();
    assert_eq!(skipped, [4]);
    let c = calibrate(&clean, false).unwrap();
    assert_eq!(c.reads[0].rows, 124);
    assert_eq!(o.provisioning, c.provisioning);

    // CRLF line ends: the same.
    let crlf = dir.path().join("crlf.csv");
    std::fs::write(&crlf, quoted.join("\r\n") + "\r\n").unwrap();
    let o = calibrate(&crlf, true).unwrap();
    assert_eq!(o.reads[0].rows, 125);
    assert_eq!(o.reads[0].skipped.len(), 1);
    assert_eq!(o.reads[0].skipped[0].0, 4);
    assert_eq!(o.provisioning, c.provisioning);
}
