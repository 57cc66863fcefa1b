//! The Okta example end to end: the same provider setup as `main.rs`, pointed at the testkit
//! serving a custom authorization server's path.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_okta::OktaProvider;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{OKTA_CLIENT_ID, now, okta_access_token, okta_id_token};

const ADA: &str = "00u1a2b3c4D5e6F7g8h9";
const GRACE: &str = "00u9z8y7x6W5v4U3t2s1";

#[tokio::test]
async fn okta_tokens_exchange_and_scope_notes_per_user() {
    let idp = TestIdp::builder()
        .issuer_path("/oauth2/default")
        .start()
        .await;
    let provider = OktaProvider::builder(idp.issuer())
        .audience("api://default")
        .audience(OKTA_CLIENT_ID)
        .client_id(OKTA_CLIENT_ID)
        .options(loopback_options());
    let app = TestApp::built(provider.build());
    let access_token = |uid: &str| {
        let mut claims = okta_access_token(&idp.issuer(), uid, now());
        // Each user's login, as Okta puts it in an access token's `sub`.
        claims["sub"] = json!(format!("{uid}@acme.example"));
        idp.token(&claims)
    };

    let user = app
        .two_users_see_only_their_own_notes(&access_token(ADA), &access_token(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}/oauth2/default:{ADA}", idp.port());
    user.assert_user(ADA, None, &key);

    // The same user signing in with the ID token is the same user.
    let id_token = idp.token(&okta_id_token(&idp.issuer(), ADA, now()));
    app.user_of(&id_token).await.assert_user(ADA, None, &key);

    // A client-credentials token speaks for no user.
    let mut machine = okta_access_token(&idp.issuer(), ADA, now());
    machine.as_object_mut().expect("object").remove("uid");
    machine["sub"] = json!(OKTA_CLIENT_ID);
    app.assert_refused(&idp.token(&machine), ErrorKind::ClaimRejected)
        .await;
}
