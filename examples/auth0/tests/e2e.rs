//! The example's router end to end against the testkit IdP standing in for an Auth0 tenant:
//! the same provider setup as `main.rs`, with the IdP's loopback issuer.

use example_support::testing::{TestApp, loopback_options};
use serde_json::json;
use tambo_auth::ErrorKind;
use tambo_auth_auth0::Auth0Provider;
use tambo_auth_testkit::claims::{self, AUTH0_API_AUDIENCE, now};
use tambo_auth_testkit::jws::jwe_like;
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const ORG: &str = "org_9sQwErTyUiOpAsDf";

fn access_token(issuer: &str, sub: &str) -> String {
    let key = &fixtures().rsa;
    JwsBuilder::new()
        .header(claims::auth0_header(key))
        .payload(claims::auth0_access_token(issuer, sub, now()))
        .sign(key, "RS256")
}

/// The tenant's IdP (Auth0 issuers end with a slash) and the app around it.
async fn start() -> (TestIdp, TestApp) {
    let idp = TestIdp::builder().trailing_slash(true).start().await;
    let auth0 = Auth0Provider::builder(idp.issuer())
        .audience(AUTH0_API_AUDIENCE)
        .options(loopback_options());
    (idp, TestApp::built(auth0.build()))
}

#[tokio::test]
async fn auth0_users_exchange_their_access_tokens_and_see_only_their_own_notes() {
    let (idp, app) = start().await;

    let alice = access_token(&idp.issuer(), "auth0|alice");
    let bob = access_token(&idp.issuer(), "auth0|bob");
    let who = app.two_users_see_only_their_own_notes(&alice, &bob).await;

    let key = format!("oauth:user:127.0.0.1%3A{}:{ORG}:auth0|alice", idp.port());
    who.assert_user("auth0|alice", Some(ORG), &key);
}

#[tokio::test]
async fn the_encrypted_token_from_a_login_without_audience_is_refused_at_the_exchange() {
    let (idp, app) = start().await;

    let jwe = jwe_like(&json!({"alg": "dir", "enc": "A256GCM", "iss": idp.issuer()}));
    app.assert_refused(&jwe, ErrorKind::Encrypted).await;
}
