//! axum integration: [`TamboUser`] as an extractor and `Option<TamboUser>` as an optional
//! extractor (axum 0.8), with rejections that say what is missing.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tambo_auth::TamboUser;
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
//! let app: Router = Router::new()
//!     .route("/mine", get(mine))
//!     .route("/hello", get(greeting))
//!     .layer(TamboAuthLayer::new(tokens).mode(Mode::AllowMissing));
//! ```

use ::axum::extract::{FromRequestParts, OptionalFromRequestParts};
use ::axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::layer::LayerMarker;
use crate::{Error, TamboUser};

/// Why a [`TamboUser`] could not be extracted.
#[derive(Debug)]
#[non_exhaustive]
pub enum TamboUserRejection {
    /// The request did not go through `TamboAuthLayer`: a wiring mistake, answered 500.
    MissingLayer,
    /// The layer let the request through without a user (`Mode::AllowMissing…`): 401.
    Unauthenticated,
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
            TamboUserRejection::Unauthenticated => {
                let mut response = StatusCode::UNAUTHORIZED.into_response();
                if let Some(value) = crate::layer::challenge_for(&Error::MissingCredentials) {
                    response
                        .headers_mut()
                        .insert(http::header::WWW_AUTHENTICATE, value);
                }
                response
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TamboUser {
    type Rejection = TamboUserRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<TamboUser>() {
            Some(user) => Ok(user.clone()),
            None if parts.extensions.get::<LayerMarker>().is_some() => {
                Err(TamboUserRejection::Unauthenticated)
            }
            None => Err(TamboUserRejection::MissingLayer),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for TamboUser {
    type Rejection = TamboUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match parts.extensions.get::<TamboUser>() {
            Some(user) => Ok(Some(user.clone())),
            None if parts.extensions.get::<LayerMarker>().is_some() => Ok(None),
            None => Err(TamboUserRejection::MissingLayer),
        }
    }
}
