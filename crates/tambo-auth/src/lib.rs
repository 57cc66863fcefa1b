//! Tambo-style user authentication for axum and tonic services.
//!
//! A provider JWT (Auth0, Clerk, Supabase, WorkOS, Better Auth, Neon Auth, Google, any OIDC
//! issuer) is verified by one of five strategies — OIDC discovery, a configured JWKS URL, a
//! configured public key, a shared secret, or none in development — and mapped to a
//! [`TamboUser`] whose [`ContextKey`] scopes that user's threads and messages. The user then
//! exchanges it for a short-lived Tambo token ([`exchange`], [`token`]) that
//! [`TamboAuthLayer`](layer::TamboAuthLayer) checks on every request.
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::{OidcProvider, ProviderRegistry, Verifier};
//!
//! let registry = ProviderRegistry::builder()
//!     .provider(OidcProvider::new(
//!         "auth0",
//!         Verifier::builder("https://example.us.auth0.com/")
//!             .audience("https://api.example.com")
//!             .build()?, // no network I/O: keys load on first use or `warm_up()`
//!     ))
//!     .build()?;
//!
//! match registry.authenticate(token).await {
//!     Ok(user) => println!("hello {} ({})", user.sub(), user.context_key()),
//!     Err(err) => println!("refused: {} ({})", err, err.kind().code()),
//! }
//! # Ok(()) }
//! ```
//!
//! Modules, one concern each: [`jwt`] (parsing and header/claim policy), [`keys`] (key
//! material, remote key sets, discovery), [`verify`] (strategies and the [`Verifier`]),
//! [`provider`] (the [`Provider`] hooks, the one verification path built from them, the
//! issuer registry), [`user`] (the user and its context key), [`token`] (issuing and
//! verifying Tambo tokens, their key ring and revocation), [`exchange`] (the RFC 8693
//! `/oauth/token` endpoint), [`layer`] (the Tower middleware and its verified-token cache),
//! `axum` and `tonic` (extractors, behind features), [`error`] (the one error type and its
//! status table), [`clock`] (time).
//!
//! Crypto goes through `aws-lc-rs` by default, with every key parsed once when it is loaded;
//! feature `rust-crypto` (without `aws-lc-rs`) uses the RustCrypto backend through
//! `jsonwebtoken`. The backend is chosen at compile time, so no feature combination can panic
//! at runtime.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(fuzzing, test))]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;
#[cfg(feature = "axum")]
pub mod axum;
pub mod clock;
pub mod error;
pub mod exchange;
pub mod jwt;
pub mod keys;
pub mod layer;
pub mod provider;
pub mod token;
#[cfg(feature = "tonic")]
pub mod tonic;
pub mod user;
pub mod verify;

pub use error::{Error, ErrorKind};

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
pub use jwt::{Algorithm, AlgorithmSet};
pub use provider::{Hints, OidcProvider, Provider, ProviderExt, ProviderOptions, ProviderRegistry};
pub use user::{ContextKey, Namespace, TamboUser};
pub use verify::{Profile, StrategyKind, VerifiedToken, Verifier};
