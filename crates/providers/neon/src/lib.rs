//! Neon for tambo-auth: Neon Auth tokens, legacy Neon Auth (Stack Auth) tokens, and the
//! Auth.js-with-Neon-PostgreSQL setup of Tambo's Neon guide.
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_neon::{NeonClaims, NeonProvider};
//!
//! let neon = NeonProvider::neon_auth(
//!     "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech",
//!     "https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech/neondb/auth/.well-known/jwks.json",
//! )
//! .build()?;
//! let user = neon.authenticate(token).await?;
//! println!("{} {:?}", user.context_key(), NeonClaims::from_user(&user).email);
//! # Ok(()) }
//! ```
//!
//! One [`NeonProvider`], three setups, one constructor each:
//!
//! | constructor | the token | `iss` | keys | alg |
//! | --- | --- | --- | --- | --- |
//! | [`NeonProvider::neon_auth`] | Neon Auth's JWT (`authClient.token()`) | origin of the Neon Auth URL | the Neon Auth JWKS URL | EdDSA |
//! | [`NeonProvider::stack_auth`] | legacy Neon Auth: Stack Auth's `accessToken` | `https://api.stack-auth.com/api/v1/projects/<id>` | `<iss>/.well-known/jwks.json` | ES256 |
//! | [`NeonProvider::authjs_google`] | Tambo's Neon guide (Auth.js, sessions in Neon PostgreSQL): the Google ID token | `https://accounts.google.com` | Google's discovery | RS256 |
//!
//! Neon Auth's issuer (an origin) and its JWKS URL (under `/<database>/auth`) cannot be derived
//! from each other, so both are required.
//!
//! Configuration files deserialize [`NeonProviderBuilder`] (`[projects.provider] kind = "neon"`,
//! with a `mode` choosing the setup).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::{NeonClaims, NeonOrganization};
pub use provider::{NeonMode, NeonProvider, NeonProviderBuilder, STACK_AUTH_API};
