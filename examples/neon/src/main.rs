//! The Neon example: exchanges Neon tokens for Tambo tokens and serves a user-scoped API on
//! 127.0.0.1:8260. `NEON_MODE` picks the setup; see the README for each one's variables.

use std::env;

use example_support::required_env;
use tambo_auth_neon::NeonProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name| required_env(name, "(see examples/neon/README.md)");
    let mode = env::var("NEON_MODE").unwrap_or_else(|_| "neon-auth".into());
    let provider = match mode.as_str() {
        "neon-auth" => {
            NeonProvider::neon_auth(var("NEON_AUTH_ISSUER")?, var("NEON_AUTH_JWKS_URL")?)
        }
        "stack-auth" => NeonProvider::stack_auth(var("STACK_PROJECT_ID")?),
        "authjs-google" => NeonProvider::authjs_google(var("GOOGLE_CLIENT_ID")?),
        other => {
            return Err(
                format!("NEON_MODE={other:?}: use neon-auth, stack-auth or authjs-google").into(),
            );
        }
    }
    .build()?;
    example_support::run(provider).await
}
