//! Log hygiene of `tambo-auth serve` as a process (docs/security.md H-14): everything it
//! writes at TRACE, every crate included, while it exchanges, refuses, serves `/v1` and its
//! operations endpoints, holds none of the run's tokens, signatures, secrets or keys.

mod common;

use std::process::Stdio;

use serde_json::json;
use tambo_auth_testkit::claims::{claims, now};
use tambo_auth_testkit::jws::hmac_token;
use tambo_auth_testkit::logs::assert_free_of;

use common::{create_thread, exchange, get, start_with_logs, token};

const API_KEY: &str = "tambo_pk_logs_7c41e09b";
const SECRET: &str = "serve-log-hygiene-secret-Zr83kPq1Vw6nYt2Lm9Xc";
const OPS_TOKEN: &str = "ops-token-for-the-log-hygiene-run-5b7d2e9f";
const ISSUER: &str = "https://hmac.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_logs_no_token_secret_or_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("tambo-auth.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\n\
             database_url = \"sqlite://{}/tambo.db\"\nops_token = \"{OPS_TOKEN}\"\n\
             {}\n[[projects]]\nid = \"p_logs\"\napi_keys = [\"{API_KEY}\"]\n\
             [projects.verification]\nstrategy = \"symmetric\"\nissuer = \"{ISSUER}\"\n\
             secret = \"{SECRET}\"\n",
            dir.path().display(),
            common::NO_RATE_LIMITS,
        ),
    )
    .expect("config written");
    let log_path = dir.path().join("serve.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let server = start_with_logs(&config, "trace", Stdio::from(log_file));
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let mut secrets = vec![API_KEY.to_owned(), SECRET.to_owned(), OPS_TOKEN.to_owned()];

    let subject = |sub: &str| {
        hmac_token(
            SECRET.as_bytes(),
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims(ISSUER, sub, now()),
        )
    };
    let (alice, bob) = (subject("alice"), subject("bob"));
    let mut forged = alice.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    secrets.extend([alice.clone(), bob.clone(), forged.clone()]);

    let alice_token = token(&client, &base, API_KEY, &alice).await;
    let bob_token = token(&client, &base, API_KEY, &bob).await;
    secrets.extend([alice_token.clone(), bob_token.clone()]);
    assert_eq!(exchange(&client, &base, API_KEY, &forged).await.0, 400);
    let wrong_key = "tambo_pk_wrong_1f0e6d2c";
    secrets.push(wrong_key.to_owned());
    assert_eq!(exchange(&client, &base, wrong_key, &alice).await.0, 401);
    assert_eq!(exchange(&client, &base, API_KEY, &alice_token).await.0, 400);

    let threads = format!("{base}/v1/threads");
    let thread = create_thread(&client, &threads, &alice_token, json!({"name": "private"})).await;
    let id = thread["id"].as_str().expect("id");
    assert_eq!(
        get(&client, format!("{threads}/{id}"), &bob_token).await.0,
        404
    );
    let mut tampered = alice_token.clone();
    tampered.truncate(tampered.len() - 4);
    tampered.push_str("AAAA");
    secrets.push(tampered.clone());
    for bad in [tampered.as_str(), alice.as_str(), "not-a-token-at-all-3e9a"] {
        assert_eq!(get(&client, threads.clone(), bad).await.0, 401);
    }
    for ops in [OPS_TOKEN, "wrong-ops-token-value-0c8d7e6f5a4b"] {
        let status = client
            .get(format!("{base}/metrics"))
            .bearer_auth(ops)
            .send()
            .await
            .expect("answered")
            .status();
        assert!(status.is_success(), "{status}: loopback peers get details");
    }
    secrets.push("wrong-ops-token-value-0c8d7e6f5a4b".to_owned());

    server.terminate();
    drop(server);
    let logs = std::fs::read_to_string(&log_path).expect("logs");
    for event in [
        "token exchange",
        "invalid_client",
        "bearer authentication failed",
    ] {
        assert!(logs.contains(event), "no {event:?} event was logged");
    }
    assert_free_of(&logs, &secrets);
}
