use crate::store::SqliteStore;
use async_trait::async_trait;
use multipass_store::IdentityStore;

#[async_trait]
impl IdentityStore for SqliteStore {}
