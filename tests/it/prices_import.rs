//! `capsim prices import` on hand-written Azure Retail Prices API pages
//! (`tests/data/retail_prices/`, prices made up to give round answers).

use crate::support::{capsim, csv_records, repo, run};
use std::path::PathBuf;

fn page(name: &str) -> PathBuf {
    repo().join("tests/data/retail_prices").join(name)
}

#[test]
fn pages_become_one_row_per_size_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prices.csv");
    let r = run(capsim()
        .args(["prices", "import"])
        .args([page("page1.json"), page("page2.json"), page("page3.json")])
        .arg("--out")
        .arg(&out));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Skipped: a Windows meter and a Dev/Test price (page 1), a Storage meter (page 2).
    assert!(
        r.stdout.contains("3 sizes priced in eastus, westeurope (skipped 1 Windows, 1 Dev/Test, 1 other services' meters)"),
        "{}",
        r.stdout
    );
    // NC6s_v3 in westeurope has a reservation but no pay-as-you-go price: left out, said so.
    assert!(
        r.stderr.contains("Standard_NC6s_v3 in westeurope"),
        "{}",
        r.stderr
    );
    let rows = csv_records(&out);
    assert_eq!(rows.len(), 3);
    let d4 = &rows[0];
    assert_eq!(d4["size"], "Standard_D4s_v3");
    assert_eq!(d4["region"], "eastus");
    // The 2026-10-01 price replaces the 2025 one.
    assert_eq!(d4["price_usd_per_hour"], "0.192");
    assert_eq!(d4["price_date"], "2026-10-01");
    assert_eq!(d4["low_priority_price_usd_per_hour"], "0.0384");
    assert_eq!(d4["spot_price_usd_per_hour"], "0.0232");
    // Reservations: the term's price over its hours: 1095 / 8760 and 1971 / 26280.
    assert_eq!(d4["reserved_1y_usd_per_hour"], "0.125");
    assert_eq!(d4["reserved_3y_usd_per_hour"], "0.075");
    assert_eq!(d4["savings_plan_1y_usd_per_hour"], "0.1517");
    assert_eq!(d4["savings_plan_3y_usd_per_hour"], "0.1037");
    assert_eq!(
        d4["source"],
        "Azure Retail Prices API (page1.json page2.json)"
    );
    let nc = &rows[1];
    assert_eq!(
        (nc["size"].as_str(), nc["price_usd_per_hour"].as_str()),
        ("Standard_NC6s_v3", "3.06")
    );
    assert_eq!(nc["spot_price_usd_per_hour"], "0.612");
    assert_eq!(nc["reserved_1y_usd_per_hour"], "");
    let we = &rows[2];
    assert_eq!(
        (we["region"].as_str(), we["price_usd_per_hour"].as_str()),
        ("westeurope", "0.23")
    );
    assert_eq!(we["spot_price_usd_per_hour"], "0.046");
    // The file is a price list scenarios read: validate one that names it.
    let scenario = dir.path().join("s.toml");
    std::fs::write(
        &scenario,
        "horizon = \"1d\"\nstart_date = 2026-12-01\nregion = \"westeurope\"\nprices = \"prices.csv\"\n\n\
         [[compute]]\nname = \"c\"\ntype = \"amlcompute\"\nsize = \"Standard_D4s_v3\"\n\n\
         [[workload]]\nname = \"w\"\ncompute = \"c\"\narrivals = { process = \"poisson\", rate_per_hour = 1.0 }\n\
         duration = { dist = \"constant\", value = \"10m\" }\n",
    )
    .unwrap();
    let v = run(capsim()
        .arg("validate")
        .arg(&scenario)
        .arg("--deny-warnings"));
    assert_eq!(v.code, Some(0), "{}{}", v.stdout, v.stderr);
}

#[test]
fn a_malformed_page_is_located_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prices.csv");
    let r = run(capsim()
        .args(["prices", "import"])
        .args([page("page1.json"), page("malformed.json")])
        .arg("--out")
        .arg(&out));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("malformed.json: $.Items[1].unitPrice: must be a number"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "nothing written");
    // A JSON syntax error: file, line and column.
    let r = run(capsim()
        .args(["prices", "import"])
        .arg(page("truncated.json"))
        .arg("--out")
        .arg(&out));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("truncated.json:4:"), "{}", r.stderr);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_missing_last_page_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prices.csv");
    let r = run(capsim()
        .args(["prices", "import"])
        .args([page("page1.json"), page("page2.json")])
        .arg("--out")
        .arg(&out));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("the last page of the query is missing"),
        "{}",
        r.stderr
    );
}
