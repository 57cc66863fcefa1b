//! The OpenAPI 3.1 description of the server's HTTP API, served at `GET /openapi.json`.
//!
//! The document (`openapi.json` in this crate) is written by hand: every path and method the
//! router answers, with its parameters, request bodies, responses (success and every error
//! status, `{"error", "message"}` for `/v1`, RFC 6749 `{"error", "error_description"}` for
//! `/oauth/token`) and the two credentials, `Authorization: Bearer <tambo token>` and the
//! `x-api-key` header. `tests/openapi.rs` keeps it in sync with the router: every documented
//! operation is answered, every route in the source is documented, undocumented methods are
//! refused, and real responses match the documented schemas.
//!
//! ```
//! let document: serde_json::Value =
//!     serde_json::from_str(tambo_auth_server::openapi::document()).unwrap();
//! assert_eq!(document["openapi"], "3.1.0");
//! assert!(document["paths"]["/oauth/token"]["post"].is_object());
//! ```

/// The OpenAPI 3.1 document, as JSON text (serve it as `application/json`).
pub fn document() -> &'static str {
    include_str!("../openapi.json")
}
