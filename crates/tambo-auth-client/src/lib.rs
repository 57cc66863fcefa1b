//! Gets and keeps a Tambo token for a user, on the server (the recommended way: the token
//! never reaches browser JavaScript) or in any Rust program that calls a Tambo-style API on a
//! user's behalf.
//!
//! - [`ExchangeClient`]: one RFC 8693 token exchange at `POST /oauth/token`, the project's
//!   `x-api-key`, every RFC 6749 §5.2 refusal as its own [`ExchangeError`] variant.
//! - [`TamboSession`]: one user's token, exchanged on first use, refreshed in the background
//!   at 80 % of its life, one exchange at a time for any number of callers, a fresh provider
//!   token from a [`UserTokenSource`] for every exchange, backoff and `Retry-After` after a
//!   failure, and its [`AuthState`] as a `tokio::sync::watch` stream.
//! - [`AuthLayer`] (Tower: hyper clients, tonic channels) and [`BearerMiddleware`] (`reqwest`
//!   through `reqwest-middleware`): the session's token on every request; a refused token is
//!   exchanged again and the request sent once more.
//!
//! ```no_run
//! use tambo_auth_client::{BearerMiddleware, ExchangeClient, TamboSession};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let client = ExchangeClient::new("https://api.example.com/oauth/token", "tambo_pk_…")?;
//! // The user's identity-provider token: from your session store, Clerk's backend SDK…
//! let session = TamboSession::new(client, || async { Ok::<_, std::io::Error>("eyJ…".to_owned()) });
//! let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(BearerMiddleware::new(session))
//!     .build();
//! let threads = api.get("https://api.example.com/v1/threads").send().await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod error;
mod exchange;
mod outgoing;
mod session;

pub use error::ExchangeError;
pub use exchange::{
    AccessToken, ExchangeClient, ExchangeRequest, Exchanged, GRANT_TYPE_TOKEN_EXCHANGE,
    SubjectTokenType,
};
#[cfg(feature = "reqwest-middleware")]
pub use outgoing::BearerMiddleware;
pub use outgoing::{AuthLayer, AuthService, ReplayBody, refuses_token};
pub use session::{AuthState, BoxError, SessionConfig, TamboSession, UserTokenSource};
