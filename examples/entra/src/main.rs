//! The Microsoft Entra ID example: exchanges Entra v2.0 ID tokens or access tokens for Tambo
//! tokens and serves a user-scoped API on 127.0.0.1:8260. See the README for the environment
//! variables.

use std::env;

use example_support::list;
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
    for tenant in list(&env::var("ENTRA_ALLOWED_TENANTS").unwrap_or_default()) {
        builder = builder.allowed_tenant(tenant);
    }
    if env::var("ENTRA_IDENTITY").is_ok_and(|identity| identity == "oid") {
        builder = builder.identity(Identity::Oid);
    }
    example_support::run(builder.build()?).await
}
