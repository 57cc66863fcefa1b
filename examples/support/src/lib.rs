//! What every provider example shares, so each example shows only its provider's setup: the
//! token exchange, `TamboAuthLayer`, and a small user-scoped API (`GET /me`, `GET/POST
//! /notes`) where each user sees only their own notes. [`testing`] drives it in the examples'
//! tests.
//!
//! ```no_run
//! # async fn demo(provider: tambo_auth::OidcProvider) -> Result<(), Box<dyn std::error::Error>> {
//! let app = example_support::App::new(provider, "tambo_pk_example")?;
//! example_support::serve(app.router(), "127.0.0.1:8260").await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tambo_auth::exchange::{Project, StaticProjects, TokenExchange};
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::{SigningKey, TamboTokens};
use tambo_auth::{Algorithm, ContextKey, Provider, ProviderRegistry, TamboUser};

pub mod testing;

/// The project id every example uses.
pub const PROJECT: &str = "p_example";

/// Our issuer in the examples (the address `serve` listens on by default).
pub const ISSUER: &str = "http://127.0.0.1:8260";

/// An example app around one provider.
#[derive(Debug, Clone)]
pub struct App {
    exchange: TokenExchange,
    tokens: TamboTokens,
    notes: Notes,
}

type Notes = Arc<Mutex<HashMap<ContextKey, Vec<String>>>>;

/// What `GET /me` answers.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Me {
    /// The provider subject.
    pub sub: String,
    /// The user namespace.
    pub context_key: String,
    /// The tenant, when the provider has one.
    pub tenant: Option<String>,
    /// The email, when the token carries one.
    pub email: Option<String>,
}

/// `POST /notes` body.
#[derive(Debug, Serialize, Deserialize)]
pub struct NewNote {
    /// The note.
    pub text: String,
}

impl App {
    /// The app for `provider`, with `api_key` as the project's API key.
    pub fn new(provider: impl Provider, api_key: &str) -> Result<App, tambo_auth::Error> {
        let registry = ProviderRegistry::builder().provider(provider).build()?;
        let tokens = TamboTokens::builder(ISSUER)
            .signing_key(SigningKey::generate(Algorithm::EdDSA)?)
            .build()?;
        let project = Arc::new(Project::new(PROJECT, registry));
        let projects = StaticProjects::new([(api_key, project)])?;
        let exchange = TokenExchange::new(tokens.clone(), Arc::new(projects))
            .cors(["http://localhost:3000"])?;
        Ok(App {
            exchange,
            tokens,
            notes: Notes::default(),
        })
    }

    /// `POST /oauth/token`, the `.well-known` documents, and the user-scoped API behind the
    /// layer.
    pub fn router(&self) -> Router {
        let layer = TamboAuthLayer::builder(self.tokens.clone())
            .require_project(PROJECT)
            .build()
            // Infallible: the project id is a non-empty constant and no cookie is read.
            .expect("a layer requiring a non-empty project builds");
        let api = Router::new()
            .route("/me", get(me))
            .route("/notes", get(list_notes).post(add_note))
            .with_state(self.notes.clone())
            .layer(layer);
        self.exchange.router().merge(api)
    }
}

async fn me(user: TamboUser) -> Json<Me> {
    Json(Me {
        sub: user.sub().to_owned(),
        context_key: user.context_key().to_string(),
        tenant: user.tenant().map(str::to_owned),
        email: user.email().map(str::to_owned),
    })
}

async fn list_notes(user: TamboUser, State(notes): State<Notes>) -> Json<Vec<String>> {
    let notes = notes.lock().unwrap_or_else(|e| e.into_inner());
    Json(notes.get(user.context_key()).cloned().unwrap_or_default())
}

async fn add_note(
    user: TamboUser,
    State(notes): State<Notes>,
    Json(note): Json<NewNote>,
) -> http::StatusCode {
    notes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(user.context_key().clone())
        .or_default()
        .push(note.text);
    http::StatusCode::CREATED
}

/// What every provider example's `main` ends with: serves the app around `provider` on
/// 127.0.0.1:8260 until Ctrl-C, with `TAMBO_API_KEY` (default `tambo_pk_example`) as the
/// project's API key.
///
/// # Errors
///
/// When the app does not build or the address cannot be bound.
pub async fn run(provider: impl Provider) -> Result<(), Box<dyn std::error::Error>> {
    let api_key = std::env::var("TAMBO_API_KEY").unwrap_or_else(|_| "tambo_pk_example".into());
    let app = App::new(provider, &api_key)?;
    serve(app.router(), "127.0.0.1:8260").await?;
    Ok(())
}

/// The environment variable `name`, which an example cannot start without.
///
/// # Errors
///
/// When it is not set (or not Unicode), with the message `set <name> <hint>`: `hint` says what
/// to set it to, e.g. `to your realm's issuer (https://<host>/realms/<realm>)` or
/// `(see examples/auth0/README.md)`.
pub fn required_env(name: &str, hint: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} {hint}"))
}

/// The items of a comma-separated setting (`a, b,c`), trimmed, without empty ones.
#[must_use]
pub fn list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// Serves `router` on `addr` until Ctrl-C, logging to stderr.
pub async fn serve(router: Router, addr: &str) -> std::io::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .try_init();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
