//! [`NeonClaims`]: the useful claims of a Neon Auth or Stack Auth token, typed.

use serde_json::Value;
use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;

/// The profile claims of a Neon token. Neon Auth sends its user row (`emailVerified`,
/// `image`, `role`, `banned`, and `o` when an organization is active); Stack Auth sends
/// `email_verified` and `selected_team_id`; both are read here. For the Auth.js setup, read
/// Google's claims with `tambo_auth_google::GoogleClaims`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NeonClaims {
    /// `email`.
    pub email: Option<String>,
    /// `emailVerified` (Neon Auth) or `email_verified` (Stack Auth).
    pub email_verified: Option<bool>,
    /// `name`.
    pub name: Option<String>,
    /// `image` (Neon Auth), a profile image URL.
    pub image: Option<String>,
    /// `role`: `"authenticated"` for signed-in users.
    pub role: Option<String>,
    /// `banned` (Neon Auth's admin plugin).
    pub banned: Option<bool>,
    /// `o`, the active organization (Neon Auth's organization plugin).
    pub organization: Option<NeonOrganization>,
    /// `selected_team_id` (Stack Auth).
    pub selected_team_id: Option<String>,
}

/// Neon Auth's active organization, claim `o`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NeonOrganization {
    /// `o.id`.
    pub id: String,
    /// `o.slug`.
    pub slug: Option<String>,
    /// `o.role`, the user's role in it.
    pub role: Option<String>,
}

impl NeonClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> NeonClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        let flag = |name: &str| claims.get(name).and_then(Value::as_bool);
        let organization = claims.get("o").and_then(|o| {
            let field = |name: &str| o.get(name).and_then(Value::as_str).map(str::to_owned);
            Some(NeonOrganization {
                id: field("id")?,
                slug: field("slug"),
                role: field("role"),
            })
        });
        NeonClaims {
            email: text("email"),
            email_verified: flag("emailVerified").or_else(|| flag("email_verified")),
            name: text("name"),
            image: text("image"),
            role: text("role"),
            banned: flag("banned"),
            organization,
            selected_team_id: text("selected_team_id"),
        }
    }

    /// Reads the claims of a user mapped by [`NeonProvider`](crate::NeonProvider).
    pub fn from_user(user: &TamboUser) -> NeonClaims {
        NeonClaims::from_claims(&user.claims())
    }
}
