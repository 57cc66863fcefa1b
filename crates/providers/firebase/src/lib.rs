//! Firebase Authentication ID tokens for tambo-auth (Identity Platform multi-tenancy
//! included).
//!
//! ```no_run
//! # async fn demo(id_token: &str) -> Result<(), tambo_auth::Error> {
//! use std::time::Duration;
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_firebase::{FirebaseClaims, FirebaseProvider};
//!
//! let firebase = FirebaseProvider::builder("acme-threads")
//!     .allow_anonymous(false)
//!     .max_auth_age(Duration::from_secs(15 * 60)) // a sensitive app: recent sign-ins only
//!     .build()?;
//! let user = firebase.authenticate(id_token).await?; // from `await user.getIdToken()`
//! let claims = FirebaseClaims::from_user(&user);
//! println!("{} {:?} {:?}", user.context_key(), claims.sign_in_provider, claims.email);
//! # Ok(()) }
//! ```
//!
//! The token to send is the **ID token** (`await user.getIdToken()` in the Web SDK; the
//! Admin SDK's `verifyIdToken` accepts the same one). What the provider checks and maps,
//! beyond signature and lifetime:
//!
//! - `iss` is `https://securetoken.google.com/<project ID>` and `aud` the project ID; RS256
//!   only, keys from Google's securetoken JWKS ([`FIREBASE_JWKS_URL`]), cached as its
//!   `Cache-Control` allows and refetched on an unknown `kid`;
//! - `sub` is the uid, at most 128 characters; `user_id`, which Firebase writes beside it,
//!   must be the same uid;
//! - `auth_time` (the sign-in) is present and not in the future; optionally not older than
//!   [`max_auth_age`](FirebaseProviderBuilder::max_auth_age);
//! - the tenant of the context key is `firebase.tenant` (Identity Platform), optionally one of
//!   [`allowed_tenants`](FirebaseProviderBuilder::allowed_tenant);
//! - anonymous users are accepted unless
//!   [`allow_anonymous`](FirebaseProviderBuilder::allow_anonymous) is `false`, and
//!   `firebase.sign_in_provider` can be restricted
//!   ([`allowed_sign_in_provider`](FirebaseProviderBuilder::allowed_sign_in_provider)).
//!
//! Refused with an error that says what to send instead: session cookies
//! (`https://session.firebase.google.com/<project ID>`, routed to this provider by a
//! [`ProviderRegistry`](tambo_auth::ProviderRegistry) for that explanation), custom tokens
//! minted by the Admin SDK (sign in with them, then send the ID token), and refresh tokens
//! (opaque).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::FirebaseClaims;
pub use provider::{FIREBASE_JWKS_URL, FirebaseProvider, FirebaseProviderBuilder};
