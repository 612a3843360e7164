//! `multipass market ...`: the asset market as the signed-in CLI user. Defining, halting and
//! issuing assets needs the admin role; orders act on the user's own wallets.

use crate::output::Output;
use crate::session::current_token;
use clap::Subcommand;
use multipass_api::ApiError;
use multipass_api::market::{
    AssetView, CreateAssetRequest, IssueRequest, OrderView, PlaceOrderRequest, TradeView,
};
use multipass_client::Connection;
use std::fmt::Write;

#[derive(Debug, Subcommand)]
pub enum MarketCommand {
    /// List every asset with its supply and status.
    Assets,
    /// Define a new asset (admin).
    CreateAsset {
        /// 1 to 12 letters or digits, e.g. ACME.
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        name: String,
        /// native, utility_token, equity_token, carbon_credit, nft or subscription_pass.
        #[arg(long = "type")]
        asset_type: String,
        #[arg(long)]
        total_supply: i64,
    },
    /// Halt, resume (active) or retire an asset (admin).
    SetStatus {
        #[arg(long)]
        symbol: String,
        /// active, halted or retired.
        #[arg(long)]
        status: String,
    },
    /// Issue new units of an asset to a wallet, within its total supply (admin).
    Issue {
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        wallet: String,
        #[arg(long)]
        quantity: i64,
    },
    /// Place a limit order from one of your wallets.
    Place {
        #[arg(long)]
        wallet: String,
        #[arg(long)]
        symbol: String,
        /// buy or sell.
        #[arg(long)]
        side: String,
        /// Limit price in minor units of the quote currency per unit.
        #[arg(long)]
        price: i64,
        #[arg(long)]
        quantity: i64,
    },
    /// Cancel one of your resting orders.
    Cancel {
        #[arg(long)]
        order: String,
    },
    /// Your orders, newest first.
    Orders {
        #[arg(long)]
        symbol: Option<String>,
        /// Only orders still in the book.
        #[arg(long)]
        open: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The order book of an asset, best prices first.
    Book {
        #[arg(long)]
        symbol: String,
        #[arg(long, default_value_t = 10)]
        levels: u32,
    },
    /// An asset's trades, newest first.
    Trades {
        #[arg(long)]
        symbol: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Your positions: quantity, cost basis, average cost and realised P&L.
    Positions,
}

fn asset_line(asset: &AssetView) -> String {
    format!(
        "{:<12} {:<18} {:>12} of {:<12} {:<8} {}",
        asset.symbol,
        asset.asset_type,
        asset.circulating_supply,
        asset.total_supply,
        asset.status,
        asset.name
    )
}

fn order_line(order: &OrderView) -> String {
    format!(
        "{} {:<4} {:>8} @ {:<10} filled {:>8}  locked {:>10}  {}{}",
        order.id,
        order.side,
        order.quantity,
        order.price,
        order.filled_quantity,
        order.locked_amount,
        order.status,
        order
            .cancel_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    )
}

fn trade_line(trade: &TradeView) -> String {
    format!(
        "{} {:>8} @ {:<10} {} bought from {} ({} took)",
        trade.executed_at,
        trade.quantity,
        trade.price,
        trade.buyer_wallet_id,
        trade.seller_wallet_id,
        trade.aggressor_side
    )
}

fn lines<T>(items: &[T], line: fn(&T) -> String, empty: &str) -> String {
    if items.is_empty() {
        return empty.to_owned();
    }
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

pub async fn run(api: &Connection, command: MarketCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        MarketCommand::Assets => {
            let assets = api.assets(&token).await?;
            let text = lines(&assets, asset_line, "no assets yet");
            Ok(Output::from_view(&assets, text))
        }
        MarketCommand::CreateAsset {
            symbol,
            name,
            asset_type,
            total_supply,
        } => {
            let request = CreateAssetRequest {
                symbol,
                name,
                asset_type,
                total_supply,
            };
            let asset = api.create_asset(&token, request).await?;
            let text = format!("created {}", asset_line(&asset));
            Ok(Output::from_view(&asset, text))
        }
        MarketCommand::SetStatus { symbol, status } => {
            let asset = api.set_asset_status(&token, &symbol, &status).await?;
            let text = asset_line(&asset);
            Ok(Output::from_view(&asset, text))
        }
        MarketCommand::Issue {
            symbol,
            wallet,
            quantity,
        } => {
            let request = IssueRequest {
                symbol,
                wallet_id: wallet,
                quantity,
            };
            let asset = api.issue_asset(&token, request).await?;
            let text = format!("issued; now {}", asset_line(&asset));
            Ok(Output::from_view(&asset, text))
        }
        MarketCommand::Place {
            wallet,
            symbol,
            side,
            price,
            quantity,
        } => {
            let request = PlaceOrderRequest {
                wallet_id: wallet,
                symbol,
                side,
                price,
                quantity,
            };
            let placed = api
                .wallet_keys()
                .place_order(&**api, &token, request)
                .await?;
            let mut text = order_line(&placed.order);
            for trade in &placed.fills {
                let _ = write!(text, "\n  traded {}", trade_line(trade));
            }
            Ok(Output::from_view(&placed, text))
        }
        MarketCommand::Cancel { order } => {
            let order = api.cancel_order(&token, &order).await?;
            let text = order_line(&order);
            Ok(Output::from_view(&order, text))
        }
        MarketCommand::Orders {
            symbol,
            open,
            limit,
        } => {
            let orders = api
                .my_orders(&token, symbol.as_deref(), open, limit)
                .await?;
            let text = lines(&orders, order_line, "no orders");
            Ok(Output::from_view(&orders, text))
        }
        MarketCommand::Book { symbol, levels } => {
            let book = api.order_book(&token, &symbol, levels).await?;
            let mut text = format!("{}\n  asks (lowest first):", book.symbol);
            for level in &book.asks {
                let _ = write!(
                    text,
                    "\n    {:>10}  {:>12}  ({} orders)",
                    level.price, level.quantity, level.orders
                );
            }
            text.push_str("\n  bids (highest first):");
            for level in &book.bids {
                let _ = write!(
                    text,
                    "\n    {:>10}  {:>12}  ({} orders)",
                    level.price, level.quantity, level.orders
                );
            }
            Ok(Output::from_view(&book, text))
        }
        MarketCommand::Trades { symbol, limit } => {
            let trades = api.trades(&token, &symbol, limit).await?;
            let text = lines(&trades, trade_line, "no trades");
            Ok(Output::from_view(&trades, text))
        }
        MarketCommand::Positions => {
            let positions = api.positions(&token).await?;
            let text = if positions.is_empty() {
                "no positions".to_owned()
            } else {
                positions
                    .iter()
                    .map(|p| {
                        format!(
                            "{:<12} wallet {}  {:>10} held  cost {:>12}  average {:>10}  realised {:>12}",
                            p.symbol, p.wallet_id, p.quantity, p.cost_basis, p.average_cost, p.realized_pnl
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::from_view(&positions, text))
        }
    }
}
