//! Many desktops on one server: simulated desktops, each with its own session, wallet key
//! and kept-alive HTTPS connection, against a real `multipass-server` process on loopback
//! over a throwaway database, for a fixed time. Each desktop waits a random 0.5 to 1.5 s
//! between requests, as a person at a desktop does, and then reads (70 %: balances, history,
//! wallets, unread notifications), sends a signed transfer (20 %) or places a signed order
//! (10 %). What counts: errors (none allowed), latency per operation (no sign-ins, so no
//! password hashing), and the server process's peak memory.

use crate::stats::Summary;
use anyhow::{Context as _, Result, anyhow, bail};
use futures::StreamExt as _;
use multipass_api::config::ServerEndpoint;
use multipass_api::dto::SignUpRequest;
use multipass_api::market::{CreateAssetRequest, IssueRequest, PlaceOrderRequest};
use multipass_api::signer::WalletKeys;
use multipass_api::vault::{SecretVault, VaultError};
use multipass_api::wallet::{CreateWalletRequest, DepositRequest, HistoryRequest, TransferRequest};
use multipass_api::{MultipassApi, Operations, Policies, SessionKind, SystemClock};
use multipass_domain::SessionToken;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

pub const DEFAULT_DESKTOPS: usize = 500;
pub const DEFAULT_SECONDS: u32 = 60;
pub const GOAL_P99_MS: f64 = 100.0;
pub const GOAL_SERVER_MIB: f64 = 200.0;
const SYMBOL: &str = "MIX";
const MID_PRICE: i64 = 1_000;

#[derive(Debug, Clone)]
pub struct Config {
    pub desktops: usize,
    pub seconds: u32,
}

#[derive(Debug, Serialize)]
pub struct OperationStats {
    pub operation: &'static str,
    pub requests: usize,
    pub errors: usize,
    pub latency_ms: Option<Summary>,
    pub p99_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct MixedReport {
    pub desktops: usize,
    pub seconds: u32,
    pub operations: Vec<OperationStats>,
    pub requests: usize,
    pub errors: usize,
    /// The first few errors, for finding their cause.
    pub error_samples: Vec<String>,
    pub p99_ms: Option<f64>,
    /// The server process's peak resident memory (VmHWM).
    pub server_peak_mib: Option<f64>,
    pub goal_met: bool,
}

/// The simulated desktops keep their wallet keys in memory: a keyring holding hundreds of
/// bench keys would measure the keyring, which is not what is measured here.
#[derive(Debug, Default)]
struct MemoryVault(Mutex<HashMap<String, Vec<u8>>>);

impl SecretVault for MemoryVault {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.0
            .lock()
            .map_err(|_| vault_error("write", name))?
            .insert(name.to_owned(), secret.to_vec());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, VaultError> {
        Ok(self
            .0
            .lock()
            .map_err(|_| vault_error("read", name))?
            .get(name)
            .cloned()
            .map(zeroize::Zeroizing::new))
    }

    fn delete(&self, name: &str) -> Result<(), VaultError> {
        self.0
            .lock()
            .map_err(|_| vault_error("delete", name))?
            .remove(name);
        Ok(())
    }
}

fn vault_error(action: &'static str, name: &str) -> VaultError {
    VaultError {
        action,
        name: name.to_owned(),
        detail: "a thread panicked while holding the bench's key map".into(),
        sealed: false,
    }
}

struct Desktop {
    token: SessionToken,
    wallet: String,
    ops: Arc<dyn Operations>,
}

/// One request's outcome.
struct Sample {
    operation: &'static str,
    elapsed: Duration,
    error: Option<String>,
}

pub fn run(runtime: &Runtime, admin_url: &str, config: &Config) -> Result<MixedReport> {
    crate::pg::with_throwaway_database(runtime, admin_url, "mixed", |admin_options, db| {
        let pool = runtime.block_on(crate::pg::migrated_pool(
            multipass_store_postgres::pool_options().max_connections(8),
            admin_options,
            db,
        ))?;
        let mut url = url::Url::parse(admin_url).context("the PostgreSQL URL is not valid")?;
        url.set_path(db);
        let outcome = measure(runtime, &pool, url.as_str(), config);
        runtime.block_on(pool.close());
        outcome
    })
}

fn measure(
    runtime: &Runtime,
    pool: &sqlx::PgPool,
    database_url: &str,
    config: &Config,
) -> Result<MixedReport> {
    let files = tempfile::tempdir().context("no temporary folder")?;
    let pki = multipass_server::loopback_pki().map_err(|e| anyhow!(e))?;
    let write = |name: &str, text: &str| -> Result<std::path::PathBuf> {
        let path = files.path().join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {name}"))?;
        Ok(path)
    };
    let ca = write("ca.pem", &pki.ca_pem)?;
    let cert = write("cert.pem", &pki.server_cert_pem)?;
    let key = write("key.pem", &pki.server_key_pem)?;
    let secrets_key: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let secrets = write("secrets.key", &secrets_key)?;
    let port = free_port()?;
    let mut server = ServerProcess::start(&[
        ("DATABASE_URL", database_url),
        ("DATABASE_MAX_CONNECTIONS", "20"),
        ("MULTIPASS_LISTEN", &format!("127.0.0.1:{port}")),
        ("MULTIPASS_TLS_CERT", path_text(&cert)?),
        ("MULTIPASS_TLS_KEY", path_text(&key)?),
        ("MULTIPASS_SECRETS_KEY_FILE", path_text(&secrets)?),
        ("MULTIPASS_LOG", "warn"),
        ("XDG_CONFIG_HOME", path_text(files.path())?),
    ])?;
    let endpoint = ServerEndpoint {
        url: format!("https://127.0.0.1:{port}").parse()?,
        ca_file: Some(ca),
    };
    let _entered = runtime.enter();
    runtime.block_on(server.wait_until_serving(&endpoint))?;
    eprintln!("mixed: setting up {} desktops", config.desktops);
    let keys = WalletKeys::new(Arc::new(MemoryVault::default()));
    let desktops = runtime.block_on(set_up(pool, &keys, &endpoint, config.desktops))?;
    eprintln!(
        "mixed: {} desktops for {} s",
        config.desktops, config.seconds
    );
    let samples = runtime.block_on(drive(&desktops, &keys, config.seconds));
    let server_peak_mib = server.peak_mib();
    server.stop();
    Ok(report(config, samples, server_peak_mib))
}

fn path_text(path: &std::path::Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8", path.display()))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

/// The `multipass-server` built beside this benchmark, run as a deployment runs it.
struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    fn start(env: &[(&str, &str)]) -> Result<Self> {
        let exe = std::env::current_exe().context("cannot find where multipass-bench is")?;
        let binary = exe
            .parent()
            .map(|dir| dir.join("multipass-server"))
            .filter(|path| path.is_file())
            .ok_or_else(|| {
                anyhow!(
                    "multipass-server is missing beside this benchmark; build both with \
                     `cargo build --release -p multipass-bench -p multipass-server`"
                )
            })?;
        let mut command = Command::new(binary);
        for name in [
            "DATABASE_URL",
            "DATABASE_HOST",
            "DATABASE_PASSWORD",
            "MULTIPASS_CONFIG",
        ] {
            command.env_remove(name);
        }
        let child = command
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start multipass-server")?;
        Ok(Self { child })
    }

    async fn wait_until_serving(&mut self, endpoint: &ServerEndpoint) -> Result<()> {
        let client = multipass_client::connect_dyn(endpoint).map_err(|e| anyhow!("{e}"))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("multipass-server stopped at start ({status})");
            }
            if client.sso_jwks().await.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("multipass-server did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// VmHWM: the most resident memory the process has had.
    fn peak_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }

    fn stop(&mut self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32);
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn set_up(
    pool: &sqlx::PgPool,
    keys: &WalletKeys,
    endpoint: &ServerEndpoint,
    count: usize,
) -> Result<Vec<Desktop>> {
    // The set-up goes straight to the database; only the measured requests go through
    // the server.
    let store = Arc::new(multipass_store_postgres::PgStore::from_migrated_pool(
        pool.clone(),
    ));
    let api = MultipassApi::new(store, Policies::default(), Arc::new(SystemClock))
        .with_vault(Arc::new(MemoryVault::default()));
    let admin = sign_up(&api, "mixed.admin").await?;
    sqlx::query(
        "UPDATE identity_profiles SET role = 'admin' WHERE email = 'mixed.admin@example.com'",
    )
    .execute(pool)
    .await
    .context("cannot make the bench administrator")?;
    api.create_asset(
        &admin,
        CreateAssetRequest {
            symbol: SYMBOL.into(),
            name: "Mixed-load shares".into(),
            asset_type: "equity_token".into(),
            total_supply: 1_000_000_000_000,
        },
    )
    .await
    .map_err(|e| anyhow!("cannot create the asset: {e}"))?;
    let made: Vec<Result<Desktop>> = futures::stream::iter(0..count)
        .map(|i| {
            let (api, admin) = (&api, &admin);
            async move {
                let token = sign_up(api, &format!("mixed.desktop{i}")).await?;
                let wallet = keys
                    .create_wallet(
                        api,
                        &token,
                        CreateWalletRequest {
                            name: "Mixed".into(),
                            labels: Vec::new(),
                        },
                    )
                    .await
                    .map_err(|e| anyhow!("cannot create a wallet: {e}"))?
                    .id;
                api.deposit(
                    admin,
                    DepositRequest {
                        wallet_id: wallet.clone(),
                        asset: None,
                        amount: 1_000_000_000,
                        memo: None,
                    },
                )
                .await
                .map_err(|e| anyhow!("cannot fund a wallet: {e}"))?;
                api.issue_asset(
                    admin,
                    IssueRequest {
                        symbol: SYMBOL.into(),
                        wallet_id: wallet.clone(),
                        quantity: 1_000_000,
                    },
                )
                .await
                .map_err(|e| anyhow!("cannot issue the asset: {e}"))?;
                let ops = multipass_client::connect_dyn(endpoint).map_err(|e| anyhow!("{e}"))?;
                Ok(Desktop { token, wallet, ops })
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    made.into_iter().collect()
}

async fn sign_up(api: &MultipassApi, username: &str) -> Result<SessionToken> {
    Ok(api
        .sign_up(
            SignUpRequest {
                full_name: "Mixed Desktop".into(),
                email: format!("{username}@example.com"),
                username: username.into(),
                password: "correct horse battery staple".into(),
            },
            SessionKind::Desktop,
        )
        .await
        .map_err(|e| anyhow!("sign-up of {username} failed: {e}"))?
        .token)
}

async fn drive(desktops: &[Desktop], keys: &WalletKeys, seconds: u32) -> Vec<Sample> {
    let wallets: Arc<Vec<String>> = Arc::new(desktops.iter().map(|d| d.wallet.clone()).collect());
    // Every desktop opens its connection first, so the measured time has no handshakes.
    futures::future::join_all(desktops.iter().map(|d| d.ops.fee_schedule(&d.token))).await;
    let end = Instant::now() + Duration::from_secs(u64::from(seconds));
    let runs = desktops.iter().enumerate().map(|(i, desktop)| {
        let wallets = wallets.clone();
        async move {
            let mut rng = StdRng::seed_from_u64(i as u64);
            let mut samples = Vec::new();
            let mut sent = 0u64;
            loop {
                let pause = Duration::from_millis(rng.random_range(500..1500));
                if Instant::now() + pause >= end {
                    break;
                }
                tokio::time::sleep(pause).await;
                let roll = rng.random_range(0..100);
                let started = Instant::now();
                let (operation, outcome) = if roll < 70 {
                    read(desktop, roll % 4).await
                } else if roll < 90 {
                    sent += 1;
                    let to =
                        &wallets[(i + 1 + rng.random_range(0..wallets.len() - 1)) % wallets.len()];
                    let key = format!("mixed-{i}-{sent}");
                    transfer(desktop, keys, to, &key, &mut rng).await
                } else {
                    place_order(desktop, keys, &mut rng).await
                };
                samples.push(Sample {
                    operation,
                    elapsed: started.elapsed(),
                    error: outcome.err().map(|e| format!("{operation}: {e:?}")),
                });
            }
            samples
        }
    });
    futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// A signed transfer of a small amount to `to`.
async fn transfer(
    desktop: &Desktop,
    keys: &WalletKeys,
    to: &str,
    idempotency_key: &str,
    rng: &mut StdRng,
) -> (&'static str, Result<(), multipass_api::ApiError>) {
    let outcome = keys
        .transfer(
            desktop.ops.as_ref(),
            &desktop.token,
            TransferRequest {
                from_wallet_id: desktop.wallet.clone(),
                to_wallet_id: to.to_owned(),
                asset: None,
                amount: rng.random_range(1..=100),
                idempotency_key: idempotency_key.to_owned(),
            },
        )
        .await
        .map(drop);
    ("transfer", outcome)
}

/// A signed limit order near the one price, on either side.
async fn place_order(
    desktop: &Desktop,
    keys: &WalletKeys,
    rng: &mut StdRng,
) -> (&'static str, Result<(), multipass_api::ApiError>) {
    let buy = rng.random_bool(0.5);
    let outcome = keys
        .place_order(
            desktop.ops.as_ref(),
            &desktop.token,
            PlaceOrderRequest {
                wallet_id: desktop.wallet.clone(),
                symbol: SYMBOL.into(),
                side: if buy { "buy" } else { "sell" }.into(),
                price: MID_PRICE + rng.random_range(-5..=5),
                quantity: rng.random_range(1..=10),
            },
        )
        .await
        .map(drop);
    ("place_order", outcome)
}

async fn read(
    desktop: &Desktop,
    which: u32,
) -> (&'static str, Result<(), multipass_api::ApiError>) {
    let (ops, token, wallet) = (desktop.ops.as_ref(), &desktop.token, &desktop.wallet);
    match which {
        0 => ("balances", ops.balances(token, wallet).await.map(drop)),
        1 => (
            "history",
            ops.history(
                token,
                HistoryRequest {
                    wallet_id: wallet.clone(),
                    ..HistoryRequest::default()
                },
            )
            .await
            .map(drop),
        ),
        2 => (
            "list_wallets",
            ops.list_wallets(token, None).await.map(drop),
        ),
        _ => (
            "unread_notification_count",
            ops.unread_notification_count(token).await.map(drop),
        ),
    }
}

/// The 99th percentile, nearest rank.
fn p99(sorted_ms: &[f64]) -> Option<f64> {
    let rank = ((sorted_ms.len() as f64) * 0.99).ceil() as usize;
    sorted_ms.get(rank.checked_sub(1)?).copied()
}

fn report(config: &Config, samples: Vec<Sample>, server_peak_mib: Option<f64>) -> MixedReport {
    let ms = |s: &Sample| s.elapsed.as_secs_f64() * 1000.0;
    let mut operations = Vec::new();
    for operation in [
        "balances",
        "history",
        "list_wallets",
        "unread_notification_count",
        "transfer",
        "place_order",
    ] {
        let of: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.operation == operation)
            .collect();
        let mut latencies: Vec<f64> = of.iter().map(|s| ms(s)).collect();
        latencies.sort_by(f64::total_cmp);
        operations.push(OperationStats {
            operation,
            requests: of.len(),
            errors: of.iter().filter(|s| s.error.is_some()).count(),
            latency_ms: Summary::of(&latencies),
            p99_ms: p99(&latencies),
        });
    }
    let mut all: Vec<f64> = samples.iter().map(ms).collect();
    all.sort_by(f64::total_cmp);
    let errors = samples.iter().filter(|s| s.error.is_some()).count();
    let p99_ms = p99(&all);
    let goal_met = errors == 0
        && !samples.is_empty()
        && p99_ms.is_some_and(|p| p < GOAL_P99_MS)
        && server_peak_mib.is_some_and(|m| m < GOAL_SERVER_MIB);
    MixedReport {
        desktops: config.desktops,
        seconds: config.seconds,
        operations,
        requests: samples.len(),
        errors,
        error_samples: samples
            .iter()
            .filter_map(|s| s.error.clone())
            .take(5)
            .collect(),
        p99_ms,
        server_peak_mib,
        goal_met,
    }
}

pub fn render(out: &mut String, report: &MixedReport) {
    let verdict = if report.goal_met { "PASS" } else { "FAIL" };
    out.push_str(&format!(
        "\nMixed load: {} desktops on one multipass-server over HTTPS on loopback, {} s, \
         each pausing 0.5-1.5 s between requests (70 % reads, 20 % transfers, 10 % orders)\n",
        report.desktops, report.seconds
    ));
    for op in &report.operations {
        out.push_str(&format!(
            "  {:<26} {:>6} requests, {} errors, median {} ms, p99 {} ms, max {} ms\n",
            op.operation,
            op.requests,
            op.errors,
            op.latency_ms
                .as_ref()
                .map_or("n/a".to_owned(), |l| format!("{:.1}", l.median)),
            op.p99_ms.map_or("n/a".to_owned(), |p| format!("{p:.1}")),
            op.latency_ms
                .as_ref()
                .map_or("n/a".to_owned(), |l| format!("{:.1}", l.max)),
        ));
    }
    out.push_str(&format!(
        "  all: {} requests, {} errors, p99 {} ms (goal < {GOAL_P99_MS}), server peak memory {} MiB (goal < {GOAL_SERVER_MIB}) {verdict}\n",
        report.requests,
        report.errors,
        report.p99_ms.map_or("n/a".to_owned(), |p| format!("{p:.1}")),
        report
            .server_peak_mib
            .map_or("n/a".to_owned(), |m| format!("{m:.0}")),
    ));
    for sample in &report.error_samples {
        out.push_str(&format!("  error: {sample}\n"));
    }
}
