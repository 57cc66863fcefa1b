//! Opaque access tokens through the `userinfo` and `introspection` strategies, against
//! wiremock identity providers on 127.0.0.1: the identity each answer gives, the request each
//! strategy sends, every refusal with its exact kind and statuses, the cache of positive
//! answers on an injected clock, routing in a registry, the exchange and the layer.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use serde_json::{Value, json};
use tambo_auth::clock::ManualClock;
use tambo_auth::exchange::{
    GRANT_TYPE_TOKEN_EXCHANGE, Project, StaticProjects, TOKEN_TYPE_ACCESS_TOKEN, TokenExchange,
};
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::{SigningKey, TamboTokens};
use tambo_auth::verify::{ClientAuth, Introspection, Secret, Userinfo};
use tambo_auth::{
    Algorithm, Error, ErrorKind, OidcProvider, ProviderExt as _, ProviderRegistry, StrategyKind,
    TamboUser, Verifier,
};
use tambo_auth_testkit::refusal::assert_names_field;
use tambo_auth_testkit::{assert_refused, fixtures, jws};
use tower::ServiceExt as _;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: u64 = 1_800_000_000;
const GITHUB: &str = "https://api.github.com";
const GITHUB_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
const OKTA: &str = "https://acme.okta.com/oauth2/default";
const OKTA_TOKEN: &str = "h4DvR2vXlbOBeSNgMa7aLT3cK9u0Qp1s";
const CLIENT_ID: &str = "0oa1threads+api";
const CLIENT_SECRET: &str = "s3cr:et/with=odd&chars";

fn octocat() -> Value {
    json!({
        "login": "octocat",
        "id": 583231,
        "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "name": "The Octocat",
        "email": null,
        "type": "User"
    })
}

fn active(exp: u64) -> Value {
    json!({
        "active": true,
        "sub": "00u1ada",
        "client_id": "0oa1web",
        "scope": "openid threads:read",
        "aud": "api://default",
        "iss": OKTA,
        "iat": NOW - 60,
        "exp": exp,
        "token_type": "Bearer"
    })
}

async fn userinfo_server(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header(
            "authorization",
            format!("Bearer {GITHUB_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn github(server: &MockServer, clock: &ManualClock) -> Verifier {
    Verifier::builder(GITHUB)
        .userinfo(Userinfo::new(format!("{}/user", server.uri())).identity("id"))
        .allow_loopback_http(true)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("userinfo verifier")
}

fn okta(server: &MockServer, clock: &ManualClock, auth: ClientAuth) -> Verifier {
    Verifier::builder(OKTA)
        .introspection(
            Introspection::new(
                format!("{}/v1/introspect", server.uri()),
                CLIENT_ID,
                Secret::from_utf8(CLIENT_SECRET),
            )
            .client_auth(auth),
        )
        .audience("api://default")
        .allow_loopback_http(true)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("introspection verifier")
}

async fn introspection_server(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/introspect"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn clock() -> ManualClock {
    ManualClock::at_unix(NOW)
}

fn refusal(error: &Error) -> (ErrorKind, u16, u16) {
    let kind = error.kind();
    (kind, kind.exchange_status(), kind.bearer_status())
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

// ---------------------------------------------------------------------------------------------
// userinfo
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_github_token_is_the_user_of_its_numeric_id_in_tambos_context_key_form() {
    let server = userinfo_server(200, octocat()).await;
    let clock = clock();
    let verifier = github(&server, &clock);
    assert_eq!(verifier.strategy(), StrategyKind::Userinfo);
    let user = OidcProvider::new("github", verifier)
        .authenticate(GITHUB_TOKEN)
        .await
        .expect("user");
    assert_eq!(user.sub(), "583231");
    assert_eq!(user.issuer(), GITHUB);
    // Tambo's userinfo path gives `oauth:user:api.github.com:<id>`: the same users.
    assert_eq!(
        user.context_key().as_str(),
        "oauth:user:api.github.com:583231"
    );
    assert_eq!(user.claims().get_str("login"), Some("octocat"));
    assert_eq!(user.expires_at(), None);
}

#[tokio::test]
async fn an_oidc_userinfo_answer_is_identified_by_sub_and_an_integer_id_never_by_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sub": "248289761001", "id": 7})),
        )
        .mount(&server)
        .await;
    let verifier = Verifier::builder("https://idp.example")
        .userinfo(Userinfo::new(format!("{}/userinfo", server.uri())))
        .allow_loopback_http(true)
        .build()
        .expect("verifier");
    let first = verifier.verify("opaque-one").await.expect("first");
    let second = verifier.verify("opaque-two").await.expect("second");
    assert_eq!(first.claims().sub(), Some("248289761001"));
    assert_eq!(second.claims().sub(), first.claims().sub());
    assert!(!first.signature_checked());
    assert!(first.header().is_none());
}

#[tokio::test]
async fn userinfo_refusals_and_outages_have_their_own_kinds() {
    let clock = clock();
    for (status, body, want) in [
        (
            401,
            json!({"message": "Bad credentials"}),
            (ErrorKind::Inactive, 400, 401),
        ),
        (403, json!({}), (ErrorKind::Inactive, 400, 401)),
        (500, json!({}), (ErrorKind::EndpointUnavailable, 503, 503)),
        (404, json!({}), (ErrorKind::EndpointUnavailable, 503, 503)),
        (
            200,
            json!(["not", "an", "object"]),
            (ErrorKind::EndpointUnavailable, 503, 503),
        ),
        (
            200,
            json!({"login": "octocat"}),
            (ErrorKind::InvalidClaim, 400, 401),
        ),
        (200, json!({"id": ""}), (ErrorKind::InvalidClaim, 400, 401)),
        (200, json!({"id": 1.5}), (ErrorKind::InvalidClaim, 400, 401)),
        (
            200,
            json!({"id": 1, "iss": "https://evil.example"}),
            (ErrorKind::IssuerMismatch, 400, 401),
        ),
    ] {
        let server = userinfo_server(status, body.clone()).await;
        let error = github(&server, &clock)
            .verify(GITHUB_TOKEN)
            .await
            .expect_err("refused");
        assert_eq!(refusal(&error), want, "{status} {body}");
        if want.0 == ErrorKind::EndpointUnavailable {
            assert_eq!(error.retry_after(), Some(Duration::from_secs(5)));
        }
    }
}

#[tokio::test]
async fn an_answer_with_duplicate_members_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"id": 1, "id": 2}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let error = github(&server, &clock())
        .verify(GITHUB_TOKEN)
        .await
        .expect_err("refused");
    assert_eq!(refusal(&error), (ErrorKind::EndpointUnavailable, 503, 503));
}

#[tokio::test]
async fn redirects_are_not_followed_and_oversized_answers_are_cut_off() {
    let elsewhere = userinfo_server(200, octocat()).await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/user", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let error = github(&server, &clock())
        .verify(GITHUB_TOKEN)
        .await
        .expect_err("redirect");
    assert_eq!(refusal(&error), (ErrorKind::EndpointUnavailable, 503, 503));
    assert_eq!(
        requests(&elsewhere).await,
        0,
        "the token went where it was redirected"
    );

    let mut big = octocat();
    big["bio"] = Value::String("x".repeat(70 * 1024));
    let server = userinfo_server(200, big).await;
    let error = github(&server, &clock())
        .verify(GITHUB_TOKEN)
        .await
        .expect_err("too large");
    assert_eq!(refusal(&error), (ErrorKind::EndpointUnavailable, 503, 503));
    assert!(
        error.to_string().contains("larger than 65536 bytes"),
        "{error}"
    );
}

#[test]
fn endpoints_on_private_addresses_or_plain_http_are_refused_when_configured() {
    for (url, loopback) in [
        ("http://169.254.169.254/latest/meta-data", true),
        ("https://10.0.0.7/user", false),
        ("http://api.github.com/user", false),
        ("http://127.0.0.1:8080/user", false),
        ("https://user:pass@api.github.com/user", false),
        ("not a url", false),
    ] {
        let error = Verifier::builder(GITHUB)
            .userinfo(Userinfo::new(url))
            .allow_loopback_http(loopback)
            .build()
            .expect_err(url);
        assert!(
            matches!(&error, Error::Configuration { field, .. } if field == "userinfo"),
            "{url}: {error}"
        );
    }
    let error = Verifier::builder(GITHUB)
        .userinfo(Userinfo::new("https://api.github.com/user"))
        .audience("https://api.example")
        .build()
        .expect_err("audience");
    assert!(matches!(&error, Error::Configuration { field, .. } if field == "audiences"));
}

#[tokio::test]
async fn tokens_no_header_can_carry_are_refused_without_a_request() {
    let server = userinfo_server(200, octocat()).await;
    let verifier = github(&server, &clock());
    for token in ["gho_abc\ndef", "gho abc", "gho_\u{e9}t\u{e9}", "gho_\u{7f}"] {
        let error = verifier.verify_opaque(token).await.expect_err(token);
        assert_eq!(
            refusal(&error),
            (ErrorKind::Malformed, 400, 401),
            "{token:?}"
        );
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn a_jwt_of_another_issuer_is_never_sent_to_the_endpoint() {
    let server = userinfo_server(200, octocat()).await;
    let token = jws::token(
        &fixtures().ed,
        &json!({"iss": "https://other.example", "sub": "x", "exp": NOW + 60}),
    );
    let error = github(&server, &clock())
        .verify(&token)
        .await
        .expect_err("refused");
    assert_eq!(refusal(&error), (ErrorKind::IssuerMismatch, 400, 401));
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn a_positive_answer_is_reused_for_the_cache_time_and_asked_again_after() {
    let server = userinfo_server(200, octocat()).await;
    let clock = clock();
    let verifier = github(&server, &clock);
    for _ in 0..3 {
        verifier.verify(GITHUB_TOKEN).await.expect("user");
    }
    assert_eq!(requests(&server).await, 1);
    clock.advance(Duration::from_secs(59));
    verifier.verify(GITHUB_TOKEN).await.expect("user");
    assert_eq!(requests(&server).await, 1);
    clock.advance(Duration::from_secs(1));
    verifier.verify(GITHUB_TOKEN).await.expect("user");
    assert_eq!(requests(&server).await, 2);

    // A refusal is never cached: the token is asked about again.
    let refusing = userinfo_server(401, json!({})).await;
    let verifier = github(&refusing, &clock);
    for _ in 0..2 {
        verifier.verify(GITHUB_TOKEN).await.expect_err("refused");
    }
    assert_eq!(requests(&refusing).await, 2);
}

#[tokio::test]
async fn a_zero_cache_time_asks_every_time() {
    let server = userinfo_server(200, octocat()).await;
    let verifier = Verifier::builder(GITHUB)
        .userinfo(Userinfo::new(format!("{}/user", server.uri())).identity("id"))
        .opaque_cache_ttl(Duration::ZERO)
        .allow_loopback_http(true)
        .build()
        .expect("verifier");
    for _ in 0..3 {
        verifier.verify(GITHUB_TOKEN).await.expect("user");
    }
    assert_eq!(requests(&server).await, 3);
}

// ---------------------------------------------------------------------------------------------
// introspection
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn introspection_with_basic_auth_sends_the_form_encoded_credentials_and_the_token() {
    let server = MockServer::start().await;
    let encoded = "0oa1threads%2Bapi:s3cr%3Aet%2Fwith%3Dodd%26chars";
    let basic = base64::engine::general_purpose::STANDARD.encode(encoded);
    Mock::given(method("POST"))
        .and(path("/v1/introspect"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "token={OKTA_TOKEN}&token_type_hint=access_token"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(active(NOW + 3600)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = clock();
    let verifier = okta(&server, &clock, ClientAuth::Basic);
    assert_eq!(verifier.strategy(), StrategyKind::Introspection);
    let verified = verifier.verify(OKTA_TOKEN).await.expect("active");
    assert_eq!(verified.claims().sub(), Some("00u1ada"));
    assert_eq!(verified.claims().get("active"), None);
    let shown = format!("{verifier:?}");
    assert!(
        !shown.contains(CLIENT_SECRET) && !shown.contains(&basic),
        "{shown}"
    );
}

#[tokio::test]
async fn introspection_with_post_auth_sends_the_credentials_in_the_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/introspect"))
        .and(body_string(format!(
            "token={OKTA_TOKEN}&token_type_hint=access_token&client_id=0oa1threads%2Bapi&client_secret=s3cr%3Aet%2Fwith%3Dodd%26chars"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(active(NOW + 3600)))
        .expect(1)
        .mount(&server)
        .await;
    let verified = okta(&server, &clock(), ClientAuth::Post)
        .verify(OKTA_TOKEN)
        .await
        .expect("active");
    assert_eq!(verified.claims().sub(), Some("00u1ada"));
    let received = server.received_requests().await.expect("recorded");
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn introspection_answers_pass_the_claim_rules_of_a_jwt() {
    let clock = clock();
    let mut wrong_audience = active(NOW + 3600);
    wrong_audience["aud"] = json!("api://billing");
    let mut other_issuer = active(NOW + 3600);
    other_issuer["iss"] = json!("https://evil.example");
    let mut no_sub = active(NOW + 3600);
    no_sub.as_object_mut().expect("object").remove("sub");
    let mut no_exp = active(NOW + 3600);
    no_exp.as_object_mut().expect("object").remove("exp");
    for (body, want) in [
        (json!({"active": false}), (ErrorKind::Inactive, 400, 401)),
        (
            json!({"sub": "00u1ada"}),
            (ErrorKind::EndpointUnavailable, 503, 503),
        ),
        (
            json!({"active": "true", "sub": "x"}),
            (ErrorKind::EndpointUnavailable, 503, 503),
        ),
        (active(NOW - 120), (ErrorKind::Expired, 400, 401)),
        (wrong_audience, (ErrorKind::AudienceMismatch, 400, 401)),
        (other_issuer, (ErrorKind::IssuerMismatch, 400, 401)),
        (no_sub, (ErrorKind::MissingClaim, 400, 401)),
        (no_exp, (ErrorKind::MissingClaim, 400, 401)),
    ] {
        let server = introspection_server(body.clone()).await;
        let error = okta(&server, &clock, ClientAuth::Basic)
            .verify(OKTA_TOKEN)
            .await
            .expect_err("refused");
        assert_eq!(refusal(&error), want, "{body}");
    }
}

#[tokio::test]
async fn an_introspection_endpoint_refusing_our_credentials_is_an_outage_not_the_users_fault() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let error = okta(&server, &clock(), ClientAuth::Basic)
        .verify(OKTA_TOKEN)
        .await
        .expect_err("refused");
    assert_eq!(refusal(&error), (ErrorKind::EndpointUnavailable, 503, 503));
    assert!(error.to_string().contains("client credentials"), "{error}");
}

#[tokio::test]
async fn an_introspection_answer_is_cached_no_longer_than_its_exp() {
    let server = introspection_server(active(NOW + 20)).await;
    let clock = clock();
    let verifier = okta(&server, &clock, ClientAuth::Basic);
    verifier.verify(OKTA_TOKEN).await.expect("active");
    clock.advance(Duration::from_secs(19));
    verifier.verify(OKTA_TOKEN).await.expect("cached");
    assert_eq!(requests(&server).await, 1);
    // At `exp` the cached answer is gone and the endpoint is asked again; its answer passes
    // within the 60 s leeway but is not cached past `exp`, and after the leeway it is
    // expired.
    clock.advance(Duration::from_secs(1));
    verifier
        .verify(OKTA_TOKEN)
        .await
        .expect("within the leeway");
    verifier
        .verify(OKTA_TOKEN)
        .await
        .expect("within the leeway");
    assert_eq!(requests(&server).await, 3);
    clock.advance(Duration::from_secs(60));
    let error = verifier.verify(OKTA_TOKEN).await.expect_err("expired");
    assert_eq!(refusal(&error), (ErrorKind::Expired, 400, 401));
}

#[test]
fn introspection_needs_an_audience_credentials_and_a_usable_url() {
    let build = |client: &str, secret: &str| {
        Verifier::builder(OKTA)
            .introspection(Introspection::new(
                "https://acme.okta.com/oauth2/default/v1/introspect",
                client,
                Secret::from_utf8(secret),
            ))
            .build()
            .expect_err("refused")
    };
    assert!(
        matches!(build(CLIENT_ID, CLIENT_SECRET), Error::Configuration { field, .. } if field == "audiences")
    );
    assert!(
        matches!(build("", CLIENT_SECRET), Error::Configuration { field, .. } if field == "introspection.client_id")
    );
    assert!(
        matches!(build(CLIENT_ID, ""), Error::Configuration { field, .. } if field == "introspection.client_secret")
    );
}

// ---------------------------------------------------------------------------------------------
// routing, exchange, layer
// ---------------------------------------------------------------------------------------------

fn jwt_provider(clock: &ManualClock) -> OidcProvider {
    OidcProvider::new(
        "idp",
        Verifier::builder("https://idp.example")
            .public_key_pem(fixtures().ed.public_pem())
            .allow_any_audience()
            .clock(Arc::new(clock.clone()))
            .build()
            .expect("jwt verifier"),
    )
}

#[tokio::test]
async fn a_registry_sends_opaque_tokens_to_its_one_asking_provider_and_jwts_by_issuer() {
    let server = userinfo_server(200, octocat()).await;
    let clock = clock();
    let registry = ProviderRegistry::builder()
        .provider(jwt_provider(&clock))
        .provider(OidcProvider::new("github", github(&server, &clock)))
        .build()
        .expect("registry");
    let user = registry
        .authenticate(GITHUB_TOKEN)
        .await
        .expect("github user");
    assert_eq!((user.provider(), user.sub()), ("github", "583231"));
    let jwt = jws::token(
        &fixtures().ed,
        &json!({"iss": "https://idp.example", "sub": "ada", "exp": NOW + 60}),
    );
    let user = registry.authenticate(&jwt).await.expect("jwt user");
    assert_eq!((user.provider(), user.sub()), ("idp", "ada"));
    assert_eq!(requests(&server).await, 1);

    // Without an asking provider an opaque token is refused as before, with no request.
    let registry = ProviderRegistry::builder()
        .provider(jwt_provider(&clock))
        .build()
        .expect("registry");
    let error = registry
        .authenticate(GITHUB_TOKEN)
        .await
        .expect_err("opaque");
    assert_eq!(refusal(&error), (ErrorKind::Opaque, 400, 401));
}

#[tokio::test]
async fn two_providers_for_opaque_tokens_are_a_configuration_error() {
    let server = userinfo_server(200, octocat()).await;
    let clock = clock();
    let second = Verifier::builder("https://gitlab.com")
        .userinfo(Userinfo::new(format!("{}/user", server.uri())).identity("id"))
        .allow_loopback_http(true)
        .build()
        .expect("verifier");
    let error = assert_refused!(
        ProviderRegistry::builder()
            .provider(OidcProvider::new("github", github(&server, &clock)))
            .provider(OidcProvider::new("gitlab", second))
            .build(),
        ErrorKind::Configuration
    );
    assert_names_field(&error, "providers", &["two providers take opaque tokens"]);
}

const OUR_ISSUER: &str = "https://auth.example";
const API_KEY: &str = "tambo_pk_test_7f3a9c2e51d04b8a";

fn exchange_body(token: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", GRANT_TYPE_TOKEN_EXCHANGE)
        .append_pair("subject_token", token)
        .append_pair("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN)
        .append_pair("scope", "threads:read")
        .finish()
}

#[tokio::test]
async fn an_introspected_token_is_exchanged_for_a_tambo_token_that_ends_with_it() {
    let server = introspection_server(active(NOW + 600)).await;
    let clock = clock();
    let tokens = TamboTokens::builder(OUR_ISSUER)
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("tokens");
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "okta",
            okta(&server, &clock, ClientAuth::Basic),
        ))
        .build()
        .expect("registry");
    let project = Arc::new(Project::new("p_demo", registry).scopes(["threads:read"]));
    let projects = StaticProjects::new([(API_KEY, project)]).expect("projects");
    let exchange = TokenExchange::new(tokens.clone(), Arc::new(projects));
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_static(API_KEY));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let answer = exchange
        .exchange(&headers, exchange_body(OKTA_TOKEN).as_bytes())
        .await
        .expect("issued");
    let answer = serde_json::to_value(&answer).expect("json");
    assert_eq!(answer["expires_in"], json!(600));
    assert_eq!(answer["scope"], json!("threads:read"));
    let user = tokens
        .verify(answer["access_token"].as_str().expect("token"))
        .expect("our token");
    assert_eq!(user.sub(), "00u1ada");
    assert_eq!(user.issuer(), OKTA);

    let refusing = introspection_server(json!({"active": false})).await;
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new(
            "okta",
            okta(&refusing, &clock, ClientAuth::Basic),
        ))
        .build()
        .expect("registry");
    let project = Arc::new(Project::new("p_demo", registry).scopes(["threads:read"]));
    let exchange = TokenExchange::new(
        tokens,
        Arc::new(StaticProjects::new([(API_KEY, project)]).expect("projects")),
    );
    let error = exchange
        .exchange(&headers, exchange_body(OKTA_TOKEN).as_bytes())
        .await
        .expect_err("inactive");
    assert_eq!(refusal(&error), (ErrorKind::Inactive, 400, 401));
}

async fn whoami(user: TamboUser) -> String {
    user.sub().to_owned()
}

#[tokio::test]
async fn the_layer_in_direct_mode_asks_for_opaque_tokens_and_keeps_no_copy_of_its_own() {
    // An introspection answer carries `exp`, so the layer's cache would keep this user if it
    // did not leave opaque tokens to their strategy's cache.
    let server = introspection_server(active(NOW + 600)).await;
    let verifier = Verifier::builder(OKTA)
        .introspection(Introspection::new(
            format!("{}/v1/introspect", server.uri()),
            CLIENT_ID,
            Secret::from_utf8(CLIENT_SECRET),
        ))
        .audience("api://default")
        .opaque_cache_ttl(Duration::ZERO)
        .allow_loopback_http(true)
        .clock(Arc::new(clock()))
        .build()
        .expect("verifier");
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new("okta", verifier))
        .build()
        .expect("registry");
    let router = Router::new()
        .route("/whoami", get(whoami))
        .layer(TamboAuthLayer::direct(registry));
    for _ in 0..2 {
        let response = router
            .clone()
            .oneshot(
                Request::get("/whoami")
                    .header("authorization", format!("Bearer {OKTA_TOKEN}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&body[..], b"00u1ada");
    }
    // With the strategy's cache off, each request asked: the layer kept no copy.
    assert_eq!(requests(&server).await, 2);
}
