//! The example's router end to end against the testkit IdP standing in for a Clerk Frontend
//! API: the same provider setup as `main.rs`, with the IdP's loopback issuer.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_clerk::ClerkProvider;
use tambo_auth_testkit::claims::{self, CLERK_AZP, now};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

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

/// The Frontend API's IdP and the app around it.
async fn start() -> (TestIdp, TestApp) {
    let idp = TestIdp::start().await;
    let clerk = ClerkProvider::builder(idp.issuer())
        .authorized_party(CLERK_AZP)
        .options(loopback_options());
    (idp, TestApp::built(clerk.build()))
}

#[tokio::test]
async fn clerk_users_exchange_their_session_tokens_and_see_only_their_own_notes() {
    let (idp, app) = start().await;

    let alice = session_token(&idp.issuer(), "user_alice", CLERK_AZP);
    let bob = session_token(&idp.issuer(), "user_bob", CLERK_AZP);
    let who = app.two_users_see_only_their_own_notes(&alice, &bob).await;

    // The organization (`o.id`) is part of the user namespace carried by the Tambo token.
    let key = format!("oauth:user:127.0.0.1%3A{}:{ORG}:user_alice", idp.port());
    who.assert_user("user_alice", Some(ORG), &key);
}

#[tokio::test]
async fn the_tambo_token_never_outlives_the_60_s_session_token() {
    let (idp, app) = start().await;

    let token = session_token(&idp.issuer(), "user_alice", CLERK_AZP);
    let (status, body) = app.exchange(&token).await;

    assert_eq!(status.as_u16(), 200, "{body}");
    // Unless the clamp is lifted.
    assert!(
        body["expires_in"].as_u64().is_some_and(|s| s <= 60),
        "{body}"
    );
}

#[tokio::test]
async fn a_session_token_minted_for_another_origin_is_refused_at_the_exchange() {
    let (idp, app) = start().await;

    let token = session_token(&idp.issuer(), "user_alice", "https://evil.example");
    app.assert_refused(&token, ErrorKind::ClaimRejected).await;
}
