//! `tambo-auth serve` as a process: start, exchange through the testkit identity provider,
//! use `/v1`, see another user's thread answer 404, and shut down gracefully on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

const API_KEY: &str = "tambo_pk_serve_test";

struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &std::path::Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(["serve", "--config"])
        .arg(config)
        .env("TAMBO_AUTH_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server prints its address");
    let base = line
        .trim()
        .strip_prefix("tambo-auth listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Running { child, base }
}

async fn exchange(client: &reqwest::Client, base: &str, subject: &str) -> (u16, Value) {
    let response = client
        .post(format!("{base}/oauth/token"))
        .header("x-api-key", API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token&subject_token={subject}"
        ))
        .send()
        .await
        .expect("exchange answered");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_exchanges_and_keeps_each_users_threads_apart() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("tambo-auth.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:8260"
database_url = "sqlite://{}/tambo.db"

[[projects]]
id = "p_demo"
api_keys = ["{API_KEY}"]
[projects.verification]
issuer = "{}"
allow_loopback_http = true
"#,
            dir.path().display(),
            idp.issuer()
        ),
    )
    .expect("config written");
    let server = start(&config);
    let client = reqwest::Client::new();
    let base = server.base.clone();

    let (status, ready) = {
        let r = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    };
    assert_eq!(
        status, 503,
        "keys not loaded before the first exchange: {ready}"
    );

    let alice_subject = idp.token(&idp.claims("alice", now()));
    let (status, alice) = exchange(&client, &base, &alice_subject).await;
    assert_eq!(status, 200, "{alice}");
    let alice = alice["access_token"].as_str().expect("token").to_owned();
    let (status, bob) = exchange(&client, &base, &idp.token(&idp.claims("bob", now()))).await;
    assert_eq!(status, 200);
    let bob = bob["access_token"].as_str().expect("token").to_owned();
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);

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

    let (status, list) = call(&client, reqwest::Method::GET, threads.clone(), &alice, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["threads"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["hasMore"], false);

    let (status, list) = call(&client, reqwest::Method::GET, threads.clone(), &bob, None).await;
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

    let (status, messages) = call(
        &client,
        reqwest::Method::GET,
        format!("{threads}/{id}/messages"),
        &alice,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(messages["messages"][0]["content"][0]["text"], "milk");

    let (status, _) = call(
        &client,
        reqwest::Method::GET,
        threads.clone(),
        "not.a.token",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let response = client.get(&threads).send().await.expect("answered");
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));

    // SIGTERM: a graceful exit.
    let mut server = server;
    let pid = server.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = server.child.wait().expect("the server exits");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
}
