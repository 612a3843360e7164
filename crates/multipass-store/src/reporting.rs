//! Storage of notifications, report definitions and generated reports.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::reports::builtin::BuiltinReport;
use multipass_domain::reports::{
    CompiledQuery, Dialect, ParamDecl, ReportFormat, ReportName, ReportTable,
};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// The `notifications.kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    TransferReceived,
    OrderFilled,
    KycDecision,
    PassEnrolled,
    PassRevoked,
    NewSignIn,
    SecurityAlert,
    ReportReady,
    System,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransferReceived => "transfer_received",
            Self::OrderFilled => "order_filled",
            Self::KycDecision => "kyc_decision",
            Self::PassEnrolled => "pass_enrolled",
            Self::PassRevoked => "pass_revoked",
            Self::NewSignIn => "new_sign_in",
            Self::SecurityAlert => "security_alert",
            Self::ReportReady => "report_ready",
            Self::System => "system",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: uuid::Uuid,
    pub identity_id: IdentityId,
    pub kind: NotificationKind,
    /// 1 to 200 characters.
    pub title: String,
    pub body: String,
    /// A JSON object, e.g. the ids of the transfer or order it is about.
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// One stored notification.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub read_at: Option<DateTime<Utc>>,
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Where a page of notifications starts: strictly older than this (time, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationQuery {
    pub identity_id: IdentityId,
    pub unread_only: bool,
    pub before: Option<NotificationCursor>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDefinitionRecord {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub sql_template: String,
    /// `name:type` declarations as stored.
    pub parameters: Vec<String>,
    pub default_format: String,
    pub row_limit: i64,
    pub is_builtin: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A definition's content, checked by the caller (template, declarations, limits).
#[derive(Debug, Clone)]
pub struct ReportDefinitionContent {
    pub description: String,
    pub sql_template: String,
    pub parameters: Vec<ParamDecl>,
    pub default_format: ReportFormat,
    pub row_limit: u32,
}

#[derive(Debug, Clone)]
pub struct NewReportDefinition {
    pub id: Uuid,
    pub name: ReportName,
    pub content: ReportDefinitionContent,
    pub at: DateTime<Utc>,
}

/// How a report query is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// At most this many rows are kept; reading stops at one more.
    pub row_limit: u32,
    /// The query is cancelled after this long.
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryRows {
    /// At most `row_limit` rows.
    pub table: ReportTable,
    /// The query had more rows than `row_limit`.
    pub exceeded_row_limit: bool,
}

/// Why the database refused to run a report query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryRefusal {
    /// It tried to write, lock or change state in the read-only transaction.
    ReadOnly,
    /// The report reader role may not read something it touches.
    PermissionDenied,
    /// It does not parse, names something that does not exist, or returns a column of a
    /// type reports cannot show.
    Invalid,
}

#[derive(Debug, Clone)]
pub struct NewGeneratedReport {
    pub id: Uuid,
    pub definition_id: Uuid,
    pub identity_id: IdentityId,
    /// The values the run used, by parameter name.
    pub parameters: serde_json::Value,
    pub format: ReportFormat,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ReportResult {
    pub bytes: Vec<u8>,
    /// SHA3-256 of `bytes`, lower-case hex.
    pub hash: String,
    pub row_count: u32,
    pub generated_at: DateTime<Utc>,
}

/// A generated report without its result bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedReportSummary {
    pub id: Uuid,
    pub definition_id: Uuid,
    pub definition_name: String,
    pub identity_id: IdentityId,
    pub parameters: serde_json::Value,
    pub format: String,
    pub status: String,
    pub result_hash: Option<String>,
    pub row_count: Option<i64>,
    pub error_message: Option<String>,
    pub generated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedReport {
    pub summary: GeneratedReportSummary,
    pub result: Option<Vec<u8>>,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores all of them or none, in one commit: an order that fills against several
    /// makers tells each of them, and a commit per notice cost more than the order itself.
    async fn create_notifications(
        &self,
        notifications: &[NewNotification],
    ) -> Result<(), StoreError>;

    /// One identity's notifications, newest first (time, then id), strictly before the cursor.
    async fn notifications(
        &self,
        query: NotificationQuery,
    ) -> Result<Vec<NotificationRecord>, StoreError>;

    /// Marks one of `identity`'s notifications read (keeping the first read time);
    /// `NotFound` when it is not theirs.
    async fn mark_notification_read(
        &self,
        identity: IdentityId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Marks all of `identity`'s unread notifications read; returns how many changed.
    async fn mark_all_notifications_read(
        &self,
        identity: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    async fn unread_notification_count(&self, identity: IdentityId) -> Result<u64, StoreError>;

    /// The placeholder syntax this backend binds.
    fn report_dialect(&self) -> Dialect;

    /// Inserts the built-in definitions that are missing (by name), in this backend's
    /// variant; existing rows, including deactivated ones, are left alone.
    async fn install_builtin_reports(
        &self,
        reports: &[BuiltinReport],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `Conflict::ReportNameTaken` when the name is in use.
    async fn create_report_definition(
        &self,
        definition: NewReportDefinition,
    ) -> Result<ReportDefinitionRecord, StoreError>;

    async fn update_report_definition(
        &self,
        id: Uuid,
        content: ReportDefinitionContent,
        at: DateTime<Utc>,
    ) -> Result<ReportDefinitionRecord, StoreError>;

    async fn set_report_definition_active(
        &self,
        id: Uuid,
        active: bool,
        at: DateTime<Utc>,
    ) -> Result<ReportDefinitionRecord, StoreError>;

    /// All definitions by name, or only the active ones.
    async fn report_definitions(
        &self,
        include_inactive: bool,
    ) -> Result<Vec<ReportDefinitionRecord>, StoreError>;

    async fn report_definition(&self, id: Uuid) -> Result<ReportDefinitionRecord, StoreError>;

    async fn report_definition_by_name(
        &self,
        name: &ReportName,
    ) -> Result<ReportDefinitionRecord, StoreError>;

    /// Runs a report query read-only (PostgreSQL: a READ ONLY transaction as the report
    /// reader role with a statement timeout; SQLite: a read-only connection with a deadline),
    /// reading at most one row past the limit. The query is trusted to be a checked template
    /// only for a clear early error; the transaction is what stops writes.
    async fn run_report_query(
        &self,
        query: &CompiledQuery,
        limits: QueryLimits,
    ) -> Result<QueryRows, StoreError>;

    /// Records a report run as `running`.
    async fn start_generated_report(&self, report: NewGeneratedReport) -> Result<(), StoreError>;

    async fn complete_generated_report(
        &self,
        id: Uuid,
        result: ReportResult,
    ) -> Result<(), StoreError>;

    async fn fail_generated_report(&self, id: Uuid, message: &str) -> Result<(), StoreError>;

    /// One identity's generated reports, newest first.
    async fn generated_reports(
        &self,
        identity: IdentityId,
        limit: u32,
    ) -> Result<Vec<GeneratedReportSummary>, StoreError>;

    async fn generated_report(&self, id: Uuid) -> Result<GeneratedReport, StoreError>;
}
