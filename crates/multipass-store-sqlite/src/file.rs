//! Opening a SQLite file and bringing its schema up to date, shared by the embedded store
//! and the report cache (each file has its own migrations).

use crate::errors::{map_err, map_migrate_err};
use multipass_store::{OpenMode, StoreError};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::time::Duration;

/// Connects to the file at `path`. `Migrate` creates it (and its folder) when missing;
/// `Inspect` answers `NotFound` for a missing file and creates nothing.
/// `Checkpoints::Background` leaves checkpointing to a task of the caller's (see
/// `store::Checkpointer`), so that no write waits for one.
pub(crate) async fn connect(
    path: &Path,
    mode: OpenMode,
    max_connections: u32,
    checkpoints: Checkpoints,
) -> Result<SqlitePool, StoreError> {
    if mode == OpenMode::Inspect && !path.exists() {
        return Err(StoreError::NotFound);
    }
    ensure_folder(path)?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(mode == OpenMode::Migrate)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let options = match checkpoints {
        Checkpoints::OnCommit => options,
        Checkpoints::Background => options.pragma("wal_autocheckpoint", "0"),
    };
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
        .map_err(map_err)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checkpoints {
    /// SQLite's own: the commit that fills the log past 1000 pages copies it into the file.
    OnCommit,
    Background,
}

/// Creates the folder `path` is to live in.
pub(crate) fn ensure_folder(path: &Path) -> Result<(), StoreError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create the folder {}: {e}",
                parent.display()
            ))
        }),
        None => Ok(()),
    }
}

/// The newest migration applied to the file, `None` when it has no migration history.
pub(crate) async fn applied_version(pool: &SqlitePool) -> Result<Option<i64>, StoreError> {
    let has_history: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await
    .map_err(map_err)?;
    if !has_history {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map_err(map_err)
}

/// Refuses, changing nothing, a file whose schema is newer than `latest`.
pub(crate) async fn check_not_newer(pool: &SqlitePool, latest: i64) -> Result<(), StoreError> {
    match applied_version(pool).await? {
        Some(found) if found > latest => Err(StoreError::SchemaTooNew {
            found,
            known: latest,
        }),
        _ => Ok(()),
    }
}

pub(crate) async fn migrate(
    pool: &SqlitePool,
    migrator: &Migrator,
    latest: i64,
) -> Result<(), StoreError> {
    check_not_newer(pool, latest).await?;
    migrator.run(pool).await.map_err(map_migrate_err)
}
