//! Numbers as capsim writes them: CSV cells (stable, fixed decimals) and the short figures of
//! messages (`1.2 h`, `3.4 GiB`, `1.3 trillion`).

/// Formats a number for CSV: up to 6 decimals, trailing zeros dropped, empty when undefined.
/// Fixed decimals (rather than shortest round-trip) keep files stable and readable in
/// spreadsheets.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.2 h`, `35 min`, `40 s`, `3.1 days`.
pub fn human_seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.0} s")
    } else if s < 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 48.0 * 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// `512 MiB`, `3.4 GiB`.
pub fn human_bytes(b: f64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    if b < GIB {
        format!("{:.0} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.1} GiB", b / GIB)
    }
}

/// `1.3e12`-style figures read badly; `1.3 trillion` reads well.
pub fn human_count(x: f64) -> String {
    for (scale, word) in [(1e12, "trillion"), (1e9, "billion"), (1e6, "million")] {
        if x >= scale {
            return format!("{:.1} {word}", x / scale);
        }
    }
    group_thousands(x.round() as u64)
}
