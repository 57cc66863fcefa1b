//! [`GithubProvider`] and its builder: GitHub's user API as the `userinfo` strategy, the
//! numeric `id` as the user, and the token forms GitHub marks by prefix.

use std::time::Duration;

use serde::Deserialize;
use tambo_auth::provider::origin;
use tambo_auth::verify::Userinfo;
use tambo_auth::{Error, Hints, Provider, ProviderOptions, Verifier};

const NAME: &str = "github";

/// The REST API of github.com, and the issuer (namespace) of its users.
pub const GITHUB_API: &str = "https://api.github.com";

/// Answers for GitHub user access tokens through `GET <api>/user` and maps them to users.
/// Build it with [`GithubProvider::builder`].
#[derive(Debug, Clone)]
pub struct GithubProvider {
    verifier: Verifier,
    allow_personal_access_tokens: bool,
}

impl GithubProvider {
    /// Starts a provider for github.com ([`GITHUB_API`]).
    pub fn builder() -> GithubProviderBuilder {
        GithubProviderBuilder {
            api_url: GITHUB_API.into(),
            allow_personal_access_tokens: false,
            options: ProviderOptions::default(),
            cache_ttl: None,
        }
    }
}

/// The token forms GitHub marks by prefix that never stand for a signed-in user of an app.
fn refused_form(token: &str, allow_personal_access_tokens: bool) -> Option<&'static str> {
    if token.starts_with("ghs_") {
        return Some(
            "this is a GitHub App installation token (`ghs_`): it acts as the app, not as a user; send the user's access token (`ghu_…` from a GitHub App, `gho_…` from an OAuth app)",
        );
    }
    if token.starts_with("ghr_") {
        return Some(
            "this is a GitHub refresh token (`ghr_`); exchange it at GitHub for an access token and send that (`ghu_…`)",
        );
    }
    if !allow_personal_access_tokens
        && (token.starts_with("ghp_") || token.starts_with("github_pat_"))
    {
        return Some(
            "this is a personal access token (`ghp_`, `github_pat_`): the user's own long-lived credential, which an app should never ask for; sign the user in with an OAuth app or a GitHub App and send its access token, or set allow_personal_access_tokens for scripts",
        );
    }
    None
}

impl Provider for GithubProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn precheck_opaque(&self, token: &str) -> Result<(), Error> {
        match refused_form(token, self.allow_personal_access_tokens) {
            Some(reason) => Err(Error::rejected(NAME, reason)),
            None => Ok(()),
        }
    }

    fn hints(&self) -> Hints {
        Hints::both(
            "send the user's GitHub access token (`gho_…`, `ghu_…`; Auth.js: account.access_token), not the session cookie of your app",
        )
    }
}

/// Configures a [`GithubProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "github"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "github"
/// # api_url = "https://github.acme.com/api/v3"   # GitHub Enterprise Server
/// # allow_personal_access_tokens = true          # scripts that sign in with a PAT
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_github::GithubProviderBuilder;
///
/// let builder: GithubProviderBuilder = serde_json::from_value(serde_json::json!({
///     "api_url": "https://github.acme.com/api/v3",
/// }))?;
/// let provider = builder.build()?;
/// # let _ = provider;
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct GithubProviderBuilder {
    #[serde(default = "default_api")]
    api_url: String,
    #[serde(default)]
    allow_personal_access_tokens: bool,
    #[serde(skip)]
    options: ProviderOptions,
    #[serde(skip)]
    cache_ttl: Option<Duration>,
}

fn default_api() -> String {
    GITHUB_API.into()
}

impl GithubProviderBuilder {
    /// The REST API root: [`GITHUB_API`] (the default) or a GitHub Enterprise Server's
    /// (`https://github.acme.com/api/v3`). Its origin is the users' namespace.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// Accepts personal access tokens (`ghp_`, `github_pat_`) as their owner (default
    /// `false`): for scripts and command-line tools whose user pastes one, never for an app's
    /// sign-in.
    pub fn allow_personal_access_tokens(mut self, allow: bool) -> Self {
        self.allow_personal_access_tokens = allow;
        self
    }

    /// How long GitHub's answer for a token is reused (default 60 s; zero asks every time).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback API here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<GithubProvider, Error> {
        const EXAMPLE: &str = "https://github.acme.com/api/v3";
        let api = self.api_url.trim().trim_end_matches('/');
        let host_at = api.find("://").map_or(0, |at| at + 3);
        let path_at = api[host_at..]
            .find('/')
            .map_or(api.len(), |at| host_at + at);
        let (base, path) = api.split_at(path_at);
        let issuer = origin(base, "api_url", EXAMPLE, self.options.allow_loopback_http)?;
        if path.contains(['?', '#']) {
            return Err(Error::config(
                "api_url",
                format!("the API root has no query or fragment; for example `{EXAMPLE}`"),
            ));
        }
        let userinfo = Userinfo::new(format!("{issuer}{path}/user")).identity("id");
        let mut builder = Verifier::builder(issuer)
            .userinfo(userinfo)
            .options(&self.options);
        if let Some(ttl) = self.cache_ttl {
            builder = builder.opaque_cache_ttl(ttl);
        }
        Ok(GithubProvider {
            verifier: builder.build().map_err(|e| match e {
                Error::Configuration { reason, .. } => Error::config("api_url", reason),
                other => other,
            })?,
            allow_personal_access_tokens: self.allow_personal_access_tokens,
        })
    }
}
