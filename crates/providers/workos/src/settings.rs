//! The `[projects.provider]` table for `kind = "workos"`.
//!
//! ```
//! use tambo_auth::ProviderOptions;
//! use tambo_auth_workos::Settings;
//!
//! let settings: Settings = serde_json::from_value(serde_json::json!({
//!     "client_id": "client_01K2M8ABCDEF0123456789XYZ",
//! })).unwrap();
//! let provider = settings.build(&ProviderOptions::default())?;
//! # Ok::<(), tambo_auth::Error>(())
//! ```

use serde::Deserialize;
use tambo_auth::{Error, ProviderOptions};

use crate::WorkosProvider;

/// WorkOS settings from a configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The AuthKit client id (`client_…`). Required.
    pub client_id: String,
    /// The issuer origin: a custom authentication domain. Default `https://api.workos.com`.
    #[serde(default)]
    pub api_url: Option<String>,
    /// Overrides the JWKS URL. Default `<api_url>/sso/jwks/<client_id>`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Also accept the bare `<api_url>` issuer. Default `true`.
    #[serde(default = "yes")]
    pub legacy_issuer: bool,
    /// `org_id` is the tenant (separate threads per organization). Default `true`.
    #[serde(default = "yes")]
    pub org_as_tenant: bool,
}

fn yes() -> bool {
    true
}

impl Settings {
    /// Builds the provider.
    pub fn build(self, options: &ProviderOptions) -> Result<WorkosProvider, Error> {
        let mut builder = WorkosProvider::builder(self.client_id)
            .legacy_issuer(self.legacy_issuer)
            .org_as_tenant(self.org_as_tenant)
            .options(options.clone());
        if let Some(url) = self.api_url {
            builder = builder.api_url(url);
        }
        if let Some(url) = self.jwks_url {
            builder = builder.jwks_url(url);
        }
        builder.build()
    }
}
