//! Reading reports when the shared database cannot be reached.
//!
//! On PostgreSQL, every completed report a person runs or opens is copied into a local
//! [`ReportCache`] together with the session that did it. Offline, nobody can be signed in
//! (that needs the database), so the copy is opened with that same session token: its hash
//! names the identity the database accepted, and only that identity's copies are read,
//! until the session's absolute end. The cache file is as private as the user's data
//! folder and no more: it keeps other people signed in on this computer apart, not the
//! local OS account out. There is no silent fallback: the online calls keep answering
//! `unavailable`, and offline reading is a call of its own whose answers say so.

use super::runs::{MAX_LISTED_REPORTS, list_limit, no_such_report, write_result};
use super::types::{ExportedReport, GeneratedReportView};
use crate::config::{DatabaseSettings, Settings};
use crate::error::{ApiError, ErrorCode};
use crate::{Caller, Clock, MultipassApi, SystemClock};
use chrono::{DateTime, Utc};
use multipass_domain::reports::render::result_hash;
use multipass_domain::{IdentityId, SessionToken};
use multipass_store::{
    CachedSession, GeneratedReport, GeneratedReportSummary, OpenMode, ReportCache, StoreError,
};
use multipass_store_sqlite::SqliteReportCache;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// How many of one person's reports the cache keeps; older ones make way.
pub const KEPT_PER_PERSON: u32 = MAX_LISTED_REPORTS;

/// The cache to copy into, when the settings select PostgreSQL or a server. A cache that
/// cannot be opened costs only the offline copies, so it is logged and the app goes on
/// without.
pub async fn open_cache_for(settings: &Settings) -> Option<Arc<dyn ReportCache>> {
    if !reports_come_from_afar(settings) {
        return None;
    }
    let Some(path) = &settings.report_cache else {
        tracing::warn!("no data folder and no reports.cache_path: reports are not kept offline");
        return None;
    };
    match SqliteReportCache::open(path, OpenMode::Migrate).await {
        Ok(cache) => Some(Arc::new(cache)),
        Err(err) => {
            tracing::warn!(%err, path = %path.display(), "the report cache could not be opened; reports are not kept offline");
            None
        }
    }
}

/// Whether reports live somewhere this computer may lose touch with (a shared database or
/// a server), so that copies are kept for offline reading.
fn reports_come_from_afar(settings: &Settings) -> bool {
    settings.server.is_some() || matches!(settings.database, DatabaseSettings::Postgres { .. })
}

/// Keeps a report opened through a server in `cache`, as the API keeps one it opens itself:
/// only the person's own completed reports, with their session, whose end `authority`
/// tells. The bytes must match the report's hash.
pub async fn keep_opened_offline(
    cache: &dyn ReportCache,
    authority: &dyn crate::Operations,
    token: &SessionToken,
    opened: &super::OpenedReport,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let view = &opened.report;
    if view.status != "completed"
        || view.result_hash.as_deref() != Some(result_hash(&opened.bytes).as_str())
    {
        return Ok(());
    }
    let me = authority.identity_for(token).await?;
    if me.id != view.identity_id.to_string() {
        return Ok(());
    }
    let Some(session) = authority
        .sessions(token, None)
        .await?
        .into_iter()
        .find(|s| s.current)
    else {
        return Ok(());
    };
    let expires_at = DateTime::parse_from_rfc3339(&session.expires_at)
        .map_err(|e| ApiError::internal("The server sent a session end that is not a time", &e))?
        .with_timezone(&Utc);
    let report = GeneratedReport {
        summary: GeneratedReportSummary {
            id: view.id,
            definition_id: view.definition_id,
            definition_name: view.definition_name.clone(),
            identity_id: IdentityId::from_uuid(view.identity_id),
            parameters: view.parameters.clone(),
            format: view.format.clone(),
            status: view.status.clone(),
            result_hash: view.result_hash.clone(),
            row_count: view.row_count,
            error_message: view.error_message.clone(),
            generated_at: view.generated_at,
            created_at: view.created_at,
        },
        result: Some(opened.bytes.clone()),
    };
    let session = CachedSession {
        token_hash: token.hash(),
        identity_id: report.summary.identity_id,
        expires_at,
    };
    cache
        .keep_report(&session, &report, KEPT_PER_PERSON, now)
        .await?;
    Ok(())
}

impl MultipassApi {
    /// Copies a completed report of the caller's own into the cache, if there is one.
    /// Others' reports an admin opens are not copied: the cache holds people's own only.
    pub(super) async fn keep_offline(
        &self,
        token: &SessionToken,
        caller: &Caller,
        report: &GeneratedReport,
    ) {
        let Some(cache) = &self.report_cache else {
            return;
        };
        if report.summary.identity_id != caller.identity_id || report.summary.status != "completed"
        {
            return;
        }
        let session = CachedSession {
            token_hash: token.hash(),
            identity_id: caller.identity_id,
            expires_at: caller.session_expires_at,
        };
        let kept = cache
            .keep_report(&session, report, KEPT_PER_PERSON, self.clock.now())
            .await;
        if let Err(err) = kept {
            tracing::warn!(%err, id = %report.summary.id, "a report could not be copied for offline reading");
        }
    }
}

/// Where an offline answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    /// The local copy of a report from the shared database; it may be out of date.
    OfflineCopy,
    /// The embedded store itself, which is local anyway.
    LocalStore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineReportView {
    #[serde(flatten)]
    pub report: GeneratedReportView,
    pub source: ReportSource,
    /// When the offline copy was written; none for the embedded store's own reports.
    pub cached_at: Option<DateTime<Utc>>,
}

impl OfflineReportView {
    fn copy(summary: GeneratedReportSummary, cached_at: DateTime<Utc>) -> Self {
        Self {
            report: summary.into(),
            source: ReportSource::OfflineCopy,
            cached_at: Some(cached_at),
        }
    }

    fn local(report: GeneratedReportView) -> Self {
        Self {
            report,
            source: ReportSource::LocalStore,
            cached_at: None,
        }
    }
}

/// An offline report with its bytes, checked against its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineOpenedReport {
    pub report: OfflineReportView,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineExportedReport {
    #[serde(flatten)]
    pub exported: ExportedReport,
    pub source: ReportSource,
    pub cached_at: Option<DateTime<Utc>>,
}

/// Reports read without the shared database: the cache on PostgreSQL, the store itself on
/// the embedded store, so that the same commands work with either.
#[derive(Debug, Clone)]
pub enum OfflineReports {
    Cache {
        cache: Arc<dyn ReportCache>,
        clock: Arc<dyn Clock>,
    },
    Local(Box<MultipassApi>),
}

fn nothing_kept() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "No reports have been kept for offline reading on this computer yet: run or open a report while the database is reachable.",
    )
}

impl OfflineReports {
    /// Opens what the settings select without ever contacting PostgreSQL.
    pub async fn open(settings: &Settings) -> Result<Self, ApiError> {
        match &settings.database {
            DatabaseSettings::Embedded { .. } if settings.server.is_none() => {
                Ok(Self::Local(Box::new(MultipassApi::open(settings).await?)))
            }
            _ => {
                let path = settings.report_cache.as_ref().ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Config,
                        "This system has no per-user data folder, so reports are not kept offline; set reports.cache_path.",
                    )
                })?;
                match SqliteReportCache::open(path, OpenMode::Inspect).await {
                    Ok(cache) => Ok(Self::Cache {
                        cache: Arc::new(cache),
                        clock: Arc::new(SystemClock),
                    }),
                    Err(StoreError::NotFound) => Err(nothing_kept()),
                    Err(err) => Err(err.into()),
                }
            }
        }
    }

    /// The person the cache knows `token` belongs to, while that session lasts.
    async fn owner(
        cache: &dyn ReportCache,
        clock: &dyn Clock,
        token: &SessionToken,
    ) -> Result<IdentityId, ApiError> {
        let session = cache.cached_session(&token.hash()).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "This computer keeps no offline reports for the session you are signed in with. Offline copies open with the session that ran or opened them.",
            )
        })?;
        if session.expires_at <= clock.now() {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                format!(
                    "Your session ended at {}, and offline copies open only while the session that kept them lasts. Sign in again once the database is reachable.",
                    session
                        .expires_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        Ok(session.identity_id)
    }

    /// The caller's reports, newest first.
    pub async fn list(
        &self,
        token: &SessionToken,
        limit: Option<u32>,
    ) -> Result<Vec<OfflineReportView>, ApiError> {
        match self {
            Self::Local(api) => Ok(api
                .my_reports(token, limit)
                .await?
                .into_iter()
                .map(OfflineReportView::local)
                .collect()),
            Self::Cache { cache, clock } => {
                let owner = Self::owner(cache.as_ref(), clock.as_ref(), token).await?;
                let kept = cache.cached_reports(owner, list_limit(limit)?).await?;
                Ok(kept
                    .into_iter()
                    .map(|k| OfflineReportView::copy(k.summary, k.cached_at))
                    .collect())
            }
        }
    }

    /// One of the caller's reports with its bytes, refused when they do not match the
    /// kept hash.
    pub async fn open_report(
        &self,
        token: &SessionToken,
        id: Uuid,
    ) -> Result<OfflineOpenedReport, ApiError> {
        let (cache, clock) = match self {
            Self::Local(api) => {
                let opened = api.open_report(token, id).await?;
                return Ok(OfflineOpenedReport {
                    report: OfflineReportView::local(opened.report),
                    bytes: opened.bytes,
                });
            }
            Self::Cache { cache, clock } => (cache, clock),
        };
        let owner = Self::owner(cache.as_ref(), clock.as_ref(), token).await?;
        let kept = match cache.cached_report(owner, id).await {
            Err(StoreError::NotFound) => return Err(no_such_report()),
            other => other?,
        };
        if kept.summary.result_hash.as_deref() != Some(result_hash(&kept.result).as_str()) {
            tracing::warn!(%id, "an offline report copy does not match its hash");
            return Err(ApiError::new(
                ErrorCode::Internal,
                "The offline copy of this report does not match its SHA3-256 hash, so it was not opened. Open the report again once the database is reachable to replace the copy.",
            ));
        }
        Ok(OfflineOpenedReport {
            report: OfflineReportView::copy(kept.summary, kept.cached_at),
            bytes: kept.result,
        })
    }

    /// Writes one of the caller's reports to `path` (replacing a file there).
    pub async fn export_report(
        &self,
        token: &SessionToken,
        id: Uuid,
        path: &Path,
    ) -> Result<OfflineExportedReport, ApiError> {
        let opened = self.open_report(token, id).await?;
        write_result(path, &opened.bytes).await?;
        Ok(OfflineExportedReport {
            exported: ExportedReport {
                path: path.to_owned(),
                bytes: opened.bytes.len() as u64,
                result_hash: opened.report.report.result_hash.unwrap_or_default(),
            },
            source: opened.report.source,
            cached_at: opened.report.cached_at,
        })
    }
}
