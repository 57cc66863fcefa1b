//! [`NeonProvider`]: one provider, three setups (Neon Auth, legacy Stack Auth, Auth.js with
//! Google), each with its issuer form, key source, algorithm and refusals.

use serde::Deserialize;
use tambo_auth::provider::{origin, refuse_banned};
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};
use tambo_auth_google::{GoogleProvider, GoogleProviderBuilder};
use url::Url;

/// Stack Auth's API, home of the legacy Neon Auth issuers and key sets.
pub const STACK_AUTH_API: &str = "https://api.stack-auth.com";

const NAME: &str = "neon";

/// Which of Neon's setups a [`NeonProvider`] verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeonMode {
    /// Neon Auth (managed Better Auth): EdDSA JWTs from `authClient.token()`.
    NeonAuth,
    /// Legacy Neon Auth (Stack Auth): ES256 access tokens from `user.getAuthJson()`.
    StackAuth,
    /// Tambo's Neon guide: Auth.js keeps its sessions in Neon PostgreSQL and signs in with
    /// Google, so the token is Google's ID token.
    AuthJsGoogle,
}

/// Verifies Neon tokens and maps them to users. Start from [`NeonProvider::neon_auth`],
/// [`NeonProvider::stack_auth`] or [`NeonProvider::authjs_google`].
#[derive(Debug, Clone)]
pub struct NeonProvider {
    mode: NeonMode,
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Jwt(Verifier),
    Google(GoogleProvider),
}

impl NeonProvider {
    /// Neon Auth, the current product. `issuer` is the **origin** of your Neon Auth URL
    /// (`https://ep-….neonauth.<region>.aws.neon.tech`, no path) and `jwks_url` is the URL
    /// itself plus `/.well-known/jwks.json` (`…/neondb/auth/.well-known/jwks.json`, injected
    /// into Neon Functions as `NEON_AUTH_JWKS_URL`). `aud` must equal the issuer; EdDSA only.
    pub fn neon_auth(
        issuer: impl Into<String>,
        jwks_url: impl Into<String>,
    ) -> NeonProviderBuilder {
        NeonProviderBuilder::from(Setup::NeonAuth {
            issuer: issuer.into(),
            jwks_url: jwks_url.into(),
            base_url: None,
        })
    }

    /// Legacy Neon Auth (Stack Auth) for the Stack project `project_id`: issuer
    /// `https://api.stack-auth.com/api/v1/projects/<project_id>`, keys at
    /// `<issuer>/.well-known/jwks.json`, `aud` = the project id, ES256 only.
    pub fn stack_auth(project_id: impl Into<String>) -> NeonProviderBuilder {
        NeonProviderBuilder::from(Setup::StackAuth {
            project_id: project_id.into(),
            base_url: None,
        })
    }

    /// Tambo's Neon guide: Auth.js with the `@auth/neon-adapter` and the Google provider. The
    /// token to send is Google's ID token for the OAuth client `client_id`; for Google's other
    /// options (`hd`, `azp`, several client ids) build a
    /// [`GoogleProvider`] and use [`NeonProvider::from_google`].
    pub fn authjs_google(client_id: impl Into<String>) -> NeonProviderBuilder {
        NeonProviderBuilder::from(Setup::AuthJsGoogle(GoogleProvider::builder(client_id)))
    }

    /// Tambo's Neon guide with a fully configured Google provider.
    pub fn from_google(google: GoogleProvider) -> NeonProvider {
        NeonProvider {
            mode: NeonMode::AuthJsGoogle,
            inner: Inner::Google(google),
        }
    }

    /// The setup this provider verifies.
    pub fn mode(&self) -> NeonMode {
        self.mode
    }
}

impl Provider for NeonProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        match &self.inner {
            Inner::Jwt(verifier) => verifier,
            Inner::Google(google) => google.verifier(),
        }
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        match &self.inner {
            // Google's checks and mapping (issuer spellings, `hd` tenant), named "neon".
            Inner::Google(google) => {
                let mapped = google.map_claims(token)?;
                Ok(token
                    .user(NAME)?
                    .with_tenant(mapped.tenant().map(str::to_owned)))
            }
            Inner::Jwt(_) => {
                let claims = token.claims();
                refuse_banned(
                    NAME,
                    claims,
                    "lift the ban in the Neon console, then fetch a new token",
                )?;
                if claims.is_true("is_anonymous") {
                    return Err(Error::rejected(
                        NAME,
                        "this is a Stack Auth anonymous user's token; sign the user in first",
                    ));
                }
                token.user(NAME)
            }
        }
    }

    fn hints(&self) -> Hints {
        match self.mode {
            NeonMode::NeonAuth => Hints::new(
                Some(
                    "this looks like the Neon Auth session token or cookie, which is opaque; send the JWT from `authClient.token()` (or the `set-auth-jwt` header of `getSession()`)",
                ),
                Some(
                    "send the JWT from `authClient.token()` (or the `set-auth-jwt` header of `getSession()`)",
                ),
            ),
            NeonMode::StackAuth => Hints::new(
                Some(
                    "this looks like a Stack Auth refresh token; send the `accessToken` from `user.getAuthJson()`",
                ),
                Some("send the `accessToken` from `user.getAuthJson()`"),
            ),
            NeonMode::AuthJsGoogle => Hints::new(
                Some(
                    "Tambo's Neon guide sends `account.access_token`, Google's opaque access token (`ya29.…`); send the Google ID token instead: keep `account.id_token` in the Auth.js `jwt` callback and expose it on the session",
                ),
                Some(
                    "this looks like the Auth.js session cookie, which only your Auth.js app can decrypt; send the Google ID token instead: keep `account.id_token` in the Auth.js `jwt` callback and expose it on the session",
                ),
            ),
        }
    }
}

/// A setup and its settings: what a configuration file's `mode` chooses.
#[derive(Debug, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
enum Setup {
    /// `mode = "neon-auth"`: `issuer` and `jwks_url`.
    NeonAuth {
        issuer: String,
        jwks_url: String,
        // Not in the file, only kept for `build` to refuse a `base_url` set in code.
        #[serde(skip)]
        base_url: Option<String>,
    },
    /// `mode = "stack-auth"`: `project_id` and, for tests, `base_url`.
    StackAuth {
        project_id: String,
        #[serde(default)]
        base_url: Option<String>,
    },
    /// `mode = "authjs-google"`: the Google adapter's keys (`client_ids`, `hosted_domains`...).
    #[serde(rename = "authjs-google")]
    AuthJsGoogle(GoogleProviderBuilder),
}

/// Configures a [`NeonProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "neon"`): a
/// `mode` and that mode's keys, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "neon"
/// mode = "neon-auth"        # NeonProvider::neon_auth(issuer, jwks_url)
/// issuer = "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech"
/// jwks_url = "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech/neondb/auth/.well-known/jwks.json"
/// # mode = "stack-auth"     # NeonProvider::stack_auth(project_id): project_id, base_url
/// # mode = "authjs-google"  # NeonProvider::authjs_google: every key of kind = "google"
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_neon::NeonProviderBuilder;
///
/// let builder: NeonProviderBuilder = serde_json::from_value(serde_json::json!({
///     "mode": "neon-auth",
///     "issuer": "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech",
///     "jwks_url": "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech/neondb/auth/.well-known/jwks.json",
/// }))?;
/// let provider = builder.build()?;
/// # let _ = provider;
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(from = "Setup")]
#[must_use]
pub struct NeonProviderBuilder {
    setup: Setup,
    options: ProviderOptions,
}

impl From<Setup> for NeonProviderBuilder {
    fn from(setup: Setup) -> Self {
        Self {
            setup,
            options: ProviderOptions::default(),
        }
    }
}

impl NeonProviderBuilder {
    /// Replaces the fixed host of the Stack Auth setup (default [`STACK_AUTH_API`]) or
    /// Google's issuer in the Auth.js setup (default `https://accounts.google.com`). For tests;
    /// Neon Auth takes both of its URLs already, so it refuses this setting.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.setup = match self.setup {
            Setup::NeonAuth {
                issuer, jwks_url, ..
            } => Setup::NeonAuth {
                issuer,
                jwks_url,
                base_url: Some(url),
            },
            Setup::StackAuth { project_id, .. } => Setup::StackAuth {
                project_id,
                base_url: Some(url),
            },
            Setup::AuthJsGoogle(google) => Setup::AuthJsGoogle(google.issuer(url)),
        };
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback issuer here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<NeonProvider, Error> {
        match self.setup {
            Setup::NeonAuth {
                issuer,
                jwks_url,
                base_url,
            } => {
                if base_url.is_some() {
                    return Err(Error::config(
                        "base_url",
                        "Neon Auth takes its `issuer` and `jwks_url` directly; remove `base_url`",
                    ));
                }
                check_neon_auth(&issuer, &jwks_url, self.options.allow_loopback_http)?;
                let verifier = Verifier::builder(issuer.clone())
                    .options(&self.options)
                    .jwks_url(jwks_url)
                    .audience(issuer)
                    .algorithms([Algorithm::EdDSA])
                    .build()?;
                Ok(NeonProvider {
                    mode: NeonMode::NeonAuth,
                    inner: Inner::Jwt(verifier),
                })
            }
            Setup::StackAuth {
                project_id,
                base_url,
            } => {
                if project_id.is_empty()
                    || !project_id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    return Err(Error::config(
                        "project_id",
                        "the Stack Auth project id is a UUID (`NEXT_PUBLIC_STACK_PROJECT_ID`), not a URL",
                    ));
                }
                let api = base_url.as_deref().unwrap_or(STACK_AUTH_API);
                let issuer = format!("{}/api/v1/projects/{project_id}", api.trim_end_matches('/'));
                let verifier = Verifier::builder(issuer.clone())
                    .options(&self.options)
                    .jwks_url(format!("{issuer}/.well-known/jwks.json"))
                    .audience(project_id)
                    .algorithms([Algorithm::ES256])
                    .build()?;
                Ok(NeonProvider {
                    mode: NeonMode::StackAuth,
                    inner: Inner::Jwt(verifier),
                })
            }
            Setup::AuthJsGoogle(google) => Ok(NeonProvider::from_google(
                google.options(self.options).build()?,
            )),
        }
    }
}

/// Neon Auth's `iss` is the origin of the Neon Auth URL, while its keys sit under the URL's
/// path: catch the two usual mix-ups (the full URL as issuer, URLs of two branches) early.
fn check_neon_auth(issuer: &str, jwks_url: &str, allow_loopback_http: bool) -> Result<(), Error> {
    const EXAMPLE: &str = "https://ep-….neonauth.<region>.aws.neon.tech";
    let issuer_origin = origin(issuer, "issuer", EXAMPLE, allow_loopback_http)?;
    if issuer != issuer_origin {
        return Err(Error::config(
            "issuer",
            format!(
                "Neon Auth's `iss` is the origin of the Neon Auth URL, without path or trailing slash: use `{issuer_origin}`"
            ),
        ));
    }
    let jwks = Url::parse(jwks_url).map_err(|_| {
        Error::config(
            "jwks_url",
            "not a URL; use your Neon Auth URL plus `/.well-known/jwks.json` (`NEON_AUTH_JWKS_URL`)",
        )
    })?;
    if jwks.origin().ascii_serialization() != issuer_origin {
        return Err(Error::config(
            "jwks_url",
            "the JWKS URL is not on the issuer's host; Neon Auth hosts differ per branch, so take both from the same branch's Neon Auth URL",
        ));
    }
    Ok(())
}
