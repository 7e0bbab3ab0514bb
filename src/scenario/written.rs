//! What a scenario file says in its own words, for the records of a run that quote it
//! (`run.json`, and through it the report): the `description`, each `[[compute]]` target's
//! `provisioning_time` as written. A validated [`Scenario`](super::Scenario) keeps values, not
//! their wording, so this reads the text it was loaded from (with the command line's edits).

/// The scenario's wording of what a run's record quotes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    pub description: Option<String>,
    /// (target, its `provisioning_time` as people read it) for each `[[compute]]` table that
    /// sets one, and each `[[endpoint]]` whose autoscale (or itself) does: `lognormal, median
    /// 4m, p95 8m`.
    pub provisioning_time: Vec<(String, String)>,
}

/// Reads `source`, the text of a scenario that loaded; text that is not TOML gives nothing.
pub fn written(source: &str) -> Written {
    let Ok(doc) = source.parse::<toml::Table>() else {
        return Written::default();
    };
    let provisioning_time = doc
        .get("compute")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_table())
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?;
            Some((name.to_string(), describe(c.get("provisioning_time")?)))
        })
        // An endpoint's new instances take the time its autoscale (or the endpoint) sets.
        .chain(
            doc.get("endpoint")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_table())
                .filter_map(|e| {
                    let name = e.get("name")?.as_str()?;
                    let p = e
                        .get("autoscale")
                        .and_then(|a| a.as_table())
                        .and_then(|a| a.get("provisioning_time"))
                        .or_else(|| e.get("provisioning_time"))?;
                    Some((name.to_string(), describe(p)))
                }),
        )
        .collect();
    Written {
        description: doc
            .get("description")
            .and_then(|d| d.as_str())
            .map(str::to_string),
        provisioning_time,
    }
}

/// A TOML value as people read it: `{ dist = "lognormal", median = "4m", p95 = "8m" }` →
/// `lognormal, median 4m, p95 8m`.
fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let mut parts = vec![];
            if let Some(d) = t.get("dist").and_then(|d| d.as_str()) {
                parts.push(d.to_string());
            }
            for (k, x) in t {
                if k == "dist" {
                    continue;
                }
                let val = match x {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                parts.push(format!("{k} {val}"));
            }
            parts.join(", ")
        }
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_the_file_in_its_own_words() {
        let w = written(
            r#"
name = "x"
description = "two clusters"
seed = 7
replications = 3
horizon = "2d"
[[compute]]
name = "a"
type = "amlcompute"
provisioning_time = { dist = "lognormal", p95 = "8m", median = "240s" }
[[compute]]
name = "b"
type = "amlcompute"
[[compute]]
name = "c"
type = "amlcompute"
provisioning_time = { dist = "constant", value = 90 }
"#,
        );
        assert_eq!(w.description.as_deref(), Some("two clusters"));
        assert_eq!(
            w.provisioning_time,
            [
                (
                    "a".to_string(),
                    "lognormal, p95 8m, median 240s".to_string()
                ),
                ("c".to_string(), "constant, value 90".to_string())
            ]
        );
        assert_eq!(written("not = [toml"), Written::default());
    }

    #[test]
    fn an_endpoints_provisioning_time_is_its_autoscales() {
        let w = written(
            r#"
[[endpoint]]
name = "scorer"
[endpoint.autoscale]
provisioning_time = { dist = "lognormal", median = "8m", p95 = "14m" }
[[endpoint]]
name = "fixed"
"#,
        );
        assert_eq!(
            w.provisioning_time,
            [(
                "scorer".to_string(),
                "lognormal, median 8m, p95 14m".to_string()
            )]
        );
    }
}
