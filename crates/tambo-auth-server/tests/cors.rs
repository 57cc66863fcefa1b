//! CORS for client-side retrieval: `[server] cors_origins` lets exactly those browser origins
//! call `/oauth/token` and `/v1` (preflight answered, `WWW-Authenticate` readable, never `*`,
//! never credentials), and `tambo-auth dev` allows exactly its page's origin, on its
//! development identity provider's token route too.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tambo_auth_server::config::Config;
use tambo_auth_server::dev;
use tambo_auth_server::server::Server;

use common::{Answer, config_text, from_peer, router_of, send};

const APP: &str = "http://127.0.0.1:8261";
const ELSEWHERE: &str = "http://127.0.0.1:9999";
const ISSUER: &str = "http://127.0.0.1:1/never-contacted";

fn with_origins(origins: &str) -> String {
    config_text("sqlite::memory:", &[("p", "tambo_pk_cors", ISSUER)]).replacen(
        "[server]\n",
        &format!("[server]\ncors_origins = {origins}\n"),
        1,
    )
}

/// A preflight from `origin` for `method` on `path`, with the headers a page sends.
fn preflight(path: &str, origin: &str, method: &str, headers: &str) -> Request<Body> {
    Request::options(path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .body(Body::empty())
        .expect("request")
}

fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer.headers.get(name).and_then(|v| v.to_str().ok())
}

fn lower_list(answer: &Answer, name: &str) -> Vec<String> {
    header(answer, name)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test]
async fn configured_origins_may_call_the_exchange_and_v1_and_no_other_origin_may() {
    let router = from_peer(
        router_of(&with_origins(&format!("[\"{APP}\"]"))).await,
        [127, 0, 0, 1],
    );

    let exchange = send(
        &router,
        preflight("/oauth/token", APP, "POST", "content-type,x-api-key"),
    )
    .await;
    assert!(exchange.status.is_success(), "{exchange:?}");
    assert_eq!(header(&exchange, "access-control-allow-origin"), Some(APP));
    let allowed = lower_list(&exchange, "access-control-allow-headers");
    assert!(
        allowed.contains(&"x-api-key".into()) && allowed.contains(&"content-type".into()),
        "{allowed:?}"
    );

    for method in ["GET", "POST", "PATCH", "DELETE"] {
        let api = send(
            &router,
            preflight(
                "/v1/threads",
                APP,
                method,
                "authorization,content-type,x-api-key",
            ),
        )
        .await;
        assert!(api.status.is_success(), "{method}: {api:?}");
        assert_eq!(header(&api, "access-control-allow-origin"), Some(APP));
        assert!(
            lower_list(&api, "access-control-allow-methods").contains(&method.to_lowercase()),
            "{method}: {api:?}"
        );
        let allowed = lower_list(&api, "access-control-allow-headers");
        for needed in ["authorization", "content-type", "x-api-key"] {
            assert!(allowed.contains(&needed.into()), "{needed}: {allowed:?}");
        }
        assert_eq!(header(&api, "access-control-allow-credentials"), None);
    }

    // A refusal reaches the page with its challenge readable: that is how it tells an expired
    // token (`invalid_token`: exchange again) from a missing one.
    let refused = send(
        &router,
        Request::get("/v1/threads")
            .header("origin", APP)
            .header("authorization", "Bearer not-a-token")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&refused, "access-control-allow-origin"), Some(APP));
    assert!(
        lower_list(&refused, "access-control-expose-headers").contains(&"www-authenticate".into()),
        "{refused:?}"
    );

    // Another origin gets no CORS header anywhere: its page cannot read an answer.
    for request in [
        preflight("/oauth/token", ELSEWHERE, "POST", "content-type,x-api-key"),
        preflight("/v1/threads", ELSEWHERE, "GET", "authorization"),
        Request::get("/v1/threads")
            .header("origin", ELSEWHERE)
            .body(Body::empty())
            .expect("request"),
    ] {
        let answer = send(&router, request).await;
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            None,
            "{answer:?}"
        );
    }
}

#[tokio::test]
async fn without_origins_no_cors_header_is_sent() {
    let router = from_peer(router_of(&with_origins("[]")).await, [127, 0, 0, 1]);
    for request in [
        preflight("/oauth/token", APP, "POST", "content-type,x-api-key"),
        preflight("/v1/threads", APP, "GET", "authorization"),
    ] {
        let answer = send(&router, request).await;
        assert!(!answer.status.is_success(), "{answer:?}");
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            None,
            "{answer:?}"
        );
    }
}

#[tokio::test]
async fn a_wildcard_or_a_url_with_a_path_is_refused_naming_the_setting() {
    for origins in [
        "[\"*\"]",
        "[\"https://app.example.com/\"]",
        "[\"https://app.example.com/app\"]",
        "[\"app.example.com\"]",
    ] {
        let config = Config::parse(&with_origins(origins)).expect("parses");
        let error = Server::build(&config).await.map(|_| ()).expect_err(origins);
        assert!(
            error.to_string().starts_with("server.cors_origins: "),
            "{origins}: {error}"
        );
    }
}

#[tokio::test]
async fn dev_mode_allows_exactly_its_page_origin() {
    let data = tempfile::tempdir().expect("temp dir");
    let dev = dev::start(0, data.path()).await.expect("dev server");
    let page = format!("http://{}", dev.app_addr);
    assert_ne!(dev.app_addr.port(), dev.addr.port());
    let router = from_peer(dev.router.clone(), [127, 0, 0, 1]);

    for (path, method, headers) in [
        ("/oauth/token", "POST", "content-type,x-api-key"),
        ("/v1/threads", "POST", "authorization,content-type"),
    ] {
        let answer = send(&router, preflight(path, &page, method, headers)).await;
        assert!(answer.status.is_success(), "{path}: {answer:?}");
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some(page.as_str()),
            "{path}"
        );
    }
    // The page fetches its user's ID token from the identity provider (a simple GET: no
    // preflight, but the answer is readable only with the header).
    let token_path = format!("{}/token?sub=alice", dev::IDP_PATH);
    let minted = send(
        &router,
        Request::get(token_path.as_str())
            .header("origin", &page)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(minted.status, StatusCode::OK);
    assert_eq!(
        header(&minted, "access-control-allow-origin"),
        Some(page.as_str())
    );
    let elsewhere = send(
        &router,
        Request::get(token_path.as_str())
            .header("origin", ELSEWHERE)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(header(&elsewhere, "access-control-allow-origin"), None);
}
