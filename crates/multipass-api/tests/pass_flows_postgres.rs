//! Desk enrolment and sign-in with a pass on real PostgreSQL, a fresh database per test,
//! against the software pass over UDP.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
mod identity_harness;
mod pass_flows_scenarios;

use identity_harness::postgres;
use pass_flows_scenarios::*;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn desk_enrolment_and_sign_in_without_pin(pool: PgPool) {
    desk_enrolment_then_sign_in(postgres(pool).await, None).await;
}

#[sqlx::test(migrations = false)]
async fn desk_enrolment_and_sign_in_with_pin(pool: PgPool) {
    desk_enrolment_then_sign_in(postgres(pool).await, Some("246810")).await;
}

#[sqlx::test(migrations = false)]
async fn enrolment_refusals(pool: PgPool) {
    enrolment_rules(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn challenges(pool: PgPool) {
    challenges_are_single_use_timely_and_bound(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn sign_count_backwards(pool: PgPool) {
    a_counter_going_backwards_is_refused(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn bad_signature_and_revoked(pool: PgPool) {
    bad_signatures_and_revoked_passes_cannot_sign_in(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn locked_and_deactivated(pool: PgPool) {
    locked_and_deactivated_accounts_are_refused(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn cancelled_ceremony(pool: PgPool) {
    a_ceremony_waiting_for_a_touch_can_be_cancelled(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn failed_pass_sign_ins_are_limited(pool: PgPool) {
    failed_pass_sign_ins_count_towards_the_limit(postgres(pool).await).await;
}
