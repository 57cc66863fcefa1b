//! [`OktaClaims`]: the useful claims of an Okta ID or access token, typed.

use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;
use tambo_auth::provider::scope_list;

/// The claims of an Okta token that an app reads. Every field is optional: ID tokens carry the
/// profile claims of the scopes asked for (`email`, `name`, `preferred_username`), access
/// tokens carry `cid`, `uid` and `scp`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OktaClaims {
    /// `uid`: the Okta user id (`00u…`) of an access token; an ID token's `sub` holds it.
    pub uid: Option<String>,
    /// `cid`: the client id (`0oa…`) that obtained an access token.
    pub cid: Option<String>,
    /// `scp`: the scopes granted to an access token.
    pub scp: Vec<String>,
    /// `groups`, when the authorization server has a groups claim.
    pub groups: Vec<String>,
    /// `email`.
    pub email: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `preferred_username`, the Okta login.
    pub preferred_username: Option<String>,
    /// `idp`: the identity provider the user signed in with (the org's own id, or a social or
    /// enterprise IdP's).
    pub idp: Option<String>,
    /// `auth_time`: when the user authenticated, seconds since the epoch.
    pub auth_time: Option<i64>,
}

impl OktaClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> OktaClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        OktaClaims {
            uid: text("uid"),
            cid: text("cid"),
            scp: scope_list(claims, "scp"),
            groups: scope_list(claims, "groups"),
            email: text("email"),
            name: text("name"),
            preferred_username: text("preferred_username"),
            idp: text("idp"),
            auth_time: claims
                .numeric_date("auth_time")
                .ok()
                .flatten()
                .map(|t| t as i64),
        }
    }

    /// Reads the claims of a user mapped by [`OktaProvider`](crate::OktaProvider).
    pub fn from_user(user: &TamboUser) -> OktaClaims {
        OktaClaims::from_claims(&user.claims())
    }

    /// Whether these are an access token's claims (it names the client that obtained it).
    pub(crate) fn is_access_token(&self) -> bool {
        self.cid.is_some()
    }
}
