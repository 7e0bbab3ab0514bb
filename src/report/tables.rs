//! The results section: metric tables of a run and of a sweep, and which rows a large sweep shows.

use super::*;

impl Builder<'_> {
    pub(super) fn results(&mut self) {
        let run = self.run;
        self.blocks
            .push(Block::H2("Results per target".into(), "results".into()));
        for t in &run.targets {
            let rows = run.summary_rows(t);
            let Some(&first) = rows.first() else { continue };
            let s = &run.summary;
            let what: Vec<String> = [sum::TARGET_TYPE, sum::SIZE, sum::TIER]
                .iter()
                .filter_map(|c| s.str(first, c).filter(|v| !v.is_empty()).map(String::from))
                .collect();
            self.blocks.push(Block::H3(if what.is_empty() {
                t.clone()
            } else {
                format!("{t} — {}", what.join(", "))
            }));
            if run.is_sweep() {
                self.blocks.push(Block::Table(self.sweep_table(t)));
                let rec = run.tradeoff.as_ref().and_then(|tr| {
                    run.tradeoff_rows(t)
                        .into_iter()
                        .find(|&i| tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"))
                        .map(|i| run.variant_of(tr, i))
                });
                let (variant, what) = match rec {
                    Some(v) => (v, "the recommended setting"),
                    None => (
                        run.variants.first().cloned().unwrap_or_default(),
                        "setting #0 (the first value of every axis)",
                    ),
                };
                if let Some(row) = run.summary_row(&variant, t) {
                    self.blocks.push(Block::Table(self.metric_table(
                        row,
                        Some(format!(
                            "Details of {what}: #{variant} ({})",
                            run.params_long(&run.summary, row)
                        )),
                    )));
                }
            } else {
                self.blocks
                    .push(Block::Table(self.metric_table(first, None)));
            }
        }
    }

    /// Key metrics of one summary row with their intervals and the columns they come from.
    pub(super) fn metric_table(&self, row: usize, caption: Option<String>) -> Table {
        let s = &self.run.summary;
        let mut rows = vec![];
        // Zero everywhere is noise for the measures only some target types have.
        let nothing = |col: &str| {
            let e = s.est(row, col);
            e.known_mean().is_none_or(|m| m == 0.0) && e.known_ci95().is_none_or(|c| c == 0.0)
        };
        let endpoint = self.run.is_endpoint_row(row);
        // An endpoint has no jobs and a compute target no requests: leave out the other kind's
        // measures (blank in summary.csv) rather than fill the table with dashes.
        let other_kind = |m: M| {
            if endpoint {
                s.est(row, m).known_mean().is_none()
            } else {
                ENDPOINT_ONLY.contains(&m)
            }
        };
        for &(label, m) in METRIC_ROWS {
            if !s.has(m) || (OCCASIONAL.contains(&m) && nothing(m.name())) || other_kind(m) {
                continue;
            }
            let cell = fmt_est(Kind::of(m.def().unit), s.est(row, m));
            rows.push(TableRow {
                cells: vec![label.to_string(), cell, m.name().to_string()],
                highlight: false,
            });
        }
        // The other metrics, and those this report does not know yet (newer capsim versions),
        // by their units.
        for h in &s.headers {
            let known = METRIC_ROWS.iter().any(|(_, m)| m.name() == h)
                || sum::identity().any(|c| c.name == h)
                || h.starts_with(schema::PARAMETER_PREFIX)
                || h.ends_with(schema::CI95_SUFFIX);
            if known || !s.has(schema::ci95_name(h)) || nothing(h) {
                continue;
            }
            let kind = match crate::metrics::METRICS.iter().find(|m| m.name == h) {
                Some(m) => Kind::of(m.unit),
                None => Kind::by_suffix(h),
            };
            let mut label = h.replace('_', " ");
            if let Some(first) = label.get(..1) {
                label = first.to_uppercase() + &label[1..];
            }
            rows.push(TableRow {
                cells: vec![label, fmt_est(kind, s.est(row, h)), h.clone()],
                highlight: false,
            });
        }
        Table {
            caption,
            header: vec![
                "Metric".into(),
                "Mean ± 95% CI".into(),
                "summary.csv column".into(),
            ],
            numeric: vec![false, true, false],
            rows,
        }
    }

    /// One row per setting of one target.
    pub(super) fn sweep_table(&self, target: &str) -> Table {
        let run = self.run;
        let s = &run.summary;
        let tr = run.tradeoff.as_ref();
        let mut header = vec!["#".to_string()];
        header.extend(run.axes.iter().map(|a| a.short().to_string()));
        let n_axes = run.axes.len();
        // Online endpoints have requests, not jobs: latency and 429 columns, no wait columns.
        let endpoint = run
            .summary_rows(target)
            .first()
            .is_some_and(|&r| run.is_endpoint_row(r));
        let measures = if endpoint {
            [
                "Cost / month",
                "Idle share",
                "Latency p95",
                "Latency p99",
                "429 share",
            ]
        } else {
            [
                "Cost / month",
                "Idle share",
                "Wait p95",
                "Wait mean",
                "Utilisation",
            ]
        };
        header.extend(measures.map(String::from));
        if tr.is_some() {
            if endpoint {
                header.extend(["Δ cost vs #0", "Pareto", "Goal"].map(String::from));
            } else {
                header.extend(["Δ cost vs #0", "Δ p95 vs #0", "Pareto", "Goal"].map(String::from));
            }
        }
        let mut numeric = vec![true];
        numeric.extend(std::iter::repeat_n(false, n_axes));
        numeric.extend([true; 5]);
        if tr.is_some() {
            numeric.extend([true, true, false, false]);
            if endpoint {
                numeric.remove(numeric.len() - 3);
            }
        }
        let mut rows = vec![];
        let (shown, note) = self.shown_rows(run.summary_rows(target), MAX_TABLE_ROWS);
        for i in shown {
            let v = run.variant_of(s, i);
            let mut cells = vec![v.clone()];
            cells.extend(run.axes.iter().map(|a| {
                s.str(i, schema::parameter_name(&a.path))
                    .unwrap_or("")
                    .to_string()
            }));
            let e = |m: M| s.est(i, m);
            cells.push(usd_ci(
                e(M::cost_per_month).known_mean(),
                e(M::cost_per_month).known_ci95(),
            ));
            cells.push(percent_ci(
                e(M::idle_cost_share).known_mean(),
                e(M::idle_cost_share).known_ci95(),
            ));
            if endpoint {
                for m in [M::latency_p95, M::latency_p99] {
                    cells.push(fmt_est(Kind::Millis, e(m)));
                }
                cells.push(percent_ci(
                    e(M::rejected_429_share).known_mean(),
                    e(M::rejected_429_share).known_ci95(),
                ));
            } else {
                cells.push(duration_ci(
                    e(M::wait_p95).known_mean(),
                    e(M::wait_p95).known_ci95(),
                ));
                cells.push(duration_ci(
                    e(M::wait_mean).known_mean(),
                    e(M::wait_mean).known_ci95(),
                ));
                cells.push(percent(e(M::utilization).known_mean().unwrap_or(f64::NAN)));
            }
            let mut highlight = false;
            if let Some(tr) = tr {
                let r = (0..tr.rows.len()).find(|&r| {
                    tr.str(r, trade::TARGET) == Some(target) && run.variant_of(tr, r) == v
                });
                match r {
                    Some(r) => {
                        let d = tr.est(r, trade::COST_DIFF_PER_MONTH_USD);
                        let w = tr.est(r, trade::WAIT_P95_DIFF_S);
                        let ns = |col: schema::Column| {
                            if tr.flag(r, col).as_deref() == Some("no") {
                                " (n.s.)"
                            } else {
                                ""
                            }
                        };
                        let wait_diff = match (w.known_mean(), w.known_ci95()) {
                            (Some(m), Some(c)) => {
                                format!("{} ± {}", duration_signed(m), duration(c))
                            }
                            (Some(m), None) => duration_signed(m),
                            _ => NONE.to_string(),
                        };
                        if v == run.variants.first().map_or("0", |s| s.as_str()) {
                            cells.push("baseline".into());
                            if !endpoint {
                                cells.push("baseline".into());
                            }
                        } else {
                            cells.push(format!(
                                "{}{}",
                                usd_signed_ci(d.known_mean(), d.known_ci95()),
                                ns(trade::COST_DIFF_SIGNIFICANT)
                            ));
                        }
                        if !(endpoint || v == run.variants.first().map_or("0", |s| s.as_str())) {
                            cells.push(format!(
                                "{}{}",
                                wait_diff,
                                ns(trade::WAIT_P95_DIFF_SIGNIFICANT)
                            ));
                        }
                        cells.push(
                            if tr.flag(r, trade::PARETO_OPTIMAL).as_deref() == Some("yes") {
                                "yes".into()
                            } else {
                                String::new()
                            },
                        );
                        let mut goal = tr.flag(r, trade::MEETS_GOAL).unwrap_or_default();
                        if tr.flag(r, trade::RECOMMENDED).as_deref() == Some("yes") {
                            goal.push_str(" — recommended");
                            highlight = true;
                        }
                        cells.push(goal);
                    }
                    None => cells.extend(std::iter::repeat_n(
                        String::new(),
                        if endpoint { 3 } else { 4 },
                    )),
                }
            }
            rows.push(TableRow { cells, highlight });
        }
        Table {
            caption: Some(format!(
                "{} for {target}: means ± 95% CI; Δ are paired differences against setting #0 (n.s.: the interval includes zero).{}",
                if note.is_some() {
                    "Settings"
                } else {
                    "Every setting"
                },
                note.map_or(String::new(), |n| format!(" {n}"))
            )),
            header,
            numeric,
            rows,
        }
    }

    /// The summary rows a chart or table shows: all of them up to `max`; beyond, setting #0,
    /// the recommended and the Pareto-optimal settings, then the cheapest, in file order, with a
    /// sentence saying so.
    pub(super) fn shown_rows(
        &self,
        candidates: Vec<usize>,
        max: usize,
    ) -> (Vec<usize>, Option<String>) {
        let run = self.run;
        let s = &run.summary;
        if candidates.len() <= max {
            return (candidates, None);
        }
        let flagged = |i: usize, col: schema::Column| {
            let v = run.variant_of(s, i);
            let t = s.str(i, sum::TARGET).unwrap_or("");
            run.tradeoff.as_ref().is_some_and(|tr| {
                (0..tr.rows.len()).any(|r| {
                    tr.str(r, trade::TARGET) == Some(t)
                        && run.variant_of(tr, r) == v
                        && tr.flag(r, col).as_deref() == Some("yes")
                })
            })
        };
        let first = run.variants.first().cloned().unwrap_or_default();
        let mut keep: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                run.variant_of(s, i) == first
                    || flagged(i, trade::RECOMMENDED)
                    || flagged(i, trade::PARETO_OPTIMAL)
            })
            .take(max)
            .collect();
        let mut rest: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|i| !keep.contains(i))
            .collect();
        rest.sort_by(|&a, &b| {
            let c = |i| s.num(i, M::cost_per_month).unwrap_or(f64::INFINITY);
            c(a).total_cmp(&c(b))
        });
        let room = max.saturating_sub(keep.len());
        keep.extend(rest.into_iter().take(room));
        keep.sort_unstable();
        let note = format!(
            "Showing {} of {} rows: setting #0, the recommended and the Pareto-optimal settings, then the cheapest; summary.csv has them all.",
            keep.len(),
            candidates.len()
        );
        (keep, Some(note))
    }

    /// The label of a summary row on a chart's category axis.
    pub(super) fn row_label(&self, row: usize) -> String {
        let run = self.run;
        let s = &run.summary;
        let target = s.str(row, sum::TARGET).unwrap_or("").to_string();
        if !run.is_sweep() {
            return target;
        }
        let mut l = format!("#{} {}", run.variant_of(s, row), run.params_short(s, row));
        if run.targets.len() > 1 {
            l.push_str(&format!(" · {target}"));
        }
        l.trim().to_string()
    }

    pub(super) fn category_desc(&self) -> String {
        let run = self.run;
        if !run.is_sweep() {
            return "Compute target".into();
        }
        let axes: Vec<&str> = run.axes.iter().map(|a| a.short()).collect();
        let mut d = format!("Setting: #, {}", axes.join(" / "));
        if run.targets.len() > 1 {
            d.push_str(" · target");
        }
        d
    }
}
