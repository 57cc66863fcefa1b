//! Keycloak tokens for tambo-auth: the access and ID tokens of one realm
//! (`https://<host>/realms/<realm>`, or `https://<host>/auth/realms/<realm>` before
//! Keycloak 17).
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_keycloak::{KeycloakClaims, KeycloakProvider};
//!
//! let keycloak = KeycloakProvider::builder("https://sso.acme.com/realms/acme")
//!     .audience("threads-api") // access tokens, through an audience mapper
//!     .audience("threads-web") // ID tokens of your client
//!     .authorized_party("threads-web") // only tokens your client requested
//!     .build()?;
//! let user = keycloak.authenticate(token).await?;
//! let claims = KeycloakClaims::from_user(&user);
//! println!("{} {:?} {:?}", user.context_key(), claims.preferred_username, claims.realm_roles);
//! # Ok(()) }
//! ```
//!
//! What the provider checks and maps, beyond signature and lifetime:
//!
//! - `iss` is the configured realm's issuer; keys through its discovery document; RS256 by
//!   default, or the realm's PS256 or ES256 keys when configured;
//! - `aud` is one of the configured audiences: the client id an audience mapper adds to
//!   access tokens (without one, Keycloak writes `account` alone), your client's id for ID
//!   tokens;
//! - `azp` (the client that requested the token) is one of `authorized_parties` when
//!   configured;
//! - the token is a user's access token (`typ` claim `Bearer`) or ID token (`ID`); refresh
//!   tokens (`Refresh`, `Offline`), which Keycloak signs with a realm secret, are refused
//!   saying which token to send, as are DPoP-bound access tokens and service-account
//!   (client-credentials) tokens, which have no user;
//! - RFC 9068 access tokens (header `typ: at+jwt`) are accepted like the others;
//! - the user is `sub` (a UUID, stable across renames), in the realm issuer's namespace;
//! - the scopes the user holds are `scope`, the realm roles as they are and the client
//!   roles of the configured clients as `<client>:<role>` (see
//!   [`Provider::held_scopes`](tambo_auth::Provider::held_scopes)).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::KeycloakClaims;
pub use provider::{KeycloakProvider, KeycloakProviderBuilder};
