//! The authenticated user and its context key: the namespace every thread and message is
//! scoped by.
//!
//! The context key is compatible with Tambo's `generateContextKey`:
//! `oauth:user:<issuer host>[:<tenant>]:<sub>`, the tenant being Google's `hd` (for
//! `accounts.google.com`), Entra's `tid` (for Microsoft hosts) or `org_id` (any host), in that
//! precedence. Two improvements keep the common form unchanged:
//!
//! - an issuer with a path keeps it (`<host>/<path>`), and a non-default port too
//!   (`<host>%3A<port>`), so two realms on one host (Keycloak, Supabase projects behind one
//!   proxy) no longer share users;
//! - `%` and `:` inside a component are percent-encoded, so a `sub` holding `:` can never
//!   read as the tenant form.
//!
//! ```
//! use tambo_auth::ContextKey;
//!
//! let key = ContextKey::derive("https://example.us.auth0.com/", None, "auth0|123");
//! assert_eq!(key.as_str(), "oauth:user:example.us.auth0.com:auth0|123");
//!
//! let key = ContextKey::derive("https://accounts.google.com", Some("acme.com"), "1234");
//! assert_eq!(key.as_str(), "oauth:user:accounts.google.com:acme.com:1234");
//!
//! let key = ContextKey::derive("https://ref.supabase.co/auth/v1", None, "9b0e-uuid");
//! assert_eq!(key.as_str(), "oauth:user:ref.supabase.co/auth/v1:9b0e-uuid");
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

use serde::Serialize;
use serde_json::Value;

use crate::jwt::Claims;
use crate::keys::VerificationKey;
use crate::memo::Memo;

/// A user namespace key, `oauth:user:…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ContextKey(Box<str>);

impl ContextKey {
    /// Derives the key from the subject token's issuer, tenant and subject.
    pub fn derive(issuer: &str, tenant: Option<&str>, sub: &str) -> ContextKey {
        ContextKey::in_namespace(&IssuerForms::of(issuer).namespace, tenant, sub)
    }

    /// The key in an issuer's namespace (see [`issuer_namespace`]).
    fn in_namespace(namespace: &str, tenant: Option<&str>, sub: &str) -> ContextKey {
        const PREFIX: &str = "oauth:user:";
        let tenant = tenant.filter(|t| !t.is_empty()).map(escape);
        let sub = escape(sub);
        // Sized exactly: `into_boxed_str` would otherwise shrink it, a second allocation.
        let len = PREFIX.len()
            + namespace.len()
            + 1
            + tenant.as_ref().map_or(0, |tenant| tenant.len() + 1)
            + sub.len();
        let mut key = String::with_capacity(len);
        key.push_str(PREFIX);
        key.push_str(namespace);
        key.push(':');
        if let Some(tenant) = tenant {
            key.push_str(&tenant);
            key.push(':');
        }
        key.push_str(&sub);
        ContextKey(key.into_boxed_str())
    }

    /// Derives the key the way Tambo does from verified claims: the tenant is `hd` for
    /// Google, `tid` for Microsoft, else `org_id`.
    pub fn from_claims(issuer: &str, claims: &Claims, sub: &str) -> ContextKey {
        ContextKey::derive(issuer, tenant_of(issuer, claims), sub)
    }

    /// Wraps a stored key.
    pub fn from_stored(key: impl Into<String>) -> ContextKey {
        ContextKey(key.into().into_boxed_str())
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tambo's tenant rule: `hd` on Google's host, `tid` on Microsoft hosts, else `org_id`.
pub(crate) fn tenant_of<'c>(issuer: &str, claims: &'c Claims) -> Option<&'c str> {
    tenant_on(&IssuerForms::of(issuer).host, claims)
}

/// [`tenant_of`] for an issuer whose host is `host`.
fn tenant_on<'c>(host: &str, claims: &'c Claims) -> Option<&'c str> {
    let non_empty = |name: &str| claims.get_str(name).filter(|v| !v.is_empty());
    if host == "accounts.google.com"
        && let Some(hd) = non_empty("hd")
    {
        return Some(hd);
    }
    if (host == "login.microsoftonline.com"
        || host.ends_with(".microsoftonline.com")
        || host == "sts.windows.net")
        && let Some(tid) = non_empty("tid")
    {
        return Some(tid);
    }
    non_empty("org_id")
}

/// A provider's name, one allocation shared by every user it maps.
fn shared_name(name: &str) -> Arc<str> {
    static NAMES: LazyLock<Memo<Arc<str>>> = LazyLock::new(|| Memo::new(IssuerForms::KEPT));
    NAMES.shared(name)
}

/// An issuer's host and namespace, as derived below. Deriving them parses the issuer as a
/// URL, and every token of an issuer asks again: the forms of the last few hundred issuers
/// are kept.
#[derive(Clone)]
pub(crate) struct IssuerForms(Arc<Forms>);

impl fmt::Debug for IssuerForms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IssuerForms").field(&self.issuer).finish()
    }
}

pub(crate) struct Forms {
    /// The issuer itself, shared by every user of it.
    issuer: Arc<str>,
    host: Box<str>,
    namespace: Box<str>,
}

impl Forms {
    /// The issuer these forms are of.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }
}

impl std::ops::Deref for IssuerForms {
    type Target = Forms;

    fn deref(&self) -> &Forms {
        &self.0
    }
}

impl IssuerForms {
    const KEPT: usize = 256;

    pub(crate) fn of(issuer: &str) -> IssuerForms {
        static SEEN: LazyLock<Memo<IssuerForms>> = LazyLock::new(|| Memo::new(IssuerForms::KEPT));
        SEEN.get_or_insert_with(issuer, || {
            IssuerForms(Arc::new(Forms {
                issuer: issuer.into(),
                host: issuer_host(issuer).into(),
                namespace: issuer_namespace(issuer).into(),
            }))
        })
    }
}

/// The host of a URL issuer (lowercase, no port: as Tambo's `new URL().hostname`), or the
/// issuer itself with characters outside `[A-Za-z0-9.-]` replaced by `_` when it is not a URL.
fn issuer_host(issuer: &str) -> String {
    match url::Url::parse(issuer) {
        Ok(url) if url.host_str().is_some() => url.host_str().unwrap_or_default().to_owned(),
        _ => issuer
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
    }
}

/// The host, plus a non-default port and the path when there is one beyond `/` (trailing
/// `/` trimmed). The default port and an empty path give Tambo's form exactly.
fn issuer_namespace(issuer: &str) -> String {
    let mut namespace = escape(&issuer_host(issuer)).into_owned();
    if let Ok(url) = url::Url::parse(issuer)
        && url.host_str().is_some()
    {
        if let Some(port) = url.port() {
            namespace.push_str(&escape(&format!(":{port}")));
        }
        namespace.push_str(&escape(url.path().trim_end_matches('/')));
    }
    namespace
}

/// Percent-encodes `%` and `:` only, leaving every common subject form untouched.
fn escape(component: &str) -> Cow<'_, str> {
    if !component.contains([':', '%']) {
        return Cow::Borrowed(component);
    }
    Cow::Owned(component.replace('%', "%25").replace(':', "%3A"))
}

/// The user a verified token speaks for.
///
/// Cheap to clone (one `Arc`): the layer puts it in request extensions and handlers take it by
/// value. `Debug` shows the subject, issuer and context key, never the raw claims (they may
/// hold personal data).
#[derive(Clone)]
pub struct TamboUser(Arc<UserData>);

#[derive(Clone)]
pub(crate) struct UserData {
    sub: Subject,
    issuer: Arc<str>,
    provider: Arc<str>,
    tenant: Option<Box<str>>,
    email: Option<Box<str>>,
    email_verified: Option<bool>,
    context_key: ContextKey,
    project: Option<Arc<str>>,
    scope: Option<Box<str>>,
    token_id: Option<Box<str>>,
    signing_key: Option<Arc<VerificationKey>>,
    expires_at: Option<i64>,
    issued_at: Option<i64>,
    /// The claims, held from the start (no once-cell to set for every first-seen token)...
    claims: Option<Claims>,
    /// ...or, in a cached copy whose claims are exactly its token's payload, read back from
    /// `token` when first asked for.
    read_back: OnceLock<Claims>,
    /// Whether `claims` is exactly the verified token's payload (Tambo tokens), so a cached
    /// copy can read it back from the token instead of keeping its own.
    claims_are_payload: bool,
    /// In a cached copy only: the token this user was verified from (a credential: never
    /// shown, never serialized).
    token: Option<Arc<str>>,
}

/// Where a user's subject is kept: as the end of its context key whenever the key ends with
/// it (an unescaped `sub`, nearly always), so that one allocation holds both.
#[derive(Clone)]
enum Subject {
    /// `context_key[at..]`.
    InKey(usize),
    Own(Box<str>),
}

impl Subject {
    fn of(key: &ContextKey, sub: &str) -> Subject {
        match key.as_str().strip_suffix(sub) {
            Some(head) => Subject::InKey(head.len()),
            None => Subject::Own(sub.into()),
        }
    }
}

impl UserData {
    fn sub(&self) -> &str {
        match &self.sub {
            Subject::InKey(at) => self.context_key.as_str().get(*at..).unwrap_or_default(),
            Subject::Own(sub) => sub,
        }
    }

    /// Sets the context key, keeping the subject.
    fn rekey(&mut self, key: ContextKey) {
        self.sub = Subject::of(&key, self.sub());
        self.context_key = key;
    }

    /// The token a cached copy carries (empty for others).
    pub(crate) fn token_bytes(&self) -> &[u8] {
        self.token.as_deref().unwrap_or_default().as_bytes()
    }

    /// `exp` in seconds (`i64::MIN` when unknown: never valid in the cache).
    pub(crate) fn expiry(&self) -> i64 {
        self.expires_at.unwrap_or(i64::MIN)
    }
}

impl Serialize for TamboUser {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let u = &self.0;
        let optional = usize::from(u.project.is_some()) + usize::from(u.scope.is_some());
        let mut s = serializer.serialize_struct("TamboUser", 7 + optional)?;
        s.serialize_field("sub", u.sub())?;
        s.serialize_field("issuer", &u.issuer)?;
        s.serialize_field("provider", &u.provider)?;
        s.serialize_field("tenant", &u.tenant)?;
        s.serialize_field("email", &u.email)?;
        s.serialize_field("email_verified", &u.email_verified)?;
        s.serialize_field("context_key", &u.context_key)?;
        if let Some(project) = &u.project {
            s.serialize_field("project", project)?;
        }
        if let Some(scope) = &u.scope {
            s.serialize_field("scope", scope)?;
        }
        s.end()
    }
}

impl fmt::Debug for TamboUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.0;
        f.debug_struct("TamboUser")
            .field("sub", &u.sub())
            .field("issuer", &u.issuer)
            .field("provider", &u.provider)
            .field("tenant", &u.tenant)
            .field("context_key", &u.context_key)
            .field("project", &u.project)
            .finish_non_exhaustive()
    }
}

impl TamboUser {
    /// Builds a user with the default mapping: `sub`, Tambo's tenant rule, `email` and
    /// `email_verified` when present.
    pub fn from_claims(
        provider: impl AsRef<str>,
        issuer: &str,
        claims: Claims,
    ) -> Option<TamboUser> {
        TamboUser::from_claims_in(provider.as_ref(), &IssuerForms::of(issuer), claims)
    }

    /// [`from_claims`](Self::from_claims) with the issuer's forms at hand (a verifier keeps
    /// its issuer's), skipping their lookup.
    pub(crate) fn from_claims_in(
        provider: &str,
        forms: &IssuerForms,
        claims: Claims,
    ) -> Option<TamboUser> {
        let sub = claims.sub()?;
        let tenant = tenant_on(&forms.host, &claims);
        let context_key = ContextKey::in_namespace(&forms.namespace, tenant, sub);
        Some(TamboUser(Arc::new(UserData {
            sub: Subject::of(&context_key, sub),
            context_key,
            email: claims.get_str("email").map(Box::from),
            // OIDC's `email_verified`, or `emailVerified` as Better Auth and Neon Auth spell it.
            email_verified: claims
                .get("email_verified")
                .or_else(|| claims.get("emailVerified"))
                .and_then(Value::as_bool),
            issuer: Arc::clone(&forms.issuer),
            provider: shared_name(provider),
            tenant: tenant.map(Box::from),
            project: None,
            scope: None,
            token_id: None,
            signing_key: None,
            expires_at: claims.exp().ok().flatten().map(|e| e as i64),
            issued_at: claims.iat().ok().flatten().map(|i| i as i64),
            claims: Some(claims),
            read_back: OnceLock::new(),
            claims_are_payload: false,
            token: None,
        })))
    }

    /// The user a verified Tambo token speaks for (see [`crate::token`]).
    #[allow(clippy::too_many_arguments)] // one private constructor, called from one place
    pub(crate) fn from_tambo_token(
        issuer: Arc<str>,
        provider: Arc<str>,
        tenant: Option<String>,
        context_key: ContextKey,
        project: Arc<str>,
        scope: Option<String>,
        token_id: String,
        signing_key: Arc<VerificationKey>,
        (issued_at, expires_at): (i64, i64),
        claims: Claims,
    ) -> Option<TamboUser> {
        Some(TamboUser(Arc::new(UserData {
            sub: Subject::of(&context_key, claims.sub()?),
            email: None,
            email_verified: None,
            issuer,
            provider,
            tenant: tenant.map(Box::from),
            context_key,
            project: Some(project),
            scope: scope.map(Box::from),
            token_id: Some(token_id.into()),
            signing_key: Some(signing_key),
            expires_at: Some(expires_at),
            issued_at: Some(issued_at),
            claims: Some(claims),
            read_back: OnceLock::new(),
            claims_are_payload: true,
            token: None,
        })))
    }

    /// Overrides the tenant (adapters with their own organization claim), re-deriving the
    /// context key.
    #[must_use]
    pub fn with_tenant(mut self, tenant: Option<String>) -> Self {
        let u = Arc::make_mut(&mut self.0);
        u.rekey(ContextKey::derive(&u.issuer, tenant.as_deref(), u.sub()));
        u.tenant = tenant.map(Box::from);
        self
    }

    /// Renames the provider (an adapter that reuses another's mapping).
    #[must_use]
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.0).provider = Arc::from(provider.into());
        self
    }

    /// Overrides the issuer used for the namespace (adapters that normalize several issuer
    /// spellings to one), re-deriving the context key.
    #[must_use]
    pub fn with_namespace_issuer(mut self, issuer: impl Into<String>) -> Self {
        let u = Arc::make_mut(&mut self.0);
        u.issuer = Arc::from(issuer.into());
        u.rekey(ContextKey::derive(&u.issuer, u.tenant.as_deref(), u.sub()));
        self
    }

    /// The provider's subject (`sub`).
    pub fn sub(&self) -> &str {
        self.0.sub()
    }

    /// The subject token's issuer.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The name of the provider that verified the token.
    pub fn provider(&self) -> &str {
        &self.0.provider
    }

    /// The tenant (`hd`, `tid`, `org_id` or an adapter's own).
    pub fn tenant(&self) -> Option<&str> {
        self.0.tenant.as_deref()
    }

    /// The `email` claim, when present.
    pub fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// The `email_verified` claim, when present.
    pub fn email_verified(&self) -> Option<bool> {
        self.0.email_verified
    }

    /// The user namespace for threads and messages.
    pub fn context_key(&self) -> &ContextKey {
        &self.0.context_key
    }

    /// The project (Tambo `client_id`) the token was issued to; `None` for provider tokens.
    pub fn project(&self) -> Option<&str> {
        self.0.project.as_deref()
    }

    /// The granted scope, space-delimited, when the token carries one.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// Whether the granted scope includes `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|granted| granted == scope))
    }

    /// The Tambo token's `jti`; `None` for provider tokens.
    pub fn token_id(&self) -> Option<&str> {
        self.0.token_id.as_deref()
    }

    /// The token's `exp`, seconds since the epoch.
    pub fn expires_at(&self) -> Option<i64> {
        self.0.expires_at
    }

    /// The token's `iat`, seconds since the epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.0.issued_at
    }

    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        match &self.0.claims {
            Some(claims) => claims,
            None => self.0.read_back.get_or_init(|| match &self.0.token {
                Some(token) => Claims::from_verified_token(Arc::clone(token)),
                None => Claims::from_map(serde_json::Map::new()),
            }),
        }
    }

    /// A copy for the verified-token cache, keeping `token`, the token this user was verified
    /// from: the same user, its claims read back from the token's payload when they are
    /// exactly that payload (and only when first asked for), else held as compact JSON.
    pub(crate) fn compacted(&self, token: Arc<str>) -> TamboUser {
        let mut data = UserData::clone(&self.0);
        data.claims = if data.claims_are_payload {
            None
        } else {
            Some(self.claims().compacted())
        };
        data.read_back = OnceLock::new();
        data.token = Some(token);
        TamboUser(Arc::new(data))
    }

    /// The shared data of this user (a verified-token cache slot holds it).
    pub(crate) fn into_shared(self) -> Arc<UserData> {
        self.0
    }

    /// The user of shared data taken from a cache slot.
    pub(crate) fn from_shared(data: Arc<UserData>) -> TamboUser {
        TamboUser(data)
    }

    /// The token a cached copy was verified from.
    pub(crate) fn cached_token(&self) -> Option<&str> {
        self.0.token.as_deref()
    }

    /// The `kid` of the Tambo token's signing key, for re-checks of cached users.
    pub(crate) fn key_id(&self) -> Option<&str> {
        self.0.signing_key.as_ref().and_then(|key| key.kid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::from_map(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn tambo_compatible_forms_are_unchanged() {
        let cases = [
            (
                "https://t.auth0.com/",
                json!({}),
                "auth0|1",
                "oauth:user:t.auth0.com:auth0|1",
            ),
            (
                "https://accounts.google.com",
                json!({"hd": "acme.com"}),
                "42",
                "oauth:user:accounts.google.com:acme.com:42",
            ),
            (
                "accounts.google.com",
                json!({"hd": "acme.com"}),
                "42",
                "oauth:user:accounts.google.com:acme.com:42",
            ),
            (
                "https://login.microsoftonline.com/tid-1/v2.0",
                json!({"tid": "tid-1"}),
                "u",
                "oauth:user:login.microsoftonline.com/tid-1/v2.0:tid-1:u",
            ),
            (
                "https://api.workos.com",
                json!({"org_id": "org_9"}),
                "user_1",
                "oauth:user:api.workos.com:org_9:user_1",
            ),
            (
                "https://clerk.acme.dev",
                json!({"hd": "ignored-off-google"}),
                "user_2",
                "oauth:user:clerk.acme.dev:user_2",
            ),
            (
                "https://IDP.Example:443/",
                json!({}),
                "s",
                "oauth:user:idp.example:s",
            ),
        ];
        for (iss, c, sub, want) in cases {
            assert_eq!(
                ContextKey::from_claims(iss, &claims(c), sub).as_str(),
                want,
                "{iss}"
            );
        }
    }

    #[test]
    fn hd_wins_over_org_id_on_google_and_empty_tenants_are_ignored() {
        let c = claims(json!({"hd": "acme.com", "org_id": "org"}));
        assert_eq!(
            ContextKey::from_claims("https://accounts.google.com", &c, "1").as_str(),
            "oauth:user:accounts.google.com:acme.com:1"
        );
        let c = claims(json!({"org_id": ""}));
        assert_eq!(
            ContextKey::from_claims("https://x.example", &c, "1").as_str(),
            "oauth:user:x.example:1"
        );
    }

    #[test]
    fn a_colon_in_sub_cannot_forge_the_tenant_form() {
        let with_tenant = ContextKey::derive("https://x.example", Some("org"), "alice");
        let forged = ContextKey::derive("https://x.example", None, "org:alice");
        assert_ne!(with_tenant, forged);
        assert_eq!(forged.as_str(), "oauth:user:x.example:org%3Aalice");
        let percent = ContextKey::derive("https://x.example", None, "org%3Aalice");
        assert_ne!(percent, forged);
    }

    #[test]
    fn issuers_with_paths_get_their_own_namespace() {
        let a = ContextKey::derive("https://kc.example/realms/a", None, "u");
        let b = ContextKey::derive("https://kc.example/realms/b", None, "u");
        assert_ne!(a, b);
        assert_eq!(a.as_str(), "oauth:user:kc.example/realms/a:u");
        assert_eq!(
            ContextKey::derive("https://kc.example/realms/a/", None, "u"),
            a
        );
    }

    #[test]
    fn issuers_on_other_ports_get_their_own_namespace() {
        let key = ContextKey::derive("http://127.0.0.1:8443/t", None, "u");
        assert_eq!(key.as_str(), "oauth:user:127.0.0.1%3A8443/t:u");
        assert_ne!(
            key,
            ContextKey::derive("http://127.0.0.1:9443/t", None, "u")
        );
    }

    #[test]
    fn issuer_forms_stay_right_past_the_number_kept() {
        for i in 0..IssuerForms::KEPT + 50 {
            for _ in 0..2 {
                let key =
                    ContextKey::derive(&format!("https://idp-{i}.example:8{i:03}/r"), None, "u");
                assert_eq!(
                    key.as_str(),
                    format!("oauth:user:idp-{i}.example%3A8{i:03}/r:u")
                );
            }
        }
    }

    #[test]
    fn same_sub_from_two_issuers_is_two_users() {
        assert_ne!(
            ContextKey::derive("https://idp-a.example", None, "123"),
            ContextKey::derive("https://idp-b.example", None, "123")
        );
    }

    #[test]
    fn the_subject_reads_back_whether_or_not_the_key_spells_it() {
        for sub in ["alice", "org:alice", "100%", ""] {
            let user = TamboUser::from_claims(
                "oidc",
                "https://x.example",
                claims(json!({"sub": sub, "org_id": "o1"})),
            )
            .unwrap();
            assert_eq!(user.sub(), sub);
            assert_eq!(
                user.context_key(),
                &ContextKey::derive("https://x.example", Some("o1"), sub)
            );
            let moved = user
                .with_tenant(None)
                .with_namespace_issuer("https://y.example");
            assert_eq!(moved.sub(), sub, "re-keyed");
            assert_eq!(
                moved.context_key(),
                &ContextKey::derive("https://y.example", None, sub)
            );
        }
    }

    #[test]
    fn a_user_serializes_its_public_fields_only() {
        let user = TamboUser::from_claims(
            "oidc",
            "https://x.example",
            claims(json!({"sub": "a:b", "email": "a@x.example", "email_verified": true})),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({
                "sub": "a:b", "issuer": "https://x.example", "provider": "oidc",
                "tenant": null, "email": "a@x.example", "email_verified": true,
                "context_key": "oauth:user:x.example:a%3Ab",
            })
        );
    }

    #[test]
    fn user_debug_hides_claims() {
        let user = TamboUser::from_claims(
            "oidc",
            "https://x.example",
            claims(json!({"sub": "u", "email": "private@example.com"})),
        )
        .unwrap();
        assert!(!format!("{user:?}").contains("private@example.com"));
        assert_eq!(user.email(), Some("private@example.com"));
    }
}
