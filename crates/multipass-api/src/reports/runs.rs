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
            timeout: self.rules().await?.report_timeout,
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
        let report = self.store.generated_report(id).await?;
        self.keep_offline(token, &caller, &report).await;
        Ok(report.summary.into())
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
        let listed = async {
            let caller = self.caller(token).await?;
            let limit = list_limit(limit)?;
            Ok::<_, ApiError>(
                self.store
                    .generated_reports(caller.identity_id, limit)
                    .await?,
            )
        };
        let reports = listed.await.map_err(with_offline_hint)?;
        Ok(reports.into_iter().map(Into::into).collect())
    }

    /// A completed report with its bytes, from the store (no network needed for the
    /// embedded one). Its owner or an admin may open it. The bytes are checked against the
    /// stored hash before they are handed out; the owner's own reports are then copied for
    /// offline reading when the store is the shared database.
    pub async fn open_report(
        &self,
        token: &SessionToken,
        id: Uuid,
    ) -> Result<OpenedReport, ApiError> {
        self.open_checked(token, id)
            .await
            .map_err(with_offline_hint)
    }

    async fn open_checked(&self, token: &SessionToken, id: Uuid) -> Result<OpenedReport, ApiError> {
        let caller = self.caller(token).await?;
        let report = match self.store.generated_report(id).await {
            Err(StoreError::NotFound) => return Err(no_such_report()),
            other => other?,
        };
        // Someone else's report is not found rather than forbidden: ids reveal nothing.
        if caller
            .require_self_or(report.summary.identity_id, Role::Admin)
            .is_err()
        {
            return Err(no_such_report());
        }
        let view: GeneratedReportView = report.summary.clone().into();
        let (Some(bytes), Some(hash)) = (&report.result, &view.result_hash) else {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                format!(
                    "This report is {}, so there is nothing to open.",
                    view.status
                ),
            ));
        };
        if result_hash(bytes) != *hash {
            return Err(ApiError::internal(
                "The stored report does not match its hash",
                &format!("generated report {id}"),
            ));
        }
        self.keep_offline(token, &caller, &report).await;
        Ok(OpenedReport {
            report: view,
            bytes: report.result.unwrap_or_default(),
        })
    }

    /// Writes a completed report to `path` (replacing a file there).
    pub async fn export_report(
        &self,
        token: &SessionToken,
        id: Uuid,
        path: &Path,
    ) -> Result<ExportedReport, ApiError> {
        export_report(self, token, id, path).await
    }
}

/// Writes a completed report to `path` on this computer (replacing a file there), its
/// bytes opened from `authority`: the API in process, or a server.
pub async fn export_report(
    authority: &dyn crate::Operations,
    token: &SessionToken,
    id: Uuid,
    path: &Path,
) -> Result<ExportedReport, ApiError> {
    let opened = authority.open_report(token, id).await?;
    write_result(path, &opened.bytes).await?;
    Ok(ExportedReport {
        path: path.to_owned(),
        bytes: opened.bytes.len() as u64,
        result_hash: opened.report.result_hash.unwrap_or_default(),
    })
}

pub(super) fn list_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=MAX_LISTED_REPORTS).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("List 1 to {MAX_LISTED_REPORTS} reports at a time."),
        )
        .with_field("limit")),
    }
}

pub(super) fn no_such_report() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "You have no such report.").with_field("id")
}

pub(super) async fn write_result(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    tokio::fs::write(path, bytes).await.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("The report could not be written to {}: {e}", path.display()),
        )
        .with_field("path")
    })
}

/// Points an `unavailable` answer at the offline copies; every other error is left as it is.
pub fn with_offline_hint(mut err: ApiError) -> ApiError {
    if err.code == ErrorCode::Unavailable && !err.message.contains("--offline") {
        err.message.push_str(
            " Reports you ran or opened on this computer can still be read from their offline copy: \
             `multipass reports list --offline`, `show ID --offline`, `export ID --to FILE --offline`.",
        );
    }
    err
}
