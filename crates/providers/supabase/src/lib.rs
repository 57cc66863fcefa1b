//! ```no_run
//! # async fn demo(access_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_supabase::{SupabaseClaims, SupabaseProvider};
//!
//! // Asymmetric signing keys: keys from https://<ref>.supabase.co/auth/v1/.well-known/jwks.json
//! let supabase = SupabaseProvider::builder("https://abcdefghijklmnopqrst.supabase.co").build()?;
//! let user = supabase.authenticate(access_token).await?; // the user's session.access_token
//! let claims = SupabaseClaims::from_user(&user)?;
//! println!("{} ({:?}, anonymous: {})", user.sub(), claims.email, claims.is_anonymous);
//! # Ok(()) }
//! ```
//!
//! The [Supabase Auth](https://supabase.com/docs/guides/auth/jwts) adapter for tambo-auth.
//!
//! - **Default:** the project's asymmetric JWT signing keys (ES256 or RS256) from its JWKS;
//!   `iss` must be `https://<ref>.supabase.co/auth/v1` and `aud` `authenticated`.
//! - **Legacy:** [`SupabaseProviderBuilder::legacy_jwt_secret`] verifies HS256 tokens with the
//!   project's legacy JWT secret, for projects that have not migrated yet.
//! - **Development only:** [`SupabaseProviderBuilder::insecure_no_verification`], the
//!   "verification: None" setting Tambo's own guide recommends, refused outside
//!   [`Profile::Development`].
//!
//! Whatever the strategy, only users' access tokens map to a user: the project's `anon` and
//! `service_role` keys (JWTs with no `sub`), any other `role`, and the opaque
//! `sb_publishable_…`/`sb_secret_…` keys are refused with an error naming the token to send.
//! Anonymous sign-ins are users (`is_anonymous: true`); refuse them with
//! [`SupabaseProviderBuilder::allow_anonymous`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;

pub use claims::{AuthMethod, SupabaseClaims};

use serde::Deserialize;
use tambo_auth::jwt::{Claims, Jws};
use tambo_auth::verify::Secret;
use tambo_auth::{
    Algorithm, Error, Hints, Namespace, Profile, Provider, ProviderOptions, TamboUser,
    VerifiedToken, Verifier,
};

/// The provider name in logs and on [`TamboUser::provider`].
pub const NAME: &str = "supabase";

/// The audience of every Supabase user access token.
pub const AUDIENCE: &str = "authenticated";

/// The only `role` that is a signed-in user.
const USER_ROLE: &str = "authenticated";

const OPAQUE_HINT: &str = "Supabase `sb_publishable_…` and `sb_secret_…` values are project API keys, not users: send the signed-in user's `session.access_token` (a JWT) from `supabase.auth.getSession()`";

const LEGACY_HS256: &str = "HS256 is Supabase's legacy JWT secret, but this provider verifies the project's asymmetric signing keys: finish the migration to JWT signing keys in the dashboard (and have users sign in again), or configure `legacy_jwt_secret`";

/// Verifies Supabase Auth access tokens and maps them to users.
#[derive(Debug, Clone)]
pub struct SupabaseProvider {
    verifier: Verifier,
    allow_anonymous: bool,
    namespace: Namespace,
}

impl SupabaseProvider {
    /// Configures a provider for a project, given its URL (`SUPABASE_URL`, e.g.
    /// `https://<ref>.supabase.co`, or `http://127.0.0.1:54321` for the CLI) or its 20-character
    /// project ref.
    pub fn builder(project: impl Into<String>) -> SupabaseProviderBuilder {
        SupabaseProviderBuilder {
            project_url: project.into(),
            issuer: None,
            jwks_url: None,
            legacy_jwt_secret_env: None,
            legacy_jwt_secret: None,
            insecure_no_verification: false,
            allow_anonymous: true,
            namespace_by_host: false,
            options: ProviderOptions::default(),
        }
    }
}

/// Configures a [`SupabaseProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "supabase"`),
/// one key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "supabase"
/// project_url = "https://abcdefghijklmnopqrst.supabase.co"  # or the 20-character ref
/// # allow_anonymous = true                        # signInAnonymously() users
/// # namespace_by_host = false                     # Tambo's "None"-mode context keys
/// # issuer = "https://auth.acme.com/auth/v1"      # self-hosted Auth only
/// # jwks_url = "…"                                # default <issuer>/.well-known/jwks.json
/// # legacy_jwt_secret_env = "SUPABASE_JWT_SECRET" # projects still on HS256 only
/// # insecure_no_verification = true               # profile = "development" only
/// ```
///
/// ```
/// use tambo_auth_supabase::SupabaseProviderBuilder;
///
/// let builder: SupabaseProviderBuilder = serde_json::from_value(serde_json::json!({
///     "project_url": "https://abcdefghijklmnopqrst.supabase.co",
///     "allow_anonymous": false,
/// })).unwrap();
/// let provider = builder.build()?;
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct SupabaseProviderBuilder {
    project_url: String,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    jwks_url: Option<String>,
    #[serde(default)]
    legacy_jwt_secret_env: Option<String>,
    // The secret itself never sits in the file, only the name of the variable holding it.
    #[serde(skip)]
    legacy_jwt_secret: Option<Secret>,
    #[serde(default)]
    insecure_no_verification: bool,
    #[serde(default = "yes")]
    allow_anonymous: bool,
    #[serde(default)]
    namespace_by_host: bool,
    #[serde(skip)]
    options: ProviderOptions,
}

fn yes() -> bool {
    true
}

#[derive(Debug)]
enum Strategy {
    SigningKeys,
    LegacySecret(Secret),
    Unverified,
}

impl SupabaseProviderBuilder {
    /// Overrides the issuer (default `<project URL>/auth/v1`), for self-hosted Auth servers
    /// with their own `GOTRUE_JWT_ISSUER`. A custom domain does **not** change it.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Overrides the JWKS URL (default `<issuer>/.well-known/jwks.json`).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Verifies HS256 tokens with the project's legacy JWT secret instead of its signing
    /// keys. For projects that have not migrated; the secret can mint any user's token, so
    /// prefer the asymmetric default. Replaces an earlier choice of strategy.
    pub fn legacy_jwt_secret(mut self, secret: Secret) -> Self {
        self.legacy_jwt_secret = Some(secret);
        self.legacy_jwt_secret_env = None;
        self.insecure_no_verification = false;
        self
    }

    /// Verifies with the legacy JWT secret read from the environment variable `var` (UTF-8)
    /// when the provider is built; the configuration file's `legacy_jwt_secret_env`. Replaces
    /// an earlier choice of strategy.
    pub fn legacy_jwt_secret_env(mut self, var: impl Into<String>) -> Self {
        self.legacy_jwt_secret_env = Some(var.into());
        self.legacy_jwt_secret = None;
        self.insecure_no_verification = false;
        self
    }

    /// Checks no signature at all: what Tambo's guide calls "verification: None". Only with
    /// [`Profile::Development`]; anyone can then mint a token for any user. Replaces an
    /// earlier choice of strategy.
    pub fn insecure_no_verification(mut self) -> Self {
        self.insecure_no_verification = true;
        self.legacy_jwt_secret = None;
        self.legacy_jwt_secret_env = None;
        self
    }

    /// Whether anonymous sign-ins (`is_anonymous: true`) are users (default `true`).
    pub fn allow_anonymous(mut self, allow: bool) -> Self {
        self.allow_anonymous = allow;
        self
    }

    /// Derives context keys from the project's host only, `oauth:user:<ref>.supabase.co:<sub>`:
    /// the keys Tambo derived under the "None" verification its guide recommended, so threads
    /// created there stay reachable. Default `false`: the full issuer,
    /// `oauth:user:<ref>.supabase.co/auth/v1:<sub>`.
    pub fn namespace_by_host(mut self, by_host: bool) -> Self {
        self.namespace_by_host = by_host;
        self
    }

    /// The deployment's profile (development permits `insecure_no_verification`), loopback
    /// permission (the Supabase CLI's `http://127.0.0.1:54321`) and clock, as the server
    /// passes them.
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(mut self) -> Result<SupabaseProvider, Error> {
        let strategy = self.strategy()?;
        let issuer = match self.issuer {
            Some(issuer) => issuer,
            None => issuer_for(&self.project_url)?,
        };
        let namespace = if self.namespace_by_host {
            url::Url::parse(&issuer)
                .map(|u| Namespace::of(&u.origin().ascii_serialization()))
                .map_err(|_| Error::config("issuer", "not a URL"))?
        } else {
            Namespace::of(&issuer)
        };
        let builder = Verifier::builder(&issuer)
            .options(&self.options)
            .audience(AUDIENCE);
        let builder = match strategy {
            Strategy::SigningKeys => builder
                .jwks_url(
                    self.jwks_url
                        .unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json")),
                )
                .algorithms([Algorithm::ES256, Algorithm::RS256]),
            Strategy::LegacySecret(secret) => {
                refuse_jwks_url(self.jwks_url.is_some(), "legacy_jwt_secret")?;
                secret.check().map_err(|e| match e {
                    Error::Configuration { reason, .. } => {
                        Error::config("legacy_jwt_secret", reason)
                    }
                    other => other,
                })?;
                builder.shared_secret(secret).algorithms([Algorithm::HS256])
            }
            Strategy::Unverified => {
                refuse_jwks_url(self.jwks_url.is_some(), "insecure_no_verification")?;
                if self.options.profile == Profile::Development {
                    tracing::warn!(
                        issuer = %issuer,
                        "Supabase tokens are NOT verified (development only): use the project's asymmetric JWT signing keys (the default, `SupabaseProvider::builder(url).build()`) before deploying"
                    );
                }
                builder.insecure_no_verification()
            }
        };
        Ok(SupabaseProvider {
            verifier: builder.build()?,
            allow_anonymous: self.allow_anonymous,
            namespace,
        })
    }
}

impl SupabaseProviderBuilder {
    /// The strategy the settings choose, reading the legacy secret's variable when named. Only
    /// a configuration file can choose two: the setters replace each other.
    fn strategy(&mut self) -> Result<Strategy, Error> {
        if self.insecure_no_verification {
            if self.legacy_jwt_secret_env.is_some() {
                return Err(Error::config(
                    "insecure_no_verification",
                    "set either legacy_jwt_secret_env or insecure_no_verification, not both",
                ));
            }
            return Ok(Strategy::Unverified);
        }
        if let Some(secret) = self.legacy_jwt_secret.take() {
            return Ok(Strategy::LegacySecret(secret));
        }
        match &self.legacy_jwt_secret_env {
            Some(var) => {
                let secret = std::env::var(var).map_err(|_| {
                    Error::config(
                        "legacy_jwt_secret_env",
                        format!("the environment variable `{var}` is not set (or not UTF-8)"),
                    )
                })?;
                Ok(Strategy::LegacySecret(Secret::from_utf8(secret)))
            }
            None => Ok(Strategy::SigningKeys),
        }
    }
}

/// `<project URL>/auth/v1`, from a URL or a bare project ref.
fn issuer_for(project: &str) -> Result<String, Error> {
    let project = project.trim().trim_end_matches('/');
    if is_project_ref(project) {
        return Ok(format!("https://{project}.supabase.co/auth/v1"));
    }
    let url = url::Url::parse(project).map_err(|_| {
        Error::config(
            "project_url",
            "neither a URL (`https://<ref>.supabase.co`) nor a 20-character project ref",
        )
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(Error::config(
            "project_url",
            "the project URL is an https URL such as `https://<ref>.supabase.co`",
        ));
    }
    // Accept the issuer itself as well as the project URL.
    Ok(if project.ends_with("/auth/v1") {
        project.to_owned()
    } else {
        format!("{project}/auth/v1")
    })
}

fn is_project_ref(text: &str) -> bool {
    text.len() == 20
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn refuse_jwks_url(set: bool, strategy: &str) -> Result<(), Error> {
    if set {
        return Err(Error::config(
            "jwks_url",
            format!("a JWKS URL is used only with signing keys, not with `{strategy}`"),
        ));
    }
    Ok(())
}

/// Why a `role` other than `authenticated` is not a user, and what to send instead.
fn role_refusal(role: Option<&str>) -> Error {
    let send = "send the signed-in user's `session.access_token` (from `supabase.auth.getSession()`), not a project API key";
    Error::rejected(
        NAME,
        match role {
            Some("anon") => format!(
                "this is the project's anon key (role `anon`), which identifies no user: {send}"
            ),
            Some("service_role") => format!(
                "this is the project's service_role key, a server secret that bypasses Row Level Security and identifies no user (rotate it if it reached a client): {send}"
            ),
            Some(other) => format!(
                "role `{other}` is not `authenticated`; only signed-in users' access tokens are accepted: {send}"
            ),
            None => format!(
                "the token has no `role` claim, so it is not a Supabase user access token: {send}"
            ),
        },
    )
}

impl Provider for SupabaseProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        // Project API keys carry `iss: "supabase"`: the issuer check would refuse them, but
        // without saying which token to send. Refusing on unverified claims is always safe.
        if let Ok(claims) = jws.claims()
            && let Some(role @ ("anon" | "service_role")) = claims.get_str("role")
        {
            return Err(role_refusal(Some(role)));
        }
        if self.verifier.strategy() == tambo_auth::StrategyKind::Jwks
            && jws.header().alg_name() == "HS256"
        {
            return Err(Error::AlgorithmNotAllowed {
                reason: LEGACY_HS256,
            });
        }
        Ok(())
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = token.claims();
        let role = claims.get_str("role");
        if role != Some(USER_ROLE) {
            return Err(role_refusal(role));
        }
        if !self.allow_anonymous && claims.is_true("is_anonymous") {
            return Err(Error::rejected(
                NAME,
                "anonymous sign-ins are refused here (allow_anonymous = false): have the user sign in with an identity, or allow anonymous users",
            ));
        }
        TamboUser::from_claims_in(NAME, &self.namespace, claims.clone())
    }

    /// `role` (`authenticated`; a Custom Access Token Hook may set others).
    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        claims
            .get_str("role")
            .map(str::to_owned)
            .into_iter()
            .collect()
    }

    fn hints(&self) -> Hints {
        Hints::new(Some(OPAQUE_HINT), None)
    }
}
