//! Who may read the operations details: `/readyz`'s per-issuer view (identity-provider URLs,
//! their last errors) and `/metrics`.
//!
//! A peer on loopback (`127.0.0.0/8`, `::1`) may, and so may a request carrying the configured
//! operations token (`[server] ops_token` or `ops_token_env`) as `Authorization: Bearer`. Any
//! other caller gets `/readyz` as a bare `{"ready": bool}` with the same 200 or 503 (a load
//! balancer needs no more), and `/metrics` refused:
//!
//! | caller | `/readyz` | `/metrics` |
//! | --- | --- | --- |
//! | loopback peer, or the operations token | 200/503, full body | 200 |
//! | remote, no operations token configured | 200/503, `{"ready"}` | 403 `forbidden` |
//! | remote, token configured, none sent | 200/503, `{"ready"}` | 401 `missing_token` |
//! | remote, wrong token | 200/503, `{"ready"}` | 401 `invalid_token` |
//!
//! The peer is the TCP peer the server sees (`ConnectInfo<SocketAddr>`, set by
//! [`Server::serve`](crate::server::Server::serve)); a router served without it treats every
//! caller as remote. A reverse proxy on the same machine makes every client a loopback peer:
//! keep it from forwarding these two paths.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::config::{ConfigError, ServerConfig};

/// The shortest operations token accepted: 32 bytes, as for an HMAC secret (RFC 8725 §3.5),
/// so that it cannot be guessed online.
pub const MIN_TOKEN_LEN: usize = 32;

/// The realm of the challenge `/metrics` answers with.
const REALM: &str = "tambo-auth operations";

/// The access rule of the operations endpoints: loopback peers, or the configured token.
#[derive(Clone)]
pub struct OpsAccess {
    /// SHA-256 of the token: compared in constant time, and `Debug` has nothing to show.
    token: Option<[u8; 32]>,
}

impl std::fmt::Debug for OpsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsAccess")
            .field("token", &self.token.map(|_| "<redacted>"))
            .finish()
    }
}

/// What a request may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The details: a loopback peer or the right token.
    Granted,
    /// Remote, and no operations token is configured.
    LoopbackOnly,
    /// Remote, a token is configured and no bearer token was sent.
    MissingToken,
    /// Remote, and the bearer token sent is not the operations token.
    InvalidToken,
}

impl OpsAccess {
    /// From `[server] ops_token` / `ops_token_env` (at most one; at least
    /// [`MIN_TOKEN_LEN`] bytes).
    pub fn from_config(server: &ServerConfig) -> Result<OpsAccess, ConfigError> {
        let (token, field) = match (&server.ops_token, &server.ops_token_env) {
            (None, None) => return Ok(OpsAccess { token: None }),
            (Some(_), Some(_)) => {
                return Err(ConfigError {
                    field: "server.ops_token".into(),
                    reason: "set ops_token or ops_token_env, not both".into(),
                });
            }
            (Some(token), None) => (token.expose().to_owned(), "server.ops_token"),
            (None, Some(name)) => {
                let token = std::env::var(name).map_err(|_| ConfigError {
                    field: "server.ops_token_env".into(),
                    reason: format!("the environment variable {name} is not set"),
                })?;
                (token, "server.ops_token_env")
            }
        };
        Ok(OpsAccess {
            token: Some(token_digest(&token, field)?),
        })
    }

    /// What a request with `headers`, from the peer in `extensions`, may see.
    pub fn check(&self, headers: &HeaderMap, extensions: &axum::http::Extensions) -> Access {
        if peer(extensions).is_some_and(|addr| addr.ip().to_canonical().is_loopback()) {
            return Access::Granted;
        }
        let Some(expected) = &self.token else {
            return Access::LoopbackOnly;
        };
        match bearer_matches(headers, expected) {
            None => Access::MissingToken,
            Some(true) => Access::Granted,
            Some(false) => Access::InvalidToken,
        }
    }
}

/// The digest a configured bearer token (the operations or the admin token) is checked
/// against: the token needs at least [`MIN_TOKEN_LEN`] visible ASCII characters, as a bearer
/// header carries it (a trailing newline from a secret file would never match). Errors name
/// `field`.
pub(crate) fn token_digest(token: &str, field: &str) -> Result<[u8; 32], ConfigError> {
    if token.len() < MIN_TOKEN_LEN || token.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(ConfigError {
            field: field.into(),
            reason: format!(
                "at least {MIN_TOKEN_LEN} visible ASCII characters: generate one with `openssl rand -hex 32`"
            ),
        });
    }
    Ok(Sha256::digest(token.as_bytes()).into())
}

/// Whether the bearer token of `headers` has the SHA-256 digest `expected` (compared in
/// constant time); `None` without a bearer token. The operations and the admin token are
/// checked this way.
pub(crate) fn bearer_matches(headers: &HeaderMap, expected: &[u8; 32]) -> Option<bool> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())?;
    let sent: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    Some(constant_time_eq(&sent, expected))
}

/// The TCP peer: `ConnectInfo` from the server, or `MockConnectInfo` (tests, embedders).
fn peer(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0))
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold back into an early exit.
    std::hint::black_box(diff) == 0
}

/// The refusal of `/metrics` for `access` (anything but [`Access::Granted`]).
pub fn refusal(access: Access) -> Response {
    let (status, code, message, challenge) = match access {
        Access::Granted | Access::LoopbackOnly => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "the operations endpoints answer loopback peers only; configure server.ops_token to read them from elsewhere",
            None,
        ),
        Access::MissingToken => (
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send the operations token as Authorization: Bearer",
            Some(format!("Bearer realm=\"{REALM}\"")),
        ),
        Access::InvalidToken => (
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the bearer token is not the operations token",
            Some(format!("Bearer realm=\"{REALM}\", error=\"invalid_token\"")),
        ),
    };
    let mut response = (
        status,
        axum::Json(json!({"error": code, "message": message})),
    )
        .into_response();
    if let Some(challenge) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(token: Option<&str>) -> OpsAccess {
        let server = ServerConfig {
            ops_token: token.map(Into::into),
            ..ServerConfig::default()
        };
        OpsAccess::from_config(&server).expect("access")
    }

    fn from(addr: [u8; 4], authorization: Option<&str>, ops: &OpsAccess) -> Access {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.parse().expect("header"));
        }
        let mut extensions = axum::http::Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from((addr, 4000))));
        ops.check(&headers, &extensions)
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn loopback_or_the_token_is_granted_and_nothing_else() {
        let ops = access(Some(TOKEN));
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(from([127, 0, 0, 1], None, &ops), Access::Granted);
        assert_eq!(
            from([127, 3, 2, 1], Some("Bearer x"), &ops),
            Access::Granted
        );
        assert_eq!(from([10, 0, 0, 1], Some(&bearer), &ops), Access::Granted);
        let lower = format!("bearer {TOKEN}");
        assert_eq!(from([10, 0, 0, 1], Some(&lower), &ops), Access::Granted);
        assert_eq!(from([10, 0, 0, 1], None, &ops), Access::MissingToken);
        assert_eq!(
            from([10, 0, 0, 1], Some("Basic dXNlcjpwdw=="), &ops),
            Access::MissingToken
        );
        let wrong = format!("Bearer {TOKEN}x");
        assert_eq!(
            from([10, 0, 0, 1], Some(&wrong), &ops),
            Access::InvalidToken
        );
        let none = access(None);
        assert_eq!(
            from([10, 0, 0, 1], Some(&bearer), &none),
            Access::LoopbackOnly
        );
        // Without the peer address every caller is remote.
        let headers = HeaderMap::new();
        assert_eq!(
            none.check(&headers, &axum::http::Extensions::new()),
            Access::LoopbackOnly
        );
        assert!(!format!("{ops:?}").contains(TOKEN));
    }

    #[test]
    fn a_short_or_doubly_set_token_is_refused_naming_the_setting() {
        let short = ServerConfig {
            ops_token: Some("short".into()),
            ..ServerConfig::default()
        };
        let err = OpsAccess::from_config(&short).expect_err("short");
        assert_eq!(err.field, "server.ops_token");
        let both = ServerConfig {
            ops_token: Some(TOKEN.into()),
            ops_token_env: Some("TAMBO_AUTH_OPS_TOKEN_UNSET".into()),
            ..ServerConfig::default()
        };
        assert_eq!(
            OpsAccess::from_config(&both).expect_err("both").field,
            "server.ops_token"
        );
        let unset = ServerConfig {
            ops_token_env: Some("TAMBO_AUTH_OPS_TOKEN_SURELY_UNSET".into()),
            ..ServerConfig::default()
        };
        assert_eq!(
            OpsAccess::from_config(&unset).expect_err("unset").field,
            "server.ops_token_env"
        );
    }
}
