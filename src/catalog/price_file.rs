//! The price file capsim reads (`prices = "..."` in a scenario, `--prices`) and
//! `capsim prices import` writes: one row per VM size and region, US dollars per node-hour.
//!
//! Only `size` and `price_usd_per_hour` are required, so the first format
//! (`size,price_usd_per_hour[,low_priority_price_usd_per_hour]`) still reads; every other column
//! is optional and may be empty. A row without a `region` prices the size in every region.

/// Every column, in the order `capsim prices import` writes them.
pub const COLUMNS: [&str; 11] = [
    SIZE,
    REGION,
    PRICE,
    LOW_PRIORITY,
    SPOT,
    RESERVED_1Y,
    RESERVED_3Y,
    SAVINGS_PLAN_1Y,
    SAVINGS_PLAN_3Y,
    SOURCE,
    PRICE_DATE,
];

pub const SIZE: &str = "size";
/// Azure's `armRegionName` (`eastus`).
pub const REGION: &str = "region";
/// Linux pay-as-you-go.
pub const PRICE: &str = "price_usd_per_hour";
/// The Low Priority meter (Azure Batch's legacy offer), the low-priority price before
/// 31 March 2026.
pub const LOW_PRIORITY: &str = "low_priority_price_usd_per_hour";
/// The Spot meter: the price a low-priority node is billed at from 31 March 2026 (it varies).
pub const SPOT: &str = "spot_price_usd_per_hour";
/// A reservation's price per hour of its term (1 year = 8,760 h, 3 years = 26,280 h).
pub const RESERVED_1Y: &str = "reserved_1y_usd_per_hour";
pub const RESERVED_3Y: &str = "reserved_3y_usd_per_hour";
/// A savings plan's hourly rate for this size.
pub const SAVINGS_PLAN_1Y: &str = "savings_plan_1y_usd_per_hour";
pub const SAVINGS_PLAN_3Y: &str = "savings_plan_3y_usd_per_hour";
/// Where the row's prices come from, and from which date they hold (`YYYY-MM-DD`).
pub const SOURCE: &str = "source";
pub const PRICE_DATE: &str = "price_date";

/// Hours in a reservation term of `years` years (12 months of 730 hours a year).
pub fn term_hours(years: u32) -> f64 {
    years as f64 * 12.0 * super::HOURS_PER_MONTH
}

/// What commitments cost for one dedicated cluster's VM size in its region, US dollars per
/// hour: the pay-as-you-go price it is billed at, and the reservation and savings-plan prices a
/// price file gives (`None`: no price is known, and capsim does not invent one).
#[derive(Clone, Debug, PartialEq)]
pub struct CommitmentPrices {
    pub size: String,
    pub region: String,
    pub payg_usd_per_hour: f64,
    pub reserved_1y_usd_per_hour: Option<f64>,
    pub reserved_3y_usd_per_hour: Option<f64>,
    pub savings_plan_1y_usd_per_hour: Option<f64>,
    pub savings_plan_3y_usd_per_hour: Option<f64>,
    /// Where the commitment prices come from (the price file and its row's source and date),
    /// or why there are none.
    pub source: String,
}
