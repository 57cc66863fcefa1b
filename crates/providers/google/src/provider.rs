//! [`GoogleProvider`] and its builder: Google's issuer, discovery, RS256 and the client-id,
//! `azp`, `hd` and `email_verified` rules.

use serde::Deserialize;
use tambo_auth::provider::require_listed;
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

use crate::GoogleClaims;

/// Google's issuer, and where its discovery document lives
/// (`https://accounts.google.com/.well-known/openid-configuration`).
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// The legacy spelling of Google's issuer, still found in ID tokens: "`accounts.google.com` is
/// also returned for legacy implementations" (Google's OpenID Connect reference).
pub const GOOGLE_LEGACY_ISSUER: &str = "accounts.google.com";

const NAME: &str = "google";

/// Verifies Google ID tokens and maps them to users. Build it with [`GoogleProvider::builder`].
#[derive(Debug, Clone)]
pub struct GoogleProvider {
    verifier: Verifier,
    authorized_parties: Vec<String>,
    hosted_domains: Vec<String>,
    require_hosted_domain: bool,
    require_verified_email: bool,
}

impl GoogleProvider {
    /// Starts a provider for ID tokens issued to the OAuth client `client_id`
    /// (`…apps.googleusercontent.com`, the `AUTH_GOOGLE_ID` of Auth.js).
    pub fn builder(client_id: impl Into<String>) -> GoogleProviderBuilder {
        GoogleProviderBuilder {
            client_ids: vec![client_id.into()],
            authorized_parties: Vec::new(),
            hosted_domains: Vec::new(),
            require_hosted_domain: false,
            require_verified_email: false,
            issuer: default_issuer(),
            options: ProviderOptions::default(),
        }
    }

    fn check_azp(&self, claims: &GoogleClaims) -> Result<(), Error> {
        require_listed(
            NAME,
            &self.authorized_parties,
            claims.azp.as_deref(),
            |_| {
                "the token was obtained by an OAuth client (`azp`) that is not in `authorized_parties`; add that client id, or sign in through a listed client".into()
            },
            "the token has no `azp` but `authorized_parties` is configured; send a Google ID token obtained through one of those clients",
        )
    }

    fn check_hosted_domain(&self, claims: &GoogleClaims) -> Result<(), Error> {
        let hd = claims.hd.as_deref().filter(|hd| !hd.is_empty());
        if !self.hosted_domains.is_empty() {
            return match hd {
                Some(hd)
                    if self
                        .hosted_domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(hd)) =>
                {
                    Ok(())
                }
                Some(_) => Err(Error::rejected(
                    NAME,
                    "the account belongs to a Google Workspace domain (`hd`) that is not in `hosted_domains`; sign in with an account of an allowed domain",
                )),
                None => Err(Error::rejected(
                    NAME,
                    "this app accepts Google Workspace accounts of `hosted_domains` only, and the token has no `hd` (a personal Google account); sign in with a Workspace account",
                )),
            };
        }
        if self.require_hosted_domain && hd.is_none() {
            return Err(Error::rejected(
                NAME,
                "this app accepts Google Workspace accounts only (`require_hosted_domain`), and the token has no `hd` (a personal Google account); sign in with a Workspace account",
            ));
        }
        Ok(())
    }

    fn check_email(&self, claims: &GoogleClaims) -> Result<(), Error> {
        if !self.require_verified_email {
            return Ok(());
        }
        match (&claims.email, claims.email_verified) {
            (Some(_), Some(true)) => Ok(()),
            (Some(_), _) => Err(Error::rejected(
                NAME,
                "Google has not verified this account's email address (`email_verified` is not true), and `require_verified_email` is on",
            )),
            (None, _) => Err(Error::rejected(
                NAME,
                "the token has no `email`, and `require_verified_email` is on; request the `email` scope at sign-in (Auth.js asks for `openid email profile` by default)",
            )),
        }
    }
}

impl Provider for GoogleProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = GoogleClaims::from_claims(token.claims());
        self.check_azp(&claims)?;
        self.check_hosted_domain(&claims)?;
        self.check_email(&claims)?;
        // Mapped in the configured issuer's namespace whatever spelling the token used, so
        // both spellings give one context key and one `original_iss`; `hd` is the tenant, as
        // in Tambo, set here too so an overridden (test) issuer keeps it.
        Ok(token
            .user(NAME)?
            .with_tenant(claims.hd.filter(|hd| !hd.is_empty())))
    }

    fn hints(&self) -> Hints {
        Hints::new(
            Some(
                "this looks like a Google access token (`ya29.…`, Auth.js `account.access_token`), which is not a JWT; send the Google ID token instead: keep `account.id_token` in the Auth.js `jwt` callback and expose it on the session",
            ),
            Some(
                "this looks like the Auth.js session cookie (authjs.session-token / next-auth.session-token), which only your Auth.js app can decrypt; send the Google ID token instead: keep `account.id_token` in the Auth.js `jwt` callback and expose it on the session",
            ),
        )
    }
}

/// Configures a [`GoogleProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "google"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "google"
/// client_ids = ["1234-abc.apps.googleusercontent.com"]  # at least one; any one matches aud
/// # authorized_parties = []         # azp must be one of these client ids
/// # hosted_domains = ["acme.com"]   # only these Google Workspace domains (hd)
/// # require_hosted_domain = false   # refuse personal accounts (no hd)
/// # require_verified_email = false  # refuse email_verified != true
/// # issuer = "http://127.0.0.1:…"   # tests and local emulators only
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_google::GoogleProviderBuilder;
///
/// let builder: GoogleProviderBuilder = serde_json::from_value(serde_json::json!({
///     "client_ids": ["1234-abc.apps.googleusercontent.com"],
///     "hosted_domains": ["acme.example"],
/// }))?;
/// let provider = builder.build()?;
/// # let _ = provider;
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct GoogleProviderBuilder {
    client_ids: Vec<String>,
    #[serde(default)]
    authorized_parties: Vec<String>,
    #[serde(default)]
    hosted_domains: Vec<String>,
    #[serde(default)]
    require_hosted_domain: bool,
    #[serde(default)]
    require_verified_email: bool,
    #[serde(default = "default_issuer")]
    issuer: String,
    #[serde(skip)]
    options: ProviderOptions,
}

fn default_issuer() -> String {
    GOOGLE_ISSUER.to_owned()
}

impl GoogleProviderBuilder {
    /// Also accepts ID tokens whose `aud` is this OAuth client id (web and mobile clients of
    /// one Google Cloud project, for example).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Requires `azp`, the client that obtained the token, to be this client id or another one
    /// given here. Default: `azp` is not checked (`aud` always is).
    pub fn authorized_party(mut self, client_id: impl Into<String>) -> Self {
        self.authorized_parties.push(client_id.into());
        self
    }

    /// Accepts only accounts of this Google Workspace domain (`hd`), or another one given here.
    /// Check `hd`, never the email's domain: any Google account can carry an address at any
    /// domain. Default: every account.
    pub fn hosted_domain(mut self, domain: impl Into<String>) -> Self {
        self.hosted_domains.push(domain.into());
        self
    }

    /// Refuses personal Google accounts (tokens without `hd`): a Workspace-only app.
    /// Default `false`.
    pub fn require_hosted_domain(mut self, require: bool) -> Self {
        self.require_hosted_domain = require;
        self
    }

    /// Refuses tokens whose `email_verified` is not true (or that carry no email).
    /// Default `false`: users are keyed by `sub`, so the email is informational.
    pub fn require_verified_email(mut self, require: bool) -> Self {
        self.require_verified_email = require;
        self
    }

    /// Replaces Google's issuer (default [`GOOGLE_ISSUER`]; keys come from its discovery
    /// document). For tests and local emulators; the legacy `accounts.google.com` spelling
    /// stays accepted and maps to this issuer.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback issuer here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<GoogleProvider, Error> {
        // Only a configuration file can list none: the builder starts from one.
        if self.client_ids.is_empty() {
            return Err(Error::config(
                "client_ids",
                "at least one OAuth client id (`…apps.googleusercontent.com`) is required",
            ));
        }
        for id in &self.client_ids {
            check_client_id(id, "client_ids")?;
        }
        for id in &self.authorized_parties {
            check_client_id(id, "authorized_parties")?;
        }
        for domain in &self.hosted_domains {
            if domain.is_empty()
                || domain.contains(['@', '/', ':'])
                || domain.chars().any(char::is_whitespace)
            {
                return Err(Error::config(
                    "hosted_domains",
                    "a hosted domain is a bare domain such as `acme.com` (no `@`, scheme or path)",
                ));
            }
        }
        let verifier = Verifier::builder(self.issuer)
            .oidc_discovery()
            .options(&self.options)
            .additional_issuer(GOOGLE_LEGACY_ISSUER)
            .algorithms([Algorithm::RS256])
            .audiences(self.client_ids)
            .build()?;
        Ok(GoogleProvider {
            verifier,
            authorized_parties: self.authorized_parties,
            hosted_domains: self.hosted_domains,
            require_hosted_domain: self.require_hosted_domain,
            require_verified_email: self.require_verified_email,
        })
    }
}

fn check_client_id(id: &str, field: &str) -> Result<(), Error> {
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(Error::config(
            field,
            "an OAuth client id is required, without whitespace",
        ));
    }
    if id.starts_with("GOCSPX-") {
        return Err(Error::config(
            field,
            "this is the OAuth client secret (`GOCSPX-…`); configure the client id (`…apps.googleusercontent.com`) and keep the secret out of this configuration",
        ));
    }
    Ok(())
}
