//! The client-side retrieval example: a static page, vanilla JavaScript with no build step, that
//! `tambo-auth dev` serves on an origin of its own.
//!
//! The page signs a person in as any user of the development identity provider, exchanges the
//! ID token at the API's `/oauth/token` itself, keeps the Tambo token in a JavaScript variable
//! (never `localStorage`), lists and creates the user's threads and messages through `/v1`, and
//! exchanges again, with a fresh ID token, at 80 % of the token's life. The files are
//! `app/index.html`, `app/app.js` and `app/app.css`, embedded in the binary.
//!
//! ```
//! # use std::net::SocketAddr;
//! let api: SocketAddr = "127.0.0.1:8260".parse().unwrap();
//! let page: axum::Router = tambo_auth_server::dev::app::router(api);
//! ```
//!
//! Its answers carry a Content Security Policy that runs only the page's own script and lets it
//! connect only to the API, so even a bug that put user text into the document as markup could
//! not run a script or send the token elsewhere; the script itself never does (it writes text
//! with `textContent`).

use std::net::SocketAddr;

use axum::Router;

use super::API_KEY;

const INDEX: &str = include_str!("app/index.html");
const SCRIPT: &str = include_str!("app/app.js");
const STYLE: &str = include_str!("app/app.css");

/// The page for the API on `api` (`GET /`, `/app.js`, `/app.css`). The page learns the API's
/// address and the development API key from `<meta>` elements.
pub fn router(api: SocketAddr) -> Router {
    let api = format!("http://{api}");
    // A socket address formats to digits, dots, colons and brackets: nothing to escape in an
    // attribute or a header value.
    let index = INDEX
        .replace("{{API}}", &api)
        .replace("{{API_KEY}}", API_KEY);
    crate::assets::page("/", index, SCRIPT, STYLE, &api)
}
