//! `tambo-auth serve` as a process: start, exchange through the testkit identity provider,
//! use `/v1`, see another user's thread answer 404, and shut down gracefully on SIGTERM.

mod common;

use serde_json::json;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{call, create_thread, get, get_json, start, token};

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
    let thread = create_thread(
        &client,
        &threads,
        &alice,
        json!({"metadata": {"topic": "groceries"},
            "initialMessages": [{"role": "user", "content": [{"type": "text", "text": "milk"}]}]}),
    )
    .await;
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

/// `tambo-auth serve --config <text>`: exit code and standard error. Every configuration here
/// listens on 192.0.2.1 (TEST-NET-1, never a local address), so a refusal the server missed
/// ends in a bind error (exit 1), not in a server that runs forever.
fn serve_refusal(dir: &std::path::Path, text: &str) -> (Option<i32>, String) {
    let config = dir.join("refused.toml");
    std::fs::write(&config, text).expect("config written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("TAMBO_AUTH_LOG", "warn")
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_refuses_unsafe_configurations_with_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = format!(
        "[server]\nlisten = \"192.0.2.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\n\
         database_url = \"sqlite://{}/tambo.db\"\nprofile = \"development\"\n",
        dir.path().display()
    );
    let project = |id: &str, strategy: &str| {
        format!(
            "\n[[projects]]\nid = \"{id}\"\napi_keys = [\"k_{id}\"]\n[projects.verification]\n\
             strategy = \"{strategy}\"\nissuer = \"https://{id}.example\"\n\
             audiences = [\"tambo\"]\njwks_url = \"https://{id}.example/jwks\"\n"
        )
    };
    let cases = [
        // The `none` strategy off loopback: both settings named.
        (
            format!(
                "{server}{}{}",
                project("p_a", "jwks"),
                project("p_b", "none")
            ),
            vec![
                "server.listen",
                "projects[1].verification.strategy",
                "192.0.2.1:0",
            ],
        ),
        // Two projects with one id.
        (
            format!(
                "{server}{}{}",
                project("p_a", "jwks"),
                project("p_a", "jwks")
            ),
            vec!["projects[1].id", "\"p_a\""],
        ),
        // `[token] keys_dir` is no setting (the key ring lives in the database).
        (
            format!(
                "{server}[token]\nkeys_dir = \"/var/lib/tambo\"\n{}",
                project("p_a", "jwks")
            ),
            vec!["keys_dir"],
        ),
        // An operations token short enough to guess.
        (
            format!("{server}ops_token = \"short\"\n{}", project("p_a", "jwks")),
            vec!["server.ops_token", "32"],
        ),
        // A thread that can hold nothing.
        (
            format!(
                "{server}[limits]\nmax_messages_per_thread = 0\n{}",
                project("p_a", "jwks")
            ),
            vec!["limits.max_messages_per_thread"],
        ),
    ];
    for (text, named) in cases {
        let (code, stderr) = serve_refusal(dir.path(), &text);
        assert_eq!(code, Some(2), "{text}\n{stderr}");
        for name in named {
            assert!(stderr.contains(name), "{name} not in: {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_none_strategy_serves_on_loopback() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = format!(
        "[server]\npublic_url = \"http://127.0.0.1:8260\"\n\
         database_url = \"sqlite://{}/tambo.db\"\nprofile = \"development\"\n\
         [[projects]]\nid = \"p_dev\"\napi_keys = [\"k\"]\n[projects.verification]\n\
         strategy = \"none\"\nissuer = \"https://dev.example\"\n",
        dir.path().display()
    );
    // Every loopback form builds (nothing binds here)…
    for listen in ["127.0.0.1:0", "127.0.0.2:0", "[::1]:0", "localhost:0"] {
        let text = base.replace("[server]\n", &format!("[server]\nlisten = \"{listen}\"\n"));
        let config = tambo_auth_server::config::Config::parse(&text).expect("config");
        let built = tambo_auth_server::server::Server::build(&config).await;
        assert!(built.is_ok(), "{listen}: {:?}", built.err());
    }
    // …and no other address does, wildcards included.
    for listen in ["0.0.0.0:0", "[::]:0", "10.1.2.3:0", "tambo.example:8260"] {
        let text = base.replace("[server]\n", &format!("[server]\nlisten = \"{listen}\"\n"));
        let config = tambo_auth_server::config::Config::parse(&text).expect("config");
        match tambo_auth_server::server::Server::build(&config).await {
            Err(tambo_auth_server::server::ServeError::Config(e)) => {
                assert_eq!(e.field, "server.listen", "{listen}: {e}");
                assert!(
                    e.reason.contains("projects[0].verification.strategy"),
                    "{e}"
                );
            }
            other => panic!("{listen}: {other:?}"),
        }
    }
    // The process on 127.0.0.1 starts and answers.
    let config = dir.path().join("dev.toml");
    std::fs::write(
        &config,
        base.replace("[server]\n", "[server]\nlisten = \"127.0.0.1:0\"\n"),
    )
    .expect("written");
    let server = start(&config);
    let (status, _) = get_json(&reqwest::Client::new(), format!("{}/healthz", server.base)).await;
    assert_eq!(status, 200);
}
