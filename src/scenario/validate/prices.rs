//! User price lists: the CSV of [`crate::catalog::price_file`] (at least
//! `size,price_usd_per_hour`; a region, the low-priority, Spot, reservation and savings-plan
//! prices, source and date when given).

use crate::catalog::price_file as pf;
use crate::text::diagnostic::{Diagnostic, Severity};
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct UserPrice {
    pub price_usd_per_hour: f64,
    pub low_priority_price_usd_per_hour: Option<f64>,
    pub spot_price_usd_per_hour: Option<f64>,
    pub reserved_1y_usd_per_hour: Option<f64>,
    pub reserved_3y_usd_per_hour: Option<f64>,
    pub savings_plan_1y_usd_per_hour: Option<f64>,
    pub savings_plan_3y_usd_per_hour: Option<f64>,
    /// The row's own source and date, when the file gives them.
    pub source: Option<String>,
    pub price_date: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PriceTable {
    /// How outputs name this source: the file's path.
    pub source: String,
    /// By (region, lowercase size); region "" for rows that price every region.
    by_size: HashMap<(String, String), UserPrice>,
}

impl PriceTable {
    /// The row of a size, in any case, in `region` (else a row without a region).
    pub fn get(&self, region: &str, size: &str) -> Option<&UserPrice> {
        let size = size.to_ascii_lowercase();
        self.by_size
            .get(&(region.to_string(), size.clone()))
            .or_else(|| self.by_size.get(&(String::new(), size)))
    }

    /// The regions the list prices (rows without one aside).
    pub fn regions(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self
            .by_size
            .keys()
            .map(|k| k.0.as_str())
            .filter(|r| !r.is_empty())
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    }
}

/// An error about a row of the price list (its own file and line).
fn diag(path: &Path, line: usize, field: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line,
        column: 1,
        field: field.into(),
        message,
        hint: None,
    }
}

/// Reads a price list; every bad row is reported with its line.
pub fn load(path: &Path) -> Result<PriceTable, Vec<Diagnostic>> {
    let mut reader = crate::text::input::open(path, crate::text::input::TABLE)
        .map(|file| {
            csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(file)
        })
        .map_err(|e| {
            vec![diag(
                path,
                0,
                "prices",
                format!("cannot read price list: {e}"),
            )]
        })?;
    let headers = reader
        .headers()
        .map_err(|e| vec![diag(path, 1, "prices", format!("{e}"))])?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(size_col), Some(price_col)) = (col("size"), col("price_usd_per_hour")) else {
        return Err(vec![diag(
            path,
            1,
            "header",
            format!(
                "a price list needs the columns size,price_usd_per_hour[,low_priority_price_usd_per_hour]; got {}",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        )]);
    };
    let optional = [
        pf::LOW_PRIORITY,
        pf::SPOT,
        pf::RESERVED_1Y,
        pf::RESERVED_3Y,
        pf::SAVINGS_PLAN_1Y,
        pf::SAVINGS_PLAN_3Y,
    ]
    .map(|name| (name, col(name)));
    let (region_col, source_col, date_col) =
        (col(pf::REGION), col(pf::SOURCE), col(pf::PRICE_DATE));
    let mut errors = vec![];
    let mut by_size = HashMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| p.line() as usize);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(diag(path, line, "row", e.to_string()));
                continue;
            }
        };
        let size = rec.get(size_col).unwrap_or("").to_string();
        if size.is_empty() {
            errors.push(diag(path, line, "size", "is empty".into()));
            continue;
        }
        let number = |c: usize, field: &str, errors: &mut Vec<Diagnostic>| -> Option<f64> {
            let cell = rec.get(c).unwrap_or("");
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    errors.push(diag(
                        path,
                        line,
                        field,
                        format!("must be a price of zero or more, got `{cell}`"),
                    ));
                    None
                }
            }
        };
        let price = number(price_col, "price_usd_per_hour", &mut errors);
        let [lp, spot, r1, r3, sp1, sp3] = optional.map(|(name, c)| match c {
            Some(c) if !rec.get(c).unwrap_or("").is_empty() => number(c, name, &mut errors),
            _ => None,
        });
        let text = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let region = text(region_col)
            .map(|r| r.replace(' ', "").to_ascii_lowercase())
            .unwrap_or_default();
        let price_date = text(date_col);
        if let Some(d) = &price_date
            && crate::text::date::parse(d).is_none()
        {
            errors.push(diag(
                path,
                line,
                pf::PRICE_DATE,
                format!("must be a date such as 2026-11-01, got `{d}`"),
            ));
        }
        if let Some(p) = price {
            let previous = by_size.insert(
                (region.clone(), size.to_ascii_lowercase()),
                UserPrice {
                    price_usd_per_hour: p,
                    low_priority_price_usd_per_hour: lp,
                    spot_price_usd_per_hour: spot,
                    reserved_1y_usd_per_hour: r1,
                    reserved_3y_usd_per_hour: r3,
                    savings_plan_1y_usd_per_hour: sp1,
                    savings_plan_3y_usd_per_hour: sp3,
                    source: text(source_col),
                    price_date,
                },
            );
            if previous.is_some() {
                let where_ = if region.is_empty() {
                    String::new()
                } else {
                    format!(" in {region}")
                };
                errors.push(diag(
                    path,
                    line,
                    "size",
                    format!("`{size}` is priced twice{where_}"),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(PriceTable {
            source: path.display().to_string(),
            by_size,
        })
    } else {
        Err(errors)
    }
}
