//! [`LoginGovClaims`]: the claims of a Login.gov ID token that an app reads, typed, and the
//! identity assurance level of its `acr`.

use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;

/// What a Login.gov `acr` value says about the user's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityAssurance {
    /// `urn:acr.login.gov:auth-only`, or the legacy `http://idmanagement.gov/ns/assurance/ial/1`:
    /// the user signed in, nobody verified who they are.
    AuthOnly,
    /// `urn:acr.login.gov:verified`, the legacy `http://idmanagement.gov/ns/assurance/ial/2`, or
    /// `urn:acr.login.gov:verified-facial-match-preferred` (verified, with or without a facial
    /// match).
    Verified,
    /// `urn:acr.login.gov:verified-facial-match-required`: verified, with a facial match.
    VerifiedFacialMatch,
    /// Any other value, as sent.
    Unknown(String),
}

impl IdentityAssurance {
    /// The assurance level of the `acr` value `acr`.
    pub fn from_acr(acr: &str) -> IdentityAssurance {
        match acr {
            "urn:acr.login.gov:auth-only" | "http://idmanagement.gov/ns/assurance/ial/1" => {
                IdentityAssurance::AuthOnly
            }
            "urn:acr.login.gov:verified"
            | "urn:acr.login.gov:verified-facial-match-preferred"
            | "http://idmanagement.gov/ns/assurance/ial/2" => IdentityAssurance::Verified,
            "urn:acr.login.gov:verified-facial-match-required" => {
                IdentityAssurance::VerifiedFacialMatch
            }
            other => IdentityAssurance::Unknown(other.to_owned()),
        }
    }

    /// Whether Login.gov verified the user's identity (IAL2 or better).
    pub fn is_verified(&self) -> bool {
        matches!(
            self,
            IdentityAssurance::Verified | IdentityAssurance::VerifiedFacialMatch
        )
    }
}

/// The claims of a Login.gov ID token that an app reads. Login.gov's ID token carries the
/// protocol claims (`iss`, `sub`, `aud`, `acr`, `nonce`, `jti`, `at_hash`, `c_hash`, `exp`,
/// `iat`, `nbf`) and no user attributes: those (`email`, names, `verified_at`…) come from its
/// userinfo endpoint, with the access token, on your app's server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LoginGovClaims {
    /// `acr`, as sent: the identity assurance level the sign-in fulfilled.
    pub acr: Option<String>,
    /// `acr` read as an [`IdentityAssurance`]; `None` when `acr` is missing.
    pub assurance: Option<IdentityAssurance>,
    /// `nonce`, echoed from the authorization request.
    pub nonce: Option<String>,
}

impl LoginGovClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> LoginGovClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        let acr = text("acr");
        LoginGovClaims {
            assurance: acr.as_deref().map(IdentityAssurance::from_acr),
            acr,
            nonce: text("nonce"),
        }
    }

    /// Reads the claims of a user mapped by [`LoginGovProvider`](crate::LoginGovProvider).
    pub fn from_user(user: &TamboUser) -> LoginGovClaims {
        LoginGovClaims::from_claims(&user.claims())
    }
}

#[cfg(test)]
mod tests {
    use super::IdentityAssurance;

    #[test]
    fn acr_values_map_to_their_assurance_level() {
        for (acr, level, verified) in [
            (
                "urn:acr.login.gov:auth-only",
                IdentityAssurance::AuthOnly,
                false,
            ),
            (
                "http://idmanagement.gov/ns/assurance/ial/1",
                IdentityAssurance::AuthOnly,
                false,
            ),
            (
                "urn:acr.login.gov:verified",
                IdentityAssurance::Verified,
                true,
            ),
            (
                "http://idmanagement.gov/ns/assurance/ial/2",
                IdentityAssurance::Verified,
                true,
            ),
            (
                "urn:acr.login.gov:verified-facial-match-preferred",
                IdentityAssurance::Verified,
                true,
            ),
            (
                "urn:acr.login.gov:verified-facial-match-required",
                IdentityAssurance::VerifiedFacialMatch,
                true,
            ),
            (
                "urn:acr.login.gov:VERIFIED",
                IdentityAssurance::Unknown("urn:acr.login.gov:VERIFIED".into()),
                false,
            ),
        ] {
            let read = IdentityAssurance::from_acr(acr);
            assert_eq!(read, level, "{acr}");
            assert_eq!(read.is_verified(), verified, "{acr}");
        }
    }
}
