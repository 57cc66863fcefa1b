//! The service [`TamboAuthLayer`](super::TamboAuthLayer) produces, and its response future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::cache::{TokenKey, key_of};
use super::credentials::{Credentials, extract};
use super::response::{is_grpc, refusal};
use super::verifier::Verification;
use super::{LayerMarker, Mode, Shared};
use crate::{Error, TamboUser};

/// Authenticates each request, then calls the inner service with the [`TamboUser`] in the
/// request extensions (or refuses with a challenge or a gRPC status).
#[derive(Debug, Clone)]
pub struct TamboAuth<S> {
    pub(super) inner: S,
    pub(super) shared: Arc<Shared>,
}

impl<S> TamboAuth<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// What to do with a request once its credentials are read.
enum Decision {
    /// Call the inner service, with this user if any.
    Pass(Option<TamboUser>),
    /// Refuse.
    Refuse(Error),
    /// Wait for a verification.
    Wait(
        BoxFuture<'static, Result<TamboUser, Error>>,
        Option<Arc<str>>,
    ),
}

impl Shared {
    fn now_secs(&self) -> i64 {
        unix_secs(self.verifier.now())
    }

    fn decide(&self, headers: &http::HeaderMap, query: Option<&str>) -> Decision {
        let token = match extract(headers, query, self.cookie.as_deref()) {
            Ok(Credentials::Bearer(token)) => token,
            Ok(Credentials::None) => {
                return match self.mode {
                    Mode::Required => Decision::Refuse(Error::MissingCredentials),
                    Mode::AllowMissing | Mode::AllowMissingOrFailed => Decision::Pass(None),
                };
            }
            Err(e) => return self.failed(e),
        };
        // A cached token was checked and verified when it was first seen: a hit costs a
        // lookup, a comparison and the re-check, not another pass over the token's bytes.
        let cached = self.cache.is_enabled();
        if cached {
            let key: TokenKey = key_of(token.bytes());
            let now = self.verifier.now();
            if let Some(user) = self.cache.get(&key, token.bytes(), unix_secs(now)) {
                self.counters.hit();
                return match self.verifier.recheck(&user, now) {
                    Ok(()) => Decision::Pass(Some(user)),
                    Err(e) => {
                        self.cache.remove(&key, token.bytes());
                        self.failed(e)
                    }
                };
            }
        }
        self.counters.miss();
        let (token, verification) = if self.verifier.refuses_all_but_token68() {
            // The verifier's own pass over the characters decides; the layer's check only
            // names a refusal, as the check made first would have.
            let text = match token.text() {
                Ok(text) => text,
                Err(e) => return self.failed(e),
            };
            match self.verifier.verify(text) {
                Verification::Done(Err(e)) => (
                    text,
                    Verification::Done(Err(token.checked().err().unwrap_or(e))),
                ),
                verification => (text, verification),
            }
        } else {
            match token.checked() {
                Ok(text) => (text, self.verifier.verify(text)),
                Err(e) => return self.failed(e),
            }
        };
        match verification {
            Verification::Done(Ok(user)) => match self.admit(&user) {
                Ok(()) => {
                    if cached {
                        self.remember(Arc::from(token), &user);
                    }
                    Decision::Pass(Some(user))
                }
                Err(e) => self.failed(e),
            },
            Verification::Done(Err(e)) => self.failed(e),
            Verification::Pending(fut) => Decision::Wait(fut, cached.then(|| Arc::from(token))),
        }
    }

    /// The checks of this layer on top of the verifier's.
    fn admit(&self, user: &TamboUser) -> Result<(), Error> {
        match &self.project {
            Some(project) if user.project() != Some(project.as_str()) => Err(Error::InvalidClaim {
                claim: "client_id",
                reason: "the token was issued to another project",
            }),
            _ => Ok(()),
        }
    }

    fn remember(&self, token: Arc<str>, user: &TamboUser) {
        self.cache.insert(user.compacted(token), self.now_secs());
    }

    fn failed(&self, error: Error) -> Decision {
        tracing::debug!(code = error.kind().code(), "bearer authentication failed");
        match self.mode {
            Mode::AllowMissingOrFailed => Decision::Pass(None),
            Mode::Required | Mode::AllowMissing => Decision::Refuse(error),
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for TamboAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let decision = self.shared.decide(request.headers(), request.uri().query());
        let state = match decision {
            // Decided now: the service that was polled ready is called at once, as any
            // synchronous middleware does; no clone of it is needed.
            Decision::Pass(user) => {
                mark(&mut request, user);
                State::Calling {
                    fut: self.inner.call(request),
                }
            }
            Decision::Refuse(error) => State::Refused {
                response: Some(refusal(
                    &self.shared.realm,
                    &error,
                    is_grpc(request.headers()),
                )),
            },
            Decision::Wait(fut, token) => {
                // The call happens later: take the service that was polled ready, leave a
                // fresh clone in its place.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                State::Verifying {
                    // Boxed: the verifying state is the rare one, and keeping it out of line
                    // keeps the future every request moves around small.
                    verifying: Some(Box::new(Verifying {
                        fut,
                        token,
                        grpc: is_grpc(request.headers()),
                        request,
                        inner,
                        shared: Arc::clone(&self.shared),
                    })),
                }
            }
        };
        ResponseFuture { state }
    }
}

fn unix_secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Puts the user in the request, or the marker that tells extractors the layer ran and found
/// no user (so a missing user is a 401, not a missing layer).
fn mark<B>(request: &mut Request<B>, user: Option<TamboUser>) {
    let extensions = request.extensions_mut();
    match user {
        Some(user) => {
            extensions.insert(user);
        }
        None => {
            extensions.insert(LayerMarker);
        }
    }
}

/// A request waiting for its token's verification.
struct Verifying<S, ReqBody> {
    fut: BoxFuture<'static, Result<TamboUser, Error>>,
    /// The token, when the cache is on.
    token: Option<Arc<str>>,
    request: Request<ReqBody>,
    inner: S,
    shared: Arc<Shared>,
    grpc: bool,
}

pin_project! {
    /// The response future of [`TamboAuth`].
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Verifying {
            verifying: Option<Box<Verifying<S, ReqBody>>>,
        },
        Calling {
            #[pin]
            fut: S::Future,
        },
        Refused {
            response: Option<S::Response>,
        },
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Verifying { verifying } => {
                    let Some(waiting) = verifying.as_mut() else {
                        unreachable!("the verifying state is left as soon as it completes");
                    };
                    let outcome = ready!(waiting.fut.as_mut().poll(cx));
                    let Some(waiting) = verifying.take() else {
                        unreachable!("checked above");
                    };
                    let Verifying {
                        token,
                        mut request,
                        mut inner,
                        shared,
                        grpc,
                        ..
                    } = *waiting;
                    let outcome = outcome.and_then(|user| shared.admit(&user).map(|()| user));
                    let user = match outcome {
                        Ok(user) => {
                            if let Some(token) = token {
                                shared.remember(token, &user);
                            }
                            Some(user)
                        }
                        Err(error) => match shared.failed(error) {
                            Decision::Refuse(error) => {
                                let response = refusal(&shared.realm, &error, grpc);
                                this.state.set(State::Refused {
                                    response: Some(response),
                                });
                                continue;
                            }
                            _ => None,
                        },
                    };
                    mark(&mut request, user);
                    let fut = inner.call(request);
                    this.state.set(State::Calling { fut });
                }
                StateProj::Calling { fut } => return fut.poll(cx),
                StateProj::Refused { response } => {
                    let response = response
                        .take()
                        .expect("a refused future is not polled after completion");
                    return Poll::Ready(Ok(response));
                }
            }
        }
    }
}
