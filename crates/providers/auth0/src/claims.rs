//! A typed view of the Auth0-specific claims of an access token.

use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;
use tambo_auth::provider::string_array;

/// The claims Auth0 adds to an API access token beyond `iss`, `sub`, `aud` and the dates.
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_auth0::Auth0Claims;
///
/// let claims = Claims::from_map(serde_json::from_str(r#"{
///     "sub": "auth0|64f1", "azp": "Zq3B7x", "org_id": "org_9sQw",
///     "scope": "openid read:threads", "permissions": ["read:threads"]
/// }"#).unwrap());
/// let auth0 = Auth0Claims::from_claims(&claims);
/// assert_eq!(auth0.org_id.as_deref(), Some("org_9sQw"));
/// assert!(auth0.has_permission("read:threads"));
/// assert!(auth0.has_scope("openid"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Auth0Claims {
    /// `org_id`: the Auth0 Organization the user logged in through (also the tenant).
    pub org_id: Option<String>,
    /// `org_name`: the Organization's name, when "Organization names in tokens" is on.
    pub org_name: Option<String>,
    /// `permissions`: the RBAC permissions, when the API has "Add Permissions in the Access
    /// Token" on. Empty otherwise.
    pub permissions: Vec<String>,
    /// `scope`: the granted scopes, space-separated.
    pub scope: Option<String>,
    /// The client (application) the token was issued to: `azp` in Auth0's token profile,
    /// `client_id` in the RFC 9068 profile.
    pub azp: Option<String>,
    /// `gty`: the grant type, `client-credentials` for machine-to-machine tokens.
    pub gty: Option<String>,
}

impl Auth0Claims {
    /// Reads the Auth0 claims; absent or mistyped claims read as absent.
    pub fn from_claims(claims: &Claims) -> Auth0Claims {
        let string = |name: &str| claims.get_str(name).map(str::to_owned);
        Auth0Claims {
            org_id: string("org_id"),
            org_name: string("org_name"),
            permissions: string_array(claims.get("permissions")),
            scope: string("scope"),
            azp: string("azp").or_else(|| string("client_id")),
            gty: string("gty"),
        }
    }

    /// Reads the Auth0 claims of a user this crate's provider authenticated.
    pub fn from_user(user: &TamboUser) -> Auth0Claims {
        Auth0Claims::from_claims(&user.claims())
    }

    /// Whether `permissions` holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// Whether `scope` grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|granted| granted == scope))
    }

    /// Whether this is a machine-to-machine token (client credentials grant): its `sub` is
    /// `<client_id>@clients`, not a person.
    pub fn is_machine_to_machine(&self) -> bool {
        self.gty.as_deref() == Some("client-credentials")
    }
}
