//! [`ExchangeClient`]: one RFC 8693 token exchange at `POST /oauth/token`.

use std::fmt;
use std::time::Duration;

use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use crate::ExchangeError;

/// The grant type of RFC 8693.
pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// What the subject token is (RFC 8693 §3). A Tambo server verifies each the same way; the
/// type only says what the client holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectTokenType {
    /// `urn:ietf:params:oauth:token-type:access_token` (the default, as Tambo's SDK sends).
    #[default]
    AccessToken,
    /// `urn:ietf:params:oauth:token-type:id_token`.
    IdToken,
    /// `urn:ietf:params:oauth:token-type:jwt`.
    Jwt,
}

impl SubjectTokenType {
    /// The URN.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectTokenType::AccessToken => "urn:ietf:params:oauth:token-type:access_token",
            SubjectTokenType::IdToken => "urn:ietf:params:oauth:token-type:id_token",
            SubjectTokenType::Jwt => "urn:ietf:params:oauth:token-type:jwt",
        }
    }
}

/// The optional parameters of an exchange: what the Tambo token is for. The subject token
/// itself is given to [`ExchangeClient::exchange`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExchangeRequest {
    /// `subject_token_type`.
    pub subject_token_type: SubjectTokenType,
    /// `audience`: the API the token is for, when the project allows more than one.
    pub audience: Option<String>,
    /// `resource` (RFC 8707), an absolute URI; the same role as `audience`.
    pub resource: Option<String>,
    /// `scope`, space-delimited; the server may grant fewer (the answer says which).
    pub scope: Option<String>,
}

impl ExchangeRequest {
    /// With this `scope` (space-delimited).
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// With this `audience`.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// With this `subject_token_type`.
    #[must_use]
    pub fn subject_token_type(mut self, kind: SubjectTokenType) -> Self {
        self.subject_token_type = kind;
        self
    }
}

/// A Tambo token. `Debug` and `Display` never show it; [`secret`](Self::secret) does.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The token, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// A successful exchange (RFC 8693 §2.2.1).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Exchanged {
    /// The Tambo token.
    pub access_token: AccessToken,
    /// `issued_token_type`.
    pub issued_token_type: String,
    /// How long the token lives from the answer (`expires_in`).
    pub expires_in: Duration,
    /// The granted scope, when the server named it (it may be narrower than requested).
    pub scope: Option<String>,
}

#[derive(Deserialize)]
struct SuccessBody {
    access_token: String,
    issued_token_type: String,
    token_type: String,
    expires_in: u64,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Exchanges identity-provider tokens for Tambo tokens at one token endpoint, as one project
/// (its API key). Cheap to clone; one `reqwest::Client` underneath.
///
/// ```no_run
/// use tambo_auth_client::{ExchangeClient, ExchangeRequest};
///
/// # async fn demo(provider_token: &str) -> Result<(), tambo_auth_client::ExchangeError> {
/// let client = ExchangeClient::new("https://api.example.com/oauth/token", "tambo_pk_…")?;
/// let answer = client.exchange(provider_token, &ExchangeRequest::default()).await?;
/// println!("good for {:?}", answer.expires_in);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ExchangeClient {
    http: reqwest::Client,
    endpoint: Url,
    api_key: HeaderValue,
}

impl fmt::Debug for ExchangeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeClient")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

impl ExchangeClient {
    /// A client of the token endpoint at `endpoint` (`https://…/oauth/token`) for the project
    /// whose API key is `api_key`.
    pub fn new(endpoint: &str, api_key: &str) -> Result<Self, ExchangeError> {
        Self::with_http(reqwest::Client::new(), endpoint, api_key)
    }

    /// [`new`](Self::new) on your own `reqwest::Client` (timeouts, TLS roots, proxy).
    pub fn with_http(
        http: reqwest::Client,
        endpoint: &str,
        api_key: &str,
    ) -> Result<Self, ExchangeError> {
        let endpoint = Url::parse(endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                ExchangeError::Configuration(format!(
                    "{endpoint:?} is not an http(s) URL like https://api.example.com/oauth/token"
                ))
            })?;
        let mut api_key = HeaderValue::from_str(api_key).map_err(|_| {
            ExchangeError::Configuration("the API key cannot be sent as a header".into())
        })?;
        api_key.set_sensitive(true);
        Ok(Self {
            http,
            endpoint,
            api_key,
        })
    }

    /// The token endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Exchanges `subject_token`, a token of the user's identity provider.
    pub async fn exchange(
        &self,
        subject_token: &str,
        request: &ExchangeRequest,
    ) -> Result<Exchanged, ExchangeError> {
        let body = form(subject_token, request);
        let response = self
            .http
            .post(self.endpoint.clone())
            .header("x-api-key", self.api_key.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(transport)?;
        read_answer(status, retry_after, &body)
    }
}

/// The form body of an exchange.
fn form(subject_token: &str, request: &ExchangeRequest) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", GRANT_TYPE_TOKEN_EXCHANGE)
        .append_pair("subject_token", subject_token)
        .append_pair("subject_token_type", request.subject_token_type.as_str());
    for (name, value) in [
        ("audience", &request.audience),
        ("resource", &request.resource),
        ("scope", &request.scope),
    ] {
        if let Some(value) = value {
            form.append_pair(name, value);
        }
    }
    form.finish()
}

fn transport(error: reqwest::Error) -> ExchangeError {
    // reqwest names the URL, never the form body (the subject token) in its errors.
    ExchangeError::Transport(std::sync::Arc::new(error.without_url()))
}

/// `Retry-After` as delay-seconds (the form Tambo servers send).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// The token or the typed error in an answer of the token endpoint.
fn read_answer(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Exchanged, ExchangeError> {
    if status == 200 {
        let success: SuccessBody =
            serde_json::from_slice(body).map_err(|_| ExchangeError::UnexpectedResponse {
                status,
                retry_after,
            })?;
        if !success.token_type.eq_ignore_ascii_case("bearer") {
            return Err(ExchangeError::UnexpectedResponse {
                status,
                retry_after,
            });
        }
        return Ok(Exchanged {
            access_token: AccessToken(success.access_token),
            issued_token_type: success.issued_token_type,
            expires_in: Duration::from_secs(success.expires_in),
            scope: success.scope,
        });
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) => Err(ExchangeError::from_code(
            status,
            &error.error,
            error.error_description,
            retry_after,
        )),
        Err(_) => Err(ExchangeError::UnexpectedResponse {
            status,
            retry_after,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rfc_6749_code_reads_as_its_own_error() {
        let refused = |status: u16, code: &str| {
            let body = format!(r#"{{"error":"{code}","error_description":"why"}}"#);
            read_answer(status, Some(Duration::from_secs(7)), body.as_bytes())
                .expect_err("an error body")
        };
        let why = Some("why".to_owned());
        assert!(matches!(refused(400, "invalid_request"),
            ExchangeError::InvalidRequest { description } if description == why));
        assert!(matches!(
            refused(401, "invalid_client"),
            ExchangeError::InvalidClient { .. }
        ));
        assert!(matches!(
            refused(400, "invalid_grant"),
            ExchangeError::InvalidGrant { .. }
        ));
        assert!(matches!(
            refused(400, "invalid_scope"),
            ExchangeError::InvalidScope { .. }
        ));
        assert!(matches!(
            refused(400, "invalid_target"),
            ExchangeError::InvalidTarget { .. }
        ));
        assert!(matches!(
            refused(400, "unsupported_grant_type"),
            ExchangeError::UnsupportedGrantType { .. }
        ));
        let unavailable = refused(503, "temporarily_unavailable");
        assert!(matches!(
            unavailable,
            ExchangeError::TemporarilyUnavailable { .. }
        ));
        assert_eq!(unavailable.retry_after(), Some(Duration::from_secs(7)));
        let slow = refused(429, "slow_down");
        assert!(matches!(slow, ExchangeError::SlowDown { .. }));
        assert_eq!(slow.retry_after(), Some(Duration::from_secs(7)));
        assert!(matches!(refused(400, "access_denied"),
            ExchangeError::Other { status: 400, code, .. } if code == "access_denied"));
        // Not an OAuth body: a proxy's page.
        let page = read_answer(502, None, b"<html>bad gateway</html>").expect_err("not OAuth");
        assert!(matches!(
            page,
            ExchangeError::UnexpectedResponse { status: 502, .. }
        ));
        // A 200 that is no token, or not a bearer token.
        assert!(read_answer(200, None, b"{}").is_err());
        let mac =
            br#"{"access_token":"t","issued_token_type":"x","token_type":"MAC","expires_in":60}"#;
        assert!(read_answer(200, None, mac).is_err());
    }

    #[test]
    fn only_http_urls_and_header_safe_keys_configure_a_client() {
        assert!(ExchangeClient::new("https://api.example.com/oauth/token", "tambo_pk_1").is_ok());
        for endpoint in [
            "api.example.com/oauth/token",
            "ftp://x/oauth/token",
            "file:///etc/passwd",
        ] {
            assert!(matches!(
                ExchangeClient::new(endpoint, "k"),
                Err(ExchangeError::Configuration(_))
            ));
        }
        assert!(ExchangeClient::new("https://api.example.com/oauth/token", "bad\nkey").is_err());
        let token = AccessToken("secret-token".into());
        assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
    }
}
