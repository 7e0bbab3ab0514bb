//! The scenario-wide fields: name, horizon, warm-up, replications, seed, sampling, start date,
//! and the prices, discount and quota every target is checked against.

use super::super::raw::{RawScenario, Warmup};
use super::super::{
    DEFAULT_REPLICATIONS, DEFAULT_SAMPLE_INTERVAL_S, DEFAULT_SEED, LoadOptions, MAX_REPLICATIONS,
};
use super::{Checker, Context, family_key, prices};
use crate::catalog::Catalog;
use crate::engine::time::from_secs_f64;
use crate::text::date;
use crate::text::duration::format_duration;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// The scenario's own settings; a duration is `None` after an error.
pub(super) struct Settings {
    pub(super) name: String,
    pub(super) horizon: Option<f64>,
    pub(super) warmup: Option<f64>,
    /// `warmup = "auto"` (then `warmup` is 0).
    pub(super) warmup_auto: bool,
    pub(super) replications: u64,
    pub(super) auto_replications: Option<crate::scenario::AutoReplications>,
    pub(super) seed: u64,
    pub(super) sample_interval: Option<f64>,
    /// Days since 1970-01-01 of simulated time zero.
    pub(super) start_day: i64,
}

/// Reads the scenario's own settings; the defaults stand in for values with errors.
pub(super) fn read(
    c: &mut Checker,
    path: &Path,
    raw: &RawScenario,
    options: &LoadOptions,
) -> Settings {
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            c.error(n.span().start, "name", "must not be empty");
            String::new()
        }
        Some(n) => n.get_ref().clone(),
        None => path
            .file_stem()
            .map_or("scenario".into(), |s| s.to_string_lossy().into_owned()),
    };
    let (horizon, warmup) = run_length(c, raw);
    let warmup_auto = raw
        .warmup
        .as_ref()
        .is_some_and(|w| *w.get_ref() == Warmup::Auto);
    let (replications, auto_replications) = replications(c, raw);
    let seed = c.int(&raw.seed, "seed", DEFAULT_SEED, 0, i64::MAX as u64);
    let sample_interval = match &raw.sample_interval {
        Some(s) => c.dur(s, "sample_interval", false),
        None => Some(DEFAULT_SAMPLE_INTERVAL_S),
    };
    let start_day = start_day(c, raw, options);
    Settings {
        name,
        horizon,
        warmup,
        warmup_auto,
        replications,
        auto_replications,
        seed,
        sample_interval,
        start_day,
    }
}

/// `replications`: a count, or `"auto"` with `precision` and `max_replications` (which mean
/// nothing without it).
fn replications(
    c: &mut Checker,
    raw: &RawScenario,
) -> (u64, Option<crate::scenario::AutoReplications>) {
    use crate::scenario::raw::RawReplications;
    use crate::scenario::{
        AUTO_DEFAULT_MAX, AUTO_DEFAULT_PRECISION, AUTO_FIRST_BATCH, AutoReplications,
    };
    let auto = match &raw.replications {
        Some(r) => match r.get_ref() {
            RawReplications::Word(w) if w == "auto" => true,
            RawReplications::Word(w) => {
                c.error(
                    r.span().start,
                    "replications",
                    format!("must be a whole number or \"auto\", got \"{w}\""),
                );
                false
            }
            RawReplications::Count(_) => false,
        },
        None => false,
    };
    if !auto {
        for (at, key) in [
            (raw.precision.as_ref().map(|p| p.span().start), "precision"),
            (
                raw.max_replications.as_ref().map(|p| p.span().start),
                "max_replications",
            ),
        ] {
            if let Some(at) = at {
                // A warning, not an error: `--replications N` on an "auto" scenario leaves them.
                c.warn(
                    at,
                    key,
                    "is only read with replications = \"auto\": ignored with a count",
                );
            }
        }
        let count = raw.replications.as_ref().and_then(|r| match r.get_ref() {
            RawReplications::Count(n) => Some(toml::Spanned::new(r.span(), *n)),
            RawReplications::Word(_) => None,
        });
        let n = c.int(
            &count,
            "replications",
            DEFAULT_REPLICATIONS,
            1,
            MAX_REPLICATIONS,
        );
        return (n, None);
    }
    let max = c.int(
        &raw.max_replications,
        "max_replications",
        AUTO_DEFAULT_MAX,
        AUTO_FIRST_BATCH,
        MAX_REPLICATIONS,
    );
    let precision = match &raw.precision {
        None => AUTO_DEFAULT_PRECISION,
        Some(p) => {
            let x = *p.get_ref();
            if x > 0.0 && x < 1.0 {
                x
            } else {
                c.error(
                    p.span().start,
                    "precision",
                    format!("must be a relative half-width between 0 and 1, such as 0.05, got {x}"),
                );
                AUTO_DEFAULT_PRECISION
            }
        }
    };
    (AUTO_FIRST_BATCH, Some(AutoReplications { precision, max }))
}

/// The required `horizon`, and the `warmup` that must end before it.
fn run_length(c: &mut Checker, raw: &RawScenario) -> (Option<f64>, Option<f64>) {
    let horizon = match &raw.horizon {
        Some(h) => c.dur(h, "horizon", false),
        None => {
            c.error(
                0,
                "horizon",
                "is required: how much time to simulate, e.g. horizon = \"30d\"",
            );
            None
        }
    };
    let warmup = match raw.warmup.as_ref().map(|w| (w, *w.get_ref())) {
        Some((w, Warmup::Fixed(d))) => c.dur(&Spanned::new(w.span(), d), "warmup", true),
        Some((_, Warmup::Auto)) | None => Some(0.0),
    };
    // Compared in the engine's whole microseconds, as the simulation will see them.
    if let (Some(h), Some(w), Some(ws)) = (horizon, warmup, &raw.warmup)
        && from_secs_f64(w) >= from_secs_f64(h)
    {
        c.error(
            ws.span().start,
            "warmup",
            format!(
                "must be shorter than the horizon ({}), got {}",
                format_duration(h),
                format_duration(w)
            ),
        );
    }
    (horizon, warmup)
}

/// `start_date` as days since 1970-01-01; today (or the caller's today) when absent or wrong.
fn start_day(c: &mut Checker, raw: &RawScenario, options: &LoadOptions) -> i64 {
    let today = || options.today.unwrap_or_else(date::today);
    let Some(d) = &raw.start_date else {
        return today();
    };
    match d.get_ref().date.filter(|_| d.get_ref().time.is_none()) {
        Some(dt) => date::days_from_civil(dt.year as i64, dt.month as u32, dt.day as u32),
        None => {
            c.error(
                d.span().start,
                "start_date",
                "must be a date such as 2026-12-01 (no time of day)",
            );
            today()
        }
    }
}

/// What the targets are checked against: the scenario's folder, the catalog, the price list
/// (`--prices` replaces the scenario's own), the discount, the dates and the quota.
pub(super) fn context<'a>(
    c: &mut Checker,
    raw: &RawScenario,
    options: &LoadOptions,
    dir: &'a Path,
    settings: &Settings,
) -> Context<'a> {
    let prices = match (&options.prices_file, &raw.prices) {
        (Some(file), _) => load_prices(c, file, None),
        (None, Some(p)) => load_prices(c, &dir.join(p.get_ref()), Some(p.span().start)),
        (None, None) => None,
    };
    let discount = discount(c, raw);
    let region = match &raw.region {
        Some(r) => region(c, r, "region"),
        None => crate::targets::defaults::DEFAULT_REGION.to_string(),
    };
    let catalog = Catalog::builtin();
    let start_day = settings.start_day;
    Context {
        dir,
        catalog,
        prices,
        discount,
        region,
        start_day,
        end_day: settings
            .horizon
            .map(|h| start_day + (h / 86_400.0).ceil() as i64),
        quota: quota_table(c, raw, catalog),
        quota_use: BTreeMap::new(),
        commitments: Default::default(),
    }
}

/// A region as Azure's `armRegionName` spells it: `East US` and `eastus` are the same.
pub(super) fn region(c: &mut Checker, r: &toml::Spanned<String>, field: &str) -> String {
    let name: String = r
        .get_ref()
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        c.error_hint(
            r.span().start,
            field,
            format!("`{}` is not an Azure region name", r.get_ref()),
            "use the region's armRegionName, e.g. \"eastus\" or \"westeurope\"".into(),
        );
        return crate::targets::defaults::DEFAULT_REGION.to_string();
    }
    name
}

/// `discount`: a fraction off every catalog price; none after an error.
fn discount(c: &mut Checker, raw: &RawScenario) -> f64 {
    let Some(d) = &raw.discount else {
        return 0.0;
    };
    let x = *d.get_ref();
    if (0.0..1.0).contains(&x) {
        x
    } else {
        c.error(
            d.span().start,
            "discount",
            format!("must be a fraction from 0 (none) to below 1, e.g. 0.2 for 20% off; got {x}"),
        );
        0.0
    }
}

/// `[quota]`: vCPUs by family (a catalog series, or `low_priority`), keyed by [`family_key`],
/// with where each is written and its name as written.
fn quota_table(
    c: &mut Checker,
    raw: &RawScenario,
    catalog: &Catalog,
) -> BTreeMap<String, (u64, usize, String)> {
    let mut quota = BTreeMap::new();
    let Some(q) = &raw.quota else {
        return quota;
    };
    let families: BTreeMap<String, &str> = catalog
        .sizes()
        .iter()
        .map(|s| (family_key(&s.series), s.series.as_str()))
        .collect();
    for (family_at, v) in q.get_ref() {
        let at = v.span().start;
        let family = family_at.get_ref();
        let field = format!("quota.{family}");
        let key = family_key(family);
        if key != "lowpriority" && !families.contains_key(&key) {
            let best = families
                .values()
                .min_by_key(|n| crate::catalog::edit_distance(&key, &family_key(n)))
                .copied()
                .unwrap_or_default();
            c.error_hint(
                family_at.span().start,
                &field,
                format!("`{family}` is not a VM family of the catalog"),
                format!(
                    "use a series name such as `{best}`, or `low_priority` for the low-priority quota"
                ),
            );
            continue;
        }
        let n = *v.get_ref();
        if n < 0 {
            c.error(
                at,
                &field,
                format!("must be a vCPU count of zero or more, got {n}"),
            );
            continue;
        }
        quota.insert(key, (n as u64, at, family.clone()));
    }
    quota
}
/// Loads a price list, attaching its errors (which name the CSV's own lines) to the scenario's.
fn load_prices(c: &mut Checker, file: &Path, at: Option<usize>) -> Option<prices::PriceTable> {
    match prices::load(file) {
        Ok(t) => Some(t),
        Err(errors) => {
            if let Some(at) = at {
                c.error(
                    at,
                    "prices",
                    format!("the price list {} has errors (below)", file.display()),
                );
            }
            c.diags.extend(errors);
            None
        }
    }
}
