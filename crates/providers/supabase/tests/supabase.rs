//! The Supabase adapter against the testkit IdP serving a project's JWKS under `/auth/v1`.

use serde_json::json;
use tambo_auth::verify::Secret;
use tambo_auth::{ErrorKind, Profile, Provider, ProviderExt, ProviderOptions, StrategyKind};
use tambo_auth_supabase::{Settings, SupabaseClaims, SupabaseProvider};
use tambo_auth_testkit::claims::{
    SUPABASE_PROJECT_REF, now, supabase_access_token, supabase_anonymous_token, supabase_header,
    supabase_legacy_anon_key,
};
use tambo_auth_testkit::{JwsBuilder, TestIdp, TestKey, fixtures};

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

fn provider(idp: &TestIdp) -> SupabaseProvider {
    SupabaseProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds")
}

fn sign(key: &TestKey, payload: serde_json::Value) -> String {
    JwsBuilder::new()
        .header(supabase_header(key))
        .payload(payload)
        .sign(key, key.default_alg())
}

fn legacy_token(payload: serde_json::Value, header: serde_json::Value) -> String {
    JwsBuilder::new()
        .header(header)
        .payload(payload)
        .sign_hmac(LEGACY_SECRET.as_bytes(), "HS256")
}

fn rejected_reason(err: &tambo_auth::Error) -> String {
    assert_eq!(err.kind(), ErrorKind::ClaimRejected, "{err}");
    err.to_string()
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
    let token = sign(key, supabase_access_token(&idp.issuer(), USER, now()));
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

    let strict = SupabaseProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .allow_anonymous(false)
        .build()
        .expect("builds");
    let err = strict.authenticate(&token).await.expect_err("refused");
    assert!(rejected_reason(&err).contains("anonymous"), "{err}");
}

#[tokio::test]
async fn the_legacy_anon_and_service_role_keys_are_refused_with_the_token_to_send() {
    let idp = project(&fixtures().ec).await;
    let supabase = provider(&idp);
    let header = json!({"alg": "HS256", "typ": "JWT"});

    let anon = legacy_token(supabase_legacy_anon_key(now()), header.clone());
    let err = supabase.authenticate(&anon).await.expect_err("refused");
    let reason = rejected_reason(&err);
    assert!(reason.contains("anon key"), "{reason}");
    assert!(reason.contains("session.access_token"), "{reason}");

    let mut service = supabase_legacy_anon_key(now());
    service["role"] = json!("service_role");
    let err = supabase
        .authenticate(&legacy_token(service, header))
        .await
        .expect_err("refused");
    assert!(rejected_reason(&err).contains("service_role key"), "{err}");
    assert_eq!(idp.jwks_requests(), 0, "refused before any key lookup");
}

#[tokio::test]
async fn a_signed_token_with_another_role_is_refused() {
    let key = &fixtures().ec;
    let idp = project(key).await;
    let mut payload = supabase_access_token(&idp.issuer(), USER, now());
    payload["role"] = json!("supabase_admin");
    let err = provider(&idp)
        .authenticate(&idp.token(&payload))
        .await
        .expect_err("refused");
    assert!(rejected_reason(&err).contains("`supabase_admin`"), "{err}");
}

#[tokio::test]
async fn a_legacy_hs256_user_token_is_never_downgraded_to_the_secret() {
    let idp = project(&fixtures().ec).await;
    // Legacy tokens may name a `kid` the JWKS never lists.
    let token = legacy_token(
        supabase_access_token(&idp.issuer(), USER, now()),
        json!({"alg": "HS256", "kid": "kVh1bS7xq0Yw3bLz", "typ": "JWT"}),
    );
    let err = provider(&idp)
        .authenticate(&token)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);
    assert!(err.to_string().contains("legacy_jwt_secret"), "{err}");
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
        supabase_access_token(PROJECT_ISSUER, USER, now()),
        json!({"alg": "HS256", "kid": "kVh1bS7xq0Yw3bLz", "typ": "JWT"}),
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

    let key = &fixtures().ec;
    let es256 = sign(key, supabase_access_token(PROJECT_ISSUER, USER, now()));
    let err = supabase.authenticate(&es256).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed);

    let forged = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(supabase_access_token(PROJECT_ISSUER, USER, now()))
        .sign_hmac(b"another-projects-secret-of-32-bytes-or-more", "HS256");
    let err = supabase.authenticate(&forged).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[tokio::test]
async fn another_projects_tokens_and_other_audiences_are_refused() {
    let key = &fixtures().ec;
    let idp = project(key).await;
    let supabase = provider(&idp);

    let other = sign(key, supabase_access_token(PROJECT_ISSUER, USER, now()));
    let err = supabase.authenticate(&other).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::IssuerMismatch);

    let mut payload = supabase_access_token(&idp.issuer(), USER, now());
    payload["aud"] = json!("https://some-other-api.example");
    let err = supabase
        .authenticate(&idp.token(&payload))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::AudienceMismatch);

    let expired = supabase_access_token(&idp.issuer(), USER, now() - 7200);
    let err = supabase
        .authenticate(&idp.token(&expired))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Expired);
}

#[tokio::test]
async fn publishable_and_secret_keys_are_explained() {
    let idp = project(&fixtures().ec).await;
    let supabase = provider(&idp);
    for key in [
        "sb_publishable_3kQ9vX2mT8pL5nR7wB1cY4dF6gH0jK",
        "sb_secret_Zx8cV7bN6mQ5wE4rT3yU2iO1pA0sDf",
    ] {
        let err = supabase.authenticate(key).await.expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Opaque);
        assert!(err.to_string().contains("session.access_token"), "{err}");
    }
}

#[tokio::test]
async fn no_verification_runs_only_in_development_and_still_checks_the_role() {
    let err = SupabaseProvider::builder(PROJECT_URL)
        .insecure_no_verification()
        .build()
        .expect_err("production refuses it");
    assert_eq!(err.kind(), ErrorKind::Configuration);

    let supabase = SupabaseProvider::builder(PROJECT_URL)
        .insecure_no_verification()
        .options(ProviderOptions::default().profile(Profile::Development))
        .build()
        .expect("development permits it");
    assert_eq!(supabase.verifier().strategy(), StrategyKind::None);
    let unchecked = legacy_token(
        supabase_access_token(PROJECT_ISSUER, USER, now()),
        json!({"alg": "HS256", "typ": "JWT"}),
    );
    assert_eq!(
        supabase.authenticate(&unchecked).await.expect("dev").sub(),
        USER
    );
    let anon = legacy_token(
        supabase_legacy_anon_key(now()),
        json!({"alg": "HS256", "typ": "JWT"}),
    );
    let err = supabase.authenticate(&anon).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ClaimRejected);
}

#[test]
fn configuration_errors_name_the_field() {
    let field = |result: Result<SupabaseProvider, tambo_auth::Error>| match result {
        Err(tambo_auth::Error::Configuration { field, .. }) => field,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    assert_eq!(
        field(SupabaseProvider::builder("not a project").build()),
        "project_url"
    );
    assert_eq!(
        field(
            SupabaseProvider::builder(PROJECT_URL)
                .legacy_jwt_secret(Secret::from_utf8("short"))
                .build()
        ),
        "legacy_jwt_secret"
    );
    assert_eq!(
        field(
            SupabaseProvider::builder(PROJECT_URL)
                .legacy_jwt_secret(Secret::from_utf8(LEGACY_SECRET))
                .jwks_url("https://x.example/jwks")
                .build()
        ),
        "jwks_url"
    );
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
fn settings_deserialize_strictly_and_build() {
    let settings: Settings = serde_json::from_value(json!({
        "project_url": PROJECT_URL,
        "allow_anonymous": false,
    }))
    .expect("valid settings");
    let supabase = settings.build(&ProviderOptions::default()).expect("builds");
    assert_eq!(supabase.verifier().issuer(), PROJECT_ISSUER);

    let unknown = serde_json::from_value::<Settings>(json!({
        "project_url": PROJECT_URL,
        "jwt_secret": "x",
    }));
    assert!(unknown.is_err());

    let settings: Settings = serde_json::from_value(json!({
        "project_url": PROJECT_URL,
        "legacy_jwt_secret_env": "TAMBO_AUTH_SUPABASE_TEST_UNSET_VARIABLE",
    }))
    .expect("valid settings");
    match settings.build(&ProviderOptions::default()) {
        Err(tambo_auth::Error::Configuration { field, .. }) => {
            assert_eq!(field, "legacy_jwt_secret_env")
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }

    let dev: Settings = serde_json::from_value(json!({
        "project_url": PROJECT_URL,
        "insecure_no_verification": true,
    }))
    .expect("valid settings");
    let options = ProviderOptions::default().profile(Profile::Development);
    assert_eq!(
        dev.build(&options).expect("builds").verifier().strategy(),
        StrategyKind::None
    );
}
