//! `GET /metrics` after real traffic: exchanges and API requests by status, key-set fetches
//! and readiness per issuer, cache hits.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tambo_auth_server::config::Config;
use tambo_auth_server::server::Server;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;
use tower::ServiceExt as _;

async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_happened() {
    let idp = TestIdp::start().await;
    let config = Config::parse(&format!(
        r#"
[server]
public_url = "http://127.0.0.1:8260"
database_url = "sqlite::memory:"
[[projects]]
id = "p"
api_keys = ["tambo_pk_metrics"]
[projects.verification]
issuer = "{}"
allow_loopback_http = true
"#,
        idp.issuer()
    ))
    .expect("config");
    let router = Server::build(&config).await.expect("server").router();

    let subject = idp.token(&idp.claims("alice", now()));
    let exchange = |token: &str| {
        Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-api-key", "tambo_pk_metrics")
            .body(Body::from(format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&subject_token={token}"
            )))
            .expect("request")
    };
    let (status, body) = send(&router, exchange(&subject)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).expect("json");
    let token = token["access_token"].as_str().expect("token").to_owned();
    assert_eq!(
        send(&router, exchange("not.a.token")).await.0,
        StatusCode::BAD_REQUEST
    );
    for _ in 0..2 {
        let list = Request::get("/v1/threads")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        assert_eq!(send(&router, list).await.0, StatusCode::OK);
    }
    let anonymous = Request::get("/v1/threads")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&router, anonymous).await.0, StatusCode::UNAUTHORIZED);
    let jwks = Request::get("/.well-known/jwks.json")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&router, jwks).await.0, StatusCode::OK);

    let response = router
        .clone()
        .oneshot(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    // The classic Prometheus text format, which every Prometheus version scrapes.
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
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
