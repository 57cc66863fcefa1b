//! Authorization after authentication: require a scope, or any predicate on the user, and
//! answer 403 `insufficient_scope` (gRPC 7) when it does not hold.
//!
//! ```
//! use axum::{Router, routing::post};
//! use tambo_auth::layer::AuthorizeLayer;
//!
//! async fn write() {}
//!
//! let app: Router = Router::new()
//!     .route("/threads", post(write))
//!     .layer(AuthorizeLayer::scope("write"));
//! // ... and `.layer(TamboAuthLayer::new(tokens))` outside it.
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::response::{EmptyBody, Realm, is_grpc, refusal};
use crate::{Error, TamboUser};

/// A check on an authenticated user.
pub trait UserCheck: Send + Sync + 'static {
    /// `Ok` to let the request through; an error (usually [`Error::InsufficientScope`]) to
    /// refuse it.
    fn check(&self, user: &TamboUser) -> Result<(), Error>;
}

impl<F> UserCheck for F
where
    F: Fn(&TamboUser) -> bool + Send + Sync + 'static,
{
    fn check(&self, user: &TamboUser) -> Result<(), Error> {
        if self(user) {
            Ok(())
        } else {
            Err(Error::InsufficientScope {
                scope: String::new(),
            })
        }
    }
}

struct RequireScope(String);

impl UserCheck for RequireScope {
    fn check(&self, user: &TamboUser) -> Result<(), Error> {
        if user.has_scope(&self.0) {
            Ok(())
        } else {
            Err(Error::InsufficientScope {
                scope: self.0.clone(),
            })
        }
    }
}

/// Applies a [`UserCheck`] to requests authenticated by
/// [`TamboAuthLayer`](super::TamboAuthLayer) (which must run first, outside this layer).
#[derive(Clone)]
#[must_use]
pub struct AuthorizeLayer {
    check: Arc<dyn UserCheck>,
    realm: Realm,
}

impl std::fmt::Debug for AuthorizeLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeLayer").finish_non_exhaustive()
    }
}

impl AuthorizeLayer {
    /// Requires the token's `scope` to include `scope`.
    pub fn scope(scope: impl Into<String>) -> Self {
        Self::check(RequireScope(scope.into()))
    }

    /// Requires `predicate(user)` to hold.
    pub fn predicate(predicate: impl Fn(&TamboUser) -> bool + Send + Sync + 'static) -> Self {
        Self::check(predicate)
    }

    /// Applies any [`UserCheck`].
    pub fn check(check: impl UserCheck) -> Self {
        Self {
            check: Arc::new(check),
            realm: Realm::default(),
        }
    }

    /// The `realm` of challenges (default `tambo`, as the authentication layer's).
    pub fn realm(mut self, realm: Realm) -> Self {
        self.realm = realm;
        self
    }
}

impl<S> Layer<S> for AuthorizeLayer {
    type Service = Authorize<S>;

    fn layer(&self, inner: S) -> Authorize<S> {
        Authorize {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`AuthorizeLayer`].
#[derive(Clone, Debug)]
pub struct Authorize<S> {
    inner: S,
    layer: AuthorizeLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Authorize<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = AuthorizeFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let verdict = match request.extensions().get::<TamboUser>() {
            Some(user) => self.layer.check.check(user),
            None => Err(Error::MissingCredentials),
        };
        let state = match verdict {
            Ok(()) => Verdict::Inner {
                fut: self.inner.call(request),
            },
            Err(error) => Verdict::Refused {
                response: Some(refusal(
                    &self.layer.realm,
                    &error,
                    is_grpc(request.headers()),
                    &EmptyBody,
                )),
            },
        };
        AuthorizeFuture { state }
    }
}

pin_project! {
    /// The response future of [`Authorize`].
    pub struct AuthorizeFuture<F, B> {
        #[pin]
        state: Verdict<F, B>,
    }
}

pin_project! {
    #[project = VerdictProj]
    enum Verdict<F, B> {
        Inner { #[pin] fut: F },
        Refused { response: Option<Response<B>> },
    }
}

impl<F, B, E> Future for AuthorizeFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            VerdictProj::Inner { fut } => fut.poll(cx),
            VerdictProj::Refused { response } => Poll::Ready(Ok(response
                .take()
                .expect("a refused future is not polled after completion"))),
        }
    }
}
