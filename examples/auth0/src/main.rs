//! The Auth0 example: exchanges Auth0 access tokens for Tambo tokens and serves a
//! user-scoped API on http://127.0.0.1:8260. See the README for the environment variables.

use example_support::{list, required_env};
use tambo_auth_auth0::Auth0Provider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name| required_env(name, "(see examples/auth0/README.md)");
    let mut auth0 = Auth0Provider::builder(env("AUTH0_DOMAIN")?).audience(env("AUTH0_AUDIENCE")?);
    for domain in list(&std::env::var("AUTH0_CUSTOM_DOMAINS").unwrap_or_default()) {
        auth0 = auth0.custom_domain(domain);
    }
    example_support::run(auth0.build()?).await
}
