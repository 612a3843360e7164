//! [`ReportCache`] in a SQLite file of its own (by default `report-cache.db` beside the
//! embedded store's file), used while the app runs on PostgreSQL. It is a separate file
//! rather than the embedded store's `generated_reports`, because that table hangs off
//! identities and definitions the embedded store does not have in that case.

use crate::errors::map_err;
use crate::file;
use crate::reporting::report_from;
use crate::store::{time_from, uuid_from, uuid_text};
use crate::time::to_text;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{IdentityId, TokenHash};
use multipass_store::{
    CachedReport, CachedReportSummary, CachedSession, GeneratedReport, OpenMode, ReportCache,
    StoreError,
};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite, Transaction};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The newest schema of the cache file this build knows.
pub const LATEST_CACHE_VERSION: i64 = 1;

const CREATE_REPORT_CACHE: &str =
    include_str!("../migrations/report_cache/0001_create_report_cache.sql");

fn cache_migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "create report cache".into(),
        MigrationType::Simple,
        CREATE_REPORT_CACHE.into_sql_str(),
        false,
    )])
}

const SUMMARY_COLUMNS: &str = "id, report_definition_id, definition_name, identity_id, parameters, format, status, \
     result_hash, row_count, error_message, generated_at, created_at, cached_at";

#[derive(Debug, Clone)]
pub struct SqliteReportCache {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteReportCache {
    /// `Migrate` creates the file (readable by its owner only, where the system has such
    /// permissions) and brings its schema up to date: for keeping reports. `Inspect` opens
    /// an existing cache and changes nothing: for reading offline; `NotFound` when nothing
    /// was ever kept there.
    #[tracing::instrument(skip_all)]
    pub async fn open(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        if mode == OpenMode::Migrate {
            create_private(path)?;
        }
        let pool = file::connect(path, mode, 2, file::Checkpoints::OnCommit).await?;
        match mode {
            OpenMode::Migrate => {
                file::migrate(&pool, &cache_migrator(), LATEST_CACHE_VERSION).await?;
            }
            OpenMode::Inspect => {
                file::check_not_newer(&pool, LATEST_CACHE_VERSION).await?;
                if file::applied_version(&pool).await?.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
        }
        Ok(Self {
            pool,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Makes an empty file that only its owner may read or write, unless one is there already;
/// SQLite gives its journal files the same permissions.
fn create_private(path: &Path) -> Result<(), StoreError> {
    if path.exists() {
        return Ok(());
    }
    file::ensure_folder(path)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process made it in the meantime.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(format!(
            "cannot create the report cache {}: {e}",
            path.display()
        ))),
    }
}

fn summary_from(row: &SqliteRow) -> Result<CachedReportSummary, sqlx::Error> {
    Ok(CachedReportSummary {
        summary: report_from(row)?,
        cached_at: time_from(row, "cached_at")?,
    })
}

async fn upsert_session(
    tx: &mut Transaction<'static, Sqlite>,
    session: &CachedSession,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cached_sessions WHERE expires_at <= ?1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO cached_sessions (token_hash, identity_id, expires_at, seen_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (token_hash) DO UPDATE SET identity_id = excluded.identity_id, \
         expires_at = excluded.expires_at, seen_at = excluded.seen_at",
    )
    .bind(session.token_hash.as_str())
    .bind(uuid_text(session.identity_id.as_uuid()))
    .bind(to_text(session.expires_at))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a report must be to be kept: completed, with bytes and a hash, and the session's.
fn keepable<'r>(
    session: &CachedSession,
    report: &'r GeneratedReport,
) -> Result<(&'r [u8], &'r str), StoreError> {
    let refuse = |constraint: &str| StoreError::ConstraintViolated {
        constraint: constraint.to_owned(),
    };
    if report.summary.identity_id != session.identity_id {
        return Err(refuse("cached_reports.identity_id"));
    }
    if report.summary.status != "completed" {
        return Err(refuse("cached_reports.status"));
    }
    match (&report.result, &report.summary.result_hash) {
        (Some(bytes), Some(hash)) => Ok((bytes, hash)),
        _ => Err(refuse("cached_reports.result")),
    }
}

#[async_trait]
impl ReportCache for SqliteReportCache {
    #[tracing::instrument(skip_all)]
    async fn keep_report(
        &self,
        session: &CachedSession,
        report: &GeneratedReport,
        keep_per_owner: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (bytes, hash) = keepable(session, report)?;
        let s = &report.summary;
        let owner = uuid_text(s.identity_id.as_uuid());
        let now = to_text(now);
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)?;
        upsert_session(&mut tx, session, &now)
            .await
            .map_err(map_err)?;
        // The WHERE keeps a row from ever moving to another owner.
        sqlx::query(
            "INSERT INTO cached_reports (id, identity_id, report_definition_id, definition_name, parameters, \
             format, status, result, result_hash, row_count, error_message, generated_at, created_at, cached_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13) \
             ON CONFLICT (id) DO UPDATE SET definition_name = excluded.definition_name, \
             result = excluded.result, result_hash = excluded.result_hash, row_count = excluded.row_count, \
             generated_at = excluded.generated_at, cached_at = excluded.cached_at \
             WHERE cached_reports.identity_id = excluded.identity_id",
        )
        .bind(uuid_text(s.id))
        .bind(&owner)
        .bind(uuid_text(s.definition_id))
        .bind(&s.definition_name)
        .bind(s.parameters.to_string())
        .bind(&s.format)
        .bind(&s.status)
        .bind(bytes)
        .bind(hash)
        .bind(s.row_count)
        .bind(s.generated_at.map(to_text))
        .bind(to_text(s.created_at))
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "DELETE FROM cached_reports WHERE identity_id = ?1 AND id NOT IN \
             (SELECT id FROM cached_reports WHERE identity_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2)",
        )
        .bind(&owner)
        .bind(i64::from(keep_per_owner))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn cached_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<CachedSession>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, identity_id, expires_at FROM cached_sessions WHERE token_hash = ?1",
        )
        .bind(token_hash.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let decode = || -> Result<CachedSession, sqlx::Error> {
            Ok(CachedSession {
                token_hash: TokenHash::from_stored(row.try_get("token_hash")?),
                identity_id: IdentityId::from_uuid(uuid_from(&row, "identity_id")?),
                expires_at: time_from(&row, "expires_at")?,
            })
        };
        decode().map(Some).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn cached_reports(
        &self,
        owner: IdentityId,
        limit: u32,
    ) -> Result<Vec<CachedReportSummary>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM cached_reports WHERE identity_id = ?1 \
             ORDER BY created_at DESC, id DESC LIMIT ?2"
        )))
        .bind(uuid_text(owner.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(summary_from)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn cached_report(&self, owner: IdentityId, id: Uuid) -> Result<CachedReport, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS}, result FROM cached_reports WHERE identity_id = ?1 AND id = ?2"
        )))
        .bind(uuid_text(owner.as_uuid()))
        .bind(uuid_text(id))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let kept = summary_from(&row).map_err(map_err)?;
        Ok(CachedReport {
            summary: kept.summary,
            result: row.try_get("result").map_err(map_err)?,
            cached_at: kept.cached_at,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

    use super::*;
    use chrono::Duration;
    use multipass_store::GeneratedReportSummary;

    fn session(name: &str, owner: IdentityId, expires_at: DateTime<Utc>) -> CachedSession {
        CachedSession {
            token_hash: TokenHash::of(name.as_bytes()),
            identity_id: owner,
            expires_at,
        }
    }

    fn report(owner: IdentityId, created_at: DateTime<Utc>) -> GeneratedReport {
        let bytes = b"{\"rows\":[]}".to_vec();
        GeneratedReport {
            summary: GeneratedReportSummary {
                id: Uuid::new_v4(),
                definition_id: Uuid::new_v4(),
                definition_name: "BalanceSheet".into(),
                identity_id: owner,
                parameters: serde_json::json!({}),
                format: "json".into(),
                status: "completed".into(),
                result_hash: Some(multipass_domain::reports::render::result_hash(&bytes)),
                row_count: Some(0),
                error_message: None,
                generated_at: Some(created_at),
                created_at,
            },
            result: Some(bytes),
        }
    }

    #[tokio::test]
    async fn keeps_the_newest_per_owner_and_only_the_owners_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/report-cache.db");
        assert!(matches!(
            SqliteReportCache::open(&path, OpenMode::Inspect).await,
            Err(StoreError::NotFound)
        ));
        let cache = SqliteReportCache::open(&path, OpenMode::Migrate)
            .await
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The file keeps milliseconds, as the embedded store does.
        let now = crate::time::from_text(&to_text(Utc::now())).unwrap();
        let ada = IdentityId::from_uuid(Uuid::new_v4());
        let grace = IdentityId::from_uuid(Uuid::new_v4());
        let adas = session("ada", ada, now + Duration::hours(1));

        let reports: Vec<_> = (0..3)
            .map(|i| report(ada, now + Duration::seconds(i)))
            .collect();
        for r in &reports {
            cache.keep_report(&adas, r, 2, now).await.unwrap();
        }
        let kept = cache.cached_reports(ada, 10).await.unwrap();
        assert_eq!(
            kept.iter().map(|k| k.summary.id).collect::<Vec<_>>(),
            [reports[2].summary.id, reports[1].summary.id]
        );
        assert_eq!(kept[0].summary, reports[2].summary);

        // Grace's report is not ada's to keep, and ada's are not grace's to open.
        let refused = cache.keep_report(&adas, &report(grace, now), 2, now).await;
        assert!(matches!(
            refused,
            Err(StoreError::ConstraintViolated { .. })
        ));
        assert!(matches!(
            cache.cached_report(grace, reports[2].summary.id).await,
            Err(StoreError::NotFound)
        ));

        // A session that has ended is forgotten at the next write.
        let graces = session("grace", grace, now - Duration::seconds(1));
        let later = session("ada-later", ada, now + Duration::hours(2));
        cache
            .keep_report(&graces, &report(grace, now), 2, now - Duration::hours(1))
            .await
            .unwrap();
        cache
            .keep_report(&later, &reports[2], 2, now)
            .await
            .unwrap();
        assert_eq!(
            cache.cached_session(&graces.token_hash).await.unwrap(),
            None
        );
        assert_eq!(
            cache.cached_session(&adas.token_hash).await.unwrap(),
            Some(adas)
        );
    }
}
