//! The token exchange endpoint through `tower::ServiceExt::oneshot`, on the axum router and on
//! the bare service: every success and error row of the request rules with its exact status,
//! `error` code and headers, the issued token, the lifetime clamp, the key set and metadata
//! documents, an identity provider outage, and logs free of tokens and keys.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde_json::{Value, json};
use tambo_auth::clock::ManualClock;
use tambo_auth::exchange::{
    GRANT_TYPE_TOKEN_EXCHANGE, Project, StaticProjects, TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT, TokenExchange,
};
use tambo_auth::token::{IssueRequest, SigningKey, TamboTokens};
use tambo_auth::verify::Profile;
use tambo_auth::{Algorithm, OidcProvider, ProviderRegistry, TamboUser, Verifier};
use tambo_auth_testkit::claims::claims;
use tambo_auth_testkit::{JwsBuilder, TestIdp, fixtures};
use tower::ServiceExt as _;

const OUR_ISSUER: &str = "https://auth.example";
const IDP: &str = "https://idp.example";
const DEV_IDP: &str = "https://dev-idp.example";
const API_AUDIENCE: &str = "https://api.example";
const NOW: u64 = 1_800_000_000;
const API_KEY: &str = "tambo_pk_test_7f3a9c2e51d04b8a";
const OTHER_KEY: &str = "tambo_pk_other_c0ffee1234";
const PROJECT: &str = "p_demo";

struct Fixture {
    clock: ManualClock,
    tokens: TamboTokens,
    exchange: TokenExchange,
}

fn verifier(clock: &ManualClock) -> Verifier {
    Verifier::builder(IDP)
        .public_key_pem(fixtures().ed.public_pem())
        .clock(Arc::new(clock.clone()))
        .allow_any_audience()
        .build()
        .expect("verifier")
}

fn fixture_with(registry: impl FnOnce(&ManualClock) -> ProviderRegistry) -> Fixture {
    let clock = ManualClock::at_unix(NOW);
    let tokens = TamboTokens::builder(OUR_ISSUER)
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("tokens");
    let project = Arc::new(
        Project::new(PROJECT, registry(&clock))
            .audiences([API_AUDIENCE])
            .scopes(["threads:read", "threads:write"]),
    );
    let projects = StaticProjects::new([(API_KEY, project)]).expect("projects");
    let exchange = TokenExchange::new(tokens.clone(), Arc::new(projects));
    Fixture {
        clock,
        tokens,
        exchange,
    }
}

fn fixture() -> Fixture {
    fixture_with(|clock| {
        let dev = Verifier::builder(DEV_IDP)
            .insecure_no_verification()
            .profile(Profile::Development)
            .clock(Arc::new(clock.clone()))
            .build()
            .expect("dev verifier");
        ProviderRegistry::builder()
            .provider(OidcProvider::new("idp", verifier(clock)))
            .provider(OidcProvider::new("dev", dev))
            .build()
            .expect("registry")
    })
}

/// A subject token of `IDP` for `sub`, expiring `ttl` seconds after `NOW`.
fn subject_with(sub: &str, ttl: u64) -> String {
    let mut c = claims(IDP, sub, NOW);
    c["exp"] = json!(NOW + ttl);
    tambo_auth_testkit::jws::token(&fixtures().ed, &c)
}

fn subject() -> String {
    subject_with("alice", 3600)
}

/// A subject token of `IDP` for alice carrying `claim` (the scopes she holds).
fn subject_holding(claim: Value) -> String {
    let mut c = claims(IDP, "alice", NOW);
    for (name, value) in claim.as_object().expect("an object of claims") {
        c[name] = value.clone();
    }
    tambo_auth_testkit::jws::token(&fixtures().ed, &c)
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}

/// The parameters of a good request for `subject`, with `extra` appended.
fn good<'a>(subject: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
    ];
    pairs.extend_from_slice(extra);
    pairs
}

fn post() -> http::request::Builder {
    Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-api-key", API_KEY)
}

fn form_request(pairs: &[(&str, &str)]) -> Request<Body> {
    let body = form(pairs);
    post().body(Body::from(body)).expect("request")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// Asserts an RFC 6749 §5.2 error with `status` and `error`, and returns the description.
    fn error(&self, status: u16, error: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["error"], error, "body: {}", self.body);
        let description = self.body["error_description"]
            .as_str()
            .expect("error_description")
            .to_owned();
        assert!(
            description
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
            "RFC 6749 §5.2 character set: {description}"
        );
        assert!(self.body.get("access_token").is_none());
        description
    }

    fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        &self.body
    }

    fn access_token(&self) -> String {
        self.ok()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

async fn answer_of(response: http::Response<impl http_body::Body<Data = Bytes>>) -> Answer {
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => panic!("the body could not be read"),
    };
    let headers = parts.headers;
    // Every answer of the token endpoint, errors included (RFC 6749 §5.1, docs/security.md H-15).
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    Answer {
        status: parts.status,
        headers,
        body: serde_json::from_slice(&bytes).expect("a JSON body"),
    }
}

impl Fixture {
    async fn router(&self, request: Request<Body>) -> Answer {
        let response = self
            .exchange
            .router()
            .oneshot(request)
            .await
            .expect("infallible");
        answer_of(response).await
    }

    async fn service(&self, request: Request<Full<Bytes>>) -> Answer {
        let response = self
            .exchange
            .service()
            .oneshot(request)
            .await
            .expect("infallible");
        answer_of(response).await
    }

    async fn form(&self, pairs: &[(&str, &str)]) -> Answer {
        self.router(form_request(pairs)).await
    }
}

fn decode_segment(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).expect("segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("json")
}

// ---------------------------------------------------------------------------------------
// Success

#[tokio::test]
async fn a_good_exchange_issues_a_signed_rfc9068_tambo_token() {
    let fx = fixture();
    let subject = subject();
    let answer = fx.form(&good(&subject, &[])).await;
    let body = answer.ok();
    assert_eq!(body["issued_token_type"], TOKEN_TYPE_ACCESS_TOKEN);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900, "the default ttl");
    assert!(body.get("scope").is_none());
    assert!(body.get("refresh_token").is_none());
    let members: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(members.len(), 4, "{members:?}");

    let token = answer.access_token();
    let header = decode_segment(&token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    let jwks = fx.tokens.jwks();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);

    let claims = decode_segment(&token, 1);
    assert_eq!(claims["iss"], OUR_ISSUER);
    assert_eq!(claims["aud"], "tambo");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], PROJECT);
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 900);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 22));
    assert!(claims.get("scope").is_none());

    let user = fx.tokens.verify(&token).expect("our verifier accepts it");
    assert_eq!(user.sub(), "alice");
    assert_eq!(user.project(), Some(PROJECT));
    assert_eq!(claims["ctx"], user.context_key().as_str());
    assert!(
        user.context_key()
            .as_str()
            .starts_with("oauth:user:idp.example:")
    );
}

#[tokio::test]
async fn the_bare_service_answers_like_the_router() {
    let fx = fixture();
    let subject = subject();
    let body = form(&good(&subject, &[]));
    let request = Request::post("/anywhere")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-api-key", API_KEY)
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let token = fx.service(request).await.access_token();
    assert!(fx.tokens.verify(&token).is_ok());

    let request = Request::get("/anywhere")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let answer = fx.service(request).await;
    answer.error(405, "invalid_request");
    assert_eq!(answer.headers["allow"], "POST");
}

#[tokio::test]
async fn the_lifetime_is_clamped_to_the_subject_tokens_remaining_life() {
    let fx = fixture();
    let short = subject_with("alice", 120);
    let answer = fx.form(&good(&short, &[])).await;
    let expires_in = answer.ok()["expires_in"].as_u64().expect("expires_in");
    assert!(expires_in <= 120, "{expires_in}");
    assert_eq!(expires_in, 120);
    let claims = decode_segment(&answer.access_token(), 1);
    assert_eq!(claims["exp"], NOW + 120);

    // Later on the same subject: what is left, never more.
    fx.clock.advance(Duration::from_secs(100));
    let answer = fx.form(&good(&short, &[])).await;
    assert_eq!(answer.ok()["expires_in"], 20);
}

#[tokio::test]
async fn every_jti_is_unique_over_a_thousand_exchanges() {
    let fx = fixture();
    let subject = subject();
    let body = form(&good(&subject, &[]));
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().expect("value"),
    );
    headers.insert("x-api-key", API_KEY.parse().expect("value"));
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let answer = fx
            .exchange
            .exchange(&headers, body.as_bytes())
            .await
            .expect("exchanged");
        let claims = decode_segment(&answer.access_token, 1);
        let jti = claims["jti"].as_str().expect("jti").to_owned();
        assert!(seen.insert(jti), "a jti repeated");
    }
    assert_eq!(seen.len(), 1000);
}

#[tokio::test]
async fn every_subject_token_type_we_exchange_is_accepted() {
    let fx = fixture();
    let subject = subject();
    for t in [TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT] {
        let pairs = [
            ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
            ("subject_token", subject.as_str()),
            ("subject_token_type", t),
        ];
        fx.form(&pairs).await.ok();
    }
}

#[tokio::test]
async fn tambos_sdk_sends_id_tokens_as_access_tokens_and_they_are_exchanged() {
    let fx = fixture();
    let mut c = claims(IDP, "bob", NOW);
    c["aud"] = json!("client-123");
    c["nonce"] = json!("n-0S6_WzA2Mj");
    c["exp"] = json!(NOW + 3600);
    let id_token = tambo_auth_testkit::jws::token(&fixtures().ed, &c);
    let answer = fx.form(&good(&id_token, &[])).await;
    assert_eq!(decode_segment(&answer.access_token(), 1)["sub"], "bob");
}

#[tokio::test]
async fn requested_token_type_may_be_access_token_or_jwt() {
    let fx = fixture();
    let subject = subject();
    for t in [TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT] {
        let answer = fx
            .form(&good(&subject, &[("requested_token_type", t)]))
            .await;
        assert_eq!(answer.ok()["issued_token_type"], TOKEN_TYPE_ACCESS_TOKEN);
    }
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let fx = fixture();
    let subject = subject();
    fx.form(&good(&subject, &[("foo", "bar"), ("foo", "baz")]))
        .await
        .ok();
}

#[tokio::test]
async fn empty_values_count_as_omitted() {
    let fx = fixture();
    let subject = subject();
    let answer = fx
        .form(&good(
            &subject,
            &[
                ("scope", ""),
                ("audience", ""),
                ("requested_token_type", ""),
            ],
        ))
        .await;
    assert!(answer.ok().get("scope").is_none());
    assert_eq!(decode_segment(&answer.access_token(), 1)["aud"], "tambo");
}

#[tokio::test]
async fn a_json_body_is_accepted() {
    let fx = fixture();
    let body = json!({
        "grant_type": GRANT_TYPE_TOKEN_EXCHANGE,
        "subject_token": subject_holding(json!({"scope": "threads:read"})),
        "subject_token_type": TOKEN_TYPE_ACCESS_TOKEN,
        "audience": [API_AUDIENCE],
        "scope": "threads:read",
    })
    .to_string();
    let request = Request::post("/oauth/token")
        .header("content-type", "application/json; charset=utf-8")
        .header("x-api-key", API_KEY)
        .body(Body::from(body))
        .expect("request");
    let answer = fx.router(request).await;
    assert_eq!(answer.ok()["scope"], "threads:read");
    assert_eq!(
        decode_segment(&answer.access_token(), 1)["aud"],
        API_AUDIENCE
    );
}

#[tokio::test]
async fn a_json_body_with_a_duplicate_member_is_refused() {
    let fx = fixture();
    let subject = subject();
    let body = format!(
        r#"{{"grant_type":"{GRANT_TYPE_TOKEN_EXCHANGE}","subject_token":"{subject}","subject_token":"{subject}","subject_token_type":"{TOKEN_TYPE_ACCESS_TOKEN}"}}"#
    );
    let request = Request::post("/oauth/token")
        .header("content-type", "application/json")
        .header("x-api-key", API_KEY)
        .body(Body::from(body))
        .expect("request");
    fx.router(request).await.error(400, "invalid_request");
}

#[tokio::test]
async fn an_allowed_audience_becomes_the_tokens_aud() {
    let fx = fixture();
    let subject = subject();
    let answer = fx
        .form(&good(&subject, &[("audience", API_AUDIENCE)]))
        .await;
    assert_eq!(
        decode_segment(&answer.access_token(), 1)["aud"],
        API_AUDIENCE
    );
    let answer = fx.form(&good(&subject, &[("audience", "tambo")])).await;
    assert_eq!(decode_segment(&answer.access_token(), 1)["aud"], "tambo");
}

#[tokio::test]
async fn an_allowed_resource_becomes_the_tokens_aud() {
    let fx = fixture();
    let subject = subject();
    let answer = fx
        .form(&good(&subject, &[("resource", API_AUDIENCE)]))
        .await;
    assert_eq!(
        decode_segment(&answer.access_token(), 1)["aud"],
        API_AUDIENCE
    );
}

#[tokio::test]
async fn a_granted_scope_goes_into_the_token_and_the_answer() {
    let fx = fixture();
    let subject = subject_holding(json!({"scope": "openid threads:read threads:write"}));
    let answer = fx
        .form(&good(&subject, &[("scope", "threads:read threads:write")]))
        .await;
    assert_eq!(answer.ok()["scope"], "threads:read threads:write");
    let claims = decode_segment(&answer.access_token(), 1);
    assert_eq!(claims["scope"], "threads:read threads:write");
    let user = fx.tokens.verify(&answer.access_token()).expect("verifies");
    assert!(user.has_scope("threads:write"));
}

#[tokio::test]
async fn a_subject_of_the_development_none_strategy_gets_an_insecure_token() {
    let fx = fixture();
    let mut c = claims(DEV_IDP, "dev-user", NOW);
    c["exp"] = json!(NOW + 3600);
    let unsigned = JwsBuilder::new()
        .header(json!({"alg": "none", "typ": "JWT"}))
        .payload(c)
        .unsigned();
    let answer = fx.form(&good(&unsigned, &[])).await;
    let claims = decode_segment(&answer.access_token(), 1);
    assert_eq!(claims["iss"], format!("{OUR_ISSUER}#insecure-dev"));
    // A production verifier refuses it (docs/security.md D-04).
    assert!(fx.tokens.verify(&answer.access_token()).is_err());
}

// ---------------------------------------------------------------------------------------
// Method, size and content type

#[tokio::test]
async fn every_method_but_post_is_answered_405_with_allow_post() {
    let fx = fixture();
    for method in [
        Method::GET,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/oauth/token?grant_type=x")
            .header("x-api-key", API_KEY)
            .body(Body::empty())
            .expect("request");
        let answer = fx.router(request).await;
        answer.error(405, "invalid_request");
        assert_eq!(answer.headers["allow"], "POST", "{method}");
    }
}

#[tokio::test]
async fn a_body_over_16_kib_is_answered_413() {
    let fx = fixture();
    let filler = "x".repeat(16 * 1024);
    let subject = subject();
    let body = form(&good(&subject, &[("filler", &filler)]));
    // Declared by Content-Length.
    let request = post()
        .header("content-length", body.len())
        .body(Body::from(body.clone()))
        .expect("request");
    fx.router(request).await.error(413, "invalid_request");

    // Streamed without a length: reading stops at the limit.
    let chunks: Vec<Result<Bytes, io::Error>> = body
        .as_bytes()
        .chunks(1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let request = post()
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .expect("request");
    fx.router(request).await.error(413, "invalid_request");
}

#[tokio::test]
async fn a_body_at_the_limit_is_read() {
    let base = fixture();
    let subject = subject();
    let body = form(&good(&subject, &[]));
    let fx = Fixture {
        exchange: base.exchange.clone().max_body(body.len()),
        ..base
    };
    fx.router(form_request(&good(&subject, &[]))).await.ok();
    let longer = good(&subject, &[("x", "1")]);
    fx.router(form_request(&longer))
        .await
        .error(413, "invalid_request");
}

#[tokio::test]
async fn a_body_that_is_neither_form_nor_json_is_refused() {
    let fx = fixture();
    let subject = subject();
    let body = form(&good(&subject, &[]));
    for content_type in [Some("text/plain"), Some("multipart/form-data"), None] {
        let mut builder = Request::post("/oauth/token").header("x-api-key", API_KEY);
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        let request = builder.body(Body::from(body.clone())).expect("request");
        fx.router(request).await.error(400, "invalid_request");
    }
}

// ---------------------------------------------------------------------------------------
// Client authentication

#[tokio::test]
async fn a_missing_api_key_is_answered_401_invalid_client_without_a_challenge() {
    let fx = fixture();
    let subject = subject();
    let body = form(&good(&subject, &[]));
    let request = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let answer = fx.router(request).await;
    answer.error(401, "invalid_client");
    assert!(answer.headers.get("www-authenticate").is_none());
}

#[tokio::test]
async fn an_unknown_api_key_is_answered_401_invalid_client() {
    let fx = fixture();
    let subject = subject();
    let body = form(&good(&subject, &[]));
    let request = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-api-key", OTHER_KEY)
        .body(Body::from(body))
        .expect("request");
    let answer = fx.router(request).await;
    let description = answer.error(401, "invalid_client");
    assert!(!description.contains(OTHER_KEY));
    assert!(answer.headers.get("www-authenticate").is_none());
}

#[tokio::test]
async fn the_client_is_authenticated_before_the_subject_token_is_looked_at() {
    let fx = fixture();
    // An expired subject with no key: the client's failure is the answer.
    let expired = subject_with("alice", 0);
    let body = form(&good(&expired, &[]));
    let request = Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    fx.router(request).await.error(401, "invalid_client");
}

#[tokio::test]
async fn a_project_found_by_the_digest_of_its_key_exchanges() {
    use sha2::Digest as _;
    let clock = ManualClock::at_unix(NOW);
    let registry = ProviderRegistry::builder()
        .provider(OidcProvider::new("idp", verifier(&clock)))
        .build()
        .expect("registry");
    let digest: String = sha2::Sha256::digest(API_KEY.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let projects = StaticProjects::new([(
        format!("sha256:{digest}"),
        Arc::new(Project::new("p_hashed", registry)),
    )])
    .expect("projects");
    let tokens = TamboTokens::builder(OUR_ISSUER)
        .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("key"))
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("tokens");
    let fx = Fixture {
        exchange: TokenExchange::new(tokens.clone(), Arc::new(projects)),
        tokens,
        clock,
    };
    let subject = subject();
    let answer = fx.form(&good(&subject, &[])).await;
    assert_eq!(
        decode_segment(&answer.access_token(), 1)["client_id"],
        "p_hashed"
    );
}

// ---------------------------------------------------------------------------------------
// Parameters

#[tokio::test]
async fn a_missing_grant_type_is_invalid_request() {
    let fx = fixture();
    let subject = subject();
    let pairs = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
    ];
    fx.form(&pairs).await.error(400, "invalid_request");
}

#[tokio::test]
async fn another_grant_type_is_unsupported_grant_type() {
    let fx = fixture();
    let subject = subject();
    for grant in [
        "password",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        let pairs = [
            ("grant_type", grant),
            ("subject_token", subject.as_str()),
            ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ];
        fx.form(&pairs).await.error(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn a_missing_or_empty_subject_token_is_invalid_request() {
    let fx = fixture();
    for pairs in [
        vec![
            ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
            ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ],
        vec![
            ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
            ("subject_token", ""),
            ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ],
    ] {
        fx.form(&pairs).await.error(400, "invalid_request");
    }
}

#[tokio::test]
async fn a_subject_token_over_8_kib_is_refused_before_decoding() {
    let fx = fixture();
    // Not even base64url: only the size can refuse it, and it does.
    let huge = format!("eyJ{}", "*".repeat(8 * 1024));
    let answer = fx.form(&good(&huge, &[])).await;
    let description = answer.error(400, "invalid_request");
    assert_eq!(description, "the token is too large");
}

#[tokio::test]
async fn the_subject_token_type_is_required_and_must_be_one_we_exchange() {
    let fx = fixture();
    let subject = subject();
    let missing = [
        ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
        ("subject_token", subject.as_str()),
    ];
    fx.form(&missing).await.error(400, "invalid_request");
    for t in [
        "urn:ietf:params:oauth:token-type:saml2",
        "urn:ietf:params:oauth:token-type:refresh_token",
        "access_token",
    ] {
        let pairs = [
            ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
            ("subject_token", subject.as_str()),
            ("subject_token_type", t),
        ];
        let answer = fx.form(&pairs).await;
        assert_ne!(answer.body["error"], "unsupported_token_type");
        answer.error(400, "invalid_request");
    }
}

#[tokio::test]
async fn an_actor_token_without_its_type_or_a_type_without_a_token_is_invalid_request() {
    let fx = fixture();
    let subject = subject();
    let actor = subject_with("service", 3600);
    fx.form(&good(&subject, &[("actor_token", &actor)]))
        .await
        .error(400, "invalid_request");
    fx.form(&good(&subject, &[("actor_token_type", TOKEN_TYPE_JWT)]))
        .await
        .error(400, "invalid_request");
}

#[tokio::test]
async fn delegation_with_an_actor_token_is_not_supported() {
    let fx = fixture();
    let subject = subject();
    let actor = subject_with("service", 3600);
    let answer = fx
        .form(&good(
            &subject,
            &[
                ("actor_token", &actor),
                ("actor_token_type", TOKEN_TYPE_JWT),
            ],
        ))
        .await;
    let description = answer.error(400, "invalid_request");
    assert_eq!(description, "delegation (actor tokens) is not supported");
}

#[tokio::test]
async fn an_unsupported_requested_token_type_is_invalid_request() {
    let fx = fixture();
    let subject = subject();
    for t in [
        "urn:ietf:params:oauth:token-type:refresh_token",
        TOKEN_TYPE_ID_TOKEN,
    ] {
        fx.form(&good(&subject, &[("requested_token_type", t)]))
            .await
            .error(400, "invalid_request");
    }
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request() {
    let fx = fixture();
    let subject = subject();
    let subject2 = subject_with("mallory", 3600);
    for extra in [
        ("subject_token", subject2.as_str()),
        ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
        ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ("scope", "threads:read"),
    ] {
        let mut pairs = good(&subject, &[extra]);
        if extra.0 == "scope" {
            pairs.push(extra);
        }
        fx.form(&pairs).await.error(400, "invalid_request");
    }
}

#[tokio::test]
async fn an_audience_not_allowed_for_the_project_is_invalid_target() {
    let fx = fixture();
    let subject = subject();
    for extra in [
        vec![("audience", "https://other.example")],
        vec![("resource", "https://other.example")],
        // Two targets, each allowed alone.
        vec![("audience", API_AUDIENCE), ("audience", "tambo")],
        vec![("audience", "tambo"), ("resource", API_AUDIENCE)],
        // A resource with a fragment, or not absolute (RFC 8707 §2).
        vec![("resource", "https://api.example#x")],
        vec![("resource", "api.example")],
    ] {
        fx.form(&good(&subject, &extra))
            .await
            .error(400, "invalid_target");
    }
}

#[tokio::test]
async fn a_scope_beyond_the_projects_policy_is_invalid_scope() {
    let fx = fixture();
    let subject = subject_holding(json!({"scope": "admin threads:read"}));
    for scope in ["admin", "admin root", "threads:read \"x\""] {
        let answer = fx.form(&good(&subject, &[("scope", scope)])).await;
        answer.error(400, "invalid_scope");
    }
}

/// Granted = requested ∩ the project's grantable scopes ∩ what the user holds: the API key
/// is public, so asking is not enough (docs/security.md H-08).
#[tokio::test]
async fn granted_scopes_are_those_the_project_grants_and_the_user_holds() {
    let fx = fixture();
    let both = "threads:read threads:write";
    for (held, requested, granted) in [
        (json!({"scope": both}), both, both),
        (
            json!({"permissions": ["threads:read"]}),
            both,
            "threads:read",
        ),
        (json!({"scp": ["threads:write"]}), both, "threads:write"),
        (json!({"scp": "threads:read"}), both, "threads:read"),
        // What the project does not grant is dropped even when held.
        (
            json!({"scope": "admin threads:read"}),
            "admin threads:read",
            "threads:read",
        ),
    ] {
        let answer = fx
            .form(&good(
                &subject_holding(held.clone()),
                &[("scope", requested)],
            ))
            .await;
        // The answer names the scope whenever one is granted, as RFC 8693 §2.2.1 requires
        // when it differs from the request.
        assert_eq!(answer.ok()["scope"], granted, "{held}");
        let token = answer.access_token();
        assert_eq!(decode_segment(&token, 1)["scope"], granted, "{held}");
    }
    // Holding none of the requested scopes, or nothing at all.
    for held in [
        json!({"scope": "openid profile"}),
        json!({"permissions": []}),
        json!({"scope": 42}),
        json!({}),
    ] {
        let answer = fx
            .form(&good(&subject_holding(held.clone()), &[("scope", both)]))
            .await;
        answer.error(400, "invalid_scope");
        assert_eq!(
            answer.body["error_description"],
            "the user holds none of the requested scopes at the identity provider",
            "{held}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The subject token

#[tokio::test]
async fn every_refused_subject_token_is_invalid_request_never_invalid_grant() {
    let fx = fixture();
    let ed = &fixtures().ed;
    let mut expired = claims(IDP, "alice", NOW - 3600);
    expired["exp"] = json!(NOW - 600);
    let foreign = claims("https://evil.example", "alice", NOW);
    let forged = JwsBuilder::new()
        .header(json!({"alg": "EdDSA", "kid": ed.kid(), "typ": "JWT"}))
        .payload(claims(IDP, "alice", NOW))
        .sign(&fixtures().rsa2, "RS256");
    let wrong_key = JwsBuilder::new()
        .header(json!({"alg": "EdDSA", "kid": ed.kid(), "typ": "JWT"}))
        .payload(claims(IDP, "alice", NOW))
        .with_signature(&[0u8; 64]);
    let alg_none = JwsBuilder::new()
        .header(json!({"alg": "none"}))
        .payload(claims(IDP, "alice", NOW))
        .unsigned();
    let mut no_sub = claims(IDP, "alice", NOW);
    no_sub.as_object_mut().expect("object").remove("sub");
    let cases = [
        tambo_auth_testkit::jws::token(ed, &expired),
        tambo_auth_testkit::jws::token(ed, &foreign),
        tambo_auth_testkit::jws::token(ed, &no_sub),
        forged,
        wrong_key,
        alg_none,
        tambo_auth_testkit::jws::jwe_like(&json!({"alg": "dir", "enc": "A256GCM"})),
        "ya29.a0AfH6SMBopaque".to_owned(),
        "not a token".to_owned(),
    ];
    for token in &cases {
        let answer = fx.form(&good(token, &[])).await;
        let description = answer.error(400, "invalid_request");
        assert!(!description.contains(token.as_str()));
    }
}

#[tokio::test]
async fn a_tambo_token_cannot_be_exchanged_again() {
    let fx = fixture();
    let claims = json!({"iss": IDP, "sub": "alice", "exp": NOW + 3600});
    let user = TamboUser::from_claims("idp", IDP, tambo_auth::jwt::Claims::from_value(claims))
        .expect("user");
    let ours = fx
        .tokens
        .issue(IssueRequest::new(&user, PROJECT))
        .expect("issued")
        .access_token;
    let answer = fx.form(&good(&ours, &[])).await;
    let description = answer.error(400, "invalid_request");
    assert!(description.contains("Tambo token"), "{description}");

    // Our issuer with another typ is refused too: who signed decides, not the header.
    let mut c = tambo_auth_testkit::claims::claims(OUR_ISSUER, "alice", NOW);
    c["exp"] = json!(NOW + 600);
    let lookalike = tambo_auth_testkit::jws::token(&fixtures().ed, &c);
    let description = fx
        .form(&good(&lookalike, &[]))
        .await
        .error(400, "invalid_request");
    assert!(description.contains("Tambo token"), "{description}");
}

/// Issue 13, routing by who signed: RFC 9068 (§2.1) gives every JWT access token
/// `typ: at+jwt`, so an identity provider's access token with that header is exchanged, and
/// so is a token of a provider whose issuer starts with ours.
#[tokio::test]
async fn provider_access_tokens_typed_at_jwt_are_exchanged() {
    let under_ours = format!("{OUR_ISSUER}/idp");
    let fx = fixture_with(|clock| {
        let static_key = |issuer: &str, key: &tambo_auth_testkit::TestKey| {
            Verifier::builder(issuer)
                .public_key_pem(key.public_pem())
                .clock(Arc::new(clock.clone()))
                .allow_any_audience()
                .build()
                .expect("verifier")
        };
        ProviderRegistry::builder()
            .provider(OidcProvider::new("idp", static_key(IDP, &fixtures().ed)))
            .provider(OidcProvider::new(
                "rsa",
                static_key("https://rsa.example", &fixtures().rsa),
            ))
            .provider(OidcProvider::new(
                "under-ours",
                static_key(&under_ours, &fixtures().ec),
            ))
            .build()
            .expect("registry")
    });
    for (key, alg, iss) in [
        (&fixtures().ed, "EdDSA", IDP),
        (&fixtures().rsa, "RS256", "https://rsa.example"),
        (&fixtures().ec, "ES256", under_ours.as_str()),
    ] {
        // A user's access token and a client-credentials one, as an RFC 9068 issuer mints them.
        for sub in ["alice", "client-7@clients"] {
            let access_token = JwsBuilder::new()
                .header(json!({"alg": alg, "typ": "at+jwt", "kid": key.kid()}))
                .payload(json!({
                    "iss": iss, "sub": sub, "client_id": "spa", "iat": NOW, "exp": NOW + 600,
                    "jti": "at-1", "scope": "openid",
                }))
                .sign(key, alg);
            let answer = fx.form(&good(&access_token, &[])).await;
            let issued = decode_segment(&answer.access_token(), 1);
            assert_eq!(issued["sub"], sub, "{iss}");
            assert_eq!(issued["original_iss"], iss);
        }
    }
}

#[tokio::test]
async fn an_unreachable_identity_provider_is_answered_503_with_retry_after() {
    let mut idp = TestIdp::start().await;
    let token = idp.token(&idp.claims("alice", NOW));
    idp.stop();
    let jwks_url = idp.jwks_url();
    let issuer = idp.issuer();
    let fx = fixture_with(|clock| {
        let verifier = Verifier::builder(issuer.clone())
            .jwks_url(jwks_url.clone())
            .allow_loopback_http(true)
            .clock(Arc::new(clock.clone()))
            .allow_any_audience()
            .build()
            .expect("verifier");
        ProviderRegistry::builder()
            .provider(OidcProvider::new("test-idp", verifier))
            .build()
            .expect("registry")
    });
    let answer = fx.form(&good(&token, &[])).await;
    answer.error(503, "temporarily_unavailable");
    let retry_after: u64 = answer.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!(retry_after >= 1);

    // Once the IdP is back (and the retry time has passed), the same token is exchanged.
    idp.restart().await;
    fx.clock.advance(Duration::from_secs(retry_after));
    let answer = fx.form(&good(&token, &[])).await;
    assert_eq!(decode_segment(&answer.access_token(), 1)["sub"], "alice");
}

// ---------------------------------------------------------------------------------------
// Published documents

async fn document(fx: &Fixture, path: &str) -> (http::response::Parts, Value) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = fx
        .exchange
        .router()
        .oneshot(request)
        .await
        .expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (parts, serde_json::from_slice(&bytes).expect("json"))
}

#[tokio::test]
async fn the_jwks_route_serves_public_members_only() {
    let fx = fixture();
    let (parts, jwks) = document(&fx, "/.well-known/jwks.json").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers["content-type"], "application/json");
    assert_eq!(parts.headers["cache-control"], "public, max-age=300");
    let keys = jwks["keys"].as_array().expect("keys");
    assert!(!keys.is_empty());
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{private} published");
        }
        assert!(key.get("kid").is_some());
    }
    // The published key is the one issued tokens name.
    let subject = subject();
    let token = fx.form(&good(&subject, &[])).await.access_token();
    assert_eq!(decode_segment(&token, 0)["kid"], keys[0]["kid"]);
}

#[tokio::test]
async fn the_metadata_route_describes_the_exchange() {
    let fx = fixture();
    let (parts, doc) = document(&fx, "/.well-known/oauth-authorization-server").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers["content-type"], "application/json");
    assert_eq!(doc["issuer"], OUR_ISSUER);
    assert_eq!(doc["token_endpoint"], format!("{OUR_ISSUER}/oauth/token"));
    assert_eq!(
        doc["jwks_uri"],
        format!("{OUR_ISSUER}/.well-known/jwks.json")
    );
    assert_eq!(
        doc["grant_types_supported"],
        json!([GRANT_TYPE_TOKEN_EXCHANGE])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["none"])
    );
    assert_eq!(doc["response_types_supported"], json!([]));
}

// ---------------------------------------------------------------------------------------
// Logs (docs/security.md H-14)

#[tokio::test]
async fn neither_logs_nor_error_descriptions_hold_a_token_or_an_api_key() {
    let logs = tambo_auth_testkit::logs::capture();
    let fx = fixture();
    let ed = &fixtures().ed;
    let good_subject = subject();
    let mut expired = claims(IDP, "alice", NOW - 3600);
    expired["exp"] = json!(NOW - 600);
    let expired = tambo_auth_testkit::jws::token(ed, &expired);
    let forged = JwsBuilder::new()
        .header(json!({"alg": "EdDSA", "kid": ed.kid(), "typ": "JWT"}))
        .payload(claims(IDP, "alice", NOW))
        .with_signature(&[7u8; 64]);
    let foreign = tambo_auth_testkit::jws::token(ed, &claims("https://evil.example", "a", NOW));
    let subjects = [good_subject.clone(), expired, forged, foreign];

    let mut issued = Vec::new();
    let mut descriptions = Vec::new();
    for subject in &subjects {
        for key in [API_KEY, OTHER_KEY] {
            for extra in [
                vec![],
                vec![("scope", "admin")],
                vec![("audience", "https://other.example")],
                vec![
                    ("actor_token", subject.as_str()),
                    ("actor_token_type", TOKEN_TYPE_JWT),
                ],
            ] {
                let body = form(&good(subject, &extra));
                let request = Request::post("/oauth/token")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-api-key", key)
                    .body(Body::from(body))
                    .expect("request");
                let answer = fx.router(request).await;
                if answer.status == StatusCode::OK {
                    issued.push(answer.access_token());
                } else {
                    descriptions.push(answer.body.to_string());
                }
            }
        }
    }
    // A 405 and a 413 too.
    let request = Request::get(format!("/oauth/token?subject_token={good_subject}"))
        .header("x-api-key", API_KEY)
        .body(Body::empty())
        .expect("request");
    descriptions.push(fx.router(request).await.body.to_string());
    let big = form(&good(&good_subject, &[("pad", &"p".repeat(17 * 1024))]));
    descriptions.push(
        fx.router(post().body(Body::from(big)).expect("request"))
            .await
            .body
            .to_string(),
    );

    assert!(!issued.is_empty() && !descriptions.is_empty());
    let text = logs.text();
    assert!(text.contains("token exchange"), "no event captured: {text}");
    assert!(text.contains(PROJECT));
    assert!(text.contains("invalid_scope"));

    let mut secrets: Vec<String> = vec![API_KEY.to_owned(), OTHER_KEY.to_owned()];
    for token in subjects.iter().chain(&issued) {
        secrets.push(token.clone());
        // The payload and the signature segments are unique to the token.
        secrets.extend(
            token
                .split('.')
                .skip(1)
                .filter(|s| s.len() > 8)
                .map(str::to_owned),
        );
    }
    logs.assert_free_of(&secrets);
    for secret in &secrets {
        for description in &descriptions {
            assert!(
                !description.contains(secret.as_str()),
                "a secret reached an error body"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rate limits (docs/security.md H-02)

mod rate_limits {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use tambo_auth::exchange::{Rate, RateLimits};

    use super::*;

    fn limited(limits: RateLimits) -> Fixture {
        let mut f = fixture();
        let clock = Arc::new(f.clock.clone());
        f.exchange = f.exchange.clone().rate_limits(limits.clock(clock));
        f
    }

    /// An exchange of `subject` from the connection `peer`, with `forwarded` as its
    /// `X-Forwarded-For`.
    async fn from(f: &Fixture, peer: &str, forwarded: Option<&str>, subject: &str) -> Answer {
        let mut request = post();
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let mut request = request
            .body(Body::from(form(&good(subject, &[]))))
            .expect("request");
        let peer: SocketAddr = peer.parse().expect("socket address");
        request.extensions_mut().insert(ConnectInfo(peer));
        f.router(request).await
    }

    fn assert_limited(answer: &Answer, wait: u64) {
        assert_eq!(answer.status, 429, "{}", answer.body);
        assert_eq!(answer.body["error"], "slow_down");
        assert_eq!(answer.headers["retry-after"], wait.to_string().as_str());
    }

    #[tokio::test]
    async fn each_client_address_has_its_budget_and_gets_it_back_with_time() {
        let f = limited(RateLimits::new().per_client(Rate::per_minute(2)));
        let alice = subject();
        for _ in 0..2 {
            from(&f, "203.0.113.7:4000", None, &alice).await.ok();
        }
        // Another port of the same address is the same client.
        assert_limited(&from(&f, "203.0.113.7:4001", None, &alice).await, 30);
        from(&f, "203.0.113.8:4000", None, &alice).await.ok();
        // One request comes back every 30 s.
        f.clock.advance(Duration::from_secs(30));
        from(&f, "203.0.113.7:4000", None, &alice).await.ok();
        assert_limited(&from(&f, "203.0.113.7:4000", None, &alice).await, 30);
        // An IPv6 client counts per /64; an IPv4-mapped address is the IPv4 address.
        let f = limited(RateLimits::new().per_client(Rate::per_minute(1)));
        from(&f, "[2001:db8:1:2::1]:1", None, &alice).await.ok();
        assert_limited(
            &from(&f, "[2001:db8:1:2:ffff::9]:1", None, &alice).await,
            60,
        );
        from(&f, "[2001:db8:1:3::1]:1", None, &alice).await.ok();
        from(&f, "198.51.100.1:1", None, &alice).await.ok();
        assert_limited(&from(&f, "[::ffff:198.51.100.1]:1", None, &alice).await, 60);
    }

    #[tokio::test]
    async fn failed_verifications_spend_a_tighter_budget() {
        let f = limited(
            RateLimits::new()
                .per_client(Rate::per_minute(10))
                .failure_cost(5),
        );
        let mut forged = claims(IDP, "alice", NOW);
        forged["exp"] = json!(NOW - 1000);
        let expired = tambo_auth_testkit::jws::token(&fixtures().ed, &forged);
        for _ in 0..2 {
            let answer = from(&f, "203.0.113.7:1", None, &expired).await;
            answer.error(400, "invalid_request");
        }
        // Two failures spent the ten requests: even a good token waits.
        assert_limited(&from(&f, "203.0.113.7:1", None, &subject()).await, 6);
        // Ten good exchanges fit the same budget elsewhere.
        for _ in 0..10 {
            from(&f, "203.0.113.8:1", None, &subject()).await.ok();
        }
    }

    #[tokio::test]
    async fn each_user_and_each_project_has_its_budget() {
        let f = limited(RateLimits::new().per_subject(Rate::per_minute(2)));
        let (alice, bob) = (subject(), subject_with("bob", 3600));
        for _ in 0..2 {
            from(&f, "203.0.113.7:1", None, &alice).await.ok();
        }
        let answer = from(&f, "203.0.113.9:1", None, &alice).await;
        assert_limited(&answer, 30);
        from(&f, "203.0.113.7:1", None, &bob).await.ok();

        let f = limited(RateLimits::new().per_project(Rate::per_minute(60).map(|r| r.burst(3))));
        for user in ["a", "b", "c"] {
            from(&f, "203.0.113.7:1", None, &subject_with(user, 3600))
                .await
                .ok();
        }
        assert_limited(
            &from(&f, "203.0.113.7:1", None, &subject_with("d", 3600)).await,
            1,
        );
        // A request without the project's key is refused before spending its budget.
        let request = Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form(&good(&alice, &[]))))
            .expect("request");
        f.router(request).await.error(401, "invalid_client");
    }

    #[tokio::test]
    async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
        let limits = RateLimits::new()
            .per_client(Rate::per_minute(1))
            .trusted_proxies(["10.0.0.0/8", "192.0.2.1"])
            .expect("proxies");
        let f = limited(limits);
        let alice = subject();
        // Behind the proxy: the address it saw, skipping trusted hops from the right.
        from(&f, "10.0.0.5:1", Some("198.51.100.1, 192.0.2.1"), &alice)
            .await
            .ok();
        from(&f, "10.0.0.5:1", Some("198.51.100.2"), &alice)
            .await
            .ok();
        let again = from(&f, "10.0.0.6:1", Some("spoofed, 198.51.100.1"), &alice).await;
        assert_limited(&again, 60);
        // From anyone else, the header is ignored: the peer is the client.
        from(&f, "203.0.113.7:1", Some("198.51.100.3"), &alice)
            .await
            .ok();
        let spoofed = from(&f, "203.0.113.7:1", Some("198.51.100.4"), &alice).await;
        assert_limited(&spoofed, 60);

        assert!(RateLimits::new().trusted_proxies(["10.0.0.0/33"]).is_err());
        assert!(
            RateLimits::new()
                .trusted_proxies(["proxy.internal"])
                .is_err()
        );
    }
}

mod cors {
    use super::*;

    async fn preflight(router: &axum::Router, origin: &str) -> http::Response<axum::body::Body> {
        let request = http::Request::builder()
            .method(http::Method::OPTIONS)
            .uri("/oauth/token")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-api-key")
            .body(axum::body::Body::empty())
            .expect("request");
        router.clone().oneshot(request).await.expect("infallible")
    }

    #[tokio::test]
    async fn configured_origins_get_cors_headers_and_others_do_not() {
        let setup = fixture();
        let router = setup
            .exchange
            .clone()
            .cors(["https://app.example.com"])
            .expect("valid origins")
            .router();
        let allowed = preflight(&router, "https://app.example.com").await;
        assert_eq!(allowed.status(), http::StatusCode::OK);
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://app.example.com"
        );
        let methods = allowed.headers()["access-control-allow-methods"]
            .to_str()
            .expect("ascii");
        assert!(methods.contains("POST"), "{methods}");
        let refused = preflight(&router, "https://evil.example").await;
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }

    #[tokio::test]
    async fn without_cors_a_preflight_is_method_not_allowed() {
        let setup = fixture();
        let response = preflight(&setup.exchange.router(), "https://app.example.com").await;
        assert_eq!(response.status(), http::StatusCode::METHOD_NOT_ALLOWED);
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }

    #[test]
    fn wildcards_and_paths_are_not_origins() {
        let setup = fixture();
        for bad in [
            "*",
            "https://app.example.com/",
            "https://app.example.com/path",
            "app.example.com",
        ] {
            let err = setup.exchange.clone().cors([bad]).expect_err(bad);
            assert_eq!(err.kind(), tambo_auth::ErrorKind::Configuration);
        }
    }
}
