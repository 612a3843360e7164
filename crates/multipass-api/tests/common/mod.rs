//! Scenarios run against both stores: each takes a freshly migrated store.

#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use multipass_api::dto::{SignInRequest, SignUpRequest};
use multipass_api::{
    ApiError, Clock, ErrorCode, MultipassApi, Policies, SessionKind, SignInOutcome,
};
use multipass_domain::LockoutPolicy;
use multipass_store::Store;
use std::sync::{Arc, Mutex};

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Utc::now())))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

pub mod pgbouncer;
pub mod processes;
mod through_server;

pub use through_server::{AsOperations, TestApi};

pub fn api(store: Arc<dyn Store>, clock: Arc<ManualClock>, lockout: LockoutPolicy) -> TestApi {
    // Shows the logged details behind `internal` errors in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let policies = Policies {
        lockout,
        ..Policies::default()
    };
    TestApi::new(MultipassApi::new(store, policies, clock))
}

pub fn sign_up_request(name: &str) -> SignUpRequest {
    SignUpRequest {
        full_name: format!("{name} Lovelace"),
        email: format!("{name}@example.com"),
        username: name.to_owned(),
        password: PASSWORD.to_owned(),
    }
}

pub fn sign_in_request(username: &str, password: &str) -> SignInRequest {
    SignInRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    }
}

pub async fn sign_up(api: &impl AsOperations, name: &str) -> SignInOutcome {
    api.operations()
        .sign_up(sign_up_request(name), SessionKind::Desktop)
        .await
        .expect("sign-up")
}

pub async fn sign_up_sign_out_sign_in(store: Arc<dyn Store>) {
    let api = api(store, ManualClock::new(), LockoutPolicy::default());
    let first = sign_up(&api, "ada").await;
    assert_eq!(first.signed_in.identity.username, "ada");
    assert_eq!(first.signed_in.identity.email, "ada@example.com");
    assert_eq!(first.signed_in.identity.kyc_level, 0);
    assert_eq!(first.signed_in.identity.verification_status, "unverified");
    assert_eq!(
        api.identity_for(&first.token).await.unwrap().username,
        "ada"
    );

    api.sign_out(&first.token).await.unwrap();
    let err = api.identity_for(&first.token).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    // Signing out twice is harmless.
    api.sign_out(&first.token).await.unwrap();

    let second = api
        .sign_in(sign_in_request("ADA", PASSWORD), SessionKind::Desktop)
        .await
        .expect("sign-in is case-insensitive in the username");
    assert_ne!(second.token, first.token);
    assert_eq!(
        api.identity_for(&second.token).await.unwrap().id,
        first.signed_in.identity.id
    );
}

pub async fn duplicates_are_conflicts_naming_the_field(store: Arc<dyn Store>) {
    let api = api(store, ManualClock::new(), LockoutPolicy::default());
    sign_up(&api, "ada").await;
    let mut same_email = sign_up_request("grace");
    same_email.email = "ADA@Example.com".into();
    let err = api
        .sign_up(same_email, SessionKind::Desktop)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("email"))
    );

    let mut same_username = sign_up_request("grace");
    same_username.username = "Ada".into();
    let err = api
        .sign_up(same_username, SessionKind::Desktop)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("username"))
    );
    // The failed sign-up left no half-created identity behind.
    api.sign_up(sign_up_request("grace"), SessionKind::Desktop)
        .await
        .expect("grace signs up");
}

pub async fn invalid_input_names_the_field(store: Arc<dyn Store>) {
    let api = api(store, ManualClock::new(), LockoutPolicy::default());
    type Spoil = fn(&mut SignUpRequest);
    let cases: [(Spoil, &str); 4] = [
        (|r| r.full_name = "  ".into(), "fullName"),
        (|r| r.email = "not-an-email".into(), "email"),
        (|r| r.username = "a b".into(), "username"),
        (|r| r.password = "short".into(), "password"),
    ];
    for (spoil, field) in cases {
        let mut request = sign_up_request("ada");
        spoil(&mut request);
        let err = api
            .sign_up(request, SessionKind::Desktop)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
}

fn same_failure(a: &ApiError, b: &ApiError) {
    assert_eq!(a, b, "sign-in failures must be indistinguishable");
    assert_eq!(a.code, ErrorCode::InvalidCredentials);
}

pub async fn failures_are_indistinguishable_and_lock_the_account(
    store: Arc<dyn Store>,
) -> Arc<ManualClock> {
    let clock = ManualClock::new();
    let lockout = LockoutPolicy {
        max_failed_attempts: 3,
        unlock_after: Some(Duration::minutes(15)),
    };
    let api = api(store, clock.clone(), lockout);
    let session = sign_up(&api, "ada").await;

    let wrong = api
        .sign_in(
            sign_in_request("ada", "wrong password!"),
            SessionKind::Desktop,
        )
        .await
        .unwrap_err();
    let unknown = api
        .sign_in(sign_in_request("nobody", PASSWORD), SessionKind::Desktop)
        .await
        .unwrap_err();
    let malformed = api
        .sign_in(
            sign_in_request("no such name!", PASSWORD),
            SessionKind::Desktop,
        )
        .await
        .unwrap_err();
    same_failure(&wrong, &unknown);
    same_failure(&wrong, &malformed);

    for _ in 0..2 {
        api.sign_in(
            sign_in_request("ada", "wrong password!"),
            SessionKind::Desktop,
        )
        .await
        .unwrap_err();
    }
    // Three failures: locked. The right password now fails exactly like a wrong one...
    let locked = api
        .sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await
        .unwrap_err();
    same_failure(&wrong, &locked);
    // ...and locking revoked the sessions that were open.
    assert_eq!(
        api.identity_for(&session.token).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );

    clock.advance(Duration::minutes(14));
    api.sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await
        .unwrap_err();
    clock.advance(Duration::minutes(1));
    let unlocked = api
        .sign_in(sign_in_request("ada", PASSWORD), SessionKind::Desktop)
        .await;
    assert!(
        unlocked.is_ok(),
        "the lock lapses after 15 minutes: {:?}",
        unlocked.err()
    );
    clock
}

/// Parallel wrong passwords: every one is counted. Returns the username used.
pub async fn parallel_failures(store: Arc<dyn Store>, attempts: usize) -> TestApi {
    // The per-username limit would refuse attempts past 30; the lockout is under test.
    let generous = multipass_domain::throttle::ThrottleLimit {
        max_failures: 10_000,
        window: chrono::Duration::minutes(15),
    };
    let api = TestApi::new(MultipassApi::new(
        store,
        Policies {
            lockout: LockoutPolicy {
                max_failed_attempts: 5,
                unlock_after: None,
            },
            throttle: multipass_domain::throttle::SignInThrottle {
                per_username: generous,
                per_source: generous,
            },
            ..Policies::default()
        },
        ManualClock::new(),
    ));
    sign_up(&api, "ada").await;
    for err in wrong_passwords_at_once(&api, "ada", attempts).await {
        assert_eq!(err.code, ErrorCode::InvalidCredentials, "{err:?}");
    }
    api
}

/// `attempts` sign-ins of `username` with wrong passwords, all at once; their errors.
pub async fn wrong_passwords_at_once(
    api: &TestApi,
    username: &str,
    attempts: usize,
) -> Vec<ApiError> {
    let tasks: Vec<_> = (0..attempts)
        .map(|i| {
            let (api, username) = (api.clone(), username.to_owned());
            tokio::spawn(async move {
                api.sign_in(
                    sign_in_request(&username, &format!("wrong password {i}")),
                    SessionKind::Desktop,
                )
                .await
            })
        })
        .collect();
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|result| result.expect("task").unwrap_err())
        .collect()
}

/// An account whose hash was made with weaker Argon2 parameters gets a hash at the current
/// parameters after its next successful sign-in, and the old password keeps working.
pub async fn weak_hashes_are_upgraded_on_sign_in(store: Arc<dyn Store>) -> String {
    use multipass_domain::password::Argon2Cost;
    use multipass_domain::{
        CredentialId, Email, FullName, IdentityId, Password, PasswordHasher, Username,
    };
    use multipass_store::{NewCredentials, NewIdentity};

    let weak = PasswordHasher::with_cost(Argon2Cost {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let password = Password::for_sign_in(PASSWORD.into()).unwrap();
    let credential = CredentialId::new_random();
    store
        .create_identity(
            NewIdentity {
                id: IdentityId::new_random(),
                full_name: FullName::parse("Old Timer").unwrap(),
                email: Email::parse("old@example.com").unwrap(),
                created_at: Utc::now(),
            },
            NewCredentials {
                id: credential,
                username: Username::parse("old").unwrap(),
                password_hash: weak.hash(&password, &mut rand::rng()).unwrap(),
            },
        )
        .await
        .unwrap();
    let api = api(store.clone(), ManualClock::new(), LockoutPolicy::default());
    api.sign_in(sign_in_request("old", PASSWORD), SessionKind::Desktop)
        .await
        .expect("the weak hash still verifies");
    let record = store
        .credentials_by_username(&Username::parse("old").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!PasswordHasher::default().needs_rehash(&record.password_hash));
    api.sign_in(sign_in_request("old", PASSWORD), SessionKind::Desktop)
        .await
        .expect("the upgraded hash verifies");
    assert!(matches!(
        store
            .replace_password_hash(CredentialId::new_random(), "$argon2id$x")
            .await,
        Err(multipass_store::StoreError::NotFound)
    ));
    record.password_hash.as_str().to_owned()
}

/// The PostgreSQL store as the server runs it: on a database its owner migrated, over a
/// login that holds only the `multipass_runtime` role, so every scenario shows that the
/// runtime role's rights suffice.
pub async fn runtime_store(owner: &sqlx::PgPool) -> multipass_store_postgres::PgStore {
    let size = owner.options().get_max_connections();
    let pool = multipass_store_postgres::test_support::runtime_pool(owner, size)
        .await
        .unwrap();
    // The test harness drops the database once it has closed the owner's pool; a server
    // still holding this pool would keep it open until that gives up, so it closes too.
    let (closing, watched) = (owner.clone(), pool.clone());
    tokio::spawn(async move {
        closing.close_event().await;
        watched.close().await;
    });
    multipass_store_postgres::PgStore::from_migrated_pool(pool)
}
