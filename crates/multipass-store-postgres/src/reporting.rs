use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::{NewNotification, ReportStore, StoreError};

#[async_trait]
impl ReportStore for PgStore {
    async fn create_notification(&self, notification: NewNotification) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notifications (id, identity_id, kind, title, body, metadata, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(notification.id)
        .bind(notification.identity_id.as_uuid())
        .bind(notification.kind.as_str())
        .bind(&notification.title)
        .bind(&notification.body)
        .bind(&notification.metadata)
        .bind(notification.created_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
