//! The hardware-pass registry on SQLite. Status changes, challenge use and counter updates
//! are conditional updates; where the answer needs a second look (why a challenge was
//! refused), both run inside one `BEGIN IMMEDIATE` transaction.

use crate::errors::map_err;
use crate::identity::{json_from, optional_id_from};
use crate::store::{SqliteStore, optional_time_from, time_from, uuid_from, uuid_text};
use crate::time::to_text;
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
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

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

fn pass_from_row(row: &SqliteRow) -> Result<PassRecord, sqlx::Error> {
    let capabilities = serde_json::from_value(json_from(row, "capabilities")?)
        .map_err(|e| sqlx::Error::Decode(format!("capabilities: {e}").into()))?;
    let aaguid = row
        .try_get::<Option<String>, _>("aaguid")?
        .map(|text| {
            uuid::Uuid::parse_str(&text)
                .map_err(|e| sqlx::Error::Decode(format!("aaguid: {e}").into()))
        })
        .transpose()?;
    let algorithm: i64 = row.try_get("algorithm")?;
    Ok(PassRecord {
        id: PassId::from_uuid(uuid_from(row, "id")?),
        identity_id: IdentityId::from_uuid(uuid_from(row, "identity_id")?),
        enrolled_by: optional_id_from(row, "enrolled_by")?,
        device_type: row.try_get("device_type")?,
        label: row.try_get("label")?,
        credential_id: row.try_get("credential_id")?,
        public_key: row.try_get("public_key")?,
        algorithm: i32::try_from(algorithm)
            .map_err(|e| sqlx::Error::Decode(format!("algorithm: {e}").into()))?,
        aaguid,
        sign_count: row.try_get("sign_count")?,
        capabilities,
        status: row.try_get("status")?,
        status_reason: row.try_get("status_reason")?,
        expires_at: optional_time_from(row, "expires_at")?,
        last_used_at: optional_time_from(row, "last_used_at")?,
        revoked_at: optional_time_from(row, "revoked_at")?,
        created_at: time_from(row, "created_at")?,
    })
}

fn challenge_from_row(row: &SqliteRow) -> Result<ChallengeRecord, sqlx::Error> {
    Ok(ChallengeRecord {
        id: ChallengeId::from_uuid(uuid_from(row, "id")?),
        pass_id: PassId::from_uuid(uuid_from(row, "hardware_pass_id")?),
        purpose: row.try_get("purpose")?,
        challenge: row.try_get("challenge")?,
        expires_at: time_from(row, "expires_at")?,
        used_at: optional_time_from(row, "used_at")?,
        created_at: time_from(row, "created_at")?,
    })
}

fn target_status(event: PassEvent) -> Result<PassStatus, StoreError> {
    PassStatus::CHANGEABLE
        .apply(event)
        .map_err(|e| StoreError::Unexpected(e.to_string()))
}

async fn fetch_pass(conn: &mut SqliteConnection, id: &str) -> Result<PassRecord, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        pass_columns!(),
        " FROM hardware_passes WHERE id = ?1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
    .map_err(map_err)?;
    pass_from_row(&row).map_err(map_err)
}

#[async_trait]
impl PassStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn enroll_pass(&self, pass: NewPass) -> Result<PassRecord, StoreError> {
        let capabilities = serde_json::to_string(pass.capabilities.as_slice())
            .map_err(|e| StoreError::Unexpected(e.to_string()))?;
        let row = sqlx::query(concat!(
            "INSERT INTO hardware_passes (id, identity_id, enrolled_by, device_type, label, credential_id, \
             public_key, algorithm, aaguid, sign_count, capabilities, expires_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) RETURNING ",
            pass_columns!()
        ))
        .bind(uuid_text(pass.id.as_uuid()))
        .bind(uuid_text(pass.identity_id.as_uuid()))
        .bind(pass.enrolled_by.map(|id| uuid_text(id.as_uuid())))
        .bind(pass.device_type.as_str())
        .bind(pass.label.as_str())
        .bind(pass.credential_id.as_str())
        .bind(pass.public_key.as_str())
        .bind(pass.algorithm.cose())
        .bind(pass.aaguid.map(uuid_text))
        .bind(i64::from(pass.sign_count))
        .bind(capabilities)
        .bind(pass.expires_at.map(to_text))
        .bind(to_text(pass.created_at))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        pass_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn pass(&self, id: PassId) -> Result<PassRecord, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        fetch_pass(&mut conn, &uuid_text(id.as_uuid())).await
    }

    #[tracing::instrument(skip_all)]
    async fn passes(&self, identity: IdentityId) -> Result<Vec<PassRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            pass_columns!(),
            " FROM hardware_passes WHERE identity_id = ?1 ORDER BY created_at, id"
        ))
        .bind(uuid_text(identity.as_uuid()))
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
        let id = uuid_text(id.as_uuid());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE hardware_passes SET status = ?2, status_reason = ?3, \
               revoked_at = CASE WHEN ?2 = 'revoked' THEN ?4 ELSE NULL END \
             WHERE id = ?1 AND status = ?5 RETURNING ",
            pass_columns!()
        ))
        .bind(&id)
        .bind(to.as_str())
        .bind(reason.as_ref().map(Reason::as_str))
        .bind(to_text(now))
        .bind(PassStatus::CHANGEABLE.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = match row {
            Some(row) => PassStatusChange::Changed(pass_from_row(&row).map_err(map_err)?),
            None => PassStatusChange::Refused(fetch_pass(&mut tx, &id).await?),
        };
        tx.commit().await.map_err(map_err)?;
        Ok(change)
    }

    #[tracing::instrument(skip_all)]
    async fn expire_due_passes(&self, now: DateTime<Utc>) -> Result<Vec<PassRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "UPDATE hardware_passes SET status = ?2, status_reason = 'reached its expiry date' \
             WHERE status = ?3 AND expires_at <= ?1 RETURNING ",
            pass_columns!()
        ))
        .bind(to_text(now))
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING ",
            challenge_columns!()
        ))
        .bind(uuid_text(challenge.id.as_uuid()))
        .bind(uuid_text(challenge.pass_id.as_uuid()))
        .bind(challenge.purpose.as_str())
        .bind(challenge.challenge.as_str())
        .bind(to_text(challenge.expires_at))
        .bind(to_text(challenge.created_at))
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
        let at = to_text(now);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT c.id, c.used_at, c.expires_at, p.status FROM hardware_challenges c \
             JOIN hardware_passes p ON p.id = c.hardware_pass_id \
             WHERE c.challenge = ?1 AND c.hardware_pass_id = ?2 AND p.identity_id = ?3",
        )
        .bind(challenge.as_str())
        .bind(uuid_text(pass.as_uuid()))
        .bind(uuid_text(holder.as_uuid()))
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            return Ok(ChallengeConsumption::NotFound);
        };
        let id: String = row.try_get("id").map_err(map_err)?;
        let used = row
            .try_get::<Option<String>, _>("used_at")
            .map_err(map_err)?
            .is_some();
        let expires_at: String = row.try_get("expires_at").map_err(map_err)?;
        let status: String = row.try_get("status").map_err(map_err)?;
        // Fixed-width UTC text compares in time order.
        let refusal = if used {
            Some(ChallengeConsumption::AlreadyUsed)
        } else if expires_at <= at {
            Some(ChallengeConsumption::Expired)
        } else if status != PassStatus::Active.as_str() {
            Some(ChallengeConsumption::PassNotActive)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return Ok(refusal);
        }
        let row = sqlx::query(concat!(
            "UPDATE hardware_challenges SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL RETURNING ",
            challenge_columns!()
        ))
        .bind(&id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let consumed = challenge_from_row(&row).map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(ChallengeConsumption::Consumed(consumed))
    }

    #[tracing::instrument(skip_all)]
    async fn record_pass_use(
        &self,
        pass: PassId,
        sign_count: u32,
        now: DateTime<Utc>,
    ) -> Result<SignCountUpdate, StoreError> {
        let id = uuid_text(pass.as_uuid());
        let count = i64::from(sign_count);
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE hardware_passes SET sign_count = ?2, last_used_at = ?3 \
             WHERE id = ?1 AND status = 'active' AND (?2 > sign_count OR (?2 = 0 AND sign_count = 0))",
        )
        .bind(&id)
        .bind(count)
        .bind(to_text(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let update = if done.rows_affected() == 1 {
            SignCountUpdate::Recorded
        } else {
            let current = fetch_pass(&mut tx, &id).await?;
            if current.status != PassStatus::Active.as_str() {
                SignCountUpdate::PassNotActive
            } else {
                SignCountUpdate::Regressed {
                    stored: u64::try_from(current.sign_count)
                        .map_err(|_| StoreError::Corrupt("a negative sign count".into()))?,
                }
            }
        };
        tx.commit().await.map_err(map_err)?;
        Ok(update)
    }
}
