//! The Login.gov example end to end: the same provider setup as `main.rs`, pointed at the
//! testkit serving an issuer with Login.gov's trailing slash.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_login_gov::LoginGovProvider;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{LOGIN_GOV_CLIENT_ID, login_gov_id_token, now};

const ADA: &str = "b2d2d115-1d7e-4579-b9d6-f8e84f4f56ca";
const GRACE: &str = "7c0e4f2a-3b91-4d6e-8a5f-1e2d3c4b5a69";

#[tokio::test]
async fn login_gov_id_tokens_exchange_and_scope_notes_per_user() {
    let idp = TestIdp::builder().trailing_slash(true).start().await;
    let provider = LoginGovProvider::builder(LOGIN_GOV_CLIENT_ID)
        .issuer(idp.issuer())
        .require_identity_verification(true)
        .options(loopback_options());
    let app = TestApp::built(provider.build());
    let id_token = |sub: &str| idp.token(&login_gov_id_token(&idp.issuer(), sub, now()));

    let user = app
        .two_users_see_only_their_own_notes(&id_token(ADA), &id_token(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}:{ADA}", idp.port());
    user.assert_user(ADA, None, &key);

    // An auth-only sign-in is refused when identity verification is required.
    let mut auth_only = login_gov_id_token(&idp.issuer(), ADA, now());
    auth_only["acr"] = json!("urn:acr.login.gov:auth-only");
    app.assert_refused(&idp.token(&auth_only), ErrorKind::ClaimRejected)
        .await;
}
