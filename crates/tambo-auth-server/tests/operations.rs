//! Operations on a running server, as processes: `tambo-auth revoke`, `tambo-auth keys rotate`
//! and `keys remove` write the database, and the running server follows within its refresh
//! interval.

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

/// `GET /v1/threads` with `token` through `router`: the status and the JSON error code.
async fn api_status(router: &axum::Router, token: &str) -> (u16, Value) {
    let request = axum::http::Request::get("/v1/threads")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let answer = common::send(router, request).await;
    (answer.status.as_u16(), answer.body["error"].clone())
}

/// [`cli`] on a blocking thread, so that the test's identity provider keeps answering.
async fn cli_off_runtime(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || cli(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .expect("joined")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_key_is_refused_after_one_refresh_and_the_other_keys_keep_working() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = common::write_config(dir.path(), &idp.issuer(), API_KEY);
    let config = config_path.display().to_string();
    let server = tambo_auth_server::server::Server::build(
        &tambo_auth_server::config::Config::load(&config_path).expect("config"),
    )
    .await
    .expect("server");
    let router = server.router();
    let exchange = |user: &str| {
        let subject = idp.token(&idp.claims(user, now()));
        let router = &router;
        async move { common::token_in_process(router, API_KEY, &subject).await }
    };

    // Key A signs.
    let under_a = exchange("alice").await;
    let kid_a = kid(&under_a);
    // Rotate: B signs, A keeps verifying during the overlap.
    let (code, out, err) = cli_off_runtime(&["keys", "rotate", "--config", &config]).await;
    assert_eq!(code, 0, "{out}{err}");
    server.refresh_keys().await.expect("refreshed");
    let under_b = exchange("bob").await;
    let kid_b = kid(&under_b);
    assert_ne!(kid_a, kid_b, "B signs after the rotation");
    assert_eq!(api_status(&router, &under_a).await.0, 200, "overlap");
    assert_eq!(api_status(&router, &under_b).await.0, 200);

    // Remove A: one refresh (what the 5 s loop runs) and its tokens are refused, cached or not.
    let (code, out, err) = cli_off_runtime(&["keys", "remove", "--config", &config, &kid_a]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&kid_a), "{out}");
    server.refresh_keys().await.expect("refreshed");
    assert_eq!(
        api_status(&router, &under_a).await,
        (401, Value::from("invalid_token"))
    );
    assert_eq!(
        api_status(&router, &under_b).await.0,
        200,
        "B still verifies"
    );
    let jwks = common::send(
        &router,
        axum::http::Request::get("/.well-known/jwks.json")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
    .body;
    let kids = common::strings(&jwks["keys"], "kid");
    assert_eq!(kids, [kid_b.as_str()], "A is no longer published");
    // A second refresh changes nothing; new exchanges still sign with B.
    server.refresh_keys().await.expect("refreshed");
    assert_eq!(kid(&exchange("carol").await), kid_b);
}

#[test]
fn keys_remove_refuses_the_active_key_and_an_unknown_kid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = common::write_config(dir.path(), "https://idp.example", API_KEY);
    let config = config_path.display().to_string();
    // `keys rotate` on an empty database stores the first key, which signs.
    let (code, out, err) = cli(&["keys", "rotate", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    let active = out
        .strip_prefix("rotated: ")
        .and_then(|rest| rest.split(' ').next())
        .expect("the new kid")
        .to_owned();

    let (code, out, err) = cli(&["keys", "remove", "--config", &config, &active]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("is the active signing key")
            && err.contains("tambo-auth keys rotate")
            && err.contains(&active),
        "{err}"
    );

    // A kid is a base64url thumbprint and may start with `-`: never read as a flag.
    for kid in ["no-such-kid", "-t0XZv1nY2aQ"] {
        let (code, out, err) = cli(&["keys", "remove", "--config", &config, kid]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains(&format!("no signing key with kid \"{kid}\"")),
            "{err}"
        );
    }

    // After a rotation the previous key may go; the new one still may not.
    let (code, out, err) = cli(&["keys", "rotate", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = cli(&["keys", "remove", "--config", &config, &active]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = cli(&["keys", "remove", "--config", &config, &active]);
    assert_eq!(code, 1, "removed twice: {err}");
    assert_eq!(cli(&["keys", "remove", "--config", &config]).0, 2, "no KID");
}
