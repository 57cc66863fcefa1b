//! The library behind the `tambo-auth` binary: its configuration file and token tools.
//!
//! ```
//! use tambo_auth::Provider as _;
//! use tambo_auth_server::config::{Config, build_provider};
//!
//! let config = Config::parse(r#"
//!     [[projects]]
//!     id = "p_demo"
//!     [projects.verification]
//!     issuer = "https://example.us.auth0.com/"
//!     audiences = ["https://api.example.com"]
//! "#).unwrap();
//! let (index, project) = config.project(None).unwrap();
//! let provider = build_provider(project, index, config.profile()).unwrap();
//! assert_eq!(provider.verifier().strategy().as_str(), "oidc-discovery");
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod api;
mod assets;
pub mod config;
pub mod dev;
pub mod inspect;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod server;
pub mod store;
