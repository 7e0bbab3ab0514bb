//! The report's charts: cost, nodes over the week, latency, waits, trade-offs and heat maps.

use super::*;

impl Builder<'_> {
    pub(super) fn push_chart(&mut self, chart: Chart) {
        self.blocks.push(Block::Figure {
            path: format!("charts/{}", chart.file),
            title: chart.title.clone(),
            svg: chart.svg.clone(),
            caption: chart.caption.clone(),
        });
        self.charts.push(chart);
    }

    pub(super) fn charts(&mut self) -> anyhow::Result<()> {
        self.blocks
            .push(Block::H2("Charts".into(), "charts".into()));
        self.cost_chart()?;
        self.waterfall_charts()?;
        self.nodes_charts()?;
        self.waits_chart()?;
        self.latency_chart()?;
        if self.run.is_sweep() {
            self.tradeoff_charts()?;
            self.heatmaps()?;
        }
        Ok(())
    }

    pub(super) fn cost_chart(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        if !s.has(M::cost_per_month) {
            self.blocks.push(Block::Missing(
                "No cost chart: summary.csv has no cost_per_month_usd column.".into(),
            ));
            return Ok(());
        }
        let mut split_from_hours = true;
        let has_idle = s.has(M::idle_cost_per_month);
        let mut bars = vec![];
        // A batch endpoint's cost is node time of its cluster, whose bar already holds it: a
        // bar of its own would count the money twice in a reader's sum.
        let is_batch = |i: usize| s.str(i, sum::TARGET_TYPE) == Some("batch");
        let batch_rows = (0..s.rows.len()).any(is_batch);
        let (shown, note) = self.shown_rows(
            (0..s.rows.len()).filter(|&i| !is_batch(i)).collect(),
            MAX_BARS,
        );
        for i in shown {
            let total = s.est(i, M::cost_per_month);
            let per_month = {
                let h = s.num(i, sum::HORIZON_S);
                let w = s.num(i, sum::WARMUP_S).unwrap_or(0.0);
                h.map(|h| h - w)
                    .filter(|win| *win > 0.0)
                    .map(|win| crate::catalog::HOURS_PER_MONTH * 3600.0 / win)
            };
            let price = s.num(i, sum::PRICE_USD_PER_HOUR);
            let hours = |m: M| s.num(i, m);
            let mut bar = CostBar {
                label: self.row_label(i),
                busy: 0.0,
                idle: 0.0,
                provisioning: 0.0,
                other: 0.0,
                total,
            };
            match (
                per_month,
                price,
                hours(M::busy_node_hours),
                hours(M::idle_node_hours),
                hours(M::provisioning_node_hours),
            ) {
                (Some(k), Some(p), Some(b), Some(idle), Some(pr)) => {
                    bar.busy = b * p * k;
                    bar.idle = idle * p * k;
                    bar.provisioning = pr * p * k;
                    if let Some(t) = total.known_mean() {
                        let rest = t - bar.busy - bar.idle - bar.provisioning;
                        if rest > 0.005 * t {
                            bar.other = rest;
                        }
                    }
                }
                _ if run.is_endpoint_row(i) => {
                    // Endpoints bill instances, not nodes: busy capacity and idle capacity.
                    let t = total.known_mean().unwrap_or(0.0);
                    let idle = s.num(i, M::idle_cost_per_month).unwrap_or(0.0).min(t);
                    bar.busy = (t - idle).max(0.0);
                    bar.idle = idle;
                }
                _ => {
                    split_from_hours = false;
                    let t = total.known_mean().unwrap_or(0.0);
                    match s.num(i, M::idle_cost_per_month) {
                        Some(idle) if has_idle => {
                            bar.busy = (t - idle).max(0.0);
                            bar.idle = idle.min(t);
                        }
                        _ => bar.other = t,
                    }
                }
            }
            bars.push(bar);
        }
        let endpoints_only = (0..s.rows.len()).all(|i| run.is_endpoint_row(i));
        let title = match (run.is_sweep(), endpoints_only) {
            (true, true) => "Cost per month by setting: busy and idle instance time",
            (false, true) => "Cost per month by endpoint: busy and idle instance time",
            (true, false) => "Cost per month by setting: busy, idle and provisioning node time",
            (false, false) => {
                "Cost per month by compute target: busy, idle and provisioning node time"
            }
        };
        let all_endpoints = !bars.is_empty() && (0..s.rows.len()).all(|i| run.is_endpoint_row(i));
        let names = if all_endpoints {
            [
                "busy (serving requests)",
                "idle capacity (no request)",
                "",
                "fixed and other",
            ]
        } else if split_from_hours {
            [
                "busy (running jobs)",
                "idle",
                "provisioning",
                "fixed and other",
            ]
        } else {
            [
                "running jobs and fixed costs",
                "idle and provisioning",
                "",
                "cost (not split: columns missing)",
            ]
        };
        let svg = charts::cost_chart(&bars, names, &self.category_desc(), title)?;
        let caption = if split_from_hours {
            "Bars are cost_per_month_usd (the figure above each bar; whiskers: its 95% CI). The parts are busy_node_hours, idle_node_hours and provisioning_node_hours × price_usd_per_hour × 730 h / (horizon_s − warmup_s), the scaling behind cost_per_month_usd; any remainder (fixed costs) is shown as \"fixed and other\".".to_string()
        } else {
            "Bars are cost_per_month_usd (whiskers: its 95% CI). Node-hour columns, prices or the horizon are missing from summary.csv, so a bar is split only into idle_cost_per_month_usd (idle and provisioning together) and the rest, where that column exists.".to_string()
        };
        let caption = if (0..s.rows.len()).any(|i| run.is_endpoint_row(i)) {
            format!(
                "{caption} An endpoint's bar is split into its idle capacity (idle_cost_per_month_usd: instance time without a request) and the rest (busy)."
            )
        } else {
            caption
        };
        let caption = if batch_rows {
            format!(
                "{caption} Batch endpoints have no bar: their jobs' node time is in their cluster's bar (their own cost_usd, in the tables, is that share)."
            )
        } else {
            caption
        };
        let caption = match note {
            Some(n) => format!("{caption} {n}"),
            None => caption,
        };
        self.push_chart(Chart {
            file: "cost.svg".into(),
            title: title.into(),
            caption,
            svg,
        });
        Ok(())
    }

    pub(super) fn nodes_charts(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let path = run.dir.join(schema::timeseries::FILE.name);
        if !path.is_file() {
            self.blocks.push(Block::Missing(
                "No nodes-over-time chart: timeseries.csv is missing from the output folder."
                    .into(),
            ));
            return Ok(());
        }
        let start = self
            .opts
            .window_start_s
            .unwrap_or_else(|| run.simulated.warmup_s.unwrap_or(0.0));
        let end = f64::INFINITY;
        let ts = match data::read_timeseries(&path, start, end) {
            Ok(ts) => ts,
            Err(e) => {
                self.blocks
                    .push(Block::Missing(format!("No nodes-over-time chart: {e:#}.")));
                return Ok(());
            }
        };
        if ts.missing_columns.len() == 4 {
            self.blocks.push(Block::Missing(format!(
                "No nodes-over-time chart: timeseries.csv has none of the columns {}.",
                ts.missing_columns.join(", ")
            )));
            return Ok(());
        }
        let day = 86_400.0;
        // A sweep with a goal records the recommended setting it simulated into the file.
        let shown = run.run_json.as_ref().and_then(|j| j.timeseries_variant);
        let variant_note = if run.is_sweep() {
            let v = shown.unwrap_or(0);
            let row = run
                .targets
                .first()
                .and_then(|t| run.summary_row(&v.to_string(), t))
                .unwrap_or(0);
            let params = run.params_long(&run.summary, row);
            match shown {
                Some(_) => format!("the recommended setting #{v} ({params}), "),
                None => format!("setting #{v} ({params}), "),
            }
        } else {
            String::new()
        };
        for t in &run.targets {
            let series = ts.series.iter().find(|s| &s.target == t);
            let samples = series.map_or(&[][..], |s| &s.samples[..]);
            if samples.is_empty() {
                let why = if start >= ts.end_s && ts.end_s > 0.0 {
                    format!(
                        "the window starts at day {:.1}, after the time series ends (day {:.1})",
                        start / day,
                        ts.end_s / day
                    )
                } else {
                    "timeseries.csv holds no samples of this target in the window".into()
                };
                self.blocks.push(Block::Missing(format!(
                    "No nodes-over-time chart for {t}: {why}."
                )));
                continue;
            }
            // A week of 5-minute steps drawn side by side reads as a picket fence: fold every
            // observed week into the 168 hours of one, with means and peaks.
            let from = run.simulated.warmup_s.unwrap_or(0.0).max(start);
            let Some(hours) = profile::hour_of_week(samples, from) else {
                self.blocks.push(Block::Missing(format!(
                    "No hour-of-week profile for {t}: timeseries.csv holds no sample after the warm-up."
                )));
                continue;
            };
            let endpoint = run.summary_rows(t).iter().any(|&r| run.is_endpoint_row(r));
            let words = if endpoint {
                profile::ENDPOINT_WORDS
            } else {
                profile::CLUSTER_WORDS
            };
            let weeks = (samples.last().map_or(from, |x| x.t) - from) / (7.0 * day);
            let title = format!(
                "{} by hour of the week — {t}: billed and busy, mean and peak, and the queue",
                words.units
            );
            let svg = profile::profile_chart(&hours, words, &title)?;
            let mut caption = format!(
                "One replication ({variant_note}replication 0) from timeseries.csv, after the warm-up: its {} weeks folded into one, each sample counted in its hour of the week. The shaded areas are the mean {} billed (nodes_allocated) and, inside them, busy (nodes_busy); the black line is the peak billed in that hour; red lines are the mean and peak {} (queue_jobs, right axis). Other replications differ: the tables give the averages.",
                trim_num(weeks.max(0.0)),
                words.units.to_lowercase(),
                words.queued
            );
            if !ts.missing_columns.is_empty() {
                caption.push_str(&format!(
                    " Missing columns, drawn as zero: {}.",
                    ts.missing_columns.join(", ")
                ));
            }
            let file = chart_file("nodes", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption,
                svg,
            });
        }
        Ok(())
    }

    /// p50, p95 and p99 latency of every endpoint row, with its 429 share under its name.
    pub(super) fn latency_chart(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        let rows: Vec<usize> = (0..s.rows.len())
            .filter(|&i| run.is_endpoint_row(i))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let (shown, note) = self.shown_rows(rows, MAX_BARS);
        let groups: Vec<WaitGroup> = shown
            .into_iter()
            .map(|i| {
                let r = s.est(i, M::rejected_429_share);
                let mut label = self.row_label(i);
                if let Some(m) = r.known_mean() {
                    label.push_str(&format!(" (429: {})", percent(m)));
                }
                WaitGroup {
                    label,
                    p50: s.est(i, M::latency_p50),
                    p95: s.est(i, M::latency_p95),
                    p99: s.est(i, M::latency_p99),
                }
            })
            .collect();
        if groups.iter().all(charts::WaitGroup::is_unknown) {
            self.blocks.push(Block::Missing(
                "No latency chart: no endpoint served a request within the observed window.".into(),
            ));
            return Ok(());
        }
        let title = if run.is_sweep() {
            "Request latency: p50, p95 and p99 by setting (429 share in brackets)"
        } else {
            "Request latency: p50, p95 and p99 by endpoint (429 share in brackets)"
        };
        let x_desc = if run.is_sweep() {
            self.category_desc()
        } else {
            "Endpoint".to_string()
        };
        let svg =
            charts::percentile_chart(&groups, &x_desc, title, charts::Percentiles::LatencyMs)?;
        self.push_chart(Chart {
            file: "latency.svg".into(),
            title: title.into(),
            caption: format!(
                "latency_p50_ms, latency_p95_ms and latency_p99_ms of served requests (wait for a slot plus service), each computed over one replication and averaged over replications; whiskers are 95% CIs. The share in brackets is rejected_429_share. {}",
                note.unwrap_or_default()
            )
            .trim_end()
            .to_string(),
            svg,
        });
        Ok(())
    }

    pub(super) fn waits_chart(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let s = &run.summary;
        let job_rows: Vec<usize> = (0..s.rows.len())
            .filter(|&i| !run.is_endpoint_row(i))
            .collect();
        if job_rows.is_empty() {
            return Ok(());
        }
        let (shown, note) = self.shown_rows(job_rows, MAX_BARS);
        let groups: Vec<WaitGroup> = shown
            .into_iter()
            .map(|i| WaitGroup {
                label: self.row_label(i),
                p50: s.est(i, M::wait_p50),
                p95: s.est(i, M::wait_p95),
                p99: s.est(i, M::wait_p99),
            })
            .collect();
        if groups.iter().all(charts::WaitGroup::is_unknown) {
            self.blocks.push(Block::Missing(
                "No wait-time chart: the wait percentiles (wait_p50_s, wait_p95_s, wait_p99_s) are empty or missing — no job started within the observed window.".into(),
            ));
            return Ok(());
        }
        let title = if run.is_sweep() {
            "Wait before a job starts: p50, p95 and p99 by setting"
        } else {
            "Wait before a job starts: p50, p95 and p99 by compute target"
        };
        let svg = charts::waits_chart(&groups, &self.category_desc(), title)?;
        self.push_chart(Chart {
            file: "waits.svg".into(),
            title: title.into(),
            caption: format!("{} {}", "wait_p50_s, wait_p95_s and wait_p99_s: each percentile is computed over one replication's jobs, then averaged over replications; whiskers are the 95% CIs of those means. The CSVs hold no per-job waits, so no distribution curve is drawn.", note.unwrap_or_default())
                .trim_end()
                .to_string(),
            svg,
        });
        Ok(())
    }

    pub(super) fn tradeoff_charts(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        let Some(tr) = &run.tradeoff else {
            self.blocks.push(Block::Missing(
                "No cost-against-wait chart: tradeoff.csv is missing from the output folder."
                    .into(),
            ));
            return Ok(());
        };
        let goal = run.goal();
        for t in &run.targets {
            // Online endpoints: cost against the goal's latency (else p95), read from
            // summary.csv in seconds, with that latency's bound as the goal line.
            let endpoint = run
                .summary_rows(t)
                .first()
                .is_some_and(|&r| run.is_endpoint_row(r));
            let latency = [
                (
                    M::latency_p50,
                    "p50 latency",
                    goal.as_ref().and_then(|g| g.latency_p50_ms),
                ),
                (
                    M::latency_p95,
                    "p95 latency",
                    goal.as_ref().and_then(|g| g.latency_p95_ms),
                ),
                (
                    M::latency_p99,
                    "p99 latency",
                    goal.as_ref().and_then(|g| g.latency_p99_ms),
                ),
            ]
            .into_iter()
            .find(|l| l.2.is_some())
            .unwrap_or((M::latency_p95, "p95 latency", None));
            let points: Vec<TradeoffPoint> = run
                .tradeoff_rows(t)
                .into_iter()
                .map(|i| {
                    let variant = run.variant_of(tr, i);
                    let wait_p95 = if endpoint {
                        run.summary_row(&variant, t)
                            .map(|r| {
                                let e = run.summary.est(r, latency.0);
                                Estimate {
                                    mean: e.mean / 1000.0,
                                    ci95: e.ci95 / 1000.0,
                                    n: 0,
                                }
                            })
                            .unwrap_or_default()
                    } else {
                        tr.est(i, trade::WAIT_P95_S)
                    };
                    TradeoffPoint {
                        variant,
                        cost: tr.est(i, trade::COST_PER_MONTH_USD),
                        wait_p95,
                        pareto: tr.flag(i, trade::PARETO_OPTIMAL).as_deref() == Some("yes"),
                        recommended: tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"),
                    }
                })
                .collect();
            if endpoint {
                let title = format!("Cost against {} by setting — {t}", latency.1);
                let svg = charts::tradeoff_chart(
                    latency.1,
                    &points,
                    latency.2.map(|ms| ms / 1000.0),
                    goal.as_ref().and_then(|g| g.budget_per_month_usd),
                    &title,
                )?;
                let file = chart_file("tradeoff", t, &self.charts);
                self.push_chart(Chart {
                    file,
                    title,
                    caption: format!("Each point is a setting (tradeoff.csv: cost_per_month_usd; summary.csv: {}, bars: their _ci95). The line joins the Pareto-optimal settings (pareto_optimal = yes: no other is both cheaper and faster); the ring marks the recommended setting (recommended = yes); the dashed line is the [goal] of scenario.toml. Labels are setting numbers (#0 is the baseline).", latency.0.name()),
                    svg,
                });
                continue;
            }
            if points
                .iter()
                .all(|p| p.cost.known_mean().is_none() || p.wait_p95.known_mean().is_none())
            {
                self.blocks.push(Block::Missing(format!(
                    "No cost-against-wait chart for {t}: tradeoff.csv has no setting with both a cost and a p95 wait (no job started?)."
                )));
                continue;
            }
            let title = format!("Cost against p95 wait by setting — {t}");
            let svg = charts::tradeoff_chart(
                "p95 wait",
                &points,
                goal.as_ref().and_then(|g| g.wait_p95_s),
                goal.as_ref().and_then(|g| g.budget_per_month_usd),
                &title,
            )?;
            let file = chart_file("tradeoff", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption: "Each point is a setting (tradeoff.csv: cost_per_month_usd and wait_p95_s, bars: their _ci95). The line joins the Pareto-optimal settings (pareto_optimal = yes: no other is both cheaper and faster); the ring marks the recommended setting (recommended = yes); the dashed line is the [goal] of scenario.toml. Labels are setting numbers (#0 is the baseline).".into(),
                svg,
            });
        }
        Ok(())
    }

    pub(super) fn heatmaps(&mut self) -> anyhow::Result<()> {
        let run = self.run;
        if run.axes.len() != 2 {
            let names: Vec<&str> = run.axes.iter().map(|a| a.short()).collect();
            self.blocks.push(Block::P(vec![text(format!(
                "A heat map is drawn when exactly two parameters are swept; this sweep has {}{}.",
                plural(run.axes.len(), "axis", "axes"),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", names.join(", "))
                }
            ))]));
            return Ok(());
        }
        let (ra, ca) = (&run.axes[0], &run.axes[1]);
        let s = &run.summary;
        for t in &run.targets {
            let mut cells: Vec<HeatCell> = vec![];
            let mut clash = false;
            for i in run.summary_rows(t) {
                let rv = s.str(i, schema::parameter_name(&ra.path)).unwrap_or("");
                let cv = s.str(i, schema::parameter_name(&ca.path)).unwrap_or("");
                let (Some(row), Some(col)) = (
                    ra.values.iter().position(|v| v == rv),
                    ca.values.iter().position(|v| v == cv),
                ) else {
                    continue;
                };
                if cells.iter().any(|c| c.row == row && c.col == col) {
                    clash = true;
                }
                let v = run.variant_of(s, i);
                let recommended = run.tradeoff.as_ref().is_some_and(|tr| {
                    (0..tr.rows.len()).any(|r| {
                        tr.str(r, trade::TARGET) == Some(t.as_str())
                            && run.variant_of(tr, r) == v
                            && tr.flag(r, trade::RECOMMENDED).as_deref() == Some("yes")
                    })
                });
                cells.push(HeatCell {
                    row,
                    col,
                    cost: s.num(i, M::cost_per_month),
                    wait_p95_s: s.num(i, M::wait_p95),
                    recommended,
                });
            }
            if clash {
                self.blocks.push(Block::Missing(format!(
                    "No heat map for {t}: several settings share a ({}, {}) pair.",
                    ra.short(),
                    ca.short()
                )));
                continue;
            }
            let title = format!("Cost per month by {} and {} — {t}", ra.short(), ca.short());
            let (cells, row_values, col_values, note) =
                topn::heat_top(&cells, &ra.values, &ca.values);
            let axes = HeatAxes {
                row_name: ra.short(),
                row_values: &row_values,
                col_name: ca.short(),
                col_values: &col_values,
            };
            let svg = charts::heatmap_chart(&axes, &cells, &title)?;
            let file = chart_file("heatmap", t, &self.charts);
            self.push_chart(Chart {
                file,
                title,
                caption: format!(
                    "cost_per_month_usd of each setting (darker costs more), with its wait_p95_s below; rows are {}, columns {}. The outlined cell is the recommended setting.{}",
                    ra.path,
                    ca.path,
                    note.map(|n| format!(" {n}")).unwrap_or_default()
                ),
                svg,
            });
        }
        Ok(())
    }
}
