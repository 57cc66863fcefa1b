//! Google ID tokens for tambo-auth, as Auth.js / NextAuth (or any Google sign-in) receives
//! them.
//!
//! ```no_run
//! # async fn demo(id_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_google::{GoogleClaims, GoogleProvider};
//!
//! let google = GoogleProvider::builder("1234-abc.apps.googleusercontent.com")
//!     .hosted_domain("acme.example") // Workspace-only app: refuse other domains
//!     .build()?;
//! let user = google.authenticate(id_token).await?;
//! let claims = GoogleClaims::from_user(&user);
//! println!("{} {:?} {:?}", user.context_key(), user.tenant(), claims.email);
//! # Ok(()) }
//! ```
//!
//! The token to send is the **Google ID token** (`account.id_token` in Auth.js, kept in the
//! `jwt` callback at sign-in). The Auth.js session cookie (an encrypted JWE) and Google's access
//! token (`ya29.…`, opaque) are refused with an error that says so.
//!
//! What the provider checks, beyond signature and lifetime:
//!
//! - `iss` is `https://accounts.google.com` or the legacy `accounts.google.com`; both map to
//!   the same user (one context key, one `original_iss`);
//! - `aud` is one of your OAuth client ids; `azp` is one of the authorized parties when you
//!   configure them;
//! - RS256 only, keys found through Google's discovery document;
//! - optionally: `hd` (the Google Workspace domain, also the tenant as in Tambo) is present or
//!   one of yours, and `email_verified` is true.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::GoogleClaims;
pub use provider::{GOOGLE_ISSUER, GOOGLE_LEGACY_ISSUER, GoogleProvider, GoogleProviderBuilder};
