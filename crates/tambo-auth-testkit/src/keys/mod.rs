//! Signing keys for tests: RSA, P-256, P-384, Ed25519 and HMAC, with their public forms
//! (JWK, SPKI PEM/DER, self-signed certificate) and raw JWS signatures.
//!
//! ```
//! use tambo_auth_testkit::keys::{fixtures, KeyKind, TestKey};
//!
//! let key = TestKey::p256("my-ec-key");
//! assert_eq!(key.kind(), KeyKind::P256);
//! assert_eq!(key.default_alg(), "ES256");
//! assert_eq!(key.public_jwk()["crv"], "P-256");
//! assert_eq!(key.sign("ES256", b"header.payload").len(), 64); // fixed r || s
//!
//! // Process-wide fixtures: generated once, shared by every test in the binary.
//! assert_eq!(fixtures().rsa.kid(), "idp-rsa-1");
//! // Debug output never shows key material.
//! assert_eq!(format!("{:?}", fixtures().hmac), r#"TestKey { kid: "idp-hmac-1", kind: Hmac }"#);
//! ```

mod der;

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use aws_lc_rs::{digest, hmac, rand, rsa};
use serde_json::{Value, json};

use crate::jws::b64url;

/// The kind of key material a [`TestKey`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA-2048 (RS256/384/512, PS256/384/512).
    Rsa,
    /// ECDSA on P-256 (ES256).
    P256,
    /// ECDSA on P-384 (ES384).
    P384,
    /// Ed25519 (EdDSA).
    Ed25519,
    /// A shared HMAC secret (HS256/384/512).
    Hmac,
}

impl KeyKind {
    /// The JWS `alg` this kind signs with by default.
    pub fn default_alg(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RS256",
            KeyKind::P256 => "ES256",
            KeyKind::P384 => "ES384",
            KeyKind::Ed25519 => "EdDSA",
            KeyKind::Hmac => "HS256",
        }
    }

    /// Every JWS `alg` a key of this kind can sign with through [`TestKey::sign`].
    pub fn supported_algs(self) -> &'static [&'static str] {
        match self {
            KeyKind::Rsa => &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
            KeyKind::P256 => &["ES256"],
            KeyKind::P384 => &["ES384"],
            KeyKind::Ed25519 => &["EdDSA", "Ed25519"],
            KeyKind::Hmac => &["HS256", "HS384", "HS512"],
        }
    }

    fn is_asymmetric(self) -> bool {
        self != KeyKind::Hmac
    }
}

/// A named signing key: key material plus the `kid` it is published under.
///
/// Cloning is cheap (the material sits behind an `Arc`), and [`TestKey::with_kid`] gives the
/// same material under another `kid`, for "same key, new name" rotation tests.
///
/// `Debug` shows the `kid` and the kind only, never key material, so a failing assertion cannot
/// leak a secret into CI logs.
#[derive(Clone)]
pub struct TestKey {
    kid: String,
    material: Arc<Material>,
    /// Built on first use and kept, so the `x5c` of one key stays the same across calls.
    certificate: Arc<OnceLock<Vec<u8>>>,
}

struct Material {
    kind: KeyKind,
    signer: Signer,
    /// PKCS#8 `PrivateKeyInfo`; empty for HMAC.
    pkcs8: Vec<u8>,
    /// SubjectPublicKeyInfo; empty for HMAC.
    spki: Vec<u8>,
}

enum Signer {
    Rsa(rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Hmac(Vec<u8>),
}

// The constructors below call `expect` because key generation only fails when the crypto
// library itself is broken, which is a broken test environment, not a test outcome.
impl TestKey {
    /// A fresh RSA-2048 key. Generation takes tens of milliseconds, so prefer [`fixtures`]
    /// where a fixed key will do.
    pub fn rsa(kid: impl Into<String>) -> TestKey {
        let pair = rsa::KeyPair::generate(KeySize::Rsa2048).expect("aws-lc-rs generates RSA keys");
        let pkcs8 = AsDer::<Pkcs8V1Der<'_>>::as_der(&pair)
            .expect("aws-lc-rs encodes RSA keys as PKCS#8")
            .as_ref()
            .to_vec();
        let spki = pair
            .public_key()
            .as_der()
            .expect("aws-lc-rs encodes RSA public keys")
            .as_ref()
            .to_vec();
        Self::assemble(kid, KeyKind::Rsa, Signer::Rsa(pair), pkcs8, spki)
    }

    /// A fresh ECDSA P-256 key.
    pub fn p256(kid: impl Into<String>) -> TestKey {
        Self::ec(
            kid,
            KeyKind::P256,
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
    }

    /// A fresh ECDSA P-384 key.
    pub fn p384(kid: impl Into<String>) -> TestKey {
        Self::ec(
            kid,
            KeyKind::P384,
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        )
    }

    fn ec(
        kid: impl Into<String>,
        kind: KeyKind,
        alg: &'static signature::EcdsaSigningAlgorithm,
    ) -> TestKey {
        let pair = EcdsaKeyPair::generate(alg).expect("aws-lc-rs generates EC keys");
        let pkcs8 = pair
            .to_pkcs8v1()
            .expect("aws-lc-rs encodes EC keys as PKCS#8")
            .as_ref()
            .to_vec();
        let spki = pair
            .public_key()
            .as_der()
            .expect("aws-lc-rs encodes EC public keys")
            .as_ref()
            .to_vec();
        Self::assemble(kid, kind, Signer::Ec(pair), pkcs8, spki)
    }

    /// A fresh Ed25519 key.
    pub fn ed25519(kid: impl Into<String>) -> TestKey {
        let pair = Ed25519KeyPair::generate().expect("aws-lc-rs generates Ed25519 keys");
        let pkcs8 = pair
            .to_pkcs8v1()
            .expect("aws-lc-rs encodes Ed25519 keys as PKCS#8")
            .as_ref()
            .to_vec();
        let spki = pair
            .public_key()
            .as_der()
            .expect("aws-lc-rs encodes Ed25519 public keys")
            .as_ref()
            .to_vec();
        Self::assemble(kid, KeyKind::Ed25519, Signer::Ed(pair), pkcs8, spki)
    }

    /// A fresh HMAC secret of 32 random bytes.
    pub fn hmac(kid: impl Into<String>) -> TestKey {
        Self::hmac_from(kid, random_bytes(32))
    }

    /// An HMAC key with the given secret, of any length (empty and short secrets included, for
    /// weak-key tests).
    pub fn hmac_from(kid: impl Into<String>, secret: impl Into<Vec<u8>>) -> TestKey {
        let signer = Signer::Hmac(secret.into());
        Self::assemble(kid, KeyKind::Hmac, signer, Vec::new(), Vec::new())
    }

    fn assemble(
        kid: impl Into<String>,
        kind: KeyKind,
        signer: Signer,
        pkcs8: Vec<u8>,
        spki: Vec<u8>,
    ) -> TestKey {
        TestKey {
            kid: kid.into(),
            material: Arc::new(Material {
                kind,
                signer,
                pkcs8,
                spki,
            }),
            certificate: Arc::new(OnceLock::new()),
        }
    }

    /// The same key material published under another `kid`.
    #[must_use]
    pub fn with_kid(&self, kid: impl Into<String>) -> TestKey {
        TestKey {
            kid: kid.into(),
            material: Arc::clone(&self.material),
            certificate: Arc::new(OnceLock::new()),
        }
    }

    /// The key id this key is published and referenced under.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The kind of key material.
    pub fn kind(&self) -> KeyKind {
        self.material.kind
    }

    /// `"RS256"`, `"ES256"`, `"ES384"`, `"EdDSA"` or `"HS256"`, by kind.
    pub fn default_alg(&self) -> &'static str {
        self.kind().default_alg()
    }

    /// Whether [`TestKey::sign`] accepts `alg` for this key.
    pub fn supports(&self, alg: &str) -> bool {
        self.kind().supported_algs().contains(&alg)
    }

    /// The public JWK (RFC 7517 §4, RFC 7518 §6) with `kid`, `use: "sig"` and the default `alg`:
    ///
    /// - RSA: `{"kty":"RSA","n","e"}`
    /// - P-256 / P-384: `{"kty":"EC","crv":"P-256"|"P-384","x","y"}`
    /// - Ed25519: `{"kty":"OKP","crv":"Ed25519","x"}` (RFC 8037)
    /// - HMAC: `{"kty":"oct","k"}`, which **contains the secret**: publish it only to test that
    ///   a verifier refuses symmetric keys from a JWKS.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = json!({
            "kid": self.kid,
            "use": "sig",
            "alg": self.default_alg(),
        });
        let fields = match &self.material.signer {
            Signer::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "kty": "RSA",
                    "n": b64url(public.modulus().big_endian_without_leading_zero()),
                    "e": b64url(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Signer::Ec(pair) => {
                // Uncompressed SEC1 point: 0x04 || x || y, coordinates of equal length.
                let point = &pair.public_key().as_ref()[1..];
                let (x, y) = point.split_at(point.len() / 2);
                let crv = if self.kind() == KeyKind::P256 {
                    "P-256"
                } else {
                    "P-384"
                };
                json!({"kty": "EC", "crv": crv, "x": b64url(x), "y": b64url(y)})
            }
            Signer::Ed(pair) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(pair.public_key().as_ref())})
            }
            Signer::Hmac(secret) => json!({"kty": "oct", "k": b64url(secret)}),
        };
        merge(&mut jwk, fields);
        jwk
    }

    /// [`TestKey::public_jwk`] plus the certificate chain members Auth0, WorkOS and Azure
    /// publish: `x5c` (standard base64 DER, RFC 7517 §4.7), `x5t` (SHA-1) and `x5t#S256`.
    ///
    /// # Panics
    ///
    /// For HMAC keys, which have no certificate.
    pub fn public_jwk_with_x5c(&self) -> Value {
        use base64::Engine as _;
        let cert = self.certificate_der();
        let mut jwk = self.public_jwk();
        merge(
            &mut jwk,
            json!({
                "x5c": [base64::engine::general_purpose::STANDARD.encode(&cert)],
                "x5t": b64url(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &cert)),
                "x5t#S256": b64url(digest::digest(&digest::SHA256, &cert)),
            }),
        );
        jwk
    }

    /// The SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7).
    ///
    /// # Panics
    ///
    /// For HMAC keys, which have no public half.
    pub fn public_der(&self) -> Vec<u8> {
        self.assert_asymmetric("public_der");
        self.material.spki.clone()
    }

    /// The SPKI in PEM, `-----BEGIN PUBLIC KEY-----` (RFC 7468 §13), as a static-key verifier
    /// configuration takes it.
    ///
    /// # Panics
    ///
    /// For HMAC keys, which have no public half.
    pub fn public_pem(&self) -> String {
        self.assert_asymmetric("public_pem");
        der::pem("PUBLIC KEY", &self.material.spki)
    }

    /// The private key as PKCS#8 DER (RFC 5208), e.g. to configure a token issuer under test.
    ///
    /// # Panics
    ///
    /// For HMAC keys; use [`TestKey::secret`].
    pub fn private_pkcs8_der(&self) -> Vec<u8> {
        self.assert_asymmetric("private_pkcs8_der");
        self.material.pkcs8.clone()
    }

    /// The private key as PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`.
    ///
    /// # Panics
    ///
    /// For HMAC keys; use [`TestKey::secret`].
    pub fn private_pem(&self) -> String {
        self.assert_asymmetric("private_pem");
        der::pem("PRIVATE KEY", &self.material.pkcs8)
    }

    /// A self-signed X.509 certificate for this key (subject `CN=<kid>`, SAN `localhost`), DER.
    /// Built once per `TestKey` value and then reused.
    ///
    /// # Panics
    ///
    /// For HMAC keys, which have no certificate.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.assert_asymmetric("certificate_der");
        self.certificate
            .get_or_init(|| self.build_certificate())
            .clone()
    }

    /// [`TestKey::certificate_der`] as PEM, `-----BEGIN CERTIFICATE-----`.
    ///
    /// # Panics
    ///
    /// For HMAC keys, which have no certificate.
    pub fn certificate_pem(&self) -> String {
        der::pem("CERTIFICATE", &self.certificate_der())
    }

    fn build_certificate(&self) -> Vec<u8> {
        let key_pair = rcgen::KeyPair::try_from(self.material.pkcs8.as_slice())
            .expect("rcgen reads the PKCS#8 that aws-lc-rs wrote");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .expect("`localhost` is a valid subject alternative name");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, self.kid.as_str());
        params
            .self_signed(&key_pair)
            .expect("rcgen signs a certificate with a valid key")
            .der()
            .to_vec()
    }

    /// The HMAC secret, or `None` for asymmetric keys.
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.material.signer {
            Signer::Hmac(secret) => Some(secret),
            _ => None,
        }
    }

    /// The raw JWS signature of `signing_input` under `alg` (RFC 7518 §3): PKCS#1 v1.5 or PSS
    /// for RSA keys, fixed-width `r || s` for ECDSA (§3.4, not DER), Ed25519 (RFC 8037), or an
    /// HMAC tag. `"Ed25519"` is accepted as a synonym of `"EdDSA"` (RFC 9864 fully specified
    /// name).
    ///
    /// # Panics
    ///
    /// When the key cannot sign with `alg` (see [`KeyKind::supported_algs`]): that is a bug in
    /// the test. To sign with an arbitrary HMAC secret use [`hmac_sign`].
    pub fn sign(&self, alg: &str, signing_input: &[u8]) -> Vec<u8> {
        if !self.supports(alg) {
            self.unsupported(alg);
        }
        match &self.material.signer {
            Signer::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    "RS256" => &signature::RSA_PKCS1_SHA256,
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    _ => self.unsupported(alg),
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rand::SystemRandom::new(), signing_input, &mut out)
                    .expect("RSA signing with a valid key succeeds");
                out
            }
            Signer::Ec(pair) => pair
                .sign(&rand::SystemRandom::new(), signing_input)
                .expect("ECDSA signing with a valid key succeeds")
                .as_ref()
                .to_vec(),
            Signer::Ed(pair) => pair.sign(signing_input).as_ref().to_vec(),
            Signer::Hmac(secret) => hmac_sign(secret, alg, signing_input),
        }
    }

    /// A `jsonwebtoken` decoding key for this key's public half (or the HMAC secret), for tests
    /// that verify with `jsonwebtoken` directly.
    pub fn decoding_key(&self) -> jsonwebtoken::DecodingKey {
        use jsonwebtoken::DecodingKey;
        match &self.material.signer {
            Signer::Rsa(pair) => {
                let public = pair.public_key();
                DecodingKey::from_rsa_raw_components(
                    public.modulus().big_endian_without_leading_zero(),
                    public.exponent().big_endian_without_leading_zero(),
                )
            }
            // The aws-lc backend wants the raw SEC1 point / raw Ed25519 key, not SPKI.
            Signer::Ec(pair) => DecodingKey::from_ec_der(pair.public_key().as_ref()),
            Signer::Ed(pair) => DecodingKey::from_ed_der(pair.public_key().as_ref()),
            Signer::Hmac(secret) => DecodingKey::from_secret(secret),
        }
    }

    /// A `jsonwebtoken` encoding key, for tests that build typed tokens with
    /// `jsonwebtoken::encode`.
    pub fn encoding_key(&self) -> jsonwebtoken::EncodingKey {
        use jsonwebtoken::EncodingKey;
        match &self.material.signer {
            // jsonwebtoken's aws-lc backend reads RSA signing keys as PKCS#1 only.
            Signer::Rsa(_) => EncodingKey::from_rsa_der(
                &der::pkcs1_from_pkcs8(&self.material.pkcs8)
                    .expect("aws-lc-rs writes a well-formed PKCS#8 RSA key"),
            ),
            Signer::Ec(_) => EncodingKey::from_ec_der(&self.material.pkcs8),
            Signer::Ed(_) => EncodingKey::from_ed_der(&self.material.pkcs8),
            Signer::Hmac(secret) => EncodingKey::from_secret(secret),
        }
    }

    fn unsupported(&self, alg: &str) -> ! {
        panic!(
            "TestKey {:?} ({:?}) cannot sign with alg {alg:?}; it supports {:?}",
            self.kid,
            self.kind(),
            self.kind().supported_algs()
        )
    }

    fn assert_asymmetric(&self, what: &str) {
        assert!(
            self.kind().is_asymmetric(),
            "TestKey::{what} called on HMAC key {:?}, which has no public key or certificate",
            self.kid
        );
    }
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind())
            .finish()
    }
}

/// Two keys are equal when they carry the same `kid` and the same key material.
impl PartialEq for TestKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid
            && self.kind() == other.kind()
            && self.material.spki == other.material.spki
            && self.secret() == other.secret()
    }
}

impl Eq for TestKey {}

/// The HMAC tag of `message` under an arbitrary `secret`, for `alg` `HS256`, `HS384` or `HS512`.
///
/// Unlike [`TestKey::sign`] this takes any bytes as the secret, which is what algorithm
/// confusion tests need (an RSA public key's PEM or DER used as an HMAC secret, RFC 8725 §2.1).
///
/// # Panics
///
/// For any other `alg`.
pub fn hmac_sign(secret: &[u8], alg: &str, message: &[u8]) -> Vec<u8> {
    let algorithm = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        other => panic!("hmac_sign: {other:?} is not HS256, HS384 or HS512"),
    };
    hmac::sign(&hmac::Key::new(algorithm, secret), message)
        .as_ref()
        .to_vec()
}

/// A JWK Set document (RFC 7517 §5), `{"keys": [..]}`, of the keys' [public JWKs](TestKey::public_jwk).
pub fn jwks(keys: &[TestKey]) -> Value {
    json!({ "keys": keys.iter().map(TestKey::public_jwk).collect::<Vec<_>>() })
}

/// The keys every test can share (the fixtures the attack and fault cases of `docs/security.md` use).
///
/// Generated once per process by [`fixtures`]; RSA key generation is too slow to repeat per test.
#[derive(Clone, Debug)]
pub struct Fixtures {
    /// RSA-2048, `kid` `idp-rsa-1`: the default signing key of [`crate::idp::TestIdp`].
    pub rsa: TestKey,
    /// A second RSA-2048 key, `kid` `idp-rsa-2`, for rotation tests.
    pub rsa2: TestKey,
    /// ECDSA P-256, `kid` `idp-ec-1`.
    pub ec: TestKey,
    /// ECDSA P-384, `kid` `idp-ec384-1`.
    pub ec384: TestKey,
    /// Ed25519, `kid` `idp-ed-1`.
    pub ed: TestKey,
    /// A 32-byte random HMAC secret, `kid` `idp-hmac-1`.
    pub hmac: TestKey,
}

/// The process-wide [`Fixtures`], generated on first call.
///
/// They are random per process (never committed), identical for every test in one test binary.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| Fixtures {
        rsa: TestKey::rsa("idp-rsa-1"),
        rsa2: TestKey::rsa("idp-rsa-2"),
        ec: TestKey::p256("idp-ec-1"),
        ec384: TestKey::p384("idp-ec384-1"),
        ed: TestKey::ed25519("idp-ed-1"),
        hmac: TestKey::hmac("idp-hmac-1"),
    })
}

pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    rand::fill(&mut out).expect("the system random source is available");
    out
}

pub(crate) fn merge(target: &mut Value, fields: Value) {
    if let (Value::Object(target), Value::Object(fields)) = (target, fields) {
        target.extend(fields);
    }
}

#[cfg(test)]
mod tests;
