//! What a `capsim size` run sized, and the order its candidates are shown in: shared by
//! `sizing.csv` ([`crate::output::sizing_csv`]) and the terminal table.

use super::search::{Outcome, Row};

/// "Microsoft recommends at least 3 [instances] for high availability" (azure_semantics.md 4a).
pub const AZURE_HA_MIN_INSTANCES: u32 = 3;

/// What a `capsim size` run sized and with which seed and replications, for every row of
/// `sizing.csv` and the terminal table.
#[derive(Clone, Debug)]
pub struct SizingRun {
    pub scenario: String,
    pub endpoint: String,
    pub seed: u64,
    pub replications: u64,
    /// Where each candidate's price comes from (catalog row, price list, discount), by size;
    /// filled by the search, empty before it.
    pub price_sources: Vec<(String, String)>,
}

/// The recommendation first, then the others that meet the goal, then the rest, each group by
/// monthly cost, what a budget compares (sizes without one last, by list price: the order of
/// `outcome.rows`).
pub fn ordered(outcome: &Outcome) -> Vec<&Row> {
    let mut rows: Vec<&Row> = outcome.rows.iter().collect();
    // A stable sort: equal costs keep the list-price order.
    rows.sort_by(|a, b| {
        let group = |r: &Row| match r.verdict {
            super::Verdict::Recommended => 0,
            super::Verdict::Meets => 1,
            _ => 2,
        };
        let cost = |r: &Row| r.cost_per_month_usd().unwrap_or(f64::INFINITY);
        group(a).cmp(&group(b)).then(cost(a).total_cmp(&cost(b)))
    });
    rows
}
