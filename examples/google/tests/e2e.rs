//! The Google example end to end: the same provider setup as `main.rs`, pointed at the testkit.

use example_support::testing::{TestApp, loopback_options};
use tambo_auth::ErrorKind;
use tambo_auth_google::GoogleProvider;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{GOOGLE_CLIENT_ID, google_id_token, now};

const ADA: &str = "108234567890123456789";
const GRACE: &str = "117000000000000000042";

#[tokio::test]
async fn google_id_tokens_exchange_and_scope_notes_per_user() {
    let idp = TestIdp::start().await;
    let provider = GoogleProvider::builder(GOOGLE_CLIENT_ID)
        .hosted_domain("acme.example")
        .issuer(idp.issuer())
        .options(loopback_options());
    let app = TestApp::built(provider.build());
    let id_token = |sub: &str| idp.token(&google_id_token(&idp.issuer(), sub, now()));

    let user = app
        .two_users_see_only_their_own_notes(&id_token(ADA), &id_token(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}:acme.example:{ADA}", idp.port());
    user.assert_user(ADA, Some("acme.example"), &key);

    // The usual mistake: sending Auth.js's `account.access_token` instead of the ID token.
    app.assert_refused("ya29.a0AfB_byC7xQ2mNexample0163", ErrorKind::Opaque)
        .await;
}
