//! Key material as the crypto backend holds it: parsed once when a key is loaded, never per
//! token.
//!
//! With `aws-lc-rs` (the default) a public key is an `aws_lc_rs::signature::ParsedPublicKey`
//! per algorithm it may verify, an HMAC secret an `hmac::Key` per hash, and a signing key an
//! `Ed25519KeyPair` or `EcdsaKeyPair`. jsonwebtoken's verifier and signer factories would
//! re-parse the key on every call (an RSA modulus copy and parse, or a whole Ed25519 scalar
//! multiplication to recompute the public key from the seed): that was most of the gap
//! between our verification and the bare signature check in `docs/performance.md`.
//!
//! With `rust-crypto` alone the jsonwebtoken factories remain, as they are the only way to
//! reach the RustCrypto implementations through one maintained API.

use crate::jwt::{Algorithm, Curve};

pub(crate) use imp::{PublicKey, SignerKey, fill_random};

#[cfg(feature = "aws-lc-rs")]
mod imp {
    use aws_lc_rs::hmac;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaPublicKeyComponents};

    use super::{Algorithm, Curve};

    /// Fills `buf` from aws-lc's DRBG (seeded from the OS, no system call per use).
    pub(crate) fn fill_random(buf: &mut [u8]) -> bool {
        aws_lc_rs::rand::fill(buf).is_ok()
    }

    /// The RSA algorithms, in the order of [`PublicKey::Rsa`]'s slots.
    const RSA: [(Algorithm, &signature::RsaParameters); 6] = [
        (Algorithm::RS256, &signature::RSA_PKCS1_2048_8192_SHA256),
        (Algorithm::RS384, &signature::RSA_PKCS1_2048_8192_SHA384),
        (Algorithm::RS512, &signature::RSA_PKCS1_2048_8192_SHA512),
        (Algorithm::PS256, &signature::RSA_PSS_2048_8192_SHA256),
        (Algorithm::PS384, &signature::RSA_PSS_2048_8192_SHA384),
        (Algorithm::PS512, &signature::RSA_PSS_2048_8192_SHA512),
    ];

    /// A parsed public key or HMAC secret. Each variant answers only the algorithms its
    /// key family allows; anything else is a failed verification.
    #[derive(Clone)]
    pub(crate) enum PublicKey {
        /// One parsed key per RSA algorithm (an RSA key may verify all six).
        Rsa(Box<[ParsedPublicKey; 6]>),
        /// An EC key, parsed for its curve's single algorithm.
        Ec(Algorithm, ParsedPublicKey),
        /// An Ed25519 key.
        Ed25519(ParsedPublicKey),
        /// An HMAC secret keyed for SHA-256, SHA-384 and SHA-512.
        Hmac(Box<[hmac::Key; 3]>),
    }

    impl PublicKey {
        pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
            let components = RsaPublicKeyComponents { n, e };
            let parse = |params| {
                components
                    .to_parsed_public_key(params)
                    .map_err(|_| "the RSA key could not be loaded".to_string())
            };
            let [a, b, c, d, e, f] = RSA.map(|(_, params)| parse(params));
            Ok(PublicKey::Rsa(Box::new([a?, b?, c?, d?, e?, f?])))
        }

        pub(crate) fn ec(curve: Curve, sec1_point: &[u8]) -> Result<PublicKey, String> {
            let (alg, verification): (_, &'static dyn signature::VerificationAlgorithm) =
                match curve {
                    Curve::P256 => (Algorithm::ES256, &signature::ECDSA_P256_SHA256_FIXED),
                    Curve::P384 => (Algorithm::ES384, &signature::ECDSA_P384_SHA384_FIXED),
                };
            ParsedPublicKey::new(verification, sec1_point)
                .map(|key| PublicKey::Ec(alg, key))
                .map_err(|_| "the EC point could not be loaded".to_string())
        }

        pub(crate) fn ed25519(x: &[u8]) -> Result<PublicKey, String> {
            ParsedPublicKey::new(&signature::ED25519, x)
                .map(PublicKey::Ed25519)
                .map_err(|_| "the Ed25519 key could not be loaded".to_string())
        }

        pub(crate) fn hmac(secret: &[u8]) -> PublicKey {
            PublicKey::Hmac(Box::new([
                hmac::Key::new(hmac::HMAC_SHA256, secret),
                hmac::Key::new(hmac::HMAC_SHA384, secret),
                hmac::Key::new(hmac::HMAC_SHA512, secret),
            ]))
        }

        /// Whether `signature` is `alg`'s signature of `message` under this key. HMAC tags
        /// are compared in constant time.
        pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
            let parsed = match (self, alg) {
                (PublicKey::Hmac(keys), Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => {
                    let key = match alg {
                        Algorithm::HS256 => &keys[0],
                        Algorithm::HS384 => &keys[1],
                        _ => &keys[2],
                    };
                    return hmac::verify(key, message, signature).is_ok();
                }
                (PublicKey::Rsa(keys), alg) => {
                    match RSA.iter().position(|(rsa_alg, _)| *rsa_alg == alg) {
                        Some(slot) => &keys[slot],
                        None => return false,
                    }
                }
                (PublicKey::Ec(curve_alg, key), alg) if *curve_alg == alg => key,
                (PublicKey::Ed25519(key), Algorithm::EdDSA) => key,
                _ => return false,
            };
            parsed.verify_sig(message, signature).is_ok()
        }
    }

    /// A private key, parsed once.
    pub(crate) enum SignerKey {
        Ed25519(signature::Ed25519KeyPair),
        Es256(signature::EcdsaKeyPair),
        Hs256(Box<hmac::Key>),
    }

    impl SignerKey {
        /// An Ed25519 PKCS#8 key and its 32-byte public key.
        pub(crate) fn ed25519_pkcs8(der: &[u8]) -> Option<(SignerKey, Vec<u8>)> {
            let pair = signature::Ed25519KeyPair::from_pkcs8(der).ok()?;
            let x = pair.public_key().as_ref().to_vec();
            Some((SignerKey::Ed25519(pair), x))
        }

        /// A P-256 PKCS#8 key and its public point's `x` and `y`.
        pub(crate) fn es256_pkcs8(der: &[u8]) -> Option<(SignerKey, Vec<u8>, Vec<u8>)> {
            let pair = signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                der,
            )
            .ok()?;
            // An uncompressed SEC1 point: 0x04 || x || y.
            let point = pair.public_key().as_ref();
            if point.len() != 65 || point[0] != 0x04 {
                return None;
            }
            let (x, y) = (point[1..33].to_vec(), point[33..].to_vec());
            Some((SignerKey::Es256(pair), x, y))
        }

        pub(crate) fn hs256(secret: &[u8]) -> SignerKey {
            SignerKey::Hs256(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret)))
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
            match self {
                SignerKey::Ed25519(pair) => Some(pair.sign(message).as_ref().to_vec()),
                SignerKey::Es256(pair) => pair
                    .sign(&SystemRandom::new(), message)
                    .ok()
                    .map(|s| s.as_ref().to_vec()),
                SignerKey::Hs256(key) => Some(hmac::sign(key, message).as_ref().to_vec()),
            }
        }
    }
}

#[cfg(not(feature = "aws-lc-rs"))]
mod imp {
    use jsonwebtoken::jwk::EllipticCurve;
    use jsonwebtoken::{DecodingKey, EncodingKey};

    use jsonwebtoken::crypto::CryptoProvider;

    use super::{Algorithm, Curve};
    use crate::jwt::b64_encode;

    /// The RustCrypto provider, named here rather than through jsonwebtoken's process-wide
    /// default, which panics at runtime when both or neither of its backends are enabled
    /// somewhere in the dependency graph.
    fn crypto() -> &'static CryptoProvider {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }

    /// Fills `buf` from the operating system.
    pub(crate) fn fill_random(buf: &mut [u8]) -> bool {
        getrandom::fill(buf).is_ok()
    }

    /// A public key or HMAC secret in jsonwebtoken's form.
    #[derive(Clone)]
    pub(crate) struct PublicKey(DecodingKey);

    impl PublicKey {
        pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
            Ok(PublicKey(DecodingKey::from_rsa_raw_components(n, e)))
        }

        pub(crate) fn ec(_curve: Curve, sec1_point: &[u8]) -> Result<PublicKey, String> {
            let size = (sec1_point.len() - 1) / 2;
            let (x, y) = sec1_point[1..].split_at(size);
            DecodingKey::from_ec_components(&b64_encode(x), &b64_encode(y))
                .map(PublicKey)
                .map_err(|_| "the EC point could not be loaded".to_string())
        }

        pub(crate) fn ed25519(x: &[u8]) -> Result<PublicKey, String> {
            DecodingKey::from_ed_components(&b64_encode(x))
                .map(PublicKey)
                .map_err(|_| "the Ed25519 key could not be loaded".to_string())
        }

        pub(crate) fn hmac(secret: &[u8]) -> PublicKey {
            PublicKey(DecodingKey::from_secret(secret))
        }

        pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
            match (crypto().verifier_factory)(&alg.to_jsonwebtoken(), &self.0) {
                Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
                Err(_) => false,
            }
        }
    }

    /// A private key in jsonwebtoken's form.
    pub(crate) struct SignerKey(Algorithm, EncodingKey);

    impl SignerKey {
        pub(crate) fn ed25519_pkcs8(der: &[u8]) -> Option<(SignerKey, Vec<u8>)> {
            let x = (crypto().key_utils.ed_pub_components_from_private_key)(
                der,
                &EllipticCurve::Ed25519,
            )
            .ok()?;
            Some((
                SignerKey(Algorithm::EdDSA, EncodingKey::from_ed_der(der)),
                x,
            ))
        }

        pub(crate) fn es256_pkcs8(der: &[u8]) -> Option<(SignerKey, Vec<u8>, Vec<u8>)> {
            let (curve, x, y) = (crypto().key_utils.ec_pub_components_from_private_key)(
                der,
                jsonwebtoken::Algorithm::ES256,
            )
            .ok()?;
            (curve == EllipticCurve::P256).then(|| {
                (
                    SignerKey(Algorithm::ES256, EncodingKey::from_ec_der(der)),
                    x,
                    y,
                )
            })
        }

        pub(crate) fn hs256(secret: &[u8]) -> SignerKey {
            SignerKey(Algorithm::HS256, EncodingKey::from_secret(secret))
        }

        pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
            let signer = (crypto().signer_factory)(&self.0.to_jsonwebtoken(), &self.1).ok()?;
            signer.try_sign(message).ok()
        }
    }
}
