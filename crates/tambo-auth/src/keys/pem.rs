//! PEM public keys: SPKI, PKCS#1 RSA, and X.509 certificates (whose subject key is used; the
//! certificate is not validated as a chain, exactly as a configured SPKI key would not be).

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoRef;

use super::VerificationKey;
use crate::Error;
use crate::jwt::Curve;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidKey {
        reason: reason.into(),
    }
}

pub(super) fn parse(input: &str) -> Result<VerificationKey, Error> {
    let (label, der) = der::pem::decode_vec(input.trim().as_bytes())
        .map_err(|_| invalid("not a PEM document (expected -----BEGIN PUBLIC KEY-----)"))?;
    match label {
        "PUBLIC KEY" => from_spki_der(&der),
        "RSA PUBLIC KEY" => from_pkcs1_der(&der),
        "CERTIFICATE" => {
            let cert = x509_cert::Certificate::from_der(&der)
                .map_err(|_| invalid("the X.509 certificate does not parse"))?;
            let spki = cert
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|_| invalid("the certificate's public key does not encode"))?;
            from_spki_der(&spki)
        }
        label if label.contains("PRIVATE") => Err(invalid(
            "this is a private key; configure the public key (PUBLIC KEY or CERTIFICATE) instead",
        )),
        _ => Err(invalid(
            "unsupported PEM label; use PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE",
        )),
    }
}

/// A PKCS#1 `RSAPublicKey` (the `RSA PUBLIC KEY` label, and the key inside an SPKI).
fn from_pkcs1_der(der: &[u8]) -> Result<VerificationKey, Error> {
    let key = pkcs1::RsaPublicKey::from_der(der)
        .map_err(|_| invalid("the PKCS#1 RSA public key does not parse"))?;
    VerificationKey::rsa(
        key.modulus.as_bytes(),
        key.public_exponent.as_bytes(),
        None,
        None,
    )
    .map_err(invalid)
}

fn from_spki_der(der: &[u8]) -> Result<VerificationKey, Error> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|_| invalid("the SubjectPublicKeyInfo does not parse"))?;
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| invalid("the public key bit string is not whole bytes"))?;
    match spki.algorithm.oid {
        RSA_ENCRYPTION => from_pkcs1_der(key_bytes),
        EC_PUBLIC_KEY => {
            let curve = match spki.algorithm.parameters_oid() {
                Ok(SECP256R1) => Curve::P256,
                Ok(SECP384R1) => Curve::P384,
                _ => return Err(invalid("only P-256 and P-384 EC keys are supported")),
            };
            let size = match curve {
                Curve::P256 => 32,
                Curve::P384 => 48,
            };
            match key_bytes {
                [0x04, rest @ ..] if rest.len() == 2 * size => {
                    let (x, y) = rest.split_at(size);
                    VerificationKey::ec(curve, x, y, None, None).map_err(invalid)
                }
                _ => Err(invalid(
                    "the EC point must be uncompressed and of the curve's size",
                )),
            }
        }
        ED25519 => VerificationKey::ed25519(key_bytes, None, None).map_err(invalid),
        _ => Err(invalid(
            "unsupported key algorithm; use RSA, EC P-256/P-384 or Ed25519",
        )),
    }
}
