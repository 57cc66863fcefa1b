//! A typed view of the claims Supabase Auth puts in a user's access token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tambo_auth::jwt::Claims;
use tambo_auth::{Error, TamboUser};

/// Supabase's own claims (supabase.com/docs/guides/auth/jwt-fields). A Custom Access Token
/// Hook may add more; read those from [`TamboUser::claims`].
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_supabase::SupabaseClaims;
///
/// let claims = Claims::from_map(serde_json::from_str(r#"{
///     "sub": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "role": "authenticated",
///     "email": "ada@example.com", "phone": "", "aal": "aal1", "is_anonymous": false,
///     "amr": [{"method": "password", "timestamp": 1767225590}]
/// }"#).unwrap());
/// let supabase = SupabaseClaims::from_claims(&claims)?;
/// assert_eq!(supabase.email.as_deref(), Some("ada@example.com"));
/// assert_eq!(supabase.phone, None); // Supabase sends "" for "no phone"
/// assert_eq!(supabase.amr[0].method, "password");
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SupabaseClaims {
    /// `email`; `None` when absent or empty (phone and anonymous users).
    #[serde(deserialize_with = "non_empty")]
    pub email: Option<String>,
    /// `phone`; `None` when absent or empty (Supabase sends `""`).
    #[serde(deserialize_with = "non_empty")]
    pub phone: Option<String>,
    /// `role`: always `authenticated` for an accepted user.
    pub role: String,
    /// `aal`: the authenticator assurance level, `aal1` or `aal2` (after MFA).
    pub aal: Option<String>,
    /// `amr`: how the user authenticated in this session.
    pub amr: Vec<AuthMethod>,
    /// `session_id`: the Auth session (a UUID).
    pub session_id: Option<String>,
    /// `is_anonymous`: a `signInAnonymously()` user.
    pub is_anonymous: bool,
    /// `app_metadata`: `provider`, `providers`, and data only the server can set.
    pub app_metadata: Map<String, Value>,
    /// `user_metadata`: data the user can change themselves; never trust it for access
    /// decisions.
    pub user_metadata: Map<String, Value>,
}

/// One entry of `amr`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AuthMethod {
    /// `password`, `otp`, `oauth`, `totp`, `anonymous`...
    pub method: String,
    /// When, in seconds since the Unix epoch.
    pub timestamp: Option<i64>,
}

impl SupabaseClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> Result<SupabaseClaims, Error> {
        SupabaseClaims::deserialize(Value::Object(claims.as_map().clone())).map_err(|e| {
            Error::ClaimRejected {
                provider: crate::NAME,
                reason: format!("the token's claims do not have Supabase's shape ({e}); check your Custom Access Token Hook"),
            }
        })
    }

    /// Reads the claims of a user this adapter authenticated.
    pub fn from_user(user: &TamboUser) -> Result<SupabaseClaims, Error> {
        SupabaseClaims::from_claims(&user.claims())
    }
}

fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}
