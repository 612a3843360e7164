//! Second factors, sessions, password changes, unlocking and the audit trail: each scenario
//! takes a freshly migrated store and is run on both backends.

#![allow(dead_code)]

use crate::common::*;
use chrono::Duration;
use futures::future::BoxFuture;
use multipass_api::auth_views::{AccountProof, ChangePasswordRequest, SecondFactor};
use multipass_api::{ApiError, ErrorCode, SessionKind, SignInOutcome};
use multipass_domain::password::Argon2Cost;
use multipass_domain::totp::{self, TotpSecret};
use multipass_domain::{IdentityId, LockoutPolicy, SessionId, SessionToken};
use multipass_store::Store;
use std::sync::Arc;

/// Makes the named user an admin with raw SQL on the backend's own database.
pub type MakeAdmin = Box<dyn Fn(&'static str) -> BoxFuture<'static, ()> + Send + Sync>;

fn lockout(max: u32) -> LockoutPolicy {
    LockoutPolicy {
        max_failed_attempts: max,
        unlock_after: None,
    }
}

fn identity_of(outcome: &SignInOutcome) -> IdentityId {
    IdentityId::from_uuid(outcome.signed_in.identity.id.parse().unwrap())
}

/// The code for the step `offset` steps from the clock's current one.
fn code(secret: &TotpSecret, clock: &ManualClock, offset: i64) -> String {
    use multipass_api::Clock;
    let step = totp::step_of(clock.now())
        .checked_add_signed(offset)
        .unwrap();
    totp::code_at(secret, step)
}

fn by_password() -> AccountProof {
    AccountProof::Password(PASSWORD.into())
}

/// Enrols and confirms TOTP for the session's user; returns the secret.
async fn enable_totp(api: &TestApi, clock: &ManualClock, token: &SessionToken) -> TotpSecret {
    let enrolment = api.totp_enrol(token).await.unwrap();
    let secret = TotpSecret::parse(&enrolment.secret).unwrap();
    api.totp_confirm(token, &code(&secret, clock, 0))
        .await
        .unwrap();
    // Later sign-ins use fresh steps, not the one the confirmation used up.
    clock.advance(Duration::seconds(90));
    secret
}

async fn sign_in_with(
    api: &TestApi,
    name: &str,
    password: &str,
    factor: Option<SecondFactor>,
) -> Result<SignInOutcome, ApiError> {
    api.sign_in_with(
        sign_in_request(name, password),
        factor,
        SessionKind::Desktop,
    )
    .await
}

async fn auth_method(api: &TestApi, outcome: &SignInOutcome) -> String {
    let sessions = api.sessions(&outcome.token, None).await.unwrap();
    sessions
        .into_iter()
        .find(|s| s.current)
        .unwrap()
        .auth_method
}

async fn event_types(api: &TestApi, token: &SessionToken) -> Vec<String> {
    api.security_events(token, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

pub async fn totp_enrolment_window_and_sign_in(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(10));
    let ada = sign_up(&api, "ada").await;

    let enrolment = api.totp_enrol(&ada.token).await.unwrap();
    assert!(
        enrolment
            .otpauth_uri
            .starts_with("otpauth://totp/Multipass:ada?secret="),
        "{}",
        enrolment.otpauth_uri
    );
    assert!(enrolment.otpauth_uri.contains(&enrolment.secret));
    assert!(enrolment.qr_svg.contains("<svg"));
    let secret = TotpSecret::parse(&enrolment.secret).unwrap();

    // Not enabled until confirmed: a password alone still signs in.
    let before = sign_in_with(&api, "ada", PASSWORD, None).await.unwrap();
    assert_eq!(auth_method(&api, &before).await, "password");
    let status = api.second_factor_status(&ada.token).await.unwrap();
    assert!(status.totp_pending && !status.totp_enabled);

    let wrong = api.totp_confirm(&ada.token, "000000x").await.unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidInput);
    let bad = code(&secret, &clock, 5);
    let wrong = api.totp_confirm(&ada.token, &bad).await.unwrap_err();
    assert_eq!(
        (wrong.code, wrong.field.as_deref()),
        (ErrorCode::InvalidInput, Some("code"))
    );
    let status = api
        .totp_confirm(&ada.token, &code(&secret, &clock, 0))
        .await
        .unwrap();
    assert!(status.totp_enabled && !status.totp_pending);
    let again = api
        .totp_confirm(&ada.token, &code(&secret, &clock, 0))
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidState);
    assert_eq!(
        api.totp_enrol(&ada.token).await.unwrap_err().code,
        ErrorCode::InvalidState
    );
    clock.advance(Duration::seconds(90));

    // A right password alone now opens nothing and is not a failure.
    let sessions_before = api.sessions(&ada.token, None).await.unwrap().len();
    let needed = sign_in_with(&api, "ada", PASSWORD, None).await.unwrap_err();
    assert_eq!(needed.code, ErrorCode::SecondFactorRequired);
    assert_eq!(
        api.sessions(&ada.token, None).await.unwrap().len(),
        sessions_before
    );

    // Two steps off either way is refused, and counted.
    for offset in [-2, 2] {
        let err = sign_in_with(
            &api,
            "ada",
            PASSWORD,
            Some(SecondFactor::Totp(code(&secret, &clock, offset))),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentials, "offset {offset}");
    }
    // One step behind, the current step and one step ahead are accepted, each once.
    let behind = sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::Totp(code(&secret, &clock, -1))),
    )
    .await
    .unwrap();
    assert_eq!(auth_method(&api, &behind).await, "password_totp");
    let current = code(&secret, &clock, 0);
    sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::Totp(current.clone())),
    )
    .await
    .unwrap();
    let reused = sign_in_with(&api, "ada", PASSWORD, Some(SecondFactor::Totp(current)))
        .await
        .unwrap_err();
    assert_eq!(reused.code, ErrorCode::InvalidCredentials);
    sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::Totp(code(&secret, &clock, 1))),
    )
    .await
    .unwrap();
    // A wrong password with a right code is a plain failed sign-in.
    let wrong_password = sign_in_with(
        &api,
        "ada",
        "not the password",
        Some(SecondFactor::Totp(code(&secret, &clock, 0))),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong_password, api_invalid_credentials(&api).await);

    let events = event_types(&api, &ada.token).await;
    assert!(events.contains(&"totp_enabled".to_owned()), "{events:?}");
    assert_eq!(
        events.iter().filter(|e| *e == "totp_rejected").count(),
        3,
        "{events:?}"
    );
}

/// The error a sign-in with an unknown username gets: the one every refusal must equal.
async fn api_invalid_credentials(api: &TestApi) -> ApiError {
    let err = sign_in_with(api, "nobody", PASSWORD, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
    err
}

pub async fn the_same_totp_code_sent_concurrently_succeeds_once(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(100));
    let ada = sign_up(&api, "ada").await;
    let secret = enable_totp(&api, &clock, &ada.token).await;
    let shared = code(&secret, &clock, 0);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let api = api.clone();
            let shared = shared.clone();
            tokio::spawn(async move {
                sign_in_with(&api, "ada", PASSWORD, Some(SecondFactor::Totp(shared))).await
            })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(err.code, ErrorCode::InvalidCredentials, "{err:?}");
    }
}

pub async fn backup_codes_work_once_and_regenerating_replaces_them(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(100));
    let ada = sign_up(&api, "ada").await;
    enable_totp(&api, &clock, &ada.token).await;
    let first = api
        .regenerate_backup_codes(&ada.token, by_password())
        .await
        .unwrap();
    assert_eq!(first.codes.len(), 10);
    let mut distinct = first.codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);

    let used = first.codes[0].to_lowercase();
    let signed_in = sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::BackupCode(used.clone())),
    )
    .await
    .unwrap();
    assert_eq!(auth_method(&api, &signed_in).await, "password_backup_code");
    let again = sign_in_with(&api, "ada", PASSWORD, Some(SecondFactor::BackupCode(used)))
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidCredentials);
    let malformed = sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::BackupCode("nope".into())),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (malformed.code, malformed.field.as_deref()),
        (ErrorCode::InvalidInput, Some("backupCode"))
    );
    let status = api.second_factor_status(&ada.token).await.unwrap();
    assert_eq!(status.backup_codes_left, 9);

    let second = api
        .regenerate_backup_codes(&ada.token, by_password())
        .await
        .unwrap();
    let old = sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::BackupCode(first.codes[1].clone())),
    )
    .await
    .unwrap_err();
    assert_eq!(old.code, ErrorCode::InvalidCredentials);
    sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::BackupCode(second.codes[9].clone())),
    )
    .await
    .unwrap();
    let events = event_types(&api, &ada.token).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "backup_codes_generated")
            .count(),
        2
    );
    assert_eq!(
        events.iter().filter(|e| *e == "backup_code_used").count(),
        2
    );
}

/// Backup codes sign in without the second factor, so a session alone (one left open, or
/// stolen) must not be enough to obtain them: a new set needs the password or a current code,
/// a wrong one is counted like a failed sign-in and leaves the old codes working.
pub async fn new_backup_codes_need_a_fresh_proof(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(2));
    let ada = sign_up(&api, "ada").await;

    let err = api
        .regenerate_backup_codes(&ada.token, AccountProof::Totp("123456".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    let first = api
        .regenerate_backup_codes(&ada.token, by_password())
        .await
        .unwrap();

    let err = api
        .regenerate_backup_codes(&ada.token, AccountProof::Password("wrong password!".into()))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidCredentials, Some("password"))
    );
    let secret = enable_totp(&api, &clock, &ada.token).await;
    let used = code(&secret, &clock, 0);
    let second = api
        .regenerate_backup_codes(&ada.token, AccountProof::Totp(used.clone()))
        .await
        .unwrap();
    assert_ne!(first.codes, second.codes);
    // The code was consumed: replaying it is a wrong proof, the second failure, which locks
    // the account (two allowed) and so ends the session.
    let err = api
        .regenerate_backup_codes(&ada.token, AccountProof::Totp(used))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
    assert_eq!(
        api.regenerate_backup_codes(&ada.token, by_password())
            .await
            .unwrap_err()
            .code,
        ErrorCode::Unauthenticated
    );
}

pub async fn one_backup_code_used_in_parallel_succeeds_once(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(100));
    let ada = sign_up(&api, "ada").await;
    enable_totp(&api, &clock, &ada.token).await;
    let codes = api
        .regenerate_backup_codes(&ada.token, by_password())
        .await
        .unwrap();
    let shared = codes.codes[4].clone();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let api = api.clone();
            let shared = shared.clone();
            tokio::spawn(async move {
                sign_in_with(
                    &api,
                    "ada",
                    PASSWORD,
                    Some(SecondFactor::BackupCode(shared)),
                )
                .await
            })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let status = api.second_factor_status(&ada.token).await.unwrap();
    assert_eq!(status.backup_codes_left, 9);
}

pub async fn a_locked_account_refuses_even_a_right_password_and_code(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(3));
    let ada = sign_up(&api, "ada").await;
    let secret = enable_totp(&api, &clock, &ada.token).await;
    let wrong = sign_in_with(&api, "ada", "wrong password!", None)
        .await
        .unwrap_err();
    for _ in 0..2 {
        sign_in_with(&api, "ada", "wrong password!", None)
            .await
            .unwrap_err();
    }
    let with_code = sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::Totp(code(&secret, &clock, 0))),
    )
    .await
    .unwrap_err();
    assert_eq!(with_code, wrong);
    // Nor does it reveal that the password was right by asking for a code.
    let without_code = sign_in_with(&api, "ada", PASSWORD, None).await.unwrap_err();
    assert_eq!(without_code, wrong);
    assert_eq!(api_invalid_credentials(&api).await, wrong);
    // Locking revoked the open session.
    assert_eq!(
        api.identity_for(&ada.token).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );
}

pub async fn wrong_codes_count_towards_the_lock(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(3));
    let ada = sign_up(&api, "ada").await;
    let secret = enable_totp(&api, &clock, &ada.token).await;
    for _ in 0..3 {
        let err = sign_in_with(
            &api,
            "ada",
            PASSWORD,
            Some(SecondFactor::Totp(code(&secret, &clock, 5))),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentials);
    }
    let locked = sign_in_with(
        &api,
        "ada",
        PASSWORD,
        Some(SecondFactor::Totp(code(&secret, &clock, 0))),
    )
    .await
    .unwrap_err();
    assert_eq!(locked, api_invalid_credentials(&api).await);
}

pub async fn password_change_revokes_other_sessions(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    let api = api(store.clone(), clock, lockout(10));
    let ada = sign_up(&api, "ada").await;
    let other = sign_in_with(&api, "ada", PASSWORD, None).await.unwrap();
    let new_password = "a much longer new passphrase";
    let change = |current: &str, new: &str| ChangePasswordRequest {
        current_password: current.to_owned(),
        new_password: new.to_owned(),
    };

    let err = api
        .change_password(&ada.token, change("not it at all", new_password))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidCredentials, Some("currentPassword"))
    );
    let err = api
        .change_password(&ada.token, change(PASSWORD, "short"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("newPassword"))
    );
    let revoked = api
        .change_password(&ada.token, change(PASSWORD, new_password))
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    // The session that made the change stays; the other one is gone.
    api.identity_for(&ada.token).await.unwrap();
    assert_eq!(
        api.identity_for(&other.token).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );
    assert_eq!(
        sign_in_with(&api, "ada", PASSWORD, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidCredentials
    );
    sign_in_with(&api, "ada", new_password, None).await.unwrap();

    let stored = store.credentials_of(identity_of(&ada)).await.unwrap();
    let phc = stored.password_hash.as_str();
    assert!(phc.starts_with("$argon2id$"), "{phc}");
    let cost = stored.password_hash.params().unwrap();
    assert!(cost.at_least(&Argon2Cost::OWASP_MINIMUM), "{cost:?}");
    assert!(
        cost.memory_kib >= 19_456 && cost.iterations >= 2,
        "{cost:?}"
    );
    assert!(
        event_types(&api, &ada.token)
            .await
            .contains(&"password_changed".to_owned())
    );
}

pub async fn idle_sessions_end(store: Arc<dyn Store>) {
    let clock = ManualClock::new();
    // The tests' default policies carry the default 30-minute idle timeout.
    let api = api(store, clock.clone(), lockout(10));
    let ada = sign_up(&api, "ada").await;
    clock.advance(Duration::minutes(20));
    api.identity_for(&ada.token).await.unwrap();
    // 40 minutes after sign-in but 20 after last use: still signed in.
    clock.advance(Duration::minutes(20));
    api.identity_for(&ada.token).await.unwrap();
    clock.advance(Duration::minutes(31));
    assert_eq!(
        api.identity_for(&ada.token).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );
}

async fn session_id_of(api: &TestApi, token: &SessionToken) -> SessionId {
    let current = api
        .sessions(token, None)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.current)
        .unwrap();
    SessionId::from_uuid(current.id.parse().unwrap())
}

pub async fn users_list_and_revoke_only_their_own_sessions(store: Arc<dyn Store>) {
    let api = api(store, ManualClock::new(), lockout(10));
    let ada = sign_up(&api, "ada").await;
    let ada_cli = api
        .sign_in(sign_in_request("ada", PASSWORD), SessionKind::Cli)
        .await
        .unwrap();
    let grace = sign_up(&api, "grace").await;

    let listed = api.sessions(&ada.token, None).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
    assert!(listed.iter().any(|s| s.kind == "cli" && !s.current));
    assert!(listed.iter().all(|s| s.device_info["os"].is_string()));

    let cli_session = session_id_of(&api, &ada_cli.token).await;
    let err = api
        .revoke_session(&grace.token, None, cli_session)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    api.identity_for(&ada_cli.token).await.unwrap();

    api.revoke_session(&ada.token, None, cli_session)
        .await
        .unwrap();
    assert_eq!(
        api.identity_for(&ada_cli.token).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );
    assert_eq!(api.sessions(&ada.token, None).await.unwrap().len(), 1);
    assert_eq!(
        api.revoke_session(&ada.token, None, cli_session)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    assert!(
        event_types(&api, &ada.token)
            .await
            .contains(&"session_revoked".to_owned())
    );
}

/// An administrator lists anyone's sessions and ends one: recorded as `admin_revoked` with
/// the administrator as actor, and the owner is told. Others may do neither.
pub async fn admins_list_and_revoke_anyones_sessions(store: Arc<dyn Store>, make_admin: MakeAdmin) {
    let api = api(store, ManualClock::new(), lockout(10));
    let ada = sign_up(&api, "ada").await;
    let ada_cli = api
        .sign_in(sign_in_request("ada", PASSWORD), SessionKind::Cli)
        .await
        .unwrap();
    let grace = sign_up(&api, "grace").await;
    let ada_id = identity_of(&ada);
    let cli_session = session_id_of(&api, &ada_cli.token).await;

    assert_eq!(
        api.sessions(&grace.token, Some(ada_id))
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        api.revoke_session(&grace.token, Some(ada_id), cli_session)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    make_admin("grace").await;
    let listed = api.sessions(&grace.token, Some(ada_id)).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| !s.current), "none is the admin's own");

    // Not one of ada's sessions: answered like an unknown one, and nothing ends.
    let grace_session = session_id_of(&api, &grace.token).await;
    let err = api
        .revoke_session(&grace.token, Some(ada_id), grace_session)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    api.identity_for(&grace.token).await.unwrap();

    api.revoke_session(&grace.token, Some(ada_id), cli_session)
        .await
        .unwrap();
    assert_eq!(
        api.identity_for(&ada_cli.token).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );
    api.identity_for(&ada.token).await.unwrap();
    let revoked = api
        .security_events(&grace.token, Some(ada_id), 100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "session_revoked")
        .unwrap();
    assert_eq!(revoked.detail["reason"], "admin_revoked");
    assert_eq!(
        revoked.actor_id.as_deref(),
        Some(identity_of(&grace).to_string().as_str())
    );
    let notices = api
        .notifications(
            &ada.token,
            multipass_api::NotificationListRequest::default(),
        )
        .await
        .unwrap();
    assert!(
        notices
            .notifications
            .iter()
            .any(|n| n.title.contains("administrator signed out")),
        "{notices:?}"
    );
}

pub async fn admins_unlock_and_read_anyones_events(store: Arc<dyn Store>, make_admin: MakeAdmin) {
    let api = api(store, ManualClock::new(), lockout(3));
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let ada_id = identity_of(&ada);
    for _ in 0..3 {
        sign_in_with(&api, "ada", "wrong password!", None)
            .await
            .unwrap_err();
    }
    sign_in_with(&api, "ada", PASSWORD, None).await.unwrap_err();

    let err = api.unlock(&grace.token, ada_id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let err = api
        .security_events(&grace.token, Some(ada_id), 10)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    make_admin("grace").await;
    api.unlock(&grace.token, ada_id).await.unwrap();
    assert_eq!(
        api.unlock(&grace.token, ada_id).await.unwrap_err().code,
        ErrorCode::InvalidState
    );
    let back = sign_in_with(&api, "ada", PASSWORD, None).await.unwrap();

    let events = api
        .security_events(&grace.token, Some(ada_id), 100)
        .await
        .unwrap();
    let unlocked = events
        .iter()
        .find(|e| e.event_type == "account_unlocked")
        .unwrap();
    assert_eq!(
        unlocked.actor_id.as_deref(),
        Some(grace.signed_in.identity.id.as_str())
    );
    let own = event_types(&api, &back.token).await;
    for expected in [
        "sign_in_failed",
        "account_locked",
        "account_unlocked",
        "sign_in",
    ] {
        assert!(own.contains(&expected.to_owned()), "{expected}: {own:?}");
    }
    assert_eq!(
        api.security_events(&back.token, None, 0)
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("limit")
    );
}

pub async fn require_2fa_needs_totp_and_admins_can_set_it(
    store: Arc<dyn Store>,
    make_admin: MakeAdmin,
) {
    let clock = ManualClock::new();
    let api = api(store, clock.clone(), lockout(10));
    let ada = sign_up(&api, "ada").await;
    let grace = sign_up(&api, "grace").await;
    let ada_id = identity_of(&ada);

    let err = api
        .set_require_2fa(&ada.token, None, true)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    let secret = enable_totp(&api, &clock, &ada.token).await;
    assert!(
        api.set_require_2fa(&ada.token, None, true)
            .await
            .unwrap()
            .require_2fa
    );
    let err = api
        .totp_disable(&ada.token, AccountProof::Password(PASSWORD.into()))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);

    assert_eq!(
        api.set_require_2fa(&grace.token, Some(ada_id), false)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    make_admin("grace").await;
    let status = api
        .set_require_2fa(&grace.token, Some(ada_id), false)
        .await
        .unwrap();
    assert!(!status.require_2fa && status.totp_enabled);

    let err = api
        .totp_disable(&ada.token, AccountProof::Password("wrong password!".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
    let status = api
        .totp_disable(&ada.token, AccountProof::Totp(code(&secret, &clock, 0)))
        .await
        .unwrap();
    assert!(!status.totp_enabled && !status.totp_pending);
    let plain = sign_in_with(&api, "ada", PASSWORD, None).await.unwrap();
    assert_eq!(auth_method(&api, &plain).await, "password");
    let events = event_types(&api, &ada.token).await;
    for expected in ["second_factor_required_changed", "totp_disabled"] {
        assert!(events.contains(&expected.to_owned()), "{events:?}");
    }
}

/// The store's single-use guards on their own, without Argon2 spacing the attempts out:
/// many tasks race for one TOTP step and one backup code, and exactly one wins each.
pub async fn single_use_guards_hold_under_contention(store: Arc<dyn Store>) {
    use multipass_api::Clock;
    let clock = ManualClock::new();
    let api = api(store.clone(), clock.clone(), lockout(10));
    let ada = sign_up(&api, "ada").await;
    let credential = store.credentials_of(identity_of(&ada)).await.unwrap().id;
    let secret = TotpSecret::generate(&mut rand::rng()).to_base32();
    assert!(
        store
            .stage_totp_secret(credential, &secret, clock.now())
            .await
            .unwrap()
    );
    let step = totp::step_of(clock.now());
    let hashes: Vec<String> = (0..3).map(|i| format!("$argon2id$fake-{i}")).collect();
    store
        .replace_backup_codes(credential, &hashes, clock.now())
        .await
        .unwrap();

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            let secret = secret.clone();
            let now = clock.now();
            tokio::spawn(async move {
                let step_won = store
                    .accept_totp_step(credential, &secret, step, true, now)
                    .await
                    .unwrap();
                let code_left = store
                    .consume_backup_code(credential, "$argon2id$fake-1", now)
                    .await
                    .unwrap();
                (step_won, code_left)
            })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|(won, _)| *won).count(), 1);
    let consumed: Vec<usize> = results.iter().filter_map(|(_, left)| *left).collect();
    assert_eq!(consumed, vec![2]);
    let factors = store.second_factors(credential).await.unwrap();
    assert!(factors.totp_enabled);
    assert_eq!(factors.totp_last_step, Some(step));
    assert_eq!(
        factors.backup_code_hashes,
        vec!["$argon2id$fake-0".to_owned(), "$argon2id$fake-2".to_owned()]
    );
    // An earlier or equal step never goes through again; a later one does.
    for (offset, accepted) in [(0, false), (1, true), (1, false)] {
        assert_eq!(
            store
                .accept_totp_step(credential, &secret, step + offset, false, clock.now())
                .await
                .unwrap(),
            accepted,
            "step + {offset}"
        );
    }
}

/// A flood of sign-ins larger than the hashing slots and their waiting room: the surplus is
/// refused at once with `rate_limited`, every other attempt is answered as usual, and the
/// account still signs in once the flood is over.
pub async fn a_flood_of_sign_ins_is_refused_beyond_the_waiting_room(store: Arc<dyn Store>) {
    let generous = multipass_domain::throttle::ThrottleLimit {
        max_failures: 1000,
        window: Duration::minutes(15),
    };
    let policies = multipass_api::Policies {
        lockout: lockout(1000),
        hashing_waiting_room: multipass_api::HashingWaitingRoom(1),
        // Only the waiting room is under test here.
        throttle: multipass_domain::throttle::SignInThrottle {
            per_username: generous,
            per_source: generous,
        },
        ..multipass_api::Policies::default()
    };
    let api = TestApi::new(multipass_api::MultipassApi::new(
        store,
        policies,
        ManualClock::new(),
    ));
    sign_up(&api, "ada").await;
    let mut refused = 0;
    for err in wrong_passwords_at_once(&api, "ada", 40).await {
        match err.code {
            ErrorCode::RateLimited => refused += 1,
            ErrorCode::InvalidCredentials => {}
            other => panic!("unexpected answer {other:?}: {err:?}"),
        }
    }
    assert!(refused > 0, "no attempt was refused");
    assert!(refused < 40, "every attempt was refused");
    sign_in_with(&api, "ada", PASSWORD, None)
        .await
        .expect("signs in after the flood");
}

/// Failed sign-ins count per username, whether or not an account has the name, on top of
/// the account's lockout: at the limit even the right password is refused with
/// `rate_limited` and how long to wait, until the window has passed. The counts live in the
/// database, so they hold through the server as in process.
pub async fn failed_sign_ins_are_limited_per_username(store: Arc<dyn Store>) {
    use multipass_domain::throttle::{SignInThrottle, ThrottleLimit};
    let limit = ThrottleLimit {
        max_failures: 3,
        window: Duration::minutes(15),
    };
    let clock = ManualClock::new();
    let policies = multipass_api::Policies {
        lockout: lockout(1000),
        // Through the server every attempt comes from loopback: the address's own limit
        // is tested with the server.
        throttle: SignInThrottle {
            per_username: limit,
            ..SignInThrottle::default()
        },
        ..multipass_api::Policies::default()
    };
    let api = TestApi::new(multipass_api::MultipassApi::new(
        store,
        policies,
        clock.clone(),
    ));
    sign_up(&api, "ada").await;
    for name in ["ada", "nobody"] {
        for _ in 0..3 {
            let err = sign_in_with(&api, name, "wrong password!", None)
                .await
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidCredentials, "{err:?}");
        }
    }
    clock.advance(Duration::minutes(5));
    for name in ["ada", "nobody", " ADA "] {
        let err = sign_in_with(&api, name, PASSWORD, None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited, "{name}: {err:?}");
        assert_eq!(err.retry_after_seconds, Some(600), "{err:?}");
        assert!(err.message.contains("10 minutes"), "{}", err.message);
    }
    // Another name is not affected; after the window Ada signs in again.
    sign_up(&api, "grace").await;
    sign_in_with(&api, "grace", PASSWORD, None).await.unwrap();
    clock.advance(Duration::minutes(10));
    sign_in_with(&api, "ada", PASSWORD, None).await.unwrap();
    // A new window starts with the next failure: two more are still allowed.
    for _ in 0..2 {
        let err = sign_in_with(&api, "ada", "wrong password!", None)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentials);
    }
    sign_in_with(&api, "ada", PASSWORD, None).await.unwrap();
    // Counts whose window has ended go with the next failure, so names tried once each do
    // not pile up: nobody's window ended when Ada's did, and Ada's failures since removed
    // it; Ada's running window stays.
    let nobody = multipass_domain::throttle::ThrottleKey::username("nobody").stored();
    let ada = multipass_domain::throttle::ThrottleKey::username("ada").stored();
    let kept: Vec<String> = api
        .store()
        .sign_in_failures(&[nobody, ada.clone()])
        .await
        .unwrap()
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(kept, [ada]);
}
