//! The Microsoft Entra ID example: exchanges Entra v2.0 ID tokens or access tokens for Tambo
//! tokens and serves a user-scoped API on 127.0.0.1:8260. See the README for the environment
//! variables.

use std::env;

use tambo_auth_entra::{EntraProvider, Identity};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tenant = env::var("ENTRA_TENANT").map_err(|_| {
        "set ENTRA_TENANT to your directory (tenant) id, or to organizations / common for a multi-tenant app"
    })?;
    let client_id = env::var("ENTRA_CLIENT_ID")
        .map_err(|_| "set ENTRA_CLIENT_ID to your app registration's application (client) id")?;
    let mut builder = EntraProvider::builder(tenant, client_id);
    // A multi-tenant app lists the tenants whose users may sign in, comma-separated.
    if let Ok(allowed) = env::var("ENTRA_ALLOWED_TENANTS") {
        for tenant in allowed.split(',').map(str::trim) {
            builder = builder.allowed_tenant(tenant);
        }
    }
    if env::var("ENTRA_IDENTITY").is_ok_and(|identity| identity == "oid") {
        builder = builder.identity(Identity::Oid);
    }
    let provider = builder.build()?;
    let api_key = env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());
    let app = example_support::App::new(provider, &api_key)?;
    example_support::serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}
