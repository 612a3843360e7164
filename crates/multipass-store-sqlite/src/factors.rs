use crate::store::SqliteStore;
use async_trait::async_trait;
use multipass_store::FactorStore;

#[async_trait]
impl FactorStore for SqliteStore {}
