//! tonic integration: read the [`TamboUser`] the layer authenticated from a
//! `tonic::Request`. The layer itself needs no feature: it answers gRPC requests with
//! `grpc-status` on its own.
//!
//! ```
//! use tambo_auth::tonic::RequestExt as _;
//!
//! fn whoami(request: &tonic::Request<()>) -> Result<String, tonic::Status> {
//!     let user = request.tambo_user()?;
//!     Ok(user.context_key().to_string())
//! }
//! # assert_eq!(whoami(&tonic::Request::new(())).unwrap_err().code(), tonic::Code::Unauthenticated);
//! ```
//!
//! Wire it with tonic's server builder: `Server::builder().layer(TamboAuthLayer::new(tokens))`.

use crate::TamboUser;

/// Reads the authenticated user from a tonic request.
pub trait RequestExt {
    /// The user, or `Unauthenticated` when the request carries none (the layer is missing, or
    /// let it through in an `AllowMissing…` mode).
    fn tambo_user(&self) -> Result<TamboUser, tonic::Status>;

    /// The user, if any.
    fn tambo_user_opt(&self) -> Option<TamboUser>;
}

impl<T> RequestExt for tonic::Request<T> {
    fn tambo_user(&self) -> Result<TamboUser, tonic::Status> {
        self.tambo_user_opt()
            .ok_or_else(|| tonic::Status::unauthenticated("a bearer token is required"))
    }

    fn tambo_user_opt(&self) -> Option<TamboUser> {
        self.extensions().get::<TamboUser>().cloned()
    }
}
