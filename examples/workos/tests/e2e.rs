//! The WorkOS example's router end to end, against the testkit laid out like api.workos.com.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_testkit::claims::{now, workos_access_token, workos_header};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};
use tambo_auth_workos::WorkosProvider;

const CLIENT: &str = "client_01K2M8ABCDEF0123456789XYZ";
const ADA: &str = "user_01K2MA1B2C3D4E5F6G7H8J9K0M";
const GRACE: &str = "user_01K2MB2C3D4E5F6G7H8J9K0M1N";
const ORG: &str = "org_01K2M7N8P9Q0R1S2T3V4W5X6Y7";

fn sign(claims: serde_json::Value) -> String {
    let key = &fixtures().rsa;
    JwsBuilder::new()
        .header(workos_header(key))
        .payload(claims)
        .sign(key, "RS256")
}

#[tokio::test]
async fn authkit_users_exchange_their_access_token_and_see_only_their_notes() {
    let idp = TestIdp::builder()
        .issuer_path(format!("/user_management/{CLIENT}"))
        .jwks_path(format!("/sso/jwks/{CLIENT}"))
        .discovery(false)
        .start()
        .await;
    // What main.rs builds from WORKOS_CLIENT_ID (here the testkit instead of api.workos.com).
    let workos = WorkosProvider::builder(CLIENT)
        .api_url(idp.base_url())
        .options(loopback_options());
    let app = TestApp::built(workos.build());
    let access_token = |user: &str| sign(workos_access_token(&idp.issuer(), user, now()));

    let profile = app
        .two_users_see_only_their_own_notes(&access_token(ADA), &access_token(GRACE))
        .await;
    let key = format!("oauth:user:127.0.0.1%3A{}:{ORG}:{ADA}", idp.port());
    profile.assert_user(ADA, Some(ORG), &key);

    // The classic mistake: forwarding the sealed session cookie instead of the access token.
    app.assert_refused("Fe26.2**0cdd6079*aOZLCKLh*g0ilNDlQ", ErrorKind::Opaque)
        .await;
    // And a token minted for another client's issuer.
    let mut other = workos_access_token(&idp.issuer(), ADA, now());
    other["iss"] = json!(format!("{}/user_management/client_01OTHER", idp.base_url()));
    app.assert_refused(&sign(other), ErrorKind::UnknownIssuer)
        .await;
}
