//! commitments.csv: reservations and savings plans priced hour by hour on simulated node time,
//! against hand-worked figures on a constant load, and said plainly where no price is known.

use crate::support::{capsim, csv_records, repo, run};
use std::collections::HashMap;

const PRICES: &str = "\
size,region,price_usd_per_hour,reserved_1y_usd_per_hour,reserved_3y_usd_per_hour,savings_plan_1y_usd_per_hour,source,price_date
Standard_D4s_v3,eastus,1.0,0.6,0.2,0.7,hand-made for the test,2026-12-01
";

/// Two clusters of one size whose nodes never leave (min = max, no jobs): 2 + 1 = 3 nodes every
/// hour of a 10-hour window.
const SCENARIO: &str = r#"
name = "constant"
horizon = "10h"
warmup = "0s"
replications = 3
region = "eastus"
prices = "prices.csv"

[[compute]]
name = "a"
type = "amlcompute"
size = "Standard_D4s_v3"
min_instances = 2
max_instances = 2

[[compute]]
name = "b"
type = "amlcompute"
size = "Standard_D4s_v3"
min_instances = 1
max_instances = 1
"#;

fn num(r: &HashMap<String, String>, c: &str) -> f64 {
    r[c].parse()
        .unwrap_or_else(|_| panic!("{c} = {:?} is not a number", r[c]))
}

fn rows_of<'a>(
    rows: &'a [HashMap<String, String>],
    kind: &str,
) -> Vec<&'a HashMap<String, String>> {
    rows.iter().filter(|r| r["commitment"] == kind).collect()
}

#[test]
fn a_constant_load_is_priced_as_worked_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prices.csv"), PRICES).unwrap();
    std::fs::write(dir.path().join("s.toml"), SCENARIO).unwrap();
    let out = dir.path().join("out");
    let o = run(capsim()
        .arg("run")
        .arg(dir.path().join("s.toml"))
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg("-q"));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let rows = csv_records(&out.join("commitments.csv"));
    // Both clusters pooled: one size, one region. 3 node-hours in each of 10 hours = 30.
    assert!(
        rows.iter()
            .all(|r| r["targets"] == "a;b" && r["region"] == "eastus")
    );
    let payg = rows_of(&rows, "pay_as_you_go");
    assert_eq!(payg.len(), 1);
    assert_eq!(num(payg[0], "cost_usd"), 30.0); // 30 node-hours at $1.00

    // 1-year reservations at $0.60 a VM-hour (break-even utilisation 0.6). Over 10 hours:
    //   k = 0: 30;  k = 1: 6 + 20 = 26;  k = 2: 12 + 10 = 22;  k = 3: 18 <- least.
    // Every reserved VM is used every hour (utilisation 1 > 0.6), so k = peak = 3 pays.
    let r1 = rows_of(&rows, "reserved_1y");
    let cost: Vec<f64> = r1.iter().map(|r| num(r, "cost_usd")).collect();
    assert_eq!(cost, vec![30.0, 26.0, 22.0, 18.0]);
    let best: Vec<_> = r1.iter().filter(|r| r["best"] == "yes").collect();
    assert_eq!(best.len(), 1);
    assert_eq!(best[0]["reserved_instances"], "3");
    assert_eq!(num(best[0], "best_level_per_replication"), 3.0);
    assert_eq!(num(best[0], "coverage"), 1.0);
    assert_eq!(num(best[0], "utilisation"), 1.0);
    assert_eq!(num(best[0], "saving_usd"), 12.0);
    assert_eq!(num(best[0], "break_even_utilisation"), 0.6);
    // k = 1 covers a third of the node time.
    assert!((num(r1[1], "coverage") - 1.0 / 3.0).abs() < 1e-6);

    // 3-year at $0.20: k = 3 costs 6 (saving 24); break-even 0.2.
    let r3 = rows_of(&rows, "reserved_3y");
    let best3 = r3.iter().find(|r| r["best"] == "yes").unwrap();
    assert_eq!(
        (best3["reserved_instances"].as_str(), num(best3, "cost_usd")),
        ("3", 6.0)
    );
    assert_eq!(num(best3, "break_even_utilisation"), 0.2);

    // A 1-year savings plan at a rate of $0.70: $c an hour pays for c / 0.7 node-hours; the
    // optimum covers the whole constant load, c = 3 x 0.7 = $2.10 an hour, 21 over 10 hours.
    let sp = rows_of(&rows, "savings_plan_1y");
    let best_sp = sp.iter().find(|r| r["best"] == "yes").unwrap();
    assert!((num(best_sp, "commitment_usd_per_hour") - 2.1).abs() < 1e-9);
    assert!((num(best_sp, "cost_usd") - 21.0).abs() < 1e-9);

    // No 3-year savings-plan price in the file: one row that says so, with no numbers.
    let none = rows_of(&rows, "savings_plan_3y");
    assert_eq!(none.len(), 1);
    assert!(none[0]["cost_usd"].is_empty());
    assert!(
        none[0]["note"].contains("no savings_plan_3y price known"),
        "{}",
        none[0]["note"]
    );

    // The report draws cost against k.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Commitments: reservations and savings plans"));
    assert!(out.join("charts/commitments-Standard_D4s_v3.svg").is_file());
}

#[test]
fn min_nodes_says_where_no_commitment_price_is_known() {
    // The catalog has no reservation or savings-plan prices, and min-nodes gives no price file.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(capsim()
        .arg("run")
        .arg(repo().join("scenarios/min-nodes.toml"))
        .args(["--replications", "2", "--horizon", "9d", "--out"])
        .arg(&out)
        .arg("-q"));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let rows = csv_records(&out.join("commitments.csv"));
    let variants: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["variant"].as_str()).collect();
    assert_eq!(
        variants.len(),
        12,
        "one block of rows per setting of the sweep"
    );
    for r in &rows {
        if r["commitment"] == "pay_as_you_go" {
            assert!(num(r, "cost_usd") > 0.0);
        } else {
            assert!(r["cost_usd"].is_empty());
            assert!(r["note"].starts_with(&format!("no {} price known", r["commitment"])));
        }
    }
}
