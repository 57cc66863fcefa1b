//! `cargo run -p example-tonic-threads`: serves `demo.Threads` behind `TamboAuthLayer`, then
//! alice creates a thread, bob lists his (none), and a call without a token is refused.

use example_tonic_threads::Client;
use tambo_auth::jwt::Claims;
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, TamboUser};

fn token(tokens: &TamboTokens, sub: &str) -> Result<String, Box<dyn std::error::Error>> {
    let claims = serde_json::json!({"iss": "https://idp.example", "sub": sub});
    let user = TamboUser::from_claims(
        "idp",
        "https://idp.example",
        Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
    )
    .ok_or("no sub")?;
    Ok(tokens
        .issue(IssueRequest::new(&user, "p_demo"))?
        .access_token)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tokens = TamboTokens::builder("http://127.0.0.1/tambo-example")
        .signing_key(SigningKey::generate(Algorithm::EdDSA)?)
        .build()?;
    let addr = example_tonic_threads::serve(tokens.clone()).await?;

    let mut alice = Client::connect(addr, Some(&token(&tokens, "alice")?)).await?;
    let thread = alice.create_thread("groceries").await?;
    println!("alice created {} ({})", thread.id, thread.name);
    println!("alice sees {} thread(s)", alice.list_threads().await?.len());

    let mut bob = Client::connect(addr, Some(&token(&tokens, "bob")?)).await?;
    println!("bob sees {} thread(s)", bob.list_threads().await?.len());

    let mut anonymous = Client::connect(addr, None).await?;
    let refused = anonymous.list_threads().await.err().map(|s| s.code());
    println!("without a token: {refused:?}");
    Ok(())
}
