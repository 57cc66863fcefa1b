//! The GitHub adapter against a wiremock GitHub API on 127.0.0.1: the user of a token, the
//! token forms refused without asking GitHub, GitHub's refusals and outages, and GitHub
//! Enterprise Server's API root.

use serde_json::json;
use tambo_auth::Provider as _;
use tambo_auth::{Error, ErrorKind, Profile, ProviderExt as _, ProviderOptions, StrategyKind};
use tambo_auth_github::{GITHUB_API, GithubProvider, GithubUser};
use tambo_auth_testkit::claims::github_user;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OAUTH_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";

fn loopback() -> ProviderOptions {
    ProviderOptions::default().allow_loopback_http(true)
}

async fn github_api(route: &str, token: &str, status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(status).set_body_json(github_user(583231, "octocat")))
        .mount(&server)
        .await;
    server
}

fn provider(server: &MockServer) -> GithubProvider {
    GithubProvider::builder()
        .api_url(server.uri())
        .options(loopback())
        .build()
        .expect("provider")
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn an_oauth_token_is_the_user_of_its_numeric_id() {
    let server = github_api("/user", OAUTH_TOKEN, 200).await;
    let github = provider(&server);
    assert_eq!(github.verifier().strategy(), StrategyKind::Userinfo);
    let user = github.authenticate(OAUTH_TOKEN).await.expect("user");
    assert_eq!((user.provider(), user.sub()), ("github", "583231"));
    let port = server.address().port();
    assert_eq!(
        user.context_key().as_str(),
        format!("oauth:user:127.0.0.1%3A{port}:583231")
    );
    let profile = GithubUser::from_user(&user);
    assert_eq!(profile.id, Some(583231));
    assert_eq!(profile.login.as_deref(), Some("octocat"));
    assert_eq!(profile.email, None);
    assert_eq!(profile.kind.as_deref(), Some("User"));
}

#[test]
fn github_com_users_are_in_tambos_api_github_com_namespace() {
    let github = GithubProvider::builder().build().expect("provider");
    assert_eq!(github.verifier().issuer(), GITHUB_API);
    assert_eq!(github.namespace().as_str(), "api.github.com");
}

#[tokio::test]
async fn installation_refresh_and_personal_tokens_are_refused_without_asking_github() {
    let server = github_api("/user", OAUTH_TOKEN, 200).await;
    let github = provider(&server);
    for (token, names) in [
        (
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "installation token",
        ),
        (
            "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
            "refresh token",
        ),
        (
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "personal access token",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV",
            "personal access token",
        ),
    ] {
        let error = github.authenticate(token).await.expect_err(token);
        assert_eq!(error.kind(), ErrorKind::ClaimRejected, "{token}");
        assert_eq!(
            (error.kind().exchange_status(), error.kind().bearer_status()),
            (400, 401)
        );
        assert!(error.to_string().contains(names), "{error}");
        assert!(
            !error.to_string().contains(token),
            "the error quotes the token"
        );
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn personal_access_tokens_are_their_owner_when_allowed() {
    let pat = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    let server = github_api("/user", pat, 200).await;
    let github = GithubProvider::builder()
        .api_url(server.uri())
        .allow_personal_access_tokens(true)
        .options(loopback())
        .build()
        .expect("provider");
    assert_eq!(
        github.authenticate(pat).await.expect("user").sub(),
        "583231"
    );
}

#[tokio::test]
async fn a_token_github_refuses_is_inactive_and_an_outage_is_503() {
    let revoked = github_api("/user", OAUTH_TOKEN, 401).await;
    let error = provider(&revoked)
        .authenticate(OAUTH_TOKEN)
        .await
        .expect_err("revoked");
    assert_eq!(refusal(&error), (ErrorKind::Inactive, 400, 401));
    assert_eq!(error.kind().code(), "inactive_token");

    let down = github_api("/user", OAUTH_TOKEN, 502).await;
    let error = provider(&down)
        .authenticate(OAUTH_TOKEN)
        .await
        .expect_err("down");
    assert_eq!(refusal(&error), (ErrorKind::EndpointUnavailable, 503, 503));
    assert!(error.retry_after().is_some());
}

#[tokio::test]
async fn enterprise_server_is_asked_under_its_api_root() {
    let server = github_api("/api/v3/user", OAUTH_TOKEN, 200).await;
    let github = GithubProvider::builder()
        .api_url(format!("{}/api/v3/", server.uri()))
        .options(loopback())
        .build()
        .expect("provider");
    assert_eq!(github.verifier().issuer(), server.uri());
    assert_eq!(
        github.authenticate(OAUTH_TOKEN).await.expect("user").sub(),
        "583231"
    );
}

#[test]
fn a_bad_api_root_is_refused_naming_api_url() {
    for (url, options) in [
        ("http://github.acme.com/api/v3", loopback()),
        ("http://127.0.0.1:8080", ProviderOptions::default()),
        (
            "https://github.acme.com/api/v3?x=1",
            ProviderOptions::default(),
        ),
        ("https://10.1.2.3/api/v3", ProviderOptions::default()),
        ("", ProviderOptions::default().profile(Profile::Development)),
    ] {
        let error = GithubProvider::builder()
            .api_url(url)
            .options(options)
            .build()
            .expect_err(url);
        assert!(
            matches!(&error, Error::Configuration { field, .. } if field == "api_url"),
            "{url}: {error}"
        );
    }
}

#[test]
fn the_preset_table_reads_every_setting_and_refuses_unknown_ones() {
    let builder: tambo_auth_github::GithubProviderBuilder = serde_json::from_value(json!({
        "api_url": "https://github.acme.com/api/v3",
        "allow_personal_access_tokens": true,
    }))
    .expect("settings");
    let github = builder.build().expect("provider");
    assert_eq!(github.verifier().issuer(), "https://github.acme.com");
    let unknown = serde_json::from_value::<tambo_auth_github::GithubProviderBuilder>(json!({
        "client_id": "Iv1.8a61f9b3a7aba766",
    }));
    assert!(unknown.is_err());
}

/// What every surface answers for `error`: its kind, the exchange's status, an API's status.
fn refusal(error: &tambo_auth::Error) -> (ErrorKind, u16, u16) {
    let kind = error.kind();
    (kind, kind.exchange_status(), kind.bearer_status())
}
