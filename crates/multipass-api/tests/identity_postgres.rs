//! Profiles, KYC, attestations and roles on real PostgreSQL, a fresh database per test.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
mod identity_harness;
mod identity_scenarios;

use identity_harness::postgres;
use identity_scenarios::*;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn profile_updates(pool: PgPool) {
    profile_updates_are_validated_and_scoped(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn kyc_levels(pool: PgPool) {
    kyc_approval_raises_and_expiry_lowers_the_level(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn kyc_rejection(pool: PgPool) {
    rejection_alone_leaves_the_profile_rejected_at_level_0(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn kyc_review_is_for_other_admins(pool: PgPool) {
    only_other_admins_review(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn kyc_document_is_only_hashed(pool: PgPool) {
    the_document_is_only_ever_hashed(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn attestations(pool: PgPool) {
    attestations_verify_until_tampered_revoked_or_expired(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn roles(pool: PgPool) {
    roles_are_granted_by_admins_and_bootstrapped_once(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn parallel_bootstraps(pool: PgPool) {
    parallel_bootstraps_make_one_admin(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn suspension(pool: PgPool) {
    suspension_and_deactivation(postgres(pool).await).await;
}

#[sqlx::test(migrations = false)]
async fn parallel_reviews_and_sweeps(pool: PgPool) {
    parallel_reviews_and_sweeps_act_once(postgres(pool).await).await;
}
