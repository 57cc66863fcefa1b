//! ```no_run
//! # async fn demo(jwt: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_better_auth::{BetterAuthClaims, BetterAuthProvider};
//!
//! // Keys from https://app.acme.example/api/auth/jwks; iss and aud = the base URL's origin.
//! let better_auth = BetterAuthProvider::builder("https://app.acme.example").build()?;
//! let user = better_auth.authenticate(jwt).await?; // the JWT plugin's token, not session.token
//! let claims = BetterAuthClaims::from_user(&user)?;
//! println!("{} <{:?}> verified: {:?}", user.sub(), claims.email, claims.email_verified);
//! # Ok(()) }
//! ```
//!
//! The [Better Auth](https://www.better-auth.com/docs/plugins/jwt) adapter for tambo-auth: it
//! verifies the tokens of Better Auth's **JWT plugin**.
//!
//! - **Keys:** the plugin's JWKS at `<base URL>/api/auth/jwks` (no discovery exists); the key
//!   decides the algorithm: EdDSA (Ed25519, the default), ES256, RS256 or PS256.
//! - **Claims:** `iss` and `aud` default to the base URL's origin, as the plugin sets them;
//!   the payload is the user row (`id`, `name`, `email`, `emailVerified`...).
//! - **Quirks:** a token without `kid` is refused, as Better Auth's own verifier does; the
//!   opaque `session.token` and the HS256 `session_data` cookie are refused with the token to
//!   send instead; users the admin plugin marked `banned` are refused.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;

pub use claims::BetterAuthClaims;

use serde::Deserialize;
use tambo_auth::jwt::{ConfiguredAlgorithms, Jws};
use tambo_auth::provider::{origin, refuse_banned};
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

/// The provider name in logs and on [`TamboUser::provider`].
pub const NAME: &str = "better-auth";

/// Where the JWT plugin serves its JWKS by default (`basePath` + `/jwks`).
pub const DEFAULT_JWKS_PATH: &str = "/api/auth/jwks";

/// The algorithms the JWT plugin's key pairs sign with.
pub const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
];

const SEND_THE_JWT: &str = "Better Auth: this is the opaque session token (`session.token`, the `better-auth.session_token` cookie); enable the JWT plugin and send its token: `(await authClient.token()).data.token` (GET /api/auth/token) or the `set-auth-jwt` header of `getSession`";

/// Verifies Better Auth JWT-plugin tokens and maps them to users.
#[derive(Debug, Clone)]
pub struct BetterAuthProvider {
    verifier: Verifier,
}

impl BetterAuthProvider {
    /// Configures a provider for the app whose Better Auth `baseURL` (`BETTER_AUTH_URL`) is
    /// `base_url`, e.g. `https://app.acme.example`.
    pub fn builder(base_url: impl Into<String>) -> BetterAuthProviderBuilder {
        BetterAuthProviderBuilder {
            base_url: base_url.into(),
            issuer: None,
            audiences: Vec::new(),
            jwks_path: None,
            jwks_url: None,
            algorithms: default_algorithms(),
            options: ProviderOptions::default(),
        }
    }
}

/// Configures a [`BetterAuthProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file
/// (`kind = "better-auth"`), one key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "better-auth"
/// base_url = "https://app.acme.example"      # BETTER_AUTH_URL, an origin
/// # issuer = "https://auth.acme.example"     # jwt.issuer
/// # audiences = ["https://api.acme.example"] # jwt.audience
/// # jwks_path = "/api/auth/jwks"             # a custom basePath or jwks.jwksPath
/// # jwks_url = "https://…/jwks"              # jwks.remoteUrl (not with jwks_path)
/// # algorithms = ["EdDSA"]                   # narrow to your keyPairConfig.alg
/// ```
///
/// ```
/// use tambo_auth_better_auth::BetterAuthProviderBuilder;
///
/// let builder: BetterAuthProviderBuilder = serde_json::from_value(serde_json::json!({
///     "base_url": "https://app.acme.example",
///     "algorithms": ["EdDSA"],
/// })).unwrap();
/// let provider = builder.build()?;
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct BetterAuthProviderBuilder {
    base_url: String,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    jwks_path: Option<String>,
    #[serde(default)]
    jwks_url: Option<String>,
    #[serde(default = "default_algorithms")]
    algorithms: ConfiguredAlgorithms,
    #[serde(skip)]
    options: ProviderOptions,
}

fn default_algorithms() -> ConfiguredAlgorithms {
    ConfiguredAlgorithms::new(ALGORITHMS)
}

impl BetterAuthProviderBuilder {
    /// The expected `iss`, when the plugin sets `jwt.issuer` (default: the base URL's origin).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// An accepted `aud`, when the plugin sets `jwt.audience`; may be called more than once
    /// (default: the base URL's origin).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The JWKS path on the base URL, for a custom `basePath` or `jwks.jwksPath` (default
    /// `/api/auth/jwks`).
    pub fn jwks_path(mut self, path: impl Into<String>) -> Self {
        self.jwks_path = Some(path.into());
        self
    }

    /// The full JWKS URL, when the plugin sets `jwks.remoteUrl`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The algorithm allowlist (default EdDSA, ES256, RS256, PS256): narrow it to your
    /// `keyPairConfig.alg`.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = ConfiguredAlgorithms::new(algorithms);
        self
    }

    /// The deployment's profile, loopback permission (`http://127.0.0.1:3000` in development)
    /// and clock, as the server passes them.
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<BetterAuthProvider, Error> {
        let algorithms = self.algorithms.check(
            &ALGORITHMS,
            "narrow the list to your `keyPairConfig.alg`; HS* is the session cookie cache, not a JWT-plugin token",
        )?;
        // The app's Better Auth baseURL (BETTER_AUTH_URL), its origin only: a custom
        // basePath goes in `jwks_path`.
        let origin = origin(
            &self.base_url,
            "base_url",
            "https://app.acme.example",
            self.options.allow_loopback_http,
        )?;
        let jwks_url = match (self.jwks_url, self.jwks_path) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "jwks_path",
                    "set jwks_url or jwks_path, not both",
                ));
            }
            (Some(url), None) => url,
            (None, path) => {
                let path = path.unwrap_or_else(|| DEFAULT_JWKS_PATH.into());
                if !path.starts_with('/') {
                    return Err(Error::config("jwks_path", "a path starting with `/`"));
                }
                format!("{origin}{path}")
            }
        };
        let audiences = if self.audiences.is_empty() {
            vec![origin.clone()]
        } else {
            self.audiences
        };
        let verifier = Verifier::builder(self.issuer.unwrap_or(origin))
            .options(&self.options)
            .jwks_url(jwks_url)
            .algorithms(algorithms)
            .audiences(audiences)
            .build()?;
        Ok(BetterAuthProvider { verifier })
    }
}

impl Provider for BetterAuthProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        let header = jws.header();
        if header.alg_name().starts_with("HS") {
            return Err(Error::AlgorithmNotAllowed {
                reason: "HS256 is Better Auth's `session_data` cookie cache, signed with the app secret; send the JWT plugin's token (`authClient.token()` or the `set-auth-jwt` header)",
            });
        }
        // Better Auth's own verifier refuses tokens without `kid`; so do we, before any
        // key lookup (packages/better-auth/src/plugins/jwt/verify.ts).
        if header.kid().is_none() {
            return Err(Error::rejected(
                NAME,
                "the token has no `kid` header, which every JWT-plugin token carries: send the token from `authClient.token()` (GET /api/auth/token) or the `set-auth-jwt` header",
            ));
        }
        Ok(())
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        refuse_banned(
            NAME,
            token.claims(),
            "lift the ban in Better Auth (admin plugin) to let them in",
        )?;
        token.user(NAME)
    }

    fn hints(&self) -> Hints {
        Hints::new(Some(SEND_THE_JWT), None)
    }
}
