//! The `[projects.provider]` table for `kind = "supabase"`.
//!
//! ```
//! use tambo_auth::ProviderOptions;
//! use tambo_auth_supabase::Settings;
//!
//! let settings: Settings = serde_json::from_value(serde_json::json!({
//!     "project_url": "https://abcdefghijklmnopqrst.supabase.co",
//!     "allow_anonymous": false,
//! })).unwrap();
//! let provider = settings.build(&ProviderOptions::default())?;
//! # Ok::<(), tambo_auth::Error>(())
//! ```

use serde::Deserialize;
use tambo_auth::verify::Secret;
use tambo_auth::{Error, ProviderOptions};

use crate::SupabaseProvider;

/// Supabase settings from a configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The project URL (`SUPABASE_URL`) or its 20-character ref. Required.
    pub project_url: String,
    /// Overrides the issuer (self-hosted Auth servers only). Default `<project_url>/auth/v1`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Overrides the JWKS URL. Default `<issuer>/.well-known/jwks.json`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The environment variable holding the legacy JWT secret; set only for projects still
    /// on HS256. Default: none (asymmetric signing keys).
    #[serde(default)]
    pub legacy_jwt_secret_env: Option<String>,
    /// Checks no signature (profile `development` only). Default `false`.
    #[serde(default)]
    pub insecure_no_verification: bool,
    /// Whether anonymous sign-ins are users. Default `true`.
    #[serde(default = "yes")]
    pub allow_anonymous: bool,
    /// Context keys from the project host only (Tambo's "None"-mode keys). Default `false`.
    #[serde(default)]
    pub namespace_by_host: bool,
}

fn yes() -> bool {
    true
}

impl Settings {
    /// Builds the provider; reads the legacy secret's environment variable when set.
    pub fn build(self, options: &ProviderOptions) -> Result<SupabaseProvider, Error> {
        let mut builder = SupabaseProvider::builder(self.project_url)
            .allow_anonymous(self.allow_anonymous)
            .namespace_by_host(self.namespace_by_host)
            .options(options.clone());
        if let Some(issuer) = self.issuer {
            builder = builder.issuer(issuer);
        }
        if let Some(url) = self.jwks_url {
            builder = builder.jwks_url(url);
        }
        match (self.legacy_jwt_secret_env, self.insecure_no_verification) {
            (Some(_), true) => {
                return Err(Error::config(
                    "insecure_no_verification",
                    "set either legacy_jwt_secret_env or insecure_no_verification, not both",
                ));
            }
            (Some(var), false) => {
                let secret = std::env::var(&var).map_err(|_| {
                    Error::config(
                        "legacy_jwt_secret_env",
                        format!("the environment variable `{var}` is not set (or not UTF-8)"),
                    )
                })?;
                builder = builder.legacy_jwt_secret(Secret::from_utf8(secret));
            }
            (None, true) => builder = builder.insecure_no_verification(),
            (None, false) => {}
        }
        builder.build()
    }
}
