//! Unit tests of the exchange's small rules; the endpoint's behaviour is tested end to end in
//! `tests/exchange.rs`.

use std::sync::Arc;

use http::HeaderValue;

use super::*;
use crate::ErrorKind;
use crate::token::SigningKey;

fn exchange() -> TokenExchange {
    let tokens = TamboTokens::builder("https://auth.example.com/")
        .signing_key(SigningKey::generate(crate::Algorithm::EdDSA).expect("key"))
        .build()
        .expect("tokens");
    let projects = StaticProjects::new([("k", project())]).expect("projects");
    TokenExchange::new(tokens, Arc::new(projects))
}

fn project() -> Arc<Project> {
    let registry = ProviderRegistry::builder().build().expect("registry");
    Arc::new(
        Project::new("p", registry)
            .audiences(["https://api.example"])
            .scopes(["a", "b"]),
    )
}

fn params(body: &str) -> Params<'_> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    Params::parse(&headers, body.as_bytes()).expect("parses")
}

#[test]
fn the_api_key_header_must_be_sent_once() {
    let mut headers = HeaderMap::new();
    assert_eq!(
        api_key(&headers).map_err(|e| e.kind()),
        Err(ErrorKind::InvalidClient)
    );
    headers.insert(API_KEY_HEADER, HeaderValue::from_static(""));
    assert_eq!(
        api_key(&headers).map_err(|e| e.kind()),
        Err(ErrorKind::InvalidClient)
    );
    headers.insert(API_KEY_HEADER, HeaderValue::from_static("k"));
    assert_eq!(api_key(&headers).ok(), Some("k"));
    headers.append(API_KEY_HEADER, HeaderValue::from_static("k2"));
    assert_eq!(
        api_key(&headers).map_err(|e| e.kind()),
        Err(ErrorKind::InvalidRequest)
    );
}

#[test]
fn one_target_at_most_and_it_must_be_allowed() {
    let ex = exchange();
    let p = project();
    let target = |body: &str| ex.target(&params(body), &p).map_err(|e| e.kind());
    assert_eq!(target(""), Ok(None));
    assert_eq!(target("audience=tambo"), Ok(None));
    assert_eq!(
        target("resource=https%3A%2F%2Fapi.example"),
        Ok(Some("https://api.example".into()))
    );
    // The same target named twice is still one target.
    assert_eq!(
        target("audience=https%3A%2F%2Fapi.example&resource=https%3A%2F%2Fapi.example"),
        Ok(Some("https://api.example".into()))
    );
    assert_eq!(
        target("audience=tambo&audience=https%3A%2F%2Fapi.example"),
        Err(ErrorKind::InvalidTarget)
    );
    assert_eq!(target("audience=other"), Err(ErrorKind::InvalidTarget));
    assert_eq!(
        target("resource=https%3A%2F%2Fapi.example%23x"),
        Err(ErrorKind::InvalidTarget)
    );
}

#[test]
fn requested_scopes_are_narrowed_to_what_the_project_grants() {
    let p = project();
    let check = |body: &str, want: Result<Option<Vec<&str>>, ErrorKind>| {
        let params = params(body);
        assert_eq!(
            grantable_scopes(&params, &p).map_err(|e| e.kind()),
            want,
            "{body}"
        );
    };
    check("", Ok(None));
    check("scope=", Ok(None));
    check("scope=b+a+b", Ok(Some(vec!["b", "a"])));
    check("scope=a+c", Ok(Some(vec!["a"])));
    check("scope=c", Err(ErrorKind::InvalidScope));
    check("scope=%22a%22", Err(ErrorKind::InvalidScope));
}

#[test]
fn metadata_names_our_endpoints_without_a_double_slash() {
    let response = exchange().metadata_response();
    let body = http_body_util::BodyExt::collect(response.into_body());
    let bytes = futures_util::FutureExt::now_or_never(body)
        .expect("a full body is ready")
        .expect("infallible")
        .to_bytes();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(doc["issuer"], "https://auth.example.com/");
    assert_eq!(
        doc["token_endpoint"],
        "https://auth.example.com/oauth/token"
    );
    assert_eq!(
        doc["jwks_uri"],
        "https://auth.example.com/.well-known/jwks.json"
    );
}
