//! The VM catalog: sizes of the series Azure ML supports, with specs and prices as data.
//!
//! The table lives in `vm_catalog.csv` beside this file (compiled in, so the binary needs no
//! data files) and every price row names its source, region and date. See `SOURCES.md` for how
//! it was gathered and which values are doubtful.

pub mod list;

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Hours in the month every monthly figure is quoted for (`cost_per_month_usd`, a budget per
/// month, the sizing table's monthly cost): 730, as Azure's pricing calculator counts a month
/// (365 days × 24 h / 12; azure.microsoft.com/pricing/calculator, its FAQ "How are monthly
/// costs calculated?"), so that capsim's monthly figures compare with the calculator's and a
/// list price × 730 is the monthly bill of a node that never stops.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The CSV shipped with capsim.
pub const CATALOG_CSV: &str = include_str!("vm_catalog.csv");

#[derive(Clone, Debug, Deserialize)]
pub struct VmSize {
    pub series: String,
    pub size: String,
    pub vcpus: u32,
    pub memory_gib: f64,
    pub gpus: u32,
    pub gpu_model: String,
    pub gpu_memory_gib: Option<f64>,
    pub gpu_arch: String,
    pub min_cuda: String,
    pub temp_storage_gib: String,
    pub category: String,
    pub isolated: String,
    /// `YYYY-MM-DD`, empty when no retirement is known.
    pub retired_on: String,
    /// `retired`, `announced` or empty.
    pub retirement_status: String,
    /// Linux pay-as-you-go list price.
    pub price_usd_per_hour: Option<f64>,
    pub low_priority_price_usd_per_hour: Option<f64>,
    pub price_region: String,
    pub price_date: String,
    pub price_source: String,
    pub low_priority_price_source: String,
}

pub struct Catalog {
    sizes: Vec<VmSize>,
    by_name: HashMap<String, usize>,
}

impl Catalog {
    pub fn parse(csv_text: &str) -> Result<Catalog, csv::Error> {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let sizes: Vec<VmSize> = reader.deserialize().collect::<Result<_, _>>()?;
        let by_name = sizes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.size.to_ascii_lowercase(), i))
            .collect();
        Ok(Catalog { sizes, by_name })
    }

    /// The catalog compiled into capsim.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::parse(CATALOG_CSV).expect("the bundled catalog is valid (tested)")
        })
    }

    /// Looks a size up case-insensitively: Azure ML's SDK sends `STANDARD_DS3_V2`.
    pub fn get(&self, size: &str) -> Option<&VmSize> {
        self.by_name
            .get(&size.to_ascii_lowercase())
            .map(|&i| &self.sizes[i])
    }

    pub fn sizes(&self) -> &[VmSize] {
        &self.sizes
    }

    /// Catalog names closest to `size` (edit distance), for "did you mean" hints.
    pub fn closest(&self, size: &str, n: usize) -> Vec<&str> {
        let wanted = size.to_ascii_lowercase();
        let mut scored: Vec<(usize, &str)> = self
            .sizes
            .iter()
            .map(|s| {
                (
                    edit_distance(&wanted, &s.size.to_ascii_lowercase()),
                    s.size.as_str(),
                )
            })
            .collect();
        scored.sort();
        scored.into_iter().take(n).map(|(_, s)| s).collect()
    }
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_parses_and_matches_reference_prices() {
        let c = Catalog::builtin();
        assert_eq!(c.sizes().len(), 161);
        // Spot-checked list prices, East US Linux (see SOURCES.md).
        let nc6 = c.get("STANDARD_NC6S_V3").unwrap();
        assert_eq!(nc6.price_usd_per_hour, Some(3.06));
        assert_eq!(nc6.gpus, 1);
        assert_eq!(
            c.get("Standard_D2s_v3").unwrap().price_usd_per_hour,
            Some(0.096)
        );
    }

    #[test]
    fn closest_names_suggest_typos() {
        let c = Catalog::builtin();
        assert_eq!(c.closest("standard_nc6sv3", 1), vec!["Standard_NC6s_v3"]);
    }
}
