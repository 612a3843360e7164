//! Persisted operations through the application API on PostgreSQL: limit orders placed
//! (and matched) per second, and signed internal transfers per second, with N concurrent
//! clients, each as a ratio to `pgbench -b tpcb-like` with as many clients in the same run.

use crate::pgbench::PgbenchReport;
use crate::stats::Summary;
use anyhow::{Context as _, Result, anyhow};
use multipass_api::dto::SignUpRequest;
use multipass_api::market::{CreateAssetRequest, IssueRequest, PlaceOrderRequest};
use multipass_api::vault::{KeyringVault, SecretVault as _};
use multipass_api::wallet::{CreateWalletRequest, DepositRequest, TransferRequest};
use multipass_api::{MultipassApi, Policies, SessionKind, SystemClock};
use multipass_domain::SessionToken;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

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
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub clients: u16,
    pub ops_per_sec: Summary,
    /// Of the median ops/s over pgbench's median tps with as many clients.
    pub ratio_to_pgbench: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct PersistedReport {
    pub seconds: u32,
    pub orders: Vec<Series>,
    pub transfers: Vec<Series>,
    /// Of all placements measured, the share that traded at least once.
    pub orders_with_fills: f64,
    pub pgbench: PgbenchReport,
}

/// One trader: a signed-in session and a wallet holding quote currency and the asset.
#[derive(Clone)]
struct Client {
    token: SessionToken,
    wallet: String,
}

struct Setup {
    api: MultipassApi,
    /// Two per client: the traders placing orders in turn; the first also sends transfers.
    clients: Vec<Client>,
    /// Where transfers go, in turn.
    recipients: Vec<String>,
    wallets_with_keys: Vec<String>,
    vault: KeyringVault,
}

pub fn run(runtime: &Runtime, admin_url: &str, config: &Config) -> Result<PersistedReport> {
    let pgbench = crate::pgbench::run(
        runtime,
        admin_url,
        &crate::pgbench::Config {
            clients: config.clients.clone(),
            seconds: config.seconds,
            runs: config.runs,
            scale: None,
        },
    )?;
    let max_clients = config.clients.iter().copied().max().unwrap_or(1);
    crate::pg::with_throwaway_database(runtime, admin_url, "persisted", |admin_options, db| {
        let pool = runtime.block_on(async {
            let options = admin_options
                .clone()
                .database(db)
                .application_name("multipass-bench");
            // One connection per client, as pgbench has.
            let pool = PgPoolOptions::new()
                .max_connections(u32::from(max_clients))
                .connect_with(options)
                .await
                .context("cannot connect to the throwaway database")?;
            multipass_store_postgres::migrator()
                .run(&pool)
                .await
                .context("cannot migrate the throwaway database")?;
            anyhow::Ok(pool)
        })?;
        let outcome = measure(runtime, &pool, config, &pgbench);
        runtime.block_on(pool.close());
        let (orders, transfers, orders_with_fills) = outcome?;
        Ok(PersistedReport {
            seconds: config.seconds,
            orders,
            transfers,
            orders_with_fills,
            pgbench,
        })
    })
}

type Measured = (Vec<Series>, Vec<Series>, f64);

fn measure(
    runtime: &Runtime,
    pool: &sqlx::PgPool,
    config: &Config,
    pgbench: &PgbenchReport,
) -> Result<Measured> {
    let max_clients = usize::from(config.clients.iter().copied().max().unwrap_or(1));
    let vault = KeyringVault::new(format!("multipass-bench-{}", std::process::id()));
    let setup = runtime.block_on(set_up(pool, vault, max_clients))?;
    let outcome = (|| {
        let mut orders = vec![Vec::new(); config.clients.len()];
        let mut transfers = vec![Vec::new(); config.clients.len()];
        let (mut placed, mut filled) = (0_u64, 0_u64);
        let seconds = Duration::from_secs(u64::from(config.seconds));
        // One short unrecorded round fills the pool and the keyring's caches.
        runtime.block_on(orders_for(&setup, 1, Duration::from_secs(1), 0))?;
        runtime.block_on(transfers_for(&setup, 1, Duration::from_secs(1), 0))?;
        for round in 0..config.runs {
            for (at, &clients) in config.clients.iter().enumerate() {
                let n = usize::from(clients);
                let seed = (round * 100 + n) as u64;
                let o = runtime.block_on(orders_for(&setup, n, seconds, seed))?;
                placed += o.count;
                filled += o.with_fills;
                let t = runtime.block_on(transfers_for(&setup, n, seconds, seed))?;
                eprintln!(
                    "persisted: run {}/{} {clients} client(s): {:.0} orders/s, {:.0} transfers/s",
                    round + 1,
                    config.runs,
                    o.per_sec,
                    t.per_sec
                );
                orders[at].push(o.per_sec);
                transfers[at].push(t.per_sec);
            }
        }
        let series = |samples: Vec<Vec<f64>>| -> Result<Vec<Series>> {
            config
                .clients
                .iter()
                .zip(samples)
                .map(|(&clients, samples)| {
                    let ops_per_sec = Summary::of(&samples).context("no runs were recorded")?;
                    Ok(Series {
                        clients,
                        ratio_to_pgbench: pgbench.ratio(ops_per_sec.median, clients),
                        ops_per_sec,
                    })
                })
                .collect()
        };
        #[allow(clippy::cast_precision_loss)]
        let share = filled as f64 / placed.max(1) as f64;
        anyhow::Ok((series(orders)?, series(transfers)?, share))
    })();
    for wallet in &setup.wallets_with_keys {
        if let Err(e) = setup.vault.delete(&format!("wallet:{wallet}")) {
            eprintln!("persisted: could not remove a bench key from the keyring: {e}");
        }
    }
    outcome
}

async fn set_up(pool: &sqlx::PgPool, vault: KeyringVault, clients: usize) -> Result<Setup> {
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
    api.create_asset(
        &admin,
        CreateAssetRequest {
            symbol: SYMBOL.into(),
            name: "Bench shares".into(),
            asset_type: "equity_token".into(),
            total_supply: ISSUED * 64,
        },
    )
    .await
    .map_err(|e| anyhow!("cannot create the asset: {e}"))?;

    let mut setup = Setup {
        api: api.clone(),
        clients: Vec::new(),
        recipients: Vec::new(),
        wallets_with_keys: Vec::new(),
        vault,
    };
    // Two traders per client, taking turns, so that a single client's orders also cross
    // another wallet's; self-trade prevention would cancel them otherwise.
    for i in 0..clients * 2 {
        let token = sign_up(&api, &format!("bench.trader{i}")).await?;
        let wallet = wallet(&api, &token, &admin, &mut setup).await?;
        api.issue_asset(
            &admin,
            IssueRequest {
                symbol: SYMBOL.into(),
                wallet_id: wallet.clone(),
                quantity: ISSUED,
            },
        )
        .await
        .map_err(|e| anyhow!("cannot issue the asset: {e}"))?;
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
    let wallet = api
        .create_wallet(
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

struct Rate {
    per_sec: f64,
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

/// Limit orders a few ticks either side of the mid: buys at mid-8..mid+2 and sells at
/// mid-2..mid+8, so about a fifth of them cross the best opposite price and trade, partly
/// or fully, and the rest rest in the book.
async fn orders_for(setup: &Setup, clients: usize, duration: Duration, seed: u64) -> Result<Rate> {
    let api = setup.api.clone();
    let traders: Arc<Vec<Client>> = Arc::new(setup.clients.clone());
    drive(clients, duration, move |client, n| {
        let (api, traders) = (api.clone(), traders.clone());
        async move {
            let mut rng = StdRng::seed_from_u64(seed ^ ((client as u64) << 32) ^ n);
            let trader = &traders[client * 2 + (n % 2) as usize];
            let buy = rng.random_bool(0.5);
            let offset = rng.random_range(-8..=2_i64);
            let price = if buy {
                MID_PRICE + offset
            } else {
                MID_PRICE - offset
            };
            let placed = api
                .place_order(
                    &trader.token,
                    PlaceOrderRequest {
                        wallet_id: trader.wallet.clone(),
                        symbol: SYMBOL.into(),
                        side: if buy { "buy" } else { "sell" }.into(),
                        price,
                        quantity: rng.random_range(1..=20),
                    },
                )
                .await
                .map_err(|e| anyhow!("place_order failed: {e}"))?;
            Ok(!placed.fills.is_empty())
        }
    })
    .await
}

async fn transfers_for(
    setup: &Setup,
    clients: usize,
    duration: Duration,
    seed: u64,
) -> Result<Rate> {
    let api = setup.api.clone();
    let senders: Arc<Vec<Client>> = Arc::new(setup.clients.clone());
    let recipients: Arc<Vec<String>> = Arc::new(setup.recipients.clone());
    let run = uuid::Uuid::new_v4();
    drive(clients, duration, move |client, n| {
        let (api, senders, recipients) = (api.clone(), senders.clone(), recipients.clone());
        async move {
            let sender = &senders[client * 2];
            let to = &recipients[(n as usize + client) % recipients.len()];
            let amount = 100 + i64::try_from((seed + n) % 900).unwrap_or_default();
            api.transfer(
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
    })
    .await
}

/// The goal for both operations: at least half of pgbench's tps with as many clients.
pub const GOAL_RATIO: f64 = 0.5;

pub fn render(out: &mut String, report: &PersistedReport) {
    out.push_str(&format!(
        "\nPersisted operations through MultipassApi on PostgreSQL, {} s per run\n  {:<28} {:>10} {:>10} {:>10} {:>12}\n",
        report.seconds, "", "median", "p90", "min", "/ pgbench"
    ));
    for (what, series) in [
        ("place_order", &report.orders),
        ("transfer", &report.transfers),
    ] {
        for s in series {
            let ok = s.ratio_to_pgbench.is_some_and(|r| r >= GOAL_RATIO);
            out.push_str(&format!(
                "  {:<28} {:>10.0} {:>10.0} {:>10.0} {:>12}   ops/s (goal >= {GOAL_RATIO:.2}: {})\n",
                format!("{what}, {} client(s)", s.clients),
                s.ops_per_sec.median,
                s.ops_per_sec.p90,
                s.ops_per_sec.min,
                crate::ratio_text(s.ratio_to_pgbench),
                crate::verdict(ok)
            ));
        }
    }
    out.push_str(&format!(
        "  placements that traded at least once: {:.1} %\n",
        report.orders_with_fills * 100.0
    ));
}
