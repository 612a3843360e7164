use crate::store::SqliteStore;
use async_trait::async_trait;
use multipass_store::AppStore;

#[async_trait]
impl AppStore for SqliteStore {}
