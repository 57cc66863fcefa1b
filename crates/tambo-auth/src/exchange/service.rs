//! [`ExchangeService`]: the endpoint as a Tower service, for any server that speaks
//! `http::Request` (axum, hyper, tonic's router).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Method, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use tower_service::Service;

use super::TokenExchange;
use super::response::error_response;
use crate::Error;

/// The token endpoint as a `tower::Service`: every method but `POST` is answered 405 with
/// `Allow: POST`; the body is read up to the limit ([`TokenExchange::max_body`]) and handed to
/// [`TokenExchange::exchange`]. Never fails: every outcome is a response.
///
/// Mount it at `/oauth/token`; [`TokenExchange::router`] does so for axum.
#[derive(Clone, Debug)]
pub struct ExchangeService {
    exchange: TokenExchange,
}

impl ExchangeService {
    pub(crate) fn new(exchange: TokenExchange) -> Self {
        Self { exchange }
    }
}

impl<B> Service<Request<B>> for ExchangeService
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let exchange = self.exchange.clone();
        ResponseFuture {
            inner: Box::pin(async move { Ok(exchange.handle(request).await) }),
        }
    }
}

/// The response future of [`ExchangeService`].
pub struct ResponseFuture {
    inner: BoxFuture<'static, Result<Response<Full<Bytes>>, Infallible>>,
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<Full<Bytes>>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl TokenExchange {
    /// Answers one HTTP request.
    async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        if parts.method != Method::POST {
            return self.refuse_before_exchange(&Error::MethodNotAllowed);
        }
        let body = match read_capped(&parts.headers, body, self.body_limit()).await {
            Ok(body) => body,
            Err(error) => return self.refuse_before_exchange(&error),
        };
        match self
            .exchange_from(peer(&parts.extensions), &parts.headers, &body)
            .await
        {
            Ok(answer) => answer.to_response(),
            Err(error) => error_response(&error),
        }
    }

    /// Logs and answers a request refused before its parameters were read.
    fn refuse_before_exchange(&self, error: &Error) -> Response<Full<Bytes>> {
        super::log_outcome(Err(error), None, None);
        error_response(error)
    }
}

/// The address the connection comes from: axum's `ConnectInfo` (or `MockConnectInfo`, as
/// axum's extractor reads it), or a plain `SocketAddr` another server put in the request's
/// extensions.
fn peer(extensions: &http::Extensions) -> Option<SocketAddr> {
    #[cfg(feature = "axum")]
    {
        use axum::extract::ConnectInfo;
        use axum::extract::connect_info::MockConnectInfo;
        if let Some(ConnectInfo(addr)) = extensions.get::<ConnectInfo<SocketAddr>>() {
            return Some(*addr);
        }
        if let Some(MockConnectInfo(addr)) = extensions.get::<MockConnectInfo<SocketAddr>>() {
            return Some(*addr);
        }
    }
    extensions.get::<SocketAddr>().copied()
}

/// Reads a body of at most `limit` bytes: a larger `Content-Length` (or size hint) is refused
/// before reading, and reading stops as soon as the bytes received pass the limit
/// ([`Limited`]), so nothing past it is ever buffered (docs/security.md H-13).
async fn read_capped<B>(headers: &HeaderMap, body: B, limit: usize) -> Result<Bytes, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let too_large = Error::PayloadTooLarge { limit };
    for value in headers.get_all(CONTENT_LENGTH) {
        let declared = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or(Error::InvalidRequest {
                reason: "the Content-Length header is invalid",
            })?;
        if declared > limit as u64 {
            return Err(too_large);
        }
    }
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large),
        Err(_) => Err(Error::InvalidRequest {
            reason: "the request body could not be read",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::StreamBody;

    fn stream(chunks: Vec<&'static [u8]>) -> impl Body<Data = Bytes, Error = Infallible> {
        StreamBody::new(futures_util::stream::iter(chunks.into_iter().map(|c| {
            Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(c)))
        })))
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_the_limit_and_no_further() {
        let headers = HeaderMap::new();
        let ok = read_capped(&headers, stream(vec![b"abc", b"def"]), 6).await;
        assert_eq!(ok.expect("fits").as_ref(), b"abcdef");
        let over = read_capped(&headers, stream(vec![b"abc", b"defg"]), 6).await;
        assert!(matches!(over, Err(Error::PayloadTooLarge { limit: 6 })));
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, http::HeaderValue::from(7u64));
        let over = read_capped(&headers, stream(vec![b"a"]), 6).await;
        assert!(matches!(over, Err(Error::PayloadTooLarge { .. })));
        headers.insert(CONTENT_LENGTH, http::HeaderValue::from_static("x"));
        let bad = read_capped(&headers, stream(vec![b"a"]), 6).await;
        assert!(matches!(bad, Err(Error::InvalidRequest { .. })));
    }
}
