//! Operations on a running server, as processes: `tambo-auth revoke` and `tambo-auth keys
//! rotate` write the database, and the running server follows within its refresh interval.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

const API_KEY: &str = "tambo_pk_ops";

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

async fn exchange(client: &reqwest::Client, base: &str, subject: &str) -> String {
    let body = client
        .post(format!("{base}/oauth/token"))
        .header("x-api-key", API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&subject_token={subject}"
        ))
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    let json: Value = serde_json::from_str(&body).expect("json");
    json["access_token"].as_str().expect(&body).to_owned()
}

async fn status(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    client
        .get(format!("{base}/v1/threads"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered")
        .status()
        .as_u16()
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
    let config = dir.path().join("tambo-auth.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\ndatabase_url = \"sqlite://{}/tambo.db\"\n[[projects]]\nid = \"p_ops\"\napi_keys = [\"{API_KEY}\"]\n[projects.verification]\nissuer = \"{}\"\nallow_loopback_http = true\n",
            dir.path().display(),
            idp.issuer()
        ),
    )
    .expect("written");
    let config = config.display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(["serve", "--config", &config])
        .env("TAMBO_AUTH_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address");
    let _server = Running(child);
    let base = line
        .trim()
        .trim_start_matches("tambo-auth listening on ")
        .to_owned();
    let client = reqwest::Client::new();

    let alice = exchange(&client, &base, &idp.token(&idp.claims("alice", now()))).await;
    let bob = exchange(&client, &base, &idp.token(&idp.claims("bob", now()))).await;
    assert_eq!(status(&client, &base, &alice).await, 200);

    // Rotation: new tokens are signed by the new key; the old token keeps working.
    let (code, out, err) = cli(&["keys", "rotate", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    let first_kid = kid(&alice);
    let deadline = Instant::now() + Duration::from_secs(12);
    let rotated = loop {
        let token = exchange(&client, &base, &idp.token(&idp.claims("carol", now()))).await;
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
    let (code, out, err) = cli(&[
        "revoke",
        "--config",
        &config,
        "--project",
        "p_ops",
        "--user",
        &ctx,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(eventually(&client, &base, &alice, 401).await, 401);
    assert_eq!(status(&client, &base, &bob).await, 200, "bob is unaffected");

    // Usage errors.
    assert_eq!(
        cli(&[
            "revoke",
            "--config",
            &config,
            "--project",
            "p_ops",
            "--user",
            "alice"
        ])
        .0,
        1
    );
    assert_eq!(cli(&["revoke", "--config", &config]).0, 2);
    let (code, pem, _) = cli(&["keys", "generate"]);
    assert_eq!(code, 0);
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
}
