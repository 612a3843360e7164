use crate::errors::map_err;
use crate::store::{SqliteStore, parse_uuid, uuid_text};
use crate::time::{from_text, to_text};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::throttle::FailureWindow;
use multipass_store::{AuditStore, NewSecurityEvent, SecurityEventRecord, StoreError};
use sqlx::Row;
use uuid::Uuid;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_security_event(&self, event: NewSecurityEvent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO security_events (id, identity_id, actor_id, event_type, detail, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(uuid_text(Uuid::new_v4()))
        .bind(event.identity_id.map(|id| uuid_text(id.as_uuid())))
        .bind(event.actor_id.map(|id| uuid_text(id.as_uuid())))
        .bind(event.event_type.as_str())
        .bind(event.detail.to_string())
        .bind(to_text(event.at))
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
             WHERE ?1 IS NULL OR identity_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        )
        .bind(identity.map(|id| uuid_text(id.as_uuid())))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let optional_id = |column: &str| -> Result<Option<IdentityId>, sqlx::Error> {
                    row.try_get::<Option<String>, _>(column)?
                        .as_deref()
                        .map(|text| parse_uuid(text).map(IdentityId::from_uuid))
                        .transpose()
                };
                let detail: String = row.try_get("detail")?;
                Ok(SecurityEventRecord {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    identity_id: optional_id("identity_id")?,
                    actor_id: optional_id("actor_id")?,
                    event_type: row.try_get("event_type")?,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| sqlx::Error::Decode(format!("detail: {e}").into()))?,
                    created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    async fn sign_in_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, FailureWindow)>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query(
                "SELECT failures, window_started_at FROM sign_in_throttles WHERE throttle_key = ?1",
            )
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
            if let Some(row) = row {
                let failures: i64 = row.try_get("failures").map_err(map_err)?;
                let started: String = row.try_get("window_started_at").map_err(map_err)?;
                found.push((
                    key.clone(),
                    FailureWindow {
                        failures: u32::try_from(failures).unwrap_or(u32::MAX),
                        started_at: from_text(&started).map_err(map_err)?,
                    },
                ));
            }
        }
        Ok(found)
    }

    async fn record_sign_in_failure(
        &self,
        keys: &[(String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, cutoff) in keys {
            // Timestamps compare as fixed-width text.
            sqlx::query(multipass_store::RECORD_SIGN_IN_FAILURE_SQL)
                .bind(key)
                .bind(to_text(now))
                .bind(to_text(*cutoff))
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn forget_sign_in_failures(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(multipass_store::FORGET_SIGN_IN_FAILURES_SQL)
            .bind(to_text(before))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
