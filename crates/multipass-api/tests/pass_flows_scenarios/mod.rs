//! Desk enrolment and sign-in with the software pass over real UDP, written once and run on
//! both stores.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::common::{ManualClock, TestApi, sign_up};
use crate::identity_harness::{Db, member};
use chrono::Duration;
use multipass_api::pass_ceremony::{
    CeremonyControl, CeremonyPolicy, DeskEnrolment, DeskEnrolmentRequest, DeviceRef,
    PassSignInRequest, Progress,
};
use multipass_api::{ErrorCode, MultipassApi, Policies, SessionKind, SignInOutcome};
use multipass_pass::{Interaction, Pass};
use multipass_softpass::{Config, Faults, Running};

/// A software pass whose state (its credentials and counter) outlives restarts.
pub struct SoftPass {
    pub running: Running,
    pub dir: tempfile::TempDir,
}

fn start_in(dir: &Path, pin: Option<&str>, faults: Faults) -> Running {
    start_with(dir, pin, faults, multipass_softpass::Touch::Immediate)
}

fn start_with(
    dir: &Path,
    pin: Option<&str>,
    faults: Faults,
    touch: multipass_softpass::Touch,
) -> Running {
    let mut config = Config::new(dir.join("pass.json"));
    config.touch = touch;
    config.pin = pin.map(str::to_owned);
    config.faults = faults;
    multipass_softpass::spawn(config).unwrap()
}

impl SoftPass {
    pub fn start(pin: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let running = start_in(dir.path(), pin, Faults::default());
        Self { running, dir }
    }

    /// The same pass, restarted with `faults`, on a new port.
    pub fn restart(self, faults: Faults) -> Self {
        let Self { running, dir } = self;
        drop(running);
        let running = start_in(dir.path(), None, faults);
        Self { running, dir }
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }
}

pub fn api_with(db: &Db, clock: Arc<ManualClock>, pass: &SoftPass) -> TestApi {
    TestApi::new(MultipassApi::new(
        db.store.clone(),
        policies_for(pass),
        clock,
    ))
}

fn policies_for(pass: &SoftPass) -> Policies {
    Policies {
        session: multipass_domain::SessionPolicy {
            idle_timeout: None,
            ..Default::default()
        },
        ceremony: CeremonyPolicy {
            software_pass: Some(pass.addr()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn enrolment(username: &str, pin: Option<&str>) -> DeskEnrolmentRequest {
    DeskEnrolmentRequest {
        username: username.to_owned(),
        device: DeviceRef::Software,
        label: String::new(),
        pin: pin.map(str::to_owned),
        expires_at: None,
    }
}

fn sign_in(username: &str, pin: Option<&str>) -> PassSignInRequest {
    PassSignInRequest {
        username: username.to_owned(),
        device: DeviceRef::Software,
        pin: pin.map(str::to_owned),
    }
}

async fn enrol(
    api: &TestApi,
    desk: &SignInOutcome,
    username: &str,
    pin: Option<&str>,
) -> DeskEnrolment {
    api.local()
        .enrol_pass_at_desk(
            &desk.token,
            enrolment(username, pin),
            &CeremonyControl::new(),
        )
        .await
        .unwrap()
}

async fn pass_sign_in(
    api: &TestApi,
    username: &str,
    pin: Option<&str>,
) -> Result<SignInOutcome, multipass_api::ApiError> {
    // The challenge and the check by the authority (through the server when the run asks
    // for it), the answer from the pass at "this computer".
    multipass_api::pass_ceremony::sign_in_with_pass(
        &**api,
        &api.local().pass_reader(),
        sign_in(username, pin),
        SessionKind::Desktop,
        &CeremonyControl::new(),
    )
    .await
}

async fn events(db: &Db, event_type: &str) -> i64 {
    db.count(format!(
        "SELECT count(*) FROM security_events WHERE event_type = '{event_type}'"
    ))
    .await
}

pub async fn desk_enrolment_then_sign_in(db: Db, pin: Option<&'static str>) {
    let pass = SoftPass::start(pin);
    let api = api_with(&db, ManualClock::new(), &pass);
    let desk = member(&db, &api, "desk", "desk").await;
    let ada = sign_up(&api, "ada").await;

    // The desk sees the software pass, marked as a test device, with its getInfo.
    let connected = api.local().connected_passes().await.unwrap();
    let soft = connected
        .iter()
        .find(|c| c.device == DeviceRef::Software)
        .unwrap();
    assert!(soft.test_device);
    assert_eq!(soft.device_type, "software_pass");
    let info = soft.info.as_ref().unwrap();
    assert_eq!(
        info.aaguid,
        uuid::Uuid::from_bytes(multipass_softpass::authenticator::AAGUID).to_string()
    );
    assert!(info.versions.iter().any(|v| v.starts_with("FIDO_2")));
    assert_eq!(info.pin_set, Some(pin.is_some()));
    api.local().wink_pass(DeviceRef::Software).await.unwrap();

    if let Some(pin) = pin {
        // No PIN, then a wrong one: both name the field, the second with the retries left.
        let err = api
            .local()
            .enrol_pass_at_desk(&desk.token, enrolment("ada", None), &CeremonyControl::new())
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some("pin"))
        );
        let wrong = format!("{pin}9");
        let err = api
            .local()
            .enrol_pass_at_desk(
                &desk.token,
                enrolment("ada", Some(&wrong)),
                &CeremonyControl::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some("pin"))
        );
        assert!(err.message.contains("attempts are left"), "{}", err.message);
        assert_eq!(api.passes(&ada.token, None).await.unwrap(), vec![]);
    }

    let events_seen = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events_seen);
    let control = CeremonyControl::new().on_progress(move |p| seen.lock().unwrap().push(p));
    let enrolled = api
        .local()
        .enrol_pass_at_desk(&desk.token, enrolment("ada", pin), &control)
        .await
        .unwrap();
    // Touches are approved at once, so the pass may or may not ask for one; any report
    // must be one the UI knows.
    for p in events_seen.lock().unwrap().iter() {
        assert!(matches!(p, Progress::TouchNeeded | Progress::Processing));
    }
    let view = &enrolled.pass;
    assert_eq!(view.status, "active");
    assert_eq!(view.device_type, "software_pass");
    assert_eq!(view.identity_id, ada.signed_in.identity.id);
    assert_eq!(
        view.enrolled_by.as_deref(),
        Some(&*desk.signed_in.identity.id)
    );
    assert_eq!(view.algorithm, -7);
    assert!(
        view.sign_count > 0,
        "the test challenge advanced the counter"
    );
    assert!(view.last_used_at.is_some());
    assert!(
        view.capabilities.contains(&"pin".to_owned()),
        "{:?}",
        view.capabilities
    );
    assert_eq!(enrolled.test_challenge.purpose, "enrolment_test");
    assert!(enrolled.test_challenge.used_at.is_some());
    assert_eq!(events(&db, "pass_enrolled").await, 1);

    // The holder signs in with it; the session says how.
    let outcome = pass_sign_in(&api, "ada", pin).await.unwrap();
    assert_eq!(outcome.signed_in.identity.username, "ada");
    api.identity_for(&outcome.token).await.unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM multipass_sessions WHERE auth_method = 'hardware_pass'")
            .await,
        1
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM security_events WHERE event_type = 'sign_in' \
             AND CAST(detail AS TEXT) LIKE '%hardware_pass%'"
        )
        .await,
        1
    );
    let after = api.passes(&ada.token, None).await.unwrap();
    assert!(after[0].sign_count > view.sign_count);
}

pub async fn enrolment_rules(db: Db) {
    let pass = SoftPass::start(None);
    let api = api_with(&db, ManualClock::new(), &pass);
    let desk = member(&db, &api, "desk", "desk").await;
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;

    // A user cannot enrol a pass for someone else, and nothing reaches the pass.
    let err = api
        .local()
        .enrol_pass_at_desk(
            &grace.token,
            enrolment("ada", None),
            &CeremonyControl::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    let adas = enrol(&api, &desk, "ada", None).await;
    // The same pass again for the same person: the pass itself recognises the credential.
    let err = api
        .local()
        .enrol_pass_at_desk(&desk.token, enrolment("ada", None), &CeremonyControl::new())
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("device"))
    );
    assert!(err.message.contains("already enrolled"), "{}", err.message);
    assert_eq!(api.passes(&ada.token, None).await.unwrap().len(), 1);

    // The same pass for another person: asked silently, it answers for ada's credential, so
    // nothing is made. Desk staff learn whose it is; someone enrolling their own does not.
    let err = api
        .local()
        .enrol_pass_at_desk(
            &desk.token,
            enrolment("grace", None),
            &CeremonyControl::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("device"))
    );
    assert!(
        err.message.contains("another person (ada)"),
        "{}",
        err.message
    );
    let err = api
        .local()
        .enrol_pass_at_desk(
            &grace.token,
            enrolment("grace", None),
            &CeremonyControl::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(
        err.message.contains("another person") && !err.message.contains("ada"),
        "{}",
        err.message
    );
    assert_eq!(api.passes(&grace.token, None).await.unwrap(), vec![]);
    // Once ada's enrolment is revoked, the pass is free for someone else.
    api.revoke_pass(&desk.token, &adas.pass.id, None)
        .await
        .unwrap();

    // An unknown person is named as such.
    let err = api
        .local()
        .enrol_pass_at_desk(
            &desk.token,
            enrolment("nobody", None),
            &CeremonyControl::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::NotFound, Some("username"))
    );

    // A pass enrolled but whose test answer does not verify is revoked again.
    let pass = pass.restart(Faults {
        bad_signature: true,
        ..Faults::default()
    });
    let api = api_with(&db, ManualClock::new(), &pass);
    let err = api
        .local()
        .enrol_pass_at_desk(
            &desk.token,
            enrolment("grace", None),
            &CeremonyControl::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials, "{}", err.message);
    let graces = api.passes(&grace.token, None).await.unwrap();
    assert_eq!(graces.len(), 1);
    assert_eq!(graces[0].status, "revoked");
    assert_eq!(
        events(&db, "pass_revoked").await,
        2,
        "ada's and the failed one"
    );
}

/// The pass's answer to `attempt`, obtained outside the API.
fn answer(
    pass: &SoftPass,
    request: &multipass_pass::GetAssertionRequest,
) -> multipass_api::pass_ceremony::PassAssertion {
    Pass::open_udp(pass.addr())
        .unwrap()
        .get_assertion(request, None, &mut Interaction::default())
        .unwrap()
        .into()
}

/// Ada and Grace, each with a pass of her own (one pass cannot be enrolled for two people):
/// Ada's pass, Grace's, the clock and an API whose software pass is Ada's.
async fn ada_and_grace_with_passes(db: &Db) -> (SoftPass, SoftPass, Arc<ManualClock>, TestApi) {
    let pass = SoftPass::start(None);
    let clock = ManualClock::new();
    let api = api_with(db, clock.clone(), &pass);
    let desk = member(db, &api, "desk", "desk").await;
    sign_up(&api, "ada").await;
    sign_up(&api, "grace").await;
    enrol(&api, &desk, "ada", None).await;
    let grace_pass = SoftPass::start(None);
    enrol(
        &api_with(db, clock.clone(), &grace_pass),
        &desk,
        "grace",
        None,
    )
    .await;
    (pass, grace_pass, clock, api)
}

pub async fn challenges_are_single_use_timely_and_bound(db: Db) {
    let (pass, grace_pass, clock, api) = ada_and_grace_with_passes(&db).await;

    // Used twice.
    let attempt = api.begin_pass_sign_in("ada").await.unwrap();
    let assertion = answer(&pass, &attempt.request);
    api.finish_pass_sign_in(&attempt, &assertion, SessionKind::Cli)
        .await
        .unwrap();
    let err = api
        .finish_pass_sign_in(&attempt, &assertion, SessionKind::Cli)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyUsed, "{}", err.message);

    // Expired.
    let attempt = api.begin_pass_sign_in("ada").await.unwrap();
    let assertion = answer(&pass, &attempt.request);
    clock.advance(Duration::minutes(3));
    let err = api
        .finish_pass_sign_in(&attempt, &assertion, SessionKind::Cli)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Expired, "{}", err.message);

    // An attempt changed on the way: its challenges are fresh and Ada's, but the pass
    // signed others, so the rebuilt request no longer matches the signature.
    let attempt = api.begin_pass_sign_in("ada").await.unwrap();
    let assertion = answer(&pass, &attempt.request);
    let mut changed = attempt.clone();
    changed.challenges = api.begin_pass_sign_in("ada").await.unwrap().challenges;
    let err = api
        .finish_pass_sign_in(&changed, &assertion, SessionKind::Cli)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials, "{}", err.message);

    // Grace's challenge and answer, presented as Ada's attempt.
    let adas = api.begin_pass_sign_in("ada").await.unwrap();
    let graces = api.begin_pass_sign_in("grace").await.unwrap();
    let assertion = answer(&grace_pass, &graces.request);
    let err = api
        .finish_pass_sign_in(
            &graces.clone().presented_as(&adas),
            &assertion,
            SessionKind::Cli,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials, "{}", err.message);
    // Ada's pass answering Ada's attempt still works: nothing of hers was used up.
    let assertion = answer(&pass, &adas.request);
    api.finish_pass_sign_in(&adas, &assertion, SessionKind::Cli)
        .await
        .unwrap();
    // Grace's answer to Ada's attempt names a credential Ada does not hold.
    let adas = api.begin_pass_sign_in("ada").await.unwrap();
    let graces_answer = answer(&grace_pass, &graces.request);
    let err = api
        .finish_pass_sign_in(&adas, &graces_answer, SessionKind::Cli)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials, "{}", err.message);
}

pub async fn a_counter_going_backwards_is_refused(db: Db) {
    let pass = SoftPass::start(None);
    let api = api_with(&db, ManualClock::new(), &pass);
    let desk = member(&db, &api, "desk", "desk").await;
    sign_up(&api, "ada").await;
    enrol(&api, &desk, "ada", None).await;

    // With the fault the pass jumps to 1000 and counts down from there: the first answer
    // still advances the stored count, the second goes backwards.
    let pass = pass.restart(Faults {
        sign_count_backwards: true,
        ..Faults::default()
    });
    let api = api_with(&db, ManualClock::new(), &pass);
    pass_sign_in(&api, "ada", None).await.unwrap();
    let err = pass_sign_in(&api, "ada", None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState, "{}", err.message);
    assert!(err.message.contains("cloned"), "{}", err.message);
    assert_eq!(events(&db, "pass_clone_suspected").await, 1);
    assert_eq!(
        db.count("SELECT count(*) FROM notifications WHERE kind = 'security_alert'")
            .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM multipass_sessions WHERE auth_method = 'hardware_pass'")
            .await,
        1
    );
}

pub async fn bad_signatures_and_revoked_passes_cannot_sign_in(db: Db) {
    let pass = SoftPass::start(None);
    let api = api_with(&db, ManualClock::new(), &pass);
    let desk = member(&db, &api, "desk", "desk").await;
    let ada = sign_up(&api, "ada").await;
    let enrolled = enrol(&api, &desk, "ada", None).await;

    let pass = pass.restart(Faults {
        bad_signature: true,
        ..Faults::default()
    });
    let faulty = api_with(&db, ManualClock::new(), &pass);
    let err = pass_sign_in(&faulty, "ada", None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials, "{}", err.message);
    assert!(err.message.contains("signature"), "{}", err.message);

    let pass = pass.restart(Faults::default());
    let api = api_with(&db, ManualClock::new(), &pass);
    pass_sign_in(&api, "ada", None).await.unwrap();
    api.revoke_pass(&ada.token, &enrolled.pass.id, Some("left the company"))
        .await
        .unwrap();
    let err = pass_sign_in(&api, "ada", None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials);

    // Unknown people get the same answer as everyone refused.
    let unknown = pass_sign_in(&api, "nobody", None).await.unwrap_err();
    assert_eq!((unknown.code, unknown.message), (err.code, err.message));
}

pub async fn locked_and_deactivated_accounts_are_refused(db: Db) {
    let pass = SoftPass::start(None);
    let api = api_with(&db, ManualClock::new(), &pass);
    let desk = member(&db, &api, "desk", "desk").await;
    let admin = member(&db, &api, "boss", "admin").await;
    let ada = sign_up(&api, "ada").await;
    enrol(&api, &desk, "ada", None).await;
    let id = &ada.signed_in.identity.id;

    // Locked by wrong passwords: the pass does not get around the lock.
    for _ in 0..5 {
        let wrong = multipass_api::dto::SignInRequest {
            username: "ada".to_owned(),
            password: "wrong password entirely".to_owned(),
        };
        api.sign_in(wrong, SessionKind::Cli).await.unwrap_err();
    }
    let locked = pass_sign_in(&api, "ada", None).await.unwrap_err();
    assert_eq!(locked.code, ErrorCode::InvalidCredentials);
    api.unlock(
        &admin.token,
        multipass_domain::IdentityId::from_uuid(id.parse().unwrap()),
    )
    .await
    .unwrap();
    pass_sign_in(&api, "ada", None).await.unwrap();

    // Deactivated: the same answer.
    db.exec(format!(
        "UPDATE identity_profiles SET is_active = FALSE WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    let deactivated = pass_sign_in(&api, "ada", None).await.unwrap_err();
    assert_eq!(
        (deactivated.code, &deactivated.message),
        (locked.code, &locked.message)
    );
}

pub async fn a_ceremony_waiting_for_a_touch_can_be_cancelled(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let running = start_with(
        dir.path(),
        None,
        Faults::default(),
        multipass_softpass::Touch::Manual,
    );
    let pass = SoftPass { running, dir };
    let api = api_with(&db, ManualClock::new(), &pass);
    let desk = member(&db, &api, "desk", "desk").await;
    let ada = sign_up(&api, "ada").await;

    // The Cancel button is pressed as soon as the pass asks for a touch.
    let control = CeremonyControl::new();
    let button = control.clone();
    let control = control.on_progress(move |p| {
        if p == Progress::TouchNeeded {
            button.cancel();
        }
    });
    let err = api
        .local()
        .enrol_pass_at_desk(&desk.token, enrolment("ada", None), &control)
        .await
        .unwrap_err();
    assert!(control.is_cancelled());
    assert_eq!(err.code, ErrorCode::Cancelled, "{}", err.message);
    assert!(err.message.contains("cancelled"), "{}", err.message);
    assert_eq!(api.passes(&ada.token, None).await.unwrap(), vec![]);
}

/// Refused pass sign-ins count against the username like wrong passwords: at the limit the
/// person gets no more challenges, with `rate_limited` and the wait.
pub async fn failed_pass_sign_ins_count_towards_the_limit(db: Db) {
    use multipass_domain::throttle::{SignInThrottle, ThrottleLimit};
    let (pass, other_pass, clock, _api) = ada_and_grace_with_passes(&db).await;
    let limited = TestApi::new(MultipassApi::new(
        db.store.clone(),
        Policies {
            throttle: SignInThrottle {
                per_username: ThrottleLimit {
                    max_failures: 2,
                    window: Duration::minutes(15),
                },
                ..SignInThrottle::default()
            },
            ..policies_for(&pass)
        },
        clock.clone(),
    ));
    // Grace's pass's answer presented for Ada's attempt: refused, twice.
    for _ in 0..2 {
        let attempt = limited.begin_pass_sign_in("ada").await.unwrap();
        let graces = limited.begin_pass_sign_in("grace").await.unwrap();
        let answer = answer(&other_pass, &graces.request);
        let err = limited
            .finish_pass_sign_in(&attempt, &answer, SessionKind::Cli)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentials, "{}", err.message);
    }
    let err = limited.begin_pass_sign_in("ada").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited, "{}", err.message);
    assert!(err.retry_after_seconds.is_some());
    clock.advance(Duration::minutes(15));
    pass_sign_in(&limited, "ada", None).await.unwrap();
}
