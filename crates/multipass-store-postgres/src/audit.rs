use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::AuditStore;

#[async_trait]
impl AuditStore for PgStore {}
