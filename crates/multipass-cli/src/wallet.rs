//! `multipass wallet ...`: wallets, balances, deposits, transfers, history and signature
//! checks, acting as the signed-in CLI user. Amounts are integers in minor units.

use crate::output::Output;
use crate::session::current_token;
use clap::{Args, Subcommand};
use multipass_api::wallet::{
    CreateWalletRequest, DepositRequest, ExportRequest, HistoryRequest, TransactionView,
    TransferRequest, WalletView,
};
use multipass_api::{ApiError, ErrorCode};
use multipass_client::Connection;

#[derive(Debug, Args)]
pub struct WalletArgs {
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Debug, Subcommand)]
enum WalletCommand {
    /// Create a wallet with a new ML-DSA-65 key pair (the secret key goes to the OS keyring).
    Create {
        #[arg(long)]
        name: String,
        /// A label; repeat for more.
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// List your wallets (administrators: someone else's with --owner).
    List {
        #[arg(long)]
        owner: Option<String>,
    },
    /// Show one wallet.
    Show { wallet: String },
    /// Show a wallet's balances per asset.
    Balances { wallet: String },
    /// Add funds to a wallet (administrators only).
    Deposit {
        wallet: String,
        /// Minor units.
        #[arg(long)]
        amount: i64,
        /// Defaults to MPC.
        #[arg(long)]
        asset: Option<String>,
        #[arg(long)]
        memo: Option<String>,
    },
    /// Send funds, signed with the sending wallet's key; a fee goes to the treasury.
    Transfer {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Minor units.
        #[arg(long)]
        amount: i64,
        /// Defaults to MPC.
        #[arg(long)]
        asset: Option<String>,
        /// Reuse the same key to retry safely; a new random key when absent.
        #[arg(long)]
        key: Option<String>,
    },
    /// A wallet's transactions, newest first.
    History {
        wallet: String,
        #[arg(long)]
        asset: Option<String>,
        /// credit or debit.
        #[arg(long)]
        direction: Option<String>,
        /// pending, completed, failed or reversed.
        #[arg(long)]
        status: Option<String>,
        /// RFC 3339, inclusive.
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339, exclusive.
        #[arg(long)]
        until: Option<String>,
        /// The next-page cursor printed by the previous call.
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Write all of one of your wallets' transactions (or those matching the filters) to a
    /// CSV file, oldest first, with a header row.
    Export {
        wallet: String,
        /// The file to write; an existing file is replaced.
        #[arg(long, value_name = "FILE")]
        csv: std::path::PathBuf,
        #[arg(long)]
        asset: Option<String>,
        /// credit or debit.
        #[arg(long)]
        direction: Option<String>,
        /// pending, completed, failed or reversed.
        #[arg(long)]
        status: Option<String>,
        /// RFC 3339, inclusive.
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339, exclusive.
        #[arg(long)]
        until: Option<String>,
    },
    /// Check a transfer's signature against its sender's public key.
    Verify { transfer: String },
    /// Freeze, thaw (active) or close a wallet.
    SetStatus { wallet: String, status: String },
    /// Make a wallet its owner's default.
    SetDefault { wallet: String },
}

fn wallet_line(w: &WalletView) -> String {
    format!(
        "{}  {}{}  [{}]  address {}",
        w.id,
        w.name,
        if w.is_default { " (default)" } else { "" },
        w.status,
        w.addresses.first().map_or("-", String::as_str)
    )
}

fn tx_line(t: &TransactionView) -> String {
    format!(
        "{}  {:<6} {:<8} {:>12} {}  fee {}  balance {}  transfer {}",
        t.created_at,
        t.direction,
        t.tx_type,
        t.amount,
        t.asset,
        t.fee,
        t.balance_after
            .map_or_else(|| "-".to_owned(), |b| b.to_string()),
        t.transfer_id
    )
}

pub async fn run(api: &Connection, args: WalletArgs) -> Result<Output, ApiError> {
    let token = current_token()?;
    match args.command {
        WalletCommand::Create { name, labels } => {
            let w = api
                .wallet_keys()
                .create_wallet(&**api, &token, CreateWalletRequest { name, labels })
                .await?;
            Ok(Output::from_view(&w, wallet_line(&w)))
        }
        WalletCommand::List { owner } => {
            let wallets = api.list_wallets(&token, owner.as_deref()).await?;
            let text = if wallets.is_empty() {
                "No wallets yet. Create one with `multipass wallet create --name NAME`.".to_owned()
            } else {
                wallets
                    .iter()
                    .map(wallet_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::from_view(&wallets, text))
        }
        WalletCommand::Show { wallet } => {
            let w = api.wallet(&token, &wallet).await?;
            let text = format!(
                "{}\nlabels: {}\nkey: {}",
                wallet_line(&w),
                w.labels.join(", "),
                w.key_algorithm
            );
            Ok(Output::from_view(&w, text))
        }
        WalletCommand::Balances { wallet } => {
            let balances = api.balances(&token, &wallet).await?;
            let text = if balances.is_empty() {
                "No balances yet.".to_owned()
            } else {
                balances
                    .iter()
                    .map(|b| {
                        format!(
                            "{:<12} total {:>14}  locked {:>14}  unlocked {:>14}",
                            b.asset, b.total, b.locked, b.unlocked
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::from_view(&balances, text))
        }
        WalletCommand::Deposit {
            wallet,
            amount,
            asset,
            memo,
        } => {
            let t = api
                .deposit(
                    &token,
                    DepositRequest {
                        wallet_id: wallet,
                        asset,
                        amount,
                        memo,
                    },
                )
                .await?;
            Ok(Output::from_view(&t, tx_line(&t)))
        }
        WalletCommand::Transfer {
            from,
            to,
            amount,
            asset,
            key,
        } => {
            let key = key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let view = api
                .wallet_keys()
                .transfer(
                    &**api,
                    &token,
                    TransferRequest {
                        from_wallet_id: from,
                        to_wallet_id: to,
                        asset,
                        amount,
                        idempotency_key: key.clone(),
                    },
                )
                .await?;
            let text = format!(
                "transfer {}{}: {} sent, fee {} (idempotency key {key})",
                view.transfer_id,
                if view.replayed {
                    " (already done earlier)"
                } else {
                    ""
                },
                view.amount,
                view.fee
            );
            Ok(Output::from_view(&view, text))
        }
        WalletCommand::History {
            wallet,
            asset,
            direction,
            status,
            since,
            until,
            cursor,
            limit,
        } => {
            let page = api
                .history(
                    &token,
                    HistoryRequest {
                        wallet_id: wallet,
                        asset,
                        direction,
                        status,
                        since,
                        until,
                        cursor,
                        limit,
                    },
                )
                .await?;
            let mut lines: Vec<String> = page.items.iter().map(tx_line).collect();
            if lines.is_empty() {
                lines.push("No transactions.".to_owned());
            }
            if let Some(next) = &page.next_cursor {
                lines.push(format!("more: --cursor {next}"));
            }
            Ok(Output::from_view(&page, lines.join("\n")))
        }
        WalletCommand::Export {
            wallet,
            csv,
            asset,
            direction,
            status,
            since,
            until,
        } => {
            let file = std::fs::File::create(&csv).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!("Cannot create {}: {e}.", csv.display()),
                )
                .with_field("csv")
            })?;
            let request = ExportRequest {
                wallet_id: wallet,
                asset,
                direction,
                status,
                since,
                until,
            };
            let view = api
                .export_wallet_transactions_csv(&token, request, file)
                .await?;
            let text = format!("wrote {} transactions to {}", view.rows, csv.display());
            Ok(Output::from_view(&view, text))
        }
        WalletCommand::Verify { transfer } => {
            let check = api.verify_transfer(&token, &transfer).await?;
            let text = match &check.problem {
                None => format!(
                    "transfer {}: the signature of wallet {} is valid",
                    check.transfer_id, check.signer_wallet_id
                ),
                Some(problem) => format!("transfer {}: NOT valid. {problem}", check.transfer_id),
            };
            Ok(Output::from_view(&check, text))
        }
        WalletCommand::SetStatus { wallet, status } => {
            let w = api.set_wallet_status(&token, &wallet, &status).await?;
            Ok(Output::from_view(&w, wallet_line(&w)))
        }
        WalletCommand::SetDefault { wallet } => {
            let w = api.set_default_wallet(&token, &wallet).await?;
            Ok(Output::from_view(&w, wallet_line(&w)))
        }
    }
}
