//! The budget-review report: built only from an output folder's files, its sections, its
//! headline numbers (equal to the CSV cells, formatted), its charts, and the edge cases — one
//! replication, no jobs, one variant, a sweep of 100+ variants, one and two swept axes, missing
//! optional files, and a missing summary.csv.

use crate::support::{QUICKSTART, entries, options, write_temp};
use capsim::output::{self, TimeseriesWriter};
use capsim::report::data::Table;
use capsim::report::{ReportOptions, build_report, write_report};
use capsim::scenario::sweep::load_plan;
use capsim::text::format::{duration_ci, percent_ci, usd_ci};
use std::fs;
use std::path::{Path, PathBuf};

/// The quickstart scenario, shortened for tests.
fn quickstart(horizon: &str, replications: u32) -> String {
    QUICKSTART
        .replace("horizon = \"30d\"", &format!("horizon = \"{horizon}\""))
        .replace(
            "replications = 10",
            &format!("replications = {replications}"),
        )
}

/// Runs `text` (with `--sweep`-style axes) through the library and writes the files `capsim
/// run` writes into a fresh folder, exactly as the command line does. Loaded as of the fixed
/// day `support::options` gives, so that no size retires under the test on a later date.
fn simulate(text: &str, sweeps: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (tmp, file) = write_temp("scenario-under-test.toml", text);
    let sweeps: Vec<String> = sweeps.iter().map(|s| s.to_string()).collect();
    let plan = load_plan(&file, text, &options(), &[], &sweeps).unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    let first = plan.variants[0].scenario.clone();
    let mut ts = TimeseriesWriter::new(Vec::new(), &first, 0);
    let results = capsim::sweep::run_plan(&plan, 2, Some(&mut ts)).unwrap();
    fs::write(out.join("timeseries.csv"), ts.finish().unwrap()).unwrap();
    fs::write(
        out.join("summary.csv"),
        output::summary_csv(&plan, &results).unwrap(),
    )
    .unwrap();
    fs::write(
        out.join("replications.csv"),
        output::replications_csv(&plan, &results).unwrap(),
    )
    .unwrap();
    if plan.variants.len() > 1 {
        let rows = capsim::sweep::tradeoff::analyse(&plan, &results);
        fs::write(
            out.join("tradeoff.csv"),
            output::tradeoff_csv(&plan, &rows).unwrap(),
        )
        .unwrap();
    }
    fs::write(out.join("scenario.toml"), first.source.as_bytes()).unwrap();
    let mut info = output::runinfo::RunInfo::start(&file, text);
    info.describe(&plan);
    info.finish(output::runinfo::Status::Complete);
    fs::write(out.join(output::runinfo::FILE_NAME), info.to_json()).unwrap();
    (tmp, out)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The inner HTML of `<section id="ID">`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").expect("section closes") + start;
    &html[start..end]
}

/// What the HTML shows for `text`.
fn esc(text: &str) -> String {
    capsim::report::render::html_escape(text)
}

/// The files of `dir/charts`, sorted; none when there is no such folder.
fn chart_names(dir: &Path) -> Vec<String> {
    let charts = dir.join("charts");
    if charts.exists() {
        entries(&charts)
    } else {
        vec![]
    }
}

/// Checks every report shares: self-contained HTML, every chart inline and on disk, Markdown
/// linking the same charts, nothing fetched, text escaped.
fn check_common(out: &Path, written: &[PathBuf]) -> (String, String) {
    let html = read(&out.join("report.html"));
    let md = read(&out.join("report.md"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for id in ["headline", "results", "charts", "assumptions"] {
        section(&html, id);
    }
    assert!(!html.to_lowercase().contains("<script"), "no scripts");
    assert!(!html.contains("src=\""), "nothing loaded from elsewhere");
    assert!(!html.contains("href=\"http"), "no external links");
    assert!(!html.contains("url("), "no external styles");
    let charts = chart_names(out);
    assert_eq!(
        html.matches("<svg ").count(),
        charts.len(),
        "every chart inline once: {charts:?}"
    );
    for c in &charts {
        let svg = read(&out.join("charts").join(c));
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<title>"), "{c} has a title");
        assert!(
            html.contains(svg.trim_end()),
            "{c} is inlined byte for byte"
        );
        assert!(
            md.contains(&format!("](charts/{c})")),
            "report.md links {c}"
        );
        assert!(written.contains(&out.join("charts").join(c)));
    }
    assert!(written.contains(&out.join("report.html")));
    assert!(written.contains(&out.join("report.md")));
    (html, md)
}

#[test]
fn quickstart_report_has_every_section_and_the_csv_numbers() {
    let text = quickstart("3d", 3).replace(
        "name = \"quickstart\"",
        "name = \"quickstart\"\ndescription = \"A <b>test</b> & 'quotes' \\\"double\\\"\"",
    );
    let (_tmp, out) = simulate(&text, &[]);
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, md) = check_common(&out, &written);
    assert_eq!(
        chart_names(&out),
        [
            "cost.svg",
            "nodes-gpu-cluster.svg",
            "waits.svg",
            "waterfall-gpu-cluster.svg"
        ]
    );

    // The headline shows the summary's cells, formatted.
    let s = Table::read(&out.join("summary.csv")).unwrap();
    let head = section(&html, "headline");
    for shown in [
        usd_ci(
            s.num(0, "cost_per_month_usd"),
            s.num(0, "cost_per_month_usd_ci95"),
        ),
        percent_ci(
            s.num(0, "idle_cost_share"),
            s.num(0, "idle_cost_share_ci95"),
        ),
        duration_ci(s.num(0, "wait_p95_s"), s.num(0, "wait_p95_s_ci95")),
        usd_ci(
            s.num(0, "idle_cost_per_month_usd"),
            s.num(0, "idle_cost_per_month_usd_ci95"),
        ),
    ] {
        assert!(
            head.contains(&esc(&shown)),
            "headline shows {shown}:\n{head}"
        );
        let in_md = capsim::report::render::md_escape(&shown);
        assert!(md.contains(&in_md), "report.md shows {in_md}");
    }
    assert!(s.num(0, "cost_per_month_usd_ci95").is_some());
    assert!(head.contains("±"));

    // The per-target table names its columns.
    let results = section(&html, "results");
    for col in [
        "cost_per_month_usd",
        "wait_p99_s",
        "utilization",
        "node_hours",
    ] {
        assert!(results.contains(&format!("<td>{col}</td>")), "{col}");
    }

    // Assumptions: price source, provisioning time, dates, seed, version, the scenario verbatim.
    let a = section(&html, "assumptions");
    let source = s.str(0, "price_source").unwrap();
    assert!(a.contains(&esc(source)), "price source");
    assert!(a.contains("lognormal, median 4m, p95 8m"));
    assert!(a.contains(s.str(0, "start_date").unwrap()));
    assert!(a.contains("seed 42"));
    assert!(a.contains(env!("CARGO_PKG_VERSION")));
    assert!(
        a.contains(&esc(&text)),
        "the scenario, escaped and verbatim"
    );
    assert!(!html.contains("<b>test</b>"), "scenario text is escaped");
    assert!(html.contains("A &lt;b&gt;test&lt;/b&gt; &amp; &#39;quotes&#39;"));
    assert!(md.contains(&text), "the scenario in a fenced block");

    // The report is a function of the files: the same bytes every time.
    let again = build_report(&out, &ReportOptions::default()).unwrap();
    assert_eq!(again.html, html);
    assert_eq!(again.markdown, md);
}

#[test]
fn one_replication_renders_without_intervals() {
    let (_tmp, out) = simulate(&quickstart("3d", 1), &[]);
    let s = Table::read(&out.join("summary.csv")).unwrap();
    assert_eq!(s.str(0, "cost_per_month_usd_ci95"), Some(""));
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    let head = section(&html, "headline");
    let callout = &head[head.find("<div class=\"callout\">").unwrap()..];
    let callout = &callout[..callout.find("</div>").unwrap()];
    let cost = usd_ci(s.num(0, "cost_per_month_usd"), None);
    assert!(callout.contains(&format!("<strong>{cost}</strong> per month")));
    assert!(!callout.contains("±"), "no interval from one replication");
    assert!(head.contains("one replication"));
}

#[test]
fn no_jobs_gives_sentences_instead_of_wait_charts() {
    let text = quickstart("2d", 2).replace("rate_per_hour = 3.0", "rate_per_hour = 0.000001");
    let (_tmp, out) = simulate(&text, &[]);
    let s = Table::read(&out.join("summary.csv")).unwrap();
    assert_eq!(s.num(0, "jobs_completed"), Some(0.0));
    assert_eq!(s.str(0, "wait_p95_s"), Some(""));
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    assert!(!chart_names(&out).contains(&"waits.svg".to_string()));
    assert!(section(&html, "charts").contains("No wait-time chart"));
    assert!(section(&html, "headline").contains("no job started"));
}

#[test]
fn a_sweep_of_one_value_is_a_single_variant() {
    let (_tmp, out) = simulate(
        &quickstart("2d", 2),
        &["compute.gpu-cluster.min_instances=1"],
    );
    assert!(!out.join("tradeoff.csv").exists());
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    assert_eq!(
        chart_names(&out),
        [
            "cost.svg",
            "nodes-gpu-cluster.svg",
            "waits.svg",
            "waterfall-gpu-cluster.svg"
        ]
    );
    assert!(section(&html, "assumptions").contains("compute.gpu-cluster.min_instances = 1"));
}

fn min_nodes_short() -> String {
    include_str!("../../scenarios/min-nodes.toml")
        .replace("horizon = \"35d\"", "horizon = \"5d\"")
        .replace("warmup = \"7d\"", "warmup = \"1d\"")
        .replace("replications = 20", "replications = 4")
}

#[test]
fn two_axis_sweep_has_heat_map_tradeoff_and_recommendation() {
    let (_tmp, out) = simulate(&min_nodes_short(), &[]);
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, md) = check_common(&out, &written);
    assert_eq!(
        chart_names(&out),
        [
            "cost.svg",
            "heatmap-gpu-cluster.svg",
            "nodes-gpu-cluster.svg",
            "tradeoff-gpu-cluster.svg",
            "waits.svg",
            "waterfall-gpu-cluster.svg"
        ]
    );
    let t = Table::read(&out.join("tradeoff.csv")).unwrap();
    let head = section(&html, "headline");
    assert!(head.contains("goal: p95 wait ≤ 5.0 min"));
    match (0..t.rows.len()).find(|&i| t.str(i, "recommended") == Some("yes")) {
        Some(r) => {
            let v = t.str(r, "variant").unwrap();
            assert!(head.contains(&format!("setting #{v} (")), "{head}");
            let cost = usd_ci(
                t.num(r, "cost_per_month_usd"),
                t.num(r, "cost_per_month_usd_ci95"),
            );
            assert!(head.contains(&esc(&cost)), "{cost} in {head}");
            if v != "0" {
                assert!(head.contains("setting #0"), "compared with setting #0");
                assert!(head.contains("The cost difference is"));
            }
        }
        None => assert!(head.contains("No setting meets the goal with 95% confidence.")),
    }
    // Heat map cells show the summary's costs.
    let s = Table::read(&out.join("summary.csv")).unwrap();
    let heat = read(&out.join("charts/heatmap-gpu-cluster.svg"));
    for i in 0..s.rows.len() {
        let cost = capsim::text::format::usd(s.num(i, "cost_per_month_usd").unwrap());
        assert!(
            heat.contains(&format!("\n{cost}\n")),
            "{cost} in the heat map"
        );
    }
    // Escaped only where Markdown needs it: not inside min_instances.
    assert!(md.contains("| \\# | min_instances | idle_time_before_scale_down |"));
    // Twelve settings: a sweep table row each.
    assert!(section(&html, "results").matches("<tr").count() >= 13);
}

#[test]
fn one_axis_sweep_has_no_heat_map() {
    let (_tmp, out) = simulate(
        &quickstart("2d", 3),
        &["compute.gpu-cluster.min_instances=0,1,2"],
    );
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    let charts = chart_names(&out);
    assert!(charts.contains(&"tradeoff-gpu-cluster.svg".to_string()));
    assert!(!charts.iter().any(|c| c.starts_with("heatmap")));
    assert!(html.contains("A heat map is drawn when exactly two parameters are swept"));
    // No [goal]: nothing recommended, said so.
    assert!(section(&html, "headline").contains("Without a goal nothing is recommended."));
}

#[test]
fn a_sweep_of_over_a_hundred_variants_renders() {
    let values: Vec<String> = (1..=105).map(|n| n.to_string()).collect();
    let axis = format!("compute.gpu-cluster.max_instances={}", values.join(","));
    let text = quickstart("1d", 2).replace("warmup = \"1d\"", "warmup = \"2h\"");
    let (_tmp, out) = simulate(&text, &[&axis]);
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    assert!(section(&html, "results").matches("<tr").count() > 105);
    let tradeoff = read(&out.join("charts/tradeoff-gpu-cluster.svg"));
    assert!(tradeoff.contains("Pareto front"));
}

#[test]
fn a_large_two_axis_sweep_shows_a_selection_and_a_heat_map() {
    let max: Vec<String> = (1..=16).map(|n| n.to_string()).collect();
    let idle: Vec<String> = (1..=10).map(|n| format!("{n}m")).collect();
    let text = quickstart("1d", 2).replace("warmup = \"1d\"", "warmup = \"2h\"");
    let (_tmp, out) = simulate(
        &text,
        &[
            &format!("compute.gpu-cluster.max_instances={}", max.join(",")),
            &format!(
                "compute.gpu-cluster.idle_time_before_scale_down={}",
                idle.join(",")
            ),
        ],
    );
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    assert!(chart_names(&out).contains(&"heatmap-gpu-cluster.svg".to_string()));
    // A top-40 view in the bar charts, and the 8 x 8 cheapest rows and columns of the 16 x 10
    // heat map; the CSV files hold every setting.
    assert!(html.contains("Showing 40 of 160 rows"), "bars are capped");
    assert!(
        html.contains("Showing 8 of 16 values of the rows and 8 of 10 of the columns"),
        "the heat map shows its cheapest part"
    );
    assert_eq!(
        section(&html, "results")
            .matches("<tr class=\"highlight\">")
            .count(),
        0
    );
}

#[test]
fn stale_charts_of_an_earlier_report_are_removed() {
    let (_tmp, out) = simulate(&quickstart("2d", 2), &[]);
    fs::create_dir_all(out.join("charts")).unwrap();
    fs::write(out.join("charts/heatmap-old.svg"), "<svg/>").unwrap();
    fs::write(out.join("charts/mine.svg"), "<svg/>").unwrap();
    write_report(&out, &ReportOptions::default()).unwrap();
    let charts = chart_names(&out);
    assert!(!charts.contains(&"heatmap-old.svg".to_string()));
    assert!(
        charts.contains(&"mine.svg".to_string()),
        "other files are kept"
    );
}

#[test]
fn missing_optional_files_become_sentences() {
    let (_tmp, out) = simulate(
        &quickstart("2d", 2),
        &["compute.gpu-cluster.min_instances=0,1"],
    );
    for f in [
        "timeseries.csv",
        "tradeoff.csv",
        "scenario.toml",
        "replications.csv",
    ] {
        fs::remove_file(out.join(f)).unwrap();
    }
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    assert_eq!(
        chart_names(&out),
        ["cost.svg", "waits.svg", "waterfall-gpu-cluster.svg"]
    );
    assert!(html.contains("timeseries.csv is missing"));
    assert!(html.contains("tradeoff.csv is missing"));
    assert!(html.contains("scenario.toml is missing"));
}

#[test]
fn missing_columns_degrade() {
    let (_tmp, out) = simulate(&quickstart("2d", 2), &[]);
    // Keep only a few columns of summary.csv.
    let s = Table::read(&out.join("summary.csv")).unwrap();
    let keep = ["scenario", "variant", "target", "cost_per_month_usd"];
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(keep).unwrap();
    w.write_record(keep.map(|c| s.str(0, c).unwrap())).unwrap();
    fs::write(out.join("summary.csv"), w.into_inner().unwrap()).unwrap();
    let written = write_report(&out, &ReportOptions::default()).unwrap();
    let (html, _) = check_common(&out, &written);
    assert!(html.contains("No wait-time chart"));
    assert!(html.contains(&esc(&usd_ci(s.num(0, "cost_per_month_usd"), None))));
}

#[test]
fn a_missing_summary_is_an_error_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let err = write_report(tmp.path(), &ReportOptions::default()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&tmp.path().join("summary.csv").display().to_string()),
        "{msg}"
    );
    assert!(!tmp.path().join("report.html").exists());
}

#[test]
fn the_window_is_configurable_and_checked() {
    let (_tmp, out) = simulate(&quickstart("3d", 2), &[]);
    let opts = ReportOptions {
        window_start_s: Some(86_400.0 * 1.5),
        window_s: 86_400.0 / 2.0,
        ..ReportOptions::default()
    };
    let r = build_report(&out, &opts).unwrap();
    let nodes = r
        .charts
        .iter()
        .find(|c| c.file == "nodes-gpu-cluster.svg")
        .unwrap();
    // The window's start bounds the samples folded into the hour-of-week profile.
    assert!(
        nodes.title.contains("by hour of the week"),
        "{}",
        nodes.title
    );
    let late = ReportOptions {
        window_start_s: Some(86_400.0 * 10.0),
        ..ReportOptions::default()
    };
    let r = build_report(&out, &late).unwrap();
    assert!(r.html.contains("after the time series ends"));
    let bad = ReportOptions {
        window_s: 0.0,
        ..ReportOptions::default()
    };
    assert!(build_report(&out, &bad).is_err());
}

/// Writes the report of every folder named in `CAPSIM_REPORT_DIRS` (separated like `PATH`), for
/// `tests/report_browser.sh` on a binary without the `report` subcommand.
#[test]
#[ignore = "a helper of tests/report_browser.sh"]
fn write_reports_named_by_env() {
    let Some(dirs) = std::env::var_os("CAPSIM_REPORT_DIRS") else {
        return;
    };
    for d in std::env::split_paths(&dirs) {
        let written = write_report(&d, &ReportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e:#}", d.display()));
        println!("{}: {} files", d.display(), written.len());
    }
}

/// `--png` writes a PNG beside every SVG chart; a report without it removes PNGs an earlier
/// report left, so a PNG never shows older numbers than the SVG beside it.
#[test]
fn png_charts_sit_beside_every_svg_and_never_go_stale() {
    let (_tmp, out) = simulate(&quickstart("2d", 2), &[]);
    let with_png = ReportOptions {
        png: true,
        ..ReportOptions::default()
    };
    capsim::report::write_report(&out, &with_png).unwrap();
    let charts = out.join("charts");
    let names = |ext: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&charts)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(ext).map(str::to_string))
            .collect();
        v.sort();
        v
    };
    let svgs = names(".svg");
    assert!(!svgs.is_empty());
    assert_eq!(names(".png"), svgs);
    for n in &svgs {
        let bytes = std::fs::read(charts.join(format!("{n}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{n}.png");
    }
    capsim::report::write_report(&out, &ReportOptions::default()).unwrap();
    assert!(names(".png").is_empty());
    assert_eq!(names(".svg"), svgs);
}

/// A scenario with a cluster and an endpoint: the endpoint gets a latency headline, a table of
/// request measures without the job measures (and the cluster none of the request measures),
/// and a latency chart; the waits chart covers the cluster only.
#[test]
fn endpoints_get_latency_headlines_tables_and_chart() {
    let text = quickstart("2d", 2)
        + r#"
[[endpoint]]
name = "scorer"
type = "managed_online"
instance_type = "Standard_F4s_v2"
instance_count = 2
request_settings = { max_concurrent_requests_per_instance = 2 }

[[traffic]]
name = "requests"
endpoint = "scorer"
arrivals = { process = "poisson", rate_per_second = 5.0 }
service_time = { dist = "exponential", mean = "100ms" }
"#;
    let (_tmp, out) = simulate(&text, &[]);
    let r = build_report(&out, &ReportOptions::default()).unwrap();
    let headline = section(&r.html, "headline");
    assert!(headline.contains("p95 latency"), "{headline}");
    assert!(headline.contains("rejected with 429"), "{headline}");
    let results = section(&r.html, "results");
    let (cluster, endpoint) = results.split_at(results.find("scorer").unwrap());
    assert!(cluster.contains("wait_p95_s") && !cluster.contains("latency_p95_ms"));
    assert!(endpoint.contains("latency_p95_ms") && !endpoint.contains("wait_p95_s"));
    assert!(endpoint.contains("rejected_429_share"));
    let latency = r.charts.iter().find(|c| c.file == "latency.svg").unwrap();
    assert!(
        latency.svg.contains("scorer (429:"),
        "the 429 share names the bar"
    );
    let waits = r.charts.iter().find(|c| c.file == "waits.svg").unwrap();
    assert!(!waits.svg.contains("scorer"));
}
