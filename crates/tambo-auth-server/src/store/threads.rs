//! Threads and messages. Every statement here filters on `project` and `context_key`: the
//! primary keys start with them, so an id alone can never reach a row.

use serde_json::Value;
use sqlx::query::{Query, QueryAs};
use sqlx::{Database, Encode, FromRow, Type};

use super::clock::{new_id, now_micros, rfc3339};
use super::limits::{self, Limits, is_id};
use super::page::{CursorKind, Position, THREAD_MESSAGES_LIMIT, paginate};
use super::{
    ContentPart, Message, NewMessage, NewThread, Order, Page, PageRequest, Role, RunStatus, Scope,
    Store, StoreError, Thread, ThreadUpdate, ThreadWithMessages,
};

/// `(id, name, metadata, created_at, updated_at)`
type ThreadRow = (String, Option<String>, Option<String>, i64, i64);
/// `(id, thread_id, role, content, metadata, created_at)`
type MessageRow = (String, String, String, String, Option<String>, i64);

const INSERT_THREAD: &str = "INSERT INTO threads \
    (project, context_key, id, name, metadata, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $6)";
const INSERT_MESSAGE: &str = "INSERT INTO messages \
    (project, context_key, thread_id, id, role, content, metadata, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const LIST_THREADS: PageSql = PageSql {
    first: "SELECT id, name, metadata, created_at, updated_at \
        FROM threads WHERE project = $1 AND context_key = $2 \
        ORDER BY created_at DESC, id DESC LIMIT $3",
    after: "SELECT id, name, metadata, created_at, updated_at \
        FROM threads WHERE project = $1 AND context_key = $2 \
        AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
        ORDER BY created_at DESC, id DESC LIMIT $5",
};
const GET_THREAD: &str = "SELECT id, name, metadata, created_at, updated_at \
    FROM threads WHERE project = $1 AND context_key = $2 AND id = $3";
const THREAD_EXISTS: &str =
    "SELECT 1 FROM threads WHERE project = $1 AND context_key = $2 AND id = $3";
const COUNT_MESSAGES: &str =
    "SELECT COUNT(*) FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3";
const UPDATE_THREAD: &str = "UPDATE threads \
    SET name = COALESCE($4, name), metadata = COALESCE($5, metadata), updated_at = $6 \
    WHERE project = $1 AND context_key = $2 AND id = $3 \
    RETURNING id, name, metadata, created_at, updated_at";
const TOUCH_THREAD: &str = "UPDATE threads SET updated_at = $4 \
    WHERE project = $1 AND context_key = $2 AND id = $3";
const DELETE_MESSAGES_OF_THREAD: &str =
    "DELETE FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3";
const DELETE_THREAD: &str =
    "DELETE FROM threads WHERE project = $1 AND context_key = $2 AND id = $3";

const GET_MESSAGE: &str = "SELECT id, thread_id, role, content, metadata, created_at \
    FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3 AND id = $4";
const LIST_MESSAGES_ASC: PageSql = PageSql {
    first: "SELECT id, thread_id, role, content, metadata, created_at \
        FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3 \
        ORDER BY created_at ASC, id ASC LIMIT $4",
    after: "SELECT id, thread_id, role, content, metadata, created_at \
        FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3 \
        AND (created_at > $4 OR (created_at = $4 AND id > $5)) \
        ORDER BY created_at ASC, id ASC LIMIT $6",
};
const LIST_MESSAGES_DESC: PageSql = PageSql {
    first: "SELECT id, thread_id, role, content, metadata, created_at \
        FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3 \
        ORDER BY created_at DESC, id DESC LIMIT $4",
    after: "SELECT id, thread_id, role, content, metadata, created_at \
        FROM messages WHERE project = $1 AND context_key = $2 AND thread_id = $3 \
        AND (created_at < $4 OR (created_at = $4 AND id < $5)) \
        ORDER BY created_at DESC, id DESC LIMIT $6",
};

/// The two statements that read one page of rows: from the start, and after a position.
#[derive(Clone, Copy)]
struct PageSql {
    /// Binds the scope, the thread (when listing messages), then how many rows to fetch.
    first: &'static str,
    /// Binds the scope, the thread (when listing messages), the position's time and id, then
    /// how many rows to fetch.
    after: &'static str,
}

/// `sql` with `$1` the project and `$2` the context key of `scope` bound: every statement that
/// reads threads or messages starts so.
fn scoped<'q, DB, O>(sql: &'static str, scope: &'q Scope) -> QueryAs<'q, DB, O, DB::Arguments>
where
    DB: Database,
    O: for<'r> FromRow<'r, DB::Row>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
{
    sqlx::query_as(sql)
        .bind(scope.project.as_str())
        .bind(scope.context_key.as_str())
}

/// The query for the page of `scope`'s rows after `after` (from the start when `None`), with
/// `thread` bound after the scope when the rows are a thread's messages.
fn page_query<'q, DB, O>(
    sql: PageSql,
    scope: &'q Scope,
    thread: Option<&'q str>,
    after: Option<&'q Position>,
    fetch: i64,
) -> QueryAs<'q, DB, O, DB::Arguments>
where
    DB: Database,
    O: for<'r> FromRow<'r, DB::Row>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    let query = scoped(
        if after.is_some() {
            sql.after
        } else {
            sql.first
        },
        scope,
    );
    let query = match thread {
        Some(thread) => query.bind(thread),
        None => query,
    };
    match after {
        Some(after) => query
            .bind(after.created_at)
            .bind(after.id.as_str())
            .bind(fetch),
        None => query.bind(fetch),
    }
}

/// A message ready to insert: ids, time and JSON text fixed before the transaction starts.
struct PreparedMessage {
    id: String,
    role: Role,
    content: String,
    metadata: Option<String>,
    created_at: i64,
}

impl PreparedMessage {
    /// Refuses a message over `limits.max_message_bytes` as stored (content and metadata as
    /// JSON, where a NUL is the escape `\u0000`).
    fn new(new: &NewMessage, limits: Limits) -> Result<Self, StoreError> {
        let content = to_json(&new.content)?;
        let metadata = new.metadata.as_ref().map(to_json).transpose()?;
        if content.len() + metadata.as_ref().map_or(0, String::len) > limits.max_message_bytes {
            return Err(StoreError::MessageTooLarge {
                max: limits.max_message_bytes,
            });
        }
        Ok(PreparedMessage {
            id: new_id("msg")?,
            role: new.role,
            content,
            metadata,
            created_at: now_micros(),
        })
    }

    /// The statement that stores this message in the thread `thread_id` of `scope`, for either
    /// backend.
    fn insert<'q, DB>(&self, scope: &Scope, thread_id: &str) -> Query<'q, DB, DB::Arguments>
    where
        DB: Database,
        for<'a> &'a str: Encode<'a, DB> + Type<DB>,
        for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
        for<'a> i64: Encode<'a, DB> + Type<DB>,
    {
        sqlx::query(INSERT_MESSAGE)
            .bind(scope.project.as_str())
            .bind(scope.context_key.as_str())
            .bind(thread_id)
            .bind(self.id.as_str())
            .bind(self.role.as_str())
            .bind(self.content.as_str())
            .bind(self.metadata.as_deref())
            .bind(self.created_at)
    }

    fn into_message(self, thread_id: &str, new: NewMessage) -> Result<Message, StoreError> {
        Ok(Message {
            id: self.id,
            thread_id: thread_id.to_owned(),
            role: new.role,
            content: new.content,
            created_at: rfc3339(self.created_at)?,
            metadata: new.metadata,
        })
    }
}

impl Store {
    /// Creates a thread owned by `scope`, with its initial messages, in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a name with a NUL character or a scope the store cannot
    /// key, [`StoreError::ThreadFull`] for more initial messages than
    /// [`Limits::max_messages_per_thread`], [`StoreError::MessageTooLarge`],
    /// [`StoreError::Database`] when the database fails; nothing is stored then.
    pub async fn create_thread(&self, scope: &Scope, new: NewThread) -> Result<Thread, StoreError> {
        limits::scope(scope)?;
        if let Some(name) = &new.name {
            limits::storable("name", name)?;
        }
        let max = self.limits.max_messages_per_thread;
        if new.initial_messages.len() > max as usize {
            return Err(StoreError::ThreadFull { max });
        }
        let id = new_id("thr")?;
        let metadata = new.metadata.as_ref().map(to_json).transpose()?;
        let created_at = now_micros();
        let messages = new
            .initial_messages
            .iter()
            .map(|m| PreparedMessage::new(m, self.limits))
            .collect::<Result<Vec<_>, _>>()?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(INSERT_THREAD)
                .bind(&scope.project)
                .bind(&scope.context_key)
                .bind(&id)
                .bind(&new.name)
                .bind(&metadata)
                .bind(created_at)
                .execute(&mut *tx)
                .await?;
            for m in &messages {
                m.insert(scope, &id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(Thread {
            id,
            created_at: rfc3339(created_at)?,
            updated_at: rfc3339(created_at)?,
            run_status: RunStatus::Idle,
            name: new.name,
            metadata: new.metadata,
        })
    }

    /// Lists the threads of `scope`, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidCursor`], [`StoreError::InvalidLimit`], [`StoreError::Database`].
    pub async fn list_threads(
        &self,
        scope: &Scope,
        page: PageRequest,
    ) -> Result<Page<Thread>, StoreError> {
        limits::scope(scope)?;
        let (after, limit) = page.resolve(CursorKind::Threads)?;
        let fetch = i64::from(limit) + 1;
        let rows: Vec<ThreadRow> = with_pool!(self, pool => {
            page_query(LIST_THREADS, scope, None, after.as_ref(), fetch)
                .fetch_all(pool)
                .await?
        });
        paginate(
            rows,
            limit,
            CursorKind::Threads,
            |r| Position {
                created_at: r.3,
                id: r.0.clone(),
            },
            thread_from_row,
        )
    }

    /// The thread `id` of `scope` with a page of its messages, oldest first: `page.limit`
    /// of them ([`THREAD_MESSAGES_LIMIT`] when it names none, at most
    /// [`MAX_LIMIT`](super::MAX_LIMIT)), after `page.cursor`. `None` when `scope` has no such
    /// thread, whoever else may have one.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidCursor`], [`StoreError::InvalidLimit`],
    /// [`StoreError::InvalidInput`], [`StoreError::Database`].
    pub async fn get_thread(
        &self,
        scope: &Scope,
        id: &str,
        page: PageRequest,
    ) -> Result<Option<ThreadWithMessages>, StoreError> {
        limits::scope(scope)?;
        let (after, limit) = page.resolve_or(CursorKind::Messages, THREAD_MESSAGES_LIMIT)?;
        if !is_id("thr", id) {
            return Ok(None);
        }
        let fetch = i64::from(limit) + 1;
        let found: Option<(ThreadRow, Vec<MessageRow>)> = with_pool!(self, pool => {
            // One transaction, so the messages match the thread (none deleted in between).
            let mut tx = pool.begin().await?;
            let thread: Option<ThreadRow> = scoped(GET_THREAD, scope)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let found = match thread {
                None => None,
                Some(thread) => {
                    let messages: Vec<MessageRow> =
                        page_query(LIST_MESSAGES_ASC, scope, Some(id), after.as_ref(), fetch)
                            .fetch_all(&mut *tx)
                            .await?;
                    Some((thread, messages))
                }
            };
            tx.commit().await?;
            found
        });
        let Some((thread, messages)) = found else {
            return Ok(None);
        };
        let page = message_page(messages, limit)?;
        Ok(Some(ThreadWithMessages {
            thread: thread_from_row(thread)?,
            messages: page.items,
            has_more: page.has_more,
            next_cursor: page.next_cursor,
        }))
    }

    /// Renames the thread or replaces its metadata (fields left `None` keep their value) and
    /// moves `updated_at`; `None` when `scope` has no such thread.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`], [`StoreError::Database`].
    pub async fn update_thread(
        &self,
        scope: &Scope,
        id: &str,
        update: ThreadUpdate,
    ) -> Result<Option<Thread>, StoreError> {
        limits::scope(scope)?;
        if let Some(name) = &update.name {
            limits::storable("name", name)?;
        }
        if !is_id("thr", id) {
            return Ok(None);
        }
        let metadata = update.metadata.as_ref().map(to_json).transpose()?;
        let now = now_micros();
        let row: Option<ThreadRow> = with_pool!(self, pool => {
            scoped(UPDATE_THREAD, scope)
                .bind(id)
                .bind(&update.name)
                .bind(&metadata)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        row.map(thread_from_row).transpose()
    }

    /// Deletes the thread and its messages; `false` when `scope` has no such thread.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn delete_thread(&self, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        limits::scope(scope)?;
        if !is_id("thr", id) {
            return Ok(false);
        }
        let deleted = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Messages first (the foreign key cascades too; this does not depend on it).
            sqlx::query(DELETE_MESSAGES_OF_THREAD)
                .bind(&scope.project)
                .bind(&scope.context_key)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let deleted = sqlx::query(DELETE_THREAD)
                .bind(&scope.project)
                .bind(&scope.context_key)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            deleted
        });
        Ok(deleted > 0)
    }

    /// Appends a message to the thread and moves the thread's `updated_at`; `None` when `scope`
    /// has no such thread.
    ///
    /// # Errors
    ///
    /// [`StoreError::ThreadFull`] when the thread holds
    /// [`Limits::max_messages_per_thread`] messages already, [`StoreError::MessageTooLarge`],
    /// [`StoreError::InvalidInput`], [`StoreError::Database`].
    pub async fn add_message(
        &self,
        scope: &Scope,
        thread_id: &str,
        new: NewMessage,
    ) -> Result<Option<Message>, StoreError> {
        limits::scope(scope)?;
        let m = PreparedMessage::new(&new, self.limits)?;
        if !is_id("thr", thread_id) {
            return Ok(None);
        }
        let max = self.limits.max_messages_per_thread;
        let added = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Write first: the update both checks ownership and takes the write lock, so an
            // SQLite transaction never has to upgrade from reading to writing.
            let touched = sqlx::query(TOUCH_THREAD)
                .bind(&scope.project)
                .bind(&scope.context_key)
                .bind(thread_id)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if touched == 0 {
                tx.rollback().await?;
                Added::NoThread
            } else {
                // Counted under the thread's row lock (the update above): two writers cannot
                // both see room for the last message.
                let (count,): (i64,) = scoped(COUNT_MESSAGES, scope)
                    .bind(thread_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if count >= i64::from(max) {
                    tx.rollback().await?;
                    Added::Full
                } else {
                    m.insert(scope, thread_id).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Added::Yes
                }
            }
        });
        match added {
            Added::NoThread => Ok(None),
            Added::Full => Err(StoreError::ThreadFull { max }),
            Added::Yes => m.into_message(thread_id, new).map(Some),
        }
    }

    /// A page of the thread's messages in `order`; `None` when `scope` has no such thread.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidCursor`], [`StoreError::InvalidLimit`], [`StoreError::Database`].
    pub async fn list_messages(
        &self,
        scope: &Scope,
        thread_id: &str,
        page: PageRequest,
        order: Order,
    ) -> Result<Option<Page<Message>>, StoreError> {
        limits::scope(scope)?;
        let (after, limit) = page.resolve(CursorKind::Messages)?;
        if !is_id("thr", thread_id) {
            return Ok(None);
        }
        let fetch = i64::from(limit) + 1;
        let sql = match order {
            Order::Asc => LIST_MESSAGES_ASC,
            Order::Desc => LIST_MESSAGES_DESC,
        };
        let rows: Option<Vec<MessageRow>> = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let exists: Option<(i32,)> = scoped(THREAD_EXISTS, scope)
                .bind(thread_id)
                .fetch_optional(&mut *tx)
                .await?;
            let rows = match exists {
                None => None,
                Some(_) => Some(
                    page_query(sql, scope, Some(thread_id), after.as_ref(), fetch)
                        .fetch_all(&mut *tx)
                        .await?,
                ),
            };
            tx.commit().await?;
            rows
        });
        let Some(rows) = rows else {
            return Ok(None);
        };
        message_page(rows, limit).map(Some)
    }

    /// One message of the thread; `None` when `scope` has no such thread or message.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn get_message(
        &self,
        scope: &Scope,
        thread_id: &str,
        message_id: &str,
    ) -> Result<Option<Message>, StoreError> {
        limits::scope(scope)?;
        if !is_id("thr", thread_id) || !is_id("msg", message_id) {
            return Ok(None);
        }
        let row: Option<MessageRow> = with_pool!(self, pool => {
            scoped(GET_MESSAGE, scope)
                .bind(thread_id)
                .bind(message_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(message_from_row).transpose()
    }
}

/// What `add_message` did.
enum Added {
    Yes,
    NoThread,
    Full,
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::Internal("a value could not be encoded"))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Internal("a stored value is not valid JSON"))
}

fn thread_from_row(
    (id, name, metadata, created_at, updated_at): ThreadRow,
) -> Result<Thread, StoreError> {
    Ok(Thread {
        id,
        created_at: rfc3339(created_at)?,
        updated_at: rfc3339(updated_at)?,
        run_status: RunStatus::Idle,
        name,
        metadata: metadata.as_deref().map(from_json::<Value>).transpose()?,
    })
}

/// The page of messages in `limit + 1` fetched rows.
fn message_page(rows: Vec<MessageRow>, limit: u32) -> Result<Page<Message>, StoreError> {
    paginate(
        rows,
        limit,
        CursorKind::Messages,
        |r| Position {
            created_at: r.5,
            id: r.0.clone(),
        },
        message_from_row,
    )
}

fn message_from_row(
    (id, thread_id, role, content, metadata, created_at): MessageRow,
) -> Result<Message, StoreError> {
    Ok(Message {
        id,
        thread_id,
        role: Role::parse(&role)
            .ok_or(StoreError::Internal("a stored message has an unknown role"))?,
        content: from_json::<Vec<ContentPart>>(&content)?,
        created_at: rfc3339(created_at)?,
        metadata: metadata.as_deref().map(from_json::<Value>).transpose()?,
    })
}
