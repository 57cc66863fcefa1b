//! The example's router end to end against the testkit IdP standing in for a Clerk Frontend
//! API: the same provider setup as `main.rs`, with the IdP's loopback issuer.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::json;
use tambo_auth_clerk::ClerkProvider;
use tambo_auth_testkit::claims::{self, CLERK_AZP, now};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const API_KEY: &str = "tambo_pk_test";
const ORG: &str = "org_2ZkR1sT2uV3wX4yZ5aB6cD7eF8g";

fn session_token(issuer: &str, sub: &str, azp: &str) -> String {
    let key = &fixtures().rsa;
    let mut payload = claims::clerk_session_token(issuer, sub, now());
    payload["azp"] = json!(azp);
    JwsBuilder::new()
        .header(claims::clerk_header(key))
        .payload(payload)
        .sign(key, "RS256")
}

async fn app(idp: &TestIdp) -> example_support::App {
    let clerk = ClerkProvider::builder(idp.issuer())
        .authorized_party(CLERK_AZP)
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("valid configuration");
    example_support::App::new(clerk, API_KEY).expect("app")
}

#[tokio::test]
async fn clerk_users_exchange_their_session_tokens_and_see_only_their_own_notes() {
    let idp = TestIdp::start().await;
    let router = app(&idp).await.router();

    let (status, body) = exchange(
        &router,
        API_KEY,
        &session_token(&idp.issuer(), "user_alice", CLERK_AZP),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    // The Tambo token never outlives Clerk's 60 s session token (unless the clamp is lifted).
    assert!(
        body["expires_in"].as_u64().is_some_and(|s| s <= 60),
        "{body}"
    );
    let alice = body["access_token"]
        .as_str()
        .expect("a Tambo token")
        .to_owned();

    let (status, who) = me(&router, &alice).await;
    assert_eq!(status.as_u16(), 200);
    let who = who.expect("/me answers");
    assert_eq!(who.sub, "user_alice");
    // The organization (`o.id`) is part of the user namespace carried by the Tambo token.
    assert_eq!(
        who.context_key,
        format!("oauth:user:127.0.0.1%3A{}:{ORG}:user_alice", idp.port())
    );

    let bob = exchange_ok(
        &router,
        API_KEY,
        &session_token(&idp.issuer(), "user_bob", CLERK_AZP),
    )
    .await;
    assert_eq!(
        add_and_list(&router, &alice, "alice's note").await,
        ["alice's note"]
    );
    assert_eq!(
        add_and_list(&router, &bob, "bob's note").await,
        ["bob's note"]
    );
}

#[tokio::test]
async fn a_session_token_minted_for_another_origin_is_refused_at_the_exchange() {
    let idp = TestIdp::start().await;
    let router = app(&idp).await.router();

    let token = session_token(&idp.issuer(), "user_alice", "https://evil.example");
    let (status, body) = exchange(&router, API_KEY, &token).await;

    assert_eq!(status.as_u16(), 400);
    assert_eq!(body["error"], "invalid_request");
}
