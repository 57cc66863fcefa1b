//! [`Sensitive`]: configuration text that must never reach a log.

use std::fmt;

use serde::Deserialize;

/// Configuration text that must never reach a log (a shared secret, an API key, a token): its
/// `Debug` prints `"<redacted>"`, so `format!("{config:?}")` shows the setting is there and
/// nothing of its value. Read the text with [`expose`](Self::expose) where it is used.
///
/// ```
/// use tambo_auth_server::config::Sensitive;
///
/// let key = Sensitive::from("tambo_pk_live_123");
/// assert_eq!(format!("{key:?}"), "\"<redacted>\"");
/// assert_eq!(key.expose(), "tambo_pk_live_123");
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    /// The text itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt("<redacted>", f)
    }
}

impl From<String> for Sensitive {
    fn from(text: String) -> Self {
        Sensitive(text)
    }
}

impl From<&str> for Sensitive {
    fn from(text: &str) -> Self {
        Sensitive(text.to_owned())
    }
}
