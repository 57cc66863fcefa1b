//! `tambo-auth serve` as a process under faults: the identity provider down at start (the
//! server starts anyway, `/readyz` says so, the exchange answers 503 with `Retry-After`, then
//! recovers once the provider is back), and a SIGTERM during a burst of writes (every write
//! the server acknowledged is in the database a new server opens).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{exchange_full, get, get_json, start, start_logging, write_config};

const API_KEY: &str = "tambo_pk_faults";

/// Reads `/readyz` and checks that it says `ready`, as a whole (200, or 503) and for
/// `issuer` (trailing slashes aside); its body.
async fn check_ready(client: &reqwest::Client, base: &str, issuer: &str, ready: bool) -> Value {
    let (status, body) = get_json(client, format!("{base}/readyz")).await;
    assert_eq!(status, if ready { 200 } else { 503 }, "{body}");
    assert_eq!(body["ready"], ready, "{body}");
    let want = issuer.trim_end_matches('/');
    let entry = body["issuers"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|i| i["issuer"].as_str().map(|s| s.trim_end_matches('/')) == Some(want))
        })
        .unwrap_or_else(|| panic!("/readyz does not name {issuer}: {body}"));
    assert_eq!(entry["ready"], ready, "{body}");
    body
}

/// Waits for the process to exit, at most `limit`; its exit status.
async fn wait_exit(server: &mut common::Running, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = server.child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit within {limit:?} of SIGTERM"
        );
        // Let the runtime run, without sleeping: a blocking wait would hold a worker.
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_provider_down_at_start_then_recovers() {
    let started = Instant::now();
    let mut idp = TestIdp::start().await;
    let subject = idp.token(&idp.claims("alice", now()));
    idp.stop();
    assert!(!idp.is_running());

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &idp.issuer(), API_KEY);
    // Each refused exchange logs a warning, and the recovery poll makes hundreds.
    let mut server = start_logging(&config, "error");
    let base = server.base.clone();
    let client = reqwest::Client::new();

    let (status, health) = get_json(&client, format!("{base}/healthz")).await;
    assert_eq!(status, 200, "{health}");
    check_ready(&client, &base, &idp.issuer(), false).await;

    let (status, retry_after, body) = exchange_full(&client, &base, API_KEY, &subject).await;
    assert_eq!(status, 503, "exchange while the IdP is down: {body}");
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    let retry_after = retry_after.expect("a 503 exchange carries Retry-After");
    let secs: u64 = retry_after
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is delay-seconds: {retry_after:?}"));
    assert!(secs >= 1, "Retry-After {secs}");

    let ready = check_ready(&client, &base, &idp.issuer(), false).await;
    eprintln!("readyz while the IdP is down: {ready}");

    idp.restart().await;
    let down_until = Instant::now();
    let deadline = down_until + Duration::from_secs(10);
    let mut attempts = 0u32;
    let token = loop {
        attempts += 1;
        let (status, retry_after, body) = exchange_full(&client, &base, API_KEY, &subject).await;
        match status {
            200 => break body["access_token"].as_str().expect("token").to_owned(),
            503 => {
                assert_eq!(body["error"], "temporarily_unavailable", "{body}");
                assert!(retry_after.is_some(), "every 503 carries Retry-After");
            }
            other => panic!("exchange after the IdP restarted: {other} {body}"),
        }
        assert!(
            Instant::now() < deadline,
            "the exchange did not recover within 10 s ({attempts} attempts): {body}"
        );
        tokio::task::yield_now().await;
    };
    let recovered_in = down_until.elapsed();
    eprintln!("exchange recovered {recovered_in:?} after the IdP restarted ({attempts} attempts)");

    check_ready(&client, &base, &idp.issuer(), true).await;
    let (status, list) = get(&client, format!("{base}/v1/threads"), &token).await;
    assert_eq!(status, 200, "{list}");

    server.terminate();
    let exit = wait_exit(&mut server, Duration::from_secs(10)).await;
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    eprintln!(
        "identity_provider_down_at_start_then_recovers: {:?}",
        started.elapsed()
    );
}

/// Every thread of the token's user, walking the pages.
async fn all_thread_ids(client: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let path = format!("{base}/v1/threads");
    let threads = common::walk(&path, "threads", 17, "", "thread list", |url| async move {
        let (status, page) = get(client, url, token).await;
        assert_eq!(status, 200, "{page}");
        Ok::<_, std::convert::Infallible>(page)
    })
    .await;
    let Ok(threads) = threads;
    threads
        .iter()
        .map(|thread| thread["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_loses_no_acknowledged_write() {
    /// Concurrent writers, each writing up to `ROUNDS` threads one after another until the
    /// server stops answering: writes are in flight when the signal lands, and go on after.
    const WRITERS: usize = 100;
    const ROUNDS: usize = 5;
    const SIGNAL_AFTER: usize = 20;
    let started = Instant::now();
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &idp.issuer(), API_KEY);
    let mut server = start(&config);
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let subject = idp.token(&idp.claims("alice", now()));
    let token = common::token(&client, &base, API_KEY, &subject).await;

    /// One write's outcome: the 201's thread id, another answer, or no answer.
    enum Outcome {
        Acknowledged(String),
        Answered(u16, String),
        NoAnswer(String),
    }
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let client = client.clone();
        let url = format!("{base}/v1/threads");
        let token = token.clone();
        let answers = answers.clone();
        writers.spawn(async move {
            for r in 0..ROUNDS {
                let name = format!("write {w}.{r}");
                let sent = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(json!({"name": name}).to_string())
                    .send()
                    .await;
                let outcome = match sent {
                    Err(e) => Outcome::NoAnswer(format!("{name}: {e}")),
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.text().await {
                            Err(e) => {
                                Outcome::NoAnswer(format!("{name}: {status}, body lost: {e}"))
                            }
                            Ok(text) if status == 201 => {
                                let thread: Value =
                                    serde_json::from_str(&text).expect("a 201 is JSON");
                                assert_eq!(thread["name"], name.as_str(), "{thread}");
                                Outcome::Acknowledged(thread["id"].as_str().expect("id").to_owned())
                            }
                            Ok(text) => Outcome::Answered(status, format!("{name}: {text}")),
                        }
                    }
                };
                let stop = !matches!(outcome, Outcome::Acknowledged(_));
                let _ = answers.send(outcome);
                if stop {
                    break;
                }
            }
        });
    }
    drop(answers);

    let mut acknowledged: Vec<String> = Vec::new();
    let mut other_answers: Vec<(u16, String)> = Vec::new();
    let mut no_answer: Vec<String> = Vec::new();
    let mut signalled = false;
    while let Some(outcome) = answered.recv().await {
        match outcome {
            Outcome::Acknowledged(id) => acknowledged.push(id),
            Outcome::Answered(status, text) => other_answers.push((status, text)),
            Outcome::NoAnswer(e) => no_answer.push(e),
        }
        if !signalled && acknowledged.len() + other_answers.len() + no_answer.len() == SIGNAL_AFTER
        {
            server.terminate();
            signalled = true;
        }
    }
    while let Some(joined) = writers.join_next().await {
        joined.expect("a writer does not panic");
    }
    assert!(signalled, "SIGTERM was sent");
    let exit = wait_exit(&mut server, Duration::from_secs(10)).await;
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    eprintln!(
        "{WRITERS} writers x up to {ROUNDS} writes, SIGTERM after {SIGNAL_AFTER} answers: {} \
         acknowledged, {} other answers, {} without an answer",
        acknowledged.len(),
        other_answers.len(),
        no_answer.len()
    );
    for e in no_answer.iter().take(2) {
        eprintln!("  e.g. {e}");
    }
    // An answer other than 201 is a server fault (a refused connection is not an answer).
    assert!(
        other_answers.is_empty(),
        "answers other than 201 during shutdown: {other_answers:?}"
    );
    assert!(
        acknowledged.len() >= SIGNAL_AFTER,
        "at least the writes answered before the signal"
    );
    assert!(
        acknowledged.len() < WRITERS * ROUNDS,
        "the signal landed while writes were still coming: not every write was answered"
    );

    // A new server on the same database and configuration.
    let server = start(&config);
    let base = server.base.clone();
    let token = common::token(&client, &base, API_KEY, &subject).await;
    let stored = all_thread_ids(&client, &base, &token).await;
    let stored_set: BTreeSet<&str> = stored.iter().map(String::as_str).collect();
    assert_eq!(stored_set.len(), stored.len(), "no thread listed twice");
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored_set.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged writes missing after restart: {lost:?} ({} stored)",
        stored.len()
    );
    assert!(
        stored.len() <= WRITERS * ROUNDS,
        "{} threads stored",
        stored.len()
    );
    eprintln!(
        "after restart: {} threads stored, all {} acknowledged present; {:?}",
        stored.len(),
        acknowledged.len(),
        started.elapsed()
    );
}
