//! Strict JSON: objects with duplicate member names are refused at any depth.
//!
//! serde_json keeps the last of two equal names, which lets `{"sub":"alice","sub":"admin"}`
//! mean different things to different parsers (RFC 7519 §4, docs/security.md A-23). Nesting
//! stays bounded by serde_json's recursion limit (128).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON value, refusing duplicate member names anywhere: checked in
/// one pass, then parsed by serde_json.
pub(crate) fn parse_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Skip::deserialize(&mut de)?;
    de.end()?;
    serde_json::from_slice(bytes)
}

/// Parses `bytes` as a strict JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match parse_strict(bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Past this many members an object's names are checked for duplicates in a hash set, so that
/// a hostile object of a thousand members costs no million comparisons.
const LINEAR_NAMES: usize = 16;

/// The member names of one object so far, to refuse a duplicate: the first few on the stack,
/// all of them in a hash set beyond.
#[derive(Default)]
pub(crate) struct Names<'de> {
    few: [Cow<'de, str>; LINEAR_NAMES],
    len: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> Names<'de> {
    /// Adds `name`; `false` when the object already has it.
    pub(crate) fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(name);
        }
        if self.few[..self.len].contains(&name) {
            return false;
        }
        if self.len < LINEAR_NAMES {
            self.few[self.len] = name;
            self.len += 1;
        } else {
            let mut many: HashSet<_> = self.few.iter_mut().map(std::mem::take).collect();
            many.insert(name);
            self.many = Some(many);
        }
        true
    }
}

/// A member name, borrowed from the text unless spelled with escapes.
pub(crate) struct Name<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v.to_owned())))
    }
}

/// Any value, checked (duplicate names, finite numbers) without being built.
pub(crate) struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Skip, E> {
        if v.is_finite() {
            Ok(Skip)
        } else {
            Err(E::custom("non-finite number"))
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while let Some(Skip) = seq.next_element()? {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        let mut names = Names::default();
        while let Some(Name(name)) = map.next_key()? {
            if !names.insert(name) {
                return Err(de::Error::custom("duplicate member name"));
            }
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
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
