//! A migration window end to end, for Supabase: `tambo-auth serve` with the project's signing
//! keys as its path and the legacy JWT secret as the previous path until a date. Users keep
//! their threads whichever token they send, the metrics count each path, and once the date
//! has passed the server warns at startup and refuses the legacy tokens.

mod common;

use std::process::Stdio;
use std::time::{Duration, SystemTime};

use serde_json::json;
use tambo_auth_testkit::claims::{now, supabase_access_token};
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

use common::{create_thread, exchange, get, start_with_env, token};

const API_KEY: &str = "tambo_pk_supabase_migration";
const SECRET_VAR: &str = "TAMBO_TEST_SUPABASE_LEGACY_JWT_SECRET";
const LEGACY_SECRET: &str = "q8Vt3xR1mZ7kP2wN9cL5jH4gF6dS0aB8yU3eT7iO1pQ";
const ADA: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const GRACE: &str = "0b3f9a2c-6d1e-4f5a-8b7c-9e0d1f2a3b4c";

/// The configuration: the signing keys as the project's path, the legacy secret (through
/// `SECRET_VAR`) as the previous one until `until`.
fn config(dir: &std::path::Path, project_url: &str, until: SystemTime) -> std::path::PathBuf {
    let until = humantime::format_rfc3339_seconds(until);
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\n\
         database_url = \"sqlite://{db}\"\n{limits}\n\
         [[projects]]\nid = \"p_supabase\"\napi_keys = [\"{API_KEY}\"]\n\
         [projects.provider]\nkind = \"supabase\"\nproject_url = \"{project_url}\"\n\
         [projects.verification]\nallow_loopback_http = true\n\
         [projects.migration]\nuntil = \"{until}\"\n\
         [projects.migration.provider]\nkind = \"supabase\"\nproject_url = \"{project_url}\"\n\
         legacy_jwt_secret_env = \"{SECRET_VAR}\"\n\
         [projects.migration.verification]\nallow_loopback_http = true\n",
        db = dir.join("tambo.db").display(),
        limits = common::NO_RATE_LIMITS,
    );
    let path = dir.join("tambo-auth.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

/// The testkit as a Supabase project's Auth: issuer `…/auth/v1`, an ES256 signing key.
async fn supabase_idp() -> TestIdp {
    TestIdp::builder()
        .issuer_path("/auth/v1")
        .keys(vec![fixtures().ec.clone()])
        .start()
        .await
}

fn legacy_token(issuer: &str, sub: &str) -> String {
    JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(supabase_access_token(issuer, sub, now()))
        .sign_hmac(LEGACY_SECRET.as_bytes(), "HS256")
}

/// The series of `name` for `path` in a Prometheus exposition.
fn series(metrics: &str, name: &str, path: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l.contains(&format!("path=\"{path}\"")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn supabase_users_keep_their_threads_across_the_move_to_signing_keys() {
    let idp = supabase_idp().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let until = SystemTime::now() + Duration::from_secs(30 * 86_400);
    let config = config(dir.path(), &idp.base_url(), until);
    let server = start_with_env(
        &config,
        "warn",
        Stdio::inherit(),
        &[(SECRET_VAR, LEGACY_SECRET)],
    );
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let threads = format!("{base}/v1/threads");

    // Before the move: Ada's session is an HS256 token of the legacy secret.
    let before = token(&client, &base, API_KEY, &legacy_token(&idp.issuer(), ADA)).await;
    let topic = json!({"metadata": {"topic": "before the move"}});
    let thread = create_thread(&client, &threads, &before, topic).await;

    // After it: an ES256 token of the project's signing keys, the same user and threads.
    let signed = |sub: &str| idp.token(&supabase_access_token(&idp.issuer(), sub, now()));
    let after = token(&client, &base, API_KEY, &signed(ADA)).await;
    let (status, list) = get(&client, threads.clone(), &after).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["threads"][0]["id"], thread["id"], "{list}");
    assert_eq!(list["threads"].as_array().map(Vec::len), Some(1));

    // Another user sees none of it, whichever path signed her token.
    for grace in [signed(GRACE), legacy_token(&idp.issuer(), GRACE)] {
        let grace = token(&client, &base, API_KEY, &grace).await;
        let (status, list) = get(&client, threads.clone(), &grace).await;
        assert_eq!(
            (status, list["threads"].as_array().map(Vec::len)),
            (200, Some(0))
        );
    }

    // A token of neither path (another secret) is refused as before.
    let forged = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(supabase_access_token(&idp.issuer(), ADA, now()))
        .sign_hmac(b"another-secret-0123456789abcdefghijklmnopqrstuv", "HS256");
    common::assert_exchange_refused(&client, &base, (API_KEY, &forged), 400, "invalid_request")
        .await;

    // Each path is counted: the operator sees the previous one in use, then falling silent.
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let verified = "tambo_auth_migration_verified_total";
    assert_eq!(
        series(&metrics, verified, "previous"),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        series(&metrics, verified, "current"),
        Some(2.0),
        "{metrics}"
    );
    let closes = series(&metrics, "tambo_auth_migration_closes_seconds", "previous");
    let until_unix = until
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    assert_eq!(closes, Some(until_unix as f64));
    assert!(
        series(
            &metrics,
            "tambo_auth_migration_last_verified_seconds",
            "previous"
        ) > Some(0.0)
    );
}

#[tokio::test]
async fn after_the_date_the_server_warns_at_startup_and_refuses_the_previous_path() {
    let idp = supabase_idp().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let closed = SystemTime::now() - Duration::from_secs(86_400);
    let config = config(dir.path(), &idp.base_url(), closed);
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = start_with_env(
        &config,
        "warn",
        Stdio::from(log),
        &[(SECRET_VAR, LEGACY_SECRET)],
    );
    let client = reqwest::Client::new();

    let legacy = legacy_token(&idp.issuer(), ADA);
    common::assert_exchange_refused(
        &client,
        &server.base,
        (API_KEY, &legacy),
        400,
        "invalid_request",
    )
    .await;
    let signed = idp.token(&supabase_access_token(&idp.issuer(), ADA, now()));
    let (status, body) = exchange(&client, &server.base, API_KEY, &signed).await;
    assert_eq!(status, 200, "{body}");

    server.terminate();
    let logs = std::fs::read_to_string(&log_path).expect("logs");
    assert!(logs.contains("the migration window has closed"), "{logs}");
    assert!(!logs.contains(LEGACY_SECRET), "the secret is in the logs");
}
