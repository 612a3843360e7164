use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::AppStore;

#[async_trait]
impl AppStore for PgStore {}
