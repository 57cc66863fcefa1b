//! Splitting and classifying input, strict base64url and JSON, and the header policy: every
//! structural check that runs before any key is looked up or any signature checked.
//!
//! ```
//! use tambo_auth::jwt::{classify, Jws, TokenForm};
//!
//! assert_eq!(classify("ya29.a0AfH6SMB"), TokenForm::Opaque);
//! assert_eq!(classify("a.b.c.d.e"), TokenForm::Jwe);
//!
//! // {"alg":"RS256","kid":"k1"} . {"sub":"alice"} . (signature)
//! let jws = Jws::parse("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2ln").unwrap();
//! assert_eq!(jws.header().kid(), Some("k1"));
//! assert_eq!(jws.claims().unwrap().sub(), Some("alice"));
//! ```
//!
//! The order of checks follows RFC 8725 bis §3.14 and the security bar: size first (nothing is
//! decoded past 8 KiB), then the character set (compact serialization is `[A-Za-z0-9_.-]`
//! only), then the number of segments, then canonical base64url, UTF-8 and duplicate-free JSON.
//! A token that passes is checked in one go: decoding its segments checks their characters,
//! and the shape is classified only to name the error of one that fails, so errors read as in
//! that order.

mod algorithm;
mod claims;
mod json;
mod object;

pub use algorithm::{Algorithm, AlgorithmSet, Curve, Family};
pub use claims::{
    Audience, Claims, ClaimsPolicy, DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, MAX_LEEWAY,
};
pub(crate) use json::{parse_object, parse_strict};
pub(crate) use object::Field;

// base64-simd rather than `base64` on this path: every first-seen token decodes its payload
// and signature, and an RS256 signature's 342 characters took 0.16 µs with `base64` against
// 0.04 µs (AVX2, detected at run time; a portable fallback elsewhere). Both refuse the same
// non-canonical input (padding, `+` `/`, whitespace, non-zero unused bits). The AWS SDK for
// Rust decodes with it too.
use base64_simd::URL_SAFE_NO_PAD;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};

use crate::Error;
use crate::memo::Memo;
use object::JsonObject;

/// Headers of verified tokens, by their encoded form (see [`Jws::header_verified`]).
static VERIFIED_HEADERS: LazyLock<Memo<Header>> = LazyLock::new(|| Memo::new(256));

/// The header of a verified token encoded as `segment`. The one this thread found last is
/// compared first: an issuer signs with one key at a time, so consecutive tokens nearly
/// always share their header, and the comparison costs less than the memo's lookup.
fn verified_header(segment: &str) -> Option<Header> {
    thread_local! {
        static LAST: RefCell<Option<(Box<str>, Header)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((kept, header)) if **kept == *segment => Some(header.clone()),
        _ => {
            let header = VERIFIED_HEADERS.get(segment)?;
            *last = Some((segment.into(), header.clone()));
            Some(header)
        }
    })
}

/// The default size limit for a token, checked before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The longest `kid` accepted; longer ones are refused before any key lookup.
pub const MAX_KID_BYTES: usize = 256;

/// What an input looks like, judged from its shape alone (nothing decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenForm {
    /// Three base64url segments: a compact JWS (a signed JWT, perhaps).
    Jws,
    /// Five base64url segments: a compact JWE (an encrypted token).
    Jwe,
    /// JSON (starts with `{`): a JWS or JWE in JSON serialization.
    JsonSerialization,
    /// Only token characters, not shaped like a JOSE object: an opaque access token or a
    /// session id (Google's `ya29.…` has one dot).
    Opaque,
    /// Anything else: empty, wrong number of segments, or characters outside base64url.
    Malformed,
}

/// Classifies `input` by shape, counting dots without allocating.
pub fn classify(input: &str) -> TokenForm {
    if input.is_empty() {
        return TokenForm::Malformed;
    }
    if input.starts_with('{') {
        return TokenForm::JsonSerialization;
    }
    // Two passes without early exits, which the compiler turns into vector code: every
    // request's token is classified, and a token is hundreds of bytes.
    let bytes = input.as_bytes();
    let outside = bytes.iter().fold(false, |outside, &b| {
        outside | !(b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.'))
    });
    if outside {
        return TokenForm::Malformed;
    }
    // Counted per chunk in a byte-wide sum, so the compiler keeps 32 lanes per vector
    // instead of widening every byte to a 64-bit count.
    let dots: usize = bytes
        .chunks(u8::MAX as usize)
        .map(|chunk| {
            let in_chunk = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'.')));
            usize::from(in_chunk)
        })
        .sum();
    match dots {
        2 => TokenForm::Jws,
        4 => TokenForm::Jwe,
        // A JOSE header always starts `{"`, base64url `eyJ`: a damaged JWT, not an opaque one.
        _ if input.starts_with("eyJ") => TokenForm::Malformed,
        // Opaque tokens may hold dots: Google's access tokens are `ya29.<...>`.
        _ => TokenForm::Opaque,
    }
}

/// Decodes canonical unpadded base64url: no `=`, no `+` or `/`, no whitespace, and no
/// non-zero unused bits (RFC 7515 §2, Wycheproof JWS tcId 374).
pub(crate) fn b64_decode(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode_to_vec(segment).ok()
}

/// Encodes base64url without padding.
pub(crate) fn b64_encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

/// A compact JWS that passed every structural check. Its signature is **not** verified.
///
/// It borrows the token it was parsed from, so parsing copies nothing but the decoded
/// payload and signature; [`into_owned`](Jws::into_owned) detaches it (for a verification
/// that must wait for keys).
#[derive(Clone)]
pub struct Jws<'a> {
    token: Cow<'a, str>,
    header_len: usize,
    signing_input_len: usize,
    header: Header,
    /// Whether `header` was found among the headers of verified tokens.
    header_known: bool,
    /// The payload, parsed with the token: every use of a token reads its claims (the issuer
    /// routes it, the verifier checks them), and the decoded payload becomes their text
    /// without a copy.
    payload: Payload,
}

/// The longest signature a token's check decodes: an RSA-8192 signature. No key this library
/// holds makes a longer one.
const MAX_SIGNATURE_BYTES: usize = 1024;

/// A token's decoded payload.
#[derive(Clone)]
enum Payload {
    Claims(Claims),
    /// Not a claims set: the bytes, and why.
    Refused(Vec<u8>, Error),
}

impl std::fmt::Debug for Jws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token or the signature: only what a log may hold.
        f.debug_struct("Jws")
            .field("header", &self.header)
            .field("payload_len", &self.payload().len())
            .finish_non_exhaustive()
    }
}

impl<'a> Jws<'a> {
    /// Parses a compact JWS with the default 8 KiB limit.
    pub fn parse(token: &'a str) -> Result<Jws<'a>, Error> {
        Self::parse_with_limit(token, MAX_TOKEN_BYTES)
    }

    /// Parses a compact JWS, refusing inputs over `limit` bytes before looking at them.
    pub fn parse_with_limit(token: &'a str, limit: usize) -> Result<Jws<'a>, Error> {
        if token.len() > limit {
            return Err(Error::TokenTooLarge {
                len: token.len(),
                limit,
            });
        }
        // Decoding the segments checks every character of the token (the header's by matching
        // a verified one or by decoding it), so a token that parses is a compact JWS, and the
        // shape is classified only when parsing fails: the error then reads exactly as if the
        // shape had been classified first (an encrypted or opaque token, stray characters).
        Self::parse_segments(token).map_err(|error| match classify(token) {
            TokenForm::Jws => error,
            TokenForm::Jwe => Error::Encrypted { hint: None },
            TokenForm::Opaque => Error::Opaque { hint: None },
            TokenForm::JsonSerialization => {
                Error::malformed("JSON serialization is not accepted, only compact tokens")
            }
            TokenForm::Malformed if token.is_empty() => Error::malformed("the token is empty"),
            TokenForm::Malformed => {
                Error::malformed("not three base64url segments separated by dots")
            }
        })
    }

    /// The three segments, checked and decoded.
    fn parse_segments(token: &'a str) -> Result<Jws<'a>, Error> {
        let shape = || Error::malformed("not three base64url segments separated by dots");
        let (h, rest) = token.split_once('.').ok_or_else(shape)?;
        // A dot left in the payload fails its decoding.
        let (p, s) = rest.rsplit_once('.').ok_or_else(shape)?;
        if h.is_empty() {
            return Err(Error::malformed("the header segment is empty"));
        }
        let (header, header_known) = match verified_header(h) {
            Some(header) => (header, true),
            None => {
                let bytes = b64_decode(h)
                    .ok_or(Error::malformed("the header is not canonical base64url"))?;
                (Header::from_bytes(bytes)?, false)
            }
        };
        // `h.p.` is an unsigned JWS when the header says `alg: none`; it parses, and every
        // strategy but the development `none` refuses it by its algorithm.
        if s.is_empty() && !header.is_unsigned() {
            return Err(Error::malformed("the signature segment is empty"));
        }
        let payload = URL_SAFE_NO_PAD
            .decode_to_vec(p)
            .map_err(|_| Error::malformed("the payload is not canonical base64url"))?;
        // Checked now, decoded when it is verified (see `signature`).
        URL_SAFE_NO_PAD
            .check(s.as_bytes())
            .map_err(|_| Error::malformed("the signature is not canonical base64url"))?;
        let payload = match Claims::from_vec(payload) {
            Ok(claims) => Payload::Claims(claims),
            Err((bytes, error)) => Payload::Refused(bytes, error),
        };
        Ok(Jws {
            header_len: h.len(),
            signing_input_len: h.len() + 1 + p.len(),
            header_known,
            token: Cow::Borrowed(token),
            header,
            payload,
        })
    }

    /// The same token, owning a copy of its text.
    pub fn into_owned(self) -> Jws<'static> {
        Jws {
            token: Cow::Owned(self.token.into_owned()),
            header_len: self.header_len,
            signing_input_len: self.signing_input_len,
            header: self.header,
            header_known: self.header_known,
            payload: self.payload,
        }
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Keeps the header of this token, whose signature verified, so that the next token with
    /// the same encoded header is not decoded again: an issuer signs every token with the
    /// same few headers. Only verified tokens add, so no unsigned input can fill the memo.
    pub(crate) fn header_verified(&self) {
        if !self.header_known {
            VERIFIED_HEADERS.insert(&self.token[..self.header_len], self.header.clone());
        }
    }

    /// The decoded payload bytes.
    pub fn payload(&self) -> &[u8] {
        match &self.payload {
            Payload::Claims(claims) => claims.text().as_bytes(),
            Payload::Refused(bytes, _) => bytes,
        }
    }

    /// `BASE64URL(header) . BASE64URL(payload)`: the bytes the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        &self.token.as_bytes()[..self.signing_input_len]
    }

    /// The decoded signature bytes (decoded on each call).
    pub fn signature(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode_to_vec(self.encoded_signature())
            .unwrap_or_default()
    }

    /// Calls `check` with the decoded signature, decoded on the stack: a signature is checked
    /// once per token and needs no allocation. A signature longer than any key's reads as
    /// empty, which verifies under no key either.
    pub(crate) fn with_signature<R>(&self, check: impl FnOnce(&[u8]) -> R) -> R {
        let encoded = self.encoded_signature();
        let mut buffer = [std::mem::MaybeUninit::<u8>::uninit(); MAX_SIGNATURE_BYTES];
        // The segment was checked to be canonical base64url when the token was parsed.
        let decoded = match URL_SAFE_NO_PAD.decoded_length(encoded) {
            Ok(len) if len <= MAX_SIGNATURE_BYTES => URL_SAFE_NO_PAD
                .decode(encoded, base64_simd::Out::from_uninit_slice(&mut buffer))
                .ok(),
            _ => None,
        };
        check(decoded.as_deref().unwrap_or_default())
    }

    fn encoded_signature(&self) -> &[u8] {
        &self.token.as_bytes()[self.signing_input_len + 1..]
    }

    /// The payload as a claims set: a duplicate-free UTF-8 JSON object (RFC 7519 §7.2).
    /// Parsed with the token; every call shares the result.
    pub fn claims(&self) -> Result<Claims, Error> {
        self.claims_ref().cloned()
    }

    /// [`claims`](Self::claims), borrowed.
    pub(crate) fn claims_ref(&self) -> Result<&Claims, Error> {
        match &self.payload {
            Payload::Claims(claims) => Ok(claims),
            Payload::Refused(_, error) => Err(error.clone()),
        }
    }

    /// A collision-resistant digest of the whole token (SHA-256), for caches and logs that
    /// must name a token without holding it.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::digest(self.token.as_bytes()).into()
    }
}

/// A JOSE header that passed the header policy.
///
/// Refused: `crit` (we implement no extension, RFC 7515 §4.1.11), `b64` (RFC 7797 §7), `zip`
/// (RFC 8725 §3.6), `enc` (a JWE header), and `cty: JWT` (nested tokens). `jku`, `x5u`, `jwk`
/// and `x5c` are tolerated but never used to find a key (RFC 8725 §3.10).
///
/// Held as its JSON text with an index of its members, like [`Claims`].
#[derive(Clone)]
pub struct Header {
    alg: Result<Algorithm, AlgIssue>,
    /// Shared: a verified token keeps its header, and cloning it then costs nothing.
    members: Arc<JsonObject>,
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("members", &self.members)
            .finish()
    }
}

/// Why a header's `alg` is unusable, kept so the decision can be made where the strategy is
/// known (the `none` strategy accepts what every other strategy refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AlgIssue {
    None,
    Unsupported,
}

impl Header {
    fn from_bytes(bytes: Vec<u8>) -> Result<Header, Error> {
        let members = String::from_utf8(bytes)
            .ok()
            .and_then(|text| JsonObject::parse(text).ok())
            .ok_or(Error::malformed(
                "the header is not a duplicate-free UTF-8 JSON object",
            ))?;
        let alg_name = match members.field("alg") {
            Field::Str(s) if !s.is_empty() => s,
            Field::Str(_) => return Err(Error::malformed("the header alg is empty")),
            Field::Absent => return Err(Error::malformed("the header has no alg")),
            _ => return Err(Error::malformed("the header alg is not a string")),
        };
        if !matches!(members.field("enc"), Field::Absent) {
            return Err(Error::Encrypted { hint: None });
        }
        for member in ["crit", "b64", "zip"] {
            if !matches!(members.field(member), Field::Absent) {
                return Err(Error::UnsupportedHeader { member });
            }
        }
        match members.field("kid") {
            Field::Absent => {}
            Field::Str(s) => {
                if s.len() > MAX_KID_BYTES {
                    return Err(Error::malformed("the header kid is too long"));
                }
                if s.chars().any(char::is_control) {
                    return Err(Error::malformed(
                        "the header kid contains control characters",
                    ));
                }
            }
            _ => return Err(Error::malformed("the header kid is not a string")),
        }
        if !matches!(members.field("typ"), Field::Absent | Field::Str(_)) {
            return Err(Error::malformed("the header typ is not a string"));
        }
        match members.field("cty") {
            Field::Absent => {}
            Field::Str(s) if media_type_eq(s, "jwt") => return Err(Error::NestedToken),
            Field::Str(_) => {}
            _ => return Err(Error::malformed("the header cty is not a string")),
        }
        let alg = match Algorithm::from_header(alg_name) {
            Ok(alg) => Ok(alg),
            Err(Error::AlgorithmNone) => Err(AlgIssue::None),
            Err(_) => Err(AlgIssue::Unsupported),
        };
        Ok(Header {
            alg,
            members: Arc::new(members),
        })
    }

    /// The signature algorithm, or the error any strategy but `none` answers for it.
    pub fn alg(&self) -> Result<Algorithm, Error> {
        self.alg.map_err(|issue| match issue {
            AlgIssue::None => Error::AlgorithmNone,
            AlgIssue::Unsupported => Error::AlgorithmNotAllowed {
                reason: "unknown or unsupported algorithm",
            },
        })
    }

    /// The `alg` value exactly as the header spells it.
    pub fn alg_name(&self) -> &str {
        self.members.get_str("alg").unwrap_or_default()
    }

    /// Whether the header declares an unsigned token (`alg: none` in any spelling).
    pub fn is_unsigned(&self) -> bool {
        self.alg == Err(AlgIssue::None)
    }

    /// The key id.
    pub fn kid(&self) -> Option<&str> {
        self.members.get_str("kid")
    }

    /// The `typ` member.
    pub fn typ(&self) -> Option<&str> {
        self.members.get_str("typ")
    }

    /// Any member, for inspection (never used to choose a key).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// All members, for inspection tools.
    pub fn members(&self) -> &Map<String, Value> {
        self.members.map()
    }

    /// Whether `typ` equals `expected` as a media type (RFC 9068 §4: case-insensitive, the
    /// `application/` prefix implied).
    pub fn typ_is(&self, expected: &str) -> bool {
        self.typ().is_some_and(|t| media_type_eq(t, expected))
    }
}

/// Compares JOSE `typ`/`cty` values as media types: case-insensitive, `application/`
/// optional (RFC 7515 §4.1.9).
fn media_type_eq(value: &str, expected: &str) -> bool {
    fn strip(s: &str) -> &str {
        const PREFIX: &str = "application/";
        match s.get(..PREFIX.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(PREFIX) => &s[PREFIX.len()..],
            _ => s,
        }
    }
    strip(value).eq_ignore_ascii_case(strip(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str, payload: &str, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64_encode(header),
            b64_encode(payload),
            b64_encode(sig)
        )
    }

    fn err(token: &str) -> Error {
        Jws::parse(token).expect_err("should be refused")
    }

    #[test]
    fn size_is_checked_before_anything_else() {
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(err(&huge), Error::TokenTooLarge { .. }));
        let dots = ".".repeat(100_000);
        assert!(matches!(err(&dots), Error::TokenTooLarge { .. }));
    }

    #[test]
    fn shapes_are_classified_with_their_own_errors() {
        assert!(matches!(err("abc"), Error::Opaque { hint: None }));
        assert!(matches!(err("a.b.c.d.e"), Error::Encrypted { hint: None }));
        assert!(matches!(
            err("{\"payload\":\"x\"}"),
            Error::Malformed { .. }
        ));
        assert!(matches!(err(""), Error::Malformed { .. }));
        assert!(matches!(
            err("ya29.a0AfH6SMBx"),
            Error::Opaque { hint: None }
        ));
        assert!(matches!(
            err("eyJhbGciOiJIUzI1NiJ9.Zm9v"),
            Error::Malformed { .. }
        ));
        assert!(matches!(err("eyJh.b.c.d"), Error::Malformed { .. }));
        assert!(matches!(err("eyJh.b.c.d.e.f"), Error::Malformed { .. }));
    }

    #[test]
    fn errors_read_as_if_the_shape_were_classified_first() {
        let bases = [
            token(
                r#"{"alg":"HS256","kid":"shape-test"}"#,
                r#"{"sub":"a"}"#,
                &[9; 32],
            ),
            token(r#"{"alg":"RS256"}"#, r#"{"sub":"a","exp":1}"#, &[3; 256]),
            token(r#"{"alg":"none"}"#, r#"{"sub":"a"}"#, b""),
            token(r#"{"alg":"dir","enc":"A256GCM"}"#, "{}", b"s"),
        ];
        // Verified headers are matched rather than decoded: exercise that path too.
        for base in &bases[..2] {
            Jws::parse(base).unwrap().header_verified();
        }
        let inserts = ['.', '{', '+', '/', '=', '~', 'A', '0', '-', '_', ' ', 'é'];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        for round in 0..20_000 {
            let mut t: Vec<char> = bases[round % bases.len()].chars().collect();
            for _ in 0..1 + next(3) {
                let at = next(t.len() + 1);
                match next(3) {
                    0 => t.insert(at, inserts[next(inserts.len())]),
                    1 if at < t.len() => t[at] = inserts[next(inserts.len())],
                    _ if at < t.len() => drop(t.remove(at)),
                    _ => {}
                }
            }
            let t: String = t.into_iter().collect();
            let parsed = Jws::parse(&t).map(|_| ());
            let expected = match classify(&t) {
                TokenForm::Jws => Jws::parse_segments(&t).map(|_| ()),
                TokenForm::Jwe => Err(Error::Encrypted { hint: None }),
                TokenForm::Opaque => Err(Error::Opaque { hint: None }),
                TokenForm::JsonSerialization => Err(Error::malformed(
                    "JSON serialization is not accepted, only compact tokens",
                )),
                TokenForm::Malformed if t.is_empty() => Err(Error::malformed("the token is empty")),
                TokenForm::Malformed => Err(Error::malformed(
                    "not three base64url segments separated by dots",
                )),
            };
            assert_eq!(
                format!("{parsed:?}"),
                format!("{expected:?}"),
                "{t:?} classified as {:?}",
                classify(&t)
            );
        }
    }

    #[test]
    fn non_canonical_base64url_is_refused() {
        let good = token(r#"{"alg":"RS256"}"#, r#"{"sub":"a"}"#, b"sig");
        assert!(Jws::parse(&good).is_ok());
        for bad in [
            format!("{good}="),
            good.replacen("c2ln", "c2+n", 1),
            good.replacen("c2ln", "c2/n", 1),
            format!(" {good}"),
            format!("{good}\n"),
            good.replacen('.', ".\n", 1),
            format!("{good}."),
        ] {
            assert_ne!(Jws::parse(&bad).ok().map(|_| ()), Some(()), "{bad:?}");
        }
        // Non-zero unused bits: "AB" decodes only with trailing bits set.
        let unused = format!(
            "{}.AB.{}",
            b64_encode(r#"{"alg":"RS256"}"#),
            b64_encode("s")
        );
        assert!(matches!(err(&unused), Error::Malformed { .. }));
    }

    #[test]
    fn the_signature_is_checked_at_parse_and_decoded_when_asked() {
        // Non-zero unused bits in the signature segment: refused before any key is used.
        let unused = format!(
            "{}.{}.AB",
            b64_encode(r#"{"alg":"HS256"}"#),
            b64_encode(r#"{"sub":"a"}"#)
        );
        assert!(matches!(err(&unused), Error::Malformed { .. }));
        for len in [1, 2, 3, 32, 64, 256, 512, MAX_SIGNATURE_BYTES] {
            let sig: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let t = token(r#"{"alg":"RS256"}"#, r#"{"sub":"a"}"#, &sig);
            let jws = Jws::parse(&t).unwrap();
            assert_eq!(jws.with_signature(<[u8]>::to_vec), sig, "{len} bytes");
            assert_eq!(jws.signature(), sig, "{len} bytes");
        }
        // Longer than any key's signature: checked as empty, which no key accepts.
        let long = token(
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"a"}"#,
            &[7; MAX_SIGNATURE_BYTES + 1],
        );
        assert!(Jws::parse(&long).unwrap().with_signature(<[u8]>::is_empty));
    }

    #[test]
    fn a_payload_that_is_no_claims_set_is_kept_with_its_error() {
        let t = token(r#"{"alg":"RS256"}"#, "[1,2]", b"sig");
        let jws = Jws::parse(&t).expect("the structure is sound");
        assert_eq!(jws.payload(), b"[1,2]");
        assert!(matches!(jws.claims(), Err(Error::Malformed { .. })));
        let t = token(r#"{"alg":"RS256"}"#, r#"{"sub":"a"}"#, b"sig");
        assert_eq!(Jws::parse(&t).unwrap().payload(), br#"{"sub":"a"}"#);
    }

    #[test]
    fn header_policy_refuses_extensions_and_nesting() {
        use crate::ErrorKind as K;
        let cases = [
            (
                r#"{"alg":"RS256","crit":["x-foo"],"x-foo":1}"#,
                K::UnsupportedHeader,
            ),
            (r#"{"alg":"RS256","crit":[]}"#, K::UnsupportedHeader),
            (
                r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
                K::UnsupportedHeader,
            ),
            (r#"{"alg":"RS256","zip":"DEF"}"#, K::UnsupportedHeader),
            (r#"{"alg":"RS256","cty":"JWT"}"#, K::NestedToken),
            (r#"{"alg":"RS256","cty":"application/jwt"}"#, K::NestedToken),
            (r#"{"alg":"dir","enc":"A256GCM"}"#, K::Encrypted),
            (r#"{"alg":"none","alg":"RS256"}"#, K::Malformed),
            (r#"{"alg":["RS256"]}"#, K::Malformed),
        ];
        for (header, expected) in cases {
            let e = err(&token(header, "{}", b"s"));
            assert_eq!(e.kind(), expected, "{header}: {e:?}");
        }
    }

    #[test]
    fn alg_problems_surface_when_asked() {
        let jws = Jws::parse(&token(r#"{"alg":"nOnE"}"#, "{}", b"s"))
            .unwrap()
            .into_owned();
        assert!(jws.header().is_unsigned());
        assert!(matches!(jws.header().alg(), Err(Error::AlgorithmNone)));
        let jws = Jws::parse(&token(
            r#"{"alg":"PBES2-HS256+A128KW","p2c":2147483647}"#,
            "{}",
            b"s",
        ))
        .unwrap()
        .into_owned();
        assert!(matches!(
            jws.header().alg(),
            Err(Error::AlgorithmNotAllowed { .. })
        ));
        for header in [r#"{}"#, r#"{"alg":""}"#, r#"{"alg":null}"#] {
            assert!(matches!(
                err(&token(header, "{}", b"s")),
                Error::Malformed { .. }
            ));
        }
    }

    #[test]
    fn kid_is_bounded_and_printable() {
        let long = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(300));
        assert!(matches!(
            err(&token(&long, "{}", b"s")),
            Error::Malformed { .. }
        ));
        let crlf = r#"{"alg":"RS256","kid":"a\r\nb"}"#;
        assert!(matches!(
            err(&token(crlf, "{}", b"s")),
            Error::Malformed { .. }
        ));
        let number = r#"{"alg":"RS256","kid":7}"#;
        assert!(matches!(
            err(&token(number, "{}", b"s")),
            Error::Malformed { .. }
        ));
    }

    #[test]
    fn invalid_utf8_in_the_header_is_refused() {
        let mut header = br#"{"alg":"HS256","x":""#.to_vec();
        header.extend_from_slice(&[0xC3, 0x28]);
        header.extend_from_slice(br#""}"#);
        let t = format!(
            "{}.{}.{}",
            b64_encode(&header),
            b64_encode("{}"),
            b64_encode("s")
        );
        assert!(matches!(err(&t), Error::Malformed { .. }));
    }

    #[test]
    fn typ_compares_as_a_media_type() {
        let jws = Jws::parse(&token(
            r#"{"alg":"ES256","typ":"application/AT+JWT"}"#,
            "{}",
            b"s",
        ))
        .unwrap()
        .into_owned();
        assert!(jws.header().typ_is("at+jwt"));
        assert!(!jws.header().typ_is("jwt"));
    }

    #[test]
    fn only_headers_of_verified_tokens_are_kept() {
        let header = r#"{"alg":"ES256","kid":"kept-header-test"}"#;
        let first = Jws::parse(&token(header, r#"{"sub":"a"}"#, b"s"))
            .unwrap()
            .into_owned();
        let again = Jws::parse(&token(header, r#"{"sub":"b"}"#, b"t"))
            .unwrap()
            .into_owned();
        assert!(
            !first.header_known && !again.header_known,
            "parsing alone keeps nothing"
        );
        first.header_verified();
        let later = Jws::parse(&token(header, r#"{"sub":"c"}"#, b"u"))
            .unwrap()
            .into_owned();
        assert!(later.header_known);
        assert_eq!(later.header().kid(), Some("kept-header-test"));
        assert_eq!(later.header().alg().ok(), Some(Algorithm::ES256));
        assert_eq!(later.claims().unwrap().sub(), Some("c"));
        let other = r#"{"alg":"ES256","kid":"kept-header-test","typ":"JWT"}"#;
        assert!(!Jws::parse(&token(other, "{}", b"s")).unwrap().header_known);
    }

    #[test]
    fn debug_output_never_holds_the_token() {
        let t = token(r#"{"alg":"RS256"}"#, r#"{"sub":"secret-subject"}"#, b"sig");
        let jws = Jws::parse(&t).unwrap();
        let debug = format!("{jws:?}");
        assert!(!debug.contains(&t[..20]));
        assert!(!debug.contains("secret-subject"));
    }
}
