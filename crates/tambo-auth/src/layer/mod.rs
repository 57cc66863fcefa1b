//! `TamboAuthLayer`: a Tower middleware that authenticates every request with its bearer
//! token and hands the handler a [`TamboUser`](crate::TamboUser).
//!
//! One layer serves axum, hyper and tonic: it is generic over request and response bodies
//! (refusals use `ResBody::default()` unless a [`RefusalBody`] shapes them), answers HTTP
//! requests with RFC 6750 challenges and gRPC requests (`content-type: application/grpc…`)
//! with `grpc-status` 16, 7 or 14 — never an HTTP 401 a gRPC client cannot read.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tambo_auth::layer::TamboAuthLayer;
//! use tambo_auth::token::{SigningKey, TamboTokens};
//! use tambo_auth::{Algorithm, TamboUser};
//!
//! async fn whoami(user: TamboUser) -> String {
//!     format!("{} ({})", user.sub(), user.context_key())
//! }
//!
//! let tokens = TamboTokens::builder("https://auth.example.com")
//!     .signing_key(SigningKey::generate(Algorithm::EdDSA).unwrap())
//!     .build()
//!     .unwrap();
//! let app: Router = Router::new()
//!     .route("/whoami", get(whoami))
//!     .layer(TamboAuthLayer::new(tokens));
//! ```
//!
//! Everything else is set once on [`TamboAuthLayer::builder`], which checks it when the layer
//! is built:
//!
//! ```
//! # use tambo_auth::token::{SigningKey, TamboTokens};
//! # let tokens = TamboTokens::builder("https://auth.example.com")
//! #     .signing_key(SigningKey::generate(tambo_auth::Algorithm::EdDSA).unwrap()).build().unwrap();
//! use tambo_auth::layer::{Mode, Realm, TamboAuthLayer};
//!
//! let layer = TamboAuthLayer::builder(tokens)
//!     .mode(Mode::AllowMissing)
//!     .realm(Realm::new("acme-api")?)
//!     .cookie("tambo_token")
//!     .require_project("p_demo")
//!     .build()?;
//! # Ok::<(), tambo_auth::Error>(())
//! ```
//!
//! | request | `Required` (default) | `AllowMissing` | `AllowMissingOrFailed` |
//! | --- | --- | --- | --- |
//! | valid token | user in extensions | same | same |
//! | no bearer credentials (none, or `Basic`) | 401, bare `Bearer realm=…` challenge | passes, no user | passes, no user |
//! | malformed header (`Bearer`, two tokens, two headers) | 400 `invalid_request` | 400 | passes, [`AuthFailure`] |
//! | invalid, expired, revoked token | 401 `invalid_token` | 401 | passes, [`AuthFailure`] |
//! | keys unavailable (direct mode) | 503 + `Retry-After` | 503 | passes, [`AuthFailure`] |

mod authorize;
mod cache;
mod credentials;
mod response;
mod service;
mod verifier;

pub use authorize::{Authorize, AuthorizeFuture, AuthorizeLayer, UserCheck};
#[cfg(feature = "axum")]
pub(crate) use response::refusal;
pub use response::{EmptyBody, Realm, RefusalBody};
pub use service::{ResponseFuture, TamboAuth};
pub use verifier::{BearerVerifier, TamboOrProvider, Verification};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tower_layer::Layer;

use crate::token::TamboTokens;
use crate::{Error, ProviderRegistry};
use cache::TokenCache;

/// What happens to requests without valid credentials (Envoy's requirement modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Every request needs a valid token (the default).
    #[default]
    Required,
    /// Requests without credentials pass without a user; invalid tokens are refused.
    AllowMissing,
    /// Requests without credentials or with failing ones pass without a user (a failing one
    /// with its [`AuthFailure`]); a later extractor or [`AuthorizeLayer`] decides.
    AllowMissingOrFailed,
}

/// Why the layer let a request through without a user in [`Mode::AllowMissingOrFailed`]:
/// the credentials it carried were refused. In the request extensions, for handlers that
/// answer such requests themselves.
///
/// ```
/// use axum::Extension;
/// use tambo_auth::TamboUser;
/// use tambo_auth::layer::AuthFailure;
///
/// async fn greeting(user: Option<TamboUser>, failure: Option<Extension<AuthFailure>>) -> String {
///     match (user, failure) {
///         (Some(user), _) => format!("hello {}", user.sub()),
///         (None, Some(Extension(AuthFailure(error)))) => format!("sign in again ({})", error.kind().code()),
///         (None, None) => "hello, stranger".into(),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AuthFailure(pub Error);

/// Marks requests the layer passed without a user, so extractors can tell "no user" from
/// "no layer", and challenge in the layer's realm.
#[derive(Debug, Clone)]
pub(crate) struct LayerMarker(
    #[cfg_attr(
        not(feature = "axum"),
        expect(dead_code, reason = "only the axum extractors challenge in the realm")
    )]
    pub(crate) Realm,
);

/// The default capacity of the verified-token cache.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// What every service the layer builds shares.
#[derive(Debug)]
pub(crate) struct Shared {
    verifier: Arc<dyn BearerVerifier>,
    mode: Mode,
    realm: Realm,
    cookie: Option<String>,
    project: Option<String>,
    cache: TokenCache,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counters of the verified-token cache, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Requests that needed a full verification.
    pub misses: u64,
    /// Tokens held now.
    pub entries: usize,
}

/// Authenticates requests with bearer tokens. See the [module docs](self).
///
/// Clones share one verified-token cache, so a router that applies the layer to each route
/// still verifies a repeated token once.
#[derive(Debug, Clone)]
#[must_use]
pub struct TamboAuthLayer<R = EmptyBody> {
    shared: Arc<Shared>,
    refusal: R,
}

impl TamboAuthLayer {
    /// Accepts the tokens `verifier` verifies, with every default: [`TamboTokens`] (the
    /// exchange flow), a [`ProviderRegistry`] (direct mode), [`TamboOrProvider`], or your own.
    pub fn new(verifier: impl BearerVerifier) -> Self {
        Self::builder(verifier).build_infallible()
    }

    /// Accepts provider tokens directly through `providers`, for apps that skip the exchange.
    pub fn direct(providers: ProviderRegistry) -> Self {
        Self::new(providers)
    }

    /// Accepts Tambo tokens and provider tokens.
    pub fn tambo_or_provider(tokens: TamboTokens, providers: ProviderRegistry) -> Self {
        Self::new(TamboOrProvider::new(tokens, providers))
    }

    /// Starts configuring a layer for the tokens `verifier` verifies.
    pub fn builder(verifier: impl BearerVerifier) -> TamboAuthLayerBuilder {
        TamboAuthLayerBuilder {
            verifier: Arc::new(verifier),
            mode: Mode::Required,
            realm: Realm::default(),
            cookie: None,
            project: None,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            refusal: EmptyBody,
        }
    }
}

impl<R> TamboAuthLayer<R> {
    /// The cache counters of the services this layer (and its clones) built.
    pub fn cache_stats(&self) -> CacheStats {
        CacheStats {
            hits: self.shared.hits.load(Ordering::Relaxed),
            misses: self.shared.misses.load(Ordering::Relaxed),
            entries: self.shared.cache.len(),
        }
    }
}

/// Configures a [`TamboAuthLayer`]; [`build`](Self::build) checks every setting once.
#[derive(Debug)]
#[must_use]
pub struct TamboAuthLayerBuilder<R = EmptyBody> {
    verifier: Arc<dyn BearerVerifier>,
    mode: Mode,
    realm: Realm,
    cookie: Option<String>,
    project: Option<String>,
    cache_capacity: usize,
    refusal: R,
}

impl<R> TamboAuthLayerBuilder<R> {
    /// What to do without valid credentials (default [`Mode::Required`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The `realm` of challenges (default `tambo`).
    pub fn realm(mut self, realm: Realm) -> Self {
        self.realm = realm;
        self
    }

    /// Also reads the token from this cookie when there is no `Authorization` header. The
    /// name must be an RFC 6265 cookie name (a token: no spaces, separators or controls).
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Accepts only tokens issued to this project (`client_id`): an app serving one Tambo
    /// project refuses tokens exchanged for another.
    pub fn require_project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The verified-token cache capacity (default 10 000; 0 disables the cache).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Shapes the body of HTTP refusals (an RFC 9457 problem document, say); the status,
    /// `WWW-Authenticate` and `Retry-After` stay the layer's, and gRPC refusals stay
    /// trailers-only. See [`RefusalBody`].
    pub fn refusal_body<R2>(self, refusal: R2) -> TamboAuthLayerBuilder<R2> {
        TamboAuthLayerBuilder {
            verifier: self.verifier,
            mode: self.mode,
            realm: self.realm,
            cookie: self.cookie,
            project: self.project,
            cache_capacity: self.cache_capacity,
            refusal,
        }
    }

    /// Checks the settings and builds the layer.
    pub fn build(self) -> Result<TamboAuthLayer<R>, Error> {
        if let Some(name) = &self.cookie
            && !credentials::valid_cookie_name(name)
        {
            return Err(Error::config(
                "cookie",
                "a cookie name is a token: visible ASCII without spaces or ()<>@,;:\\\"/[]?={}",
            ));
        }
        if self.project.as_deref() == Some("") {
            return Err(Error::config("require_project", "the project id is empty"));
        }
        Ok(self.build_infallible())
    }

    fn build_infallible(self) -> TamboAuthLayer<R> {
        TamboAuthLayer {
            shared: Arc::new(Shared {
                verifier: self.verifier,
                mode: self.mode,
                realm: self.realm,
                cookie: self.cookie,
                project: self.project,
                cache: TokenCache::new(self.cache_capacity),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
            refusal: self.refusal,
        }
    }
}

impl<S, R: Clone> Layer<S> for TamboAuthLayer<R> {
    type Service = TamboAuth<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        TamboAuth {
            inner,
            shared: Arc::clone(&self.shared),
            refusal: self.refusal.clone(),
        }
    }
}
