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
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Executor as _};
use std::str::FromStr as _;
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

#[derive(Debug, Serialize)]
pub struct SignInReport {
    pub backend: &'static str,
    pub sign_in_ms: Summary,
    pub bare_verify_ms: Summary,
    pub ratio_of_medians: Option<f64>,
    pub unknown_username_ms: Summary,
    pub wrong_password_ms: Summary,
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
    let admin_options =
        PgConnectOptions::from_str(admin_url).context("the PostgreSQL URL is not valid")?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    // Only digits and underscores, so it is safe to splice into the statements below.
    let database = format!("multipass_bench_{}_{stamp}", std::process::id());
    runtime
        .block_on(admin(&admin_options, format!("CREATE DATABASE \"{database}\"")))
        .context("cannot create a throwaway database (the role in --pg-url / DATABASE_URL needs CREATEDB)")?;

    let report = runtime
        .block_on(async {
            let options = admin_options
                .clone()
                .database(&database)
                .application_name("multipass-bench");
            let pool = PgPoolOptions::new()
                .max_connections(multipass_api::config::DEFAULT_MAX_CONNECTIONS)
                .connect_with(options)
                .await
                .context("cannot connect to the throwaway database")?;
            multipass_store_postgres::migrator()
                .run(&pool)
                .await
                .context("cannot migrate the throwaway database")?;
            anyhow::Ok(pool)
        })
        .and_then(|pool| {
            let store = Arc::new(multipass_store_postgres::PgStore::from_migrated_pool(
                pool.clone(),
            ));
            let report = measure(runtime, store, "postgres", runs);
            // Open connections would keep the database busy; close them before the drop.
            runtime.block_on(pool.close());
            report
        });

    let dropped = runtime
        .block_on(admin(
            &admin_options,
            format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
        ))
        .with_context(|| format!("cannot drop the throwaway database {database}; drop it by hand"));
    let report = report?;
    dropped?;
    Ok(report)
}

async fn admin(options: &PgConnectOptions, statement: String) -> Result<()> {
    let mut conn = options
        .connect()
        .await
        .context("cannot connect to PostgreSQL")?;
    conn.execute(AssertSqlSafe(statement)).await?;
    conn.close().await?;
    Ok(())
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
        let start = Instant::now();
        let outcome = runtime.block_on(api.sign_in(request, SessionKind::Desktop));
        (ms(start.elapsed()), outcome)
    };
    let bare = || {
        let start = Instant::now();
        let ok = hasher.verify(&password, Some(&stored));
        (ms(start.elapsed()), ok)
    };

    let mut success = Vec::with_capacity(runs);
    let mut verify = Vec::with_capacity(runs);
    let mut unknown = Vec::with_capacity(runs);
    let mut wrong = Vec::with_capacity(runs);
    for round in 0..WARM_UP_ROUNDS + runs {
        // One of each per round, in a fixed order, so drift (frequency scaling, a neighbour's
        // build) hits all four series alike. Each successful sign-in resets the failure count,
        // so the wrong password never reaches the lockout threshold.
        let (t_success, outcome) = sign_in(USERNAME, PASSWORD);
        outcome.map_err(|e| anyhow!("sign-in with the right password failed: {e}"))?;
        let (t_verify, ok) = bare();
        if !ok {
            bail!("the bare verification rejected the right password");
        }
        let (t_unknown, outcome) = sign_in(UNKNOWN_USERNAME, PASSWORD);
        expect_refused(outcome.map(|_| ()), "an unknown username")?;
        let (t_wrong, outcome) = sign_in(USERNAME, WRONG_PASSWORD);
        expect_refused(outcome.map(|_| ()), "a wrong password")?;
        if round >= WARM_UP_ROUNDS {
            success.push(t_success);
            verify.push(t_verify);
            unknown.push(t_unknown);
            wrong.push(t_wrong);
        }
    }

    let sign_in_ms = Summary::of(&success).context("no sign-in runs were recorded")?;
    let bare_verify_ms = Summary::of(&verify).context("no verification runs were recorded")?;
    Ok(SignInReport {
        backend,
        ratio_of_medians: ratio(sign_in_ms.median, bare_verify_ms.median),
        sign_in_ms,
        bare_verify_ms,
        unknown_username_ms: Summary::of(&unknown)
            .context("no unknown-username runs were recorded")?,
        wrong_password_ms: Summary::of(&wrong).context("no wrong-password runs were recorded")?,
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
