//! Okta tokens for tambo-auth: ID tokens of any authorization server, and access tokens of a
//! custom authorization server (`https://<org>.okta.com/oauth2/<id>`, `default` included).
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_okta::{OktaClaims, OktaProvider};
//!
//! let okta = OktaProvider::builder("https://acme.okta.com/oauth2/default")
//!     .audience("api://default") // access tokens for your API
//!     .audience("0oa8f3kx9QzL1mN2p5d7") // ID tokens of your app (its client id)
//!     .build()?;
//! let user = okta.authenticate(token).await?;
//! let claims = OktaClaims::from_user(&user);
//! println!("{} {} {:?}", user.context_key(), user.sub(), claims.cid);
//! # Ok(()) }
//! ```
//!
//! What the provider checks and maps, beyond signature and lifetime:
//!
//! - `iss` is the configured authorization server: the org server (`https://<org>.okta.com`)
//!   or a custom one (`https://<org>.okta.com/oauth2/<id>`); keys through its discovery
//!   document; RS256 only;
//! - `aud` is one of the configured audiences: the API audience of a custom server
//!   (`api://default` for the default one) for access tokens, the client id for ID tokens;
//! - **the user is Okta's user id**: `sub` of an ID token, `uid` of an access token, whose own
//!   `sub` is the user's login (an email that can change). One user gets one context key
//!   whichever token the app sends;
//! - access tokens: `cid` (the client that obtained it) is one of `client_ids` when configured;
//!   client-credentials tokens (no user: `sub` is the client) are refused, as are access tokens
//!   of the org server, which Okta signs for its own APIs only;
//! - RFC 9068 access tokens (`typ: at+jwt`) are accepted like the others;
//! - the scopes the user holds are `scp` (see [`Provider::held_scopes`](tambo_auth::Provider::held_scopes)).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::OktaClaims;
pub use provider::{OktaProvider, OktaProviderBuilder};
