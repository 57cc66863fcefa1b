//! The store, as the `/v1` API and the token machinery use it: isolation between users (as a
//! property test against an in-memory model), pagination, durability, revocations and the key
//! ring.
//!
//! Every test in the suite runs twice: against an SQLite file, and against PostgreSQL when
//! `TAMBO_AUTH_TEST_POSTGRES_URL` names a database (each test in a schema of its own). Without
//! that variable the PostgreSQL half prints a notice and passes; `.ci/run` sets it.
//!
//! The property test's seed and length can be set with `TAMBO_AUTH_STORE_SEED` and
//! `TAMBO_AUTH_STORE_OPS`; a failure message names the seed and step that reproduce it.

mod common;

use std::collections::BTreeMap;

use serde_json::json;
use tambo_auth_server::store::{
    Backend, ContentPart, MAX_LIMIT, Message, NewMessage, NewThread, Order, Page, PageRequest,
    Role, Scope, Store, StoreError, StoredKey, Thread, ThreadUpdate, ThreadWithMessages,
};

use common::{TestDb, env_or};
use tambo_auth_testkit::Rng;

common::on_each_backend!(
    every_user_sees_exactly_their_own_data,
    another_users_thread_is_not_found_for_every_verb,
    threads_page_newest_first_without_duplicates_or_gaps,
    messages_page_in_both_orders,
    bad_cursors_and_limits_are_refused,
    updates_and_new_messages_move_updated_at,
    data_survives_a_reconnect_and_migrations_are_idempotent,
    concurrent_writers_all_succeed,
    revocations_round_trip_and_are_shared,
    the_key_ring_round_trips_with_one_active_key,
);

// ---------------------------------------------------------------------------------------------
// Helpers

fn alice() -> Scope {
    Scope::new("p_one", "oauth:user:idp.example.com:alice")
}

fn bob() -> Scope {
    Scope::new("p_one", "oauth:user:idp.example.com:bob")
}

/// Every user the property test plays, chosen to be near-collisions of one another.
fn users() -> Vec<Scope> {
    vec![
        alice(),
        bob(),
        // The same subject under another project.
        Scope::new("p_two", "oauth:user:idp.example.com:alice"),
        Scope::new("p_two", "oauth:user:idp.example.com:carol"),
        // The same subject from another issuer, and in a tenant.
        Scope::new("p_one", "oauth:user:other.example.com:alice"),
        Scope::new("p_one", "oauth:user:idp.example.com:acme:alice"),
    ]
}

fn text(role: Role, s: &str) -> NewMessage {
    NewMessage::text(role, s)
}

/// A new thread with one user message of each text.
fn with_messages(texts: impl IntoIterator<Item = impl Into<String>>) -> NewThread {
    NewThread {
        initial_messages: texts
            .into_iter()
            .map(|t| NewMessage::text(Role::User, t))
            .collect(),
        ..NewThread::default()
    }
}

/// The store's thread calls that the tests expect to succeed: a database error fails the test.
trait Expect {
    async fn new_thread(&self, scope: &Scope, new: NewThread) -> Thread;
    async fn thread(&self, scope: &Scope, id: &str) -> Option<ThreadWithMessages>;
    async fn post(&self, scope: &Scope, id: &str, new: NewMessage) -> Option<Message>;
    async fn message(&self, scope: &Scope, thread_id: &str, id: &str) -> Option<Message>;
    async fn delete(&self, scope: &Scope, id: &str) -> bool;
}

impl Expect for Store {
    async fn new_thread(&self, scope: &Scope, new: NewThread) -> Thread {
        self.create_thread(scope, new).await.expect("create")
    }

    /// The thread with every message: its pages of messages walked and joined.
    async fn thread(&self, scope: &Scope, id: &str) -> Option<ThreadWithMessages> {
        let mut thread = self
            .get_thread(scope, id, PageRequest::default())
            .await
            .expect("get")?;
        while let Some(cursor) = thread.next_cursor.take() {
            let next = self
                .get_thread(scope, id, PageRequest::after(cursor, MAX_LIMIT))
                .await
                .expect("get")?;
            assert_eq!(next.thread, thread.thread, "one thread across pages");
            thread.messages.extend(next.messages);
            thread.has_more = next.has_more;
            thread.next_cursor = next.next_cursor;
        }
        assert!(!thread.has_more);
        Some(thread)
    }

    async fn post(&self, scope: &Scope, id: &str, new: NewMessage) -> Option<Message> {
        self.add_message(scope, id, new).await.expect("add")
    }

    async fn message(&self, scope: &Scope, thread_id: &str, id: &str) -> Option<Message> {
        self.get_message(scope, thread_id, id)
            .await
            .expect("get message")
    }

    async fn delete(&self, scope: &Scope, id: &str) -> bool {
        self.delete_thread(scope, id).await.expect("delete")
    }
}

/// Every item of a list, page by page, checking the page links on the way.
async fn walk<T, F, Fut>(limit: u32, mut fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    let mut items = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = fetch(request).await.expect("list");
        assert!(page.items.len() <= limit as usize);
        assert_eq!(page.has_more, page.next_cursor.is_some());
        if page.has_more {
            assert_eq!(
                page.items.len(),
                limit as usize,
                "a short page that claims more"
            );
        }
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => request = PageRequest::after(cursor, limit),
            None => return items,
        }
    }
}

async fn all_threads(store: &Store, scope: &Scope, limit: u32) -> Vec<Thread> {
    walk(limit, |page| store.list_threads(scope, page)).await
}

async fn all_messages(
    store: &Store,
    scope: &Scope,
    id: &str,
    limit: u32,
    order: Order,
) -> Vec<Message> {
    walk(limit, |page| async move {
        Ok(store
            .list_messages(scope, id, page, order)
            .await?
            .expect("the thread exists"))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Isolation

/// What the store should hold: every thread ever created, by id, with its owner.
#[derive(Default)]
struct Model {
    threads: BTreeMap<String, ModelThread>,
}

struct ModelThread {
    owner: usize,
    thread: Thread,
    messages: Vec<Message>,
    deleted: bool,
}

impl Model {
    fn owns(&self, user: usize, id: &str) -> bool {
        self.threads
            .get(id)
            .is_some_and(|t| t.owner == user && !t.deleted)
    }

    /// The user's live threads, newest first.
    fn threads_of(&self, user: usize) -> Vec<Thread> {
        let mut threads: Vec<Thread> = self
            .threads
            .values()
            .filter(|t| t.owner == user && !t.deleted)
            .map(|t| t.thread.clone())
            .collect();
        // Fixed-width RFC 3339 strings sort as the instants they name.
        threads.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
        threads
    }
}

fn random_message(rng: &mut Rng, n: usize) -> NewMessage {
    let role = *rng.pick(&[Role::User, Role::Assistant, Role::System]);
    let mut content = vec![ContentPart::Text {
        text: format!("message {n}"),
    }];
    if rng.chance(20) {
        content.push(ContentPart::Resource {
            resource: json!({"uri": format!("file:///{n}"), "mimeType": "text/plain"}),
        });
    }
    NewMessage {
        role,
        content,
        metadata: rng.chance(30).then(|| json!({"n": n})),
    }
}

/// Checks every user's thread list, and every thread of `users` in full, against the model.
async fn check_views(
    store: &Store,
    model: &Model,
    scopes: &[Scope],
    users: &[usize],
    rng: &mut Rng,
    ctx: &str,
) {
    for (user, scope) in scopes.iter().enumerate() {
        let limit = 1 + rng.below(8) as u32;
        let listed = all_threads(store, scope, limit).await;
        assert_eq!(
            listed,
            model.threads_of(user),
            "{ctx}: thread list of user {user}"
        );
    }
    for &user in users {
        for t in model
            .threads
            .values()
            .filter(|t| t.owner == user && !t.deleted)
        {
            let got = store.thread(&scopes[user], &t.thread.id).await;
            let got = got.unwrap_or_else(|| panic!("{ctx}: user {user} lost {}", t.thread.id));
            assert_eq!(got.thread, t.thread, "{ctx}");
            assert_eq!(got.messages, t.messages, "{ctx}");
        }
    }
}

/// Every user tries every verb on every thread ever created: the owner of a live thread reads
/// it; everyone else (and everyone, once it is deleted) finds nothing and changes nothing.
async fn sweep(store: &Store, model: &Model, scopes: &[Scope], ctx: &str) {
    for (user, scope) in scopes.iter().enumerate() {
        for (id, t) in &model.threads {
            let owns = model.owns(user, id);
            let first_message = t.messages.first().map(|m| m.id.clone());
            let got = store.thread(scope, id).await;
            assert_eq!(got.is_some(), owns, "{ctx}: user {user} get {id}");
            let listed = store
                .list_messages(scope, id, PageRequest::default(), Order::Asc)
                .await
                .expect("list messages");
            assert_eq!(
                listed.is_some(),
                owns,
                "{ctx}: user {user} list messages of {id}"
            );
            if let Some(message_id) = &first_message {
                let got = store.message(scope, id, message_id).await;
                assert_eq!(
                    got.is_some(),
                    owns,
                    "{ctx}: user {user} get message of {id}"
                );
            }
            if !owns {
                let update = ThreadUpdate {
                    name: Some("hijacked".into()),
                    metadata: Some(json!({"hijacked": true})),
                };
                let updated = store
                    .update_thread(scope, id, update)
                    .await
                    .expect("update");
                assert!(updated.is_none(), "{ctx}: user {user} updated {id}");
                let added = store.post(scope, id, text(Role::User, "hijack")).await;
                assert!(added.is_none(), "{ctx}: user {user} posted to {id}");
                let deleted = store.delete(scope, id).await;
                assert!(!deleted, "{ctx}: user {user} deleted {id}");
            }
        }
    }
}

async fn every_user_sees_exactly_their_own_data(db: &TestDb) {
    let store = db.open().await;
    let seed: u64 = env_or("TAMBO_AUTH_STORE_SEED", 0x7a3b_0005_u64);
    let ops: usize = env_or("TAMBO_AUTH_STORE_OPS", 300);
    println!(
        "isolation: seed {seed}, {ops} operations, {:?}",
        store.backend()
    );
    let mut rng = Rng(seed);
    let scopes = users();
    let mut model = Model::default();
    let mut counter = 0;

    for step in 0..ops {
        let actor = rng.below(scopes.len());
        let scope = &scopes[actor];
        let known: Vec<String> = model.threads.keys().cloned().collect();
        // Mostly aim at threads that exist (anyone's, live or deleted), sometimes at nothing.
        let target = if known.is_empty() || rng.chance(5) {
            "thr_0000000000000000000000000z".to_owned()
        } else {
            rng.pick(&known).clone()
        };
        let owns = model.owns(actor, &target);
        let roll = rng.below(100);
        counter += 1;
        let ctx = format!("seed {seed} step {step} (user {actor}, roll {roll}, target {target})");
        let mut touched = vec![actor];
        if let Some(t) = model.threads.get(&target) {
            touched.push(t.owner);
        }

        if roll < 25 || known.is_empty() {
            let initial: Vec<NewMessage> = (0..rng.below(4))
                .map(|i| random_message(&mut rng, counter * 10 + i))
                .collect();
            let new = NewThread {
                name: rng.chance(50).then(|| format!("thread {counter}")),
                metadata: rng
                    .chance(50)
                    .then(|| json!({"counter": counter, "tags": ["a", "b"]})),
                initial_messages: initial.clone(),
            };
            let thread = store.new_thread(scope, new.clone()).await;
            assert!(
                thread.id.starts_with("thr_") && thread.id.len() == 30,
                "{ctx}"
            );
            assert_eq!(
                (&thread.name, &thread.metadata),
                (&new.name, &new.metadata),
                "{ctx}"
            );
            assert_eq!(thread.created_at, thread.updated_at, "{ctx}");
            // The initial messages came back in order, with the content sent.
            let stored = store
                .thread(scope, &thread.id)
                .await
                .expect("the creator sees the new thread");
            let sent: Vec<_> = initial
                .iter()
                .map(|m| (m.role, &m.content, &m.metadata))
                .collect();
            let got: Vec<_> = stored
                .messages
                .iter()
                .map(|m| (m.role, &m.content, &m.metadata))
                .collect();
            assert_eq!(got, sent, "{ctx}");
            model.threads.insert(
                thread.id.clone(),
                ModelThread {
                    owner: actor,
                    thread,
                    messages: stored.messages,
                    deleted: false,
                },
            );
        } else if roll < 50 {
            let new = random_message(&mut rng, counter);
            let added = store.post(scope, &target, new.clone()).await;
            assert_eq!(added.is_some(), owns, "{ctx}: add_message");
            if let Some(message) = added {
                assert_eq!(
                    (message.role, &message.content, &message.metadata),
                    (new.role, &new.content, &new.metadata)
                );
                assert_eq!(message.thread_id, target);
                let t = model.threads.get_mut(&target).expect("modelled");
                t.thread.updated_at = message.created_at.clone();
                t.messages.push(message);
            }
        } else if roll < 60 {
            let update = ThreadUpdate {
                name: rng.chance(70).then(|| format!("renamed {counter}")),
                metadata: rng.chance(50).then(|| json!({"updated": counter})),
            };
            let updated = store
                .update_thread(scope, &target, update.clone())
                .await
                .expect("update");
            assert_eq!(updated.is_some(), owns, "{ctx}: update");
            if let Some(thread) = updated {
                let t = model.threads.get_mut(&target).expect("modelled");
                assert!(thread.updated_at > t.thread.updated_at, "{ctx}");
                t.thread.name = update.name.or(t.thread.name.take());
                t.thread.metadata = update.metadata.or(t.thread.metadata.take());
                t.thread.updated_at = thread.updated_at.clone();
                assert_eq!(thread, t.thread, "{ctx}");
            }
        } else if roll < 68 {
            let deleted = store.delete(scope, &target).await;
            assert_eq!(deleted, owns, "{ctx}: delete");
            if deleted {
                model.threads.get_mut(&target).expect("modelled").deleted = true;
            }
        } else if roll < 80 {
            let got = store.thread(scope, &target).await;
            assert_eq!(got.is_some(), owns, "{ctx}: get");
        } else if roll < 90 {
            let order = *rng.pick(&[Order::Asc, Order::Desc]);
            let limit = 1 + rng.below(5) as u32;
            let listed = store
                .list_messages(scope, &target, PageRequest::first(limit), order)
                .await
                .expect("list messages");
            assert_eq!(listed.is_some(), owns, "{ctx}: list_messages");
            if owns {
                let mut expected = model.threads[&target].messages.clone();
                if order == Order::Desc {
                    expected.reverse();
                }
                let all = all_messages(&store, scope, &target, limit, order).await;
                assert_eq!(all, expected, "{ctx}: messages {order:?}");
            }
        } else {
            // Any message of any thread, through this thread id.
            let messages: Vec<&Message> =
                model.threads.values().flat_map(|t| &t.messages).collect();
            if !messages.is_empty() {
                let message = *rng.pick(&messages);
                let got = store.message(scope, &target, &message.id).await;
                let expected = owns
                    && message.thread_id == target
                    && model.threads[&target].messages.contains(message);
                assert_eq!(got.is_some(), expected, "{ctx}: get_message");
                if let Some(got) = got {
                    assert_eq!(&got, message, "{ctx}");
                }
            }
        }

        check_views(&store, &model, &scopes, &touched, &mut rng, &ctx).await;
        if step % 50 == 49 || step + 1 == ops {
            sweep(&store, &model, &scopes, &ctx).await;
            let everyone: Vec<usize> = (0..scopes.len()).collect();
            check_views(&store, &model, &scopes, &everyone, &mut rng, &ctx).await;
        }
    }
    let live = model.threads.values().filter(|t| !t.deleted).count();
    let owners = model
        .threads
        .values()
        .map(|t| t.owner)
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        live > 10 && owners.len() == scopes.len(),
        "the run exercised too little: {live} live threads"
    );
}

async fn another_users_thread_is_not_found_for_every_verb(db: &TestDb) {
    let store = db.open().await;
    let new = NewThread {
        name: Some("alice's".into()),
        ..with_messages(["secret"])
    };
    let thread = store.new_thread(&alice(), new).await;
    let message = store
        .thread(&alice(), &thread.id)
        .await
        .expect("own")
        .messages[0]
        .clone();
    let id = thread.id.as_str();

    // Bob (same project), and Alice's subject under another project.
    for other in [bob(), Scope::new("p_two", alice().context_key)] {
        assert!(store.thread(&other, id).await.is_none());
        assert!(
            store
                .update_thread(
                    &other,
                    id,
                    ThreadUpdate {
                        name: Some("x".into()),
                        metadata: None
                    }
                )
                .await
                .expect("update")
                .is_none()
        );
        assert!(!store.delete(&other, id).await);
        assert!(
            store
                .post(&other, id, text(Role::User, "x"))
                .await
                .is_none()
        );
        assert!(
            store
                .list_messages(&other, id, PageRequest::default(), Order::Asc)
                .await
                .expect("list")
                .is_none()
        );
        assert!(store.message(&other, id, &message.id).await.is_none());
        assert!(
            store
                .list_threads(&other, PageRequest::default())
                .await
                .expect("list")
                .items
                .is_empty()
        );
    }
    // Alice's thread is untouched.
    let after = store.thread(&alice(), id).await.expect("own");
    assert_eq!(after.thread, thread);
    assert_eq!(after.messages, std::slice::from_ref(&message));
    // A message id under the wrong thread id is not found either, even for its owner.
    let other_thread = store.new_thread(&alice(), NewThread::default()).await;
    assert!(
        store
            .message(&alice(), &other_thread.id, &message.id)
            .await
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Pagination

async fn threads_page_newest_first_without_duplicates_or_gaps(db: &TestDb) {
    let store = db.open().await;
    let mut created = Vec::new();
    for i in 0..23 {
        let new = NewThread {
            name: Some(format!("t{i}")),
            ..NewThread::default()
        };
        created.push(store.new_thread(&alice(), new).await);
    }
    // Bob's threads never show up in Alice's pages.
    store.new_thread(&bob(), NewThread::default()).await;
    let newest_first: Vec<Thread> = created.iter().rev().cloned().collect();

    for limit in [1, 2, 5, 7, 22, 23, 24, 100] {
        assert_eq!(
            all_threads(&store, &alice(), limit).await,
            newest_first,
            "limit {limit}"
        );
    }
    let first = store
        .list_threads(&alice(), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(first.items.len(), 20, "the default page size");
    assert!(first.has_more);
    let exact = store
        .list_threads(&alice(), PageRequest::first(23))
        .await
        .expect("list");
    assert!(!exact.has_more && exact.next_cursor.is_none());

    // Threads created during a walk are newer than its cursor: the walk still sees every
    // thread that existed when it began, once.
    let mut seen = Vec::new();
    let mut request = PageRequest::first(4);
    loop {
        let page = store.list_threads(&alice(), request).await.expect("list");
        seen.extend(page.items.into_iter().map(|t| t.id));
        store.new_thread(&alice(), NewThread::default()).await;
        match page.next_cursor {
            Some(cursor) => request = PageRequest::after(cursor, 4),
            None => break,
        }
    }
    let expected: Vec<String> = newest_first.iter().map(|t| t.id.clone()).collect();
    assert_eq!(seen, expected);
}

async fn messages_page_in_both_orders(db: &TestDb) {
    let store = db.open().await;
    let initial = with_messages((0..5).map(|i| format!("initial {i}")));
    let thread = store.new_thread(&alice(), initial).await;
    let mut expected = store
        .thread(&alice(), &thread.id)
        .await
        .expect("own")
        .messages;
    for i in 0..8 {
        let role = if i % 2 == 0 {
            Role::Assistant
        } else {
            Role::User
        };
        let m = store
            .post(&alice(), &thread.id, text(role, &format!("added {i}")))
            .await
            .expect("own");
        expected.push(m);
    }
    let texts: Vec<String> = expected
        .iter()
        .map(|m| match &m.content[0] {
            ContentPart::Text { text } => text.clone(),
            ContentPart::Resource { .. } => unreachable!(),
        })
        .collect();
    assert_eq!(
        texts[..2],
        ["initial 0", "initial 1"],
        "initial messages keep their order"
    );
    assert_eq!(texts[12], "added 7");

    let mut newest_first = expected.clone();
    newest_first.reverse();
    for limit in [1, 3, 12, 13, 14] {
        assert_eq!(
            all_messages(&store, &alice(), &thread.id, limit, Order::Asc).await,
            expected
        );
        assert_eq!(
            all_messages(&store, &alice(), &thread.id, limit, Order::Desc).await,
            newest_first
        );
    }
    let one = store
        .message(&alice(), &thread.id, &expected[6].id)
        .await
        .expect("own");
    assert_eq!(one, expected[6]);

    // An empty thread has one empty page.
    let empty = store.new_thread(&alice(), NewThread::default()).await;
    let page = store
        .list_messages(&alice(), &empty.id, PageRequest::default(), Order::Desc)
        .await
        .expect("list")
        .expect("own");
    assert_eq!(
        page,
        Page {
            items: vec![],
            has_more: false,
            next_cursor: None
        }
    );
}

async fn bad_cursors_and_limits_are_refused(db: &TestDb) {
    let store = db.open().await;
    let thread = store.new_thread(&alice(), with_messages(["a", "b"])).await;
    store.new_thread(&alice(), NewThread::default()).await;
    let thread_cursor = store
        .list_threads(&alice(), PageRequest::first(1))
        .await
        .expect("list")
        .next_cursor
        .expect("more");
    let message_cursor = store
        .list_messages(&alice(), &thread.id, PageRequest::first(1), Order::Asc)
        .await
        .expect("list")
        .expect("own")
        .next_cursor
        .expect("more");

    for limit in [0, 101] {
        let err = store
            .list_threads(&alice(), PageRequest::first(limit))
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::InvalidLimit(l) if l == limit) && err.is_client_error());
        let err = store
            .list_messages(&alice(), &thread.id, PageRequest::first(limit), Order::Asc)
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::InvalidLimit(_)));
    }
    for bad in ["", "garbage!", "dC4xLnRocl94", &message_cursor] {
        let err = store
            .list_threads(&alice(), PageRequest::after(bad, 5))
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::InvalidCursor), "{bad}: {err:?}");
    }
    // A thread cursor is no message cursor; and the refusal does not depend on whose thread it
    // is: the cursor is checked first.
    for (scope, bad) in [(alice(), thread_cursor.as_str()), (bob(), "garbage!")] {
        let err = store
            .list_messages(&scope, &thread.id, PageRequest::after(bad, 5), Order::Asc)
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::InvalidCursor), "{bad}: {err:?}");
    }
    // A message cursor works in either order.
    for (order, left) in [(Order::Asc, 1), (Order::Desc, 0)] {
        let page = store
            .list_messages(
                &alice(),
                &thread.id,
                PageRequest::after(&message_cursor, 5),
                order,
            )
            .await
            .expect("list")
            .expect("own");
        assert_eq!(page.items.len(), left, "{order:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Updates, durability, concurrency

async fn updates_and_new_messages_move_updated_at(db: &TestDb) {
    let store = db.open().await;
    let thread = store
        .new_thread(
            &alice(),
            NewThread {
                name: Some("draft".into()),
                metadata: Some(json!({"a": 1})),
                ..NewThread::default()
            },
        )
        .await;
    let renamed = store
        .update_thread(
            &alice(),
            &thread.id,
            ThreadUpdate {
                name: Some("final".into()),
                metadata: None,
            },
        )
        .await
        .expect("update")
        .expect("own");
    assert_eq!(renamed.name.as_deref(), Some("final"));
    assert_eq!(
        renamed.metadata,
        Some(json!({"a": 1})),
        "metadata left alone"
    );
    assert_eq!(renamed.created_at, thread.created_at);
    assert!(renamed.updated_at > thread.updated_at);

    let retagged = store
        .update_thread(
            &alice(),
            &thread.id,
            ThreadUpdate {
                name: None,
                metadata: Some(json!({"b": [1, 2]})),
            },
        )
        .await
        .expect("update")
        .expect("own");
    assert_eq!(retagged.name.as_deref(), Some("final"), "name left alone");
    assert_eq!(retagged.metadata, Some(json!({"b": [1, 2]})));

    let message = store
        .post(&alice(), &thread.id, text(Role::User, "hi"))
        .await
        .expect("own");
    let now = store.thread(&alice(), &thread.id).await.expect("own");
    assert_eq!(now.thread.updated_at, message.created_at);
    assert!(now.thread.updated_at > retagged.updated_at);

    // The JSON shape of the API.
    let value = serde_json::to_value(&now).expect("json");
    assert_eq!(value["runStatus"], "idle");
    assert_eq!(
        value["messages"][0]["content"],
        json!([{"type": "text", "text": "hi"}])
    );
    assert!(value["messages"][0].get("threadId").is_none());
    let created_at: &str = value["createdAt"].as_str().expect("string");
    assert!(
        created_at.ends_with('Z') && created_at.len() == 27,
        "{created_at}"
    );

    // Deleting a thread deletes its messages.
    assert!(store.delete(&alice(), &thread.id).await);
    assert!(
        store
            .message(&alice(), &thread.id, &message.id)
            .await
            .is_none()
    );
    assert!(!store.delete(&alice(), &thread.id).await, "already gone");
    assert!(
        store
            .post(&alice(), &thread.id, text(Role::User, "late"))
            .await
            .is_none()
    );
}

async fn data_survives_a_reconnect_and_migrations_are_idempotent(db: &TestDb) {
    let first = db.open().await;
    let thread = first.new_thread(&alice(), with_messages(["kept"])).await;
    let before = first.thread(&alice(), &thread.id).await;
    first.close().await;
    assert!(first.ping().await.is_err(), "a closed store refuses work");

    // Connecting again applies the migrations again: a no-op.
    let second = db.open().await;
    second.ping().await.expect("ping");
    assert_eq!(second.thread(&alice(), &thread.id).await, before);
    // Two stores on one database at once (two replicas) see each other's writes.
    let third = db.open().await;
    let t2 = third.new_thread(&bob(), NewThread::default()).await;
    assert!(second.thread(&bob(), &t2.id).await.is_some());
}

async fn concurrent_writers_all_succeed(db: &TestDb) {
    let store = db.open().await;
    let mut tasks = Vec::new();
    for user in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let scope = Scope::new("p_one", format!("oauth:user:idp.example.com:user{user}"));
            let thread = store.new_thread(&scope, NewThread::default()).await;
            for i in 0..15 {
                store
                    .post(&scope, &thread.id, text(Role::User, &format!("{i}")))
                    .await
                    .expect("own");
                store
                    .list_threads(&scope, PageRequest::default())
                    .await
                    .expect("list");
            }
            (scope, thread.id)
        }));
    }
    for task in tasks {
        let (scope, id) = task.await.expect("task");
        let got = store.thread(&scope, &id).await.expect("own");
        assert_eq!(got.messages.len(), 15);
    }
}

// ---------------------------------------------------------------------------------------------
// Revocations and the key ring

async fn revocations_round_trip_and_are_shared(db: &TestDb) {
    let store = db.open().await;
    let replica = db.open().await;
    assert_eq!(store.revocations().await.expect("read"), Default::default());

    // Revoking again never shortens a revocation, and never makes it earlier.
    for (jti, until) in [("jti-b", 2_000), ("jti-a", 1_000), ("jti-a", 900)] {
        store.revoke_token(jti, until).await.expect("revoke");
    }
    for (project, until) in [("p_one", 1_500), ("p_two", 1_600), ("p_one", 1_400)] {
        store
            .revoke_user(project, &alice().context_key, until)
            .await
            .expect("revoke");
    }

    let seen = replica.revocations().await.expect("read");
    assert_eq!(
        seen.tokens,
        [("jti-a".to_owned(), 1_000), ("jti-b".to_owned(), 2_000)]
    );
    assert_eq!(
        seen.users,
        [
            ("p_one".to_owned(), alice().context_key, 1_500),
            ("p_two".to_owned(), alice().context_key, 1_600),
        ]
    );
    replica
        .revoke_user("p_one", &alice().context_key, 1_700)
        .await
        .expect("later wins");
    assert_eq!(store.revocations().await.expect("read").users[0].2, 1_700);

    assert_eq!(
        store.purge_expired_revocations(1_000).await.expect("purge"),
        1
    );
    let left = store.revocations().await.expect("read");
    assert_eq!(left.tokens, [("jti-b".to_owned(), 2_000)]);
    assert_eq!(left.users.len(), 2, "user revocations are kept");
}

async fn the_key_ring_round_trips_with_one_active_key(db: &TestDb) {
    let store = db.open().await;
    let replica = db.open().await;
    let key = |kid: &str, created_at: i64, active: bool| StoredKey {
        kid: kid.into(),
        alg: "EdDSA".into(),
        private_pem: format!(
            "-----BEGIN PRIVATE KEY-----\n{kid}-secret\n-----END PRIVATE KEY-----\n"
        ),
        created_at,
        active,
        retire_at: None,
    };
    assert!(store.signing_keys().await.expect("read").is_empty());

    let first = key("kid-1", 100, true);
    store.save_signing_key(first.clone()).await.expect("save");
    // Rotation: publish the next key, then let it sign.
    let next = key("kid-2", 200, false);
    store.save_signing_key(next.clone()).await.expect("save");
    assert_eq!(
        replica.signing_keys().await.expect("read"),
        [first.clone(), next.clone()]
    );

    let next_active = StoredKey {
        active: true,
        ..next
    };
    replica
        .save_signing_key(next_active.clone())
        .await
        .expect("activate");
    // Activating the next key deactivated the first, in the same transaction.
    let keys = store.signing_keys().await.expect("read");
    assert_eq!(
        keys,
        [
            StoredKey {
                active: false,
                ..first.clone()
            },
            next_active.clone()
        ]
    );
    let old_retiring = StoredKey {
        active: false,
        retire_at: Some(4_000),
        ..first
    };
    store
        .save_signing_key(old_retiring.clone())
        .await
        .expect("retire");
    assert_eq!(
        store.signing_keys().await.expect("read"),
        [old_retiring.clone(), next_active.clone()]
    );
    assert_eq!(
        store
            .signing_keys()
            .await
            .expect("read")
            .iter()
            .filter(|k| k.active)
            .count(),
        1
    );

    let debug = format!("{old_retiring:?}");
    assert!(
        debug.contains("kid-1") && !debug.contains("secret"),
        "{debug}"
    );

    assert!(store.delete_signing_key("kid-1").await.expect("delete"));
    assert!(!store.delete_signing_key("kid-1").await.expect("delete"));
    assert_eq!(replica.signing_keys().await.expect("read"), [next_active]);
    assert_eq!(store.backend(), db.backend());
}

// ---------------------------------------------------------------------------------------------
// SQLite only

#[tokio::test]
async fn sqlite_file_and_its_directories_are_created_on_first_connect() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("a").join("b").join("tambo.db");
    assert!(!path.exists());
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
    let debug = format!("{store:?}");
    assert!(debug.contains("tambo.db"), "{debug}");
}

#[tokio::test]
async fn in_memory_databases_are_private_to_their_store() {
    let one = Store::connect("sqlite::memory:").await.expect("connect");
    let two = Store::connect("sqlite::memory:").await.expect("connect");
    let thread = one.new_thread(&alice(), NewThread::default()).await;
    assert!(one.thread(&alice(), &thread.id).await.is_some());
    assert!(two.thread(&alice(), &thread.id).await.is_none());
}

#[tokio::test]
async fn unknown_database_schemes_are_refused() {
    let err = Store::connect("mysql://root:pw@localhost/tambo")
        .await
        .expect_err("refused");
    assert!(matches!(err, StoreError::InvalidDatabaseUrl(_)), "{err:?}");
}
