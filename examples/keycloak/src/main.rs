//! The Keycloak example: exchanges the access and ID tokens of a Keycloak realm for Tambo
//! tokens and serves a user-scoped API on 127.0.0.1:8260. See the README for the environment
//! variables.

use std::env;

use example_support::list;
use tambo_auth_keycloak::KeycloakProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = env::var("KEYCLOAK_ISSUER").map_err(
        |_| "set KEYCLOAK_ISSUER to your realm's issuer (https://<host>/realms/<realm>)",
    )?;
    let audiences = env::var("KEYCLOAK_AUDIENCES").map_err(
        |_| "set KEYCLOAK_AUDIENCES to your API's client id (added by an audience mapper) and/or your app's client id, comma-separated",
    )?;
    let mut builder = KeycloakProvider::builder(issuer);
    for audience in list(&audiences) {
        builder = builder.audience(audience);
    }
    if let Ok(client_id) = env::var("KEYCLOAK_CLIENT_ID") {
        builder = builder.authorized_party(client_id);
    }
    example_support::run(builder.build()?).await
}
