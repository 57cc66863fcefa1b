//! `tambo-auth serve` as a process: start, exchange through the testkit identity provider,
//! use `/v1`, see another user's thread answer 404, and shut down gracefully on SIGTERM.

mod common;

use serde_json::json;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{call, get, get_json, start, token};

const API_KEY: &str = "tambo_pk_serve_test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_exchanges_and_keeps_each_users_threads_apart() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = common::write_config(dir.path(), &idp.issuer(), API_KEY);
    let server = start(&config);
    let client = reqwest::Client::new();
    let base = server.base.clone();

    let (status, ready) = get_json(&client, format!("{base}/readyz")).await;
    assert_eq!(
        status, 503,
        "keys not loaded before the first exchange: {ready}"
    );

    let subject = |user: &str| idp.token(&idp.claims(user, now()));
    let alice = token(&client, &base, API_KEY, &subject("alice")).await;
    let bob = token(&client, &base, API_KEY, &subject("bob")).await;
    let (status, ready) = get_json(&client, format!("{base}/readyz")).await;
    assert_eq!(status, 200, "{ready}");

    let threads = format!("{base}/v1/threads");
    let (status, thread) = call(
        &client,
        reqwest::Method::POST,
        threads.clone(),
        &alice,
        Some(json!({"metadata": {"topic": "groceries"},
            "initialMessages": [{"role": "user", "content": [{"type": "text", "text": "milk"}]}]})),
    )
    .await;
    assert_eq!(status, 201, "{thread}");
    let id = thread["id"].as_str().expect("id").to_owned();
    assert_eq!(thread["runStatus"], "idle");

    let (status, list) = get(&client, threads.clone(), &alice).await;
    assert_eq!(status, 200);
    assert_eq!(list["threads"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["hasMore"], false);

    let (status, list) = get(&client, threads.clone(), &bob).await;
    assert_eq!(
        (status, list["threads"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    for (method, url, body) in [
        (reqwest::Method::GET, format!("{threads}/{id}"), None),
        (
            reqwest::Method::PATCH,
            format!("{threads}/{id}"),
            Some(json!({"name": "mine now"})),
        ),
        (reqwest::Method::DELETE, format!("{threads}/{id}"), None),
        (
            reqwest::Method::GET,
            format!("{threads}/{id}/messages"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("{threads}/{id}/messages"),
            Some(json!({"role": "user", "content": [{"type": "text", "text": "hi"}]})),
        ),
    ] {
        let (status, body) = call(&client, method.clone(), url, &bob, body).await;
        assert_eq!(status, 404, "{method} as bob: {body}");
        assert_eq!(body["error"], "not_found");
    }

    let (status, messages) = get(&client, format!("{threads}/{id}/messages"), &alice).await;
    assert_eq!(status, 200);
    assert_eq!(messages["messages"][0]["content"][0]["text"], "milk");

    let (status, _) = get(&client, threads.clone(), "not.a.token").await;
    assert_eq!(status, 401);
    let response = client.get(&threads).send().await.expect("answered");
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: serde_json::Value =
        serde_json::from_str(&response.text().await.expect("body")).expect("JSON");
    assert_eq!(
        body["error"], "missing_token",
        "JSON errors everywhere: {body}"
    );

    // SIGTERM: a graceful exit.
    let mut server = server;
    server.terminate();
    let exit = server.child.wait().expect("the server exits");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
}
