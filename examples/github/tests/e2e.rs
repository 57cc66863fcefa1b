//! The GitHub example end to end: the same provider setup as `main.rs`, pointed at a wiremock
//! GitHub API that knows two users' tokens.

use example_support::testing::{TestApp, loopback_options};
use tambo_auth::ErrorKind;
use tambo_auth_github::GithubProvider;
use tambo_auth_testkit::claims::github_user;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ADA: &str = "gho_AdaLovelace0000000000000000000000000a";
const GRACE: &str = "ghu_GraceHopper000000000000000000000000g";

async fn knows(server: &MockServer, token: &str, id: u64, login: &str) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(github_user(id, login)))
        .mount(server)
        .await;
}

#[tokio::test]
async fn github_tokens_exchange_and_scope_notes_per_user() {
    let github = MockServer::start().await;
    knows(&github, ADA, 1_842_001, "ada").await;
    knows(&github, GRACE, 1_842_002, "grace").await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&github)
        .await;
    let provider = GithubProvider::builder()
        .api_url(github.uri())
        .options(loopback_options());
    let app = TestApp::built(provider.build());

    let user = app.two_users_see_only_their_own_notes(ADA, GRACE).await;
    let key = format!("oauth:user:127.0.0.1%3A{}:1842001", github.address().port());
    user.assert_user("1842001", None, &key);

    // A token GitHub does not know, and a personal access token (never sent to GitHub).
    app.assert_refused(
        "gho_Revoked00000000000000000000000000000",
        ErrorKind::Inactive,
    )
    .await;
    let asked = github.received_requests().await.map_or(0, |r| r.len());
    app.assert_refused(
        "ghp_Personal0000000000000000000000000000",
        ErrorKind::ClaimRejected,
    )
    .await;
    assert_eq!(
        github.received_requests().await.map_or(0, |r| r.len()),
        asked
    );
}
