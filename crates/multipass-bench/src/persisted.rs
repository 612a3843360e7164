//! Persisted operations through the application API on PostgreSQL: limit orders placed
//! (and matched) per second, and signed internal transfers per second, with N concurrent
//! clients, each as a ratio to `pgbench -b tpcb-like` with as many clients, run between them.

mod breakdown;

use crate::pgbench::{PgbenchReport, Run, Yardstick};
use crate::stats::{Summary, paired_ratios};
use anyhow::{Context as _, Result, anyhow};
use multipass_api::dto::SignUpRequest;
use multipass_api::market::{CreateAssetRequest, IssueRequest, PlaceOrderRequest};
use multipass_api::signer::WalletKeys;
use multipass_api::vault::{KeyringVault, SecretVault as _};
use multipass_api::wallet::{CreateWalletRequest, DepositRequest, TransferRequest};
use multipass_api::{MultipassApi, Operations, Policies, SessionKind, SystemClock};
use multipass_domain::SessionToken;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Assets are `BENCH0`, `BENCH1`, ...: one per client, for the runs that spread the orders.
const SYMBOL: &str = "BENCH";
const PASSWORD: &str = "correct horse battery staple";
/// Enough quote currency and asset that no client runs short in any run.
const FUNDING: i64 = 1_000_000_000_000;
const ISSUED: i64 = 1_000_000_000;
const MID_PRICE: i64 = 1_000;

#[derive(Debug, Clone)]
pub struct Config {
    pub clients: Vec<u16>,
    pub seconds: u32,
    pub runs: usize,
    /// Operations of each kind traced one after another for the time and statement breakdown
    /// (none: no breakdown).
    pub breakdown: u64,
    /// The pool has this many connections for each client.
    pub connections_per_client: u32,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub clients: u16,
    /// Assets the clients' orders are spread over: 1, or one per client.
    pub assets: usize,
    pub ops_per_sec: Summary,
    /// Each run's ops/s over the tps of the pgbench run with as many clients just before it,
    /// in the order of the runs.
    pub ratios_to_pgbench: Vec<f64>,
    /// The median of `ratios_to_pgbench`: the figure held against the goal.
    pub ratio_to_pgbench: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct PersistedReport {
    pub seconds: u32,
    pub connections_per_client: u32,
    pub orders: Vec<Series>,
    pub transfers: Vec<Series>,
    /// Of all placements measured, the share that traded at least once.
    pub orders_with_fills: f64,
    pub pgbench: PgbenchReport,
    pub breakdown: Vec<breakdown::Breakdown>,
}

/// One trader: a signed-in session and a wallet holding quote currency and the asset.
#[derive(Clone)]
struct Client {
    token: SessionToken,
    wallet: String,
}

pub(crate) struct Setup {
    pub(crate) api: MultipassApi,
    /// What the measured operations go through: `api` itself, or a client of a server over it.
    ops: Arc<dyn Operations>,
    /// One asset per client; every trader holds all of them.
    symbols: Vec<String>,
    /// Two per client: the traders placing orders in turn; the first also sends transfers.
    clients: Vec<Client>,
    /// Where transfers go, in turn.
    recipients: Vec<String>,
    wallets_with_keys: Vec<String>,
    vault: KeyringVault,
    /// The simulated desktops' wallet keys: they sign every transfer and order.
    keys: WalletKeys,
}

impl Setup {
    /// The same traders and wallets, their operations sent through `ops`.
    pub(crate) fn through(&self, ops: Arc<dyn Operations>) -> Self {
        Self {
            api: self.api.clone(),
            ops,
            symbols: self.symbols.clone(),
            clients: self.clients.clone(),
            recipients: self.recipients.clone(),
            wallets_with_keys: self.wallets_with_keys.clone(),
            vault: self.vault.clone(),
            keys: self.keys.clone(),
        }
    }

    /// Removes the keys the set-up put in the keyring.
    pub(crate) fn remove_keys(&self) {
        for wallet in &self.wallets_with_keys {
            if let Err(e) = self.vault.delete(&format!("wallet:{wallet}")) {
                eprintln!("bench: could not remove a bench key from the keyring: {e}");
            }
        }
    }
}

pub fn run(runtime: &Runtime, admin_url: &str, config: &Config) -> Result<PersistedReport> {
    let yardstick_config = crate::pgbench::Config {
        clients: config.clients.clone(),
        seconds: config.seconds,
        runs: config.runs,
        scale: None,
    };
    let max_clients = config.clients.iter().copied().max().unwrap_or(1);
    crate::pgbench::with_yardstick(runtime, admin_url, &yardstick_config, |yardstick| {
        crate::pg::with_throwaway_database(runtime, admin_url, "persisted", |admin_options, db| {
            // The app's pool settings, with `connections_per_client` for each client: one by
            // default, as pgbench has, although an operation of ours has up to two statements
            // in flight (the session check beside a look-up), which each desktop's own pool
            // (10 connections by default) would serve at once.
            let pool = runtime.block_on(crate::pg::migrated_pool(
                multipass_store_postgres::pool_options()
                    .max_connections(u32::from(max_clients) * config.connections_per_client),
                admin_options,
                db,
            ))?;
            let outcome = measure(runtime, &pool, config, yardstick);
            runtime.block_on(pool.close());
            let m = outcome?;
            Ok(PersistedReport {
                seconds: config.seconds,
                connections_per_client: config.connections_per_client,
                orders: m.orders,
                transfers: m.transfers,
                orders_with_fills: m.orders_with_fills,
                pgbench: m.pgbench,
                breakdown: m.breakdown,
            })
        })
    })
}

struct Measured {
    orders: Vec<Series>,
    transfers: Vec<Series>,
    orders_with_fills: f64,
    pgbench: PgbenchReport,
    breakdown: Vec<breakdown::Breakdown>,
}

/// The order series: every client count on the one asset, and each count above one again
/// with one asset per client.
fn order_series(clients: &[u16]) -> Vec<(u16, bool)> {
    let mut series: Vec<(u16, bool)> = clients.iter().map(|&c| (c, false)).collect();
    series.extend(clients.iter().filter(|&&c| c > 1).map(|&c| (c, true)));
    series
}

/// Traces `config.breakdown` orders and transfers from one client, one after another.
fn trace(
    runtime: &Runtime,
    setup: &Arc<Setup>,
    operations: u64,
) -> Result<Vec<breakdown::Breakdown>> {
    let Some(recorder) = breakdown::Recorder::install() else {
        eprintln!("persisted: another tracing subscriber is installed; no breakdown");
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for what in ["place_order", "transfer"] {
        recorder.start();
        let started = Instant::now();
        let run = uuid::Uuid::new_v4();
        for n in 0..operations {
            if what == "place_order" {
                runtime.block_on(place_one(setup, 0, n, u64::MAX, false))?;
            } else {
                runtime.block_on(transfer_one(setup, run, 0, n, 0))?;
            }
        }
        let total = started.elapsed();
        recorder.stop();
        out.push(recorder.report(what, operations, total));
    }
    Ok(out)
}

fn measure(
    runtime: &Runtime,
    pool: &sqlx::PgPool,
    config: &Config,
    yardstick: &Yardstick,
) -> Result<Measured> {
    let max_clients = usize::from(config.clients.iter().copied().max().unwrap_or(1));
    let vault = KeyringVault::new(format!("multipass-bench-{}", std::process::id()));
    let setup = Arc::new(runtime.block_on(set_up(pool, vault, max_clients))?);
    let outcome = (|| {
        let order_kinds = order_series(&config.clients);
        let mut orders = vec![Vec::new(); order_kinds.len()];
        let mut transfers = vec![Vec::new(); config.clients.len()];
        let (mut placed, mut filled) = (0_u64, 0_u64);
        let seconds = Duration::from_secs(u64::from(config.seconds));
        // One short unrecorded round fills the pool and the keyring's caches.
        runtime.block_on(orders_for(&setup, 1, Duration::from_secs(1), 0, false))?;
        runtime.block_on(transfers_for(&setup, 1, Duration::from_secs(1), 0))?;
        let breakdown = if config.breakdown > 0 {
            trace(runtime, &setup, config.breakdown)?
        } else {
            Vec::new()
        };
        let mut yardstick_runs: Vec<Vec<Run>> = vec![Vec::new(); config.clients.len()];
        for round in 0..config.runs {
            // Each client count's pgbench run comes right before that count's runs of ours,
            // so that each ratio divides rates measured within a minute of each other.
            for (count_at, &clients) in config.clients.iter().enumerate() {
                yardstick_runs[count_at].push(yardstick.run(clients, round, config.runs)?);
                let n = usize::from(clients);
                let seed = (round * 100 + n) as u64;
                for (at, &(_, spread)) in order_kinds
                    .iter()
                    .enumerate()
                    .filter(|(_, (c, _))| *c == clients)
                {
                    let o = runtime.block_on(orders_for(&setup, n, seconds, seed, spread))?;
                    placed += o.count;
                    filled += o.with_fills;
                    let assets = if spread { n } else { 1 };
                    eprintln!(
                        "persisted: run {}/{} {clients} client(s), {assets} asset(s): {:.0} orders/s",
                        round + 1,
                        config.runs,
                        o.per_sec,
                    );
                    orders[at].push(o.per_sec);
                }
                let t = runtime.block_on(transfers_for(&setup, n, seconds, seed))?;
                eprintln!(
                    "persisted: run {}/{} {clients} client(s): {:.0} transfers/s",
                    round + 1,
                    config.runs,
                    t.per_sec
                );
                transfers[count_at].push(t.per_sec);
            }
        }
        let yardstick_tps = |clients: u16| -> Vec<f64> {
            config
                .clients
                .iter()
                .position(|&c| c == clients)
                .map(|at| yardstick_runs[at].iter().map(|r| r.tps).collect())
                .unwrap_or_default()
        };
        let series = |kinds: &[(u16, bool)], samples: Vec<Vec<f64>>| -> Result<Vec<Series>> {
            kinds
                .iter()
                .zip(samples)
                .map(|(&(clients, spread), samples)| {
                    let ratios = paired_ratios(&samples, &yardstick_tps(clients))
                        .context("a run of ours has no pgbench run beside it")?;
                    let ops_per_sec = Summary::of(&samples).context("no runs were recorded")?;
                    Ok(Series {
                        clients,
                        assets: if spread { usize::from(clients) } else { 1 },
                        ratio_to_pgbench: Summary::of(&ratios).map(|r| r.median),
                        ratios_to_pgbench: ratios,
                        ops_per_sec,
                    })
                })
                .collect()
        };
        let transfer_kinds: Vec<(u16, bool)> = config.clients.iter().map(|&c| (c, false)).collect();
        #[allow(clippy::cast_precision_loss)]
        let share = filled as f64 / placed.max(1) as f64;
        anyhow::Ok(Measured {
            orders: series(&order_kinds, orders)?,
            transfers: series(&transfer_kinds, transfers)?,
            orders_with_fills: share,
            pgbench: yardstick.report(&config.clients, yardstick_runs)?,
            breakdown,
        })
    })();
    setup.remove_keys();
    outcome
}

pub(crate) async fn set_up(
    pool: &sqlx::PgPool,
    vault: KeyringVault,
    clients: usize,
) -> Result<Setup> {
    let store = Arc::new(multipass_store_postgres::PgStore::from_migrated_pool(
        pool.clone(),
    ));
    let api = MultipassApi::new(store, Policies::default(), Arc::new(SystemClock))
        .with_vault(Arc::new(vault.clone()));
    let admin = sign_up(&api, "bench.admin").await?;
    sqlx::query(
        "UPDATE identity_profiles SET role = 'admin' WHERE email = 'bench.admin@example.com'",
    )
    .execute(pool)
    .await
    .context("cannot make the bench administrator")?;
    let symbols: Vec<String> = (0..clients).map(|i| format!("{SYMBOL}{i}")).collect();
    for symbol in &symbols {
        api.create_asset(
            &admin,
            CreateAssetRequest {
                symbol: symbol.clone(),
                name: "Bench shares".into(),
                asset_type: "equity_token".into(),
                total_supply: ISSUED * 64,
            },
        )
        .await
        .map_err(|e| anyhow!("cannot create the asset: {e}"))?;
    }

    let mut setup = Setup {
        api: api.clone(),
        ops: Arc::new(api.clone()),
        symbols,
        clients: Vec::new(),
        recipients: Vec::new(),
        wallets_with_keys: Vec::new(),
        keys: WalletKeys::new(Arc::new(vault.clone())),
        vault,
    };
    // Two traders per client, taking turns, so that a single client's orders also cross
    // another wallet's; self-trade prevention would cancel them otherwise.
    for i in 0..clients * 2 {
        let token = sign_up(&api, &format!("bench.trader{i}")).await?;
        let wallet = wallet(&api, &token, &admin, &mut setup).await?;
        for symbol in &setup.symbols {
            api.issue_asset(
                &admin,
                IssueRequest {
                    symbol: symbol.clone(),
                    wallet_id: wallet.clone(),
                    quantity: ISSUED,
                },
            )
            .await
            .map_err(|e| anyhow!("cannot issue the asset: {e}"))?;
        }
        setup.clients.push(Client { token, wallet });
    }
    for i in 0..3 {
        let token = sign_up(&api, &format!("bench.payee{i}")).await?;
        let wallet = wallet(&api, &token, &admin, &mut setup).await?;
        setup.recipients.push(wallet);
    }
    Ok(setup)
}

async fn sign_up(api: &MultipassApi, username: &str) -> Result<SessionToken> {
    Ok(api
        .sign_up(
            SignUpRequest {
                full_name: "Bench Trader".into(),
                email: format!("{username}@example.com"),
                username: username.into(),
                password: PASSWORD.into(),
            },
            SessionKind::Desktop,
        )
        .await
        .map_err(|e| anyhow!("sign-up of {username} failed: {e}"))?
        .token)
}

/// A new wallet of `owner`, funded by a deposit.
async fn wallet(
    api: &MultipassApi,
    owner: &SessionToken,
    admin: &SessionToken,
    setup: &mut Setup,
) -> Result<String> {
    let wallet = setup
        .keys
        .create_wallet(
            api,
            owner,
            CreateWalletRequest {
                name: "Bench".into(),
                labels: Vec::new(),
            },
        )
        .await
        .map_err(|e| anyhow!("cannot create a wallet: {e}"))?
        .id;
    setup.wallets_with_keys.push(wallet.clone());
    api.deposit(
        admin,
        DepositRequest {
            wallet_id: wallet.clone(),
            asset: None,
            amount: FUNDING,
            memo: Some("bench funding".into()),
        },
    )
    .await
    .map_err(|e| anyhow!("cannot fund a wallet: {e}"))?;
    Ok(wallet)
}

pub(crate) struct Rate {
    pub(crate) per_sec: f64,
    count: u64,
    with_fills: u64,
}

/// Runs `clients` tasks, each repeating `op` until `duration` has passed, and counts the
/// completed operations; any failure stops the run.
async fn drive<F, Fut>(clients: usize, duration: Duration, op: F) -> Result<Rate>
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<bool>> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let flagged = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (stop, done, flagged, op) =
                (stop.clone(), done.clone(), flagged.clone(), op.clone());
            tokio::spawn(async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    if op(client, n).await? {
                        flagged.fetch_add(1, Ordering::Relaxed);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    // Operations still in flight complete and count; the rate divides by the time to the
    // last of them, as pgbench does.
    stop.store(true, Ordering::Relaxed);
    for task in futures::future::join_all(tasks).await {
        task.context("a bench client stopped")??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let count = done.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss)]
    let per_sec = count as f64 / elapsed;
    Ok(Rate {
        per_sec,
        count,
        with_fills: flagged.load(Ordering::Relaxed),
    })
}

/// One limit order a few ticks either side of the mid: buys at mid-8..mid+2 and sells at
/// mid-2..mid+8, so about a fifth of them cross the best opposite price and trade, partly
/// or fully, and the rest rest in the book. With `spread`, each client trades its own asset.
async fn place_one(setup: &Setup, client: usize, n: u64, seed: u64, spread: bool) -> Result<bool> {
    let mut rng = StdRng::seed_from_u64(seed ^ ((client as u64) << 32) ^ n);
    let trader = &setup.clients[client * 2 + (n % 2) as usize];
    let symbol = &setup.symbols[if spread { client } else { 0 }];
    let buy = rng.random_bool(0.5);
    let offset = rng.random_range(-8..=2_i64);
    let price = if buy {
        MID_PRICE + offset
    } else {
        MID_PRICE - offset
    };
    let placed = setup
        .keys
        .place_order(
            setup.ops.as_ref(),
            &trader.token,
            PlaceOrderRequest {
                wallet_id: trader.wallet.clone(),
                symbol: symbol.clone(),
                side: if buy { "buy" } else { "sell" }.into(),
                price,
                quantity: rng.random_range(1..=20),
            },
        )
        .await
        .map_err(|e| anyhow!("place_order failed: {e}"))?;
    Ok(!placed.fills.is_empty())
}

/// One transfer of 100-999 minor units from the client's first trader to the payees in
/// turn, with a fresh idempotency key.
async fn transfer_one(
    setup: &Setup,
    run: uuid::Uuid,
    client: usize,
    n: u64,
    seed: u64,
) -> Result<bool> {
    let sender = &setup.clients[client * 2];
    let to = &setup.recipients[(n as usize + client) % setup.recipients.len()];
    let amount = 100 + i64::try_from((seed + n) % 900).unwrap_or_default();
    setup
        .keys
        .transfer(
            setup.ops.as_ref(),
            &sender.token,
            TransferRequest {
                from_wallet_id: sender.wallet.clone(),
                to_wallet_id: to.clone(),
                asset: None,
                amount,
                idempotency_key: format!("{run}-{client}-{n}"),
            },
        )
        .await
        .map_err(|e| anyhow!("transfer failed: {e}"))?;
    Ok(false)
}

pub(crate) async fn orders_for(
    setup: &Arc<Setup>,
    clients: usize,
    duration: Duration,
    seed: u64,
    spread: bool,
) -> Result<Rate> {
    let setup = setup.clone();
    drive(clients, duration, move |client, n| {
        let setup = setup.clone();
        async move { place_one(&setup, client, n, seed, spread).await }
    })
    .await
}

pub(crate) async fn transfers_for(
    setup: &Arc<Setup>,
    clients: usize,
    duration: Duration,
    seed: u64,
) -> Result<Rate> {
    let setup = setup.clone();
    let run = uuid::Uuid::new_v4();
    drive(clients, duration, move |client, n| {
        let setup = setup.clone();
        async move { transfer_one(&setup, run, client, n, seed).await }
    })
    .await
}

/// The goal for both operations: at least half of pgbench's tps with as many clients.
pub const GOAL_RATIO: f64 = 0.5;

pub fn render(out: &mut String, report: &PersistedReport) {
    out.push_str(&format!(
        "\nPersisted operations through MultipassApi on PostgreSQL, {} s per run, {} pool connections per client\n  {:<36} {:>10} {:>10} {:>10} {:>12}\n",
        report.seconds, report.connections_per_client, "", "median", "p90", "min", "/ pgbench"
    ));
    for (what, series) in [
        ("place_order", &report.orders),
        ("transfer", &report.transfers),
    ] {
        for s in series {
            let ok = s.ratio_to_pgbench.is_some_and(|r| r >= GOAL_RATIO);
            let name = if s.assets > 1 {
                format!("{what}, {} client(s), {} assets", s.clients, s.assets)
            } else {
                format!("{what}, {} client(s)", s.clients)
            };
            out.push_str(&format!(
                "  {:<36} {:>10.0} {:>10.0} {:>10.0} {:>12}   ops/s (goal >= {GOAL_RATIO:.2}: {}; by run {})\n",
                name,
                s.ops_per_sec.median,
                s.ops_per_sec.p90,
                s.ops_per_sec.min,
                crate::ratio_text(s.ratio_to_pgbench),
                crate::verdict(ok),
                crate::ratios_text(&s.ratios_to_pgbench)
            ));
        }
    }
    out.push_str(&format!(
        "  placements that traded at least once: {:.1} %\n",
        report.orders_with_fills * 100.0
    ));
    for b in &report.breakdown {
        breakdown::render(out, b);
    }
}
