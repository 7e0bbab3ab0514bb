//! Reading YAML values as Azure ML means them: whole numbers and numbers as the Azure CLI reads
//! them, Kubernetes CPU and memory quantities, and lookups in a mapping's entries.

use super::yaml::{At, Node, Value};

/// A whole number, as YAML writes it or as a string the Azure CLI would read as one.
pub(super) fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 9e15 => Some(*x as i64),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Float(x) if x.is_finite() => Some(*x),
        Value::Str(s) => s.trim().parse().ok().filter(|x: &f64| x.is_finite()),
        _ => None,
    }
}

/// Kubernetes CPU: cores, or thousandths with `m`.
pub(super) fn cpu_quantity(v: &Value) -> Result<f64, String> {
    let bad = || {
        format!(
            "must be a CPU quantity such as \"500m\" or \"2\", got {}",
            describe(v)
        )
    };
    let x = match v {
        Value::Str(s) => {
            let s = s.trim();
            match s.strip_suffix('m') {
                Some(milli) => milli
                    .parse::<f64>()
                    .map(|m| m / 1000.0)
                    .map_err(|_| bad())?,
                None => s.parse::<f64>().map_err(|_| bad())?,
            }
        }
        v => number(v).ok_or_else(bad)?,
    };
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("must be above 0, got {}", describe(v)))
    }
}

/// Kubernetes memory: bytes, with a binary (`Ki`, `Mi`, `Gi`, `Ti`) or decimal (`k`, `M`, `G`,
/// `T`) suffix; in GiB.
pub(super) fn memory_quantity(v: &Value) -> Result<f64, String> {
    const GIB: f64 = 1_073_741_824.0;
    let bad = || {
        format!(
            "must be a memory quantity such as \"2Gi\" or \"512Mi\", got {}",
            describe(v)
        )
    };
    let bytes = match v {
        Value::Str(s) => {
            let s = s.trim();
            let split = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            let (num, suffix) = s.split_at(split);
            let n: f64 = num.parse().map_err(|_| bad())?;
            let scale = match suffix {
                "" => 1.0,
                "Ki" => 1024.0,
                "Mi" => 1024.0 * 1024.0,
                "Gi" => GIB,
                "Ti" => GIB * 1024.0,
                "k" => 1e3,
                "M" => 1e6,
                "G" => 1e9,
                "T" => 1e12,
                _ => return Err(bad()),
            };
            n * scale
        }
        v => number(v).ok_or_else(bad)?,
    };
    if bytes > 0.0 && bytes.is_finite() {
        Ok(bytes / GIB)
    } else {
        Err(format!("must be above 0, got {}", describe(v)))
    }
}

pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        v => v.kind().to_string(),
    }
}

pub(super) fn get<'a>(entries: &'a [(String, At, Node)], key: &str) -> Option<(&'a At, &'a Node)> {
    entries
        .iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, at, n)| (at, n))
}

pub(super) fn get_str<'a>(entries: &'a [(String, At, Node)], key: &str) -> Option<(&'a str, At)> {
    match get(entries, key) {
        Some((
            _,
            Node {
                at,
                value: Value::Str(s),
            },
        )) => Some((s.trim(), *at)),
        _ => None,
    }
}
