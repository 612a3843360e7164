//! What the UI and the CLI send and receive about reports.

use chrono::{DateTime, Utc};
use multipass_store::{GeneratedReportSummary, ReportDefinitionRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportDefinitionView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub sql_template: String,
    /// `name:type` declarations; `caller_identity_id` is implicit and never listed.
    pub parameters: Vec<String>,
    pub default_format: String,
    pub row_limit: i64,
    pub is_builtin: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ReportDefinitionRecord> for ReportDefinitionView {
    fn from(r: ReportDefinitionRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            sql_template: r.sql_template,
            parameters: r.parameters,
            default_format: r.default_format,
            row_limit: r.row_limit,
            is_builtin: r.is_builtin,
            is_active: r.is_active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewReportDefinitionRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// One SELECT with `:name` placeholders; `:caller_identity_id` is the runner's identity.
    pub sql_template: String,
    /// `name:type` with type date, uuid, text or integer.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// json, csv or pdf; json when absent.
    pub default_format: Option<String>,
    /// 1 to 1,000,000; 10,000 when absent.
    pub row_limit: Option<i64>,
}

/// Changes to a definition; absent fields keep their value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ReportDefinitionChanges {
    pub description: Option<String>,
    pub sql_template: Option<String>,
    pub parameters: Option<Vec<String>>,
    pub default_format: Option<String>,
    pub row_limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunReportRequest {
    /// The definition's name or id.
    pub definition: String,
    /// Values by parameter name, as text (dates as YYYY-MM-DD).
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// json, csv or pdf; the definition's default when absent.
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedReportView {
    pub id: Uuid,
    pub definition_id: Uuid,
    pub definition_name: String,
    pub identity_id: Uuid,
    #[ts(type = "Record<string, unknown>")]
    pub parameters: serde_json::Value,
    pub format: String,
    /// pending, running, completed or failed.
    pub status: String,
    /// SHA3-256 of the result, hex.
    pub result_hash: Option<String>,
    pub row_count: Option<i64>,
    pub error_message: Option<String>,
    pub generated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<GeneratedReportSummary> for GeneratedReportView {
    fn from(r: GeneratedReportSummary) -> Self {
        Self {
            id: r.id,
            definition_id: r.definition_id,
            definition_name: r.definition_name,
            identity_id: r.identity_id.as_uuid(),
            parameters: r.parameters,
            format: r.format,
            status: r.status,
            result_hash: r.result_hash,
            row_count: r.row_count,
            error_message: r.error_message,
            generated_at: r.generated_at,
            created_at: r.created_at,
        }
    }
}

/// A completed report with its bytes, checked against the stored hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OpenedReport {
    pub report: GeneratedReportView,
    /// The file, base64 on the wire.
    #[serde(with = "crate::operations::wire::base64_bytes")]
    #[ts(type = "string")]
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportedReport {
    #[ts(type = "string")]
    pub path: PathBuf,
    pub bytes: u64,
    pub result_hash: String,
}
