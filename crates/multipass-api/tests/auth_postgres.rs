//! Second factors, sessions and the audit trail on real PostgreSQL, a fresh database per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod auth_scenarios;
#[path = "common/mod.rs"]
mod common;

use auth_scenarios::*;
use multipass_store_postgres::{PgStore, migrator};
use sqlx::PgPool;
use std::sync::Arc;

async fn migrated(pool: PgPool) -> Arc<PgStore> {
    migrator().run(&pool).await.unwrap();
    Arc::new(common::runtime_store(&pool).await)
}

fn make_admin(pool: PgPool) -> MakeAdmin {
    Box::new(move |username| {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(
                "UPDATE identity_profiles SET role = 'admin' WHERE id = \
                 (SELECT identity_id FROM multipass_credentials WHERE username = $1)",
            )
            .bind(username)
            .execute(&pool)
            .await
            .unwrap();
        })
    })
}

#[sqlx::test(migrations = false)]
async fn totp_enrolment_window_and_sign_in_pg(pool: PgPool) {
    totp_enrolment_window_and_sign_in(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn the_same_totp_code_sent_concurrently_succeeds_once_pg(pool: PgPool) {
    the_same_totp_code_sent_concurrently_succeeds_once(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn backup_codes_work_once_and_regenerating_replaces_them_pg(pool: PgPool) {
    backup_codes_work_once_and_regenerating_replaces_them(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn new_backup_codes_need_a_fresh_proof_pg(pool: PgPool) {
    new_backup_codes_need_a_fresh_proof(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn one_backup_code_used_in_parallel_succeeds_once_pg(pool: PgPool) {
    one_backup_code_used_in_parallel_succeeds_once(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn a_locked_account_refuses_even_a_right_password_and_code_pg(pool: PgPool) {
    a_locked_account_refuses_even_a_right_password_and_code(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn wrong_codes_count_towards_the_lock_pg(pool: PgPool) {
    wrong_codes_count_towards_the_lock(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn password_change_revokes_other_sessions_pg(pool: PgPool) {
    password_change_revokes_other_sessions(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn idle_sessions_end_pg(pool: PgPool) {
    idle_sessions_end(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn users_list_and_revoke_only_their_own_sessions_pg(pool: PgPool) {
    users_list_and_revoke_only_their_own_sessions(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn admins_list_and_revoke_anyones_sessions_pg(pool: PgPool) {
    admins_list_and_revoke_anyones_sessions(migrated(pool.clone()).await, make_admin(pool)).await;
}

#[sqlx::test(migrations = false)]
async fn admins_unlock_and_read_anyones_events_pg(pool: PgPool) {
    admins_unlock_and_read_anyones_events(migrated(pool.clone()).await, make_admin(pool)).await;
}

#[sqlx::test(migrations = false)]
async fn require_2fa_needs_totp_and_admins_can_set_it_pg(pool: PgPool) {
    require_2fa_needs_totp_and_admins_can_set_it(migrated(pool.clone()).await, make_admin(pool))
        .await;
}

#[sqlx::test(migrations = false)]
async fn single_use_guards_hold_under_contention_pg(pool: PgPool) {
    single_use_guards_hold_under_contention(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn a_flood_of_sign_ins_is_refused_beyond_the_waiting_room_pg(pool: PgPool) {
    a_flood_of_sign_ins_is_refused_beyond_the_waiting_room(migrated(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn failed_sign_ins_are_limited_per_username_pg(pool: PgPool) {
    failed_sign_ins_are_limited_per_username(migrated(pool).await).await;
}
