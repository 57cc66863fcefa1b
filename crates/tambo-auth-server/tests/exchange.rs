//! The server's exchange policy, in process: what `[[projects]]` settings let a user obtain.

mod common;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tambo_auth_server::config::Config;
use tambo_auth_server::server::Server;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{config_text, exchange_form, send};

const API_KEY: &str = "tambo_pk_exchange_policy";

async fn router(idp: &TestIdp, extra: &str) -> axum::Router {
    let mut text = config_text("sqlite::memory:", &[("p_demo", API_KEY, &idp.issuer())]);
    // The project's settings sit before its `[projects.verification]` table.
    text = text.replacen(
        "[projects.verification]",
        &format!("{extra}\n[projects.verification]"),
        1,
    );
    let config = Config::parse(&text).expect("config");
    Server::build(&config).await.expect("server").router()
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
