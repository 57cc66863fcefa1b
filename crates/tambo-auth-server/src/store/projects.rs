//! Projects managed at run time (the admin API): their settings, API key digests and the
//! audit trail of every change. Each change and its audit entry are written in one
//! transaction. Times are Unix seconds.

use std::fmt;

use super::{Store, StoreError, limits};

/// A project as stored: settings JSON without secrets, and the secrets' ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredProject {
    /// The project id (`p_…`).
    pub id: String,
    /// A name for people.
    pub name: String,
    /// JSON `{"verification"?: {…}, "provider"?: {…}}`, secrets removed.
    pub settings: String,
    /// The secrets' AEAD ciphertext (see `crate::admin::SecretKey`), when there are any.
    pub secrets: Option<String>,
    /// When it was created.
    pub created_at: i64,
    /// When its settings last changed.
    pub updated_at: i64,
}

impl fmt::Debug for StoredProject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredProject")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("settings", &self.settings)
            .field("secrets", &self.secrets.as_ref().map(|_| "<encrypted>"))
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// An API key as stored: its digest, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    /// The key's id (`key_…`), for listing and deleting.
    pub id: String,
    /// Its project.
    pub project: String,
    /// Hex SHA-256 of the key.
    pub digest: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// When it was created.
    pub created_at: i64,
    /// When an exchange last used it (recorded at most once a minute per replica).
    pub last_used_at: Option<i64>,
}

/// One change, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: i64,
    /// Who (`admin-api`, `cli`).
    pub actor: String,
    /// What: `project.create`, `project.verification`, `api_key.create`, `api_key.delete`.
    pub action: String,
    /// Which project.
    pub project: Option<String>,
    /// Details as JSON: setting names and ids, never a secret or a key.
    pub detail: String,
}

type ProjectRow = (String, String, String, Option<String>, i64, i64);
type KeyRow = (String, String, String, String, i64, Option<i64>);

const PROJECTS: &str = "SELECT id, name, settings, secrets, created_at, updated_at \
    FROM projects ORDER BY id";
const PROJECT: &str = "SELECT id, name, settings, secrets, created_at, updated_at \
    FROM projects WHERE id = $1";
const INSERT_PROJECT: &str = "INSERT INTO projects \
    (id, name, settings, secrets, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (id) DO NOTHING";
const UPDATE_SETTINGS: &str =
    "UPDATE projects SET settings = $2, secrets = $3, updated_at = $4 WHERE id = $1";
const API_KEYS: &str = "SELECT id, project, digest, prefix, created_at, last_used_at \
    FROM api_keys ORDER BY project, created_at, id";
const INSERT_API_KEY: &str = "INSERT INTO api_keys \
    (id, project, digest, prefix, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6)";
const DELETE_API_KEY: &str = "DELETE FROM api_keys WHERE project = $1 AND id = $2";
const TOUCH_API_KEY: &str = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";
const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, actor, action, project, detail) VALUES ($1, $2, $3, $4, $5)";
const AUDIT: &str = "SELECT at, actor, action, project, detail FROM audit_log \
    ORDER BY id DESC LIMIT $1";

fn project(row: ProjectRow) -> StoredProject {
    let (id, name, settings, secrets, created_at, updated_at) = row;
    StoredProject {
        id,
        name,
        settings,
        secrets,
        created_at,
        updated_at,
    }
}

/// Writes `$change` and the audit entry `$audit` in one transaction on `$pool`.
macro_rules! audited {
    ($pool:ident, $audit:expr, |$tx:ident| $change:expr) => {{
        let mut $tx = $pool.begin().await?;
        let changed = $change;
        let audit: &AuditEntry = $audit;
        sqlx::query(INSERT_AUDIT)
            .bind(audit.at)
            .bind(&audit.actor)
            .bind(&audit.action)
            .bind(&audit.project)
            .bind(&audit.detail)
            .execute(&mut *$tx)
            .await?;
        $tx.commit().await?;
        changed
    }};
}

impl Store {
    /// Every stored project, by id.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn projects(&self) -> Result<Vec<StoredProject>, StoreError> {
        let rows: Vec<ProjectRow> = with_pool!(self, pool => {
            sqlx::query_as(PROJECTS).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(project).collect())
    }

    /// The stored project `id`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn project(&self, id: &str) -> Result<Option<StoredProject>, StoreError> {
        limits::key("project id", id)?;
        let row: Option<ProjectRow> = with_pool!(self, pool => {
            sqlx::query_as(PROJECT).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(project))
    }

    /// Stores a new project with its audit entry; `false` when the id is taken.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn insert_project(
        &self,
        new: &StoredProject,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        limits::key("project id", &new.id)?;
        limits::storable("name", &new.name)?;
        let inserted = with_pool!(self, pool => audited!(pool, audit, |tx| {
            sqlx::query(INSERT_PROJECT)
                .bind(&new.id)
                .bind(&new.name)
                .bind(&new.settings)
                .bind(&new.secrets)
                .bind(new.created_at)
                .bind(new.updated_at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }));
        Ok(inserted > 0)
    }

    /// Replaces a project's settings and secrets with its audit entry; `false` when there is
    /// no such project.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn update_project_settings(
        &self,
        id: &str,
        settings: &str,
        secrets: Option<&str>,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        limits::key("project id", id)?;
        let updated = with_pool!(self, pool => audited!(pool, audit, |tx| {
            sqlx::query(UPDATE_SETTINGS)
                .bind(id)
                .bind(settings)
                .bind(secrets)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }));
        Ok(updated > 0)
    }

    /// Every stored API key, by project and age.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn api_keys(&self) -> Result<Vec<StoredApiKey>, StoreError> {
        let rows: Vec<KeyRow> = with_pool!(self, pool => {
            sqlx::query_as(API_KEYS).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, project, digest, prefix, created_at, last_used_at)| StoredApiKey {
                    id,
                    project,
                    digest,
                    prefix,
                    created_at,
                    last_used_at,
                },
            )
            .collect())
    }

    /// Stores a new API key's digest with its audit entry.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] (a digest or id already stored included).
    pub async fn insert_api_key(
        &self,
        key: &StoredApiKey,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => audited!(pool, audit, |tx| {
            sqlx::query(INSERT_API_KEY)
                .bind(&key.id)
                .bind(&key.project)
                .bind(&key.digest)
                .bind(&key.prefix)
                .bind(key.created_at)
                .bind(key.last_used_at)
                .execute(&mut *tx)
                .await?;
        }));
        Ok(())
    }

    /// Deletes an API key of `project` with its audit entry; `false` when there was none.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn delete_api_key(
        &self,
        project: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        limits::key("project id", project)?;
        limits::key("key id", id)?;
        let deleted = with_pool!(self, pool => audited!(pool, audit, |tx| {
            sqlx::query(DELETE_API_KEY)
                .bind(project)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }));
        Ok(deleted > 0)
    }

    /// Records that an exchange used the key `id` at `at`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn touch_api_key(&self, id: &str, at: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(TOUCH_API_KEY).bind(id).bind(at).execute(pool).await?;
        });
        Ok(())
    }

    /// The latest `limit` audit entries, newest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, Option<String>, String)> = with_pool!(self, pool => {
            sqlx::query_as(AUDIT).bind(limit).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, project, detail)| AuditEntry {
                at,
                actor,
                action,
                project,
                detail,
            })
            .collect())
    }
}
