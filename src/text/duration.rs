//! Durations as humans write them: `"90s"`, `"5m"`, `"2h"`, `"30d"`, `"1h30m"`, `"200ms"`; a
//! bare number is seconds. ISO 8601 durations (`"PT5M"`, `"PT1H30M"`, `"P1D"`, `"PT0.5S"`) are
//! read too, because Azure writes them (REST APIs, Azure Monitor autoscale, the compute
//! instance's `idle_time_before_shutdown`), so a value copied from Azure needs no rewriting.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A duration in seconds as written in a scenario (sign kept, so that range checks can name the
/// field instead of failing in the parser).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dur(pub f64);

/// Parses a duration string into seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(v) = s.parse::<f64>() {
        return Ok(v);
    }
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest.trim_start()),
        None => (1.0, s),
    };
    if let Some(iso) = body.strip_prefix('P') {
        return parse_iso8601(text, iso).map(|v| sign * v);
    }
    if body.is_empty() {
        return Err(format!("`{text}` is not a duration: a sign needs a number"));
    }
    let mut total = 0.0;
    let mut rest = body;
    let mut parts = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!(
                "`{text}` is not a duration: expected a number before `{rest}`"
            ));
        }
        let number: f64 = rest[..num_len].replace('_', "").parse().map_err(|_| {
            format!(
                "`{text}` is not a duration: bad number `{}`",
                &rest[..num_len]
            )
        })?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let scale = match unit {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "w" | "week" | "weeks" => 604_800.0,
            "" => {
                return Err(format!(
                    "`{text}` is not a duration: a number needs a unit (ms, s, m, h, d or w) unless it stands alone"
                ));
            }
            other => {
                return Err(format!(
                    "`{text}` is not a duration: unknown unit `{other}` (use ms, s, m, h, d or w)"
                ));
            }
        };
        total += number * scale;
        rest = rest[unit_len..].trim_start();
        parts += 1;
    }
    debug_assert!(parts > 0);
    Ok(sign * total)
}

/// The part of an ISO 8601 duration after its `P`: `nW`, or `[nD][T[nH][nM][nS]]`. Only the
/// last number may have a fraction (`PT0.5S`, `PT1.5H`), as the standard says. Years and months
/// are refused: their length depends on the calendar, and a simulation needs seconds.
fn parse_iso8601(text: &str, iso: &str) -> Result<f64, String> {
    let bad = |why: &str| format!("`{text}` is not an ISO 8601 duration: {why}");
    if iso.is_empty() {
        return Err(bad("nothing after `P` (e.g. PT5M, P1D)"));
    }
    let (date, time) = match iso.split_once('T') {
        Some((_, "")) => return Err(bad("nothing after `T` (e.g. PT5M)")),
        Some((d, t)) => (d, Some(t)),
        None => (iso, None),
    };
    let mut total = 0.0;
    let mut fraction_seen = false;
    for (part, in_time) in [(date, false), (time.unwrap_or(""), true)] {
        let mut rest = part;
        // Each designator may appear once, in this order.
        let mut order: &[char] = if in_time {
            &['H', 'M', 'S']
        } else {
            &['Y', 'M', 'W', 'D']
        };
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
                .unwrap_or(rest.len());
            if num_len == 0 {
                return Err(bad(&format!("expected a number before `{rest}`")));
            }
            let digits = rest[..num_len].replace(',', ".");
            let number: f64 = digits
                .parse()
                .map_err(|_| bad(&format!("bad number `{}`", &rest[..num_len])))?;
            let Some(unit) = rest[num_len..].chars().next() else {
                return Err(bad(&format!("`{}` needs a designator", &rest[..num_len])));
            };
            if fraction_seen {
                return Err(bad("only the last number may have a fraction"));
            }
            fraction_seen = digits.contains('.');
            let scale = match (in_time, unit) {
                (false, 'Y') => {
                    return Err(bad(
                        "years have no fixed length (365 or 366 days): write days, e.g. P365D",
                    ));
                }
                (false, 'M') => {
                    return Err(bad(
                        "months have no fixed length (28 to 31 days): write days, e.g. P30D, or minutes as PT...M",
                    ));
                }
                (false, 'W') => 604_800.0,
                (false, 'D') => 86_400.0,
                (true, 'H') => 3600.0,
                (true, 'M') => 60.0,
                (true, 'S') => 1.0,
                (false, 'H' | 'S') => {
                    return Err(bad(&format!(
                        "hours and seconds come after `T` (e.g. PT{}{unit})",
                        &rest[..num_len]
                    )));
                }
                (true, 'D' | 'W') => {
                    return Err(bad("days and weeks come before `T` (e.g. P1DT12H)"));
                }
                (_, other) => {
                    return Err(bad(&format!(
                        "unknown designator `{other}` (use D, W, and after T: H, M, S)"
                    )));
                }
            };
            match order.iter().position(|&c| c == unit) {
                Some(i) => order = &order[i + 1..],
                None => return Err(bad(&format!("`{unit}` is out of order or repeated"))),
            }
            total += number * scale;
            rest = &rest[num_len + unit.len_utf8()..];
        }
    }
    Ok(total)
}

/// A clock-style duration as job histories and KQL print them: `HH:MM:SS`, `H:MM:SS.fff`, or
/// KQL's timespan `[-]D.HH:MM:SS[.fffffff]` (`1.02:03:04.5` is a day, 2 h, 3 min and 4.5 s), in
/// seconds. `None` when `text` has no `:` (not this form at all), so callers can try other
/// forms first. Without a day part the hours may exceed 23 (`36:00:00`); minutes and seconds
/// are below 60.
pub fn parse_timespan(text: &str) -> Option<Result<f64, String>> {
    let s = text.trim();
    if !s.contains(':') {
        return None;
    }
    let bad = |why: &str| Err(format!("`{text}` is not a duration: {why}"));
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s),
    };
    let parts: Vec<&str> = body.split(':').collect();
    let [hours, minutes, seconds] = parts.as_slice() else {
        return Some(bad(
            "write hours, minutes and seconds as HH:MM:SS (or D.HH:MM:SS)",
        ));
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    // A day part is the text before a `.` in the hours field: `1.02`.
    let (days, hours): (Option<&str>, &str) = match hours.split_once('.') {
        Some((d, h)) => (Some(d), h),
        None => (None, hours),
    };
    if !days.is_none_or(digits) || !digits(hours) || !digits(minutes) {
        return Some(bad("expected whole numbers in D.HH:MM:SS"));
    }
    let (whole, fraction): (&str, Option<&str>) = match seconds.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (seconds, None),
    };
    if !digits(whole) || !fraction.is_none_or(digits) {
        return Some(bad("expected seconds such as 05 or 05.250"));
    }
    let number = |t: &str| t.parse::<f64>().unwrap_or(f64::INFINITY);
    let (h, m, sec) = (number(hours), number(minutes), number(seconds));
    if m >= 60.0 || sec >= 60.0 {
        return Some(bad("minutes and seconds must be below 60"));
    }
    if days.is_some() && h >= 24.0 {
        return Some(bad("after a day part, hours must be below 24"));
    }
    let total = days.map_or(0.0, number) * 86_400.0 + h * 3600.0 + m * 60.0 + sec;
    if !total.is_finite() {
        return Some(bad("too large"));
    }
    Some(Ok(sign * total))
}

/// Formats seconds back in the largest unit that divides them, for messages.
pub fn format_duration(seconds: f64) -> String {
    for (unit, scale) in [("d", 86_400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)] {
        if seconds >= scale && (seconds / scale).fract() == 0.0 {
            return format!("{}{unit}", seconds / scale);
        }
    }
    if seconds < 1.0 && seconds > 0.0 {
        return format!("{}ms", seconds * 1000.0);
    }
    format!("{seconds}s")
}

impl<'de> serde::Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration such as \"90s\", \"5m\", \"2h\", \"30d\" or a number of seconds",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                Ok(Dur(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Ok(Dur(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                Ok(Dur(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_compounds() {
        assert_eq!(parse_duration("90s"), Ok(90.0));
        assert_eq!(parse_duration("5m"), Ok(300.0));
        assert_eq!(parse_duration("2h"), Ok(7200.0));
        assert_eq!(parse_duration("30d"), Ok(2_592_000.0));
        assert_eq!(parse_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration("1.5h"), Ok(5400.0));
        assert_eq!(parse_duration("200ms"), Ok(0.2));
        assert_eq!(parse_duration("45"), Ok(45.0));
        assert_eq!(parse_duration("-5m"), Ok(-300.0));
        assert_eq!(parse_duration("1w"), Ok(604_800.0));
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(
            parse_duration("5x")
                .unwrap_err()
                .contains("unknown unit `x`")
        );
        assert!(
            parse_duration("m")
                .unwrap_err()
                .contains("expected a number")
        );
        assert!(parse_duration("5m3").unwrap_err().contains("needs a unit"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-").is_err());
        assert!(parse_duration(" - ").is_err());
    }

    #[test]
    fn iso_8601_durations() {
        assert_eq!(parse_duration("PT5M"), Ok(300.0));
        assert_eq!(parse_duration("PT1H30M"), Ok(5400.0));
        assert_eq!(parse_duration("P1D"), Ok(86_400.0));
        assert_eq!(parse_duration("PT0.5S"), Ok(0.5));
        assert_eq!(parse_duration("PT0,5S"), Ok(0.5));
        assert_eq!(parse_duration("P1DT12H"), Ok(129_600.0));
        assert_eq!(parse_duration("P2W"), Ok(1_209_600.0));
        assert_eq!(parse_duration("PT2M"), Ok(120.0));
        assert_eq!(parse_duration("PT1H0M30S"), Ok(3630.0));
        assert_eq!(parse_duration("PT1.5H"), Ok(5400.0));
        assert_eq!(parse_duration("PT36H"), Ok(129_600.0));
        assert_eq!(parse_duration(" PT10S "), Ok(10.0));
        // The sign is kept for the range checks, as for "-5m".
        assert_eq!(parse_duration("-PT5M"), Ok(-300.0));
    }

    #[test]
    fn iso_8601_refusals_say_why() {
        let why = |s: &str| parse_duration(s).unwrap_err();
        assert!(
            why("P1M").contains("months have no fixed length"),
            "{}",
            why("P1M")
        );
        assert!(why("P1Y").contains("years have no fixed length"));
        assert!(why("P1Y2M").contains("years"));
        assert!(why("P").contains("nothing after `P`"));
        assert!(why("PT").contains("nothing after `T`"));
        assert!(why("P5").contains("needs a designator"));
        assert!(why("PT5").contains("needs a designator"));
        assert!(why("P1H").contains("come after `T`"));
        assert!(why("PT1D").contains("come before `T`"));
        assert!(why("PT5X").contains("unknown designator `X`"));
        assert!(why("PT5S1M").contains("out of order"));
        assert!(why("PT1M1M").contains("out of order or repeated"));
        assert!(why("PT0.5M30S").contains("only the last number"));
        assert!(why("PTM").contains("expected a number"));
        assert!(why("PT1..5S").contains("bad number"));
        // Lower case is capsim's own grammar, where `p` is no unit.
        assert!(parse_duration("pt5m").is_err());
    }

    #[test]
    fn clock_durations_and_kql_timespans() {
        let ok = |s: &str| parse_timespan(s).map(|r| r.unwrap());
        assert_eq!(ok("01:30:00"), Some(5400.0));
        assert_eq!(ok("0:00:05.250"), Some(5.25));
        assert_eq!(ok("36:00:00"), Some(129_600.0));
        // KQL: a day, 2 h, 3 min, 4.5 s, with 7 fractional digits.
        assert_eq!(ok("1.02:03:04.5000000"), Some(93_784.5));
        assert_eq!(ok("-00:01:00"), Some(-60.0));
        assert_eq!(parse_timespan("90"), None);
        assert_eq!(parse_timespan("1h30m"), None);
        for bad in [
            "1:30",
            "1:2:3:4",
            "00:60:00",
            "00:00:60",
            "1.24:00:00",
            "a:00:00",
            "00:00:",
            ":00:00",
            "00:00:1.",
            "1..02:00:00",
            "00:00:1e3",
        ] {
            assert!(
                parse_timespan(bad).is_some_and(|r| r.is_err()),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn formats_round_units() {
        assert_eq!(format_duration(86_400.0), "1d");
        assert_eq!(format_duration(120.0), "2m");
        assert_eq!(format_duration(90.0), "90s");
        assert_eq!(format_duration(0.2), "200ms");
    }
}
