use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::throttle::FailureWindow;
use multipass_store::{AuditStore, NewSecurityEvent, SecurityEventRecord, StoreError};
use sqlx::Row;

#[async_trait]
impl AuditStore for PgStore {
    async fn record_security_event(&self, event: NewSecurityEvent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO security_events (identity_id, actor_id, event_type, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(event.identity_id.map(|id| id.as_uuid()))
        .bind(event.actor_id.map(|id| id.as_uuid()))
        .bind(event.event_type.as_str())
        .bind(&event.detail)
        .bind(event.at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn security_events(
        &self,
        identity: Option<IdentityId>,
        limit: u32,
    ) -> Result<Vec<SecurityEventRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, identity_id, actor_id, event_type, detail, created_at FROM security_events \
             WHERE $1::uuid IS NULL OR identity_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(identity.map(|id| id.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(SecurityEventRecord {
                    id: row.try_get("id")?,
                    identity_id: row
                        .try_get::<Option<uuid::Uuid>, _>("identity_id")?
                        .map(IdentityId::from_uuid),
                    actor_id: row
                        .try_get::<Option<uuid::Uuid>, _>("actor_id")?
                        .map(IdentityId::from_uuid),
                    event_type: row.try_get("event_type")?,
                    detail: row.try_get("detail")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn sign_in_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, FailureWindow)>, StoreError> {
        let rows = sqlx::query(
            "SELECT throttle_key, failures, window_started_at FROM sign_in_throttles \
             WHERE throttle_key = ANY($1)",
        )
        .bind(keys)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let failures: i32 = row.try_get("failures")?;
                Ok((
                    row.try_get("throttle_key")?,
                    FailureWindow {
                        failures: u32::try_from(failures).unwrap_or_default(),
                        started_at: row.try_get("window_started_at")?,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn record_sign_in_failure(
        &self,
        keys: &[(String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, cutoff) in keys {
            sqlx::query(multipass_store::RECORD_SIGN_IN_FAILURE_SQL)
                .bind(key)
                .bind(now)
                .bind(cutoff)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn forget_sign_in_failures(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(multipass_store::FORGET_SIGN_IN_FAILURES_SQL)
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
