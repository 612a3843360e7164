//! Desk enrolment and sign-in with a pass on the embedded store, on a real file, against
//! the software pass over UDP.

#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

#[path = "common/mod.rs"]
mod common;
mod identity_harness;
mod pass_flows_scenarios;

use identity_harness::sqlite;
use pass_flows_scenarios::*;

#[tokio::test]
async fn desk_enrolment_and_sign_in_without_pin() {
    let (_dir, db) = sqlite().await;
    desk_enrolment_then_sign_in(db, None).await;
}

#[tokio::test]
async fn desk_enrolment_and_sign_in_with_pin() {
    let (_dir, db) = sqlite().await;
    desk_enrolment_then_sign_in(db, Some("246810")).await;
}

#[tokio::test]
async fn enrolment_refusals() {
    let (_dir, db) = sqlite().await;
    enrolment_rules(db).await;
}

#[tokio::test]
async fn challenges() {
    let (_dir, db) = sqlite().await;
    challenges_are_single_use_timely_and_bound(db).await;
}

#[tokio::test]
async fn sign_count_backwards() {
    let (_dir, db) = sqlite().await;
    a_counter_going_backwards_is_refused(db).await;
}

#[tokio::test]
async fn bad_signature_and_revoked() {
    let (_dir, db) = sqlite().await;
    bad_signatures_and_revoked_passes_cannot_sign_in(db).await;
}

#[tokio::test]
async fn locked_and_deactivated() {
    let (_dir, db) = sqlite().await;
    locked_and_deactivated_accounts_are_refused(db).await;
}

#[tokio::test]
async fn cancelled_ceremony() {
    let (_dir, db) = sqlite().await;
    a_ceremony_waiting_for_a_touch_can_be_cancelled(db).await;
}

#[tokio::test]
async fn failed_pass_sign_ins_are_limited() {
    let (_dir, db) = sqlite().await;
    failed_pass_sign_ins_count_towards_the_limit(db).await;
}
