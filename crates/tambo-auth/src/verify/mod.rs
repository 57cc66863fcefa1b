//! The four verification strategies of Tambo's project settings, plus `jwks`, and the
//! [`Verifier`] that applies one to a token.
//!
//! | strategy | keys from | for |
//! | --- | --- | --- |
//! | OIDC discovery (default) | `<issuer>/.well-known/openid-configuration` → `jwks_uri` | Auth0, Clerk, Supabase, Google |
//! | JWKS | a configured JWKS URL | WorkOS, Better Auth, Neon Auth |
//! | asymmetric | a configured PEM SPKI key, X.509 certificate or JWK | networkless setups |
//! | symmetric | a shared HMAC secret (HS256/384/512) | tests, Supabase's legacy secret |
//! | none | nothing: signatures are not checked | development only, refused elsewhere |
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::Verifier;
//!
//! let verifier = Verifier::builder("https://example.us.auth0.com/")
//!     .audience("https://api.example.com")
//!     .build()?;
//! let verified = verifier.verify(token).await?;
//! println!("user {}", verified.claims().sub().unwrap_or_default());
//! # Ok(()) }
//! ```

mod endpoint;
mod secret;

pub use endpoint::{ClientAuth, Introspection, Userinfo};
pub use secret::Secret;

use endpoint::{DEFAULT_CACHE_TTL, EndpointConfig, TokenEndpoint};

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Error;
use crate::TamboUser;
use crate::clock::{SharedClock, SystemClock};
use crate::jwt::{
    Algorithm, AlgorithmSet, Claims, ClaimsPolicy, DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, Header,
    Jws, MAX_TOKEN_BYTES,
};
use crate::keys::{
    JwkPolicy, KeySet, KeySetState, KeySetStatus, RemoteKeySet, RemoteKeySetConfig, VerificationKey,
};
use crate::provider::ProviderOptions;
use crate::user::Namespace;

/// Which strategy a verifier uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StrategyKind {
    /// OpenID Connect Discovery from the configured issuer.
    OidcDiscovery,
    /// A configured JWKS URL.
    Jwks,
    /// A configured public key.
    Asymmetric,
    /// A shared HMAC secret.
    Symmetric,
    /// No signature check (development only).
    None,
    /// Opaque tokens, answered for by a userinfo endpoint ([`Userinfo`]).
    Userinfo,
    /// Opaque tokens, answered for by an RFC 7662 introspection endpoint ([`Introspection`]).
    Introspection,
}

impl StrategyKind {
    /// The configuration name (`oidc-discovery`, `jwks`, `asymmetric`, `symmetric`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::OidcDiscovery => "oidc-discovery",
            StrategyKind::Jwks => "jwks",
            StrategyKind::Asymmetric => "asymmetric",
            StrategyKind::Symmetric => "symmetric",
            StrategyKind::None => "none",
            StrategyKind::Userinfo => "userinfo",
            StrategyKind::Introspection => "introspection",
        }
    }

    /// Whether tokens are sent to the identity provider rather than verified here
    /// (`userinfo`, `introspection`): the strategies that accept opaque tokens.
    pub fn asks_provider(self) -> bool {
        matches!(self, StrategyKind::Userinfo | StrategyKind::Introspection)
    }
}

/// The deployment profile. The `none` strategy runs only under `Development`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// Everything strict (the default).
    #[default]
    Production,
    /// Local development: permits the `none` strategy, loudly.
    Development,
}

/// A token whose signature and claims passed, with the key that verified it; or an opaque
/// token its identity provider answered for, with the claims of the answer.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    header: Option<Header>,
    claims: Claims,
    key: Option<Arc<VerificationKey>>,
    verifier: Verifier,
}

impl VerifiedToken {
    /// The protected header (`None` for an opaque token).
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// The validated claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Whether a key verified the token's signature: `false` under the development `none`
    /// strategy and for tokens an identity provider answered for.
    pub fn signature_checked(&self) -> bool {
        self.key.is_some()
    }

    /// The key that verified the signature (`None` under the `none` strategy and for tokens
    /// an identity provider answered for).
    pub fn key(&self) -> Option<&Arc<VerificationKey>> {
        self.key.as_ref()
    }

    /// The verifier that checked the token.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The user with the default mapping, named after `provider`: `sub`, the context key in
    /// the verifier's issuer namespace with Tambo's tenant rule (`hd`, `tid`, `org_id`),
    /// `email` and `email_verified`.
    pub fn user(&self, provider: &str) -> Result<TamboUser, Error> {
        TamboUser::from_claims_in(provider, self.verifier.namespace(), self.claims.clone())
    }
}

#[derive(Debug)]
enum Keys {
    Static(KeySet),
    Remote(RemoteKeySet),
    Unverified,
    /// No keys: the identity provider answers for each token. Boxed: it is the largest
    /// variant and the rarest.
    Endpoint(Box<TokenEndpoint>),
}

/// Verifies tokens of one issuer with one strategy. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
    /// When this verifier stops accepting tokens, in Unix seconds: the previous path of a
    /// [migration window](crate::provider::ProviderRegistryBuilder::migration). Checked by
    /// every verification and by the re-check of a cached token.
    closes_at: Option<i64>,
}

#[derive(Debug)]
struct Inner {
    /// The issuer's namespace, derived once for every user this verifier maps.
    namespace: Namespace,
    strategy: StrategyKind,
    policy: ClaimsPolicy,
    algorithms: AlgorithmSet,
    keys: Keys,
    clock: SharedClock,
    required_typ: Option<String>,
    max_token_bytes: usize,
}

impl Verifier {
    /// Starts configuring a verifier for tokens whose `iss` is exactly `issuer`.
    pub fn builder(issuer: impl Into<String>) -> VerifierBuilder {
        VerifierBuilder::new(issuer.into())
    }

    /// Verifies a compact token: structure, header policy, algorithm, key, signature, claims.
    /// Under the `userinfo` and `introspection` strategies, an opaque token is sent to the
    /// identity provider ([`verify_opaque`](Self::verify_opaque)), and so is a JWT once its
    /// `iss` is this issuer's (a JWT of another issuer is never sent anywhere).
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, Error> {
        match Jws::parse_with_limit(token, self.inner.max_token_bytes) {
            Ok(jws) => self.verify_jws(&jws).await,
            Err(Error::Opaque { .. }) if self.inner.strategy.asks_provider() => {
                self.verify_opaque(token).await
            }
            Err(e) => Err(e),
        }
    }

    /// Asks the identity provider about `token` (the `userinfo` and `introspection`
    /// strategies), then checks its answer as claims: the issuer, the dates, the audience
    /// and the subject. A positive answer is reused for the same token for a short while
    /// (see [`VerifierBuilder::opaque_cache_ttl`]). Other strategies refuse opaque tokens.
    pub async fn verify_opaque(&self, token: &str) -> Result<VerifiedToken, Error> {
        self.check_open()?;
        let inner = &self.inner;
        let Keys::Endpoint(endpoint) = &inner.keys else {
            return Err(Error::Opaque { hint: None });
        };
        if token.len() > inner.max_token_bytes {
            return Err(Error::TokenTooLarge {
                len: token.len(),
                limit: inner.max_token_bytes,
            });
        }
        // What a bearer header or a form field can carry (RFC 6750 §2.1 is stricter still):
        // anything else is the caller's mistake, never worth a request.
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::malformed(
                "an opaque token is visible ASCII, without spaces",
            ));
        }
        let now = inner.clock.unix_seconds();
        let claims = match endpoint.cached(token, now as i64) {
            Some(claims) => claims,
            None => {
                let claims = endpoint.ask(token).await?;
                inner.policy.validate(&claims, now)?;
                endpoint.remember(token, &claims, now as i64);
                claims
            }
        };
        Ok(VerifiedToken {
            header: None,
            claims,
            key: None,
            verifier: self.clone(),
        })
    }

    /// Verifies a parsed token (the registry parses once to route by issuer). The checks, in
    /// order: the issuer (a token for another issuer never costs a key lookup or a fetch),
    /// the algorithm against the allowlist, the key and the signature, `typ` when required,
    /// then the dates, the audience and the subject.
    ///
    /// It waits only when the key set must be fetched; with the keys at hand the future is
    /// ready at its first poll.
    pub async fn verify_jws(&self, jws: &Jws<'_>) -> Result<VerifiedToken, Error> {
        let inner = &self.inner;
        let claims = jws.claims()?;
        inner.policy.check_issuer(claims)?;
        self.check_open()?;
        let key = match &inner.keys {
            // A JWT-shaped access token of this issuer, answered for like an opaque one.
            Keys::Endpoint(_) => return self.verify_opaque(jws.as_str()).await,
            Keys::Unverified => None,
            Keys::Static(set) => Some(set.verify(jws, self.allowed_alg(jws)?)?),
            Keys::Remote(remote) => Some(remote.verify(jws, self.allowed_alg(jws)?).await?),
        };
        if let Some(typ) = &inner.required_typ
            && !jws.header().typ_is(typ)
        {
            return Err(Error::TypeMismatch {
                expected: if typ == "at+jwt" {
                    "at+jwt"
                } else {
                    "a specific typ"
                },
            });
        }
        inner.policy.validate(claims, inner.clock.unix_seconds())?;
        Ok(VerifiedToken {
            header: Some(jws.header().clone()),
            claims: claims.clone(),
            key,
            verifier: self.clone(),
        })
    }

    /// The token's algorithm, when it is on this issuer's allowlist.
    fn allowed_alg(&self, jws: &Jws<'_>) -> Result<Algorithm, Error> {
        let alg = jws.header().alg()?;
        if self.inner.algorithms.contains(alg) {
            Ok(alg)
        } else {
            Err(Error::AlgorithmNotAllowed {
                reason: "not on this issuer's allowlist",
            })
        }
    }

    /// Whether `key`, which verified a token of this issuer earlier, still may: the re-check
    /// of a cached token. Configured keys never change; a remote key set must still list the
    /// key (an identity provider that drops a key revokes its tokens). Tokens an identity
    /// provider answered for are not kept by the layer's cache; only the strategy's own
    /// short cache holds them.
    pub fn still_trusts(&self, key: Option<&VerificationKey>) -> Result<(), Error> {
        self.check_open()?;
        match (&self.inner.keys, key) {
            (Keys::Remote(remote), Some(key)) => remote.still_trusts(key),
            (Keys::Remote(_), None) => Err(Error::UnknownKey),
            (Keys::Static(_) | Keys::Unverified | Keys::Endpoint(_), _) => Ok(()),
        }
    }

    /// This verifier, refusing every token from `until` on, cached ones included: the previous
    /// path of a migration window. The keys, settings and caches are shared with `self`.
    pub(crate) fn closing_at(&self, until: SystemTime) -> Verifier {
        Verifier {
            inner: Arc::clone(&self.inner),
            closes_at: Some(crate::clock::unix_seconds_at(until) as i64),
        }
    }

    /// Refuses every token once this verifier has closed ([`closing_at`](Self::closing_at)).
    pub(crate) fn check_open(&self) -> Result<(), Error> {
        let Some(closes_at) = self.closes_at else {
            return Ok(());
        };
        if (self.inner.clock.unix_seconds() as i64) < closes_at {
            return Ok(());
        }
        let until = UNIX_EPOCH + Duration::from_secs(u64::try_from(closes_at).unwrap_or(0));
        Err(Error::rejected(
            "migration",
            format!(
                "tokens verified by the previous path ({}) were accepted until {}; sign in again to get a token of the current one",
                self.issuer(),
                humantime::format_rfc3339_seconds(until)
            ),
        ))
    }

    /// The clock this verifier checks dates against.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        self.inner.namespace.issuer()
    }

    /// The namespace of the configured issuer, in which users are mapped by default.
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// Every accepted `iss` value (the issuer plus any additional ones).
    pub fn issuers(&self) -> &[String] {
        self.inner.policy.issuers()
    }

    /// The strategy.
    pub fn strategy(&self) -> StrategyKind {
        self.inner.strategy
    }

    /// The claims rules in force.
    pub fn policy(&self) -> &ClaimsPolicy {
        &self.inner.policy
    }

    /// The algorithm allowlist.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.inner.algorithms
    }

    /// Loads remote keys now; a no-op for static strategies.
    pub async fn warm_up(&self) -> Result<(), Error> {
        match &self.inner.keys {
            Keys::Remote(remote) => remote.warm_up().await,
            _ => Ok(()),
        }
    }

    /// The readiness view; static strategies are always ready.
    pub fn status(&self) -> KeySetStatus {
        match &self.inner.keys {
            Keys::Remote(remote) => remote.status(),
            Keys::Static(set) => static_status(self.issuer(), set.len()),
            Keys::Unverified | Keys::Endpoint(_) => static_status(self.issuer(), 0),
        }
    }
}

fn static_status(issuer: &str, keys: usize) -> KeySetStatus {
    KeySetStatus {
        issuer: issuer.to_owned(),
        state: KeySetState::Fresh,
        ready: true,
        keys,
        last_success: None,
        last_error: None,
        fetches: 0,
        fetch_failures: 0,
    }
}

#[derive(Debug)]
enum StrategyConfig {
    Discovery,
    Jwks(String),
    PublicKeys(Vec<PendingKey>),
    Secret(Secret),
    None,
    Endpoint(EndpointConfig),
}

#[derive(Debug)]
enum PendingKey {
    Ready(VerificationKey),
    Pem(String),
    Jwk(String),
}

/// Configures a [`Verifier`]. Every setting is checked by [`build`](Self::build), which
/// names the offending field.
#[derive(Debug)]
#[must_use]
pub struct VerifierBuilder {
    issuer: String,
    extra_issuers: Vec<String>,
    strategy: StrategyConfig,
    audiences: Vec<String>,
    any_audience: bool,
    algorithms: Option<AlgorithmSet>,
    leeway: Duration,
    require_exp: bool,
    max_lifetime: Option<Duration>,
    max_age: Option<Duration>,
    required_typ: Option<String>,
    clock: SharedClock,
    remote: RemoteKeySetConfig,
    profile: Profile,
    max_token_bytes: usize,
    opaque_cache_ttl: Duration,
}

impl VerifierBuilder {
    fn new(issuer: String) -> Self {
        Self {
            issuer,
            extra_issuers: Vec::new(),
            strategy: StrategyConfig::Discovery,
            audiences: Vec::new(),
            any_audience: false,
            algorithms: None,
            leeway: DEFAULT_LEEWAY,
            require_exp: true,
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            max_age: None,
            required_typ: None,
            clock: Arc::new(SystemClock),
            remote: RemoteKeySetConfig::default(),
            profile: Profile::Production,
            max_token_bytes: MAX_TOKEN_BYTES,
            opaque_cache_ttl: DEFAULT_CACHE_TTL,
        }
    }

    /// OpenID Connect Discovery from the issuer (the default).
    pub fn oidc_discovery(mut self) -> Self {
        self.strategy = StrategyConfig::Discovery;
        self
    }

    /// Keys from a JWKS URL, for providers without discovery.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.strategy = StrategyConfig::Jwks(url.into());
        self
    }

    /// A configured public key (asymmetric strategy); may be called more than once.
    pub fn public_key(mut self, key: VerificationKey) -> Self {
        self.push_key(PendingKey::Ready(key));
        self
    }

    /// A configured public key in PEM (SPKI, PKCS#1 RSA or an X.509 certificate).
    pub fn public_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.push_key(PendingKey::Pem(pem.into()));
        self
    }

    /// A configured public key as a JWK, or several as a JWK Set.
    pub fn public_key_jwk(mut self, jwk: impl Into<String>) -> Self {
        self.push_key(PendingKey::Jwk(jwk.into()));
        self
    }

    fn push_key(&mut self, key: PendingKey) {
        match &mut self.strategy {
            StrategyConfig::PublicKeys(keys) => keys.push(key),
            _ => self.strategy = StrategyConfig::PublicKeys(vec![key]),
        }
    }

    /// A shared HMAC secret (symmetric strategy).
    pub fn shared_secret(mut self, secret: Secret) -> Self {
        self.strategy = StrategyConfig::Secret(secret);
        self
    }

    /// No signature check at all. [`build`](Self::build) refuses it unless the profile is
    /// [`Profile::Development`]; structural and claim checks still apply.
    pub fn insecure_no_verification(mut self) -> Self {
        self.strategy = StrategyConfig::None;
        self
    }

    /// Opaque access tokens, answered for by a userinfo endpoint (GitHub's
    /// `https://api.github.com/user`, an OpenID Connect provider's `userinfo_endpoint`). A
    /// userinfo answer names no audience, so no audience may be configured, and no `exp`,
    /// so none is required. See [`verify_opaque`](Verifier::verify_opaque).
    pub fn userinfo(mut self, endpoint: Userinfo) -> Self {
        self.strategy = StrategyConfig::Endpoint(EndpointConfig::Userinfo(endpoint));
        self
    }

    /// Opaque access tokens, answered for by an RFC 7662 introspection endpoint. The
    /// answer's claims pass the same rules as a JWT's: configure the audience your tokens
    /// carry, as for a public-key issuer.
    pub fn introspection(mut self, endpoint: Introspection) -> Self {
        self.strategy = StrategyConfig::Endpoint(EndpointConfig::Introspection(endpoint));
        self
    }

    /// How long a positive userinfo or introspection answer is reused for the same token
    /// (default 60 s, never past the answer's `exp`; zero asks every time). A token revoked
    /// at the identity provider is refused at most this long after.
    pub fn opaque_cache_ttl(mut self, ttl: Duration) -> Self {
        self.opaque_cache_ttl = ttl;
        self
    }

    /// The deployment profile (default production).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Also accepts this `iss` (Google's `accounts.google.com` beside the URL form).
    pub fn additional_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.extra_issuers.push(issuer.into());
        self
    }

    /// Requires `aud` to contain this value; may be called more than once (any one matches).
    ///
    /// An issuer that verifies with public keys (discovery, JWKS, a configured key) usually
    /// serves many applications, so [`build`](Self::build) requires an audience for those
    /// strategies unless [`allow_any_audience`](Self::allow_any_audience) waives it.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Requires `aud` to contain one of `audiences`, as [`audience`](Self::audience) called
    /// for each.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// Accepts tokens whatever their `aud`, for a public-key issuer that serves this
    /// application alone, or whose tokens are bound to it by another claim the provider
    /// checks (Clerk's `azp`, a per-client issuer). Without an audience, a token the issuer
    /// minted for any other application (an attacker's own, on a shared issuer such as
    /// Google) is accepted too; the waiver is logged when the verifier is built.
    pub fn allow_any_audience(mut self) -> Self {
        self.any_audience = true;
        self
    }

    /// The algorithm allowlist (default: every asymmetric algorithm, or HS256/384/512 for
    /// the symmetric strategy).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = crate::Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The leeway for `exp`, `nbf` and `iat` (default 60 s, at most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Whether `exp` is required (default `true`).
    pub fn require_exp(mut self, required: bool) -> Self {
        self.require_exp = required;
        self
    }

    /// The longest accepted token lifetime (default 24 h; `None` removes the check).
    pub fn max_lifetime(mut self, max: Option<Duration>) -> Self {
        self.max_lifetime = max;
        self
    }

    /// The oldest accepted `iat` (default none).
    pub fn max_age(mut self, max: Option<Duration>) -> Self {
        self.max_age = max;
        self
    }

    /// Requires the header `typ` to be this media type (e.g. `at+jwt`).
    pub fn required_type(mut self, typ: impl Into<String>) -> Self {
        self.required_typ = Some(typ.into());
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Remote key-set timing and HTTP limits.
    pub fn key_set_config(mut self, config: RemoteKeySetConfig) -> Self {
        self.remote = config;
        self
    }

    /// Permits plain http to loopback literals for discovery and JWKS (tests, development).
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.remote.fetch.allow_loopback_http = allow;
        self
    }

    /// The profile, loopback permission and clock of `options` at once (what adapters pass).
    pub fn options(self, options: &ProviderOptions) -> Self {
        self.profile(options.profile)
            .allow_loopback_http(options.allow_loopback_http)
            .clock(Arc::clone(&options.clock))
    }

    /// The size limit for tokens (default 8 KiB).
    pub fn max_token_bytes(mut self, limit: usize) -> Self {
        self.max_token_bytes = limit;
        self
    }

    /// Checks every setting and builds the verifier. Does no network I/O.
    pub fn build(mut self) -> Result<Verifier, Error> {
        check_issuer(&self.issuer, "issuer")?;
        for extra in &self.extra_issuers {
            check_issuer(extra, "additional_issuers")?;
        }
        if let StrategyConfig::Endpoint(EndpointConfig::Userinfo(_)) = &self.strategy {
            if !self.audiences.is_empty() {
                return Err(Error::config(
                    "audiences",
                    "a userinfo answer names no audience, so none can be checked; use introspection to check one",
                ));
            }
            self.require_exp = false;
        }
        let policy = ClaimsPolicy {
            issuers: std::iter::once(self.issuer.clone())
                .chain(self.extra_issuers)
                .collect(),
            audiences: self.audiences,
            leeway: self.leeway,
            require_exp: self.require_exp,
            max_lifetime: self.max_lifetime,
            max_age: self.max_age,
        };
        policy.validate_config()?;

        let symmetric = matches!(self.strategy, StrategyConfig::Secret(_));
        let algorithms = match self.algorithms {
            Some(set) if set.is_empty() => {
                return Err(Error::config("algorithms", "the list is empty"));
            }
            Some(set) if symmetric && set.has_asymmetric() => {
                return Err(Error::config(
                    "algorithms",
                    "a shared secret verifies only HS256, HS384 or HS512",
                ));
            }
            Some(set) if !symmetric && set.has_symmetric() => {
                return Err(Error::config(
                    "algorithms",
                    "HS256/384/512 need the symmetric strategy; public-key strategies verify asymmetric algorithms only",
                ));
            }
            Some(set) => set,
            None if symmetric => AlgorithmSet::symmetric(),
            None => AlgorithmSet::asymmetric(),
        };

        let (strategy, keys) = match self.strategy {
            StrategyConfig::Discovery => (
                StrategyKind::OidcDiscovery,
                Keys::Remote(RemoteKeySet::discovery(
                    self.issuer.clone(),
                    self.remote,
                    Arc::clone(&self.clock),
                )?),
            ),
            StrategyConfig::Jwks(url) => (
                StrategyKind::Jwks,
                Keys::Remote(RemoteKeySet::jwks(
                    self.issuer.clone(),
                    &url,
                    self.remote,
                    Arc::clone(&self.clock),
                )?),
            ),
            StrategyConfig::PublicKeys(pending) => {
                let mut keys = Vec::new();
                for key in pending {
                    load_public(key, &mut keys)?;
                }
                for key in &keys {
                    if !algorithms.iter().any(|a| key.supports(a)) {
                        return Err(Error::config(
                            "public_key",
                            format!(
                                "the key ({:?}) fits none of the allowed algorithms {algorithms:?}",
                                key.kind()
                            ),
                        ));
                    }
                }
                let set =
                    KeySet::new(keys).map_err(|e| Error::config("public_key", e.to_string()))?;
                (StrategyKind::Asymmetric, Keys::Static(set))
            }
            StrategyConfig::Secret(secret) => {
                secret.check()?;
                let key = VerificationKey::from_secret(secret.expose())
                    .map_err(|e| Error::config("secret", e.to_string()))?;
                if !algorithms.iter().any(|a| key.supports(a)) {
                    return Err(Error::config(
                        "secret",
                        "the secret is too short for every allowed algorithm (HS384 needs 48 bytes, HS512 64)",
                    ));
                }
                let set =
                    KeySet::new(vec![key]).map_err(|e| Error::config("secret", e.to_string()))?;
                (StrategyKind::Symmetric, Keys::Static(set))
            }
            StrategyConfig::None => {
                if self.profile != Profile::Development {
                    return Err(Error::config(
                        "strategy",
                        "`none` disables signature checks and runs only with profile = \"development\"",
                    ));
                }
                tracing::warn!(
                    issuer = %self.issuer,
                    "signature verification is DISABLED for this issuer (strategy `none`, development only): anyone can mint accepted tokens"
                );
                (StrategyKind::None, Keys::Unverified)
            }
            StrategyConfig::Endpoint(config) => {
                let kind = match config {
                    EndpointConfig::Userinfo(_) => StrategyKind::Userinfo,
                    EndpointConfig::Introspection(_) => StrategyKind::Introspection,
                };
                let endpoint = TokenEndpoint::new(
                    config,
                    &self.issuer,
                    self.remote.fetch.clone(),
                    self.opaque_cache_ttl,
                )?;
                (kind, Keys::Endpoint(Box::new(endpoint)))
            }
        };
        // A shared secret or the development `none` belongs to this application alone.
        let shared_issuer = matches!(
            strategy,
            StrategyKind::OidcDiscovery
                | StrategyKind::Jwks
                | StrategyKind::Asymmetric
                | StrategyKind::Introspection
        );
        if policy.audiences().is_empty() && shared_issuer {
            if !self.any_audience {
                return Err(Error::config(
                    "audiences",
                    "required for a public-key issuer: without one, tokens it minted for any other application are accepted; set the audience your application's tokens carry, or waive the check explicitly (allow_any_audience)",
                ));
            }
            tracing::warn!(
                issuer = %self.issuer,
                "allow_any_audience: no audience is checked for this issuer, so tokens it issued for other applications are accepted too"
            );
        }
        Ok(Verifier {
            closes_at: None,
            inner: Arc::new(Inner {
                namespace: Namespace::of(&self.issuer),
                strategy,
                policy,
                algorithms,
                keys,
                clock: self.clock,
                required_typ: self.required_typ,
                max_token_bytes: self.max_token_bytes,
            }),
        })
    }
}

fn load_public(key: PendingKey, out: &mut Vec<VerificationKey>) -> Result<(), Error> {
    let refuse = |e: Error| Error::config("public_key", e.to_string());
    match key {
        PendingKey::Ready(key) => out.push(key),
        PendingKey::Pem(pem) => out.push(VerificationKey::from_pem(&pem).map_err(refuse)?),
        PendingKey::Jwk(text) => {
            let value = crate::jwt::parse_strict(text.as_bytes())
                .map_err(|_| Error::config("public_key", "not a duplicate-free JSON JWK"))?;
            if value.get("keys").is_some() {
                let (set, skipped) = KeySet::from_jwks(text.as_bytes(), JwkPolicy::PublicOnly, 100)
                    .map_err(refuse)?;
                if let Some(reason) = skipped.first() {
                    return Err(Error::config("public_key", reason.clone()));
                }
                out.extend(set.keys().cloned());
            } else {
                if value.get("d").is_some() || value.get("k").is_some() {
                    return Err(Error::config(
                        "public_key",
                        "the JWK holds private or symmetric key material; configure the public key",
                    ));
                }
                out.push(VerificationKey::from_jwk(&value, JwkPolicy::PublicOnly).map_err(refuse)?);
            }
        }
    }
    Ok(())
}

/// An issuer is a StringOrURI (RFC 7519 §4.1.1): a URL when it contains `:`, otherwise a
/// plain name such as Google's `accounts.google.com`.
fn check_issuer(issuer: &str, field: &str) -> Result<(), Error> {
    if issuer.is_empty() || issuer.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::config(field, "empty or contains whitespace"));
    }
    if issuer.contains(':') {
        let url = url::Url::parse(issuer).map_err(|_| Error::config(field, "not a valid URL"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(
                field,
                "an issuer URL has no query or fragment",
            ));
        }
    }
    Ok(())
}
