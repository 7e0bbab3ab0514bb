//! Assumptions and how to reproduce: prices, provisioning, the simulated period, the seed, the
//! goal, the files read, and the scenario verbatim.

use super::*;

impl Builder<'_> {
    pub(super) fn assumptions(&mut self) {
        let run = self.run;
        let s = &run.summary;
        self.blocks.push(Block::H2(
            "Assumptions and how to reproduce".into(),
            "assumptions".into(),
        ));
        let mut items: Vec<Para> = vec![];
        // Prices, one line per distinct (target, size, tier, price, source).
        let mut seen: Vec<String> = vec![];
        for i in 0..s.rows.len() {
            let cell = |c: schema::Column| s.str(i, c).unwrap_or("").to_string();
            let key = format!(
                "{}|{}|{}|{}|{}",
                cell(sum::TARGET),
                cell(sum::SIZE),
                cell(sum::TIER),
                cell(sum::PRICE_USD_PER_HOUR),
                cell(sum::PRICE_SOURCE)
            );
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let price = s
                .str(i, sum::PRICE_USD_PER_HOUR)
                .filter(|p| !p.is_empty())
                .map_or("an unknown price".to_string(), |p| {
                    format!("${p} per node-hour")
                });
            let source = s
                .str(i, sum::PRICE_SOURCE)
                .filter(|p| !p.is_empty())
                .unwrap_or("not recorded");
            items.push(vec![
                strong(format!("Price, {}: ", cell(sum::TARGET))),
                text(format!(
                    "{} ({}) at {price}; source: {source}.",
                    cell(sum::SIZE),
                    cell(sum::TIER)
                )),
            ]);
        }
        for t in &run.targets {
            let swept = run
                .axes
                .iter()
                .any(|a| a.path.ends_with("provisioning_time"));
            let facts = run.target_facts(t);
            let written = facts.and_then(|f| f.provisioning_time.as_deref());
            let ty = facts
                .map(|f| f.type_name.as_str())
                .or_else(|| {
                    run.summary_rows(t)
                        .first()
                        .and_then(|&r| s.str(r, sum::TARGET_TYPE))
                })
                .unwrap_or("");
            let what = match (written, run.facts().is_some()) {
                (Some(w), _) => format!("{w} (from the scenario)"),
                (None, true) if ty == "amlcompute" => format!(
                    "not set, so capsim's assumption applies: lognormal, median {}, p95 {}",
                    duration(crate::targets::defaults::ASSUMED_PROVISIONING_MEDIAN_S),
                    duration(crate::targets::defaults::ASSUMED_PROVISIONING_P95_S)
                ),
                (None, true) => "not set: capsim's default for this target type applies".into(),
                (None, false) => "unknown (run.json does not record it)".into(),
            };
            let endpoint = matches!(ty, "managed_online" | "kubernetes_online")
                || run.summary_rows(t).iter().any(|&r| run.is_endpoint_row(r));
            items.push(vec![
                strong(format!("Provisioning time, {t}: ")),
                text(format!(
                    "{what}{}. {}",
                    if swept { "; swept in this run" } else { "" },
                    if endpoint {
                        "Azure publishes no figure for the time from an autoscale decision to a new instance serving requests: this is an assumption to calibrate against your endpoint's scale-out history."
                    } else {
                        "Azure publishes no figure for the time from requesting a node to its running a job: this is an assumption to calibrate against your cluster's scale-up history."
                    }
                )),
            ]);
        }
        // What each workload offers, as run.json records it: the mean a duration distribution
        // implies is not its median, and users read the median.
        for f in run.facts().map_or(&[][..], |f| &f.workloads[..]) {
            items.push(vec![
                strong(format!("Offered load, {} on {}: ", f.name, f.target)),
                text(format!(
                    "{}{}, as the scenario's rates and distributions imply before any simulation.",
                    f.sentence(),
                    if run.axes.is_empty() {
                        ""
                    } else {
                        " (in the first setting)"
                    }
                )),
            ]);
        }
        let info = &run.simulated;
        let fd = crate::text::format_duration;
        if run.facts().is_some_and(|f| f.warmup_auto) {
            items.push(vec![
                strong("Warm-up: "),
                text("chosen before the run by MSER-5 on the wait and latency series averaged over 20 pilot replications (warmup = \"auto\"); the period below counts it as 0."),
            ]);
        }
        if let Some(h) = info.horizon_s {
            let w = info.warmup_s.unwrap_or(0.0);
            items.push(vec![
                strong("Simulated period: "),
                text(format!(
                    "{} per replication, of which the first {} is warm-up; the statistics cover the {} after it.",
                    fd(h),
                    fd(w),
                    fd(h - w)
                )),
            ]);
        }
        if let Some(d) = &info.start_date {
            items.push(vec![
                strong("Start date: "),
                text(format!(
                    "{d} (the calendar date of time zero, used for VM retirement checks; daily and weekly profiles start on a Monday at 00:00)."
                )),
            ]);
        }
        let per_setting = if info.replications_max > info.replications {
            " per setting, as replications = \"auto\" chose them"
        } else {
            ""
        };
        items.push(vec![
            strong("Seed and replications: "),
            text(format!(
                "seed {}, {} independent replications{per_setting}; confidence intervals are Student t with replications − 1 degrees of freedom.",
                info.seed.as_deref().unwrap_or("unknown"),
                info.replications_said()
                    .unwrap_or_else(|| "an unknown number of".to_string())
            )),
        ]);
        if let Some(g) = self.goal_text() {
            items.push(vec![
                strong("Goal: "),
                text(format!(
                    "{g} (the [goal] of scenario.toml; a setting meets it when its whole 95% interval does)."
                )),
            ]);
        } else if run.facts().is_none() {
            items.push(vec![
                strong("Goal: "),
                text("unknown (run.json does not record the scenario's [goal])."),
            ]);
        }
        if !run.fixed.is_empty() {
            let f: Vec<String> = run
                .fixed
                .iter()
                .map(|(p, v)| format!("{p} = {v}"))
                .collect();
            items.push(vec![
                strong("Set for this run: "),
                text(format!("{}.", f.join(", "))),
            ]);
        }
        items.extend(self.overrides());
        items.push(vec![
            strong("capsim version: "),
            text(format!(
                "this report was written by capsim {}; the CSV files do not record the version that ran the simulation.",
                env!("CARGO_PKG_VERSION")
            )),
        ]);
        let files: Vec<&str> = [
            sum::FILE.name,
            trade::FILE.name,
            schema::timeseries::FILE.name,
            schema::replications::FILE.name,
            "scenario.toml",
        ]
        .into_iter()
        .filter(|f| run.dir.join(f).is_file())
        .collect();
        items.push(vec![
            strong("Files read: "),
            text(format!("{}.", files.join(", "))),
        ]);
        for n in &run.notes {
            items.push(vec![strong("Note: "), text(n.clone())]);
        }
        self.blocks.push(Block::List(items));
        match &run.scenario_text {
            Some(src) => {
                self.blocks.push(Block::H3("The scenario, verbatim".into()));
                // A folder of this capsim holds the scenario as run, the command line's edits
                // written in; an older one holds the file as given.
                let options = if run.facts().is_some() {
                    "the command line's options are written into it"
                } else {
                    "with the options listed above, if any"
                };
                self.blocks.push(Block::P(vec![
                    text("Save it as a file and run "),
                    code("capsim run FILE"),
                    text(format!(
                        " to reproduce these results ({options}); files it names, such as price lists or traces, are relative to it."
                    )),
                ]));
                self.blocks.push(Block::Pre {
                    lang: "toml".into(),
                    text: src.clone(),
                });
            }
            None => self.blocks.push(Block::Missing(
                "scenario.toml is missing from the output folder, so the scenario cannot be shown."
                    .into(),
            )),
        }
    }

    /// Command-line options: a folder of this capsim holds them in scenario.toml (the file with
    /// the command line's edits), one of an older capsim does not say what they were.
    pub(super) fn overrides(&self) -> Vec<Para> {
        if self.run.facts().is_some() {
            return vec![];
        }
        vec![vec![
            strong("Command-line options: "),
            text(
                "unknown (run.json does not record how the run's seed, replications and horizon relate to the file's).",
            ),
        ]]
    }
}
