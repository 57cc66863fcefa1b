//! ```no_run
//! # async fn demo(access_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_workos::{WorkosClaims, WorkosProvider};
//!
//! // Keys from https://api.workos.com/sso/jwks/<client id>; no discovery involved.
//! let workos = WorkosProvider::builder("client_01K2M8ABCDEF0123456789XYZ").build()?;
//! let user = workos.authenticate(access_token).await?; // AuthKit's accessToken
//! let claims = WorkosClaims::from_user(&user)?;
//! println!("{} in {:?} as {:?}", user.sub(), claims.org_id, claims.role);
//! # Ok(()) }
//! ```
//!
//! The [WorkOS AuthKit](https://workos.com/docs/reference/authkit/session-tokens) adapter for
//! tambo-auth.
//!
//! - **Issuer:** current AuthKit access tokens carry
//!   `https://api.workos.com/user_management/<client id>` (the primary issuer); WorkOS's own
//!   reference also shows `https://api.workos.com` (with or without `/`), accepted as the same
//!   provider unless [`WorkosProviderBuilder::legacy_issuer`] turns it off. Both are verified
//!   against the one per-client key set.
//! - **Keys:** `https://api.workos.com/sso/jwks/<client id>`, RS256 only. The `user_management`
//!   issuer has no discovery document, so the JWKS URL is configured, never discovered.
//! - **Audience:** AuthKit session tokens have none. A token that does carry one (MCP,
//!   Connect, M2M) must name the client id.
//! - **Identity:** `org_id` is the tenant, as in Tambo, so a user's threads are separate per
//!   organization ([`WorkosProviderBuilder::org_as_tenant`] turns that off). Both issuer forms
//!   share one namespace, the issuer's host: `oauth:user:api.workos.com:<org_id>:<sub>`, exactly
//!   the key Tambo derives.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;

pub use claims::WorkosClaims;

use serde::Deserialize;
use tambo_auth::provider::origin;
use tambo_auth::{
    Algorithm, Error, Hints, Namespace, Provider, ProviderOptions, TamboUser, VerifiedToken,
    Verifier,
};

/// The provider name in logs and on [`TamboUser::provider`].
pub const NAME: &str = "workos";

/// WorkOS's API host, the default issuer origin.
pub const API_URL: &str = "https://api.workos.com";

const NOT_A_JWT: &str = "WorkOS: send the AuthKit access token (`accessToken` from `withAuth()` or `useAccessToken()`), not the sealed `wos-session` cookie or a refresh token";

/// Verifies WorkOS AuthKit access tokens and maps them to users.
#[derive(Debug, Clone)]
pub struct WorkosProvider {
    verifier: Verifier,
    client_id: String,
    namespace: Namespace,
    org_as_tenant: bool,
}

impl WorkosProvider {
    /// Configures a provider for an AuthKit client id (`client_…`, the `WORKOS_CLIENT_ID`).
    pub fn builder(client_id: impl Into<String>) -> WorkosProviderBuilder {
        WorkosProviderBuilder {
            client_id: client_id.into(),
            api_url: default_api_url(),
            jwks_url: None,
            legacy_issuer: true,
            org_as_tenant: true,
            options: ProviderOptions::default(),
        }
    }

    /// The configured client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// Configures a [`WorkosProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "workos"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "workos"
/// client_id = "client_01K2M8ABCDEF0123456789XYZ"
/// # api_url = "https://auth.acme.com"   # custom authentication domain
/// # jwks_url = "…"                      # default <api_url>/sso/jwks/<client_id>
/// # legacy_issuer = true                # also accept iss = <api_url>
/// # org_as_tenant = true                # org_id in the context key
/// ```
///
/// ```
/// use tambo_auth_workos::WorkosProviderBuilder;
///
/// let builder: WorkosProviderBuilder = serde_json::from_value(serde_json::json!({
///     "client_id": "client_01K2M8ABCDEF0123456789XYZ",
/// })).unwrap();
/// let provider = builder.build()?;
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct WorkosProviderBuilder {
    client_id: String,
    #[serde(default = "default_api_url")]
    api_url: String,
    #[serde(default)]
    jwks_url: Option<String>,
    #[serde(default = "yes")]
    legacy_issuer: bool,
    #[serde(default = "yes")]
    org_as_tenant: bool,
    #[serde(skip)]
    options: ProviderOptions,
}

fn default_api_url() -> String {
    API_URL.into()
}

fn yes() -> bool {
    true
}

impl WorkosProviderBuilder {
    /// The issuer origin (default `https://api.workos.com`): your custom authentication
    /// domain if you configured one, or a test server.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// Overrides the JWKS URL (default `<api_url>/sso/jwks/<client id>`).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Whether the bare `<api_url>` (and `<api_url>/`) issuer is accepted besides
    /// `<api_url>/user_management/<client id>` (default `true`). Turn it off to serve two
    /// WorkOS clients from one registry: the bare form is not per client.
    pub fn legacy_issuer(mut self, accept: bool) -> Self {
        self.legacy_issuer = accept;
        self
    }

    /// Whether `org_id` is the tenant, giving a user separate threads per organization as
    /// Tambo does (default `true`).
    pub fn org_as_tenant(mut self, tenant: bool) -> Self {
        self.org_as_tenant = tenant;
        self
    }

    /// The deployment's profile, loopback permission (tests) and clock, as the server passes
    /// them.
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<WorkosProvider, Error> {
        let client_id = self.client_id.trim();
        let well_formed = client_id
            .strip_prefix("client_")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !well_formed {
            return Err(Error::config(
                "client_id",
                "a WorkOS client id looks like `client_01H…` (WORKOS_CLIENT_ID); the API key `sk_…` is not needed",
            ));
        }
        // The API host or your custom authentication domain, without a path.
        let origin = origin(
            &self.api_url,
            "api_url",
            API_URL,
            self.options.allow_loopback_http,
        )?;
        let issuer = format!("{origin}/user_management/{client_id}");
        let jwks_url = self
            .jwks_url
            .unwrap_or_else(|| format!("{origin}/sso/jwks/{client_id}"));
        let mut builder = Verifier::builder(issuer)
            .options(&self.options)
            .jwks_url(jwks_url)
            .algorithms([Algorithm::RS256])
            // AuthKit session tokens carry no `aud`: the per-client issuer and JWKS bind them
            // to this client, and `map_claims` refuses an `aud` other than the client id.
            .allow_any_audience();
        if self.legacy_issuer {
            builder = builder
                .additional_issuer(origin.clone())
                .additional_issuer(format!("{origin}/"));
        }
        Ok(WorkosProvider {
            verifier: builder.build()?,
            client_id: client_id.to_owned(),
            namespace: Namespace::of(&origin),
            org_as_tenant: self.org_as_tenant,
        })
    }
}

impl Provider for WorkosProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = token.claims();
        // AuthKit session tokens have no `aud`; one that has it was minted for a resource.
        if let Some(aud) = claims.aud()?
            && !aud.contains(&self.client_id)
        {
            return Err(Error::rejected(
                NAME,
                format!(
                    "the token is for the audience {:?} (an MCP, Connect or M2M token?), not this client `{}`: send the user's AuthKit session access token",
                    aud.values(),
                    self.client_id
                ),
            ));
        }
        // One namespace for both issuer spellings: the host, as Tambo keys WorkOS users.
        let user = TamboUser::from_claims_in(NAME, &self.namespace, claims.clone())?;
        Ok(if self.org_as_tenant {
            user
        } else {
            user.with_tenant(None)
        })
    }

    fn hints(&self) -> Hints {
        Hints::both(NOT_A_JWT)
    }

    fn explain_non_jwt(&self, input: &str, error: Error) -> Error {
        // The sealed `wos-session` cookie (iron-session, `Fe26.2**…`) is not JWT-shaped
        // enough to be classified as opaque; name it anyway.
        if input.starts_with("Fe26.") {
            return Error::Opaque {
                hint: Some(NOT_A_JWT),
            };
        }
        self.hints().explain(error)
    }
}
