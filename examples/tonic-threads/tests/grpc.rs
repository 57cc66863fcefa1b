//! A real tonic client against the layer over loopback: the handler sees the user, each user
//! sees only their own threads, bad calls are `Unauthenticated`.

use std::net::SocketAddr;

use example_tonic_threads::Client;
use tambo_auth::jwt::Claims;
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, TamboUser};
use tonic::Code;

fn tokens() -> TamboTokens {
    TamboTokens::builder("https://auth.example.com")
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .build()
        .expect("tokens")
}

fn token(tokens: &TamboTokens, sub: &str) -> String {
    let claims = serde_json::json!({"iss": "https://idp.example", "sub": sub});
    let user = TamboUser::from_claims(
        "idp",
        "https://idp.example",
        Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
    )
    .expect("user");
    tokens
        .issue(IssueRequest::new(&user, "p_demo"))
        .expect("issued")
        .access_token
}

/// The service on a loopback port, and the tokens it trusts.
async fn serve() -> (TamboTokens, SocketAddr) {
    let tokens = tokens();
    let addr = example_tonic_threads::serve(tokens.clone())
        .await
        .expect("serving");
    (tokens, addr)
}

async fn connect(addr: SocketAddr, token: Option<&str>) -> Client {
    Client::connect(addr, token).await.expect("connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_sees_the_user_and_bad_calls_are_unauthenticated() {
    let (tokens, addr) = serve().await;

    let mut alice = connect(addr, Some(&token(&tokens, "alice"))).await;
    let me = alice.whoami().await.expect("authenticated call");
    assert_eq!(me.sub, "alice");
    assert_eq!(me.context_key, "oauth:user:idp.example:alice");

    let missing = connect(addr, None)
        .await
        .whoami()
        .await
        .expect_err("refused");
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(missing.message(), "a bearer token is required");

    let forged = token(&self::tokens(), "mallory");
    let mut mallory = connect(addr, Some(&forged)).await;
    let bad = mallory.list_threads().await.expect_err("refused");
    assert_eq!(bad.code(), Code::Unauthenticated);
    assert_eq!(bad.message(), "the token signature could not be verified");

    let mut garbage = connect(addr, Some("not-a-jwt")).await;
    assert_eq!(
        garbage.whoami().await.expect_err("refused").code(),
        Code::Unauthenticated
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_sees_only_their_own_threads() {
    let (tokens, addr) = serve().await;
    let mut alice = connect(addr, Some(&token(&tokens, "alice"))).await;
    let mut bob = connect(addr, Some(&token(&tokens, "bob"))).await;

    alice.create_thread("groceries").await.expect("created");
    alice.create_thread("travel").await.expect("created");
    bob.create_thread("bob's").await.expect("created");

    let names = |threads: Vec<example_tonic_threads::Thread>| {
        threads.into_iter().map(|t| t.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(alice.list_threads().await.expect("listed")),
        ["groceries", "travel"]
    );
    assert_eq!(names(bob.list_threads().await.expect("listed")), ["bob's"]);
}
