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
const CREATE_SECURITY_EVENTS: &str =
    include_str!("../../../migrations/003_create_security_events_and_sso_keys.sql");
const ROLLBACK_SECURITY_EVENTS: &str =
    include_str!("../../../migrations/004_rollback_security_events_and_sso_keys.sql");
const CREATE_MARKET_BOOKS: &str = include_str!("../../../migrations/005_create_market_books.sql");
const ROLLBACK_MARKET_BOOKS: &str =
    include_str!("../../../migrations/006_rollback_market_books.sql");
const CREATE_RUNTIME_ROLE: &str = include_str!("../../../migrations/007_create_runtime_role.sql");
const ROLLBACK_RUNTIME_ROLE: &str =
    include_str!("../../../migrations/008_rollback_runtime_role.sql");
const CREATE_SIGN_IN_THROTTLES: &str =
    include_str!("../../../migrations/009_create_sign_in_throttles.sql");
const ROLLBACK_SIGN_IN_THROTTLES: &str =
    include_str!("../../../migrations/010_rollback_sign_in_throttles.sql");
const CREATE_SERVER_SECRETS: &str =
    include_str!("../../../migrations/011_create_server_secrets.sql");
const ROLLBACK_SERVER_SECRETS: &str =
    include_str!("../../../migrations/012_rollback_server_secrets.sql");
const CREATE_SECURITY_POLICY: &str =
    include_str!("../../../migrations/013_create_security_policy.sql");
const ROLLBACK_SECURITY_POLICY: &str =
    include_str!("../../../migrations/014_rollback_security_policy.sql");
const NARROW_REPORT_READER: &str = include_str!("../../../migrations/015_narrow_report_reader.sql");
const WIDEN_REPORT_READER: &str = include_str!("../../../migrations/016_widen_report_reader.sql");
const PRUNE_SIGN_IN_THROTTLES: &str =
    include_str!("../../../migrations/017_prune_sign_in_throttles.sql");
const KEEP_SIGN_IN_THROTTLES: &str =
    include_str!("../../../migrations/018_keep_sign_in_throttles.sql");

/// The newest schema version this build knows.
pub const LATEST_SCHEMA_VERSION: i64 = 9;

pub fn migrator() -> Migrator {
    let mut migrations = Vec::new();
    for (version, description, up, down) in [
        (
            1,
            "create enterprise tables",
            CREATE_ENTERPRISE_TABLES,
            ROLLBACK_ENTERPRISE_TABLES,
        ),
        (
            2,
            "create security events and sso keys",
            CREATE_SECURITY_EVENTS,
            ROLLBACK_SECURITY_EVENTS,
        ),
        (
            3,
            "create market books",
            CREATE_MARKET_BOOKS,
            ROLLBACK_MARKET_BOOKS,
        ),
        (
            4,
            "create runtime role",
            CREATE_RUNTIME_ROLE,
            ROLLBACK_RUNTIME_ROLE,
        ),
        (
            5,
            "create sign in throttles",
            CREATE_SIGN_IN_THROTTLES,
            ROLLBACK_SIGN_IN_THROTTLES,
        ),
        (
            6,
            "create server secrets",
            CREATE_SERVER_SECRETS,
            ROLLBACK_SERVER_SECRETS,
        ),
        (
            7,
            "create security policy",
            CREATE_SECURITY_POLICY,
            ROLLBACK_SECURITY_POLICY,
        ),
        (
            8,
            "narrow report reader",
            NARROW_REPORT_READER,
            WIDEN_REPORT_READER,
        ),
        (
            9,
            "prune sign in throttles",
            PRUNE_SIGN_IN_THROTTLES,
            KEEP_SIGN_IN_THROTTLES,
        ),
    ] {
        migrations.push(Migration::new(
            version,
            description.into(),
            MigrationType::ReversibleUp,
            up.into_sql_str(),
            false,
        ));
        migrations.push(Migration::new(
            version,
            description.into(),
            MigrationType::ReversibleDown,
            down.into_sql_str(),
            false,
        ));
    }
    Migrator::with_migrations(migrations)
}
