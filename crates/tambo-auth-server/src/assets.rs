//! The files of the pages the server serves (the client-side retrieval example of
//! `tambo-auth dev`, the settings page), embedded in the binary and answered with the headers a
//! page that holds a token needs.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A handler's answer: `body` as `content_type`, never cached (a page may name this run's
/// ports), never sniffed, no referrer sent from it, and a document with its Content Security
/// `policy`.
pub(crate) fn respond(
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
