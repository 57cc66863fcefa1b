//! [`GoogleClaims`]: the useful claims of a Google ID token, typed.

use serde_json::Value;
use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;

/// The profile and client claims of a Google ID token. Every field is optional: Google sends
/// `email` and `email_verified` with the `email` scope, `name` and `picture` with `profile`, `hd`
/// for Google Workspace accounts only, and `nonce` only when the sign-in request had one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GoogleClaims {
    /// `email`. Identify users by `sub`, never by email.
    pub email: Option<String>,
    /// `email_verified`; some older tokens carry the string `"true"`, read as `true` here.
    pub email_verified: Option<bool>,
    /// `name`, the full name.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `picture`, a profile image URL.
    pub picture: Option<String>,
    /// `locale`.
    pub locale: Option<String>,
    /// `hd`, the Google Workspace domain (absent for personal accounts); the tenant.
    pub hd: Option<String>,
    /// `azp`, the OAuth client that obtained the token.
    pub azp: Option<String>,
    /// `nonce`, echoed from the sign-in request when it sent one.
    pub nonce: Option<String>,
}

impl GoogleClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> GoogleClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        GoogleClaims {
            email: text("email"),
            email_verified: match claims.get("email_verified") {
                Some(Value::Bool(verified)) => Some(*verified),
                Some(Value::String(s)) if s == "true" => Some(true),
                Some(Value::String(s)) if s == "false" => Some(false),
                _ => None,
            },
            name: text("name"),
            given_name: text("given_name"),
            family_name: text("family_name"),
            picture: text("picture"),
            locale: text("locale"),
            hd: text("hd"),
            azp: text("azp"),
            nonce: text("nonce"),
        }
    }

    /// Reads the claims of a user mapped by [`GoogleProvider`](crate::GoogleProvider).
    pub fn from_user(user: &TamboUser) -> GoogleClaims {
        GoogleClaims::from_claims(&user.claims())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_string_email_verified_is_read_as_a_boolean() {
        let c = GoogleClaims::from_claims(&Claims::from_value(json!({"email_verified": "true"})));
        assert_eq!(c.email_verified, Some(true));
        let c = GoogleClaims::from_claims(&Claims::from_value(json!({"email_verified": "false"})));
        assert_eq!(c.email_verified, Some(false));
        let c = GoogleClaims::from_claims(&Claims::from_value(json!({"email_verified": "yes"})));
        assert_eq!(c.email_verified, None);
    }

    #[test]
    fn a_personal_account_has_no_hd_and_no_nonce_unless_sent() {
        let c = GoogleClaims::from_claims(&Claims::from_value(json!({"email": "a@gmail.com"})));
        assert_eq!(c.hd, None);
        assert_eq!(c.nonce, None);
        let c = GoogleClaims::from_claims(&Claims::from_value(json!({"nonce": "n-0S6_WzA2Mj"})));
        assert_eq!(c.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    }
}
