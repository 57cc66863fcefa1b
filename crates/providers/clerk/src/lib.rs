//! The Clerk adapter for tambo-auth: verifies Clerk session tokens (`await getToken()`),
//! checks who requested them, and maps them to a user namespaced by active organization.
//!
//! ```no_run
//! # async fn demo(session_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_clerk::{ClerkClaims, ClerkProvider};
//!
//! let clerk = ClerkProvider::builder("https://clerk.acme.com") // the Frontend API URL
//!     .authorized_party("https://app.acme.com") // required: the origins of your frontend
//!     .build()?; // keys: https://clerk.acme.com/.well-known/jwks.json, RS256
//! let user = clerk.authenticate(session_token).await?;
//! let org = ClerkClaims::from_user(&user).org;
//! println!("{} ({}), org {:?}", user.sub(), user.context_key(), org.map(|o| o.id));
//! # Ok(()) }
//! ```
//!
//! What it handles, beyond the core verifier's checks:
//!
//! - the issuer is the Frontend API origin, with no trailing slash, exactly;
//! - keys from the Frontend API's public JWKS, or from Clerk's PEM public key with no network
//!   at all ([`ClerkProviderBuilder::pem_public_key`]); RS256 only;
//! - `azp` must be an authorized party when present; absent `azp` is accepted unless
//!   [`require_azp`](ClerkProviderBuilder::require_azp);
//! - pending sessions (`sts: "pending"`) are refused unless allowed;
//! - 60 s tokens with `nbf = iat - 5`: a 5 s leeway, as Clerk's SDK;
//! - the version 2 organization claim `o` (and version 1 `org_*`) is read by [`ClerkClaims`],
//!   and `o.id` is the tenant, in the context key by default;
//! - the header's non-standard `cat` parameter is tolerated.
//!
//! Configuration files deserialize [`ClerkProviderBuilder`] (`[projects.provider] kind =
//! "clerk"`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::{ClerkClaims, ClerkOrg};
pub use provider::{ClerkProvider, ClerkProviderBuilder, DEFAULT_LEEWAY, NAME};
