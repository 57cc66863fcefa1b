//! The admin API in process: projects, verification settings validated by building them, API
//! keys shown once, secrets never returned nor logged, the audit trail, and projects of the
//! configuration file read-only. The same suite runs on PostgreSQL when
//! `TAMBO_AUTH_TEST_POSTGRES_URL` is set (as `.ci/run` sets it).

mod common;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tambo_auth_server::config::{Config, Sensitive};
use tambo_auth_server::server::Server;
use tambo_auth_testkit::claims::now;
use tambo_auth_testkit::{TestIdp, logs};

use common::{Answer, TestDb, send};

const ADMIN: &str = "admin-token-0123456789abcdef0123456789";
const SECRET_KEY: &str = "3q2+7wECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=";
const FILE_KEY: &str = "tambo_pk_file_project";
const HMAC_SECRET: &str = "hmac-secret-for-api-project-0123456789abcdef";

struct Admin {
    router: axum::Router,
}

impl Admin {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {ADMIN}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request");
        send(&self.router, request).await
    }

    async fn create(&self, name: &str) -> String {
        let answer = self
            .call("POST", "/admin/v1/projects", Some(json!({ "name": name })))
            .await;
        assert_eq!(answer.status, 201, "{answer:?}");
        answer.body["id"].as_str().expect("id").to_owned()
    }

    async fn verification(&self, id: &str, body: Value) -> Answer {
        self.call(
            "PUT",
            &format!("/admin/v1/projects/{id}/verification"),
            Some(body),
        )
        .await
    }

    /// A new project verified by `idp`.
    async fn verified_by(&self, idp: &TestIdp, name: &str) -> String {
        let id = self.create(name).await;
        let answer = self
            .verification(&id, json!({ "verification": loopback_issuer(idp) }))
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        id
    }

    async fn new_key(&self, id: &str) -> (String, String) {
        let answer = self
            .call("POST", &format!("/admin/v1/projects/{id}/api-keys"), None)
            .await;
        assert_eq!(answer.status, 201, "{answer:?}");
        let field = |name: &str| answer.body[name].as_str().expect(name).to_owned();
        (field("id"), field("key"))
    }

    async fn project(&self, id: &str) -> Value {
        let answer = self.call("GET", "/admin/v1/projects", None).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body["projects"]
            .as_array()
            .expect("projects")
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .expect("listed")
    }
}

/// The server on `db` with one file project verified by `idp`, and the admin API on.
async fn server(db: &str, idp: &TestIdp, secret_key: bool) -> Admin {
    let text = common::config_text(db, &[("p_file", FILE_KEY, &idp.issuer())]);
    let mut config = Config::parse(&text).expect("config");
    config.admin.token = Some(Sensitive::from(ADMIN));
    if secret_key {
        config.admin.secret_key = Some(Sensitive::from(SECRET_KEY));
    }
    let router = Server::build(&config).await.expect("server").router();
    Admin {
        router: common::from_peer(router, [127, 0, 0, 1]),
    }
}

fn loopback_issuer(idp: &TestIdp) -> Value {
    json!({ "issuer": idp.issuer(), "allow_loopback_http": true, "allow_any_audience": true })
}

async fn exchange(admin: &Admin, key: &str, subject: &str) -> Answer {
    send(&admin.router, common::exchange_request(key, subject)).await
}

common::on_each_backend!(
    a_project_made_through_the_api_exchanges_with_its_key_until_the_key_is_deleted,
    every_setting_that_does_not_build_is_a_400_naming_it_and_nothing_is_saved,
);

#[tokio::test]
async fn the_admin_api_is_off_without_its_token_and_refuses_any_other_token() {
    let idp = TestIdp::start().await;
    let text = common::config_text("sqlite::memory:", &[("p_file", FILE_KEY, &idp.issuer())]);
    let off = common::router_of(&text).await;
    let answer = send(
        &off,
        Request::get("/admin/v1/projects")
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(answer.status, 404);

    // Too short, or with what no bearer header can match (read from a file with its newline).
    for token in ["too-short", "admin-token-0123456789abcdef0123456789\n"] {
        let mut config = Config::parse(&text).expect("config");
        config.admin.token = Some(Sensitive::from(token));
        let error = Server::build(&config).await.expect_err("unusable token");
        assert!(
            error
                .to_string()
                .contains("TAMBO_AUTH_ADMIN_TOKEN: at least 32 visible ASCII characters"),
            "{error}"
        );
    }

    let admin = server("sqlite::memory:", &idp, true).await;
    for authorization in [
        None,
        Some("Bearer wrong-token-0123456789abcdef0123456789"),
        Some(ADMIN),
    ] {
        let mut request = Request::get("/admin/v1/projects");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let answer = send(&admin.router, request.body(Body::empty()).expect("request")).await;
        assert_eq!(answer.status, 401, "{authorization:?}");
        assert_eq!(answer.content_type(), "application/problem+json");
        assert_eq!(answer.body["status"], 401);
        assert!(answer.headers.contains_key("www-authenticate"));
    }
}

async fn a_project_made_through_the_api_exchanges_with_its_key_until_the_key_is_deleted(
    db: &TestDb,
) {
    let idp = TestIdp::start().await;
    let admin = server(&db.url, &idp, true).await;
    let id = admin.create("Acme threads").await;
    assert!(id.starts_with("p_"), "{id}");
    let answer = admin
        .verification(&id, json!({ "verification": loopback_issuer(&idp) }))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["managedBy"], "api");
    assert_eq!(answer.body["verification"]["issuer"], idp.issuer());

    let (key_id, key) = admin.new_key(&id).await;
    assert!(key.starts_with("tambo_pk_") && key.len() > 40, "{key}");
    let subject = idp.token(&idp.claims("alice", now()));
    let answer = exchange(&admin, &key, &subject).await;
    assert_eq!(answer.status, 200, "{answer:?}");

    let listed = admin.project(&id).await;
    let keys = listed["apiKeys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], key_id);
    assert_eq!(keys[0]["prefix"], &key[..13]);
    assert!(!listed.to_string().contains(&key), "the key is listed");
    // The use is recorded beside the exchange, not before its answer.
    let started = std::time::Instant::now();
    while !admin.project(&id).await["apiKeys"][0]["lastUsed"].is_string() {
        assert!(
            started.elapsed().as_secs() < 10,
            "the key's use is never recorded"
        );
        tokio::task::yield_now().await;
    }

    let path = format!("/admin/v1/projects/{id}/api-keys/{key_id}");
    assert_eq!(admin.call("DELETE", &path, None).await.status, 204);
    let answer = exchange(&admin, &key, &subject).await;
    assert_eq!(
        (answer.status.as_u16(), answer.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let gone = admin.call("DELETE", &path, None).await;
    assert_eq!(
        (gone.status.as_u16(), &gone.body["title"]),
        (404, &json!("not found"))
    );

    // The file's own project is untouched, listed read-only.
    assert_eq!(exchange(&admin, FILE_KEY, &subject).await.status, 200);
    let file = admin.project("p_file").await;
    assert_eq!(file["managedBy"], "config");
    for (method, path, body) in [
        (
            "PUT",
            "/admin/v1/projects/p_file/verification",
            Some(json!({"verification": loopback_issuer(&idp)})),
        ),
        ("POST", "/admin/v1/projects/p_file/api-keys", None),
        (
            "DELETE",
            "/admin/v1/projects/p_file/api-keys/config-0",
            None,
        ),
    ] {
        let answer = admin.call(method, path, body).await;
        assert_eq!(
            (answer.status.as_u16(), &answer.body["title"]),
            (409, &json!("managed by the configuration file")),
            "{method} {path}: {answer:?}"
        );
    }
    let taken = admin
        .call(
            "POST",
            "/admin/v1/projects",
            Some(json!({"id": "p_file", "name": "x"})),
        )
        .await;
    assert_eq!(
        (taken.status.as_u16(), &taken.body["title"]),
        (409, &json!("id in use"))
    );

    // Text the database cannot hold is the caller's mistake, on both backends.
    let nul = admin
        .call(
            "POST",
            "/admin/v1/projects",
            Some(json!({"name": "a\u{0}b"})),
        )
        .await;
    assert_eq!(
        (nul.status.as_u16(), &nul.body["title"]),
        (400, &json!("invalid request"))
    );
    let nul = admin
        .call("POST", "/admin/v1/projects/p_%00/api-keys", None)
        .await;
    assert_eq!(
        (nul.status.as_u16(), &nul.body["title"]),
        (400, &json!("invalid request"))
    );
}

async fn every_setting_that_does_not_build_is_a_400_naming_it_and_nothing_is_saved(db: &TestDb) {
    let idp = TestIdp::start().await;
    let admin = server(&db.url, &idp, true).await;
    let id = admin.create("Validation").await;
    let good = json!({ "verification": loopback_issuer(&idp) });
    assert_eq!(admin.verification(&id, good.clone()).await.status, 200);
    let before = admin.project(&id).await;
    let private_pem = tambo_auth_testkit::fixtures().ed.private_pem();
    for (body, field) in [
        (
            json!({"verification": {"strategy": "symmetric", "issuer": "x", "secret": "too-short"}}),
            "verification.secret",
        ),
        (
            json!({"verification": {"strategy": "asymmetric", "issuer": "https://x.example", "audiences": ["a"], "public_key": "not a key"}}),
            "verification.public_key",
        ),
        (
            json!({"verification": {"strategy": "asymmetric", "issuer": "https://x.example", "audiences": ["a"], "public_key": private_pem}}),
            "verification.public_key",
        ),
        (
            json!({"verification": {"issuer": "http://idp.example.com", "audiences": ["a"]}}),
            "verification.issuer",
        ),
        (
            json!({"verification": {"strategy": "none", "issuer": "dev"}}),
            "verification.strategy",
        ),
        (
            json!({"verification": {"issuer": "https://idp.example.com"}}),
            "verification.audiences",
        ),
        (
            json!({"verification": {"issuer": "https://idp.example.com", "audiences": ["a"], "secret_env": "HOME"}}),
            "verification.secret_env",
        ),
        (
            json!({"verification": {"issuer": "https://x.example", "audience": "typo"}}),
            "verification",
        ),
        (
            json!({"provider": {"kind": "auth0", "domain": "acme.us.auth0.com"}}),
            "provider.audience",
        ),
        (json!({"provider": {"kind": "pingone"}}), "provider.kind"),
        (
            json!({"verification": {"issuer": "https://x.example", "audiences": ["a"]}, "extra": 1}),
            "extra",
        ),
        (json!({}), "verification"),
    ] {
        let answer = admin.verification(&id, body.clone()).await;
        assert_eq!(answer.status, 400, "{body}: {answer:?}");
        assert_eq!(answer.content_type(), "application/problem+json");
        assert_eq!(answer.body["field"], field, "{body}: {answer:?}");
        assert_eq!(
            admin.project(&id).await,
            before,
            "{body} changed the project"
        );
    }
    let unknown = admin.verification("p_unknown", good).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn secrets_are_sealed_never_returned_nor_logged_and_kept_when_not_given_again() {
    let idp = TestIdp::start().await;
    let logs = logs::capture();
    let admin = server("sqlite::memory:", &idp, true).await;
    let id = admin.create("Symmetric").await;
    let symmetric = json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "secret": HMAC_SECRET}});
    let answer = admin.verification(&id, symmetric).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["hasSecret"], true);
    // Saved again without the secret (another leeway): the stored one is kept.
    let again = json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "leeway": "30s"}});
    assert_eq!(admin.verification(&id, again).await.status, 200);
    let (_, key) = admin.new_key(&id).await;
    let token = tambo_auth_testkit::jws::hmac_token(
        HMAC_SECRET.as_bytes(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"iss": "https://hs.example", "sub": "bob", "iat": now(), "exp": now() + 300}),
    );
    assert_eq!(exchange(&admin, &key, &token).await.status, 200);

    let tried = admin
        .call(
            "POST",
            &format!("/admin/v1/projects/{id}/verification/test"),
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(tried.body["ok"], true, "{tried:?}");
    for path in ["/admin/v1/projects", "/admin/v1/audit"] {
        let answer = admin.call("GET", path, None).await;
        assert!(
            !answer.text().contains(HMAC_SECRET),
            "{path} shows the secret"
        );
        assert!(!answer.text().contains(&key), "{path} shows the API key");
    }
    logs.assert_free_of([HMAC_SECRET, key.as_str(), ADMIN, SECRET_KEY]);

    // Without TAMBO_AUTH_SECRET_KEY a secret cannot be stored.
    let keyless = server("sqlite::memory:", &idp, false).await;
    let id = keyless.create("No key").await;
    let answer = keyless
        .verification(&id, json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "secret": HMAC_SECRET}}))
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.body["field"].as_str()),
        (400, Some("verification.secret"))
    );
}

#[tokio::test]
async fn trying_a_token_tells_what_the_exchange_would_do_and_issues_nothing() {
    let idp = TestIdp::start().await;
    let admin = server("sqlite::memory:", &idp, true).await;
    let id = admin.verified_by(&idp, "Try").await;
    let try_token = |token: String| {
        let admin = &admin;
        let id = id.clone();
        async move {
            admin
                .call(
                    "POST",
                    &format!("/admin/v1/projects/{id}/verification/test"),
                    Some(json!({ "token": token })),
                )
                .await
        }
    };
    let answer = try_token(idp.token(&idp.claims("alice", now()))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["ok"], true, "{answer:?}");
    assert_eq!(answer.body["user"]["sub"], "alice");
    let mut expired = idp.claims("alice", now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let answer = try_token(idp.token(&expired)).await;
    assert_eq!(answer.body["ok"], false);
    assert_eq!(answer.body["error"], "expired");
    assert!(
        answer.body["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("fresh token")),
        "{answer:?}"
    );
    // The file's project can be tried too.
    let answer = admin
        .call(
            "POST",
            "/admin/v1/projects/p_file/verification/test",
            Some(json!({"token": idp.token(&idp.claims("bob", now()))})),
        )
        .await;
    assert_eq!(answer.body["ok"], true, "{answer:?}");
}

#[tokio::test]
async fn the_audit_trail_says_who_changed_what_and_when_without_secrets() {
    let idp = TestIdp::start().await;
    let admin = server("sqlite::memory:", &idp, true).await;
    let id = admin.create("Audited").await;
    admin
        .verification(&id, json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "secret": HMAC_SECRET}}))
        .await;
    let (key_id, key) = admin.new_key(&id).await;
    admin
        .call(
            "DELETE",
            &format!("/admin/v1/projects/{id}/api-keys/{key_id}"),
            None,
        )
        .await;
    let answer = admin.call("GET", "/admin/v1/audit", None).await;
    assert_eq!(answer.status, 200);
    let entries = answer.body["entries"].as_array().expect("entries");
    let actions = common::strings(&answer.body["entries"], "action");
    assert_eq!(
        actions,
        [
            "api_key.delete",
            "api_key.create",
            "project.verification",
            "project.create"
        ]
    );
    for entry in entries {
        assert_eq!(entry["actor"], "admin-api");
        assert_eq!(entry["project"], id.as_str());
        assert!(
            entry["at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{entry}"
        );
    }
    assert_eq!(entries[1]["detail"]["keyId"], key_id.as_str());
    assert_eq!(entries[2]["detail"]["secretsChanged"], json!(["secret"]));
    assert!(!answer.text().contains(HMAC_SECRET) && !answer.text().contains(&key));
}

#[tokio::test]
async fn a_stored_setting_that_stops_building_keeps_the_last_good_one_serving_and_readyz_names_it()
{
    let idp = TestIdp::start().await;
    let db = TestDb::sqlite();
    let text = common::config_text(&db.url, &[("p_file", FILE_KEY, &idp.issuer())]);
    let mut config = Config::parse(&text).expect("config");
    config.admin.token = Some(Sensitive::from(ADMIN));
    let server = Server::build(&config).await.expect("server");
    let admin = Admin {
        router: common::from_peer(server.router(), [127, 0, 0, 1]),
    };
    let id = admin.verified_by(&idp, "Drifting").await;
    let (_, key) = admin.new_key(&id).await;
    let subject = idp.token(&idp.claims("alice", now()));
    assert_eq!(exchange(&admin, &key, &subject).await.status, 200);

    // Another writer stores settings this version cannot build (a jwks strategy without its URL).
    let store = tambo_auth_server::store::Store::connect(&db.url)
        .await
        .expect("store");
    let audit = tambo_auth_server::store::AuditEntry {
        at: now() as i64,
        actor: "test".into(),
        action: "project.verification".into(),
        project: Some(id.clone()),
        detail: "{}".into(),
    };
    let broken = json!({"verification": {"strategy": "jwks", "issuer": "https://x.example", "audiences": ["a"]}});
    assert!(
        store
            .update_project_settings(&id, &broken.to_string(), None, now() as i64, &audit)
            .await
            .expect("stored")
    );
    server.refresh_projects().await.expect("refreshed");

    assert_eq!(
        exchange(&admin, &key, &subject).await.status,
        200,
        "the last good settings serve"
    );
    let ready = send(
        &admin.router,
        Request::get("/readyz")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let problems = ready.body["projects"].as_array().expect("projects").clone();
    assert_eq!(problems.len(), 1, "{ready:?}");
    assert_eq!(problems[0]["id"], id.as_str());
    assert!(
        problems[0]["problem"]
            .as_str()
            .is_some_and(|p| p.contains("jwks_url")),
        "{ready:?}"
    );
    assert_eq!(admin.project(&id).await["problem"], problems[0]["problem"]);
}
