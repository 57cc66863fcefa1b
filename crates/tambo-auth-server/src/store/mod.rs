//! The server's storage: per-user threads and messages, token revocations and the Tambo token
//! key ring, in SQLite (one file, the default) or PostgreSQL (shared by several replicas).
//!
//! Every thread and message method takes a [`Scope`] (project and context key) and every query
//! they run filters on both, so no code path reads or changes a thread without naming its owner.
//! Another user's thread id answers exactly as an id that does not exist: `None` or `false`.
//!
//! ```
//! use tambo_auth_server::store::{NewMessage, NewThread, PageRequest, Scope, Store};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = Store::connect("sqlite::memory:").await?;
//! let alice = Scope::new("p_demo", "oauth:user:idp.example.com:alice");
//! let bob = Scope::new("p_demo", "oauth:user:idp.example.com:bob");
//!
//! let thread = store
//!     .create_thread(&alice, NewThread {
//!         initial_messages: vec![NewMessage::text(tambo_auth_server::store::Role::User, "hi")],
//!         ..NewThread::default()
//!     })
//!     .await?;
//! assert_eq!(store.list_threads(&alice, PageRequest::default()).await?.items, [thread.clone()]);
//! assert!(store.get_thread(&bob, &thread.id, PageRequest::default()).await?.is_none());
//! # Ok::<_, tambo_auth_server::store::StoreError>(())
//! # }).unwrap();
//! ```
//!
//! Migrations ship in the crate (`migrations/sqlite`, `migrations/postgres`) and are applied by
//! [`Store::connect`]; applying them again is a no-op.

use std::fmt;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to whichever pool the store holds. The body is compiled once
/// per backend, so the same query text and row types serve both.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

mod clock;
mod error;
mod keys;
mod limits;
mod migrate;
mod model;
mod page;
mod projects;
mod threads;

pub(crate) use clock::{unix_now, unix_seconds};
pub use error::{DatabaseError, StoreError};
pub use keys::{Revocations, StoredKey};
pub use limits::{Limits, MAX_KEY_BYTES};
pub use model::{
    ContentPart, Message, NewMessage, NewThread, Object, Role, RunStatus, Scope, Thread,
    ThreadUpdate, ThreadWithMessages,
};
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, Order, Page, PageRequest, THREAD_MESSAGES_LIMIT};
pub use projects::{AuditEntry, StoredApiKey, StoredProject};

/// How long a caller waits for a pooled connection before the store reports it unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits on a lock held by another connection (or process) before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per replica to PostgreSQL.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
/// Connections to one SQLite file: WAL lets readers run beside the single writer.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite: one file (or memory), one machine.
    Sqlite,
    /// PostgreSQL: shared by several replicas.
    Postgres,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle on the database: cheap to clone (the connection pool is shared).
///
/// Its `Debug` output names the backend and the database without any password.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    redacted_url: std::sync::Arc<str>,
    limits: Limits,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &&*self.redacted_url)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database named by `database_url` and applies the shipped migrations.
    ///
    /// - `sqlite://path/to/file.db` (or `sqlite:path`): the file and its parent directories are
    ///   created when missing; the journal is WAL.
    /// - `sqlite::memory:`: a private in-memory database that lives as long as this store.
    /// - `postgres://user:password@host:port/database` (or `postgresql://`).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidDatabaseUrl`] for an unknown scheme or a malformed URL,
    /// [`StoreError::Database`] when the database cannot be reached, and
    /// [`StoreError::Migration`] when the schema cannot be brought up to date (for example a
    /// database written by a newer version). No error repeats the URL or its password.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let redacted_url = redact_url(database_url).into();
        let pool = match backend_of(database_url)? {
            Backend::Sqlite => Pool::Sqlite(connect_sqlite(database_url).await?),
            Backend::Postgres => Pool::Postgres(connect_postgres(database_url).await?),
        };
        let store = Store {
            pool,
            redacted_url,
            limits: Limits::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// This store with other bounds on a thread (the default is [`Limits::default`]).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Store {
        self.limits = limits;
        self
    }

    /// The bounds on a thread in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The database this store talks to.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Checks that the database answers (for readiness probes).
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Waits for running queries, then closes every connection. Later calls fail.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
    }
}

fn backend_of(database_url: &str) -> Result<Backend, StoreError> {
    if database_url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::InvalidDatabaseUrl(
            "the scheme must be sqlite: or postgres://",
        ))
    }
}

async fn connect_sqlite(database_url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|_| StoreError::InvalidDatabaseUrl("not a valid sqlite: URL"))?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let in_memory = database_url == "sqlite::memory:" || database_url.contains("mode=memory");
    let pool_options = SqlitePoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
    let pool = if in_memory {
        // A shared in-memory database lives while one connection is open: keep exactly one
        // for the life of the pool (shared-cache tables also lock whole tables, so one
        // connection avoids spurious "table is locked" errors).
        pool_options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
    } else {
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Database(DatabaseError::new(sqlx::Error::Io(e), None)))?;
        }
        pool_options
            .max_connections(SQLITE_MAX_CONNECTIONS)
            .connect_with(
                options
                    .journal_mode(SqliteJournalMode::Wal)
                    // In WAL mode NORMAL loses no committed transaction on a process crash,
                    // only (possibly) the last ones on power loss, and avoids an fsync per commit.
                    .synchronous(SqliteSynchronous::Normal),
            )
            .await
    };
    pool.map_err(|e| StoreError::Database(DatabaseError::new(e, None)))
}

async fn connect_postgres(database_url: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(database_url)
        .map_err(|_| StoreError::InvalidDatabaseUrl("not a valid postgres:// URL"))?;
    let password = url::Url::parse(database_url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned));
    PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Database(DatabaseError::new(e, password.as_deref())))
}

/// The URL without anything secret: for PostgreSQL scheme, user, host, port and database only
/// (a password can hide in the userinfo or in the query string); for SQLite the path.
fn redact_url(database_url: &str) -> String {
    if database_url.starts_with("sqlite:") {
        return database_url
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    match url::Url::parse(database_url) {
        Ok(url) => {
            let user = if url.username().is_empty() {
                String::new()
            } else {
                format!("{}@", url.username())
            };
            let host = url.host_str().unwrap_or_default();
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{user}{host}{port}{}", url.scheme(), url.path())
        }
        Err(_) => "<malformed URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_never_carry_a_password() {
        assert_eq!(
            redact_url("postgres://tambo:s3cret@db.internal:5433/tambo?sslmode=require"),
            "postgres://tambo@db.internal:5433/tambo"
        );
        assert_eq!(
            redact_url("postgres://db.internal/tambo?user=tambo&password=s3cret"),
            "postgres://db.internal/tambo"
        );
        assert_eq!(
            redact_url("sqlite://data/tambo.db?mode=rwc"),
            "sqlite://data/tambo.db"
        );
        assert_eq!(redact_url("postgres://[bad"), "<malformed URL>");
    }

    #[test]
    fn unknown_schemes_are_refused_without_echoing_the_url() {
        let err = backend_of("mysql://root:s3cret@localhost/db").unwrap_err();
        assert!(matches!(err, StoreError::InvalidDatabaseUrl(_)));
        assert!(!err.to_string().contains("s3cret"));
    }

    #[tokio::test]
    async fn debug_output_names_the_backend_and_database() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let debug = format!("{store:?}");
        assert!(
            debug.contains("Sqlite") && debug.contains(":memory:"),
            "{debug}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_postgres_error_does_not_repeat_the_password() {
        // Port 1 on loopback refuses connections.
        let err = Store::connect("postgres://tambo:s3cret-pw@127.0.0.1:1/tambo")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(!err.to_string().contains("s3cret-pw"), "{err}");
        assert!(!format!("{err:?}").contains("s3cret-pw"), "{err:?}");
    }
}
