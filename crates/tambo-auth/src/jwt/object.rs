//! A strict JSON object kept as its text, with an index of its top-level members.
//!
//! A JOSE header or a claims set is read a dozen times per request (`alg`, `kid`, `exp`,
//! `iss`, `sub`…) and almost never as a whole. Building a `serde_json::Map` for it costs an
//! allocation per member name and per string value; the index costs none: one pass over the
//! text records where each member's name and value lie, scalars are decoded in the pass, and
//! strings are answered as slices of the text. The full map is built only when something
//! needs it: a nested value, a string spelled with escapes, `as_map()`.
//!
//! The pass is as strict as [`super::parse_strict`]: duplicate member names are refused at
//! any depth (also when one spelling uses escapes), trailing data is refused, and nesting is
//! bounded by serde_json's recursion limit.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::parse_object;

/// Beyond this many members an object's names are checked for duplicates in a hash set, so
/// that a hostile object of a thousand members costs no million comparisons.
const LINEAR_NAMES: usize = 16;

/// The room an index is built with, so that parsing a typical object never reallocates; also
/// the most members the flat scan takes (a larger object goes through serde_json).
const FLAT_MEMBERS: usize = 2 * LINEAR_NAMES;

/// A duplicate-free JSON object: its text, where its members lie, and its map once needed.
#[derive(Clone)]
pub(crate) struct JsonObject {
    text: String,
    /// Built with room for a typical set, so that parsing one never reallocates.
    members: Vec<Member>,
    /// Whether the index answers every lookup. `false` when a member name is spelled with
    /// escapes (compared only in its decoded form), or when there is no text (`from_map`).
    indexed: bool,
    /// One bit per member name (see [`bit`]): most lookups of an absent name (`crit`, `zip`,
    /// `nbf`…) end here, without a scan.
    present: u64,
    map: OnceLock<Map<String, Value>>,
}

/// One top-level member: a span of the text for its name, and what its value is.
#[derive(Clone, Copy, Debug)]
struct Member {
    name: Span,
    /// The name's first eight bytes, which settle most lookups without a comparison of
    /// strings: claim names are short, and many are three letters long.
    prefix: u64,
    value: Kind,
}

/// The bit of a name of `len` bytes starting with `prefix` in [`JsonObject::present`].
#[inline]
fn bit(prefix: u64, len: usize) -> u64 {
    1 << ((prefix ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// The first eight bytes of `name`, zero-padded.
#[inline]
fn prefix(name: &[u8]) -> u64 {
    match name.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        // A shift per byte: a copy of a variable length would be a call to `memcpy`.
        None => name
            .iter()
            .enumerate()
            .fold(0, |word, (i, &b)| word | u64::from(b) << (8 * i)),
    }
}

#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    len: u32,
}

/// A member's value as the index holds it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A string spelled without escapes: its text, between the quotes.
    Str(Span),
    /// A number, as `serde_json::Number::as_f64` reads it.
    Number(f64),
    Bool(bool),
    Null,
    /// An array, an object, or a string with escapes: read from the map.
    Other,
}

/// A member as one lookup sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    Absent,
    Str(&'a str),
    Number(f64),
    /// Any other JSON value (`true`, `null`, an array, an object).
    Value(&'a Value),
}

static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);
static NULL: Value = Value::Null;

impl JsonObject {
    /// Parses `text` as a strict JSON object; the text back when it is not one.
    pub(crate) fn parse(text: String) -> Result<JsonObject, (String, serde_json::Error)> {
        let (members, indexed) = match flat::scan(&text) {
            Some(members) => (members, true),
            None => {
                let mut de = serde_json::Deserializer::from_str(&text);
                let parsed = de
                    .deserialize_map(ObjectVisitor { base: &text })
                    .and_then(|parsed| de.end().map(|()| parsed));
                match parsed {
                    Ok(parsed) => parsed,
                    Err(e) => return Err((text, e)),
                }
            }
        };
        let present = members
            .iter()
            .fold(0, |bits, m| bits | bit(m.prefix, m.name.len as usize));
        Ok(JsonObject {
            text,
            members,
            indexed,
            present,
            map: OnceLock::new(),
        })
    }

    /// An object held as a map from the start (every lookup reads the map).
    pub(crate) fn from_map(map: Map<String, Value>) -> JsonObject {
        JsonObject {
            text: String::new(),
            members: Vec::new(),
            indexed: false,
            present: 0,
            map: OnceLock::from(map),
        }
    }

    /// A copy that takes no more memory than it needs, for long-lived copies (the
    /// verified-token cache): the text and the index without spare room, no map. `None` for
    /// an object made from a map, which has no text to copy.
    pub(crate) fn compact(&self) -> Option<JsonObject> {
        (!self.text.is_empty()).then(|| JsonObject {
            text: self.text.clone(),
            members: self.members.clone(),
            indexed: self.indexed,
            present: self.present,
            map: OnceLock::new(),
        })
    }

    /// The whole object, parsed on first use.
    pub(crate) fn map(&self) -> &Map<String, Value> {
        // The text parsed once already, strictly, so it parses again to the same object.
        self.map
            .get_or_init(|| parse_object(self.text.as_bytes()).unwrap_or_default())
    }

    /// The JSON text (empty for an object made from a map).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    fn span(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    /// The member named `name`.
    ///
    /// Inlined, with its callers that pass a claim's name, so that the name's prefix and bit
    /// are computed when the library is compiled: a first-seen token looks up a dozen names.
    #[inline]
    pub(crate) fn field(&self, name: &str) -> Field<'_> {
        let (len, head) = (name.len(), prefix(name.as_bytes()));
        self.find(name, head, bit(head, len))
    }

    fn find(&self, name: &str, head: u64, bit: u64) -> Field<'_> {
        if !self.indexed {
            return Field::of(self.map().get(name));
        }
        if self.present & bit == 0 {
            return Field::Absent;
        }
        let len = name.len();
        let Some(member) = self.members.iter().find(|m| {
            m.prefix == head
                && m.name.len as usize == len
                && (len <= 8 || self.span(m.name) == name)
        }) else {
            return Field::Absent;
        };
        match member.value {
            Kind::Str(span) => Field::Str(self.span(span)),
            Kind::Number(n) => Field::Number(n),
            Kind::Bool(true) => Field::Value(&TRUE),
            Kind::Bool(false) => Field::Value(&FALSE),
            Kind::Null => Field::Value(&NULL),
            Kind::Other => Field::of(self.map().get(name)),
        }
    }

    /// The member named `name` as a JSON value.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        match self.field(name) {
            Field::Absent => None,
            Field::Value(value) => Some(value),
            // Strings and numbers exist as `Value`s only in the map.
            Field::Str(_) | Field::Number(_) => self.map().get(name),
        }
    }

    /// The member named `name`, when it is a string.
    #[inline]
    pub(crate) fn get_str(&self, name: &str) -> Option<&str> {
        match self.field(name) {
            Field::Str(s) => Some(s),
            _ => None,
        }
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

impl PartialEq for JsonObject {
    fn eq(&self, other: &Self) -> bool {
        self.map() == other.map()
    }
}

impl fmt::Debug for JsonObject {
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

/// The member names of one object so far, to refuse a duplicate: the first few on the stack,
/// all of them in a hash set beyond.
struct Names<'de> {
    few: [Cow<'de, str>; LINEAR_NAMES],
    len: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> Names<'de> {
    fn new() -> Self {
        Names {
            few: std::array::from_fn(|_| Cow::Borrowed("")),
            len: 0,
            many: None,
        }
    }

    /// Adds `name`; `false` when the object already has it.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
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

fn duplicate<E: de::Error>() -> E {
    E::custom("duplicate member name")
}

/// A member name, borrowed from the text unless spelled with escapes.
struct Name<'de>(Cow<'de, str>);

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

/// The common case without serde: a flat object of plain members, as nearly every JOSE header
/// and claims set is.
///
/// Hand-written because it is the one JSON pass every first-seen token pays for: for a
/// seven-claim set serde_json's visitor took 0.21–0.24 µs and this scan 0.17 µs. It accepts a
/// strict subset of JSON and answers `None` for everything else, valid or not, which then goes
/// through serde_json (the only judge of what is refused): escapes, control characters,
/// nested values, negative numbers, fractions, exponents, integers over 18 digits, more than
/// [`FLAT_MEMBERS`] members, and any syntax error. What it accepts, it indexes exactly as the
/// serde_json pass does (a differential test holds it to that).
mod flat {
    use super::{FLAT_MEMBERS, Kind, Member, Span, bit, prefix};

    /// The longest integer the scan reads: every 18-digit number fits a `u64`.
    const DIGITS: usize = 18;

    pub(super) fn scan(text: &str) -> Option<Vec<Member>> {
        let b = text.as_bytes();
        let mut i = space(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i = space(b, i + 1);
        let mut members: Vec<Member> = Vec::with_capacity(FLAT_MEMBERS);
        // The bits of the names so far: a name whose bit is not set yet is no repeat, and
        // only the others are compared.
        let mut seen = 0u64;
        if b.get(i) == Some(&b'}') {
            return end(b, i, members);
        }
        loop {
            let name = string(b, &mut i)?;
            i = space(b, i);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = space(b, i + 1);
            let value = match *b.get(i)? {
                b'"' => Kind::Str(string(b, &mut i)?),
                b't' => literal(b, &mut i, b"true").then_some(Kind::Bool(true))?,
                b'f' => literal(b, &mut i, b"false").then_some(Kind::Bool(false))?,
                b'n' => literal(b, &mut i, b"null").then_some(Kind::Null)?,
                // Read as serde_json reads it: a `u64`, then `as f64`.
                b'0'..=b'9' => Kind::Number(integer(b, &mut i)? as f64),
                _ => return None,
            };
            let text_of = |span: Span| {
                let start = span.start as usize;
                &b[start..start + span.len as usize]
            };
            let head = prefix(text_of(name));
            let name_bit = bit(head, name.len as usize);
            let repeated = seen & name_bit != 0
                && members.iter().any(|m| {
                    m.prefix == head && m.name.len == name.len && text_of(m.name) == text_of(name)
                });
            seen |= name_bit;
            if repeated || members.len() == FLAT_MEMBERS {
                return None;
            }
            members.push(Member {
                name,
                prefix: head,
                value,
            });
            i = space(b, i);
            match *b.get(i)? {
                b',' => i = space(b, i + 1),
                b'}' => return end(b, i, members),
                _ => return None,
            }
        }
    }

    /// `members` when nothing but whitespace follows the closing brace at `i`.
    fn end(b: &[u8], i: usize, members: Vec<Member>) -> Option<Vec<Member>> {
        (space(b, i + 1) == b.len()).then_some(members)
    }

    /// The first index at or after `i` that is not JSON whitespace.
    fn space(b: &[u8], mut i: usize) -> usize {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }

    /// A string without escapes or control characters starting at `*i`; its contents.
    fn string(b: &[u8], i: &mut usize) -> Option<Span> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let len = b
            .get(start..)?
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if b[start + len] != b'"' {
            return None;
        }
        *i = start + len + 1;
        Some(Span {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(len).ok()?,
        })
    }

    // The helpers answer plain values, not a `Kind`: an enum returned through memory and
    // read back at once cost a store-forwarding stall per member.
    fn literal(b: &[u8], i: &mut usize, word: &[u8]) -> bool {
        let found = b.get(*i..).is_some_and(|rest| rest.starts_with(word));
        if found {
            *i += word.len();
        }
        found
    }

    /// The value of eight ASCII digits read as a little-endian word, or `None` when one of
    /// them is not a digit.
    pub(super) fn eight_digits(word: u64) -> Option<u64> {
        const ZEROS: u64 = 0x3030_3030_3030_3030;
        let digits = word.wrapping_sub(ZEROS);
        // Every byte was at least '0' and, plus 6, still below 16: a digit.
        let all_digits = word & 0xF0F0_F0F0_F0F0_F0F0 == ZEROS
            && digits.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0;
        if !all_digits {
            return None;
        }
        // Pairs, then fours, then the eight: each step multiplies the higher half by the
        // power of ten of the lower one's width (the first digit is the lowest byte).
        let pairs = (digits.wrapping_mul(10) + (digits >> 8)) & 0x00FF_00FF_00FF_00FF;
        let fours = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
        Some((fours.wrapping_mul(10_000) + (fours >> 32)) & 0xFFFF_FFFF)
    }

    /// A non-negative integer of at most [`DIGITS`] digits, without a leading zero.
    fn integer(b: &[u8], i: &mut usize) -> Option<u64> {
        let start = *i;
        let mut value = 0u64;
        let mut end = start;
        // A NumericDate has ten digits: the first eight at once.
        if let Some(word) = b.get(start..).and_then(<[u8]>::first_chunk::<8>)
            && let Some(eight) = eight_digits(u64::from_le_bytes(*word))
        {
            value = eight;
            end += 8;
        }
        while let Some(&c) = b.get(end).filter(|c| c.is_ascii_digit()) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            end += 1;
        }
        let digits = end - start;
        if digits > DIGITS
            || (digits > 1 && b[start] == b'0')
            || matches!(b.get(end), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        *i = end;
        Some(value)
    }
}

/// The top-level object: its members, and whether every name was spelled without escapes.
struct ObjectVisitor<'t> {
    base: &'t str,
}

impl<'de> Visitor<'de> for ObjectVisitor<'_> {
    type Value = (Vec<Member>, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let text = |span: Span| {
            let start = span.start as usize;
            &self.base[start..start + span.len as usize]
        };
        let mut members: Vec<Member> = Vec::with_capacity(FLAT_MEMBERS);
        // The index itself finds a repeated name among the first few plain ones; a hash set
        // takes over for a large object or once a name is spelled with escapes.
        let mut all: Option<HashSet<Cow<'de, str>>> = None;
        let mut indexed = true;
        while let Some(Name(name)) = map.next_key()? {
            let located = match &name {
                Cow::Borrowed(name) => {
                    span_of(self.base, name).map(|span| (span, prefix(name.as_bytes())))
                }
                Cow::Owned(_) => None,
            };
            let fresh = match (&mut all, located) {
                (None, Some((span, head))) if members.len() < LINEAR_NAMES => {
                    !members.iter().any(|m| {
                        m.prefix == head && m.name.len == span.len && text(m.name) == text(span)
                    })
                }
                (all, _) => all
                    .get_or_insert_with(|| {
                        let seen = members.iter().map(|m| text(m.name).to_owned());
                        seen.map(Cow::Owned).collect()
                    })
                    .insert(name),
            };
            if !fresh {
                return Err(duplicate());
            }
            let value = map.next_value_seed(ValueSeed { base: self.base })?;
            match located {
                Some((name, prefix)) => members.push(Member {
                    name,
                    prefix,
                    value,
                }),
                None => indexed = false,
            }
        }
        Ok((members, indexed))
    }
}

/// A top-level member's value: scalars decoded, strings located, the rest checked and
/// skipped.
struct ValueSeed<'t> {
    base: &'t str,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Kind;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kind, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Kind, E> {
        Ok(span_of(self.base, v).map_or(Kind::Other, Kind::Str))
    }

    fn visit_str<E>(self, _: &str) -> Result<Kind, E> {
        Ok(Kind::Other)
    }

    fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
        Ok(Kind::Number(v as f64))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        Skip.visit_f64(v).map(|()| Kind::Number(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }

    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Kind, A::Error> {
        Skip.visit_seq(seq).map(|()| Kind::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Kind, A::Error> {
        Skip.visit_map(map).map(|()| Kind::Other)
    }
}

/// Any nested value, checked (duplicate names, finite numbers) without being built.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Skip).map(|()| Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("non-finite number"))
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Skip) = seq.next_element()? {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = Names::new();
        while let Some(Name(name)) = map.next_key()? {
            if !names.insert(name) {
                return Err(duplicate());
            }
            map.next_value::<Skip>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::parse_strict;

    fn object(text: &str) -> Result<JsonObject, serde_json::Error> {
        JsonObject::parse(text.to_owned()).map_err(|(_, e)| e)
    }

    #[test]
    fn refuses_what_the_strict_parse_refuses() {
        for text in [
            r#"{"sub":"alice","sub":"admin"}"#,
            r#"{"sub":"alice","s\u0075b":"admin"}"#,
            r#"{"s\u0075b":"alice","sub":"admin"}"#,
            r#"{"a":{"role":"user","role":"admin"}}"#,
            r#"{"a":[{"x":1,"x":1}]}"#,
            r#"{"a":1} x"#,
            r#"[1,2]"#,
            r#""str""#,
            r#"{"a":1e400}"#,
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
        assert!(object(r#"{"a":{"b":1},"b":{"a":2}}"#).is_ok());
    }

    /// The serde_json pass alone: the members it indexes, and whether it indexed every one.
    fn by_serde(text: &str) -> Result<(Vec<Member>, bool), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = de.deserialize_map(ObjectVisitor { base: text })?;
        de.end()?;
        Ok(parsed)
    }

    #[test]
    fn eight_digits_at_once_read_as_one_at_a_time() {
        for at in 0..8 {
            for byte in 0..=u8::MAX {
                let mut text = *b"90817263";
                text[at] = byte;
                let one_at_a_time = text.iter().try_fold(0u64, |value, &c| {
                    c.is_ascii_digit().then(|| value * 10 + u64::from(c - b'0'))
                });
                assert_eq!(
                    flat::eight_digits(u64::from_le_bytes(text)),
                    one_at_a_time,
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn the_flat_scan_declines_what_it_does_not_read_and_everything_invalid() {
        let valid_but_declined = [
            r#"{"a":"x\"y"}"#,
            r#"{"\u0061":1}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":-1}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1234567890123456789}"#,
        ];
        for text in valid_but_declined {
            assert!(flat::scan(text).is_none(), "{text}");
            assert_eq!(
                object(text).unwrap(),
                JsonObject::from_map(parse_object(text.as_bytes()).unwrap()),
                "{text}"
            );
        }
        let many: Vec<String> = (0..=FLAT_MEMBERS)
            .map(|i| format!(r#""m{i}":{i}"#))
            .collect();
        let many = format!("{{{}}}", many.join(","));
        assert!(flat::scan(&many).is_none());
        assert_eq!(object(&many).unwrap().map().len(), FLAT_MEMBERS + 1);
        for text in [
            r#"{"a":1,"a":1}"#,
            r#"{"a":1,}"#,
            r#"{,"a":1}"#,
            r#"{"a":01}"#,
            "{\"a\":\"x\u{1}\"}",
            r#"{"a":1"#,
            r#"{"a":1}}"#,
            r#"{"a" 1}"#,
            r#"{"a":tru}"#,
            r#"{"a":truex}"#,
            r#"{"a":1x}"#,
            r#"{"a":"x}"#,
            "",
            "   ",
        ] {
            assert!(flat::scan(text).is_none(), "{text}");
            assert!(object(text).is_err(), "{text}");
        }
        let scanned = flat::scan(" {\t\"sub\" :\"alice\" ,\"exp\":0,\"ok\":true,\"n\":null}\r\n");
        assert_eq!(scanned.map(|m| m.len()), Some(4));
    }

    #[test]
    fn the_flat_scan_indexes_exactly_what_serde_json_indexes() {
        // Real shapes (`reference/providers.md`), then many small mutations of them: every
        // input the scan accepts must be accepted by serde_json with the same index.
        let seeds = [
            r#"{"iss":"https://tenant.us.auth0.com/","sub":"auth0|64f1","aud":["https://api.example.com","https://tenant.us.auth0.com/userinfo"],"iat":1763950000,"exp":1764036400,"scope":"openid profile","azp":"Xy12"}"#,
            r#"{"azp":"https://app.example.com","exp":1763950060,"fva":[0,-1],"iat":1763950000,"iss":"https://clerk.example.com","nbf":1763949990,"sid":"sess_2a","sub":"user_2a","v":2,"o":{"id":"org_1","rol":"admin"}}"#,
            r#"{"iss":"https://ref.supabase.co/auth/v1","sub":"9b0e","aud":"authenticated","exp":1763953600,"role":"authenticated","email":"a@example.com","is_anonymous":false,"session_id":"x"}"#,
            r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            r#"{"sub":"alice","n":null,"t":true,"f":false,"z":0,"e":""}"#,
        ];
        let alphabet = b"{}[]\":,\\ \t\n0123456789-+.eEtrufalsnxu\x01\x7f";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut accepted, mut declined) = (0, 0);
        for round in 0..40_000 {
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
            match flat::scan(text) {
                Some(members) => {
                    accepted += 1;
                    let (by_serde, indexed) = by_serde(text)
                        .unwrap_or_else(|e| panic!("serde_json refuses {text:?}: {e}"));
                    assert!(indexed, "{text}");
                    assert_eq!(format!("{members:?}"), format!("{by_serde:?}"), "{text}");
                }
                None => declined += 1,
            }
        }
        // Both sides of the comparison ran often.
        assert!(
            accepted > 5_000 && declined > 5_000,
            "{accepted} / {declined}"
        );
    }

    #[test]
    fn a_thousand_members_are_checked_for_duplicates() {
        let members: Vec<String> = (0..1000).map(|i| format!(r#""m{i}":{i}"#)).collect();
        let fine = format!("{{{}}}", members.join(","));
        assert_eq!(object(&fine).unwrap().map().len(), 1000);
        let twice = format!(r#"{{{},"m3":0}}"#, members.join(","));
        assert!(object(&twice).is_err());
        let nested = format!(r#"{{"n":{{{},"m999":0}}}}"#, members.join(","));
        assert!(object(&nested).is_err());
    }

    #[test]
    fn lookups_answer_as_the_map_does() {
        let text = r#"{"iss":"https://idp.example","exp":1800000000,"nbf":-5,"f":1.5,
            "big":18446744073709551615,"t":true,"n":null,"esc":"a\"b","aud":["x","y"],
            "o":{"k":[1,"x",null]},"e":"","u":"é"}"#;
        let indexed = object(text).unwrap();
        assert!(indexed.indexed && indexed.map.get().is_none());
        let map = JsonObject::from_map(parse_object(text.as_bytes()).unwrap());
        let names = [
            "iss", "exp", "nbf", "f", "big", "t", "n", "esc", "aud", "o", "e", "u", "none",
        ];
        for name in names {
            assert_eq!(indexed.field(name), map.field(name), "{name}");
            assert_eq!(indexed.get(name), map.get(name), "{name}");
            assert_eq!(indexed.get_str(name), map.get_str(name), "{name}");
        }
        assert_eq!(indexed.field("iss"), Field::Str("https://idp.example"));
        assert_eq!(indexed.field("exp"), Field::Number(1_800_000_000.0));
        assert_eq!(indexed.get_str("esc"), Some("a\"b"));
        assert_eq!(indexed, map);
    }

    #[test]
    fn scalars_and_plain_strings_are_answered_without_the_map() {
        let o = object(r#"{"sub":"alice","exp":1,"banned":false,"x":null}"#).unwrap();
        assert_eq!(o.get_str("sub"), Some("alice"));
        assert_eq!(o.field("exp"), Field::Number(1.0));
        assert_eq!(o.get("banned"), Some(&Value::Bool(false)));
        assert_eq!(o.get("x"), Some(&Value::Null));
        assert_eq!(o.field("nope"), Field::Absent);
        assert!(o.map.get().is_none(), "no lookup above needs the map");
    }

    #[test]
    fn a_name_spelled_with_escapes_is_found_through_the_map() {
        let o = object(r#"{"\u0061lg":"none","kid":"k"}"#).unwrap();
        assert!(!o.indexed);
        assert_eq!(o.get_str("alg"), Some("none"));
        assert_eq!(o.get_str("kid"), Some("k"));
        assert_eq!(o.map().len(), 2);
    }
}
