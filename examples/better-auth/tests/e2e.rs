//! The Better Auth example's router end to end, against the testkit serving the JWT plugin's
//! JWKS at /api/auth/jwks.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::json;
use tambo_auth_better_auth::BetterAuthProvider;
use tambo_auth_testkit::claims::{better_auth_header, better_auth_jwt, now};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const API_KEY: &str = "tambo_pk_example";
const ADA: &str = "Xr7pK2mQ9vT4wN8bC1dF6gH3jL5sA0eZ";
const GRACE: &str = "Gh5sL8dK2pQ7wE1rT4yU9iO3aZ6xC0vB";

#[tokio::test]
async fn better_auth_users_exchange_their_jwt_and_see_only_their_notes() {
    let key = &fixtures().ed;
    let idp = TestIdp::builder()
        .keys(vec![key.clone()])
        .jwks_path("/api/auth/jwks")
        .discovery(false)
        .start()
        .await;
    // What main.rs builds from BETTER_AUTH_URL (here the testkit instead of the app).
    let better_auth = BetterAuthProvider::builder(idp.base_url())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    let router = example_support::App::new(better_auth, API_KEY)
        .expect("app")
        .router();

    let tambo_token = |user: &'static str| {
        let router = router.clone();
        let jwt = JwsBuilder::new()
            .header(better_auth_header(key))
            .payload(better_auth_jwt(&idp.issuer(), user, now()))
            .sign(key, "EdDSA");
        async move { exchange_ok(&router, API_KEY, &jwt).await }
    };
    let ada = tambo_token(ADA).await;
    let grace = tambo_token(GRACE).await;

    let (status, profile) = me(&router, &ada).await;
    assert_eq!(status.as_u16(), 200);
    let profile = profile.expect("the mapped user");
    assert_eq!(profile.sub, ADA);
    assert_eq!(
        profile.context_key,
        format!("oauth:user:127.0.0.1%3A{}:{ADA}", idp.port())
    );

    assert_eq!(
        add_and_list(&router, &ada, "ada's note").await,
        ["ada's note"]
    );
    assert_eq!(
        add_and_list(&router, &grace, "grace's note").await,
        ["grace's note"]
    );

    // The mistake Tambo's own guide makes: sending `session.token`, an opaque string.
    let (status, body) = exchange(&router, API_KEY, "Yx4b0eT5mQ2kR9vW7zN1cL8pA3sD6fG0").await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid_request"))
    );
}
