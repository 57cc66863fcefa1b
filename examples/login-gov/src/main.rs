//! The Login.gov example: exchanges Login.gov ID tokens for Tambo tokens and serves a
//! user-scoped API on 127.0.0.1:8260. See the README for the environment variables.

use std::env;

use tambo_auth_login_gov::{Environment, LoginGovProvider};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client_id = env::var("LOGIN_GOV_CLIENT_ID").map_err(
        |_| "set LOGIN_GOV_CLIENT_ID to your app's client id, the partner portal's \"Issuer\" (urn:gov:gsa:openidconnect.profiles:sp:sso:<agency>:<app>)",
    )?;
    let environment = match env::var("LOGIN_GOV_ENVIRONMENT").as_deref() {
        Ok("sandbox") => Environment::Sandbox,
        Ok("production") | Err(_) => Environment::Production,
        Ok(_) => return Err("LOGIN_GOV_ENVIRONMENT is sandbox or production".into()),
    };
    let provider = LoginGovProvider::builder(client_id)
        .environment(environment)
        .require_identity_verification(env::var("LOGIN_GOV_REQUIRE_VERIFIED").as_deref() == Ok("1"))
        .build()?;
    example_support::run(provider).await
}
