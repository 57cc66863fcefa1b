//! Key material: static keys (PEM SPKI, X.509 certificate, JWK, shared secret), key sets,
//! the remote JWKS cache and OIDC discovery.
//!
//! Every key is validated when it is loaded, never when a token arrives: RSA keys have at
//! least 2048 bits, an odd public exponent above 1 and no ROCA fingerprint; EC points lie on
//! their curve; Ed25519 keys are 32 bytes; HMAC secrets are at least as long as the hash.
//!
//! ```
//! use tambo_auth::keys::{KeySet, VerificationKey};
//!
//! let jwk = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed-1",
//!               "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
//! let key = VerificationKey::from_jwk_str(jwk).unwrap();
//! assert_eq!(key.kid(), Some("ed-1"));
//! let set = KeySet::new(vec![key]).unwrap();
//! assert_eq!(set.len(), 1);
//! ```

pub(crate) mod backend;
mod discovery;
pub(crate) mod fetch;
mod jwk;
mod pem;
mod remote;
mod rsa_checks;

pub use discovery::DiscoveryDocument;
pub use fetch::{FetchPolicy, is_loopback_http_url};
pub use jwk::JwkPolicy;
pub use remote::{KeySetState, KeySetStatus, RemoteKeySet, RemoteKeySetConfig};
#[cfg(any(fuzzing, test))]
pub(crate) use {
    discovery::{discovery_url, jwks_uri},
    fetch::check_url,
};

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use crate::Error;
use crate::jwt::{Algorithm, Curve, Family, Header, Jws};

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "tambo-auth needs a crypto backend: enable its `aws-lc-rs` (default) or `rust-crypto` feature"
);

/// What a key is, as far as algorithm choice is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA with a modulus of this many bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// EC on a NIST curve.
    Ec(Curve),
    /// Ed25519.
    Ed25519,
    /// An HMAC secret of this many bytes.
    Hmac {
        /// Secret length in bytes.
        len: usize,
    },
}

/// A validated public key (or HMAC secret) with the algorithms it may verify.
#[derive(Clone)]
pub struct VerificationKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    kind: KeyKind,
    key: backend::PublicKey,
    thumbprint: String,
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No key bytes: an HMAC secret must never reach a log.
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl VerificationKey {
    /// Loads a public key from PEM: SPKI (`PUBLIC KEY`), PKCS#1 (`RSA PUBLIC KEY`) or an
    /// X.509 certificate (`CERTIFICATE`). Leading and trailing whitespace is ignored.
    pub fn from_pem(pem: &str) -> Result<VerificationKey, Error> {
        pem::parse(pem)
    }

    /// Loads a public key from a JWK document (a single key, not a set).
    pub fn from_jwk_str(jwk: &str) -> Result<VerificationKey, Error> {
        let value = crate::jwt::parse_strict(jwk.as_bytes()).map_err(|_| Error::InvalidKey {
            reason: "the JWK is not a duplicate-free JSON object".into(),
        })?;
        Self::from_jwk(&value, JwkPolicy::PublicOnly)
    }

    /// Loads a key from a parsed JWK under `policy`.
    pub fn from_jwk(jwk: &Value, policy: JwkPolicy) -> Result<VerificationKey, Error> {
        jwk::parse(jwk, policy).map_err(|reason| Error::InvalidKey { reason })
    }

    /// An HMAC secret (raw bytes). Refused under 32 bytes (RFC 7518 §3.2).
    pub fn from_secret(secret: &[u8]) -> Result<VerificationKey, Error> {
        if secret.len() < 32 {
            return Err(Error::InvalidKey {
                reason: format!(
                    "an HMAC secret needs at least 32 bytes, this one has {}",
                    secret.len()
                ),
            });
        }
        Ok(Self::hmac(secret, None, None))
    }

    pub(crate) fn hmac(secret: &[u8], kid: Option<String>, alg: Option<Algorithm>) -> Self {
        // Distinct secrets are distinct keys: `KeySet::contains` compares thumbprints, so a
        // label that two secrets could share would let one stand in for the other. See
        // `hmac_digest` for why a digest of the secret is no new oracle.
        let thumbprint = crate::jwt::b64_encode(hmac_digest(HMAC_THUMBPRINT_DOMAIN, secret));
        VerificationKey {
            kid,
            alg,
            kind: KeyKind::Hmac { len: secret.len() },
            key: backend::PublicKey::hmac(secret),
            thumbprint,
        }
    }

    pub(crate) fn rsa(
        n: &[u8],
        e: &[u8],
        kid: Option<String>,
        alg: Option<Algorithm>,
    ) -> Result<Self, String> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        rsa_checks::check(n, e)?;
        let thumbprint = thumbprint(&format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            crate::jwt::b64_encode(e),
            crate::jwt::b64_encode(n)
        ));
        Ok(VerificationKey {
            kid,
            alg,
            kind: KeyKind::Rsa { bits: bit_len(n) },
            key: backend::PublicKey::rsa(n, e)?,
            thumbprint,
        })
    }

    pub(crate) fn ec(
        curve: Curve,
        x: &[u8],
        y: &[u8],
        kid: Option<String>,
        alg: Option<Algorithm>,
    ) -> Result<Self, String> {
        let size = match curve {
            Curve::P256 => 32,
            Curve::P384 => 48,
        };
        if x.len() != size || y.len() != size {
            return Err(format!(
                "EC coordinates must be {size} bytes for this curve"
            ));
        }
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let on_curve = match curve {
            Curve::P256 => p256::PublicKey::from_sec1_bytes(&point).is_ok(),
            Curve::P384 => p384::PublicKey::from_sec1_bytes(&point).is_ok(),
        };
        if !on_curve {
            return Err("the EC point is not on the curve".into());
        }
        let crv = match curve {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        };
        let thumbprint = thumbprint(&format!(
            r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
            crate::jwt::b64_encode(x),
            crate::jwt::b64_encode(y)
        ));
        Ok(VerificationKey {
            kid,
            alg,
            kind: KeyKind::Ec(curve),
            key: backend::PublicKey::ec(curve, &point)?,
            thumbprint,
        })
    }

    pub(crate) fn ed25519(
        x: &[u8],
        kid: Option<String>,
        alg: Option<Algorithm>,
    ) -> Result<Self, String> {
        if x.len() != 32 {
            return Err("an Ed25519 public key is 32 bytes".into());
        }
        let x_b64 = crate::jwt::b64_encode(x);
        let thumbprint = thumbprint(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x_b64}"}}"#));
        Ok(VerificationKey {
            kid,
            alg,
            kind: KeyKind::Ed25519,
            key: backend::PublicKey::ed25519(x)?,
            thumbprint,
        })
    }

    /// Returns this key with another key id.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Pins this key to one algorithm, as a JWK `alg` member does.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, Error> {
        if !self.family_fits(alg) {
            return Err(Error::InvalidKey {
                reason: format!("{alg} cannot be used with this key"),
            });
        }
        self.alg = Some(alg);
        Ok(self)
    }

    /// The key id.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm this key is pinned to, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// What kind of key this is.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. For HMAC
    /// secrets, a domain-separated SHA-256 digest of the secret: distinct secrets have
    /// distinct thumbprints, and the digest tells nothing a signed token does not.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Whether this key may verify `alg`: the family and curve fit, an HMAC secret is long
    /// enough for the hash, and a pinned algorithm matches.
    pub fn supports(&self, alg: Algorithm) -> bool {
        self.family_fits(alg) && self.alg.is_none_or(|pinned| pinned == alg)
    }

    fn family_fits(&self, alg: Algorithm) -> bool {
        match (self.kind, alg.family()) {
            (KeyKind::Rsa { .. }, Family::Rsa) | (KeyKind::Ed25519, Family::Ed25519) => true,
            (KeyKind::Ec(c), Family::Ec(want)) => c == want,
            (KeyKind::Hmac { len }, Family::Hmac) => {
                alg.min_secret_len().is_some_and(|min| len >= min)
            }
            _ => false,
        }
    }

    /// Verifies `jws`'s signature with `alg`. The caller has checked `supports`.
    pub(crate) fn verify_jws(&self, alg: Algorithm, jws: &Jws<'_>) -> Result<(), Error> {
        self.verify(alg, jws.signing_input(), jws.signature())
    }

    /// Verifies `signature` over `message` with `alg`. The caller has checked `supports`.
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let expected_len = match alg {
            Algorithm::ES256 => Some(64),
            Algorithm::ES384 => Some(96),
            Algorithm::EdDSA => Some(64),
            _ => None,
        };
        // Fixed-size R||S only: DER, truncated or padded signatures never reach the backend
        // (RFC 7518 §3.4).
        if expected_len.is_some_and(|len| signature.len() != len) {
            return Err(Error::InvalidSignature);
        }
        if self.key.verify(alg, message, signature) {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }
}

/// A set of verification keys, as published by one issuer or configured for it.
///
/// Key ids that appear twice are ambiguous: a token naming one is refused (RFC 7517 §4.5,
/// Wycheproof JWK tcId 4).
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Arc<VerificationKey>>,
    ambiguous: HashSet<String>,
}

impl KeySet {
    /// A set of keys. Symmetric and asymmetric keys may not be mixed (Wycheproof JWK tcId 1).
    pub fn new(keys: Vec<VerificationKey>) -> Result<KeySet, Error> {
        let symmetric = keys
            .iter()
            .filter(|k| matches!(k.kind, KeyKind::Hmac { .. }))
            .count();
        if symmetric != 0 && symmetric != keys.len() {
            return Err(Error::InvalidKey {
                reason: "a key set may not mix HMAC secrets with public keys".into(),
            });
        }
        let mut seen = HashSet::new();
        let mut ambiguous = HashSet::new();
        for kid in keys.iter().filter_map(|k| k.kid.as_deref()) {
            if !seen.insert(kid) {
                ambiguous.insert(kid.to_owned());
            }
        }
        Ok(KeySet {
            keys: keys.into_iter().map(Arc::new).collect(),
            ambiguous,
        })
    }

    /// Parses a JWK Set document. Keys that fail `policy` are skipped one by one, never
    /// poisoning the rest; the reasons are returned for logging.
    pub fn from_jwks(
        document: &[u8],
        policy: JwkPolicy,
        max_keys: usize,
    ) -> Result<(KeySet, Vec<String>), Error> {
        let invalid = |reason: &str| Error::InvalidKey {
            reason: reason.to_owned(),
        };
        let value = crate::jwt::parse_strict(document)
            .map_err(|_| invalid("the JWK Set is not duplicate-free JSON"))?;
        let keys = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("the JWK Set has no `keys` array"))?;
        let mut loaded = Vec::new();
        let mut skipped = Vec::new();
        for (index, jwk) in keys.iter().enumerate() {
            if index >= max_keys {
                skipped.push(format!("keys past the first {max_keys} were ignored"));
                break;
            }
            match jwk::parse(jwk, policy) {
                Ok(key) => loaded.push(key),
                Err(reason) => skipped.push(format!("key #{index}: {reason}")),
            }
        }
        Ok((KeySet::new(loaded)?, skipped))
    }

    /// The number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys.
    pub fn keys(&self) -> impl Iterator<Item = &VerificationKey> {
        self.keys.iter().map(Arc::as_ref)
    }

    /// Picks the key for a header: by `kid` when the token names one; without `kid` only
    /// when the set holds exactly one key (OIDC Core §10.1). `jku`, `x5u`, `jwk` and `x5c`
    /// are never consulted.
    pub fn select(&self, header: &Header, alg: Algorithm) -> Result<Arc<VerificationKey>, Error> {
        self.find(header, alg).map(Arc::clone)
    }

    /// [`select`](Self::select), borrowed.
    fn find(&self, header: &Header, alg: Algorithm) -> Result<&Arc<VerificationKey>, Error> {
        let key = match header.kid() {
            Some(kid) => {
                if self.ambiguous.contains(kid) {
                    return Err(Error::AmbiguousKey);
                }
                match self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)) {
                    Some(key) => key,
                    // A single configured key without a kid (a PEM key) answers any kid.
                    None if self.keys.len() == 1 && self.keys[0].kid.is_none() => &self.keys[0],
                    None => return Err(Error::UnknownKey),
                }
            }
            None => match self.keys.as_slice() {
                [only] => only,
                [] => return Err(Error::UnknownKey),
                _ => return Err(Error::AmbiguousKey),
            },
        };
        if !key.supports(alg) {
            return Err(Error::AlgorithmNotAllowed {
                reason: "the algorithm does not fit the key the token names",
            });
        }
        Ok(key)
    }

    /// Selects the key for `jws` and verifies its signature with `alg`; the key that did.
    pub fn verify(&self, jws: &Jws<'_>, alg: Algorithm) -> Result<Arc<VerificationKey>, Error> {
        let key = self.find(jws.header(), alg)?;
        key.verify_jws(alg, jws)?;
        Ok(Arc::clone(key))
    }

    /// Whether the set holds `key` (the same public key under the same `kid`): the re-check
    /// of a token verified earlier, after the set may have been replaced.
    pub fn contains(&self, key: &VerificationKey) -> bool {
        self.keys
            .iter()
            .any(|k| k.thumbprint == key.thumbprint && k.kid == key.kid)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_len(n: &[u8]) -> usize {
    match n.first() {
        None => 0,
        Some(first) => n.len() * 8 - first.leading_zeros() as usize,
    }
}

/// The domain of an HMAC secret's thumbprint ([`VerificationKey::thumbprint`]).
const HMAC_THUMBPRINT_DOMAIN: &str = "tambo-auth hmac thumbprint";

/// SHA-256 of `domain`, a NUL byte, then `secret`: the identity of an HMAC secret.
///
/// Why this is no oracle beyond what the key already gives away: every token signed with the
/// secret is itself a test of a guess (`HMAC(guess, header.payload) == signature`), as cheap as
/// this digest, so anyone holding one token (every client does) can already search offline.
/// What keeps the secret safe in both cases is its entropy: [`Secret::check`] refuses secrets
/// under 32 bytes or with a handful of distinct bytes, and generated keys have 48 random bytes
/// (RFC 8725 §3.5). The domain keeps the digest apart from any other use of SHA-256 over the
/// same bytes, and the secret itself never leaves.
///
/// [`Secret::check`]: crate::verify::Secret::check
pub(crate) fn hmac_digest(domain: &str, secret: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut digest = sha2::Sha256::new();
    digest.update(domain.as_bytes());
    digest.update([0u8]);
    digest.update(secret);
    digest.finalize().into()
}

/// RFC 7638 thumbprint of the canonical JSON of the required members.
fn thumbprint(canonical_json: &str) -> String {
    use sha2::Digest as _;
    crate::jwt::b64_encode(sha2::Sha256::digest(canonical_json.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_thumbprint_matches_the_rfc_example() {
        // RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = VerificationKey::from_jwk_str(&format!(
            r#"{{"kty":"RSA","n":"{n}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}"#
        ))
        .unwrap();
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    /// RFC 8037 §A.4: checks the compiled crypto backend end to end (CI runs this under
    /// both `aws-lc-rs` and `rust-crypto`).
    #[test]
    fn the_rfc8037_ed25519_example_verifies_and_a_flipped_bit_does_not() {
        let key = VerificationKey::from_jwk_str(
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        let set = KeySet::new(vec![key]).unwrap();
        let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        let jws = Jws::parse(token).unwrap();
        assert!(set.verify(&jws, Algorithm::EdDSA).is_ok());
        let tampered = token.replace(".hgy", ".hgz");
        let jws = Jws::parse(&tampered).unwrap();
        assert!(matches!(
            set.verify(&jws, Algorithm::EdDSA),
            Err(Error::InvalidSignature)
        ));
    }

    #[test]
    fn hmac_secrets_need_the_hash_size() {
        assert!(VerificationKey::from_secret(&[7; 31]).is_err());
        let k = VerificationKey::from_secret(&[7; 32]).unwrap();
        assert!(k.supports(Algorithm::HS256));
        assert!(!k.supports(Algorithm::HS384));
        assert!(!k.supports(Algorithm::RS256));
        assert!(!format!("{k:?}").contains("7, 7"));
    }

    #[test]
    fn mixed_sets_are_refused_and_duplicate_kids_are_ambiguous() {
        let hmac = VerificationKey::from_secret(&[1; 32])
            .unwrap()
            .with_kid("a");
        let ed = VerificationKey::ed25519(&[9; 32], Some("a".into()), None);
        // Not every 32-byte string is a valid point for every backend, but loading only
        // checks the length; the set logic is what is under test.
        let ed = ed.unwrap();
        assert!(KeySet::new(vec![hmac.clone(), ed]).is_err());
        let set = KeySet::new(vec![hmac.clone(), hmac.with_kid("a")]).unwrap();
        assert_eq!(set.ambiguous.len(), 1);
    }
}
