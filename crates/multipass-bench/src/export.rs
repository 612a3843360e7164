//! The CSV export of a wallet's transactions (`export_wallet_transactions_csv`) against
//! `psql \copy` of the same rows and columns, in the same order, on a throwaway database
//! holding one wallet with a million rows.

use crate::stats::{Summary, ratio};
use anyhow::{Context as _, Result, anyhow, bail};
use multipass_api::dto::SignUpRequest;
use multipass_api::vault::{KeyringVault, SecretVault as _};
use multipass_api::wallet::{CreateWalletRequest, EXPORT_HEADER, ExportRequest};
use multipass_api::{MultipassApi, Policies, SessionKind, SystemClock};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Runtime;

pub const DEFAULT_ROWS: usize = 1_000_000;
pub const DEFAULT_RUNS: usize = 5;
/// The goal: our export takes at most 1.5 times as long as `psql \copy`.
pub const GOAL_RATIO: f64 = 1.5;

#[derive(Debug, Serialize)]
pub struct ExportReport {
    pub rows: u64,
    pub ours_ms: Summary,
    pub psql_copy_ms: Summary,
    /// Ours over psql, of the medians.
    pub ratio_of_medians: Option<f64>,
    pub ours_file_bytes: u64,
    pub psql_file_bytes: u64,
}

pub fn run(runtime: &Runtime, admin_url: &str, rows: usize, runs: usize) -> Result<ExportReport> {
    crate::pg::with_throwaway_database(runtime, admin_url, "export", |admin_options, db| {
        let pool = runtime.block_on(crate::pg::migrated_pool(
            PgPoolOptions::new().max_connections(2),
            admin_options,
            db,
        ))?;
        let vault = KeyringVault::new(format!("multipass-bench-export-{}", std::process::id()));
        let outcome = measure(runtime, &pool, &vault, admin_url, db, rows, runs);
        runtime.block_on(pool.close());
        outcome
    })
}

fn measure(
    runtime: &Runtime,
    pool: &sqlx::PgPool,
    vault: &KeyringVault,
    admin_url: &str,
    database: &str,
    rows: usize,
    runs: usize,
) -> Result<ExportReport> {
    let store = Arc::new(multipass_store_postgres::PgStore::from_migrated_pool(
        pool.clone(),
    ));
    let api = MultipassApi::new(store, Policies::default(), Arc::new(SystemClock))
        .with_vault(Arc::new(vault.clone()));
    let (token, wallet, other) = runtime.block_on(async {
        let token = api
            .sign_up(
                SignUpRequest {
                    full_name: "Bench Exporter".into(),
                    email: "bench.exporter@example.com".into(),
                    username: "bench.exporter".into(),
                    password: "correct horse battery staple".into(),
                },
                SessionKind::Desktop,
            )
            .await
            .map_err(|e| anyhow!("sign-up failed: {e}"))?
            .token;
        let keys = multipass_api::signer::WalletKeys::new(Arc::new(vault.clone()));
        let mut wallets = Vec::new();
        for name in ["Exported", "Counterparty"] {
            let request = CreateWalletRequest {
                name: name.into(),
                labels: Vec::new(),
            };
            let w = keys
                .create_wallet(&api, &token, request)
                .await
                .map_err(|e| anyhow!("cannot create a wallet: {e}"))?;
            wallets.push(w.id);
        }
        let [wallet, other] = <[String; 2]>::try_from(wallets)
            .map_err(|_| anyhow!("two wallets were not created"))?;
        anyhow::Ok((token, wallet, other))
    })?;
    let outcome = (|| {
        eprintln!("export: inserting {rows} rows");
        runtime.block_on(fill(pool, &wallet, &other, rows))?;
        let dir = tempfile::Builder::new()
            .prefix("multipass-bench-export-")
            .tempdir()
            .context("cannot create a temporary folder")?;
        let ours_path = dir.path().join("ours.csv");
        let psql_path = dir.path().join("psql.csv");
        let target = crate::pgbench::Target::new(admin_url, database)?;
        let copy = copy_command(&wallet, &psql_path)?;

        let (mut ours, mut psql) = (Vec::new(), Vec::new());
        let mut exported = 0;
        // One unrecorded round of each first: the table's pages come into the cache.
        for round in 0..=runs {
            let start = Instant::now();
            let file = std::fs::File::create(&ours_path)
                .with_context(|| format!("cannot create {}", ours_path.display()))?;
            let view = runtime
                .block_on(api.export_wallet_transactions_csv(
                    &token,
                    ExportRequest {
                        wallet_id: wallet.clone(),
                        ..Default::default()
                    },
                    file,
                ))
                .map_err(|e| anyhow!("the export failed: {e}"))?;
            let t_ours = crate::start::ms(start.elapsed());
            exported = view.rows;

            let start = Instant::now();
            target.psql(&["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &copy])?;
            let t_psql = crate::start::ms(start.elapsed());
            eprintln!(
                "export: run {round}/{runs}: ours {t_ours:.0} ms, psql \\copy {t_psql:.0} ms{}",
                if round == 0 { " (warm-up)" } else { "" }
            );
            if round > 0 {
                ours.push(t_ours);
                psql.push(t_psql);
            }
        }
        let expected = u64::try_from(rows)?;
        let psql_rows = line_count(&psql_path)?.saturating_sub(1);
        if exported != expected || psql_rows != expected {
            bail!("expected {expected} rows, the export wrote {exported} and psql {psql_rows}");
        }
        let ours_ms = Summary::of(&ours).context("no export runs were recorded")?;
        let psql_copy_ms = Summary::of(&psql).context("no psql runs were recorded")?;
        Ok(ExportReport {
            rows: exported,
            ratio_of_medians: ratio(ours_ms.median, psql_copy_ms.median),
            ours_ms,
            psql_copy_ms,
            ours_file_bytes: std::fs::metadata(&ours_path)?.len(),
            psql_file_bytes: std::fs::metadata(&psql_path)?.len(),
        })
    })();
    for w in [&wallet, &other] {
        if let Err(e) = vault.delete(&format!("wallet:{w}")) {
            eprintln!("export: could not remove a bench key from the keyring: {e}");
        }
    }
    outcome
}

/// `rows` transfer legs of `wallet`, a second apart, half of them with a counterparty, in
/// one statement; then VACUUM ANALYZE, so that neither contender pays for setting hint bits.
async fn fill(pool: &sqlx::PgPool, wallet: &str, other: &str, rows: usize) -> Result<()> {
    let wallet = uuid::Uuid::parse_str(wallet)?;
    let other = uuid::Uuid::parse_str(other)?;
    sqlx::query(
        "INSERT INTO wallet_transactions (wallet_id, counterparty_wallet_id, transfer_id, \
         direction, tx_type, asset_type, amount, fee, status, balance_after, created_at) \
         SELECT $1, CASE WHEN g % 2 = 0 THEN $2 END, gen_random_uuid(), \
         CASE WHEN g % 2 = 0 THEN 'debit' ELSE 'credit' END, \
         CASE WHEN g % 2 = 0 THEN 'transfer' ELSE 'deposit' END, 'MPC', 1 + g % 100000, \
         CASE WHEN g % 2 = 0 THEN 1 + g % 100 ELSE 0 END, 'completed', g, \
         timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' \
         FROM generate_series(1, $3) AS g",
    )
    .bind(wallet)
    .bind(other)
    .bind(i64::try_from(rows)?)
    .execute(pool)
    .await
    .context("cannot insert the rows to export")?;
    sqlx::query("VACUUM ANALYZE wallet_transactions")
        .execute(pool)
        .await
        .context("cannot vacuum the table")?;
    Ok(())
}

/// The `\copy` of the export's own query: the same columns, filter and order.
fn copy_command(wallet: &str, path: &Path) -> Result<String> {
    let wallet = uuid::Uuid::parse_str(wallet)?;
    let path = path
        .to_str()
        .filter(|p| !p.contains('\''))
        .context("the temporary path cannot be quoted for psql")?;
    Ok(format!(
        "\\copy (SELECT {} FROM wallet_transactions WHERE wallet_id = '{wallet}' \
         ORDER BY created_at, id) TO '{path}' WITH (FORMAT csv, HEADER)",
        EXPORT_HEADER.join(", ")
    ))
}

fn line_count(path: &Path) -> Result<u64> {
    use std::io::BufRead as _;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut count = 0;
    for line in std::io::BufReader::new(file).split(b'\n') {
        line?;
        count += 1;
    }
    Ok(count)
}

pub fn render(out: &mut String, r: &ExportReport) {
    crate::header(
        out,
        &format!(
            "CSV export of {} wallet transactions on PostgreSQL, {} runs each",
            r.rows, r.ours_ms.runs
        ),
    );
    crate::row(out, "export_wallet_transactions_csv", &r.ours_ms, "ms", 0);
    crate::row(out, "psql \\copy", &r.psql_copy_ms, "ms", 0);
    let ok = r.ratio_of_medians.is_some_and(|x| x <= GOAL_RATIO);
    out.push_str(&format!(
        "  ratio of medians {} (goal <= {GOAL_RATIO:.2}: {}); files {} / {} bytes\n",
        crate::ratio_text(r.ratio_of_medians),
        crate::verdict(ok),
        r.ours_file_bytes,
        r.psql_file_bytes
    ));
}
