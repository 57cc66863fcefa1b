//! The Supabase example's router end to end, against the testkit serving a project's JWKS.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_supabase::SupabaseProvider;
use tambo_auth_testkit::claims::{now, supabase_access_token, supabase_legacy_anon_key};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

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
    let supabase = SupabaseProvider::builder(idp.base_url()).options(loopback_options());
    let app = TestApp::built(supabase.build());
    let access_token = |user: &str| idp.token(&supabase_access_token(&idp.issuer(), user, now()));

    let profile = app
        .two_users_see_only_their_own_notes(&access_token(ADA), &access_token(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}/auth/v1:{ADA}", idp.port());
    profile.assert_user(ADA, None, &key);

    // The classic mistake: sending the project's anon key instead of the user's session.
    let anon_key = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(supabase_legacy_anon_key(now()))
        .sign_hmac(
            b"super-secret-jwt-token-with-at-least-32-characters-long",
            "HS256",
        );
    app.assert_refused(&anon_key, ErrorKind::UnknownIssuer)
        .await;
    app.assert_refused("sb_publishable_3kQ9vX2mT8pL5nR7wB1cY4", ErrorKind::Opaque)
        .await;
}
