//! A test identity provider for tambo-auth and the applications that use it.
//!
//! - [`keys`]: RSA, P-256, P-384, Ed25519 and HMAC signing keys with their JWK, PEM and
//!   certificate forms, and process-wide [`fixtures`].
//! - [`jws`]: a raw compact-JWS builder that signs arbitrary header and payload bytes, for
//!   tokens no well-behaved encoder would produce.
//! - [`claims`]: claim-set templates, generic and shaped like Auth0, Clerk, Supabase, WorkOS,
//!   Better Auth, Neon Auth, Google and Microsoft Entra ID tokens.
//! - [`idp`]: a fake OpenID provider on `127.0.0.1` serving discovery and a JWKS, with key
//!   rotation, request counters, injected faults and stop/restart on the same port.
//! - [`refusal`]: [`assert_refused!`], an error of one exact kind whose message names the fix,
//!   and [`refusal::assert_names_field`], a configuration error naming its field.
//! - [`logs`]: what `tracing` logged during a test, and the assertion that it holds no token,
//!   secret or API key.
//!
//! Keys are generated at run time and never printed: `Debug` shows a key's `kid` and kind
//! only.
//!
//! # Example
//!
//! ```
//! use tambo_auth_testkit::{claims, TestIdp};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let idp = TestIdp::start().await;
//!     let token = idp.token(&idp.claims("user-1", claims::now()));
//!
//!     // Point the verifier under test at the IdP: by issuer (discovery) or JWKS URL.
//!     let issuer = idp.issuer(); // "http://127.0.0.1:<port>"
//!     let jwks_url = idp.jwks_url(); // "<issuer>/.well-known/jwks.json"
//!     assert!(jwks_url.starts_with(&issuer));
//!     assert_eq!(token.split('.').count(), 3);
//!     assert_eq!(idp.jwks_requests(), 0); // nothing fetched yet
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod claims;
pub mod idp;
pub mod jws;
pub mod keys;
pub mod logs;
pub mod process;
pub mod refusal;

pub use idp::{Fault, TestIdp, TestIdpBuilder};
pub use jws::JwsBuilder;
pub use keys::{Fixtures, KeyKind, TestKey, fixtures};
pub use process::Rng;
