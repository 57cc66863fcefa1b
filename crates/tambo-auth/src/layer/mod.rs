//! `TamboAuthLayer`: a Tower middleware that authenticates every request with its bearer
//! token and hands the handler a [`TamboUser`](crate::TamboUser).
//!
//! One layer serves axum, hyper and tonic: it is generic over request and response bodies
//! (refusals use `ResBody::default()`), answers HTTP requests with RFC 6750 challenges and gRPC
//! requests (`content-type: application/grpc…`) with `grpc-status` 16, 7 or 14 — never an
//! HTTP 401 a gRPC client cannot read.
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
//! | request | `Required` (default) | `AllowMissing` | `AllowMissingOrFailed` |
//! | --- | --- | --- | --- |
//! | valid token | user in extensions | same | same |
//! | no bearer credentials (none, or `Basic`) | 401, bare `Bearer realm=…` challenge | passes, no user | passes, no user |
//! | malformed header (`Bearer`, two tokens, two headers) | 400 `invalid_request` | 400 | passes, no user |
//! | invalid, expired, revoked token | 401 `invalid_token` | 401 | passes, no user |
//! | keys unavailable (direct mode) | 503 + `Retry-After` | 503 | passes, no user |

mod authorize;
mod cache;
mod counters;
mod credentials;
mod response;
mod service;
mod verifier;

pub use authorize::{Authorize, AuthorizeLayer, UserCheck};
pub use service::{ResponseFuture, TamboAuth};
pub use verifier::{BearerVerifier, TamboOrProvider, Verification};

use std::sync::{Arc, OnceLock};

use tower_layer::Layer;

use crate::token::TamboTokens;
use crate::{Error, ProviderRegistry};
use cache::TokenCache;
use counters::Counters;

/// What happens to requests without valid credentials (Envoy's requirement modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Every request needs a valid token (the default).
    #[default]
    Required,
    /// Requests without credentials pass without a user; invalid tokens are refused.
    AllowMissing,
    /// Requests without credentials or with failing ones pass without a user; a later
    /// extractor or [`AuthorizeLayer`] decides.
    AllowMissingOrFailed,
}

/// Marks requests that went through the layer, so extractors can tell "no user" from "no
/// layer".
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerMarker;

/// The bare `WWW-Authenticate` challenge (default realm) for `error`, for extractors that
/// refuse outside the layer.
#[cfg(feature = "axum")]
pub(crate) fn challenge_for(error: &Error) -> Option<http::HeaderValue> {
    response::challenge("tambo", error).and_then(|v| http::HeaderValue::from_str(&v).ok())
}

/// The default capacity of the verified-token cache.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

#[derive(Debug)]
pub(crate) struct Shared {
    verifier: Arc<dyn BearerVerifier>,
    mode: Mode,
    realm: String,
    cookie: Option<String>,
    project: Option<String>,
    cache: TokenCache,
    counters: Counters,
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
pub struct TamboAuthLayer {
    verifier: Arc<dyn BearerVerifier>,
    mode: Mode,
    realm: String,
    cookie: Option<String>,
    project: Option<String>,
    cache_capacity: usize,
    shared: Arc<OnceLock<Arc<Shared>>>,
}

impl TamboAuthLayer {
    /// Accepts Tambo tokens issued by `tokens` (the exchange flow).
    pub fn new(tokens: TamboTokens) -> Self {
        Self::with_verifier(Arc::new(tokens))
    }

    /// Accepts provider tokens directly through `providers`, for apps that skip the exchange.
    pub fn direct(providers: ProviderRegistry) -> Self {
        Self::with_verifier(Arc::new(providers))
    }

    /// Accepts Tambo tokens and provider tokens.
    pub fn tambo_or_provider(tokens: TamboTokens, providers: ProviderRegistry) -> Self {
        Self::with_verifier(Arc::new(TamboOrProvider::new(tokens, providers)))
    }

    /// Uses any [`BearerVerifier`].
    pub fn with_verifier(verifier: Arc<dyn BearerVerifier>) -> Self {
        Self {
            verifier,
            mode: Mode::Required,
            realm: "tambo".into(),
            cookie: None,
            project: None,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            shared: Arc::default(),
        }
    }

    /// What to do without valid credentials (default [`Mode::Required`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.shared = Arc::default();
        self.mode = mode;
        self
    }

    /// The `realm` of challenges (default `tambo`). Quotes, backslashes and control
    /// characters are refused by [`try_realm`](Self::try_realm).
    pub fn try_realm(mut self, realm: impl Into<String>) -> Result<Self, Error> {
        let realm = realm.into();
        if !response::valid_realm(&realm) {
            return Err(Error::config(
                "realm",
                "printable ASCII without quotes or backslashes",
            ));
        }
        self.realm = realm;
        self.shared = Arc::default();
        Ok(self)
    }

    /// Also reads the token from this cookie when there is no `Authorization` header.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.shared = Arc::default();
        self.cookie = Some(name.into());
        self
    }

    /// Accepts only tokens issued to this project (`client_id`): an app serving one Tambo
    /// project refuses tokens exchanged for another.
    pub fn require_project(mut self, project: impl Into<String>) -> Self {
        self.shared = Arc::default();
        self.project = Some(project.into());
        self
    }

    /// The verified-token cache capacity (default 10 000; 0 disables the cache). The cache's
    /// slots, 24 bytes each, are allocated when the layer builds it.
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.shared = Arc::default();
        self.cache_capacity = capacity;
        self
    }
}

impl TamboAuthLayer {
    /// The cache counters of the services this layer (and its clones) built.
    pub fn cache_stats(&self) -> CacheStats {
        self.shared.get().map_or_else(CacheStats::default, |s| {
            let (hits, misses) = s.counters.totals();
            CacheStats {
                hits,
                misses,
                entries: s.cache.len(),
            }
        })
    }
}

impl<S> Layer<S> for TamboAuthLayer {
    type Service = TamboAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let shared = self.shared.get_or_init(|| {
            Arc::new(Shared {
                verifier: Arc::clone(&self.verifier),
                mode: self.mode,
                realm: self.realm.clone(),
                cookie: self.cookie.clone(),
                project: self.project.clone(),
                cache: TokenCache::new(self.cache_capacity),
                counters: Counters::default(),
            })
        });
        TamboAuth {
            inner,
            shared: Arc::clone(shared),
        }
    }
}
