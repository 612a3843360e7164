use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::PassStore;

#[async_trait]
impl PassStore for PgStore {}
