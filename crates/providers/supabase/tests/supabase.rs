//! The Supabase adapter against the testkit IdP serving a project's JWKS under `/auth/v1`.

use serde_json::{Value, json};
use tambo_auth::verify::Secret;
use tambo_auth::{ErrorKind, Profile, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_supabase::{SupabaseClaims, SupabaseProvider, SupabaseProviderBuilder};
use tambo_auth_testkit::claims::{
    SUPABASE_PROJECT_REF, now, supabase_access_token, supabase_anonymous_token, supabase_header,
    supabase_legacy_anon_key,
};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{TestIdp, TestKey, assert_refused, fixtures, jws};

const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const LEGACY_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
const PROJECT_URL: &str = "https://abcdefghijklmnopqrst.supabase.co";
const PROJECT_ISSUER: &str = "https://abcdefghijklmnopqrst.supabase.co/auth/v1";

async fn project(key: &TestKey) -> TestIdp {
    TestIdp::builder()
        .issuer_path("/auth/v1")
        .keys(vec![key.clone()])
        .start()
        .await
}

fn builder(idp: &TestIdp) -> SupabaseProviderBuilder {
    SupabaseProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
}

fn provider(idp: &TestIdp) -> SupabaseProvider {
    builder(idp).build().expect("builds")
}

fn sign(key: &TestKey, payload: &Value) -> String {
    jws::token_with_header(key, &supabase_header(key), payload)
}

/// A token tagged with the project's legacy JWT secret (HS256, like the anon key).
fn legacy_token(payload: &Value, header: &Value) -> String {
    jws::hmac_token(LEGACY_SECRET.as_bytes(), header, payload)
}

#[tokio::test]
async fn an_es256_access_token_maps_to_the_user_with_typed_claims() {
    let key = &fixtures().ec;
    let idp = project(key).await;
    let supabase = provider(&idp);
    let token = idp.token(&supabase_access_token(&idp.issuer(), USER, now()));

    let user = supabase.authenticate(&token).await.expect("accepted");
    assert_eq!(user.sub(), USER);
    assert_eq!(user.provider(), "supabase");
    // What an exchange may grant: the role.
    assert_eq!(supabase.held_scopes(&user.claims()), ["authenticated"]);
    assert_eq!(user.tenant(), None);
    assert_eq!(user.email(), Some("ada@example.com"));
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{}/auth/v1:{USER}", idp.port())
    );

    let claims = SupabaseClaims::from_user(&user).expect("Supabase's shape");
    assert_eq!(claims.role, "authenticated");
    assert_eq!(claims.aal.as_deref(), Some("aal1"));
    assert_eq!(claims.amr[0].method, "password");
    assert_eq!(claims.phone, None);
    assert!(!claims.is_anonymous);
    assert_eq!(claims.session_id.as_deref().map(str::len), Some(36));
    assert_eq!(claims.app_metadata["provider"], "email");
    assert_eq!(claims.user_metadata["email_verified"], true);
}

#[tokio::test]
async fn an_rs256_signing_key_is_accepted_too() {
    let key = &fixtures().rsa;
    let idp = project(key).await;
    let token = sign(key, &supabase_access_token(&idp.issuer(), USER, now()));
    let user = provider(&idp).authenticate(&token).await.expect("accepted");
    assert_eq!(user.sub(), USER);
}

#[tokio::test]
async fn anonymous_users_are_users_unless_refused() {
    let key = &fixtures().ec;
    let idp = project(key).await;
    let token = idp.token(&supabase_anonymous_token(&idp.issuer(), USER, now()));

    let user = provider(&idp).authenticate(&token).await.expect("a user");
    let claims = SupabaseClaims::from_user(&user).expect("Supabase's shape");
    assert!(claims.is_anonymous);
    assert_eq!(claims.email, None);

    let strict = builder(&idp)
        .allow_anonymous(false)
        .build()
        .expect("builds");
    let result = strict.authenticate(&token).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "anonymous");
}

#[tokio::test]
async fn the_legacy_anon_and_service_role_keys_are_refused_with_the_token_to_send() {
    let idp = project(&fixtures().ec).await;
    let supabase = provider(&idp);
    let header = json!({"alg": "HS256", "typ": "JWT"});

    let anon = legacy_token(&supabase_legacy_anon_key(now()), &header);
    let result = supabase.authenticate(&anon).await;
    assert_refused!(
        result,
        ErrorKind::ClaimRejected,
        "anon key",
        "session.access_token"
    );

    let mut service = supabase_legacy_anon_key(now());
    service["role"] = json!("service_role");
    let result = supabase
        .authenticate(&legacy_token(&service, &header))
        .await;
    assert_refused!(result, ErrorKind::ClaimRejected, "service_role key");
    assert_eq!(idp.jwks_requests(), 0, "refused before any key lookup");
}

#[tokio::test]
async fn a_signed_token_with_another_role_is_refused() {
    let key = &fixtures().ec;
    let idp = project(key).await;
    let mut payload = supabase_access_token(&idp.issuer(), USER, now());
    payload["role"] = json!("supabase_admin");
    let result = provider(&idp).authenticate(&idp.token(&payload)).await;
    assert_refused!(result, ErrorKind::ClaimRejected, "`supabase_admin`");
}

#[tokio::test]
async fn a_legacy_hs256_user_token_is_never_downgraded_to_the_secret() {
    let idp = project(&fixtures().ec).await;
    // Legacy tokens may name a `kid` the JWKS never lists.
    let token = legacy_token(
        &supabase_access_token(&idp.issuer(), USER, now()),
        &json!({"alg": "HS256", "kid": "kVh1bS7xq0Yw3bLz", "typ": "JWT"}),
    );
    let result = provider(&idp).authenticate(&token).await;
    assert_refused!(result, ErrorKind::AlgorithmNotAllowed, "legacy_jwt_secret");
    assert_eq!(idp.jwks_requests(), 0);
}

#[tokio::test]
async fn the_legacy_jwt_secret_verifies_hs256_and_nothing_else() {
    let supabase = SupabaseProvider::builder(SUPABASE_PROJECT_REF)
        .legacy_jwt_secret(Secret::from_utf8(LEGACY_SECRET))
        .build()
        .expect("builds");
    assert_eq!(supabase.verifier().issuer(), PROJECT_ISSUER);
    assert_eq!(supabase.verifier().strategy(), StrategyKind::Symmetric);

    let token = legacy_token(
        &supabase_access_token(PROJECT_ISSUER, USER, now()),
        &json!({"alg": "HS256", "kid": "kVh1bS7xq0Yw3bLz", "typ": "JWT"}),
    );
    let user = supabase.authenticate(&token).await.expect("accepted");
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:abcdefghijklmnopqrst.supabase.co/auth/v1:{USER}")
    );

    let by_host = SupabaseProvider::builder(SUPABASE_PROJECT_REF)
        .legacy_jwt_secret(Secret::from_utf8(LEGACY_SECRET))
        .namespace_by_host(true)
        .build()
        .expect("builds");
    assert_eq!(
        by_host
            .authenticate(&token)
            .await
            .expect("accepted")
            .context_key()
            .as_str(),
        format!("oauth:user:abcdefghijklmnopqrst.supabase.co:{USER}"),
        "Tambo's key for the same user"
    );

    let payload = supabase_access_token(PROJECT_ISSUER, USER, now());
    let es256 = sign(&fixtures().ec, &payload);
    let forged = jws::hmac_token(
        b"another-projects-secret-of-32-bytes-or-more",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &payload,
    );
    for (token, kind) in [
        (es256, ErrorKind::AlgorithmNotAllowed),
        (forged, ErrorKind::InvalidSignature),
    ] {
        assert_refused!(supabase.authenticate(&token).await, kind);
    }
}

#[tokio::test]
async fn another_projects_tokens_and_other_audiences_are_refused() {
    let key = &fixtures().ec;
    let idp = project(key).await;
    let supabase = provider(&idp);

    let other_project = supabase_access_token(PROJECT_ISSUER, USER, now());
    let mut other_audience = supabase_access_token(&idp.issuer(), USER, now());
    other_audience["aud"] = json!("https://some-other-api.example");
    let expired = supabase_access_token(&idp.issuer(), USER, now() - 7200);
    for (payload, kind) in [
        (other_project, ErrorKind::IssuerMismatch),
        (other_audience, ErrorKind::AudienceMismatch),
        (expired, ErrorKind::Expired),
    ] {
        assert_refused!(supabase.authenticate(&sign(key, &payload)).await, kind);
    }
}

#[tokio::test]
async fn publishable_and_secret_keys_are_explained() {
    let idp = project(&fixtures().ec).await;
    let supabase = provider(&idp);
    for key in [
        "sb_publishable_3kQ9vX2mT8pL5nR7wB1cY4dF6gH0jK",
        "sb_secret_Zx8cV7bN6mQ5wE4rT3yU2iO1pA0sDf",
    ] {
        let result = supabase.authenticate(key).await;
        assert_refused!(result, ErrorKind::Opaque, "session.access_token");
    }
}

#[tokio::test]
async fn no_verification_runs_only_in_development_and_still_checks_the_role() {
    // Production refuses it.
    let production = SupabaseProvider::builder(PROJECT_URL)
        .insecure_no_verification()
        .build();
    assert_refused!(production, ErrorKind::Configuration);

    let supabase = SupabaseProvider::builder(PROJECT_URL)
        .insecure_no_verification()
        .options(ProviderOptions::default().profile(Profile::Development))
        .build()
        .expect("development permits it");
    assert_eq!(supabase.verifier().strategy(), StrategyKind::None);
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let unchecked = legacy_token(&supabase_access_token(PROJECT_ISSUER, USER, now()), &header);
    assert_eq!(
        supabase.authenticate(&unchecked).await.expect("dev").sub(),
        USER
    );
    let anon = legacy_token(&supabase_legacy_anon_key(now()), &header);
    assert_refused!(supabase.authenticate(&anon).await, ErrorKind::ClaimRejected);
}

#[test]
fn configuration_errors_name_the_field() {
    let project = || SupabaseProvider::builder(PROJECT_URL);
    let legacy = || project().legacy_jwt_secret(Secret::from_utf8(LEGACY_SECRET));
    for (builder, field) in [
        (SupabaseProvider::builder("not a project"), "project_url"),
        (
            project().legacy_jwt_secret(Secret::from_utf8("short")),
            "legacy_jwt_secret",
        ),
        (legacy().jwks_url("https://x.example/jwks"), "jwks_url"),
    ] {
        let error = assert_refused!(builder.build(), ErrorKind::Configuration);
        assert_names_field(&error, field, &[]);
    }
}

#[test]
fn the_issuer_comes_from_the_project_url_or_ref() {
    for project in [
        PROJECT_URL,
        "https://abcdefghijklmnopqrst.supabase.co/",
        PROJECT_ISSUER,
        SUPABASE_PROJECT_REF,
    ] {
        let supabase = SupabaseProvider::builder(project).build().expect("builds");
        assert_eq!(supabase.verifier().issuer(), PROJECT_ISSUER, "{project}");
        assert_eq!(supabase.verifier().strategy(), StrategyKind::Jwks);
    }
}

#[test]
fn the_builder_deserializes_strictly_and_builds() {
    let parse = |value: Value| serde_json::from_value::<SupabaseProviderBuilder>(value);
    let minimal = parse(json!({"project_url": PROJECT_URL})).expect("valid settings");
    let coded = SupabaseProvider::builder(PROJECT_URL);
    assert_eq!(format!("{minimal:?}"), format!("{coded:?}"));

    let settings = parse(json!({
        "project_url": PROJECT_URL,
        "allow_anonymous": false,
    }))
    .expect("valid settings");
    let supabase = settings.build().expect("builds");
    assert_eq!(supabase.verifier().issuer(), PROJECT_ISSUER);

    let unknown = parse(json!({
        "project_url": PROJECT_URL,
        "jwt_secret": "x",
    }));
    assert!(unknown.is_err());

    let unset = "TAMBO_AUTH_SUPABASE_TEST_UNSET_VARIABLE";
    for (settings, field) in [
        (
            json!({"project_url": PROJECT_URL, "legacy_jwt_secret_env": unset}),
            "legacy_jwt_secret_env",
        ),
        (
            json!({"project_url": PROJECT_URL, "legacy_jwt_secret_env": unset, "insecure_no_verification": true}),
            "insecure_no_verification",
        ),
    ] {
        let settings = parse(settings).expect("valid shape");
        let named = format!("invalid configuration `{field}`:");
        assert_refused!(settings.build(), ErrorKind::Configuration, &named);
    }

    let dev = parse(json!({
        "project_url": PROJECT_URL,
        "insecure_no_verification": true,
    }))
    .expect("valid settings");
    let options = ProviderOptions::default().profile(Profile::Development);
    assert_eq!(
        dev.options(options)
            .build()
            .expect("builds")
            .verifier()
            .strategy(),
        StrategyKind::None
    );
}
