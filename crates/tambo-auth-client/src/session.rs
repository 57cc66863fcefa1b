//! [`TamboSession`]: one user's Tambo token, exchanged when needed and refreshed ahead of
//! expiry, the Rust counterpart of `TamboProvider` in `@tambo-ai/react`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::{AccessToken, ExchangeClient, ExchangeError, ExchangeRequest, Exchanged};

/// An error from a [`UserTokenSource`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where a session gets the user's identity-provider token: asked afresh for every exchange,
/// so a provider token that has expired since the last one (Clerk's live 60 s) is never sent
/// again. Closures returning a future implement it:
///
/// ```
/// use tambo_auth_client::UserTokenSource;
///
/// fn source() -> impl UserTokenSource {
///     || async { Ok::<_, std::io::Error>("eyJ…the provider's JWT".to_owned()) }
/// }
/// ```
pub trait UserTokenSource: Send + Sync + 'static {
    /// A current token of the user's identity provider.
    fn user_token(&self) -> Pin<Box<dyn Future<Output = Result<String, BoxError>> + Send + '_>>;
}

impl<F, Fut, E> UserTokenSource for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<String, E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn user_token(&self) -> Pin<Box<dyn Future<Output = Result<String, BoxError>> + Send + '_>> {
        let future = self();
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

/// Where a session stands, as Tambo's auth state.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthState {
    /// No token yet, and none being fetched (a new or signed-out session).
    Unauthenticated,
    /// Exchanging, with no usable token in hand.
    Exchanging,
    /// A usable token, until `expires_at` (refreshed ahead of it).
    Identified {
        /// When the token stops being handed out.
        expires_at: Instant,
        /// The granted scope, when the server named it.
        scope: Option<String>,
    },
    /// No usable token: the last exchange failed (the session retries after a backoff).
    Error(ExchangeError),
}

/// Timing of a [`TamboSession`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The share of a token's life after which it is refreshed in the background while it is
    /// still handed out (default 0.8).
    pub refresh_at: f64,
    /// A token stops being handed out this long before it expires (default 5 s, at most a
    /// tenth of its life): it must still be valid when the request reaches the API.
    pub expiry_margin: Duration,
    /// The first wait after a failed exchange (default 1 s), doubling up to `max_backoff`;
    /// a `Retry-After` from the server replaces it.
    pub min_backoff: Duration,
    /// The longest wait after failures (default 30 s).
    pub max_backoff: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            refresh_at: 0.8,
            expiry_margin: Duration::from_secs(5),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// A token in hand.
#[derive(Clone)]
struct Held {
    token: AccessToken,
    scope: Option<String>,
    refresh_at: Instant,
    usable_until: Instant,
}

type Pending = Shared<BoxFuture<'static, Result<Held, ExchangeError>>>;

#[derive(Default)]
struct State {
    held: Option<Held>,
    /// The one exchange in flight; every caller that needs its result awaits a clone.
    inflight: Option<Pending>,
    failures: u32,
    /// No exchange starts before this, after a failure.
    retry_at: Option<Instant>,
    last_error: Option<ExchangeError>,
    /// Bumped by sign-out: an exchange started before it does not install its token.
    generation: u64,
}

struct Inner {
    client: ExchangeClient,
    source: Box<dyn UserTokenSource>,
    request: ExchangeRequest,
    config: SessionConfig,
    state: Mutex<State>,
    auth: watch::Sender<AuthState>,
}

/// One user's Tambo token: exchanged on first use, handed out while valid, refreshed in the
/// background once [`refresh_at`](SessionConfig::refresh_at) of its life has passed. Cheap to
/// clone; every clone shares the token.
///
/// - **One exchange at a time**: any number of concurrent callers of [`token`](Self::token)
///   without a usable token wait for the same exchange.
/// - **A fresh provider token for each exchange**, from the [`UserTokenSource`].
/// - **Never an expired token**: a token is handed out only until
///   [`expiry_margin`](SessionConfig::expiry_margin) before it expires; after that callers wait
///   for the new one or get the error.
/// - **Backoff**: after a failure no exchange starts for 1 s, doubling to 30 s, or for the
///   server's `Retry-After`; callers in that window get the last error at once.
///
/// ```no_run
/// use tambo_auth_client::{ExchangeClient, TamboSession};
///
/// # async fn demo() -> Result<(), tambo_auth_client::ExchangeError> {
/// let client = ExchangeClient::new("https://api.example.com/oauth/token", "tambo_pk_…")?;
/// let session = TamboSession::new(client, || async {
///     // Ask the identity provider's SDK for the user's current token.
///     Ok::<_, std::io::Error>("eyJ…".to_owned())
/// });
/// let token = session.token().await?;
/// let answer = reqwest::Client::new()
///     .get("https://api.example.com/v1/threads")
///     .bearer_auth(token.secret())
///     .send()
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TamboSession {
    inner: Arc<Inner>,
}

impl fmt::Debug for TamboSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TamboSession")
            .field("endpoint", &self.inner.client.endpoint().as_str())
            .field("state", &*self.inner.auth.borrow())
            .finish_non_exhaustive()
    }
}

impl TamboSession {
    /// A session exchanging `source`'s tokens through `client`, with the default timing and
    /// no `scope` or `audience`.
    pub fn new(client: ExchangeClient, source: impl UserTokenSource) -> Self {
        Self::with_config(
            client,
            source,
            ExchangeRequest::default(),
            SessionConfig::default(),
        )
    }

    /// A session with the exchange's parameters (`scope`, `audience`) and its timing.
    pub fn with_config(
        client: ExchangeClient,
        source: impl UserTokenSource,
        request: ExchangeRequest,
        config: SessionConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                source: Box::new(source),
                request,
                config,
                state: Mutex::new(State::default()),
                auth: watch::Sender::new(AuthState::Unauthenticated),
            }),
        }
    }

    /// A usable Tambo token: the one in hand, or a new one from an exchange.
    pub async fn token(&self) -> Result<AccessToken, ExchangeError> {
        let pending = {
            let mut state = self.inner.lock();
            let now = Instant::now();
            if let Some(held) = state.held.clone().filter(|h| now < h.usable_until) {
                if now >= held.refresh_at && may_start(&state, now) {
                    // Refresh ahead: the caller keeps the token in hand, the exchange runs on.
                    tokio::spawn(Inner::start(&self.inner, &mut state).map(drop));
                }
                return Ok(held.token);
            }
            // None in hand, or expired: it is never handed out again.
            state.held = None;
            match (&state.inflight, &state.last_error) {
                (Some(pending), _) => pending.clone(),
                (None, Some(error)) if !may_start(&state, now) => {
                    self.inner
                        .auth
                        .send_replace(AuthState::Error(error.clone()));
                    return Err(error.clone());
                }
                _ => Inner::start(&self.inner, &mut state),
            }
        };
        pending.await.map(|held| held.token)
    }

    /// Forgets `token` when it is the one in hand (the API refused it: revoked, or signed by
    /// a key the API no longer trusts), so the next [`token`](Self::token) exchanges again.
    pub fn invalidate(&self, token: &AccessToken) {
        let mut state = self.inner.lock();
        if state.held.as_ref().is_some_and(|h| &h.token == token) {
            state.held = None;
            state.retry_at = None;
        }
    }

    /// Forgets the token and any exchange in flight; the state becomes
    /// [`AuthState::Unauthenticated`].
    pub fn sign_out(&self) {
        let mut state = self.inner.lock();
        *state = State {
            generation: state.generation + 1,
            ..State::default()
        };
        self.inner.auth.send_replace(AuthState::Unauthenticated);
    }

    /// The auth state now and as it changes.
    pub fn state(&self) -> watch::Receiver<AuthState> {
        self.inner.auth.subscribe()
    }
}

/// Whether a new exchange may start at `now`: none in flight and no backoff running.
fn may_start(state: &State, now: Instant) -> bool {
    state.inflight.is_none() && state.retry_at.is_none_or(|at| now >= at)
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the exchange every waiting caller shares.
    fn start(inner: &Arc<Inner>, state: &mut State) -> Pending {
        let session = Arc::clone(inner);
        let generation = state.generation;
        let pending = async move { session.exchange(generation).await }
            .boxed()
            .shared();
        state.inflight = Some(pending.clone());
        if state.held.is_none() {
            inner.auth.send_replace(AuthState::Exchanging);
        }
        pending
    }

    async fn exchange(&self, generation: u64) -> Result<Held, ExchangeError> {
        let result = match self.source.user_token().await {
            Ok(user_token) => {
                let started = Instant::now();
                self.client
                    .exchange(&user_token, &self.request)
                    .await
                    .map(|answer| self.held(started, answer))
            }
            Err(error) => Err(ExchangeError::UserToken(Arc::from(error))),
        };
        let mut state = self.lock();
        if state.generation != generation {
            // Signed out meanwhile: this user's token is not installed.
            return result;
        }
        state.inflight = None;
        let now = Instant::now();
        match &result {
            Ok(held) => {
                state.held = Some(held.clone());
                state.failures = 0;
                state.retry_at = None;
                state.last_error = None;
                self.auth.send_replace(AuthState::Identified {
                    expires_at: held.usable_until,
                    scope: held.scope.clone(),
                });
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let doubling = self
                    .config
                    .min_backoff
                    .saturating_mul(1 << (state.failures - 1).min(16));
                let wait = error
                    .retry_after()
                    .unwrap_or_else(|| doubling.min(self.config.max_backoff));
                state.retry_at = Some(now + wait);
                state.last_error = Some(error.clone());
                tracing::warn!(
                    error = %error.to_string().escape_debug(),
                    retry_in = ?wait,
                    "the token exchange failed"
                );
                if state.held.as_ref().is_none_or(|h| now >= h.usable_until) {
                    self.auth.send_replace(AuthState::Error(error.clone()));
                }
            }
        }
        result
    }

    /// The token of `answer`, received for an exchange that started at `started` (its life
    /// is counted from there, so the time on the wire only makes it end sooner).
    fn held(&self, started: Instant, answer: Exchanged) -> Held {
        let life = answer.expires_in;
        let margin = self.config.expiry_margin.min(life / 10);
        Held {
            token: answer.access_token,
            scope: answer.scope,
            refresh_at: started + life.mul_f64(self.config.refresh_at.clamp(0.0, 1.0)),
            usable_until: started + life - margin,
        }
    }
}
