//! The server's exchange policy, in process: what `[[projects]]` settings let a user obtain.

mod common;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tambo_auth_server::config::Config;
use tambo_auth_server::server::Server;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{NO_RATE_LIMITS, config_text, exchange_form, send};

const API_KEY: &str = "tambo_pk_exchange_policy";

async fn router(idp: &TestIdp, extra: &str) -> axum::Router {
    router_with(idp, extra, NO_RATE_LIMITS).await
}

/// The server with `extra` in the project's settings and `rate_limits` as its
/// `[rate_limits]` section.
async fn router_with(idp: &TestIdp, extra: &str, rate_limits: &str) -> axum::Router {
    let mut text = config_text("sqlite::memory:", &[("p_demo", API_KEY, &idp.issuer())]);
    text = text.replacen(NO_RATE_LIMITS, rate_limits, 1);
    // The project's settings sit before its `[projects.verification]` table.
    text = text.replacen(
        "[projects.verification]",
        &format!("{extra}\n[projects.verification]"),
        1,
    );
    let config = Config::parse(&text).expect("config");
    Server::build(&config).await.expect("server").router()
}

/// A router as `serve` runs it: each request from `peer`.
fn from_peer(router: axum::Router, peer: &str) -> axum::Router {
    let peer: std::net::SocketAddr = peer.parse().expect("socket address");
    router.layer(axum::extract::connect_info::MockConnectInfo(peer))
}

/// Exchanges a token of `idp` for alice holding `held`, asking for `scope`.
async fn exchange(
    router: &axum::Router,
    idp: &TestIdp,
    held: Value,
    scope: &str,
) -> common::Answer {
    let mut claims = idp.claims("alice", now());
    for (name, value) in held.as_object().expect("claims") {
        claims[name] = value.clone();
    }
    let body = format!(
        "{}&scope={}",
        exchange_form(&idp.token(&claims)),
        scope.replace(' ', "+")
    );
    let request = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-api-key", API_KEY)
        .body(Body::from(body))
        .expect("request");
    send(router, request).await
}

/// Granted = requested ∩ `scopes` ∩ what the user holds: the API key is public, so a user
/// cannot obtain `threads:write` by asking for it (docs/security.md H-08).
#[tokio::test]
async fn scopes_are_granted_only_when_the_project_lists_them_and_the_user_holds_them() {
    let idp = TestIdp::start().await;
    let router = router(&idp, "scopes = [\"threads:read\", \"threads:write\"]").await;
    let both = "threads:read threads:write";

    let answer = exchange(&router, &idp, json!({"scope": "threads:read"}), both).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["scope"], "threads:read");

    let answer = exchange(
        &router,
        &idp,
        json!({"permissions": ["threads:read", "threads:write", "admin"]}),
        &format!("{both} admin"),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["scope"], both);

    for (held, scope) in [
        (json!({}), "threads:write"),
        (json!({"scope": "threads:read"}), "threads:write"),
        (json!({"scope": "admin"}), "admin"),
    ] {
        let answer = exchange(&router, &idp, held, scope).await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(answer.body["error"], "invalid_scope");
    }

    // Without `scopes`, the project grants none.
    let router = self::router(&idp, "").await;
    let answer = exchange(
        &router,
        &idp,
        json!({"scope": "threads:read"}),
        "threads:read",
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body["error"], "invalid_scope");
}

/// `[rate_limits]` is on by default; over a limit the answer is 429 `slow_down` with
/// `Retry-After` (docs/security.md H-02).
#[tokio::test]
async fn exchanges_are_rate_limited_per_client_address() {
    let defaults = Config::parse("").expect("config").rate_limits;
    assert!(defaults.per_client_per_minute > 0 && defaults.per_subject_per_minute > 0);
    assert!(defaults.per_project_per_minute > 0 && defaults.failure_cost > 1);
    assert!(defaults.trusted_proxies.is_empty());

    let idp = TestIdp::start().await;
    let limits = "[rate_limits]\nper_client_per_minute = 2\nper_client_burst = 2\n";
    let router = router_with(&idp, "", limits).await;
    let (near, far) = (
        from_peer(router.clone(), "198.51.100.7:50000"),
        from_peer(router, "198.51.100.8:50000"),
    );
    for _ in 0..2 {
        assert_eq!(exchange(&near, &idp, json!({}), "").await.status, 200);
    }
    let answer = exchange(&near, &idp, json!({}), "").await;
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.body["error"], "slow_down");
    assert_eq!(answer.headers["retry-after"], "30");
    assert_eq!(exchange(&far, &idp, json!({}), "").await.status, 200);

    // The defaults apply: a user exchanging over and over is held back.
    let router = from_peer(router_with(&idp, "", "").await, "198.51.100.9:1");
    let per_subject = defaults.per_subject_per_minute;
    for _ in 0..per_subject {
        assert_eq!(exchange(&router, &idp, json!({}), "").await.status, 200);
    }
    let answer = exchange(&router, &idp, json!({}), "").await;
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(
        answer.headers["retry-after"],
        (60 / per_subject).to_string().as_str()
    );

    let bad = Config::parse("[rate_limits]\ntrusted_proxies = [\"10.0.0.0/40\"]").expect("parses");
    let err = bad.rate_limits.build().expect_err("a bad CIDR block");
    assert_eq!(err.field, "rate_limits.trusted_proxies");
}
