//! Server-side retrieval: a web app signs its user in, exchanges the user's identity-provider
//! token for a Tambo token **on the server**, and calls the Tambo API on the user's behalf.
//! The browser holds only an opaque, `HttpOnly` session cookie; no token ever reaches its
//! JavaScript (there is none) or its HTML.
//!
//! The identity provider here is the development one of `tambo-auth dev` (sign in as any name);
//! with a real provider, the sign-in step is its OAuth redirect, and [`UserTokenSource`] reads
//! the user's token from your session store or the provider's backend SDK.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | the sign-in form, or the user's threads and a form to create one |
//! | `POST /sign-in` | `user=<name>`: signs in at the identity provider, sets the session cookie |
//! | `POST /threads` | `name=<name>`: creates a thread for the signed-in user |
//! | `POST /sign-out` | forgets the session |
//!
//! [`UserTokenSource`]: tambo_auth_client::UserTokenSource

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tambo_auth_client::{BearerMiddleware, ExchangeClient, TamboSession};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "sid";

/// Where the Tambo API lives and how this app signs in to it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Tambo API's base URL (`http://127.0.0.1:8260` for `tambo-auth dev`).
    pub api: String,
    /// The project's API key.
    pub api_key: String,
    /// The development identity provider's token URL (`<api>/dev/idp/token`).
    pub identity_provider: String,
}

/// One signed-in browser: its user and the user's Tambo API client.
struct UserSession {
    user: String,
    api: reqwest_middleware::ClientWithMiddleware,
}

#[derive(Clone)]
struct AppState {
    settings: Arc<Settings>,
    sessions: Arc<Mutex<HashMap<String, Arc<UserSession>>>>,
    http: reqwest::Client,
}

impl AppState {
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<UserSession>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session of the request's cookie.
    fn session(&self, headers: &HeaderMap) -> Option<Arc<UserSession>> {
        let id = session_id(headers)?;
        self.sessions().get(id).cloned()
    }
}

/// The app's router.
pub fn router(settings: Settings) -> Router {
    let state = AppState {
        settings: Arc::new(settings),
        sessions: Arc::default(),
        http: reqwest::Client::new(),
    };
    Router::new()
        .route("/", get(home))
        .route("/sign-in", post(sign_in))
        .route("/threads", post(create_thread))
        .route("/sign-out", post(sign_out))
        .with_state(state)
}

fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(&format!("{COOKIE_NAME}=")))
}

fn redirect_home(cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response();
    if let Some(cookie) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

fn problem(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(page(&format!(
            "<p>{}</p><p><a href=\"/\">Back</a></p>",
            escape(text)
        ))),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SignIn {
    user: String,
}

/// Signs `user` in at the development identity provider and keeps the session on the server.
async fn sign_in(State(state): State<AppState>, Form(form): Form<SignIn>) -> Response {
    let user = form.user.trim().to_owned();
    let valid = !user.is_empty()
        && user.len() <= 64
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid {
        return problem(
            StatusCode::BAD_REQUEST,
            "A user name is letters, digits, - _ and .",
        );
    }
    let settings = &state.settings;
    let client =
        match ExchangeClient::new(&format!("{}/oauth/token", settings.api), &settings.api_key) {
            Ok(client) => client,
            Err(error) => return problem(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        };
    // The user's identity-provider token, asked for afresh at each exchange: here the
    // development provider mints one; a real app reads its session store or refreshes with
    // the provider's SDK.
    let source = {
        let http = state.http.clone();
        let url = format!("{}?sub={user}", settings.identity_provider);
        move || {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(url).send().await?.error_for_status()?.text().await }
        }
    };
    let session = TamboSession::new(client, source);
    // Exchange now, so a sign-in the API refuses fails here, not on the next page.
    if let Err(error) = session.token().await {
        return problem(
            StatusCode::BAD_GATEWAY,
            &format!("The Tambo API refused the sign-in: {error}"),
        );
    }
    let api = reqwest_middleware::ClientBuilder::new(state.http.clone())
        .with(BearerMiddleware::new(session))
        .build();
    let Some(id) = new_session_id() else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no random source for a session id",
        );
    };
    state
        .sessions()
        .insert(id.clone(), Arc::new(UserSession { user, api }));
    // HttpOnly: no script reads it; SameSite=Lax: other sites cannot post forms with it.
    redirect_home(Some(format!(
        "{COOKIE_NAME}={id}; HttpOnly; SameSite=Lax; Path=/"
    )))
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_id(&headers) {
        state.sessions().remove(id);
    }
    redirect_home(Some(format!(
        "{COOKIE_NAME}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
    )))
}

#[derive(Deserialize)]
struct NewThread {
    name: String,
}

async fn create_thread(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<NewThread>,
) -> Response {
    let Some(session) = state.session(&headers) else {
        return redirect_home(None);
    };
    let url = format!("{}/v1/threads", state.settings.api);
    let created = session
        .api
        .post(url)
        .header("content-type", "application/json")
        .body(json!({"name": form.name}).to_string())
        .send()
        .await;
    match created {
        Ok(answer) if answer.status().is_success() => redirect_home(None),
        Ok(answer) => problem(
            StatusCode::BAD_GATEWAY,
            &format!("The Tambo API answered {}", answer.status()),
        ),
        Err(error) => problem(StatusCode::BAD_GATEWAY, &error.to_string()),
    }
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(session) = state.session(&headers) else {
        return Html(page(
            "<h1>Sign in</h1>\
             <form method=\"post\" action=\"/sign-in\">\
             <label>User <input name=\"user\" value=\"alice\"></label> \
             <button>Sign in</button></form>",
        ))
        .into_response();
    };
    let url = format!("{}/v1/threads", state.settings.api);
    let listed = match session.api.get(url).send().await {
        Ok(answer) if answer.status().is_success() => answer.bytes().await.ok(),
        _ => None,
    };
    let Some(threads) = listed.and_then(|b| serde_json::from_slice::<Value>(&b).ok()) else {
        return problem(
            StatusCode::BAD_GATEWAY,
            "The Tambo API did not list the threads",
        );
    };
    let items: String = threads["threads"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "<li>{} <small>{}</small></li>",
                escape(t["name"].as_str().unwrap_or("(unnamed)")),
                escape(t["id"].as_str().unwrap_or_default())
            )
        })
        .collect();
    Html(page(&format!(
        "<h1>{}'s threads</h1><ul id=\"threads\">{items}</ul>\
         <form method=\"post\" action=\"/threads\">\
         <input name=\"name\" placeholder=\"thread name\"> <button>Create</button></form>\
         <form method=\"post\" action=\"/sign-out\"><button>Sign out</button></form>",
        escape(&session.user)
    )))
    .into_response()
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <title>Server-side retrieval</title></head><body>{body}</body></html>"
    )
}

/// HTML-escapes text (thread names are the users' own input).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 128 random bits, hex: the only thing the browser holds.
fn new_session_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
