//! The token exchange endpoint (`POST /oauth/token`, OAuth 2.0 Token Exchange, RFC 8693):
//! an identity provider's JWT in, a short-lived Tambo token out.
//!
//! ```
//! use std::sync::Arc;
//! use tambo_auth::exchange::{Project, StaticProjects, TokenExchange};
//! use tambo_auth::token::{SigningKey, TamboTokens};
//! use tambo_auth::{Algorithm, OidcProvider, ProviderRegistry, Verifier};
//!
//! # fn main() -> Result<(), tambo_auth::Error> {
//! let tokens = TamboTokens::builder("https://auth.example.com")
//!     .signing_key(SigningKey::generate(Algorithm::EdDSA)?)
//!     .build()?;
//! let registry = ProviderRegistry::builder()
//!     .provider(OidcProvider::new(
//!         "auth0",
//!         Verifier::builder("https://example.us.auth0.com/")
//!             .audience("https://api.example.com")
//!             .build()?, // no network I/O until the first exchange
//!     ))
//!     .build()?;
//! let project = Arc::new(Project::new("p_demo", registry).scopes(["threads:read"]));
//! let projects = StaticProjects::new([("tambo_pk_demo", project)])?;
//! let exchange = TokenExchange::new(tokens, Arc::new(projects));
//!
//! // POST /oauth/token, GET /.well-known/jwks.json, GET /.well-known/oauth-authorization-server
//! let app: axum::Router = exchange.router();
//! # let _ = app; Ok(()) }
//! ```
//!
//! A request (`application/x-www-form-urlencoded`, or a JSON object of strings):
//!
//! ```text
//! POST /oauth/token
//! x-api-key: tambo_pk_demo
//! Content-Type: application/x-www-form-urlencoded
//!
//! grant_type=urn:ietf:params:oauth:grant-type:token-exchange
//! &subject_token=eyJ...&subject_token_type=urn:ietf:params:oauth:token-type:access_token
//! ```
//!
//! answered `200 {"access_token", "issued_token_type":
//! "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in"}`.
//!
//! # How a request is judged, in order
//!
//! 1. Method `POST`, else 405 with `Allow: POST`; body at most [`TokenExchange::max_body`]
//!    (16 KiB; `Content-Length` checked first, then reading stops at the limit), else 413.
//! 2. The client: the `x-api-key` header (Tambo compatible) goes to the application's
//!    [`ProjectResolver`]. Missing or unknown → 401 `invalid_client`, before anything else of
//!    the request is looked at. No `WWW-Authenticate` is sent: RFC 6749 §5.2 asks for one when
//!    the client authenticated through the `Authorization` header, which this endpoint does
//!    not use. Two `x-api-key` headers → 400 `invalid_request`.
//! 3. The body: `Content-Type` `application/x-www-form-urlencoded` or `application/json`
//!    (UTF-8), else 400 `invalid_request`. A repeated parameter (JSON: a duplicate member) →
//!    400 `invalid_request` (RFC 6749 §3.2); `audience` and `resource` may repeat. Unknown
//!    parameters are ignored and empty values count as omitted (RFC 6749 §3.2).
//! 4. The parameters (RFC 8693 §2.1), each failure 400 `invalid_request` unless noted:
//!    `grant_type` required, any value but [`GRANT_TYPE_TOKEN_EXCHANGE`] → 400
//!    `unsupported_grant_type`; `subject_token` required and at most
//!    [`TokenExchange::max_subject_token`] (8 KiB) before any decoding; `subject_token_type`
//!    required, one of [`TOKEN_TYPE_ACCESS_TOKEN`], [`TOKEN_TYPE_ID_TOKEN`], [`TOKEN_TYPE_JWT`]
//!    (Tambo's SDK sends the access-token type for ID tokens too; the type never changes how
//!    the token is verified); `requested_token_type` absent, access token or JWT.
//!    **Delegation is not supported**: `actor_token` with `actor_token_type` → 400
//!    `invalid_request` ("delegation (actor tokens) is not supported"), and one without the
//!    other → 400 `invalid_request` (RFC 8693 §2.1).
//! 5. The project's policy: at most one target over all `audience` and `resource` values
//!    (`resource` an absolute URI without fragment, RFC 8707 §2), which must be the default
//!    audience ([`TamboTokens::audience`]) or one of [`Project::allowed_audiences`], else 400
//!    `invalid_target`; the issued `aud` is that target (RFC 9068 §3). The `scope` tokens not
//!    in [`Project::grantable_scopes`] are dropped; 400 `invalid_scope` when none is left.
//! 6. The subject token, through the project's [`ProviderRegistry`]: any failure → its row
//!    of the error table ([`ErrorKind`]): 400 `invalid_request` for a bad,
//!    expired, forged or foreign token (RFC 8693 §2.2.2), 503 `temporarily_unavailable` with
//!    `Retry-After` when the issuer's keys are unavailable. A Tambo token (our issuer in
//!    `iss`; the header's `typ` decides nothing, as every RFC 9068 access token has `at+jwt`)
//!    is refused: no self-exchange.
//! 7. The scope: the remaining tokens the user holds at the provider
//!    ([`Provider::held_scopes`]); 400 `invalid_scope` when none is held. The API key is public
//!    (browsers hold it), so asking alone never grants a scope. The answer names the granted
//!    scope, which may be fewer than requested (RFC 6749 §3.3, RFC 8693 §2.2.1).
//! 8. The Tambo token is issued by [`TamboTokens::issue`], its lifetime `min(ttl, subject
//!    exp)`; for a provider under the development `none` strategy it is marked insecure.
//!
//! Every answer, errors included, is JSON with `Cache-Control: no-store` and `Pragma:
//! no-cache` (RFC 6749 §5.1). Error bodies are `{"error", "error_description"}` (RFC 6749
//! §5.2), the description fixed text that never echoes input ([`error_response`]). Each
//! exchange logs one `tracing` event (target `tambo_auth::exchange`) with its outcome code,
//! project id and the configured issuer of the subject's provider — never a token or an API
//! key.
//!
//! # CORS
//!
//! Browsers call this endpoint (client-side retrieval), so a browser app on another origin
//! needs CORS. [`TokenExchange::cors`] names the origins allowed; the axum router then answers
//! preflight requests and adds the CORS headers for those origins only (POST, with the
//! `content-type` and `x-api-key` headers). Without it, no CORS header is sent and a preflight
//! `OPTIONS` is answered 405.
//!
//! ```
//! # use std::sync::Arc;
//! # use tambo_auth::exchange::{StaticProjects, TokenExchange};
//! # use tambo_auth::token::{SigningKey, TamboTokens};
//! # let tokens = TamboTokens::builder("https://auth.example.com")
//! #     .signing_key(SigningKey::generate(tambo_auth::Algorithm::EdDSA).unwrap()).build().unwrap();
//! # let projects = Arc::new(StaticProjects::new(Vec::<(String, _)>::new()).unwrap());
//! let exchange = TokenExchange::new(tokens, projects)
//!     .cors(["https://app.example.com"])
//!     .unwrap();
//! let app: axum::Router = exchange.router();
//! ```

mod limits;
mod project;
mod request;
mod response;
mod service;

pub use limits::{Rate, RateLimits};
pub use project::{Project, ProjectResolver, StaticProjects};
pub use response::{TokenResponse, error_response};
pub use service::{ExchangeService, ResponseFuture};

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::Full;

use crate::jwt::MAX_TOKEN_BYTES;
use crate::provider::Presented;
use crate::token::{IssueRequest, TamboTokens};
use crate::verify::StrategyKind;
use crate::{Error, ErrorKind, Provider, ProviderExt as _, ProviderRegistry, TamboUser};
use limits::Limiters;
use request::Params;

/// The RFC 8693 §2.1 `grant_type`.
pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The access-token type (RFC 8693 §3): what Tambo's SDK sends for every subject token, and
/// the `issued_token_type` of every answer.
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The OpenID Connect ID-token type (RFC 8693 §3).
pub const TOKEN_TYPE_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";

/// The generic JWT type (RFC 8693 §3).
pub const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Where the exchange is mounted.
pub const TOKEN_PATH: &str = "/oauth/token";

/// Where our signing keys are published.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Where the RFC 8414 authorization server metadata is published.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// The default body limit (docs/security.md H-13).
pub const DEFAULT_MAX_BODY: usize = 16 * 1024;

/// The header that identifies the project (Tambo compatible).
const API_KEY_HEADER: &str = "x-api-key";

/// The token exchange: parameters, client authentication, policy, subject verification and
/// issuance. Cheap to clone.
///
/// [`exchange`](TokenExchange::exchange) is the logic on a parsed request;
/// [`service`](TokenExchange::service) is the HTTP endpoint; [`router`](TokenExchange::router)
/// mounts it with the key set and metadata documents for axum.
#[derive(Clone)]
pub struct TokenExchange {
    tokens: TamboTokens,
    projects: Arc<dyn ProjectResolver>,
    max_body: usize,
    max_subject_token: usize,
    cors_origins: Vec<http::HeaderValue>,
    limits: Option<Arc<Limiters>>,
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("issuer", &self.tokens.issuer())
            .field("max_body", &self.max_body)
            .field("max_subject_token", &self.max_subject_token)
            .finish_non_exhaustive()
    }
}

/// What one exchange learned, for its log event.
#[derive(Default)]
struct Trace {
    project: Option<String>,
    subject_issuer: Option<String>,
}

impl TokenExchange {
    /// An exchange issuing with `tokens` for the projects `projects` resolves.
    pub fn new(tokens: TamboTokens, projects: Arc<dyn ProjectResolver>) -> Self {
        Self {
            tokens,
            projects,
            max_body: DEFAULT_MAX_BODY,
            max_subject_token: MAX_TOKEN_BYTES,
            cors_origins: Vec::new(),
            limits: None,
        }
    }

    /// Limits how many exchanges each client address, project and user may make (default:
    /// none). See [`RateLimits`].
    #[must_use]
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = Some(Arc::new(limits.build()));
        self
    }

    /// The largest request body accepted (default 16 KiB); larger ones are answered 413.
    #[must_use]
    pub fn max_body(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// The largest `subject_token` accepted (default 8 KiB), checked before any decoding;
    /// larger ones are answered 400 `invalid_request`.
    #[must_use]
    pub fn max_subject_token(mut self, limit: usize) -> Self {
        self.max_subject_token = limit;
        self
    }

    /// Allows browsers on these origins (`https://app.example.com`: scheme, host and port,
    /// no path) to call the endpoint: the axum router answers their preflight requests and
    /// adds the CORS headers. `*` is refused: the endpoint takes credentials.
    pub fn cors<I, S>(mut self, origins: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut allowed = Vec::new();
        for origin in origins {
            let origin = origin.as_ref();
            let valid = url::Url::parse(origin).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.path() == "/"
                    && !origin.ends_with('/')
                    && u.query().is_none()
            });
            let value = http::HeaderValue::from_str(origin)
                .ok()
                .filter(|_| valid)
                .ok_or_else(|| {
                    Error::config(
                        "cors_origins",
                        format!("{origin:?} is not an origin like https://app.example.com"),
                    )
                })?;
            allowed.push(value);
        }
        self.cors_origins = allowed;
        Ok(self)
    }

    /// The body limit in force.
    pub fn body_limit(&self) -> usize {
        self.max_body
    }

    /// The subject-token limit in force.
    pub fn subject_token_limit(&self) -> usize {
        self.max_subject_token
    }

    /// The issuer of the tokens handed out.
    pub fn tokens(&self) -> &TamboTokens {
        &self.tokens
    }

    /// Runs one exchange on a request's headers and body (already read; the method and body
    /// size are the caller's to check, as [`service`](TokenExchange::service) does). Turn an
    /// error into the endpoint's answer with [`error_response`], a success with
    /// [`TokenResponse::to_response`]. Logs one event.
    pub async fn exchange(&self, headers: &HeaderMap, body: &[u8]) -> Result<TokenResponse, Error> {
        self.exchange_from(None, headers, body).await
    }

    /// [`exchange`](Self::exchange) for a request from `peer`, the address its connection
    /// comes from, which the per-address [rate limit](Self::rate_limits) counts against.
    pub async fn exchange_from(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<TokenResponse, Error> {
        let mut trace = Trace::default();
        let result = self.run(peer, headers, body, &mut trace).await;
        match &result {
            Ok((answer, jti)) => log_outcome(
                Ok((jti, answer.expires_in)),
                trace.project.as_deref(),
                trace.subject_issuer.as_deref(),
            ),
            Err(error) => log_outcome(
                Err(error),
                trace.project.as_deref(),
                trace.subject_issuer.as_deref(),
            ),
        }
        result.map(|(answer, _)| answer)
    }

    /// The exchange; the issued token's `jti` rides along for the log.
    async fn run(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        body: &[u8],
        trace: &mut Trace,
    ) -> Result<(TokenResponse, String), Error> {
        let limits = self.limits.as_deref();
        let client = limits.and_then(|l| l.client(peer, headers));
        if let Some(limits) = limits {
            limits.admit_client(client)?;
        }
        let api_key = api_key(headers)?;
        let project = self.projects.resolve(api_key).await?;
        trace.project = Some(project.id().to_owned());
        if let Some(limits) = limits {
            limits.admit_project(project.id())?;
        }

        let params = Params::parse(headers, body)?;
        let subject = self.check_parameters(&params)?;
        let audience = self.target(&params, &project)?;
        let requested = grantable_scopes(&params, &project)?;

        let verified = self
            .verify_subject(subject, project.registry(), trace)
            .await;
        let (user, insecure, provider) = match (verified, limits) {
            (Ok(verified), _) => verified,
            (Err(error), Some(limits)) if error.kind().exchange_status() == 400 => {
                limits.failed(client);
                return Err(error);
            }
            (Err(error), _) => return Err(error),
        };
        if let Some(limits) = limits {
            limits.admit_subject(project.id(), user.context_key().as_str())?;
        }
        let scope = match requested {
            None => None,
            Some(requested) => Some(held_scopes(requested, provider.as_ref(), &user)?),
        };
        let mut request = IssueRequest::new(&user, project.id());
        request.subject_expires_at = user.expires_at().map(|exp| exp as f64);
        request.scope = scope.clone();
        request.audience = audience;
        request.insecure = insecure;
        let issued = self.tokens.issue(request)?;
        Ok((
            TokenResponse::new(issued.access_token, issued.expires_in, scope),
            issued.jti,
        ))
    }

    /// The RFC 8693 §2.1 rules that need only the request; returns the subject token.
    fn check_parameters<'p>(&self, params: &'p Params<'_>) -> Result<&'p str, Error> {
        match params.grant_type.as_deref() {
            None => return Err(invalid("grant_type is missing")),
            Some(GRANT_TYPE_TOKEN_EXCHANGE) => {}
            Some(_) => return Err(Error::UnsupportedGrantType),
        }
        let subject = params
            .subject_token
            .as_deref()
            .ok_or(invalid("subject_token is missing"))?;
        if subject.len() > self.max_subject_token {
            return Err(Error::TokenTooLarge {
                len: subject.len(),
                limit: self.max_subject_token,
            });
        }
        match params.subject_token_type.as_deref() {
            None => return Err(invalid("subject_token_type is missing")),
            Some(t) if request::subject_type_supported(t) => {}
            Some(_) => {
                return Err(invalid(
                    "subject_token_type must be the access_token, id_token or jwt token type",
                ));
            }
        }
        match (&params.actor_token, &params.actor_token_type) {
            (None, None) => {}
            (Some(_), Some(_)) => {
                return Err(invalid("delegation (actor tokens) is not supported"));
            }
            _ => {
                return Err(invalid(
                    "actor_token and actor_token_type must be sent together",
                ));
            }
        }
        if let Some(t) = params.requested_token_type.as_deref()
            && !request::requested_type_supported(t)
        {
            return Err(invalid(
                "requested_token_type must be the access_token or jwt token type",
            ));
        }
        Ok(subject)
    }

    /// The one target of the request (RFC 8707 §2, RFC 8693 §2.1): `None` for the default
    /// audience.
    fn target(&self, params: &Params<'_>, project: &Project) -> Result<Option<String>, Error> {
        if !params.resource.iter().all(|r| request::valid_resource(r)) {
            return Err(Error::InvalidTarget);
        }
        let mut targets: Vec<&str> = Vec::new();
        for target in params.audience.iter().chain(&params.resource) {
            if !targets.contains(&&**target) {
                targets.push(target);
            }
        }
        match targets.as_slice() {
            [] => Ok(None),
            [one] if *one == self.tokens.audience() => Ok(None),
            [one] if project.allows_audience(one) => Ok(Some((*one).to_owned())),
            _ => Err(Error::InvalidTarget),
        }
    }

    /// Verifies the subject token with the project's providers; returns the user and whether
    /// its signature went unchecked (development `none` strategy).
    async fn verify_subject<'r>(
        &self,
        token: &str,
        registry: &'r ProviderRegistry,
        trace: &mut Trace,
    ) -> Result<(TamboUser, bool, &'r Arc<dyn Provider>), Error> {
        let (user, provider) = match registry.parse_with_limit(token, self.max_subject_token)? {
            Presented::Jws(jws) => {
                // Ours by who signed it, never by `typ`: RFC 9068 (§2.1) gives every JWT
                // access token `typ: at+jwt`, providers' included.
                if jws
                    .claims()?
                    .iss()
                    .is_some_and(|iss| self.tokens.is_own_issuer(iss))
                {
                    return Err(invalid(
                        "a Tambo token cannot be exchanged; send the identity provider token",
                    ));
                }
                let provider = registry.route(&jws)?;
                trace.subject_issuer = Some(provider.verifier().issuer().to_owned());
                (provider.authenticate_jws(&jws).await?, provider)
            }
            Presented::Opaque(provider) => {
                trace.subject_issuer = Some(provider.verifier().issuer().to_owned());
                (provider.authenticate_opaque(token).await?, provider)
            }
        };
        let insecure = provider.verifier().strategy() == StrategyKind::None;
        Ok((user, insecure, provider))
    }

    /// The endpoint as a Tower service (see [`ExchangeService`]).
    pub fn service(&self) -> ExchangeService {
        ExchangeService::new(self.clone())
    }

    /// `GET /.well-known/jwks.json`: the public keys of our key ring (public members only),
    /// `Cache-Control: public, max-age=300` (docs/security.md H-09).
    pub fn jwks_response(&self) -> Response<Full<Bytes>> {
        response::public_document(&self.tokens.jwks())
    }

    /// `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata naming our issuer,
    /// token endpoint, key set and the token-exchange grant.
    ///
    /// `token_endpoint_auth_methods_supported` is `["none"]`: the project's API key travels in
    /// the `x-api-key` header (Tambo compatible), which no registered method describes; it is
    /// a public client identifier (browsers hold it), not a client secret. No authorization
    /// endpoint exists, so `response_types_supported` is empty.
    pub fn metadata_response(&self) -> Response<Full<Bytes>> {
        let issuer = self.tokens.issuer();
        let base = issuer.strip_suffix('/').unwrap_or(issuer);
        response::public_document(&serde_json::json!({
            "issuer": issuer,
            "token_endpoint": format!("{base}{TOKEN_PATH}"),
            "jwks_uri": format!("{base}{JWKS_PATH}"),
            "grant_types_supported": [GRANT_TYPE_TOKEN_EXCHANGE],
            "token_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": [],
        }))
    }

    /// An axum router: `POST /oauth/token` (every other method answered 405 with `Allow:
    /// POST` by the service), `GET /.well-known/jwks.json` and `GET
    /// /.well-known/oauth-authorization-server`. Merge it into your app, and add CORS (see
    /// the module docs) for browsers.
    #[cfg(feature = "axum")]
    pub fn router(&self) -> ::axum::Router {
        use ::axum::routing::get;

        let jwks = self.clone();
        let metadata = self.clone();
        let router = ::axum::Router::new()
            .route_service(TOKEN_PATH, self.service())
            .route(
                JWKS_PATH,
                get(move || std::future::ready(jwks.jwks_response())),
            )
            .route(
                METADATA_PATH,
                get(move || std::future::ready(metadata.metadata_response())),
            );
        if self.cors_origins.is_empty() {
            return router;
        }
        router.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::AllowOrigin::list(
                    self.cors_origins.clone(),
                ))
                .allow_methods([http::Method::POST, http::Method::GET])
                .allow_headers([
                    http::header::CONTENT_TYPE,
                    http::HeaderName::from_static(API_KEY_HEADER),
                ])
                .max_age(std::time::Duration::from_secs(600)),
        )
    }
}

const fn invalid(reason: &'static str) -> Error {
    Error::InvalidRequest { reason }
}

/// The `x-api-key` value: missing → 401 `invalid_client`, repeated → 400 `invalid_request`.
fn api_key(headers: &HeaderMap) -> Result<&str, Error> {
    let mut values = headers.get_all(API_KEY_HEADER).iter();
    let (first, second) = (values.next(), values.next());
    if second.is_some() {
        return Err(invalid("the x-api-key header is repeated"));
    }
    let value = first.ok_or(Error::InvalidClient {
        reason: "the x-api-key header is missing",
    })?;
    match value.to_str() {
        Ok(key) if !key.is_empty() => Ok(key),
        Ok(_) => Err(Error::InvalidClient {
            reason: "the x-api-key header is missing",
        }),
        Err(_) => Err(Error::InvalidClient {
            reason: "the API key is not known",
        }),
    }
}

/// The requested scope tokens the project may grant, checked before the subject token is
/// verified: `None` without a request, `invalid_scope` when the project grants none of them.
fn grantable_scopes<'p>(
    params: &'p Params<'_>,
    project: &Project,
) -> Result<Option<Vec<&'p str>>, Error> {
    let Some(scope) = params.scope.as_deref() else {
        return Ok(None);
    };
    let tokens = request::scope_tokens(scope).ok_or(Error::InvalidScope {
        reason: "scope holds a character RFC 6749 does not allow",
    })?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let grantable: Vec<&str> = tokens
        .into_iter()
        .filter(|t| project.grants_scope(t))
        .collect();
    if grantable.is_empty() {
        return Err(Error::InvalidScope {
            reason: "the project grants none of the requested scopes",
        });
    }
    Ok(Some(grantable))
}

/// The granted scope: the grantable requested scopes the user holds at the provider, which
/// may be fewer than requested (RFC 6749 §3.3; the answer then names them); `invalid_scope`
/// when the user holds none of them.
fn held_scopes(
    requested: Vec<&str>,
    provider: &dyn Provider,
    user: &TamboUser,
) -> Result<String, Error> {
    let claims = user.claims();
    let held = provider.held_scopes(&claims);
    let granted: Vec<&str> = requested
        .into_iter()
        .filter(|t| held.iter().any(|h| h == t))
        .collect();
    if granted.is_empty() {
        return Err(Error::InvalidScope {
            reason: "the user holds none of the requested scopes at the identity provider",
        });
    }
    Ok(granted.join(" "))
}

/// The one log event of an exchange. Fields hold codes, ids and configured issuers only:
/// never a token, an API key or request text.
pub(crate) fn log_outcome(
    outcome: Result<(&str, u64), &Error>,
    project: Option<&str>,
    subject_issuer: Option<&str>,
) {
    let project = project.unwrap_or("-");
    let subject_issuer = subject_issuer.unwrap_or("-");
    match outcome {
        Ok((jti, expires_in)) => tracing::info!(
            outcome = "issued",
            status = 200u16,
            project,
            subject_issuer,
            jti,
            expires_in,
            "token exchange"
        ),
        Err(error) => {
            let kind = error.kind();
            let status = kind.exchange_status();
            let outcome = kind.code();
            // Unavailable keys are already logged once per failed fetch by the key set: a warning
            // per refused request would flood the logs while clients retry.
            // The detail may quote an identity provider or a claim: escaped, one line.
            let detail = error.to_string();
            let detail = detail.escape_debug();
            if status >= 500 && kind != ErrorKind::KeysUnavailable {
                tracing::warn!(outcome, status, project, subject_issuer, %detail, "token exchange failed");
            } else {
                tracing::info!(outcome, status, project, subject_issuer, %detail, "token exchange refused");
            }
        }
    }
}

#[cfg(test)]
mod tests;
