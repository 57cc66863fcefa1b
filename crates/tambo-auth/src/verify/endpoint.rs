//! The two strategies for opaque access tokens (GitHub's `gho_…`, an Okta or Keycloak access
//! token in its opaque form): a token that carries nothing to verify locally is sent to its
//! identity provider, which answers for it.
//!
//! - **userinfo** (OpenID Connect Core §5.3, or an API of the same shape such as GitHub's
//!   `GET https://api.github.com/user`): `GET` with the token as a bearer; a 200 answer is the
//!   user, identified by `sub` or another configured member (GitHub's numeric `id`), never
//!   by a digest of the token (the token changes, the user does not).
//! - **introspection** (RFC 7662): `POST token=…` with this server's client credentials (HTTP
//!   Basic or in the form); the answer says whether the token is `active` and whose it is
//!   (`sub`, `exp`, `scope`, `client_id`, `iss`, `aud`).
//!
//! Both go through the key fetcher's rules (https only, public addresses only, no redirects
//! or proxies, a connect and a total timeout, a body cap). The answer becomes the token's
//! claims and passes the verifier's claim rules like a JWT's (issuer, dates, audience,
//! subject). A short, bounded cache of positive answers, keyed by the SHA-256 of the token,
//! saves a round trip for a token presented again: never longer than the answer's `exp`
//! nor the configured time (60 s by default), so a revoked token is refused within it.

use std::time::Duration;

use base64::Engine as _;
use quick_cache::sync::Cache;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use url::Url;

use super::Secret;
use crate::Error;
use crate::jwt::Claims;
use crate::keys::FetchPolicy;
use crate::keys::fetch::Fetcher;

/// How long a client should wait after an endpoint failed.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Where a userinfo strategy asks, and which member of the answer is the user's id.
///
/// ```
/// use tambo_auth::verify::Userinfo;
///
/// // GitHub: the numeric `id` is the user (its `login` can be renamed).
/// let github = Userinfo::new("https://api.github.com/user").identity("id");
/// # let _ = github;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Userinfo {
    url: String,
    identity: String,
}

impl Userinfo {
    /// The endpoint at `url`, identifying users by `sub` (OpenID Connect).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            identity: "sub".into(),
        }
    }

    /// The member of the answer that identifies the user (a non-empty string or an integer,
    /// which becomes the user's `sub`). Default `sub`.
    pub fn identity(mut self, member: impl Into<String>) -> Self {
        self.identity = member.into();
        self
    }
}

/// How an introspection request authenticates this server (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `Authorization: Basic` with the form-encoded id and secret (the default, and the one
    /// every authorization server must support).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
}

/// Where an introspection strategy asks (RFC 7662), and this server's credentials there.
/// `Debug` never shows the secret.
///
/// ```
/// use tambo_auth::verify::{ClientAuth, Introspection, Secret};
///
/// let okta = Introspection::new(
///     "https://acme.okta.com/oauth2/default/v1/introspect",
///     "0oa1threadsapi",
///     Secret::from_utf8("the client secret"),
/// )
/// .client_auth(ClientAuth::Post);
/// assert!(!format!("{okta:?}").contains("the client secret"));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Introspection {
    url: String,
    client_id: String,
    secret: Secret,
    auth: ClientAuth,
}

impl Introspection {
    /// The endpoint at `url`, which this server calls as the client `client_id`.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>, secret: Secret) -> Self {
        Self {
            url: url.into(),
            client_id: client_id.into(),
            secret,
            auth: ClientAuth::Basic,
        }
    }

    /// How this server authenticates (default [`ClientAuth::Basic`]).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }
}

/// A configured endpoint strategy, as the verifier builder holds it.
#[derive(Debug, Clone)]
pub(crate) enum EndpointConfig {
    Userinfo(Userinfo),
    Introspection(Introspection),
}

/// What a request carries besides the token. Holds the client secret: no `Debug`.
enum Ask {
    Userinfo {
        identity: String,
    },
    Introspection {
        /// `client_id` and `client_secret` for [`ClientAuth::Post`], else empty.
        form: String,
        /// The Basic credentials for [`ClientAuth::Basic`], marked sensitive.
        authorization: Option<http::HeaderValue>,
    },
}

/// An endpoint ready to ask, with its cache of positive answers.
pub(crate) struct TokenEndpoint {
    url: Url,
    issuer: String,
    ask: Ask,
    fetcher: Fetcher,
    /// Claims and the second they stop being used, by the SHA-256 of the token; `None`
    /// when the cache is off.
    cache: Option<Cache<[u8; 32], (Claims, i64)>>,
    ttl: i64,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credentials in `ask` and the cached claims stay out.
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url.as_str())
            .field("endpoint", &self.name())
            .field("cached", &self.cache.as_ref().map_or(0, Cache::len))
            .finish_non_exhaustive()
    }
}

/// How many tokens' answers an endpoint strategy keeps at most.
const CACHE_CAPACITY: usize = 10_000;

/// How long an answer is reused unless configured otherwise.
pub(crate) const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);

impl TokenEndpoint {
    pub(crate) fn new(
        config: EndpointConfig,
        issuer: &str,
        policy: FetchPolicy,
        cache_ttl: Duration,
    ) -> Result<TokenEndpoint, Error> {
        let fetcher = Fetcher::new(policy)?;
        let (field, url) = match &config {
            EndpointConfig::Userinfo(u) => ("userinfo", &u.url),
            EndpointConfig::Introspection(i) => ("introspection", &i.url),
        };
        let url = Url::parse(url)
            .map_err(|_| Error::config(field, format!("not a valid URL: {url:?}")))?;
        fetcher
            .check_url(&url)
            .map_err(|reason| Error::config(field, reason))?;
        let ask = match config {
            EndpointConfig::Userinfo(u) => {
                if u.identity.is_empty() {
                    return Err(Error::config("userinfo.identity", "empty"));
                }
                Ask::Userinfo {
                    identity: u.identity,
                }
            }
            EndpointConfig::Introspection(i) => introspection(i)?,
        };
        Ok(TokenEndpoint {
            url,
            issuer: issuer.to_owned(),
            ask,
            fetcher,
            cache: (!cache_ttl.is_zero()).then(|| Cache::new(CACHE_CAPACITY)),
            ttl: i64::try_from(cache_ttl.as_secs()).unwrap_or(i64::MAX),
        })
    }

    /// `userinfo` or `introspection`.
    pub(crate) fn name(&self) -> &'static str {
        match self.ask {
            Ask::Userinfo { .. } => "userinfo",
            Ask::Introspection { .. } => "introspection",
        }
    }

    /// The claims of a positive answer for `token` still in the cache at `now`.
    pub(crate) fn cached(&self, token: &str, now: i64) -> Option<Claims> {
        let cache = self.cache.as_ref()?;
        let digest = digest(token);
        match cache.get(&digest) {
            Some((claims, until)) if now < until => Some(claims),
            Some(_) => {
                cache.remove(&digest);
                None
            }
            None => None,
        }
    }

    /// Keeps a positive answer for `token` until `now` plus the cache time, or its `exp` if
    /// that comes first.
    pub(crate) fn remember(&self, token: &str, claims: &Claims, now: i64) {
        let Some(cache) = &self.cache else { return };
        let mut until = now.saturating_add(self.ttl);
        if let Ok(Some(exp)) = claims.exp() {
            until = until.min(exp as i64);
        }
        if until > now {
            cache.insert(digest(token), (claims.clone(), until));
        }
    }

    /// Asks the endpoint about `token`; the answer as claims, not yet checked against the
    /// verifier's rules.
    pub(crate) async fn ask(&self, token: &str) -> Result<Claims, Error> {
        let request = match &self.ask {
            Ask::Userinfo { .. } => self.request(reqwest::Method::GET)?.bearer_auth(token),
            Ask::Introspection {
                form,
                authorization,
            } => {
                let mut body = form_urlencoded::Serializer::new(String::new());
                body.append_pair("token", token)
                    .append_pair("token_type_hint", "access_token");
                let mut body = body.finish();
                if !form.is_empty() {
                    body.push('&');
                    body.push_str(form);
                }
                let request = self.request(reqwest::Method::POST)?.header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
                let request = match authorization {
                    Some(value) => request.header(http::header::AUTHORIZATION, value.clone()),
                    None => request,
                };
                request.body(body)
            }
        };
        let answer = self
            .fetcher
            .send(request)
            .await
            .map_err(|reason| self.unavailable(reason))?;
        let status = answer.status;
        let refused =
            status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN;
        match &self.ask {
            Ask::Userinfo { .. } if refused => {
                return Err(Error::Inactive {
                    endpoint: "userinfo",
                    reason: "it answered 401 or 403 (the token is expired, revoked or not its own)",
                });
            }
            Ask::Introspection { .. } if refused => {
                return Err(self.unavailable(format!(
                    "it answered {status}: it refuses this server's client credentials (check client_id, client_secret and client_auth)"
                )));
            }
            _ if status != reqwest::StatusCode::OK => {
                return Err(self.unavailable(format!("it answered {status}")));
            }
            _ => {}
        }
        let Some(members) = crate::jwt::parse_object(&answer.fetched.body) else {
            return Err(self.unavailable("the answer is not a duplicate-free JSON object".into()));
        };
        match &self.ask {
            Ask::Userinfo { identity } => self.userinfo_claims(members, identity),
            Ask::Introspection { .. } => self.introspection_claims(members),
        }
    }

    fn request(&self, method: reqwest::Method) -> Result<reqwest::RequestBuilder, Error> {
        self.fetcher
            .request(method, &self.url)
            .map_err(|reason| self.unavailable(reason))
    }

    /// A userinfo answer: the identity member becomes `sub`, and `iss` is the configured
    /// issuer unless the answer names one (which the claim rules then check).
    fn userinfo_claims(
        &self,
        mut members: Map<String, Value>,
        identity: &str,
    ) -> Result<Claims, Error> {
        let id = match members.get(identity) {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => {
                return Err(Error::invalid_claim(
                    "sub",
                    "the userinfo answer has no identity member (a non-empty string or an integer)",
                ));
            }
        };
        members.insert("sub".into(), Value::String(id));
        self.with_issuer(members)
    }

    /// An introspection answer: `active` must be `true`; the rest are the token's claims.
    fn introspection_claims(&self, mut members: Map<String, Value>) -> Result<Claims, Error> {
        match members.remove("active") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => {
                return Err(Error::Inactive {
                    endpoint: "introspection",
                    reason: "it answered active: false (the token is expired, revoked or unknown)",
                });
            }
            _ => {
                return Err(self.unavailable("the answer has no boolean `active`".into()));
            }
        }
        self.with_issuer(members)
    }

    fn with_issuer(&self, mut members: Map<String, Value>) -> Result<Claims, Error> {
        members
            .entry("iss")
            .or_insert_with(|| Value::String(self.issuer.clone()));
        Ok(Claims::from_map(members))
    }

    fn unavailable(&self, reason: String) -> Error {
        Error::EndpointUnavailable {
            issuer: self.issuer.clone(),
            endpoint: self.name(),
            reason,
            retry_after: RETRY_AFTER,
        }
    }
}

/// The fixed parts of an introspection request: the credentials, as a header or as form
/// members.
fn introspection(config: Introspection) -> Result<Ask, Error> {
    if config.client_id.is_empty() {
        return Err(Error::config("introspection.client_id", "empty"));
    }
    if config.secret.expose().is_empty() {
        return Err(Error::config("introspection.client_secret", "empty"));
    }
    let secret = std::str::from_utf8(config.secret.expose())
        .map_err(|_| Error::config("introspection.client_secret", "not UTF-8 text"))?;
    Ok(match config.auth {
        ClientAuth::Basic => {
            // RFC 6749 §2.3.1: each part form-encoded before Basic encoding.
            let encode =
                |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(&config.client_id), encode(secret));
            let basic = base64::engine::general_purpose::STANDARD.encode(pair);
            let mut value = http::HeaderValue::try_from(format!("Basic {basic}"))
                .map_err(|_| Error::config("introspection.client_id", "not a header value"))?;
            value.set_sensitive(true);
            Ask::Introspection {
                form: String::new(),
                authorization: Some(value),
            }
        }
        ClientAuth::Post => Ask::Introspection {
            form: form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &config.client_id)
                .append_pair("client_secret", secret)
                .finish(),
            authorization: None,
        },
    })
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}
