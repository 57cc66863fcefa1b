//! The Auth0 adapter for tambo-auth: verifies the access token your frontend requested for
//! your API, and maps it to a user namespaced by tenant domain and Organization.
//!
//! ```no_run
//! # async fn demo(access_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_auth0::{Auth0Claims, Auth0Provider};
//!
//! let auth0 = Auth0Provider::builder("acme.us.auth0.com") // iss = https://acme.us.auth0.com/
//!     .audience("https://api.acme.com") // your API identifier, required
//!     .custom_domain("login.acme.com") // optional: tokens minted through it too
//!     .build()?;
//! let user = auth0.authenticate(access_token).await?;
//! println!("{} in org {:?}: {:?}", user.sub(), user.tenant(), Auth0Claims::from_user(&user).permissions);
//! # Ok(()) }
//! ```
//!
//! What it handles, beyond the core verifier's checks:
//!
//! - the issuer is derived from the domain with Auth0's trailing slash, exactly;
//! - custom domains are additional issuers of the same tenant: one key set (the tenant's
//!   discovery), one user namespace (the configured domain's host);
//! - the audience is required, and `aud` may be a string or an array (`[api, …/userinfo]`);
//! - the encrypted token (JWE, `alg: dir`) and the opaque token Auth0 returns when no
//!   audience was requested are refused with a hint saying to request one;
//! - RS256 only by default, PS256 on request, HS256 refused at build time;
//! - `org_id` is the tenant (as in Tambo's context keys), and [`Auth0Claims`] reads
//!   `org_id`, `org_name`, `permissions`, `scope`, `azp` (or RFC 9068 `client_id`) and `gty`.
//!
//! Configuration files deserialize [`Auth0ProviderBuilder`] (`[projects.provider] kind =
//! "auth0"`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod issuer;
mod provider;

pub use claims::Auth0Claims;
pub use provider::{Auth0Provider, Auth0ProviderBuilder};
