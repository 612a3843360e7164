//! What the server costs: transfers and order placements per second through a real
//! `multipass-server` over HTTPS on loopback, against the same operations called on the
//! application API in process, with the same PostgreSQL, traders and client count, the two
//! sides alternating run by run.

use crate::persisted::{Setup, orders_for, set_up, transfers_for};
use crate::stats::{Summary, paired_ratios};
use anyhow::{Context as _, Result, anyhow};
use multipass_api::config::ServerEndpoint;
use multipass_api::vault::KeyringVault;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

/// The goal: the server keeps at least this share of the in-process rate.
pub const GOAL_RATIO: f64 = 0.8;

#[derive(Debug, Clone)]
pub struct Config {
    pub clients: Vec<u16>,
    pub seconds: u32,
    pub runs: usize,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub operation: &'static str,
    pub clients: u16,
    pub in_process_per_sec: Summary,
    pub through_server_per_sec: Summary,
    /// Each server run over the in-process run beside it.
    pub ratios: Vec<f64>,
    pub ratio: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct OverheadReport {
    pub seconds: u32,
    pub series: Vec<Series>,
}

pub fn run(runtime: &Runtime, admin_url: &str, config: &Config) -> Result<OverheadReport> {
    let max_clients = config.clients.iter().copied().max().unwrap_or(1);
    crate::pg::with_throwaway_database(runtime, admin_url, "overhead", |admin_options, db| {
        let pool = runtime.block_on(crate::pg::migrated_pool(
            multipass_store_postgres::pool_options().max_connections(u32::from(max_clients) * 2),
            admin_options,
            db,
        ))?;
        let vault = KeyringVault::new(format!("multipass-bench-{}", std::process::id()));
        let outcome = runtime
            .block_on(set_up(&pool, vault, usize::from(max_clients)))
            .and_then(|local| {
                let outcome = measure(runtime, &local, config);
                local.remove_keys();
                outcome
            });
        runtime.block_on(pool.close());
        outcome
    })
}

fn measure(runtime: &Runtime, local: &Setup, config: &Config) -> Result<OverheadReport> {
    let _entered = runtime.enter();
    let pki = multipass_server::loopback_pki().map_err(|e| anyhow!(e))?;
    let ca_file = tempfile::NamedTempFile::new().context("no temporary file for the CA")?;
    std::fs::write(ca_file.path(), &pki.ca_pem).context("cannot write the CA file")?;
    let server = multipass_server::serve_loopback(Arc::new(local.api.clone()), &pki)?;
    let endpoint = ServerEndpoint {
        url: server.loopback_url().parse()?,
        ca_file: Some(ca_file.path().to_owned()),
    };
    let client = multipass_client::connect_dyn(&endpoint).map_err(|e| anyhow!("{e}"))?;
    let local = Arc::new(local.through(Arc::new(local.api.clone())));
    let remote = Arc::new(local.through(client));
    let seconds = Duration::from_secs(u64::from(config.seconds));
    // Unrecorded: fills the pool, the keyring's caches and the client's connections.
    for setup in [&local, &remote] {
        runtime.block_on(transfers_for(setup, 1, Duration::from_secs(1), 0))?;
        runtime.block_on(orders_for(setup, 1, Duration::from_secs(1), 0, false))?;
    }
    let mut series = Vec::new();
    for operation in ["transfer", "place_order"] {
        for &clients in &config.clients {
            let n = usize::from(clients);
            let (mut here, mut there) = (Vec::new(), Vec::new());
            for round in 0..config.runs {
                let seed = (round * 100 + n) as u64;
                let rate = |setup: &Arc<Setup>| -> Result<f64> {
                    let rate = if operation == "transfer" {
                        runtime.block_on(transfers_for(setup, n, seconds, seed))?
                    } else {
                        runtime.block_on(orders_for(setup, n, seconds, seed, n > 1))?
                    };
                    Ok(rate.per_sec)
                };
                // Which side goes first alternates, so drift falls on both.
                if round % 2 == 0 {
                    here.push(rate(&local)?);
                    there.push(rate(&remote)?);
                } else {
                    there.push(rate(&remote)?);
                    here.push(rate(&local)?);
                }
                eprintln!(
                    "overhead: run {}/{} {operation} {clients} client(s): {:.0}/s in process, {:.0}/s through the server",
                    round + 1,
                    config.runs,
                    here[round],
                    there[round],
                );
            }
            let ratios = paired_ratios(&there, &here).context("unpaired runs")?;
            series.push(Series {
                operation,
                clients,
                in_process_per_sec: Summary::of(&here).context("no runs")?,
                through_server_per_sec: Summary::of(&there).context("no runs")?,
                ratio: Summary::of(&ratios).map(|r| r.median),
                ratios,
            });
        }
    }
    runtime.block_on(server.stop(Duration::from_secs(5)))?;
    Ok(OverheadReport {
        seconds: config.seconds,
        series,
    })
}

pub fn render(out: &mut String, report: &OverheadReport) {
    out.push_str(&format!(
        "\nServer overhead: through multipass-server over HTTPS on loopback vs in process, {} s per run\n",
        report.seconds
    ));
    for s in &report.series {
        let verdict = match s.ratio {
            Some(r) if r >= GOAL_RATIO => "PASS",
            _ => "FAIL",
        };
        out.push_str(&format!(
            "  {:<11} {} client(s): {:.0}/s in process, {:.0}/s through the server, ratio {} (goal >= {GOAL_RATIO}) {verdict}\n",
            s.operation,
            s.clients,
            s.in_process_per_sec.median,
            s.through_server_per_sec.median,
            s.ratio.map_or("n/a".to_owned(), |r| format!("{r:.2}")),
        ));
    }
}
