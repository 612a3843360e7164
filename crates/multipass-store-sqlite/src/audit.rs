use crate::store::SqliteStore;
use async_trait::async_trait;
use multipass_store::AuditStore;

#[async_trait]
impl AuditStore for SqliteStore {}
