//! Login.gov ID tokens for tambo-auth: production (`https://secure.login.gov/`) or the sandbox
//! (`https://idp.int.identitysandbox.gov/`), with the identity assurance level (`acr`) as an
//! optional policy.
//!
//! ```no_run
//! # async fn demo(id_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_login_gov::{LoginGovClaims, LoginGovProvider};
//!
//! let login_gov = LoginGovProvider::builder("urn:gov:gsa:openidconnect.profiles:sp:sso:agency:app")
//!     .require_identity_verification(true)
//!     .build()?;
//! let user = login_gov.authenticate(id_token).await?;
//! let claims = LoginGovClaims::from_user(&user);
//! println!("{} {:?}", user.context_key(), claims.assurance);
//! # Ok(()) }
//! ```
//!
//! What the provider checks and maps, beyond signature and lifetime:
//!
//! - `iss` is Login.gov's issuer **with its trailing slash**, exactly as Login.gov writes it;
//!   keys through its discovery document (`<issuer>.well-known/openid-configuration`, one
//!   slash); RS256 only;
//! - `aud` is your app's client id (a URN such as
//!   `urn:gov:gsa:openidconnect.profiles:sp:sso:agency:app`);
//! - the user is `sub`, a UUID that Login.gov makes per agency (pairwise): two apps of one
//!   agency see the same `sub`, apps of different agencies do not;
//! - with [`require_identity_verification`](LoginGovProviderBuilder::require_identity_verification),
//!   `acr` must say the user's identity was verified (`urn:acr.login.gov:verified`, the
//!   facial-match levels, or the legacy IAL2 URI); auth-only, IAL1 and a missing `acr` are
//!   refused;
//! - only ID tokens: Login.gov's access tokens are opaque, good for its userinfo endpoint only.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::{IdentityAssurance, LoginGovClaims};
pub use provider::{Environment, LoginGovProvider, LoginGovProviderBuilder};
