//! Providers: how a token of one identity provider is verified and how its claims become a
//! [`TamboUser`]; a generic OIDC provider; and the registry that routes a token to exactly
//! one provider by its (unverified) `iss` before verifying it fully.
//!
//! A provider is a set of hooks ([`Provider`]): its name, its verifier, a precheck of the
//! unverified token, the mapping of verified claims to a user, and the hints that explain an
//! input that is not a JWT. The core builds the one verification path from them
//! ([`ProviderExt`]); no provider writes its own.
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::{OidcProvider, ProviderRegistry, Verifier};
//!
//! let auth0 = OidcProvider::new(
//!     "auth0",
//!     Verifier::builder("https://example.us.auth0.com/")
//!         .audience("https://api.example.com")
//!         .build()?,
//! );
//! let registry = ProviderRegistry::builder().provider(auth0).build()?;
//! let user = registry.authenticate(token).await?;
//! println!("{}", user.context_key());
//! # Ok(()) }
//! ```

mod migration;

pub use migration::{MigrationStatus, PathRole};

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use migration::MigrationPath;

use serde_json::Value;
use url::{Host, Url};

use crate::clock::{SharedClock, SystemClock};
use crate::jwt::{Claims, Jws, MAX_TOKEN_BYTES};
use crate::keys::KeySetStatus;
use crate::user::{Namespace, Origin};
use crate::verify::{Profile, VerifiedToken, Verifier};
use crate::{Error, TamboUser};

/// An identity provider, as hooks the core's verification path calls in this order:
/// [`precheck`](Provider::precheck) on the parsed but unverified token (or
/// [`precheck_opaque`](Provider::precheck_opaque) on an opaque one), the
/// [`verifier`](Provider::verifier)'s checks, then [`map_claims`](Provider::map_claims).
/// Inputs that are not signed JWTs are explained by
/// [`explain_non_jwt`](Provider::explain_non_jwt) with the provider's [`hints`](Provider::hints).
///
/// Adapter crates implement this; most implement only `name`, `verifier`, `hints` and
/// `map_claims` (Clerk's `azp`, Supabase's `role`, a tenant of their own). Authenticate with
/// [`ProviderExt::authenticate`] or through a [`ProviderRegistry`].
pub trait Provider: Send + Sync + Debug + 'static {
    /// A short name for logs and the `TamboUser` (`auth0`, `clerk`...).
    fn name(&self) -> &str;

    /// The verifier holding this provider's issuer, keys and claim rules.
    fn verifier(&self) -> &Verifier;

    /// Refusals decided on the unverified token, before any key is looked up: a token this
    /// provider's integrators send by mistake (a project API key, a session cookie signed
    /// with the app secret) named for what it is. Nothing here may accept a token. The
    /// default refuses nothing.
    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        let _ = jws;
        Ok(())
    }

    /// Refusals decided on an opaque token before it is sent to the identity provider (under
    /// the `userinfo` and `introspection` strategies): a kind of token the provider marks by
    /// its form (GitHub's `ghs_` installation tokens, `ghr_` refresh tokens) named for what
    /// it is, and never sent. Nothing here may accept a token. The default refuses nothing.
    fn precheck_opaque(&self, token: &str) -> Result<(), Error> {
        let _ = token;
        Ok(())
    }

    /// Turns verified claims into a user, or refuses them by policy. The default is
    /// [`VerifiedToken::user`]: `sub`, and the context key in the issuer's namespace with
    /// Tambo's tenant rule.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        token.user(self.name())
    }

    /// The namespace of the context keys [`map_claims`](Provider::map_claims) gives; the
    /// default is the verifier's (its issuer's). A [`ProviderRegistry`] refuses two
    /// providers with one namespace, whose users' keys could collide. Override it with
    /// `map_claims` when that uses another.
    fn namespace(&self) -> &Namespace {
        self.verifier().namespace()
    }

    /// The scopes the user holds at this provider. An exchange grants the requested scopes
    /// that the project may grant *and* the user holds: the project's API key is public
    /// (browsers hold it), so asking must not be enough. The default is
    /// [`standard_scopes`]; adapters read their provider's own claims.
    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        standard_scopes(claims)
    }

    /// Issuers of tokens this provider's integrators send by mistake and that it never
    /// accepts (Entra's v1.0 issuer `https://sts.windows.net/<tenant>/` beside its v2.0 one).
    /// A [`ProviderRegistry`] routes them here rather than answering "no provider for this
    /// issuer", so that [`precheck`](Provider::precheck) can say which token to send instead;
    /// the verifier, which does not list them, refuses them anyway. The default is none.
    fn refused_issuers(&self) -> &[String] {
        &[]
    }

    /// Which token to send instead of an opaque or encrypted one.
    fn hints(&self) -> Hints {
        Hints::default()
    }

    /// Explains an `input` that did not parse as a compact JWS (`error` says why) the way
    /// this provider's integrators need. The default adds [`hints`](Provider::hints) to
    /// opaque and encrypted inputs.
    fn explain_non_jwt(&self, input: &str, error: Error) -> Error {
        let _ = input;
        self.hints().explain(error)
    }
}

/// The scopes a token's standard claims give its subject: `scope` (space-delimited, RFC 8693
/// §4.2, RFC 9068 §2.2.3), `scp` (a string or an array, as Microsoft Entra and Okta write it)
/// and `permissions` (an array, as Auth0's RBAC and WorkOS write it).
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth::provider::standard_scopes;
///
/// let claims = Claims::from_json(br#"{"scope":"openid read:threads","permissions":["write:threads"]}"#)?;
/// assert_eq!(standard_scopes(&claims), ["openid", "read:threads", "write:threads"]);
/// # Ok::<(), tambo_auth::Error>(())
/// ```
pub fn standard_scopes(claims: &Claims) -> Vec<String> {
    ["scope", "scp", "permissions"]
        .into_iter()
        .flat_map(|name| scope_list(claims, name))
        .collect()
}

/// The claim `name` as a list of scope names: a space-delimited string or an array of
/// strings; anything else holds none.
pub fn scope_list(claims: &Claims, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::String(text)) => text
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        value => string_array(value),
    }
}

/// The strings of a JSON array (a claim such as Auth0's `permissions` or Keycloak's `roles`);
/// its other members, and anything that is not an array, hold none.
///
/// ```
/// use tambo_auth::provider::string_array;
///
/// let roles = serde_json::json!(["admin", 7, "editor"]);
/// assert_eq!(string_array(Some(&roles)), ["admin", "editor"]);
/// assert!(string_array(Some(&serde_json::json!("admin"))).is_empty());
/// ```
pub fn string_array(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A provider's explanation of inputs that are not signed JWTs: which token to send instead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hints {
    /// For an opaque input (a session id, an opaque access token, an API key).
    pub opaque: Option<&'static str>,
    /// For an encrypted input (a JWE, five segments).
    pub encrypted: Option<&'static str>,
}

impl Hints {
    /// The same hint for both kinds of input.
    pub const fn both(hint: &'static str) -> Hints {
        Hints {
            opaque: Some(hint),
            encrypted: Some(hint),
        }
    }

    /// Hints for opaque and for encrypted inputs.
    pub const fn new(opaque: Option<&'static str>, encrypted: Option<&'static str>) -> Hints {
        Hints { opaque, encrypted }
    }

    /// `error` with the hint for its kind of input, when there is one.
    pub fn explain(self, error: Error) -> Error {
        match error {
            Error::Opaque { hint: None } if self.opaque.is_some() => {
                Error::Opaque { hint: self.opaque }
            }
            Error::Encrypted { hint: None } if self.encrypted.is_some() => Error::Encrypted {
                hint: self.encrypted,
            },
            other => other,
        }
    }
}

/// The verification path every [`Provider`] gets from the core, built from its hooks. It is
/// implemented for every provider and cannot be overridden, so a check added to a hook
/// applies to every way a token reaches the provider.
pub trait ProviderExt: Provider {
    /// Parses a compact token, verifies it and maps it. Under the `userinfo` and
    /// `introspection` strategies an opaque token goes to the identity provider
    /// ([`authenticate_opaque`](ProviderExt::authenticate_opaque)).
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
    ) -> impl Future<Output = Result<TamboUser, Error>> + Send + 'a {
        async move {
            match Jws::parse(token) {
                Ok(jws) => self.authenticate_jws(&jws).await,
                Err(Error::Opaque { .. }) if self.verifier().strategy().asks_provider() => {
                    self.authenticate_opaque(token).await
                }
                Err(e) => Err(self.explain_non_jwt(token, e)),
            }
        }
    }

    /// Asks the identity provider about an opaque token ([`Verifier::verify_opaque`]) and
    /// maps its answer with [`map_claims`](Provider::map_claims). Ready at its first poll
    /// when the answer is cached.
    fn authenticate_opaque<'a>(
        &'a self,
        token: &'a str,
    ) -> impl Future<Output = Result<TamboUser, Error>> + Send + 'a {
        async move {
            self.precheck_opaque(token)?;
            let verified = self
                .verifier()
                .verify_opaque(token)
                .await
                .map_err(|e| self.explain_non_jwt(token, e))?;
            mapped(self, &verified)
        }
    }

    /// Verifies a parsed token and maps it: [`precheck`](Provider::precheck), the verifier,
    /// [`map_claims`](Provider::map_claims). Ready at its first poll unless the provider's
    /// keys must be fetched.
    fn authenticate_jws<'a>(
        &'a self,
        jws: &'a Jws<'_>,
    ) -> impl Future<Output = Result<TamboUser, Error>> + Send + 'a {
        async move {
            self.precheck(jws)?;
            let verified = self.verifier().verify_jws(jws).await?;
            mapped(self, &verified)
        }
    }
}

impl<P: Provider + ?Sized> ProviderExt for P {}

/// The provider's user for a verified token, marked with what verified it.
fn mapped<P: Provider + ?Sized>(
    provider: &P,
    verified: &VerifiedToken,
) -> Result<TamboUser, Error> {
    let user = provider.map_claims(verified)?;
    let origin = Origin::Provider {
        verifier: verified.verifier().clone(),
        key: verified.key().cloned(),
    };
    Ok(user.verified_by(origin))
}

/// Refuses a user an identity provider's admin marked `banned: true` (Better Auth's admin
/// plugin, Neon Auth), with `how_to_lift` telling the operator what to do.
pub fn refuse_banned(
    provider: &'static str,
    claims: &Claims,
    how_to_lift: &str,
) -> Result<(), Error> {
    if claims.is_true("banned") {
        return Err(Error::rejected(
            provider,
            format!("the user is banned (`banned: true`); {how_to_lift}"),
        ));
    }
    Ok(())
}

/// Checks a claim against an allowlist setting (`authorized_parties`, `allowed_tenants`…): an
/// empty list allows every token; otherwise the claim must be present and listed. `unlisted`
/// explains a value that is not listed, `absent` a token without the claim.
///
/// ```
/// use tambo_auth::provider::require_listed;
///
/// let allowed = vec!["web".to_owned()];
/// assert!(require_listed("idp", &allowed, Some("web"), |_| String::new(), "").is_ok());
/// let refused = require_listed("idp", &allowed, Some("cli"), |c| format!("{c} is not listed"), "")
///     .unwrap_err();
/// assert_eq!(refused.kind(), tambo_auth::ErrorKind::ClaimRejected);
/// assert!(require_listed("idp", &[], None, |_| String::new(), "").is_ok());
/// ```
pub fn require_listed(
    provider: &'static str,
    allowed: &[String],
    value: Option<&str>,
    unlisted: impl FnOnce(&str) -> String,
    absent: &str,
) -> Result<(), Error> {
    match value {
        _ if allowed.is_empty() => Ok(()),
        Some(value) if allowed.iter().any(|a| a == value) => Ok(()),
        Some(value) => Err(Error::rejected(provider, unlisted(value))),
        None => Err(Error::rejected(provider, absent)),
    }
}

/// Checks a list setting of names (client ids, audiences, tenants): each entry is `what`, not
/// empty and without whitespace; the error names `field`.
///
/// ```
/// use tambo_auth::provider::check_names;
///
/// assert!(check_names("client_ids", &["web".to_owned()], "a client id").is_ok());
/// let error = check_names("client_ids", &["we b".to_owned()], "a client id").unwrap_err();
/// assert_eq!(error.kind(), tambo_auth::ErrorKind::Configuration);
/// ```
pub fn check_names(field: &str, names: &[String], what: &str) -> Result<(), Error> {
    if names
        .iter()
        .any(|n| n.is_empty() || n.chars().any(char::is_whitespace))
    {
        return Err(Error::config(
            field,
            format!("each entry is {what}, not empty and without whitespace"),
        ));
    }
    Ok(())
}

/// The origin of `input` (a configured issuer host, frontend API or allowed party): a bare host
/// (`clerk.acme.com`, https assumed) or a URL whose path is empty or `/`, returned as
/// `scheme://host[:port]` with the host lowercased, the default port dropped and no trailing
/// slash. `http://` is accepted for loopback hosts only, and only with `allow_http_loopback`
/// (the testkit IdP, a local frontend). Errors name `field` and show `example`.
///
/// ```
/// use tambo_auth::provider::origin;
///
/// let o = origin("Clerk.Acme.com", "frontend_api", "https://clerk.acme.com", false).unwrap();
/// assert_eq!(o, "https://clerk.acme.com");
/// assert!(origin("https://acme.com/path", "frontend_api", "https://clerk.acme.com", false).is_err());
/// ```
pub fn origin(
    input: &str,
    field: &str,
    example: &str,
    allow_http_loopback: bool,
) -> Result<String, Error> {
    let input = input.trim();
    let refuse = |reason: &str| Error::Configuration {
        field: field.into(),
        reason: format!("{reason} (got {input:?}); expected an origin like `{example}`"),
    };
    if input.is_empty() {
        return Err(refuse("empty"));
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| refuse("not a host or URL"))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_http_loopback => {}
        _ => {
            return Err(refuse(
                "only https (or http on a loopback host where allowed)",
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials do not belong in an origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            field,
            format!(
                "an origin has no path, query or fragment (got {input:?}): use `{}`",
                url.origin().ascii_serialization()
            ),
        ));
    }
    // Lowercases the host and drops a default port; no trailing slash, as in Clerk's tokens.
    Ok(url.origin().ascii_serialization())
}

/// The settings every provider takes from its deployment rather than from its own
/// configuration: one value handed to each adapter's builder (`.options(…)`) and to
/// [`VerifierBuilder::options`](crate::verify::VerifierBuilder::options).
///
/// ```
/// use tambo_auth::{Profile, ProviderOptions};
///
/// let options = ProviderOptions::default()
///     .profile(Profile::Development)
///     .allow_loopback_http(true);
/// assert!(options.allow_loopback_http);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderOptions {
    /// The deployment profile (development permits insecure options, loudly).
    pub profile: Profile,
    /// Permits plain http to loopback identity providers (tests, development).
    pub allow_loopback_http: bool,
    /// The clock verifiers use.
    pub clock: SharedClock,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        Self {
            profile: Profile::Production,
            allow_loopback_http: false,
            clock: Arc::new(SystemClock),
        }
    }
}

impl ProviderOptions {
    /// Sets the profile.
    #[must_use]
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Permits plain http to loopback identity providers.
    #[must_use]
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.allow_loopback_http = allow;
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
}

/// A provider for any OpenID Connect issuer: the verifier's checks and the default mapping.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    name: String,
    verifier: Verifier,
}

impl OidcProvider {
    /// A provider named `name` that verifies with `verifier`.
    pub fn new(name: impl Into<String>, verifier: Verifier) -> Self {
        Self {
            name: name.into(),
            verifier,
        }
    }
}

impl Provider for OidcProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

/// Routes each token to the one provider configured for its `iss`, then verifies it there.
///
/// The unverified `iss` only chooses; the chosen provider checks everything, the issuer
/// included. A token naming an unconfigured issuer is refused with no outbound request, so
/// `iss` can never steer discovery (RFC 8725 §3.10, docs/security.md A-36).
///
/// An opaque token carries no `iss`: it goes to the one provider whose strategy asks its
/// identity provider (`userinfo` or `introspection`), when there is one.
///
/// A [migration window](ProviderRegistryBuilder::migration) gives one provider's users two
/// paths until a date; its issuer routes to both, and the token's `alg` picks the path.
#[derive(Debug, Clone)]
pub struct ProviderRegistry {
    /// Configured issuers only: the table never grows with input. One provider per issuer,
    /// or the paths of one migration window (current first).
    by_issuer: Arc<HashMap<String, Vec<Arc<dyn Provider>>>>,
    /// Every provider, both paths of a window included.
    providers: Arc<Vec<Arc<dyn Provider>>>,
    /// The provider for opaque tokens.
    opaque: Option<Arc<dyn Provider>>,
    /// The one provider that explains inputs that are not JWTs, when only one is configured.
    explains: Option<Arc<dyn Provider>>,
    /// The paths of migration windows, for their status.
    paths: Arc<Vec<Arc<MigrationPath>>>,
}

/// A presented token as a [`ProviderRegistry`] sees it before verifying it.
#[derive(Debug)]
pub enum Presented<'r, 't> {
    /// A compact JWS, to [`route`](ProviderRegistry::route) by its `iss`.
    Jws(Jws<'t>),
    /// An opaque token, for the provider that asks its identity provider about them.
    Opaque(&'r Arc<dyn Provider>),
}

/// Builds a [`ProviderRegistry`].
#[derive(Debug, Default)]
#[must_use]
pub struct ProviderRegistryBuilder {
    /// One provider, or the paths of a migration window (current first).
    entries: Vec<Vec<Arc<dyn Provider>>>,
    paths: Vec<Arc<MigrationPath>>,
}

impl ProviderRegistryBuilder {
    /// Adds a provider.
    pub fn provider(self, provider: impl Provider) -> Self {
        self.shared(Arc::new(provider))
    }

    /// Adds a shared provider.
    pub fn shared(mut self, provider: Arc<dyn Provider>) -> Self {
        self.entries.push(vec![provider]);
        self
    }

    /// Adds `current`, and accepts until `until` the tokens of `previous`: a second way the
    /// same users' tokens are verified while they move to `current` (Supabase's legacy HS256
    /// secret beside its signing keys; an old and a new issuer of one tenant). A token of
    /// `previous` maps to the user `current` would give: its context key is derived in
    /// `current`'s namespace, so each user keeps their threads.
    ///
    /// When both paths take a token's issuer, its `alg` chooses: the first path whose
    /// allowlist holds it, `current` first. From `until` on (by `previous`'s clock), tokens of
    /// `previous` are refused, naming the date; [`build`](Self::build) logs a warning when the
    /// date has passed, so the path can be removed. Each path counts the tokens it verified
    /// ([`ProviderRegistry::migrations`]): when `previous` falls silent, the move is done.
    ///
    /// ```
    /// # fn main() -> Result<(), tambo_auth::Error> {
    /// use std::sync::Arc;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use tambo_auth::verify::Secret;
    /// use tambo_auth::{OidcProvider, ProviderRegistry, Verifier};
    ///
    /// const ISSUER: &str = "https://abcdefghijklmnopqrst.supabase.co/auth/v1";
    /// let signing_keys = OidcProvider::new(
    ///     "supabase",
    ///     Verifier::builder(ISSUER).audience("authenticated").build()?,
    /// );
    /// let legacy_secret = OidcProvider::new(
    ///     "supabase",
    ///     Verifier::builder(ISSUER)
    ///         .shared_secret(Secret::from_utf8("the-project's-legacy-jwt-secret-0123456789"))
    ///         .build()?,
    /// );
    /// let until = UNIX_EPOCH + Duration::from_secs(1_801_440_000); // 2027-01-31
    /// let registry = ProviderRegistry::builder()
    ///     .migration(Arc::new(signing_keys), Arc::new(legacy_secret), until)
    ///     .build()?;
    /// assert_eq!(registry.migrations().len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn migration(
        mut self,
        current: Arc<dyn Provider>,
        previous: Arc<dyn Provider>,
        until: SystemTime,
    ) -> Self {
        let namespace = current.namespace().clone();
        let paths = [(current, PathRole::Current), (previous, PathRole::Previous)].map(
            |(provider, role)| {
                Arc::new(MigrationPath::new(provider, role, namespace.clone(), until))
            },
        );
        self.paths.extend(paths.iter().cloned());
        self.entries.push(
            paths
                .into_iter()
                .map(|path| path as Arc<dyn Provider>)
                .collect(),
        );
        self
    }

    /// Builds the registry, routing each provider's issuers and
    /// [refused issuers](Provider::refused_issuers) to it. Two providers claiming one issuer,
    /// or whose issuers map to one context-key namespace (`https://idp.example`, `http://idp.example` and `idp.example`
    /// do; so do `urn:a:b` and `urn_a_b`), are a configuration error: one provider's user
    /// could otherwise act as another's. So are two providers for opaque tokens, which carry
    /// nothing to route by.
    pub fn build(self) -> Result<ProviderRegistry, Error> {
        let mut by_issuer: HashMap<String, Vec<Arc<dyn Provider>>> = HashMap::new();
        let mut by_namespace: HashMap<&str, &Arc<dyn Provider>> = HashMap::new();
        let mut opaque: Option<Arc<dyn Provider>> = None;
        for paths in &self.entries {
            let mut issuers: Vec<&String> = Vec::new();
            for path in paths {
                let routed = path.verifier().issuers().iter();
                for issuer in routed.chain(path.refused_issuers()) {
                    if !issuers.contains(&issuer) {
                        issuers.push(issuer);
                    }
                }
            }
            for issuer in issuers {
                if by_issuer.contains_key(issuer) {
                    return Err(Error::config(
                        "providers",
                        format!("two providers are configured for the issuer {issuer}"),
                    ));
                }
                let routes = paths.iter().filter(|path| {
                    path.verifier().issuers().contains(issuer)
                        || path.refused_issuers().contains(issuer)
                });
                by_issuer.insert(issuer.clone(), routes.cloned().collect());
            }
            let provider = &paths[0];
            if let Some(other) = by_namespace.insert(provider.namespace().as_str(), provider) {
                return Err(Error::config(
                    "providers",
                    format!(
                        "the issuers {} and {} map to one context-key namespace ({}): their users' keys would collide",
                        other.namespace().issuer(),
                        provider.namespace().issuer(),
                        provider.namespace().as_str()
                    ),
                ));
            }
        }
        for provider in self.entries.iter().flatten() {
            if provider.verifier().strategy().asks_provider()
                && let Some(other) = opaque.replace(Arc::clone(provider))
            {
                return Err(Error::config(
                    "providers",
                    format!(
                        "two providers take opaque tokens ({} and {}), and an opaque token carries no issuer to choose between them",
                        other.name(),
                        provider.name()
                    ),
                ));
            }
        }
        for path in &self.paths {
            path.warn_if_closed();
        }
        let explains = match self.entries.as_slice() {
            [only] => Some(Arc::clone(&only[0])),
            _ => None,
        };
        Ok(ProviderRegistry {
            by_issuer: Arc::new(by_issuer),
            providers: Arc::new(self.entries.into_iter().flatten().collect()),
            opaque,
            explains,
            paths: Arc::new(self.paths),
        })
    }
}

impl ProviderRegistry {
    /// Starts a registry.
    pub fn builder() -> ProviderRegistryBuilder {
        ProviderRegistryBuilder::default()
    }

    /// The provider for a token, chosen by its unverified `iss` (and, for the issuer of a
    /// migration window, its `alg`).
    pub fn route(&self, jws: &Jws<'_>) -> Result<&Arc<dyn Provider>, Error> {
        let routes = self
            .by_issuer
            .get(jws.claims()?.required_iss()?)
            .ok_or(Error::UnknownIssuer)?;
        let takes_alg = |path: &&Arc<dyn Provider>| {
            jws.header()
                .alg()
                .is_ok_and(|alg| path.verifier().algorithms().contains(alg))
        };
        match routes.as_slice() {
            [only] => Ok(only),
            _ => routes
                .iter()
                .find(takes_alg)
                .or(routes.first())
                .ok_or(Error::UnknownIssuer),
        }
    }

    /// How each path of each migration window is used, current paths first within a window.
    pub fn migrations(&self) -> Vec<MigrationStatus> {
        self.paths.iter().map(|path| path.status()).collect()
    }

    /// Parses, routes, verifies and maps a token.
    pub async fn authenticate(&self, token: &str) -> Result<TamboUser, Error> {
        match self.parse(token)? {
            Presented::Jws(jws) => self.route(&jws)?.authenticate_jws(&jws).await,
            Presented::Opaque(provider) => provider.authenticate_opaque(token).await,
        }
    }

    /// Parses `token` for routing (at most `limit` bytes): a compact JWS, or an opaque token
    /// when a provider takes them. Otherwise, with a single provider, its explanation of an
    /// input that is not a compact JWS.
    pub fn parse_with_limit<'r, 't>(
        &'r self,
        token: &'t str,
        limit: usize,
    ) -> Result<Presented<'r, 't>, Error> {
        match (Jws::parse_with_limit(token, limit), &self.opaque) {
            (Ok(jws), _) => Ok(Presented::Jws(jws)),
            (Err(Error::Opaque { .. }), Some(provider)) => Ok(Presented::Opaque(provider)),
            (Err(e), _) => Err(match &self.explains {
                Some(only) => only.explain_non_jwt(token, e),
                None => e,
            }),
        }
    }

    /// [`parse_with_limit`](Self::parse_with_limit) with the default 8 KiB limit.
    pub fn parse<'r, 't>(&'r self, token: &'t str) -> Result<Presented<'r, 't>, Error> {
        self.parse_with_limit(token, MAX_TOKEN_BYTES)
    }

    /// Every provider, in the order added.
    pub fn providers(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.providers.iter()
    }

    /// Readiness per issuer.
    pub fn status(&self) -> Vec<KeySetStatus> {
        self.providers
            .iter()
            .map(|p| p.verifier().status())
            .collect()
    }

    /// Loads every remote key set now, concurrently; returns the failures.
    pub async fn warm_up(&self) -> Vec<Error> {
        let results = futures_util::future::join_all(
            self.providers
                .iter()
                .map(|p| async move { p.verifier().warm_up().await }),
        )
        .await;
        results.into_iter().filter_map(Result::err).collect()
    }
}

#[cfg(test)]
mod origin_tests {

    use super::origin;

    #[test]
    fn hosts_and_urls_become_origins_without_a_trailing_slash() {
        for input in [
            "clerk.acme.com",
            "https://clerk.acme.com",
            "https://clerk.acme.com/",
            "https://Clerk.Acme.com:443",
        ] {
            assert_eq!(
                origin(input, "frontend_api", "", false).expect(input),
                "https://clerk.acme.com"
            );
        }
        assert_eq!(
            origin("http://localhost:3000/", "authorized_parties", "", true).expect("local"),
            "http://localhost:3000"
        );
    }

    #[test]
    fn paths_and_plain_http_are_refused() {
        for input in [
            "",
            "https://clerk.acme.com/v1",
            "http://clerk.acme.com",
            "https://app.acme.com/#x",
        ] {
            assert!(origin(input, "frontend_api", "", true).is_err(), "{input}");
        }
        assert!(origin("http://localhost:3000", "authorized_parties", "", false).is_err());
    }
}
