//! The Supabase example's router end to end, against the testkit serving a project's JWKS.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::json;
use tambo_auth_supabase::SupabaseProvider;
use tambo_auth_testkit::claims::{now, supabase_access_token, supabase_legacy_anon_key};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const API_KEY: &str = "tambo_pk_example";
const ADA: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const GRACE: &str = "0b3f9a2c-6d1e-4f5a-8b7c-9e0d1f2a3b4c";

#[tokio::test]
async fn supabase_users_exchange_their_access_token_and_see_only_their_notes() {
    let idp = TestIdp::builder()
        .issuer_path("/auth/v1")
        .keys(vec![fixtures().ec.clone()])
        .start()
        .await;
    // What main.rs builds from SUPABASE_URL (here the testkit instead of *.supabase.co).
    let supabase = SupabaseProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    let router = example_support::App::new(supabase, API_KEY)
        .expect("app")
        .router();

    let tambo_token = |user: &'static str| {
        let router = router.clone();
        let access_token = idp.token(&supabase_access_token(&idp.issuer(), user, now()));
        async move { exchange_ok(&router, API_KEY, &access_token).await }
    };
    let ada = tambo_token(ADA).await;
    let grace = tambo_token(GRACE).await;

    let (status, profile) = me(&router, &ada).await;
    assert_eq!(status.as_u16(), 200);
    let profile = profile.expect("the mapped user");
    assert_eq!(profile.sub, ADA);
    assert_eq!(
        profile.context_key,
        format!("oauth:user:127.0.0.1%3A{}/auth/v1:{ADA}", idp.port())
    );

    assert_eq!(
        add_and_list(&router, &ada, "ada's note").await,
        ["ada's note"]
    );
    assert_eq!(
        add_and_list(&router, &grace, "grace's note").await,
        ["grace's note"]
    );

    // The classic mistake: sending the project's anon key instead of the user's session.
    let anon_key = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(supabase_legacy_anon_key(now()))
        .sign_hmac(
            b"super-secret-jwt-token-with-at-least-32-characters-long",
            "HS256",
        );
    let (status, body) = exchange(&router, API_KEY, &anon_key).await;
    assert_eq!(status.as_u16(), 400);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = exchange(&router, API_KEY, "sb_publishable_3kQ9vX2mT8pL5nR7wB1cY4").await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid_request"))
    );
}
