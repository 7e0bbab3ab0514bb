//! Where a node-hour's price comes from, and that it is what a run charges: a valid `discount`
//! takes its share off catalog prices (and only those), a `prices =` file and `--prices` change
//! the cost, the precedence is the target's own `price_usd_per_hour` > the price file >
//! the catalog, and a low-priority target is priced from the file's low-priority column.
//!
//! The cost checks run an always-on Kubernetes pool of 2 x Standard_D2s_v3 for 10 h: 20
//! node-hours billed whatever the load, so `cost_usd` = 20 x the price per node-hour.

use crate::support::{capsim, col, loads, read_csv};
use std::fs;
use std::path::Path;

/// The catalog's list price of a Standard_D2s_v3 node-hour, and its spot price, which capsim
/// uses for low priority (src/catalog/vm_catalog.csv).
const CATALOG: f64 = 0.096;
const CATALOG_LOW: f64 = 0.011616;

/// The 10 h always-on pool; `top` goes before the tables, `extra` into the compute table.
fn pool(top: &str, extra: &str) -> String {
    format!(
        "horizon = \"10h\"\nstart_date = 2026-12-01\nreplications = 2\nseed = 3\n{top}\n\
         [[compute]]\nname = \"pool\"\ntype = \"kubernetes\"\nsize = \"Standard_D2s_v3\"\n\
         instance_count = 2\n{extra}\n\n\
         [[workload]]\nname = \"jobs\"\ncompute = \"pool\"\n\
         arrivals = {{ process = \"poisson\", rate_per_hour = 2.0 }}\n\
         duration = {{ dist = \"constant\", value = \"10m\" }}\n"
    )
}

/// A price list: Standard_D2s_v3 at `price` (and `low` for low priority, when given).
fn price_list(dir: &Path, name: &str, price: f64, low: Option<f64>) {
    let text = match low {
        Some(low) => format!(
            "size,price_usd_per_hour,low_priority_price_usd_per_hour\nStandard_D2s_v3,{price},{low}\n"
        ),
        None => format!("size,price_usd_per_hour\nStandard_D2s_v3,{price}\n"),
    };
    fs::write(dir.join(name), text).unwrap();
}

/// `cost_usd` of the run of `text` (with `args`), from summary.csv.
fn cost(dir: &Path, text: &str, args: &[&str]) -> f64 {
    fs::write(dir.join("s.toml"), text).unwrap();
    let out = dir.join("out");
    let _ = fs::remove_dir_all(&out);
    capsim()
        .current_dir(dir)
        .args(["run", "s.toml", "--quiet", "--out", "out"])
        .args(args)
        .assert()
        .success();
    let (header, rows) = read_csv(&out.join("summary.csv"));
    rows[0][col(&header, "cost_usd")].parse().unwrap()
}

fn assert_cost(got: f64, price: f64, what: &str) {
    let want = 20.0 * price;
    assert!(
        (got - want).abs() < 1e-6,
        "{what}: cost {got}, want 20 node-hours x ${price} = {want}"
    );
}

#[test]
fn prices_come_from_override_then_price_file_then_catalog_and_set_the_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    price_list(dir, "mine.csv", 0.5, None);
    price_list(dir, "other.csv", 0.3, None);

    // The catalog: 20 x 0.096 = $1.92.
    assert_cost(cost(dir, &pool("", ""), &[]), CATALOG, "catalog");
    // A 25% discount off the catalog: 20 x 0.072 = $1.44.
    assert_cost(
        cost(dir, &pool("discount = 0.25", ""), &[]),
        CATALOG * 0.75,
        "discounted catalog",
    );
    // The scenario's price list: 20 x 0.5 = $10.
    let with_file = pool("prices = \"mine.csv\"", "");
    assert_cost(cost(dir, &with_file, &[]), 0.5, "price file");
    // A discount is a discount off list prices: a user's own prices are taken as they are.
    assert_cost(
        cost(
            dir,
            &pool("prices = \"mine.csv\"\ndiscount = 0.25", ""),
            &[],
        ),
        0.5,
        "price file with a discount",
    );
    // --prices replaces the scenario's list: 20 x 0.3 = $6.
    assert_cost(
        cost(dir, &with_file, &["--prices", "other.csv"]),
        0.3,
        "--prices",
    );
    // The target's own price wins over both: 20 x 0.7 = $14.
    let own = pool("prices = \"mine.csv\"", "price_usd_per_hour = 0.7");
    assert_cost(cost(dir, &own, &[]), 0.7, "override over the file");
    assert_cost(
        cost(dir, &own, &["--prices", "other.csv"]),
        0.7,
        "override over --prices",
    );
}

/// In-process, the price each tier is given: a low-priority target takes the file's
/// low-priority column (not its dedicated price, not the catalog's spot price), a dedicated one
/// the dedicated column; without a file, the catalog's spot price, discounted like any catalog
/// price.
#[test]
fn a_low_priority_target_is_priced_from_the_low_priority_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    price_list(dir, "lp.csv", 0.5, Some(0.05));
    let path = dir.join("lp.csv");
    let cluster = |top: &str, tier: &str| {
        format!(
            "horizon = \"1d\"\nstart_date = 2025-12-01\n{top}\n[[compute]]\nname = \"c\"\n\
             type = \"amlcompute\"\nsize = \"Standard_D2s_v3\"\nmax_instances = 2\n{tier}\n"
        )
    };
    let price = |text: &str| loads(text).system.targets[0].price_usd_per_hour();
    let file = format!("prices = {:?}", path.to_str().unwrap());
    let low = "tier = \"low_priority\"";
    assert_eq!(price(&cluster(&file, low)), 0.05);
    assert_eq!(price(&cluster(&file, "")), 0.5);
    assert_eq!(price(&cluster("", low)), CATALOG_LOW);
    assert!((price(&cluster("discount = 0.5", low)) - CATALOG_LOW * 0.5).abs() < 1e-12);

    // A file without the column cannot price a low-priority target: a located error.
    price_list(dir, "dedicated-only.csv", 0.5, None);
    let text = cluster(
        &format!(
            "prices = {:?}",
            dir.join("dedicated-only.csv").to_str().unwrap()
        ),
        low,
    );
    let errs = crate::support::errors(&text);
    crate::support::assert_error(
        &errs,
        "compute.c.size",
        &["has no low-priority price for this size"],
    );
}
