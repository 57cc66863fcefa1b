//! The claims set and the rules that judge it: `exp`, `nbf`, `iat`, lifetime, `iss`, `aud`,
//! `sub`, with one leeway.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};

use super::object::{Field, JsonObject};
use crate::Error;

/// NumericDates beyond the year 9999 are refused as nonsense (`exp: 1e300`).
const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;

/// A JWT claims set: a duplicate-free JSON object, cheap to clone.
///
/// Held as its JSON text with an index of its members: reading a string or numeric claim
/// slices the text, and the full map is built only when something needs it (a nested
/// claim, [`Claims::as_map`]). Users kept in the layer's verified-token cache read their
/// claims back from the token itself, when first asked.
#[derive(Clone)]
pub struct Claims(Arc<ClaimsData>);

enum ClaimsData {
    /// Parsed when made (no once-cell to set: every first-seen token makes one).
    Parsed(JsonObject),
    /// Read back from the compact JWS these claims were verified from, when first needed.
    FromToken {
        token: Arc<str>,
        object: OnceLock<JsonObject>,
    },
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.object() == other.object()
    }
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claim names only: values may be personal data.
        f.debug_set().entries(self.as_map().keys()).finish()
    }
}

impl Claims {
    /// The claims set a decoded payload holds, its bytes becoming the claims' text; the bytes
    /// back when they are not a claims set.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Result<Claims, (Vec<u8>, Error)> {
        let refused = || Error::malformed("the payload is not a duplicate-free UTF-8 JSON object");
        let text = String::from_utf8(bytes).map_err(|e| (e.into_bytes(), refused()))?;
        JsonObject::parse(text)
            .map(Claims::from_object)
            .map_err(|(text, _)| (text.into_bytes(), refused()))
    }

    /// The JSON text of claims parsed from a payload (empty for claims made from a map).
    pub(crate) fn text(&self) -> &str {
        self.object().text()
    }

    fn from_object(object: JsonObject) -> Claims {
        Claims(Arc::new(ClaimsData::Parsed(object)))
    }

    /// Wraps a JSON object as claims.
    pub fn from_map(map: Map<String, Value>) -> Claims {
        Claims::from_object(JsonObject::from_map(map))
    }

    /// The same claims held as compact JSON text with its index, for long-lived copies (the
    /// verified-token cache), without the spare room of a fresh parse.
    pub(crate) fn compacted(&self) -> Claims {
        let object = self.object();
        if let Some(compact) = object.compact() {
            return Claims::from_object(compact);
        }
        serde_json::to_string(object.map())
            .ok()
            .and_then(|json| JsonObject::parse(json).ok())
            .map_or_else(|| self.clone(), Claims::from_object)
    }

    /// The claims of `token`, a compact JWS these claims were verified from, read back from
    /// its payload when first needed: the verified-token cache keeps the token anyway.
    pub(crate) fn from_verified_token(token: Arc<str>) -> Claims {
        Claims(Arc::new(ClaimsData::FromToken {
            token,
            object: OnceLock::new(),
        }))
    }

    #[inline]
    fn object(&self) -> &JsonObject {
        match &*self.0 {
            ClaimsData::Parsed(object) => object,
            ClaimsData::FromToken { token, object } => object.get_or_init(|| {
                // The token was verified, so its payload parses back to the same set.
                token
                    .split('.')
                    .nth(1)
                    .and_then(super::b64_decode)
                    .and_then(|payload| String::from_utf8(payload).ok())
                    .and_then(|text| JsonObject::parse(text).ok())
                    .unwrap_or_else(|| JsonObject::from_map(Map::new()))
            }),
        }
    }

    /// The claim named `name`, as the validation rules read it.
    #[inline]
    pub(crate) fn field(&self, name: &str) -> Field<'_> {
        self.object().field(name)
    }

    /// Any claim.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.object().get(name)
    }

    /// A claim that is a string (`None` when absent or of another type).
    #[inline]
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.object().get_str(name)
    }

    /// The whole set.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.object().map()
    }

    /// `iss`, when it is a string.
    #[inline]
    pub fn iss(&self) -> Option<&str> {
        self.get_str("iss")
    }

    /// `iss`, required and a single string: the rule every check of the issuer starts with.
    #[inline]
    pub(crate) fn required_iss(&self) -> Result<&str, Error> {
        match self.field("iss") {
            Field::Str(iss) => Ok(iss),
            Field::Absent => Err(Error::MissingClaim { claim: "iss" }),
            _ => Err(Error::invalid_claim("iss", "not a single string")),
        }
    }

    /// `sub`, when it is a string.
    #[inline]
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `exp` as seconds since the epoch; `Ok(None)` when absent, an error for a wrong type.
    #[inline]
    pub fn exp(&self) -> Result<Option<f64>, Error> {
        self.numeric_date("exp")
    }

    /// `nbf` as seconds since the epoch.
    #[inline]
    pub fn nbf(&self) -> Result<Option<f64>, Error> {
        self.numeric_date("nbf")
    }

    /// `iat` as seconds since the epoch.
    #[inline]
    pub fn iat(&self) -> Result<Option<f64>, Error> {
        self.numeric_date("iat")
    }

    /// `aud`, as one string or an array of strings.
    pub fn aud(&self) -> Result<Option<Audience<'_>>, Error> {
        let mut values = Vec::new();
        let present = self.for_each_aud(|aud| values.push(aud))?;
        Ok(present.then_some(Audience(values)))
    }

    /// Calls `each` with every value of `aud` (one string or an array of strings), without
    /// collecting them; `Ok(false)` when `aud` is absent.
    fn for_each_aud<'a>(&'a self, mut each: impl FnMut(&'a str)) -> Result<bool, Error> {
        match self.field("aud") {
            Field::Absent => Ok(false),
            Field::Str(aud) => {
                each(aud);
                Ok(true)
            }
            Field::Value(Value::Array(items)) => {
                for item in items {
                    each(item.as_str().ok_or(Error::invalid_claim(
                        "aud",
                        "an array member is not a string",
                    ))?);
                }
                Ok(true)
            }
            Field::Number(_) | Field::Value(_) => Err(Error::invalid_claim(
                "aud",
                "not a string or an array of strings",
            )),
        }
    }

    /// Reads a NumericDate (RFC 7519 §2): a JSON number, fractions allowed, not negative,
    /// not past the year 9999. A string, a boolean or `null` is an error, never "absent"
    /// (CVE-2026-25537).
    #[inline]
    fn numeric_date(&self, name: &'static str) -> Result<Option<f64>, Error> {
        match self.field(name) {
            Field::Absent => Ok(None),
            Field::Number(v) => {
                if !v.is_finite() || !(0.0..=MAX_NUMERIC_DATE).contains(&v) {
                    return Err(Error::invalid_claim(name, "out of range"));
                }
                Ok(Some(v))
            }
            Field::Str(_) | Field::Value(_) => {
                Err(Error::invalid_claim(name, "not a NumericDate number"))
            }
        }
    }
}

/// The `aud` claim, normalized to a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience<'a>(Vec<&'a str>);

impl Audience<'_> {
    /// Whether `aud` names `value` exactly.
    pub fn contains(&self, value: &str) -> bool {
        self.0.contains(&value)
    }

    /// The values.
    pub fn values(&self) -> &[&str] {
        &self.0
    }
}

/// The rules a claims set must meet. Strict by default: `exp` required, `nbf` and future
/// `iat` checked, one 60 s leeway, 24 h maximum lifetime, `sub` required.
///
/// ```
/// use std::time::Duration;
/// use tambo_auth::jwt::ClaimsPolicy;
///
/// let policy = ClaimsPolicy::new(["https://idp.example"])
///     .audiences(["https://api.example"])
///     .leeway(Duration::from_secs(30));
/// assert_eq!(policy.max_lifetime(), Some(Duration::from_secs(24 * 3600)));
/// ```
#[derive(Debug, Clone)]
pub struct ClaimsPolicy {
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: Duration,
    require_exp: bool,
    max_lifetime: Option<Duration>,
    max_age: Option<Duration>,
}

/// The leeway for `exp`, `nbf` and `iat` unless configured (RFC 7519 §4.1.4).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest leeway a configuration may set ("a few minutes", RFC 7519 §4.1.4).
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The default maximum lifetime of a subject token (Envoy `max_lifetime`, RFC 7523 §3).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl ClaimsPolicy {
    /// A policy accepting tokens whose `iss` is exactly one of `issuers`.
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

    /// Requires `aud` to contain one of these (string or array form). Default: no check,
    /// which the verifier names in a startup warning.
    #[must_use]
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an accepted issuer (Google's two spellings, a custom domain).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// The leeway for `exp`, `nbf` and `iat` (default 60 s).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Whether `exp` is required (default `true`).
    #[must_use]
    pub fn require_exp(mut self, required: bool) -> Self {
        self.require_exp = required;
        self
    }

    /// The longest accepted lifetime: `exp - iat`, and `exp - now` (default 24 h; `None`
    /// removes the check).
    #[must_use]
    pub fn with_max_lifetime(mut self, max: Option<Duration>) -> Self {
        self.max_lifetime = max;
        self
    }

    /// The oldest accepted `iat` (default: none). Tokens without `iat` are refused when set.
    #[must_use]
    pub fn with_max_age(mut self, max: Option<Duration>) -> Self {
        self.max_age = max;
        self
    }

    /// The accepted issuers.
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// The required audiences (empty: no check).
    pub fn audience_list(&self) -> &[String] {
        &self.audiences
    }

    /// The leeway in force.
    pub fn leeway_value(&self) -> Duration {
        self.leeway
    }

    /// The maximum lifetime in force.
    pub fn max_lifetime(&self) -> Option<Duration> {
        self.max_lifetime
    }

    /// The maximum age in force.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Checks that the settings are sane.
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

    /// Judges `claims` at time `now` (seconds since the epoch).
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
        let mut matched = false;
        let present = claims.for_each_aud(|aud| {
            matched |= self.audiences.iter().any(|a| a == aud);
        })?;
        if !self.audiences.is_empty() {
            if !present {
                return Err(Error::MissingClaim { claim: "aud" });
            }
            if !matched {
                return Err(Error::AudienceMismatch);
            }
        }

        match claims.field("sub") {
            Field::Absent => return Err(Error::MissingClaim { claim: "sub" }),
            Field::Str("") => return Err(Error::invalid_claim("sub", "empty")),
            Field::Str(_) => {}
            _ => return Err(Error::invalid_claim("sub", "not a string")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_800_000_000.0;
    const ISS: &str = "https://idp.example";

    fn claims(v: Value) -> Claims {
        Claims::from_vec(v.to_string().into_bytes()).ok().unwrap()
    }

    #[test]
    fn compacted_claims_read_back_the_same_set() {
        let set = json!({
            "sub": "user|1", "iat": 1_800_000_000u64, "exp": 1_800_000_900.5,
            "aud": ["a", "b"], "big": u64::MAX, "neg": -3, "nested": {"k": [1, "x", null]},
            "text": "quote \" and unicode é",
        });
        let original = Claims::from_map(set.as_object().cloned().unwrap_or_default());
        assert!(original.object().compact().is_none(), "a map has no text");
        let compact = original.compacted();
        assert!(compact.object().compact().is_some(), "held as text");
        assert_eq!(compact.sub(), Some("user|1"));
        assert_eq!(compact.exp().unwrap(), Some(1_800_000_900.5));
        assert_eq!(compact.get("big"), Some(&json!(u64::MAX)));
        assert_eq!(compact, original);
        assert_eq!(format!("{compact:?}"), format!("{original:?}"));
        assert_eq!(compact.compacted(), compact);
    }

    #[test]
    fn claims_of_a_verified_token_are_read_back_from_its_payload() {
        let set = json!({"sub": "alice", "exp": 1_800_000_900u64, "scope": "read"});
        let token = format!(
            "eyJhbGciOiJFZERTQSJ9.{}.c2ln",
            crate::jwt::b64_encode(set.to_string())
        );
        let claims = Claims::from_verified_token(Arc::from(token.as_str()));
        assert!(
            matches!(&*claims.0, ClaimsData::FromToken { object, .. } if object.get().is_none()),
            "nothing parsed before a read"
        );
        assert_eq!(claims.sub(), Some("alice"));
        assert_eq!(
            claims,
            Claims::from_vec(set.to_string().into_bytes()).ok().unwrap()
        );
    }

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
        assert!(
            policy()
                .require_exp(false)
                .validate(&without("exp"), NOW)
                .is_ok()
        );
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
        let old = policy().with_max_age(Some(Duration::from_secs(3600)));
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
        let p = policy().audiences(["https://exchange.example"]);
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
        ] {
            let Err((bytes, error)) = Claims::from_vec(p.to_vec()) else {
                panic!("{p:?} is not a claims set");
            };
            assert!(matches!(error, Error::Malformed { .. }));
            assert_eq!(bytes, p, "the bytes come back");
        }
        assert_eq!(claims(json!({"sub": "a"})).sub(), Some("a"));
    }
}
