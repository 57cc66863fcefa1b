//! The Google (Auth.js) example: exchanges Google ID tokens for Tambo tokens and serves a
//! user-scoped API on 127.0.0.1:8260. See the README for the environment variables.

use std::env;

use tambo_auth_google::GoogleProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client_ids = env::var("GOOGLE_CLIENT_ID").map_err(
        |_| "set GOOGLE_CLIENT_ID to your OAuth client id (…apps.googleusercontent.com)",
    )?;
    let mut ids = client_ids.split(',').map(str::trim);
    let mut builder = GoogleProvider::builder(ids.next().unwrap_or_default());
    for id in ids {
        builder = builder.client_id(id);
    }
    if let Ok(domain) = env::var("GOOGLE_HOSTED_DOMAIN") {
        builder = builder.hosted_domain(domain);
    }
    let provider = builder.build()?;
    let api_key = env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());
    let app = example_support::App::new(provider, &api_key)?;
    example_support::serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}
