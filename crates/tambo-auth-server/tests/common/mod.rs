//! Helpers shared by the server's tests: its configuration, the server in process (its router)
//! or as a process (`tambo-auth serve`), the token exchange and `/v1` calls against either, and
//! a seedable generator for the property tests.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tambo_auth_server::config::Config;
use tambo_auth_server::server::Server;
use tower::ServiceExt as _;

// ---------------------------------------------------------------------------------------------
// Configuration

/// One `[[projects]]` entry: its id, its API key and the issuer whose tokens it exchanges.
pub(crate) type ProjectSpec<'a> = (&'a str, &'a str, &'a str);

/// The suites make thousands of exchanges from one address: no rate limit in their
/// configuration (`tests/exchange.rs` tests the limits, the defaults included).
pub(crate) const NO_RATE_LIMITS: &str = "[rate_limits]\nper_client_per_minute = 0\n\
     per_subject_per_minute = 0\nper_project_per_minute = 0\n";

/// A configuration: the database at `database_url`, any free port, and one project per spec,
/// each verified over OIDC discovery with http allowed to loopback (the test identity
/// provider, whose tokens carry no `aud`: it serves these tests alone).
pub(crate) fn config_text(database_url: &str, projects: &[ProjectSpec<'_>]) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\n\
         database_url = \"{database_url}\"\n{NO_RATE_LIMITS}"
    );
    for (id, api_key, issuer) in projects {
        text.push_str(&format!(
            "\n[[projects]]\nid = \"{id}\"\napi_keys = [\"{api_key}\"]\n\
             [projects.verification]\nissuer = \"{issuer}\"\nallow_loopback_http = true\n\
             allow_any_audience = true\n"
        ));
    }
    text
}

/// Writes `tambo-auth.toml` in `dir`: one project `p_demo` with `api_key`, verified by
/// `issuer` over loopback http, SQLite at `dir/tambo.db`, any free port.
pub(crate) fn write_config(dir: &Path, issuer: &str, api_key: &str) -> PathBuf {
    let config = dir.join("tambo-auth.toml");
    let database_url = format!("sqlite://{}/tambo.db", dir.display());
    std::fs::write(
        &config,
        config_text(&database_url, &[("p_demo", api_key, issuer)]),
    )
    .expect("config written");
    config
}

/// The form body of `POST /oauth/token` exchanging `subject`.
pub(crate) fn exchange_form(subject: &str) -> String {
    format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
         &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token\
         &subject_token={subject}"
    )
}

/// The Tambo token of a `POST /oauth/token` answer, which must be 200.
pub(crate) fn access_token(status: u16, body: &Value) -> String {
    assert_eq!(status, 200, "exchange: {body}");
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_token in {body}"))
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// In process: the router

/// The server's router, built in process on an in-memory SQLite database with `projects`.
/// Requests come from a loopback peer, as they do to `tambo-auth serve` in these tests.
pub(crate) async fn router(projects: &[ProjectSpec<'_>]) -> axum::Router {
    let text = config_text("sqlite::memory:", projects);
    from_peer(router_of(&text).await, [127, 0, 0, 1])
}

/// The router of the server configured by `text`, without a peer address.
pub(crate) async fn router_of(text: &str) -> axum::Router {
    let config = Config::parse(text).expect("config");
    Server::build(&config).await.expect("server").router()
}

/// The configuration text of [`router`] with `[server] ops_token = token`.
pub(crate) fn with_ops_token(projects: &[ProjectSpec<'_>], token: &str) -> String {
    config_text("sqlite::memory:", projects).replacen(
        "[server]\n",
        &format!("[server]\nops_token = \"{token}\"\n"),
        1,
    )
}

/// `router` with every request coming from `ip` (the peer address `tambo-auth serve` passes).
pub(crate) fn from_peer(router: axum::Router, ip: [u8; 4]) -> axum::Router {
    router.layer(axum::extract::connect_info::MockConnectInfo(
        std::net::SocketAddr::from((ip, 40_000)),
    ))
}

/// An answer of the router.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// The body as sent.
    pub(crate) bytes: Vec<u8>,
    /// The body as JSON; `Null` when empty or not JSON.
    pub(crate) body: Value,
}

impl Answer {
    /// The body as JSON; panics when it is not.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub(crate) fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Whether the answer says its body is JSON.
    pub(crate) fn is_json(&self) -> bool {
        self.content_type().starts_with("application/json")
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} {}",
            self.status,
            self.content_type(),
            self.text()
        )
    }
}

/// Sends `request` through `router`.
pub(crate) async fn send(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("body")
        .to_vec();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bytes,
    }
}

/// `POST /oauth/token` exchanging `subject` with `api_key`.
pub(crate) fn exchange_request(api_key: &str, subject: &str) -> Request<Body> {
    Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-api-key", api_key)
        .body(Body::from(exchange_form(subject)))
        .expect("request")
}

/// The Tambo token the router issues for `subject` with `api_key`.
pub(crate) async fn token_in_process(
    router: &axum::Router,
    api_key: &str,
    subject: &str,
) -> String {
    let answer = send(router, exchange_request(api_key, subject)).await;
    access_token(answer.status.as_u16(), &answer.body)
}

// ---------------------------------------------------------------------------------------------
// As a process: `tambo-auth serve`

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
    start_with_logs(config, log, Stdio::inherit())
}

/// [`start_logging`] with the logs (stderr) sent to `logs`.
pub(crate) fn start_with_logs(config: &Path, log: &str, logs: Stdio) -> Running {
    start_with_env(config, log, logs, &[])
}

/// [`start_with_logs`] with `env` added to the server's environment.
pub(crate) fn start_with_env(
    config: &Path,
    log: &str,
    logs: Stdio,
    env: &[(&str, &str)],
) -> Running {
    let binary = Path::new(env!("CARGO_BIN_EXE_tambo-auth"));
    let (child, base) = tambo_auth_testkit::process::serve(binary, config, log, logs, env);
    Running { child, base }
}

/// `POST /oauth/token` exchanging `subject`; the status, the `Retry-After` header and the JSON
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
        .body(exchange_form(subject))
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

/// Asserts that exchanging `subject` with `api_key` is refused with `status` and the OAuth
/// `error` code.
pub(crate) async fn assert_exchange_refused(
    client: &reqwest::Client,
    base: &str,
    (api_key, subject): (&str, &str),
    status: u16,
    error: &str,
) {
    let (got, body) = exchange(client, base, api_key, subject).await;
    assert_eq!(
        (got, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
}

/// The Tambo token the server issues for `subject` with `api_key`.
pub(crate) async fn token(
    client: &reqwest::Client,
    base: &str,
    api_key: &str,
    subject: &str,
) -> String {
    let (status, body) = exchange(client, base, api_key, subject).await;
    access_token(status, &body)
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

/// `POST {threads}` as `token` with `body`, which must answer 201: the new thread.
pub(crate) async fn create_thread(
    client: &reqwest::Client,
    threads: &str,
    token: &str,
    body: Value,
) -> Value {
    let (status, thread) = call(
        client,
        reqwest::Method::POST,
        threads.to_owned(),
        token,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{thread}");
    thread
}

/// [`call`] with `GET` and no body.
pub(crate) async fn get(client: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    call(client, reqwest::Method::GET, url, token, None).await
}

/// `GET url` without credentials: status and JSON body.
pub(crate) async fn get_json(client: &reqwest::Client, url: String) -> (u16, Value) {
    let response = client.get(url).send().await.expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Either way

/// Every item of a `/v1` list (`field`: `threads` or `messages`), page by page with `limit`,
/// checking the page links on the way. `page` reads `{path}?limit=…{extra}[&cursor=…]` and
/// answers its JSON body, or an error that ends the walk.
pub(crate) async fn walk<E, Fut>(
    path: &str,
    field: &str,
    limit: usize,
    extra: &str,
    ctx: &str,
    mut page: impl FnMut(String) -> Fut,
) -> Result<Vec<Value>, E>
where
    Fut: Future<Output = Result<Value, E>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let uri = match &cursor {
            None => format!("{path}?limit={limit}{extra}"),
            Some(c) => format!("{path}?limit={limit}{extra}&cursor={c}"),
        };
        let body = page(uri).await?;
        let batch = body[field]
            .as_array()
            .unwrap_or_else(|| panic!("{ctx}: {field} in {body}"));
        assert!(batch.len() <= limit, "{ctx}: page over limit {limit}");
        items.extend(batch.iter().cloned());
        match body["nextCursor"].as_str() {
            Some(next) => {
                assert_eq!(body["hasMore"], true, "{ctx}: {body}");
                assert_eq!(batch.len(), limit, "{ctx}: a page with more is full");
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(body["hasMore"], false, "{ctx}: {body}");
                return Ok(items);
            }
        }
    }
    panic!("{ctx}: the list did not end");
}

/// The environment variable `name` parsed, or `default`.
pub(crate) fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The string `member` of each object in the JSON array `list`, in order (objects without it
/// skipped): the ids of a listing, the actions of an audit trail.
pub(crate) fn strings<'a>(list: &'a Value, member: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .filter_map(|item| item[member].as_str())
        .collect()
}

/// The `/v1` calls on the thread `thread`, as `(method, path, body)`: read it, rename it,
/// delete it, list its messages and add one.
pub(crate) fn thread_calls(thread: &str) -> [(&'static str, String, Option<Value>); 5] {
    let message = serde_json::json!({"role": "user", "content": [{"type": "text", "text": "hi"}]});
    [
        ("GET", format!("/v1/threads/{thread}"), None),
        (
            "PATCH",
            format!("/v1/threads/{thread}"),
            Some(serde_json::json!({"name": "n"})),
        ),
        ("DELETE", format!("/v1/threads/{thread}"), None),
        ("GET", format!("/v1/threads/{thread}/messages"), None),
        (
            "POST",
            format!("/v1/threads/{thread}/messages"),
            Some(message),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Databases

/// A database a test runs on: an SQLite file, or a PostgreSQL schema of its own (dropped by
/// [`TestDb::drop_schema`]).
pub(crate) struct TestDb {
    pub(crate) url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub(crate) fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        TestDb {
            // A nested path: the store creates missing directories as well as the file.
            url: format!("sqlite://{}/data/tambo.db", dir.path().display()),
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    /// A fresh schema in the database `TAMBO_AUTH_TEST_POSTGRES_URL` names; `None` (with a
    /// notice) when it is not set, as `.ci/run` sets it.
    pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
        use sqlx::Connection as _;
        let Ok(base) = std::env::var("TAMBO_AUTH_TEST_POSTGRES_URL") else {
            println!("skipped: TAMBO_AUTH_TEST_POSTGRES_URL is not set");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .subsec_nanos();
        // The unique part first: PostgreSQL cuts identifiers at 63 bytes.
        let schema = format!("t_{}_{nanos}_{test}", std::process::id());
        let schema = &schema[..schema.len().min(63)];
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .expect("TAMBO_AUTH_TEST_POSTGRES_URL does not answer");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut conn)
            .await
            .expect("create schema");
        conn.close().await.expect("close");
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(TestDb {
            url: format!("{base}{separator}options=-c%20search_path%3D{schema}"),
            _dir: None,
            pg_schema: Some((base, schema.to_owned())),
        })
    }

    /// A new connection to this database (the store applies the migrations again).
    pub(crate) async fn open(&self) -> tambo_auth_server::store::Store {
        tambo_auth_server::store::Store::connect(&self.url)
            .await
            .expect("connect")
    }

    /// The backend this database is on.
    pub(crate) fn backend(&self) -> tambo_auth_server::store::Backend {
        if self.pg_schema.is_some() {
            tambo_auth_server::store::Backend::Postgres
        } else {
            tambo_auth_server::store::Backend::Sqlite
        }
    }

    pub(crate) async fn drop_schema(self) {
        use sqlx::Connection as _;
        if let Some((base, schema)) = self.pg_schema {
            let mut conn = sqlx::PgConnection::connect(&base).await.expect("connect");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA \"{schema}\" CASCADE"
            )))
            .execute(&mut conn)
            .await
            .expect("drop schema");
        }
    }
}

/// Runs each named `async fn(&TestDb)` once per backend, as the tests `sqlite::name` and
/// `postgres::name` (the latter a notice and a pass without `TAMBO_AUTH_TEST_POSTGRES_URL`).
// Some test crates do not use it; `dead_code` does not cover a macro or its re-export.
#[allow(unused_macros)]
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(&crate::common::TestDb::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::common::TestDb::postgres(stringify!($name)).await
                    else {
                        return;
                    };
                    super::$name(&db).await;
                    db.drop_schema().await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_each_backend;
