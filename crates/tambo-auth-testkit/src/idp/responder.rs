//! The wiremock responder: reads the IdP's shared state at request time and counts requests.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::Fault;
use crate::keys::{self, TestKey};

/// What never changes after start: the URLs the IdP answers on.
#[derive(Debug)]
pub(super) struct Routes {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(super) base: String,
    pub(super) issuer: String,
    pub(super) discovery_path: String,
    pub(super) jwks_path: String,
}

impl Routes {
    pub(super) fn jwks_url(&self) -> String {
        format!("{}{}", self.base, self.jwks_path)
    }
}

/// What tests change while the IdP runs.
#[derive(Debug)]
pub(super) struct State {
    pub(super) keys: Vec<TestKey>,
    pub(super) jwks_body: Option<Value>,
    pub(super) discovery_enabled: bool,
    pub(super) discovery_issuer: Option<String>,
    pub(super) jwks_uri: Option<String>,
    pub(super) cache_control: Option<String>,
    pub(super) jwks_fault: Option<Fault>,
    pub(super) discovery_fault: Option<Fault>,
    pub(super) jwks_requests: usize,
    pub(super) discovery_requests: usize,
}

/// Shared between the test thread and wiremock's server thread.
pub(super) type Shared = Arc<Mutex<State>>;

/// A panicking test must not turn every later request into a second panic on the server
/// thread, so a poisoned lock is used as is: the state is plain data, always consistent.
pub(super) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) struct IdpResponder {
    pub(super) routes: Arc<Routes>,
    pub(super) state: Shared,
}

impl Respond for IdpResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let mut state = lock(&self.state);
        if path == self.routes.jwks_path {
            state.jwks_requests += 1;
            let body = state
                .jwks_body
                .clone()
                .unwrap_or_else(|| keys::jwks(&state.keys));
            let response = answer(state.jwks_fault.as_ref(), &body);
            match &state.cache_control {
                Some(value) => response.insert_header("cache-control", value.as_str()),
                None => response,
            }
        } else if path == self.routes.discovery_path {
            state.discovery_requests += 1;
            if state.discovery_fault.is_none() && !state.discovery_enabled {
                return not_found();
            }
            let document = discovery_document(&self.routes, &state);
            answer(state.discovery_fault.as_ref(), &document)
        } else {
            not_found()
        }
    }
}

fn discovery_document(routes: &Routes, state: &State) -> Value {
    let mut algs: Vec<&str> = Vec::new();
    for key in state.keys.iter().filter(|k| k.secret().is_none()) {
        if !algs.contains(&key.default_alg()) {
            algs.push(key.default_alg());
        }
    }
    if algs.is_empty() {
        algs.push("RS256");
    }
    json!({
        "issuer": state.discovery_issuer.as_deref().unwrap_or(&routes.issuer),
        "jwks_uri": state.jwks_uri.clone().unwrap_or_else(|| routes.jwks_url()),
        "authorization_endpoint": format!("{}/authorize", routes.base),
        "token_endpoint": format!("{}/oauth/token", routes.base),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
    })
}

fn answer(fault: Option<&Fault>, document: &Value) -> ResponseTemplate {
    let normal =
        || ResponseTemplate::new(200).set_body_raw(document.to_string(), "application/json");
    match fault {
        None => normal(),
        Some(Fault::Status(code)) => {
            let response = ResponseTemplate::new(*code);
            if matches!(code, 204 | 304) || *code < 200 {
                response
            } else {
                response.set_body_raw(format!("injected fault: HTTP {code}\n"), "text/plain")
            }
        }
        Some(Fault::Body { content_type, body }) => {
            ResponseTemplate::new(200).set_body_raw(body.clone(), content_type)
        }
        Some(Fault::Delay(delay)) => normal().set_delay(*delay),
        Some(Fault::Huge(size)) => {
            let mut body = document.to_string().into_bytes();
            body.resize(*size, b' ');
            ResponseTemplate::new(200).set_body_raw(body, "application/json")
        }
        Some(Fault::Redirect(location)) => {
            ResponseTemplate::new(302).insert_header("location", location.as_str())
        }
    }
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw("not found\n", "text/plain")
}
