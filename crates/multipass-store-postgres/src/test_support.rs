//! For tests that run the store as the Multipass server does: over a login that holds only
//! the `multipass_runtime` role (schema version 4), on a database migrated by its owner, and
//! reports over a login that holds only `multipass_report_reader`.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool};

/// The cluster-wide login the tests use; it holds `multipass_runtime` and nothing else.
pub const RUNTIME_TEST_LOGIN: &str = "multipass_test_runtime";
/// The cluster-wide login reports run on in tests; it holds `multipass_report_reader` only.
pub const REPORT_TEST_LOGIN: &str = "multipass_test_report_login";

/// Makes `login`, holding `role` and nothing else, unless it exists. Parallel tests share
/// the cluster: whichever creates the login first wins, the others find it made. Both
/// names are this module's own constants.
async fn login_in_role(owner: &PgPool, login: &str, role: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DO $$
         BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{login}') THEN
                 CREATE ROLE {login} LOGIN IN ROLE {role};
             END IF;
         EXCEPTION
             WHEN duplicate_object OR unique_violation THEN NULL;
         END
         $$;"
    )))
    .execute(owner)
    .await?;
    Ok(())
}

/// A pool on `owner`'s database, logged in as [`RUNTIME_TEST_LOGIN`] (made on first use).
/// `owner` must have migrated the database to version 4 and be allowed to create roles.
pub async fn runtime_pool(owner: &PgPool, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    login_in_role(owner, RUNTIME_TEST_LOGIN, "multipass_runtime").await?;
    let options = owner
        .connect_options()
        .as_ref()
        .clone()
        .username(RUNTIME_TEST_LOGIN)
        .password("");
    PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
}

/// How to reach `owner`'s database as [`REPORT_TEST_LOGIN`] (made on first use), for
/// `PgStore::with_report_replica`.
pub async fn report_reader_options(owner: &PgPool) -> Result<PgConnectOptions, sqlx::Error> {
    login_in_role(owner, REPORT_TEST_LOGIN, "multipass_report_reader").await?;
    Ok(owner
        .connect_options()
        .as_ref()
        .clone()
        .username(REPORT_TEST_LOGIN)
        .password(""))
}
