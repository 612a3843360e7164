//! The security policy and the time on a shared PostgreSQL come from the database: no
//! server's or tool's own settings or clock bend lockout or sessions, and only admins change
//! the policy.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use multipass_api::{Clock, ErrorCode, MultipassApi, Policies, SessionKind};
use multipass_domain::LockoutPolicy;
use multipass_domain::policy::SecurityPolicy;
use multipass_store_postgres::migrator;
use sqlx::PgPool;
use std::sync::Arc;

/// A computer whose clock says 2099.
#[derive(Debug)]
struct ClockIn2099;

impl Clock for ClockIn2099 {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap()
    }
}

/// An API on the database, as every server, desktop and CLI on PostgreSQL composes it, but
/// with its own settings and clock set to bend the rules: one wrong password locks for good.
async fn bending_api(pool: &PgPool, clock: Arc<dyn Clock>) -> TestApi {
    let policies = Policies {
        lockout: LockoutPolicy {
            max_failed_attempts: 1,
            unlock_after: None,
        },
        ..Policies::default()
    };
    let store = Arc::new(runtime_store(pool).await);
    let api = MultipassApi::new(store, policies, clock)
        .with_database_authority()
        .await
        .unwrap();
    TestApi::new(api)
}

async fn migrated(pool: &PgPool) {
    migrator().run(pool).await.unwrap();
}

async fn admin_token(api: &TestApi, name: &str) -> multipass_domain::SessionToken {
    let outcome = sign_up(api, name).await;
    api.bootstrap_admin(&outcome.token).await.unwrap();
    outcome.token
}

#[sqlx::test(migrations = false)]
async fn an_apis_own_lockout_settings_do_not_apply(pool: PgPool) {
    migrated(&pool).await;
    let api = bending_api(&pool, Arc::new(multipass_api::SystemClock)).await;
    sign_up(&api, "ada").await;
    let wrong = api
        .sign_in(
            sign_in_request("ada", "not the password"),
            SessionKind::Desktop,
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidCredentials);
    api.sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await
        .expect("the database's threshold of 5 applies, not this API's 1");
}

#[sqlx::test(migrations = false)]
async fn the_time_is_the_databases(pool: PgPool) {
    migrated(&pool).await;
    let api = bending_api(&pool, Arc::new(ClockIn2099)).await;
    let ada = sign_up(&api, "ada").await;
    let database_now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let expires_at: DateTime<Utc> = sqlx::query_scalar("SELECT expires_at FROM multipass_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    let lifetime = expires_at - database_now;
    assert!(
        (Duration::hours(12) - lifetime).abs() < Duration::minutes(1),
        "the session ends {lifetime} from the database's now, not 12 hours from 2099"
    );
    // A session that a clock in 2099 would call expired keeps working.
    api.identity_for(&ada.token).await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn an_admins_change_applies_to_every_api_on_the_database(pool: PgPool) {
    migrated(&pool).await;
    let first = bending_api(&pool, Arc::new(multipass_api::SystemClock)).await;
    let admin = admin_token(&first, "root").await;
    sign_up(&first, "ada").await;

    let before = first.security_policy(&admin).await.unwrap();
    assert_eq!(before.source, "database");
    assert_eq!(before.policy, SecurityPolicy::default());
    let strict = SecurityPolicy {
        max_failed_sign_ins: 3,
        lockout_minutes: 0,
        ..SecurityPolicy::default()
    };
    let after = first.update_security_policy(&admin, strict).await.unwrap();
    assert_eq!(after.policy, strict);
    assert!(after.updated_by.is_some());

    // Another server instance or tool opened on the same database.
    let second = bending_api(&pool, Arc::new(multipass_api::SystemClock)).await;
    assert_eq!(second.security_policy(&admin).await.unwrap().policy, strict);
    let wrong = || async {
        second
            .sign_in(
                sign_in_request("ada", "not the password"),
                SessionKind::Desktop,
            )
            .await
            .unwrap_err()
    };
    wrong().await;
    wrong().await;
    second
        .sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await
        .expect("two failures are under the policy's three");
    for _ in 0..3 {
        wrong().await;
    }
    let locked = second
        .sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await
        .unwrap_err();
    assert_eq!(
        locked.code,
        ErrorCode::InvalidCredentials,
        "three failures lock"
    );

    let recorded: serde_json::Value = sqlx::query_scalar(
        "SELECT detail FROM security_events WHERE event_type = 'security_policy_changed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(recorded["after"]["maxFailedSignIns"], 3);
    assert_eq!(recorded["before"]["maxFailedSignIns"], 5);
}

#[sqlx::test(migrations = false)]
async fn only_admins_change_the_policy_and_only_within_its_ranges(pool: PgPool) {
    migrated(&pool).await;
    let api = bending_api(&pool, Arc::new(multipass_api::SystemClock)).await;
    let admin = admin_token(&api, "root").await;
    let ada = sign_up(&api, "ada").await;

    let lax = SecurityPolicy {
        max_failed_sign_ins: 100,
        ..SecurityPolicy::default()
    };
    let refused = api
        .update_security_policy(&ada.token, lax)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    let reading = api.security_policy(&ada.token).await.unwrap_err();
    assert_eq!(reading.code, ErrorCode::Forbidden);

    let off = SecurityPolicy {
        max_failed_sign_ins: 101,
        ..SecurityPolicy::default()
    };
    let out_of_range = api.update_security_policy(&admin, off).await.unwrap_err();
    assert_eq!(out_of_range.code, ErrorCode::InvalidInput);
    assert_eq!(out_of_range.field.as_deref(), Some("maxFailedSignIns"));
    assert_eq!(
        api.security_policy(&admin).await.unwrap().policy,
        SecurityPolicy::default(),
        "nothing was written"
    );

    // The database holds the ranges against a client that skips the application's check,
    // and the application's login can neither add nor remove the policy row.
    let runtime = multipass_store_postgres::test_support::runtime_pool(&pool, 1)
        .await
        .unwrap();
    for statement in [
        "UPDATE security_policy SET max_failed_sign_ins = 1000",
        "UPDATE security_policy SET session_hours = 0",
        "INSERT INTO security_policy (singleton) VALUES (FALSE)",
        "DELETE FROM security_policy",
    ] {
        assert!(
            sqlx::query(statement).execute(&runtime).await.is_err(),
            "{statement} was accepted"
        );
    }
    runtime.close().await;
}
