//! Profiles, KYC, attestations and roles, written once and run on both stores.

use crate::common::{ManualClock, TestApi, sign_up};
use crate::identity_harness::{Db, contains, member};
use chrono::{Duration, SecondsFormat};
use multipass_api::Clock;
use multipass_api::attestations::AttestRequest;
use multipass_api::identity::UpdateProfileRequest;
use multipass_api::kyc::{
    KycDocument, KycListRequest, KycReviewDecision, KycReviewRequest, KycSubmitRequest,
};
use multipass_api::{ErrorCode, SignInOutcome};
use multipass_domain::{IdentityId, SessionToken};
use serde_json::json;
use sha3::{Digest, Sha3_256};

fn token(who: &SignInOutcome) -> &SessionToken {
    &who.token
}

pub fn id_of(who: &SignInOutcome) -> IdentityId {
    IdentityId::from_uuid(who.signed_in.identity.id.parse().unwrap())
}

fn submit(kind: &str, username: Option<&str>) -> KycSubmitRequest {
    KycSubmitRequest {
        username: username.map(str::to_owned),
        verification_type: kind.to_owned(),
        document_path: String::new(),
        provider: "Acme KYC".to_owned(),
        expires_at: None,
    }
}

async fn submit_bytes(api: &TestApi, who: &SignInOutcome, request: KycSubmitRequest) -> String {
    let submitted = api
        .local()
        .submit_kyc_document(
            token(who),
            request,
            KycDocument::Bytes(b"scan of a document".to_vec()),
        )
        .await
        .expect("submit");
    assert_eq!(submitted.profile.verification_status, "pending");
    submitted.verification.id
}

fn review(id: &str, decision: KycReviewDecision, reason: Option<&str>) -> KycReviewRequest {
    KycReviewRequest {
        verification_id: id.to_owned(),
        decision,
        reason: reason.map(str::to_owned),
    }
}

async fn approve(api: &TestApi, admin: &SignInOutcome, id: &str) -> (String, i16) {
    let reviewed = api
        .review_kyc(token(admin), review(id, KycReviewDecision::Approve, None))
        .await
        .expect("approve");
    (
        reviewed.profile.verification_status,
        reviewed.profile.kyc_level,
    )
}

pub async fn profile_updates_are_validated_and_scoped(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let admin = member(&db, &api, "root", "admin").await;

    let updated = api
        .update_profile(
            token(&ada),
            UpdateProfileRequest {
                phone: Some("+44 20 7946 0958".into()),
                country: Some("gb".into()),
                date_of_birth: Some("1990-12-10".into()),
                metadata: Some(json!({"team": "analytics"})),
                ..UpdateProfileRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.phone.as_deref(), Some("+442079460958"));
    assert_eq!(updated.country.as_deref(), Some("GB"));
    assert_eq!(updated.date_of_birth.as_deref(), Some("1990-12-10"));
    assert_eq!(updated.metadata, json!({"team": "analytics"}));
    assert_eq!(updated.full_name, "ada Lovelace", "untouched fields stay");

    type Spoil = fn(&mut UpdateProfileRequest);
    let cases: [(Spoil, &str); 6] = [
        (|r| r.phone = Some("020 7946 0958".into()), "phone"),
        (|r| r.country = Some("XK".into()), "country"),
        (
            |r| r.date_of_birth = Some("2999-01-01".into()),
            "dateOfBirth",
        ),
        (
            |r| r.metadata = Some(json!(["not", "an", "object"])),
            "metadata",
        ),
        (|r| r.email = Some("nope".into()), "email"),
        (|r| r.full_name = Some(" ".into()), "fullName"),
    ];
    for (spoil, field) in cases {
        let mut request = UpdateProfileRequest::default();
        spoil(&mut request);
        let err = api.update_profile(token(&ada), request).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }

    // Email stays unique whatever its case.
    let err = api
        .update_profile(
            token(&ada),
            UpdateProfileRequest {
                email: Some("GRACE@Example.com".into()),
                ..UpdateProfileRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("email"))
    );

    // An empty string clears an optional field.
    let cleared = api
        .update_profile(
            token(&ada),
            UpdateProfileRequest {
                phone: Some(String::new()),
                ..UpdateProfileRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.phone, None);
    assert_eq!(cleared.country.as_deref(), Some("GB"));

    // A user edits only their own profile; an admin anyone's.
    let someone_elses = UpdateProfileRequest {
        username: Some("ada".into()),
        full_name: Some("Not Ada".into()),
        ..UpdateProfileRequest::default()
    };
    let err = api
        .update_profile(token(&grace), someone_elses.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let by_admin = api
        .update_profile(token(&admin), someone_elses)
        .await
        .unwrap();
    assert_eq!(by_admin.full_name, "Not Ada");
    assert_eq!(
        api.profile(token(&grace), Some("ada"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        api.profile(token(&ada), None).await.unwrap().full_name,
        "Not Ada"
    );
}

pub async fn kyc_approval_raises_and_expiry_lowers_the_level(db: Db) {
    let clock = ManualClock::new();
    let api = db.api(clock.clone());
    let ada = sign_up(&api, "ada").await;
    let admin = member(&db, &api, "root", "admin").await;

    let id = submit_bytes(&api, &ada, submit("government_id", None)).await;
    assert_eq!(approve(&api, &admin, &id).await, ("verified".into(), 1));

    let in_an_hour = (clock.now() + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let address = submit_bytes(
        &api,
        &ada,
        KycSubmitRequest {
            expires_at: Some(in_an_hour),
            ..submit("proof_of_address", None)
        },
    )
    .await;
    assert_eq!(api.profile(token(&ada), None).await.unwrap().kyc_level, 1);
    assert_eq!(
        approve(&api, &admin, &address).await,
        ("verified".into(), 2)
    );
    let selfie = submit_bytes(&api, &ada, submit("selfie", None)).await;
    assert_eq!(approve(&api, &admin, &selfie).await, ("verified".into(), 3));

    // A rejection leaves the proven level alone.
    let biometric = submit_bytes(&api, &ada, submit("biometric", None)).await;
    let rejected = api
        .review_kyc(
            token(&admin),
            review(&biometric, KycReviewDecision::Reject, Some("Unreadable")),
        )
        .await
        .unwrap();
    assert_eq!(rejected.verification.status, "rejected");
    assert_eq!(
        rejected.verification.rejection_reason.as_deref(),
        Some("Unreadable")
    );
    assert_eq!(
        rejected.verification.reviewed_by.as_deref(),
        Some(&*admin.signed_in.identity.id)
    );
    assert!(rejected.verification.reviewed_at.is_some());
    assert_eq!(
        (
            rejected.profile.verification_status.as_str(),
            rejected.profile.kyc_level
        ),
        ("verified", 3)
    );

    // Nothing is due yet.
    assert!(api.expire_due_kyc(token(&admin)).await.unwrap().is_empty());
    // Less than a session's lifetime, so everyone stays signed in.
    clock.advance(Duration::hours(2));
    let expired = api.expire_due_kyc(token(&admin)).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, address);
    assert_eq!(expired[0].status, "expired");
    // Without the address the selfie proves nothing more: back to level 1.
    let profile = api.profile(token(&ada), None).await.unwrap();
    assert_eq!(
        (profile.verification_status.as_str(), profile.kyc_level),
        ("verified", 1)
    );
    // Idempotent.
    assert!(api.expire_due_kyc(token(&admin)).await.unwrap().is_empty());

    let identity = &ada.signed_in.identity.id;
    assert_eq!(
        db.count(format!(
            "SELECT count(*) FROM notifications WHERE kind = 'kyc_decision' AND identity_id = '{identity}'"
        ))
        .await,
        5,
        "four decisions and one expiry"
    );
    let reviews = db
        .store
        .security_events(Some(id_of(&ada)), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "kyc_reviewed")
        .count();
    assert_eq!(reviews, 4);

    let listed = api
        .kyc_verifications(token(&ada), KycListRequest::default())
        .await
        .unwrap();
    let mut statuses: Vec<_> = listed.iter().map(|k| k.status.as_str()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["approved", "approved", "expired", "rejected"]);
}

pub async fn rejection_alone_leaves_the_profile_rejected_at_level_0(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let admin = member(&db, &api, "root", "admin").await;
    let id = submit_bytes(&api, &ada, submit("government_id", None)).await;
    let err = api
        .review_kyc(token(&admin), review(&id, KycReviewDecision::Reject, None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("reason"))
    );
    let rejected = api
        .review_kyc(
            token(&admin),
            review(&id, KycReviewDecision::Reject, Some("Expired passport")),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            rejected.profile.verification_status.as_str(),
            rejected.profile.kyc_level
        ),
        ("rejected", 0)
    );
}

pub async fn only_other_admins_review(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let desk = member(&db, &api, "desk", "desk").await;
    let admin = member(&db, &api, "root", "admin").await;
    let id = submit_bytes(&api, &ada, submit("government_id", None)).await;
    for who in [&ada, &desk] {
        let err = api
            .review_kyc(token(who), review(&id, KycReviewDecision::Approve, None))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
    }
    assert_eq!(
        api.expire_due_kyc(token(&ada)).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    // Desk staff may submit for someone; nobody reviews their own.
    let own = submit_bytes(&api, &desk, submit("government_id", Some("root"))).await;
    let err = api
        .review_kyc(
            token(&admin),
            review(&own, KycReviewDecision::Approve, None),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    approve(&api, &admin, &id).await;
    let twice = api
        .review_kyc(
            token(&admin),
            review(&id, KycReviewDecision::Reject, Some("changed my mind")),
        )
        .await
        .unwrap_err();
    assert_eq!(twice.code, ErrorCode::InvalidState);
    let unknown = api
        .review_kyc(
            token(&admin),
            review(
                &uuid::Uuid::new_v4().to_string(),
                KycReviewDecision::Approve,
                None,
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    let malformed = api
        .review_kyc(
            token(&admin),
            review("42", KycReviewDecision::Approve, None),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (malformed.code, malformed.field.as_deref()),
        (ErrorCode::InvalidInput, Some("verificationId"))
    );
    // The queue of pending verifications is for admins.
    let queue = api
        .kyc_verifications(
            token(&admin),
            KycListRequest {
                status: Some("pending".into()),
                all: true,
                ..KycListRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(
        api.kyc_verifications(
            token(&ada),
            KycListRequest {
                all: true,
                ..KycListRequest::default()
            }
        )
        .await
        .unwrap_err()
        .code,
        ErrorCode::Forbidden
    );
}

pub async fn the_document_is_only_ever_hashed(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let marker = format!("PASSPORT-CONTENT-{}", uuid::Uuid::new_v4());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passport.pdf");
    // Larger than one read buffer, so the hash is computed over several chunks.
    let content = marker.repeat(10_000);
    std::fs::write(&path, &content).unwrap();
    let submitted = api
        .submit_kyc(
            token(&ada),
            KycSubmitRequest {
                document_path: path.display().to_string(),
                ..submit("government_id", None)
            },
        )
        .await
        .unwrap();
    let expected = hex::encode(Sha3_256::digest(content.as_bytes()));
    assert_eq!(submitted.verification.document_hash, expected);

    let dump = db.dump().await;
    assert!(contains(&dump, expected.as_bytes()), "the digest is stored");
    assert!(!contains(&dump, marker.as_bytes()), "the document is not");
    assert!(!contains(&dump, hex::encode(marker.as_bytes()).as_bytes()));
    assert!(
        !contains(&dump, path.display().to_string().as_bytes()),
        "nor where it lives"
    );

    for (path, why) in [
        (dir.path().join("missing.pdf"), "missing"),
        (dir.path().to_owned(), "a folder"),
    ] {
        let err = api
            .submit_kyc(
                token(&ada),
                KycSubmitRequest {
                    document_path: path.display().to_string(),
                    ..submit("government_id", None)
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some("documentPath")),
            "{why}"
        );
    }
    let empty = dir.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let err = api
        .submit_kyc(
            token(&ada),
            KycSubmitRequest {
                document_path: empty.display().to_string(),
                ..submit("government_id", None)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("documentPath"));
    let err = api
        .local()
        .submit_kyc_document(
            token(&ada),
            submit("passport", None),
            KycDocument::Bytes(vec![1]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("verificationType"));
}

fn attest(username: &str, claim: serde_json::Value, expires_at: Option<String>) -> AttestRequest {
    AttestRequest {
        username: username.to_owned(),
        attestation_type: "over_18".to_owned(),
        issuer: "HR department".to_owned(),
        claim,
        expires_at,
    }
}

pub async fn attestations_verify_until_tampered_revoked_or_expired(db: Db) {
    let clock = ManualClock::new();
    let api = db.api(clock.clone());
    let ada = sign_up(&api, "ada").await;
    let admin = member(&db, &api, "root", "admin").await;

    let err = api
        .attest(token(&ada), attest("ada", json!({"over18": true}), None))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let err = api
        .attest(token(&admin), attest("ada", json!({"height": 1.7}), None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("claim"))
    );

    let issued = api
        .attest(
            token(&admin),
            attest("ada", json!({"over18": true, "checkedBy": "HR"}), None),
        )
        .await
        .unwrap();
    assert_eq!(issued.claim, r#"{"checkedBy":"HR","over18":true}"#);
    assert_eq!(
        issued.proof_hash,
        hex::encode(Sha3_256::digest(issued.claim.as_bytes()))
    );
    assert_eq!(serde_json::to_value(issued.anchor).unwrap(), "not_anchored");
    assert_eq!(issued.chain_anchor_tx, None);
    let check = api
        .verify_attestation(token(&ada), &issued.id)
        .await
        .unwrap();
    assert!(check.valid, "{check:?}");

    db.exec(format!(
        "UPDATE attestations SET claim = '{{\"checkedBy\":\"HR\",\"over18\":false}}' WHERE id = '{}'",
        issued.id
    ))
    .await
    .unwrap();
    let check = api
        .verify_attestation(token(&ada), &issued.id)
        .await
        .unwrap();
    assert!(!check.valid);
    assert_eq!(serde_json::to_value(check.state).unwrap(), "tampered");
    assert_ne!(check.recomputed_hash, check.proof_hash);

    let second = api
        .attest(token(&admin), attest("ada", json!({"over18": true}), None))
        .await
        .unwrap();
    let revoked = api
        .revoke_attestation(token(&admin), &second.id, "Issued by mistake")
        .await
        .unwrap();
    assert_eq!(
        revoked.revocation_reason.as_deref(),
        Some("Issued by mistake")
    );
    let check = api
        .verify_attestation(token(&ada), &second.id)
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(check.state).unwrap(), "revoked");
    assert_eq!(
        api.revoke_attestation(token(&admin), &second.id, "again")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    assert_eq!(
        api.revoke_attestation(token(&ada), &second.id, "mine")
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );

    let in_an_hour = (clock.now() + Duration::hours(1)).to_rfc3339();
    let third = api
        .attest(
            token(&admin),
            attest("ada", json!({"over18": true}), Some(in_an_hour)),
        )
        .await
        .unwrap();
    assert!(
        api.verify_attestation(token(&ada), &third.id)
            .await
            .unwrap()
            .valid
    );
    clock.advance(Duration::hours(2));
    let check = api
        .verify_attestation(token(&ada), &third.id)
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(check.state).unwrap(), "expired");

    let mine = api.attestations(token(&ada), None).await.unwrap();
    assert_eq!(mine.len(), 3);
}

pub async fn roles_are_granted_by_admins_and_bootstrapped_once(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;

    assert_eq!(
        api.grant_role(token(&ada), "grace", "admin")
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    let boot = api.bootstrap_admin(token(&ada)).await.unwrap();
    assert_eq!(
        (boot.previous_role.as_str(), boot.role.as_str()),
        ("user", "admin")
    );
    assert_eq!(
        api.bootstrap_admin(token(&grace)).await.unwrap_err().code,
        ErrorCode::InvalidState,
        "bootstrap works once"
    );
    assert_eq!(
        api.bootstrap_admin(token(&ada)).await.unwrap_err().code,
        ErrorCode::InvalidState
    );

    let err = api
        .grant_role(token(&ada), "ada", "user")
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::InvalidState,
        "the last admin cannot demote themselves"
    );
    let err = api
        .grant_role(token(&ada), "grace", "root")
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("role"))
    );
    let err = api
        .grant_role(token(&ada), "nobody", "desk")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);

    let granted = api.grant_role(token(&ada), "grace", "desk").await.unwrap();
    assert!(granted.changed);
    assert_eq!(
        (granted.previous_role.as_str(), granted.role.as_str()),
        ("user", "desk")
    );
    assert!(
        !api.grant_role(token(&ada), "grace", "desk")
            .await
            .unwrap()
            .changed
    );
    api.grant_role(token(&ada), "grace", "admin").await.unwrap();
    let stepped_down = api.grant_role(token(&ada), "ada", "user").await.unwrap();
    assert_eq!(stepped_down.role, "user");
    assert_eq!(
        api.grant_role(token(&grace), "grace", "desk")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );

    let events = db
        .count("SELECT count(*) FROM security_events WHERE event_type = 'role_granted'")
        .await;
    assert_eq!(
        events, 4,
        "bootstrap, desk, admin, step-down; not the no-op"
    );
}

pub async fn parallel_bootstraps_make_one_admin(db: Db) {
    let api = db.api(ManualClock::new());
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(sign_up(&api, &format!("user{i}")).await);
    }
    let tasks: Vec<_> = people
        .into_iter()
        .map(|who| {
            let api = api.clone();
            tokio::spawn(async move { api.bootstrap_admin(&who.token).await })
        })
        .collect();
    let results = futures::future::join_all(tasks).await;
    let won = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(won, 1);
    assert_eq!(
        db.count("SELECT count(*) FROM identity_profiles WHERE role = 'admin'")
            .await,
        1
    );
}

pub async fn suspension_and_deactivation(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let admin = member(&db, &api, "root", "admin").await;
    assert_eq!(
        api.set_suspended(token(&grace), "ada", true)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );

    let suspended = api.set_suspended(token(&admin), "ada", true).await.unwrap();
    assert_eq!(suspended.verification_status, "suspended");
    let submitted = api
        .local()
        .submit_kyc_document(
            token(&ada),
            submit("government_id", None),
            KycDocument::Bytes(vec![7]),
        )
        .await
        .unwrap();
    assert_eq!(
        submitted.profile.verification_status, "suspended",
        "a submission does not lift it"
    );
    let lifted = api
        .set_suspended(token(&admin), "ada", false)
        .await
        .unwrap();
    assert_eq!(lifted.verification_status, "pending");

    let deactivated = api.set_active(token(&admin), "grace", false).await.unwrap();
    assert!(!deactivated.is_active);
    assert!(deactivated.deactivated_at.is_some());
    assert_eq!(
        api.identity_for(token(&grace)).await.unwrap_err().code,
        ErrorCode::Unauthenticated,
        "deactivation ends the sessions"
    );
    let grace_signs_in = || {
        api.sign_in(
            crate::common::sign_in_request("grace", crate::common::PASSWORD),
            multipass_api::SessionKind::Desktop,
        )
    };
    assert_eq!(
        grace_signs_in().await.unwrap_err().code,
        ErrorCode::InvalidCredentials,
        "a deactivated identity cannot sign in, and is told no more than for a wrong password"
    );
    let back = api.set_active(token(&admin), "grace", true).await.unwrap();
    assert!(back.is_active && back.deactivated_at.is_none());
    grace_signs_in().await.unwrap();
    assert_eq!(
        api.set_active(token(&admin), "root", false)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
}

pub async fn parallel_reviews_and_sweeps_act_once(db: Db) {
    let clock = ManualClock::new();
    let api = db.api(clock.clone());
    let admins = [
        member(&db, &api, "root", "admin").await,
        member(&db, &api, "root2", "admin").await,
    ];
    let in_an_hour = (clock.now() + Duration::hours(1)).to_rfc3339();
    let mut ids = Vec::new();
    for i in 0..5 {
        let who = sign_up(&api, &format!("user{i}")).await;
        let request = KycSubmitRequest {
            expires_at: Some(in_an_hour.clone()),
            ..submit("government_id", None)
        };
        ids.push(submit_bytes(&api, &who, request).await);
    }
    // Both admins decide the first verification at once: one decision stands.
    let racing: Vec<_> = admins
        .iter()
        .enumerate()
        .map(|(i, admin)| {
            let api = api.clone();
            let token = admin.token.clone();
            let decision = if i == 0 {
                KycReviewDecision::Approve
            } else {
                KycReviewDecision::Reject
            };
            let request = review(&ids[0], decision, Some("blurred"));
            tokio::spawn(async move { api.review_kyc(&token, request).await })
        })
        .collect();
    let outcomes: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|r| r.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| e.code == ErrorCode::InvalidState)
    );
    for id in &ids[1..] {
        approve(&api, &admins[0], id).await;
    }

    clock.advance(Duration::hours(2));
    let sweeps: Vec<_> = (0..4)
        .map(|i| {
            let api = api.clone();
            let token = admins[i % 2].token.clone();
            tokio::spawn(async move { api.expire_due_kyc(&token).await })
        })
        .collect();
    let mut expired: Vec<String> = Vec::new();
    for sweep in futures::future::join_all(sweeps).await {
        expired.extend(sweep.unwrap().unwrap().into_iter().map(|k| k.id));
    }
    expired.sort();
    let mut due: Vec<String> = ids.clone();
    due.sort();
    // The first one may have been rejected, which does not expire.
    let first_rejected = outcomes[1].is_ok();
    if first_rejected {
        due.retain(|id| id != &ids[0]);
    }
    assert_eq!(expired, due, "each due verification expires exactly once");
    assert_eq!(
        db.count("SELECT count(*) FROM identity_profiles WHERE kyc_level > 0")
            .await,
        0
    );
}
