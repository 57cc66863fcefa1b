//! The files of the pages the server serves (the client-side retrieval example of
//! `tambo-auth dev`, the settings page), embedded in the binary and answered with the headers a
//! page that holds a token needs.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The router of a page of three files: the document `index` at `at`, its `script` and `style`
/// at `{at}/app.js` and `{at}/app.css` (at `/app.js` and `/app.css` when `at` is `/`). The
/// document's Content Security Policy runs only the page's own script and style sheet, and lets
/// it connect only to `connect_src` (a CSP source expression).
pub(crate) fn page(
    at: &str,
    index: String,
    script: &'static str,
    style: &'static str,
    connect_src: &str,
) -> Router {
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src {connect_src}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let html = respond("text/html; charset=utf-8", index, Some(policy));
    let script = respond("text/javascript; charset=utf-8", script.to_owned(), None);
    let style = respond("text/css; charset=utf-8", style.to_owned(), None);
    let folder = at.trim_end_matches('/');
    Router::new()
        .route(at, get(move || std::future::ready(html())))
        .route(
            &format!("{folder}/app.js"),
            get(move || std::future::ready(script())),
        )
        .route(
            &format!("{folder}/app.css"),
            get(move || std::future::ready(style())),
        )
}

/// A handler's answer: `body` as `content_type`, never cached (a page may name this run's
/// ports), never sniffed, no referrer sent from it, and a document with its Content Security
/// `policy`.
fn respond(
    content_type: &'static str,
    body: String,
    policy: Option<String>,
) -> impl Fn() -> Response + Clone + Send + Sync + 'static {
    let policy = policy.and_then(|p| HeaderValue::from_str(&p).ok());
    move || {
        let mut response = (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
            ],
            body.clone(),
        )
            .into_response();
        if let Some(policy) = &policy {
            response.headers_mut().insert(
                HeaderName::from_static("content-security-policy"),
                policy.clone(),
            );
        }
        response
    }
}
