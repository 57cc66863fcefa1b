//! The Auth0 adapter against the testkit IdP (discovery + JWKS on 127.0.0.1, issuer with
//! Auth0's trailing slash) and Auth0-shaped tokens.

use serde_json::{Value, json};
use tambo_auth::{ErrorKind, Provider, ProviderExt, ProviderOptions, ProviderRegistry};
use tambo_auth_auth0::{Auth0Claims, Auth0Provider, Settings};
use tambo_auth_testkit::claims::{self, AUTH0_API_AUDIENCE, AUTH0_CLIENT_ID, now};
use tambo_auth_testkit::jws::jwe_like;
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const CUSTOM_DOMAIN: &str = "https://login.acme.example/";
const SUB: &str = "google-oauth2|108234567890123456789";

async fn idp() -> TestIdp {
    TestIdp::builder().trailing_slash(true).start().await
}

fn provider(idp: &TestIdp) -> Auth0Provider {
    Auth0Provider::builder(idp.issuer())
        .audience(AUTH0_API_AUDIENCE)
        .custom_domain(CUSTOM_DOMAIN)
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("valid configuration")
}

fn sign(payload: Value) -> String {
    let key = &fixtures().rsa;
    JwsBuilder::new()
        .header(claims::auth0_header(key))
        .payload(payload)
        .sign(key, "RS256")
}

fn namespace(idp: &TestIdp) -> String {
    format!("127.0.0.1%3A{}", idp.port())
}

#[tokio::test]
async fn an_access_token_for_the_api_is_accepted_and_mapped_with_its_organization() {
    let idp = idp().await;
    let auth0 = provider(&idp);
    let token = sign(claims::auth0_access_token(&idp.issuer(), SUB, now()));

    let user = auth0.authenticate(&token).await.expect("accepted");

    assert_eq!(user.provider(), "auth0");
    assert_eq!(user.sub(), SUB);
    assert_eq!(user.tenant(), Some("org_9sQwErTyUiOpAsDf"));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:{}:org_9sQwErTyUiOpAsDf:{SUB}", namespace(&idp))
    );
    let extra = Auth0Claims::from_user(&user);
    assert_eq!(extra.org_id.as_deref(), Some("org_9sQwErTyUiOpAsDf"));
    assert_eq!(extra.permissions, vec!["read:threads".to_owned()]);
    assert!(extra.has_scope("read:threads"));
    assert_eq!(extra.azp.as_deref(), Some(AUTH0_CLIENT_ID));
    assert!(!extra.is_machine_to_machine());
}

#[tokio::test]
async fn a_string_audience_and_no_organization_give_the_plain_context_key() {
    let idp = idp().await;
    let auth0 = provider(&idp);
    let mut payload = claims::auth0_access_token(&idp.issuer(), "auth0|64f1", now());
    payload["aud"] = json!(AUTH0_API_AUDIENCE);
    payload.as_object_mut().map(|m| m.remove("org_id"));

    let user = auth0.authenticate(&sign(payload)).await.expect("accepted");

    assert_eq!(user.tenant(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:{}:auth0|64f1", namespace(&idp))
    );
}

#[tokio::test]
async fn a_custom_domain_token_verifies_with_the_tenant_keys_and_keeps_the_user_namespace() {
    let idp = idp().await;
    let auth0 = provider(&idp);
    let canonical = sign(claims::auth0_access_token(&idp.issuer(), SUB, now()));
    let custom = sign(claims::auth0_access_token(CUSTOM_DOMAIN, SUB, now()));

    let via_tenant = auth0.authenticate(&canonical).await.expect("tenant domain");
    let via_custom = auth0.authenticate(&custom).await.expect("custom domain");

    assert_eq!(via_custom.context_key(), via_tenant.context_key());
    assert_eq!(via_custom.claims().iss(), Some(CUSTOM_DOMAIN));
    // Both domains are routed to this provider, and only the tenant's discovery was fetched.
    let registry = ProviderRegistry::builder()
        .provider(auth0)
        .build()
        .expect("registry");
    registry.authenticate(&custom).await.expect("routed");
    assert_eq!(idp.discovery_requests(), 1);
}

#[tokio::test]
async fn the_encrypted_token_auth0_returns_without_an_audience_is_explained() {
    let idp = idp().await;
    let auth0 = provider(&idp);
    let jwe = jwe_like(&json!({"alg": "dir", "enc": "A256GCM", "iss": idp.issuer()}));

    let direct = auth0.authenticate(&jwe).await.expect_err("refused");
    let registry = ProviderRegistry::builder()
        .provider(provider(&idp))
        .build()
        .expect("registry");
    let routed = registry.authenticate(&jwe).await.expect_err("refused");

    for err in [direct, routed] {
        assert_eq!(err.kind(), ErrorKind::Encrypted);
        let text = err.to_string();
        assert!(text.contains("without an audience"), "{text}");
        assert!(text.contains("authorizationParams: { audience }"), "{text}");
    }
    assert_eq!(idp.discovery_requests(), 0);
}

#[tokio::test]
async fn an_opaque_access_token_is_explained() {
    let idp = idp().await;
    let err = provider(&idp)
        .authenticate("8qgVnSW3bLzMh2mQ4fXr0tYk")
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Opaque);
    assert!(err.to_string().contains("/userinfo"), "{err}");
    assert!(err.to_string().contains("`audience`"), "{err}");
}

#[tokio::test]
async fn a_token_for_another_api_and_the_id_token_are_refused_by_audience() {
    let idp = idp().await;
    let auth0 = provider(&idp);
    let mut other_api = claims::auth0_access_token(&idp.issuer(), SUB, now());
    other_api["aud"] = json!([
        "https://other-api.example",
        format!("{}userinfo", idp.issuer())
    ]);
    let mut id_token = claims::auth0_access_token(&idp.issuer(), SUB, now());
    id_token["aud"] = json!(AUTH0_CLIENT_ID);

    for payload in [other_api, id_token] {
        let err = auth0
            .authenticate(&sign(payload))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::AudienceMismatch);
    }
}

#[tokio::test]
async fn an_issuer_without_the_trailing_slash_is_not_auth0s_issuer() {
    let idp = idp().await;
    let issuer = idp.issuer();
    let payload = claims::auth0_access_token(issuer.trim_end_matches('/'), SUB, now());
    let err = provider(&idp)
        .authenticate(&sign(payload))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::IssuerMismatch);
}

#[tokio::test]
async fn an_hs256_token_is_refused_before_any_key_lookup() {
    let idp = idp().await;
    let payload = claims::auth0_access_token(&idp.issuer(), SUB, now());
    let token = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(payload)
        .sign_hmac(b"an-auth0-client-secret-of-32-bytes!!", "HS256");
    let err = provider(&idp)
        .authenticate(&token)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn a_machine_to_machine_token_is_a_client_not_a_person() {
    let idp = idp().await;
    let mut payload = claims::auth0_access_token(&idp.issuer(), "", now());
    payload["sub"] = json!(format!("{AUTH0_CLIENT_ID}@clients"));
    payload["gty"] = json!("client-credentials");
    let user = provider(&idp)
        .authenticate(&sign(payload))
        .await
        .expect("accepted");
    assert_eq!(user.sub(), format!("{AUTH0_CLIENT_ID}@clients"));
    assert!(Auth0Claims::from_user(&user).is_machine_to_machine());
}

#[test]
fn the_issuer_is_derived_from_the_domain_with_the_trailing_slash() {
    let auth0 = Auth0Provider::builder("acme.us.auth0.com")
        .audience("https://api.acme.com")
        .custom_domain("login.acme.com")
        .build()
        .expect("valid");
    assert_eq!(auth0.issuer(), "https://acme.us.auth0.com/");
    assert_eq!(
        auth0.verifier().issuers(),
        ["https://acme.us.auth0.com/", "https://login.acme.com/"]
    );
}

fn config_field(result: Result<Auth0Provider, tambo_auth::Error>) -> (String, String) {
    match result {
        Err(tambo_auth::Error::Configuration { field, reason }) => (field, reason),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn misconfigurations_name_the_field_and_the_fix() {
    let (field, reason) = config_field(Auth0Provider::builder("acme.us.auth0.com").build());
    assert_eq!(field, "audience");
    assert!(reason.contains("API identifier"), "{reason}");

    let (field, reason) = config_field(
        Auth0Provider::builder("acme.us.auth0.com")
            .audience("https://acme.us.auth0.com/userinfo")
            .build(),
    );
    assert_eq!(field, "audience");
    assert!(reason.contains("/userinfo"), "{reason}");

    let (field, reason) = config_field(
        Auth0Provider::builder("acme.us.auth0.com")
            .audience("https://api.acme.com")
            .algorithms([tambo_auth::Algorithm::HS256])
            .build(),
    );
    assert_eq!(field, "algorithms");
    assert!(reason.contains("switch the API to RS256"), "{reason}");

    let (field, _) = config_field(
        Auth0Provider::builder("https://acme.us.auth0.com/api/v2/")
            .audience("https://api.acme.com")
            .build(),
    );
    assert_eq!(field, "domain");

    let (field, _) = config_field(
        Auth0Provider::builder("acme.us.auth0.com")
            .audience("https://api.acme.com")
            .custom_domain("http://login.acme.com")
            .build(),
    );
    assert_eq!(field, "custom_domains");
}

#[test]
fn settings_deserialize_strictly_and_build() {
    let settings: Settings = serde_json::from_value(json!({
        "domain": "acme.us.auth0.com",
        "audience": "https://api.acme.com",
        "custom_domains": ["login.acme.com"],
        "algorithms": ["RS256", "PS256"],
    }))
    .expect("valid settings");
    let auth0 = settings.build(&ProviderOptions::default()).expect("builds");
    assert_eq!(auth0.verifier().issuers().len(), 2);

    let typo = serde_json::from_value::<Settings>(json!({
        "domain": "acme.us.auth0.com",
        "audiences": "https://api.acme.com",
    }));
    assert!(typo.is_err(), "unknown fields are refused");

    let settings: Settings = serde_json::from_value(json!({
        "domain": "acme.us.auth0.com",
        "audience": "https://api.acme.com",
        "algorithms": ["RS257"],
    }))
    .expect("shape is fine");
    let (field, _) = config_field(settings.build(&ProviderOptions::default()));
    assert_eq!(field, "algorithms");
}
