//! [`EntraClaims`]: the useful claims of a Microsoft Entra ID v2.0 token, typed.

use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;
use tambo_auth::provider::scope_list;

/// The identity, profile and authorization claims of an Entra ID v2.0 ID token or access token.
///
/// Every field is optional or may be empty: `email` comes with the `email` scope (and only when
/// the account has one), `name` and `preferred_username` with `profile`, `scp` in delegated
/// access tokens only, `roles` when app roles are assigned to the user (or the calling app).
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_entra::EntraClaims;
///
/// let claims = Claims::from_json(br#"{
///     "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
///     "oid": "00000000-0000-0000-66f3-3332eca7ea81",
///     "scp": "access_as_user Threads.Read", "roles": ["Threads.Admin"],
///     "azp": "a1b2c3d4-0000-4c5b-9e8f-0123456789ab", "ver": "2.0"
/// }"#)?;
/// let entra = EntraClaims::from_claims(&claims);
/// assert!(entra.has_scope("Threads.Read"));
/// assert!(entra.has_role("Threads.Admin"));
/// assert_eq!(entra.ver.as_deref(), Some("2.0"));
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EntraClaims {
    /// `oid`: the user's object id, the same in every application of the tenant (unlike
    /// `sub`, which is per application).
    pub oid: Option<String>,
    /// `tid`: the directory (tenant) id the user signed in to; the tenant of the context key.
    pub tid: Option<String>,
    /// `preferred_username`: usually the sign-in name (a UPN or an email address). It can
    /// change and is not verified: display it, never key users or decisions on it.
    pub preferred_username: Option<String>,
    /// `name`: the display name.
    pub name: Option<String>,
    /// `email`, with the `email` scope; it may be absent, and Entra does not verify it for
    /// every account.
    pub email: Option<String>,
    /// `roles`: the app roles assigned to the user (or, in an app-only token, to the client).
    pub roles: Vec<String>,
    /// `scp`: the delegated scopes granted to the client, space-separated (access tokens).
    pub scp: Option<String>,
    /// `ver`: the token version, `2.0` for every token this crate's provider accepts.
    pub ver: Option<String>,
    /// The application that requested the token: `azp` in v2.0 access tokens, `appid` in
    /// v1.0 ones.
    pub azp: Option<String>,
}

impl EntraClaims {
    /// Reads the claims of a verified token; absent or mistyped claims read as absent.
    pub fn from_claims(claims: &Claims) -> EntraClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        EntraClaims {
            oid: text("oid"),
            tid: text("tid"),
            preferred_username: text("preferred_username"),
            name: text("name"),
            email: text("email"),
            roles: scope_list(claims, "roles"),
            scp: text("scp"),
            ver: text("ver"),
            azp: text("azp").or_else(|| text("appid")),
        }
    }

    /// Reads the claims of a user mapped by [`EntraProvider`](crate::EntraProvider).
    pub fn from_user(user: &TamboUser) -> EntraClaims {
        EntraClaims::from_claims(&user.claims())
    }

    /// Whether `scp` grants the delegated scope `scope` (`access_as_user`, without the
    /// `api://…/` prefix, as Entra writes it).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scp
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|granted| granted == scope))
    }

    /// Whether `roles` holds the app role `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}
