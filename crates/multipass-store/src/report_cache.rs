//! The local copy of completed reports kept while the app runs on the shared database, so
//! that they open when that database cannot be reached.
//!
//! Everything in it belongs to one owner identity, and it is read offline only through a
//! session this computer saw accepted online: the copy never decides who someone is, it
//! only remembers who the shared database said they were.

use crate::StoreError;
use crate::reporting::GeneratedReport;
use crate::reporting::GeneratedReportSummary;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{IdentityId, TokenHash};
use uuid::Uuid;

/// A session as the shared database last accepted it on this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedSession {
    pub token_hash: TokenHash,
    pub identity_id: IdentityId,
    /// Its absolute end; offline reading stops then too.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CachedReportSummary {
    pub summary: GeneratedReportSummary,
    /// When this copy was last written.
    pub cached_at: DateTime<Utc>,
}

/// A kept report with its bytes, not yet checked against its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedReport {
    pub summary: GeneratedReportSummary,
    pub result: Vec<u8>,
    pub cached_at: DateTime<Utc>,
}

#[async_trait]
pub trait ReportCache: Send + Sync + std::fmt::Debug {
    /// Keeps (or refreshes) a completed report under its owner, together with the session
    /// that ran or opened it, which must be the owner's. Keeps at most `keep_per_owner` of
    /// the owner's reports, dropping the oldest, and forgets sessions that have ended.
    async fn keep_report(
        &self,
        session: &CachedSession,
        report: &GeneratedReport,
        keep_per_owner: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    async fn cached_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<CachedSession>, StoreError>;

    /// The owner's kept reports, newest first.
    async fn cached_reports(
        &self,
        owner: IdentityId,
        limit: u32,
    ) -> Result<Vec<CachedReportSummary>, StoreError>;

    /// `NotFound` unless a report with this id is kept for this owner.
    async fn cached_report(&self, owner: IdentityId, id: Uuid) -> Result<CachedReport, StoreError>;
}
