//! `load`: the command line's edits are the file's values.

use super::*;
use crate::scenario::{Diagnostic, LoadError, Plan};

/// A scenario with `seed` and a `[sweep]` of `sweep`; comments on purpose.
fn scenario(seed: Option<u64>, sweep: &str) -> String {
    let seed = seed.map_or(String::new(), |s| format!("seed = {s}   # the seed\n"));
    format!(
        r#"# A cluster and its jobs.
name = "s"
horizon = "1d"   # one day
warmup = "1h"
replications = 2
{seed}
[[compute]]
name = "c"
type = "amlcompute"
size = "Standard_D4ds_v4"
min_instances = 0
max_instances = 20   # the quota allows 20

[[workload]]
name = "w"
compute = "c"
arrivals = {{ process = "poisson", rate_per_hour = 1.0 }}
duration = {{ dist = "constant", value = "10m" }}
{sweep}"#
    )
}

fn load_text(text: &str, edits: &Edits) -> Result<Plan, LoadError> {
    load(&Source::new("s.toml", text), edits)
}

/// A variant's parameters, seed and replications.
type Run = (Vec<(String, String)>, u64, u64);

/// What a plan runs: every variant's parameters, seed and replications.
fn runs(p: &Plan) -> Vec<Run> {
    p.variants
        .iter()
        .map(|v| (v.params.clone(), v.scenario.seed, v.scenario.replications))
        .collect()
}

fn errors(r: Result<Plan, LoadError>) -> Vec<Diagnostic> {
    match r {
        Err(LoadError::Invalid { errors, .. }) => errors,
        Err(e) => panic!("not a located error: {e}"),
        Ok(_) => panic!("loaded"),
    }
}

const GRID: &str = "[sweep]\n\"compute.c.min_instances\" = [0, 1, 2]\n";
const RANDOM: &str = "[sweep]\nmode = \"random\"\nsamples = 6\n\
                      \"workload.w.arrivals.rate_per_hour\" = { from = 0.5, to = 4.0 }\n\
                      \"compute.c.max_instances\" = { from = 4, to = 20 }\n";
const LHS: &str = "[sweep]\nmode = \"latin_hypercube\"\nsamples = 5\n\
                   \"compute.c.max_instances\" = { from = 1, to = 20 }\n";

#[test]
fn seed_flag_and_seed_in_the_file_give_the_same_plan_and_text() {
    for sweep in [GRID, RANDOM, LHS, ""] {
        let written = load_text(&scenario(Some(99), sweep), &Edits::default()).unwrap();
        let edits = Edits {
            seed: Some(99),
            ..Edits::default()
        };
        let flagged = load_text(&scenario(Some(1), sweep), &edits).unwrap();
        assert_eq!(runs(&flagged), runs(&written), "{sweep}");
        assert_eq!(flagged.effective_text, written.effective_text, "{sweep}");
        assert!(runs(&flagged).iter().all(|(_, seed, _)| *seed == 99));
        // The file without any seed: the flag's line is added, and still the same plan.
        let added = load_text(&scenario(None, sweep), &edits).unwrap();
        assert_eq!(runs(&added), runs(&written), "{sweep}");
    }
    // The sampler does see the seed: another seed draws other variants.
    let one = load_text(&scenario(Some(1), RANDOM), &Edits::default()).unwrap();
    let flagged = load_text(
        &scenario(Some(1), RANDOM),
        &Edits {
            seed: Some(99),
            ..Edits::default()
        },
    )
    .unwrap();
    let params = |p: &Plan| runs(p).into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_ne!(params(&one), params(&flagged));
}

#[test]
fn the_effective_text_is_the_file_with_its_comments_and_the_edits() {
    let text = scenario(Some(1), GRID);
    let plain = load_text(&text, &Edits::default()).unwrap();
    assert_eq!(&*plain.effective_text, text.as_str());
    let edits = Edits {
        seed: Some(7),
        replications: Some(3),
        horizon: Some("2d".into()),
        sets: vec!["compute.c.max_instances=10".into()],
        sweeps: vec!["workload.w.arrivals.rate_per_hour=1,2".into()],
        ..Edits::default()
    };
    let edited = load_text(&text, &edits).unwrap();
    let want = text
        .replace("seed = 1 ", "seed = 7 ")
        .replace("replications = 2", "replications = 3")
        .replace("horizon = \"1d\"", "horizon = \"2d\"")
        .replace("max_instances = 20 ", "max_instances = 10 ")
        .replace(
            "[0, 1, 2]\n",
            "[0, 1, 2]\n\"workload.w.arrivals.rate_per_hour\" = [1, 2]\n",
        );
    assert_eq!(&*edited.effective_text, want.as_str());
    // The edited text, loaded as a file, is the same plan; outputs still record the file.
    let again = load_text(&edited.effective_text, &Edits::default()).unwrap();
    let without_sets = |p: &Plan| -> Vec<_> {
        runs(p)
            .into_iter()
            .map(|(params, s, r)| {
                (
                    params
                        .into_iter()
                        .filter(|(k, _)| !k.contains("max_"))
                        .collect::<Vec<_>>(),
                    s,
                    r,
                )
            })
            .collect()
    };
    assert_eq!(without_sets(&again), without_sets(&edited));
    assert_eq!(edited.variants.len(), 6);
    assert_eq!(
        edited.variants[0].scenario.system.horizon,
        2 * crate::engine::time::MICROS_PER_DAY
    );
    // What the outputs record as scenario.toml: the scenario as run.
    assert_eq!(
        &*edited.variants[0].scenario.source,
        &*edited.effective_text
    );
}

#[test]
fn an_edits_error_is_at_the_command_line_and_the_files_stay_in_place() {
    let text = scenario(None, "");
    let e = errors(load_text(
        &text,
        &Edits {
            sets: vec!["compute.c.max_instances=-1".into()],
            ..Edits::default()
        },
    ));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].file, std::path::Path::new("command line"));
    assert_eq!(e[0].line, 0);
    assert_eq!(e[0].field, "--set compute.c.max_instances=-1");
    assert_eq!(e[0].message, "must be from 1 to 65000, got -1");

    let e = errors(load_text(
        &text,
        &Edits {
            replications: Some(0),
            ..Edits::default()
        },
    ));
    assert_eq!(
        e[0].to_string(),
        "command line: error: --replications: must be from 1 to 1000000, got 0"
    );
    let e = errors(load_text(
        &text,
        &Edits {
            horizon: Some("30m".into()),
            ..Edits::default()
        },
    ));
    assert!(
        e[0].to_string()
            .ends_with("--horizon: must be longer than the scenario's warm-up (1h), got 30m"),
        "{}",
        e[0]
    );
    let e = errors(load_text(
        &text,
        &Edits {
            seed: Some(u64::MAX),
            ..Edits::default()
        },
    ));
    assert!(
        e[0].to_string()
            .contains("--seed: must be at most 9223372036854775807")
    );
    let e = errors(load_text(
        &text,
        &Edits {
            sweeps: vec!["compute.c.max_instances=4,-2".into()],
            ..Edits::default()
        },
    ));
    assert_eq!(e[0].field, "--sweep compute.c.max_instances=4,-2");
    assert!(
        e[0].message
            .starts_with("must be from 1 to 65000, got -2 (in variant 1")
    );

    // A problem of the file's own, with a line inserted above it by `--seed`: still at its line
    // in the file (line 11, the size).
    let broken = text.replace("Standard_D4ds_v4", "Standard_Nope");
    let e = errors(load_text(
        &broken,
        &Edits {
            seed: Some(5),
            ..Edits::default()
        },
    ));
    let line = broken
        .lines()
        .position(|l| l.contains("Standard_Nope"))
        .unwrap()
        + 1;
    assert_eq!(
        (e[0].file.to_str(), e[0].line),
        (Some("s.toml"), line),
        "{}",
        e[0]
    );
    assert_eq!(e[0].column, "size = ".len() + 1);
}

#[test]
fn a_budget_per_30_days_is_refused_with_the_same_budget_per_month() {
    // 1440 USD per 30 days (720 h) is 2 USD an hour: 1460 USD per month of 730 hours.
    let text = scenario(None, "[goal]\nbudget_per_30d_usd = 1440\n");
    let Err(LoadError::Invalid { errors, .. }) = load_text(&text, &Edits::default()) else {
        panic!("a 30-day budget loads");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e.field, "goal.budget_per_30d_usd");
    assert_eq!(e.line, 20);
    assert!(e.message.contains("is now budget_per_month_usd"), "{e}");
    assert_eq!(
        e.hint.as_deref(),
        Some("write budget_per_month_usd = 1460 (the same budget: 1440 per 30 days × 730 / 720)")
    );
    let ok = scenario(None, "[goal]\nbudget_per_month_usd = 1460\n");
    let plan = load_text(&ok, &Edits::default()).unwrap();
    assert_eq!(plan.goal.unwrap().budget_per_month_usd, Some(1460.0));
}
