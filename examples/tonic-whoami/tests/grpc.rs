//! A real tonic client against the layer over loopback.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_sees_the_user_and_bad_calls_are_unauthenticated() {
    let tokens = tokens();
    let addr = example_tonic_whoami::serve(tokens.clone())
        .await
        .expect("serving");

    let reply = example_tonic_whoami::whoami(addr, Some(&token(&tokens, "alice")))
        .await
        .expect("authenticated call");
    assert_eq!(reply.sub, "alice");
    assert_eq!(reply.context_key, "oauth:user:idp.example:alice");

    let missing = example_tonic_whoami::whoami(addr, None)
        .await
        .expect_err("refused");
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(missing.message(), "a bearer token is required");

    let forged = token(&self::tokens(), "mallory");
    let bad = example_tonic_whoami::whoami(addr, Some(&forged))
        .await
        .expect_err("refused");
    assert_eq!(bad.code(), Code::Unauthenticated);
    assert_eq!(bad.message(), "the token signature could not be verified");

    let garbage = example_tonic_whoami::whoami(addr, Some("not-a-jwt"))
        .await
        .expect_err("refused");
    assert_eq!(garbage.code(), Code::Unauthenticated);
}
