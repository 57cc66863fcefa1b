//! Operations on a running server, as processes: `tambo-auth revoke` and `tambo-auth keys
//! rotate` write the database, and the running server follows within its refresh interval.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

const API_KEY: &str = "tambo_pk_ops";

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(args)
        .env("TAMBO_AUTH_LOG", "warn")
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status of `GET /v1/threads` with `token`.
async fn status(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    common::get(client, format!("{base}/v1/threads"), token)
        .await
        .0
}

/// Polls until `want` or the deadline; each call answers at once, nothing sleeps.
async fn eventually(client: &reqwest::Client, base: &str, token: &str, want: u16) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(12);
    loop {
        let got = status(client, base, token).await;
        if got == want || Instant::now() > deadline {
            return got;
        }
        tokio::task::yield_now().await;
    }
}

fn kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().expect("header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("b64");
    let header: Value = serde_json::from_slice(&bytes).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_rotation_reach_a_running_server() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = common::write_config(dir.path(), &idp.issuer(), API_KEY);
    let server = common::start(&config);
    let config = config.display().to_string();
    let base = server.base.clone();
    let client = reqwest::Client::new();
    // A Tambo token for `user`, exchanged now.
    let exchange = |user: &str| {
        let subject = idp.token(&idp.claims(user, now()));
        let (client, base) = (&client, &base);
        async move { common::token(client, base, API_KEY, &subject).await }
    };

    let alice = exchange("alice").await;
    let bob = exchange("bob").await;
    assert_eq!(status(&client, &base, &alice).await, 200);

    // Rotation: new tokens are signed by the new key; the old token keeps working.
    let (code, out, err) = cli(&["keys", "rotate", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    let first_kid = kid(&alice);
    let deadline = Instant::now() + Duration::from_secs(12);
    let rotated = loop {
        let token = exchange("carol").await;
        if kid(&token) != first_kid || Instant::now() > deadline {
            break token;
        }
        tokio::task::yield_now().await;
    };
    assert_ne!(
        kid(&rotated),
        first_kid,
        "the server signs with the rotated key"
    );
    assert_eq!(status(&client, &base, &rotated).await, 200);
    assert_eq!(
        status(&client, &base, &alice).await,
        200,
        "old tokens verify during the overlap"
    );

    // Revocation of every token of alice.
    let ctx = format!(
        "oauth:user:127.0.0.1%3A{}:alice",
        idp.issuer().rsplit(':').next().expect("port")
    );
    let revoke_user = |user: &str| {
        cli(&[
            "revoke",
            "--config",
            &config,
            "--project",
            "p_demo",
            "--user",
            user,
        ])
    };
    let (code, out, err) = revoke_user(&ctx);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(eventually(&client, &base, &alice, 401).await, 401);
    assert_eq!(status(&client, &base, &bob).await, 200, "bob is unaffected");

    // Usage errors.
    assert_eq!(revoke_user("alice").0, 1, "not a context key");
    assert_eq!(cli(&["revoke", "--config", &config]).0, 2);
    let (code, pem, _) = cli(&["keys", "generate"]);
    assert_eq!(code, 0);
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
}
