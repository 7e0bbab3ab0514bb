//! Every unknown key in a scenario, not just the first.
//!
//! serde's `deny_unknown_fields` stops at the first unknown key. Before deserialising, the parsed
//! document is walked against the field lists of the raw structs, so that each typo is reported
//! with its own location and a "did you mean" hint. The field lists are read from the serde
//! derives themselves (the `fields` argument of `deserialize_struct`), so they cannot drift from
//! the structs.

use super::super::raw::{
    RawArrivals, RawAutoscale, RawCompute, RawDist, RawEndpoint, RawLatencyRow, RawPreemption,
    RawProfile, RawRequestArrivals, RawRequestSettings, RawRetrySettings, RawRule,
    RawScaleSettings, RawScenario, RawSchedule, RawSlo, RawSpotPrice, RawTokenModel, RawTraffic,
    RawWorkload,
};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A deserializer that only records the field names a derived `Deserialize` asks for.
struct Introspect<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for Introspect<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The field names of a struct deriving `Deserialize`.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Introspect(&mut fields));
    fields
}

/// An unknown key: where it is, its dotted path and the closest known field.
pub struct UnknownKey {
    pub offset: usize,
    pub path: String,
    pub key: String,
    pub suggestion: Option<&'static str>,
    pub known: &'static [&'static str],
}

/// The schema of nested tables: which known key leads to which struct's fields.
pub struct Schema {
    pub fields: &'static [&'static str],
    /// Known keys whose value is itself a table (or array of tables) with a fixed schema.
    pub children: Vec<(&'static str, Schema)>,
    /// Free-form tables (user-named keys), skipped.
    pub free: &'static [&'static str],
}

/// Walks `table` against `schema`, adding every unknown key (at `path`, dotted) to `out`.
pub fn check(table: &DeTable<'_>, schema: &Schema, path: &str, out: &mut Vec<UnknownKey>) {
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let here = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        if !schema.fields.contains(&name) {
            out.push(UnknownKey {
                offset: key.span().start,
                path: here,
                key: name.to_string(),
                suggestion: closest(name, schema.fields),
                known: schema.fields,
            });
            continue;
        }
        if schema.free.contains(&name) {
            continue;
        }
        if let Some((_, child)) = schema.children.iter().find(|(k, _)| *k == name) {
            check_value(value, child, &here, out);
        }
    }
}

/// Checks a key's value against its schema: a table, or each table of an array of tables.
fn check_value(
    value: &Spanned<DeValue<'_>>,
    schema: &Schema,
    path: &str,
    out: &mut Vec<UnknownKey>,
) {
    match value.get_ref() {
        DeValue::Table(t) => check(t, schema, path, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(item, schema, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The known name within edit distance 2 of `name`, or sharing its first word.
fn closest(name: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (crate::catalog::edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(name.len() / 4) || k.starts_with(name) || name.starts_with(k))
        .min()
        .map(|(_, k)| k)
}

/// The schema of a scenario document, for the unknown-key check.
pub(super) fn scenario_schema() -> Schema {
    let leaf = |fields: &'static [&'static str]| Schema {
        fields,
        children: vec![],
        free: &[],
    };
    let rules = || leaf(fields_of::<RawRule>());
    Schema {
        fields: fields_of::<RawScenario>(),
        free: &["quota"],
        children: vec![
            (
                "compute",
                Schema {
                    fields: fields_of::<RawCompute>(),
                    children: vec![
                        ("provisioning_time", leaf(fields_of::<RawDist>())),
                        ("start_time", leaf(fields_of::<RawDist>())),
                        ("startup_time", leaf(fields_of::<RawDist>())),
                        ("preemption", leaf(fields_of::<RawPreemption>())),
                        ("spot_price", leaf(fields_of::<RawSpotPrice>())),
                        ("schedules", leaf(fields_of::<RawSchedule>())),
                    ],
                    free: &[],
                },
            ),
            (
                "workload",
                Schema {
                    fields: fields_of::<RawWorkload>(),
                    free: &["speedup"],
                    children: vec![
                        ("arrivals", leaf(fields_of::<RawArrivals>())),
                        ("duration", leaf(fields_of::<RawDist>())),
                    ],
                },
            ),
            (
                "endpoint",
                Schema {
                    fields: fields_of::<RawEndpoint>(),
                    free: &[],
                    children: vec![
                        ("request_settings", leaf(fields_of::<RawRequestSettings>())),
                        ("retry_settings", leaf(fields_of::<RawRetrySettings>())),
                        ("scale_settings", leaf(fields_of::<RawScaleSettings>())),
                        ("replica_start_time", leaf(fields_of::<RawDist>())),
                        ("slo", leaf(fields_of::<RawSlo>())),
                        (
                            "autoscale",
                            Schema {
                                fields: fields_of::<RawAutoscale>(),
                                free: &[],
                                children: vec![
                                    ("provisioning_time", leaf(fields_of::<RawDist>())),
                                    ("rules", rules()),
                                    (
                                        "profiles",
                                        Schema {
                                            fields: fields_of::<RawProfile>(),
                                            free: &[],
                                            children: vec![("rules", rules())],
                                        },
                                    ),
                                ],
                            },
                        ),
                    ],
                },
            ),
            (
                "traffic",
                Schema {
                    fields: fields_of::<RawTraffic>(),
                    free: &["service_time_by_size"],
                    children: vec![
                        ("arrivals", leaf(fields_of::<RawRequestArrivals>())),
                        ("service_time", leaf(fields_of::<RawDist>())),
                        ("latency_profile", leaf(fields_of::<RawLatencyRow>())),
                        ("time_per_file", leaf(fields_of::<RawDist>())),
                        (
                            "token_model",
                            Schema {
                                fields: fields_of::<RawTokenModel>(),
                                free: &["by_size"],
                                children: vec![],
                            },
                        ),
                    ],
                },
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct S {
        alpha: u32,
        #[serde(rename = "type")]
        kind: String,
    }

    #[test]
    fn reads_field_names_from_the_derive() {
        assert_eq!(fields_of::<S>(), &["alpha", "type"]);
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            closest("min_instance", &["min_instances", "max_instances"]),
            Some("min_instances")
        );
        assert_eq!(closest("zzz", &["min_instances"]), None);
    }
}
