//! The Firebase example: exchanges Firebase Authentication ID tokens for Tambo tokens and
//! serves a user-scoped API on 127.0.0.1:8260. See the README for the environment variables.

use std::env;

use example_support::list;
use tambo_auth_firebase::FirebaseProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let project_id = env::var("FIREBASE_PROJECT_ID").map_err(
        |_| "set FIREBASE_PROJECT_ID to your Firebase project ID (Project settings → General; `projectId` in the web app's config)",
    )?;
    let mut builder = FirebaseProvider::builder(project_id)
        .allow_anonymous(env::var("FIREBASE_ALLOW_ANONYMOUS").as_deref() != Ok("0"));
    for tenant in list(&env::var("FIREBASE_TENANTS").unwrap_or_default()) {
        builder = builder.allowed_tenant(tenant);
    }
    example_support::run(builder.build()?).await
}
