//! The hardware-pass registry on real PostgreSQL, a fresh database per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
mod identity_harness;
mod passes_scenarios;

use identity_harness::postgres;
use passes_scenarios::*;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn enrolment_and_revocation(pool: PgPool) {
    enrolment_listing_and_revocation(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn lost_and_expired(pool: PgPool) {
    lost_and_expired_passes(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn challenge_single_use_under_concurrency(pool: PgPool) {
    a_challenge_is_used_once_under_concurrency(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn challenge_expiry_and_ownership(pool: PgPool) {
    challenges_expire_and_belong_to_one_pass(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn sign_count(pool: PgPool) {
    the_sign_count_only_moves_forward(postgres(pool).await).await;
}
