//! The Firebase example end to end: the same provider setup as `main.rs`, its keys served by
//! the testkit at the path of Google's securetoken JWKS, with Firebase-shaped tokens.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_firebase::FirebaseProvider;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{
    FIREBASE_PROJECT_ID, firebase_anonymous_id_token, firebase_id_token, firebase_session_cookie,
    now,
};

const ADA: &str = "kZ3mN8pQ2vR5tW9yB1cD4fG7hJ0l";
const GRACE: &str = "Vb7cX2nM9qL4wE6rT1yU8iO3pA5s";
const TENANT: &str = "acme-x1y2z";

#[tokio::test]
async fn firebase_id_tokens_exchange_and_scope_notes_per_user_and_tenant() {
    let idp = TestIdp::builder()
        .discovery(false)
        .jwks_path("/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com")
        .start()
        .await;
    let provider = FirebaseProvider::builder(FIREBASE_PROJECT_ID)
        .allow_anonymous(false)
        .allowed_tenant(TENANT)
        .jwks_url(idp.jwks_url())
        .options(loopback_options());
    let app = TestApp::built(provider.build());
    let id_token = |uid: &str| {
        let mut claims = firebase_id_token(FIREBASE_PROJECT_ID, uid, now());
        claims["firebase"]["tenant"] = json!(TENANT);
        idp.token(&claims)
    };

    let user = app
        .two_users_see_only_their_own_notes(&id_token(ADA), &id_token(GRACE))
        .await;
    let key = format!("oauth:user:securetoken.google.com/{FIREBASE_PROJECT_ID}:{TENANT}:{ADA}");
    user.assert_user(ADA, Some(TENANT), &key);

    // Refused at the exchange: an anonymous user (allow_anonymous = false), a user of the
    // project outside the allowed tenant, a session cookie, and a refresh token.
    let mut anonymous = firebase_anonymous_id_token(FIREBASE_PROJECT_ID, GRACE, now());
    anonymous["firebase"]["tenant"] = json!(TENANT);
    let untenanted = firebase_id_token(FIREBASE_PROJECT_ID, ADA, now());
    let cookie = firebase_session_cookie(FIREBASE_PROJECT_ID, ADA, now());
    for claims in [anonymous, untenanted, cookie] {
        app.assert_refused(&idp.token(&claims), ErrorKind::ClaimRejected)
            .await;
    }
    app.assert_refused(
        "AMf-vBzQ4kJ8xT2mR6pL0wN3yC7vB5nH1dF9gK4sA2eZ",
        ErrorKind::Opaque,
    )
    .await;
}
