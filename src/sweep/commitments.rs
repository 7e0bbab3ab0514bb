//! Commitments: what the simulated node time of dedicated clusters would cost under Azure
//! reservations and savings plans, against pay-as-you-go.
//!
//! Azure's rules, each applied hour by hour:
//! - a reservation of k VMs of a size in a region covers, in every hour, up to k VM-hours of
//!   matching usage; an hour's unused reservation is lost ("use it or lose it"); usage above it
//!   is billed at pay-as-you-go
//!   (<https://learn.microsoft.com/azure/cost-management-billing/manage/understand-vm-reservation-charges>).
//!   Reservations apply to Azure ML managed compute
//!   (<https://learn.microsoft.com/azure/machine-learning/how-to-manage-optimize-cost>).
//! - a savings plan commits $c an hour; each hour the usage is priced at the plan's rates and
//!   the commitment pays for it up to $c, the rest at pay-as-you-go; an hour's unused
//!   commitment is lost
//!   (<https://learn.microsoft.com/azure/cost-management-billing/savings-plan/savings-plan-compute-overview>).
//!
//! Ours: the commitment is priced over the simulated window only (its hourly price times the
//! window's hours), as if the window were typical of the whole term; node time is pooled per VM
//! size and region over every dedicated `amlcompute` cluster of the variant (a reservation's
//! scope covers them all); a savings plan is analysed for one size alone (a real plan spreads
//! over every size it meets).

use crate::catalog::price_file::CommitmentPrices;
use crate::engine::stats::mean_ci95;
use crate::metrics::Estimate;
use crate::scenario::Scenario;

use super::RunResult;

/// One commitment level for one VM size and region in one variant.
#[derive(Clone, Debug)]
pub struct Row {
    pub variant: usize,
    pub size: String,
    pub region: String,
    /// The clusters pooled, `;`-separated.
    pub targets: String,
    /// `pay_as_you_go`, `reserved_1y`, `reserved_3y`, `savings_plan_1y`, `savings_plan_3y`.
    pub commitment: &'static str,
    /// Reservations: how many VMs are reserved.
    pub reserved_instances: Option<u32>,
    /// The hourly commitment: k × the reservation's hourly price, or the savings plan's $c.
    pub commitment_usd_per_hour: Option<f64>,
    /// The reservation's price per VM-hour of its term, or the size's savings-plan rate.
    pub price_usd_per_hour: Option<f64>,
    pub cost: Estimate,
    /// Pay-as-you-go cost minus this cost (positive: the commitment saves).
    pub saving: Estimate,
    /// Share of node time the commitment pays for.
    pub coverage: Estimate,
    /// Share of the commitment used.
    pub utilisation: Estimate,
    /// Below this utilisation the commitment costs more than pay-as-you-go.
    pub break_even_utilisation: Option<f64>,
    /// The level with the lowest mean cost for this commitment kind.
    pub best: bool,
    /// On the best row: each replication's own cost-minimising level, its mean and interval.
    pub best_level: Option<Estimate>,
    /// Where the prices come from, or why there are none.
    pub note: String,
}

/// Hourly usage of one replication: node-hours per hour.
type Hours<'a> = &'a [f64];

/// Cost over the window with `k` reserved VMs at `ri` an hour, the rest at `payg`.
pub fn reserved_cost(usage: Hours, k: f64, ri: f64, payg: f64) -> f64 {
    let h = usage.len() as f64;
    k * ri * h + payg * usage.iter().map(|u| (u - k).max(0.0)).sum::<f64>()
}

/// Cost over the window with a savings plan of `c` dollars an hour at plan rate `sp`: each hour
/// the plan pays for `c / sp` node-hours, the rest at `payg`.
pub fn savings_plan_cost(usage: Hours, c: f64, sp: f64, payg: f64) -> f64 {
    usage.iter().map(|u| c + payg * (u - c / sp).max(0.0)).sum()
}

/// Node-hours a commitment covering `cap` node-hours each hour pays for.
fn covered(usage: Hours, cap: f64) -> f64 {
    usage.iter().map(|u| u.min(cap)).sum()
}

/// The savings-plan commitment minimising [`savings_plan_cost`] over one or more replications'
/// hours pooled: the cost's slope in `c` is the hours minus `payg / sp` times the hours whose
/// usage exceeds `c / sp`, so the optimum is the smallest `c` with at most `sp / payg` of the
/// hours above it (a quantile of the hourly usage).
pub fn best_savings_plan(hours: &[f64], sp: f64, payg: f64) -> f64 {
    if hours.is_empty() || sp >= payg {
        return 0.0;
    }
    let mut v = hours.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let above = (v.len() as f64 * sp / payg).floor() as usize;
    v.get(above).copied().unwrap_or(0.0).max(0.0) * sp
}

fn estimate(values: &[f64]) -> Estimate {
    let defined: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if defined.is_empty() {
        return Estimate::UNDEFINED;
    }
    let (mean, ci95) = mean_ci95(&defined);
    Estimate {
        mean,
        ci95,
        n: defined.len(),
    }
}

/// Per replication: hourly node-hours pooled over the clusters of one size and region.
fn pooled(result: &RunResult, targets: &[usize]) -> Vec<Vec<f64>> {
    result
        .rows
        .iter()
        .map(|row| {
            let mut sum: Vec<f64> = vec![];
            for &t in targets {
                let u = row.usage.get(t).map_or(&[][..], Vec::as_slice);
                if sum.len() < u.len() {
                    sum.resize(u.len(), 0.0);
                }
                for (s, x) in sum.iter_mut().zip(u) {
                    *s += x;
                }
            }
            sum
        })
        .collect()
}

/// Every commitment row of one variant (empty when the result holds no hourly usage, as after
/// merging shards).
pub fn analyse(variant: usize, scenario: &Scenario, result: &RunResult) -> Vec<Row> {
    // Group clusters by (size, region), keeping the first's prices.
    let mut groups: Vec<(CommitmentPrices, Vec<usize>)> = vec![];
    for (t, p) in scenario.commitments.iter().enumerate() {
        let Some(p) = p else { continue };
        match groups
            .iter_mut()
            .find(|(q, _)| q.size.eq_ignore_ascii_case(&p.size) && q.region == p.region)
        {
            Some((_, ts)) => ts.push(t),
            None => groups.push((p.clone(), vec![t])),
        }
    }
    let mut rows = vec![];
    for (prices, targets) in groups {
        let usage = pooled(result, &targets);
        if usage.iter().all(Vec::is_empty) {
            continue;
        }
        let names = targets
            .iter()
            .map(|&t| scenario.system.targets[t].name.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let group = Group {
            variant,
            prices: &prices,
            names,
            usage: &usage,
        };
        rows.extend(group.rows());
    }
    rows
}

struct Group<'a> {
    variant: usize,
    prices: &'a CommitmentPrices,
    names: String,
    usage: &'a [Vec<f64>],
}

impl Group<'_> {
    fn row(&self, commitment: &'static str) -> Row {
        Row {
            variant: self.variant,
            size: self.prices.size.clone(),
            region: self.prices.region.clone(),
            targets: self.names.clone(),
            commitment,
            reserved_instances: None,
            commitment_usd_per_hour: None,
            price_usd_per_hour: None,
            cost: Estimate::UNDEFINED,
            saving: Estimate::UNDEFINED,
            coverage: Estimate::UNDEFINED,
            utilisation: Estimate::UNDEFINED,
            break_even_utilisation: None,
            best: false,
            best_level: None,
            note: self.prices.source.clone(),
        }
    }

    fn payg_costs(&self) -> Vec<f64> {
        let p = self.prices.payg_usd_per_hour;
        self.usage
            .iter()
            .map(|u| reserved_cost(u, 0.0, 0.0, p))
            .collect()
    }

    /// Evaluates one level (`cap` node-hours covered each hour, `commit` dollars an hour) over
    /// every replication.
    fn level(&self, mut row: Row, cost: impl Fn(Hours) -> f64, cap: f64) -> Row {
        let payg = self.payg_costs();
        let costs: Vec<f64> = self.usage.iter().map(|u| cost(u)).collect();
        let savings: Vec<f64> = payg.iter().zip(&costs).map(|(p, c)| p - c).collect();
        let coverage: Vec<f64> = self
            .usage
            .iter()
            .map(|u| covered(u, cap) / u.iter().sum::<f64>())
            .collect();
        let utilisation: Vec<f64> = self
            .usage
            .iter()
            .map(|u| covered(u, cap) / (cap * u.len() as f64))
            .collect();
        row.cost = estimate(&costs);
        row.saving = estimate(&savings);
        row.coverage = estimate(&coverage);
        row.utilisation = estimate(&utilisation);
        row
    }

    fn rows(&self) -> Vec<Row> {
        let payg = self.prices.payg_usd_per_hour;
        let peak = self
            .usage
            .iter()
            .flatten()
            .fold(0.0f64, |m, &u| m.max(u))
            .ceil() as u32;
        let mut out = vec![];
        let mut base = self.row("pay_as_you_go");
        base.price_usd_per_hour = Some(payg);
        base.reserved_instances = Some(0);
        base.commitment_usd_per_hour = Some(0.0);
        out.push(self.level(base, |u| reserved_cost(u, 0.0, 0.0, payg), 0.0));
        let terms = [
            ("reserved_1y", self.prices.reserved_1y_usd_per_hour, true),
            ("reserved_3y", self.prices.reserved_3y_usd_per_hour, true),
            (
                "savings_plan_1y",
                self.prices.savings_plan_1y_usd_per_hour,
                false,
            ),
            (
                "savings_plan_3y",
                self.prices.savings_plan_3y_usd_per_hour,
                false,
            ),
        ];
        for (name, price, reservation) in terms {
            let Some(price) = price else {
                let mut r = self.row(name);
                r.note = format!(
                    "no {name} price known for {} in {}: give a price file with its {name}_usd_per_hour column (capsim prices import)",
                    self.prices.size, self.prices.region
                );
                out.push(r);
                continue;
            };
            let mut curve = if reservation {
                self.reservation_curve(name, price, peak)
            } else {
                self.savings_plan_curve(name, price, peak)
            };
            for r in &mut curve {
                r.price_usd_per_hour = Some(price);
                r.break_even_utilisation = Some(price / payg);
            }
            out.extend(curve);
        }
        out
    }

    fn reservation_curve(&self, name: &'static str, ri: f64, peak: u32) -> Vec<Row> {
        let payg = self.prices.payg_usd_per_hour;
        let mut rows: Vec<Row> = (0..=peak)
            .map(|k| {
                let mut r = self.row(name);
                r.reserved_instances = Some(k);
                r.commitment_usd_per_hour = Some(f64::from(k) * ri);
                let kf = f64::from(k);
                self.level(r, |u| reserved_cost(u, kf, ri, payg), kf)
            })
            .collect();
        let per_replication: Vec<f64> = self
            .usage
            .iter()
            .map(|u| {
                (0..=peak)
                    .map(|k| (k, reserved_cost(u, f64::from(k), ri, payg)))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map_or(0.0, |(k, _)| f64::from(k))
            })
            .collect();
        mark_best(&mut rows, estimate(&per_replication));
        rows
    }

    fn savings_plan_curve(&self, name: &'static str, sp: f64, peak: u32) -> Vec<Row> {
        let payg = self.prices.payg_usd_per_hour;
        // The curve in steps of one node's plan rate, plus the exact optimum of the pooled hours.
        let pooled: Vec<f64> = self.usage.iter().flatten().copied().collect();
        let optimum = best_savings_plan(&pooled, sp, payg);
        let mut levels: Vec<f64> = (0..=peak).map(|j| f64::from(j) * sp).collect();
        if !levels.iter().any(|c| (c - optimum).abs() < 1e-12) {
            levels.push(optimum);
            levels.sort_by(f64::total_cmp);
        }
        let mut rows: Vec<Row> = levels
            .into_iter()
            .map(|c| {
                let mut r = self.row(name);
                r.commitment_usd_per_hour = Some(c);
                self.level(r, |u| savings_plan_cost(u, c, sp, payg), c / sp)
            })
            .collect();
        let per_replication: Vec<f64> = self
            .usage
            .iter()
            .map(|u| best_savings_plan(u, sp, payg))
            .collect();
        mark_best(&mut rows, estimate(&per_replication));
        rows
    }
}

/// Marks the row of lowest mean cost (the first of equals: the smallest commitment).
fn mark_best(rows: &mut [Row], per_replication: Estimate) {
    let best = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.cost.mean.is_finite())
        .min_by(|a, b| a.1.cost.mean.total_cmp(&b.1.cost.mean))
        .map(|(i, _)| i);
    if let Some(i) = best {
        rows[i].best = true;
        rows[i].best_level = Some(per_replication);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A constant load, worked by hand: every hour 2 nodes run all hour and a third runs a
    // quarter of it, so each hour holds 2.25 node-hours. Pay-as-you-go is $1.00 an hour.
    const LOAD: [f64; 4] = [2.25; 4];

    #[test]
    fn reservations_on_a_constant_load() {
        // A 1-year reservation at $0.60 an hour per VM. Per hour, with k reserved:
        //   k = 0: 2.25 x 1.00                 = 2.25
        //   k = 1: 0.60 + 1.25 x 1.00          = 1.85
        //   k = 2: 1.20 + 0.25 x 1.00          = 1.45   <- least
        //   k = 3: 1.80 + 0                    = 1.80
        // Break-even utilisation = 0.60 / 1.00 = 0.6: the third VM would be used a quarter of
        // each hour (0.25 < 0.6), so it does not pay; the first two are used all the time.
        let cost = |k: f64| reserved_cost(&LOAD, k, 0.6, 1.0) / 4.0;
        for (k, want) in [(0.0, 2.25), (1.0, 1.85), (2.0, 1.45), (3.0, 1.8)] {
            assert!((cost(k) - want).abs() < 1e-12, "k = {k}: {}", cost(k));
        }
        // With k = 2: coverage 2 / 2.25 = 0.888..., utilisation 2 / 2 = 1.
        assert!((covered(&LOAD, 2.0) / 9.0 - 2.0 / 2.25).abs() < 1e-12);
        assert!((covered(&LOAD, 2.0) / (2.0 * 4.0) - 1.0).abs() < 1e-12);
        // A 3-year reservation at $0.20 (break-even 0.2 < 0.25): the third VM pays too,
        //   k = 2: 0.40 + 0.25 = 0.65; k = 3: 0.60 <- least; utilisation 2.25 / 3 = 0.75.
        let cost3 = |k: f64| reserved_cost(&LOAD, k, 0.2, 1.0) / 4.0;
        assert!((cost3(2.0) - 0.65).abs() < 1e-12);
        assert!((cost3(3.0) - 0.6).abs() < 1e-12);
        assert!((covered(&LOAD, 3.0) / (3.0 * 4.0) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_savings_plan_on_a_constant_load() {
        // Plan rate $0.70 a node-hour: $c an hour pays for c / 0.70 node-hours.
        //   c = 1.40 (2 nodes): 1.40 + 0.25 x 1.00 = 1.65
        //   c = 1.575 (2.25 nodes, all of it): 1.575   <- least; beyond, cost is c itself.
        // The optimum is the usage quantile with at most 0.70 of the hours above it: every hour
        // holds 2.25, so c = 2.25 x 0.70 = 1.575.
        assert!((savings_plan_cost(&LOAD, 1.4, 0.7, 1.0) / 4.0 - 1.65).abs() < 1e-12);
        let c = best_savings_plan(&LOAD, 0.7, 1.0);
        assert!((c - 1.575).abs() < 1e-12, "{c}");
        assert!((savings_plan_cost(&LOAD, c, 0.7, 1.0) / 4.0 - 1.575).abs() < 1e-12);
        // Varying load, hours of 1, 1, 1, 3 node-hours, plan rate 0.5 (break-even 0.5): at most
        // half of the hours (2) may lie above c / 0.5, so c covers 1 node: c = 0.5. Check the
        // neighbours: c = 0.5: 4 x 0.5 + 2 x 1 = 4.0; c = 1.5: 4 x 1.5 = 6; c = 0: 6 x 1 = 6.
        let hours = [1.0, 1.0, 1.0, 3.0];
        assert!((best_savings_plan(&hours, 0.5, 1.0) - 0.5).abs() < 1e-12);
        assert!((savings_plan_cost(&hours, 0.5, 0.5, 1.0) - 4.0).abs() < 1e-12);
        assert!((savings_plan_cost(&hours, 1.5, 0.5, 1.0) - 6.0).abs() < 1e-12);
    }
}
