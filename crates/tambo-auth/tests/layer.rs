//! `TamboAuthLayer` through `tower::ServiceExt::oneshot` on an axum router: every outcome of
//! every mode, the RFC 6750 challenge table, gRPC refusals, the verified-token cache,
//! revocation, rotation and authorization.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, Request, StatusCode};
use serde_json::json;
use tambo_auth::clock::{Clock as _, ManualClock};
use tambo_auth::jwt::Claims;
use tambo_auth::layer::{AuthorizeLayer, Mode, TamboAuthLayer};
use tambo_auth::token::{IssueRequest, MemoryRevocations, SigningKey, TamboTokens};
use tambo_auth::verify::Secret;
use tambo_auth::{Algorithm, OidcProvider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};
use tower::ServiceExt as _;

const ISSUER: &str = "https://auth.example.com";
const NOW: u64 = 1_800_000_000;

struct Fixture {
    clock: ManualClock,
    tokens: TamboTokens,
    revocations: Arc<MemoryRevocations>,
}

fn fixture_with(key: SigningKey) -> Fixture {
    let clock = ManualClock::at_unix(NOW);
    let revocations = Arc::new(MemoryRevocations::default());
    let tokens = TamboTokens::builder(ISSUER)
        .signing_key(key)
        .clock(Arc::new(clock.clone()))
        .revocations(revocations.clone())
        .build()
        .expect("tokens");
    Fixture {
        clock,
        tokens,
        revocations,
    }
}

fn fixture() -> Fixture {
    fixture_with(SigningKey::generate(Algorithm::EdDSA).expect("key"))
}

fn user(sub: &str) -> TamboUser {
    let claims = json!({"iss": "https://idp.example", "sub": sub, "exp": NOW + 3600});
    TamboUser::from_claims("idp", "https://idp.example", Claims::from_value(claims)).expect("user")
}

impl Fixture {
    fn token_for(&self, sub: &str, project: &str) -> String {
        let u = user(sub);
        self.tokens
            .issue(IssueRequest::new(&u, project))
            .expect("issued")
            .access_token
    }

    fn token(&self) -> String {
        self.token_for("alice", "p_demo")
    }

    /// The default layer over these tokens, and the app behind it.
    fn layered(&self) -> (TamboAuthLayer, Router) {
        let layer = TamboAuthLayer::new(self.tokens.clone());
        (layer.clone(), app(layer))
    }
}

async fn whoami(user: TamboUser) -> String {
    format!(
        "{}|{}|{}",
        user.sub(),
        user.context_key(),
        user.project().unwrap_or("-")
    )
}

async fn claims(user: TamboUser) -> String {
    format!(
        "{}|{:?}|{:?}|{:?}",
        serde_json::Value::Object(user.claims().as_map().clone()),
        user.issued_at(),
        user.expires_at(),
        user.scope()
    )
}

async fn maybe(user: Option<TamboUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.sub().to_owned())
}

fn app(layer: TamboAuthLayer) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/maybe", get(maybe))
        .route("/claims", get(claims))
        .layer(layer)
}

async fn call(
    router: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The status `router` answers to `GET /whoami` with `token` as bearer credentials.
async fn status_for(router: &Router, token: &str) -> StatusCode {
    call(router, "/whoami", &[("authorization", &bearer(token))])
        .await
        .0
}

/// A registry of one provider that discovers `idp`'s keys over loopback HTTP.
fn registry_of(idp: &TestIdp) -> ProviderRegistry {
    ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "idp",
            Verifier::builder(idp.issuer())
                .allow_loopback_http(true)
                .allow_any_audience()
                .build()
                .expect("verifier"),
        ))
        .build()
        .expect("registry")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Parses a challenge (RFC 6750 §3): each attribute at most once, no CR/LF, no `"` inside
/// values. Returns the attributes.
fn challenge(headers: &HeaderMap) -> Vec<(String, String)> {
    let values: Vec<_> = headers.get_all("www-authenticate").iter().collect();
    assert_eq!(values.len(), 1, "exactly one challenge");
    let text = values[0].to_str().expect("ascii");
    assert!(!text.contains('\r') && !text.contains('\n'));
    let rest = text.strip_prefix("Bearer ").expect("Bearer scheme");
    let mut attrs = Vec::new();
    for part in rest.split(", ") {
        let (name, value) = part.split_once('=').expect("name=value");
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .expect("quoted");
        assert!(!value.contains('"') && !value.contains('\\'));
        assert!(
            !attrs.iter().any(|(n, _): &(String, String)| n == name),
            "{name} twice"
        );
        attrs.push((name.to_owned(), value.to_owned()));
    }
    attrs
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Asserts that `router` refuses `token` at `GET /whoami` with 401 `invalid_token`.
async fn assert_token_refused(router: &Router, token: &str) {
    let (status, headers, _) = call(router, "/whoami", &[("authorization", &bearer(token))]).await;
    assert_invalid_token(status, &headers);
}

fn assert_invalid_token(status: StatusCode, headers: &HeaderMap) {
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let attrs = challenge(headers);
    assert_eq!(attr(&attrs, "realm"), Some("tambo"));
    assert_eq!(attr(&attrs, "error"), Some("invalid_token"));
    assert!(attr(&attrs, "error_description").is_some());
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler_as_a_user() {
    let f = fixture();
    let router = app(TamboAuthLayer::new(f.tokens.clone()));
    let (status, _, body) = call(
        &router,
        "/whoami",
        &[("authorization", &bearer(&f.token()))],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "alice|oauth:user:idp.example:alice|p_demo");
    let (status, _, _) = call(
        &router,
        "/whoami",
        &[("authorization", &format!("bearer {}", f.token()))],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the scheme is case-insensitive");
}

#[tokio::test]
async fn no_credentials_get_a_bare_challenge() {
    let f = fixture();
    let router = app(TamboAuthLayer::new(f.tokens.clone()));
    for headers in [vec![], vec![("authorization", "Basic dXNlcjpwdw==")]] {
        let (status, h, _) = call(&router, "/whoami", &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge(&h),
            vec![("realm".to_owned(), "tambo".to_owned())]
        );
    }
    // A token in the query is never read.
    let (status, h, _) = call(&router, &format!("/whoami?access_token={}", f.token()), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(attr(&challenge(&h), "error"), None);
}

#[tokio::test]
async fn malformed_credentials_are_400_invalid_request() {
    let f = fixture();
    let router = app(TamboAuthLayer::new(f.tokens.clone()));
    let token = f.token();
    let two_tokens = format!("Bearer {token} {token}");
    for headers in [
        vec![("authorization", "Bearer")],
        vec![("authorization", "Bearer ")],
        vec![("authorization", two_tokens.as_str())],
        vec![("authorization", "Bearer a\"b")],
    ] {
        let (status, h, _) = call(&router, "/whoami", &headers).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{headers:?}");
        assert_eq!(attr(&challenge(&h), "error"), Some("invalid_request"));
    }
    let request = Request::get("/whoami")
        .header("authorization", bearer(&token))
        .header("authorization", bearer(&token))
        .body(Body::empty())
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, _, _) = call(
        &router,
        &format!("/whoami?access_token={token}"),
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "header and query together");
}

#[tokio::test]
async fn invalid_tokens_are_401_invalid_token() {
    let f = fixture();
    let router = app(TamboAuthLayer::new(f.tokens.clone()));

    // Expired (past exp + leeway).
    let expired = f.token();
    f.clock.advance(Duration::from_secs(15 * 60 + 61));
    assert_token_refused(&router, &expired).await;

    // Another audience.
    let u = user("alice");
    let mut other_aud = IssueRequest::new(&u, "p_demo");
    other_aud.audience = Some("https://api-b.example".into());
    let token = f.tokens.issue(other_aud).expect("issued").access_token;
    assert_token_refused(&router, &token).await;

    // Another issuer.
    let foreign = TamboTokens::builder("https://other-auth.example")
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .clock(Arc::new(f.clock.clone()))
        .build()
        .expect("tokens");
    let token = foreign
        .issue(IssueRequest::new(&u, "p_demo"))
        .expect("issued")
        .access_token;
    assert_token_refused(&router, &token).await;

    // A provider token (no typ at+jwt) signed by someone else entirely.
    let provider = JwsBuilder::new()
        .header(json!({"alg": "RS256", "kid": "idp-rsa-1", "typ": "JWT"}))
        .payload(json!({"iss": ISSUER, "sub": "alice", "aud": "tambo", "exp": NOW + 600}))
        .sign(&fixtures().rsa, "RS256");
    assert_token_refused(&router, &provider).await;

    // 1 MiB of header: refused as too large, not parsed.
    let huge = "a".repeat(1 << 20);
    assert_token_refused(&router, &huge).await;
}

#[tokio::test]
async fn rfc9068_type_and_required_claims_are_enforced() {
    let secret = Secret::from_bytes((0u8..48).collect::<Vec<_>>());
    let f = fixture_with(SigningKey::hmac(&secret).expect("hmac key"));
    let router = app(TamboAuthLayer::new(f.tokens.clone()));
    let kid = f.tokens.key_ring().active().kid().to_owned();
    let claims = json!({"iss": ISSUER, "aud": "tambo", "sub": "alice", "client_id": "p",
        "iat": NOW, "exp": NOW + 300, "jti": "j1", "ctx": "oauth:user:idp.example:alice"});
    let sign = |header: serde_json::Value, claims: serde_json::Value| {
        JwsBuilder::new()
            .header(header)
            .payload(claims)
            .sign_hmac(secret.expose(), "HS256")
    };
    let good = sign(
        json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}),
        claims.clone(),
    );
    let (s, _, _) = call(&router, "/whoami", &[("authorization", &bearer(&good))]).await;
    assert_eq!(s, StatusCode::OK);
    let media = sign(
        json!({"alg": "HS256", "typ": "application/AT+JWT", "kid": kid}),
        claims.clone(),
    );
    let (s, _, _) = call(&router, "/whoami", &[("authorization", &bearer(&media))]).await;
    assert_eq!(s, StatusCode::OK, "typ compares as a media type");
    for typ in [json!("JWT"), json!(null)] {
        let mut header = json!({"alg": "HS256", "kid": kid});
        if !typ.is_null() {
            header["typ"] = typ;
        }
        let (s, h, _) = call(
            &router,
            "/whoami",
            &[("authorization", &bearer(&sign(header, claims.clone())))],
        )
        .await;
        assert_invalid_token(s, &h);
    }
    for missing in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        let mut c = claims.clone();
        c.as_object_mut().expect("object").remove(missing);
        let token = sign(json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}), c);
        assert_token_refused(&router, &token).await;
    }
    let mut trailing = claims.clone();
    trailing["iss"] = json!(format!("{ISSUER}/"));
    let token = sign(
        json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}),
        trailing,
    );
    assert_token_refused(&router, &token).await;
}

#[tokio::test]
async fn tokens_of_another_project_are_refused_when_the_layer_requires_one() {
    let f = fixture();
    let router = app(TamboAuthLayer::builder(f.tokens.clone())
        .require_project("p_demo")
        .build()
        .expect("layer"));
    let (s, _, _) = call(
        &router,
        "/whoami",
        &[("authorization", &bearer(&f.token()))],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let other = f.token_for("alice", "p_other");
    assert_token_refused(&router, &other).await;
}

#[tokio::test]
async fn modes_decide_what_passes_without_a_valid_token() {
    let f = fixture();
    let garbage = [("authorization", "Bearer not.a.token")];
    let malformed = [("authorization", "Bearer")];

    let router = app(TamboAuthLayer::builder(f.tokens.clone())
        .mode(Mode::AllowMissing)
        .build()
        .expect("layer"));
    assert_eq!(call(&router, "/maybe", &[]).await.2, "anonymous");
    assert_eq!(
        call(&router, "/maybe", &garbage).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&router, "/maybe", &malformed).await.0,
        StatusCode::BAD_REQUEST
    );
    // A handler that requires a user still gets a 401 with a bare challenge.
    let (s, h, _) = call(&router, "/whoami", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&h).len(), 1);

    let router = app(TamboAuthLayer::builder(f.tokens.clone())
        .mode(Mode::AllowMissingOrFailed)
        .build()
        .expect("layer"));
    assert_eq!(call(&router, "/maybe", &[]).await.2, "anonymous");
    assert_eq!(call(&router, "/maybe", &garbage).await.2, "anonymous");
    assert_eq!(call(&router, "/maybe", &malformed).await.2, "anonymous");
    let token = f.token();
    assert_eq!(
        call(&router, "/maybe", &[("authorization", &bearer(&token))])
            .await
            .2,
        "alice"
    );

    let router = app(TamboAuthLayer::new(f.tokens.clone()));
    assert_eq!(
        call(&router, "/maybe", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_repeated_token_is_a_cache_hit_and_revocation_evicts_it() {
    let f = fixture();
    let (layer, router) = f.layered();
    let token = f.token();
    for _ in 0..3 {
        assert_eq!(status_for(&router, &token).await, StatusCode::OK);
    }
    let stats = layer.cache_stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 2, 1));

    let jti = f
        .tokens
        .verify(&token)
        .expect("valid")
        .token_id()
        .expect("jti")
        .to_owned();
    f.revocations.revoke_token(jti, (NOW + 900) as i64);
    assert_token_refused(&router, &token).await;
    assert_eq!(
        layer.cache_stats().entries,
        0,
        "the revoked entry was evicted"
    );

    // All of a user's tokens issued before T.
    let second = f.token_for("bob", "p_demo");
    assert_eq!(status_for(&router, &second).await, StatusCode::OK);
    let bob = user("bob");
    f.revocations
        .revoke_user("p_demo", bob.context_key(), (NOW + 1) as i64);
    assert_eq!(status_for(&router, &second).await, StatusCode::UNAUTHORIZED);
    f.clock.advance(Duration::from_secs(2));
    let fresh = f.token_for("bob", "p_demo");
    assert_eq!(status_for(&router, &fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn a_cache_hit_sees_the_same_user_and_claims_as_the_first_verification() {
    let f = fixture();
    let (layer, router) = f.layered();
    let token = f.token();
    let auth = bearer(&token);
    let auth = [("authorization", auth.as_str())];
    let (status, _, first) = call(&router, "/claims", &auth).await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.contains(r#""sub":"alice""#), "{first}");
    for _ in 0..2 {
        assert_eq!(call(&router, "/claims", &auth).await.2, first);
        assert_eq!(
            call(&router, "/whoami", &auth).await.2,
            "alice|oauth:user:idp.example:alice|p_demo"
        );
    }
    let stats = layer.cache_stats();
    assert_eq!((stats.misses, stats.hits), (1, 4));
}

#[tokio::test]
async fn a_token_reusing_a_cached_tokens_signature_is_verified_and_refused() {
    let f = fixture();
    let (layer, router) = f.layered();
    let token = f.token();
    let auth = bearer(&token);
    assert_eq!(
        call(&router, "/whoami", &[("authorization", &auth)])
            .await
            .0,
        StatusCode::OK
    );
    // Same header and signature, another payload (the cache's table key is the token's tail).
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    let forged_payload = payload.replace(r#""sub":"alice""#, r#""sub":"admin""#);
    assert_ne!(payload, forged_payload);
    parts[1] = URL_SAFE_NO_PAD.encode(forged_payload);
    let forged = parts.join(".");
    assert_token_refused(&router, &forged).await;
    let stats = layer.cache_stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (2, 0, 1));
    // The genuine token still hits its entry.
    assert_eq!(
        call(&router, "/whoami", &[("authorization", &auth)])
            .await
            .2,
        "alice|oauth:user:idp.example:alice|p_demo"
    );
    assert_eq!(layer.cache_stats().hits, 1);
}

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_during_the_overlap_only() {
    let f = fixture();
    let router = app(TamboAuthLayer::builder(f.tokens.clone())
        .cache_capacity(0)
        .build()
        .expect("layer"));
    let old = f.token();
    f.tokens
        .rotate(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .expect("rotated");
    let new = f.token();
    assert_ne!(
        old.split('.').next(),
        new.split('.').next(),
        "a new kid signs"
    );
    assert_eq!(f.tokens.jwks()["keys"].as_array().map(Vec::len), Some(2));
    assert_eq!(status_for(&router, &old).await, StatusCode::OK);
    // Past the old token's life plus leeway, the old key is retired.
    f.clock.advance(Duration::from_secs(15 * 60 + 61));
    assert_token_refused(&router, &old).await;
    assert_eq!(f.tokens.jwks()["keys"].as_array().map(Vec::len), Some(1));
    let newer = f.token();
    assert_eq!(status_for(&router, &newer).await, StatusCode::OK);
}

#[tokio::test]
async fn an_emergency_key_removal_refuses_its_tokens_even_from_the_cache() {
    let f = fixture();
    let (_, router) = f.layered();
    let old = f.token();
    assert_eq!(status_for(&router, &old).await, StatusCode::OK);
    let old_kid = f.tokens.key_ring().active().kid().to_owned();
    f.tokens
        .rotate(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .expect("rotated");
    f.tokens.key_ring().remove(&old_kid).expect("removed");
    assert_token_refused(&router, &old).await;
}

#[tokio::test]
async fn grpc_requests_get_a_grpc_status_not_an_http_401() {
    let f = fixture();
    let router = app(TamboAuthLayer::new(f.tokens.clone()));
    for (headers, code) in [
        (vec![("content-type", "application/grpc")], "16"),
        (
            vec![
                ("content-type", "application/grpc+proto"),
                ("authorization", "Bearer nope"),
            ],
            "16",
        ),
    ] {
        let (status, h, _) = call(&router, "/whoami", &headers).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["grpc-status"], code);
        assert_eq!(h["content-type"], "application/grpc");
        assert!(h.get("grpc-message").is_some());
        assert!(h.get("www-authenticate").is_none());
    }
}

#[tokio::test]
async fn authorization_refuses_missing_scopes_with_403() {
    let f = fixture();
    let router = Router::new()
        .route("/write", get(whoami))
        .layer(AuthorizeLayer::scope("write"))
        .layer(TamboAuthLayer::new(f.tokens.clone()));
    let u = user("alice");
    let reader = f.token();
    let (s, h, _) = call(&router, "/write", &[("authorization", &bearer(&reader))]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let attrs = challenge(&h);
    assert_eq!(attr(&attrs, "error"), Some("insufficient_scope"));
    assert_eq!(attr(&attrs, "scope"), Some("write"));
    let mut writer = IssueRequest::new(&u, "p_demo");
    writer.scope = Some("read write".into());
    let writer = f.tokens.issue(writer).expect("issued").access_token;
    assert_eq!(
        call(&router, "/write", &[("authorization", &bearer(&writer))])
            .await
            .0,
        StatusCode::OK
    );

    let predicate = Router::new()
        .route("/alice-only", get(whoami))
        .layer(AuthorizeLayer::predicate(|u: &TamboUser| {
            u.sub() == "alice"
        }))
        .layer(TamboAuthLayer::new(f.tokens.clone()));
    assert_eq!(
        call(
            &predicate,
            "/alice-only",
            &[("authorization", &bearer(&reader))]
        )
        .await
        .0,
        StatusCode::OK
    );
    let bob = f.token_for("bob", "p_demo");
    let (s, h, _) = call(
        &predicate,
        "/alice-only",
        &[("authorization", &bearer(&bob))],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(attr(&challenge(&h), "scope"), None);
    let (s, h, _) = call(
        &predicate,
        "/alice-only",
        &[
            ("content-type", "application/grpc"),
            ("authorization", &bearer(&bob)),
        ],
    )
    .await;
    assert_eq!(
        (s, h["grpc-status"].to_str().ok()),
        (StatusCode::OK, Some("7"))
    );
}

#[tokio::test]
async fn the_extractor_says_when_the_layer_is_missing() {
    let router = Router::new()
        .route("/whoami", get(whoami))
        .route("/maybe", get(maybe));
    for path in ["/whoami", "/maybe"] {
        let (s, _, body) = call(&router, path, &[]).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("TamboAuthLayer"), "{body}");
    }
}

#[tokio::test]
async fn characters_outside_token68_are_400_whichever_verifier_reads_the_token() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tambo_auth::layer::{BearerVerifier, Verification};

    /// Accepts any token, and leaves the token68 check to the layer (the default).
    #[derive(Debug, Default)]
    struct AcceptsAnything(AtomicUsize);
    impl BearerVerifier for AcceptsAnything {
        fn verify(&self, _: &str) -> Verification {
            self.0.fetch_add(1, Ordering::Relaxed);
            Verification::Done(Err(tambo_auth::Error::UnknownKey))
        }
    }

    let key = fixtures().ed.clone();
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "static",
            Verifier::builder("https://static.example")
                .public_key_pem(key.public_pem())
                .algorithms([Algorithm::EdDSA])
                .allow_any_audience()
                .build()
                .expect("verifier"),
        ))
        .build()
        .expect("registry");
    let custom = Arc::new(AcceptsAnything::default());
    let layers = [
        TamboAuthLayer::new(fixture().tokens.clone()),
        TamboAuthLayer::direct(registry),
        TamboAuthLayer::new(custom.clone()),
    ];
    for layer in layers {
        let router = app(layer);
        for header in ["Bearer a\"b", "Bearer e30.e30.a@b", "Bearer e30.e30.a=b"] {
            let (status, h, _) = call(&router, "/whoami", &[("authorization", header)]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{header}");
            assert_eq!(attr(&challenge(&h), "error"), Some("invalid_request"));
        }
        // token68, but no compact JWS: the verifier's refusal.
        let (status, h, _) =
            call(&router, "/whoami", &[("authorization", "Bearer a~b+c/d==")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(attr(&challenge(&h), "error"), Some("invalid_token"));
    }
    assert_eq!(
        custom.0.load(Ordering::Relaxed),
        1,
        "a verifier that leaves the check to the layer never sees what fails it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_mode_accepts_provider_tokens_and_answers_503_while_keys_are_unavailable() {
    let mut idp = TestIdp::start().await;
    let registry = registry_of(&idp);
    let token = idp.token(&idp.claims("alice", tambo_auth_testkit::claims::now()));
    let layer = TamboAuthLayer::direct(registry.clone());
    let router = app(layer.clone());
    // A provider user comes back from the cache with the claims it was verified with.
    let auth = bearer(&token);
    let (s, _, verified) = call(&router, "/claims", &[("authorization", &auth)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(verified.contains(r#""sub":"alice""#), "{verified}");
    assert_eq!(
        call(&router, "/claims", &[("authorization", &auth)])
            .await
            .2,
        verified
    );
    let stats = layer.cache_stats();
    assert_eq!((stats.misses, stats.hits), (1, 1));
    let (s, _, body) = call(&router, "/whoami", &[("authorization", &auth)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.starts_with("alice|oauth:user:127.0.0.1%3A"), "{body}");

    idp.stop();
    let cold = app(TamboAuthLayer::direct(registry_of(&idp)));
    let (s, h, _) = call(&cold, "/whoami", &[("authorization", &bearer(&token))]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    let retry: u64 = h["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
}

#[tokio::test]
async fn direct_mode_decides_at_once_when_the_keys_are_at_hand() {
    use tambo_auth::layer::{BearerVerifier, Verification};
    let key = fixtures().ed.clone();
    let issuer = "https://static.example";
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "static",
            Verifier::builder(issuer)
                .public_key_pem(key.public_pem())
                .algorithms([Algorithm::EdDSA])
                .allow_any_audience()
                .build()
                .expect("verifier"),
        ))
        .build()
        .expect("registry");
    let now = tambo_auth_testkit::claims::now();
    let token = tambo_auth_testkit::jws::token(
        &key,
        &tambo_auth_testkit::claims::claims(issuer, "alice", now),
    );
    match BearerVerifier::verify(&registry, &token) {
        Verification::Done(Ok(user)) => assert_eq!(user.sub(), "alice"),
        other => panic!("expected a decision at once, got {other:?}"),
    }
    let stranger = tambo_auth_testkit::jws::token(
        &key,
        &tambo_auth_testkit::claims::claims("https://other.example", "alice", now),
    );
    match BearerVerifier::verify(&registry, &stranger) {
        Verification::Done(Err(e)) => assert_eq!(e.kind(), tambo_auth::ErrorKind::UnknownIssuer),
        other => panic!("expected a refusal at once, got {other:?}"),
    }

    // Remote keys not loaded yet: only the async path can fetch them.
    let idp = TestIdp::start().await;
    let remote = registry_of(&idp);
    let token = idp.token(&idp.claims("bob", now));
    let Verification::Pending(pending) = BearerVerifier::verify(&remote, &token) else {
        panic!("cold remote keys must be fetched");
    };
    assert_eq!(pending.await.expect("verified").sub(), "bob");
    assert!(matches!(
        BearerVerifier::verify(&remote, &token),
        Verification::Done(Ok(_))
    ));
}

#[tokio::test]
async fn tambo_or_provider_accepts_both_kinds() {
    let f = fixture();
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "static",
            Verifier::builder("https://idp.example")
                .public_key_pem(fixtures().rsa.public_pem())
                .clock(Arc::new(f.clock.clone()))
                .allow_any_audience()
                .build()
                .expect("verifier"),
        ))
        .build()
        .expect("registry");
    let router = app(TamboAuthLayer::tambo_or_provider(
        f.tokens.clone(),
        registry,
    ));
    let provider = JwsBuilder::new()
        .header(json!({"alg": "RS256", "typ": "JWT"}))
        .payload(
            json!({"iss": "https://idp.example", "sub": "carol", "iat": NOW, "exp": NOW + 600}),
        )
        .sign(&fixtures().rsa, "RS256");
    assert_eq!(
        call(&router, "/whoami", &[("authorization", &bearer(&provider))])
            .await
            .2,
        "carol|oauth:user:idp.example:carol|-"
    );
    assert_eq!(
        call(
            &router,
            "/whoami",
            &[("authorization", &bearer(&f.token()))]
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_cookie_can_carry_the_token() {
    let f = fixture();
    let router = app(TamboAuthLayer::builder(f.tokens.clone())
        .cookie("tambo_token")
        .build()
        .expect("layer"));
    let cookie = format!("theme=dark; tambo_token={}", f.token());
    assert_eq!(
        call(&router, "/whoami", &[("cookie", &cookie)]).await.0,
        StatusCode::OK
    );
}

/// Issue 13, routing by who signed: RFC 9068 (§2.1) gives every JWT access token
/// `typ: at+jwt`, so a provider's access token with that header is a provider token in
/// direct mode and beside Tambo tokens, and so is a token of a provider whose issuer
/// starts with ours.
#[tokio::test]
async fn provider_access_tokens_typed_at_jwt_and_issuers_under_ours_go_to_the_provider() {
    let f = fixture();
    let under_ours = format!("{ISSUER}/idp");
    let provider = |name: &str, issuer: &str, key: &tambo_auth_testkit::TestKey, alg| {
        OidcProvider::new(
            name,
            Verifier::builder(issuer)
                .public_key_pem(key.public_pem())
                .algorithms([alg])
                .clock(Arc::new(f.clock.clone()))
                .allow_any_audience()
                .build()
                .expect("verifier"),
        )
    };
    let registry = ProviderRegistry::builder()
        .provider(provider(
            "rsa",
            "https://rsa.example",
            &fixtures().rsa,
            Algorithm::RS256,
        ))
        .provider(provider(
            "ec",
            "https://ec.example/realms/a",
            &fixtures().ec,
            Algorithm::ES256,
        ))
        .provider(provider(
            "ed",
            &under_ours,
            &fixtures().ed,
            Algorithm::EdDSA,
        ))
        .build()
        .expect("registry");
    let access_token = |key: &tambo_auth_testkit::TestKey, alg: &str, iss: &str, sub: &str| {
        JwsBuilder::new()
            .header(json!({"alg": alg, "typ": "at+jwt", "kid": key.kid()}))
            .payload(json!({
                "iss": iss, "sub": sub, "client_id": "spa", "iat": NOW, "exp": NOW + 600,
                "jti": format!("jti-{sub}"),
            }))
            .sign(key, alg)
    };
    let tokens = [
        (
            access_token(&fixtures().rsa, "RS256", "https://rsa.example", "rs"),
            "rs|oauth:user:rsa.example:rs|-",
        ),
        (
            access_token(&fixtures().ec, "ES256", "https://ec.example/realms/a", "es"),
            "es|oauth:user:ec.example/realms/a:es|-",
        ),
        (
            access_token(&fixtures().ed, "EdDSA", &under_ours, "ed"),
            "ed|oauth:user:auth.example.com/idp:ed|-",
        ),
    ];
    let direct = app(TamboAuthLayer::direct(registry.clone()));
    let mixed = app(TamboAuthLayer::tambo_or_provider(
        f.tokens.clone(),
        registry,
    ));
    for router in [&direct, &mixed] {
        for (token, expected) in &tokens {
            let (status, _, body) =
                call(router, "/whoami", &[("authorization", &bearer(token))]).await;
            assert_eq!((status, body.as_str()), (StatusCode::OK, *expected));
        }
    }
    // Our own tokens still go to TamboTokens in mixed mode, and are no provider's in direct
    // mode: no provider is configured for our issuer.
    assert_eq!(status_for(&mixed, &f.token()).await, StatusCode::OK);
    let (status, headers, _) = call(
        &direct,
        "/whoami",
        &[("authorization", &bearer(&f.token()))],
    )
    .await;
    assert_invalid_token(status, &headers);
}

/// Issue 13: a cache hit re-checks what can change under it. For a provider token, the key
/// that verified it must still be in the provider's current key set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_provider_token_is_refused_once_its_key_leaves_the_key_set() {
    let clock = ManualClock::at_unix(NOW);
    let idp = TestIdp::builder()
        .keys(vec![fixtures().rsa.clone()])
        .start()
        .await;
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "idp",
            Verifier::builder(idp.issuer())
                .allow_loopback_http(true)
                .clock(Arc::new(clock.clone()))
                .allow_any_audience()
                .build()
                .expect("verifier"),
        ))
        .build()
        .expect("registry");
    let layer = TamboAuthLayer::direct(registry.clone());
    let router = app(layer.clone());
    let token = idp.token(&idp.claims("alice", NOW));
    assert_eq!(status_for(&router, &token).await, StatusCode::OK);
    assert_eq!(status_for(&router, &token).await, StatusCode::OK);
    assert_eq!(
        (layer.cache_stats().misses, layer.cache_stats().hits),
        (1, 1)
    );
    assert_eq!(idp.jwks_requests(), 1);

    // The identity provider rotates the key out. Until the key set refreshes, the cached
    // token passes; due for a refresh, a cache hit starts one in the background.
    idp.set_keys(vec![fixtures().rsa2.clone()]);
    clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(status_for(&router, &token).await, StatusCode::OK);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while registry.status()[0].last_success != Some(clock.now()) {
        assert!(
            std::time::Instant::now() < deadline,
            "no background refresh"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(idp.jwks_requests(), 2);

    // The key set refreshed without the key: the same cached token is refused, as a token
    // seen for the first time would be, and leaves the cache.
    let (status, headers, _) =
        call(&router, "/whoami", &[("authorization", &bearer(&token))]).await;
    assert_invalid_token(status, &headers);
    assert_eq!(layer.cache_stats().hits, 3);
    assert_eq!(layer.cache_stats().entries, 0);
    let (status, headers, _) =
        call(&router, "/whoami", &[("authorization", &bearer(&token))]).await;
    assert_invalid_token(status, &headers);
    assert_eq!(layer.cache_stats().misses, 2, "verified again, and refused");
}

#[test]
fn the_builder_checks_every_setting_once() {
    use tambo_auth::layer::Realm;
    let f = fixture();
    let field = |result: Result<TamboAuthLayer, tambo_auth::Error>| match result {
        Err(tambo_auth::Error::Configuration { field, .. }) => field,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    for name in ["", "tambo token", "a;b", "é"] {
        assert_eq!(
            field(
                TamboAuthLayer::builder(f.tokens.clone())
                    .cookie(name)
                    .build()
            ),
            "cookie",
            "{name:?}"
        );
    }
    assert_eq!(
        field(
            TamboAuthLayer::builder(f.tokens.clone())
                .require_project("")
                .build()
        ),
        "require_project"
    );
    for realm in ["", "a\"b", "a\\b", "line\nbreak"] {
        match Realm::new(realm) {
            Err(tambo_auth::Error::Configuration { field, .. }) => assert_eq!(field, "realm"),
            other => panic!("{realm:?}: {other:?}"),
        }
    }
}

/// Item 8: a configured realm, a refusal body shaped as an RFC 9457 problem document with the
/// RFC 6750 status and challenge kept, and gRPC refusals untouched.
#[tokio::test]
async fn refusal_bodies_can_be_shaped_while_the_challenge_and_grpc_status_stay() {
    use http::header::CONTENT_TYPE;
    use tambo_auth::layer::Realm;
    let f = fixture();
    let problem = |error: &tambo_auth::Error, response: http::Response<()>| {
        let status = response.status().as_u16();
        let mut response = response.map(|()| {
            Body::from(
                json!({"type": "about:blank", "status": status, "code": error.kind().code()})
                    .to_string(),
            )
        });
        response.headers_mut().insert(
            CONTENT_TYPE,
            http::HeaderValue::from_static("application/problem+json"),
        );
        response
    };
    let layer = TamboAuthLayer::builder(f.tokens.clone())
        .realm(Realm::new("acme api").expect("realm"))
        .refusal_body(problem)
        .build()
        .expect("layer");
    let router = Router::new().route("/whoami", get(whoami)).layer(layer);

    let (status, headers, body) = call(
        &router,
        "/whoami",
        &[("authorization", "Bearer nope.nope.nope")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[CONTENT_TYPE], "application/problem+json");
    let attrs = challenge(&headers);
    assert_eq!(attr(&attrs, "realm"), Some("acme api"));
    assert_eq!(attr(&attrs, "error"), Some("invalid_token"));
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["status"], 401);
    assert_eq!(body["code"], "malformed");

    let (status, headers, body) = call(&router, "/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&headers),
        [("realm".to_owned(), "acme api".to_owned())]
    );
    assert!(body.contains("missing_credentials"), "{body}");

    let (status, headers, body) =
        call(&router, "/whoami", &[("content-type", "application/grpc")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["grpc-status"], "16");
    assert_eq!(headers[CONTENT_TYPE], "application/grpc");
    assert_eq!(body, "", "trailers-only");

    // The token still passes.
    assert_eq!(status_for(&router, &f.token()).await, StatusCode::OK);
}

/// Item 8: in `AllowMissingOrFailed` mode a handler can read why there is no user, and the
/// `TamboUser` extractor refuses as the layer would have.
#[tokio::test]
async fn handlers_see_why_credentials_failed_when_the_layer_lets_them_through() {
    use axum::Extension;
    use tambo_auth::layer::{AuthFailure, Realm};
    async fn why(failure: Option<Extension<AuthFailure>>) -> String {
        failure.map_or_else(
            || "none".to_owned(),
            |Extension(AuthFailure(error))| error.kind().code().to_owned(),
        )
    }
    let f = fixture();
    let layer = TamboAuthLayer::builder(f.tokens.clone())
        .mode(Mode::AllowMissingOrFailed)
        .realm(Realm::new("acme").expect("realm"))
        .build()
        .expect("layer");
    let router = Router::new()
        .route("/why", get(why))
        .route("/whoami", get(whoami))
        .layer(layer);
    for (headers, code) in [
        (&[][..], "none"),
        (&[("authorization", "Bearer")][..], "invalid_request"),
        (&[("authorization", "Bearer a.b.c")][..], "malformed"),
        (&[("authorization", "Basic dXNlcjpwdw==")][..], "none"),
    ] {
        assert_eq!(call(&router, "/why", headers).await.2, code, "{headers:?}");
    }
    // A token signed by a key of another deployment: refused, and the extractor says so.
    let foreign = bearer(&fixture().token());
    assert_eq!(
        call(&router, "/why", &[("authorization", &foreign)])
            .await
            .2,
        "unknown_key"
    );
    let (status, headers, _) = call(&router, "/whoami", &[("authorization", &foreign)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let attrs = challenge(&headers);
    assert_eq!(attr(&attrs, "realm"), Some("acme"));
    assert_eq!(attr(&attrs, "error"), Some("invalid_token"));
    let (status, headers, _) = call(&router, "/whoami", &[("authorization", "Bearer")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(attr(&challenge(&headers), "error"), Some("invalid_request"));
    let (status, headers, _) = call(&router, "/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&headers),
        [("realm".to_owned(), "acme".to_owned())]
    );
}

/// Item 8: `Claims<T>` reads the verified token's claims as the handler's own type, on the
/// first request and from the cache alike; claims of another shape are a 401.
#[tokio::test]
async fn claims_extract_as_the_handlers_own_type() {
    use tambo_auth::axum::Claims as TokenClaims;
    #[derive(serde::Deserialize)]
    struct Ours {
        client_id: String,
        ctx: String,
    }
    #[derive(serde::Deserialize)]
    struct Admin {
        #[allow(dead_code)] // read only to require the claim
        admin: bool,
    }
    async fn ours(TokenClaims(claims): TokenClaims<Ours>) -> String {
        format!("{}|{}", claims.client_id, claims.ctx)
    }
    async fn admin(TokenClaims(_): TokenClaims<Admin>) -> &'static str {
        "admin"
    }
    let f = fixture();
    let router = Router::new()
        .route("/ours", get(ours))
        .route("/admin", get(admin))
        .layer(TamboAuthLayer::new(f.tokens.clone()));
    let auth = bearer(&f.token());
    for _ in 0..2 {
        let (status, _, body) = call(&router, "/ours", &[("authorization", &auth)]).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "p_demo|oauth:user:idp.example:alice")
        );
    }
    let (status, headers, _) = call(&router, "/admin", &[("authorization", &auth)]).await;
    assert_invalid_token(status, &headers);
    let (status, headers, _) = call(&router, "/ours", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&headers).len(), 1, "a bare challenge");
}

#[test]
fn extractor_rejections_are_errors_that_say_what_is_missing() {
    use tambo_auth::axum::TamboUserRejection;
    let missing: Box<dyn std::error::Error> = Box::new(TamboUserRejection::MissingLayer);
    assert!(missing.to_string().contains("TamboAuthLayer"), "{missing}");
    assert!(missing.source().is_none());
}
