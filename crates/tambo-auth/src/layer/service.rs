//! The service [`TamboAuthLayer`](super::TamboAuthLayer) produces, and its response future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::credentials::{Credentials, extract, token68};
use super::response::{RefusalBody, is_grpc, refusal};
use super::verifier::Verification;
use super::{AuthFailure, LayerMarker, Mode, Shared};
use crate::{Error, TamboUser};

/// Authenticates each request, then calls the inner service with the [`TamboUser`] in the
/// request extensions (or refuses with a challenge or a gRPC status).
#[derive(Debug, Clone)]
pub struct TamboAuth<S, R> {
    pub(super) inner: S,
    pub(super) shared: Arc<Shared>,
    pub(super) refusal: R,
}

impl<S, R> TamboAuth<S, R> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// What to do with a request once its credentials are judged.
enum Decision {
    /// Call the inner service with this user.
    Pass(TamboUser),
    /// Call the inner service without a user; with why, when credentials were refused.
    PassWithout(Option<Error>),
    /// Refuse.
    Refuse(Error),
}

/// A decision now, or a verification to wait for first.
enum Step {
    Decided(Decision),
    /// The verification, and the token it verifies.
    Wait(BoxFuture<'static, Result<TamboUser, Error>>, Box<str>),
}

impl Shared {
    fn decide(&self, headers: &http::HeaderMap, query: Option<&str>) -> Step {
        let token = match extract(headers, query, self.cookie.as_deref()) {
            Ok(Credentials::Bearer(token)) => token,
            Ok(Credentials::None) => {
                return Step::Decided(match self.mode {
                    Mode::Required => Decision::Refuse(Error::MissingCredentials),
                    Mode::AllowMissing | Mode::AllowMissingOrFailed => Decision::PassWithout(None),
                });
            }
            Err(e) => return Step::Decided(self.failed(e)),
        };
        let now = self.verifier.now();
        if let Some(user) = self.cache.get(token, unix_secs(now)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Step::Decided(match self.verifier.recheck(&user, now) {
                Ok(()) => Decision::Pass(user),
                Err(e) => {
                    self.cache.remove(token);
                    self.failed(e)
                }
            });
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let token = match token68(token) {
            Ok(token) => token,
            Err(e) => return Step::Decided(self.failed(e)),
        };
        match self.verifier.verify(token) {
            Verification::Done(outcome) => Step::Decided(self.conclude(token, outcome)),
            // Only a token whose verification must wait is copied for later.
            Verification::Pending(fut) => Step::Wait(fut, token.into()),
        }
    }

    /// The decision on the outcome of `token`'s verification: the layer's own checks, then
    /// the cache.
    fn conclude(&self, token: &str, outcome: Result<TamboUser, Error>) -> Decision {
        match outcome.and_then(|user| self.admit(user)) {
            Ok(user) => {
                self.cache
                    .insert(token, &user, unix_secs(self.verifier.now()));
                Decision::Pass(user)
            }
            Err(e) => self.failed(e),
        }
    }

    /// The checks of this layer on top of the verifier's.
    fn admit(&self, user: TamboUser) -> Result<TamboUser, Error> {
        match &self.project {
            Some(project) if user.project() != Some(project.as_str()) => Err(Error::InvalidClaim {
                claim: "client_id",
                reason: "the token was issued to another project",
            }),
            _ => Ok(user),
        }
    }

    fn failed(&self, error: Error) -> Decision {
        tracing::debug!(code = error.kind().code(), "bearer authentication failed");
        match self.mode {
            Mode::AllowMissingOrFailed => Decision::PassWithout(Some(error)),
            Mode::Required | Mode::AllowMissing => Decision::Refuse(error),
        }
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for TamboAuth<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    R: RefusalBody<ResBody>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, R, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let decision = self.shared.decide(request.headers(), request.uri().query());
        let state = match decision {
            Step::Wait(fut, token) => {
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
                        request,
                        inner,
                        shared: Arc::clone(&self.shared),
                        refusal: self.refusal.clone(),
                    })),
                }
            }
            Step::Decided(decided) => {
                match pass(&self.shared, &self.refusal, &mut request, decided) {
                    // Decided now: the service that was polled ready is called at once, as any
                    // synchronous middleware does.
                    Ok(()) => State::Calling {
                        fut: self.inner.call(request),
                    },
                    Err(response) => State::Refused {
                        response: Some(response),
                    },
                }
            }
        };
        ResponseFuture { state }
    }
}

/// Applies a decision to the request: the user (or the marker and failure that tell
/// extractors the layer ran and found none) in its extensions, or the refusal to answer.
fn pass<B, ResBody, R: RefusalBody<ResBody>>(
    shared: &Shared,
    refusal_body: &R,
    request: &mut Request<B>,
    decision: Decision,
) -> Result<(), Response<ResBody>>
where
    ResBody: Default,
{
    let extensions = request.extensions_mut();
    match decision {
        Decision::Pass(user) => {
            extensions.insert(user);
        }
        Decision::PassWithout(failure) => {
            extensions.insert(LayerMarker(shared.realm.clone()));
            if let Some(error) = failure {
                extensions.insert(AuthFailure(error));
            }
        }
        Decision::Refuse(error) => {
            let grpc = is_grpc(request.headers());
            return Err(refusal(&shared.realm, &error, grpc, refusal_body));
        }
    }
    Ok(())
}

fn unix_secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A request waiting for its token's verification.
struct Verifying<S, R, ReqBody> {
    fut: BoxFuture<'static, Result<TamboUser, Error>>,
    token: Box<str>,
    request: Request<ReqBody>,
    inner: S,
    shared: Arc<Shared>,
    refusal: R,
}

pin_project! {
    /// The response future of [`TamboAuth`].
    pub struct ResponseFuture<S, R, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, R, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, R, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Verifying {
            verifying: Option<Box<Verifying<S, R, ReqBody>>>,
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

impl<S, R, ReqBody, ResBody> Future for ResponseFuture<S, R, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: RefusalBody<ResBody>,
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
                        refusal,
                        ..
                    } = *waiting;
                    let decision = shared.conclude(&token, outcome);
                    match pass(&shared, &refusal, &mut request, decision) {
                        Ok(()) => this.state.set(State::Calling {
                            fut: inner.call(request),
                        }),
                        Err(response) => this.state.set(State::Refused {
                            response: Some(response),
                        }),
                    }
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
