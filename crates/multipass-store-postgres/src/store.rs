use crate::errors::{map_err, map_migrate_err};
use crate::migrations::{LATEST_SCHEMA_VERSION, migrator};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{CredentialId, IdentityId, PasswordHash, SessionId, TokenHash, Username};
use multipass_store::{
    Backend, CredentialRecord, FailedSignIn, Identity, NewCredentials, NewIdentity, NewSession,
    OpenMode, RevocationReason, SessionOpened, SessionRecord, Store, StoreError, StoreStatus,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Row};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PgStoreOptions {
    pub connect: PgConnectOptions,
    pub max_connections: u32,
    /// How long start-up and each request wait for a connection before reporting the
    /// database as unavailable.
    pub acquire_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// Where report queries run: a read replica's pool, or `pool`.
    pub(crate) report_pool: Option<PgPool>,
    location: String,
}

/// `host:port/database as user`, never the password.
fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{} as {}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username()),
        options.get_username()
    )
}

/// How long a pooled connection may sit idle before it is checked with a ping on its next
/// use. A connection in steady use is not pinged: sqlx's default pings on every checkout,
/// one extra round trip per statement run outside a transaction, which doubled the round
/// trips of a session check. One idle for a while may have been dropped by the server or
/// the network, so it is still checked.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// The pool settings of every [`PgStore`]; tools that build their own pool over a migrated
/// database (benchmarks, tests) start from these too.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

impl PgStore {
    /// Connects and brings the schema up to date. Refuses, without changing anything, a
    /// database whose schema is newer than this build, or one whose enterprise tables were
    /// created without the migration history this app relies on.
    #[tracing::instrument(skip_all)]
    pub async fn open(options: PgStoreOptions, mode: OpenMode) -> Result<Self, StoreError> {
        let location = describe(&options.connect);
        // One direct attempt first: the pool retries refused connections until its
        // acquire timeout, which would make a mistyped host look like a hang.
        let probe = tokio::time::timeout(
            options.acquire_timeout,
            PgConnection::connect_with(&options.connect),
        )
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "no answer from {location} within {:?}",
                options.acquire_timeout
            ))
        })?
        .map_err(map_err)?;
        let _ = probe.close().await;
        let pool = pool_options()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(options.connect)
            .await
            .map_err(map_err)?;
        let store = Self {
            pool,
            report_pool: None,
            location,
        };
        if mode == OpenMode::Migrate {
            store.check_schema_is_not_newer().await?;
            migrator().run(&store.pool).await.map_err(map_migrate_err)?;
        }
        Ok(store)
    }

    /// Runs report queries on a read replica of this database, so heavy reports never load
    /// the primary. The replica is reached when a report runs: while it does not answer,
    /// reports answer `unavailable` rather than falling back to the primary.
    pub fn with_report_replica(
        mut self,
        replica: PgConnectOptions,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Self {
        let pool = pool_options()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout)
            .connect_lazy_with(replica);
        self.report_pool = Some(pool);
        self
    }

    /// Wraps a pool whose database is already migrated (tests, tools).
    pub fn from_migrated_pool(pool: PgPool) -> Self {
        let location = describe(&pool.connect_options());
        Self {
            pool,
            report_pool: None,
            location,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn applied_version(&self) -> Result<Option<i64>, StoreError> {
        let has_history: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
        if !has_history {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn check_schema_is_not_newer(&self) -> Result<(), StoreError> {
        match self.applied_version().await? {
            Some(found) if found > LATEST_SCHEMA_VERSION => Err(StoreError::SchemaTooNew {
                found,
                known: LATEST_SCHEMA_VERSION,
            }),
            Some(_) => Ok(()),
            None => {
                let tables_exist: bool =
                    sqlx::query_scalar("SELECT to_regclass('identity_profiles') IS NOT NULL")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_err)?;
                if tables_exist {
                    return Err(StoreError::Migration(
                        "the enterprise tables exist but the database has no migration history \
                         (_sqlx_migrations), so they were created by hand, e.g. with psql; apply the \
                         schema with `multipass migrate` or `sqlx migrate run --source migrations/sqlx` \
                         on an empty database instead"
                            .into(),
                    ));
                }
                Ok(())
            }
        }
    }
}

fn identity_from_row(row: &sqlx::postgres::PgRow) -> Result<Identity, sqlx::Error> {
    Ok(Identity {
        id: IdentityId::from_uuid(row.try_get("id")?),
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        username: row.try_get("username")?,
        verification_status: row.try_get("verification_status")?,
        kyc_level: row.try_get("kyc_level")?,
        role: row.try_get("role")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn credential_from_row(
    row: &sqlx::postgres::PgRow,
) -> Result<CredentialRecord, sqlx::Error> {
    let failed: i32 = row.try_get("failed_attempts")?;
    Ok(CredentialRecord {
        id: CredentialId::from_uuid(row.try_get("id")?),
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        password_hash: PasswordHash::from_stored(row.try_get("password_hash")?),
        failed_attempts: u32::try_from(failed).unwrap_or(0),
        locked_at: row.try_get("locked_at")?,
        identity_active: row.try_get("is_active")?,
    })
}

const IDENTITY_BY_ID: &str = "SELECT p.id, p.full_name, p.email, c.username, p.verification_status, p.kyc_level, \
     p.role, p.created_at FROM identity_profiles p JOIN multipass_credentials c ON c.identity_id = p.id WHERE p.id = $1";

async fn revoke_open_sessions(
    conn: &mut PgConnection,
    identity: Uuid,
    reason: RevocationReason,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE multipass_sessions SET revoked_at = $2, revocation_reason = $3 \
         WHERE identity_id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(identity)
    .bind(now)
    .bind(reason.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

#[async_trait]
impl Store for PgStore {
    fn server_secrets(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn multipass_store::ServerSecretStore>> {
        Some(self)
    }

    fn shared_policy(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn multipass_store::SharedPolicyStore>> {
        Some(self)
    }

    #[tracing::instrument(skip_all)]
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        let schema_version = self.applied_version().await?.unwrap_or(0);
        Ok(StoreStatus {
            backend: Backend::Postgres,
            location: self.location.clone(),
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO identity_profiles (id, full_name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(identity.id.as_uuid())
        .bind(identity.full_name.as_str())
        .bind(identity.email.as_str())
        .bind(identity.created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO multipass_credentials (id, identity_id, username, password_hash, password_changed_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $5)",
        )
        .bind(credentials.id.as_uuid())
        .bind(identity.id.as_uuid())
        .bind(credentials.username.as_str())
        .bind(credentials.password_hash.as_str())
        .bind(identity.created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(IDENTITY_BY_ID)
            .bind(identity.id.as_uuid())
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
            .bind(id.as_uuid())
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
             FROM multipass_credentials c JOIN identity_profiles p ON p.id = c.identity_id WHERE c.username = $1",
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
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        // One statement: PostgreSQL re-evaluates it against the newest row version when
        // concurrent failures collide, so no attempt is lost.
        let row = sqlx::query(
            "UPDATE multipass_credentials SET \
               failed_attempts = CASE WHEN locked_at IS NOT NULL AND locked_at <= $3 THEN 1 \
                                      ELSE failed_attempts + 1 END, \
               locked_at = CASE \
                 WHEN locked_at IS NOT NULL AND locked_at > $3 THEN locked_at \
                 WHEN (CASE WHEN locked_at IS NOT NULL AND locked_at <= $3 THEN 1 \
                            ELSE failed_attempts + 1 END) >= $2 THEN $4 \
                 ELSE NULL END, \
               last_failed_at = $4 \
             WHERE id = $1 \
             RETURNING identity_id, failed_attempts, locked_at, locked_at IS NOT DISTINCT FROM $4 AS newly_locked",
        )
        .bind(credential.as_uuid())
        .bind(i64::from(max_failed_attempts))
        .bind(stale_lock_cutoff)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let identity: Uuid = row.try_get("identity_id").map_err(map_err)?;
        let failed: i32 = row.try_get("failed_attempts").map_err(map_err)?;
        let locked_at: Option<DateTime<Utc>> = row.try_get("locked_at").map_err(map_err)?;
        let newly_locked: bool = row.try_get("newly_locked").map_err(map_err)?;
        if newly_locked {
            revoke_open_sessions(&mut tx, identity, RevocationReason::AccountLocked, now)
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
        // One statement, so one round trip: the UPDATE takes the credentials row lock and
        // only matches an unlocked account (PostgreSQL re-checks the condition against a
        // concurrent lock), and the session is inserted only if it matched.
        let inserted = sqlx::query(
            "WITH cleared AS ( \
               UPDATE multipass_credentials \
               SET failed_attempts = 0, locked_at = NULL, last_sign_in_at = $7 \
               WHERE id = $9 AND (locked_at IS NULL OR locked_at <= $10) \
               RETURNING identity_id) \
             INSERT INTO multipass_sessions (id, identity_id, token_hash, kind, auth_method, device_info, \
               created_at, last_seen_at, expires_at, scopes, audience) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $7, $8, $11, $12 FROM cleared WHERE cleared.identity_id = $2",
        )
        .bind(session.id.as_uuid())
        .bind(session.identity_id.as_uuid())
        .bind(session.token_hash.as_str())
        .bind(session.kind.as_str())
        .bind(session.auth_method.as_str())
        .bind(&session.device_info)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(credential.as_uuid())
        .bind(stale_lock_cutoff)
        .bind(&session.scopes)
        .bind(&session.audience)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if inserted.rows_affected() == 0 {
            return Ok(SessionOpened::AccountLocked);
        }
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
             WHERE token_hash = $1 AND kind <> 'sso' AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(|row| -> Result<SessionRecord, sqlx::Error> {
            Ok(SessionRecord {
                id: SessionId::from_uuid(row.try_get("id")?),
                identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
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
            "UPDATE multipass_sessions SET revoked_at = $2, revocation_reason = $3 \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash.as_str())
        .bind(now)
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
        let done = sqlx::query("UPDATE multipass_credentials SET password_hash = $2 WHERE id = $1")
            .bind(credential.as_uuid())
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
