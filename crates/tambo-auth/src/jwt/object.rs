//! A strict JSON object read in one pass: a JOSE header or a claims set.
//!
//! The pass refuses what [`parse_strict`](super::json::parse_strict) refuses (duplicate member names at any
//! depth, trailing data, non-finite numbers, nesting past serde_json's limit) and keeps, for
//! the few member names the caller knows it will read (`alg`, `kid`; `iss`, `exp`, `sub`…),
//! where their values lie in the text. Every other member is checked and skipped; the whole
//! object becomes a `serde_json::Map` only when something asks for a member it did not keep.
//!
//! Why not build the map at once: a first-seen token's header and claims made 20 allocations
//! as maps (a name and a string value each), 10 000 instructions, and about 1 µs of a
//! verification whose goal leaves the library 1.6 µs over an RS256 signature check
//! (`docs/performance.md`). Kept as spans, they make two.

use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::json::{Name, Names, Skip};

/// The member names a kind of object keeps, `N` of them, each found by its index: a `match`
/// on the name, which the compiler turns into a comparison of lengths then bytes, and folds
/// away where the name is a literal.
pub(crate) trait Kept<const N: usize> {
    /// The slot of the member `name`, below `N`; `None` for a member not kept.
    fn index(name: &str) -> Option<usize>;
}

/// A strict JSON object: its text, the `N` members `K` names kept in the pass, and the full
/// map once asked for.
pub(crate) struct Object<K, const N: usize> {
    json: String,
    members: [Member; N],
    map: OnceLock<Map<String, Value>>,
    kept: PhantomData<K>,
}

/// Where a kept member's value lies.
#[derive(Debug, Clone, Default)]
enum Member {
    #[default]
    Absent,
    /// A string without escapes: its text, between the quotes.
    Str(Span),
    /// A number, as `serde_json::Number::as_f64` reads it.
    Number(f64),
    Bool(bool),
    Null,
    /// An array of strings without escapes (`aud`).
    Strs(Box<[Span]>),
    /// Anything else (a string with escapes, an object, any other array): read from the map.
    Other,
}

static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);
static NULL: Value = Value::Null;

/// A member as one lookup sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    Absent,
    Str(&'a str),
    Number(f64),
    /// Any other JSON value (`true`, `null`, an array, an object).
    Value(&'a Value),
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

impl<K: Kept<N>, const N: usize> Object<K, N> {
    /// Parses `json` as a strict JSON object, keeping the members `K` names.
    pub(crate) fn parse(json: String) -> Result<Object<K, N>, String> {
        let mut de = serde_json::Deserializer::from_str(&json);
        let visitor = ObjectVisitor::<K, N> {
            base: &json,
            kept: PhantomData,
        };
        let members = de
            .deserialize_map(visitor)
            .and_then(|members| de.end().map(|()| members));
        match members {
            Ok(members) => Ok(Object {
                json,
                members,
                map: OnceLock::new(),
                kept: PhantomData,
            }),
            Err(_) => Err(json),
        }
    }

    /// The JSON text.
    pub(crate) fn json(&self) -> &str {
        &self.json
    }

    /// The whole object, parsed on first use.
    pub(crate) fn map(&self) -> &Map<String, Value> {
        // The text passed the strict pass: parsed again, it is the same object.
        self.map
            .get_or_init(|| serde_json::from_str(&self.json).unwrap_or_default())
    }

    fn slice(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.json
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    /// The member named `name`.
    #[inline]
    pub(crate) fn field(&self, name: &str) -> Field<'_> {
        let Some(member) = K::index(name).and_then(|index| self.members.get(index)) else {
            return Field::of(self.map().get(name));
        };
        match member {
            Member::Absent => Field::Absent,
            Member::Str(span) => Field::Str(self.slice(*span)),
            Member::Number(n) => Field::Number(*n),
            Member::Bool(true) => Field::Value(&TRUE),
            Member::Bool(false) => Field::Value(&FALSE),
            Member::Null => Field::Value(&NULL),
            Member::Strs(_) | Member::Other => Field::of(self.map().get(name)),
        }
    }

    /// The strings of the member named `name` when it is an array of strings without escapes
    /// that was kept, without building the map.
    pub(crate) fn strs(&self, name: &str) -> Option<impl Iterator<Item = &str>> {
        match self.members.get(K::index(name)?)? {
            Member::Strs(spans) => Some(spans.iter().map(|span| self.slice(*span))),
            _ => None,
        }
    }

    /// Whether the object has a member named `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        !matches!(self.field(name), Field::Absent)
    }
}

impl Field<'_> {
    fn of(value: Option<&Value>) -> Field<'_> {
        match value {
            None => Field::Absent,
            Some(Value::String(s)) => Field::Str(s),
            Some(value @ Value::Number(n)) => n.as_f64().map_or(Field::Value(value), Field::Number),
            Some(value) => Field::Value(value),
        }
    }
}

impl<K: Kept<N>, const N: usize> fmt::Debug for Object<K, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.map(), f)
    }
}

/// Where `s`, a slice of `base`, lies in it.
fn span_of(base: &str, s: &str) -> Option<Span> {
    let start = (s.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    if start.checked_add(s.len())? > base.len() {
        return None;
    }
    Some(Span {
        start: u32::try_from(start).ok()?,
        len: u32::try_from(s.len()).ok()?,
    })
}

/// The top level of the object: every name once, the kept members located, the others
/// checked and skipped.
struct ObjectVisitor<'b, K, const N: usize> {
    base: &'b str,
    kept: PhantomData<K>,
}

impl<'de, K: Kept<N>, const N: usize> Visitor<'de> for ObjectVisitor<'_, K, N> {
    type Value = [Member; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let duplicate = || de::Error::custom("duplicate member name");
        let mut members: [Member; N] = std::array::from_fn(|_| Member::Absent);
        // Kept members are told apart by their slot; only the others need their names.
        let mut others = Names::default();
        while let Some(Name(name)) = map.next_key()? {
            match K::index(&name).and_then(|index| members.get_mut(index)) {
                Some(slot) if matches!(slot, Member::Absent) => {
                    *slot = map.next_value_seed(MemberSeed(self.base))?;
                }
                Some(_) => return Err(duplicate()),
                None => {
                    map.next_value::<Skip>()?;
                    if !others.insert(name) {
                        return Err(duplicate());
                    }
                }
            }
        }
        Ok(members)
    }
}

/// A kept member's value.
struct MemberSeed<'b>(&'b str);

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Member;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Member, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Member, E> {
        Ok(span_of(self.0, v).map_or(Member::Other, Member::Str))
    }

    fn visit_str<E>(self, _: &str) -> Result<Member, E> {
        Ok(Member::Other)
    }

    fn visit_u64<E>(self, v: u64) -> Result<Member, E> {
        Ok(Member::Number(v as f64))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Member, E> {
        Ok(Member::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Member, E> {
        Skip.visit_f64(v).map(|Skip| Member::Number(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Member, E> {
        Ok(Member::Bool(v))
    }

    fn visit_unit<E>(self) -> Result<Member, E> {
        Ok(Member::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member, A::Error> {
        let mut spans = Vec::new();
        let mut all_strings = true;
        while let Some(element) = seq.next_element_seed(ElementSeed(self.0))? {
            match element {
                Some(span) if all_strings => spans.push(span),
                _ => all_strings = false,
            }
        }
        Ok(if all_strings {
            Member::Strs(spans.into_boxed_slice())
        } else {
            Member::Other
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Member, A::Error> {
        Skip.visit_map(map).map(|Skip| Member::Other)
    }
}

/// An array element of a kept member: a string without escapes, or anything else checked.
struct ElementSeed<'b>(&'b str);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Option<Span>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match MemberSeed(self.0).deserialize(deserializer)? {
            Member::Str(span) => Ok(Some(span)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::json::parse_strict;

    const KEPT: [&str; 10] = ["iss", "exp", "nbf", "aud", "esc", "o", "t", "n", "big", "f"];

    struct Test;

    impl Kept<10> for Test {
        fn index(name: &str) -> Option<usize> {
            KEPT.iter().position(|kept| *kept == name)
        }
    }

    fn object(text: &str) -> Result<Object<Test, 10>, String> {
        Object::parse(text.to_owned())
    }

    #[test]
    fn refuses_what_the_strict_parse_refuses() {
        for text in [
            r#"{"sub":"alice","sub":"admin"}"#,
            r#"{"iss":"a","iss":"b"}"#,
            r#"{"iss":"a","i\u0073s":"b"}"#,
            r#"{"sub":"alice","s\u0075b":"admin"}"#,
            r#"{"s\u0075b":"alice","sub":"admin"}"#,
            r#"{"a":{"role":"user","role":"admin"}}"#,
            r#"{"aud":[{"x":1,"x":1}]}"#,
            r#"{"o":{"x":1,"x":1}}"#,
            r#"{"a":1} x"#,
            r#"[1,2]"#,
            r#""str""#,
            r#"{"a":1e400}"#,
            r#"{"exp":1e400}"#,
            r#"{"a":"\ud800"}"#,
        ] {
            assert!(object(text).is_err(), "{text}");
            assert!(
                !matches!(parse_strict(text.as_bytes()), Ok(Value::Object(_))),
                "{text}"
            );
        }
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        assert!(object(&deep).is_err());
        let members: Vec<String> = (0..1000).map(|i| format!(r#""m{i}":{i}"#)).collect();
        assert!(object(&format!("{{{}}}", members.join(","))).is_ok());
        assert!(object(&format!(r#"{{{},"m999":0}}"#, members.join(","))).is_err());
        assert!(object(r#"{"a":{"b":1},"b":{"a":2}}"#).is_ok());
    }

    #[test]
    fn lookups_answer_as_the_map_does_kept_or_not() {
        let text = r#"{"iss":"https://idp.example","exp":1800000000,"nbf":-5,"f":1.5,
            "big":18446744073709551615,"t":true,"n":null,"esc":"a\"b","aud":["x","y"],
            "o":{"k":[1,"x",null]},"e":"","u":"é","mixed":["x",1],"unkept":"v"}"#;
        let parsed = object(text).expect("valid");
        assert!(parsed.map.get().is_none(), "nothing built yet");
        assert_eq!(parsed.field("iss"), Field::Str("https://idp.example"));
        assert_eq!(parsed.field("exp"), Field::Number(1_800_000_000.0));
        assert_eq!(parsed.field("nbf"), Field::Number(-5.0));
        assert_eq!(
            parsed.strs("aud").map(Iterator::collect::<Vec<_>>),
            Some(vec!["x", "y"])
        );
        assert!(parsed.map.get().is_none(), "kept plain members need no map");
        let map = parse_strict(text.as_bytes()).expect("valid");
        for name in [
            "iss", "exp", "nbf", "f", "big", "t", "n", "esc", "aud", "o", "e", "u", "mixed",
            "unkept", "none",
        ] {
            assert_eq!(parsed.field(name), Field::of(map.get(name)), "{name}");
            assert_eq!(parsed.has(name), map.get(name).is_some(), "{name}");
        }
        assert_eq!(parsed.field("esc"), Field::Str("a\"b"));
        assert_eq!(Value::Object(parsed.map().clone()), map);
    }

    /// Every input the pass accepts, the strict parse accepts, and each kept member answers as
    /// the map does; every input the strict parse refuses, the pass refuses.
    #[test]
    fn the_pass_and_the_strict_parse_agree_on_mutated_claims() {
        let seeds = [
            r#"{"iss":"https://tenant.us.auth0.com/","sub":"auth0|64f1","aud":["https://api.example.com","https://tenant.us.auth0.com/userinfo"],"iat":1763950000,"exp":1764036400,"scope":"openid profile","azp":"Xy12"}"#,
            r#"{"azp":"https://app.example.com","exp":1763950060,"fva":[0,-1],"iat":1763950000,"iss":"https://clerk.example.com","nbf":1763949990,"sid":"sess_2a","sub":"user_2a","v":2,"o":{"id":"org_1","rol":"admin"}}"#,
            r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            r#"{"sub":"alice","n":null,"t":true,"f":false,"exp":0,"esc":"\u0061"}"#,
        ];
        let alphabet = b"{}[]\":,\\ \t\n0123456789-+.eEtrufalsnxu\x01";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..20_000 {
            let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..=next() % 3 {
                let at = (next() as usize) % (bytes.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => bytes.insert(at, c),
                    1 if at < bytes.len() => bytes[at] = c,
                    _ if at < bytes.len() => drop(bytes.remove(at)),
                    _ => bytes.push(c),
                }
            }
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let strict = match parse_strict(text.as_bytes()) {
                Ok(Value::Object(map)) => Some(map),
                _ => None,
            };
            match (object(text), strict) {
                (Ok(parsed), Some(map)) => {
                    accepted += 1;
                    for name in KEPT {
                        assert_eq!(parsed.field(name), Field::of(map.get(name)), "{text}");
                    }
                }
                (Err(_), None) => refused += 1,
                (Ok(_), None) => panic!("the pass accepts what the strict parse refuses: {text}"),
                (Err(_), Some(_)) => panic!("the pass refuses a strict object: {text}"),
            }
        }
        assert!(
            accepted > 2_000 && refused > 2_000,
            "{accepted} / {refused}"
        );
    }
}
