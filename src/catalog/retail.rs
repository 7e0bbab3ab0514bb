//! The Azure Retail Prices API's responses, read into the price file capsim reads
//! ([`super::price_file`]).
//!
//! A response (<https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices>)
//! is a JSON page: `{ "BillingCurrency", "Items": [...], "NextPageLink": "...or null",
//! "Count" }`, at most 1,000 items a page, the next page at `NextPageLink`. Each item is one
//! meter's price: `armSkuName` (`Standard_D4s_v3`), `armRegionName` (`eastus`), `type`
//! (`Consumption`, `Reservation`, `DevTestConsumption`), `reservationTerm` (`1 Year`,
//! `3 Years`), `unitPrice` and `unitOfMeasure` (`1 Hour`; for a reservation `unitPrice` is the
//! whole term's price), `skuName` / `meterName` (containing `Spot` or `Low Priority` for those
//! meters), `productName` (containing `Windows` for Windows meters), `effectiveStartDate`, and,
//! with `api-version=2023-01-01-preview`, `savingsPlan: [{ "term", "unitPrice" }]` on
//! pay-as-you-go meters. A user fetches the pages for their regions and sizes and hands the
//! files to `capsim prices import`.
//!
//! What is kept: Linux Virtual Machines meters in US dollars. Windows meters (capsim models
//! Linux nodes) and Dev/Test prices are skipped and counted; of several prices of one meter the
//! latest `effectiveStartDate` wins.

use super::price_file as pf;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a page cannot be read: always with the file, and the line and column (JSON syntax) or
/// the JSON path (a field of the wrong shape).
#[derive(Debug, thiserror::Error)]
pub enum RetailError {
    #[error("{}: cannot read: {error}", file.display())]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}:{column}: not JSON: {message}", file.display())]
    Json {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {path}: {message}", file.display())]
    Field {
        file: PathBuf,
        path: String,
        message: String,
    },
}

/// Which price an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    PayAsYouGo,
    LowPriority,
    Spot,
    Reserved1y,
    Reserved3y,
    SavingsPlan1y,
    SavingsPlan3y,
}

/// One usable price of one page, US dollars per hour.
#[derive(Clone, Debug, PartialEq)]
pub struct Price {
    pub size: String,
    pub region: String,
    pub slot: Slot,
    pub usd_per_hour: f64,
    /// `YYYY-MM-DD` of `effectiveStartDate`.
    pub date: String,
    /// The page's file name.
    pub page: String,
}

/// A page read: its prices, what it skipped, and whether another page follows.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub prices: Vec<Price>,
    pub next_page: bool,
    pub skipped_windows: usize,
    pub skipped_devtest: usize,
    /// Items of other services or without a VM size.
    pub skipped_other: usize,
}

/// One row of the price file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriceRow {
    pub size: String,
    pub region: String,
    pub price_usd_per_hour: f64,
    pub low_priority_price_usd_per_hour: Option<f64>,
    pub spot_price_usd_per_hour: Option<f64>,
    pub reserved_1y_usd_per_hour: Option<f64>,
    pub reserved_3y_usd_per_hour: Option<f64>,
    pub savings_plan_1y_usd_per_hour: Option<f64>,
    pub savings_plan_3y_usd_per_hour: Option<f64>,
    pub source: String,
    pub price_date: String,
}

/// The pages turned into rows, and what the user should know.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub rows: Vec<PriceRow>,
    pub warnings: Vec<String>,
    pub skipped_windows: usize,
    pub skipped_devtest: usize,
    pub skipped_other: usize,
}

fn field(file: &Path, path: &str, message: impl Into<String>) -> RetailError {
    RetailError::Field {
        file: file.to_path_buf(),
        path: path.to_string(),
        message: message.into(),
    }
}

/// Reads one page file.
pub fn read_page(file: &Path) -> Result<Page, RetailError> {
    let text = std::fs::read_to_string(file).map_err(|error| RetailError::Read {
        file: file.to_path_buf(),
        error,
    })?;
    parse_page(file, &text)
}

/// Parses one page; `file` names it in errors and in each row's source.
pub fn parse_page(file: &Path, text: &str) -> Result<Page, RetailError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| RetailError::Json {
        file: file.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Some(top) = doc.as_object() else {
        return Err(field(
            file,
            "$",
            "a Retail Prices API response is an object with an Items array",
        ));
    };
    if let Some(c) = top.get("BillingCurrency").and_then(Value::as_str)
        && c != "USD"
    {
        return Err(field(
            file,
            "$.BillingCurrency",
            format!("is {c}: capsim's prices are US dollars (leave currencyCode out of the query)"),
        ));
    }
    let next_page = match top.get("NextPageLink") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => {
            return Err(field(
                file,
                "$.NextPageLink",
                "must be a link (a string) or null",
            ));
        }
    };
    let Some(items) = top.get("Items") else {
        return Err(field(file, "$.Items", "is missing"));
    };
    let Some(items) = items.as_array() else {
        return Err(field(file, "$.Items", "must be an array of price items"));
    };
    let page_name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let mut page = Page {
        next_page,
        ..Page::default()
    };
    for (i, item) in items.iter().enumerate() {
        let at = format!("$.Items[{i}]");
        let Some(o) = item.as_object() else {
            return Err(field(file, &at, "must be an object"));
        };
        let text = |k: &str| -> Result<Option<&str>, RetailError> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(field(file, &format!("{at}.{k}"), "must be a string")),
            }
        };
        let number = |v: Option<&Value>, path: &str| -> Result<f64, RetailError> {
            match v.and_then(Value::as_f64) {
                Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
                Some(x) => Err(field(file, path, format!("must be zero or more, got {x}"))),
                None => Err(field(file, path, "must be a number")),
            }
        };
        let service = text("serviceName")?;
        let (Some(size), true) = (
            text("armSkuName")?.filter(|s| !s.is_empty()),
            service.is_none_or(|s| s == "Virtual Machines"),
        ) else {
            page.skipped_other += 1;
            continue;
        };
        if let Some(c) = text("currencyCode")?
            && c != "USD"
        {
            return Err(field(
                file,
                &format!("{at}.currencyCode"),
                format!("is {c}: capsim's prices are US dollars"),
            ));
        }
        let Some(region) = text("armRegionName")? else {
            return Err(field(file, &format!("{at}.armRegionName"), "is missing"));
        };
        let kind = text("type")?.unwrap_or("Consumption");
        if kind == "DevTestConsumption" {
            page.skipped_devtest += 1;
            continue;
        }
        if text("productName")?.is_some_and(|p| p.contains("Windows")) {
            page.skipped_windows += 1;
            continue;
        }
        let unit_price = number(o.get("unitPrice"), &format!("{at}.unitPrice"))?;
        let date = match text("effectiveStartDate")? {
            Some(d) if crate::text::date::parse(d.get(..10).unwrap_or("")).is_some() => {
                d[..10].to_string()
            }
            Some(d) => {
                return Err(field(
                    file,
                    &format!("{at}.effectiveStartDate"),
                    format!("must be a date such as 2026-01-01T00:00:00Z, got `{d}`"),
                ));
            }
            None => String::new(),
        };
        let meter = format!(
            "{} {}",
            text("skuName")?.unwrap_or(""),
            text("meterName")?.unwrap_or("")
        );
        let mut push = |slot, usd_per_hour| {
            page.prices.push(Price {
                size: size.to_string(),
                region: region.to_ascii_lowercase(),
                slot,
                usd_per_hour,
                date: date.clone(),
                page: page_name.clone(),
            })
        };
        match kind {
            "Consumption" => {
                let unit = text("unitOfMeasure")?.unwrap_or("1 Hour");
                if unit != "1 Hour" {
                    return Err(field(
                        file,
                        &format!("{at}.unitOfMeasure"),
                        format!("is `{unit}`: a VM meter is priced per `1 Hour`"),
                    ));
                }
                let slot = if meter.contains("Spot") {
                    Slot::Spot
                } else if meter.contains("Low Priority") {
                    Slot::LowPriority
                } else {
                    Slot::PayAsYouGo
                };
                push(slot, unit_price);
                if slot == Slot::PayAsYouGo
                    && let Some(plans) = o.get("savingsPlan")
                {
                    let Some(plans) = plans.as_array() else {
                        return Err(field(
                            file,
                            &format!("{at}.savingsPlan"),
                            "must be an array of { term, unitPrice }",
                        ));
                    };
                    for (j, plan) in plans.iter().enumerate() {
                        let here = format!("{at}.savingsPlan[{j}]");
                        let slot = match plan.get("term").and_then(Value::as_str) {
                            Some("1 Year") => Slot::SavingsPlan1y,
                            Some("3 Years") => Slot::SavingsPlan3y,
                            // Other terms (5 years) are not offered for compute plans capsim
                            // compares; a term of another shape is an error.
                            Some(_) => continue,
                            None => {
                                return Err(field(
                                    file,
                                    &format!("{here}.term"),
                                    "must be \"1 Year\" or \"3 Years\"",
                                ));
                            }
                        };
                        let p = number(plan.get("unitPrice"), &format!("{here}.unitPrice"))?;
                        push(slot, p);
                    }
                }
            }
            "Reservation" => {
                let (slot, years) = match text("reservationTerm")? {
                    Some("1 Year") => (Slot::Reserved1y, 1),
                    Some("3 Years") => (Slot::Reserved3y, 3),
                    Some(t) if t.contains("Year") => continue, // 5 years: not compared
                    t => {
                        return Err(field(
                            file,
                            &format!("{at}.reservationTerm"),
                            format!(
                                "must be \"1 Year\" or \"3 Years\" for a reservation, got {}",
                                t.map_or("nothing".to_string(), |t| format!("`{t}`"))
                            ),
                        ));
                    }
                };
                // A reservation's unitPrice is the price of the whole term, whatever the unit.
                push(slot, unit_price / pf::term_hours(years));
            }
            other => {
                return Err(field(
                    file,
                    &format!("{at}.type"),
                    format!(
                        "unknown type `{other}` (Consumption, Reservation or DevTestConsumption)"
                    ),
                ));
            }
        }
    }
    Ok(page)
}

/// Turns read pages into price rows, sorted by region and size.
pub fn import(pages: &[Page]) -> Imported {
    let mut out = Imported::default();
    // (region, size) -> slot -> the price with the latest date.
    let mut best: BTreeMap<(String, String), BTreeMap<Slot, Price>> = BTreeMap::new();
    for page in pages {
        out.skipped_windows += page.skipped_windows;
        out.skipped_devtest += page.skipped_devtest;
        out.skipped_other += page.skipped_other;
        for p in &page.prices {
            let slots = best
                .entry((p.region.clone(), p.size.to_ascii_lowercase()))
                .or_default();
            match slots.get(&p.slot) {
                Some(q) if q.date >= p.date => {}
                _ => {
                    slots.insert(p.slot, p.clone());
                }
            }
        }
    }
    if !pages.is_empty() && pages.iter().all(|p| p.next_page) {
        out.warnings.push(
            "every page links to a next one (NextPageLink): the last page of the query is missing, so some sizes may be too; fetch it and import again".into(),
        );
    }
    let mut no_payg = vec![];
    for ((region, _), slots) in best {
        let Some(payg) = slots.get(&Slot::PayAsYouGo) else {
            if let Some(p) = slots.values().next() {
                no_payg.push(format!("{} in {region}", p.size));
            }
            continue;
        };
        let get = |s: Slot| slots.get(&s).map(|p| p.usd_per_hour);
        let mut pages: Vec<&str> = slots.values().map(|p| p.page.as_str()).collect();
        pages.sort_unstable();
        pages.dedup();
        out.rows.push(PriceRow {
            size: payg.size.clone(),
            region,
            price_usd_per_hour: payg.usd_per_hour,
            low_priority_price_usd_per_hour: get(Slot::LowPriority),
            spot_price_usd_per_hour: get(Slot::Spot),
            reserved_1y_usd_per_hour: get(Slot::Reserved1y),
            reserved_3y_usd_per_hour: get(Slot::Reserved3y),
            savings_plan_1y_usd_per_hour: get(Slot::SavingsPlan1y),
            savings_plan_3y_usd_per_hour: get(Slot::SavingsPlan3y),
            source: format!("Azure Retail Prices API ({})", pages.join(" ")),
            price_date: payg.date.clone(),
        });
    }
    if !no_payg.is_empty() {
        out.warnings.push(format!(
            "no Linux pay-as-you-go price for {}: left out (the price file needs one per row)",
            no_payg.join(", ")
        ));
    }
    out
}

/// The price file's text: the header of [`pf::COLUMNS`], one row per price row.
pub fn to_csv(rows: &[PriceRow]) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    w.write_record(pf::COLUMNS).expect("writing to memory");
    for r in rows {
        w.write_record([
            r.size.clone(),
            r.region.clone(),
            r.price_usd_per_hour.to_string(),
            opt(r.low_priority_price_usd_per_hour),
            opt(r.spot_price_usd_per_hour),
            opt(r.reserved_1y_usd_per_hour),
            opt(r.reserved_3y_usd_per_hour),
            opt(r.savings_plan_1y_usd_per_hour),
            opt(r.savings_plan_3y_usd_per_hour),
            r.source.clone(),
            r.price_date.clone(),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}
