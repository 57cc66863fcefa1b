//! [`EntraProvider`] and its builder: the v2.0 issuer of each accepted tenant, the keys, the
//! application id as audience, and the v1.0, Microsoft Graph and tenant refusals.

use serde::Deserialize;
use tambo_auth::jwt::{Claims, Jws};
use tambo_auth::provider::{origin, scope_list};
use tambo_auth::{
    Algorithm, Error, Hints, Namespace, Provider, ProviderOptions, TamboUser, VerifiedToken,
    Verifier,
};

use crate::tenant::{Tenants, is_guid};

/// The Microsoft Entra ID instance of the global cloud (`instance` default).
pub const ENTRA_INSTANCE: &str = "https://login.microsoftonline.com";

/// Microsoft Graph's application id: the `aud` of the Graph access tokens an app receives
/// for `User.Read` and other Graph scopes.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The issuer host of Entra's v1.0 tokens: `https://sts.windows.net/<tenant>/`.
const V1_ISSUER_PREFIX: &str = "https://sts.windows.net/";

const NAME: &str = "entra";

const V1_HINT: &str = "this is a v1.0 token (`iss` https://sts.windows.net/<tenant>/, `ver` 1.0), and this provider accepts v2.0 tokens only: set `accessTokenAcceptedVersion: 2` (`api.requestedAccessTokenVersion` in the Microsoft Graph manifest format) in your API's app registration manifest, or send the ID token";

const OPAQUE_HINT: &str = "Entra's refresh tokens and the access tokens of personal Microsoft accounts for Microsoft Graph are opaque; send the ID token, or an access token requested for your own API's scope (`api://<client id>/…`)";

const ENCRYPTED_HINT: &str = "Entra encrypts tokens for an application that has token encryption configured; send the ID token, or request the access token for an API without token encryption";

/// Which claim identifies a user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Identity {
    /// `sub` (the default): pairwise, so the same person has a different `sub` in each
    /// application; threads stay with this application's registration.
    #[default]
    Sub,
    /// `oid`: the user's object id, the same in every application of the tenant; for
    /// several app registrations (a SPA and its API, staging and production) that must
    /// share one user's threads. ID tokens carry it with the `profile` scope.
    Oid,
}

/// Verifies Microsoft Entra ID v2.0 ID tokens and access tokens for one application and maps
/// them to users. Build it with [`EntraProvider::builder`].
#[derive(Debug, Clone)]
pub struct EntraProvider {
    verifier: Verifier,
    instance: String,
    client_id: String,
    tenants: Tenants,
    identity: Identity,
    namespace: Namespace,
    refused_issuers: Vec<String>,
}

impl EntraProvider {
    /// Starts a provider for the application (client) id `client_id` in `tenant`: the
    /// directory (tenant) id of a single-tenant app, or `organizations` / `common` for a
    /// multi-tenant one (then list the accepted tenants with
    /// [`allowed_tenant`](EntraProviderBuilder::allowed_tenant)).
    pub fn builder(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
    ) -> EntraProviderBuilder {
        EntraProviderBuilder {
            tenant: tenant.into(),
            client_id: client_id.into(),
            allowed_tenants: Vec::new(),
            identity: Identity::default(),
            instance: default_instance(),
            options: ProviderOptions::default(),
        }
    }

    /// The v2.0 issuer Entra writes for `tenant`: `<instance>/<tenant>/v2.0`.
    fn issuer(&self, tenant: &str) -> String {
        v2_issuer(&self.instance, tenant)
    }

    /// The tenant of a v2.0 issuer of this instance (`<instance>/<tenant>/v2.0`).
    fn tenant_of<'i>(&self, iss: &'i str) -> Option<&'i str> {
        let tenant = iss
            .strip_prefix(self.instance.as_str())?
            .strip_prefix('/')?
            .strip_suffix("/v2.0")?;
        (!tenant.contains('/')).then_some(tenant)
    }

    fn graph_hint(&self) -> String {
        format!(
            "this is an access token for Microsoft Graph (`aud` {GRAPH_APP_ID}, a `nonce` in its header), which only Graph can verify: expose a scope on your app registration and request the access token for it (`api://{}/access_as_user`), or send the ID token",
            self.client_id
        )
    }
}

fn v2_issuer(instance: &str, tenant: &str) -> String {
    format!("{instance}/{tenant}/v2.0")
}

/// Whether the unverified token is a Microsoft Graph access token: Graph's audience (its
/// application id, or its URL in v1.0 tokens), or the header `nonce` Graph alone checks.
fn is_graph_token(jws: &Jws<'_>, claims: &Claims) -> bool {
    let for_graph = claims.aud().ok().flatten().is_some_and(|aud| {
        aud.contains(GRAPH_APP_ID) || aud.contains("https://graph.microsoft.com")
    });
    for_graph || jws.header().get("nonce").is_some()
}

impl Provider for EntraProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Refuses, before any key lookup, the tokens sent by mistake: Graph access tokens, v1.0
    /// tokens, and v2.0 tokens of a tenant this app does not accept.
    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        let claims = jws.claims()?;
        if is_graph_token(jws, claims) {
            return Err(Error::rejected(NAME, self.graph_hint()));
        }
        let iss = claims.iss().unwrap_or_default();
        if claims.get_str("ver") == Some("1.0") || iss.starts_with(V1_ISSUER_PREFIX) {
            return Err(Error::rejected(NAME, V1_HINT));
        }
        if let Some(tenant) = self.tenant_of(iss)
            && !self.tenants.accepts(tenant)
        {
            // Named only when it is a GUID: the text comes from an unverified token.
            let tenant = if is_guid(tenant) {
                tenant
            } else {
                "(not a GUID)"
            };
            let fix = match &self.tenants {
                Tenants::Multi { .. } => "which is not in `allowed_tenants`; add its directory (tenant) id if its users may sign in".to_owned(),
                Tenants::Single(own) => format!(
                    "and this single-tenant app accepts its own tenant {own} only; for users of other tenants, configure tenant = \"organizations\" with `allowed_tenants`"
                ),
            };
            return Err(Error::rejected(
                NAME,
                format!("the token was issued by the tenant {tenant}, {fix}"),
            ));
        }
        Ok(())
    }

    /// Checks that `iss` is the v2.0 issuer of the token's own `tid` (a token of one tenant
    /// cannot speak for another), then maps `sub` or `oid` with `tid` as the tenant.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = token.claims();
        let tid = claims.non_empty("tid").ok_or_else(|| {
            Error::rejected(
                NAME,
                "the token has no `tid` (directory id); send an Entra ID v2.0 ID token or access token",
            )
        })?;
        if claims.iss() != Some(self.issuer(tid).as_str()) {
            return Err(Error::rejected(
                NAME,
                "the token's `iss` is not the v2.0 issuer of its own tenant (`tid`): Entra never issues such a token",
            ));
        }
        // One namespace for every tenant, the instance's host, with `tid` as the tenant:
        // `oauth:user:login.microsoftonline.com:<tid>:<sub>`, the key Tambo derives.
        let user = TamboUser::from_claims_in(NAME, &self.namespace, claims.clone())?
            .with_tenant(Some(tid.to_owned()));
        match self.identity {
            Identity::Sub => Ok(user),
            Identity::Oid => {
                let oid = claims.non_empty("oid").ok_or_else(|| {
                    Error::rejected(
                        NAME,
                        "identity = \"oid\", and the token has no `oid`: request the `profile` scope at sign-in (ID tokens carry `oid` only with it), or keep identity = \"sub\"",
                    )
                })?;
                Ok(user.with_subject(oid))
            }
        }
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// `scp` (the delegated scopes, space-delimited) and `roles` (the app roles assigned to
    /// the user).
    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        let mut scopes = scope_list(claims, "scp");
        scopes.extend(scope_list(claims, "roles"));
        scopes
    }

    fn refused_issuers(&self) -> &[String] {
        &self.refused_issuers
    }

    fn hints(&self) -> Hints {
        Hints::new(Some(OPAQUE_HINT), Some(ENCRYPTED_HINT))
    }
}

/// Configures an [`EntraProvider`]; [`build`](Self::build) checks every setting and names
/// the offending one. No network I/O happens until the first token.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "entra"`), one
/// key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "entra"
/// tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"    # or "organizations" / "common"
/// client_id = "6e74172b-be56-4843-9ff4-e66a39bb12e3" # the application (client) id = aud
/// # allowed_tenants = ["…"]   # required with "organizations" / "common"
/// # identity = "sub"          # or "oid": one user across the tenant's applications
/// # instance = "https://login.microsoftonline.com"   # a national cloud, or a test server
/// ```
///
/// ```
/// use tambo_auth_entra::EntraProviderBuilder;
///
/// let builder: EntraProviderBuilder = serde_json::from_value(serde_json::json!({
///     "tenant": "organizations",
///     "client_id": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
///     "allowed_tenants": ["72f988bf-86f1-41af-91ab-2d7cd011db47"],
///     "identity": "oid",
/// }))?;
/// let provider = builder.build()?;
/// # let _ = provider;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct EntraProviderBuilder {
    tenant: String,
    client_id: String,
    #[serde(default)]
    allowed_tenants: Vec<String>,
    #[serde(default)]
    identity: Identity,
    #[serde(default = "default_instance")]
    instance: String,
    #[serde(skip)]
    options: ProviderOptions,
}

fn default_instance() -> String {
    ENTRA_INSTANCE.to_owned()
}

impl EntraProviderBuilder {
    /// Accepts the users of this tenant (a directory id); may be called more than once.
    /// Required, and only allowed, for a multi-tenant app (`organizations` or `common`):
    /// without the list, any Microsoft tenant could mint accepted tokens.
    pub fn allowed_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.allowed_tenants.push(tenant_id.into());
        self
    }

    /// Which claim identifies users (default [`Identity::Sub`]).
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// The Entra instance (default [`ENTRA_INSTANCE`]): a national cloud's
    /// (`https://login.microsoftonline.us`), or a test server.
    pub fn instance(mut self, url: impl Into<String>) -> Self {
        self.instance = url.into();
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback instance here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<EntraProvider, Error> {
        let client_id = check_client_id(&self.client_id)?;
        let instance = origin(
            &self.instance,
            "instance",
            ENTRA_INSTANCE,
            self.options.allow_loopback_http,
        )?;
        let tenants = Tenants::new(&self.tenant, &self.allowed_tenants)?;
        // `Tenants` holds at least one id: a single tenant's, or a non-empty allow-list.
        let ids = tenants.ids();
        let mut builder = Verifier::builder(v2_issuer(&instance, &ids[0]))
            .options(&self.options)
            .audience(client_id.clone())
            .algorithms([Algorithm::RS256]);
        builder = match &tenants {
            // The tenant's discovery document names its own issuer, as the core requires.
            Tenants::Single(_) => builder.oidc_discovery(),
            // The multi-tenant document names the template `…/{tenantid}/v2.0`, which no
            // configured issuer equals: its keys are read from the JWKS it points to, and each
            // allowed tenant's issuer is listed (docs/decisions.md).
            Tenants::Multi { authority, .. } => {
                builder.jwks_url(format!("{instance}/{authority}/discovery/v2.0/keys"))
            }
        };
        for id in &ids[1..] {
            builder = builder.additional_issuer(v2_issuer(&instance, id));
        }
        let refused_issuers = ids
            .iter()
            .map(|id| format!("{V1_ISSUER_PREFIX}{id}/"))
            .collect();
        Ok(EntraProvider {
            verifier: builder.build()?,
            namespace: Namespace::of(&instance),
            instance,
            client_id,
            tenants,
            identity: self.identity,
            refused_issuers,
        })
    }
}

fn check_client_id(input: &str) -> Result<String, Error> {
    let id = input.trim().to_ascii_lowercase();
    if id == GRAPH_APP_ID {
        return Err(Error::config(
            "client_id",
            "this is Microsoft Graph's application id; set your own app registration's application (client) id",
        ));
    }
    if is_guid(&id) {
        return Ok(id);
    }
    let hint = if id.starts_with("api://") {
        "this is the Application ID URI; v2.0 tokens carry the application (client) id as `aud`, a GUID (Entra admin center → App registrations → your app → Overview)"
    } else {
        "the application (client) id is a GUID (Entra admin center → App registrations → your app → Overview)"
    };
    Err(Error::config("client_id", hint))
}
