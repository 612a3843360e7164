//! The PostgreSQL schema as the app applies it.
//!
//! The SQL is compiled in from the seed-named files in `migrations/` rather than through
//! `sqlx::migrate!("migrations/sqlx")`: that folder holds symbolic links for sqlx-cli, and a
//! checkout without symlink support (Windows by default) would embed the link text instead.
//! Versions, descriptions and checksums match what sqlx-cli records from `migrations/sqlx`,
//! so a database migrated by either one is accepted by the other.

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const CREATE_ENTERPRISE_TABLES: &str =
    include_str!("../../../migrations/001_create_enterprise_tables.sql");
const ROLLBACK_ENTERPRISE_TABLES: &str =
    include_str!("../../../migrations/002_rollback_enterprise_tables.sql");

/// The newest schema version this build knows.
pub const LATEST_SCHEMA_VERSION: i64 = 1;

pub fn migrator() -> Migrator {
    let description = "create enterprise tables";
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            description.into(),
            MigrationType::ReversibleUp,
            CREATE_ENTERPRISE_TABLES.into_sql_str(),
            false,
        ),
        Migration::new(
            1,
            description.into(),
            MigrationType::ReversibleDown,
            ROLLBACK_ENTERPRISE_TABLES.into_sql_str(),
            false,
        ),
    ])
}
