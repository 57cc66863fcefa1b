//! The `[projects.provider]` settings for `kind = "neon"`: a `mode` and that mode's settings.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tambo_auth::ProviderOptions;
//! use tambo_auth_neon::Settings;
//!
//! let settings: Settings = serde_json::from_value(serde_json::json!({
//!     "mode": "neon-auth",
//!     "issuer": "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech",
//!     "jwks_url": "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech/neondb/auth/.well-known/jwks.json",
//! }))?;
//! let provider = settings.build(&ProviderOptions::default())?;
//! # let _ = provider;
//! # Ok(()) }
//! ```

use serde::Deserialize;
use tambo_auth::{Error, ProviderOptions};

use crate::NeonProvider;

/// Neon's configuration-file settings (the `[projects.provider]` table minus `kind`), chosen
/// by `mode`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Settings {
    /// `mode = "neon-auth"`: Neon Auth.
    NeonAuth {
        /// The origin of the Neon Auth URL (`iss` and `aud`).
        issuer: String,
        /// The Neon Auth URL plus `/.well-known/jwks.json` (`NEON_AUTH_JWKS_URL`).
        jwks_url: String,
    },
    /// `mode = "stack-auth"`: legacy Neon Auth.
    StackAuth {
        /// The Stack Auth project id (`NEXT_PUBLIC_STACK_PROJECT_ID`).
        project_id: String,
        /// Replaces `https://api.stack-auth.com` (tests only).
        #[serde(default)]
        base_url: Option<String>,
    },
    /// `mode = "authjs-google"`: Tambo's Neon guide (Auth.js + Neon PostgreSQL + Google); the
    /// Google settings (`client_ids`, `hosted_domains`...).
    AuthjsGoogle(tambo_auth_google::Settings),
}

impl Settings {
    /// Builds the provider these settings describe.
    pub fn build(self, options: &ProviderOptions) -> Result<NeonProvider, Error> {
        match self {
            Settings::NeonAuth { issuer, jwks_url } => NeonProvider::neon_auth(issuer, jwks_url)
                .options(options.clone())
                .build(),
            Settings::StackAuth {
                project_id,
                base_url,
            } => {
                let mut builder = NeonProvider::stack_auth(project_id).options(options.clone());
                if let Some(url) = base_url {
                    builder = builder.base_url(url);
                }
                builder.build()
            }
            Settings::AuthjsGoogle(google) => google.build(options).map(NeonProvider::from_google),
        }
    }
}
