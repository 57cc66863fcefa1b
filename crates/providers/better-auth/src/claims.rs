//! A typed view of the default JWT-plugin payload: the user row.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tambo_auth::jwt::Claims;
use tambo_auth::{Error, TamboUser};

/// The user-row claims of Better Auth's default JWT payload, plus the admin plugin's `role`
/// and `banned`. A `jwt.definePayload` replaces them; read such claims from
/// [`TamboUser::claims`].
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_better_auth::BetterAuthClaims;
///
/// let claims = Claims::from_map(serde_json::from_str(r#"{
///     "sub": "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ", "id": "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ",
///     "name": "Ada Lovelace", "email": "ada@example.com", "emailVerified": true, "image": null,
///     "createdAt": "2025-12-20T11:04:41.437Z", "updatedAt": "2025-12-20T11:04:41.437Z"
/// }"#).unwrap());
/// let user = BetterAuthClaims::from_claims(&claims)?;
/// assert_eq!(user.email_verified, Some(true));
/// assert_eq!(user.image, None);
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct BetterAuthClaims {
    /// `id`: the user id (equal to `sub` unless `jwt.getSubject` changes it).
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `emailVerified`.
    pub email_verified: Option<bool>,
    /// `image`: the avatar URL.
    pub image: Option<String>,
    /// `createdAt`, an ISO 8601 timestamp.
    pub created_at: Option<String>,
    /// `updatedAt`, an ISO 8601 timestamp.
    pub updated_at: Option<String>,
    /// `role` (admin plugin).
    pub role: Option<String>,
    /// `banned` (admin plugin); banned users are refused.
    pub banned: Option<bool>,
}

impl BetterAuthClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> Result<BetterAuthClaims, Error> {
        BetterAuthClaims::deserialize(Value::Object(claims.as_map().clone())).map_err(|e| {
            Error::ClaimRejected {
                provider: crate::NAME,
                reason: format!("the token's claims do not have the JWT plugin's default shape ({e}); check `jwt.definePayload`"),
            }
        })
    }

    /// Reads the claims of a user this adapter authenticated.
    pub fn from_user(user: &TamboUser) -> Result<BetterAuthClaims, Error> {
        BetterAuthClaims::from_claims(&user.claims())
    }
}
