use crate::store::PgStore;
use async_trait::async_trait;
use multipass_store::ReportStore;

#[async_trait]
impl ReportStore for PgStore {}
