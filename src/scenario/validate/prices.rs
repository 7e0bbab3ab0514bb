//! User price lists: a CSV of `size,price_usd_per_hour[,low_priority_price_usd_per_hour]`.

use crate::text::diagnostic::{Diagnostic, Severity};
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct UserPrice {
    pub price_usd_per_hour: f64,
    pub low_priority_price_usd_per_hour: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct PriceTable {
    /// How outputs name this source: the file's path.
    pub source: String,
    by_size: HashMap<String, UserPrice>,
}

impl PriceTable {
    /// The row of a size, in any case.
    pub fn get(&self, size: &str) -> Option<&UserPrice> {
        self.by_size.get(&size.to_ascii_lowercase())
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
    let lp_col = col("low_priority_price_usd_per_hour");
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
        let lp = match lp_col {
            Some(c) if !rec.get(c).unwrap_or("").is_empty() => {
                number(c, "low_priority_price_usd_per_hour", &mut errors)
            }
            _ => None,
        };
        if let Some(p) = price {
            let previous = by_size.insert(
                size.to_ascii_lowercase(),
                UserPrice {
                    price_usd_per_hour: p,
                    low_priority_price_usd_per_hour: lp,
                },
            );
            if previous.is_some() {
                errors.push(diag(
                    path,
                    line,
                    "size",
                    format!("`{size}` is priced twice"),
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
