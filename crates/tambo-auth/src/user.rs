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
use std::sync::Arc;

use serde::Serialize;

use crate::jwt::{Claims, Jws};
use crate::keys::VerificationKey;
use crate::{Error, Verifier};

/// A user namespace key, `oauth:user:…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ContextKey(Box<str>);

impl ContextKey {
    /// Derives the key from the subject token's issuer, tenant and subject.
    pub fn derive(issuer: &str, tenant: Option<&str>, sub: &str) -> ContextKey {
        ContextKey::in_namespace(&Namespace::of(issuer), tenant, sub)
    }

    /// Derives the key in an issuer's namespace.
    pub fn in_namespace(namespace: &Namespace, tenant: Option<&str>, sub: &str) -> ContextKey {
        const PREFIX: &str = "oauth:user:";
        let tenant = tenant.filter(|t| !t.is_empty()).map(escape);
        let sub = escape(sub);
        let namespace = &*namespace.0.namespace;
        // `concat` sizes the key exactly: one allocation, none to shrink.
        let key = match &tenant {
            Some(tenant) => [PREFIX, namespace, ":", tenant, ":", &sub].concat(),
            None => [PREFIX, namespace, ":", &sub].concat(),
        };
        ContextKey(key.into_boxed_str())
    }

    /// Derives the key the way Tambo does from verified claims: the tenant is `hd` for
    /// Google, `tid` for Microsoft, else `org_id`.
    pub fn from_claims(issuer: &str, claims: &Claims, sub: &str) -> ContextKey {
        let namespace = Namespace::of(issuer);
        ContextKey::in_namespace(&namespace, namespace.tenant(claims), sub)
    }

    /// Wraps a stored key.
    pub fn from_stored(key: impl Into<String>) -> ContextKey {
        ContextKey(key.into().into_boxed_str())
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What follows the key's last `:` (the escaped subject).
    fn last_component(&self) -> &str {
        self.0.rsplit_once(':').map_or("", |(_, last)| last)
    }
}

impl fmt::Display for ContextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An issuer's user namespace: its host, for Tambo's tenant rule, and the part of context keys
/// that names the issuer. Derived once (it parses the issuer as a URL) and cheap to clone;
/// a [`Verifier`] holds its issuer's.
///
/// ```
/// use tambo_auth::user::Namespace;
///
/// let namespace = Namespace::of("https://Kc.Example:8443/realms/a/");
/// assert_eq!(namespace.issuer(), "https://Kc.Example:8443/realms/a/");
/// assert_eq!(namespace.as_str(), "kc.example%3A8443/realms/a");
/// ```
#[derive(Clone)]
pub struct Namespace(Arc<NamespaceData>);

struct NamespaceData {
    issuer: Arc<str>,
    host: Box<str>,
    namespace: Box<str>,
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Namespace").field(&self.0.namespace).finish()
    }
}

impl Namespace {
    /// The namespace of `issuer`: its host, plus a non-default port and the path when there
    /// is one beyond `/` (trailing `/` trimmed). The default port and an empty path give
    /// Tambo's form exactly. An issuer that is not a URL keeps its letters, digits, `.` and
    /// `-`, other characters becoming `_`.
    pub fn of(issuer: &str) -> Namespace {
        let url = url::Url::parse(issuer)
            .ok()
            .filter(|u| u.host_str().is_some());
        let (host, namespace) = match &url {
            Some(url) => {
                let host = url.host_str().unwrap_or_default().to_owned();
                let mut namespace = escape(&host).into_owned();
                if let Some(port) = url.port() {
                    namespace.push_str(&escape(&format!(":{port}")));
                }
                namespace.push_str(&escape(url.path().trim_end_matches('/')));
                (host, namespace)
            }
            None => {
                let host: String = issuer
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let namespace = escape(&host).into_owned();
                (host, namespace)
            }
        };
        Namespace(Arc::new(NamespaceData {
            issuer: issuer.into(),
            host: host.into(),
            namespace: namespace.into(),
        }))
    }

    /// The issuer this namespace is of.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The namespace as context keys spell it.
    pub fn as_str(&self) -> &str {
        &self.0.namespace
    }

    /// Tambo's tenant rule: `hd` on Google's host, `tid` on Microsoft hosts, else `org_id`.
    pub fn tenant<'c>(&self, claims: &'c Claims) -> Option<&'c str> {
        let host = &*self.0.host;
        if host == "accounts.google.com"
            && let Some(hd) = claims.non_empty("hd")
        {
            return Some(hd);
        }
        if (host == "login.microsoftonline.com"
            || host.ends_with(".microsoftonline.com")
            || host == "sts.windows.net")
            && let Some(tid) = claims.non_empty("tid")
        {
            return Some(tid);
        }
        claims.non_empty("org_id")
    }
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
/// Cheap to clone (two `Arc`s): the layer puts it in request extensions and handlers take it
/// by value. `Debug` shows the subject, issuer and context key, never the raw claims (they may
/// hold personal data) nor the token it was verified from.
#[derive(Clone)]
pub struct TamboUser {
    data: Arc<UserData>,
    claims: ClaimsSource,
}

/// Where a user's claims are.
#[derive(Clone)]
enum ClaimsSource {
    /// Held: a user fresh from verification, or built from claims.
    Held(Claims),
    /// Read back from the token when asked: the copy the layer's cache keeps, which holds its
    /// token anyway (a credential: never shown, never serialized), so the cache holds each
    /// token once and no claims beside it.
    Token(Arc<str>),
}

#[derive(Clone)]
struct UserData {
    /// `None` when the subject is the context key's last component, as it is whenever the
    /// subject needs no escaping: one allocation then holds both (the cache holds 100 000
    /// users).
    sub: Option<Box<str>>,
    issuer: Arc<str>,
    provider: Arc<str>,
    /// The namespace the context key was derived in (`None` for a Tambo token, whose key is
    /// one of its claims).
    namespace: Option<Namespace>,
    tenant: Option<Box<str>>,
    email: Option<Box<str>>,
    email_verified: Option<bool>,
    context_key: ContextKey,
    project: Option<Box<str>>,
    scope: Option<Box<str>>,
    token_id: Option<Box<str>>,
    /// `exp` and `iat` in seconds, [`NO_TIME`] when absent.
    expires_at: i64,
    issued_at: i64,
    origin: Option<Origin>,
}

/// A date a token does not carry.
const NO_TIME: i64 = i64::MIN;

impl UserData {
    fn sub(&self) -> &str {
        match &self.sub {
            Some(sub) => sub,
            None => self.context_key.last_component(),
        }
    }
}

/// `sub` as a user keeps it beside `key`: nothing when `key` ends with it.
fn own_sub(key: &ContextKey, sub: &str) -> Option<Box<str>> {
    (key.last_component() != sub).then(|| sub.into())
}

fn time(seconds: Option<i64>) -> i64 {
    seconds.unwrap_or(NO_TIME)
}

fn optional_time(seconds: i64) -> Option<i64> {
    (seconds != NO_TIME).then_some(seconds)
}

/// What verified a user's token, so that a cached user can be checked again.
#[derive(Clone)]
pub(crate) enum Origin {
    /// A provider's verifier, and the key that verified the token (`None` under the
    /// development `none` strategy).
    Provider {
        verifier: Verifier,
        key: Option<Arc<VerificationKey>>,
    },
    /// A Tambo token, and the key of the ring that verified it.
    Tambo { key: Arc<VerificationKey> },
}

impl Serialize for TamboUser {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let u = &self.data;
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
        let u = &self.data;
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

/// What a verified Tambo token says of its user (see [`crate::token`]).
pub(crate) struct TamboTokenUser {
    pub(crate) original_issuer: Arc<str>,
    pub(crate) provider: Arc<str>,
    pub(crate) tenant: Option<String>,
    pub(crate) context_key: ContextKey,
    pub(crate) project: String,
    pub(crate) scope: Option<String>,
    pub(crate) token_id: String,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
}

impl TamboUser {
    /// Builds a user with the default mapping: `sub`, Tambo's tenant rule, `email` and
    /// `email_verified` when present. `None` without a string `sub`.
    pub fn from_claims(provider: &str, issuer: &str, claims: Claims) -> Option<TamboUser> {
        TamboUser::from_claims_in(provider, &Namespace::of(issuer), claims).ok()
    }

    /// [`from_claims`](Self::from_claims) in a namespace derived once (a verifier's, or an
    /// adapter's own).
    pub fn from_claims_in(
        provider: &str,
        namespace: &Namespace,
        claims: Claims,
    ) -> Result<TamboUser, Error> {
        let sub = claims.sub().ok_or(Error::MissingClaim { claim: "sub" })?;
        let tenant = namespace.tenant(&claims);
        let context_key = ContextKey::in_namespace(namespace, tenant, sub);
        let data = Arc::new(UserData {
            sub: own_sub(&context_key, sub),
            issuer: Arc::clone(&namespace.0.issuer),
            provider: provider.into(),
            context_key,
            namespace: Some(namespace.clone()),
            tenant: tenant.map(Box::from),
            email: claims.get_str("email").map(Box::from),
            // OIDC's `email_verified`, or `emailVerified` as Better Auth and Neon Auth spell it.
            email_verified: claims
                .bool("email_verified")
                .or_else(|| claims.bool("emailVerified")),
            project: None,
            scope: None,
            token_id: None,
            expires_at: time(claims.exp().ok().flatten().map(|e| e as i64)),
            issued_at: time(claims.iat().ok().flatten().map(|i| i as i64)),
            origin: None,
        });
        Ok(TamboUser {
            data,
            claims: ClaimsSource::Held(claims),
        })
    }

    /// The user a verified Tambo token speaks for.
    pub(crate) fn from_tambo_token(
        claims: &Claims,
        sub: &str,
        what: TamboTokenUser,
        key: Arc<VerificationKey>,
    ) -> TamboUser {
        let data = Arc::new(UserData {
            sub: own_sub(&what.context_key, sub),
            issuer: what.original_issuer,
            provider: what.provider,
            namespace: None,
            tenant: what.tenant.map(Box::from),
            email: None,
            email_verified: None,
            context_key: what.context_key,
            project: Some(what.project.into()),
            scope: what.scope.map(Box::from),
            token_id: Some(what.token_id.into()),
            expires_at: what.expires_at,
            issued_at: what.issued_at,
            origin: Some(Origin::Tambo { key }),
        });
        TamboUser {
            data,
            claims: ClaimsSource::Held(claims.clone()),
        }
    }

    /// Records what verified this user (the core does, after a provider's mapping): what a
    /// cached copy is re-checked against.
    pub(crate) fn verified_by(mut self, origin: Origin) -> TamboUser {
        Arc::make_mut(&mut self.data).origin = Some(origin);
        self
    }

    /// The copy the layer's cache keeps for `token`, the token this user was verified from:
    /// the same user, its claims read back from the token when asked.
    pub(crate) fn for_cache(&self, token: Arc<str>) -> TamboUser {
        TamboUser {
            data: Arc::clone(&self.data),
            claims: ClaimsSource::Token(token),
        }
    }

    /// Overrides the tenant (adapters with their own organization claim), re-deriving the
    /// context key in the same namespace.
    #[must_use]
    pub fn with_tenant(self, tenant: Option<String>) -> Self {
        let sub = self.sub().to_owned();
        self.rederive(tenant, &sub)
    }

    /// Overrides the subject (adapters whose stable user id is another claim, such as Entra's
    /// `oid` beside its per-application `sub`), re-deriving the context key in the same
    /// namespace. The claims keep the token's own `sub`.
    #[must_use]
    pub fn with_subject(self, sub: &str) -> Self {
        let tenant = self.tenant().map(str::to_owned);
        self.rederive(tenant, sub)
    }

    /// The same user with its context key derived in `namespace` (the current path of a
    /// migration window, for a token of the previous one).
    pub(crate) fn in_namespace(mut self, namespace: &Namespace) -> Self {
        let sub = self.sub().to_owned();
        let tenant = self.tenant().map(str::to_owned);
        Arc::make_mut(&mut self.data).namespace = Some(namespace.clone());
        self.rederive(tenant, &sub)
    }

    fn rederive(mut self, tenant: Option<String>, sub: &str) -> Self {
        let u = Arc::make_mut(&mut self.data);
        let namespace = u
            .namespace
            .get_or_insert_with(|| Namespace::of(&u.issuer))
            .clone();
        u.context_key = ContextKey::in_namespace(&namespace, tenant.as_deref(), sub);
        u.sub = own_sub(&u.context_key, sub);
        u.tenant = tenant.map(Box::from);
        self
    }

    /// The provider's subject (`sub`).
    pub fn sub(&self) -> &str {
        self.data.sub()
    }

    /// The subject token's issuer.
    pub fn issuer(&self) -> &str {
        &self.data.issuer
    }

    /// The name of the provider that verified the token.
    pub fn provider(&self) -> &str {
        &self.data.provider
    }

    /// The tenant (`hd`, `tid`, `org_id` or an adapter's own).
    pub fn tenant(&self) -> Option<&str> {
        self.data.tenant.as_deref()
    }

    /// The `email` claim, when present.
    pub fn email(&self) -> Option<&str> {
        self.data.email.as_deref()
    }

    /// The `email_verified` claim, when present.
    pub fn email_verified(&self) -> Option<bool> {
        self.data.email_verified
    }

    /// The user namespace for threads and messages.
    pub fn context_key(&self) -> &ContextKey {
        &self.data.context_key
    }

    /// The project (Tambo `client_id`) the token was issued to; `None` for provider tokens.
    pub fn project(&self) -> Option<&str> {
        self.data.project.as_deref()
    }

    /// The granted scope, space-delimited, when the token carries one.
    pub fn scope(&self) -> Option<&str> {
        self.data.scope.as_deref()
    }

    /// Whether the granted scope includes `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.data
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|granted| granted == scope))
    }

    /// The Tambo token's `jti`; `None` for provider tokens.
    pub fn token_id(&self) -> Option<&str> {
        self.data.token_id.as_deref()
    }

    /// The token's `exp`, seconds since the epoch.
    pub fn expires_at(&self) -> Option<i64> {
        optional_time(self.data.expires_at)
    }

    /// The token's `iat`, seconds since the epoch.
    pub fn issued_at(&self) -> Option<i64> {
        optional_time(self.data.issued_at)
    }

    /// The verified claims, read from the token without verifying it again.
    pub fn claims(&self) -> Claims {
        match &self.claims {
            ClaimsSource::Held(claims) => claims.clone(),
            // The token verified, so it parses again to the same claims.
            ClaimsSource::Token(token) => Jws::parse(token)
                .ok()
                .and_then(|jws| jws.claims().ok().cloned())
                .unwrap_or_default(),
        }
    }

    /// What verified this user's token.
    pub(crate) fn origin(&self) -> Option<&Origin> {
        self.data.origin.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
                ContextKey::from_claims(iss, &Claims::from_value(c), sub).as_str(),
                want,
                "{iss}"
            );
        }
    }

    #[test]
    fn hd_wins_over_org_id_on_google_and_empty_tenants_are_ignored() {
        let c = Claims::from_value(json!({"hd": "acme.com", "org_id": "org"}));
        assert_eq!(
            ContextKey::from_claims("https://accounts.google.com", &c, "1").as_str(),
            "oauth:user:accounts.google.com:acme.com:1"
        );
        let c = Claims::from_value(json!({"org_id": ""}));
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
    fn same_sub_from_two_issuers_is_two_users() {
        assert_ne!(
            ContextKey::derive("https://idp-a.example", None, "123"),
            ContextKey::derive("https://idp-b.example", None, "123")
        );
    }

    #[test]
    fn a_new_tenant_or_subject_re_derives_the_key_in_the_same_namespace() {
        for sub in ["alice", "org:alice", "100%"] {
            let user = TamboUser::from_claims(
                "oidc",
                "https://x.example/realm",
                Claims::from_value(json!({"sub": sub, "org_id": "o1"})),
            )
            .unwrap();
            assert_eq!(user.sub(), sub);
            assert_eq!(
                user.context_key(),
                &ContextKey::derive("https://x.example/realm", Some("o1"), sub)
            );
            let moved = user.with_tenant(Some("o:2".into()));
            assert_eq!(moved.sub(), sub);
            assert_eq!(moved.tenant(), Some("o:2"));
            assert_eq!(
                moved.context_key(),
                &ContextKey::derive("https://x.example/realm", Some("o:2"), sub)
            );
            let renamed = moved.with_subject("oid:7");
            assert_eq!(renamed.sub(), "oid:7");
            assert_eq!(renamed.tenant(), Some("o:2"));
            assert_eq!(
                renamed.claims().sub(),
                Some(sub),
                "the claims keep the token's sub"
            );
            assert_eq!(
                renamed.context_key(),
                &ContextKey::derive("https://x.example/realm", Some("o:2"), "oid:7")
            );
        }
        assert!(
            TamboUser::from_claims(
                "oidc",
                "https://x.example",
                Claims::from_value(json!({"sub": 1}))
            )
            .is_none()
        );
    }

    #[test]
    fn a_user_serializes_its_public_fields_only() {
        let user = TamboUser::from_claims(
            "oidc",
            "https://x.example",
            Claims::from_value(
                json!({"sub": "a:b", "email": "a@x.example", "email_verified": true}),
            ),
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
            Claims::from_value(json!({"sub": "u", "email": "private@example.com"})),
        )
        .unwrap();
        assert!(!format!("{user:?}").contains("private@example.com"));
        assert_eq!(user.email(), Some("private@example.com"));
    }
}
