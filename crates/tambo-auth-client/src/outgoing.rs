//! Outgoing authentication: a session's token on every request, as a Tower layer (hyper
//! clients, tonic channels) and as `reqwest` middleware. A refusal of the token
//! (`401` with `error="invalid_token"`, or gRPC `UNAUTHENTICATED`) makes the session exchange
//! again, and the request is sent once more when its body can be replayed.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::session::BoxError;
use crate::{AccessToken, TamboSession};

/// Whether an answer refuses the token it was sent with: HTTP 401 with
/// `error="invalid_token"` (RFC 6750 §3.1), or a gRPC `UNAUTHENTICATED` (16) status in the
/// headers of a trailers-only answer, as `TamboAuthLayer` sends it.
pub fn refuses_token(status: StatusCode, headers: &HeaderMap) -> bool {
    let http = status == StatusCode::UNAUTHORIZED
        && headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("error=\"invalid_token\""));
    let grpc = headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == b"16");
    http || grpc
}

fn bearer(token: &AccessToken) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.secret()))?;
    value.set_sensitive(true);
    Ok(value)
}

/// A request body that can be sent again after the token was refused. Bodies that may stream
/// (tonic's) are never replayed: the session still exchanges again, for the next request.
pub trait ReplayBody: Sized {
    /// A copy to send again, if this body can be.
    fn replay(&self) -> Option<Self>;
}

impl ReplayBody for http_body_util::Full<Bytes> {
    fn replay(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl ReplayBody for http_body_util::Empty<Bytes> {
    fn replay(&self) -> Option<Self> {
        Some(*self)
    }
}

impl ReplayBody for String {
    fn replay(&self) -> Option<Self> {
        Some(self.clone())
    }
}

#[cfg(feature = "tonic")]
impl ReplayBody for tonic::body::Body {
    fn replay(&self) -> Option<Self> {
        None
    }
}

/// Adds `Authorization: Bearer <Tambo token>` from a [`TamboSession`] to every request.
///
/// On a hyper client:
///
/// ```no_run
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use tambo_auth_client::{AuthLayer, TamboSession};
/// use tower::{Service as _, ServiceBuilder, ServiceExt as _};
///
/// # async fn demo(session: TamboSession) -> Result<(), tambo_auth_client::BoxError> {
/// let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
///     .build_http::<Full<Bytes>>();
/// let mut api = ServiceBuilder::new().layer(AuthLayer::new(session)).service(http);
/// let request = http::Request::get("http://127.0.0.1:8260/v1/threads").body(Full::default())?;
/// let threads = api.ready().await?.call(request).await?;
/// # Ok(()) }
/// ```
///
/// On a tonic channel (with the `tonic` feature, which makes its body a [`ReplayBody`] that is
/// never replayed: a refused call fails, and the session has a new token for the next one):
///
/// ```no_run
/// # #[cfg(feature = "tonic")]
/// # async fn demo(session: tambo_auth_client::TamboSession) -> Result<(), tambo_auth_client::BoxError> {
/// use tambo_auth_client::AuthLayer;
/// use tower::Layer as _;
///
/// let channel = tonic::transport::Channel::from_static("http://127.0.0.1:50051")
///     .connect()
///     .await?;
/// let channel = AuthLayer::new(session).layer(channel);
/// // A generated client takes it as its channel: `ThreadsClient::new(channel)`.
/// let mut grpc = tonic::client::Grpc::new(channel);
/// grpc.ready().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuthLayer {
    session: TamboSession,
}

impl AuthLayer {
    /// Authenticates with `session`'s tokens.
    pub fn new(session: TamboSession) -> Self {
        Self { session }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            session: self.session.clone(),
        }
    }
}

/// The service of [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    session: TamboSession,
}

impl<S, B, R> Service<Request<B>> for AuthService<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: ReplayBody + Send + 'static,
    R: Send + 'static,
{
    type Response = Response<R>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service polled ready is the one that sends the first request.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let session = self.session.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let again = body
                .replay()
                .map(|body| Request::from_parts(parts.clone(), body));
            let token = session.token().await?;
            let mut request = Request::from_parts(parts, body);
            request.headers_mut().insert(AUTHORIZATION, bearer(&token)?);
            let response = inner.call(request).await.map_err(Into::into)?;
            if !refuses_token(response.status(), response.headers()) {
                return Ok(response);
            }
            session.invalidate(&token);
            let Some(mut again) = again else {
                return Ok(response);
            };
            let token = session.token().await?;
            again.headers_mut().insert(AUTHORIZATION, bearer(&token)?);
            futures_util::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            inner.call(again).await.map_err(Into::into)
        })
    }
}

/// `reqwest` middleware (through `reqwest-middleware`) adding the session's token to every
/// request.
///
/// ```no_run
/// use tambo_auth_client::{BearerMiddleware, TamboSession};
///
/// # async fn demo(session: TamboSession) -> Result<(), reqwest_middleware::Error> {
/// let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(BearerMiddleware::new(session))
///     .build();
/// let threads = api.get("http://127.0.0.1:8260/v1/threads").send().await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "reqwest-middleware")]
#[derive(Debug, Clone)]
pub struct BearerMiddleware {
    session: TamboSession,
}

#[cfg(feature = "reqwest-middleware")]
impl BearerMiddleware {
    /// Authenticates with `session`'s tokens.
    pub fn new(session: TamboSession) -> Self {
        Self { session }
    }

    /// Sets the session's token on `request`; the token.
    async fn authorize(
        &self,
        request: &mut reqwest::Request,
    ) -> reqwest_middleware::Result<AccessToken> {
        use reqwest_middleware::Error;
        let token = self.session.token().await.map_err(Error::middleware)?;
        let value = bearer(&token).map_err(Error::middleware)?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(token)
    }
}

#[cfg(feature = "reqwest-middleware")]
#[async_trait::async_trait]
impl reqwest_middleware::Middleware for BearerMiddleware {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let again = request.try_clone();
        let mut request = request;
        let token = self.authorize(&mut request).await?;
        let response = next.clone().run(request, extensions).await?;
        if !refuses_token(response.status(), response.headers()) {
            return Ok(response);
        }
        self.session.invalidate(&token);
        let Some(mut again) = again else {
            return Ok(response);
        };
        self.authorize(&mut again).await?;
        next.run(again, extensions).await
    }
}
