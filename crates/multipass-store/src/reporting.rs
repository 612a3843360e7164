//! Storage of notifications, report definitions and generated reports.

use async_trait::async_trait;

#[async_trait]
pub trait ReportStore: Send + Sync {}
