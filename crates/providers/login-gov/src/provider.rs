//! [`LoginGovProvider`] and its builder: the environment's issuer (with its trailing slash),
//! discovery, RS256, the client id as `aud`, and the identity-verification policy on `acr`.

use serde::Deserialize;
use tambo_auth::provider::origin;
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

use crate::{IdentityAssurance, LoginGovClaims};

const NAME: &str = "login-gov";

/// Login.gov's production issuer, as it writes `iss`: with the trailing slash.
const PRODUCTION_ISSUER: &str = "https://secure.login.gov/";

/// Login.gov's sandbox (integration) issuer, with the trailing slash.
const SANDBOX_ISSUER: &str = "https://idp.int.identitysandbox.gov/";

/// The Login.gov environment a client id is registered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Environment {
    /// `https://secure.login.gov/`, for apps promoted to production.
    #[default]
    Production,
    /// `https://idp.int.identitysandbox.gov/`, the partner portal's sandbox.
    Sandbox,
}

impl Environment {
    /// The environment's issuer, with its trailing slash.
    pub fn issuer(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION_ISSUER,
            Environment::Sandbox => SANDBOX_ISSUER,
        }
    }
}

/// Verifies Login.gov ID tokens and maps them to users. Build it with
/// [`LoginGovProvider::builder`].
#[derive(Debug, Clone)]
pub struct LoginGovProvider {
    verifier: Verifier,
    require_identity_verification: bool,
}

impl LoginGovProvider {
    /// Starts a provider for the app whose client id (the partner portal's "Issuer", a URN such
    /// as `urn:gov:gsa:openidconnect.profiles:sp:sso:agency:app`) is `client_id`, in
    /// production unless [`environment`](LoginGovProviderBuilder::environment) says otherwise.
    pub fn builder(client_id: impl Into<String>) -> LoginGovProviderBuilder {
        LoginGovProviderBuilder {
            client_id: Some(client_id.into()),
            environment: Environment::default(),
            issuer: None,
            require_identity_verification: false,
            options: ProviderOptions::default(),
        }
    }

    /// The issuer tokens must name, with its trailing slash.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }
}

impl Provider for LoginGovProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        if self.require_identity_verification {
            let claims = LoginGovClaims::from_claims(token.claims());
            if !claims
                .assurance
                .as_ref()
                .is_some_and(IdentityAssurance::is_verified)
            {
                return Err(Error::rejected(
                    NAME,
                    "this sign-in did not verify the user's identity (its `acr` is auth-only, IAL1, missing or unknown) and `require_identity_verification` is on; request `acr_values=urn:acr.login.gov:verified` at sign-in (your app must be allowed identity verification in the partner portal)",
                ));
            }
        }
        token.user(NAME)
    }

    fn hints(&self) -> Hints {
        Hints::new(
            Some(
                "this is not a JWT: Login.gov's access tokens are opaque, good only for its userinfo endpoint; send the ID token (`id_token` of Login.gov's token response)",
            ),
            Some(
                "this is an encrypted token (JWE); Login.gov signs its ID tokens without encrypting them, so send the ID token of its token response as received",
            ),
        )
    }
}

/// Configures a [`LoginGovProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "login-gov"`),
/// one key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "login-gov"
/// client_id = "urn:gov:gsa:openidconnect.profiles:sp:sso:agency:app"  # the portal's "Issuer"
/// environment = "sandbox"                 # or "production" (the default)
/// require_identity_verification = true    # refuse auth-only sign-ins (default false)
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_login_gov::LoginGovProviderBuilder;
///
/// let builder: LoginGovProviderBuilder = serde_json::from_value(serde_json::json!({
///     "client_id": "urn:gov:gsa:openidconnect.profiles:sp:sso:agency:app",
///     "environment": "sandbox",
/// }))?;
/// let provider = builder.build()?;
/// assert_eq!(provider.issuer(), "https://idp.int.identitysandbox.gov/");
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct LoginGovProviderBuilder {
    // Not required by serde: `build` refuses a missing client id naming the field.
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    environment: Environment,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    require_identity_verification: bool,
    #[serde(skip)]
    options: ProviderOptions,
}

impl LoginGovProviderBuilder {
    /// The Login.gov environment of the client id. Default: [`Environment::Production`].
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Another issuer in place of the environment's: an origin, which gets Login.gov's
    /// trailing slash. For tests against a loopback IdP (with
    /// [`ProviderOptions::allow_loopback_http`]).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Refuses sign-ins that did not verify the user's identity: `acr` must be
    /// `urn:acr.login.gov:verified`, a facial-match level or the legacy IAL2 URI. Default:
    /// `false`, every sign-in accepted.
    pub fn require_identity_verification(mut self, required: bool) -> Self {
        self.require_identity_verification = required;
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback issuer here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<LoginGovProvider, Error> {
        let client_id = match self.client_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() && !id.chars().any(char::is_whitespace) => id.to_owned(),
            _ => {
                return Err(Error::config(
                    "client_id",
                    "set your app's client id, the \"Issuer\" of its configuration in the Login.gov partner portal (`urn:gov:gsa:openidconnect.profiles:sp:sso:<agency>:<app>`), without whitespace",
                ));
            }
        };
        let issuer = match &self.issuer {
            Some(input) => format!(
                "{}/",
                origin(
                    input,
                    "issuer",
                    PRODUCTION_ISSUER,
                    self.options.allow_loopback_http
                )?
            ),
            None => self.environment.issuer().to_owned(),
        };
        let verifier = Verifier::builder(issuer)
            .oidc_discovery()
            .options(&self.options)
            .audience(client_id)
            .algorithms([Algorithm::RS256])
            .build()?;
        Ok(LoginGovProvider {
            verifier,
            require_identity_verification: self.require_identity_verification,
        })
    }
}
