//! The Supabase example: exchanges a user's Supabase access token for a Tambo token and
//! serves a user-scoped API on http://127.0.0.1:8260. See README.md.

use tambo_auth::verify::Secret;
use tambo_auth_supabase::SupabaseProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let project_url = std::env::var("SUPABASE_URL")
        .map_err(|_| "set SUPABASE_URL to your project URL, e.g. https://<ref>.supabase.co")?;

    let mut supabase = SupabaseProvider::builder(&project_url)
        // The Supabase CLI serves plain http on 127.0.0.1:54321.
        .options(tambo_auth::ProviderOptions::default().allow_loopback_http(true));
    // Only for projects still on the legacy HS256 secret; the default uses the JWKS.
    if let Ok(secret) = std::env::var("SUPABASE_JWT_SECRET") {
        supabase = supabase.legacy_jwt_secret(Secret::from_utf8(secret));
    }
    example_support::run(supabase.build()?).await
}
