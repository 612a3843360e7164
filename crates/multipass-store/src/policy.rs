//! The shared security policy and the database's clock (`security_policy`, schema version
//! 7): on a shared database they are the authority for every server and tool that reaches
//! it, so no client's settings or clock bend lockout, sessions or report limits.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::policy::SecurityPolicy;

/// The policy as stored, with the database's clock read in the same statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredPolicy {
    pub policy: SecurityPolicy,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<IdentityId>,
    /// The database's `now()` when the row was read.
    pub database_now: DateTime<Utc>,
}

#[async_trait]
pub trait SharedPolicyStore: Send + Sync + std::fmt::Debug {
    async fn security_policy(&self) -> Result<StoredPolicy, StoreError>;
    /// Replaces the policy, recording who did; answers the row as written.
    async fn replace_security_policy(
        &self,
        policy: &SecurityPolicy,
        by: IdentityId,
    ) -> Result<StoredPolicy, StoreError>;
}
