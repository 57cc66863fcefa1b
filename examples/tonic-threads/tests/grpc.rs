//! A real tonic client against the layer over loopback: the handler sees the user, each user
//! sees only their own threads, bad calls are `Unauthenticated`.

use std::net::SocketAddr;

use example_tonic_threads::Client;
use tambo_auth::jwt::Claims;
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::{Algorithm, TamboUser};
use tonic::Code;

fn tokens() -> TamboTokens {
    TamboTokens::builder("https://auth.example.com")
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .build()
        .expect("tokens")
}

fn token(tokens: &TamboTokens, sub: &str) -> String {
    let claims = serde_json::json!({"iss": "https://idp.example", "sub": sub});
    let user = TamboUser::from_claims(
        "idp",
        "https://idp.example",
        Claims::from_map(claims.as_object().cloned().unwrap_or_default()),
    )
    .expect("user");
    tokens
        .issue(IssueRequest::new(&user, "p_demo"))
        .expect("issued")
        .access_token
}

/// The service on a loopback port, and the tokens it trusts.
async fn serve() -> (TamboTokens, SocketAddr) {
    let tokens = tokens();
    let addr = example_tonic_threads::serve(tokens.clone())
        .await
        .expect("serving");
    (tokens, addr)
}

async fn connect(addr: SocketAddr, token: Option<&str>) -> Client {
    Client::connect(addr, token).await.expect("connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_sees_the_user_and_bad_calls_are_unauthenticated() {
    let (tokens, addr) = serve().await;

    let mut alice = connect(addr, Some(&token(&tokens, "alice"))).await;
    let me = alice.whoami().await.expect("authenticated call");
    assert_eq!(me.sub, "alice");
    assert_eq!(me.context_key, "oauth:user:idp.example:alice");

    let missing = connect(addr, None)
        .await
        .whoami()
        .await
        .expect_err("refused");
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(missing.message(), "a bearer token is required");

    let forged = token(&self::tokens(), "mallory");
    let mut mallory = connect(addr, Some(&forged)).await;
    let bad = mallory.list_threads().await.expect_err("refused");
    assert_eq!(bad.code(), Code::Unauthenticated);
    assert_eq!(bad.message(), "the token signature could not be verified");

    let mut garbage = connect(addr, Some("not-a-jwt")).await;
    assert_eq!(
        garbage.whoami().await.expect_err("refused").code(),
        Code::Unauthenticated
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_sees_only_their_own_threads() {
    let (tokens, addr) = serve().await;
    let mut alice = connect(addr, Some(&token(&tokens, "alice"))).await;
    let mut bob = connect(addr, Some(&token(&tokens, "bob"))).await;

    alice.create_thread("groceries").await.expect("created");
    alice.create_thread("travel").await.expect("created");
    bob.create_thread("bob's").await.expect("created");

    let names = |threads: Vec<example_tonic_threads::Thread>| {
        threads.into_iter().map(|t| t.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(alice.list_threads().await.expect("listed")),
        ["groceries", "travel"]
    );
    assert_eq!(names(bob.list_threads().await.expect("listed")), ["bob's"]);
}

/// The client side: `tambo_auth_client::AuthLayer` on a tonic channel puts a session's
/// token on every call. A token the service refuses (gRPC `UNAUTHENTICATED`) makes the
/// session exchange again, so the next call goes through (a tonic body may stream, so the
/// refused call itself is not sent again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_authenticates_a_channel_and_recovers_from_a_refused_token() {
    use tambo_auth_client::{AuthLayer, ExchangeClient, TamboSession};
    use tower::Layer as _;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let (tokens, addr) = serve().await;
    // A token endpoint that first hands out a token the service does not trust.
    let endpoint = MockServer::start().await;
    let answer = |token: String| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": token,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer",
            "expires_in": 900,
        }))
    };
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(answer(token(&self::tokens(), "alice")))
        .up_to_n_times(1)
        .mount(&endpoint)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(answer(token(&tokens, "alice")))
        .mount(&endpoint)
        .await;
    let client = ExchangeClient::new(&format!("{}/oauth/token", endpoint.uri()), "tambo_pk_demo")
        .expect("client");
    let session = TamboSession::new(client, || async {
        Ok::<_, std::convert::Infallible>("a provider token".to_owned())
    });

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connects");
    let mut grpc = tonic::client::Grpc::new(AuthLayer::new(session).layer(channel));
    let mut whoami = async || {
        grpc.ready().await.expect("ready");
        grpc.unary(
            tonic::Request::new(example_tonic_threads::Empty {}),
            http::uri::PathAndQuery::from_static(example_tonic_threads::paths::WHOAMI),
            tonic_prost::ProstCodec::<
                example_tonic_threads::Empty,
                example_tonic_threads::WhoAmIReply,
            >::default(),
        )
        .await
        .map(tonic::Response::into_inner)
    };
    let refused = whoami().await.expect_err("an untrusted token");
    assert_eq!(refused.code(), Code::Unauthenticated);
    let me = whoami().await.expect("the new token");
    assert_eq!(me.sub, "alice");
    assert_eq!(
        endpoint.received_requests().await.unwrap_or_default().len(),
        2
    );
}
