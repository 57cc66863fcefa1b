//! Log hygiene (docs/security.md H-14): everything the library logs at TRACE while it
//! exchanges, authenticates, refuses and fetches keys, with every token, signature, secret,
//! API key and private key of the run checked absent from it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::json;
use tambo_auth::clock::ManualClock;
use tambo_auth::exchange::{
    GRANT_TYPE_TOKEN_EXCHANGE, Project, Rate, RateLimits, StaticProjects, TOKEN_TYPE_ACCESS_TOKEN,
    TokenExchange,
};
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::{MemoryRevocations, SigningKey, TamboTokens};
use tambo_auth::verify::Secret;
use tambo_auth::{Algorithm, OidcProvider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::idp::Fault;
use tambo_auth_testkit::{JwsBuilder, TestIdp, claims, fixtures, logs};
use tower::ServiceExt as _;

const OUR_ISSUER: &str = "https://auth.example.com";
const API_KEY: &str = "tambo_pk_log_hygiene_4d8e1f";
const SECRET: &str = "l0g-hygiene-shared-secret-Qx81vN2mZ7pR4tK9wB3c";

/// Everything that must never be logged, collected as the run makes it.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn add(&mut self, secret: impl Into<String>) -> String {
        let secret = secret.into();
        self.0.push(secret.clone());
        secret
    }
}

async fn status(router: &Router, request: Request<Body>) -> StatusCode {
    router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

fn bearer(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

fn exchange_request(api_key: &str, subject: &str) -> Request<Body> {
    let body = serde_urlencoded::to_string([
        ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ("scope", "threads:read"),
    ])
    .expect("form");
    Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-api-key", api_key)
        .body(Body::from(body))
        .expect("request")
}

async fn access_token(router: &Router, request: Request<Body>) -> String {
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .expect("body");
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn no_token_secret_or_key_reaches_the_logs() {
    let logs = logs::capture();
    let mut secrets = Secrets::default();
    let clock = ManualClock::at_unix(claims::now());
    let shared = Arc::new(clock.clone());

    // The identity provider, its keys, and a shared-secret issuer beside it.
    let idp = TestIdp::start().await;
    for key in [&fixtures().rsa, &fixtures().ec, &fixtures().ed] {
        for line in key
            .private_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
        {
            secrets.add(line);
        }
    }
    secrets.add(SECRET);
    let provider = Verifier::builder(idp.issuer())
        .allow_loopback_http(true)
        .allow_any_audience()
        .clock(shared.clone())
        .build()
        .expect("verifier");
    let hmac_issuer = "https://hmac.example";
    let hmac = Verifier::builder(hmac_issuer)
        .shared_secret(Secret::from_utf8(SECRET))
        .clock(shared.clone())
        .build()
        .expect("verifier");
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new("idp", provider))
        .provider(OidcProvider::new("hmac", hmac))
        .build()
        .expect("registry");

    // Our tokens, signed with a key whose private half must stay private.
    let signing = SigningKey::generate(Algorithm::EdDSA).expect("key");
    for line in signing
        .to_pkcs8_pem()
        .expect("pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
    {
        secrets.add(line);
    }
    let revocations = Arc::new(MemoryRevocations::default());
    let tokens = TamboTokens::builder(OUR_ISSUER)
        .signing_key(signing)
        .revocations(revocations.clone())
        .clock(shared.clone())
        .build()
        .expect("tokens");
    let project = Project::new("p_logs", registry.clone()).scopes(["threads:read"]);
    let projects = StaticProjects::new([(API_KEY, Arc::new(project))]).expect("projects");
    secrets.add(API_KEY);
    let exchange = TokenExchange::new(tokens.clone(), Arc::new(projects)).rate_limits(
        RateLimits::new()
            .per_client(Rate::per_minute(600))
            .clock(shared.clone()),
    );
    let exchange = exchange.router();
    let api = Router::new()
        .route(
            "/whoami",
            get(|user: TamboUser| async move { user.sub().to_owned() }),
        )
        .layer(TamboAuthLayer::tambo_or_provider(tokens.clone(), registry));

    // Exchanges: good, forged, expired, with a wrong key, from the shared-secret issuer.
    let mut subject = idp.claims("alice", clock.unix());
    subject["scope"] = json!("threads:read");
    let good = secrets.add(idp.token(&subject));
    let forged = secrets.add(
        JwsBuilder::new()
            .header(json!({"alg": "RS256", "kid": fixtures().rsa.kid()}))
            .payload(subject.clone())
            .with_signature(&[9u8; 256]),
    );
    let mut old = idp.claims("alice", clock.unix() - 7200);
    old["exp"] = json!(clock.unix() - 3600);
    let expired = secrets.add(idp.token(&old));
    let mut bob = claims::claims(hmac_issuer, "bob", clock.unix());
    bob["scope"] = json!("threads:read");
    let hmac_subject = secrets.add(tambo_auth_testkit::jws::hmac_token(
        SECRET.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &bob,
    ));
    let tambo = secrets.add(access_token(&exchange, exchange_request(API_KEY, &good)).await);
    let tambo_bob =
        secrets.add(access_token(&exchange, exchange_request(API_KEY, &hmac_subject)).await);
    for subject in [&forged, &expired, &tambo] {
        let refused = status(&exchange, exchange_request(API_KEY, subject)).await;
        assert_eq!(refused, StatusCode::BAD_REQUEST);
    }
    let wrong_key = secrets.add("tambo_pk_not_a_project_9f3b2a");
    let refused = status(&exchange, exchange_request(&wrong_key, &good)).await;
    assert_eq!(refused, StatusCode::UNAUTHORIZED);

    // The API: Tambo tokens (good, cached, tampered, revoked, expired) and provider tokens.
    for token in [&tambo, &tambo, &tambo_bob, &good] {
        assert_eq!(status(&api, bearer("/whoami", token)).await, StatusCode::OK);
    }
    let mut tampered = tambo.clone();
    tampered.pop();
    tampered.push(if tambo.ends_with('A') { 'B' } else { 'A' });
    secrets.add(tampered.clone());
    for token in [
        &tampered,
        &forged,
        &expired,
        &"not-a-jwt-but-secret-ish-value".to_owned(),
    ] {
        let refused = status(&api, bearer("/whoami", token)).await;
        assert_eq!(refused, StatusCode::UNAUTHORIZED, "{refused}");
    }
    let claims = tokens.verify(&tambo_bob).expect("verifies");
    revocations.revoke_token(
        claims.claims().get_str("jti").expect("jti").to_owned(),
        claims.expires_at().expect("exp") as i64,
    );
    assert_eq!(
        status(&api, bearer("/whoami", &tambo_bob)).await,
        StatusCode::UNAUTHORIZED
    );

    // The identity provider fails, then rotates: refreshes log their reasons.
    idp.set_jwks_fault(Some(Fault::Status(500)));
    clock.advance(Duration::from_secs(2 * 3600));
    let mut later = idp.claims("carol", clock.unix());
    later["scope"] = json!("threads:read");
    let later = secrets.add(idp.token(&later));
    let unavailable = status(&exchange, exchange_request(API_KEY, &later)).await;
    assert_eq!(unavailable, StatusCode::SERVICE_UNAVAILABLE);
    idp.set_jwks_fault(None);
    assert_eq!(
        status(&api, bearer("/whoami", &tambo)).await,
        StatusCode::UNAUTHORIZED
    );

    let text = logs.text();
    for event in [
        "token exchange",
        "invalid_client",
        "bearer authentication failed",
        "fetching the JWK Set failed",
    ] {
        assert!(
            text.contains(event),
            "no {event:?} event was captured:\n{text}"
        );
    }
    logs.assert_free_of(&secrets.0);
}
