//! The Okta example: exchanges Okta ID tokens and access tokens of a custom authorization server
//! for Tambo tokens and serves a user-scoped API on 127.0.0.1:8260. See the README for the
//! environment variables.

use std::env;

use example_support::list;
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
    for audience in list(&audiences) {
        builder = builder.audience(audience);
    }
    if let Ok(client_id) = env::var("OKTA_CLIENT_ID") {
        builder = builder.client_id(client_id);
    }
    example_support::run(builder.build()?).await
}
