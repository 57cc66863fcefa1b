//! Token revocations and the Tambo token key ring: state every replica must share.
//!
//! Times here are Unix seconds, like the JWT claims they are compared with.

use std::fmt;

use super::{Store, StoreError};

/// Every revocation on record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocations {
    /// `(jti, expires_at)`: tokens revoked one by one, kept until they would have expired.
    pub tokens: Vec<(String, i64)>,
    /// `(project, context_key, before)`: every token of that user issued before `before`.
    pub users: Vec<(String, String, i64)>,
}

/// One key of the Tambo token key ring.
///
/// `Debug` prints `private_pem` as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The JWS algorithm it signs with (`EdDSA`, `ES256`, `HS256`).
    pub alg: String,
    /// The private key, PKCS#8 PEM (or the secret, for HS256).
    pub private_pem: String,
    /// When it was made, Unix seconds.
    pub created_at: i64,
    /// Whether it signs new tokens. At most one key is active.
    pub active: bool,
    /// When it may be deleted (its last token has expired), Unix seconds; `None` while in use.
    pub retire_at: Option<i64>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_pem", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("active", &self.active)
            .field("retire_at", &self.retire_at)
            .finish()
    }
}

/// `(kid, alg, private_pem, created_at, active, retire_at)`
type KeyRow = (String, String, String, i64, bool, Option<i64>);

// A later revocation never shortens an earlier one.
const REVOKE_TOKEN: &str = "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) \
    ON CONFLICT (jti) DO UPDATE SET expires_at = CASE \
    WHEN excluded.expires_at > revoked_tokens.expires_at THEN excluded.expires_at \
    ELSE revoked_tokens.expires_at END";
const REVOKE_USER: &str = "INSERT INTO revoked_users (project, context_key, revoked_before) \
    VALUES ($1, $2, $3) \
    ON CONFLICT (project, context_key) DO UPDATE SET revoked_before = CASE \
    WHEN excluded.revoked_before > revoked_users.revoked_before THEN excluded.revoked_before \
    ELSE revoked_users.revoked_before END";
const REVOKED_TOKENS: &str = "SELECT jti, expires_at FROM revoked_tokens ORDER BY jti";
const REVOKED_USERS: &str = "SELECT project, context_key, revoked_before FROM revoked_users \
    ORDER BY project, context_key";
const PURGE_REVOKED_TOKENS: &str = "DELETE FROM revoked_tokens WHERE expires_at <= $1";

const DEACTIVATE_OTHER_KEYS: &str =
    "UPDATE signing_keys SET active = FALSE WHERE active AND kid <> $1";
const SAVE_KEY: &str = "INSERT INTO signing_keys \
    (kid, alg, private_pem, created_at, active, retire_at) VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (kid) DO UPDATE SET alg = excluded.alg, private_pem = excluded.private_pem, \
    active = excluded.active, retire_at = excluded.retire_at";
const SIGNING_KEYS: &str = "SELECT kid, alg, private_pem, created_at, active, retire_at \
    FROM signing_keys ORDER BY created_at, kid";
const DELETE_KEY: &str = "DELETE FROM signing_keys WHERE kid = $1";
const DELETE_INACTIVE_KEY: &str = "DELETE FROM signing_keys WHERE kid = $1 AND NOT active";

impl Store {
    /// Revokes one token until `expires_at` (its `exp`). Revoking again keeps the later time.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a `jti` the store cannot key, [`StoreError::Database`].
    pub async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        super::limits::key("token id", jti)?;
        with_pool!(self, pool => {
            sqlx::query(REVOKE_TOKEN).bind(jti).bind(expires_at).execute(pool).await?;
        });
        Ok(())
    }

    /// Revokes every token of one user of one project issued before `before` (`iat < before`).
    /// Revoking again keeps the later time.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a project or context key the store cannot key,
    /// [`StoreError::Database`].
    pub async fn revoke_user(
        &self,
        project: &str,
        context_key: &str,
        before: i64,
    ) -> Result<(), StoreError> {
        super::limits::scope(&super::Scope::new(project, context_key))?;
        with_pool!(self, pool => {
            sqlx::query(REVOKE_USER)
                .bind(project)
                .bind(context_key)
                .bind(before)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every revocation on record, sorted.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn revocations(&self) -> Result<Revocations, StoreError> {
        let (tokens, users) = with_pool!(self, pool => {
            let tokens: Vec<(String, i64)> =
                sqlx::query_as(REVOKED_TOKENS).fetch_all(pool).await?;
            let users: Vec<(String, String, i64)> =
                sqlx::query_as(REVOKED_USERS).fetch_all(pool).await?;
            (tokens, users)
        });
        Ok(Revocations { tokens, users })
    }

    /// Forgets token revocations whose token has expired by `now` (Unix seconds); returns how
    /// many. User revocations are kept: they are one row per user.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn purge_expired_revocations(&self, now: i64) -> Result<u64, StoreError> {
        let purged = with_pool!(self, pool => {
            sqlx::query(PURGE_REVOKED_TOKENS).bind(now).execute(pool).await?.rows_affected()
        });
        Ok(purged)
    }

    /// Inserts or replaces (by `kid`) a key of the ring. Saving an active key deactivates the
    /// previously active one in the same transaction, so exactly one key signs at a time.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn save_signing_key(&self, key: StoredKey) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if key.active {
                sqlx::query(DEACTIVATE_OTHER_KEYS).bind(&key.kid).execute(&mut *tx).await?;
            }
            sqlx::query(SAVE_KEY)
                .bind(&key.kid)
                .bind(&key.alg)
                .bind(&key.private_pem)
                .bind(key.created_at)
                .bind(key.active)
                .bind(key.retire_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every key of the ring, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = with_pool!(self, pool => {
            sqlx::query_as(SIGNING_KEYS).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(kid, alg, private_pem, created_at, active, retire_at)| StoredKey {
                    kid,
                    alg,
                    private_pem,
                    created_at,
                    active,
                    retire_at,
                },
            )
            .collect())
    }

    /// Deletes a key of the ring (once it is retired); `false` when there was none.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn delete_signing_key(&self, kid: &str) -> Result<bool, StoreError> {
        let deleted = with_pool!(self, pool => {
            sqlx::query(DELETE_KEY).bind(kid).execute(pool).await?.rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Deletes a key of the ring unless it is the active one (`tambo-auth keys remove`);
    /// `false` when no inactive key has this `kid`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`].
    pub async fn delete_inactive_signing_key(&self, kid: &str) -> Result<bool, StoreError> {
        let deleted = with_pool!(self, pool => {
            sqlx::query(DELETE_INACTIVE_KEY).bind(kid).execute(pool).await?.rows_affected()
        });
        Ok(deleted > 0)
    }
}
