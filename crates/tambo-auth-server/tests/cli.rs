//! `tambo-auth token verify` and `token inspect`, run as processes: exit 0 with the user as
//! JSON, 1 with the error code for a refused token, 2 for usage and configuration errors; the
//! token is never printed back.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tambo_auth_testkit::claims::now;
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};

const ISS: &str = "https://idp.example";

/// `tambo-auth args`, with the default log filter (what an operator sees).
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tambo-auth"));
    command.args(args).env_remove("TAMBO_AUTH_LOG");
    command
}

fn tambo_auth(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("the binary exits")
}

/// `tambo-auth token verify --config config token`.
fn verify(config: &str, token: &str) -> Output {
    tambo_auth(&["token", "verify", "--config", config, token], None)
}

/// [`verify`] on a blocking thread, so that the test's identity provider keeps answering.
async fn verify_off_runtime(config: &str, token: &str) -> Output {
    let (config, token) = (config.to_owned(), token.to_owned());
    tokio::task::spawn_blocking(move || verify(&config, &token))
        .await
        .expect("joined")
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("tambo-auth.toml");
    std::fs::write(&path, text).expect("config written");
    path.display().to_string()
}

fn claims(iss: &str) -> Value {
    let now = now();
    json!({"iss": iss, "sub": "user_42", "aud": "https://api.example", "iat": now, "exp": now + 300})
}

fn rsa_token(iss: &str) -> String {
    JwsBuilder::new()
        .header(json!({"alg": "RS256", "kid": "idp-rsa-1", "typ": "JWT"}))
        .payload(claims(iss))
        .sign(&fixtures().rsa, "RS256")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code and "the token never appears in any output".
fn assert_exit(out: &Output, code: i32, token: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    for part in token.split('.').filter(|p| p.len() >= 8) {
        assert!(!stdout(out).contains(part), "the token was printed");
        assert!(!stderr(out).contains(part), "the token was printed");
    }
}

fn assert_error_line(out: &Output, code: &str) {
    let text = stderr(out);
    assert!(
        text.lines().any(|l| l == format!("error: {code}")),
        "expected `error: {code}` in: {text}"
    );
}

fn asymmetric_config(dir: &Path) -> String {
    let key_path = dir.join("idp.pem");
    std::fs::write(&key_path, fixtures().rsa.public_pem()).expect("key written");
    write_config(
        dir,
        &format!(
            r#"
[[projects]]
id = "p_demo"
api_keys = ["tambo_pk_test"]
[projects.verification]
strategy = "asymmetric"
issuer = "{ISS}"
audiences = ["https://api.example"]
public_key_file = "{}"
"#,
            key_path.display()
        ),
    )
}

#[test]
fn a_valid_token_prints_the_user_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = asymmetric_config(dir.path());
    let token = rsa_token(ISS);
    let out = verify(&config, &token);
    assert_exit(&out, 0, &token);
    let user: Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert_eq!(user["sub"], "user_42");
    assert_eq!(user["context_key"], "oauth:user:idp.example:user_42");
    assert_eq!(user["project"], "p_demo");
    assert_eq!(user["strategy"], "asymmetric");
}

#[test]
fn the_token_may_come_from_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = asymmetric_config(dir.path());
    let token = rsa_token(ISS);
    let out = tambo_auth(
        &["token", "verify", "--config", &config, "-"],
        Some(&format!("{token}\n")),
    );
    assert_exit(&out, 0, &token);
}

#[test]
fn a_refused_token_prints_its_error_code_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = asymmetric_config(dir.path());
    for (token, code) in [
        (rsa_token("https://other.example"), "unknown_issuer"),
        (
            JwsBuilder::new()
                .header(json!({"alg": "none"}))
                .payload(claims(ISS))
                .unsigned(),
            "alg_none",
        ),
        ("ya29.a0AfH6SMBx3".to_owned(), "opaque_token"),
    ] {
        let out = verify(&config, &token);
        assert_exit(&out, 1, &token);
        assert_error_line(&out, code);
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn configuration_errors_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = rsa_token(ISS);
    let cases = [
        (
            "[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"none\"\nissuer = \"dev\"\n",
            "projects[0].verification.strategy",
        ),
        (
            "[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"symmetric\"\nissuer = \"x\"\nsecret = \"your-256-bit-secret\"\n",
            "projects[0].verification.secret",
        ),
        (
            "[[projects]]\nid = \"p\"\n[projects.verification]\nissuer = \"https://x.example\"\naudience = \"typo\"\n",
            "audience",
        ),
        (
            "[[projects]]\nid = \"p\"\n[projects.verification]\nissuer = \"https://x.example\"\n",
            "projects[0].verification.audiences",
        ),
        (
            "[[projects]]\nid = \"a\"\n[projects.verification]\nissuer = \"https://a.example\"\n[[projects]]\nid = \"b\"\n[projects.verification]\nissuer = \"https://b.example\"\n",
            "--project",
        ),
    ];
    for (text, field) in cases {
        let config = write_config(dir.path(), text);
        let out = verify(&config, &token);
        assert_exit(&out, 2, &token);
        assert!(stderr(&out).contains(field), "{field}: {}", stderr(&out));
    }
    let out = verify("/nonexistent/tambo.toml", &token);
    assert_exit(&out, 2, &token);
    let out = tambo_auth(&["token", "verify"], None);
    assert_exit(&out, 2, "");
    let out = tambo_auth(&["frobnicate"], None);
    assert_exit(&out, 2, "");
}

#[test]
fn the_symmetric_strategy_reads_its_secret_from_the_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = fixtures().hmac.secret().expect("hmac secret");
    let secret_text = tambo_auth_testkit::jws::b64url(secret);
    let config = write_config(
        dir.path(),
        &format!(
            "[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"symmetric\"\nissuer = \"{ISS}\"\nsecret_env = \"TEST_TAMBO_SECRET\"\nsecret_encoding = \"base64\"\n"
        ),
    );
    let token = JwsBuilder::new()
        .header(json!({"alg": "HS256", "typ": "JWT"}))
        .payload(claims(ISS))
        .sign_hmac(secret, "HS256");
    for (secret, code) in [(Some(secret_text.as_str()), 0), (None, 2)] {
        let mut verify = command(&["token", "verify", "--config", &config, &token]);
        match secret {
            Some(secret) => verify.env("TEST_TAMBO_SECRET", secret),
            None => verify.env_remove("TEST_TAMBO_SECRET"),
        };
        let out = verify.output().expect("runs");
        assert_exit(&out, code, &token);
        assert!(!stdout(&out).contains(&secret_text));
        if secret.is_none() {
            assert!(stderr(&out).contains("secret_env"), "{}", stderr(&out));
        }
    }
}

#[test]
fn the_none_strategy_verifies_in_development_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(
        dir.path(),
        &format!(
            "[server]\nprofile = \"development\"\n[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"none\"\nissuer = \"{ISS}\"\n"
        ),
    );
    let token = JwsBuilder::new()
        .header(json!({"alg": "none"}))
        .payload(claims(ISS))
        .unsigned();
    let out = verify(&config, &token);
    assert_exit(&out, 0, &token);
    assert!(
        stderr(&out).contains("DISABLED"),
        "a loud warning: {}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_jwks_strategies_verify_against_a_live_identity_provider() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let discovery = write_config(
        dir.path(),
        &format!(
            "[[projects]]\nid = \"p\"\n[projects.verification]\nissuer = \"{}\"\nallow_loopback_http = true\nallow_any_audience = true\n",
            idp.issuer()
        ),
    );
    let token = idp.token(&claims(&idp.issuer()));
    let out = verify_off_runtime(&discovery, &token).await;
    assert_exit(&out, 0, &token);
    assert_eq!(idp.discovery_requests(), 1);
    assert_eq!(idp.jwks_requests(), 1);

    let jwks_path = dir.path().join("jwks.toml");
    std::fs::write(
        &jwks_path,
        format!(
            "[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"jwks\"\nissuer = \"{}\"\njwks_url = \"{}\"\nallow_loopback_http = true\nallow_any_audience = true\n",
            idp.issuer(),
            idp.jwks_url()
        ),
    )
    .expect("written");
    let jwks = jwks_path.display().to_string();
    let out = verify_off_runtime(&jwks, &token).await;
    assert_exit(&out, 0, &token);

    // The identity provider down: exit 1 with keys_unavailable, not a crash or a hang.
    let mut idp = idp;
    idp.stop();
    let out = verify_off_runtime(&discovery, &token).await;
    assert_exit(&out, 1, &token);
    assert_error_line(&out, "keys_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_preset_verifies_with_its_adapter() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(
        dir.path(),
        &format!(
            "[[projects]]\nid = \"p\"\n[projects.provider]\nkind = \"clerk\"\nfrontend_api = \"{}\"\nauthorized_parties = [\"{}\"]\n[projects.verification]\nallow_loopback_http = true\n",
            idp.issuer(),
            tambo_auth_testkit::claims::CLERK_AZP
        ),
    );
    let session =
        tambo_auth_testkit::claims::clerk_session_token(&idp.issuer(), "user_2abc", now());
    let token = idp.token(&session);
    let out = verify_off_runtime(&config, &token).await;
    assert_exit(&out, 0, &token);
    let user: Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert_eq!(user["sub"], "user_2abc");
    assert_eq!(user["provider"], "clerk");
}

#[test]
fn inspect_explains_without_trusting_or_echoing() {
    let token = rsa_token("https://acme.us.auth0.com/");
    let out = tambo_auth(&["token", "inspect", &token], None);
    assert_exit(&out, 0, &token);
    let text = stdout(&out);
    assert!(text.contains("form: JWS"), "{text}");
    assert!(text.contains("alg: RS256"), "{text}");
    assert!(text.contains("looks like: Auth0"), "{text}");
    assert!(text.contains("signature: not checked"), "{text}");

    let jwe = tambo_auth_testkit::jws::jwe_like(&json!({"alg": "dir", "enc": "A256GCM"}));
    let out = tambo_auth(&["token", "inspect", &jwe], None);
    assert_exit(&out, 0, &jwe);
    assert!(stdout(&out).contains("form: JWE"));

    let out = tambo_auth(&["token", "inspect", "-"], Some("ya29.a0AfH6SMBx3\n"));
    assert_exit(&out, 0, "");
    assert!(stdout(&out).contains("Google ID token"));
}
