//! Storage of the server's sealed secrets (`server_secrets`): byte strings the API seals
//! with the deployment's key before they arrive here, so that every server instance shares
//! them and the database never holds them in the clear.

use crate::StoreError;
use async_trait::async_trait;

#[async_trait]
pub trait ServerSecretStore: Send + Sync + std::fmt::Debug {
    async fn server_secret(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `sealed` under `name`, replacing any earlier value.
    async fn put_server_secret(&self, name: &str, sealed: &[u8]) -> Result<(), StoreError>;
    /// Removing a missing secret is not an error.
    async fn delete_server_secret(&self, name: &str) -> Result<(), StoreError>;
}
