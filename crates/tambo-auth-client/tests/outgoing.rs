//! Outgoing authentication: `AuthLayer` (Tower) and `BearerMiddleware` (reqwest) put the
//! session's token on each request; a refused token is exchanged again and the request sent
//! once more, and only once.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use serde_json::json;
use tambo_auth_client::{AuthLayer, BearerMiddleware, ExchangeClient, ReplayBody, TamboSession};
use tower::{Layer as _, ServiceExt as _};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request as Seen, ResponseTemplate};

const API_KEY: &str = "tambo_pk_outgoing";

/// A token endpoint issuing `tambo-1`, `tambo-2`… and a session on it.
async fn session() -> (MockServer, TamboSession) {
    let server = MockServer::start().await;
    let issued = AtomicUsize::new(0);
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(move |_: &Seen| {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200).set_body_json(json!({
                "access_token": format!("tambo-{n}"),
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 900,
            }))
        })
        .mount(&server)
        .await;
    let client =
        ExchangeClient::new(&format!("{}/oauth/token", server.uri()), API_KEY).expect("client");
    let provider = AtomicUsize::new(0);
    let session = TamboSession::new(client, move || {
        let n = provider.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok::<_, Infallible>(format!("provider-{n}")) }
    });
    (server, session)
}

async fn exchanges(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .count()
}

/// An API that refuses the tokens in `refused` the way `TamboAuthLayer` does, over HTTP
/// (401 `invalid_token`) or gRPC (trailers-only `UNAUTHENTICATED`), and records every
/// `Authorization` it sees.
#[derive(Clone)]
struct Api {
    refused: &'static [&'static str],
    grpc: bool,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Api {
    fn new(refused: &'static [&'static str], grpc: bool) -> Self {
        Self {
            refused,
            grpc,
            seen: Arc::default(),
        }
    }

    fn answer<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let auth = request.headers()["authorization"]
            .to_str()
            .expect("ascii")
            .to_owned();
        self.seen.lock().expect("lock").push(auth.clone());
        let token = auth.strip_prefix("Bearer ").unwrap_or_default();
        let mut response = Response::new(Full::from("ok"));
        if self.refused.contains(&token) {
            if self.grpc {
                response
                    .headers_mut()
                    .insert("grpc-status", "16".parse().expect("value"));
            } else {
                *response.status_mut() = StatusCode::UNAUTHORIZED;
                response.headers_mut().insert(
                    "www-authenticate",
                    "Bearer error=\"invalid_token\"".parse().expect("value"),
                );
            }
        }
        response
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

/// A body that may stream, so it is never replayed.
struct Streaming;

impl ReplayBody for Streaming {
    fn replay(&self) -> Option<Self> {
        None
    }
}

#[tokio::test]
async fn the_tower_layer_sends_the_token_and_replays_a_refused_request_once() {
    for grpc in [false, true] {
        let (server, session) = session().await;
        let api = Api::new(&["tambo-1"], grpc);
        let inner = {
            let api = api.clone();
            tower::service_fn(move |r: Request<Full<Bytes>>| {
                let answer = api.answer(&r);
                async move { Ok::<_, Infallible>(answer) }
            })
        };
        let service = AuthLayer::new(session.clone()).layer(inner);
        let request = Request::post("/v1/threads")
            .body(Full::from("{}"))
            .expect("request");
        let response = service.clone().oneshot(request).await.expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers().get("grpc-status").is_none(),
            "grpc = {grpc}"
        );
        assert_eq!(api.seen(), ["Bearer tambo-1", "Bearer tambo-2"]);
        assert_eq!(exchanges(&server).await, 2);

        // The new token serves the next request directly.
        let request = Request::get("/v1/threads")
            .body(Full::default())
            .expect("request");
        service.oneshot(request).await.expect("answered");
        assert_eq!(api.seen().len(), 3);
        assert_eq!(exchanges(&server).await, 2);
    }
}

#[tokio::test]
async fn a_body_that_cannot_be_replayed_is_answered_as_refused_and_the_next_request_has_a_new_token()
 {
    let (server, session) = session().await;
    let api = Api::new(&["tambo-1"], false);
    let inner = {
        let api = api.clone();
        tower::service_fn(move |r: Request<Streaming>| {
            let answer = api.answer(&r);
            async move { Ok::<_, Infallible>(answer) }
        })
    };
    let service = AuthLayer::new(session).layer(inner);
    let streaming = || Request::post("/v1/threads").body(Streaming);
    let response = service
        .clone()
        .oneshot(streaming().expect("request"))
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = service
        .oneshot(streaming().expect("request"))
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(api.seen(), ["Bearer tambo-1", "Bearer tambo-2"]);
    assert_eq!(exchanges(&server).await, 2);
}

#[tokio::test]
async fn the_reqwest_middleware_retries_a_refused_token_once_and_only_once() {
    let (server, session) = session().await;
    let refusal = ResponseTemplate::new(401)
        .insert_header("www-authenticate", "Bearer error=\"invalid_token\"");
    Mock::given(method("GET"))
        .and(path("/v1/threads"))
        .and(header("authorization", "Bearer tambo-1"))
        .respond_with(refusal.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/threads"))
        .and(header("authorization", "Bearer tambo-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"threads": []})))
        .mount(&server)
        .await;
    let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(BearerMiddleware::new(session))
        .build();
    let url = format!("{}/v1/threads", server.uri());
    let response = api.get(&url).send().await.expect("answered");
    assert_eq!(response.status(), 200);
    assert_eq!(exchanges(&server).await, 2);

    // A token refused again after the new exchange: one retry, then the refusal.
    Mock::given(method("GET"))
        .and(path("/v1/always-refused"))
        .respond_with(refusal)
        .mount(&server)
        .await;
    let url = format!("{}/v1/always-refused", server.uri());
    let response = api.get(&url).send().await.expect("answered");
    assert_eq!(response.status(), 401);
    let attempts = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/v1/always-refused")
        .count();
    assert_eq!(attempts, 2);
    assert_eq!(exchanges(&server).await, 3);
}
