//! Helpers shared by the process tests: start `tambo-auth serve`, write its configuration,
//! exchange a subject token, call the API.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running `tambo-auth serve`; killed when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Sends SIGTERM (a graceful shutdown).
    pub(crate) fn terminate(&self) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "kill -TERM {pid}");
    }
}

/// Starts `tambo-auth serve --config config` and reads its address from the first line.
pub(crate) fn start(config: &Path) -> Running {
    start_logging(config, "warn")
}

/// [`start`] with the log filter `TAMBO_AUTH_LOG=log`.
pub(crate) fn start_logging(config: &Path, log: &str) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(["serve", "--config"])
        .arg(config)
        .env("TAMBO_AUTH_LOG", log)
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

/// Writes `tambo-auth.toml` in `dir`: one project `p_demo` with `api_key`, verified by
/// `issuer` over loopback http, SQLite at `dir/tambo.db`, any free port.
pub(crate) fn write_config(dir: &Path, issuer: &str, api_key: &str) -> PathBuf {
    let config = dir.join("tambo-auth.toml");
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
api_keys = ["{api_key}"]
[projects.verification]
issuer = "{issuer}"
allow_loopback_http = true
"#,
            dir.display(),
        ),
    )
    .expect("config written");
    config
}

/// `POST /oauth/token` with an ID token; the status, the `Retry-After` header and the JSON
/// body (`Null` when not JSON).
pub(crate) async fn exchange_full(
    client: &reqwest::Client,
    base: &str,
    api_key: &str,
    subject: &str,
) -> (u16, Option<String>, Value) {
    let response = client
        .post(format!("{base}/oauth/token"))
        .header("x-api-key", api_key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token&subject_token={subject}"
        ))
        .send()
        .await
        .expect("exchange answered");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or("<not ascii>").to_owned());
    let body = response.text().await.expect("body");
    (
        status,
        retry_after,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

/// [`exchange_full`] without the header.
pub(crate) async fn exchange(
    client: &reqwest::Client,
    base: &str,
    api_key: &str,
    subject: &str,
) -> (u16, Value) {
    let (status, _, body) = exchange_full(client, base, api_key, subject).await;
    (status, body)
}

/// One API call with a bearer token and an optional JSON body.
pub(crate) async fn call(
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

/// `GET {base}{path}`: status and JSON body.
pub(crate) async fn get_json(client: &reqwest::Client, url: String) -> (u16, Value) {
    let response = client.get(url).send().await.expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
