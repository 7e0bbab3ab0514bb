//! Every column of every CSV file capsim writes: its name, unit and meaning, in one place.
//!
//! The writers take their headers from here ([`FileSchema::header`]), the report finds its cells
//! through the column constants below (a [`Column`], a metric [`M`] or a workload metric [`W`]
//! all name a column: [`ColumnRef`]), and `docs/outputs.md` holds the column tables
//! [`FileSchema::markdown_table`] renders, which a test keeps equal to this module.
//!
//! The metric columns come from [`crate::metrics::METRICS`] and
//! [`crate::metrics::WORKLOAD_METRICS`], which give each metric its unit and meaning. Two kinds of
//! column are patterns rather than names: one `parameter_<path>` per swept field,
//! and `<column>_ci95`, the half-width of the 95% confidence interval of the mean before it.
//!
//! ```
//! use capsim::output::schema::{self, summary};
//! let header = summary::FILE.header(&["compute.gpu-cluster.min_instances".to_string()]);
//! assert_eq!(header[..3], ["scenario", "variant", "parameter_compute.gpu-cluster.min_instances"]);
//! assert!(header.contains(&schema::ci95_name("wait_p95_s")));
//! ```

use crate::metrics::workload::W;
use crate::metrics::{M, METRICS, MetricDef, WORKLOAD_METRICS};

pub use crate::metrics::Unit;

/// One column of an output file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub name: &'static str,
    pub unit: Unit,
    pub meaning: &'static str,
}

const fn col(name: &'static str, unit: Unit, meaning: &'static str) -> Column {
    Column {
        name,
        unit,
        meaning,
    }
}

/// A metric's column, as [`crate::metrics`] defines it.
pub const fn metric(m: M) -> Column {
    let d = m.def();
    col(d.name, d.unit, d.meaning)
}

/// What follows a column whose values are means over replications.
pub const CI95_SUFFIX: &str = "_ci95";

/// What every swept field's column starts with.
pub const PARAMETER_PREFIX: &str = "parameter_";

/// `<column>_ci95`: the half-width of the 95% confidence interval of `column`'s mean.
pub fn ci95_name(column: &str) -> String {
    format!("{column}{CI95_SUFFIX}")
}

/// `parameter_<path>`: the column of a swept field.
pub fn parameter_name(path: &str) -> String {
    format!("{PARAMETER_PREFIX}{path}")
}

/// The pattern of the `_ci95` columns, as the column tables document it.
pub const CI95: Column = col(
    "<column>_ci95",
    Unit::Text,
    "the half-width of the 95% confidence interval of the mean in the column before it (Student t with replications − 1 degrees of freedom), in that column's unit; empty from one replication",
);

/// Anything that names a column: a [`Column`], a metric, or a name built at run time (a
/// `parameter_<path>` column).
pub trait ColumnRef {
    fn column_name(&self) -> &str;
}

impl ColumnRef for Column {
    fn column_name(&self) -> &str {
        self.name
    }
}

impl ColumnRef for M {
    fn column_name(&self) -> &str {
        self.name()
    }
}

impl ColumnRef for W {
    fn column_name(&self) -> &str {
        self.name()
    }
}

impl ColumnRef for str {
    fn column_name(&self) -> &str {
        self
    }
}

impl ColumnRef for String {
    fn column_name(&self) -> &str {
        self
    }
}

impl<T: ColumnRef + ?Sized> ColumnRef for &T {
    fn column_name(&self) -> &str {
        (**self).column_name()
    }
}

/// A stretch of a file's header.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    /// These columns, in order.
    Columns(&'static [Column]),
    /// These columns, each followed by its `_ci95`.
    WithCi95(&'static [Column]),
    /// One `parameter_<path>` per swept field, in axis order.
    Parameters,
    /// Every metric of the list, each followed by its `_ci95` when `ci95`.
    Metrics {
        list: &'static [MetricDef],
        ci95: bool,
    },
}

/// One output file's columns.
#[derive(Clone, Copy, Debug)]
pub struct FileSchema {
    /// The file's name in an output folder.
    pub name: &'static str,
    pub parts: &'static [Part],
}

/// A row of a column table: the column's name as documented (a pattern for parameters and
/// `_ci95`), whether a `_ci95` follows it, and the column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Documented {
    pub column: Column,
    pub with_ci95: bool,
}

impl FileSchema {
    /// The header row, with one `parameter_<path>` column per path of `parameters`.
    pub fn header(&self, parameters: &[String]) -> Vec<String> {
        let mut h = vec![];
        for part in self.parts {
            match *part {
                Part::Columns(cols) => h.extend(cols.iter().map(|c| c.name.to_string())),
                Part::WithCi95(cols) => {
                    for c in cols {
                        h.push(c.name.to_string());
                        h.push(ci95_name(c.name));
                    }
                }
                Part::Parameters => h.extend(parameters.iter().map(|p| parameter_name(p))),
                Part::Metrics { list, ci95 } => {
                    for m in list {
                        h.push(m.name.to_string());
                        if ci95 {
                            h.push(ci95_name(m.name));
                        }
                    }
                }
            }
        }
        h
    }

    /// Every column as the tables document it, in header order: `parameter_<path>` as one
    /// pattern, and a `_ci95` column as a flag of the column before it.
    pub fn documented(&self) -> Vec<Documented> {
        let mut v = vec![];
        for part in self.parts {
            match *part {
                Part::Columns(cols) | Part::WithCi95(cols) => {
                    let with_ci95 = matches!(part, Part::WithCi95(_));
                    v.extend(cols.iter().map(|&column| Documented { column, with_ci95 }));
                }
                Part::Parameters => v.push(Documented {
                    column: PARAMETER,
                    with_ci95: false,
                }),
                Part::Metrics { list, ci95 } => v.extend(list.iter().map(|m| Documented {
                    column: col(m.name, m.unit, m.meaning),
                    with_ci95: ci95,
                })),
            }
        }
        v
    }

    /// Whether some column of the file is followed by a `_ci95`.
    pub fn has_ci95(&self) -> bool {
        self.documented().iter().any(|d| d.with_ci95)
    }

    /// The column table of `docs/outputs.md`: name, unit, meaning.
    pub fn markdown_table(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|");
        let mut t = String::from("| column | unit | meaning |\n|---|---|---|\n");
        for d in self.documented() {
            let c = d.column;
            let name = if d.with_ci95 {
                format!("`{}` ± `{}`", c.name, ci95_name(c.name))
            } else {
                format!("`{}`", c.name)
            };
            t.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(&name),
                c.unit.label(),
                cell(c.meaning)
            ));
        }
        if self.has_ci95() {
            t.push_str(&format!(
                "| `{}` | {} | {} |\n",
                CI95.name,
                "as the column",
                cell(CI95.meaning)
            ));
        }
        t
    }
}

// Columns several files share.

pub const SCENARIO: Column = col("scenario", Unit::Text, "the scenario's `name`");
pub const VARIANT: Column = col(
    "variant",
    Unit::Integer,
    "the variant's number, from 0: always 0 without a sweep; in a sweep, 0 takes the first value of every axis",
);
/// The pattern of the `parameter_<path>` columns, as the column tables document it.
pub const PARAMETER: Column = col(
    "parameter_<path>",
    Unit::Text,
    "one column per swept field, named by its path (`parameter_compute.gpu-cluster.min_instances`): the field's value in this variant, as written",
);
pub const TARGET: Column = col(
    "target",
    Unit::Text,
    "the compute target's or endpoint's name",
);
pub const TARGET_TYPE: Column = col(
    "target_type",
    Unit::Text,
    "its `type`: `amlcompute`, `computeinstance`, `serverless`, `kubernetes`, `managed_online`, `batch`, ...",
);
pub const SIZE: Column = col("size", Unit::Text, "its VM size");
pub const TIER: Column = col("tier", Unit::Text, "`dedicated` or `low_priority`");
pub const PRICE_USD_PER_HOUR: Column = col(
    "price_usd_per_hour",
    Unit::UsdPerHour,
    "the price of one node (or instance) hour at its tier, as billed",
);
pub const PRICE_SOURCE: Column = col(
    "price_source",
    Unit::Text,
    "where the price comes from: the catalog row with its region and date and any discount, the price list's path, or `scenario override`",
);
pub const SERVICE_TIME_MODEL: Column = col(
    "service_time_model",
    Unit::Text,
    "endpoints: the service-time model each traffic stream used (`stream: model`, `;`-separated); blank for compute targets",
);
pub const SEED: Column = col(
    "seed",
    Unit::Integer,
    "the scenario's seed (or `--seed`), from which every random stream is derived",
);
pub const REPLICATION: Column = col(
    "replication",
    Unit::Integer,
    "the replication's number, from 0",
);
pub const REPLICATION_SEED: Column = col(
    "replication_seed",
    Unit::Integer,
    "the seed derived for this replication from the scenario's",
);
pub const EVENTS: Column = col(
    "events",
    Unit::Count,
    "events simulated in this replication (time-series samples are not events)",
);

/// The columns that say which target a row of `summary.csv` and `replications.csv` is about.
const TARGET_IDENTITY: &[Column] = &[
    TARGET,
    TARGET_TYPE,
    SIZE,
    TIER,
    PRICE_USD_PER_HOUR,
    PRICE_SOURCE,
    SERVICE_TIME_MODEL,
];

/// `summary.csv`: one row per variant and target.
pub mod summary {
    use super::*;
    pub use super::{
        PRICE_SOURCE, PRICE_USD_PER_HOUR, SCENARIO, SEED, SERVICE_TIME_MODEL, SIZE, TARGET,
        TARGET_TYPE, TIER, VARIANT,
    };

    pub const REPLICATIONS: Column = col("replications", Unit::Count, "replications per variant");
    pub const START_DATE: Column = col(
        "start_date",
        Unit::Date,
        "the calendar date simulated time zero stands for (VM retirement checks)",
    );
    pub const HORIZON_S: Column = col(
        "horizon_s",
        Unit::Seconds,
        "simulated time per replication, warm-up included",
    );
    pub const WARMUP_S: Column = col(
        "warmup_s",
        Unit::Seconds,
        "the start of each replication that the statistics leave out",
    );

    const RUN: &[Column] = &[REPLICATIONS, SEED, START_DATE, HORIZON_S, WARMUP_S];

    pub const FILE: FileSchema = FileSchema {
        name: "summary.csv",
        parts: &[
            Part::Columns(&[SCENARIO, VARIANT]),
            Part::Parameters,
            Part::Columns(TARGET_IDENTITY),
            Part::Columns(RUN),
            Part::Metrics {
                list: METRICS,
                ci95: true,
            },
        ],
    };

    /// The columns that are not metrics.
    pub fn identity() -> impl Iterator<Item = Column> {
        [SCENARIO, VARIANT]
            .into_iter()
            .chain(TARGET_IDENTITY.iter().copied())
            .chain(RUN.iter().copied())
    }
}

/// `replications.csv`: one row per variant, replication and target.
pub mod replications {
    use super::*;
    pub use super::{EVENTS, REPLICATION, REPLICATION_SEED, SCENARIO, SEED, TARGET, VARIANT};

    pub const FILE: FileSchema = FileSchema {
        name: "replications.csv",
        parts: &[
            Part::Columns(&[SCENARIO, VARIANT]),
            Part::Parameters,
            Part::Columns(TARGET_IDENTITY),
            Part::Columns(&[REPLICATION, SEED, REPLICATION_SEED, EVENTS]),
            Part::Metrics {
                list: METRICS,
                ci95: false,
            },
        ],
    };
}

/// `workloads.csv`: one row per variant and workload.
pub mod workloads {
    use super::*;
    pub use super::{SCENARIO, VARIANT};

    pub const WORKLOAD: Column = col("workload", Unit::Text, "the workload's name");
    pub const TARGET: Column = col("target", Unit::Text, "the target its jobs run on");
    pub const TARGET_TYPE: Column = col("target_type", Unit::Text, "that target's `type`");
    pub const ARRIVAL_PROCESS: Column = col(
        "arrival_process",
        Unit::Text,
        "`poisson`, `mmpp` or `trace`",
    );
    pub const BATCH_SIZE: Column = col(
        "batch_size",
        Unit::Count,
        "jobs submitted together at each arrival",
    );
    pub const PRIORITY: Column = col(
        "priority",
        Unit::Integer,
        "the workload's priority on its target's queue (higher runs first)",
    );
    pub const TRACE_ROWS_SKIPPED: Column = col(
        "trace_rows_skipped",
        Unit::Count,
        "bad trace rows dropped by `on_bad_row = \"skip\"`, including jobs too large for the target; 0 for other processes",
    );
    pub const REPLICATIONS: Column = col(
        "replications",
        Unit::Count,
        "replications the row's means are over: those with a per-workload breakdown (none for results merged from shards)",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "workloads.csv",
        parts: &[
            Part::Columns(&[SCENARIO, VARIANT]),
            Part::Parameters,
            Part::Columns(&[
                WORKLOAD,
                TARGET,
                TARGET_TYPE,
                ARRIVAL_PROCESS,
                BATCH_SIZE,
                PRIORITY,
                TRACE_ROWS_SKIPPED,
                REPLICATIONS,
            ]),
            Part::Metrics {
                list: WORKLOAD_METRICS,
                ci95: true,
            },
        ],
    };
}

/// `timeseries.csv`: the state of every target over time in one replication.
pub mod timeseries {
    use super::*;

    pub const REPLICATION: Column = col(
        "replication",
        Unit::Integer,
        "always 0: one representative replication",
    );
    pub const TIME_S: Column = col(
        "time_s",
        Unit::Seconds,
        "simulated time since the start (a Monday, 00:00), warm-up included",
    );
    pub const TARGET: Column = col("target", Unit::Text, "the compute target's name");
    pub const NODES_ALLOCATED: Column = col(
        "nodes_allocated",
        Unit::Count,
        "nodes billed at that moment (busy + idle + provisioning)",
    );
    pub const NODES_BUSY: Column = col("nodes_busy", Unit::Count, "nodes running a job");
    pub const NODES_PROVISIONING: Column = col(
        "nodes_provisioning",
        Unit::Count,
        "nodes requested but not yet ready",
    );
    pub const NODES_IDLE: Column = col("nodes_idle", Unit::Count, "nodes ready without a job");
    pub const QUEUE_JOBS: Column = col("queue_jobs", Unit::Count, "jobs waiting to start");
    pub const CUMULATIVE_COST_USD: Column = col(
        "cumulative_cost_usd",
        Unit::Usd,
        "cost billed since time zero",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "timeseries.csv",
        parts: &[Part::Columns(&[
            REPLICATION,
            TIME_S,
            TARGET,
            NODES_ALLOCATED,
            NODES_BUSY,
            NODES_PROVISIONING,
            NODES_IDLE,
            QUEUE_JOBS,
            CUMULATIVE_COST_USD,
        ])],
    };
}

/// `commitments.csv`: dedicated clusters' node time priced under reservations and savings plans.
pub mod commitments {
    use super::*;
    pub use super::{SCENARIO, VARIANT};

    pub const SIZE: Column = col("size", Unit::Text, "the VM size whose node time is priced");
    pub const REGION: Column = col(
        "region",
        Unit::Text,
        "its Azure region (`armRegionName`): the scenario's or the target's `region`",
    );
    pub const TARGETS: Column = col(
        "targets",
        Unit::Text,
        "the dedicated `amlcompute` clusters of this size and region whose node time is pooled, `;`-separated",
    );
    pub const COMMITMENT: Column = col(
        "commitment",
        Unit::Text,
        "`pay_as_you_go`, `reserved_1y`, `reserved_3y` (k reserved VMs), `savings_plan_1y` or `savings_plan_3y` (c dollars an hour)",
    );
    pub const RESERVED_INSTANCES: Column = col(
        "reserved_instances",
        Unit::Count,
        "reservations: k, the VMs reserved (0 up to the most node-hours in any hour); empty for savings plans",
    );
    pub const COMMITMENT_USD_PER_HOUR: Column = col(
        "commitment_usd_per_hour",
        Unit::UsdPerHour,
        "what the commitment costs every hour, used or not: k × the reservation's hourly price, or the savings plan's c",
    );
    pub const PRICE_USD_PER_HOUR: Column = col(
        "price_usd_per_hour",
        Unit::UsdPerHour,
        "pay-as-you-go: the price billed per node-hour; reservations: one VM's price per hour of the term; savings plans: the size's plan rate per node-hour; empty when no price is known",
    );
    pub const COST_USD: Column = col(
        "cost_usd",
        Unit::Usd,
        "cost of the pooled node time over the observed window under this commitment (the commitment for every hour of the window, the usage above it at pay-as-you-go), US dollars",
    );
    pub const SAVING_USD: Column = col(
        "saving_usd",
        Unit::Usd,
        "pay-as-you-go cost minus cost_usd, paired by replication (negative: the commitment costs more), US dollars",
    );
    pub const COVERAGE: Column = col(
        "coverage",
        Unit::Share,
        "share of the node time the commitment pays for (0 to 1)",
    );
    pub const UTILISATION: Column = col(
        "utilisation",
        Unit::Share,
        "share of the commitment's hours (k VM-hours, or c / plan rate node-hours, every hour) that usage filled (0 to 1)",
    );
    pub const BREAK_EVEN_UTILISATION: Column = col(
        "break_even_utilisation",
        Unit::Share,
        "price_usd_per_hour / the pay-as-you-go price: a reserved VM (or a dollar of plan) used less than this share of its hours costs more than pay-as-you-go; a price ratio, so it has no interval",
    );
    pub const BEST: Column = col(
        "best",
        Unit::YesNo,
        "`yes` on the level of lowest mean cost_usd for this commitment kind (the smallest of equals)",
    );
    pub const BEST_LEVEL: Column = col(
        "best_level_per_replication",
        Unit::Text,
        "on the `best` row: the mean over replications of each replication's own cost-minimising k (reservations) or c in US dollars an hour (savings plans)",
    );
    pub const NOTE: Column = col(
        "note",
        Unit::Text,
        "where the commitment prices come from (the price file, its row's source and date), or that no price is known and the row is empty",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "commitments.csv",
        parts: &[
            Part::Columns(&[SCENARIO, VARIANT]),
            Part::Parameters,
            Part::Columns(&[
                SIZE,
                REGION,
                TARGETS,
                COMMITMENT,
                RESERVED_INSTANCES,
                COMMITMENT_USD_PER_HOUR,
                PRICE_USD_PER_HOUR,
            ]),
            Part::WithCi95(&[COST_USD, SAVING_USD, COVERAGE, UTILISATION]),
            Part::Columns(&[BREAK_EVEN_UTILISATION, BEST]),
            Part::WithCi95(&[BEST_LEVEL]),
            Part::Columns(&[NOTE]),
        ],
    };
}

/// `tradeoff.csv`: sweeps only; cost against waiting per variant and target.
pub mod tradeoff {
    use super::*;
    pub use super::{SCENARIO, TARGET, VARIANT};

    pub const COST_PER_MONTH_USD: Column = metric(M::cost_per_month);
    pub const IDLE_COST_PER_MONTH_USD: Column = metric(M::idle_cost_per_month);
    pub const WAIT_MEAN_S: Column = metric(M::wait_mean);
    pub const WAIT_P95_S: Column = metric(M::wait_p95);
    pub const COST_DIFF_PER_MONTH_USD: Column = col(
        "cost_diff_per_month_usd",
        Unit::Usd,
        "cost_per_month_usd minus variant 0's, estimated from per-replication differences (paired by common random numbers)",
    );
    pub const COST_DIFF_SIGNIFICANT: Column = col(
        "cost_diff_significant",
        Unit::YesNo,
        "`yes` when the 95% interval of cost_diff_per_month_usd excludes zero; empty for variant 0",
    );
    pub const WAIT_P95_DIFF_S: Column = col(
        "wait_p95_diff_s",
        Unit::Seconds,
        "wait_p95_s minus variant 0's, estimated from per-replication differences",
    );
    pub const WAIT_P95_DIFF_SIGNIFICANT: Column = col(
        "wait_p95_diff_significant",
        Unit::YesNo,
        "`yes` when the 95% interval of wait_p95_diff_s excludes zero; empty for variant 0",
    );
    pub const PARETO_OPTIMAL: Column = col(
        "pareto_optimal",
        Unit::YesNo,
        "no other variant is both cheaper and waits less at p95 (online endpoints: has a lower latency, the goal's or p95)",
    );
    pub const MEETS_GOAL: Column = col(
        "meets_goal",
        Unit::Text,
        "`yes` when the whole 95% interval meets the `[goal]` (within its `tolerance`), `no` when it all misses, `uncertain` when it straddles the goal (run more replications); empty without a goal or when no bound of the goal applies to the target",
    );
    pub const RECOMMENDED: Column = col(
        "recommended",
        Unit::YesNo,
        "the cheapest variant that meets the goal",
    );
    pub const NOISE_WARNING: Column = col(
        "noise_warning",
        Unit::Text,
        "why the row's comparison is too noisy to act on, `;`-separated, empty when it is not: `cost_diff_within_ci`, `wait_p95_diff_within_ci`, `latency_diff_within_ci` (online endpoints: the latency the row is compared on, the goal's or p95), `goal_uncertain`, `recommendation_may_flip`, `may_be_cheapest`",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "tradeoff.csv",
        parts: &[
            Part::Columns(&[SCENARIO, VARIANT]),
            Part::Parameters,
            Part::Columns(&[TARGET]),
            Part::WithCi95(&[
                COST_PER_MONTH_USD,
                IDLE_COST_PER_MONTH_USD,
                WAIT_MEAN_S,
                WAIT_P95_S,
            ]),
            Part::WithCi95(&[COST_DIFF_PER_MONTH_USD]),
            Part::Columns(&[COST_DIFF_SIGNIFICANT]),
            Part::WithCi95(&[WAIT_P95_DIFF_S]),
            Part::Columns(&[
                WAIT_P95_DIFF_SIGNIFICANT,
                PARETO_OPTIMAL,
                MEETS_GOAL,
                RECOMMENDED,
                NOISE_WARNING,
            ]),
        ],
    };
}

/// `sizing.csv` (`capsim size`): one row per candidate size, the recommendation first.
pub mod sizing {
    use super::*;
    pub use super::{PRICE_SOURCE, SCENARIO, SEED};

    pub const ENDPOINT: Column = col("endpoint", Unit::Text, "the endpoint being sized");
    pub const SIZE: Column = col("size", Unit::Text, "the candidate VM size");
    pub const SERIES: Column = col("series", Unit::Text, "its VM series in the catalog");
    pub const VCPUS: Column = col("vcpus", Unit::Count, "its vCPUs");
    pub const MEMORY_GIB: Column = col("memory_gib", Unit::Gibibytes, "its memory");
    pub const GPUS: Column = col("gpus", Unit::Count, "its GPUs");
    pub const GPU_MEMORY_GIB: Column = col(
        "gpu_memory_gib",
        Unit::Gibibytes,
        "its GPU memory, summed over its GPUs (0 without)",
    );
    pub const PRICE_USD_PER_HOUR: Column = col(
        "price_usd_per_hour",
        Unit::UsdPerHour,
        "the price of one instance hour as the simulation bills it (the scenario's discount or price list applied); empty without a price",
    );
    pub const VERDICT: Column = col(
        "verdict",
        Unit::Text,
        "`recommended`, `meets_goal`, `too_little_memory`, `too_little_gpu_memory`, `retired`, `no_price`, `invalid`, `too_slow`, `nothing_served`, `over_instance_limit` or `over_budget`",
    );
    pub const REASON: Column = col("reason", Unit::Text, "the verdict in words");
    pub const INSTANCES: Column = col(
        "instances",
        Unit::Count,
        "the smallest instance count that meets the goal, as confirmed by simulation; empty when none does",
    );
    pub const MAX_CONCURRENT_REQUESTS_PER_INSTANCE: Column = col(
        "max_concurrent_requests_per_instance",
        Unit::Count,
        "request slots per instance",
    );
    pub const COST_PER_MONTH_USD: Column = col(
        "cost_per_month_usd",
        Unit::Usd,
        "the cost of `instances` for a month (730 h) as simulated (instances bill around the clock), else price × instances × 730 h; empty without a count",
    );
    pub const PERCENTILE: Column = col(
        "percentile",
        Unit::Text,
        "the goal's latency percentile: `p50`, `p95` or `p99`",
    );
    pub const LATENCY_SLO_MS: Column = col(
        "latency_slo_ms",
        Unit::Milliseconds,
        "the goal: the latency percentile of served requests at most this",
    );
    pub const MAX_429_SHARE: Column = col(
        "max_429_share",
        Unit::Share,
        "the goal: at most this share of requests rejected with 429 (and timed out with 408)",
    );
    pub const PEAK_RATE_PER_SECOND: Column = col(
        "peak_rate_per_second",
        Unit::PerSecond,
        "the request rate the goal must be met at",
    );
    pub const SINGLE_REQUEST_LATENCY_AT_PERCENTILE_MS: Column = col(
        "single_request_latency_at_percentile_ms",
        Unit::Milliseconds,
        "the single-request probe: the latency percentile with no queueing (simulated at the instance limit)",
    );
    pub const SERVICE_TIME_MEAN_MS: Column = col(
        "service_time_mean_ms",
        Unit::Milliseconds,
        "the single-request probe's mean service time",
    );
    pub const ANALYTIC_INSTANCES: Column = col(
        "analytic_instances",
        Unit::Count,
        "the M/M/c/K closed form's instance count; empty when none within the limit meets the goal",
    );
    pub const ANALYTIC_LATENCY_AT_PERCENTILE_MS: Column = col(
        "analytic_latency_at_percentile_ms",
        Unit::Milliseconds,
        "the closed form's latency percentile at its count",
    );
    pub const ANALYTIC_REJECTED_429_SHARE: Column = col(
        "analytic_rejected_429_share",
        Unit::Share,
        "the closed form's 429 share (blocking probability) at its count",
    );
    pub const LATENCY_P50_MS: Column = col(
        "latency_p50_ms",
        Unit::Milliseconds,
        "simulated at `instances` (at the limit for a size over it): median latency of served requests",
    );
    pub const LATENCY_P95_MS: Column = col(
        "latency_p95_ms",
        Unit::Milliseconds,
        "simulated: 95th percentile of the latency of served requests",
    );
    pub const LATENCY_P99_MS: Column = col(
        "latency_p99_ms",
        Unit::Milliseconds,
        "simulated: 99th percentile of the latency of served requests",
    );
    pub const REJECTED_429_SHARE: Column = col(
        "rejected_429_share",
        Unit::Share,
        "simulated: share of requests rejected with 429",
    );
    pub const TIMED_OUT_408_REQUESTS: Column = col(
        "timed_out_408_requests",
        Unit::Count,
        "simulated: requests ended with 408 at the request timeout",
    );
    pub const SLO_ATTAINMENT: Column = col(
        "slo_attainment",
        Unit::Share,
        "simulated: share of the requests that ended served within the SLO",
    );
    pub const SIMULATED_INSTANCE_COUNTS: Column = col(
        "simulated_instance_counts",
        Unit::Text,
        "the instance counts simulated for this size, `;`-separated",
    );
    pub const AUTOSCALE_MIN_INSTANCES: Column = col(
        "autoscale_min_instances",
        Unit::Count,
        "autoscale advice for the traffic's daily or weekly profile: `min` (closed form hour by hour)",
    );
    pub const AUTOSCALE_MAX_INSTANCES: Column = col(
        "autoscale_max_instances",
        Unit::Count,
        "autoscale advice: `max`",
    );
    pub const AUTOSCALE_INSTANCE_HOURS_SHARE: Column = col(
        "autoscale_instance_hours_share",
        Unit::Share,
        "instance-hours with instant scaling over those of fixed peak capacity",
    );
    pub const AUTOSCALE_SAVING_PER_MONTH_USD: Column = col(
        "autoscale_saving_per_month_usd",
        Unit::Usd,
        "what instant scaling would save per month (730 h) against fixed peak capacity: an upper bound",
    );
    pub const REPLICATIONS: Column = col(
        "replications",
        Unit::Count,
        "replications per simulated point",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "sizing.csv",
        parts: &[
            Part::Columns(&[
                SCENARIO,
                ENDPOINT,
                SIZE,
                SERIES,
                VCPUS,
                MEMORY_GIB,
                GPUS,
                GPU_MEMORY_GIB,
                PRICE_USD_PER_HOUR,
                PRICE_SOURCE,
                VERDICT,
                REASON,
                INSTANCES,
                MAX_CONCURRENT_REQUESTS_PER_INSTANCE,
            ]),
            Part::WithCi95(&[COST_PER_MONTH_USD]),
            Part::Columns(&[
                PERCENTILE,
                LATENCY_SLO_MS,
                MAX_429_SHARE,
                PEAK_RATE_PER_SECOND,
            ]),
            Part::WithCi95(&[
                SINGLE_REQUEST_LATENCY_AT_PERCENTILE_MS,
                SERVICE_TIME_MEAN_MS,
            ]),
            Part::Columns(&[
                ANALYTIC_INSTANCES,
                ANALYTIC_LATENCY_AT_PERCENTILE_MS,
                ANALYTIC_REJECTED_429_SHARE,
            ]),
            Part::WithCi95(&[
                LATENCY_P50_MS,
                LATENCY_P95_MS,
                LATENCY_P99_MS,
                REJECTED_429_SHARE,
                TIMED_OUT_408_REQUESTS,
                SLO_ATTAINMENT,
            ]),
            Part::Columns(&[
                SIMULATED_INSTANCE_COUNTS,
                AUTOSCALE_MIN_INSTANCES,
                AUTOSCALE_MAX_INSTANCES,
                AUTOSCALE_INSTANCE_HOURS_SHARE,
                AUTOSCALE_SAVING_PER_MONTH_USD,
                SEED,
                REPLICATIONS,
            ]),
        ],
    };

    /// The simulated latency column of a percentile (50, 95 or 99); `None` for any other.
    pub fn latency_at(percentile: u32) -> Option<Column> {
        match percentile {
            50 => Some(LATENCY_P50_MS),
            95 => Some(LATENCY_P95_MS),
            99 => Some(LATENCY_P99_MS),
            _ => None,
        }
    }
}

/// `shard.csv` (`capsim run --shard`): one row per replication and target, every value
/// lossless, for `capsim merge`.
pub mod shard {
    use super::*;
    pub use super::{EVENTS, REPLICATION, REPLICATION_SEED};

    pub const VARIANT: Column = col(
        "variant",
        Unit::Integer,
        "the variant's number in the sweep",
    );
    pub const TARGET: Column = col(
        "target",
        Unit::Integer,
        "the target's position in the scenario, from 0",
    );
    pub const WORKLOADS: Column = col(
        "workloads",
        Unit::Text,
        "the target's per-workload breakdown: empty without one, `-` for one with no workload, else `index:v1;v2;...` per workload (in workloads.csv's metric order), joined by `|`",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "shard.csv",
        parts: &[
            Part::Columns(&[VARIANT, REPLICATION, REPLICATION_SEED, EVENTS, TARGET]),
            Part::Metrics {
                list: METRICS,
                ci95: false,
            },
            Part::Columns(&[WORKLOADS]),
        ],
    };
}

/// `backtest.csv` (`capsim backtest`): one row per target and measure, what the simulation of
/// a workspace's history gave against what its Azure Monitor logs show.
pub mod backtest {
    use super::*;

    pub const TARGET: Column = col(
        "target",
        Unit::Text,
        "the cluster (or endpoint) as the logs name it, and as the backtest's scenario.toml names its target",
    );
    pub const MEASURE: Column = col(
        "measure",
        Unit::Text,
        "what is compared: `node_hours`, `cost_usd`, `nodes_peak`, `nodes_mean`, `wait_mean_s`, `preemptions` (low-priority clusters), `requests`, `rejected_429` (endpoints)",
    );
    pub const UNIT: Column = col(
        "unit",
        Unit::Text,
        "the measure's unit: `hours`, `USD`, `nodes`, `s` or `count`",
    );
    pub const OBSERVED: Column = col(
        "observed",
        Unit::OfRow,
        "the measure in the logs over the backtest's window; `basis` says how it was read",
    );
    pub const SIMULATED: Column = col(
        "simulated",
        Unit::OfRow,
        "the mean over replications of the same measure in the simulation of the history",
    );
    pub const SIMULATED_CI95: Column = col(
        "simulated_ci95",
        Unit::OfRow,
        "the half-width of the 95% confidence interval of `simulated` (Student t); empty from one replication",
    );
    pub const ERROR_PCT: Column = col(
        "error_pct",
        Unit::Percent,
        "(simulated − observed) / observed × 100; empty when nothing was observed",
    );
    pub const OBSERVATIONS: Column = col(
        "observations",
        Unit::Count,
        "what the observed value was computed from: jobs, log rows or requests",
    );
    pub const BASIS: Column = col(
        "basis",
        Unit::Text,
        "how the observed value was read from the logs, in words",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "backtest.csv",
        parts: &[Part::Columns(&[
            TARGET,
            MEASURE,
            UNIT,
            OBSERVED,
            SIMULATED,
            SIMULATED_CI95,
            ERROR_PCT,
            OBSERVATIONS,
            BASIS,
        ])],
    };
}

/// `observed_nodes.csv` (`capsim backtest`): the node count each cluster's
/// `AmlComputeClusterEvent` rows show, as steps on the simulation's clock.
pub mod observed_nodes {
    use super::*;

    pub const TIME_S: Column = col(
        "time_s",
        Unit::Seconds,
        "seconds since the backtest's window starts (simulated time zero, as in timeseries.csv)",
    );
    pub const TARGET: Column = col("target", Unit::Text, "the cluster's name");
    pub const NODES_OBSERVED: Column = col(
        "nodes_observed",
        Unit::Count,
        "the cluster's CurrentNodeCount from this time until the next row of the cluster (the last row is the window's end)",
    );

    pub const FILE: FileSchema = FileSchema {
        name: "observed_nodes.csv",
        parts: &[Part::Columns(&[TIME_S, TARGET, NODES_OBSERVED])],
    };
}

/// Every CSV file capsim writes, in the order `docs/outputs.md` documents them.
pub const FILES: &[FileSchema] = &[
    summary::FILE,
    replications::FILE,
    workloads::FILE,
    timeseries::FILE,
    tradeoff::FILE,
    commitments::FILE,
    sizing::FILE,
    shard::FILE,
    backtest::FILE,
    observed_nodes::FILE,
];

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/outputs.md");

    fn begin(file: &str) -> String {
        format!("<!-- columns of {file}: generated from src/output/schema.rs -->\n")
    }
    const END: &str = "<!-- end of columns -->";

    /// The tables of `docs/outputs.md`, by file, as written there.
    fn documented_tables(docs: &str) -> Vec<(String, String)> {
        let mut v = vec![];
        let mut rest = docs;
        while let Some(at) = rest.find("<!-- columns of ") {
            let from = &rest[at + "<!-- columns of ".len()..];
            let file = from.split(':').next().unwrap_or("").to_string();
            let body_at = from.find('\n').map_or(from.len(), |i| i + 1);
            let body = &from[body_at..];
            let end = body
                .find(END)
                .unwrap_or_else(|| panic!("the table of {file} in {DOCS} has no `{END}`"));
            v.push((file, body[..end].to_string()));
            rest = &body[end..];
        }
        v
    }

    /// `docs/outputs.md` with every table as this schema renders it: `CAPSIM_BLESS_DOCS=1 cargo
    /// test --lib output::schema` writes it after a change of columns.
    fn regenerated(docs: &str) -> String {
        let mut out = docs.to_string();
        for f in FILES {
            let begin = begin(f.name);
            let Some(at) = out.find(&begin) else { continue };
            let body = at + begin.len();
            let end = out[body..].find(END).map_or(out.len(), |e| body + e);
            out.replace_range(body..end, &f.markdown_table());
        }
        out
    }

    #[test]
    fn docs_document_every_column_as_the_schema_defines_it() {
        let docs = std::fs::read_to_string(DOCS).unwrap_or_else(|e| panic!("{DOCS}: {e}"));
        if std::env::var_os("CAPSIM_BLESS_DOCS").is_some() {
            std::fs::write(DOCS, regenerated(&docs)).unwrap();
            return;
        }
        let tables = documented_tables(&docs);
        for f in FILES {
            let (_, written) = tables
                .iter()
                .find(|(name, _)| name == f.name)
                .unwrap_or_else(|| {
                    panic!(
                        "{DOCS} documents no columns of {}: add\n{}{}{END}",
                        f.name,
                        begin(f.name),
                        f.markdown_table()
                    )
                });
            let wanted = f.markdown_table();
            for line in written.lines() {
                assert!(
                    wanted.lines().any(|l| l == line),
                    "{DOCS}: {} documents a column the schema does not have, or with another \
                     unit or meaning:\n{line}\n(CAPSIM_BLESS_DOCS=1 rewrites the tables)",
                    f.name
                );
            }
            for line in wanted.lines() {
                assert!(
                    written.lines().any(|l| l == line),
                    "{DOCS}: {} does not document this column of the schema:\n{line}\n\
                     (CAPSIM_BLESS_DOCS=1 rewrites the tables)",
                    f.name
                );
            }
            assert_eq!(
                *written, wanted,
                "{DOCS}: the table of {} is out of order",
                f.name
            );
        }
        for (name, _) in &tables {
            assert!(
                FILES.iter().any(|f| f.name == name),
                "{DOCS} has a column table of {name}, which the schema does not know"
            );
        }
    }

    #[test]
    fn a_change_to_the_docs_is_caught() {
        let f = &timeseries::FILE;
        let table = f.markdown_table();
        let docs = format!("# x\n{}{table}{END}\n", begin(f.name));
        assert_eq!(
            documented_tables(&docs),
            [(f.name.to_string(), table.clone())]
        );
        let other = table.replace("nodes running a job", "nodes doing something");
        assert_ne!(other, table);
        let docs = format!("# x\n{}{other}{END}\n", begin(f.name));
        assert_eq!(
            regenerated(&docs),
            format!("# x\n{}{table}{END}\n", begin(f.name))
        );
    }

    #[test]
    fn headers_have_no_duplicate_columns() {
        let params = ["a.b".to_string(), "c.d".to_string()];
        for f in FILES {
            let h = f.header(&params);
            let mut seen = std::collections::HashSet::new();
            for c in &h {
                assert!(seen.insert(c), "{}: `{c}` twice", f.name);
            }
        }
    }

    #[test]
    fn every_documented_column_says_what_it_is() {
        for f in FILES {
            for d in f.documented() {
                assert!(
                    !d.column.meaning.is_empty(),
                    "{}: {}",
                    f.name,
                    d.column.name
                );
                assert!(!d.column.meaning.contains('\n'));
            }
        }
    }

    #[test]
    fn headers_expand_the_patterns() {
        let h = summary::FILE.header(&["compute.c.min_instances".to_string()]);
        assert_eq!(h[2], "parameter_compute.c.min_instances");
        let first_metric = h.iter().position(|c| c == METRICS[0].name).unwrap();
        assert_eq!(h[first_metric + 1], format!("{}_ci95", METRICS[0].name));
        assert_eq!(h.len(), 2 + 1 + 7 + 5 + 2 * METRICS.len());
        let r = replications::FILE.header(&[]);
        assert_eq!(r.len(), 2 + 7 + 4 + METRICS.len());
        assert!(!r.iter().any(|c| c.ends_with(CI95_SUFFIX)));
        let t = tradeoff::FILE.header(&[]);
        assert_eq!(
            t[3..9],
            [
                "cost_per_month_usd",
                "cost_per_month_usd_ci95",
                "idle_cost_per_month_usd",
                "idle_cost_per_month_usd_ci95",
                "wait_mean_s",
                "wait_mean_s_ci95"
            ]
        );
    }
}
