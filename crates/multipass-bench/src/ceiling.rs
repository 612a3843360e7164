//! The most a transfer of the app could reach against `pgbench -b tpcb-like` on this
//! machine: pgbench itself runs the statements one transfer sends
//! (`bench/pgbench/transfer.sql`), so no client of ours takes part. Both workloads run on
//! one throwaway database, migrated as the app migrates it, their runs alternating; the
//! ratio bounds the transfer ratio of the persisted benchmark from above.

use crate::pgbench::{Config, Run, Series, Target};
use crate::stats::{Summary, paired_ratios};
use anyhow::{Context as _, Result};
use serde::Serialize;
use std::io::Write as _;
use tokio::runtime::Runtime;

/// An identity with a session, ten funded wallets, the treasury and a signature of
/// ML-DSA-65's size.
const SETUP_SQL: &str = include_str!("../../../bench/pgbench/setup.sql");
const TRANSFER_SQL: &str = include_str!("../../../bench/pgbench/transfer.sql");
/// Unrecorded seconds of each workload before the first recorded run: the first seconds
/// on fresh tables split index pages and log whole pages far more often than later ones.
const WARM_UP_SECONDS: u32 = 5;

#[derive(Debug, Serialize)]
pub struct Ceiling {
    pub clients: u16,
    /// The transfer statements' tps over tpcb-like's in the same round, by round.
    pub ratios: Vec<f64>,
    pub ratio: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct CeilingReport {
    pub seconds: u32,
    pub tpcb_like: Vec<Series>,
    pub transfer_statements: Vec<Series>,
    pub ceilings: Vec<Ceiling>,
}

pub fn run(runtime: &Runtime, admin_url: &str, config: &Config) -> Result<CeilingReport> {
    let max_clients = config.clients.iter().copied().max().unwrap_or(1);
    let scale = config.scale.unwrap_or(u32::from(max_clients)).max(1);
    // pgbench and psql read scripts from files only.
    let setup = script_file(SETUP_SQL)?;
    let transfer = script_file(TRANSFER_SQL)?;
    let transfer_path = transfer
        .path()
        .to_str()
        .context("the temporary folder's path is not UTF-8")?;
    // As sqlx sends the app's statements: prepared.
    let transfer_workload = ["-M", "prepared", "-f", transfer_path];

    crate::pg::with_throwaway_database(runtime, admin_url, "ceiling", |admin_options, db| {
        runtime.block_on(async {
            let pool = crate::pg::migrated_pool(
                sqlx::postgres::PgPoolOptions::new().max_connections(1),
                admin_options,
                db,
            )
            .await?;
            pool.close().await;
            anyhow::Ok(())
        })?;
        let target = Target::new(admin_url, db)?;
        let setup_path = setup
            .path()
            .to_str()
            .context("the temporary folder's path is not UTF-8")?;
        target.psql(&["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", setup_path])?;
        eprintln!("ceiling: initialising pgbench, scale {scale}");
        target.pgbench(&["-i", "-q", "-s", &scale.to_string()])?;
        target.measure(&["-b", "tpcb-like"], max_clients, WARM_UP_SECONDS)?;
        target.measure(&transfer_workload, max_clients, WARM_UP_SECONDS)?;

        let mut tpcb: Vec<Vec<Run>> = vec![Vec::new(); config.clients.len()];
        let mut ours: Vec<Vec<Run>> = vec![Vec::new(); config.clients.len()];
        for round in 0..config.runs {
            for (at, &clients) in config.clients.iter().enumerate() {
                let t = target.measure(&["-b", "tpcb-like"], clients, config.seconds)?;
                let o = target.measure(&transfer_workload, clients, config.seconds)?;
                eprintln!(
                    "ceiling: run {}/{} {clients} client(s): tpcb-like {:.0} tps, transfer statements {:.0} tps",
                    round + 1,
                    config.runs,
                    t.tps,
                    o.tps
                );
                tpcb[at].push(t);
                ours[at].push(o);
            }
        }
        let ceilings = config
            .clients
            .iter()
            .zip(tpcb.iter().zip(&ours))
            .map(|(&clients, (t, o))| {
                let tps = |runs: &[Run]| runs.iter().map(|r| r.tps).collect::<Vec<_>>();
                let ratios =
                    paired_ratios(&tps(o), &tps(t)).context("a pgbench run reported 0 tps")?;
                Ok(Ceiling {
                    clients,
                    ratio: Summary::of(&ratios).map(|r| r.median),
                    ratios,
                })
            })
            .collect::<Result<_>>()?;
        Ok(CeilingReport {
            seconds: config.seconds,
            tpcb_like: Series::of_counts(&config.clients, tpcb)?,
            transfer_statements: Series::of_counts(&config.clients, ours)?,
            ceilings,
        })
    })
}

fn script_file(text: &str) -> Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("multipass-ceiling-")
        .suffix(".sql")
        .tempfile()
        .context("cannot create a script file in the temporary folder")?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .context("cannot write a script file in the temporary folder")?;
    Ok(file)
}

pub fn render(out: &mut String, report: &CeilingReport) {
    out.push_str(&format!(
        "\nTransfers' ceiling: pgbench running one transfer's statements (bench/pgbench/transfer.sql), {} s per run\n  {:<14} {:>16} {:>22} {:>10}\n",
        report.seconds, "", "tpcb-like median", "transfer stmts median", "ceiling"
    ));
    for ((t, o), c) in report
        .tpcb_like
        .iter()
        .zip(&report.transfer_statements)
        .zip(&report.ceilings)
    {
        out.push_str(&format!(
            "  {:<14} {:>16.0} {:>22.0} {:>10}   tps (by run {})\n",
            format!("{} client(s)", t.clients),
            t.tps.median,
            o.tps.median,
            crate::ratio_text(c.ratio),
            crate::ratios_text(&c.ratios)
        ));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// pgbench stops a client at the first statement that errs, and then exits with a
    /// failure, so this fails as soon as the app's schema and `transfer.sql` part ways.
    #[test]
    fn the_transfer_statements_run_on_the_schema_the_app_migrates() {
        let url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must name a PostgreSQL server whose role has CREATEDB");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let report = run(
            &runtime,
            &url,
            &Config {
                clients: vec![1],
                seconds: 1,
                runs: 1,
                scale: None,
            },
        )
        .unwrap();
        let transfers = &report.transfer_statements[0].runs[0];
        assert!(transfers.tps > 0.0, "{transfers:?}");
        assert!(
            transfers.transactions.is_some_and(|n| n > 0),
            "{transfers:?}"
        );
        assert_eq!(transfers.failed_transactions, Some(0), "{transfers:?}");
        assert_eq!(report.ceilings[0].ratios.len(), 1);
    }
}
