//! Numbers for people: dollars with thousands separators, durations in the unit that reads best,
//! shares as percentages, each optionally with the half-width of its 95% confidence interval.
//!
//! Every function takes the value as read from a CSV cell (`None` when the cell is empty or the
//! column is missing) and never invents a number: an undefined value prints as a dash.

/// What an undefined value (an empty CSV cell) prints as.
pub const NONE: &str = "–";

pub use super::number::group_thousands;

/// US dollars: whole dollars with thousands separators (`$12,340`), cents below $10 (`$0.58`).
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return NONE.into();
    }
    if x == 0.0 {
        return "$0".into();
    }
    if x.abs() < 10.0 {
        let s = format!("{:.2}", x.abs());
        let neg = x < 0.0 && s != "0.00";
        return format!("{}${s}", if neg { "-" } else { "" });
    }
    let whole = x.abs().round() as u64;
    format!(
        "{}${}",
        if x < 0.0 { "-" } else { "" },
        group_thousands(whole)
    )
}

/// A difference in dollars, always signed: `+$1,795`, `-$245`.
pub fn usd_signed(x: f64) -> String {
    let s = usd(x);
    if x.is_finite() && !s.starts_with('-') {
        format!("+{s}")
    } else {
        s
    }
}

/// A duration given in seconds, in the unit that reads best: `42 s`, `4.5 min`, `3.2 h`, `2.1 d`.
pub fn duration(s: f64) -> String {
    if !s.is_finite() {
        return NONE.into();
    }
    let a = s.abs();
    let sign = if s < 0.0 { "-" } else { "" };
    if a == 0.0 {
        "0 s".into()
    } else if a < 10.0 {
        format!("{sign}{a:.1} s")
    } else if a < 60.0 {
        format!("{sign}{a:.0} s")
    } else if a < 3600.0 {
        format!("{sign}{:.1} min", a / 60.0)
    } else if a < 48.0 * 3600.0 {
        format!("{sign}{:.1} h", a / 3600.0)
    } else {
        format!("{sign}{:.1} d", a / 86_400.0)
    }
}

/// A signed difference of durations: `+1.5 min`, `-17 s`.
pub fn duration_signed(s: f64) -> String {
    let d = duration(s);
    if s.is_finite() && s >= 0.0 {
        format!("+{d}")
    } else {
        d
    }
}

/// A share between 0 and 1 as a percentage: `91%`, `8.5%` (one decimal below 10%).
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return NONE.into();
    }
    let p = share * 100.0;
    if p.abs() < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A share as a percentage with the digits it takes to compare it with a small limit: two
/// significant digits below 1% (`0.043%`, `0.0012%`), one decimal below 10%, whole above; `0%`
/// only for nothing at all.
pub fn percent_fine(share: f64) -> String {
    if !share.is_finite() {
        return NONE.into();
    }
    let p = share * 100.0;
    let a = p.abs();
    if a == 0.0 {
        "0%".into()
    } else if a >= 10.0 {
        format!("{p:.0}%")
    } else if a >= 1.0 {
        format!("{p:.1}%")
    } else {
        // Two significant digits, at most 5 decimals (0.00001% is 1 in 10 million).
        let d = ((-a.log10()).ceil() as usize + 1).min(5);
        format!("{p:.d$}%")
    }
}

/// [`percent_fine`] with its interval at the share's precision: `0.043% ± 0.002%`.
pub fn percent_fine_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    let Some(m) = mean.filter(|m| m.is_finite()) else {
        return NONE.into();
    };
    let shown = percent_fine(m);
    match ci.filter(|c| c.is_finite() && *c > 0.0) {
        Some(c) if m != 0.0 => {
            let d = shown.split_once('.').map_or(0, |(_, f)| f.len() - 1);
            format!("{shown} ± {:.d$}%", c * 100.0)
        }
        _ => shown,
    }
}

/// A price per hour as the catalog gives it, to a tenth of a cent: `$0.526`, `$22.032`.
pub fn usd_per_hour(x: f64) -> String {
    if !x.is_finite() {
        return NONE.into();
    }
    format!("${}", {
        let s = format!("{:.3}", x.abs());
        let (whole, frac) = s.split_once('.').unwrap_or((&s, "000"));
        let whole = whole
            .parse::<u64>()
            .map_or(whole.to_string(), group_thousands);
        format!("{}{whole}.{frac}", if x < 0.0 { "-" } else { "" })
    })
}

/// The half-width of a share's interval, in percentage points: `0.2%`, `<0.1%`.
fn percent_points(ci: f64) -> String {
    let p = ci * 100.0;
    if p < 0.05 {
        "<0.1%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A plain number: whole with separators from 100 up, one decimal from 10, two below.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return NONE.into();
    }
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "" };
    if a >= 100.0 {
        format!("{sign}{}", group_thousands(a.round() as u64))
    } else if a >= 10.0 {
        format!("{sign}{a:.1}")
    } else {
        format!("{sign}{a:.2}")
    }
}

/// Digits after the point [`usd`] and [`number`] give a value of this size.
fn decimals(x: f64, whole_from: f64) -> usize {
    let a = x.abs();
    if a >= whole_from {
        0
    } else if a >= 10.0 && whole_from > 10.0 {
        1
    } else {
        2
    }
}

/// A half-width at the precision of its mean: `$2,180 ± $2`, not `± $2.00`.
fn usd_at(ci: f64, mean: f64) -> String {
    if decimals(mean, 10.0) == 0 {
        if ci < 0.5 {
            "<$1".into()
        } else {
            format!("${}", group_thousands(ci.round() as u64))
        }
    } else {
        usd(ci)
    }
}

fn number_at(ci: f64, mean: f64) -> String {
    match decimals(mean, 100.0) {
        0 if ci >= 100.0 => group_thousands(ci.round() as u64),
        d => format!("{ci:.d$}"),
    }
}

fn with_ci(mean: Option<f64>, ci: Option<f64>, f: impl Fn(f64) -> String) -> String {
    match (mean, ci) {
        (Some(m), Some(c)) if m.is_finite() && c.is_finite() => format!("{} ± {}", f(m), f(c)),
        (Some(m), _) if m.is_finite() => f(m),
        _ => NONE.into(),
    }
}

/// `$12,340 ± $166`, or `$12,340` when the interval is undefined (one replication).
pub fn usd_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    match (mean, ci) {
        (Some(m), Some(c)) if m.is_finite() && c.is_finite() => {
            format!("{} ± {}", usd(m), usd_at(c, m))
        }
        _ => with_ci(mean, None, usd),
    }
}

/// A signed difference in dollars with its interval: `+$1,795 ± $11`.
pub fn usd_signed_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    match (mean, ci) {
        (Some(m), Some(c)) if m.is_finite() && c.is_finite() => {
            format!("{} ± {}", usd_signed(m), usd_at(c, m))
        }
        (Some(m), _) if m.is_finite() => usd_signed(m),
        _ => NONE.into(),
    }
}

/// A dollar amount and its interval at the amount's precision: `$1,795 ± $11`.
pub fn usd_pm(amount: f64, ci: Option<f64>) -> String {
    match ci {
        Some(c) if c.is_finite() => format!("{} ± {}", usd(amount), usd_at(c, amount)),
        _ => usd(amount),
    }
}

/// `3.7 min ± 5.3 s`.
pub fn duration_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    with_ci(mean, ci, duration)
}

/// `91% ± 0.2%` (the interval in percentage points).
pub fn percent_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    match (mean, ci) {
        (Some(m), Some(c)) if m.is_finite() && c.is_finite() => {
            format!("{} ± {}", percent(m), percent_points(c))
        }
        (Some(m), _) => percent(m),
        _ => NONE.into(),
    }
}

/// `2,087 ± 29`.
pub fn number_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    match (mean, ci) {
        (Some(m), Some(c)) if m.is_finite() && c.is_finite() => {
            format!("{} ± {}", number(m), number_at(c, m))
        }
        _ => with_ci(mean, None, number),
    }
}

/// Milliseconds: `412 ± 9 ms`.
pub fn millis_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    let n = number_ci(mean, ci);
    if n == NONE { n } else { format!("{n} ms") }
}

/// Node-hours: `2,315 ± 54 h`.
pub fn node_hours_ci(mean: Option<f64>, ci: Option<f64>) -> String {
    let n = number_ci(mean, ci);
    if n == NONE { n } else { format!("{n} h") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars() {
        assert_eq!(usd(12_340.4), "$12,340");
        assert_eq!(usd(1_234_567.0), "$1,234,567");
        assert_eq!(usd(999.5), "$1,000");
        assert_eq!(usd(0.583), "$0.58");
        assert_eq!(usd(-245.0), "-$245");
        assert_eq!(usd(-0.001), "$0.00");
        assert_eq!(usd(f64::NAN), NONE);
        assert_eq!(usd_signed(1795.0), "+$1,795");
        assert_eq!(usd_signed(-17.0), "-$17");
        assert_eq!(usd_signed_ci(Some(47.3), Some(0.83)), "+$47 ± $1");
        assert_eq!(usd_pm(1795.0, Some(10.6)), "$1,795 ± $11");
        assert_eq!(usd_ci(Some(7082.0), Some(166.0)), "$7,082 ± $166");
        assert_eq!(usd_ci(Some(2180.0), Some(2.0)), "$2,180 ± $2");
        assert_eq!(usd_ci(Some(2180.0), Some(0.2)), "$2,180 ± <$1");
        assert_eq!(usd_ci(Some(3.21), Some(0.05)), "$3.21 ± $0.05");
        assert_eq!(usd_ci(Some(7082.0), None), "$7,082");
        assert_eq!(usd_ci(None, None), NONE);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(5.25), "5.2 s");
        assert_eq!(duration(42.0), "42 s");
        assert_eq!(duration(270.0), "4.5 min");
        assert_eq!(duration(3.2 * 3600.0), "3.2 h");
        assert_eq!(duration(3.0 * 86_400.0), "3.0 d");
        assert_eq!(duration_signed(-17.2), "-17 s");
        assert_eq!(duration_ci(Some(220.37), Some(5.33)), "3.7 min ± 5.3 s");
    }

    #[test]
    fn shares_and_numbers() {
        assert_eq!(percent(0.9147), "91%");
        assert_eq!(percent(0.0852), "8.5%");
        assert_eq!(percent_ci(Some(0.9147), Some(0.0017)), "91% ± 0.2%");
        assert_eq!(percent_ci(Some(0.5), Some(0.0001)), "50% ± <0.1%");
        assert_eq!(number(2087.1), "2,087");
        assert_eq!(number(3.3254), "3.33");
        assert_eq!(number(18.35), "18.4");
        assert_eq!(number_ci(Some(635.0), Some(10.9)), "635 ± 11");
        assert_eq!(number_ci(Some(635.0), Some(0.2)), "635 ± 0");
        assert_eq!(number_ci(Some(4.03), Some(0.001)), "4.03 ± 0.00");
        assert_eq!(node_hours_ci(Some(2705.0), Some(2.48)), "2,705 ± 2 h");
        // A 0.043% share beside a 0.1% limit must not read 0.0%.
        assert_eq!(percent_fine(0.00043), "0.043%");
        assert_eq!(percent_fine(0.001), "0.10%");
        assert_eq!(percent_fine(0.0000123), "0.0012%");
        assert_eq!(percent_fine(0.0123), "1.2%");
        assert_eq!(percent_fine(0.5), "50%");
        assert_eq!(percent_fine(0.0), "0%");
        assert_eq!(
            percent_fine_ci(Some(0.00043), Some(0.00002)),
            "0.043% ± 0.002%"
        );
        assert_eq!(percent_fine_ci(Some(0.0), Some(0.0)), "0%");
        assert_eq!(usd_per_hour(0.526), "$0.526");
        assert_eq!(usd_per_hour(1234.5), "$1,234.500");
    }
}
