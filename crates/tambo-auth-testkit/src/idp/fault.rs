//! Faults the test IdP can inject into its discovery and JWKS answers.

use std::time::Duration;

/// A fault to answer discovery or JWKS requests with, instead of the normal document.
///
/// Set with [`TestIdp::set_jwks_fault`](super::TestIdp::set_jwks_fault) and
/// [`TestIdp::set_discovery_fault`](super::TestIdp::set_discovery_fault); requests are still
/// counted. The variants follow the fault-injection cases of the reliability policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a short `text/plain` body (empty for 204 and 304).
    ///
    /// Setting a status outside `100..=999` panics at once, in the test, rather than on the
    /// server thread.
    Status(u16),
    /// Answer `200` with this content type and body: HTML, invalid JSON, `{"keys":{}}`, ...
    Body {
        /// The `Content-Type` header value.
        content_type: String,
        /// The body, sent as is.
        body: String,
    },
    /// Answer normally after this delay. The delay is real time on the server's own thread:
    /// a paused tokio clock in the test does not shorten it, and while the test runtime waits
    /// for the answer a paused clock auto-advances, so client timeouts fire at once. Keep
    /// delay tests on a real clock.
    Delay(Duration),
    /// Answer `200`, `application/json`, with a body of exactly this many bytes: the normal
    /// document padded with trailing spaces (still valid JSON, so a client without a body
    /// size cap would accept it), or cut to this length when the document is longer.
    Huge(usize),
    /// Answer `302 Found` with this `Location`.
    Redirect(String),
}

impl Fault {
    /// A `200` answer with the given body and content type `text/html`.
    pub fn html(body: impl Into<String>) -> Fault {
        Fault::Body {
            content_type: "text/html; charset=utf-8".into(),
            body: body.into(),
        }
    }

    /// A `200` answer with the given body and content type `application/json` (the body need
    /// not be valid JSON).
    pub fn json_body(body: impl Into<String>) -> Fault {
        Fault::Body {
            content_type: "application/json".into(),
            body: body.into(),
        }
    }

    pub(super) fn validate(&self) {
        if let Fault::Status(code) = self {
            assert!(
                (100..=999).contains(code),
                "Fault::Status({code}): an HTTP status must be within 100..=999"
            );
        }
    }
}
