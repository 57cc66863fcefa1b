//! JWS signature algorithms and the per-issuer allowlist.
//!
//! `none` is not an [`Algorithm`]: unsigned tokens exist only under the development `none`
//! strategy, so no allowlist can ever name it (RFC 8725 §3.2).
//!
//! ```
//! use tambo_auth::{Algorithm, AlgorithmSet};
//!
//! let set = AlgorithmSet::from_iter([Algorithm::RS256, Algorithm::EdDSA]);
//! assert!(set.contains(Algorithm::RS256));
//! assert!(!set.contains(Algorithm::HS256));
//! assert_eq!("Ed25519".parse::<Algorithm>().unwrap(), Algorithm::EdDSA);
//! assert!("none".parse::<Algorithm>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A JWS signature algorithm this crate verifies (RFC 7518, RFC 8037, RFC 9864).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (symmetric strategy only).
    HS256,
    /// HMAC with SHA-384 (symmetric strategy only).
    HS384,
    /// HMAC with SHA-512 (symmetric strategy only).
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519, named `EdDSA` (RFC 8037) or `Ed25519` (RFC 9864) in headers.
    EdDSA,
}

/// The key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// HMAC secret.
    Hmac,
    /// RSA public key.
    Rsa,
    /// EC public key on the given curve.
    Ec(Curve),
    /// Ed25519 public key.
    Ed25519,
}

/// An elliptic curve for ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (`ES256`).
    P256,
    /// NIST P-384 (`ES384`).
    P384,
}

impl Algorithm {
    /// Every algorithm, in a stable order.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The registered name (`EdDSA` for Ed25519).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The key family (and curve) this algorithm needs.
    pub fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Family::Rsa,
            Algorithm::ES256 => Family::Ec(Curve::P256),
            Algorithm::ES384 => Family::Ec(Curve::P384),
            Algorithm::EdDSA => Family::Ed25519,
        }
    }

    /// Whether this is an HMAC (shared-secret) algorithm.
    pub fn is_symmetric(self) -> bool {
        self.family() == Family::Hmac
    }

    /// For HMAC, the minimum secret length in bytes: the hash size (RFC 7518 §3.2).
    pub fn min_secret_len(self) -> Option<usize> {
        match self {
            Algorithm::HS256 => Some(32),
            Algorithm::HS384 => Some(48),
            Algorithm::HS512 => Some(64),
            _ => None,
        }
    }

    #[cfg(not(feature = "aws-lc-rs"))]
    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::RS384 => jsonwebtoken::Algorithm::RS384,
            Algorithm::RS512 => jsonwebtoken::Algorithm::RS512,
            Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            Algorithm::PS384 => jsonwebtoken::Algorithm::PS384,
            Algorithm::PS512 => jsonwebtoken::Algorithm::PS512,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// Parses a header `alg` value exactly (case-sensitive, RFC 7515 §4.1.1).
    ///
    /// `none` in any spelling is [`Error::AlgorithmNone`]; JWE key-management algorithms and
    /// anything unknown are [`Error::AlgorithmNotAllowed`].
    pub fn from_header(name: &str) -> Result<Algorithm, Error> {
        Ok(match name {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "ES256" => Algorithm::ES256,
            "ES384" => Algorithm::ES384,
            "EdDSA" | "Ed25519" => Algorithm::EdDSA,
            other if other.eq_ignore_ascii_case("none") => return Err(Error::AlgorithmNone),
            _ => {
                return Err(Error::AlgorithmNotAllowed {
                    reason: "unknown or unsupported algorithm",
                });
            }
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Algorithm::from_header(s)
    }
}

/// An algorithm allowlist as an adapter's builder holds it: set in code with
/// [`new`](Self::new), or read from a configured list of names (`["RS256", "PS256"]`). A name
/// that is no algorithm is kept for [`check`](Self::check) to refuse naming the field: a
/// refusal while the table is read would lose the field's name.
///
/// ```
/// use tambo_auth::{Algorithm, ErrorKind};
/// use tambo_auth::jwt::ConfiguredAlgorithms;
///
/// let supported = [Algorithm::RS256, Algorithm::PS256];
/// let read: ConfiguredAlgorithms = serde_json::from_str(r#"["PS256"]"#).unwrap();
/// assert_eq!(read.check(&supported, "").unwrap(), [Algorithm::PS256]);
/// for refused in [
///     serde_json::from_str::<ConfiguredAlgorithms>(r#"["RS999"]"#).unwrap(),
///     ConfiguredAlgorithms::new([Algorithm::HS256]),
///     ConfiguredAlgorithms::new([]),
/// ] {
///     let error = refused.check(&supported, "sign with RS256").unwrap_err();
///     assert_eq!(error.kind(), ErrorKind::Configuration);
///     assert!(error.to_string().contains("sign with RS256"));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredAlgorithms(Result<Vec<Algorithm>, String>);

impl ConfiguredAlgorithms {
    /// These algorithms.
    pub fn new(algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        ConfiguredAlgorithms(Ok(algorithms.into_iter().collect()))
    }

    /// The algorithms, when there is at least one and each is one of `supported`; otherwise a
    /// configuration error naming `algorithms` that lists `supported` and ends with `advice`.
    pub fn check(self, supported: &[Algorithm], advice: &str) -> Result<Vec<Algorithm>, Error> {
        let names: Vec<&str> = supported.iter().map(|alg| alg.as_str()).collect();
        let refuse = |what: String| {
            Error::config(
                "algorithms",
                format!(
                    "{what}; this issuer signs with {}: {advice}",
                    names.join(", ")
                ),
            )
        };
        let algorithms = self
            .0
            .map_err(|name| refuse(format!("{name:?} is not an algorithm")))?;
        if algorithms.is_empty() {
            return Err(refuse("the list is empty".to_owned()));
        }
        match algorithms.iter().find(|alg| !supported.contains(alg)) {
            Some(alg) => Err(refuse(format!("{alg} is not accepted"))),
            None => Ok(algorithms),
        }
    }
}

impl<'de> serde::Deserialize<'de> for ConfiguredAlgorithms {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = <Vec<String> as serde::Deserialize>::deserialize(deserializer)?;
        Ok(ConfiguredAlgorithms(
            names
                .into_iter()
                .map(|name| name.parse().map_err(|_| name))
                .collect(),
        ))
    }
}

/// A set of algorithms: an issuer's allowlist.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// No algorithm.
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);

    /// Every asymmetric algorithm: the default for public-key strategies. The key found by
    /// `kid` still fixes the family and curve, so RS256 never verifies with an EC key.
    pub fn asymmetric() -> Self {
        Algorithm::ALL
            .into_iter()
            .filter(|a| !a.is_symmetric())
            .collect()
    }

    /// HS256, HS384 and HS512: the default for the symmetric strategy.
    pub fn symmetric() -> Self {
        Algorithm::ALL
            .into_iter()
            .filter(|a| a.is_symmetric())
            .collect()
    }

    /// Whether `alg` is in the set.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & Self::bit(alg) != 0
    }

    /// Adds `alg`.
    #[must_use]
    pub fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | Self::bit(alg))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms, in a stable order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }

    /// Whether any member is symmetric.
    pub fn has_symmetric(self) -> bool {
        self.iter().any(Algorithm::is_symmetric)
    }

    /// Whether any member is asymmetric.
    pub fn has_asymmetric(self) -> bool {
        self.iter().any(|a| !a.is_symmetric())
    }

    fn bit(alg: Algorithm) -> u16 {
        1 << (alg as u16)
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        iter.into_iter()
            .fold(AlgorithmSet::EMPTY, AlgorithmSet::with)
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_in_any_spelling_is_refused_as_none() {
        for name in ["none", "None", "NONE", "nOnE"] {
            assert!(matches!(
                Algorithm::from_header(name),
                Err(Error::AlgorithmNone)
            ));
        }
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        for name in [
            "hs256",
            "RS256 ",
            " RS256",
            "",
            "ES512",
            "PBES2-HS256+A128KW",
            "ES521",
        ] {
            assert!(matches!(
                Algorithm::from_header(name),
                Err(Error::AlgorithmNotAllowed { .. })
            ));
        }
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_header(alg.as_str()).ok(), Some(alg));
        }
    }

    #[test]
    fn default_sets_split_by_symmetry() {
        assert!(AlgorithmSet::asymmetric().iter().all(|a| !a.is_symmetric()));
        assert_eq!(AlgorithmSet::symmetric().iter().count(), 3);
        assert_eq!(
            AlgorithmSet::asymmetric().iter().count() + 3,
            Algorithm::ALL.len()
        );
    }
}
