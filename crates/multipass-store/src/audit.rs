//! Storage of the security audit trail.

use async_trait::async_trait;

#[async_trait]
pub trait AuditStore: Send + Sync {}
