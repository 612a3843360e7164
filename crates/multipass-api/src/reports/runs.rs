//! Running a definition into a generated report, and opening the stored result.

use super::definitions::parse_format;
use super::types::{ExportedReport, GeneratedReportView, OpenedReport, RunReportRequest};
use crate::error::{ApiError, ErrorCode};
use crate::{Caller, MultipassApi};
use multipass_domain::reports::render::result_hash;
use multipass_domain::reports::{
    ParamDecl, ReportFormat, ReportTable, Template, check_values, render,
};
use multipass_domain::{Role, SessionToken};
use multipass_store::{
    NewGeneratedReport, NotificationKind, QueryLimits, ReportDefinitionRecord, ReportResult,
    StoreError,
};
use std::path::Path;
use uuid::Uuid;

pub const MAX_LISTED_REPORTS: u32 = 500;

/// A stored definition that no longer passes the checks it passed when written.
fn stored_definition_broken(
    record: &ReportDefinitionRecord,
    err: &dyn std::fmt::Display,
) -> ApiError {
    ApiError::internal(
        &format!("The stored report definition {} is not valid", record.name),
        err,
    )
}

fn limit_exceeded(limit: i64) -> ApiError {
    ApiError::new(
        ErrorCode::LimitExceeded,
        format!(
            "The report has more than its limit of {limit} rows, so none were kept. Narrow its parameters, or ask an administrator to raise the limit."
        ),
    )
}

impl MultipassApi {
    /// Checks who may run `record` with which values, runs it read-only and keeps the
    /// result. A failed run is kept too, as `failed` with a message for people.
    pub async fn run_report(
        &self,
        token: &SessionToken,
        request: RunReportRequest,
    ) -> Result<GeneratedReportView, ApiError> {
        let caller = self.caller(token).await?;
        let record = self.find_report_definition(&request.definition).await?;
        if !record.is_active {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                format!("The report {} has been deactivated.", record.name),
            ));
        }
        let decls = ParamDecl::parse_all(&record.parameters)
            .map_err(|e| stored_definition_broken(&record, &e))?;
        let template = Template::parse(&record.sql_template, &decls)
            .map_err(|e| stored_definition_broken(&record, &e))?;
        if !template.uses_caller_identity() && caller.require(Role::Admin).is_err() {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "The report {} is not limited to your own data, so only administrators can run it.",
                    record.name
                ),
            ));
        }
        let values = check_values(&decls, &request.parameters)?;
        let format = match request.format.as_deref() {
            Some(text) => parse_format(text, "format")?,
            None => parse_format(&record.default_format, "format")
                .map_err(|e| stored_definition_broken(&record, &e))?,
        };
        let query = template.compile(
            self.store.report_dialect(),
            &values,
            caller.identity_id.as_uuid(),
        )?;
        let id = Uuid::new_v4();
        self.store
            .start_generated_report(NewGeneratedReport {
                id,
                definition_id: record.id,
                identity_id: caller.identity_id,
                parameters: values
                    .iter()
                    .map(|(name, value)| (name.clone(), value.to_json()))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
                format,
                created_at: self.clock.now(),
            })
            .await?;
        let limits = QueryLimits {
            row_limit: u32::try_from(record.row_limit)
                .map_err(|e| stored_definition_broken(&record, &e))?,
            timeout: self.policies.reports.timeout,
        };
        match self.produce(&query, limits, format, &record).await {
            Ok(result) => {
                let rows = result.row_count;
                self.store.complete_generated_report(id, result).await?;
                self.report_ready(&caller, id, &record, rows).await;
            }
            Err(err) => {
                if let Err(store_err) = self.store.fail_generated_report(id, &err.message).await {
                    tracing::warn!(%store_err, %id, "a failed report run could not be recorded");
                }
                return Err(err);
            }
        }
        Ok(self.store.generated_report(id).await?.summary.into())
    }

    async fn produce(
        &self,
        query: &multipass_domain::reports::CompiledQuery,
        limits: QueryLimits,
        format: ReportFormat,
        record: &ReportDefinitionRecord,
    ) -> Result<ReportResult, ApiError> {
        let rows = self.store.run_report_query(query, limits).await?;
        if rows.exceeded_row_limit {
            return Err(limit_exceeded(record.row_limit));
        }
        let table: ReportTable = rows.table;
        let row_count = u32::try_from(table.rows.len())
            .map_err(|e| ApiError::internal("A report had too many rows to count", &e))?;
        let bytes = render(&table, format, &record.name)
            .map_err(|e| ApiError::internal("The report could not be rendered", &e))?;
        Ok(ReportResult {
            hash: result_hash(&bytes),
            bytes,
            row_count,
            generated_at: self.clock.now(),
        })
    }

    async fn report_ready(
        &self,
        caller: &Caller,
        id: Uuid,
        record: &ReportDefinitionRecord,
        rows: u32,
    ) {
        self.notify(
            caller.identity_id,
            NotificationKind::ReportReady,
            format!("Your report {} is ready", record.name),
            format!("{rows} rows. Open it from your reports, also offline."),
            serde_json::json!({ "reportId": id, "definitionId": record.id, "definition": record.name }),
        )
        .await;
    }

    /// The caller's generated reports, newest first.
    pub async fn my_reports(
        &self,
        token: &SessionToken,
        limit: Option<u32>,
    ) -> Result<Vec<GeneratedReportView>, ApiError> {
        let caller = self.caller(token).await?;
        let limit = match limit {
            None => 100,
            Some(n) if (1..=MAX_LISTED_REPORTS).contains(&n) => n,
            Some(_) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("List 1 to {MAX_LISTED_REPORTS} reports at a time."),
                )
                .with_field("limit"));
            }
        };
        let reports = self
            .store
            .generated_reports(caller.identity_id, limit)
            .await?;
        Ok(reports.into_iter().map(Into::into).collect())
    }

    /// A completed report with its bytes, from the store (no network needed for the
    /// embedded one). Its owner or an admin may open it. The bytes are checked against the
    /// stored hash before they are handed out.
    pub async fn open_report(
        &self,
        token: &SessionToken,
        id: Uuid,
    ) -> Result<OpenedReport, ApiError> {
        let caller = self.caller(token).await?;
        let not_found =
            || ApiError::new(ErrorCode::NotFound, "You have no such report.").with_field("id");
        let report = match self.store.generated_report(id).await {
            Err(StoreError::NotFound) => return Err(not_found()),
            other => other?,
        };
        // Someone else's report is not found rather than forbidden: ids reveal nothing.
        if caller
            .require_self_or(report.summary.identity_id, Role::Admin)
            .is_err()
        {
            return Err(not_found());
        }
        let view: GeneratedReportView = report.summary.into();
        let (Some(bytes), Some(hash)) = (report.result, view.result_hash.clone()) else {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                format!(
                    "This report is {}, so there is nothing to open.",
                    view.status
                ),
            ));
        };
        if result_hash(&bytes) != hash {
            return Err(ApiError::internal(
                "The stored report does not match its hash",
                &format!("generated report {id}"),
            ));
        }
        Ok(OpenedReport {
            report: view,
            bytes,
        })
    }

    /// Writes a completed report to `path` (replacing a file there).
    pub async fn export_report(
        &self,
        token: &SessionToken,
        id: Uuid,
        path: &Path,
    ) -> Result<ExportedReport, ApiError> {
        let opened = self.open_report(token, id).await?;
        tokio::fs::write(path, &opened.bytes).await.map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidInput,
                format!("The report could not be written to {}: {e}", path.display()),
            )
            .with_field("path")
        })?;
        Ok(ExportedReport {
            path: path.to_owned(),
            bytes: opened.bytes.len() as u64,
            result_hash: opened.report.result_hash.unwrap_or_default(),
        })
    }
}
