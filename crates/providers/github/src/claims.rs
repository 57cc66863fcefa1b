//! [`GithubUser`]: the useful members of GitHub's `GET /user` answer, typed.

use serde_json::Value;
use tambo_auth::TamboUser;
use tambo_auth::jwt::Claims;

/// The GitHub user a token belongs to, as `GET /user` describes them. Every field but `id`
/// is optional: `email` is the public email only (often `null`), `name` may be unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GithubUser {
    /// `id`: the numeric user id, stable for the account's life (the user's `sub`).
    pub id: Option<u64>,
    /// `login`: the user name, which the user can change.
    pub login: Option<String>,
    /// `name`: the display name.
    pub name: Option<String>,
    /// `email`: the public email, when the user made one public.
    pub email: Option<String>,
    /// `avatar_url`.
    pub avatar_url: Option<String>,
    /// `html_url`: the profile page.
    pub html_url: Option<String>,
    /// `type`: `User` for a person.
    pub kind: Option<String>,
}

impl GithubUser {
    /// Reads the members of a `GET /user` answer (the verified claims).
    pub fn from_claims(claims: &Claims) -> GithubUser {
        let text = |name: &str| claims.get_str(name).map(str::to_owned);
        GithubUser {
            id: claims.get("id").and_then(Value::as_u64),
            login: text("login"),
            name: text("name"),
            email: text("email"),
            avatar_url: text("avatar_url"),
            html_url: text("html_url"),
            kind: text("type"),
        }
    }

    /// Reads the profile of a user mapped by [`GithubProvider`](crate::GithubProvider).
    pub fn from_user(user: &TamboUser) -> GithubUser {
        GithubUser::from_claims(&user.claims())
    }
}
