//! Azure Monitor autoscale for managed online deployments. Sources: Azure ML's
//! <https://learn.microsoft.com/azure/machine-learning/how-to-autoscale-endpoints> and Azure
//! Monitor's
//! <https://learn.microsoft.com/azure/azure-monitor/autoscale/autoscale-understanding-settings>.
//!
//! Semantics, from Azure Monitor's documentation unless marked as ours:
//! - metrics are aggregated per time grain of one minute (every endpoint metric is reported at
//!   PT1M); a rule aggregates the grain values of its `time_window` (5 min to 12 h) with its
//!   `time_aggregation` and compares the result with its threshold;
//! - rules are evaluated every minute (Azure runs the job every 30 to 60 s; ours: at each minute
//!   boundary, just after the grain closes);
//! - scale out if any scale-out rule fires, to the highest resulting count; scale in only if all
//!   scale-in rules fire, by the smallest amount; never outside the profile's `[min, max]`;
//! - after a scale action, no rule acts until the acting rule's cooldown has passed;
//! - profiles: the first recurrence profile whose days and hours contain the current time wins,
//!   else the default profile; a count outside the profile's bounds is moved inside at once;
//! - anti-flapping (Azure Monitor "Flapping in Autoscale", `azure-monitor/autoscale/
//!   autoscale-flapping.md`, and "Best practices for Autoscale", `autoscale-best-practices.md`,
//!   in MicrosoftDocs/azure-docs): before a scale-in, autoscale estimates each metric at the new
//!   count (value x current count / new count, e.g. "60 x 3 = 180 / 2 = 90"); if that would
//!   trigger a scale-out rule it tries the counts between the intended one and the current one
//!   and scales to the first that triggers none ("Scale down will occur with updated instance
//!   count to avoid flapping"), or, if there is none, skips the scale-in and evaluates again at
//!   the next run. Scale-outs are never checked. A skip is not a scale action: no cooldown starts.
//!
//! Ours: a rule whose window is not yet full of grains (the first minutes of a run) does not fire,
//! and latency statistics skip grains without a finished request. Which metrics the flapping
//! estimate rescales is ours too: see [`Metric::per_instance`].
//!
//! Memory is bounded by the longest window: grains live in a ring buffer.

use crate::engine::SimTime;
use crate::engine::stats::LogHistogram;
use std::collections::VecDeque;

/// The metric a rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Per grain: busy request slots over all slots of ready instances, in percent; or, with a
    /// per-request CPU cost, busy requests x vCPUs each over the instances' vCPUs (capped at 100).
    CpuUtilizationPercentage,
    /// Per grain: latency of the requests that finished in it (served or timed out),
    /// milliseconds, by [`Statistic`].
    RequestLatency(Statistic),
    /// Per grain: requests that arrived (admitted or not).
    RequestsPerMinute,
    /// Per grain: time-average admitted requests in flight (running or waiting) per ready
    /// instance.
    ConcurrentRequestsPerInstance,
}

impl Metric {
    /// Whether the value is an average over the deployment's instances, which the anti-flapping
    /// estimate rescales by current / new count.
    ///
    /// Azure's documented estimates are all of per-instance values: average CPU, threads per
    /// instance, requests per instance of a rule with `DividePerInstance: true` (the flapping
    /// log record in `autoscale-flapping.md`). RequestsPerMinute is the endpoint's total: the
    /// arrivals do not depend on the instance count, and Azure ML's autoscale examples do not set
    /// `dividePerInstance`, so its estimate is the value itself. RequestLatency is neither an
    /// average over instances nor proportional to their number (it rises steeply only near
    /// saturation), and Azure documents no estimate for it: ours, UNCONFIRMED, it is kept as
    /// measured too. So a latency or request-count scale-out rule blocks a scale-in only if it
    /// fires already; a user who scales out on latency and in on CPU can still see flapping.
    pub fn per_instance(self) -> bool {
        matches!(
            self,
            Metric::CpuUtilizationPercentage | Metric::ConcurrentRequestsPerInstance
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::CpuUtilizationPercentage => "CpuUtilizationPercentage",
            Metric::RequestLatency(_) => "RequestLatency",
            Metric::RequestsPerMinute => "RequestsPerMinute",
            Metric::ConcurrentRequestsPerInstance => "ConcurrentRequestsPerInstance",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Average,
    P50,
    P95,
    P99,
}

/// How a window's grain values are combined (Azure's `timeAggregation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    Average,
    Minimum,
    Maximum,
    Total,
    Last,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
}

impl Operator {
    fn holds(self, x: f64, threshold: f64) -> bool {
        match self {
            Operator::GreaterThan => x > threshold,
            Operator::GreaterThanOrEqual => x >= threshold,
            Operator::LessThan => x < threshold,
            Operator::LessThanOrEqual => x <= threshold,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Increase,
    Decrease,
}

/// Azure's `scaleAction.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionType {
    ChangeCount,
    PercentChangeCount,
    ExactCount,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub metric: Metric,
    pub aggregation: Aggregation,
    pub operator: Operator,
    pub threshold: f64,
    /// Grains (minutes) in the window.
    pub window_grains: usize,
    pub direction: Direction,
    pub action: ActionType,
    pub value: f64,
    pub cooldown: SimTime,
}

impl Rule {
    /// The count this rule asks for from `current`, before the profile's bounds.
    pub fn result(&self, current: u32) -> u32 {
        let n = current as f64;
        let target = match (self.action, self.direction) {
            (ActionType::ExactCount, _) => self.value,
            (ActionType::ChangeCount, Direction::Increase) => n + self.value,
            (ActionType::ChangeCount, Direction::Decrease) => n - self.value,
            // Ours: a percentage change moves by at least one instance, rounded up.
            (ActionType::PercentChangeCount, Direction::Increase) => {
                n + (n * self.value / 100.0).ceil().max(1.0)
            }
            (ActionType::PercentChangeCount, Direction::Decrease) => {
                n - (n * self.value / 100.0).ceil().max(1.0)
            }
        };
        target.clamp(0.0, u32::MAX as f64) as u32
    }
}

/// When a recurrence profile applies: days of the week (Monday first; time zero is Monday 00:00)
/// and minutes of the day `[start, end)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Recurrence {
    pub days: [bool; 7],
    pub start_minute: u32,
    pub end_minute: u32,
}

impl Recurrence {
    pub fn contains(&self, now: SimTime) -> bool {
        let minute = now / 60_000_000;
        let day = ((minute / 1440) % 7) as usize;
        let m = (minute % 1440) as u32;
        self.days[day] && m >= self.start_minute && m < self.end_minute
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub default: u32,
    pub rules: Vec<Rule>,
    /// `None` for the default profile.
    pub recurrence: Option<Recurrence>,
}

#[derive(Clone, Debug)]
pub struct AutoscaleSpec {
    pub default_profile: Profile,
    /// Recurrence profiles, first match wins.
    pub profiles: Vec<Profile>,
    pub provisioning_time: crate::engine::Sampler,
}

impl AutoscaleSpec {
    pub fn profile_at(&self, now: SimTime) -> &Profile {
        self.profiles
            .iter()
            .find(|p| p.recurrence.as_ref().is_some_and(|r| r.contains(now)))
            .unwrap_or(&self.default_profile)
    }

    /// The longest window of any rule, in grains.
    pub fn longest_window(&self) -> usize {
        std::iter::once(&self.default_profile)
            .chain(&self.profiles)
            .flat_map(|p| p.rules.iter().map(|r| r.window_grains))
            .max()
            .unwrap_or(1)
    }
}

/// One closed time grain: the value of each metric in it (NaN when undefined).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Grain {
    pub cpu_percent: f64,
    pub latency_ms: [f64; 4],
    pub requests: f64,
    pub concurrency_per_instance: f64,
}

impl Grain {
    fn get(&self, m: Metric) -> f64 {
        match m {
            Metric::CpuUtilizationPercentage => self.cpu_percent,
            Metric::RequestLatency(s) => self.latency_ms[s as usize],
            Metric::RequestsPerMinute => self.requests,
            Metric::ConcurrentRequestsPerInstance => self.concurrency_per_instance,
        }
    }
}

/// Collects the current grain and keeps the last `capacity` closed ones.
#[derive(Clone, Debug)]
pub struct MetricWindow {
    capacity: usize,
    grains: VecDeque<Grain>,
    // The open grain:
    last: SimTime,
    requests: u64,
    latencies: LogHistogram,
    latency_sum_us: u128,
    latency_count: u64,
    /// Level x microseconds.
    busy_area: u128,
    slot_area: u128,
    inflight_area: u128,
    instance_area: u128,
}

/// The levels the grain integrates, as they stand.
#[derive(Clone, Copy, Debug)]
pub struct Levels {
    pub busy: u64,
    pub slots: u64,
    pub inflight: u64,
    pub ready: u64,
}

impl MetricWindow {
    pub fn new(capacity: usize) -> Self {
        MetricWindow {
            capacity: capacity.max(1),
            grains: VecDeque::with_capacity(capacity.max(1)),
            last: 0,
            requests: 0,
            latencies: LogHistogram::default(),
            latency_sum_us: 0,
            latency_count: 0,
            busy_area: 0,
            slot_area: 0,
            inflight_area: 0,
            instance_area: 0,
        }
    }

    /// Integrates the levels that held since the last call up to `now`.
    #[inline]
    pub fn advance(&mut self, now: SimTime, l: Levels) {
        let dt = now.saturating_sub(self.last) as u128;
        if dt > 0 {
            self.busy_area += l.busy as u128 * dt;
            self.slot_area += l.slots as u128 * dt;
            self.inflight_area += l.inflight as u128 * dt;
            self.instance_area += l.ready as u128 * dt;
        }
        self.last = now;
    }

    #[inline]
    pub fn arrival(&mut self) {
        self.requests += 1;
    }

    #[inline]
    pub fn finished(&mut self, latency: SimTime) {
        self.latencies.record(latency);
        self.latency_sum_us += latency as u128;
        self.latency_count += 1;
    }

    /// Closes the grain ending at `now` (after [`advance`](Self::advance) to `now`).
    /// `cpu_share` is the vCPU share one running request uses of an instance (`None`: one slot's
    /// share).
    pub fn close(&mut self, cpu: Option<(f64, f64)>) {
        let nan = f64::NAN;
        let cpu_percent = match cpu {
            _ if self.slot_area == 0 => nan,
            None => 100.0 * self.busy_area as f64 / self.slot_area as f64,
            // (vCPUs per request, vCPUs per instance)
            Some((per_request, per_instance)) => (100.0 * self.busy_area as f64 * per_request
                / (self.instance_area as f64 * per_instance))
                .min(100.0),
        };
        let q = |h: &LogHistogram, p: f64| h.quantile(p).map_or(nan, |v| v as f64 / 1000.0);
        let latency_ms = if self.latency_count == 0 {
            [nan; 4]
        } else {
            [
                self.latency_sum_us as f64 / self.latency_count as f64 / 1000.0,
                q(&self.latencies, 0.50),
                q(&self.latencies, 0.95),
                q(&self.latencies, 0.99),
            ]
        };
        let concurrency_per_instance = if self.instance_area == 0 {
            nan
        } else {
            self.inflight_area as f64 / self.instance_area as f64
        };
        if self.grains.len() == self.capacity {
            self.grains.pop_front();
        }
        self.grains.push_back(Grain {
            cpu_percent,
            latency_ms,
            requests: self.requests as f64,
            concurrency_per_instance,
        });
        self.requests = 0;
        if self.latency_count > 0 {
            self.latencies = LogHistogram::default();
        }
        self.latency_sum_us = 0;
        self.latency_count = 0;
        self.busy_area = 0;
        self.slot_area = 0;
        self.inflight_area = 0;
        self.instance_area = 0;
    }

    /// The rule's aggregate over its window, or `None` while the window is not full or has no
    /// defined value.
    pub fn aggregate(&self, rule: &Rule) -> Option<f64> {
        let n = rule.window_grains;
        if self.grains.len() < n {
            return None;
        }
        let values: Vec<f64> = self
            .grains
            .iter()
            .skip(self.grains.len() - n)
            .map(|g| g.get(rule.metric))
            .filter(|x| x.is_finite())
            .collect();
        if values.is_empty() {
            return None;
        }
        let sum: f64 = values.iter().sum();
        Some(match rule.aggregation {
            Aggregation::Average => sum / values.len() as f64,
            Aggregation::Total => sum,
            Aggregation::Minimum => values.iter().cloned().fold(f64::INFINITY, f64::min),
            Aggregation::Maximum => values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            Aggregation::Last => *values.last().expect("not empty"),
        })
    }

    pub fn fires(&self, rule: &Rule) -> bool {
        self.aggregate(rule)
            .is_some_and(|x| rule.operator.holds(x, rule.threshold))
    }

    /// Azure's anti-flapping estimate of the rule's aggregate if the deployment had `new`
    /// instances instead of `current`: per-instance metrics scale by current / new, the others
    /// stay as measured (see [`Metric::per_instance`]). Not capped at 100% for CPU: Azure's
    /// documented arithmetic is the plain ratio.
    pub fn projected(&self, rule: &Rule, current: u32, new: u32) -> Option<f64> {
        let x = self.aggregate(rule)?;
        if !rule.metric.per_instance() || new == current {
            return Some(x);
        }
        if new == 0 {
            // The load of the instances has nowhere to go: any load is unbounded per instance.
            return Some(if x > 0.0 { f64::INFINITY } else { 0.0 });
        }
        Some(x * current as f64 / new as f64)
    }

    /// Whether the rule would fire at `new` instances, by [`projected`](Self::projected).
    pub fn fires_at(&self, rule: &Rule, current: u32, new: u32) -> bool {
        self.projected(rule, current, new)
            .is_some_and(|x| rule.operator.holds(x, rule.threshold))
    }
}

/// A scale action the autoscaler decided at one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub target: u32,
    /// The cooldown of the acting rule(s); zero for a move into the profile's bounds.
    pub cooldown: SimTime,
    /// A scale-in the anti-flapping check shortened: the count the scale-in rules asked for
    /// (Azure's `FlappingOccurred` log record).
    pub flapping_reduced_from: Option<u32>,
}

/// The outcome of one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluation {
    /// No rule acts.
    Hold,
    Scale(Decision),
    /// Every scale-in rule fired, but every count from `intended` up to the current one would
    /// trigger a scale-out rule: nothing happens and no cooldown starts (Azure's `Flapping` log
    /// record).
    FlappingSkipped {
        intended: u32,
    },
}

impl Evaluation {
    /// The scale action, if any.
    pub fn decision(self) -> Option<Decision> {
        match self {
            Evaluation::Scale(d) => Some(d),
            Evaluation::Hold | Evaluation::FlappingSkipped { .. } => None,
        }
    }
}

/// Evaluates a profile's rules against the window for a deployment at `current` instances
/// (ready plus provisioning). The flapping estimate scales by this count too (ours: Azure says
/// "current instance count"; we read it as the capacity asked for, which is what a scale-in
/// changes, not the ready instances the CPU grain averages over).
pub fn evaluate(profile: &Profile, window: &MetricWindow, current: u32) -> Evaluation {
    let bounded = current.clamp(profile.min, profile.max);
    if bounded != current {
        return Evaluation::Scale(Decision {
            target: bounded,
            cooldown: 0,
            flapping_reduced_from: None,
        });
    }
    let outs: Vec<&Rule> = profile
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Increase)
        .collect();
    let mut out: Option<Decision> = None;
    for r in &outs {
        if window.fires(r) {
            let t = r.result(current).clamp(profile.min, profile.max);
            if t > current && out.is_none_or(|o| t > o.target) {
                out = Some(Decision {
                    target: t,
                    cooldown: r.cooldown,
                    flapping_reduced_from: None,
                });
            }
        }
    }
    if let Some(d) = out {
        return Evaluation::Scale(d);
    }
    let ins: Vec<&Rule> = profile
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Decrease)
        .collect();
    if ins.is_empty() || !ins.iter().all(|r| window.fires(r)) {
        return Evaluation::Hold;
    }
    let intended = ins
        .iter()
        .map(|r| r.result(current).clamp(profile.min, profile.max))
        .max()
        .expect("not empty");
    if intended >= current {
        return Evaluation::Hold;
    }
    let cooldown = ins.iter().map(|r| r.cooldown).max().expect("not empty");
    // Azure tries the intended count first and then the counts above it, so the first count
    // that triggers no scale-out rule is the largest reduction that does not flap.
    let safe = (intended..current).find(|&n| !outs.iter().any(|r| window.fires_at(r, current, n)));
    match safe {
        Some(target) => Evaluation::Scale(Decision {
            target,
            cooldown,
            flapping_reduced_from: (target != intended).then_some(intended),
        }),
        None => Evaluation::FlappingSkipped { intended },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(dir: Direction, op: Operator, threshold: f64) -> Rule {
        Rule {
            metric: Metric::CpuUtilizationPercentage,
            aggregation: Aggregation::Average,
            operator: op,
            threshold,
            window_grains: 2,
            direction: dir,
            action: ActionType::ChangeCount,
            value: 1.0,
            cooldown: 300_000_000,
        }
    }

    fn window(cpu: &[f64]) -> MetricWindow {
        let mut w = MetricWindow::new(10);
        for &c in cpu {
            w.grains.push_back(Grain {
                cpu_percent: c,
                latency_ms: [f64::NAN; 4],
                requests: 0.0,
                concurrency_per_instance: 0.0,
            });
        }
        w
    }

    #[test]
    fn scale_in_needs_every_in_rule() {
        let p = Profile {
            name: "p".into(),
            min: 1,
            max: 5,
            default: 1,
            rules: vec![
                rule(Direction::Decrease, Operator::LessThan, 30.0),
                rule(Direction::Decrease, Operator::LessThan, 10.0),
            ],
            recurrence: None,
        };
        // Average 20: the first fires, the second does not.
        assert_eq!(evaluate(&p, &window(&[20.0, 20.0]), 3), Evaluation::Hold);
        assert_eq!(
            evaluate(&p, &window(&[5.0, 5.0]), 3)
                .decision()
                .map(|d| d.target),
            Some(2)
        );
    }

    #[test]
    fn scale_out_takes_the_highest_result_and_waits_for_a_full_window() {
        let mut big = rule(Direction::Increase, Operator::GreaterThan, 50.0);
        big.action = ActionType::PercentChangeCount;
        big.value = 100.0;
        let p = Profile {
            name: "p".into(),
            min: 1,
            max: 5,
            default: 1,
            rules: vec![rule(Direction::Increase, Operator::GreaterThan, 50.0), big],
            recurrence: None,
        };
        assert_eq!(evaluate(&p, &window(&[90.0]), 2), Evaluation::Hold);
        // 2 + 100% = 4 beats 2 + 1 = 3.
        assert_eq!(
            evaluate(&p, &window(&[90.0, 90.0]), 2)
                .decision()
                .map(|d| d.target),
            Some(4)
        );
        // Capped at max.
        assert_eq!(
            evaluate(&p, &window(&[90.0, 90.0]), 4)
                .decision()
                .map(|d| d.target),
            Some(5)
        );
    }

    fn profile(min: u32, max: u32, rules: Vec<Rule>) -> Profile {
        Profile {
            name: "p".into(),
            min,
            max,
            default: min,
            rules,
            recurrence: None,
        }
    }

    #[test]
    fn scale_in_is_skipped_while_its_estimate_would_scale_out() {
        // Azure's best-practices example: out when CPU >= 80, in when CPU <= 60, 3 instances.
        let p = profile(
            1,
            5,
            vec![
                rule(Direction::Increase, Operator::GreaterThanOrEqual, 80.0),
                rule(Direction::Decrease, Operator::LessThanOrEqual, 60.0),
            ],
        );
        // 60 x 3 / 2 = 90 >= 80: skipped, reported with the count the in-rule asked for.
        let w = window(&[60.0, 60.0]);
        assert_eq!(w.projected(&p.rules[0], 3, 2), Some(90.0));
        assert_eq!(
            evaluate(&p, &w, 3),
            Evaluation::FlappingSkipped { intended: 2 }
        );
        // 50 x 3 / 2 = 75 < 80: the scale-in goes ahead as asked.
        assert_eq!(
            evaluate(&p, &window(&[50.0, 50.0]), 3),
            Evaluation::Scale(Decision {
                target: 2,
                cooldown: 300_000_000,
                flapping_reduced_from: None,
            })
        );
    }

    #[test]
    fn scale_in_shrinks_to_the_largest_reduction_that_does_not_flap() {
        // As in Azure's FlappingOccurred record: 6 instances, intended 1, actual 4.
        // In by 5 when CPU < 30; out when CPU > 35; CPU 20%. Estimates 20 x 6 / n:
        // n = 1: 120, n = 2: 60, n = 3: 40 (all > 35, flap); n = 4: 30 (<= 35, safe).
        let mut by5 = rule(Direction::Decrease, Operator::LessThan, 30.0);
        by5.value = 5.0;
        let p = profile(
            1,
            6,
            vec![rule(Direction::Increase, Operator::GreaterThan, 35.0), by5],
        );
        assert_eq!(
            evaluate(&p, &window(&[20.0, 20.0]), 6),
            Evaluation::Scale(Decision {
                target: 4,
                cooldown: 300_000_000,
                flapping_reduced_from: Some(1),
            })
        );
    }

    #[test]
    fn totals_and_latency_are_not_rescaled() {
        // Out when RequestsPerMinute > 100 (the endpoint's total), in when CPU < 30.
        // Measured 80 requests a minute and 20% CPU on 3 instances: rescaling the total would
        // give 80 x 3 / 2 = 120 > 100, but the arrivals do not depend on the instance count.
        let mut rpm = rule(Direction::Increase, Operator::GreaterThan, 100.0);
        rpm.metric = Metric::RequestsPerMinute;
        let mut lat = rule(Direction::Increase, Operator::GreaterThan, 500.0);
        lat.metric = Metric::RequestLatency(Statistic::Average);
        let p = profile(
            1,
            5,
            vec![
                rpm.clone(),
                lat.clone(),
                rule(Direction::Decrease, Operator::LessThan, 30.0),
            ],
        );
        let mut w = window(&[20.0, 20.0]);
        for g in w.grains.iter_mut() {
            g.requests = 80.0;
            g.latency_ms = [400.0; 4];
        }
        assert_eq!(w.projected(&rpm, 3, 2), Some(80.0));
        // 400 ms stays 400 ms (not 600 ms > 500 ms).
        assert_eq!(w.projected(&lat, 3, 2), Some(400.0));
        assert_eq!(evaluate(&p, &w, 3).decision().map(|d| d.target), Some(2));
        // Concurrency per instance is an average over instances: 1.5 x 3 / 2 = 2.25.
        let mut conc = rule(Direction::Increase, Operator::GreaterThan, 2.0);
        conc.metric = Metric::ConcurrentRequestsPerInstance;
        for g in w.grains.iter_mut() {
            g.concurrency_per_instance = 1.5;
        }
        assert_eq!(w.projected(&conc, 3, 2), Some(2.25));
        // No instance left: any load is unbounded, none stays none.
        assert_eq!(w.projected(&conc, 3, 0), Some(f64::INFINITY));
        assert_eq!(window(&[0.0, 0.0]).projected(&conc, 3, 0), Some(0.0));
    }

    #[test]
    fn recurrence_matches_days_and_hours() {
        let r = Recurrence {
            days: [false, false, false, false, false, true, true],
            start_minute: 0,
            end_minute: 1440,
        };
        let day = 86_400_000_000u64;
        assert!(!r.contains(0));
        assert!(r.contains(5 * day));
        assert!(r.contains(6 * day + day - 1));
        assert!(!r.contains(7 * day));
    }
}
