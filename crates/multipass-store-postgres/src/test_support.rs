//! For tests that run the store as the Multipass server does: over a login that holds only
//! the `multipass_runtime` role (schema version 4), on a database migrated by its owner.

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The cluster-wide login the tests use; it holds `multipass_runtime` and nothing else.
pub const RUNTIME_TEST_LOGIN: &str = "multipass_test_runtime";

/// A pool on `owner`'s database, logged in as [`RUNTIME_TEST_LOGIN`] (made on first use).
/// `owner` must have migrated the database to version 4 and be allowed to create roles.
pub async fn runtime_pool(owner: &PgPool, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    // Parallel tests share the cluster: whichever creates the login first wins, the others
    // find it made.
    sqlx::raw_sql(
        "DO $$
         BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multipass_test_runtime') THEN
                 CREATE ROLE multipass_test_runtime LOGIN IN ROLE multipass_runtime;
             END IF;
         EXCEPTION
             WHEN duplicate_object OR unique_violation THEN NULL;
         END
         $$;",
    )
    .execute(owner)
    .await?;
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
