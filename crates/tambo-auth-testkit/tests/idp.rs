//! Behaviour of the test IdP over real HTTP.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tambo_auth_testkit::claims;
use tambo_auth_testkit::idp::{Fault, TestIdp};
use tambo_auth_testkit::keys::{TestKey, fixtures};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn get(url: &str) -> Answer {
    get_with(&client(), url).await
}

async fn get_with(client: &reqwest::Client, url: &str) -> Answer {
    let response = client.get(url).send().await.expect("request succeeds");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn serves_discovery_and_jwks_and_counts_requests() {
    let idp = TestIdp::start().await;
    assert_eq!(idp.issuer(), format!("http://127.0.0.1:{}", idp.port()));
    assert_eq!(
        idp.discovery_url(),
        format!("{}/.well-known/openid-configuration", idp.issuer())
    );
    assert_eq!(
        idp.jwks_url(),
        format!("{}/.well-known/jwks.json", idp.issuer())
    );

    let discovery = get(&idp.discovery_url()).await;
    assert_eq!(discovery.status, 200);
    assert_eq!(discovery.header("content-type"), Some("application/json"));
    let document = discovery.json();
    assert_eq!(document["issuer"], json!(idp.issuer()));
    assert_eq!(document["jwks_uri"], json!(idp.jwks_url()));
    assert_eq!(document["response_types_supported"], json!(["code"]));
    assert_eq!(document["subject_types_supported"], json!(["public"]));
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert!(document["authorization_endpoint"].is_string());
    assert!(document["token_endpoint"].is_string());

    let jwks = get(&idp.jwks_url()).await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.header("cache-control"), None);
    assert_eq!(kids(&jwks.json()), ["idp-rsa-1"]);
    get(&idp.jwks_url()).await;

    assert_eq!((idp.discovery_requests(), idp.jwks_requests()), (1, 2));
    assert_eq!(get(&format!("{}/other", idp.base_url())).await.status, 404);
    assert_eq!((idp.discovery_requests(), idp.jwks_requests()), (1, 2));
    idp.reset_counters();
    assert_eq!((idp.discovery_requests(), idp.jwks_requests()), (0, 0));
}

#[tokio::test]
async fn tokens_verify_against_the_served_jwks() {
    let idp = TestIdp::start().await;
    let token = idp.token(&idp.claims("user-1", claims::now()));
    let set: JwkSet = serde_json::from_slice(&get(&idp.jwks_url()).await.body).expect("JwkSet");
    let jwk = set.find("idp-rsa-1").expect("published kid");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[idp.issuer()]);
    let data = jsonwebtoken::decode::<Value>(
        &token,
        &DecodingKey::from_jwk(jwk).expect("RSA JWK"),
        &validation,
    )
    .expect("token verifies");
    assert_eq!(data.claims["sub"], "user-1");
    assert_eq!(data.header.kid.as_deref(), Some("idp-rsa-1"));
    assert_eq!(data.header.typ.as_deref(), Some("JWT"));
}

#[tokio::test]
async fn issuer_paths_and_trailing_slashes_shape_the_urls() {
    let idp = TestIdp::builder()
        .issuer_path("tenant/v1")
        .trailing_slash(true)
        .keys(vec![fixtures().ec.clone(), fixtures().ed.clone()])
        .start()
        .await;
    let issuer = idp.issuer();
    assert_eq!(issuer, format!("{}/tenant/v1/", idp.base_url()));
    assert_eq!(
        idp.discovery_url(),
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    );
    let document = get(&idp.discovery_url()).await.json();
    assert_eq!(document["issuer"], json!(issuer));
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        json!(["ES256", "EdDSA"])
    );
    assert_eq!(
        idp.jwks_url(),
        format!("{}/tenant/v1/.well-known/jwks.json", idp.base_url())
    );
    assert_eq!(
        kids(&get(&idp.jwks_url()).await.json()),
        ["idp-ec-1", "idp-ed-1"]
    );
    assert_eq!(idp.claims("s", 1)["iss"], json!(issuer));
}

#[tokio::test]
async fn custom_jwks_path_and_disabled_discovery() {
    let mut idp = TestIdp::builder()
        .jwks_path("/custom/jwks")
        .discovery(false)
        .start()
        .await;
    assert_eq!(idp.jwks_url(), format!("{}/custom/jwks", idp.base_url()));
    assert_eq!(get(&idp.jwks_url()).await.status, 200);
    assert_eq!(get(&idp.discovery_url()).await.status, 404);
    assert_eq!(idp.discovery_requests(), 1, "404s are counted too");

    idp.set_discovery_enabled(true);
    let document = get(&idp.discovery_url()).await.json();
    assert_eq!(document["jwks_uri"], json!(idp.jwks_url()));
    idp.stop();
}

#[tokio::test]
async fn discovery_overrides_apply_without_remounting() {
    let idp = TestIdp::start().await;
    idp.set_discovery_issuer(format!("{}/", idp.issuer()));
    idp.set_jwks_uri("http://169.254.169.254/latest/meta-data");
    let document = get(&idp.discovery_url()).await.json();
    assert_eq!(document["issuer"], json!(format!("{}/", idp.issuer())));
    assert_eq!(
        document["jwks_uri"],
        "http://169.254.169.254/latest/meta-data"
    );
    // Tokens keep the real issuer.
    assert_eq!(idp.claims("s", 1)["iss"], json!(idp.issuer()));
}

#[tokio::test]
async fn rotation_adds_and_removes_published_keys() {
    let idp = TestIdp::start().await;
    idp.add_key(fixtures().rsa2.clone());
    assert_eq!(
        kids(&get(&idp.jwks_url()).await.json()),
        ["idp-rsa-1", "idp-rsa-2"]
    );
    idp.remove_key("idp-rsa-1");
    assert_eq!(kids(&get(&idp.jwks_url()).await.json()), ["idp-rsa-2"]);
    assert_eq!(
        idp.signing_key().map(|k| k.kid().to_owned()),
        Some("idp-rsa-2".into())
    );
    let token = idp.token(&json!({"sub": "s"}));
    let header = token.split('.').next().expect("header");
    assert_eq!(
        header,
        tambo_auth_testkit::jws::b64url(r#"{"alg":"RS256","kid":"idp-rsa-2","typ":"JWT"}"#)
    );

    idp.set_keys(vec![fixtures().ec.with_kid("ec-new")]);
    assert_eq!(kids(&get(&idp.jwks_url()).await.json()), ["ec-new"]);
    assert_eq!(idp.jwks_requests(), 3);
}

#[tokio::test]
async fn a_raw_jwks_body_is_served_until_set_keys() {
    let idp = TestIdp::start().await;
    let poisoned = json!({"keys": [{"kty": "oct", "kid": "idp-rsa-1", "k": "c2VjcmV0"}]});
    idp.set_jwks_body(poisoned.clone());
    assert_eq!(get(&idp.jwks_url()).await.json(), poisoned);
    idp.set_keys(vec![fixtures().rsa.clone()]);
    assert_eq!(kids(&get(&idp.jwks_url()).await.json()), ["idp-rsa-1"]);
}

#[tokio::test]
async fn cache_control_is_sent_on_jwks_answers() {
    let idp = TestIdp::start().await;
    idp.set_cache_control(Some("public, max-age=600".into()));
    assert_eq!(
        get(&idp.jwks_url()).await.header("cache-control"),
        Some("public, max-age=600")
    );
    assert_eq!(
        get(&idp.discovery_url()).await.header("cache-control"),
        None
    );
    idp.set_cache_control(None);
    assert_eq!(get(&idp.jwks_url()).await.header("cache-control"), None);
}

#[tokio::test]
async fn status_faults_answer_that_status() {
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Status(500)));
    idp.set_discovery_fault(Some(Fault::Status(503)));
    let jwks = get(&idp.jwks_url()).await;
    assert_eq!(jwks.status, 500);
    assert!(jwks.body.len() < 100);
    assert_eq!(get(&idp.discovery_url()).await.status, 503);
    assert_eq!((idp.discovery_requests(), idp.jwks_requests()), (1, 1));

    idp.set_jwks_fault(None);
    idp.set_discovery_fault(None);
    assert_eq!(get(&idp.jwks_url()).await.status, 200);
    assert_eq!(get(&idp.discovery_url()).await.status, 200);
}

#[tokio::test]
async fn body_faults_answer_200_with_that_body() {
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::html("<html>login</html>")));
    let html = get(&idp.jwks_url()).await;
    assert_eq!(html.status, 200);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(html.body, b"<html>login</html>");

    idp.set_jwks_fault(Some(Fault::json_body(r#"{"keys":{}}"#)));
    assert_eq!(get(&idp.jwks_url()).await.body, br#"{"keys":{}}"#);

    idp.set_discovery_fault(Some(Fault::Body {
        content_type: "application/json".into(),
        body: "{not json".into(),
    }));
    assert_eq!(get(&idp.discovery_url()).await.body, b"{not json");
}

#[tokio::test]
async fn delay_faults_answer_normally_after_the_delay() {
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Delay(Duration::from_millis(150))));
    let started = Instant::now();
    let answer = get(&idp.jwks_url()).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(kids(&answer.json()), ["idp-rsa-1"]);

    // A client with a shorter timeout gives up.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(30))
        .build()
        .expect("client builds");
    assert!(impatient.get(idp.jwks_url()).send().await.is_err());
}

#[tokio::test]
async fn huge_faults_send_exactly_that_many_bytes_of_valid_json() {
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Huge(1 << 20)));
    let answer = get(&idp.jwks_url()).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.body.len(), 1 << 20);
    assert_eq!(kids(&answer.json()), ["idp-rsa-1"]);

    idp.set_jwks_fault(Some(Fault::Huge(10)));
    assert_eq!(get(&idp.jwks_url()).await.body.len(), 10);
}

#[tokio::test]
async fn redirect_faults_answer_302_with_location() {
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Redirect("https://evil.example/jwks".into())));
    let answer = get(&idp.jwks_url()).await;
    assert_eq!(answer.status, 302);
    assert_eq!(answer.header("location"), Some("https://evil.example/jwks"));
    assert_eq!(idp.jwks_requests(), 1);
}

#[test]
#[should_panic(expected = "within 100..=999")]
fn an_impossible_status_is_refused_when_set() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let idp = runtime.block_on(TestIdp::start());
    idp.set_jwks_fault(Some(Fault::Status(42)));
}

#[tokio::test]
async fn stop_refuses_connections_and_restart_serves_the_same_port_and_state() {
    let mut idp = TestIdp::start().await;
    let port = idp.port();
    let keep_alive = client();
    assert_eq!(get_with(&keep_alive, &idp.jwks_url()).await.status, 200);
    idp.add_key(fixtures().ed.clone());

    idp.stop();
    assert!(!idp.is_running());
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect_err("port refuses connections");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(
        keep_alive.get(idp.jwks_url()).send().await.is_err(),
        "pooled connections are closed too"
    );
    idp.stop(); // idempotent

    idp.restart().await;
    assert!(idp.is_running());
    assert_eq!(idp.port(), port);
    let answer = get_with(&keep_alive, &idp.jwks_url()).await;
    assert_eq!(kids(&answer.json()), ["idp-rsa-1", "idp-ed-1"]);
    assert_eq!(idp.jwks_requests(), 2, "counters survive a restart");
    idp.restart().await; // idempotent
}

#[tokio::test]
async fn the_idp_answers_while_the_test_runtime_is_blocked() {
    use std::io::{Read, Write};

    let idp = TestIdp::start().await;
    let port = idp.port();
    // Joining a thread blocks this single-threaded runtime; wiremock has its own thread.
    let status = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        stream
            .write_all(
                b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .expect("writes");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("reads");
        text.lines().next().map(str::to_owned)
    })
    .join()
    .expect("thread joins");
    assert_eq!(status.as_deref(), Some("HTTP/1.1 200 OK"));
    assert_eq!(idp.jwks_requests(), 1);
}

#[tokio::test]
async fn hmac_keys_are_published_as_oct_jwks_when_asked() {
    let idp = TestIdp::builder()
        .keys(vec![TestKey::hmac_from(
            "shared",
            b"0123456789abcdef0123456789abcdef".to_vec(),
        )])
        .start()
        .await;
    let jwks = get(&idp.jwks_url()).await.json();
    assert_eq!(jwks["keys"][0]["kty"], "oct");
    let document = get(&idp.discovery_url()).await.json();
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        json!(["RS256"]),
        "symmetric keys are not advertised"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_answer_does_not_hold_up_other_requests() {
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Delay(Duration::from_millis(200))));
    let url = idp.jwks_url();
    let slow = tokio::spawn(async move { get(&url).await });
    while idp.jwks_requests() == 0 {
        tokio::task::yield_now().await;
    }
    let started = Instant::now();
    assert_eq!(get(&idp.discovery_url()).await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(slow.await.expect("task joins").status, 200);
}

#[tokio::test(start_paused = true)]
async fn a_paused_test_clock_fires_client_timeouts_before_a_real_delay_ends() {
    // wiremock sleeps in real time on its own thread; the paused test runtime, idle while it
    // waits for the socket, auto-advances its clock to the client's timeout at once.
    let idp = TestIdp::start().await;
    idp.set_jwks_fault(Some(Fault::Delay(Duration::from_millis(100))));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client builds");
    let started = Instant::now();
    let error = client
        .get(idp.jwks_url())
        .send()
        .await
        .expect_err("the virtual 60 s elapse before the real 100 ms");
    assert!(error.is_timeout());
    assert!(started.elapsed() < Duration::from_secs(5));
}
