//! The GitHub example: exchanges GitHub user access tokens (asking GitHub's user API who they
//! belong to) for Tambo tokens and serves a user-scoped API on 127.0.0.1:8260. See the README
//! for the environment variables.

use std::env;

use tambo_auth_github::{GITHUB_API, GithubProvider};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = GithubProvider::builder()
        .api_url(env::var("GITHUB_API_URL").unwrap_or_else(|_| GITHUB_API.into()))
        .build()?;
    example_support::run(provider).await
}
