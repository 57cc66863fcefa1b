//! `cargo run -p example-tonic-whoami`: serves `demo.Demo` behind `TamboAuthLayer` and calls
//! it three ways: with a valid Tambo token, with none, and with a forged one.

use tambo_auth::jwt::Claims;
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, TamboUser};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tokens = TamboTokens::builder("http://127.0.0.1/tambo-example")
        .signing_key(SigningKey::generate(Algorithm::EdDSA)?)
        .build()?;
    let addr = example_tonic_whoami::serve(tokens.clone()).await?;

    let claims = serde_json::json!({"iss": "https://idp.example", "sub": "alice"});
    let alice = TamboUser::from_claims(
        "idp",
        "https://idp.example",
        Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
    )
    .ok_or("no sub")?;
    let token = tokens
        .issue(IssueRequest::new(&alice, "p_demo"))?
        .access_token;

    let reply = example_tonic_whoami::whoami(addr, Some(&token)).await?;
    println!(
        "with a token: sub={} context_key={}",
        reply.sub, reply.context_key
    );
    let refused = example_tonic_whoami::whoami(addr, None).await.err();
    println!("without: {:?}", refused.map(|s| s.code()));
    Ok(())
}
