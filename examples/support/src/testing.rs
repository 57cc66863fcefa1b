//! For the examples' tests: one example's app driven in process, and the story every provider
//! example tells (two users exchange their provider tokens; each sees only their own notes), so
//! an example's `tests/e2e.rs` keeps only its provider: how its IdP starts, what its tokens look
//! like, and what it refuses.
//!
//! A public module of this crate rather than a dev-only crate: every example already depends on
//! `example-support`, so this needs no new crate or dependency; and it cannot be
//! `#[cfg(test)]`, since an example's `tests/` link this library built without `cfg(test)`.
//!
//! ```no_run
//! # async fn demo(provider: tambo_auth::OidcProvider, ada: &str, grace: &str) {
//! use example_support::testing::TestApp;
//!
//! let app = TestApp::new(provider);
//! let who = app.two_users_see_only_their_own_notes(ada, grace).await;
//! who.assert_user("ada", None, "oauth:user:idp.example:ada");
//! app.assert_refused("an-opaque-session-id", tambo_auth::ErrorKind::Opaque).await;
//! # }
//! ```

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::Value;
use tambo_auth::{ErrorKind, Provider, ProviderOptions};
use tower::ServiceExt as _;

use crate::{App, Me};

/// The API key of the test app's project.
pub const API_KEY: &str = "tambo_pk_test";

/// Provider options for the testkit IdP: it serves plain HTTP on 127.0.0.1, which providers
/// refuse unless told otherwise.
#[must_use]
pub fn loopback_options() -> ProviderOptions {
    ProviderOptions::default().allow_loopback_http(true)
}

/// An example's app around one provider, driven in process with [`API_KEY`].
#[derive(Debug, Clone)]
pub struct TestApp {
    router: Router,
}

impl TestApp {
    /// The example app around `provider`.
    ///
    /// # Panics
    ///
    /// When the app does not build (a failed test).
    pub fn new(provider: impl Provider) -> TestApp {
        let app = App::new(provider, API_KEY).expect("the example app builds");
        TestApp {
            router: app.router(),
        }
    }

    /// The example app around the provider a builder `built`: what an example's test writes
    /// after the same builder calls as its `main.rs`, plus [`loopback_options`].
    ///
    /// # Panics
    ///
    /// When the provider did not build, with its configuration error (a failed test).
    pub fn built(built: Result<impl Provider, tambo_auth::Error>) -> TestApp {
        TestApp::new(built.expect("the provider builds"))
    }

    /// `POST /oauth/token` with `subject_token`; the status and the JSON answer.
    pub async fn exchange(&self, subject_token: &str) -> (StatusCode, Value) {
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&subject_token={subject_token}"
        );
        let request = Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-api-key", API_KEY)
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// [`exchange`](Self::exchange) that must succeed: the Tambo token.
    ///
    /// # Panics
    ///
    /// When the exchange does not answer 200 with an access token (a failed test).
    pub async fn exchange_ok(&self, subject_token: &str) -> String {
        let (status, body) = self.exchange(subject_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"]
            .as_str()
            .expect("a Tambo token")
            .to_owned()
    }

    /// [`exchange`](Self::exchange) that must be refused for the reason `kind`: its status,
    /// its OAuth `error` code and its `error_description`, which tells the kinds apart (many
    /// share `400 invalid_request`).
    ///
    /// # Panics
    ///
    /// When the answer has another status, error code or description (a failed test).
    pub async fn assert_refused(&self, subject_token: &str, kind: ErrorKind) {
        let (status, body) = self.exchange(subject_token).await;
        assert_eq!(
            (
                status.as_u16(),
                body["error"].as_str(),
                body["error_description"].as_str()
            ),
            (
                kind.exchange_status(),
                Some(kind.oauth_error()),
                Some(kind.public_description())
            ),
            "{kind:?}: {body}"
        );
    }

    /// `GET /me` with a Tambo token, which must answer 200: who the token's user is.
    ///
    /// # Panics
    ///
    /// When `/me` answers another status or no user (a failed test).
    pub async fn me(&self, token: &str) -> Me {
        let request = Request::get("/me")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let (status, body) = self.send(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).expect("/me answers a user")
    }

    /// [`exchange_ok`](Self::exchange_ok) then [`me`](Self::me): who the Tambo token exchanged
    /// for `subject_token` says its user is.
    ///
    /// # Panics
    ///
    /// When the exchange or `/me` fails (a failed test).
    pub async fn user_of(&self, subject_token: &str) -> Me {
        self.me(&self.exchange_ok(subject_token).await).await
    }

    /// `POST /notes` (which must answer 201) then `GET /notes` with a Tambo token: the user's
    /// notes after adding `text`.
    ///
    /// # Panics
    ///
    /// When adding the note is not answered 201 (a failed test).
    pub async fn add_and_list(&self, token: &str, text: &str) -> Vec<String> {
        let request = Request::post("/notes")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(serde_json::json!({"text": text}).to_string()))
            .expect("request");
        let (status, body) = self.send(request).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let request = Request::get("/notes")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        serde_json::from_value(self.send(request).await.1).unwrap_or_default()
    }

    /// The story every provider example tells, from two users' provider tokens: each exchanges
    /// its token for a Tambo token, `/me` answers 200 for the first, and each user sees only
    /// the note they added. Returns what `/me` said of the first user, for the example's own
    /// assertions (its subject, tenant and context key).
    ///
    /// # Panics
    ///
    /// When any step fails (a failed test).
    pub async fn two_users_see_only_their_own_notes(&self, first: &str, second: &str) -> Me {
        let first = self.exchange_ok(first).await;
        let second = self.exchange_ok(second).await;
        let me = self.me(&first).await;
        assert_eq!(
            self.add_and_list(&first, "the first user's note").await,
            ["the first user's note"]
        );
        assert_eq!(
            self.add_and_list(&second, "the second user's note").await,
            ["the second user's note"]
        );
        me
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }
}

impl Me {
    /// Asserts who `/me` said the user is: the provider subject `sub`, its `tenant` (`None` for a
    /// provider without tenants) and the user namespace `context_key`, each exactly.
    ///
    /// # Panics
    ///
    /// When any of the three differs (a failed test).
    #[track_caller]
    pub fn assert_user(&self, sub: &str, tenant: Option<&str>, context_key: &str) {
        assert_eq!(
            (
                self.sub.as_str(),
                self.tenant.as_deref(),
                self.context_key.as_str()
            ),
            (sub, tenant, context_key),
            "{self:?}"
        );
    }
}
