//! The claims set and the rules that judge it: `exp`, `nbf`, `iat`, lifetime, `iss`, `aud`,
//! `sub`, with one leeway.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::object::{Field, Kept, Object};
use crate::Error;

/// NumericDates beyond the year 9999 are refused as nonsense (`exp: 1e300`).
const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;

/// The claims the verification path reads on every token (the registered claims, the
/// default mapping's and a Tambo token's own): kept as they are read, so that reading them
/// builds no map.
struct ReadOnEveryToken;

impl Kept<KEPT_CLAIMS> for ReadOnEveryToken {
    #[inline]
    fn index(name: &str) -> Option<usize> {
        Some(match name {
            "iss" => 0,
            "sub" => 1,
            "aud" => 2,
            "exp" => 3,
            "nbf" => 4,
            "iat" => 5,
            "jti" => 6,
            "email" => 7,
            "email_verified" => 8,
            "emailVerified" => 9,
            "org_id" => 10,
            "hd" => 11,
            "tid" => 12,
            "client_id" => 13,
            "ctx" => 14,
            "tenant" => 15,
            "scope" => 16,
            "original_iss" => 17,
            "original_hd" => 18,
            "original_tid" => 19,
            "original_org_id" => 20,
            _ => return None,
        })
    }
}

/// How many claims [`ReadOnEveryToken`] names.
const KEPT_CLAIMS: usize = 21;

/// A JWT claims set: a duplicate-free JSON object, cheap to clone.
///
/// ```
/// use tambo_auth::jwt::Claims;
///
/// let claims = Claims::from_json(br#"{"sub":"alice","exp":1800000000,"org":{"id":"o1"}}"#)
///     .unwrap();
/// assert_eq!(claims.sub(), Some("alice"));
/// assert_eq!(claims.exp().unwrap(), Some(1_800_000_000.0));
///
/// #[derive(serde::Deserialize)]
/// struct Org { id: String }
/// #[derive(serde::Deserialize)]
/// struct Mine { org: Org }
/// assert_eq!(claims.deserialize::<Mine>().unwrap().org.id, "o1");
///
/// // A repeated member is refused, at any depth (RFC 7519 §4, docs/security.md A-23).
/// assert!(Claims::from_json(br#"{"sub":"alice","sub":"admin"}"#).is_err());
/// ```
#[derive(Clone)]
pub struct Claims(Arc<Object<ReadOnEveryToken, KEPT_CLAIMS>>);

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.as_map() == other.as_map()
    }
}

impl Default for Claims {
    fn default() -> Self {
        Claims::from_map(Map::new())
    }
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claim names only: values may be personal data.
        f.debug_set().entries(self.as_map().keys()).finish()
    }
}

impl Claims {
    /// Parses a payload: a duplicate-free UTF-8 JSON object (RFC 7519 §7.2).
    pub fn from_json(bytes: &[u8]) -> Result<Claims, Error> {
        Claims::from_vec(bytes.to_vec()).map_err(|(_, e)| e)
    }

    /// [`from_json`](Self::from_json) on a decoded payload, its bytes becoming the claims'
    /// text; the bytes back when they are not a claims set.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Result<Claims, (Vec<u8>, Error)> {
        let refused = || Error::malformed("the payload is not a duplicate-free UTF-8 JSON object");
        let text = String::from_utf8(bytes).map_err(|e| (e.into_bytes(), refused()))?;
        Object::parse(text)
            .map(|object| Claims(Arc::new(object)))
            .map_err(|text| (text.into_bytes(), refused()))
    }

    /// Wraps a JSON object as claims.
    pub fn from_map(map: Map<String, Value>) -> Claims {
        let json = Value::Object(map).to_string();
        Claims::from_vec(json.into_bytes())
            .ok()
            // A map serializes to a duplicate-free object, which parses.
            .unwrap_or_else(|| Claims::from_map(Map::new()))
    }

    /// Wraps a JSON value as claims: an object's members, or no claim for any other value.
    ///
    /// ```
    /// use tambo_auth::jwt::Claims;
    ///
    /// let claims = Claims::from_value(serde_json::json!({"sub": "ada"}));
    /// assert_eq!(claims.sub(), Some("ada"));
    /// assert_eq!(Claims::from_value(serde_json::json!([1])).sub(), None);
    /// ```
    pub fn from_value(value: Value) -> Claims {
        match value {
            Value::Object(map) => Claims::from_map(map),
            _ => Claims::from_map(Map::new()),
        }
    }

    /// The claims' JSON text.
    pub(crate) fn json(&self) -> &str {
        self.0.json()
    }

    /// Reads the claims as `T` (a struct of the claims an application or adapter needs).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.json())
    }

    pub(crate) fn field(&self, name: &str) -> Field<'_> {
        self.0.field(name)
    }

    /// Any claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_map().get(name)
    }

    /// A claim that is a string (`None` when absent or of another type).
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.field(name) {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A claim that is a non-empty string.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get_str(name).filter(|v| !v.is_empty())
    }

    /// Whether a claim is the JSON value `true` (Better Auth's `banned`, Supabase's
    /// `is_anonymous`).
    pub fn is_true(&self, name: &str) -> bool {
        self.bool(name) == Some(true)
    }

    /// A claim that is a boolean.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.field(name) {
            Field::Value(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// The whole set.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.0.map()
    }

    /// `iss`, when it is a string.
    pub fn iss(&self) -> Option<&str> {
        self.get_str("iss")
    }

    /// `iss`, required and a single string: the rule every check of the issuer starts with.
    pub(crate) fn required_iss(&self) -> Result<&str, Error> {
        match self.field("iss") {
            Field::Str(iss) => Ok(iss),
            Field::Absent => Err(Error::MissingClaim { claim: "iss" }),
            _ => Err(Error::invalid_claim("iss", "not a single string")),
        }
    }

    /// `sub`, when it is a string.
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `exp` as seconds since the epoch; `Ok(None)` when absent, an error for a wrong type.
    pub fn exp(&self) -> Result<Option<f64>, Error> {
        self.numeric_date("exp")
    }

    /// `nbf` as seconds since the epoch.
    pub fn nbf(&self) -> Result<Option<f64>, Error> {
        self.numeric_date("nbf")
    }

    /// `iat` as seconds since the epoch.
    pub fn iat(&self) -> Result<Option<f64>, Error> {
        self.numeric_date("iat")
    }

    /// `aud`, as one string or an array of strings.
    pub fn aud(&self) -> Result<Option<Audience<'_>>, Error> {
        if let Some(values) = self.0.strs("aud") {
            return Ok(Some(Audience::Many(values.collect())));
        }
        match self.field("aud") {
            Field::Absent => Ok(None),
            Field::Str(aud) => Ok(Some(Audience::One([aud]))),
            Field::Value(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str().ok_or(Error::invalid_claim(
                        "aud",
                        "an array member is not a string",
                    ))
                })
                .collect::<Result<_, _>>()
                .map(|values| Some(Audience::Many(values))),
            Field::Number(_) | Field::Value(_) => Err(Error::invalid_claim(
                "aud",
                "not a string or an array of strings",
            )),
        }
    }

    /// Reads the claim `name` as a NumericDate (RFC 7519 §2), as `exp`, `nbf` and `iat` are
    /// read: a JSON number, fractions allowed, not negative, not past the year 9999.
    /// `Ok(None)` when absent; a string, a boolean or `null` is an error, never "absent"
    /// (CVE-2026-25537). For dates such as OIDC's `auth_time`.
    ///
    /// ```
    /// use tambo_auth::jwt::Claims;
    ///
    /// let claims = Claims::from_value(serde_json::json!({"auth_time": 1767225000, "bad": "1"}));
    /// assert_eq!(claims.numeric_date("auth_time").unwrap(), Some(1767225000.0));
    /// assert_eq!(claims.numeric_date("absent").unwrap(), None);
    /// assert!(claims.numeric_date("bad").is_err());
    /// ```
    pub fn numeric_date(&self, name: &'static str) -> Result<Option<f64>, Error> {
        match self.field(name) {
            Field::Absent => Ok(None),
            Field::Number(v) if v.is_finite() && (0.0..=MAX_NUMERIC_DATE).contains(&v) => {
                Ok(Some(v))
            }
            Field::Number(_) => Err(Error::invalid_claim(name, "out of range")),
            Field::Str(_) | Field::Value(_) => {
                Err(Error::invalid_claim(name, "not a NumericDate number"))
            }
        }
    }
}

/// The `aud` claim, read as a list (one string is a list of one, without an allocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience<'a> {
    /// `aud` as a single string.
    One([&'a str; 1]),
    /// `aud` as an array of strings.
    Many(Vec<&'a str>),
}

impl Audience<'_> {
    /// Whether `aud` names `value` exactly.
    pub fn contains(&self, value: &str) -> bool {
        self.values().contains(&value)
    }

    /// The values.
    pub fn values(&self) -> &[&str] {
        match self {
            Audience::One(one) => one,
            Audience::Many(many) => many,
        }
    }
}

/// The rules a claims set must meet. Strict by default: `exp` required, `nbf` and future
/// `iat` checked, one 60 s leeway, 24 h maximum lifetime, `sub` required.
///
/// A [`Verifier`](crate::Verifier) is configured through its builder, whose setters carry the
/// names of the getters here; [`ClaimsPolicy::new`] gives the defaults, for tools that judge
/// claims without a verifier.
///
/// ```
/// use std::time::Duration;
/// use tambo_auth::jwt::ClaimsPolicy;
///
/// let policy = ClaimsPolicy::new(["https://idp.example"]);
/// assert_eq!(policy.leeway(), Duration::from_secs(60));
/// assert_eq!(policy.max_lifetime(), Some(Duration::from_secs(24 * 3600)));
/// ```
#[derive(Debug, Clone)]
pub struct ClaimsPolicy {
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: Duration,
    pub(crate) require_exp: bool,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) max_age: Option<Duration>,
}

/// The leeway for `exp`, `nbf` and `iat` unless configured (RFC 7519 §4.1.4).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest leeway a configuration may set ("a few minutes", RFC 7519 §4.1.4).
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The default maximum lifetime of a subject token (Envoy `max_lifetime`, RFC 7523 §3).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl ClaimsPolicy {
    /// The default rules for tokens whose `iss` is exactly one of `issuers`, with no audience
    /// check.
    pub fn new<I, S>(issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            issuers: issuers.into_iter().map(Into::into).collect(),
            audiences: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            require_exp: true,
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            max_age: None,
        }
    }

    /// The accepted issuers.
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// The audiences of which `aud` must contain one (empty: no check).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The leeway for `exp`, `nbf` and `iat`.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// Whether `exp` is required.
    pub fn require_exp(&self) -> bool {
        self.require_exp
    }

    /// The longest accepted lifetime: `exp - iat`, and `exp - now` (`None`: no check).
    pub fn max_lifetime(&self) -> Option<Duration> {
        self.max_lifetime
    }

    /// The oldest accepted `iat` (`None`: no check); tokens without `iat` are refused when set.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Checks that the settings are sane, naming the offending one.
    pub(crate) fn validate_config(&self) -> Result<(), Error> {
        if self.issuers.is_empty() || self.issuers.iter().any(String::is_empty) {
            return Err(Error::config(
                "issuer",
                "an issuer is required and may not be empty",
            ));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(Error::config(
                "leeway",
                "leeway may be at most 300 s (RFC 7519 §4.1.4: a few minutes)",
            ));
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(Error::config("audiences", "an audience may not be empty"));
        }
        Ok(())
    }

    /// The issuer rule alone: `iss` is one of the accepted issuers, exactly.
    pub(crate) fn check_issuer(&self, claims: &Claims) -> Result<(), Error> {
        let iss = claims.required_iss()?;
        if self.issuers.iter().any(|i| i == iss) {
            Ok(())
        } else {
            Err(Error::IssuerMismatch)
        }
    }

    /// Judges `claims` at time `now` (seconds since the epoch): the dates, the issuer, the
    /// audience and the subject, in that order.
    pub fn validate(&self, claims: &Claims, now: f64) -> Result<(), Error> {
        let leeway = self.leeway.as_secs_f64();
        let exp = claims.exp()?;
        let nbf = claims.nbf()?;
        let iat = claims.iat()?;

        match exp {
            Some(exp) if now >= exp + leeway => {
                return Err(Error::Expired {
                    expired_at: exp as i64,
                });
            }
            None if self.require_exp => return Err(Error::MissingClaim { claim: "exp" }),
            _ => {}
        }
        if let Some(nbf) = nbf
            && nbf > now + leeway
        {
            return Err(Error::NotYetValid {
                not_before: nbf as i64,
            });
        }
        if let Some(iat) = iat
            && iat > now + leeway
        {
            return Err(Error::IssuedInFuture {
                issued_at: iat as i64,
            });
        }
        if let Some(max_age) = self.max_age {
            let iat = iat.ok_or(Error::MissingClaim { claim: "iat" })?;
            if now - iat > max_age.as_secs_f64() + leeway {
                return Err(Error::TooOld { max_age });
            }
        }
        if let (Some(max), Some(exp)) = (self.max_lifetime, exp) {
            let max_secs = max.as_secs_f64();
            let too_long_from_iat = iat.is_some_and(|iat| exp - iat > max_secs);
            if too_long_from_iat || exp - now > max_secs + leeway {
                return Err(Error::LifetimeTooLong { max_lifetime: max });
            }
        }

        self.check_issuer(claims)?;

        // Even unchecked, a malformed `aud` is refused rather than ignored.
        let aud = claims.aud()?;
        if !self.audiences.is_empty() {
            let aud = aud.ok_or(Error::MissingClaim { claim: "aud" })?;
            if !self.audiences.iter().any(|a| aud.contains(a)) {
                return Err(Error::AudienceMismatch);
            }
        }

        match claims.field("sub") {
            Field::Absent => Err(Error::MissingClaim { claim: "sub" }),
            Field::Str("") => Err(Error::invalid_claim("sub", "empty")),
            Field::Str(_) => Ok(()),
            Field::Number(_) | Field::Value(_) => Err(Error::invalid_claim("sub", "not a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_800_000_000.0;
    const ISS: &str = "https://idp.example";

    fn base() -> Map<String, Value> {
        json!({"iss": ISS, "sub": "alice", "iat": NOW, "exp": NOW + 300.0})
            .as_object()
            .unwrap()
            .clone()
    }

    fn with(key: &str, value: Value) -> Claims {
        let mut m = base();
        m.insert(key.into(), value);
        Claims::from_map(m)
    }

    fn without(key: &str) -> Claims {
        let mut m = base();
        m.remove(key);
        Claims::from_map(m)
    }

    fn policy() -> ClaimsPolicy {
        ClaimsPolicy::new([ISS])
    }

    #[test]
    fn exp_honours_the_leeway_on_both_sides_of_the_boundary() {
        assert!(matches!(
            policy().validate(&with("exp", json!(NOW - 61.0)), NOW),
            Err(Error::Expired { .. })
        ));
        assert!(
            policy()
                .validate(&with("exp", json!(NOW - 59.0)), NOW)
                .is_ok()
        );
        assert!(
            policy()
                .validate(&with("exp", json!(NOW + 300.5)), NOW)
                .is_ok()
        );
    }

    #[test]
    fn exp_of_the_wrong_type_is_invalid_not_absent() {
        for v in [
            json!("1900000000"),
            json!(true),
            json!(-1),
            json!(1e300),
            json!(null),
        ] {
            assert!(
                matches!(
                    policy().validate(&with("exp", v.clone()), NOW),
                    Err(Error::InvalidClaim { claim: "exp", .. })
                ),
                "{v}"
            );
        }
        assert!(matches!(
            policy().validate(&without("exp"), NOW),
            Err(Error::MissingClaim { claim: "exp" })
        ));
        let lenient = ClaimsPolicy {
            require_exp: false,
            ..policy()
        };
        assert!(lenient.validate(&without("exp"), NOW).is_ok());
    }

    #[test]
    fn nbf_and_iat_in_the_future_are_refused_beyond_the_leeway() {
        assert!(matches!(
            policy().validate(&with("nbf", json!(NOW + 3600.0)), NOW),
            Err(Error::NotYetValid { .. })
        ));
        assert!(
            policy()
                .validate(&with("nbf", json!(NOW + 30.0)), NOW)
                .is_ok()
        );
        assert!(matches!(
            policy().validate(&with("nbf", json!("0")), NOW),
            Err(Error::InvalidClaim { claim: "nbf", .. })
        ));
        assert!(matches!(
            policy().validate(&with("iat", json!(NOW + 3600.0)), NOW),
            Err(Error::IssuedInFuture { .. })
        ));
    }

    #[test]
    fn lifetime_and_age_limits_apply() {
        assert!(matches!(
            policy().validate(&with("exp", json!(NOW + 10.0 * 365.0 * 86400.0)), NOW),
            Err(Error::LifetimeTooLong { .. })
        ));
        let old = ClaimsPolicy {
            max_age: Some(Duration::from_secs(3600)),
            ..policy()
        };
        assert!(matches!(
            old.validate(&with("iat", json!(NOW - 3600.0 - 61.0)), NOW),
            Err(Error::TooOld { .. })
        ));
        assert!(matches!(
            old.validate(&without("iat"), NOW),
            Err(Error::MissingClaim { claim: "iat" })
        ));
    }

    #[test]
    fn issuer_is_compared_exactly_and_must_be_one_string() {
        for iss in [
            json!("https://idp.example/"),
            json!("https://IDP.example"),
            json!("http://idp.example"),
            json!("https://idp.example:443"),
        ] {
            assert!(matches!(
                policy().validate(&with("iss", iss), NOW),
                Err(Error::IssuerMismatch)
            ));
        }
        assert!(matches!(
            policy().validate(&with("iss", json!([ISS])), NOW),
            Err(Error::InvalidClaim { claim: "iss", .. })
        ));
        assert!(matches!(
            policy().validate(&without("iss"), NOW),
            Err(Error::MissingClaim { claim: "iss" })
        ));
    }

    #[test]
    fn audience_may_be_a_string_or_an_array_containing_ours() {
        let p = ClaimsPolicy {
            audiences: vec!["https://exchange.example".into()],
            ..policy()
        };
        assert!(
            p.validate(&with("aud", json!("https://exchange.example")), NOW)
                .is_ok()
        );
        assert!(
            p.validate(
                &with("aud", json!(["https://x", "https://exchange.example"])),
                NOW
            )
            .is_ok()
        );
        for (aud, want) in [
            (json!([]), ErrorKindLike::Mismatch),
            (json!(["other"]), ErrorKindLike::Mismatch),
            (json!("https://exchange.example/"), ErrorKindLike::Mismatch),
            (json!(42), ErrorKindLike::Invalid),
        ] {
            let got = p.validate(&with("aud", aud.clone()), NOW);
            match want {
                ErrorKindLike::Mismatch => {
                    assert!(matches!(got, Err(Error::AudienceMismatch)), "{aud}")
                }
                ErrorKindLike::Invalid => assert!(
                    matches!(got, Err(Error::InvalidClaim { claim: "aud", .. })),
                    "{aud}"
                ),
            }
        }
        assert!(matches!(
            p.validate(&without("aud"), NOW),
            Err(Error::MissingClaim { claim: "aud" })
        ));
    }

    enum ErrorKindLike {
        Mismatch,
        Invalid,
    }

    #[test]
    fn subject_is_required_and_non_empty() {
        assert!(matches!(
            policy().validate(&without("sub"), NOW),
            Err(Error::MissingClaim { claim: "sub" })
        ));
        assert!(matches!(
            policy().validate(&with("sub", json!("")), NOW),
            Err(Error::InvalidClaim { claim: "sub", .. })
        ));
        assert!(matches!(
            policy().validate(&with("sub", json!(123)), NOW),
            Err(Error::InvalidClaim { claim: "sub", .. })
        ));
    }

    #[test]
    fn payloads_that_are_not_objects_are_malformed() {
        for p in [
            &b"[1,2]"[..],
            b"\"str\"",
            b"foo",
            br#"{"sub":"a","sub":"b"}"#,
            br#"{"sub":"a","o":{"x":1,"x":2}}"#,
            b"{\"sub\":\"\xff\"}",
        ] {
            assert!(
                matches!(Claims::from_json(p), Err(Error::Malformed { .. })),
                "{p:?}"
            );
        }
        assert_eq!(
            Claims::from_json(br#"{"sub":"a"}"#).unwrap().sub(),
            Some("a")
        );
    }
}
