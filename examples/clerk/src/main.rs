//! The Clerk example: exchanges Clerk session tokens for Tambo tokens and serves a
//! user-scoped API on http://127.0.0.1:8260. See the README for the environment variables.

use example_support::{list, required_env};
use tambo_auth_clerk::ClerkProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name| required_env(name, "(see examples/clerk/README.md)");
    let parties = env("CLERK_AUTHORIZED_PARTIES")?;
    let mut clerk =
        ClerkProvider::builder(env("CLERK_FRONTEND_API")?).authorized_parties(list(&parties));
    if let Ok(pem) = std::env::var("CLERK_PEM_PUBLIC_KEY") {
        clerk = clerk.pem_public_key(pem);
    }
    example_support::run(clerk.build()?).await
}
