//! Signing keys for Tambo tokens and the key ring that rotates them.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use serde_json::{Value, json};

use crate::Error;
use crate::jwt::{Algorithm, Curve, b64_encode};
use crate::keys::VerificationKey;
use crate::keys::backend::SignerKey;
use crate::token::TOKEN_TYPE;
use crate::verify::Secret;

/// RFC 8410 PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The domain of an HS256 signing key's `kid` digest.
const HS256_KID_DOMAIN: &str = "tambo-auth hs256 kid";

/// A key that signs Tambo tokens: Ed25519 (default), P-256 or an HMAC secret. `Debug` never
/// shows key material.
pub struct SigningKey {
    alg: Algorithm,
    signer: SignerKey,
    /// `BASE64URL({"alg","typ":"at+jwt","kid"})`: the header of every Tambo token it signs.
    tambo_header: String,
    verification: Arc<VerificationKey>,
    public_jwk: Option<Value>,
    private: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut buf = [0u8; N];
    if crate::keys::backend::fill_random(&mut buf) {
        Ok(buf)
    } else {
        Err(Error::config("random", "the random source failed"))
    }
}

impl SigningKey {
    /// Generates a fresh key for `alg`: `EdDSA`, `ES256` or `HS256`.
    pub fn generate(alg: Algorithm) -> Result<SigningKey, Error> {
        match alg {
            Algorithm::EdDSA => {
                let seed = random_bytes::<32>()?;
                let mut der = ED25519_PKCS8_PREFIX.to_vec();
                der.extend_from_slice(&seed);
                Self::from_pkcs8_der(alg, &der)
            }
            Algorithm::ES256 => loop {
                // A uniformly random scalar below the group order: retry the rare overflow.
                let candidate = random_bytes::<32>()?;
                if let Ok(secret) = p256::SecretKey::from_slice(&candidate) {
                    use p256::pkcs8::EncodePrivateKey as _;
                    let der = secret
                        .to_pkcs8_der()
                        .map_err(|_| Error::config("signing_key", "P-256 key encoding failed"))?;
                    return Self::from_pkcs8_der(alg, der.as_bytes());
                }
            },
            Algorithm::HS256 => Self::hmac(&Secret::from_bytes(random_bytes::<48>()?.to_vec())),
            other => Err(unsupported(other)),
        }
    }

    /// Loads a PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`) for `EdDSA` or `ES256`.
    pub fn from_pkcs8_pem(alg: Algorithm, pem: &str) -> Result<SigningKey, Error> {
        let (label, der) = der::pem::decode_vec(pem.trim().as_bytes())
            .map_err(|_| Error::config("signing_key", "not a PEM document"))?;
        if label != "PRIVATE KEY" {
            return Err(Error::config(
                "signing_key",
                "expected a PKCS#8 PRIVATE KEY",
            ));
        }
        Self::from_pkcs8_der(alg, &der)
    }

    /// Loads a PKCS#8 DER private key for `EdDSA` or `ES256`.
    pub fn from_pkcs8_der(alg: Algorithm, der: &[u8]) -> Result<SigningKey, Error> {
        let bad = || Error::config("signing_key", format!("not a PKCS#8 {alg} private key"));
        let (signer, verification, jwk) = match alg {
            Algorithm::EdDSA => {
                let (signer, x) = SignerKey::ed25519_pkcs8(der).ok_or_else(bad)?;
                let key = VerificationKey::ed25519(&x, None, Some(alg)).map_err(|_| bad())?;
                let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64_encode(&x)});
                (signer, key, jwk)
            }
            Algorithm::ES256 => {
                let (signer, x, y) = SignerKey::es256_pkcs8(der).ok_or_else(bad)?;
                let key =
                    VerificationKey::ec(Curve::P256, &x, &y, None, Some(alg)).map_err(|_| bad())?;
                let jwk =
                    json!({"kty": "EC", "crv": "P-256", "x": b64_encode(&x), "y": b64_encode(&y)});
                (signer, key, jwk)
            }
            other => return Err(unsupported(other)),
        };
        let kid = verification.thumbprint().to_owned();
        let mut jwk = jwk;
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!(alg.as_str());
        jwk["use"] = json!("sig");
        let key = SigningKey {
            tambo_header: encoded_header(alg, TOKEN_TYPE, &kid),
            alg,
            signer,
            verification: Arc::new(verification.with_kid(kid)),
            public_jwk: Some(jwk),
            private: der.to_vec(),
        };
        // A key that cannot sign is refused now, not at the first exchange.
        key.sign(b"self-test").map_err(|_| bad())?;
        Ok(key)
    }

    /// An HMAC (HS256) key, compatible with Tambo's per-project secret scheme. Its `kid` is
    /// the first 128 bits of a domain-separated SHA-256 digest of the secret (never the
    /// secret), so two secrets have two kids and [`KeyRing::remove`] targets one of them; the
    /// key itself is never published.
    pub fn hmac(secret: &Secret) -> Result<SigningKey, Error> {
        secret.check()?;
        let bytes = secret.expose();
        let verification = VerificationKey::from_secret(bytes)?;
        // Truncated: a kid only needs to be unique within a ring, and 128 bits keep
        // accidental collisions out of reach. Not an oracle: see `keys::hmac_digest`.
        let kid = b64_encode(&crate::keys::hmac_digest(HS256_KID_DOMAIN, bytes)[..16]);
        Ok(SigningKey {
            tambo_header: encoded_header(Algorithm::HS256, TOKEN_TYPE, &kid),
            alg: Algorithm::HS256,
            signer: SignerKey::hs256(bytes),
            verification: Arc::new(
                verification
                    .with_kid(kid)
                    .with_algorithm(Algorithm::HS256)?,
            ),
            public_jwk: None,
            private: bytes.to_vec(),
        })
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id: the RFC 7638 thumbprint of the public key; for HMAC keys, a digest of
    /// the secret (see [`hmac`](Self::hmac)).
    pub fn kid(&self) -> &str {
        self.verification.kid().unwrap_or_default()
    }

    /// The public JWK (public members only); `None` for HMAC keys, which are never published.
    pub fn public_jwk(&self) -> Option<&Value> {
        self.public_jwk.as_ref()
    }

    /// The key that verifies this key's signatures.
    pub fn verification_key(&self) -> &Arc<VerificationKey> {
        &self.verification
    }

    /// The private key as PKCS#8 PEM, for `keys generate`; `None` for HMAC keys.
    pub fn to_pkcs8_pem(&self) -> Option<String> {
        self.public_jwk.as_ref()?;
        der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &self.private).ok()
    }

    /// Signs `claims` as a compact JWS with header `{alg, typ, kid}`: for tools that mint
    /// tokens with this key, such as a development identity provider.
    pub fn sign_claims(&self, typ: &str, claims: &Value) -> Result<String, Error> {
        let input = format!(
            "{}.{}",
            encoded_header(self.alg, typ, self.kid()),
            b64_encode(claims.to_string())
        );
        let signature = self.sign(input.as_bytes())?;
        Ok(format!("{input}.{signature}"))
    }

    /// The encoded header of the Tambo tokens this key signs.
    pub(crate) fn tambo_header(&self) -> &str {
        &self.tambo_header
    }

    /// Signs `message`, returning the base64url signature.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<String, Error> {
        let signature = self
            .signer
            .sign(message)
            .ok_or_else(|| Error::config("signing_key", "signing failed"))?;
        Ok(b64_encode(signature))
    }
}

/// `BASE64URL({"alg","typ","kid"})`.
fn encoded_header(alg: Algorithm, typ: &str, kid: &str) -> String {
    b64_encode(json!({"alg": alg.as_str(), "typ": typ, "kid": kid}).to_string())
}

fn unsupported(alg: Algorithm) -> Error {
    Error::config(
        "token.algorithm",
        format!("Tambo tokens are signed with EdDSA, ES256 or HS256, not {alg}"),
    )
}

/// The keys that sign and verify Tambo tokens: one signs, all published ones verify.
///
/// Rotation without a failed request: [`publish`](KeyRing::publish) the next key (it verifies
/// and appears in the JWKS document at once), let caches of the JWKS catch up, then
/// [`activate`](KeyRing::activate) it; the previous key stays published until its last token
/// has expired.
#[derive(Debug)]
pub struct KeyRing {
    state: ArcSwap<RingState>,
    write: Mutex<()>,
}

#[derive(Debug, Clone)]
struct RingState {
    active: Arc<SigningKey>,
    keys: Vec<RingKey>,
}

#[derive(Debug, Clone)]
struct RingKey {
    key: Arc<SigningKey>,
    retire_at: Option<SystemTime>,
}

impl KeyRing {
    /// A ring signing with `active`.
    pub fn new(active: SigningKey) -> KeyRing {
        let active = Arc::new(active);
        KeyRing {
            state: ArcSwap::from_pointee(RingState {
                keys: vec![RingKey {
                    key: Arc::clone(&active),
                    retire_at: None,
                }],
                active,
            }),
            write: Mutex::new(()),
        }
    }

    fn update(
        &self,
        change: impl FnOnce(&mut RingState) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = RingState::clone(&self.state.load());
        change(&mut next)?;
        self.state.store(Arc::new(next));
        Ok(())
    }

    /// The key that signs now.
    pub fn active(&self) -> Arc<SigningKey> {
        Arc::clone(&self.state.load().active)
    }

    /// Publishes `key`: it verifies and is listed in the JWKS document, but does not sign yet.
    pub fn publish(&self, key: SigningKey) -> Result<(), Error> {
        self.publish_until(key, None)
    }

    /// Publishes `key` until `retire_at` (a previous key reloaded from storage, whose last
    /// tokens expire then); `None` keeps it until it is activated or removed.
    pub fn publish_until(
        &self,
        key: SigningKey,
        retire_at: Option<SystemTime>,
    ) -> Result<(), Error> {
        self.update(|state| {
            if state.keys.iter().any(|k| k.key.kid() == key.kid()) {
                return Ok(());
            }
            if key.algorithm() != state.active.algorithm() {
                return Err(Error::config(
                    "token.algorithm",
                    "a rotated key must use the ring's algorithm",
                ));
            }
            state.keys.push(RingKey {
                key: Arc::new(key),
                retire_at,
            });
            Ok(())
        })
    }

    /// Starts signing with the published key `kid`; the previous key keeps verifying until
    /// `retire_previous_at` (its last token's expiry plus leeway).
    pub fn activate(&self, kid: &str, retire_previous_at: SystemTime) -> Result<(), Error> {
        self.update(|state| {
            let next = state
                .keys
                .iter()
                .find(|k| k.key.kid() == kid)
                .map(|k| Arc::clone(&k.key))
                .ok_or_else(|| Error::config("kid", "publish a key before activating it"))?;
            let previous = state.active.kid().to_owned();
            for k in &mut state.keys {
                if k.key.kid() == previous && previous != kid {
                    k.retire_at = Some(retire_previous_at);
                }
                if k.key.kid() == kid {
                    k.retire_at = None;
                }
            }
            state.active = next;
            Ok(())
        })
    }

    /// Removes a key at once (a compromised key): its tokens stop verifying immediately. The
    /// active key cannot be removed; activate another first.
    pub fn remove(&self, kid: &str) -> Result<(), Error> {
        self.update(|state| {
            if state.active.kid() == kid {
                return Err(Error::config("kid", "the active key cannot be removed"));
            }
            state.keys.retain(|k| k.key.kid() != kid);
            Ok(())
        })
    }

    /// The key with `kid` that may still verify at `now`.
    pub fn verification_key(&self, kid: &str, now: SystemTime) -> Option<Arc<VerificationKey>> {
        self.state
            .load()
            .keys
            .iter()
            .find(|k| k.key.kid() == kid && k.retire_at.is_none_or(|at| now < at))
            .map(|k| Arc::clone(k.key.verification_key()))
    }

    /// Whether the key with `kid` may still verify at `now` (the re-check of a cached token:
    /// no key handed out).
    pub fn trusts(&self, kid: &str, now: SystemTime) -> bool {
        self.state
            .load()
            .keys
            .iter()
            .any(|k| k.key.kid() == kid && k.retire_at.is_none_or(|at| now < at))
    }

    /// The JWKS document of every key that verifies at `now`: public members only.
    pub fn jwks(&self, now: SystemTime) -> Value {
        let state = self.state.load();
        let keys: Vec<&Value> = state
            .keys
            .iter()
            .filter(|k| k.retire_at.is_none_or(|at| now < at))
            .filter_map(|k| k.key.public_jwk())
            .collect();
        json!({ "keys": keys })
    }

    /// The kids of every key that verifies at `now`, active first.
    pub fn kids(&self, now: SystemTime) -> Vec<String> {
        let state = self.state.load();
        let mut kids = vec![state.active.kid().to_owned()];
        kids.extend(
            state
                .keys
                .iter()
                .filter(|k| k.key.kid() != state.active.kid())
                .filter(|k| k.retire_at.is_none_or(|at| now < at))
                .map(|k| k.key.kid().to_owned()),
        );
        kids
    }
}
