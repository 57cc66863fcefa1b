//! The WorkOS example: exchanges an AuthKit access token for a Tambo token and serves a
//! user-scoped API on http://127.0.0.1:8260. See README.md.

use tambo_auth_workos::WorkosProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client_id = std::env::var("WORKOS_CLIENT_ID")
        .map_err(|_| "set WORKOS_CLIENT_ID to your AuthKit client id (client_…)")?;

    let mut workos = WorkosProvider::builder(client_id);
    // With a custom authentication domain, tokens are issued (and keys served) there.
    if let Ok(domain) = std::env::var("WORKOS_AUTH_DOMAIN") {
        workos = workos.api_url(domain);
    }
    example_support::run(workos.build()?).await
}
