//! Reading a top-level table of the scenario (`[sweep]`, `[goal]`, `[sizing]`) through its raw
//! serde type, with every problem located and named as the rest of the scenario's are.

use crate::text::diagnostic::{Diagnostic, Severity, SourceMap};
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// How one table is read.
pub(super) struct TableRules<'r> {
    /// `sizing` for `[sizing]`.
    pub name: &'r str,
    /// The keys the table accepts, for tables that deny the others; `None` for free keys.
    pub known: Option<&'r [&'r str]>,
    /// The hint of an unknown key's error.
    pub unknown_hint: &'r str,
    /// What a key's value must be, in words, for a value of the wrong type: the key, and whether
    /// the problem is the value as a whole (not an element of it).
    pub wants: &'r dyn Fn(&str, bool) -> Option<String>,
}

/// Reads `value` (the table `[rules.name]`) as `T`. Each unknown key is an error at the key, and
/// left out, so that the rest is still read and checked; a value of the wrong type is an error at
/// the value in the words of `rules.wants` (serde stops at the first), and then `None`.
pub(super) fn read<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    rules: &TableRules<'_>,
    map: &SourceMap,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    let name = rules.name;
    let DeValue::Table(table) = value.get_ref() else {
        errors.push(map.diag(
            Severity::Error,
            value.span().start,
            name,
            format!("must be a table: [{name}]"),
        ));
        return None;
    };
    let mut kept = DeTable::new();
    for (key, v) in table.iter() {
        let k: &str = key.get_ref();
        if rules.known.is_some_and(|known| !known.contains(&k)) {
            let mut d = map.diag(
                Severity::Error,
                key.span().start,
                format!("{name}.{k}"),
                format!("unknown field `{k}`"),
            );
            d.hint = Some(rules.unknown_hint.to_string());
            errors.push(d);
            continue;
        }
        kept.insert(key.clone(), v.clone());
    }
    let de = toml::de::ValueDeserializer::from(Spanned::new(value.span(), DeValue::Table(kept)));
    match T::deserialize(de) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.span().map_or(value.span().start, |s| s.start);
            let key = table
                .iter()
                .find(|(_, v)| v.span().contains(&at) || v.span().start == at);
            let (field, message) = match key {
                Some((k, v)) => {
                    let k: &str = k.get_ref();
                    let message = (rules.wants)(k, v.span().start == at)
                        .unwrap_or_else(|| e.message().trim().to_string());
                    (format!("{name}.{k}"), message)
                }
                None => (name.to_string(), e.message().trim().to_string()),
            };
            errors.push(map.diag(Severity::Error, at, field, message));
            None
        }
    }
}
