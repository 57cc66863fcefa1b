//! Migration windows in a `ProviderRegistry`, on an injected clock: which path a token takes,
//! the users both paths give, the counts per path, the window closing at its date, and the
//! configurations a registry refuses.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::json;
use tambo_auth::clock::ManualClock;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::provider::PathRole;
use tambo_auth::verify::Secret;
use tambo_auth::{ErrorKind, OidcProvider, Provider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::jws::{self, JwsBuilder};
use tambo_auth_testkit::keys::fixtures;
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{assert_refused, logs};
use tower::ServiceExt as _;

const NOW: u64 = 1_800_000_000;
const ISSUER: &str = "https://abcdefghijklmnopqrst.supabase.co/auth/v1";
const SECRET: &str = "q8Vt3xR1mZ7kP2wN9cL5jH4gF6dS0aB8yU3eT7iO1pQ";
const WEEK: Duration = Duration::from_secs(7 * 86_400);

fn signing_keys(issuer: &str, clock: &ManualClock) -> Arc<dyn Provider> {
    Arc::new(OidcProvider::new(
        "supabase",
        Verifier::builder(issuer)
            .public_key_pem(fixtures().ed.public_pem())
            .audience("authenticated")
            .clock(Arc::new(clock.clone()))
            .build()
            .expect("signing keys"),
    ))
}

fn legacy_secret(issuer: &str, clock: &ManualClock) -> Arc<dyn Provider> {
    Arc::new(OidcProvider::new(
        "supabase",
        Verifier::builder(issuer)
            .shared_secret(Secret::from_utf8(SECRET))
            .audience("authenticated")
            .clock(Arc::new(clock.clone()))
            .build()
            .expect("legacy secret"),
    ))
}

fn claims(issuer: &str, sub: &str) -> serde_json::Value {
    json!({"iss": issuer, "sub": sub, "aud": "authenticated", "iat": NOW, "exp": NOW + 3600})
}

fn hs256(issuer: &str, sub: &str) -> String {
    JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(claims(issuer, sub))
        .sign_hmac(SECRET.as_bytes(), "HS256")
}

fn eddsa(issuer: &str, sub: &str) -> String {
    jws::token(&fixtures().ed, &claims(issuer, sub))
}

/// Supabase's move from its legacy secret to signing keys, open for a week from `NOW`.
fn supabase_window(clock: &ManualClock) -> (ProviderRegistry, SystemTime) {
    let until = UNIX_EPOCH + Duration::from_secs(NOW) + WEEK;
    let registry = ProviderRegistry::builder()
        .migration(
            signing_keys(ISSUER, clock),
            legacy_secret(ISSUER, clock),
            until,
        )
        .build()
        .expect("registry");
    (registry, until)
}

#[tokio::test]
async fn one_issuer_two_paths_chosen_by_alg_one_user_counted_per_path() {
    let clock = ManualClock::at_unix(NOW);
    let (registry, until) = supabase_window(&clock);

    let legacy = registry
        .authenticate(&hs256(ISSUER, "ada"))
        .await
        .expect("legacy");
    let current = registry
        .authenticate(&eddsa(ISSUER, "ada"))
        .await
        .expect("current");
    assert_eq!(legacy.context_key(), current.context_key());
    registry
        .authenticate(&eddsa(ISSUER, "grace"))
        .await
        .expect("current");

    let paths = registry.migrations();
    let counts: Vec<_> = paths.iter().map(|p| (p.role, p.verified)).collect();
    assert_eq!(counts, [(PathRole::Current, 2), (PathRole::Previous, 1)]);
    assert_eq!(paths[1].until, until);
    assert_eq!(
        paths[1].last_verified,
        Some(UNIX_EPOCH + Duration::from_secs(NOW))
    );

    // A refusal counts for no path.
    let forged = JwsBuilder::new()
        .header(json!({"alg": "HS256"}))
        .payload(claims(ISSUER, "ada"))
        .sign_hmac(b"another-secret-0123456789abcdefghijklmnopqrstuv", "HS256");
    let error = registry.authenticate(&forged).await.expect_err("forged");
    assert_eq!(refusal(&error), (ErrorKind::InvalidSignature, 400, 401));
    assert_eq!(registry.migrations()[1].verified, 1);
}

#[tokio::test]
async fn the_previous_path_closes_at_its_date_and_the_current_one_stays() {
    let clock = ManualClock::at_unix(NOW);
    let (registry, _) = supabase_window(&clock);
    clock.advance(WEEK - Duration::from_secs(1));
    let token = |sub| {
        let mut c = claims(ISSUER, sub);
        c["iat"] = json!(clock.unix());
        c["exp"] = json!(clock.unix() + 3600);
        c
    };
    let legacy = |sub| {
        JwsBuilder::new()
            .header(json!({"alg": "HS256"}))
            .payload(token(sub))
            .sign_hmac(SECRET.as_bytes(), "HS256")
    };
    registry
        .authenticate(&legacy("ada"))
        .await
        .expect("open until its date");
    clock.advance(Duration::from_secs(1));
    let error = registry
        .authenticate(&legacy("ada"))
        .await
        .expect_err("closed");
    assert_eq!(error.kind(), ErrorKind::ClaimRejected);
    assert_eq!(
        (error.kind().exchange_status(), error.kind().bearer_status()),
        (400, 401)
    );
    assert!(error.to_string().contains("were accepted until"), "{error}");
    let current = jws::token(&fixtures().ed, &token("ada"));
    registry
        .authenticate(&current)
        .await
        .expect("the current path stays");
}

/// The status `router` answers a bearer `token` with at `/whoami`.
async fn status_for(router: &Router, token: &str) -> StatusCode {
    let request = Request::get("/whoami")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

#[tokio::test]
async fn a_previous_path_token_the_layer_cached_is_refused_once_the_window_closes() {
    let clock = ManualClock::at_unix(NOW);
    let (registry, _) = supabase_window(&clock);
    let layer = TamboAuthLayer::direct(registry);
    let router = Router::new()
        .route(
            "/whoami",
            get(|user: TamboUser| async move { user.sub().to_owned() }),
        )
        .layer(layer.clone());
    clock.advance(WEEK - Duration::from_secs(60));
    let mut legacy = claims(ISSUER, "ada");
    legacy["iat"] = json!(clock.unix());
    legacy["exp"] = json!(clock.unix() + 3600);
    let token = JwsBuilder::new()
        .header(json!({"alg": "HS256"}))
        .payload(legacy)
        .sign_hmac(SECRET.as_bytes(), "HS256");
    assert_eq!(status_for(&router, &token).await, StatusCode::OK);
    assert_eq!(status_for(&router, &token).await, StatusCode::OK);
    assert_eq!(
        layer.cache_stats().hits,
        1,
        "the second request is a cache hit"
    );

    // The window closes within the token's life: the cached token is refused, as a token
    // seen for the first time is, and leaves the cache.
    clock.advance(Duration::from_secs(60));
    assert_eq!(status_for(&router, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (layer.cache_stats().hits, layer.cache_stats().entries),
        (2, 0)
    );
}

#[tokio::test]
async fn an_old_issuer_maps_its_users_to_the_new_issuers_keys() {
    let clock = ManualClock::at_unix(NOW);
    let old = "https://acme.us.auth0.com/";
    let new = "https://login.acme.com/";
    let until = UNIX_EPOCH + Duration::from_secs(NOW) + WEEK;
    let registry = ProviderRegistry::builder()
        .migration(signing_keys(new, &clock), signing_keys(old, &clock), until)
        .build()
        .expect("registry");
    let before = registry
        .authenticate(&eddsa(old, "auth0|ada"))
        .await
        .expect("old");
    let after = registry
        .authenticate(&eddsa(new, "auth0|ada"))
        .await
        .expect("new");
    assert_eq!(before.context_key(), after.context_key());
    assert_eq!(
        after.context_key().as_str(),
        "oauth:user:login.acme.com:auth0|ada"
    );
    // The user still says which issuer signed.
    assert_eq!((before.issuer(), after.issuer()), (old, new));
}

#[test]
fn a_window_built_after_its_date_is_logged() {
    let clock = ManualClock::at_unix(NOW);
    let until = UNIX_EPOCH + Duration::from_secs(NOW) - WEEK;
    let logs = logs::capture();
    ProviderRegistry::builder()
        .migration(
            signing_keys(ISSUER, &clock),
            legacy_secret(ISSUER, &clock),
            until,
        )
        .build()
        .expect("a closed window still builds");
    let text = logs.text();
    assert!(
        text.lines()
            .any(|l| l.contains("WARN") && l.contains("the migration window has closed")),
        "{text}"
    );
    logs.assert_free_of([SECRET]);
}

#[test]
fn an_issuer_of_a_window_is_still_one_providers_outside_it() {
    let clock = ManualClock::at_unix(NOW);
    let until = UNIX_EPOCH + Duration::from_secs(NOW) + WEEK;
    let error = assert_refused!(
        ProviderRegistry::builder()
            .migration(
                signing_keys(ISSUER, &clock),
                legacy_secret(ISSUER, &clock),
                until,
            )
            .shared(signing_keys(ISSUER, &clock))
            .build(),
        ErrorKind::Configuration
    );
    assert_names_field(&error, "providers", &["two providers are configured"]);
}

/// What every surface answers for `error`: its kind, the exchange's status, an API's status.
fn refusal(error: &tambo_auth::Error) -> (ErrorKind, u16, u16) {
    let kind = error.kind();
    (kind, kind.exchange_status(), kind.bearer_status())
}
