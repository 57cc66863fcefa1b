//! A raw JWS compact-serialization builder (RFC 7515 §7.1): it signs whatever header and
//! payload bytes it is given, so tests can build tokens no typed encoder would produce.
//!
//! ```
//! use serde_json::json;
//! use tambo_auth_testkit::jws::{self, JwsBuilder};
//! use tambo_auth_testkit::keys::fixtures;
//!
//! let key = &fixtures().ec;
//!
//! // A well-formed token: {"alg":"ES256","kid":"idp-ec-1","typ":"JWT"}.
//! let good = jws::token(key, &json!({"sub": "user-1"}));
//! assert_eq!(good.split('.').count(), 3);
//!
//! // Duplicate members, which serde_json::Value cannot hold, signed validly.
//! let duplicate = JwsBuilder::new()
//!     .header(json!({"alg": "ES256", "kid": key.kid()}))
//!     .payload_raw(r#"{"sub":"alice","sub":"admin"}"#)
//!     .sign(key, "ES256");
//! assert!(duplicate.starts_with(&jws::b64url(r#"{"alg":"ES256","kid":"idp-ec-1"}"#)));
//!
//! // `alg: none`, no signature.
//! let unsecured = JwsBuilder::new().header(json!({"alg": "none"})).unsigned();
//! assert!(unsecured.ends_with('.'));
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::keys::{TestKey, hmac_sign, random_bytes};

/// Base64url without padding (RFC 7515 §2, "Base64url Encoding").
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds compact JWS strings from raw header and payload bytes.
///
/// The header and payload start as `{}`. JSON values are serialized compactly with
/// `serde_json` (members in sorted order); the `*_raw` methods keep bytes exactly, invalid UTF-8
/// included; the `*_b64` methods set the encoded segment text verbatim, for bad-base64 tests.
/// Nothing is validated: the header's `alg` need not match the algorithm you sign with.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct JwsBuilder {
    header: Segment,
    payload: Segment,
}

#[derive(Clone, PartialEq, Eq)]
enum Segment {
    Bytes(Vec<u8>),
    Encoded(String),
}

impl Segment {
    fn json(value: &Value) -> Segment {
        Segment::Bytes(value.to_string().into_bytes())
    }

    fn encode(&self) -> String {
        match self {
            Segment::Bytes(bytes) => b64url(bytes),
            Segment::Encoded(text) => text.clone(),
        }
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Bytes(bytes) => write!(f, "{:?}", String::from_utf8_lossy(bytes)),
            Segment::Encoded(text) => write!(f, "b64 {text:?}"),
        }
    }
}

impl fmt::Debug for JwsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwsBuilder")
            .field("header", &self.header)
            .field("payload", &self.payload)
            .finish()
    }
}

impl Default for JwsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl JwsBuilder {
    /// A builder with header `{}` and payload `{}`.
    pub fn new() -> Self {
        JwsBuilder {
            header: Segment::Bytes(b"{}".to_vec()),
            payload: Segment::Bytes(b"{}".to_vec()),
        }
    }

    /// The protected header, serialized compactly.
    pub fn header(mut self, header: Value) -> Self {
        self.header = Segment::json(&header);
        self
    }

    /// The protected header as exact bytes (duplicate members, invalid UTF-8, not JSON at all).
    pub fn header_raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.header = Segment::Bytes(bytes.into());
        self
    }

    /// The header segment as already-encoded text, used verbatim (padding, `+`/`/`, spaces).
    pub fn header_b64(mut self, segment: impl Into<String>) -> Self {
        self.header = Segment::Encoded(segment.into());
        self
    }

    /// The payload, serialized compactly.
    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = Segment::json(&payload);
        self
    }

    /// The payload as exact bytes.
    pub fn payload_raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.payload = Segment::Bytes(bytes.into());
        self
    }

    /// The payload segment as already-encoded text, used verbatim.
    pub fn payload_b64(mut self, segment: impl Into<String>) -> Self {
        self.payload = Segment::Encoded(segment.into());
        self
    }

    /// `BASE64URL(header) "." BASE64URL(payload)`, the JWS Signing Input (RFC 7515 §5.1).
    pub fn signing_input(&self) -> String {
        format!("{}.{}", self.header.encode(), self.payload.encode())
    }

    /// The compact token signed by `key` under `alg` (see [`TestKey::sign`]). The header is not
    /// touched: set `alg` and `kid` in it yourself, or use [`token`].
    ///
    /// # Panics
    ///
    /// When `key` cannot sign with `alg`.
    pub fn sign(&self, key: &TestKey, alg: &str) -> String {
        let input = self.signing_input();
        let signature = key.sign(alg, input.as_bytes());
        format!("{input}.{}", b64url(signature))
    }

    /// The compact token with an HMAC tag under any secret bytes: `HS256`, `HS384` or `HS512`.
    /// For algorithm confusion, pass an RSA key's [`TestKey::public_pem`] bytes as the secret.
    ///
    /// # Panics
    ///
    /// For any other `alg`.
    pub fn sign_hmac(&self, secret: &[u8], alg: &str) -> String {
        let input = self.signing_input();
        let signature = hmac_sign(secret, alg, input.as_bytes());
        format!("{input}.{}", b64url(signature))
    }

    /// The compact token with the given signature bytes (empty, truncated, DER-encoded ECDSA,
    /// the "psychic" all-zero signature of CVE-2022-21449, ...).
    pub fn with_signature(&self, signature: &[u8]) -> String {
        format!("{}.{}", self.signing_input(), b64url(signature))
    }

    /// The token with an empty signature: `header.payload.` (an unsecured JWS, RFC 7515 §A.5).
    pub fn unsigned(&self) -> String {
        format!("{}.", self.signing_input())
    }
}

/// A normal token: header `{"alg": key.default_alg(), "kid": key.kid(), "typ": "JWT"}`, the
/// given claims, signed by `key`.
pub fn token(key: &TestKey, claims: &Value) -> String {
    JwsBuilder::new()
        .header(json!({"alg": key.default_alg(), "kid": key.kid(), "typ": "JWT"}))
        .payload(claims.clone())
        .sign(key, key.default_alg())
}

/// A token with this exact header, signed by `key` under the header's own `alg`: a provider's
/// header shape (`claims::*_header`) or a hand-written one like `{"alg": "PS256", "kid": ..}`.
///
/// # Panics
///
/// When the header has no string `alg`, or `key` cannot sign with it.
pub fn token_with_header(key: &TestKey, header: &Value, claims: &Value) -> String {
    JwsBuilder::new()
        .header(header.clone())
        .payload(claims.clone())
        .sign(key, header_alg(header))
}

/// A token with this exact header and an HMAC tag under any secret bytes, with the header's
/// `alg` (`HS256`, `HS384` or `HS512`): a legacy shared-secret token, or a forgery under a
/// secret the verifier does not hold.
///
/// # Panics
///
/// When the header's `alg` is missing or not an HMAC algorithm.
pub fn hmac_token(secret: &[u8], header: &Value, claims: &Value) -> String {
    JwsBuilder::new()
        .header(header.clone())
        .payload(claims.clone())
        .sign_hmac(secret, header_alg(header))
}

fn header_alg(header: &Value) -> &str {
    header["alg"]
        .as_str()
        .unwrap_or_else(|| panic!("the header {header} has no string `alg` to sign with"))
}

/// A five-segment JWE-shaped string (RFC 7516 §7.1) with the given protected header and random
/// content: what Auth0 returns without an `audience` and what an Auth.js session cookie is. No
/// verifier should mistake it for a JWS.
pub fn jwe_like(header: &Value) -> String {
    [
        b64url(header.to_string()),
        b64url(random_bytes(32)),
        b64url(random_bytes(12)),
        b64url(random_bytes(48)),
        b64url(random_bytes(16)),
    ]
    .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::fixtures;

    fn decode(segment: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(segment).expect("valid base64url")
    }

    #[test]
    fn raw_header_and_payload_bytes_are_kept_exactly() {
        let header = b"{\"alg\":\"HS256\",\"alg\":\"none\"}".to_vec();
        let payload = vec![0xff, 0xfe, b'{', 0x00, b'}'];
        let token = JwsBuilder::new()
            .header_raw(header.clone())
            .payload_raw(payload.clone())
            .sign(&fixtures().hmac, "HS256");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(decode(parts[0]), header);
        assert_eq!(decode(parts[1]), payload);
    }

    #[test]
    fn json_values_are_serialized_compactly() {
        let builder = JwsBuilder::new()
            .header(json!({"alg": "RS256", "typ": "JWT"}))
            .payload(json!({"sub": "a b", "n": [1, 2]}));
        let input = builder.signing_input();
        let (header, payload) = input.split_once('.').expect("two segments");
        assert_eq!(decode(header), br#"{"alg":"RS256","typ":"JWT"}"#);
        assert_eq!(decode(payload), br#"{"n":[1,2],"sub":"a b"}"#);
    }

    #[test]
    fn defaults_are_empty_objects() {
        assert_eq!(JwsBuilder::new().signing_input(), "e30.e30");
        assert_eq!(JwsBuilder::default().unsigned(), "e30.e30.");
    }

    #[test]
    fn encoded_segments_are_used_verbatim() {
        let token = JwsBuilder::new()
            .header_b64("eyJhbGciOiJIUzI1NiJ9==")
            .payload_b64("not base64!")
            .with_signature(b"");
        assert_eq!(token, "eyJhbGciOiJIUzI1NiJ9==.not base64!.");
    }

    #[test]
    fn with_signature_appends_the_given_bytes() {
        let token = JwsBuilder::new().with_signature(&[0u8; 64]);
        let signature = token.rsplit('.').next().expect("three segments");
        assert_eq!(decode(signature), vec![0u8; 64]);
    }

    #[test]
    fn sign_hmac_accepts_any_secret() {
        let pem = fixtures().rsa.public_pem();
        let builder = JwsBuilder::new().header(json!({"alg": "HS256"}));
        let token = builder.sign_hmac(pem.as_bytes(), "HS256");
        let expected = hmac_sign(pem.as_bytes(), "HS256", builder.signing_input().as_bytes());
        assert!(token.ends_with(&b64url(expected)));
    }

    #[test]
    fn token_sets_alg_kid_and_typ() {
        let key = &fixtures().ed;
        let token = token(key, &json!({"sub": "s"}));
        let header: Value =
            serde_json::from_slice(&decode(token.split('.').next().expect("header segment")))
                .expect("JSON header");
        assert_eq!(
            header,
            json!({"alg": "EdDSA", "kid": "idp-ed-1", "typ": "JWT"})
        );
    }

    #[test]
    fn token_with_header_signs_under_the_headers_alg() {
        let key = &fixtures().rsa;
        let header = json!({"alg": "PS256", "kid": "other", "cat": "x"});
        let token = token_with_header(key, &header, &json!({"sub": "s"}));
        let (input, signature) = token.rsplit_once('.').expect("three segments");
        let (encoded_header, _) = input.split_once('.').expect("header and payload");
        assert_eq!(decode(encoded_header), header.to_string().into_bytes());
        let verified = jsonwebtoken::crypto::verify(
            signature,
            input.as_bytes(),
            &key.decoding_key(),
            jsonwebtoken::Algorithm::PS256,
        );
        assert!(verified.expect("the verifier runs"));
    }

    #[test]
    fn hmac_token_tags_under_the_headers_alg() {
        let header = json!({"alg": "HS384", "typ": "JWT"});
        let token = hmac_token(b"secret", &header, &json!({"sub": "s"}));
        let (input, signature) = token.rsplit_once('.').expect("three segments");
        assert_eq!(
            decode(signature),
            hmac_sign(b"secret", "HS384", input.as_bytes())
        );
    }

    #[test]
    #[should_panic(expected = "no string `alg`")]
    fn a_header_without_alg_cannot_choose_the_algorithm() {
        token_with_header(&fixtures().ec, &json!({"kid": "k"}), &json!({}));
    }

    #[test]
    fn jwe_like_has_five_segments() {
        let jwe = jwe_like(&json!({"alg": "dir", "enc": "A256GCM"}));
        assert_eq!(jwe.split('.').count(), 5);
    }

    #[test]
    fn debug_shows_segments_as_text() {
        let builder = JwsBuilder::new().payload_raw("x");
        assert_eq!(
            format!("{builder:?}"),
            r#"JwsBuilder { header: "{}", payload: "x" }"#
        );
    }
}
