//! Report definitions (admins write them) and generated reports (anyone runs the active
//! ones over their own data; admins any). Templates are checked by the domain, run by the
//! store read-only, and their results kept with their SHA3-256 so that they open offline.

mod definitions;
mod offline;
mod runs;
mod types;

pub use offline::{
    KEPT_PER_PERSON, OfflineExportedReport, OfflineOpenedReport, OfflineReportView, OfflineReports,
    ReportSource, keep_opened_offline, open_cache_for,
};
pub use runs::{MAX_LISTED_REPORTS, export_report, with_offline_hint};
pub use types::*;

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use chrono::Utc;
use multipass_domain::reports::ReportError;
use multipass_store::Store;
use std::time::Duration;

/// How report queries are bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPolicy {
    /// A report query running longer is cancelled and answers `timeout`.
    pub timeout: Duration,
}

impl Default for ReportPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
        }
    }
}

/// Inserts the built-in definitions a store lacks; run whenever the API opens a store.
pub async fn install_builtins(store: &dyn Store) -> Result<(), ApiError> {
    store
        .install_builtin_reports(&multipass_domain::reports::builtin::ALL, Utc::now())
        .await?;
    Ok(())
}

impl From<ReportError> for ApiError {
    fn from(err: ReportError) -> Self {
        Self::new(ErrorCode::InvalidInput, err.message).with_field(err.parameter)
    }
}

impl MultipassApi {
    /// Inserts the built-in report definitions that are missing (for APIs built with
    /// [`MultipassApi::new`]; [`MultipassApi::open`] does it already).
    pub async fn install_builtin_reports(&self) -> Result<(), ApiError> {
        install_builtins(self.store.as_ref()).await
    }
}
