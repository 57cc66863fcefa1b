//! A typed view of Clerk's session-token claims (version 2, with the version 1 organization
//! claims read as a fallback).

use serde_json::Value;
use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;
use tambo_auth::provider::string_array;

/// The claims a Clerk session token carries beyond `iss`, `sub` and the dates.
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_clerk::ClerkClaims;
///
/// let claims = Claims::from_map(serde_json::from_str(r#"{
///     "sub": "user_2ZkQ", "sid": "sess_2ZkQ", "azp": "https://app.acme.com", "v": 2,
///     "o": {"id": "org_2ZkR", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3"}
/// }"#).unwrap());
/// let clerk = ClerkClaims::from_claims(&claims);
/// let org = clerk.org.expect("an active organization");
/// assert_eq!((org.id.as_str(), org.role.as_deref()), ("org_2ZkR", Some("admin")));
/// assert_eq!(org.permissions, ["read", "manage"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClerkClaims {
    /// `sid`: the session id (`sess_…`).
    pub session_id: Option<String>,
    /// `azp`: the origin of the page that requested the token; Clerk may omit it.
    pub authorized_party: Option<String>,
    /// `sts`: the session status; `pending` while the user must still choose an organization.
    pub session_status: Option<String>,
    /// `v`: the claims version (2 since April 2025; absent in version 1).
    pub version: Option<u64>,
    /// The active organization: `o` in version 2, `org_*` claims in version 1.
    pub org: Option<ClerkOrg>,
    /// `act.sub`: the user impersonating this one, when an admin impersonates.
    pub actor: Option<String>,
    /// `fva`: minutes since the first and second factor were verified (`-1`: never).
    pub factor_verification_age: Option<(i64, i64)>,
    /// `pla`: the billing plans, comma-separated with `u:`/`o:` prefixes (`u:free,o:pro`).
    pub plans: Option<String>,
    /// `fea`: the enabled features, comma-separated with `u:`/`o:` prefixes.
    pub features: Option<String>,
}

/// The active organization of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClerkOrg {
    /// `o.id` (`org_…`; version 1: `org_id`): the tenant.
    pub id: String,
    /// `o.slg` (version 1: `org_slug`).
    pub slug: Option<String>,
    /// `o.rol`, without the `org:` prefix (version 1 `org_role` has it; it is removed).
    pub role: Option<String>,
    /// `o.per` split on commas: the permission names of the role. Version 2 scopes them to
    /// features through `feature_permission_map`; version 1 `org_permissions` are full
    /// `org:<feature>:<permission>` strings.
    pub permissions: Vec<String>,
    /// `o.fpm`, verbatim: per organization feature in `fea`, a bitmask over `permissions`.
    pub feature_permission_map: Option<String>,
}

impl ClerkOrg {
    /// The permission keys (`org:<feature>:<permission>`) the role holds. Version 1 lists
    /// them whole. Version 2 packs them: `o.fpm` holds one bitmask per feature of `features`
    /// (the `fea` claim, in order), and bit `i` (least significant first) grants the `i`-th
    /// name of `o.per`.
    ///
    /// ```
    /// use tambo_auth::jwt::Claims;
    /// use tambo_auth_clerk::ClerkClaims;
    ///
    /// let claims = Claims::from_map(serde_json::from_str(r#"{
    ///     "fea": "o:dashboard,o:teams",
    ///     "o": {"id": "org_2ZkR", "rol": "admin", "per": "manage,read", "fpm": "3,2"}
    /// }"#).unwrap());
    /// let clerk = ClerkClaims::from_claims(&claims);
    /// let org = clerk.org.expect("an active organization");
    /// assert_eq!(
    ///     org.permission_keys(clerk.features.as_deref()),
    ///     ["org:dashboard:manage", "org:dashboard:read", "org:teams:read"]
    /// );
    /// ```
    pub fn permission_keys(&self, features: Option<&str>) -> Vec<String> {
        let Some(map) = &self.feature_permission_map else {
            return self.permissions.clone();
        };
        let features = features.unwrap_or_default().split(',');
        let mut keys = Vec::new();
        for (feature, mask) in features.zip(map.split(',')) {
            let Ok(mask) = mask.trim().parse::<u64>() else {
                continue;
            };
            // `o:dashboard`: the scope prefix goes.
            let feature = feature.split_once(':').map_or(feature, |(_, name)| name);
            for (bit, permission) in self.permissions.iter().enumerate().take(64) {
                if mask >> bit & 1 == 1 {
                    keys.push(format!("org:{feature}:{permission}"));
                }
            }
        }
        keys
    }
}

impl ClerkClaims {
    /// Reads the Clerk claims; absent or mistyped claims read as absent.
    pub fn from_claims(claims: &Claims) -> ClerkClaims {
        let string = |name: &str| claims.get_str(name).map(str::to_owned);
        ClerkClaims {
            session_id: string("sid"),
            authorized_party: string("azp"),
            session_status: string("sts"),
            version: claims.get("v").and_then(Value::as_u64),
            org: org_v2(claims).or_else(|| org_v1(claims)),
            actor: claims
                .get("act")
                .and_then(|act| act.get("sub"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            factor_verification_age: match claims.get("fva") {
                Some(Value::Array(ages)) => match ages.as_slice() {
                    [first, second] => first.as_i64().zip(second.as_i64()),
                    _ => None,
                },
                _ => None,
            },
            plans: string("pla"),
            features: string("fea"),
        }
    }

    /// Reads the Clerk claims of a user this crate's provider authenticated.
    pub fn from_user(user: &TamboUser) -> ClerkClaims {
        ClerkClaims::from_claims(&user.claims())
    }

    /// Whether the session is pending (`sts: "pending"`).
    pub fn is_pending(&self) -> bool {
        self.session_status.as_deref() == Some("pending")
    }
}

fn org_v2(claims: &Claims) -> Option<ClerkOrg> {
    let o = claims.get("o")?;
    let field = |name: &str| o.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(ClerkOrg {
        id: field("id").filter(|id| !id.is_empty())?,
        slug: field("slg"),
        role: field("rol"),
        permissions: field("per")
            .map(|per| {
                per.split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        feature_permission_map: field("fpm"),
    })
}

fn org_v1(claims: &Claims) -> Option<ClerkOrg> {
    let id = claims.get_str("org_id").filter(|id| !id.is_empty())?;
    Some(ClerkOrg {
        id: id.to_owned(),
        slug: claims.get_str("org_slug").map(str::to_owned),
        role: claims
            .get_str("org_role")
            .map(|r| r.strip_prefix("org:").unwrap_or(r).to_owned()),
        permissions: string_array(claims.get("org_permissions")),
        feature_permission_map: None,
    })
}
