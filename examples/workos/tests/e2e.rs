//! The WorkOS example's router end to end, against the testkit laid out like api.workos.com.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::json;
use tambo_auth_testkit::claims::{now, workos_access_token, workos_header};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};
use tambo_auth_workos::WorkosProvider;

const API_KEY: &str = "tambo_pk_example";
const CLIENT: &str = "client_01K2M8ABCDEF0123456789XYZ";
const ADA: &str = "user_01K2MA1B2C3D4E5F6G7H8J9K0M";
const GRACE: &str = "user_01K2MB2C3D4E5F6G7H8J9K0M1N";
const ORG: &str = "org_01K2M7N8P9Q0R1S2T3V4W5X6Y7";

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
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    let router = example_support::App::new(workos, API_KEY)
        .expect("app")
        .router();

    let key = &fixtures().rsa;
    let access_token = |user: &str| {
        JwsBuilder::new()
            .header(workos_header(key))
            .payload(workos_access_token(&idp.issuer(), user, now()))
            .sign(key, "RS256")
    };
    let tambo_token = |user: &'static str| {
        let router = router.clone();
        let access_token = access_token(user);
        async move { exchange_ok(&router, API_KEY, &access_token).await }
    };
    let ada = tambo_token(ADA).await;
    let grace = tambo_token(GRACE).await;

    let (status, profile) = me(&router, &ada).await;
    assert_eq!(status.as_u16(), 200);
    let profile = profile.expect("the mapped user");
    assert_eq!(profile.sub, ADA);
    assert_eq!(profile.tenant.as_deref(), Some(ORG));
    assert_eq!(
        profile.context_key,
        format!("oauth:user:127.0.0.1%3A{}:{ORG}:{ADA}", idp.port())
    );

    assert_eq!(
        add_and_list(&router, &ada, "ada's note").await,
        ["ada's note"]
    );
    assert_eq!(
        add_and_list(&router, &grace, "grace's note").await,
        ["grace's note"]
    );

    // The classic mistake: forwarding the sealed session cookie instead of the access token.
    let (status, body) = exchange(&router, API_KEY, "Fe26.2**0cdd6079*aOZLCKLh*g0ilNDlQ").await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid_request"))
    );
    // And a token minted for another client's issuer.
    let mut other = workos_access_token(&idp.issuer(), ADA, now());
    other["iss"] = json!(format!("{}/user_management/client_01OTHER", idp.base_url()));
    let foreign = JwsBuilder::new()
        .header(workos_header(key))
        .payload(other)
        .sign(key, "RS256");
    let (status, body) = exchange(&router, API_KEY, &foreign).await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid_request"))
    );
}
