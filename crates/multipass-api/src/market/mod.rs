//! The asset market's use cases: asset definitions and issuance (admins), limit orders and
//! cancels (the wallet's owner), and the views of the book, trades and positions.

mod asset_ids;
mod errors;
mod views;

pub(crate) use asset_ids::AssetIds;

pub use views::{
    AssetView, BookLevelView, CreateAssetRequest, IssueRequest, OrderBookView, OrderView,
    PlaceOrderRequest, PlacedOrderView, PositionView, SignedOrderRequest, TradeView,
};

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use crate::wallet::check_signed;
use multipass_domain::market::{
    AssetId, AssetName, AssetStatus, AssetType, OrderId, Price, Quantity, Side, Symbol, WalletId,
};
use multipass_domain::wallet::OrderMessage;
use multipass_domain::{Role, SessionToken, ValidationError};
use multipass_store::{
    AssetRecord, Issuance, MarketError, MarketRefusal, NewAsset, NewMarketOrder, NotificationKind,
    OrderFilter, PlacedOrder,
};

/// The most orders, trades or book levels one listing returns.
pub const MAX_LISTING: u32 = 500;

fn uuid_field(raw: &str, field: &'static str) -> Result<uuid::Uuid, ValidationError> {
    uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| ValidationError::new(field, "This is not a valid id."))
}

fn amount<T>(
    raw: i64,
    field: &'static str,
    make: fn(u64) -> Result<T, multipass_domain::market::AmountError>,
) -> Result<T, ValidationError> {
    u64::try_from(raw)
        .ok()
        .and_then(|value| make(value).ok())
        .ok_or_else(|| ValidationError::new(field, "Enter a whole number of at least 1."))
}

pub(crate) fn parse_side(raw: &str) -> Result<Side, ValidationError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(ValidationError::new(
            "side",
            "The side is either buy or sell.",
        )),
    }
}

fn listing_limit(limit: u32) -> Result<u32, ValidationError> {
    if (1..=MAX_LISTING).contains(&limit) {
        Ok(limit)
    } else {
        Err(ValidationError::new(
            "limit",
            format!("Ask for 1 to {MAX_LISTING} entries."),
        ))
    }
}

fn plural(count: i64, one: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {one}s")
    }
}

impl MultipassApi {
    #[tracing::instrument(skip_all)]
    async fn asset_named(&self, symbol: &str) -> Result<AssetRecord, ApiError> {
        self.asset_with(&Symbol::parse(symbol)?).await
    }

    async fn asset_with(&self, symbol: &Symbol) -> Result<AssetRecord, ApiError> {
        self.store.asset_by_symbol(symbol).await?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("There is no asset with the symbol {symbol}."),
            )
            .with_field("symbol")
        })
    }

    /// The id of the asset named `symbol`, looked up and kept for the next order.
    async fn asset_id_named(&self, symbol: &str) -> Result<(Symbol, AssetId), ApiError> {
        let symbol = Symbol::parse(symbol)?;
        let asset = self.asset_with(&symbol).await?.id;
        self.asset_ids.insert(symbol.clone(), asset);
        Ok((symbol, asset))
    }

    /// Defines a new asset (admins only). Its whole supply starts unissued.
    pub async fn create_asset(
        &self,
        token: &SessionToken,
        request: CreateAssetRequest,
    ) -> Result<AssetView, ApiError> {
        self.caller(token).await?.require(Role::Admin)?;
        let symbol = Symbol::parse(&request.symbol)?;
        let asset_type = AssetType::parse(&request.asset_type)?;
        if symbol.is_native() != (asset_type == AssetType::Native) {
            return Err(ValidationError::new(
                "symbol",
                "The native currency's symbol belongs to the native asset type, and only to it.",
            )
            .into());
        }
        let total_supply = u64::try_from(request.total_supply).map_err(|_| {
            ValidationError::new("totalSupply", "The total supply cannot be negative.")
        })?;
        let asset = self
            .store
            .create_asset(NewAsset {
                id: AssetId::new_random(),
                symbol,
                name: AssetName::parse(&request.name)?,
                asset_type,
                total_supply,
                at: self.clock.now(),
            })
            .await?;
        Ok(asset.into())
    }

    /// Every asset, active or not, by symbol.
    pub async fn assets(&self, token: &SessionToken) -> Result<Vec<AssetView>, ApiError> {
        self.caller(token).await?;
        let assets = self.store.assets().await?;
        Ok(assets.into_iter().map(AssetView::from).collect())
    }

    /// Halts, resumes (`active`) or retires an asset (admins only).
    pub async fn set_asset_status(
        &self,
        token: &SessionToken,
        symbol: &str,
        status: &str,
    ) -> Result<AssetView, ApiError> {
        self.caller(token).await?.require(Role::Admin)?;
        let status = AssetStatus::parse(status)?;
        let asset = self.asset_named(symbol).await?;
        let asset = self
            .store
            .set_asset_status(asset.id, status, self.clock.now())
            .await?;
        Ok(asset.into())
    }

    /// Issues new units of an asset to a wallet (admins only), never beyond its total supply.
    pub async fn issue_asset(
        &self,
        token: &SessionToken,
        request: IssueRequest,
    ) -> Result<AssetView, ApiError> {
        self.caller(token).await?.require(Role::Admin)?;
        let wallet = WalletId::from_uuid(uuid_field(&request.wallet_id, "walletId")?);
        let quantity = amount(request.quantity, "quantity", Quantity::new)?;
        let asset = self.asset_named(&request.symbol).await?;
        let asset = self
            .store
            .issue(Issuance {
                asset: asset.id,
                wallet,
                quantity,
                at: self.clock.now(),
            })
            .await?;
        Ok(asset.into())
    }

    /// Places a limit order from one of the caller's own wallets and matches it at once.
    #[tracing::instrument(skip_all)]
    pub async fn place_order(
        &self,
        token: &SessionToken,
        signed: SignedOrderRequest,
    ) -> Result<PlacedOrderView, ApiError> {
        let request = &signed.order;
        let known = Symbol::parse(&request.symbol).ok().and_then(|symbol| {
            let id = self.asset_ids.get(&symbol)?;
            Some((symbol, id))
        });
        let is_known = known.is_some();
        // Assets are no secret from anyone signed in, so an asset not seen before is looked
        // up beside the session check rather than after it; an unknown session still
        // answers first.
        let (caller, asset) = match known {
            Some(known) => (self.caller(token).await, Ok(known)),
            None => tokio::join!(self.caller(token), self.asset_id_named(&request.symbol)),
        };
        let caller = caller?;
        let wallet = WalletId::from_uuid(uuid_field(&request.wallet_id, "walletId")?);
        let side = parse_side(&request.side)?;
        let price = amount(request.price, "price", Price::new)?;
        let quantity = amount(request.quantity, "quantity", Quantity::new)?;
        let order_id = uuid_field(&signed.order_id, "orderId")?;
        let (symbol, asset) = asset?;
        // The owner's signature is checked here; a wallet that is missing or someone
        // else's is refused by the store under its lock, as before.
        if let Some(party) = self.party(wallet).await?
            && party.owner == caller.identity_id
        {
            let message = OrderMessage {
                order_id,
                wallet,
                symbol: symbol.as_str().to_owned(),
                side,
                price: request.price,
                quantity: request.quantity,
            };
            check_signed(
                party.public_key.as_deref(),
                &message,
                &signed.signature,
                "order",
            )?;
        }
        let order = NewMarketOrder {
            id: OrderId::from_uuid(order_id),
            asset,
            symbol: symbol.clone(),
            wallet,
            owner: caller.identity_id,
            side,
            price,
            quantity,
            at: self.clock.now(),
        };
        let placed = match self.store.place_order(order.clone()).await {
            Err(MarketError::Refused(MarketRefusal::AssetNotFound)) if is_known => {
                // The id kept for the symbol no longer carries it: look the symbol up
                // afresh, once; what the store says then is the answer.
                self.asset_ids.remove(&symbol);
                let (_, asset) = self.asset_id_named(symbol.as_str()).await?;
                self.store
                    .place_order(NewMarketOrder { asset, ..order })
                    .await?
            }
            placed => placed?,
        };
        self.notify_fills(symbol.as_str(), caller.identity_id, &placed)
            .await;
        Ok(PlacedOrderView {
            order: placed.order.into(),
            fills: placed.fills.into_iter().map(|f| f.trade.into()).collect(),
        })
    }

    /// One notification to each maker per fill, and one to the taker for all of its fills,
    /// stored together.
    async fn notify_fills(
        &self,
        symbol: &str,
        taker: multipass_domain::IdentityId,
        placed: &PlacedOrder,
    ) {
        let mut notices = Vec::with_capacity(placed.fills.len() + 1);
        for fill in &placed.fills {
            let trade = &fill.trade;
            let verb = match trade.aggressor_side {
                Side::Buy => "sold",
                Side::Sell => "bought",
            };
            notices.push(self.notice(
                fill.owner,
                NotificationKind::OrderFilled,
                format!("Order filled: {symbol}"),
                format!(
                    "You {verb} {} {symbol} at {}.",
                    plural(trade.quantity, "unit"),
                    trade.price
                ),
                serde_json::json!({ "orderId": fill.order, "tradeId": trade.id }),
            ));
        }
        let order = &placed.order;
        if order.filled_quantity > 0 {
            let verb = match order.side {
                Side::Buy => "bought",
                Side::Sell => "sold",
            };
            notices.push(self.notice(
                taker,
                NotificationKind::OrderFilled,
                format!("Order filled: {symbol}"),
                format!(
                    "You {verb} {} of {} {symbol} in {}.",
                    order.filled_quantity,
                    order.quantity,
                    plural(
                        i64::try_from(placed.fills.len()).unwrap_or(i64::MAX),
                        "trade"
                    )
                ),
                serde_json::json!({ "orderId": order.id }),
            ));
        }
        self.notify_all(&notices).await;
    }

    /// Cancels one of the caller's resting orders, releasing what it still holds.
    pub async fn cancel_order(
        &self,
        token: &SessionToken,
        order_id: &str,
    ) -> Result<OrderView, ApiError> {
        let caller = self.caller(token).await?;
        let order = OrderId::from_uuid(uuid_field(order_id, "orderId")?);
        let order = self
            .store
            .cancel_order(order, caller.identity_id, self.clock.now())
            .await?;
        Ok(order.into())
    }

    /// The caller's orders, newest first, optionally for one asset or only those resting.
    pub async fn my_orders(
        &self,
        token: &SessionToken,
        symbol: Option<&str>,
        resting_only: bool,
        limit: u32,
    ) -> Result<Vec<OrderView>, ApiError> {
        let caller = self.caller(token).await?;
        let limit = listing_limit(limit)?;
        let asset = match symbol {
            Some(symbol) => Some(self.asset_named(symbol).await?.id),
            None => None,
        };
        let orders = self
            .store
            .orders(OrderFilter {
                owner: caller.identity_id,
                asset,
                resting_only,
                limit,
            })
            .await?;
        Ok(orders.into_iter().map(OrderView::from).collect())
    }

    /// The best `levels` price levels of each side of an asset's book.
    pub async fn order_book(
        &self,
        token: &SessionToken,
        symbol: &str,
        levels: u32,
    ) -> Result<OrderBookView, ApiError> {
        self.caller(token).await?;
        let levels = listing_limit(levels)?;
        let asset = self.asset_named(symbol).await?;
        let depth = self.store.order_book(asset.id, levels).await?;
        Ok(OrderBookView::new(asset.symbol, depth))
    }

    /// An asset's trades, newest first.
    pub async fn trades(
        &self,
        token: &SessionToken,
        symbol: &str,
        limit: u32,
    ) -> Result<Vec<TradeView>, ApiError> {
        self.caller(token).await?;
        let limit = listing_limit(limit)?;
        let asset = self.asset_named(symbol).await?;
        let trades = self.store.trades(asset.id, limit).await?;
        Ok(trades.into_iter().map(TradeView::from).collect())
    }

    /// The caller's positions across all of their wallets.
    pub async fn positions(&self, token: &SessionToken) -> Result<Vec<PositionView>, ApiError> {
        let caller = self.caller(token).await?;
        let positions = self.store.positions(caller.identity_id).await?;
        Ok(positions.into_iter().map(PositionView::from).collect())
    }
}
