//! The WorkOS example: exchanges an AuthKit access token for a Tambo token and serves a
//! user-scoped API on http://127.0.0.1:8260. See README.md.

use tambo_auth_workos::WorkosProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client_id = std::env::var("WORKOS_CLIENT_ID")
        .map_err(|_| "set WORKOS_CLIENT_ID to your AuthKit client id (client_…)")?;
    let api_key = std::env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());

    let mut workos = WorkosProvider::builder(client_id);
    // With a custom authentication domain, tokens are issued (and keys served) there.
    if let Ok(domain) = std::env::var("WORKOS_AUTH_DOMAIN") {
        workos = workos.api_url(domain);
    }
    let app = example_support::App::new(workos.build()?, &api_key)?;
    example_support::serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}
