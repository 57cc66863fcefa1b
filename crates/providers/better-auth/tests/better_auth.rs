//! The Better Auth adapter against the testkit IdP laid out like an app with the JWT plugin:
//! keys at `/api/auth/jwks`, no discovery, `iss` and `aud` the app's origin.

use serde_json::{Value, json};
use tambo_auth::{Algorithm, ErrorKind, Provider, ProviderExt};
use tambo_auth_better_auth::{BetterAuthClaims, BetterAuthProvider, BetterAuthProviderBuilder};
use tambo_auth_testkit::claims::{better_auth_header, better_auth_jwt, now};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, TestKey, assert_refused, fixtures, jws};

const USER: &str = "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ";
const PREVIEW: &str = "https://preview-123.acme.example";

async fn app(key: &TestKey) -> TestIdp {
    app_serving_jwks_at(key, "/api/auth/jwks").await
}

async fn app_serving_jwks_at(key: &TestKey, jwks_path: &str) -> TestIdp {
    TestIdp::builder()
        .keys(vec![key.clone()])
        .jwks_path(jwks_path)
        .discovery(false)
        .start()
        .await
}

fn builder(idp: &TestIdp) -> BetterAuthProviderBuilder {
    BetterAuthProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
}

fn provider(idp: &TestIdp) -> BetterAuthProvider {
    builder(idp).build().expect("builds")
}

/// The plugin's token: Better Auth's header (the key's algorithm, no `typ`) over `payload`.
fn sign(key: &TestKey, payload: &Value) -> String {
    jws::token_with_header(key, &better_auth_header(key), payload)
}

fn jwt(idp: &TestIdp, key: &TestKey) -> String {
    sign(key, &better_auth_jwt(&idp.issuer(), USER, now()))
}

#[tokio::test]
async fn an_eddsa_jwt_plugin_token_maps_to_the_user_with_typed_claims() {
    let key = &fixtures().ed;
    let idp = app(key).await;
    let user = provider(&idp)
        .authenticate(&jwt(&idp, key))
        .await
        .expect("accepted");
    assert_eq!(user.sub(), USER);
    assert_eq!(user.provider(), "better-auth");
    assert_eq!(user.tenant(), None);
    assert_eq!(user.email(), Some("ada@example.com"));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:{USER}", idp.port())
    );
    let claims = BetterAuthClaims::from_user(&user).expect("the default payload");
    assert_eq!(claims.id.as_deref(), Some(USER));
    assert_eq!(claims.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.image, None);
    assert_eq!(
        claims.created_at.as_deref(),
        Some("2025-12-20T11:04:41.437Z")
    );
    assert_eq!(idp.discovery_requests(), 0);
}

#[tokio::test]
async fn the_key_decides_the_algorithm() {
    let f = fixtures();
    for (key, alg) in [(&f.ec, "ES256"), (&f.rsa, "RS256"), (&f.rsa, "PS256")] {
        let idp = app(key).await;
        // The plugin's JWKS entry names the key pair's algorithm.
        let mut jwk = key.public_jwk();
        jwk["alg"] = json!(alg);
        idp.set_jwks_body(json!({ "keys": [jwk] }));
        let header = json!({"alg": alg, "kid": key.kid()});
        let payload = better_auth_jwt(&idp.issuer(), USER, now());
        let token = jws::token_with_header(key, &header, &payload);
        let user = provider(&idp).authenticate(&token).await.expect(alg);
        assert_eq!(user.sub(), USER, "{alg}");
    }

    let idp = app(&f.rsa).await;
    let ed_only = builder(&idp)
        .algorithms([Algorithm::EdDSA])
        .build()
        .expect("builds");
    let rs256 = ed_only.authenticate(&jwt(&idp, &f.rsa)).await;
    assert_refused!(rs256, ErrorKind::AlgorithmNotAllowed);
}

#[tokio::test]
async fn a_token_without_kid_is_refused_like_better_auth_does() {
    let key = &fixtures().ed;
    let idp = app(key).await;
    let payload = better_auth_jwt(&idp.issuer(), USER, now());
    let token = jws::token_with_header(key, &json!({"alg": "EdDSA"}), &payload);
    let result = provider(&idp).authenticate(&token).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "`kid`");
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn the_session_token_and_cookie_cache_are_explained() {
    let idp = app(&fixtures().ed).await;
    let better_auth = provider(&idp);

    let session_token = better_auth
        .authenticate("Yx4b0eT5mQ2kR9vW7zN1cL8pA3sD6fG0")
        .await;
    assert_refused!(session_token, ErrorKind::Opaque, "authClient.token()");

    let session_data = jws::hmac_token(
        b"better-auth-secret-0123456789abcdef",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"session": {"token": "Yx4b0eT5"}, "iss": idp.issuer(), "exp": now() + 300}),
    );
    let cookie_cache = better_auth.authenticate(&session_data).await;
    assert_refused!(cookie_cache, ErrorKind::AlgorithmNotAllowed, "session_data");
}

#[tokio::test]
async fn another_origin_in_iss_or_aud_is_refused() {
    let key = &fixtures().ed;
    let idp = app(key).await;
    let better_auth = provider(&idp);

    let mut other_audience = better_auth_jwt(&idp.issuer(), USER, now());
    other_audience["aud"] = json!(PREVIEW);
    let other_issuer = better_auth_jwt(PREVIEW, USER, now());
    for (payload, kind) in [
        (other_audience, ErrorKind::AudienceMismatch),
        (other_issuer, ErrorKind::IssuerMismatch),
    ] {
        assert_refused!(better_auth.authenticate(&sign(key, &payload)).await, kind);
    }
}

#[tokio::test]
async fn a_configured_issuer_audience_and_jwks_path_are_used() {
    let key = &fixtures().ed;
    let idp = app_serving_jwks_at(key, "/auth/.well-known/jwks.json").await;
    let better_auth = builder(&idp)
        .issuer("https://auth.acme.example")
        .audience("https://api.acme.example")
        .audience("https://admin.acme.example")
        .jwks_path("/auth/.well-known/jwks.json")
        .build()
        .expect("builds");
    let mut payload = better_auth_jwt("https://auth.acme.example", USER, now());
    payload["aud"] = json!(["https://admin.acme.example"]);
    let user = better_auth
        .authenticate(&sign(key, &payload))
        .await
        .expect("accepted");
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:auth.acme.example:{USER}")
    );
}

#[tokio::test]
async fn banned_users_are_refused() {
    let key = &fixtures().ed;
    let idp = app(key).await;
    let mut payload = better_auth_jwt(&idp.issuer(), USER, now());
    payload["role"] = json!("user");
    payload["banned"] = json!(true);
    let result = provider(&idp).authenticate(&sign(key, &payload)).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "banned");
}

#[test]
fn configuration_errors_name_the_field() {
    let origin = || BetterAuthProvider::builder("https://app.acme.example");
    for (builder, field) in [
        (BetterAuthProvider::builder(""), "base_url"),
        (
            BetterAuthProvider::builder("ftp://app.acme.example"),
            "base_url",
        ),
        (
            BetterAuthProvider::builder("http://app.acme.example"),
            "base_url",
        ),
        (
            BetterAuthProvider::builder("https://app.acme.example/api/auth"),
            "base_url",
        ),
        (origin().algorithms([Algorithm::HS256]), "algorithms"),
        (origin().jwks_path("api/auth/jwks"), "jwks_path"),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[]);
    }
    // A bare host is an https origin, as everywhere origins are configured.
    assert!(
        BetterAuthProvider::builder("app.acme.example")
            .build()
            .is_ok()
    );
}

#[test]
fn the_builder_deserializes_strictly_and_builds() {
    let parse = |value: Value| serde_json::from_value::<BetterAuthProviderBuilder>(value);
    let minimal = parse(json!({"base_url": "https://app.acme.example"})).expect("valid");
    let coded = BetterAuthProvider::builder("https://app.acme.example");
    assert_eq!(format!("{minimal:?}"), format!("{coded:?}"));

    let settings = parse(json!({
        "base_url": "https://app.acme.example/",
        "algorithms": ["EdDSA", "ES256"],
    }))
    .expect("valid settings");
    let better_auth = settings.build().expect("builds");
    assert_eq!(better_auth.verifier().issuer(), "https://app.acme.example");
    assert_eq!(
        better_auth.verifier().policy().audiences(),
        ["https://app.acme.example"]
    );

    let bad = parse(json!({
        "base_url": "https://app.acme.example",
        "algorithms": ["ES512"],
    }))
    .expect("valid shape");
    assert_refused!(
        bad.build(),
        ErrorKind::Configuration,
        "invalid configuration `algorithms`:"
    );
    let unknown = parse(json!({
        "base_url": "https://app.acme.example",
        "secret": "x",
    }));
    assert!(unknown.is_err());
}
