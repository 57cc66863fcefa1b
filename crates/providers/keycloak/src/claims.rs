//! [`KeycloakClaims`]: the useful claims of a Keycloak access or ID token, typed.

use std::collections::BTreeMap;

use serde_json::Value;
use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;
use tambo_auth::provider::{scope_list, string_array};

/// The claims of a Keycloak token that an app reads. Every field is optional: which ones a
/// token carries depends on its kind and on the client scopes and mappers of the realm
/// (`profile`, `email`, `roles`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct KeycloakClaims {
    /// `typ`, the claim (not the header's): `Bearer` for an access token, `ID` for an ID
    /// token, `Refresh` or `Offline` for the refresh tokens this provider refuses.
    pub typ: Option<String>,
    /// `preferred_username`: the Keycloak username, which users or admins may change.
    pub preferred_username: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: Option<bool>,
    /// `name`.
    pub name: Option<String>,
    /// `azp`: the client id that requested the token.
    pub azp: Option<String>,
    /// `sid`: the user's SSO session at the realm.
    pub sid: Option<String>,
    /// `scope`: the client scopes of the token, split at spaces.
    pub scope: Vec<String>,
    /// `realm_access.roles`: the user's realm roles (composite roles expanded).
    pub realm_roles: Vec<String>,
    /// `resource_access.<client>.roles`: the user's client roles, by client id.
    pub resource_access: BTreeMap<String, Vec<String>>,
    /// `client_id` (Keycloak 25 and later) or `clientId` (earlier): the client of a
    /// service-account token; user tokens have none.
    pub client_id: Option<String>,
}

impl KeycloakClaims {
    /// Reads the claims of a token.
    pub fn from_claims(claims: &Claims) -> KeycloakClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        let resource_access = match claims.get("resource_access") {
            Some(Value::Object(clients)) => clients
                .iter()
                .map(|(client, access)| (client.clone(), roles(access)))
                .collect(),
            _ => BTreeMap::new(),
        };
        KeycloakClaims {
            typ: text("typ"),
            preferred_username: text("preferred_username"),
            email: text("email"),
            email_verified: claims.bool("email_verified"),
            name: text("name"),
            azp: text("azp"),
            sid: text("sid"),
            scope: scope_list(claims, "scope"),
            realm_roles: claims.get("realm_access").map(roles).unwrap_or_default(),
            resource_access,
            client_id: text("client_id").or_else(|| text("clientId")),
        }
    }

    /// Reads the claims of a user mapped by [`KeycloakProvider`](crate::KeycloakProvider).
    pub fn from_user(user: &TamboUser) -> KeycloakClaims {
        KeycloakClaims::from_claims(&user.claims())
    }

    /// Whether these are a service account's claims: a client-credentials token, which
    /// speaks for a client and no user.
    pub(crate) fn is_service_account(&self) -> bool {
        self.client_id.is_some()
            && self
                .preferred_username
                .as_deref()
                .is_some_and(|name| name.starts_with("service-account-"))
    }
}

/// The `roles` array of a `realm_access` or `resource_access.<client>` object; anything else
/// holds none.
fn roles(access: &Value) -> Vec<String> {
    string_array(access.get("roles"))
}
