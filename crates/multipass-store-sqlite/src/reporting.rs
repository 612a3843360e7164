use crate::errors::map_err;
use crate::store::{SqliteStore, uuid_text};
use crate::time::to_text;
use async_trait::async_trait;
use multipass_store::{NewNotification, ReportStore, StoreError};

#[async_trait]
impl ReportStore for SqliteStore {
    async fn create_notification(&self, notification: NewNotification) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notifications (id, identity_id, kind, title, body, metadata, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(uuid_text(notification.id))
        .bind(uuid_text(notification.identity_id.as_uuid()))
        .bind(notification.kind.as_str())
        .bind(&notification.title)
        .bind(&notification.body)
        .bind(notification.metadata.to_string())
        .bind(to_text(notification.created_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
