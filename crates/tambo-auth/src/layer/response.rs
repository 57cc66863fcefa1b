//! Refusals as responses: RFC 6750 challenges for HTTP, `grpc-status` for gRPC. Every status
//! comes from the error table ([`ErrorKind`]).

use std::fmt;
use std::sync::Arc;

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::{Error, ErrorKind};

/// The `realm` of `WWW-Authenticate` challenges: printable ASCII without quotes or
/// backslashes, so it always fits the quoted parameter (RFC 9110 §11.2).
///
/// ```
/// use tambo_auth::layer::Realm;
///
/// assert_eq!(Realm::default().as_str(), "tambo");
/// assert!(Realm::new("acme api").is_ok());
/// assert!(Realm::new("acme\"api").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Realm(Arc<str>);

impl Realm {
    /// A realm, refused (naming `realm`) when empty or holding a quote, a backslash or a
    /// character outside printable ASCII.
    pub fn new(realm: impl AsRef<str>) -> Result<Realm, Error> {
        let realm = realm.as_ref();
        if !quotable(realm) {
            return Err(Error::config(
                "realm",
                "printable ASCII without quotes or backslashes",
            ));
        }
        Ok(Realm(Arc::from(realm)))
    }

    /// The realm.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Realm {
    fn default() -> Self {
        Realm(Arc::from("tambo"))
    }
}

impl fmt::Debug for Realm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// Shapes the body of an HTTP refusal: given the error and the response the layer prepared
/// (status, `WWW-Authenticate`, `Retry-After`), it returns the response with a body, for
/// example an RFC 9457 `application/problem+json` document. Keep the status and headers: they
/// are what RFC 6750 clients read. gRPC refusals never reach it.
///
/// Implemented for [`EmptyBody`] (the default) and for closures:
///
/// ```
/// use axum::body::Body;
/// use http::{HeaderValue, Response, header::CONTENT_TYPE};
/// use tambo_auth::Error;
/// use tambo_auth::layer::TamboAuthLayer;
/// # use tambo_auth::token::{SigningKey, TamboTokens};
/// # let tokens = TamboTokens::builder("https://auth.example.com")
/// #     .signing_key(SigningKey::generate(tambo_auth::Algorithm::EdDSA).unwrap()).build().unwrap();
///
/// let problem = |error: &Error, response: Response<()>| {
///     let status = response.status().as_u16();
///     let mut response = response.map(|()| {
///         Body::from(
///             serde_json::json!({
///                 "type": "about:blank",
///                 "status": status,
///                 "title": error.kind().public_description(),
///             })
///             .to_string(),
///         )
///     });
///     response.headers_mut().insert(
///         CONTENT_TYPE,
///         HeaderValue::from_static("application/problem+json"),
///     );
///     response
/// };
/// let layer = TamboAuthLayer::builder(tokens).refusal_body(problem).build()?;
/// let app: axum::Router = axum::Router::new().layer(layer);
/// # Ok::<(), Error>(())
/// ```
pub trait RefusalBody<B>: Clone + Send + Sync + 'static {
    /// The refusal of `error`, with a body.
    fn body(&self, error: &Error, response: Response<()>) -> Response<B>;
}

/// Refusals with an empty body (`B::default()`), as RFC 6750 describes them.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyBody;

impl<B: Default> RefusalBody<B> for EmptyBody {
    fn body(&self, _: &Error, response: Response<()>) -> Response<B> {
        response.map(|()| B::default())
    }
}

impl<B, F> RefusalBody<B> for F
where
    F: Fn(&Error, Response<()>) -> Response<B> + Clone + Send + Sync + 'static,
{
    fn body(&self, error: &Error, response: Response<()>) -> Response<B> {
        self(error, response)
    }
}

/// Whether a request is gRPC (`content-type: application/grpc…`).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

/// The `WWW-Authenticate` value for `error` (RFC 6750 §3): a bare challenge when no
/// credentials were sent, else `error` and `error_description` (and `scope` for 403).
pub(crate) fn challenge(realm: &Realm, error: &Error) -> Option<HeaderValue> {
    let kind = error.kind();
    if !matches!(kind.bearer_status(), 400 | 401 | 403) {
        return None;
    }
    let mut value = format!("Bearer realm=\"{}\"", realm.as_str());
    if let Some(code) = kind.bearer_error() {
        value.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            kind.public_description()
        ));
    }
    if let Error::InsufficientScope { scope } = error
        && quotable(scope)
    {
        value.push_str(&format!(", scope=\"{scope}\""));
    }
    HeaderValue::from_str(&value).ok()
}

/// The response for a refused request: trailers-only for gRPC, else the bearer status with
/// its challenge, its body shaped by `body`.
pub(crate) fn refusal<B: Default>(
    realm: &Realm,
    error: &Error,
    grpc: bool,
    body: &impl RefusalBody<B>,
) -> Response<B> {
    let kind = error.kind();
    if grpc {
        // A Trailers-Only gRPC response: HTTP 200 with the status in the headers.
        let mut response = Response::new(B::default());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("grpc-status", HeaderValue::from(kind.grpc_code()));
        if let Ok(message) = HeaderValue::from_str(&percent_encode(kind.public_description())) {
            headers.insert("grpc-message", message);
        }
        return response;
    }
    let mut response = Response::new(());
    *response.status_mut() =
        StatusCode::from_u16(kind.bearer_status()).unwrap_or(StatusCode::UNAUTHORIZED);
    if let Some(value) = challenge(realm, error) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    if let Some(retry_after) = error.retry_after() {
        let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    } else if kind == ErrorKind::KeysUnavailable {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(5u64));
    }
    body.body(error, response)
}

/// gRPC's percent-encoding of `grpc-message` (space and non-printable bytes).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `text` may appear inside a quoted challenge parameter.
fn quotable(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}
