//! The hardware-pass registry, written once and run on both stores.

use crate::common::{ManualClock, TestApi, sign_up};
use crate::identity_harness::{Db, member};
use chrono::Duration;
use multipass_api::passes::{EnrollPassRequest, PassView};
use multipass_api::{Clock, ErrorCode, SignInOutcome};

fn enrolment(credential_id: &str) -> EnrollPassRequest {
    EnrollPassRequest {
        username: None,
        device_type: "fido2_usb".to_owned(),
        label: "blue key".to_owned(),
        credential_id: credential_id.to_owned(),
        public_key: "pQECAyYgASFYIBm5".to_owned(),
        algorithm: -7,
        aaguid: Some("cb69481e-8ff7-4039-93ec-0a2729a154a8".to_owned()),
        sign_count: 0,
        capabilities: vec!["uv".to_owned(), "pin".to_owned()],
        expires_at: None,
    }
}

async fn enrol(api: &TestApi, who: &SignInOutcome, credential_id: &str) -> PassView {
    api.enroll_pass(&who.token, enrolment(credential_id))
        .await
        .expect("enrol")
}

pub async fn enrolment_listing_and_revocation(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let desk = member(&db, &api, "desk", "desk").await;

    let pass = enrol(&api, &ada, "AAECAwQFBgcICQ").await;
    assert_eq!(pass.status, "active");
    assert_eq!(pass.capabilities, ["pin", "uv"]);
    assert_eq!(pass.enrolled_by, None);
    assert_eq!(pass.algorithm, -7);
    let listed = api.passes(&ada.token, None).await.unwrap();
    assert_eq!(listed, vec![pass.clone()]);

    // The same credential, by anyone, is a conflict naming the field.
    let err = api
        .enroll_pass(&grace.token, enrolment("AAECAwQFBgcICQ"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("credentialId"))
    );
    assert!(err.message.contains("already enrolled"), "{}", err.message);

    // Enrolling for someone else is desk work.
    let for_ada = EnrollPassRequest {
        username: Some("ada".to_owned()),
        ..enrolment("ZmFrZS1rZXktMg")
    };
    assert_eq!(
        api.enroll_pass(&grace.token, for_ada.clone())
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    let by_desk = api.enroll_pass(&desk.token, for_ada).await.unwrap();
    assert_eq!(
        by_desk.enrolled_by.as_deref(),
        Some(&*desk.signed_in.identity.id)
    );
    assert_eq!(by_desk.identity_id, ada.signed_in.identity.id);
    assert_eq!(api.passes(&ada.token, None).await.unwrap().len(), 2);
    assert_eq!(
        api.passes(&grace.token, Some("ada"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    for (spoil, field) in [
        (
            EnrollPassRequest {
                algorithm: -257,
                ..enrolment("b3RoZXI")
            },
            "algorithm",
        ),
        (
            EnrollPassRequest {
                device_type: "usb".into(),
                ..enrolment("b3RoZXI")
            },
            "deviceType",
        ),
        (enrolment("not base64url!"), "credentialId"),
    ] {
        let err = api.enroll_pass(&ada.token, spoil).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }

    // Only the holder or the desk revokes.
    assert_eq!(
        api.revoke_pass(&grace.token, &pass.id, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    let revoked = api
        .revoke_pass(&ada.token, &pass.id, Some("left on a train"))
        .await
        .unwrap();
    assert_eq!(revoked.status, "revoked");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.status_reason.as_deref(), Some("left on a train"));

    // A revoked pass never comes back, through the API or behind its back.
    for err in [
        api.revoke_pass(&ada.token, &pass.id, None)
            .await
            .unwrap_err(),
        api.report_pass_lost(&ada.token, &pass.id, None)
            .await
            .unwrap_err(),
        api.issue_challenge(&ada.token, &pass.id, "sign_in")
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::InvalidState, "{}", err.message);
    }
    let sneaky = db
        .exec(format!(
            "UPDATE hardware_passes SET status = 'active' WHERE id = '{}'",
            pass.id
        ))
        .await;
    assert!(
        sneaky.is_err(),
        "the schema refuses an active pass with a revocation time"
    );

    let identity = &ada.signed_in.identity.id;
    assert_eq!(
        db.count(format!(
            "SELECT count(*) FROM notifications WHERE identity_id = '{identity}' AND kind = 'pass_enrolled'"
        ))
        .await,
        2
    );
    assert_eq!(
        db.count(format!(
            "SELECT count(*) FROM notifications WHERE identity_id = '{identity}' AND kind = 'pass_revoked'"
        ))
        .await,
        1
    );
    assert_eq!(
        db.count(format!(
            "SELECT count(*) FROM security_events WHERE identity_id = '{identity}' AND event_type IN ('pass_enrolled', 'pass_revoked')"
        ))
        .await,
        3
    );
}

pub async fn lost_and_expired_passes(db: Db) {
    let clock = ManualClock::new();
    let api = db.api(clock.clone());
    let ada = sign_up(&api, "ada").await;
    let admin = member(&db, &api, "root", "admin").await;
    let in_an_hour = (clock.now() + Duration::hours(1)).to_rfc3339();
    let expiring = api
        .enroll_pass(
            &ada.token,
            EnrollPassRequest {
                expires_at: Some(in_an_hour.clone()),
                ..enrolment("ZXhwaXJpbmc")
            },
        )
        .await
        .unwrap();
    let lost_too = api
        .enroll_pass(
            &ada.token,
            EnrollPassRequest {
                expires_at: Some(in_an_hour),
                ..enrolment("bG9zdA")
            },
        )
        .await
        .unwrap();
    let lasting = enrol(&api, &ada, "bGFzdGluZw").await;

    let lost = api
        .report_pass_lost(&ada.token, &lost_too.id, None)
        .await
        .unwrap();
    assert_eq!(lost.status, "lost");
    assert_eq!(lost.revoked_at, None);
    assert_eq!(
        api.revoke_pass(&ada.token, &lost.id, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState,
        "lost is final"
    );

    assert_eq!(
        api.expire_due_passes(&ada.token).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert!(
        api.expire_due_passes(&admin.token)
            .await
            .unwrap()
            .is_empty()
    );
    clock.advance(Duration::hours(2));
    let expired = api.expire_due_passes(&admin.token).await.unwrap();
    assert_eq!(
        expired.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [expiring.id.as_str()],
        "the lost one stays lost"
    );
    assert_eq!(expired[0].status, "expired");
    assert!(
        api.expire_due_passes(&admin.token)
            .await
            .unwrap()
            .is_empty()
    );
    let statuses: Vec<_> = api
        .passes(&ada.token, None)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.status))
        .collect();
    assert!(statuses.contains(&(lasting.id, "active".to_owned())));
    assert_eq!(
        db.count(
            "SELECT count(*) FROM security_events WHERE event_type IN ('pass_lost', 'pass_expired')"
        )
        .await,
        2
    );
}

pub async fn a_challenge_is_used_once_under_concurrency(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let pass = enrol(&api, &ada, "Y29uY3VycmVudA").await;
    let challenge = api
        .issue_challenge(&ada.token, &pass.id, "sign_in")
        .await
        .unwrap();
    assert!(challenge.challenge.len() >= 64);
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let api = api.clone();
            let token = ada.token.clone();
            let pass = pass.id.clone();
            let hex = challenge.challenge.clone();
            tokio::spawn(async move { api.local().consume_challenge(&token, &pass, &hex).await })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let successes = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(successes, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| e.code == ErrorCode::AlreadyUsed),
        "{results:?}"
    );
}

pub async fn challenges_expire_and_belong_to_one_pass(db: Db) {
    let clock = ManualClock::new();
    let api = db.api(clock.clone());
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let pass = enrol(&api, &ada, "ZXhwaXJ5").await;
    let other_pass = enrol(&api, &ada, "c2Vjb25k").await;
    let graces = enrol(&api, &grace, "Z3JhY2U").await;

    let stale = api
        .issue_challenge(&ada.token, &pass.id, "sign_in")
        .await
        .unwrap();
    clock.advance(Duration::minutes(2) + Duration::seconds(1));
    let err = api
        .local()
        .consume_challenge(&ada.token, &pass.id, &stale.challenge)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Expired);

    let fresh = api
        .issue_challenge(&ada.token, &pass.id, "enrolment_test")
        .await
        .unwrap();
    assert_eq!(fresh.purpose, "enrolment_test");
    // Another pass of the same holder, or another holder, cannot use it.
    for (token, pass_id) in [
        (&ada.token, &other_pass.id),
        (&grace.token, &pass.id),
        (&grace.token, &graces.id),
    ] {
        let err = api
            .local()
            .consume_challenge(token, pass_id, &fresh.challenge)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }
    clock.advance(Duration::seconds(119));
    let used = api
        .local()
        .consume_challenge(&ada.token, &pass.id, &fresh.challenge.to_uppercase())
        .await
        .unwrap();
    assert!(used.used_at.is_some());
    let err = api
        .local()
        .consume_challenge(&ada.token, &pass.id, &fresh.challenge)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyUsed);
    let err = api
        .local()
        .consume_challenge(&ada.token, &pass.id, "abcd")
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("challenge"))
    );

    // A challenge issued before revocation is dead with its pass.
    let pending = api
        .issue_challenge(&ada.token, &pass.id, "sign_in")
        .await
        .unwrap();
    api.revoke_pass(&ada.token, &pass.id, None).await.unwrap();
    let err = api
        .local()
        .consume_challenge(&ada.token, &pass.id, &pending.challenge)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
}

pub async fn the_sign_count_only_moves_forward(db: Db) {
    let api = db.api(ManualClock::new());
    let ada = sign_up(&api, "ada").await;
    let pass = enrol(&api, &ada, "Y291bnRlcg").await;
    // A device without a counter reports 0 each time.
    api.local()
        .record_pass_use(&ada.token, &pass.id, 0)
        .await
        .unwrap();
    api.local()
        .record_pass_use(&ada.token, &pass.id, 0)
        .await
        .unwrap();
    api.local()
        .record_pass_use(&ada.token, &pass.id, 5)
        .await
        .unwrap();
    for stale in [5, 3, 0] {
        let err = api
            .local()
            .record_pass_use(&ada.token, &pass.id, stale)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidState);
    }
    api.local()
        .record_pass_use(&ada.token, &pass.id, 6)
        .await
        .unwrap();
    let now = api.passes(&ada.token, None).await.unwrap().remove(0);
    assert_eq!(now.sign_count, 6);
    assert!(now.last_used_at.is_some());
    assert_eq!(
        db.count("SELECT count(*) FROM security_events WHERE event_type = 'pass_clone_suspected'")
            .await,
        3
    );
}
