//! Profiles, KYC, attestations and roles on the embedded store, on a real file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
mod identity_harness;
mod identity_scenarios;

use identity_harness::sqlite;
use identity_scenarios::*;

#[tokio::test]
async fn profile_updates() {
    let (_dir, db) = sqlite().await;
    profile_updates_are_validated_and_scoped(db).await;
}

#[tokio::test]
async fn kyc_levels() {
    let (_dir, db) = sqlite().await;
    kyc_approval_raises_and_expiry_lowers_the_level(db).await;
}

#[tokio::test]
async fn kyc_rejection() {
    let (_dir, db) = sqlite().await;
    rejection_alone_leaves_the_profile_rejected_at_level_0(db).await;
}

#[tokio::test]
async fn kyc_review_is_for_other_admins() {
    let (_dir, db) = sqlite().await;
    only_other_admins_review(db).await;
}

#[tokio::test]
async fn kyc_document_is_only_hashed() {
    let (_dir, db) = sqlite().await;
    the_document_is_only_ever_hashed(db).await;
}

#[tokio::test]
async fn attestations() {
    let (_dir, db) = sqlite().await;
    attestations_verify_until_tampered_revoked_or_expired(db).await;
}

#[tokio::test]
async fn roles() {
    let (_dir, db) = sqlite().await;
    roles_are_granted_by_admins_and_bootstrapped_once(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_bootstraps() {
    let (_dir, db) = sqlite().await;
    parallel_bootstraps_make_one_admin(db).await;
}

#[tokio::test]
async fn suspension() {
    let (_dir, db) = sqlite().await;
    suspension_and_deactivation(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reviews_and_sweeps() {
    let (_dir, db) = sqlite().await;
    parallel_reviews_and_sweeps_act_once(db).await;
}
