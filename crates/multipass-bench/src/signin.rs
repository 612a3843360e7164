//! Sign-in latency through the application API against the bare Argon2id verification it
//! is built around, plus the two failure paths that must take as long as success.

use crate::start::ms;
use crate::stats::{Summary, ratio};
use anyhow::{Context as _, Result, anyhow, bail};
use multipass_api::dto::{SignInRequest, SignUpRequest};
use multipass_api::{
    DatabaseSettings, ErrorCode, MultipassApi, OpenMode, Policies, SessionKind, SystemClock,
    open_store,
};
use multipass_domain::{Password, PasswordHash, PasswordHasher, Username};
use multipass_store::Store;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Runtime;

const USERNAME: &str = "bench.user";
const PASSWORD: &str = "correct horse battery staple";
const WRONG_PASSWORD: &str = "correct horse battery stapler";
const UNKNOWN_USERNAME: &str = "nobody.here";
/// Unrecorded rounds first: the first sign-ins pay for the connection pool filling up,
/// SQLite's page cache and the blocking-thread pool starting.
const WARM_UP_ROUNDS: usize = 3;

/// One series: wall-clock time, and the CPU time the whole process spent meanwhile, which
/// tells work (hashing, page faults, SQL) apart from waiting (thread hand-offs on a busy
/// machine, I/O); and the minor page faults, which show whether Argon2's 19 MiB block
/// memory is reused or mapped afresh each time.
#[derive(Debug, Serialize)]
pub struct Series {
    pub wall_ms: Summary,
    pub cpu_ms: Summary,
    pub minor_faults: Summary,
}

#[derive(Debug, Serialize)]
pub struct SignInReport {
    pub backend: &'static str,
    pub sign_in: Series,
    pub bare_verify: Series,
    /// Of the wall-clock medians, sign-in over bare verification.
    pub ratio_of_medians: Option<f64>,
    pub unknown_username: Series,
    pub wrong_password: Series,
    /// The same verification, run the way the API runs it: on Tokio's blocking pool.
    pub verify_on_blocking_thread: Series,
    /// One store round trip: the credentials lookup every sign-in starts with.
    pub credentials_lookup: Series,
}

#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
    faults: Vec<f64>,
}

impl Samples {
    fn push(&mut self, cost: Cost) {
        self.wall.push(cost.wall_ms);
        self.cpu.push(cost.cpu_ms);
        self.faults.push(cost.minor_faults);
    }

    fn series(&self, what: &str) -> Result<Series> {
        Ok(Series {
            wall_ms: Summary::of(&self.wall)
                .with_context(|| format!("no {what} runs were recorded"))?,
            cpu_ms: Summary::of(&self.cpu)
                .with_context(|| format!("no {what} runs were recorded"))?,
            minor_faults: Summary::of(&self.faults)
                .with_context(|| format!("no {what} runs were recorded"))?,
        })
    }
}

fn process_cpu_ms() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    // Seconds of CPU time fit f64 exactly for any run this benchmark makes.
    #[allow(clippy::cast_precision_loss)]
    let ms = t.tv_sec as f64 * 1000.0 + t.tv_nsec as f64 / 1_000_000.0;
    ms
}

/// Wall-clock and process CPU milliseconds of one call.
/// The process's minor page faults so far (field 10 of `/proc/self/stat`), or zero if
/// unreadable: it is a diagnostic, not worth failing a run for.
fn minor_faults() -> f64 {
    let count = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|text| {
            let after_comm = text.get(text.rfind(')')? + 1..)?;
            after_comm.split_whitespace().nth(7)?.parse::<u32>().ok()
        })
        .unwrap_or_default();
    f64::from(count)
}

struct Cost {
    wall_ms: f64,
    cpu_ms: f64,
    minor_faults: f64,
}

/// What one call costs. The fault counter is read outside the timed span, since reading
/// it takes a file read.
fn timed<T>(f: impl FnOnce() -> T) -> (Cost, T) {
    let faults = minor_faults();
    let cpu = process_cpu_ms();
    let start = Instant::now();
    let value = f();
    let wall_ms = ms(start.elapsed());
    let cpu_ms = process_cpu_ms() - cpu;
    let cost = Cost {
        wall_ms,
        cpu_ms,
        minor_faults: minor_faults() - faults,
    };
    (cost, value)
}

pub fn run_sqlite(runtime: &Runtime, runs: usize) -> Result<SignInReport> {
    let dir = tempfile::Builder::new()
        .prefix("multipass-bench-signin-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let settings = DatabaseSettings::Embedded {
        path: dir.path().join("multipass.db"),
    };
    let store = runtime
        .block_on(open_store(&settings, OpenMode::Migrate))
        .context("cannot create the SQLite store")?;
    measure(runtime, store, "sqlite", runs)
}

/// Runs on a database created for the purpose and dropped afterwards, whatever happened.
pub fn run_postgres(runtime: &Runtime, admin_url: &str, runs: usize) -> Result<SignInReport> {
    crate::pg::with_throwaway_database(runtime, admin_url, "signin", |admin_options, database| {
        let pool = runtime.block_on(crate::pg::migrated_pool(
            PgPoolOptions::new().max_connections(multipass_api::config::DEFAULT_MAX_CONNECTIONS),
            admin_options,
            database,
        ))?;
        let store = Arc::new(multipass_store_postgres::PgStore::from_migrated_pool(
            pool.clone(),
        ));
        let report = measure(runtime, store, "postgres", runs);
        // Open connections would keep the database busy; close them before the drop.
        runtime.block_on(pool.close());
        report
    })
}

fn measure(
    runtime: &Runtime,
    store: Arc<dyn Store>,
    backend: &'static str,
    runs: usize,
) -> Result<SignInReport> {
    // The policies and clock a default configuration gives the app.
    let api = MultipassApi::new(store, Policies::default(), Arc::new(SystemClock));
    runtime
        .block_on(api.sign_up(
            SignUpRequest {
                full_name: "Bench User".into(),
                email: "bench.user@example.com".into(),
                username: USERNAME.into(),
                password: PASSWORD.into(),
            },
            SessionKind::Desktop,
        ))
        .map_err(|e| anyhow!("sign-up failed: {e}"))?;

    // The very hash sign-in checks against, read back from the store.
    let username = Username::parse(USERNAME).map_err(|e| anyhow!("{}", e.message))?;
    let stored: PasswordHash = runtime
        .block_on(api.store().credentials_by_username(&username))
        .context("cannot read the credentials back")?
        .context("the signed-up user is not in the store")?
        .password_hash;
    let hasher = PasswordHasher::default();
    let password = Password::for_sign_in(PASSWORD.into()).map_err(|e| anyhow!("{}", e.message))?;

    let sign_in = |username: &str, password: &str| {
        let request = SignInRequest {
            username: username.into(),
            password: password.into(),
        };
        timed(|| runtime.block_on(api.sign_in(request, SessionKind::Desktop)))
    };
    let bare = || timed(|| hasher.verify(&password, Some(&stored)));
    let on_blocking_thread = || {
        let (hasher, password, stored) = (hasher.clone(), password.clone(), stored.clone());
        // Spawned from inside a task, as the API does, not handed in from outside.
        timed(|| {
            runtime.block_on(async move {
                tokio::task::spawn_blocking(move || hasher.verify(&password, Some(&stored))).await
            })
        })
    };
    let lookup = || timed(|| runtime.block_on(api.store().credentials_by_username(&username)));

    let mut success = Samples::default();
    let mut verify = Samples::default();
    let mut verify_blocking = Samples::default();
    let mut unknown = Samples::default();
    let mut wrong = Samples::default();
    let mut lookups = Samples::default();
    for round in 0..WARM_UP_ROUNDS + runs {
        // One of each per round, in a fixed order, so drift (frequency scaling, a neighbour's
        // build) hits every series alike. Each successful sign-in resets the failure count,
        // so the wrong password never reaches the lockout threshold.
        let (t_success, outcome) = sign_in(USERNAME, PASSWORD);
        outcome.map_err(|e| anyhow!("sign-in with the right password failed: {e}"))?;
        let (t_verify, ok) = bare();
        if !ok {
            bail!("the bare verification rejected the right password");
        }
        let (t_verify_blocking, ok) = on_blocking_thread();
        if !ok.context("the verification task failed")? {
            bail!("the verification on the blocking pool rejected the right password");
        }
        let (t_unknown, outcome) = sign_in(UNKNOWN_USERNAME, PASSWORD);
        expect_refused(outcome.map(|_| ()), "an unknown username")?;
        let (t_wrong, outcome) = sign_in(USERNAME, WRONG_PASSWORD);
        expect_refused(outcome.map(|_| ()), "a wrong password")?;
        let (t_lookup, found) = lookup();
        found.context("the credentials lookup failed")?;
        if round >= WARM_UP_ROUNDS {
            success.push(t_success);
            verify.push(t_verify);
            verify_blocking.push(t_verify_blocking);
            unknown.push(t_unknown);
            wrong.push(t_wrong);
            lookups.push(t_lookup);
        }
    }

    let sign_in = success.series("sign-in")?;
    let bare_verify = verify.series("verification")?;
    Ok(SignInReport {
        backend,
        ratio_of_medians: ratio(sign_in.wall_ms.median, bare_verify.wall_ms.median),
        sign_in,
        bare_verify,
        unknown_username: unknown.series("unknown-username")?,
        wrong_password: wrong.series("wrong-password")?,
        verify_on_blocking_thread: verify_blocking.series("blocking-pool verification")?,
        credentials_lookup: lookups.series("credentials lookup")?,
    })
}

fn expect_refused(outcome: Result<(), multipass_api::ApiError>, what: &str) -> Result<()> {
    match outcome {
        Err(e) if e.code == ErrorCode::InvalidCredentials => Ok(()),
        Err(e) => bail!(
            "sign-in with {what} failed with {:?} instead of invalid credentials: {e}",
            e.code
        ),
        Ok(()) => bail!("sign-in with {what} succeeded"),
    }
}
