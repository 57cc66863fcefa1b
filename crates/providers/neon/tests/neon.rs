//! The Neon adapter's three setups against the testkit's key sets, with realistic tokens.

use serde_json::{Value, json};
use tambo_auth::{Algorithm, ErrorKind, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_neon::{NeonClaims, NeonMode, NeonProvider, NeonProviderBuilder};
use tambo_auth_testkit::claims::{
    GOOGLE_CLIENT_ID, better_auth_header, google_header, google_id_token, neon_auth_jwt, now,
};
use tambo_auth_testkit::jws::{self, jwe_like};
use tambo_auth_testkit::refusal::assert_mentions;
use tambo_auth_testkit::{TestIdp, TestKey, assert_refused, fixtures};

const USER: &str = "860dc360-609f-4b7d-9e70-ec93fe6414d3";
const STACK_PROJECT: &str = "0b1c7a4e-3f2d-4e8a-9c5b-6d7e8f9a0b1c";
const JWKS_PATH: &str = "/neondb/auth/.well-known/jwks.json";

/// The adapter in one of its setups, allowed to fetch keys from the IdP on 127.0.0.1.
fn build(setup: NeonProviderBuilder) -> NeonProvider {
    setup
        .options(ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds")
}

fn neon_token(claims: &Value) -> String {
    let ed = &fixtures().ed;
    jws::token_with_header(ed, &better_auth_header(ed), claims)
}

async fn neon_auth_idp(keys: Vec<TestKey>) -> TestIdp {
    TestIdp::builder()
        .keys(keys)
        .jwks_path(JWKS_PATH)
        .discovery(false)
        .start()
        .await
}

fn neon_auth(idp: &TestIdp) -> NeonProvider {
    let jwks_url = format!("{}{JWKS_PATH}", idp.base_url());
    build(NeonProvider::neon_auth(idp.issuer(), jwks_url))
}

/// Asserts that `setup` does not build, naming `field` and saying each of `texts`.
fn assert_config_error(setup: NeonProviderBuilder, field: &str, texts: &[&str]) {
    let named = format!("invalid configuration `{field}`:");
    let err = assert_refused!(setup.build(), ErrorKind::Configuration, &named);
    assert_mentions(&err, texts);
}

// Neon Auth (managed Better Auth)

#[tokio::test]
async fn a_neon_auth_token_is_accepted_and_mapped() {
    let idp = neon_auth_idp(vec![fixtures().ed.clone()]).await;
    let neon = neon_auth(&idp);

    let user = neon
        .authenticate(&neon_token(&neon_auth_jwt(&idp.issuer(), USER, now())))
        .await
        .expect("accepted");

    assert_eq!(neon.mode(), NeonMode::NeonAuth);
    assert_eq!(user.provider(), "neon");
    assert_eq!(user.sub(), USER);
    assert_eq!(user.tenant(), None);
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:{USER}", idp.port())
    );
    let typed = NeonClaims::from_user(&user);
    assert_eq!(typed.email.as_deref(), Some("ada@example.com"));
    assert_eq!(typed.email_verified, Some(false));
    assert_eq!(typed.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(typed.role.as_deref(), Some("authenticated"));
    assert_eq!(typed.banned, Some(false));
    assert_eq!(typed.organization, None);
}

#[tokio::test]
async fn the_active_organization_is_read_but_does_not_split_the_user() {
    let idp = neon_auth_idp(vec![fixtures().ed.clone()]).await;
    let neon = neon_auth(&idp);
    let mut claims = neon_auth_jwt(&idp.issuer(), USER, now());
    claims["o"] = json!({"id": "org_7Yc2", "slug": "acme", "role": "owner"});

    let user = neon
        .authenticate(&neon_token(&claims))
        .await
        .expect("accepted");

    let org = NeonClaims::from_user(&user)
        .organization
        .expect("organization");
    assert_eq!(
        (org.id.as_str(), org.slug.as_deref(), org.role.as_deref()),
        ("org_7Yc2", Some("acme"), Some("owner"))
    );
    assert_eq!(user.tenant(), None);
}

#[tokio::test]
async fn neon_auth_accepts_eddsa_only() {
    let idp = neon_auth_idp(vec![fixtures().ed.clone(), fixtures().rsa.clone()]).await;
    let neon = neon_auth(&idp);
    let rsa = &fixtures().rsa;
    let token = jws::token_with_header(
        rsa,
        &json!({"alg": "RS256", "kid": rsa.kid()}),
        &neon_auth_jwt(&idp.issuer(), USER, now()),
    );

    let result = neon.authenticate(&token).await;

    assert_refused!(result, ErrorKind::AlgorithmNotAllowed);
}

#[tokio::test]
async fn another_audience_than_the_issuer_and_banned_users_are_refused() {
    let idp = neon_auth_idp(vec![fixtures().ed.clone()]).await;
    let neon = neon_auth(&idp);
    let mut other_audience = neon_auth_jwt(&idp.issuer(), USER, now());
    other_audience["aud"] = json!("https://other-app.example");
    let mut banned = neon_auth_jwt(&idp.issuer(), USER, now());
    banned["banned"] = json!(true);

    for (claims, kind, texts) in [
        (other_audience, ErrorKind::AudienceMismatch, &[][..]),
        (banned, ErrorKind::ClaimRejected, &["banned"]),
    ] {
        let result = neon.authenticate(&neon_token(&claims)).await;
        assert_mentions(&assert_refused!(result, kind), texts);
    }
}

#[tokio::test]
async fn the_neon_auth_session_token_is_refused_with_the_token_to_send() {
    let idp = neon_auth_idp(vec![fixtures().ed.clone()]).await;
    let neon = neon_auth(&idp);

    let result = neon.authenticate("Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ").await;

    assert_refused!(result, ErrorKind::Opaque, "authClient.token()");
}

#[test]
fn neon_auth_misconfigurations_name_the_field() {
    let host = "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech";
    let jwks = format!("{host}/neondb/auth/.well-known/jwks.json");

    let with_path = NeonProvider::neon_auth(format!("{host}/neondb/auth"), &jwks);
    assert_config_error(with_path, "issuer", &[&format!("use `{host}`")]);
    let with_slash = NeonProvider::neon_auth(format!("{host}/"), &jwks);
    assert_config_error(with_slash, "issuer", &[]);
    let other_branch = "https://ep-dry-lake-e5f6g7h8.neonauth.us-east-2.aws.neon.tech/neondb/auth/.well-known/jwks.json";
    let mismatched = NeonProvider::neon_auth(host, other_branch);
    assert_config_error(mismatched, "jwks_url", &["branch"]);
    let stack_option = NeonProvider::neon_auth(host, &jwks).base_url(host);
    assert_config_error(stack_option, "base_url", &[]);

    let neon = NeonProvider::neon_auth(host, &jwks)
        .build()
        .expect("builds");
    let verifier = neon.verifier();
    assert_eq!(verifier.strategy(), StrategyKind::Jwks);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::EdDSA]
    );
    assert_eq!(verifier.policy().audiences(), [host]);
}

// Legacy Neon Auth (Stack Auth)

fn stack_claims(issuer: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "aud": STACK_PROJECT,
        "sub": USER,
        "iat": now,
        "exp": now + 600,
        "project_id": STACK_PROJECT,
        "branch_id": "main",
        "refresh_token_id": "5f0c1e2d-8a9b-4c3d-a1e2-f3a4b5c6d7e8",
        "role": "authenticated",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "email_verified": true,
        "selected_team_id": "team-3c2b1a",
        "is_anonymous": false,
    })
}

fn stack_token(claims: &Value) -> String {
    let ec = &fixtures().ec;
    jws::token_with_header(ec, &json!({"alg": "ES256", "kid": ec.kid()}), claims)
}

async fn stack_idp() -> TestIdp {
    TestIdp::builder()
        .issuer_path(format!("/api/v1/projects/{STACK_PROJECT}"))
        .keys(vec![fixtures().ec.clone()])
        .discovery(false)
        .start()
        .await
}

fn stack_auth(idp: &TestIdp) -> NeonProvider {
    build(NeonProvider::stack_auth(STACK_PROJECT).base_url(idp.base_url()))
}

#[tokio::test]
async fn a_stack_auth_token_is_accepted_and_mapped() {
    let idp = stack_idp().await;
    let neon = stack_auth(&idp);

    let user = neon
        .authenticate(&stack_token(&stack_claims(&idp.issuer(), now())))
        .await
        .expect("accepted");

    assert_eq!(neon.mode(), NeonMode::StackAuth);
    assert_eq!(user.sub(), USER);
    assert_eq!(
        user.context_key().as_str(),
        format!(
            "oauth:user:127.0.0.1%3A{}/api/v1/projects/{STACK_PROJECT}:{USER}",
            idp.port()
        )
    );
    let typed = NeonClaims::from_user(&user);
    assert_eq!(typed.email_verified, Some(true));
    assert_eq!(typed.selected_team_id.as_deref(), Some("team-3c2b1a"));
}

#[tokio::test]
async fn stack_auth_anonymous_users_are_refused() {
    let idp = stack_idp().await;
    let neon = stack_auth(&idp);
    let mut claims = stack_claims(&idp.issuer(), now());
    claims["is_anonymous"] = json!(true);
    let result = neon.authenticate(&stack_token(&claims)).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "anonymous");

    // Stack Auth issues anonymous users' tokens from another issuer and audience.
    claims["iss"] = json!(format!(
        "{}/api/v1/projects-anonymous-users/{STACK_PROJECT}",
        idp.base_url()
    ));
    claims["aud"] = json!(format!("{STACK_PROJECT}:anon"));
    let result = neon.authenticate(&stack_token(&claims)).await;
    assert_refused!(result, ErrorKind::IssuerMismatch);
}

#[test]
fn stack_auth_defaults_are_the_stack_api_es256_and_the_project_audience() {
    let neon = NeonProvider::stack_auth(STACK_PROJECT)
        .build()
        .expect("builds");
    let verifier = neon.verifier();
    assert_eq!(
        verifier.issuer(),
        format!("https://api.stack-auth.com/api/v1/projects/{STACK_PROJECT}")
    );
    assert_eq!(verifier.strategy(), StrategyKind::Jwks);
    assert_eq!(
        verifier.algorithms().iter().collect::<Vec<_>>(),
        [Algorithm::ES256]
    );
    assert_eq!(verifier.policy().audiences(), [STACK_PROJECT]);

    let url_as_project = NeonProvider::stack_auth(format!(
        "https://api.stack-auth.com/api/v1/projects/{STACK_PROJECT}"
    ));
    assert_config_error(url_as_project, "project_id", &[]);
}

// Tambo's Neon guide: Auth.js + Neon PostgreSQL + Google

fn authjs(idp: &TestIdp) -> NeonProvider {
    build(NeonProvider::authjs_google(GOOGLE_CLIENT_ID).base_url(idp.issuer()))
}

fn google_token(claims: &Value) -> String {
    let rsa = &fixtures().rsa;
    jws::token_with_header(rsa, &google_header(rsa), claims)
}

#[tokio::test]
async fn the_authjs_setup_accepts_the_google_id_token() {
    let idp = TestIdp::start().await;
    let neon = authjs(&idp);
    let sub = "108234567890123456789";
    let modern = google_id_token(&idp.issuer(), sub, now());
    let mut legacy = modern.clone();
    legacy["iss"] = json!("accounts.google.com");

    let user = neon
        .authenticate(&google_token(&modern))
        .await
        .expect("accepted");
    let again = neon
        .authenticate(&google_token(&legacy))
        .await
        .expect("legacy");

    assert_eq!(neon.mode(), NeonMode::AuthJsGoogle);
    assert_eq!(user.provider(), "neon");
    assert_eq!(user.tenant(), Some("acme.example"));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}:acme.example:{sub}", idp.port())
    );
    assert_eq!(again.context_key(), user.context_key());
}

#[tokio::test]
async fn the_guides_google_access_token_is_refused_with_the_token_to_send() {
    let idp = TestIdp::start().await;
    let neon = authjs(&idp);

    let access_token = neon
        .authenticate("ya29.a0AfB_byC7xQ2mNexampleOpaqueAccessToken0163")
        .await;
    assert_refused!(
        access_token,
        ErrorKind::Opaque,
        "Tambo's Neon guide",
        "account.id_token"
    );

    let cookie = jwe_like(&json!({"alg": "dir", "enc": "A256CBC-HS512"}));
    let result = neon.authenticate(&cookie).await;
    assert_refused!(result, ErrorKind::Encrypted, "account.id_token");
}

// The builder deserialized from a configuration table

#[tokio::test]
async fn the_deserialized_builder_builds_each_mode() {
    let parse = |value: Value| serde_json::from_value::<NeonProviderBuilder>(value);

    let idp = neon_auth_idp(vec![fixtures().ed.clone()]).await;
    let settings = parse(json!({
        "mode": "neon-auth",
        "issuer": idp.issuer(),
        "jwks_url": format!("{}{JWKS_PATH}", idp.base_url()),
    }))
    .expect("deserializes");
    build(settings)
        .authenticate(&neon_token(&neon_auth_jwt(&idp.issuer(), USER, now())))
        .await
        .expect("accepted");

    let stack = stack_idp().await;
    let settings = parse(json!({
        "mode": "stack-auth",
        "project_id": STACK_PROJECT,
        "base_url": stack.base_url(),
    }))
    .expect("deserializes");
    build(settings)
        .authenticate(&stack_token(&stack_claims(&stack.issuer(), now())))
        .await
        .expect("accepted");

    let google = TestIdp::start().await;
    let settings = parse(json!({
        "mode": "authjs-google",
        "client_ids": [GOOGLE_CLIENT_ID],
        "hosted_domains": ["acme.example"],
        "issuer": google.issuer(),
    }))
    .expect("deserializes");
    let neon = build(settings);
    assert_eq!(neon.mode(), NeonMode::AuthJsGoogle);
    neon.authenticate(&google_token(&google_id_token(
        &google.issuer(),
        "1",
        now(),
    )))
    .await
    .expect("accepted");
}

#[test]
fn the_builder_deserializes_strictly_with_the_constructors_defaults() {
    let parse = |value: Value| serde_json::from_value::<NeonProviderBuilder>(value);
    let debug = |builder: &NeonProviderBuilder| format!("{builder:?}");
    for (table, coded) in [
        (
            json!({"mode": "stack-auth", "project_id": STACK_PROJECT}),
            NeonProvider::stack_auth(STACK_PROJECT),
        ),
        (
            json!({"mode": "authjs-google", "client_ids": [GOOGLE_CLIENT_ID]}),
            NeonProvider::authjs_google(GOOGLE_CLIENT_ID),
        ),
        (
            json!({"mode": "neon-auth", "issuer": "https://a.example", "jwks_url": "https://a.example/j"}),
            NeonProvider::neon_auth("https://a.example", "https://a.example/j"),
        ),
    ] {
        let parsed = parse(table).expect("deserializes");
        assert_eq!(debug(&parsed), debug(&coded));
    }
    assert!(
        parse(json!({"issuer": "https://a.example", "jwks_url": "https://a.example/j"})).is_err()
    );
    assert!(
        parse(json!({"mode": "neon-auth", "issuer": "https://a.example", "jwks_url": "https://a.example/j", "audience": "x"}))
            .is_err()
    );
    assert!(
        parse(json!({"mode": "neon-auth", "issuer": "https://a.example", "jwks_url": "https://a.example/j", "base_url": "https://b.example"}))
            .is_err()
    );
    assert!(
        parse(json!({"mode": "authjs-google", "client_ids": ["x"], "project_id": "y"})).is_err()
    );
}
