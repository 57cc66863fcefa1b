//! The Clerk example: exchanges Clerk session tokens for Tambo tokens and serves a
//! user-scoped API on http://127.0.0.1:8260. See the README for the environment variables.

use tambo_auth_clerk::ClerkProvider;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (see examples/clerk/README.md)"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parties = env("CLERK_AUTHORIZED_PARTIES")?;
    let mut clerk = ClerkProvider::builder(env("CLERK_FRONTEND_API")?)
        .authorized_parties(parties.split(',').map(str::trim).filter(|p| !p.is_empty()));
    if let Ok(pem) = std::env::var("CLERK_PEM_PUBLIC_KEY") {
        clerk = clerk.pem_public_key(pem);
    }
    let api_key = std::env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());
    let app = example_support::App::new(clerk.build()?, &api_key)?;
    example_support::serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}
