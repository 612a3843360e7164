use crate::errors::map_err;
use crate::store::{SqliteStore, parse_uuid, uuid_text};
use crate::time::{from_text, to_text};
use async_trait::async_trait;
use multipass_domain::IdentityId;
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
}
