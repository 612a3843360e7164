use crate::errors::map_err;
use crate::file;
use crate::migrations::{LATEST_SCHEMA_VERSION, migrator};
use crate::time::{from_text, to_text};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{CredentialId, IdentityId, PasswordHash, SessionId, TokenHash, Username};
use multipass_store::{
    Backend, CredentialRecord, FailedSignIn, Identity, NewCredentials, NewIdentity, NewSession,
    OpenMode, RevocationReason, SessionOpened, SessionRecord, Store, StoreError, StoreStatus,
};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    path: PathBuf,
    _checkpointer: Arc<Checkpointer>,
}

/// How often the write-ahead log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// Copies the write-ahead log into the database file in the background. With SQLite's own
/// checkpoints, the commit that fills the log to 1000 pages does the copy and its fsyncs,
/// so one sign-in in thirty or so took three times as long as the rest. A PASSIVE
/// checkpoint never waits for readers or the writer. Ends with the last clone of the store;
/// closing the last connection checkpoints whatever is left.
#[derive(Debug)]
struct Checkpointer(tokio::task::AbortHandle);

impl Checkpointer {
    fn spawn(pool: SqlitePool) -> Self {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the next one tries again");
                }
            }
        });
        Self(task.abort_handle())
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) fn uuid_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(text).map_err(|e| sqlx::Error::Decode(format!("uuid {text:?}: {e}").into()))
}

pub(crate) fn uuid_from(row: &SqliteRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text)
        .map_err(|e| sqlx::Error::Decode(format!("{column} {text:?}: {e}").into()))
}

pub(crate) fn time_from(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    from_text(&row.try_get::<String, _>(column)?)
}

pub(crate) fn optional_time_from(
    row: &SqliteRow,
    column: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    row.try_get::<Option<String>, _>(column)?
        .as_deref()
        .map(from_text)
        .transpose()
}

impl SqliteStore {
    /// Opens (creating if needed) the store file at `path` and brings its schema up to
    /// date, refusing without changes a file whose schema is newer than this build.
    #[tracing::instrument(skip_all)]
    pub async fn open(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        let pool = file::connect(path, mode, 4, file::Checkpoints::Background).await?;
        let store = Self {
            _checkpointer: Arc::new(Checkpointer::spawn(pool.clone())),
            pool,
            path: path.to_owned(),
        };
        if mode == OpenMode::Migrate {
            file::migrate(&store.pool, &migrator(), LATEST_SCHEMA_VERSION).await?;
        }
        Ok(store)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Takes SQLite's single write lock up front, before anything is read, so that a
    /// read-modify-write never finds its reads stale.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)
    }
}

pub(crate) fn credential_from_row(row: &SqliteRow) -> Result<CredentialRecord, sqlx::Error> {
    let failed: i64 = row.try_get("failed_attempts")?;
    Ok(CredentialRecord {
        id: CredentialId::from_uuid(uuid_from(row, "id")?),
        identity_id: IdentityId::from_uuid(uuid_from(row, "identity_id")?),
        password_hash: PasswordHash::from_stored(row.try_get("password_hash")?),
        failed_attempts: u32::try_from(failed).unwrap_or(0),
        locked_at: optional_time_from(row, "locked_at")?,
        identity_active: row.try_get("is_active")?,
    })
}

const IDENTITY_BY_ID: &str = "SELECT p.id, p.full_name, p.email, c.username, p.verification_status, p.kyc_level, \
     p.role, p.created_at FROM identity_profiles p JOIN multipass_credentials c ON c.identity_id = p.id WHERE p.id = ?1";

fn identity_from_row(row: &SqliteRow) -> Result<Identity, sqlx::Error> {
    Ok(Identity {
        id: IdentityId::from_uuid(uuid_from(row, "id")?),
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        username: row.try_get("username")?,
        verification_status: row.try_get("verification_status")?,
        kyc_level: row.try_get("kyc_level")?,
        role: row.try_get("role")?,
        created_at: time_from(row, "created_at")?,
    })
}

async fn revoke_open_sessions(
    conn: &mut SqliteConnection,
    identity: &str,
    reason: RevocationReason,
    now: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE multipass_sessions SET revoked_at = ?2, revocation_reason = ?3 \
         WHERE identity_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
    )
    .bind(identity)
    .bind(now)
    .bind(reason.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

#[async_trait]
impl Store for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        let schema_version = file::applied_version(&self.pool).await?.unwrap_or(0);
        Ok(StoreStatus {
            backend: Backend::Sqlite,
            location: self.path.display().to_string(),
            schema_version,
            latest_known_version: LATEST_SCHEMA_VERSION,
            healthy: true,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn create_identity(
        &self,
        identity: NewIdentity,
        credentials: NewCredentials,
    ) -> Result<Identity, StoreError> {
        let mut tx = self.begin_write().await?;
        let identity_id = uuid_text(identity.id.as_uuid());
        let created_at = to_text(identity.created_at);
        sqlx::query(
            "INSERT INTO identity_profiles (id, full_name, email, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        )
        .bind(&identity_id)
        .bind(identity.full_name.as_str())
        .bind(identity.email.as_str())
        .bind(&created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO multipass_credentials (id, identity_id, username, password_hash, password_changed_at, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
        )
        .bind(uuid_text(credentials.id.as_uuid()))
        .bind(&identity_id)
        .bind(credentials.username.as_str())
        .bind(credentials.password_hash.as_str())
        .bind(&created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(IDENTITY_BY_ID)
            .bind(&identity_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let created = identity_from_row(&row).map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(created)
    }

    #[tracing::instrument(skip_all)]
    async fn identity(&self, id: IdentityId) -> Result<Identity, StoreError> {
        let row = sqlx::query(IDENTITY_BY_ID)
            .bind(uuid_text(id.as_uuid()))
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        identity_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn credentials_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT c.id, c.identity_id, c.password_hash, c.failed_attempts, c.locked_at, p.is_active \
             FROM multipass_credentials c JOIN identity_profiles p ON p.id = c.identity_id WHERE c.username = ?1",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref()
            .map(credential_from_row)
            .transpose()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn record_failed_sign_in(
        &self,
        credential: CredentialId,
        max_failed_attempts: u32,
        stale_lock_cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<FailedSignIn, StoreError> {
        let mut tx = self.begin_write().await?;
        let now_text = to_text(now);
        let row = sqlx::query(
            "UPDATE multipass_credentials SET \
               failed_attempts = CASE WHEN locked_at IS NOT NULL AND locked_at <= ?3 THEN 1 \
                                      ELSE failed_attempts + 1 END, \
               locked_at = CASE \
                 WHEN locked_at IS NOT NULL AND locked_at > ?3 THEN locked_at \
                 WHEN (CASE WHEN locked_at IS NOT NULL AND locked_at <= ?3 THEN 1 \
                            ELSE failed_attempts + 1 END) >= ?2 THEN ?4 \
                 ELSE NULL END, \
               last_failed_at = ?4 \
             WHERE id = ?1 \
             RETURNING identity_id, failed_attempts, locked_at, locked_at IS ?4 AS newly_locked",
        )
        .bind(uuid_text(credential.as_uuid()))
        .bind(i64::from(max_failed_attempts))
        .bind(to_text(stale_lock_cutoff))
        .bind(&now_text)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let identity: String = row.try_get("identity_id").map_err(map_err)?;
        let failed: i64 = row.try_get("failed_attempts").map_err(map_err)?;
        let locked_at = optional_time_from(&row, "locked_at").map_err(map_err)?;
        let newly_locked: bool = row.try_get("newly_locked").map_err(map_err)?;
        if newly_locked {
            revoke_open_sessions(
                &mut tx,
                &identity,
                RevocationReason::AccountLocked,
                &now_text,
            )
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(FailedSignIn {
            failed_attempts: u32::try_from(failed).unwrap_or(u32::MAX),
            locked_at,
            newly_locked,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn open_session(
        &self,
        credential: CredentialId,
        session: NewSession,
        stale_lock_cutoff: DateTime<Utc>,
    ) -> Result<SessionOpened, StoreError> {
        let mut tx = self.begin_write().await?;
        let credential_id = uuid_text(credential.as_uuid());
        let locked_at: Option<String> =
            sqlx::query_scalar("SELECT locked_at FROM multipass_credentials WHERE id = ?1")
                .bind(&credential_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
        let locked_at = locked_at
            .as_deref()
            .map(from_text)
            .transpose()
            .map_err(map_err)?;
        if locked_at.is_some_and(|at| at > stale_lock_cutoff) {
            tx.rollback().await.map_err(map_err)?;
            return Ok(SessionOpened::AccountLocked);
        }
        let created_at = to_text(session.created_at);
        sqlx::query(
            "UPDATE multipass_credentials SET failed_attempts = 0, locked_at = NULL, last_sign_in_at = ?2 \
             WHERE id = ?1",
        )
        .bind(&credential_id)
        .bind(&created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO multipass_sessions (id, identity_id, token_hash, kind, auth_method, device_info, \
             created_at, last_seen_at, expires_at, scopes, audience) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
        )
        .bind(uuid_text(session.id.as_uuid()))
        .bind(uuid_text(session.identity_id.as_uuid()))
        .bind(session.token_hash.as_str())
        .bind(session.kind.as_str())
        .bind(session.auth_method.as_str())
        .bind(session.device_info.to_string())
        .bind(&created_at)
        .bind(to_text(session.expires_at))
        .bind(serde_json::Value::from(session.scopes.clone()).to_string())
        .bind(&session.audience)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(SessionOpened::Opened)
    }

    #[tracing::instrument(skip_all)]
    async fn active_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, identity_id, created_at, expires_at FROM multipass_sessions \
             WHERE token_hash = ?1 AND kind <> 'sso' AND revoked_at IS NULL AND expires_at > ?2",
        )
        .bind(token_hash.as_str())
        .bind(to_text(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(|row| -> Result<SessionRecord, sqlx::Error> {
            Ok(SessionRecord {
                id: SessionId::from_uuid(uuid_from(&row, "id")?),
                identity_id: IdentityId::from_uuid(uuid_from(&row, "identity_id")?),
                created_at: time_from(&row, "created_at")?,
                expires_at: time_from(&row, "expires_at")?,
            })
        })
        .transpose()
        .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_session(
        &self,
        token_hash: &TokenHash,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_sessions SET revoked_at = ?2, revocation_reason = ?3 \
             WHERE token_hash = ?1 AND revoked_at IS NULL",
        )
        .bind(token_hash.as_str())
        .bind(to_text(now))
        .bind(reason.as_str())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn replace_password_hash(
        &self,
        credential: CredentialId,
        new_hash: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE multipass_credentials SET password_hash = ?2 WHERE id = ?1")
            .bind(uuid_text(credential.as_uuid()))
            .bind(new_hash)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// No commit copies the log into the file; the background task does, and it stops
    /// with the store.
    #[tokio::test]
    async fn checkpoints_run_in_the_background_and_stop_with_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
            .await
            .unwrap();
        let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(auto, 0);
        let task = store._checkpointer.0.clone();
        assert!(!task.is_finished());
        let copy = store.clone();
        drop(store);
        assert!(!task.is_finished(), "a clone still holds the store");
        drop(copy);
        tokio::task::yield_now().await;
        assert!(task.is_finished());
    }
}
