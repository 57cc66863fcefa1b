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
//! The order of checks follows RFC 8725 bis §3.14 and `docs/security.md`: size first (nothing is
//! decoded past 8 KiB), then the character set (compact serialization is `[A-Za-z0-9_.-]`
//! only), then the number of segments, then canonical base64url, UTF-8 and duplicate-free JSON.
//! A token is decoded first and its shape classified only when decoding fails (decoding checks
//! every character), so an error reads as if the shape had been classified first.

mod algorithm;
mod claims;
mod json;
mod object;

pub use algorithm::{Algorithm, AlgorithmSet, ConfiguredAlgorithms, Curve, Family};
pub use claims::{
    Audience, Claims, ClaimsPolicy, DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, MAX_LEEWAY,
};
pub(crate) use json::{parse_object, parse_strict};

// base64-simd rather than `base64` on this path: every first-seen token decodes its payload
// and signature (an RS256 signature's 342 characters: 0.04 µs against 0.16 µs). Both refuse
// the same non-canonical input (padding, `+` `/`, whitespace, non-zero unused bits).
use base64_simd::URL_SAFE_NO_PAD;
use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::Error;
pub(crate) use object::Field;
use object::Object;

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

/// Classifies `input` by shape, without decoding anything.
pub fn classify(input: &str) -> TokenForm {
    if input.is_empty() {
        return TokenForm::Malformed;
    }
    if input.starts_with('{') {
        return TokenForm::JsonSerialization;
    }
    if !input
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return TokenForm::Malformed;
    }
    match input.bytes().filter(|&b| b == b'.').count() {
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
/// It borrows the token it was parsed from; [`into_owned`](Jws::into_owned) detaches it (for
/// a verification that must wait for keys).
#[derive(Clone)]
pub struct Jws<'a> {
    token: Cow<'a, str>,
    signing_input_len: usize,
    header: Header,
    /// The payload as a claims set (its decoded bytes becoming the claims' text), or its
    /// bytes and why they are not one.
    payload: Result<Claims, (Vec<u8>, Error)>,
    signature: Vec<u8>,
}

impl std::fmt::Debug for Jws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token or the signature: only what a log may hold.
        f.debug_struct("Jws")
            .field("header", &self.header)
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
        let header =
            b64_decode(h).ok_or(Error::malformed("the header is not canonical base64url"))?;
        let header = Header::from_bytes(header)?;
        // `h.p.` is an unsigned JWS when the header says `alg: none`; it parses, and every
        // strategy but the development `none` refuses it by its algorithm.
        if s.is_empty() && !header.is_unsigned() {
            return Err(Error::malformed("the signature segment is empty"));
        }
        let payload =
            b64_decode(p).ok_or(Error::malformed("the payload is not canonical base64url"))?;
        let signature =
            b64_decode(s).ok_or(Error::malformed("the signature is not canonical base64url"))?;
        Ok(Jws {
            signing_input_len: h.len() + 1 + p.len(),
            token: Cow::Borrowed(token),
            header,
            payload: Claims::from_vec(payload),
            signature,
        })
    }

    /// The same token, owning a copy of its text.
    pub fn into_owned(self) -> Jws<'static> {
        Jws {
            token: Cow::Owned(self.token.into_owned()),
            signing_input_len: self.signing_input_len,
            header: self.header,
            payload: self.payload,
            signature: self.signature,
        }
    }

    /// The compact token itself (a credential: never log it).
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The claims set: the payload as a duplicate-free UTF-8 JSON object (RFC 7519 §7.2).
    pub fn claims(&self) -> Result<&Claims, Error> {
        self.payload.as_ref().map_err(|(_, error)| error.clone())
    }

    /// The decoded payload bytes, whether or not they are a claims set (for inspection).
    pub fn payload(&self) -> &[u8] {
        match &self.payload {
            Ok(claims) => claims.json().as_bytes(),
            Err((bytes, _)) => bytes,
        }
    }

    /// `BASE64URL(header) . BASE64URL(payload)`: the bytes the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        &self.token.as_bytes()[..self.signing_input_len]
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
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
#[derive(Clone)]
pub struct Header {
    alg: Result<Algorithm, AlgIssue>,
    members: Arc<Object<HeaderMembers, 8>>,
}

/// The header members the policy and the key lookup read.
struct HeaderMembers;

impl object::Kept<8> for HeaderMembers {
    #[inline]
    fn index(name: &str) -> Option<usize> {
        Some(match name {
            "alg" => 0,
            "kid" => 1,
            "typ" => 2,
            "cty" => 3,
            "crit" => 4,
            "b64" => 5,
            "zip" => 6,
            "enc" => 7,
            _ => return None,
        })
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("members", self.members())
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
            .and_then(|text| Object::parse(text).ok())
            .ok_or(Error::malformed(
                "the header is not a duplicate-free UTF-8 JSON object",
            ))?;
        let alg_name = match members.field("alg") {
            Field::Str(s) if !s.is_empty() => s,
            Field::Str(_) => return Err(Error::malformed("the header alg is empty")),
            Field::Absent => return Err(Error::malformed("the header has no alg")),
            _ => return Err(Error::malformed("the header alg is not a string")),
        };
        if members.has("enc") {
            return Err(Error::Encrypted { hint: None });
        }
        for member in ["crit", "b64", "zip"] {
            if members.has(member) {
                return Err(Error::UnsupportedHeader { member });
            }
        }
        match members.field("kid") {
            Field::Absent => {}
            Field::Str(kid) if kid.len() > MAX_KID_BYTES => {
                return Err(Error::malformed("the header kid is too long"));
            }
            Field::Str(kid) if kid.chars().any(char::is_control) => {
                return Err(Error::malformed(
                    "the header kid contains control characters",
                ));
            }
            Field::Str(_) => {}
            _ => return Err(Error::malformed("the header kid is not a string")),
        }
        if !matches!(members.field("typ"), Field::Absent | Field::Str(_)) {
            return Err(Error::malformed("the header typ is not a string"));
        }
        match members.field("cty") {
            Field::Absent => {}
            Field::Str(cty) if media_type_eq(cty, "jwt") => return Err(Error::NestedToken),
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
        self.get_str("alg").unwrap_or_default()
    }

    /// Whether the header declares an unsigned token (`alg: none` in any spelling).
    pub fn is_unsigned(&self) -> bool {
        self.alg == Err(AlgIssue::None)
    }

    /// The key id.
    pub fn kid(&self) -> Option<&str> {
        self.get_str("kid")
    }

    /// The `typ` member.
    pub fn typ(&self) -> Option<&str> {
        self.get_str("typ")
    }

    fn get_str(&self, name: &str) -> Option<&str> {
        match self.members.field(name) {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Any member, for inspection (never used to choose a key).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members().get(name)
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
    fn the_signature_is_checked_and_decoded_at_parse() {
        // Non-zero unused bits in the signature segment: refused before any key is used.
        let unused = format!(
            "{}.{}.AB",
            b64_encode(r#"{"alg":"HS256"}"#),
            b64_encode(r#"{"sub":"a"}"#)
        );
        assert!(matches!(err(&unused), Error::Malformed { .. }));
        for len in [1, 2, 3, 32, 64, 256, 512, 1024] {
            let sig: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let t = token(r#"{"alg":"RS256"}"#, r#"{"sub":"a"}"#, &sig);
            assert_eq!(Jws::parse(&t).unwrap().signature(), sig, "{len} bytes");
        }
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
    fn debug_output_never_holds_the_token() {
        let t = token(r#"{"alg":"RS256"}"#, r#"{"sub":"secret-subject"}"#, b"sig");
        let jws = Jws::parse(&t).unwrap();
        let debug = format!("{jws:?}");
        assert!(!debug.contains(&t[..20]));
        assert!(!debug.contains("secret-subject"));
    }
}
