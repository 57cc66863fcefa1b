//! `GET /metrics` after real traffic: exchanges and API requests by status, key-set fetches
//! and readiness per issuer, cache hits; and who may read `/metrics` and `/readyz`'s details.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_details_answer_loopback_peers_and_the_ops_token_only() {
    const OPS: &str = "ops-0123456789abcdef0123456789abcdef";
    let idp = TestIdp::start().await;
    let projects = [("p", API_KEY, idp.issuer())];
    let projects: Vec<_> = projects
        .iter()
        .map(|(p, k, i)| (*p, *k, i.as_str()))
        .collect();
    let with_token = common::router_of(&common::with_ops_token(&projects, OPS)).await;
    let without_token = common::router_of(&common::config_text("sqlite::memory:", &projects)).await;
    let remote = [203, 0, 113, 7];

    // Loopback peers get everything, with or without a token configured.
    for router in [&with_token, &without_token] {
        let local = common::from_peer(router.clone(), [127, 0, 0, 1]);
        let ready = send(&local, get("/readyz", None)).await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{ready:?}");
        assert_eq!(ready.json()["issuers"][0]["issuer"], idp.issuer());
        assert_eq!(
            send(&local, get("/metrics", None)).await.status,
            StatusCode::OK
        );
    }

    // Remote peers: readiness only, and /metrics refused, by exact status and code.
    for (router, token, metrics_status, code, challenge) in [
        (&without_token, None, 403, "forbidden", None),
        (&without_token, Some(OPS), 403, "forbidden", None),
        (
            &with_token,
            None,
            401,
            "missing_token",
            Some("Bearer realm=\"tambo-auth operations\""),
        ),
        (
            &with_token,
            Some("ops-wrong-0123456789abcdef0123456789"),
            401,
            "invalid_token",
            Some("Bearer realm=\"tambo-auth operations\", error=\"invalid_token\""),
        ),
    ] {
        let far = common::from_peer(router.clone(), remote);
        let ready = send(&far, get("/readyz", token)).await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            ready.json(),
            serde_json::json!({"ready": false}),
            "{token:?}"
        );
        let metrics = send(&far, get("/metrics", token)).await;
        assert_eq!(
            metrics.status.as_u16(),
            metrics_status,
            "{token:?}: {metrics:?}"
        );
        assert_eq!(metrics.json()["error"], code);
        assert_eq!(
            metrics
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            challenge
        );
        assert!(!metrics.text().contains(&idp.issuer()));
    }

    // The token opens both from anywhere.
    let far = common::from_peer(with_token.clone(), remote);
    let ready = send(&far, get("/readyz", Some(OPS))).await;
    assert_eq!(ready.json()["issuers"][0]["issuer"], idp.issuer());
    let metrics = send(&far, get("/metrics", Some(OPS))).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .text()
            .contains("tambo_auth_insecure_verification 0")
    );

    // Served without a peer address, every caller is remote.
    let ready = send(&without_token, get("/readyz", None)).await;
    assert_eq!(ready.json(), serde_json::json!({"ready": false}));
    assert_eq!(
        send(&without_token, get("/metrics", None)).await.status,
        StatusCode::FORBIDDEN
    );
}
