//! Refusals as responses: RFC 6750 challenges for HTTP, `grpc-status` for gRPC. Every status
//! comes from the error table ([`ErrorKind`]).

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::{Error, ErrorKind};

/// Whether a request is gRPC (`content-type: application/grpc…`).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

/// The `WWW-Authenticate` value for `error` (RFC 6750 §3): a bare challenge when no
/// credentials were sent, else `error` and `error_description` (and `scope` for 403).
pub(crate) fn challenge(realm: &str, error: &Error) -> Option<String> {
    let kind = error.kind();
    if !matches!(kind.bearer_status(), 400 | 401 | 403) {
        return None;
    }
    let mut value = format!("Bearer realm=\"{realm}\"");
    if let Some(code) = kind.bearer_error() {
        value.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            kind.public_description()
        ));
    }
    if let Error::InsufficientScope { scope } = error
        && !scope.is_empty()
        && valid_realm(scope)
    {
        value.push_str(&format!(", scope=\"{scope}\""));
    }
    Some(value)
}

/// The response for a refused request.
pub(crate) fn refusal<B: Default>(realm: &str, error: &Error, grpc: bool) -> Response<B> {
    let kind = error.kind();
    let mut response = Response::new(B::default());
    if grpc {
        // A Trailers-Only gRPC response: HTTP 200 with the status in the headers.
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("grpc-status", HeaderValue::from(kind.grpc_code()));
        if let Ok(message) = HeaderValue::from_str(&percent_encode(kind.public_description())) {
            headers.insert("grpc-message", message);
        }
        return response;
    }
    *response.status_mut() =
        StatusCode::from_u16(kind.bearer_status()).unwrap_or(StatusCode::UNAUTHORIZED);
    if let Some(value) = challenge(realm, error).and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    if kind == ErrorKind::KeysUnavailable {
        let secs = error
            .retry_after()
            .map_or(5, |d| d.as_secs_f64().ceil().max(1.0) as u64);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
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

/// Whether `realm` may appear inside a quoted challenge parameter.
pub(crate) fn valid_realm(realm: &str) -> bool {
    !realm.is_empty()
        && realm
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}
