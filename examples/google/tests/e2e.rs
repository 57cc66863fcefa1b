//! The Google example end to end: the same provider setup as `main.rs`, pointed at the testkit.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::Value;
use tambo_auth_google::GoogleProvider;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::{GOOGLE_CLIENT_ID, google_id_token, now};

const API_KEY: &str = "tambo_pk_example";

#[tokio::test]
async fn google_id_tokens_exchange_and_scope_notes_per_user() {
    let idp = TestIdp::start().await;
    let provider = GoogleProvider::builder(GOOGLE_CLIENT_ID)
        .hosted_domain("acme.example")
        .issuer(idp.issuer())
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("builds");
    let router = example_support::App::new(provider, API_KEY)
        .expect("app")
        .router();

    let ada = idp.token(&google_id_token(
        &idp.issuer(),
        "108234567890123456789",
        now(),
    ));
    let ada_tambo = exchange_ok(&router, API_KEY, &ada).await;

    let (status, user) = me(&router, &ada_tambo).await;
    assert_eq!(status.as_u16(), 200);
    let user = user.expect("me");
    assert_eq!(user.sub, "108234567890123456789");
    assert_eq!(user.tenant.as_deref(), Some("acme.example"));
    assert_eq!(
        user.context_key,
        format!(
            "oauth:user:127.0.0.1%3A{}:acme.example:108234567890123456789",
            idp.port()
        )
    );

    let grace = idp.token(&google_id_token(
        &idp.issuer(),
        "117000000000000000042",
        now(),
    ));
    let grace_tambo = exchange_ok(&router, API_KEY, &grace).await;
    assert_eq!(
        add_and_list(&router, &ada_tambo, "ada's note").await,
        ["ada's note"]
    );
    assert_eq!(
        add_and_list(&router, &grace_tambo, "grace's note").await,
        ["grace's note"]
    );

    // The usual mistake: sending Auth.js's `account.access_token` instead of the ID token.
    let (status, body) = exchange(&router, API_KEY, "ya29.a0AfB_byC7xQ2mNexample0163").await;
    assert_eq!(status.as_u16(), 400);
    assert_eq!(body["error"], Value::from("invalid_request"));
}
