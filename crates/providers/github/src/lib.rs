//! GitHub sign-in for tambo-auth: the user's GitHub access token, which is opaque, answered
//! for by GitHub's user API (`GET https://api.github.com/user`, the core's `userinfo`
//! strategy).
//!
//! ```no_run
//! # async fn demo(access_token: &str) -> Result<(), tambo_auth::Error> {
//! use tambo_auth::ProviderExt as _;
//! use tambo_auth_github::{GithubProvider, GithubUser};
//!
//! let github = GithubProvider::builder().build()?;
//! let user = github.authenticate(access_token).await?; // gho_… or ghu_…
//! let profile = GithubUser::from_user(&user);
//! println!("{} {:?}", user.context_key(), profile.login); // oauth:user:api.github.com:583231
//! # Ok(()) }
//! ```
//!
//! The token to send is the **user's access token**: `gho_…` from an OAuth app
//! (`account.access_token` in Auth.js), or `ghu_…` from a GitHub App acting for the user.
//! GitHub issues no ID token, so there is nothing to verify locally: each new token costs one
//! call to GitHub (answers are reused for 60 s).
//!
//! What the provider checks and maps:
//!
//! - the user is GitHub's numeric `id` (a `login` can be renamed and then taken by someone
//!   else), in the namespace of the API's origin: `oauth:user:api.github.com:<id>`, the
//!   context key Tambo's userinfo path gives, so users keep their threads;
//! - never a digest of the token: a new token of the same user is the same user;
//! - a token GitHub refuses (expired, revoked) is `inactive_token`; GitHub unreachable or
//!   failing is 503 with `Retry-After`, not the user's fault;
//! - refused by their form, without asking GitHub: installation tokens (`ghs_`, an app, not a
//!   user), refresh tokens (`ghr_`), and personal access tokens (`ghp_`, `github_pat_`) unless
//!   [`GithubProviderBuilder::allow_personal_access_tokens`];
//! - GitHub Enterprise Server through [`GithubProviderBuilder::api_url`].
//!
//! GitHub's user API answers for a token of *any* OAuth app, so a token your users granted to
//! another app is accepted too (the token, not the app, is checked). Treat a GitHub token like
//! a password: send it from your server, never from a page that another site could script.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod claims;
mod provider;

pub use claims::GithubUser;
pub use provider::{GITHUB_API, GithubProvider, GithubProviderBuilder};
