//! One error type for every failure, and the single table that maps each kind of failure to
//! an HTTP status, an OAuth error code, a bearer challenge and a gRPC code.
//!
//! ```
//! use tambo_auth::{Error, ErrorKind};
//!
//! let err = Error::Expired { expired_at: 1_700_000_000 };
//! assert_eq!(err.kind(), ErrorKind::Expired);
//! assert_eq!(err.kind().code(), "expired");
//! assert_eq!(err.kind().exchange_status(), 400);
//! assert_eq!(err.kind().oauth_error(), "invalid_request");
//! assert_eq!(err.kind().bearer_status(), 401);
//! assert_eq!(err.kind().grpc_code(), 16);
//! ```
//!
//! Nothing in an error ever carries token text, key bytes or secrets: details name claims,
//! header members and limits only. [`ErrorKind::public_description`] is the text safe to send
//! to a client (RFC 6749 §5.2 character set, no input echoed); `Display` is for operators.

use std::time::Duration;

/// Everything that can go wrong while verifying a token or configuring a verifier.
///
/// Match on [`Error::kind`] for behaviour; the variants carry details for logs and tools.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token is larger than the limit (8 KiB by default); nothing was decoded.
    #[error("the token is {len} bytes, over the {limit}-byte limit")]
    TokenTooLarge {
        /// Length of the input in bytes.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input is not a well-formed compact JWS.
    #[error("malformed token: {reason}")]
    Malformed {
        /// What is wrong, in a few words.
        reason: &'static str,
    },
    /// The input is an encrypted token (JWE, five segments), which is never accepted.
    #[error(
        "this is an encrypted token (JWE, five segments), not a signed JWT; {}",
        hint.unwrap_or("send the provider's signed access or ID token")
    )]
    Encrypted {
        /// A provider adapter's explanation of which token to send instead.
        hint: Option<&'static str>,
    },
    /// The input has no JWT structure at all (an opaque access token or session id).
    #[error(
        "this is an opaque token, not a JWT; {}",
        hint.unwrap_or("send the provider's signed JWT")
    )]
    Opaque {
        /// A provider adapter's explanation of which token to send instead.
        hint: Option<&'static str>,
    },
    /// The header announces a nested JWT (`cty: JWT`), which is not supported.
    #[error("nested JWTs (cty: JWT) are not supported")]
    NestedToken,
    /// The header uses a JWS extension we refuse (`crit`, `b64`, `zip`).
    #[error("the header member `{member}` is not supported")]
    UnsupportedHeader {
        /// The header member.
        member: &'static str,
    },
    /// `alg: none` (in any spelling) outside the development `none` strategy.
    #[error("unsigned tokens (alg: none) are refused")]
    AlgorithmNone,
    /// The algorithm is unknown, not on this issuer's allowlist, or does not fit the key.
    #[error("algorithm not allowed: {reason}")]
    AlgorithmNotAllowed {
        /// Why, e.g. "not on this issuer's allowlist".
        reason: &'static str,
    },
    /// No key in the issuer's key set matches the token's `kid`.
    #[error("no key of this issuer matches the token's key id")]
    UnknownKey,
    /// The token names no `kid` (or a duplicated one) and the key set holds several keys.
    #[error("the token does not say which of the issuer's keys signed it")]
    AmbiguousKey,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    InvalidSignature,
    /// The token expired (past `exp` plus leeway).
    #[error("the token expired at {expired_at}")]
    Expired {
        /// The `exp` claim, seconds since the epoch.
        expired_at: i64,
    },
    /// The token is not valid yet (`nbf` beyond now plus leeway).
    #[error("the token is not valid before {not_before}")]
    NotYetValid {
        /// The `nbf` claim, seconds since the epoch.
        not_before: i64,
    },
    /// The token claims to be issued in the future (`iat` beyond now plus leeway).
    #[error("the token was issued in the future ({issued_at})")]
    IssuedInFuture {
        /// The `iat` claim, seconds since the epoch.
        issued_at: i64,
    },
    /// The token is older than the configured maximum age.
    #[error("the token is older than the {max_age:?} maximum age")]
    TooOld {
        /// The maximum age in force.
        max_age: Duration,
    },
    /// The token lives longer than the configured maximum lifetime.
    #[error("the token's lifetime exceeds the {max_lifetime:?} maximum")]
    LifetimeTooLong {
        /// The maximum lifetime in force.
        max_lifetime: Duration,
    },
    /// A required claim is missing.
    #[error("the `{claim}` claim is missing")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// A claim has the wrong type or an impossible value.
    #[error("the `{claim}` claim is invalid: {reason}")]
    InvalidClaim {
        /// The claim name.
        claim: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `iss` is not the configured issuer (compared exactly, code point by code point).
    #[error("the issuer is not the one configured")]
    IssuerMismatch,
    /// No configured provider answers for the token's `iss`.
    #[error("no provider is configured for the token's issuer")]
    UnknownIssuer,
    /// `aud` does not contain a configured audience.
    #[error("the token is not meant for this audience")]
    AudienceMismatch,
    /// The header `typ` is not the one this verifier requires.
    #[error("the token type (typ) is not accepted here: {expected} expected")]
    TypeMismatch {
        /// The type this verifier requires.
        expected: &'static str,
    },
    /// A provider's policy refused an otherwise valid token (Clerk `azp`, Supabase `role`...).
    #[error("refused by the {provider} provider: {reason}")]
    ClaimRejected {
        /// The provider that refused.
        provider: &'static str,
        /// Why, in a sentence that helps the integrator fix it.
        reason: String,
    },
    /// The issuer's keys are not available (identity provider unreachable, discovery
    /// mismatch...). A server condition, answered 503 with `Retry-After`.
    #[error("the keys of issuer {issuer} are not available: {reason}")]
    KeysUnavailable {
        /// The configured issuer.
        issuer: String,
        /// The last failure, for operators.
        reason: String,
        /// When a retry may succeed.
        retry_after: Duration,
    },
    /// The token was revoked (by `jti`, or all of its user's tokens before a time).
    #[error("the token was revoked")]
    Revoked,
    /// The identity provider says an opaque token is not (or no longer) valid: its userinfo
    /// endpoint refused it, or its introspection endpoint answered `active: false`.
    #[error("the {endpoint} endpoint does not accept the token: {reason}")]
    Inactive {
        /// `userinfo` or `introspection`.
        endpoint: &'static str,
        /// What it answered.
        reason: &'static str,
    },
    /// The identity provider's userinfo or introspection endpoint gave no usable answer
    /// (unreachable, timed out, 5xx, refused this server's client credentials, not JSON). A
    /// server condition, answered 503 with `Retry-After`.
    #[error("the {endpoint} endpoint of issuer {issuer} is not available: {reason}")]
    EndpointUnavailable {
        /// The configured issuer.
        issuer: String,
        /// `userinfo` or `introspection`.
        endpoint: &'static str,
        /// The failure, for operators.
        reason: String,
        /// When a retry may succeed.
        retry_after: Duration,
    },
    /// Too many exchanges from this client address, for this project or for this user
    /// ([`RateLimits`](crate::exchange::RateLimits)). Answered 429 with `Retry-After`.
    #[error("rate limited per {limit}; retry in {retry_after:?}")]
    RateLimited {
        /// Which limit: `client`, `project` or `subject`.
        limit: &'static str,
        /// When the next request fits the budget.
        retry_after: Duration,
    },
    /// No bearer credentials were sent (or another scheme, such as `Basic`).
    #[error("no bearer token was sent")]
    MissingCredentials,
    /// The request itself is malformed: a bad `Authorization` header, a missing or repeated
    /// parameter, an unsupported token type.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong, in words safe to send back.
        reason: &'static str,
    },
    /// The token is valid but lacks the scope the resource needs.
    #[error("the token lacks the scope `{scope}`")]
    InsufficientScope {
        /// The scope required.
        scope: String,
    },
    /// The client (project) could not be authenticated: missing or unknown API key.
    #[error("client authentication failed: {reason}")]
    InvalidClient {
        /// Why, safe to send back.
        reason: &'static str,
    },
    /// `grant_type` is not token exchange.
    #[error("only the token-exchange grant type is supported")]
    UnsupportedGrantType,
    /// The requested `audience` or `resource` is not allowed for this client.
    #[error("the requested audience or resource is not allowed")]
    InvalidTarget,
    /// None of the requested scopes may be granted: the project grants none of them, or the
    /// user holds none of them at the identity provider.
    #[error("the requested scope is not allowed: {reason}")]
    InvalidScope {
        /// Why, safe to send back.
        reason: &'static str,
    },
    /// The request body is larger than allowed.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The endpoint does not answer this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A key could not be used (bad encoding, too weak, wrong curve...).
    #[error("unusable key: {reason}")]
    InvalidKey {
        /// Why the key was refused.
        reason: String,
    },
    /// The configuration is invalid; `field` names the offending setting.
    #[error("invalid configuration `{field}`: {reason}")]
    Configuration {
        /// The setting, as named in the configuration file or builder.
        field: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

impl Error {
    /// The kind of failure, which decides status codes and error codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::TokenTooLarge { .. } => ErrorKind::TokenTooLarge,
            Error::Malformed { .. } => ErrorKind::Malformed,
            Error::Encrypted { .. } => ErrorKind::Encrypted,
            Error::Opaque { .. } => ErrorKind::Opaque,
            Error::NestedToken => ErrorKind::NestedToken,
            Error::UnsupportedHeader { .. } => ErrorKind::UnsupportedHeader,
            Error::AlgorithmNone => ErrorKind::AlgorithmNone,
            Error::AlgorithmNotAllowed { .. } => ErrorKind::AlgorithmNotAllowed,
            Error::UnknownKey => ErrorKind::UnknownKey,
            Error::AmbiguousKey => ErrorKind::AmbiguousKey,
            Error::InvalidSignature => ErrorKind::InvalidSignature,
            Error::Expired { .. } => ErrorKind::Expired,
            Error::NotYetValid { .. } => ErrorKind::NotYetValid,
            Error::IssuedInFuture { .. } => ErrorKind::IssuedInFuture,
            Error::TooOld { .. } => ErrorKind::TooOld,
            Error::LifetimeTooLong { .. } => ErrorKind::LifetimeTooLong,
            Error::MissingClaim { .. } => ErrorKind::MissingClaim,
            Error::InvalidClaim { .. } => ErrorKind::InvalidClaim,
            Error::IssuerMismatch => ErrorKind::IssuerMismatch,
            Error::UnknownIssuer => ErrorKind::UnknownIssuer,
            Error::AudienceMismatch => ErrorKind::AudienceMismatch,
            Error::TypeMismatch { .. } => ErrorKind::TypeMismatch,
            Error::ClaimRejected { .. } => ErrorKind::ClaimRejected,
            Error::KeysUnavailable { .. } => ErrorKind::KeysUnavailable,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Revoked => ErrorKind::Revoked,
            Error::Inactive { .. } => ErrorKind::Inactive,
            Error::EndpointUnavailable { .. } => ErrorKind::EndpointUnavailable,
            Error::MissingCredentials => ErrorKind::MissingCredentials,
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Error::InsufficientScope { .. } => ErrorKind::InsufficientScope,
            Error::InvalidClient { .. } => ErrorKind::InvalidClient,
            Error::UnsupportedGrantType => ErrorKind::UnsupportedGrantType,
            Error::InvalidTarget => ErrorKind::InvalidTarget,
            Error::InvalidScope { .. } => ErrorKind::InvalidScope,
            Error::PayloadTooLarge { .. } => ErrorKind::PayloadTooLarge,
            Error::MethodNotAllowed => ErrorKind::MethodNotAllowed,
            Error::InvalidKey { .. } => ErrorKind::InvalidKey,
            Error::Configuration { .. } => ErrorKind::Configuration,
        }
    }

    /// For [`ErrorKind::KeysUnavailable`], [`ErrorKind::EndpointUnavailable`] and
    /// [`ErrorKind::RateLimited`], how long a client
    /// should wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::KeysUnavailable { retry_after, .. }
            | Error::EndpointUnavailable { retry_after, .. }
            | Error::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// A configuration error naming the offending `field` (for adapters' builders).
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Configuration {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A provider's refusal of an otherwise valid token ([`Error::ClaimRejected`]), `reason`
    /// telling the integrator how to fix it.
    pub fn rejected(provider: &'static str, reason: impl Into<String>) -> Self {
        Error::ClaimRejected {
            provider,
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed(reason: &'static str) -> Self {
        Error::Malformed { reason }
    }

    pub(crate) fn invalid_claim(claim: &'static str, reason: &'static str) -> Self {
        Error::InvalidClaim { claim, reason }
    }
}

/// The kind of an [`Error`]: a stable code plus the one table that maps it to every surface.
///
/// | kind | exchange | OAuth `error` | bearer (RFC 6750) | gRPC |
/// | --- | --- | --- | --- | --- |
/// | token problems (every kind not below, `Revoked` included) | 400 | `invalid_request` | 401 `invalid_token` | 16 |
/// | `MissingCredentials` | 401 | `invalid_client` | 401, bare challenge | 16 |
/// | `InvalidRequest` | 400 | `invalid_request` | 400 `invalid_request` | 16 |
/// | `InsufficientScope` | 403 | `invalid_scope` | 403 `insufficient_scope` | 7 |
/// | `InvalidClient` | 401 | `invalid_client` | 401, no `error` | 16 |
/// | `UnsupportedGrantType` | 400 | `unsupported_grant_type` | 400 | 3 |
/// | `InvalidTarget`, `InvalidScope` | 400 | `invalid_target`, `invalid_scope` | 400 | 3 |
/// | `PayloadTooLarge` | 413 | `invalid_request` | 413 | 3 |
/// | `MethodNotAllowed` | 405 | `invalid_request` | 405 | 3 |
/// | `KeysUnavailable`, `EndpointUnavailable` | 503 + `Retry-After` | `temporarily_unavailable` | 503 | 14 |
/// | `RateLimited` | 429 + `Retry-After` | `slow_down` | 429 | 8 |
/// | `InvalidKey`, `Configuration` | 500 | `server_error` | 500 | 13 |
///
/// RFC 6749 has no code for a client that must wait; `slow_down` is RFC 8628's (§3.5).
/// Token problems at the exchange are `invalid_request` as RFC 8693 §2.2.2 requires ("invalid
/// for any reason"), never `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::TokenTooLarge`].
    TokenTooLarge,
    /// See [`Error::Malformed`].
    Malformed,
    /// See [`Error::Encrypted`].
    Encrypted,
    /// See [`Error::Opaque`].
    Opaque,
    /// See [`Error::NestedToken`].
    NestedToken,
    /// See [`Error::UnsupportedHeader`].
    UnsupportedHeader,
    /// See [`Error::AlgorithmNone`].
    AlgorithmNone,
    /// See [`Error::AlgorithmNotAllowed`].
    AlgorithmNotAllowed,
    /// See [`Error::UnknownKey`].
    UnknownKey,
    /// See [`Error::AmbiguousKey`].
    AmbiguousKey,
    /// See [`Error::InvalidSignature`].
    InvalidSignature,
    /// See [`Error::Expired`].
    Expired,
    /// See [`Error::NotYetValid`].
    NotYetValid,
    /// See [`Error::IssuedInFuture`].
    IssuedInFuture,
    /// See [`Error::TooOld`].
    TooOld,
    /// See [`Error::LifetimeTooLong`].
    LifetimeTooLong,
    /// See [`Error::MissingClaim`].
    MissingClaim,
    /// See [`Error::InvalidClaim`].
    InvalidClaim,
    /// See [`Error::IssuerMismatch`].
    IssuerMismatch,
    /// See [`Error::UnknownIssuer`].
    UnknownIssuer,
    /// See [`Error::AudienceMismatch`].
    AudienceMismatch,
    /// See [`Error::TypeMismatch`].
    TypeMismatch,
    /// See [`Error::ClaimRejected`].
    ClaimRejected,
    /// See [`Error::KeysUnavailable`].
    KeysUnavailable,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::Revoked`].
    Revoked,
    /// See [`Error::Inactive`].
    Inactive,
    /// See [`Error::EndpointUnavailable`].
    EndpointUnavailable,
    /// See [`Error::MissingCredentials`].
    MissingCredentials,
    /// See [`Error::InvalidRequest`].
    InvalidRequest,
    /// See [`Error::InsufficientScope`].
    InsufficientScope,
    /// See [`Error::InvalidClient`].
    InvalidClient,
    /// See [`Error::UnsupportedGrantType`].
    UnsupportedGrantType,
    /// See [`Error::InvalidTarget`].
    InvalidTarget,
    /// See [`Error::InvalidScope`].
    InvalidScope,
    /// See [`Error::PayloadTooLarge`].
    PayloadTooLarge,
    /// See [`Error::MethodNotAllowed`].
    MethodNotAllowed,
    /// See [`Error::InvalidKey`].
    InvalidKey,
    /// See [`Error::Configuration`].
    Configuration,
}

/// One row of the table: every surface's answer for a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    exchange_status: u16,
    oauth_error: &'static str,
    bearer_status: u16,
    bearer_error: Option<&'static str>,
    grpc_code: i32,
}

const fn row(
    exchange_status: u16,
    oauth_error: &'static str,
    bearer_status: u16,
    bearer_error: Option<&'static str>,
    grpc_code: i32,
) -> Row {
    Row {
        exchange_status,
        oauth_error,
        bearer_status,
        bearer_error,
        grpc_code,
    }
}

/// gRPC codes used here.
const UNAUTHENTICATED: i32 = 16;
const PERMISSION_DENIED: i32 = 7;
const RESOURCE_EXHAUSTED: i32 = 8;
const UNAVAILABLE: i32 = 14;
const INTERNAL: i32 = 13;
const INVALID_ARGUMENT: i32 = 3;

const BAD_TOKEN: Row = row(
    400,
    "invalid_request",
    401,
    Some("invalid_token"),
    UNAUTHENTICATED,
);

impl ErrorKind {
    /// Every kind, in declaration order (for table tests and documentation).
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::TokenTooLarge,
        ErrorKind::Malformed,
        ErrorKind::Encrypted,
        ErrorKind::Opaque,
        ErrorKind::NestedToken,
        ErrorKind::UnsupportedHeader,
        ErrorKind::AlgorithmNone,
        ErrorKind::AlgorithmNotAllowed,
        ErrorKind::UnknownKey,
        ErrorKind::AmbiguousKey,
        ErrorKind::InvalidSignature,
        ErrorKind::Expired,
        ErrorKind::NotYetValid,
        ErrorKind::IssuedInFuture,
        ErrorKind::TooOld,
        ErrorKind::LifetimeTooLong,
        ErrorKind::MissingClaim,
        ErrorKind::InvalidClaim,
        ErrorKind::IssuerMismatch,
        ErrorKind::UnknownIssuer,
        ErrorKind::AudienceMismatch,
        ErrorKind::TypeMismatch,
        ErrorKind::ClaimRejected,
        ErrorKind::KeysUnavailable,
        ErrorKind::RateLimited,
        ErrorKind::Revoked,
        ErrorKind::Inactive,
        ErrorKind::EndpointUnavailable,
        ErrorKind::MissingCredentials,
        ErrorKind::InvalidRequest,
        ErrorKind::InsufficientScope,
        ErrorKind::InvalidClient,
        ErrorKind::UnsupportedGrantType,
        ErrorKind::InvalidTarget,
        ErrorKind::InvalidScope,
        ErrorKind::PayloadTooLarge,
        ErrorKind::MethodNotAllowed,
        ErrorKind::InvalidKey,
        ErrorKind::Configuration,
    ];

    /// A stable snake_case code, used by the CLI, logs and metrics labels.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::TokenTooLarge => "token_too_large",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Encrypted => "encrypted_token",
            ErrorKind::Opaque => "opaque_token",
            ErrorKind::NestedToken => "nested_token",
            ErrorKind::UnsupportedHeader => "unsupported_header",
            ErrorKind::AlgorithmNone => "alg_none",
            ErrorKind::AlgorithmNotAllowed => "algorithm_not_allowed",
            ErrorKind::UnknownKey => "unknown_key",
            ErrorKind::AmbiguousKey => "ambiguous_key",
            ErrorKind::InvalidSignature => "invalid_signature",
            ErrorKind::Expired => "expired",
            ErrorKind::NotYetValid => "not_yet_valid",
            ErrorKind::IssuedInFuture => "issued_in_future",
            ErrorKind::TooOld => "too_old",
            ErrorKind::LifetimeTooLong => "lifetime_too_long",
            ErrorKind::MissingClaim => "missing_claim",
            ErrorKind::InvalidClaim => "invalid_claim",
            ErrorKind::IssuerMismatch => "issuer_mismatch",
            ErrorKind::UnknownIssuer => "unknown_issuer",
            ErrorKind::AudienceMismatch => "audience_mismatch",
            ErrorKind::TypeMismatch => "type_mismatch",
            ErrorKind::ClaimRejected => "claim_rejected",
            ErrorKind::KeysUnavailable => "keys_unavailable",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Revoked => "revoked",
            ErrorKind::Inactive => "inactive_token",
            ErrorKind::EndpointUnavailable => "endpoint_unavailable",
            ErrorKind::MissingCredentials => "missing_credentials",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::InsufficientScope => "insufficient_scope",
            ErrorKind::InvalidClient => "invalid_client",
            ErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            ErrorKind::InvalidTarget => "invalid_target",
            ErrorKind::InvalidScope => "invalid_scope",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::Configuration => "configuration",
        }
    }

    /// Text safe to send to a client as `error_description`: ASCII without `"` or `\`
    /// (RFC 6749 §5.2), never derived from the input.
    ///
    /// A bad signature and an unknown key read the same, so the answer is no oracle for
    /// which key ids exist (docs/security.md A-38).
    pub fn public_description(self) -> &'static str {
        match self {
            ErrorKind::TokenTooLarge => "the token is too large",
            ErrorKind::Malformed => "the token is not a well-formed signed JWT",
            ErrorKind::Encrypted => {
                "encrypted tokens (JWE) are not accepted; send the signed access or ID token"
            }
            ErrorKind::Opaque => "opaque tokens are not accepted; send the signed JWT",
            ErrorKind::NestedToken => "nested tokens are not accepted",
            ErrorKind::UnsupportedHeader => "the token header uses an unsupported extension",
            ErrorKind::AlgorithmNone => "unsigned tokens are not accepted",
            ErrorKind::AlgorithmNotAllowed => "the token algorithm is not accepted",
            ErrorKind::UnknownKey | ErrorKind::AmbiguousKey | ErrorKind::InvalidSignature => {
                "the token signature could not be verified"
            }
            ErrorKind::Expired => "the token has expired",
            ErrorKind::NotYetValid => "the token is not valid yet",
            ErrorKind::IssuedInFuture => "the token was issued in the future",
            ErrorKind::TooOld => "the token is too old",
            ErrorKind::LifetimeTooLong => "the token lifetime is too long",
            ErrorKind::MissingClaim => "the token lacks a required claim",
            ErrorKind::InvalidClaim => "the token has an invalid claim",
            ErrorKind::IssuerMismatch | ErrorKind::UnknownIssuer => {
                "the token issuer is not accepted"
            }
            ErrorKind::AudienceMismatch => "the token is not meant for this audience",
            ErrorKind::TypeMismatch => "the token type is not accepted",
            ErrorKind::ClaimRejected => "the token was refused by policy",
            ErrorKind::KeysUnavailable => "the identity provider keys are unavailable",
            ErrorKind::RateLimited => "too many requests; retry after the time Retry-After gives",
            ErrorKind::Revoked => "the token was revoked",
            ErrorKind::Inactive => "the identity provider does not accept the token",
            ErrorKind::EndpointUnavailable => "the identity provider is unavailable",
            ErrorKind::MissingCredentials => "a bearer token is required",
            ErrorKind::InvalidRequest => "the request is malformed",
            ErrorKind::InsufficientScope => "the token lacks the required scope",
            ErrorKind::InvalidClient => "client authentication failed",
            ErrorKind::UnsupportedGrantType => "only the token-exchange grant type is supported",
            ErrorKind::InvalidTarget => "the requested audience or resource is not allowed",
            ErrorKind::InvalidScope => "the requested scope is not allowed",
            ErrorKind::PayloadTooLarge => "the request body is too large",
            ErrorKind::MethodNotAllowed => "method not allowed",
            ErrorKind::InvalidKey | ErrorKind::Configuration => "internal configuration error",
        }
    }

    /// The table. Every surface reads it; nothing else decides a status.
    fn row(self) -> Row {
        match self {
            ErrorKind::KeysUnavailable | ErrorKind::EndpointUnavailable => {
                row(503, "temporarily_unavailable", 503, None, UNAVAILABLE)
            }
            ErrorKind::RateLimited => row(429, "slow_down", 429, None, RESOURCE_EXHAUSTED),
            ErrorKind::MissingCredentials => row(401, "invalid_client", 401, None, UNAUTHENTICATED),
            ErrorKind::InvalidRequest => row(
                400,
                "invalid_request",
                400,
                Some("invalid_request"),
                UNAUTHENTICATED,
            ),
            ErrorKind::InsufficientScope => row(
                403,
                "invalid_scope",
                403,
                Some("insufficient_scope"),
                PERMISSION_DENIED,
            ),
            ErrorKind::InvalidClient => row(401, "invalid_client", 401, None, UNAUTHENTICATED),
            ErrorKind::UnsupportedGrantType => row(
                400,
                "unsupported_grant_type",
                400,
                Some("invalid_request"),
                INVALID_ARGUMENT,
            ),
            ErrorKind::InvalidTarget => row(
                400,
                "invalid_target",
                400,
                Some("invalid_request"),
                INVALID_ARGUMENT,
            ),
            ErrorKind::InvalidScope => row(
                400,
                "invalid_scope",
                400,
                Some("invalid_request"),
                INVALID_ARGUMENT,
            ),
            ErrorKind::PayloadTooLarge => row(
                413,
                "invalid_request",
                413,
                Some("invalid_request"),
                INVALID_ARGUMENT,
            ),
            ErrorKind::MethodNotAllowed => row(
                405,
                "invalid_request",
                405,
                Some("invalid_request"),
                INVALID_ARGUMENT,
            ),
            ErrorKind::InvalidKey | ErrorKind::Configuration => {
                row(500, "server_error", 500, None, INTERNAL)
            }
            _ => BAD_TOKEN,
        }
    }

    /// HTTP status at the token-exchange endpoint (RFC 8693 §2.2.2, RFC 6749 §5.2).
    pub fn exchange_status(self) -> u16 {
        self.row().exchange_status
    }

    /// The RFC 6749 §5.2 `error` code at the token-exchange endpoint.
    pub fn oauth_error(self) -> &'static str {
        self.row().oauth_error
    }

    /// HTTP status for a bearer token presented to an API (RFC 6750 §3.1).
    pub fn bearer_status(self) -> u16 {
        self.row().bearer_status
    }

    /// The RFC 6750 `error` attribute of the `WWW-Authenticate` challenge; `None` for a bare
    /// challenge (no credentials sent) or when no challenge applies (503, 500).
    pub fn bearer_error(self) -> Option<&'static str> {
        self.row().bearer_error
    }

    /// The gRPC status code (16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`, 14
    /// `UNAVAILABLE`, 3 `INVALID_ARGUMENT`, 13 `INTERNAL`).
    pub fn grpc_code(self) -> i32 {
        self.row().grpc_code
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_unique_code_and_a_safe_description() {
        let mut codes = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(codes.insert(kind.code()), "duplicate code {}", kind.code());
            let text = kind.public_description();
            assert!(
                text.chars()
                    .all(|c| c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\'),
                "{kind}: description outside the RFC 6749 §5.2 set"
            );
        }
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn the_table_sends_token_problems_to_400_and_401_and_outages_to_503() {
        use ErrorKind as K;
        for kind in ErrorKind::ALL {
            let got = (
                kind.exchange_status(),
                kind.oauth_error(),
                kind.bearer_status(),
                kind.bearer_error(),
                kind.grpc_code(),
            );
            let want = match kind {
                K::KeysUnavailable | K::EndpointUnavailable => {
                    (503, "temporarily_unavailable", 503, None, 14)
                }
                K::RateLimited => (429, "slow_down", 429, None, 8),
                K::InvalidKey | K::Configuration => (500, "server_error", 500, None, 13),
                K::MissingCredentials => (401, "invalid_client", 401, None, 16),
                K::InvalidRequest => (400, "invalid_request", 400, Some("invalid_request"), 16),
                K::InsufficientScope => (403, "invalid_scope", 403, Some("insufficient_scope"), 7),
                K::InvalidClient => (401, "invalid_client", 401, None, 16),
                K::UnsupportedGrantType => (
                    400,
                    "unsupported_grant_type",
                    400,
                    Some("invalid_request"),
                    3,
                ),
                K::InvalidTarget => (400, "invalid_target", 400, Some("invalid_request"), 3),
                K::InvalidScope => (400, "invalid_scope", 400, Some("invalid_request"), 3),
                K::PayloadTooLarge => (413, "invalid_request", 413, Some("invalid_request"), 3),
                K::MethodNotAllowed => (405, "invalid_request", 405, Some("invalid_request"), 3),
                _ => (400, "invalid_request", 401, Some("invalid_token"), 16),
            };
            assert_eq!(got, want, "{kind}");
        }
    }

    #[test]
    fn bad_signature_and_unknown_key_read_the_same_to_clients() {
        assert_eq!(
            ErrorKind::InvalidSignature.public_description(),
            ErrorKind::UnknownKey.public_description()
        );
    }
}
