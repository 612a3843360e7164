use crate::errors::map_err;
use crate::store::{SqliteStore, optional_time_from, time_from, uuid_from, uuid_text};
use crate::time::to_text;
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
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteRow};
use sqlx::{
    AssertSqlSafe, Column, ConnectOptions, Connection, Executor, Row, SqlSafeStr, Sqlite,
    Statement, TypeInfo, ValueRef,
};
use std::time::Instant;
use uuid::Uuid;

macro_rules! definition_columns {
    () => {
        "id, name, description, sql_template, parameters, default_format, row_limit, is_builtin, \
         is_active, created_at, updated_at"
    };
}

macro_rules! report_columns {
    () => {
        "g.id, g.report_definition_id, d.name AS definition_name, g.identity_id, g.parameters, \
         g.format, g.status, g.result_hash, g.row_count, g.error_message, g.generated_at, g.created_at"
    };
}

/// How many SQLite virtual-machine steps pass between checks of a report's deadline.
const PROGRESS_STEPS: i32 = 1000;

fn decode_err(column: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("{column}: {e}").into())
}

fn json_col(row: &SqliteRow, column: &str) -> Result<Value, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| decode_err(column, e))
}

fn notification_from(row: &SqliteRow) -> Result<NotificationRecord, sqlx::Error> {
    Ok(NotificationRecord {
        id: uuid_from(row, "id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        read_at: optional_time_from(row, "read_at")?,
        metadata: json_col(row, "metadata")?,
        created_at: time_from(row, "created_at")?,
    })
}

fn definition_from(row: &SqliteRow) -> Result<ReportDefinitionRecord, sqlx::Error> {
    let parameters: Vec<String> = serde_json::from_value(json_col(row, "parameters")?)
        .map_err(|e| decode_err("parameters", e))?;
    Ok(ReportDefinitionRecord {
        id: uuid_from(row, "id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        sql_template: row.try_get("sql_template")?,
        parameters,
        default_format: row.try_get("default_format")?,
        row_limit: row.try_get("row_limit")?,
        is_builtin: row.try_get("is_builtin")?,
        is_active: row.try_get("is_active")?,
        created_at: time_from(row, "created_at")?,
        updated_at: time_from(row, "updated_at")?,
    })
}

pub(crate) fn report_from(row: &SqliteRow) -> Result<GeneratedReportSummary, sqlx::Error> {
    Ok(GeneratedReportSummary {
        id: uuid_from(row, "id")?,
        definition_id: uuid_from(row, "report_definition_id")?,
        definition_name: row.try_get("definition_name")?,
        identity_id: IdentityId::from_uuid(uuid_from(row, "identity_id")?),
        parameters: json_col(row, "parameters")?,
        format: row.try_get("format")?,
        status: row.try_get("status")?,
        result_hash: row.try_get("result_hash")?,
        row_count: row.try_get("row_count")?,
        error_message: row.try_get("error_message")?,
        generated_at: optional_time_from(row, "generated_at")?,
        created_at: time_from(row, "created_at")?,
    })
}

fn declarations(content: &ReportDefinitionContent) -> String {
    Value::from(
        content
            .parameters
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    )
    .to_string()
}

/// SQLite has no date or UUID types: dates bind as `YYYY-MM-DD` text, which orders against
/// the stored fixed-width timestamps, and UUIDs as the lower-case text they are stored as.
fn bind_value<'q>(
    query: Query<'q, Sqlite, SqliteArguments>,
    value: &ParamValue,
) -> Query<'q, Sqlite, SqliteArguments> {
    match value {
        ParamValue::Date(d) => query.bind(d.format("%Y-%m-%d").to_string()),
        ParamValue::Uuid(u) => query.bind(uuid_text(*u)),
        ParamValue::Text(t) => query.bind(t.clone()),
        ParamValue::Integer(i) => query.bind(*i),
    }
}

/// SQLite's primary result codes (the low byte of the extended code).
fn map_query_err(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        let primary = db
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff);
        let refused = |reason| StoreError::ReportQueryRefused {
            reason,
            detail: db.message().to_owned(),
        };
        match primary {
            // SQLITE_INTERRUPT: the progress handler stopped it at the deadline.
            Some(9) => return StoreError::ReportTimedOut,
            // SQLITE_READONLY
            Some(8) => return refused(QueryRefusal::ReadOnly),
            // SQLITE_AUTH, SQLITE_PERM
            Some(23 | 3) => return refused(QueryRefusal::PermissionDenied),
            // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL
            Some(5 | 6 | 14 | 10 | 13) => {}
            _ => return refused(QueryRefusal::Invalid),
        }
    }
    map_err(err)
}

fn cell(row: &SqliteRow, index: usize) -> Result<Value, StoreError> {
    let raw = row.try_get_raw(index).map_err(map_err)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    // The storage class of this value, not the column's declared type.
    let class = raw.type_info().name().to_owned();
    let value = match class.as_str() {
        "INTEGER" => Value::from(row.try_get_unchecked::<i64, _>(index).map_err(map_err)?),
        "REAL" => {
            let f = row.try_get_unchecked::<f64, _>(index).map_err(map_err)?;
            serde_json::Number::from_f64(f)
                .map_or_else(|| Value::String(f.to_string()), Value::Number)
        }
        "BLOB" => Value::String(
            row.try_get_unchecked::<Vec<u8>, _>(index)
                .map_err(map_err)?
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        ),
        _ => Value::String(row.try_get_unchecked::<String, _>(index).map_err(map_err)?),
    };
    Ok(value)
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn create_notifications(
        &self,
        notifications: &[NewNotification],
    ) -> Result<(), StoreError> {
        if notifications.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for notification in notifications {
            sqlx::query(
                "INSERT INTO notifications (id, identity_id, kind, title, body, metadata, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(uuid_text(notification.id))
            .bind(uuid_text(notification.identity_id.as_uuid()))
            .bind(notification.kind.as_str())
            .bind(&notification.title)
            .bind(&notification.body)
            .bind(notification.metadata.to_string())
            .bind(to_text(notification.created_at))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn notifications(
        &self,
        query: NotificationQuery,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, title, body, read_at, metadata, created_at FROM notifications \
             WHERE identity_id = ?1 AND (NOT ?2 OR NOT is_read) \
             AND (?3 IS NULL OR created_at < ?3 OR (created_at = ?3 AND id < ?4)) \
             ORDER BY created_at DESC, id DESC LIMIT ?5",
        )
        .bind(uuid_text(query.identity_id.as_uuid()))
        .bind(query.unread_only)
        .bind(query.before.map(|c| to_text(c.created_at)))
        .bind(query.before.map(|c| uuid_text(c.id)))
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
            "UPDATE notifications SET is_read = 1, read_at = COALESCE(read_at, ?3) \
             WHERE id = ?1 AND identity_id = ?2",
        )
        .bind(uuid_text(id))
        .bind(uuid_text(identity.as_uuid()))
        .bind(to_text(now))
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
            "UPDATE notifications SET is_read = 1, read_at = ?2 WHERE identity_id = ?1 AND NOT is_read",
        )
        .bind(uuid_text(identity.as_uuid()))
        .bind(to_text(now))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn unread_notification_count(&self, identity: IdentityId) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE identity_id = ?1 AND NOT is_read",
        )
        .bind(uuid_text(identity.as_uuid()))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(count.unsigned_abs())
    }

    fn report_dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn install_builtin_reports(
        &self,
        reports: &[BuiltinReport],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = to_text(at);
        for report in reports {
            sqlx::query(
                "INSERT INTO report_definitions (id, name, description, sql_template, parameters, \
                 default_format, row_limit, is_builtin, is_active, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 1, ?8, ?8) ON CONFLICT (name) DO NOTHING",
            )
            .bind(uuid_text(Uuid::new_v4()))
            .bind(report.name)
            .bind(report.description)
            .bind(report.sql(Dialect::Sqlite))
            .bind(Value::from(report.parameters.to_vec()).to_string())
            .bind(report.default_format.as_str())
            .bind(i64::from(report.row_limit))
            .bind(&at)
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
        let row = sqlx::query(concat!(
            "INSERT INTO report_definitions (id, name, description, sql_template, parameters, \
             default_format, row_limit, is_builtin, is_active, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 1, ?8, ?8) RETURNING ",
            definition_columns!()
        ))
        .bind(uuid_text(definition.id))
        .bind(definition.name.as_str())
        .bind(&content.description)
        .bind(&content.sql_template)
        .bind(declarations(content))
        .bind(content.default_format.as_str())
        .bind(i64::from(content.row_limit))
        .bind(to_text(definition.at))
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
        let row = sqlx::query(concat!(
            "UPDATE report_definitions SET description = ?2, sql_template = ?3, parameters = ?4, \
             default_format = ?5, row_limit = ?6, updated_at = ?7 WHERE id = ?1 RETURNING ",
            definition_columns!()
        ))
        .bind(uuid_text(id))
        .bind(&content.description)
        .bind(&content.sql_template)
        .bind(declarations(&content))
        .bind(content.default_format.as_str())
        .bind(i64::from(content.row_limit))
        .bind(to_text(at))
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
        let row = sqlx::query(concat!(
            "UPDATE report_definitions SET is_active = ?2, updated_at = ?3 WHERE id = ?1 RETURNING ",
            definition_columns!()
        ))
        .bind(uuid_text(id))
        .bind(active)
        .bind(to_text(at))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    async fn report_definitions(
        &self,
        include_inactive: bool,
    ) -> Result<Vec<ReportDefinitionRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            definition_columns!(),
            " FROM report_definitions WHERE ?1 OR is_active ORDER BY name"
        ))
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
        let row = sqlx::query(concat!(
            "SELECT ",
            definition_columns!(),
            " FROM report_definitions WHERE id = ?1"
        ))
        .bind(uuid_text(id))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    async fn report_definition_by_name(
        &self,
        name: &ReportName,
    ) -> Result<ReportDefinitionRecord, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            definition_columns!(),
            " FROM report_definitions WHERE name = ?1"
        ))
        .bind(name.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        definition_from(&row).map_err(map_err)
    }

    /// Runs on a connection of its own, opened read-only, so that no statement of the query
    /// can write whatever it is; a progress handler interrupts it at the deadline.
    #[tracing::instrument(skip_all)]
    async fn run_report_query(
        &self,
        query: &CompiledQuery,
        limits: QueryLimits,
    ) -> Result<QueryRows, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(self.pool.connect_options().get_filename())
            .read_only(true)
            .create_if_missing(false);
        let mut conn = options.connect().await.map_err(map_err)?;
        let deadline = Instant::now() + limits.timeout;
        conn.lock_handle()
            .await
            .map_err(map_err)?
            .set_progress_handler(PROGRESS_STEPS, move || Instant::now() < deadline);
        let outcome = read_rows(&mut conn, query, limits).await;
        // Closing drops the handler with the connection; its failure changes nothing read.
        let _ = conn.close().await;
        outcome
    }

    async fn start_generated_report(&self, report: NewGeneratedReport) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO generated_reports (id, report_definition_id, identity_id, parameters, format, \
             status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)",
        )
        .bind(uuid_text(report.id))
        .bind(uuid_text(report.definition_id))
        .bind(uuid_text(report.identity_id.as_uuid()))
        .bind(report.parameters.to_string())
        .bind(report.format.as_str())
        .bind(to_text(report.created_at))
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
        let done = sqlx::query(
            "UPDATE generated_reports SET status = 'completed', result = ?2, result_hash = ?3, \
             row_count = ?4, generated_at = ?5, error_message = NULL WHERE id = ?1 AND status = 'running'",
        )
        .bind(uuid_text(id))
        .bind(&result.bytes)
        .bind(&result.hash)
        .bind(i64::from(result.row_count))
        .bind(to_text(result.generated_at))
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
            "UPDATE generated_reports SET status = 'failed', error_message = ?2 WHERE id = ?1 AND status = 'running'",
        )
        .bind(uuid_text(id))
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
        let rows = sqlx::query(concat!(
            "SELECT ",
            report_columns!(),
            " FROM generated_reports g JOIN report_definitions d ON d.id = g.report_definition_id \
             WHERE g.identity_id = ?1 ORDER BY g.created_at DESC, g.id DESC LIMIT ?2"
        ))
        .bind(uuid_text(identity.as_uuid()))
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
        let row = sqlx::query(concat!(
            "SELECT ",
            report_columns!(),
            ", g.result FROM generated_reports g \
             JOIN report_definitions d ON d.id = g.report_definition_id WHERE g.id = ?1"
        ))
        .bind(uuid_text(id))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(GeneratedReport {
            summary: report_from(&row).map_err(map_err)?,
            result: row.try_get("result").map_err(map_err)?,
        })
    }
}

async fn read_rows(
    conn: &mut sqlx::SqliteConnection,
    query: &CompiledQuery,
    limits: QueryLimits,
) -> Result<QueryRows, StoreError> {
    // Preparing gives the column names even when no row comes back.
    let statement = (&mut *conn)
        .prepare(AssertSqlSafe(query.sql.clone()).into_sql_str())
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
    let mut stream = prepared.fetch(&mut *conn);
    while let Some(row) = stream.try_next().await.map_err(map_query_err)? {
        if table.rows.len() == cap {
            exceeded = true;
            break;
        }
        let cells = (0..row.columns().len())
            .map(|i| cell(&row, i))
            .collect::<Result<Vec<_>, _>>()?;
        table.rows.push(cells);
    }
    Ok(QueryRows {
        table,
        exceeded_row_limit: exceeded,
    })
}
