//! The admin API over HTTP: `/admin/v1/…`, every call authenticated with the admin token as a
//! bearer token, JSON in and out, refusals as RFC 9457 `application/problem+json`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::Value;

use super::{Admin, Problem};
use crate::config::{ADMIN_TOKEN_VAR, ConfigError, Sensitive};
use crate::ops::{self, bearer_matches};

/// The largest request body the admin API reads.
const MAX_BODY: usize = 64 * 1024;

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, self.body().to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tambo-auth admin\""),
            );
        }
        response
    }
}

/// The admin API's routes, behind `token` (at least 32 visible ASCII characters, as the
/// operations token; another is refused naming `TAMBO_AUTH_ADMIN_TOKEN`), and the settings page (`/admin`), which needs no token to
/// load: it asks the operator for it.
///
/// # Errors
///
/// A token under 32 characters, or with a space or a control character.
pub fn router(admin: Admin, token: &Sensitive) -> Result<Router, ConfigError> {
    let digest = ops::token_digest(token.expose(), ADMIN_TOKEN_VAR)?;
    Ok(Router::new()
        .route("/admin/v1/projects", get(list).post(create))
        .route(
            "/admin/v1/projects/{id}/verification",
            put(set_verification),
        )
        .route("/admin/v1/projects/{id}/verification/test", post(test))
        .route("/admin/v1/projects/{id}/api-keys", post(create_key))
        .route(
            "/admin/v1/projects/{id}/api-keys/{key_id}",
            delete(delete_key),
        )
        .route("/admin/v1/audit", get(audit))
        .route_layer(middleware::from_fn_with_state(digest, authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(admin)
        .merge(super::page::router()))
}

/// Lets through requests bearing the admin token (compared as SHA-256 digests in constant
/// time); 401 otherwise.
async fn authenticate(State(digest): State<[u8; 32]>, request: Request, next: Next) -> Response {
    if bearer_matches(request.headers(), &digest) == Some(true) {
        next.run(request).await
    } else {
        Problem::new(
            401,
            "unauthorized",
            "send the admin token (TAMBO_AUTH_ADMIN_TOKEN) as `Authorization: Bearer <token>`",
        )
        .into_response()
    }
}

fn json_body(body: &Bytes) -> Result<Value, Problem> {
    serde_json::from_slice(body)
        .map_err(|_| Problem::new(400, "invalid request", "the body is not JSON"))
}

fn answer(status: StatusCode, result: Result<Value, Problem>) -> Response {
    match result {
        Ok(value) => (status, axum::Json(value)).into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn list(State(admin): State<Admin>) -> Response {
    answer(StatusCode::OK, admin.list_projects().await)
}

async fn create(State(admin): State<Admin>, body: Bytes) -> Response {
    let result = match json_body(&body) {
        Ok(body) => admin.create_project(&body).await,
        Err(problem) => Err(problem),
    };
    answer(StatusCode::CREATED, result)
}

async fn set_verification(
    State(admin): State<Admin>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = match json_body(&body) {
        Ok(body) => admin.set_verification(&id, &body).await,
        Err(problem) => Err(problem),
    };
    answer(StatusCode::OK, result)
}

async fn test(State(admin): State<Admin>, Path(id): Path<String>, body: Bytes) -> Response {
    let result = match json_body(&body) {
        Ok(body) => admin.test_token(&id, &body).await,
        Err(problem) => Err(problem),
    };
    answer(StatusCode::OK, result)
}

async fn create_key(State(admin): State<Admin>, Path(id): Path<String>) -> Response {
    answer(StatusCode::CREATED, admin.create_api_key(&id).await)
}

async fn delete_key(
    State(admin): State<Admin>,
    Path((id, key_id)): Path<(String, String)>,
) -> Response {
    match admin.delete_api_key(&id, &key_id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn audit(State(admin): State<Admin>) -> Response {
    answer(StatusCode::OK, admin.audit_log().await)
}
