//! [`ClerkProvider`] and its builder.

use std::time::Duration;

use serde::Deserialize;
use tambo_auth::jwt::Claims;
use tambo_auth::provider::origin;
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

use crate::ClerkClaims;

/// Clerk's own SDK tolerates 5 s of clock skew (`clockSkewInMs`); its tokens live 60 s, so a
/// 60 s leeway would double their life.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

const OPAQUE_HINT: &str = "Clerk's session token is a JWT: send `await getToken()` (useAuth() in the browser, auth() on the server), not the session id or the __client cookie";

const ENCRYPTED_HINT: &str = "Clerk session tokens are signed, not encrypted: send `await getToken()` (useAuth() in the browser, auth() on the server)";

/// Verifies Clerk session tokens (claims version 2) and maps them to users.
///
/// - issuer: the Frontend API URL (`https://clerk.<domain>` or
///   `https://<slug>.clerk.accounts.dev`, no trailing slash), compared exactly;
/// - keys: `<Frontend API>/.well-known/jwks.json`, or a configured PEM key (no network);
/// - RS256 only; no `aud` (session tokens have none);
/// - `azp`, when present, must be one of the authorized parties;
/// - pending sessions (`sts: "pending"`) are refused unless allowed;
/// - tenant: the active organization (`o.id`, version 1 `org_id`), in the context key unless
///   [`org_in_context_key(false)`](ClerkProviderBuilder::org_in_context_key).
///
/// Build it with [`ClerkProvider::builder`].
#[derive(Debug, Clone)]
pub struct ClerkProvider {
    verifier: Verifier,
    authorized_parties: Vec<String>,
    require_azp: bool,
    allow_pending_sessions: bool,
    org_in_context_key: bool,
}

impl ClerkProvider {
    /// Starts configuring a provider for the instance whose Frontend API is `frontend_api`
    /// (Clerk dashboard → API keys → Frontend API URL): `clerk.acme.com`,
    /// `https://clerk.acme.com` or `https://acme-42.clerk.accounts.dev`.
    pub fn builder(frontend_api: impl Into<String>) -> ClerkProviderBuilder {
        ClerkProviderBuilder {
            frontend_api: frontend_api.into(),
            authorized_parties: Vec::new(),
            require_azp: false,
            allow_pending_sessions: false,
            org_in_context_key: true,
            pem_public_key: None,
            leeway: DEFAULT_LEEWAY,
            options: ProviderOptions::default(),
        }
    }

    /// The issuer, the Frontend API origin.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }

    /// The accepted `azp` origins.
    pub fn authorized_parties(&self) -> &[String] {
        &self.authorized_parties
    }

    fn check_policy(&self, clerk: &ClerkClaims) -> Result<(), Error> {
        match clerk.authorized_party.as_deref() {
            Some(azp) if !self.authorized_parties.iter().any(|p| p == azp) => {
                return Err(Error::rejected(
                    NAME,
                    format!(
                        "the token was requested from the origin {azp:?}, which is not one of the authorized parties {:?}; add that origin to authorized_parties if it is your frontend",
                        self.authorized_parties
                    ),
                ));
            }
            None if self.require_azp => {
                return Err(Error::rejected(
                    NAME,
                    "the token has no azp (it was not requested by a browser page); send a token obtained with getToken() in your frontend, or set require_azp = false to accept server-minted tokens",
                ));
            }
            _ => {}
        }
        if clerk.is_pending() && !self.allow_pending_sessions {
            return Err(Error::rejected(
                NAME,
                "the session is pending (sts: \"pending\"): the user must still choose or create an organization; finish Clerk's organization task in your frontend before calling Tambo, or set allow_pending_sessions = true",
            ));
        }
        Ok(())
    }
}

/// The provider name in logs and on [`TamboUser::provider`].
pub const NAME: &str = "clerk";

impl Provider for ClerkProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Checks `azp` and `sts`, then maps `sub` with the active organization as tenant.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let clerk = ClerkClaims::from_claims(token.claims());
        self.check_policy(&clerk)?;
        let tenant = clerk.org.filter(|_| self.org_in_context_key).map(|o| o.id);
        Ok(token.user(NAME)?.with_tenant(tenant))
    }

    /// The active organization's permission keys (`org:<feature>:<permission>`).
    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        let clerk = ClerkClaims::from_claims(claims);
        clerk
            .org
            .map(|org| org.permission_keys(clerk.features.as_deref()))
            .unwrap_or_default()
    }

    fn hints(&self) -> Hints {
        Hints::new(Some(OPAQUE_HINT), Some(ENCRYPTED_HINT))
    }
}

/// Configures a [`ClerkProvider`]; [`build`](Self::build) checks every setting and names the
/// offending one. No network I/O happens until the first token.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "clerk"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "clerk"
/// frontend_api = "https://clerk.acme.com"            # or https://<slug>.clerk.accounts.dev
/// authorized_parties = ["https://app.acme.com"]      # the origins of your frontend
/// # require_azp = false                              # refuse tokens without azp
/// # allow_pending_sessions = false                   # accept sts = "pending"
/// # org_in_context_key = true                        # one thread space per organization
/// # pem_public_key = "-----BEGIN PUBLIC KEY-----…"   # networkless verification
/// ```
///
/// ```
/// use tambo_auth_clerk::ClerkProviderBuilder;
///
/// let builder: ClerkProviderBuilder = serde_json::from_value(serde_json::json!({
///     "frontend_api": "clerk.acme.com",
///     "authorized_parties": ["https://app.acme.com"],
/// })).unwrap();
/// let provider = builder.build().unwrap();
/// assert_eq!(provider.issuer(), "https://clerk.acme.com");
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct ClerkProviderBuilder {
    frontend_api: String,
    authorized_parties: Vec<String>,
    #[serde(default)]
    require_azp: bool,
    #[serde(default)]
    allow_pending_sessions: bool,
    #[serde(default = "yes")]
    org_in_context_key: bool,
    #[serde(default)]
    pem_public_key: Option<String>,
    // Not in the file: Clerk's 60 s tokens leave nothing to tune.
    #[serde(skip, default = "default_leeway")]
    leeway: Duration,
    #[serde(skip)]
    options: ProviderOptions,
}

fn yes() -> bool {
    true
}

fn default_leeway() -> Duration {
    DEFAULT_LEEWAY
}

impl ClerkProviderBuilder {
    /// An origin your frontend runs on (`https://app.acme.com`, `http://localhost:3000`);
    /// may be called more than once. At least one is required: Clerk sets `azp` to the origin
    /// that requested the token, and accepting any origin is the CSRF risk Clerk warns about.
    pub fn authorized_party(mut self, origin: impl Into<String>) -> Self {
        self.authorized_parties.push(origin.into());
        self
    }

    /// Several authorized parties at once.
    pub fn authorized_parties<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties
            .extend(origins.into_iter().map(Into::into));
        self
    }

    /// Refuses tokens without `azp` (default `false`, as Clerk's SDK: tokens minted by your
    /// backend through Clerk's Backend API carry none).
    pub fn require_azp(mut self, required: bool) -> Self {
        self.require_azp = required;
        self
    }

    /// Accepts pending sessions (`sts: "pending"`, a user who has not chosen an organization
    /// yet). Default `false`.
    pub fn allow_pending_sessions(mut self, allow: bool) -> Self {
        self.allow_pending_sessions = allow;
        self
    }

    /// Whether the active organization is part of the context key (default `true`): each
    /// organization is its own thread space, as Tambo does for `org_id`. With `false` a user
    /// keeps one thread space across organizations (Tambo's behaviour with version 2 tokens,
    /// whose organization moved from `org_id` to `o.id`), and the tenant is not set.
    pub fn org_in_context_key(mut self, include: bool) -> Self {
        self.org_in_context_key = include;
        self
    }

    /// Verifies with this PEM public key (Clerk dashboard → API keys → JWKS Public Key)
    /// instead of fetching the JWKS: no network at all, RS256 only. Clerk's key changes only
    /// when you rotate it, and then this setting must change too.
    pub fn pem_public_key(mut self, pem: impl Into<String>) -> Self {
        self.pem_public_key = Some(pem.into());
        self
    }

    /// The leeway for `exp`, `nbf` and `iat` (default [`DEFAULT_LEEWAY`], 5 s). Clerk sets
    /// `nbf = iat - 5`, so a fresh token is accepted with any leeway.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback Frontend API here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider.
    pub fn build(self) -> Result<ClerkProvider, Error> {
        let issuer = origin(
            &self.frontend_api,
            "frontend_api",
            "https://clerk.acme.com",
            self.options.allow_loopback_http,
        )?;
        if self.authorized_parties.is_empty() {
            return Err(Error::config(
                "authorized_parties",
                "list the origins your frontend runs on (e.g. https://app.acme.com); Clerk puts the requesting origin in azp and tokens from other origins must be refused",
            ));
        }
        let authorized_parties = self
            .authorized_parties
            .iter()
            // A local frontend on http://localhost is a legitimate party in development.
            .map(|p| origin(p, "authorized_parties", "https://app.acme.com", true))
            .collect::<Result<Vec<_>, _>>()?;

        let builder = Verifier::builder(issuer.as_str());
        let builder = match self.pem_public_key {
            Some(pem) => builder.public_key_pem(pem),
            None => builder.jwks_url(format!("{issuer}/.well-known/jwks.json")),
        };
        let verifier = builder
            .options(&self.options)
            .algorithms([Algorithm::RS256])
            .leeway(self.leeway)
            // Clerk session tokens carry no `aud`; `azp` binds them to the application's
            // origins, and `precheck` checks it.
            .allow_any_audience()
            .build()?;
        Ok(ClerkProvider {
            verifier,
            authorized_parties,
            require_azp: self.require_azp,
            allow_pending_sessions: self.allow_pending_sessions,
            org_in_context_key: self.org_in_context_key,
        })
    }
}
