//! `server_secrets`: sealed byte strings, by name (schema version 6).

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::{ServerSecretStore, StoreError};

#[async_trait]
impl ServerSecretStore for PgStore {
    async fn server_secret(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT sealed FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn put_server_secret(&self, name: &str, sealed: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, sealed) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = now()",
        )
        .bind(name)
        .bind(sealed)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delete_server_secret(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM server_secrets WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
