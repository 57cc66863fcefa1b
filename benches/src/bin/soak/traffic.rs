//! The requests of the soak, each with the answers it may get: valid exchanges, invalid
//! exchanges (forged, unknown `kid`, expired, foreign issuer, wrong audience, garbage,
//! `alg: none`, a Tambo token, an unknown API key), `/v1` reads and writes by the owner,
//! invalid bearer tokens, reads of another user's thread, and the health documents.
//!
//! An answer outside what its kind may get is a finding. The identity provider's disturbances
//! widen what an exchange may get (see [`Ctx::judge`]); nothing widens `/v1`, which never
//! talks to the identity provider.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tambo_auth_testkit::jws::{b64url, token_with_header};
use tambo_auth_testkit::{TestKey, claims};

use crate::faults::Signer;
use crate::ledger::{ThreadRecord, User};
use crate::tally::{NO_ANSWER, Tally};
use crate::timeline::Timeline;

/// The audience the soak's project requires and its users' tokens carry.
pub(crate) const AUDIENCE: &str = "tambo-soak";
/// A Tambo token is exchanged again once this old (they live 300 s: the subject's `exp`).
const TOKEN_REFRESH: Duration = Duration::from_secs(120);
/// The messages `GET /v1/threads/{id}` answers with by default.
const THREAD_PAGE: usize = 100;
/// Thread ids offered to other users' reads.
const SHARED_THREADS: usize = 512;

/// What every client task shares.
pub(crate) struct Ctx {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) issuer: String,
    pub(crate) api_key: String,
    pub(crate) signer: Signer,
    /// A key the identity provider never published: forgeries.
    pub(crate) attacker: TestKey,
    pub(crate) tally: Tally,
    pub(crate) timeline: Timeline,
    /// Recent thread ids of every user, for reads by another user.
    shared_threads: Mutex<Vec<String>>,
}

/// An answer, or none.
pub(crate) struct Answer {
    pub(crate) status: u16,
    retry_after: bool,
    pub(crate) body: Value,
    sent: Instant,
    answered: Instant,
}

impl Answer {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

pub(crate) use tambo_auth_testkit::Rng;

/// The mix, in percent of the requests of a user who holds a Tambo token.
const MIX: [(Op, u32); 13] = [
    (Op::Exchange, 8),
    (Op::InvalidExchange, 10),
    (Op::CreateThread, 6),
    (Op::AddMessage, 20),
    (Op::RenameThread, 4),
    (Op::DeleteThread, 2),
    (Op::ListThreads, 12),
    (Op::GetThread, 12),
    (Op::ListMessages, 8),
    (Op::GetMessage, 6),
    (Op::InvalidBearer, 6),
    (Op::CrossUserRead, 4),
    (Op::Health, 2),
];

#[derive(Debug, Clone, Copy)]
enum Op {
    Exchange,
    InvalidExchange,
    CreateThread,
    AddMessage,
    RenameThread,
    DeleteThread,
    ListThreads,
    GetThread,
    ListMessages,
    GetMessage,
    InvalidBearer,
    CrossUserRead,
    Health,
}

impl Ctx {
    pub(crate) fn new(
        base: String,
        issuer: String,
        api_key: String,
        signer: Signer,
        timeline: Timeline,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("an HTTP client without TLS settings builds");
        Ctx {
            base,
            http,
            issuer,
            api_key,
            signer,
            attacker: TestKey::p256("attacker"),
            tally: Tally::default(),
            timeline,
            shared_threads: Mutex::new(Vec::new()),
        }
    }

    async fn send(&self, kind: &'static str, request: reqwest::RequestBuilder) -> Answer {
        let sent = Instant::now();
        let (status, retry_after, text) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                (
                    status,
                    retry_after,
                    response.text().await.unwrap_or_default(),
                )
            }
            Err(_) => (NO_ANSWER, false, String::new()),
        };
        let answered = Instant::now();
        self.tally.record(kind, status, answered - sent);
        Answer {
            status,
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            sent,
            answered,
        }
    }

    /// Whether `answer` is one `kind` may get: a status in `expected`, or, for calls that
    /// depend on the identity provider (`idp`) while it was disturbed, 503
    /// `temporarily_unavailable` with `Retry-After` and the statuses in `disturbed`. A 429
    /// `slow_down` is counted apart. Anything else is a finding.
    fn judge(
        &self,
        kind: &'static str,
        answer: &Answer,
        expected: &[u16],
        idp: Option<&[u16]>,
    ) -> bool {
        if expected.contains(&answer.status) {
            return true;
        }
        if answer.status == 429 && answer.error() == "slow_down" && answer.retry_after {
            self.tally.rate_limited();
            return false;
        }
        if let Some(disturbed) = idp
            && self.timeline.disturbed(answer.sent, answer.answered)
        {
            if answer.status == 503
                && answer.error() == "temporarily_unavailable"
                && answer.retry_after
            {
                self.tally.expected_unavailable();
                return false;
            }
            if disturbed.contains(&answer.status) {
                return false;
            }
        }
        let status = match answer.status {
            NO_ANSWER => "no answer".to_owned(),
            s => s.to_string(),
        };
        let accepted = if expected.iter().all(|s| *s >= 400) && (200..300).contains(&answer.status)
        {
            " (ACCEPTED: a refusal was expected)"
        } else {
            ""
        };
        self.tally.finding(format!(
            "{kind}: {status} {:?}{accepted}, expected {expected:?}",
            answer.error()
        ));
        false
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A subject token of `sub` from the identity provider, signed with its current key.
    pub(crate) fn subject_token(&self, sub: &str) -> String {
        let mut claims = claims::claims(&self.issuer, sub, claims::now());
        claims["aud"] = json!(AUDIENCE);
        tambo_auth_testkit::jws::token(&self.signer.current(), &claims)
    }

    fn exchange_request(&self, api_key: &str, subject: &str) -> reqwest::RequestBuilder {
        let form = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
             &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token\
             &subject_token={subject}"
        );
        self.http
            .post(self.url("/oauth/token"))
            .header("x-api-key", api_key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
    }

    /// A valid exchange for `user`; keeps the Tambo token on success. While the identity
    /// provider is disturbed it may also answer 400 (a key rotated in that could not be
    /// fetched yet) or 503.
    pub(crate) async fn exchange(&self, kind: &'static str, user: &mut User) -> Answer {
        let subject = self.subject_token(&user.sub);
        let answer = self
            .send(kind, self.exchange_request(&self.api_key, &subject))
            .await;
        if self.judge(kind, &answer, &[200], Some(&[400])) {
            match answer.body["access_token"].as_str() {
                Some(token) => user.token = Some((token.to_owned(), Instant::now())),
                None => self
                    .tally
                    .finding(format!("{kind}: 200 without access_token")),
            }
        }
        answer
    }

    /// One request of the mix for `user`.
    pub(crate) async fn step(&self, user: &mut User, rng: &mut Rng) {
        let fresh = user
            .token
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() < TOKEN_REFRESH);
        if !fresh {
            self.exchange("exchange", user).await;
            return;
        }
        let mut pick = rng.below(100) as u32;
        let op = MIX
            .iter()
            .find(|(_, weight)| {
                let hit = pick < *weight;
                pick = pick.saturating_sub(*weight);
                hit
            })
            .map_or(Op::Health, |(op, _)| *op);
        match op {
            Op::Exchange => drop(self.exchange("exchange", user).await),
            Op::InvalidExchange => self.invalid_exchange(user, rng).await,
            Op::CreateThread => self.create_thread(user, rng).await,
            Op::AddMessage => self.add_message(user, rng).await,
            Op::RenameThread => self.rename_thread(user, rng).await,
            Op::DeleteThread => self.delete_thread(user, rng).await,
            Op::ListThreads => self.list_threads(user, rng).await,
            Op::GetThread => self.get_thread(user, rng).await,
            Op::ListMessages => self.list_messages(user, rng).await,
            Op::GetMessage => self.get_message(user, rng).await,
            Op::InvalidBearer => self.invalid_bearer(user, rng).await,
            Op::CrossUserRead => self.cross_user_read(user, rng).await,
            Op::Health => self.health(rng).await,
        }
    }

    fn token(user: &User) -> &str {
        user.token.as_ref().map_or("", |(t, _)| t.as_str())
    }

    fn v1(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path)).bearer_auth(token);
        match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body.to_string()),
            None => request,
        }
    }

    async fn invalid_exchange(&self, user: &User, rng: &mut Rng) {
        let now = claims::now();
        let signer = self.signer.current();
        let valid_claims = || {
            let mut c = claims::claims(&self.issuer, &user.sub, now);
            c["aud"] = json!(AUDIENCE);
            c
        };
        let (kind, api_key, subject, expected): (&'static str, &str, String, u16) =
            match rng.below(9) {
                0 => {
                    // The provider's kid, the attacker's key.
                    let header = json!({"alg": "ES256", "kid": signer.kid(), "typ": "JWT"});
                    let token = token_with_header(&self.attacker, &header, &valid_claims());
                    ("exchange-forged", &self.api_key, token, 400)
                }
                1 => {
                    let kid = format!("attacker-{}", rng.next_u64());
                    let header = json!({"alg": "ES256", "kid": kid, "typ": "JWT"});
                    let token = token_with_header(&self.attacker, &header, &valid_claims());
                    ("exchange-unknown-kid", &self.api_key, token, 400)
                }
                2 => {
                    let mut c = valid_claims();
                    c["iat"] = json!(now - 900);
                    c["nbf"] = json!(now - 900);
                    c["exp"] = json!(now - 600);
                    let token = tambo_auth_testkit::jws::token(&signer, &c);
                    ("exchange-expired", &self.api_key, token, 400)
                }
                3 => {
                    let mut c = valid_claims();
                    c["iss"] = json!("https://idp.attacker.example");
                    let token = tambo_auth_testkit::jws::token(&signer, &c);
                    ("exchange-foreign-iss", &self.api_key, token, 400)
                }
                4 => {
                    let mut c = valid_claims();
                    c["aud"] = json!("another-application");
                    let token = tambo_auth_testkit::jws::token(&signer, &c);
                    ("exchange-wrong-aud", &self.api_key, token, 400)
                }
                5 => (
                    "exchange-garbage",
                    &self.api_key,
                    "not.a.jwt".to_owned(),
                    400,
                ),
                6 => {
                    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
                    let payload = b64url(valid_claims().to_string());
                    (
                        "exchange-alg-none",
                        &self.api_key,
                        format!("{header}.{payload}."),
                        400,
                    )
                }
                7 => {
                    let token = self.subject_token(&user.sub);
                    ("exchange-bad-api-key", "tambo_pk_unknown", token, 401)
                }
                _ => (
                    "exchange-tambo-token",
                    &self.api_key,
                    Self::token(user).to_owned(),
                    400,
                ),
            };
        let answer = self
            .send(kind, self.exchange_request(api_key, &subject))
            .await;
        self.judge(kind, &answer, &[expected], Some(&[]));
    }

    fn pick_thread(user: &User, rng: &mut Rng) -> Option<usize> {
        (!user.threads.is_empty()).then(|| rng.below(user.threads.len()))
    }

    async fn create_thread(&self, user: &mut User, rng: &mut Rng) {
        let initial: Vec<String> = (0..rng.below(3)).map(|_| user.next_text()).collect();
        let name = format!("{} thread {}", user.sub, rng.next_u64() % 1_000_000);
        let body = json!({
            "name": name,
            "metadata": {"soak": true},
            "initialMessages": initial.iter().map(|text| json!({
                "role": "user", "content": [{"type": "text", "text": text}]
            })).collect::<Vec<_>>(),
        });
        let answer = self
            .send(
                "create-thread",
                self.v1(
                    reqwest::Method::POST,
                    "/v1/threads",
                    Self::token(user),
                    Some(body),
                ),
            )
            .await;
        if answer.status == NO_ANSWER {
            user.unanswered_creates += 1;
        }
        if !self.judge("create-thread", &answer, &[201], None) {
            return;
        }
        let Some(id) = answer.body["id"].as_str() else {
            self.tally.finding("create-thread: 201 without id".into());
            return;
        };
        user.threads.push(ThreadRecord {
            id: id.to_owned(),
            name: None,
            messages: initial,
            message_ids: Vec::new(),
            uncertain: false,
        });
        let mut shared = self
            .shared_threads
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if shared.len() >= SHARED_THREADS {
            let at = rng.below(shared.len());
            shared[at] = id.to_owned();
        } else {
            shared.push(id.to_owned());
        }
    }

    async fn add_message(&self, user: &mut User, rng: &mut Rng) {
        let Some(index) = Self::pick_thread(user, rng) else {
            return self.create_thread(user, rng).await;
        };
        let text = user.next_text();
        let path = format!("/v1/threads/{}/messages", user.threads[index].id);
        let body = json!({
            "role": if rng.below(2) == 0 { "user" } else { "assistant" },
            "content": [{"type": "text", "text": text}],
            "metadata": {"n": user.written},
        });
        let answer = self
            .send(
                "add-message",
                self.v1(reqwest::Method::POST, &path, Self::token(user), Some(body)),
            )
            .await;
        let thread = &mut user.threads[index];
        if answer.status == NO_ANSWER {
            thread.uncertain = true;
        }
        if self.judge("add-message", &answer, &[201], None) {
            if answer.body["content"][0]["text"] != text {
                self.tally
                    .finding("add-message: the answer does not hold the text sent".into());
            }
            if let Some(id) = answer.body["id"].as_str() {
                thread.message_ids.push((id.to_owned(), text.clone()));
            }
            thread.messages.push(text);
        }
    }

    async fn rename_thread(&self, user: &mut User, rng: &mut Rng) {
        let Some(index) = Self::pick_thread(user, rng) else {
            return;
        };
        let name = format!("renamed {}", rng.next_u64() % 1_000_000);
        let path = format!("/v1/threads/{}", user.threads[index].id);
        let answer = self
            .send(
                "rename-thread",
                self.v1(
                    reqwest::Method::PATCH,
                    &path,
                    Self::token(user),
                    Some(json!({"name": name})),
                ),
            )
            .await;
        let thread = &mut user.threads[index];
        if answer.status == NO_ANSWER {
            thread.uncertain = true;
        }
        if self.judge("rename-thread", &answer, &[200], None) {
            thread.name = Some(name);
        }
    }

    async fn delete_thread(&self, user: &mut User, rng: &mut Rng) {
        let Some(index) = Self::pick_thread(user, rng) else {
            return;
        };
        let path = format!("/v1/threads/{}", user.threads[index].id);
        let answer = self
            .send(
                "delete-thread",
                self.v1(reqwest::Method::DELETE, &path, Self::token(user), None),
            )
            .await;
        if answer.status == NO_ANSWER {
            user.threads[index].uncertain = true;
        }
        if self.judge("delete-thread", &answer, &[204], None) {
            let thread = user.threads.swap_remove(index);
            user.deleted.push(thread.id);
        }
    }

    async fn list_threads(&self, user: &User, rng: &mut Rng) {
        let limit = 1 + rng.below(50);
        let answer = self
            .send(
                "list-threads",
                self.v1(
                    reqwest::Method::GET,
                    &format!("/v1/threads?limit={limit}"),
                    Self::token(user),
                    None,
                ),
            )
            .await;
        if self.judge("list-threads", &answer, &[200], None) {
            let listed = answer.body["threads"].as_array().map_or(0, Vec::len);
            if listed > limit || listed > user.threads.len() + user.unanswered_creates as usize {
                self.tally.finding(format!(
                    "list-threads: {listed} threads for limit {limit} and {} known",
                    user.threads.len()
                ));
            }
        }
    }

    async fn get_thread(&self, user: &User, rng: &mut Rng) {
        let Some(index) = Self::pick_thread(user, rng) else {
            return;
        };
        let thread = &user.threads[index];
        let answer = self
            .send(
                "get-thread",
                self.v1(
                    reqwest::Method::GET,
                    &format!("/v1/threads/{}", thread.id),
                    Self::token(user),
                    None,
                ),
            )
            .await;
        if self.judge("get-thread", &answer, &[200], None) && !thread.uncertain {
            // Read your writes: the first page holds the first acknowledged messages.
            let texts: Vec<&str> = answer.body["messages"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|m| m["content"][0]["text"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let page = thread.messages.len().min(THREAD_PAGE);
            if texts.len() != page || !thread.messages.iter().zip(&texts).all(|(a, b)| a == b) {
                self.tally.finding(format!(
                    "get-thread: thread {} does not read back its acknowledged messages",
                    thread.id
                ));
            }
        }
    }

    async fn list_messages(&self, user: &User, rng: &mut Rng) {
        let Some(index) = Self::pick_thread(user, rng) else {
            return;
        };
        let order = if rng.below(2) == 0 { "asc" } else { "desc" };
        let path = format!(
            "/v1/threads/{}/messages?limit={}&order={order}",
            user.threads[index].id,
            1 + rng.below(100)
        );
        let answer = self
            .send(
                "list-messages",
                self.v1(reqwest::Method::GET, &path, Self::token(user), None),
            )
            .await;
        self.judge("list-messages", &answer, &[200], None);
    }

    async fn get_message(&self, user: &User, rng: &mut Rng) {
        let Some(index) = Self::pick_thread(user, rng) else {
            return;
        };
        let thread = &user.threads[index];
        if thread.message_ids.is_empty() {
            return;
        }
        let (id, text) = &thread.message_ids[rng.below(thread.message_ids.len())];
        let path = format!("/v1/threads/{}/messages/{id}", thread.id);
        let answer = self
            .send(
                "get-message",
                self.v1(reqwest::Method::GET, &path, Self::token(user), None),
            )
            .await;
        if self.judge("get-message", &answer, &[200], None)
            && answer.body["content"][0]["text"] != text.as_str()
        {
            self.tally
                .finding(format!("get-message: message {id} reads back another text"));
        }
    }

    async fn invalid_bearer(&self, user: &User, rng: &mut Rng) {
        let token = Self::token(user);
        let bearer = match rng.below(4) {
            0 => "not-a-token".to_owned(),
            1 => {
                // One character of the signature changed (in the middle: the last one may
                // only carry unused bits).
                let mut bytes = token.as_bytes().to_vec();
                let at = token
                    .rfind('.')
                    .map_or(0, |dot| dot + (token.len() - dot) / 2);
                if let Some(b) = bytes.get_mut(at) {
                    *b = if *b == b'A' { b'B' } else { b'A' };
                }
                String::from_utf8(bytes).unwrap_or_default()
            }
            2 => self.subject_token(&user.sub),
            _ => {
                let payload = token.split('.').nth(1).unwrap_or_default();
                format!("{}.{payload}.", b64url(br#"{"alg":"none","typ":"at+jwt"}"#))
            }
        };
        let answer = self
            .send(
                "bearer-invalid",
                self.v1(reqwest::Method::GET, "/v1/threads", &bearer, None),
            )
            .await;
        if self.judge("bearer-invalid", &answer, &[401], None) && answer.error() != "invalid_token"
        {
            self.tally
                .finding(format!("bearer-invalid: 401 {:?}", answer.error()));
        }
    }

    async fn cross_user_read(&self, user: &User, rng: &mut Rng) {
        let id = {
            let shared = self
                .shared_threads
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if shared.is_empty() {
                return;
            }
            shared[rng.below(shared.len())].clone()
        };
        // Another user's thread (or one of this user's that was deleted): 404 either way.
        if user.threads.iter().any(|t| t.id == id) {
            return;
        }
        let answer = self
            .send(
                "cross-user-read",
                self.v1(
                    reqwest::Method::GET,
                    &format!("/v1/threads/{id}"),
                    Self::token(user),
                    None,
                ),
            )
            .await;
        self.judge("cross-user-read", &answer, &[404], None);
    }

    /// Uses a freshly issued token once (`GET /v1/threads`): it enters the server's cache.
    pub(crate) async fn prime_read(&self, user: &User) {
        let answer = self
            .send(
                "list-threads (priming)",
                self.v1(
                    reqwest::Method::GET,
                    "/v1/threads?limit=1",
                    Self::token(user),
                    None,
                ),
            )
            .await;
        self.judge("list-threads (priming)", &answer, &[200], None);
    }

    /// Every item of a `/v1` list (`field`: `threads` or `messages`), page after page.
    pub(crate) async fn read_all(&self, user: &User, path: &str, field: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let uri = match &cursor {
                None => format!("{path}?limit=100"),
                Some(c) => format!("{path}?limit=100&cursor={c}"),
            };
            let answer = self
                .send(
                    "read-back",
                    self.v1(reqwest::Method::GET, &uri, Self::token(user), None),
                )
                .await;
            if !self.judge("read-back", &answer, &[200], None) {
                return items;
            }
            if let Some(page) = answer.body[field].as_array() {
                items.extend(page.iter().cloned());
            }
            match answer.body["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    /// A `/v1` document, or `None` when it answers 404.
    pub(crate) async fn read_one(&self, user: &User, path: &str) -> Option<Value> {
        let answer = self
            .send(
                "read-back",
                self.v1(reqwest::Method::GET, path, Self::token(user), None),
            )
            .await;
        self.judge("read-back", &answer, &[200, 404], None);
        (answer.status == 200).then_some(answer.body)
    }

    async fn health(&self, rng: &mut Rng) {
        if rng.below(2) == 0 {
            let answer = self
                .send("healthz", self.http.get(self.url("/healthz")))
                .await;
            self.judge("healthz", &answer, &[200], None);
        } else {
            let answer = self
                .send("readyz", self.http.get(self.url("/readyz")))
                .await;
            // Not ready (503, no error code) while the provider's keys are not loaded.
            if !(answer.status == 503 && self.timeline.disturbed(answer.sent, answer.answered)) {
                self.judge("readyz", &answer, &[200], None);
            }
        }
    }
}
