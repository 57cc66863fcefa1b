//! The Better Auth adapter against the testkit IdP laid out like an app with the JWT plugin:
//! keys at `/api/auth/jwks`, no discovery, `iss` and `aud` the app's origin.

use serde_json::json;
use tambo_auth::{Algorithm, ErrorKind, Provider, ProviderExt, ProviderOptions};
use tambo_auth_better_auth::{BetterAuthClaims, BetterAuthProvider, Settings};
use tambo_auth_testkit::claims::{better_auth_header, better_auth_jwt, now};
use tambo_auth_testkit::{JwsBuilder, TestIdp, TestKey, fixtures};

const USER: &str = "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ";

async fn app(key: &TestKey) -> TestIdp {
    TestIdp::builder()
        .keys(vec![key.clone()])
        .jwks_path("/api/auth/jwks")
        .discovery(false)
        .start()
        .await
}

fn provider(idp: &TestIdp) -> BetterAuthProvider {
    BetterAuthProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds")
}

fn sign(key: &TestKey, alg: &str, payload: serde_json::Value) -> String {
    JwsBuilder::new()
        .header(json!({"alg": alg, "kid": key.kid()}))
        .payload(payload)
        .sign(key, alg)
}

fn jwt(idp: &TestIdp, key: &TestKey) -> String {
    JwsBuilder::new()
        .header(better_auth_header(key))
        .payload(better_auth_jwt(&idp.issuer(), USER, now()))
        .sign(key, key.default_alg())
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
        let token = sign(key, alg, better_auth_jwt(&idp.issuer(), USER, now()));
        let user = provider(&idp).authenticate(&token).await.expect(alg);
        assert_eq!(user.sub(), USER, "{alg}");
    }

    let idp = app(&f.rsa).await;
    let ed_only = BetterAuthProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .algorithms([Algorithm::EdDSA])
        .build()
        .expect("builds");
    let err = ed_only
        .authenticate(&jwt(&idp, &f.rsa))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);
}

#[tokio::test]
async fn a_token_without_kid_is_refused_like_better_auth_does() {
    let key = &fixtures().ed;
    let idp = app(key).await;
    let token = JwsBuilder::new()
        .header(json!({"alg": "EdDSA"}))
        .payload(better_auth_jwt(&idp.issuer(), USER, now()))
        .sign(key, "EdDSA");
    let err = provider(&idp)
        .authenticate(&token)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
    assert!(err.to_string().contains("`kid`"), "{err}");
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn the_session_token_and_cookie_cache_are_explained() {
    let idp = app(&fixtures().ed).await;
    let better_auth = provider(&idp);

    let err = better_auth
        .authenticate("Yx4b0eT5mQ2kR9vW7zN1cL8pA3sD6fG0")
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Opaque);
    assert!(err.to_string().contains("authClient.token()"), "{err}");

    let session_data = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(json!({"session": {"token": "Yx4b0eT5"}, "iss": idp.issuer(), "exp": now() + 300}))
        .sign_hmac(b"better-auth-secret-0123456789abcdef", "HS256");
    let err = better_auth
        .authenticate(&session_data)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);
    assert!(err.to_string().contains("session_data"), "{err}");
}

#[tokio::test]
async fn another_origin_in_iss_or_aud_is_refused() {
    let key = &fixtures().ed;
    let idp = app(key).await;
    let better_auth = provider(&idp);

    let mut payload = better_auth_jwt(&idp.issuer(), USER, now());
    payload["aud"] = json!("https://preview-123.acme.example");
    let err = better_auth
        .authenticate(&sign(key, "EdDSA", payload))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AudienceMismatch);

    let preview = better_auth_jwt("https://preview-123.acme.example", USER, now());
    let err = better_auth
        .authenticate(&sign(key, "EdDSA", preview))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::IssuerMismatch);
}

#[tokio::test]
async fn a_configured_issuer_audience_and_jwks_path_are_used() {
    let key = &fixtures().ed;
    let idp = TestIdp::builder()
        .keys(vec![key.clone()])
        .jwks_path("/auth/.well-known/jwks.json")
        .discovery(false)
        .start()
        .await;
    let better_auth = BetterAuthProvider::builder(idp.base_url())
        .issuer("https://auth.acme.example")
        .audience("https://api.acme.example")
        .audience("https://admin.acme.example")
        .jwks_path("/auth/.well-known/jwks.json")
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    let mut payload = better_auth_jwt("https://auth.acme.example", USER, now());
    payload["aud"] = json!(["https://admin.acme.example"]);
    let user = better_auth
        .authenticate(&sign(key, "EdDSA", payload))
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
    let err = provider(&idp)
        .authenticate(&sign(key, "EdDSA", payload))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
    assert!(err.to_string().contains("banned"), "{err}");
}

#[test]
fn configuration_errors_name_the_field() {
    let field = |result: Result<BetterAuthProvider, tambo_auth::Error>| match result {
        Err(tambo_auth::Error::Configuration { field, .. }) => field,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    for base_url in ["", "ftp://app.acme.example", "http://app.acme.example"] {
        assert_eq!(
            field(BetterAuthProvider::builder(base_url).build()),
            "base_url"
        );
    }
    // A bare host is an https origin, as everywhere origins are configured.
    assert!(
        BetterAuthProvider::builder("app.acme.example")
            .build()
            .is_ok()
    );
    assert_eq!(
        field(BetterAuthProvider::builder("https://app.acme.example/api/auth").build()),
        "base_url"
    );
    assert_eq!(
        field(
            BetterAuthProvider::builder("https://app.acme.example")
                .algorithms([Algorithm::HS256])
                .build()
        ),
        "algorithms"
    );
    assert_eq!(
        field(
            BetterAuthProvider::builder("https://app.acme.example")
                .jwks_path("api/auth/jwks")
                .build()
        ),
        "jwks_path"
    );
}

#[test]
fn settings_deserialize_strictly_and_build() {
    let settings: Settings = serde_json::from_value(json!({
        "base_url": "https://app.acme.example/",
        "algorithms": ["EdDSA", "ES256"],
    }))
    .expect("valid settings");
    let better_auth = settings.build(&ProviderOptions::default()).expect("builds");
    assert_eq!(better_auth.verifier().issuer(), "https://app.acme.example");
    assert_eq!(
        better_auth.verifier().policy().audiences(),
        ["https://app.acme.example"]
    );

    let bad: Settings = serde_json::from_value(json!({
        "base_url": "https://app.acme.example",
        "algorithms": ["ES512"],
    }))
    .expect("valid shape");
    assert!(matches!(
        bad.build(&ProviderOptions::default()),
        Err(tambo_auth::Error::Configuration { field, .. }) if field == "algorithms"
    ));
    let unknown = serde_json::from_value::<Settings>(json!({
        "base_url": "https://app.acme.example",
        "secret": "x",
    }));
    assert!(unknown.is_err());
}
