//! The hardware-pass registry on PostgreSQL. Every status change, challenge use and counter
//! update is one conditional `UPDATE ... RETURNING`: when clients collide, PostgreSQL
//! re-checks the condition against the row as the winner left it, so at most one matches.

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::kyc::Reason;
use multipass_domain::pass::{Challenge, PassEvent, PassStatus};
use multipass_domain::{ChallengeId, IdentityId, PassId};
use multipass_store::passes::{
    ChallengeConsumption, ChallengeRecord, NewChallenge, NewPass, PassRecord, PassStatusChange,
    SignCountUpdate,
};
use multipass_store::{PassStore, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

macro_rules! pass_columns {
    () => {
        "id, identity_id, enrolled_by, device_type, label, credential_id, public_key, algorithm, aaguid, \
         sign_count, capabilities, status, status_reason, expires_at, last_used_at, revoked_at, created_at"
    };
}

macro_rules! challenge_columns {
    () => {
        "id, hardware_pass_id, purpose, challenge, expires_at, used_at, created_at"
    };
}

fn pass_from_row(row: &PgRow) -> Result<PassRecord, sqlx::Error> {
    Ok(PassRecord {
        id: PassId::from_uuid(row.try_get("id")?),
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        enrolled_by: row
            .try_get::<Option<Uuid>, _>("enrolled_by")?
            .map(IdentityId::from_uuid),
        device_type: row.try_get("device_type")?,
        label: row.try_get("label")?,
        credential_id: row.try_get("credential_id")?,
        public_key: row.try_get("public_key")?,
        algorithm: row.try_get("algorithm")?,
        aaguid: row.try_get("aaguid")?,
        sign_count: row.try_get("sign_count")?,
        capabilities: row.try_get("capabilities")?,
        status: row.try_get("status")?,
        status_reason: row.try_get("status_reason")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn challenge_from_row(row: &PgRow) -> Result<ChallengeRecord, sqlx::Error> {
    Ok(ChallengeRecord {
        id: ChallengeId::from_uuid(row.try_get("id")?),
        pass_id: PassId::from_uuid(row.try_get("hardware_pass_id")?),
        purpose: row.try_get("purpose")?,
        challenge: row.try_get("challenge")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn target_status(event: PassEvent) -> Result<PassStatus, StoreError> {
    PassStatus::CHANGEABLE
        .apply(event)
        .map_err(|e| StoreError::Unexpected(e.to_string()))
}

#[async_trait]
impl PassStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn enroll_pass(&self, pass: NewPass) -> Result<PassRecord, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO hardware_passes (id, identity_id, enrolled_by, device_type, label, credential_id, \
             public_key, algorithm, aaguid, sign_count, capabilities, expires_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING ",
            pass_columns!()
        ))
        .bind(pass.id.as_uuid())
        .bind(pass.identity_id.as_uuid())
        .bind(pass.enrolled_by.map(|id| id.as_uuid()))
        .bind(pass.device_type.as_str())
        .bind(pass.label.as_str())
        .bind(pass.credential_id.as_str())
        .bind(pass.public_key.as_str())
        .bind(pass.algorithm.cose())
        .bind(pass.aaguid)
        .bind(i64::from(pass.sign_count))
        .bind(pass.capabilities.as_slice())
        .bind(pass.expires_at)
        .bind(pass.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        pass_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn pass(&self, id: PassId) -> Result<PassRecord, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            pass_columns!(),
            " FROM hardware_passes WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        pass_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn passes(&self, identity: IdentityId) -> Result<Vec<PassRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            pass_columns!(),
            " FROM hardware_passes WHERE identity_id = $1 ORDER BY created_at, id"
        ))
        .bind(identity.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(pass_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn active_passes(&self) -> Result<Vec<PassRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            pass_columns!(),
            " FROM hardware_passes WHERE status = 'active' ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(pass_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn change_pass_status(
        &self,
        id: PassId,
        event: PassEvent,
        reason: Option<Reason>,
        now: DateTime<Utc>,
    ) -> Result<PassStatusChange, StoreError> {
        let to = target_status(event)?;
        let row = sqlx::query(concat!(
            "UPDATE hardware_passes SET status = $2, status_reason = $3, \
               revoked_at = CASE WHEN $2 = 'revoked' THEN $4 ELSE NULL END \
             WHERE id = $1 AND status = $5 RETURNING ",
            pass_columns!()
        ))
        .bind(id.as_uuid())
        .bind(to.as_str())
        .bind(reason.as_ref().map(Reason::as_str))
        .bind(now)
        .bind(PassStatus::CHANGEABLE.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        match row {
            Some(row) => Ok(PassStatusChange::Changed(
                pass_from_row(&row).map_err(map_err)?,
            )),
            None => Ok(PassStatusChange::Refused(self.pass(id).await?)),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn expire_due_passes(&self, now: DateTime<Utc>) -> Result<Vec<PassRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "UPDATE hardware_passes SET status = $2, status_reason = 'reached its expiry date' \
             WHERE status = $3 AND expires_at <= $1 RETURNING ",
            pass_columns!()
        ))
        .bind(now)
        .bind(target_status(PassEvent::Expire)?.as_str())
        .bind(PassStatus::CHANGEABLE.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(pass_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn create_challenge(
        &self,
        challenge: NewChallenge,
    ) -> Result<ChallengeRecord, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO hardware_challenges (id, hardware_pass_id, purpose, challenge, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            challenge_columns!()
        ))
        .bind(challenge.id.as_uuid())
        .bind(challenge.pass_id.as_uuid())
        .bind(challenge.purpose.as_str())
        .bind(challenge.challenge.as_str())
        .bind(challenge.expires_at)
        .bind(challenge.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        challenge_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn consume_challenge(
        &self,
        challenge: &Challenge,
        pass: PassId,
        holder: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<ChallengeConsumption, StoreError> {
        let row = sqlx::query(
            "UPDATE hardware_challenges c SET used_at = $4 FROM hardware_passes p \
             WHERE c.challenge = $1 AND c.hardware_pass_id = $2 AND p.id = c.hardware_pass_id \
               AND p.identity_id = $3 AND p.status = 'active' AND c.used_at IS NULL AND c.expires_at > $4 \
             RETURNING c.id, c.hardware_pass_id, c.purpose, c.challenge, c.expires_at, c.used_at, c.created_at",
        )
        .bind(challenge.as_str())
        .bind(pass.as_uuid())
        .bind(holder.as_uuid())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        if let Some(row) = row {
            return Ok(ChallengeConsumption::Consumed(
                challenge_from_row(&row).map_err(map_err)?,
            ));
        }
        // Why not: read after the fact, only to pick the answer.
        let row = sqlx::query(
            "SELECT c.used_at, c.expires_at, p.status FROM hardware_challenges c \
             JOIN hardware_passes p ON p.id = c.hardware_pass_id \
             WHERE c.challenge = $1 AND c.hardware_pass_id = $2 AND p.identity_id = $3",
        )
        .bind(challenge.as_str())
        .bind(pass.as_uuid())
        .bind(holder.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            return Ok(ChallengeConsumption::NotFound);
        };
        let used_at: Option<DateTime<Utc>> = row.try_get("used_at").map_err(map_err)?;
        let expires_at: DateTime<Utc> = row.try_get("expires_at").map_err(map_err)?;
        let status: String = row.try_get("status").map_err(map_err)?;
        Ok(if used_at.is_some() {
            ChallengeConsumption::AlreadyUsed
        } else if expires_at <= now {
            ChallengeConsumption::Expired
        } else if status != PassStatus::Active.as_str() {
            ChallengeConsumption::PassNotActive
        } else {
            ChallengeConsumption::AlreadyUsed
        })
    }

    #[tracing::instrument(skip_all)]
    async fn record_pass_use(
        &self,
        pass: PassId,
        sign_count: u32,
        now: DateTime<Utc>,
    ) -> Result<SignCountUpdate, StoreError> {
        let count = i64::from(sign_count);
        let done = sqlx::query(
            "UPDATE hardware_passes SET sign_count = $2, last_used_at = $3 \
             WHERE id = $1 AND status = 'active' AND ($2 > sign_count OR ($2 = 0 AND sign_count = 0))",
        )
        .bind(pass.as_uuid())
        .bind(count)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 1 {
            return Ok(SignCountUpdate::Recorded);
        }
        let current = self.pass(pass).await?;
        if current.status != PassStatus::Active.as_str() {
            return Ok(SignCountUpdate::PassNotActive);
        }
        Ok(SignCountUpdate::Regressed {
            stored: u64::try_from(current.sign_count)
                .map_err(|_| StoreError::Corrupt("a negative sign count".into()))?,
        })
    }
}
