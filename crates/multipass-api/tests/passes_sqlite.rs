//! The hardware-pass registry on the embedded store, on a real file.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
mod identity_harness;
mod passes_scenarios;

use identity_harness::sqlite;
use passes_scenarios::*;

#[tokio::test]
async fn enrolment_and_revocation() {
    let (_dir, db) = sqlite().await;
    enrolment_listing_and_revocation(db).await;
}

#[tokio::test]
async fn lost_and_expired() {
    let (_dir, db) = sqlite().await;
    lost_and_expired_passes(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn challenge_single_use_under_concurrency() {
    let (_dir, db) = sqlite().await;
    a_challenge_is_used_once_under_concurrency(db).await;
}

#[tokio::test]
async fn challenge_expiry_and_ownership() {
    let (_dir, db) = sqlite().await;
    challenges_expire_and_belong_to_one_pass(db).await;
}

#[tokio::test]
async fn sign_count() {
    let (_dir, db) = sqlite().await;
    the_sign_count_only_moves_forward(db).await;
}
