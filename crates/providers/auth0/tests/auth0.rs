//! The Auth0 adapter against the testkit IdP (discovery + JWKS on 127.0.0.1, issuer with
//! Auth0's trailing slash) and Auth0-shaped tokens.

use serde_json::{Value, json};
use tambo_auth::{ErrorKind, Provider, ProviderExt, ProviderRegistry};
use tambo_auth_auth0::{Auth0Claims, Auth0Provider, Auth0ProviderBuilder};
use tambo_auth_testkit::claims::{self, AUTH0_API_AUDIENCE, AUTH0_CLIENT_ID, now};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, assert_refused, fixtures};

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
    jws::token_with_header(key, &claims::auth0_header(key), &payload)
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

/// What an exchange may grant is the user's RBAC `permissions`, never the `scope` the
/// application asked for.
#[tokio::test]
async fn the_rbac_permissions_are_the_scopes_an_auth0_user_holds() {
    let idp = idp().await;
    let auth0 = provider(&idp);
    let mut payload = claims::auth0_access_token(&idp.issuer(), SUB, now());
    payload["scope"] = json!("openid read:threads write:threads");
    let user = auth0
        .authenticate(&sign(payload.clone()))
        .await
        .expect("accepted");
    assert_eq!(auth0.held_scopes(&user.claims()), ["read:threads"]);
    payload
        .as_object_mut()
        .expect("object")
        .remove("permissions");
    let user = auth0.authenticate(&sign(payload)).await.expect("accepted");
    assert!(auth0.held_scopes(&user.claims()).is_empty());
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

    let direct = auth0.authenticate(&jwe).await;
    let registry = ProviderRegistry::builder()
        .provider(provider(&idp))
        .build()
        .expect("registry");
    let routed = registry.authenticate(&jwe).await;

    for result in [direct, routed] {
        assert_refused!(
            result,
            ErrorKind::Encrypted,
            "without an audience",
            "authorizationParams: { audience }"
        );
    }
    assert_eq!(idp.discovery_requests(), 0);
}

#[tokio::test]
async fn an_opaque_access_token_is_explained() {
    let idp = idp().await;
    let opaque = provider(&idp)
        .authenticate("8qgVnSW3bLzMh2mQ4fXr0tYk")
        .await;
    assert_refused!(opaque, ErrorKind::Opaque, "/userinfo", "`audience`");
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
        let result = auth0.authenticate(&sign(payload)).await;
        assert_refused!(result, ErrorKind::AudienceMismatch);
    }
}

#[tokio::test]
async fn an_issuer_without_the_trailing_slash_is_not_auth0s_issuer() {
    let idp = idp().await;
    let issuer = idp.issuer();
    let payload = claims::auth0_access_token(issuer.trim_end_matches('/'), SUB, now());
    let result = provider(&idp).authenticate(&sign(payload)).await;
    assert_refused!(result, ErrorKind::IssuerMismatch);
}

#[tokio::test]
async fn an_hs256_token_is_refused_before_any_key_lookup() {
    let idp = idp().await;
    let payload = claims::auth0_access_token(&idp.issuer(), SUB, now());
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let token = jws::hmac_token(b"an-auth0-client-secret-of-32-bytes!!", &header, &payload);
    let result = provider(&idp).authenticate(&token).await;
    assert_refused!(result, ErrorKind::AlgorithmNotAllowed);
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

#[test]
fn misconfigurations_name_the_field_and_the_fix() {
    let tenant = || Auth0Provider::builder("acme.us.auth0.com");
    let api = || tenant().audience("https://api.acme.com");
    for (builder, field, texts) in [
        (tenant(), "audience", &["API identifier"][..]),
        (
            tenant().audience("https://acme.us.auth0.com/userinfo"),
            "audience",
            &["/userinfo"],
        ),
        (
            api().algorithms([tambo_auth::Algorithm::HS256]),
            "algorithms",
            &["switch the API to RS256"],
        ),
        (
            Auth0Provider::builder("https://acme.us.auth0.com/api/v2/")
                .audience("https://api.acme.com"),
            "domain",
            &[],
        ),
        (
            api().custom_domain("http://login.acme.com"),
            "custom_domains",
            &[],
        ),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, texts);
    }
}

#[test]
fn the_builder_deserializes_strictly_and_builds() {
    let minimal: Auth0ProviderBuilder = serde_json::from_value(json!({
        "domain": "acme.us.auth0.com",
        "audience": "https://api.acme.com",
    }))
    .expect("valid settings");
    let coded = Auth0Provider::builder("acme.us.auth0.com").audience("https://api.acme.com");
    assert_eq!(format!("{minimal:?}"), format!("{coded:?}"));

    let settings: Auth0ProviderBuilder = serde_json::from_value(json!({
        "domain": "acme.us.auth0.com",
        "audience": "https://api.acme.com",
        "custom_domains": ["login.acme.com"],
        "algorithms": ["RS256", "PS256"],
    }))
    .expect("valid settings");
    let auth0 = settings.build().expect("builds");
    assert_eq!(auth0.verifier().issuers().len(), 2);

    let typo = serde_json::from_value::<Auth0ProviderBuilder>(json!({
        "domain": "acme.us.auth0.com",
        "audiences": "https://api.acme.com",
    }));
    assert!(typo.is_err(), "unknown fields are refused");

    for (settings, field) in [
        (
            json!({"domain": "acme.us.auth0.com", "audience": "https://api.acme.com", "algorithms": ["RS257"]}),
            "algorithms",
        ),
        (json!({"domain": "acme.us.auth0.com"}), "audience"),
    ] {
        let settings: Auth0ProviderBuilder =
            serde_json::from_value(settings).expect("shape is fine");
        let named = format!("invalid configuration `{field}`:");
        assert_refused!(settings.build(), ErrorKind::Configuration, &named);
    }
}
