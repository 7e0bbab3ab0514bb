//! The report's headline: what a run found, in a sentence or three (one run, an endpoint, a
//! sweep with its verdict), and a setting against the baseline.

use super::*;

impl Builder<'_> {
    pub(super) fn headline(&mut self) {
        self.blocks
            .push(Block::H2("Headline".into(), "headline".into()));
        let paras = if self.run.is_sweep() {
            self.sweep_headline()
        } else {
            self.single_headline()
        };
        self.blocks.push(Block::Callout(paras));
        let sim = &self.run.simulated;
        let varies = sim.replications_max > sim.replications;
        let note = match (sim.replications.map(|r| r as u64), sim.replications_said()) {
            (Some(1), _) if !varies => "Values come from one replication, so there are no confidence intervals: run more replications before comparing numbers.".to_string(),
            (Some(_), Some(r)) if varies => format!("Values are means over {r} replications per setting (replications = \"auto\" adds them where the answer is open); ± is the half-width of the 95% confidence interval of that mean."),
            (Some(_), Some(r)) => format!("Values are means over {r} replications; ± is the half-width of the 95% confidence interval of that mean."),
            _ => "Values are means over the replications; ± is the half-width of the 95% confidence interval of that mean.".to_string(),
        };
        self.blocks.push(Block::P(vec![text(format!(
            "A month is 730 hours, as Azure's pricing calculator counts (cost_per_month_usd: the cost over the observed window scaled to 730 hours). {note}"
        ))]));
    }

    pub(super) fn single_headline(&self) -> Vec<Para> {
        let run = self.run;
        let mut paras = vec![];
        let variant = run.variants.first().cloned().unwrap_or_else(|| "0".into());
        for t in &run.targets {
            let Some(row) = run.summary_row(&variant, t) else {
                continue;
            };
            if run.is_endpoint_row(row) {
                paras.push(self.endpoint_headline(t, row));
                continue;
            }
            let cost = self.est(row, M::cost_per_month);
            let idle = self.est(row, M::idle_cost_per_month);
            let share = self.est(row, M::idle_cost_share);
            let p95 = self.est(row, M::wait_p95);
            let util = self.est(row, M::utilization);
            let mut p = vec![
                strong(t.clone()),
                text(" costs "),
                strong(usd_ci(cost.known_mean(), cost.known_ci95())),
                text(" per month"),
            ];
            if share.known_mean().is_some() {
                p.push(text("; idle share "));
                p.push(strong(percent_ci(share.known_mean(), share.known_ci95())));
            }
            if idle.known_mean().is_some() {
                p.push(text(format!(
                    " ({} per month for idle and provisioning nodes)",
                    usd_ci(idle.known_mean(), idle.known_ci95())
                )));
            }
            if p95.known_mean().is_some() {
                p.push(text(format!(
                    "; p95 wait {}",
                    duration_ci(p95.known_mean(), p95.known_ci95())
                )));
            } else if run.summary.has(M::wait_p95) {
                p.push(text("; no job started, so no waits"));
            }
            if let Some(u) = util.known_mean() {
                p.push(text(format!("; utilisation {}", percent(u))));
            }
            p.push(text("."));
            paras.push(p);
        }
        if run.targets.len() > 1 {
            let rows: Vec<usize> = run
                .targets
                .iter()
                .filter_map(|t| run.summary_row(&variant, t))
                .collect();
            let total: Option<f64> = rows
                .iter()
                .map(|&r| run.summary.num(r, M::cost_per_month))
                .sum();
            let idle: Option<f64> = rows
                .iter()
                .map(|&r| run.summary.num(r, M::idle_cost_per_month))
                .sum();
            let ci = run
                .total_cost_per_replication()
                .map(|v| crate::engine::stats::mean_ci95(&v).1)
                .filter(|c| c.is_finite());
            let mut p = vec![
                strong("Total"),
                text(format!(" over {} targets: ", run.targets.len())),
                strong(usd_ci(total, ci)),
                text(" per month"),
            ];
            if let (Some(t), Some(i)) = (total, idle)
                && t > 0.0
            {
                p.push(text("; idle share "));
                p.push(strong(percent(i / t)));
                p.push(text(format!(" ({} per month)", usd(i))));
            }
            p.push(text(
                ". The total is the sum of the targets' means; its interval comes from per-replication sums in replications.csv.",
            ));
            paras.push(p);
        }
        paras
    }

    /// `scorer costs $1,234 ± $5 per month; p95 latency 412 ± 9 ms; 0.3% rejected (429); ...`
    pub(super) fn endpoint_headline(&self, t: &str, row: usize) -> Para {
        let cost = self.est(row, M::cost_per_month);
        let idle = self.est(row, M::idle_cost_per_month);
        let p95 = self.est(row, M::latency_p95);
        let r429 = self.est(row, M::rejected_429_share);
        let slo = self.est(row, M::slo_attainment);
        let inst = self.est(row, M::instances_mean);
        let mut p = vec![
            strong(t.to_string()),
            text(" costs "),
            strong(usd_ci(cost.known_mean(), cost.known_ci95())),
            text(" per month"),
        ];
        if idle.known_mean().is_some() {
            p.push(text(format!(
                " ({} of it for idle capacity)",
                usd_ci(idle.known_mean(), idle.known_ci95())
            )));
        }
        if p95.known_mean().is_some() {
            p.push(text("; p95 latency "));
            p.push(strong(millis_ci(p95.known_mean(), p95.known_ci95())));
        } else {
            p.push(text("; no request was served"));
        }
        if r429.known_mean().is_some() {
            p.push(text(format!(
                "; {} of requests rejected with 429",
                percent_ci(r429.known_mean(), r429.known_ci95())
            )));
        }
        if slo.known_mean().is_some() {
            p.push(text(format!(
                "; {} of requests within the SLO",
                percent_ci(slo.known_mean(), slo.known_ci95())
            )));
        }
        if inst.known_mean().is_some() {
            p.push(text(format!(
                "; {} instances on average",
                number_ci(inst.known_mean(), inst.known_ci95())
            )));
        }
        p.push(text("."));
        p
    }

    pub(super) fn goal_text(&self) -> Option<String> {
        self.run.goal().map(|g| data::describe_goal(&g))
    }

    pub(super) fn sweep_headline(&self) -> Vec<Para> {
        let run = self.run;
        let mut paras = vec![];
        let axes: Vec<String> = run
            .axes
            .iter()
            .map(|a| format!("{} ({})", a.short(), a.values.join(", ")))
            .collect();
        let mut intro = vec![text(format!(
            "{} compared over {}",
            plural(run.variants.len(), "setting", "settings"),
            if axes.is_empty() {
                "their parameters".to_string()
            } else {
                axes.join(" × ")
            }
        ))];
        match self.goal_text() {
            Some(g) => intro.push(text(format!("; goal: {g}."))),
            None if self.run.facts().is_none() => intro.push(text(
                "; the goal is unknown (run.json does not record the scenario's [goal]).",
            )),
            None => intro.push(text("; the scenario sets no [goal].")),
        }
        paras.push(intro);
        let Some(tr) = &run.tradeoff else {
            paras.push(vec![text(
                "tradeoff.csv is missing, so settings are not compared against each other here; the tables below list each setting.",
            )]);
            return paras;
        };
        let base_variant = run.variants.first().cloned().unwrap_or_else(|| "0".into());
        for t in &run.targets {
            let rows = run.tradeoff_rows(t);
            if rows.is_empty() {
                continue;
            }
            let rec = rows
                .iter()
                .copied()
                .find(|&i| tr.flag(i, trade::RECOMMENDED).as_deref() == Some("yes"));
            let base = rows
                .iter()
                .copied()
                .find(|&i| run.variant_of(tr, i) == base_variant);
            let label =
                |i: usize| format!("#{} ({})", run.variant_of(tr, i), run.params_long(tr, i));
            let prefix = if run.targets.len() > 1 {
                format!("{t}: ")
            } else {
                String::new()
            };
            // The verdict as the terminal printed it (one function decided it, run.json keeps
            // it); folders written before it was kept fall back on tradeoff.csv below.
            if let Some(d) = run
                .run_json
                .as_ref()
                .and_then(|j| j.verdicts.iter().find(|d| &d.target == t))
            {
                paras.push(vec![strong(d.headline.clone())]);
                if let Some(r) = rec {
                    if Some(r) == base {
                        paras.push(vec![text(
                            "That is setting #0, the first value of every axis: no change is needed.",
                        )]);
                    } else {
                        paras.push(self.versus_base(r, base));
                    }
                }
                continue;
            }
            if let Some(r) = rec {
                let cost = tr.est(r, trade::COST_PER_MONTH_USD);
                let p95 = tr.est(r, trade::WAIT_P95_S);
                let v = run.variant_of(tr, r);
                let share = run
                    .summary_row(&v, t)
                    .map(|s| self.est(s, M::idle_cost_share))
                    .unwrap_or_default();
                paras.push(vec![
                    text(prefix.clone()),
                    text("Recommended: "),
                    strong(format!("setting {}", label(r))),
                    text(" at "),
                    strong(usd_ci(cost.known_mean(), cost.known_ci95())),
                    text(" per month, p95 wait "),
                    strong(duration_ci(p95.known_mean(), p95.known_ci95())),
                    text(format!(
                        ", idle share {} — the cheapest setting that meets the goal with 95% confidence.",
                        percent_ci(share.known_mean(), share.known_ci95())
                    )),
                ]);
                if Some(r) == base {
                    paras.push(vec![text(
                        "That is setting #0, the first value of every axis: no change is needed.",
                    )]);
                } else {
                    paras.push(self.versus_base(r, base));
                }
            } else if self.goal_text().is_some()
                || rows
                    .iter()
                    .any(|&i| tr.flag(i, trade::MEETS_GOAL).is_some())
            {
                let mut p = vec![
                    text(prefix.clone()),
                    strong("No setting meets the goal with 95% confidence."),
                ];
                let mut uncertain: Vec<usize> = rows
                    .iter()
                    .copied()
                    .filter(|&i| tr.flag(i, trade::MEETS_GOAL).as_deref() == Some("uncertain"))
                    .collect();
                uncertain.sort_by(|&a, &b| {
                    let c = |i| {
                        tr.num(i, trade::COST_PER_MONTH_USD)
                            .unwrap_or(f64::INFINITY)
                    };
                    c(a).total_cmp(&c(b))
                });
                if uncertain.is_empty() {
                    if let Some(best) = rows.iter().copied().min_by(|&a, &b| {
                        let w = |i| tr.num(i, trade::WAIT_P95_S).unwrap_or(f64::INFINITY);
                        w(a).total_cmp(&w(b))
                    }) {
                        let p95 = tr.est(best, trade::WAIT_P95_S);
                        let cost = tr.est(best, trade::COST_PER_MONTH_USD);
                        p.push(text(format!(
                            " The shortest p95 wait is {} with setting {} at {} per month.",
                            duration_ci(p95.known_mean(), p95.known_ci95()),
                            label(best),
                            usd_ci(cost.known_mean(), cost.known_ci95())
                        )));
                    }
                } else {
                    let shown: Vec<String> = uncertain
                        .iter()
                        .take(5)
                        .map(|&i| {
                            let cost = tr.est(i, trade::COST_PER_MONTH_USD);
                            let p95 = tr.est(i, trade::WAIT_P95_S);
                            format!(
                                "{} at {} per month, p95 wait {}",
                                label(i),
                                usd_ci(cost.known_mean(), cost.known_ci95()),
                                duration_ci(p95.known_mean(), p95.known_ci95())
                            )
                        })
                        .collect();
                    p.push(text(format!(
                        " Uncertain — the 95% interval straddles the goal, so more replications would tell: {}{}.",
                        shown.join("; "),
                        if uncertain.len() > 5 {
                            format!("; and {} more", uncertain.len() - 5)
                        } else {
                            String::new()
                        }
                    )));
                }
                paras.push(p);
            } else {
                let by = |col: schema::Column| {
                    rows.iter().copied().min_by(move |&a, &b| {
                        let c = |i| tr.num(i, col).unwrap_or(f64::INFINITY);
                        c(a).total_cmp(&c(b))
                    })
                };
                let mut p = vec![text(format!(
                    "{prefix}Without a goal nothing is recommended."
                ))];
                if let Some(c) = by(trade::COST_PER_MONTH_USD) {
                    let cost = tr.est(c, trade::COST_PER_MONTH_USD);
                    p.push(text(format!(
                        " Cheapest: {} at {} per month.",
                        label(c),
                        usd_ci(cost.known_mean(), cost.known_ci95())
                    )));
                }
                if let Some(w) = by(trade::WAIT_P95_S) {
                    let p95 = tr.est(w, trade::WAIT_P95_S);
                    p.push(text(format!(
                        " Shortest p95 wait: {} with {}.",
                        label(w),
                        duration_ci(p95.known_mean(), p95.known_ci95())
                    )));
                }
                let front: Vec<String> = rows
                    .iter()
                    .filter(|&&i| tr.flag(i, trade::PARETO_OPTIMAL).as_deref() == Some("yes"))
                    .map(|&i| format!("#{}", run.variant_of(tr, i)))
                    .collect();
                if !front.is_empty() {
                    p.push(text(format!(
                        " Pareto-optimal (no other setting is both cheaper and faster at p95): {}.",
                        front.join(", ")
                    )));
                }
                paras.push(p);
            }
        }
        paras
    }

    /// The recommended setting against setting #0, with the paired difference's interval.
    pub(super) fn versus_base(&self, rec: usize, base: Option<usize>) -> Para {
        let run = self.run;
        let Some(tr) = &run.tradeoff else {
            return vec![];
        };
        let diff = tr.est(rec, trade::COST_DIFF_PER_MONTH_USD);
        let wait = tr.est(rec, trade::WAIT_P95_DIFF_S);
        let base_label = base.map_or("setting #0".to_string(), |b| {
            format!("setting #0 ({})", run.params_long(tr, b))
        });
        let mut p = vec![];
        let Some(m) = diff.known_mean() else {
            return vec![text(format!(
                "The cost difference against {base_label} is not in tradeoff.csv."
            ))];
        };
        let amount = usd_pm(m.abs(), diff.known_ci95());
        if m < 0.0 {
            p.push(text("Against "));
            p.push(text(base_label));
            p.push(text(" it saves "));
            p.push(strong(amount));
            p.push(text(" per month"));
        } else {
            p.push(text("It costs "));
            p.push(strong(amount));
            p.push(text(" per month more than "));
            p.push(text(base_label));
        }
        if let Some(b) = base {
            match tr.flag(b, trade::MEETS_GOAL).as_deref() {
                Some("no") => p.push(text(", which does not meet the goal")),
                Some("uncertain") => p.push(text(", whose goal verdict is uncertain")),
                _ => {}
            }
        }
        if let Some(w) = wait.known_mean() {
            p.push(text(format!(
                "; its p95 wait differs by {}{}",
                duration_signed(w),
                wait.known_ci95()
                    .map_or(String::new(), |c| format!(" ± {}", duration(c)))
            )));
        }
        p.push(text(". "));
        let established = match tr.flag(rec, trade::COST_DIFF_SIGNIFICANT).as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => match (diff.known_mean(), diff.known_ci95()) {
                (Some(m), Some(c)) => Some(m.abs() > c),
                _ => None,
            },
        };
        match (established, diff.known_ci95()) {
            (Some(true), _) => p.push(text(
                "The cost difference is established: its 95% interval (paired replications) excludes zero.",
            )),
            (Some(false), Some(c)) => p.push(strong(format!(
                "The cost difference is not established: its 95% interval (± {}) is wider than the difference.",
                usd(c)
            ))),
            _ => p.push(strong(
                "The cost difference is not established: there is no confidence interval (one replication).",
            )),
        }
        p
    }
}
