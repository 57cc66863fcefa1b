//! What the store accepts: text the database can hold, ids it could have made, and the
//! configured bounds of a thread ([`Limits`]).
//!
//! Every thread, message, revocation and key call checks its text input here, once, before any
//! statement runs, so SQLite and PostgreSQL refuse the same input the same way: as the
//! caller's mistake (HTTP 400), or as "no such thread" (404) for an id this store never made,
//! never as a database error (500).
//!
//! - PostgreSQL `TEXT` cannot hold a NUL character (SQLite stores one, but whatever reads the
//!   text as a C string cuts it there): refused on both.
//! - PostgreSQL refuses a B-tree index entry over about 2700 bytes (a third of a page), and
//!   project, context key and ids are the primary keys: each key is at most
//!   [`MAX_KEY_BYTES`], so a message's key (project, context key, two ids of 30 bytes) stays
//!   near 2100 bytes.
//! - Message content and metadata are stored as JSON text, where a NUL is the escape `\u0000`:
//!   they round-trip, bounded in size by [`Limits::max_message_bytes`].

use serde::Deserialize;

use super::{Scope, StoreError};

/// The longest project id, context key or token id (`jti`) the store keeps, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Bounds on what one thread holds, from `[limits]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Messages in one thread, initial messages included (default 10 000): the next write
    /// is refused with [`StoreError::ThreadFull`].
    pub max_messages_per_thread: u32,
    /// Bytes of one message as stored: its content and metadata as JSON (default 64 KiB);
    /// more is refused with [`StoreError::MessageTooLarge`].
    pub max_message_bytes: usize,
}

impl Limits {
    /// The default number of messages in one thread.
    pub const DEFAULT_MAX_MESSAGES_PER_THREAD: u32 = 10_000;
    /// The default size of one message.
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_messages_per_thread: Self::DEFAULT_MAX_MESSAGES_PER_THREAD,
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

/// The one check of text bound for the database: no NUL character.
pub(crate) fn storable(field: &'static str, value: &str) -> Result<(), StoreError> {
    if value.contains('\0') {
        return Err(StoreError::InvalidInput {
            field,
            reason: "contains a NUL character",
        });
    }
    Ok(())
}

// The reason below spells the limit out.
const _: () = assert!(MAX_KEY_BYTES == 1024);

/// A key column: [`storable`], and at most [`MAX_KEY_BYTES`].
pub(crate) fn key(field: &'static str, value: &str) -> Result<(), StoreError> {
    storable(field, value)?;
    if value.len() > MAX_KEY_BYTES {
        return Err(StoreError::InvalidInput {
            field,
            reason: "is over 1024 bytes",
        });
    }
    Ok(())
}

/// The owner of a call: project and context key are keys.
pub(crate) fn scope(scope: &Scope) -> Result<(), StoreError> {
    key("project", &scope.project)?;
    key("context key", &scope.context_key)
}

/// Whether `id` is one this store could have made with `prefix` (`thr`, `msg`); any other id
/// names nothing, so the caller answers "not found" without asking the database.
pub(crate) fn is_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('_'))
        && super::clock::looks_like_id(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_overlong_keys_are_refused_naming_the_field() {
        assert!(storable("name", "fine").is_ok());
        assert!(matches!(
            storable("name", "a\0b"),
            Err(StoreError::InvalidInput { field: "name", .. })
        ));
        assert!(key("context key", &"k".repeat(MAX_KEY_BYTES)).is_ok());
        assert!(matches!(
            key("context key", &"k".repeat(MAX_KEY_BYTES + 1)),
            Err(StoreError::InvalidInput {
                field: "context key",
                ..
            })
        ));
    }

    #[test]
    fn only_ids_of_the_right_kind_are_ids() {
        let id = "thr_0123456789abcdefghjkmnpqrs";
        assert!(is_id("thr", id));
        assert!(!is_id("msg", id));
        assert!(!is_id("th", id));
        assert!(!is_id("thr", "thr_0123456789abcdefghjkmnpqr\0"));
        assert!(!is_id("thr", &format!("{id}{}", "x".repeat(4000))));
    }
}
