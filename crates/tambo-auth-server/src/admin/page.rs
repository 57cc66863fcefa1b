//! The settings page: `/admin`, a static page (vanilla JavaScript, no build step) over the
//! admin API, as Tambo's "Settings > User Authentication": the projects, how each verifies its
//! users' tokens (a strategy, an adapter's preset or a ready-made template), trying a token,
//! the API keys and the audit trail.
//!
//! The page itself is public: it holds nothing. It asks the operator for the admin token and
//! keeps it in a variable of its script (never `localStorage` nor a cookie), sending it with
//! each call to `/admin/v1`. Its answers carry a Content Security Policy that runs only the
//! page's own script and lets it connect only to its own origin, and the script writes
//! everything the server or a user provided as text (`textContent`), never as markup.
//!
//! The files are `page/index.html`, `page/app.js` and `page/app.css`, embedded in the binary.

use axum::Router;

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// `GET /admin`, `/admin/app.js` and `/admin/app.css`.
pub(super) fn router() -> Router {
    crate::assets::page("/admin", INDEX.to_owned(), SCRIPT, STYLE, "'self'")
}
