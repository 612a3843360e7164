//! Admins write report definitions; everyone lists the active ones.

use super::types::{NewReportDefinitionRequest, ReportDefinitionChanges, ReportDefinitionView};
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::reports::{ParamDecl, ReportFormat, ReportName, Template, parse_row_limit};
use multipass_domain::{Role, SessionToken};
use multipass_store::{
    NewReportDefinition, ReportDefinitionContent, ReportDefinitionRecord, SecurityEventType,
    StoreError,
};
use uuid::Uuid;

const MAX_DESCRIPTION_CHARS: usize = 2000;
const DEFAULT_ROW_LIMIT: u32 = 10_000;

pub(super) fn parse_format(text: &str, field: &str) -> Result<ReportFormat, ApiError> {
    ReportFormat::parse(text).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("{text:?} is not a report format; use json, csv or pdf."),
        )
        .with_field(field)
    })
}

/// Checks a definition's content as a whole: the template against its declarations (in
/// the syntax this store runs), the format, the limit and the description.
fn checked_content(
    description: String,
    sql_template: String,
    parameters: &[String],
    default_format: &str,
    row_limit: i64,
) -> Result<ReportDefinitionContent, ApiError> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("A description can be at most {MAX_DESCRIPTION_CHARS} characters."),
        )
        .with_field("description"));
    }
    let decls = ParamDecl::parse_all(parameters)?;
    Template::parse(&sql_template, &decls)?;
    Ok(ReportDefinitionContent {
        description,
        sql_template,
        parameters: decls,
        default_format: parse_format(default_format, "defaultFormat")?,
        row_limit: parse_row_limit(row_limit)?,
    })
}

fn definition_not_found(err: StoreError) -> ApiError {
    match err {
        StoreError::NotFound => {
            ApiError::new(ErrorCode::NotFound, "There is no such report definition.")
                .with_field("definition")
        }
        other => other.into(),
    }
}

impl MultipassApi {
    /// Active definitions; admins may ask for the deactivated ones too.
    pub async fn report_definitions(
        &self,
        token: &SessionToken,
        include_inactive: bool,
    ) -> Result<Vec<ReportDefinitionView>, ApiError> {
        let caller = self.caller(token).await?;
        if include_inactive {
            caller.require(Role::Admin)?;
        }
        let records = self.store.report_definitions(include_inactive).await?;
        Ok(records.into_iter().map(Into::into).collect())
    }

    /// A definition by name or id.
    pub(super) async fn find_report_definition(
        &self,
        reference: &str,
    ) -> Result<ReportDefinitionRecord, ApiError> {
        let found = match Uuid::try_parse(reference.trim()) {
            Ok(id) => self.store.report_definition(id).await,
            Err(_) => {
                let name = ReportName::parse(reference)
                    .map_err(|e| ApiError::from(e).with_field("definition"))?;
                self.store.report_definition_by_name(&name).await
            }
        };
        found.map_err(definition_not_found)
    }

    pub async fn create_report_definition(
        &self,
        token: &SessionToken,
        request: NewReportDefinitionRequest,
    ) -> Result<ReportDefinitionView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let name = ReportName::parse(&request.name)?;
        let content = checked_content(
            request.description,
            request.sql_template,
            &request.parameters,
            request.default_format.as_deref().unwrap_or("json"),
            request.row_limit.unwrap_or(i64::from(DEFAULT_ROW_LIMIT)),
        )?;
        let record = self
            .store
            .create_report_definition(NewReportDefinition {
                id: Uuid::new_v4(),
                name,
                content,
                at: self.clock.now(),
            })
            .await?;
        self.audit_definition(&caller, &record, "created").await?;
        Ok(record.into())
    }

    /// Changes a definition an admin wrote; built-ins keep their text (they are written per
    /// backend) but can be deactivated.
    pub async fn update_report_definition(
        &self,
        token: &SessionToken,
        definition: &str,
        changes: ReportDefinitionChanges,
    ) -> Result<ReportDefinitionView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let current = self.find_report_definition(definition).await?;
        if current.is_builtin {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Built-in reports cannot be changed; create a definition of your own instead.",
            ));
        }
        let content = checked_content(
            changes.description.unwrap_or(current.description),
            changes.sql_template.unwrap_or(current.sql_template),
            &changes.parameters.unwrap_or(current.parameters),
            changes
                .default_format
                .as_deref()
                .unwrap_or(&current.default_format),
            changes.row_limit.unwrap_or(current.row_limit),
        )?;
        let record = self
            .store
            .update_report_definition(current.id, content, self.clock.now())
            .await
            .map_err(definition_not_found)?;
        self.audit_definition(&caller, &record, "updated").await?;
        Ok(record.into())
    }

    /// Deactivates (soft: generated reports keep pointing at it) or reactivates a definition.
    pub async fn set_report_definition_active(
        &self,
        token: &SessionToken,
        definition: &str,
        active: bool,
    ) -> Result<ReportDefinitionView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let current = self.find_report_definition(definition).await?;
        let record = self
            .store
            .set_report_definition_active(current.id, active, self.clock.now())
            .await
            .map_err(definition_not_found)?;
        let change = if active { "activated" } else { "deactivated" };
        self.audit_definition(&caller, &record, change).await?;
        Ok(record.into())
    }

    /// Report SQL runs against business data, so who changed which definition is evidence.
    async fn audit_definition(
        &self,
        caller: &crate::Caller,
        record: &ReportDefinitionRecord,
        change: &str,
    ) -> Result<(), ApiError> {
        self.audit(
            Some(caller.identity_id),
            Some(caller.identity_id),
            SecurityEventType::ReportDefinitionChanged,
            serde_json::json!({
                "definitionId": record.id,
                "name": record.name,
                "change": change,
            }),
        )
        .await
    }
}
