//! What can go wrong in the store, as data.

use std::error::Error as StdError;
use std::fmt;

/// Why a store call failed.
///
/// `InvalidCursor`, `InvalidLimit` and `InvalidInput` are the caller's mistakes (HTTP 400),
/// `ThreadFull` and `MessageTooLarge` the configured limits (409, 413); the rest are the
/// server's (HTTP 503 when [`is_unavailable`](Self::is_unavailable), else 500). No message
/// repeats a database URL or its password.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The pagination cursor is not one this store issued for this kind of list.
    InvalidCursor,
    /// The page size is outside `1..=100`.
    InvalidLimit(u32),
    /// Text the database cannot hold: a NUL character, or a key over
    /// [`MAX_KEY_BYTES`](super::MAX_KEY_BYTES).
    InvalidInput {
        /// What the text is, e.g. `name` or `context key`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The thread already holds [`Limits::max_messages_per_thread`](super::Limits) messages.
    ThreadFull {
        /// The limit.
        max: u32,
    },
    /// A message is over [`Limits::max_message_bytes`](super::Limits).
    MessageTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// The database URL has an unknown scheme or cannot be parsed; the reason never quotes it.
    InvalidDatabaseUrl(&'static str),
    /// The database could not be reached or refused a statement.
    Database(DatabaseError),
    /// The shipped migrations could not be applied (for example: the database was written by
    /// a newer version of the server, or a shipped migration was edited after it was applied).
    Migration(DatabaseError),
    /// A stored value could not be read back, or the system's random number generator failed.
    Internal(&'static str),
}

impl StoreError {
    /// The caller sent a bad cursor, limit or text (HTTP 400).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StoreError::InvalidCursor
                | StoreError::InvalidLimit(_)
                | StoreError::InvalidInput { .. }
        )
    }

    /// The database is unreachable or overloaded: worth retrying later (HTTP 503).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => e.unavailable,
            _ => false,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::InvalidCursor => f.write_str("invalid pagination cursor"),
            StoreError::InvalidLimit(limit) => {
                write!(f, "invalid page size {limit}: it must be between 1 and 100")
            }
            StoreError::InvalidInput { field, reason } => write!(f, "the {field} {reason}"),
            StoreError::ThreadFull { max } => {
                write!(f, "the thread already holds its limit of {max} messages")
            }
            StoreError::MessageTooLarge { max } => write!(
                f,
                "the message is over the limit of {max} bytes (content and metadata as JSON)"
            ),
            StoreError::InvalidDatabaseUrl(reason) => write!(f, "invalid database_url: {reason}"),
            StoreError::Database(e) => write!(f, "database error: {e}"),
            StoreError::Migration(e) => write!(f, "database migration failed: {e}"),
            StoreError::Internal(what) => write!(f, "storage error: {what}"),
        }
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            StoreError::Database(e) | StoreError::Migration(e) => Some(e),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(DatabaseError::new(e, None))
    }
}

/// An error reported by the database driver, its message scrubbed of any password.
pub struct DatabaseError {
    message: String,
    unavailable: bool,
}

impl DatabaseError {
    /// Keeps the driver's message (with its causes) and drops the driver's types, so no
    /// connection option can leak through `source()` or `Debug`.
    pub(crate) fn new(e: sqlx::Error, password: Option<&str>) -> Self {
        let unavailable = matches!(
            e,
            sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
        );
        Self::from_message(&e, password, unavailable)
    }

    pub(crate) fn from_migration(e: sqlx::migrate::MigrateError) -> Self {
        Self::from_message(&e, None, false)
    }

    fn from_message(e: &dyn StdError, password: Option<&str>, unavailable: bool) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            message = message.replace(password, "***");
        }
        DatabaseError {
            message,
            unavailable,
        }
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseError").field(&self.message).finish()
    }
}

impl StdError for DatabaseError {}
