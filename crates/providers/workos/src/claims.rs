//! A typed view of the claims in a WorkOS AuthKit access token.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tambo_auth::jwt::Claims;
use tambo_auth::{Error, TamboUser};

/// AuthKit's claims (workos.com/docs/reference/authkit/session-tokens). There is no `email`
/// unless a JWT template adds it; read template claims from [`TamboUser::claims`].
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_workos::WorkosClaims;
///
/// let claims = Claims::from_map(serde_json::from_str(r#"{
///     "sub": "user_01K2MA1B2C3D4E5F6G7H8J9K0M", "sid": "session_01K2MA9Z8Y7X6W5V4T3S2R1Q0P",
///     "org_id": "org_01K2M7N8P9Q0R1S2T3V4W5X6Y7", "role": "member",
///     "permissions": ["threads:read"]
/// }"#).unwrap());
/// let workos = WorkosClaims::from_claims(&claims)?;
/// assert_eq!(workos.role.as_deref(), Some("member"));
/// assert!(workos.has_permission("threads:read"));
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WorkosClaims {
    /// `sid`: the session (`session_…`), needed to sign the user out.
    pub sid: Option<String>,
    /// `org_id`: the organization chosen at sign-in (`org_…`); the tenant by default.
    pub org_id: Option<String>,
    /// `role`: the user's role in that organization.
    pub role: Option<String>,
    /// `roles`: every role, when several are assigned.
    pub roles: Vec<String>,
    /// `permissions`: the permissions of the role(s).
    pub permissions: Vec<String>,
    /// `entitlements`: the organization's feature entitlements.
    pub entitlements: Vec<String>,
    /// `act.sub`: the admin impersonating this user, when impersonation is active.
    #[serde(rename = "act", deserialize_with = "actor")]
    pub impersonator: Option<String>,
}

impl WorkosClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> Result<WorkosClaims, Error> {
        WorkosClaims::deserialize(Value::Object(claims.as_map().clone())).map_err(|e| {
            Error::ClaimRejected {
                provider: crate::NAME,
                reason: format!(
                    "the token's claims do not have AuthKit's shape ({e}); check your JWT template"
                ),
            }
        })
    }

    /// Reads the claims of a user this adapter authenticated.
    pub fn from_user(user: &TamboUser) -> Result<WorkosClaims, Error> {
        WorkosClaims::from_claims(&user.claims())
    }

    /// Whether `permissions` holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

fn actor<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Actor {
        sub: Option<String>,
    }
    Ok(Option::<Actor>::deserialize(d)?.and_then(|a| a.sub))
}
