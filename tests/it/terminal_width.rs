//! Terminal tables fit 100 columns when the output is not a terminal (issue 20), say which
//! columns they left out, and show them all with --wide; money is written one way and a column
//! holds one unit.

use crate::support::{capsim, col, read_csv, repo, run};
use capsim::text::table::widest_line;

/// The table lines of a run's stdout: from the first line to the first that is prose.
fn table_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip(1)
        .take_while(|l| {
            !l.starts_with("Left out") && !l.starts_with("Goal") && !l.starts_with("Means")
        })
        .collect()
}

#[test]
fn a_sweep_table_fits_100_columns_and_wide_shows_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let args = |out: &str| {
        vec![
            "run".to_string(),
            repo()
                .join("scenarios/min-nodes.toml")
                .display()
                .to_string(),
            "--replications".into(),
            "2".into(),
            "--horizon".into(),
            "9d".into(),
            "--out".into(),
            dir.path().join(out).display().to_string(),
        ]
    };
    // stdout is a pipe here: 100 columns.
    let narrow = run(capsim().args(args("a")));
    assert_eq!(narrow.code, Some(0), "{}", narrow.stderr);
    let lines = table_lines(&narrow.stdout);
    assert!(lines.len() >= 13, "{}", narrow.stdout); // header, rule, 12 variants
    let widest = lines.iter().map(|l| widest_line(l)).max().unwrap();
    assert!(widest <= 100, "{widest} columns:\n{}", narrow.stdout);
    // The prose around the table fits too: offered load, verdict, the Noisy note, the closing
    // line (the folder's path is left whole).
    assert!(narrow.stdout.contains("\nNoisy: "), "{}", narrow.stdout);
    for l in narrow
        .stdout
        .lines()
        .filter(|l| !l.starts_with("Results in"))
    {
        assert!(
            l.chars().count() <= 100,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    let left_out = narrow
        .stdout
        .lines()
        .find(|l| l.starts_with("Left out to fit 100 columns: "))
        .unwrap_or_else(|| panic!("{}", narrow.stdout));
    assert!(left_out.contains("--wide"), "{left_out}");
    // What the cost column shows is what summary.csv holds, in whole dollars.
    let (h, rows) = read_csv(&dir.path().join("a/summary.csv"));
    let cost = rows[0][col(&h, "cost_per_month_usd")]
        .parse::<f64>()
        .unwrap();
    let zero = lines
        .iter()
        .find(|l| l.trim_start().starts_with("0 "))
        .unwrap();
    assert!(
        zero.contains(&capsim::text::format::usd(cost)),
        "{zero} / {cost}"
    );

    let mut wide_args = args("b");
    wide_args.push("--wide".into());
    let wide = run(capsim().args(wide_args));
    assert_eq!(wide.code, Some(0), "{}", wide.stderr);
    assert!(!wide.stdout.contains("Left out"), "{}", wide.stdout);
    // The table's header: after the run's line and its offered-load lines.
    let header = wide
        .stdout
        .lines()
        .find(|l| l.contains("min_instances"))
        .unwrap_or_else(|| panic!("{}", wide.stdout));
    for c in [
        "min_instances",
        "idle_time_before_scale_down",
        "target",
        "jobs/h",
        "idle/month",
    ] {
        assert!(header.contains(c), "{header}");
    }
    assert!(widest_line(&wide.stdout.lines().take(15).collect::<Vec<_>>().join("\n")) > 100);
}

#[test]
fn the_catalog_table_fits_100_columns_and_names_what_it_left_out() {
    let o = run(capsim().args(["catalog", "--gpu"]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let table: &str = o.stdout.split("\n\n").next().unwrap();
    assert!(widest_line(table) <= 100, "{table}");
    assert!(
        o.stdout.contains("Left out to fit 100 columns: series"),
        "{}",
        o.stdout
    );
    // Prices as money: the ND40rs_v2 list price is 22.032 USD an hour (vm_catalog.csv).
    let nd = table
        .lines()
        .find(|l| l.starts_with("Standard_ND40rs_v2 "))
        .unwrap();
    assert!(nd.contains("$22.032"), "{nd}");
    let wide = run(capsim().args(["catalog", "--gpu", "--wide"]));
    assert!(wide.stdout.starts_with("size "), "{}", wide.stdout);
    assert!(wide.stdout.lines().next().unwrap().contains("gpu_arch"));
}

#[test]
fn every_line_capsim_size_prints_fits_100_columns() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(capsim().args([
        "size",
        repo().join("scenarios/sizing.toml").to_str().unwrap(),
        "--out",
        dir.path().join("s").to_str().unwrap(),
    ]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    // The prose too: the goal, the recommendation, the autoscale advice, the prices' source.
    assert!(
        o.stdout.contains("\nAutoscale for the traffic's profile"),
        "{}",
        o.stdout
    );
    for l in o.stdout.lines().filter(|l| !l.starts_with("Results in")) {
        assert!(
            l.chars().count() <= 100,
            "{} columns: {l}",
            l.chars().count()
        );
    }
}

#[test]
fn an_endpoint_table_shows_429s_and_408s_both_as_shares() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(capsim().args([
        "run",
        repo().join("scenarios/endpoint.toml").to_str().unwrap(),
        "--replications",
        "2",
        "--horizon",
        "1d",
        "--out",
        dir.path().join("e").to_str().unwrap(),
    ]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let header = o.stdout.lines().find(|l| l.contains("429s")).unwrap();
    assert!(header.contains("408s"), "{}", o.stdout);
    let (h, rows) = read_csv(&dir.path().join("e/summary.csv"));
    let share = rows[0][col(&h, "rejected_429_share")]
        .parse::<f64>()
        .unwrap();
    let line = o.stdout.lines().find(|l| l.starts_with("scorer")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    // endpoint, requests, then the two shares.
    assert_eq!(
        cells[2],
        capsim::text::format::percent_fine(share),
        "{line}"
    );
    assert!(cells[3].ends_with('%'), "{line}");
    assert!(
        o.stdout.contains("429s and 408s: the share of requests"),
        "{}",
        o.stdout
    );
}
