//! `cargo run -p example-verify-token`: see the library docs.

#[tokio::main]
async fn main() -> Result<(), tambo_auth::Error> {
    let outcome = example_verify_token::run().await?;
    println!(
        "verified: sub={} context_key={}",
        outcome.user.sub(),
        outcome.user.context_key()
    );
    println!("tampered token refused: {}", outcome.tampered_error);
    Ok(())
}
