//! [`ExchangeError`]: every way an exchange can fail, one variant per RFC 6749 §5.2 code.

use std::sync::Arc;
use std::time::Duration;

/// Why an exchange failed.
///
/// The token endpoint's refusals (RFC 6749 §5.2, RFC 8693 §2.2.2) are one variant per `error`
/// code, each with the server's `error_description`; the two that say "try again later" carry
/// `Retry-After`. Cheap to clone: a session hands one failure to every waiting caller.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// `invalid_request`: the request is malformed, or the subject token is invalid for any
    /// reason (RFC 8693 §2.2.2: expired, forged, from an unknown issuer…).
    #[error("invalid_request: {}", describe(.description))]
    InvalidRequest {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// `invalid_client`: the API key is missing or unknown.
    #[error("invalid_client: {}", describe(.description))]
    InvalidClient {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// `invalid_grant`: the grant was refused (other servers use it for a bad subject token).
    #[error("invalid_grant: {}", describe(.description))]
    InvalidGrant {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// `invalid_scope`: none of the requested scopes can be granted to this user.
    #[error("invalid_scope: {}", describe(.description))]
    InvalidScope {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// `invalid_target`: the requested audience or resource is not allowed.
    #[error("invalid_target: {}", describe(.description))]
    InvalidTarget {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// `unsupported_grant_type`: the server does not do token exchange.
    #[error("unsupported_grant_type: {}", describe(.description))]
    UnsupportedGrantType {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// `temporarily_unavailable` (503): the server cannot check the token now, typically
    /// because the identity provider's keys are unreachable.
    #[error("temporarily_unavailable: {}", describe(.description))]
    TemporarilyUnavailable {
        /// The server's `error_description`.
        description: Option<String>,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// `slow_down` (429): over the server's rate limit.
    #[error("slow_down: {}", describe(.description))]
    SlowDown {
        /// The server's `error_description`.
        description: Option<String>,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// Another `error` code.
    #[error("{code} (HTTP {status}): {}", describe(.description))]
    Other {
        /// The HTTP status.
        status: u16,
        /// The `error` code.
        code: String,
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// An answer that is neither a token nor an RFC 6749 error (a proxy's HTML page, a 5xx).
    #[error("the token endpoint answered HTTP {status} without a token or an OAuth error")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// `Retry-After`, when the answer carried one.
        retry_after: Option<Duration>,
    },
    /// The token endpoint could not be reached, or its answer not read.
    #[error("the token endpoint could not be reached: {0}")]
    Transport(Arc<reqwest::Error>),
    /// The [`UserTokenSource`](crate::UserTokenSource) gave no provider token.
    #[error("no identity provider token: {0}")]
    UserToken(Arc<dyn std::error::Error + Send + Sync>),
    /// The client is misconfigured (an endpoint that is not a URL, an API key that cannot be a
    /// header).
    #[error("configuration: {0}")]
    Configuration(String),
}

fn describe(description: &Option<String>) -> &str {
    description.as_deref().unwrap_or("no description")
}

impl ExchangeError {
    /// The wait the server asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ExchangeError::TemporarilyUnavailable { retry_after, .. }
            | ExchangeError::SlowDown { retry_after, .. }
            | ExchangeError::UnexpectedResponse { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying again later may succeed with the same configuration: outages, rate
    /// limits, transport failures, server errors and a refused subject token (the session
    /// asks its source for a fresh one). A bad API key, scope or target will not fix itself.
    pub fn is_transient(&self) -> bool {
        match self {
            ExchangeError::InvalidClient { .. }
            | ExchangeError::InvalidScope { .. }
            | ExchangeError::InvalidTarget { .. }
            | ExchangeError::UnsupportedGrantType { .. }
            | ExchangeError::Configuration(_) => false,
            ExchangeError::Other { status, .. } => *status >= 500,
            _ => true,
        }
    }

    /// The error for an RFC 6749 §5.2 body with `code`.
    pub(crate) fn from_code(
        status: u16,
        code: &str,
        description: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        match code {
            "invalid_request" => ExchangeError::InvalidRequest { description },
            "invalid_client" => ExchangeError::InvalidClient { description },
            "invalid_grant" => ExchangeError::InvalidGrant { description },
            "invalid_scope" => ExchangeError::InvalidScope { description },
            "invalid_target" => ExchangeError::InvalidTarget { description },
            "unsupported_grant_type" => ExchangeError::UnsupportedGrantType { description },
            "temporarily_unavailable" => ExchangeError::TemporarilyUnavailable {
                description,
                retry_after,
            },
            "slow_down" => ExchangeError::SlowDown {
                description,
                retry_after,
            },
            other => ExchangeError::Other {
                status,
                code: other.to_owned(),
                description,
            },
        }
    }
}
