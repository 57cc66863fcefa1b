//! The WorkOS adapter against the testkit IdP laid out like `api.workos.com`: issuer
//! `/user_management/<client id>`, keys at `/sso/jwks/<client id>`, no discovery.

use serde_json::{Value, json};
use tambo_auth::{ErrorKind, Provider, ProviderExt, ProviderRegistry, StrategyKind};
use tambo_auth_testkit::claims::{now, workos_access_token, workos_header};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, TestKey, assert_refused, fixtures, jws};
use tambo_auth_workos::{WorkosClaims, WorkosProvider, WorkosProviderBuilder};

const CLIENT: &str = "client_01K2M8ABCDEF0123456789XYZ";
const USER: &str = "user_01K2MA1B2C3D4E5F6G7H8J9K0M";
const ORG: &str = "org_01K2M7N8P9Q0R1S2T3V4W5X6Y7";

async fn workos_api() -> TestIdp {
    TestIdp::builder()
        .issuer_path(format!("/user_management/{CLIENT}"))
        .jwks_path(format!("/sso/jwks/{CLIENT}"))
        .discovery(false)
        .start()
        .await
}

fn builder(idp: &TestIdp) -> tambo_auth_workos::WorkosProviderBuilder {
    WorkosProvider::builder(CLIENT)
        .api_url(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
}

fn provider(idp: &TestIdp) -> WorkosProvider {
    builder(idp).build().expect("builds")
}

fn sign(key: &TestKey, payload: &Value) -> String {
    jws::token_with_header(key, &workos_header(key), payload)
}

fn access_token(issuer: &str) -> String {
    sign(&fixtures().rsa, &workos_access_token(issuer, USER, now()))
}

#[tokio::test]
async fn an_authkit_access_token_maps_to_the_user_in_its_organization() {
    let idp = workos_api().await;
    let workos = provider(&idp);
    assert_eq!(workos.verifier().strategy(), StrategyKind::Jwks);

    let user = workos
        .authenticate(&access_token(&idp.issuer()))
        .await
        .expect("accepted");
    assert_eq!(user.sub(), USER);
    assert_eq!(user.provider(), "workos");
    assert_eq!(user.tenant(), Some(ORG));
    assert_eq!(user.email(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:{ORG}:{USER}", idp.port())
    );
    // What an exchange may grant: the role's `permissions` (the core's default reading).
    assert_eq!(
        workos.held_scopes(&user.claims()),
        ["threads:read", "threads:write"]
    );

    let claims = WorkosClaims::from_user(&user).expect("AuthKit's shape");
    assert!(
        claims
            .sid
            .as_deref()
            .is_some_and(|s| s.starts_with("session_"))
    );
    assert_eq!(claims.org_id.as_deref(), Some(ORG));
    assert_eq!(claims.role.as_deref(), Some("member"));
    assert!(claims.has_permission("threads:write"));
    assert_eq!(claims.impersonator, None);
    assert_eq!(idp.discovery_requests(), 0, "keys come from the JWKS URL");
    assert_eq!(idp.jwks_requests(), 1);
}

#[tokio::test]
async fn both_issuer_forms_are_one_provider_and_one_user() {
    let idp = workos_api().await;
    let registry = ProviderRegistry::builder()
        .provider(provider(&idp))
        .build()
        .expect("one provider");
    let current = registry
        .authenticate(&access_token(&idp.issuer()))
        .await
        .expect("user_management issuer");
    for bare in [idp.base_url(), format!("{}/", idp.base_url())] {
        let user = registry
            .authenticate(&access_token(&bare))
            .await
            .expect("bare issuer");
        assert_eq!(user.context_key(), current.context_key(), "{bare}");
    }

    let strict = builder(&idp).legacy_issuer(false).build().expect("builds");
    let bare = strict.authenticate(&access_token(&idp.base_url())).await;
    assert_refused!(bare, ErrorKind::IssuerMismatch);
}

#[tokio::test]
async fn org_id_can_be_left_out_of_the_identity() {
    let idp = workos_api().await;
    let workos = builder(&idp).org_as_tenant(false).build().expect("builds");
    let user = workos
        .authenticate(&access_token(&idp.issuer()))
        .await
        .expect("accepted");
    assert_eq!(user.tenant(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:{USER}", idp.port())
    );
}

#[tokio::test]
async fn a_token_for_another_audience_or_client_is_refused() {
    let idp = workos_api().await;
    let workos = provider(&idp);

    let mut payload = workos_access_token(&idp.issuer(), USER, now());
    payload["aud"] = json!("https://mcp.acme.example");
    let result = workos.authenticate(&sign(&fixtures().rsa, &payload)).await;
    assert_refused!(
        result,
        ErrorKind::ClaimRejected,
        "AuthKit session access token"
    );

    payload["aud"] = json!(CLIENT);
    workos
        .authenticate(&sign(&fixtures().rsa, &payload))
        .await
        .expect("aud naming this client");

    let other = format!("{}/user_management/client_01OTHERCLIENT", idp.base_url());
    let result = workos.authenticate(&access_token(&other)).await;
    assert_refused!(result, ErrorKind::IssuerMismatch);
}

#[tokio::test]
async fn only_rs256_is_accepted() {
    let idp = workos_api().await;
    let token = sign(
        &fixtures().ec,
        &workos_access_token(&idp.issuer(), USER, now()),
    );
    let result = provider(&idp).authenticate(&token).await;
    assert_refused!(result, ErrorKind::AlgorithmNotAllowed);
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn the_impersonating_admin_is_exposed() {
    let idp = workos_api().await;
    let mut payload = workos_access_token(&idp.issuer(), USER, now());
    payload["act"] = json!({"sub": "admin@acme.example"});
    let user = provider(&idp)
        .authenticate(&sign(&fixtures().rsa, &payload))
        .await
        .expect("accepted");
    let claims = WorkosClaims::from_user(&user).expect("AuthKit's shape");
    assert_eq!(claims.impersonator.as_deref(), Some("admin@acme.example"));
}

#[tokio::test]
async fn the_sealed_session_cookie_and_refresh_tokens_are_explained() {
    let idp = workos_api().await;
    let workos = provider(&idp);
    for token in [
        "Fe26.2**0cdd607945dd1dbb7ba2e8d2c8b0e7b5*aOZLCKLhCt0D5IU1qLTtYw*g0ilNDlQ3TsdFUqJCqAm9iL7Wa60H7eYcHL_5oYzW7Hhs1H3ZiTjT3yLAlm7T2o9w",
        "Yx4b0eT5mQ2kR9vW7zN1cL8pA3sD6fG0",
    ] {
        let result = workos.authenticate(token).await;
        assert_refused!(result, ErrorKind::Opaque, "wos-session");
    }
}

#[test]
fn configuration_errors_name_the_field() {
    for (builder, field) in [
        (WorkosProvider::builder("sk_test_a1b2c3"), "client_id"),
        (WorkosProvider::builder("client_"), "client_id"),
        (
            WorkosProvider::builder(CLIENT).api_url("https://api.workos.com/user_management"),
            "api_url",
        ),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[]);
    }
}

#[test]
fn the_defaults_are_workos_hosts() {
    let workos = WorkosProvider::builder(CLIENT).build().expect("builds");
    assert_eq!(
        workos.verifier().issuers(),
        [
            format!("https://api.workos.com/user_management/{CLIENT}"),
            "https://api.workos.com".to_owned(),
            "https://api.workos.com/".to_owned(),
        ]
    );
    assert_eq!(workos.client_id(), CLIENT);
}

#[test]
fn the_builder_deserializes_strictly_and_builds() {
    let parse = |value: Value| serde_json::from_value::<WorkosProviderBuilder>(value);
    let minimal = parse(json!({"client_id": CLIENT})).expect("valid settings");
    assert_eq!(
        format!("{minimal:?}"),
        format!("{:?}", WorkosProvider::builder(CLIENT))
    );

    let settings = parse(json!({
        "client_id": CLIENT,
        "api_url": "https://auth.acme.example",
        "legacy_issuer": false,
    }))
    .expect("valid settings");
    let workos = settings.build().expect("builds");
    assert_eq!(
        workos.verifier().issuers(),
        [format!(
            "https://auth.acme.example/user_management/{CLIENT}"
        )]
    );
    let unknown = parse(json!({
        "client_id": CLIENT,
        "api_key": "sk_live_x",
    }));
    assert!(unknown.is_err());
}
