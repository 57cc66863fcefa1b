//! `TamboSession` against a token endpoint on 127.0.0.1 (wiremock), on tokio's paused clock:
//! refresh timing, one exchange for many callers, a fresh provider token per exchange,
//! backoff and `Retry-After`, and the auth state.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;
use tambo_auth_client::{
    AuthState, ExchangeClient, ExchangeError, ExchangeRequest, SessionConfig, TamboSession,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const API_KEY: &str = "tambo_pk_session_test";

/// Answers each exchange with a new token `tambo-<n>` living `life` seconds, or with the
/// refusals queued in `failures` first.
struct Endpoint {
    issued: AtomicUsize,
    life: u64,
    failures: std::sync::Mutex<Vec<ResponseTemplate>>,
}

/// The mounted responder: the fixture keeps the same [`Endpoint`] to count and queue.
struct Shared(Arc<Endpoint>);

impl Respond for Shared {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

impl Endpoint {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if let Some(failure) = self.failures.lock().expect("lock").pop() {
            return failure;
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("tambo-{n}"),
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer",
            "expires_in": self.life,
        }))
    }
}

struct Fixture {
    server: MockServer,
    endpoint: Arc<Endpoint>,
    /// How many provider tokens the source handed out.
    asked: Arc<AtomicUsize>,
    session: TamboSession,
}

async fn fixture(life: u64, failures: Vec<ResponseTemplate>) -> Fixture {
    let server = MockServer::start().await;
    let endpoint = Arc::new(Endpoint {
        issued: AtomicUsize::new(0),
        life,
        failures: std::sync::Mutex::new(failures),
    });
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("x-api-key", API_KEY))
        .respond_with(Shared(Arc::clone(&endpoint)))
        .mount(&server)
        .await;
    // No idle-connection timer: on a paused clock it would make the runtime jump ahead.
    let http = reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("client");
    let client = ExchangeClient::with_http(http, &format!("{}/oauth/token", server.uri()), API_KEY)
        .expect("client");
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let session = TamboSession::with_config(
        client,
        move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok::<_, std::io::Error>(format!("provider-{n}")) }
        },
        ExchangeRequest::default(),
        SessionConfig::default(),
    );
    Fixture {
        server,
        endpoint,
        asked,
        session,
    }
}

impl Fixture {
    fn exchanges(&self) -> usize {
        self.endpoint.issued.load(Ordering::SeqCst)
    }

    async fn token(&self) -> String {
        self.session
            .token()
            .await
            .expect("a token")
            .secret()
            .to_owned()
    }

    /// Lets any background work that is ready run, without moving the paused clock.
    async fn settle(&self) {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    /// Runs the runtime until the session's state is sent again (a background refresh
    /// installed its token). The exchange talks to wiremock over real sockets, so this
    /// yields (each yield polls the I/O driver) instead of awaiting, which would let the
    /// paused clock jump ahead to the next timer.
    async fn refreshed(&self, states: &mut tokio::sync::watch::Receiver<AuthState>) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !states.has_changed().expect("the session is alive") {
            assert!(
                std::time::Instant::now() < deadline,
                "no refresh within 10 s"
            );
            tokio::task::yield_now().await;
        }
        states.mark_unchanged();
    }

    async fn subject_tokens_sent(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                let body = String::from_utf8_lossy(&r.body).into_owned();
                form_urlencoded::parse(body.as_bytes())
                    .find(|(k, _)| k == "subject_token")
                    .map(|(_, v)| v.into_owned())
            })
            .collect()
    }
}

fn unavailable(retry_after: Option<u64>) -> ResponseTemplate {
    let mut answer = ResponseTemplate::new(503).set_body_json(json!({
        "error": "temporarily_unavailable",
        "error_description": "the identity provider keys are unavailable",
    }));
    if let Some(secs) = retry_after {
        answer = answer.insert_header("retry-after", secs.to_string().as_str());
    }
    answer
}

#[tokio::test(start_paused = true)]
async fn a_token_is_refreshed_in_the_background_after_80_percent_of_its_life() {
    let f = fixture(100, vec![]).await;
    assert_eq!(f.token().await, "tambo-1");
    tokio::time::advance(Duration::from_secs(79)).await;
    assert_eq!(f.token().await, "tambo-1");
    f.settle().await;
    assert_eq!(f.exchanges(), 1, "no refresh before 80 s");

    tokio::time::advance(Duration::from_secs(2)).await;
    // Past 80 %: the caller still gets the token in hand, and the refresh runs on.
    let mut states = f.session.state();
    states.mark_unchanged();
    assert_eq!(f.token().await, "tambo-1");
    f.refreshed(&mut states).await;
    assert_eq!(f.exchanges(), 2);
    assert_eq!(f.token().await, "tambo-2");
    // Each exchange asked the source for a fresh provider token.
    assert_eq!(f.asked.load(Ordering::SeqCst), 2);
    assert_eq!(f.subject_tokens_sent().await, ["provider-1", "provider-2"]);
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_is_never_handed_out() {
    let f = fixture(100, vec![unavailable(Some(60)), unavailable(Some(60))]).await;
    // The first two exchanges fail; Retry-After keeps the session from trying again.
    let first = f.session.token().await.expect_err("refused");
    assert!(matches!(
        first,
        ExchangeError::TemporarilyUnavailable { .. }
    ));
    assert_eq!(first.retry_after(), Some(Duration::from_secs(60)));
    let again = f.session.token().await.expect_err("within Retry-After");
    assert!(matches!(
        again,
        ExchangeError::TemporarilyUnavailable { .. }
    ));
    assert_eq!(
        f.server.received_requests().await.unwrap_or_default().len(),
        1
    );

    tokio::time::advance(Duration::from_secs(60)).await;
    let _ = f.session.token().await.expect_err("the second failure");
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(f.token().await, "tambo-1");

    // The token expires while refreshes fail: it is handed out until 5 s before `exp`,
    // never after.
    f.endpoint
        .failures
        .lock()
        .expect("lock")
        .extend([unavailable(Some(300)), unavailable(Some(300))]);
    tokio::time::advance(Duration::from_secs(94)).await;
    assert_eq!(f.token().await, "tambo-1");
    f.settle().await;
    tokio::time::advance(Duration::from_secs(1)).await;
    let expired = f.session.token().await.expect_err("no expired token");
    assert!(matches!(
        expired,
        ExchangeError::TemporarilyUnavailable { .. }
    ));
    assert!(matches!(
        &*f.session.state().borrow(),
        AuthState::Error(ExchangeError::TemporarilyUnavailable { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_from_one_second_doubling_to_thirty() {
    let failures = (0..7).map(|_| unavailable(None)).collect();
    let f = fixture(600, failures).await;
    let requests = || async { f.server.received_requests().await.unwrap_or_default().len() };
    let _ = f.session.token().await.expect_err("refused");
    let mut waits = Vec::new();
    for _ in 0..6 {
        // Seconds until the session tries again; callers meanwhile get the last error.
        let before = requests().await;
        let mut waited = 0;
        while requests().await == before {
            tokio::time::advance(Duration::from_secs(1)).await;
            waited += 1;
            let refused = f.session.token().await.expect_err("still failing");
            assert!(matches!(
                refused,
                ExchangeError::TemporarilyUnavailable { .. }
            ));
        }
        waits.push(waited);
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 30]);
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(f.token().await, "tambo-1");
}

#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_callers_share_one_exchange() {
    let f = fixture(300, vec![]).await;
    let mut states = f.session.state();
    assert!(matches!(
        &*states.borrow_and_update(),
        AuthState::Unauthenticated
    ));
    let tokens = join_all((0..100).map(|_| f.session.token())).await;
    assert!(
        tokens
            .iter()
            .all(|t| t.as_ref().is_ok_and(|t| t.secret() == "tambo-1"))
    );
    assert_eq!(f.exchanges(), 1);
    assert_eq!(f.asked.load(Ordering::SeqCst), 1);
    assert!(matches!(
        &*states.borrow_and_update(),
        AuthState::Identified { .. }
    ));
    // 100 more callers after 80 %: still one refresh.
    tokio::time::advance(Duration::from_secs(241)).await;
    let tokens = join_all((0..100).map(|_| f.session.token())).await;
    assert!(
        tokens
            .iter()
            .all(|t| t.as_ref().is_ok_and(|t| t.secret() == "tambo-1"))
    );
    f.refreshed(&mut states).await;
    f.settle().await;
    assert_eq!(f.exchanges(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_state_follows_the_session_and_sign_out_forgets_the_token() {
    let f = fixture(100, vec![unavailable(None)]).await;
    let states = f.session.state();
    let _ = f.session.token().await.expect_err("refused");
    assert!(matches!(&*states.borrow(), AuthState::Error(_)));
    tokio::time::advance(Duration::from_secs(1)).await;
    f.token().await;
    match &*states.borrow() {
        AuthState::Identified { expires_at, .. } => {
            let left = expires_at.duration_since(tokio::time::Instant::now());
            assert_eq!(left, Duration::from_secs(95));
        }
        other => panic!("{other:?}"),
    }
    f.session.sign_out();
    assert!(matches!(&*states.borrow(), AuthState::Unauthenticated));
    assert_eq!(f.token().await, "tambo-2");
}

#[tokio::test(start_paused = true)]
async fn a_refused_provider_token_is_replaced_by_a_fresh_one_and_invalidate_forces_an_exchange() {
    let expired = ResponseTemplate::new(400).set_body_json(json!({
        "error": "invalid_request",
        "error_description": "the token has expired",
    }));
    let f = fixture(3600, vec![expired]).await;
    let refused = f.session.token().await.expect_err("expired provider token");
    assert!(matches!(refused, ExchangeError::InvalidRequest { .. }));
    tokio::time::advance(Duration::from_secs(1)).await;
    let token = f.session.token().await.expect("a token");
    // Never the refused provider token again: the source gave a fresh one.
    assert_eq!(f.subject_tokens_sent().await, ["provider-1", "provider-2"]);
    // The API refused the Tambo token (revoked): the next call exchanges again.
    f.session.invalidate(&token);
    assert_eq!(f.token().await, "tambo-2");
    assert_eq!(f.asked.load(Ordering::SeqCst), 3);
}
