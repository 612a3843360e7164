//! Sign-up and sign-in on real PostgreSQL, a fresh database per test. Needs DATABASE_URL
//! pointing at a server (the project's test runner starts one if none answers).

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use common::*;
use multipass_api::ErrorCode;
use multipass_store::{OpenMode, Store, StoreError};
use multipass_store_postgres::{PgStore, PgStoreOptions, migrator};
use sqlx::{PgPool, Row};
use std::sync::Arc;
use std::time::Duration;

async fn migrated(pool: PgPool) -> Arc<PgStore> {
    migrator().run(&pool).await.unwrap();
    Arc::new(common::runtime_store(&pool).await)
}

#[sqlx::test(migrations = false)]
async fn sign_up_sign_out_sign_in_round_trip(pool: PgPool) {
    sign_up_sign_out_sign_in(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn duplicate_email_or_username(pool: PgPool) {
    duplicates_are_conflicts_naming_the_field(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn invalid_input(pool: PgPool) {
    invalid_input_names_the_field(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn lockout_and_indistinguishable_failures(pool: PgPool) {
    failures_are_indistinguishable_and_lock_the_account(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn parallel_wrong_passwords_are_all_counted(pool: PgPool) {
    let store = migrated(pool.clone()).await;
    parallel_failures(store, 50).await;
    let row = sqlx::query(
        "SELECT failed_attempts, locked_at FROM multipass_credentials WHERE username = 'ada'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.get::<i32, _>("failed_attempts"), 50);
    assert!(
        row.get::<Option<chrono::DateTime<chrono::Utc>>, _>("locked_at")
            .is_some()
    );
}

#[sqlx::test(migrations = false)]
async fn only_the_token_hash_and_an_argon2id_hash_are_stored(pool: PgPool) {
    let store = migrated(pool.clone()).await;
    let api = api(store, ManualClock::new(), Default::default());
    let outcome = sign_up(&api, "ada").await;
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM multipass_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, outcome.token.hash().as_str());
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM multipass_credentials")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

fn options_of(pool: &PgPool) -> PgStoreOptions {
    PgStoreOptions {
        connect: (*pool.connect_options()).clone(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
    }
}

#[sqlx::test(migrations = false)]
async fn open_migrates_an_empty_database_and_is_idempotent(pool: PgPool) {
    let store = PgStore::open(options_of(&pool), OpenMode::Migrate)
        .await
        .unwrap();
    let status = store.status().await.unwrap();
    assert_eq!(
        (status.schema_version, status.healthy),
        (multipass_store_postgres::LATEST_SCHEMA_VERSION, true)
    );
    assert!(!status.location.contains("password"));
    PgStore::open(options_of(&pool), OpenMode::Migrate)
        .await
        .expect("second open finds the schema current");
}

#[sqlx::test(migrations = false)]
async fn a_newer_schema_is_refused_untouched(pool: PgPool) {
    migrator().run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', true, '\\x00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    let err = PgStore::open(options_of(&pool), OpenMode::Migrate)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 99,
                known: multipass_store_postgres::LATEST_SCHEMA_VERSION
            }
        ),
        "{err}"
    );
    assert_eq!(
        multipass_api::ApiError::from(err).code,
        ErrorCode::SchemaTooNew
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[sqlx::test(migrations = false)]
async fn tables_created_by_hand_are_reported_not_clobbered(pool: PgPool) {
    sqlx::raw_sql(include_str!(
        "../../../migrations/001_create_enterprise_tables.sql"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let err = PgStore::open(options_of(&pool), OpenMode::Migrate)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Migration(m) if m.contains("migration history")),
        "{err}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_database_that_goes_away_is_reported_as_unavailable(pool: PgPool) {
    let store = migrated(pool.clone()).await;
    let api = api(store.clone(), ManualClock::new(), Default::default());
    sign_up(&api, "ada").await;
    pool.close().await;
    store.pool().close().await;
    let err = api
        .sign_in(
            sign_in_request("ada", PASSWORD),
            multipass_api::SessionKind::Desktop,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable, "{err:?}");
    assert!(matches!(
        store.status().await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_not_a_hang() {
    use sqlx::postgres::PgConnectOptions;
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let options = PgStoreOptions {
        connect: PgConnectOptions::new_without_pgpass()
            .host("127.0.0.1")
            .port(1)
            .username("nobody")
            .password("pw"),
        max_connections: 1,
        acquire_timeout: Duration::from_secs(3),
    };
    let err = PgStore::open(options, OpenMode::Migrate).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(!err.to_string().contains("pw"));
}

/// A dropped (or never created) database is the store being out of reach, so the person is
/// told to wait or work offline rather than shown an internal error.
#[tokio::test]
async fn a_missing_database_is_unavailable() {
    use sqlx::postgres::PgConnectOptions;
    use std::str::FromStr;
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL for the PostgreSQL tests");
    let options = PgStoreOptions {
        connect: PgConnectOptions::from_str(&url).unwrap().database(&format!(
            "multipass_missing_{}",
            uuid::Uuid::new_v4().simple()
        )),
        max_connections: 1,
        acquire_timeout: Duration::from_secs(5),
    };
    let err = PgStore::open(options, OpenMode::Migrate).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}

#[sqlx::test(migrations = false)]
async fn weak_password_hashes_are_upgraded(pool: PgPool) {
    let upgraded = weak_hashes_are_upgraded_on_sign_in(migrated(pool).await).await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
}
