//! The `[projects.provider]` settings for `kind = "google"`.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tambo_auth::ProviderOptions;
//! use tambo_auth_google::Settings;
//!
//! let settings: Settings = serde_json::from_value(serde_json::json!({
//!     "client_ids": ["1234-abc.apps.googleusercontent.com"],
//!     "hosted_domains": ["acme.example"],
//! }))?;
//! let provider = settings.build(&ProviderOptions::default())?;
//! # let _ = provider;
//! # Ok(()) }
//! ```

use serde::Deserialize;
use tambo_auth::{Error, ProviderOptions};

use crate::GoogleProvider;

/// Google's configuration-file settings (the `[projects.provider]` table minus `kind`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// The accepted OAuth client ids (`aud`); at least one.
    pub client_ids: Vec<String>,
    /// When set, `azp` must be one of these client ids. Default: not checked.
    #[serde(default)]
    pub authorized_parties: Vec<String>,
    /// When set, only accounts of these Google Workspace domains (`hd`). Default: any account.
    #[serde(default)]
    pub hosted_domains: Vec<String>,
    /// Refuse personal accounts (no `hd`). Default `false`.
    #[serde(default)]
    pub require_hosted_domain: bool,
    /// Refuse tokens whose `email_verified` is not true. Default `false`.
    #[serde(default)]
    pub require_verified_email: bool,
    /// Replaces `https://accounts.google.com` (tests and local emulators only).
    #[serde(default)]
    pub issuer: Option<String>,
}

impl Settings {
    /// Builds the provider these settings describe.
    pub fn build(self, options: &ProviderOptions) -> Result<GoogleProvider, Error> {
        let mut ids = self.client_ids.into_iter();
        let first = ids.next().ok_or_else(|| Error::Configuration {
            field: "client_ids".into(),
            reason: "at least one OAuth client id (`…apps.googleusercontent.com`) is required"
                .into(),
        })?;
        let mut builder = GoogleProvider::builder(first)
            .options(options.clone())
            .require_hosted_domain(self.require_hosted_domain)
            .require_verified_email(self.require_verified_email);
        for id in ids {
            builder = builder.client_id(id);
        }
        for party in self.authorized_parties {
            builder = builder.authorized_party(party);
        }
        for domain in self.hosted_domains {
            builder = builder.hosted_domain(domain);
        }
        if let Some(issuer) = self.issuer {
            builder = builder.issuer(issuer);
        }
        builder.build()
    }
}
