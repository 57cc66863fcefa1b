//! Strict JSON: objects with duplicate member names are refused at any depth.
//!
//! serde_json keeps the last of two equal names, which lets `{"sub":"alice","sub":"admin"}`
//! mean different things to different parsers (RFC 7519 §4, security bar A-23). Nesting
//! stays bounded by serde_json's recursion limit (128).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON value, refusing duplicate member names anywhere.
pub(crate) fn parse_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let StrictValue(value) = StrictValue::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Parses `bytes` as a strict JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match parse_strict(bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // One search of the map per member: the slot found is the one filled.
            match object.entry(key) {
                Entry::Occupied(_) => return Err(de::Error::custom("duplicate member name")),
                Entry::Vacant(slot) => {
                    let StrictValue(value) = map.next_value()?;
                    slot.insert(value);
                }
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_are_refused_at_any_depth() {
        assert!(parse_strict(br#"{"sub":"alice","sub":"admin"}"#).is_err());
        assert!(parse_strict(br#"{"a":{"role":"user","role":"admin"}}"#).is_err());
        assert!(parse_strict(br#"[{"x":1,"x":1}]"#).is_err());
        assert!(parse_strict(br#"{"a":{"b":1},"b":{"a":2}}"#).is_ok());
    }

    #[test]
    fn trailing_data_and_deep_nesting_are_refused() {
        assert!(parse_strict(br#"{"a":1} x"#).is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_strict(deep.as_bytes()).is_err());
    }

    #[test]
    fn objects_only_when_asked() {
        assert!(parse_object(b"[1,2]").is_none());
        assert!(parse_object(b"\"str\"").is_none());
        assert!(parse_object(b"{}").is_some());
    }
}
