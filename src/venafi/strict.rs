//! A JSON tree that keeps every key of an object in order, duplicates
//! included. `serde_json::Value` keeps only the last of duplicate keys, and
//! docs/LANGUAGE.md, “Workflow tickets”, makes a duplicate an error, so the request validator reads its
//! body into this tree instead.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value, as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number written without fraction or exponent.
    Int(i128),
    /// Any other number: serde_json reads `5.0`, `1e2`, `-0` and integers
    /// past 64 bits as floats.
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    /// Every key, in order, duplicates kept.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What the value is, for "expected …, found …" messages: the JSON type
    /// and, for scalars, the value quoted.
    pub(crate) fn found(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => format!("a boolean (`{b}`)"),
            Json::Int(n) => format!("a number (`{n}`)"),
            Json::Float(x) => format!("a number (`{x:?}`)"),
            Json::Str(s) => format!("a string ({})", quote(s)),
            Json::Array(_) => "an array".into(),
            Json::Object(_) => "an object".into(),
        }
    }
}

/// `text` between backticks, cut at 60 characters, with control characters
/// escaped so that a message stays on one line.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("`");
    for c in crate::render::shorten(text, 60).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Int(i128::from(n)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Int(i128::from(n)))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Json, E> {
        Ok(Json::Float(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_and_number_forms_survive() {
        let tree: Json = serde_json::from_str(r#"{"a": 1, "a": -2, "b": [5.0, 1e2, -0, null]}"#)
            .expect("valid JSON");
        let Json::Object(entries) = tree else {
            panic!("an object")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "a", "b"]);
        assert_eq!(entries[1].1, Json::Int(-2));
        assert_eq!(
            entries[2].1,
            Json::Array(vec![
                Json::Float(5.0),
                Json::Float(100.0),
                Json::Float(-0.0),
                Json::Null
            ])
        );
    }

    #[test]
    fn quoting_keeps_messages_short_and_on_one_line() {
        assert_eq!(quote("a\nb"), "`a\\nb`");
        let long = "x".repeat(100);
        assert_eq!(quote(&long).chars().count(), 60 + 3);
        assert_eq!(Json::Float(5.0).found(), "a number (`5.0`)");
    }
}
