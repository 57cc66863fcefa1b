//! The `[projects.provider]` table for `kind = "better-auth"`.
//!
//! ```
//! use tambo_auth::ProviderOptions;
//! use tambo_auth_better_auth::Settings;
//!
//! let settings: Settings = serde_json::from_value(serde_json::json!({
//!     "base_url": "https://app.acme.example",
//!     "algorithms": ["EdDSA"],
//! })).unwrap();
//! let provider = settings.build(&ProviderOptions::default())?;
//! # Ok::<(), tambo_auth::Error>(())
//! ```

use serde::Deserialize;
use tambo_auth::{Algorithm, Error, ProviderOptions};

use crate::BetterAuthProvider;

/// Better Auth settings from a configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The app's Better Auth `baseURL` (`BETTER_AUTH_URL`), an origin. Required.
    pub base_url: String,
    /// The plugin's `jwt.issuer`. Default: the base URL's origin.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The plugin's `jwt.audience` values. Default: the base URL's origin.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// The JWKS path on the base URL. Default `/api/auth/jwks`.
    #[serde(default)]
    pub jwks_path: Option<String>,
    /// The full JWKS URL (`jwks.remoteUrl`). Default: `<base_url><jwks_path>`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The algorithm allowlist. Default `["EdDSA", "ES256", "RS256", "PS256"]`.
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
}

impl Settings {
    /// Builds the provider.
    pub fn build(self, options: &ProviderOptions) -> Result<BetterAuthProvider, Error> {
        let mut builder = BetterAuthProvider::builder(self.base_url).options(options.clone());
        if let Some(issuer) = self.issuer {
            builder = builder.issuer(issuer);
        }
        for audience in self.audiences {
            builder = builder.audience(audience);
        }
        if let Some(path) = self.jwks_path {
            builder = builder.jwks_path(path);
        }
        if let Some(url) = self.jwks_url {
            builder = builder.jwks_url(url);
        }
        if let Some(names) = self.algorithms {
            let algorithms = names
                .iter()
                .map(|name| {
                    name.parse::<Algorithm>().map_err(|_| Error::Configuration {
                        field: "algorithms".into(),
                        reason: format!(
                            "`{name}` is not an algorithm (EdDSA, ES256, RS256, PS256)"
                        ),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            builder = builder.algorithms(algorithms);
        }
        builder.build()
    }
}
