//! The Better Auth example: exchanges a JWT-plugin token for a Tambo token and serves a
//! user-scoped API on http://127.0.0.1:8260. See README.md.

use tambo_auth_better_auth::BetterAuthProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("BETTER_AUTH_URL").map_err(
        |_| "set BETTER_AUTH_URL to your app's Better Auth baseURL, e.g. http://localhost:3000",
    )?;

    let better_auth = BetterAuthProvider::builder(base_url)
        // A Next.js dev server on http://127.0.0.1:3000 serves the JWKS over plain http.
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true))
        .build()?;
    example_support::run(better_auth).await
}
