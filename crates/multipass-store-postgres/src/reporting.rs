mod cells;

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use multipass_domain::IdentityId;
use multipass_domain::reports::builtin::BuiltinReport;
use multipass_domain::reports::{CompiledQuery, Dialect, ParamValue, ReportName, ReportTable};
use multipass_store::{
    GeneratedReport, GeneratedReportSummary, NewGeneratedReport, NewNotification,
    NewReportDefinition, NotificationQuery, NotificationRecord, QueryLimits, QueryRefusal,
    QueryRows, ReportDefinitionContent, ReportDefinitionRecord, ReportResult, ReportStore,
    StoreError,
};
use sqlx::postgres::{PgArguments, PgRow, PgTypeInfo};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Column, Executor, Postgres, Row, SqlSafeStr, Statement, Type};
use uuid::Uuid;

/// The role migration 003 creates: SELECT on business tables only.
const REPORT_ROLE: &str = "multipass_report_reader";

const DEFINITION_COLUMNS: &str = "id, name, description, sql_template, parameters, default_format, \
     row_limit, is_builtin, is_active, created_at, updated_at";

const REPORT_COLUMNS: &str = "g.id, g.report_definition_id, d.name AS definition_name, g.identity_id, \
     g.parameters, g.format, g.status, g.result_hash, g.row_count, g.error_message, g.generated_at, g.created_at";

fn notification_from(row: &PgRow) -> Result<NotificationRecord, sqlx::Error> {
    Ok(NotificationRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        read_at: row.try_get("read_at")?,
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
    })
}

fn definition_from(row: &PgRow) -> Result<ReportDefinitionRecord, sqlx::Error> {
    Ok(ReportDefinitionRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        sql_template: row.try_get("sql_template")?,
        parameters: row.try_get("parameters")?,
        default_format: row.try_get("default_format")?,
        row_limit: i64::from(row.try_get::<i32, _>("row_limit")?),
        is_builtin: row.try_get("is_builtin")?,
        is_active: row.try_get("is_active")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn report_from(row: &PgRow) -> Result<GeneratedReportSummary, sqlx::Error> {
    Ok(GeneratedReportSummary {
        id: row.try_get("id")?,
        definition_id: row.try_get("report_definition_id")?,
        definition_name: row.try_get("definition_name")?,
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        parameters: row.try_get("parameters")?,
        format: row.try_get("format")?,
        status: row.try_get("status")?,
        result_hash: row.try_get("result_hash")?,
        row_count: row.try_get::<Option<i32>, _>("row_count")?.map(i64::from),
        error_message: row.try_get("error_message")?,
        generated_at: row.try_get("generated_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn declarations(content: &ReportDefinitionContent) -> Vec<String> {
    content.parameters.iter().map(ToString::to_string).collect()
}

fn row_limit(limit: u32) -> Result<i32, StoreError> {
    i32::try_from(limit).map_err(|_| StoreError::ConstraintViolated {
        constraint: "report_definitions.row_limit".into(),
    })
}

fn bind_value<'q>(
    query: Query<'q, Postgres, PgArguments>,
    value: &ParamValue,
) -> Query<'q, Postgres, PgArguments> {
    match value {
        ParamValue::Date(d) => query.bind(*d),
        ParamValue::Uuid(u) => query.bind(*u),
        ParamValue::Text(t) => query.bind(t.clone()),
        ParamValue::Integer(i) => query.bind(*i),
    }
}

fn bind_type(value: &ParamValue) -> PgTypeInfo {
    match value {
        ParamValue::Date(_) => <chrono::NaiveDate as Type<Postgres>>::type_info(),
        ParamValue::Uuid(_) => <Uuid as Type<Postgres>>::type_info(),
        ParamValue::Text(_) => <String as Type<Postgres>>::type_info(),
        ParamValue::Integer(_) => <i64 as Type<Postgres>>::type_info(),
    }
}

/// Report query failures by SQLSTATE: what the read-only guard and the reader role refuse
/// is told apart from a cancelled query and from a broken template.
fn map_query_err(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        let code = db.code().unwrap_or_default();
        let refused = |reason| StoreError::ReportQueryRefused {
            reason,
            detail: db.message().to_owned(),
        };
        match code.as_ref() {
            "57014" => return StoreError::ReportTimedOut,
            // read_only_sql_transaction
            "25006" => return refused(QueryRefusal::ReadOnly),
            // insufficient_privilege
            "42501" => return refused(QueryRefusal::PermissionDenied),
            c if c.starts_with("08") || c.starts_with("57P") => {}
            _ => return refused(QueryRefusal::Invalid),
        }
    }
    map_err(err)
}

#[async_trait]
impl ReportStore for PgStore {
    async fn create_notifications(
        &self,
        notifications: &[NewNotification],
    ) -> Result<(), StoreError> {
        if notifications.is_empty() {
            return Ok(());
        }
        // One statement is one implicit transaction: all rows or none, one round trip.
        sqlx::query(
            "INSERT INTO notifications (id, identity_id, kind, title, body, metadata, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
               $6::jsonb[], $7::timestamptz[])",
        )
        .bind(notifications.iter().map(|n| n.id).collect::<Vec<_>>())
        .bind(
            notifications
                .iter()
                .map(|n| n.identity_id.as_uuid())
                .collect::<Vec<_>>(),
        )
        .bind(
            notifications
                .iter()
                .map(|n| n.kind.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(notifications.iter().map(|n| &n.title).collect::<Vec<_>>())
        .bind(notifications.iter().map(|n| &n.body).collect::<Vec<_>>())
        .bind(
            notifications
                .iter()
                .map(|n| &n.metadata)
                .collect::<Vec<_>>(),
        )
        .bind(
            notifications
                .iter()
                .map(|n| n.created_at)
                .collect::<Vec<_>>(),
        )
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn notifications(
        &self,
        query: NotificationQuery,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, title, body, read_at, metadata, created_at FROM notifications \
             WHERE identity_id = $1 AND (NOT $2 OR NOT is_read) \
             AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5",
        )
        .bind(query.identity_id.as_uuid())
        .bind(query.unread_only)
        .bind(query.before.map(|c| c.created_at))
        .bind(query.before.map(|c| c.id))
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(notification_from)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn mark_notification_read(
        &self,
        identity: IdentityId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET is_read = TRUE, read_at = COALESCE(read_at, $3) \
             WHERE id = $1 AND identity_id = $2",
        )
        .bind(id)
        .bind(identity.as_uuid())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn mark_all_notifications_read(
        &self,
        identity: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET is_read = TRUE, read_at = $2 WHERE identity_id = $1 AND NOT is_read",
        )
        .bind(identity.as_uuid())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn unread_notification_count(&self, identity: IdentityId) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE identity_id = $1 AND NOT is_read",
        )
        .bind(identity.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(count.unsigned_abs())
    }

    fn report_dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn install_builtin_reports(
        &self,
        reports: &[BuiltinReport],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for report in reports {
            // ON CONFLICT makes concurrent first starts of many desktops insert once.
            sqlx::query(
                "INSERT INTO report_definitions (id, name, description, sql_template, parameters, \
                 default_format, row_limit, is_builtin, is_active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, TRUE, $8, $8) ON CONFLICT (name) DO NOTHING",
            )
            .bind(Uuid::new_v4())
            .bind(report.name)
            .bind(report.description)
            .bind(report.sql(Dialect::Postgres))
            .bind(report.parameters)
            .bind(report.default_format.as_str())
            .bind(row_limit(report.row_limit)?)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        }
        Ok(())
    }

    async fn create_report_definition(
        &self,
        definition: NewReportDefinition,
    ) -> Result<ReportDefinitionRecord, StoreError> {
        let content = &definition.content;
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO report_definitions (id, name, description, sql_template, parameters, \
             default_format, row_limit, is_builtin, is_active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, TRUE, $8, $8) RETURNING {DEFINITION_COLUMNS}"
        )))
        .bind(definition.id)
        .bind(definition.name.as_str())
        .bind(&content.description)
        .bind(&content.sql_template)
        .bind(declarations(content))
        .bind(content.default_format.as_str())
        .bind(row_limit(content.row_limit)?)
        .bind(definition.at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    async fn update_report_definition(
        &self,
        id: Uuid,
        content: ReportDefinitionContent,
        at: DateTime<Utc>,
    ) -> Result<ReportDefinitionRecord, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE report_definitions SET description = $2, sql_template = $3, parameters = $4, \
             default_format = $5, row_limit = $6, updated_at = $7 WHERE id = $1 RETURNING {DEFINITION_COLUMNS}"
        )))
        .bind(id)
        .bind(&content.description)
        .bind(&content.sql_template)
        .bind(declarations(&content))
        .bind(content.default_format.as_str())
        .bind(row_limit(content.row_limit)?)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    async fn set_report_definition_active(
        &self,
        id: Uuid,
        active: bool,
        at: DateTime<Utc>,
    ) -> Result<ReportDefinitionRecord, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE report_definitions SET is_active = $2, updated_at = $3 WHERE id = $1 RETURNING {DEFINITION_COLUMNS}"
        )))
        .bind(id)
        .bind(active)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    async fn report_definitions(
        &self,
        include_inactive: bool,
    ) -> Result<Vec<ReportDefinitionRecord>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DEFINITION_COLUMNS} FROM report_definitions WHERE $1 OR is_active ORDER BY name"
        )))
        .bind(include_inactive)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(definition_from)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn report_definition(&self, id: Uuid) -> Result<ReportDefinitionRecord, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DEFINITION_COLUMNS} FROM report_definitions WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    async fn report_definition_by_name(
        &self,
        name: &ReportName,
    ) -> Result<ReportDefinitionRecord, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DEFINITION_COLUMNS} FROM report_definitions WHERE name = $1"
        )))
        .bind(name.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn run_report_query(
        &self,
        query: &CompiledQuery,
        limits: QueryLimits,
    ) -> Result<QueryRows, StoreError> {
        let mut tx = self
            .report_pool
            .as_ref()
            .unwrap_or(&self.pool)
            .begin_with("BEGIN TRANSACTION READ ONLY")
            .await
            .map_err(map_err)?;
        sqlx::query(AssertSqlSafe(format!("SET LOCAL ROLE {REPORT_ROLE}")))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let timeout_ms = limits.timeout.as_millis().clamp(1, i64::MAX as u128);
        sqlx::query("SELECT set_config('statement_timeout', $1, true)")
            .bind(timeout_ms.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        // Preparing gives the column names even when no row comes back.
        // Declaring the parameter types keeps the statement cached here usable by the query
        // below, which binds the same types.
        let types: Vec<PgTypeInfo> = query.binds.iter().map(bind_type).collect();
        let statement = (&mut *tx)
            .prepare_with(AssertSqlSafe(query.sql.clone()).into_sql_str(), &types)
            .await
            .map_err(map_query_err)?;
        let columns: Vec<String> = statement
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let mut prepared = sqlx::query(AssertSqlSafe(query.sql.clone()));
        for value in &query.binds {
            prepared = bind_value(prepared, value);
        }
        let cap = usize::try_from(limits.row_limit).unwrap_or(usize::MAX);
        let mut table = ReportTable {
            columns,
            rows: Vec::new(),
        };
        let mut exceeded = false;
        {
            let mut stream = prepared.fetch(&mut *tx);
            while let Some(row) = stream.try_next().await.map_err(map_query_err)? {
                if table.rows.len() == cap {
                    exceeded = true;
                    break;
                }
                let cells = (0..row.columns().len())
                    .map(|i| cells::cell(&row, i))
                    .collect::<Result<Vec<_>, _>>()?;
                table.rows.push(cells);
            }
        }
        // Nothing was written; rolling back also ends the role switch and the timeout.
        tx.rollback().await.map_err(map_err)?;
        Ok(QueryRows {
            table,
            exceeded_row_limit: exceeded,
        })
    }

    async fn start_generated_report(&self, report: NewGeneratedReport) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO generated_reports (id, report_definition_id, identity_id, parameters, format, \
             status, created_at) VALUES ($1, $2, $3, $4, $5, 'running', $6)",
        )
        .bind(report.id)
        .bind(report.definition_id)
        .bind(report.identity_id.as_uuid())
        .bind(&report.parameters)
        .bind(report.format.as_str())
        .bind(report.created_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn complete_generated_report(
        &self,
        id: Uuid,
        result: ReportResult,
    ) -> Result<(), StoreError> {
        let row_count =
            i32::try_from(result.row_count).map_err(|_| StoreError::ConstraintViolated {
                constraint: "generated_reports.row_count".into(),
            })?;
        let done = sqlx::query(
            "UPDATE generated_reports SET status = 'completed', result = $2, result_hash = $3, \
             row_count = $4, generated_at = $5, error_message = NULL WHERE id = $1 AND status = 'running'",
        )
        .bind(id)
        .bind(&result.bytes)
        .bind(&result.hash)
        .bind(row_count)
        .bind(result.generated_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn fail_generated_report(&self, id: Uuid, message: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE generated_reports SET status = 'failed', error_message = $2 WHERE id = $1 AND status = 'running'",
        )
        .bind(id)
        .bind(message)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn generated_reports(
        &self,
        identity: IdentityId,
        limit: u32,
    ) -> Result<Vec<GeneratedReportSummary>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REPORT_COLUMNS} FROM generated_reports g JOIN report_definitions d ON d.id = g.report_definition_id \
             WHERE g.identity_id = $1 ORDER BY g.created_at DESC, g.id DESC LIMIT $2"
        )))
        .bind(identity.as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(report_from)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn generated_report(&self, id: Uuid) -> Result<GeneratedReport, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {REPORT_COLUMNS}, g.result FROM generated_reports g \
             JOIN report_definitions d ON d.id = g.report_definition_id WHERE g.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(GeneratedReport {
            summary: report_from(&row).map_err(map_err)?,
            result: row.try_get("result").map_err(map_err)?,
        })
    }
}
