//! The embedded SQLite schema: a mirror of `migrations/001_…` and `003_…` in
//! the types SQLite can hold (UUIDs and timestamps as text, JSON and arrays as JSON text).

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const CREATE_ENTERPRISE_TABLES: &str =
    include_str!("../migrations/0001_create_enterprise_tables.sql");
const CREATE_SECURITY_EVENTS: &str =
    include_str!("../migrations/0002_create_security_events_and_sso_keys.sql");

/// The newest schema version this build knows.
pub const LATEST_SCHEMA_VERSION: i64 = 2;

pub fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "create enterprise tables".into(),
            MigrationType::Simple,
            CREATE_ENTERPRISE_TABLES.into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "create security events and sso keys".into(),
            MigrationType::Simple,
            CREATE_SECURITY_EVENTS.into_sql_str(),
            false,
        ),
    ])
}
