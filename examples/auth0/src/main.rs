//! The Auth0 example: exchanges Auth0 access tokens for Tambo tokens and serves a
//! user-scoped API on http://127.0.0.1:8260. See the README for the environment variables.

use tambo_auth_auth0::Auth0Provider;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (see examples/auth0/README.md)"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut auth0 = Auth0Provider::builder(env("AUTH0_DOMAIN")?).audience(env("AUTH0_AUDIENCE")?);
    for domain in std::env::var("AUTH0_CUSTOM_DOMAINS")
        .unwrap_or_default()
        .split(',')
    {
        if !domain.trim().is_empty() {
            auth0 = auth0.custom_domain(domain.trim());
        }
    }
    let api_key = std::env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());
    let app = example_support::App::new(auth0.build()?, &api_key)?;
    example_support::serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}
