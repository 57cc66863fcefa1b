//! axum integration: [`TamboUser`] as an extractor and `Option<TamboUser>` as an optional
//! extractor (axum 0.8), [`Claims<T>`] for the token's claims as your own type, with
//! rejections that say what is missing.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tambo_auth::TamboUser;
//! use tambo_auth::axum::Claims;
//! use tambo_auth::layer::{Mode, TamboAuthLayer};
//! use tambo_auth::token::{SigningKey, TamboTokens};
//! # let tokens = TamboTokens::builder("https://auth.example.com")
//! #     .signing_key(SigningKey::generate(tambo_auth::Algorithm::EdDSA).unwrap()).build().unwrap();
//!
//! async fn mine(user: TamboUser) -> String {
//!     user.context_key().to_string()
//! }
//!
//! async fn greeting(user: Option<TamboUser>) -> String {
//!     match user {
//!         Some(user) => format!("hello {}", user.sub()),
//!         None => "hello, stranger".into(),
//!     }
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Project {
//!     client_id: String,
//! }
//!
//! async fn project(Claims(claims): Claims<Project>) -> String {
//!     claims.client_id
//! }
//!
//! let app: Router = Router::new()
//!     .route("/mine", get(mine))
//!     .route("/hello", get(greeting))
//!     .route("/project", get(project))
//!     .layer(TamboAuthLayer::builder(tokens).mode(Mode::AllowMissing).build().unwrap());
//! ```

use std::fmt;

use ::axum::extract::{FromRequestParts, OptionalFromRequestParts};
use ::axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::layer::{AuthFailure, EmptyBody, LayerMarker, Realm, refusal};
use crate::{Error, TamboUser};

/// Why a [`TamboUser`] could not be extracted.
#[derive(Debug)]
#[non_exhaustive]
pub enum TamboUserRejection {
    /// The request did not go through `TamboAuthLayer`: a wiring mistake, answered 500.
    MissingLayer,
    /// The layer let the request through without a user (`Mode::AllowMissing…`): answered as
    /// the layer would have refused it, 401 with the challenge (400 or 503 for a malformed
    /// request or unavailable keys).
    Unauthenticated {
        /// Why there is no user: [`Error::MissingCredentials`] when none were sent.
        error: Error,
        /// The layer's realm.
        realm: Realm,
    },
}

impl fmt::Display for TamboUserRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TamboUserRejection::MissingLayer => f.write_str(
                "no TamboUser: the route is not behind TamboAuthLayer (add .layer(TamboAuthLayer::new(..)))",
            ),
            TamboUserRejection::Unauthenticated { error, .. } => {
                write!(f, "no authenticated user: {error}")
            }
        }
    }
}

impl std::error::Error for TamboUserRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TamboUserRejection::Unauthenticated { error, .. } => Some(error),
            TamboUserRejection::MissingLayer => None,
        }
    }
}

impl IntoResponse for TamboUserRejection {
    fn into_response(self) -> Response {
        match self {
            TamboUserRejection::MissingLayer => {
                tracing::error!(
                    "TamboUser extractor used on a route without TamboAuthLayer; add .layer(TamboAuthLayer::new(tokens))"
                );
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Missing request extension: TamboUser. Is TamboAuthLayer added to this route (`.layer(TamboAuthLayer::new(..))`)?",
                )
                    .into_response()
            }
            TamboUserRejection::Unauthenticated { error, realm } => {
                refusal(&realm, &error, false, &EmptyBody)
            }
        }
    }
}

/// The user, no user (the layer passed the request without one), or a wiring mistake.
fn user_of(parts: &Parts) -> Result<Option<TamboUser>, TamboUserRejection> {
    if let Some(user) = parts.extensions.get::<TamboUser>() {
        return Ok(Some(user.clone()));
    }
    match parts.extensions.get::<LayerMarker>() {
        Some(LayerMarker(_)) => Ok(None),
        None => Err(TamboUserRejection::MissingLayer),
    }
}

fn unauthenticated(parts: &Parts) -> TamboUserRejection {
    TamboUserRejection::Unauthenticated {
        error: parts
            .extensions
            .get::<AuthFailure>()
            .map_or(Error::MissingCredentials, |AuthFailure(error)| {
                error.clone()
            }),
        realm: parts
            .extensions
            .get::<LayerMarker>()
            .map_or_else(Realm::default, |LayerMarker(realm)| realm.clone()),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TamboUser {
    type Rejection = TamboUserRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        user_of(parts)?.ok_or_else(|| unauthenticated(parts))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for TamboUser {
    type Rejection = TamboUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        user_of(parts)
    }
}

/// The verified token's claims as `T`, read from the token the layer verified (not verified
/// again). A token whose claims do not fit `T` is refused 401 `invalid_token`.
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

/// Why [`Claims<T>`] could not be extracted.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClaimsRejection {
    /// No user (see [`TamboUserRejection`]).
    User(TamboUserRejection),
    /// The claims do not fit the type asked for.
    Shape(serde_json::Error),
}

impl fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimsRejection::User(rejection) => rejection.fmt(f),
            ClaimsRejection::Shape(e) => write!(f, "the token's claims do not fit: {e}"),
        }
    }
}

impl std::error::Error for ClaimsRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClaimsRejection::User(rejection) => Some(rejection),
            ClaimsRejection::Shape(e) => Some(e),
        }
    }
}

impl IntoResponse for ClaimsRejection {
    fn into_response(self) -> Response {
        match self {
            ClaimsRejection::User(rejection) => rejection.into_response(),
            ClaimsRejection::Shape(e) => {
                tracing::debug!(error = %e, "the token's claims do not fit the extractor");
                let error = Error::InvalidClaim {
                    claim: "*",
                    reason: "the claims do not have the shape this route needs",
                };
                refusal(&Realm::default(), &error, false, &EmptyBody)
            }
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Claims<T> {
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = <TamboUser as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(ClaimsRejection::User)?;
        user.claims()
            .deserialize()
            .map(Claims)
            .map_err(ClaimsRejection::Shape)
    }
}
