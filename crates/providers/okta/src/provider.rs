//! [`OktaProvider`] and its builder: the authorization server's issuer, discovery, RS256, the
//! audiences, and the `uid`/`cid` rules of Okta's access tokens.

use serde::Deserialize;
use tambo_auth::provider::{check_names, origin, require_listed};
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

use crate::OktaClaims;

const NAME: &str = "okta";

/// Verifies Okta ID and access tokens and maps them to users. Build it with
/// [`OktaProvider::builder`].
#[derive(Debug, Clone)]
pub struct OktaProvider {
    verifier: Verifier,
    org_server: bool,
    client_ids: Vec<String>,
}

impl OktaProvider {
    /// Starts a provider for the authorization server `issuer`: a custom one
    /// (`https://acme.okta.com/oauth2/default`, `https://acme.okta.com/oauth2/aus1a2b3c4`) or the
    /// org server (`https://acme.okta.com`, ID tokens only). A custom domain
    /// (`https://login.acme.com/oauth2/default`) works the same.
    pub fn builder(issuer: impl Into<String>) -> OktaProviderBuilder {
        OktaProviderBuilder {
            issuer: issuer.into(),
            audiences: Vec::new(),
            client_ids: Vec::new(),
            options: ProviderOptions::default(),
        }
    }

    /// The user id (`uid`) of an access token that passes its rules: from a custom server,
    /// for a user, by an allowed client.
    fn access_token_user<'c>(&self, claims: &'c OktaClaims) -> Result<&'c str, Error> {
        if self.org_server {
            return Err(Error::rejected(
                NAME,
                "this is an access token of Okta's org authorization server, which Okta issues for its own APIs only; use a custom authorization server (`https://<org>.okta.com/oauth2/default`) for your API, or send the ID token",
            ));
        }
        let Some(uid) = claims.uid.as_deref() else {
            return Err(Error::rejected(
                NAME,
                "this access token has no user (`uid`): a client-credentials token, whose `sub` is the client; send a token obtained by a signed-in user",
            ));
        };
        // Only access tokens reach here, and an access token is one with a `cid`.
        require_listed(
            NAME,
            &self.client_ids,
            claims.cid.as_deref(),
            |_| {
                "the access token was obtained by a client (`cid`) that is not in `client_ids`; add that client id, or sign in through a listed app".into()
            },
            "the access token names no client (`cid`); send a token obtained through a listed app",
        )?;
        Ok(uid)
    }
}

impl Provider for OktaProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = OktaClaims::from_claims(token.claims());
        let user = token.user(NAME)?;
        if !claims.is_access_token() {
            return Ok(user);
        }
        // An access token's `sub` is the user's login, which can change; `uid` is the user
        // id, the `sub` of the same user's ID tokens.
        Ok(user.with_subject(self.access_token_user(&claims)?))
    }

    fn hints(&self) -> Hints {
        Hints::new(
            Some(
                "this is not a JWT: Okta's refresh tokens, session tokens and the access tokens of an authorization server set to opaque tokens cannot be verified here; send the ID token, or an access token of a custom authorization server (`…/oauth2/default`)",
            ),
            Some(
                "this is an encrypted token (JWE); turn off ID token encryption for this app in Okta, or decrypt it in your app and send the signed token inside",
            ),
        )
    }
}

/// Configures an [`OktaProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "okta"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "okta"
/// issuer = "https://acme.okta.com/oauth2/default"   # the authorization server's issuer
/// audiences = ["api://default", "0oa8f3kx9QzL1mN2p5d7"]  # API audience and/or client id
/// # client_ids = ["0oa8f3kx9QzL1mN2p5d7"]  # access tokens: `cid` must be one of these
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_okta::OktaProviderBuilder;
///
/// let builder: OktaProviderBuilder = serde_json::from_value(serde_json::json!({
///     "issuer": "https://acme.okta.com/oauth2/default",
///     "audiences": ["api://default"],
/// }))?;
/// let provider = builder.build()?;
/// # let _ = provider;
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct OktaProviderBuilder {
    issuer: String,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    client_ids: Vec<String>,
    #[serde(skip)]
    options: ProviderOptions,
}

impl OktaProviderBuilder {
    /// Accepts tokens whose `aud` is `audience`, or another one given here (at least one):
    /// the audience of your custom authorization server (`api://default` for the default one)
    /// for access tokens, your app's client id (`0oa…`) for ID tokens.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Requires an access token's `cid`, the client that obtained it, to be this client id or
    /// another one given here. Default: any client of the authorization server.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback issuer here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<OktaProvider, Error> {
        let (issuer, org_server) = issuer(&self.issuer, self.options.allow_loopback_http)?;
        if self.audiences.is_empty() {
            return Err(Error::config(
                "audiences",
                "at least one audience is required: your custom authorization server's audience (`api://default` for the default one) for access tokens, or your app's client id (`0oa…`) for ID tokens",
            ));
        }
        check_names("audiences", &self.audiences, "an audience or a client id")?;
        check_names("client_ids", &self.client_ids, "a client id")?;
        let verifier = Verifier::builder(issuer)
            .oidc_discovery()
            .options(&self.options)
            .algorithms([Algorithm::RS256])
            .audiences(self.audiences)
            .build()?;
        Ok(OktaProvider {
            verifier,
            org_server,
            client_ids: self.client_ids,
        })
    }
}

/// The issuer of an Okta authorization server, and whether it is the org server: an origin
/// alone, or an origin and `/oauth2/<id>`.
fn issuer(input: &str, allow_loopback_http: bool) -> Result<(String, bool), Error> {
    const EXAMPLE: &str = "https://acme.okta.com/oauth2/default";
    let (base, path) = match input.find("/oauth2") {
        Some(at) => input.split_at(at),
        None => (input, ""),
    };
    let base = origin(base, "issuer", EXAMPLE, allow_loopback_http)?;
    if path.is_empty() {
        return Ok((base, true));
    }
    let server = path.strip_prefix("/oauth2/").unwrap_or_default();
    if server.is_empty() || server == "v1" || !server.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::config(
            "issuer",
            format!(
                "{input:?} is not an authorization server's issuer; it is `https://<org>.okta.com` (the org server) or `https://<org>.okta.com/oauth2/<id>` (a custom one), as the server's discovery document names it, without `/v1/…` or a trailing slash; for example `{EXAMPLE}`"
            ),
        ));
    }
    Ok((format!("{base}{path}"), false))
}
