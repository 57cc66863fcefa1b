//! The example's router end to end against the testkit IdP standing in for an Auth0 tenant:
//! the same provider setup as `main.rs`, with the IdP's loopback issuer.

use example_support::client::{add_and_list, exchange, exchange_ok, me};
use serde_json::json;
use tambo_auth_auth0::Auth0Provider;
use tambo_auth_testkit::claims::{self, AUTH0_API_AUDIENCE, now};
use tambo_auth_testkit::jws::jwe_like;
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const API_KEY: &str = "tambo_pk_test";

fn access_token(issuer: &str, sub: &str) -> String {
    let key = &fixtures().rsa;
    JwsBuilder::new()
        .header(claims::auth0_header(key))
        .payload(claims::auth0_access_token(issuer, sub, now()))
        .sign(key, "RS256")
}

#[tokio::test]
async fn auth0_users_exchange_their_access_tokens_and_see_only_their_own_notes() {
    let idp = TestIdp::builder().trailing_slash(true).start().await;
    let auth0 = Auth0Provider::builder(idp.issuer())
        .audience(AUTH0_API_AUDIENCE)
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("valid configuration");
    let router = example_support::App::new(auth0, API_KEY)
        .expect("app")
        .router();

    let alice = exchange_ok(
        &router,
        API_KEY,
        &access_token(&idp.issuer(), "auth0|alice"),
    )
    .await;

    let (status, who) = me(&router, &alice).await;
    assert_eq!(status.as_u16(), 200);
    let who = who.expect("/me answers");
    assert_eq!(who.sub, "auth0|alice");
    assert_eq!(who.tenant.as_deref(), Some("org_9sQwErTyUiOpAsDf"));
    assert_eq!(
        who.context_key,
        format!(
            "oauth:user:127.0.0.1%3A{}:org_9sQwErTyUiOpAsDf:auth0|alice",
            idp.port()
        )
    );

    let bob = exchange_ok(&router, API_KEY, &access_token(&idp.issuer(), "auth0|bob")).await;
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
async fn the_encrypted_token_from_a_login_without_audience_is_refused_at_the_exchange() {
    let idp = TestIdp::builder().trailing_slash(true).start().await;
    let auth0 = Auth0Provider::builder(idp.issuer())
        .audience(AUTH0_API_AUDIENCE)
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()
        .expect("valid configuration");
    let router = example_support::App::new(auth0, API_KEY)
        .expect("app")
        .router();

    let jwe = jwe_like(&json!({"alg": "dir", "enc": "A256GCM", "iss": idp.issuer()}));
    let (status, body) = exchange(&router, API_KEY, &jwe).await;

    assert_eq!(status.as_u16(), 400);
    assert_eq!(body["error"], "invalid_request");
}
