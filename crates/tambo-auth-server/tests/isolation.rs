//! Isolation over HTTP, as a property test, in process: two projects (one identity provider,
//! so a `sub` shared by both projects yields the same context key in each), three users per
//! project, Tambo tokens from `POST /oauth/token`, then a seeded random sequence of `/v1`
//! calls by random users on random thread ids, everyone else's included. Every answer is
//! compared with an in-memory model: a user sees exactly their own data, and another user's
//! (or another project's) thread or message is 404 `not_found` for every verb. A token of one
//! project sent with the other project's `x-api-key` is 403 `project_mismatch`.
//!
//! `TAMBO_AUTH_HTTP_SEED` and `TAMBO_AUTH_HTTP_OPS` set the seed and length; a failure names
//! the seed and step that reproduce it.

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{Answer, env_or};
use tambo_auth_testkit::Rng;

const KEY_A: &str = "tambo_pk_isolation_a";
const KEY_B: &str = "tambo_pk_isolation_b";

/// One actor: a user of a project with its Tambo token.
struct Actor {
    name: String,
    project: usize,
    api_key: &'static str,
    token: String,
}

/// Who calls `/v1`: a token, and the API key sent beside it, if any.
#[derive(Clone, Copy)]
struct Caller<'a> {
    router: &'a axum::Router,
    token: &'a str,
    api_key: Option<&'a str>,
}

impl<'a> Caller<'a> {
    fn new(router: &'a axum::Router, token: &'a str) -> Self {
        Caller {
            router,
            token,
            api_key: None,
        }
    }

    fn with_key(self, api_key: Option<&'a str>) -> Self {
        Caller { api_key, ..self }
    }

    async fn call(self, method: &str, uri: &str, body: Option<&Value>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(key) = self.api_key {
            request = request.header("x-api-key", key);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("request");
        common::send(self.router, request).await
    }

    async fn get(self, uri: &str) -> Answer {
        self.call("GET", uri, None).await
    }

    /// Every item of the list at `path`, walked with `limit`; the first answer that is not
    /// 200 otherwise.
    async fn walk(
        self,
        path: &str,
        field: &str,
        limit: usize,
        extra: &str,
        ctx: &str,
    ) -> Result<Vec<Value>, Answer> {
        common::walk(path, field, limit, extra, ctx, |uri| async move {
            let answer = self.get(&uri).await;
            if answer.status == 200 {
                Ok(answer.body)
            } else {
                Err(answer)
            }
        })
        .await
    }
}

fn assert_not_found(answer: &Answer, ctx: &str) {
    assert_eq!(answer.status, 404, "{ctx}: {answer:?}");
    assert!(answer.is_json(), "{ctx}: a 404 is JSON: {answer:?}");
    assert_eq!(answer.body["error"], "not_found", "{ctx}: {answer:?}");
}

/// The server with two projects verified by `idp`'s tokens: `p_alpha` (`KEY_A`) and `p_beta`
/// (`KEY_B`).
async fn two_projects(idp: &TestIdp) -> axum::Router {
    let issuer = idp.issuer();
    common::router(&[("p_alpha", KEY_A, &issuer), ("p_beta", KEY_B, &issuer)]).await
}

/// What the server should hold: every thread ever created, with its owner.
struct ModelThread {
    owner: usize,
    /// The thread as `/v1` shows it, without `messages`.
    thread: Value,
    /// Its messages as `/v1` shows them, oldest first.
    messages: Vec<Value>,
    deleted: bool,
}

#[derive(Default)]
struct Model {
    /// In creation order (creation times strictly increase within the server process).
    threads: Vec<ModelThread>,
    /// Every message ever created: (thread index, message id).
    messages: Vec<(usize, String)>,
}

impl Model {
    fn live_of(&self, actor: usize) -> Vec<usize> {
        (0..self.threads.len())
            .filter(|&i| self.threads[i].owner == actor && !self.threads[i].deleted)
            .collect()
    }

    fn visible(&self, actor: usize, thread: usize) -> bool {
        self.threads[thread].owner == actor && !self.threads[thread].deleted
    }

    /// The actor's live threads, newest first.
    fn list_of(&self, actor: usize) -> Vec<Value> {
        self.live_of(actor)
            .into_iter()
            .rev()
            .map(|i| self.threads[i].thread.clone())
            .collect()
    }

    fn with_messages(&self, thread: usize) -> Value {
        let mut full = self.threads[thread].thread.clone();
        full["messages"] = Value::Array(self.threads[thread].messages.clone());
        // The runs here stay under the page of 100 messages `GET /v1/threads/{id}` answers.
        full["hasMore"] = Value::Bool(false);
        full
    }
}

fn id_of(thread: &Value) -> &str {
    thread["id"].as_str().expect("id")
}

/// A random message body and the part of the answer it determines.
fn random_message(rng: &mut Rng, n: usize) -> Value {
    let role = ["user", "assistant", "system"][rng.below(3)];
    let mut content = vec![json!({"type": "text", "text": format!("message {n}")})];
    if rng.chance(20) {
        content.push(json!({"type": "resource", "resource": {"uri": format!("file:///{n}")}}));
    }
    let mut message = json!({"role": role, "content": content});
    if rng.chance(30) {
        message["metadata"] = json!({"n": n});
    }
    message
}

/// A returned message matches what was posted (id and time aside).
fn assert_message_matches(got: &Value, sent: &Value, ctx: &str) {
    assert!(
        got["id"].as_str().is_some_and(|id| id.starts_with("msg_")),
        "{ctx}: {got}"
    );
    assert!(got["createdAt"].is_string(), "{ctx}: {got}");
    assert_eq!(got["role"], sent["role"], "{ctx}: {got}");
    assert_eq!(got["content"], sent["content"], "{ctx}: {got}");
    assert_eq!(
        got.get("metadata"),
        sent.get("metadata"),
        "{ctx}: metadata: {got}"
    );
}

/// Checks, for every actor, the thread list and every thread ever created (GET thread, its
/// messages, one of its messages) against the model.
async fn sweep(router: &axum::Router, actors: &[Actor], model: &Model, ctx: &str) {
    for (a, actor) in actors.iter().enumerate() {
        let ctx = format!("{ctx}, sweep as {}", actor.name);
        let caller = Caller::new(router, &actor.token);
        let listed = caller
            .walk("/v1/threads", "threads", 100, "", &ctx)
            .await
            .unwrap_or_else(|e| panic!("{ctx}: list {e:?}"));
        assert_eq!(listed, model.list_of(a), "{ctx}: thread list");
        for (t, thread) in model.threads.iter().enumerate() {
            let id = id_of(&thread.thread);
            // (what to read, where in its answer, what the owner sees there)
            let mut reads = vec![
                (format!("/v1/threads/{id}"), "", model.with_messages(t)),
                (
                    format!("/v1/threads/{id}/messages?limit=100"),
                    "/messages",
                    Value::Array(thread.messages.clone()),
                ),
            ];
            if let Some(message) = thread.messages.first() {
                let mid = message["id"].as_str().expect("id");
                reads.push((
                    format!("/v1/threads/{id}/messages/{mid}"),
                    "",
                    message.clone(),
                ));
            }
            for (uri, pointer, want) in reads {
                let answer = caller.get(&uri).await;
                let ctx = format!("{ctx}: GET {uri}");
                if model.visible(a, t) {
                    assert_eq!(answer.status, 200, "{ctx}: {answer:?}");
                    assert_eq!(answer.body.pointer(pointer), Some(&want), "{ctx}");
                } else {
                    assert_not_found(&answer, &ctx);
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_of_every_project_sees_exactly_their_own_data_over_http() {
    let started = std::time::Instant::now();
    let seed: u64 = env_or("TAMBO_AUTH_HTTP_SEED", 0x1501_a7e5_u64);
    let ops: usize = env_or("TAMBO_AUTH_HTTP_OPS", 200);
    eprintln!("http isolation: seed {seed}, {ops} operations");
    let mut rng = Rng(seed);

    // One identity provider for both projects: "sam" has the same context key in each.
    let idp = TestIdp::start().await;
    let router = two_projects(&idp).await;

    let mut actors = Vec::new();
    for (project, api_key, users) in [
        (0, KEY_A, ["alice", "bob", "sam"]),
        (1, KEY_B, ["sam", "dave", "erin"]),
    ] {
        for user in users {
            let subject = idp.token(&idp.claims(user, now()));
            let token = common::token_in_process(&router, api_key, &subject).await;
            actors.push(Actor {
                name: format!("{user}@{}", ["p_alpha", "p_beta"][project]),
                project,
                api_key,
                token,
            });
        }
    }

    let mut model = Model::default();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for step in 0..ops {
        let a = rng.below(actors.len());
        let actor = &actors[a];
        let roll = rng.below(100);
        // The target thread: often one of the actor's own, otherwise any thread ever created
        // (another user's, another project's, deleted), sometimes one that never existed.
        let own = model.live_of(a);
        let target: Option<usize> = if !own.is_empty() && rng.chance(55) {
            Some(own[rng.below(own.len())])
        } else if !model.threads.is_empty() && rng.chance(92) {
            Some(rng.below(model.threads.len()))
        } else {
            None
        };
        let target_id = target.map_or_else(
            || format!("thr_{:026}", rng.next_u64() % 1_000_000_007),
            |t| id_of(&model.threads[t].thread).to_owned(),
        );
        let visible = target.is_some_and(|t| model.visible(a, t));
        // Sometimes send the actor's own API key too: it changes nothing.
        let key = rng.chance(30).then_some(actor.api_key);
        let me = Caller::new(&router, &actor.token).with_key(key);
        let op = match roll {
            0..=17 => "create",
            18..=32 => "post_message",
            33..=44 => "get",
            45..=54 => "list",
            55..=63 => "patch",
            64..=70 => "delete",
            71..=81 => "list_messages",
            82..=93 => "get_message",
            _ => "mismatch",
        };
        let ctx = format!(
            "seed {seed} step {step}: {op} by {} on {target_id} (visible: {visible})",
            actor.name
        );
        let entry = counts.entry(op).or_default();
        if visible || op == "create" || op == "list" {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        match op {
            "create" => {
                let mut body = json!({});
                if rng.chance(50) {
                    body["name"] = json!(format!("thread {step}"));
                }
                if rng.chance(50) {
                    body["metadata"] = json!({"step": step, "by": actor.name});
                }
                let initial: Vec<Value> = (0..rng.below(3))
                    .map(|i| random_message(&mut rng, step * 10 + i))
                    .collect();
                if !initial.is_empty() {
                    body["initialMessages"] = Value::Array(initial.clone());
                }
                let answer = me.call("POST", "/v1/threads", Some(&body)).await;
                assert_eq!(answer.status, 201, "{ctx}: {answer:?}");
                let thread = answer.body;
                assert!(id_of(&thread).starts_with("thr_"), "{ctx}: {thread}");
                assert_eq!(thread["runStatus"], "idle", "{ctx}");
                assert_eq!(thread["createdAt"], thread["updatedAt"], "{ctx}");
                assert_eq!(thread.get("name"), body.get("name"), "{ctx}: {thread}");
                assert_eq!(thread.get("metadata"), body.get("metadata"), "{ctx}");
                assert!(thread.get("messages").is_none(), "{ctx}: {thread}");
                // Learn the initial messages' ids from the owner's view.
                let id = id_of(&thread).to_owned();
                let full = Caller::new(&router, &actor.token)
                    .get(&format!("/v1/threads/{id}"))
                    .await;
                assert_eq!(full.status, 200, "{ctx}: {full:?}");
                let messages = full.body["messages"].as_array().expect("messages").clone();
                assert_eq!(messages.len(), initial.len(), "{ctx}: {}", full.body);
                for (got, sent) in messages.iter().zip(&initial) {
                    assert_message_matches(got, sent, &ctx);
                }
                let mut bare = full.body.clone();
                let object = bare.as_object_mut().expect("object");
                object.remove("messages");
                assert_eq!(object.remove("hasMore"), Some(Value::Bool(false)), "{ctx}");
                assert_eq!(bare, thread, "{ctx}: GET after create");
                let index = model.threads.len();
                for m in &messages {
                    model
                        .messages
                        .push((index, m["id"].as_str().expect("id").to_owned()));
                }
                model.threads.push(ModelThread {
                    owner: a,
                    thread,
                    messages,
                    deleted: false,
                });
            }
            "post_message" => {
                let message = random_message(&mut rng, step * 10);
                let answer = me
                    .call(
                        "POST",
                        &format!("/v1/threads/{target_id}/messages"),
                        Some(&message),
                    )
                    .await;
                if let (true, Some(t)) = (visible, target) {
                    assert_eq!(answer.status, 201, "{ctx}: {answer:?}");
                    assert_message_matches(&answer.body, &message, &ctx);
                    let created = answer.body["createdAt"].as_str().expect("time").to_owned();
                    let previous = model.threads[t].thread["updatedAt"]
                        .as_str()
                        .expect("time")
                        .to_owned();
                    assert!(created > previous, "{ctx}: {created} after {previous}");
                    model.threads[t].thread["updatedAt"] = json!(created);
                    model
                        .messages
                        .push((t, answer.body["id"].as_str().expect("id").to_owned()));
                    model.threads[t].messages.push(answer.body);
                } else {
                    assert_not_found(&answer, &ctx);
                }
            }
            "get" => {
                let answer = me.get(&format!("/v1/threads/{target_id}")).await;
                if let (true, Some(t)) = (visible, target) {
                    assert_eq!(answer.status, 200, "{ctx}: {answer:?}");
                    assert_eq!(answer.body, model.with_messages(t), "{ctx}");
                } else {
                    assert_not_found(&answer, &ctx);
                }
            }
            "list" => {
                let limit = 1 + rng.below(6);
                let listed = me
                    .walk("/v1/threads", "threads", limit, "", &ctx)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
                assert_eq!(listed, model.list_of(a), "{ctx}: limit {limit}");
            }
            "patch" => {
                let mut body = json!({});
                let rename = rng.chance(60);
                if rename {
                    body["name"] = json!(format!("renamed at {step}"));
                }
                if !rename || rng.chance(50) {
                    body["metadata"] = json!({"patched": step});
                }
                let answer = me
                    .call("PATCH", &format!("/v1/threads/{target_id}"), Some(&body))
                    .await;
                if let (true, Some(t)) = (visible, target) {
                    assert_eq!(answer.status, 200, "{ctx}: {answer:?}");
                    let mut want = model.threads[t].thread.clone();
                    if let Some(name) = body.get("name") {
                        want["name"] = name.clone();
                    }
                    if let Some(metadata) = body.get("metadata") {
                        want["metadata"] = metadata.clone();
                    }
                    let updated = answer.body["updatedAt"].as_str().expect("time").to_owned();
                    let previous = want["updatedAt"].as_str().expect("time").to_owned();
                    assert!(updated > previous, "{ctx}: {updated} after {previous}");
                    want["updatedAt"] = json!(updated);
                    assert_eq!(answer.body, want, "{ctx}");
                    model.threads[t].thread = want;
                } else {
                    assert_not_found(&answer, &ctx);
                }
            }
            "delete" => {
                let answer = me
                    .call("DELETE", &format!("/v1/threads/{target_id}"), None)
                    .await;
                if let (true, Some(t)) = (visible, target) {
                    assert_eq!(answer.status, 204, "{ctx}: {answer:?}");
                    model.threads[t].deleted = true;
                } else {
                    assert_not_found(&answer, &ctx);
                }
            }
            "list_messages" => {
                let limit = 1 + rng.below(4);
                let desc = rng.chance(50);
                let extra = if desc { "&order=desc" } else { "" };
                let listed = me
                    .walk(
                        &format!("/v1/threads/{target_id}/messages"),
                        "messages",
                        limit,
                        extra,
                        &ctx,
                    )
                    .await;
                if let (true, Some(t)) = (visible, target) {
                    let listed = listed.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
                    let mut want = model.threads[t].messages.clone();
                    if desc {
                        want.reverse();
                    }
                    assert_eq!(listed, want, "{ctx}: limit {limit}, desc {desc}");
                } else {
                    let answer = listed.expect_err("another user's messages are not listed");
                    assert_not_found(&answer, &ctx);
                }
            }
            "get_message" => {
                // A message of the target thread when it has any, else any message at all
                // (of another thread: 404 even for the owner of both).
                let candidates: Vec<&Value> =
                    target.map_or_else(Vec::new, |t| model.threads[t].messages.iter().collect());
                let (mid, belongs) = if !candidates.is_empty() && rng.chance(75) {
                    let m = candidates[rng.below(candidates.len())];
                    (m["id"].as_str().expect("id").to_owned(), true)
                } else if !model.messages.is_empty() {
                    let (t, mid) = &model.messages[rng.below(model.messages.len())];
                    (mid.clone(), Some(*t) == target)
                } else {
                    ("msg_00000000000000000000000000".to_owned(), false)
                };
                let answer = me
                    .get(&format!("/v1/threads/{target_id}/messages/{mid}"))
                    .await;
                match (visible && belongs, target) {
                    (true, Some(t)) => {
                        assert_eq!(answer.status, 200, "{ctx}: {mid}: {answer:?}");
                        let want = model.threads[t]
                            .messages
                            .iter()
                            .find(|m| m["id"] == mid.as_str())
                            .expect("in the model");
                        assert_eq!(&answer.body, want, "{ctx}: {mid}");
                    }
                    _ => assert_not_found(&answer, &format!("{ctx}: message {mid}")),
                }
            }
            _ => {
                // The other project's API key with this token: refused before anything runs,
                // whatever the verb and whoever owns the thread.
                let other_key = [KEY_B, KEY_A][actor.project];
                let (method, uri, body) = match rng.below(6) {
                    0 => ("GET", "/v1/threads".to_owned(), None),
                    1 => ("POST", "/v1/threads".to_owned(), Some(json!({"name": "x"}))),
                    2 => ("GET", format!("/v1/threads/{target_id}"), None),
                    3 => (
                        "PATCH",
                        format!("/v1/threads/{target_id}"),
                        Some(json!({"name": "stolen"})),
                    ),
                    4 => ("DELETE", format!("/v1/threads/{target_id}"), None),
                    _ => (
                        "POST",
                        format!("/v1/threads/{target_id}/messages"),
                        Some(json!({"role": "user", "content": [{"type": "text", "text": "x"}]})),
                    ),
                };
                let answer = me
                    .with_key(Some(other_key))
                    .call(method, &uri, body.as_ref())
                    .await;
                assert_eq!(answer.status, 403, "{ctx}: {method} {uri}: {answer:?}");
                assert_eq!(
                    answer.body["error"], "project_mismatch",
                    "{ctx}: {answer:?}"
                );
            }
        }
        if step % 50 == 49 {
            sweep(
                &router,
                &actors,
                &model,
                &format!("seed {seed} after step {step}"),
            )
            .await;
        }
    }
    sweep(&router, &actors, &model, &format!("seed {seed} at the end")).await;

    // Every verb, deterministically: each actor against one live thread of every other actor.
    for (a, actor) in actors.iter().enumerate() {
        for (t, thread) in model.threads.iter().enumerate() {
            if model.visible(a, t) || thread.deleted {
                continue;
            }
            let id = id_of(&thread.thread);
            let mid = thread
                .messages
                .first()
                .and_then(|m| m["id"].as_str())
                .unwrap_or("msg_00000000000000000000000000");
            let read = ("GET", format!("/v1/threads/{id}/messages/{mid}"), None);
            for (method, uri, body) in common::thread_calls(id).into_iter().chain([read]) {
                let answer = Caller::new(&router, &actor.token)
                    .call(method, &uri, body.as_ref())
                    .await;
                assert_not_found(&answer, &format!("{} {method} {uri}", actor.name));
            }
        }
    }
    // Nothing above changed anything.
    sweep(
        &router,
        &actors,
        &model,
        &format!("seed {seed} after the verb sweep"),
    )
    .await;

    // Both "sam"s hold the same context key; their data still differs by project.
    let sams: Vec<usize> = (0..actors.len())
        .filter(|&i| actors[i].name.starts_with("sam@"))
        .collect();
    assert_eq!(sams.len(), 2);
    let live: usize = (0..actors.len()).map(|a| model.live_of(a).len()).sum();
    eprintln!(
        "http isolation: {} threads created ({live} live), {} messages; ops (own/others'): \
         {counts:?}; {:?}",
        model.threads.len(),
        model.messages.len(),
        started.elapsed()
    );
    assert!(
        counts.values().map(|c| c.1).sum::<usize>() > 20,
        "the walk exercised other users' ids"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_another_projects_api_key_is_refused() {
    let idp = TestIdp::start().await;
    let router = two_projects(&idp).await;
    let subject = idp.token(&idp.claims("alice", now()));
    let token_a = common::token_in_process(&router, KEY_A, &subject).await;
    let token_b = common::token_in_process(&router, KEY_B, &subject).await;
    let alice_a = Caller::new(&router, &token_a);
    let alice_b = Caller::new(&router, &token_b);

    let created = alice_a
        .with_key(Some(KEY_A))
        .call("POST", "/v1/threads", Some(&json!({"name": "a"})))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = id_of(&created.body).to_owned();

    for caller in [alice_a.with_key(Some(KEY_B)), alice_b.with_key(Some(KEY_A))] {
        for (method, uri) in [
            ("GET", "/v1/threads".to_owned()),
            ("GET", format!("/v1/threads/{id}")),
            ("DELETE", format!("/v1/threads/{id}")),
            ("GET", format!("/v1/threads/{id}/messages")),
        ] {
            let answer = caller.call(method, &uri, None).await;
            let key = caller.api_key.unwrap_or_default();
            assert_eq!(answer.status, 403, "{method} {uri} with {key}: {answer:?}");
            assert!(answer.is_json());
            assert_eq!(answer.body["error"], "project_mismatch", "{answer:?}");
        }
    }
    // An unknown key is refused too; the right key, or none, works.
    let answer = alice_a
        .with_key(Some("tambo_pk_nope"))
        .get("/v1/threads")
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.body["error"], "invalid_client", "{answer:?}");
    let thread = format!("/v1/threads/{id}");
    for caller in [alice_a.with_key(Some(KEY_A)), alice_a] {
        let answer = caller.get(&thread).await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    // The same user (same context key) in project B does not see project A's thread.
    let answer = alice_b.with_key(Some(KEY_B)).get(&thread).await;
    assert_not_found(&answer, "alice@p_beta GET alice@p_alpha's thread");
}
