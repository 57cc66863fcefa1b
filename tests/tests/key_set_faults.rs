//! Fault injection against the remote key set: the cases R-01 … R-17 of `docs/security.md`,
//! run through [`Verifier`] against the testkit identity provider on `127.0.0.1`.
//!
//! Time is a [`ManualClock`] shared with the verifier; token claims are built from it. The
//! identity provider is a real HTTP server on its own thread, so the tokio clock is never
//! paused, and background work is awaited by polling state, never by sleeping.
//!
//! | test | cases |
//! | --- | --- |
//! | `defaults_match_the_reliability_policy` | R-03 (3 s total timeout) and the defaults of DESIGN.md |
//! | `unreachable_idp_at_startup_leaves_only_that_issuer_unavailable` | R-01 |
//! | `unresolvable_idp_host_is_unavailable_like_a_refused_connection` | R-14 |
//! | `idp_that_comes_back_is_used_within_the_backoff_ceiling_without_restart` | R-02 |
//! | `failed_fetches_back_off_from_one_second_doubling_to_thirty` | R-02 |
//! | `slow_jwks_answers_503_quickly_with_one_outbound_fetch_for_100_requests` | R-03 |
//! | `broken_jwks_answers_keep_the_last_known_good_keys` | R-04 |
//! | `empty_key_set_is_a_failed_refresh_that_keeps_the_last_known_good_keys` | R-05 |
//! | `oversized_jwks_is_refused_past_64_kib_and_keeps_the_last_known_good_keys` | R-06 |
//! | `endless_chunked_jwks_is_aborted_at_the_body_cap` | R-06 |
//! | `redirects_are_not_followed_and_count_as_failures` | R-07 |
//! | `unknown_kid_storm_fetches_at_most_once_per_interval` | R-08 |
//! | `each_unknown_kid_waits_out_its_own_cooldown` | R-08 |
//! | `verification_with_keys_at_hand_is_ready_at_its_first_poll` | R-08, R-11 |
//! | `rotation_picks_up_a_new_key_at_once_and_drops_a_removed_one_after_refresh` | R-09 |
//! | `a_new_key_that_cannot_be_fetched_is_unavailable_not_unknown` | R-09 |
//! | `expired_freshness_while_idp_down_serves_last_known_good_for_one_hour` | R-10 |
//! | `refresh_ahead_at_80_percent_makes_one_background_fetch_without_blocking` | R-11 |
//! | `cache_control_max_age_is_clamped_to_one_minute_and_one_day` | R-11 |
//! | `discovery_issuer_mismatch_makes_the_issuer_unusable` | R-12 |
//! | `discovery_jwks_uri_to_private_or_plain_http_is_refused_without_fetching` | R-13 |
//! | `the_key_fetcher_never_uses_a_proxy` | R-13 |
//! | `identity_provider_text_is_escaped_in_the_logs` | H-14 |
//! | `cold_start_burst_makes_one_discovery_and_one_jwks_request` | R-15 |
//! | `failing_fetch_answers_every_waiter_without_panic` | R-16 |
//! | `a_caller_giving_up_does_not_cancel_the_shared_fetch` | R-16 |
//! | `server_clock_behind_accepts_tokens_up_to_the_60s_leeway` | R-17 |

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tambo_auth::clock::ManualClock;
use tambo_auth::keys::{FetchPolicy, KeySetState, RemoteKeySetConfig};
use tambo_auth::verify::Secret;
use tambo_auth::{Error, ErrorKind, VerifiedToken, Verifier};
use tambo_auth_testkit::idp::{Fault, TestIdp};
use tambo_auth_testkit::jws::{self, JwsBuilder};
use tambo_auth_testkit::keys::{TestKey, fixtures};

/// Where every test's clock starts (2023-11-14), far from the real time on purpose.
const T0: u64 = 1_700_000_000;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn clock() -> ManualClock {
    ManualClock::at_unix(T0)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn builder(
    issuer: &str,
    clock: &ManualClock,
    config: RemoteKeySetConfig,
) -> tambo_auth::verify::VerifierBuilder {
    Verifier::builder(issuer)
        .key_set_config(config)
        .allow_loopback_http(true)
        .clock(Arc::new(clock.clone()))
        .allow_any_audience()
}

/// A verifier reading the IdP's JWKS URL directly.
fn jwks_verifier(idp: &TestIdp, clock: &ManualClock) -> Verifier {
    jwks_verifier_with(idp, clock, RemoteKeySetConfig::default())
}

fn jwks_verifier_with(idp: &TestIdp, clock: &ManualClock, config: RemoteKeySetConfig) -> Verifier {
    builder(&idp.issuer(), clock, config)
        .jwks_url(idp.jwks_url())
        .allow_any_audience()
        .build()
        .expect("a JWKS verifier for the test IdP builds")
}

/// A verifier finding the JWKS through the IdP's discovery document.
fn discovery_verifier(idp: &TestIdp, clock: &ManualClock) -> Verifier {
    builder(&idp.issuer(), clock, RemoteKeySetConfig::default())
        .oidc_discovery()
        .build()
        .expect("a discovery verifier for the test IdP builds")
}

/// A token from the IdP's signing key, minted "now" on the test clock.
fn token(idp: &TestIdp, clock: &ManualClock) -> String {
    idp.token(&idp.claims("user-1", clock.unix()))
}

/// A token for the IdP's issuer signed by `key` (published or not).
fn token_signed_by(key: &TestKey, idp: &TestIdp, clock: &ManualClock) -> String {
    jws::token(key, &idp.claims("user-1", clock.unix()))
}

/// A token naming `kid`, with a junk signature: key selection fails before any signature
/// check, so nothing is signed (a storm of these is cheap to build).
fn token_with_kid(kid: &str, issuer: &str, clock: &ManualClock) -> String {
    JwsBuilder::new()
        .header(json!({"alg": "RS256", "kid": kid, "typ": "JWT"}))
        .payload(tambo_auth_testkit::claims::claims(
            issuer,
            "attacker",
            clock.unix(),
        ))
        .with_signature(&[7; 256])
}

fn at(clock_secs: u64) -> Option<std::time::SystemTime> {
    Some(UNIX_EPOCH + secs(clock_secs))
}

#[track_caller]
fn assert_ok(result: Result<VerifiedToken, Error>) {
    if let Err(error) = result {
        panic!("expected the token to verify, got {error:?}");
    }
}

/// Asserts a 503 `KeysUnavailable` with a usable `Retry-After`, and returns it.
#[track_caller]
fn assert_unavailable(result: Result<VerifiedToken, Error>) -> Duration {
    match result {
        Err(error @ Error::KeysUnavailable { .. }) => {
            assert_eq!(error.kind(), ErrorKind::KeysUnavailable);
            assert_eq!(error.kind().exchange_status(), 503);
            assert_eq!(error.kind().oauth_error(), "temporarily_unavailable");
            let retry_after = error
                .retry_after()
                .expect("KeysUnavailable carries a retry_after");
            assert!(
                retry_after >= SECOND,
                "Retry-After is at least 1 s, got {retry_after:?}"
            );
            assert!(
                retry_after <= secs(30),
                "Retry-After never exceeds the 30 s backoff ceiling, got {retry_after:?}"
            );
            retry_after
        }
        other => panic!("expected KeysUnavailable (503), got {other:?}"),
    }
}

/// The reason text of a `KeysUnavailable`, for checks on what was logged.
#[track_caller]
fn unavailable_reason(result: Result<VerifiedToken, Error>) -> String {
    match &result {
        Err(Error::KeysUnavailable { reason, .. }) => {
            let reason = reason.clone();
            assert_unavailable(result);
            reason
        }
        other => panic!("expected KeysUnavailable (503), got {other:?}"),
    }
}

#[track_caller]
fn assert_unknown_key(result: Result<VerifiedToken, Error>) {
    match result {
        Err(error @ Error::UnknownKey) => {
            assert_eq!(error.kind(), ErrorKind::UnknownKey);
            assert_eq!(error.kind().exchange_status(), 400);
        }
        other => panic!("expected UnknownKey (400), got {other:?}"),
    }
}

/// Polls `condition` while yielding to the runtime, so background fetches (real HTTP on the
/// IdP's thread) can finish. Bounded by a generous real-time deadline, not by sleeping.
async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + secs(10);
    for _ in 0..50_000_000u64 {
        if condition() {
            return;
        }
        if Instant::now() > deadline {
            break;
        }
        tokio::task::yield_now().await;
    }
    panic!("gave up waiting for {what}");
}

/// Verifies every token at once, each on its own task of the (multi-thread) runtime.
async fn verify_concurrently(
    verifier: &Verifier,
    tokens: Vec<String>,
) -> Vec<Result<VerifiedToken, Error>> {
    let handles: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let verifier = verifier.clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    join_all(handles)
        .await
        .into_iter()
        .map(|joined| joined.expect("no verification task panics"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Defaults (R-03's 3 s bound and the rest of the key-set defaults)
// ---------------------------------------------------------------------------------------------

#[test]
fn defaults_match_the_reliability_policy() {
    let fetch = FetchPolicy::default();
    assert_eq!(fetch.timeout, secs(3), "R-03: 503 within 3 s");
    assert_eq!(fetch.connect_timeout, secs(1));
    assert_eq!(fetch.max_body, 64 * 1024);
    assert!(!fetch.allow_loopback_http);

    let config = RemoteKeySetConfig::default();
    assert_eq!(config.freshness, secs(600));
    assert_eq!(config.min_freshness, MINUTE);
    assert_eq!(config.max_freshness, secs(24 * 3600));
    assert!((config.refresh_ahead - 0.8).abs() < f64::EPSILON);
    assert_eq!(config.unknown_kid_cooldown, secs(30));
    assert_eq!(config.unknown_kid_interval, secs(5));
    assert_eq!(config.stale_if_error, secs(3600));
    assert_eq!(config.retry_min, SECOND);
    assert_eq!(config.retry_max, secs(30));
    assert_eq!(config.max_keys, 100);
    assert_eq!(config.fetch.timeout, secs(3));
}

// ---------------------------------------------------------------------------------------------
// an unusable identity provider at startup
// ---------------------------------------------------------------------------------------------

/// building never touches the network, the issuer reports not ready, a token of
/// that issuer is a 503 with `Retry-After`, and the failure is recorded for operators.
async fn assert_unusable_at_startup(verifier: &Verifier, token: &str) {
    let status = verifier.status();
    assert_eq!(status.state, KeySetState::NotLoaded);
    assert!(!status.ready, "an issuer without keys is not ready");
    assert_eq!(status.keys, 0);
    assert!(status.last_error.is_none(), "nothing was attempted yet");

    let started = Instant::now();
    assert_unavailable(verifier.verify(token).await);
    assert!(
        started.elapsed() < secs(3),
        "an unreachable IdP is answered within the 3 s bound"
    );
    // Again while backing off: still a 503, answered at once.
    assert_unavailable(verifier.verify(token).await);

    let status = verifier.status();
    assert_eq!(status.state, KeySetState::NotLoaded);
    assert!(!status.ready);
    assert!(status.last_error.is_some(), "the failure is recorded");
    assert!(status.last_success.is_none());
}

#[tokio::test]
async fn unreachable_idp_at_startup_leaves_only_that_issuer_unavailable() {
    let clock = clock();
    let mut idp = TestIdp::start().await;
    let token = token(&idp, &clock);
    idp.stop(); // connections to its port are refused from here on

    let by_jwks = jwks_verifier(&idp, &clock);
    assert_unusable_at_startup(&by_jwks, &token).await;
    let by_discovery = discovery_verifier(&idp, &clock);
    assert_unusable_at_startup(&by_discovery, &token).await;

    // Static-key and HMAC issuers beside it are unaffected.
    let ec = &fixtures().ec;
    let static_issuer = "https://static.example";
    let static_verifier = Verifier::builder(static_issuer)
        .public_key_pem(ec.public_pem())
        .clock(Arc::new(clock.clone()))
        .allow_any_audience()
        .build()
        .expect("a static-key verifier builds");
    let static_token = jws::token(
        ec,
        &tambo_auth_testkit::claims::claims(static_issuer, "user-1", clock.unix()),
    );
    assert_ok(static_verifier.verify(&static_token).await);
    assert!(static_verifier.status().ready);

    let hmac = &fixtures().hmac;
    let hmac_issuer = "https://hmac.example";
    let hmac_verifier = Verifier::builder(hmac_issuer)
        .shared_secret(Secret::from_bytes(
            hmac.secret().expect("the HMAC fixture has a secret"),
        ))
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("an HMAC verifier builds");
    let hmac_token = jws::token(
        hmac,
        &tambo_auth_testkit::claims::claims(hmac_issuer, "user-1", clock.unix()),
    );
    assert_ok(hmac_verifier.verify(&hmac_token).await);
    assert!(hmac_verifier.status().ready);
}

#[tokio::test]
async fn unresolvable_idp_host_is_unavailable_like_a_refused_connection() {
    // `.invalid` never resolves (RFC 6761 §6.4); this sandbox has no network besides.
    let clock = clock();
    let issuer = "https://does-not-exist.invalid/";
    let token = jws::token(
        &fixtures().rsa,
        &tambo_auth_testkit::claims::claims(issuer, "user-1", clock.unix()),
    );

    let by_discovery = Verifier::builder(issuer)
        .clock(Arc::new(clock.clone()))
        .allow_any_audience()
        .build()
        .expect("building does no DNS");
    assert_unusable_at_startup(&by_discovery, &token).await;

    let by_jwks = Verifier::builder(issuer)
        .jwks_url("https://does-not-exist.invalid/.well-known/jwks.json")
        .clock(Arc::new(clock.clone()))
        .allow_any_audience()
        .build()
        .expect("building does no DNS");
    assert_unusable_at_startup(&by_jwks, &token).await;
}

// ---------------------------------------------------------------------------------------------
// recovery and backoff
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn idp_that_comes_back_is_used_within_the_backoff_ceiling_without_restart() {
    let clock = clock();
    let mut idp = TestIdp::start().await;
    idp.stop();
    let verifier = discovery_verifier(&idp, &clock);

    // A long outage: keep failing until the backoff sits at its ceiling.
    for _ in 0..8 {
        let retry_after = assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
        clock.advance(retry_after);
    }
    let retry_after = assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
    assert!(
        retry_after >= secs(24),
        "after many failures the backoff is at its 30 s ceiling (less up to 20 % jitter), got {retry_after:?}"
    );

    idp.restart().await;
    assert_eq!(idp.jwks_requests(), 0);
    // Within the ceiling, the same verifier (no rebuild, no restart) loads the keys.
    clock.advance(secs(30));
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    let status = verifier.status();
    assert!(status.ready);
    assert_eq!(status.state, KeySetState::Fresh);
    assert!(status.last_error.is_none());
    assert_eq!(idp.discovery_requests(), 1);
    assert_eq!(idp.jwks_requests(), 1);
}

#[tokio::test]
async fn failed_fetches_back_off_from_one_second_doubling_to_thirty() {
    let clock = clock();
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Status(503)));
    let verifier = jwks_verifier(&idp, &clock);

    // Base delays after 1, 2, 3 ... consecutive failures; jitter only ever shortens them,
    // by at most 20 %, and `Retry-After` never goes below 1 s.
    let bases = [1, 2, 4, 8, 16, 30, 30, 30];
    for (attempt, base) in bases.into_iter().enumerate() {
        let retry_after = assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
        assert_eq!(
            idp.jwks_requests(),
            attempt + 1,
            "one GET per allowed attempt"
        );
        let base = secs(base);
        assert!(
            retry_after <= base && retry_after >= base.mul_f64(0.8).max(SECOND),
            "attempt {attempt}: Retry-After {retry_after:?} for a {base:?} base delay"
        );

        // While backing off, requests are answered at once without touching the IdP.
        let half = retry_after / 2;
        clock.advance(half);
        let again = assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
        assert!(again <= retry_after, "the wait shrinks as the clock moves");
        assert_eq!(idp.jwks_requests(), attempt + 1, "no GET while backing off");
        clock.advance(retry_after - half);
    }

    idp.set_jwks_fault(None);
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), bases.len() + 1);
    let status = verifier.status();
    assert!(status.ready);
    assert!(status.last_error.is_none(), "a success clears the error");

    // The failure count was reset: the next outage starts again at 1 s.
    idp.set_jwks_fault(Some(Fault::Status(500)));
    assert!(verifier.warm_up().await.is_err());
    clock.advance(secs(601 + 3600)); // past the last-known-good window
    let retry_after = assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
    assert!(
        retry_after <= secs(2),
        "second failure of a new outage backs off 2 s at most, got {retry_after:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// a slow JWKS
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_jwks_answers_503_quickly_with_one_outbound_fetch_for_100_requests() {
    let clock = clock();
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Delay(secs(5))));
    let mut config = RemoteKeySetConfig::default();
    config.fetch.timeout = Duration::from_millis(300);
    let verifier = jwks_verifier_with(&idp, &clock, config);

    let token = token(&idp, &clock);
    let started = Instant::now();
    let results = verify_concurrently(&verifier, vec![token.clone(); 100]).await;
    let elapsed = started.elapsed();

    assert_eq!(results.len(), 100);
    for result in results {
        assert_unavailable(result);
    }
    assert!(
        elapsed < secs(3),
        "100 requests against a 5 s JWKS are answered within 3 s, took {elapsed:?}"
    );
    assert_eq!(
        idp.jwks_requests(),
        1,
        "100 waiters share one outbound fetch"
    );

    // And the failure is remembered: more requests are answered without a second fetch.
    for result in join_all((0..100).map(|_| verifier.verify(&token))).await {
        assert_unavailable(result);
    }
    assert_eq!(idp.jwks_requests(), 1);
    assert!(verifier.status().last_error.is_some());
}

// ---------------------------------------------------------------------------------------------
// R-04 … R-07: bad answers keep the last-known-good keys
// ---------------------------------------------------------------------------------------------

/// Loads good keys, then makes the IdP answer with `fault` and lets the refresh happen:
/// the refresh fails, the old keys keep serving, the failure is recorded, and a cold
/// verifier facing the same fault answers 503.
async fn assert_bad_refresh_keeps_last_known_good(idp: &TestIdp, fault: Fault) -> String {
    idp.set_jwks_fault(None);
    idp.reset_counters();
    let clock = clock();
    let verifier = jwks_verifier(idp, &clock);
    verifier.warm_up().await.expect("the first load succeeds");
    assert_eq!(idp.jwks_requests(), 1);

    idp.set_jwks_fault(Some(fault.clone()));
    // Past freshness (10 min): the keys are stale, still inside the last-known-good hour.
    clock.advance(secs(11 * 60));
    assert_eq!(verifier.status().state, KeySetState::Stale);
    assert_ok(verifier.verify(&token(idp, &clock)).await);
    // That request started a background refresh; wait for it to fail.
    wait_until(&format!("the refresh under {fault:?} to fail"), || {
        verifier.status().last_error.is_some()
    })
    .await;
    assert_eq!(idp.jwks_requests(), 2, "{fault:?}: one refresh attempt");

    let status = verifier.status();
    let reason = status.last_error.clone().unwrap_or_default();
    assert!(
        status.ready,
        "{fault:?}: last-known-good keys keep the issuer ready"
    );
    assert_eq!(status.state, KeySetState::Stale);
    assert_eq!(status.keys, 1, "{fault:?}: the good set is not replaced");
    assert_eq!(status.last_success, at(T0));
    // Known-kid tokens keep verifying, and no new GET happens while backing off.
    assert_ok(verifier.verify(&token(idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 2);

    // A forced refresh reports the failure without dropping the keys either.
    assert_unavailable(Err(verifier
        .warm_up()
        .await
        .expect_err("a failing forced refresh reports an error")));
    assert_eq!(verifier.status().keys, 1);
    assert_ok(verifier.verify(&token(idp, &clock)).await);

    // Without last-known-good keys the same fault is a 503.
    let cold = jwks_verifier(idp, &clock);
    assert_unavailable(cold.verify(&token(idp, &clock)).await);
    assert!(!cold.status().ready);

    idp.set_jwks_fault(None);
    reason
}

#[tokio::test]
async fn broken_jwks_answers_keep_the_last_known_good_keys() {
    let idp = TestIdp::start().await;
    for fault in [
        Fault::Status(500),
        Fault::html("<!doctype html><html><body>Service Unavailable</body></html>"),
        Fault::json_body("{\"keys\": [ {\"kty\": "),
        Fault::json_body("{\"keys\":{}}"),
    ] {
        assert_bad_refresh_keeps_last_known_good(&idp, fault).await;
    }
}

#[tokio::test]
async fn empty_key_set_is_a_failed_refresh_that_keeps_the_last_known_good_keys() {
    let idp = TestIdp::start().await;
    let reason =
        assert_bad_refresh_keeps_last_known_good(&idp, Fault::json_body("{\"keys\":[]}")).await;
    assert!(
        reason.contains("no usable key"),
        "the alert says the set was empty: {reason}"
    );
}

#[tokio::test]
async fn oversized_jwks_is_refused_past_64_kib_and_keeps_the_last_known_good_keys() {
    let idp = TestIdp::start().await;
    let reason = assert_bad_refresh_keeps_last_known_good(&idp, Fault::Huge(10 << 20)).await;
    assert!(reason.contains("larger than 65536"), "{reason}");
    let reason = assert_bad_refresh_keeps_last_known_good(&idp, Fault::Huge(64 * 1024 + 1)).await;
    assert!(reason.contains("larger than 65536"), "{reason}");

    // Exactly at the cap is still accepted (a valid JWKS padded with spaces).
    let clock = clock();
    idp.set_jwks_fault(Some(Fault::Huge(64 * 1024)));
    let verifier = jwks_verifier(&idp, &clock);
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
}

/// A JWKS server that answers every request with a chunked body that never ends (until the
/// client goes away, or 100 MiB as a safety net). Returns its URL and a request counter.
fn endless_chunked_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!(
        "http://{}/jwks.json",
        listener
            .local_addr()
            .expect("a bound listener has an address")
    );
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    std::thread::spawn(move || {
        let chunk = format!("1000\r\n{}\r\n", " ".repeat(0x1000));
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nb\r\n{\"keys\": [ \r\n",
            );
            for _ in 0..(100 << 20) / 0x1000 {
                if stream.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    (url, requests)
}

#[tokio::test]
async fn endless_chunked_jwks_is_aborted_at_the_body_cap() {
    let clock = clock();
    let (url, requests) = endless_chunked_server();
    let issuer = "http://127.0.0.1";
    let verifier = builder(issuer, &clock, RemoteKeySetConfig::default())
        .jwks_url(url)
        .build()
        .expect("the verifier builds");
    let token = jws::token(
        &fixtures().rsa,
        &tambo_auth_testkit::claims::claims(issuer, "user-1", clock.unix()),
    );

    let started = Instant::now();
    let reason = unavailable_reason(verifier.verify(&token).await);
    assert!(
        reason.contains("larger than 65536"),
        "aborted by the body cap, not by a timeout: {reason}"
    );
    assert!(started.elapsed() < secs(3));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert!(!verifier.status().ready);
}

#[tokio::test]
async fn redirects_are_not_followed_and_count_as_failures() {
    let idp = TestIdp::start().await;
    let elsewhere = TestIdp::start().await;

    // To another (working) host: never followed, so that host sees nothing.
    let reason =
        assert_bad_refresh_keeps_last_known_good(&idp, Fault::Redirect(elsewhere.jwks_url())).await;
    assert!(reason.contains("redirect"), "{reason}");
    // A downgrade-style hop to plain http on a public host, and to the metadata address.
    for target in [
        "http://idp.example/.well-known/jwks.json",
        "http://169.254.169.254/latest/meta-data/",
    ] {
        assert_bad_refresh_keeps_last_known_good(&idp, Fault::Redirect(target.into())).await;
    }
    assert_eq!(elsewhere.jwks_requests(), 0);
    assert_eq!(elsewhere.discovery_requests(), 0);

    // The same through discovery: a redirected discovery document is not followed either.
    let clock = clock();
    idp.reset_counters();
    idp.set_discovery_fault(Some(Fault::Redirect(elsewhere.discovery_url())));
    let verifier = discovery_verifier(&idp, &clock);
    assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(idp.discovery_requests(), 1);
    assert_eq!(idp.jwks_requests(), 0);
    assert_eq!(elsewhere.discovery_requests(), 0);
    assert!(!verifier.status().ready);
}

// ---------------------------------------------------------------------------------------------
// unknown kids and rotation
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_storm_fetches_at_most_once_per_interval() {
    let clock = clock();
    let idp = TestIdp::start().await;
    let verifier = jwks_verifier(&idp, &clock);
    verifier.warm_up().await.expect("keys load");
    assert_eq!(idp.jwks_requests(), 1);

    // Issue 6: 10 000 tokens with unknown kids within one second (the clock does not move
    // during a storm), every kid a new one.
    let mut next = 0;
    let mut storm = |clock: &ManualClock| -> Vec<String> {
        next += 10_000;
        (next - 10_000..next)
            .map(|i| token_with_kid(&format!("storm-{i}"), &idp.issuer(), clock))
            .collect()
    };

    // Within 5 s of the initial fetch: every token is refused, nothing is fetched.
    clock.advance(secs(4));
    for result in verify_concurrently(&verifier, storm(&clock)).await {
        assert_unknown_key(result);
    }
    assert_eq!(idp.jwks_requests(), 1);

    // 5 s after it: the whole storm causes exactly one refetch, and is still all refused.
    clock.advance(SECOND);
    for result in verify_concurrently(&verifier, storm(&clock)).await {
        assert_unknown_key(result);
    }
    assert_eq!(idp.jwks_requests(), 2);

    // 4 s later, new kids again: still inside the interval.
    clock.advance(secs(4));
    for result in verify_concurrently(&verifier, storm(&clock)).await {
        assert_unknown_key(result);
    }
    assert_eq!(idp.jwks_requests(), 2);

    // 5 s after the last fetch started: one more, never more.
    clock.advance(SECOND);
    for result in join_all(storm(&clock).iter().map(|t| verifier.verify(t))).await {
        assert_unknown_key(result);
    }
    assert_eq!(idp.jwks_requests(), 3);

    // Known-kid tokens were never disturbed.
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 3);
    assert!(verifier.status().ready);
}

#[tokio::test]
async fn each_unknown_kid_waits_out_its_own_cooldown() {
    let clock = clock();
    let idp = TestIdp::start().await;
    let verifier = jwks_verifier(&idp, &clock);
    verifier.warm_up().await.expect("keys load");

    // (seconds to advance, kid, JWKS requests after it): a kid the set lacks 5 s after the
    // last fetch is refetched at once; the same kid past the interval but within its 30 s
    // cooldown is not; another kid past the interval is; the first after its cooldown again.
    for (advance, kid, requests) in [
        (5, "gone", 2),
        (10, "gone", 2),
        (0, "other", 3),
        (20, "gone", 4),
    ] {
        clock.advance(secs(advance));
        let token = token_with_kid(kid, &idp.issuer(), &clock);
        assert_unknown_key(verifier.verify(&token).await);
        assert_eq!(idp.jwks_requests(), requests, "{kid} after {advance} s");
    }
}

/// With the keys at hand the verification is decided at its first poll: the layer then
/// answers without a boxed future. Only a fetch makes it wait.
#[tokio::test]
async fn verification_with_keys_at_hand_is_ready_at_its_first_poll() {
    use futures_util::FutureExt as _;

    let clock = clock();
    let idp = TestIdp::start().await;
    let verifier = jwks_verifier(&idp, &clock);
    let first_poll = |token: &str| {
        let jws = tambo_auth::jwt::Jws::parse(token).expect("parses");
        verifier.verify_jws(&jws).now_or_never()
    };

    // Cold: the first poll starts the fetch and waits for it.
    assert!(first_poll(&token(&idp, &clock)).is_none());
    verifier.warm_up().await.expect("keys load");
    assert_eq!(idp.jwks_requests(), 1, "the fetch the first poll started");

    let answered = first_poll(&token(&idp, &clock)).expect("fresh keys answer");
    assert_eq!(answered.expect("valid").claims().sub(), Some("user-1"));
    // A known kid with a bad signature is decided too: another token's signature.
    let genuine = token(&idp, &clock);
    let other = idp.token(&idp.claims("user-2", clock.unix()));
    let forged = format!(
        "{}.{}",
        &genuine[..genuine.rfind('.').unwrap()],
        &other[other.rfind('.').unwrap() + 1..]
    );
    assert!(matches!(
        first_poll(&forged),
        Some(Err(Error::InvalidSignature))
    ));
    // An unknown kid within the interval after a fetch: refused at once, nothing fetched.
    assert!(matches!(
        first_poll(&token_with_kid("rotated-in", &idp.issuer(), &clock)),
        Some(Err(Error::UnknownKey))
    ));
    // Due for a refresh, the keys still answer while it runs in the background.
    clock.advance(secs(9 * 60));
    assert!(matches!(first_poll(&token(&idp, &clock)), Some(Ok(_))));
    wait_until("the background refresh", || idp.jwks_requests() == 2).await;
}

#[tokio::test]
async fn rotation_picks_up_a_new_key_at_once_and_drops_a_removed_one_after_refresh() {
    let clock = clock();
    let idp = TestIdp::start().await;
    let k1 = fixtures().rsa.clone();
    let k2 = fixtures().rsa2.clone();
    let verifier = jwks_verifier(&idp, &clock);
    assert_ok(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 1);

    // The IdP adds K2 when it first signs with it (Better Auth's rotation). A K2 token within
    // 5 s of the last fetch is refused without a refetch...
    idp.add_key(k2.clone());
    clock.advance(secs(2));
    assert_unknown_key(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 1);

    // ...and the first one after it triggers one refetch and verifies: no 30 s of refusals.
    clock.advance(secs(3));
    let refetched_at = clock.unix();
    assert_ok(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 2);
    assert_ok(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
    assert_ok(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 2);
    assert_eq!(verifier.status().keys, 2);

    // The IdP retires K1. K1 tokens keep verifying until a refresh sees it gone.
    idp.remove_key(k1.kid());
    clock.advance(secs(100));
    assert_ok(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 2);

    // At 80 % of freshness a background refresh picks up the new set.
    clock.advance(secs(refetched_at + 480 - clock.unix()));
    let refresh_at = clock.unix();
    assert_ok(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);
    wait_until("the background refresh", || {
        verifier.status().last_success == at(refresh_at)
    })
    .await;
    assert_eq!(idp.jwks_requests(), 3);
    assert_eq!(verifier.status().keys, 1);

    // Now K1 is unknown (within the interval, so no refetch); K2 still verifies.
    assert_unknown_key(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);
    assert_ok(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_that_cannot_be_fetched_is_unavailable_not_unknown() {
    let clock = clock();
    let idp = TestIdp::start().await;
    let k1 = fixtures().rsa.clone();
    let k2 = fixtures().rsa2.clone();
    let verifier = jwks_verifier(&idp, &clock);
    assert_ok(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);

    // The provider rotates to K2 while its key set fails: the refetch for K2 fails, so a K2
    // token is 503 (try again), not 400 (sign in again).
    idp.add_key(k2.clone());
    idp.set_jwks_fault(Some(Fault::Status(500)));
    clock.advance(secs(5));
    assert_unavailable(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 2);

    // While no fetch may start (backoff, then the 5 s interval), K2 tokens stay 503 without a
    // fetch, and K1 tokens verify with the last-known-good keys.
    for _ in 0..3 {
        clock.advance(secs(1));
        assert_unavailable(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
        assert_ok(verifier.verify(&token_signed_by(&k1, &idp, &clock)).await);
    }
    assert_eq!(idp.jwks_requests(), 2);

    // The provider recovers: the next K2 token refetches (the failed attempt did not start
    // K2's 30 s cooldown) and verifies.
    idp.set_jwks_fault(None);
    clock.advance(secs(2));
    assert_ok(verifier.verify(&token_signed_by(&k2, &idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 3);

    // With the keys fresh again, a kid the provider does not have is refused as unknown.
    clock.advance(secs(5));
    let unknown = token_with_kid("never-published", &idp.issuer(), &clock);
    assert_unknown_key(verifier.verify(&unknown).await);
    assert_eq!(
        idp.jwks_requests(),
        4,
        "one refetch for it, which did not find it"
    );
}

// ---------------------------------------------------------------------------------------------
// freshness, last-known-good and refresh-ahead
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_freshness_while_idp_down_serves_last_known_good_for_one_hour() {
    let clock = clock();
    let mut idp = TestIdp::start().await;
    let verifier = discovery_verifier(&idp, &clock);
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(verifier.status().state, KeySetState::Fresh);
    idp.stop();

    // Fresh until T0 + 10 min; last-known-good until T0 + 70 min.
    clock.advance(secs(600) - SECOND);
    assert_eq!(verifier.status().state, KeySetState::Fresh);
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    clock.advance(secs(2));
    assert_eq!(verifier.status().state, KeySetState::Stale);
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    wait_until("a background refresh to fail", || {
        verifier.status().last_error.is_some()
    })
    .await;

    // Walk through the hour; each request is served from the stale keys while the
    // background refreshes keep failing.
    for _ in 0..59 {
        clock.advance(MINUTE);
        assert_ok(verifier.verify(&token(&idp, &clock)).await);
        let status = verifier.status();
        assert_eq!(status.state, KeySetState::Stale);
        assert!(status.ready);
    }
    // T0 + 4199 s: the last second of the window.
    clock.advance(secs(T0 + 4199 - clock.unix()));
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert!(
        verifier.status().last_error.is_some(),
        "the refreshes failed"
    );

    // T0 + 4201 s: past the window, fail closed.
    clock.advance(secs(2));
    assert_unavailable(verifier.verify(&token(&idp, &clock)).await);
    let status = verifier.status();
    assert_eq!(status.state, KeySetState::Expired);
    assert!(!status.ready);
    assert_eq!(status.last_success, at(T0));

    // And it recovers once the IdP is back.
    idp.restart().await;
    clock.advance(secs(30));
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(verifier.status().state, KeySetState::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_at_80_percent_makes_one_background_fetch_without_blocking() {
    let clock = clock();
    let idp = TestIdp::start().await;
    let verifier = jwks_verifier(&idp, &clock);
    verifier.warm_up().await.expect("keys load");
    assert_eq!(idp.jwks_requests(), 1);

    // Before 80 % of the 10 min: no refresh.
    clock.advance(secs(479));
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 1);

    // At 80 %, with a slow IdP: the request is served from the cache at once while one
    // background GET runs.
    clock.advance(SECOND);
    let refresh_at = clock.unix();
    idp.set_jwks_fault(Some(Fault::Delay(Duration::from_millis(1500))));
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(
        verifier.status().last_success,
        at(T0),
        "the request did not wait for the refresh"
    );
    let tokens = vec![token(&idp, &clock); 200];
    for result in verify_concurrently(&verifier, tokens).await {
        assert_ok(result);
    }
    assert_eq!(
        verifier.status().last_success,
        at(T0),
        "none of 200 requests waited for the refresh"
    );
    wait_until("the background refresh", || {
        verifier.status().last_success == at(refresh_at)
    })
    .await;
    assert_eq!(idp.jwks_requests(), 2, "exactly one background GET");
    assert_eq!(verifier.status().state, KeySetState::Fresh);

    // The refreshed set is fresh for another 10 min; no further GETs until its 80 %.
    idp.set_jwks_fault(None);
    clock.advance(secs(479));
    for result in verify_concurrently(&verifier, vec![token(&idp, &clock); 50]).await {
        assert_ok(result);
    }
    assert_eq!(idp.jwks_requests(), 2);

    // At that 80 %, a burst of requests that outlives the (fast) refresh: still exactly one
    // background GET, including for requests that read the old set just as it was replaced.
    clock.advance(SECOND);
    let refresh_at = clock.unix();
    for result in verify_concurrently(&verifier, vec![token(&idp, &clock); 2000]).await {
        assert_ok(result);
    }
    wait_until("the second background refresh", || {
        verifier.status().last_success == at(refresh_at)
    })
    .await;
    assert_eq!(
        idp.jwks_requests(),
        3,
        "exactly one background GET per refresh"
    );
}

#[tokio::test]
async fn cache_control_max_age_is_clamped_to_one_minute_and_one_day() {
    let idp = TestIdp::start().await;
    for (header, fresh_for) in [
        ("max-age=5", 60),
        ("no-store", 60),
        ("public, max-age=120", 120),
        ("max-age=172800", 24 * 3600),
    ] {
        idp.set_cache_control(Some(header.into()));
        let clock = clock();
        let verifier = jwks_verifier(&idp, &clock);
        verifier.warm_up().await.expect("keys load");
        clock.advance(secs(fresh_for - 1));
        assert_eq!(verifier.status().state, KeySetState::Fresh, "{header}");
        clock.advance(secs(2));
        assert_eq!(verifier.status().state, KeySetState::Stale, "{header}");
    }

    // Refresh-ahead follows the clamped freshness: 80 % of 60 s is 48 s.
    idp.set_cache_control(Some("max-age=1".into()));
    idp.reset_counters();
    let clock = clock();
    let verifier = jwks_verifier(&idp, &clock);
    verifier.warm_up().await.expect("keys load");
    clock.advance(secs(47));
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    assert_eq!(idp.jwks_requests(), 1);
    clock.advance(SECOND);
    let refresh_at = clock.unix();
    assert_ok(verifier.verify(&token(&idp, &clock)).await);
    wait_until("the background refresh", || {
        verifier.status().last_success == at(refresh_at)
    })
    .await;
    assert_eq!(idp.jwks_requests(), 2);
}

// ---------------------------------------------------------------------------------------------
// discovery that must not be trusted
// ---------------------------------------------------------------------------------------------

/// The issuer is unusable: a 503, not ready, no keys, and the JWKS never requested.
async fn assert_discovery_refused(idp: &TestIdp, issuer: &str) -> String {
    idp.reset_counters();
    let clock = clock();
    let verifier = builder(issuer, &clock, RemoteKeySetConfig::default())
        .oidc_discovery()
        .build()
        .expect("the verifier builds");
    let token = jws::token(
        &fixtures().rsa,
        &tambo_auth_testkit::claims::claims(issuer, "user-1", clock.unix()),
    );
    let reason = unavailable_reason(verifier.verify(&token).await);
    let status = verifier.status();
    assert!(!status.ready, "{issuer}: not ready");
    assert_eq!(status.state, KeySetState::NotLoaded);
    assert_eq!(status.keys, 0);
    assert_eq!(idp.discovery_requests(), 1);
    assert_eq!(
        idp.jwks_requests(),
        0,
        "{issuer}: nothing fetched past discovery"
    );
    reason
}

#[tokio::test]
async fn discovery_issuer_mismatch_makes_the_issuer_unusable() {
    // Trailing slash added by the document.
    let idp = TestIdp::start().await;
    idp.set_discovery_issuer(format!("{}/", idp.issuer()));
    let reason = assert_discovery_refused(&idp, &idp.issuer()).await;
    assert!(reason.contains("issuer"), "{reason}");

    // Trailing slash dropped by the document.
    let idp = TestIdp::builder().trailing_slash(true).start().await;
    idp.set_discovery_issuer(idp.issuer().trim_end_matches('/'));
    assert_discovery_refused(&idp, &idp.issuer()).await;

    // Case differs in the path (compared code point by code point).
    let idp = TestIdp::builder().issuer_path("/Tenant").start().await;
    idp.set_discovery_issuer(idp.issuer().replace("/Tenant", "/tenant"));
    assert_discovery_refused(&idp, &idp.issuer()).await;

    // Case differs in the scheme.
    let idp = TestIdp::start().await;
    idp.set_discovery_issuer(idp.issuer().replace("http://", "HTTP://"));
    assert_discovery_refused(&idp, &idp.issuer()).await;

    // Sanity: with the exact issuer the same setup works.
    let idp = TestIdp::builder().issuer_path("/Tenant").start().await;
    let clock = clock();
    assert_ok(
        discovery_verifier(&idp, &clock)
            .verify(&token(&idp, &clock))
            .await,
    );
}

/// Set in the child process of [`the_key_fetcher_never_uses_a_proxy`].
const PROXY_CHILD: &str = "TAMBO_AUTH_TEST_PROXY_CHILD";

/// A proxy resolves names itself, past the address check: the fetcher ignores the proxy
/// variables. They are process-wide, so this test runs itself again in a child process that
/// has them (and `PROXY_CHILD`), where it fetches; the parent checks that the proxy stayed
/// silent.
#[test]
fn the_key_fetcher_never_uses_a_proxy() {
    if std::env::var_os(PROXY_CHILD).is_some() {
        return fetch_with_the_proxy_variables_set();
    }
    let proxy = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
    proxy.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}", proxy.local_addr().expect("address"));
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"));
    child
        .args(["the_key_fetcher_never_uses_a_proxy", "--exact"])
        .env(PROXY_CHILD, "1");
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        child.env(name, &url).env(name.to_lowercase(), &url);
    }
    let out = child
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("child test runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match proxy.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the proxy was contacted: {other:?}"),
    }
}

/// The child's half: discovery and keys fetched, and a token verified, with the proxy
/// variables set.
fn fetch_with_the_proxy_variables_set() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let idp = TestIdp::start().await;
        let clock = clock();
        assert_ok(
            discovery_verifier(&idp, &clock)
                .verify(&token(&idp, &clock))
                .await,
        );
        assert_eq!(idp.discovery_requests(), 1);
    });
}

/// What an identity provider writes reaches the logs escaped: a newline in a key's member
/// cannot forge a log line (log injection).
#[tokio::test]
async fn identity_provider_text_is_escaped_in_the_logs() {
    let logs = tambo_auth_testkit::logs::capture();
    let idp = TestIdp::start().await;
    let clock = clock();
    let forged = "2030-01-01T00:00:00Z  INFO forged: admin signed in";
    let mut poisoned = fixtures().rsa2.public_jwk();
    poisoned["use"] = json!(format!("enc\n{forged}"));
    idp.set_jwks_body(json!({"keys": [fixtures().rsa.public_jwk(), poisoned]}));
    assert_ok(
        jwks_verifier(&idp, &clock)
            .verify(&token(&idp, &clock))
            .await,
    );

    // A failed fetch quotes the IdP too: a discovery document naming another issuer.
    idp.set_discovery_issuer(format!("https://other.example\n{forged}"));
    let by_discovery = discovery_verifier(&idp, &clock);
    assert!(by_discovery.verify(&token(&idp, &clock)).await.is_err());

    let text = logs.text();
    assert!(text.contains("skipped a key"), "{text}");
    assert!(text.contains(&format!("\\n{forged}")), "{text}");
    assert!(
        !text.lines().any(|line| line.starts_with("2030-01-01")),
        "a forged line: {text}"
    );
}

#[tokio::test]
async fn discovery_jwks_uri_to_private_or_plain_http_is_refused_without_fetching() {
    let idp = TestIdp::start().await;
    let own_path = "/.well-known/jwks.json";
    for jwks_uri in [
        // Private and link-local literals: refused before any connection.
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_owned(),
        "https://169.254.169.254/jwks".to_owned(),
        "https://10.0.0.1/.well-known/jwks.json".to_owned(),
        "https://[::ffff:10.0.0.1]/jwks".to_owned(),
        "https://[fd00::1]/jwks".to_owned(),
        // Not globally reachable, or IPv4 behind a translator (NAT64, 6to4).
        "https://[64:ff9b::a9fe:a9fe]/jwks".to_owned(),
        "https://[2002:a9fe:a9fe::1]/jwks".to_owned(),
        "https://198.18.0.1/jwks".to_owned(),
        "https://240.0.0.1/jwks".to_owned(),
        "https://224.0.0.1/jwks".to_owned(),
        // Plain http to a public host: a downgrade.
        "http://idp.example/.well-known/jwks.json".to_owned(),
        // Plain http to loopback by name: only loopback IP literals are allowlisted, so
        // even the IdP's own JWKS is not fetched this way.
        format!("http://localhost:{}{own_path}", idp.port()),
    ] {
        idp.set_jwks_uri(jwks_uri.clone());
        let reason = assert_discovery_refused(&idp, &idp.issuer()).await;
        assert!(reason.contains("jwks_uri"), "{jwks_uri}: {reason}");
    }

    // Without the loopback allowance, plain http to the IdP is refused at configuration.
    let clock = clock();
    for built in [
        Verifier::builder(idp.issuer())
            .clock(Arc::new(clock.clone()))
            .allow_any_audience()
            .build(),
        Verifier::builder(idp.issuer())
            .jwks_url(idp.jwks_url())
            .clock(Arc::new(clock.clone()))
            .allow_any_audience()
            .build(),
    ] {
        match built {
            Err(error @ Error::Configuration { .. }) => {
                assert_eq!(error.kind(), ErrorKind::Configuration);
            }
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
    // An https name that resolves to loopback is dropped by the resolver when loopback is
    // not allowlisted: the issuer is unavailable.
    idp.reset_counters();
    let issuer = idp.issuer();
    let verifier = Verifier::builder(&issuer)
        .jwks_url(format!("https://localhost:{}{own_path}", idp.port()))
        .clock(Arc::new(clock.clone()))
        .allow_any_audience()
        .build()
        .expect("an https JWKS URL by name is valid configuration");
    let reason = unavailable_reason(verifier.verify(&token(&idp, &clock)).await);
    assert!(!verifier.status().ready, "{reason}");
    assert_eq!(idp.jwks_requests(), 0);
}

// ---------------------------------------------------------------------------------------------
// concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_burst_makes_one_discovery_and_one_jwks_request() {
    let clock = clock();
    // A few rounds, each on a fresh IdP and verifier: the burst must share one fetch however
    // its requests interleave with that fetch's completion.
    for round in 0..3 {
        let idp = TestIdp::start().await;
        let verifier = discovery_verifier(&idp, &clock);
        let token = token(&idp, &clock);
        let results = verify_concurrently(&verifier, vec![token; 1000]).await;
        assert_eq!(results.len(), 1000);
        for result in results {
            assert_ok(result);
        }
        assert_eq!(idp.discovery_requests(), 1, "round {round}: discovery GETs");
        assert_eq!(idp.jwks_requests(), 1, "round {round}: JWKS GETs");
    }

    // The same with one task polling all the futures.
    let idp = TestIdp::start().await;
    let verifier = discovery_verifier(&idp, &clock);
    let token = token(&idp, &clock);
    for result in join_all((0..1000).map(|_| verifier.verify(&token))).await {
        assert_ok(result);
    }
    assert_eq!(idp.discovery_requests(), 1);
    assert_eq!(idp.jwks_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_fetch_answers_every_waiter_without_panic() {
    let clock = clock();
    let idp = TestIdp::start().await;
    let mut config = RemoteKeySetConfig::default();
    config.fetch.timeout = Duration::from_millis(400);
    // The fetch is slow, then fails: many requests pile up on it.
    idp.set_jwks_fault(Some(Fault::Delay(secs(2))));
    let verifier = jwks_verifier_with(&idp, &clock, config);

    // Several different tokens at once (Envoy CVE-2025-64527 class): known kid, unknown
    // kid, garbage signature.
    let known = token(&idp, &clock);
    let unknown = token_with_kid("not-published", &idp.issuer(), &clock);
    let forged = token_with_kid(fixtures().rsa.kid(), &idp.issuer(), &clock);
    let handles: Vec<_> = (0..600)
        .map(|i| {
            let verifier = verifier.clone();
            let token = [&known, &unknown, &forged][i % 3].clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    wait_until("the shared fetch to start", || idp.jwks_requests() == 1).await;
    // A third of the callers give up while the fetch is in flight.
    for handle in handles.iter().step_by(3) {
        handle.abort();
    }
    let mut answered = 0;
    let mut cancelled = 0;
    for joined in join_all(handles).await {
        match joined {
            Ok(result) => {
                assert_unavailable(result);
                answered += 1;
            }
            Err(error) => {
                assert!(error.is_cancelled(), "no waiter panics: {error}");
                cancelled += 1;
            }
        }
    }
    assert_eq!(answered + cancelled, 600);
    assert!(
        answered >= 400,
        "every waiter that did not give up is answered"
    );
    assert_eq!(idp.jwks_requests(), 1, "600 waiters, one fetch");

    // The same with an IdP refusing connections outright.
    let clock = self::clock();
    let mut down = TestIdp::start().await;
    let token = self::token(&down, &clock);
    down.stop();
    let verifier = jwks_verifier(&down, &clock);
    for result in verify_concurrently(&verifier, vec![token; 500]).await {
        assert_unavailable(result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_giving_up_does_not_cancel_the_shared_fetch() {
    let clock = clock();
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Delay(Duration::from_millis(500))));
    let verifier = jwks_verifier(&idp, &clock);
    let token = token(&idp, &clock);

    // The caller that starts the fetch gives up while it is in flight.
    let first = {
        let verifier = verifier.clone();
        let token = token.clone();
        tokio::spawn(async move { verifier.verify(&token).await })
    };
    wait_until("the fetch to start", || idp.jwks_requests() == 1).await;
    let others: Vec<_> = (0..100)
        .map(|_| {
            let verifier = verifier.clone();
            let token = token.clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    first.abort();
    assert!(first.await.expect_err("aborted").is_cancelled());

    for joined in join_all(others).await {
        assert_ok(joined.expect("no waiter panics"));
    }
    assert_eq!(idp.jwks_requests(), 1);
    assert!(verifier.status().ready);
}

// ---------------------------------------------------------------------------------------------
// clock skew
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn server_clock_behind_accepts_tokens_up_to_the_60s_leeway() {
    let clock = clock(); // the server: T0
    let idp_now = clock.unix() + 120; // the IdP's clock runs 2 min ahead
    let idp = TestIdp::start().await;
    let verifier = jwks_verifier(&idp, &clock);
    verifier.warm_up().await.expect("keys load");

    let token_at = |iat: u64, nbf: u64| {
        let mut claims: Value = idp.claims("user-1", iat);
        claims["nbf"] = json!(nbf);
        idp.token(&claims)
    };
    let server = clock.unix();

    // Minted 61 s and 60 s ago by the IdP's clock: 59 s and 60 s ahead of ours, accepted.
    assert_ok(verifier.verify(&token_at(idp_now - 61, idp_now - 61)).await);
    assert_ok(verifier.verify(&token_at(server + 59, server + 59)).await);
    assert_ok(verifier.verify(&token_at(server + 60, server + 60)).await);

    // 61 s ahead: refused, naming the claim that is in the future.
    match verifier.verify(&token_at(server, server + 61)).await {
        Err(error @ Error::NotYetValid { not_before }) => {
            assert_eq!(not_before, i64::try_from(server + 61).expect("fits"));
            assert_eq!(error.kind(), ErrorKind::NotYetValid);
            assert_eq!(error.kind().exchange_status(), 400);
        }
        other => panic!("expected NotYetValid, got {other:?}"),
    }
    match verifier.verify(&token_at(server + 61, server)).await {
        Err(error @ Error::IssuedInFuture { issued_at }) => {
            assert_eq!(issued_at, i64::try_from(server + 61).expect("fits"));
            assert_eq!(error.kind(), ErrorKind::IssuedInFuture);
            assert_eq!(error.kind().exchange_status(), 400);
        }
        other => panic!("expected IssuedInFuture, got {other:?}"),
    }
    // A token minted just now by the IdP is 120 s ahead of us: refused.
    match verifier
        .verify(&token(&idp, &ManualClock::at_unix(idp_now)))
        .await
    {
        Err(error @ Error::NotYetValid { .. }) => {
            assert_eq!(error.kind(), ErrorKind::NotYetValid);
        }
        other => panic!("expected NotYetValid, got {other:?}"),
    }
    // Skew never touched the key set.
    assert_eq!(idp.jwks_requests(), 1);
}
