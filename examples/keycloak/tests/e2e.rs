//! The Keycloak example end to end: the same provider setup as `main.rs`, pointed at the
//! testkit serving a realm's path.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_keycloak::KeycloakProvider;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{
    KEYCLOAK_API_CLIENT_ID, KEYCLOAK_CLIENT_ID, keycloak_access_token, keycloak_id_token,
    keycloak_refresh_header, keycloak_refresh_token, keycloak_service_account_token, now,
};
use tambo_auth_testkit::fixtures;
use tambo_auth_testkit::jws::hmac_token;

const ADA: &str = "3f6c1a52-8d4e-4b7a-9c21-6e0d5a7b9f14";
const GRACE: &str = "9b0e4d71-2c5a-4f86-b3e9-71d8a6c2f045";

#[tokio::test]
async fn keycloak_tokens_exchange_and_scope_notes_per_user() {
    let idp = TestIdp::builder().issuer_path("/realms/acme").start().await;
    let provider = KeycloakProvider::builder(idp.issuer())
        .audience(KEYCLOAK_API_CLIENT_ID)
        .audience(KEYCLOAK_CLIENT_ID)
        .authorized_party(KEYCLOAK_CLIENT_ID)
        .options(loopback_options());
    let app = TestApp::built(provider.build());
    let access_token = |sub: &str| {
        let mut claims = keycloak_access_token(&idp.issuer(), sub, now());
        claims["preferred_username"] = json!(format!("user-{}", &sub[..8]));
        idp.token(&claims)
    };

    let user = app
        .two_users_see_only_their_own_notes(&access_token(ADA), &access_token(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}/realms/acme:{ADA}", idp.port());
    user.assert_user(ADA, None, &key);

    // The same user signing in with the ID token is the same user.
    let id_token = idp.token(&keycloak_id_token(&idp.issuer(), ADA, now()));
    app.user_of(&id_token).await.assert_user(ADA, None, &key);

    // A refresh token, signed with the realm's secret, is refused by policy (what to send
    // instead), not as an unknown algorithm.
    let secret = fixtures().hmac.secret().expect("an HMAC key");
    let refresh = keycloak_refresh_token(&idp.issuer(), ADA, now());
    app.assert_refused(
        &hmac_token(secret, &keycloak_refresh_header(), &refresh),
        ErrorKind::ClaimRejected,
    )
    .await;

    // A service account speaks for no user.
    let machine = keycloak_service_account_token(&idp.issuer(), GRACE, now());
    app.assert_refused(&idp.token(&machine), ErrorKind::ClaimRejected)
        .await;
}
