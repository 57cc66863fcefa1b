//! Answers of the endpoint: the RFC 8693 §2.2.1 success body, RFC 6749 §5.2 error bodies, and
//! the headers every answer carries. Every status comes from the error table.

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind};

/// A successful exchange (RFC 8693 §2.2.1).
///
/// Serializes to `{"access_token", "issued_token_type", "token_type": "Bearer",
/// "expires_in"[, "scope"]}`. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The Tambo token (a JWT access token, RFC 9068).
    pub access_token: String,
    /// Always `urn:ietf:params:oauth:token-type:access_token`.
    pub issued_token_type: String,
    /// Always `Bearer` (RFC 6750).
    pub token_type: String,
    /// Seconds until the token expires: `min(ttl, subject exp)` unless the clamp is lifted.
    pub expires_in: u64,
    /// The granted scope (space-delimited), when a scope was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("issued_token_type", &self.issued_token_type)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

impl TokenResponse {
    pub(crate) fn new(access_token: String, expires_in: u64, scope: Option<String>) -> Self {
        Self {
            access_token,
            issued_token_type: super::TOKEN_TYPE_ACCESS_TOKEN.to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in,
            scope,
        }
    }

    /// This answer as the endpoint sends it: 200, JSON, `Cache-Control: no-store`,
    /// `Pragma: no-cache` (RFC 6749 §5.1).
    pub fn to_response(&self) -> Response<Full<Bytes>> {
        // Serializing strings and an integer cannot fail.
        let body = serde_json::to_vec(self).unwrap_or_default();
        token_endpoint_response(StatusCode::OK, body)
    }
}

/// The endpoint's answer for `error`: the status of the error table, an RFC 6749 §5.2 body
/// `{"error", "error_description"}`, `Cache-Control: no-store`, `Pragma: no-cache`, plus
/// `Retry-After` (seconds, at least 1) for unavailable keys and `Allow: POST` for 405.
///
/// `error_description` is the kind's [public description](ErrorKind::public_description),
/// or, for [`Error::InvalidRequest`] and [`Error::InvalidClient`], their `reason` — a
/// `&'static str` written in this crate, so never input — when it stays in the RFC 6749 §5.2
/// character set. A 401 `invalid_client` carries no `WWW-Authenticate`: the client
/// authenticates with `x-api-key`, not with the `Authorization` header, and RFC 6749 §5.2 asks
/// for a challenge only in that case.
///
/// ```
/// use tambo_auth::Error;
/// use tambo_auth::exchange::error_response;
///
/// let response = error_response(&Error::UnsupportedGrantType);
/// assert_eq!(response.status(), 400);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// ```
pub fn error_response(error: &Error) -> Response<Full<Bytes>> {
    let kind = error.kind();
    let body = serde_json::json!({
        "error": kind.oauth_error(),
        "error_description": description(error),
    });
    let status =
        StatusCode::from_u16(kind.exchange_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = token_endpoint_response(status, body.to_string().into_bytes());
    let headers = response.headers_mut();
    if let Some(wait) = error.retry_after() {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        headers.insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    if kind == ErrorKind::MethodNotAllowed {
        headers.insert(ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// The `error_description` for `error` (see [`error_response`]).
pub(crate) fn description(error: &Error) -> &'static str {
    let reason = match error {
        Error::InvalidRequest { reason }
        | Error::InvalidClient { reason }
        | Error::InvalidScope { reason } => Some(*reason),
        _ => None,
    };
    reason
        .filter(|r| is_description_safe(r))
        .unwrap_or_else(|| error.kind().public_description())
}

/// RFC 6749 §5.2: `error_description` is `%x20-21 / %x23-5B / %x5D-7E`.
fn is_description_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// A JSON answer with the token endpoint's cache headers.
fn token_endpoint_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = json_response(status, body);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A cacheable public JSON document (JWKS, metadata).
pub(crate) fn public_document(value: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = json_response(StatusCode::OK, value.to_string().into_bytes());
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_at_least_one() {
        for (wait, want) in [
            (0, "1"),
            (200, "1"),
            (1000, "1"),
            (1500, "2"),
            (30_000, "30"),
        ] {
            let err = Error::KeysUnavailable {
                issuer: "https://idp.example".into(),
                reason: "down".into(),
                retry_after: Duration::from_millis(wait),
            };
            let response = error_response(&err);
            assert_eq!(response.status(), 503);
            assert_eq!(response.headers()[RETRY_AFTER], want, "{wait} ms");
        }
    }

    #[test]
    fn static_reasons_become_descriptions_only_in_the_rfc_character_set() {
        let ok = Error::InvalidRequest {
            reason: "delegation (actor tokens) is not supported",
        };
        assert_eq!(
            description(&ok),
            "delegation (actor tokens) is not supported"
        );
        let quoted = Error::InvalidRequest {
            reason: "a \"quoted\" reason",
        };
        assert_eq!(
            description(&quoted),
            ErrorKind::InvalidRequest.public_description()
        );
        assert_eq!(
            description(&Error::Expired { expired_at: 1 }),
            "the token has expired"
        );
    }

    #[test]
    fn debug_redacts_the_token() {
        let r = TokenResponse::new("eyJ.secret.sig".into(), 60, None);
        assert!(!format!("{r:?}").contains("secret"));
    }
}
