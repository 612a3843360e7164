//! The embedded SQLite schema: a mirror of `migrations/001_create_enterprise_tables.sql` in
//! the types SQLite can hold (UUIDs and timestamps as text, JSON and arrays as JSON text).

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const CREATE_ENTERPRISE_TABLES: &str =
    include_str!("../migrations/0001_create_enterprise_tables.sql");

/// The newest schema version this build knows.
pub const LATEST_SCHEMA_VERSION: i64 = 1;

pub fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "create enterprise tables".into(),
        MigrationType::Simple,
        CREATE_ENTERPRISE_TABLES.into_sql_str(),
        false,
    )])
}
