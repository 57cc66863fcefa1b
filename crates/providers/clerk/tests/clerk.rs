//! The Clerk adapter against the testkit IdP (JWKS on 127.0.0.1) and Clerk-shaped session
//! tokens (version 2 claims, `cat` header, 60 s lifetime, `nbf = iat - 5`).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tambo_auth::clock::ManualClock;
use tambo_auth::{ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_clerk::{ClerkClaims, ClerkProvider, ClerkProviderBuilder};
use tambo_auth_testkit::claims::{self, CLERK_AZP, now};
use tambo_auth_testkit::refusal::{assert_mentions, assert_names_field};
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures, jws};

const SUB: &str = "user_2ZkQ7pQ8rS9tU0vW1xY2zA3bC4d";
const ORG: &str = "org_2ZkR1sT2uV3wX4yZ5aB6cD7eF8g";

fn builder(idp: &TestIdp) -> ClerkProviderBuilder {
    ClerkProvider::builder(idp.issuer())
        .authorized_party(CLERK_AZP)
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
}

fn sign(payload: Value) -> String {
    let key = &fixtures().rsa;
    jws::token_with_header(key, &claims::clerk_header(key), &payload)
}

fn host(idp: &TestIdp) -> String {
    format!("127.0.0.1%3A{}", idp.port())
}

/// Asserts that `result` is the Clerk provider's own refusal, its reason saying each of `texts`.
fn assert_clerk_refused(result: Result<impl Debug, tambo_auth::Error>, texts: &[&str]) {
    let own = "refused by the clerk provider:";
    assert_mentions(
        &assert_refused!(result, ErrorKind::ClaimRejected, own),
        texts,
    );
}

#[tokio::test]
async fn a_session_token_is_accepted_and_mapped_with_its_active_organization() {
    let idp = TestIdp::start().await;
    let clerk = builder(&idp).build().expect("valid");
    let payload = claims::clerk_session_token(&idp.issuer(), SUB, now());
    let sid = payload["sid"].as_str().map(str::to_owned);

    let user = clerk.authenticate(&sign(payload)).await.expect("accepted");

    assert_eq!(user.provider(), "clerk");
    assert_eq!(user.sub(), SUB);
    assert_eq!(user.tenant(), Some(ORG));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:{}:{ORG}:{SUB}", host(&idp))
    );
    let clerk_claims = ClerkClaims::from_user(&user);
    assert_eq!(clerk_claims.session_id, sid);
    assert_eq!(clerk_claims.authorized_party.as_deref(), Some(CLERK_AZP));
    assert_eq!(clerk_claims.version, Some(2));
    assert_eq!(clerk_claims.factor_verification_age, Some((3, -1)));
    let org = clerk_claims.org.expect("active organization");
    assert_eq!(org.id, ORG);
    assert_eq!(org.slug.as_deref(), Some("acme"));
    assert_eq!(org.role.as_deref(), Some("admin"));
    assert_eq!(org.permissions, ["read", "manage"]);
    assert_eq!(org.feature_permission_map.as_deref(), Some("3"));
}

#[tokio::test]
async fn a_token_requested_from_an_unlisted_origin_is_refused_with_the_origin_named() {
    let idp = TestIdp::start().await;
    let clerk = builder(&idp).build().expect("valid");
    let mut payload = claims::clerk_session_token(&idp.issuer(), SUB, now());
    payload["azp"] = json!("https://evil.example");

    let result = clerk.authenticate(&sign(payload)).await;

    assert_clerk_refused(result, &["https://evil.example", "authorized_parties"]);
}

#[tokio::test]
async fn a_token_without_azp_is_accepted_unless_azp_is_required() {
    let idp = TestIdp::start().await;
    let mut payload = claims::clerk_session_token(&idp.issuer(), SUB, now());
    payload.as_object_mut().map(|m| m.remove("azp"));
    let token = sign(payload);

    let lenient = builder(&idp).build().expect("valid");
    lenient
        .authenticate(&token)
        .await
        .expect("accepted, as Clerk's SDK");

    let strict = builder(&idp).require_azp(true).build().expect("valid");
    assert_clerk_refused(strict.authenticate(&token).await, &["no azp"]);
}

#[tokio::test]
async fn a_pending_session_is_refused_by_default_and_accepted_when_allowed() {
    let idp = TestIdp::start().await;
    let token = sign(claims::clerk_pending_session_token(
        &idp.issuer(),
        SUB,
        now(),
    ));

    let clerk = builder(&idp).build().expect("valid");
    let result = clerk.authenticate(&token).await;
    assert_clerk_refused(result, &["pending", "organization"]);

    let user = builder(&idp)
        .allow_pending_sessions(true)
        .build()
        .expect("valid")
        .authenticate(&token)
        .await
        .expect("accepted when allowed");
    assert_eq!(user.tenant(), None);
    assert!(ClerkClaims::from_user(&user).is_pending());
}

#[tokio::test]
async fn sixty_second_tokens_with_nbf_skew_pass_and_expire_on_time() {
    let idp = TestIdp::start().await;
    let iat = now();
    let clock = ManualClock::at_unix(iat - 4); // this server runs 4 s behind Clerk
    let clerk = ClerkProvider::builder(idp.issuer())
        .authorized_party(CLERK_AZP)
        .options(
            ProviderOptions::default()
                .allow_loopback_http(true)
                .clock(Arc::new(clock.clone())),
        )
        .build()
        .expect("valid");
    let token = sign(claims::clerk_session_token(&idp.issuer(), SUB, iat));

    clerk
        .authenticate(&token)
        .await
        .expect("within the 5 s leeway");
    clock.advance(Duration::from_secs(4 + 60 + 4));
    clerk
        .authenticate(&token)
        .await
        .expect("exp + 4 s is within leeway");
    clock.advance(Duration::from_secs(2));
    assert_refused!(clerk.authenticate(&token).await, ErrorKind::Expired);
}

#[tokio::test]
async fn the_organization_can_be_left_out_of_the_context_key() {
    let idp = TestIdp::start().await;
    let clerk = builder(&idp)
        .org_in_context_key(false)
        .build()
        .expect("valid");
    let token = sign(claims::clerk_session_token(&idp.issuer(), SUB, now()));

    let user = clerk.authenticate(&token).await.expect("accepted");

    assert_eq!(user.tenant(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:{}:{SUB}", host(&idp))
    );
    assert_eq!(
        ClerkClaims::from_user(&user).org.map(|o| o.id).as_deref(),
        Some(ORG)
    );
}

#[tokio::test]
async fn version_1_organization_claims_still_give_the_tenant() {
    let idp = TestIdp::start().await;
    let mut payload = claims::clerk_session_token(&idp.issuer(), SUB, now());
    if let Some(map) = payload.as_object_mut() {
        map.remove("o");
        map.remove("v");
        map.insert("org_id".into(), json!("org_v1"));
        map.insert("org_role".into(), json!("org:admin"));
        map.insert(
            "org_permissions".into(),
            json!(["org:sys_memberships:read"]),
        );
    }

    let user = builder(&idp)
        .build()
        .expect("valid")
        .authenticate(&sign(payload))
        .await
        .expect("accepted");

    assert_eq!(user.tenant(), Some("org_v1"));
    let org = ClerkClaims::from_user(&user).org.expect("v1 organization");
    assert_eq!(org.role.as_deref(), Some("admin"));
    assert_eq!(org.permissions, ["org:sys_memberships:read"]);
    // What an exchange may grant: the v1 keys as listed.
    let clerk = builder(&idp).build().expect("valid");
    assert_eq!(
        clerk.held_scopes(&user.claims()),
        ["org:sys_memberships:read"]
    );
}

/// Version 2 packs the organization permissions: one bitmask per feature of `fea` over the
/// names of `o.per`, least significant bit first.
#[tokio::test]
async fn the_organization_permissions_are_the_scopes_a_clerk_user_holds() {
    let idp = TestIdp::start().await;
    let clerk = builder(&idp).build().expect("valid");
    let mut payload = claims::clerk_session_token(&idp.issuer(), SUB, now());
    payload["fea"] = json!("o:dashboard,o:teams");
    payload["o"]["per"] = json!("manage,read");
    payload["o"]["fpm"] = json!("3,2");
    let user = clerk
        .authenticate(&sign(payload.clone()))
        .await
        .expect("accepted");
    assert_eq!(
        clerk.held_scopes(&user.claims()),
        [
            "org:dashboard:manage",
            "org:dashboard:read",
            "org:teams:read"
        ]
    );
    // Without an active organization, nothing.
    payload.as_object_mut().expect("object").remove("o");
    let user = clerk.authenticate(&sign(payload)).await.expect("accepted");
    assert!(clerk.held_scopes(&user.claims()).is_empty());
}

#[tokio::test]
async fn a_session_id_or_cookie_is_refused_with_a_hint_to_send_get_token() {
    let idp = TestIdp::start().await;
    let clerk = builder(&idp).build().expect("valid");
    let result = clerk.authenticate("sess_2ZkQ9aB1cD2eF3gH4iJ5kL6mN7o").await;
    assert_refused!(result, ErrorKind::Opaque, "getToken()");
}

#[tokio::test]
async fn an_issuer_with_a_trailing_slash_is_another_issuer() {
    let idp = TestIdp::start().await;
    let payload = claims::clerk_session_token(&format!("{}/", idp.issuer()), SUB, now());
    let clerk = builder(&idp).build().expect("valid");
    assert_refused!(
        clerk.authenticate(&sign(payload)).await,
        ErrorKind::IssuerMismatch
    );
}

#[tokio::test]
async fn the_pem_public_key_verifies_without_network_and_rs256_only() {
    let issuer = "https://clerk.acme.example";
    let clerk = ClerkProvider::builder(issuer)
        .authorized_party(CLERK_AZP)
        .pem_public_key(fixtures().rsa.public_pem())
        .build()
        .expect("valid");
    assert_eq!(clerk.verifier().strategy(), StrategyKind::Asymmetric);

    let user = clerk
        .authenticate(&sign(claims::clerk_session_token(issuer, SUB, now())))
        .await
        .expect("accepted with no IdP running");
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:clerk.acme.example:{ORG}:{SUB}")
    );

    let key = &fixtures().rsa;
    let ps256 = jws::token_with_header(
        key,
        &json!({"alg": "PS256", "kid": key.kid()}),
        &claims::clerk_session_token(issuer, SUB, now()),
    );
    let result = clerk.authenticate(&ps256).await;
    assert_refused!(result, ErrorKind::AlgorithmNotAllowed);

    // An EC key cannot verify RS256.
    let ec = ClerkProvider::builder(issuer)
        .authorized_party(CLERK_AZP)
        .pem_public_key(fixtures().ec.public_pem())
        .build();
    assert_refused!(ec, ErrorKind::Configuration);
}

#[test]
fn misconfigurations_name_the_field_and_the_fix() {
    for (builder, field, texts) in [
        (
            ClerkProvider::builder("clerk.acme.com"),
            "authorized_parties",
            &["origins"][..],
        ),
        (
            ClerkProvider::builder("clerk.acme.com")
                .authorized_party("https://app.acme.com/dashboard"),
            "authorized_parties",
            &[],
        ),
        (
            ClerkProvider::builder("https://clerk.acme.com/v1")
                .authorized_party("https://app.acme.com"),
            "frontend_api",
            &[],
        ),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, texts);
    }
}

#[test]
fn origins_are_normalized_to_what_clerk_writes_in_tokens() {
    let clerk = ClerkProvider::builder("acme-42.clerk.accounts.dev/")
        .authorized_parties(["https://App.acme.com/", "http://localhost:3000"])
        .build()
        .expect("valid");
    assert_eq!(clerk.issuer(), "https://acme-42.clerk.accounts.dev");
    assert_eq!(
        clerk.authorized_parties(),
        ["https://app.acme.com", "http://localhost:3000"]
    );
}

#[test]
fn the_builder_deserializes_strictly_with_the_builders_defaults() {
    let settings: ClerkProviderBuilder = serde_json::from_value(json!({
        "frontend_api": "https://clerk.acme.com",
        "authorized_parties": ["https://app.acme.com"],
    }))
    .expect("valid settings");
    let coded =
        ClerkProvider::builder("https://clerk.acme.com").authorized_party("https://app.acme.com");
    assert_eq!(format!("{settings:?}"), format!("{coded:?}"));
    let clerk = settings.build().expect("builds");
    assert_eq!(clerk.verifier().strategy(), StrategyKind::Jwks);

    let with_pem: ClerkProviderBuilder = serde_json::from_value(json!({
        "frontend_api": "https://clerk.acme.com",
        "authorized_parties": ["https://app.acme.com"],
        "pem_public_key": fixtures().rsa.public_pem(),
        "org_in_context_key": false,
    }))
    .expect("valid settings");
    let clerk = with_pem.build().expect("builds");
    assert_eq!(clerk.verifier().strategy(), StrategyKind::Asymmetric);

    for typo in [
        json!({"frontend_api": "https://clerk.acme.com", "authorized_party": ["https://app.acme.com"]}),
        json!({"frontend_api": "https://clerk.acme.com", "authorized_parties": [], "leeway": 60}),
    ] {
        let refused = serde_json::from_value::<ClerkProviderBuilder>(typo);
        assert!(refused.is_err(), "unknown fields are refused");
    }
}
