//! ```no_run
//! # async fn demo(jwt: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::Provider as _;
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
pub mod settings;

pub use claims::BetterAuthClaims;
pub use settings::Settings;

use async_trait::async_trait;
use tambo_auth::clock::SharedClock;
use tambo_auth::jwt::Jws;
use tambo_auth::{
    Algorithm, Error, PresetOptions, Profile, Provider, TamboUser, VerifiedToken, Verifier,
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
            algorithms: None,
            options: PresetOptions::default(),
        }
    }
}

/// Configures a [`BetterAuthProvider`]; [`build`](Self::build) checks every setting.
#[derive(Debug)]
#[must_use]
pub struct BetterAuthProviderBuilder {
    base_url: String,
    issuer: Option<String>,
    audiences: Vec<String>,
    jwks_path: Option<String>,
    jwks_url: Option<String>,
    algorithms: Option<Vec<Algorithm>>,
    options: PresetOptions,
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
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The deployment profile (default production).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.options = self.options.profile(profile);
        self
    }

    /// Permits plain http to a loopback app (`http://127.0.0.1:3000` in development, tests).
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.options = self.options.allow_loopback_http(allow);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.options = self.options.clock(clock);
        self
    }

    /// Profile, loopback and clock at once (what [`Settings::build`] passes).
    pub fn options(mut self, options: PresetOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<BetterAuthProvider, Error> {
        let base = url::Url::parse(self.base_url.trim())
            .ok()
            .filter(|u| u.host_str().is_some() && matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| {
                config(
                    "base_url",
                    "the app's Better Auth baseURL (BETTER_AUTH_URL), e.g. `https://app.acme.example`",
                )
            })?;
        if !matches!(base.path(), "" | "/") {
            return Err(config(
                "base_url",
                "give the origin only (e.g. `https://app.acme.example`); set `jwks_path` for a custom basePath",
            ));
        }
        let origin = base.origin().ascii_serialization();
        let jwks_url = match (self.jwks_url, self.jwks_path) {
            (Some(_), Some(_)) => {
                return Err(config("jwks_path", "set jwks_url or jwks_path, not both"));
            }
            (Some(url), None) => url,
            (None, path) => {
                let path = path.unwrap_or_else(|| DEFAULT_JWKS_PATH.into());
                if !path.starts_with('/') {
                    return Err(config("jwks_path", "a path starting with `/`"));
                }
                format!("{origin}{path}")
            }
        };
        let audiences = if self.audiences.is_empty() {
            vec![origin.clone()]
        } else {
            self.audiences
        };
        let algorithms = self.algorithms.unwrap_or_else(|| ALGORITHMS.to_vec());
        if algorithms.iter().any(|a| a.is_symmetric()) {
            return Err(config(
                "algorithms",
                "the JWT plugin signs with key pairs (EdDSA, ES256, RS256, PS256); HS* is the session cookie cache, not a JWT-plugin token",
            ));
        }
        let mut builder = self
            .options
            .apply(Verifier::builder(self.issuer.unwrap_or(origin)))
            .jwks_url(jwks_url)
            .algorithms(algorithms);
        for audience in audiences {
            builder = builder.audience(audience);
        }
        Ok(BetterAuthProvider {
            verifier: builder.build()?,
        })
    }
}

fn config(field: &str, reason: &str) -> Error {
    Error::Configuration {
        field: field.into(),
        reason: reason.into(),
    }
}

fn rejected(reason: &str) -> Error {
    Error::ClaimRejected {
        provider: NAME,
        reason: reason.into(),
    }
}

impl BetterAuthProvider {
    /// The refusals decided before any key is looked at (both authentication paths).
    fn refuse_early(&self, jws: &Jws<'_>) -> Result<(), Error> {
        let header = jws.header();
        if header.alg_name().starts_with("HS") {
            return Err(Error::AlgorithmNotAllowed {
                reason: "HS256 is Better Auth's `session_data` cookie cache, signed with the app secret; send the JWT plugin's token (`authClient.token()` or the `set-auth-jwt` header)",
            });
        }
        // Better Auth's own verifier refuses tokens without `kid`; so do we, before any
        // key lookup (packages/better-auth/src/plugins/jwt/verify.ts).
        if header.kid().is_none() {
            return Err(rejected(
                "the token has no `kid` header, which every JWT-plugin token carries: send the token from `authClient.token()` (GET /api/auth/token) or the `set-auth-jwt` header",
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for BetterAuthProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = token.claims();
        if claims.get("banned") == Some(&true.into()) {
            return Err(rejected(
                "the user is banned (admin plugin); lift the ban in Better Auth to let them in",
            ));
        }
        TamboUser::from_claims(NAME, self.verifier.issuer(), claims.clone())
            .ok_or(Error::MissingClaim { claim: "sub" })
    }

    fn explain_non_jwt(&self, error: Error) -> Error {
        match error {
            Error::Opaque { .. } => Error::Opaque {
                hint: Some(SEND_THE_JWT),
            },
            other => other,
        }
    }

    async fn authenticate_jws(&self, jws: &Jws<'_>) -> Result<TamboUser, Error> {
        self.refuse_early(jws)?;
        let verified = self.verifier.verify_jws(jws).await?;
        self.map_claims(&verified)
    }

    fn authenticate_jws_now(&self, jws: &Jws<'_>) -> Option<Result<TamboUser, Error>> {
        if let Err(refused) = self.refuse_early(jws) {
            return Some(Err(refused));
        }
        tambo_auth::provider::authenticate_now(self, jws)
    }
}
