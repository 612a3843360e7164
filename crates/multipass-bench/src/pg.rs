//! Throwaway PostgreSQL databases: created for one benchmark, dropped afterwards whatever
//! happened.

use anyhow::{Context as _, Result};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Executor as _};
use std::str::FromStr as _;
use tokio::runtime::Runtime;

/// Runs `body` with the name of a new, empty database on the server of `admin_url`, then
/// drops that database (`WITH (FORCE)`, so connections left open cannot keep it alive).
/// The role needs `CREATEDB`.
pub fn with_throwaway_database<T>(
    runtime: &Runtime,
    admin_url: &str,
    purpose: &str,
    body: impl FnOnce(&PgConnectOptions, &str) -> Result<T>,
) -> Result<T> {
    let admin_options =
        PgConnectOptions::from_str(admin_url).context("the PostgreSQL URL is not valid")?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    // `purpose` is one of this program's own words, and the rest is digits, so the name is
    // safe to splice into the statements below.
    debug_assert!(purpose.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    let database = format!("multipass_bench_{purpose}_{}_{stamp}", std::process::id());
    runtime
        .block_on(admin(&admin_options, format!("CREATE DATABASE \"{database}\"")))
        .context("cannot create a throwaway database (the role in --pg-url / DATABASE_URL needs CREATEDB)")?;

    let outcome = body(&admin_options, &database);

    let dropped = runtime
        .block_on(admin(
            &admin_options,
            format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
        ))
        .with_context(|| format!("cannot drop the throwaway database {database}; drop it by hand"));
    let value = outcome?;
    dropped?;
    Ok(value)
}

/// A pool of `pool` on the throwaway database `database` (reached as `admin_options` reach
/// the server), migrated as the app migrates its own.
pub async fn migrated_pool(
    pool: PgPoolOptions,
    admin_options: &PgConnectOptions,
    database: &str,
) -> Result<PgPool> {
    let options = admin_options
        .clone()
        .database(database)
        .application_name("multipass-bench");
    let pool = pool
        .connect_with(options)
        .await
        .context("cannot connect to the throwaway database")?;
    if let Err(e) = multipass_store_postgres::migrator().run(&pool).await {
        pool.close().await;
        return Err(e).context("cannot migrate the throwaway database");
    }
    Ok(pool)
}

async fn admin(options: &PgConnectOptions, statement: String) -> Result<()> {
    let mut conn = options
        .connect()
        .await
        .context("cannot connect to PostgreSQL")?;
    conn.execute(AssertSqlSafe(statement)).await?;
    conn.close().await?;
    Ok(())
}
