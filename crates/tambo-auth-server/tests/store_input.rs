//! What `/v1` refuses before the database sees it, over HTTP, on SQLite and on PostgreSQL (when
//! `TAMBO_AUTH_TEST_POSTGRES_URL` names one): text the database cannot hold is 400
//! `invalid_request`, an id this server never made is 404 `not_found`, never a 500; and the
//! bounds of a thread: `GET /v1/threads/{id}` answers a page of messages, `[limits]` refuses a
//! full thread (409 `thread_full`) and a large message (413 `message_too_large`).

mod common;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{Answer, TestDb, send};

const API_KEY: &str = "tambo_pk_input";

common::on_each_backend!(
    nul_characters_and_overlong_keys_are_refused_never_a_server_error,
    ids_this_server_never_made_are_not_found_for_every_verb,
    reading_a_thread_answers_a_page_of_its_messages,
    a_full_thread_and_a_large_message_are_refused_by_the_limits,
);

/// The server on `db` with one project verified by a test identity provider; `extra` is
/// appended to the configuration (a `[limits]` section).
struct App {
    router: axum::Router,
    idp: TestIdp,
}

impl App {
    async fn start(db: &TestDb, extra: &str) -> App {
        let idp = TestIdp::start().await;
        let mut text = common::config_text(&db.url, &[("p_input", API_KEY, &idp.issuer())]);
        text.push_str(extra);
        let router = common::router_of(&text).await;
        App { router, idp }
    }

    /// The exchange's answer for a subject token with `sub`.
    async fn exchange(&self, sub: &str) -> Answer {
        let subject = self.idp.token(&self.idp.claims(sub, now()));
        send(&self.router, common::exchange_request(API_KEY, &subject)).await
    }

    /// A Tambo token for `sub`.
    async fn token(&self, sub: &str) -> String {
        let answer = self.exchange(sub).await;
        common::access_token(answer.status.as_u16(), &answer.body)
    }

    /// `GET uri` as `token`.
    async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call("GET", uri, token, None).await
    }

    /// `POST uri` as `token` with the JSON `body`.
    async fn post(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.call("POST", uri, token, Some(body)).await
    }

    /// Creates a thread as `token` from `body`; its id.
    async fn create_thread(&self, token: &str, body: Value) -> String {
        let created = self.post("/v1/threads", token, body).await;
        assert_eq!(created.status, 201, "{created:?}");
        created.json()["id"].as_str().expect("a string").to_owned()
    }

    async fn call(&self, method: &str, uri: &str, token: &str, body: Option<Value>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        send(&self.router, request.body(body).expect("request")).await
    }
}

/// `answer` is `status` with the API error `code`.
fn assert_refused(answer: &Answer, status: u16, code: &str, ctx: &str) {
    assert_eq!(answer.status.as_u16(), status, "{ctx}: {answer:?}");
    assert_eq!(answer.json()["error"], code, "{ctx}: {answer:?}");
}

fn text(s: &str) -> Value {
    json!({"role": "user", "content": [{"type": "text", "text": s}]})
}

/// The messages `m{i}` for each `i` of `range`.
fn numbered_texts(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(|i| text(&format!("m{i}"))).collect()
}

async fn nul_characters_and_overlong_keys_are_refused_never_a_server_error(db: &TestDb) {
    let app = App::start(db, "").await;
    let alice = app.token("alice").await;

    // A NUL in a thread name: 400, at creation and at rename.
    let answer = app
        .post("/v1/threads", &alice, json!({"name": "a\u{0}b"}))
        .await;
    assert_refused(&answer, 400, "invalid_request", "create with a NUL name");
    assert!(
        answer.json()["message"]
            .as_str()
            .expect("a string")
            .contains("name")
    );
    let id = app.create_thread(&alice, json!({"name": "ok"})).await;
    let answer = app
        .call(
            "PATCH",
            &format!("/v1/threads/{id}"),
            &alice,
            Some(json!({"name": "\u{0}"})),
        )
        .await;
    assert_refused(&answer, 400, "invalid_request", "rename with a NUL");

    // A NUL in message content and metadata is JSON text (`\u0000`): stored and read back.
    let message = json!({"role": "user", "content": [{"type": "text", "text": "x\u{0}y"}],
        "metadata": {"k\u{0}": "v\u{0}"}});
    let added = app
        .post(
            &format!("/v1/threads/{id}/messages"),
            &alice,
            message.clone(),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let read = app.get(&format!("/v1/threads/{id}"), &alice).await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(read.json()["messages"][0]["content"], message["content"]);
    assert_eq!(read.json()["messages"][0]["metadata"], message["metadata"]);

    // A subject whose context key is over 1024 bytes: every /v1 call is 400, none is 500.
    // (`oauth:user:127.0.0.1%3A<port>:` is 31 bytes; PostgreSQL's own B-tree limit, about
    // 2700 bytes, is past what a Tambo token can carry: the layer refuses it as too large.)
    let fits = app.token(&"s".repeat(900)).await;
    for sub_len in [1100, 2000] {
        let long = app.token(&"s".repeat(sub_len)).await;
        let calls = [
            ("POST", "/v1/threads".to_owned(), Some(json!({}))),
            ("GET", "/v1/threads".to_owned(), None),
        ];
        for (method, uri, body) in calls.into_iter().chain(common::thread_calls(&id)) {
            let answer = app.call(method, &uri, &long, body.clone()).await;
            let ctx = format!("{method} {uri} with a {sub_len}-byte sub");
            assert_refused(&answer, 400, "invalid_request", &ctx);
            let message = answer.json()["message"]
                .as_str()
                .expect("a string")
                .to_owned();
            assert!(message.contains("context key"), "{ctx}: {message}");
        }
    }
    let answer = app.post("/v1/threads", &fits, json!({})).await;
    assert_eq!(
        answer.status, 201,
        "a 930-byte context key is kept: {answer:?}"
    );

    // A subject with a NUL: refused at the exchange, or else by every /v1 call; never a 500.
    let exchanged = app.exchange("mallory\u{0}").await;
    if exchanged.status == 200 {
        let token = exchanged.json()["access_token"]
            .as_str()
            .expect("a string")
            .to_owned();
        let answer = app.post("/v1/threads", &token, json!({})).await;
        assert_refused(&answer, 400, "invalid_request", "a NUL in the context key");
        let answer = app.get("/v1/threads", &token).await;
        assert_refused(&answer, 400, "invalid_request", "a NUL in the context key");
    } else {
        assert_eq!(exchanged.status, 400, "{exchanged:?}");
    }
}

async fn ids_this_server_never_made_are_not_found_for_every_verb(db: &TestDb) {
    let app = App::start(db, "").await;
    let alice = app.token("alice").await;
    let id = app
        .create_thread(&alice, json!({"initialMessages": [text("hi")]}))
        .await;
    let read = app.get(&format!("/v1/threads/{id}"), &alice).await;
    let message = read.json()["messages"][0]["id"]
        .as_str()
        .expect("a string")
        .to_owned();
    let long = "a".repeat(4000);
    for bad in [
        "thr_0123456789abcdefghjkmnpq%00".to_owned(),
        format!("{id}%00"),
        format!("thr_{long}"),
        long.clone(),
        "msg_0123456789abcdefghjkmnpqrs".to_owned(),
    ] {
        let reads = [
            ("GET", format!("/v1/threads/{bad}/messages/{message}"), None),
            ("GET", format!("/v1/threads/{id}/messages/{bad}"), None),
        ];
        for (method, uri, body) in common::thread_calls(&bad).into_iter().chain(reads) {
            let answer = app.call(method, &uri, &alice, body).await;
            assert_refused(
                &answer,
                404,
                "not_found",
                &format!("{method} {}", &uri[..60.min(uri.len())]),
            );
        }
    }
    // The real ids still answer.
    let answer = app
        .get(&format!("/v1/threads/{id}/messages/{message}"), &alice)
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

async fn reading_a_thread_answers_a_page_of_its_messages(db: &TestDb) {
    let app = App::start(db, "").await;
    let alice = app.token("alice").await;
    let initial = numbered_texts(0..130);
    let id = app
        .create_thread(&alice, json!({"initialMessages": initial}))
        .await;
    let texts = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                m["content"][0]["text"]
                    .as_str()
                    .expect("a string")
                    .to_owned()
            })
            .collect()
    };

    // 100 by default, oldest first, with a cursor to the rest.
    let first = app.get(&format!("/v1/threads/{id}"), &alice).await.json();
    assert_eq!(
        texts(&first),
        (0..100).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    assert_eq!(first["hasMore"], true);
    let cursor = first["nextCursor"].as_str().expect("nextCursor").to_owned();
    let rest = app
        .get(&format!("/v1/threads/{id}?cursor={cursor}"), &alice)
        .await
        .json();
    assert_eq!(
        texts(&rest),
        (100..130).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    assert_eq!(rest["hasMore"], false);
    assert!(rest.get("nextCursor").is_none());
    assert_eq!(rest["id"], first["id"]);
    // The same cursor continues the message list.
    let listed = app
        .get(
            &format!("/v1/threads/{id}/messages?cursor={cursor}&limit=100"),
            &alice,
        )
        .await
        .json();
    assert_eq!(texts(&listed), texts(&rest));
    // A smaller page; a page over the maximum or a bad cursor is refused.
    let small = app
        .get(&format!("/v1/threads/{id}?limit=7"), &alice)
        .await
        .json();
    assert_eq!(texts(&small).len(), 7);
    assert_eq!(small["hasMore"], true);
    for query in ["limit=101", "limit=0", "cursor=garbage"] {
        let answer = app.get(&format!("/v1/threads/{id}?{query}"), &alice).await;
        assert_refused(&answer, 400, "invalid_request", query);
    }
}

async fn a_full_thread_and_a_large_message_are_refused_by_the_limits(db: &TestDb) {
    let app = App::start(
        db,
        "\n[limits]\nmax_messages_per_thread = 3\nmax_message_bytes = 200\n",
    )
    .await;
    let alice = app.token("alice").await;
    // Too many initial messages: nothing is created.
    let four = numbered_texts(0..4);
    let answer = app
        .post("/v1/threads", &alice, json!({"initialMessages": four}))
        .await;
    assert_refused(&answer, 409, "thread_full", "four initial messages");
    let listed = app.get("/v1/threads", &alice).await.json();
    assert_eq!(listed["threads"], json!([]));

    let two = numbered_texts(0..2);
    let id = app
        .create_thread(&alice, json!({"initialMessages": two}))
        .await;
    let messages = format!("/v1/threads/{id}/messages");
    // A message over 200 bytes (content and metadata as JSON): 413, also as an initial one.
    let big = text(&"x".repeat(200));
    let answer = app.post(&messages, &alice, big.clone()).await;
    assert_refused(&answer, 413, "message_too_large", "a large message");
    let answer = app
        .post("/v1/threads", &alice, json!({"initialMessages": [big]}))
        .await;
    assert_refused(&answer, 413, "message_too_large", "a large initial message");
    let mut heavy = text("x");
    heavy["metadata"] = json!({"pad": "p".repeat(200)});
    let answer = app.post(&messages, &alice, heavy).await;
    assert_refused(&answer, 413, "message_too_large", "large metadata");
    // The third message fits; the fourth is refused and nothing more is stored.
    let answer = app.post(&messages, &alice, text("m2")).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let answer = app.post(&messages, &alice, text("m3")).await;
    assert_refused(&answer, 409, "thread_full", "the fourth message");
    let read = app.get(&format!("/v1/threads/{id}"), &alice).await.json();
    assert_eq!(read["messages"].as_array().map(Vec::len), Some(3));
    // Another thread has room of its own.
    let other = app.create_thread(&alice, json!({})).await;
    let answer = app
        .post(&format!("/v1/threads/{other}/messages"), &alice, text("hi"))
        .await;
    assert_eq!(answer.status, 201, "{answer:?}");
}
