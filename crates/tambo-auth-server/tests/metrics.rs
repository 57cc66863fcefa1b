//! `GET /metrics` after real traffic: exchanges and API requests by status, key-set fetches
//! and readiness per issuer, cache hits.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{exchange_request, send};

const API_KEY: &str = "tambo_pk_metrics";

fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::empty()).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_happened() {
    let idp = TestIdp::start().await;
    let router = common::router(&[("p", API_KEY, &idp.issuer())]).await;

    let subject = idp.token(&idp.claims("alice", now()));
    let token = common::token_in_process(&router, API_KEY, &subject).await;
    // (request, status): what the metrics below count.
    let traffic = [
        (
            exchange_request(API_KEY, "not.a.token"),
            StatusCode::BAD_REQUEST,
        ),
        (get("/v1/threads", Some(&token)), StatusCode::OK),
        (get("/v1/threads", Some(&token)), StatusCode::OK),
        (get("/v1/threads", None), StatusCode::UNAUTHORIZED),
        (get("/.well-known/jwks.json", None), StatusCode::OK),
    ];
    for (request, status) in traffic {
        let what = format!("{} {}", request.method(), request.uri());
        let answer = send(&router, request).await;
        assert_eq!(answer.status, status, "{what}: {answer:?}");
    }

    let answer = send(&router, get("/metrics", None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    // The classic Prometheus text format, which every Prometheus version scrapes.
    assert_eq!(
        answer.content_type(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = String::from_utf8(answer.bytes).expect("UTF-8");
    let issuer = idp.issuer();
    for line in [
        "tambo_auth_exchanges_total{status=\"200\"} 1".to_owned(),
        "tambo_auth_exchanges_total{status=\"400\"} 1".to_owned(),
        "tambo_auth_api_requests_total{status=\"200\"} 2".to_owned(),
        "tambo_auth_api_requests_total{status=\"401\"} 1".to_owned(),
        "tambo_auth_token_cache_hits_total 1".to_owned(),
        "tambo_auth_token_cache_misses_total 1".to_owned(),
        "tambo_auth_token_cache_entries 1".to_owned(),
        format!("tambo_auth_jwks_fetches_total{{issuer=\"{issuer}\",result=\"ok\"}} 1"),
        format!("tambo_auth_jwks_fetches_total{{issuer=\"{issuer}\",result=\"error\"}} 0"),
        format!("tambo_auth_issuer_ready{{issuer=\"{issuer}\"}} 1"),
        "tambo_auth_insecure_verification 0".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    assert!(!text.contains(&token[..20]), "no token in metrics");
}
