//! The Google (Auth.js) example: exchanges Google ID tokens for Tambo tokens and serves a
//! user-scoped API on 127.0.0.1:8260. See the README for the environment variables.

use std::env;

use example_support::list;
use tambo_auth_google::GoogleProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client_ids = env::var("GOOGLE_CLIENT_ID").map_err(
        |_| "set GOOGLE_CLIENT_ID to your OAuth client id (…apps.googleusercontent.com)",
    )?;
    let mut ids = list(&client_ids).into_iter();
    let mut builder = GoogleProvider::builder(ids.next().unwrap_or_default());
    for id in ids {
        builder = builder.client_id(id);
    }
    if let Ok(domain) = env::var("GOOGLE_HOSTED_DOMAIN") {
        builder = builder.hosted_domain(domain);
    }
    example_support::run(builder.build()?).await
}
