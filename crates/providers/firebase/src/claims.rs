//! [`FirebaseClaims`]: the useful claims of a Firebase ID token, typed.

use std::collections::BTreeMap;

use serde_json::Value;
use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;

/// The profile and sign-in claims of a Firebase ID token. Every field is optional: `email`
/// comes with email and most federated sign-ins, `phone_number` with phone sign-in, `name` and
/// `picture` from the federated profile, and an anonymous user has none of them. Custom claims
/// (`setCustomUserClaims`) sit beside these; read them from [`TamboUser::claims`].
///
/// ```
/// use tambo_auth::jwt::Claims;
/// use tambo_auth_firebase::FirebaseClaims;
///
/// let claims = Claims::from_json(br#"{
///     "sub": "kZ3mN8pQ2vR5tW9yB1cD4fG7hJ0l", "auth_time": 1767225000,
///     "phone_number": "+15555550100",
///     "firebase": {"identities": {"phone": ["+15555550100"]}, "sign_in_provider": "phone",
///                  "tenant": "acme-x1y2z"}
/// }"#)?;
/// let firebase = FirebaseClaims::from_claims(&claims);
/// assert_eq!(firebase.sign_in_provider.as_deref(), Some("phone"));
/// assert_eq!(firebase.tenant.as_deref(), Some("acme-x1y2z"));
/// assert_eq!(firebase.identities["phone"], ["+15555550100"]);
/// assert!(!firebase.is_anonymous());
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FirebaseClaims {
    /// `email`. Identify users by their uid (`sub`), never by email.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: Option<bool>,
    /// `name`, the display name.
    pub name: Option<String>,
    /// `picture`, a profile image URL.
    pub picture: Option<String>,
    /// `phone_number`, in E.164 form (`+15555550100`).
    pub phone_number: Option<String>,
    /// `auth_time`: when the user signed in, in seconds since the Unix epoch. The SDK refreshes
    /// the ID token every hour; `auth_time` stays at the sign-in.
    pub auth_time: Option<i64>,
    /// `firebase.sign_in_provider`: `password`, `google.com`, `phone`, `anonymous`, `custom`
    /// (`signInWithCustomToken`), `github.com`, `oidc.<id>`, `saml.<id>`...
    pub sign_in_provider: Option<String>,
    /// `firebase.sign_in_second_factor`: the second factor of a multi-factor sign-in (`phone`,
    /// `totp`).
    pub sign_in_second_factor: Option<String>,
    /// `firebase.identities`: per sign-in provider, the user's identifiers there (`email`
    /// addresses, `phone` numbers, `google.com` subjects...).
    pub identities: BTreeMap<String, Vec<String>>,
    /// `firebase.tenant`: the Identity Platform tenant the user belongs to (absent for users
    /// of the project itself); the tenant of the user's context key.
    pub tenant: Option<String>,
}

impl FirebaseClaims {
    /// Reads the claims of a verified token.
    pub fn from_claims(claims: &Claims) -> FirebaseClaims {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        let firebase = claims.get("firebase").and_then(Value::as_object);
        let inner = |name: &str| {
            firebase
                .and_then(|f| f.get(name))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let identities = firebase
            .and_then(|f| f.get("identities"))
            .and_then(Value::as_object)
            .map(|ids| {
                ids.iter()
                    .map(|(provider, values)| {
                        let values = values
                            .as_array()
                            .map(|v| v.iter().filter_map(Value::as_str).map(str::to_owned))
                            .into_iter()
                            .flatten()
                            .collect();
                        (provider.clone(), values)
                    })
                    .collect()
            })
            .unwrap_or_default();
        FirebaseClaims {
            email: text("email"),
            email_verified: claims.bool("email_verified"),
            name: text("name"),
            picture: text("picture"),
            phone_number: text("phone_number"),
            // Firebase writes whole seconds; a fraction is dropped.
            auth_time: claims
                .numeric_date("auth_time")
                .ok()
                .flatten()
                .map(|t| t as i64),
            sign_in_provider: inner("sign_in_provider"),
            sign_in_second_factor: inner("sign_in_second_factor"),
            identities,
            tenant: inner("tenant"),
        }
    }

    /// Reads the claims of a user mapped by [`FirebaseProvider`](crate::FirebaseProvider).
    pub fn from_user(user: &TamboUser) -> FirebaseClaims {
        FirebaseClaims::from_claims(&user.claims())
    }

    /// Whether the user signed in anonymously (`signInAnonymously()`), i.e.
    /// `firebase.sign_in_provider` is `anonymous`.
    pub fn is_anonymous(&self) -> bool {
        self.sign_in_provider.as_deref() == Some("anonymous")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_anonymous_user_has_no_profile_and_no_identities() {
        let c = FirebaseClaims::from_claims(&Claims::from_value(json!({
            "provider_id": "anonymous",
            "firebase": {"identities": {}, "sign_in_provider": "anonymous"},
        })));
        assert!(c.is_anonymous());
        assert_eq!((c.email, c.name, c.tenant), (None, None, None));
        assert!(c.identities.is_empty());
    }

    #[test]
    fn a_missing_or_malformed_firebase_object_reads_as_empty() {
        for value in [
            json!({}),
            json!({"firebase": "google.com"}),
            json!({"firebase": {"sign_in_provider": 7, "tenant": "", "identities": []}}),
        ] {
            let c = FirebaseClaims::from_claims(&Claims::from_value(value.clone()));
            assert_eq!(c, FirebaseClaims::default(), "{value}");
            assert!(!c.is_anonymous());
        }
    }

    #[test]
    fn identities_keep_their_string_values_only() {
        let c = FirebaseClaims::from_claims(&Claims::from_value(json!({
            "firebase": {"identities": {"email": ["ada@acme.example", 3], "github.com": "x"}},
            "auth_time": 1767225000,
            "email_verified": false,
        })));
        assert_eq!(c.identities["email"], ["ada@acme.example"]);
        assert!(c.identities["github.com"].is_empty());
        assert_eq!(c.auth_time, Some(1_767_225_000));
        assert_eq!(c.email_verified, Some(false));
    }
}
