//! Market scenarios run against both stores. Each backend's test file provides [`Fixtures`]
//! that read balances and locks with raw SQL; wallets are made and funded through the API,
//! their keys in a keyring of the test's own.

#![allow(dead_code)]

use async_trait::async_trait;
use multipass_api::ErrorCode;
use multipass_api::market::{CreateAssetRequest, IssueRequest, PlaceOrderRequest, PlacedOrderView};
use multipass_api::wallet::{CreateWalletRequest, DepositRequest};
use multipass_domain::SessionToken;
use multipass_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

use crate::common::{self, ManualClock, TestApi, sign_up};

/// What the test needs to see or set outside the market's own API.
#[async_trait]
pub trait Fixtures: Send + Sync {
    async fn make_admin(&self, identity: &str);
    /// (total, locked) of the wallet's quote balance.
    async fn quote(&self, wallet: &str) -> (i64, i64);
    /// (quantity, locked) of the wallet's balance of the asset.
    async fn holding(&self, wallet: &str, asset: &str) -> (i64, i64);
    /// Sums over every wallet: quote (total, locked) and, for `asset`, (quantity, locked).
    async fn sums(&self, asset: &str) -> ((i64, i64), (i64, i64));
    /// Per wallet: (wallet, quote locked, asset locked, what its resting buys hold, what
    /// its resting sells hold).
    async fn locks(&self, asset: &str) -> Vec<(String, i64, i64, i64, i64)>;
    async fn order_filled_notifications(&self, identity: &str) -> i64;
    /// The wallet's `trade` legs in `wallet_transactions`: (count, debited, credited).
    async fn trade_legs(&self, wallet: &str) -> (i64, i64, i64);
    /// Renames an asset behind the API's back, as an administrator with SQL could.
    async fn rename_asset(&self, from: &str, to: &str);
}

pub struct Trader {
    pub token: SessionToken,
    pub identity: String,
    pub wallet: String,
}

pub struct Market {
    pub api: TestApi,
    pub fx: Arc<dyn Fixtures>,
    pub admin: SessionToken,
}

impl Market {
    pub async fn new(store: Arc<dyn Store>, fx: Arc<dyn Fixtures>) -> Self {
        let vault = multipass_api::vault::KeyringVault::new(format!(
            "multipass-test-{}",
            uuid::Uuid::new_v4()
        ));
        let api =
            common::api(store, ManualClock::new(), Default::default()).with_vault(Arc::new(vault));
        let admin = sign_up(&api, "root").await;
        fx.make_admin(&admin.signed_in.identity.id).await;
        Self {
            api,
            fx,
            admin: admin.token,
        }
    }

    pub async fn trader(&self, name: &str, native: i64) -> Trader {
        let outcome = sign_up(&self.api, name).await;
        let identity = outcome.signed_in.identity.id;
        let wallet = self
            .api
            .create_wallet(
                &outcome.token,
                CreateWalletRequest {
                    name: "Trading".into(),
                    labels: Vec::new(),
                },
            )
            .await
            .unwrap()
            .id;
        if native > 0 {
            self.api
                .deposit(
                    &self.admin,
                    DepositRequest {
                        wallet_id: wallet.clone(),
                        asset: None,
                        amount: native,
                        memo: None,
                    },
                )
                .await
                .unwrap();
        }
        Trader {
            token: outcome.token,
            identity,
            wallet,
        }
    }

    pub async fn asset(&self, symbol: &str, supply: i64) -> String {
        self.api
            .create_asset(
                &self.admin,
                CreateAssetRequest {
                    symbol: symbol.into(),
                    name: format!("{symbol} shares"),
                    asset_type: "equity_token".into(),
                    total_supply: supply,
                },
            )
            .await
            .unwrap()
            .id
    }

    pub async fn issue(&self, symbol: &str, to: &Trader, quantity: i64) {
        self.api
            .issue_asset(&self.admin, issue(symbol, &to.wallet, quantity))
            .await
            .unwrap();
    }

    pub async fn place(
        &self,
        who: &Trader,
        symbol: &str,
        side: &str,
        price: i64,
        quantity: i64,
    ) -> Result<PlacedOrderView, multipass_api::ApiError> {
        self.api
            .place_order(
                &who.token,
                order(&who.wallet, symbol, side, price, quantity),
            )
            .await
    }

    /// Supply and quote conservation, every lock backed by exactly the orders that hold it,
    /// and an uncrossed book.
    pub async fn check_invariants(&self, symbol: &str, asset: &str, quote_funded: i64) {
        let assets = self.api.assets(&self.admin).await.unwrap();
        let circulating = assets
            .iter()
            .find(|a| a.symbol == symbol)
            .unwrap()
            .circulating_supply;
        let ((quote_total, _), (asset_total, _)) = self.fx.sums(asset).await;
        assert_eq!(quote_total, quote_funded, "the quote currency is conserved");
        assert_eq!(
            asset_total, circulating,
            "holdings add up to the circulating supply"
        );
        for (wallet, quote_locked, asset_locked, buys_hold, sells_hold) in
            self.fx.locks(asset).await
        {
            assert_eq!(quote_locked, buys_hold, "quote locked by {wallet}");
            assert_eq!(asset_locked, sells_hold, "asset locked by {wallet}");
        }
        let book = self.api.order_book(&self.admin, symbol, 1).await.unwrap();
        if let (Some(bid), Some(ask)) = (book.bids.first(), book.asks.first()) {
            assert!(bid.price < ask.price, "crossed book {bid:?} / {ask:?}");
        }
    }
}

pub fn issue(symbol: &str, wallet: &str, quantity: i64) -> IssueRequest {
    IssueRequest {
        symbol: symbol.into(),
        wallet_id: wallet.into(),
        quantity,
    }
}

pub fn order(
    wallet: &str,
    symbol: &str,
    side: &str,
    price: i64,
    quantity: i64,
) -> PlaceOrderRequest {
    PlaceOrderRequest {
        wallet_id: wallet.into(),
        symbol: symbol.into(),
        side: side.into(),
        price,
        quantity,
    }
}

const FUNDS: i64 = 100_000;

/// Sells 10@1599, 7@1600, 3@1600, 20@1605 from four wallets, then one buy of 40@1605 takes
/// them in exactly that order, each at the seller's price.
pub async fn price_time_priority_golden_case(store: Arc<dyn Store>, fx: Arc<dyn Fixtures>) {
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    let mut sellers = Vec::new();
    for (name, price, quantity) in [
        ("sam", 1599, 10),
        ("sue", 1600, 7),
        ("sid", 1600, 3),
        ("sal", 1605, 20),
    ] {
        let seller = m.trader(name, FUNDS).await;
        m.issue("ACME", &seller, 50).await;
        let placed = m
            .place(&seller, "ACME", "sell", price, quantity)
            .await
            .unwrap();
        assert!(placed.fills.is_empty());
        assert_eq!(
            (placed.order.status.as_str(), placed.order.locked_amount),
            ("open", quantity)
        );
        sellers.push((seller, placed.order.id, price, quantity));
    }
    let buyer = m.trader("bea", FUNDS).await;

    let placed = m.place(&buyer, "acme", "buy", 1605, 40).await.unwrap();

    let fills: Vec<_> = placed
        .fills
        .iter()
        .map(|t| {
            (
                t.sell_order_id.clone(),
                t.price,
                t.quantity,
                t.aggressor_side.as_str(),
            )
        })
        .collect();
    let expected: Vec<_> = sellers
        .iter()
        .map(|(_, id, price, quantity)| (id.clone(), *price, *quantity, "buy"))
        .collect();
    assert_eq!(fills, expected);
    assert_eq!(
        (
            placed.order.status.as_str(),
            placed.order.filled_quantity,
            placed.order.locked_amount
        ),
        ("filled", 40, 0)
    );

    let paid = 10 * 1599 + 7 * 1600 + 3 * 1600 + 20 * 1605;
    assert_eq!(paid, 64_090);
    assert_eq!(
        m.fx.quote(&buyer.wallet).await,
        (FUNDS - paid, 0),
        "improvement released"
    );
    assert_eq!(m.fx.holding(&buyer.wallet, &asset).await, (40, 0));
    for (seller, _, price, quantity) in &sellers {
        assert_eq!(
            m.fx.quote(&seller.wallet).await,
            (FUNDS + price * quantity, 0)
        );
        assert_eq!(
            m.fx.holding(&seller.wallet, &asset).await,
            (50 - quantity, 0)
        );
        assert_eq!(m.fx.order_filled_notifications(&seller.identity).await, 1);
    }
    assert_eq!(m.fx.order_filled_notifications(&buyer.identity).await, 1);
    assert_eq!(m.fx.trade_legs(&buyer.wallet).await, (4, paid, 0));
    let (_, seller_debits, seller_credits) = m.fx.trade_legs(&sellers[1].0.wallet).await;
    assert_eq!((seller_debits, seller_credits), (0, 7 * 1600));

    let book = m.api.order_book(&buyer.token, "ACME", 10).await.unwrap();
    assert!(book.bids.is_empty() && book.asks.is_empty());
    let orders = m
        .api
        .my_orders(&sellers[0].0.token, Some("ACME"), false, 10)
        .await
        .unwrap();
    assert_eq!(
        orders
            .iter()
            .map(|o| (o.status.as_str(), o.filled_quantity, o.locked_amount))
            .collect::<Vec<_>>(),
        [("filled", 10, 0)]
    );
    assert_eq!(
        m.api.trades(&buyer.token, "ACME", 10).await.unwrap().len(),
        4
    );

    let positions = m.api.positions(&buyer.token).await.unwrap();
    assert_eq!(
        positions
            .iter()
            .map(|p| (
                p.symbol.as_str(),
                p.quantity,
                p.cost_basis,
                p.average_cost,
                p.realized_pnl
            ))
            .collect::<Vec<_>>(),
        [("ACME", 40, paid, paid / 40, 0)]
    );
    let positions = m.api.positions(&sellers[3].0.token).await.unwrap();
    // Issued units cost nothing, so the whole sale is realised.
    assert_eq!(
        positions
            .iter()
            .map(|p| (p.quantity, p.cost_basis, p.realized_pnl))
            .collect::<Vec<_>>(),
        [(30, 0, 20 * 1605)]
    );
    m.check_invariants("ACME", &asset, 5 * FUNDS).await;
}

/// The bid side, which the book index does not hold in priority order: buys 20@1605,
/// 7@1600, 3@1600, 5@1600 and 10@1599 (in that order), then one sell of 29@1599 takes
/// 20@1605, 7@1600 and 2 of the 3@1600, each at the buyer's price, and reaches no further.
pub async fn bid_side_price_time_priority(store: Arc<dyn Store>, fx: Arc<dyn Fixtures>) {
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    let mut buyers = Vec::new();
    for (name, price, quantity) in [
        ("bea", 1605, 20),
        ("bob", 1600, 7),
        ("ben", 1600, 3),
        ("bud", 1600, 5),
        ("bix", 1599, 10),
    ] {
        let buyer = m.trader(name, FUNDS).await;
        let placed = m
            .place(&buyer, "ACME", "buy", price, quantity)
            .await
            .unwrap();
        assert!(placed.fills.is_empty());
        buyers.push((buyer, placed.order.id, price, quantity));
    }
    let seller = m.trader("sam", FUNDS).await;
    m.issue("ACME", &seller, 50).await;

    let placed = m.place(&seller, "ACME", "sell", 1599, 29).await.unwrap();

    let fills: Vec<_> = placed
        .fills
        .iter()
        .map(|t| (t.buy_order_id.clone(), t.price, t.quantity))
        .collect();
    assert_eq!(
        fills,
        [
            (buyers[0].1.clone(), 1605, 20),
            (buyers[1].1.clone(), 1600, 7),
            (buyers[2].1.clone(), 1600, 2),
        ]
    );
    assert_eq!(placed.order.status, "filled");
    let book = m.api.order_book(&seller.token, "ACME", 10).await.unwrap();
    let bids: Vec<_> = book
        .bids
        .iter()
        .map(|l| (l.price, l.quantity.as_str(), l.orders))
        .collect();
    assert_eq!(bids, [(1600, "6", 2), (1599, "10", 1)]);
    let paid = 20 * 1605 + 7 * 1600 + 2 * 1600;
    assert_eq!(m.fx.quote(&seller.wallet).await, (FUNDS + paid, 0));
    assert_eq!(m.fx.holding(&seller.wallet, &asset).await, (50 - 29, 0));
    m.check_invariants("ACME", &asset, 6 * FUNDS).await;
}

/// (price, quantity, orders) per price level, best first.
type Levels = Vec<(i64, i64, u32)>;

/// A resting order of [`NaiveBook`].
struct NaiveOrder {
    id: String,
    trader: usize,
    buy: bool,
    price: i64,
    remaining: i64,
}

/// Price-time priority as plainly as it can be written: a sorted copy of the crossing orders
/// for every placement, so that the store's way of reading the book (a forward index read
/// for asks, a walk for bids) has something independent to be compared with.
#[derive(Default)]
struct NaiveBook {
    /// In arrival order, which is time priority.
    resting: Vec<NaiveOrder>,
}

impl NaiveBook {
    /// The fills (maker id, price, quantity) an incoming order makes; its rest joins the book,
    /// unless it meets its own trader's order first (then the rest is cancelled).
    fn place(
        &mut self,
        id: String,
        trader: usize,
        buy: bool,
        price: i64,
        quantity: i64,
    ) -> Vec<(String, i64, i64)> {
        let mut crossing: Vec<usize> = (0..self.resting.len())
            .filter(|&i| {
                let o = &self.resting[i];
                o.buy != buy
                    && if buy {
                        o.price <= price
                    } else {
                        o.price >= price
                    }
            })
            .collect();
        // Stable: equal prices keep arrival order.
        crossing.sort_by_key(|&i| {
            if buy {
                self.resting[i].price
            } else {
                -self.resting[i].price
            }
        });
        let mut left = quantity;
        let mut fills = Vec::new();
        let mut self_trade = false;
        for i in crossing {
            if left == 0 {
                break;
            }
            let maker = &mut self.resting[i];
            if maker.trader == trader {
                self_trade = true;
                break;
            }
            let traded = left.min(maker.remaining);
            maker.remaining -= traded;
            left -= traded;
            fills.push((maker.id.clone(), maker.price, traded));
        }
        self.resting.retain(|o| o.remaining > 0);
        if left > 0 && !self_trade {
            self.resting.push(NaiveOrder {
                id,
                trader,
                buy,
                price,
                remaining: left,
            });
        }
        fills
    }

    /// (price, quantity, orders) per level, best first, bids then asks.
    fn depth(&self) -> (Levels, Levels) {
        let side = |buy: bool| {
            let mut levels: std::collections::BTreeMap<i64, (i64, u32)> = Default::default();
            for o in self.resting.iter().filter(|o| o.buy == buy) {
                let level = levels.entry(o.price).or_default();
                level.0 += o.remaining;
                level.1 += 1;
            }
            let mut levels: Vec<_> = levels.into_iter().map(|(p, (q, n))| (p, q, n)).collect();
            if buy {
                levels.reverse();
            }
            levels
        };
        (side(true), side(false))
    }
}

/// 250 random placements and cancels from three traders in a narrow price band, one after
/// another, each compared with [`NaiveBook`]: the same fills in the same order at the same
/// prices, the same book after every step, and the invariants at the end.
pub async fn a_random_stream_trades_as_a_naive_book_does(
    store: Arc<dyn Store>,
    fx: Arc<dyn Fixtures>,
) {
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 100_000).await;
    let mut traders = Vec::new();
    for name in ["ann", "bob", "cat"] {
        let trader = m.trader(name, 10_000_000).await;
        m.issue("ACME", &trader, 10_000).await;
        traders.push(trader);
    }
    let mut rng = StdRng::seed_from_u64(20261201);
    let mut naive = NaiveBook::default();
    for step in 0..250 {
        if rng.random_bool(0.15) && !naive.resting.is_empty() {
            let at = rng.random_range(0..naive.resting.len());
            let victim = naive.resting.remove(at);
            let trader = &traders[victim.trader];
            m.api.cancel_order(&trader.token, &victim.id).await.unwrap();
        } else {
            let who = rng.random_range(0..traders.len());
            let buy = rng.random_bool(0.5);
            let price = rng.random_range(98..=102);
            let quantity = rng.random_range(1..=20);
            let side = if buy { "buy" } else { "sell" };
            let placed = m
                .place(&traders[who], "ACME", side, price, quantity)
                .await
                .unwrap();
            let expected = naive.place(placed.order.id.clone(), who, buy, price, quantity);
            let fills: Vec<_> = placed
                .fills
                .iter()
                .map(|t| {
                    let maker = if buy {
                        &t.sell_order_id
                    } else {
                        &t.buy_order_id
                    };
                    (maker.clone(), t.price, t.quantity)
                })
                .collect();
            assert_eq!(fills, expected, "fills at step {step}");
        }
        let book = m.api.order_book(&m.admin, "ACME", 50).await.unwrap();
        let levels = |side: &[multipass_api::market::BookLevelView]| -> Levels {
            side.iter()
                .map(|l| (l.price, l.quantity.parse().unwrap(), l.orders))
                .collect()
        };
        assert_eq!(
            (levels(&book.bids), levels(&book.asks)),
            naive.depth(),
            "book after step {step}"
        );
    }
    m.check_invariants("ACME", &asset, 3 * 10_000_000).await;
}

/// An order reaches the book only with its wallet owner's signature of exactly that order,
/// and a signed order is placed once: sent again, it is refused and locks nothing more.
pub async fn only_signed_orders_reach_the_book(store: Arc<dyn Store>, fx: Arc<dyn Fixtures>) {
    use multipass_api::Operations;
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    let ann = m.trader("ann", FUNDS).await;
    let bob = m.trader("bob", FUNDS).await;
    m.issue("ACME", &ann, 20).await;
    let ops: &dyn Operations = &*m.api;
    let signed = m
        .api
        .keys()
        .sign_order(order(&ann.wallet, "acme", "sell", 100, 5))
        .await
        .unwrap();
    let bobs = m
        .api
        .keys()
        .sign_order(order(&bob.wallet, "ACME", "sell", 100, 5))
        .await
        .unwrap();
    let mut forgeries = Vec::new();
    for change in 0..5 {
        let mut forged = signed.clone();
        match change {
            0 => forged.order.price = 1,
            1 => forged.order.quantity = 20,
            2 => forged.order.side = "buy".into(),
            3 => forged.signature.clone_from(&bobs.signature),
            _ => forged.order_id = uuid::Uuid::new_v4().to_string(),
        }
        forgeries.push(forged);
    }
    for forged in forgeries {
        let err = ops.place_order(&ann.token, forged).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    }
    let mut unsigned = signed.clone();
    unsigned.signature.clear();
    let err = ops.place_order(&ann.token, unsigned).await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("signature"))
    );
    assert_eq!(
        m.fx.holding(&ann.wallet, &asset).await,
        (20, 0),
        "nothing locked"
    );

    let placed = ops.place_order(&ann.token, signed.clone()).await.unwrap();
    assert_eq!(placed.order.id, signed.order_id);
    assert_eq!(m.fx.holding(&ann.wallet, &asset).await, (20, 5));
    let err = ops.place_order(&ann.token, signed).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "a replayed order: {err:?}");
    assert_eq!(
        m.fx.holding(&ann.wallet, &asset).await,
        (20, 5),
        "locked once"
    );
    let book = m.api.order_book(&ann.token, "ACME", 5).await.unwrap();
    assert_eq!(book.asks.len(), 1);
    assert_eq!(book.asks[0].quantity, "5");
}

/// Self-trade prevention cancels the incoming order's rest, earlier fills stand, and every
/// cancel releases exactly what the order held; only the owner may cancel.
pub async fn own_orders_never_trade_and_cancels_release_locks(
    store: Arc<dyn Store>,
    fx: Arc<dyn Fixtures>,
) {
    let m = Market::new(store, fx).await;
    let asset = m.asset("ACME", 1_000).await;
    let ann = m.trader("ann", FUNDS).await;
    let bob = m.trader("bob", FUNDS).await;
    m.issue("ACME", &ann, 20).await;
    m.issue("ACME", &bob, 20).await;

    let ask = m.place(&ann, "ACME", "sell", 100, 5).await.unwrap().order;
    let own = m.place(&ann, "ACME", "buy", 100, 3).await.unwrap();
    assert!(own.fills.is_empty());
    assert_eq!(
        (
            own.order.status.as_str(),
            own.order.cancel_reason.as_deref(),
            own.order.locked_amount
        ),
        ("cancelled", Some("self_trade_prevention"), 0)
    );
    assert_eq!(m.fx.quote(&ann.wallet).await, (FUNDS, 0));
    assert_eq!(m.fx.holding(&ann.wallet, &asset).await, (20, 5));

    // Bob's better ask fills first; then Ann's own ask stops the rest.
    m.place(&bob, "ACME", "sell", 99, 5).await.unwrap();
    let mixed = m.place(&ann, "ACME", "buy", 101, 8).await.unwrap();
    assert_eq!(
        mixed
            .fills
            .iter()
            .map(|t| (t.seller_wallet_id.as_str(), t.price, t.quantity))
            .collect::<Vec<_>>(),
        [(bob.wallet.as_str(), 99, 5)]
    );
    assert_eq!(
        (
            mixed.order.status.as_str(),
            mixed.order.filled_quantity,
            mixed.order.locked_amount
        ),
        ("cancelled", 5, 0)
    );
    assert_eq!(m.fx.quote(&ann.wallet).await, (FUNDS - 495, 0));
    assert_eq!(m.fx.holding(&ann.wallet, &asset).await, (25, 5));

    let bid = m.place(&ann, "ACME", "buy", 90, 10).await.unwrap().order;
    assert_eq!((bid.status.as_str(), bid.locked_amount), ("open", 900));
    assert_eq!(m.fx.quote(&ann.wallet).await, (FUNDS - 495, 900));
    m.check_invariants("ACME", &asset, 2 * FUNDS).await;

    let err = m.api.cancel_order(&bob.token, &ask.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert_eq!(
        m.fx.holding(&ann.wallet, &asset).await,
        (25, 5),
        "untouched"
    );

    let cancelled = m.api.cancel_order(&ann.token, &bid.id).await.unwrap();
    assert_eq!(
        (
            cancelled.status.as_str(),
            cancelled.cancel_reason.as_deref(),
            cancelled.locked_amount
        ),
        ("cancelled", Some("user"), 0)
    );
    assert_eq!(m.fx.quote(&ann.wallet).await, (FUNDS - 495, 0));
    m.api.cancel_order(&ann.token, &ask.id).await.unwrap();
    assert_eq!(m.fx.holding(&ann.wallet, &asset).await, (25, 0));
    let again = m.api.cancel_order(&ann.token, &ask.id).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidState);
    let unknown = m
        .api
        .cancel_order(&ann.token, &uuid::Uuid::new_v4().to_string())
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);

    // Orders that cannot be paid for, or from someone else's wallet, change nothing.
    let err = m
        .place(&ann, "ACME", "buy", 1_000, 1_000)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InsufficientFunds);
    let err = m.place(&ann, "ACME", "sell", 100, 26).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InsufficientFunds);
    let err = m
        .api
        .place_order(&bob.token, order(&ann.wallet, "ACME", "sell", 100, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    for (bad, field) in [
        (order(&ann.wallet, "ACME", "hold", 100, 1), "side"),
        (order(&ann.wallet, "ACME", "buy", 0, 1), "price"),
        (order(&ann.wallet, "ACME", "buy", 100, -1), "quantity"),
        (order("not-a-wallet", "ACME", "buy", 100, 1), "walletId"),
        (order(&ann.wallet, "AC-ME", "buy", 100, 1), "symbol"),
        (order(&ann.wallet, "ACME", "buy", i64::MAX, 2), "quantity"),
    ] {
        let err = m.api.place_order(&ann.token, bad).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
    let open = m.api.my_orders(&ann.token, None, true, 50).await.unwrap();
    assert!(open.is_empty());
    assert_eq!(m.fx.quote(&ann.wallet).await, (FUNDS - 495, 0));
    m.check_invariants("ACME", &asset, 2 * FUNDS).await;
}

/// Issuance never exceeds the total supply, also when two admins issue at once; only admins
/// define and issue; halted and retired assets neither trade nor issue.
/// The API keeps the asset id it looked a symbol up by; an asset renamed outside the app
/// must not take orders under its old name, and a new asset under that name must.
pub async fn an_asset_renamed_elsewhere_is_looked_up_again(
    store: Arc<dyn Store>,
    fx: Arc<dyn Fixtures>,
) {
    let m = Market::new(store, fx.clone()).await;
    m.asset("ACME", 100).await;
    let ann = m.trader("ann", FUNDS).await;
    m.issue("ACME", &ann, 50).await;
    m.place(&ann, "ACME", "sell", 100, 5).await.unwrap();

    fx.rename_asset("ACME", "ACMX").await;
    let err = m.place(&ann, "ACME", "sell", 100, 5).await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::NotFound, Some("symbol"))
    );

    m.asset("ACME", 100).await;
    m.issue("ACME", &ann, 20).await;
    m.place(&ann, "ACME", "sell", 101, 7).await.unwrap();
    let asks = |symbol: &'static str| {
        let api = m.api.clone();
        let token = ann.token.clone();
        async move {
            let book = api.order_book(&token, symbol, 10).await.unwrap();
            book.asks
                .iter()
                .map(|level| (level.price, level.quantity.clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(asks("ACMX").await, vec![(100, "5".to_owned())]);
    assert_eq!(asks("ACME").await, vec![(101, "7".to_owned())]);
}

pub async fn issuance_and_asset_lifecycle(store: Arc<dyn Store>, fx: Arc<dyn Fixtures>) {
    let m = Market::new(store, fx.clone()).await;
    m.asset("ACME", 100).await;
    let ann = m.trader("ann", FUNDS).await;
    let other_admin = m.trader("ada", 0).await;
    fx.make_admin(&other_admin.identity).await;

    m.issue("ACME", &ann, 60).await;
    let err = m
        .api
        .issue_asset(&m.admin, issue("ACME", &ann.wallet, 41))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::LimitExceeded, Some("quantity"))
    );
    let err = m
        .api
        .issue_asset(&ann.token, issue("ACME", &ann.wallet, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    // 40 remain: of two concurrent issues of 30 exactly one fits.
    let (first, second) = tokio::join!(
        m.api.issue_asset(&m.admin, issue("ACME", &ann.wallet, 30)),
        m.api
            .issue_asset(&other_admin.token, issue("ACME", &ann.wallet, 30)),
    );
    let outcomes = [
        first.map(|_| ()).map_err(|e| e.code),
        second.map(|_| ()).map_err(|e| e.code),
    ];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&Err(ErrorCode::LimitExceeded)));
    let acme = m.api.assets(&ann.token).await.unwrap().remove(0);
    assert_eq!((acme.circulating_supply, acme.total_supply), (90, 100));

    let create = |symbol: &str, asset_type: &str, total_supply| CreateAssetRequest {
        symbol: symbol.into(),
        name: "Something".into(),
        asset_type: asset_type.into(),
        total_supply,
    };
    for (request, code, field) in [
        (create("acme", "nft", 1), ErrorCode::Conflict, "symbol"),
        (
            create("TOOLONGSYMBOL1", "nft", 1),
            ErrorCode::InvalidInput,
            "symbol",
        ),
        (
            create("BOND", "bond", 1),
            ErrorCode::InvalidInput,
            "assetType",
        ),
        (
            create("BOND", "nft", -1),
            ErrorCode::InvalidInput,
            "totalSupply",
        ),
        (
            create("MPC", "utility_token", 1),
            ErrorCode::InvalidInput,
            "symbol",
        ),
    ] {
        let err = m.api.create_asset(&m.admin, request).await.unwrap_err();
        assert_eq!((err.code, err.field.as_deref()), (code, Some(field)));
    }
    let err = m
        .api
        .create_asset(&ann.token, create("MINE", "nft", 1))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    let halted = m
        .api
        .set_asset_status(&m.admin, "ACME", "halted")
        .await
        .unwrap();
    assert_eq!(halted.status, "halted");
    let err = m.place(&ann, "ACME", "sell", 100, 1).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    let err = m
        .api
        .issue_asset(&m.admin, issue("ACME", &ann.wallet, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    m.api
        .set_asset_status(&m.admin, "ACME", "active")
        .await
        .unwrap();
    let resting = m.place(&ann, "ACME", "sell", 100, 1).await.unwrap().order;
    let asset = resting.asset_id.clone();
    assert_eq!(m.fx.holding(&ann.wallet, &asset).await, (90, 1));
    // Retiring cancels what rests in the book and releases its locks.
    m.api
        .set_asset_status(&m.admin, "ACME", "retired")
        .await
        .unwrap();
    assert_eq!(m.fx.holding(&ann.wallet, &asset).await, (90, 0));
    let orders = m
        .api
        .my_orders(&ann.token, Some("ACME"), false, 10)
        .await
        .unwrap();
    assert_eq!(
        orders
            .iter()
            .map(|o| (o.status.as_str(), o.cancel_reason.as_deref()))
            .collect::<Vec<_>>(),
        [("cancelled", Some("asset_halted"))]
    );
    let err = m
        .api
        .set_asset_status(&m.admin, "ACME", "active")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidState);
    let err = m
        .api
        .set_asset_status(&ann.token, "ACME", "halted")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
}

/// `tasks` traders at once, each placing `per_task` random orders on one asset; afterwards
/// supply and quote are conserved and every lock is backed by the orders that hold it.
pub async fn concurrent_orders_keep_the_invariants(
    store: Arc<dyn Store>,
    fx: Arc<dyn Fixtures>,
    tasks: usize,
    per_task: usize,
) {
    let m = Arc::new(Market::new(store, fx).await);
    let asset = m.asset("ACME", 1_000_000).await;
    let funds = 10_000_000;
    let mut traders = Vec::new();
    for n in 0..tasks {
        let trader = m.trader(&format!("trader{n}"), funds).await;
        m.issue("ACME", &trader, 500).await;
        traders.push(trader);
    }
    let mut handles = Vec::new();
    for (n, trader) in traders.into_iter().enumerate() {
        let m = m.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(n as u64);
            let mut filled = 0;
            for _ in 0..per_task {
                let side = if rng.random_bool(0.5) { "buy" } else { "sell" };
                let price = rng.random_range(98..=102);
                let quantity = rng.random_range(1..=20);
                match m.place(&trader, "ACME", side, price, quantity).await {
                    Ok(placed) => filled += placed.order.filled_quantity,
                    Err(err) => assert_eq!(err.code, ErrorCode::InsufficientFunds, "{err:?}"),
                }
            }
            filled
        }));
    }
    let mut filled = 0;
    for handle in handles {
        filled += handle.await.unwrap();
    }
    assert!(filled > 0, "random orders in a narrow band trade");
    let trades = m.api.trades(&m.admin, "ACME", 500).await.unwrap();
    assert!(!trades.is_empty());
    assert!(
        trades
            .iter()
            .all(|t| t.buyer_wallet_id != t.seller_wallet_id)
    );
    m.check_invariants("ACME", &asset, funds * i64::try_from(tasks).unwrap())
        .await;
}
