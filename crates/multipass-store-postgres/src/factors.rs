//! Second factors, sessions and password changes on PostgreSQL. Single-use values are
//! consumed by one conditional UPDATE each: when two transactions race for the same row,
//! PostgreSQL makes the second wait and re-checks its WHERE against the first's result, so
//! the second matches nothing.

use crate::errors::map_err;
use crate::store::{PgStore, credential_from_row};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{
    CredentialId, IdentityId, PasswordHash, Secret, SessionId, SessionPolicy, TokenHash,
};
use multipass_store::{
    ActiveSession, CredentialRecord, FactorStore, RevocationReason, SecondFactors, SessionRecord,
    SessionSummary, StoreError,
};
use sqlx::Row;

fn step_param(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::Unexpected(format!("TOTP step {step} too large")))
}

fn expect_one(rows: u64) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[async_trait]
impl FactorStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn credentials_of(&self, identity: IdentityId) -> Result<CredentialRecord, StoreError> {
        let row = sqlx::query(
            "SELECT c.id, c.identity_id, c.password_hash, c.failed_attempts, c.locked_at, p.is_active \
             FROM multipass_credentials c JOIN identity_profiles p ON p.id = c.identity_id WHERE c.identity_id = $1",
        )
        .bind(identity.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        credential_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn second_factors(&self, credential: CredentialId) -> Result<SecondFactors, StoreError> {
        let row = sqlx::query(
            "SELECT totp_secret, totp_enabled, totp_last_step, require_2fa, backup_codes \
             FROM multipass_credentials WHERE id = $1",
        )
        .bind(credential.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let last_step: Option<i64> = row.try_get("totp_last_step").map_err(map_err)?;
        Ok(SecondFactors {
            totp_secret: row
                .try_get::<Option<String>, _>("totp_secret")
                .map_err(map_err)?
                .map(Secret::new),
            totp_enabled: row.try_get("totp_enabled").map_err(map_err)?,
            totp_last_step: last_step.and_then(|s| u64::try_from(s).ok()),
            require_2fa: row.try_get("require_2fa").map_err(map_err)?,
            backup_code_hashes: row.try_get("backup_codes").map_err(map_err)?,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn stage_totp_secret(
        &self,
        credential: CredentialId,
        secret: &Secret,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_credentials SET totp_secret = $2, totp_last_step = NULL, updated_at = $3 \
             WHERE id = $1 AND NOT totp_enabled",
        )
        .bind(credential.as_uuid())
        .bind(secret.expose())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn accept_totp_step(
        &self,
        credential: CredentialId,
        secret: &Secret,
        step: u64,
        enable: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_credentials SET totp_last_step = $3, totp_enabled = totp_enabled OR $4, \
               updated_at = $5 \
             WHERE id = $1 AND totp_secret = $2 AND (totp_last_step IS NULL OR totp_last_step < $3) \
               AND (totp_enabled OR $4)",
        )
        .bind(credential.as_uuid())
        .bind(secret.expose())
        .bind(step_param(step)?)
        .bind(enable)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn plain_totp_secrets(
        &self,
        sealed_prefix: &str,
    ) -> Result<Vec<(CredentialId, Secret)>, StoreError> {
        let rows: Vec<(uuid::Uuid, String)> =
            sqlx::query_as(multipass_store::factors::PLAIN_TOTP_SECRETS_SQL)
                .bind(sealed_prefix)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, secret)| (CredentialId::from_uuid(id), Secret::new(secret)))
            .collect())
    }

    async fn replace_totp_secret(
        &self,
        credential: CredentialId,
        old: &Secret,
        new: &Secret,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(multipass_store::factors::REPLACE_TOTP_SECRET_SQL)
            .bind(credential.as_uuid())
            .bind(old.expose())
            .bind(new.expose())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn disable_totp(
        &self,
        credential: CredentialId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_credentials SET totp_secret = NULL, totp_enabled = FALSE, \
               totp_last_step = NULL, updated_at = $2 \
             WHERE id = $1 AND totp_secret IS NOT NULL AND NOT require_2fa",
        )
        .bind(credential.as_uuid())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn set_require_2fa(
        &self,
        credential: CredentialId,
        required: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_credentials SET require_2fa = $2, updated_at = $3 \
             WHERE id = $1 AND (NOT $2 OR totp_enabled)",
        )
        .bind(credential.as_uuid())
        .bind(required)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn replace_backup_codes(
        &self,
        credential: CredentialId,
        hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_credentials SET backup_codes = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(credential.as_uuid())
        .bind(hashes)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        expect_one(done.rows_affected())
    }

    #[tracing::instrument(skip_all)]
    async fn consume_backup_code(
        &self,
        credential: CredentialId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<usize>, StoreError> {
        let remaining: Option<i32> = sqlx::query_scalar(
            "UPDATE multipass_credentials SET backup_codes = array_remove(backup_codes, $2), updated_at = $3 \
             WHERE id = $1 AND $2 = ANY(backup_codes) \
             RETURNING cardinality(backup_codes)",
        )
        .bind(credential.as_uuid())
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(remaining.map(|n| usize::try_from(n).unwrap_or(0)))
    }

    #[tracing::instrument(skip_all)]
    async fn use_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
        idle_cutoff: Option<DateTime<Utc>>,
    ) -> Result<Option<ActiveSession>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT s.id, s.identity_id, s.created_at, s.expires_at, s.last_seen_at, p.role \
             FROM multipass_sessions s JOIN identity_profiles p ON p.id = s.identity_id \
             WHERE s.token_hash = $1 AND s.kind <> 'sso' AND s.revoked_at IS NULL \
               AND s.expires_at > $2 AND ($3::timestamptz IS NULL OR s.last_seen_at > $3)",
        )
        .bind(token_hash.as_str())
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        else {
            return Ok(None);
        };
        let session = SessionRecord {
            id: SessionId::from_uuid(row.try_get("id").map_err(map_err)?),
            identity_id: IdentityId::from_uuid(row.try_get("identity_id").map_err(map_err)?),
            created_at: row.try_get("created_at").map_err(map_err)?,
            expires_at: row.try_get("expires_at").map_err(map_err)?,
        };
        let role: String = row.try_get("role").map_err(map_err)?;
        let last_seen: DateTime<Utc> = row.try_get("last_seen_at").map_err(map_err)?;
        if SessionPolicy::needs_touch(last_seen, now) {
            sqlx::query(
                "UPDATE multipass_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2",
            )
            .bind(session.id.as_uuid())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        }
        Ok(Some(ActiveSession { session, role }))
    }

    #[tracing::instrument(skip_all)]
    async fn sessions_of(
        &self,
        identity: IdentityId,
        now: DateTime<Utc>,
        idle_cutoff: Option<DateTime<Utc>>,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, auth_method, audience, scopes, device_info, created_at, last_seen_at, expires_at \
             FROM multipass_sessions \
             WHERE identity_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
               AND ($3::timestamptz IS NULL OR last_seen_at > $3) \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(identity.as_uuid())
        .bind(now)
        .bind(idle_cutoff)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(SessionSummary {
                    id: SessionId::from_uuid(row.try_get("id")?),
                    kind: row.try_get("kind")?,
                    auth_method: row.try_get("auth_method")?,
                    audience: row.try_get("audience")?,
                    scopes: row.try_get("scopes")?,
                    device_info: row.try_get("device_info")?,
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_session_of(
        &self,
        identity: IdentityId,
        session: SessionId,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_sessions SET revoked_at = $3, revocation_reason = $4 \
             WHERE id = $1 AND identity_id = $2 AND revoked_at IS NULL",
        )
        .bind(session.as_uuid())
        .bind(identity.as_uuid())
        .bind(now)
        .bind(reason.as_str())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn change_password(
        &self,
        credential: CredentialId,
        new_hash: &PasswordHash,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let identity: uuid::Uuid = sqlx::query_scalar(
            "UPDATE multipass_credentials SET password_hash = $2, password_changed_at = $3, updated_at = $3 \
             WHERE id = $1 RETURNING identity_id",
        )
        .bind(credential.as_uuid())
        .bind(new_hash.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let revoked = sqlx::query(
            "UPDATE multipass_sessions SET revoked_at = $2, revocation_reason = $3 \
             WHERE identity_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
               AND ($4::uuid IS NULL OR id <> $4)",
        )
        .bind(identity)
        .bind(now)
        .bind(RevocationReason::PasswordChange.as_str())
        .bind(keep.map(|id| id.as_uuid()))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?
        .rows_affected();
        tx.commit().await.map_err(map_err)?;
        Ok(revoked)
    }

    #[tracing::instrument(skip_all)]
    async fn unlock(
        &self,
        credential: CredentialId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE multipass_credentials SET locked_at = NULL, failed_attempts = 0, updated_at = $2 \
             WHERE id = $1 AND locked_at IS NOT NULL",
        )
        .bind(credential.as_uuid())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
