//! [`Auth0Provider`] and its builder.

use std::time::Duration;

use async_trait::async_trait;
use tambo_auth::clock::SharedClock;
use tambo_auth::jwt::Jws;
use tambo_auth::{Algorithm, Error, PresetOptions, Provider, TamboUser, VerifiedToken, Verifier};

use crate::Auth0Claims;
use crate::issuer::auth0_issuer;

/// What an encrypted input means with Auth0, and which token to send instead.
pub(crate) const ENCRYPTED_HINT: &str = "Auth0 returns an encrypted token (JWE, `alg: dir`, five segments) when the access token is requested without an audience; request it with your API identifier as `audience` (auth0-spa-js/auth0-react: getAccessTokenSilently({ authorizationParams: { audience } }); nextjs-auth0: authorizationParameters.audience) and send that access token";

/// What an opaque input means with Auth0, and which token to send instead.
pub(crate) const OPAQUE_HINT: &str = "Auth0 issues opaque access tokens, good only for its /userinfo endpoint, when no audience was requested; request the access token with your API identifier as `audience` and send that JWT";

/// Verifies Auth0 access tokens for one API and maps them to users.
///
/// - issuer `https://<domain>/` (trailing slash, compared exactly), plus each custom domain;
/// - keys from the tenant domain's OpenID Connect discovery (one key set for every domain:
///   custom domains are the same tenant, signed with the same keys);
/// - RS256 only by default (PS256 on request; HS256 refused);
/// - `aud` (string or array) must contain the API identifier;
/// - tenant: `org_id`, so each Auth0 Organization is its own user namespace, as in Tambo.
///
/// Build it with [`Auth0Provider::builder`].
#[derive(Debug, Clone)]
pub struct Auth0Provider {
    verifier: Verifier,
}

impl Auth0Provider {
    /// Starts configuring a provider for the tenant at `domain`: `acme.us.auth0.com`, or the
    /// issuer itself (`https://acme.us.auth0.com/`). Use the domain your frontend logs in
    /// through: its host names the users' context keys.
    pub fn builder(domain: impl Into<String>) -> Auth0ProviderBuilder {
        Auth0ProviderBuilder {
            domain: domain.into(),
            audience: None,
            custom_domains: Vec::new(),
            algorithms: vec![Algorithm::RS256],
            leeway: None,
            max_lifetime: None,
            options: PresetOptions::default(),
        }
    }

    /// The primary issuer, `https://<domain>/`.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }
}

#[async_trait]
impl Provider for Auth0Provider {
    fn name(&self) -> &str {
        "auth0"
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// `sub` as is (`auth0|…`, `google-oauth2|…`, `<client>@clients`), tenant `org_id`, and
    /// the primary issuer as namespace whichever of the tenant's domains issued the token.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let user =
            TamboUser::from_claims(self.name(), self.verifier.issuer(), token.claims().clone())
                .ok_or(Error::MissingClaim { claim: "sub" })?;
        let org_id = Auth0Claims::from_claims(token.claims())
            .org_id
            .filter(|o| !o.is_empty());
        Ok(user.with_tenant(org_id))
    }

    fn explain_non_jwt(&self, error: Error) -> Error {
        match error {
            Error::Encrypted { .. } => Error::Encrypted {
                hint: Some(ENCRYPTED_HINT),
            },
            Error::Opaque { .. } => Error::Opaque {
                hint: Some(OPAQUE_HINT),
            },
            other => other,
        }
    }

    fn authenticate_jws_now(&self, jws: &Jws<'_>) -> Option<Result<TamboUser, Error>> {
        tambo_auth::provider::authenticate_now(self, jws)
    }
}

/// Configures an [`Auth0Provider`]; [`build`](Self::build) checks every setting and names
/// the offending one. No network I/O happens until the first token.
#[derive(Debug)]
#[must_use]
pub struct Auth0ProviderBuilder {
    domain: String,
    audience: Option<String>,
    custom_domains: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: Option<Duration>,
    max_lifetime: Option<Option<Duration>>,
    options: PresetOptions,
}

impl Auth0ProviderBuilder {
    /// The API identifier (Auth0 dashboard → Applications → APIs → Identifier), exactly:
    /// `https://api.acme.com` and `https://api.acme.com/` differ. Required.
    pub fn audience(mut self, api_identifier: impl Into<String>) -> Self {
        self.audience = Some(api_identifier.into());
        self
    }

    /// Also accepts tokens whose `iss` is this custom domain (`login.acme.com` or
    /// `https://login.acme.com/`); may be called more than once. The keys still come from the
    /// tenant domain, and users keep the tenant domain's namespace.
    pub fn custom_domain(mut self, domain: impl Into<String>) -> Self {
        self.custom_domains.push(domain.into());
        self
    }

    /// The accepted algorithms (default RS256). Auth0 APIs sign with RS256 or PS256; HS256
    /// APIs are refused because they share a secret with every application.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The leeway for `exp`, `nbf` and `iat` (default 60 s, at most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// The longest accepted access-token lifetime (default 24 h, Auth0's default; Auth0
    /// permits up to 30 days per API). `None` removes the check.
    pub fn max_lifetime(mut self, max: Option<Duration>) -> Self {
        self.max_lifetime = Some(max);
        self
    }

    /// Permits plain http to a loopback issuer (tests against the testkit IdP).
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.options = self.options.allow_loopback_http(allow);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.options = self.options.clock(clock);
        self
    }

    /// Profile, loopback and clock at once (what `Settings::build` passes).
    pub fn options(mut self, options: PresetOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider.
    pub fn build(self) -> Result<Auth0Provider, Error> {
        let loopback = self.options.allow_loopback_http;
        let issuer = auth0_issuer(&self.domain, "domain", loopback)?;
        let audience = match self.audience.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(config(
                    "audience",
                    "set your API identifier (Auth0 dashboard → Applications → APIs → Identifier); the frontend must request its access token with this value as `audience`",
                ));
            }
            Some(a) if a.ends_with("/userinfo") => {
                return Err(config(
                    "audience",
                    "this is Auth0's /userinfo audience, present in every token requested with `openid`; set your own API identifier instead",
                ));
            }
            Some(a) => a.to_owned(),
        };
        if self.algorithms.is_empty() {
            return Err(config(
                "algorithms",
                "the list is empty; Auth0 APIs sign with RS256",
            ));
        }
        for alg in &self.algorithms {
            match alg {
                Algorithm::RS256 | Algorithm::PS256 => {}
                a if a.is_symmetric() => {
                    return Err(config(
                        "algorithms",
                        format!(
                            "{a} APIs sign with a secret shared with every application; switch the API to RS256 (Auth0 dashboard → APIs → Settings → Signing Algorithm)"
                        ),
                    ));
                }
                a => {
                    return Err(config(
                        "algorithms",
                        format!("Auth0 signs access tokens with RS256 or PS256, not {a}"),
                    ));
                }
            }
        }

        let mut builder = self
            .options
            .apply(Verifier::builder(issuer.as_str()).oidc_discovery())
            .audience(audience)
            .algorithms(self.algorithms);
        for domain in &self.custom_domains {
            let extra = auth0_issuer(domain, "custom_domains", loopback)?;
            if extra == issuer {
                return Err(config(
                    "custom_domains",
                    format!("{extra} is already the tenant domain"),
                ));
            }
            builder = builder.additional_issuer(extra);
        }
        if let Some(leeway) = self.leeway {
            builder = builder.leeway(leeway);
        }
        if let Some(max) = self.max_lifetime {
            builder = builder.max_lifetime(max);
        }
        Ok(Auth0Provider {
            verifier: builder.build()?,
        })
    }
}

fn config(field: &str, reason: impl Into<String>) -> Error {
    Error::Configuration {
        field: field.into(),
        reason: reason.into(),
    }
}
