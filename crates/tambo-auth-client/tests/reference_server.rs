//! End to end against the reference server (`tambo-auth dev`, in process on 127.0.0.1): two
//! users' sessions exchange their development identity provider's tokens, call `/v1` through
//! the reqwest middleware and the Tower layer, and each sees only their own threads; a
//! refused exchange reads as its typed error.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use serde_json::{Value, json};
use tambo_auth_client::{
    AuthLayer, BearerMiddleware, ExchangeClient, ExchangeError, ExchangeRequest, TamboSession,
};
use tambo_auth_server::dev;
use tower::{Layer as _, ServiceExt as _};

/// The development server, serving until the test ends; its base URL.
async fn reference_server(data: &std::path::Path) -> String {
    let server = dev::start(0, data).await.expect("dev server");
    let base = format!("http://{}", server.addr);
    tokio::spawn(server.server.serve_router(
        server.listener,
        server.router,
        std::future::pending(),
    ));
    base
}

/// A session for `user`, whose provider token comes from the development identity provider
/// at each exchange.
fn session(base: &str, user: &'static str) -> TamboSession {
    let client = ExchangeClient::new(&format!("{base}/oauth/token"), dev::API_KEY).expect("client");
    let idp = format!("{base}{}/token?sub={user}", dev::IDP_PATH);
    TamboSession::new(client, move || {
        let idp = idp.clone();
        async move { reqwest::get(idp).await?.error_for_status()?.text().await }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_get_tokens_and_each_user_sees_only_their_own_threads() {
    let data = tempfile::tempdir().expect("temp dir");
    let base = reference_server(data.path()).await;
    let threads = format!("{base}/v1/threads");

    // alice through reqwest.
    let alice = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(BearerMiddleware::new(session(&base, "alice")))
        .build();
    let created = alice
        .post(&threads)
        .header("content-type", "application/json")
        .body(json!({"metadata": {"topic": "groceries"}}).to_string())
        .send()
        .await
        .expect("created");
    assert_eq!(created.status(), 201);
    let created: Value =
        serde_json::from_slice(&created.bytes().await.expect("body")).expect("JSON");
    let id = created["id"].as_str().expect("a thread id").to_owned();
    let mine = alice.get(&threads).send().await.expect("listed");
    assert_eq!(mine.status(), 200);
    let mine: Value = serde_json::from_slice(&mine.bytes().await.expect("body")).expect("JSON");
    assert_eq!(mine["threads"][0]["id"], id.as_str(), "{mine}");

    // bob through the Tower layer on a hyper client: alice's thread does not exist for him.
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let bob = AuthLayer::new(session(&base, "bob")).layer(http);
    let get = |uri: String| {
        http::Request::get(uri)
            .body(Full::<Bytes>::default())
            .expect("request")
    };
    let answer = bob
        .clone()
        .oneshot(get(format!("{threads}/{id}")))
        .await
        .expect("answered");
    assert_eq!(answer.status(), 404);
    let answer = bob.oneshot(get(threads.clone())).await.expect("answered");
    assert_eq!(answer.status(), 200);
    let body = answer.into_body().collect().await.expect("body").to_bytes();
    let listed: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(listed["threads"], json!([]), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_servers_refusals_read_as_typed_errors() {
    let data = tempfile::tempdir().expect("temp dir");
    let base = reference_server(data.path()).await;
    let endpoint = format!("{base}/oauth/token");
    let id_token = reqwest::get(format!("{base}{}/token?sub=carol", dev::IDP_PATH))
        .await
        .expect("minted")
        .text()
        .await
        .expect("token");

    let client = ExchangeClient::new(&endpoint, dev::API_KEY).expect("client");
    let answer = client
        .exchange(&id_token, &ExchangeRequest::default())
        .await
        .expect("exchanged");
    assert!(answer.expires_in.as_secs() > 60);

    let wrong_key = ExchangeClient::new(&endpoint, "tambo_pk_unknown").expect("client");
    let refused = wrong_key
        .exchange(&id_token, &ExchangeRequest::default())
        .await;
    assert!(
        matches!(refused, Err(ExchangeError::InvalidClient { .. })),
        "{refused:?}"
    );

    let forged = format!("{}AAAA", &id_token[..id_token.len() - 4]);
    let refused = client.exchange(&forged, &ExchangeRequest::default()).await;
    assert!(
        matches!(refused, Err(ExchangeError::InvalidRequest { .. })),
        "{refused:?}"
    );

    let scoped = ExchangeRequest::default().scope("threads:write");
    let refused = client.exchange(&id_token, &scoped).await;
    assert!(
        matches!(refused, Err(ExchangeError::InvalidScope { .. })),
        "{refused:?}"
    );

    let elsewhere = ExchangeRequest::default().audience("https://other.example");
    let refused = client.exchange(&id_token, &elsewhere).await;
    assert!(
        matches!(refused, Err(ExchangeError::InvalidTarget { .. })),
        "{refused:?}"
    );

    // A provider whose token cannot be had: the session says so, it does not panic.
    let failing = TamboSession::new(client, || async {
        Err::<String, _>(std::io::Error::other("signed out at the identity provider"))
    });
    assert!(matches!(
        failing.token().await,
        Err(ExchangeError::UserToken(_))
    ));
}
