//! The user-scoped thread API under `/v1`, wire-compatible with the thread subset of Tambo's
//! v1 API. Every call needs a Tambo token (the layer runs first); every query is scoped by the
//! token's project and context key, so another user's thread answers 404 for every verb.
//!
//! | call | answer |
//! | --- | --- |
//! | `POST /v1/threads` `{metadata?, initialMessages?}` | 201 thread |
//! | `GET /v1/threads?cursor&limit` | `{threads, hasMore, nextCursor?}`, newest first |
//! | `GET /v1/threads/{id}?cursor&limit` | thread with a page of `messages` (default 100), `hasMore`, `nextCursor?` |
//! | `PATCH /v1/threads/{id}` `{name?, metadata?}` | thread |
//! | `DELETE /v1/threads/{id}` | 204 |
//! | `GET /v1/threads/{id}/messages?cursor&limit&order` | `{messages, hasMore, nextCursor?}` |
//! | `GET /v1/threads/{id}/messages/{messageId}` | message |
//! | `POST /v1/threads/{id}/messages` `{role, content, metadata?}` | 201 message |
//!
//! When `x-api-key` is sent it must belong to the token's project (Tambo did not check this).
//! Errors are JSON: `{"error": "<code>", "message": "<text>"}`. Besides the authentication
//! codes: `invalid_request` (400: a bad cursor, limit or body; text the store cannot hold, such
//! as a NUL character in a name or a context key over 1024 bytes), `not_found` (404, also for
//! an id this server never made), `thread_full` (409: the thread holds
//! `[limits] max_messages_per_thread` messages), `message_too_large` (413: a message over
//! `[limits] max_message_bytes`).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tambo_auth::TamboUser;
use tambo_auth::exchange::ProjectResolver;

use crate::store::{
    Message, NewMessage, NewThread, Object, Order, Page, PageRequest, Scope, Store, StoreError,
    Thread, ThreadUpdate, ThreadWithMessages,
};

/// The largest request body `/v1` accepts.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Clone)]
struct ApiState {
    store: Store,
    projects: Arc<dyn ProjectResolver>,
}

/// The `/v1` routes. Put `TamboAuthLayer` outside them.
pub fn router(store: Store, projects: Arc<dyn ProjectResolver>) -> Router {
    let state = ApiState { store, projects };
    Router::new()
        .route("/v1/threads", get(list_threads).post(create_thread))
        .route(
            "/v1/threads/{id}",
            get(get_thread).patch(update_thread).delete(delete_thread),
        )
        .route(
            "/v1/threads/{id}/messages",
            get(list_messages).post(add_message),
        )
        .route("/v1/threads/{id}/messages/{message_id}", get(get_message))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            api_key_matches,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// An API error: status, stable code, message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.code, "message": self.message})),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if let StoreError::ThreadFull { .. } = error {
            ApiError::new(StatusCode::CONFLICT, "thread_full", error.to_string())
        } else if let StoreError::MessageTooLarge { .. } = error {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "message_too_large",
                error.to_string(),
            )
        } else if error.is_client_error() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                error.to_string(),
            )
        } else if error.is_unavailable() {
            tracing::warn!(%error, "the database is unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the database is unavailable; retry shortly",
            )
        } else {
            tracing::error!(%error, "a database operation failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            )
        }
    }
}

/// Gives the authentication layer's refusals (RFC 6750: a status and a `WWW-Authenticate`
/// challenge, no body) the API's JSON error body, keeping the challenge. Put it outside the
/// layer.
pub async fn json_refusals(response: Response) -> Response {
    let status = response.status();
    if !matches!(status.as_u16(), 400 | 401 | 403 | 503)
        || response
            .headers()
            .contains_key(axum::http::header::CONTENT_TYPE)
    {
        return response;
    }
    let challenge = response
        .headers()
        .get(axum::http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let attribute = |name: &str| {
        challenge
            .split(", ")
            .find_map(|part| {
                part.trim_start_matches("Bearer ")
                    .strip_prefix(&format!("{name}=\""))
            })
            .and_then(|v| v.strip_suffix('"'))
            .map(str::to_owned)
    };
    let (code, message) = match (attribute("error"), status.as_u16()) {
        (Some(code), _) => {
            let message = attribute("error_description").unwrap_or_else(|| code.clone());
            (code, message)
        }
        (None, 401) => (
            "missing_token".to_owned(),
            "a bearer token is required".to_owned(),
        ),
        (None, 503) => (
            "temporarily_unavailable".to_owned(),
            "the identity provider keys are unavailable; retry shortly".to_owned(),
        ),
        (None, _) => (
            "invalid_request".to_owned(),
            "the request was refused".to_owned(),
        ),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    let body = json!({"error": code, "message": message}).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// JSON object bodies (never an array of the fields: [`Object`]) whose rejections are JSON
/// errors too.
struct ApiJson<T>(T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<Object<T>>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<Object<T>>::from_request(request, state).await {
            Ok(Json(Object(value))) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::new(
                rejection.status(),
                "invalid_request",
                rejection.body_text(),
            )),
        }
    }
}

/// Query strings whose rejections are JSON errors too.
struct ApiQuery<T>(T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                rejection.body_text(),
            )),
        }
    }
}

/// Who a `/v1` call is for: the store, and the verified Tambo user, whose project and context
/// key own everything the call touches.
struct Caller {
    store: Store,
    user: TamboUser,
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = <TamboUser as FromRequestParts<ApiState>>::Rejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let user = TamboUser::from_request_parts(parts, state).await?;
        Ok(Caller {
            store: state.store.clone(),
            user,
        })
    }
}

impl Caller {
    /// The owner of everything the call touches.
    fn scope(&self) -> Result<Scope, ApiError> {
        let project = self.user.project().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "a Tambo token from /oauth/token is required",
            )
        })?;
        Ok(Scope::new(project, self.user.context_key().as_str()))
    }
}

/// What the store found, or the API's 404 naming `what`.
fn found<T>(item: Option<T>, what: &str) -> Result<T, ApiError> {
    item.ok_or_else(|| ApiError::not_found(what))
}

/// `x-api-key`, when sent, must name the token's project.
async fn api_key_matches(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(key) = request.headers().get("x-api-key") {
        let key = key.to_str().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "x-api-key is not visible ASCII",
            )
        })?;
        let project = state.projects.resolve(key).await.map_err(|_| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "the API key is not valid",
            )
        })?;
        let token_project = request
            .extensions()
            .get::<TamboUser>()
            .and_then(|u| u.project().map(str::to_owned));
        if token_project.is_some_and(|p| p != project.id()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "project_mismatch",
                "the API key belongs to another project than the token",
            ));
        }
    }
    Ok(next.run(request).await)
}

async fn create_thread(
    caller: Caller,
    ApiJson(new): ApiJson<NewThread>,
) -> Result<(StatusCode, Json<Thread>), ApiError> {
    let thread = caller.store.create_thread(&caller.scope()?, new).await?;
    Ok((StatusCode::CREATED, Json(thread)))
}

/// A page of a list as `/v1` answers it: `{<items>: […], hasMore, nextCursor?}`, where `<items>`
/// names what is listed.
struct Listing<T> {
    items: &'static str,
    page: Page<T>,
}

impl<T: Serialize> Serialize for Listing<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.items, &self.page.items)?;
        map.serialize_entry("hasMore", &self.page.has_more)?;
        if let Some(cursor) = &self.page.next_cursor {
            map.serialize_entry("nextCursor", cursor)?;
        }
        map.end()
    }
}

async fn list_threads(
    caller: Caller,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<Listing<Thread>>, ApiError> {
    let page = caller.store.list_threads(&caller.scope()?, page).await?;
    Ok(Json(Listing {
        items: "threads",
        page,
    }))
}

async fn get_thread(
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> Result<Json<ThreadWithMessages>, ApiError> {
    let thread = caller.store.get_thread(&caller.scope()?, &id, page).await?;
    found(thread, "thread").map(Json)
}

async fn update_thread(
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(update): ApiJson<ThreadUpdate>,
) -> Result<Json<Thread>, ApiError> {
    let thread = caller
        .store
        .update_thread(&caller.scope()?, &id, update)
        .await?;
    found(thread, "thread").map(Json)
}

async fn delete_thread(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let deleted = caller.store.delete_thread(&caller.scope()?, &id).await?;
    found(deleted.then_some(StatusCode::NO_CONTENT), "thread")
}

/// Query of the message list.
#[derive(Debug, Default, Deserialize)]
struct MessagesQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    order: Order,
}

async fn list_messages(
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> Result<Json<Listing<Message>>, ApiError> {
    let page = PageRequest {
        cursor: query.cursor,
        limit: query.limit,
    };
    let page = caller
        .store
        .list_messages(&caller.scope()?, &id, page, query.order)
        .await?;
    let page = found(page, "thread")?;
    Ok(Json(Listing {
        items: "messages",
        page,
    }))
}

async fn get_message(
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    let message = caller
        .store
        .get_message(&caller.scope()?, &id, &message_id)
        .await?;
    found(message, "message").map(Json)
}

async fn add_message(
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(message): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let added = caller
        .store
        .add_message(&caller.scope()?, &id, message)
        .await?;
    Ok((StatusCode::CREATED, Json(found(added, "thread")?)))
}
