//! The Tambo token: what the exchange issues and every later request presents.
//!
//! An RFC 9068 JWT access token, header `typ: at+jwt`, signed with EdDSA by default (ES256 and
//! HS256 selectable), `kid` = RFC 7638 thumbprint. Claims: `iss` (our issuer URL), `aud`
//! (default `tambo`), `sub` (the provider's subject), `client_id` (the project), `iat`, `exp`,
//! `jti` (128 random bits), `ctx` (the user's context key), `tenant` and `scope` when present,
//! and Tambo's
//! `original_iss`, `original_hd`, `original_tid`, `original_org_id` when present. Lifetime:
//! `min(ttl, subject exp)`, `ttl` 15 min by default and at most 1 h.
//!
//! ```
//! use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
//! use tambo_auth::{Algorithm, TamboUser};
//! use tambo_auth::jwt::Claims;
//!
//! let tokens = TamboTokens::builder("https://auth.example.com")
//!     .signing_key(SigningKey::generate(Algorithm::EdDSA).unwrap())
//!     .build()
//!     .unwrap();
//! let claims = serde_json::json!({"iss": "https://idp.example", "sub": "alice"});
//! let user = TamboUser::from_claims("idp", "https://idp.example", Claims::from_map(
//!     claims.as_object().unwrap().clone())).unwrap();
//! let issued = tokens.issue(IssueRequest::new(&user, "p_demo")).unwrap();
//! let again = tokens.verify(&issued.access_token).unwrap();
//! assert_eq!(again.sub(), "alice");
//! assert_eq!(again.project(), Some("p_demo"));
//! assert_eq!(again.context_key(), user.context_key());
//! ```

mod keys;
mod revocation;

pub use keys::{KeyRing, SigningKey};
pub use revocation::{MemoryRevocations, NoRevocations, Revocations, TokenRef};

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::clock::{SharedClock, SystemClock};
use crate::jwt::{Algorithm, ClaimsPolicy, Field, Jws, b64_encode};
use crate::user::{Origin, TamboTokenUser};
use crate::{ContextKey, Error, TamboUser};

/// The suffix of our issuer on tokens issued for subjects verified by the development
/// `none` strategy: no production verifier accepts them (docs/security.md D-04).
pub const INSECURE_ISSUER_SUFFIX: &str = "#insecure-dev";

/// The RFC 9068 media type of our tokens.
pub const TOKEN_TYPE: &str = "at+jwt";

/// The hard cap on a Tambo token's lifetime (RFC 6750 §5.3: one hour or less).
pub const MAX_TTL: Duration = Duration::from_secs(3600);

/// What to issue a token for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssueRequest<'a> {
    /// The verified user.
    pub user: &'a TamboUser,
    /// The project (`client_id`).
    pub project: &'a str,
    /// The subject token's `exp`, which caps the lifetime unless the clamp is lifted.
    pub subject_expires_at: Option<f64>,
    /// The granted scope, space-delimited.
    pub scope: Option<String>,
    /// An audience other than the default (from the `audience` or `resource` parameter).
    pub audience: Option<String>,
    /// The subject was not signature-checked (development `none` strategy).
    pub insecure: bool,
}

impl<'a> IssueRequest<'a> {
    /// A request for `user` in `project`, nothing else set.
    pub fn new(user: &'a TamboUser, project: &'a str) -> Self {
        Self {
            user,
            project,
            subject_expires_at: None,
            scope: None,
            audience: None,
            insecure: false,
        }
    }
}

/// An issued token.
#[derive(Clone)]
#[non_exhaustive]
pub struct IssuedToken {
    /// The compact JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Its `exp`.
    pub expires_at: i64,
    /// Its `jti`.
    pub jti: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires_in", &self.expires_in)
            .field("jti", &self.jti)
            .finish_non_exhaustive()
    }
}

/// The claims of an issued Tambo token, serialized straight from borrowed values.
#[derive(serde::Serialize)]
struct IssuedClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    client_id: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
    ctx: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    original_iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_hd: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_tid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_org_id: Option<&'a str>,
}

/// Issues and verifies Tambo tokens. Cheap to clone; verification is synchronous and local.
#[derive(Debug, Clone)]
pub struct TamboTokens {
    inner: Arc<Inner>,
}

/// What [`TamboTokensBuilder`] sets, kept as it set it.
#[derive(Debug)]
struct Settings {
    issuer: String,
    audience: String,
    ttl: Duration,
    clamp_to_subject: bool,
    min_lifetime: Duration,
    leeway: Duration,
    accept_insecure: bool,
    clock: SharedClock,
    revocations: Arc<dyn Revocations>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    ring: Arc<KeyRing>,
    policy: ClaimsPolicy,
    /// Our issuer, shared by every user whose subject token we issued for.
    issuer_name: Arc<str>,
    /// The provider name of every user of a Tambo token.
    provider: Arc<str>,
}

impl std::ops::Deref for Inner {
    type Target = Settings;

    fn deref(&self) -> &Settings {
        &self.settings
    }
}

/// Configures [`TamboTokens`].
#[derive(Debug)]
#[must_use]
pub struct TamboTokensBuilder {
    settings: Settings,
    ring: Option<Arc<KeyRing>>,
}

impl TamboTokensBuilder {
    /// The `aud` of issued tokens and the one verification requires (default `tambo`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.settings.audience = audience.into();
        self
    }

    /// The lifetime of issued tokens (default 15 min, at most 1 h).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.settings.ttl = ttl;
        self
    }

    /// Lets a token outlive a short subject token. By default a token never outlives its
    /// subject (`min(ttl, subject exp)`); Clerk's 60 s session tokens then yield 60 s Tambo
    /// tokens and frequent re-exchanges. With `Some(min)`, a token lives at least `min`
    /// (capped by `ttl`) even when the subject expires sooner. Revocation still applies.
    pub fn lift_subject_clamp(mut self, min_lifetime: Option<Duration>) -> Self {
        match min_lifetime {
            Some(min) => {
                self.settings.clamp_to_subject = false;
                self.settings.min_lifetime = min;
            }
            None => {
                self.settings.clamp_to_subject = true;
                self.settings.min_lifetime = Duration::ZERO;
            }
        }
        self
    }

    /// The leeway for `exp`, `nbf` and `iat` when verifying (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.settings.leeway = leeway;
        self
    }

    /// Signs with a single key (a ring of one).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.ring = Some(Arc::new(KeyRing::new(key)));
        self
    }

    /// Signs and verifies with a shared key ring.
    pub fn key_ring(mut self, ring: Arc<KeyRing>) -> Self {
        self.ring = Some(ring);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// The revocation source (default: none).
    pub fn revocations(mut self, revocations: Arc<dyn Revocations>) -> Self {
        self.settings.revocations = revocations;
        self
    }

    /// Also accepts tokens issued for development-only subjects (`iss` with the
    /// [`INSECURE_ISSUER_SUFFIX`]). Only the development server sets this.
    pub fn accept_insecure_development_tokens(mut self, accept: bool) -> Self {
        self.settings.accept_insecure = accept;
        self
    }

    /// Checks the settings and builds.
    pub fn build(self) -> Result<TamboTokens, Error> {
        let url = url::Url::parse(&self.settings.issuer)
            .map_err(|_| Error::config("public_url", "our issuer must be an absolute URL"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(
                "public_url",
                "our issuer has no query or fragment",
            ));
        }
        if self.settings.ttl.is_zero() || self.settings.ttl > MAX_TTL {
            return Err(Error::config(
                "token.ttl",
                "between 1 s and 1 h (RFC 6750 §5.3)",
            ));
        }
        if self.settings.audience.is_empty() {
            return Err(Error::config("token.audience", "may not be empty"));
        }
        let ring = self
            .ring
            .ok_or_else(|| Error::config("token.keys", "a signing key is required"))?;
        let mut issuers = vec![self.settings.issuer.clone()];
        if self.settings.accept_insecure {
            issuers.push(format!("{}{INSECURE_ISSUER_SUFFIX}", self.settings.issuer));
        }
        let policy = ClaimsPolicy {
            audiences: vec![self.settings.audience.clone()],
            leeway: self.settings.leeway,
            max_lifetime: Some(MAX_TTL),
            ..ClaimsPolicy::new(issuers)
        };
        policy.validate_config()?;
        Ok(TamboTokens {
            inner: Arc::new(Inner {
                issuer_name: Arc::from(self.settings.issuer.as_str()),
                settings: self.settings,
                ring,
                policy,
                provider: Arc::from("tambo"),
            }),
        })
    }
}

impl TamboTokens {
    /// Starts configuring tokens issued by `issuer` (our public URL).
    pub fn builder(issuer: impl Into<String>) -> TamboTokensBuilder {
        TamboTokensBuilder {
            settings: Settings {
                issuer: issuer.into(),
                audience: "tambo".into(),
                ttl: Duration::from_secs(15 * 60),
                clamp_to_subject: true,
                min_lifetime: Duration::ZERO,
                leeway: crate::jwt::DEFAULT_LEEWAY,
                accept_insecure: false,
                clock: Arc::new(SystemClock),
                revocations: Arc::new(NoRevocations),
            },
            ring: None,
        }
    }

    /// Our issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The default audience.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// The key ring.
    pub fn key_ring(&self) -> &Arc<KeyRing> {
        &self.inner.ring
    }

    /// The JWKS document to publish at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        self.inner.ring.jwks(self.inner.clock.now())
    }

    /// Issues a token.
    pub fn issue(&self, request: IssueRequest<'_>) -> Result<IssuedToken, Error> {
        let inner = &self.inner;
        let now = inner.clock.unix_seconds().floor() as i64;
        let mut lifetime = inner.ttl.as_secs() as i64;
        if let Some(subject_exp) = request.subject_expires_at {
            let remaining = (subject_exp.floor() as i64 - now).max(0);
            if inner.clamp_to_subject {
                lifetime = lifetime.min(remaining);
            } else {
                lifetime = lifetime.min(remaining.max(inner.min_lifetime.as_secs() as i64));
            }
        }
        if lifetime <= 0 {
            return Err(Error::Expired {
                expired_at: request.subject_expires_at.unwrap_or_default() as i64,
            });
        }
        let jti = b64_encode(keys::random_bytes::<16>()?);
        let user = request.user;
        let insecure_issuer;
        let iss = if request.insecure {
            insecure_issuer = format!("{}{INSECURE_ISSUER_SUFFIX}", inner.issuer);
            &insecure_issuer
        } else {
            &inner.issuer
        };
        let subject_claims = user.claims();
        let original = |theirs: &str| subject_claims.non_empty(theirs);
        let claims = IssuedClaims {
            iss,
            aud: request.audience.as_deref().unwrap_or(&inner.audience),
            sub: user.sub(),
            client_id: request.project,
            iat: now,
            exp: now + lifetime,
            jti: &jti,
            ctx: user.context_key().as_str(),
            // The adapter's tenant (Clerk's `o.id`, Google's `hd`...), whatever claim it came
            // from.
            tenant: user.tenant(),
            scope: request.scope.as_deref().filter(|s| !s.is_empty()),
            original_iss: user.issuer(),
            original_hd: original("hd"),
            original_tid: original("tid"),
            original_org_id: original("org_id"),
        };
        let claims = serde_json::to_vec(&claims)
            .map_err(|_| Error::config("token", "the claims could not be encoded"))?;
        let key = inner.ring.active();
        let signing_input = format!("{}.{}", key.tambo_header(), b64_encode(claims));
        let signature = key.sign(signing_input.as_bytes())?;
        Ok(IssuedToken {
            access_token: format!("{signing_input}.{signature}"),
            expires_in: lifetime as u64,
            expires_at: now + lifetime,
            jti,
        })
    }

    /// Verifies a Tambo token (RFC 9068 §4): `typ`, issuer, audience, key by `kid`,
    /// signature, time, the seven required claims, and revocation. Synchronous: keys are
    /// local.
    pub fn verify(&self, token: &str) -> Result<TamboUser, Error> {
        let jws = Jws::parse(token)?;
        self.verify_jws(&jws)
    }

    /// Whether `iss` names us: our issuer exactly, or with the development suffix. This, and
    /// never the header's `typ` (RFC 9068 §2.1 gives every JWT access token `at+jwt`), tells a
    /// Tambo token from a provider's.
    pub fn is_own_issuer(&self, iss: &str) -> bool {
        let ours = &self.inner.issuer;
        iss == ours
            || iss
                .strip_prefix(ours.as_str())
                .is_some_and(|rest| rest == INSECURE_ISSUER_SUFFIX)
    }

    /// Verifies a parsed Tambo token.
    pub fn verify_jws(&self, jws: &Jws<'_>) -> Result<TamboUser, Error> {
        let inner = &self.inner;
        let header = jws.header();
        if !header.typ_is(TOKEN_TYPE) {
            return Err(Error::TypeMismatch {
                expected: TOKEN_TYPE,
            });
        }
        let alg = header.alg()?;
        if !matches!(alg, Algorithm::EdDSA | Algorithm::ES256 | Algorithm::HS256) {
            return Err(Error::AlgorithmNotAllowed {
                reason: "Tambo tokens are EdDSA, ES256 or HS256",
            });
        }
        let claims = jws.claims()?;
        let kid = header.kid().ok_or(Error::UnknownKey)?;
        let now = inner.clock.now();
        let key = inner
            .ring
            .verification_key(kid, now)
            .ok_or(Error::UnknownKey)?;
        if !key.supports(alg) {
            return Err(Error::AlgorithmNotAllowed {
                reason: "the algorithm does not fit the key the token names",
            });
        }
        key.verify_jws(alg, jws)?;
        inner
            .policy
            .validate(claims, crate::clock::unix_seconds_at(now))?;
        let required = |name: &'static str| -> Result<&str, Error> {
            match claims.field(name) {
                Field::Str(s) if !s.is_empty() => Ok(s),
                Field::Absent => Err(Error::MissingClaim { claim: name }),
                _ => Err(Error::invalid_claim(name, "not a non-empty string")),
            }
        };
        let project = required("client_id")?;
        let token_id = required("jti")?;
        let context_key = ContextKey::from_stored(required("ctx")?);
        let issued_at = claims.iat()?.ok_or(Error::MissingClaim { claim: "iat" })? as i64;
        if inner
            .revocations
            .is_revoked(TokenRef::new(token_id, project, &context_key, issued_at))
        {
            return Err(Error::Revoked);
        }
        let original_issuer = match claims.get_str("original_iss") {
            Some(iss) if iss != inner.issuer => Arc::from(iss),
            _ => Arc::clone(&inner.issuer_name),
        };
        let tenant = ["tenant", "original_hd", "original_tid", "original_org_id"]
            .into_iter()
            .find_map(|name| claims.get_str(name))
            .map(str::to_owned);
        let what = TamboTokenUser {
            original_issuer,
            provider: Arc::clone(&inner.provider),
            tenant,
            context_key,
            project: project.to_owned(),
            scope: claims.get_str("scope").map(str::to_owned),
            token_id: token_id.to_owned(),
            issued_at,
            expires_at: claims.exp()?.unwrap_or_default() as i64,
        };
        let sub = claims.sub().ok_or(Error::MissingClaim { claim: "sub" })?;
        Ok(TamboUser::from_tambo_token(claims, sub, what, key))
    }

    /// Re-checks a user verified earlier (the layer's cache) at `now`: the signing key is
    /// still trusted and the token was not revoked since.
    pub fn recheck_cached(&self, user: &TamboUser, now: SystemTime) -> Result<(), Error> {
        let inner = &self.inner;
        let Some(Origin::Tambo { key }) = user.origin() else {
            return Err(Error::UnknownKey);
        };
        if !key.kid().is_some_and(|kid| inner.ring.trusts(kid, now)) {
            return Err(Error::UnknownKey);
        }
        let (Some(jti), Some(project)) = (user.token_id(), user.project()) else {
            return Err(Error::MissingClaim { claim: "jti" });
        };
        let issued_at = user.issued_at().unwrap_or_default();
        if inner
            .revocations
            .is_revoked(TokenRef::new(jti, project, user.context_key(), issued_at))
        {
            return Err(Error::Revoked);
        }
        Ok(())
    }

    /// The current time on this issuer's clock.
    pub fn clock_now(&self) -> std::time::SystemTime {
        self.inner.clock.now()
    }

    /// Whether tokens of development-only subjects are accepted.
    pub fn accepts_insecure_development_tokens(&self) -> bool {
        self.inner.accept_insecure
    }

    /// The lifetime of issued tokens.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl.max(self.inner.min_lifetime)
    }

    /// The leeway in force.
    pub fn leeway(&self) -> Duration {
        self.inner.leeway
    }

    /// Publishes `next`, starts signing with it now, and keeps the previous key verifying
    /// until every token it signed has expired (`ttl` + leeway).
    pub fn rotate(&self, next: SigningKey) -> Result<(), Error> {
        let kid = next.kid().to_owned();
        self.inner.ring.publish(next)?;
        let retire = self.inner.clock.now()
            + self.inner.ttl.max(self.inner.min_lifetime)
            + self.inner.leeway;
        self.inner.ring.activate(&kid, retire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::jwt::Claims;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;

    fn user(exp: u64) -> TamboUser {
        let claims = json!({"iss": "https://accounts.google.com", "sub": "42", "hd": "acme.com",
            "exp": exp});
        TamboUser::from_claims(
            "google",
            "https://accounts.google.com",
            Claims::from_value(claims),
        )
        .expect("user")
    }

    fn tokens(alg: Algorithm, clock: &ManualClock) -> TamboTokensBuilder {
        TamboTokens::builder("https://auth.example.com")
            .signing_key(SigningKey::generate(alg).expect("key"))
            .clock(Arc::new(clock.clone()))
    }

    fn decode(token: &str) -> (Value, Value) {
        let jws = Jws::parse(token).expect("parses");
        let header = Value::Object(jws.header().members().clone());
        let claims = Value::Object(jws.claims().expect("claims").as_map().clone());
        (header, claims)
    }

    #[test]
    fn issued_tokens_carry_the_rfc9068_header_and_claims() {
        let clock = ManualClock::at_unix(NOW);
        let t = tokens(Algorithm::EdDSA, &clock).build().expect("tokens");
        let u = user(NOW + 3600);
        let issued = t.issue(IssueRequest::new(&u, "p_demo")).expect("issued");
        let (header, claims) = decode(&issued.access_token);
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], t.key_ring().active().kid());
        for (name, want) in [
            ("iss", json!("https://auth.example.com")),
            ("aud", json!("tambo")),
            ("sub", json!("42")),
            ("client_id", json!("p_demo")),
            ("iat", json!(NOW)),
            ("exp", json!(NOW + 900)),
            ("ctx", json!("oauth:user:accounts.google.com:acme.com:42")),
            ("original_iss", json!("https://accounts.google.com")),
            ("original_hd", json!("acme.com")),
        ] {
            assert_eq!(claims[name], want, "{name}");
        }
        assert_eq!(issued.expires_in, 900);
        let jti = claims["jti"].as_str().expect("jti");
        assert_eq!(
            crate::jwt::b64_decode(jti).map(|b| b.len()),
            Some(16),
            "128 random bits"
        );
    }

    #[test]
    fn lifetime_is_clamped_to_the_subject_unless_lifted() {
        let clock = ManualClock::at_unix(NOW);
        let u = user(NOW + 60);
        let clamped = tokens(Algorithm::EdDSA, &clock).build().expect("tokens");
        let issued = clamped.issue(IssueRequest {
            subject_expires_at: Some((NOW + 60) as f64),
            ..IssueRequest::new(&u, "p")
        });
        assert_eq!(issued.expect("issued").expires_in, 60);
        let lifted = tokens(Algorithm::EdDSA, &clock)
            .lift_subject_clamp(Some(Duration::from_secs(600)))
            .build()
            .expect("tokens");
        let issued = lifted.issue(IssueRequest {
            subject_expires_at: Some((NOW + 60) as f64),
            ..IssueRequest::new(&u, "p")
        });
        assert_eq!(issued.expect("issued").expires_in, 600);
        let expired = clamped.issue(IssueRequest {
            subject_expires_at: Some((NOW - 1) as f64),
            ..IssueRequest::new(&u, "p")
        });
        assert!(matches!(expired, Err(Error::Expired { .. })));
    }

    #[test]
    fn ttl_is_capped_at_one_hour() {
        let clock = ManualClock::at_unix(NOW);
        let err = tokens(Algorithm::EdDSA, &clock)
            .ttl(Duration::from_secs(3601))
            .build()
            .expect_err("refused");
        assert!(matches!(err, Error::Configuration { ref field, .. } if field == "token.ttl"));
    }

    #[test]
    fn development_tokens_are_refused_by_production_verifiers() {
        let clock = ManualClock::at_unix(NOW);
        let key = SigningKey::generate(Algorithm::ES256).expect("key");
        let pem = key.to_pkcs8_pem().expect("pem");
        let dev = TamboTokens::builder("https://auth.example.com")
            .signing_key(key)
            .clock(Arc::new(clock.clone()))
            .accept_insecure_development_tokens(true)
            .build()
            .expect("tokens");
        let u = user(NOW + 3600);
        let issued = dev
            .issue(IssueRequest {
                insecure: true,
                ..IssueRequest::new(&u, "p")
            })
            .expect("issued");
        assert_eq!(
            decode(&issued.access_token).1["iss"],
            "https://auth.example.com#insecure-dev"
        );
        assert!(dev.verify(&issued.access_token).is_ok());
        // Same key, production settings: refused.
        let prod = TamboTokens::builder("https://auth.example.com")
            .signing_key(SigningKey::from_pkcs8_pem(Algorithm::ES256, &pem).expect("reloaded"))
            .clock(Arc::new(clock))
            .build()
            .expect("tokens");
        assert!(matches!(
            prod.verify(&issued.access_token),
            Err(Error::IssuerMismatch)
        ));
    }

    #[test]
    fn keys_round_trip_through_pkcs8_with_a_stable_thumbprint_kid() {
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let key = SigningKey::generate(alg).expect("key");
            let pem = key.to_pkcs8_pem().expect("pem");
            let again = SigningKey::from_pkcs8_pem(alg, &pem).expect("reloaded");
            assert_eq!(key.kid(), again.kid());
            assert!(!format!("{key:?}").contains("PRIVATE"));
        }
        assert!(SigningKey::generate(Algorithm::RS256).is_err());
    }

    #[test]
    fn the_jwks_document_holds_public_members_only() {
        let clock = ManualClock::at_unix(NOW);
        let t = tokens(Algorithm::ES256, &clock).build().expect("tokens");
        t.key_ring()
            .publish(SigningKey::generate(Algorithm::ES256).expect("key"))
            .expect("published");
        let jwks = t.jwks();
        let keys = jwks["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 2);
        for key in keys {
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(key.get(private).is_none(), "{private} published");
            }
            assert_eq!(key["use"], "sig");
            assert!(key["kid"].is_string());
        }
        let hmac = TamboTokens::builder("https://auth.example.com")
            .signing_key(
                SigningKey::hmac(&Secret::from_bytes((0u8..48).collect::<Vec<_>>())).expect("key"),
            )
            .build()
            .expect("tokens");
        assert_eq!(hmac.jwks()["keys"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn generated_hs256_keys_have_distinct_kids_that_never_show_the_secret() {
        let a = SigningKey::generate(Algorithm::HS256).expect("key a");
        let b = SigningKey::generate(Algorithm::HS256).expect("key b");
        assert_ne!(a.kid(), b.kid(), "two secrets, two kids");
        let bytes: Vec<u8> = (0u8..48).collect();
        let key = SigningKey::hmac(&Secret::from_bytes(bytes.clone())).expect("key");
        let again = SigningKey::hmac(&Secret::from_bytes(bytes.clone())).expect("key");
        assert_eq!(key.kid(), again.kid(), "the kid is stable for one secret");
        let kid = crate::jwt::b64_decode(key.kid()).expect("base64url kid");
        assert_eq!(kid.len(), 16, "a truncated digest");
        assert!(!bytes.windows(16).any(|w| w == kid.as_slice()));
        assert_ne!(
            key.kid(),
            key.verification_key().thumbprint(),
            "the kid and the thumbprint are separate domains"
        );
        // Verification keys keep distinct identities for distinct secrets.
        let other = crate::keys::VerificationKey::from_secret(&[bytes.as_slice(), b"x"].concat())
            .expect("secret");
        let same_len = crate::keys::VerificationKey::from_secret(&[9u8; 48]).expect("secret");
        let first = crate::keys::VerificationKey::from_secret(&bytes).expect("secret");
        assert_ne!(first.thumbprint(), same_len.thumbprint());
        assert_ne!(first.thumbprint(), other.thumbprint());
    }

    #[test]
    fn an_hs256_rotation_signs_with_the_new_secret_and_remove_targets_the_old_one() {
        let clock = ManualClock::at_unix(NOW);
        let t = tokens(Algorithm::HS256, &clock).build().expect("tokens");
        let u = user(NOW + 3600);
        let old = t.issue(IssueRequest::new(&u, "p")).expect("issued");
        let old_kid = t.key_ring().active().kid().to_owned();
        t.rotate(SigningKey::generate(Algorithm::HS256).expect("key"))
            .expect("rotated");
        let new_kid = t.key_ring().active().kid().to_owned();
        assert_ne!(old_kid, new_kid, "the rotated secret signs");
        let new = t.issue(IssueRequest::new(&u, "p")).expect("issued");
        assert_eq!(decode(&new.access_token).0["kid"], new_kid.as_str());
        assert!(t.verify(&old.access_token).is_ok(), "overlap");
        t.key_ring().remove(&old_kid).expect("removed");
        assert!(matches!(
            t.verify(&old.access_token),
            Err(Error::UnknownKey)
        ));
        assert!(
            t.verify(&new.access_token).is_ok(),
            "the other key still verifies"
        );
        assert_eq!(t.key_ring().kids(t.clock_now()), vec![new_kid]);
    }

    use crate::verify::Secret;
}
