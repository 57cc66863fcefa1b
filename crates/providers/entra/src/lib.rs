//! Microsoft Entra ID (formerly Azure AD) for tambo-auth: verifies the v2.0 ID tokens and
//! access tokens of one application, single-tenant or multi-tenant, and maps them to users
//! namespaced by tenant.
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_entra::{EntraClaims, EntraProvider};
//!
//! // A single-tenant app: the directory (tenant) id, then the application (client) id.
//! let entra = EntraProvider::builder(
//!     "72f988bf-86f1-41af-91ab-2d7cd011db47",
//!     "6e74172b-be56-4843-9ff4-e66a39bb12e3",
//! )
//! .build()?;
//! let user = entra.authenticate(token).await?;
//! let claims = EntraClaims::from_user(&user);
//! println!("{} in {:?}: {:?}", user.context_key(), user.tenant(), claims.preferred_username);
//! # Ok(()) }
//! ```
//!
//! What the provider checks, beyond signature and lifetime:
//!
//! - `iss` is the v2.0 issuer `https://login.microsoftonline.com/<tenant>/v2.0` of an accepted
//!   tenant, and `tid` is that same tenant: the configured one for a single-tenant app, one of
//!   `allowed_tenants` for a multi-tenant app (`organizations` or `common`, whose discovery
//!   document gives only the template `…/{tenantid}/v2.0`);
//! - `aud` is the application (client) id, as in every v2.0 ID token and access token for your
//!   own API;
//! - RS256 only; keys from the tenant's discovery document, or for a multi-tenant app from the
//!   authority's key set (`…/organizations/discovery/v2.0/keys`);
//! - v1.0 tokens (`https://sts.windows.net/<tenant>/`) and Microsoft Graph access tokens are
//!   refused with an error that says which token to send instead.
//!
//! Users are keyed by `sub` (per application) or, with [`Identity::Oid`], by `oid` (per
//! tenant), with `tid` as the tenant: `oauth:user:login.microsoftonline.com:<tid>:<sub>`, the
//! key Tambo derives. An exchange grants only scopes the user holds in `scp` or `roles`.
//! Configuration files deserialize [`EntraProviderBuilder`] (`[projects.provider] kind =
//! "entra"`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;
mod tenant;

pub use claims::EntraClaims;
pub use provider::{ENTRA_INSTANCE, EntraProvider, EntraProviderBuilder, GRAPH_APP_ID, Identity};
