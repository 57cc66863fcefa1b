//! `tambo-auth dev` as a process: its printed walkthrough names the client-side retrieval page
//! first (served on its own port, and linked from the API's `/`) and the settings page with
//! this run's admin token, and its curl steps are run exactly as printed, with bash and curl,
//! and must end with bob getting 404 for alice's thread. In process: the secrets stored in the
//! development database open again after a restart (the key in `<data-dir>/secret.key`).

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tambo_auth_server::dev;

#[test]
fn the_printed_walkthrough_works_as_printed() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(["dev", "--port", "0", "--data-dir"])
        .arg(data.path())
        .env("TAMBO_AUTH_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("dev starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    // The walkthrough ends with the 404 line; read up to it.
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("reads") == 0 {
            break;
        }
        let done = line.contains("%{http_code}");
        printed.push_str(&line);
        if done {
            break;
        }
    }
    assert!(
        printed.starts_with("tambo-auth dev listening on http://127.0.0.1:"),
        "{printed}"
    );
    // The page comes first, before the curl steps.
    let (intro, steps) = printed.split_once("\n# 1.").expect("numbered steps");
    let page = intro
        .split_whitespace()
        .find(|word| word.starts_with("http://") && word.ends_with('/'))
        .unwrap_or_else(|| panic!("the page is named before the steps: {intro}"));
    assert!(
        intro.contains(&format!("in a browser:\n\n    {page}\n")),
        "{intro}"
    );
    let api = printed
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("tambo-auth dev listening on "))
        .expect("the API's address");
    assert_ne!(format!("{api}/"), page, "the page has an origin of its own");
    // `curl -s` with `extra` arguments: the body, a newline and the status.
    let curl_with = |extra: &[&str], url: &str| {
        let output = Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}"])
            .args(extra)
            .arg(url)
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let curl = |url: &str| curl_with(&[], url);
    let served = curl(page);
    assert!(
        served.ends_with("\n200") && served.contains("<script src=\"/app.js\""),
        "{served}"
    );
    let index = curl(&format!("{api}/"));
    assert!(
        index.ends_with("\n200") && index.contains(&format!("href=\"{page}\"")),
        "the API's / points to the page: {index}"
    );
    // The settings page and this run's admin token, named before the steps too.
    assert!(
        intro.contains(&format!("\n    {api}/admin\n    admin token ")),
        "{intro}"
    );
    let admin_token = intro
        .lines()
        .find_map(|l| l.trim().strip_prefix("admin token "))
        .expect("the admin token");
    assert!(admin_token.len() >= 32, "{admin_token}");
    let settings = curl(&format!("{api}/admin"));
    assert!(
        settings.ends_with("\n200") && settings.contains("<script src=\"/admin/app.js\""),
        "{settings}"
    );
    let projects = |token: &str| {
        let authorization = format!("authorization: Bearer {token}");
        curl_with(&["-H", &authorization], &format!("{api}/admin/v1/projects"))
    };
    let listed = projects(admin_token);
    assert!(
        listed.ends_with("\n200") && listed.contains("\"label\":\"Development identity provider\""),
        "{listed}"
    );
    assert!(projects(&admin_token[1..]).ends_with("\n401"));

    let script: String = steps
        .lines()
        .skip(1) // the rest of step 1's comment
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .expect("bash runs");
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "script failed: {out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    // Step 3 prints alice's one thread; step 4 prints bob's status for it.
    assert!(lines[0].contains("\"threads\":[{"), "alice's list: {out}");
    assert!(lines[0].contains("groceries"), "alice's list: {out}");
    assert_eq!(lines.last().copied(), Some("404"), "bob: {out}");
}

/// `method path` with `body` on the admin API of `server`: the status and the JSON answer.
async fn admin(server: &dev::DevServer, method: &str, path: &str, body: Value) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(
            "authorization",
            format!("Bearer {}", server.admin_token.expose()),
        )
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let answer = common::send(&server.router, request).await;
    (answer.status.as_u16(), answer.body)
}

#[tokio::test]
async fn secrets_stored_in_development_open_again_after_a_restart() {
    const SECRET: &str = "hmac-secret-for-the-dev-project-0123456789";
    let data = tempfile::tempdir().expect("temp dir");
    let first = dev::start(0, data.path()).await.expect("dev server");
    let key_file = data.path().join(dev::SECRET_KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let (status, project) =
        admin(&first, "POST", "/admin/v1/projects", json!({"name": "HS"})).await;
    assert_eq!(status, 201, "{project}");
    let id = project["id"].as_str().expect("id").to_owned();
    let path = format!("/admin/v1/projects/{id}/verification");
    let settings = json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "secret": SECRET}});
    let (status, project) = admin(&first, "PUT", &path, settings).await;
    assert_eq!(
        (status, &project["hasSecret"]),
        (200, &json!(true)),
        "{project}"
    );
    let first_token = first.admin_token.clone();
    drop(first);

    let again = dev::start(0, data.path()).await.expect("restarted");
    assert_ne!(
        again.admin_token, first_token,
        "a new admin token each start"
    );
    let (status, listing) = admin(&again, "GET", "/admin/v1/projects", Value::Null).await;
    assert_eq!(status, 200);
    let project = listing["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|p| p["id"] == id.as_str())
        .expect("still listed");
    assert_eq!(project["problem"], Value::Null, "{project}");
    let now = tambo_auth_testkit::claims::now();
    let token = tambo_auth_testkit::jws::hmac_token(
        SECRET.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"iss": "https://hs.example", "sub": "carol", "iat": now, "exp": now + 300}),
    );
    let (status, tried) = admin(
        &again,
        "POST",
        &format!("{path}/test"),
        json!({ "token": token }),
    )
    .await;
    assert_eq!((status, &tried["ok"]), (200, &json!(true)), "{tried}");
    drop(again);

    // A key file that is not one is refused, naming it.
    std::fs::write(&key_file, "not a key").expect("written");
    let error = dev::start(0, data.path())
        .await
        .expect_err("a bad key file");
    assert!(error.to_string().contains("secret.key"), "{error}");
}
