use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use multipass_domain::IdentityId;
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
}
