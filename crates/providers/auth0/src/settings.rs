//! The `[projects.provider]` table for `kind = "auth0"`.
//!
//! ```toml
//! [projects.provider]
//! kind = "auth0"
//! domain = "acme.us.auth0.com"              # or "https://acme.us.auth0.com/"
//! audience = "https://api.acme.com"         # your API identifier, exactly
//! custom_domains = ["login.acme.com"]       # optional
//! algorithms = ["RS256"]                    # optional; RS256 and PS256 only
//! ```

use serde::Deserialize;
use tambo_auth::{Algorithm, Error, ProviderOptions};

use crate::Auth0Provider;

/// Auth0 settings from a configuration file (the table minus `kind`).
///
/// ```
/// use tambo_auth::ProviderOptions;
/// use tambo_auth_auth0::Settings;
///
/// let settings: Settings = serde_json::from_value(serde_json::json!({
///     "domain": "acme.us.auth0.com",
///     "audience": "https://api.acme.com",
/// })).unwrap();
/// let provider = settings.build(&ProviderOptions::default()).unwrap();
/// assert_eq!(provider.issuer(), "https://acme.us.auth0.com/");
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The tenant domain (`acme.us.auth0.com`) or its issuer (`https://acme.us.auth0.com/`).
    pub domain: String,
    /// The API identifier access tokens must carry in `aud`.
    pub audience: String,
    /// Custom domains of the same tenant whose tokens are accepted too.
    #[serde(default)]
    pub custom_domains: Vec<String>,
    /// The accepted algorithms (default `["RS256"]`).
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
}

impl Settings {
    /// Builds the provider with the server's profile, loopback permission and clock.
    pub fn build(self, options: &ProviderOptions) -> Result<Auth0Provider, Error> {
        let mut builder = Auth0Provider::builder(self.domain)
            .audience(self.audience)
            .options(options.clone());
        for domain in self.custom_domains {
            builder = builder.custom_domain(domain);
        }
        if let Some(names) = self.algorithms {
            let algorithms = names
                .iter()
                .map(|name| {
                    name.parse::<Algorithm>().map_err(|_| {
                        Error::config(
                            "algorithms",
                            format!("unknown algorithm {name:?}; Auth0 uses RS256 or PS256"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            builder = builder.algorithms(algorithms);
        }
        builder.build()
    }
}
