//! [`Auth0Provider`] and its builder.

use std::time::Duration;

use serde::Deserialize;
use tambo_auth::jwt::{Claims, ConfiguredAlgorithms};
use tambo_auth::provider::scope_list;
use tambo_auth::{Algorithm, Error, Hints, Provider, ProviderOptions, Verifier};

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
            algorithms: default_algorithms(),
            leeway: None,
            max_lifetime: None,
            options: ProviderOptions::default(),
        }
    }

    /// The primary issuer, `https://<domain>/`.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }
}

/// The default mapping does what Auth0 needs: `sub` as is (`auth0|…`, `google-oauth2|…`,
/// `<client>@clients`), tenant `org_id` (each Auth0 Organization its own user namespace, as in
/// Tambo), in the primary issuer's namespace whichever of the tenant's domains issued the
/// token.
impl Provider for Auth0Provider {
    fn name(&self) -> &str {
        "auth0"
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// `permissions`: the user's RBAC permissions for the API (turn on "Enable RBAC" and "Add
    /// Permissions in the Access Token"). Not `scope`, which without RBAC holds what the
    /// application asked for, whoever the user.
    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        scope_list(claims, "permissions")
    }

    fn hints(&self) -> Hints {
        Hints::new(Some(OPAQUE_HINT), Some(ENCRYPTED_HINT))
    }
}

/// Configures an [`Auth0Provider`]; [`build`](Self::build) checks every setting and names
/// the offending one. No network I/O happens until the first token.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "auth0"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "auth0"
/// domain = "acme.us.auth0.com"              # or "https://acme.us.auth0.com/"
/// audience = "https://api.acme.com"         # your API identifier, exactly
/// custom_domains = ["login.acme.com"]       # optional
/// algorithms = ["RS256"]                    # optional; RS256 and PS256 only
/// ```
///
/// ```
/// use tambo_auth_auth0::Auth0ProviderBuilder;
///
/// let builder: Auth0ProviderBuilder = serde_json::from_value(serde_json::json!({
///     "domain": "acme.us.auth0.com",
///     "audience": "https://api.acme.com",
/// })).unwrap();
/// let provider = builder.build().unwrap();
/// assert_eq!(provider.issuer(), "https://acme.us.auth0.com/");
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct Auth0ProviderBuilder {
    domain: String,
    // Not required by serde: `build` refuses a missing audience naming the field and the fix,
    // as it does for a builder made in code.
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    custom_domains: Vec<String>,
    #[serde(default = "default_algorithms")]
    algorithms: ConfiguredAlgorithms,
    #[serde(skip)]
    leeway: Option<Duration>,
    #[serde(skip)]
    max_lifetime: Option<Option<Duration>>,
    #[serde(skip)]
    options: ProviderOptions,
}

fn default_algorithms() -> ConfiguredAlgorithms {
    ConfiguredAlgorithms::new([Algorithm::RS256])
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
        self.algorithms = ConfiguredAlgorithms::new(algorithms);
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

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback issuer here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider.
    pub fn build(self) -> Result<Auth0Provider, Error> {
        let algorithms = self.algorithms.check(
            &[Algorithm::RS256, Algorithm::PS256],
            "an HS256 API signs with a secret shared with every application, so switch the API to RS256 (Auth0 dashboard → APIs → Settings → Signing Algorithm)",
        )?;
        let loopback = self.options.allow_loopback_http;
        let issuer = auth0_issuer(&self.domain, "domain", loopback)?;
        let audience = match self.audience.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(Error::config(
                    "audience",
                    "set your API identifier (Auth0 dashboard → Applications → APIs → Identifier); the frontend must request its access token with this value as `audience`",
                ));
            }
            Some(a) if a.ends_with("/userinfo") => {
                return Err(Error::config(
                    "audience",
                    "this is Auth0's /userinfo audience, present in every token requested with `openid`; set your own API identifier instead",
                ));
            }
            Some(a) => a.to_owned(),
        };
        let mut builder = Verifier::builder(issuer.as_str())
            .oidc_discovery()
            .options(&self.options)
            .audience(audience)
            .algorithms(algorithms);
        for domain in &self.custom_domains {
            let extra = auth0_issuer(domain, "custom_domains", loopback)?;
            if extra == issuer {
                return Err(Error::config(
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
