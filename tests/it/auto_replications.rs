//! `replications = "auto"`: on a case whose best setting is known from queueing theory, the
//! procedure picks it in at least 95 of 100 seeds; its events against a fixed count; the same
//! results on any number of threads.

use crate::support::*;
use capsim::scenario::{Edits, Source, load};
use capsim::sweep::{auto, tradeoff};

/// A pool of at most `c` nodes that start in 1 s and are kept for 10 days once started (so all
/// `c` are up within the first day's warm-up and billed throughout), Poisson jobs at 3 an hour of
/// exponential length, mean 1 h: an M/M/c queue with a = 3 erlangs, cost growing with c.
pub(crate) const SCENARIO: &str = r#"name = "mmc-auto"
horizon = "4d"
warmup = "1d"
replications = "auto"
precision = 0.2
max_replications = 80

[[compute]]
name = "pool"
type = "amlcompute"
size = "Standard_NC4as_T4_v3"
min_instances = 0
max_instances = 4
idle_time_before_scale_down = "10d"
provisioning_time = { dist = "constant", value = "1s" }

[[workload]]
name = "jobs"
compute = "pool"
arrivals = { process = "poisson", rate_per_hour = 3.0 }
duration = { dist = "exponential", mean = "1h" }

[sweep]
"compute.pool.max_instances" = [4, 5, 6, 7]

[goal]
wait_p95 = "30m"
"#;

/// The p95 wait of M/M/c in hours: P(W > t) = C(c, a) e^{−(c − a)μt}, μ = 1/h.
fn p95_wait_h(c: u32, a: f64) -> f64 {
    let cw = erlang_c(c, a);
    if cw <= 0.05 {
        0.0
    } else {
        (cw / 0.05).ln() / (c as f64 - a)
    }
}

fn plan(seed: u64, replications: Option<u64>) -> capsim::scenario::Plan {
    let edits = Edits {
        today: Some(TODAY),
        seed: Some(seed),
        replications,
        ..Default::default()
    };
    load(&Source::new("mmc.toml", SCENARIO), &edits).unwrap()
}

#[test]
fn the_known_best_setting_is_chosen_in_at_least_95_of_100_seeds() {
    // By hand: p95 waits of 2.32 h, 46.6 min, 13.7 min and 0 for 4, 5, 6, 7 nodes; with a
    // 30-minute goal the cheapest that meets it is 6 nodes (variant 2). Nodes beyond the
    // workload's need stay idle at min_instances, so cost grows with them.
    let waits: Vec<f64> = (4..=7).map(|c| p95_wait_h(c, 3.0) * 60.0).collect();
    assert!(waits[1] > 40.0 && waits[2] < 15.0, "{waits:?}");
    let mut right = 0;
    let mut events = vec![];
    let mut fixed_events = vec![];
    for seed in 1..=100 {
        let mut p = plan(seed, None);
        let (results, log) = auto::settle(&mut p, 0).unwrap();
        let rows = tradeoff::analyse(&p, &results);
        if rows.iter().find(|r| r.recommended).map(|r| r.variant) == Some(2) {
            right += 1;
        }
        events.push(log.events);
        if seed <= 10 {
            // The same seeds at a fixed 40 replications, for the events it takes.
            let fixed = plan(seed, Some(40));
            let results = capsim::sweep::run_plan(&fixed, 0, None).unwrap();
            fixed_events.push(results.iter().map(|r| r.events()).sum::<u64>());
        }
    }
    events.sort_unstable();
    fixed_events.sort_unstable();
    eprintln!(
        "auto: best chosen in {right} of 100 seeds; median events {} (auto), {} (fixed 40 replications, 10 seeds)",
        events[50], fixed_events[5]
    );
    assert!(
        right >= 95,
        "the best setting was chosen in {right} of 100 seeds"
    );
}

#[test]
fn auto_gives_the_same_results_on_any_number_of_threads() {
    let mut one = plan(7, None);
    let mut two = plan(7, None);
    let (a, la) = auto::settle(&mut one, 1).unwrap();
    let (b, lb) = auto::settle(&mut two, 2).unwrap();
    assert_eq!(la, lb);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.rows.len(), y.rows.len());
        for (r, s) in x.rows.iter().zip(&y.rows) {
            for (t, u) in r.targets.iter().zip(&s.targets) {
                let bits =
                    |v: &capsim::metrics::Values| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(t), bits(u));
            }
        }
    }
}
