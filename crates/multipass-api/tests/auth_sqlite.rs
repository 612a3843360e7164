//! Second factors, sessions and the audit trail on the embedded store, on a real file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod auth_scenarios;
#[path = "common/mod.rs"]
mod common;

use auth_scenarios::*;
use multipass_store::OpenMode;
use multipass_store_sqlite::SqliteStore;
use std::sync::Arc;

async fn fresh_store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), OpenMode::Migrate)
        .await
        .unwrap();
    (dir, Arc::new(store))
}

fn make_admin(store: Arc<SqliteStore>) -> MakeAdmin {
    Box::new(move |username| {
        let store = store.clone();
        Box::pin(async move {
            sqlx::query(
                "UPDATE identity_profiles SET role = 'admin' WHERE id = \
                 (SELECT identity_id FROM multipass_credentials WHERE username = ?1)",
            )
            .bind(username)
            .execute(store.pool())
            .await
            .unwrap();
        })
    })
}

#[tokio::test]
async fn totp_enrolment_window_and_sign_in_sqlite() {
    let (_dir, store) = fresh_store().await;
    totp_enrolment_window_and_sign_in(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_totp_code_sent_concurrently_succeeds_once_sqlite() {
    let (_dir, store) = fresh_store().await;
    the_same_totp_code_sent_concurrently_succeeds_once(store).await;
}

#[tokio::test]
async fn backup_codes_work_once_and_regenerating_replaces_them_sqlite() {
    let (_dir, store) = fresh_store().await;
    backup_codes_work_once_and_regenerating_replaces_them(store).await;
}

#[tokio::test]
async fn new_backup_codes_need_a_fresh_proof_sqlite() {
    let (_dir, store) = fresh_store().await;
    new_backup_codes_need_a_fresh_proof(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_backup_code_used_in_parallel_succeeds_once_sqlite() {
    let (_dir, store) = fresh_store().await;
    one_backup_code_used_in_parallel_succeeds_once(store).await;
}

#[tokio::test]
async fn a_locked_account_refuses_even_a_right_password_and_code_sqlite() {
    let (_dir, store) = fresh_store().await;
    a_locked_account_refuses_even_a_right_password_and_code(store).await;
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lock_sqlite() {
    let (_dir, store) = fresh_store().await;
    wrong_codes_count_towards_the_lock(store).await;
}

#[tokio::test]
async fn password_change_revokes_other_sessions_sqlite() {
    let (_dir, store) = fresh_store().await;
    password_change_revokes_other_sessions(store).await;
}

#[tokio::test]
async fn idle_sessions_end_sqlite() {
    let (_dir, store) = fresh_store().await;
    idle_sessions_end(store).await;
}

#[tokio::test]
async fn users_list_and_revoke_only_their_own_sessions_sqlite() {
    let (_dir, store) = fresh_store().await;
    users_list_and_revoke_only_their_own_sessions(store).await;
}

#[tokio::test]
async fn admins_list_and_revoke_anyones_sessions_sqlite() {
    let (_dir, store) = fresh_store().await;
    admins_list_and_revoke_anyones_sessions(store.clone(), make_admin(store)).await;
}

#[tokio::test]
async fn admins_unlock_and_read_anyones_events_sqlite() {
    let (_dir, store) = fresh_store().await;
    admins_unlock_and_read_anyones_events(store.clone(), make_admin(store)).await;
}

#[tokio::test]
async fn require_2fa_needs_totp_and_admins_can_set_it_sqlite() {
    let (_dir, store) = fresh_store().await;
    require_2fa_needs_totp_and_admins_can_set_it(store.clone(), make_admin(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_use_guards_hold_under_contention_sqlite() {
    let (_dir, store) = fresh_store().await;
    single_use_guards_hold_under_contention(store).await;
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_refused_beyond_the_waiting_room_sqlite() {
    let (_dir, store) = fresh_store().await;
    a_flood_of_sign_ins_is_refused_beyond_the_waiting_room(store).await;
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_username_sqlite() {
    let (_dir, store) = fresh_store().await;
    failed_sign_ins_are_limited_per_username(store).await;
}

/// The embedded store finds TOTP secrets not yet in a given form and replaces one only
/// while it still holds what was read (the queries both backends share).
#[tokio::test]
async fn plain_totp_secrets_are_found_and_replaced_by_compare_and_set_sqlite() {
    use multipass_domain::Secret;
    use multipass_store::factors::FactorStore;
    let (_dir, store) = fresh_store().await;
    let api = common::api(
        store.clone(),
        common::ManualClock::new(),
        Default::default(),
    );
    let ada = common::sign_up(&api, "ada").await;
    let enrolment = api.totp_enrol(&ada.token).await.unwrap();
    let found = store.plain_totp_secrets("sealed:v1:").await.unwrap();
    assert_eq!(found.len(), 1);
    let (credential, plain) = &found[0];
    assert_eq!(plain.expose(), enrolment.secret);
    let replaced = Secret::new("sealed:v1:stand-in".to_owned());
    assert!(
        store
            .replace_totp_secret(*credential, plain, &replaced)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replace_totp_secret(*credential, plain, &replaced)
            .await
            .unwrap()
    );
    assert!(
        store
            .plain_totp_secrets("sealed:v1:")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.plain_totp_secrets("other:").await.unwrap().len(), 1);
}
