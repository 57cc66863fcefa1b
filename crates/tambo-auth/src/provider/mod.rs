//! Providers: how a token of one identity provider is verified and how its claims become a
//! [`TamboUser`]; a generic OIDC provider; and the registry that routes a token to exactly
//! one provider by its (unverified) `iss` before verifying it fully.
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

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::jwt::{Jws, MAX_TOKEN_BYTES};
use crate::keys::KeySetStatus;
use crate::verify::{VerifiedToken, Verifier};
use crate::{Error, TamboUser};
use url::{Host, Url};

/// An identity provider: its verification settings and its claim mapping.
///
/// Adapter crates implement this; most only override [`map_claims`](Provider::map_claims)
/// to add their checks (Clerk's `azp`, Supabase's `role`) and their tenant rule.
#[async_trait]
pub trait Provider: Send + Sync + Debug + 'static {
    /// A short name for logs and the `TamboUser` (`auth0`, `clerk`...).
    fn name(&self) -> &str;

    /// The verifier holding this provider's issuer, keys and claim rules.
    fn verifier(&self) -> &Verifier;

    /// Turns verified claims into a user, or refuses them by policy.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        TamboUser::from_claims_in(
            self.name(),
            self.verifier().issuer_forms(),
            token.claims().clone(),
        )
        .ok_or(Error::MissingClaim { claim: "sub" })
    }

    /// Explains an input that is not a JWT the way this provider's integrators need
    /// (which token to send instead). Called for opaque and encrypted inputs.
    fn explain_non_jwt(&self, error: Error) -> Error {
        error
    }

    /// Verifies a parsed token and maps it.
    async fn authenticate_jws(&self, jws: &Jws<'_>) -> Result<TamboUser, Error> {
        let verified = self.verifier().verify_jws(jws).await?;
        self.map_claims(&verified)
    }

    /// [`authenticate_jws`](Provider::authenticate_jws) without waiting, when the keys are at
    /// hand (static keys, or a fresh key set that knows the token's `kid`): the layer's direct
    /// mode then answers without a boxed future. `None` means "call `authenticate_jws`".
    ///
    /// The default is `None`, so a provider that adds checks to `authenticate_jws` never has
    /// them skipped; one that keeps the default flow answers with [`authenticate_now`], one
    /// with checks of its own runs them first, as [`OidcProvider`] and the adapter crates do.
    fn authenticate_jws_now(&self, jws: &Jws<'_>) -> Option<Result<TamboUser, Error>> {
        let _ = jws;
        None
    }

    /// Verifies a compact token and maps it.
    async fn authenticate(&self, token: &str) -> Result<TamboUser, Error> {
        let jws = Jws::parse(token).map_err(|e| match e {
            Error::Opaque { .. } | Error::Encrypted { .. } => self.explain_non_jwt(e),
            other => other,
        })?;
        self.authenticate_jws(&jws).await
    }
}

/// The default flow of [`Provider::authenticate_jws`] (verify, then
/// [`map_claims`](Provider::map_claims)) without waiting; `None` when the keys need a fetch.
/// For implementations of [`Provider::authenticate_jws_now`].
pub fn authenticate_now<P: Provider + ?Sized>(
    provider: &P,
    jws: &Jws<'_>,
) -> Option<Result<TamboUser, Error>> {
    let verified = provider.verifier().verify_jws_now(jws)?;
    Some(verified.and_then(|verified| provider.map_claims(&verified)))
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
        return Err(refuse("an origin has no path, query or fragment"));
    }
    // Lowercases the host and drops a default port; no trailing slash, as in Clerk's tokens.
    Ok(url.origin().ascii_serialization())
}

/// What a provider preset from configuration (`[projects.provider]`) needs besides its own
/// settings. Adapter crates take it in their `Settings::build`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PresetOptions {
    /// The deployment profile (development permits insecure options, loudly).
    pub profile: crate::Profile,
    /// Permits plain http to loopback identity providers (tests, development).
    pub allow_loopback_http: bool,
    /// The clock verifiers use.
    pub clock: crate::clock::SharedClock,
}

impl Default for PresetOptions {
    fn default() -> Self {
        Self {
            profile: crate::Profile::Production,
            allow_loopback_http: false,
            clock: std::sync::Arc::new(crate::clock::SystemClock),
        }
    }
}

impl PresetOptions {
    /// Sets the profile.
    #[must_use]
    pub fn profile(mut self, profile: crate::Profile) -> Self {
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
    pub fn clock(mut self, clock: crate::clock::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Applies these options to a verifier builder.
    pub fn apply(&self, builder: crate::verify::VerifierBuilder) -> crate::verify::VerifierBuilder {
        builder
            .profile(self.profile)
            .allow_loopback_http(self.allow_loopback_http)
            .clock(std::sync::Arc::clone(&self.clock))
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

#[async_trait]
impl Provider for OidcProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn authenticate_jws_now(&self, jws: &Jws<'_>) -> Option<Result<TamboUser, Error>> {
        authenticate_now(self, jws)
    }
}

/// Routes each token to the one provider configured for its `iss`, then verifies it there.
///
/// The unverified `iss` only chooses; the chosen provider checks everything, the issuer
/// included. A token naming an unconfigured issuer is refused with no outbound request, so
/// `iss` can never steer discovery (RFC 8725 §3.10, security bar A-36).
#[derive(Debug, Clone)]
pub struct ProviderRegistry {
    /// Configured issuers only: the table never grows with input, so a fast hash is safe.
    by_issuer: Arc<HashMap<String, Arc<dyn Provider>, foldhash::fast::RandomState>>,
    providers: Arc<Vec<Arc<dyn Provider>>>,
}

/// Builds a [`ProviderRegistry`].
#[derive(Debug, Default)]
#[must_use]
pub struct ProviderRegistryBuilder {
    providers: Vec<Arc<dyn Provider>>,
}

impl ProviderRegistryBuilder {
    /// Adds a provider.
    pub fn provider(mut self, provider: impl Provider) -> Self {
        self.providers.push(Arc::new(provider));
        self
    }

    /// Adds a shared provider.
    pub fn shared(mut self, provider: Arc<dyn Provider>) -> Self {
        self.providers.push(provider);
        self
    }

    /// Builds the registry; two providers claiming one issuer is a configuration error.
    pub fn build(self) -> Result<ProviderRegistry, Error> {
        let mut by_issuer = HashMap::default();
        for provider in &self.providers {
            for issuer in provider.verifier().issuers() {
                if by_issuer
                    .insert(issuer.clone(), Arc::clone(provider))
                    .is_some()
                {
                    return Err(Error::config(
                        "providers",
                        format!("two providers are configured for the issuer {issuer}"),
                    ));
                }
            }
        }
        Ok(ProviderRegistry {
            by_issuer: Arc::new(by_issuer),
            providers: Arc::new(self.providers),
        })
    }
}

impl ProviderRegistry {
    /// Starts a registry.
    pub fn builder() -> ProviderRegistryBuilder {
        ProviderRegistryBuilder::default()
    }

    /// The provider for a token, chosen by its unverified `iss`.
    pub fn route(&self, jws: &Jws<'_>) -> Result<&Arc<dyn Provider>, Error> {
        let claims = jws.claims_ref()?;
        self.by_issuer
            .get(claims.required_iss()?)
            .ok_or(Error::UnknownIssuer)
    }

    /// Parses, routes, verifies and maps a token.
    pub async fn authenticate(&self, token: &str) -> Result<TamboUser, Error> {
        let jws = self.parse(token)?;
        self.route(&jws)?.authenticate_jws(&jws).await
    }

    /// Parses `token` for routing; with a single provider, its explanation of a non-JWT input.
    pub(crate) fn parse<'t>(&self, token: &'t str) -> Result<Jws<'t>, Error> {
        match Jws::parse_with_limit(token, MAX_TOKEN_BYTES) {
            Ok(jws) => Ok(jws),
            Err(e @ (Error::Opaque { .. } | Error::Encrypted { .. })) => {
                Err(match self.providers.as_slice() {
                    [only] => only.explain_non_jwt(e),
                    _ => e,
                })
            }
            Err(e) => Err(e),
        }
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
