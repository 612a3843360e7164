//! Sign-up and sign-in on the embedded store, on a real file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use common::*;
use multipass_api::{ErrorCode, MultipassApi, Settings};
use multipass_store::{OpenMode, Store};
use multipass_store_sqlite::{LATEST_SCHEMA_VERSION, SqliteStore};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

async fn fresh_store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
        .await
        .unwrap();
    (dir, Arc::new(store))
}

#[tokio::test]
async fn sign_up_sign_out_sign_in_round_trip() {
    let (_dir, store) = fresh_store().await;
    sign_up_sign_out_sign_in(store).await;
}

#[tokio::test]
async fn duplicate_email_or_username() {
    let (_dir, store) = fresh_store().await;
    duplicates_are_conflicts_naming_the_field(store).await;
}

#[tokio::test]
async fn invalid_input() {
    let (_dir, store) = fresh_store().await;
    invalid_input_names_the_field(store).await;
}

#[tokio::test]
async fn lockout_and_indistinguishable_failures() {
    let (_dir, store) = fresh_store().await;
    failures_are_indistinguishable_and_lock_the_account(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_all_counted() {
    let (_dir, store) = fresh_store().await;
    parallel_failures(store.clone(), 50).await;
    let row = sqlx::query(
        "SELECT failed_attempts, locked_at FROM multipass_credentials WHERE username = 'ada'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(row.get::<i64, _>("failed_attempts"), 50);
    assert!(row.get::<Option<String>, _>("locked_at").is_some());
}

#[tokio::test]
async fn only_the_token_hash_and_an_argon2id_hash_are_stored() {
    let (_dir, store) = fresh_store().await;
    let api = api(store.clone(), ManualClock::new(), Default::default());
    let outcome = sign_up(&api, "ada").await;
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM multipass_sessions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(stored, outcome.token.hash().as_str());
    assert_ne!(stored, outcome.token.expose());
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM multipass_credentials")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path, OpenMode::Migrate).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', 1, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.pool().close().await;
    let before = std::fs::read(&path).unwrap();

    let err = SqliteStore::open(&path, OpenMode::Migrate)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            multipass_store::StoreError::SchemaTooNew {
                found: 99,
                known: LATEST_SCHEMA_VERSION
            }
        ),
        "{err}"
    );
    let api_err = multipass_api::ApiError::from(err);
    assert_eq!(api_err.code, ErrorCode::SchemaTooNew);
    assert!(api_err.message.contains("99"), "{}", api_err.message);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file must not change"
    );
}

#[tokio::test]
async fn opening_through_settings_creates_and_migrates_the_store_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested").join("data");
    let settings = Settings::from_sources(&BTreeMap::new(), None, Some(data_dir.clone())).unwrap();
    let api = MultipassApi::open(&settings).await.unwrap();
    let status = api.status().await.unwrap();
    assert_eq!(i64::from(status.schema_version), LATEST_SCHEMA_VERSION);
    assert_eq!(
        status.location,
        data_dir.join("multipass.db").display().to_string()
    );
    assert!(data_dir.join("multipass.db").exists());
    // A second open of the same file finds it migrated and changes nothing.
    let again = MultipassApi::open(&settings).await.unwrap();
    assert_eq!(
        i64::from(again.status().await.unwrap().schema_version),
        LATEST_SCHEMA_VERSION
    );
    let store: &Arc<dyn Store> = again.store();
    assert!(store.status().await.unwrap().healthy);
}

#[tokio::test]
async fn an_unwritable_location_is_a_clear_unavailable_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let err = SqliteStore::open(&blocker.join("store.db"), OpenMode::Migrate)
        .await
        .unwrap_err();
    assert!(
        matches!(err, multipass_store::StoreError::Unavailable(_)),
        "{err}"
    );
}

#[tokio::test]
async fn weak_password_hashes_are_upgraded() {
    let (_dir, store) = fresh_store().await;
    let upgraded = weak_hashes_are_upgraded_on_sign_in(store).await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
}
