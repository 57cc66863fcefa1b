//! [`FirebaseProvider`] and its builder: the project's issuer, Google's securetoken keys,
//! RS256, the project ID as `aud`, the uid and `auth_time` checks, and the anonymous,
//! sign-in provider, tenant and recent sign-in policies.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use tambo_auth::jwt::{Claims, Jws};
use tambo_auth::provider::{check_names, require_listed};
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

use crate::FirebaseClaims;

/// Google's JWKS of the keys that sign Firebase ID tokens (the `securetoken` service account),
/// the default of [`jwks_url`](FirebaseProviderBuilder::jwks_url).
pub const FIREBASE_JWKS_URL: &str =
    "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";

const NAME: &str = "firebase";

/// The issuer of a project's ID tokens is this followed by the project ID.
const ISSUER_PREFIX: &str = "https://securetoken.google.com/";

/// The issuer of a project's session cookies is this followed by the project ID.
const SESSION_COOKIE_ISSUER_PREFIX: &str = "https://session.firebase.google.com/";

/// The `aud` of every custom token the Admin SDK mints.
const CUSTOM_TOKEN_AUDIENCE: &str =
    "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit";

/// The longest Firebase uid.
const MAX_UID_CHARS: usize = 128;

const SESSION_COOKIE_HINT: &str = "this is a Firebase session cookie (`iss` https://session.firebase.google.com/<project>, made by the Admin SDK's `createSessionCookie`), which your own server checks with `verifySessionCookie`; send the ID token from `await user.getIdToken()` instead";

const CUSTOM_TOKEN_HINT: &str = "this is a Firebase custom token (minted by the Admin SDK's `createCustomToken`, `aud` the Identity Toolkit API), which only Firebase Auth accepts: sign in with it (`signInWithCustomToken(auth, token)`) and send the ID token of the signed-in user (`await user.getIdToken()`)";

/// Verifies Firebase Authentication ID tokens of one project and maps them to users. Build it
/// with [`FirebaseProvider::builder`].
#[derive(Debug, Clone)]
pub struct FirebaseProvider {
    verifier: Verifier,
    project_id: String,
    allow_anonymous: bool,
    allowed_sign_in_providers: Vec<String>,
    allowed_tenants: Vec<String>,
    max_auth_age: Option<Duration>,
    refused_issuers: Vec<String>,
}

impl FirebaseProvider {
    /// Starts a provider for the Firebase project `project_id` (Firebase console → Project
    /// settings → General → Project ID; `projectId` in the web app's config).
    pub fn builder(project_id: impl Into<String>) -> FirebaseProviderBuilder {
        FirebaseProviderBuilder {
            project_id: Some(project_id.into()),
            allow_anonymous: true,
            allowed_sign_in_providers: Vec::new(),
            allowed_tenants: Vec::new(),
            max_auth_age: Ok(None),
            jwks_url: None,
            options: ProviderOptions::default(),
        }
    }

    /// The project ID: the `aud` of accepted tokens.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The issuer tokens must name: `https://securetoken.google.com/<project ID>`.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }

    /// `auth_time` is a past sign-in, recent enough for `max_auth_age` when that is set.
    fn check_auth_time(&self, claims: &Claims) -> Result<(), Error> {
        let invalid = |reason| Error::InvalidClaim {
            claim: "auth_time",
            reason,
        };
        let auth_time = claims
            .numeric_date("auth_time")?
            .ok_or(Error::MissingClaim { claim: "auth_time" })?;
        let now = self.verifier.clock().unix_seconds();
        let leeway = self.verifier.policy().leeway().as_secs_f64();
        if auth_time > now + leeway {
            return Err(invalid(
                "in the future: a user cannot have signed in after now (check this server's clock)",
            ));
        }
        if let Some(max) = self.max_auth_age
            && now - auth_time > max.as_secs_f64() + leeway
        {
            let age = Duration::from_secs((now - auth_time) as u64);
            return Err(Error::rejected(
                NAME,
                format!(
                    "the user signed in {} ago (`auth_time`), longer ago than `max_auth_age` ({}) allows; have the user sign in again (`reauthenticateWithCredential`, or sign out and in) and send the new ID token",
                    humantime::format_duration(age),
                    humantime::format_duration(max)
                ),
            ));
        }
        Ok(())
    }

    fn check_sign_in_provider(&self, claims: &FirebaseClaims) -> Result<(), Error> {
        if !self.allow_anonymous && claims.is_anonymous() {
            return Err(Error::rejected(
                NAME,
                "anonymous sign-ins are refused here (allow_anonymous = false): have the user sign in with an identity (or link one to the anonymous account with `linkWithCredential`), or allow anonymous users",
            ));
        }
        require_listed(
            NAME,
            &self.allowed_sign_in_providers,
            claims.sign_in_provider.as_deref(),
            |used| {
                format!(
                    "the user signed in with `{used}` (`firebase.sign_in_provider`), which is not in `allowed_sign_in_providers`; sign in with an allowed provider, or add this one"
                )
            },
            "the token has no `firebase.sign_in_provider`, and `allowed_sign_in_providers` is configured; send the ID token from `await user.getIdToken()`",
        )
    }

    fn check_tenant(&self, claims: &FirebaseClaims) -> Result<(), Error> {
        require_listed(
            NAME,
            &self.allowed_tenants,
            claims.tenant.as_deref(),
            |tenant| {
                format!(
                    "the user belongs to the Identity Platform tenant `{tenant}` (`firebase.tenant`), which is not in `allowed_tenants`; sign the user in to an allowed tenant (`auth.tenantId`), or add this one"
                )
            },
            "the user signed in to the project itself, not to a tenant (the token has no `firebase.tenant`), and `allowed_tenants` is configured; set `auth.tenantId` to an allowed tenant before signing in",
        )
    }
}

/// The uid is at most 128 characters, and `user_id`, when present, is the same uid as `sub`.
fn check_uid(claims: &Claims) -> Result<(), Error> {
    // The verifier has already required `sub` to be a non-empty string.
    let sub = claims.sub().unwrap_or_default();
    if sub.chars().count() > MAX_UID_CHARS {
        return Err(Error::InvalidClaim {
            claim: "sub",
            reason: "longer than the 128 characters of a Firebase uid",
        });
    }
    match claims.get("user_id") {
        None => Ok(()),
        Some(Value::String(user_id)) if user_id == sub => Ok(()),
        Some(_) => Err(Error::InvalidClaim {
            claim: "user_id",
            reason: "not the uid in `sub`; Firebase writes the same uid in both",
        }),
    }
}

impl Provider for FirebaseProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Refuses, before any key lookup, the Firebase tokens sent by mistake: session cookies
    /// (routed here by [`refused_issuers`](Provider::refused_issuers)) and custom tokens.
    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        let claims = jws.claims()?;
        if claims
            .iss()
            .is_some_and(|iss| iss.starts_with(SESSION_COOKIE_ISSUER_PREFIX))
        {
            return Err(Error::rejected(NAME, SESSION_COOKIE_HINT));
        }
        if claims
            .aud()
            .ok()
            .flatten()
            .is_some_and(|aud| aud.contains(CUSTOM_TOKEN_AUDIENCE))
        {
            return Err(Error::rejected(NAME, CUSTOM_TOKEN_HINT));
        }
        Ok(())
    }

    /// Checks the uid and `auth_time`, applies the policies, and maps the uid with
    /// `firebase.tenant` as the tenant.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = token.claims();
        check_uid(claims)?;
        self.check_auth_time(claims)?;
        let firebase = FirebaseClaims::from_claims(claims);
        self.check_sign_in_provider(&firebase)?;
        self.check_tenant(&firebase)?;
        // The tenant is `firebase.tenant` alone: a custom claim such as `org_id` (Tambo's
        // default tenant rule) must not move a user to another context key.
        Ok(token.user(NAME)?.with_tenant(firebase.tenant))
    }

    fn refused_issuers(&self) -> &[String] {
        &self.refused_issuers
    }

    fn hints(&self) -> Hints {
        Hints::new(
            Some(
                "Firebase refresh tokens (`user.refreshToken`) are opaque, good only for Firebase's token endpoint; send the ID token from `await user.getIdToken()` (the Web SDK refreshes it before it expires)",
            ),
            Some(
                "Firebase signs its ID tokens without encrypting them: send the ID token from `await user.getIdToken()` as received",
            ),
        )
    }
}

/// Configures a [`FirebaseProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "firebase"`),
/// one key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "firebase"
/// project_id = "acme-threads"        # required: the Firebase project ID, the tokens' aud
/// # allow_anonymous = true           # signInAnonymously() users
/// # allowed_sign_in_providers = ["password", "google.com"]  # firebase.sign_in_provider
/// # allowed_tenants = ["acme-x1y2z"] # Identity Platform tenants (firebase.tenant)
/// # max_auth_age = "15m"             # require a recent sign-in (auth_time)
/// # jwks_url = "http://127.0.0.1:…"  # tests only; default Google's securetoken JWKS
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_firebase::FirebaseProviderBuilder;
///
/// let builder: FirebaseProviderBuilder = serde_json::from_value(serde_json::json!({
///     "project_id": "acme-threads",
///     "allow_anonymous": false,
///     "max_auth_age": "15m",
/// }))?;
/// let provider = builder.build()?;
/// assert_eq!(provider.issuer(), "https://securetoken.google.com/acme-threads");
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct FirebaseProviderBuilder {
    // Not required by serde: `build` refuses a missing project ID naming the field.
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default = "yes")]
    allow_anonymous: bool,
    #[serde(default)]
    allowed_sign_in_providers: Vec<String>,
    #[serde(default)]
    allowed_tenants: Vec<String>,
    // `Err` holds a configured text that is no duration, refused by `build` naming the field.
    #[serde(default = "no_max_auth_age", deserialize_with = "duration")]
    max_auth_age: Result<Option<Duration>, String>,
    #[serde(default)]
    jwks_url: Option<String>,
    #[serde(skip)]
    options: ProviderOptions,
}

fn yes() -> bool {
    true
}

fn no_max_auth_age() -> Result<Option<Duration>, String> {
    Ok(None)
}

fn duration<'de, D>(deserializer: D) -> Result<Result<Option<Duration>, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    Ok(humantime::parse_duration(&text).map(Some).map_err(|_| text))
}

impl FirebaseProviderBuilder {
    /// Whether anonymous users (`signInAnonymously()`, `firebase.sign_in_provider:
    /// "anonymous"`) are users (default `true`, as Supabase's `allow_anonymous`).
    pub fn allow_anonymous(mut self, allow: bool) -> Self {
        self.allow_anonymous = allow;
        self
    }

    /// Accepts only users who signed in with this provider (`firebase.sign_in_provider`:
    /// `password`, `google.com`, `phone`, `anonymous`, `custom`, `github.com`, `oidc.<id>`...),
    /// or another one given here. Default: every provider. With a list, an anonymous user is
    /// accepted only when `anonymous` is on it.
    pub fn allowed_sign_in_provider(mut self, provider: impl Into<String>) -> Self {
        self.allowed_sign_in_providers.push(provider.into());
        self
    }

    /// Accepts only users of this Identity Platform tenant (`firebase.tenant`), or another one
    /// given here; users of the project itself (no tenant) are then refused too. Default:
    /// every user of the project, in any tenant or none.
    pub fn allowed_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.allowed_tenants.push(tenant_id.into());
        self
    }

    /// Refuses users who signed in (`auth_time`) longer ago than `max_age`, beyond the
    /// leeway: for apps that want a recent sign-in. The Web SDK refreshes ID tokens hourly
    /// without a new sign-in, so this is not the token's age. Default: none.
    pub fn max_auth_age(mut self, max_age: Duration) -> Self {
        self.max_auth_age = Ok(Some(max_age));
        self
    }

    /// Another JWKS URL in place of [`FIREBASE_JWKS_URL`]: for tests against a loopback IdP
    /// (with [`ProviderOptions::allow_loopback_http`]).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The deployment's profile, loopback permission and clock (what the server passes;
    /// tests permit a loopback JWKS URL here).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<FirebaseProvider, Error> {
        let project_id = check_project_id(self.project_id.as_deref().unwrap_or_default())?;
        let max_auth_age = self.max_auth_age.map_err(|text| {
            Error::config(
                "max_auth_age",
                format!("{text:?} is not a duration like \"15m\" or \"1h\""),
            )
        })?;
        if max_auth_age.is_some_and(|max| max.is_zero()) {
            return Err(Error::config(
                "max_auth_age",
                "zero would refuse every sign-in; leave it unset to accept any sign-in time",
            ));
        }
        check_names(
            "allowed_sign_in_providers",
            &self.allowed_sign_in_providers,
            "a sign-in provider id such as `password` or `google.com`",
        )?;
        check_names(
            "allowed_tenants",
            &self.allowed_tenants,
            "a tenant id (Identity Platform → Tenants), such as `acme-x1y2z`",
        )?;
        if !self.allow_anonymous
            && self
                .allowed_sign_in_providers
                .iter()
                .any(|p| p == "anonymous")
        {
            return Err(Error::config(
                "allowed_sign_in_providers",
                "lists `anonymous` while allow_anonymous = false; remove one of the two",
            ));
        }
        let verifier = Verifier::builder(format!("{ISSUER_PREFIX}{project_id}"))
            .jwks_url(self.jwks_url.as_deref().unwrap_or(FIREBASE_JWKS_URL))
            .options(&self.options)
            .audience(project_id.clone())
            .algorithms([Algorithm::RS256])
            .build()?;
        Ok(FirebaseProvider {
            verifier,
            refused_issuers: vec![format!("{SESSION_COOKIE_ISSUER_PREFIX}{project_id}")],
            project_id,
            allow_anonymous: self.allow_anonymous,
            allowed_sign_in_providers: self.allowed_sign_in_providers,
            allowed_tenants: self.allowed_tenants,
            max_auth_age,
        })
    }
}

/// A Google Cloud project ID (6 to 30 lowercase letters, digits and hyphens, starting with a
/// letter, not ending with a hyphen), with the values mistaken for it named.
fn check_project_id(input: &str) -> Result<String, Error> {
    let id = input.trim();
    let refuse = |reason: &str| Err(Error::config("project_id", reason));
    if id.is_empty() {
        return refuse(
            "set your Firebase project ID (Firebase console → Project settings → General → Project ID; `projectId` in the web app's config)",
        );
    }
    if id.starts_with("AIza") {
        return refuse(
            "this is the web API key (`apiKey`); set the project ID (`projectId`), the `aud` of the project's ID tokens",
        );
    }
    if id.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(
            "this is the project number (`messagingSenderId`); set the project ID (`projectId`), the `aud` of the project's ID tokens",
        );
    }
    if id.contains("://") {
        return refuse(
            "set the project ID alone, not a URL: the issuer `https://securetoken.google.com/<project ID>` is derived from it",
        );
    }
    if id.ends_with(".firebaseapp.com") || id.ends_with(".web.app") {
        return refuse(
            "this is the auth domain (`authDomain`); set the project ID (`projectId`), usually the domain's first label",
        );
    }
    let shape = (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !shape {
        return refuse(
            "a project ID is 6 to 30 lowercase letters, digits and hyphens, starting with a letter (Firebase console → Project settings → General → Project ID)",
        );
    }
    Ok(id.to_owned())
}
