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

/// On a server with the deployment's key, TOTP secrets are stored sealed: new enrolments
/// from the start, and those stored in the clear before, once, at start. Codes still check
/// through the server; an API without the key says it cannot check them.
#[sqlx::test(migrations = false)]
async fn totp_secrets_are_sealed_at_rest_on_a_server(pool: PgPool) {
    use common::{ManualClock, TestApi, sign_up};
    use multipass_api::auth_views::SecondFactor;
    use multipass_api::sealed_vault::SealingKey;
    use multipass_api::{ErrorCode, MultipassApi, Policies, SessionKind};
    use multipass_domain::totp::{self, TotpSecret};
    let stored = |username: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT totp_secret FROM multipass_credentials WHERE username = $1",
            )
            .bind(username)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let store = migrated(pool.clone()).await;
    let clock = ManualClock::new();
    let desktop = TestApi::new(MultipassApi::new(
        store.clone(),
        Policies::default(),
        clock.clone(),
    ));
    let ada = sign_up(&desktop, "ada").await;
    let enrolment = desktop.totp_enrol(&ada.token).await.unwrap();
    assert_eq!(
        stored("ada").await,
        enrolment.secret,
        "no key: base32 as before"
    );

    let key = std::sync::Arc::new(SealingKey::from_hex(&"5e".repeat(32)).unwrap());
    let secrets = multipass_store::Store::server_secrets(store.clone()).unwrap();
    let server = TestApi::new(
        MultipassApi::new(store.clone(), Policies::default(), clock.clone()).with_sealed_secrets(
            multipass_api::sealed_vault::SealedSecrets {
                key,
                store: secrets,
            },
        ),
    );
    assert_eq!(server.local().seal_plain_totp_secrets().await.unwrap(), 1);
    assert_eq!(server.local().seal_plain_totp_secrets().await.unwrap(), 0);
    let at_rest = stored("ada").await;
    assert!(at_rest.starts_with("sealed:v1:"), "{at_rest}");
    assert!(!at_rest.contains(&enrolment.secret));

    let secret = TotpSecret::parse(&enrolment.secret).unwrap();
    let code = totp::code_at(
        &secret,
        totp::step_of(multipass_api::Clock::now(clock.as_ref())),
    );
    server.totp_confirm(&ada.token, &code).await.unwrap();
    clock.advance(chrono::Duration::seconds(60));
    let next = totp::code_at(
        &secret,
        totp::step_of(multipass_api::Clock::now(clock.as_ref())),
    );
    let sign_in = |api: &TestApi, code: &str| {
        let (api, code) = (api.clone(), code.to_owned());
        async move {
            api.sign_in_with(
                common::sign_in_request("ada", common::PASSWORD),
                Some(SecondFactor::Totp(code)),
                SessionKind::Desktop,
            )
            .await
        }
    };
    let err = sign_in(&desktop, &next).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal, "{err:?}");
    assert!(err.message.contains("server's key"), "{}", err.message);
    sign_in(&server, &next)
        .await
        .expect("the server checks the sealed secret");

    let grace = sign_up(&server, "grace").await;
    let theirs = server.totp_enrol(&grace.token).await.unwrap();
    let at_rest = stored("grace").await;
    assert!(at_rest.starts_with("sealed:v1:") && !at_rest.contains(&theirs.secret));
}
