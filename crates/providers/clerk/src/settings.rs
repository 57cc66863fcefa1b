//! The `[projects.provider]` table for `kind = "clerk"`.
//!
//! ```toml
//! [projects.provider]
//! kind = "clerk"
//! frontend_api = "https://clerk.acme.com"            # or https://<slug>.clerk.accounts.dev
//! authorized_parties = ["https://app.acme.com"]      # the origins of your frontend
//! # require_azp = false                              # refuse tokens without azp
//! # allow_pending_sessions = false                   # accept sts = "pending"
//! # org_in_context_key = true                        # one thread space per organization
//! # pem_public_key = "-----BEGIN PUBLIC KEY-----…"   # networkless verification
//! ```

use serde::Deserialize;
use tambo_auth::{Error, ProviderOptions};

use crate::ClerkProvider;

/// Clerk settings from a configuration file (the table minus `kind`).
///
/// ```
/// use tambo_auth::ProviderOptions;
/// use tambo_auth_clerk::Settings;
///
/// let settings: Settings = serde_json::from_value(serde_json::json!({
///     "frontend_api": "clerk.acme.com",
///     "authorized_parties": ["https://app.acme.com"],
/// })).unwrap();
/// let provider = settings.build(&ProviderOptions::default()).unwrap();
/// assert_eq!(provider.issuer(), "https://clerk.acme.com");
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The Frontend API URL, the tokens' `iss`.
    pub frontend_api: String,
    /// The origins whose tokens are accepted (`azp`).
    pub authorized_parties: Vec<String>,
    /// Refuse tokens without `azp` (default `false`).
    #[serde(default)]
    pub require_azp: bool,
    /// Accept pending sessions (default `false`).
    #[serde(default)]
    pub allow_pending_sessions: bool,
    /// Put the active organization in the context key (default `true`).
    #[serde(default = "yes")]
    pub org_in_context_key: bool,
    /// Clerk's "JWKS Public Key" in PEM, for verification without network.
    #[serde(default)]
    pub pem_public_key: Option<String>,
}

fn yes() -> bool {
    true
}

impl Settings {
    /// Builds the provider with the server's profile, loopback permission and clock.
    pub fn build(self, options: &ProviderOptions) -> Result<ClerkProvider, Error> {
        let builder = ClerkProvider::builder(self.frontend_api)
            .authorized_parties(self.authorized_parties)
            .require_azp(self.require_azp)
            .allow_pending_sessions(self.allow_pending_sessions)
            .org_in_context_key(self.org_in_context_key)
            .options(options.clone());
        match self.pem_public_key {
            Some(pem) => builder.pem_public_key(pem),
            None => builder,
        }
        .build()
    }
}
