//! The Okta example: exchanges Okta ID tokens and access tokens of a custom authorization server
//! for Tambo tokens and serves a user-scoped API on 127.0.0.1:8260. See the README for the
//! environment variables.

use std::env;

use tambo_auth_okta::OktaProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = env::var("OKTA_ISSUER").map_err(
        |_| "set OKTA_ISSUER to your authorization server's issuer (https://<org>.okta.com/oauth2/default)",
    )?;
    let audiences = env::var("OKTA_AUDIENCES").map_err(
        |_| "set OKTA_AUDIENCES to api://default and/or your app's client id, comma-separated",
    )?;
    let mut builder = OktaProvider::builder(issuer);
    for audience in audiences.split(',').map(str::trim) {
        builder = builder.audience(audience);
    }
    if let Ok(client_id) = env::var("OKTA_CLIENT_ID") {
        builder = builder.client_id(client_id);
    }
    let provider = builder.build()?;
    let api_key = env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());
    let app = example_support::App::new(provider, &api_key)?;
    example_support::serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}
